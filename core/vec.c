/* SPDX-License-Identifier: MIT */
/* vec.c - doubling growth for fz_vec. */
#include "core/vec.h"

#include <string.h>

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
