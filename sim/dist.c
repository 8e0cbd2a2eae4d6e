/* SPDX-License-Identifier: MIT */
/*
 * dist.c - the samplers. Each sample costs one or two xoshiro steps; normal
 * and lognormal draws use a ziggurat (mostly no transcendental call, plus
 * one exp for a lognormal), exponential draws one log.
 */
#include "sim/dist.h"
#include "sim/dist_int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

fz_dist fz_dist_fixed(double ns)
{
    return (fz_dist){.kind = FZ_DIST_FIXED, .a = ns};
}

fz_dist fz_dist_uniform(double lo_ns, double hi_ns)
{
    return (fz_dist){.kind = FZ_DIST_UNIFORM, .a = lo_ns, .b = hi_ns};
}

fz_dist fz_dist_normal(double mean_ns, double sd_ns)
{
    fz_dist_prepare();
    return (fz_dist){.kind = FZ_DIST_NORMAL, .a = mean_ns, .b = sd_ns};
}

fz_dist fz_dist_lognormal(double median_ns, double sigma)
{
    fz_dist_prepare();
    return (fz_dist){.kind = FZ_DIST_LOGNORMAL, .a = median_ns, .b = sigma};
}

fz_dist fz_dist_exponential(double mean_ns)
{
    fz_dist_prepare();
    return (fz_dist){.kind = FZ_DIST_EXPONENTIAL, .a = mean_ns};
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

fz_dist fz_dist_empirical(double *samples, uint32_t n)
{
    qsort(samples, n, sizeof(double), cmp_double);
    return (fz_dist){.kind = FZ_DIST_EMPIRICAL, .samples = samples, .n = n};
}

/*==========================================================================
 * Standard normal variates: the ziggurat of Marsaglia and Tsang (2000),
 * 128 layers. About 98% of draws cost one rng step, a compare and a
 * multiply; the rest fall back to exp/log. The layer index and the sample
 * bits come from disjoint bits of one 64-bit draw. Tables are computed once
 * (pthread_once) from the published constants.
 *========================================================================*/

double fz__zig_w[128];
static double zig_f[128];
uint32_t fz__zig_k[128];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

/* exp and log of the samplers: a 256-entry table plus a short polynomial
 * (relative error below 4e-15), several times cheaper than libm's and the
 * same on every machine once the tables are built. Both are written for a
 * short chain of dependent operations (a lognormal sample's latency is that
 * chain): exp works in units of ln2/256, so the reduction is one exact
 * subtraction, and its polynomial is evaluated by Estrin's scheme; log
 * multiplies by a table of reciprocals instead of dividing. sim/ is built
 * with -ffp-contract=off: no fused multiply-add changes a rounding. */
double fz__exp_tab[256]; /* 2^(j/256) */
static double log_tab[256]; /* log(1 + j/256) */
static double inv_tab[256]; /* 1 / (1 + j/256) */
static const double LN2 = FZ__LN2;

static inline double exp_fast(double x)
{
    return fz__exp2_256(x * (256.0 / LN2), 1.0);
}

/* log(x) = e ln2 + log(c) + log1p(t), c = 1 + j/256 the mantissa's first 8
 * bits, t = (m - c) / c taken as (m - c) * (1/c): m - c is exact and
 * 0 <= t < 1/256, so a degree-5 series (Estrin) is below 1e-15. */
static inline double log_fast(double x)
{
    union {
        double d;
        uint64_t u;
    } v = {.d = x};
    int e = (int)((v.u >> 52) & 0x7ff) - 1023;
    uint32_t j = (uint32_t)(v.u >> 44) & 255u;
    v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull; /* m in [1, 2) */
    double c = 1.0 + (double)j / 256.0;
    double t = (v.d - c) * inv_tab[j];
    double t2 = t * t;
    double a = t2 * (-0.5 + t * (1.0 / 3.0));
    double b = (t2 * t2) * (-0.25 + t * 0.2);
    double l = t + (a + b);
    return ((double)e * LN2 + log_tab[j]) + l;
}

double fz_dist_exp(double x)
{
    return exp_fast(x);
}

double fz_dist_log(double x)
{
    return log_fast(x);
}

static void zig_init(void)
{
    for (int j = 0; j < 256; j++) {
        fz__exp_tab[j] = exp2((double)j / 256.0);
        log_tab[j] = log1p((double)j / 256.0);
        inv_tab[j] = 1.0 / (1.0 + (double)j / 256.0);
    }
    const double m1 = 2147483648.0;
    double dn = 3.442619855899, tn = dn, vn = 9.91256303526217e-3;
    double q = vn / exp(-0.5 * dn * dn);
    fz__zig_k[0] = (uint32_t)((dn / q) * m1);
    fz__zig_k[1] = 0;
    fz__zig_w[0] = q / m1;
    fz__zig_w[127] = dn / m1;
    zig_f[0] = 1.0;
    zig_f[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        fz__zig_k[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        zig_f[i] = exp(-0.5 * dn * dn);
        fz__zig_w[i] = dn / m1;
    }
}

void fz_dist_prepare(void)
{
    pthread_once(&zig_once, zig_init);
}

/* The rest of the ziggurat after a first draw u was not accepted in its
 * layer's rectangle: the base strip's tail, the wedge test, and further
 * draws. Out of line: ~2% of draws come here. */
double fz__zig_slow(fz_rng *r, uint64_t u)
{
    const double tail = 3.442619855899;
    for (;;) {
        int32_t hz = (int32_t)(uint32_t)(u >> 32);
        uint32_t iz = (uint32_t)u & 127u;
        uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
        double x = (double)hz * fz__zig_w[iz];
        if (ahz < fz__zig_k[iz])
            return x;
        if (iz == 0) {
            double y;
            do {
                x = -log_fast(fz_rng_double_open0(r)) / tail;
                y = -log_fast(fz_rng_double_open0(r));
            } while (y + y < x * x);
            return hz > 0 ? tail + x : -tail - x;
        }
        if (zig_f[iz] + fz_rng_double(r) * (zig_f[iz - 1] - zig_f[iz]) < exp_fast(-0.5 * x * x))
            return x;
        u = fz_rng_next(r);
    }
}

uint64_t fz_dist_ns(double x)
{
    return fz__dist_ns(x);
}

uint64_t fz_dist_sample(const fz_dist *d, fz_rng *r)
{
    switch (d->kind) {
    case FZ_DIST_FIXED:
        return fz_dist_ns(d->a);
    case FZ_DIST_UNIFORM:
        return fz_dist_ns(d->a + (d->b - d->a) * fz_rng_double(r));
    case FZ_DIST_NORMAL:
        return fz_dist_ns(d->a + fz__std_normal_times(r, d->b));
    case FZ_DIST_LOGNORMAL:
        /* a * exp(b z) = a * 2^(t/256), t = z * (b * 256/ln2) */
        return fz_dist_ns(fz__exp2_256(fz__std_normal_times(r, d->b * (256.0 / LN2)), d->a));
    case FZ_DIST_EXPONENTIAL:
        return fz_dist_ns(-d->a * log_fast(fz_rng_double_open0(r)));
    case FZ_DIST_EMPIRICAL:
        return fz_dist_ns(d->samples[fz_rng_below(r, d->n)]);
    case FZ_DIST_COUNT:
        break;
    }
    return 0;
}

double fz_dist_mean(const fz_dist *d)
{
    switch (d->kind) {
    case FZ_DIST_FIXED:
    case FZ_DIST_NORMAL:
    case FZ_DIST_EXPONENTIAL:
        return d->a;
    case FZ_DIST_UNIFORM:
        return (d->a + d->b) / 2.0;
    case FZ_DIST_LOGNORMAL:
        return d->a * exp(d->b * d->b / 2.0);
    case FZ_DIST_EMPIRICAL: {
        double s = 0;
        for (uint32_t i = 0; i < d->n; i++)
            s += d->samples[i];
        return s / d->n;
    }
    case FZ_DIST_COUNT:
        break;
    }
    return 0;
}

double fz_dist_variance(const fz_dist *d)
{
    switch (d->kind) {
    case FZ_DIST_FIXED:
        return 0;
    case FZ_DIST_UNIFORM:
        return (d->b - d->a) * (d->b - d->a) / 12.0;
    case FZ_DIST_NORMAL:
        return d->b * d->b;
    case FZ_DIST_LOGNORMAL: {
        double s2 = d->b * d->b;
        return (exp(s2) - 1.0) * d->a * d->a * exp(s2);
    }
    case FZ_DIST_EXPONENTIAL:
        return d->a * d->a;
    case FZ_DIST_EMPIRICAL: {
        double m = fz_dist_mean(d), s = 0;
        for (uint32_t i = 0; i < d->n; i++)
            s += (d->samples[i] - m) * (d->samples[i] - m);
        return s / d->n;
    }
    case FZ_DIST_COUNT:
        break;
    }
    return 0;
}

double fz_dist_exceeds(const fz_dist *d, double t)
{
    switch (d->kind) {
    case FZ_DIST_FIXED:
        return d->a > t ? 1.0 : 0.0;
    case FZ_DIST_UNIFORM:
        if (t < d->a)
            return 1.0;
        if (t >= d->b)
            return 0.0;
        return (d->b - t) / (d->b - d->a);
    case FZ_DIST_NORMAL:
        if (d->b <= 0)
            return d->a > t ? 1.0 : 0.0;
        return 0.5 * erfc((t - d->a) / (d->b * sqrt(2.0)));
    case FZ_DIST_LOGNORMAL:
        if (t <= 0)
            return 1.0;
        if (d->b <= 0)
            return d->a > t ? 1.0 : 0.0;
        return 0.5 * erfc(log(t / d->a) / (d->b * sqrt(2.0)));
    case FZ_DIST_EXPONENTIAL:
        if (t <= 0)
            return 1.0;
        return d->a <= 0 ? 0.0 : exp(-t / d->a);
    case FZ_DIST_EMPIRICAL: {
        uint32_t k = 0;
        for (uint32_t i = 0; i < d->n; i++)
            k += d->samples[i] > t;
        return (double)k / d->n;
    }
    case FZ_DIST_COUNT:
        break;
    }
    return 0;
}

static const char *const names[] = {
#define FZ__DIST_NAME(name, text) text,
    FZ_DIST_MAP(FZ__DIST_NAME)
#undef FZ__DIST_NAME
};

const char *fz_dist_name(fz_dist_kind k)
{
    return (unsigned)k < FZ_DIST_COUNT ? names[k] : "?";
}

int fz_dist_parse(const char *s, uint32_t len)
{
    for (int i = 0; i < FZ_DIST_COUNT; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}
