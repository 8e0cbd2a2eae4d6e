/* SPDX-License-Identifier: MIT */
/*
 * fuzz_engine.c - libFuzzer entry point for the engine: a workflow and a
 * stream of handler results in, a run out. The input is FlowZap Code, then
 * optionally a line "%%" followed by bytes that pick each result (answer,
 * explicit outcome, which in-flight task finishes next) and the nodes'
 * retry policies. Every clean parse is planned and run to its end through
 * the trace observer; a run that does not end, a task id out of order, a
 * crash or a sanitizer report is a bug. Seeds: tests/fuzz/corpus/engine/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "engine/engine.h"
#include "engine/trace.h"
#include "parser/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const outcomes[] = {"Yes", "No", "Retry", "Aborted", "maybe", " yes ", ""};

typedef struct bytes {
    const uint8_t *p;
    size_t n, i;
} bytes;

static uint8_t next_byte(bytes *b)
{
    if (b->n == 0)
        return 0;
    return b->p[b->i++ % b->n];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t tlen = size;
    bytes b = {NULL, 0, 0};
    for (size_t i = 0; i + 4 <= size; i++) {
        if (memcmp(data + i, "\n%%\n", 4) == 0) {
            tlen = i + 1;
            b.p = data + i + 4;
            b.n = size - i - 4;
            break;
        }
    }
    fz_diags d;
    fz_graph *g = NULL;
    fz_plan *p = NULL;
    fz_engine *e = NULL;
    fz_trace *tr = NULL;
    FILE *sink = fopen("/dev/null", "w");
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("fuzz.fz", text, tlen, NULL, &d, &g);
    if (rc != FZ_OK || !sink)
        goto out;
    fz_plan_opts po = {NULL, 0, 300};
    if (fz_plan_new(g, &po, NULL, &p) != FZ_OK)
        goto out;
    for (uint32_t n = 0; n < fz_graph_node_count(g); n++) {
        uint8_t x = next_byte(&b);
        fz_policy pol = {0, x & 3u, (uint64_t)(x >> 2) * 1000, 20000, (uint8_t)(x >> 7)};
        fz_plan_set_policy(p, n, &pol);
    }
    if (fz_engine_new(p, NULL, &e) != FZ_OK || fz_trace_new(sink, g, "sim", NULL, NULL, &tr))
        goto out;
    fz_observer obs;
    fz_trace_observer(tr, &obs);
    fz_engine_set_observer(e, &obs);
    for (int round = 0; round < 2; round++) {
        if (fz_engine_start(e) != FZ_OK)
            __builtin_trap();
        uint32_t flight[4096], nf = 0, expect = 0;
        for (uint32_t guard = 0;; guard++) {
            if (guard > 100000)
                __builtin_trap();
            fz_task t;
            while (nf < 4096 && fz_engine_next(e, &t)) {
                if (t.id != expect++ || t.node >= fz_graph_node_count(g) || t.attempt == 0)
                    __builtin_trap();
                flight[nf++] = t.id;
            }
            if (fz_engine_state(e) != FZ_RUN_RUNNING)
                break;
            if (nf == 0)
                __builtin_trap();
            uint32_t k = next_byte(&b) % nf;
            uint32_t id = flight[k];
            flight[k] = flight[--nf];
            uint8_t x = next_byte(&b);
            fz_result r = {.answer = (fz_answer)(x & 3u)};
            if ((x >> 2) & 1u)
                r.outcome = outcomes[(x >> 3) % (sizeof(outcomes) / sizeof(outcomes[0]))];
            if (fz_engine_complete(e, id, &r, guard) != FZ_OK)
                __builtin_trap();
        }
        const char *o = fz_engine_outcome(e);
        if (!o || !o[0] || fz_engine_steps(e) > 300)
            __builtin_trap();
        b.i = 0;
    }
out:
    fz_trace_free(tr);
    fz_engine_free(e);
    fz_plan_free(p);
    fz_graph_free(g);
    fz_diags_fini(&d);
    if (sink)
        fclose(sink);
    return 0;
}
