/* SPDX-License-Identifier: MIT */
/*
 * rng.h - the simulator's pseudo-random numbers: xoshiro256** seeded by
 * SplitMix64 from (seed, run index). Each run owns an independent stream
 * that depends on nothing else, so a study gives the same figures for any
 * thread count, shard split or machine. Never libc rand().
 */
#ifndef FZ_SIM_RNG_H
#define FZ_SIM_RNG_H

#include <stdint.h>

/* Plain data: the four words of xoshiro256** state. */
typedef struct fz_rng {
    uint64_t s[4];
} fz_rng;

/* One SplitMix64 step: advances *state and returns the next output. */
uint64_t fz_rng_splitmix(uint64_t *state);

/* Seeds r for run `index` of a study seeded with `seed`. */
void fz_rng_init(fz_rng *r, uint64_t seed, uint64_t index);

/* The next 64 random bits. */
static inline uint64_t fz_rng_next(fz_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t out = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return out;
}

/* A double uniform in [0, 1), 53 random bits. */
static inline double fz_rng_double(fz_rng *r)
{
    return (double)(fz_rng_next(r) >> 11) * 0x1.0p-53;
}

/* A double uniform in (0, 1]: safe to take the logarithm of. */
static inline double fz_rng_double_open0(fz_rng *r)
{
    return ((double)(fz_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

/* An integer uniform in [0, n) without modulo bias (Lemire); n > 0. */
uint64_t fz_rng_below(fz_rng *r, uint64_t n);

#endif
