/* SPDX-License-Identifier: MIT */
/* test_rng.c - the simulator's PRNG: reproducible, independent per run, uniform. */
#include "tests/support/support.h"

#include <math.h>

#include "sim/rng.h"

static void test_rng_same_seed_and_index_give_same_stream(void **state)
{
    (void)state;
    fz_rng a, b;
    fz_rng_init(&a, 42, 7);
    fz_rng_init(&b, 42, 7);
    for (int i = 0; i < 1000; i++)
        assert_true(fz_rng_next(&a) == fz_rng_next(&b));
}

static void test_rng_splitmix_matches_reference_values(void **state)
{
    (void)state;
    /* Reference outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c). */
    uint64_t s = 1234567;
    assert_true(fz_rng_splitmix(&s) == 6457827717110365317ull);
    assert_true(fz_rng_splitmix(&s) == 3203168211198807973ull);
    assert_true(fz_rng_splitmix(&s) == 9817491932198370423ull);
}

static void test_rng_neighbouring_runs_are_unrelated(void **state)
{
    (void)state;
    /* Bits agreeing between streams of index i and i+1 should be about half. */
    uint64_t agree = 0, total = 0;
    for (uint64_t run = 0; run < 200; run++) {
        fz_rng a, b;
        fz_rng_init(&a, 1, run);
        fz_rng_init(&b, 1, run + 1);
        for (int i = 0; i < 50; i++) {
            agree += (uint64_t)__builtin_popcountll(~(fz_rng_next(&a) ^ fz_rng_next(&b)));
            total += 64;
        }
    }
    double share = (double)agree / (double)total;
    assert_true(share > 0.49 && share < 0.51);
    fz_rng a, b;
    fz_rng_init(&a, 1, 0);
    fz_rng_init(&b, 2, 0);
    assert_true(fz_rng_next(&a) != fz_rng_next(&b));
}

static void test_rng_double_is_uniform_in_unit_interval(void **state)
{
    (void)state;
    fz_rng r;
    fz_rng_init(&r, 99, 0);
    int bins[10] = {0};
    const int n = 200000;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double x = fz_rng_double(&r);
        assert_true(x >= 0.0 && x < 1.0);
        double y = fz_rng_double_open0(&r);
        assert_true(y > 0.0 && y <= 1.0);
        bins[(int)(x * 10)]++;
        sum += x;
    }
    assert_true(fabs(sum / n - 0.5) < 0.005);
    /* Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile. */
    double chi = 0;
    for (int i = 0; i < 10; i++)
        chi += (bins[i] - n / 10.0) * (bins[i] - n / 10.0) / (n / 10.0);
    assert_true(chi < 27.9);
}

static void test_rng_below_stays_in_range_without_bias(void **state)
{
    (void)state;
    fz_rng r;
    fz_rng_init(&r, 5, 5);
    int counts[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint64_t v = fz_rng_below(&r, 3);
        assert_true(v < 3);
        counts[v]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(counts[i] > 9600 && counts[i] < 10400);
    assert_true(fz_rng_below(&r, 1) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_same_seed_and_index_give_same_stream),
        cmocka_unit_test(test_rng_splitmix_matches_reference_values),
        cmocka_unit_test(test_rng_neighbouring_runs_are_unrelated),
        cmocka_unit_test(test_rng_double_is_uniform_in_unit_interval),
        cmocka_unit_test(test_rng_below_stays_in_range_without_bias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
