/* SPDX-License-Identifier: MIT */
/*
 * report_int.h - the inside of a report, shared by its three files:
 * report.c (collection, merge, figures), report_text.c (the terminal
 * report) and report_json.c (the JSON report, written and read back).
 * Not for other modules: they see the opaque fz_report of report.h.
 */
#ifndef FZ_SIM_REPORT_INT_H
#define FZ_SIM_REPORT_INT_H

#include <stdint.h>

#include "core/arena.h"
#include "core/hash.h"
#include "core/vec.h"
#include "sim/report.h"
#include "sim/report_hot.h"

#define FZ_REPORT_MAX_PATHS 65536u
#define FZ_REPORT_OUTCOME_KEYS 32u

/* Sums of nanoseconds: 128 bits, which no study can overflow. */
__extension__ typedef unsigned __int128 u128;
#define HIST_SUB 128u
#define HIST_BUCKETS (HIST_SUB + 57u * HIST_SUB)

typedef struct outcome {
    const char *name;
    uint64_t stamp; /* by end: the run (hot.gen) that last counted it */
    uint8_t state;
    uint64_t count;
    uint64_t first;
    uint64_t best;
    uint32_t best_faults;
} outcome;

typedef struct path {
    uint64_t hash;
    uint32_t off, len; /* into path_nodes */
    uint32_t outcome;  /* outcome of its first run (paths are counted by nodes) */
    uint64_t count;
    uint64_t first;
} path;

typedef struct fault_slot {
    uint64_t key; /* 0: empty; else (outcome + 1) << 40 | node << 8 | kind */
    uint64_t runs;
} fault_slot;

struct fz_report {
    report_hot hot; /* first: the per-task counters */
    const fz_alloc *alloc;
    const fz_graph *g;
    fz_arena arena;
    fz_report_meta meta;
    uint32_t nn, ne;
    uint64_t runs, first, last;
    uint64_t *edge_trav, *edge_runs, *edge_stamp;
    uint64_t *edge_seen; /* edge_trav when the run began (counting mode) */
    int count_edges;     /* the engine counts into edge_trav */
    uint64_t *hist;
    uint64_t dur_max;
    u128 dur_sum;
    fz_vec outcomes; /* outcome */
    fz_strmap outcome_map;
    fz_vec paths;      /* path */
    fz_vec path_nodes; /* uint32_t */
    uint64_t *path_slots; /* (hash & ~mask) | (index + 1), open addressing */
    uint32_t path_mask;
    uint64_t paths_other;
    fault_slot *faults;
    uint32_t fault_mask, nfault_keys;
    /* the current run */
    uint64_t index;
    int oom;
    uint32_t last_outcome; /* most runs end like the one before: checked first */
    /* outcome keys (fz_report_end_run_keyed) seen so far and their outcomes */
    uint64_t okey[FZ_REPORT_OUTCOME_KEYS];
    uint32_t okey_oc[FZ_REPORT_OUTCOME_KEYS];
    uint32_t nokeys;
    fz_report_shape shape;
};

static inline u128 fz__report_node_time(const fz_report *r, uint32_t n)
{
    return ((u128)r->hot.node_time_hi[n] << 64) | r->hot.node_time[n];
}

static inline void fz__report_set_node_time(fz_report *r, uint32_t n, u128 v)
{
    r->hot.node_time[n] = (uint64_t)v;
    r->hot.node_time_hi[n] = (uint64_t)(v >> 64);
}

/* The key of (outcome oc, node, kind) in r->faults. */
static inline uint64_t fz__report_fault_key(uint32_t oc, uint32_t node, uint32_t kind)
{
    return ((uint64_t)(oc + 1) << 40) | ((uint64_t)node << 8) | kind;
}

/* How an outcome's runs ended, as reports word it. */
static inline const char *fz__report_state_name(uint8_t s)
{
    return s == FZ_RUN_FAILED ? "failed" : "completed";
}

/* Decimal text of v into buf (at least 40 bytes); returns buf. */
const char *fz__report_u128_text(char *buf, size_t len, u128 v);

/* Indices of r's outcomes (paths: of its paths) in report order: count
 * descending, then name (paths: then first run). Caller frees with
 * fz__report_sorted_free(r, paths, idx); NULL when out of memory. */
uint32_t *fz__report_sorted(const fz_report *r, int paths);
void fz__report_sorted_free(const fz_report *r, int paths, uint32_t *idx);

/* The collection's steps, for reading a report back (report_json.c): the
 * outcome name in state (added when new; its index in *idx), a path of len
 * nodes, and runs added to a fault key. Each returns 0 or FZ_ENOMEM. */
int fz__report_find_outcome(fz_report *r, const char *name, uint8_t state, uint32_t *idx);
int fz__report_add_path(fz_report *r, uint64_t hash, const uint32_t *nodes, uint32_t len,
                        uint32_t oc, uint64_t count, uint64_t first);
int fz__report_fault_add(fz_report *r, uint64_t key, uint64_t runs);

#endif
