/* SPDX-License-Identifier: MIT */
/*
 * stepexec.h - a worker's steps of other runs (docs/scale.md, "Lanes as
 * placement"): a run's owner queues the steps of lanes it does not serve
 * (step_queue); a worker serving such a lane claims one (FOR UPDATE SKIP
 * LOCKED, a lease with its own epoch) and runs it in a process of its
 * own, which rebuilds the run by replay, runs that one step with the
 * run's handlers and records its finish fenced on the claim's epoch; the
 * owner, woken by NOTIFY, routes it. cli/cmd_worker.c calls these from
 * its loop.
 */
#ifndef FZ_CLI_STEPEXEC_H
#define FZ_CLI_STEPEXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "real/journal.h"

typedef struct fz_cli_step_slot {
    pid_t pid; /* the step's process, 0: a free slot */
    int64_t run, epoch;
    uint32_t task;
    double renewed; /* when its lease was last claimed or renewed */
} fz_cli_step_slot;

typedef struct fz_cli_steps {
    fz_cli_step_slot s[256];
    int max;  /* steps at once (the worker's --concurrency) */
    int busy; /* steps in hand */
    const char *loc, *me;
    double lease; /* seconds */
    double beat;  /* the last heartbeat */
} fz_cli_steps;

void fz_cli_steps_init(fz_cli_steps *ss, int max, const char *loc, const char *me, double lease);

/* Claims queued steps of lanes (comma-separated, NULL: every lane) while
 * a slot is free, each run by a forked process. Returns how many. */
int fz_cli_steps_claim(fz_cli_steps *ss, fz_journal *j, const char *lanes);

/* pid ended with wait status st: 1 when it was a step's process (its
 * slot freed; a step that was not recorded is left to its lease, or given
 * back at once when the process was interrupted), 2 when that process
 * refused its step (given back at once: the worker looks at the queue
 * again at its next poll, not at once, so that another worker of the
 * lane has as good a chance at it), else 0. */
int fz_cli_steps_reaped(fz_cli_steps *ss, fz_journal *j, pid_t pid, int st);

/* Every third of the lease: renews the steps' leases; a step whose lease
 * is lost, or could not be renewed for two thirds of it, is killed whole
 * (its process group and its handlers' groups). */
void fz_cli_steps_heartbeat(fz_cli_steps *ss, fz_journal *j);

/* The worker stops: each step's process is interrupted (its step is not
 * recorded) and waited for, and its lease given back. */
void fz_cli_steps_stop(fz_cli_steps *ss, fz_journal *j);

/* In a process the worker just forked (parent: the worker's pid): a
 * process group of its own, killed when the worker dies (it exits at once
 * if the worker already did), the worker's signal handlers back to their
 * defaults, as exec would set them. */
void fz_cli_worker_child(pid_t parent);

/* Kills process pid (a leader of its own process group) whole: frozen,
 * then the process groups of its children, then its own group. */
void fz_cli_kill_whole(pid_t pid);

#endif
