/* SPDX-License-Identifier: MIT */
/* test_dist.c - each latency distribution's mean and variance, and its tail. */
#include "tests/support/support.h"

#include <math.h>
#include <string.h>

#include "sim/dist.h"

static void check_moments(fz_dist d, uint64_t seed)
{
    fz_rng r;
    fz_rng_init(&r, seed, 0);
    const int n = 400000;
    double mean = 0, m2 = 0; /* Welford */
    for (int i = 0; i < n; i++) {
        double x = (double)fz_dist_sample(&d, &r);
        double delta = x - mean;
        mean += delta / (i + 1);
        m2 += delta * (x - mean);
    }
    double var = m2 / n;
    double m = fz_dist_mean(&d), v = fz_dist_variance(&d);
    /* The sample mean is within 5 standard errors; the variance within 5%. */
    double se = sqrt(v / n);
    if (fabs(mean - m) > 5 * se + 1.0)
        fail_msg("%s: mean %g, expected %g (se %g)", fz_dist_name(d.kind), mean, m, se);
    if (fabs(var - v) > 0.05 * v + 1.0)
        fail_msg("%s: variance %g, expected %g", fz_dist_name(d.kind), var, v);
}

static void test_dist_fixed_always_gives_its_value(void **state)
{
    (void)state;
    fz_dist d = fz_dist_fixed(2.5e9);
    fz_rng r;
    fz_rng_init(&r, 1, 1);
    for (int i = 0; i < 100; i++)
        assert_true(fz_dist_sample(&d, &r) == 2500000000ull);
    check_moments(d, 1);
}

static void test_dist_uniform_moments_and_bounds(void **state)
{
    (void)state;
    fz_dist d = fz_dist_uniform(1e9, 5e9);
    fz_rng r;
    fz_rng_init(&r, 2, 0);
    for (int i = 0; i < 10000; i++) {
        uint64_t x = fz_dist_sample(&d, &r);
        assert_true(x >= 1000000000ull && x <= 5000000000ull);
    }
    check_moments(d, 2);
}

static void test_dist_normal_moments(void **state)
{
    (void)state;
    check_moments(fz_dist_normal(10e9, 2e9), 3);
}

static void test_dist_lognormal_moments(void **state)
{
    (void)state;
    check_moments(fz_dist_lognormal(2e9, 0.5), 4);
}

static void test_dist_exponential_moments(void **state)
{
    (void)state;
    check_moments(fz_dist_exponential(3e9), 5);
}

static void test_dist_empirical_moments_and_support(void **state)
{
    (void)state;
    double xs[] = {3e9, 1e9, 2e9, 10e9};
    fz_dist d = fz_dist_empirical(xs, 4);
    assert_true(xs[0] == 1e9 && xs[3] == 10e9); /* sorted in place */
    fz_rng r;
    fz_rng_init(&r, 6, 0);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = fz_dist_sample(&d, &r);
        assert_true(x == 1000000000ull || x == 2000000000ull || x == 3000000000ull ||
                    x == 10000000000ull);
    }
    check_moments(d, 6);
}

static void test_dist_exceeds_matches_sampled_tail(void **state)
{
    (void)state;
    fz_dist ds[] = {fz_dist_uniform(0, 10e9), fz_dist_normal(5e9, 2e9),
                    fz_dist_lognormal(4e9, 0.7), fz_dist_exponential(5e9)};
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        fz_rng r;
        fz_rng_init(&r, 7, k);
        const int n = 200000;
        int over = 0;
        for (int i = 0; i < n; i++)
            over += fz_dist_sample(&ds[k], &r) > 6e9;
        double p = fz_dist_exceeds(&ds[k], 6e9);
        if (fabs((double)over / n - p) > 0.005)
            fail_msg("%s: tail %g, expected %g", fz_dist_name(ds[k].kind), (double)over / n, p);
    }
}

static void test_dist_own_exp_and_log_agree_with_libm(void **state)
{
    (void)state;
    fz_dist_prepare();
    fz_rng r;
    fz_rng_init(&r, 8, 0);
    for (int i = 0; i < 100000; i++) {
        double x = (fz_rng_double(&r) - 0.5) * 80.0;
        double want = exp(x), got = fz_dist_exp(x);
        if (fabs(got - want) > 4e-15 * want)
            fail_msg("exp(%.17g): %.17g, libm %.17g", x, got, want);
        double u = fz_rng_double_open0(&r) * (i % 2 ? 1.0 : 1e-12);
        double lw = log(u), lg = fz_dist_log(u);
        if (fabs(lg - lw) > 4e-15 * fabs(lw) + 2e-16) /* absolute near log(1) */
            fail_msg("log(%.17g): %.17g, libm %.17g", u, lg, lw);
    }
    assert_true(fz_dist_exp(0.0) == 1.0);
    assert_true(fz_dist_log(1.0) == 0.0);
    assert_true(fz_dist_exp(-800.0) == 0.0);
}

static void test_dist_names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < FZ_DIST_COUNT; k++) {
        const char *name = fz_dist_name((fz_dist_kind)k);
        assert_int_equal(fz_dist_parse(name, (uint32_t)strlen(name)), k);
    }
    assert_int_equal(fz_dist_parse("gaussian", 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_fixed_always_gives_its_value),
        cmocka_unit_test(test_dist_uniform_moments_and_bounds),
        cmocka_unit_test(test_dist_normal_moments),
        cmocka_unit_test(test_dist_lognormal_moments),
        cmocka_unit_test(test_dist_exponential_moments),
        cmocka_unit_test(test_dist_empirical_moments_and_support),
        cmocka_unit_test(test_dist_exceeds_matches_sampled_tail),
        cmocka_unit_test(test_dist_own_exp_and_log_agree_with_libm),
        cmocka_unit_test(test_dist_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
