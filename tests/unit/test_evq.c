/* SPDX-License-Identifier: MIT */
/* test_evq.c - the (time, seq) event heap: order, ties, reuse, OOM. */
#include "tests/support/support.h"

#include "core/status.h"
#include "sim/evq.h"
#include "sim/rng.h"

static void test_evq_pops_in_time_order(void **state)
{
    (void)state;
    fz_evq q;
    fz_evq_init(&q, NULL);
    fz_rng r;
    fz_rng_init(&r, 3, 0);
    for (uint32_t i = 0; i < 5000; i++)
        assert_int_equal(fz_evq_push(&q, fz_rng_below(&r, 1000), i, 0), 0);
    fz_event prev = {0}, ev;
    uint32_t n = 0;
    while (fz_evq_pop(&q, &ev)) {
        if (n)
            assert_true(prev.time < ev.time || (prev.time == ev.time && prev.seq < ev.seq));
        prev = ev;
        n++;
    }
    assert_int_equal(n, 5000);
    assert_int_equal(fz_evq_pop(&q, &ev), 0);
    fz_evq_fini(&q);
}

static void test_evq_equal_times_leave_in_push_order(void **state)
{
    (void)state;
    fz_evq q;
    fz_evq_init(&q, NULL);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(fz_evq_push(&q, i % 2 ? 10 : 5, i, 0), 0);
    fz_event ev;
    uint32_t expect_even = 0, expect_odd = 1;
    for (int i = 0; i < 100; i++) {
        assert_true(fz_evq_pop(&q, &ev));
        if (i < 50) {
            assert_int_equal(ev.id, expect_even);
            expect_even += 2;
        } else {
            assert_int_equal(ev.id, expect_odd);
            expect_odd += 2;
        }
    }
    fz_evq_fini(&q);
}

static void test_evq_clear_keeps_memory_and_restarts_seq(void **state)
{
    (void)state;
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_evq q;
    fz_evq_init(&q, &ta.hook);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(fz_evq_push(&q, 1, i, 0), 0);
    uint64_t calls = ta.calls;
    for (int round = 0; round < 10; round++) {
        fz_evq_clear(&q);
        for (uint32_t i = 0; i < 64; i++)
            assert_int_equal(fz_evq_push(&q, 1, i, 0), 0);
        assert_true(fz_evq_peek(&q)->seq == 0);
    }
    assert_true(ta.calls == calls);
    fz_evq_fini(&q);
    assert_int_equal(ta.live, 0);
}

static void test_evq_push_fails_cleanly_without_memory(void **state)
{
    (void)state;
    for (uint64_t n = 1; n < 6; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_evq q;
        fz_evq_init(&q, &ta.hook);
        int rc = 0;
        uint32_t pushed = 0;
        for (uint32_t i = 0; i < 1000 && !rc; i++)
            if (!(rc = fz_evq_push(&q, 1000 - i, i, 0)))
                pushed++;
        assert_int_equal(rc, FZ_ENOMEM);
        assert_int_equal(fz_evq_len(&q), pushed);
        fz_event ev;
        uint64_t last = 0;
        while (fz_evq_pop(&q, &ev)) {
            assert_true(ev.time >= last);
            last = ev.time;
        }
        fz_evq_fini(&q);
        assert_int_equal(ta.live, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evq_pops_in_time_order),
        cmocka_unit_test(test_evq_equal_times_leave_in_push_order),
        cmocka_unit_test(test_evq_clear_keeps_memory_and_restarts_seq),
        cmocka_unit_test(test_evq_push_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
