/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what executes tasks for the engine. The real backend runs
 * commands, HTTP calls and builtins on a wall clock; the simulator's backend
 * samples results on a virtual clock. fz_engine_drive() is the one loop both
 * use, so routing never depends on which backend runs a node.
 */
#ifndef FZ_ENGINE_BACKEND_H
#define FZ_ENGINE_BACKEND_H

#include <stdint.h>

#include "engine/engine.h"

typedef struct fz_backend {
    const char *name;
    /* The backend's clock in nanoseconds (monotonic, or virtual). */
    uint64_t (*now)(void *ud);
    /* Begins task t (after t->delay_ns). Its result comes from wait(). */
    int (*start)(void *ud, fz_engine *e, const fz_task *t);
    /* Blocks until a started task finishes; fills *task_id and *r, whose
     * strings stay valid until the next wait(). Returns 0, FZ_EINTR when the
     * run is interrupted (Ctrl-C), or another FZ_E* status. */
    int (*wait)(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r);
    /* Abandons every started task (the run ended or was interrupted). */
    void (*cancel_all)(void *ud, fz_engine *e);
    void *ud;
    /* Optional (NULL: not provided). start() then wait() in one call, for
     * when t is the only task of the run (none other ready or in flight):
     * must behave exactly as start(t) followed by wait() would, returning
     * wait()'s task id and result (fz_engine_drive hands over a zeroed
     * result with answer ok). A single-token run then makes no queue round
     * trip per step. Without an observer the engine runs a lone token's
     * plain steps in a chain whose task table and counters it brings up to
     * date only when the chain ends: start_wait may pass e on to start()
     * but must not read the run's tasks or counters through it. */
    int (*start_wait)(void *ud, fz_engine *e, const fz_task *t, uint32_t *task_id, fz_result *r);
} fz_backend;

/* Runs e (already started) to its end with backend b: hands every ready task
 * to b->start(), feeds b->wait() results to fz_engine_complete(). Returns 0
 * when the run ended (completed or failed: see fz_engine_state), FZ_EINTR
 * when interrupted (the run is then failed as "interrupted"), or an error. */
int fz_engine_drive(fz_engine *e, const fz_backend *b);

#endif
