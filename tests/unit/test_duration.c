/* SPDX-License-Identifier: MIT */
/* test_duration.c - the one duration syntax (core/duration.h), and that
 * bindings and scenarios both read it: the same strings load in both files
 * and the same strings are refused, "0x10" among them (issue 9). */
#include "tests/support/support.h"

#include <string.h>

#include "core/duration.h"
#include "core/status.h"
#include "real/bind.h"
#include "real/handler.h"
#include "sim/scenario.h"

static const struct {
    const char *s;
    uint64_t ns;
} good[] = {
    {"250ms", 250000000u},
    {"2s", 2000000000u},
    {"1.5m", 90000000000u},
    {"1min", 60000000000u},
    {"1m30s", 90000000000u},
    {"1h 5m", 3900000000000u},
    {"1h", 3600000000000u},
    {"30us", 30000u},
    {"3", 3000000000u},
    {"0.5", 500000000u},
    {".5s", 500000000u},
    {"0.1s", 100000000u},
    {" 7ns ", 7u},
    {"1.0000000005s", 1000000001u},
    {"0", 0},
    {"9223372036854775807ns", 9223372036854775807ull},
    {"2562047h", 9223369200000000000ull},
};

static const char *const bad[] = {
    "",        " ",      "s",         "-1s",       "+1s",        "0x10",      "0x10s",
    "1e3",     "1e3s",   "1 parsec",  "1e99h",     "x1",         "3s2",       "2 3",
    "inf",     "nan",    "1.2.3s",    "1ss",       "1M",         "5 parsecs", "1h,5m",
    "9223372036854775808ns", "2562048h", "99999999999999999999999s", ".",   "1s -",
};

static void test_duration_parse_accepts_the_union_of_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t ns = 42;
        if (fz_duration_parse(good[i].s, strlen(good[i].s), &ns) != 0)
            fail_msg("'%s' refused", good[i].s);
        assert_int_equal(ns, good[i].ns);
        /* The bindings' and the scenarios' entry points agree. */
        uint64_t b = 0;
        double sc = 0;
        assert_int_equal(fz__duration_parse(good[i].s, strlen(good[i].s), &b), 0);
        assert_int_equal(fz_scenario_duration(good[i].s, strlen(good[i].s), &sc), 0);
        assert_int_equal(b, good[i].ns);
        assert_true(sc == (double)good[i].ns);
    }
}

static void test_duration_parse_refuses_hex_sign_exponent_overflow(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ns = 42;
        double sc = 42;
        if (fz_duration_parse(bad[i], strlen(bad[i]), &ns) != FZ_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(ns, 42);
        assert_int_equal(fz__duration_parse(bad[i], strlen(bad[i]), &ns), FZ_EINVAL);
        assert_int_equal(fz_scenario_duration(bad[i], strlen(bad[i]), &sc), FZ_EINVAL);
    }
    /* Only len bytes are read. */
    uint64_t ns = 0;
    assert_int_equal(fz_duration_parse("2sXYZ", 2, &ns), 0);
    assert_int_equal(ns, 2000000000u);
    assert_int_equal(fz_duration_parse(NULL, 0, &ns), FZ_EINVAL);
}

static int bind_loads(const char *dur, fz_diags *d)
{
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "rules:\n  - match: \"x\"\n    noop:\n    timeout: \"%s\"\n", dur);
    fz_bind *b = NULL;
    int rc = fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, d, &b);
    fz_bind_free(b);
    return rc;
}

static int scenario_loads(const char *dur, fz_diags *d)
{
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "defaults:\n  latency: \"%s\"\n", dur);
    fz_scenario_file *f = NULL;
    int rc = fz_scenario_parse("s.yaml", yaml, strlen(yaml), NULL, d, &f);
    fz_scenario_file_free(f);
    return rc;
}

/* Real files: a bindings file and a scenario file take the same strings. */
static void test_duration_bindings_and_scenarios_take_the_same_strings(void **state)
{
    (void)state;
    const char *both_ok[] = {"1min", "1m30s", "2s", "500ms", "1h", "3"};
    const char *both_bad[] = {"0x10", "1e3s", "-1s", "99999999999999999999h"};
    for (size_t i = 0; i < sizeof(both_ok) / sizeof(both_ok[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        if (bind_loads(both_ok[i], &d) != 0 || scenario_loads(both_ok[i], &d) != 0)
            fail_msg("'%s' refused", both_ok[i]);
        fz_diags_fini(&d);
    }
    for (size_t i = 0; i < sizeof(both_bad) / sizeof(both_bad[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        assert_int_equal(bind_loads(both_bad[i], &d), FZ_EPARSE);
        assert_int_equal(scenario_loads(both_bad[i], &d), FZ_EPARSE);
        assert_int_equal(d.errors, 2);
        fz_diags_fini(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parse_accepts_the_union_of_forms),
        cmocka_unit_test(test_duration_parse_refuses_hex_sign_exponent_overflow),
        cmocka_unit_test(test_duration_bindings_and_scenarios_take_the_same_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
