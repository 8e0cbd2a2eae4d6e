/* SPDX-License-Identifier: MIT */
/*
 * bench_check.c - speed and memory of `flowzap check` on generated
 * workflows of 1k to 1M nodes. Each file is written by gen_workflow, read
 * once to warm the page cache, then checked RUNS times with lint and RUNS
 * times with --no-lint in a child process; the best wall time gives MB/s,
 * wait4()'s ru_maxrss the peak memory. Each file is also searched with
 * `grep -c handle FILE` RUNS times in the same run, as the yardstick of
 * reading the file once: the targets are ratios, so they hold on any
 * machine and under any load. At 1M nodes (about 113 MB): `check` (with
 * lint) within 15 times grep's time (wall and user+system CPU), peak RSS
 * at most 1.5 times the file size.
 *
 * grep's output goes to a temporary file, not /dev/null: GNU grep notices
 * /dev/null and stops at the first match (as -q would), which makes it
 * look ten times faster than a count of the whole file. The count it
 * prints is checked against the file's node count.
 *
 * usage: bench_check [-n N[,N...]] [-r RUNS] [-d DIR] [--flowzap PATH] [--gen PATH]
 * Defaults: -n 1000,10000,100000,1000000 -r 3 -d /tmp, binaries beside this one
 * (../cli/flowzap, ./gen_workflow).
 */
#define _DEFAULT_SOURCE 1 /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
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

/* Runs argv with stdout to out_fd (/dev/null when out_fd < 0) and stderr
 * to /dev/null; fills wall seconds, user+system seconds and peak RSS
 * (KiB). argv[0] is looked up in PATH when it has no slash. Returns the
 * exit status, or -1. */
static int run_to(char *const argv[], int out_fd, double *secs, double *cpu, long *rss_kb)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(out_fd >= 0 ? out_fd : fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *secs = now() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(char *const argv[], double *secs, double *cpu, long *rss_kb)
{
    return run_to(argv, -1, secs, cpu, rss_kb);
}

/* Best wall and CPU seconds of RUNS `grep -c handle path`, its output in
 * a temporary file; *count gets the number it printed (-1 on failure). */
static int grep_count(const char *path, int runs, double *best, double *best_cpu, long *count)
{
    char grep[] = "grep", opt_c[] = "-c", word[] = "handle", file[PATH_MAX];
    snprintf(file, sizeof(file), "%s", path);
    char *argv[] = {grep, opt_c, word, file, NULL};
    *best = *best_cpu = 1e9;
    *count = -1;
    for (int r = 0; r < runs; r++) {
        FILE *out = tmpfile();
        if (!out)
            return -1;
        double s, c;
        long kb;
        int rc = run_to(argv, fileno(out), &s, &c, &kb);
        rewind(out);
        if (rc != 0 || fscanf(out, "%ld", count) != 1) {
            fclose(out);
            return -1;
        }
        fclose(out);
        if (s < *best)
            *best = s;
        if (c < *best_cpu)
            *best_cpu = c;
    }
    return 0;
}

static void warm(const char *path)
{
    char buf[1 << 16];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
}

int main(int argc, char **argv)
{
    char self[PATH_MAX], flowzap[PATH_MAX + 32], gen[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        n = 0;
    self[n] = '\0';
    const char *dir_of_self = dirname(self);
    snprintf(flowzap, sizeof(flowzap), "%s/../cli/flowzap", dir_of_self);
    snprintf(gen, sizeof(gen), "%s/gen_workflow", dir_of_self);
    const char *sizes = "1000,10000,100000,1000000", *dir = "/tmp";
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
            sizes = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-r") == 0)
            runs = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "-d") == 0)
            dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--flowzap") == 0)
            snprintf(flowzap, sizeof(flowzap), "%s", argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--gen") == 0)
            snprintf(gen, sizeof(gen), "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_check [-n N[,N...]] [-r RUNS] [-d DIR] "
                            "[--flowzap PATH] [--gen PATH]\n");
            return 64;
        }
    }
    if (runs < 1)
        runs = 1;
    printf("Best of %d runs. wall: elapsed seconds; cpu: user+system seconds of the\n"
           "child (what one core spends, whatever the machine's load); MB/s = size / wall;\n"
           "MB = 10^6 bytes; RSS/file = peak RSS bytes / file bytes; grep: `grep -c handle\n"
           "FILE` (output to a file); x grep: check (lint) over grep, wall and cpu.\n\n",
           runs);
    printf("%-8s %7s | %-36s | %-36s | %-8s | %-13s | %s\n", "nodes", "file MB",
           "check (lint): wall  cpu  MB/s  RSS", "check --no-lint: wall cpu MB/s RSS", "RSS/file",
           "grep wall cpu", "x grep wall cpu");
    int failed = 0;
    char list[256];
    snprintf(list, sizeof(list), "%s", sizes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/fz_bench_%s.fz", dir, tok);
        char opt_n[] = "-n", opt_o[] = "-o";
        char *gargv[] = {gen, opt_n, tok, opt_o, path, NULL};
        double gs, gcpu;
        long grss;
        if (run(gargv, &gs, &gcpu, &grss) != 0) {
            fprintf(stderr, "bench_check: %s failed\n", gen);
            return 1;
        }
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(stderr, "bench_check: %s: %s\n", path, strerror(errno));
            return 1;
        }
        double mb = (double)st.st_size / 1e6;
        warm(path);
        double best[2] = {1e9, 1e9}, best_cpu[2] = {1e9, 1e9};
        long rss[2] = {0, 0};
        for (int mode = 0; mode < 2; mode++) {
            for (int r = 0; r < runs; r++) {
                char cmd[] = "check", quiet[] = "-q", nolint[] = "--no-lint";
                char *cargv[] = {flowzap, cmd, quiet, mode ? nolint : path, mode ? path : NULL,
                                 NULL};
                double s, c;
                long kb;
                int rc = run(cargv, &s, &c, &kb);
                if (rc != 0) {
                    fprintf(stderr, "bench_check: flowzap check %s exited %d\n", path, rc);
                    failed = 1;
                }
                if (s < best[mode])
                    best[mode] = s;
                if (c < best_cpu[mode])
                    best_cpu[mode] = c;
                if (kb > rss[mode])
                    rss[mode] = kb;
            }
        }
        double grep_wall, grep_cpu;
        long count;
        if (grep_count(path, runs, &grep_wall, &grep_cpu, &count) != 0 || count <= 0) {
            fprintf(stderr, "bench_check: grep -c handle %s failed\n", path);
            failed = 1;
            grep_wall = grep_cpu = 1e-9;
        }
        /* A grep that did not read the whole file would count too few. */
        if (count >= 0 && (unsigned long long)count < strtoull(tok, NULL, 10)) {
            fprintf(stderr, "bench_check: grep counted %ld lines, fewer than the nodes\n", count);
            failed = 1;
        }
        /* Rounding: rusage has microseconds, a tiny grep time makes a huge ratio. */
        if (grep_cpu < 1e-6)
            grep_cpu = 1e-6;
        double ratio = (double)(rss[0] > rss[1] ? rss[0] : rss[1]) * 1024.0 / (double)st.st_size;
        double xw = best[0] / grep_wall, xc = best_cpu[0] / grep_cpu;
        printf("%-8s %7.1f | %6.3f %6.3f %6.0f %7.1f MiB | %6.3f %6.3f %6.0f %7.1f MiB | %6.2fx "
               "| %6.3f %6.3f | %5.1fx %5.1fx\n",
               tok, mb, best[0], best_cpu[0], mb / best[0], (double)rss[0] / 1024.0, best[1],
               best_cpu[1], mb / best[1], (double)rss[1] / 1024.0, ratio, grep_wall, grep_cpu,
               xw, xc);
        fflush(stdout);
        if (strtoull(tok, NULL, 10) >= 1000000) {
            printf("target at %s nodes (check within 15x `grep -c handle`, peak RSS <= 1.5x file):\n"
                   "  check / grep: wall %.3f / %.3f s = %.1fx %s, cpu %.3f / %.3f s = %.1fx %s\n"
                   "  memory:       peak RSS %.1f MiB / file %.1f MiB = %.2fx %s\n"
                   "  (no lint:     wall %.3f s = %.1fx grep, cpu %.3f s = %.1fx grep)\n",
                   tok, best[0], grep_wall, xw, xw <= 15.0 ? "met" : "MISSED", best_cpu[0],
                   grep_cpu, xc, xc <= 15.0 ? "met" : "MISSED",
                   (double)(rss[0] > rss[1] ? rss[0] : rss[1]) / 1024.0,
                   (double)st.st_size / 1048576.0, ratio, ratio <= 1.5 ? "met" : "MISSED", best[1],
                   best[1] / grep_wall, best_cpu[1], best_cpu[1] / grep_cpu);
        }
        unlink(path);
    }
    return failed;
}
