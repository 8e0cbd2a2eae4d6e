/* SPDX-License-Identifier: MIT */
/*
 * runrequest.h - one run of a workflow with the real backend, as `flowzap
 * run` and `flowzap resume` ask for it. Both build a fz_run_request (run
 * from its command line, resume from the command line the journal
 * recorded, plus the run to continue) and hand it to fz_cli_run_workflow;
 * nothing else carries a request from one command to the other.
 */
#ifndef FZ_CLI_RUNREQUEST_H
#define FZ_CLI_RUNREQUEST_H

#include <stdint.h>

#include "cli/dryrun.h"
#include "cli/runjournal.h"

typedef struct fz_run_request {
    /* what runs */
    const char *file;     /* the workflow */
    const char *bindings; /* the bindings file (required) */
    const char **sets;    /* --set KEY=VALUE, nsets of them */
    uint32_t nsets;
    const char **secrets; /* --secret NAME=ENVVAR, nsecrets of them */
    uint32_t nsecrets;
    const char **starts; /* --start node ids, nstarts of them */
    uint32_t nstarts;
    uint32_t max_steps; /* 0: the plan's default */
    int allow_unbound;
    /* the journal */
    const char *db;        /* --db, or NULL */
    int no_journal;        /* --no-journal (moot for a resume) */
    fz_cli_resume *resume; /* the recorded run to continue, or NULL for a new run */
    int argc;              /* the command line as typed, recorded for resume */
    char **argv;
    /* output */
    const char *trace; /* --trace file, "-" for stdout, or NULL */
    int quiet;         /* -q: only the outcome line */
    /* --dry-run instead of a run */
    int dry_run;
    fz_dry_opts dry; /* --faults, --scenario, --seed, --ask */
} fz_run_request;

/* Fills req from run's command line (argv[0] is "run"): parses it with
 * run's option table and checks every value, printing what is wrong. The
 * recorded command line (req->argc, req->argv) is the one given. Returns
 * 0, -1 after printing --help, or an exit status. Free with
 * fz_cli_run_request_fini whatever it returned. */
int fz_cli_run_request_parse(int argc, char **argv, fz_run_request *req);

/* Frees what fz_cli_run_request_parse allocated (not req itself). */
void fz_cli_run_request_fini(fz_run_request *req);

/* Sets up and runs (or with dry_run, walks) the workflow req asks for, in
 * the order cli/runjournal.h describes; prints progress and the outcome.
 * Returns run's exit status. */
int fz_cli_run_workflow(const fz_run_request *req);

#endif
