/* SPDX-License-Identifier: MIT */
/*
 * sequence.h - FlowZap's sequence view: lanes as lifelines across the top,
 * cross-lane edges as messages from top to bottom (causal order: a
 * breadth-first walk from the start nodes; or the order a run took them
 * when a trace is given), same-lane edges as notes. Drawn
 * directly as SVG: Graphviz has no layout for this.
 */
#ifndef FZ_RENDER_SEQUENCE_H
#define FZ_RENDER_SEQUENCE_H

#include <stddef.h>

#include "core/alloc.h"
#include "parser/graph.h"
#include "render/overlay.h"

/* Writes the sequence view of g as SVG. ov may be NULL; a trace orders the
 * messages. *out is an fz_alloc block of *len + 1 bytes; caller frees with
 * fz_free(alloc, *out, *len + 1). Returns 0 or FZ_ENOMEM. */
int fz_sequence_svg(const fz_graph *g, const fz_overlay *ov, const fz_alloc *alloc, char **out,
                    size_t *len);

#endif
