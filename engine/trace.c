/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the JSON-lines trace observer (see trace.h, docs/formats.md).
 * One jansson object per event, dumped compactly with a newline. Task start
 * times are kept in a table indexed by task id so that `finish` can say how
 * long the task took; the table grows with the run, 8 bytes a task.
 */
#include "engine/trace.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/utf8.h"

struct fz_trace {
    FILE *out;
    const fz_graph *g;
    const fz_alloc *alloc;
    int status;
    uint8_t flush;
    uint8_t has_t0;
    uint64_t t0;
    uint64_t lines;
    uint32_t steps;
    uint64_t *starts; /* start time per task id */
    uint32_t nstarts;
    const fz_secrets *secrets; /* masked in every string written */
};

static json_t *jstr_raw(const fz_trace *tr, const char *s, size_t len);

/* A JSON string of len bytes, secrets masked; each byte that is not valid
 * UTF-8 becomes U+FFFD, as in every flowzap output (docs/language.md). */
static json_t *jstr(const fz_trace *tr, const char *s, size_t len)
{
    if (!tr->secrets || !fz_secrets_contains(tr->secrets, s, len))
        return jstr_raw(tr, s, len);
    size_t n = 0;
    char *m = fz_secrets_mask(tr->secrets, s, len, &n);
    json_t *j = m ? jstr_raw(tr, m, n) : NULL;
    free(m);
    return j;
}

static json_t *jstr_raw(const fz_trace *tr, const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j || !len)
        return j;
    size_t rl = 0;
    char *copy = fz_utf8_repair(tr->alloc, s, len, &rl);
    if (!copy)
        return NULL;
    j = json_stringn(copy, rl);
    fz_free(tr->alloc, copy, rl + 1);
    return j;
}

static json_t *jspan(const fz_trace *tr, fz_span sp)
{
    return jstr(tr, fz_graph_text(tr->g, sp), sp.len);
}

static double ms_since(fz_trace *tr, uint64_t t_ns)
{
    if (!tr->has_t0) {
        tr->has_t0 = 1;
        tr->t0 = t_ns;
    }
    uint64_t d = t_ns >= tr->t0 ? t_ns - tr->t0 : 0;
    return (double)d / 1e6;
}

/* Sets key to v, taking v's reference; a NULL v marks the object failed. */
static void put(fz_trace *tr, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        tr->status = tr->status ? tr->status : FZ_ENOMEM;
}

static json_t *event(fz_trace *tr, const char *ev)
{
    if (tr->status)
        return NULL;
    json_t *o = json_object();
    if (!o) {
        tr->status = FZ_ENOMEM;
        return NULL;
    }
    put(tr, o, "ev", json_string(ev));
    return o;
}

static void emit(fz_trace *tr, json_t *o)
{
    if (!o)
        return;
    if (!tr->status) {
        if (json_dumpf(o, tr->out, JSON_COMPACT | JSON_REAL_PRECISION(12)) != 0 ||
            fputc('\n', tr->out) == EOF)
            tr->status = FZ_EIO;
        else
            tr->lines++;
        if (tr->flush && fflush(tr->out) != 0)
            tr->status = FZ_EIO;
    }
    json_decref(o);
}

static void on_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    fz_trace *tr = ud;
    json_t *o = event(tr, "start");
    if (o) {
        const fz_node *n = fz_graph_node(tr->g, t->node);
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "task", json_integer(t->id));
        put(tr, o, "node", jspan(tr, n->id));
        put(tr, o, "lane",
            n->lane < fz_graph_lane_count(tr->g) ? jspan(tr, fz_graph_lane(tr->g, n->lane)->id)
                                                 : json_null());
        put(tr, o, "label", jspan(tr, n->label));
        put(tr, o, "token", json_integer(t->token));
        put(tr, o, "attempt", json_integer(t->attempt));
        if (t->id >= tr->nstarts) {
            uint32_t ncap = tr->nstarts ? tr->nstarts : 64;
            while (ncap <= t->id && ncap < UINT32_MAX / 2)
                ncap *= 2;
            uint64_t *ns =
                fz_realloc(tr->alloc, tr->starts, (size_t)tr->nstarts * 8, (size_t)ncap * 8);
            if (ns) {
                memset(ns + tr->nstarts, 0, (size_t)(ncap - tr->nstarts) * 8);
                tr->starts = ns;
                tr->nstarts = ncap;
            }
        }
        if (t->id < tr->nstarts)
            tr->starts[t->id] = t_ns;
        emit(tr, o);
    }
}

static void on_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    fz_trace *tr = ud;
    tr->steps++;
    json_t *o = event(tr, "finish");
    if (o) {
        const fz_node *n = fz_graph_node(tr->g, t->node);
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "task", json_integer(t->id));
        put(tr, o, "node", jspan(tr, n->id));
        put(tr, o, "answer", json_string(fz_answer_name(r->answer)));
        if (r->outcome)
            put(tr, o, "outcome", jstr(tr, r->outcome, strlen(r->outcome)));
        if (r->reason)
            put(tr, o, "reason", jstr(tr, r->reason, strlen(r->reason)));
        uint64_t began = t->id < tr->nstarts ? tr->starts[t->id] : t_ns;
        put(tr, o, "ms", json_real(t_ns >= began ? (double)(t_ns - began) / 1e6 : 0.0));
        emit(tr, o);
    }
}

static void on_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    fz_trace *tr = ud;
    json_t *o = event(tr, "edge");
    if (o) {
        const fz_edge *e = fz_graph_edge(tr->g, edge);
        char id[16];
        snprintf(id, sizeof(id), "e%u", edge + 1);
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "edge", json_string(id));
        put(tr, o, "from", jspan(tr, fz_graph_node(tr->g, e->src)->id));
        put(tr, o, "to", jspan(tr, fz_graph_node(tr->g, e->dst)->id));
        if ((e->flags & FZ_EDGE_LABELLED) && e->label.len)
            put(tr, o, "label", jspan(tr, e->label));
        put(tr, o, "token", json_integer(token));
        emit(tr, o);
    }
}

static void on_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    fz_trace *tr = ud;
    json_t *o = event(tr, "loop");
    if (o) {
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "loop", json_integer(loop));
        put(tr, o, "token", json_integer(token));
        put(tr, o, "count", json_integer(count));
        emit(tr, o);
    }
}

static void on_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    fz_trace *tr = ud;
    json_t *o = event(tr, "token_end");
    if (o) {
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "token", json_integer(token));
        put(tr, o, "node", jspan(tr, fz_graph_node(tr->g, node)->id));
        emit(tr, o);
    }
}

static void on_run_end(void *ud, fz_run_state st, const char *outcome, uint64_t t_ns)
{
    fz_trace *tr = ud;
    json_t *o = event(tr, "end");
    if (o) {
        put(tr, o, "t", json_real(ms_since(tr, t_ns)));
        put(tr, o, "state", json_string(st == FZ_RUN_COMPLETED ? "completed" : "failed"));
        put(tr, o, "outcome", jstr(tr, outcome ? outcome : "", outcome ? strlen(outcome) : 0));
        put(tr, o, "steps", json_integer(tr->steps));
        emit(tr, o);
    }
    if (!tr->status && fflush(tr->out) != 0)
        tr->status = FZ_EIO;
}

int fz_trace_new(FILE *out, const fz_graph *g, const char *backend, const fz_trace_opts *opts,
                 const fz_alloc *alloc, fz_trace **trp)
{
    *trp = NULL;
    fz_trace *tr = fz_calloc(alloc, 1, sizeof(*tr));
    if (!tr)
        return FZ_ENOMEM;
    tr->out = out;
    tr->g = g;
    tr->alloc = alloc;
    if (opts) {
        tr->flush = opts->flush;
        tr->has_t0 = opts->has_t0;
        tr->t0 = opts->t0_ns;
        tr->secrets = opts->secrets;
    }
    json_t *o = event(tr, "run");
    if (o) {
        const char *wf = opts && opts->workflow ? opts->workflow : g->path;
        put(tr, o, "run", opts && opts->run >= 0 ? json_integer(opts->run) : json_null());
        put(tr, o, "workflow", jstr(tr, wf, strlen(wf)));
        if (opts && opts->hash)
            put(tr, o, "hash", jstr(tr, opts->hash, strlen(opts->hash)));
        put(tr, o, "backend", jstr(tr, backend ? backend : "", backend ? strlen(backend) : 0));
        if (opts && opts->has_seed)
            put(tr, o, "seed", json_integer((json_int_t)opts->seed));
        if (opts && opts->has_index)
            put(tr, o, "index", json_integer((json_int_t)opts->index));
        emit(tr, o);
    }
    if (tr->status) {
        int rc = tr->status;
        fz_trace_free(tr);
        return rc;
    }
    *trp = tr;
    return FZ_OK;
}

void fz_trace_free(fz_trace *tr)
{
    if (!tr)
        return;
    fz_free(tr->alloc, tr->starts, (size_t)tr->nstarts * 8);
    fz_free(tr->alloc, tr, sizeof(*tr));
}

void fz_trace_observer(fz_trace *tr, fz_observer *obs)
{
    obs->on_start = on_start;
    obs->on_finish = on_finish;
    obs->on_edge = on_edge;
    obs->on_loop = on_loop;
    obs->on_token_end = on_token_end;
    obs->on_run_end = on_run_end;
    obs->ud = tr;
}

int fz_trace_status(const fz_trace *tr)
{
    return tr->status;
}

uint64_t fz_trace_lines(const fz_trace *tr)
{
    return tr->lines;
}
