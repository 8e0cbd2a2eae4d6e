/* SPDX-License-Identifier: MIT */
/*
 * fuzz_render.c - libFuzzer entry point for the renderer: any bytes that
 * parse as a clean workflow are laid out and written as DOT (the whole
 * layout and cgraph path, without Graphviz's drawing) in both directions,
 * and drawn as the sequence view. Output must be deterministic. Seeds:
 * tests/fuzz/corpus/render/ (the workflows of workflows/).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "parser/parser.h"
#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("fuzz.fz", (const char *)data, size, NULL, &d, &g);
    if (rc == FZ_OK && g && d.errors == 0) {
        for (int view = 0; view < 2; view++) {
            for (int tb = 0; tb < 2; tb++) {
                fz_render_opts o = {.format = view ? FZ_RENDER_SVG : FZ_RENDER_DOT,
                                    .top_to_bottom = tb,
                                    .view = (fz_render_view)view};
                char *a = NULL, *b = NULL, err[256];
                size_t la = 0, lb = 0;
                int r1 = fz_render(g, &o, NULL, &a, &la, err, sizeof err);
                int r2 = fz_render(g, &o, NULL, &b, &lb, err, sizeof err);
                if (r1 != r2 || (r1 == 0 && (la != lb || memcmp(a, b, la) != 0)))
                    __builtin_trap();
                if (r1 != FZ_OK && r1 != FZ_ENOMEM)
                    __builtin_trap();
                if (a)
                    fz_free(NULL, a, la + 1);
                if (b)
                    fz_free(NULL, b, lb + 1);
            }
        }
    }
    fz_graph_free(g);
    fz_diags_fini(&d);
    return 0;
}
