/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario.c - libFuzzer entry point for scenario files: any bytes in,
 * a scenario file and diagnostics out; when it loads, every scenario is
 * compiled against the canary workflow and a few runs are simulated (and
 * --exact tried), all under ASan + UBSan. Seeds: tests/fuzz/corpus/scenario/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/parser.h"
#include "sim/exact.h"
#include "sim/scenario.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char canary[] =
    "Deployment { # Deployment Pipeline\n"
    "n1: circle label:\"Start\"\n"
    "n3: rectangle label:\"Push to registry\"\n"
    "n5: circle label:\"End\"\n"
    "n1.handle(right) -> n3.handle(left)\n"
    "n3.handle(bottom) -> Monitoring.n9.handle(top) [label=\"Deploy\"]\n"
    "}\n"
    "Monitoring { # Monitoring\n"
    "n9: diamond label:\"Metrics healthy?\"\n"
    "n11: rectangle label:\"Rollback\"\n"
    "n9.handle(right) -> Deployment.n5.handle(left) [label=\"Yes\"]\n"
    "n9.handle(bottom) -> n11.handle(top) [label=\"No\"]\n"
    "n11.handle(top) -> Deployment.n5.handle(bottom) [label=\"Aborted\"]\n"
    "loop [retry up to 2 times] n3 n9\n"
    "}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz_graph *g;
    if (!g) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        if (fz_parse_mem("canary.fz", canary, sizeof canary - 1, NULL, &d, &g))
            __builtin_trap();
        fz_diags_fini(&d);
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_scenario_file *f = NULL;
    int rc = fz_scenario_parse("fuzz.yaml", (const char *)data, size, NULL, &d, &f);
    if (!rc) {
        for (uint32_t i = 0; i < fz_scenario_count(f) && i < 4; i++) {
            fz_scenario *s = NULL;
            fz_plan *plan = NULL;
            fz_sim *sim = NULL;
            if (fz_scenario_compile(f, i, g, NULL, &d, &s) == 0 &&
                fz_plan_new(g, NULL, NULL, &plan) == 0) {
                fz_sim_apply(s, plan);
                if (fz_sim_new(plan, s, 1, NULL, &sim) == 0) {
                    fz_report_meta meta = {"canary.fz", "", "fuzz.yaml", s->name, 1};
                    fz_report *r = NULL;
                    if (fz_sim_study(sim, 0, 8, 1, &meta, NULL, &r) == 0) {
                        char *json = fz_report_json_string(r);
                        free(json);
                    }
                    fz_report_free(r);
                }
                fz_exact *ex = NULL;
                char why[128];
                fz_exact_run(plan, s, 2000, NULL, &ex, why, sizeof why);
                fz_exact_free(ex);
            }
            fz_sim_free(sim);
            fz_plan_free(plan);
            fz_scenario_free(s);
        }
    }
    for (uint32_t i = 0; i < fz_diags_count(&d); i++)
        if (fz_diags_at(&d, i)->offset > size)
            __builtin_trap();
    fz_scenario_file_free(f);
    fz_diags_fini(&d);
    return 0;
}
