/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the JSON-lines trace of one run (docs/formats.md "Trace"), as an
 * fz_observer: `flowzap run --trace` and `flowzap sim --run K --trace` set
 * it on their engine. Lines are written through jansson as events happen;
 * nothing here reads a clock (times come from the backend via the engine).
 */
#ifndef FZ_ENGINE_TRACE_H
#define FZ_ENGINE_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "core/alloc.h"
#include "engine/engine.h"
#include "engine/secret.h"
#include "parser/graph.h"

typedef struct fz_trace fz_trace;

/* What the first line (`"ev":"run"`) says about the run. Strings are
 * copied into the line at once and not kept. */
typedef struct fz_trace_opts {
    int64_t run;          /* run id (journal) or run index (sim); < 0: null */
    const char *workflow; /* path as the user gave it, or NULL (graph's path) */
    const char *hash;     /* content hash of the workflow, or NULL: omitted */
    uint8_t has_seed;     /* sim: write `seed` */
    uint8_t has_index;    /* sim: write `index` */
    uint64_t seed;
    uint64_t index;
    uint8_t has_t0; /* t0_ns is when the run began; else the first event's time */
    uint64_t t0_ns; /* backend clock at the run's start */
    uint8_t flush;  /* fflush after every line (real runs: a crash keeps the lines) */
    /* Masked in every string written (real runs; borrowed, may grow while
     * the trace lives), or NULL. */
    const fz_secrets *secrets;
} fz_trace_opts;

/* Creates a trace writing to out (borrowed, not closed) for runs over g
 * (borrowed, must outlive the trace) and writes the `run` line. backend is
 * "real" or "sim". Caller frees with fz_trace_free(). Returns 0, FZ_ENOMEM,
 * or FZ_EIO when the first line cannot be written. */
int fz_trace_new(FILE *out, const fz_graph *g, const char *backend, const fz_trace_opts *opts,
                 const fz_alloc *alloc, fz_trace **tr);
void fz_trace_free(fz_trace *tr);

/* Fills *obs with the trace's callbacks. To share one engine with other
 * observers (the journal's recorder, the progress log), join them with
 * fz_observer_tee_init (engine/observer.h). */
void fz_trace_observer(fz_trace *tr, fz_observer *obs);

/* 0 while every line was written, else FZ_EIO (or FZ_ENOMEM); writing stops
 * at the first failure. */
int fz_trace_status(const fz_trace *tr);

/* Lines written so far (the `run` line included). */
uint64_t fz_trace_lines(const fz_trace *tr);

#endif
