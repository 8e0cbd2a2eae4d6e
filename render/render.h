/* SPDX-License-Identifier: MIT */
/*
 * render.h - draws a workflow: one swimlane per lane, FlowZap shapes,
 * handles as ports, optional trace or heat overlay. The flow view is laid
 * out by layout.c and drawn by Graphviz (cgraph + gvc, engine "nop2"); the
 * sequence view is written directly as SVG (sequence.h). Output is
 * deterministic: the same graph and options give the same bytes.
 */
#ifndef FZ_RENDER_RENDER_H
#define FZ_RENDER_RENDER_H

#include <stddef.h>

#include "core/alloc.h"
#include "parser/graph.h"
#include "render/overlay.h"

typedef enum fz_render_format {
    FZ_RENDER_SVG,
    FZ_RENDER_PNG,
    FZ_RENDER_DOT, /* the DOT handed to Graphviz, positions included */
    FZ_RENDER_PDF, /* drawn by cairo, like PNG */
    FZ_RENDER_JSON, /* Graphviz's JSON of the drawn graph, positions included */
} fz_render_format;

typedef enum fz_render_view {
    FZ_VIEW_FLOW,
    FZ_VIEW_SEQUENCE,
} fz_render_view;

typedef struct fz_render_opts {
    fz_render_format format;
    int top_to_bottom; /* 0: lanes as rows, flow left to right (LR) */
    fz_render_view view;
    const fz_overlay *overlay; /* trace or heat; NULL for none */
} fz_render_opts;

/* Renders finished graph g. *out is an fz_alloc block of *len + 1 bytes
 * (NUL-terminated for text formats); caller frees with
 * fz_free(alloc, *out, *len + 1). Returns 0, FZ_ENOMEM, FZ_EINVAL (a view
 * and format that do not go together; err says why) or FZ_ERENDER
 * (Graphviz failed; err holds its message). */
int fz_render(const fz_graph *g, const fz_render_opts *o, const fz_alloc *alloc, char **out,
              size_t *len, char *err, size_t errsz);

/* Parses "svg", "png", "pdf", "dot" (or "gv"), "json" (-1 otherwise). */
int fz_render_format_parse(const char *s);

/* The format a path's extension names, case-insensitively (.svg .png .pdf
 * .dot .gv .json): the format, -1 when the path has no extension, -2 when
 * it has one flowzap cannot write. */
int fz_render_format_of_path(const char *path);

#endif
