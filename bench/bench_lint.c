/* SPDX-License-Identifier: MIT */
/*
 * bench_lint.c - what lint adds to `check`: parses a workflow file once,
 * then runs fz_lint RUNS times and reports the best wall time, the time per
 * node, and the peak scratch memory lint allocates (through a counting
 * allocator hook). Pair it with bench/gen_workflow for 1k..1M-node files.
 *
 * Times are CPU time of the process (CLOCK_PROCESS_CPUTIME_ID). --all lists
 * every warning instead of the first FZ_LINT_MAX_PER_CODE of each code.
 *
 * usage: bench_lint FILE [-r RUNS] [--all]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "core/status.h"
#include "parser/lint.h"
#include "parser/parser.h"

typedef struct counting {
    fz_alloc hook;
    const fz_alloc *base;
    int64_t live, peak;
} counting;

static void *c_alloc(void *ud, size_t size)
{
    counting *c = ud;
    void *p = fz_malloc(c->base, size);
    if (p && (c->live += (int64_t)size) > c->peak)
        c->peak = c->live;
    return p;
}

static void *c_realloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    counting *c = ud;
    void *p = fz_realloc(c->base, ptr, old_size, new_size);
    if (p && (c->live += (int64_t)new_size - (int64_t)old_size) > c->peak)
        c->peak = c->live;
    return p;
}

static void c_free(void *ud, void *ptr, size_t size)
{
    counting *c = ud;
    if (ptr)
        c->live -= (int64_t)size;
    fz_free(c->base, ptr, size);
}

/* CPU time of this process: on a shared machine wall time measures the
 * other workers too. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 5;
    uint32_t cap = FZ_LINT_MAX_PER_CODE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0)
            cap = 0;
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || runs < 1) {
        fprintf(stderr, "usage: bench_lint FILE [-r RUNS] [--all]\n");
        return 64;
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    double t0 = now();
    int rc = fz_parse_file(path, NULL, &d, &g);
    double parse_s = now() - t0;
    if (rc || d.errors) {
        fprintf(stderr, "bench_lint: %s: %s (%u errors)\n", path, fz_strerror(rc), d.errors);
        fz_graph_free(g);
        fz_diags_fini(&d);
        return 2;
    }
    counting c = {{c_alloc, c_realloc, c_free, NULL}, g->alloc, 0, 0};
    c.hook.ud = &c;
    const fz_alloc *saved = g->alloc;
    double best = 1e9;
    uint32_t warnings = 0;
    for (int r = 0; r < runs; r++) {
        fz_diags ld;
        fz_diags_init(&ld, NULL);
        g->alloc = &c.hook;
        t0 = now();
        rc = fz_lint_ex(g, &ld, cap);
        double s = now() - t0;
        g->alloc = saved;
        if (rc) {
            fprintf(stderr, "bench_lint: lint: %s\n", fz_strerror(rc));
            return 70;
        }
        if (s < best)
            best = s;
        warnings = ld.warnings;
        fz_diags_fini(&ld);
    }
    uint32_t n = fz_graph_node_count(g), m = fz_graph_edge_count(g);
    printf("%s: %u nodes, %u edges, %.1f MB; parse %.3f s cpu; lint best of %d: %.3f s cpu "
           "(%.0f ns/node), scratch peak %.1f MB, %u warnings\n",
           path, n, m, g->src_len / 1e6, parse_s, runs, best, n ? best * 1e9 / n : 0.0,
           (double)c.peak / 1e6, warnings);
    fz_graph_free(g);
    fz_diags_fini(&d);
    return 0;
}
