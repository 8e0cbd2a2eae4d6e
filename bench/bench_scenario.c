/* SPDX-License-Identifier: MIT */
/*
 * bench_scenario.c - time to load a scenario file with one long list
 * (script, empirical, rules) of N entries, for N in 20k, 40k, 200k:
 * loading must be linear in the list (twice the entries, twice the time).
 *   bench_scenario [N,N,...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "sim/scenario.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *make(const char *kind, long n, size_t *len)
{
    size_t cap = (size_t)n * 40 + 256, k = 0;
    char *t = malloc(cap);
    if (!t)
        exit(1);
    if (!strcmp(kind, "script")) {
        k += (size_t)snprintf(t + k, cap - k, "rules:\n  - match: x\n    script: [");
        for (long i = 0; i < n; i++)
            k += (size_t)snprintf(t + k, cap - k, "%s%s", i ? "," : "", i % 2 ? "ok" : "error");
        k += (size_t)snprintf(t + k, cap - k, "]\n");
    } else if (!strcmp(kind, "empirical")) {
        k += (size_t)snprintf(t + k, cap - k, "defaults:\n  latency: {empirical: [");
        for (long i = 0; i < n; i++)
            k += (size_t)snprintf(t + k, cap - k, "%s%ld", i ? "," : "", 1 + i % 9);
        k += (size_t)snprintf(t + k, cap - k, "]}\n");
    } else {
        k += (size_t)snprintf(t + k, cap - k, "rules:\n");
        for (long i = 0; i < n; i++)
            k += (size_t)snprintf(t + k, cap - k, "  - {match: r%ld, error: 1%%}\n", i);
    }
    *len = k;
    return t;
}

int main(int argc, char **argv)
{
    const char *sizes = argc > 1 ? argv[1] : "20000,40000,200000";
    static const char *const kinds[] = {"script", "empirical", "rules"};
    for (int k = 0; k < 3; k++) {
        char *list = strdup(sizes);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            long n = atol(tok);
            size_t len;
            char *text = make(kinds[k], n, &len);
            fz_diags d;
            fz_diags_init(&d, NULL);
            fz_scenario_file *f = NULL;
            double t0 = now();
            int rc = fz_scenario_parse("bench.yaml", text, len, NULL, &d, &f);
            double t1 = now();
            printf("scenario list=%s entries=%ld status=%d seconds=%.3f\n", kinds[k], n, rc,
                   t1 - t0);
            fz_scenario_file_free(f);
            fz_diags_fini(&d);
            free(text);
        }
        free(list);
    }
    return 0;
}
