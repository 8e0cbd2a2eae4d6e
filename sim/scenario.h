/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - fault scenarios for the simulator, read from YAML (libfyaml):
 * defaults, rules matched like bindings (engine/match.h), latency
 * distributions, P(no), P(error), timeouts, retries, decision weights, time
 * windows, lane outages and per-attempt scripts; several named scenarios in
 * one file (docs/sim.md has the format). Loading reports every error as a
 * diagnostic with the offset of the field in the file; compiling a scenario
 * against a graph resolves, once, what each node does, so the backend's hot
 * path never looks at a pattern.
 */
#ifndef FZ_SIM_SCENARIO_H
#define FZ_SIM_SCENARIO_H

#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "engine/engine.h"
#include "parser/graph.h"
#include "sim/dist.h"

typedef struct fz_scenario_file fz_scenario_file;

/* Parses a scenario file held in text (copied) named name for messages. On
 * return *out holds the file (even with errors, for printing; caller frees
 * with fz_scenario_file_free()). Returns 0, FZ_EPARSE when d->errors > 0,
 * or FZ_ENOMEM. */
int fz_scenario_parse(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                      fz_diags *d, fz_scenario_file **out);

/* Like fz_scenario_parse, reading path. Also FZ_ENOENT, FZ_EIO. */
int fz_scenario_load(const char *path, const fz_alloc *alloc, fz_diags *d,
                     fz_scenario_file **out);

void fz_scenario_file_free(fz_scenario_file *f);

/* The file's name and text (for printing diagnostics with a line map). */
const char *fz_scenario_file_name(const fz_scenario_file *f);
const char *fz_scenario_file_text(const fz_scenario_file *f, uint32_t *len);

/* Number of named scenarios (a file without `scenarios:` holds one named
 * "default"), the i-th name in file order, and the index of a name or
 * FZ_NONE. */
uint32_t fz_scenario_count(const fz_scenario_file *f);
const char *fz_scenario_name(const fz_scenario_file *f, uint32_t i);
uint32_t fz_scenario_find(const fz_scenario_file *f, const char *name);

/* The `expect:` of scenario i (sim/expect.h), or NULL when it has none. */
struct fz_expect;
const struct fz_expect *fz_scenario_expect(const fz_scenario_file *f, uint32_t i);

/* 1 and *seed when the file gives a top-level `seed:` (flowzap test's
 * default seed), else 0. */
int fz_scenario_seed(const fz_scenario_file *f, uint64_t *seed);

/*==========================================================================
 * Compiled scenarios: what each node of one graph does
 *========================================================================*/

/* What one attempt of a script returns. outcome is an explicit outcome
 * (edge label) or NULL; latency_set says latency replaces the rule's. */
typedef struct fz_sim_step {
    fz_answer answer;
    const char *outcome;
    uint8_t latency_set;
    fz_dist latency;
} fz_sim_step;

/* One weighted explicit outcome of a node; cum is the cumulative share
 * (the last one is 1). fault: the label reads as a negative answer or an
 * error (counted as an injected fault). */
typedef struct fz_sim_choice {
    const char *outcome;
    double cum;
    uint32_t edge; /* fz_engine_outcome_edge() of outcome: fz_result.outcome_edge */
    uint8_t fault;
} fz_sim_choice;

/* The behaviour of a node while [from_ns, until_ns) holds (virtual time
 * since the study's epoch). Plain data, read-only. */
typedef struct fz_sim_params {
    uint64_t from_ns, until_ns;
    fz_dist latency;
    double p_error;      /* P(error) */
    double p_no;         /* P(negative answer) */
    uint64_t timeout_ns; /* 0: none */
    const fz_sim_choice *choices; /* when OK: explicit outcomes by weight */
    uint32_t nchoices;
    const fz_sim_step *script; /* the node's k-th run in a run takes script[k-1] */
    uint32_t nscript;
    uint32_t rule; /* index of the rule in the scenario (own rules first), or FZ_NONE */
    uint8_t plain; /* no script, choices, faults or timeout: only a latency */
    uint8_t faults_only; /* not plain, but no script or timeout either */
} fz_sim_params;

typedef struct fz_sim_node {
    const fz_sim_params *params; /* windowed rules first; the last holds always */
    uint32_t nparams;
    uint32_t lane;
    uint8_t uniform; /* a decision no rule matched: its labels are picked uniformly */
} fz_sim_node;

/* A lane outage: every node of lane fails with answer while it lasts. */
typedef struct fz_sim_outage {
    uint32_t lane;
    uint64_t from_ns, until_ns;
    fz_answer answer;
} fz_sim_outage;

typedef struct fz_scenario {
    const char *name;         /* read-only */
    const fz_graph *graph;    /* read-only */
    fz_sim_node *nodes;       /* one per graph node */
    uint32_t nnodes;
    fz_sim_outage *outages;
    uint32_t noutages;
    fz_dist start;            /* when a run begins on the study's clock */
    fz_policy *policies;      /* per node: retries, backoff, timeout */
    uint8_t time_dependent;   /* windows, outages or a start distribution */
    uint8_t has_scripts;
    const fz_alloc *alloc;
    fz_arena arena;
} fz_scenario;

/* Compiles scenario index of f against g: resolves the rules each node
 * matches. A rule matching no node, a weight label no edge of a matched node
 * carries, and a decision left to uniform choice are warnings in d. Caller
 * frees with fz_scenario_free(). Returns 0, FZ_EINVAL (an error in d, such
 * as a rule's lane naming no lane), FZ_ENOMEM. */
int fz_scenario_compile(const fz_scenario_file *f, uint32_t index, const fz_graph *g,
                        const fz_alloc *alloc, fz_diags *d, fz_scenario **out);

void fz_scenario_free(fz_scenario *s);

/* The params of node that hold at virtual time t_ns. */
static inline const fz_sim_params *fz_scenario_params(const fz_scenario *s, uint32_t node,
                                                      uint64_t t_ns)
{
    const fz_sim_node *n = &s->nodes[node];
    const fz_sim_params *p = n->params;
    for (uint32_t i = 0; i + 1 < n->nparams; i++, p++)
        if (t_ns >= p->from_ns && t_ns < p->until_ns)
            return p;
    return &n->params[n->nparams - 1];
}

/* Parses a duration ("250ms", "1m30s", "2h", a bare number of seconds);
 * returns 0 and *ns, or FZ_EINVAL. */
int fz_scenario_duration(const char *s, size_t len, double *ns);

/* 1 when a label's first word is a no-word or an error-word
 * (SEMANTICS.md), i.e. choosing it reads as a fault. */
int fz_scenario_label_is_fault(const char *s, size_t len);

#endif
