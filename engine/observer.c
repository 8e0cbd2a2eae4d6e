/* SPDX-License-Identifier: MIT */
/*
 * observer.c - the observer tee (see observer.h). Each callback walks the
 * tee's observers in order; a tee of one is no tee at all (the observer is
 * handed over as it is), so a single observer costs nothing extra.
 */
#include "engine/observer.h"

#include <string.h>

#include "core/status.h"

static void tee_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_start)
            tee->to[i].on_start(tee->to[i].ud, t, t_ns);
}

static void tee_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_finish)
            tee->to[i].on_finish(tee->to[i].ud, t, r, t_ns);
}

static void tee_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_edge)
            tee->to[i].on_edge(tee->to[i].ud, edge, token, t_ns);
}

static void tee_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_loop)
            tee->to[i].on_loop(tee->to[i].ud, loop, token, count, t_ns);
}

static void tee_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_token_end)
            tee->to[i].on_token_end(tee->to[i].ud, token, node, t_ns);
}

static void tee_run_end(void *ud, fz_run_state state, const char *outcome, uint64_t t_ns)
{
    const fz_observer_tee *tee = ud;
    for (uint32_t i = 0; i < tee->n; i++)
        if (tee->to[i].on_run_end)
            tee->to[i].on_run_end(tee->to[i].ud, state, outcome, t_ns);
}

int fz_observer_tee_init(fz_observer_tee *tee, const fz_observer *const *obs, uint32_t n,
                         fz_observer *out)
{
    memset(out, 0, sizeof(*out));
    tee->n = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!obs[i])
            continue;
        if (tee->n == FZ_OBSERVER_TEE_MAX) {
            tee->n = 0;
            return FZ_EINVAL;
        }
        tee->to[tee->n++] = *obs[i];
    }
    if (tee->n == 0)
        return FZ_OK;
    if (tee->n == 1) {
        *out = tee->to[0];
        return FZ_OK;
    }
    for (uint32_t i = 0; i < tee->n; i++) {
        const fz_observer *o = &tee->to[i];
        if (o->on_start)
            out->on_start = tee_start;
        if (o->on_finish)
            out->on_finish = tee_finish;
        if (o->on_edge)
            out->on_edge = tee_edge;
        if (o->on_loop)
            out->on_loop = tee_loop;
        if (o->on_token_end)
            out->on_token_end = tee_token_end;
        if (o->on_run_end)
            out->on_run_end = tee_run_end;
    }
    out->ud = tee;
    return FZ_OK;
}
