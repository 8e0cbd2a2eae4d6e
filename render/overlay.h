/* SPDX-License-Identifier: MIT */
/*
 * overlay.h - what a run's trace or a simulation's report adds to a
 * picture: visit counts, the path taken, visit shares and failure rates.
 * The two input formats are fixed in docs/formats.md; both are read with
 * jansson and checked against the workflow's node and edge ids.
 */
#ifndef FZ_RENDER_OVERLAY_H
#define FZ_RENDER_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "parser/graph.h"

typedef enum fz_overlay_kind {
    FZ_OVERLAY_TRACE,
    FZ_OVERLAY_HEAT,
} fz_overlay_kind;

/* Plain data, read-only for renderers. Arrays are indexed like the graph's
 * nodes and edges (edge i is the export's "e<i+1>"). */
typedef struct fz_overlay {
    fz_overlay_kind kind;
    const fz_alloc *alloc;
    uint32_t nnodes, nedges;
    uint64_t *node_visits; /* trace: `start` events; heat: `visits` */
    uint64_t *node_fails;  /* trace: `finish` answers no/error/timeout; heat: `failures` */
    uint64_t *node_runs;   /* heat: runs that visited the node */
    uint64_t *edge_count;  /* trace: `edge` events; heat: `traversals` */
    uint64_t *edge_runs;   /* heat: runs that took the edge */
    uint32_t *order;       /* trace: edge indices in the order tokens took them */
    uint32_t norder;
    uint32_t norder_cap; /* private */
    uint64_t runs;       /* heat: `runs`; trace: 1 */
    char state[32];      /* trace: `end.state`, "" when the run did not end */
    char outcome[96];    /* trace: `end.outcome` */
} fz_overlay;

/* Reads a trace (JSON lines) for workflow g from text; name is used in
 * messages. On error returns FZ_EPARSE (or FZ_ENOMEM) and writes
 * "name:LINE: what" into err. Caller frees *out with fz_overlay_free(). */
int fz_overlay_trace_mem(const fz_graph *g, const char *name, const char *text, size_t len,
                         const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz);

/* Reads a simulation report (JSON) for workflow g; errors as above. */
int fz_overlay_heat_mem(const fz_graph *g, const char *name, const char *text, size_t len,
                        const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz);

/* Reads the file at path and calls the _mem reader of kind. Also returns
 * FZ_ENOENT or FZ_EIO when the file cannot be read. */
int fz_overlay_load(const fz_graph *g, fz_overlay_kind kind, const char *path,
                    const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz);

/* Frees an overlay; NULL is a no-op. */
void fz_overlay_free(fz_overlay *o);

#endif
