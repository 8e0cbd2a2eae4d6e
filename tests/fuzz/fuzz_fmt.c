/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fmt.c - libFuzzer entry point for what runs on a clean graph: lint,
 * JSON and DOT export, and fmt. For every input that parses without errors,
 * fmt's output must parse to the same graph and format to itself (an abort
 * otherwise), and lint and export must neither crash nor leak. Seeds:
 * tests/fuzz/corpus/fmt/ (the workflows/ files).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/status.h"
#include "parser/export.h"
#include "parser/fmt.h"
#include "parser/lint.h"
#include "parser/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fz_graph *parse(const char *text, size_t len, int *clean)
{
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("fuzz.fz", text, len, NULL, &d, &g);
    *clean = rc == FZ_OK && d.errors == 0 && g != NULL;
    fz_diags_fini(&d);
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int clean = 0;
    fz_graph *g = parse((const char *)data, size, &clean);
    if (!clean) {
        fz_graph_free(g);
        return 0;
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    if (fz_lint(g, &d) != FZ_OK)
        abort();
    fz_diags_fini(&d);

    json_t *root = NULL;
    if (fz_export_json(g, 0, &root) == FZ_OK) {
        char *text = json_dumps(root, JSON_COMPACT);
        free(text);
        json_decref(root);
    }
    char *dot = NULL;
    size_t dot_len = 0;
    FILE *f = open_memstream(&dot, &dot_len);
    if (f) {
        fz_export_dot(g, f);
        fclose(f);
        free(dot);
    }

    fz_vec once, twice;
    fz_vec_init(&once, 1, NULL);
    fz_vec_init(&twice, 1, NULL);
    if (fz_fmt(g, &once) != FZ_OK)
        abort();
    int clean2 = 0;
    fz_graph *g2 = parse(once.data ? once.data : "", once.len, &clean2);
    if (!clean2 || !fz_fmt_same_graph(g, g2, NULL, 0))
        abort(); /* fmt changed the workflow */
    if (fz_fmt(g2, &twice) != FZ_OK || twice.len != once.len ||
        (once.len && memcmp(once.data, twice.data, once.len) != 0))
        abort(); /* fmt is not idempotent */
    fz_vec_fini(&once);
    fz_vec_fini(&twice);
    fz_graph_free(g2);
    fz_graph_free(g);
    return 0;
}
