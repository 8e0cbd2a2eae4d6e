/* SPDX-License-Identifier: MIT */
/*
 * evq.c - the (time, seq) binary heap. Sift-up and sift-down move a hole
 * instead of swapping, one copy per level.
 */
#include "sim/evq.h"

#include "core/status.h"

static inline int ev_less(const fz_event *a, const fz_event *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

void fz_evq_init(fz_evq *q, const fz_alloc *alloc)
{
    q->heap = NULL;
    q->len = q->cap = 0;
    q->next_seq = 0;
    q->alloc = alloc;
}

void fz_evq_fini(fz_evq *q)
{
    fz_free(q->alloc, q->heap, (size_t)q->cap * sizeof(fz_event));
    fz_evq_init(q, q->alloc);
}

void fz_evq_clear(fz_evq *q)
{
    q->len = 0;
    q->next_seq = 0;
}

int fz__evq_push_slow(fz_evq *q, uint64_t time, uint32_t id, uint32_t aux)
{
    if (q->len == q->cap) {
        uint32_t ncap = q->cap ? q->cap * 2 : 16;
        if (ncap <= q->cap)
            return FZ_ENOMEM;
        fz_event *h = fz_realloc(q->alloc, q->heap, (size_t)q->cap * sizeof(fz_event),
                                 (size_t)ncap * sizeof(fz_event));
        if (!h)
            return FZ_ENOMEM;
        q->heap = h;
        q->cap = ncap;
    }
    fz_event ev = {.time = time, .seq = q->next_seq++, .id = id, .aux = aux};
    uint32_t i = q->len++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!ev_less(&ev, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ev;
    return 0;
}

int fz__evq_pop_slow(fz_evq *q, fz_event *out)
{
    if (q->len <= 1) { /* one task in flight: the common case */
        if (q->len == 0)
            return 0;
        *out = q->heap[0];
        q->len = 0;
        return 1;
    }
    *out = q->heap[0];
    fz_event last = q->heap[--q->len];
    uint32_t n = q->len, i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ev_less(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!ev_less(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (n)
        q->heap[i] = last;
    return 1;
}
