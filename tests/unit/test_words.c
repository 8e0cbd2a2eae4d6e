/* SPDX-License-Identifier: MIT */
/* test_words.c - word classes of labels (engine/words.h). */
#include "tests/support/support.h"

#include <string.h>

#include "engine/words.h"

static fz_word_class cls(const char *s)
{
    return fz_words_class(s, strlen(s));
}

static void test_words_every_listed_word_has_its_class(void **state)
{
    (void)state;
    const char *yes[] = {"yes",        "true",    "ok",    "pass",     "passed", "success",
                         "successful", "healthy", "valid", "approved", "accept", "accepted"};
    const char *no[] = {"no",       "false",  "fail", "failed", "failure", "unhealthy", "invalid",
                        "rejected", "reject", "deny", "denied", "decline", "declined",  "retry"};
    const char *err[] = {"error", "errors", "timeout", "exception", "catch", "crash", "crashed"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_int_equal(cls(yes[i]), FZ_WORD_YES);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(cls(no[i]), FZ_WORD_NO);
    for (size_t i = 0; i < sizeof(err) / sizeof(err[0]); i++)
        assert_int_equal(cls(err[i]), FZ_WORD_ERROR);
}

static void test_words_only_the_first_word_counts_in_any_case(void **state)
{
    (void)state;
    assert_int_equal(cls("Yes, deploy"), FZ_WORD_YES);
    assert_int_equal(cls("  OK!"), FZ_WORD_YES);
    assert_int_equal(cls("Retry/Rejected"), FZ_WORD_NO);
    assert_int_equal(cls("TIMEOUT after 30s"), FZ_WORD_ERROR);
    assert_int_equal(cls("No-go"), FZ_WORD_NO);
    assert_int_equal(cls("Deploy canary"), FZ_WORD_NONE);
    assert_int_equal(cls("Rolled back"), FZ_WORD_NONE);
    assert_int_equal(cls("Not ok"), FZ_WORD_NONE);
    assert_int_equal(cls("Yesterday"), FZ_WORD_NONE);
    assert_int_equal(cls("okay"), FZ_WORD_NONE);
}

static void test_words_empty_long_and_non_ascii_words_have_no_class(void **state)
{
    (void)state;
    assert_int_equal(cls(""), FZ_WORD_NONE);
    assert_int_equal(cls(" -- "), FZ_WORD_NONE);
    assert_int_equal(fz_words_class(NULL, 0), FZ_WORD_NONE);
    assert_int_equal(cls("yesyesyesyesyesyesyes"), FZ_WORD_NONE);
    assert_int_equal(cls("yes\xc3\xa9"), FZ_WORD_NONE);
    assert_int_equal(cls("\xc3\xa9 yes"), FZ_WORD_NONE);
    /* Only len bytes are read. */
    assert_int_equal(fz_words_class("no way", 2), FZ_WORD_NO);
    assert_int_equal(fz_words_class("nope", 2), FZ_WORD_NO);
}

static void test_words_first_gives_the_word_position(void **state)
{
    (void)state;
    size_t off = 9, len = 9;
    fz_words_first("  [Yes] go", 10, &off, &len);
    assert_int_equal(off, 3);
    assert_int_equal(len, 3);
    fz_words_first("...", 3, &off, &len);
    assert_int_equal(len, 0);
    assert_string_equal(fz_words_class_name(FZ_WORD_YES), "yes");
    assert_string_equal(fz_words_class_name(FZ_WORD_NO), "no");
    assert_string_equal(fz_words_class_name(FZ_WORD_ERROR), "error");
    assert_string_equal(fz_words_class_name(FZ_WORD_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_every_listed_word_has_its_class),
        cmocka_unit_test(test_words_only_the_first_word_counts_in_any_case),
        cmocka_unit_test(test_words_empty_long_and_non_ascii_words_have_no_class),
        cmocka_unit_test(test_words_first_gives_the_word_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
