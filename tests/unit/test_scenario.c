/* SPDX-License-Identifier: MIT */
/* test_scenario.c - scenario files: loading, compiling against a graph, errors. */
#include "tests/support/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/parser.h"
#include "sim/scenario.h"

static fz_graph *load_canary(void)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    int rc = fz_parse_file(fz_test_src("workflows/canary-deploy.fz"), NULL, &d, &g);
    fz_diags_fini(&d);
    assert_int_equal(rc, 0);
    return g;
}

static uint32_t node(const fz_graph *g, const char *id)
{
    uint32_t n = fz_graph_find_node(g, id, strlen(id));
    assert_true(n != FZ_NONE);
    return n;
}

/* Parses text; returns the first diagnostic's code and its 1-based line:col. */
static const char *first_error(const char *text, uint32_t *line, uint32_t *col)
{
    static char code[8];
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    int rc = fz_scenario_parse("t.yaml", text, strlen(text), NULL, &d, &f);
    assert_int_equal(rc, FZ_EPARSE);
    assert_true(d.errors > 0);
    fz_diags_sort(&d);
    const fz_diag *dg = fz_diags_at(&d, 0);
    fz_linemap m;
    assert_int_equal(fz_linemap_init(&m, text, (uint32_t)strlen(text), NULL), 0);
    fz_linemap_pos(&m, dg->offset, line, col);
    fz_linemap_fini(&m);
    snprintf(code, sizeof code, "%s", dg->code);
    fz_diags_fini(&d);
    fz_scenario_file_free(f);
    return code;
}

static void test_scenario_canary_file_loads_every_named_scenario(void **state)
{
    (void)state;
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(
        fz_scenario_load(fz_test_src("workflows/canary-deploy.scenario.yaml"), &ta.hook, &d, &f),
        0);
    assert_int_equal(d.errors, 0);
    assert_int_equal(fz_scenario_count(f), 7);
    assert_string_equal(fz_scenario_name(f, 0), "flaky-registry");
    assert_string_equal(fz_scenario_name(f, 4), "scripted-push");
    assert_int_equal(fz_scenario_find(f, "metrics-flapping"), 2);
    assert_true(fz_scenario_find(f, "nope") == FZ_NONE);

    fz_graph *g = load_canary();
    for (uint32_t i = 0; i < fz_scenario_count(f); i++) {
        fz_scenario *s = NULL;
        assert_int_equal(fz_scenario_compile(f, i, g, &ta.hook, &d, &s), 0);
        fz_scenario_free(s);
    }
    for (uint32_t i = 0; i < fz_diags_count(&d); i++)
        print_message("%s %s\n", fz_diags_at(&d, i)->code, fz_diags_at(&d, i)->message);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 0);
    fz_diags_fini(&d);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    assert_int_equal(ta.live, 0);
}

static void test_scenario_rules_resolve_per_node(void **state)
{
    (void)state;
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(
        fz_scenario_load(fz_test_src("workflows/canary-deploy.scenario.yaml"), NULL, &d, &f), 0);
    fz_graph *g = load_canary();
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, fz_scenario_find(f, "flaky-registry"), g, NULL, &d, &s),
                     0);
    /* The scenario's own rule for the push wins over the shared one. */
    const fz_sim_params *p = fz_scenario_params(s, node(g, "n3"), 0);
    assert_true(fabs(p->p_error - 0.05) < 1e-12);
    assert_int_equal(p->latency.kind, FZ_DIST_UNIFORM);
    assert_int_equal(s->policies[node(g, "n3")].retries, 2);
    assert_true(s->policies[node(g, "n3")].exponential);
    assert_true(s->policies[node(g, "n3")].timeout_ns == 120000000000ull);
    /* The shared decision rule gives weights; the last cumulative share is 1. */
    p = fz_scenario_params(s, node(g, "n9"), 0);
    assert_int_equal(p->nchoices, 2);
    assert_string_equal(p->choices[0].outcome, "Yes");
    assert_true(fabs(p->choices[0].cum - 0.97) < 1e-12);
    assert_true(p->choices[1].fault);
    /* Nodes no rule names take the defaults. */
    p = fz_scenario_params(s, node(g, "n6"), 0);
    assert_int_equal(p->latency.kind, FZ_DIST_LOGNORMAL);
    assert_true(p->rule == FZ_NONE);
    fz_scenario_free(s);

    /* A window holds only inside [from, until). */
    assert_int_equal(
        fz_scenario_compile(f, fz_scenario_find(f, "monitoring-outage"), g, NULL, &d, &s), 0);
    assert_true(s->time_dependent);
    assert_int_equal(s->noutages, 1);
    p = fz_scenario_params(s, node(g, "n9"), 55ull * 60 * 1000000000ull);
    assert_true(fabs(p->choices[0].cum - 0.5) < 1e-12);
    p = fz_scenario_params(s, node(g, "n9"), 85ull * 60 * 1000000000ull);
    assert_true(fabs(p->choices[0].cum - 0.97) < 1e-12);
    fz_scenario_free(s);

    assert_int_equal(
        fz_scenario_compile(f, fz_scenario_find(f, "scripted-push"), g, NULL, &d, &s), 0);
    p = fz_scenario_params(s, node(g, "n3"), 0);
    assert_int_equal(p->nscript, 3);
    assert_int_equal(p->script[0].answer, FZ_ANSWER_ERROR);
    assert_int_equal(p->script[1].answer, FZ_ANSWER_TIMEOUT);
    assert_true(p->script[1].latency_set);
    assert_int_equal(p->script[2].answer, FZ_ANSWER_OK);
    fz_scenario_free(s);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

static void test_scenario_decision_without_rule_is_uniform(void **state)
{
    (void)state;
    const char *text = "defaults:\n  latency: 1s\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("u.yaml", text, strlen(text), NULL, &d, &f), 0);
    assert_int_equal(fz_scenario_count(f), 1);
    assert_string_equal(fz_scenario_name(f, 0), "default");
    fz_graph *g = load_canary();
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, 0, g, NULL, &d, &s), 0);
    uint32_t n9 = node(g, "n9");
    assert_true(s->nodes[n9].uniform);
    const fz_sim_params *p = fz_scenario_params(s, n9, 0);
    assert_int_equal(p->nchoices, 2);
    assert_true(fabs(p->choices[0].cum - 0.5) < 1e-12);
    assert_false(s->nodes[node(g, "n3")].uniform);
    fz_scenario_free(s);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

static void test_scenario_rule_matching_no_node_is_a_warning(void **state)
{
    (void)state;
    const char *text = "rules:\n  - match: \"^Deploy to mars$\"\n    error: 1\n"
                       "  - match: healthy\n    weights: {Yes: 1, Maybe: 1}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("w.yaml", text, strlen(text), NULL, &d, &f), 0);
    fz_graph *g = load_canary();
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, 0, g, NULL, &d, &s), 0);
    assert_int_equal(d.errors, 0);
    assert_true(d.warnings >= 2);
    int s101 = 0, s102 = 0;
    for (uint32_t i = 0; i < fz_diags_count(&d); i++) {
        s101 += strcmp(fz_diags_at(&d, i)->code, "S101") == 0;
        s102 += strcmp(fz_diags_at(&d, i)->code, "S102") == 0;
    }
    assert_int_equal(s101, 1);
    assert_true(s102 >= 1);
    fz_scenario_free(s);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

static void test_scenario_errors_point_at_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *text, *code;
        uint32_t line, col;
    } cases[] = {
        {"defaults:\n  latency: {gaussian: 3s}\n", "S004", 2, 13},
        {"defaults:\n  error: 1.5\n", "S002", 2, 10},
        {"defaults:\n  latency: 3 parsecs\n", "S002", 2, 12},
        {"rules:\n  - match: x\n    eror: 0.1\n", "S003", 3, 5},
        {"rules:\n  - match: \"(unclosed\"\n", "S005", 2, 13},
        {"defaults: [1, 2\n", "S001", 2, 1},
        {"scenarios:\n  a:\n    outages:\n      - lane: X\n        from: 5m\n        until: 1m\n",
         "S002", 6, 16},
        {"defaults:\n  latency: {uniform: [5s, 1s]}\n", "S002", 2, 23},
        {"defaults:\n  timeout: 99999999999h\n", "S002", 2, 12},
        {"defaults:\n  timeout: 2IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIm\n",
         "S002", 2, 12},
        {"rules:\n  - match: x\n    script: [ok, 7]\n", "S000", 0, 0},
    };
    for (size_t i = 0; i + 1 < sizeof cases / sizeof cases[0]; i++) {
        uint32_t line = 0, col = 0;
        const char *code = first_error(cases[i].text, &line, &col);
        if (strcmp(code, cases[i].code) || line != cases[i].line || col != cases[i].col)
            fail_msg("case %zu: got %s at %u:%u, expected %s at %u:%u", i, code, line, col,
                     cases[i].code, cases[i].line, cases[i].col);
    }
}

static void test_scenario_invalid_utf8_is_an_error_not_a_hang(void **state)
{
    (void)state;
    /* libfyaml 0.7.12 loops on this (found by fuzz_scenario). */
    const char text[] = ":\n%\xff\xff\xff\xff:";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("u.yaml", text, sizeof text - 1, NULL, &d, &f), FZ_EPARSE);
    assert_int_equal(d.errors, 1);
    assert_string_equal(fz_diags_at(&d, 0)->code, "S001");
    assert_int_equal(fz_diags_at(&d, 0)->offset, 3);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
    /* Valid multi-byte text passes. */
    const char ok[] = "description: \"d\xc3\xa9ploiement \xe2\x9c\x93\"\n";
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_scenario_parse("u.yaml", ok, sizeof ok - 1, NULL, &d, &f), 0);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

static void test_scenario_unknown_lane_is_an_error_at_compile(void **state)
{
    (void)state;
    const char *text = "rules:\n  - lane: Nowhere\n    error: 0.5\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("l.yaml", text, strlen(text), NULL, &d, &f), 0);
    fz_graph *g = load_canary();
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, 0, g, NULL, &d, &s), FZ_EINVAL);
    assert_int_equal(d.errors, 1);
    assert_string_equal(fz_diags_at(&d, 0)->code, "S006");
    fz_scenario_free(s);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

/* A second YAML document is an error (S008) at its marker, not ignored. */
static void test_scenario_second_document_is_an_error(void **state)
{
    (void)state;
    uint32_t line = 0, col = 0;
    assert_string_equal(
        first_error("rules:\n  - match: x\n    error: 0.5\n---\nrules: []\n", &line, &col), "S008");
    assert_int_equal(line, 4);
    assert_int_equal(col, 1);
    assert_string_equal(first_error("---\nrules: []\n...\nscenarios: {}\n", &line, &col), "S008");
    assert_int_equal(line, 4);
}

/* A rule's pattern that PCRE2 stops on a node: S007 at the pattern,
 * naming the node and the limit (main: FZ_EINVAL and no diagnostic, so
 * `sim` said "0 errors" with exit 2). A 10,000-character label matches. */
static void test_scenario_match_limit_is_an_error_at_the_pattern(void **state)
{
    (void)state;
    char *src = malloc(20000);
    assert_non_null(src);
    char *p = src;
    p += sprintf(p, "A { # A\nn1: circle label:\"Start\"\nn2: rectangle label:\"");
    for (int i = 0; i < 40; i++)
        *p++ = 'a';
    p += sprintf(p, "bc\"\nn3: rectangle label:\"Deploy ");
    for (int i = 0; i < 10000; i++)
        *p++ = "ab"[i % 2];
    p += sprintf(p, "\"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> "
                    "n3.handle(left)\n}\n");
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("long.fz", src, strlen(src), NULL, &d, &g), 0);
    const char *text = "rules:\n  - match: \"^Deploy ((a)|(b))*$\"\n    error: 0.5\n"
                       "  - match: \"^(a|a)*b$\"\n    error: 0.5\n";
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("m.yaml", text, strlen(text), NULL, &d, &f), 0);
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, 0, g, NULL, &d, &s), FZ_EINVAL);
    assert_int_equal(d.errors, 1);
    const fz_diag *dg = fz_diags_at(&d, fz_diags_count(&d) - 1);
    assert_string_equal(dg->code, "S007");
    assert_int_equal(dg->offset, (uint32_t)(strstr(text, "\"^(a|a)") - text + 1));
    assert_non_null(strstr(dg->message, "node n2 (long.fz:3:1"));
    assert_non_null(strstr(dg->message, "match limit"));
    fz_scenario_free(s);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
    fz_graph_free(g);
    free(src);
}

static void test_scenario_durations_parse_with_units(void **state)
{
    (void)state;
    double ns;
    assert_int_equal(fz_scenario_duration("250ms", 5, &ns), 0);
    assert_true(ns == 250e6);
    assert_int_equal(fz_scenario_duration("1m30s", 5, &ns), 0);
    assert_true(ns == 90e9);
    assert_int_equal(fz_scenario_duration("2", 1, &ns), 0);
    assert_true(ns == 2e9);
    assert_int_equal(fz_scenario_duration("1.5h", 4, &ns), 0);
    assert_true(ns == 5400e9);
    assert_int_equal(fz_scenario_duration("5 parsecs", 9, &ns), FZ_EINVAL);
    assert_int_equal(fz_scenario_duration("-1s", 3, &ns), FZ_EINVAL);
    assert_int_equal(fz_scenario_duration("", 0, &ns), FZ_EINVAL);
    assert_int_equal(fz_scenario_duration("3s2", 3, &ns), FZ_EINVAL);
}

static void test_scenario_load_survives_every_failed_allocation(void **state)
{
    (void)state;
    fz_graph *g = load_canary();
    char path[4096]; /* fz_test_src's buffer is reused by the next call */
    snprintf(path, sizeof path, "%s", fz_test_src("workflows/canary-deploy.scenario.yaml"));
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_scenario_file *f = NULL;
        fz_scenario *s = NULL;
        int rc = fz_scenario_load(path, &ta.hook, &d, &f);
        if (!rc)
            rc = fz_scenario_compile(f, 3, g, &ta.hook, &d, &s);
        if (rc != 0 && rc != FZ_ENOMEM)
            fail_msg("allocation %llu: status %d: %s", (unsigned long long)n, rc, fz_diags_count(&d) ? fz_diags_at(&d, 0)->message : "");
        fz_scenario_free(s);
        fz_scenario_file_free(f);
        fz_diags_fini(&d);
        assert_int_equal(ta.live, 0);
        if (!ta.injected) {
            assert_int_equal(rc, 0);
            break;
        }
    }
    fz_graph_free(g);
}

/* Long lists (script, empirical, rules) load in time linear in their
 * length: each item used to be fetched by index, and libfyaml walks a
 * sequence from its head for that, so 200,000 script entries took more
 * than 20 s. bench_scenario prints the times; here the lists must load and
 * keep every entry. */
static void test_scenario_long_lists_load_whole(void **state)
{
    (void)state;
    enum { NSCRIPT = 200000, NEMP = 200000, NRULES = 20000 };
    size_t cap = (size_t)NSCRIPT * 4 + (size_t)NEMP * 5 + (size_t)NRULES * 40 + 4096;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)snprintf(text, cap, "defaults:\n  latency: {empirical: [");
    for (int i = 0; i < NEMP; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s%d", i ? ", " : "", 1 + i % 9);
    n += (size_t)snprintf(text + n, cap - n, "]}\nrules:\n  - match: \"^Push to registry$\"\n    script: [");
    for (int i = 0; i < NSCRIPT; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s%s", i ? "," : "", i % 2 ? "ok" : "no");
    n += (size_t)snprintf(text + n, cap - n, "]\n");
    for (int i = 0; i < NRULES; i++)
        n += (size_t)snprintf(text + n, cap - n, "  - {match: \"^r%d$\", error: 1%%}\n", i);
    assert_true(n < cap);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("long.yaml", text, n, NULL, &d, &f), 0);
    free(text);
    fz_graph *g = load_canary();
    fz_scenario *s = NULL;
    assert_int_equal(fz_scenario_compile(f, 0, g, NULL, &d, &s), 0);
    assert_int_equal(d.errors, 0);
    const fz_sim_params *p = fz_scenario_params(s, node(g, "n3"), 0);
    assert_int_equal(p->nscript, NSCRIPT);
    assert_int_equal(p->script[0].answer, FZ_ANSWER_NO);
    assert_int_equal(p->script[NSCRIPT - 1].answer, FZ_ANSWER_OK);
    const fz_sim_params *q = fz_scenario_params(s, node(g, "n1"), 0);
    assert_int_equal(q->latency.kind, FZ_DIST_EMPIRICAL);
    fz_scenario_free(s);
    fz_graph_free(g);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_canary_file_loads_every_named_scenario),
        cmocka_unit_test(test_scenario_rules_resolve_per_node),
        cmocka_unit_test(test_scenario_decision_without_rule_is_uniform),
        cmocka_unit_test(test_scenario_rule_matching_no_node_is_a_warning),
        cmocka_unit_test(test_scenario_errors_point_at_the_field),
        cmocka_unit_test(test_scenario_invalid_utf8_is_an_error_not_a_hang),
        cmocka_unit_test(test_scenario_unknown_lane_is_an_error_at_compile),
        cmocka_unit_test(test_scenario_second_document_is_an_error),
        cmocka_unit_test(test_scenario_match_limit_is_an_error_at_the_pattern),
        cmocka_unit_test(test_scenario_durations_parse_with_units),
        cmocka_unit_test(test_scenario_load_survives_every_failed_allocation),
        cmocka_unit_test(test_scenario_long_lists_load_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
