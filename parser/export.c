/* SPDX-License-Identifier: MIT */
/*
 * export.c - FlowZap export_graph JSON (through jansson) and DOT text.
 * Both walk the flat graph arrays once; the JSON tree costs a few hundred
 * bytes a node in jansson objects, which is fine for export (check, the hot
 * path, never builds it).
 */
#include "parser/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"

/*==========================================================================
 * Lane types
 *========================================================================*/

/* Words FlowZap-style tools read as a system or a person. Checked per word
 * (camelCase and punctuation split), plurals included, systems first:
 * "User Service" is a system. */
static const char *const system_words[] = {
    "api",      "server",     "service",   "db",        "database", "system",   "backend",
    "frontend", "gateway",    "queue",     "worker",    "cache",    "controller", "engine",
    "pipeline", "monitoring", "storage",   "registry",  "scheduler", "bus",     "cluster",
    "platform", "app",        "application", "crm",     "erp",      "bot",      "cron",
    "lambda",   "store",      "repository", "kafka",    "network",  "server",   "web",
    "mobile",   "sql",        "redis",     "ci",        "cd",       "build",    "infra",
    NULL};
static const char *const actor_words[] = {
    "user",     "customer", "client",   "admin",    "administrator", "person",   "human",
    "operator", "manager",  "team",     "staff",    "employee",      "buyer",    "seller",
    "reviewer", "approver", "requester", "owner",   "agent",         "support",  "desk",
    "department", "finance", "sales",   "hr",       "legal",         "marketing", "ops",
    "operations", "developer", "dev",   "engineer", "patient",       "student",  "member",
    "guest",    "visitor",  "partner",  "supplier", "vendor",        "board",    "applicant",
    "author",   "editor",   "lead",     "director", "accountant",    "driver",   "courier",
    NULL};

static int word_match(const char *w, size_t len, const char *const *list)
{
    for (; *list; list++) {
        size_t l = strlen(*list);
        if ((len == l || (len == l + 1 && w[l] == 's')) && memcmp(w, *list, l) == 0)
            return 1;
    }
    return 0;
}

/* Scans the words of text; returns the best class found (system > actor). */
static fz_lane_type classify_words(const char *s, uint32_t len)
{
    fz_lane_type best = FZ_LANE_UNKNOWN;
    char w[32];
    size_t wl = 0;
    for (uint32_t i = 0; i <= len; i++) {
        unsigned char ch = i < len ? (unsigned char)s[i] : ' ';
        int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        int upper = ch >= 'A' && ch <= 'Z';
        int lower_before = i > 0 && ((unsigned char)s[i - 1] >= 'a' && (unsigned char)s[i - 1] <= 'z');
        if (!alpha || (upper && lower_before)) {
            if (wl > 0 && wl < sizeof(w)) {
                if (word_match(w, wl, system_words))
                    return FZ_LANE_SYSTEM;
                if (word_match(w, wl, actor_words))
                    best = FZ_LANE_ACTOR;
            }
            wl = 0;
        }
        if (alpha) {
            if (wl < sizeof(w))
                w[wl] = (char)(upper ? ch | 0x20 : ch);
            wl++;
        }
    }
    return best;
}

fz_lane_type fz_export_lane_type(const fz_graph *g, uint32_t lane)
{
    const fz_lane *l = fz_graph_lane(g, lane);
    fz_lane_type a = classify_words(fz_graph_text(g, l->id), l->id.len);
    fz_lane_type b = l->has_label ? classify_words(fz_graph_text(g, l->label), l->label.len)
                                  : FZ_LANE_UNKNOWN;
    if (a == FZ_LANE_SYSTEM || b == FZ_LANE_SYSTEM)
        return FZ_LANE_SYSTEM;
    return a == FZ_LANE_ACTOR || b == FZ_LANE_ACTOR ? FZ_LANE_ACTOR : FZ_LANE_UNKNOWN;
}

const char *fz_lane_type_name(fz_lane_type t)
{
    return t == FZ_LANE_ACTOR ? "actor" : t == FZ_LANE_SYSTEM ? "system" : "unknown";
}

/*==========================================================================
 * Node order
 *========================================================================*/

typedef struct order_key {
    uint32_t offset, index;
} order_key;

static int order_cmp(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void fz_export_node_order(const fz_graph *g, uint32_t *order)
{
    uint32_t n = fz_graph_node_count(g);
    /* Nodes are usually defined in index order already: check first. */
    int sorted = 1;
    for (uint32_t i = 0; i < n; i++) {
        order[i] = i;
        if (i && fz_graph_node(g, i)->offset < fz_graph_node(g, i - 1)->offset)
            sorted = 0;
    }
    if (sorted || n < 2)
        return;
    order_key *k = fz_malloc(g->alloc, (size_t)n * sizeof(*k));
    if (!k)
        return; /* index order is still a valid, if less natural, order */
    for (uint32_t i = 0; i < n; i++) {
        k[i].offset = fz_graph_node(g, i)->offset;
        k[i].index = i;
    }
    qsort(k, n, sizeof(*k), order_cmp);
    for (uint32_t i = 0; i < n; i++)
        order[i] = k[i].index;
    fz_free(g->alloc, k, (size_t)n * sizeof(*k));
}

/*==========================================================================
 * JSON
 *========================================================================*/

/* Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when the bytes there are not one. */
static uint32_t utf8_seq(const unsigned char *s, uint32_t len, uint32_t i)
{
    unsigned char b = s[i];
    if (b < 0x80)
        return 1;
    uint32_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        n = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (i + n > len || s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (uint32_t k = 2; k < n; k++)
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string of the span's bytes; invalid UTF-8 (which the FlowZap
 * reader passes through untouched) becomes U+FFFD, so the document stays
 * valid JSON. */
static json_t *jbytes(const fz_alloc *alloc, const char *text, uint32_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    fz_span s = {0, len};
    uint32_t i = 0;
    while (i < s.len) {
        uint32_t k = utf8_seq(t, s.len, i);
        if (!k)
            break;
        i += k;
    }
    if (i == s.len)
        return json_stringn_nocheck((const char *)t, s.len);
    size_t cap = (size_t)s.len * 3 + 1;
    char *fixed = fz_malloc(alloc, cap);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (i = 0; i < s.len;) {
        uint32_t k = utf8_seq(t, s.len, i);
        if (k) {
            memcpy(fixed + o, t + i, k);
            o += k;
            i += k;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    json_t *j = json_stringn_nocheck(fixed, o);
    fz_free(alloc, fixed, cap);
    return j;
}

static json_t *jstr(const fz_graph *g, fz_span s)
{
    return jbytes(g->alloc, fz_graph_text(g, s), s.len);
}

static const char *lane_id_text(const fz_graph *g, uint32_t lane, size_t *len)
{
    if (lane == FZ_NONE) {
        *len = 0;
        return NULL;
    }
    const fz_lane *l = fz_graph_lane(g, lane);
    *len = l->id.len;
    return fz_graph_text(g, l->id);
}

static json_t *jlane(const fz_graph *g, uint32_t lane)
{
    size_t len;
    const char *s = lane_id_text(g, lane, &len);
    return s ? json_stringn_nocheck(s, len) : json_null();
}

/* Sets key to value (stealing it); returns 0 or -1 when value is NULL. */
static int put(json_t *obj, const char *key, json_t *value)
{
    return value ? json_object_set_new_nocheck(obj, key, value) : -1;
}

static json_t *position(fz_graph *g, uint32_t offset)
{
    uint32_t line = 0, col = 0;
    if (fz_graph_position(g, offset, &line, &col))
        return NULL;
    json_t *o = json_object();
    if (!o || put(o, "line", json_integer(line)) || put(o, "column", json_integer(col))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int json_lanes(fz_graph *g, unsigned flags, json_t *list)
{
    for (uint32_t i = 0; i < fz_graph_lane_count(g); i++) {
        const fz_lane *l = fz_graph_lane(g, i);
        json_t *o = json_object();
        if (!o || json_array_append_new(list, o))
            return -1;
        if (put(o, "id", jstr(g, l->id)) || put(o, "label", jstr(g, l->label)) ||
            put(o, "type", json_string(fz_lane_type_name(fz_export_lane_type(g, i)))))
            return -1;
        if (!(flags & FZ_EXPORT_PLAIN)) {
            json_t *x = position(g, l->offset);
            if (!x || put(o, "x-flowzap", x))
                return -1;
        }
    }
    return 0;
}

static int json_node(fz_graph *g, unsigned flags, uint32_t u, json_t *list)
{
    const fz_node *nd = fz_graph_node(g, u);
    json_t *o = json_object();
    if (!o || json_array_append_new(list, o))
        return -1;
    if (put(o, "id", jstr(g, nd->id)) || put(o, "laneId", jlane(g, nd->lane)) ||
        put(o, "label", jstr(g, nd->label)) ||
        put(o, "kind", json_string(fz_kind_name(fz_graph_node_kind(g, u)))) ||
        put(o, "shape", json_string(fz_shape_name((fz_shape)nd->shape))))
        return -1;
    if (nd->shape == FZ_SHAPE_TASKBOX) {
        static const char *const keys[] = {"owner", "description", "system"};
        json_t *props = NULL;
        for (int k = 0; k < 3; k++) {
            uint32_t len = 0;
            const char *v = fz_graph_node_attr(g, u, keys[k], &len);
            if (!v)
                continue;
            if (!props && (!(props = json_object()) || put(o, "properties", props)))
                return -1;
            if (put(props, keys[k], json_stringn_nocheck(v, len)))
                return -1;
        }
    }
    if (!(flags & FZ_EXPORT_PLAIN)) {
        json_t *x = position(g, nd->offset);
        json_t *attrs = json_array();
        if (!x || put(o, "x-flowzap", x) || !attrs || put(x, "attributes", attrs))
            return -1;
        for (uint32_t k = 0; k < nd->attr_count; k++) {
            const fz_attr *a = fz_graph_attr(g, nd->attr_first + k);
            json_t *ao = json_object();
            if (!ao || json_array_append_new(attrs, ao) || put(ao, "key", jstr(g, a->key)) ||
                put(ao, "value", jstr(g, a->value)))
                return -1;
        }
    }
    return 0;
}

static int json_edges(fz_graph *g, unsigned flags, json_t *list, uint32_t *cross)
{
    char id[16];
    for (uint32_t i = 0; i < fz_graph_edge_count(g); i++) {
        const fz_edge *e = fz_graph_edge(g, i);
        uint32_t sl = fz_graph_node(g, e->src)->lane, dl = fz_graph_node(g, e->dst)->lane;
        if (sl != dl)
            (*cross)++;
        json_t *o = json_object();
        if (!o || json_array_append_new(list, o))
            return -1;
        snprintf(id, sizeof(id), "e%u", i + 1);
        if (put(o, "id", json_string(id)) || put(o, "from", jstr(g, fz_graph_node(g, e->src)->id)) ||
            put(o, "to", jstr(g, fz_graph_node(g, e->dst)->id)) || put(o, "fromLane", jlane(g, sl)) ||
            put(o, "toLane", jlane(g, dl)))
            return -1;
        if ((e->flags & FZ_EDGE_LABELLED) && put(o, "label", jstr(g, e->label)))
            return -1;
        if (put(o, "sourceHandle", json_string(fz_dir_name((fz_dir)e->src_dir))) ||
            put(o, "targetHandle", json_string(fz_dir_name((fz_dir)e->dst_dir))))
            return -1;
        if (!(flags & FZ_EXPORT_PLAIN)) {
            json_t *x = position(g, e->offset);
            if (!x || put(o, "x-flowzap", x) || put(x, "writtenIn", jlane(g, e->lane)))
                return -1;
        }
    }
    return 0;
}

static int json_loops(fz_graph *g, json_t *list)
{
    for (uint32_t i = 0; i < fz_graph_loop_count(g); i++) {
        const fz_loop *lp = fz_graph_loop(g, i);
        /* Position first, then the loop's own fields. */
        json_t *o = position(g, lp->offset);
        if (!o || json_array_append_new(list, o))
            return -1;
        json_t *nodes = json_array();
        if (put(o, "condition", jstr(g, lp->cond)) || put(o, "bound", json_integer(lp->bound)) ||
            put(o, "writtenIn", jlane(g, lp->lane)) || put(o, "nodes", nodes))
            return -1;
        for (uint32_t k = 0; k < lp->node_count; k++) {
            fz_span id = fz_graph_node(g, fz_graph_loop_node(g, lp, k))->id;
            if (json_array_append_new(nodes, jstr(g, id)))
                return -1;
        }
    }
    return 0;
}

int fz_export_json(fz_graph *g, unsigned flags, json_t **out)
{
    *out = NULL;
    uint32_t n = fz_graph_node_count(g);
    uint32_t *order = fz_malloc(g->alloc, (size_t)(n ? n : 1) * sizeof(uint32_t));
    json_t *root = json_object(), *lanes = json_array(), *nodes = json_array(),
           *edges = json_array(), *stats = json_object();
    int ok = order && root && lanes && nodes && edges && stats;
    if (ok)
        ok = !put(root, "lanes", lanes) && !put(root, "nodes", nodes) &&
             !put(root, "edges", edges) && !put(root, "stats", stats);
    else {
        json_decref(lanes);
        json_decref(nodes);
        json_decref(edges);
        json_decref(stats);
    }
    uint32_t cross = 0;
    if (ok)
        ok = !json_lanes(g, flags, lanes);
    if (ok) {
        fz_export_node_order(g, order);
        for (uint32_t i = 0; i < n && ok; i++)
            ok = !json_node(g, flags, order[i], nodes);
    }
    if (ok)
        ok = !json_edges(g, flags, edges, &cross);
    if (ok)
        ok = !put(stats, "laneCount", json_integer(fz_graph_lane_count(g))) &&
             !put(stats, "nodeCount", json_integer(n)) &&
             !put(stats, "edgeCount", json_integer(fz_graph_edge_count(g))) &&
             !put(stats, "crossLaneEdges", json_integer(cross));
    if (ok && !(flags & FZ_EXPORT_PLAIN)) {
        json_t *x = json_object(), *loops = NULL;
        ok = !put(root, "x-flowzap", x) && !put(x, "version", json_integer(1)) &&
             !put(x, "file", jbytes(g->alloc, g->path, (uint32_t)strlen(g->path))) && (loops = json_array()) &&
             !put(x, "loops", loops) && !json_loops(g, loops);
    }
    fz_free(g->alloc, order, (size_t)(n ? n : 1) * sizeof(uint32_t));
    if (!ok) {
        json_decref(root);
        return FZ_ENOMEM;
    }
    *out = root;
    return FZ_OK;
}

/*==========================================================================
 * DOT
 *========================================================================*/

/* Writes s as the inside of a DOT double-quoted string. In DOT labels a
 * backslash starts an escape (\n, \l, \N), so it is doubled. */
static void dot_text(FILE *out, const char *s, uint32_t len)
{
    const unsigned char *t = (const unsigned char *)s;
    for (uint32_t i = 0; i < len;) {
        uint32_t k = utf8_seq(t, len, i);
        if (k == 0) {
            fputs("\xEF\xBF\xBD", out); /* Graphviz reads UTF-8 only */
            i++;
            continue;
        }
        if (k == 1 && (t[i] == '"' || t[i] == '\\'))
            fputc('\\', out);
        fwrite(t + i, 1, k, out);
        i += k;
    }
}

static void dot_span(FILE *out, const fz_graph *g, fz_span s)
{
    dot_text(out, fz_graph_text(g, s), s.len);
}

/* Compass point of a handle: right is the east side, and so on. */
static const char *dot_port(uint8_t dir)
{
    switch (dir) {
    case FZ_DIR_LEFT:
        return "w";
    case FZ_DIR_RIGHT:
        return "e";
    case FZ_DIR_TOP:
        return "n";
    default:
        return "s";
    }
}

static void dot_node(FILE *out, const fz_graph *g, uint32_t u, const char *indent)
{
    const fz_node *nd = fz_graph_node(g, u);
    fprintf(out, "%s\"", indent);
    dot_span(out, g, nd->id);
    fputs("\" [label=\"", out);
    if (nd->shape == FZ_SHAPE_TASKBOX) {
        /* Label parts separated by '|' go on their own lines. */
        const char *t = fz_graph_text(g, nd->label);
        uint32_t start = 0;
        for (uint32_t i = 0; i <= nd->label.len; i++)
            if (i == nd->label.len || t[i] == '|') {
                if (start)
                    fputs("\\n", out);
                dot_text(out, t + start, i - start);
                start = i + 1;
            }
        uint32_t len = 0;
        const char *owner = fz_graph_node_attr(g, u, "owner", &len);
        if (owner) {
            fputs("\\n(", out);
            dot_text(out, owner, len);
            fputc(')', out);
        }
    } else {
        dot_span(out, g, nd->label);
    }
    fputc('"', out);
    switch (nd->shape) {
    case FZ_SHAPE_CIRCLE:
        fputs(", shape=circle", out);
        break;
    case FZ_SHAPE_DIAMOND:
        fputs(", shape=diamond", out);
        break;
    case FZ_SHAPE_TASKBOX:
        fputs(", shape=box, style=rounded", out);
        break;
    default:
        fputs(", shape=box", out);
        break;
    }
    fputs("];\n", out);
}

int fz_export_dot(const fz_graph *g, FILE *out)
{
    uint32_t n = fz_graph_node_count(g);
    uint32_t *order = fz_malloc(g->alloc, (size_t)(n ? n : 1) * sizeof(uint32_t));
    if (!order)
        return FZ_ENOMEM;
    fz_export_node_order(g, order);
    /* Graph name: the file's base name without its extension. */
    const char *base = strrchr(g->path, '/');
    base = base ? base + 1 : g->path;
    const char *dot = strrchr(base, '.');
    uint32_t blen = (uint32_t)(dot && dot != base ? (size_t)(dot - base) : strlen(base));
    fputs("digraph \"", out);
    dot_text(out, base, blen);
    fputs("\" {\n"
          "  graph [rankdir=LR, newrank=true, nodesep=0.4, ranksep=0.5, fontname=\"Helvetica\"];\n"
          "  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.15,0.05\"];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9];\n",
          out);
    /* Nodes of each lane inside its cluster, in declaration order. One pass
     * per lane over the ordered nodes: O(lanes * nodes), lanes are few. */
    for (uint32_t l = 0; l < fz_graph_lane_count(g); l++) {
        const fz_lane *ln = fz_graph_lane(g, l);
        fputs("  subgraph \"cluster_", out);
        dot_span(out, g, ln->id);
        fputs("\" {\n    label=\"", out);
        dot_span(out, g, ln->label);
        fputs("\";\n    style=rounded;\n    color=\"#9aa5b1\";\n", out);
        for (uint32_t i = 0; i < n; i++)
            if (fz_graph_node(g, order[i])->lane == l)
                dot_node(out, g, order[i], "    ");
        fputs("  }\n", out);
    }
    for (uint32_t i = 0; i < n; i++)
        if (fz_graph_node(g, order[i])->lane == FZ_NONE)
            dot_node(out, g, order[i], "  ");
    for (uint32_t i = 0; i < fz_graph_edge_count(g); i++) {
        const fz_edge *e = fz_graph_edge(g, i);
        fputs("  \"", out);
        dot_span(out, g, fz_graph_node(g, e->src)->id);
        fputs("\" -> \"", out);
        dot_span(out, g, fz_graph_node(g, e->dst)->id);
        fprintf(out, "\" [id=\"e%u\", tailport=%s, headport=%s", i + 1, dot_port(e->src_dir),
                dot_port(e->dst_dir));
        if (e->flags & FZ_EDGE_LABELLED) {
            fputs(", label=\"", out);
            dot_span(out, g, e->label);
            fputc('"', out);
        }
        fputs("];\n", out);
    }
    for (uint32_t i = 0; i < fz_graph_loop_count(g); i++) {
        const fz_loop *lp = fz_graph_loop(g, i);
        /* A loop is a retry scope, not an edge: kept as a comment. */
        fputs("  // loop [", out);
        dot_span(out, g, lp->cond);
        fputc(']', out);
        for (uint32_t k = 0; k < lp->node_count; k++) {
            fputc(' ', out);
            fz_span id = fz_graph_node(g, fz_graph_loop_node(g, lp, k))->id;
            fwrite(fz_graph_text(g, id), 1, id.len, out);
        }
        fputc('\n', out);
    }
    fputs("}\n", out);
    fz_free(g->alloc, order, (size_t)(n ? n : 1) * sizeof(uint32_t));
    return ferror(out) ? FZ_EIO : FZ_OK;
}
