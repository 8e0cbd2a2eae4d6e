/* SPDX-License-Identifier: MIT */
/* test_sim.c - studies over the canary: determinism, shares by hand, replay,
 * shard + merge, scripts, outages, exact enumeration, flat memory, edge
 * counts against an observer. */
#include "tests/support/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/status.h"
#include "parser/parser.h"
#include "engine/backend.h"
#include "sim/backend_sim.h"
#include "sim/exact.h"
#include "sim/report.h"
#include "sim/sim.h"
#include "tests/unit/routing_cases.h"

typedef struct fixture {
    fz_graph *g;
    fz_scenario_file *f;
    fz_scenario *s;
    fz_plan *plan;
    fz_sim *sim;
} fixture;

static const fz_report_meta meta = {"canary-deploy.fz", "0", "canary-deploy.scenario.yaml",
                                    "test", 42};

static void fixture_open(fixture *x, const char *scenario, uint64_t seed, const fz_alloc *alloc)
{
    memset(x, 0, sizeof *x);
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_file(fz_test_src("workflows/canary-deploy.fz"), alloc, &d, &x->g), 0);
    assert_int_equal(
        fz_scenario_load(fz_test_src("workflows/canary-deploy.scenario.yaml"), alloc, &d, &x->f), 0);
    uint32_t idx = fz_scenario_find(x->f, scenario);
    assert_true(idx != FZ_NONE);
    assert_int_equal(fz_scenario_compile(x->f, idx, x->g, alloc, &d, &x->s), 0);
    assert_int_equal(fz_plan_new(x->g, NULL, alloc, &x->plan), 0);
    fz_sim_apply(x->s, x->plan);
    assert_int_equal(fz_sim_new(x->plan, x->s, seed, alloc, &x->sim), 0);
    fz_diags_fini(&d);
}

/* The same for another workflow and a scenario given as text (its first scenario). */
static void fixture_open_text(fixture *x, const char *workflow, const char *text, uint64_t seed)
{
    memset(x, 0, sizeof *x);
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_file(fz_test_src(workflow), NULL, &d, &x->g), 0);
    assert_int_equal(fz_scenario_parse("test.yaml", text, strlen(text), NULL, &d, &x->f), 0);
    assert_int_equal(fz_scenario_compile(x->f, 0, x->g, NULL, &d, &x->s), 0);
    assert_int_equal(fz_plan_new(x->g, NULL, NULL, &x->plan), 0);
    fz_sim_apply(x->s, x->plan);
    assert_int_equal(fz_sim_new(x->plan, x->s, seed, NULL, &x->sim), 0);
    fz_diags_fini(&d);
}

static void fixture_close(fixture *x)
{
    fz_sim_free(x->sim);
    fz_plan_free(x->plan);
    fz_scenario_free(x->s);
    fz_scenario_file_free(x->f);
    fz_graph_free(x->g);
}

static fz_report *study(fixture *x, uint64_t first, uint64_t count, uint32_t threads)
{
    fz_report *r = NULL;
    assert_int_equal(fz_sim_study(x->sim, first, count, threads, &meta, NULL, &r), 0);
    return r;
}

static char *json_of(const fz_report *r)
{
    char *s = fz_report_json_string(r);
    assert_non_null(s);
    return s;
}

/* |observed share - p| within 4.5 standard errors. */
static void assert_share(const fz_report *r, const char *outcome, double p)
{
    uint64_t n = fz_report_runs(r), k = fz_report_outcome_count(r, outcome);
    double se = sqrt(p * (1 - p) / (double)n);
    double got = (double)k / (double)n;
    if (fabs(got - p) > 4.5 * se + 1e-12)
        fail_msg("%s: share %.5f, expected %.5f (se %.5f)", outcome, got, p, se);
}

static void test_sim_same_report_for_any_thread_count(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "monitoring-outage", 7, NULL);
    fz_report *r1 = study(&x, 0, 30000, 1);
    fz_report *r2 = study(&x, 0, 30000, 2);
    fz_report *r3 = study(&x, 0, 30000, 3);
    fz_report *r1b = study(&x, 0, 30000, 1);
    char *j1 = json_of(r1), *j2 = json_of(r2), *j3 = json_of(r3), *j1b = json_of(r1b);
    assert_string_equal(j1, j2);
    assert_string_equal(j1, j3);
    assert_string_equal(j1, j1b);
    assert_true(fz_report_outcome_total(r1) >= 3);
    free(j1);
    free(j2);
    free(j3);
    free(j1b);
    fz_report_free(r1);
    fz_report_free(r2);
    fz_report_free(r3);
    fz_report_free(r1b);
    /* Another seed gives another study. */
    fz_sim *other = NULL;
    assert_int_equal(fz_sim_new(x.plan, x.s, 8, NULL, &other), 0);
    fz_report *ra = NULL, *rb = study(&x, 0, 2000, 1);
    assert_int_equal(fz_sim_study(other, 0, 2000, 1, &meta, NULL, &ra), 0);
    char *ja = json_of(ra), *jb = json_of(rb);
    assert_true(strcmp(ja, jb) != 0);
    free(ja);
    free(jb);
    fz_report_free(ra);
    fz_report_free(rb);
    fz_sim_free(other);
    fixture_close(&x);
}

static void test_sim_parallel_tokens_are_deterministic_and_add_up(void **state)
{
    (void)state;
    /* Three builds race with exponential latencies; each fails 5% of the
     * time, and the first failure ends the run. Ties in virtual time are
     * broken by push order, so threads change nothing. */
    const char *text = "defaults:\n  latency: {exponential: 1s}\n"
                       "rules:\n  - match: ^Build\n    error: 5%\n";
    fixture x;
    fixture_open_text(&x, "workflows/parallel.fz", text, 77);
    fz_report *r1 = NULL, *r3 = NULL;
    assert_int_equal(fz_sim_study(x.sim, 0, 40000, 1, &meta, NULL, &r1), 0);
    assert_int_equal(fz_sim_study(x.sim, 0, 40000, 3, &meta, NULL, &r3), 0);
    char *j1 = json_of(r1), *j3 = json_of(r3);
    assert_string_equal(j1, j3);
    /* All three builds succeed with 0.95^3; the branches then join at the
     * merge node, which runs once. */
    uint64_t ok = 0;
    for (uint32_t i = 0; i < fz_report_outcome_total(r1); i++) {
        uint64_t c;
        fz_run_state st;
        fz_report_outcome_at(r1, i, &c, &st);
        if (st == FZ_RUN_COMPLETED)
            ok += c;
    }
    double p = 0.95 * 0.95 * 0.95, se = sqrt(p * (1 - p) / 40000);
    assert_true(fabs((double)ok / 40000 - p) < 4.5 * se);
    free(j1);
    free(j3);
    fz_report_free(r1);
    fz_report_free(r3);
    fixture_close(&x);
}

/* The study's edge figures (the engine counts into the report) equal what an
 * on_edge observer sees when each run is replayed. */
typedef struct edge_tally {
    uint64_t *trav, *runs, *seen;
} edge_tally;

static void tally_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    (void)token;
    (void)t_ns;
    edge_tally *t = ud;
    t->trav[edge]++;
}

static void check_edges_against_observer(fz_sim *sim, const fz_graph *g, uint64_t runs)
{
    fz_report *r = NULL;
    assert_int_equal(fz_sim_study(sim, 0, runs, 2, &meta, NULL, &r), 0);
    uint32_t ne = fz_graph_edge_count(g);
    edge_tally t = {calloc(ne, 8), calloc(ne, 8), calloc(ne, 8)};
    fz_observer obs;
    memset(&obs, 0, sizeof obs);
    obs.on_edge = tally_edge;
    obs.ud = &t;
    uint64_t total = 0;
    for (uint64_t i = 0; i < runs; i++) {
        fz_sim_run_info info;
        assert_int_equal(fz_sim_replay(sim, i, &obs, &info), 0);
        for (uint32_t e = 0; e < ne; e++) {
            t.runs[e] += t.trav[e] != t.seen[e];
            t.seen[e] = t.trav[e];
        }
    }
    char *j = json_of(r);
    for (uint32_t e = 0; e < ne; e++) {
        assert_int_equal(fz_report_edge_runs(r, e), t.runs[e]);
        total += t.trav[e];
    }
    /* Traversals appear in the JSON only: their sum must match too. */
    uint64_t sum = 0;
    for (const char *q = strstr(j, "\"traversals\""); q; q = strstr(q + 1, "\"traversals\""))
        sum += strtoull(strchr(q, ':') + 1, NULL, 10);
    assert_true(total > runs);
    assert_int_equal(sum, total);
    free(j);
    free(t.trav);
    free(t.runs);
    free(t.seen);
    fz_report_free(r);
}

static void test_sim_edge_counts_match_an_observer(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "metrics-flapping", 5, NULL);
    check_edges_against_observer(x.sim, x.g, 3000);
    fixture_close(&x);
    /* Fan-out: one completion sends tokens along several edges. */
    const char *text = "defaults:\n  latency: {exponential: 1s}\n"
                       "rules:\n  - match: ^Build\n    error: 5%\n";
    fixture_open_text(&x, "workflows/parallel.fz", text, 11);
    check_edges_against_observer(x.sim, x.g, 3000);
    fixture_close(&x);
}

static void test_sim_canary_shares_match_hand_computation(void **state)
{
    (void)state;
    fixture x;
    /* metrics-flapping: Metrics healthy? Yes 0.8, Still healthy? Yes 0.9,
     * All metrics pass? Yes 0.95, nothing else fails:
     *   Success     = 0.8 * 0.9 * 0.95          = 0.684
     *   Aborted     = 0.2 + 0.8 * 0.1           = 0.28
     *   Rolled back = 0.8 * 0.9 * 0.05          = 0.036 */
    fixture_open(&x, "metrics-flapping", 1, NULL);
    fz_report *r = study(&x, 0, 200000, 2);
    assert_int_equal(fz_report_runs(r), 200000);
    assert_share(r, "End via Success", 0.684);
    assert_share(r, "End via Aborted", 0.28);
    assert_share(r, "End via Rolled back", 0.036);
    assert_int_equal(fz_report_outcome_total(r), 3);
    fz_report_free(r);
    fixture_close(&x);

    /* registry-no-retries: the push fails 5% of the time and the run fails
     * there; the shared decision weights (0.97, 0.97, 0.98) apply after:
     *   failed      = 0.05
     *   Success     = 0.95 * 0.97 * 0.97 * 0.98 = 0.87597...
     *   Aborted     = 0.95 * (0.03 + 0.97 * 0.03)
     *   Rolled back = 0.95 * 0.97 * 0.97 * 0.02 */
    fixture_open(&x, "registry-no-retries", 2, NULL);
    r = study(&x, 0, 200000, 2);
    uint64_t failed = 0;
    for (uint32_t i = 0; i < fz_report_outcome_total(r); i++) {
        uint64_t c;
        fz_run_state st;
        fz_report_outcome_at(r, i, &c, &st);
        if (st == FZ_RUN_FAILED)
            failed += c;
    }
    double se = sqrt(0.05 * 0.95 / 200000);
    assert_true(fabs((double)failed / 200000 - 0.05) < 4.5 * se);
    assert_share(r, "End via Success", 0.95 * 0.97 * 0.97 * 0.98);
    assert_share(r, "End via Aborted", 0.95 * (0.03 + 0.97 * 0.03));
    assert_share(r, "End via Rolled back", 0.95 * 0.97 * 0.97 * 0.02);
    fz_report_free(r);
    fixture_close(&x);
}

typedef struct event_log {
    char buf[16384];
    size_t len;
} event_log;

static void log_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    event_log *l = ud;
    l->len += (size_t)snprintf(l->buf + l->len, sizeof l->buf - l->len, "s%u@%llu ", t->node,
                               (unsigned long long)t_ns);
}

static void log_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    event_log *l = ud;
    l->len += (size_t)snprintf(l->buf + l->len, sizeof l->buf - l->len, "f%u:%d:%s@%llu ",
                               t->node, r->answer, r->outcome ? r->outcome : "",
                               (unsigned long long)t_ns);
}

static void test_sim_replay_reproduces_the_run(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "flaky-registry", 99, NULL);
    fz_observer obs = {.on_start = log_start, .on_finish = log_finish};
    for (uint64_t k = 0; k < 200; k += 37) {
        event_log a = {{0}, 0}, b = {{0}, 0};
        fz_sim_run_info ia, ib;
        obs.ud = &a;
        assert_int_equal(fz_sim_replay(x.sim, k, &obs, &ia), 0);
        char outcome[256];
        snprintf(outcome, sizeof outcome, "%s", ia.outcome);
        fz_sim_replay(x.sim, k + 1, NULL, &ib); /* something else in between */
        obs.ud = &b;
        assert_int_equal(fz_sim_replay(x.sim, k, &obs, &ib), 0);
        assert_string_equal(a.buf, b.buf);
        assert_string_equal(outcome, ib.outcome);
        assert_true(ia.duration_ns == ib.duration_ns);
        /* The study's run k ended the same way. */
        fz_report *r = study(&x, k, 1, 1);
        assert_int_equal(fz_report_outcome_count(r, outcome), 1);
        assert_true(fz_report_duration_quantile(r, 1.0) == ib.duration_ns);
        fz_report_free(r);
    }
    fixture_close(&x);
}

static void test_sim_shard_and_merge_equal_one_study(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "monitoring-outage", 5, NULL);
    fz_report *whole = study(&x, 0, 20000, 1);
    fz_report *a = study(&x, 0, 7001, 1);
    fz_report *b = study(&x, 7001, 9000, 2);
    fz_report *c = study(&x, 16001, 3999, 1);
    /* Through files, as `sim merge` reads them. */
    char path[] = "/tmp/flowzap-test-shard-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_int_equal(fz_report_write_json(c, fp), 0);
    fclose(fp);
    fz_report *c2 = NULL;
    char err[256];
    assert_int_equal(fz_report_load(path, x.g, NULL, &c2, err, sizeof err), 0);
    unlink(path);
    assert_int_equal(fz_report_merge(b, c2), 0);
    assert_int_equal(fz_report_merge(a, b), 0);
    char *jw = json_of(whole), *jm = json_of(a);
    assert_string_equal(jw, jm);
    free(jw);
    free(jm);
    fz_report_free(whole);
    fz_report_free(a);
    fz_report_free(b);
    fz_report_free(c);
    fz_report_free(c2);
    fixture_close(&x);
}

static void test_sim_scripts_and_outages_inject_what_they_say(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "scripted-push", 3, NULL);
    fz_sim_run_info info;
    assert_int_equal(fz_sim_replay(x.sim, 0, NULL, &info), 0);
    assert_int_equal(info.state, FZ_RUN_COMPLETED);
    uint32_t n3 = fz_graph_find_node(x.g, "n3", 2);
    uint32_t errors = 0, timeouts = 0;
    for (uint32_t i = 0; i < info.nfaults; i++) {
        if (info.faults[i].node == n3 && info.faults[i].kind == FZ_FAULT_ERROR)
            errors++;
        if (info.faults[i].node == n3 && info.faults[i].kind == FZ_FAULT_TIMEOUT)
            timeouts++;
    }
    assert_int_equal(errors, 1);
    assert_int_equal(timeouts, 1);
    fz_report *r = study(&x, 0, 1000, 1);
    char *j = json_of(r);
    /* Every run pushes three times: error, timeout, ok. */
    assert_non_null(strstr(j, "\"visits\": 3000"));
    free(j);
    fz_report_free(r);
    fixture_close(&x);

    fixture_open(&x, "monitoring-outage", 4, NULL);
    r = study(&x, 0, 20000, 2);
    uint64_t failed = 0;
    for (uint32_t i = 0; i < fz_report_outcome_total(r); i++) {
        uint64_t cnt;
        fz_run_state st;
        const char *name = fz_report_outcome_at(r, i, &cnt, &st);
        if (st == FZ_RUN_FAILED) {
            failed += cnt;
            assert_non_null(strstr(name, "lane outage"));
        }
    }
    /* Runs start uniformly over 2h and reach Monitoring about 15 minutes in,
     * so about 16 of 120 minutes of start times meet the outage (13%); but
     * those runs pass both health checks inside the bad-metrics window, where
     * each says Yes half the time: 13% x 1/4, about 3.3%. */
    if (!(failed > 20000 * 0.02 && failed < 20000 * 0.05))
        fail_msg("failed runs: %llu", (unsigned long long)failed);
    fz_report_free(r);
    fixture_close(&x);
}

static void test_sim_exact_matches_monte_carlo(void **state)
{
    (void)state;
    const char *names[] = {"metrics-flapping", "flaky-registry", "scripted-push"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        fixture x;
        fixture_open(&x, names[k], 11, NULL);
        fz_exact *ex = NULL;
        char why[256];
        assert_int_equal(fz_exact_run(x.plan, x.s, 100000, NULL, &ex, why, sizeof why), 0);
        double total = 0;
        for (uint32_t i = 0; i < fz_exact_count(ex); i++)
            total += fz_exact_at(ex, i, NULL, NULL);
        assert_true(fabs(total - 1.0) < 1e-9);
        fz_report *r = study(&x, 0, 200000, 2);
        for (uint32_t i = 0; i < fz_exact_count(ex); i++) {
            const char *name;
            double p = fz_exact_at(ex, i, &name, NULL);
            assert_share(r, name, p);
        }
        if (k == 0) {
            double p = 0;
            for (uint32_t i = 0; i < fz_exact_count(ex); i++) {
                const char *name;
                double q = fz_exact_at(ex, i, &name, NULL);
                if (strcmp(name, "End via Success") == 0)
                    p = q;
            }
            assert_true(fabs(p - 0.684) < 1e-12);
        }
        fz_report_free(r);
        fz_exact_free(ex);
        fixture_close(&x);
    }
}

static void test_sim_memory_is_flat_in_the_number_of_runs(void **state)
{
    (void)state;
    uint64_t calls[2];
    int64_t bytes[2];
    const uint64_t runs[2] = {2000, 200000};
    for (int i = 0; i < 2; i++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, 0);
        fixture x;
        fixture_open(&x, "flaky-registry", 1, &ta.hook);
        uint64_t before = ta.calls;
        fz_report *r = NULL;
        assert_int_equal(fz_sim_study(x.sim, 0, runs[i], 1, &meta, NULL, &r), 0);
        calls[i] = ta.calls - before;
        bytes[i] = ta.live_bytes;
        fz_report_free(r);
        fixture_close(&x);
        assert_int_equal(ta.live, 0);
    }
    /* 100 times the runs: a few more distinct paths, nothing per run. */
    assert_true(calls[1] < calls[0] + 200);
    assert_true(bytes[1] < bytes[0] + 256 * 1024);
}

/* Every allocation a study makes, failed in turn (from that one on): the
 * study returns FZ_ENOMEM or succeeds, and frees all it took. The fast
 * one-token steps record a drawn fault after the step; growing the fault
 * list is among the allocations that fail here. */
static void test_sim_out_of_memory_fails_a_study_cleanly(void **state)
{
    (void)state;
    uint64_t need = 0;
    int failed = 0;
    for (uint64_t k = 0;; k++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, 0);
        fixture x;
        fixture_open(&x, "flaky-registry", 1, &ta.hook);
        uint64_t before = ta.calls;
        if (k)
            ta.fail_at = before + k;
        fz_report *r = NULL;
        int rc = fz_sim_study(x.sim, 0, 3000, 1, &meta, NULL, &r);
        if (k == 0) {
            assert_int_equal(rc, 0);
            need = ta.calls - before;
        } else if (rc) {
            assert_int_equal(rc, FZ_ENOMEM);
            assert_null(r);
            failed++;
        }
        fz_report_free(r);
        fixture_close(&x);
        assert_int_equal(ta.live, 0);
        if (k && k >= need)
            break;
    }
    assert_true(need > 3);
    assert_true(failed > 3);
}

/* K parallel 50/50 decisions, each to its own Pass and Fail end. */
static char *parallel_decisions(uint32_t k)
{
    size_t cap = 256 + (size_t)k * 256, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n, "P { # Parallel\nn1: circle label:\"Start\"\n");
    for (uint32_t i = 1; i <= k; i++) {
        uint32_t d = i + 1, a = k + 2 * i, b = k + 2 * i + 1;
        n += (size_t)snprintf(t + n, cap - n,
                              "n%u: diamond label:\"Check %u?\"\nn%u: circle label:\"Pass %u\"\n"
                              "n%u: circle label:\"Fail %u\"\nn1.handle(right) -> n%u.handle(left)\n"
                              "n%u.handle(right) -> n%u.handle(left) [label=\"Yes\"]\n"
                              "n%u.handle(bottom) -> n%u.handle(top) [label=\"No\"]\n",
                              d, i, a, i, b, i, d, d, a, d, b);
    }
    snprintf(t + n, cap - n, "}\n");
    return t;
}

/* 20 parallel 50/50 decisions end runs in 2^20 ways: the report counts
 * each end instead (decided from the workflow, so every thread count and
 * shard split gives the same bytes), and its memory and JSON stay small.
 * Before: 100,000 runs kept ~100,000 outcomes and 65,536 paths (2.46 GB
 * peak, a 442 MB JSON report). */
static void test_sim_parallel_outcomes_fold_into_ends(void **state)
{
    (void)state;
    char *wf = parallel_decisions(20);
    const char *sc = "defaults:\n  latency: 1s\n";
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fixture x;
    memset(&x, 0, sizeof x);
    assert_int_equal(fz_parse_mem("par20.fz", wf, strlen(wf), NULL, &d, &x.g), 0);
    assert_int_equal(fz_graph_node_count(x.g), 61);
    assert_int_equal(fz_scenario_parse("par.yaml", sc, strlen(sc), NULL, &d, &x.f), 0);
    assert_int_equal(fz_scenario_compile(x.f, 0, x.g, NULL, &d, &x.s), 0);
    assert_int_equal(fz_plan_new(x.g, NULL, NULL, &x.plan), 0);
    fz_sim_apply(x.s, x.plan);
    assert_int_equal(fz_sim_new(x.plan, x.s, 5, NULL, &x.sim), 0);
    fz_sim *counted = NULL; /* one thread: the counting allocator is not thread-safe */
    assert_int_equal(fz_sim_new(x.plan, x.s, 5, &ta.hook, &counted), 0);
    fz_diags_fini(&d);
    fz_report_shape shape;
    fz_report_plan_shape(x.g, x.s->policies, &shape);
    assert_true(shape.by_end);
    assert_int_equal(shape.path_max_len, 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    const uint64_t runs = 20000; /* sanitizers run ~10x slower */
#else
    const uint64_t runs = 100000;
#endif
    int64_t base = ta.live_bytes;
    fz_report *r1 = NULL;
    assert_int_equal(fz_sim_study(counted, 0, runs, 1, &meta, NULL, &r1), 0);
    /* What the report keeps: 40 ends and their faults, no paths. */
    assert_true(ta.live_bytes - base < 2 * 1024 * 1024);
    fz_report *r2 = study(&x, 0, runs, 2);
    assert_int_equal(fz_report_outcome_total(r2), 40);
    assert_share(r2, "Pass 1 via Yes", 0.5);
    assert_share(r2, "Fail 20 via No", 0.5);
    char *j2 = json_of(r2);
    assert_true(strlen(j2) < 256 * 1024);
    assert_non_null(strstr(j2, "\"outcomes_by\": \"end\""));
    assert_non_null(strstr(j2, "\"paths_max_len\": 0"));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    if (ru.ru_maxrss > 100 * 1024)
        fail_msg("peak RSS %ld KiB", ru.ru_maxrss);
#endif
    /* One thread, and three shards merged: the same bytes. */
    char *j1 = json_of(r1);
    assert_string_equal(j1, j2);
    fz_report *acc = study(&x, 0, runs / 3, 1);
    for (uint64_t i = 1; i < 3; i++) {
        fz_report *part = study(&x, runs * i / 3, runs * (i + 1) / 3 - runs * i / 3, 2);
        assert_int_equal(fz_report_merge(acc, part), 0);
        fz_report_free(part);
    }
    char *jm = json_of(acc);
    assert_string_equal(jm, j2);
    free(j1);
    free(j2);
    free(jm);
    fz_report_free(acc);
    fz_report_free(r1);
    fz_report_free(r2);
    fz_sim_free(counted);
    fixture_close(&x);
    assert_int_equal(ta.live, 0);
    free(wf);
}

/* Few parallel branches keep their joint outcomes ("A + B"). */
static void test_sim_few_parallel_outcomes_stay_joint(void **state)
{
    (void)state;
    char *wf = parallel_decisions(4);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("par4.fz", wf, strlen(wf), NULL, &d, &g), 0);
    fz_report_shape shape;
    fz_report_plan_shape(g, NULL, &shape);
    assert_false(shape.by_end);
    assert_int_equal(shape.path_max_len, 0);
    fz_graph_free(g);
    fz_diags_fini(&d);
    free(wf);
    /* The canary is one token: every outcome and every path. */
    fixture x;
    fixture_open(&x, "flaky-registry", 1, NULL);
    fz_report_plan_shape(x.g, x.s->policies, &shape);
    assert_false(shape.by_end);
    assert_int_equal(shape.path_max_len, UINT32_MAX);
    fixture_close(&x);
}

/* Outcome keys (fz_report_end_run_keyed): a key seen before finds its
 * outcome without the text, runs without a key go by the text, and the
 * counts equal those of the same runs by text alone; the engine keys a
 * one-end completion and nothing else. */
static void test_sim_outcome_keys_count_like_texts(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "flaky-registry", 1, NULL);
    fz_report *r = NULL, *plain = NULL;
    assert_int_equal(fz_report_new(x.g, &meta, NULL, &r), 0);
    assert_int_equal(fz_report_new(x.g, &meta, NULL, &plain), 0);
    static const struct {
        const char *name;
        uint64_t key;
        fz_run_state st;
    } runs[] = {{"A", 5, FZ_RUN_COMPLETED}, {"failed: x", 0, FZ_RUN_FAILED},
                {"A", 5, FZ_RUN_COMPLETED}, {"B", 9, FZ_RUN_COMPLETED},
                {"A", 0, FZ_RUN_COMPLETED}, {"B", 9, FZ_RUN_COMPLETED},
                {"A", 5, FZ_RUN_COMPLETED}, {"failed: x", 0, FZ_RUN_FAILED}};
    for (uint64_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        fz_report_begin_run(r, i);
        fz_report_begin_run(plain, i);
        fz_report_task(r, 0, FZ_ANSWER_OK, 0, 10);
        fz_report_task(plain, 0, FZ_ANSWER_OK, 0, 10);
        assert_int_equal(fz_report_end_run_keyed(r, runs[i].st, runs[i].name, runs[i].key, 10,
                                                 NULL, 0),
                         0);
        assert_int_equal(fz_report_end_run(plain, runs[i].st, runs[i].name, 10, NULL, 0), 0);
    }
    assert_int_equal(fz_report_outcome_count(r, "A"), 4);
    assert_int_equal(fz_report_outcome_count(r, "B"), 2);
    assert_int_equal(fz_report_outcome_count(r, "failed: x"), 2);
    char *a = json_of(r), *b = json_of(plain);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fz_report_free(r);
    fz_report_free(plain);

    /* The engine: a completed canary run has a key, stable over runs that
     * end alike; before the text is asked for there is none. */
    fz_engine *e = NULL;
    fz_backend_sim *be = NULL;
    assert_int_equal(fz_engine_new(x.plan, NULL, &e), 0);
    assert_int_equal(fz_backend_sim_new(x.s, NULL, &be), 0);
    uint64_t success_key = 0;
    int successes = 0;
    for (uint64_t i = 0; i < 200; i++) {
        fz_backend_sim_reset(be, 42, i);
        assert_int_equal(fz_engine_start(e), 0);
        assert_int_equal(fz_engine_outcome_key(e), 0);
        assert_int_equal(fz_engine_drive(e, fz_backend_sim_backend(be)), 0);
        const char *o = fz_engine_outcome(e);
        uint64_t k = fz_engine_outcome_key(e);
        if (fz_engine_state(e) == FZ_RUN_FAILED) {
            assert_int_equal(k, 0);
            continue;
        }
        assert_int_not_equal(k, 0);
        if (strcmp(o, "End via Success") == 0) {
            if (!successes++)
                success_key = k;
            assert_true(k == success_key);
        } else {
            assert_true(k != success_key || !successes);
        }
    }
    assert_true(successes > 100);
    fz_backend_sim_free(be);
    fz_engine_free(e);
    fixture_close(&x);
}

/* Sums of nanoseconds past 2^64 (a million 4-hour runs pass it): the
 * accumulator is fed synthetic huge values; the mean, the shares and the
 * JSON (a decimal string past 2^63-1) stay exact, and load back. */
static void test_sim_time_sums_do_not_overflow(void **state)
{
    (void)state;
    fixture x;
    fixture_open(&x, "flaky-registry", 1, NULL);
    fz_report *r = NULL;
    assert_int_equal(fz_report_new(x.g, &meta, NULL, &r), 0);
    const uint64_t big = (uint64_t)1 << 62; /* 146 years */
    for (uint64_t i = 0; i < 8; i++) {
        fz_report_begin_run(r, i);
        fz_report_task_start(r, 0);
        fz_report_task_finish(r, 0, FZ_ANSWER_OK, 0, big);
        fz_report_task_start(r, 1);
        fz_report_task_finish(r, 1, FZ_ANSWER_OK, big, big + big / 2);
        assert_int_equal(fz_report_end_run(r, FZ_RUN_COMPLETED, "End", big + big / 2, NULL, 0), 0);
    }
    char *j = json_of(r);
    /* 8 x 2^62 = 2^65 and 8 x 1.5 x 2^62 = 3 x 2^64. */
    assert_non_null(strstr(j, "\"time_ns\": \"36893488147419103232\""));
    assert_non_null(strstr(j, "\"time_ns\": \"18446744073709551616\""));
    assert_non_null(strstr(j, "\"duration_sum_ns\": \"55340232221128654848\""));
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    assert_non_null(f);
    fz_report_print(f, r, 5);
    fclose(f);
    assert_non_null(strstr(text, "66.7%"));
    assert_non_null(strstr(text, "33.3%"));
    /* The mean: 1.5 x 2^62 ns = 1,921,535 hours, not a wrapped sum. */
    assert_non_null(strstr(text, "mean 1921535h50m"));
    char path[] = "/tmp/fz-sums-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, j, strlen(j)), (ssize_t)strlen(j));
    close(fd);
    fz_report *back = NULL;
    char err[256];
    assert_int_equal(fz_report_load(path, x.g, NULL, &back, err, sizeof err), 0);
    unlink(path);
    char *j2 = json_of(back);
    assert_string_equal(j, j2);
    free(text);
    free(j);
    free(j2);
    fz_report_free(back);
    fz_report_free(r);
    fixture_close(&x);
}

/*==========================================================================
 * The routing cases every backend runs (routing_cases.h), through the
 * simulator: each node's script becomes a scenario script (the last entry
 * repeated), latencies are 0. The replay of run 0, a study and --exact must
 * all end as the case says.
 *========================================================================*/

static void rc_sim_count(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t_ns;
    ((uint32_t *)ud)[t->node]++;
}

/* The scenario of case c on graph g, into out. */
static void rc_scenario(const rc_case *c, const fz_graph *g, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "defaults:\n  latency: {fixed: 0s}\n");
    for (uint32_t i = 0; i < fz_graph_node_count(g); i++) {
        const fz_node *nd = fz_graph_node(g, i);
        char id[32], item[128];
        snprintf(id, sizeof id, "%.*s", (int)nd->id.len, fz_graph_text(g, nd->id));
        rc_item(c->script, id, 0, item, sizeof item);
        if (!item[0])
            continue;
        if (!strstr(out, "rules:"))
            n += (size_t)snprintf(out + n, cap - n, "rules:\n");
        n += (size_t)snprintf(out + n, cap - n, "  - match: \"\"\n    id: %s\n    script: [", id);
        for (uint32_t k = 0; k < 40; k++) {
            rc_item(c->script, id, k, item, sizeof item);
            if (item[0] == '@')
                n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", k ? ", " : "", item + 1);
            else
                n += (size_t)snprintf(out + n, cap - n, "%s%s", k ? ", " : "", item);
        }
        n += (size_t)snprintf(out + n, cap - n, "]\n");
    }
}

static void test_sim_routing_cases(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < RC_ALL; i++) {
        rc_buf buf;
        rc_case c = rc_get(i, &buf);
        char text[4096], yaml[8192];
        rc_flowzap(c.desc, text, sizeof text);
        fixture x;
        memset(&x, 0, sizeof x);
        fz_diags d;
        fz_diags_init(&d, NULL);
        assert_int_equal(fz_parse_mem("case.fz", text, strlen(text), NULL, &d, &x.g), 0);
        rc_scenario(&c, x.g, yaml, sizeof yaml);
        if (fz_scenario_parse("case.yaml", yaml, strlen(yaml), NULL, &d, &x.f) != 0 ||
            fz_scenario_compile(x.f, 0, x.g, NULL, &d, &x.s) != 0)
            fail_msg("%s: scenario refused:\n%s", c.name, yaml);
        fz_diags_fini(&d);
        assert_int_equal(fz_plan_new(x.g, NULL, NULL, &x.plan), 0);
        fz_sim_apply(x.s, x.plan);
        assert_int_equal(fz_sim_new(x.plan, x.s, 5, NULL, &x.sim), 0);
        uint32_t counts[64] = {0};
        fz_observer obs = {.on_start = rc_sim_count, .ud = counts};
        fz_sim_run_info info;
        assert_int_equal(fz_sim_replay(x.sim, 0, &obs, &info), 0);
        char visits[256];
        rc_visits(x.g, counts, visits, sizeof visits);
        if (!rc_outcome_ok(&c, info.outcome) || strcmp(visits, c.visits) != 0)
            fail_msg("%s: outcome \"%s\" (expected \"%s\"), visits \"%s\" (expected \"%s\")",
                     c.name, info.outcome, c.outcome, visits, c.visits);
        /* A study: every run the same (the scripts leave nothing to chance). */
        fz_report *r = study(&x, 0, 20, 1);
        fz_report_shape shape;
        fz_report_get_shape(r, &shape);
        if (!shape.by_end) {
            assert_int_equal(fz_report_outcome_total(r), 1);
            assert_int_equal(fz_report_outcome_count(r, info.outcome), 20);
        } else {
            /* Counted by end (fan-out with cycles): each part of the joint
             * name is reached by every run. */
            uint32_t parts = 0;
            for (const char *p = info.outcome; p;) {
                const char *sep = strstr(p, " + ");
                char part[256];
                size_t n = sep ? (size_t)(sep - p) : strlen(p);
                assert_true(n < sizeof part);
                memcpy(part, p, n);
                part[n] = '\0';
                if (fz_report_outcome_count(r, part) != 20)
                    fail_msg("%s: end \"%s\" counted %llu times, not 20", c.name, part,
                             (unsigned long long)fz_report_outcome_count(r, part));
                parts++;
                p = sep ? sep + 3 : NULL;
            }
            assert_int_equal(fz_report_outcome_total(r), parts);
        }
        fz_report_free(r);
        /* --exact: one path, probability 1. */
        fz_exact *ex = NULL;
        char why[256];
        assert_int_equal(fz_exact_run(x.plan, x.s, 1000, NULL, &ex, why, sizeof why), 0);
        assert_int_equal(fz_exact_count(ex), 1);
        const char *name = NULL;
        assert_true(fabs(fz_exact_at(ex, 0, &name, NULL) - 1.0) < 1e-12);
        assert_string_equal(name, info.outcome);
        fz_exact_free(ex);
        fixture_close(&x);
    }
}

/* The outbox under chance: every branch may fail; when none does, the 11
 * branches join and End runs once, in a study and in --exact alike. */
static void test_sim_outbox_joins_into_one_end(void **state)
{
    (void)state;
    char text[4096];
    rc_flowzap(RC_OUTBOX, text, sizeof text);
    const char *yaml = "defaults:\n  latency: {exponential: 1s}\n"
                       "rules:\n  - match: ^Write\n    error: 2%\n";
    fixture x;
    memset(&x, 0, sizeof x);
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_mem("outbox.fz", text, strlen(text), NULL, &d, &x.g), 0);
    assert_int_equal(fz_scenario_parse("t.yaml", yaml, strlen(yaml), NULL, &d, &x.f), 0);
    assert_int_equal(fz_scenario_compile(x.f, 0, x.g, NULL, &d, &x.s), 0);
    fz_diags_fini(&d);
    assert_int_equal(fz_plan_new(x.g, NULL, NULL, &x.plan), 0);
    fz_sim_apply(x.s, x.plan);
    assert_int_equal(fz_sim_new(x.plan, x.s, 3, NULL, &x.sim), 0);
    fz_report *r1 = study(&x, 0, 20000, 1), *r2 = study(&x, 0, 20000, 2);
    char *j1 = json_of(r1), *j2 = json_of(r2);
    assert_string_equal(j1, j2);
    double p = pow(0.98, 11);
    assert_share(r1, "End", p);
    /* End ran once per completed run. */
    uint64_t done = fz_report_outcome_count(r1, "End");
    assert_non_null(strstr(j1, "\"End\""));
    assert_true(done > 0);
    fz_exact *ex = NULL;
    char why[256];
    assert_int_equal(fz_exact_run(x.plan, x.s, 100000, NULL, &ex, why, sizeof why), 0);
    int seen = 0;
    for (uint32_t i = 0; i < fz_exact_count(ex); i++) {
        const char *name = NULL;
        double q = fz_exact_at(ex, i, &name, NULL);
        assert_null(strstr(name, " + "));
        if (strcmp(name, "End") == 0) {
            assert_true(fabs(q - p) < 1e-9);
            seen = 1;
        }
    }
    assert_true(seen);
    free(j1);
    free(j2);
    fz_report_free(r1);
    fz_report_free(r2);
    fz_exact_free(ex);
    fixture_close(&x);
}

/* The backend answers a task by one of three ways (sim/backend_sim.c): the
 * one-token steps for a plain task and for a task with only probabilities
 * and weights, start_full for the rest, and the queue when a lane has
 * outages. A timeout that no latency reaches and an outage long after every
 * run draw nothing, so the same scenario with either one added must give
 * the same report, byte for byte, through the other ways. */
static void test_sim_one_token_paths_equal_the_general_path(void **state)
{
    (void)state;
    static const char base[] =
        "defaults:\n"
        "  latency: {lognormal: {median: 2s, sigma: 0.4}}\n"
        "  error: 1%%\n"
        "%s"
        "rules:\n"
        "  - match: \"^Push to registry$\"\n"
        "    latency: {lognormal: {median: 35s, sigma: 0.3}}\n"
        "    error: 5%%\n"
        "    retries: 2\n"
        "    backoff: {delay: 10s, exponential: true, max: 1m}\n"
        "  - match: \"^Wait observation period$\"\n"
        "    latency: 10m\n"
        "    error: 0\n"
        "  - match: \"^Build container image$\"\n"
        "    latency: {uniform: [1m, 3m]}\n"
        "    error: 0\n"
        "  - match: \"healthy\\\\?$\"\n"
        "    weights: {Yes: 0.9, No: 0.1}\n"
        "  - match: \"^All metrics pass\\\\?$\"\n"
        "    weights: {Yes: 0.9, No: 0.1}\n"
        "  - match: \"^(Track|Measure) \"\n"
        "    latency: {exponential: {mean: 20s}}\n"
        "    no: 2%%\n"
        "%s";
    const char *extra[3][2] = {
        {"", ""},
        {"  timeout: 100h\n", ""},
        {"", "outages:\n  - {lane: Monitoring, from: 1000h, until: 1001h}\n"},
    };
    char *json[3];
    for (int k = 0; k < 3; k++) {
        char text[2048];
        snprintf(text, sizeof text, base, extra[k][0], extra[k][1]);
        fixture x;
        fixture_open_text(&x, "workflows/canary-deploy.fz", text, 5);
        for (uint32_t t = 1; t <= 2; t++) {
            fz_report *r = study(&x, 0, 20000, t);
            char *j = json_of(r);
            if (t == 1) {
                json[k] = j;
                /* Each way is taken: failures, aborts and successes. */
                assert_true(fz_report_outcome_total(r) > 10);
            } else {
                assert_string_equal(json[k], j);
                free(j);
            }
            fz_report_free(r);
        }
        fixture_close(&x);
    }
    assert_string_equal(json[0], json[1]);
    assert_string_equal(json[0], json[2]);
    for (int k = 0; k < 3; k++)
        free(json[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_same_report_for_any_thread_count),
        cmocka_unit_test(test_sim_parallel_tokens_are_deterministic_and_add_up),
        cmocka_unit_test(test_sim_edge_counts_match_an_observer),
        cmocka_unit_test(test_sim_canary_shares_match_hand_computation),
        cmocka_unit_test(test_sim_replay_reproduces_the_run),
        cmocka_unit_test(test_sim_shard_and_merge_equal_one_study),
        cmocka_unit_test(test_sim_scripts_and_outages_inject_what_they_say),
        cmocka_unit_test(test_sim_exact_matches_monte_carlo),
        cmocka_unit_test(test_sim_memory_is_flat_in_the_number_of_runs),
        cmocka_unit_test(test_sim_out_of_memory_fails_a_study_cleanly),
        cmocka_unit_test(test_sim_parallel_outcomes_fold_into_ends),
        cmocka_unit_test(test_sim_few_parallel_outcomes_stay_joint),
        cmocka_unit_test(test_sim_time_sums_do_not_overflow),
        cmocka_unit_test(test_sim_routing_cases),
        cmocka_unit_test(test_sim_outbox_joins_into_one_end),
        cmocka_unit_test(test_sim_one_token_paths_equal_the_general_path),
        cmocka_unit_test(test_sim_outcome_keys_count_like_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
