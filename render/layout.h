/* SPDX-License-Identifier: MIT */
/*
 * layout.h - flowzap's own swimlane layout: ranks along the flow, one band
 * per lane, rows inside a band, and orthogonal edge routes that run only in
 * the gaps between rows and columns, so no edge crosses a node. Graphviz
 * then draws the positions chosen here (engine "nop2").
 *
 * Cost: O((N + E) log(N + E)) for N nodes and E edges; no crossing
 * minimisation search, which is what makes plain dot blow up on clustered
 * graphs of a thousand nodes. Coordinates are points, y grows downwards.
 */
#ifndef FZ_RENDER_LAYOUT_H
#define FZ_RENDER_LAYOUT_H

#include <stdint.h>

#include "core/alloc.h"

/* Sides use fz_dir values: 0 left, 1 right, 2 top, 3 bottom. */
/* Outlines, for ports spread along a side: a box (also rounded boxes and
 * records), a circle or ellipse, a diamond. */
enum { FZ_LAY_BOX = 0, FZ_LAY_ROUND = 1, FZ_LAY_DIAMOND = 2 };

typedef struct fz_lay_node {
    uint32_t lane; /* band index; FZ_NONE puts the node nowhere (skipped) */
    double w, h;   /* size in points */
    uint8_t shape; /* FZ_LAY_BOX, FZ_LAY_ROUND or FZ_LAY_DIAMOND */
} fz_lay_node;

typedef struct fz_lay_edge {
    uint32_t src, dst;
    uint8_t src_side, dst_side;
    uint8_t ranked; /* 1: the edge orders its ends (flow edges); 0: ignored for ranks */
    uint8_t back;   /* 1: draw it from the later end to the earlier (loop back-edges) */
    double lw, lh;  /* label size, 0 when unlabelled */
} fz_lay_edge;

typedef struct fz_lay_lane {
    double lw, lh; /* header label size */
} fz_lay_lane;

typedef struct fz_lay_out_node {
    double x, y; /* centre */
    uint32_t col, row;
    int placed;
} fz_lay_out_node;

typedef struct fz_lay_out_edge {
    uint32_t first, count; /* points (x, y pairs) in fz_layout.pts */
    double lx, ly;         /* label centre when labelled */
    double lw, lh;         /* label size (as given) */
    int placed;
    int swapped; /* a `back` edge drawn from dst to src */
} fz_lay_out_edge;

typedef struct fz_lay_out_lane {
    double x0, y0, x1, y1; /* band rectangle */
    double lx, ly;         /* header label centre */
} fz_lay_out_lane;

typedef struct fz_layout {
    const fz_alloc *alloc;
    fz_lay_out_node *nodes;
    fz_lay_out_edge *edges;
    fz_lay_out_lane *lanes;
    double *pts;
    uint32_t npts;
    uint32_t nnodes, nedges, nlanes;
    double width, height;
    uint32_t ranks; /* number of rank columns (LR) or rows (TB) */
} fz_layout;

/* Lays out nlanes bands, nnodes nodes and nedges edges; tb != 0 stacks the
 * flow top to bottom with lanes as columns. Fills *out; release with
 * fz_layout_fini(). Returns 0 or FZ_ENOMEM. */
int fz_layout_run(const fz_alloc *alloc, int tb, uint32_t nlanes, const fz_lay_lane *lanes,
                  uint32_t nnodes, const fz_lay_node *nodes, uint32_t nedges,
                  const fz_lay_edge *edges, fz_layout *out);

/* Frees what fz_layout_run() allocated; a zeroed layout is a no-op. */
void fz_layout_fini(fz_layout *l);

#endif
