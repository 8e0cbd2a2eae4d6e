/* SPDX-License-Identifier: MIT */
/*
 * exact.h - `sim --exact`: the exact outcome distribution of a workflow
 * under a scenario, by enumerating every path of random choices (answers,
 * weighted outcomes, timeouts) with its probability instead of sampling.
 * Works where the scenario does not depend on time (no windows, outages or
 * start distribution); latencies take their means. Unbounded cycles are cut
 * where a path's probability falls below 1e-10 (fz_exact_pruned()).
 */
#ifndef FZ_SIM_EXACT_H
#define FZ_SIM_EXACT_H

#include <stdint.h>

#include "engine/engine.h"
#include "sim/scenario.h"

typedef struct fz_exact fz_exact;

/* Enumerates at most max_paths paths. Caller frees *out with
 * fz_exact_free(). Returns 0; FZ_EINVAL with why filled when the scenario
 * depends on time or the paths exceed max_paths; FZ_ENOMEM; or an engine
 * status. */
int fz_exact_run(const fz_plan *plan, const fz_scenario *s, uint64_t max_paths,
                 const fz_alloc *alloc, fz_exact **out, char *why, size_t whylen);
void fz_exact_free(fz_exact *x);

/* Distinct outcomes, in descending probability (then name). */
uint32_t fz_exact_count(const fz_exact *x);

/* Probability of the i-th outcome; *name and *state when not NULL. */
double fz_exact_at(const fz_exact *x, uint32_t i, const char **name, fz_run_state *state);

/* Paths enumerated. */
uint64_t fz_exact_paths(const fz_exact *x);

/* Probability mass of the paths not told apart: once a path's probability
 * falls below 1e-10 it stops branching and follows its most likely choices,
 * so each figure may be off by at most this much (0 for bounded loops). */
double fz_exact_pruned(const fz_exact *x);

#endif
