/* SPDX-License-Identifier: MIT */
/*
 * gen_workflow.c - writes a large valid FlowZap Code workflow for benchmarks
 * and stress tests: N nodes over several lanes, a start and an end circle,
 * actions, taskboxes, decisions with two labelled branches (neutral words,
 * so lint sees routing, not failure paths), cross-lane edges with lane
 * prefixes, edges back to earlier steps and loop fragments (some over several
 * lanes, some after the last lane). Deterministic: every choice is a hash
 * of (seed, node), so the same arguments give the same bytes.
 *
 * usage: gen_workflow [-n NODES] [-l LANES] [-s SEED] [-o FILE]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed_g;

/* splitmix64 of (seed, i, salt): an independent draw per node and purpose. */
static uint64_t draw(uint64_t i, uint64_t salt)
{
    uint64_t z = seed_g + i * 0x9e3779b97f4a7c15ULL + salt * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t nodes_g, lanes_g;
#define BLOCK 40 /* consecutive nodes share a lane */

static const char *const lane_ids[] = {"Customer",  "Frontend", "OrderService", "Payments",
                                       "Warehouse", "Shipping", "Support",      "Billing"};
static const char *const lane_labels[] = {
    "Customer",       "Web frontend (React)", "Order service", "Payments / PSP",
    "Warehouse team", "Shipping partner",     "Support desk",  "Billing & invoicing"};
static const char *const verbs[] = {"Validate", "Check", "Reserve", "Charge", "Notify",
                                    "Record",   "Ship",  "Review",  "Update", "Compute"};
static const char *const objects[] = {"order",    "stock",  "payment", "address", "invoice",
                                      "customer", "parcel", "refund",  "quota",   "ticket"};

static uint64_t lane_of(uint64_t i)
{
    if (i == 1 || i == nodes_g)
        return 0;
    return ((i - 1) / BLOCK) % lanes_g;
}

static int is_decision(uint64_t i)
{
    return i > 1 && i + 2 < nodes_g && draw(i, 1) % 8 == 0;
}

static void end_ref(FILE *f, uint64_t from, uint64_t to, const char *dir)
{
    if (lane_of(to) != lane_of(from))
        fprintf(f, "%s.n%llu.handle(%s)", lane_ids[lane_of(to)], (unsigned long long)to, dir);
    else
        fprintf(f, "n%llu.handle(%s)", (unsigned long long)to, dir);
}

static void node_line(FILE *f, uint64_t i)
{
    unsigned long long n = (unsigned long long)i;
    if (i == 1) {
        fprintf(f, "  n%llu: circle label:\"Start\"\n", n);
    } else if (i == nodes_g) {
        fprintf(f, "  n%llu: circle label:\"End\"\n", n);
    } else if (is_decision(i)) {
        fprintf(f, "  n%llu: diamond label:\"%s %s ok?\"\n", n, objects[draw(i, 2) % 10],
                objects[draw(i, 3) % 10]);
    } else if (draw(i, 4) % 10 == 0) {
        fprintf(f,
                "  n%llu: taskbox owner:\"Team %llu\" description:\"%s the %s\" system:\"ERP\"\n",
                n, (unsigned long long)(draw(i, 5) % 40), verbs[draw(i, 6) % 10],
                objects[draw(i, 7) % 10]);
    } else {
        fprintf(f, "  n%llu: rectangle label:\"%s %s #%llu\"\n", n, verbs[draw(i, 6) % 10],
                objects[draw(i, 7) % 10], n);
    }
}

static void edge_lines(FILE *f, uint64_t i)
{
    unsigned long long n = (unsigned long long)i;
    if (i == nodes_g)
        return;
    const char *out = lane_of(i + 1) == lane_of(i) ? "right" : "bottom";
    const char *in = lane_of(i + 1) == lane_of(i) ? "left" : "top";
    if (is_decision(i)) {
        fprintf(f, "  n%llu.handle(%s) -> ", n, out);
        end_ref(f, i, i + 1, in);
        fprintf(f, " [label=\"Express\"]\n");
        uint64_t r = draw(i, 8);
        uint64_t to;
        if (r % 3 == 0 && i > 10)
            to = i - 1 - r / 3 % 8; /* retry: back to an earlier step */
        else
            to = i + 2 + r / 3 % 20;
        if (to >= nodes_g)
            to = nodes_g;
        fprintf(f, "  n%llu.handle(bottom) -> ", n);
        end_ref(f, i, to, "top");
        fprintf(f, " [label=\"Standard -> %s\"]\n", r % 3 == 0 ? "recheck" : "later step");
    } else {
        fprintf(f, "  n%llu.handle(%s) -> ", n, out);
        end_ref(f, i, i + 1, in);
        fputc('\n', f);
    }
}

int main(int argc, char **argv)
{
    uint64_t n = 1000, lanes = 6, seed = 1;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
            n = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-l") == 0)
            lanes = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-o") == 0)
            path = argv[++i];
        else {
            fprintf(stderr, "usage: gen_workflow [-n NODES] [-l LANES 1..8] [-s SEED] [-o FILE]\n");
            return 64;
        }
    }
    if (n < 2 || lanes < 1 || lanes > 8) {
        fprintf(stderr, "gen_workflow: need -n >= 2 and -l in 1..8\n");
        return 64;
    }
    nodes_g = n;
    lanes_g = lanes;
    seed_g = seed * 0x2545f4914f6cdd1dULL;
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "gen_workflow: %s: %s\n", path, strerror(errno));
        return 74;
    }
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof(buf));
    fprintf(f, "// generated by bench/gen_workflow -n %llu -l %llu -s %llu\n",
            (unsigned long long)n, (unsigned long long)lanes, (unsigned long long)seed);
    for (uint64_t l = 0; l < lanes; l++) {
        fprintf(f, "%s { # %s\n", lane_ids[l], lane_labels[l]);
        for (uint64_t i = 1; i <= n; i++) {
            if (lane_of(i) != l)
                continue;
            node_line(f, i);
            edge_lines(f, i);
        }
        /* A loop fragment inside the lane every 1000 nodes. */
        for (uint64_t i = 2 + l * BLOCK; i + 3 < n; i += 1000)
            if (lane_of(i) == l && !is_decision(i))
                fprintf(f, "  loop [retry %llu times] n%llu n%llu n%llu\n",
                        (unsigned long long)(draw(i, 9) % 5 + 1), (unsigned long long)i,
                        (unsigned long long)i + 1, (unsigned long long)i + 2);
        fprintf(f, "}\n\n");
    }
    fprintf(f, "// top-level loops over several lanes\n");
    for (uint64_t i = BLOCK - 2; i + 4 < n; i += 5000)
        fprintf(f, "loop [repeat until stock ok] n%llu n%llu n%llu n%llu\n", (unsigned long long)i,
                (unsigned long long)i + 1, (unsigned long long)i + 2, (unsigned long long)i + 3);
    if (fclose(f) != 0) {
        fprintf(stderr, "gen_workflow: write failed: %s\n", strerror(errno));
        return 74;
    }
    return 0;
}
