/* SPDX-License-Identifier: MIT */
/*
 * real.h - the real backend: runs each task's bound handler (bind.h) for
 * real, on the monotonic clock, in one poll() loop: child processes (each in
 * its own process group, output captured, always reaped), HTTP transfers
 * (libcurl multi, in the same loop), timers (sleep, backoff delays,
 * timeouts, approval polls). Parallel tokens' tasks run concurrently.
 * SIGCHLD (and, when asked, SIGINT/SIGTERM) are caught while a backend
 * exists, so only one real backend may exist per process at a time.
 */
#ifndef FZ_REAL_REAL_H
#define FZ_REAL_REAL_H

#include <stdint.h>

#include "core/alloc.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "parser/graph.h"

typedef struct fz_real fz_real;

/* Where an `approval` gate's answer comes from (the journal implements it
 * over its database; `flowzap signal RUN NODE yes|no` writes the answer).
 * poll() returns 1 with *approved (1 yes, 0 no) once answered, 0 while
 * pending, or a negative FZ_E* (the step ends as an error). It is called
 * when the gate starts and then every approval_poll_ms.
 * The wake-up is optional (NULL: the gates only poll): while a gate waits,
 * the loop asks wake_fd() each round for a descriptor to poll for reading
 * (-1: none now), and calls drain() before polling and when it is
 * readable; drain() reads what came without blocking and returns 1 when
 * an answer for this run may have come: every waiting gate polls at once.
 * A hint that never comes costs nothing but the wait for the next poll. */
typedef struct fz_approvals {
    int (*poll)(void *ud, const char *run_id, const char *node_id, uint32_t task_id, int *approved);
    void *ud;
    int (*wake_fd)(void *ud);
    int (*drain)(void *ud);
} fz_approvals;

/* Steps run by another process (a worker of another lane, docs/scale.md
 * "Lanes as placement"): a task for which elsewhere() returns 1 is not run
 * here; its job waits, as an approval gate does (woken by the approvals'
 * wake-up, else every approval_poll_ms), until poll() finds its result:
 * poll() returns 1 after calling deliver(job, result) once, 0 while the
 * result has not come, or a negative FZ_E* (the step ends as an error). */
typedef struct fz_remote {
    int (*elsewhere)(void *ud, const fz_task *t);
    int (*poll)(void *ud, const fz_task *t, void (*deliver)(void *job, const fz_result *r),
                void *job);
    void *ud;
} fz_remote;

typedef struct fz_real_opts {
    const char *run_id;            /* FZ_RUN_ID for children, approvals; copied */
    int allow_unbound;             /* unbound nodes run as no-ops that log */
    int catch_signals;             /* SIGINT/SIGTERM interrupt the run (wait() returns FZ_EINTR) */
    const fz_approvals *approvals; /* NULL: approval gates end as errors */
    uint32_t approval_poll_ms;     /* 0: 200 */
    size_t output_cap;             /* bytes kept per stream and step; 0: 1 MiB */
    /* Progress messages (the `log` builtin, skipped unbound nodes,
     * approval prompts); NULL: dropped. */
    void (*log)(void *ud, const fz_task *t, const char *msg);
    void *log_ud;
    /* Called once a step's child runs, with its process group (the
     * journal records it, so that a resume can wait for what a killed run
     * left behind); NULL: not told. */
    void (*on_spawn)(void *ud, const fz_task *t, int pgid);
    void *spawn_ud;
    /* The run's secrets (engine/secret.h), or NULL: every result's output,
     * reason and outcome and every log message is masked before it leaves
     * the backend, and `::mask VALUE` lines add to it (so it is not const). */
    struct fz_secrets *secrets;
    /* Tasks run elsewhere, waited for here (NULL: every task runs here). */
    const fz_remote *remote;
} fz_real_opts;

/* Creates the backend for g bound by b (fz_bind_resolve() done; both must
 * outlive it). Caller frees with fz_real_free(). Returns 0, FZ_ENOMEM,
 * FZ_ESYS (pipes, signals), FZ_ESTATE (another real backend exists). */
int fz_real_new(const fz_graph *g, const fz_bind *b, const fz_real_opts *opts,
                const fz_alloc *alloc, fz_real **out);

/* Kills and reaps whatever still runs, restores signal handlers, frees. */
void fz_real_free(fz_real *r);

/* The fz_backend to pass to fz_engine_drive(); valid while r lives. */
const fz_backend *fz_real_backend(fz_real *r);

/* Interrupts the run from anywhere, signal handlers included: the next
 * wait() returns FZ_EINTR. Async-signal-safe. */
void fz_real_interrupt(fz_real *r);

/* 1 once interrupted (by a signal or fz_real_interrupt()). */
int fz_real_interrupted(const fz_real *r);

/* The monotonic clock in nanoseconds. */
uint64_t fz_real_clock(void);

#endif
