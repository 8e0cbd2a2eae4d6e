/* SPDX-License-Identifier: MIT */
/*
 * hash.c - a multiply-xorshift hash over 8-byte words, and a linear-probe
 * map kept at most half full. Lookups cost one hash and, on average, about
 * 1.5 probes; growth rehashes from the stored 32-bit hashes without
 * touching the keys.
 */
#include "core/hash.h"

#include <string.h>

#include "core/status.h"

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t fz_hash_bytes(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1));
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++)
        w |= (uint64_t)s[i] << (8 * i);
    return mix(h ^ w ^ 0x632be59bd9b4e019ULL);
}

void fz_strmap_init(fz_strmap *m, const fz_alloc *alloc, fz_strmap_key_fn key, void *ud)
{
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
    m->alloc = alloc;
    m->key = key;
    m->ud = ud;
}

void fz_strmap_fini(fz_strmap *m)
{
    if (m->slots)
        fz_free(m->alloc, m->slots, ((size_t)m->mask + 1) * sizeof(uint64_t));
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

static int rehash(fz_strmap *m, uint32_t nslots)
{
    uint64_t *ns = fz_calloc(m->alloc, nslots, sizeof(uint64_t));
    if (!ns)
        return FZ_ENOMEM;
    uint32_t nmask = nslots - 1;
    if (m->slots) {
        for (uint32_t i = 0; i <= m->mask; i++) {
            uint64_t s = m->slots[i];
            if (!s)
                continue;
            uint32_t j = (uint32_t)(s >> 32) & nmask;
            while (ns[j])
                j = (j + 1) & nmask;
            ns[j] = s;
        }
        fz_free(m->alloc, m->slots, ((size_t)m->mask + 1) * sizeof(uint64_t));
    }
    m->slots = ns;
    m->mask = nmask;
    return FZ_OK;
}

static inline int key_equal(const fz_strmap *m, uint32_t value, const char *key, uint32_t len)
{
    uint32_t klen = 0;
    const char *k = m->key(m->ud, value, &klen);
    return klen == len && memcmp(k, key, len) == 0;
}

uint32_t fz_strmap_find(const fz_strmap *m, const char *key, uint32_t len)
{
    if (!m->slots)
        return UINT32_MAX;
    uint32_t h = (uint32_t)fz_hash_bytes(key, len, 0);
    uint32_t i = h & m->mask;
    for (;;) {
        uint64_t s = m->slots[i];
        if (!s)
            return UINT32_MAX;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t v = (uint32_t)s - 1;
            if (key_equal(m, v, key, len))
                return v;
        }
        i = (i + 1) & m->mask;
    }
}

int fz_strmap_add(fz_strmap *m, const char *key, uint32_t len, uint32_t value, uint32_t *found)
{
    if (!m->slots || (uint64_t)(m->count + 1) * 2 > (uint64_t)m->mask + 1) {
        int rc = rehash(m, m->slots ? (m->mask + 1) * 2 : 16);
        if (rc)
            return rc;
    }
    uint32_t h = (uint32_t)fz_hash_bytes(key, len, 0);
    uint32_t i = h & m->mask;
    for (;;) {
        uint64_t s = m->slots[i];
        if (!s)
            break;
        if ((uint32_t)(s >> 32) == h) {
            uint32_t v = (uint32_t)s - 1;
            if (key_equal(m, v, key, len)) {
                if (found)
                    *found = v;
                return FZ_OK;
            }
        }
        i = (i + 1) & m->mask;
    }
    m->slots[i] = ((uint64_t)h << 32) | ((uint64_t)value + 1);
    m->count++;
    if (found)
        *found = value;
    return FZ_OK;
}
