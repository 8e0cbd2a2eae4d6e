/* SPDX-License-Identifier: MIT */
/* test_expect.c - `expect:` in scenario files: the comparison syntax, every
 * expectation kind parsed (and each mistake's message), the Wilson interval
 * shares are judged by (pinned against published values), and checking
 * over the canary by one run, by --exact and by Monte Carlo (pass, fail
 * with the run to replay, undecided at the cap). */
#include "tests/support/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/parser.h"
#include "sim/expect.h"
#include "sim/report.h"
#include "sim/sim.h"

/*--------------------------------------------------------------------------
 * Comparisons and judging
 *------------------------------------------------------------------------*/

static void test_cmp_syntax(void **state)
{
    (void)state;
    fz_expect_op op;
    double v;
    assert_int_equal(fz_expect_parse_cmp(">= 0.65", FZ_UNIT_SHARE, &op, &v), 0);
    assert_int_equal(op, FZ_OP_GE);
    assert_true(fabs(v - 0.65) < 1e-12);
    assert_int_equal(fz_expect_parse_cmp("<=5%", FZ_UNIT_SHARE, &op, &v), 0);
    assert_int_equal(op, FZ_OP_LE);
    assert_true(fabs(v - 0.05) < 1e-12);
    assert_int_equal(fz_expect_parse_cmp("1", FZ_UNIT_SHARE, &op, &v), 0);
    assert_int_equal(op, FZ_OP_EQ);
    assert_int_equal(fz_expect_parse_cmp("< 5m", FZ_UNIT_DURATION, &op, &v), 0);
    assert_int_equal(op, FZ_OP_LT);
    assert_true(v == 300e9);
    assert_int_equal(fz_expect_parse_cmp("> 1m30s", FZ_UNIT_DURATION, &op, &v), 0);
    assert_int_equal(op, FZ_OP_GT);
    assert_true(v == 90e9);
    assert_int_equal(fz_expect_parse_cmp("== 3", FZ_UNIT_COUNT, &op, &v), 0);
    assert_true(v == 3);
    /* Mistakes. */
    assert_int_equal(fz_expect_parse_cmp(">= 1.5", FZ_UNIT_SHARE, &op, &v), FZ_EINVAL);
    assert_int_equal(fz_expect_parse_cmp(">= -0.1", FZ_UNIT_SHARE, &op, &v), FZ_EINVAL);
    assert_int_equal(fz_expect_parse_cmp(">=", FZ_UNIT_SHARE, &op, &v), FZ_EINVAL);
    assert_int_equal(fz_expect_parse_cmp("about 3", FZ_UNIT_COUNT, &op, &v), FZ_EINVAL);
    assert_int_equal(fz_expect_parse_cmp("2.5", FZ_UNIT_COUNT, &op, &v), FZ_EINVAL);
    assert_int_equal(fz_expect_parse_cmp("< 5 parsecs", FZ_UNIT_DURATION, &op, &v), FZ_EINVAL);
}

static void test_judge(void **state)
{
    (void)state;
    /* ">= 0.65" passes when the lower bound is at least 0.65. */
    assert_int_equal(fz_expect_judge(0.65, 0.70, FZ_OP_GE, 0.65), 1);
    assert_int_equal(fz_expect_judge(0.60, 0.70, FZ_OP_GE, 0.65), 0);
    assert_int_equal(fz_expect_judge(0.50, 0.64, FZ_OP_GE, 0.65), -1);
    assert_int_equal(fz_expect_judge(0.01, 0.049, FZ_OP_LE, 0.05), 1);
    assert_int_equal(fz_expect_judge(0.01, 0.06, FZ_OP_LE, 0.05), 0);
    assert_int_equal(fz_expect_judge(0.051, 0.06, FZ_OP_LE, 0.05), -1);
    assert_int_equal(fz_expect_judge(0.5, 0.5, FZ_OP_LT, 0.5), -1);
    assert_int_equal(fz_expect_judge(0.51, 0.6, FZ_OP_GT, 0.5), 1);
    assert_int_equal(fz_expect_judge(0.3, 0.3, FZ_OP_EQ, 0.3), 1);
    assert_int_equal(fz_expect_judge(0.2, 0.4, FZ_OP_EQ, 0.3), 0);
    assert_int_equal(fz_expect_judge(0.4, 0.5, FZ_OP_EQ, 0.3), -1);
}

/* 95% Wilson score intervals as published (Newcombe, Statistics in
 * Medicine 17 (1998) 857-872, table I, method 3), and the closed forms
 * for k = 0 and k = n: [0, z^2/(n+z^2)] and [n/(n+z^2), 1]. A 90%
 * interval (z = 1.645) misses every one of them. */
static void test_wilson_pinned(void **state)
{
    (void)state;
    static const struct {
        uint64_t k, n;
        double lo, hi;
    } pins[] = {
        {81, 263, 0.2553, 0.3662}, {15, 148, 0.0624, 0.1605}, {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},   {20, 20, 0.8389, 1.0000},  {5, 10, 0.2366, 0.7634},
        {0, 10, 0.0000, 0.2775},   {10, 10, 0.7225, 1.0000},
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        double lo, hi;
        fz_report_wilson(pins[i].k, pins[i].n, &lo, &hi);
        if (fabs(lo - pins[i].lo) > 5e-5 || fabs(hi - pins[i].hi) > 5e-5)
            fail_msg("Wilson(%llu, %llu) = [%.5f, %.5f], published [%.4f, %.4f]",
                     (unsigned long long)pins[i].k, (unsigned long long)pins[i].n, lo, hi,
                     pins[i].lo, pins[i].hi);
    }
    double lo, hi;
    fz_report_wilson(0, 0, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
}

/*--------------------------------------------------------------------------
 * Parsing
 *------------------------------------------------------------------------*/

/* Parses a scenario file whose only scenario is `t:` with the given
 * expect: body; returns its first diagnostic message ("" when none). */
static const char *parse_expect(const char *body, char *code, fz_scenario_file **out)
{
    static char msg[512];
    char text[2048];
    snprintf(text, sizeof text, "scenarios:\n  t:\n    expect:\n%s", body);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    int rc = fz_scenario_parse("t.yaml", text, strlen(text), NULL, &d, &f);
    msg[0] = 0;
    if (code)
        code[0] = 0;
    if (fz_diags_count(&d)) {
        snprintf(msg, sizeof msg, "%s", fz_diags_at(&d, 0)->message);
        if (code)
            snprintf(code, 8, "%s", fz_diags_at(&d, 0)->code);
        assert_int_equal(rc, FZ_EPARSE);
    } else {
        assert_int_equal(rc, 0);
    }
    fz_diags_fini(&d);
    if (out)
        *out = f;
    else
        fz_scenario_file_free(f);
    return msg;
}

static void test_parse_kinds(void **state)
{
    (void)state;
    fz_scenario_file *f = NULL;
    assert_string_equal(
        parse_expect("      outcome: {prefix: \"failed at \"}\n"
                     "      path: [n1, n2, n3]\n"
                     "      visits: {n3: 3, n6: \">= 0\"}\n"
                     "      duration: {p99: \"< 5m\", p50: \"<= 1m\", mean: \"> 1s\","
                     " max: \"< 1h\", min: \">= 0s\", p99.9: \"< 2h\"}\n"
                     "      share: {\"End via Success\": \">= 0.65\", \"x\": \"<= 5%\"}\n",
                     NULL, &f),
        "");
    assert_int_equal(fz_expect_count(fz_scenario_expect(f, 0)), 1 + 1 + 2 + 6 + 2);
    fz_scenario_file_free(f);
    assert_string_equal(parse_expect("      outcome: End via Success\n", NULL, &f), "");
    assert_int_equal(fz_expect_count(fz_scenario_expect(f, 0)), 1);
    fz_scenario_file_free(f);
    assert_string_equal(
        parse_expect("      outcome: {match: \"^End via (Success|Aborted)$\"}\n", NULL, NULL), "");
    /* A scenario without expect: has none; a top-level seed is read. */
    const char *t = "seed: 7\nscenarios:\n  a: {}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_scenario_parse("t.yaml", t, strlen(t), NULL, &d, &f), 0);
    assert_null(fz_scenario_expect(f, 0));
    uint64_t seed = 0;
    assert_int_equal(fz_scenario_seed(f, &seed), 1);
    assert_int_equal(seed, 7);
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

static void test_parse_mistakes(void **state)
{
    (void)state;
    char code[8];
    struct {
        const char *body, *code, *msg;
    } cases[] = {
        {"      outcomes: x\n", "S003", "unknown field 'outcomes' in 'expect'"},
        {"      outcome: [a, b]\n", "S002", "'outcome' must be a name or one of {prefix: ...}"},
        {"      outcome: {suffix: x}\n", "S003", "unknown field 'suffix' in 'outcome'"},
        {"      outcome: {match: \"(\"}\n", "S005", "'outcome': bad pattern: missing closing"},
        {"      path: n1\n", "S002", "'path' must be a list of node ids"},
        {"      path: [n1, [n2]]\n", "S002", "'path' entries must be node ids"},
        {"      visits: [n3]\n", "S002", "'visits' must be a mapping"},
        {"      visits: {n3: lots}\n", "S002", "'n3' of 'visits': not a comparison, found 'lots'"},
        {"      duration: {p100: \"< 5m\"}\n", "S003", "unknown statistic 'p100' in 'duration'"},
        {"      duration: {p99: \"< soon\"}\n", "S002",
         "'p99' of 'duration': not a comparison, found '< soon'"},
        {"      share: {x: \">= 1.5\"}\n", "S002",
         "'x' of 'share': not a comparison, found '>= 1.5'"},
        {"      share: 0.5\n", "S002", "'share' must be a mapping"},
        {"      - outcome\n", "S002", "'expect' must be a mapping"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *m = parse_expect(cases[i].body, code, NULL);
        if (strncmp(m, cases[i].msg, strlen(cases[i].msg)) || strcmp(code, cases[i].code))
            fail_msg("case %zu: got [%s] %s, expected [%s] %s", i, code, m, cases[i].code,
                     cases[i].msg);
    }
    /* expect: is a scenario's; there is no file-wide one. */
    const char *t = "expect: {outcome: x}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_scenario_parse("t.yaml", t, strlen(t), NULL, &d, &f), FZ_EPARSE);
    assert_string_equal(fz_diags_at(&d, 0)->code, "S003");
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
}

/*--------------------------------------------------------------------------
 * Checking over the canary
 *------------------------------------------------------------------------*/

typedef struct chk {
    fz_graph *g;
    fz_scenario_file *f;
    fz_scenario *s;
    fz_plan *plan;
    fz_expect_result r;
    int rc;
} chk;

/* Checks `scenarios: {t: {<scenario>, expect: <expect>}}` over the canary
 * (the canary file's shared rules are not included). */
static void check(chk *c, const char *scenario, const char *expect, uint64_t max_runs)
{
    memset(c, 0, sizeof *c);
    char text[4096];
    snprintf(text, sizeof text, "scenarios:\n  t:\n%s    expect:\n%s", scenario, expect);
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_file(fz_test_src("workflows/canary-deploy.fz"), NULL, &d, &c->g), 0);
    if (fz_scenario_parse("t.yaml", text, strlen(text), NULL, &d, &c->f))
        fail_msg("%s: %s", text, fz_diags_at(&d, 0)->message);
    assert_int_equal(fz_scenario_compile(c->f, 0, c->g, NULL, &d, &c->s), 0);
    assert_int_equal(fz_expect_bind(fz_scenario_expect(c->f, 0), c->g, &d), 0);
    assert_int_equal(fz_plan_new(c->g, NULL, NULL, &c->plan), 0);
    fz_sim_apply(c->s, c->plan);
    fz_expect_opts o = {.seed = 3, .min_runs = 500, .max_runs = max_runs};
    c->rc = fz_expect_check(c->plan, c->s, fz_scenario_expect(c->f, 0), &o, &c->r);
    assert_int_equal(c->rc, 0);
    fz_diags_fini(&d);
}

static void chk_close(chk *c)
{
    fz_expect_result_fini(&c->r);
    fz_plan_free(c->plan);
    fz_scenario_free(c->s);
    fz_scenario_file_free(c->f);
    fz_graph_free(c->g);
}

static void assert_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Fixed latencies and certain choices: one run decides. */
static const char happy[] = "    rules:\n"
                            "      - {match: \"\\\\?$\", latency: 5s, weights: {Yes: 1}}\n"
                            "      - {match: \".\", latency: 1m}\n";

static void test_one_run(void **state)
{
    (void)state;
    chk c;
    check(&c, happy,
          "      outcome: End via Success\n"
          "      path: [n1, n2, n3, n6, n7, n8, n9, n10, n12, n13, n14, n15, n16, n17, n18, n19, "
          "n4, n5]\n"
          "      visits: {n3: 1, n11: 0}\n"
          "      duration: {max: \"== 15m15s\", p99: \"<= 15m15s\", mean: \"> 15m\"}\n"
          "      share: {\"End via Success\": \"== 1\"}\n",
          0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_string_equal(c.r.method, "one run");
    assert_int_equal(c.r.runs, 1);
    assert_int_equal(c.r.passed, 8);
    chk_close(&c);

    /* Each kind failing, with what differed. */
    check(&c, happy,
          "      outcome: End via Aborted\n"
          "      path: [n1, n2, n3]\n"
          "      visits: {n3: 2}\n"
          "      duration: {max: \"< 15m\", p50: \"> 1h\", mean: \"< 1m\"}\n"
          "      share: {\"End via Success\": \"<= 0.5\"}\n",
          0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_int_equal(c.r.failed, 7);
    assert_int_equal(c.r.failed_run, 0);
    assert_has(c.r.message, "outcome: run 0 ended \"End via Success\", expected exactly "
                            "\"End via Aborted\"");
    assert_has(c.r.message, "path: run 0 went [n1, n2, n3, n6, n7");
    assert_has(c.r.message, "], expected [n1, n2, n3]");
    assert_has(c.r.message, "visits n3: run 0 visited it 1 time, expected 2");
    assert_has(c.r.message, "duration max: run 0 took 15m15s, expected < 15m");
    assert_has(c.r.message, "duration p50 > 1h: 15m15s in 1 run");
    assert_has(c.r.message, "duration mean < 1m: 15m15s");
    assert_has(c.r.message, "share \"End via Success\" <= 0.5: 1 in one run");
    chk_close(&c);
}

/* A failure outcome pinned by prefix and by pattern; retries count as
 * visits but not as path steps. */
static void test_scripted_failure(void **state)
{
    (void)state;
    chk c;
    const char *down = "    rules:\n"
                       "      - match: \"^Push to registry$\"\n"
                       "        retries: 2\n"
                       "        script: [error, error, error]\n";
    check(&c, down,
          "      outcome: {prefix: \"failed at \"}\n"
          "      path: [n1, n2, n3]\n"
          "      visits: {n3: 3, n6: 0}\n",
          0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_true(c.r.node_runs == NULL);
    chk_close(&c);
    /* Random latencies: still one run, unless a duration is expected. */
    const char *slow =
        "    defaults: {latency: {lognormal: {median: 2s, sigma: 0.4}}}\n"
        "    rules:\n"
        "      - {match: \"^Push to registry$\", retries: 2, script: [error, error, error]}\n";
    check(&c, slow, "      path: [n1, n2, n3]\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_string_equal(c.r.method, "one run");
    chk_close(&c);
    check(&c, slow, "      path: [n1, n2, n3]\n      duration: {p99: \"< 1m\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_string_equal(c.r.method, "exact + runs");
    assert_int_equal(c.r.runs, 500);
    chk_close(&c);
    check(&c, down, "      outcome: {match: \"^End via\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_has(c.r.message, "outcome: run 0 ended \"failed at ");
    assert_has(c.r.message, "expected match \"^End via\"");
    chk_close(&c);
}

/* Probabilistic, not time-dependent: --exact judges outcomes and shares. */
static const char flapping[] =
    "    rules:\n"
    "      - {match: \"^Metrics healthy\\\\?$\", weights: {Yes: 0.8, No: 0.2}}\n"
    "      - {match: \"^Still healthy\\\\?$\", weights: {Yes: 0.9, No: 0.1}}\n"
    "      - {match: \"^All metrics pass\\\\?$\", weights: {Yes: 0.95, No: 0.05}}\n";

static void test_exact(void **state)
{
    (void)state;
    chk c;
    check(&c, flapping,
          "      share: {\"End via Success\": \">= 0.65\", \"End via Rolled back\": \"<= 0.05\"}\n"
          "      outcome: {prefix: \"End via \"}\n",
          0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_string_equal(c.r.method, "exact + runs");
    assert_has(c.r.message, "share \"End via Success\" >= 0.65: 0.684 exact");
    chk_close(&c);
    /* 0.684 < 0.7 exactly: fails without sampling error. */
    check(&c, flapping, "      share: {\"End via Success\": \">= 0.7\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_has(c.r.message, "share \"End via Success\" >= 0.7: 0.684 exact");
    chk_close(&c);
    /* A share of a name no run ends with says which names there are. */
    check(&c, flapping, "      share: {\"Success\": \">= 0.5\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_has(c.r.message, "share \"Success\" >= 0.5: 0 exact (no run ends so; outcomes: "
                            "\"End via Success\", \"End via Aborted\", \"End via Rolled back\")");
    chk_close(&c);
    /* An outcome every run must have: exact names the one that breaks it. */
    check(&c, flapping, "      outcome: {match: \"Success|Aborted\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_has(c.r.message, "\"End via Rolled back\"");
    assert_true(c.r.failed_run != UINT64_MAX); /* a run that ended so, to replay */
    chk_close(&c);
}

/* Time-dependent (a start distribution): Monte Carlo with Wilson. */
static const char timed[] =
    "    start: {uniform: [0s, 1h]}\n"
    "    rules:\n"
    "      - {match: \"^Metrics healthy\\\\?$\", weights: {Yes: 0.5, No: 0.5}}\n"
    "      - {match: \"^Still healthy\\\\?$\", weights: {Yes: 1}}\n"
    "      - {match: \"^All metrics pass\\\\?$\", weights: {Yes: 1}}\n";

static void test_monte_carlo(void **state)
{
    (void)state;
    chk c;
    check(&c, timed,
          "      share: {\"End via Success\": \">= 0.4\", \"End via Aborted\": \"< 0.6\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    assert_string_equal(c.r.method, "Monte Carlo");
    assert_int_equal(c.r.runs, 500);
    assert_has(c.r.message, "95% interval [");
    assert_has(c.r.message, "in 500 runs");
    chk_close(&c);
    /* Clearly violated: fails at the first batch. */
    check(&c, timed, "      share: {\"End via Success\": \">= 0.7\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_int_equal(c.r.runs, 500);
    assert_int_equal(c.r.failed_run, UINT64_MAX);
    chk_close(&c);
    /* The true share is 0.5: ">= 0.5" stays undecided up to the cap. */
    check(&c, timed, "      share: {\"End via Success\": \">= 0.5\"}\n", 4000);
    assert_int_equal(c.r.verdict, FZ_EXPECT_UNDECIDED);
    assert_int_equal(c.r.runs, 4000);
    assert_has(c.r.message, "undecided: share \"End via Success\" >= 0.5");
    assert_has(c.r.message, "the cap of 4000 runs was reached");
    chk_close(&c);
    /* Close to the bound: more runs decide it (0.5 against 0.48 needs a
     * few thousand runs: 500, then doubling). */
    check(&c, timed, "      share: {\"End via Success\": \">= 0.48\"}\n", 100000);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    if (!(c.r.runs > 500 && c.r.runs < 100000))
        fail_msg("%llu runs: %s", (unsigned long long)c.r.runs, c.r.message);
    chk_close(&c);
    /* An every-run expectation broken by some run: that run is named. */
    check(&c, timed, "      outcome: End via Success\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_true(c.r.failed_run != UINT64_MAX);
    char want[64];
    snprintf(want, sizeof want, "outcome: run %llu ended \"End via Aborted\"",
             (unsigned long long)c.r.failed_run);
    assert_has(c.r.message, want);
    chk_close(&c);
    /* Percentiles through the share of runs on each side. */
    check(&c, timed, "      duration: {p50: \"< 1s\", p90: \">= 0s\", max: \"== 0s\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_PASS);
    chk_close(&c);
    check(&c, timed, "      duration: {p50: \"> 1s\"}\n", 0);
    assert_int_equal(c.r.verdict, FZ_EXPECT_FAIL);
    assert_has(c.r.message, "duration p50 > 1s: 0ms in 500 runs");
    chk_close(&c);
}

/* Node ids the workflow does not have are errors with a position. */
static void test_bind(void **state)
{
    (void)state;
    const char *t = "scenarios:\n  t:\n    expect: {path: [n1, n99], visits: {zz: 1}}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    fz_scenario_file *f = NULL;
    assert_int_equal(fz_parse_file(fz_test_src("workflows/canary-deploy.fz"), NULL, &d, &g), 0);
    assert_int_equal(fz_scenario_parse("t.yaml", t, strlen(t), NULL, &d, &f), 0);
    assert_int_equal(fz_expect_bind(fz_scenario_expect(f, 0), g, &d), FZ_EINVAL);
    assert_int_equal(fz_diags_count(&d), 2);
    assert_string_equal(fz_diags_at(&d, 0)->code, "S009");
    assert_string_equal(fz_diags_at(&d, 0)->message,
                        "'path' names node 'n99', which the workflow does not have");
    assert_int_equal(fz_diags_at(&d, 0)->offset, (uint32_t)(strstr(t, "n99") - t));
    assert_string_equal(fz_diags_at(&d, 1)->message,
                        "'visits' names node 'zz', which the workflow does not have");
    fz_scenario_file_free(f);
    fz_graph_free(g);
    fz_diags_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmp_syntax),       cmocka_unit_test(test_judge),
        cmocka_unit_test(test_wilson_pinned),    cmocka_unit_test(test_parse_kinds),
        cmocka_unit_test(test_parse_mistakes),   cmocka_unit_test(test_one_run),
        cmocka_unit_test(test_scripted_failure), cmocka_unit_test(test_exact),
        cmocka_unit_test(test_monte_carlo),      cmocka_unit_test(test_bind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
