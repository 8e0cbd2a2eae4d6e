/* SPDX-License-Identifier: MIT */
/*
 * engine.c - plans (routing tables compiled once from a graph) and the run
 * state machine that walks tokens through them (docs/semantics.md).
 * Design rule: everything a step needs is precomputed in the plan, and a run
 * allocates only while its tables grow to their high-water mark; after that
 * a step is a table lookup, a few stores and at most one callback per event.
 */
#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/engine_int.h"
#include "parser/words.h"

#define DEFAULT_MAX_STEPS 10000u

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/*==========================================================================
 * Plans
 *========================================================================*/

enum {
    EI_LABELLED = 1u << 0,
    EI_YES = 1u << 1, /* yes-word, or the other of two labelled edges (see plan_node) */
    EI_NO = 1u << 2,
    EI_ERROR = 1u << 3,
};

/* What the target of an edge is, for take_one's one test. */
enum {
    DST_HEAD = 1u << 0,  /* the first node of some loop */
    DST_MERGE = 1u << 1, /* a merge: several incoming edges */
};

typedef struct edge_info {
    uint32_t src, dst;
    const char *label; /* trimmed label text, not NUL-terminated */
    uint32_t label_len;
    uint8_t flags;    /* EI_* */
    uint8_t dst_kind; /* DST_* */
    uint8_t back;     /* closes a cycle in the plan's depth-first search */
} edge_info;

/* A run of plan->pool. */
typedef struct span32 {
    uint32_t first, count;
} span32;

typedef struct node_info {
    span32 ok;     /* edges taken on ok */
    span32 no;     /* edges taken on a negative answer */
    span32 err;    /* error edges: taken on an error or timeout */
    span32 def;    /* unlabelled edges: a decision's default */
    span32 out;    /* every outgoing edge, file order */
    span32 heads;  /* loops whose first node this node is */
    span32 member; /* loops that list this node */
    uint32_t loop; /* innermost loop listing this node, or FZ_NONE */
    uint32_t merge; /* index among the merge nodes (reach bits), or FZ_NONE */
    uint32_t max_succ;
    uint8_t decision; /* routes like a decision */
    uint8_t ok_ends;  /* no outgoing edge: ok ends the token */
    uint8_t labels_unique; /* no two out edges share a label (case aside) */
    const char *label;
    uint32_t label_len;
    uint32_t ok1; /* ok.count == 1: that edge + 1 (route's common step); else 0 */
} node_info;

typedef struct loop_info {
    uint32_t first; /* node */
    uint32_t bound;
    uint32_t size; /* nodes listed */
    const char *cond;
    uint32_t cond_len;
} loop_info;

struct fz_plan {
    const fz_alloc *alloc;
    const fz_graph *g;
    uint32_t nnodes, nedges, nloops;
    node_info *nodes;
    edge_info *edges;
    loop_info *loops;
    fz_vec pool; /* uint32_t: edge and loop index lists */
    fz_policy *policies;
    uint32_t *starts;
    uint32_t nstart, nstart_alloc;
    uint32_t max_steps;
    /* Joins: bit m of row n (reach + n * reach_words) is set when a token
     * at node n could still arrive at the merge node of index m along
     * forward edges (plan_reach). */
    uint32_t nmerges;
    uint32_t reach_words;
    uint64_t *reach;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *trim(const char *s, size_t len, uint32_t *out_len)
{
    while (len && is_space(*s)) {
        s++;
        len--;
    }
    while (len && is_space(s[len - 1]))
        len--;
    *out_len = (uint32_t)len;
    return s;
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Equal bytes skip the case folding: an outcome is usually spelt as its
 * edge's label, so this is one compare per byte. */
static int equal_nocase(const char *a, const char *b, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (a[i] != b[i] &&
            ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int pool_push(fz_plan *p, uint32_t v)
{
    uint32_t *slot = fz_vec_push(&p->pool);
    if (!slot)
        return FZ_ENOMEM;
    *slot = v;
    return FZ_OK;
}

/* Appends the out edges of node n that have all bits of want and none of
 * deny; *s receives the run. */
static int pool_edges(fz_plan *p, const uint32_t *out, uint32_t nout, uint8_t want, uint8_t deny,
                      span32 *s)
{
    s->first = p->pool.len;
    for (uint32_t i = 0; i < nout; i++) {
        uint8_t f = p->edges[out[i]].flags;
        if ((f & want) == want && !(f & deny)) {
            if (pool_push(p, out[i]))
                return FZ_ENOMEM;
        }
    }
    s->count = p->pool.len - s->first;
    return FZ_OK;
}

/* Fills the routing lists of node n (docs/semantics.md "Running a node"). */
static int plan_node(fz_plan *p, uint32_t n)
{
    const fz_graph *g = p->g;
    node_info *ni = &p->nodes[n];
    const fz_node *gn = fz_graph_node(g, n);
    ni->label = trim(fz_graph_text(g, gn->label), gn->label.len, &ni->label_len);
    ni->loop = FZ_NONE;
    uint32_t nout = 0;
    const uint32_t *out = fz_graph_out(g, n, &nout);
    uint32_t nyes = 0, nno = 0, nlab = 0;
    for (uint32_t i = 0; i < nout; i++) {
        uint8_t f = p->edges[out[i]].flags;
        nyes += (f & EI_YES) != 0;
        nno += (f & EI_NO) != 0;
        nlab += (f & EI_LABELLED) != 0;
    }
    int diamond = gn->shape == FZ_SHAPE_DIAMOND;
    ni->decision = (uint8_t)(diamond || (nyes > 0 && nno > 0));
    ni->ok_ends = (uint8_t)(nout == 0);
    ni->max_succ = nout > 1 ? nout : 1;
    /* An outcome then names at most one edge: route() takes it directly. */
    ni->labels_unique = 1;
    for (uint32_t i = 0; i < nout && ni->labels_unique; i++) {
        const edge_info *a = &p->edges[out[i]];
        for (uint32_t j = i + 1; j < nout; j++) {
            const edge_info *b = &p->edges[out[j]];
            if (a->label_len == b->label_len && equal_nocase(a->label, b->label, a->label_len)) {
                ni->labels_unique = 0;
                break;
            }
        }
    }
    int rc = pool_edges(p, out, nout, 0, 0, &ni->out);
    if (!rc)
        rc = pool_edges(p, out, nout, EI_ERROR, 0, &ni->err);
    if (!rc)
        rc = pool_edges(p, out, nout, 0, EI_LABELLED, &ni->def);
    if (rc)
        return rc;
    if (!ni->decision) {
        /* ok: every edge that is not an error edge; no and error: error edges.
         * A lone edge is taken on ok whatever its label says. */
        rc = pool_edges(p, out, nout, 0, nout == 1 ? 0 : EI_ERROR, &ni->ok);
        ni->no = ni->err;
        return rc;
    }
    /* The two-edge rule: exactly two labelled edges, one of them yes- (no-)
     * labelled and the other unclassified: the other is the opposite. An
     * error edge never stands for an answer. */
    uint32_t yes_extra = FZ_NONE, no_extra = FZ_NONE;
    if (diamond && nlab == 2) {
        uint32_t lab[2], k = 0;
        for (uint32_t i = 0; i < nout && k < 2; i++)
            if (p->edges[out[i]].flags & EI_LABELLED)
                lab[k++] = out[i];
        uint8_t f0 = p->edges[lab[0]].flags, f1 = p->edges[lab[1]].flags;
        const uint8_t cls = EI_YES | EI_NO | EI_ERROR;
        if ((f0 & cls) == EI_YES && !(f1 & cls))
            no_extra = lab[1];
        else if ((f1 & cls) == EI_YES && !(f0 & cls))
            no_extra = lab[0];
        else if ((f0 & cls) == EI_NO && !(f1 & cls))
            yes_extra = lab[1];
        else if ((f1 & cls) == EI_NO && !(f0 & cls))
            yes_extra = lab[0];
    }
    ni->ok.first = p->pool.len;
    for (uint32_t i = 0; i < nout; i++)
        if (((p->edges[out[i]].flags & EI_YES) || out[i] == yes_extra) && pool_push(p, out[i]))
            return FZ_ENOMEM;
    ni->ok.count = p->pool.len - ni->ok.first;
    if (ni->ok.count == 0)
        ni->ok = ni->def;
    if (ni->ok.count == 0 && nout == 1)
        ni->ok = ni->out; /* a lone edge: taken on ok whatever its label says */
    ni->no.first = p->pool.len;
    for (uint32_t i = 0; i < nout; i++)
        if (((p->edges[out[i]].flags & EI_NO) || out[i] == no_extra) && pool_push(p, out[i]))
            return FZ_ENOMEM;
    ni->no.count = p->pool.len - ni->no.first;
    if (ni->no.count == 0)
        ni->no = ni->def;
    return FZ_OK;
}

/* Loop membership: heads, members and the innermost (fewest nodes, then
 * first in file order) scope of each node. */
static int plan_loops(fz_plan *p)
{
    const fz_graph *g = p->g;
    for (uint32_t l = 0; l < p->nloops; l++) {
        const fz_loop *gl = fz_graph_loop(g, l);
        loop_info *li = &p->loops[l];
        li->first = gl->node_count ? fz_graph_loop_node(g, gl, 0) : FZ_NONE;
        li->bound = gl->bound;
        li->size = gl->node_count;
        li->cond = trim(fz_graph_text(g, gl->cond), gl->cond.len, &li->cond_len);
    }
    for (uint32_t n = 0; n < p->nnodes; n++) {
        node_info *ni = &p->nodes[n];
        ni->heads.first = p->pool.len;
        for (uint32_t l = 0; l < p->nloops; l++)
            if (p->loops[l].first == n && pool_push(p, l))
                return FZ_ENOMEM;
        ni->heads.count = p->pool.len - ni->heads.first;
        ni->member.first = p->pool.len;
        for (uint32_t l = 0; l < p->nloops; l++) {
            const fz_loop *gl = fz_graph_loop(g, l);
            for (uint32_t k = 0; k < gl->node_count; k++) {
                if (fz_graph_loop_node(g, gl, k) != n)
                    continue;
                if (pool_push(p, l))
                    return FZ_ENOMEM;
                if (ni->loop == FZ_NONE || p->loops[l].size < p->loops[ni->loop].size)
                    ni->loop = l;
                break;
            }
        }
        ni->member.count = p->pool.len - ni->member.first;
    }
    for (uint32_t i = 0; i < p->nedges; i++)
        if (p->nodes[p->edges[i].dst].heads.count > 0)
            p->edges[i].dst_kind |= DST_HEAD;
    return FZ_OK;
}

static int plan_starts(fz_plan *p, const fz_plan_opts *opts)
{
    const fz_graph *g = p->g;
    uint32_t n = p->nnodes, k = 0;
    if (opts && opts->start_nodes && opts->nstart) {
        for (uint32_t i = 0; i < opts->nstart; i++)
            if (opts->start_nodes[i] >= n)
                return FZ_EINVAL;
        p->starts = fz_malloc(p->alloc, (size_t)opts->nstart * sizeof(uint32_t));
        if (!p->starts)
            return FZ_ENOMEM;
        memcpy(p->starts, opts->start_nodes, (size_t)opts->nstart * sizeof(uint32_t));
        p->nstart = p->nstart_alloc = opts->nstart;
        return FZ_OK;
    }
    p->starts = fz_malloc(p->alloc, (size_t)n * sizeof(uint32_t));
    if (!p->starts)
        return FZ_ENOMEM;
    p->nstart_alloc = n;
    /* Circles with no incoming edge. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nin = 0;
        fz_graph_in(g, i, &nin);
        if (nin == 0 && fz_graph_node(g, i)->shape == FZ_SHAPE_CIRCLE)
            p->starts[k++] = i;
    }
    /* Else every node with no incoming edge. */
    if (k == 0) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t nin = 0;
            fz_graph_in(g, i, &nin);
            if (nin == 0)
                p->starts[k++] = i;
        }
    }
    /* Else the first node declared (lowest definition offset). */
    if (k == 0) {
        uint32_t best = 0;
        for (uint32_t i = 1; i < n; i++) {
            const fz_node *a = fz_graph_node(g, i), *b = fz_graph_node(g, best);
            int ad = (a->flags & FZ_NODE_DEFINED) != 0, bd = (b->flags & FZ_NODE_DEFINED) != 0;
            if ((ad && !bd) || (ad == bd && a->offset < b->offset))
                best = i;
        }
        p->starts[k++] = best;
    }
    p->nstart = k;
    return FZ_OK;
}

/* Back edges, merges and reachability for joins (docs/semantics.md
 * "Merges and joins"). A depth-first search from the start nodes (in
 * order), then from every node not yet visited (in file order), taking
 * out edges in file order, marks the edges that close a cycle (to a node
 * still on the search's stack) as back edges; the rest, the forward edges,
 * have no cycle. Nodes finish in an order where every forward edge leads
 * to a node finished earlier, so one pass in that order fills each node's
 * row of merge nodes it reaches: its forward successors' rows, plus the
 * successors that are merges. O(nodes + edges x merges / 64) time,
 * nodes x merges bits. */
static int plan_reach(fz_plan *p)
{
    const fz_graph *g = p->g;
    uint32_t n = p->nnodes;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nin = 0;
        fz_graph_in(g, i, &nin);
        p->nodes[i].merge = nin >= 2 ? p->nmerges++ : FZ_NONE;
    }
    for (uint32_t i = 0; i < p->nedges; i++)
        if (p->nodes[p->edges[i].dst].merge != FZ_NONE)
            p->edges[i].dst_kind |= DST_MERGE;
    uint8_t *color = fz_calloc(p->alloc, n, 1); /* 0 new, 1 on the stack, 2 finished */
    uint32_t *stack = fz_malloc(p->alloc, (size_t)n * sizeof(uint32_t));
    uint32_t *next = fz_malloc(p->alloc, (size_t)n * sizeof(uint32_t)); /* out index per node */
    uint32_t *order = fz_malloc(p->alloc, (size_t)n * sizeof(uint32_t)); /* finish order */
    int rc = FZ_ENOMEM;
    if (!color || !stack || !next || !order)
        goto out;
    uint32_t norder = 0;
    for (uint32_t r = 0; r < p->nstart + n; r++) {
        uint32_t root = r < p->nstart ? p->starts[r] : r - p->nstart;
        if (color[root])
            continue;
        uint32_t sp = 0;
        stack[sp++] = root;
        next[root] = 0;
        color[root] = 1;
        while (sp) {
            uint32_t u = stack[sp - 1];
            uint32_t nout = 0;
            const uint32_t *outs = fz_graph_out(g, u, &nout);
            if (next[u] == nout) {
                color[u] = 2;
                order[norder++] = u;
                sp--;
                continue;
            }
            uint32_t ed = outs[next[u]++];
            uint32_t v = p->edges[ed].dst;
            if (color[v] == 1) {
                p->edges[ed].back = 1;
            } else if (color[v] == 0) {
                color[v] = 1;
                next[v] = 0;
                stack[sp++] = v;
            }
        }
    }
    if (p->nmerges) {
        p->reach_words = (p->nmerges + 63) / 64;
        if ((size_t)n > SIZE_MAX / sizeof(uint64_t) / p->reach_words)
            goto out;
        p->reach = fz_calloc(p->alloc, (size_t)n * p->reach_words, sizeof(uint64_t));
        if (!p->reach)
            goto out;
        size_t w = p->reach_words;
        for (uint32_t k = 0; k < norder; k++) {
            uint32_t u = order[k];
            uint64_t *ru = p->reach + (size_t)u * w;
            uint32_t nout = 0;
            const uint32_t *outs = fz_graph_out(g, u, &nout);
            for (uint32_t i = 0; i < nout; i++) {
                const edge_info *ei = &p->edges[outs[i]];
                if (ei->back)
                    continue;
                const uint64_t *rv = p->reach + (size_t)ei->dst * w;
                for (size_t j = 0; j < w; j++)
                    ru[j] |= rv[j];
                uint32_t m = p->nodes[ei->dst].merge;
                if (m != FZ_NONE)
                    ru[m / 64] |= (uint64_t)1 << (m % 64);
            }
        }
    }
    rc = FZ_OK;
out:
    fz_free(p->alloc, color, n);
    fz_free(p->alloc, stack, (size_t)n * sizeof(uint32_t));
    fz_free(p->alloc, next, (size_t)n * sizeof(uint32_t));
    fz_free(p->alloc, order, (size_t)n * sizeof(uint32_t));
    return rc;
}

/* Whether a token at node `from` could still arrive at merge index m. */
static inline int plan_reaches(const fz_plan *p, uint32_t from, uint32_t m)
{
    return (p->reach[(size_t)from * p->reach_words + m / 64] >> (m % 64)) & 1;
}

int fz_plan_is_back_edge(const fz_plan *p, uint32_t edge)
{
    return edge < p->nedges && p->edges[edge].back;
}

int fz_plan_reaches(const fz_plan *p, uint32_t from, uint32_t to)
{
    if (from >= p->nnodes || to >= p->nnodes || p->nodes[to].merge == FZ_NONE)
        return 0;
    return plan_reaches(p, from, p->nodes[to].merge);
}

int fz_plan_new(const fz_graph *g, const fz_plan_opts *opts, const fz_alloc *alloc, fz_plan **out)
{
    *out = NULL;
    if (!g || !g->finished || fz_graph_node_count(g) == 0)
        return FZ_EINVAL;
    fz_plan *p = fz_calloc(alloc, 1, sizeof(*p));
    if (!p)
        return FZ_ENOMEM;
    int rc = FZ_ENOMEM;
    p->alloc = alloc;
    p->g = g;
    p->nnodes = fz_graph_node_count(g);
    p->nedges = fz_graph_edge_count(g);
    p->nloops = fz_graph_loop_count(g);
    p->max_steps = opts && opts->max_steps ? opts->max_steps : DEFAULT_MAX_STEPS;
    fz_vec_init(&p->pool, sizeof(uint32_t), alloc);
    p->nodes = fz_calloc(alloc, p->nnodes, sizeof(node_info));
    p->edges = fz_calloc(alloc, p->nedges ? p->nedges : 1, sizeof(edge_info));
    p->loops = fz_calloc(alloc, p->nloops ? p->nloops : 1, sizeof(loop_info));
    p->policies = fz_calloc(alloc, p->nnodes, sizeof(fz_policy));
    if (!p->nodes || !p->edges || !p->loops || !p->policies)
        goto out;
    for (uint32_t i = 0; i < p->nedges; i++) {
        const fz_edge *ge = fz_graph_edge(g, i);
        edge_info *ei = &p->edges[i];
        ei->src = ge->src;
        ei->dst = ge->dst;
        if (ge->src >= p->nnodes || ge->dst >= p->nnodes) {
            rc = FZ_EINVAL;
            goto out;
        }
        ei->label = trim(fz_graph_text(g, ge->label), ge->label.len, &ei->label_len);
        if ((ge->flags & FZ_EDGE_LABELLED) && ei->label_len > 0) {
            ei->flags = EI_LABELLED;
            switch (fz_words_class(ei->label, ei->label_len)) {
            case FZ_WORD_YES:
                ei->flags |= EI_YES;
                break;
            case FZ_WORD_NO:
                ei->flags |= EI_NO;
                break;
            case FZ_WORD_ERROR:
                ei->flags |= EI_ERROR;
                break;
            default:
                break;
            }
        }
    }
    for (uint32_t n = 0; n < p->nnodes; n++)
        if ((rc = plan_node(p, n)) != FZ_OK)
            goto out;
    if ((rc = plan_loops(p)) != FZ_OK)
        goto out;
    for (uint32_t n = 0; n < p->nnodes; n++) {
        node_info *ni = &p->nodes[n];
        ni->ok1 = ni->ok.count == 1 ? ((const uint32_t *)p->pool.data)[ni->ok.first] + 1 : 0;
    }
    if ((rc = plan_starts(p, opts)) != FZ_OK)
        goto out;
    if ((rc = plan_reach(p)) != FZ_OK)
        goto out;
    *out = p;
    return FZ_OK;
out:
    fz_plan_free(p);
    return rc;
}

void fz_plan_free(fz_plan *p)
{
    if (!p)
        return;
    const fz_alloc *a = p->alloc;
    fz_free(a, p->nodes, (size_t)p->nnodes * sizeof(node_info));
    fz_free(a, p->edges, (size_t)(p->nedges ? p->nedges : 1) * sizeof(edge_info));
    fz_free(a, p->loops, (size_t)(p->nloops ? p->nloops : 1) * sizeof(loop_info));
    fz_free(a, p->policies, (size_t)p->nnodes * sizeof(fz_policy));
    fz_free(a, p->starts, (size_t)p->nstart_alloc * sizeof(uint32_t));
    fz_free(a, p->reach, (size_t)p->nnodes * p->reach_words * sizeof(uint64_t));
    fz_vec_fini(&p->pool);
    fz_free(a, p, sizeof(*p));
}

void fz_plan_set_policy(fz_plan *p, uint32_t node, const fz_policy *pol)
{
    if (node < p->nnodes && pol)
        p->policies[node] = *pol;
}

const fz_policy *fz_plan_policy(const fz_plan *p, uint32_t node)
{
    return node < p->nnodes ? &p->policies[node] : NULL;
}

const fz_graph *fz_plan_graph(const fz_plan *p)
{
    return p->g;
}

const uint32_t *fz_plan_starts(const fz_plan *p, uint32_t *count)
{
    *count = p->nstart;
    return p->starts;
}

uint32_t fz_plan_max_steps(const fz_plan *p)
{
    return p->max_steps;
}

/*==========================================================================
 * Runs
 *========================================================================*/

enum { T_FREE = FZ__T_FREE, T_READY = FZ__T_READY, T_RUNNING = FZ__T_RUNNING };

typedef fz__task_ent task_ent;
typedef fz__end_ent end_ent;
typedef fz__var_ent var_ent;
typedef fz__wait_ent wait_ent;

enum {
    FAIL_NONE = 0,
    FAIL_ANSWER,   /* an action's no/error had nowhere to go */
    FAIL_DECISION, /* a decision's answer matched no edge */
    FAIL_LOOP,     /* a loop scope's bound was exceeded */
    FAIL_STEPS,    /* the step limit */
    FAIL_ABORT,    /* fz_engine_abort */
    FAIL_STUCK,    /* no outgoing edge taken for the answer: "no route" */
};

/* The observer set on e, or NULL when none is set. */
static const fz_observer *engine_observer(const fz_engine *e)
{
    return e->has_obs ? &e->obs : NULL;
}

int fz_engine_new(const fz_plan *p, const fz_alloc *alloc, fz_engine **out)
{
    *out = NULL;
    fz_engine *e = fz_calloc(alloc, 1, sizeof(*e));
    if (!e)
        return FZ_ENOMEM;
    e->p = p;
    e->alloc = alloc;
    e->state = FZ_RUN_IDLE;
    e->fail_node = FZ_NONE;
    e->tasks = fz_calloc(alloc, 16, sizeof(task_ent));
    e->waits = fz_calloc(alloc, 16, sizeof(wait_ent));
    if (!e->tasks || !e->waits) {
        fz_free(alloc, e->tasks, 16 * sizeof(task_ent));
        fz_free(alloc, e->waits, 16 * sizeof(wait_ent));
        fz_free(alloc, e, sizeof(*e));
        return FZ_ENOMEM;
    }
    e->wait_cap = 16;
    if (p->nmerges) {
        e->mstamp = fz_calloc(alloc, p->nmerges, sizeof(uint32_t));
        if (!e->mstamp) {
            fz_free(alloc, e->tasks, 16 * sizeof(task_ent));
            fz_free(alloc, e->waits, 16 * sizeof(wait_ent));
            fz_free(alloc, e, sizeof(*e));
            return FZ_ENOMEM;
        }
    }
    e->tmask = 15;
    e->out_key = FZ__OUT_KEY_NONE;
    *out = e;
    return FZ_OK;
}

void fz_engine_free(fz_engine *e)
{
    if (!e)
        return;
    const fz_alloc *a = e->alloc;
    uint32_t nl = e->p->nloops;
    fz_free(a, e->tasks, ((size_t)e->tmask + 1) * sizeof(task_ent));
    fz_free(a, e->ends, (size_t)e->ends_cap * sizeof(end_ent));
    fz_free(a, e->waits, (size_t)e->wait_cap * sizeof(wait_ent));
    fz_free(a, e->mstamp, (size_t)e->p->nmerges * sizeof(uint32_t));
    fz_free(a, e->lcounts, (size_t)e->lcap * nl * sizeof(uint32_t));
    fz_free(a, e->lfree, (size_t)e->lcap * sizeof(uint32_t));
    fz_free(a, e->vars, (size_t)e->vars_cap * sizeof(var_ent));
    fz_free(a, e->vbuf, e->vcap);
    fz_free(a, e->out, e->out_cap);
    fz_free(a, e->fmemo, FZ__FAIL_MEMO * sizeof(fz__fail_memo));
    fz_free(a, e->sort_tmp, (size_t)e->sort_cap * sizeof(uint32_t));
    fz_free(a, e, sizeof(*e));
}

void fz_engine_set_observer(fz_engine *e, const fz_observer *obs)
{
    if (obs) {
        e->obs = *obs;
        e->has_obs = obs->on_start || obs->on_finish || obs->on_edge || obs->on_loop ||
                     obs->on_token_end || obs->on_run_end;
    } else {
        memset(&e->obs, 0, sizeof(e->obs));
        e->has_obs = 0;
    }
}

void fz_engine_count_edges(fz_engine *e, uint64_t *counts)
{
    e->edge_counts = counts;
}

/*--------------------------------------------------------------------------
 * Capacity: every table grows before a step changes state, so that a failed
 * allocation leaves the run exactly as it was (the caller may retry).
 *------------------------------------------------------------------------*/

static int grow_array(const fz_alloc *a, void **ptr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return FZ_OK;
    uint32_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > UINT32_MAX / 2)
            return FZ_ENOMEM;
        ncap *= 2;
    }
    void *np = fz_realloc(a, *ptr, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!np)
        return FZ_ENOMEM;
    *ptr = np;
    *cap = ncap;
    return FZ_OK;
}

/* Makes sure ids next_id .. next_id+k-1 land on free entries. */
static int tasks_reserve(fz_engine *e, uint32_t k)
{
    for (;;) {
        int clash = 0;
        for (uint32_t i = 0; i < k; i++) {
            if (e->tasks[(e->next_id + i) & e->tmask].state != T_FREE) {
                clash = 1;
                break;
            }
        }
        if (!clash)
            return FZ_OK;
        uint32_t cap = e->tmask + 1;
        if (cap > UINT32_MAX / 2)
            return FZ_ENOMEM;
        uint32_t ncap = cap * 2;
        /* The waits grow with the table: wait_cap > tmask always, so a step
         * whose new tasks fit (at most tmask) has room for its waits too. */
        int rc = grow_array(e->alloc, (void **)&e->waits, &e->wait_cap, ncap, sizeof(wait_ent));
        if (rc)
            return rc;
        task_ent *nt = fz_calloc(e->alloc, ncap, sizeof(task_ent));
        if (!nt)
            return FZ_ENOMEM;
        for (uint32_t i = 0; i < cap; i++)
            if (e->tasks[i].state != T_FREE)
                nt[e->tasks[i].id & (ncap - 1)] = e->tasks[i];
        fz_free(e->alloc, e->tasks, (size_t)cap * sizeof(task_ent));
        e->tasks = nt;
        e->tmask = ncap - 1;
    }
}

static int slots_reserve(fz_engine *e, uint32_t k)
{
    uint32_t nl = e->p->nloops;
    if (nl == 0 || e->lused + k <= e->lcap)
        return FZ_OK;
    uint32_t need = e->lused + k, ncap = e->lcap ? e->lcap : 8;
    while (ncap < need)
        ncap *= 2;
    uint32_t *nc = fz_malloc(e->alloc, (size_t)ncap * nl * sizeof(uint32_t));
    uint32_t *nf = fz_malloc(e->alloc, (size_t)ncap * sizeof(uint32_t));
    if (!nc || !nf) {
        fz_free(e->alloc, nc, (size_t)ncap * nl * sizeof(uint32_t));
        fz_free(e->alloc, nf, (size_t)ncap * sizeof(uint32_t));
        return FZ_ENOMEM;
    }
    if (e->lcap) {
        memcpy(nc, e->lcounts, (size_t)e->lcap * nl * sizeof(uint32_t));
        memcpy(nf, e->lfree, (size_t)e->lcap * sizeof(uint32_t));
    }
    fz_free(e->alloc, e->lcounts, (size_t)e->lcap * nl * sizeof(uint32_t));
    fz_free(e->alloc, e->lfree, (size_t)e->lcap * sizeof(uint32_t));
    e->lcounts = nc;
    e->lfree = nf;
    e->lcap = ncap;
    return FZ_OK;
}

static uint32_t slot_alloc(fz_engine *e)
{
    uint32_t s = e->nfree ? e->lfree[--e->nfree] : e->lused++;
    memset(&e->lcounts[(size_t)s * e->p->nloops], 0, e->p->nloops * sizeof(uint32_t));
    return s;
}

static void slot_release(fz_engine *e, uint32_t s)
{
    if (s != FZ_NONE)
        e->lfree[e->nfree++] = s;
}

/*--------------------------------------------------------------------------
 * Run life cycle
 *------------------------------------------------------------------------*/

static void task_create(fz_engine *e, uint32_t node, uint32_t token, uint32_t attempt,
                        uint64_t delay, uint32_t last_label, uint32_t lslot)
{
    uint32_t id = e->next_id++;
    task_ent *t = &e->tasks[id & e->tmask];
    t->id = id;
    t->node = node;
    t->token = token;
    t->attempt = attempt;
    t->delay_ns = delay;
    t->last_label = last_label;
    t->lslot = lslot;
    t->state = T_READY;
    e->live++;
}

static void run_end(fz_engine *e, fz_run_state st, uint64_t t_ns)
{
    e->state = st;
    e->out_valid = 0;
    if (e->has_obs && e->obs.on_run_end)
        e->obs.on_run_end(e->obs.ud, st, fz_engine_outcome(e), t_ns);
}

static void copy_text(fz_engine *e, const char *s)
{
    e->fail_has_text = s != NULL;
    if (s) {
        size_t n = strlen(s);
        if (n >= sizeof(e->fail_text))
            n = sizeof(e->fail_text) - 1;
        memcpy(e->fail_text, s, n);
        e->fail_text[n] = '\0';
    } else {
        e->fail_text[0] = '\0';
    }
}

static void run_fail(fz_engine *e, int kind, uint32_t node, uint64_t t_ns)
{
    e->fail_kind = (uint8_t)kind;
    e->fail_node = node;
    run_end(e, FZ_RUN_FAILED, t_ns);
}

int fz_engine_start(fz_engine *e)
{
    const fz_plan *p = e->p;
    /* Drop whatever the previous run left (ready or in-flight tasks). */
    if (e->live) {
        memset(e->tasks, 0, ((size_t)e->tmask + 1) * sizeof(task_ent));
    }
    e->state = FZ_RUN_IDLE;
    e->next_id = e->next_hand = 0;
    e->live = e->in_flight = 0;
    e->next_token = 0;
    e->steps = 0;
    e->nends = 0;
    e->nwait = 0;
    e->lused = e->nfree = 0;
    e->nvars = 0;
    e->vlen = 0;
    e->fail_kind = FAIL_NONE;
    e->fail_node = FZ_NONE;
    e->fail_loop = FZ_NONE;
    e->fail_has_text = 0;
    e->out_valid = 0;
    /* Every entry is free now: the start tasks fit unless they outnumber
     * the table. */
    int rc = p->nstart > e->tmask + 1 ? tasks_reserve(e, p->nstart) : FZ_OK;
    if (!rc)
        rc = slots_reserve(e, p->nstart);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < p->nstart; i++) {
        uint32_t slot = p->nloops ? slot_alloc(e) : FZ_NONE;
        task_create(e, p->starts[i], e->next_token++, 1, 0, FZ_NONE, slot);
    }
    e->state = FZ_RUN_RUNNING;
    return FZ_OK;
}

int fz_engine_next(fz_engine *e, fz_task *out)
{
    return fz__engine_next(e, out);
}

/*--------------------------------------------------------------------------
 * Routing
 *------------------------------------------------------------------------*/

/* The token moves from node `from` to the first node of every loop headed
 * by `to`: from inside the scope it counts against the bound, from outside
 * it starts the count again. Returns 0, or 1 when a bound was exceeded (the
 * run has failed). */
static int loop_enter(fz_engine *e, uint32_t from, uint32_t to, uint32_t token, uint32_t lslot,
                      uint64_t t_ns)
{
    const fz_plan *p = e->p;
    const node_info *dn = &p->nodes[to];
    const node_info *sn = &p->nodes[from];
    const uint32_t *pool = p->pool.data;
    uint32_t *counts = &e->lcounts[(size_t)lslot * p->nloops];
    for (uint32_t i = 0; i < dn->heads.count; i++) {
        uint32_t l = pool[dn->heads.first + i];
        int inside = 0;
        for (uint32_t k = 0; k < sn->member.count; k++)
            if (pool[sn->member.first + k] == l) {
                inside = 1;
                break;
            }
        if (!inside) {
            counts[l] = 0;
            continue;
        }
        if (counts[l] >= p->loops[l].bound) {
            e->fail_loop = l;
            e->fail_attempt = counts[l];
            run_fail(e, FAIL_LOOP, from, t_ns);
            return 1;
        }
        counts[l]++;
        if (e->has_obs && e->obs.on_loop)
            e->obs.on_loop(e->obs.ud, l, token, counts[l], t_ns);
    }
    return 0;
}

/* A token arriving at a merge node that another live token could still
 * reach: it waits (complete_reserve made room); joins() later lets it on. */
static void wait_at(fz_engine *e, uint32_t node, uint32_t token, uint32_t last_label,
                    uint32_t lslot)
{
    wait_ent *w = &e->waits[e->nwait++];
    w->node = node;
    w->token = token;
    w->last_label = last_label;
    w->lslot = lslot;
}

/* Sends the token along edges[0..n) (those whose label equals `match` when
 * match is not NULL): the first keeps the token, each further one is a new
 * token, in edge order. A token bound for a merge waits: its siblings are
 * not all created yet, so only joins(), after the step, can tell whether
 * another token could still arrive there. */
static void take_edges(fz_engine *e, const task_ent *cur, const uint32_t *edges, uint32_t n,
                       const char *match, uint32_t mlen, uint64_t t_ns)
{
    const fz_plan *p = e->p;
    uint32_t k = 0;
    uint32_t base_slot = cur->lslot;
    for (uint32_t i = 0; i < n; i++) {
        const edge_info *ei = &p->edges[edges[i]];
        if (match && (ei->label_len != mlen || !equal_nocase(ei->label, match, mlen)))
            continue;
        uint32_t token = k == 0 ? cur->token : e->next_token++;
        uint32_t slot = base_slot;
        if (p->nloops && k > 0) {
            slot = slot_alloc(e);
            memcpy(&e->lcounts[(size_t)slot * p->nloops],
                   &e->lcounts[(size_t)base_slot * p->nloops], p->nloops * sizeof(uint32_t));
        }
        k++;
        if (e->edge_counts)
            e->edge_counts[edges[i]]++;
        if (e->has_obs && e->obs.on_edge)
            e->obs.on_edge(e->obs.ud, edges[i], token, t_ns);
        if ((ei->dst_kind & DST_HEAD) && loop_enter(e, cur->node, ei->dst, token, slot, t_ns))
            return;
        uint32_t last = (ei->flags & EI_LABELLED) ? edges[i] : cur->last_label;
        if (ei->dst_kind & DST_MERGE)
            wait_at(e, ei->dst, token, last, slot);
        else
            task_create(e, ei->dst, token, 1, 0, last, slot);
    }
}

/* The token reaches node `to` by a step that moves only it (one edge, or a
 * loop scope's jump): at a merge it goes on at once when it is the run's
 * only live token (a decision's branches: the simple merge), else it waits
 * for joins() to decide. */
static inline void arrive(fz_engine *e, uint32_t to, uint32_t token, uint32_t last_label,
                          uint32_t lslot)
{
    if (e->p->nodes[to].merge != FZ_NONE && (e->live || e->nwait))
        wait_at(e, to, token, last_label, lslot);
    else
        task_create(e, to, token, 1, 0, last_label, lslot);
}

/* take_one's way to a loop head or a merge, out of line: most steps go to
 * neither, and the inlined step then saves fewer registers. */
static __attribute__((noinline)) void take_one_special(fz_engine *e, const task_ent *cur,
                                                       const edge_info *ei, uint32_t last,
                                                       uint64_t t_ns)
{
    if ((ei->dst_kind & DST_HEAD) &&
        loop_enter(e, cur->node, ei->dst, cur->token, cur->lslot, t_ns))
        return;
    arrive(e, ei->dst, cur->token, last, cur->lslot);
}

/* take_edges for the common case: one edge, the token goes on. */
static inline __attribute__((always_inline)) void take_one(fz_engine *e, const task_ent *cur,
                                                           uint32_t edge, uint64_t t_ns)
{
    const edge_info *ei = &e->p->edges[edge];
    if (e->edge_counts)
        e->edge_counts[edge]++;
    if (e->has_obs && e->obs.on_edge)
        e->obs.on_edge(e->obs.ud, edge, cur->token, t_ns);
    uint32_t last = (ei->flags & EI_LABELLED) ? edge : cur->last_label;
    if (UNLIKELY(ei->dst_kind)) {
        take_one_special(e, cur, ei, last, t_ns);
        return;
    }
    task_create(e, ei->dst, cur->token, 1, 0, last, cur->lslot);
}

/* The token's end at cur->node; each distinct (node, edge) pair is kept
 * once. */
static void token_end(fz_engine *e, const task_ent *cur, uint64_t t_ns)
{
    uint32_t i = 0;
    while (i < e->nends && (e->ends[i].node != cur->node || e->ends[i].edge != cur->last_label))
        i++;
    if (i == e->nends) {
        end_ent *en = &e->ends[e->nends++];
        en->node = cur->node;
        en->edge = cur->last_label;
        e->out_valid = 0;
    }
    if (cur->lslot != FZ_NONE)
        slot_release(e, cur->lslot);
    if (e->has_obs && e->obs.on_token_end)
        e->obs.on_token_end(e->obs.ud, cur->token, cur->node, t_ns);
}

/* No edge takes the answer: the loop scope sends the token back to its
 * first node, else the run fails (kind FAIL_NONE: the token ends there, a
 * negative answer at an end). */
static void no_edge(fz_engine *e, const task_ent *cur, const fz_result *r, int kind, fz_answer a,
                    uint64_t t_ns)
{
    const fz_plan *p = e->p;
    const node_info *ni = &p->nodes[cur->node];
    if (ni->loop != FZ_NONE && p->loops[ni->loop].first != FZ_NONE) {
        uint32_t to = p->loops[ni->loop].first;
        if (loop_enter(e, cur->node, to, cur->token, cur->lslot, t_ns))
            return;
        arrive(e, to, cur->token, cur->last_label, cur->lslot);
        return;
    }
    if (kind == FAIL_NONE) {
        token_end(e, cur, t_ns);
        return;
    }
    e->fail_answer = (uint8_t)a;
    e->fail_attempt = cur->attempt;
    if (kind == FAIL_DECISION)
        copy_text(e, r->outcome);
    else
        copy_text(e, r->reason);
    run_fail(e, kind, cur->node, t_ns);
}

static uint64_t backoff_delay(const fz_policy *pol, uint32_t attempt)
{
    uint64_t d = pol->backoff_ns;
    if (pol->exponential) {
        for (uint32_t i = 1; i < attempt && d; i++) {
            if (d > UINT64_MAX / 2) {
                d = UINT64_MAX;
                break;
            }
            d *= 2;
            if (pol->backoff_max_ns && d >= pol->backoff_max_ns)
                break;
        }
    }
    if (pol->backoff_max_ns && d > pol->backoff_max_ns)
        d = pol->backoff_max_ns;
    return d;
}

static inline __attribute__((always_inline)) void route(fz_engine *e, const task_ent *cur,
                                                         const fz_result *r, uint64_t t_ns)
{
    const fz_plan *p = e->p;
    const node_info *ni = &p->nodes[cur->node];
    const uint32_t *pool = p->pool.data;
    fz_answer a = r->answer;
    /* The common step: ok, no outcome text, one ok edge (the span test
     * below, without the pool). */
    if (a == FZ_ANSWER_OK && !r->outcome && ni->ok1) {
        take_one(e, cur, ni->ok1 - 1, t_ns);
        return;
    }
    if (a == FZ_ANSWER_OK || a == FZ_ANSWER_NO) {
        if (r->outcome && ni->out.count) {
            if (r->outcome_edge) {
                /* The backend matched the text already
                 * (fz_engine_outcome_edge): the edge the loop below finds. */
                take_one(e, cur, r->outcome_edge - 1, t_ns);
                return;
            }
            uint32_t olen;
            const char *o = trim(r->outcome, strlen(r->outcome), &olen);
            const uint32_t *out = pool + ni->out.first;
            for (uint32_t i = 0; i < ni->out.count; i++) {
                const edge_info *ei = &p->edges[out[i]];
                if (ei->label_len == olen && equal_nocase(ei->label, o, olen)) {
                    if (ni->labels_unique)
                        take_one(e, cur, out[i], t_ns);
                    else
                        take_edges(e, cur, out, ni->out.count, o, olen, t_ns);
                    return;
                }
            }
            if (ni->out.count == 1) {
                /* A lone edge: taken after an explicit outcome whatever
                 * its label says. */
                take_one(e, cur, out[0], t_ns);
                return;
            }
            if (ni->decision) {
                fz_word_class wc = fz_words_class(o, olen);
                if (wc == FZ_WORD_YES) {
                    a = FZ_ANSWER_OK;
                } else if (wc == FZ_WORD_NO) {
                    a = FZ_ANSWER_NO;
                } else {
                    if (ni->def.count)
                        take_edges(e, cur, pool + ni->def.first, ni->def.count, NULL, 0, t_ns);
                    else
                        no_edge(e, cur, r, FAIL_DECISION, a, t_ns);
                    return;
                }
            }
        }
        span32 s = a == FZ_ANSWER_OK ? ni->ok : ni->no;
        if (s.count == 1) {
            take_one(e, cur, pool[s.first], t_ns);
        } else if (s.count) {
            take_edges(e, cur, pool + s.first, s.count, NULL, 0, t_ns);
        } else if (ni->ok_ends) {
            /* An end: ok ends the token; no tries the loop scope first. */
            if (a == FZ_ANSWER_OK)
                token_end(e, cur, t_ns);
            else
                no_edge(e, cur, r, FAIL_NONE, a, t_ns);
        } else {
            /* Edges, none for this answer: the loop scope, else stuck. */
            no_edge(e, cur, r, ni->decision ? FAIL_DECISION : FAIL_STUCK, a, t_ns);
        }
        return;
    }
    /* An error or a timeout: error edges, else retries, else loop scope. */
    if (ni->err.count) {
        take_edges(e, cur, pool + ni->err.first, ni->err.count, NULL, 0, t_ns);
        return;
    }
    const fz_policy *pol = &p->policies[cur->node];
    if (cur->attempt <= pol->retries) {
        task_create(e, cur->node, cur->token, cur->attempt + 1, backoff_delay(pol, cur->attempt),
                    cur->last_label, cur->lslot);
        return;
    }
    no_edge(e, cur, r, FAIL_ANSWER, a, t_ns);
}

uint32_t fz_engine_outcome_edge(const fz_graph *g, uint32_t node, const char *outcome)
{
    if (!g || !outcome || node >= fz_graph_node_count(g))
        return 0;
    uint32_t nout = 0;
    const uint32_t *out = fz_graph_out(g, node, &nout);
    uint32_t olen;
    const char *o = trim(outcome, strlen(outcome), &olen);
    uint32_t found = 0;
    for (uint32_t i = 0; i < nout; i++) {
        const fz_edge *ge = fz_graph_edge(g, out[i]);
        uint32_t llen;
        const char *l = trim(fz_graph_text(g, ge->label), ge->label.len, &llen);
        if (llen != olen || !equal_nocase(l, o, olen))
            continue;
        if (found)
            return 0; /* two edges carry the label: routing takes both */
        found = out[i] + 1;
    }
    if (!found)
        return 0;
    /* Routing takes one edge by label only where no two labels are equal. */
    for (uint32_t i = 0; i < nout; i++) {
        const fz_edge *a = fz_graph_edge(g, out[i]);
        uint32_t alen;
        const char *at = trim(fz_graph_text(g, a->label), a->label.len, &alen);
        for (uint32_t k = i + 1; k < nout; k++) {
            const fz_edge *b = fz_graph_edge(g, out[k]);
            uint32_t blen;
            const char *bt = trim(fz_graph_text(g, b->label), b->label.len, &blen);
            if (alen == blen && equal_nocase(at, bt, alen))
                return 0;
        }
    }
    return found;
}

static int vars_reserve(fz_engine *e, const fz_kv *kv, uint32_t n);
static void vars_apply(fz_engine *e, const fz_kv *kv, uint32_t n);

/*--------------------------------------------------------------------------
 * Joins (docs/semantics.md "Merges and joins")
 *------------------------------------------------------------------------*/

/* Whether a live token other than those waiting at merge node `node`
 * (merge index m) could still arrive there along forward edges: a task
 * ready or running at a node that reaches it, or a token waiting at
 * another merge that reaches it. */
static int join_blocked(const fz_engine *e, uint32_t node, uint32_t m)
{
    const fz_plan *p = e->p;
    if (e->live) {
        for (uint32_t i = 0; i <= e->tmask; i++) {
            const task_ent *t = &e->tasks[i];
            if (t->state != T_FREE && plan_reaches(p, t->node, m))
                return 1;
        }
    }
    for (uint32_t i = 0; i < e->nwait; i++)
        if (e->waits[i].node != node && plan_reaches(p, e->waits[i].node, m))
            return 1;
    return 0;
}

/* The one of two last labelled edges that comes later in the file. */
static inline uint32_t later_edge(uint32_t a, uint32_t b)
{
    if (a == FZ_NONE)
        return b;
    if (b == FZ_NONE)
        return a;
    return a > b ? a : b;
}

/* The tokens waiting at waits[i].node become one, which runs the node from
 * attempt 1: the first arrival's token and loop slot, with the highest
 * count of each loop scope among them, and the last labelled edge that
 * comes latest in the file. The other entries keep their order. */
static void join_release(fz_engine *e, uint32_t i)
{
    const fz_plan *p = e->p;
    wait_ent first = e->waits[i];
    uint32_t last = first.last_label, wr = i;
    for (uint32_t j = i + 1; j < e->nwait; j++) {
        const wait_ent *w = &e->waits[j];
        if (w->node != first.node) {
            e->waits[wr++] = *w;
            continue;
        }
        last = later_edge(last, w->last_label);
        if (p->nloops && w->lslot != FZ_NONE) {
            uint32_t *dst = &e->lcounts[(size_t)first.lslot * p->nloops];
            const uint32_t *src = &e->lcounts[(size_t)w->lslot * p->nloops];
            for (uint32_t l = 0; l < p->nloops; l++)
                if (src[l] > dst[l])
                    dst[l] = src[l];
            slot_release(e, w->lslot);
        }
    }
    e->nwait = wr;
    task_create(e, first.node, first.token, 1, 0, last, first.lslot);
}

/* After a step, in arrival order: each merge where no other live token
 * could still arrive lets its waiting tokens on as one. As a safety net
 * (forward edges have no cycle, so it should not happen), when no task is
 * live the earliest arrival goes on alone. Room for the tasks was made by
 * the step's reservation (one per waiting token at most). */
static void joins(fz_engine *e)
{
    const fz_plan *p = e->p;
    /* Each merge is looked at once per pass (its first waiting entry): a
     * stamp per merge, not a scan of the entries before. Letting one merge
     * on does not change whether another is blocked (the joined task sits
     * where its tokens waited). */
    if (++e->mgen == 0) {
        memset(e->mstamp, 0, (size_t)p->nmerges * sizeof(uint32_t));
        e->mgen = 1;
    }
    uint32_t i = 0;
    while (i < e->nwait) {
        uint32_t node = e->waits[i].node, m = p->nodes[node].merge;
        if (e->mstamp[m] == e->mgen) {
            i++;
            continue;
        }
        e->mstamp[m] = e->mgen;
        if (join_blocked(e, node, m)) {
            i++;
            continue;
        }
        join_release(e, i);
    }
    if (e->live == 0 && e->nwait) {
        wait_ent w = e->waits[0];
        memmove(e->waits, e->waits + 1, (size_t)(e->nwait - 1) * sizeof(wait_ent));
        e->nwait--;
        task_create(e, w.node, w.token, 1, 0, w.last_label, w.lslot);
    }
}

/* Whether ids next_id .. next_id+k-1 land on free entries. */
static inline int tasks_fit(const fz_engine *e, uint32_t k)
{
    if (k == 1)
        return e->tasks[e->next_id & e->tmask].state == T_FREE;
    for (uint32_t i = 0; i < k; i++)
        if (e->tasks[(e->next_id + i) & e->tmask].state != T_FREE)
            return 0;
    return 1;
}

static void run_fail(fz_engine *e, int kind, uint32_t node, uint64_t t_ns);

/* The end of a step while tokens wait: joins, then the same checks as the
 * step's own (out of line, so that the step keeps no value across a call). */
static __attribute__((noinline)) void joins_then_end(fz_engine *e, uint32_t node, uint64_t t_ns)
{
    joins(e);
    if (e->live == 0)
        run_end(e, FZ_RUN_COMPLETED, t_ns);
    else if (e->steps >= e->p->max_steps)
        run_fail(e, FAIL_STEPS, node, t_ns);
}

/* Grows every table a step may need before the step changes anything: a
 * step creates at most max_succ tasks or waiting tokens, and its joins one
 * task per token that was waiting. */
static int complete_reserve(fz_engine *e, const node_info *ni, const fz_result *r)
{
    int rc = FZ_OK;
    if (r->nvars && r->vars && (rc = vars_reserve(e, r->vars, r->nvars)) != FZ_OK)
        return rc;
    if ((rc = grow_array(e->alloc, (void **)&e->ends, &e->ends_cap, e->nends + 1,
                         sizeof(end_ent))) != FZ_OK)
        return rc;
    if ((rc = slots_reserve(e, ni->max_succ)) != FZ_OK)
        return rc;
    return tasks_reserve(e, ni->max_succ + e->nwait);
}

/* The step itself; inlined into fz_engine_drive (below) so that the drive
 * loop pays no call, no register saves and no reloads of the run state per
 * step (~25 instructions of ~160). */
static inline __attribute__((always_inline)) int complete(fz_engine *e, uint32_t task_id,
                                                          const fz_result *r, uint64_t t_ns,
                                                          int checked)
{
    task_ent *te = &e->tasks[task_id & e->tmask];
    /* checked: the caller knows the run is running and task_id is the task
     * it just handed out (the drive loop's one-token path). */
    if (!checked) {
        if (e->state == FZ_RUN_IDLE)
            return FZ_ESTATE;
        if (task_id >= e->next_id || te->id != task_id || te->state != T_RUNNING)
            return FZ_EINVAL;
        if (e->state != FZ_RUN_RUNNING)
            return FZ_EFINISHED;
        if (!r)
            return FZ_EINVAL;
    }
    const fz_plan *p = e->p;
    const node_info *ni = &p->nodes[te->node];
    /* checked: this task is the run's only live one, so the ids this step
     * creates land on free entries unless they wrap round onto its own. A
     * step creates at most max_succ tasks, plus one per token waiting at a
     * merge (joins); its waits (at most max_succ more) fit when its tasks do,
     * since the waits have room for as many tokens as the table holds (a
     * fitting step needs at most tmask entries: its own is taken). */
    uint32_t need = ni->max_succ + e->nwait;
    if (UNLIKELY(r->nvars || e->nends >= e->ends_cap ||
                 (p->nloops && e->lused + ni->max_succ > e->lcap) ||
                 (checked ? need > e->tmask : !tasks_fit(e, need)))) {
        int rc = complete_reserve(e, ni, r);
        if (rc)
            return rc;
        te = &e->tasks[task_id & e->tmask];
    }
    /* The entry is freed but read on by route(): tasks_fit() checked that no
     * task this step creates lands on it. */
    const task_ent *cur = te;
    te->state = T_FREE;
    e->live--;
    e->in_flight--;
    e->steps++;
    if (e->has_obs && e->obs.on_finish) {
        fz_task t = {cur->id, cur->node, cur->token, cur->attempt, cur->delay_ns};
        e->obs.on_finish(e->obs.ud, &t, r, t_ns);
    }
    if (r->nvars && r->vars)
        vars_apply(e, r->vars, r->nvars);
    route(e, cur, r, t_ns);
    if (e->state == FZ_RUN_RUNNING) {
        if (UNLIKELY(e->nwait)) {
            joins_then_end(e, cur->node, t_ns);
            return FZ_OK;
        }
        if (e->live == 0)
            run_end(e, FZ_RUN_COMPLETED, t_ns);
        else if (e->steps >= p->max_steps)
            run_fail(e, FAIL_STEPS, cur->node, t_ns);
    }
    return FZ_OK;
}

int fz_engine_complete(fz_engine *e, uint32_t task_id, const fz_result *r, uint64_t t_ns)
{
    return complete(e, task_id, r, t_ns, 0);
}

void fz_engine_abort(fz_engine *e, const char *reason, uint64_t t_ns)
{
    if (e->state != FZ_RUN_RUNNING)
        return;
    /* Name the oldest task still running, else the oldest ready one. */
    uint32_t best = FZ_NONE, best_ready = FZ_NONE, node = FZ_NONE, node_ready = FZ_NONE;
    for (uint32_t i = 0; i <= e->tmask; i++) {
        const task_ent *t = &e->tasks[i];
        if (t->state == T_RUNNING && (best == FZ_NONE || t->id < best)) {
            best = t->id;
            node = t->node;
        } else if (t->state == T_READY && (best_ready == FZ_NONE || t->id < best_ready)) {
            best_ready = t->id;
            node_ready = t->node;
        }
    }
    copy_text(e, reason ? reason : "aborted");
    run_fail(e, FAIL_ABORT, node != FZ_NONE ? node : node_ready, t_ns);
}

fz_run_state fz_engine_state(const fz_engine *e)
{
    return e->state;
}

uint32_t fz_engine_in_flight(const fz_engine *e)
{
    return e->in_flight;
}

uint32_t fz_engine_steps(const fz_engine *e)
{
    return e->steps;
}

uint32_t fz_engine_failed_node(const fz_engine *e)
{
    return e->state == FZ_RUN_FAILED ? e->fail_node : FZ_NONE;
}

/*==========================================================================
 * Outcome text (built on first request, in a buffer the engine keeps)
 *========================================================================*/

static int out_put(fz_engine *e, const char *s, size_t n)
{
    if (e->out_len + n + 1 > e->out_cap) {
        size_t ncap = e->out_cap ? e->out_cap : 128;
        while (ncap < e->out_len + n + 1)
            ncap *= 2;
        char *nb = fz_realloc(e->alloc, e->out, e->out_cap, ncap);
        if (!nb)
            return FZ_ENOMEM;
        e->out = nb;
        e->out_cap = ncap;
    }
    /* A label may hold NUL bytes (an escaped "\0"); they would cut the
     * C string short, so they become '?'. */
    char *d = e->out + e->out_len;
    memcpy(d, s, n);
    for (char *z = memchr(d, '\0', n); z; z = memchr(z + 1, '\0', (size_t)(d + n - z - 1)))
        *z = '?';
    e->out_len += n;
    e->out[e->out_len] = '\0';
    return FZ_OK;
}

static int out_str(fz_engine *e, const char *s)
{
    return out_put(e, s, strlen(s));
}

static int out_num(fz_engine *e, unsigned long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lu", v);
    return out_put(e, buf, n > 0 ? (size_t)n : 0);
}

static int out_end(fz_engine *e, const end_ent *en)
{
    const fz_plan *p = e->p;
    const node_info *ni = &p->nodes[en->node];
    int rc = out_put(e, ni->label, ni->label_len);
    if (!rc && en->edge != FZ_NONE) {
        const edge_info *ei = &p->edges[en->edge];
        rc = out_put(e, " via ", 5);
        if (!rc)
            rc = out_put(e, ei->label, ei->label_len);
    }
    return rc;
}

const char *fz_answer_name(fz_answer a)
{
    switch (a) {
    case FZ_ANSWER_OK:
        return "ok";
    case FZ_ANSWER_NO:
        return "no";
    case FZ_ANSWER_TIMEOUT:
        return "timeout";
    default:
        return "error";
    }
}

/* As a decision's answer reads in a failure reason ("answered yes"). */
static const char *answer_word(uint8_t a)
{
    switch (a) {
    case FZ_ANSWER_OK:
        return "yes";
    case FZ_ANSWER_NO:
        return "no";
    case FZ_ANSWER_TIMEOUT:
        return "timeout";
    default:
        return "error";
    }
}

static int build_failure(fz_engine *e)
{
    const fz_plan *p = e->p;
    int rc;
    if (e->fail_node != FZ_NONE) {
        /* By id and label: labels repeat in real files. */
        const node_info *ni = &p->nodes[e->fail_node];
        fz_span id = fz_graph_node(p->g, e->fail_node)->id;
        const char *idt = fz_graph_text(p->g, id);
        rc = out_str(e, "failed at ");
        if (!rc)
            rc = out_put(e, idt, id.len);
        if (!rc && !(ni->label_len == id.len && memcmp(ni->label, idt, id.len) == 0)) {
            rc = out_str(e, " \"");
            if (!rc)
                rc = out_put(e, ni->label, ni->label_len);
            if (!rc)
                rc = out_str(e, "\"");
        }
        if (!rc)
            rc = out_str(e, ": ");
    } else {
        rc = out_str(e, "failed: ");
    }
    if (rc)
        return rc;
    switch (e->fail_kind) {
    case FAIL_ANSWER:
        if (e->fail_answer == FZ_ANSWER_NO) {
            rc = out_str(e, "answered no (no edge for it)");
            break;
        }
        rc = out_str(e, e->fail_answer == FZ_ANSWER_TIMEOUT ? "timed out" : "error");
        if (!rc && e->fail_attempt > 1) {
            rc = out_str(e, " after ");
            if (!rc)
                rc = out_num(e, e->fail_attempt);
            if (!rc)
                rc = out_str(e, " attempts");
        }
        if (!rc && e->fail_has_text && e->fail_text[0]) {
            rc = out_str(e, ": ");
            if (!rc)
                rc = out_str(e, e->fail_text);
        }
        break;
    case FAIL_DECISION: {
        const node_info *ni = &p->nodes[e->fail_node];
        rc = out_str(e, "answer ");
        if (!rc && e->fail_has_text) {
            rc = out_str(e, "\"");
            if (!rc)
                rc = out_str(e, e->fail_text);
            if (!rc)
                rc = out_str(e, "\"");
        } else if (!rc) {
            rc = out_str(e, answer_word(e->fail_answer));
        }
        if (!rc)
            rc = out_str(e, " matches no outgoing edge; it offers ");
        uint32_t shown = 0;
        const uint32_t *pool = p->pool.data;
        for (uint32_t i = 0; !rc && i < ni->out.count; i++) {
            const edge_info *ei = &p->edges[pool[ni->out.first + i]];
            if (!(ei->flags & EI_LABELLED))
                continue;
            rc = out_str(e, shown++ ? ", \"" : "\"");
            if (!rc)
                rc = out_put(e, ei->label, ei->label_len);
            if (!rc)
                rc = out_str(e, "\"");
        }
        if (!rc && shown == 0)
            rc = out_str(e, "no labelled edge");
        break;
    }
    case FAIL_LOOP: {
        const loop_info *li = &p->loops[e->fail_loop];
        rc = out_str(e, "loop [");
        if (!rc)
            rc = out_put(e, li->cond, li->cond_len);
        if (!rc)
            rc = out_str(e, "] exceeded its bound of ");
        if (!rc)
            rc = out_num(e, li->bound);
        break;
    }
    case FAIL_STUCK: {
        fz_span id = fz_graph_node(p->g, e->fail_node)->id;
        rc = out_str(e, "no route from ");
        if (!rc)
            rc = out_put(e, fz_graph_text(p->g, id), id.len);
        if (!rc)
            rc = out_str(e, " for answer ");
        if (!rc)
            rc = out_str(e, fz_answer_name((fz_answer)e->fail_answer));
        if (!rc && e->fail_has_text && e->fail_text[0]) {
            rc = out_str(e, ": ");
            if (!rc)
                rc = out_str(e, e->fail_text);
        }
        break;
    }
    case FAIL_STEPS:
        rc = out_str(e, "step limit of ");
        if (!rc)
            rc = out_num(e, p->max_steps);
        if (!rc)
            rc = out_str(e, " steps reached");
        break;
    default:
        rc = out_str(e, e->fail_has_text ? e->fail_text : "aborted");
        break;
    }
    return rc;
}

/* Ends in file order: the end node's place (its index: first mention),
 * then the labelled edge's (no label first). */
static int end_cmp(fz_engine *e, uint32_t a, uint32_t b)
{
    const end_ent *x = &e->ends[a], *y = &e->ends[b];
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    uint32_t xe = x->edge + 1, ye = y->edge + 1; /* FZ_NONE + 1 == 0: first */
    return xe < ye ? -1 : xe > ye;
}

static void end_sort(fz_engine *e, uint32_t *idx, uint32_t *tmp, uint32_t n)
{
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = end_cmp(e, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof(uint32_t));
    }
}

/* Whether out[part, len) is one of the " + "-separated parts of out[0,
 * mark). */
static int part_repeats(const char *out, size_t mark, size_t part, size_t len)
{
    size_t n = len - part, b = 0;
    while (b < mark) {
        const char *sep = NULL;
        for (size_t k = b; k + 3 <= mark; k++)
            if (memcmp(out + k, " + ", 3) == 0) {
                sep = out + k;
                break;
            }
        size_t e = sep ? (size_t)(sep - out) : mark;
        if (e - b == n && memcmp(out + b, out + part, n) == 0)
            return 1;
        b = e + 3;
    }
    return 0;
}

static int build_completed(fz_engine *e)
{
    if (e->nends == 1)
        return out_end(e, &e->ends[0]);
    int rc =
        grow_array(e->alloc, (void **)&e->sort_tmp, &e->sort_cap, 2 * e->nends, sizeof(uint32_t));
    if (rc)
        return rc;
    uint32_t *idx = e->sort_tmp, *tmp = e->sort_tmp + e->nends;
    for (uint32_t i = 0; i < e->nends; i++)
        idx[i] = i;
    end_sort(e, idx, tmp, e->nends);
    /* Ends are distinct pairs, but two end nodes may share a label: a part
     * whose text is already in the name is left out, so none repeats. */
    for (uint32_t i = 0; !rc && i < e->nends; i++) {
        size_t mark = e->out_len;
        if (i)
            rc = out_put(e, " + ", 3);
        size_t part = e->out_len;
        if (!rc)
            rc = out_end(e, &e->ends[idx[i]]);
        if (!rc && part_repeats(e->out, mark, part, e->out_len)) {
            e->out_len = mark;
            e->out[mark] = '\0';
        }
    }
    return rc;
}

/* The memo entry for this run's failure, or NULL. */
static fz__fail_memo *fail_memo(const fz_engine *e)
{
    return e->fmemo ? &e->fmemo[e->fail_node & (FZ__FAIL_MEMO - 1)] : NULL;
}

static int fail_memo_matches(const fz_engine *e, const fz__fail_memo *m)
{
    return m->used && m->kind == e->fail_kind && m->node == e->fail_node &&
           m->answer == e->fail_answer && m->attempt == e->fail_attempt &&
           m->loop == e->fail_loop && m->has_text == e->fail_has_text &&
           strcmp(m->text, e->fail_text) == 0;
}

/* Keeps the failure text just built in out (out_len bytes) for later runs
 * that fail alike; returns its key, or FZ__OUT_KEY_NONE when it is not kept
 * (too long, or no memory for the memo: nothing fails for that). */
static uint64_t fail_memo_keep(fz_engine *e)
{
    if (!e->fmemo) {
        e->fmemo = fz_calloc(e->alloc, FZ__FAIL_MEMO, sizeof(fz__fail_memo));
        if (!e->fmemo)
            return FZ__OUT_KEY_NONE;
    }
    fz__fail_memo *m = fail_memo(e);
    if (e->out_len >= sizeof(m->out))
        return FZ__OUT_KEY_NONE;
    m->used = 1;
    m->kind = e->fail_kind;
    m->node = e->fail_node;
    m->answer = e->fail_answer;
    m->attempt = e->fail_attempt;
    m->loop = e->fail_loop;
    m->has_text = e->fail_has_text;
    memcpy(m->text, e->fail_text, sizeof(m->text));
    memcpy(m->out, e->out, e->out_len + 1);
    m->len = (uint32_t)e->out_len;
    /* A new serial for every text kept: two runs share a key only when the
     * same entry held their text. Bit 63 keeps it apart from (node, edge)
     * keys. */
    m->key = 1ull << 63 | ++e->fserial;
    return m->key;
}

const char *fz_engine_outcome(const fz_engine *ce)
{
    fz_engine *e = (fz_engine *)ce; /* the cache is not observable state */
    if (e->state != FZ_RUN_COMPLETED && e->state != FZ_RUN_FAILED)
        return "";
    if (e->out_valid)
        return e->out;
    /* One end, the same (node, edge) as the text in the buffer: most runs
     * of a study end like the one before, and this skips ~300 instructions
     * of copying per run. */
    uint64_t key = FZ__OUT_KEY_NONE;
    if (e->state == FZ_RUN_COMPLETED && e->nends == 1) {
        key = (uint64_t)e->ends[0].node << 32 | e->ends[0].edge;
        if (e->out_key == key && e->out) {
            e->out_valid = 1;
            return e->out;
        }
    }
    e->out_key = FZ__OUT_KEY_NONE;
    e->out_len = 0;
    if (e->state == FZ_RUN_FAILED) {
        /* A failure like one before: its text again, not rebuilt (~1,700
         * instructions a failed run in a study). */
        const fz__fail_memo *m = fail_memo(e);
        if (m && fail_memo_matches(e, m) && e->out_cap > m->len) {
            memcpy(e->out, m->out, (size_t)m->len + 1);
            e->out_len = m->len;
            e->out_valid = 1;
            e->out_key = m->key;
            return e->out;
        }
    }
    int rc = e->state == FZ_RUN_FAILED ? build_failure(e) : build_completed(e);
    if (rc)
        return e->state == FZ_RUN_FAILED ? "failed (out of memory)" : "completed (out of memory)";
    if (!e->out)
        return "";
    if (e->state == FZ_RUN_FAILED)
        key = fail_memo_keep(e);
    e->out_valid = 1;
    e->out_key = key;
    return e->out;
}

uint64_t fz_engine_outcome_key(const fz_engine *e)
{
    /* out_key + 1: never 0, since out_key is never FZ__OUT_KEY_NONE here. */
    return e->out_valid && e->out_key != FZ__OUT_KEY_NONE ? e->out_key + 1 : 0;
}

/*==========================================================================
 * Variables
 *========================================================================*/

static const char *vkey(const fz_engine *e, const var_ent *v)
{
    return e->vbuf + v->koff;
}

static uint32_t var_find(const fz_engine *e, const char *key, size_t klen)
{
    for (uint32_t i = 0; i < e->nvars; i++) {
        const var_ent *v = &e->vars[i];
        if (v->klen == klen && memcmp(vkey(e, v), key, klen) == 0)
            return i;
    }
    return FZ_NONE;
}

/* Room for one more variable of klen + vlen bytes. */
static int var_reserve(fz_engine *e, uint32_t nvars, size_t bytes)
{
    int rc =
        grow_array(e->alloc, (void **)&e->vars, &e->vars_cap, e->nvars + nvars, sizeof(var_ent));
    if (rc)
        return rc;
    if (bytes > UINT32_MAX - e->vlen)
        return FZ_ENOMEM;
    return grow_array(e->alloc, (void **)&e->vbuf, &e->vcap, e->vlen + (uint32_t)bytes, 1);
}

/* Stores key=value, assuming var_reserve made room. */
static void var_store(fz_engine *e, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    uint32_t i = var_find(e, key, klen);
    var_ent *v;
    if (i != FZ_NONE) {
        v = &e->vars[i];
        if (vlen <= v->vcap) {
            memcpy(e->vbuf + v->voff, value, vlen + 1);
            v->vlen = (uint32_t)vlen;
            return;
        }
    } else {
        v = &e->vars[e->nvars++];
        v->koff = e->vlen;
        v->klen = (uint32_t)klen;
        memcpy(e->vbuf + e->vlen, key, klen + 1);
        e->vlen += (uint32_t)klen + 1;
    }
    v->voff = e->vlen;
    v->vlen = v->vcap = (uint32_t)vlen;
    memcpy(e->vbuf + e->vlen, value, vlen + 1);
    e->vlen += (uint32_t)vlen + 1;
}

/* Makes room for every variable of a result, so that applying it cannot
 * fail half-way. */
static int vars_reserve(fz_engine *e, const fz_kv *kv, uint32_t n)
{
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        if (kv[i].key && kv[i].value)
            bytes += strlen(kv[i].key) + strlen(kv[i].value) + 2;
    return var_reserve(e, n, bytes);
}

static void vars_apply(fz_engine *e, const fz_kv *kv, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (kv[i].key && kv[i].value)
            var_store(e, kv[i].key, kv[i].value);
}

int fz_engine_set_var(fz_engine *e, const char *key, const char *value)
{
    if (!key || !value)
        return FZ_EINVAL;
    int rc = var_reserve(e, 1, strlen(key) + strlen(value) + 2);
    if (rc)
        return rc;
    var_store(e, key, value);
    return FZ_OK;
}

const char *fz_engine_get_var(const fz_engine *e, const char *key)
{
    uint32_t i = var_find(e, key, strlen(key));
    return i == FZ_NONE ? NULL : e->vbuf + e->vars[i].voff;
}

uint32_t fz_engine_var_count(const fz_engine *e)
{
    return e->nvars;
}

fz_kv fz_engine_var_at(const fz_engine *e, uint32_t i)
{
    fz_kv kv = {NULL, NULL};
    if (i < e->nvars) {
        kv.key = vkey(e, &e->vars[i]);
        kv.value = e->vbuf + e->vars[i].voff;
    }
    return kv;
}

/*==========================================================================
 * The drive loop: the one loop every backend runs under. Ready tasks go to
 * backend->start(), results from backend->wait() go back to the engine. It
 * lives here, not in its own file, so that the step (complete) inlines into
 * it; per step it adds the backend's two indirect calls, and reads the
 * backend's clock only when an observer wants times.
 *========================================================================*/


static void stop(fz_engine *e, const fz_backend *b, const char *why, uint64_t t_ns)
{
    fz_engine_abort(e, why, t_ns);
    if (e->in_flight && b->cancel_all)
        b->cancel_all(b->ud, e);
}

typedef int (*start_wait_fn)(void *, fz_engine *, const fz_task *, uint32_t *, fz_result *);

/* The one-token chain: the run's only token walks consecutive steps that
 * route it along one plain edge (an ok answer on a node's one ok edge, an
 * outcome whose edge the backend named, a retry) with the token in locals:
 * no task table entry written and read back, no fz_task rebuilt from it, no
 * room tests (nothing is created but the token's next task). Called when
 * one task is ready and none is in flight, no token waits at a merge and no
 * observer is set. Any other step (an edge into a loop head or a merge, an
 * end, a failure, variables, a different task id, the step limit in reach, a
 * backend error) first writes back exactly the state the general path would
 * have at that point (the task handed out and running), then runs as before:
 * task ids, routes, edge counts and results are those of the general path.
 * Returns 0, or a backend or step error after stopping the run. */
static __attribute__((noinline)) int chain(fz_engine *e, const fz_backend *b,
                                           start_wait_fn start_wait)
{
    const fz_plan *p = e->p;
    const node_info *nodes = p->nodes;
    const edge_info *edges = p->edges;
    uint64_t *const counts = e->edge_counts;
    const uint32_t limit = p->max_steps;
    uint32_t id = e->next_hand;
    task_ent *te = &e->tasks[id & e->tmask];
    uint32_t node = te->node, token = te->token, attempt = te->attempt;
    uint32_t last = te->last_label, lslot = te->lslot;
    uint64_t delay = te->delay_ns;
    te->state = T_FREE; /* the token lives in locals until the chain ends */
    uint32_t steps = e->steps;
    uint32_t rid;
    fz_result r;
    int rc;
    for (;;) {
        fz_task t = {id, node, token, attempt, delay};
        r = (fz_result){.answer = FZ_ANSWER_OK};
        rid = 0;
        rc = start_wait(b->ud, e, &t, &rid, &r);
        /* The step limit: the general path checks it after the step. */
        if (UNLIKELY(rc || rid != id || r.nvars || steps + 1 >= limit))
            break;
        const node_info *ni = &nodes[node];
        fz_answer a = r.answer;
        uint32_t edge;
        if (a == FZ_ANSWER_OK && !r.outcome && ni->ok1) {
            edge = ni->ok1 - 1;
        } else if ((a == FZ_ANSWER_OK || a == FZ_ANSWER_NO) && r.outcome && r.outcome_edge &&
                   ni->out.count) {
            edge = r.outcome_edge - 1;
        } else if (a != FZ_ANSWER_OK && a != FZ_ANSWER_NO && !ni->err.count &&
                   attempt <= p->policies[node].retries) {
            /* route()'s retry: the same node, the next attempt. */
            delay = backoff_delay(&p->policies[node], attempt);
            attempt++;
            steps++;
            id++;
            continue;
        } else {
            break;
        }
        const edge_info *ei = &edges[edge];
        if (UNLIKELY(ei->dst_kind))
            break;
        if (counts)
            counts[edge]++;
        if (ei->flags & EI_LABELLED)
            last = edge;
        node = ei->dst;
        attempt = 1;
        delay = 0;
        steps++;
        id++;
    }
    /* Task id is handed out and running: the state the general path has
     * after start_wait returns. */
    e->next_id = e->next_hand = id + 1;
    e->live = e->in_flight = 1;
    e->steps = steps;
    te = &e->tasks[id & e->tmask];
    te->id = id;
    te->node = node;
    te->token = token;
    te->attempt = attempt;
    te->delay_ns = delay;
    te->last_label = last;
    te->lslot = lslot;
    te->state = T_RUNNING;
    if (rc) {
        stop(e, b, rc == FZ_EINTR ? "interrupted" : fz_strerror(rc), 0);
        return rc;
    }
    rc = complete(e, rid, &r, 0, rid == id);
    if (rc) {
        stop(e, b, fz_strerror(rc), 0);
        return rc;
    }
    return 0;
}

int fz_engine_drive(fz_engine *e, const fz_backend *b)
{
    if (e->state != FZ_RUN_RUNNING)
        return e->state == FZ_RUN_IDLE ? FZ_ESTATE : FZ_OK;
    const fz_observer *obs = engine_observer(e);
    int timed = obs != NULL && b->now != NULL;
    fz_task t;
    /* The clock read for a completion also stamps the first start that
     * follows it: nothing but engine work (nanoseconds) lies between the
     * two, and it saves an indirect call per step. A later start in the
     * same batch reads the clock again (a backend's start() takes time). */
    uint64_t now = 0;
    int have_now = 0;
    int (*const start_wait)(void *, fz_engine *, const fz_task *, uint32_t *, fz_result *) =
        b->start_wait;
    while (e->state == FZ_RUN_RUNNING) {
        if (start_wait && e->in_flight == 0 && e->next_id - e->next_hand == 1) {
            if (!obs && !e->nwait) {
                int rc = chain(e, b, start_wait);
                if (rc)
                    return rc;
                continue;
            }
            /* One token alive, one task ready, nothing in flight: start and
             * wait in one backend call (the same calls in the same order as
             * the general path below, with the queue round trip left out). */
            /* fz__engine_next without its checks: the loop's test made them. */
            {
                uint32_t hid = e->next_hand++;
                const task_ent *he = &e->tasks[hid & e->tmask];
                e->tasks[hid & e->tmask].state = T_RUNNING;
                e->in_flight = 1;
                t.id = hid;
                t.node = he->node;
                t.token = he->token;
                t.attempt = he->attempt;
                t.delay_ns = he->delay_ns;
            }
            if (obs && obs->on_start) {
                if (timed && !have_now)
                    now = b->now(b->ud);
                obs->on_start(obs->ud, &t, now + t.delay_ns);
            }
            uint32_t id = 0;
            fz_result r = {.answer = FZ_ANSWER_OK};
            int rc = start_wait(b->ud, e, &t, &id, &r);
            if (rc) {
                stop(e, b, rc == FZ_EINTR ? "interrupted" : fz_strerror(rc),
                     timed ? b->now(b->ud) : 0);
                return rc;
            }
            if (timed)
                now = b->now(b->ud);
            have_now = 1;
            rc = complete(e, id, &r, now, id == t.id);
            if (rc) {
                stop(e, b, fz_strerror(rc), now);
                return rc;
            }
            continue;
        }
        while (fz__engine_next(e, &t)) {
            /* Reported before the backend starts it: a journal commits the
             * start before the handler can have any effect. */
            if (obs && obs->on_start) {
                if (timed && !have_now)
                    now = b->now(b->ud);
                obs->on_start(obs->ud, &t, now + t.delay_ns);
            }
            have_now = 0;
            int rc = b->start(b->ud, e, &t);
            if (rc) {
                stop(e, b, fz_strerror(rc), timed ? b->now(b->ud) : 0);
                return rc;
            }
        }
        if (e->in_flight == 0) {
            /* Running with nothing ready and nothing started cannot happen;
             * end defensively rather than wait forever. */
            stop(e, b, "internal error: no task left to run", timed ? b->now(b->ud) : 0);
            return FZ_ESTATE;
        }
        uint32_t id = 0;
        fz_result r = {.answer = FZ_ANSWER_OK};
        int rc = b->wait(b->ud, e, &id, &r);
        if (rc) {
            stop(e, b, rc == FZ_EINTR ? "interrupted" : fz_strerror(rc), timed ? b->now(b->ud) : 0);
            return rc;
        }
        now = timed ? b->now(b->ud) : 0;
        have_now = 1;
        rc = complete(e, id, &r, now, 0);
        if (rc) {
            stop(e, b, fz_strerror(rc), now);
            return rc;
        }
    }
    if (e->in_flight && b->cancel_all)
        b->cancel_all(b->ud, e);
    return FZ_OK;
}
