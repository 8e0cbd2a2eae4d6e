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
 * Concurrent runs, side by side: RUNS runs of the chain at synchronous
 * FULL, (a) as today, each run in its own thread with its own connection
 * and one commit per start and per finish (what RUNS `flowzap run`
 * processes do), and (b) grouped: one connection driving every run with
 * fz_journal_drive_grouped, one commit a tick for the finishes and the
 * starts of every run. The ratio (b)/(a) is printed; the target is 3 or
 * more. With FZ_BENCH_PG, (a) and (b) also run on PostgreSQL.
 *
 * usage: bench_journal [STEPS] [DIR] [RUNS]   (default 2000 steps, DIR /tmp,
 * 8 concurrent runs)
 */
#include <pthread.h>
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
    int file = !fz_journal_location_is_postgres(db);
    int rc = fz_engine_new(plan, NULL, &e);
    if (rc)
        goto out;
    if (bd) {
        fz_real_opts ro = {.run_id = "bench"};
        if ((rc = fz_real_new(g, bd, &ro, NULL, &real)) != 0)
            goto out;
        be = fz_real_backend(real);
    }
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

/* Concurrent runs (see the top). */
typedef struct conc_run {
    const fz_plan *plan;
    const fz_graph *g;
    const char *db;
    fz_journal *shared; /* grouped: the one connection; else NULL */
    fz_journal *j;
    fz_engine *e;
    fz_journal_recorder *rec;
    nop nb;
    fz_backend b;
    int rc;
    uint32_t steps;
} conc_run;

static int conc_setup(conc_run *c)
{
    c->b = (fz_backend){"nop", nop_now, nop_start, nop_wait, nop_cancel, &c->nb, NULL};
    int rc = fz_engine_new(c->plan, NULL, &c->e);
    if (!rc && !c->shared)
        rc = fz_journal_open(c->db, FZ_JOURNAL_SYNC_FULL, NULL, &c->j);
    fz_journal *j = c->shared ? c->shared : c->j;
    if (!rc)
        fz_journal_set_patience(j, 60000);
    if (!rc)
        rc = fz_engine_start(c->e);
    int64_t id = 0;
    fz_journal_run run = {.workflow = "chain.fz", .workflow_hash = "-", .args = "[]"};
    if (!rc)
        rc = fz_journal_run_add(j, &run, &id);
    if (!rc)
        rc = fz_journal_recorder_new(j, id, c->g, c->e, NULL, &c->rec);
    if (!rc)
        fz_engine_set_observer(c->e, fz_journal_recorder_observer(c->rec));
    else
        fprintf(stderr, "bench_journal: %s\n", fz_journal_errmsg(j));
    return rc;
}

static void conc_fini(conc_run *c)
{
    if (c->e && fz_engine_state(c->e) == FZ_RUN_COMPLETED && c->rec &&
        !fz_journal_recorder_status(c->rec))
        c->steps = fz_engine_steps(c->e);
    else if (!c->rc)
        c->rc = FZ_ESTATE;
    fz_journal_recorder_free(c->rec);
    fz_engine_free(c->e);
    fz_journal_free(c->j);
    c->rec = NULL;
    c->e = NULL;
    c->j = NULL;
}

static void *conc_thread(void *ud)
{
    conc_run *c = ud;
    c->rc = fz_engine_drive(c->e, &c->b);
    return NULL;
}

static void unlink_db(const char *db)
{
    char side[4200];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

/* RUNS concurrent runs; grouped or per-step commits. Steps/s, or < 0. */
static double conc_once(const fz_plan *plan, const fz_graph *g, const char *db, uint32_t runs,
                        int grouped)
{
    int file = !fz_journal_location_is_postgres(db);
    if (file)
        unlink_db(db);
    fz_journal *shared = NULL;
    /* Creates the tables once, before the threads race to. */
    if (fz_journal_open(db, FZ_JOURNAL_SYNC_FULL, NULL, &shared)) {
        fprintf(stderr, "bench_journal: %s\n", fz_journal_errmsg(shared));
        fz_journal_free(shared);
        return -1;
    }
    conc_run *cs = calloc(runs, sizeof *cs);
    fz_engine **es = calloc(runs, sizeof *es);
    const fz_backend **bs = calloc(runs, sizeof *bs);
    fz_journal_recorder **recs = calloc(runs, sizeof *recs);
    pthread_t *th = calloc(runs, sizeof *th);
    double rate = -1;
    int rc = !cs || !es || !bs || !recs || !th;
    for (uint32_t i = 0; i < runs && !rc; i++) {
        cs[i] = (conc_run){.plan = plan, .g = g, .db = db, .shared = grouped ? shared : NULL};
        rc = conc_setup(&cs[i]);
        es[i] = cs[i].e;
        bs[i] = &cs[i].b;
        recs[i] = cs[i].rec;
    }
    double t0 = now_s();
    if (!rc && grouped) {
        rc = fz_journal_drive_grouped(shared, es, bs, recs, runs);
        if (rc)
            fprintf(stderr, "bench_journal: %s\n", fz_journal_errmsg(shared));
    } else if (!rc) {
        uint32_t started = 0;
        for (; started < runs; started++)
            if (pthread_create(&th[started], NULL, conc_thread, &cs[started]))
                break;
        for (uint32_t i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        rc = started < runs;
    }
    double secs = now_s() - t0;
    uint64_t steps = 0;
    for (uint32_t i = 0; cs && i < runs; i++) {
        conc_fini(&cs[i]);
        if (cs[i].rc && !rc) {
            fprintf(stderr, "bench_journal: a run failed: %s\n", fz_strerror(cs[i].rc));
            rc = 1;
        }
        steps += cs[i].steps;
    }
    if (!rc)
        rate = (double)steps / secs;
    fz_journal_free(shared);
    free(cs);
    free(es);
    free(bs);
    free(recs);
    free(th);
    if (file)
        unlink_db(db);
    return rate;
}

/* Per-step against grouped, best of 3 each, alternated so that load on the
 * machine hits both alike; prints both and the ratio. */
static int conc_compare(const fz_plan *plan, const fz_graph *g, const char *db, uint32_t runs,
                        uint32_t n, const char *store)
{
    double best[2] = {0, 0};
    for (int rep = 0; rep < 3; rep++)
        for (int grouped = 0; grouped < 2; grouped++) {
            double r = conc_once(plan, g, db, runs, grouped);
            if (r < 0)
                return 1;
            if (r > best[grouped])
                best[grouped] = r;
        }
    printf("%s, %u concurrent runs of %u no-op steps, synchronous FULL:\n", store, runs, n);
    printf("  %-40s %12.0f steps/s\n", "per-step commits (today)", best[0]);
    printf("  %-40s %12.0f steps/s\n", "grouped commits", best[1]);
    printf("  %-40s %12.2fx (target >= 3x: %s)\n", "grouped / per-step", best[1] / best[0],
           best[1] >= 3 * best[0] ? "met" : "NOT met");
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 2000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    uint32_t runs = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 8;
    if (runs < 1)
        runs = 1;
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
    /* Each concurrent run is a chain of STEPS / RUNS steps (10 at least),
     * so the runs together take about as many steps as the single chain. */
    {
        uint32_t m = n / runs < 10 ? 10 : n / runs;
        size_t clen = 0, ccap = 0;
        char *ctext = chain(m, &clen, &ccap);
        fz_graph *cg = NULL;
        fz_plan *cplan = NULL;
        fz_plan_opts copts = {.max_steps = m + 10};
        int bad = !ctext || fz_parse_mem("chain.fz", ctext, clen, NULL, &d, &cg) ||
                  fz_plan_new(cg, &copts, NULL, &cplan) ||
                  conc_compare(cplan, cg, db, runs, m, "SQLite") ||
                  (pg && *pg && conc_compare(cplan, cg, pg, runs, m, "PostgreSQL"));
        fz_plan_free(cplan);
        fz_graph_free(cg);
        fz_free(NULL, ctext, ccap);
        if (bad)
            goto out;
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
