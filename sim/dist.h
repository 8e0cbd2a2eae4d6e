/* SPDX-License-Identifier: MIT */
/*
 * dist.h - latency distributions a scenario gives a node: fixed, uniform,
 * normal, lognormal, exponential and empirical (a list of observed samples).
 * Samples are virtual nanoseconds drawn from a run's fz_rng; parameters are
 * nanoseconds too (lognormal: the median and sigma of the underlying normal).
 */
#ifndef FZ_SIM_DIST_H
#define FZ_SIM_DIST_H

#include <stdint.h>

#include "sim/rng.h"

/* ORDER DIST: names are the scenario file's keys. */
#define FZ_DIST_MAP(XX)                                                        \
    XX(FIXED, "fixed")                                                         \
    XX(UNIFORM, "uniform")                                                     \
    XX(NORMAL, "normal")                                                       \
    XX(LOGNORMAL, "lognormal")                                                 \
    XX(EXPONENTIAL, "exponential")                                             \
    XX(EMPIRICAL, "empirical")

typedef enum fz_dist_kind {
#define FZ__DIST_ENUM(name, text) FZ_DIST_##name,
    FZ_DIST_MAP(FZ__DIST_ENUM)
#undef FZ__DIST_ENUM
    FZ_DIST_COUNT
} fz_dist_kind;

/* Plain data. fixed: a; uniform: [a, b); normal: mean a, sd b (clamped at
 * 0); lognormal: median a, sigma b; exponential: mean a; empirical: the
 * n values of samples (borrowed, sorted ascending by fz_dist_empirical). */
typedef struct fz_dist {
    fz_dist_kind kind;
    double a, b;
    const double *samples;
    uint32_t n;
} fz_dist;

/* Constructors (plain values, no allocation). */
fz_dist fz_dist_fixed(double ns);
fz_dist fz_dist_uniform(double lo_ns, double hi_ns);
fz_dist fz_dist_normal(double mean_ns, double sd_ns);
fz_dist fz_dist_lognormal(double median_ns, double sigma);
fz_dist fz_dist_exponential(double mean_ns);
/* samples must stay valid while the distribution is used; they are sorted
 * in place so that the CDF can be read off them. n > 0. */
fz_dist fz_dist_empirical(double *samples, uint32_t n);

/* Builds the normal sampler's tables once per process (thread-safe); the
 * normal and lognormal constructors call it. */
void fz_dist_prepare(void);

/* The samplers' exp(x) and log(x) (x > 0, normal): a table and a short
 * polynomial (exp: relative error below 4e-15; log: below 4e-15 plus 2e-16
 * absolute), the same on every machine.
 * Need fz_dist_prepare(). */
double fz_dist_exp(double x);
double fz_dist_log(double x);

/* Rounds a duration in nanoseconds to virtual time: 0 for negative or NaN,
 * UINT64_MAX past what a uint64_t holds (an infinite mean saturates). */
uint64_t fz_dist_ns(double x);

/* One sample in nanoseconds (never negative). */
uint64_t fz_dist_sample(const fz_dist *d, fz_rng *r);

/* The distribution's mean and variance in ns and ns^2 (before the clamp at
 * 0 of a normal). */
double fz_dist_mean(const fz_dist *d);
double fz_dist_variance(const fz_dist *d);

/* P(sample > t_ns), for exact timeouts. */
double fz_dist_exceeds(const fz_dist *d, double t_ns);

/* Keyword of a kind ("lognormal"); -1 from parse when unknown. */
const char *fz_dist_name(fz_dist_kind k);
int fz_dist_parse(const char *s, uint32_t len);

#endif
