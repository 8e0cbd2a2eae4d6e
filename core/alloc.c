/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - the default allocator hook (libc) and the fz_malloc family.
 * This is the one file allowed to call malloc/realloc/free directly.
 */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size ? size : 1);
}

static void *libc_realloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void)ud;
    (void)old_size;
    return realloc(ptr, new_size ? new_size : 1);
}

static void libc_free(void *ud, void *ptr, size_t size)
{
    (void)ud;
    (void)size;
    free(ptr);
}

static const fz_alloc libc_hook = {libc_alloc, libc_realloc, libc_free, NULL};
static const fz_alloc *default_hook = &libc_hook;

const fz_alloc *fz_alloc_default(void)
{
    return default_hook;
}

void *fz_malloc(const fz_alloc *a, size_t size)
{
    if (!a)
        a = default_hook;
    return a->alloc(a->ud, size);
}

void *fz_calloc(const fz_alloc *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    /* libc's calloc knows fresh pages from the kernel are zero and skips
     * clearing them again: a big array costs its page faults only. */
    if ((a ? a : default_hook) == &libc_hook)
        return calloc(n ? n : 1, size ? size : 1);
    void *p = fz_malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *fz_realloc(const fz_alloc *a, void *ptr, size_t old_size, size_t new_size)
{
    if (!a)
        a = default_hook;
    if (!ptr)
        return a->alloc(a->ud, new_size);
    return a->realloc(a->ud, ptr, old_size, new_size);
}

void fz_free(const fz_alloc *a, void *ptr, size_t size)
{
    if (!ptr)
        return;
    if (!a)
        a = default_hook;
    a->free(a->ud, ptr, size);
}

char *fz_strdup(const fz_alloc *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = fz_malloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}
