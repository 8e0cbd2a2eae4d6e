/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the simulation runner: runs [first, first + count) of a study
 * over threads, each with its own engine, backend and partial report over
 * one shared plan, and merges the partial reports (sums, mins and maxes, so
 * the result is the same for any thread count). A run is a pure function
 * of (plan, scenario, seed, run index); the seed is the caller's (only the
 * CLI reads entropy).
 */
#ifndef FZ_SIM_SIM_H
#define FZ_SIM_SIM_H

#include <stdint.h>

#include "engine/engine.h"
#include "sim/report.h"
#include "sim/scenario.h"

typedef struct fz_sim fz_sim;

/* Copies the scenario's per-node retries, backoff and timeouts into plan p
 * (before any engine runs it). */
void fz_sim_apply(const fz_scenario *s, fz_plan *p);

/* Creates a runner over plan and scenario (both must outlive it; the
 * scenario's policies must already be applied to the plan). Caller frees
 * with fz_sim_free(). Returns 0 or FZ_ENOMEM. */
int fz_sim_new(const fz_plan *plan, const fz_scenario *s, uint64_t seed, const fz_alloc *alloc,
               fz_sim **out);
void fz_sim_free(fz_sim *sim);

/* Called from the calling thread about every few thousand runs. */
typedef struct fz_sim_progress {
    void (*fn)(void *ud, uint64_t done, uint64_t total);
    void *ud;
} fz_sim_progress;

/* Runs count runs starting at index first on threads threads (0: 1) into a
 * new report (caller frees with fz_report_free()). Returns 0, FZ_ENOMEM,
 * FZ_ESYS (a thread could not start) or an engine status. */
int fz_sim_study(fz_sim *sim, uint64_t first, uint64_t count, uint32_t threads,
                 const fz_report_meta *meta, const fz_sim_progress *progress, fz_report **out);

/* What one replayed run did. outcome is the engine's text (copied into
 * the runner, valid until the next call). */
typedef struct fz_sim_run_info {
    fz_run_state state;
    const char *outcome;
    uint64_t start_ns;    /* virtual time the run began */
    uint64_t duration_ns; /* virtual time it took */
    uint32_t steps;
    uint32_t nfaults;
    const fz_fault *faults; /* valid until the next call */
} fz_sim_run_info;

/* Replays run index alone, calling obs (e.g. a trace writer; may be NULL)
 * for everything that happens. Returns 0 or an error status. */
int fz_sim_replay(fz_sim *sim, uint64_t index, const fz_observer *obs, fz_sim_run_info *info);

#endif
