/* SPDX-License-Identifier: MIT */
/*
 * drive.c - fz_engine_drive, the one loop every backend runs under: ready
 * tasks go to backend->start(), results from backend->wait() go back to the
 * engine. It adds two indirect calls per step to the engine's own cost and
 * reads the backend's clock only when an observer wants times.
 */
#include <stddef.h>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/engine_int.h"

static void stop(fz_engine *e, const fz_backend *b, const char *why, uint64_t t_ns)
{
    fz_engine_abort(e, why, t_ns);
    if (e->in_flight && b->cancel_all)
        b->cancel_all(b->ud, e);
}

int fz_engine_drive(fz_engine *e, const fz_backend *b)
{
    if (e->state != FZ_RUN_RUNNING)
        return e->state == FZ_RUN_IDLE ? FZ_ESTATE : FZ_OK;
    const fz_observer *obs = fz__engine_observer(e);
    int timed = obs != NULL && b->now != NULL;
    fz_task t;
    while (e->state == FZ_RUN_RUNNING) {
        while (fz__engine_next(e, &t)) {
            /* Reported before the backend starts it: a journal commits the
             * start before the handler can have any effect. */
            if (obs && obs->on_start)
                obs->on_start(obs->ud, &t, (timed ? b->now(b->ud) : 0) + t.delay_ns);
            int rc = b->start(b->ud, e, &t);
            if (rc) {
                stop(e, b, fz_strerror(rc), timed ? b->now(b->ud) : 0);
                return rc;
            }
        }
        if (e->in_flight == 0) {
            /* Running with nothing ready and nothing started cannot happen;
             * end defensively rather than wait forever. */
            stop(e, b, "internal error: no task left to run", timed ? b->now(b->ud) : 0);
            return FZ_ESTATE;
        }
        uint32_t id = 0;
        fz_result r = {.answer = FZ_ANSWER_OK};
        int rc = b->wait(b->ud, e, &id, &r);
        if (rc) {
            stop(e, b, rc == FZ_EINTR ? "interrupted" : fz_strerror(rc), timed ? b->now(b->ud) : 0);
            return rc;
        }
        rc = fz_engine_complete(e, id, &r, timed ? b->now(b->ud) : 0);
        if (rc) {
            stop(e, b, fz_strerror(rc), timed ? b->now(b->ud) : 0);
            return rc;
        }
    }
    if (e->in_flight && b->cancel_all)
        b->cancel_all(b->ud, e);
    return FZ_OK;
}
