/* SPDX-License-Identifier: MIT */
/*
 * sim.c - the study loop. Work is handed out in chunks of FZ_SIM_CHUNK run
 * indices from one atomic counter; which thread runs a chunk does not
 * matter, because every run seeds its own rng from (seed, index) and every
 * figure of a report merges by sum, min or max. The calling thread works
 * too and is the only one that reports progress. Per run: one engine reset
 * and drive, no allocation once the buffers are warm.
 */
#include "sim/sim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "engine/backend.h"
#include "sim/backend_sim.h"

#define FZ_SIM_CHUNK 4096u

struct fz_sim {
    const fz_plan *plan;
    const fz_scenario *s;
    uint64_t seed;
    const fz_alloc *alloc;
    /* replay state, made on first use */
    fz_engine *re;
    fz_backend_sim *rb;
    char outcome[1024];
};

void fz_sim_apply(const fz_scenario *s, fz_plan *p)
{
    for (uint32_t n = 0; n < s->nnodes; n++)
        fz_plan_set_policy(p, n, &s->policies[n]);
}

int fz_sim_new(const fz_plan *plan, const fz_scenario *s, uint64_t seed, const fz_alloc *alloc,
               fz_sim **out)
{
    *out = fz_calloc(alloc, 1, sizeof(fz_sim));
    if (!*out)
        return FZ_ENOMEM;
    (*out)->plan = plan;
    (*out)->s = s;
    (*out)->seed = seed;
    (*out)->alloc = alloc;
    return 0;
}

void fz_sim_free(fz_sim *sim)
{
    if (!sim)
        return;
    fz_engine_free(sim->re);
    fz_backend_sim_free(sim->rb);
    fz_free(sim->alloc, sim, sizeof *sim);
}

typedef struct shared {
    fz_sim *sim;
    uint64_t first, count;
    const fz_report_meta *meta;
    fz_report_shape shape; /* one for every worker: their reports merge */
    _Atomic uint64_t next_chunk;
    _Atomic uint64_t done;
    _Atomic int failed;
} shared;

typedef struct worker {
    shared *sh;
    fz_engine *e;
    fz_backend_sim *b;
    fz_report *r;
    int rc;
    pthread_t thread;
} worker;

static int worker_init(worker *w, shared *sh)
{
    fz_sim *sim = sh->sim;
    w->sh = sh;
    int rc = fz_engine_new(sim->plan, sim->alloc, &w->e);
    if (!rc)
        rc = fz_backend_sim_new(sim->s, sim->alloc, &w->b);
    if (!rc)
        rc = fz_report_new(sim->s->graph, sh->meta, sim->alloc, &w->r);
    if (rc)
        return rc;
    fz_report_set_shape(w->r, &sh->shape);
    /* Starts and finishes are tallied by the backend, which knows their
     * node and times; the engine counts edges into the report's array. No
     * observer: no call and no clock read per step. */
    fz_backend_sim_tally(w->b, w->r);
    fz_engine_count_edges(w->e, fz_report_edge_counts(w->r));
    return 0;
}

static void worker_fini(worker *w)
{
    fz_engine_free(w->e);
    fz_backend_sim_free(w->b);
    fz_report_free(w->r);
}

/* One run: pure in (plan, scenario, seed, index). */
static int run_one(fz_sim *sim, fz_engine *e, fz_backend_sim *b, uint64_t index)
{
    fz_backend_sim_reset(b, sim->seed, index);
    int rc = fz_engine_start(e);
    if (!rc)
        rc = fz_engine_drive(e, fz_backend_sim_backend(b));
    return rc;
}

/* Runs chunks until none is left. progress: only for the calling thread. */
static int work(worker *w, const fz_sim_progress *progress)
{
    shared *sh = w->sh;
    uint64_t nchunks = (sh->count + FZ_SIM_CHUNK - 1) / FZ_SIM_CHUNK;
    for (;;) {
        if (atomic_load(&sh->failed))
            return 0;
        uint64_t c = atomic_fetch_add(&sh->next_chunk, 1);
        if (c >= nchunks)
            return 0;
        uint64_t lo = sh->first + c * FZ_SIM_CHUNK;
        uint64_t hi = lo + FZ_SIM_CHUNK;
        if (hi > sh->first + sh->count)
            hi = sh->first + sh->count;
        for (uint64_t i = lo; i < hi; i++) {
            fz_report_begin_run(w->r, i);
            int rc = run_one(sh->sim, w->e, w->b, i);
            uint32_t nf = 0;
            const fz_fault *f = fz_backend_sim_faults(w->b, &nf);
            if (!rc) {
                /* The key is valid once the text is built: two statements. */
                const char *outcome = fz_engine_outcome(w->e);
                rc = fz_report_end_run_keyed(w->r, fz_engine_state(w->e), outcome,
                                             fz_engine_outcome_key(w->e),
                                             fz_backend_sim_now(w->b) -
                                                 fz_backend_sim_start_time(w->b),
                                             f, nf);
            }
            if (rc) {
                atomic_store(&sh->failed, 1);
                return rc;
            }
        }
        uint64_t done = atomic_fetch_add(&sh->done, hi - lo) + (hi - lo);
        if (progress && progress->fn)
            progress->fn(progress->ud, done, sh->count);
    }
}

static void *thread_main(void *arg)
{
    worker *w = arg;
    w->rc = work(w, NULL);
    return NULL;
}

int fz_sim_study(fz_sim *sim, uint64_t first, uint64_t count, uint32_t threads,
                 const fz_report_meta *meta, const fz_sim_progress *progress, fz_report **out)
{
    *out = NULL;
    if (threads == 0)
        threads = 1;
    if (threads > 256)
        threads = 256;
    shared sh = {.sim = sim, .first = first, .count = count, .meta = meta};
    fz_report_plan_shape(sim->s->graph, sim->s->policies, &sh.shape);
    atomic_init(&sh.next_chunk, 0);
    atomic_init(&sh.done, 0);
    atomic_init(&sh.failed, 0);
    worker *ws = fz_calloc(sim->alloc, threads, sizeof(worker));
    if (!ws)
        return FZ_ENOMEM;
    int rc = 0;
    uint32_t started = 0;
    for (uint32_t i = 0; i < threads && !rc; i++)
        rc = worker_init(&ws[i], &sh);
    for (uint32_t i = 1; i < threads && !rc; i++) {
        if (pthread_create(&ws[i].thread, NULL, thread_main, &ws[i]) != 0) {
            atomic_store(&sh.failed, 1);
            rc = FZ_ESYS;
            break;
        }
        started = i;
    }
    if (!rc)
        ws[0].rc = work(&ws[0], progress);
    for (uint32_t i = 1; i <= started; i++)
        pthread_join(ws[i].thread, NULL);
    for (uint32_t i = 0; i < threads && !rc; i++)
        rc = ws[i].rc;
    /* Merge in thread order; every figure merges commutatively. */
    for (uint32_t i = 1; i < threads && !rc; i++)
        rc = fz_report_merge(ws[0].r, ws[i].r);
    if (!rc) {
        *out = ws[0].r;
        ws[0].r = NULL;
    }
    for (uint32_t i = 0; i < threads; i++)
        worker_fini(&ws[i]);
    fz_free(sim->alloc, ws, sizeof(worker) * threads);
    return rc;
}

int fz_sim_replay(fz_sim *sim, uint64_t index, const fz_observer *obs, fz_sim_run_info *info)
{
    int rc = 0;
    if (!sim->re && (rc = fz_engine_new(sim->plan, sim->alloc, &sim->re)))
        return rc;
    if (!sim->rb && (rc = fz_backend_sim_new(sim->s, sim->alloc, &sim->rb)))
        return rc;
    fz_observer none;
    memset(&none, 0, sizeof none);
    fz_engine_set_observer(sim->re, obs ? obs : &none);
    if ((rc = run_one(sim, sim->re, sim->rb, index)))
        return rc;
    memset(info, 0, sizeof *info);
    info->state = fz_engine_state(sim->re);
    const char *oc = fz_engine_outcome(sim->re);
    snprintf(sim->outcome, sizeof sim->outcome, "%s", oc ? oc : "");
    info->outcome = sim->outcome;
    info->start_ns = fz_backend_sim_start_time(sim->rb);
    info->duration_ns = fz_backend_sim_now(sim->rb) - info->start_ns;
    info->steps = fz_engine_steps(sim->re);
    info->faults = fz_backend_sim_faults(sim->rb, &info->nfaults);
    return 0;
}
