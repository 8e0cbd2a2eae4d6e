/* SPDX-License-Identifier: MIT */
/*
 * rng.c - SplitMix64 and the seeding of xoshiro256** (Blackman and Vigna).
 * A run's state is four SplitMix64 outputs from a key that mixes the study
 * seed and the run index, so neighbouring indices give unrelated streams.
 */
#include "sim/rng.h"

uint64_t fz_rng_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fz_rng_init(fz_rng *r, uint64_t seed, uint64_t index)
{
    /* Two rounds keyed on seed then index: (seed, index) and (seed', index')
     * collide only when both are equal. */
    uint64_t k = seed;
    uint64_t a = fz_rng_splitmix(&k);
    uint64_t st = a ^ (index * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
    for (int i = 0; i < 4; i++)
        r->s[i] = fz_rng_splitmix(&st);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the one state xoshiro cannot leave */
}

uint64_t fz_rng_below(fz_rng *r, uint64_t n)
{
    /* Lemire's multiply-and-reject on 64 bits via the 128-bit product. */
    __extension__ typedef unsigned __int128 u128;
    uint64_t x = fz_rng_next(r);
    u128 m = (u128)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = (0 - n) % n;
        while (lo < t) {
            x = fz_rng_next(r);
            m = (u128)x * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
