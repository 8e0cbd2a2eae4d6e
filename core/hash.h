/* SPDX-License-Identifier: MIT */
/*
 * hash.h - byte-string hashing and an open-addressing map from strings to
 * uint32 values. The map stores only (hash, value); the caller resolves a
 * value back to its key bytes through a callback, so 1M ids cost 8 bytes a
 * slot and no copies of the keys.
 */
#ifndef FZ_CORE_HASH_H
#define FZ_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

/* A fast 64-bit hash of len bytes (not cryptographic; seedable). */
uint64_t fz_hash_bytes(const void *p, size_t len, uint64_t seed);

/* Returns the key bytes of a stored value. */
typedef const char *(*fz_strmap_key_fn)(void *ud, uint32_t value, uint32_t *len);

typedef struct fz_strmap {
    uint64_t *slots; /* (hash32 << 32) | (value + 1); 0 is empty */
    uint32_t mask;
    uint32_t count;
    const fz_alloc *alloc;
    fz_strmap_key_fn key;
    void *ud;
} fz_strmap;

/* Initialises an empty map whose keys come from key(ud, value). */
void fz_strmap_init(fz_strmap *m, const fz_alloc *alloc, fz_strmap_key_fn key, void *ud);

/* Frees the slots. */
void fz_strmap_fini(fz_strmap *m);

/* Looks up key; returns its value or UINT32_MAX when absent. */
uint32_t fz_strmap_find(const fz_strmap *m, const char *key, uint32_t len);

/* Adds key -> value unless key is present. *found receives the value now
 * stored for key. Returns 0 or FZ_ENOMEM. */
int fz_strmap_add(fz_strmap *m, const char *key, uint32_t len, uint32_t value,
                  uint32_t *found);

#endif
