/* SPDX-License-Identifier: MIT */
/*
 * bench_sim.c - simulator throughput: canary runs per second under a
 * scenario on 1 thread and on T threads, and the process's peak RSS.
 *   bench_sim [RUNS [THREADS [SCENARIO [WORKFLOW [SCENARIO_FILE]]]]]
 * Prints one line per measurement (wall and CPU seconds, runs per wall
 * second and per CPU second: the per-core figure on a shared machine), a
 * "model" line of outcome shares and durations (bench/simpy_canary.py
 * prints the same for its model) and finally "peak_rss_kib=K".
 * bench/sim.sh runs it beside the SimPy model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/status.h"
#include "engine/backend.h"
#include "parser/parser.h"
#include "sim/report.h"
#include "sim/sim.h"

#ifndef FZ_SRC_DIR
#define FZ_SRC_DIR "."
#endif

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*--------------------------------------------------------------------------
 * The floor: the same canary through the engine with a backend that does
 * nothing (every task finishes at once, ok; decisions answer ok, taking
 * their Yes edge), no observer, no report. What the engine itself costs.
 *------------------------------------------------------------------------*/

typedef struct null_be {
    uint32_t ready[64];
    uint32_t n;
} null_be;

static uint64_t nb_now(void *ud)
{
    (void)ud;
    return 0;
}

static int nb_start(void *ud, fz_engine *e, const fz_task *t)
{
    (void)e;
    null_be *b = ud;
    if (b->n == 64)
        return FZ_ENOMEM;
    b->ready[b->n++] = t->id;
    return 0;
}

static int nb_wait(void *ud, fz_engine *e, uint32_t *id, fz_result *r)
{
    (void)e;
    null_be *b = ud;
    if (!b->n)
        return FZ_ESTATE;
    *id = b->ready[--b->n];
    r->answer = FZ_ANSWER_OK;
    return 0;
}

static void nb_cancel(void *ud, fz_engine *e)
{
    (void)e;
    ((null_be *)ud)->n = 0;
}

static void engine_floor(const fz_plan *plan, uint64_t runs)
{
    fz_engine *e = NULL;
    null_be nb = {.n = 0};
    fz_backend be = {"null", nb_now, nb_start, nb_wait, nb_cancel, &nb, NULL};
    if (fz_engine_new(plan, NULL, &e))
        return;
    uint64_t steps = 0;
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (uint64_t i = 0; i < runs; i++) {
        nb.n = 0;
        if (fz_engine_start(e) || fz_engine_drive(e, &be))
            break;
        steps += fz_engine_steps(e);
    }
    double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("engine-only threads=1 runs=%llu seconds=%.3f cpu_seconds=%.3f runs_per_s=%.0f "
           "runs_per_cpu_s=%.0f ns_per_step=%.1f\n",
           (unsigned long long)runs, dt, dc, (double)runs / dt, (double)runs / dc,
           dc * 1e9 / (double)steps);
    fz_engine_free(e);
}

/* Outcome shares by kind and the mean, p50 and p90 duration in virtual
 * seconds: what the SimPy model prints, to show the two model the same. */
static void print_model(const char *scen, const fz_report *r)
{
    double runs = (double)fz_report_runs(r), share[4] = {0, 0, 0, 0};
    static const char *const ends[3] = {"End via Success", "End via Aborted",
                                        "End via Rolled back"};
    uint32_t n = fz_report_outcome_total(r);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t count = 0;
        fz_run_state st;
        const char *name = fz_report_outcome_at(r, i, &count, &st);
        uint32_t k = 3;
        for (uint32_t j = 0; j < 3; j++)
            if (strcmp(name, ends[j]) == 0)
                k = j;
        share[k] += (double)count / runs;
    }
    /* The exact mean is in the JSON report only. */
    double mean = 0;
    char *json = fz_report_json_string(r);
    const char *dm = json ? strstr(json, "\"duration_ms\"") : NULL;
    const char *m = dm ? strstr(dm, "\"mean\":") : NULL;
    if (m)
        mean = strtod(m + 7, NULL) / 1e3;
    free(json);
    printf("model scenario=%s success=%.4f aborted=%.4f rolled_back=%.4f failed=%.4f "
           "mean_s=%.1f p50_s=%.1f p90_s=%.1f\n",
           scen, share[0], share[1], share[2], share[3], mean,
           (double)fz_report_duration_quantile(r, 0.5) / 1e9,
           (double)fz_report_duration_quantile(r, 0.9) / 1e9);
}

int main(int argc, char **argv)
{
    uint64_t runs = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    uint32_t threads = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 2;
    const char *scen = argc > 3 ? argv[3] : "flaky-registry";
    const char *wf = argc > 4 ? argv[4] : "workflows/canary-deploy.fz";
    const char *sf = argc > 5 ? argv[5] : "workflows/canary-deploy.scenario.yaml";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    fz_scenario_file *f = NULL;
    fz_scenario *s = NULL;
    fz_plan *plan = NULL;
    fz_sim *sim = NULL;
    int rc = fz_parse_file(wf, NULL, &d, &g);
    if (!rc)
        rc = fz_scenario_load(sf, NULL, &d, &f);
    if (!rc) {
        uint32_t i = fz_scenario_find(f, scen);
        rc = i == FZ_NONE ? FZ_ENOENT : fz_scenario_compile(f, i, g, NULL, &d, &s);
    }
    if (!rc)
        rc = fz_plan_new(g, NULL, NULL, &plan);
    if (!rc) {
        fz_sim_apply(s, plan);
        rc = fz_sim_new(plan, s, 42, NULL, &sim);
    }
    if (rc) {
        fprintf(stderr, "bench_sim: setup failed (%s); run from the source tree\n",
                fz_strerror(rc));
        return 1;
    }
    fz_report_meta meta = {wf, "", sf, scen, 42};
    uint32_t tlist[2] = {1, threads};
    uint32_t nt = threads > 1 ? 2 : 1;
    for (uint32_t k = 0; k < nt; k++) {
        fz_report *r = NULL;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        rc = fz_sim_study(sim, 0, runs, tlist[k], &meta, NULL, &r);
        double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (rc) {
            fprintf(stderr, "bench_sim: study failed: %s\n", fz_strerror(rc));
            return 1;
        }
        printf("sim threads=%u runs=%llu seconds=%.3f cpu_seconds=%.3f runs_per_s=%.0f "
               "runs_per_cpu_s=%.0f success_share=%.4f\n",
               tlist[k], (unsigned long long)runs, dt, dc, (double)runs / dt, (double)runs / dc,
               (double)fz_report_outcome_count(r, "End via Success") / (double)runs);
        if (k == 0)
            print_model(scen, r);
        fz_report_free(r);
    }
    engine_floor(plan, runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kib=%ld\n", ru.ru_maxrss);
    fz_sim_free(sim);
    fz_plan_free(plan);
    fz_scenario_free(s);
    fz_scenario_file_free(f);
    fz_graph_free(g);
    fz_diags_fini(&d);
    return 0;
}
