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
    /* The clock read for a completion also stamps the first start that
     * follows it: nothing but engine work (nanoseconds) lies between the
     * two, and it saves an indirect call per step. A later start in the
     * same batch reads the clock again (a backend's start() takes time). */
    uint64_t now = 0;
    int have_now = 0;
    while (e->state == FZ_RUN_RUNNING) {
        while (fz__engine_next(e, &t)) {
            /* Reported before the backend starts it: a journal commits the
             * start before the handler can have any effect. */
            if (obs && obs->on_start) {
                if (timed && !have_now)
                    now = b->now(b->ud);
                obs->on_start(obs->ud, &t, now + t.delay_ns);
            }
            have_now = 0;
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
        now = timed ? b->now(b->ud) : 0;
        have_now = 1;
        rc = fz_engine_complete(e, id, &r, now);
        if (rc) {
            stop(e, b, fz_strerror(rc), now);
            return rc;
        }
    }
    if (e->in_flight && b->cancel_all)
        b->cancel_all(b->ud, e);
    return FZ_OK;
}
