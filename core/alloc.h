/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - the allocator hook. Every allocation in flowzap goes through an
 * fz_alloc so tests can count live blocks and fail the Nth allocation.
 * A NULL hook means the process default (libc), see fz_alloc_default().
 */
#ifndef FZ_CORE_ALLOC_H
#define FZ_CORE_ALLOC_H

#include <stddef.h>

typedef struct fz_alloc {
    void *(*alloc)(void *ud, size_t size);
    void *(*realloc)(void *ud, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ud, void *ptr, size_t size);
    void *ud;
} fz_alloc;

/* Returns the process-wide default hook (libc). Never NULL. */
const fz_alloc *fz_alloc_default(void);

/* Allocates size bytes through a (NULL: the default); NULL on failure. */
void *fz_malloc(const fz_alloc *a, size_t size);

/* Like fz_malloc, zero-filled. Checks n * size for overflow. */
void *fz_calloc(const fz_alloc *a, size_t n, size_t size);

/* Resizes ptr; on failure returns NULL and leaves ptr valid. */
void *fz_realloc(const fz_alloc *a, void *ptr, size_t old_size, size_t new_size);

/* Frees ptr (NULL is a no-op). size is the size it was allocated with. */
void fz_free(const fz_alloc *a, void *ptr, size_t size);

/* Copies a NUL-terminated string; caller frees with fz_free(a, p, strlen(p) + 1). */
char *fz_strdup(const fz_alloc *a, const char *s);

#endif
