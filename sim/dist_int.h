/* SPDX-License-Identifier: MIT */
/*
 * dist_int.h - the lognormal sampler's hot part, inline, for sim/ only:
 * the backend samples a node's latency in its own frame instead of calling
 * fz_dist_sample (a call, its switch and the spills around it cost a
 * quarter of a lognormal draw). dist.c uses the same functions, so a sample
 * is the same bits either way (sim/ is built with -ffp-contract=off).
 */
#ifndef FZ_SIM_DIST_INT_H
#define FZ_SIM_DIST_INT_H

#include <stdint.h>

#include "sim/dist.h"
#include "sim/rng.h"

/* Tables of dist.c, built by fz_dist_prepare(). */
extern double fz__exp_tab[256]; /* 2^(j/256) */
extern double fz__zig_w[128];
extern uint32_t fz__zig_k[128];

/* The ziggurat after a first draw u missed its layer's rectangle. */
double fz__zig_slow(fz_rng *r, uint64_t u);

#define FZ__LN2 0.6931471805599453094
#define FZ_EXP_L (FZ__LN2 / 256.0) /* ln2/256 */
#define FZ_EXP_C1 FZ_EXP_L
#define FZ_EXP_C2 (FZ_EXP_L * FZ_EXP_L / 2.0)
#define FZ_EXP_C3 (FZ_EXP_L * FZ_EXP_L * FZ_EXP_L / 6.0)
#define FZ_EXP_C4 (FZ_EXP_L * FZ_EXP_L * FZ_EXP_L * FZ_EXP_L / 24.0)
#define FZ_EXP_TMAX 258000.0 /* ~ 699 / (ln2/256) */

static inline uint64_t fz__dist_ns(double x)
{
    if (!(x > 0.0)) /* also NaN */
        return 0;
    if (x >= 1.8e19)
        return UINT64_MAX;
    return (uint64_t)(x + 0.5);
}

/* m * 2^(t/256) for |t| < 2^30: k = round(t) by adding 1.5 * 2^52 (the
 * sum's low bits are k), f = t - k exactly (|f| <= 1/2), then
 * (m * 2^(k/256)) * p(f) with p(f) ~ 2^(f/256) = exp(f ln2/256) of degree 4
 * (|f ln2/256| < 0.00136: truncation below 4e-17). The factor m * 2^(k/256)
 * does not wait for the polynomial. Inline in the samplers (a call and its
 * spills cost as much as the polynomial). */
static inline double fz__exp2_256(double t, double m)
{
    if (t > FZ_EXP_TMAX)
        t = FZ_EXP_TMAX;
    if (t < -FZ_EXP_TMAX)
        return 0.0;
    union {
        double d;
        uint64_t u;
    } rk = {.d = t + 0x1.8p52};
    int64_t k = (int64_t)(int32_t)(uint32_t)rk.u;
    double f = t - (rk.d - 0x1.8p52);
    double f2 = f * f;
    double hi = (FZ_EXP_C2 + FZ_EXP_C3 * f) + f2 * FZ_EXP_C4;
    double p = (1.0 + FZ_EXP_C1 * f) + f2 * hi;
    int64_t e = k >> 8; /* floor division: arithmetic shift */
    union {
        uint64_t u;
        double d;
    } scale = {.u = (uint64_t)(e + 1023) << 52};
    return (m * (scale.d * fz__exp_tab[k & 255])) * p;
}

/* A standard normal times s: in the common case (the draw lands in its
 * layer's rectangle) the product hz * (w[iz] * s), whose second factor does
 * not wait for the draw. */
static inline double fz__std_normal_times(fz_rng *r, double s)
{
    uint64_t u = fz_rng_next(r);
    int32_t hz = (int32_t)(uint32_t)(u >> 32);
    uint32_t iz = (uint32_t)u & 127u;
    uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
    if (__builtin_expect(ahz < fz__zig_k[iz], 1))
        return (double)hz * (fz__zig_w[iz] * s);
    return fz__zig_slow(r, u) * s;
}

/* fz_dist_sample with the lognormal case inline. */
static inline uint64_t fz__dist_sample(const fz_dist *d, fz_rng *r)
{
    if (d->kind == FZ_DIST_LOGNORMAL)
        /* a * exp(b z) = a * 2^(t/256), t = z * (b * 256/ln2) */
        return fz__dist_ns(fz__exp2_256(fz__std_normal_times(r, d->b * (256.0 / FZ__LN2)), d->a));
    return fz_dist_sample(d, r);
}

#endif
