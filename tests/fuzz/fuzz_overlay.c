/* SPDX-License-Identifier: MIT */
/*
 * fuzz_overlay.c - libFuzzer entry point for the trace and heat readers:
 * the first byte picks the reader, the rest is the file, read against the
 * canary workflow. A reader must accept or refuse with a message, never
 * crash or leak; an accepted overlay is drawn as DOT. Seeds:
 * tests/fuzz/corpus/overlay/ (a trace and a report, each with its selector).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "parser/parser.h"
#include "render/overlay.h"
#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char canary[] =
    "Deployment { # Deployment Pipeline\n"
    "n1: circle label:\"Start\"\n"
    "n2: rectangle label:\"Build\"\n"
    "n3: diamond label:\"Healthy?\"\n"
    "n4: circle label:\"End\"\n"
    "n1.handle(right) -> n2.handle(left)\n"
    "n2.handle(right) -> n3.handle(left)\n"
    "n3.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
    "n3.handle(bottom) -> Ops.n5.handle(top) [label=\"No\"]\n"
    "}\n"
    "Ops { # Operations\n"
    "n5: taskbox label:\"Fix|Retry\" owner:\"ops\"\n"
    "n5.handle(top) -> Deployment.n2.handle(bottom)\n"
    "}\n";

static fz_graph *graph;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!graph) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        if (fz_parse_mem("canary.fz", canary, sizeof canary - 1, NULL, &d, &graph) != FZ_OK)
            __builtin_trap();
        fz_diags_fini(&d);
    }
    if (size < 1)
        return 0;
    fz_overlay *ov = NULL;
    char err[256];
    int rc = (data[0] & 1)
                 ? fz_overlay_heat_mem(graph, "h.json", (const char *)data + 1, size - 1, NULL,
                                       &ov, err, sizeof err)
                 : fz_overlay_trace_mem(graph, "t.jsonl", (const char *)data + 1, size - 1, NULL,
                                        &ov, err, sizeof err);
    if (rc == FZ_OK) {
        fz_render_opts o = {.format = FZ_RENDER_DOT, .overlay = ov};
        char *out = NULL;
        size_t len = 0;
        if (fz_render(graph, &o, NULL, &out, &len, err, sizeof err) == FZ_OK)
            fz_free(NULL, out, len + 1);
        o.format = FZ_RENDER_SVG;
        o.view = FZ_VIEW_SEQUENCE;
        if (fz_render(graph, &o, NULL, &out, &len, err, sizeof err) == FZ_OK)
            fz_free(NULL, out, len + 1);
    } else if (rc != FZ_EPARSE && rc != FZ_ENOMEM) {
        __builtin_trap();
    } else if (rc == FZ_EPARSE && err[0] == '\0') {
        __builtin_trap(); /* a refusal must say why */
    }
    fz_overlay_free(ov);
    return 0;
}
