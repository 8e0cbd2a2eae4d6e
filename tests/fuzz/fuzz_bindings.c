/* SPDX-License-Identifier: MIT */
/*
 * fuzz_bindings.c - libFuzzer entry point for bindings files: any bytes in,
 * rules or diagnostics out; every diagnostic must lie inside the text, and a
 * loaded file is bound to the canary workflow and every rule described.
 * A crash, hang, leak or sanitizer report is a bug. Seeds:
 * tests/fuzz/corpus/bindings/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/status.h"
#include "real/bind.h"
#include "parser/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libfyaml 0.7.12 leaks inside itself on some inputs: tests/lsan.supp
 * (given to every fuzz target) names it. */

static const char canary[] = "Deployment { # Deployment Pipeline\n"
                             "n1: circle label:\"Start\"\n"
                             "n2: rectangle label:\"Deploy to 5% of pods\"\n"
                             "n3: diamond label:\"Metrics healthy?\"\n"
                             "n4: circle label:\"End\"\n"
                             "n1.handle(right) -> n2.handle(left)\n"
                             "n2.handle(right) -> n3.handle(left)\n"
                             "n3.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
                             "}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_graph *g = NULL;
    if (!g) {
        fz_diags gd;
        fz_diags_init(&gd, NULL);
        if (fz_parse_mem("canary.fz", canary, strlen(canary), NULL, &gd, &g))
            __builtin_trap();
        fz_diags_fini(&gd);
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    int rc = fz_bind_load_mem("fuzz.yaml", (const char *)data, size, NULL, &d, &b);
    for (uint32_t i = 0; i < fz_diags_count(&d); i++)
        if (fz_diags_at(&d, i)->offset > size)
            __builtin_trap();
    if (rc == FZ_OK) {
        if (!b || d.errors)
            __builtin_trap();
        uint32_t unbound = 0;
        if (fz_bind_resolve(b, g, &unbound) == FZ_OK) {
            char buf[256];
            for (uint32_t i = 0; i < fz_bind_rule_count(b); i++)
                fz_bind_describe(b, i, buf, sizeof(buf));
        }
    } else if (rc == FZ_EPARSE && (b || d.errors == 0)) {
        __builtin_trap();
    }
    fz_bind_free(b);
    fz_diags_fini(&d);
    return 0;
}
