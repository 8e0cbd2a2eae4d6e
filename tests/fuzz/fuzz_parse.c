/* SPDX-License-Identifier: MIT */
/*
 * fuzz_parse.c - libFuzzer entry point for the parser: any bytes in, a graph
 * and diagnostics out, then every diagnostic position resolved and the graph
 * walked, all under ASan + UBSan. A crash, hang, leak or sanitizer report is
 * a bug. Seeds: tests/fuzz/corpus/parse/ (real files, error files, slips).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "parser/lint.h"
#include "parser/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("fuzz.fz", (const char *)data, size, NULL, &d, &g);
    if (g) {
        for (uint32_t i = 0; i < fz_diags_count(&d); i++) {
            uint32_t line = 0, col = 0;
            fz_graph_position(g, fz_diags_at(&d, i)->offset, &line, &col);
        }
        if (rc == FZ_OK) {
            /* A clean graph must be consistent: every edge end defined,
             * adjacency complete, ids found through the map. */
            uint32_t total = 0;
            for (uint32_t n = 0; n < fz_graph_node_count(g); n++) {
                const fz_node *node = fz_graph_node(g, n);
                if (!(node->flags & FZ_NODE_DEFINED) || node->lane >= fz_graph_lane_count(g))
                    __builtin_trap();
                if (fz_graph_find_node(g, fz_graph_text(g, node->id), node->id.len) != n)
                    __builtin_trap();
                uint32_t c = 0;
                fz_graph_out(g, n, &c);
                total += c;
            }
            if (total != fz_graph_edge_count(g))
                __builtin_trap();
            fz_lint(g, &d);
        }
    }
    fz_graph_free(g);
    fz_diags_fini(&d);
    return 0;
}
