/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `flowzap run`: execute a workflow with the real backend
 * (docs/run.md). Bindings are loaded by cli/common.c, as for `bind`.
 *
 * A run is set up in one place, fz_cli_run_workflow(), in the order
 * cli/runjournal.h describes, from a request (cli/runrequest.h) that `run`
 * builds from its command line and `flowzap resume` from the recorded
 * one, so both take the very same path.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "cli/runrequest.h"
#include "core/term.h"
#include "core/status.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "engine/observer.h"
#include "real/real.h"
#include "engine/secret.h"
#include "engine/trace.h"

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
    fz_cli_node_text(p->g, node, &id, &idl, &label, &ll);
    const char *lane = fz_cli_lane_name(p->g, node, &lanel);
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
    fz_cli_node_text(p->g, t->node, &id, &idl, &label, &ll);
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

const fz_cli_opt fz_run_options[] = {
    {"bindings", 'b', FZ_OPT_VALUE, "B", "the bindings file (required)"},
    {"set", 0, FZ_OPT_VALUE, "KEY=VALUE",
     "a run variable, ${KEY} in handlers (repeatable; wins over the bindings file's vars); "
     "recorded in the journal"},
    {"secret", 0, FZ_OPT_VALUE, "NAME=ENV",
     "a secret ${NAME} read from the environment variable ENV (repeatable); masked as *** "
     "everywhere, never recorded"},
    {"trace", 0, FZ_OPT_VALUE, "OUT", "write a JSON-lines trace (docs/formats.md) to OUT"},
    {"start", 0, FZ_OPT_VALUE, "nX", "start from node nX instead of the start nodes (repeatable)"},
    {"max-steps", 0, FZ_OPT_VALUE, "N", "fail the run after N steps (default 10000)"},
    {"db", 0, FZ_OPT_VALUE, "PATH",
     "the run journal (default $FLOWZAP_DB, else " FZ_JOURNAL_DEFAULT_PATH ")"},
    {"no-journal", 0, FZ_OPT_FLAG, NULL,
     "do not record the run (it cannot be resumed; approval gates then fail)"},
    {"allow-unbound", 0, FZ_OPT_FLAG, NULL,
     "run unbound nodes as no-ops that log, instead of refusing"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "no progress lines; only the final outcome"},
    {"dry-run", 0, FZ_OPT_FLAG, NULL,
     "execute nothing: print what each step would run (argv, HTTP request; secrets as ***), "
     "answers from a scenario"},
    {"ask", 0, FZ_OPT_FLAG, NULL,
     "with --dry-run: ask which edge each decision takes (a line on stdin: its number, e for "
     "error, Enter for the scenario)"},
    {"faults", 0, FZ_OPT_VALUE, "F", "with --dry-run: the scenario file (default: every step ok)"},
    {"scenario", 0, FZ_OPT_VALUE, "NAME",
     "with --dry-run: which scenario of F (default: the first)"},
    {"seed", 0, FZ_OPT_VALUE, "S", "with --dry-run: seed of the scenario's choices (default 1)"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void run_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap run FILE --bindings B [OPTIONS]\n"
                "\n"
                "Executes the workflow FILE for real: each node runs the handler its label is\n"
                "bound to in B (a command, an HTTP call, a builtin; docs/bindings.md), and\n"
                "tokens move along the edges by the rules of docs/semantics.md. Parallel branches\n"
                "run concurrently. A progress line per step start and finish goes to stderr:\n"
                "time, node, label, lane, handler, answer, duration, reason.\n",
                fz_run_options,
                "Ctrl-C (SIGINT) or SIGTERM stops the run: running commands' process groups\n"
                "get SIGTERM, then SIGKILL after 2 s; the run is recorded as interrupted.\n"
                "\n"
                "Exit status: 0 completed, 3 failed, 2 invalid workflow or bindings, 6 unbound\n"
                "nodes, 8 a secret could not be read, 130 interrupted, 74 a file could not be\n"
                "read, 64 bad command line.\n");
}

static int parse_run_args(int argc, char **argv, fz_run_request *o)
{
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
            if (fz_cli_check_set(val))
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
            uint64_t n = 0;
            if (fz_cli_parse_u64(val, UINT32_MAX, &n) || n == 0) {
                fz_cli_error(
                    "run: --max-steps takes a number of steps from 1 to 4294967295, not '%s'", val);
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
static int declared_secret(const fz_run_request *o, const fz_bind *b, const char *name)
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
static int read_secrets(const fz_run_request *o, const fz_bind *b, fz_secrets **out)
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
    for (uint32_t i = 0; i < o->nsets && (!o->no_journal || o->resume); i++) {
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

int fz_cli_run_workflow(const fz_run_request *o)
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
    status = fz_cli_load_bindings(o->bindings, g, o->allow_unbound, o->quiet, &b);
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
    if (!o->no_journal || o->resume) {
        status = fz_cli_journal_open(&cj, o->db, o->resume);
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
    ro.approval_poll_ms = cj.gate_poll_ms;
    fz_cli_journal_watch_spawns(&cj, &ro);
    ro.remote = fz_cli_journal_remote(&cj); /* a worker's steps of other lanes */
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
        /* A new trace is made 0600, as the journal is: it holds the steps'
         * reasons (secrets masked). An existing file keeps its mode. */
        if (strcmp(o->trace, "-") == 0) {
            trace_file = stdout;
        } else {
            int fd = open(o->trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            trace_file = fd >= 0 ? fdopen(fd, "w") : NULL;
            if (fd >= 0 && !trace_file)
                close(fd);
        }
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
    if (!o->quiet) {
        /* The paths may come from a journal (a worker's run): escaped. */
        fputs("flowzap: running ", stderr);
        fz_term_put(stderr, o->file, strlen(o->file), 0);
        fputs(" with ", stderr);
        fz_term_put(stderr, o->bindings, strlen(o->bindings), 0);
        fprintf(stderr, " (%u nodes)\n", fz_graph_node_count(g));
    }
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

int fz_cli_run_request_parse(int argc, char **argv, fz_run_request *req)
{
    memset(req, 0, sizeof *req);
    req->argc = argc; /* the journal records the command as typed */
    req->argv = argv;
    int status = fz_cli_parse("run", fz_run_options, &argc, &argv);
    if (status)
        return status;
    return parse_run_args(argc, argv, req);
}

void fz_cli_run_request_fini(fz_run_request *req)
{
    free(req->sets);
    free(req->starts);
    free(req->secrets);
    req->sets = req->starts = req->secrets = NULL;
}

int fz_cmd_run(int argc, char **argv)
{
    fz_run_request req;
    int status = fz_cli_run_request_parse(argc, argv, &req);
    if (status == 0)
        status = fz_cli_run_workflow(&req);
    else if (status < 0)
        status = FZ_EXIT_OK;
    fz_cli_run_request_fini(&req);
    return status;
}
