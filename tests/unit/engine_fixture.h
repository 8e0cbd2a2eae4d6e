/* SPDX-License-Identifier: MIT */
/*
 * engine_fixture.h - what the engine's test programs share: a graph built
 * from a compact description (so routing tests need no parser), and a
 * scripted backend, a real fz_backend that answers per node from a table
 * and records the path it ran.
 *
 * Description, one item per line:
 *   n1 circle Start          node: id, shape (circle|rect|diamond|taskbox), label
 *   n1 -> n2 Deploy canary   edge: source, target, optional label
 *   loop 3 retry up to 3 times: n2 n3
 *                            loop: bound, condition, listed nodes
 *
 * Script, one item per node, separated by ';':
 *   n3=no,no,ok     answers for successive visits (the last one repeats)
 *   answers: ok | no | error | timeout, with an optional ":reason";
 *   @Label is an explicit outcome (answer ok); +K=V after an answer sets a
 *   variable. Nodes without a script answer ok.
 */
#ifndef FZ_TESTS_ENGINE_FIXTURE_H
#define FZ_TESTS_ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/engine.h"
#include "parser/graph.h"
#include "tests/support/support.h"

static inline const char *fx_skip(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static inline const char *fx_word(const char *s, const char *end)
{
    while (s < end && *s != ' ' && *s != '\t')
        s++;
    return s;
}

/* Builds a finished graph from desc through alloc; returns 0 or FZ_ENOMEM. */
static inline int fx_graph_try(const char *desc, const fz_alloc *alloc, fz_graph **out)
{
    fz_graph *g = NULL;
    *out = NULL;
    int rc = fz_graph_new(alloc, &g);
    if (rc)
        return rc;
    size_t len = strlen(desc);
    char *src = fz_malloc(alloc, len + 1);
    if (!src) {
        fz_graph_free(g);
        return FZ_ENOMEM;
    }
    memcpy(src, desc, len + 1);
    rc = fz_graph_set_source(g, "test.fz", src, (uint32_t)len, src, len + 1);
    if (rc) {
        fz_free(alloc, src, len + 1);
        fz_graph_free(g);
        return rc;
    }
    uint32_t lane = 0;
    fz_span lid = {0, 0};
    if ((rc = fz_graph_add_lane(g, lid, lid, 0, 0, &lane)) != 0)
        goto out;
    const char *p = src, *all_end = src + len;
    while (p < all_end) {
        const char *eol = memchr(p, '\n', (size_t)(all_end - p));
        if (!eol)
            eol = all_end;
        const char *a = fx_skip(p, eol);
        if (a == eol) {
            p = eol + 1;
            continue;
        }
        const char *a_end = fx_word(a, eol);
        const char *b = fx_skip(a_end, eol);
        const char *b_end = fx_word(b, eol);
        fz_span s1 = {(uint32_t)(a - src), (uint32_t)(a_end - a)};
        if (a_end - a == 4 && memcmp(a, "loop", 4) == 0) {
            fz_loop *l = fz_graph_add_loop(g);
            if (!l) {
                rc = FZ_ENOMEM;
                goto out;
            }
            l->bound = (uint32_t)strtoul(b, NULL, 10);
            const char *c = fx_skip(b_end, eol);
            const char *colon = memchr(c, ':', (size_t)(eol - c));
            assert_non_null(colon);
            l->cond.off = (uint32_t)(c - src);
            l->cond.len = (uint32_t)(colon - c);
            l->offset = (uint32_t)(a - src);
            const char *q = colon + 1;
            for (;;) {
                q = fx_skip(q, eol);
                if (q == eol)
                    break;
                const char *qe = fx_word(q, eol);
                fz_span id = {(uint32_t)(q - src), (uint32_t)(qe - q)};
                uint32_t n;
                if ((rc = fz_graph_node_ref(g, id, id.off, &n)) != 0 ||
                    (rc = fz_graph_add_loop_node(g, n)) != 0)
                    goto out;
                l = fz_graph_loop(g, fz_graph_loop_count(g) - 1);
                l->node_count++;
                q = qe;
            }
        } else if (b_end - b == 2 && memcmp(b, "->", 2) == 0) {
            const char *c = fx_skip(b_end, eol);
            const char *c_end = fx_word(c, eol);
            const char *lab = fx_skip(c_end, eol);
            fz_span s2 = {(uint32_t)(c - src), (uint32_t)(c_end - c)};
            uint32_t from, to;
            if ((rc = fz_graph_node_ref(g, s1, s1.off, &from)) != 0 ||
                (rc = fz_graph_node_ref(g, s2, s2.off, &to)) != 0)
                goto out;
            fz_edge *e = fz_graph_add_edge(g);
            if (!e) {
                rc = FZ_ENOMEM;
                goto out;
            }
            e->src = from;
            e->dst = to;
            e->lane = lane;
            e->offset = s1.off;
            e->dst_offset = s2.off;
            if (lab < eol) {
                e->label.off = (uint32_t)(lab - src);
                e->label.len = (uint32_t)(eol - lab);
                e->flags |= FZ_EDGE_LABELLED;
            }
        } else {
            uint32_t n;
            if ((rc = fz_graph_node_ref(g, s1, s1.off, &n)) != 0)
                goto out;
            fz_node *nd = fz_graph_node(g, n);
            size_t wl = (size_t)(b_end - b);
            nd->shape = wl == 6 && !memcmp(b, "circle", 6)    ? FZ_SHAPE_CIRCLE
                        : wl == 7 && !memcmp(b, "diamond", 7) ? FZ_SHAPE_DIAMOND
                        : wl == 7 && !memcmp(b, "taskbox", 7) ? FZ_SHAPE_TASKBOX
                                                              : FZ_SHAPE_RECTANGLE;
            nd->flags |= FZ_NODE_DEFINED;
            nd->lane = lane;
            nd->offset = s1.off;
            const char *lab = fx_skip(b_end, eol);
            if (lab < eol) {
                nd->label.off = (uint32_t)(lab - src);
                nd->label.len = (uint32_t)(eol - lab);
            }
        }
        p = eol + 1;
    }
    rc = fz_graph_finish(g);
out:
    if (rc) {
        fz_graph_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

static inline fz_graph *fx_graph(const char *desc)
{
    fz_graph *g = NULL;
    assert_int_equal(fx_graph_try(desc, NULL, &g), 0);
    return g;
}

static inline uint32_t fx_node(const fz_graph *g, const char *id)
{
    uint32_t n = fz_graph_find_node(g, id, strlen(id));
    assert_int_not_equal(n, FZ_NONE);
    return n;
}

/*==========================================================================
 * The scripted backend
 *========================================================================*/

#define FX_MAX_TASKS 4096

typedef struct fx_backend {
    const fz_graph *g;
    const char *script;
    uint32_t visits[256]; /* per node */
    fz_task queue[FX_MAX_TASKS];
    uint32_t head, tail;
    uint64_t clock;
    uint64_t step_ns;
    char path[8192]; /* "n1 n2 n3#2 ..." (#k: attempt k > 1) */
    size_t path_len;
    uint64_t delays[64]; /* delay_ns of the tasks started, in order */
    uint32_t ndelays;
    int interrupt_after; /* wait() returns FZ_EINTR after this many results (0: never) */
    int results;
    int cancelled;
    char reason[128];
    char outcome[128];
    char vkey[64], vval[64];
    fz_kv kv;
} fx_backend;

static inline void fx_path_add(fx_backend *fx, const char *s)
{
    size_t n = strlen(s);
    if (fx->path_len + n + 2 < sizeof(fx->path)) {
        if (fx->path_len)
            fx->path[fx->path_len++] = ' ';
        memcpy(fx->path + fx->path_len, s, n + 1);
        fx->path_len += n;
    }
}

static inline uint64_t fx_now(void *ud)
{
    return ((fx_backend *)ud)->clock;
}

static inline int fx_start(void *ud, fz_engine *e, const fz_task *t)
{
    fx_backend *fx = ud;
    (void)e;
    assert_true(fx->tail - fx->head < FX_MAX_TASKS);
    fx->queue[fx->tail++ % FX_MAX_TASKS] = *t;
    if (fx->ndelays < 64)
        fx->delays[fx->ndelays++] = t->delay_ns;
    return 0;
}

/* The k-th item (0-based) of node id's script, or NULL for "ok". */
static inline const char *fx_item(const char *script, const char *id, size_t idlen, uint32_t k,
                                  size_t *len)
{
    const char *s = script;
    while (s && *s) {
        const char *semi = strchr(s, ';');
        const char *end = semi ? semi : s + strlen(s);
        while (*s == ' ')
            s++;
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (eq && (size_t)(eq - s) == idlen && memcmp(s, id, idlen) == 0) {
            const char *it = eq + 1;
            for (uint32_t i = 0;; i++) {
                const char *comma = memchr(it, ',', (size_t)(end - it));
                const char *ie = comma ? comma : end;
                if (i == k || !comma) {
                    *len = (size_t)(ie - it);
                    return it;
                }
                it = comma + 1;
            }
        }
        s = semi ? semi + 1 : NULL;
    }
    return NULL;
}

static inline int fx_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    fx_backend *fx = ud;
    (void)e;
    if (fx->interrupt_after && fx->results >= fx->interrupt_after)
        return FZ_EINTR;
    assert_true(fx->head != fx->tail);
    fz_task t = fx->queue[fx->head++ % FX_MAX_TASKS];
    fx->clock += t.delay_ns + fx->step_ns;
    fx->results++;
    const fz_node *n = fz_graph_node(fx->g, t.node);
    const char *id = fz_graph_text(fx->g, n->id);
    char name[80];
    if (t.attempt > 1)
        snprintf(name, sizeof(name), "%.*s#%u", (int)n->id.len, id, t.attempt);
    else
        snprintf(name, sizeof(name), "%.*s", (int)n->id.len, id);
    fx_path_add(fx, name);
    size_t len = 0;
    const char *it = fx_item(fx->script, id, n->id.len, fx->visits[t.node]++, &len);
    memset(r, 0, sizeof(*r));
    *task_id = t.id;
    if (!it)
        return 0;
    char item[256];
    snprintf(item, sizeof(item), "%.*s", (int)len, it);
    char *plus = strchr(item, '+');
    if (plus) {
        *plus = '\0';
        char *eq = strchr(plus + 1, '=');
        assert_non_null(eq);
        *eq = '\0';
        snprintf(fx->vkey, sizeof(fx->vkey), "%.60s", plus + 1);
        snprintf(fx->vval, sizeof(fx->vval), "%.60s", eq + 1);
        fx->kv.key = fx->vkey;
        fx->kv.value = fx->vval;
        r->vars = &fx->kv;
        r->nvars = 1;
    }
    char *colon = strchr(item, ':');
    if (colon) {
        *colon = '\0';
        snprintf(fx->reason, sizeof(fx->reason), "%.120s", colon + 1);
        r->reason = fx->reason;
    }
    if (item[0] == '@') {
        snprintf(fx->outcome, sizeof(fx->outcome), "%.120s", item + 1);
        r->outcome = fx->outcome;
        r->answer = FZ_ANSWER_OK;
    } else if (!strcmp(item, "no")) {
        r->answer = FZ_ANSWER_NO;
    } else if (!strcmp(item, "error")) {
        r->answer = FZ_ANSWER_ERROR;
    } else if (!strcmp(item, "timeout")) {
        r->answer = FZ_ANSWER_TIMEOUT;
    } else {
        assert_string_equal(item, "ok");
    }
    return 0;
}

static inline void fx_cancel(void *ud, fz_engine *e)
{
    fx_backend *fx = ud;
    (void)e;
    fx->head = fx->tail;
    fx->cancelled++;
}

static inline void fx_init(fx_backend *fx, const fz_graph *g, const char *script, fz_backend *b)
{
    memset(fx, 0, sizeof(*fx));
    fx->g = g;
    fx->script = script;
    fx->step_ns = 1000000; /* 1 ms a step */
    b->name = "test";
    b->now = fx_now;
    b->start = fx_start;
    b->wait = fx_wait;
    b->cancel_all = fx_cancel;
    b->start_wait = NULL;
    b->ud = fx;
}

#endif
