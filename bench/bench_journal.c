/* SPDX-License-Identifier: MIT */
/*
 * bench_journal.c - engine steps per second with the durable journal on:
 * a chain of no-op steps driven by the engine, with the journal's recorder
 * writing every start and finish to a real SQLite file. Two backends: one
 * that answers ok at once (the engine and journal alone), and the real
 * backend running the builtin `noop` handler (its event loop included).
 * Each with the journal off, on with synchronous=NORMAL (no fsync per
 * commit) and on with synchronous=FULL (the default: an fsync at every step
 * start and finish), so the price of durability is visible.
 *
 * With FZ_BENCH_PG set to a PostgreSQL location, the same chain also runs
 * with the journal in PostgreSQL (synchronous_commit on), in the same run
 * (bench/pg.sh starts a throwaway cluster and sets it).
 *
 * usage: bench_journal [STEPS] [DIR]   (default 2000 steps, DIR /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "real/journal.h"
#include "real/real.h"
#include "parser/parser.h"

typedef struct nop {
    uint32_t q[4];
    uint32_t n;
    uint64_t now;
} nop;

static uint64_t nop_now(void *ud)
{
    nop *b = ud;
    return ++b->now;
}

static int nop_start(void *ud, fz_engine *e, const fz_task *t)
{
    (void)e;
    nop *b = ud;
    if (b->n == 4)
        return FZ_EINVAL;
    b->q[b->n++] = t->id;
    return 0;
}

static int nop_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    (void)e;
    nop *b = ud;
    if (!b->n)
        return FZ_ESTATE;
    *task_id = b->q[0];
    memmove(b->q, b->q + 1, --b->n * sizeof b->q[0]);
    memset(r, 0, sizeof *r);
    return 0;
}

static void nop_cancel(void *ud, fz_engine *e)
{
    (void)e;
    ((nop *)ud)->n = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A chain n1 -> n2 -> ... -> nN of rectangles in one lane. */
static char *chain(uint32_t n, size_t *len, size_t *capp)
{
    size_t cap = 64 + (size_t)n * 96;
    *capp = cap;
    char *s = fz_malloc(NULL, cap);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, cap, "Chain { # Chain\n");
    for (uint32_t i = 1; i <= n; i++)
        o += (size_t)snprintf(s + o, cap - o, "n%u: rectangle label:\"Step %u\"\n", i, i);
    for (uint32_t i = 1; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "n%u.handle(right) -> n%u.handle(left)\n", i, i + 1);
    o += (size_t)snprintf(s + o, cap - o, "}\n");
    *len = o;
    return s;
}

/* Runs the chain once; mode 0: no journal, 1: NORMAL, 2: FULL; with the
 * real backend over bindings bd when not NULL. */
static int run_once(const fz_plan *plan, const fz_graph *g, const fz_bind *bd, int mode,
                    const char *db, double *secs, uint32_t *steps)
{
    fz_real *real = NULL;
    fz_engine *e = NULL;
    fz_journal *j = NULL;
    fz_journal_recorder *rec = NULL;
    nop nb = {0};
    fz_backend b = {"nop", nop_now, nop_start, nop_wait, nop_cancel, &nb, NULL};
    const fz_backend *be = &b;
    int rc = fz_engine_new(plan, NULL, &e);
    if (rc)
        goto out;
    if (bd) {
        fz_real_opts ro = {.run_id = "bench"};
        if ((rc = fz_real_new(g, bd, &ro, NULL, &real)) != 0)
            goto out;
        be = fz_real_backend(real);
    }
    int file = !fz_journal_location_is_postgres(db);
    if (mode) {
        if (file)
            unlink(db);
        rc = fz_journal_open(db, mode == 2 ? FZ_JOURNAL_SYNC_FULL : FZ_JOURNAL_SYNC_NORMAL, NULL,
                             &j);
        if (rc) {
            fprintf(stderr, "bench_journal: %s\n", fz_journal_errmsg(j));
            goto out;
        }
    }
    double t0 = now_s();
    if ((rc = fz_engine_start(e)) != 0)
        goto out;
    if (mode) {
        int64_t id = 0;
        fz_journal_run run = {.workflow = "chain.fz", .workflow_hash = "-", .args = "[]"};
        if ((rc = fz_journal_run_add(j, &run, &id)) != 0 ||
            (rc = fz_journal_recorder_new(j, id, g, e, NULL, &rec)) != 0)
            goto out;
        fz_engine_set_observer(e, fz_journal_recorder_observer(rec));
    }
    if ((rc = fz_engine_drive(e, be)) != 0)
        goto out;
    *secs = now_s() - t0;
    *steps = fz_engine_steps(e);
    if (fz_engine_state(e) != FZ_RUN_COMPLETED || (rec && fz_journal_recorder_status(rec)))
        rc = FZ_ESTATE;
out:
    fz_journal_recorder_free(rec);
    fz_journal_free(j);
    fz_real_free(real);
    fz_engine_free(e);
    if (mode && file) {
        char side[4200];
        unlink(db);
        snprintf(side, sizeof side, "%s-wal", db);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", db);
        unlink(side);
    }
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 2000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    if (n < 2)
        n = 2;
    char db[4096];
    snprintf(db, sizeof db, "%s/bench_journal.%ld.db", dir, (long)getpid());
    size_t len = 0, cap = 0;
    char *text = chain(n, &len, &cap);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    fz_plan *plan = NULL;
    fz_bind *bd = NULL;
    fz_plan_opts opts = {.max_steps = n + 10};
    int status = 1;
    if (!text || fz_parse_mem("chain.fz", text, len, NULL, &d, &g) ||
        fz_plan_new(g, &opts, NULL, &plan)) {
        fprintf(stderr, "bench_journal: cannot build the chain workflow\n");
        goto out;
    }
    static const char noop_rules[] = "version: 1\nrules:\n  - match: .\n    noop:\n";
    uint32_t unbound = 0;
    if (fz_bind_load_mem("noop.yaml", noop_rules, sizeof noop_rules - 1, NULL, &d, &bd) ||
        fz_bind_resolve(bd, g, &unbound) || unbound) {
        fprintf(stderr, "bench_journal: cannot bind the chain to noop\n");
        goto out;
    }
    static const char *names[] = {"journal off", "journal on, synchronous=NORMAL",
                                  "journal on, synchronous=FULL (default)"};
    printf("bench_journal: %u no-op steps, database in %s\n", n, dir);
    for (int run = 0; run < 6; run++) {
        int mode = run % 3;
        const fz_bind *use = run < 3 ? NULL : bd;
        if (run % 3 == 0)
            printf("%s\n", use ? "real backend, builtin noop handler:"
                               : "backend answering at once (engine + journal only):");
        double best = 1e30;
        uint32_t steps = 0;
        for (int rep = 0; rep < 3; rep++) {
            double secs = 0;
            int rc = run_once(plan, g, use, mode, db, &secs, &steps);
            if (rc) {
                fprintf(stderr, "bench_journal: run failed: %s\n", fz_strerror(rc));
                goto out;
            }
            if (secs < best)
                best = secs;
        }
        printf("  %-40s %8u steps  %9.4f s  %12.0f steps/s  %9.2f us/step\n", names[mode], steps,
               best, steps / best, best * 1e6 / steps);
    }
    const char *pg = getenv("FZ_BENCH_PG");
    for (int run = 0; pg && *pg && run < 2; run++) {
        const fz_bind *use = run ? bd : NULL;
        double best = 1e30;
        uint32_t steps = 0;
        for (int rep = 0; rep < 3; rep++) {
            double secs = 0;
            int rc = run_once(plan, g, use, 2, pg, &secs, &steps);
            if (rc) {
                fprintf(stderr, "bench_journal: PostgreSQL run failed: %s\n", fz_strerror(rc));
                goto out;
            }
            if (secs < best)
                best = secs;
        }
        printf("  %-40s %8u steps  %9.4f s  %12.0f steps/s  %9.2f us/step\n",
               run ? "PostgreSQL, real noop handler" : "PostgreSQL, synchronous_commit=on", steps,
               best, steps / best, best * 1e6 / steps);
    }
    status = 0;
out:
    fz_bind_free(bd);
    fz_plan_free(plan);
    fz_graph_free(g);
    fz_diags_fini(&d);
    fz_free(NULL, text, cap);
    return status;
}
