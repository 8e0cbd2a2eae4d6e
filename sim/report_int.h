/* SPDX-License-Identifier: MIT */
/*
 * report_int.h - the report's per-task tallies, laid out here so that the
 * simulation backend (backend_sim.c) counts a start and a finish inline
 * instead of calling into report.c twice per task. Not for other modules;
 * the rest of the report stays opaque (report.h).
 */
#ifndef FZ_SIM_REPORT_INT_H
#define FZ_SIM_REPORT_INT_H

#include <stdint.h>

#include "engine/engine.h"
#include "sim/report.h"

/* The first member of struct fz_report: a report pointer is a pointer to
 * its hot part. */
typedef struct fz__report_hot {
    uint64_t *node_visits, *node_runs, *node_fail, *node_time, *node_stamp;
    uint64_t gen; /* the current run's stamp */
    uint64_t path_hash;
    uint32_t *cur_path; /* nodes started in this run, in order */
    uint32_t cur_len, cur_cap;
    /* node_time is the low 64 bits of each node's time; node_time_hi counts
     * its carries, so the sum cannot overflow (2^64 ns is 584 years: a
     * million 4-hour runs pass it). */
    uint64_t *node_time_hi;
} fz__report_hot;

/* Cold: grows cur_path; FZ_ENOMEM (and the report marked out of memory). */
int fz__report_path_grow(fz_report *r);

/* Counts a start on node n: visits, runs visiting, the path. 0 or
 * FZ_ENOMEM. */
static inline int fz__report_task_start(fz_report *r, uint32_t n)
{
    fz__report_hot *h = (fz__report_hot *)(void *)r;
    h->node_visits[n]++;
    if (h->node_stamp[n] != h->gen) {
        h->node_stamp[n] = h->gen;
        h->node_runs[n]++;
    }
    h->path_hash = (h->path_hash ^ (n + 1)) * 0x100000001b3ull;
    h->path_hash ^= h->path_hash >> 29;
    if (__builtin_expect(h->cur_len == h->cur_cap, 0) && fz__report_path_grow(r))
        return -1;
    h->cur_path[h->cur_len++] = n;
    return 0;
}

/* Counts a finish on node n: a failure unless ok, and the time spent. */
static inline void fz__report_task_finish(fz_report *r, uint32_t n, fz_answer a, uint64_t start_ns,
                                          uint64_t end_ns)
{
    fz__report_hot *h = (fz__report_hot *)(void *)r;
    if (a != FZ_ANSWER_OK)
        h->node_fail[n]++;
    if (end_ns > start_ns &&
        __builtin_expect(__builtin_add_overflow(h->node_time[n], end_ns - start_ns, &h->node_time[n]), 0))
        h->node_time_hi[n]++;
}

#endif
