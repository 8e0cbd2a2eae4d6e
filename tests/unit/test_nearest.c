/* SPDX-License-Identifier: MIT */
/* test_nearest.c - "did you mean ...?" (core/nearest.h): typos, swapped
 * letters, other endings and prefixes find their name; far words, exact
 * names and over-long words find none. */
#include "tests/support/support.h"

#include <string.h>

#include "core/nearest.h"

static const char *const opts[] = {"bindings",  "set", "secret", "start", "trace",
                                   "max-steps", "db",  "quiet",  NULL,    "no-journal"};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char *near(const char *w)
{
    return fz_nearest(w, strlen(w), opts, NOPTS);
}

static void test_nearest_finds_typos(void **state)
{
    (void)state;
    assert_string_equal(near("bindngs"), "bindings");  /* a letter left out */
    assert_string_equal(near("bidnings"), "bindings"); /* two letters swapped */
    assert_string_equal(near("qiuet"), "quiet");
    assert_string_equal(near("max-step"), "max-steps");
    assert_string_equal(near("no-jour"), "no-journal"); /* a prefix */
    assert_string_equal(near("secrt"), "secret");
}

static void test_nearest_refuses_far_exact_and_long_words(void **state)
{
    (void)state;
    assert_null(near("zzzzzz"));
    assert_null(near("bindings")); /* a valid name is no typo */
    assert_null(near("x"));
    char long_word[200];
    memset(long_word, 'b', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = '\0';
    assert_null(near(long_word));
    assert_null(fz_nearest("abc", 3, opts, 0));
}

static void test_nearest_in_reads_a_hint_list(void **state)
{
    (void)state;
    char out[32];
    const char *hint = "rule keys: match, lane, shape, id, timeout, retries, backoff";
    assert_int_equal(fz_nearest_in("retry", 5, hint, out, sizeof out), 1);
    assert_string_equal(out, "retries"); /* another ending of the word */
    assert_int_equal(fz_nearest_in("lnae", 4, hint, out, sizeof out), 1);
    assert_string_equal(out, "lane");
    /* The words before ':' are no keys. */
    assert_int_equal(fz_nearest_in("rul", 3, hint, out, sizeof out), 0);
    assert_int_equal(fz_nearest_in("timeout", 7, hint, out, sizeof out), 0);
    assert_int_equal(fz_nearest_in("quux", 4, hint, out, sizeof out), 0);
    /* A name that does not fit out is not given. */
    assert_int_equal(fz_nearest_in("backof", 6, hint, out, 4), 0);
    assert_int_equal(fz_nearest_in("x", 1, NULL, out, sizeof out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest_finds_typos),
        cmocka_unit_test(test_nearest_refuses_far_exact_and_long_words),
        cmocka_unit_test(test_nearest_in_reads_a_hint_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
