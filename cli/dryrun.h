/* SPDX-License-Identifier: MIT */
/*
 * dryrun.h - `flowzap run --dry-run` (docs/run.md): what each step of a run
 * would execute, with answers from a scenario; executes nothing.
 */
#ifndef FZ_CLI_DRYRUN_H
#define FZ_CLI_DRYRUN_H

#include <stdint.h>

#include "real/bind.h"
#include "parser/graph.h"

typedef struct fz_dry_opts {
    const char *faults;   /* scenario file, or NULL: the empty scenario */
    const char *scenario; /* its scenario to use, or NULL: the first */
    uint64_t seed;
    const char *const *sets; /* --set KEY=VALUE */
    uint32_t nsets;
    const char *const *secrets; /* --secret NAME=ENV */
    uint32_t nsecrets;
    const char *const *starts; /* --start node ids */
    uint32_t nstarts;
    uint32_t max_steps;
    int ask; /* --ask: decisions read from stdin, prompts on stderr */
} fz_dry_opts;

/* Walks g with b's handlers and prints each step on stdout; returns an
 * exit status as run's (0 completed, 3 failed). */
int fz_cli_dry_run(const fz_graph *g, const fz_bind *b, const fz_dry_opts *o);

#endif
