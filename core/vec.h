/* SPDX-License-Identifier: MIT */
/*
 * vec.h - a growable array of fixed-size records through an fz_alloc hook.
 * Growth doubles, so n pushes cost O(n) copies in all. Records move when the
 * array grows: keep indices, not pointers, across pushes.
 */
#ifndef FZ_CORE_VEC_H
#define FZ_CORE_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef struct fz_vec {
    void *data;       /* read-only: records, len of them */
    uint32_t len;     /* read-only */
    uint32_t cap;     /* read-only */
    uint32_t elem;    /* read-only: record size */
    const fz_alloc *alloc;
} fz_vec;

/* Initialises an empty vector of elem-byte records. */
void fz_vec_init(fz_vec *v, uint32_t elem, const fz_alloc *alloc);

/* Frees the records; the vector is empty and reusable. */
void fz_vec_fini(fz_vec *v);

/* Appends one zeroed record and returns it, or NULL (FZ_ENOMEM) leaving v valid. */
void *fz_vec_push(fz_vec *v);

/* Makes room for at least cap records. Returns 0 or FZ_ENOMEM. */
int fz_vec_reserve(fz_vec *v, uint32_t cap);

/* Record i (no bounds check beyond an assert). */
#define FZ_VEC_AT(v, type, i) (((type *)(v)->data)[(i)])

#endif
