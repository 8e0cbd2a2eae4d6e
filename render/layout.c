/* SPDX-License-Identifier: MIT */
/*
 * layout.c - the swimlane layout of layout.h.
 *
 * 1. Ranks: a DFS in node order marks back edges; the rest is a DAG whose
 *    longest-path layering gives each node a rank (its column in LR).
 *    Sources are pulled next to their first successor.
 * 2. Rows: inside its lane a node takes its same-lane predecessor's row when
 *    that cell is free, else the lowest free row; lanes stack in file order.
 * 3. Routes: every edge leaves its port into the gap beside it and travels
 *    on gap lines only (never through a cell), so no edge crosses a node.
 *    Segments sharing a gap get separate tracks (greedy interval colouring).
 * 4. Gap sizes follow the tracks and labels they hold; coordinates follow.
 *
 * fz_layout_run() is one function per phase over a context (ctx) that
 * holds every table: layout_alloc, compute_ranks, assign_rows,
 * place_on_grid, orient_back_edges, route_edges (with spread_ports),
 * assign_tracks, size_cells_and_gaps, place_coordinates,
 * write_route_points, place_labels; layout_ctx_fini frees them.
 */
#include "render/layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

#define LAY_NONE UINT32_MAX
#define MARGIN 8.0
#define TRACK 8.0
#define MINSTUB 14.0

enum { SIDE_W = 0, SIDE_E = 1, SIDE_N = 2, SIDE_S = 3 };

/*==========================================================================
 * A small open-addressing set of (a, b, c) cells
 *========================================================================*/

typedef struct cell_set {
    uint32_t *keys; /* 3 per slot; a == LAY_NONE marks empty */
    uint32_t cap;   /* power of two */
    const fz_alloc *alloc;
} cell_set;

static int cells_init(cell_set *s, const fz_alloc *a, uint32_t n)
{
    uint32_t cap = 64;
    while (cap < n * 2 + 16)
        cap <<= 1;
    s->alloc = a;
    s->cap = cap;
    s->keys = fz_malloc(a, (size_t)cap * 3 * sizeof(uint32_t));
    if (!s->keys)
        return FZ_ENOMEM;
    memset(s->keys, 0xff, (size_t)cap * 3 * sizeof(uint32_t));
    return FZ_OK;
}

static void cells_fini(cell_set *s)
{
    if (s->keys)
        fz_free(s->alloc, s->keys, (size_t)s->cap * 3 * sizeof(uint32_t));
    s->keys = NULL;
}

static uint32_t cells_hash(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)b * 0xC2B2AE3D27D4EB4Full + (h >> 29);
    h ^= (uint64_t)c * 0x165667B19E3779F9ull + (h >> 31);
    return (uint32_t)(h ^ (h >> 32));
}

/* 1 if present; with add, inserts it (the set never fills: cap >= 2n). */
static int cells_probe(cell_set *s, uint32_t a, uint32_t b, uint32_t c, int add)
{
    uint32_t i = cells_hash(a, b, c) & (s->cap - 1);
    for (;;) {
        uint32_t *k = s->keys + (size_t)i * 3;
        if (k[0] == LAY_NONE) {
            if (add) {
                k[0] = a;
                k[1] = b;
                k[2] = c;
            }
            return 0;
        }
        if (k[0] == a && k[1] == b && k[2] == c)
            return 1;
        i = (i + 1) & (s->cap - 1);
    }
}

/*==========================================================================
 * Routes as lines: a route alternates horizontal and vertical segments;
 * each segment lies on a line that is a node's centre line or a gap line.
 *========================================================================*/

enum { AX_Y = 0, AX_X = 1 }; /* AX_Y: a horizontal segment (constant y) */
enum { LN_NODE = 0, LN_GAP = 1 };

typedef struct line {
    uint8_t axis, kind;
    uint32_t idx;   /* node index or gap index */
    uint32_t track; /* for gap lines */
} line;

typedef struct seg {
    uint8_t axis;
    uint8_t cls;              /* turns at its ends: 0 both low, 1 low-high, 2 high-low, 3 both high */
    uint32_t gap, lo, hi, at; /* at: index into lines */
    int64_t key;              /* order across the gap within its class */
} seg;

typedef struct lab_item lab_item;

typedef struct ctx {
    const fz_alloc *a;
    int tb;
    uint32_t nnodes, nedges, nlanes;
    const fz_lay_node *in_n;
    const fz_lay_edge *in_e; /* the input, then `oriented` (orient_back_edges) */
    fz_layout *out;
    /* Ranks and rows (compute_ranks, assign_rows). */
    uint32_t *rank, *row_in_lane;
    uint32_t *lane_rows; /* rows a lane needs (LR; columns in TB), 1 at least */
    cell_set cells;      /* taken cells, and rows taken per lane */
    /* The grid (place_on_grid): a lane's rows are consecutive slots. */
    uint32_t *lane_first_slot; /* per lane */
    uint32_t *slot_lane;       /* per slot */
    uint32_t nslots;
    uint32_t *col, *row; /* per node: its cell */
    uint32_t ncols, nrows;
    fz_lay_edge *oriented; /* the edges, back edges turned round */
    /* Routes (route_edges): e_count lines from e_first per edge. */
    line *lines;
    uint32_t nlines, cap_lines;
    uint32_t *e_first, *e_count;
    uint8_t *e_dside;    /* target side actually used */
    double *soff, *doff; /* port offsets along the source / target side */
    uint8_t *lab_dst;    /* 1: the label sits by the target port */
    /* Tracks (assign_tracks): how many each gap between columns (rows) holds. */
    seg *segs;
    uint32_t nsegs_cap;
    uint32_t *col_gap_tracks, *row_gap_tracks;
    /* Sizes (size_cells_and_gaps). */
    double *col_width, *row_height;
    double *col_gap_width, *row_gap_height;
    double *col_gap_label_room, *row_gap_label_room; /* what labels ask of a gap */
    double *label_stack; /* per node side (node * 4 + side): labels stacked there */
    /* Coordinates (place_coordinates): centres of columns, rows and gaps,
     * and where each gap starts. */
    double *col_x, *row_y;
    double *col_gap_mid, *row_gap_mid;
    double *col_gap_start, *row_gap_start;
    /* Labels to place (write_route_points, place_labels). */
    lab_item *labels;
    uint32_t nlabels;
} ctx;

static int push_line(ctx *c, uint8_t axis, uint8_t kind, uint32_t idx)
{
    if (c->nlines == c->cap_lines) {
        uint32_t nc = c->cap_lines ? c->cap_lines * 2 : 256;
        line *nl = fz_realloc(c->a, c->lines, (size_t)c->cap_lines * sizeof(line),
                              (size_t)nc * sizeof(line));
        if (!nl)
            return FZ_ENOMEM;
        c->lines = nl;
        c->cap_lines = nc;
    }
    line *l = &c->lines[c->nlines++];
    l->axis = axis;
    l->kind = kind;
    l->idx = idx;
    l->track = 0;
    return FZ_OK;
}

/* The gap line an endpoint escapes to, and its stub line (the centre line). */
static void escape(const ctx *c, uint32_t v, int side, line *stub, line *gap)
{
    stub->kind = LN_NODE;
    stub->idx = v;
    stub->track = 0;
    gap->kind = LN_GAP;
    gap->track = 0;
    switch (side) {
    case SIDE_E:
        stub->axis = AX_Y;
        gap->axis = AX_X;
        gap->idx = c->col[v] + 1;
        break;
    case SIDE_W:
        stub->axis = AX_Y;
        gap->axis = AX_X;
        gap->idx = c->col[v];
        break;
    case SIDE_N:
        stub->axis = AX_X;
        gap->axis = AX_Y;
        gap->idx = c->row[v];
        break;
    default:
        stub->axis = AX_X;
        gap->axis = AX_Y;
        gap->idx = c->row[v] + 1;
        break;
    }
}

/* 1 when the cells strictly between two nodes on one row (or column) are empty. */
static int clear_between(cell_set *cells, int horizontal, uint32_t fixed, uint32_t from,
                         uint32_t to)
{
    uint32_t lo = from < to ? from : to, hi = from < to ? to : from;
    for (uint32_t k = lo + 1; k < hi; k++)
        if (horizontal ? cells_probe(cells, 1, k, fixed, 0) : cells_probe(cells, 1, fixed, k, 0))
            return 0;
    return 1;
}

static int route_edge(ctx *c, cell_set *cells, uint32_t e)
{
    const fz_lay_edge *ed = &c->in_e[e];
    uint32_t s = ed->src, t = ed->dst;
    int ss = ed->src_side & 3, ts = ed->dst_side & 3;
    if (s == t && ss == ts)
        ts = (ss == SIDE_E || ss == SIDE_W) ? SIDE_S : SIDE_E;
    c->e_dside[e] = (uint8_t)ts;
    c->e_first[e] = c->nlines;
    int rc;

    /* A straight line when the ports face each other across empty cells. */
    if (((ss == SIDE_E && ts == SIDE_W && c->col[s] < c->col[t]) ||
         (ss == SIDE_W && ts == SIDE_E && c->col[s] > c->col[t])) &&
        c->row[s] == c->row[t] && clear_between(cells, 1, c->row[s], c->col[s], c->col[t])) {
        rc = push_line(c, AX_Y, LN_NODE, s);
        c->e_count[e] = 1;
        return rc;
    }
    if (((ss == SIDE_S && ts == SIDE_N && c->row[s] < c->row[t]) ||
         (ss == SIDE_N && ts == SIDE_S && c->row[s] > c->row[t])) &&
        c->col[s] == c->col[t] && clear_between(cells, 0, c->col[s], c->row[s], c->row[t])) {
        rc = push_line(c, AX_X, LN_NODE, s);
        c->e_count[e] = 1;
        return rc;
    }

    line s_stub, s_gap, t_stub, t_gap;
    escape(c, s, ss, &s_stub, &s_gap);
    escape(c, t, ts, &t_stub, &t_gap);
    if ((rc = push_line(c, s_stub.axis, s_stub.kind, s_stub.idx)) ||
        (rc = push_line(c, s_gap.axis, s_gap.kind, s_gap.idx)))
        return rc;
    if (s_gap.axis == t_gap.axis) {
        if (s_gap.idx != t_gap.idx) {
            uint32_t k;
            if (s_gap.axis == AX_X) {
                uint32_t rs = c->row[s], rt = c->row[t];
                k = rt > rs ? rt : (rt < rs ? rt + 1 : rs + 1);
                rc = push_line(c, AX_Y, LN_GAP, k);
            } else {
                uint32_t cs = c->col[s], ct = c->col[t];
                k = ct > cs ? ct : (ct < cs ? ct + 1 : cs + 1);
                rc = push_line(c, AX_X, LN_GAP, k);
            }
            if (rc || (rc = push_line(c, t_gap.axis, t_gap.kind, t_gap.idx)))
                return rc;
        }
    } else if ((rc = push_line(c, t_gap.axis, t_gap.kind, t_gap.idx))) {
        return rc;
    }
    rc = push_line(c, t_stub.axis, t_stub.kind, t_stub.idx);
    c->e_count[e] = c->nlines - c->e_first[e];
    return rc;
}

/* Abstract position of a line across its perpendicular: node centre lines
 * sit at odd positions, gaps at even ones. */
static uint32_t abstract_pos(const ctx *c, const line *l)
{
    if (l->kind == LN_GAP)
        return 2 * l->idx;
    return l->axis == AX_X ? 2 * c->col[l->idx] + 1 : 2 * c->row[l->idx] + 1;
}

/* Segments of one gap, in the order their tracks should have across it
 * (left to right, top to bottom): see assign_tracks(). */
static int seg_cmp(const void *pa, const void *pb)
{
    const seg *a = pa, *b = pb;
    if (a->axis != b->axis)
        return a->axis < b->axis ? -1 : 1;
    if (a->gap != b->gap)
        return a->gap < b->gap ? -1 : 1;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->at < b->at ? -1 : (a->at > b->at);
}

/* Where the route goes on from a gap segment's end next to line nb (the
 * line before or after it, dir -1 or +1): towards lower positions across
 * the gap (0) or higher ones (1). */
static int turn_side(const ctx *c, uint32_t first, uint32_t last, uint32_t nb, int dir,
                     uint32_t gappos)
{
    uint32_t pos;
    const line *l = &c->lines[nb];
    if (nb == first || nb == last) /* a stub: the route goes on into its node */
        pos = c->lines[nb].axis == AX_Y ? 2 * c->col[l->idx] + 1 : 2 * c->row[l->idx] + 1;
    else
        pos = abstract_pos(c, &c->lines[dir < 0 ? nb - 1 : nb + 1]);
    return pos > gappos;
}

/* Offset of track t of ntr from its gap's centre line: tracks in order
 * across the gap, TRACK apart, never on the centre line (lane borders). */
static double track_off(uint32_t t, uint32_t ntr)
{
    double o = ((double)t - (double)(ntr - 1) / 2.0) * TRACK;
    if (ntr % 2 == 1)
        o += TRACK / 2;
    return o;
}

/*==========================================================================
 * Ranks
 *========================================================================*/

static int compute_ranks(ctx *c)
{
    const fz_alloc *a = c->a;
    uint32_t n = c->nnodes, m = c->nedges;
    int rc = FZ_ENOMEM;
    uint32_t *oidx = fz_calloc(a, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *oed = fz_calloc(a, (size_t)m + 1, sizeof(uint32_t));
    uint32_t *indeg = fz_calloc(a, (size_t)n + 1, sizeof(uint32_t));
    uint8_t *state = fz_calloc(a, (size_t)n + 1, 1);
    uint8_t *back = fz_calloc(a, (size_t)m + 1, 1);
    uint32_t *stack = fz_calloc(a, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *pos = fz_calloc(a, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *order = fz_calloc(a, (size_t)n + 1, sizeof(uint32_t));
    uint8_t *source = fz_calloc(a, (size_t)n + 1, 1);
    if (!oidx || !oed || !indeg || !state || !back || !stack || !pos || !order || !source)
        goto out;

    /* CSR of ranked edges between placed nodes. */
    for (uint32_t e = 0; e < m; e++) {
        const fz_lay_edge *ed = &c->in_e[e];
        if (ed->ranked && ed->src < n && ed->dst < n && ed->src != ed->dst &&
            c->in_n[ed->src].lane < c->nlanes && c->in_n[ed->dst].lane < c->nlanes)
            oidx[ed->src + 1]++;
    }
    for (uint32_t v = 0; v < n; v++)
        oidx[v + 1] += oidx[v];
    for (uint32_t v = 0; v <= n; v++)
        pos[v] = oidx[v];
    for (uint32_t e = 0; e < m; e++) {
        const fz_lay_edge *ed = &c->in_e[e];
        if (ed->ranked && ed->src < n && ed->dst < n && ed->src != ed->dst &&
            c->in_n[ed->src].lane < c->nlanes && c->in_n[ed->dst].lane < c->nlanes) {
            oed[pos[ed->src]++] = e;
            indeg[ed->dst]++;
        }
    }

    /* Iterative DFS: roots are sources in node order, then the rest. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t r = 0; r < n; r++) {
            if (state[r] || (pass == 0 && indeg[r] != 0))
                continue;
            uint32_t sp = 0;
            stack[sp++] = r;
            state[r] = 1;
            pos[r] = oidx[r];
            while (sp) {
                uint32_t v = stack[sp - 1];
                if (pos[v] < oidx[v + 1]) {
                    uint32_t e = oed[pos[v]++];
                    uint32_t w = c->in_e[e].dst;
                    if (state[w] == 1)
                        back[e] = 1;
                    else if (state[w] == 0) {
                        state[w] = 1;
                        pos[w] = oidx[w];
                        stack[sp++] = w;
                    }
                } else {
                    state[v] = 2;
                    sp--;
                }
            }
        }
    }

    /* Longest path over the DAG (Kahn, FIFO in node order). */
    memset(indeg, 0, (size_t)n * sizeof(uint32_t));
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t k = oidx[v]; k < oidx[v + 1]; k++)
            if (!back[oed[k]])
                indeg[c->in_e[oed[k]].dst]++;
    uint32_t head = 0, tail = 0;
    for (uint32_t v = 0; v < n; v++) {
        c->rank[v] = 0;
        source[v] = indeg[v] == 0;
        if (indeg[v] == 0)
            order[tail++] = v;
    }
    while (head < tail) {
        uint32_t v = order[head++];
        for (uint32_t k = oidx[v]; k < oidx[v + 1]; k++) {
            uint32_t e = oed[k];
            if (back[e])
                continue;
            uint32_t w = c->in_e[e].dst;
            if (c->rank[w] < c->rank[v] + 1)
                c->rank[w] = c->rank[v] + 1;
            if (--indeg[w] == 0)
                order[tail++] = w;
        }
    }

    /* Pull each source next to its nearest successor. */
    for (uint32_t i = tail; i-- > 0;) {
        uint32_t v = order[i];
        if (!source[v] || oidx[v] == oidx[v + 1])
            continue;
        uint32_t best = UINT32_MAX;
        for (uint32_t k = oidx[v]; k < oidx[v + 1]; k++)
            if (!back[oed[k]] && c->rank[c->in_e[oed[k]].dst] < best)
                best = c->rank[c->in_e[oed[k]].dst];
        if (best != UINT32_MAX && best > 0)
            c->rank[v] = best - 1;
    }
    rc = FZ_OK;
out:
    fz_free(a, oidx, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(a, oed, ((size_t)m + 1) * sizeof(uint32_t));
    fz_free(a, indeg, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(a, state, (size_t)n + 1);
    fz_free(a, back, (size_t)m + 1);
    fz_free(a, stack, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(a, pos, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(a, order, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(a, source, (size_t)n + 1);
    return rc;
}

/*==========================================================================
 * Rows inside lanes
 *========================================================================*/

static const ctx *sort_ctx; /* qsort has no user pointer in C11 */
static const uint8_t *sort_pref;

static int node_order_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    const ctx *c = sort_ctx;
    uint32_t la = c->in_n[a].lane, lb = c->in_n[b].lane;
    if (la != lb)
        return la < lb ? -1 : 1;
    if (c->rank[a] != c->rank[b])
        return c->rank[a] < c->rank[b] ? -1 : 1;
    if (sort_pref[a] != sort_pref[b]) /* nodes entered sideways keep the row first */
        return sort_pref[a] > sort_pref[b] ? -1 : 1;
    return a < b ? -1 : (a > b);
}

static int assign_rows(ctx *c, cell_set *cells, uint32_t *lane_rows)
{
    uint32_t n = c->nnodes, m = c->nedges;
    int rc = FZ_ENOMEM;
    uint32_t *ord = fz_malloc(c->a, ((size_t)n + 1) * sizeof(uint32_t));
    uint32_t *iidx = fz_calloc(c->a, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *ied = fz_calloc(c->a, (size_t)m + 1, sizeof(uint32_t));
    uint32_t *fill = fz_calloc(c->a, (size_t)n + 1, sizeof(uint32_t));
    uint8_t *pref = fz_calloc(c->a, (size_t)n + 1, 1);
    if (!ord || !iidx || !ied || !fill || !pref)
        goto out;
    for (uint32_t e = 0; e < m; e++) {
        const fz_lay_edge *ed = &c->in_e[e];
        if (ed->ranked && ed->src < n && ed->dst < n && ed->src != ed->dst &&
            c->in_n[ed->src].lane == c->in_n[ed->dst].lane && (ed->src_side & 3) <= 1 &&
            (ed->dst_side & 3) <= 1)
            pref[ed->dst] = 1;
    }
    for (uint32_t e = 0; e < m; e++)
        if (c->in_e[e].dst < n && c->in_e[e].src < n)
            iidx[c->in_e[e].dst + 1]++;
    for (uint32_t v = 0; v < n; v++)
        iidx[v + 1] += iidx[v];
    for (uint32_t e = 0; e < m; e++)
        if (c->in_e[e].dst < n && c->in_e[e].src < n) {
            uint32_t d = c->in_e[e].dst;
            ied[iidx[d] + fill[d]++] = e;
        }

    uint32_t k = 0;
    for (uint32_t v = 0; v < n; v++)
        if (c->in_n[v].lane < c->nlanes)
            ord[k++] = v;
    sort_ctx = c;
    sort_pref = pref;
    qsort(ord, k, sizeof(uint32_t), node_order_cmp);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = ord[i], lane = c->in_n[v].lane, r = c->rank[v], row = LAY_NONE;
        uint32_t near = LAY_NONE; /* first preferred row, for the nearest-free search */
        for (uint32_t j = iidx[v]; j < iidx[v + 1] && row == LAY_NONE; j++) {
            const fz_lay_edge *ed = &c->in_e[ied[j]];
            uint32_t u = ed->src;
            if (!ed->ranked || u == v || c->in_n[u].lane != lane || c->row_in_lane[u] == LAY_NONE)
                continue;
            /* Keep the row across a sideways hand-off; go below (above) it
             * when the edge leaves the bottom (top) of its source. */
            uint32_t want = c->row_in_lane[u];
            if ((ed->src_side & 3) == 3)
                want++;
            else if ((ed->src_side & 3) == 2 && want > 0)
                want--;
            if (near == LAY_NONE)
                near = want;
            if (!cells_probe(cells, lane + 2, want, r, 0))
                row = want;
        }
        if (row == LAY_NONE && near != LAY_NONE) /* below the wanted row, else above */
            for (uint32_t q = near + 1; row == LAY_NONE && q <= near + 64; q++)
                if (!cells_probe(cells, lane + 2, q, r, 0))
                    row = q;
        if (row == LAY_NONE)
            for (row = 0; cells_probe(cells, lane + 2, row, r, 0); row++)
                ;
        cells_probe(cells, lane + 2, row, r, 1);
        c->row_in_lane[v] = row;
        if (row + 1 > lane_rows[lane])
            lane_rows[lane] = row + 1;
    }
    rc = FZ_OK;
out:
    fz_free(c->a, ord, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(c->a, iidx, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(c->a, ied, ((size_t)m + 1) * sizeof(uint32_t));
    fz_free(c->a, fill, ((size_t)n + 1) * sizeof(uint32_t));
    fz_free(c->a, pref, (size_t)n + 1);
    return rc;
}

/*==========================================================================
 * Ports spread along a side
 *========================================================================*/

typedef struct port_end {
    uint32_t node, e;
    uint32_t k1, k2; /* the other end's position along the side's axis */
    uint8_t side, is_dst, labelled;
} port_end;

static int port_end_cmp(const void *pa, const void *pb)
{
    const port_end *a = pa, *b = pb;
    if (a->node != b->node)
        return a->node < b->node ? -1 : 1;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    if (a->k1 != b->k1)
        return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2)
        return a->k2 < b->k2 ? -1 : 1;
    if (a->e != b->e)
        return a->e < b->e ? -1 : 1;
    return a->is_dst < b->is_dst ? -1 : (a->is_dst > b->is_dst);
}

/* Room along a side for spread ports: clear of a box's rounded corners,
 * inside the middle of a circle's or a diamond's side. */
static double side_room(const fz_lay_node *n, int side)
{
    double len = side == SIDE_E || side == SIDE_W ? n->h : n->w;
    switch (n->shape) {
    case FZ_LAY_ROUND:
        return 0.6 * len;
    case FZ_LAY_DIAMOND:
        return 0.4 * len;
    default:
        return len - 14 > 0 ? len - 14 : 0;
    }
}

#define SPREAD 12.0

/* Every edge end that shares a side of a node with others gets its own
 * point on that side, ordered by where the other end lies (the edge that
 * goes highest leaves from the top of a right side), SPREAD points apart
 * or closer when the side is short. A label goes by its source port, or by
 * its target port when several labelled edges leave that source side and
 * the target side has no other label. */
static int spread_ports(ctx *c, const fz_lay_out_edge *oe)
{
    uint32_t m = c->nedges, k = 0;
    port_end *pe = fz_malloc(c->a, ((size_t)m * 2 + 1) * sizeof(port_end));
    uint32_t *grp_lab = fz_calloc(c->a, (size_t)m * 2 + 1, sizeof(uint32_t));
    if (!pe || !grp_lab) {
        fz_free(c->a, pe, ((size_t)m * 2 + 1) * sizeof(port_end));
        fz_free(c->a, grp_lab, ((size_t)m * 2 + 1) * sizeof(uint32_t));
        return FZ_ENOMEM;
    }
    for (uint32_t e = 0; e < m; e++) {
        c->soff[e] = c->doff[e] = 0;
        c->lab_dst[e] = 0;
        if (!oe[e].placed)
            continue;
        const fz_lay_edge *ed = &c->in_e[e];
        for (int d = 0; d < 2; d++) {
            port_end *x = &pe[k++];
            uint32_t v = d ? ed->dst : ed->src, u = d ? ed->src : ed->dst;
            x->node = v;
            x->e = e;
            x->is_dst = (uint8_t)d;
            x->side = d ? c->e_dside[e] : (uint8_t)(ed->src_side & 3);
            x->labelled = ed->lw > 0;
            int along_y = x->side == SIDE_E || x->side == SIDE_W;
            x->k1 = along_y ? c->row[u] : c->col[u];
            x->k2 = along_y ? c->col[u] : c->row[u];
            if (u == v) /* a self-loop: its ends keep file order */
                x->k1 = x->k2 = 0;
        }
    }
    qsort(pe, k, sizeof(port_end), port_end_cmp);
    for (uint32_t i = 0; i < k;) {
        uint32_t j = i, labs = 0;
        while (j < k && pe[j].node == pe[i].node && pe[j].side == pe[i].side)
            labs += pe[j++].labelled;
        uint32_t cnt = j - i;
        double room = side_room(&c->in_n[pe[i].node], pe[i].side);
        double sp = cnt > 1 ? room / (double)(cnt - 1) : 0;
        if (sp > SPREAD)
            sp = SPREAD;
        for (uint32_t q = i; q < j; q++) {
            double off = ((double)(q - i) - (double)(cnt - 1) / 2.0) * sp;
            if (pe[q].is_dst)
                c->doff[pe[q].e] = off;
            else
                c->soff[pe[q].e] = off;
            grp_lab[q] = labs;
        }
        i = j;
    }
    /* Labels: count labelled source ends per side, then choose. */
    uint32_t *src_labs = fz_calloc(c->a, (size_t)m + 1, sizeof(uint32_t));
    uint32_t *dst_labs = fz_calloc(c->a, (size_t)m + 1, sizeof(uint32_t));
    int rc = FZ_ENOMEM;
    if (src_labs && dst_labs) {
        for (uint32_t i = 0; i < k;) {
            uint32_t j = i, ls = 0;
            while (j < k && pe[j].node == pe[i].node && pe[j].side == pe[i].side) {
                ls += !pe[j].is_dst && pe[j].labelled;
                j++;
            }
            for (uint32_t q = i; q < j; q++) {
                if (pe[q].is_dst)
                    dst_labs[pe[q].e] = grp_lab[q];
                else
                    src_labs[pe[q].e] = ls;
            }
            i = j;
        }
        for (uint32_t e = 0; e < m; e++)
            if (oe[e].placed && c->in_e[e].lw > 0 && src_labs[e] > 1 && dst_labs[e] == 1 &&
                c->in_e[e].src != c->in_e[e].dst)
                c->lab_dst[e] = 1;
        rc = FZ_OK;
    }
    fz_free(c->a, src_labs, ((size_t)m + 1) * sizeof(uint32_t));
    fz_free(c->a, dst_labs, ((size_t)m + 1) * sizeof(uint32_t));
    fz_free(c->a, pe, ((size_t)m * 2 + 1) * sizeof(port_end));
    fz_free(c->a, grp_lab, ((size_t)m * 2 + 1) * sizeof(uint32_t));
    return rc;
}

/*==========================================================================
 * The whole layout: fz_layout_run() calls one function per phase, each
 * reading what the phases before it left in the context.
 *========================================================================*/

struct lab_item {
    uint32_t e, node;
    uint8_t side, at_dst;
    double off, ax, ay; /* offset along the side; the port point */
};

/* By node and side, then from the bottom (right) end of the side. */
static int lab_cmp(const void *pa, const void *pb)
{
    const lab_item *a = pa, *b = pb;
    if (a->node != b->node)
        return a->node < b->node ? -1 : 1;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    if (a->off != b->off)
        return a->off > b->off ? -1 : 1;
    return a->e < b->e ? -1 : (a->e > b->e);
}

void fz_layout_fini(fz_layout *l)
{
    if (!l)
        return;
    fz_free(l->alloc, l->nodes, (size_t)l->nnodes * sizeof(*l->nodes));
    fz_free(l->alloc, l->edges, (size_t)l->nedges * sizeof(*l->edges));
    fz_free(l->alloc, l->lanes, (size_t)l->nlanes * sizeof(*l->lanes));
    fz_free(l->alloc, l->pts, (size_t)l->npts * 2 * sizeof(double));
    memset(l, 0, sizeof(*l));
}

static double maxd(double a, double b)
{
    return a > b ? a : b;
}

/* Whether node v is drawn (its lane is one of the bands). */
static int is_placed(const ctx *c, uint32_t v)
{
    return c->in_n[v].lane < c->nlanes;
}

/* Coordinate of a line (x for AX_X, y for AX_Y). */
static double line_coord(const ctx *c, const line *l)
{
    if (l->kind == LN_NODE)
        return l->axis == AX_X ? c->col_x[c->col[l->idx]] : c->row_y[c->row[l->idx]];
    return (l->axis == AX_X ? c->col_gap_mid[l->idx] : c->row_gap_mid[l->idx]) +
           track_off(l->track,
                     l->axis == AX_X ? c->col_gap_tracks[l->idx] : c->row_gap_tracks[l->idx]);
}

/* The point of side `side` of node v, off points along that side from its
 * middle, on the node's outline. */
static void port_point(const ctx *c, uint32_t v, int side, double off, double *px, double *py)
{
    double x = c->col_x[c->col[v]], y = c->row_y[c->row[v]];
    const fz_lay_node *n = &c->in_n[v];
    double w = n->w, h = n->h;
    int along_y = side == SIDE_E || side == SIDE_W;
    double half_len = (along_y ? h : w) / 2, half_out = (along_y ? w : h) / 2;
    double t = half_len > 0 ? off / half_len : 0;
    if (t > 1)
        t = 1;
    if (t < -1)
        t = -1;
    double out = half_out;
    if (n->shape == FZ_LAY_ROUND)
        out = half_out * sqrt(1 - t * t);
    else if (n->shape == FZ_LAY_DIAMOND)
        out = half_out * (1 - fabs(t));
    switch (side) {
    case SIDE_E:
        x += out;
        y += off;
        break;
    case SIDE_W:
        x -= out;
        y += off;
        break;
    case SIDE_N:
        y -= out;
        x += off;
        break;
    default:
        y += out;
        x += off;
        break;
    }
    *px = x;
    *py = y;
}

/* The context's per-node and per-edge tables and the output's; the rest
 * is allocated by the phase that fills it. */
static int layout_alloc(ctx *c)
{
    const fz_alloc *alloc = c->a;
    fz_layout *out = c->out;
    size_t n1 = (size_t)c->nnodes + 1, m1 = (size_t)c->nedges + 1, l1 = (size_t)c->nlanes + 1;
    c->lane_rows = fz_calloc(alloc, l1, sizeof(uint32_t));
    c->lane_first_slot = fz_calloc(alloc, l1, sizeof(uint32_t));
    c->rank = fz_calloc(alloc, n1, sizeof(uint32_t));
    c->row_in_lane = fz_malloc(alloc, n1 * sizeof(uint32_t));
    c->col = fz_calloc(alloc, n1, sizeof(uint32_t));
    c->row = fz_calloc(alloc, n1, sizeof(uint32_t));
    c->e_first = fz_calloc(alloc, m1, sizeof(uint32_t));
    c->e_count = fz_calloc(alloc, m1, sizeof(uint32_t));
    c->e_dside = fz_calloc(alloc, m1, 1);
    c->soff = fz_calloc(alloc, m1, sizeof(double));
    c->doff = fz_calloc(alloc, m1, sizeof(double));
    c->lab_dst = fz_calloc(alloc, m1, 1);
    out->nodes = fz_calloc(alloc, n1, sizeof(*out->nodes));
    out->edges = fz_calloc(alloc, m1, sizeof(*out->edges));
    out->lanes = fz_calloc(alloc, l1, sizeof(*out->lanes));
    out->nnodes = (uint32_t)n1;
    out->nedges = (uint32_t)m1;
    out->nlanes = (uint32_t)l1;
    if (!c->lane_rows || !c->lane_first_slot || !c->rank || !c->row_in_lane || !c->col || !c->row ||
        !c->e_first || !c->e_count || !c->e_dside || !c->soff || !c->doff || !c->lab_dst ||
        !out->nodes || !out->edges || !out->lanes)
        return FZ_ENOMEM;
    if (cells_init(&c->cells, alloc, c->nnodes * 2 + 16))
        return FZ_ENOMEM;
    for (uint32_t v = 0; v < c->nnodes; v++)
        c->row_in_lane[v] = LAY_NONE;
    return FZ_OK;
}

/* The grid: lanes take consecutive slots (a slot per row a lane needs);
 * LR puts ranks in columns and slots in rows, TB the reverse. Each placed
 * node gets its cell. */
static int place_on_grid(ctx *c)
{
    uint32_t maxrank = 0, slots = 0;
    for (uint32_t v = 0; v < c->nnodes; v++)
        if (is_placed(c, v) && c->rank[v] > maxrank)
            maxrank = c->rank[v];
    for (uint32_t l = 0; l < c->nlanes; l++) {
        if (c->lane_rows[l] == 0)
            c->lane_rows[l] = 1;
        c->lane_first_slot[l] = slots;
        slots += c->lane_rows[l];
    }
    if (slots == 0)
        slots = 1;
    c->nslots = slots;
    c->ncols = c->tb ? slots : maxrank + 1;
    c->nrows = c->tb ? maxrank + 1 : slots;
    c->out->ranks = maxrank + 1;
    c->slot_lane = fz_calloc(c->a, (size_t)slots + 1, sizeof(uint32_t));
    if (!c->slot_lane)
        return FZ_ENOMEM;
    for (uint32_t l = 0; l < c->nlanes; l++)
        for (uint32_t k = 0; k < c->lane_rows[l]; k++)
            c->slot_lane[c->lane_first_slot[l] + k] = l;
    for (uint32_t v = 0; v < c->nnodes; v++) {
        if (!is_placed(c, v))
            continue;
        uint32_t slot = c->lane_first_slot[c->in_n[v].lane] + c->row_in_lane[v];
        c->col[v] = c->tb ? slot : c->rank[v];
        c->row[v] = c->tb ? c->rank[v] : slot;
        cells_probe(&c->cells, 1, c->col[v], c->row[v], 1);
    }
    return FZ_OK;
}

/* Back edges (loops) run from their later end to their earlier one: the
 * context's edges become a copy with those turned round. */
static int orient_back_edges(ctx *c)
{
    uint32_t nnodes = c->nnodes;
    c->oriented = fz_malloc(c->a, ((size_t)c->nedges + 1) * sizeof(fz_lay_edge));
    if (!c->oriented)
        return FZ_ENOMEM;
    fz_lay_edge *oriented = c->oriented;
    if (c->nedges)
        memcpy(oriented, c->in_e, (size_t)c->nedges * sizeof(fz_lay_edge));
    for (uint32_t e = 0; e < c->nedges; e++) {
        uint32_t s = oriented[e].src, t = oriented[e].dst;
        if (oriented[e].back && s < nnodes && t < nnodes && c->rank[s] < c->rank[t]) {
            oriented[e].src = t;
            oriented[e].dst = s;
            uint8_t side = oriented[e].src_side;
            oriented[e].src_side = oriented[e].dst_side;
            oriented[e].dst_side = side;
            c->out->edges[e].swapped = 1;
        }
    }
    c->in_e = oriented;
    return FZ_OK;
}

/* Every edge between placed nodes as a list of lines, then its ports
 * spread along their sides. */
static int route_edges(ctx *c)
{
    int rc;
    for (uint32_t e = 0; e < c->nedges; e++) {
        uint32_t s = c->in_e[e].src, t = c->in_e[e].dst;
        if (s >= c->nnodes || t >= c->nnodes || !is_placed(c, s) || !is_placed(c, t))
            continue;
        if ((rc = route_edge(c, &c->cells, e)))
            return rc;
        c->out->edges[e].placed = 1;
    }
    return spread_ports(c, c->out->edges);
}

/* Tracks. Each gap segment turns at its two ends towards one side of the
 * gap or the other. A segment crossing the end of another where that one
 * turns left (up) must lie right of (below) it, or it cuts the turn.
 * Ordering the gap's segments by those turns (both ends low, low-high,
 * high-low, both high) and, inside a class, by their span (nested low-high
 * ones: the later, longer one nearer the low side; high-low ones the
 * reverse) keeps the usual fan-outs and fan-ins free of crossings. Each
 * segment then takes the first track past those of the overlapping
 * segments before it, so tracks keep that order. */
static int assign_tracks(ctx *c)
{
    const fz_layout *out = c->out;
    c->segs = fz_malloc(c->a, ((size_t)c->nlines + 1) * sizeof(seg));
    if (!c->segs)
        return FZ_ENOMEM;
    c->nsegs_cap = c->nlines;
    seg *segs = c->segs;
    uint32_t nsegs = 0;
    for (uint32_t e = 0; e < c->nedges; e++) {
        if (!out->edges[e].placed)
            continue;
        uint32_t first = c->e_first[e], last = c->e_first[e] + c->e_count[e] - 1;
        for (uint32_t i = 1; i + 1 < c->e_count[e]; i++) {
            uint32_t at = c->e_first[e] + i;
            line *l = &c->lines[at];
            if (l->kind != LN_GAP)
                continue;
            uint32_t p = abstract_pos(c, &c->lines[at - 1]), q = abstract_pos(c, &c->lines[at + 1]);
            uint32_t gp = 2 * l->idx;
            int tp = turn_side(c, first, last, at - 1, -1, gp);
            int tq = turn_side(c, first, last, at + 1, 1, gp);
            seg *sg = &segs[nsegs++];
            sg->axis = l->axis;
            sg->gap = l->idx;
            sg->lo = p < q ? p : q;
            sg->hi = p < q ? q : p;
            sg->at = at;
            int tlo = p <= q ? tp : tq, thi = p <= q ? tq : tp;
            sg->cls = (uint8_t)(tlo * 2 + thi);
            int64_t span = (int64_t)sg->hi - sg->lo, pos = (int64_t)sg->lo * (1 << 24) + sg->hi;
            switch (sg->cls) {
            case 0:
                sg->key = span;
                break;
            case 1:
                sg->key = -pos;
                break;
            case 2:
                sg->key = pos;
                break;
            default:
                sg->key = -span;
                break;
            }
        }
    }
    qsort(segs, nsegs, sizeof(seg), seg_cmp);
    c->col_gap_tracks = fz_calloc(c->a, (size_t)c->ncols + 2, sizeof(uint32_t));
    c->row_gap_tracks = fz_calloc(c->a, (size_t)c->nrows + 2, sizeof(uint32_t));
    if (!c->col_gap_tracks || !c->row_gap_tracks)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < nsegs;) {
        uint32_t j = i, ntracks = 0;
        while (j < nsegs && segs[j].axis == segs[i].axis && segs[j].gap == segs[i].gap) {
            seg *sg = &segs[j];
            uint32_t t = 0;
            for (uint32_t k2 = i; k2 < j; k2++) {
                const seg *o = &segs[k2];
                if (!(o->hi < sg->lo || sg->hi < o->lo) && c->lines[o->at].track + 1 > t)
                    t = c->lines[o->at].track + 1;
            }
            if (sg->lo == sg->hi)
                t = 0;
            c->lines[sg->at].track = t;
            if (t + 1 > ntracks)
                ntracks = t + 1;
            j++;
        }
        if (segs[i].axis == AX_X)
            c->col_gap_tracks[segs[i].gap] = ntracks;
        else
            c->row_gap_tracks[segs[i].gap] = ntracks;
        i = j;
    }
    return FZ_OK;
}

/* Sizes of cells and gaps: a column as wide as its widest node, a row as
 * tall as its tallest; a gap wide enough for its tracks and for the edge
 * labels beside the ports that face it. Labels sit by their source port
 * (or target port, spread_ports()); several on one side stack up. */
static int size_cells_and_gaps(ctx *c)
{
    const fz_alloc *alloc = c->a;
    const fz_lay_node *nodes = c->in_n;
    const fz_lay_edge *edges = c->in_e;
    size_t ncol1 = (size_t)c->ncols + 1, nrow1 = (size_t)c->nrows + 1;
    int tb = c->tb;
    c->col_width = fz_calloc(alloc, ncol1, sizeof(double));
    c->row_height = fz_calloc(alloc, nrow1, sizeof(double));
    c->col_gap_width = fz_calloc(alloc, ncol1 + 1, sizeof(double));
    c->row_gap_height = fz_calloc(alloc, nrow1 + 1, sizeof(double));
    c->col_gap_label_room = fz_calloc(alloc, ncol1 + 1, sizeof(double));
    c->row_gap_label_room = fz_calloc(alloc, nrow1 + 1, sizeof(double));
    c->label_stack = fz_calloc(alloc, ((size_t)c->nnodes + 1) * 4, sizeof(double));
    if (!c->col_width || !c->row_height || !c->col_gap_width || !c->row_gap_height ||
        !c->col_gap_label_room || !c->row_gap_label_room || !c->label_stack)
        return FZ_ENOMEM;
    double *col_width = c->col_width, *row_height = c->row_height;
    double *col_label_room = c->col_gap_label_room, *row_label_room = c->row_gap_label_room;
    for (uint32_t v = 0; v < c->nnodes; v++) {
        if (!is_placed(c, v))
            continue;
        col_width[c->col[v]] = maxd(col_width[c->col[v]], nodes[v].w);
        row_height[c->row[v]] = maxd(row_height[c->row[v]], nodes[v].h);
    }
    for (uint32_t k = 0; k < c->ncols; k++)
        col_width[k] = maxd(col_width[k], tb ? 60.0 : 20.0);
    for (uint32_t k = 0; k < c->nrows; k++)
        row_height[k] = maxd(row_height[k], tb ? 20.0 : 40.0);
    for (uint32_t e = 0; e < c->nedges; e++) {
        if (!c->out->edges[e].placed || edges[e].lw <= 0)
            continue;
        uint32_t s = c->lab_dst[e] ? edges[e].dst : edges[e].src;
        int ss = c->lab_dst[e] ? c->e_dside[e] : edges[e].src_side & 3;
        double *stacked = &c->label_stack[(size_t)s * 4 + (size_t)ss];
        *stacked += edges[e].lh + 2;
        if (ss == SIDE_E || ss == SIDE_W) {
            uint32_t g = ss == SIDE_E ? c->col[s] + 1 : c->col[s];
            col_label_room[g] = maxd(col_label_room[g], 2 * (edges[e].lw + 10));
            if (*stacked > nodes[s].h / 2 + 8) /* a tall stack needs room above the row */
                row_label_room[c->row[s]] =
                    maxd(row_label_room[c->row[s]], 2 * (*stacked - nodes[s].h / 2 + 8));
        } else {
            uint32_t g = ss == SIDE_S ? c->row[s] + 1 : c->row[s];
            row_label_room[g] = maxd(row_label_room[g], 2 * (*stacked + 8));
        }
    }
    for (uint32_t k = 0; k <= c->ncols; k++) {
        double base;
        if (k == 0 || k == c->ncols)
            base = 16;
        else if (!tb)
            base = 44;
        else
            base = c->slot_lane[k - 1] != c->slot_lane[k] ? 40 : 24;
        if (c->col_gap_tracks[k])
            base = maxd(base, (c->col_gap_tracks[k] + 1) * TRACK + 2 * MINSTUB);
        c->col_gap_width[k] = maxd(base, col_label_room[k]);
    }
    for (uint32_t k = 0; k <= c->nrows; k++) {
        double base;
        if (k == 0 || k == c->nrows)
            base = 16;
        else if (tb)
            base = 44;
        else
            base = c->slot_lane[k - 1] != c->slot_lane[k] ? 40 : 24;
        if (c->row_gap_tracks[k])
            base = maxd(base, (c->row_gap_tracks[k] + 1) * TRACK + 2 * MINSTUB);
        c->row_gap_height[k] = maxd(base, row_label_room[k]);
    }
    return FZ_OK;
}

/* Coordinates: gaps and cells side by side from the margin (and the header
 * strip that holds the lane titles), then the lane bands and the nodes. */
static int place_coordinates(ctx *c, const fz_lay_lane *lanes)
{
    const fz_alloc *alloc = c->a;
    fz_layout *out = c->out;
    size_t ncol1 = (size_t)c->ncols + 1, nrow1 = (size_t)c->nrows + 1;
    int tb = c->tb;
    c->col_x = fz_calloc(alloc, ncol1, sizeof(double));
    c->row_y = fz_calloc(alloc, nrow1, sizeof(double));
    c->col_gap_mid = fz_calloc(alloc, ncol1 + 1, sizeof(double));
    c->row_gap_mid = fz_calloc(alloc, nrow1 + 1, sizeof(double));
    c->col_gap_start = fz_calloc(alloc, ncol1 + 1, sizeof(double));
    c->row_gap_start = fz_calloc(alloc, nrow1 + 1, sizeof(double));
    if (!c->col_x || !c->row_y || !c->col_gap_mid || !c->row_gap_mid || !c->col_gap_start ||
        !c->row_gap_start)
        return FZ_ENOMEM;
    double header = tb ? 30 : 96;
    for (uint32_t l = 0; l < c->nlanes; l++)
        header = maxd(header, tb ? lanes[l].lh + 14 : lanes[l].lw + 20);
    double x = MARGIN + (tb ? 0 : header);
    for (uint32_t k = 0; k <= c->ncols; k++) {
        c->col_gap_start[k] = x;
        c->col_gap_mid[k] = x + c->col_gap_width[k] / 2;
        x += c->col_gap_width[k];
        if (k < c->ncols) {
            c->col_x[k] = x + c->col_width[k] / 2;
            x += c->col_width[k];
        }
    }
    double y = MARGIN + (tb ? header : 0);
    for (uint32_t k = 0; k <= c->nrows; k++) {
        c->row_gap_start[k] = y;
        c->row_gap_mid[k] = y + c->row_gap_height[k] / 2;
        y += c->row_gap_height[k];
        if (k < c->nrows) {
            c->row_y[k] = y + c->row_height[k] / 2;
            y += c->row_height[k];
        }
    }
    out->width = x + MARGIN;
    out->height = y + MARGIN;

    for (uint32_t l = 0; l < c->nlanes; l++) {
        uint32_t f = c->lane_first_slot[l], last = c->lane_first_slot[l] + c->lane_rows[l] - 1;
        fz_lay_out_lane *ol = &out->lanes[l];
        if (!tb) {
            ol->x0 = MARGIN;
            ol->x1 = out->width - MARGIN;
            ol->y0 = f == 0 ? c->row_gap_start[0] : c->row_gap_mid[f];
            ol->y1 = last + 1 == c->nrows ? c->row_gap_start[c->nrows] + c->row_gap_height[c->nrows]
                                          : c->row_gap_mid[last + 1];
            ol->lx = MARGIN + header / 2;
            ol->ly = (ol->y0 + ol->y1) / 2;
        } else {
            ol->y0 = MARGIN;
            ol->y1 = out->height - MARGIN;
            ol->x0 = f == 0 ? c->col_gap_start[0] : c->col_gap_mid[f];
            ol->x1 = last + 1 == c->ncols ? c->col_gap_start[c->ncols] + c->col_gap_width[c->ncols]
                                          : c->col_gap_mid[last + 1];
            ol->lx = (ol->x0 + ol->x1) / 2;
            ol->ly = MARGIN + header / 2;
        }
    }
    for (uint32_t v = 0; v < c->nnodes; v++) {
        if (!is_placed(c, v))
            continue;
        out->nodes[v].x = c->col_x[c->col[v]];
        out->nodes[v].y = c->row_y[c->row[v]];
        out->nodes[v].col = c->col[v];
        out->nodes[v].row = c->row[v];
        out->nodes[v].placed = 1;
    }
    return FZ_OK;
}

/* Drops repeated and collinear points from P[from + 1 .. end) (the first
 * point stays); keeps two points when both ports coincide. Returns the
 * new end. */
static uint32_t drop_straight_points(double *P, uint32_t from, uint32_t end, double qx, double qy)
{
    uint32_t w = from + 1;
    for (uint32_t i = from + 1; i < end; i++) {
        double dx = P[2 * i] - P[2 * (w - 1)], dy = P[2 * i + 1] - P[2 * (w - 1) + 1];
        if (dx * dx + dy * dy < 1e-6)
            continue;
        if (w >= from + 2) {
            double ax = P[2 * (w - 1)] - P[2 * (w - 2)],
                   ay = P[2 * (w - 1) + 1] - P[2 * (w - 2) + 1];
            if ((ax == 0 && dx == 0) || (ay == 0 && dy == 0)) {
                w--;
            }
        }
        P[2 * w] = P[2 * i];
        P[2 * w + 1] = P[2 * i + 1];
        w++;
    }
    if (w == from + 1) { /* both ports coincide: keep a two-point route */
        P[2 * w] = qx;
        P[2 * w + 1] = qy;
        w++;
    }
    return w;
}

/* Points of each route: port, line intersections, port; then repeats
 * dropped. Notes each labelled edge's port for place_labels(). */
static int write_route_points(ctx *c)
{
    fz_layout *out = c->out;
    const fz_lay_edge *edges = c->in_e;
    size_t cap_pts = ((size_t)c->nlines + 4 * (size_t)c->nedges + 1) * 2;
    out->pts = fz_malloc(c->a, cap_pts * sizeof(double));
    c->labels = fz_malloc(c->a, ((size_t)c->nedges + 1) * sizeof(lab_item));
    out->npts = (uint32_t)(cap_pts / 2);
    if (!out->pts || !c->labels)
        return FZ_ENOMEM;
    uint32_t np = 0;
    for (uint32_t e = 0; e < c->nedges; e++) {
        fz_lay_out_edge *oe = &out->edges[e];
        if (!oe->placed)
            continue;
        const line *route = c->lines + c->e_first[e];
        uint32_t cnt = c->e_count[e];
        double px, py, qx, qy;
        port_point(c, edges[e].src, edges[e].src_side & 3, c->soff[e], &px, &py);
        port_point(c, edges[e].dst, c->e_dside[e], c->doff[e], &qx, &qy);
        oe->first = np;
        double *P = out->pts;
        uint32_t k = np;
        P[2 * k] = px;
        P[2 * k + 1] = py;
        k++;
        /* The stubs run on their node's centre line moved by the port's
         * offset along the side. */
        for (uint32_t i = 1; i < cnt; i++) {
            double a = line_coord(c, &route[i - 1]);
            double b = line_coord(c, &route[i]);
            if (i == 1)
                a += c->soff[e];
            if (i + 1 == cnt)
                b += c->doff[e];
            P[2 * k] = route[i].axis == AX_X ? b : a;
            P[2 * k + 1] = route[i].axis == AX_X ? a : b;
            k++;
        }
        if (cnt == 1 && fabs(c->soff[e] - c->doff[e]) > 1e-9) {
            /* A straight route whose ends were spread apart: a jog just
             * before the target, clear of the gap's tracks (and of any
             * other edge leaving the source side). */
            int horiz = route[0].axis == AX_Y;
            double mid = horiz ? qx + (qx > px ? -1 : 1) * fmin(MINSTUB * 0.8, fabs(qx - px) / 2)
                               : qy + (qy > py ? -1 : 1) * fmin(MINSTUB * 0.8, fabs(qy - py) / 2);
            P[2 * k] = horiz ? mid : px;
            P[2 * k + 1] = horiz ? py : mid;
            k++;
            P[2 * k] = horiz ? mid : qx;
            P[2 * k + 1] = horiz ? qy : mid;
            k++;
        }
        P[2 * k] = qx;
        P[2 * k + 1] = qy;
        k++;
        uint32_t w = drop_straight_points(P, np, k, qx, qy);
        oe->count = w - np;
        np = w;
        oe->lw = edges[e].lw;
        oe->lh = edges[e].lh;
        if (edges[e].lw > 0) {
            lab_item *li = &c->labels[c->nlabels++];
            li->e = e;
            li->at_dst = c->lab_dst[e];
            li->node = c->lab_dst[e] ? edges[e].dst : edges[e].src;
            li->side = c->lab_dst[e] ? c->e_dside[e] : (uint8_t)(edges[e].src_side & 3);
            li->off = c->lab_dst[e] ? c->doff[e] : c->soff[e];
            li->ax = c->lab_dst[e] ? qx : px;
            li->ay = c->lab_dst[e] ? qy : py;
        }
    }
    return FZ_OK;
}

/* Labels by their ports: beside the port, outwards; on a side with
 * several, each is pushed clear of the one placed before it (from the
 * bottom or right end of the side). */
static void place_labels(ctx *c)
{
    lab_item *labs = c->labels;
    const fz_lay_edge *edges = c->in_e;
    qsort(labs, c->nlabels, sizeof(lab_item), lab_cmp);
    double edge_lim = 0;
    for (uint32_t i = 0; i < c->nlabels; i++) {
        const lab_item *li = &labs[i];
        fz_lay_out_edge *oe = &c->out->edges[li->e];
        double lw = edges[li->e].lw, lh = edges[li->e].lh;
        int first = i == 0 || labs[i - 1].node != li->node || labs[i - 1].side != li->side;
        switch (li->side) {
        case SIDE_E:
        case SIDE_W:
        case SIDE_N: {
            double bottom = li->ay - (li->side == SIDE_N ? 4 : li->at_dst ? 5 : 2);
            if (!first && bottom > edge_lim - 2)
                bottom = edge_lim - 2;
            oe->ly = bottom - lh / 2;
            edge_lim = bottom - lh;
            double gap = li->at_dst && li->side != SIDE_N ? 10 : 6;
            oe->lx = li->side == SIDE_W ? li->ax - lw / 2 - gap
                                        : li->ax + lw / 2 + (li->side == SIDE_E ? gap : 5);
            if (li->side == SIDE_N && li->off < 0) /* the left port: label to its left */
                oe->lx = li->ax - lw / 2 - 5;
            break;
        }
        default: {
            double top = li->ay + 4;
            if (!first && top < edge_lim + 2)
                top = edge_lim + 2;
            oe->ly = top + lh / 2;
            edge_lim = top + lh;
            /* Beside the port, away from the side's other ports. */
            oe->lx = li->off < 0 ? li->ax - lw / 2 - 5 : li->ax + lw / 2 + 5;
            break;
        }
        }
    }
}

static void layout_ctx_fini(ctx *c)
{
    const fz_alloc *alloc = c->a;
    size_t n1 = (size_t)c->nnodes + 1, m1 = (size_t)c->nedges + 1, l1 = (size_t)c->nlanes + 1;
    size_t ncol1 = (size_t)c->ncols + 1, nrow1 = (size_t)c->nrows + 1;
    cells_fini(&c->cells);
    fz_free(alloc, c->oriented, m1 * sizeof(fz_lay_edge));
    fz_free(alloc, c->label_stack, n1 * 4 * sizeof(double));
    fz_free(alloc, c->lane_rows, l1 * sizeof(uint32_t));
    fz_free(alloc, c->lane_first_slot, l1 * sizeof(uint32_t));
    fz_free(alloc, c->slot_lane, ((size_t)c->nslots + 1) * sizeof(uint32_t));
    fz_free(alloc, c->segs, ((size_t)c->nsegs_cap + 1) * sizeof(seg));
    fz_free(alloc, c->col_gap_tracks, (ncol1 + 1) * sizeof(uint32_t));
    fz_free(alloc, c->row_gap_tracks, (nrow1 + 1) * sizeof(uint32_t));
    fz_free(alloc, c->col_width, ncol1 * sizeof(double));
    fz_free(alloc, c->row_height, nrow1 * sizeof(double));
    fz_free(alloc, c->col_gap_width, (ncol1 + 1) * sizeof(double));
    fz_free(alloc, c->row_gap_height, (nrow1 + 1) * sizeof(double));
    fz_free(alloc, c->col_gap_label_room, (ncol1 + 1) * sizeof(double));
    fz_free(alloc, c->row_gap_label_room, (nrow1 + 1) * sizeof(double));
    fz_free(alloc, c->col_x, ncol1 * sizeof(double));
    fz_free(alloc, c->row_y, nrow1 * sizeof(double));
    fz_free(alloc, c->col_gap_mid, (ncol1 + 1) * sizeof(double));
    fz_free(alloc, c->row_gap_mid, (nrow1 + 1) * sizeof(double));
    fz_free(alloc, c->col_gap_start, (ncol1 + 1) * sizeof(double));
    fz_free(alloc, c->row_gap_start, (nrow1 + 1) * sizeof(double));
    fz_free(alloc, c->rank, n1 * sizeof(uint32_t));
    fz_free(alloc, c->row_in_lane, n1 * sizeof(uint32_t));
    fz_free(alloc, c->col, n1 * sizeof(uint32_t));
    fz_free(alloc, c->row, n1 * sizeof(uint32_t));
    fz_free(alloc, c->e_first, m1 * sizeof(uint32_t));
    fz_free(alloc, c->e_count, m1 * sizeof(uint32_t));
    fz_free(alloc, c->e_dside, m1);
    fz_free(alloc, c->soff, m1 * sizeof(double));
    fz_free(alloc, c->doff, m1 * sizeof(double));
    fz_free(alloc, c->lab_dst, m1);
    fz_free(alloc, c->labels, m1 * sizeof(lab_item));
    fz_free(alloc, c->lines, (size_t)c->cap_lines * sizeof(line));
}

int fz_layout_run(const fz_alloc *alloc, int tb, uint32_t nlanes, const fz_lay_lane *lanes,
                  uint32_t nnodes, const fz_lay_node *nodes, uint32_t nedges,
                  const fz_lay_edge *edges, fz_layout *out)
{
    ctx c;
    memset(&c, 0, sizeof(c));
    memset(out, 0, sizeof(*out));
    out->alloc = alloc;
    c.a = alloc;
    c.tb = tb;
    c.nnodes = nnodes;
    c.nedges = nedges;
    c.nlanes = nlanes;
    c.in_n = nodes;
    c.in_e = edges;
    c.out = out;
    int rc = layout_alloc(&c);
    if (!rc)
        rc = compute_ranks(&c);
    if (!rc && assign_rows(&c, &c.cells, c.lane_rows))
        rc = FZ_ENOMEM;
    if (!rc)
        rc = place_on_grid(&c);
    if (!rc)
        rc = orient_back_edges(&c);
    if (!rc)
        rc = route_edges(&c);
    if (!rc)
        rc = assign_tracks(&c);
    if (!rc)
        rc = size_cells_and_gaps(&c);
    if (!rc)
        rc = place_coordinates(&c, lanes);
    if (!rc)
        rc = write_route_points(&c);
    if (!rc)
        place_labels(&c);
    layout_ctx_fini(&c);
    if (rc)
        fz_layout_fini(out);
    return rc;
}
