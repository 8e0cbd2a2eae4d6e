/* SPDX-License-Identifier: MIT */
/*
 * report_hot.h - a report's per-task counters and the inline bodies of
 * fz_report_task_start / _finish / fz_report_task (report.h), for the
 * simulation backend's one-token steps: a call per task there costs as much
 * as the counting. report.c defines the functions with these bodies; the
 * rest of a report stays opaque (report_int.h).
 */
#ifndef FZ_SIM_REPORT_HOT_H
#define FZ_SIM_REPORT_HOT_H

#include <stdint.h>

#include "sim/report.h"

/* The per-task counters, first in struct fz_report: a task's start and
 * finish (fz_report_task_start/_finish, called by the simulation backend
 * twice per task) touch only these. */
typedef struct report_hot {
    uint64_t *node_visits, *node_runs, *node_fail, *node_time, *node_stamp;
    uint64_t gen; /* the current run's stamp */
    uint64_t path_hash;
    uint32_t *cur_path; /* nodes started in this run, in order */
    uint32_t cur_len, cur_cap;
    /* node_time is the low 64 bits of each node's time; node_time_hi counts
     * its carries, so the sum cannot overflow (2^64 ns is 584 years: a
     * million 4-hour runs pass it). */
    uint64_t *node_time_hi;
} report_hot;

/* Cold: grows the run's path buffer; FZ_ENOMEM (and the report marked out
 * of memory). */
int fz__report_path_grow(fz_report *r);

/* fz_report_task_start's body. The counters are the report's first member. */
static inline __attribute__((always_inline)) void fz__report_task_start_in(fz_report *r,
                                                                           uint32_t n)
{
    report_hot *h = (report_hot *)r;
    h->node_visits[n]++;
    if (h->node_stamp[n] != h->gen) {
        h->node_stamp[n] = h->gen;
        h->node_runs[n]++;
    }
    h->path_hash = (h->path_hash ^ (n + 1)) * 0x100000001b3ull;
    h->path_hash ^= h->path_hash >> 29;
    if (__builtin_expect(h->cur_len == h->cur_cap, 0) && fz__report_path_grow(r))
        return;
    h->cur_path[h->cur_len++] = n;
}

/* fz_report_task_finish's body. */
static inline __attribute__((always_inline)) void
fz__report_task_finish_in(fz_report *r, uint32_t n, fz_answer a, uint64_t start_ns,
                          uint64_t end_ns)
{
    report_hot *h = (report_hot *)r;
    if (a != FZ_ANSWER_OK)
        h->node_fail[n]++;
    if (end_ns > start_ns &&
        __builtin_expect(__builtin_add_overflow(h->node_time[n], end_ns - start_ns, &h->node_time[n]), 0))
        h->node_time_hi[n]++;
}

/* fz_report_task's body: a task started and finished at once. */
static inline __attribute__((always_inline)) void fz__report_task_in(fz_report *r, uint32_t n,
                                                                     fz_answer a,
                                                                     uint64_t start_ns,
                                                                     uint64_t end_ns)
{
    fz__report_task_start_in(r, n);
    fz__report_task_finish_in(r, n, a, start_ns, end_ns);
}

#endif
