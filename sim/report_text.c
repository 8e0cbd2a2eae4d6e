/* SPDX-License-Identifier: MIT */
/*
 * report_text.c - the terminal report of a simulation study (`flowzap sim`
 * without --json): outcomes with their intervals, durations, nodes, edges,
 * paths and faults, from the figures report.c computes. Reads the report,
 * never changes it.
 */
#include "sim/report.h"
#include "sim/report_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/term.h"

/*==========================================================================
 * Text
 *========================================================================*/

static const char *fmt_dur(char *buf, size_t len, uint64_t ns)
{
    double s = (double)ns / 1e9;
    if (ns < 1000000ull)
        snprintf(buf, len, "%.0fus", (double)ns / 1e3);
    else if (s < 1.0)
        snprintf(buf, len, "%.0fms", (double)ns / 1e6);
    else if (s < 60.0)
        snprintf(buf, len, "%.1fs", s);
    else if (s < 3600.0)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

#define NODE_ID(r, n) (int)fz_graph_node((r)->g, n)->id.len, fz_graph_text((r)->g, fz_graph_node((r)->g, n)->id)
#define NODE_LABEL(r, n) (int)fz_graph_node((r)->g, n)->label.len, fz_graph_text((r)->g, fz_graph_node((r)->g, n)->label)

void fz_report_print(FILE *out, const fz_report *r, uint32_t top_paths)
{
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    /* Labels, outcome names, scenario names and paths come from the
     * workflow and its files: escaped for the terminal (core/term.h). */
    char cell[4 * 72 + 1];
    fz_term_put(out, r->meta.workflow, strlen(r->meta.workflow), 0);
    fprintf(out, " under scenario \"");
    fz_term_put(out, r->meta.scenario, strlen(r->meta.scenario), 0);
    fprintf(out, "\" of ");
    fz_term_put(out, r->meta.faults, strlen(r->meta.faults), 0);
    fprintf(out, ": %" PRIu64 " runs, seed %" PRIu64 "\n\n", r->runs, r->meta.seed);
    uint32_t *oi = fz__report_sorted(r, 0);
    if (!oi)
        return;
    int w = 24;
    for (uint32_t i = 0; i < r->outcomes.len; i++) {
        int l = (int)strlen(FZ_VEC_AT(&r->outcomes, outcome, i).name);
        w = l > w ? (l < 72 ? l : 72) : w;
    }
    if (r->shape.by_end)
        fprintf(out, "Ends reached: this workflow's parallel branches end runs in too many\n"
                     "combinations to list each; a run counts once for each end it reached\n");
    fprintf(out, "%s%*s       runs    share   95%% CI\n", r->shape.by_end ? "Ends" : "Outcomes",
            w - (r->shape.by_end ? 2 : 6), "");
    for (uint32_t i = 0; i < r->outcomes.len; i++) {
        const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oi[i]);
        double lo, hi;
        fz_report_wilson(o->count, r->runs, &lo, &hi);
        fprintf(out, "  %s %10" PRIu64 " %7.2f%%  [%.2f%%, %.2f%%]%s\n",
                fz_term_cell(cell, sizeof cell, o->name, strlen(o->name), w, 0), o->count,
                100.0 * (double)o->count / (double)r->runs, 100 * lo, 100 * hi,
                o->state == FZ_RUN_FAILED ? "  (failed)" : "");
    }
    fprintf(out, "\nRun duration (virtual time): p50 %s  p90 %s  p99 %s  max %s  mean %s\n",
            fmt_dur(b1, sizeof b1, fz_report_duration_quantile(r, 0.5)),
            fmt_dur(b2, sizeof b2, fz_report_duration_quantile(r, 0.9)),
            fmt_dur(b3, sizeof b3, fz_report_duration_quantile(r, 0.99)),
            fmt_dur(b4, sizeof b4, r->dur_max),
            fmt_dur(b5, sizeof b5, r->runs ? (uint64_t)(r->dur_sum / r->runs) : 0));

    fprintf(out, "\nNodes%*s visits    failures   time/visit   share of time\n", 38, "");
    u128 total_time = 0;
    for (uint32_t n = 0; n < r->nn; n++)
        total_time += fz__report_node_time(r, n);
    for (uint32_t n = 0; n < r->nn; n++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s %.*s", NODE_ID(r, n), NODE_LABEL(r, n));
        fprintf(out, "  %s %10" PRIu64 " %10" PRIu64 " %12s %9.1f%%\n",
                fz_term_cell(cell, sizeof cell, name, strlen(name), 40, 0),
                r->hot.node_visits[n], r->hot.node_fail[n],
                r->hot.node_visits[n]
                    ? fmt_dur(b1, sizeof b1, (uint64_t)(fz__report_node_time(r, n) / r->hot.node_visits[n]))
                    : "-",
                total_time ? 100.0 * (double)fz__report_node_time(r, n) / (double)total_time : 0.0);
    }

    uint32_t *pi = fz__report_sorted(r, 1);
    if (pi) {
        fprintf(out, "\nMost common paths\n");
        for (uint32_t i = 0; i < r->paths.len && i < top_paths; i++) {
            const path *p = &FZ_VEC_AT(&r->paths, path, pi[i]);
            fprintf(out, "  %6.2f%%  ", 100.0 * (double)p->count / (double)r->runs);
            const uint32_t *ns = (const uint32_t *)r->path_nodes.data + p->off;
            for (uint32_t k = 0; k < p->len; k++)
                fprintf(out, "%s%.*s", k ? " " : "", NODE_ID(r, ns[k]));
            const char *on = FZ_VEC_AT(&r->outcomes, outcome, p->outcome).name;
            fprintf(out, "  -> ");
            fz_term_put(out, on, strlen(on), 0);
            fprintf(out, "\n");
        }
        if (r->paths.len > top_paths)
            fprintf(out, "  (%u more distinct paths)\n", r->paths.len - top_paths);
        if (r->shape.path_max_len == 0)
            fprintf(out, "  not counted: parallel branches start nodes in too many orders to\n"
                         "  count each path exactly (edge counts: --json \"edges\")\n");
        else if (r->paths_other && r->shape.path_max_len != UINT32_MAX)
            fprintf(out, "  (%" PRIu64 " runs took paths of more than %u steps, not counted one by one)\n",
                    r->paths_other, r->shape.path_max_len);
        else if (r->paths_other)
            fprintf(out, "  (%" PRIu64 " runs took paths beyond the %u kept)\n", r->paths_other,
                    FZ_REPORT_MAX_PATHS);
        fz__report_sorted_free(r, 1, pi);
    }

    fprintf(out, "\nInjected faults by outcome (share of that outcome's runs)\n");
    int any = 0;
    for (uint32_t i = 0; i < r->outcomes.len; i++) {
        uint32_t oc = oi[i];
        const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oc);
        int header = 0;
        for (uint32_t n = 0; n < r->nn; n++)
            for (uint32_t k = 0; k < FZ_FAULT_COUNT; k++) {
                uint64_t key = fz__report_fault_key(oc, n, k);
                uint32_t s = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & r->fault_mask;
                while (r->faults[s].key && r->faults[s].key != key)
                    s = (s + 1) & r->fault_mask;
                if (r->faults[s].key != key)
                    continue;
                if (!header) {
                    fprintf(out, "  ");
                    fz_term_put(out, o->name, strlen(o->name), 0);
                    fprintf(out, ":\n");
                    header = any = 1;
                }
                char name[256];
                snprintf(name, sizeof name, "%.*s %.*s", NODE_ID(r, n), NODE_LABEL(r, n));
                fprintf(out, "    %s %-8s %6.1f%%\n",
                        fz_term_cell(cell, sizeof cell, name, strlen(name), 40, 0),
                        fz_fault_name((fz_fault_kind)k),
                        100.0 * (double)r->faults[s].runs / (double)o->count);
            }
    }
    if (!any)
        fprintf(out, "  none\n");
    fz__report_sorted_free(r, 0, oi);

    uint32_t vn = 0, ve = 0;
    for (uint32_t n = 0; n < r->nn; n++)
        vn += r->hot.node_runs[n] > 0;
    for (uint32_t e = 0; e < r->ne; e++)
        ve += r->edge_runs[e] > 0;
    fprintf(out, "\nCoverage: nodes %u/%u (%.1f%%), edges %u/%u (%.1f%%)\n", vn, r->nn,
            100.0 * fz_report_node_coverage(r), ve, r->ne, 100.0 * fz_report_edge_coverage(r));
    if (vn < r->nn) {
        fprintf(out, "  never visited:");
        for (uint32_t n = 0; n < r->nn; n++)
            if (!r->hot.node_runs[n])
                fprintf(out, " %.*s", NODE_ID(r, n));
        fprintf(out, "\n");
    }
    if (ve < r->ne) {
        fprintf(out, "  never taken:");
        for (uint32_t e = 0; e < r->ne; e++)
            if (!r->edge_runs[e]) {
                const fz_edge *ed = fz_graph_edge(r->g, e);
                fprintf(out, " e%u (%.*s->%.*s)", e + 1, NODE_ID(r, ed->src), NODE_ID(r, ed->dst));
            }
        fprintf(out, "\n");
    }
}
