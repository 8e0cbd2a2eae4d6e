/* SPDX-License-Identifier: MIT */
/* vec.c - doubling growth for fz_vec. */
#define _DEFAULT_SOURCE 1 /* madvise, MADV_HUGEPAGE */
#include "core/vec.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "core/status.h"

void fz_vec_init(fz_vec *v, uint32_t elem, const fz_alloc *alloc)
{
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
    v->elem = elem;
    v->alloc = alloc;
}

void fz_vec_fini(fz_vec *v)
{
    fz_free(v->alloc, v->data, (size_t)v->cap * v->elem);
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
}

/* Arrays of several MiB (a million-node graph's nodes, edges and
 * attributes) are first touched page by page as they fill: a page fault
 * each 4 KiB, a fifth of `check`'s time at 1M nodes. Where the system
 * offers transparent huge pages on request, asking for them makes that
 * one fault per 2 MiB (at most 2 MiB more memory an array). The whole
 * pages the block spans are asked for: the allocator maps a block this
 * big on its own, which stays one mapping that can grow in place. A hint:
 * nothing changes where huge pages are off or the call fails. */
#define BIG_ARRAY (4u << 20)
static void big_pages(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    if (size < BIG_ARRAY)
        return;
    uintptr_t ps = 4096, a = (uintptr_t)p & ~(ps - 1);
    uintptr_t e = ((uintptr_t)p + size + ps - 1) & ~(ps - 1);
    madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

int fz_vec_reserve(fz_vec *v, uint32_t cap)
{
    if (cap <= v->cap)
        return FZ_OK;
    if ((uint64_t)cap * v->elem > (uint64_t)SIZE_MAX / 2)
        return FZ_ENOMEM;
    void *p = fz_realloc(v->alloc, v->data, (size_t)v->cap * v->elem, (size_t)cap * v->elem);
    if (!p)
        return FZ_ENOMEM;
    v->data = p;
    v->cap = cap;
    big_pages(p, (size_t)cap * v->elem);
    return FZ_OK;
}

void *fz_vec_push(fz_vec *v)
{
    if (v->len == v->cap) {
        uint32_t ncap = v->cap ? v->cap * 2 : 16;
        if (ncap < v->cap || fz_vec_reserve(v, ncap) != FZ_OK)
            return NULL;
    }
    void *p = (char *)v->data + (size_t)v->len * v->elem;
    memset(p, 0, v->elem);
    v->len++;
    return p;
}
