/* SPDX-License-Identifier: MIT */
/*
 * overlay.c - reads run traces and simulation reports (docs/formats.md)
 * into per-node and per-edge counts. jansson parses; this file checks that
 * every id names something in the workflow, so a trace of another file is
 * refused with its line number instead of drawing nonsense.
 */
#include "render/overlay.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

static void set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

void fz_overlay_free(fz_overlay *o)
{
    if (!o)
        return;
    const fz_alloc *a = o->alloc;
    size_t n = (size_t)o->nnodes + 1, m = (size_t)o->nedges + 1;
    fz_free(a, o->node_visits, n * sizeof(uint64_t));
    fz_free(a, o->node_fails, n * sizeof(uint64_t));
    fz_free(a, o->node_runs, n * sizeof(uint64_t));
    fz_free(a, o->edge_count, m * sizeof(uint64_t));
    fz_free(a, o->edge_runs, m * sizeof(uint64_t));
    fz_free(a, o->order, (size_t)o->norder_cap * sizeof(uint32_t));
    fz_free(a, o, sizeof(*o));
}

static int overlay_new(const fz_graph *g, fz_overlay_kind kind, const fz_alloc *a, fz_overlay **out)
{
    fz_overlay *o = fz_calloc(a, 1, sizeof(*o));
    *out = NULL;
    if (!o)
        return FZ_ENOMEM;
    o->kind = kind;
    o->alloc = a;
    o->nnodes = fz_graph_node_count(g);
    o->nedges = fz_graph_edge_count(g);
    size_t n = (size_t)o->nnodes + 1, m = (size_t)o->nedges + 1;
    o->node_visits = fz_calloc(a, n, sizeof(uint64_t));
    o->node_fails = fz_calloc(a, n, sizeof(uint64_t));
    o->node_runs = fz_calloc(a, n, sizeof(uint64_t));
    o->edge_count = fz_calloc(a, m, sizeof(uint64_t));
    o->edge_runs = fz_calloc(a, m, sizeof(uint64_t));
    if (!o->node_visits || !o->node_fails || !o->node_runs || !o->edge_count || !o->edge_runs) {
        fz_overlay_free(o);
        return FZ_ENOMEM;
    }
    *out = o;
    return FZ_OK;
}

/* Edge index of an export id "e<k>", or FZ_NONE. */
static uint32_t edge_index(const fz_overlay *o, const char *id)
{
    if (id[0] != 'e' || id[1] < '1' || id[1] > '9')
        return FZ_NONE;
    char *end = NULL;
    unsigned long k = strtoul(id + 1, &end, 10);
    if (*end || k == 0 || k > o->nedges)
        return FZ_NONE;
    return (uint32_t)(k - 1);
}

static int push_order(fz_overlay *o, uint32_t e)
{
    if (o->norder == o->norder_cap) {
        uint32_t nc = o->norder_cap ? o->norder_cap * 2 : 64;
        uint32_t *p = fz_realloc(o->alloc, o->order, (size_t)o->norder_cap * sizeof(uint32_t),
                                 (size_t)nc * sizeof(uint32_t));
        if (!p)
            return FZ_ENOMEM;
        o->order = p;
        o->norder_cap = nc;
    }
    o->order[o->norder++] = e;
    return FZ_OK;
}

static void copy_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

int fz_overlay_trace_mem(const fz_graph *g, const char *name, const char *text, size_t len,
                         const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz)
{
    fz_overlay *o = NULL;
    int rc = overlay_new(g, FZ_OVERLAY_TRACE, alloc, &o);
    *out = NULL;
    if (rc)
        return rc;
    o->runs = 1;
    size_t at = 0;
    uint32_t lineno = 0;
    while (at < len) {
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t s = at, e = end;
        at = end + 1;
        while (s < e && (text[s] == ' ' || text[s] == '\t' || text[s] == '\r'))
            s++;
        while (e > s && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r'))
            e--;
        if (s == e)
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb(text + s, e - s, 0, &jerr);
        if (!obj) {
            set_err(err, errsz, "%s:%u:%d: invalid JSON: %s", name, lineno, jerr.column, jerr.text);
            rc = FZ_EPARSE;
            goto out;
        }
        const char *ev = json_string_value(json_object_get(obj, "ev"));
        if (!json_is_object(obj) || !ev) {
            set_err(err, errsz, "%s:%u: expected an object with an \"ev\" field", name, lineno);
            json_decref(obj);
            rc = FZ_EPARSE;
            goto out;
        }
        if (strcmp(ev, "start") == 0 || strcmp(ev, "finish") == 0) {
            const char *id = json_string_value(json_object_get(obj, "node"));
            uint32_t n = id ? fz_graph_find_node(g, id, strlen(id)) : FZ_NONE;
            if (n == FZ_NONE) {
                set_err(err, errsz, "%s:%u: \"%s\" event names node '%s', which is not in %s", name,
                        lineno, ev, id ? id : "(missing)", g->path);
                json_decref(obj);
                rc = FZ_EPARSE;
                goto out;
            }
            if (ev[0] == 's') {
                o->node_visits[n]++;
            } else {
                const char *ans = json_string_value(json_object_get(obj, "answer"));
                if (ans && (strcmp(ans, "no") == 0 || strcmp(ans, "error") == 0 ||
                            strcmp(ans, "timeout") == 0))
                    o->node_fails[n]++;
            }
        } else if (strcmp(ev, "edge") == 0) {
            const char *id = json_string_value(json_object_get(obj, "edge"));
            uint32_t k = id ? edge_index(o, id) : FZ_NONE;
            if (k == FZ_NONE) {
                set_err(err, errsz, "%s:%u: edge '%s' is not in %s (it has e1..e%u)", name, lineno,
                        id ? id : "(missing)", g->path, o->nedges);
                json_decref(obj);
                rc = FZ_EPARSE;
                goto out;
            }
            o->edge_count[k]++;
            if ((rc = push_order(o, k))) {
                json_decref(obj);
                goto out;
            }
        } else if (strcmp(ev, "end") == 0) {
            copy_str(o->state, sizeof(o->state), json_string_value(json_object_get(obj, "state")));
            copy_str(o->outcome, sizeof(o->outcome),
                     json_string_value(json_object_get(obj, "outcome")));
        }
        json_decref(obj);
    }
    for (uint32_t i = 0; i < o->nnodes; i++)
        o->node_runs[i] = o->node_visits[i] ? 1 : 0;
    for (uint32_t i = 0; i < o->nedges; i++)
        o->edge_runs[i] = o->edge_count[i] ? 1 : 0;
    *out = o;
    o = NULL;
    rc = FZ_OK;
out:
    fz_overlay_free(o);
    return rc;
}

/* Reads a non-negative integer field; 0 when absent. -1 when not a count:
 * a real must be a whole number below 2^53, where doubles still count one
 * by one (a bigger one, such as 5e123, is not a count a study makes, and
 * converting it to an integer would be undefined). */
static int get_count(json_t *obj, const char *key, uint64_t *v)
{
    json_t *x = json_object_get(obj, key);
    *v = 0;
    if (!x)
        return 0;
    if (json_is_integer(x) && json_integer_value(x) >= 0) {
        *v = (uint64_t)json_integer_value(x);
        return 0;
    }
    if (json_is_real(x)) {
        double r = json_real_value(x);
        if (r >= 0 && r < 9007199254740992.0 && r == floor(r)) {
            *v = (uint64_t)r;
            return 0;
        }
    }
    return -1;
}

int fz_overlay_heat_mem(const fz_graph *g, const char *name, const char *text, size_t len,
                        const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz)
{
    fz_overlay *o = NULL;
    json_t *root = NULL;
    int rc = overlay_new(g, FZ_OVERLAY_HEAT, alloc, &o);
    *out = NULL;
    if (rc)
        return rc;
    rc = FZ_EPARSE;
    json_error_t jerr;
    root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        set_err(err, errsz, "%s:%d:%d: invalid JSON: %s", name, jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root) || get_count(root, "runs", &o->runs) ||
        !json_object_get(root, "runs")) {
        set_err(err, errsz, "%s: expected an object with a \"runs\" count (docs/formats.md)", name);
        goto out;
    }
    json_t *nodes = json_object_get(root, "nodes"), *edges = json_object_get(root, "edges");
    if ((nodes && !json_is_object(nodes)) || (edges && !json_is_object(edges))) {
        set_err(err, errsz, "%s: \"nodes\" and \"edges\" must be objects keyed by id", name);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(nodes, key, val)
    {
        uint32_t n = fz_graph_find_node(g, key, strlen(key));
        if (n == FZ_NONE) {
            set_err(err, errsz, "%s: nodes.%s is not a node of %s", name, key, g->path);
            goto out;
        }
        if (!json_is_object(val) || get_count(val, "visits", &o->node_visits[n]) ||
            get_count(val, "runs", &o->node_runs[n]) ||
            get_count(val, "failures", &o->node_fails[n])) {
            set_err(err, errsz, "%s: nodes.%s needs counts visits, runs, failures", name, key);
            goto out;
        }
    }
    json_object_foreach(edges, key, val)
    {
        uint32_t k = edge_index(o, key);
        if (k == FZ_NONE) {
            set_err(err, errsz, "%s: edges.%s is not an edge of %s (it has e1..e%u)", name, key,
                    g->path, o->nedges);
            goto out;
        }
        if (!json_is_object(val) || get_count(val, "traversals", &o->edge_count[k]) ||
            get_count(val, "runs", &o->edge_runs[k])) {
            set_err(err, errsz, "%s: edges.%s needs counts traversals, runs", name, key);
            goto out;
        }
    }
    *out = o;
    o = NULL;
    rc = FZ_OK;
out:
    json_decref(root);
    fz_overlay_free(o);
    return rc;
}

int fz_overlay_load(const fz_graph *g, fz_overlay_kind kind, const char *path,
                    const fz_alloc *alloc, fz_overlay **out, char *err, size_t errsz)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errsz, "cannot read '%s'", path);
        return FZ_ENOENT;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = fz_malloc(alloc, cap);
    int rc = FZ_OK;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = fz_realloc(alloc, buf, cap, cap * 2);
        if (!nb) {
            fz_free(alloc, buf, cap);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!buf)
        rc = FZ_ENOMEM;
    else if (ferror(f)) {
        set_err(err, errsz, "cannot read '%s'", path);
        rc = FZ_EIO;
    }
    fclose(f);
    if (rc == FZ_OK)
        rc = kind == FZ_OVERLAY_TRACE
                 ? fz_overlay_trace_mem(g, path, buf, n, alloc, out, err, errsz)
                 : fz_overlay_heat_mem(g, path, buf, n, alloc, out, err, errsz);
    fz_free(alloc, buf, cap);
    return rc;
}
