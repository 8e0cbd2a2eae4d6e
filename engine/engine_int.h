/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h - what the engine's sibling files (drive.c) share with
 * engine.c beyond the public contract. Not for other modules.
 */
#ifndef FZ_ENGINE_ENGINE_INT_H
#define FZ_ENGINE_ENGINE_INT_H

#include "engine/engine.h"

/* The observer set on e, or NULL when none is set. */
const fz_observer *fz__engine_observer(const fz_engine *e);

#endif
