/* SPDX-License-Identifier: MIT */
/* test_match.c - node selectors: label patterns, captures, lane/shape/id narrowing. */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "engine/match.h"
#include "parser/graph.h"

/* A two-lane graph built through the builder API (no parser needed). */
typedef struct spec_node {
    int lane;
    const char *id;
    fz_shape shape;
    const char *label;
} spec_node;

static const spec_node canary[] = {
    {0, "n1", FZ_SHAPE_CIRCLE, "Start"},
    {0, "n3", FZ_SHAPE_RECTANGLE, "Push to registry"},
    {1, "n8", FZ_SHAPE_RECTANGLE, "Wait observation period"},
    {1, "n9", FZ_SHAPE_DIAMOND, "Metrics healthy?"},
    {1, "n10", FZ_SHAPE_RECTANGLE, "Increase to 25%"},
    {1, "n13", FZ_SHAPE_RECTANGLE, "Increase to 50%"},
};

static fz_span pool(fz_graph *g, const char *s)
{
    fz_span sp;
    assert_int_equal(fz_graph_pool_add(g, s, (uint32_t)strlen(s), &sp), 0);
    return sp;
}

static fz_graph *make_graph(const fz_alloc *a)
{
    fz_graph *g = NULL;
    assert_int_equal(fz_graph_new(a, &g), 0);
    uint32_t li;
    assert_int_equal(
        fz_graph_add_lane(g, pool(g, "Deployment"), pool(g, "Deployment Pipeline"), 1, 0, &li), 0);
    assert_int_equal(
        fz_graph_add_lane(g, pool(g, "CanaryController"), pool(g, "Canary Controller"), 1, 0, &li),
        0);
    for (size_t i = 0; i < sizeof(canary) / sizeof(canary[0]); i++) {
        uint32_t ni;
        assert_int_equal(fz_graph_node_ref(g, pool(g, canary[i].id), 0, &ni), 0);
        fz_node *n = fz_graph_node(g, ni);
        n->label = pool(g, canary[i].label);
        n->lane = (uint32_t)canary[i].lane;
        n->shape = (uint8_t)canary[i].shape;
        n->flags = FZ_NODE_DEFINED;
    }
    assert_int_equal(fz_graph_finish(g), 0);
    return g;
}

static uint32_t node(const fz_graph *g, const char *id)
{
    uint32_t n = fz_graph_find_node(g, id, strlen(id));
    assert_int_not_equal(n, FZ_NONE);
    return n;
}

static void test_match_numbered_and_named_captures_become_variables(void **state)
{
    (void)state;
    fz_graph *g = make_graph(NULL);
    fz_match *m = NULL;
    char err[256];
    assert_int_equal(fz_match_new("^Increase to (?<percent>\\d+)(%)$", NULL, NULL, NULL, NULL, &m,
                                  err, sizeof(err), NULL),
                     0);
    fz_caps c;
    fz_caps_init(&c, NULL);
    assert_int_equal(fz_match_node(m, g, node(g, "n10"), &c), 1);
    assert_string_equal(fz_caps_get(&c, "0"), "Increase to 25%");
    assert_string_equal(fz_caps_get(&c, "1"), "25");
    assert_string_equal(fz_caps_get(&c, "2"), "%");
    assert_string_equal(fz_caps_get(&c, "percent"), "25");
    assert_int_equal(fz_caps_count(&c), 4);
    assert_int_equal(fz_match_node(m, g, node(g, "n13"), &c), 1);
    assert_string_equal(fz_caps_get(&c, "percent"), "50");
    assert_int_equal(fz_match_node(m, g, node(g, "n8"), &c), 0);
    assert_int_equal(fz_caps_count(&c), 0);
    assert_null(fz_caps_get(&c, "percent"));
    fz_caps_fini(&c);
    fz_match_free(m);
    fz_graph_free(g);
}

static void test_match_pattern_searches_unless_anchored(void **state)
{
    (void)state;
    fz_graph *g = make_graph(NULL);
    fz_match *loose = NULL, *whole = NULL;
    assert_int_equal(fz_match_new("registry", NULL, NULL, NULL, NULL, &loose, NULL, 0, NULL), 0);
    assert_int_equal(fz_match_new("^registry$", NULL, NULL, NULL, NULL, &whole, NULL, 0, NULL), 0);
    assert_int_equal(fz_match_node(loose, g, node(g, "n3"), NULL), 1);
    assert_int_equal(fz_match_node(whole, g, node(g, "n3"), NULL), 0);
    fz_match_free(loose);
    fz_match_free(whole);
    fz_graph_free(g);
}

static void test_match_lane_accepts_id_or_display_label(void **state)
{
    (void)state;
    fz_graph *g = make_graph(NULL);
    const char *lanes[] = {"CanaryController", "Canary Controller"};
    for (int i = 0; i < 2; i++) {
        fz_match *m = NULL;
        assert_int_equal(fz_match_new("^Increase", lanes[i], NULL, NULL, NULL, &m, NULL, 0, NULL),
                         0);
        assert_int_equal(fz_match_node(m, g, node(g, "n10"), NULL), 1);
        fz_match_free(m);
    }
    fz_match *m = NULL;
    assert_int_equal(fz_match_new(NULL, "Deployment", NULL, NULL, NULL, &m, NULL, 0, NULL), 0);
    assert_int_equal(fz_match_node(m, g, node(g, "n3"), NULL), 1);
    fz_caps c;
    fz_caps_init(&c, NULL);
    assert_int_equal(fz_match_node(m, g, node(g, "n3"), &c), 1);
    assert_int_equal(fz_caps_count(&c), 1);
    assert_string_equal(fz_caps_get(&c, "0"), "Push to registry");
    fz_caps_fini(&c);
    assert_int_equal(fz_match_node(m, g, node(g, "n10"), NULL), 0);
    fz_match_free(m);
    fz_graph_free(g);
}

static void test_match_shape_and_id_narrow_the_selection(void **state)
{
    (void)state;
    fz_graph *g = make_graph(NULL);
    fz_match *dia = NULL, *byid = NULL;
    assert_int_equal(fz_match_new("\\?$", NULL, "diamond", NULL, NULL, &dia, NULL, 0, NULL), 0);
    assert_int_equal(fz_match_node(dia, g, node(g, "n9"), NULL), 1);
    assert_int_equal(fz_match_node(dia, g, node(g, "n8"), NULL), 0);
    assert_int_equal(fz_match_new(NULL, NULL, NULL, "n13", NULL, &byid, NULL, 0, NULL), 0);
    assert_int_equal(fz_match_node(byid, g, node(g, "n13"), NULL), 1);
    assert_int_equal(fz_match_node(byid, g, node(g, "n10"), NULL), 0);
    /* id narrows by equality, not by prefix: n1 is not n13 */
    assert_int_equal(fz_match_node(byid, g, node(g, "n1"), NULL), 0);
    fz_match_free(dia);
    fz_match_free(byid);
    fz_graph_free(g);
}

static void test_match_bad_pattern_reports_message_and_offset(void **state)
{
    (void)state;
    fz_match *m = NULL;
    char err[256];
    size_t off = 0;
    assert_int_equal(fz_match_new("Deploy (to", NULL, NULL, NULL, NULL, &m, err, sizeof(err), &off),
                     FZ_EINVAL);
    assert_null(m);
    assert_int_equal(off, 10);
    assert_non_null(strstr(err, "offset 10"));
    assert_non_null(strstr(err, "missing closing parenthesis"));
}

static void test_match_unknown_shape_names_the_choices(void **state)
{
    (void)state;
    fz_match *m = NULL;
    char err[256];
    assert_int_equal(fz_match_new(NULL, NULL, "hexagon", NULL, NULL, &m, err, sizeof(err), NULL),
                     FZ_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err, "'hexagon'"));
    assert_non_null(strstr(err, "diamond"));
}

static void test_match_captures_keep_hostile_text_verbatim(void **state)
{
    (void)state;
    fz_match *m = NULL;
    assert_int_equal(fz_match_new("^Deploy (.*)$", NULL, NULL, NULL, NULL, &m, NULL, 0, NULL), 0);
    const char *label = "Deploy x; rm -rf / $(id) `id` \"q\" 'q' \\n";
    fz_caps c;
    fz_caps_init(&c, NULL);
    assert_int_equal(fz_match_text(m, label, strlen(label), &c), 1);
    assert_string_equal(fz_caps_get(&c, "1"), label + 7);
    fz_caps_fini(&c);
    fz_match_free(m);
}

static void test_match_invalid_utf8_label_does_not_match_or_crash(void **state)
{
    (void)state;
    fz_match *m = NULL;
    assert_int_equal(fz_match_new("é", NULL, NULL, NULL, NULL, &m, NULL, 0, NULL), 0);
    const char bad[] = "caf\xc3\x28 \xff";
    assert_int_equal(fz_match_text(m, bad, sizeof(bad) - 1, NULL), 0);
    assert_int_equal(fz_match_text(m, "café", strlen("café"), NULL), 1);
    fz_match_free(m);
}

/* "Deploy " then n bytes of "abab...": a long label; caller frees. */
static char *long_label(size_t n, size_t *len)
{
    char *s = malloc(n + 8);
    assert_non_null(s);
    memcpy(s, "Deploy ", 7);
    for (size_t i = 0; i < n; i++)
        s[7 + i] = "ab"[i % 2];
    s[7 + n] = '\0';
    *len = 7 + n;
    return s;
}

/* A long but ordinary label matches: a repeated group over 10,000
 * characters needs more than PCRE2's 32 KiB JIT area (main: FZ_EINVAL,
 * "invalid argument"); the JIT stack grows for it. */
static void test_match_long_label_gets_a_jit_stack_that_fits(void **state)
{
    (void)state;
    size_t len;
    char *label = long_label(10000, &len);
    const char *pats[] = {"^Deploy ((a)|(b))*$", "^Deploy (a|b)*$", "^Deploy ((?:ab)+)$"};
    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        fz_match *m = NULL;
        assert_int_equal(fz_match_new(pats[i], NULL, NULL, NULL, NULL, &m, NULL, 0, NULL), 0);
        fz_caps c;
        fz_caps_init(&c, NULL);
        char why[160] = "";
        int rc = fz_match_text_why(m, label, len, &c, why, sizeof why);
        if (rc != 1)
            fail_msg("%s on a 10,000-byte label: %d (%s)", pats[i], rc, why);
        assert_int_equal(strlen(fz_caps_get(&c, "0")), len);
        fz_caps_fini(&c);
        fz_match_free(m);
    }
    free(label);
}

/* A pattern that PCRE2 stops says which limit stopped it: the match limit
 * for catastrophic backtracking, the JIT stack (or, without JIT, the heap)
 * for a group repeated over millions of characters. */
static void test_match_limit_names_the_limit(void **state)
{
    (void)state;
    fz_match *m = NULL;
    assert_int_equal(fz_match_new("^(a|a)*b$", NULL, NULL, NULL, NULL, &m, NULL, 0, NULL), 0);
    char label[64];
    memset(label, 'a', 40);
    memcpy(label + 40, "bc", 3);
    char why[160] = "";
    assert_int_equal(fz_match_text_why(m, label, strlen(label), NULL, why, sizeof why), FZ_EINVAL);
    assert_non_null(strstr(why, "match limit (10000000 backtracking steps)"));
    assert_int_equal(fz_match_text(m, label, strlen(label), NULL), FZ_EINVAL);
    fz_match_free(m);

    size_t len;
    char *big = long_label(4000000, &len);
    assert_int_equal(fz_match_new("^Deploy (a|b)*$", NULL, NULL, NULL, NULL, &m, NULL, 0, NULL),
                     0);
    why[0] = '\0';
    assert_int_equal(fz_match_text_why(m, big, len, NULL, why, sizeof why), FZ_EINVAL);
    if (!strstr(why, "JIT stack limit (8 MiB)") && !strstr(why, "heap limit (64 MiB)"))
        fail_msg("unexpected reason: %s", why);
    fz_match_free(m);
    free(big);
}

/* The JIT stack is allocated through the selector's hook: failing each
 * allocation in turn gives FZ_ENOMEM and leaves nothing behind. */
static void test_match_long_label_out_of_memory_leaves_nothing_behind(void **state)
{
    (void)state;
    size_t len;
    char *label = long_label(10000, &len);
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_match *m = NULL;
        int rc = fz_match_new("^Deploy ((a)|(b))*$", NULL, NULL, NULL, &ta.hook, &m, NULL, 0, NULL);
        fz_caps c;
        fz_caps_init(&c, &ta.hook);
        if (rc == 0) {
            rc = fz_match_text(m, label, len, &c);
            assert_true(rc == 1 || rc == FZ_ENOMEM);
            rc = rc == 1 ? 0 : rc;
        }
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        fz_caps_fini(&c);
        fz_match_free(m);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        if (ta.injected == 0)
            break;
    }
    free(label);
}

static void test_match_out_of_memory_leaves_nothing_behind(void **state)
{
    (void)state;
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_match *m = NULL;
        int rc = fz_match_new("^Increase to (?<p>\\d+)%$", "CanaryController", "rectangle", NULL,
                              &ta.hook, &m, NULL, 0, NULL);
        fz_caps c;
        fz_caps_init(&c, &ta.hook);
        if (rc == 0) {
            assert_non_null(m);
            rc = fz_match_text(m, "Increase to 5%", 14, &c);
            assert_int_equal(rc, 0); /* narrowed by lane: a bare label never matches */
            fz_match_free(m);
            m = NULL;
            rc = fz_match_new("(?<p>\\d+)", NULL, NULL, NULL, &ta.hook, &m, NULL, 0, NULL);
            if (rc == 0) {
                rc = fz_match_text(m, "Increase to 5%", 14, &c);
                assert_true(rc == 1 || rc == FZ_ENOMEM);
                if (rc == 1)
                    assert_string_equal(fz_caps_get(&c, "p"), "5");
                rc = rc == 1 ? 0 : rc;
            }
        }
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        fz_caps_fini(&c);
        fz_match_free(m);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        if (ta.injected == 0)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_numbered_and_named_captures_become_variables),
        cmocka_unit_test(test_match_pattern_searches_unless_anchored),
        cmocka_unit_test(test_match_lane_accepts_id_or_display_label),
        cmocka_unit_test(test_match_shape_and_id_narrow_the_selection),
        cmocka_unit_test(test_match_bad_pattern_reports_message_and_offset),
        cmocka_unit_test(test_match_unknown_shape_names_the_choices),
        cmocka_unit_test(test_match_captures_keep_hostile_text_verbatim),
        cmocka_unit_test(test_match_invalid_utf8_label_does_not_match_or_crash),
        cmocka_unit_test(test_match_long_label_gets_a_jit_stack_that_fits),
        cmocka_unit_test(test_match_limit_names_the_limit),
        cmocka_unit_test(test_match_long_label_out_of_memory_leaves_nothing_behind),
        cmocka_unit_test(test_match_out_of_memory_leaves_nothing_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
