/* SPDX-License-Identifier: MIT */
/*
 * expect.h - expectations of a scenario (`expect:` in a scenario file,
 * docs/test.md) and checking them: outcome (every run), path and visits
 * (every run), duration statistics and outcome shares. A scenario whose
 * choices are all certain and whose latencies are fixed is checked by one
 * run; otherwise `--exact` judges outcomes and shares where it applies, and
 * Monte Carlo runs (seeded, replayable) judge the rest, a share or a
 * percentile by its 95% Wilson interval: pass when the whole interval
 * satisfies it, fail when the whole interval violates it, else more runs up
 * to a cap, then undecided (which fails).
 */
#ifndef FZ_SIM_EXPECT_H
#define FZ_SIM_EXPECT_H

#include <stdint.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/diag.h"
#include "engine/engine.h"
#include "parser/graph.h"
#include "sim/scenario.h"

struct fy_node;

typedef struct fz_expect fz_expect;

/* Comparison operators of `">= 0.65"`, `"< 5m"`. */
typedef enum fz_expect_op {
    FZ_OP_LT,
    FZ_OP_LE,
    FZ_OP_GT,
    FZ_OP_GE,
    FZ_OP_EQ,
} fz_expect_op;

/* What the value of a comparison is. */
typedef enum fz_expect_unit {
    FZ_UNIT_SHARE,    /* 0..1, or a percentage "65%" */
    FZ_UNIT_DURATION, /* a duration (core/duration.h), in ns */
    FZ_UNIT_COUNT,    /* a whole number */
} fz_expect_unit;

/* Parses "OP VALUE" (OP one of <, <=, >, >=, ==; a bare VALUE means ==).
 * Returns 0 or FZ_EINVAL. */
int fz_expect_parse_cmp(const char *s, fz_expect_unit unit, fz_expect_op *op, double *value);

/* Parses the `expect:` node of a scenario into the arena (diagnostics with
 * offsets into the scenario file). Returns 0, FZ_EINVAL (errors in d) or
 * FZ_ENOMEM. Called by sim/scenario.c. */
int fz_expect_parse(struct fy_node *n, fz_arena *arena, fz_diags *d, fz_expect **out);

/* Checks that every node id the expectations name is one of g's (errors
 * in d, code S009). Returns 0 or FZ_EINVAL. */
int fz_expect_bind(const fz_expect *x, const fz_graph *g, fz_diags *d);

/* Judges an interval [lo, hi] against `OP v`: 1 when every point of it
 * satisfies the comparison, -1 when no point does, 0 when undecided. */
int fz_expect_judge(double lo, double hi, fz_expect_op op, double v);

typedef enum fz_expect_verdict {
    FZ_EXPECT_PASS = 0,
    FZ_EXPECT_FAIL = 1,
    FZ_EXPECT_UNDECIDED = 2,
} fz_expect_verdict;

typedef struct fz_expect_opts {
    uint64_t seed;
    uint64_t min_runs; /* Monte Carlo: the first batch (0: 1000) */
    uint64_t max_runs; /* the cap for undecided expectations (0: 256000) */
} fz_expect_opts;

/* What checking a scenario found. */
typedef struct fz_expect_result {
    fz_expect_verdict verdict;
    const char *method;  /* "one run", "exact", "exact + Monte Carlo", "Monte Carlo" */
    uint64_t runs;       /* runs simulated */
    char *message;       /* owned: each expectation's finding, "; "-separated (failures
                            first), e.g. `share "End via Success" >= 0.65: 0.62 [0.60, 0.64]
                            in 4000 runs`; free with fz_expect_result_fini() */
    uint64_t failed_run; /* a run that broke an every-run expectation, or UINT64_MAX */
    uint32_t passed, failed, undecided; /* expectations by verdict */
    uint64_t *node_runs; /* per graph node: runs that visited it, added to (caller
                            sizes; may be NULL) */
    uint64_t *edge_runs; /* per graph edge: runs that took it, added to (may be NULL) */
} fz_expect_result;

/* Checks expectations x of compiled scenario s over plan (to which s's
 * policies are applied). The caller sets res->node_runs/edge_runs (or NULL)
 * before; the runs are added to them. Returns 0 (the verdict in res) or an error
 * status (FZ_ENOMEM, an engine status). */
int fz_expect_check(const fz_plan *plan, const fz_scenario *s, const fz_expect *x,
                    const fz_expect_opts *o, fz_expect_result *res);
void fz_expect_result_fini(fz_expect_result *res);

/* Number of expectations in x (0 for NULL). */
uint32_t fz_expect_count(const fz_expect *x);

#endif
