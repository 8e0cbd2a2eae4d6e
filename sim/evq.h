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
int fz__evq_push_slow(fz_evq *q, uint64_t time, uint32_t id, uint32_t aux);
static inline int fz_evq_push(fz_evq *q, uint64_t time, uint32_t id, uint32_t aux)
{
    if (q->len == 0 && q->cap) { /* one task in flight: the common case */
        /* Field by field, as fz_evq_pop() reads them: a wide copy of fields
         * stored narrow just before misses store forwarding (~15 cycles). */
        fz_event *h = q->heap;
        h->time = time;
        h->seq = q->next_seq++;
        h->id = id;
        h->aux = aux;
        q->len = 1;
        return 0;
    }
    return fz__evq_push_slow(q, time, id, aux);
}

/* Removes the earliest event into *out; returns 1, or 0 when empty. */
int fz__evq_pop_slow(fz_evq *q, fz_event *out);
static inline int fz_evq_pop(fz_evq *q, fz_event *out)
{
    if (q->len == 1) {
        const fz_event *h = q->heap;
        out->time = h->time;
        out->seq = h->seq;
        out->id = h->id;
        out->aux = h->aux;
        q->len = 0;
        return 1;
    }
    return fz__evq_pop_slow(q, out);
}

/* Removes the earliest event, read before through fz_evq_peek(); O(log n).
 * Reading only the fields one needs from the peeked event avoids a wide
 * copy of fields pushed narrow (a missed store forwarding, ~15 cycles). */
static inline void fz_evq_drop(fz_evq *q)
{
    if (q->len == 1) {
        q->len = 0;
        return;
    }
    fz_event dummy;
    fz__evq_pop_slow(q, &dummy);
}

/* The earliest event without removing it, or NULL. */
static inline const fz_event *fz_evq_peek(const fz_evq *q)
{
    return q->len ? &q->heap[0] : 0;
}

#define fz_evq_len(q) ((q)->len)

#endif
