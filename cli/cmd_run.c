/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `flowzap bind` (which handler each node gets) and `flowzap
 * run` (execute a workflow with the real backend). docs/bindings.md and
 * docs/run.md describe both.
 *
 * A run is set up in one place, run_workflow(), in the order
 * cli/runjournal.h describes, so `flowzap resume` (which re-enters
 * fz_cmd_run with the recorded arguments) takes the very same path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/dryrun.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "core/term.h"
#include "core/status.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "engine/backend.h"
#include "engine/bind.h"
#include "engine/engine.h"
#include "engine/observer.h"
#include "engine/real.h"
#include "engine/secret.h"
#include "engine/trace.h"

/*==========================================================================
 * Loading bindings (shared by bind and run)
 *========================================================================*/

static void print_bind_diags(const fz_bind *b, const fz_diags *d)
{
    uint32_t len = 0;
    const char *text = fz_bind_text(b, &len);
    fz_linemap m;
    if (fz_linemap_init(&m, text, len, NULL))
        return;
    int color = fz_cli_color(stderr);
    for (uint32_t i = 0; i < fz_diags_count(d); i++)
        fz_diag_print(stderr, fz_bind_name(b), &m, fz_diags_at(d, i), color);
    fz_linemap_fini(&m);
}

static void node_text(const fz_graph *g, uint32_t node, const char **id, int *idlen,
                      const char **label, int *labellen)
{
    const fz_node *n = fz_graph_node(g, node);
    *id = fz_graph_text(g, n->id);
    *idlen = (int)n->id.len;
    *label = fz_graph_text(g, n->label);
    *labellen = (int)n->label.len;
}

static const char *lane_name(const fz_graph *g, uint32_t node, int *len)
{
    const fz_node *n = fz_graph_node(g, node);
    if (n->lane == FZ_NONE) {
        *len = 1;
        return "-";
    }
    const fz_lane *l = fz_graph_lane(g, n->lane);
    *len = (int)l->id.len;
    return fz_graph_text(g, l->id);
}

/* Lists every unbound node at its place in the workflow; returns 1 when
 * they are errors (not allowed). */
static int print_unbound(fz_graph *g, const fz_bind *b, const char *path, int allow_unbound)
{
    uint32_t unbound = 0;
    fz_linemap m;
    int have_map = fz_linemap_init(&m, g->src, g->src_len, NULL) == 0;
    for (uint32_t i = 0; i < fz_graph_node_count(g); i++) {
        if (fz_bind_node_rule(b, i) != FZ_NONE)
            continue;
        unbound++;
        const char *id, *label;
        int idl, ll;
        node_text(g, i, &id, &idl, &label, &ll);
        uint32_t line = 0, col = 0;
        if (have_map)
            fz_linemap_pos(&m, fz_graph_node(g, i)->offset, &line, &col);
        char lb[512];
        fprintf(stderr, "%s:%u:%u: %s: node %.*s \"%s\" has no handler: no rule of %s matches it\n",
                g->path, line, col, allow_unbound ? "warning" : "error", idl, id,
                fz_term_esc(lb, sizeof(lb), label, (size_t)ll), path);
    }
    if (have_map)
        fz_linemap_fini(&m);
    if (!unbound || allow_unbound)
        return 0;
    fprintf(stderr,
            "%s: %u node%s unbound; add rules to %s, or run with --allow-unbound to skip them\n",
            g->path, unbound, unbound == 1 ? "" : "s", path);
    return 1;
}

/* A rule's pattern that PCRE2 stopped on a node (its match limit, the JIT
 * stack...): one error at the rule, naming the node, its place and the
 * limit (docs/bindings.md, B003). */
static void print_match_failure(fz_bind *b, fz_graph *g, const char *path)
{
    uint32_t r = 0, node = 0;
    const char *why = fz_bind_resolve_error(b, &r, &node);
    const char *id, *label;
    int idl, ll;
    node_text(g, node, &id, &idl, &label, &ll);
    uint32_t line = 0, col = 0;
    fz_linemap m;
    if (fz_linemap_init(&m, g->src, g->src_len, NULL) == 0) {
        fz_linemap_pos(&m, fz_graph_node(g, node)->offset, &line, &col);
        fz_linemap_fini(&m);
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    if (fz_diags_add(&d, FZ_SEV_ERROR, "B003", fz_bind_rule(b, r)->offset, 1,
                     "simplify the pattern (no nested or ambiguous repeats such as (a|a)* or "
                     "(a+)+), anchor it, or narrow the rule with lane:, shape: or id:",
                     "rule %u: matching node %.*s (%s:%u:%u, a label of %d bytes) stopped: %s",
                     r + 1, idl, id, g->path, line, col, ll, why) == 0)
        print_bind_diags(b, &d);
    else
        fz_cli_error("binding '%s' to '%s': rule %u, node %.*s: %s", path, g->path, r + 1, idl, id,
                     why);
    fprintf(stderr, "%s: 1 error\n", path);
    fz_diags_fini(&d);
}

/* Loads and resolves bindings for g; prints every problem. Unbound nodes
 * are listed all at once, each at its place in the workflow. Returns an
 * exit status. */
static int load_bindings(const char *path, fz_graph *g, int allow_unbound, int quiet, fz_bind **out)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    int status = FZ_EXIT_OK;
    *out = NULL;
    int rc = fz_bind_load_file(path, NULL, &d, &b);
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("cannot read bindings '%s': %s", path, fz_strerror(rc));
        status = FZ_EXIT_IO;
        goto out;
    }
    if (rc == FZ_EPARSE) {
        if (b) {
            fz_diags_sort(&d);
            print_bind_diags(b, &d);
        }
        fprintf(stderr, "%s: %u error%s\n", path, d.errors, d.errors == 1 ? "" : "s");
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (rc) {
        fz_cli_error("bindings '%s': %s", path, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
        goto out;
    }
    uint32_t unbound = 0;
    rc = fz_bind_resolve(b, g, &unbound);
    if (rc == FZ_EINVAL) {
        print_match_failure(b, g, path);
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (rc) {
        fz_cli_error("binding '%s' to '%s': %s", path, g->path, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
        goto out;
    }
    if (unbound && !(allow_unbound && quiet) && print_unbound(g, b, path, allow_unbound)) {
        status = FZ_EXIT_UNBOUND;
        goto out;
    }
    *out = b;
    b = NULL;
out:
    fz_bind_free(b);
    fz_diags_fini(&d);
    return status;
}

/*==========================================================================
 * flowzap bind
 *========================================================================*/

/* bind --check: the findings gcc-style, then a count; 2 on any error. */
static int bind_check(const fz_bind *b, const fz_graph *g, const char *const *sets, uint32_t n)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_bind_check(b, g, sets, n, &d);
    if (rc) {
        fz_diags_fini(&d);
        fz_cli_error("bind --check: %s", fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    fz_diags_sort(&d);
    print_bind_diags(b, &d);
    fprintf(d.errors || d.warnings ? stderr : stdout, "%s: %u error%s, %u warning%s\n",
            fz_bind_name(b), d.errors, d.errors == 1 ? "" : "s", d.warnings,
            d.warnings == 1 ? "" : "s");
    int st = d.errors ? FZ_EXIT_INVALID : FZ_EXIT_OK;
    fz_diags_fini(&d);
    return st;
}

static void bind_usage(FILE *out)
{
    fprintf(out, "usage: flowzap bind FILE --bindings B [--allow-unbound] [--check]\n"
                 "\n"
                 "Shows, for every node of FILE, the rule of the bindings file B that binds it\n"
                 "(first match wins), the handler it will run, and the variables its label's\n"
                 "captures give it. Nodes no rule matches are listed all at once as errors\n"
                 "(file:line:col of each node). Nothing is run.\n"
                 "\n"
                 "Options:\n"
                 "  -b, --bindings B   the bindings file (YAML; docs/bindings.md)\n"
                 "  --allow-unbound    unbound nodes are warnings (run treats them as no-ops)\n"
                 "  --check            instead of the table, check what a run would need: each\n"
                 "                     exec program found and executable, each cwd a directory,\n"
                 "                     each URL well formed, each ${NAME} defined before its\n"
                 "                     step (errors exit 2; docs/bindings.md)\n"
                 "  --set KEY=VALUE    with --check: a run variable --set would give\n"
                 "  -h, --help         this text\n"
                 "\n"
                 "Exit status: 0 every node is bound, 2 invalid workflow or bindings,\n"
                 "6 unbound nodes, 74 a file could not be read, 64 bad command line.\n");
}

const fz_cli_opt fz_bind_options[] = {
    {"help", 'h', FZ_OPT_FLAG}, {"bindings", 'b', FZ_OPT_VALUE}, {"allow-unbound", 0, FZ_OPT_FLAG},
    {"check", 0, FZ_OPT_FLAG},  {"set", 0, FZ_OPT_VALUE},        {NULL, 0, 0},
};

static int check_set(const char *val);
static int bind_check(const fz_bind *b, const fz_graph *g, const char *const *sets, uint32_t n);

int fz_cmd_bind(int argc, char **argv)
{
    const char *file = NULL, *bindings = NULL;
    int allow_unbound = 0, check = 0, ops = 0;
    const char *sets[256];
    uint32_t nsets = 0;
    int st0 = fz_cli_parse("bind", fz_bind_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (file) {
                fz_cli_error("bind: one workflow file at a time ('%s' is extra)", a);
                return FZ_EXIT_USAGE;
            }
            file = a;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            bind_usage(stdout);
            return FZ_EXIT_OK;
        } else if ((!strcmp(a, "--bindings") || !strcmp(a, "-b")) && i + 1 < argc) {
            bindings = argv[++i];
        } else if (!strncmp(a, "--bindings=", 11)) {
            bindings = a + 11;
        } else if (!strcmp(a, "--allow-unbound")) {
            allow_unbound = 1;
        } else if (!strcmp(a, "--check")) {
            check = 1;
        } else if (!strcmp(a, "--set") && i + 1 < argc && nsets < 256) {
            if (check_set(argv[++i]))
                return FZ_EXIT_USAGE;
            sets[nsets++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            fz_cli_usage_error("bind: unknown option '%s'", a);
            return FZ_EXIT_USAGE;
        } else if (!file) {
            file = a;
        } else {
            fz_cli_error("bind: one workflow file at a time ('%s' is extra)", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (!file || !bindings) {
        fz_cli_usage_error("bind: %s",
                           !file ? "no workflow file given" : "--bindings B is required");
        return FZ_EXIT_USAGE;
    }
    fz_graph *g = NULL;
    int status = fz_cli_load(file, 0, &g);
    if (status)
        return status;
    fz_bind *b = NULL;
    int unbound_status = load_bindings(bindings, g, 1, 1, &b);
    if (unbound_status) {
        fz_graph_free(g);
        return unbound_status;
    }
    if (check) {
        int st = bind_check(b, g, sets, nsets);
        fz_bind_free(b);
        fz_graph_free(g);
        return st;
    }
    uint32_t unbound = 0;
    printf("%-5s %-30s %-18s %-10s %s\n", "NODE", "LABEL", "LANE", "RULE", "HANDLER");
    for (uint32_t i = 0; i < fz_graph_node_count(g); i++) {
        const char *id, *label;
        int idl, ll, lanel;
        node_text(g, i, &id, &idl, &label, &ll);
        const char *lane = lane_name(g, i, &lanel);
        uint32_t r = fz_bind_node_rule(b, i);
        char rule[32], desc[512];
        if (r == FZ_NONE) {
            unbound++;
            snprintf(rule, sizeof(rule), "-");
            snprintf(desc, sizeof(desc), "UNBOUND%s", allow_unbound ? " (no-op)" : "");
        } else {
            snprintf(rule, sizeof(rule), "%u (l.%u)", r + 1, 0u);
            uint32_t tl = 0;
            const char *text = fz_bind_text(b, &tl);
            fz_linemap m;
            if (fz_linemap_init(&m, text, tl, NULL) == 0) {
                uint32_t line = 0, col = 0;
                fz_linemap_pos(&m, fz_bind_rule(b, r)->offset, &line, &col);
                snprintf(rule, sizeof(rule), "%u (l.%u)", r + 1, line);
                fz_linemap_fini(&m);
            }
            fz_bind_describe(b, r, desc, sizeof(desc));
        }
        char lb[4 * 30 + 1], ib[64], lnb[256];
        printf("%-5s %s %-18s %-10s ", fz_term_esc(ib, sizeof(ib), id, (size_t)idl),
               fz_term_cell(lb, sizeof(lb), label, (size_t)ll, 30, 0),
               fz_term_esc(lnb, sizeof(lnb), lane, (size_t)lanel), rule);
        fz_term_put(stdout, desc, strlen(desc), 0);
        putchar('\n');
        const fz_caps *c = fz_bind_node_caps(b, i);
        if (c && fz_caps_count(c) > 1) {
            printf("      vars:");
            for (uint32_t k = 1; k < fz_caps_count(c); k++) {
                const fz_kv *kv = fz_caps_at(c, k);
                putchar(' ');
                fz_term_put(stdout, kv->key, strlen(kv->key), 0);
                fputs("=\"", stdout);
                fz_term_put(stdout, kv->value, strlen(kv->value), 0);
                putchar('"');
            }
            printf("\n");
        }
    }
    /* Secrets: names and sources only; bind reads no value. */
    for (uint32_t i = 0; i < fz_bind_secret_count(b); i++) {
        const fz_secret_spec *sp = fz_bind_secret_at(b, i);
        printf("%s %s (%s %s)%s", i ? "," : "secrets:", sp->name,
               sp->kind == FZ_SECRET_ENV ? "env" : sp->kind == FZ_SECRET_FILE ? "file" : "command",
               sp->kind == FZ_SECRET_COMMAND ? sp->argv[0] : sp->arg,
               i + 1 == fz_bind_secret_count(b) ? "\n" : "");
    }
    if (unbound)
        status = print_unbound(g, b, bindings, allow_unbound) ? FZ_EXIT_UNBOUND : FZ_EXIT_OK;
    printf("%s: %u node%s, %u bound by %s, %u unbound\n", file, fz_graph_node_count(g),
           fz_graph_node_count(g) == 1 ? "" : "s", fz_graph_node_count(g) - unbound, bindings,
           unbound);
    fz_bind_free(b);
    fz_graph_free(g);
    return status;
}

/*==========================================================================
 * flowzap run: the progress log
 *========================================================================*/

typedef struct progress {
    const fz_graph *g;
    const fz_bind *b;
    uint64_t t0;
    fz_vec starts; /* uint64_t start time per task id */
    int quiet;
    FILE *out;
    const fz_secrets *secrets; /* masked in reasons and outcomes */
    uint32_t steps;
    fz_vec path; /* uint32_t node per finished step, in finishing order */
} progress;

/* Prints the nodes the run went through: "Start > Build ... > End", a
 * retried step once; parallel branches interleave in finishing order. */
static void print_path(const progress *p)
{
    if (p->path.len == 0)
        return;
    fprintf(p->out, "flowzap: path:");
    uint32_t prev = FZ_NONE;
    for (uint32_t i = 0; i < p->path.len; i++) {
        uint32_t n = FZ_VEC_AT(&p->path, uint32_t, i);
        if (n == prev)
            continue;
        const fz_node *nd = fz_graph_node(p->g, n);
        fputs(prev == FZ_NONE ? " " : " > ", p->out);
        fz_term_put(p->out, fz_graph_text(p->g, nd->label), nd->label.len, 0);
        prev = n;
    }
    fputc('\n', p->out);
}

static double secs(const progress *p, uint64_t t)
{
    return t >= p->t0 ? (double)(t - p->t0) / 1e9 : 0.0;
}

static const char *handler_of(const progress *p, uint32_t node)
{
    uint32_t r = fz_bind_node_rule(p->b, node);
    return r == FZ_NONE ? "unbound" : fz_bind_rule(p->b, r)->ops->name;
}

static void line_head(const progress *p, uint32_t node, uint64_t t)
{
    const char *id, *label;
    int idl, ll, lanel;
    node_text(p->g, node, &id, &idl, &label, &ll);
    const char *lane = lane_name(p->g, node, &lanel);
    char ib[64], lb[4 * 28 + 1], lnb[4 * 16 + 1];
    /* cells cut between characters, never inside one (core/term.h) */
    fprintf(p->out, "%8.3fs  %-5s %s %s %-8s ", secs(p, t),
            fz_term_esc(ib, sizeof(ib), id, (size_t)idl),
            fz_term_cell(lb, sizeof(lb), label, (size_t)ll, 28, 0),
            fz_term_cell(lnb, sizeof(lnb), lane, (size_t)lanel, 16, 0), handler_of(p, node));
}

static void pr_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    progress *p = ud;
    while (p->starts.len <= t->id) {
        uint64_t *s = fz_vec_push(&p->starts);
        if (!s)
            break;
    }
    if (t->id < p->starts.len)
        FZ_VEC_AT(&p->starts, uint64_t, t->id) = t_ns;
    if (!p->quiet) {
        line_head(p, t->node, t_ns);
        if (t->attempt > 1)
            fprintf(p->out, "started (attempt %u)\n", t->attempt);
        else
            fprintf(p->out, "started\n");
        fflush(p->out);
    }
}

static void pr_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    progress *p = ud;
    p->steps++;
    uint32_t *slot = fz_vec_push(&p->path);
    if (slot)
        *slot = t->node;
    if (!p->quiet) {
        uint64_t st = t->id < p->starts.len ? FZ_VEC_AT(&p->starts, uint64_t, t->id) : t_ns;
        double ms = (double)(t_ns - st) / 1e6;
        line_head(p, t->node, t_ns);
        fprintf(p->out, "%-7s %8.1fms", fz_answer_name(r->answer), ms);
        char *oc = fz_secrets_mask_str(p->secrets, r->outcome);
        char *why = fz_secrets_mask_str(p->secrets, r->reason);
        if (oc) {
            fputs("  -> \"", p->out);
            fz_term_put(p->out, oc, strlen(oc), 0);
            fputc('"', p->out);
        }
        if (why) {
            fputs("  (", p->out);
            fz_term_put(p->out, why, strlen(why), 0);
            fputc(')', p->out);
        }
        free(oc);
        free(why);
        fputc('\n', p->out);
        fflush(p->out);
    }
}

static void pr_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    progress *p = ud;
    if (!p->quiet) {
        const fz_loop *l = fz_graph_loop(p->g, loop);
        char cb[512];
        fprintf(p->out, "%8.3fs  loop [%s]: back to its first node (%u of %u)\n", secs(p, t_ns),
                fz_term_esc(cb, sizeof(cb), fz_graph_text(p->g, l->cond), l->cond.len), count,
                l->bound);
    }
}

static void pr_log(void *ud, const fz_task *t, const char *msg)
{
    progress *p = ud;
    if (p->quiet)
        return;
    const char *id, *label;
    int idl, ll;
    node_text(p->g, t->node, &id, &idl, &label, &ll);
    char ib[64];
    fprintf(p->out, "%8.3fs  %-5s ", secs(p, fz_real_clock()),
            fz_term_esc(ib, sizeof(ib), id, (size_t)idl));
    fz_term_put(p->out, msg, strlen(msg), 0);
    fputc('\n', p->out);
    fflush(p->out);
}

/*==========================================================================
 * flowzap run
 *========================================================================*/

typedef struct run_opts {
    const char *file, *bindings, *trace, *db;
    const char **sets; /* K=V, argc entries at most */
    uint32_t nsets;
    const char **secrets; /* NAME=ENVVAR (--secret), argc entries at most */
    uint32_t nsecrets;
    const char **starts;
    uint32_t nstarts;
    uint32_t max_steps;
    int allow_unbound, no_journal, quiet;
    fz_dry_opts dry; /* --dry-run (dry_run set), --faults, --scenario, --seed */
    int dry_run;
    int argc; /* the command line, recorded in the journal for resume */
    char **argv;
} run_opts;

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: flowzap run FILE --bindings B [OPTIONS]\n"
            "\n"
            "Executes the workflow FILE for real: each node runs the handler its label is\n"
            "bound to in B (a command, an HTTP call, a builtin; docs/bindings.md), and\n"
            "tokens move along the edges by the rules of docs/semantics.md. Parallel branches\n"
            "run concurrently. A progress line per step start and finish goes to stderr:\n"
            "time, node, label, lane, handler, answer, duration, reason.\n"
            "\n"
            "Options:\n"
            "  -b, --bindings B    the bindings file (required)\n"
            "  --set KEY=VALUE     a run variable, ${KEY} in handlers (repeatable; wins\n"
            "                      over the bindings file's vars); recorded in the journal\n"
            "  --secret NAME=ENV   a secret ${NAME} read from the environment variable ENV\n"
            "                      (repeatable); masked as *** everywhere, never recorded\n"
            "  --trace OUT         write a JSON-lines trace (docs/formats.md) to OUT\n"
            "  --start nX          start from node nX instead of the start nodes (repeatable)\n"
            "  --max-steps N       fail the run after N steps (default 10000)\n"
            "  --db PATH           the run journal (default $FLOWZAP_DB, else .flowzap/runs.db)\n"
            "  --no-journal        do not record the run (it cannot be resumed; approval\n"
            "                      gates then fail)\n"
            "  --allow-unbound     run unbound nodes as no-ops that log, instead of refusing\n"
            "  -q, --quiet         no progress lines; only the final outcome\n"
            "  --dry-run           execute nothing: print what each step would run (argv,\n"
            "                      HTTP request; secrets as ***), answers from a scenario\n"
            "  --faults F          with --dry-run: the scenario file (default: every step ok)\n"
            "  --scenario NAME     with --dry-run: which scenario of F (default: the first)\n"
            "  --seed S            with --dry-run: seed of the scenario's choices (default 1)\n"
            "  --ask               with --dry-run: ask which edge each decision takes (a line\n"
            "                      on stdin: its number, e for error, Enter for the scenario)\n"
            "  -h, --help          this text\n"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM stops the run: running commands' process groups\n"
            "get SIGTERM, then SIGKILL after 2 s; the run is recorded as interrupted.\n"
            "\n"
            "Exit status: 0 completed, 3 failed, 2 invalid workflow or bindings, 6 unbound\n"
            "nodes, 8 a secret could not be read, 130 interrupted, 74 a file could not be\n"
            "read, 64 bad command line.\n");
}

/* Writes s[0, n) for a message: printable ASCII as is, anything else as
 * \n, \r, \t or \xNN, so a hostile key shows what it holds. */
static void escape_for_message(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (o + 5 >= cap && o >= 3)
        memcpy(out + o - 3, "...", 3);
    out[o < cap ? o : cap - 1] = '\0';
}

/* --set KEY=VALUE (docs/run.md): KEY is a variable name, a letter or '_'
 * then letters, digits and '_', at most 255 bytes; VALUE is UTF-8 text (a
 * newline is fine). Returns 0, or prints why not and returns 1. */
static int check_set(const char *val)
{
    const char *eq = strchr(val, '=');
    if (!eq) {
        char shown[200];
        escape_for_message(val, strlen(val), shown, sizeof shown);
        fz_cli_error("run: --set takes KEY=VALUE, not '%s'", shown);
        return 1;
    }
    size_t kl = (size_t)(eq - val);
    int ok = kl > 0 && kl <= 255 && !(val[0] >= '0' && val[0] <= '9');
    for (size_t i = 0; ok && i < kl; i++) {
        char c = val[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    char shown[200];
    escape_for_message(val, kl, shown, sizeof shown);
    if (!ok) {
        fz_cli_error("run: --set '%s': %s", shown,
                     kl == 0    ? "the name before '=' is empty"
                     : kl > 255 ? "the name is longer than 255 bytes"
                                : "a variable name is letters, digits and '_', not starting "
                                  "with a digit");
        return 1;
    }
    size_t vl = strlen(eq + 1), bad = fz_utf8_check(eq + 1, vl);
    if (bad < vl) {
        fz_cli_error("run: --set %s: the value is not valid UTF-8 (byte 0x%02x at offset %zu)",
                     shown, (unsigned char)eq[1 + bad], bad);
        return 1;
    }
    return 0;
}

static int parse_run_args(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dry.seed = 1;
    o->sets = calloc((size_t)argc + 1, sizeof(char *));
    o->starts = calloc((size_t)argc + 1, sizeof(char *));
    o->secrets = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->sets || !o->starts || !o->secrets) {
        fz_cli_error("%s", fz_strerror(FZ_ENOMEM));
        return FZ_EXIT_SOFTWARE;
    }
    int ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (o->file) {
                fz_cli_error("run: one workflow file at a time ('%s' is extra)", a);
                return FZ_EXIT_USAGE;
            }
            o->file = a;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage(stdout);
            return -1;
        } else if ((!strcmp(a, "--bindings") || !strcmp(a, "-b")) && val) {
            o->bindings = val;
            i++;
        } else if (!strcmp(a, "--set") && val) {
            if (check_set(val))
                return FZ_EXIT_USAGE;
            o->sets[o->nsets++] = val;
            i++;
        } else if (!strcmp(a, "--secret") && val) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val || !eq[1]) {
                fz_cli_error("run: --secret takes NAME=ENVVAR (the environment variable that "
                             "holds the value), not '%s'",
                             val);
                return FZ_EXIT_USAGE;
            }
            o->secrets[o->nsecrets++] = val;
            i++;
        } else if (!strcmp(a, "--trace") && val) {
            o->trace = val;
            i++;
        } else if (!strcmp(a, "--start") && val) {
            o->starts[o->nstarts++] = val;
            i++;
        } else if (!strcmp(a, "--max-steps") && val) {
            char *end = NULL;
            errno = 0;
            unsigned long n = strtoul(val, &end, 10);
            if (errno || !end || *end || n == 0 || n > UINT32_MAX || val[0] == '-') {
                fz_cli_error("run: --max-steps takes a positive number, not '%s'", val);
                return FZ_EXIT_USAGE;
            }
            o->max_steps = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--db") && val) {
            o->db = val;
            i++;
        } else if (!strcmp(a, "--no-journal")) {
            o->no_journal = 1;
        } else if (!strcmp(a, "--allow-unbound")) {
            o->allow_unbound = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--dry-run") || !strcmp(a, "--ask")) {
            *(a[2] == 'd' ? &o->dry_run : &o->dry.ask) = 1;
        } else if ((!strcmp(a, "--faults") || !strcmp(a, "--scenario")) && val) {
            *(a[2] == 'f' ? &o->dry.faults : &o->dry.scenario) = argv[++i];
        } else if (!strcmp(a, "--seed") && val) {
            i++;
            if (fz_cli_parse_u64(val, UINT64_MAX, &o->dry.seed)) {
                fz_cli_error("run: --seed takes a whole number, not '%s'", val);
                return FZ_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fz_cli_usage_error("run: unknown option '%s'%s", a,
                               val || strchr(a, '=') ? "" : " (or it needs a value)");
            return FZ_EXIT_USAGE;
        } else if (!o->file) {
            o->file = a;
        } else {
            fz_cli_error("run: one workflow file at a time ('%s' is extra)", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (!o->file || !o->bindings) {
        fz_cli_usage_error("run: %s",
                           !o->file ? "no workflow file given" : "--bindings B is required");
        return FZ_EXIT_USAGE;
    }
    if (!o->dry_run && (o->dry.faults || o->dry.scenario || o->dry.seed != 1 || o->dry.ask)) {
        fz_cli_error("run: --faults, --scenario, --seed and --ask go with --dry-run");
        return FZ_EXIT_USAGE;
    }
    return FZ_EXIT_OK;
}

/*==========================================================================
 * Secrets (docs/secrets.md)
 *========================================================================*/

/* NAME of a NAME=... argument into key; 0 when it does not fit. */
static int arg_name(const char *arg, char *key, size_t n)
{
    size_t kl = (size_t)(strchr(arg, '=') - arg);
    if (kl >= n)
        return 0;
    memcpy(key, arg, kl);
    key[kl] = '\0';
    return 1;
}

/* 1 when NAME is declared a secret (bindings or --secret). */
static int declared_secret(const run_opts *o, const fz_bind *b, const char *name)
{
    for (uint32_t i = 0; i < fz_bind_secret_count(b); i++)
        if (!strcmp(fz_bind_secret_at(b, i)->name, name))
            return 1;
    char key[256];
    for (uint32_t i = 0; i < o->nsecrets; i++)
        if (arg_name(o->secrets[i], key, sizeof key) && !strcmp(key, name))
            return 1;
    return 0;
}

/* Reads every secret (the bindings' section, then --secret, which wins
 * for a name given in both) into a new masker; prints every failure, each
 * naming the secret and its source, never a value. Returns an exit status. */
static int read_secrets(const run_opts *o, const fz_bind *b, fz_secrets **out)
{
    *out = NULL;
    fz_secrets *sec = NULL;
    if (fz_secrets_new(NULL, &sec)) {
        fz_cli_error("%s", fz_strerror(FZ_ENOMEM));
        return FZ_EXIT_SOFTWARE;
    }
    /* --set of a secret's name would record its value: refused. */
    char key[256];
    for (uint32_t i = 0; i < o->nsets; i++) {
        if (arg_name(o->sets[i], key, sizeof key) && declared_secret(o, b, key)) {
            fz_cli_error("run: --set %s=...: %s is declared a secret, and a --set value is "
                         "recorded in the journal in plain text",
                         key, key);
            fprintf(stderr,
                    "  = hint: put the value in an environment variable and pass "
                    "--secret %s=ENVVAR, or read it in the bindings' secrets: "
                    "(docs/secrets.md)\n",
                    key);
            fz_secrets_free(sec);
            return FZ_EXIT_USAGE;
        }
    }
    uint32_t failed = 0;
    int oom = 0;
    char err[512];
    for (uint32_t i = 0; i < fz_bind_secret_count(b); i++) {
        const fz_secret_spec *sp = fz_bind_secret_at(b, i);
        int overridden = 0;
        for (uint32_t k = 0; k < o->nsecrets && !overridden; k++)
            overridden = arg_name(o->secrets[k], key, sizeof key) && !strcmp(key, sp->name);
        if (overridden)
            continue;
        int rc = fz_secrets_read(sec, sp, err, sizeof err);
        if (rc) {
            fz_cli_error("%s: %s", o->bindings, err);
            failed++;
            oom |= rc == FZ_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < o->nsecrets; i++) {
        const char *eq = strchr(o->secrets[i], '=');
        if (!arg_name(o->secrets[i], key, sizeof key)) {
            fz_cli_error("run: --secret %s: the name is too long", o->secrets[i]);
            failed++;
            continue;
        }
        fz_secret_spec sp = {.name = key, .kind = FZ_SECRET_ENV, .arg = eq + 1};
        int rc = fz_secrets_read(sec, &sp, err, sizeof err);
        if (rc) {
            fz_cli_error("--secret: %s", err);
            failed++;
            oom |= rc == FZ_ENOMEM;
        }
    }
    if (failed) {
        fz_cli_error("%u secret%s could not be read; nothing was run", failed,
                     failed == 1 ? "" : "s");
        fz_secrets_free(sec);
        return oom ? FZ_EXIT_SOFTWARE : FZ_EXIT_SECRET;
    }
    /* A --set value holding a secret would be recorded (masked) and come
     * back wrong on resume: refused while the run is journaled. */
    for (uint32_t i = 0; i < o->nsets && (!o->no_journal || fz__cli_journal_pending()); i++) {
        const char *v = strchr(o->sets[i], '=') + 1;
        if (fz_secrets_contains(sec, v, strlen(v))) {
            arg_name(o->sets[i], key, sizeof key);
            fz_cli_error("run: --set %s=...: the value holds a secret's value, and a --set "
                         "value is recorded in the journal",
                         key);
            fprintf(stderr, "  = hint: write ${NAME} of the secret in the bindings where the "
                            "value is used, or run with --no-journal\n");
            fz_secrets_free(sec);
            return FZ_EXIT_USAGE;
        }
    }
    *out = sec;
    return FZ_EXIT_OK;
}

/* Sets up and runs one workflow; fz_cmd_run and (through it) resume. */
static int run_workflow(const run_opts *o)
{
    fz_graph *g = NULL;
    fz_bind *b = NULL;
    fz_plan *plan = NULL;
    fz_engine *e = NULL;
    fz_real *real = NULL;
    fz_trace *trace = NULL;
    fz_observer trace_obs;
    fz_observer_tee logs_tee; /* the progress log and the trace, as one observer */
    FILE *trace_file = NULL;
    uint32_t *starts = NULL;
    fz_secrets *sec = NULL;
    progress pr;
    memset(&pr, 0, sizeof(pr));
    fz_vec_init(&pr.starts, sizeof(uint64_t), NULL);
    fz_vec_init(&pr.path, sizeof(uint32_t), NULL);
    fz_cli_journal cj;
    memset(&cj, 0, sizeof(cj));
    int status = fz_cli_load(o->file, 0, &g);
    if (status)
        goto out;
    status = load_bindings(o->bindings, g, o->allow_unbound, o->quiet, &b);
    if (status)
        goto out;
    if (o->dry_run) { /* cli/dryrun.c: no journal, no process, no connection */
        fz_dry_opts d = o->dry;
        d.sets = o->sets, d.nsets = o->nsets, d.secrets = o->secrets, d.nsecrets = o->nsecrets;
        d.starts = o->starts, d.nstarts = o->nstarts, d.max_steps = o->max_steps;
        status = fz_cli_dry_run(g, b, &d);
        goto out;
    }
    /* Secrets are read now, before anything runs, and on every resume. */
    status = read_secrets(o, b, &sec);
    if (status)
        goto out;

    /* The journal records the run before anything runs (docs/journal.md);
     * on `resume` it checks the files and takes the recorded run over. */
    if (!o->no_journal || fz__cli_journal_pending()) {
        status = fz_cli_journal_open(&cj, o->db);
        cj.secrets = sec;
        cj.quiet = o->quiet;
        if (!status)
            status = fz_cli_journal_begin(&cj, o->file, o->bindings, o->argc, o->argv);
        if (status)
            goto out;
    }

    /* The plan: start overrides and the step limit, then the rules' policies. */
    if (o->nstarts) {
        starts = calloc(o->nstarts, sizeof(uint32_t));
        if (!starts) {
            status = FZ_EXIT_SOFTWARE;
            goto out;
        }
        for (uint32_t i = 0; i < o->nstarts; i++) {
            starts[i] = fz_graph_find_node(g, o->starts[i], strlen(o->starts[i]));
            if (starts[i] == FZ_NONE) {
                fz_cli_error("run: --start %s: %s has no node with that id", o->starts[i], o->file);
                status = FZ_EXIT_USAGE;
                goto out;
            }
        }
    }
    fz_plan_opts po = {starts, o->nstarts, o->max_steps};
    int rc = fz_plan_new(g, &po, NULL, &plan);
    if (rc) {
        fz_cli_error("run: %s: %s", o->file, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
        goto out;
    }
    fz_bind_apply_policies(b, plan);
    rc = fz_engine_new(plan, NULL, &e);
    if (rc) {
        fz_cli_error("run: %s", fz_strerror(rc));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }

    /* The backend. */
    char run_id[64];
    if (cj.j)
        snprintf(run_id, sizeof(run_id), "%s", cj.run_id);
    else
        snprintf(run_id, sizeof(run_id), "local-%ld", (long)getpid());
    fz_real_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.run_id = run_id;
    ro.allow_unbound = o->allow_unbound;
    ro.catch_signals = 1;
    ro.approvals = fz_cli_journal_approvals(&cj); /* NULL without the journal */
    fz_cli_journal_watch_spawns(&cj, &ro);
    ro.log = pr_log;
    ro.log_ud = &pr;
    ro.secrets = sec;
    rc = fz_real_new(g, b, &ro, NULL, &real);
    if (rc) {
        fz_cli_error("run: cannot set up the backend: %s", fz_strerror(rc));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }
    const fz_backend *be = fz_real_backend(real);

    /* Start, then variables: the bindings' defaults, then --set. */
    rc = fz_engine_start(e);
    for (uint32_t i = 0; !rc && i < fz_bind_var_count(b); i++) {
        fz_kv kv = fz_bind_var_at(b, i);
        rc = fz_engine_set_var(e, kv.key, kv.value);
    }
    for (uint32_t i = 0; !rc && i < o->nsets; i++) {
        const char *eq = strchr(o->sets[i], '=');
        char key[256];
        size_t kl = (size_t)(eq - o->sets[i]);
        if (kl >= sizeof(key)) {
            fz_cli_error("run: --set %s: the name is too long", o->sets[i]);
            status = FZ_EXIT_USAGE;
            goto out;
        }
        memcpy(key, o->sets[i], kl);
        key[kl] = '\0';
        rc = fz_engine_set_var(e, key, eq + 1);
    }
    /* Secrets are variables too (${NAME}); no --set or vars: shares a name. */
    for (uint32_t i = 0; !rc && i < fz_secrets_count(sec); i++)
        rc = fz_engine_set_var(e, fz_secrets_name_at(sec, i), fz_secrets_value_at(sec, i));
    if (rc) {
        fz_cli_error("run: %s", fz_strerror(rc));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }

    pr.g = g;
    pr.b = b;
    pr.quiet = o->quiet;
    pr.out = stderr;
    pr.secrets = sec;
    pr.t0 = be->now(be->ud);
    if (o->trace) {
        trace_file = strcmp(o->trace, "-") == 0 ? stdout : fopen(o->trace, "w");
        if (!trace_file) {
            fz_cli_error("run: cannot write trace '%s': %s", o->trace, strerror(errno));
            status = FZ_EXIT_IO;
            goto out;
        }
        fz_trace_opts to;
        memset(&to, 0, sizeof(to));
        to.run = cj.j ? cj.run : -1;
        to.workflow = o->file;
        to.has_t0 = 1;
        to.t0_ns = pr.t0;
        to.flush = 1;
        to.secrets = sec;
        rc = fz_trace_new(trace_file, g, "real", &to, NULL, &trace);
        if (rc) {
            fz_cli_error("run: trace '%s': %s", o->trace, fz_strerror(rc));
            status = rc == FZ_EIO ? FZ_EXIT_IO : FZ_EXIT_SOFTWARE;
            goto out;
        }
        fz_trace_observer(trace, &trace_obs);
    }
    /* The progress log, then the trace (the journal's recorder goes before both). */
    fz_observer progress_obs = {
        .on_start = pr_start, .on_finish = pr_finish, .on_loop = pr_loop, .ud = &pr};
    const fz_observer *logs[] = {&progress_obs, trace ? &trace_obs : NULL};
    fz_observer obs;
    fz_observer_tee_init(&logs_tee, logs, 2, &obs); /* two fit: cannot fail */
    if (!o->quiet)
        fprintf(stderr, "flowzap: running %s with %s (%u nodes)\n", o->file, o->bindings,
                fz_graph_node_count(g));
    /* The journal's recorder goes first and passes every event on; on a
     * resume it replays the finished steps and restarts the ones in flight. */
    status = fz_cli_journal_attach(&cj, g, e, be, &obs);
    if (status)
        goto out;

    rc = fz_engine_drive(e, fz_cli_journal_backend(&cj, be));
    int jstatus = fz_cli_journal_finish(&cj, e, rc ? rc : fz_real_interrupted(real) ? FZ_EINTR : 0);
    if (rc == FZ_EINTR || fz_real_interrupted(real)) {
        be->cancel_all(be->ud, e);
        fprintf(stderr, "flowzap: interrupted after %u step%s; running commands were stopped\n",
                fz_engine_steps(e), fz_engine_steps(e) == 1 ? "" : "s");
        status = FZ_EXIT_INTERRUPTED;
        goto out;
    }
    if (rc) {
        be->cancel_all(be->ud, e);
        fz_cli_error("run: %s", fz_strerror(rc));
        status = rc == FZ_EDB ? FZ_EXIT_IO : FZ_EXIT_SOFTWARE;
        goto out;
    }
    double took = secs(&pr, be->now(be->ud));
    if (!o->quiet)
        print_path(&pr);
    char *oc = fz_secrets_mask_str(sec, fz_engine_outcome(e));
    if (fz_engine_state(e) == FZ_RUN_COMPLETED) {
        fputs("flowzap: completed: ", stderr);
        fz_term_put(stderr, oc ? oc : "?", strlen(oc ? oc : "?"), 0);
        fprintf(stderr, " (%u steps, %.3fs)\n", fz_engine_steps(e), took);
        status = FZ_EXIT_OK;
    } else {
        fprintf(stderr, "flowzap: %s", oc && strncmp(oc, "failed", 6) == 0 ? "" : "failed: ");
        fz_term_put(stderr, oc ? oc : "?", strlen(oc ? oc : "?"), 0);
        fprintf(stderr, " (%u steps, %.3fs)\n", fz_engine_steps(e), took);
        status = FZ_EXIT_RUN_FAILED;
    }
    free(oc);
    if (jstatus && status == FZ_EXIT_OK)
        status = jstatus;
out:
    fz_cli_journal_close(&cj);
    fz_real_free(real);
    fz_trace_free(trace);
    if (trace_file && trace_file != stdout && fclose(trace_file) != 0 && status == FZ_EXIT_OK) {
        fz_cli_error("run: closing trace '%s' failed", o->trace);
        status = FZ_EXIT_IO;
    }
    fz_engine_free(e);
    fz_plan_free(plan);
    fz_bind_free(b);
    fz_graph_free(g);
    fz_secrets_free(sec);
    fz_vec_fini(&pr.starts);
    fz_vec_fini(&pr.path);
    free(starts);
    return status;
}

const fz_cli_opt fz_run_options[] = {
    {"help", 'h', FZ_OPT_FLAG},       {"bindings", 'b', FZ_OPT_VALUE},  {"set", 0, FZ_OPT_VALUE},
    {"secret", 0, FZ_OPT_VALUE},      {"trace", 0, FZ_OPT_VALUE},       {"start", 0, FZ_OPT_VALUE},
    {"max-steps", 0, FZ_OPT_VALUE},   {"db", 0, FZ_OPT_VALUE},          {"no-journal", 0, FZ_OPT_FLAG},
    {"allow-unbound", 0, FZ_OPT_FLAG}, {"quiet", 'q', FZ_OPT_FLAG},     {"dry-run", 0, FZ_OPT_FLAG},
    {"ask", 0, FZ_OPT_FLAG},          {"faults", 0, FZ_OPT_VALUE},      {"scenario", 0, FZ_OPT_VALUE},
    {"seed", 0, FZ_OPT_VALUE},        {NULL, 0, 0},
};

int fz_cmd_run(int argc, char **argv)
{
    run_opts o;
    int given_argc = argc; /* the journal records the command as typed */
    char **given_argv = argv;
    int status = fz_cli_parse("run", fz_run_options, &argc, &argv);
    if (status)
        return status;
    status = parse_run_args(argc, argv, &o);
    o.argc = given_argc;
    o.argv = given_argv;
    if (status == 0)
        status = run_workflow(&o);
    else if (status < 0)
        status = FZ_EXIT_OK;
    free(o.sets);
    free(o.starts);
    free(o.secrets);
    return status;
}
