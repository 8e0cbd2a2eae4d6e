/* SPDX-License-Identifier: MIT */
/* test_words.c - word classes of labels (parser/words.h). */
#include "tests/support/support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diag.h"
#include "parser/parser.h"
#include "parser/words.h"

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
    /* Invalid UTF-8 is no letter: it ends a word. */
    assert_int_equal(cls("ok\xff"), FZ_WORD_YES);
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

/* SEMANTICS.md's examples: a first word is the longest prefix of letters
 * and digits, any Unicode letter counting. */
static void test_words_unicode_letters_count_symbols_do_not(void **state)
{
    (void)state;
    assert_int_equal(cls("ok\xe2\x9c\x93"), FZ_WORD_YES);           /* ok✓ */
    assert_int_equal(cls("Yes\xc3\xa9"), FZ_WORD_NONE);              /* Yesé */
    assert_int_equal(cls("Timeout\xc3\xa9"), FZ_WORD_NONE);          /* Timeouté */
    assert_int_equal(cls("\xe2\x9c\x93 Yes"), FZ_WORD_YES);         /* ✓ Yes */
    assert_int_equal(cls("No\xe2\x86\x92retry"), FZ_WORD_NO);       /* No→retry */
    assert_int_equal(cls("\xce\xbdo"), FZ_WORD_NONE);                /* Greek nu + o */
    assert_int_equal(cls("yes\xd9\xa3"), FZ_WORD_NONE);              /* yes + Arabic-Indic 3 */
    assert_int_equal(cls("No\xcc\x81"), FZ_WORD_NONE);               /* No + combining acute */
    assert_int_equal(cls("OK\xf0\x9f\x91\x8d"), FZ_WORD_YES);      /* OK + emoji */
    assert_int_equal(cls("\xef\xbc\xaf\xef\xbc\xab"), FZ_WORD_NONE); /* fullwidth OK */
    size_t off = 0, len = 0;
    fz_words_first("\xe2\x9c\x93 Gepr\xc3\xbc" "ft!", 13, &off, &len);
    assert_int_equal(off, 4);
    assert_int_equal(len, 8);
}

static void test_words_failure_outcomes(void **state)
{
    (void)state;
    const char *yes[] = {"Rollback canary", "Trigger automatic rollback", "Rolled back",
                         "roll back the release", "Aborted", "Cancel order", "Payment failed",
                         "Revert commit", "Compensate booking", "Log error"};
    const char *no[] = {"No", "Retry", "Declined", "Create topic", "Send confirmation email",
                        "Back to start", "Rolled", "Rollout complete", "Failover"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(fz_words_names_failure(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(fz_words_names_failure(no[i], strlen(no[i])));
    assert_true(fz_words_is_failure_word("ABORT", 5));
    assert_false(fz_words_is_failure_word("abortx", 6));
}

/* Every edge label of the project's own workflows (the .fz files of workflows/, the
 * golden inputs) and of the parser's error goldens, with its class: a
 * label added to those files without an entry here fails the test. */
static const struct {
    const char *label;
    fz_word_class cls;
} pinned[] = {
    {"x", FZ_WORD_NONE},
    {"Yes", FZ_WORD_YES},
    {"No", FZ_WORD_NO},
    {"Requests", FZ_WORD_NONE},
    {"Deploy canary", FZ_WORD_NONE},
    {"Aborted", FZ_WORD_NONE},
    {"Monitor", FZ_WORD_NONE},
    {"Success", FZ_WORD_YES},
    {"Rolled back", FZ_WORD_NONE},
    {"Retry/Rejected", FZ_WORD_NO},
    {"Error", FZ_WORD_ERROR},
    {"Timeout", FZ_WORD_ERROR},
    {"Ticket", FZ_WORD_NONE},
    {"Ready", FZ_WORD_NONE},
    {"Paged", FZ_WORD_NONE},
    {"Acknowledged", FZ_WORD_NONE},
    {"> $50K", FZ_WORD_NONE},
    {"< $50K", FZ_WORD_NONE},
    {"No \xe2\x86\x92 Manual review (a+b=c)", FZ_WORD_NO},
    {"Signed: \"yes\"", FZ_WORD_NONE},
    {"Gepr\xc3\xbc" "ft \xe2\x9c\x93", FZ_WORD_NONE},
    {"Retry", FZ_WORD_NO},
    {"Receipt", FZ_WORD_NONE},
    {"GET /dashboard", FZ_WORD_NONE},
    {"SELECT widgets", FZ_WORD_NONE},
    {"200 OK", FZ_WORD_NONE},
    {"rows", FZ_WORD_NONE},
    {"Responses", FZ_WORD_NONE},
    {"Saved", FZ_WORD_NONE},
    {"Batch done", FZ_WORD_NONE},
};

static void pin_file(const char *path, unsigned *labels)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    (void)fz_parse_file(path, NULL, &d, &g);
    for (uint32_t i = 0; g && i < fz_graph_edge_count(g); i++) {
        const fz_edge *e = fz_graph_edge(g, i);
        if (!e->label.len)
            continue;
        const char *t = fz_graph_text(g, e->label);
        size_t k = 0, n = sizeof(pinned) / sizeof(pinned[0]);
        while (k < n && (strlen(pinned[k].label) != e->label.len ||
                         memcmp(pinned[k].label, t, e->label.len) != 0))
            k++;
        if (k == n)
            fail_msg("%s: edge label \"%.*s\" is not pinned in test_words.c", path,
                     (int)e->label.len, t);
        if (fz_words_class(t, e->label.len) != pinned[k].cls)
            fail_msg("%s: \"%.*s\" is %s, pinned as %s", path, (int)e->label.len, t,
                     fz_words_class_name(fz_words_class(t, e->label.len)),
                     fz_words_class_name(pinned[k].cls));
        /* The parser's note for lint carries the same class. */
        assert_int_equal(e->word & 7u, 1u + (unsigned)pinned[k].cls);
        (*labels)++;
    }
    fz_graph_free(g);
    fz_diags_fini(&d);
}

static void pin_dir(const char *rel, unsigned *files, unsigned *labels)
{
    const char *dir = fz_test_src(rel);
    char dpath[4096];
    snprintf(dpath, sizeof(dpath), "%s", dir);
    DIR *dh = opendir(dpath);
    assert_non_null(dh);
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 3, ".fz") != 0)
            continue;
        char path[4352];
        snprintf(path, sizeof(path), "%s/%s", dpath, de->d_name);
        pin_file(path, labels);
        (*files)++;
    }
    closedir(dh);
}

static void test_words_pin_every_label_of_the_project_workflows(void **state)
{
    (void)state;
    unsigned files = 0, labels = 0;
    pin_dir("workflows", &files, &labels);
    pin_dir("tests/golden/errors", &files, &labels);
    assert_true(files >= 30);
    assert_true(labels >= 30);
    for (size_t k = 0; k < sizeof(pinned) / sizeof(pinned[0]); k++)
        assert_int_equal(fz_words_class(pinned[k].label, strlen(pinned[k].label)), pinned[k].cls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_every_listed_word_has_its_class),
        cmocka_unit_test(test_words_only_the_first_word_counts_in_any_case),
        cmocka_unit_test(test_words_empty_long_and_non_ascii_words_have_no_class),
        cmocka_unit_test(test_words_first_gives_the_word_position),
        cmocka_unit_test(test_words_unicode_letters_count_symbols_do_not),
        cmocka_unit_test(test_words_failure_outcomes),
        cmocka_unit_test(test_words_pin_every_label_of_the_project_workflows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
