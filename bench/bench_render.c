/* SPDX-License-Identifier: MIT */
/*
 * bench_render.c - time and peak memory of `flowzap render` on generated
 * workflows (gen_workflow: several lanes, decisions, back-edges, loops,
 * cross-lane hand-offs) beside Graphviz's own `dot -Tsvg` on the DOT that
 * `flowzap export --format dot` writes for the same file, in one run.
 * Every command runs in a child process; the best of RUNS wall times is
 * reported (dot runs once when it takes over 10 s) and wait4()'s ru_maxrss
 * gives the peak memory. Targets (issue 3): render within 1.1x dot up to
 * 300 nodes; 1,000 nodes as readable swimlanes in under 5 s.
 *
 * usage: bench_render [-n N[,N...]] [-r RUNS] [-d DIR] [-t DOT_TIMEOUT_S]
 *                     [--flowzap PATH] [--gen PATH] [--dot PATH]
 * Defaults: -n 50,300,1000 -r 5 -d /tmp -t 300, binaries beside this one
 * (../cli/flowzap, ./gen_workflow) and dot from PATH (/usr/bin/dot).
 */
#define _DEFAULT_SOURCE 1 /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct result {
    double secs;
    long rss_kb;
    int status; /* exit status; -2 when killed after the timeout */
} result;

/* Runs argv with stdout to out_path (or /dev/null) and stderr to /dev/null,
 * killing it after timeout seconds (0: none). */
static void run(char *const argv[], const char *out_path, unsigned timeout, result *r)
{
    double t0 = now();
    r->status = -1;
    r->secs = 0;
    r->rss_kb = 0;
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 1);
        if (nul >= 0)
            dup2(nul, 2);
        if (timeout)
            alarm(timeout); /* survives exec: SIGALRM ends the child */
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return;
    r->secs = now() - t0;
    r->rss_kb = ru.ru_maxrss;
    if (WIFEXITED(status))
        r->status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        r->status = -2;
}

static void best_of(char *const argv[], const char *out, unsigned timeout, int runs, result *best)
{
    run(argv, out, timeout, best);
    for (int i = 1; i < runs && best->status == 0 && best->secs < 10; i++) {
        result r;
        run(argv, out, timeout, &r);
        if (r.status == 0 && r.secs < best->secs)
            *best = r;
        if (r.rss_kb > best->rss_kb)
            best->rss_kb = r.rss_kb;
    }
}

static long count_nodes(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (p[0] == 'n' && strstr(p, ": ") && !strstr(p, "->"))
            n++;
    }
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    const char *sizes = "50,300,1000", *dir = "/tmp";
    char dotbin[PATH_MAX] = "dot", flowzap[PATH_MAX], gen[PATH_MAX], self[PATH_MAX];
    int runs = 5;
    unsigned timeout = 300;
    snprintf(self, sizeof self, "%s", argv[0]);
    char *bindir = dirname(self);
    snprintf(flowzap, sizeof flowzap, "%s/../cli/flowzap", bindir);
    snprintf(gen, sizeof gen, "%s/gen_workflow", bindir);
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(argv[i], "-n") == 0)
            sizes = v;
        else if (v && strcmp(argv[i], "-r") == 0)
            runs = atoi(v);
        else if (v && strcmp(argv[i], "-d") == 0)
            dir = v;
        else if (v && strcmp(argv[i], "-t") == 0)
            timeout = (unsigned)atoi(v);
        else if (v && strcmp(argv[i], "--flowzap") == 0)
            snprintf(flowzap, sizeof flowzap, "%s", v);
        else if (v && strcmp(argv[i], "--gen") == 0)
            snprintf(gen, sizeof gen, "%s", v);
        else if (v && strcmp(argv[i], "--dot") == 0)
            snprintf(dotbin, sizeof dotbin, "%s", v);
        else {
            fprintf(stderr,
                    "usage: bench_render [-n N[,N...]] [-r RUNS] [-d DIR] [-t DOT_TIMEOUT_S] "
                    "[--flowzap PATH] [--gen PATH] [--dot PATH]\n");
            return 64;
        }
    }
    if (runs < 1)
        runs = 1;
    printf("flowzap render vs dot -Tsvg (DOT from `flowzap export --format dot`), best of %d\n",
           runs);
    printf("%7s %7s | %10s %9s | %10s %9s | %7s | %s\n", "nodes", "lanes", "render s", "render MB",
           "dot s", "dot MB", "ratio", "note");
    char list[256];
    snprintf(list, sizeof list, "%s", sizes);
    int failed = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        long n = atol(tok);
        if (n < 4)
            continue;
        char fz[PATH_MAX], svg[PATH_MAX], xdot[PATH_MAX], dsvg[PATH_MAX], nbuf[32];
        snprintf(fz, sizeof fz, "%s/bench_render_%ld.fz", dir, n);
        snprintf(svg, sizeof svg, "%s/bench_render_%ld.svg", dir, n);
        snprintf(xdot, sizeof xdot, "%s/bench_render_%ld.export.dot", dir, n);
        snprintf(dsvg, sizeof dsvg, "%s/bench_render_%ld.dot.svg", dir, n);
        snprintf(nbuf, sizeof nbuf, "%ld", n);
        result r;
        char a_n[] = "-n", a_o[] = "-o", a_export[] = "export", a_format[] = "--format";
        char a_dot[] = "dot", a_render[] = "render", a_tsvg[] = "-Tsvg";
        char *g_argv[] = {gen, a_n, nbuf, a_o, fz, NULL};
        run(g_argv, NULL, 0, &r);
        if (r.status != 0) {
            fprintf(stderr, "bench_render: %s failed\n", gen);
            return 1;
        }
        char *x_argv[] = {flowzap, a_export, a_format, a_dot, fz, NULL};
        run(x_argv, xdot, 0, &r);
        if (r.status != 0) {
            fprintf(stderr, "bench_render: flowzap export --format dot %s failed\n", fz);
            return 1;
        }
        char *r_argv[] = {flowzap, a_render, fz, a_o, svg, NULL};
        result ren, dr;
        best_of(r_argv, NULL, 0, runs, &ren);
        char *d_argv[] = {dotbin, a_tsvg, xdot, a_o, dsvg, NULL};
        best_of(d_argv, NULL, timeout, runs, &dr);
        char note[128] = "";
        if (ren.status != 0) {
            snprintf(note, sizeof note, "render exit %d", ren.status);
            failed = 1;
        }
        if (dr.status == -2)
            snprintf(note + strlen(note), sizeof note - strlen(note), "%sdot killed after %us",
                     note[0] ? "; " : "", timeout);
        else if (dr.status != 0)
            snprintf(note + strlen(note), sizeof note - strlen(note), "%sdot exit %d",
                     note[0] ? "; " : "", dr.status);
        long lanes = 0;
        FILE *f = fopen(fz, "r");
        char line[4096];
        while (f && fgets(line, sizeof line, f))
            if (strchr(line, '{') && !strchr(line, '"') && strchr(line, '#'))
                lanes++;
        if (f)
            fclose(f);
        char ratio[32];
        if (dr.secs > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", ren.secs / dr.secs);
        else
            snprintf(ratio, sizeof ratio, "-");
        printf("%7ld %7ld | %10.3f %9.1f | %10.3f %9.1f | %7s | %s\n", count_nodes(fz), lanes,
               ren.secs, ren.rss_kb / 1024.0, dr.secs, dr.rss_kb / 1024.0, ratio, note);
        fflush(stdout);
    }
    return failed;
}
