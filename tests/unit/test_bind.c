/* SPDX-License-Identifier: MIT */
/* test_bind.c - bindings files: rules in order, captures, policies, and
 * errors placed at file:line:col naming the field. */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "parser/parser.h"

static fz_graph *parse(const char *text)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("t.fz", text, strlen(text), NULL, &d, &g), 0);
    fz_diags_fini(&d);
    return g;
}

static fz_graph *parse_file(const char *rel)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_file(fz_test_src(rel), NULL, &d, &g), 0);
    fz_diags_fini(&d);
    return g;
}

static uint32_t node(const fz_graph *g, const char *id)
{
    uint32_t n = fz_graph_find_node(g, id, strlen(id));
    assert_int_not_equal(n, FZ_NONE);
    return n;
}

static void test_bind_canary_bindings_bind_every_node_with_captures(void **state)
{
    (void)state;
    fz_graph *g = parse_file("workflows/canary-deploy.fz");
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(
        fz_bind_load_file(fz_test_src("workflows/canary-deploy.bindings.yaml"), NULL, &d, &b), 0);
    assert_int_equal(d.errors, 0);
    uint32_t unbound = 99;
    assert_int_equal(fz_bind_resolve(b, g, &unbound), 0);
    assert_int_equal(unbound, 0);
    /* n6 "Deploy to 5% of pods" and n14 "Full rollout 100%" share one rule */
    uint32_t r6 = fz_bind_node_rule(b, node(g, "n6")), r14 = fz_bind_node_rule(b, node(g, "n14"));
    assert_int_equal(r6, r14);
    assert_string_equal(fz_bind_rule(b, r6)->ops->name, "exec");
    assert_string_equal(fz_caps_get(fz_bind_node_caps(b, node(g, "n6")), "percent"), "5");
    assert_string_equal(fz_caps_get(fz_bind_node_caps(b, node(g, "n14")), "percent"), "100");
    /* the two health decisions go to http, the circles to noop */
    assert_string_equal(fz_bind_rule(b, fz_bind_node_rule(b, node(g, "n9")))->ops->name, "http");
    assert_string_equal(fz_bind_rule(b, fz_bind_node_rule(b, node(g, "n12")))->ops->name, "http");
    assert_string_equal(fz_bind_rule(b, fz_bind_node_rule(b, node(g, "n5")))->ops->name, "noop");
    assert_string_equal(fz_bind_rule(b, fz_bind_node_rule(b, node(g, "n8")))->ops->name, "sleep");
    /* policies */
    const fz_rule *push = fz_bind_rule(b, fz_bind_node_rule(b, node(g, "n3")));
    assert_int_equal(push->policy.timeout_ns, 30000000000u);
    assert_int_equal(push->policy.retries, 2);
    assert_int_equal(push->policy.backoff_ns, 200000000u);
    assert_int_equal(push->policy.backoff_max_ns, 2000000000u);
    assert_int_equal(push->policy.exponential, 1);
    /* defaults from vars: */
    int found = 0;
    for (uint32_t i = 0; i < fz_bind_var_count(b); i++)
        if (strcmp(fz_bind_var_at(b, i).key, "OBSERVE") == 0) {
            assert_string_equal(fz_bind_var_at(b, i).value, "1s");
            found = 1;
        }
    assert_true(found);
    char desc[256];
    fz_bind_describe(b, r6, desc, sizeof(desc));
    assert_string_equal(desc, "exec ./canary/traffic-split.sh ${percent}");
    fz_bind_free(b);
    fz_diags_fini(&d);
    fz_graph_free(g);
}

static const char two_lanes[] = "A { # Lane A\n"
                                "n1: rectangle label:\"Deploy web\"\n"
                                "n2: diamond label:\"Deploy ok?\"\n"
                                "n1.handle(right) -> n2.handle(left)\n"
                                "}\n"
                                "B { # Lane B\n"
                                "n3: rectangle label:\"Deploy db\"\n"
                                "n4: rectangle label:\"Something else\"\n"
                                "n5: circle label:\"Orphan\"\n"
                                "n3.handle(right) -> n4.handle(left)\n"
                                "}\n";

static void test_bind_first_matching_rule_wins_and_unbound_are_all_counted(void **state)
{
    (void)state;
    fz_graph *g = parse(two_lanes);
    const char *yaml = "rules:\n"
                       "  - match: ^Deploy\n"
                       "    lane: Lane B\n"
                       "    log: lane b deploy\n"
                       "  - match: ^Deploy (?<what>\\w+)\n"
                       "    shape: rectangle\n"
                       "    log: deploy ${what}\n"
                       "  - match: ^Deploy\n"
                       "    log: any other deploy\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, &d, &b), 0);
    uint32_t unbound = 0;
    assert_int_equal(fz_bind_resolve(b, g, &unbound), 0);
    assert_int_equal(fz_bind_node_rule(b, node(g, "n1")), 1);
    assert_string_equal(fz_caps_get(fz_bind_node_caps(b, node(g, "n1")), "what"), "web");
    assert_int_equal(fz_bind_node_rule(b, node(g, "n2")),
                     2); /* a diamond: rule 2 needs rectangle */
    assert_int_equal(fz_bind_node_rule(b, node(g, "n3")), 0); /* lane B's rule comes first */
    assert_int_equal(fz_caps_count(fz_bind_node_caps(b, node(g, "n3"))), 1);
    assert_int_equal(fz_bind_node_rule(b, node(g, "n4")), FZ_NONE);
    assert_int_equal(fz_bind_node_rule(b, node(g, "n5")), FZ_NONE);
    assert_int_equal(unbound, 2);
    fz_bind_free(b);
    fz_diags_fini(&d);
    fz_graph_free(g);
}

typedef struct bad_case {
    const char *yaml;
    uint32_t line, col;
    const char *message_has;
} bad_case;

static void test_bind_errors_point_at_the_field(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"rules:\n  - match: \"x(\"\n    noop:\n", 2, 15, "'match': invalid pattern at offset 2"},
        {"rules:\n  - shape: hexagon\n    noop:\n", 2, 12, "unknown shape 'hexagon'"},
        {"rules:\n  - noop:\n    timeout: soon\n", 3, 14, "'timeout': 'soon' is not a duration"},
        {"rules:\n  - noop:\n    retries: -1\n", 3, 14, "'retries' must be a whole number"},
        {"rules:\n  - noop:\n    backoff: {kind: linear}\n", 3, 21, "'backoff.kind' must be"},
        {"rules:\n  - noop:\n    backoff: {base: 1s, jitter: 2}\n", 3, 25,
         "unknown key 'backoff.jitter'"},
        {"rules:\n  - sleep: 1s\n    log: hi\n", 3, 5, "both 'sleep' and 'log'"},
        {"rules:\n  - match: x\n    colour: red\n    noop:\n", 3, 5, "unknown key 'colour'"},
        {"rules:\n  - match: x\n", 2, 5, "has no handler key"},
        {"rules:\n  - exec: \n", 2, 5, "'exec' must be a list of strings"},
        {"rules:\n  - exec: [./a.sh]\n    env: {\"BAD NAME\": x}\n", 3, 12,
         "'BAD NAME' is not a variable name"},
        {"rules:\n  - sleep: forever\n", 2, 12, "'sleep': 'forever' is not a duration"},
        {"rules:\n  - http: {url: \"ftp://x\"}\n", 2, 18, "must start with http://"},
        {"rules:\n  - http: {url: \"http://x\", status: [200, 7xx]}\n", 2, 43,
         "'7xx' is not a status"},
        {"rules:\n  - http: {url: \"http://x\", body_match: \"(\"}\n", 2, 42, "'http.body_match'"},
        {"rules:\n  - http: {url: \"http://x\", verb: GET}\n", 2, 29, "unknown key 'http.verb'"},
        {"rules:\n  - http: {method: GET}\n", 2, 12, "needs a 'url'"},
        {"rules:\n  - set: {}\n", 2, 5, "'set' needs at least one"},
        {"rules:\n  - set: {OK: 1, \"two words\": 2}\n", 2, 19,
         "'set': 'two words' is not a variable name"},
        {"rules:\n  - set: {\"caf\xc3\xa9\": 1}\n", 2, 12, "'set': 'caf\xc3\xa9' is not a variable name"},
        {"rules:\n  - set: {9lives: 1}\n", 2, 11, "'set': '9lives' is not a variable name"},
        {"rules: []\nrule:\n  - noop:\n", 2, 1, "unknown top-level key 'rule'"},
        {"rules: noop\n", 1, 8, "'rules' must be a list"},
        {"- noop\n", 1, 3, "expected a mapping with 'rules'"},
        {"rules:\n  - match: \"x\n", 2, 13, "YAML: "},
        {"rules:\n  - noop:\n  - noop:\n    noop: 2\n", 4, 5, "YAML: duplicate key"},
        {"%u\xe4\nrules: []\n", 1, 3, "not valid UTF-8 (byte 0xe4)"},
        {"rules:\n  - log: \"caf\xc3\xa9 \xed\xa0\x80\"\n", 2, 17, "not valid UTF-8 (byte 0xed)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_bind *b = NULL;
        int rc = fz_bind_load_mem("bad.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &d, &b);
        if (rc != FZ_EPARSE || d.errors != 1)
            fprintf(stderr, "case %zu: rc %d, %u errors\n", i, rc, d.errors);
        assert_int_equal(rc, FZ_EPARSE);
        assert_null(b);
        assert_int_equal(d.errors, 1);
        fz_linemap m;
        assert_int_equal(fz_linemap_init(&m, cases[i].yaml, (uint32_t)strlen(cases[i].yaml), NULL),
                         0);
        uint32_t line, col;
        fz_linemap_pos(&m, fz_diags_at(&d, 0)->offset, &line, &col);
        if (line != cases[i].line || col != cases[i].col ||
            !strstr(fz_diags_at(&d, 0)->message, cases[i].message_has))
            fprintf(stderr, "case %zu: %u:%u: %s\n", i, line, col, fz_diags_at(&d, 0)->message);
        assert_non_null(strstr(fz_diags_at(&d, 0)->message, cases[i].message_has));
        assert_int_equal(line, cases[i].line);
        assert_int_equal(col, cases[i].col);
        fz_linemap_fini(&m);
        fz_diags_fini(&d);
    }
}

static void test_bind_every_error_of_a_file_is_reported(void **state)
{
    (void)state;
    const char *yaml = "rules:\n"
                       "  - match: \"(\"\n    noop:\n"
                       "  - noop:\n    timeout: x\n"
                       "  - exec: [a]\n    cwd: [1]\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, &d, &b), FZ_EPARSE);
    assert_int_equal(d.errors, 3);
    fz_diags_fini(&d);
}

static void test_bind_durations_parse_with_units(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t ns;
    } ok[] = {{"250ms", 250000000u},  {"2s", 2000000000u}, {"1.5m", 90000000000u},
              {"1h", 3600000000000u}, {"30us", 30000u},    {"3", 3000000000u},
              {" 7ns ", 7u}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t ns = 0;
        assert_int_equal(fz__duration_parse(ok[i].s, strlen(ok[i].s), &ns), 0);
        assert_int_equal(ns, ok[i].ns);
    }
    static const char *bad[] = {"", "s", "-1s", "1 parsec", "1e99h", "x1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ns = 0;
        assert_int_equal(fz__duration_parse(bad[i], strlen(bad[i]), &ns), FZ_EINVAL);
    }
}

static void test_bind_policies_reach_the_plan(void **state)
{
    (void)state;
    fz_graph *g = parse(two_lanes);
    const char *yaml = "rules:\n"
                       "  - id: n3\n    noop:\n    timeout: 2s\n    retries: 4\n    backoff: 1s\n"
                       "  - noop:\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, &d, &b), 0);
    uint32_t unbound = 0;
    assert_int_equal(fz_bind_resolve(b, g, &unbound), 0);
    assert_int_equal(unbound, 0);
    fz_plan *p = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), 0);
    fz_bind_apply_policies(b, p);
    const fz_policy *pol = fz_plan_policy(p, node(g, "n3"));
    assert_int_equal(pol->timeout_ns, 2000000000u);
    assert_int_equal(pol->retries, 4);
    assert_int_equal(pol->backoff_ns, 1000000000u);
    assert_int_equal(pol->exponential, 0);
    assert_int_equal(fz_plan_policy(p, node(g, "n1"))->retries, 0);
    fz_plan_free(p);
    fz_bind_free(b);
    fz_diags_fini(&d);
    fz_graph_free(g);
}

/* Input checks of issue 9: a second YAML document is an error (B004), not
 * ignored; an empty file (or one of comments) is B002 as documented; YAML
 * null (`~`, `null`) is no program or argument. */
static void test_bind_refuses_second_documents_empty_files_and_null_items(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *code;
        uint32_t line, col;
        const char *message_has;
    } cases[] = {
        {"rules:\n  - noop:\n---\nrules:\n  - fail: x\n", "B004", 3, 1, "second YAML document"},
        {"---\nrules:\n  - noop:\n--- # more\nrules: []\n", "B004", 4, 1, "second YAML document"},
        {"rules:\n  - noop:\n...\nrules: []\n", "B004", 4, 1, "second YAML document"},
        {"", "B002", 1, 1, "empty"},
        {"# nothing but a comment\n\n", "B002", 1, 1, "empty"},
        {"---\n...\n", "B002", 1, 1, "empty"},
        {"rules:\n  - exec: [~]\n", "B001", 2, 12, "'exec' must be a string, found nothing"},
        {"rules:\n  - exec: [echo, null]\n", "B001", 2, 18, "found nothing"},
        {"rules:\n  - exec: ~\n", "B001", 2, 11, "'exec' must be a list of strings, found nothing"},
        {"rules:\n  - shell: NULL\n", "B001", 2, 12, "'shell' must be a string, found nothing"},
        {"vars: {\"A B\": x}\nrules:\n  - noop:\n", "B001", 1, 9, "'A B' is not a variable name"},
        {"vars:\n  1A: x\nrules:\n  - noop:\n", "B001", 2, 3, "'1A' is not a variable name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_bind *b = NULL;
        int rc = fz_bind_load_mem("in.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &d, &b);
        assert_int_equal(rc, FZ_EPARSE);
        assert_null(b);
        assert_int_equal(d.errors, 1);
        const fz_diag *dg = fz_diags_at(&d, 0);
        fz_linemap m;
        assert_int_equal(fz_linemap_init(&m, cases[i].yaml, (uint32_t)strlen(cases[i].yaml), NULL),
                         0);
        uint32_t line, col;
        fz_linemap_pos(&m, dg->offset, &line, &col);
        if (strcmp(dg->code, cases[i].code) || line != cases[i].line || col != cases[i].col ||
            !strstr(dg->message, cases[i].message_has))
            fail_msg("case %zu: %s at %u:%u: %s", i, dg->code, line, col, dg->message);
        fz_linemap_fini(&m);
        fz_diags_fini(&d);
    }
    /* Quoted, they are text; a '...' that ends the only document is fine. */
    const char *ok[] = {"rules:\n  - exec: [echo, \"~\", 'null']\n", "rules:\n  - noop:\n...\n",
                        "%YAML 1.2\n---\nrules:\n  - noop: ~\n"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_bind *b = NULL;
        if (fz_bind_load_mem("ok.yaml", ok[i], strlen(ok[i]), NULL, &d, &b) != FZ_OK)
            fail_msg("ok case %zu refused: %s", i,
                     fz_diags_count(&d) ? fz_diags_at(&d, 0)->message : "?");
        fz_bind_free(b);
        fz_diags_fini(&d);
    }
}

/* A pattern PCRE2 stops on a node is FZ_EINVAL with the rule, the node and
 * the limit (the CLI prints them as B003); a 10,000-character label binds. */
static void test_bind_match_limit_names_rule_node_and_limit(void **state)
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
    p += sprintf(p, "\"\n}\n");
    fz_graph *g = parse(src);
    const char *yaml = "rules:\n"
                       "  - {shape: circle, noop: }\n"
                       "  - match: \"^Deploy ((a)|(b))*$\"\n    noop:\n"
                       "  - match: \"^(a|a)*b$\"\n    noop:\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, &d, &b), 0);
    uint32_t unbound = 0;
    assert_int_equal(fz_bind_resolve(b, g, &unbound), FZ_EINVAL);
    uint32_t rule = 99, nd = 99;
    const char *why = fz_bind_resolve_error(b, &rule, &nd);
    assert_int_equal(rule, 2);
    assert_int_equal(nd, node(g, "n2"));
    assert_non_null(strstr(why, "match limit"));
    /* Without the pathological rule, the long label binds with its capture. */
    fz_bind_free(b);
    const char *yaml2 = "rules:\n"
                        "  - {shape: circle, noop: }\n"
                        "  - match: \"^Deploy ((a)|(b))*$\"\n    noop:\n"
                        "  - noop:\n";
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml2, strlen(yaml2), NULL, &d, &b), 0);
    assert_int_equal(fz_bind_resolve(b, g, &unbound), 0);
    assert_int_equal(fz_bind_node_rule(b, node(g, "n3")), 1);
    assert_string_equal(fz_caps_get(fz_bind_node_caps(b, node(g, "n3")), "1"), "b");
    fz_bind_free(b);
    fz_diags_fini(&d);
    fz_graph_free(g);
    free(src);
}

static void test_bind_out_of_memory_leaves_nothing_behind(void **state)
{
    (void)state;
    fz_graph *g = parse(two_lanes);
    const char *yaml =
        "vars: {A: b}\n"
        "rules:\n"
        "  - match: ^Deploy (?<what>\\w+)\n    exec: [./x.sh, \"${what}\"]\n"
        "    env: {K: v}\n    timeout: 1s\n"
        "  - http: {url: \"http://127.0.0.1/\", body_match: \"(?<x>ok)\", status: 2xx}\n";
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_diags d;
        fz_diags_init(&d, &ta.hook);
        fz_bind *b = NULL;
        int rc = fz_bind_load_mem("b.yaml", yaml, strlen(yaml), &ta.hook, &d, &b);
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        if (rc == 0) {
            uint32_t unbound = 0;
            rc = fz_bind_resolve(b, g, &unbound);
            assert_true(rc == 0 || rc == FZ_ENOMEM);
        }
        fz_bind_free(b);
        fz_diags_fini(&d);
        if (ta.live)
            fprintf(stderr, "fail_at %llu: rc %d, %lld blocks left\n", (unsigned long long)n, rc,
                    (long long)ta.live);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        if (ta.injected == 0)
            break;
    }
    fz_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_canary_bindings_bind_every_node_with_captures),
        cmocka_unit_test(test_bind_first_matching_rule_wins_and_unbound_are_all_counted),
        cmocka_unit_test(test_bind_errors_point_at_the_field),
        cmocka_unit_test(test_bind_every_error_of_a_file_is_reported),
        cmocka_unit_test(test_bind_durations_parse_with_units),
        cmocka_unit_test(test_bind_policies_reach_the_plan),
        cmocka_unit_test(test_bind_refuses_second_documents_empty_files_and_null_items),
        cmocka_unit_test(test_bind_match_limit_names_rule_node_and_limit),
        cmocka_unit_test(test_bind_out_of_memory_leaves_nothing_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
