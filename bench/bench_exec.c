/* SPDX-License-Identifier: MIT */
/*
 * bench_exec.c - the real backend's cost for commands: one run of a
 * workflow of 100 steps, each bound to `exec: [true]`, beside a shell
 * script that runs /bin/true 100 times (issue 4: within 1.2 times the
 * script's time). Both spawn 100 processes; the difference is flowzap's
 * engine, event loop, pipes for output capture and environment building.
 * Also shown for reference: the script with the shell's builtin `true`
 * (no process at all), which no process-spawning runner can match.
 * Wall-clock times, median of R repetitions. Usage: bench_exec [R] [N]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/status.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "real/real.h"
#include "parser/parser.h"

extern char **environ;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof(uint64_t), cmp_u64);
    return v[n / 2];
}

/* One flowzap run of the chain; returns wall nanoseconds, 0 on failure. */
static uint64_t run_flowzap(fz_graph *g, fz_bind *b)
{
    fz_plan *plan = NULL;
    fz_engine *e = NULL;
    fz_real *r = NULL;
    uint64_t took = 0;
    if (fz_plan_new(g, NULL, NULL, &plan) || fz_engine_new(plan, NULL, &e))
        goto out;
    fz_real_opts o;
    memset(&o, 0, sizeof(o));
    o.run_id = "bench";
    if (fz_real_new(g, b, &o, NULL, &r))
        goto out;
    uint64_t t0 = fz_real_clock();
    if (fz_engine_start(e) || fz_engine_drive(e, fz_real_backend(r)) ||
        fz_engine_state(e) != FZ_RUN_COMPLETED) {
        fprintf(stderr, "bench_exec: the run did not complete: %s\n", fz_engine_outcome(e));
        goto out;
    }
    took = fz_real_clock() - t0;
out:
    fz_real_free(r);
    fz_engine_free(e);
    fz_plan_free(plan);
    return took;
}

static uint64_t run_script(const char *path)
{
    char *argv[] = {(char *)"/bin/sh", (char *)path, NULL};
    uint64_t t0 = fz_real_clock();
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ))
        return 0;
    int st;
    waitpid(pid, &st, 0);
    uint64_t took = fz_real_clock() - t0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? took : 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 21;
    int n = argc > 2 ? atoi(argv[2]) : 100;
    if (reps < 1 || reps > 1000 || n < 1 || n > 100000) {
        fprintf(stderr, "usage: bench_exec [REPETITIONS] [STEPS]\n");
        return 64;
    }
    /* the workflow: a chain of n rectangles */
    size_t cap = (size_t)n * 80 + 64, len = 0;
    char *fz = malloc(cap);
    len += (size_t)snprintf(fz + len, cap - len, "Bench { # Bench\n");
    for (int i = 1; i <= n; i++)
        len += (size_t)snprintf(fz + len, cap - len, "n%d: rectangle label:\"Step %d\"\n", i, i);
    for (int i = 1; i < n; i++)
        len += (size_t)snprintf(fz + len, cap - len, "n%d.handle(right) -> n%d.handle(left)\n", i,
                                i + 1);
    len += (size_t)snprintf(fz + len, cap - len, "}\n");
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    if (fz_parse_mem("bench.fz", fz, len, NULL, &d, &g) || d.errors) {
        fprintf(stderr, "bench_exec: workflow does not parse\n");
        return 70;
    }
    const char *yaml = getenv("BENCH_YAML") ? getenv("BENCH_YAML") : "rules:\n  - exec: [true]\n";
    fz_bind *b = NULL;
    uint32_t unbound = 0;
    if (fz_bind_load_mem("bench.yaml", yaml, strlen(yaml), NULL, &d, &b) ||
        fz_bind_resolve(b, g, &unbound) || unbound) {
        fprintf(stderr, "bench_exec: bindings do not load\n");
        return 70;
    }
    /* the scripts */
    char ext[] = "/tmp/fz-bench-ext-XXXXXX", bi[] = "/tmp/fz-bench-builtin-XXXXXX";
    int fe = mkstemp(ext), fb = mkstemp(bi);
    FILE *se = fdopen(fe, "w"), *sb = fdopen(fb, "w");
    for (int i = 0; i < n; i++) {
        fputs("/bin/true\n", se);
        fputs("true\n", sb);
    }
    fclose(se);
    fclose(sb);

    uint64_t *tf = calloc((size_t)reps, sizeof(uint64_t));
    uint64_t *te = calloc((size_t)reps, sizeof(uint64_t));
    uint64_t *tb = calloc((size_t)reps, sizeof(uint64_t));
    run_flowzap(g, b); /* warm up: page cache, PATH lookup */
    run_script(ext);
    for (int i = 0; i < reps; i++) {
        /* interleaved, so a busy machine slows all three alike */
        tf[i] = run_flowzap(g, b);
        te[i] = run_script(ext);
        tb[i] = run_script(bi);
        if (!tf[i] || !te[i] || !tb[i]) {
            fprintf(stderr, "bench_exec: a run failed\n");
            return 70;
        }
    }
    double mf = (double)median(tf, reps) / 1e6, me = (double)median(te, reps) / 1e6,
           mb = (double)median(tb, reps) / 1e6;
    printf("bench_exec: %d exec steps of `true`, median of %d runs (wall clock)\n", n, reps);
    printf("  flowzap run (exec: [true])     %8.2f ms  (%.1f us a step)\n", mf, mf * 1e3 / n);
    printf("  sh script, /bin/true x %-5d   %8.2f ms\n", n, me);
    printf("  sh script, builtin true x %-5d%8.2f ms  (no processes; reference only)\n", n, mb);
    printf("  ratio flowzap / script         %8.2f   (target <= 1.20)\n", mf / me);
    unlink(ext);
    unlink(bi);
    free(tf);
    free(te);
    free(tb);
    free(fz);
    fz_bind_free(b);
    fz_graph_free(g);
    fz_diags_fini(&d);
    return 0;
}
