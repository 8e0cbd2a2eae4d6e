/* SPDX-License-Identifier: MIT */
/*
 * exact.c - depth-first enumeration of a run's random choices. The engine
 * has no snapshot, so each path is a fresh run that replays a prefix of
 * choices and extends it with the first possible alternative; then the
 * deepest choice with an untried alternative moves on (an odometer).
 * Cost: O(paths x steps per path); a path's probability is the product of
 * its choices'. Parallel branches multiply paths (each combination of the
 * branches' choices is a path): parallel_bound() refuses, before any run,
 * a workflow whose branches alone make more paths than allowed.
 */
#include "sim/exact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "engine/backend.h"
#include "sim/backend_sim.h"

#define MAX_ALT 64

typedef struct point {
    uint32_t n, idx;
    uint8_t frozen; /* made past the pruning threshold: never branches */
    double probs[MAX_ALT];
} point;

/* A path whose probability falls below this stops branching: it follows
 * its most likely alternatives to its end and its mass is counted as
 * pruned. This keeps unbounded cycles (a Retry edge back into the flow)
 * finite while the error stays below the pruned mass, which is reported. */
#define PRUNE_BELOW 1e-10

typedef struct oc {
    char *name;
    fz_run_state state;
    double p;
} oc;

struct fz_exact {
    const fz_alloc *alloc;
    point *stack;
    uint32_t len, cap, pos;
    int oom;
    double prefix_p; /* probability of the choices made so far in this run */
    double pruned;
    oc *outs;
    uint32_t nouts, capouts;
    uint32_t *slots; /* outcome index + 1 by name hash, open addressing */
    uint32_t slot_mask;
    uint64_t paths;
};

static uint32_t next_alt(const point *p, uint32_t from)
{
    if (p->frozen && from > 0)
        return p->n;
    while (from < p->n && !(p->probs[from] > 0))
        from++;
    return from;
}

static uint32_t pick(void *ud, uint32_t n, const double *probs)
{
    fz_exact *x = ud;
    if (x->pos < x->len) {
        point *p = &x->stack[x->pos++];
        x->prefix_p *= p->probs[p->idx];
        return p->idx;
    }
    if (x->len == x->cap) {
        uint32_t ncap = x->cap ? x->cap * 2 : 64;
        point *ns = fz_realloc(x->alloc, x->stack, sizeof(point) * x->cap, sizeof(point) * ncap);
        if (!ns) {
            x->oom = 1;
            return 0;
        }
        x->stack = ns;
        x->cap = ncap;
    }
    point *p = &x->stack[x->len++];
    p->n = n < MAX_ALT ? n : MAX_ALT;
    memcpy(p->probs, probs, sizeof(double) * p->n);
    p->frozen = x->prefix_p < PRUNE_BELOW;
    if (p->frozen) { /* the most likely alternative, and no branching */
        p->idx = 0;
        for (uint32_t i = 1; i < p->n; i++)
            if (p->probs[i] > p->probs[p->idx])
                p->idx = i;
    } else {
        p->idx = next_alt(p, 0);
        if (p->idx >= p->n)
            p->idx = 0; /* all zero cannot happen: shares sum to 1 */
    }
    x->prefix_p *= p->probs[p->idx];
    x->pos++;
    return p->idx;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Finds name among the outcomes by hash (a list scan made every path cost
 * the number of outcomes: quadratic when each path ends differently). */
static int add_outcome(fz_exact *x, const char *name, fz_run_state st, double p)
{
    uint32_t h = name_hash(name), i = h & x->slot_mask;
    if (x->slots) {
        for (; x->slots[i]; i = (i + 1) & x->slot_mask)
            if (strcmp(x->outs[x->slots[i] - 1].name, name) == 0) {
                x->outs[x->slots[i] - 1].p += p;
                return 0;
            }
    }
    if (x->nouts == x->capouts) {
        uint32_t ncap = x->capouts ? x->capouts * 2 : 8;
        oc *no = fz_realloc(x->alloc, x->outs, sizeof(oc) * x->capouts, sizeof(oc) * ncap);
        if (!no)
            return FZ_ENOMEM;
        x->outs = no;
        x->capouts = ncap;
    }
    if (!x->slots || (x->nouts + 1) * 2 > x->slot_mask) {
        uint32_t nmask = x->slots ? x->slot_mask * 2 + 1 : 15;
        uint32_t *ns = fz_calloc(x->alloc, (size_t)nmask + 1, sizeof(uint32_t));
        if (!ns)
            return FZ_ENOMEM;
        for (uint32_t k = 0; k < x->nouts; k++) {
            uint32_t j = name_hash(x->outs[k].name) & nmask;
            while (ns[j])
                j = (j + 1) & nmask;
            ns[j] = k + 1;
        }
        if (x->slots)
            fz_free(x->alloc, x->slots, ((size_t)x->slot_mask + 1) * sizeof(uint32_t));
        x->slots = ns;
        x->slot_mask = nmask;
        for (i = h & nmask; ns[i]; i = (i + 1) & nmask)
            ;
    }
    char *copy = fz_strdup(x->alloc, name);
    if (!copy)
        return FZ_ENOMEM;
    x->outs[x->nouts++] = (oc){copy, st, p};
    x->slots[i] = x->nouts;
    return 0;
}

/* Alternatives with a non-zero probability of node n's first attempt
 * (what the chooser is offered when its task starts), 1 when scripted. */
static uint64_t first_alternatives(const fz_scenario *s, uint32_t n)
{
    const fz_sim_params *p = fz_scenario_params(s, n, 0);
    if (p->nscript)
        return 1;
    uint64_t k = (p->p_error > 0) + (p->p_no > 0);
    if (1.0 - p->p_error - p->p_no > 0) {
        uint64_t c = 0;
        for (uint32_t i = 0; i < p->nchoices && i < MAX_ALT; i++)
            c += p->choices[i].cum - (i ? p->choices[i - 1].cum : 0.0) > 0;
        k += c ? c : 1;
    }
    return k ? k : 1;
}

#define NODE_ID_ARGS(g, n) (int)fz_graph_node(g, n)->id.len, fz_graph_text(g, fz_graph_node(g, n)->id)

/* A lower bound on the paths, from the parallel branches alone: an action
 * (not a diamond, no negative- or error-labelled edge) with several
 * outgoing edges starts one token on each, and their first tasks start
 * together, each drawing its answer: every combination of those answers
 * is a path of its own. When the product for a fan-out reachable from a
 * start exceeds max_paths, fills why (naming the branches) and returns 1:
 * --exact refuses at once instead of enumerating for minutes. */
static int parallel_bound(const fz_scenario *s, uint64_t max_paths, char *why, size_t whylen)
{
    const fz_graph *g = s->graph;
    uint32_t nn = fz_graph_node_count(g);
    uint8_t *seen = fz_calloc(g->alloc, (size_t)nn + 1, 1);
    uint32_t *stack = fz_malloc(g->alloc, sizeof(uint32_t) * ((size_t)nn + 1));
    int refused = 0;
    if (!seen || !stack)
        goto out; /* no bound: the enumeration's own cap still holds */
    uint32_t top = 0, nin;
    for (uint32_t n = 0; n < nn; n++)
        if (fz_graph_in(g, n, &nin), nin == 0)
            seen[n] = 1, stack[top++] = n;
    if (top == 0 && nn)
        seen[0] = 1, stack[top++] = 0;
    while (top && !refused) {
        uint32_t n = stack[--top], nout;
        const uint32_t *out = fz_graph_out(g, n, &nout);
        int fan = fz_graph_node(g, n)->shape != FZ_SHAPE_DIAMOND && nout >= 2;
        for (uint32_t i = 0; i < nout && fan; i++) {
            const fz_edge *e = fz_graph_edge(g, out[i]);
            if (e->label.len && fz_scenario_label_is_fault(fz_graph_text(g, e->label), e->label.len))
                fan = 0;
        }
        if (fan) {
            uint64_t prod = 1;
            for (uint32_t i = 0; i < nout && prod <= max_paths; i++)
                prod *= first_alternatives(s, fz_graph_edge(g, out[i])->dst);
            if (prod > max_paths) {
                size_t k = (size_t)snprintf(
                    why, whylen,
                    "the %u parallel branches from %.*s (", nout, NODE_ID_ARGS(g, n));
                for (uint32_t i = 0; i < nout && i < 8 && k < whylen; i++)
                    k += (size_t)snprintf(why + k, whylen - k, "%s%.*s", i ? ", " : "",
                                          NODE_ID_ARGS(g, fz_graph_edge(g, out[i])->dst));
                if (k < whylen)
                    snprintf(why + k, whylen - k,
                             "%s) make more than %llu combinations of answers, each a path "
                             "of its own: --exact enumerates paths one by one; sample "
                             "instead (--runs N)",
                             nout > 8 ? ", ..." : "", (unsigned long long)max_paths);
                refused = 1;
            }
        }
        for (uint32_t i = 0; i < nout; i++) {
            uint32_t d = fz_graph_edge(g, out[i])->dst;
            if (!seen[d]) {
                seen[d] = 1;
                stack[top++] = d;
            }
        }
    }
out:
    fz_free(g->alloc, seen, (size_t)nn + 1);
    fz_free(g->alloc, stack, sizeof(uint32_t) * ((size_t)nn + 1));
    return refused;
}

static int cmp_oc(const void *a, const void *b)
{
    const oc *x = a, *y = b;
    if (x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return strcmp(x->name, y->name);
}

int fz_exact_run(const fz_plan *plan, const fz_scenario *s, uint64_t max_paths,
                 const fz_alloc *alloc, fz_exact **out, char *why, size_t whylen)
{
    *out = NULL;
    if (s->time_dependent) {
        snprintf(why, whylen,
                 "scenario '%s' depends on time (time windows, outages or a start "
                 "distribution): --exact needs a scenario without them",
                 s->name);
        return FZ_EINVAL;
    }
    if (parallel_bound(s, max_paths, why, whylen))
        return FZ_EINVAL;
    fz_exact *x = fz_calloc(alloc, 1, sizeof *x);
    if (!x)
        return FZ_ENOMEM;
    x->alloc = alloc;
    *out = x;
    fz_engine *e = NULL;
    fz_backend_sim *b = NULL;
    int rc = fz_engine_new(plan, alloc, &e);
    if (!rc)
        rc = fz_backend_sim_new(s, alloc, &b);
    if (rc)
        goto out;
    fz_sim_chooser ch = {pick, x};
    fz_backend_sim_set_chooser(b, &ch);
    for (;;) {
        if (x->paths >= max_paths) {
            snprintf(why, whylen,
                     "more than %llu paths: bound the workflow's loops (or lower retries) "
                     "for --exact, or sample instead",
                     (unsigned long long)max_paths);
            rc = FZ_EINVAL;
            goto out;
        }
        x->pos = 0;
        x->prefix_p = 1.0;
        fz_backend_sim_reset(b, 0, 0);
        if ((rc = fz_engine_start(e)) || (rc = fz_engine_drive(e, fz_backend_sim_backend(b))))
            goto out;
        if (x->oom) {
            rc = FZ_ENOMEM;
            goto out;
        }
        x->len = x->pos; /* choices past pos belonged to a longer earlier path */
        double p = 1.0;
        int frozen = 0;
        for (uint32_t i = 0; i < x->len; i++) {
            p *= x->stack[i].probs[x->stack[i].idx];
            frozen |= x->stack[i].frozen;
        }
        x->paths++;
        if (frozen) {
            /* Its mass stands for every continuation not explored. */
            double head = 1.0;
            for (uint32_t i = 0; i < x->len && !x->stack[i].frozen; i++)
                head *= x->stack[i].probs[x->stack[i].idx];
            x->pruned += head - p;
        }
        const char *name = fz_engine_outcome(e);
        if ((rc = add_outcome(x, name ? name : "", fz_engine_state(e), p)))
            goto out;
        while (x->len) {
            point *pt = &x->stack[x->len - 1];
            uint32_t nx = next_alt(pt, pt->idx + 1);
            if (nx < pt->n) {
                pt->idx = nx;
                break;
            }
            x->len--;
        }
        if (x->len == 0)
            break;
    }
    qsort(x->outs, x->nouts, sizeof(oc), cmp_oc);
out:
    fz_engine_free(e);
    fz_backend_sim_free(b);
    return rc;
}

void fz_exact_free(fz_exact *x)
{
    if (!x)
        return;
    for (uint32_t i = 0; i < x->nouts; i++)
        fz_free(x->alloc, x->outs[i].name, strlen(x->outs[i].name) + 1);
    fz_free(x->alloc, x->outs, sizeof(oc) * x->capouts);
    if (x->slots)
        fz_free(x->alloc, x->slots, ((size_t)x->slot_mask + 1) * sizeof(uint32_t));
    fz_free(x->alloc, x->stack, sizeof(point) * x->cap);
    fz_free(x->alloc, x, sizeof *x);
}

uint32_t fz_exact_count(const fz_exact *x)
{
    return x->nouts;
}

double fz_exact_at(const fz_exact *x, uint32_t i, const char **name, fz_run_state *state)
{
    if (i >= x->nouts)
        return 0;
    if (name)
        *name = x->outs[i].name;
    if (state)
        *state = x->outs[i].state;
    return x->outs[i].p;
}

uint64_t fz_exact_paths(const fz_exact *x)
{
    return x->paths;
}

double fz_exact_pruned(const fz_exact *x)
{
    return x->pruned;
}
