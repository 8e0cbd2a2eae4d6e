/* SPDX-License-Identifier: MIT */
/*
 * backend_sim.c - sampling answers and latencies on a virtual clock.
 * Per task: a lane outage in force wins; else the node's script step for
 * its k-th run in this run; else one uniform draw picks error / no / ok
 * (skipped when both probabilities are 0), one more picks a weighted
 * outcome, and the latency is sampled (no draw for a fixed latency). A
 * latency over the timeout finishes the task at the timeout as `timeout`.
 * Costs per task: O(log n) queue work plus a few rng steps.
 */
#include "sim/backend_sim.h"

#include <string.h>

#include "core/status.h"
#include "sim/report.h"
#include "sim/report_hot.h"
#include "sim/dist_int.h"

typedef struct slot {
    uint64_t start;
    fz_answer answer;
    uint32_t node;
    const char *outcome;
    const char *reason;
    uint32_t oedge; /* fz_result.outcome_edge for outcome */
} slot;

struct fz_backend_sim {
    fz_backend be;
    const fz_scenario *s;
    const fz_alloc *alloc;
    fz_rng rng;
    uint64_t t0, now;
    fz_evq q;
    slot *slots;
    uint32_t nslots;
    uint32_t *node_runs; /* k-th run of each node, valid where stamp == gen */
    uint32_t *node_stamp;
    /* Each node's params when no time window can change them (one entry),
     * else NULL: fz_scenario_params() without its lookup and loop. */
    const fz_sim_params **params1;
    /* params1's entries that be_start_wait answers itself (plain or
     * faults_only, no chooser set), else NULL. */
    const fz_sim_params **fast;
    uint32_t gen;
    fz_fault *faults;
    uint32_t nfaults, cap_faults;
    int oom;
    int slow; /* oom, or the scenario has outages: be_start_wait takes two calls */
    const fz_sim_chooser *chooser;
    fz_sim_chooser chooser_copy;
    fz_report *report; /* tallies fed directly, or NULL */
};

static uint64_t be_now(void *ud)
{
    return ((fz_backend_sim *)ud)->now;
}

static void add_fault(fz_backend_sim *b, uint32_t node, fz_fault_kind kind)
{
    if (b->nfaults == b->cap_faults) {
        uint32_t ncap = b->cap_faults ? b->cap_faults * 2 : 16;
        fz_fault *f = fz_realloc(b->alloc, b->faults, sizeof(fz_fault) * b->cap_faults,
                                 sizeof(fz_fault) * ncap);
        if (!f) {
            b->oom = b->slow = 1;
            return;
        }
        b->faults = f;
        b->cap_faults = ncap;
    }
    b->faults[b->nfaults++] = (fz_fault){node, (uint32_t)kind};
}

static uint32_t pick(fz_backend_sim *b, uint32_t n, const double *probs)
{
    return b->chooser->pick(b->chooser->ud, n, probs);
}

static inline uint64_t sample_latency(fz_backend_sim *b, const fz_dist *d)
{
    if (d->kind == FZ_DIST_FIXED)
        return d->a > 0 ? (uint64_t)(d->a + 0.5) : 0;
    if (b->chooser) {
        return fz_dist_ns(fz_dist_mean(d));
    }
    return fz_dist_sample(d, &b->rng);
}

/* Cold: the slot table grows to the run's highest task id. */
static __attribute__((noinline)) int slots_grow(fz_backend_sim *b, uint32_t id)
{
    uint32_t n = b->nslots ? b->nslots : 64;
    while (n <= id)
        n *= 2;
    slot *ns = fz_realloc(b->alloc, b->slots, sizeof(slot) * b->nslots, sizeof(slot) * n);
    if (!ns)
        return FZ_ENOMEM;
    b->slots = ns;
    b->nslots = n;
    return 0;
}

static uint64_t start_full(fz_backend_sim *b, const fz_task *t, slot *sl, const fz_sim_params *p);

static int be_start(void *ud, fz_engine *e, const fz_task *t)
{
    (void)e;
    fz_backend_sim *b = ud;
    const fz_scenario *s = b->s;
    if (__builtin_expect(t->id >= b->nslots, 0) && slots_grow(b, t->id))
        return FZ_ENOMEM;
    uint32_t node = t->node;
    uint64_t start = b->now + t->delay_ns;
    const fz_sim_params *p = fz_scenario_params(s, node, start);
    slot *sl = &b->slots[t->id];
    if (b->report)
        fz_report_task_start(b->report, node);
    sl->start = start;
    sl->node = node;
    sl->outcome = NULL;
    sl->reason = NULL;
    sl->oedge = 0;
    if (p->plain && !s->noutages) { /* most tasks: only a latency */
        sl->answer = FZ_ANSWER_OK;
        uint64_t end = start + sample_latency(b, &p->latency);
        return fz_evq_push(&b->q, end < start ? UINT64_MAX : end, t->id, 0);
    }
    return fz_evq_push(&b->q, start_full(b, t, sl, p), t->id, 0);
}

/* A task with faults, choices, a script, a timeout or outages: kept out of
 * be_start so that the plain path saves fewer registers. Fills the slot and
 * returns the task's end time (the caller queues it). */
static __attribute__((noinline)) uint64_t start_full(fz_backend_sim *b, const fz_task *t, slot *sl,
                                                     const fz_sim_params *p)
{
    const fz_scenario *s = b->s;
    uint32_t node = t->node;
    uint64_t start = sl->start;
    const fz_sim_node *sn = &s->nodes[node];
    fz_answer answer = FZ_ANSWER_OK;
    uint64_t lat;

    /* Outages: a lane down when the task starts fails it at once. */
    for (uint32_t i = 0; i < s->noutages; i++) {
        const fz_sim_outage *o = &s->outages[i];
        if (o->lane == sn->lane && start >= o->from_ns && start < o->until_ns) {
            sl->answer = o->answer;
            sl->reason = "lane outage";
            add_fault(b, node, FZ_FAULT_OUTAGE);
            return start;
        }
    }

    const fz_dist *latency = &p->latency;
    int scripted = 0;
    if (p->nscript) {
        if (b->node_stamp[node] != b->gen) {
            b->node_stamp[node] = b->gen;
            b->node_runs[node] = 0;
        }
        uint32_t k = b->node_runs[node]++;
        if (k < p->nscript) {
            const fz_sim_step *st = &p->script[k];
            answer = st->answer;
            sl->outcome = st->outcome;
            sl->oedge = 0;
            if (st->latency_set)
                latency = &st->latency;
            scripted = 1;
            if (answer != FZ_ANSWER_OK)
                add_fault(b, node, answer == FZ_ANSWER_NO ? FZ_FAULT_NO
                                   : answer == FZ_ANSWER_TIMEOUT ? FZ_FAULT_TIMEOUT
                                                                 : FZ_FAULT_ERROR);
        }
    }
    if (!scripted) {
        if (p->p_error > 0 || p->p_no > 0) {
            if (b->chooser) {
                double probs[3] = {1.0 - p->p_error - p->p_no, p->p_no, p->p_error};
                answer = (fz_answer)pick(b, 3, probs);
            } else {
                double u = fz_rng_double(&b->rng);
                answer = u < p->p_error                ? FZ_ANSWER_ERROR
                         : u < p->p_error + p->p_no ? FZ_ANSWER_NO
                                                     : FZ_ANSWER_OK;
            }
            if (answer != FZ_ANSWER_OK)
                add_fault(b, node, answer == FZ_ANSWER_NO ? FZ_FAULT_NO : FZ_FAULT_ERROR);
        }
        if (answer == FZ_ANSWER_OK && p->nchoices) {
            uint32_t c = 0;
            if (b->chooser) {
                double probs[64];
                uint32_t n = p->nchoices < 64 ? p->nchoices : 64;
                for (uint32_t i = 0; i < n; i++)
                    probs[i] = p->choices[i].cum - (i ? p->choices[i - 1].cum : 0.0);
                c = pick(b, n, probs);
            } else if (p->nchoices > 1) {
                double u = fz_rng_double(&b->rng);
                while (c + 1 < p->nchoices && u >= p->choices[c].cum)
                    c++;
            }
            sl->outcome = p->choices[c].outcome;
            sl->oedge = p->choices[c].edge;
            if (p->choices[c].fault)
                add_fault(b, node, FZ_FAULT_CHOICE);
        }
    }
    uint64_t timeout = p->timeout_ns;
    if (b->chooser && timeout && !scripted && latency->kind != FZ_DIST_FIXED) {
        double pt = fz_dist_exceeds(latency, (double)timeout);
        double probs[2] = {1.0 - pt, pt};
        if (pick(b, 2, probs)) {
            lat = timeout + 1;
        } else {
            lat = sample_latency(b, latency);
            if (lat > timeout)
                lat = timeout;
        }
    } else {
        lat = sample_latency(b, latency);
    }
    if (timeout && lat > timeout) {
        lat = timeout;
        if (answer != FZ_ANSWER_TIMEOUT)
            add_fault(b, node, FZ_FAULT_TIMEOUT);
        answer = FZ_ANSWER_TIMEOUT;
        sl->outcome = NULL;
        sl->oedge = 0;
        sl->reason = "timed out";
    }
    uint64_t end = start + lat;
    if (end < start)
        end = UINT64_MAX;
    /* An outage beginning while the task runs fails it then. */
    for (uint32_t i = 0; i < s->noutages; i++) {
        const fz_sim_outage *o = &s->outages[i];
        if (o->lane == sn->lane && start < o->from_ns && end > o->from_ns) {
            end = o->from_ns;
            answer = o->answer;
            sl->outcome = NULL;
            sl->oedge = 0;
            sl->reason = "lane outage";
            add_fault(b, node, FZ_FAULT_OUTAGE);
        }
    }
    if (answer == FZ_ANSWER_ERROR && !sl->reason)
        sl->reason = "injected error";
    sl->answer = answer;
    return end;
}

static int be_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    (void)e;
    fz_backend_sim *b = ud;
    if (b->oom)
        return FZ_ENOMEM;
    const fz_event *top = fz_evq_peek(&b->q);
    if (!top)
        return FZ_ESTATE;
    uint64_t now = top->time;
    uint32_t id = top->id;
    fz_evq_drop(&b->q);
    b->now = now;
    const slot *sl = &b->slots[id];
    *task_id = id;
    /* fz_engine_drive() hands over a zeroed result; fill what we know. */
    r->answer = sl->answer;
    r->outcome = sl->outcome;
    r->outcome_edge = sl->oedge;
    r->reason = sl->reason;
    if (b->report)
        fz_report_task_finish(b->report, sl->node, sl->answer, sl->start, now);
    return 0;
}

/* start() then wait() for a task that is the run's only one (the queue is
 * then empty): a plain task's end goes straight to the clock and the result,
 * without the queue; the sequence number it would have taken is still
 * consumed, so later events order exactly as before. Anything else takes the
 * two calls. */
/* The two calls, kept out of be_start_wait so that its plain path saves
 * fewer registers. */
static __attribute__((noinline)) int start_then_wait(fz_backend_sim *b, fz_engine *e,
                                                     const fz_task *t, uint32_t *task_id,
                                                     fz_result *r)
{
    int rc = be_start(b, e, t);
    return rc ? rc : be_wait(b, e, task_id, r);
}

/* be_start's start_full path, then be_wait; p is the task's parameters. */
static __attribute__((noinline)) int full_then_wait(fz_backend_sim *b, fz_engine *e,
                                                    const fz_task *t, const fz_sim_params *p,
                                                    uint32_t *task_id, fz_result *r)
{
    slot *sl = &b->slots[t->id];
    if (b->report)
        fz_report_task_start(b->report, t->node);
    sl->start = b->now + t->delay_ns;
    sl->node = t->node;
    sl->outcome = NULL;
    sl->reason = NULL;
    sl->oedge = 0;
    (void)e;
    uint64_t end = start_full(b, t, sl, p);
    if (b->oom)
        return FZ_ENOMEM;
    /* What be_wait would do with the one queued event. */
    b->q.next_seq++;
    b->now = end;
    *task_id = t->id;
    r->answer = sl->answer;
    r->outcome = sl->outcome;
    r->outcome_edge = sl->oedge;
    r->reason = sl->reason;
    if (b->report)
        fz_report_task_finish(b->report, sl->node, sl->answer, sl->start, end);
    return 0;
}

/* full_then_wait for the common faulty task: error / no probabilities and
 * weighted choices, a sampled latency; no script, no timeout, no chooser
 * (and, as for every be_start_wait task, no outages). The same draws in the
 * same order as start_full, without its two call layers and its checks for
 * what the task does not have. */
static __attribute__((noinline)) int faults_then_wait(fz_backend_sim *b, const fz_task *t,
                                                      const fz_sim_params *p, uint64_t start,
                                                      uint32_t *task_id, fz_result *r)
{
    uint32_t node = t->node;
    fz_answer answer = FZ_ANSWER_OK;
    const char *outcome = NULL;
    uint32_t oedge = 0;
    if (p->p_error > 0 || p->p_no > 0) {
        double u = fz_rng_double(&b->rng);
        answer = u < p->p_error ? FZ_ANSWER_ERROR
                 : u < p->p_error + p->p_no ? FZ_ANSWER_NO
                                             : FZ_ANSWER_OK;
        if (answer != FZ_ANSWER_OK) {
            add_fault(b, node, answer == FZ_ANSWER_NO ? FZ_FAULT_NO : FZ_FAULT_ERROR);
            if (b->oom) /* only add_fault runs out of memory here */
                return FZ_ENOMEM;
        }
    }
    if (answer == FZ_ANSWER_OK && p->nchoices) {
        uint32_t c = 0;
        if (p->nchoices > 1) {
            double u = fz_rng_double(&b->rng);
            while (c + 1 < p->nchoices && u >= p->choices[c].cum)
                c++;
        }
        outcome = p->choices[c].outcome;
        oedge = p->choices[c].edge;
        if (p->choices[c].fault) {
            add_fault(b, node, FZ_FAULT_CHOICE);
            if (b->oom)
                return FZ_ENOMEM;
        }
    }
    uint64_t lat = p->latency.kind == FZ_DIST_FIXED ? sample_latency(b, &p->latency)
                                                    : fz__dist_sample(&p->latency, &b->rng);
    uint64_t end = start + lat;
    if (end < start)
        end = UINT64_MAX;
    const char *reason = answer == FZ_ANSWER_ERROR ? "injected error" : NULL;
    /* Only be_wait reads a slot: a task that never queues leaves it alone. */
    /* What be_wait would do with the one queued event. */
    b->q.next_seq++;
    b->now = end;
    *task_id = t->id;
    r->answer = answer;
    r->outcome = outcome;
    r->outcome_edge = oedge;
    r->reason = reason;
    if (b->report)
        fz__report_task_in(b->report, node, answer, start, end);
    return 0;
}

/* The plain one-token task: only a latency. */
static __attribute__((noinline)) int plain_then_wait(fz_backend_sim *b, const fz_task *t,
                                                     const fz_sim_params *p, uint64_t start,
                                                     uint32_t *task_id)
{
    uint32_t node = t->node;
    /* A lognormal (the usual default) is sampled inline: this frame saves
     * the registers anyway. */
    const fz_dist *d = &p->latency;
    uint64_t lat = d->kind == FZ_DIST_LOGNORMAL && !b->chooser ? fz__dist_sample(d, &b->rng)
                                                               : sample_latency(b, d);
    uint64_t end = start + lat;
    if (end < start)
        end = UINT64_MAX;
    b->q.next_seq++;
    b->now = end;
    *task_id = t->id;
    /* r arrives zeroed with answer ok (fz_engine_drive). */
    if (b->report)
        fz__report_task_in(b->report, node, FZ_ANSWER_OK, start, end);
    return 0;
}

/* be_start_wait for a task the fast path does not take: picks the step;
 * each is a tail call. */
static __attribute__((noinline)) int start_wait_other(fz_backend_sim *b, fz_engine *e,
                                                      const fz_task *t, uint32_t *task_id,
                                                      fz_result *r)
{
    const fz_scenario *s = b->s;
    if (__builtin_expect(t->id >= b->nslots || b->q.len || b->slow, 0))
        return start_then_wait(b, e, t, task_id, r);
    uint64_t start = b->now + t->delay_ns;
    const fz_sim_params *p = b->params1[t->node];
    if (!p)
        p = fz_scenario_params(s, t->node, start);
    if (p->plain)
        return plain_then_wait(b, t, p, start, task_id);
    if (!p->faults_only || b->chooser)
        return full_then_wait(b, e, t, p, task_id, r);
    return faults_then_wait(b, t, p, start, task_id, r);
}

/* The end of a fast step after its latency: the clock, the result, the
 * report's tallies; then what is rare (the path buffer to grow, a fault to
 * record) in fast_rare, by a tail call, so that no value of the step lives
 * across a call and be_start_wait keeps no frame. answer | fault << 8:
 * fault is the fault kind drawn + 1, or 0. */
static __attribute__((noinline)) int fast_rare(fz_backend_sim *b, uint32_t node, uint32_t fault,
                                               int push);

static inline __attribute__((always_inline)) int fast_end(fz_backend_sim *b, uint32_t node,
                                                          uint64_t start, uint64_t lat,
                                                          uint32_t af)
{
    uint64_t end = start + lat;
    if (end < start)
        end = UINT64_MAX;
    fz_answer answer = (fz_answer)(af & 0xff);
    /* What be_wait would do with the one queued event (the task id and
     * the result are written). */
    b->q.next_seq++;
    b->now = end;
    int push = 0;
    if (b->report) {
        /* fz__report_task_in with the path's store last (its buffer may
         * have to grow: fast_rare). */
        report_hot *h = (report_hot *)b->report;
        h->node_visits[node]++;
        if (h->node_stamp[node] != h->gen) {
            h->node_stamp[node] = h->gen;
            h->node_runs[node]++;
        }
        h->path_hash = (h->path_hash ^ (node + 1)) * 0x100000001b3ull;
        h->path_hash ^= h->path_hash >> 29;
        if (answer != FZ_ANSWER_OK)
            h->node_fail[node]++;
        if (end > start &&
            __builtin_expect(__builtin_add_overflow(h->node_time[node], end - start, &h->node_time[node]), 0))
            h->node_time_hi[node]++;
        if (__builtin_expect(h->cur_len == h->cur_cap, 0))
            push = 1;
        else
            h->cur_path[h->cur_len++] = node;
    }
    if (__builtin_expect((af >> 8) | (uint32_t)push, 0))
        return fast_rare(b, node, af >> 8, push);
    return 0;
}

static __attribute__((noinline)) int fast_rare(fz_backend_sim *b, uint32_t node, uint32_t fault,
                                               int push)
{
    if (push) {
        report_hot *h = (report_hot *)b->report;
        if (fz__report_path_grow(b->report) == 0)
            h->cur_path[h->cur_len++] = node;
    }
    if (fault) {
        add_fault(b, node, (fz_fault_kind)(fault - 1));
        if (b->oom)
            return FZ_ENOMEM;
    }
    return 0;
}

/* A fast step whose lognormal draw missed its layer's rectangle (u): the
 * rest of the ziggurat, then the same end. */
static __attribute__((noinline)) int fast_zig_slow(fz_backend_sim *b, uint32_t node,
                                                   uint64_t start, uint64_t u, uint32_t af)
{
    const fz_dist *d = &b->fast[node]->latency;
    double z = fz__zig_slow(&b->rng, u) * (d->b * (256.0 / FZ__LN2));
    uint64_t lat = fz__dist_ns(fz__exp2_256(z, d->a));
    return fast_end(b, node, start, lat, af);
}

/* A fast step whose latency is neither lognormal nor fixed. */
static __attribute__((noinline)) int fast_other(fz_backend_sim *b, uint32_t node,
                                                uint64_t start, uint32_t af)
{
    uint64_t lat = fz_dist_sample(&b->fast[node]->latency, &b->rng);
    return fast_end(b, node, start, lat, af);
}

/* The one-token step of a node in b->fast (a latency, error / no
 * probabilities and weighted choices; no script, timeout, window or
 * chooser): faults_then_wait and plain_then_wait in the engine's one call,
 * with the same draws in the same order. Anything else, or a queue that is
 * not empty, or an outage scenario, or out of memory, goes through
 * start_wait_other. Whatever may call (a ziggurat miss, another
 * distribution, a fault, the path buffer full) leaves by a tail call, so
 * this function saves no registers. */
static int be_start_wait(void *ud, fz_engine *e, const fz_task *t, uint32_t *task_id,
                         fz_result *r)
{
    fz_backend_sim *b = ud;
    const fz_sim_params *p = b->fast[t->node];
    if (__builtin_expect(!p || (b->q.len | (uint32_t)b->slow), 0))
        return start_wait_other(b, e, t, task_id, r);
    uint32_t node = t->node;
    uint64_t start = b->now + t->delay_ns;
    *task_id = t->id;
    uint32_t af = FZ_ANSWER_OK; /* answer | (fault kind + 1) << 8 */
    if (p->p_error > 0 || p->p_no > 0) {
        double u = fz_rng_double(&b->rng);
        if (u < p->p_error) {
            af = FZ_ANSWER_ERROR | (FZ_FAULT_ERROR + 1) << 8;
            r->reason = "injected error";
        } else if (u < p->p_error + p->p_no) {
            af = FZ_ANSWER_NO | (FZ_FAULT_NO + 1) << 8;
        }
    }
    if (af == FZ_ANSWER_OK && p->nchoices) {
        uint32_t c = 0;
        if (p->nchoices > 1) {
            double u = fz_rng_double(&b->rng);
            while (c + 1 < p->nchoices && u >= p->choices[c].cum)
                c++;
        }
        r->outcome = p->choices[c].outcome;
        r->outcome_edge = p->choices[c].edge;
        if (p->choices[c].fault)
            af = (FZ_FAULT_CHOICE + 1) << 8;
    }
    /* r arrives zeroed with answer ok (fz_engine_drive). */
    r->answer = (fz_answer)(af & 0xff);
    const fz_dist *d = &p->latency;
    uint64_t lat;
    if (d->kind == FZ_DIST_LOGNORMAL) {
        /* fz__dist_sample's lognormal, its ziggurat miss out of line */
        uint64_t u = fz_rng_next(&b->rng);
        int32_t hz = (int32_t)(uint32_t)(u >> 32);
        uint32_t iz = (uint32_t)u & 127u;
        uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
        if (__builtin_expect(ahz >= fz__zig_k[iz], 0))
            return fast_zig_slow(b, node, start, u, af);
        double z = (double)hz * (fz__zig_w[iz] * (d->b * (256.0 / FZ__LN2)));
        lat = fz__dist_ns(fz__exp2_256(z, d->a));
    } else if (d->kind == FZ_DIST_FIXED) {
        lat = d->a > 0 ? (uint64_t)(d->a + 0.5) : 0;
    } else {
        return fast_other(b, node, start, af);
    }
    return fast_end(b, node, start, lat, af);
}

static void be_cancel_all(void *ud, fz_engine *e)
{
    (void)e;
    fz_evq_clear(&((fz_backend_sim *)ud)->q);
}

/* Fills b->fast from params1 and the chooser. */
static void fast_table(fz_backend_sim *b)
{
    for (uint32_t n = 0; n < b->s->nnodes; n++) {
        const fz_sim_params *p = b->params1[n];
        b->fast[n] = p && (p->plain || p->faults_only) && !b->chooser ? p : NULL;
    }
}

int fz_backend_sim_new(const fz_scenario *s, const fz_alloc *alloc, fz_backend_sim **out)
{
    *out = NULL;
    fz_backend_sim *b = fz_calloc(alloc, 1, sizeof *b);
    if (!b)
        return FZ_ENOMEM;
    b->alloc = alloc;
    b->s = s;
    b->slow = s->noutages != 0;
    fz_dist_prepare();
    fz_evq_init(&b->q, alloc);
    uint32_t nn = s->nnodes ? s->nnodes : 1;
    b->node_runs = fz_calloc(alloc, nn, sizeof(uint32_t));
    b->node_stamp = fz_calloc(alloc, nn, sizeof(uint32_t));
    b->params1 = fz_calloc(alloc, nn, sizeof *b->params1);
    b->fast = fz_calloc(alloc, nn, sizeof *b->fast);
    if (!b->node_runs || !b->node_stamp || !b->params1 || !b->fast) {
        fz_backend_sim_free(b);
        return FZ_ENOMEM;
    }
    for (uint32_t n = 0; n < s->nnodes; n++)
        if (s->nodes[n].nparams == 1)
            b->params1[n] = &s->nodes[n].params[0];
    fast_table(b);
    b->be = (fz_backend){.name = "sim",
                         .now = be_now,
                         .start = be_start,
                         .wait = be_wait,
                         .cancel_all = be_cancel_all,
                         .ud = b,
                         .start_wait = be_start_wait};
    *out = b;
    return 0;
}

void fz_backend_sim_free(fz_backend_sim *b)
{
    if (!b)
        return;
    uint32_t nn = b->s->nnodes ? b->s->nnodes : 1;
    fz_evq_fini(&b->q);
    fz_free(b->alloc, b->slots, sizeof(slot) * b->nslots);
    fz_free(b->alloc, b->node_runs, sizeof(uint32_t) * nn);
    fz_free(b->alloc, b->node_stamp, sizeof(uint32_t) * nn);
    fz_free(b->alloc, b->params1, sizeof *b->params1 * nn);
    fz_free(b->alloc, b->fast, sizeof *b->fast * nn);
    fz_free(b->alloc, b->faults, sizeof(fz_fault) * b->cap_faults);
    fz_free(b->alloc, b, sizeof *b);
}

void fz_backend_sim_reset(fz_backend_sim *b, uint64_t seed, uint64_t index)
{
    fz_rng_init(&b->rng, seed, index);
    fz_evq_clear(&b->q);
    b->nfaults = 0;
    b->oom = 0;
    b->slow = b->s->noutages != 0;
    if (++b->gen == 0) { /* stamps wrapped: clear them once */
        memset(b->node_stamp, 0, sizeof(uint32_t) * (b->s->nnodes ? b->s->nnodes : 1));
        b->gen = 1;
    }
    const fz_dist *st = &b->s->start;
    b->t0 = (st->kind == FZ_DIST_FIXED || b->chooser) ? sample_latency(b, st)
                                                        : fz_dist_sample(st, &b->rng);
    b->now = b->t0;
}

const fz_backend *fz_backend_sim_backend(fz_backend_sim *b)
{
    return &b->be;
}

uint64_t fz_backend_sim_start_time(const fz_backend_sim *b)
{
    return b->t0;
}

uint64_t fz_backend_sim_now(const fz_backend_sim *b)
{
    return b->now;
}

const fz_fault *fz_backend_sim_faults(const fz_backend_sim *b, uint32_t *count)
{
    *count = b->nfaults;
    return b->faults;
}

void fz_backend_sim_tally(fz_backend_sim *b, fz_report *r)
{
    b->report = r;
}

void fz_backend_sim_set_chooser(fz_backend_sim *b, const fz_sim_chooser *c)
{
    if (c) {
        b->chooser_copy = *c;
        b->chooser = &b->chooser_copy;
    } else {
        b->chooser = NULL;
    }
    fast_table(b);
}
