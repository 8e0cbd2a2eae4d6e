/* SPDX-License-Identifier: MIT */
/*
 * cmd_runs.c - `flowzap runs` (list the journal's runs) and `flowzap runs
 * show ID` (real/journal.h, docs/journal.md). `resume` and `signal` are
 * in cmd_resume.c and cmd_signal.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "core/term.h"
#include "core/status.h"
#include "core/utf8.h"

const fz_cli_opt fz_runs_options[] = {
    {"db", 0, FZ_OPT_VALUE, "PATH",
     "the journal (default: $FLOWZAP_DB, else " FZ_JOURNAL_DEFAULT_PATH ")"},
    {"limit", 0, FZ_OPT_VALUE, "N", "list at most N runs (default 20; 0: all)"},
    {"output", 0, FZ_OPT_FLAG, NULL, "show each step's captured stdout and stderr"},
    {"json", 0, FZ_OPT_FLAG, NULL, "one JSON object (show) or one per line (list)"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void runs_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap runs [--db PATH] [--limit N] [--json]\n"
                "       flowzap runs show ID [--db PATH] [--output] [--json]\n"
                "\n"
                "Lists the runs recorded in the journal, newest first, or shows one run\n"
                "with every step: node, lane, attempt, answer, exit status, duration and,\n"
                "with --output, what the step printed.\n",
                fz_runs_options,
                "Exit status: 0; 2 for an unknown run; 74 when the journal cannot be read.\n");
}

/*==========================================================================
 * flowzap runs
 *========================================================================*/

/* A JSON string of text recorded in the journal (NULL: null). Handler
 * output, outcomes, reasons and paths may hold bytes that are not UTF-8,
 * which JSON cannot: each such byte becomes U+FFFD (docs/journal.md). */
static json_t *jtextn(const char *s, size_t n)
{
    if (!s)
        return json_null();
    if (fz_utf8_check(s, n) == n)
        return json_stringn(s, n);
    size_t rl = 0;
    char *r = fz_utf8_repair(NULL, s, n, &rl);
    json_t *j = r ? json_stringn(r, rl) : NULL;
    fz_free(NULL, r, rl + 1);
    return j;
}

static json_t *jtext(const char *s)
{
    return jtextn(s, s ? strlen(s) : 0);
}

static json_t *run_json(const fz_journal_run *r)
{
    int gone = fz_journal_run_owner_gone(r);
    json_t *o = json_pack("{sI ss sb}", "id", (json_int_t)r->id, "state",
                          gone ? FZ_JOURNAL_INTERRUPTED : r->state, "owner_gone", gone);
    if (!o)
        return NULL;
    json_object_set_new(o, "workflow", jtext(r->workflow));
    json_object_set_new(o, "workflow_sha256", jtext(r->workflow_hash));
    json_object_set_new(o, "created_at", jtext(r->created_at));
    json_object_set_new(o, "pid", json_integer((json_int_t)r->pid));
    json_object_set_new(o, "steps", json_integer((json_int_t)r->steps));
    json_object_set_new(o, "in_flight", json_integer((json_int_t)r->in_flight));
    json_object_set_new(o, "resumes", json_integer((json_int_t)r->resumes));
    json_object_set_new(o, "outcome", jtext(r->outcome));
    json_object_set_new(o, "finished_at", jtext(r->finished_at));
    json_object_set_new(o, "bindings", jtext(r->bindings));
    json_object_set_new(o, "cwd", jtext(r->cwd));
    json_object_set_new(o, "journal_sync", jtext(r->sync));
    json_t *args = json_loads(r->args ? r->args : "[]", 0, NULL);
    json_object_set_new(o, "args", args ? args : json_array());
    json_t *vars = json_loads(r->vars ? r->vars : "{}", 0, NULL);
    json_object_set_new(o, "vars", vars ? vars : json_object());
    return o;
}

typedef struct list_ctx {
    int json;
    int n;
} list_ctx;

static void print_json(json_t *o, int indent)
{
    if (!o)
        return;
    char *s = json_dumps(o, indent ? JSON_INDENT(2) | JSON_PRESERVE_ORDER
                                   : JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* A path shown relative to the current directory when it is under it. */
static const char *short_path(const char *p, const char *cwd)
{
    size_t n = strlen(cwd);
    if (n && strncmp(p, cwd, n) == 0 && p[n] == '/')
        return p + n + 1;
    return p;
}

/* Text from the journal, escaped for the terminal into a buffer. */
#define ESC(buf, s) fz_term_esc(buf, sizeof(buf), (s), (s) ? strlen(s) : 0)

/* Writes s (NULL: nothing) escaped, then a newline. */
static void put_line(const char *s)
{
    if (s)
        fz_term_put(stdout, s, strlen(s), 0);
    putchar('\n');
}

static int list_one(void *ud, const fz_journal_run *r)
{
    list_ctx *c = ud;
    if (c->json) {
        print_json(run_json(r), 0);
        return 0;
    }
    if (c->n++ == 0)
        printf("%-5s %-11s %5s  %-25s %-28s %s\n", "ID", "STATE", "STEPS", "STARTED (UTC)",
               "WORKFLOW", "OUTCOME");
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    char st[64], at[64], wf[1024];
    const char *w = short_path(r->workflow, cwd);
    printf("%-5lld %-11s %5u  %-25s %-28s ", (long long)r->id,
           fz_journal_run_owner_gone(r) ? FZ_JOURNAL_OWNER_GONE : ESC(st, r->state), r->steps,
           ESC(at, r->created_at), ESC(wf, w));
    put_line(r->outcome);
    return 0;
}

static void print_block(const char *name, const char *p, size_t n)
{
    if (!p || !n)
        return;
    printf("      %s:\n", name);
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '\n')
            e++;
        fputs("        | ", stdout);
        fz_term_put(stdout, p + i, e - i, FZ_TERM_TAB);
        putchar('\n');
        i = e + 1;
    }
}

typedef struct show_ctx {
    int json;
    int output;
    json_t *steps;
    fz_journal *j; /* to tell where a step of another lane stands */
    int64_t run;
} show_ctx;

/* For a step in flight: 1 queued for a worker of its lane, 2 run by the
 * worker named in who (docs/scale.md, "Lanes as placement"), else 0. */
static int queued_where(show_ctx *c, const fz_journal_step *s, char *who, size_t n)
{
    who[0] = '\0';
    if (s->finished || !c->j)
        return 0;
    int st = fz_journal_step_queued(c->j, c->run, s->task, who, n);
    return st < 0 ? 0 : st;
}

static int show_step(void *ud, const fz_journal_step *s)
{
    show_ctx *c = ud;
    if (c->json) {
        json_t *o = json_pack("{si}", "task", (int)s->task);
        if (!o)
            return FZ_ENOMEM;
        json_object_set_new(o, "node", jtext(s->node));
        json_object_set_new(o, "label", jtext(s->label));
        json_object_set_new(o, "token", json_integer(s->token));
        json_object_set_new(o, "attempt", json_integer(s->attempt));
        json_object_set_new(o, "starts", json_integer(s->starts));
        json_object_set_new(o, "finished", json_boolean(s->finished));
        json_object_set_new(o, "lane", jtext(s->lane));
        char who[128];
        int q = queued_where(c, s, who, sizeof who);
        if (q)
            json_object_set_new(o, "lane_worker", q == 2 ? jtext(who) : json_null());
        json_object_set_new(o, "answer",
                            s->finished ? json_string(fz_answer_name(s->answer))
                                        : json_null());
        json_object_set_new(o, "outcome", jtext(s->outcome));
        json_object_set_new(o, "reason", jtext(s->reason));
        json_object_set_new(o, "exit_code",
                            s->has_exit_code ? json_integer(s->exit_code) : json_null());
        json_object_set_new(o, "started_at", json_string(s->started_at));
        json_object_set_new(o, "finished_at",
                            s->finished_at ? json_string(s->finished_at) : json_null());
        json_object_set_new(o, "duration_ns",
                            s->duration_ns >= 0 ? json_integer(s->duration_ns) : json_null());
        json_t *vars = s->vars ? json_loads(s->vars, 0, NULL) : NULL;
        json_object_set_new(o, "vars", vars ? vars : json_object());
        if (c->output) {
            json_object_set_new(o, "stdout", jtextn(s->out ? s->out : "", s->out_len));
            json_object_set_new(o, "stderr", jtextn(s->err ? s->err : "", s->err_len));
        }
        json_array_append_new(c->steps, o);
        return 0;
    }
    char dur[32] = "-";
    if (s->duration_ns >= 0)
        snprintf(dur, sizeof dur, "%.3fs", (double)s->duration_ns / 1e9);
    char ex[16] = "-";
    if (s->has_exit_code)
        snprintf(ex, sizeof ex, "%d", s->exit_code);
    const char *answer = s->finished ? fz_answer_name(s->answer) : "in flight";
    char node[64], lane[256], label[4 * 30 + 1];
    printf("  %4u  %-6s %-12s %s %3u  %-9s %4s  %8s  ", s->task, ESC(node, s->node),
           s->lane ? ESC(lane, s->lane) : "-",
           fz_term_cell(label, sizeof(label), s->label, s->label ? strlen(s->label) : 0, 30, 0),
           s->attempt, answer, ex, dur);
    if (s->outcome)
        fz_term_put(stdout, s->outcome, strlen(s->outcome), 0);
    if (s->outcome && s->reason)
        fputs(": ", stdout);
    put_line(s->reason);
    if (s->vars && strcmp(s->vars, "{}") != 0) {
        fputs("      set ", stdout);
        put_line(s->vars);
    }
    char who[128], esc[512];
    int q = queued_where(c, s, who, sizeof who);
    if (q == 1)
        printf("      waiting for a worker of lane %s\n", s->lane ? ESC(lane, s->lane) : "-");
    else if (q == 2)
        printf("      running on worker %s (lane %s)\n",
               fz_term_esc(esc, sizeof esc, who, strlen(who)), s->lane ? ESC(lane, s->lane) : "-");
    if (c->output) {
        print_block("stdout", s->out, s->out_len);
        print_block("stderr", s->err, s->err_len);
    }
    return 0;
}

static int show_signal(void *ud, const fz_journal_signal *sig)
{
    json_t *arr = ud;
    if (arr) {
        json_t *o = json_pack("{ss ss ss}", "node", sig->node, "answer", sig->answer, "given_at",
                              sig->created_at);
        if (!o)
            return 1;
        json_object_set_new(o, "given_by", jtext(sig->who));
        json_object_set_new(o, "taken_by_task",
                            sig->taken ? json_integer(sig->taken_task) : json_null());
        json_array_append_new(arr, o);
        return 0;
    }
    char ans[32], node[64], at[64];
    printf("  answer    %-3s at %-6s given %s", ESC(ans, sig->answer), ESC(node, sig->node),
           ESC(at, sig->created_at));
    /* who answered (flowzap serve records it; flowzap signal does not) */
    if (sig->who) {
        fputs(" by ", stdout);
        fz_term_put(stdout, sig->who, strlen(sig->who), 0);
    }
    if (sig->taken)
        printf(", taken by step %u\n", sig->taken_task);
    else
        fputs(", not taken yet\n", stdout);
    return 0;
}

static int runs_show(fz_journal *j, int64_t id, int json, int output)
{
    fz_journal_run r;
    int rc = fz_journal_run_get(j, id, &r);
    if (rc) {
        fz_cli_error("%s", fz_journal_errmsg(j));
        return rc == FZ_ENOENT ? FZ_EXIT_INVALID : FZ_EXIT_IO;
    }
    show_ctx c = {.json = json, .output = output, .j = j, .run = id};
    if (json) {
        json_t *o = run_json(&r);
        c.steps = json_array();
        rc = fz_journal_step_list(j, id, 0, show_step, &c);
        if (o && c.steps)
            json_object_set(o, "steps", c.steps);
        json_decref(c.steps);
        json_t *sigs = json_array();
        if (!rc && sigs)
            rc = fz_journal_signal_list(j, id, show_signal, sigs);
        if (o && sigs)
            json_object_set(o, "answers", sigs);
        json_decref(sigs);
        if (rc) {
            json_decref(o);
            fz_cli_error("%s", fz_journal_errmsg(j));
            return FZ_EXIT_IO;
        }
        print_json(o, 1);
        return FZ_EXIT_OK;
    }
    char st[64], hash[32], at[64];
    if (fz_journal_run_owner_gone(&r))
        printf("run %lld: %s: its process %lld is no longer running; `flowzap resume %lld` "
               "continues it\n",
               (long long)r.id, FZ_JOURNAL_OWNER_GONE, (long long)r.pid, (long long)r.id);
    else
        printf("run %lld: %s\n", (long long)r.id, ESC(st, r.state));
    fputs("  workflow  ", stdout);
    fz_term_put(stdout, r.workflow, strlen(r.workflow), 0);
    printf(" (sha256 %.16s...)\n", ESC(hash, r.workflow_hash));
    if (r.bindings) {
        fputs("  bindings  ", stdout);
        put_line(r.bindings);
    }
    /* shell-quoted, so that pasting it runs exactly what was recorded */
    printf("  command   flowzap");
    json_t *args = json_loads(r.args ? r.args : "[]", 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(args, i, v)
    {
        putchar(' ');
        fz_term_put_word(stdout, json_string_value(v) ? json_string_value(v) : "");
    }
    json_decref(args);
    printf("\n");
    if (r.cwd) {
        fputs("  directory ", stdout);
        put_line(r.cwd);
    }
    if (!strcmp(r.state, FZ_JOURNAL_QUEUED) && !r.resumes)
        printf("  submitted %s (waiting for a worker)\n", ESC(at, r.created_at));
    else
        printf("  started   %s (pid %lld)%s", ESC(at, r.created_at), (long long)r.pid,
               r.resumes ? "" : "\n");
    if (r.resumes)
        printf(", resumed %u time%s\n", r.resumes, r.resumes == 1 ? "" : "s");
    if (r.finished_at)
        printf("  ended     %s\n", ESC(at, r.finished_at));
    if (r.sync) {
        fputs("  journal   synchronous=", stdout);
        put_line(r.sync);
    }
    if (r.outcome) {
        fputs("  outcome   ", stdout);
        put_line(r.outcome);
    }
    if (r.vars && strcmp(r.vars, "{}") != 0) {
        fputs("  vars      ", stdout);
        put_line(r.vars);
    }
    if (fz_journal_signal_list(j, id, show_signal, NULL)) {
        fz_cli_error("%s", fz_journal_errmsg(j));
        return FZ_EXIT_IO;
    }
    printf("  steps     %u finished, %u in flight\n\n", r.steps, r.in_flight);
    printf("  %4s  %-6s %-12s %-30s %3s  %-9s %4s  %8s  %s\n", "STEP", "NODE", "LANE", "LABEL",
           "TRY", "ANSWER", "EXIT", "TIME", "OUTCOME");
    rc = fz_journal_step_list(j, id, 0, show_step, &c);
    if (rc) {
        fz_cli_error("%s", fz_journal_errmsg(j));
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}

int fz_cmd_runs(int argc, char **argv)
{
    const char *db = NULL;
    int json = 0, output = 0, show = 0;
    long limit = 20;
    int64_t id = 0;
    int st0 = fz_cli_parse("runs", fz_runs_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            runs_usage(stdout);
            return FZ_EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(a, "--db=", 5))
            db = a + 5;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--output"))
            output = 1;
        else if (!strcmp(a, "--limit") && i + 1 < argc) {
            uint64_t n = 0;
            if (fz_cli_parse_u64(argv[++i], UINT32_MAX, &n)) {
                fz_cli_error("--limit takes a number of runs from 0 (all) to 4294967295, not '%s'",
                             argv[i]);
                return FZ_EXIT_USAGE;
            }
            limit = (long)n;
        } else if (!strcmp(a, "show") && !show)
            show = 1;
        else if (show && !id && (id = fz_cli_parse_run_id(a)) != 0)
            ;
        else {
            fz_cli_usage_error("runs: unexpected argument '%s'", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (show && !id) {
        fz_cli_error("runs show: which run? give its id (`flowzap runs` lists them)");
        return FZ_EXIT_USAGE;
    }
    fz_journal *j = NULL;
    char path[4096];
    int status = fz_cli_journal_open_existing(db, &j, path, sizeof path, show ? FZ_EXIT_INVALID : -1, !show);
    if (status == -1) {
        if (json)
            return FZ_EXIT_OK;
        printf("no runs recorded in %s\n", path);
        return FZ_EXIT_OK;
    }
    if (status)
        return status;
    if (show)
        status = runs_show(j, id, json, output);
    else {
        list_ctx c = {.json = json};
        if (fz_journal_run_list(j, (uint32_t)limit, list_one, &c)) {
            fz_cli_error("%s", fz_journal_errmsg(j));
            status = FZ_EXIT_IO;
        } else if (!json && c.n == 0)
            printf("no runs recorded in %s\n", path);
    }
    fz_journal_free(j);
    return status;
}
