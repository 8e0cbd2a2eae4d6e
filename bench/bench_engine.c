/* SPDX-License-Identifier: MIT */
/*
 * bench_engine.c - what the engine costs. Three figures:
 *  1. per-step overhead through fz_engine_drive with a no-op backend (a FIFO
 *     of started tasks, every answer ok) on a 1000-node chain;
 *  2. canary runs per second through fz_engine_drive with the same no-op
 *     backend, decisions answered from a xorshift stream (about 10% no);
 *  3. canary runs per second through the engine alone (next/complete loop,
 *     no backend), the floor the simulator builds on.
 * Times are this thread's CPU time. Usage: bench_engine [workflow.fz]
 * [seconds-per-figure]. Targets (issue 4,
 * 5): under 2 us a step (aim: 100 ns); 1,000,000 canary runs/s per core for
 * the whole simulator, so the engine alone must be well above that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/status.h"
#include "engine/backend.h"
#include "engine/engine.h"
#include "parser/parser.h"

static const char canary_text[] =
    "Deployment { # Deployment Pipeline\n"
    "n1: circle label:\"Start\"\n"
    "n2: rectangle label:\"Build container image\"\n"
    "n3: rectangle label:\"Push to registry\"\n"
    "n4: rectangle label:\"Complete rollout\"\n"
    "n5: circle label:\"End\"\n"
    "n1.handle(right) -> n2.handle(left)\n"
    "n2.handle(right) -> n3.handle(left)\n"
    "n3.handle(bottom) -> CanaryController.n6.handle(top) [label=\"Deploy canary\"]\n"
    "n4.handle(right) -> n5.handle(left)\n"
    "}\n"
    "CanaryController { # Canary Controller\n"
    "n6: rectangle label:\"Deploy to 5% of pods\"\n"
    "n7: rectangle label:\"Configure traffic split\"\n"
    "n8: rectangle label:\"Wait observation period\"\n"
    "n9: diamond label:\"Metrics healthy?\"\n"
    "n10: rectangle label:\"Increase to 25%\"\n"
    "n11: rectangle label:\"Rollback canary\"\n"
    "n12: diamond label:\"Still healthy?\"\n"
    "n13: rectangle label:\"Increase to 50%\"\n"
    "n14: rectangle label:\"Full rollout 100%\"\n"
    "n6.handle(right) -> n7.handle(left)\n"
    "n7.handle(right) -> n8.handle(left)\n"
    "n8.handle(right) -> n9.handle(left)\n"
    "n9.handle(right) -> n10.handle(left) [label=\"Yes\"]\n"
    "n9.handle(bottom) -> n11.handle(top) [label=\"No\"]\n"
    "n10.handle(right) -> n12.handle(left)\n"
    "n11.handle(top) -> Deployment.n4.handle(bottom) [label=\"Aborted\"]\n"
    "n12.handle(right) -> n13.handle(left) [label=\"Yes\"]\n"
    "n12.handle(bottom) -> n11.handle(top) [label=\"No\"]\n"
    "n13.handle(right) -> n14.handle(left)\n"
    "n14.handle(bottom) -> Monitoring.n15.handle(top) [label=\"Monitor\"]\n"
    "}\n"
    "Monitoring { # Monitoring\n"
    "n15: rectangle label:\"Track error rate\"\n"
    "n16: rectangle label:\"Measure latency p99\"\n"
    "n17: rectangle label:\"Check resource usage\"\n"
    "n18: diamond label:\"All metrics pass?\"\n"
    "n19: rectangle label:\"Mark deployment success\"\n"
    "n20: rectangle label:\"Trigger automatic rollback\"\n"
    "n15.handle(right) -> n16.handle(left)\n"
    "n16.handle(right) -> n17.handle(left)\n"
    "n17.handle(right) -> n18.handle(left)\n"
    "n18.handle(right) -> n19.handle(left) [label=\"Yes\"]\n"
    "n18.handle(bottom) -> n20.handle(top) [label=\"No\"]\n"
    "n19.handle(top) -> Deployment.n4.handle(bottom) [label=\"Success\"]\n"
    "n20.handle(top) -> Deployment.n4.handle(bottom) [label=\"Rolled back\"]\n"
    "}\n";

/* CPU time of this thread: on a shared machine, wall time also counts the
 * time other processes had the core. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the bench's own stream (no rand()). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/*==========================================================================
 * The no-op backend: started tasks wait in a FIFO; answers are ok, except
 * that decisions answer no with probability no_share.
 *========================================================================*/

typedef struct noop {
    fz_task q[1024];
    uint32_t head, tail;
    const uint8_t *decision; /* per node */
    uint64_t no_threshold;   /* rng value below which a decision says no */
    uint64_t clock;
} noop;

static uint64_t noop_now(void *ud)
{
    return ((noop *)ud)->clock;
}

static int noop_start(void *ud, fz_engine *e, const fz_task *t)
{
    noop *b = ud;
    (void)e;
    b->q[b->tail++ & 1023] = *t;
    return 0;
}

static int noop_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    noop *b = ud;
    (void)e;
    const fz_task *t = &b->q[b->head++ & 1023];
    *task_id = t->id;
    memset(r, 0, sizeof(*r));
    if (b->decision[t->node] && b->no_threshold && rng_next() < b->no_threshold)
        r->answer = FZ_ANSWER_NO;
    b->clock += 1000;
    return 0;
}

static void noop_cancel(void *ud, fz_engine *e)
{
    noop *b = ud;
    (void)e;
    b->head = b->tail;
}

static int load(const char *path, fz_graph **g)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc =
        path ? fz_parse_file(path, NULL, &d, g)
             : fz_parse_mem("canary-deploy.fz", canary_text, sizeof(canary_text) - 1, NULL, &d, g);
    fz_diags_fini(&d);
    return rc;
}

/* A chain of n rectangles, written as FlowZap Code and parsed. */
static int chain(uint32_t n, fz_graph **g)
{
    size_t cap = (size_t)n * 80 + 64, len = 0;
    char *s = malloc(cap);
    if (!s)
        return FZ_ENOMEM;
    len += (size_t)snprintf(s + len, cap - len, "Chain {\n");
    for (uint32_t i = 1; i <= n; i++)
        len += (size_t)snprintf(s + len, cap - len, "n%u: rectangle label:\"Step %u\"\n", i, i);
    for (uint32_t i = 1; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "n%u.handle(right) -> n%u.handle(left)\n", i,
                                i + 1);
    len += (size_t)snprintf(s + len, cap - len, "}\n");
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("chain.fz", s, len, NULL, &d, g);
    fz_diags_fini(&d);
    free(s);
    return rc;
}

static uint8_t *decisions(const fz_graph *g)
{
    uint8_t *dec = calloc(fz_graph_node_count(g), 1);
    for (uint32_t i = 0; dec && i < fz_graph_node_count(g); i++)
        dec[i] = fz_graph_node(g, i)->shape == FZ_SHAPE_DIAMOND;
    return dec;
}

/* Runs the plan repeatedly through fz_engine_drive for about `secs`. */
static void bench_drive(const fz_plan *p, const uint8_t *dec, uint64_t no_threshold, double secs,
                        uint64_t *runs_out, uint64_t *steps_out, double *elapsed, uint64_t *ok)
{
    fz_engine *e = NULL;
    if (fz_engine_new(p, NULL, &e))
        exit(1);
    noop nb = {{{0}}, 0, 0, dec, no_threshold, 0};
    fz_backend b = {"noop", noop_now, noop_start, noop_wait, noop_cancel, &nb, NULL};
    uint64_t runs = 0, steps = 0, completed = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < secs) {
        for (int i = 0; i < 1000; i++) {
            fz_engine_start(e);
            fz_engine_drive(e, &b);
            steps += fz_engine_steps(e);
            completed += fz_engine_state(e) == FZ_RUN_COMPLETED;
            runs++;
        }
        t = now_s();
    }
    *runs_out = runs;
    *steps_out = steps;
    *elapsed = t - t0;
    *ok = completed;
    fz_engine_free(e);
}

/* The engine alone: take ready tasks, complete each at once. */
static void bench_bare(const fz_plan *p, const uint8_t *dec, uint64_t no_threshold, double secs,
                       uint64_t *runs_out, uint64_t *steps_out, double *elapsed,
                       uint64_t *outcome_hash)
{
    fz_engine *e = NULL;
    if (fz_engine_new(p, NULL, &e))
        exit(1);
    uint64_t runs = 0, steps = 0, h = 0;
    fz_result ok = {.answer = FZ_ANSWER_OK}, no = {.answer = FZ_ANSWER_NO};
    double t0 = now_s(), t = t0;
    while (t - t0 < secs) {
        for (int i = 0; i < 1000; i++) {
            fz_engine_start(e);
            fz_task task;
            while (fz_engine_next(e, &task)) {
                const fz_result *r = &ok;
                if (dec[task.node] && no_threshold && rng_next() < no_threshold)
                    r = &no;
                fz_engine_complete(e, task.id, r, 0);
            }
            steps += fz_engine_steps(e);
            h += strlen(fz_engine_outcome(e));
            runs++;
        }
        t = now_s();
    }
    *runs_out = runs;
    *steps_out = steps;
    *elapsed = t - t0;
    *outcome_hash = h;
    fz_engine_free(e);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : NULL;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    if (secs <= 0)
        secs = 1.0;
    fz_graph *cg = NULL, *ch = NULL;
    if (load(path, &cg) || chain(1000, &ch)) {
        fprintf(stderr, "bench_engine: cannot load the workflows\n");
        return 1;
    }
    fz_plan *cp = NULL, *hp = NULL;
    fz_plan_opts big = {NULL, 0, 100000};
    if (fz_plan_new(cg, NULL, NULL, &cp) || fz_plan_new(ch, &big, NULL, &hp)) {
        fprintf(stderr, "bench_engine: cannot plan\n");
        return 1;
    }
    uint8_t *cdec = decisions(cg), *hdec = decisions(ch);
    uint64_t runs, steps, ok;
    double el;

    bench_drive(hp, hdec, 0, secs, &runs, &steps, &el, &ok);
    printf("drive, no-op backend, 1000-step chain: %.1f ns/step (%.2f M steps/s, %llu runs)\n",
           el * 1e9 / (double)steps, (double)steps / el / 1e6, (unsigned long long)runs);

    uint64_t tenth = UINT64_MAX / 10;
    bench_drive(cp, cdec, tenth, secs, &runs, &steps, &el, &ok);
    printf("drive, no-op backend, canary (10%% no at decisions): %.0f runs/s, %.1f ns/step, "
           "%.1f steps/run, %.1f%% completed\n",
           (double)runs / el, el * 1e9 / (double)steps, (double)steps / (double)runs,
           100.0 * (double)ok / (double)runs);

    uint64_t h;
    bench_bare(cp, cdec, tenth, secs, &runs, &steps, &el, &h);
    printf("engine alone, canary (10%% no at decisions, outcome text built): %.0f runs/s, "
           "%.1f ns/step (check %llu)\n",
           (double)runs / el, el * 1e9 / (double)steps, (unsigned long long)(h % 1000));

    bench_bare(cp, cdec, 0, secs, &runs, &steps, &el, &h);
    printf("engine alone, canary (all ok): %.0f runs/s, %.1f ns/step\n", (double)runs / el,
           el * 1e9 / (double)steps);

    free(cdec);
    free(hdec);
    fz_plan_free(cp);
    fz_plan_free(hp);
    fz_graph_free(cg);
    fz_graph_free(ch);
    return 0;
}
