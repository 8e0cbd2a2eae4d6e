/* SPDX-License-Identifier: MIT */
/*
 * backend_sim.h - the simulator's fz_backend: it runs no handler but
 * samples each task's answer and latency from a compiled scenario, and
 * finishes tasks on a virtual clock through the (time, seq) event queue.
 * A run is a pure function of (plan, scenario, seed, run index). One backend
 * is reused across runs; after warm-up a run allocates nothing.
 */
#ifndef FZ_SIM_BACKEND_SIM_H
#define FZ_SIM_BACKEND_SIM_H

#include <stdint.h>

#include "engine/backend.h"
#include "sim/evq.h"
#include "sim/fault.h"
#include "sim/rng.h"
#include "sim/scenario.h"

/* A choice source for exact enumeration (exact.c): when set, every random
 * branch of a task asks it instead of the rng. pick(ud, n, probs) returns
 * the branch taken among n with the given probabilities. */
typedef struct fz_sim_chooser {
    uint32_t (*pick)(void *ud, uint32_t n, const double *probs);
    void *ud;
} fz_sim_chooser;

typedef struct fz_backend_sim fz_backend_sim;

/* Creates a backend over scenario s (which must outlive it). Caller frees
 * with fz_backend_sim_free(). Returns 0 or FZ_ENOMEM. */
int fz_backend_sim_new(const fz_scenario *s, const fz_alloc *alloc, fz_backend_sim **out);
void fz_backend_sim_free(fz_backend_sim *b);

/* Prepares run `index` of a study seeded with seed: seeds the run's rng,
 * samples its start time and clears the queue. */
void fz_backend_sim_reset(fz_backend_sim *b, uint64_t seed, uint64_t index);

/* The fz_backend to pass to fz_engine_drive(). */
const fz_backend *fz_backend_sim_backend(fz_backend_sim *b);

/* Virtual time when the run began and the clock now (ns since the epoch). */
uint64_t fz_backend_sim_start_time(const fz_backend_sim *b);
uint64_t fz_backend_sim_now(const fz_backend_sim *b);

/* Faults injected so far in the current run, in the order they happened. */
const fz_fault *fz_backend_sim_faults(const fz_backend_sim *b, uint32_t *count);

/* Reports each task's start and finish to r (fz_report_task_start and
 * fz_report_task_finish) as it happens; NULL stops. The engine then only
 * counts edges for r (fz_engine_count_edges, fz_report_edge_counts). */
typedef struct fz_report fz_report;
void fz_backend_sim_tally(fz_backend_sim *b, fz_report *r);

/* Routes every random branch through c (NULL: back to the rng); latencies
 * then take their distribution's mean. */
void fz_backend_sim_set_chooser(fz_backend_sim *b, const fz_sim_chooser *c);

#endif
