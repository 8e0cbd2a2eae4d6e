/* SPDX-License-Identifier: MIT */
/*
 * cmd_test.c - `flowzap test`: for each workflow, the scenarios of the
 * NAME.scenario.yaml (or NAME.test.yaml) beside it that carry `expect:`
 * are checked (sim/expect.h) and reported one line each, as JUnit XML and
 * as JSON; the coverage of the whole set is checked against
 * --min-coverage and drawn on the diagram (docs/test.md).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "core/term.h"
#include "core/utf8.h"
#include "real/journal.h"
#include "render/overlay.h"
#include "render/render.h"
#include "sim/expect.h"
#include "sim/scenario.h"
#include "sim/sim.h"

/* Status 1 is shared with check --strict and fmt --check (exitcodes.h). */
#define FZ_EXIT_TEST_FAILED FZ_EXIT_WARNINGS

const fz_cli_opt fz_test_options[] = {
    {"faults", 0, FZ_OPT_VALUE, "F", "the scenario file (one workflow only)"},
    {"seed", 0, FZ_OPT_VALUE, "S",
     "seed of every study, 0..2^63-1 (default: the file's `seed:`, else 1)"},
    {"runs", 0, FZ_OPT_VALUE, "N", "Monte Carlo: runs of the first batch (default 1000)"},
    {"max-runs", 0, FZ_OPT_VALUE, "N",
     "Monte Carlo: the cap for undecided expectations (default 256000, at most 10000000)"},
    {"junit", 0, FZ_OPT_VALUE, "OUT.xml",
     "write JUnit XML (one testsuite per workflow, one testcase per scenario)"},
    {"json", 0, FZ_OPT_VALUE, "OUT",
     "write the results as JSON ('-' for stdout; the lines then go to stderr)"},
    {"min-coverage", 0, FZ_OPT_VALUE, "P",
     "exit 4 when the scenarios tested together visit fewer than P of a workflow's nodes or "
     "edges (0.8 or 80%)"},
    {"coverage-svg", 0, FZ_OPT_VALUE, "OUT",
     "draw that coverage on the diagram (SVG); with several workflows, OUT-NAME.svg for each"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "print only failures and the summary"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap test [FILE.fz | DIR]... [OPTIONS]\n"
                "\n"
                "Checks the expectations (`expect:`) of the scenarios in NAME.scenario.yaml\n"
                "(or NAME.test.yaml) beside each workflow NAME.fz: by one run when every\n"
                "choice is certain, by --exact where it applies, else by seeded Monte Carlo\n"
                "runs judged with 95% Wilson intervals. Prints one line per scenario, with\n"
                "the replay command of a failing run. A DIR stands for its *.fz files that\n"
                "have a scenario file; no argument means the current directory.\n",
                fz_test_options,
                "Exit status: 0 every expectation held, 1 one failed or was undecided,\n"
                "2 invalid workflow or scenario file, 4 --min-coverage not met, 64 bad\n"
                "command line, 74 a file could not be read or written.\n");
}

typedef struct opts {
    const char **inputs;
    int ninputs;
    const char *faults, *junit, *json, *svg;
    uint64_t seed, runs, max_runs;
    double min_cov;
    int has_seed, has_min_cov, quiet;
} opts;

/* One scenario's result. */
typedef struct tcase {
    char *name;
    int skipped;
    fz_expect_result r;
    double secs;
    char *replay; /* a command, or NULL */
} tcase;

/* One workflow's results. */
typedef struct tsuite {
    char *workflow, *faults;
    uint64_t seed;
    tcase *cases;
    uint32_t ncases;
    double node_cov, edge_cov;
    json_t *unvisited, *untaken;
    double secs;
    int status; /* an exit status when the workflow could not be tested */
} tsuite;

/*==========================================================================
 * Arguments
 *========================================================================*/

static int usage_error(const char *msg, const char *arg)
{
    /* arg is the user's: a newline or ESC in it is shown, not obeyed. */
    fprintf(stderr, "flowzap test: %s%s", msg, arg ? " '" : "");
    if (arg)
        fz_term_put(stderr, arg, strlen(arg), 0);
    fprintf(stderr, "%s (see 'flowzap test --help')\n", arg ? "'" : "");
    return FZ_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->inputs = calloc((size_t)argc, sizeof(char *));
    if (!o->inputs)
        return FZ_EXIT_SOFTWARE;
    int ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            o->inputs[o->ninputs++] = a;
            continue;
        }
        int takes = !strcmp(a, "--faults") || !strcmp(a, "--seed") || !strcmp(a, "--runs") ||
                    !strcmp(a, "--max-runs") || !strcmp(a, "--junit") || !strcmp(a, "--json") ||
                    !strcmp(a, "--min-coverage") || !strcmp(a, "--coverage-svg");
        if (takes && !v)
            return usage_error("this option needs a value:", a);
        if (takes)
            i++;
        if (!strcmp(a, "--faults")) {
            o->faults = v;
        } else if (!strcmp(a, "--seed")) {
            if (fz_cli_parse_u64(v, INT64_MAX, &o->seed))
                return usage_error("--seed needs a whole number from 0 to 2^63-1, not", v);
            o->has_seed = 1;
        } else if (!strcmp(a, "--runs")) {
            if (fz_cli_parse_u64(v, 10000000, &o->runs) || !o->runs)
                return usage_error("--runs needs a whole number from 1 to 10000000, not", v);
        } else if (!strcmp(a, "--max-runs")) {
            if (fz_cli_parse_u64(v, 10000000, &o->max_runs) || !o->max_runs)
                return usage_error("--max-runs needs a whole number from 1 to 10000000, not", v);
        } else if (!strcmp(a, "--junit")) {
            o->junit = v;
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else if (!strcmp(a, "--coverage-svg")) {
            o->svg = v;
        } else if (!strcmp(a, "--min-coverage")) {
            double p = 0;
            if (fz_cli_parse_share(v, &p))
                return usage_error("--min-coverage needs a share (0.8 or 80%), not", v);
            o->min_cov = p;
            o->has_min_cov = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option", a);
        } else {
            o->inputs[o->ninputs++] = a;
        }
    }
    if (o->max_runs && o->runs && o->max_runs < o->runs)
        return usage_error("--max-runs must be at least --runs", NULL);
    return FZ_EXIT_OK;
}

/*==========================================================================
 * Text that crosses into terminals, shells and XML
 *========================================================================*/

/* Length of the UTF-8 sequence at s that XML 1.0 text may hold (0: none):
 * well-formed (fz_utf8_seq), and not a C1 control or U+FFFE/U+FFFF. */
static size_t xml_char_len(const unsigned char *s)
{
    size_t n = fz_utf8_seq((const char *)s, strnlen((const char *)s, 4));
    if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
        return 0; /* U+0080..U+009F */
    if (n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
        return 0; /* U+FFFE, U+FFFF */
    return n;
}

/* Writes s to a terminal through the project's one escaper (core/term.h). */
static void put_term(FILE *out, const char *s)
{
    fz_term_put(out, s, strlen(s), 0);
}

/* Writes s as XML 1.0 text or attribute content: & < > " ' escaped,
 * tabs/newlines as character references, other control characters and
 * invalid UTF-8 as U+FFFD. */
static void put_xml(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = xml_char_len(p);
        if (n == 0) {
            fputs("\xef\xbf\xbd", out);
            p++;
            continue;
        }
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        case '\t':
            fputs("&#9;", out);
            break;
        case '\n':
            fputs("&#10;", out);
            break;
        case '\r':
            fputs("&#13;", out);
            break;
        default:
            if (n == 1 && (*p < 0x20 || *p == 0x7f))
                fputs("\xef\xbf\xbd", out);
            else
                fwrite(p, 1, n, out);
        }
        p += n;
    }
}

/* Appends s to buf quoted for a POSIX shell when it needs quoting. */
static void sh_quote(char *buf, size_t len, const char *s)
{
    size_t at = strlen(buf);
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", *p))
            plain = 0;
    if (plain) {
        snprintf(buf + at, len - at, "%s", s);
        return;
    }
    if (at + 1 < len)
        buf[at++] = '\'';
    for (const char *p = s; *p && at + 5 < len; p++) {
        if (*p == '\'') {
            memcpy(buf + at, "'\\''", 4);
            at += 4;
        } else {
            buf[at++] = *p;
        }
    }
    if (at + 1 < len)
        buf[at++] = '\'';
    buf[at < len ? at : len - 1] = 0;
}

/*==========================================================================
 * Finding workflows and their scenario files
 *========================================================================*/

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The scenario file beside wf (NAME.scenario.yaml, else NAME.test.yaml),
 * malloc'd, or NULL. */
static char *beside(const char *wf)
{
    size_t n = strlen(wf);
    if (ends_with(wf, ".fz"))
        n -= 3;
    static const char *tails[] = {".scenario.yaml", ".test.yaml"};
    for (int i = 0; i < 2; i++) {
        char *p = malloc(n + strlen(tails[i]) + 1);
        if (!p)
            return NULL;
        memcpy(p, wf, n);
        strcpy(p + n, tails[i]);
        if (is_file(p))
            return p;
        free(p);
    }
    return NULL;
}

typedef struct wlist {
    char **wf, **sc;
    uint32_t n, cap;
} wlist;

static int wlist_add(wlist *l, char *wf, char *sc)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 16;
        char **a = realloc(l->wf, sizeof(char *) * nc), **b;
        if (!a)
            return -1;
        l->wf = a;
        b = realloc(l->sc, sizeof(char *) * nc);
        if (!b)
            return -1;
        l->sc = b;
        l->cap = nc;
    }
    l->wf[l->n] = wf;
    l->sc[l->n] = sc;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const opts *o, wlist *l)
{
    const char *dot = ".";
    int n = o->ninputs ? o->ninputs : 1;
    for (int i = 0; i < n; i++) {
        const char *in = o->ninputs ? o->inputs[i] : dot;
        struct stat st;
        if (stat(in, &st) != 0) {
            fz_cli_error("cannot read '%s': %s", in, strerror(errno));
            return FZ_EXIT_IO;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(in);
            if (!d) {
                fz_cli_error("cannot read '%s': %s", in, strerror(errno));
                return FZ_EXIT_IO;
            }
            char **names = NULL;
            size_t nn = 0, cap = 0;
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || !ends_with(e->d_name, ".fz"))
                    continue;
                if (nn == cap) {
                    cap = cap ? cap * 2 : 16;
                    char **nm = realloc(names, sizeof(char *) * cap);
                    if (!nm)
                        break;
                    names = nm;
                }
                size_t len = strlen(in) + strlen(e->d_name) + 2;
                names[nn] = malloc(len);
                if (!names[nn])
                    break;
                snprintf(names[nn], len, "%s%s%s", in, ends_with(in, "/") ? "" : "/", e->d_name);
                nn++;
            }
            closedir(d);
            if (nn)
                qsort(names, nn, sizeof(char *), cmp_str);
            for (size_t k = 0; k < nn; k++) {
                char *sc = beside(names[k]);
                if (sc && is_file(names[k])) {
                    if (wlist_add(l, names[k], sc))
                        return FZ_EXIT_SOFTWARE;
                } else {
                    free(names[k]);
                    free(sc);
                }
            }
            free(names);
            continue;
        }
        char *wf = strdup(in);
        char *sc = o->faults ? strdup(o->faults) : beside(in);
        if (!wf || (o->faults && !sc)) {
            free(wf);
            free(sc);
            return FZ_EXIT_SOFTWARE;
        }
        if (!sc) {
            fz_cli_error("'%s' has no scenario file beside it (looked for NAME.scenario.yaml "
                         "and NAME.test.yaml; `flowzap init scenario %s` writes one)",
                         in, in);
            free(wf);
            return FZ_EXIT_IO;
        }
        if (wlist_add(l, wf, sc))
            return FZ_EXIT_SOFTWARE;
    }
    return FZ_EXIT_OK;
}

/*==========================================================================
 * Testing one workflow
 *========================================================================*/

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_sdiags(const fz_scenario_file *f, const fz_diags *d)
{
    uint32_t len = 0;
    const char *text = fz_scenario_file_text(f, &len);
    fz_linemap m;
    if (fz_linemap_init(&m, text, len, NULL))
        return;
    int color = fz_cli_color(stderr);
    for (uint32_t i = 0; i < fz_diags_count(d); i++)
        fz_diag_print(stderr, fz_scenario_file_name(f), &m, fz_diags_at(d, i), color);
    fz_linemap_fini(&m);
}

/* Writes the coverage picture of one workflow. */
static int write_svg(const char *path, const fz_graph *g, const uint64_t *ns, const uint64_t *es,
                     uint64_t runs)
{
    json_t *root = json_object(), *nodes = json_object(), *edges = json_object();
    if (!root || !nodes || !edges)
        return FZ_EXIT_SOFTWARE;
    json_object_set_new(root, "runs", json_integer((json_int_t)runs));
    for (uint32_t n = 0; n < fz_graph_node_count(g); n++) {
        const fz_node *nd = fz_graph_node(g, n);
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)nd->id.len, fz_graph_text(g, nd->id));
        json_object_set_new(
            nodes, id,
            json_pack("{s:i,s:i}", "visits", (json_int_t)ns[n], "runs", (json_int_t)ns[n]));
    }
    for (uint32_t e = 0; e < fz_graph_edge_count(g); e++) {
        char id[32];
        snprintf(id, sizeof id, "e%u", e + 1);
        json_object_set_new(
            edges, id,
            json_pack("{s:i,s:i}", "traversals", (json_int_t)es[e], "runs", (json_int_t)es[e]));
    }
    json_object_set_new(root, "nodes", nodes);
    json_object_set_new(root, "edges", edges);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return FZ_EXIT_SOFTWARE;
    fz_overlay *ov = NULL;
    char err[256] = "";
    int rc = fz_overlay_heat_mem(g, "coverage", text, strlen(text), NULL, &ov, err, sizeof err);
    free(text);
    if (rc) {
        fz_cli_error("coverage picture: %s", err[0] ? err : fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    fz_render_opts ro = {.format = FZ_RENDER_SVG, .overlay = ov};
    char *out = NULL;
    size_t len = 0;
    rc = fz_render(g, &ro, NULL, &out, &len, err, sizeof err);
    fz_overlay_free(ov);
    if (rc) {
        fz_cli_error("coverage picture: %s", err[0] ? err : fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    FILE *fp = fopen(path, "wb");
    int st = FZ_EXIT_OK;
    if (!fp || fwrite(out, 1, len, fp) != len) {
        fz_cli_error("cannot write '%s': %s", path, strerror(errno));
        st = FZ_EXIT_IO;
    }
    if (fp && fclose(fp) && !st) {
        fz_cli_error("cannot write '%s': %s", path, strerror(errno));
        st = FZ_EXIT_IO;
    }
    fz_free(NULL, out, len + 1);
    return st;
}

static char *svg_path(const opts *o, const char *wf, uint32_t nwf)
{
    if (nwf == 1)
        return strdup(o->svg);
    const char *base = strrchr(wf, '/');
    base = base ? base + 1 : wf;
    size_t bl = strlen(base);
    if (ends_with(base, ".fz"))
        bl -= 3;
    size_t sl = strlen(o->svg);
    if (ends_with(o->svg, ".svg"))
        sl -= 4;
    size_t len = sl + bl + 6;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s-%.*s.svg", (int)sl, o->svg, (int)bl, base);
    return p;
}

static int test_workflow(const opts *o, const char *wf, const char *sc, uint32_t nwf, tsuite *ts)
{
    double t0 = now_s();
    memset(ts, 0, sizeof *ts);
    ts->workflow = strdup(wf);
    ts->faults = strdup(sc);
    fz_graph *g = NULL;
    fz_scenario_file *f = NULL;
    fz_plan *plan = NULL;
    uint64_t *ns = NULL, *es = NULL;
    uint64_t runs = 0;
    int st = fz_cli_load(wf, 0, &g);
    if (st)
        goto out;
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_scenario_load(sc, NULL, &d, &f);
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("cannot read '%s': %s", sc, fz_strerror(rc));
        st = FZ_EXIT_IO;
    } else if (rc || d.errors) {
        fz_diags_sort(&d);
        if (f)
            print_sdiags(f, &d);
        fprintf(stderr, "%s: %u error%s\n", sc, d.errors, d.errors == 1 ? "" : "s");
        st = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
    }
    fz_diags_fini(&d);
    if (st)
        goto out;
    uint64_t fseed = 0;
    ts->seed = o->has_seed ? o->seed : fz_scenario_seed(f, &fseed) ? fseed : 1;
    if (fz_plan_new(g, NULL, NULL, &plan)) {
        fz_cli_error("'%s': cannot build a plan", wf);
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    uint32_t nn = fz_graph_node_count(g), ne = fz_graph_edge_count(g);
    ns = calloc(nn ? nn : 1, sizeof(uint64_t));
    es = calloc(ne ? ne : 1, sizeof(uint64_t));
    ts->ncases = fz_scenario_count(f);
    ts->cases = calloc(ts->ncases, sizeof(tcase));
    if (!ns || !es || !ts->cases) {
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    int tested = 0, warned = 0;
    for (uint32_t i = 0; i < ts->ncases && !st; i++) {
        tcase *tc = &ts->cases[i];
        tc->name = strdup(fz_scenario_name(f, i));
        const fz_expect *x = fz_scenario_expect(f, i);
        if (!fz_expect_count(x)) {
            tc->skipped = 1;
            continue;
        }
        double c0 = now_s();
        fz_scenario *s = NULL;
        fz_diags_init(&d, NULL);
        rc = fz_scenario_compile(f, i, g, NULL, &d, &s);
        if (!rc)
            rc = fz_expect_bind(x, g, &d);
        fz_diags_sort(&d);
        if (d.errors || (!warned && fz_diags_count(&d))) /* warnings once, like sim */
            print_sdiags(f, &d);
        warned = 1;
        if (d.errors)
            fprintf(stderr, "%s: %u error%s\n", sc, d.errors, d.errors == 1 ? "" : "s");
        fz_diags_fini(&d);
        if (rc) {
            st = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
            fz_scenario_free(s);
            break;
        }
        fz_sim_apply(s, plan);
        fz_expect_opts eo = {.seed = ts->seed, .min_runs = o->runs, .max_runs = o->max_runs};
        tc->r.node_runs = ns;
        tc->r.edge_runs = es;
        rc = fz_expect_check(plan, s, x, &eo, &tc->r);
        fz_scenario_free(s);
        if (rc) {
            fz_cli_error("%s: scenario '%s': %s", wf, tc->name, fz_strerror(rc));
            st = FZ_EXIT_SOFTWARE;
            break;
        }
        tested = 1;
        runs += tc->r.runs;
        tc->secs = now_s() - c0;
        if (tc->r.verdict != FZ_EXPECT_PASS) {
            char cmd[4096] = "flowzap sim ";
            sh_quote(cmd, sizeof cmd, wf);
            strcat(cmd, " --faults ");
            sh_quote(cmd, sizeof cmd, sc);
            strcat(cmd, " --scenario ");
            sh_quote(cmd, sizeof cmd, tc->name);
            size_t at = strlen(cmd);
            if (tc->r.failed_run != UINT64_MAX)
                snprintf(cmd + at, sizeof cmd - at,
                         " --seed %" PRIu64 " --run %" PRIu64 " --trace run-%" PRIu64 ".jsonl",
                         ts->seed, tc->r.failed_run, tc->r.failed_run);
            else if (!strcmp(tc->r.method, "Monte Carlo"))
                snprintf(cmd + at, sizeof cmd - at, " --seed %" PRIu64 " --runs %" PRIu64, ts->seed,
                         tc->r.runs);
            else
                snprintf(cmd + at, sizeof cmd - at, " --exact");
            tc->replay = strdup(cmd);
        }
    }
    if (st)
        goto out;
    uint32_t vn = 0, ve = 0;
    ts->unvisited = json_array();
    ts->untaken = json_array();
    for (uint32_t n = 0; n < nn; n++) {
        vn += ns[n] > 0;
        if (!ns[n]) {
            const fz_node *nd = fz_graph_node(g, n);
            json_array_append_new(ts->unvisited,
                                  json_stringn(fz_graph_text(g, nd->id), nd->id.len));
        }
    }
    for (uint32_t e = 0; e < ne; e++) {
        ve += es[e] > 0;
        if (!es[e]) {
            char id[32];
            snprintf(id, sizeof id, "e%u", e + 1);
            json_array_append_new(ts->untaken, json_string(id));
        }
    }
    ts->node_cov = nn ? (double)vn / nn : 1;
    ts->edge_cov = ne ? (double)ve / ne : 1;
    if (tested && o->svg) {
        char *p = svg_path(o, wf, nwf);
        st = p ? write_svg(p, g, ns, es, runs) : FZ_EXIT_SOFTWARE;
        free(p);
    }
out:
    ts->status = st;
    ts->secs = now_s() - t0;
    free(ns);
    free(es);
    fz_plan_free(plan);
    fz_scenario_file_free(f);
    fz_graph_free(g);
    return st;
}

/*==========================================================================
 * Reports
 *========================================================================*/

/* Where the per-scenario lines go: stdout, or stderr with `--json -`. */
static FILE *lines_out;

static const char *verdict_word(const tcase *tc)
{
    if (tc->skipped)
        return "SKIP";
    return tc->r.verdict == FZ_EXPECT_PASS   ? "PASS"
           : tc->r.verdict == FZ_EXPECT_FAIL ? "FAIL"
                                             : "UNDECIDED";
}

static void print_case(const opts *o, const tsuite *ts, const tcase *tc)
{
    int bad = !tc->skipped && tc->r.verdict != FZ_EXPECT_PASS;
    if (o->quiet && !bad)
        return;
    fprintf(lines_out, "%-4s ", verdict_word(tc));
    put_term(lines_out, ts->workflow);
    fprintf(lines_out, " ");
    put_term(lines_out, tc->name);
    if (tc->skipped) {
        fprintf(lines_out, ": no expect:\n");
        return;
    }
    fprintf(lines_out, " (%s, %" PRIu64 " run%s): ", tc->r.method, tc->r.runs,
            tc->r.runs == 1 ? "" : "s");
    put_term(lines_out, tc->r.message ? tc->r.message : "");
    if (tc->replay) {
        fprintf(lines_out, " | %s: ", tc->r.failed_run != UINT64_MAX ? "replay" : "re-run");
        put_term(lines_out, tc->replay);
    }
    fprintf(lines_out, "\n");
}

static int write_junit(const char *path, const tsuite *ts, uint32_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fz_cli_error("cannot write '%s': %s", path, strerror(errno));
        return FZ_EXIT_IO;
    }
    uint32_t tests = 0, fails = 0, skips = 0;
    double secs = 0;
    for (uint32_t i = 0; i < n; i++) {
        secs += ts[i].secs;
        for (uint32_t k = 0; k < ts[i].ncases; k++) {
            tests++;
            skips += ts[i].cases[k].skipped;
            fails += !ts[i].cases[k].skipped && ts[i].cases[k].r.verdict != FZ_EXPECT_PASS;
        }
    }
    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"flowzap test\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
            "skipped=\"%u\" time=\"%.3f\">\n",
            tests, fails, skips, secs);
    for (uint32_t i = 0; i < n; i++) {
        const tsuite *s = &ts[i];
        uint32_t f = 0, sk = 0;
        for (uint32_t k = 0; k < s->ncases; k++) {
            sk += s->cases[k].skipped;
            f += !s->cases[k].skipped && s->cases[k].r.verdict != FZ_EXPECT_PASS;
        }
        fprintf(fp, "  <testsuite name=\"");
        put_xml(fp, s->workflow);
        fprintf(fp, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
                s->ncases, f, sk, s->secs);
        fprintf(fp, "    <properties>\n      <property name=\"scenario_file\" value=\"");
        put_xml(fp, s->faults);
        fprintf(fp,
                "\"/>\n      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n"
                "      <property name=\"node_coverage\" value=\"%.4f\"/>\n"
                "      <property name=\"edge_coverage\" value=\"%.4f\"/>\n    </properties>\n",
                s->seed, s->node_cov, s->edge_cov);
        for (uint32_t k = 0; k < s->ncases; k++) {
            const tcase *tc = &s->cases[k];
            fprintf(fp, "    <testcase name=\"");
            put_xml(fp, tc->name);
            fprintf(fp, "\" classname=\"");
            put_xml(fp, s->workflow);
            fprintf(fp, "\" time=\"%.3f\"", tc->secs);
            if (tc->skipped) {
                fprintf(fp, ">\n      <skipped message=\"no expect:\"/>\n    </testcase>\n");
                continue;
            }
            if (tc->r.verdict == FZ_EXPECT_PASS) {
                fprintf(fp, ">\n      <system-out>");
                fprintf(fp, "%s, %" PRIu64 " runs: ", tc->r.method, tc->r.runs);
                put_xml(fp, tc->r.message ? tc->r.message : "");
                fprintf(fp, "</system-out>\n    </testcase>\n");
                continue;
            }
            fprintf(fp, ">\n      <failure type=\"%s\" message=\"",
                    tc->r.verdict == FZ_EXPECT_FAIL ? "failed" : "undecided");
            put_xml(fp, tc->r.message ? tc->r.message : "");
            fprintf(fp, "\">");
            fprintf(fp, "%s, %" PRIu64 " runs: ", tc->r.method, tc->r.runs);
            put_xml(fp, tc->r.message ? tc->r.message : "");
            if (tc->replay) {
                fprintf(fp, "&#10;%s: ", tc->r.failed_run != UINT64_MAX ? "replay" : "re-run");
                put_xml(fp, tc->replay);
            }
            fprintf(fp, "</failure>\n    </testcase>\n");
        }
        fprintf(fp, "  </testsuite>\n");
    }
    fprintf(fp, "</testsuites>\n");
    if (ferror(fp) | fclose(fp)) {
        fz_cli_error("cannot write '%s'", path);
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}

static int write_json(const char *path, const tsuite *ts, uint32_t n, uint32_t passed,
                      uint32_t failed, uint32_t skipped)
{
    json_t *root = json_object(), *wfs = json_array();
    if (!root || !wfs)
        return FZ_EXIT_SOFTWARE;
    json_object_set_new(root, "format", json_string("flowzap-test-report"));
    json_object_set_new(root, "version", json_integer(1));
    for (uint32_t i = 0; i < n; i++) {
        const tsuite *s = &ts[i];
        json_t *w = json_object(), *cs = json_array();
        json_object_set_new(w, "workflow", json_string(s->workflow));
        json_object_set_new(w, "faults", json_string(s->faults));
        json_object_set_new(w, "seed", json_integer((json_int_t)s->seed));
        json_object_set_new(w, "coverage",
                            json_pack("{s:f,s:f,s:O,s:O}", "nodes", s->node_cov, "edges",
                                      s->edge_cov, "unvisited_nodes",
                                      s->unvisited ? s->unvisited : json_array(), "untaken_edges",
                                      s->untaken ? s->untaken : json_array()));
        for (uint32_t k = 0; k < s->ncases; k++) {
            const tcase *tc = &s->cases[k];
            json_t *c = json_object();
            json_object_set_new(c, "scenario", json_string(tc->name));
            json_object_set_new(c, "result",
                                json_string(tc->skipped                       ? "skipped"
                                            : tc->r.verdict == FZ_EXPECT_PASS ? "passed"
                                            : tc->r.verdict == FZ_EXPECT_FAIL ? "failed"
                                                                              : "undecided"));
            if (!tc->skipped) {
                json_object_set_new(c, "method", json_string(tc->r.method));
                json_object_set_new(c, "runs", json_integer((json_int_t)tc->r.runs));
                json_object_set_new(c, "message", json_string(tc->r.message ? tc->r.message : ""));
                if (tc->r.failed_run != UINT64_MAX)
                    json_object_set_new(c, "failed_run",
                                        json_integer((json_int_t)tc->r.failed_run));
                if (tc->replay)
                    json_object_set_new(c, "replay", json_string(tc->replay));
            }
            json_array_append_new(cs, c);
        }
        json_object_set_new(w, "scenarios", cs);
        json_array_append_new(wfs, w);
    }
    json_object_set_new(root, "workflows", wfs);
    json_object_set_new(root, "passed", json_integer(passed));
    json_object_set_new(root, "failed", json_integer(failed));
    json_object_set_new(root, "skipped", json_integer(skipped));
    int st = FZ_EXIT_OK;
    int to_stdout = !strcmp(path, "-");
    FILE *fp = to_stdout ? stdout : fopen(path, "wb");
    if (!fp || json_dumpf(root, fp, JSON_INDENT(2) | JSON_ENSURE_ASCII) || fputc('\n', fp) == EOF) {
        fz_cli_error("cannot write '%s'", path);
        st = FZ_EXIT_IO;
    }
    if (fp && !to_stdout && fclose(fp) && !st) {
        fz_cli_error("cannot write '%s'", path);
        st = FZ_EXIT_IO;
    }
    json_decref(root);
    return st;
}

int fz_cmd_test(int argc, char **argv)
{
    int st0 = fz_cli_parse("test", fz_test_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return FZ_EXIT_OK;
        }
    opts o;
    int st = parse_args(argc, argv, &o);
    lines_out = o.json && !strcmp(o.json, "-") ? stderr : stdout;
    if (st) {
        free(o.inputs);
        return st;
    }
    wlist l = {0};
    st = collect(&o, &l);
    if (!st && o.faults && l.n != 1)
        st =
            usage_error("--faults names the scenario file of one workflow; give one FILE.fz", NULL);
    if (!st && l.n == 0) {
        fz_cli_error("no workflow with a scenario file (NAME.fz beside NAME.scenario.yaml or "
                     "NAME.test.yaml) was found");
        st = FZ_EXIT_IO;
    }
    tsuite *ts = st ? NULL : calloc(l.n, sizeof *ts);
    if (!st && !ts)
        st = FZ_EXIT_SOFTWARE;
    uint32_t passed = 0, failed = 0, skipped = 0, done = 0;
    int cov_bad = 0;
    for (uint32_t i = 0; !st && i < l.n; i++) {
        st = test_workflow(&o, l.wf[i], l.sc[i], l.n, &ts[i]);
        done = i + 1;
        for (uint32_t k = 0; k < ts[i].ncases; k++) {
            const tcase *tc = &ts[i].cases[k];
            if (!tc->name)
                continue;
            if (!st)
                print_case(&o, &ts[i], tc);
            if (tc->skipped)
                skipped++;
            else if (tc->r.message)
                tc->r.verdict == FZ_EXPECT_PASS ? passed++ : failed++;
        }
        if (!st && o.has_min_cov &&
            (ts[i].node_cov + 1e-12 < o.min_cov || ts[i].edge_cov + 1e-12 < o.min_cov)) {
            cov_bad = 1;
            fprintf(lines_out, "COVERAGE ");
            put_term(lines_out, ts[i].workflow);
            fprintf(lines_out, ": nodes %.1f%%, edges %.1f%%, below --min-coverage %.1f%%\n",
                    100 * ts[i].node_cov, 100 * ts[i].edge_cov, 100 * o.min_cov);
        }
    }
    if (!st) {
        fprintf(lines_out, "%u passed, %u failed, %u skipped", passed, failed, skipped);
        for (uint32_t i = 0; i < done; i++) {
            fprintf(lines_out, "%s", i ? "; " : "; coverage: ");
            if (done > 1) {
                put_term(lines_out, ts[i].workflow);
                fprintf(lines_out, " ");
            }
            fprintf(lines_out, "nodes %.1f%%, edges %.1f%%", 100 * ts[i].node_cov,
                    100 * ts[i].edge_cov);
        }
        fprintf(lines_out, "\n");
        if (o.junit)
            st = write_junit(o.junit, ts, done);
        if (!st && o.json)
            st = write_json(o.json, ts, done, passed, failed, skipped);
        if (!st)
            st = failed ? FZ_EXIT_TEST_FAILED : cov_bad ? FZ_EXIT_COVERAGE : FZ_EXIT_OK;
    }
    for (uint32_t i = 0; ts && i < done; i++) {
        for (uint32_t k = 0; k < ts[i].ncases; k++) {
            free(ts[i].cases[k].name);
            free(ts[i].cases[k].replay);
            fz_expect_result_fini(&ts[i].cases[k].r);
        }
        free(ts[i].cases);
        free(ts[i].workflow);
        free(ts[i].faults);
        json_decref(ts[i].unvisited);
        json_decref(ts[i].untaken);
    }
    free(ts);
    for (uint32_t i = 0; i < l.n; i++) {
        free(l.wf[i]);
        free(l.sc[i]);
    }
    free(l.wf);
    free(l.sc);
    free(o.inputs);
    return st;
}
