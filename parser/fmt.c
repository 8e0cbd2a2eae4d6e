/* SPDX-License-Identifier: MIT */
/*
 * fmt.c - the canonical layout (see fmt.h, docs/fmt.md).
 * The graph holds every statement with its offset; comments are not in the
 * graph, so they are found again in the source and each is attached to the
 * statement that follows it (or to its lane's `}`, or to the end of the
 * file). Statements are bucketed by lane with counting sorts: O(file) plus
 * one sort of the anchors when the file has comments.
 */
#include "parser/fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/export.h"

/*==========================================================================
 * Output buffer
 *========================================================================*/

static int put(fz_vec *v, const char *s, size_t len)
{
    if (len == 0)
        return FZ_OK;
    if ((uint64_t)v->len + len >= UINT32_MAX)
        return FZ_ETOOBIG;
    if (v->len + len > v->cap) {
        uint64_t cap = v->cap ? v->cap : 256;
        while (cap < (uint64_t)v->len + len)
            cap *= 2;
        if (cap >= UINT32_MAX)
            cap = UINT32_MAX - 1;
        if (fz_vec_reserve(v, (uint32_t)cap))
            return FZ_ENOMEM;
    }
    memcpy((char *)v->data + v->len, s, len);
    v->len += (uint32_t)len;
    return FZ_OK;
}

static int puts_(fz_vec *v, const char *s)
{
    return put(v, s, strlen(s));
}

static int put_span(fz_vec *v, const fz_graph *g, fz_span s)
{
    return put(v, fz_graph_text(g, s), s.len);
}

/* A quoted string as the parser reads it back: \" and \\ escaped. */
static int put_quoted(fz_vec *v, const fz_graph *g, fz_span s)
{
    const char *t = fz_graph_text(g, s);
    int rc = put(v, "\"", 1);
    uint32_t from = 0;
    for (uint32_t i = 0; i < s.len && rc == FZ_OK; i++)
        if (t[i] == '"' || t[i] == '\\') {
            rc = put(v, t + from, i - from);
            if (rc == FZ_OK)
                rc = put(v, "\\", 1);
            from = i;
        }
    if (rc == FZ_OK)
        rc = put(v, t + from, s.len - from);
    return rc ? rc : put(v, "\"", 1);
}

/*==========================================================================
 * Comments and their anchors
 *========================================================================*/

enum { A_LANE, A_LANE_END, A_NODE, A_EDGE, A_LOOP, A_EOF };

typedef struct anchor {
    uint32_t offset;
    uint32_t kind;
    uint32_t index;
} anchor;

typedef struct comment {
    uint32_t off, len; /* the text from "//" to the end of the line */
} comment;

typedef struct fmt_ctx {
    const fz_graph *g;
    const fz_alloc *alloc;
    fz_vec *out;
    comment *comments;
    uint32_t ncomments;
    /* For each anchor kind, the first attached comment and how many, kept
     * per statement: attached[kind][index] = (first << 32 | count). */
    uint64_t *att[A_EOF + 1];
    uint32_t att_len[A_EOF + 1];
} fmt_ctx;

static int anchor_cmp(const void *a, const void *b)
{
    const anchor *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Finds every `//` line; returns 0 or FZ_ENOMEM. */
static int find_comments(fmt_ctx *c)
{
    const fz_graph *g = c->g;
    const char *s = g->src;
    uint32_t n = g->src_len, count = 0;
    for (int pass = 0; pass < 2; pass++) {
        count = 0;
        for (uint32_t i = 0; i < n;) {
            uint32_t j = i;
            while (j < n && (s[j] == ' ' || s[j] == '\t'))
                j++;
            uint32_t e = j;
            while (e < n && s[e] != '\n')
                e++;
            if (j + 1 < n && s[j] == '/' && s[j + 1] == '/') {
                uint32_t t = e;
                while (t > j && (s[t - 1] == '\r' || s[t - 1] == ' ' || s[t - 1] == '\t'))
                    t--;
                if (pass == 1) {
                    c->comments[count].off = j;
                    c->comments[count].len = t - j;
                }
                count++;
            }
            i = e + 1;
        }
        if (pass == 0) {
            if (count == 0)
                return FZ_OK;
            c->comments = fz_malloc(c->alloc, (size_t)count * sizeof(comment));
            if (!c->comments)
                return FZ_ENOMEM;
        }
    }
    c->ncomments = count;
    return FZ_OK;
}

/* Attaches each comment to the first statement after it. */
static int attach_comments(fmt_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t counts[A_EOF + 1] = {fz_graph_lane_count(g), fz_graph_lane_count(g),
                                  fz_graph_node_count(g), fz_graph_edge_count(g),
                                  fz_graph_loop_count(g), 1};
    size_t total = 0;
    for (int k = 0; k <= A_EOF; k++) {
        total += counts[k];
        c->att_len[k] = counts[k];
        c->att[k] = fz_calloc(c->alloc, counts[k] ? counts[k] : 1, sizeof(uint64_t));
        if (!c->att[k])
            return FZ_ENOMEM;
    }
    anchor *a = fz_malloc(c->alloc, total * sizeof(anchor));
    if (!a)
        return FZ_ENOMEM;
    size_t k = 0;
    for (uint32_t i = 0; i < counts[A_LANE]; i++) {
        a[k++] = (anchor){fz_graph_lane(g, i)->offset, A_LANE, i};
        uint32_t end = fz_graph_lane(g, i)->end;
        a[k++] = (anchor){end == FZ_NONE ? g->src_len : end, A_LANE_END, i};
    }
    for (uint32_t i = 0; i < counts[A_NODE]; i++)
        a[k++] = (anchor){fz_graph_node(g, i)->offset, A_NODE, i};
    for (uint32_t i = 0; i < counts[A_EDGE]; i++)
        a[k++] = (anchor){fz_graph_edge(g, i)->offset, A_EDGE, i};
    for (uint32_t i = 0; i < counts[A_LOOP]; i++)
        a[k++] = (anchor){fz_graph_loop(g, i)->offset, A_LOOP, i};
    a[k++] = (anchor){UINT32_MAX, A_EOF, 0};
    qsort(a, k, sizeof(anchor), anchor_cmp);
    size_t at = 0;
    for (uint32_t i = 0; i < c->ncomments; i++) {
        while (at < k && a[at].offset < c->comments[i].off)
            at++;
        const anchor *x = &a[at < k ? at : k - 1];
        uint64_t *slot = &c->att[x->kind][x->index];
        if ((*slot & 0xFFFFFFFFu) == 0)
            *slot = (uint64_t)i << 32;
        (*slot)++;
    }
    fz_free(c->alloc, a, total * sizeof(anchor));
    return FZ_OK;
}

static int put_comments(fmt_ctx *c, int kind, uint32_t index, const char *indent)
{
    if (!c->ncomments)
        return FZ_OK;
    uint64_t slot = c->att[kind][index];
    uint32_t first = (uint32_t)(slot >> 32), count = (uint32_t)slot;
    int rc = FZ_OK;
    for (uint32_t i = 0; i < count && rc == FZ_OK; i++) {
        const comment *cm = &c->comments[first + i];
        rc = puts_(c->out, indent);
        if (rc == FZ_OK)
            rc = put(c->out, c->g->src + cm->off, cm->len);
        if (rc == FZ_OK)
            rc = put(c->out, "\n", 1);
    }
    return rc;
}

static int has_comments(const fmt_ctx *c, int kind, uint32_t index)
{
    return c->ncomments && (uint32_t)c->att[kind][index] != 0;
}

/*==========================================================================
 * Statements
 *========================================================================*/

/* `nX: shape key:"v" ...` */
static int put_node(fmt_ctx *c, uint32_t u, const char *indent)
{
    const fz_graph *g = c->g;
    const fz_node *nd = fz_graph_node(g, u);
    int rc = put_comments(c, A_NODE, u, indent);
    if (rc == FZ_OK)
        rc = puts_(c->out, indent);
    if (rc == FZ_OK)
        rc = put_span(c->out, g, nd->id);
    if (rc == FZ_OK)
        rc = puts_(c->out, ": ");
    if (rc == FZ_OK)
        rc = puts_(c->out, fz_shape_name((fz_shape)nd->shape));
    for (uint32_t k = 0; k < nd->attr_count && rc == FZ_OK; k++) {
        const fz_attr *a = fz_graph_attr(g, nd->attr_first + k);
        rc = put(c->out, " ", 1);
        if (rc == FZ_OK)
            rc = put_span(c->out, g, a->key);
        if (rc == FZ_OK)
            rc = put(c->out, ":", 1);
        if (rc == FZ_OK)
            rc = put_quoted(c->out, g, a->value);
    }
    return rc ? rc : put(c->out, "\n", 1);
}

/* One end of an edge: `[Lane.]nX.handle(dir)`. */
static int put_end(fmt_ctx *c, uint32_t node, uint8_t dir, int prefix)
{
    const fz_graph *g = c->g;
    const fz_node *nd = fz_graph_node(g, node);
    int rc = FZ_OK;
    if (prefix && nd->lane != FZ_NONE) {
        rc = put_span(c->out, g, fz_graph_lane(g, nd->lane)->id);
        if (rc == FZ_OK)
            rc = put(c->out, ".", 1);
    }
    if (rc == FZ_OK)
        rc = put_span(c->out, g, nd->id);
    if (rc == FZ_OK)
        rc = puts_(c->out, ".handle(");
    if (rc == FZ_OK)
        rc = puts_(c->out, fz_dir_name((fz_dir)dir));
    return rc ? rc : put(c->out, ")", 1);
}

/* Inside a lane an end carries a prefix exactly when its node is in another
 * lane (the guide's rule); at top level the prefixes stay as written. */
static int put_edge(fmt_ctx *c, uint32_t i, const char *indent)
{
    const fz_graph *g = c->g;
    const fz_edge *e = fz_graph_edge(g, i);
    int sp, dp;
    if (e->lane == FZ_NONE) {
        sp = (e->flags & FZ_EDGE_SRC_PREFIX) != 0;
        dp = (e->flags & FZ_EDGE_DST_PREFIX) != 0;
    } else {
        sp = fz_graph_node(g, e->src)->lane != e->lane;
        dp = fz_graph_node(g, e->dst)->lane != e->lane;
    }
    int rc = put_comments(c, A_EDGE, i, indent);
    if (rc == FZ_OK)
        rc = puts_(c->out, indent);
    if (rc == FZ_OK)
        rc = put_end(c, e->src, e->src_dir, sp);
    if (rc == FZ_OK)
        rc = puts_(c->out, " -> ");
    if (rc == FZ_OK)
        rc = put_end(c, e->dst, e->dst_dir, dp);
    if (rc == FZ_OK && (e->flags & FZ_EDGE_LABELLED)) {
        rc = puts_(c->out, " [label=");
        if (rc == FZ_OK)
            rc = put_quoted(c->out, g, e->label);
        if (rc == FZ_OK)
            rc = put(c->out, "]", 1);
    }
    return rc ? rc : put(c->out, "\n", 1);
}

/* `loop [cond] nA nB ...` (the condition is kept byte for byte). */
static int put_loop(fmt_ctx *c, uint32_t i, const char *indent)
{
    const fz_graph *g = c->g;
    const fz_loop *lp = fz_graph_loop(g, i);
    int rc = put_comments(c, A_LOOP, i, indent);
    if (rc == FZ_OK)
        rc = puts_(c->out, indent);
    if (rc == FZ_OK)
        rc = puts_(c->out, "loop [");
    if (rc == FZ_OK)
        rc = put_span(c->out, g, lp->cond);
    if (rc == FZ_OK)
        rc = put(c->out, "]", 1);
    for (uint32_t k = 0; k < lp->node_count && rc == FZ_OK; k++) {
        rc = put(c->out, " ", 1);
        if (rc == FZ_OK)
            rc = put_span(c->out, g, fz_graph_node(g, fz_graph_loop_node(g, lp, k))->id);
    }
    return rc ? rc : put(c->out, "\n", 1);
}

/* Edges and loops with lane == lane, in file order (merge by offset). The
 * lists are bucketed: items[first .. first + count). */
static int put_flow(fmt_ctx *c, const uint32_t *edges, uint32_t ne, const uint32_t *loops,
                    uint32_t nl, const char *indent)
{
    const fz_graph *g = c->g;
    uint32_t i = 0, j = 0;
    int rc = FZ_OK;
    while ((i < ne || j < nl) && rc == FZ_OK) {
        int edge_next = j >= nl || (i < ne && fz_graph_edge(g, edges[i])->offset <
                                                  fz_graph_loop(g, loops[j])->offset);
        rc = edge_next ? put_edge(c, edges[i++], indent) : put_loop(c, loops[j++], indent);
    }
    return rc;
}

/* Counting sort of item indices by lane (FZ_NONE goes to bucket L). */
typedef struct buckets {
    uint32_t *start; /* L + 2 */
    uint32_t *items;
    uint32_t lanes, count;
} buckets;

static int bucket(fmt_ctx *c, buckets *b, uint32_t count, uint32_t (*lane_of)(const fz_graph *, uint32_t),
                  const uint32_t *order)
{
    uint32_t L = fz_graph_lane_count(c->g);
    b->lanes = L;
    b->count = count;
    b->start = fz_calloc(c->alloc, (size_t)L + 2, sizeof(uint32_t));
    b->items = fz_malloc(c->alloc, (size_t)(count ? count : 1) * sizeof(uint32_t));
    if (!b->start || !b->items)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t l = lane_of(c->g, order ? order[i] : i);
        b->start[(l == FZ_NONE || l >= L ? L : l) + 1]++;
    }
    for (uint32_t l = 0; l <= L; l++)
        b->start[l + 1] += b->start[l];
    uint32_t *cur = fz_malloc(c->alloc, ((size_t)L + 1) * sizeof(uint32_t));
    if (!cur)
        return FZ_ENOMEM;
    memcpy(cur, b->start, ((size_t)L + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < count; i++) {
        uint32_t item = order ? order[i] : i;
        uint32_t l = lane_of(c->g, item);
        b->items[cur[l == FZ_NONE || l >= L ? L : l]++] = item;
    }
    fz_free(c->alloc, cur, ((size_t)L + 1) * sizeof(uint32_t));
    return FZ_OK;
}

static void bucket_free(fmt_ctx *c, buckets *b)
{
    fz_free(c->alloc, b->start, ((size_t)b->lanes + 2) * sizeof(uint32_t));
    fz_free(c->alloc, b->items, (size_t)(b->count ? b->count : 1) * sizeof(uint32_t));
}

static uint32_t node_lane(const fz_graph *g, uint32_t i)
{
    return fz_graph_node(g, i)->lane;
}

static uint32_t edge_lane(const fz_graph *g, uint32_t i)
{
    return fz_graph_edge(g, i)->lane;
}

static uint32_t loop_lane(const fz_graph *g, uint32_t i)
{
    return fz_graph_loop(g, i)->lane;
}

#define BUCKET(b, l) ((b)->items + (b)->start[(l)])
#define BUCKET_LEN(b, l) ((b)->start[(l) + 1] - (b)->start[(l)])

static int put_lane(fmt_ctx *c, uint32_t l, const buckets *nodes, const buckets *edges,
                    const buckets *loops)
{
    const fz_graph *g = c->g;
    const fz_lane *ln = fz_graph_lane(g, l);
    int rc = put_comments(c, A_LANE, l, "");
    if (rc == FZ_OK)
        rc = put_span(c->out, g, ln->id);
    if (rc == FZ_OK)
        rc = puts_(c->out, " {");
    if (rc == FZ_OK && ln->has_label) {
        rc = puts_(c->out, " # ");
        if (rc == FZ_OK)
            rc = put_span(c->out, g, ln->label);
    }
    if (rc == FZ_OK)
        rc = put(c->out, "\n", 1);
    for (uint32_t k = 0; k < BUCKET_LEN(nodes, l) && rc == FZ_OK; k++)
        rc = put_node(c, BUCKET(nodes, l)[k], "  ");
    uint32_t nflow = BUCKET_LEN(edges, l) + BUCKET_LEN(loops, l);
    if (rc == FZ_OK && nflow && BUCKET_LEN(nodes, l))
        rc = put(c->out, "\n", 1);
    if (rc == FZ_OK)
        rc = put_flow(c, BUCKET(edges, l), BUCKET_LEN(edges, l), BUCKET(loops, l),
                      BUCKET_LEN(loops, l), "  ");
    if (rc == FZ_OK && has_comments(c, A_LANE_END, l) && (nflow || BUCKET_LEN(nodes, l)))
        rc = put(c->out, "\n", 1);
    if (rc == FZ_OK)
        rc = put_comments(c, A_LANE_END, l, "  ");
    return rc ? rc : puts_(c->out, "}\n");
}

int fz_fmt(const fz_graph *g, fz_vec *out)
{
    fmt_ctx c;
    memset(&c, 0, sizeof(c));
    c.g = g;
    c.alloc = g->alloc;
    c.out = out;
    buckets bn = {0}, be = {0}, bl = {0};
    uint32_t n = fz_graph_node_count(g), L = fz_graph_lane_count(g);
    uint32_t *order = fz_malloc(c.alloc, (size_t)(n ? n : 1) * sizeof(uint32_t));
    int rc = FZ_ENOMEM;
    if (!order)
        goto out;
    fz_export_node_order(g, order);
    if ((rc = find_comments(&c)) || (c.ncomments && (rc = attach_comments(&c))))
        goto out;
    if ((rc = bucket(&c, &bn, n, node_lane, order)) ||
        (rc = bucket(&c, &be, fz_graph_edge_count(g), edge_lane, NULL)) ||
        (rc = bucket(&c, &bl, fz_graph_loop_count(g), loop_lane, NULL)))
        goto out;
    /* Top level: lanes and runs of top-level statements in file order,
     * separated by one blank line. */
    uint32_t l = 0, ei = 0, li = 0;
    const uint32_t *te = BUCKET(&be, L), *tl = BUCKET(&bl, L);
    uint32_t nte = BUCKET_LEN(&be, L), ntl = BUCKET_LEN(&bl, L);
    int blocks = 0;
    rc = FZ_OK;
    while ((l < L || ei < nte || li < ntl) && rc == FZ_OK) {
        uint32_t lane_off = l < L ? fz_graph_lane(g, l)->offset : UINT32_MAX;
        uint32_t e_off = ei < nte ? fz_graph_edge(g, te[ei])->offset : UINT32_MAX;
        uint32_t p_off = li < ntl ? fz_graph_loop(g, tl[li])->offset : UINT32_MAX;
        if (blocks++)
            rc = put(out, "\n", 1);
        if (rc)
            break;
        if (lane_off < e_off && lane_off < p_off) {
            rc = put_lane(&c, l++, &bn, &be, &bl);
            continue;
        }
        /* A run of top-level statements up to the next lane. */
        uint32_t e0 = ei, p0 = li;
        while (ei < nte && fz_graph_edge(g, te[ei])->offset < lane_off)
            ei++;
        while (li < ntl && fz_graph_loop(g, tl[li])->offset < lane_off)
            li++;
        rc = put_flow(&c, te + e0, ei - e0, tl + p0, li - p0, "");
    }
    if (rc == FZ_OK && has_comments(&c, A_EOF, 0)) {
        if (blocks)
            rc = put(out, "\n", 1);
        if (rc == FZ_OK)
            rc = put_comments(&c, A_EOF, 0, "");
    }
out:
    bucket_free(&c, &bn);
    bucket_free(&c, &be);
    bucket_free(&c, &bl);
    fz_free(c.alloc, order, (size_t)(n ? n : 1) * sizeof(uint32_t));
    fz_free(c.alloc, c.comments, (size_t)c.ncomments * sizeof(comment));
    for (int k = 0; k <= A_EOF; k++)
        if (c.att[k])
            fz_free(c.alloc, c.att[k], (size_t)(c.att_len[k] ? c.att_len[k] : 1) * sizeof(uint64_t));
    return rc;
}

/*==========================================================================
 * Graph equality
 *========================================================================*/

static int span_eq(const fz_graph *a, fz_span x, const fz_graph *b, fz_span y)
{
    return x.len == y.len && memcmp(fz_graph_text(a, x), fz_graph_text(b, y), x.len) == 0;
}

static int differ(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int differ(char *why, size_t len, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* Lane ids of a and b's lanes la, lb are the same (both none counts). */
static int lane_eq(const fz_graph *a, uint32_t la, const fz_graph *b, uint32_t lb)
{
    if (la == FZ_NONE || lb == FZ_NONE)
        return la == lb;
    return span_eq(a, fz_graph_lane(a, la)->id, b, fz_graph_lane(b, lb)->id);
}

static int node_id_eq(const fz_graph *a, uint32_t x, const fz_graph *b, uint32_t y)
{
    return span_eq(a, fz_graph_node(a, x)->id, b, fz_graph_node(b, y)->id);
}

int fz_fmt_same_graph(const fz_graph *a, const fz_graph *b, char *why, size_t why_len)
{
    if (fz_graph_lane_count(a) != fz_graph_lane_count(b))
        return differ(why, why_len, "lane count %u vs %u", fz_graph_lane_count(a),
                      fz_graph_lane_count(b));
    for (uint32_t i = 0; i < fz_graph_lane_count(a); i++) {
        const fz_lane *x = fz_graph_lane(a, i), *y = fz_graph_lane(b, i);
        if (!span_eq(a, x->id, b, y->id) || !span_eq(a, x->label, b, y->label) ||
            x->has_label != y->has_label)
            return differ(why, why_len, "lane %u differs", i + 1);
    }
    if (fz_graph_node_count(a) != fz_graph_node_count(b))
        return differ(why, why_len, "node count %u vs %u", fz_graph_node_count(a),
                      fz_graph_node_count(b));
    for (uint32_t i = 0; i < fz_graph_node_count(a); i++) {
        const fz_node *x = fz_graph_node(a, i);
        uint32_t j = fz_graph_find_node(b, fz_graph_text(a, x->id), x->id.len);
        if (j == FZ_NONE)
            return differ(why, why_len, "node %.*s is missing", (int)x->id.len,
                          fz_graph_text(a, x->id));
        const fz_node *y = fz_graph_node(b, j);
        if (x->shape != y->shape || x->flags != y->flags || !lane_eq(a, x->lane, b, y->lane) ||
            !span_eq(a, x->label, b, y->label) || x->attr_count != y->attr_count)
            return differ(why, why_len, "node %.*s differs", (int)x->id.len,
                          fz_graph_text(a, x->id));
        for (uint32_t k = 0; k < x->attr_count; k++) {
            const fz_attr *p = fz_graph_attr(a, x->attr_first + k);
            const fz_attr *q = fz_graph_attr(b, y->attr_first + k);
            if (!span_eq(a, p->key, b, q->key) || !span_eq(a, p->value, b, q->value))
                return differ(why, why_len, "attribute %u of node %.*s differs", k + 1,
                              (int)x->id.len, fz_graph_text(a, x->id));
        }
    }
    if (fz_graph_edge_count(a) != fz_graph_edge_count(b))
        return differ(why, why_len, "edge count %u vs %u", fz_graph_edge_count(a),
                      fz_graph_edge_count(b));
    for (uint32_t i = 0; i < fz_graph_edge_count(a); i++) {
        const fz_edge *x = fz_graph_edge(a, i), *y = fz_graph_edge(b, i);
        if (!node_id_eq(a, x->src, b, y->src) || !node_id_eq(a, x->dst, b, y->dst) ||
            x->src_dir != y->src_dir || x->dst_dir != y->dst_dir ||
            (x->flags & FZ_EDGE_LABELLED) != (y->flags & FZ_EDGE_LABELLED) ||
            !span_eq(a, x->label, b, y->label) || !lane_eq(a, x->lane, b, y->lane))
            return differ(why, why_len, "edge e%u differs", i + 1);
    }
    if (fz_graph_loop_count(a) != fz_graph_loop_count(b))
        return differ(why, why_len, "loop count %u vs %u", fz_graph_loop_count(a),
                      fz_graph_loop_count(b));
    for (uint32_t i = 0; i < fz_graph_loop_count(a); i++) {
        const fz_loop *x = fz_graph_loop(a, i), *y = fz_graph_loop(b, i);
        if (!span_eq(a, x->cond, b, y->cond) || x->node_count != y->node_count ||
            x->bound != y->bound || !lane_eq(a, x->lane, b, y->lane))
            return differ(why, why_len, "loop %u differs", i + 1);
        for (uint32_t k = 0; k < x->node_count; k++)
            if (!node_id_eq(a, fz_graph_loop_node(a, x, k), b, fz_graph_loop_node(b, y, k)))
                return differ(why, why_len, "loop %u differs", i + 1);
    }
    return 1;
}
