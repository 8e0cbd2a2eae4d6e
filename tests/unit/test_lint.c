/* SPDX-License-Identifier: MIT */
/* test_lint.c - every lint rule, positive and negative, keyed on its code;
 * word classes; start nodes; long chains; allocation failures. */
#include "tests/support/support.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/codes.h"
#include "parser/lint.h"
#include "parser/parser.h"

/* lint.c's emoji test, reached through FZ_STATIC (test builds only). */
bool fz__lint_is_emoji(uint32_t cp);

typedef struct linted {
    fz_graph *g;
    fz_diags d;
} linted;

/* Parses src (which must be free of errors) and lints it with o (NULL:
 * fz_lint's defaults). */
static void lint_src_with(linted *l, const char *src, const fz_lint_opts *o)
{
    fz_diags_init(&l->d, NULL);
    l->g = NULL;
    int rc = fz_parse_mem("t.fz", src, strlen(src), NULL, &l->d, &l->g);
    if (rc != 0) {
        for (uint32_t i = 0; i < fz_diags_count(&l->d); i++)
            print_error("%s: %s\n", fz_diags_at(&l->d, i)->code, fz_diags_at(&l->d, i)->message);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(l->d.errors, 0);
    if (o)
        assert_int_equal(fz_lint_with(l->g, &l->d, o), 0);
    else
        assert_int_equal(fz_lint(l->g, &l->d), 0);
}

static void lint_src(linted *l, const char *src)
{
    lint_src_with(l, src, NULL);
}

static void lint_done(linted *l)
{
    fz_graph_free(l->g);
    fz_diags_fini(&l->d);
}

static unsigned count(const linted *l, fz_lint_code code)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < fz_diags_count(&l->d); i++)
        if (strcmp(fz_diags_at(&l->d, i)->code, fz_lint_code_name(code)) == 0)
            n++;
    return n;
}

static const fz_diag *first(const linted *l, fz_lint_code code)
{
    for (uint32_t i = 0; i < fz_diags_count(&l->d); i++)
        if (strcmp(fz_diags_at(&l->d, i)->code, fz_lint_code_name(code)) == 0)
            return fz_diags_at(&l->d, i);
    fail_msg("no %s diagnostic", fz_lint_code_name(code));
    return NULL;
}

/* Asserts the diagnostic's caret starts at the first occurrence of `at` in
 * src and covers len bytes. */
static void assert_at(const char *src, const fz_diag *dg, const char *at, uint32_t len)
{
    const char *p = strstr(src, at);
    assert_non_null(p);
    assert_int_equal(dg->offset, (uint32_t)(p - src));
    assert_int_equal(dg->length, len);
}

/* Runs src and asserts exactly `want` diagnostics of code. */
static void expect(const char *src, fz_lint_code code, unsigned want)
{
    linted l;
    lint_src(&l, src);
    if (count(&l, code) != want)
        for (uint32_t i = 0; i < fz_diags_count(&l.d); i++)
            print_error("  %s %s\n", fz_diags_at(&l.d, i)->code, fz_diags_at(&l.d, i)->message);
    assert_int_equal(count(&l, code), want);
    lint_done(&l);
}

#define CHAIN3                                                                                 \
    "n1: circle label:\"Start\"\n"                                                             \
    "n2: rectangle label:\"Work\"\n"                                                           \
    "n3: circle label:\"End\"\n"                                                               \
    "n1.handle(right) -> n2.handle(left)\n"                                                    \
    "n2.handle(right) -> n3.handle(left)\n"

/*==========================================================================
 * W1xx
 *========================================================================*/

static void test_lint_clean_chain_has_no_warnings(void **state)
{
    (void)state;
    linted l;
    lint_src(&l, "A { # Lane A\n" CHAIN3 "}\n");
    assert_int_equal(fz_diags_count(&l.d), 0);
    lint_done(&l);
}

static void test_lint_w101_reports_gap_once_at_first_id_past_n(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: rectangle label:\"Work\"\n"
                      "n5: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "n2.handle(right) -> n5.handle(left)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W101), 1);
    const fz_diag *dg = first(&l, FZ_LINT_W101);
    assert_at(src, dg, "n5:", 2);
    assert_non_null(strstr(dg->message, "n3 is missing"));
    lint_done(&l);
}

static void test_lint_w101_accepts_out_of_order_ids(void **state)
{
    (void)state;
    expect("A {\n"
           "n3: circle label:\"End\"\n"
           "n1: circle label:\"Start\"\n"
           "n2: rectangle label:\"Work\"\n"
           "n1.handle(right) -> n2.handle(left)\n"
           "n2.handle(right) -> n3.handle(left)\n"
           "}\n",
           FZ_LINT_W101, 0);
}

static void test_lint_w102_node_in_no_edge(void **state)
{
    (void)state;
    const char *src = "A {\n" CHAIN3 "n4: rectangle label:\"Alone\"\n}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W102), 1);
    assert_at(src, first(&l, FZ_LINT_W102), "n4:", 2);
    /* Reported once: not again as unreachable. */
    assert_int_equal(count(&l, FZ_LINT_W202), 0);
    lint_done(&l);
}

static void test_lint_w102_loop_listing_counts_as_connection(void **state)
{
    (void)state;
    expect("A {\n" CHAIN3 "n4: rectangle label:\"Retry me\"\nloop [retry] n2 n4\n}\n", FZ_LINT_W102, 0);
}

static const char *two_lanes_bare =
    "A { # Lane A\n"
    "n1: circle label:\"Start\"\n"
    "n2: rectangle label:\"Ask\"\n"
    "n1.handle(right) -> n2.handle(left)\n"
    "n2.handle(bottom) -> n3.handle(top)\n"
    "n5: circle label:\"End\"\n"
    "}\n"
    "B { # Lane B\n"
    "n3: rectangle label:\"Answer\"\n"
    "n4: rectangle label:\"Reply\"\n"
    "n3.handle(right) -> n4.handle(left)\n"
    "n4.handle(top) -> A.n5.handle(bottom)\n"
    "}\n";

static void test_lint_w103_bare_id_of_another_lane(void **state)
{
    (void)state;
    linted l;
    lint_src(&l, two_lanes_bare);
    assert_int_equal(count(&l, FZ_LINT_W103), 1);
    const fz_diag *dg = first(&l, FZ_LINT_W103);
    assert_at(two_lanes_bare, dg, "n3.handle(top)", 2);
    assert_non_null(strstr(dg->message, "B.n3"));
    lint_done(&l);
}

static void test_lint_w103_prefixed_and_own_lane_ids_are_fine(void **state)
{
    (void)state;
    expect("A {\n" CHAIN3 "n2.handle(bottom) -> A.n3.handle(top)\n}\n", FZ_LINT_W103, 0);
}

static void test_lint_w104_edge_in_target_lane_and_top_level(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n3: circle label:\"End\"\n"
                      "}\n"
                      "B {\n"
                      "n2: rectangle label:\"Work\"\n"
                      "n1.handle(right) -> B.n2.handle(left)\n"
                      "n2.handle(top) -> A.n3.handle(bottom)\n"
                      "}\n"
                      "n2.handle(right) -> A.n3.handle(left)\n"
                      "loop [retry] n2 n3\n";
    linted l;
    lint_src(&l, src);
    /* The edge in B from n1 (lane A), the top-level edge and the top-level loop. */
    assert_int_equal(count(&l, FZ_LINT_W104), 3);
    const fz_diag *dg = first(&l, FZ_LINT_W104);
    assert_at(src, dg, "n1.handle(right) -> B.n2.handle(left)",
              (uint32_t)strlen("n1.handle(right) -> B.n2.handle(left)"));
    /* The bare source is covered by W104, not repeated as W103. */
    assert_int_equal(count(&l, FZ_LINT_W103), 0);
    lint_done(&l);
}

static void test_lint_w104_loop_in_lane_of_one_of_its_nodes_is_fine(void **state)
{
    (void)state;
    expect(two_lanes_bare, FZ_LINT_W104, 0);
    expect("A {\n" CHAIN3 "}\nB {\nn4: rectangle label:\"X\"\nn4.handle(left) -> A.n2.handle(right)\n"
           "loop [retry 2 times] n2 n4\n}\n",
           FZ_LINT_W104, 0);
}

static void test_lint_w105_unknown_attribute_key(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: taskbox label:\"Work\" owner:\"Ann\" colour:\"red\" system:\"SAP\" "
                      "description:\"d\"\n"
                      "n3: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "n2.handle(right) -> n3.handle(left)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W105), 1);
    assert_at(src, first(&l, FZ_LINT_W105), "colour", 6);
    lint_done(&l);
}

static void test_lint_w106_emoji_but_not_arrows_or_accents(void **state)
{
    (void)state;
    const char *src = "A { # Team \xF0\x9F\x9A\x80\n"
                      "n1: circle label:\"Start \xE2\x9C\x85\"\n"
                      "n2: rectangle label:\"Pr\xC3\xBC" "fung \xE2\x86\x92 ok \xE2\x9C\x93\"\n"
                      "n3: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left) [label=\"go \xE2\x9D\xA4\xEF\xB8\x8F\"]\n"
                      "n2.handle(right) -> n3.handle(left) [label=\"No \xE2\x86\x92 review\"]\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    /* Lane label rocket, node check-mark button, edge heart + VS16. */
    assert_int_equal(count(&l, FZ_LINT_W106), 3);
    for (uint32_t i = 0; i < fz_diags_count(&l.d); i++) {
        const fz_diag *dg = fz_diags_at(&l.d, i);
        if (strcmp(dg->code, fz_lint_code_name(FZ_LINT_W106)) == 0)
            assert_true((unsigned char)src[dg->offset] >= 0xE2);
    }
    lint_done(&l);
}

/* The parser notes which strings could hold an emoji so that lint need not
 * scan the file: an emoji only in a lane label, or right after a backslash
 * in a string, or in an escaped string, is still found. */
static void test_lint_w106_found_where_the_parser_notes_no_string(void **state)
{
    (void)state;
    linted l;
    lint_src(&l, "A { # Team \xF0\x9F\x9A\x80\n"
                 "n1: circle label:\"Start\"\n"
                 "n1.handle(right) -> n2.handle(left)\n"
                 "n2: circle label:\"End\"\n"
                 "}\n");
    assert_int_equal(l.g->strings_high, 1);
    assert_int_equal(count(&l, FZ_LINT_W106), 1);
    lint_done(&l);
    lint_src(&l, "A {\n"
                 "n1: circle label:\"Start \\\xE2\x9C\x85\"\n"
                 "n1.handle(right) -> n2.handle(left) [label=\"say \\\"go\\\" \xE2\x9D\x8C\"]\n"
                 "n2: circle label:\"End\"\n"
                 "}\n");
    assert_int_equal(l.g->strings_high, 2);
    assert_int_equal(count(&l, FZ_LINT_W106), 2);
    lint_done(&l);
}

/* Every word of the class table is found, in any case, by the table-driven
 * scan (its first-letter filter must know every first letter). */
static void test_lint_word_class_knows_every_class_word(void **state)
{
    (void)state;
    static const char *yes[] = {"yes", "true", "ok", "pass", "passed", "success", "successful",
                                "healthy", "valid", "approved", "accept", "accepted"};
    static const char *no[] = {"no", "false", "fail", "failed", "failure", "unhealthy",
                               "invalid", "rejected", "reject", "deny", "denied", "decline",
                               "declined", "retry"};
    static const char *err[] = {"error", "errors", "timeout", "exception", "catch", "crash",
                                "crashed"};
    char up[32];
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_int_equal(fz_words_class(yes[i], strlen(yes[i])), FZ_WORD_YES);
        for (size_t k = 0; k <= strlen(yes[i]); k++)
            up[k] = (char)(yes[i][k] >= 'a' ? yes[i][k] - 32 : yes[i][k]);
        assert_int_equal(fz_words_class(up, strlen(up)), FZ_WORD_YES);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(fz_words_class(no[i], strlen(no[i])), FZ_WORD_NO);
    for (size_t i = 0; i < sizeof(err) / sizeof(err[0]); i++)
        assert_int_equal(fz_words_class(err[i], strlen(err[i])), FZ_WORD_ERROR);
    /* The label word: class in bits 0-2, equal hashes for labels equal
     * after trimming and case folding. */
    uint8_t a = fz_lint_label_word(" Yes\t", 5), b = fz_lint_label_word("yES", 3);
    assert_int_equal(FZ_LINT_WORD_CLASS(a), FZ_WORD_YES);
    assert_int_equal(FZ_LINT_WORD_HASH(a), FZ_LINT_WORD_HASH(b));
    assert_int_equal(FZ_LINT_WORD_CLASS(fz_lint_label_word("", 0)), FZ_WORD_NONE);
}

/* Options with the flowzap group on (check -Wflowzap). */
static fz_lint_opts flowzap_on(void)
{
    fz_lint_opts o;
    fz_lint_opts_init(&o);
    assert_int_equal(fz_lint_code_bits("flowzap", &o.enable), 0);
    return o;
}

static unsigned count_with(const char *src, const fz_lint_opts *o, fz_lint_code code)
{
    linted l;
    lint_src_with(&l, src, o);
    unsigned n = count(&l, code);
    lint_done(&l);
    return n;
}

/* user -> app -> service -> user: a round trip a run is happy with. */
static const char *round_trip = "user {\n"
                                "n1: circle label:\"Start\"\n"
                                "n4: circle label:\"End\"\n"
                                "n1.handle(right) -> app.n2.handle(left)\n"
                                "}\n"
                                "app {\n"
                                "n2: rectangle label:\"Handle\"\n"
                                "n2.handle(right) -> service.n3.handle(left)\n"
                                "}\n"
                                "service {\n"
                                "n3: rectangle label:\"Work\"\n"
                                "n3.handle(right) -> user.n4.handle(left)\n"
                                "}\n";

static void test_lint_w107_is_off_by_default_and_on_with_the_flowzap_group(void **state)
{
    (void)state;
    fz_lint_opts o = flowzap_on();
    assert_int_equal(count_with(round_trip, NULL, FZ_LINT_W107), 0);
    /* FlowZap's rule: every one of the three requests is unanswered. */
    linted l;
    lint_src_with(&l, round_trip, &o);
    assert_int_equal(count(&l, FZ_LINT_W107), 3);
    const fz_diag *dg = first(&l, FZ_LINT_W107);
    assert_at(round_trip, dg, "n1.handle(right)",
              (uint32_t)strlen("n1.handle(right) -> app.n2.handle(left)"));
    assert_non_null(strstr(dg->message, "request from lane user to lane app (n1 -> n2) is not "
                                        "answered by an edge from app back to user before the "
                                        "next cross-lane request (n2 -> n3)"));
    lint_done(&l);
    /* -W W107 is the same as -Wflowzap; a later -Wno-W107 wins. */
    fz_lint_opts w;
    fz_lint_opts_init(&w);
    assert_int_equal(fz_lint_code_bits("w107", &w.enable), 0);
    assert_int_equal(count_with(round_trip, &w, FZ_LINT_W107), 3);
    uint32_t bits = 0;
    assert_int_equal(fz_lint_code_bits("W001", &bits), FZ_EINVAL); /* a parser warning */
    assert_int_equal(fz_lint_code_bits("E002", &bits), FZ_EINVAL);
    assert_int_equal(fz_lint_code_bits("W299", &bits), FZ_EINVAL);
    assert_int_equal(fz_lint_code_bits("sequence", &bits), FZ_EINVAL);
}

/* The exact statement: a request from A to B must be answered by an edge
 * from B back to A, in edge order, before the next cross-lane request. */
static void test_lint_w107_ping_pong_in_edge_order(void **state)
{
    (void)state;
    fz_lint_opts o = flowzap_on();
    /* Answered at once, twice over: clean. Edges inside a lane do not
     * count as requests. */
    const char *pingpong = "A {\n"
                           "n1: circle label:\"Start\"\n"
                           "n2: rectangle label:\"Show\"\n"
                           "n5: circle label:\"End\"\n"
                           "n1.handle(right) -> B.n3.handle(left)\n"
                           "}\n"
                           "B {\n"
                           "n3: rectangle label:\"Work\"\n"
                           "n4: rectangle label:\"Answer\"\n"
                           "n3.handle(right) -> n4.handle(left)\n"
                           "n4.handle(top) -> A.n2.handle(bottom)\n"
                           "}\n"
                           "n2.handle(right) -> B.n4.handle(left)\n"
                           "n4.handle(bottom) -> A.n5.handle(top)\n";
    assert_int_equal(count_with(pingpong, &o, FZ_LINT_W107), 0);
    /* The answer exists but comes after another request: reported. */
    const char *late = "A {\n"
                       "n1: circle label:\"Start\"\n"
                       "n4: circle label:\"End\"\n"
                       "n1.handle(right) -> B.n2.handle(left)\n"
                       "n1.handle(bottom) -> C.n3.handle(top)\n"
                       "}\n"
                       "B {\n"
                       "n2: rectangle label:\"Work\"\n"
                       "n2.handle(right) -> A.n4.handle(left)\n"
                       "}\n"
                       "C {\n"
                       "n3: circle label:\"Log\"\n"
                       "n3.handle(right) -> A.n4.handle(top)\n"
                       "}\n";
    linted l;
    lint_src_with(&l, late, &o);
    /* A->B (A->C came next), A->C (B->A came next), B->A and C->A (each a
     * request of its own, neither answered in turn). */
    assert_int_equal(count(&l, FZ_LINT_W107), 4);
    assert_at(late, first(&l, FZ_LINT_W107), "n1.handle(right)",
              (uint32_t)strlen("n1.handle(right) -> B.n2.handle(left)"));
    lint_done(&l);
    /* A one-way hand-off at the end is never answered. */
    assert_int_equal(count_with(two_lanes_bare, &o, FZ_LINT_W107), 0);
}

/*==========================================================================
 * W2xx
 *========================================================================*/

static void test_lint_w201_cycle_without_start_warns_at_first_declared(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n2.handle(right) -> n1.handle(left)\n"
                      "n1: rectangle label:\"Ping\"\n"
                      "n2: rectangle label:\"Pong\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W201), 1);
    assert_at(src, first(&l, FZ_LINT_W201), "n1: rectangle", 2);
    uint32_t s[4];
    assert_int_equal(fz_lint_starts(l.g, s, 4), 1);
    assert_int_equal(s[0], fz_graph_find_node(l.g, "n1", 2));
    lint_done(&l);
}

static void test_lint_starts_prefer_circles_then_sources(void **state)
{
    (void)state;
    linted l;
    /* n2 has no incoming edge but is not a circle: n1 alone starts. */
    lint_src(&l, "A {\n" CHAIN3 "n4: rectangle label:\"Side\"\nn4.handle(right) -> n3.handle(top)\n}\n");
    uint32_t s[4];
    assert_int_equal(fz_lint_starts(l.g, s, 4), 1);
    assert_int_equal(s[0], fz_graph_find_node(l.g, "n1", 2));
    assert_int_equal(count(&l, FZ_LINT_W201), 0);
    assert_int_equal(count(&l, FZ_LINT_W202), 1);
    lint_done(&l);
    /* No circles: every node without an incoming edge starts. */
    lint_src(&l, "A {\nn1: rectangle label:\"a\"\nn2: rectangle label:\"b\"\n"
                 "n3: rectangle label:\"c\"\nn1.handle(right) -> n3.handle(left)\n"
                 "n2.handle(right) -> n3.handle(top)\n}\n");
    assert_int_equal(fz_lint_starts(l.g, s, 4), 2);
    assert_int_equal(count(&l, FZ_LINT_W202), 0);
    lint_done(&l);
}

static void test_lint_w202_unreachable_region_reported_once_at_entry(void **state)
{
    (void)state;
    const char *src = "A {\n" CHAIN3 "n4: rectangle label:\"Orphan\"\n"
                      "n5: rectangle label:\"After orphan\"\n"
                      "n4.handle(right) -> n5.handle(left)\n"
                      "n5.handle(right) -> n3.handle(top)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W202), 1);
    const fz_diag *dg = first(&l, FZ_LINT_W202);
    assert_at(src, dg, "n4:", 2);
    assert_non_null(strstr(dg->message, "1 node after it"));
    lint_done(&l);
}

static void test_lint_w202_unreachable_cycle_and_loop_reach(void **state)
{
    (void)state;
    /* n4 <-> n5 is a cycle nothing enters: reported once. */
    expect("A {\n" CHAIN3 "n4: rectangle label:\"x\"\nn5: rectangle label:\"y\"\n"
           "n4.handle(right) -> n5.handle(left)\nn5.handle(left) -> n4.handle(right)\n}\n",
           FZ_LINT_W202, 1);
    /* A loop's first node is reachable through the loop from n2. */
    expect("A {\n" CHAIN3 "n4: rectangle label:\"Prepare\"\n"
           "n4.handle(right) -> n2.handle(top)\nloop [retry 2 times] n4 n2\n}\n",
           FZ_LINT_W202, 0);
}

static void test_lint_w203_trap_cycle(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: diamond label:\"Ready?\"\n"
                      "n3: rectangle label:\"Wait\"\n"
                      "n4: rectangle label:\"Spin\"\n"
                      "n5: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "n2.handle(right) -> n5.handle(left) [label=\"Yes\"]\n"
                      "n2.handle(bottom) -> n3.handle(top) [label=\"No\"]\n"
                      "n3.handle(right) -> n4.handle(left)\n"
                      "n4.handle(left) -> n3.handle(right)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W203), 1);
    const fz_diag *dg = first(&l, FZ_LINT_W203);
    assert_at(src, dg, "n3:", 2);
    assert_non_null(strstr(dg->message, "2 nodes caught"));
    lint_done(&l);
    /* With a way out of the cycle, no trap. */
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Wait\"\n"
           "n3: diamond label:\"Done?\"\nn4: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n"
           "n3.handle(bottom) -> n2.handle(bottom) [label=\"No\"]\n"
           "n3.handle(right) -> n4.handle(left) [label=\"Yes\"]\n}\n",
           FZ_LINT_W203, 0);
}

static void test_lint_w203_no_end_at_all(void **state)
{
    (void)state;
    linted l;
    lint_src(&l, "A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"a\"\n"
                 "n3: rectangle label:\"b\"\nn1.handle(right) -> n2.handle(left)\n"
                 "n2.handle(right) -> n3.handle(left)\nn3.handle(left) -> n2.handle(right)\n}\n");
    assert_int_equal(count(&l, FZ_LINT_W203), 1);
    assert_non_null(strstr(first(&l, FZ_LINT_W203)->message, "every node has an outgoing edge"));
    lint_done(&l);
}

#define DECISION_HEAD                                                                          \
    "A {\n"                                                                                    \
    "n1: circle label:\"Start\"\n"                                                             \
    "n2: diamond label:\"Ok?\"\n"                                                              \
    "n3: circle label:\"End\"\n"                                                               \
    "n4: circle label:\"Other end\"\n"                                                         \
    "n1.handle(right) -> n2.handle(left)\n"

static void test_lint_w204_decision_with_one_branch(void **state)
{
    (void)state;
    const char *src = DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                                    "n1.handle(bottom) -> n4.handle(top)\n}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W204), 1);
    assert_at(src, first(&l, FZ_LINT_W204), "n2: diamond", 2);
    lint_done(&l);
    expect(DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                         "n2.handle(bottom) -> n4.handle(top) [label=\"No\"]\n}\n",
           FZ_LINT_W204, 0);
}

static void test_lint_w205_two_unlabelled_branches_but_one_default_is_fine(void **state)
{
    (void)state;
    const char *src = DECISION_HEAD "n2.handle(right) -> n3.handle(left)\n"
                                    "n2.handle(bottom) -> n4.handle(top)\n}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W205), 1);
    assert_at(src, first(&l, FZ_LINT_W205), "n2.handle(bottom)",
              (uint32_t)strlen("n2.handle(bottom) -> n4.handle(top)"));
    lint_done(&l);
    expect(DECISION_HEAD "n2.handle(right) -> n3.handle(left)\n"
                         "n2.handle(bottom) -> n4.handle(top) [label=\"Retry/Rejected\"]\n}\n",
           FZ_LINT_W205, 0);
}

static void test_lint_w206_duplicate_branch_labels_trimmed_any_case(void **state)
{
    (void)state;
    const char *src = DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                                    "n2.handle(bottom) -> n4.handle(top) [label=\" yes \"]\n}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W206), 1);
    assert_at(src, first(&l, FZ_LINT_W206), "n2.handle(bottom)",
              (uint32_t)strlen("n2.handle(bottom) -> n4.handle(top) [label=\" yes \"]"));
    lint_done(&l);
    expect(DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                         "n2.handle(bottom) -> n4.handle(top) [label=\"Yes, later\"]\n}\n",
           FZ_LINT_W206, 0);
}

static void test_lint_w207_canary_rollback_merges_into_success(void **state)
{
    (void)state;
    size_t len = 0;
    char *src = fz_test_read_file(fz_test_src("workflows/canary-deploy.fz"), &len);
    assert_non_null(src);
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W207), 2);
    const fz_diag *dg = first(&l, FZ_LINT_W207);
    assert_at(src, dg, "n11.handle(top) -> Deployment.n4",
              (uint32_t)strlen("n11.handle(top) -> Deployment.n4.handle(bottom) [label=\"Aborted\"]"));
    assert_non_null(strstr(dg->message, "\"Rollback canary\""));
    assert_non_null(strstr(dg->message, "n4 \"Complete rollout\""));
    assert_non_null(strstr(dg->message, "n5 \"End\""));
    assert_non_null(strstr(dg->message, "n9 \"Metrics healthy?\" answers \"No\""));
    assert_non_null(strstr(dg->hint, "own end node"));
    lint_done(&l);
    free(src);
}

static void test_lint_w207_separate_failure_end_and_retry_loops_are_fine(void **state)
{
    (void)state;
    /* The failure path has its own end. */
    expect(DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                         "n2.handle(bottom) -> n4.handle(top) [label=\"No\"]\n}\n",
           FZ_LINT_W207, 0);
    /* A retry goes back upstream of the decision: not a merge. */
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Try\"\n"
           "n3: diamond label:\"Worked?\"\nn4: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n"
           "n3.handle(right) -> n4.handle(left)\n"
           "n3.handle(bottom) -> n2.handle(bottom) [label=\"Retry\"]\n}\n",
           FZ_LINT_W207, 0);
    /* An error edge straight into the success path is a merge. */
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Call\"\n"
           "n3: rectangle label:\"Use answer\"\nn4: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n"
           "n2.handle(bottom) -> n3.handle(bottom) [label=\"Timeout\"]\n"
           "n3.handle(right) -> n4.handle(left)\n}\n",
           FZ_LINT_W207, 1);
}

static void test_lint_w207_retry_to_an_earlier_success_node_is_not_a_merge(void **state)
{
    (void)state;
    /* n4 is on the success path of n3's "Yes"; n6 answering "No" goes back
     * to n4, which leads to n6 again: a retry, not a merge. */
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Prepare\"\n"
           "n3: diamond label:\"Ready?\"\nn4: rectangle label:\"Deploy\"\n"
           "n5: circle label:\"Cancelled\"\nn6: diamond label:\"Healthy?\"\n"
           "n7: circle label:\"Done\"\n"
           "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n"
           "n3.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
           "n3.handle(bottom) -> n5.handle(top) [label=\"No\"]\n"
           "n4.handle(right) -> n6.handle(left)\n"
           "n6.handle(right) -> n7.handle(left) [label=\"Yes\"]\n"
           "n6.handle(bottom) -> n4.handle(bottom) [label=\"No, retry\"]\n}\n",
           FZ_LINT_W207, 0);
}

/* A plain branch that rejoins the flow is how diagrams are drawn: no
 * failure outcome is named on the way, so no W207. */
static void test_lint_w207_plain_branch_rejoining_is_fine(void **state)
{
    (void)state;
    const char *topic = "A {\n"
                        "n1: circle label:\"Start\"\n"
                        "n2: diamond label:\"Topic exists?\"\n"
                        "n3: rectangle label:\"Create topic\"\n"
                        "n4: rectangle label:\"Publish message\"\n"
                        "n5: circle label:\"End\"\n"
                        "n1.handle(right) -> n2.handle(left)\n"
                        "n2.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
                        "n2.handle(bottom) -> n3.handle(top) [label=\"No\"]\n"
                        "n3.handle(right) -> n4.handle(bottom)\n"
                        "n4.handle(right) -> n5.handle(left)\n"
                        "}\n";
    expect(topic, FZ_LINT_W207, 0);
    /* The same shape through a rollback warns, at the merging edge. */
    const char *rollback = "A {\n"
                           "n1: circle label:\"Start\"\n"
                           "n2: diamond label:\"Migration ok?\"\n"
                           "n3: rectangle label:\"Roll back schema\"\n"
                           "n4: rectangle label:\"Notify team\"\n"
                           "n5: circle label:\"End\"\n"
                           "n1.handle(right) -> n2.handle(left)\n"
                           "n2.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
                           "n2.handle(bottom) -> n3.handle(top) [label=\"No\"]\n"
                           "n3.handle(right) -> n4.handle(bottom)\n"
                           "n4.handle(right) -> n5.handle(left)\n"
                           "}\n";
    linted l;
    lint_src(&l, rollback);
    assert_int_equal(count(&l, FZ_LINT_W207), 1);
    assert_at(rollback, first(&l, FZ_LINT_W207), "n3.handle(right) -> n4",
              (uint32_t)strlen("n3.handle(right) -> n4.handle(bottom)"));
    lint_done(&l);
    /* A failure outcome on the negative edge itself counts too. */
    expect("A {\nn1: circle label:\"Start\"\nn2: diamond label:\"Paid?\"\n"
           "n3: rectangle label:\"Ship\"\nn4: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\n"
           "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
           "n2.handle(bottom) -> n3.handle(bottom) [label=\"No, payment cancelled\"]\n"
           "n3.handle(right) -> n4.handle(left)\n}\n",
           FZ_LINT_W207, 1);
}

/* Inside a loop scope the loop retries: a Decline/Retry edge there that
 * rejoins the flow is not a merge, even through a failure outcome. */
static void test_lint_w207_never_inside_a_loop_scope(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: rectangle label:\"Charge card\"\n"
                      "n3: diamond label:\"Accepted?\"\n"
                      "n4: rectangle label:\"Cancel attempt\"\n"
                      "n5: rectangle label:\"Send receipt\"\n"
                      "n6: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "n2.handle(right) -> n3.handle(left)\n"
                      "n3.handle(right) -> n5.handle(left) [label=\"Yes\"]\n"
                      "n3.handle(bottom) -> n4.handle(top) [label=\"Decline/Retry\"]\n"
                      "n4.handle(right) -> n5.handle(bottom)\n"
                      "n5.handle(right) -> n6.handle(left)\n"
                      "loop [retry up to 3 times] n2 n3 n4\n"
                      "}\n";
    expect(src, FZ_LINT_W207, 0);
}

/* FlowZap's own loop example: the final "Valid?" has one edge in (none
 * out); the loop is its other branch. */
static void test_lint_w204_not_for_the_last_node_of_a_loop(void **state)
{
    (void)state;
    expect("flow { # Flow\nn1: rectangle label:\"Validate\"\nn2: diamond label:\"Valid?\"\n"
           "n1.handle(right) -> n2.handle(left)\nloop [retry until valid] n1 n2\n}\n",
           FZ_LINT_W204, 0);
    /* Not the last node of its loop: still reported. */
    expect("flow { # Flow\nn1: diamond label:\"Valid?\"\nn2: rectangle label:\"Validate\"\n"
           "n1.handle(right) -> n2.handle(left)\nloop [retry until valid] n1 n2\n}\n",
           FZ_LINT_W204, 1);
}

static void test_lint_w209_node_whose_every_edge_is_an_error_edge(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: rectangle label:\"Call API\"\n"
                      "n3: rectangle label:\"Log\"\n"
                      "n4: circle label:\"End\"\n"
                      "n1.handle(right) -> n2.handle(left)\n"
                      "n2.handle(right) -> n3.handle(left) [label=\"Error\"]\n"
                      "n2.handle(bottom) -> n3.handle(top) [label=\"Timeout\"]\n"
                      "n3.handle(right) -> n4.handle(left)\n"
                      "}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W209), 1);
    assert_at(src, first(&l, FZ_LINT_W209), "n2: rectangle", 2);
    assert_non_null(strstr(first(&l, FZ_LINT_W209)->message, "all error edges"));
    lint_done(&l);
    /* One error edge is a lone edge (taken after ok); a way on besides the
     * error edges is fine. */
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Call\"\nn3: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\n"
           "n2.handle(right) -> n3.handle(left) [label=\"Error\"]\n}\n",
           FZ_LINT_W209, 0);
    expect("A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Call\"\nn3: circle label:\"End\"\n"
           "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n"
           "n2.handle(bottom) -> n3.handle(top) [label=\"Error\"]\n}\n",
           FZ_LINT_W209, 0);
}

/* -Wno-CODE / --ignore CODE: the warning leaves the list and goes to the
 * silenced list, with what silenced it. */
static void test_lint_command_line_disable_lists_silenced(void **state)
{
    (void)state;
    size_t len = 0;
    char *src = fz_test_read_file(fz_test_src("workflows/canary-deploy.fz"), &len);
    assert_non_null(src);
    fz_diags quiet;
    fz_diags_init(&quiet, NULL);
    fz_lint_opts o;
    fz_lint_opts_init(&o);
    assert_int_equal(fz_lint_code_bits(fz_lint_code_name(FZ_LINT_W207), &o.disable), 0);
    o.silenced = &quiet;
    linted l;
    lint_src_with(&l, src, &o);
    assert_int_equal(count(&l, FZ_LINT_W207), 0);
    assert_int_equal(fz_diags_count(&quiet), 2);
    assert_string_equal(fz_diags_at(&quiet, 0)->code, fz_lint_code_name(FZ_LINT_W207));
    assert_non_null(strstr(fz_diags_at(&quiet, 0)->hint, "command line"));
    assert_non_null(strstr(fz_diags_at(&quiet, 0)->message, "Rollback canary"));
    lint_done(&l);
    /* Without a silenced list, they are simply gone. */
    o.silenced = NULL;
    assert_int_equal(count_with(src, &o, FZ_LINT_W207), 0);
    assert_int_equal(count_with(src, NULL, FZ_LINT_W207), 2);
    fz_diags_fini(&quiet);
    free(src);
}

/* `// flowzap: ignore CODE` on a line of its own silences the code on the
 * next statement line; `ignore-file` in the whole file; W210 for a comment
 * that names no code. */
static void test_lint_in_file_ignore_and_ignore_file(void **state)
{
    (void)state;
    const char *src = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "// flowzap: ignore W102\n"
                      "\n"
                      "// another comment\n"
                      "n2: rectangle label:\"Alone\"\n"
                      "n3: rectangle label:\"Also alone\"\n"
                      "n4: circle label:\"End\"\n"
                      "n1.handle(right) -> n4.handle(left)\n"
                      "}\n";
    fz_diags quiet;
    fz_diags_init(&quiet, NULL);
    fz_lint_opts o;
    fz_lint_opts_init(&o);
    o.silenced = &quiet;
    linted l;
    lint_src_with(&l, src, &o);
    assert_int_equal(count(&l, FZ_LINT_W102), 1); /* n3 only */
    assert_at(src, first(&l, FZ_LINT_W102), "n3: rect", 2);
    assert_int_equal(fz_diags_count(&quiet), 1);
    assert_non_null(strstr(fz_diags_at(&quiet, 0)->hint, "`// flowzap: ignore W102` on line 3"));
    assert_int_equal(count(&l, FZ_LINT_W210), 0);
    lint_done(&l);
    fz_diags_fini(&quiet);

    const char *file = "// flowzap: ignore-file W102, W101\n"
                       "A {\n"
                       "n1: circle label:\"Start\"\n"
                       "n2: rectangle label:\"Alone\"\n"
                       "n3: rectangle label:\"Also alone\"\n"
                       "n5: circle label:\"End\"\n"
                       "n1.handle(right) -> n5.handle(left)\n"
                       "}\n";
    fz_diags_init(&quiet, NULL);
    lint_src_with(&l, file, &o);
    assert_int_equal(count(&l, FZ_LINT_W102), 0);
    assert_int_equal(count(&l, FZ_LINT_W101), 0);
    assert_int_equal(fz_diags_count(&quiet), 3);
    assert_non_null(strstr(fz_diags_at(&quiet, 0)->hint, "ignore-file W10"));
    lint_done(&l);
    fz_diags_fini(&quiet);

    /* A directive after a statement, a misspelt one, an unknown code. */
    const char *bad = "A {\n"
                      "n1: circle label:\"Start\"\n"
                      "//flowzap: ignroe W102\n"
                      "// flowzap: ignore W999 sequence\n"
                      "// flowzap: ignore\n"
                      "n2: rectangle label:\"Alone\" // flowzap: ignore W102\n"
                      "n3: circle label:\"End\"\n"
                      "n1.handle(right) -> n3.handle(left)\n"
                      "}\n";
    lint_src(&l, bad);
    assert_int_equal(count(&l, FZ_LINT_W102), 1);
    assert_int_equal(count(&l, FZ_LINT_W210), 4);
    lint_done(&l);
}

static void test_lint_lists_at_most_the_cap_per_code_and_counts_the_rest(void **state)
{
    (void)state;
    size_t cap = 64 * 300, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    len += (size_t)snprintf(src + len, cap - len, "A {\n" CHAIN3);
    for (int i = 4; i < 254; i++)
        len += (size_t)snprintf(src + len, cap - len, "n%d: rectangle label:\"x\"\n", i);
    len += (size_t)snprintf(src + len, cap - len, "}\n");
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W102), FZ_LINT_MAX_PER_CODE + 1); /* + the note */
    assert_int_equal(l.d.warnings, FZ_LINT_MAX_PER_CODE);
    const fz_diag *note = fz_diags_at(&l.d, fz_diags_count(&l.d) - 1);
    assert_int_equal(note->severity, FZ_SEV_NOTE);
    assert_non_null(strstr(note->message, "50 more W102 warnings not shown (250 in all"));
    lint_done(&l);
    /* Without a limit every one is listed. */
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("t.fz", src, len, NULL, &d, &g), 0);
    fz_diags_fini(&d);
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_lint_ex(g, &d, 0), 0);
    assert_int_equal(d.warnings, 250);
    fz_diags_fini(&d);
    fz_graph_free(g);
    free(src);
}

static void test_lint_w208_disconnected_loop(void **state)
{
    (void)state;
    const char *src = "A {\n" CHAIN3 "n4: rectangle label:\"Elsewhere\"\n"
                      "n4.handle(right) -> n3.handle(top)\n"
                      "loop [retry 3 times] n1 n2 n4\n}\n";
    linted l;
    lint_src(&l, src);
    assert_int_equal(count(&l, FZ_LINT_W208), 1);
    const fz_diag *dg = first(&l, FZ_LINT_W208);
    assert_at(src, dg, "loop", (uint32_t)strlen("loop [retry 3 times] n1 n2 n4"));
    assert_non_null(strstr(dg->message, "2 groups"));
    assert_non_null(strstr(dg->message, "n4"));
    lint_done(&l);
    /* Connected regardless of edge direction and listing order. */
    expect("A {\n" CHAIN3 "loop [retry] n3 n1 n2\n}\n", FZ_LINT_W208, 0);
}

/*==========================================================================
 * Helpers, scale, allocation failures
 *========================================================================*/

static void test_lint_word_classes_follow_first_word(void **state)
{
    (void)state;
    static const struct {
        const char *label;
        fz_word_class want;
    } cases[] = {
        {"Yes", FZ_WORD_YES},         {"  OK, go", FZ_WORD_YES},  {"passed", FZ_WORD_YES},
        {"No \xE2\x86\x92 Manual", FZ_WORD_NO}, {"Retry/Rejected", FZ_WORD_NO},
        {"REJECTED", FZ_WORD_NO},     {"Timeout", FZ_WORD_ERROR}, {"catch-all", FZ_WORD_ERROR},
        {"Nope", FZ_WORD_NONE},       {"Aborted", FZ_WORD_NONE},  {"", FZ_WORD_NONE},
        {"< $50K", FZ_WORD_NONE},     {"Rolled back", FZ_WORD_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(fz_words_class(cases[i].label, strlen(cases[i].label)),
                         cases[i].want);
}

static void test_lint_every_code_has_title_and_explanation(void **state)
{
    (void)state;
    for (unsigned k = 0; k < FZ_LINT_CODE_COUNT; k++) {
        const fz_code_info *c = fz_code_find(fz_lint_code_name((fz_lint_code)k));
        assert_non_null(c);
        assert_true(strlen(c->title) > 10);
        assert_non_null(strstr(c->explain, "Fix:"));
    }
}

/* Pictographs, default-emoji symbols and VS16 are emoji; arrows, check
 * marks and accented letters are text. */
static void test_lint_is_emoji_by_code_point(void **state)
{
    (void)state;
    static const uint32_t emoji[] = {0x1F680, 0x2705, 0x231A, 0x2B50, 0xFE0F, 0x1FAFF};
    static const uint32_t text[] = {'A', 0xFC, 0x2192, 0x2713, 0x2764, 0x1FB00};
    for (size_t i = 0; i < sizeof(emoji) / sizeof(emoji[0]); i++)
        assert_true(fz__lint_is_emoji(emoji[i]));
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
        assert_false(fz__lint_is_emoji(text[i]));
}

/* One workflow that draws each code, indexed by the code: a code added to
 * codes_lint.def without a sample here fails the test below by name. */
static const char *const code_samples[FZ_LINT_CODE_COUNT] = {
    [FZ_LINT_W101] = "A {\nn1: circle label:\"Start\"\nn3: circle label:\"End\"\n"
                     "n1.handle(right) -> n3.handle(left)\n}\n",
    [FZ_LINT_W102] = "A {\n" CHAIN3 "n4: rectangle label:\"Alone\"\n}\n",
    [FZ_LINT_W103] = "A { # Lane A\nn1: circle label:\"Start\"\nn1.handle(right) -> n2.handle(left)\n"
                     "}\nB { # Lane B\nn2: circle label:\"End\"\n}\n",
    [FZ_LINT_W104] = "A {\n" CHAIN3 "}\nn1.handle(bottom) -> n3.handle(bottom)\n",
    [FZ_LINT_W105] = "A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Work\" colour:\"red\"\n"
                     "n3: circle label:\"End\"\nn1.handle(right) -> n2.handle(left)\n"
                     "n2.handle(right) -> n3.handle(left)\n}\n",
    [FZ_LINT_W106] = "A {\nn1: circle label:\"Start \xE2\x9C\x85\"\nn2: rectangle label:\"Work\"\n"
                     "n3: circle label:\"End\"\nn1.handle(right) -> n2.handle(left)\n"
                     "n2.handle(right) -> n3.handle(left)\n}\n",
    [FZ_LINT_W107] = "user {\nn1: circle label:\"Start\"\nn4: circle label:\"End\"\n"
                     "n1.handle(right) -> app.n2.handle(left)\n}\n"
                     "app {\nn2: rectangle label:\"Handle\"\n"
                     "n2.handle(right) -> service.n3.handle(left)\n}\n"
                     "service {\nn3: rectangle label:\"Work\"\n"
                     "n3.handle(right) -> user.n4.handle(left)\n}\n",
    [FZ_LINT_W201] = "A {\nn1: rectangle label:\"Ping\"\nn2: rectangle label:\"Pong\"\n"
                     "n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n1.handle(left)\n}\n",
    [FZ_LINT_W202] = "A {\n" CHAIN3 "n4: rectangle label:\"Orphan\"\n"
                     "n4.handle(right) -> n3.handle(top)\n}\n",
    [FZ_LINT_W203] = "A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"a\"\n"
                     "n3: rectangle label:\"b\"\nn1.handle(right) -> n2.handle(left)\n"
                     "n2.handle(right) -> n3.handle(left)\nn3.handle(left) -> n2.handle(right)\n}\n",
    [FZ_LINT_W204] = DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                                   "n1.handle(bottom) -> n4.handle(top)\n}\n",
    [FZ_LINT_W205] = DECISION_HEAD "n2.handle(right) -> n3.handle(left)\n"
                                   "n2.handle(bottom) -> n4.handle(top)\n}\n",
    [FZ_LINT_W206] = DECISION_HEAD "n2.handle(right) -> n3.handle(left) [label=\"Yes\"]\n"
                                   "n2.handle(bottom) -> n4.handle(top) [label=\" yes \"]\n}\n",
    [FZ_LINT_W207] = "A {\nn1: circle label:\"Start\"\nn2: diamond label:\"Migration ok?\"\n"
                     "n3: rectangle label:\"Roll back schema\"\nn4: rectangle label:\"Notify team\"\n"
                     "n5: circle label:\"End\"\nn1.handle(right) -> n2.handle(left)\n"
                     "n2.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
                     "n2.handle(bottom) -> n3.handle(top) [label=\"No\"]\n"
                     "n3.handle(right) -> n4.handle(bottom)\nn4.handle(right) -> n5.handle(left)\n}\n",
    [FZ_LINT_W208] = "A {\n" CHAIN3 "n4: rectangle label:\"Elsewhere\"\n"
                     "n4.handle(right) -> n3.handle(top)\nloop [retry 3 times] n1 n2 n4\n}\n",
    [FZ_LINT_W209] = "A {\nn1: circle label:\"Start\"\nn2: rectangle label:\"Call API\"\n"
                     "n3: rectangle label:\"Log\"\nn4: circle label:\"End\"\n"
                     "n1.handle(right) -> n2.handle(left)\n"
                     "n2.handle(right) -> n3.handle(left) [label=\"Error\"]\n"
                     "n2.handle(bottom) -> n3.handle(top) [label=\"Timeout\"]\n"
                     "n3.handle(right) -> n4.handle(left)\n}\n",
    [FZ_LINT_W210] = "A {\n" CHAIN3 "// flowzap: ignroe W102\n}\n",
};

/* Every code in codes_lint.def has its own bit (fz_lint_code_bits takes its
 * name in any case), is reported when enabled (all but the flowzap group
 * are by default), and is silenced by the command line (then listed among
 * the silenced) and by `// flowzap: ignore-file CODE`. */
static void test_lint_every_code_can_be_enabled_ignored_and_reported(void **state)
{
    (void)state;
    uint32_t seen = 0;
    for (unsigned k = 0; k < FZ_LINT_CODE_COUNT; k++) {
        const char *name = fz_lint_code_name((fz_lint_code)k);
        const char *src = code_samples[k];
        if (!src)
            fail_msg("%s has no sample workflow in code_samples", name);
        print_message("%s\n", name);
        assert_non_null(fz_code_find(name));
        uint32_t bits = 0, lower = 0;
        assert_int_equal(fz_lint_code_bits(name, &bits), 0);
        assert_int_equal(bits, 1u << k);
        assert_int_equal(seen & bits, 0);
        seen |= bits;
        char low[8];
        snprintf(low, sizeof low, "w%s", name + 1);
        assert_int_equal(fz_lint_code_bits(low, &lower), 0);
        assert_int_equal(lower, bits);

        fz_lint_opts o;
        fz_lint_opts_init(&o);
        linted l;
        lint_src_with(&l, src, &o);
        unsigned by_default = count(&l, (fz_lint_code)k);
        if (k == FZ_LINT_W107) /* the flowzap group: off unless enabled */
            assert_int_equal(by_default, 0);
        else
            assert_true(by_default >= 1);
        lint_done(&l);

        o.enable = bits;
        lint_src_with(&l, src, &o);
        assert_true(count(&l, (fz_lint_code)k) >= 1);
        assert_non_null(fz_code_find(first(&l, (fz_lint_code)k)->code));
        lint_done(&l);

        fz_diags quiet;
        fz_diags_init(&quiet, NULL);
        o.disable = bits;
        o.silenced = &quiet;
        lint_src_with(&l, src, &o);
        assert_int_equal(count(&l, (fz_lint_code)k), 0);
        assert_true(fz_diags_count(&quiet) >= 1);
        assert_string_equal(fz_diags_at(&quiet, 0)->code, name);
        lint_done(&l);
        fz_diags_fini(&quiet);

        char buf[2048];
        snprintf(buf, sizeof buf, "// flowzap: ignore-file %s\n%s", name, src);
        fz_lint_opts_init(&o);
        o.enable = bits;
        lint_src_with(&l, buf, &o);
        assert_int_equal(count(&l, (fz_lint_code)k), 0);
        lint_done(&l);
    }
    assert_int_equal(seen, FZ_LINT_CODE_COUNT == 32 ? UINT32_MAX : (1u << FZ_LINT_CODE_COUNT) - 1);
}

/* A 200,000-node chain: a recursive walk would overflow the stack. */
static void test_lint_long_chain_is_walked_without_recursion(void **state)
{
    (void)state;
    const uint32_t n = 200000;
    size_t cap = (size_t)n * 100 + 64, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    len += (size_t)snprintf(src + len, cap - len, "A {\nn1: circle label:\"Start\"\n");
    for (uint32_t i = 2; i < n; i++)
        len += (size_t)snprintf(src + len, cap - len, "n%u: rectangle label:\"s\"\n", i);
    len += (size_t)snprintf(src + len, cap - len, "n%u: circle label:\"End\"\n", n);
    for (uint32_t i = 1; i < n; i++)
        len += (size_t)snprintf(src + len, cap - len, "n%u.handle(right) -> n%u.handle(left)\n",
                                i, i + 1);
    len += (size_t)snprintf(src + len, cap - len, "}\n");
    linted l;
    lint_src(&l, src);
    assert_int_equal(fz_diags_count(&l.d), 0);
    lint_done(&l);
    free(src);
}

static void test_lint_survives_every_allocation_failure(void **state)
{
    (void)state;
    size_t len = 0;
    char *src = fz_test_read_file(fz_test_src("workflows/canary-deploy.fz"), &len);
    assert_non_null(src);
    fz_diags pd;
    fz_diags_init(&pd, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("c.fz", src, len, NULL, &pd, &g), 0);
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_diags d;
        fz_diags_init(&d, &ta.hook);
        /* The graph's own hook is libc; lint's scratch uses it too, so
         * inject through a graph whose hook is the failing one. */
        const fz_alloc *saved = g->alloc;
        g->alloc = &ta.hook;
        int rc = fz_lint(g, &d);
        g->alloc = saved;
        fz_diags_fini(&d);
        assert_int_equal(ta.live, 0);
        if (ta.injected == 0) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, FZ_ENOMEM);
    }
    fz_graph_free(g);
    fz_diags_fini(&pd);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lint_clean_chain_has_no_warnings),
        cmocka_unit_test(test_lint_w101_reports_gap_once_at_first_id_past_n),
        cmocka_unit_test(test_lint_w101_accepts_out_of_order_ids),
        cmocka_unit_test(test_lint_w102_node_in_no_edge),
        cmocka_unit_test(test_lint_w102_loop_listing_counts_as_connection),
        cmocka_unit_test(test_lint_w103_bare_id_of_another_lane),
        cmocka_unit_test(test_lint_w103_prefixed_and_own_lane_ids_are_fine),
        cmocka_unit_test(test_lint_w104_edge_in_target_lane_and_top_level),
        cmocka_unit_test(test_lint_w104_loop_in_lane_of_one_of_its_nodes_is_fine),
        cmocka_unit_test(test_lint_w105_unknown_attribute_key),
        cmocka_unit_test(test_lint_w106_emoji_but_not_arrows_or_accents),
        cmocka_unit_test(test_lint_w107_is_off_by_default_and_on_with_the_flowzap_group),
        cmocka_unit_test(test_lint_w107_ping_pong_in_edge_order),
        cmocka_unit_test(test_lint_w201_cycle_without_start_warns_at_first_declared),
        cmocka_unit_test(test_lint_starts_prefer_circles_then_sources),
        cmocka_unit_test(test_lint_w202_unreachable_region_reported_once_at_entry),
        cmocka_unit_test(test_lint_w202_unreachable_cycle_and_loop_reach),
        cmocka_unit_test(test_lint_w203_trap_cycle),
        cmocka_unit_test(test_lint_w203_no_end_at_all),
        cmocka_unit_test(test_lint_w204_decision_with_one_branch),
        cmocka_unit_test(test_lint_w205_two_unlabelled_branches_but_one_default_is_fine),
        cmocka_unit_test(test_lint_w206_duplicate_branch_labels_trimmed_any_case),
        cmocka_unit_test(test_lint_w207_canary_rollback_merges_into_success),
        cmocka_unit_test(test_lint_w207_separate_failure_end_and_retry_loops_are_fine),
        cmocka_unit_test(test_lint_w207_retry_to_an_earlier_success_node_is_not_a_merge),
        cmocka_unit_test(test_lint_w207_plain_branch_rejoining_is_fine),
        cmocka_unit_test(test_lint_w207_never_inside_a_loop_scope),
        cmocka_unit_test(test_lint_w204_not_for_the_last_node_of_a_loop),
        cmocka_unit_test(test_lint_w209_node_whose_every_edge_is_an_error_edge),
        cmocka_unit_test(test_lint_command_line_disable_lists_silenced),
        cmocka_unit_test(test_lint_in_file_ignore_and_ignore_file),
        cmocka_unit_test(test_lint_lists_at_most_the_cap_per_code_and_counts_the_rest),
        cmocka_unit_test(test_lint_w208_disconnected_loop),
        cmocka_unit_test(test_lint_word_classes_follow_first_word),
        cmocka_unit_test(test_lint_word_class_knows_every_class_word),
        cmocka_unit_test(test_lint_w106_found_where_the_parser_notes_no_string),
        cmocka_unit_test(test_lint_every_code_has_title_and_explanation),
        cmocka_unit_test(test_lint_every_code_can_be_enabled_ignored_and_reported),
        cmocka_unit_test(test_lint_is_emoji_by_code_point),
        cmocka_unit_test(test_lint_long_chain_is_walked_without_recursion),
        cmocka_unit_test(test_lint_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
