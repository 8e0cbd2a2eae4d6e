/* SPDX-License-Identifier: MIT */
/*
 * test_render.c - the flow view: lanes, nodes, shapes, ports, labels, ids
 * and classes, read back from the SVG with libxml2 (XPath), plus the DOT
 * handed to Graphviz, determinism, overlays and the sequence view.
 */
#include "tests/support/support.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "core/diag.h"
#include "core/status.h"
#include "parser/graph.h"
#include "parser/parser.h"
#include "render/overlay.h"
#include "render/render.h"
#include "render/text.h"

/*==========================================================================
 * A workflow built through graph.h's builder (tables in the test)
 *========================================================================*/

typedef struct t_lane {
    const char *id, *label;
} t_lane;
typedef struct t_node {
    const char *id;
    int lane;
    int shape;
    const char *label, *owner, *system;
} t_node;
typedef struct t_edge {
    const char *src;
    int sdir;
    const char *dst;
    int ddir;
    const char *label;
} t_edge;
typedef struct t_loop {
    const char *cond;
    const char *nodes[4];
} t_loop;

/* Strings go into the graph's source buffer (filled as the graph is built),
 * as the parser's spans do. */
#define SRC_CAP 65536
static char *src_buf;
static uint32_t src_used;

static fz_span pool(fz_graph *g, const char *s)
{
    (void)g;
    uint32_t n = (uint32_t)strlen(s);
    assert_true(src_used + n + 1 < SRC_CAP);
    memcpy(src_buf + src_used, s, n);
    fz_span sp = {src_used, n};
    src_used += n + 1;
    return sp;
}

static fz_graph *build(const t_lane *lanes, const t_node *nodes, const t_edge *edges,
                       const t_loop *loops, const fz_alloc *a)
{
    fz_graph *g = NULL;
    assert_int_equal(fz_graph_new(a, &g), 0);
    src_buf = fz_calloc(a, 1, SRC_CAP);
    src_used = 0;
    assert_non_null(src_buf);
    assert_int_equal(fz_graph_set_source(g, "built.fz", src_buf, SRC_CAP - 1, src_buf, SRC_CAP), 0);
    for (int i = 0; lanes[i].id; i++) {
        uint32_t idx;
        fz_span id = pool(g, lanes[i].id), label = pool(g, lanes[i].label);
        assert_int_equal(fz_graph_add_lane(g, id, label, 1, 0, &idx), 0);
    }
    for (int i = 0; nodes[i].id; i++) {
        uint32_t idx, at;
        fz_span id = pool(g, nodes[i].id), label = pool(g, nodes[i].label);
        assert_int_equal(fz_graph_node_ref(g, id, 0, &idx), 0);
        uint32_t first = g->attrs.len;
        uint16_t count = 0;
        assert_int_equal(fz_graph_add_attr(g, pool(g, "label"), label, 0, 0, &at), 0);
        count++;
        if (nodes[i].owner) {
            assert_int_equal(
                fz_graph_add_attr(g, pool(g, "owner"), pool(g, nodes[i].owner), 0, 0, &at), 0);
            count++;
        }
        if (nodes[i].system) {
            assert_int_equal(
                fz_graph_add_attr(g, pool(g, "system"), pool(g, nodes[i].system), 0, 0, &at), 0);
            count++;
        }
        fz_node *n = fz_graph_node(g, idx);
        n->lane = (uint32_t)nodes[i].lane;
        n->shape = (uint8_t)nodes[i].shape;
        n->label = label;
        n->flags |= FZ_NODE_DEFINED;
        n->attr_first = first;
        n->attr_count = count;
    }
    for (int i = 0; edges[i].src; i++) {
        uint32_t s = fz_graph_find_node(g, edges[i].src, strlen(edges[i].src));
        uint32_t d = fz_graph_find_node(g, edges[i].dst, strlen(edges[i].dst));
        assert_int_not_equal(s, FZ_NONE);
        assert_int_not_equal(d, FZ_NONE);
        fz_span label = {0, 0};
        if (edges[i].label)
            label = pool(g, edges[i].label);
        fz_edge *e = fz_graph_add_edge(g);
        assert_non_null(e);
        e->src = s;
        e->dst = d;
        e->src_dir = (uint8_t)edges[i].sdir;
        e->dst_dir = (uint8_t)edges[i].ddir;
        e->label = label;
        e->lane = fz_graph_node(g, s)->lane;
        if (edges[i].label)
            e->flags |= FZ_EDGE_LABELLED;
    }
    for (int i = 0; loops && loops[i].cond; i++) {
        fz_span cond = pool(g, loops[i].cond);
        fz_loop *lp = fz_graph_add_loop(g);
        assert_non_null(lp);
        lp->cond = cond;
        for (int k = 0; loops[i].nodes[k]; k++) {
            uint32_t v = fz_graph_find_node(g, loops[i].nodes[k], strlen(loops[i].nodes[k]));
            assert_int_equal(fz_graph_add_loop_node(g, v), 0);
            fz_graph_loop(g, fz_graph_loop_count(g) - 1)->node_count++;
        }
    }
    assert_int_equal(fz_graph_finish(g), 0);
    return g;
}

enum { L = FZ_DIR_LEFT, R = FZ_DIR_RIGHT, T = FZ_DIR_TOP, B = FZ_DIR_BOTTOM };
enum {
    CIR = FZ_SHAPE_CIRCLE,
    REC = FZ_SHAPE_RECTANGLE,
    DIA = FZ_SHAPE_DIAMOND,
    TSK = FZ_SHAPE_TASKBOX
};

/* workflows/canary-deploy.fz, as tables. */
static const t_lane canary_lanes[] = {{"Deployment", "Deployment Pipeline"},
                                      {"CanaryController", "Canary Controller"},
                                      {"Monitoring", "Monitoring"},
                                      {NULL, NULL}};
static const t_node canary_nodes[] = {
    {"n1", 0, CIR, "Start", 0, 0},
    {"n2", 0, REC, "Build container image", 0, 0},
    {"n3", 0, REC, "Push to registry", 0, 0},
    {"n4", 0, REC, "Complete rollout", 0, 0},
    {"n5", 0, CIR, "End", 0, 0},
    {"n6", 1, REC, "Deploy to 5% of pods", 0, 0},
    {"n7", 1, REC, "Configure traffic split", 0, 0},
    {"n8", 1, REC, "Wait observation period", 0, 0},
    {"n9", 1, DIA, "Metrics healthy?", 0, 0},
    {"n10", 1, REC, "Increase to 25%", 0, 0},
    {"n11", 1, REC, "Rollback canary", 0, 0},
    {"n12", 1, DIA, "Still healthy?", 0, 0},
    {"n13", 1, REC, "Increase to 50%", 0, 0},
    {"n14", 1, REC, "Full rollout 100%", 0, 0},
    {"n15", 2, REC, "Track error rate", 0, 0},
    {"n16", 2, REC, "Measure latency p99", 0, 0},
    {"n17", 2, REC, "Check resource usage", 0, 0},
    {"n18", 2, DIA, "All metrics pass?", 0, 0},
    {"n19", 2, REC, "Mark deployment success", 0, 0},
    {"n20", 2, REC, "Trigger automatic rollback", 0, 0},
    {NULL, 0, 0, NULL, 0, 0},
};
static const t_edge canary_edges[] = {
    {"n1", R, "n2", L, NULL},
    {"n2", R, "n3", L, NULL},
    {"n3", B, "n6", T, "Deploy canary"},
    {"n4", R, "n5", L, NULL},
    {"n6", R, "n7", L, NULL},
    {"n7", R, "n8", L, NULL},
    {"n8", R, "n9", L, NULL},
    {"n9", R, "n10", L, "Yes"},
    {"n9", B, "n11", T, "No"},
    {"n10", R, "n12", L, NULL},
    {"n11", T, "n4", B, "Aborted"},
    {"n12", R, "n13", L, "Yes"},
    {"n12", B, "n11", T, "No"},
    {"n13", R, "n14", L, NULL},
    {"n14", B, "n15", T, "Monitor"},
    {"n15", R, "n16", L, NULL},
    {"n16", R, "n17", L, NULL},
    {"n17", R, "n18", L, NULL},
    {"n18", R, "n19", L, "Yes"},
    {"n18", B, "n20", T, "No"},
    {"n19", T, "n4", B, "Success"},
    {"n20", T, "n4", B, "Rolled back"},
    {NULL, 0, NULL, 0, NULL},
};

static fz_graph *canary(void)
{
    return build(canary_lanes, canary_nodes, canary_edges, NULL, NULL);
}

/*==========================================================================
 * SVG helpers (libxml2 + XPath)
 *========================================================================*/

typedef struct svg {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
} svg;

static void svg_open(svg *s, const char *data, size_t len)
{
    s->doc = xmlReadMemory(data, (int)len, "out.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    assert_non_null(s->doc);
    s->xp = xmlXPathNewContext(s->doc);
    assert_non_null(s->xp);
    xmlXPathRegisterNs(s->xp, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
}

static void svg_close(svg *s)
{
    xmlXPathFreeContext(s->xp);
    xmlFreeDoc(s->doc);
}

static int svg_count(svg *s, const char *xpath)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xpath, s->xp);
    assert_non_null(r);
    int n = r->nodesetval ? r->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(r);
    return n;
}

/* String value of an XPath expression (caller frees with free()). */
static char *svg_string(svg *s, const char *xpath)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xpath, s->xp);
    assert_non_null(r);
    xmlChar *v = xmlXPathCastToString(r);
    char *out = strdup((const char *)v);
    xmlFree(v);
    xmlXPathFreeObject(r);
    return out;
}

static void render(const fz_graph *g, const fz_render_opts *o, char **out, size_t *len)
{
    char err[256];
    int rc = fz_render(g, o, NULL, out, len, err, sizeof(err));
    if (rc)
        fail_msg("render failed: %s (%s)", fz_strerror(rc), err);
}

/* The first point of an edge path "M x,y C ..." and its last point. */
static void path_ends(svg *s, const char *eid, double *x0, double *y0)
{
    char q[128];
    snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:path/@d)", eid);
    char *d = svg_string(s, q);
    assert_int_equal(sscanf(d, "M%lf,%lf", x0, y0), 2);
    free(d);
}

/* Bounding box of a node's outline (polygon points, path or ellipse). */
static void node_box(svg *s, const char *nid, double *x0, double *y0, double *x1, double *y1)
{
    char q[160];
    *x0 = *y0 = 1e18;
    *x1 = *y1 = -1e18;
    snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:ellipse/@cx)", nid);
    char *cx = svg_string(s, q);
    if (cx[0]) {
        snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:ellipse/@cy)", nid);
        char *cy = svg_string(s, q);
        snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:ellipse/@rx)", nid);
        char *rx = svg_string(s, q);
        snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:ellipse/@ry)", nid);
        char *ry = svg_string(s, q);
        *x0 = atof(cx) - atof(rx);
        *x1 = atof(cx) + atof(rx);
        *y0 = atof(cy) - atof(ry);
        *y1 = atof(cy) + atof(ry);
        free(cy);
        free(rx);
        free(ry);
        free(cx);
        return;
    }
    free(cx);
    snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:polygon/@points | //s:g[@id='%s']/s:path/@d)",
             nid, nid);
    char *pts = svg_string(s, q);
    const char *p = pts;
    while (*p) {
        while (*p && !(*p == '-' || (*p >= '0' && *p <= '9')))
            p++;
        if (!*p)
            break;
        char *end;
        double x = strtod(p, &end);
        if (*end != ',')
            break;
        double y = strtod(end + 1, &end);
        p = end;
        *x0 = fmin(*x0, x);
        *x1 = fmax(*x1, x);
        *y0 = fmin(*y0, y);
        *y1 = fmax(*y1, y);
    }
    free(pts);
}

/* 1 when (x, y) lies on the outline of node box x0..y1 of the given shape,
 * on the side named by dir: ports may be spread along a side, so the point
 * need not be the side's middle, but it must be on the outline and within
 * that side's sector. */
static int on_side(int shape, int dir, double x0, double y0, double x1, double y1, double x,
                   double y)
{
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hw = (x1 - x0) / 2, hh = (y1 - y0) / 2;
    double u = (x - cx) / hw, v = (y - cy) / hh;
    int sector;
    switch (dir) {
    case FZ_DIR_RIGHT:
        sector = u > fabs(v) * 0.5;
        break;
    case FZ_DIR_LEFT:
        sector = -u > fabs(v) * 0.5;
        break;
    case FZ_DIR_TOP:
        sector = -v > fabs(u) * 0.5;
        break;
    default:
        sector = v > fabs(u) * 0.5;
        break;
    }
    if (!sector)
        return 0;
    switch (shape) {
    case FZ_SHAPE_CIRCLE:
        return fabs(u * u + v * v - 1) < 0.06;
    case FZ_SHAPE_DIAMOND:
        return fabs(fabs(u) + fabs(v) - 1) < 0.06;
    default:
        if (dir == FZ_DIR_RIGHT || dir == FZ_DIR_LEFT)
            return fabs(fabs(x - cx) - hw) < 1.5 && y > y0 && y < y1;
        return fabs(fabs(y - cy) - hh) < 1.5 && x > x0 && x < x1;
    }
}

/*==========================================================================
 * Tests
 *========================================================================*/

static void test_render_canary_has_three_lanes_in_file_order_with_titles(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {0};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[contains(concat(' ', @class, ' '), ' lane ')]"), 3);
    char *first = svg_string(&s, "string((//s:g[contains(@class,'lane ')])[1]/@id)");
    assert_string_equal(first, "lane-Deployment");
    free(first);
    char *title = svg_string(&s, "string(//s:g[@id='lane-CanaryController']/s:text)");
    assert_string_equal(title, "Canary Controller");
    free(title);
    title = svg_string(&s, "string(//s:g[@id='lane-Deployment']/s:text)");
    assert_string_equal(title, "Deployment Pipeline");
    free(title);
    /* Lanes are horizontal bands stacked in file order (LR). */
    double y[3];
    const char *ids[] = {"lane-Deployment", "lane-CanaryController", "lane-Monitoring"};
    for (int i = 0; i < 3; i++) {
        double x0, y0, x1, y1;
        node_box(&s, ids[i], &x0, &y0, &x1, &y1);
        y[i] = y0;
        assert_true(x1 - x0 > y1 - y0);
    }
    assert_true(y[0] < y[1] && y[1] < y[2]);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_canary_nodes_carry_ids_shapes_and_stay_in_their_lane(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {0};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'node')]"), 20);
    for (uint32_t v = 0; v < fz_graph_node_count(g); v++) {
        const fz_node *n = fz_graph_node(g, v);
        char q[256];
        const char *lane = fz_graph_text(g, fz_graph_lane(g, n->lane)->id);
        snprintf(
            q, sizeof q,
            "//s:g[@id='%.*s' and contains(@class,'shape-%s') and contains(@class,'lane-%.*s')]",
            (int)n->id.len, fz_graph_text(g, n->id), fz_shape_name((fz_shape)n->shape),
            (int)fz_graph_lane(g, n->lane)->id.len, lane);
        assert_int_equal(svg_count(&s, q), 1);
        /* Inside its lane's band. */
        char nid[16], lid[64];
        snprintf(nid, sizeof nid, "%.*s", (int)n->id.len, fz_graph_text(g, n->id));
        snprintf(lid, sizeof lid, "lane-%.*s", (int)fz_graph_lane(g, n->lane)->id.len, lane);
        double a0, b0, a1, b1, c0, d0, c1, d1;
        node_box(&s, nid, &a0, &b0, &a1, &b1);
        node_box(&s, lid, &c0, &d0, &c1, &d1);
        assert_true(a0 >= c0 && a1 <= c1 && b0 >= d0 && b1 <= d1);
    }
    /* Shapes as drawn: circles are ellipses, diamonds 4-point polygons. */
    assert_int_equal(svg_count(&s, "//s:g[@id='n1']/s:ellipse"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n9']/s:polygon"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:path"), 1); /* rounded box */
    char *lab = svg_string(&s, "string(//s:g[@id='n6']/s:text)");
    assert_string_equal(lab, "Deploy to 5% of pods");
    free(lab);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_handles_become_ports_on_the_named_sides(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {0};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'edge')]"), 22);
    for (uint32_t e = 0; e < fz_graph_edge_count(g); e++) {
        const fz_edge *ed = fz_graph_edge(g, e);
        char eid[16], nid[16], q[160];
        snprintf(eid, sizeof eid, "e%u", e + 1);
        snprintf(q, sizeof q,
                 "//s:g[@id='%s' and contains(@class,'from-%s') and contains(@class,'to-%s')]", eid,
                 fz_dir_name((fz_dir)ed->src_dir), fz_dir_name((fz_dir)ed->dst_dir));
        assert_int_equal(svg_count(&s, q), 1);
        const fz_node *n = fz_graph_node(g, ed->src);
        snprintf(nid, sizeof nid, "%.*s", (int)n->id.len, fz_graph_text(g, n->id));
        double x, y, x0, y0, x1, y1;
        path_ends(&s, eid, &x, &y);
        node_box(&s, nid, &x0, &y0, &x1, &y1);
        assert_true(on_side(n->shape, ed->src_dir, x0, y0, x1, y1, x, y));
    }
    /* Edge labels are drawn on the edge. */
    char *lab = svg_string(&s, "string(//s:g[@id='e3']//s:text)");
    assert_string_equal(lab, "Deploy canary");
    free(lab);
    assert_int_equal(svg_count(&s, "//s:g[@id='e11' and contains(@class,'cross-lane')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='e1' and contains(@class,'in-lane')]"), 1);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_dot_is_deterministic_and_names_ports(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {.format = FZ_RENDER_DOT};
    char *a, *b, *c, *d;
    size_t la, lb, lc, ld;
    render(g, &o, &a, &la);
    render(g, &o, &b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_non_null(strstr(a, "n3:s -> n6:n"));
    assert_non_null(strstr(a, "n11:n -> n4:s"));
    assert_non_null(strstr(a, "subgraph cluster_Deployment"));
    fz_test_golden("tests/golden/render/canary-deploy.render.dot", a, la);
    o.format = FZ_RENDER_SVG;
    render(g, &o, &c, &lc);
    render(g, &o, &d, &ld);
    assert_int_equal(lc, ld);
    assert_memory_equal(c, d, lc);
    fz_free(NULL, a, la + 1);
    fz_free(NULL, b, lb + 1);
    fz_free(NULL, c, lc + 1);
    fz_free(NULL, d, ld + 1);
    fz_graph_free(g);
}

static void test_render_taskbox_is_a_record_with_owner_and_system(void **state)
{
    (void)state;
    static const t_lane lanes[] = {{"Ops", "Operations / On-call (24h)"}, {NULL, NULL}};
    static const t_node nodes[] = {
        {"n1", 0, CIR, "Start", 0, 0},
        {"n2", 0, TSK, "Review change|Check diff|Approve", "alice", "GitHub"},
        {"n3", 0, REC, "A very long label that must wrap over several lines instead of stretching",
         0, 0},
        {"n4", 0, CIR, "End", 0, 0},
        {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {{"n1", R, "n2", L, NULL},
                                   {"n2", R, "n3", L, "< $50K & \"ok\""},
                                   {"n3", R, "n4", L, NULL},
                                   {"n3", B, "n2", B, "retry"},
                                   {NULL, 0, NULL, 0, NULL}};
    static const t_loop loops[] = {{"until approved (max 3)", {"n2", "n3", NULL}}, {NULL, {NULL}}};
    fz_graph *g = build(lanes, nodes, edges, loops, NULL);
    fz_render_opts o = {0};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2' and contains(@class,'shape-taskbox')]"), 1);
    /* Fields: three parts, owner and system. */
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:text"), 5);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:text[.='owner: alice']"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:text[.='system: GitHub']"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:polyline"), 4);
    /* The long label wraps onto several lines and the node stays narrow. */
    assert_true(svg_count(&s, "//s:g[@id='n3']/s:text") >= 3);
    double x0, y0, x1, y1;
    node_box(&s, "n3", &x0, &y0, &x1, &y1);
    assert_true(x1 - x0 < 200);
    /* Special characters survive escaping. */
    char *lab = svg_string(&s, "string(//s:g[@id='e2']//s:text)");
    assert_string_equal(lab, "< $50K & \"ok\"");
    free(lab);
    /* The loop is a dashed back-edge labelled with its condition. */
    assert_int_equal(
        svg_count(&s, "//s:g[@id='loop1' and contains(@class,'loop')]/s:path[@stroke-dasharray]"),
        1);
    assert_int_equal(svg_count(&s, "//s:g[@id='loop1']//s:text[contains(.,'until approved')]"), 1);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_top_to_bottom_turns_lanes_into_columns(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {.top_to_bottom = 1};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    double x[3];
    const char *ids[] = {"lane-Deployment", "lane-CanaryController", "lane-Monitoring"};
    for (int i = 0; i < 3; i++) {
        double x0, y0, x1, y1;
        node_box(&s, ids[i], &x0, &y0, &x1, &y1);
        x[i] = x0;
        assert_true(y1 - y0 > x1 - x0);
    }
    assert_true(x[0] < x[1] && x[1] < x[2]);
    /* n1 -> n2 still leaves n1 from its east side. */
    double px, py, a0, b0, a1, b1;
    path_ends(&s, "e1", &px, &py);
    node_box(&s, "n1", &a0, &b0, &a1, &b1);
    assert_true(fabs(px - a1) < 1.5);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static const char canary_trace[] =
    "{\"ev\":\"run\",\"run\":\"r1\",\"workflow\":\"canary-deploy.fz\",\"hash\":\"x\",\"backend\":"
    "\"sim\"}\n"
    "{\"ev\":\"start\",\"t\":0,\"task\":1,\"node\":\"n1\",\"lane\":\"Deployment\",\"label\":"
    "\"Start\",\"token\":1,\"attempt\":1}\n"
    "{\"ev\":\"finish\",\"t\":1,\"task\":1,\"node\":\"n1\",\"answer\":\"ok\",\"ms\":1}\n"
    "{\"ev\":\"edge\",\"t\":1,\"edge\":\"e1\",\"from\":\"n1\",\"to\":\"n2\",\"token\":1}\n"
    "{\"ev\":\"start\",\"t\":1,\"task\":2,\"node\":\"n2\",\"token\":1,\"attempt\":1}\n"
    "{\"ev\":\"edge\",\"t\":2,\"edge\":\"e2\",\"from\":\"n2\",\"to\":\"n3\",\"token\":1}\n"
    "{\"ev\":\"start\",\"t\":2,\"task\":3,\"node\":\"n3\",\"token\":1,\"attempt\":1}\n"
    "\n"
    "{\"ev\":\"edge\",\"t\":3,\"edge\":\"e3\",\"from\":\"n3\",\"to\":\"n6\",\"label\":\"Deploy "
    "canary\",\"token\":1}\n"
    "{\"ev\":\"start\",\"t\":3,\"task\":4,\"node\":\"n6\",\"token\":1,\"attempt\":1}\n"
    "{\"ev\":\"start\",\"t\":4,\"task\":5,\"node\":\"n6\",\"token\":1,\"attempt\":2,\"future\":"
    "true}\n"
    "{\"ev\":\"end\",\"t\":9,\"state\":\"completed\",\"outcome\":\"End via "
    "Success\",\"steps\":5}\n";

static void test_render_trace_highlights_path_with_visit_counts(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_overlay *ov = NULL;
    char err[256];
    assert_int_equal(fz_overlay_trace_mem(g, "t.jsonl", canary_trace, strlen(canary_trace), NULL,
                                          &ov, err, sizeof err),
                     0);
    assert_int_equal(ov->node_visits[5], 2); /* n6 started twice */
    assert_int_equal(ov->norder, 3);
    assert_string_equal(ov->state, "completed");
    fz_render_opts o = {.overlay = ov};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(
        svg_count(&s, "//s:g[contains(@class,'node') and contains(@class,' visited')]"), 4);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'edge') and contains(@class,' taken')]"),
                     3);
    assert_int_equal(svg_count(&s, "//s:g[@id='n6']/s:text[.='\xC3\x97"
                                   "2']"),
                     1);
    assert_int_equal(svg_count(&s, "//s:g[@id='legend']"), 1);
    char *lab = svg_string(&s, "string(//s:g[@id='e3']//s:text)");
    assert_string_equal(lab, "Deploy canary \xC3\x97"
                             "1");
    free(lab);
    svg_close(&s);
    fz_free(NULL, out, len + 1);

    /* The sequence view follows the trace's order. */
    o.view = FZ_VIEW_SEQUENCE;
    render(g, &o, &out, &len);
    svg_open(&s, out, len);
    char *first = svg_string(&s, "string((//s:g[contains(@class,'edge')])[1]/@id)");
    assert_string_equal(first, "e1");
    free(first);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'message')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'note')]"), 2);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_overlay_free(ov);
    fz_graph_free(g);
}

static void test_render_trace_naming_unknown_ids_is_refused_with_its_line(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_overlay *ov = NULL;
    char err[256];
    const char *bad = "{\"ev\":\"run\"}\n{\"ev\":\"start\",\"node\":\"n99\"}\n";
    assert_int_equal(
        fz_overlay_trace_mem(g, "t.jsonl", bad, strlen(bad), NULL, &ov, err, sizeof err),
        FZ_EPARSE);
    assert_null(ov);
    assert_non_null(strstr(err, "t.jsonl:2:"));
    assert_non_null(strstr(err, "n99"));
    const char *bad2 = "{\"ev\":\"edge\",\"edge\":\"e23\"}\n";
    assert_int_equal(
        fz_overlay_trace_mem(g, "t.jsonl", bad2, strlen(bad2), NULL, &ov, err, sizeof err),
        FZ_EPARSE);
    assert_non_null(strstr(err, "e23"));
    const char *bad3 = "{\"ev\":\"start\",\"node\":\"n1\"\n";
    assert_int_equal(
        fz_overlay_trace_mem(g, "t.jsonl", bad3, strlen(bad3), NULL, &ov, err, sizeof err),
        FZ_EPARSE);
    assert_non_null(strstr(err, "t.jsonl:1:"));
    fz_graph_free(g);
}

static const char canary_heat[] =
    "{\"runs\": 1000,\n"
    " \"nodes\": {\"n1\": {\"visits\": 1000, \"runs\": 1000, \"failures\": 0},\n"
    "           \"n9\": {\"visits\": 1300, \"runs\": 1000, \"failures\": 120},\n"
    "           \"n11\": {\"visits\": 90, \"runs\": 90, \"failures\": 0}},\n"
    " \"edges\": {\"e1\": {\"traversals\": 1000, \"runs\": 1000},\n"
    "           \"e9\": {\"traversals\": 90, \"runs\": 90}},\n"
    " \"outcomes\": []}\n";

static void test_render_heat_colours_nodes_and_labels_edge_shares(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_overlay *ov = NULL;
    char err[256];
    assert_int_equal(fz_overlay_heat_mem(g, "h.json", canary_heat, strlen(canary_heat), NULL, &ov,
                                         err, sizeof err),
                     0);
    fz_render_opts o = {.overlay = ov};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[@id='n1' and contains(@class,'heat-4')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n11' and contains(@class,'heat-0')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n9' and contains(@class,'failing')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n9']/s:text[contains(.,'fail 9.2%')]"), 1);
    char *lab = svg_string(&s, "string(//s:g[@id='e9']//s:text)");
    assert_string_equal(lab, "No 9%");
    free(lab);
    lab = svg_string(&s, "string(//s:g[@id='e1']//s:text)");
    assert_string_equal(lab, "100%");
    free(lab);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'legend-item')]"), 8);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_overlay_free(ov);

    const char *bad = "{\"runs\": 5, \"nodes\": {\"n77\": {\"visits\": 1}}}";
    assert_int_equal(fz_overlay_heat_mem(g, "h.json", bad, strlen(bad), NULL, &ov, err, sizeof err),
                     FZ_EPARSE);
    assert_non_null(strstr(err, "n77"));
    /* Counts that are no counts: a real too big for an integer (fuzz.overlay
     * found 5.5e123, whose conversion was undefined), a fraction, a sign. */
    static const char *const not_counts[] = {
        "{\"runs\": 5555555555555555555555555555555555555555550.0}",
        "{\"runs\": 1e300}",
        "{\"runs\": 18446744073709551616.0}",
        "{\"runs\": 2.5}",
        "{\"runs\": -1}",
        "{\"runs\": 10, \"nodes\": {\"n3\": {\"visits\": 1e19}}}",
        "{\"runs\": 10, \"edges\": {\"e1\": {\"traversals\": 9.1e18}}}",
    };
    for (size_t i = 0; i < sizeof not_counts / sizeof *not_counts; i++) {
        err[0] = 0;
        assert_int_equal(fz_overlay_heat_mem(g, "h.json", not_counts[i], strlen(not_counts[i]),
                                             NULL, &ov, err, sizeof err),
                         FZ_EPARSE);
        assert_null(ov);
        assert_non_null(strstr(err, "h.json"));
    }
    const char *whole = "{\"runs\": 4.0, \"nodes\": {\"n3\": {\"visits\": 2.0}}}";
    assert_int_equal(
        fz_overlay_heat_mem(g, "h.json", whole, strlen(whole), NULL, &ov, err, sizeof err), FZ_OK);
    fz_overlay_free(ov);
    fz_graph_free(g);
}

static void test_render_sequence_view_has_lifelines_messages_and_notes(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {.view = FZ_VIEW_SEQUENCE};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'lifeline')]"), 3);
    /* Cross-lane edges: e3 e11 e15 e21 e22 (the file's hand-offs). */
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'message')]"), 5);
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'note')]"), 17);
    /* Messages run top to bottom in file order. */
    char *ids = svg_string(&s, "string((//s:g[contains(@class,'message')])[1]/@id)");
    assert_string_equal(ids, "e3");
    free(ids);
    ids = svg_string(&s, "string((//s:g[contains(@class,'message')])[5]/@id)");
    assert_string_equal(ids, "e22");
    free(ids);
    svg_close(&s);
    o.format = FZ_RENDER_PNG;
    char err[128];
    char *x = NULL;
    size_t lx = 0;
    assert_int_equal(fz_render(g, &o, NULL, &x, &lx, err, sizeof err), FZ_EINVAL);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

/* Whatever bytes reach the renderer (the parser refuses invalid UTF-8 with
 * E027; a graph built otherwise may still hold them), the SVG of both views
 * is well-formed XML: invalid bytes and U+FFFE/U+FFFF become U+FFFD,
 * control characters spaces. */
static void test_render_hostile_label_bytes_still_give_well_formed_svg(void **state)
{
    (void)state;
    static const t_lane lanes[] = {{"Ops", "Op\xe9rations \xef\xbf\xbf"}, {NULL, NULL}};
    static const t_node nodes[] = {
        {"n1", 0, CIR, "Start \x01 \xef\xbf\xbe", 0, 0},
        {"n2", 0, REC, "Deploy \xff\xfe \x1b[31m <b>&amp; \xc0\xaf \xed\xa0\x80", 0, 0},
        {"n3", 0, TSK, "Task \x7f", "own\xe9r", "sys{tem}\x80"},
        {"n4", 0, CIR, "End \xe2\x82", 0, 0},
        {NULL, 0, 0, NULL, 0, 0},
    };
    static const t_edge edges[] = {
        {"n1", R, "n2", L, "go \xef\xbf\xbf\xff"},
        {"n2", R, "n3", L, NULL},
        {"n3", R, "n4", L, "\x02"},
        {NULL, 0, NULL, 0, NULL},
    };
    static const t_loop loops[] = {{"retry \xff 3 times", {"n2", "n3", NULL}}, {NULL, {NULL}}};
    fz_graph *g = build(lanes, nodes, edges, loops, NULL);
    for (int view = 0; view < 2; view++) {
        fz_render_opts o = {.view = view ? FZ_VIEW_SEQUENCE : FZ_VIEW_FLOW};
        char *out;
        size_t len;
        render(g, &o, &out, &len);
        svg s;
        svg_open(&s, out, len); /* asserts that libxml2 reads it */
        assert_null(memchr(out, '\x1b', len));
        assert_null(strstr(out, "\xef\xbf\xbf"));
        assert_non_null(strstr(out, "\xef\xbf\xbd"));
        svg_close(&s);
        fz_free(NULL, out, len + 1);
    }
    fz_graph_free(g);
}

static void test_render_png_is_a_png(void **state)
{
    (void)state;
    fz_graph *g = canary();
    fz_render_opts o = {.format = FZ_RENDER_PNG};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    assert_true(len > 1000);
    assert_memory_equal(out, "\x89PNG\r\n\x1a\n", 8);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_leaves_no_allocation_behind(void **state)
{
    (void)state;
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_graph *g = build(canary_lanes, canary_nodes, canary_edges, NULL, &ta.hook);
    fz_render_opts o = {0};
    char *out;
    size_t len;
    char err[128];
    assert_int_equal(fz_render(g, &o, &ta.hook, &out, &len, err, sizeof err), 0);
    fz_free(&ta.hook, out, len + 1);
    o.view = FZ_VIEW_SEQUENCE;
    assert_int_equal(fz_render(g, &o, &ta.hook, &out, &len, err, sizeof err), 0);
    fz_free(&ta.hook, out, len + 1);
    fz_graph_free(g);
    assert_int_equal(ta.live, 0);
}

static void test_render_out_of_memory_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    fz_graph *g = canary();
    for (int view = 0; view < 2; view++) {
        for (uint64_t n = 1;; n++) {
            fz_test_alloc ta;
            fz_test_alloc_init(&ta, n);
            fz_render_opts o = {.view = (fz_render_view)view, .format = FZ_RENDER_DOT};
            if (view)
                o.format = FZ_RENDER_SVG;
            char *out = NULL;
            size_t len = 0;
            char err[128];
            int rc = fz_render(g, &o, &ta.hook, &out, &len, err, sizeof err);
            if (rc == 0) {
                fz_free(&ta.hook, out, len + 1);
                assert_int_equal(ta.live, 0);
                assert_int_equal(ta.injected, 0);
                break;
            }
            assert_int_equal(rc, FZ_ENOMEM);
            assert_null(out);
            assert_int_equal(ta.live, 0);
        }
    }
    fz_graph_free(g);
}

/*==========================================================================
 * Real files: the canary and every .fz file in workflows/
 *========================================================================*/

static fz_graph *load(const char *path)
{
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_file(path, NULL, &d, &g);
    if (rc || d.errors)
        fail_msg("%s does not parse (%s, %u errors)", path, fz_strerror(rc), d.errors);
    fz_diags_fini(&d);
    return g;
}

/* Everything the flow view must show of g, checked in its SVG. */
static void check_flow_svg(const fz_graph *g, const char *name, const char *data, size_t len)
{
    svg s;
    svg_open(&s, data, len);
    char q[512];
    /* One band per lane, in file order, titled with the display label. */
    assert_int_equal(svg_count(&s, "//s:g[contains(concat(' ', @class, ' '), ' lane ')]"),
                     (int)fz_graph_lane_count(g));
    for (uint32_t l = 0; l < fz_graph_lane_count(g); l++) {
        const fz_lane *lane = fz_graph_lane(g, l);
        snprintf(q, sizeof q,
                 "string((//s:g[contains(concat(' ', @class, ' '), ' lane ')])[%u]/@id)", l + 1);
        char *id = svg_string(&s, q);
        char want[128];
        snprintf(want, sizeof want, "lane-%.*s", (int)lane->id.len, fz_graph_text(g, lane->id));
        if (strcmp(id, want) != 0)
            fail_msg("%s: lane %u is %s, expected %s", name, l + 1, id, want);
        free(id);
        /* The title's lines join to the display label. */
        snprintf(q, sizeof q, "//s:g[@id='%s']/s:text", want);
        xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST q, s.xp);
        char joined[256] = "";
        for (int i = 0; r->nodesetval && i < r->nodesetval->nodeNr; i++) {
            xmlChar *t = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
            size_t k = strlen(joined);
            snprintf(joined + k, sizeof joined - k, "%s%s", i ? " " : "", (const char *)t);
            xmlFree(t);
        }
        xmlXPathFreeObject(r);
        char label[256];
        snprintf(label, sizeof label, "%.*s", (int)lane->label.len, fz_graph_text(g, lane->label));
        if (strcmp(joined, label) != 0)
            fail_msg("%s: lane %s titled '%s', expected '%s'", name, want, joined, label);
    }
    /* Every node, with its shape, kind and lane classes, inside its band. */
    assert_int_equal(svg_count(&s, "//s:g[contains(concat(' ', @class, ' '), ' node ')]"),
                     (int)fz_graph_node_count(g));
    for (uint32_t v = 0; v < fz_graph_node_count(g); v++) {
        const fz_node *n = fz_graph_node(g, v);
        const fz_lane *lane = fz_graph_lane(g, n->lane);
        char nid[64], lid[128];
        snprintf(nid, sizeof nid, "%.*s", (int)n->id.len, fz_graph_text(g, n->id));
        snprintf(lid, sizeof lid, "lane-%.*s", (int)lane->id.len, fz_graph_text(g, lane->id));
        snprintf(
            q, sizeof q,
            "//s:g[@id='%s' and contains(@class,'shape-%s') and contains(@class,'kind-%s') and "
            "contains(concat(' ', @class, ' '),' %s ')]",
            nid, fz_shape_name((fz_shape)n->shape), fz_kind_name(fz_graph_node_kind(g, v)), lid);
        if (svg_count(&s, q) != 1)
            fail_msg("%s: node %s missing or misclassed", name, nid);
        double a0, b0, a1, b1, c0, d0, c1, d1;
        node_box(&s, nid, &a0, &b0, &a1, &b1);
        node_box(&s, lid, &c0, &d0, &c1, &d1);
        if (!(a0 >= c0 && a1 <= c1 && b0 >= d0 && b1 <= d1))
            fail_msg("%s: node %s is outside its lane %s", name, nid, lid);
        /* Drawn as its shape. */
        static const char *const outline[] = {"s:ellipse", "s:path", "s:polygon", "s:path"};
        snprintf(q, sizeof q, "//s:g[@id='%s']/%s", nid, outline[n->shape & 3]);
        if (svg_count(&s, q) < 1)
            fail_msg("%s: node %s is not drawn as a %s", name, nid,
                     fz_shape_name((fz_shape)n->shape));
    }
    /* Every edge, leaving and entering on its handles' sides, with its label. */
    assert_int_equal(svg_count(&s, "//s:g[contains(concat(' ', @class, ' '), ' flow ')]"),
                     (int)fz_graph_edge_count(g));
    for (uint32_t e = 0; e < fz_graph_edge_count(g); e++) {
        const fz_edge *ed = fz_graph_edge(g, e);
        char eid[16], nid[64];
        snprintf(eid, sizeof eid, "e%u", e + 1);
        snprintf(q, sizeof q,
                 "//s:g[@id='%s' and contains(@class,'from-%s') and contains(@class,'to-%s')]", eid,
                 fz_dir_name((fz_dir)ed->src_dir), fz_dir_name((fz_dir)ed->dst_dir));
        if (svg_count(&s, q) != 1)
            fail_msg("%s: edge %s missing or without its handle classes", name, eid);
        const fz_node *src = fz_graph_node(g, ed->src);
        snprintf(nid, sizeof nid, "%.*s", (int)src->id.len, fz_graph_text(g, src->id));
        double x, y, x0, y0, x1, y1;
        path_ends(&s, eid, &x, &y);
        node_box(&s, nid, &x0, &y0, &x1, &y1);
        int ok = on_side(src->shape, ed->src_dir, x0, y0, x1, y1, x, y);
        if (!ok)
            fail_msg("%s: edge %s does not leave %s from its %s side", name, eid, nid,
                     fz_dir_name((fz_dir)ed->src_dir));
        if (ed->label.len) {
            /* The first word of the label is on the edge. */
            const char *t = fz_graph_text(g, ed->label);
            size_t k = 0;
            while (k < ed->label.len && k < 40 && t[k] != ' ' && t[k] != '\'' && t[k] != '"')
                k++;
            snprintf(q, sizeof q, "//s:g[@id='%s']//s:text[contains(., '%.*s')]", eid, (int)k, t);
            if (svg_count(&s, q) < 1)
                fail_msg("%s: edge %s lacks its label '%.*s'", name, eid, (int)ed->label.len, t);
        }
    }
    /* Loops as dashed back-edges. */
    assert_int_equal(
        svg_count(&s,
                  "//s:g[contains(concat(' ', @class, ' '), ' loop ')]/s:path[@stroke-dasharray]"),
        (int)fz_graph_loop_count(g));
    svg_close(&s);
}

static void test_render_canary_file_matches_its_golden_dot(void **state)
{
    (void)state;
    fz_graph *g = load(fz_test_src("workflows/canary-deploy.fz"));
    fz_render_opts o = {.format = FZ_RENDER_DOT};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    fz_test_golden("tests/golden/render/canary-deploy.render.dot", out, len);
    fz_free(NULL, out, len + 1);
    o.format = FZ_RENDER_SVG;
    render(g, &o, &out, &len);
    check_flow_svg(g, "canary-deploy.fz", out, len);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_every_workflow_file_draws_all_lanes_nodes_and_edges(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fz_test_src("workflows"));
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *de;
    int files = 0;
    char names[256][256];
    while ((de = readdir(dp)) && files < 256) {
        size_t n = strlen(de->d_name);
        if (n > 3 && strcmp(de->d_name + n - 3, ".fz") == 0)
            snprintf(names[files++], sizeof names[0], "%s", de->d_name);
    }
    closedir(dp);
    assert_true(files >= 1);
    for (int i = 0; i < files; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%.1000s/%.255s", dir, names[i]);
        fz_graph *g = load(path);
        for (int tb = 0; tb < 2; tb++) {
            fz_render_opts o = {.top_to_bottom = tb};
            char *out, *again;
            size_t len, len2;
            render(g, &o, &out, &len);
            check_flow_svg(g, names[i], out, len);
            render(g, &o, &again, &len2);
            assert_int_equal(len, len2);
            assert_memory_equal(out, again, len);
            fz_free(NULL, out, len + 1);
            fz_free(NULL, again, len2 + 1);
        }
        fz_render_opts o = {.view = FZ_VIEW_SEQUENCE};
        char *out;
        size_t len;
        render(g, &o, &out, &len);
        svg s;
        svg_open(&s, out, len);
        assert_int_equal(svg_count(&s, "//s:g[contains(@class,'lifeline')]"),
                         (int)fz_graph_lane_count(g));
        assert_int_equal(
            svg_count(&s, "//s:g[contains(@class,'message') or contains(@class,'note')]"),
            (int)fz_graph_edge_count(g));
        svg_close(&s);
        fz_free(NULL, out, len + 1);
        fz_graph_free(g);
    }
}

/*==========================================================================
 * Pictures (issue 10): bounding box, legend, ports spread, word wrap,
 * the sequence view's causal order
 *========================================================================*/

/* Bounding box of the points in the string value of xpath (polygon points
 * or path data); 0 when there are none. */
static int points_box(svg *s, const char *xpath, double *x0, double *y0, double *x1, double *y1)
{
    *x0 = *y0 = 1e18;
    *x1 = *y1 = -1e18;
    char *pts = svg_string(s, xpath);
    const char *p = pts;
    int n = 0;
    while (*p) {
        while (*p && !(*p == '-' || (*p >= '0' && *p <= '9')))
            p++;
        if (!*p)
            break;
        char *end;
        double x = strtod(p, &end);
        if (*end != ',')
            break;
        double y = strtod(end + 1, &end);
        p = end;
        *x0 = fmin(*x0, x);
        *x1 = fmax(*x1, x);
        *y0 = fmin(*y0, y);
        *y1 = fmax(*y1, y);
        n++;
    }
    free(pts);
    return n > 0;
}

/* A heat report for the fan-out: every node and edge in every run, one
 * node failing sometimes. */
static const char fanout_heat[] =
    "{\"runs\": 200, \"nodes\": {\"n1\": {\"visits\": 200, \"runs\": 200, \"failures\": 0},"
    " \"n12\": {\"visits\": 200, \"runs\": 40, \"failures\": 9}},"
    " \"edges\": {\"e1\": {\"traversals\": 200, \"runs\": 200},"
    " \"e2\": {\"traversals\": 200, \"runs\": 200}, \"e3\": {\"traversals\": 200, \"runs\": 200},"
    " \"e4\": {\"traversals\": 200, \"runs\": 200}, \"e5\": {\"traversals\": 200, \"runs\": 200},"
    " \"e11\": {\"traversals\": 200, \"runs\": 200}}, \"outcomes\": []}\n";

/* Every node, every edge label's text and the legend lie inside the
 * drawing; legend items inside the legend and apart from each other. */
static void check_bounding_box(fz_graph *g, const char *name, const fz_render_opts *o)
{
    char *out;
    size_t len;
    render(g, o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    double bx0, by0, bx1, by1;
    assert_true(points_box(&s, "string(//s:g[@id='flowzap']/s:polygon[1]/@points)", &bx0, &by0,
                           &bx1, &by1));
    char q[200];
    for (uint32_t v = 0; v < fz_graph_node_count(g); v++) {
        const fz_node *n = fz_graph_node(g, v);
        char nid[64];
        snprintf(nid, sizeof nid, "%.*s", (int)n->id.len, fz_graph_text(g, n->id));
        double x0, y0, x1, y1;
        node_box(&s, nid, &x0, &y0, &x1, &y1);
        if (x0 < bx0 - 0.5 || x1 > bx1 + 0.5 || y0 < by0 - 0.5 || y1 > by1 + 0.5)
            fail_msg("%s: node %s (%.1f..%.1f) outside the drawing (%.1f..%.1f)", name, nid, x0,
                     x1, bx0, bx1);
    }
    /* Texts of edges and the legend, at their estimated width. */
    xmlXPathObjectPtr r = xmlXPathEvalExpression(
        BAD_CAST "//s:g[contains(@class,'edge') or @id='legend' or "
                 "contains(@class,'legend-item')]/s:text | //s:g[contains(@class,'edge')]//s:text",
        s.xp);
    assert_non_null(r);
    int nt = r->nodesetval ? r->nodesetval->nodeNr : 0;
    for (int i = 0; i < nt; i++) {
        xmlNodePtr t = r->nodesetval->nodeTab[i];
        xmlChar *xs = xmlGetProp(t, BAD_CAST "x"), *c = xmlNodeGetContent(t);
        xmlChar *an = xmlGetProp(t, BAD_CAST "text-anchor");
        double x = atof((const char *)xs);
        double w = fz_text_width((const char *)c, strlen((const char *)c), 10.0);
        double a = an && strcmp((const char *)an, "start") == 0 ? 0
                   : an && strcmp((const char *)an, "end") == 0 ? 1
                                                                 : 0.5;
        xmlFree(an);
        if (x - w * a < bx0 - 0.5 || x + w * (1 - a) > bx1 + 0.5)
            fail_msg("%s: text '%s' at %.1f (width %.1f) outside the drawing (%.1f..%.1f)", name,
                     (const char *)c, x, w, bx0, bx1);
        xmlFree(xs);
        xmlFree(c);
    }
    xmlXPathFreeObject(r);
    if (o->overlay) {
        double lx0, ly0, lx1, ly1;
        assert_true(points_box(&s, "string(//s:g[@id='legend']/s:path/@d)", &lx0, &ly0, &lx1,
                               &ly1));
        assert_true(lx0 >= bx0 && lx1 <= bx1 + 0.5 && ly0 >= by0 && ly1 <= by1 + 0.5);
        int items = svg_count(&s, "//s:g[contains(@class,'legend-item')]");
        double prev_x1 = -1e18, prev_y = -1e18;
        for (int i = 1; i <= items; i++) {
            snprintf(q, sizeof q, "string(//s:g[@id='legend-%d']/s:text[1]/@x)", i);
            char *xs = svg_string(&s, q);
            snprintf(q, sizeof q, "string(//s:g[@id='legend-%d']/s:text[1]/@y)", i);
            char *ys = svg_string(&s, q);
            snprintf(q, sizeof q, "string(//s:g[@id='legend-%d']/s:text[1])", i);
            char *txt = svg_string(&s, q);
            double x = atof(xs), y = atof(ys);
            /* The text, at a browser's wider font, fits the item's box. */
            double w = fz_text_width(txt, strlen(txt), 11.0) * 1.1;
            double ix0 = x - w / 2, ix1 = x + w / 2;
            double px0, py0, px1, py1;
            snprintf(q, sizeof q, "string(//s:g[@id='legend-%d']/s:polygon/@points)", i);
            if (points_box(&s, q, &px0, &py0, &px1, &py1)) {
                if (ix0 < px0 || ix1 > px1)
                    fail_msg("%s: legend text '%s' runs out of its box", name, txt);
                ix0 = px0;
                ix1 = px1;
            }
            if (ix0 < lx0 || ix1 > lx1 || y < ly0 || y > ly1)
                fail_msg("%s: legend item '%s' outside the legend", name, txt);
            if (fabs(y - prev_y) < 1 && ix0 < prev_x1)
                fail_msg("%s: legend item '%s' overlaps the one before it", name, txt);
            prev_x1 = ix1;
            prev_y = y;
            free(xs);
            free(ys);
            free(txt);
        }
    }
    svg_close(&s);
    fz_free(NULL, out, len + 1);
}

static void test_render_bounding_box_holds_nodes_labels_and_legend(void **state)
{
    (void)state;
    fz_graph *g = load(fz_test_src("tests/data/render/fan-out.fz"));
    fz_overlay *ov = NULL;
    char err[256];
    assert_int_equal(fz_overlay_heat_mem(g, "h.json", fanout_heat, strlen(fanout_heat), NULL, &ov,
                                         err, sizeof err),
                     0);
    for (int tb = 0; tb < 2; tb++) {
        fz_render_opts o = {.top_to_bottom = tb};
        check_bounding_box(g, "fan-out", &o);
        o.overlay = ov;
        check_bounding_box(g, "fan-out heat", &o);
    }
    fz_overlay_free(ov);
    fz_graph_free(g);
    /* A narrow picture: the legend's long lines widen it. */
    static const t_lane lanes[] = {{"A", "A"}, {NULL, NULL}};
    static const t_node nodes[] = {{"n1", 0, CIR, "Go", 0, 0}, {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {{NULL, 0, NULL, 0, NULL}};
    g = build(lanes, nodes, edges, NULL, NULL);
    const char *h = "{\"runs\": 123456789, \"nodes\": {}, \"edges\": {}, \"outcomes\": []}";
    assert_int_equal(fz_overlay_heat_mem(g, "h.json", h, strlen(h), NULL, &ov, err, sizeof err), 0);
    fz_render_opts o = {.overlay = ov};
    check_bounding_box(g, "narrow heat", &o);
    fz_overlay_free(ov);
    fz_graph_free(g);
}

/* First (or last) point of edge eid's path. */
static void path_point(svg *s, const char *eid, int last, double *x, double *y)
{
    char q[128];
    snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:path/@d)", eid);
    char *d = svg_string(s, q);
    assert_int_equal(sscanf(d, "M%lf,%lf", x, y), 2);
    if (last) { /* the arrowhead's tip: the polygon's middle point */
        snprintf(q, sizeof q, "string(//s:g[@id='%s']/s:polygon/@points)", eid);
        char *p = svg_string(s, q);
        double ax, ay, bx, by, cx, cy;
        assert_int_equal(sscanf(p, "%lf,%lf %lf,%lf %lf,%lf", &ax, &ay, &bx, &by, &cx, &cy), 6);
        *x = bx;
        *y = by;
        free(p);
    }
    free(d);
}

static void test_render_edges_sharing_a_side_spread_along_it(void **state)
{
    (void)state;
    fz_graph *g = load(fz_test_src("tests/data/render/fan-out.fz"));
    fz_overlay *ov = NULL;
    char err[256];
    assert_int_equal(fz_overlay_heat_mem(g, "h.json", fanout_heat, strlen(fanout_heat), NULL, &ov,
                                         err, sizeof err),
                     0);
    fz_render_opts o = {.overlay = ov};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    /* e1..e11 leave n1's right side; e15..e22 enter n13's bottom. */
    double sx[11], sy[11], lb[11][4];
    for (int i = 0; i < 11; i++) {
        char eid[8], q[160];
        snprintf(eid, sizeof eid, "e%d", i + 1);
        path_point(&s, eid, 0, &sx[i], &sy[i]);
        for (int j = 0; j < i; j++)
            if (fabs(sy[i] - sy[j]) < 4)
                fail_msg("e%d and e%d leave n1 at the same point", j + 1, i + 1);
        /* Labels apart: their white backgrounds do not overlap. */
        snprintf(q, sizeof q, "string(//s:g[@id='%s']//s:polygon[@fill='white' or "
                 "@fill='#ffffff'][1]/@points)", eid);
        assert_true(points_box(&s, q, &lb[i][0], &lb[i][1], &lb[i][2], &lb[i][3]));
        for (int j = 0; j < i; j++)
            if (lb[i][0] < lb[j][2] && lb[j][0] < lb[i][2] && lb[i][1] < lb[j][3] &&
                lb[j][1] < lb[i][3])
                fail_msg("labels of e%d and e%d overlap", j + 1, i + 1);
    }
    double tx[8], ty[8];
    for (int i = 0; i < 8; i++) {
        char eid[8];
        snprintf(eid, sizeof eid, "e%d", i + 15);
        path_point(&s, eid, 1, &tx[i], &ty[i]);
        for (int j = 0; j < i; j++)
            if (fabs(tx[i] - tx[j]) < 4)
                fail_msg("e%d and e%d enter n13 at the same point", j + 15, i + 15);
    }
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_overlay_free(ov);
    fz_graph_free(g);

    /* A loop's back-edge and an edge share a bottom handle: two ports. */
    static const t_lane lanes[] = {{"C", "Client"}, {"S", "Server"}, {NULL, NULL}};
    static const t_node nodes[] = {{"n1", 0, CIR, "Start", 0, 0},
                                   {"n2", 0, REC, "Attempt Payment", 0, 0},
                                   {"n3", 1, REC, "Process Payment", 0, 0},
                                   {"n4", 1, DIA, "Authorized?", 0, 0},
                                   {"n5", 0, CIR, "Done", 0, 0},
                                   {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {{"n1", R, "n2", L, NULL},
                                   {"n2", B, "n3", T, "Submit"},
                                   {"n3", R, "n4", L, NULL},
                                   {"n4", R, "n5", B, "Approved"},
                                   {"n4", T, "n2", B, "Retry"},
                                   {NULL, 0, NULL, 0, NULL}};
    static const t_loop loops[] = {{"until approved", {"n2", "n3", "n4", NULL}}, {NULL, {NULL}}};
    g = build(lanes, nodes, edges, loops, NULL);
    fz_render_opts o2 = {0};
    render(g, &o2, &out, &len);
    svg_open(&s, out, len);
    double ax, ay, bx, by, cx, cy;
    path_point(&s, "e2", 0, &ax, &ay);  /* leaves n2's bottom */
    path_point(&s, "e5", 1, &bx, &by);  /* enters n2's bottom */
    path_point(&s, "loop1", 1, &cx, &cy); /* enters n2's bottom */
    assert_true(fabs(ax - bx) >= 4 && fabs(ax - cx) >= 4 && fabs(bx - cx) >= 4);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_wraps_labels_only_between_words(void **state)
{
    (void)state;
    static const t_lane lanes[] = {{"A", "A"}, {NULL, NULL}};
    static const t_node nodes[] = {
        {"n1", 0, CIR, "Start Compensation Transaction", 0, 0},
        {"n2", 0, DIA, "Supercalifragilistic approval?", 0, 0},
        {"n3", 0, REC, "Record TransactionCommittedAndReplicated now", 0, 0},
        {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {
        {"n1", R, "n2", L, NULL}, {"n2", R, "n3", L, NULL}, {NULL, 0, NULL, 0, NULL}};
    fz_graph *g = build(lanes, nodes, edges, NULL, NULL);
    fz_render_opts o = {0};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    assert_int_equal(svg_count(&s, "//s:g[@id='n1']/s:text"), 3);
    assert_int_equal(svg_count(&s, "//s:g[@id='n1']/s:text[.='Compensation']"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n1']/s:text[.='Transaction']"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='n2']/s:text[.='Supercalifragilistic']"), 1);
    assert_int_equal(
        svg_count(&s, "//s:g[@id='n3']/s:text[.='TransactionCommittedAndReplicated']"), 1);
    /* The long word widens its node instead. */
    const char *word = "TransactionCommittedAndReplicated";
    double x0, y0, x1, y1;
    node_box(&s, "n3", &x0, &y0, &x1, &y1);
    assert_true(x1 - x0 > fz_text_width(word, strlen(word), 11.0));
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

static void test_render_sequence_follows_causal_order_without_trace(void **state)
{
    (void)state;
    /* The response is written before the request. */
    static const t_lane lanes[] = {{"C", "Client"}, {"S", "Server"}, {NULL, NULL}};
    static const t_node nodes[] = {{"n1", 0, CIR, "Start", 0, 0},
                                   {"n2", 0, REC, "Show result", 0, 0},
                                   {"n3", 0, CIR, "End", 0, 0},
                                   {"n4", 1, REC, "Handle request", 0, 0},
                                   {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {{"n2", R, "n3", L, NULL},
                                   {"n4", T, "n2", B, "response"},
                                   {"n1", B, "n4", T, "request"},
                                   {NULL, 0, NULL, 0, NULL}};
    fz_graph *g = build(lanes, nodes, edges, NULL, NULL);
    fz_render_opts o = {.view = FZ_VIEW_SEQUENCE};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    static const char *const want[] = {"e3", "e2", "e1"};
    for (int i = 0; i < 3; i++) {
        char q[128];
        snprintf(q, sizeof q, "string((//s:g[@data-edge])[%d]/@id)", i + 1);
        char *id = svg_string(&s, q);
        assert_string_equal(id, want[i]);
        free(id);
    }
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

/* Long messages (labelled, unlabelled "A -> B", one long word), long notes
 * on the outer lanes and a long lane title: every text element's measured
 * extent (Helvetica's estimate with the browsers' slack, placed by its x and
 * text-anchor) lies inside the viewBox. */
static void test_render_sequence_view_holds_every_label_in_its_viewbox(void **state)
{
    (void)state;
    static const t_lane lanes[] = {{"A", "Accounts"},
                                   {"B", "Billing and invoicing back office department"},
                                   {"C", "C"},
                                   {NULL, NULL}};
    static const t_node nodes[] = {
        {"n1", 0, CIR, "Start", 0, 0},
        {"n2", 0, REC, "Prepare the quarterly reconciliation statement for every account", 0, 0},
        {"n3", 1, REC, "Reconcile the quarterly statement against the general ledger", 0, 0},
        {"n4", 2, REC, "Archive", 0, 0},
        {"n5", 2, REC, "Notify the account holders that reconciliation has completed", 0, 0},
        {"n6", 0, CIR, "End", 0, 0},
        {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {
        {"n1", R, "n2", L, "AVeryLongSingleWordLabelThatCannotBeWrappedAnywhereAtAllInANote"},
        {"n2", R, "n3", L, NULL},
        {"n3", R, "n4", L,
         "Send the reconciled statement to the archive with the ledger references attached "
         "so that auditors can trace every figure back to its source document later on"},
        {"n4", B, "n5", T, "Then notify the holders once the archive has confirmed receipt"},
        {"n5", L, "n6", R, "ReconciliationCompletedAndNotifiedToEveryAccountHolderSuccessfully"},
        {"n5", L, "n2", R, NULL},
        {NULL, 0, NULL, 0, NULL}};
    fz_graph *g = build(lanes, nodes, edges, NULL, NULL);
    fz_render_opts o = {.view = FZ_VIEW_SEQUENCE};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    char *vb = svg_string(&s, "string(/s:svg/@viewBox)");
    double vx, vy, vw, vh;
    assert_int_equal(sscanf(vb, "%lf %lf %lf %lf", &vx, &vy, &vw, &vh), 4);
    free(vb);
    /* The longest label alone is wider than three default columns. */
    const char *lng = edges[2].label;
    assert_true(fz_text_width(lng, strlen(lng), 11.0) > 3 * 170);
    int n = svg_count(&s, "//s:text");
    assert_true(n > 8);
    double widest = 0;
    for (int i = 1; i <= n; i++) {
        char q[128];
        snprintf(q, sizeof q, "string((//s:text)[%d]/@x)", i);
        char *xs = svg_string(&s, q);
        snprintf(q, sizeof q, "string((//s:text)[%d]/@y)", i);
        char *ys = svg_string(&s, q);
        snprintf(q, sizeof q, "string((//s:text)[%d]/@text-anchor)", i);
        char *an = svg_string(&s, q);
        snprintf(q, sizeof q, "string((//s:text)[%d]/@font-size)", i);
        char *fs = svg_string(&s, q);
        snprintf(q, sizeof q, "string((//s:text)[%d])", i);
        char *tx = svg_string(&s, q);
        double x = atof(xs), y = atof(ys), pt = atof(fs);
        double w = fz_text_width(tx, strlen(tx), pt) * 1.15;
        double x0 = !strcmp(an, "middle") ? x - w / 2 : !strcmp(an, "end") ? x - w : x;
        if (x0 < vx || x0 + w > vx + vw || y - pt < vy || y > vy + vh)
            fail_msg("text \"%s\" spans x %.1f..%.1f y %.1f..%.1f outside viewBox %.1f %.1f "
                     "%.1f %.1f",
                     tx, x0, x0 + w, y - pt, y, vx, vy, vw, vh);
        widest = fmax(widest, w);
        free(xs);
        free(ys);
        free(an);
        free(fs);
        free(tx);
    }
    /* The long word stays whole on its line. */
    assert_int_equal(svg_count(&s, "//s:text[.='AVeryLongSingleWordLabelThatCannotBeWrappedAnywhere"
                                   "AtAllInANote']"),
                     0);
    assert_int_equal(
        svg_count(&s, "//s:text[.='ReconciliationCompletedAndNotifiedToEveryAccountHolder"
                      "Successfully']"),
        1);
    assert_true(widest > 300);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

/* Causal order with a decision and a loop: a breadth-first walk from the
 * start node, each node's outgoing edges in file order when it is reached;
 * the loop's edge back comes once, when its source is reached; an edge from
 * a node no start reaches comes last, dashed and classed "unreached". */
static void test_render_sequence_order_with_decision_and_loop(void **state)
{
    (void)state;
    static const t_lane lanes[] = {{"C", "Client"}, {"S", "Server"}, {NULL, NULL}};
    static const t_node nodes[] = {{"n1", 0, CIR, "Start", 0, 0},
                                   {"n2", 0, REC, "Send order", 0, 0},
                                   {"n3", 1, DIA, "In stock?", 0, 0},
                                   {"n4", 1, REC, "Reserve", 0, 0},
                                   {"n5", 0, REC, "Wait", 0, 0},
                                   {"n6", 0, REC, "Confirm", 0, 0},
                                   {"n7", 0, CIR, "End", 0, 0},
                                   {"n8", 1, REC, "Audit", 0, 0},
                                   {NULL, 0, 0, NULL, 0, 0}};
    static const t_edge edges[] = {{"n6", R, "n7", L, NULL},        /* e1 */
                                   {"n4", L, "n6", R, "reserved"},  /* e2 */
                                   {"n3", L, "n5", R, "No"},        /* e3 */
                                   {"n5", T, "n2", B, "retry"},     /* e4: the loop back */
                                   {"n3", B, "n4", T, "Yes"},       /* e5 */
                                   {"n2", R, "n3", L, "order"},     /* e6 */
                                   {"n1", R, "n2", L, NULL},        /* e7 */
                                   {"n8", T, "n3", B, "audit"},     /* e8: never reached */
                                   {NULL, 0, NULL, 0, NULL}};
    fz_graph *g = build(lanes, nodes, edges, NULL, NULL);
    fz_render_opts o = {.view = FZ_VIEW_SEQUENCE};
    char *out;
    size_t len;
    render(g, &o, &out, &len);
    svg s;
    svg_open(&s, out, len);
    static const char *const want[] = {"e7", "e6", "e3", "e5", "e4", "e2", "e1", "e8"};
    assert_int_equal(svg_count(&s, "//s:g[@data-edge]"), 8);
    for (int i = 0; i < 8; i++) {
        char q[128];
        snprintf(q, sizeof q, "string((//s:g[@data-edge])[%d]/@id)", i + 1);
        char *id = svg_string(&s, q);
        assert_string_equal(id, want[i]);
        free(id);
    }
    assert_int_equal(svg_count(&s, "//s:g[contains(@class,'unreached')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='e8' and contains(@class,'unreached')]"), 1);
    assert_int_equal(svg_count(&s, "//s:g[@id='e8']/*[@stroke-dasharray]"), 1);
    svg_close(&s);
    fz_free(NULL, out, len + 1);
    fz_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_canary_has_three_lanes_in_file_order_with_titles),
        cmocka_unit_test(test_render_canary_nodes_carry_ids_shapes_and_stay_in_their_lane),
        cmocka_unit_test(test_render_handles_become_ports_on_the_named_sides),
        cmocka_unit_test(test_render_dot_is_deterministic_and_names_ports),
        cmocka_unit_test(test_render_taskbox_is_a_record_with_owner_and_system),
        cmocka_unit_test(test_render_top_to_bottom_turns_lanes_into_columns),
        cmocka_unit_test(test_render_trace_highlights_path_with_visit_counts),
        cmocka_unit_test(test_render_trace_naming_unknown_ids_is_refused_with_its_line),
        cmocka_unit_test(test_render_heat_colours_nodes_and_labels_edge_shares),
        cmocka_unit_test(test_render_sequence_view_has_lifelines_messages_and_notes),
        cmocka_unit_test(test_render_hostile_label_bytes_still_give_well_formed_svg),
        cmocka_unit_test(test_render_png_is_a_png),
        cmocka_unit_test(test_render_leaves_no_allocation_behind),
        cmocka_unit_test(test_render_out_of_memory_fails_cleanly_at_every_allocation),
        cmocka_unit_test(test_render_canary_file_matches_its_golden_dot),
        cmocka_unit_test(test_render_every_workflow_file_draws_all_lanes_nodes_and_edges),
        cmocka_unit_test(test_render_bounding_box_holds_nodes_labels_and_legend),
        cmocka_unit_test(test_render_edges_sharing_a_side_spread_along_it),
        cmocka_unit_test(test_render_wraps_labels_only_between_words),
        cmocka_unit_test(test_render_sequence_follows_causal_order_without_trace),
        cmocka_unit_test(test_render_sequence_view_holds_every_label_in_its_viewbox),
        cmocka_unit_test(test_render_sequence_order_with_decision_and_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
