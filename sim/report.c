/* SPDX-License-Identifier: MIT */
/*
 * report.c - collecting, merging and reading out simulation reports (the
 * terminal text is report_text.c, the JSON report_json.c).
 * Per run the tallies cost a few counter bumps per task and edge; the end
 * of a run costs one hash lookup for the outcome and one for the path.
 * Memory is fixed by the graph, the distinct outcomes and the distinct
 * paths (at most FZ_REPORT_MAX_PATHS kept; more are counted as "other"),
 * never by the number of runs.
 */
#include "sim/report.h"
#include "sim/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/hash.h"
#include "core/status.h"
#include "core/vec.h"
#include "sim/scenario.h"

/*==========================================================================
 * Lifecycle
 *========================================================================*/

static const char *outcome_key(void *ud, uint32_t value, uint32_t *len)
{
    fz_report *r = ud;
    const char *s = FZ_VEC_AT(&r->outcomes, outcome, value).name;
    *len = (uint32_t)strlen(s);
    return s;
}

static char *dup_or_empty(fz_arena *a, const char *s)
{
    return fz_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

int fz_report_new(const fz_graph *g, const fz_report_meta *meta, const fz_alloc *alloc,
                  fz_report **out)
{
    *out = NULL;
    fz_report *r = fz_calloc(alloc, 1, sizeof *r);
    if (!r)
        return FZ_ENOMEM;
    r->alloc = alloc;
    r->g = g;
    fz_arena_init(&r->arena, alloc);
    r->nn = fz_graph_node_count(g);
    r->ne = fz_graph_edge_count(g);
    r->first = UINT64_MAX;
    r->shape.path_max_len = UINT32_MAX;
    fz_vec_init(&r->outcomes, sizeof(outcome), alloc);
    fz_strmap_init(&r->outcome_map, alloc, outcome_key, r);
    fz_vec_init(&r->paths, sizeof(path), alloc);
    fz_vec_init(&r->path_nodes, sizeof(uint32_t), alloc);
    *out = r;
    size_t nn = r->nn + 1, ne = r->ne + 1;
    r->hot.node_visits = fz_calloc(alloc, nn * 6, sizeof(uint64_t));
    r->edge_trav = fz_calloc(alloc, ne * 4, sizeof(uint64_t));
    r->hist = fz_calloc(alloc, HIST_BUCKETS, sizeof(uint64_t));
    r->path_mask = 1023;
    r->path_slots = fz_calloc(alloc, r->path_mask + 1, sizeof(uint64_t));
    r->fault_mask = 255;
    r->faults = fz_calloc(alloc, r->fault_mask + 1, sizeof(fault_slot));
    if (!r->hot.node_visits || !r->edge_trav || !r->hist || !r->path_slots || !r->faults)
        return FZ_ENOMEM;
    r->hot.node_runs = r->hot.node_visits + nn;
    r->hot.node_fail = r->hot.node_runs + nn;
    r->hot.node_time = r->hot.node_fail + nn;
    r->hot.node_stamp = r->hot.node_time + nn;
    r->hot.node_time_hi = r->hot.node_stamp + nn;
    r->edge_runs = r->edge_trav + ne;
    r->edge_stamp = r->edge_runs + ne;
    r->edge_seen = r->edge_stamp + ne;
    if (meta) {
        r->meta.workflow = dup_or_empty(&r->arena, meta->workflow);
        r->meta.hash = dup_or_empty(&r->arena, meta->hash);
        r->meta.faults = dup_or_empty(&r->arena, meta->faults);
        r->meta.scenario = dup_or_empty(&r->arena, meta->scenario);
        r->meta.seed = meta->seed;
        if (!r->meta.workflow || !r->meta.hash || !r->meta.faults || !r->meta.scenario)
            return FZ_ENOMEM;
    }
    return 0;
}

void fz_report_free(fz_report *r)
{
    if (!r)
        return;
    const fz_alloc *a = r->alloc;
    size_t nn = r->nn + 1, ne = r->ne + 1;
    fz_free(a, r->hot.node_visits, nn * 6 * sizeof(uint64_t));
    fz_free(a, r->edge_trav, ne * 4 * sizeof(uint64_t));
    fz_free(a, r->hist, HIST_BUCKETS * sizeof(uint64_t));
    fz_free(a, r->path_slots, ((size_t)r->path_mask + 1) * sizeof(uint64_t));
    fz_free(a, r->faults, ((size_t)r->fault_mask + 1) * sizeof(fault_slot));
    fz_vec_fini(&r->outcomes);
    fz_strmap_fini(&r->outcome_map);
    fz_vec_fini(&r->paths);
    fz_vec_fini(&r->path_nodes);
    fz_free(a, r->hot.cur_path, sizeof(uint32_t) * r->hot.cur_cap);
    fz_arena_fini(&r->arena);
    fz_free(a, r, sizeof *r);
}

const fz_report_meta *fz_report_meta_of(const fz_report *r)
{
    return &r->meta;
}

/* Decimal text of v into buf (at least 40 bytes). */
const char *fz__report_u128_text(char *buf, size_t len, u128 v)
{
    char tmp[48];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    size_t i = 0;
    for (; i < k && i + 1 < len; i++)
        buf[i] = tmp[k - 1 - i];
    buf[i] = 0;
    return buf;
}

/*==========================================================================
 * Histogram: log-linear buckets, 128 per octave (relative error < 0.8%)
 *========================================================================*/

static uint32_t hist_bucket(uint64_t v)
{
    if (v < HIST_SUB)
        return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v); /* >= 7 */
    uint32_t sub = (uint32_t)(v >> (e - 7)) & (HIST_SUB - 1);
    return HIST_SUB + (e - 7) * HIST_SUB + sub;
}

static uint64_t hist_lower(uint32_t b)
{
    if (b < HIST_SUB)
        return b;
    uint32_t e = (b - HIST_SUB) / HIST_SUB + 7, sub = (b - HIST_SUB) % HIST_SUB;
    return ((uint64_t)(HIST_SUB + sub)) << (e - 7);
}

static uint64_t hist_width(uint32_t b)
{
    if (b < HIST_SUB)
        return 1;
    uint32_t e = (b - HIST_SUB) / HIST_SUB + 7;
    return (uint64_t)1 << (e - 7);
}

uint64_t fz_report_duration_quantile(const fz_report *r, double q)
{
    if (r->runs == 0)
        return 0;
    if (q >= 1.0)
        return r->dur_max;
    uint64_t rank = (uint64_t)ceil(q * (double)r->runs);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
        seen += r->hist[b];
        if (seen >= rank) {
            uint64_t mid = hist_lower(b) + hist_width(b) / 2;
            return mid > r->dur_max ? r->dur_max : mid;
        }
    }
    return r->dur_max;
}

/*==========================================================================
 * Collecting
 *========================================================================*/

void fz_report_begin_run(fz_report *r, uint64_t index)
{
    r->hot.gen++;
    r->index = index;
    r->hot.path_hash = 0x9e3779b97f4a7c15ull;
    r->hot.cur_len = 0;
}

/* Grows a per-run buffer; cold (a run longer than any before). */
static int grow(fz_report *r, void **buf, uint32_t *cap, size_t elem, uint32_t need)
{
    uint32_t ncap = *cap ? *cap : 64;
    while (ncap <= need)
        ncap *= 2;
    void *nb = fz_realloc(r->alloc, *buf, elem * *cap, elem * ncap);
    if (!nb) {
        r->oom = 1;
        return FZ_ENOMEM;
    }
    *buf = nb;
    *cap = ncap;
    return 0;
}

/* Cold: grows cur_path; FZ_ENOMEM (and the report marked out of memory). */
__attribute__((noinline)) int fz__report_path_grow(fz_report *r)
{
    return grow(r, (void **)&r->hot.cur_path, &r->hot.cur_cap, sizeof(uint32_t), r->hot.cur_len);
}

/* The bodies are in report_hot.h, inline in the simulation backend too;
 * they reach the counters through the report's address. */
_Static_assert(offsetof(struct fz_report, hot) == 0, "report_hot.h: hot comes first");

void fz_report_task_start(fz_report *r, uint32_t n)
{
    fz__report_task_start_in(r, n);
}

void fz_report_task_finish(fz_report *r, uint32_t n, fz_answer a, uint64_t start_ns,
                           uint64_t end_ns)
{
    fz__report_task_finish_in(r, n, a, start_ns, end_ns);
}

void fz_report_task(fz_report *r, uint32_t n, fz_answer a, uint64_t start_ns, uint64_t end_ns)
{
    fz__report_task_in(r, n, a, start_ns, end_ns);
}

uint64_t *fz_report_edge_counts(fz_report *r)
{
    r->count_edges = 1;
    memcpy(r->edge_seen, r->edge_trav, r->ne * sizeof(uint64_t));
    return r->edge_trav;
}

static int find_outcome_n(fz_report *r, const char *name, uint32_t len, uint8_t state,
                          uint32_t *idx)
{
    uint32_t v = fz_strmap_find(&r->outcome_map, name, len);
    if (v != UINT32_MAX) {
        *idx = v;
        return 0;
    }
    outcome *o = fz_vec_push(&r->outcomes);
    if (!o)
        return FZ_ENOMEM;
    o->name = fz_arena_strndup(&r->arena, name, len);
    o->state = state;
    o->first = o->best = UINT64_MAX;
    o->best_faults = UINT32_MAX;
    v = r->outcomes.len - 1;
    if (!o->name) {
        r->outcomes.len--;
        return FZ_ENOMEM;
    }
    uint32_t found;
    if (fz_strmap_add(&r->outcome_map, name, len, v, &found)) {
        r->outcomes.len--;
        return FZ_ENOMEM;
    }
    *idx = v;
    return 0;
}

static int find_outcome(fz_report *r, const char *name, uint8_t state, uint32_t *idx)
{
    return find_outcome_n(r, name, (uint32_t)strlen(name), state, idx);
}

static int path_grow(fz_report *r)
{
    uint32_t nmask = r->path_mask * 2 + 1;
    uint64_t *ns = fz_calloc(r->alloc, (size_t)nmask + 1, sizeof(uint64_t));
    if (!ns)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < r->paths.len; i++) {
        uint64_t h = FZ_VEC_AT(&r->paths, path, i).hash;
        uint32_t s = (uint32_t)h & nmask;
        while (ns[s])
            s = (s + 1) & nmask;
        ns[s] = i + 1;
    }
    fz_free(r->alloc, r->path_slots, ((size_t)r->path_mask + 1) * sizeof(uint64_t));
    r->path_slots = ns;
    r->path_mask = nmask;
    return 0;
}

/* Adds count runs of the path (hash, nodes) with first run `first`. */
static int add_path(fz_report *r, uint64_t hash, const uint32_t *nodes, uint32_t len,
                    uint32_t oc, uint64_t count, uint64_t first)
{
    uint32_t s = (uint32_t)hash & r->path_mask;
    while (r->path_slots[s]) {
        path *p = &FZ_VEC_AT(&r->paths, path, r->path_slots[s] - 1);
        if (p->hash == hash && p->len == len) {
            p->count += count;
            if (first < p->first) {
                p->first = first;
                p->outcome = oc;
            }
            return 0;
        }
        s = (s + 1) & r->path_mask;
    }
    if (r->paths.len >= FZ_REPORT_MAX_PATHS) {
        r->paths_other += count;
        return 0;
    }
    if ((uint64_t)r->path_nodes.len + len > UINT32_MAX)
        return FZ_ENOMEM;
    if (fz_vec_reserve(&r->path_nodes, r->path_nodes.len + len))
        return FZ_ENOMEM;
    path *p = fz_vec_push(&r->paths);
    if (!p)
        return FZ_ENOMEM;
    p->hash = hash;
    p->off = r->path_nodes.len;
    p->len = len;
    p->outcome = oc;
    p->count = count;
    p->first = first;
    if (len)
        memcpy((uint32_t *)r->path_nodes.data + r->path_nodes.len, nodes, len * sizeof(uint32_t));
    r->path_nodes.len += len;
    r->path_slots[s] = r->paths.len;
    if ((uint64_t)r->paths.len * 2 > r->path_mask)
        return path_grow(r);
    return 0;
}

static int fault_add(fz_report *r, uint64_t key, uint64_t runs)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    uint32_t s = (uint32_t)(h >> 32) & r->fault_mask;
    while (r->faults[s].key && r->faults[s].key != key)
        s = (s + 1) & r->fault_mask;
    if (r->faults[s].key == key) {
        r->faults[s].runs += runs;
        return 0;
    }
    r->faults[s].key = key;
    r->faults[s].runs = runs;
    if (++r->nfault_keys * 2 > r->fault_mask) {
        uint32_t nmask = r->fault_mask * 2 + 1;
        fault_slot *nf = fz_calloc(r->alloc, (size_t)nmask + 1, sizeof(fault_slot));
        if (!nf)
            return FZ_ENOMEM;
        for (uint32_t i = 0; i <= r->fault_mask; i++) {
            if (!r->faults[i].key)
                continue;
            uint32_t t = (uint32_t)((r->faults[i].key * 0x9e3779b97f4a7c15ull) >> 32) & nmask;
            while (nf[t].key)
                t = (t + 1) & nmask;
            nf[t] = r->faults[i];
        }
        fz_free(r->alloc, r->faults, ((size_t)r->fault_mask + 1) * sizeof(fault_slot));
        r->faults = nf;
        r->fault_mask = nmask;
    }
    return 0;
}

static void note_find(outcome *o, uint64_t first, uint64_t best, uint32_t best_faults)
{
    if (first < o->first)
        o->first = first;
    if (best_faults < o->best_faults || (best_faults == o->best_faults && best < o->best)) {
        o->best_faults = best_faults;
        o->best = best;
    }
}

/* The run's path, when it is short enough to be counted one by one. */
static inline __attribute__((always_inline)) int count_path(fz_report *r, uint32_t oc)
{
    if (r->hot.cur_len > r->shape.path_max_len) {
        r->paths_other++;
        return 0;
    }
    return add_path(r, r->hot.path_hash, r->hot.cur_path, r->hot.cur_len, oc, 1, r->index);
}

/* Each distinct (node, kind) of the run once under outcome oc. Runs inject
 * few faults, so the quadratic dedup is cheaper than a set. */
static inline __attribute__((always_inline)) int count_faults(fz_report *r, uint32_t oc,
                                                         const fz_fault *faults, uint32_t nfaults)
{
    int rc;
    for (uint32_t i = 0; i < nfaults; i++) {
        int seen = 0;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = faults[j].node == faults[i].node && faults[j].kind == faults[i].kind;
        if (!seen && (rc = fault_add(r, fz__report_fault_key(oc, faults[i].node, faults[i].kind), 1)))
            return rc;
    }
    return 0;
}

/* By end: the completed outcome "A via x + B + ..." counts each distinct
 * end once for this run (its faults too); the path goes under the first. */
static int end_run_by_end(fz_report *r, const char *name, const fz_fault *faults,
                          uint32_t nfaults)
{
    uint32_t first_oc = UINT32_MAX;
    int rc;
    for (const char *p = name;;) {
        const char *sep = strstr(p, " + ");
        uint32_t len = sep ? (uint32_t)(sep - p) : (uint32_t)strlen(p);
        uint32_t oc;
        if ((rc = find_outcome_n(r, p, len, FZ_RUN_COMPLETED, &oc)))
            return rc;
        outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oc);
        if (o->stamp != r->hot.gen || o->count == 0) {
            o->stamp = r->hot.gen;
            o->count++;
            note_find(o, r->index, r->index, nfaults);
            if ((rc = count_faults(r, oc, faults, nfaults)))
                return rc;
        }
        if (first_oc == UINT32_MAX)
            first_oc = oc;
        if (!sep)
            break;
        p = sep + 3;
    }
    return count_path(r, first_oc);
}

int fz_report_end_run(fz_report *r, fz_run_state state, const char *outcome_name,
                      uint64_t duration_ns, const fz_fault *faults, uint32_t nfaults)
{
    return fz_report_end_run_keyed(r, state, outcome_name, 0, duration_ns, faults, nfaults);
}

int fz_report_end_run_keyed(fz_report *r, fz_run_state state, const char *outcome_name,
                            uint64_t key, uint64_t duration_ns, const fz_fault *faults,
                            uint32_t nfaults)
{
    if (r->count_edges) {
        /* The engine counted this run's traversals into edge_trav: an edge
         * whose count moved was taken in this run. */
        for (uint32_t e = 0; e < r->ne; e++)
            if (r->edge_trav[e] != r->edge_seen[e]) {
                r->edge_seen[e] = r->edge_trav[e];
                r->edge_runs[e]++;
            }
    }
    if (r->oom)
        return FZ_ENOMEM;
    uint32_t oc;
    int rc = 0;
    const char *name = outcome_name ? outcome_name : "";
    r->runs++;
    if (r->index < r->first)
        r->first = r->index;
    if (r->index + 1 > r->last)
        r->last = r->index + 1;
    r->hist[hist_bucket(duration_ns)]++;
    r->dur_sum += duration_ns;
    if (duration_ns > r->dur_max)
        r->dur_max = duration_ns;
    if (r->shape.by_end && state == FZ_RUN_COMPLETED)
        return end_run_by_end(r, name, faults, nfaults);
    uint32_t k = 0;
    if (key)
        while (k < r->nokeys && r->okey[k] != key)
            k++;
    if (key && k < r->nokeys) {
        oc = r->okey_oc[k];
    } else {
        if (r->last_outcome < r->outcomes.len &&
            strcmp(FZ_VEC_AT(&r->outcomes, outcome, r->last_outcome).name, name) == 0)
            oc = r->last_outcome;
        else if ((rc = find_outcome(r, name, (uint8_t)state, &oc)))
            return rc;
        /* The key's text is this name for every later run of the engine. */
        if (key && r->nokeys < FZ_REPORT_OUTCOME_KEYS) {
            r->okey[r->nokeys] = key;
            r->okey_oc[r->nokeys++] = oc;
        }
    }
    r->last_outcome = oc;
    outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oc);
    o->count++;
    note_find(o, r->index, r->index, nfaults);
    if ((rc = count_path(r, oc)))
        return rc;
    return count_faults(r, oc, faults, nfaults);
}

int fz_report_merge(fz_report *dst, const fz_report *src)
{
    int rc;
    if (dst->shape.by_end != src->shape.by_end ||
        dst->shape.path_max_len != src->shape.path_max_len)
        return FZ_EINVAL; /* reports of one study have one shape */
    uint32_t *map = fz_calloc(dst->alloc, src->outcomes.len + 1, sizeof(uint32_t));
    if (!map)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < src->outcomes.len; i++) {
        const outcome *so = &FZ_VEC_AT(&src->outcomes, outcome, i);
        if ((rc = find_outcome(dst, so->name, so->state, &map[i])))
            goto out;
        outcome *d = &FZ_VEC_AT(&dst->outcomes, outcome, map[i]);
        d->count += so->count;
        note_find(d, so->first, so->best, so->best_faults);
    }
    dst->runs += src->runs;
    if (src->first < dst->first)
        dst->first = src->first;
    if (src->last > dst->last)
        dst->last = src->last;
    for (uint32_t n = 0; n < dst->nn && n < src->nn; n++) {
        dst->hot.node_visits[n] += src->hot.node_visits[n];
        dst->hot.node_runs[n] += src->hot.node_runs[n];
        dst->hot.node_fail[n] += src->hot.node_fail[n];
        fz__report_set_node_time(dst, n, fz__report_node_time(dst, n) + fz__report_node_time(src, n));
    }
    for (uint32_t e = 0; e < dst->ne && e < src->ne; e++) {
        dst->edge_trav[e] += src->edge_trav[e];
        dst->edge_runs[e] += src->edge_runs[e];
        dst->edge_seen[e] = dst->edge_trav[e];
    }
    for (uint32_t b = 0; b < HIST_BUCKETS; b++)
        dst->hist[b] += src->hist[b];
    dst->dur_sum += src->dur_sum;
    if (src->dur_max > dst->dur_max)
        dst->dur_max = src->dur_max;
    dst->paths_other += src->paths_other;
    for (uint32_t i = 0; i < src->paths.len; i++) {
        const path *p = &FZ_VEC_AT(&src->paths, path, i);
        if ((rc = add_path(dst, p->hash, (const uint32_t *)src->path_nodes.data + p->off, p->len,
                           map[p->outcome], p->count, p->first)))
            goto out;
    }
    for (uint32_t i = 0; i <= src->fault_mask; i++) {
        uint64_t k = src->faults[i].key;
        if (!k)
            continue;
        uint32_t oc = (uint32_t)(k >> 40) - 1;
        uint64_t nk = fz__report_fault_key(map[oc], (uint32_t)(k >> 8) & 0xffffffffu, (uint32_t)k & 0xff);
        if ((rc = fault_add(dst, nk, src->faults[i].runs)))
            goto out;
    }
    rc = 0;
out:
    fz_free(dst->alloc, map, (src->outcomes.len + 1) * sizeof(uint32_t));
    return rc;
}

/*==========================================================================
 * Reading
 *========================================================================*/

uint64_t fz_report_runs(const fz_report *r)
{
    return r->runs;
}

void fz_report_range(const fz_report *r, uint64_t *first, uint64_t *last)
{
    *first = r->runs ? r->first : 0;
    *last = r->last;
}

uint64_t fz_report_outcome_count(const fz_report *r, const char *name)
{
    uint32_t v = fz_strmap_find(&r->outcome_map, name, (uint32_t)strlen(name));
    return v == UINT32_MAX ? 0 : FZ_VEC_AT(&r->outcomes, outcome, v).count;
}

int fz_report_find(const fz_report *r, const char *name, uint64_t *first, uint64_t *fewest,
                   uint32_t *fewest_faults)
{
    uint32_t v = fz_strmap_find(&r->outcome_map, name, (uint32_t)strlen(name));
    if (v == UINT32_MAX)
        return FZ_ENOENT;
    const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, v);
    *first = o->first;
    *fewest = o->best;
    *fewest_faults = o->best_faults;
    return 0;
}

/* Outcome indices in report order: count descending, then name. */
static const fz_report *sort_r;
static int cmp_outcome(const void *a, const void *b)
{
    const outcome *x = &FZ_VEC_AT(&sort_r->outcomes, outcome, *(const uint32_t *)a);
    const outcome *y = &FZ_VEC_AT(&sort_r->outcomes, outcome, *(const uint32_t *)b);
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_path(const void *a, const void *b)
{
    const path *x = &FZ_VEC_AT(&sort_r->paths, path, *(const uint32_t *)a);
    const path *y = &FZ_VEC_AT(&sort_r->paths, path, *(const uint32_t *)b);
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* qsort has no context argument in C11; a lock-free static is fine because
 * reports are sorted only by the CLI's thread. Caller frees with
 * fz__report_sorted_free(). */
uint32_t *fz__report_sorted(const fz_report *r, int paths)
{
    uint32_t n = paths ? r->paths.len : r->outcomes.len;
    uint32_t *idx = fz_malloc(r->alloc, sizeof(uint32_t) * (n + 1));
    if (!idx)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    sort_r = r;
    qsort(idx, n, sizeof(uint32_t), paths ? cmp_path : cmp_outcome);
    return idx;
}

void fz__report_sorted_free(const fz_report *r, int paths, uint32_t *idx)
{
    uint32_t n = paths ? r->paths.len : r->outcomes.len;
    fz_free(r->alloc, idx, sizeof(uint32_t) * (n + 1));
}

uint32_t fz_report_outcome_total(const fz_report *r)
{
    return r->outcomes.len;
}

const char *fz_report_outcome_at(const fz_report *r, uint32_t i, uint64_t *count,
                                 fz_run_state *state)
{
    uint32_t *idx = fz__report_sorted(r, 0);
    if (!idx || i >= r->outcomes.len) {
        fz__report_sorted_free(r, 0, idx);
        return NULL;
    }
    const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, idx[i]);
    fz__report_sorted_free(r, 0, idx);
    if (count)
        *count = o->count;
    if (state)
        *state = (fz_run_state)o->state;
    return o->name;
}

double fz_report_node_coverage(const fz_report *r)
{
    if (!r->nn)
        return 1.0;
    uint32_t k = 0;
    for (uint32_t n = 0; n < r->nn; n++)
        k += r->hot.node_runs[n] > 0;
    return (double)k / r->nn;
}

double fz_report_edge_coverage(const fz_report *r)
{
    if (!r->ne)
        return 1.0;
    uint32_t k = 0;
    for (uint32_t e = 0; e < r->ne; e++)
        k += r->edge_runs[e] > 0;
    return (double)k / r->ne;
}

uint64_t fz_report_node_runs(const fz_report *r, uint32_t n)
{
    return n < r->nn ? r->hot.node_runs[n] : 0;
}

uint64_t fz_report_edge_runs(const fz_report *r, uint32_t e)
{
    return e < r->ne ? r->edge_runs[e] : 0;
}

void fz_report_wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)k / (double)n, nn = (double)n, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double center = (p + z2 / (2 * nn)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *lo = center - half < 0 ? 0 : center - half;
    *hi = center + half > 1 ? 1 : center + half;
}

/*==========================================================================
 * For the JSON reader (report_json.c): the collection's own steps
 *========================================================================*/

int fz__report_find_outcome(fz_report *r, const char *name, uint8_t state, uint32_t *idx)
{
    return find_outcome(r, name, state, idx);
}

int fz__report_add_path(fz_report *r, uint64_t hash, const uint32_t *nodes, uint32_t len,
                        uint32_t oc, uint64_t count, uint64_t first)
{
    return add_path(r, hash, nodes, len, oc, count, first);
}

int fz__report_fault_add(fz_report *r, uint64_t key, uint64_t runs)
{
    return fault_add(r, key, runs);
}

/*==========================================================================
 * Shape: what a study over a workflow can keep, decided before it runs
 *========================================================================*/

void fz_report_set_shape(fz_report *r, const fz_report_shape *shape)
{
    r->shape = *shape;
}

void fz_report_get_shape(const fz_report *r, fz_report_shape *out)
{
    *out = r->shape;
}

/* Joint outcomes (with their faults) and paths (with their nodes) a
 * study can keep at most. */
#define SHAPE_OUTCOMES 1024.0
#define SHAPE_LIMIT 65536.0
#define SHAPE_PATH_NODES 4194304.0
/* Retries followed one by one in the path bound; more repeat the last. */
#define SHAPE_MAX_RETRY 64u
/* Work of the path bound: (states + transitions) x lengths tried. */
#define SHAPE_WORK 20000000.0

/* Labelled edges from which end can be reached: what its outcome can name
 * after "via". mark and stack are scratch of one entry per node (mark is
 * left zeroed); *work counts the edges looked at. */
static uint32_t labelled_above(const fz_graph *g, uint32_t end, const uint8_t *reach,
                               uint32_t *mark, uint32_t *stack, double *work)
{
    uint32_t nn = fz_graph_node_count(g), top = 0, cnt, labelled = 0, nseen = 0;
    mark[end] = 1;
    stack[top++] = end;
    while (top) {
        uint32_t n = stack[--top];
        stack[nn - 1 - nseen++] = n; /* seen nodes, from the top end */
        const uint32_t *in = fz_graph_in(g, n, &cnt);
        *work += cnt;
        for (uint32_t i = 0; i < cnt; i++) {
            const fz_edge *e = fz_graph_edge(g, in[i]);
            if (!reach[e->src])
                continue;
            labelled += e->label.len > 0;
            if (!mark[e->src]) {
                mark[e->src] = 1;
                stack[top++] = e->src;
            }
        }
    }
    for (uint32_t i = 0; i < nseen; i++)
        mark[stack[nn - 1 - i]] = 0;
    return labelled;
}

static int label_eq(const fz_graph *g, const fz_edge *a, const fz_edge *b)
{
    const char *x = fz_graph_text(g, a->label), *y = fz_graph_text(g, b->label);
    size_t xl = a->label.len, yl = b->label.len;
    while (xl && (*x == ' ' || *x == '\t'))
        x++, xl--;
    while (xl && (x[xl - 1] == ' ' || x[xl - 1] == '\t'))
        xl--;
    while (yl && (*y == ' ' || *y == '\t'))
        y++, yl--;
    while (yl && (y[yl - 1] == ' ' || y[yl - 1] == '\t'))
        yl--;
    if (xl != yl)
        return 0;
    for (size_t i = 0; i < xl; i++) {
        unsigned char cx = (unsigned char)x[i], cy = (unsigned char)y[i];
        if (cx != cy && !(cx < 128 && cy < 128 && (cx | 32) == (cy | 32) && (cx | 32) >= 'a' &&
                          (cx | 32) <= 'z'))
            return 0;
    }
    return 1;
}

/* Joint endings below node n (w: per successor), over every set of edges n
 * can take: all of them (ok on an action: its non-error edges are among
 * them, and more tokens never make fewer endings), its error edges (labels
 * that read as a fault; when they are one group, that group), or one group
 * of equal labels (a decision's answer, an explicit outcome; unlabelled
 * edges are one group). */
static double taken_sets(const fz_graph *g, uint32_t n, const uint32_t *o, uint32_t cnt,
                         const double *w, double *work)
{
    double all = 1, faulty = 1, groups = 0;
    int any_fault = 0;
    uint32_t ngroups = 0, nfault_groups = 0;
    if (cnt > 4096)
        return 1e30; /* too many edges to group: too many endings anyway */
    *work += (double)cnt * cnt;
    for (uint32_t i = 0; i < cnt; i++) {
        const fz_edge *e = fz_graph_edge(g, o[i]);
        all *= w[e->dst];
        if (e->label.len && fz_scenario_label_is_fault(fz_graph_text(g, e->label), e->label.len))
            faulty *= w[e->dst], any_fault = 1;
        int first = 1; /* the group's first edge adds the group */
        for (uint32_t j = 0; j < i && first; j++)
            first = !label_eq(g, e, fz_graph_edge(g, o[j]));
        if (!first)
            continue;
        double grp = w[e->dst];
        for (uint32_t j = i + 1; j < cnt; j++)
            if (label_eq(g, e, fz_graph_edge(g, o[j])))
                grp *= w[fz_graph_edge(g, o[j])->dst];
        groups += grp > 1e30 ? 1e30 : grp;
        ngroups++;
        nfault_groups += e->label.len &&
                         fz_scenario_label_is_fault(fz_graph_text(g, e->label), e->label.len);
    }
    if (ngroups == 1) /* one set of edges, whatever the answer */
        return all > 1e30 ? 1e30 : all;
    double b = (fz_graph_node(g, n)->shape == FZ_SHAPE_DIAMOND && cnt > 1 ? 0 : all) +
               (any_fault && nfault_groups > 1 ? faulty : 0) + groups;
    return b > 1e30 ? 1e30 : b;
}

/* Over-approximates how runs of g can go, from its structure alone:
 *  - starts: nodes without incoming edges (every node when there is none);
 *  - a node fans out (several tokens) unless it is a diamond or has one
 *    edge at most; a node may start again after itself (retries), and a
 *    loop's node may be followed by any node of the loop (the scope's jump
 *    back).
 * With no fan-out a run is one token: its outcome is one end (a bounded
 * set) and its path a walk; the walks of each length are counted, and
 * paths up to the longest length whose walks (with all shorter ones) stay
 * within SHAPE_LIMIT paths and SHAPE_PATH_NODES nodes are kept. With
 * fan-out, paths interleave tokens (not counted), and joint outcomes are
 * counted from the ends up on an acyclic graph (taken_sets; an end gives
 * one outcome per label it can be reached "via"); past SHAPE_OUTCOMES, or
 * with a cycle, outcomes are counted by end. */
void fz_report_plan_shape(const fz_graph *g, const fz_policy *policies, fz_report_shape *out)
{
    out->by_end = 0;
    out->path_max_len = UINT32_MAX;
    uint32_t nn = fz_graph_node_count(g), ne = fz_graph_edge_count(g);
    if (nn == 0)
        return;
    const fz_alloc *a = g->alloc;
    uint32_t *order = fz_malloc(a, sizeof(uint32_t) * nn);
    uint32_t *indeg = fz_calloc(a, nn, sizeof(uint32_t));
    uint8_t *reach = fz_calloc(a, nn, 1);
    uint32_t *base = fz_malloc(a, sizeof(uint32_t) * ((size_t)nn + 1));
    double *w = NULL, *w2 = NULL;
    size_t wn = 0; /* entries of w (and of w2, when allocated) */
    if (!order || !indeg || !reach || !base) {
        /* No memory to decide: the safe shape (bounded whatever runs do). */
        out->by_end = 1;
        out->path_max_len = 0;
        goto done;
    }
    /* Starts and what they reach. */
    uint32_t nstart = 0, top = 0, cnt;
    for (uint32_t n = 0; n < nn; n++)
        if (fz_graph_in(g, n, &cnt), cnt == 0)
            nstart++;
    for (uint32_t n = 0; n < nn; n++)
        if (nstart == 0 || (fz_graph_in(g, n, &cnt), cnt == 0))
            reach[n] = 1, order[top++] = n;
    while (top) {
        uint32_t n = order[--top];
        const uint32_t *o = fz_graph_out(g, n, &cnt);
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t d = fz_graph_edge(g, o[i])->dst;
            if (!reach[d])
                reach[d] = 1, order[top++] = d;
        }
    }
    int fan = nstart > 1;
    for (uint32_t n = 0; n < nn; n++) {
        if (!reach[n])
            continue;
        const uint32_t *o = fz_graph_out(g, n, &cnt);
        if (cnt > 1 && fz_graph_node(g, n)->shape != FZ_SHAPE_DIAMOND)
            fan = 1;
        for (uint32_t i = 0; i < cnt; i++) {
            indeg[fz_graph_edge(g, o[i])->dst]++;
        }
    }
    if (fan) {
        out->path_max_len = 0;
        /* Kahn's order over the reached part: acyclic when it takes all. */
        uint32_t nreach = 0, len = 0, head = 0;
        for (uint32_t n = 0; n < nn; n++) {
            nreach += reach[n];
            if (reach[n] && indeg[n] == 0)
                order[len++] = n;
        }
        while (head < len) {
            uint32_t n = order[head++];
            const uint32_t *o = fz_graph_out(g, n, &cnt);
            for (uint32_t i = 0; i < cnt; i++) {
                uint32_t d = fz_graph_edge(g, o[i])->dst;
                if (--indeg[d] == 0)
                    order[len++] = d;
            }
        }
        if (len < nreach || fz_graph_loop_count(g) > 0) {
            out->by_end = 1;
            goto done;
        }
        wn = nn;
        w = fz_calloc(a, wn, sizeof(double));
        uint8_t *unl = fz_calloc(a, nn, 1);
        if (!w || !unl) {
            fz_free(a, unl, nn);
            out->by_end = 1;
            goto done;
        }
        /* Nodes a token can reach over unlabelled edges only: an end among
         * them can be named without "via". order is in topological order. */
        for (uint32_t k = 0; k < len; k++) {
            uint32_t n = order[k];
            if (fz_graph_in(g, n, &cnt), cnt == 0)
                unl[n] = 1;
            const uint32_t *o = fz_graph_out(g, n, &cnt);
            for (uint32_t i = 0; i < cnt && unl[n]; i++)
                if (!fz_graph_edge(g, o[i])->label.len)
                    unl[fz_graph_edge(g, o[i])->dst] = 1;
        }
        /* w[n]: joint endings a token arriving at n can lead to, from the
         * ends up (reverse topological order). */
        double work = 0, bound = 1.0;
        for (uint32_t k = len; k-- > 0;) {
            uint32_t n = order[k];
            const uint32_t *o = fz_graph_out(g, n, &cnt);
            if (cnt == 0) {
                w[n] = labelled_above(g, n, reach, indeg, base, &work) + (double)unl[n];
                if (w[n] < 1)
                    w[n] = 1;
            } else {
                w[n] = taken_sets(g, n, o, cnt, w, &work);
            }
            if (work > SHAPE_WORK)
                w[n] = 1e30;
            if (fz_graph_in(g, n, &cnt), cnt == 0)
                bound = bound * w[n] > 1e30 ? 1e30 : bound * w[n];
        }
        fz_free(a, unl, nn);
        out->by_end = bound > SHAPE_OUTCOMES;
        goto done;
    }
    /* One token: count walks over states (node, repeats so far). */
    base[0] = 0;
    for (uint32_t n = 0; n < nn; n++) {
        uint32_t rt = policies ? policies[n].retries : 0;
        base[n + 1] = base[n] + 1 + (rt < SHAPE_MAX_RETRY ? rt : SHAPE_MAX_RETRY);
    }
    uint32_t ns = base[nn];
    wn = ns;
    w = fz_calloc(a, wn, sizeof(double));
    w2 = fz_calloc(a, wn, sizeof(double));
    if (!w || !w2) {
        out->path_max_len = 0;
        goto done;
    }
    uint32_t nloops = (uint32_t)fz_graph_loop_count(g);
    double work = (double)ns + ne + nn, total = 0, level = 0, nodes = 0;
    uint64_t maxlen = (uint64_t)(SHAPE_WORK / (work > 1 ? work : 1));
    for (uint32_t n = 0; n < nn; n++)
        if (nstart == 0 || (fz_graph_in(g, n, &cnt), cnt == 0))
            w[base[n]] = 1, level++;
    for (uint64_t l = 1;; l++) {
        if (level == 0)
            break; /* every walk has ended: all paths are kept */
        if (total + level > SHAPE_LIMIT || nodes + level * (double)l > SHAPE_PATH_NODES ||
            l > maxlen) {
            out->path_max_len = (uint32_t)(l - 1);
            break;
        }
        total += level;
        nodes += level * (double)l;
        memset(w2, 0, sizeof(double) * ns);
        for (uint32_t n = 0; n < nn; n++) {
            uint32_t nst = base[n + 1] - base[n];
            const uint32_t *o = fz_graph_out(g, n, &cnt);
            for (uint32_t r = 0; r < nst; r++) {
                double x = w[base[n] + r];
                if (x == 0)
                    continue;
                if (r + 1 < nst)
                    w2[base[n] + r + 1] += x;
                else if (policies && policies[n].retries > SHAPE_MAX_RETRY)
                    w2[base[n] + r] += x; /* more retries than followed: the last repeats */
                for (uint32_t i = 0; i < cnt; i++)
                    w2[base[fz_graph_edge(g, o[i])->dst]] += x;
                for (uint32_t li = 0; li < nloops; li++) {
                    const fz_loop *lp = fz_graph_loop(g, li);
                    int in = 0;
                    for (uint32_t k = 0; k < lp->node_count && !in; k++)
                        in = fz_graph_loop_node(g, lp, k) == n;
                    for (uint32_t k = 0; in && k < lp->node_count; k++)
                        w2[base[fz_graph_loop_node(g, lp, k)]] += x;
                }
            }
        }
        level = 0;
        for (uint32_t i = 0; i < ns; i++) {
            w2[i] = w2[i] > 1e30 ? 1e30 : w2[i];
            level += w2[i];
        }
        double *t = w;
        w = w2;
        w2 = t;
    }
done:
    fz_free(a, order, sizeof(uint32_t) * nn);
    fz_free(a, indeg, sizeof(uint32_t) * nn);
    fz_free(a, reach, nn);
    fz_free(a, base, sizeof(uint32_t) * ((size_t)nn + 1));
    fz_free(a, w, sizeof(double) * wn);
    fz_free(a, w2, sizeof(double) * wn);
}
