/* SPDX-License-Identifier: MIT */
/*
 * sequence.c - the sequence view as hand-written SVG (see sequence.h).
 * One pass places the lifelines so that lane titles, notes and message
 * labels all fit (docs/render.md "The sequence view"), a second writes the
 * lifelines and then one row per message or note, top to bottom. Ids and
 * classes match the flow view: lanes are "lane-<Lane>", edges "e<k>".
 */
#include "render/sequence.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "render/text.h"

#define FONT "Helvetica,Arial,sans-serif"
#define PT 11.0
#define LH 14.0
#define TOP 16.0
#define HEAD_H 40.0
#define ROW_MSG 40.0

/* ORDER LANE_PALETTE (render.c) */
static const char *const fills[] = {"#FAECCC", "#DDF0FB", "#CCEBE3", "#FCFAD9",
                                    "#CCE3F0", "#F7DFCC", "#F5E4ED", "#EBEBEB"};
static const char *const pens[] = {"#E69F00", "#56B4E9", "#009E73", "#BFAF1F",
                                   "#0072B2", "#D55E00", "#CC79A7", "#999999"};

static void put_text(fz_sbuf *b, double x, double y, const char *anchor, const char *extra,
                     const char *s, size_t n)
{
    fz_sbuf_printf(b,
                   "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-family=\"" FONT
                   "\" font-size=\"%.0f\"%s>",
                   x, y, anchor, PT, extra);
    fz_text_xml_escape(b, s, n);
    fz_sbuf_puts(b, "</text>\n");
}

static void lane_id(fz_sbuf *b, const fz_graph *g, uint32_t l)
{
    const fz_lane *lane = fz_graph_lane(g, l);
    fz_sbuf_puts(b, "lane-");
    fz_sbuf_putn(b, fz_graph_text(g, lane->id), lane->id.len);
}

/* Text of a note or message: the edge label, else "src -> dst" labels. */
static void edge_text(fz_sbuf *b, const fz_graph *g, const fz_edge *e, int note)
{
    const fz_node *s = fz_graph_node(g, e->src), *d = fz_graph_node(g, e->dst);
    if (note || !e->label.len) {
        fz_sbuf_putn(b, fz_graph_text(g, s->label), s->label.len);
        fz_sbuf_puts(b, " \xE2\x86\x92 ");
        fz_sbuf_putn(b, fz_graph_text(g, d->label), d->label.len);
        if (note && e->label.len) {
            fz_sbuf_puts(b, " [");
            fz_sbuf_putn(b, fz_graph_text(g, e->label), e->label.len);
            fz_sbuf_puts(b, "]");
        }
        return;
    }
    fz_sbuf_putn(b, fz_graph_text(g, e->label), e->label.len);
}

/* The causal order of the edges, as a run would send them: a breadth-first
 * walk from the start nodes (circles with no incoming edge; if none, every
 * node with no incoming edge; SEMANTICS.md), each node's outgoing edges in
 * file order when the node is reached; then edges the walk never reached,
 * in file order. Fills order[0..ne); the first *reached were reached. */
static int causal_order(const fz_graph *g, const fz_alloc *alloc, uint32_t *order,
                        uint32_t *reached)
{
    uint32_t nn = fz_graph_node_count(g), ne = fz_graph_edge_count(g), k = 0;
    uint32_t *queue = fz_calloc(alloc, (size_t)nn + 1, sizeof(uint32_t));
    uint8_t *seen = fz_calloc(alloc, (size_t)nn + 1, 1);
    uint8_t *done = fz_calloc(alloc, (size_t)ne + 1, 1);
    if (!queue || !seen || !done) {
        fz_free(alloc, queue, ((size_t)nn + 1) * sizeof(uint32_t));
        fz_free(alloc, seen, (size_t)nn + 1);
        fz_free(alloc, done, (size_t)ne + 1);
        return FZ_ENOMEM;
    }
    uint32_t head = 0, tail = 0;
    for (int pass = 0; pass < 2 && tail == 0; pass++)
        for (uint32_t v = 0; v < nn; v++) {
            uint32_t nin = 0;
            fz_graph_in(g, v, &nin);
            if (nin == 0 && (pass == 1 || fz_graph_node(g, v)->shape == FZ_SHAPE_CIRCLE)) {
                seen[v] = 1;
                queue[tail++] = v;
            }
        }
    while (head < tail) {
        uint32_t v = queue[head++], nout = 0;
        const uint32_t *out = fz_graph_out(g, v, &nout);
        for (uint32_t i = 0; i < nout; i++) {
            uint32_t e = out[i];
            if (e >= ne || done[e])
                continue;
            done[e] = 1;
            order[k++] = e;
            uint32_t w = fz_graph_edge(g, e)->dst;
            if (w < nn && !seen[w]) {
                seen[w] = 1;
                queue[tail++] = w;
            }
        }
    }
    *reached = k;
    for (uint32_t e = 0; e < ne; e++)
        if (!done[e])
            order[k++] = e;
    fz_free(alloc, queue, ((size_t)nn + 1) * sizeof(uint32_t));
    fz_free(alloc, seen, (size_t)nn + 1);
    fz_free(alloc, done, (size_t)ne + 1);
    return FZ_OK;
}

/* Message labels wrap at this many characters at least (more when the
 * lifelines are further apart) and take at most MSG_LINES lines; the space
 * between two lifelines then grows until the widest line fits. */
#define MSG_CHARS 36
#define MSG_LINES 8
#define NOTE_CHARS 26
#define NOTE_LINES 6
#define MARGIN 10.0
/* Browsers' sans fonts run wider than Helvetica, whose proportions
 * fz_text_width estimates. */
#define SLACK 1.15

static double lines_width(const fz_text_line *lines, uint32_t n)
{
    double w = 0;
    for (uint32_t j = 0; j < n; j++)
        w = fmax(w, fz_text_width(lines[j].s, lines[j].n, PT));
    return w * SLACK;
}

/* The lane's title box and its column (at least 150 and 170 wide). */
static double head_width(const fz_graph *g, uint32_t l)
{
    const fz_lane *lane = fz_graph_lane(g, l);
    double w = fz_text_width(fz_graph_text(g, lane->label), lane->label.len, PT + 1) * 1.2 + 20;
    return w < 150 ? 150 : w;
}

/* Lifeline positions cx[0..nl) and the picture's width: columns as wide as
 * their titles, gaps widened until every message label fits between its
 * two lifelines (wrapped at wrap[k] characters), then everything shifted
 * right and the width grown until every title and note lies inside.
 * keys has room for one entry per edge. */
static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static double place_lifelines(const fz_graph *g, fz_sbuf *t, double *cx, double *gap,
                              uint32_t *wrap, uint64_t *keys)
{
    uint32_t nl = fz_graph_lane_count(g), ne = fz_graph_edge_count(g);
    for (uint32_t l = 0; l + 1 < nl; l++)
        gap[l] = (head_width(g, l) + head_width(g, l + 1)) / 2 + 30;
    /* Nearer lanes first, so a long message between far lanes only widens
     * what its nearer neighbours left too narrow: keys are span << 32 | k. */
    uint32_t nk = 0;
    for (uint32_t k = 0; k < ne; k++) {
        const fz_edge *e = fz_graph_edge(g, k);
        uint32_t ls = fz_graph_node(g, e->src)->lane, ld = fz_graph_node(g, e->dst)->lane;
        if (ls < nl && ld < nl && ls != ld)
            keys[nk++] = (uint64_t)(ls < ld ? ld - ls : ls - ld) << 32 | k;
    }
    qsort(keys, nk, sizeof(*keys), cmp_u64);
    for (uint32_t i = 0; i < nk; i++) {
        uint32_t k = (uint32_t)keys[i];
        const fz_edge *e = fz_graph_edge(g, k);
        uint32_t ls = fz_graph_node(g, e->src)->lane, ld = fz_graph_node(g, e->dst)->lane;
        uint32_t a = ls < ld ? ls : ld, b = ls < ld ? ld : ls;
        double have = 0;
        for (uint32_t l = a; l < b; l++)
            have += gap[l];
        double fits = (have - 24) / (PT * 0.6 * SLACK);
        wrap[k] = fits > MSG_CHARS ? (fits < 4096 ? (uint32_t)fits : 4096) : MSG_CHARS;
        t->len = 0;
        edge_text(t, g, e, 0);
        fz_text_line lines[MSG_LINES];
        uint32_t n = fz_text_wrap(fz_sbuf_str(t), t->len, wrap[k], lines, MSG_LINES);
        double need = lines_width(lines, n) + 24;
        if (need > have)
            for (uint32_t l = a; l < b; l++)
                gap[l] += (need - have) / (b - a);
    }
    double x = MARGIN + (nl ? head_width(g, 0) / 2 : 0);
    for (uint32_t l = 0; l < nl; l++) {
        cx[l] = x;
        if (l + 1 < nl)
            x += gap[l];
    }
    /* What lies outside: titles and notes, centred on their lifeline. */
    double lo = 0, hi = 0;
    for (uint32_t l = 0; l < nl; l++) {
        double w = head_width(g, l);
        lo = fmin(lo, cx[l] - w / 2 - MARGIN);
        hi = fmax(hi, cx[l] + w / 2 + MARGIN);
    }
    for (uint32_t k = 0; k < ne; k++) {
        const fz_edge *e = fz_graph_edge(g, k);
        uint32_t ls = fz_graph_node(g, e->src)->lane, ld = fz_graph_node(g, e->dst)->lane;
        if (ls >= nl || ls != ld)
            continue;
        t->len = 0;
        edge_text(t, g, e, 1);
        fz_text_line lines[NOTE_LINES];
        uint32_t n = fz_text_wrap(fz_sbuf_str(t), t->len, NOTE_CHARS, lines, NOTE_LINES);
        double w = lines_width(lines, n) + 20;
        lo = fmin(lo, cx[ls] - w / 2 - MARGIN);
        hi = fmax(hi, cx[ls] + w / 2 + MARGIN);
    }
    for (uint32_t l = 0; l < nl; l++)
        cx[l] -= lo;
    return hi - lo;
}

int fz_sequence_svg(const fz_graph *g, const fz_overlay *ov, const fz_alloc *alloc, char **out,
                    size_t *len)
{
    uint32_t nl = fz_graph_lane_count(g), ne = fz_graph_edge_count(g), reached = 0;
    int rc = FZ_ENOMEM;
    fz_sbuf body, head, t;
    fz_sbuf_init(&body, alloc);
    fz_sbuf_init(&head, alloc);
    fz_sbuf_init(&t, alloc);
    double *cx = fz_calloc(alloc, (size_t)nl + 1, sizeof(double));
    double *gap = fz_calloc(alloc, (size_t)nl + 1, sizeof(double));
    uint32_t *wrap = fz_calloc(alloc, (size_t)ne + 1, sizeof(uint32_t));
    uint64_t *keys = fz_calloc(alloc, (size_t)ne + 1, sizeof(uint64_t));
    uint32_t *seen = fz_calloc(alloc, (size_t)ne + 1, sizeof(uint32_t));
    uint32_t *causal = fz_calloc(alloc, (size_t)ne + 1, sizeof(uint32_t));
    *out = NULL;
    *len = 0;
    if (!cx || !gap || !wrap || !keys || !seen || !causal || causal_order(g, alloc, causal, &reached))
        goto out;
    double width = place_lifelines(g, &t, cx, gap, wrap, keys);
    if (t.oom)
        goto out;

    /* Rows: messages and notes, in causal order or the trace's order. */
    int traced = ov && ov->kind == FZ_OVERLAY_TRACE;
    uint32_t count = traced ? ov->norder : ne;
    double y = TOP + HEAD_H + 24;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t k = traced ? ov->order[i] : causal[i];
        if (k >= ne)
            continue;
        const fz_edge *e = fz_graph_edge(g, k);
        uint32_t ls = fz_graph_node(g, e->src)->lane, ld = fz_graph_node(g, e->dst)->lane;
        if (ls >= nl || ld >= nl)
            continue;
        /* Without a trace, rows after the walk's are edges no run sends. */
        int unreached = !traced && i >= reached;
        seen[k]++;
        t.len = 0;
        edge_text(&t, g, e, ls == ld);
        fz_sbuf_printf(&body, "<g id=\"e%u", k + 1);
        if (seen[k] > 1)
            fz_sbuf_printf(&body, ".%u", seen[k]);
        fz_sbuf_printf(&body, "\" class=\"edge %s%s ",
                       ls == ld ? "note in-lane" : "message cross-lane",
                       unreached ? " unreached" : "");
        lane_id(&body, g, ls);
        if (ld != ls) {
            fz_sbuf_puts(&body, " ");
            lane_id(&body, g, ld);
        }
        fz_sbuf_printf(&body, "\" data-edge=\"e%u\" data-from=\"", k + 1);
        const fz_node *sn = fz_graph_node(g, e->src), *dn = fz_graph_node(g, e->dst);
        fz_text_xml_escape(&body, fz_graph_text(g, sn->id), sn->id.len);
        fz_sbuf_puts(&body, "\" data-to=\"");
        fz_text_xml_escape(&body, fz_graph_text(g, dn->id), dn->id.len);
        fz_sbuf_puts(&body, "\">\n<title>");
        fz_text_xml_escape(&body, fz_sbuf_str(&t), t.len);
        fz_sbuf_puts(&body, "</title>\n");
        const char *dash = unreached ? " stroke-dasharray=\"4,3\"" : "";
        if (ls == ld) {
            fz_text_line lines[NOTE_LINES];
            uint32_t n = fz_text_wrap(fz_sbuf_str(&t), t.len, NOTE_CHARS, lines, NOTE_LINES);
            double w = lines_width(lines, n) + 20;
            double h = n * LH + 10;
            fz_sbuf_printf(&body,
                           "<path fill=\"#FFF6D5\" stroke=\"#8A7A3A\"%s d=\"M%.2f,%.2f H%.2f "
                           "L%.2f,%.2f V%.2f H%.2f Z\"/>\n",
                           dash, cx[ls] - w / 2, y, cx[ls] + w / 2 - 8, cx[ls] + w / 2, y + 8,
                           y + h, cx[ls] - w / 2);
            for (uint32_t j = 0; j < n; j++)
                put_text(&body, cx[ls], y + 5 + LH * (j + 1) - 3, "middle", "", lines[j].s,
                         lines[j].n);
            y += h + 14;
        } else {
            fz_text_line lines[MSG_LINES];
            uint32_t n = fz_text_wrap(fz_sbuf_str(&t), t.len, wrap[k] ? wrap[k] : MSG_CHARS,
                                      lines, MSG_LINES);
            double x0 = cx[ls], x1 = cx[ld], dir = x1 > x0 ? 1 : -1;
            double ym = y + 18 + (n ? n - 1 : 0) * LH;
            for (uint32_t j = 0; j < n; j++)
                put_text(&body, (x0 + x1) / 2, ym - 5 - (double)(n - 1 - j) * LH, "middle", "",
                         lines[j].s, lines[j].n);
            fz_sbuf_printf(&body,
                           "<path fill=\"none\" stroke=\"#333333\" stroke-width=\"1.3\"%s "
                           "d=\"M%.2f,%.2f H%.2f\"/>\n",
                           dash, x0, ym, x1 - dir * 8);
            fz_sbuf_printf(&body,
                           "<polygon fill=\"#333333\" stroke=\"#333333\" points=\"%.2f,%.2f "
                           "%.2f,%.2f %.2f,%.2f\"/>\n",
                           x1, ym, x1 - dir * 9, ym - 4, x1 - dir * 9, ym + 4);
            y += ROW_MSG + (n ? n - 1 : 0) * LH;
        }
        fz_sbuf_puts(&body, "</g>\n");
    }
    double height = y + 16;

    /* Header, lifelines, then the rows. */
    fz_sbuf_printf(&head,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                   "<svg width=\"%.0fpt\" height=\"%.0fpt\" viewBox=\"0.00 0.00 %.2f %.2f\" "
                   "xmlns=\"http://www.w3.org/2000/svg\">\n"
                   "<g id=\"flowzap\" class=\"view-sequence\">\n"
                   "<rect x=\"0\" y=\"0\" width=\"%.2f\" height=\"%.2f\" fill=\"#FFFFFF\"/>\n",
                   width, height, width, height, width, height);
    for (uint32_t l = 0; l < nl; l++) {
        const fz_lane *lane = fz_graph_lane(g, l);
        double w = head_width(g, l);
        fz_sbuf_puts(&head, "<g id=\"");
        lane_id(&head, g, l);
        fz_sbuf_puts(&head, "\" class=\"lane lifeline ");
        lane_id(&head, g, l);
        fz_sbuf_puts(&head, "\">\n<title>");
        fz_text_xml_escape(&head, fz_graph_text(g, lane->label), lane->label.len);
        fz_sbuf_puts(&head, "</title>\n");
        fz_sbuf_printf(&head,
                       "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                       "stroke-dasharray=\"6,4\" d=\"M%.2f,%.2f V%.2f\"/>\n",
                       pens[l % 8], cx[l], TOP + HEAD_H, height - 8);
        fz_sbuf_printf(&head,
                       "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"6\" "
                       "fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                       cx[l] - w / 2, TOP, w, HEAD_H, fills[l % 8], pens[l % 8]);
        put_text(&head, cx[l], TOP + HEAD_H / 2 + 4, "middle", " font-weight=\"bold\"",
                 fz_graph_text(g, lane->label), lane->label.len);
        fz_sbuf_puts(&head, "</g>\n");
    }
    fz_sbuf_putn(&head, fz_sbuf_str(&body), body.len);
    fz_sbuf_puts(&head, "</g>\n</svg>\n");
    if (head.oom || body.oom || t.oom)
        goto out;
    *out = head.p;
    *len = head.len;
    /* Hand the buffer over: the caller frees len + 1 bytes. */
    if (head.cap != head.len + 1) {
        char *p = fz_realloc(alloc, head.p, head.cap, head.len + 1);
        if (!p)
            goto out;
        *out = p;
    }
    head.p = NULL;
    head.cap = head.len = 0;
    rc = FZ_OK;
out:
    if (rc) {
        *out = NULL;
        *len = 0;
    }
    fz_sbuf_fini(&head);
    fz_sbuf_fini(&body);
    fz_sbuf_fini(&t);
    fz_free(alloc, cx, ((size_t)nl + 1) * sizeof(double));
    fz_free(alloc, gap, ((size_t)nl + 1) * sizeof(double));
    fz_free(alloc, wrap, ((size_t)ne + 1) * sizeof(uint32_t));
    fz_free(alloc, keys, ((size_t)ne + 1) * sizeof(uint64_t));
    fz_free(alloc, seen, ((size_t)ne + 1) * sizeof(uint32_t));
    fz_free(alloc, causal, ((size_t)ne + 1) * sizeof(uint32_t));
    return rc;
}
