/* SPDX-License-Identifier: MIT */
/*
 * evq.h - the virtual clock's event queue: a binary heap ordered by
 * (time, seq), where seq is taken at push. Two events at the same virtual
 * time leave in the order they were pushed, so a simulated run never
 * depends on how the heap happens to break ties (libuv's timer heap rule).
 */
#ifndef FZ_SIM_EVQ_H
#define FZ_SIM_EVQ_H

#include <stdint.h>

#include "core/alloc.h"

/* Plain data: one event. id and aux are the pusher's (task id, kind...). */
typedef struct fz_event {
    uint64_t time; /* virtual nanoseconds */
    uint64_t seq;  /* read-only: push order */
    uint32_t id;
    uint32_t aux;
} fz_event;

/* Caller-owned queue; the heap array grows by doubling and is kept by
 * fz_evq_clear(), so a reused queue stops allocating once warm. */
typedef struct fz_evq {
    fz_event *heap;
    uint32_t len, cap;
    uint64_t next_seq;
    const fz_alloc *alloc;
} fz_evq;

void fz_evq_init(fz_evq *q, const fz_alloc *alloc);
void fz_evq_fini(fz_evq *q);

/* Empties the queue and restarts seq at 0; memory is kept. */
void fz_evq_clear(fz_evq *q);

/* Adds an event at time; O(log n). Returns 0 or FZ_ENOMEM (q unchanged). */
int fz_evq_push(fz_evq *q, uint64_t time, uint32_t id, uint32_t aux);

/* Removes the earliest event into *out; returns 1, or 0 when empty. */
int fz_evq_pop(fz_evq *q, fz_event *out);

/* The earliest event without removing it, or NULL. */
static inline const fz_event *fz_evq_peek(const fz_evq *q)
{
    return q->len ? &q->heap[0] : 0;
}

#define fz_evq_len(q) ((q)->len)

#endif
