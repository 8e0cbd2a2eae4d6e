/* SPDX-License-Identifier: MIT */
/*
 * dryrun.c - `flowzap run --dry-run` (docs/run.md, "Dry run"): the engine
 * walks the workflow with the real bindings, driven by the simulator's
 * backend for every answer (a scenario, by default the empty one; with
 * --ask, a decision typed on stdin), and for
 * each step prints what the real handler would do: the argv after
 * substitution, the HTTP request, the builtin's effect. Nothing is
 * executed: no process, no connection, no journal; secrets read from a
 * `command:` source are not read (they show as ***), the others are read
 * to mask them wherever they appear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/dryrun.h"
#include "cli/exitcodes.h"
#include "cli/term.h"
#include "core/status.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/secret.h"
#include "sim/backend_sim.h"
#include "sim/scenario.h"
#include "sim/sim.h"

typedef struct pending_set {
    uint32_t task;
    fz_kv *kvs; /* expanded set: values, NULL-key-terminated */
    uint32_t n;
} pending_set;

typedef struct dry {
    const fz_graph *g;
    const fz_bind *b;
    fz_engine *e;
    const fz_backend *sim;
    fz_secrets *sec;
    const char *const *hidden; /* secrets not read (command:), shown as *** */
    uint32_t nhidden;
    FILE *out;
    pending_set *sets;
    uint32_t nsets, capsets;
    fz_kv *given; /* the set: result handed to the engine, until the next wait */
    uint32_t ngiven;
    uint32_t unknown;    /* ${NAME}s not set at their step */
    int ask;             /* --ask, until the end of input */
    char answer[512];    /* the outcome typed, until the next wait */
    uint32_t *task_node; /* --ask: each started task's node, by task id */
    uint32_t ntasks;
    int oom;
} dry;

static void free_kvs(fz_kv *kv, uint32_t n)
{
    for (uint32_t i = 0; kv && i < n; i++) {
        free((char *)kv[i].key);
        free((char *)kv[i].value);
    }
    free(kv);
}

/* tmpl with each ${NAME} replaced as the real handler would (captures,
 * then run variables); a name not set yet stays as ${NAME} and is counted. */
static char *expand(dry *d, uint32_t node, const char *tmpl)
{
    size_t cap = strlen(tmpl) + 64, n = 0;
    char *o = malloc(cap);
    const fz_caps *caps = fz_bind_node_caps(d->b, node);
    for (const char *s = tmpl; o && *s;) {
        const char *v = NULL;
        size_t vl = 1, skip = 1;
        if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
            v = "${";
            vl = 2;
            skip = 3;
        } else if (s[0] == '$' && s[1] == '{' && strchr(s, '}')) {
            const char *e = strchr(s, '}');
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)(e - s - 2), s + 2);
            skip = (size_t)(e - s) + 1;
            for (uint32_t i = 0; i < d->nhidden && !v; i++)
                if (!strcmp(d->hidden[i], name))
                    v = FZ_SECRET_MASK;
            if (!v && caps)
                v = fz_caps_get(caps, name);
            if (!v)
                v = fz_engine_get_var(d->e, name);
            if (!v) {
                d->unknown++;
                v = s; /* as written */
                vl = skip;
            } else {
                vl = strlen(v);
            }
        } else {
            v = s;
        }
        if (n + vl + 1 > cap) {
            cap = (n + vl + 1) * 2;
            char *p = realloc(o, cap);
            if (!p) {
                free(o);
                o = NULL;
                break;
            }
            o = p;
        }
        memcpy(o + n, v, vl);
        n += vl;
        s += skip;
    }
    if (!o) {
        d->oom = 1;
        return NULL;
    }
    o[n] = '\0';
    return o;
}

/* Writes text masked and escaped for the terminal. */
static void put_text(dry *d, const char *s)
{
    char *m = fz_secrets_mask_str(d->sec, s ? s : "");
    if (!m) {
        d->oom = 1;
        return;
    }
    fz_term_put(d->out, m, strlen(m), 0);
    free(m);
}

static void put_word(dry *d, const char *s)
{
    char *m = fz_secrets_mask_str(d->sec, s ? s : "");
    if (!m) {
        d->oom = 1;
        return;
    }
    fz_term_put_word(d->out, m);
    free(m);
}

/* "       key: " then the expanded template. */
static void put_field(dry *d, uint32_t node, const char *key, const char *tmpl)
{
    if (!tmpl)
        return;
    char *x = expand(d, node, tmpl);
    fprintf(d->out, "       %s", key);
    put_text(d, x);
    fputc('\n', d->out);
    free(x);
}

/* The real http handler refuses a URL holding a space or a control byte,
 * and a header value holding a control byte other than tab: say so. */
static void note_refused(dry *d, uint32_t node, const char *what, const char *tmpl, int is_url)
{
    char *x = expand(d, node, tmpl);
    for (const unsigned char *p = (const unsigned char *)x; x && *p; p++)
        if (*p < 0x20 ? (is_url || *p != '\t') : (*p == 0x7f || (is_url && *p == ' '))) {
            fprintf(d->out, "       ! the run would refuse %s: it holds byte 0x%02x\n", what, *p);
            break;
        }
    free(x);
}

static void show_step(dry *d, const fz_task *t)
{
    const fz_node *nd = fz_graph_node(d->g, t->node);
    char ib[64];
    fprintf(d->out, "%s ", fz_term_esc(ib, sizeof(ib), fz_graph_text(d->g, nd->id), nd->id.len));
    fz_term_put(d->out, fz_graph_text(d->g, nd->label), nd->label.len, 0);
    uint32_t r = fz_bind_node_rule(d->b, t->node);
    fz_rule_info in;
    memset(&in, 0, sizeof(in));
    if (r != FZ_NONE)
        fz_bind_rule_info(d->b, r, &in);
    fprintf(d->out, "  [%s]", in.handler ? in.handler : "unbound: no-op");
    if (t->attempt > 1)
        fprintf(d->out, " attempt %u", t->attempt);
    fputc('\n', d->out);
    if (in.argv) {
        fputs("       argv:", d->out);
        if (in.shell) {
            fputs(" /bin/sh -c ", d->out);
            put_word(d, in.argv[0]);
            fputs(" flowzap", d->out);
            const fz_caps *caps = fz_bind_node_caps(d->b, t->node);
            for (int i = 1; i <= 9; i++) {
                char key[4];
                snprintf(key, sizeof(key), "%d", i);
                const char *v = caps ? fz_caps_get(caps, key) : NULL;
                if (!v)
                    break;
                fputc(' ', d->out);
                put_word(d, v);
            }
        } else {
            for (uint32_t i = 0; i < in.argc; i++) {
                char *x = expand(d, t->node, in.argv[i]);
                fputc(' ', d->out);
                put_word(d, x);
                free(x);
            }
        }
        fputc('\n', d->out);
        put_field(d, t->node, "cwd: ", in.cwd);
        for (uint32_t i = 0; i < in.nenv; i++) {
            char key[300];
            snprintf(key, sizeof(key), "env: %s=", in.env[i].key);
            put_field(d, t->node, key, in.env[i].value);
        }
    }
    if (in.url) {
        const char *m = in.method ? in.method : in.body ? "POST" : "GET";
        char key[64];
        snprintf(key, sizeof(key), "%s ", m);
        put_field(d, t->node, key, in.url);
        note_refused(d, t->node, "the url", in.url, 1);
        for (uint32_t i = 0; i < in.nheaders; i++) {
            char hk[300];
            snprintf(hk, sizeof(hk), "header: %s: ", in.headers[i].key);
            put_field(d, t->node, hk, in.headers[i].value);
            note_refused(d, t->node, "this header", in.headers[i].value, 0);
        }
        put_field(d, t->node, "body: ", in.body);
    }
    if (in.text)
        put_field(d, t->node, "text: ", in.text);
    if (in.nkv) {
        fz_kv *kv = calloc(in.nkv + 1, sizeof(fz_kv));
        for (uint32_t i = 0; kv && i < in.nkv; i++) {
            kv[i].key = strdup(in.kvs[i].key);
            kv[i].value = expand(d, t->node, in.kvs[i].value);
            char key[300];
            snprintf(key, sizeof(key), "set: %s=", in.kvs[i].key);
            fprintf(d->out, "       %s", key);
            put_text(d, kv[i].value);
            fputc('\n', d->out);
            if (!kv[i].key || !kv[i].value)
                d->oom = 1;
        }
        if (!kv || (d->nsets == d->capsets &&
                    !(d->sets = realloc(d->sets, (d->capsets = d->capsets * 2 + 4) *
                                                     sizeof(pending_set))))) {
            free_kvs(kv, in.nkv);
            d->oom = 1;
            return;
        }
        d->sets[d->nsets++] = (pending_set){t->id, kv, in.nkv};
    }
}

static uint64_t dry_now(void *ud)
{
    dry *d = ud;
    return d->sim->now(d->sim->ud);
}

static int dry_start(void *ud, fz_engine *e, const fz_task *t)
{
    dry *d = ud;
    show_step(d, t);
    if (d->ask && t->id >= d->ntasks) {
        uint32_t n = t->id * 2 + 16;
        uint32_t *p = realloc(d->task_node, n * sizeof(uint32_t));
        if (!p)
            return FZ_ENOMEM;
        d->task_node = p;
        d->ntasks = n;
    }
    if (d->ask)
        d->task_node[t->id] = t->node;
    if (d->oom)
        return FZ_ENOMEM;
    return d->sim->start(d->sim->ud, e, t);
}

static void ask(dry *d, uint32_t node, fz_result *r);

static int dry_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    dry *d = ud;
    free_kvs(d->given, d->ngiven);
    d->given = NULL;
    d->ngiven = 0;
    int rc = d->sim->wait(d->sim->ud, e, task_id, r);
    if (rc)
        return rc;
    if (d->ask && *task_id < d->ntasks)
        ask(d, d->task_node[*task_id], r);
    /* A set: step that the scenario answers ok sets its variables, as the
     * real builtin would; what an exec step's ::set or a body_match would
     * set is unknown here. */
    for (uint32_t i = 0; i < d->nsets; i++) {
        if (d->sets[i].task != *task_id)
            continue;
        if (r->answer == FZ_ANSWER_OK && !r->nvars) {
            d->given = d->sets[i].kvs;
            d->ngiven = d->sets[i].n;
            r->vars = d->given;
            r->nvars = d->ngiven;
        } else {
            free_kvs(d->sets[i].kvs, d->sets[i].n);
        }
        d->sets[i] = d->sets[--d->nsets];
        break;
    }
    return 0;
}

/* --ask: at a decision (two or more labelled outgoing edges), asks which
 * edge to take, or `error`; the scenario's answer stands at end of input. */
static void ask(dry *d, uint32_t node, fz_result *r)
{
    uint32_t n = 0, labelled = 0;
    const uint32_t *out = fz_graph_out(d->g, node, &n);
    for (uint32_t i = 0; i < n; i++)
        labelled += fz_graph_edge(d->g, out[i])->label.len > 0;
    if (labelled < 2)
        return;
    fflush(d->out);
    for (;;) {
        const fz_node *nd = fz_graph_node(d->g, node);
        fprintf(stderr, "  ? %.*s: ", (int)nd->id.len, fz_graph_text(d->g, nd->id));
        for (uint32_t i = 0; i < n; i++) {
            const fz_edge *ed = fz_graph_edge(d->g, out[i]);
            if (!ed->label.len)
                continue;
            fprintf(stderr, "%u) ", i + 1);
            fz_term_put(stderr, fz_graph_text(d->g, ed->label), ed->label.len, 0);
            fputs("  ", stderr);
        }
        fputs("e) error  [Enter: the scenario's answer] ", stderr);
        char line[512];
        if (!fgets(line, sizeof(line), stdin)) {
            d->ask = 0;
            fputs("\n  (end of input: the scenario answers from now on)\n", stderr);
            return;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            return;
        if (!strcmp(line, "e") || !strcmp(line, "error")) {
            r->answer = FZ_ANSWER_ERROR;
            r->outcome = NULL;
            r->outcome_edge = 0;
            r->reason = "answered error at the prompt";
            return;
        }
        char *end = NULL;
        unsigned long k = strtoul(line, &end, 10);
        if (*end == '\0' && k >= 1 && k <= n && fz_graph_edge(d->g, out[k - 1])->label.len) {
            const fz_edge *ed = fz_graph_edge(d->g, out[k - 1]);
            snprintf(d->answer, sizeof(d->answer), "%.*s", (int)ed->label.len,
                     fz_graph_text(d->g, ed->label));
            r->answer = FZ_ANSWER_OK;
            r->outcome = d->answer;
            r->outcome_edge = fz_engine_outcome_edge(d->g, node, d->answer);
            r->reason = NULL;
            return;
        }
        fputs("  (a number from the list, e, or Enter)\n", stderr);
    }
}

static void dry_cancel(void *ud, fz_engine *e)
{
    dry *d = ud;
    d->sim->cancel_all(d->sim->ud, e);
}

static void on_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    dry *d = ud;
    (void)t_ns;
    const fz_node *nd = fz_graph_node(d->g, t->node);
    char ib[64];
    fprintf(d->out, "   -> %s %s",
            fz_term_esc(ib, sizeof(ib), fz_graph_text(d->g, nd->id), nd->id.len),
            fz_answer_name(r->answer));
    if (r->outcome) {
        fputs(" (", d->out);
        put_text(d, r->outcome);
        fputc(')', d->out);
    }
    if (r->reason) {
        fputs(": ", d->out);
        put_text(d, r->reason);
    }
    fputc('\n', d->out);
}

static int load_scenario(const fz_dry_opts *o, const fz_graph *g, fz_scenario_file **f,
                         fz_scenario **s)
{
    fz_diags dg;
    fz_diags_init(&dg, NULL);
    int rc = o->faults ? fz_scenario_load(o->faults, NULL, &dg, f)
                       : fz_scenario_parse("(no --faults)", "", 0, NULL, &dg, f);
    int st = FZ_EXIT_OK;
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("run --dry-run: cannot read '%s': %s", o->faults, fz_strerror(rc));
        st = FZ_EXIT_IO;
    } else if (rc || dg.errors) {
        fz_cli_error("run --dry-run: '%s': %u error%s (flowzap sim shows them)", o->faults,
                     dg.errors, dg.errors == 1 ? "" : "s");
        st = FZ_EXIT_INVALID;
    }
    uint32_t idx = 0;
    if (!st && o->scenario && (idx = fz_scenario_find(*f, o->scenario)) == FZ_NONE) {
        fz_cli_error("run --dry-run: %s has no scenario '%s'",
                     o->faults ? o->faults : "(no --faults)", o->scenario);
        st = FZ_EXIT_INVALID;
    }
    fz_diags_fini(&dg);
    if (st)
        return st;
    fz_diags_init(&dg, NULL);
    rc = fz_scenario_compile(*f, idx, g, NULL, &dg, s);
    fz_diags_fini(&dg);
    if (rc) {
        fz_cli_error("run --dry-run: scenario: %s", fz_strerror(rc));
        return rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
    }
    return FZ_EXIT_OK;
}

int fz_cli_dry_run(const fz_graph *g, const fz_bind *b, const fz_dry_opts *o)
{
    dry d;
    memset(&d, 0, sizeof(d));
    d.g = g;
    d.b = b;
    d.out = stdout;
    d.ask = o->ask;
    fz_scenario_file *f = NULL;
    fz_scenario *s = NULL;
    fz_plan *plan = NULL;
    fz_backend_sim *sb = NULL;
    const char **hidden = calloc(fz_bind_secret_count(b) + o->nsecrets + 1, sizeof(char *));
    char **names = calloc(o->nsecrets + 1, sizeof(char *));
    int st = FZ_EXIT_OK, rc;
    if (!hidden || !names || fz_secrets_new(NULL, &d.sec)) {
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    d.hidden = hidden;
    /* Secrets: environment and file sources are read (to mask their values
     * anywhere); a command source is not run, its ${NAME} shows as ***. */
    char err[512];
    for (uint32_t i = 0; i < fz_bind_secret_count(b); i++) {
        const fz_secret_spec *sp = fz_bind_secret_at(b, i);
        if (sp->kind == FZ_SECRET_COMMAND || fz_secrets_read(d.sec, sp, err, sizeof err))
            hidden[d.nhidden++] = sp->name;
    }
    for (uint32_t i = 0; i < o->nsecrets; i++) {
        const char *eq = strchr(o->secrets[i], '=');
        names[i] = eq ? strndup(o->secrets[i], (size_t)(eq - o->secrets[i])) : NULL;
        fz_secret_spec sp = {.name = names[i], .kind = FZ_SECRET_ENV, .arg = eq ? eq + 1 : ""};
        if (names[i] && fz_secrets_read(d.sec, &sp, err, sizeof err))
            hidden[d.nhidden++] = names[i];
    }
    if ((st = load_scenario(o, g, &f, &s)))
        goto out;
    uint32_t *starts = calloc(o->nstarts + 1, sizeof(uint32_t));
    for (uint32_t i = 0; starts && i < o->nstarts; i++)
        if ((starts[i] = fz_graph_find_node(g, o->starts[i], strlen(o->starts[i]))) == FZ_NONE) {
            fz_cli_error("run: --start %s: %s has no node with that id", o->starts[i], g->path);
            free(starts);
            st = FZ_EXIT_USAGE;
            goto out;
        }
    fz_plan_opts po = {starts, o->nstarts, o->max_steps};
    rc = starts ? fz_plan_new(g, &po, NULL, &plan) : FZ_ENOMEM;
    free(starts);
    if (rc || fz_engine_new(plan, NULL, &d.e) || fz_backend_sim_new(s, NULL, &sb)) {
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    /* The scenario's policies, then the bindings' (what the real run uses). */
    fz_sim_apply(s, plan);
    fz_bind_apply_policies(b, plan);
    fz_backend_sim_reset(sb, o->seed, 0);
    d.sim = fz_backend_sim_backend(sb);
    rc = fz_engine_start(d.e);
    for (uint32_t i = 0; !rc && i < fz_bind_var_count(b); i++)
        rc = fz_engine_set_var(d.e, fz_bind_var_at(b, i).key, fz_bind_var_at(b, i).value);
    for (uint32_t i = 0; !rc && i < o->nsets; i++) {
        char key[256];
        const char *eq = strchr(o->sets[i], '=');
        snprintf(key, sizeof(key), "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
        rc = fz_engine_set_var(d.e, key, eq + 1);
    }
    for (uint32_t i = 0; !rc && i < fz_secrets_count(d.sec); i++)
        rc = fz_engine_set_var(d.e, fz_secrets_name_at(d.sec, i), fz_secrets_value_at(d.sec, i));
    if (rc) {
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    fz_observer obs = {NULL, on_finish, NULL, NULL, NULL, NULL, &d};
    fz_engine_set_observer(d.e, &obs);
    fz_backend be = {"dry-run", dry_now, dry_start, dry_wait, dry_cancel, &d, NULL};
    fprintf(d.out, "flowzap: dry run of ");
    put_text(&d, g->path);
    fprintf(d.out, " (scenario %s, seed %llu): nothing is executed\n",
            o->scenario ? o->scenario : "default", (unsigned long long)o->seed);
    rc = fz_engine_drive(d.e, &be);
    if (rc || d.oom) {
        fz_cli_error("run --dry-run: %s", fz_strerror(rc ? rc : FZ_ENOMEM));
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    const char *oc = fz_engine_outcome(d.e);
    int done = fz_engine_state(d.e) == FZ_RUN_COMPLETED;
    fprintf(d.out, "flowzap: dry run %s: ", done ? "completed" : "failed");
    put_text(&d, oc ? oc : "?");
    fprintf(d.out, " (%u steps)\n", fz_engine_steps(d.e));
    if (d.unknown)
        fprintf(d.out,
                "flowzap: note: %u ${NAME} reference%s not set at %s step (shown as written): "
                "a ::set or body_match of an earlier step would set %s in a real run\n",
                d.unknown, d.unknown == 1 ? " was" : "s were", d.unknown == 1 ? "its" : "their",
                d.unknown == 1 ? "it" : "them");
    st = done ? FZ_EXIT_OK : FZ_EXIT_RUN_FAILED;
out:
    free_kvs(d.given, d.ngiven);
    for (uint32_t i = 0; i < d.nsets; i++)
        free_kvs(d.sets[i].kvs, d.sets[i].n);
    free(d.sets);
    free(d.task_node);
    fz_engine_free(d.e);
    fz_backend_sim_free(sb);
    fz_plan_free(plan);
    fz_scenario_free(s);
    fz_scenario_file_free(f);
    fz_secrets_free(d.sec);
    for (uint32_t i = 0; names && i < o->nsecrets; i++)
        free(names[i]);
    free(names);
    free(hidden);
    return st;
}
