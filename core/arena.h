/* SPDX-License-Identifier: MIT */
/*
 * arena.h - a bump allocator: many small allocations, one free.
 * A loaded workflow keeps its strings and records in one arena, released at
 * once by fz_arena_fini(). Blocks come from the arena's fz_alloc hook.
 */
#ifndef FZ_CORE_ARENA_H
#define FZ_CORE_ARENA_H

#include <stddef.h>

#include "core/alloc.h"

typedef struct fz_arena_block fz_arena_block;

typedef struct fz_arena {
    const fz_alloc *alloc; /* read-only after init */
    fz_arena_block *head;
    size_t block_size;
    size_t used_total; /* bytes handed out, for statistics */
} fz_arena;

/* Initialises a caller-owned arena; a NULL hook means the default. */
void fz_arena_init(fz_arena *a, const fz_alloc *alloc);

/* Releases every block. The arena can be used again after this. */
void fz_arena_fini(fz_arena *a);

/* Returns size bytes aligned to 8, or NULL when the hook fails. */
void *fz_arena_alloc(fz_arena *a, size_t size);

/* Copies len bytes of s and adds a NUL; NULL on failure. */
char *fz_arena_strndup(fz_arena *a, const char *s, size_t len);

/* printf into the arena; NULL on failure. */
char *fz_arena_printf(fz_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
