/* SPDX-License-Identifier: MIT */
/*
 * arena.c - bump allocation in blocks that double up to 1 MiB.
 * Requests larger than a block get a block of their own, so waste stays
 * below one block whatever the pattern of sizes.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fz_arena_block {
    fz_arena_block *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(8) unsigned char data[];
};

#define ARENA_FIRST_BLOCK 4096
#define ARENA_MAX_BLOCK (1u << 20)

void fz_arena_init(fz_arena *a, const fz_alloc *alloc)
{
    a->alloc = alloc;
    a->head = NULL;
    a->block_size = ARENA_FIRST_BLOCK;
    a->used_total = 0;
}

void fz_arena_fini(fz_arena *a)
{
    fz_arena_block *b = a->head;
    while (b) {
        fz_arena_block *next = b->next;
        fz_free(a->alloc, b, sizeof(*b) + b->size);
        b = next;
    }
    a->head = NULL;
    a->block_size = ARENA_FIRST_BLOCK;
    a->used_total = 0;
}

void *fz_arena_alloc(fz_arena *a, size_t size)
{
    size = (size + 7u) & ~(size_t)7u;
    if (size == 0)
        size = 8;
    fz_arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t want = a->block_size;
        if (size > want)
            want = size;
        if (size > SIZE_MAX - sizeof(*b))
            return NULL;
        fz_arena_block *nb = fz_malloc(a->alloc, sizeof(*nb) + want);
        if (!nb)
            return NULL;
        nb->size = want;
        nb->used = 0;
        if (size >= a->block_size && b) {
            /* A big one-off: keep filling the current block afterwards. */
            nb->next = b->next;
            b->next = nb;
            b = nb;
        } else {
            nb->next = b;
            a->head = nb;
            b = nb;
            if (a->block_size < ARENA_MAX_BLOCK)
                a->block_size *= 2;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used_total += size;
    return p;
}

char *fz_arena_strndup(fz_arena *a, const char *s, size_t len)
{
    char *p = fz_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *fz_arena_printf(fz_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = fz_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
