/* SPDX-License-Identifier: MIT */
/*
 * observer.h - one engine observer made of several: the tee. A run that is
 * journalled, logged and traced has three observers (the journal's
 * recorder, the progress log, the trace) and the engine takes one; the tee
 * passes each event to every one of them in the order given, so none of
 * them forwards events it does not use.
 */
#ifndef FZ_ENGINE_OBSERVER_H
#define FZ_ENGINE_OBSERVER_H

#include <stdint.h>

#include "engine/engine.h"

/* The most observers one tee holds. */
#define FZ_OBSERVER_TEE_MAX 4

/* Caller-owned storage of a tee (read-only: set by fz_observer_tee_init). */
typedef struct fz_observer_tee {
    fz_observer to[FZ_OBSERVER_TEE_MAX];
    uint32_t n;
} fz_observer_tee;

/* Fills *out with an observer that passes every event to obs[0], obs[1],
 * ... obs[n-1] in that order. A NULL entry, and a NULL callback of an
 * entry, are skipped; a callback no entry has stays NULL in *out, so the
 * engine does not call it. The observers are copied into tee, which must
 * stay where it is while *out is in use. With one observer (after the NULL
 * entries are skipped) *out is a copy of it and tee is not used; with none,
 * *out has no callback. Returns 0, or FZ_EINVAL (and an empty *out) when
 * more than FZ_OBSERVER_TEE_MAX entries are not NULL. */
int fz_observer_tee_init(fz_observer_tee *tee, const fz_observer *const *obs, uint32_t n,
                         fz_observer *out);

#endif
