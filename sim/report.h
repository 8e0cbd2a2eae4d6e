/* SPDX-License-Identifier: MIT */
/*
 * report.h - what a simulation study found: outcome counts with 95% Wilson
 * intervals, run durations (a log-linear histogram: percentiles within 1%,
 * memory fixed), per node visits, failures and time, per edge traversals,
 * the most common paths, the faults injected into runs by outcome, coverage,
 * and for --find the first and the least-faulted run of each outcome.
 * Every figure is a sum, a min or a max over runs, so reports of disjoint
 * run ranges merge into exactly the report of their union (threads, shards).
 * Output as text (the terminal) and as JSON (docs/sim.md; `render --heat`).
 */
#ifndef FZ_SIM_REPORT_H
#define FZ_SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "parser/graph.h"
#include "sim/fault.h"

typedef struct fz_report fz_report;

/* What a study was: written into the report and checked by merge. */
typedef struct fz_report_meta {
    const char *workflow; /* path as given */
    const char *hash;     /* workflow content hash (hex) */
    const char *faults;   /* scenario file path */
    const char *scenario; /* scenario name */
    uint64_t seed;
} fz_report_meta;

/* Creates an empty report over g (which must outlive it). meta strings are
 * copied. Caller frees with fz_report_free(). Returns 0 or FZ_ENOMEM. */
int fz_report_new(const fz_graph *g, const fz_report_meta *meta, const fz_alloc *alloc,
                  fz_report **out);
void fz_report_free(fz_report *r);

/* What a report keeps, decided before a study from the workflow and the
 * scenario's retries alone: every part of a study (threads, shards)
 * decides the same, so parts merge exactly, and memory is bounded by the
 * workflow, not by the runs.
 *  - by_end: the workflow's parallel branches can end runs in too many
 *    combinations to list (or their number cannot be bounded): each end
 *    (and each failure) is counted once per run that reached it, instead
 *    of the joint outcome "A + B + ...". Shares then need not add up to 1.
 *  - path_max_len: paths (node start sequences) of at most this many
 *    starts are counted one by one (at most 65536 distinct ones can have
 *    so few); runs with longer paths are counted in paths_other.
 *    UINT32_MAX: every path; 0: none (parallel branches). */
typedef struct fz_report_shape {
    uint8_t by_end;
    uint32_t path_max_len;
} fz_report_shape;

/* The shape for workflow g under the per-node retries in policies (one per
 * node, may be NULL: none). */
void fz_report_plan_shape(const fz_graph *g, const fz_policy *policies, fz_report_shape *out);

/* Sets r's shape (before its first run; new reports keep every joint
 * outcome and every path). */
void fz_report_set_shape(fz_report *r, const fz_report_shape *shape);
void fz_report_get_shape(const fz_report *r, fz_report_shape *out);

/*--------------------------------------------------------------------------
 * Collecting: one run at a time, from the simulation backend and the
 * engine's edge counts.
 *------------------------------------------------------------------------*/

/* Begins run index (clears the per-run buffers). */
void fz_report_begin_run(fz_report *r, uint64_t index);

/* Counts a task started on node (its visits, the runs visiting it, the
 * run's path), and a task on node that ran from start_ns to end_ns (virtual
 * ns) with answer a (a failure unless ok, the node's time). The simulation
 * backend calls them (fz_backend_sim_tally). */
void fz_report_task_start(fz_report *r, uint32_t node);
void fz_report_task_finish(fz_report *r, uint32_t node, fz_answer a, uint64_t start_ns,
                           uint64_t end_ns);
/* Both for a task that starts and finishes in one backend step (one call
 * instead of two per task on the simulator's one-token path). */
void fz_report_task(fz_report *r, uint32_t node, fz_answer a, uint64_t start_ns,
                    uint64_t end_ns);

/* The array the engine counts edge traversals into (fz_engine_count_edges);
 * fz_report_end_run() then derives which edges the run took. Call before
 * the first run. */
uint64_t *fz_report_edge_counts(fz_report *r);

/* Ends the current run: state and outcome as the engine left them, its
 * duration in virtual ns and the faults injected. Returns 0 or FZ_ENOMEM. */
int fz_report_end_run(fz_report *r, fz_run_state state, const char *outcome,
                      uint64_t duration_ns, const fz_fault *faults, uint32_t nfaults);

/* The same with the engine's fz_engine_outcome_key() for the outcome (0:
 * none): a key seen before finds its outcome without comparing the text.
 * Every key given to one report must come from one engine. */
int fz_report_end_run_keyed(fz_report *r, fz_run_state state, const char *outcome,
                            uint64_t outcome_key, uint64_t duration_ns, const fz_fault *faults,
                            uint32_t nfaults);

/* Adds everything src counted into dst (same graph). 0 or FZ_ENOMEM. */
int fz_report_merge(fz_report *dst, const fz_report *src);

/*--------------------------------------------------------------------------
 * Reading
 *------------------------------------------------------------------------*/

uint64_t fz_report_runs(const fz_report *r);

/* Count of runs whose outcome is name (0 when none). */
uint64_t fz_report_outcome_count(const fz_report *r, const char *name);

/* Number of distinct outcomes; the i-th in report order (count descending,
 * then name), with its count and state. */
uint32_t fz_report_outcome_total(const fz_report *r);
const char *fz_report_outcome_at(const fz_report *r, uint32_t i, uint64_t *count,
                                 fz_run_state *state);

/* For outcome name: the first run index that ended in it and the run with
 * the fewest injected faults (ties: lowest index). Returns 0, or
 * FZ_ENOENT when no run ended in it. */
int fz_report_find(const fz_report *r, const char *name, uint64_t *first, uint64_t *fewest,
                   uint32_t *fewest_faults);

/* Duration quantile q in [0, 1] of virtual ns (q = 1: the exact max). */
uint64_t fz_report_duration_quantile(const fz_report *r, double q);

/* Shares of nodes and of edges at least one run visited, in [0, 1]. */
double fz_report_node_coverage(const fz_report *r);
double fz_report_edge_coverage(const fz_report *r);

/* Runs that visited node n / took edge e at least once. */
uint64_t fz_report_node_runs(const fz_report *r, uint32_t n);
uint64_t fz_report_edge_runs(const fz_report *r, uint32_t e);

/* 95% Wilson score interval of k successes in n trials. */
void fz_report_wilson(uint64_t k, uint64_t n, double *lo, double *hi);

/* Writes the terminal report. top_paths: how many paths to list. */
void fz_report_print(FILE *out, const fz_report *r, uint32_t top_paths);

/* Writes the JSON report (docs/sim.md), whose "merge" member holds what
 * fz_report_load needs to merge it again. Returns 0, FZ_EIO, FZ_ENOMEM. */
int fz_report_write_json(const fz_report *r, FILE *out);

/* The JSON report as a malloc'd string (free()), or NULL. */
char *fz_report_json_string(const fz_report *r);

/* Reads a JSON report written by fz_report_write_json into a new report
 * over g; the workflow must be the one the report was made from (its
 * hash is compared by the caller through fz_report_meta_of). On FZ_EPARSE
 * errbuf says why. */
int fz_report_load(const char *path, const fz_graph *g, const fz_alloc *alloc, fz_report **out,
                   char *errbuf, size_t errlen);

const fz_report_meta *fz_report_meta_of(const fz_report *r);

/* Copies the "workflow" path a JSON report names into buf. Returns 0,
 * FZ_ENOENT/FZ_EIO (unreadable) or FZ_EPARSE with errbuf filled. */
int fz_report_peek_workflow(const char *file, char *buf, size_t len, char *errbuf,
                            size_t errlen);

/* Run index range the report covers as [first, last) plus the number of
 * ranges merged in (1 for a single study). */
void fz_report_range(const fz_report *r, uint64_t *first, uint64_t *last);

#endif
