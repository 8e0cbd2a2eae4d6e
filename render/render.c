/* SPDX-License-Identifier: MIT */
/*
 * render.c - workflow graph to picture. Sizes every node from its wrapped
 * label, asks layout.c for swimlane positions and orthogonal routes, then
 * builds a cgraph graph (one cluster per lane, FlowZap ids and classes on
 * every element) whose positions Graphviz draws as they are ("nop2").
 * The sequence view skips Graphviz (sequence.c).
 */
#include "render/render.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "render/gv.h"
#include "render/layout.h"
#include "render/sequence.h"
#include "render/text.h"

#define NODE_PT 11.0
#define NODE_LH 13.5
#define EDGE_PT 10.0
#define EDGE_LH 12.5
#define LANE_PT 13.0
#define LANE_LH 16.0
#define ARROW 8.0
#define MAXLINES 8

/* Okabe-Ito colours (colour-blind safe), as a pale band tint and a border.
 * ORDER LANE_PALETTE */
static const char *const lane_fill[] = {"#FAECCC", "#DDF0FB", "#CCEBE3", "#FCFAD9",
                                        "#CCE3F0", "#F7DFCC", "#F5E4ED", "#EBEBEB"};
static const char *const lane_pen[] = {"#E69F00", "#56B4E9", "#009E73", "#BFAF1F",
                                       "#0072B2", "#D55E00", "#CC79A7", "#999999"};
#define NPALETTE 8

/* Heat buckets: ColorBrewer Blues (sequential, colour-blind safe). */
static const char *const heat_fill[] = {"#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C"};
static const char *const heat_font[] = {"#222222", "#222222", "#222222", "#FFFFFF", "#FFFFFF"};
static const char *const heat_name[] = {"0-20%", "20-40%", "40-60%", "60-80%", "80-100%"};

#define TRACE_PEN "#0072B2"
#define FAIL_PEN "#D55E00"
#define DIM "#B0B0B0"
#define LOOP_PEN "#CC79A7"

int fz_render_format_parse(const char *s)
{
    if (strcmp(s, "svg") == 0)
        return FZ_RENDER_SVG;
    if (strcmp(s, "png") == 0)
        return FZ_RENDER_PNG;
    if (strcmp(s, "dot") == 0 || strcmp(s, "gv") == 0)
        return FZ_RENDER_DOT;
    if (strcmp(s, "pdf") == 0)
        return FZ_RENDER_PDF;
    if (strcmp(s, "json") == 0)
        return FZ_RENDER_JSON;
    return -1;
}

int fz_render_format_of_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) /* no extension, or a dot file */
        return -1;
    char ext[8];
    size_t n = strlen(dot + 1);
    if (n == 0 || n >= sizeof(ext))
        return n == 0 ? -1 : -2;
    for (size_t i = 0; i <= n; i++)
        ext[i] = (char)tolower((unsigned char)dot[1 + i]);
    int f = fz_render_format_parse(ext);
    return f < 0 ? -2 : f;
}

/*==========================================================================
 * Labels and sizes
 *========================================================================*/

typedef struct node_text {
    fz_sbuf label; /* Graphviz label */
    double w, h;
    double tw; /* widest text line (estimate) */
} node_text;

static double lines_width(const fz_text_line *l, uint32_t n, double pt)
{
    double w = 0;
    for (uint32_t i = 0; i < n; i++) {
        double x = fz_text_width(l[i].s, l[i].n, pt);
        if (x > w)
            w = x;
    }
    return w;
}

/* Appends lines joined by Graphviz's centred line break. */
static void put_lines(fz_sbuf *b, const fz_text_line *l, uint32_t n, int record)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            fz_sbuf_puts(b, "\\n");
        fz_text_gv_escape(b, l[i].s, l[i].n, record);
    }
}

static int share_bucket(double share)
{
    int k = (int)(share * 5.0);
    return k < 0 ? 0 : k > 4 ? 4 : k;
}

/* The overlay's extra line for node v ("" when none). */
static void overlay_line(const fz_overlay *ov, uint32_t v, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!ov || v >= ov->nnodes)
        return;
    if (ov->kind == FZ_OVERLAY_TRACE) {
        if (ov->node_visits[v])
            snprintf(buf, cap, "\xC3\x97%llu", (unsigned long long)ov->node_visits[v]);
        return;
    }
    double share = ov->runs ? (double)ov->node_runs[v] / (double)ov->runs : 0.0;
    if (ov->node_fails[v] && ov->node_visits[v])
        snprintf(buf, cap, "%.0f%% \xC2\xB7 fail %.1f%%", share * 100.0,
                 100.0 * (double)ov->node_fails[v] / (double)ov->node_visits[v]);
    else
        snprintf(buf, cap, "%.0f%% of runs", share * 100.0);
}

static void node_label(const fz_graph *g, uint32_t v, const fz_overlay *ov, node_text *t)
{
    const fz_node *n = fz_graph_node(g, v);
    const char *lab = fz_graph_text(g, n->label);
    size_t llen = n->label.len;
    fz_text_line lines[MAXLINES];
    char extra[64];
    overlay_line(ov, v, extra, sizeof(extra));
    size_t elen = strlen(extra);
    fz_sbuf *b = &t->label;
    double ew = elen ? fz_text_width(extra, elen, NODE_PT) : 0;

    if (n->shape == FZ_SHAPE_TASKBOX) {
        /* A record: one field per `|` part, then owner and system. */
        double w = 0, h = 6;
        fz_sbuf_puts(b, "{");
        size_t at = 0;
        int fields = 0;
        while (at <= llen) {
            size_t e = at;
            while (e < llen && lab[e] != '|')
                e++;
            size_t s0 = at, e0 = e;
            while (s0 < e0 && lab[s0] == ' ')
                s0++;
            while (e0 > s0 && lab[e0 - 1] == ' ')
                e0--;
            uint32_t k = fz_text_wrap(lab + s0, e0 - s0, 24, lines, MAXLINES);
            if (fields++)
                fz_sbuf_puts(b, "|");
            put_lines(b, lines, k, 1);
            w = fmax(w, lines_width(lines, k, NODE_PT));
            h += k * NODE_LH + 8;
            at = e + 1;
        }
        static const char *const keys[] = {"owner", "system"};
        for (int i = 0; i < 2; i++) {
            uint32_t vlen = 0;
            const char *val = fz_graph_node_attr(g, v, keys[i], &vlen);
            if (!val)
                continue;
            char head[16];
            snprintf(head, sizeof(head), "%s: ", keys[i]);
            fz_sbuf_puts(b, "|");
            fz_sbuf_puts(b, head);
            uint32_t k = fz_text_wrap(val, vlen, 20, lines, MAXLINES);
            put_lines(b, lines, k, 1);
            w = fmax(w,
                     lines_width(lines, k, NODE_PT) + fz_text_width(head, strlen(head), NODE_PT));
            h += k * NODE_LH + 8;
        }
        if (elen) {
            fz_sbuf_puts(b, "|");
            fz_text_gv_escape(b, extra, elen, 1);
            w = fmax(w, ew);
            h += NODE_LH + 8;
        }
        fz_sbuf_puts(b, "}");
        t->tw = w;
        t->w = fmax(110, w + 24);
        t->h = fmax(40, h);
        return;
    }

    uint32_t wrap = n->shape == FZ_SHAPE_CIRCLE ? 10 : n->shape == FZ_SHAPE_DIAMOND ? 13 : 22;
    uint32_t k = fz_text_wrap(lab, llen, wrap, lines, MAXLINES);
    put_lines(b, lines, k, 0);
    double tw = lines_width(lines, k, NODE_PT), th = k * NODE_LH;
    if (elen) {
        fz_sbuf_puts(b, "\\n");
        fz_text_gv_escape(b, extra, elen, 0);
        tw = fmax(tw, ew);
        th += NODE_LH;
    }
    t->tw = tw;
    switch (n->shape) {
    case FZ_SHAPE_CIRCLE: {
        double d = fmax(44, sqrt(tw * tw + th * th) + 12);
        t->w = t->h = d;
        break;
    }
    case FZ_SHAPE_DIAMOND:
        t->w = fmax(96, 2 * tw + 20);
        t->h = fmax(56, 2 * th + 14);
        break;
    default:
        t->w = fmax(104, tw + 24);
        t->h = fmax(38, th + 16);
        break;
    }
}

/* An edge label as an HTML-like table with a white background, so it stays
 * readable where it crosses a line. Returns its size through w and h. */
static void edge_label(fz_sbuf *b, const char *s, size_t n, const char *extra, double *w, double *h)
{
    fz_text_line lines[MAXLINES];
    uint32_t k = n ? fz_text_wrap(s, n, 26, lines, MAXLINES) : 0;
    double tw = lines_width(lines, k, EDGE_PT);
    uint32_t rows = k;
    fz_sbuf_puts(b, "<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"1\" "
                    "BGCOLOR=\"#FFFFFF\"><TR><TD>");
    for (uint32_t i = 0; i < k; i++) {
        if (i)
            fz_sbuf_puts(b, "<BR/>");
        fz_text_xml_escape(b, lines[i].s, lines[i].n);
    }
    if (extra && extra[0]) {
        if (k)
            fz_sbuf_puts(b, " ");
        fz_text_xml_escape(b, extra, strlen(extra));
        double ew = fz_text_width(extra, strlen(extra), EDGE_PT) + (k ? 3 : 0);
        if (k)
            tw = fmax(tw, lines_width(lines + k - 1, 1, EDGE_PT) + ew);
        else {
            tw = ew;
            rows = 1;
        }
    }
    fz_sbuf_puts(b, "</TD></TR></TABLE>");
    *w = tw + 6;
    *h = rows * EDGE_LH + 4;
}

/*==========================================================================
 * Geometry to Graphviz strings
 *========================================================================*/

/* A spline with rounded corners through the layout's points, ending an
 * arrow's length before the tip, in Graphviz's y-up coordinates. */
static void spline_pos(fz_sbuf *b, const double *P, uint32_t n, double H)
{
    double tipx = P[2 * (n - 1)], tipy = P[2 * (n - 1) + 1];
    fz_sbuf_printf(b, "e,%.2f,%.2f %.2f,%.2f", tipx, H - tipy, P[0], H - P[1]);
    double cx = P[0], cy = P[1];
    for (uint32_t i = 1; i + 1 < n; i++) {
        double qx = P[2 * i], qy = P[2 * i + 1];
        double ix = qx - P[2 * (i - 1)], iy = qy - P[2 * (i - 1) + 1];
        double ox = P[2 * (i + 1)] - qx, oy = P[2 * (i + 1) + 1] - qy;
        double li = hypot(ix, iy), lo = hypot(ox, oy);
        double r = fmin(6.0, fmin(li / 2, lo / 2));
        if (i + 2 == n)
            r = fmin(r, fmax(0.0, lo - ARROW - 1));
        ix /= li ? li : 1;
        iy /= li ? li : 1;
        ox /= lo ? lo : 1;
        oy /= lo ? lo : 1;
        double ax = qx - ix * r, ay = qy - iy * r, bx = qx + ox * r, by = qy + oy * r;
        fz_sbuf_printf(b, " %.2f,%.2f %.2f,%.2f %.2f,%.2f", cx + (ax - cx) / 3,
                       H - (cy + (ay - cy) / 3), cx + 2 * (ax - cx) / 3,
                       H - (cy + 2 * (ay - cy) / 3), ax, H - ay);
        fz_sbuf_printf(b, " %.2f,%.2f %.2f,%.2f %.2f,%.2f", ax + ix * r * 0.55,
                       H - (ay + iy * r * 0.55), bx - ox * r * 0.55, H - (by - oy * r * 0.55), bx,
                       H - by);
        cx = bx;
        cy = by;
    }
    double lx = P[2 * (n - 2)], ly = P[2 * (n - 2) + 1];
    double dx = tipx - lx, dy = tipy - ly, l = hypot(dx, dy);
    double ex = tipx, ey = tipy;
    if (l > 0) {
        double back = fmin(ARROW, hypot(tipx - cx, tipy - cy));
        ex = tipx - dx / l * back;
        ey = tipy - dy / l * back;
    }
    fz_sbuf_printf(b, " %.2f,%.2f %.2f,%.2f %.2f,%.2f", cx + (ex - cx) / 3,
                   H - (cy + (ey - cy) / 3), cx + 2 * (ex - cx) / 3, H - (cy + 2 * (ey - cy) / 3),
                   ex, H - ey);
}

static const char *compass(int side)
{
    static const char *const c[] = {"w", "e", "n", "s"};
    return c[side & 3];
}

/*==========================================================================
 * The flow view
 *========================================================================*/

typedef struct legend_item legend_item;

#define LEGEND_MAX 8

/* The flow view being built: build_flow() runs one function per phase,
 * each reading what the phases before it left here. */
typedef struct flow {
    const fz_graph *g;
    const fz_render_opts *o;
    const fz_overlay *ov; /* o->overlay: NULL, a trace or a heat map */
    const fz_alloc *a;
    fz_gv *gv;
    fz_sbuf s; /* scratch */
    char *err;
    size_t errsz;
    int oom; /* a Graphviz attribute could not be set */
    uint32_t node_count, edge_count, lane_count, loop_count;
    uint32_t route_count; /* edges, then one back edge per loop */
    /* Measured (measure_lanes, measure_nodes, measure_edges, measure_loops). */
    node_text *node_texts;      /* per node */
    fz_sbuf *route_labels;      /* per route: its label (HTML), empty when none */
    fz_sbuf *lane_titles;       /* per lane */
    fz_lay_node *layout_nodes;  /* what the layout is given */
    fz_lay_edge *layout_routes; /* per route */
    fz_lay_lane *layout_lanes;
    fz_layout lay; /* what the layout returns */
    /* The drawing's size (fit_bounding_box, place_legend); y grows down
     * here, Graphviz's up. */
    double width, height;
    double legend_top; /* the height before the legend strip */
    legend_item *legend;
    int legend_count;
    /* The Graphviz objects (add_lanes, add_nodes). */
    fz_gv_obj **gv_nodes;
    fz_gv_obj **gv_lanes;
} flow;

#define SET(obj, k, v)                                                                             \
    do {                                                                                           \
        if (fz_gv_set(f->gv, (obj), (k), (v)))                                                     \
            f->oom = 1;                                                                            \
    } while (0)

/* "x,y" with two decimals. */
static const char *fmt_pt(char *buf, size_t cap, double x, double y)
{
    snprintf(buf, cap, "%.2f,%.2f", x, y);
    return buf;
}

/* Inches from points, for width and height. */
static const char *fmt_in(char *buf, size_t cap, double pt)
{
    snprintf(buf, cap, "%.4f", pt / 72.0);
    return buf;
}

static void lane_class(fz_sbuf *b, const fz_graph *g, uint32_t lane)
{
    const fz_lane *l = fz_graph_lane(g, lane);
    fz_sbuf_puts(b, "lane-");
    fz_sbuf_putn(b, fz_graph_text(g, l->id), l->id.len);
}

/* Browsers' sans fonts run up to this much wider than the Helvetica
 * estimates; boxes and the bounding box leave that room. */
#define TEXT_SLACK 1.15
#define LEGEND_X 120.0
#define LEGEND_ROW 34.0

struct legend_item {
    char text[160];
    const char *fill, *pen, *font, *shape, *pw;
    double w, x, y; /* width; centre */
};

/* The legend's items for overlay ov, each as wide as its text needs. */
static int legend_items(const fz_overlay *ov, legend_item *it)
{
    int n = 0;
    for (int i = 0; i < LEGEND_MAX; i++) {
        it[i].text[0] = '\0';
        it[i].fill = "#FFFFFF";
        it[i].pen = "#333333";
        it[i].font = "#111111";
        it[i].shape = "box";
        it[i].pw = NULL;
    }
    if (ov->kind == FZ_OVERLAY_HEAT) {
        for (int i = 0; i < 5; i++, n++) {
            snprintf(it[n].text, sizeof it[n].text, "%s", heat_name[i]);
            it[n].fill = heat_fill[i];
            it[n].font = heat_font[i];
        }
        snprintf(it[n].text, sizeof it[n].text, "failures (border)");
        it[n].pen = FAIL_PEN;
        it[n++].pw = "3";
        snprintf(it[n].text, sizeof it[n].text, "fill: share of %llu runs visiting the node",
                 (unsigned long long)ov->runs);
        it[n++].shape = "plaintext";
        snprintf(it[n].text, sizeof it[n].text, "edge labels: share of runs taking the edge");
        it[n++].shape = "plaintext";
    } else {
        snprintf(it[n].text, sizeof it[n].text, "taken (\xC3\x97 times)");
        it[n].pen = TRACE_PEN;
        it[n++].pw = "3";
        snprintf(it[n].text, sizeof it[n].text, "not taken");
        it[n].pen = DIM;
        it[n++].font = "#888888";
        snprintf(it[n].text, sizeof it[n].text, "run ended: %s%s%s%s",
                 ov->state[0] ? ov->state : "(no end event)", ov->outcome[0] ? " (" : "",
                 ov->outcome, ov->outcome[0] ? ")" : "");
        it[n++].shape = "plaintext";
    }
    for (int i = 0; i < n; i++) {
        double tw = fz_text_width(it[i].text, strlen(it[i].text), NODE_PT) * TEXT_SLACK;
        it[i].w = strcmp(it[i].shape, "plaintext") == 0 ? tw + 10 : fmax(70, tw + 20);
    }
    return n;
}

/* cairo stamps a PDF with the clock ("/CreationDate (D:20261205130430Z)");
 * the same input must give the same bytes, so the digits become the epoch.
 * The length is kept, so the cross-reference offsets stay right. */
static void pdf_fix_date(char *p, size_t n)
{
    static const char key[] = "/CreationDate (D:";
    size_t k = sizeof(key) - 1;
    for (size_t i = 0; i + k < n; i++) {
        if (memcmp(p + i, key, k) != 0)
            continue;
        static const char epoch[] = "19700101000000";
        for (size_t j = 0; j < sizeof(epoch) - 1 && i + k + j < n; j++) {
            if (p[i + k + j] < '0' || p[i + k + j] > '9')
                break;
            p[i + k + j] = epoch[j];
        }
        return;
    }
}

/* The tables every phase fills, empty; 0 or FZ_ENOMEM. */
static int flow_alloc(flow *f)
{
    const fz_alloc *a = f->a;
    const fz_graph *g = f->g;
    f->ov = f->o->overlay;
    f->node_count = fz_graph_node_count(g);
    f->edge_count = fz_graph_edge_count(g);
    f->lane_count = fz_graph_lane_count(g);
    f->loop_count = fz_graph_loop_count(g);
    f->route_count = f->edge_count + f->loop_count;
    size_t n1 = (size_t)f->node_count + 1, r1 = (size_t)f->route_count + 1;
    size_t l1 = (size_t)f->lane_count + 1;
    f->node_texts = fz_calloc(a, n1, sizeof(node_text));
    f->route_labels = fz_calloc(a, r1, sizeof(fz_sbuf));
    f->layout_nodes = fz_calloc(a, n1, sizeof(fz_lay_node));
    f->layout_routes = fz_calloc(a, r1, sizeof(fz_lay_edge));
    f->layout_lanes = fz_calloc(a, l1, sizeof(fz_lay_lane));
    f->gv_nodes = fz_calloc(a, n1, sizeof(fz_gv_obj *));
    f->gv_lanes = fz_calloc(a, l1, sizeof(fz_gv_obj *));
    f->lane_titles = fz_calloc(a, l1, sizeof(fz_sbuf));
    f->legend = fz_calloc(a, LEGEND_MAX, sizeof(legend_item));
    if (!f->node_texts || !f->route_labels || !f->layout_nodes || !f->layout_routes ||
        !f->layout_lanes || !f->gv_nodes || !f->gv_lanes || !f->lane_titles || !f->legend)
        return FZ_ENOMEM;
    for (uint32_t v = 0; v < f->node_count; v++)
        fz_sbuf_init(&f->node_texts[v].label, a);
    for (uint32_t e = 0; e < f->route_count; e++)
        fz_sbuf_init(&f->route_labels[e], a);
    for (uint32_t l = 0; l < f->lane_count; l++)
        fz_sbuf_init(&f->lane_titles[l], a);
    return FZ_OK;
}

static void flow_fini(flow *f)
{
    const fz_alloc *a = f->a;
    size_t n1 = (size_t)f->node_count + 1, r1 = (size_t)f->route_count + 1;
    size_t l1 = (size_t)f->lane_count + 1;
    if (f->node_texts)
        for (uint32_t v = 0; v < f->node_count; v++)
            fz_sbuf_fini(&f->node_texts[v].label);
    if (f->route_labels)
        for (uint32_t e = 0; e < f->route_count; e++)
            fz_sbuf_fini(&f->route_labels[e]);
    if (f->lane_titles)
        for (uint32_t l = 0; l < f->lane_count; l++)
            fz_sbuf_fini(&f->lane_titles[l]);
    fz_free(a, f->node_texts, n1 * sizeof(node_text));
    fz_free(a, f->route_labels, r1 * sizeof(fz_sbuf));
    fz_free(a, f->layout_nodes, n1 * sizeof(fz_lay_node));
    fz_free(a, f->layout_routes, r1 * sizeof(fz_lay_edge));
    fz_free(a, f->layout_lanes, l1 * sizeof(fz_lay_lane));
    fz_free(a, f->gv_nodes, n1 * sizeof(fz_gv_obj *));
    fz_free(a, f->gv_lanes, l1 * sizeof(fz_gv_obj *));
    fz_free(a, f->lane_titles, l1 * sizeof(fz_sbuf));
    fz_free(a, f->legend, LEGEND_MAX * sizeof(legend_item));
    fz_layout_fini(&f->lay);
}

/* Lane titles, wrapped, and the room they take in the header strip. */
static void measure_lanes(flow *f)
{
    const fz_graph *g = f->g;
    for (uint32_t l = 0; l < f->lane_count; l++) {
        const fz_lane *lane = fz_graph_lane(g, l);
        fz_text_line lines[MAXLINES];
        uint32_t k = fz_text_wrap(fz_graph_text(g, lane->label), lane->label.len,
                                  f->o->top_to_bottom ? 28 : 20, lines, MAXLINES);
        put_lines(&f->lane_titles[l], lines, k, 0);
        f->layout_lanes[l].lw = lines_width(lines, k, LANE_PT) * 1.2; /* bold */
        f->layout_lanes[l].lh = k * LANE_LH;
    }
}

/* Node labels (with the overlay's line) and the sizes and outlines they give. */
static void measure_nodes(flow *f)
{
    const fz_graph *g = f->g;
    for (uint32_t v = 0; v < f->node_count; v++) {
        node_text *nt = &f->node_texts[v];
        fz_lay_node *ln = &f->layout_nodes[v];
        node_label(g, v, f->ov, nt);
        const fz_node *n = fz_graph_node(g, v);
        ln->lane = n->lane;
        ln->w = nt->w;
        ln->h = nt->h;
        ln->shape = n->shape == FZ_SHAPE_CIRCLE    ? FZ_LAY_ROUND
                    : n->shape == FZ_SHAPE_DIAMOND ? FZ_LAY_DIAMOND
                                                   : FZ_LAY_BOX;
    }
}

/* Each edge's ends, sides and label (its own text and the overlay's count
 * or share). */
static void measure_edges(flow *f)
{
    const fz_graph *g = f->g;
    const fz_overlay *ov = f->ov;
    for (uint32_t e = 0; e < f->edge_count; e++) {
        const fz_edge *ed = fz_graph_edge(g, e);
        fz_lay_edge *route = &f->layout_routes[e];
        char extra[48] = "";
        if (ov && ov->kind == FZ_OVERLAY_TRACE && ov->edge_count[e])
            snprintf(extra, sizeof(extra), "\xC3\x97%llu", (unsigned long long)ov->edge_count[e]);
        else if (ov && ov->kind == FZ_OVERLAY_HEAT && ov->runs)
            snprintf(extra, sizeof(extra), "%.0f%%",
                     100.0 * (double)ov->edge_runs[e] / (double)ov->runs);
        route->src = ed->src;
        route->dst = ed->dst;
        route->src_side = ed->src_dir;
        route->dst_side = ed->dst_dir;
        route->ranked = 1;
        if (ed->label.len || extra[0])
            edge_label(&f->route_labels[e], fz_graph_text(g, ed->label), ed->label.len, extra,
                       &route->lw, &route->lh);
    }
}

/* A loop is drawn as a back edge from its last node to its first, bottom
 * to bottom, labelled with its condition. */
static void measure_loops(flow *f)
{
    const fz_graph *g = f->g;
    for (uint32_t k = 0; k < f->loop_count; k++) {
        const fz_loop *lp = fz_graph_loop(g, k);
        fz_lay_edge *route = &f->layout_routes[f->edge_count + k];
        route->src = route->dst = FZ_NONE;
        if (lp->node_count < 1)
            continue;
        route->src = fz_graph_loop_node(g, lp, lp->node_count - 1);
        route->dst = fz_graph_loop_node(g, lp, 0);
        route->src_side = route->dst_side = FZ_DIR_BOTTOM;
        route->back = 1;
        fz_sbuf_puts(&f->s, "loop");
        if (lp->cond.len) {
            fz_sbuf_puts(&f->s, ": ");
            fz_sbuf_putn(&f->s, fz_graph_text(g, lp->cond), lp->cond.len);
        }
        edge_label(&f->route_labels[f->edge_count + k], fz_sbuf_str(&f->s), f->s.len, NULL,
                   &route->lw, &route->lh);
        f->s.len = 0;
    }
}

/* Whether a label buffer ran out of memory while measuring. */
static int measure_failed(const flow *f)
{
    for (uint32_t i = 0; i < f->node_count; i++)
        if (f->node_texts[i].label.oom)
            return 1;
    for (uint32_t i = 0; i < f->route_count; i++)
        if (f->route_labels[i].oom)
            return 1;
    return 0;
}

/* The bounding box holds every node and label: text widths are
 * estimates, so allow browsers' wider sans fonts some room. */
static void fit_bounding_box(flow *f)
{
    const fz_layout *lay = &f->lay;
    double width = lay->width, height = lay->height;
    for (uint32_t v = 0; v < f->node_count; v++) {
        const node_text *nt = &f->node_texts[v];
        if (lay->nodes[v].placed)
            width = fmax(width, lay->nodes[v].x + fmax(nt->w, nt->tw * TEXT_SLACK + 8) / 2 + 8);
    }
    for (uint32_t e = 0; e < f->route_count; e++) {
        const fz_lay_out_edge *oe = &lay->edges[e];
        if (oe->placed && oe->lw > 0) {
            width = fmax(width, oe->lx + oe->lw * TEXT_SLACK / 2 + 8);
            height = fmax(height, oe->ly + oe->lh / 2 + 8);
        }
    }
    f->width = width;
    f->height = height;
}

/* Legend strip under the lanes (overlays only): items measured, in rows
 * as wide as the picture (which widens for one long item). */
static void place_legend(flow *f)
{
    legend_item *items = f->legend;
    f->legend_count = f->ov ? legend_items(f->ov, items) : 0;
    f->legend_top = f->height;
    if (!f->ov)
        return;
    for (int i = 0; i < f->legend_count; i++)
        f->width = fmax(f->width, LEGEND_X + items[i].w + 16);
    double x = LEGEND_X, y = f->height + 14 + LEGEND_ROW / 2;
    for (int i = 0; i < f->legend_count; i++) {
        if (x > LEGEND_X && x + items[i].w > f->width - 16) {
            x = LEGEND_X;
            y += LEGEND_ROW;
        }
        items[i].x = x + items[i].w / 2;
        items[i].y = y;
        x += items[i].w + 10;
    }
    f->height = y + LEGEND_ROW / 2 + 14;
}

/* The cgraph graph with its attributes and the defaults of its nodes and
 * edges. */
static int start_graph(flow *f)
{
    const fz_overlay *ov = f->ov;
    char nb[64];
    int rc = fz_gv_new(f->a, "flowzap", &f->gv);
    if (rc)
        return rc;
    fz_gv_obj *root = fz_gv_root(f->gv);
    SET(root, "id", "flowzap");
    SET(root, "class",
        ov ? (ov->kind == FZ_OVERLAY_TRACE ? "view-flow trace" : "view-flow heat") : "view-flow");
    SET(root, "bb", (snprintf(nb, sizeof nb, "0,0,%.2f,%.2f", f->width, f->height), nb));
    SET(root, "outputorder", "edgesfirst");
    SET(root, "splines", "true");
    SET(root, "pad", "0.1");
    if (fz_gv_default(f->gv, FZ_GV_GRAPH, "fontname", "Helvetica-Bold") ||
        fz_gv_default(f->gv, FZ_GV_GRAPH, "fontsize", "13") ||
        fz_gv_default(f->gv, FZ_GV_GRAPH, "fontcolor", "#222222") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "fontname", "Helvetica") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "fontsize", "11") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "fixedsize", "true") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "style", "filled") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "fillcolor", "#FFFFFF") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "color", "#333333") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "fontcolor", "#111111") ||
        fz_gv_default(f->gv, FZ_GV_NODE, "penwidth", "1.2") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "fontname", "Helvetica") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "fontsize", "10") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "color", "#444444") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "fontcolor", "#222222") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "arrowsize", "0.8") ||
        fz_gv_default(f->gv, FZ_GV_EDGE, "penwidth", "1.2"))
        return FZ_ENOMEM;
    return FZ_OK;
}

/* One cluster per lane, its band and title where the layout put them. */
static int add_lanes(flow *f)
{
    const fz_graph *g = f->g;
    double H = f->height; /* Graphviz's y = H - ours */
    char nb[64];
    for (uint32_t l = 0; l < f->lane_count; l++) {
        const fz_lane *lane = fz_graph_lane(g, l);
        const fz_lay_out_lane *ol = &f->lay.lanes[l];
        fz_sbuf *s = &f->s;
        s->len = 0;
        fz_sbuf_puts(s, "cluster_");
        fz_sbuf_putn(s, fz_graph_text(g, lane->id), lane->id.len);
        fz_gv_obj *cluster = f->gv_lanes[l] = fz_gv_subgraph(f->gv, NULL, fz_sbuf_str(s));
        if (!cluster)
            return FZ_ENOMEM;
        s->len = 0;
        fz_sbuf_puts(s, "lane ");
        lane_class(s, g, l);
        SET(cluster, "class", fz_sbuf_str(s));
        s->len = 0;
        lane_class(s, g, l);
        SET(cluster, "id", fz_sbuf_str(s));
        SET(cluster, "label", fz_sbuf_str(&f->lane_titles[l]));
        /* LR bands run the whole width (which labels or the legend may
         * have widened); TB columns the whole height above the legend. */
        double bx1 = f->o->top_to_bottom ? ol->x1 : fmax(ol->x1, f->width - 8);
        double by1 = f->o->top_to_bottom ? fmax(ol->y1, f->legend_top - 8) : ol->y1;
        SET(cluster, "bb", fmt_pt(nb, sizeof nb, ol->x0, H - by1));
        size_t k = strlen(nb);
        snprintf(nb + k, sizeof(nb) - k, ",%.2f,%.2f", bx1, H - ol->y0);
        SET(cluster, "bb", nb);
        SET(cluster, "lp", fmt_pt(nb, sizeof nb, ol->lx, H - ol->ly));
        SET(cluster, "style", "filled");
        SET(cluster, "fillcolor", lane_fill[l % NPALETTE]);
        SET(cluster, "color", lane_pen[l % NPALETTE]);
        SET(cluster, "penwidth", "1.5");
    }
    return FZ_OK;
}

/* Each placed node in its lane's cluster: shape, classes, overlay colours,
 * size and position. */
static int add_nodes(flow *f)
{
    static const char *const shapes[] = {"circle", "box", "diamond", "Mrecord"};
    const fz_graph *g = f->g;
    const fz_overlay *ov = f->ov;
    double H = f->height;
    char nb[64];
    for (uint32_t v = 0; v < f->node_count; v++) {
        const fz_node *n = fz_graph_node(g, v);
        if (!f->lay.nodes[v].placed)
            continue;
        fz_sbuf *s = &f->s;
        s->len = 0;
        fz_sbuf_putn(s, fz_graph_text(g, n->id), n->id.len);
        fz_gv_obj *node = f->gv_nodes[v] = fz_gv_node(f->gv, f->gv_lanes[n->lane], fz_sbuf_str(s));
        if (!node)
            return FZ_ENOMEM;
        SET(node, "id", fz_sbuf_str(s));
        fz_kind kind = fz_graph_node_kind(g, v);
        s->len = 0;
        fz_sbuf_printf(s, "shape-%s kind-%s ", fz_shape_name((fz_shape)n->shape),
                       fz_kind_name(kind));
        lane_class(s, g, n->lane);
        const char *fill = NULL, *pen = NULL, *font = NULL, *pw = NULL;
        if (ov && ov->kind == FZ_OVERLAY_TRACE) {
            if (ov->node_visits[v]) {
                fz_sbuf_puts(s, " visited");
                pen = TRACE_PEN;
                pw = "3";
            } else {
                fz_sbuf_puts(s, " unvisited");
                pen = DIM;
                font = "#888888";
            }
            if (ov->node_fails[v]) {
                fz_sbuf_puts(s, " failed");
                pen = FAIL_PEN;
            }
        } else if (ov) {
            double share = ov->runs ? (double)ov->node_runs[v] / (double)ov->runs : 0;
            int bk = share_bucket(share);
            fz_sbuf_printf(s, " heat-%d", bk);
            fill = heat_fill[bk];
            font = heat_font[bk];
            if (ov->node_fails[v]) {
                double rate =
                    ov->node_visits[v] ? (double)ov->node_fails[v] / (double)ov->node_visits[v] : 0;
                fz_sbuf_puts(s, " failing");
                pen = FAIL_PEN;
                pw = rate >= 0.10 ? "4" : rate >= 0.01 ? "3" : "2";
            }
        }
        SET(node, "class", fz_sbuf_str(s));
        SET(node, "shape", shapes[n->shape & 3]);
        if (n->shape == FZ_SHAPE_RECTANGLE)
            SET(node, "style", "rounded,filled");
        if (kind == FZ_KIND_END && !pw)
            pw = "2.5";
        if (fill)
            SET(node, "fillcolor", fill);
        if (pen)
            SET(node, "color", pen);
        if (font)
            SET(node, "fontcolor", font);
        if (pw)
            SET(node, "penwidth", pw);
        node_text *nt = &f->node_texts[v];
        SET(node, "label", fz_sbuf_str(&nt->label));
        SET(node, "width", fmt_in(nb, sizeof nb, nt->w));
        SET(node, "height", fmt_in(nb, sizeof nb, nt->h));
        SET(node, "pos", fmt_pt(nb, sizeof nb, f->lay.nodes[v].x, H - f->lay.nodes[v].y));
    }
    return FZ_OK;
}

/* Each placed route (edges, then loops) as a cgraph edge with its ports,
 * classes, overlay colours, spline and label position. */
static int add_routes(flow *f)
{
    const fz_graph *g = f->g;
    const fz_overlay *ov = f->ov;
    uint32_t ne = f->edge_count;
    double H = f->height;
    char nb[64];
    for (uint32_t e = 0; e < f->route_count; e++) {
        const fz_lay_out_edge *oe = &f->lay.edges[e];
        const fz_lay_edge *route = &f->layout_routes[e];
        if (!oe->placed)
            continue;
        int is_loop = e >= ne;
        uint32_t tail = route->src, head = route->dst;
        int tail_side = route->src_side, head_side = route->dst_side;
        if (oe->swapped) {
            tail = route->dst;
            head = route->src;
            tail_side = route->dst_side;
            head_side = route->src_side;
        }
        if (is_loop)
            snprintf(nb, sizeof nb, "loop%u", e - ne + 1);
        else
            snprintf(nb, sizeof nb, "e%u", e + 1);
        fz_gv_obj *ge = fz_gv_edge(f->gv, f->gv_nodes[tail], f->gv_nodes[head], nb);
        if (!ge)
            return FZ_ENOMEM;
        SET(ge, "id", nb);
        fz_sbuf *s = &f->s;
        s->len = 0;
        uint32_t tail_lane = fz_graph_node(g, tail)->lane;
        uint32_t head_lane = fz_graph_node(g, head)->lane;
        if (is_loop) {
            fz_sbuf_puts(s, "loop");
        } else {
            fz_sbuf_printf(s, "flow %s from-%s to-%s",
                           tail_lane == head_lane ? "in-lane" : "cross-lane",
                           fz_dir_name((fz_dir)tail_side), fz_dir_name((fz_dir)head_side));
            if (fz_graph_edge(g, e)->label.len)
                fz_sbuf_puts(s, " labelled");
        }
        const char *color = NULL, *pw = NULL;
        if (is_loop) {
            color = LOOP_PEN;
            SET(ge, "style", "dashed");
        } else if (ov && ov->kind == FZ_OVERLAY_TRACE) {
            if (ov->edge_count[e]) {
                fz_sbuf_puts(s, " taken");
                color = TRACE_PEN;
                pw = "2.6";
            } else {
                fz_sbuf_puts(s, " untaken");
                color = DIM;
            }
        } else if (ov && ov->runs) {
            double share = (double)ov->edge_runs[e] / (double)ov->runs;
            fz_sbuf_printf(s, " heat-%d", share_bucket(share));
            pw = share >= 0.8 ? "3" : share >= 0.4 ? "2.2" : share > 0 ? "1.4" : "1";
            if (share == 0)
                color = DIM;
        }
        SET(ge, "class", fz_sbuf_str(s));
        if (color)
            SET(ge, "color", color);
        if (pw)
            SET(ge, "penwidth", pw);
        SET(ge, "tailport", compass(tail_side));
        SET(ge, "headport", compass(head_side));
        s->len = 0;
        spline_pos(s, f->lay.pts + 2 * (size_t)oe->first, oe->count, H);
        SET(ge, "pos", fz_sbuf_str(s));
        if (f->route_labels[e].len) {
            if (fz_gv_set_html(f->gv, ge, "label", fz_sbuf_str(&f->route_labels[e])))
                f->oom = 1;
            SET(ge, "lp", fmt_pt(nb, sizeof nb, oe->lx, H - oe->ly));
        }
    }
    return FZ_OK;
}

/* The overlay's legend: a cluster under the lanes with one node per item. */
static int add_legend(flow *f)
{
    double H = f->height;
    char nb[64], nb2[64];
    if (!f->ov)
        return FZ_OK;
    fz_gv_obj *lg = fz_gv_subgraph(f->gv, NULL, "cluster_legend");
    if (!lg)
        return FZ_ENOMEM;
    SET(lg, "id", "legend");
    SET(lg, "class", "legend");
    SET(lg, "label", "Legend");
    snprintf(nb, sizeof nb, "%.2f,%.2f,%.2f,%.2f", 8.0, 8.0, f->width - 8,
             H - f->legend_top - 8 + 8);
    SET(lg, "bb", nb);
    SET(lg, "lp", fmt_pt(nb2, sizeof nb2, 56.0, H - f->legend[0].y));
    SET(lg, "style", "rounded");
    SET(lg, "color", "#999999");
    for (int i = 0; i < f->legend_count; i++) {
        const legend_item *it = &f->legend[i];
        char id[32];
        snprintf(id, sizeof id, "legend-%d", i + 1);
        fz_gv_obj *item = fz_gv_node(f->gv, lg, id);
        if (!item)
            return FZ_ENOMEM;
        SET(item, "id", id);
        SET(item, "class", "legend-item");
        if (it->pw)
            SET(item, "penwidth", it->pw);
        fz_sbuf *s = &f->s;
        s->len = 0;
        fz_text_gv_escape(s, it->text, strlen(it->text), 0);
        SET(item, "label", fz_sbuf_str(s));
        SET(item, "shape", it->shape);
        SET(item, "fillcolor", it->fill);
        SET(item, "color", it->pen);
        SET(item, "fontcolor", it->font);
        SET(item, "width", fmt_in(nb, sizeof nb, it->w));
        SET(item, "height", "0.36");
        SET(item, "pos", fmt_pt(nb, sizeof nb, it->x, H - it->y));
    }
    return FZ_OK;
}

/* The graph as DOT, or drawn by Graphviz in the asked format. */
static int write_output(flow *f, char **out, size_t *len)
{
    if (f->o->format == FZ_RENDER_DOT)
        return fz_gv_write_dot(f->gv, out, len);
    static const char *const gvfmt[] = {"svg", "png", "dot", "pdf", "json"};
    int rc = fz_gv_render(f->gv, "nop2", gvfmt[f->o->format], out, len);
    if (rc == FZ_OK && f->o->format == FZ_RENDER_PDF)
        pdf_fix_date(*out, *len);
    if (rc == FZ_ERENDER)
        snprintf(f->err, f->errsz, "Graphviz: %s", fz_gv_error(f->gv));
    return rc;
}

/* The flow view: measure, lay out, size the drawing, build the cgraph
 * graph, draw it. */
static int build_flow(flow *f, char **out, size_t *len)
{
    int rc = flow_alloc(f);
    if (rc)
        goto out;
    measure_lanes(f);
    measure_nodes(f);
    measure_edges(f);
    measure_loops(f);
    if (measure_failed(f)) {
        rc = FZ_ENOMEM;
        goto out;
    }
    rc = fz_layout_run(f->a, f->o->top_to_bottom, f->lane_count, f->layout_lanes, f->node_count,
                       f->layout_nodes, f->route_count, f->layout_routes, &f->lay);
    if (rc)
        goto out;
    fit_bounding_box(f);
    place_legend(f);
    if ((rc = start_graph(f)) || (rc = add_lanes(f)) || (rc = add_nodes(f)) ||
        (rc = add_routes(f)) || (rc = add_legend(f)))
        goto out;
    if (f->oom || f->s.oom) {
        rc = FZ_ENOMEM;
        goto out;
    }
    rc = write_output(f, out, len);
out:
    flow_fini(f);
    return rc;
}

int fz_render(const fz_graph *g, const fz_render_opts *o, const fz_alloc *alloc, char **out,
              size_t *len, char *err, size_t errsz)
{
    *out = NULL;
    *len = 0;
    if (err && errsz)
        err[0] = '\0';
    if (o->view == FZ_VIEW_SEQUENCE) {
        if (o->format != FZ_RENDER_SVG) {
            snprintf(err, errsz, "the sequence view is drawn as SVG only");
            return FZ_EINVAL;
        }
        return fz_sequence_svg(g, o->overlay, alloc, out, len);
    }
    flow f;
    memset(&f, 0, sizeof(f));
    f.g = g;
    f.o = o;
    f.a = alloc;
    f.err = err;
    f.errsz = errsz;
    fz_sbuf_init(&f.s, alloc);
    int rc = build_flow(&f, out, len);
    if (rc == FZ_ENOMEM && err && errsz && !err[0])
        snprintf(err, errsz, "out of memory");
    fz_gv_free(f.gv);
    fz_sbuf_fini(&f.s);
    return rc;
}
