/* SPDX-License-Identifier: MIT */
/*
 * pages.c - the HTML of `flowzap serve`'s pages and the JSON of their live
 * updates. Every text from a workflow, the journal or a request goes
 * through fz_html_escape (buf.h); the pictures are render/'s SVG, whose
 * labels Graphviz has already written as XML text.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/alloc.h"
#include "core/diag.h"
#include "core/status.h"
#include "parser/lint.h"
#include "parser/parser.h"
#include "render/render.h"
#include "serve/serve_int.h"

/* ORDER ST (and STATES in assets.c) */
enum { ST_NONE, ST_DONE, ST_FAILED, ST_RUNNING, ST_WAITING, ST_INTERRUPTED };
static const char *const state_names[] = {"none",    "done",    "failed",
                                          "running", "waiting", "interrupted"};

/*==========================================================================
 * Frame
 *========================================================================*/

static void head(fz_serve *s, fz_hbuf *b, const char *title, const char *events)
{
    fz_hbuf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    fz_html_puts(b, title);
    fz_hbuf_puts(b, " - flowzap</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
                    "<script src=\"/static/app.js\" defer></script></head>\n<body");
    if (events) {
        fz_hbuf_puts(b, " data-events=\"");
        fz_html_puts(b, events);
        fz_hbuf_puts(b, "\"");
    }
    fz_hbuf_puts(b, "><header><nav><a href=\"/\">Runs</a>");
    for (uint32_t i = 0; i < s->nfiles; i++) {
        const char *p = s->files[i].path, *base = strrchr(p, '/');
        fz_hbuf_printf(b, " <a href=\"/wf/%u\">", i);
        fz_html_puts(b, base ? base + 1 : p);
        fz_hbuf_puts(b, "</a>");
    }
    if (s->sim)
        fz_hbuf_puts(b, " <a href=\"/sim\">Simulation</a>");
    fz_hbuf_puts(b, "</nav><span id=\"live\" class=\"live\"></span></header>\n<main>\n");
}

static void foot(fz_hbuf *b)
{
    fz_hbuf_puts(b, "</main></body></html>\n");
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS.mmmZ"; -1 when not one. */
static double iso_time(const char *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

static void put_duration(fz_hbuf *b, double secs)
{
    if (secs < 0)
        fz_hbuf_puts(b, "-");
    else if (secs < 60)
        fz_hbuf_printf(b, "%.3fs", secs);
    else if (secs < 3600)
        fz_hbuf_printf(b, "%dm%02ds", (int)secs / 60, (int)secs % 60);
    else
        fz_hbuf_printf(b, "%dh%02dm", (int)secs / 3600, (int)secs % 3600 / 60);
}

/* A finished run's duration; a running one shows "running" (a live page
 * changes only when the journal does). */
static void put_run_duration(fz_hbuf *b, const char *created, const char *finished)
{
    double a = iso_time(created), z = iso_time(finished);
    if (!finished)
        fz_hbuf_puts(b, "running");
    else
        put_duration(b, a >= 0 && z >= a ? z - a : -1);
}

/*==========================================================================
 * Runs
 *========================================================================*/

typedef struct runs_ctx {
    fz_hbuf *b;
    const char *wf, *state;
    uint32_t shown;
    json_t *workflows; /* distinct workflow paths, for the filter */
} runs_ctx;

/* The state a page shows for r, as `flowzap runs` does: a run stored as
 * running whose owner on this machine is gone (fz_journal_run_owner_gone)
 * is "interrupted (owner gone)". *cls receives the state's word for the
 * CSS class and the State filter: the stored state, or interrupted for
 * such a run (as `runs --json` says). */
static const char *shown_state(const fz_journal_run *r, const char **cls)
{
    if (fz_journal_run_owner_gone(r)) {
        *cls = FZ_JOURNAL_INTERRUPTED;
        return FZ_JOURNAL_OWNER_GONE;
    }
    *cls = r->state;
    return r->state;
}

static int run_row(void *ud, const fz_journal_run *r)
{
    runs_ctx *c = ud;
    if (c->workflows && !json_object_get(c->workflows, r->workflow))
        json_object_set_new(c->workflows, r->workflow, json_true());
    if (!c->b)
        return 0;
    if (c->wf && *c->wf && strcmp(c->wf, r->workflow) != 0)
        return 0;
    const char *cls, *shown = shown_state(r, &cls);
    if (c->state && *c->state && strcmp(c->state, cls) != 0)
        return 0;
    fz_hbuf *b = c->b;
    c->shown++;
    fz_hbuf_printf(b, "<tr class=\"run state-");
    fz_html_puts(b, cls);
    fz_hbuf_printf(b, "\"><td><a href=\"/run/%lld\">%lld</a></td><td class=\"state\">",
                   (long long)r->id, (long long)r->id);
    fz_html_puts(b, shown);
    fz_hbuf_puts(b, "</td><td>");
    fz_html_puts(b, r->outcome ? r->outcome : "");
    fz_hbuf_puts(b, "</td><td>");
    fz_html_puts(b, r->created_at);
    fz_hbuf_puts(b, "</td><td>");
    put_run_duration(b, r->created_at, r->finished_at);
    fz_hbuf_printf(b, "</td><td>%u</td><td class=\"path\">", r->steps);
    fz_html_puts(b, r->workflow);
    fz_hbuf_puts(b, "</td></tr>\n");
    return 0;
}

void fz__serve_runs_rows(fz_serve *s, fz_hbuf *b, const char *wf, const char *state)
{
    runs_ctx c = {.b = b, .wf = wf, .state = state};
    if (fz__serve_journal(s))
        fz_journal_run_list(s->j, 500, run_row, &c);
    if (c.shown == 0)
        fz_hbuf_puts(b, "<tr><td colspan=\"7\" class=\"empty\">no runs recorded</td></tr>\n");
}

static void put_option(fz_hbuf *b, const char *value, const char *text, const char *sel)
{
    fz_hbuf_puts(b, "<option value=\"");
    fz_html_puts(b, value);
    fz_hbuf_puts(b, sel && !strcmp(sel, value) ? "\" selected>" : "\">");
    fz_html_puts(b, text);
    fz_hbuf_puts(b, "</option>");
}

/* The events URL of a page, its parameters percent-encoded. */
static void put_url_arg(fz_hbuf *b, const char *name, const char *v)
{
    if (!v || !*v)
        return;
    fz_hbuf_printf(b, "&%s=", name);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '/')
            fz_hbuf_add(b, (const char *)p, 1);
        else
            fz_hbuf_printf(b, "%%%02X", *p);
    }
}

void fz__serve_page_runs(fz_serve *s, fz_hbuf *b, const char *wf, const char *state)
{
    fz_hbuf ev;
    fz_hbuf_init(&ev, s->a);
    fz_hbuf_puts(&ev, "/events?topic=runs");
    put_url_arg(&ev, "wf", wf);
    put_url_arg(&ev, "state", state);
    head(s, b, "Runs", ev.p);
    fz_hbuf_fini(&ev);
    runs_ctx all = {.workflows = json_object()};
    if (fz__serve_journal(s))
        fz_journal_run_list(s->j, 500, run_row, &all);
    fz_hbuf_puts(b, "<h1>Runs</h1>\n<form method=\"get\" action=\"/\" class=\"filter\">"
                    "<label>Workflow <select name=\"wf\">");
    put_option(b, "", "all", wf);
    const char *key;
    json_t *v;
    json_object_foreach(all.workflows, key, v) put_option(b, key, key, wf);
    json_decref(all.workflows);
    fz_hbuf_puts(b, "</select></label> <label>State <select name=\"state\">");
    static const char *const states[] = {"",
                                         FZ_JOURNAL_RUNNING,
                                         FZ_JOURNAL_COMPLETED,
                                         FZ_JOURNAL_FAILED,
                                         FZ_JOURNAL_INTERRUPTED,
                                         FZ_JOURNAL_QUEUED};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        put_option(b, states[i], i ? states[i] : "all", state);
    fz_hbuf_puts(b, "</select></label> <button>Filter</button></form>\n");
    if (!s->j) {
        char where[512]; /* a PostgreSQL password masked */
        fz_journal_location_mask(s->db, where, sizeof where);
        fz_hbuf_puts(b, "<p class=\"note\">No journal at ");
        fz_html_puts(b, where);
        fz_hbuf_puts(b, " yet; runs appear here when one is recorded.</p>\n");
    }
    fz_hbuf_puts(b, "<table class=\"runs\"><thead><tr><th>Run</th><th>State</th><th>Outcome</th>"
                    "<th>Started (UTC)</th><th>Duration</th><th>Steps</th><th>Workflow</th>"
                    "</tr></thead><tbody id=\"runs-body\">\n");
    fz__serve_runs_rows(s, b, wf, state);
    fz_hbuf_puts(b, "</tbody></table>\n");
    foot(b);
}

/* o as compact JSON in an s->a string (fz__serve_strfree), or NULL; takes o. */
static char *event_json(fz_serve *s, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    char *copy = fz__serve_strdup(s, text);
    free(text); /* raw-alloc: json_dumps' buffer (jansson's allocator) */
    return copy;
}

static void set_html(json_t *html, const char *key, fz_hbuf *b)
{
    json_object_set_new(html, key, json_stringn(b->p ? b->p : "", b->len));
}

char *fz__serve_runs_event(fz_serve *s, const char *wf, const char *state)
{
    fz_hbuf b;
    fz_hbuf_init(&b, s->a);
    fz__serve_runs_rows(s, &b, wf, state);
    json_t *o = json_object(), *html = json_object();
    set_html(html, "runs-body", &b);
    json_object_set_new(o, "html", html);
    fz_hbuf_fini(&b);
    return event_json(s, o);
}

/*==========================================================================
 * Pictures
 *========================================================================*/

/* The <svg> element of a drawing of g with overlay ov (NULL: none), no
 * XML prolog, as an s->a string; NULL with a message in err. */
static char *draw(fz_serve *s, const fz_graph *g, const fz_overlay *ov, char *err, size_t errsz)
{
    fz_render_opts o = {.format = FZ_RENDER_SVG, .overlay = ov};
    char *out = NULL;
    size_t len = 0;
    if (fz_render(g, &o, s->a, &out, &len, err, errsz))
        return NULL;
    char *svg = fz__serve_strdup(s, strstr(out, "<svg"));
    fz_free(s->a, out, len + 1);
    return svg;
}

static int same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static struct timespec mtime_of(const char *path)
{
    struct stat st;
    struct timespec z = {0, 0};
    if (!path || stat(path, &st))
        return z;
    return st.st_mtim;
}

static void cached_clear(fz_serve *s, fz_serve_cached *c)
{
    fz__serve_strfree(s, c->workflow);
    fz__serve_strfree(s, c->bindings);
    fz_graph_free(c->g);
    fz_bind_free(c->b);
    fz__serve_strfree(s, c->svg);
    memset(c, 0, sizeof *c);
}

void fz__serve_cache_free(fz_serve *s)
{
    for (int i = 0; i < FZ_SERVE_CACHE; i++)
        cached_clear(s, &s->cache[i]);
}

/* The parsed, bound and drawn workflow of a run (NULL when it no longer
 * parses). Kept while the files keep their modification times. */
static fz_serve_cached *cached(fz_serve *s, const char *workflow, const char *bindings)
{
    struct timespec wm = mtime_of(workflow), bm = mtime_of(bindings);
    fz_serve_cached *slot = &s->cache[0];
    s->tick++;
    for (int i = 0; i < FZ_SERVE_CACHE; i++) {
        fz_serve_cached *c = &s->cache[i];
        if (c->workflow && !strcmp(c->workflow, workflow) &&
            ((!c->bindings && !bindings) ||
             (c->bindings && bindings && !strcmp(c->bindings, bindings)))) {
            if (same_time(c->wf_mtime, wm) && same_time(c->b_mtime, bm)) {
                c->used = s->tick;
                return c->g ? c : NULL;
            }
            slot = c;
            break;
        }
        if (c->used < slot->used)
            slot = c;
    }
    cached_clear(s, slot);
    slot->workflow = fz__serve_strdup(s, workflow);
    slot->bindings = fz__serve_strdup(s, bindings);
    if (!slot->workflow || (bindings && !slot->bindings)) {
        cached_clear(s, slot);
        return NULL;
    }
    slot->wf_mtime = wm;
    slot->b_mtime = bm;
    slot->used = s->tick;
    fz_diags d;
    fz_diags_init(&d, s->a);
    fz_graph *g = NULL;
    if (fz_parse_file(workflow, s->a, &d, &g) == 0 && g && !d.errors) {
        char err[256];
        slot->g = g;
        slot->svg = draw(s, g, NULL, err, sizeof err);
        fz_journal_hash(g->src, g->src_len, slot->hash);
        if (bindings) {
            fz_diags bd;
            fz_diags_init(&bd, s->a);
            uint32_t unbound = 0;
            if (fz_bind_load_file(bindings, s->a, &bd, &slot->b) || !slot->b ||
                fz_bind_resolve(slot->b, g, &unbound)) {
                fz_bind_free(slot->b);
                slot->b = NULL;
            }
            fz_diags_fini(&bd);
        }
    } else {
        fz_graph_free(g);
    }
    fz_diags_fini(&d);
    return slot->g ? slot : NULL;
}

/* The approval prompt of node in c, or NULL when it is not a gate. */
static const char *gate_prompt(const fz_serve_cached *c, uint32_t node)
{
    if (!c || !c->b || node >= fz_graph_node_count(c->g))
        return NULL;
    uint32_t rule = fz_bind_node_rule(c->b, node);
    if (rule == FZ_NONE)
        return NULL;
    fz_rule_info info;
    fz_bind_rule_info(c->b, rule, &info);
    if (!info.handler || strcmp(info.handler, "approval"))
        return NULL;
    return info.text ? info.text : "";
}

/*==========================================================================
 * A run
 *========================================================================*/

typedef struct run_view {
    fz_serve *s;
    int64_t id;
    const char *csrf;
    fz_serve_cached *c;
    uint8_t *state; /* per node, ST_* */
    uint32_t nnodes;
    fz_hbuf info, gates, steps, signals;
    json_t *pending; /* node id -> answer given, not taken yet */
    uint32_t nsteps;
    int stopped; /* no process runs the run (interrupted, or its owner gone) */
} run_view;

static void put_block(fz_hbuf *b, const char *name, const char *p, size_t n)
{
    if (!p || !n)
        return;
    fz_hbuf_printf(b, "<details><summary>%s (%zu bytes)</summary><pre>", name, n);
    fz_html_escape(b, p, n);
    fz_hbuf_puts(b, "</pre></details>");
}

static int step_row(void *ud, const fz_journal_step *st)
{
    run_view *v = ud;
    fz_hbuf *b = &v->steps;
    v->nsteps++;
    const char *prompt = st->finished ? NULL : gate_prompt(v->c, st->node_index);
    /* A step of another lane (PostgreSQL): which worker runs it, as
     * `runs show` says (docs/scale.md, "Lanes as placement"). */
    char who[256];
    int where = st->finished || prompt
                    ? 0
                    : fz_journal_step_queued(v->s->j, v->id, st->task, who, sizeof who);
    if (where != 1 && where != 2)
        where = 0;
    /* In flight in a run no process runs: nothing runs it or waits at it
     * until the run is resumed (a step in the step queue excepted: a
     * worker of its lane runs it). */
    uint8_t state =
        st->finished ? (st->answer == FZ_ANSWER_ERROR || st->answer == FZ_ANSWER_TIMEOUT ? ST_FAILED
                                                                                         : ST_DONE)
        : v->stopped && !where ? ST_INTERRUPTED
        : prompt               ? ST_WAITING
                               : ST_RUNNING;
    if (v->state && st->node_index < v->nnodes)
        v->state[st->node_index] = state;
    fz_hbuf_printf(b, "<tr class=\"step st-%s\"><td>%u</td><td>", state_names[state], st->task);
    fz_html_puts(b, st->node);
    fz_hbuf_puts(b, "</td><td>");
    fz_html_puts(b, st->lane ? st->lane : "-");
    fz_hbuf_puts(b, "</td><td>");
    fz_html_puts(b, st->label);
    fz_hbuf_printf(b, "</td><td>%u</td><td>", st->attempt);
    if (where) {
        fz_hbuf_puts(b, where == 1 ? "in flight, waiting for a worker of lane "
                                   : "in flight, running on worker ");
        fz_html_puts(b, where == 1 ? (st->lane ? st->lane : "-") : who);
        if (where == 2) {
            fz_hbuf_puts(b, " (lane ");
            fz_html_puts(b, st->lane ? st->lane : "-");
            fz_hbuf_puts(b, ")");
        }
    } else if (state == ST_INTERRUPTED)
        fz_hbuf_puts(b, prompt ? "interrupted; the gate waits again when the run is resumed"
                               : "interrupted; runs again when the run is resumed");
    else
        fz_hbuf_puts(b, st->finished ? fz_answer_name(st->answer)
                                     : (prompt ? "waiting for approval" : "in flight"));
    fz_hbuf_puts(b, "</td><td>");
    if (st->has_exit_code)
        fz_hbuf_printf(b, "%d", st->exit_code);
    else
        fz_hbuf_puts(b, "-");
    fz_hbuf_puts(b, "</td><td>");
    put_duration(b, st->duration_ns >= 0 ? (double)st->duration_ns / 1e9 : -1);
    fz_hbuf_puts(b, "</td><td>");
    fz_html_puts(b, st->outcome);
    if (st->outcome && st->reason)
        fz_hbuf_puts(b, ": ");
    fz_html_puts(b, st->reason);
    fz_hbuf_puts(b, "</td><td>");
    if (st->vars && strcmp(st->vars, "{}"))
        fz_html_puts(b, st->vars);
    fz_hbuf_puts(b, "</td><td class=\"output\">");
    put_block(b, "stdout", st->out, st->out_len);
    put_block(b, "stderr", st->err, st->err_len);
    fz_hbuf_puts(b, "</td></tr>\n");

    if (prompt) {
        fz_hbuf *g = &v->gates;
        fz_hbuf_puts(g, "<div class=\"gate\"><p><strong>");
        fz_html_puts(g, st->label);
        fz_hbuf_puts(g, "</strong> (");
        fz_html_puts(g, st->node);
        fz_hbuf_puts(g, "): ");
        fz_html_puts(g, *prompt ? prompt : "approve?");
        fz_hbuf_puts(g, "</p>");
        json_t *given = json_object_get(v->pending, st->node);
        if (v->stopped)
            fz_hbuf_printf(g,
                           "<p class=\"note\">No process runs this run now: an answer given "
                           "here is taken when the run is resumed (<code>flowzap resume "
                           "%lld</code>).</p>",
                           (long long)v->id);
        if (given) {
            fz_hbuf_puts(g, "<p class=\"note\">Answered ");
            fz_html_puts(g, json_string_value(given));
            fz_hbuf_puts(g, "; waiting for the run to take the answer.</p>");
        } else {
            fz_hbuf_printf(g, "<form method=\"post\" action=\"/run/%lld/signal\">",
                           (long long)v->id);
            fz_hbuf_puts(g, "<input type=\"hidden\" name=\"csrf\" value=\"");
            fz_html_puts(g, v->csrf);
            fz_hbuf_puts(g, "\"><input type=\"hidden\" name=\"node\" value=\"");
            fz_html_puts(g, st->node);
            fz_hbuf_puts(g, "\"><button name=\"answer\" value=\"yes\" class=\"approve\">Approve"
                            "</button> <button name=\"answer\" value=\"no\" class=\"reject\">"
                            "Reject</button></form>");
        }
        fz_hbuf_puts(g, "</div>\n");
    }
    return 0;
}

static int signal_row(void *ud, const fz_journal_signal *sig)
{
    run_view *v = ud;
    if (!sig->taken)
        json_object_set_new(v->pending, sig->node, json_string(sig->answer));
    fz_hbuf *b = &v->signals;
    fz_hbuf_puts(b, "<li>");
    fz_html_puts(b, sig->answer);
    fz_hbuf_puts(b, " at ");
    fz_html_puts(b, sig->node);
    fz_hbuf_puts(b, ", given ");
    fz_html_puts(b, sig->created_at);
    if (sig->who) {
        fz_hbuf_puts(b, " by ");
        fz_html_puts(b, sig->who);
    }
    if (sig->taken)
        fz_hbuf_printf(b, ", taken by step %u", sig->taken_task);
    else
        fz_hbuf_puts(b, ", not taken yet");
    fz_hbuf_puts(b, "</li>\n");
    return 0;
}

static void view_fini(run_view *v)
{
    fz_hbuf_fini(&v->info);
    fz_hbuf_fini(&v->gates);
    fz_hbuf_fini(&v->steps);
    fz_hbuf_fini(&v->signals);
    json_decref(v->pending);
    if (v->state)
        fz_free(v->s->a, v->state, v->nnodes ? v->nnodes : 1);
}

/* Reads run id into v; 0, or -1 when there is no such run. */
static int view_run(fz_serve *s, int64_t id, const char *csrf, run_view *v, char **wf_out)
{
    memset(v, 0, sizeof *v);
    v->s = s;
    v->id = id;
    v->csrf = csrf ? csrf : "";
    v->pending = json_object();
    fz_hbuf_init(&v->info, s->a);
    fz_hbuf_init(&v->gates, s->a);
    fz_hbuf_init(&v->steps, s->a);
    fz_hbuf_init(&v->signals, s->a);
    fz_journal_run r;
    if (!fz__serve_journal(s) || fz_journal_run_get(s->j, id, &r))
        return -1;
    /* The run's strings live until the next journal call: copy them. */
    char *wf = fz__serve_strdup(s, r.workflow), *bd = fz__serve_strdup(s, r.bindings);
    char hash[FZ_JOURNAL_HASH_LEN];
    snprintf(hash, sizeof hash, "%s", r.workflow_hash ? r.workflow_hash : "");
    fz_hbuf *b = &v->info;
    fz_hbuf_puts(b, "<dt>Workflow</dt><dd class=\"path\">");
    fz_html_puts(b, r.workflow);
    const char *cls, *shown = shown_state(&r, &cls);
    v->stopped = !strcmp(cls, FZ_JOURNAL_INTERRUPTED);
    fz_hbuf_puts(b, "</dd><dt>State</dt><dd class=\"state state-");
    fz_html_puts(b, cls);
    fz_hbuf_puts(b, "\" id=\"run-state\">");
    fz_html_puts(b, shown);
    if (shown != r.state)
        fz_hbuf_printf(b,
                       "</dd><dt>Process</dt><dd class=\"note\">%lld, no longer running; "
                       "<code>flowzap resume %lld</code> continues the run",
                       (long long)r.pid, (long long)r.id);
    fz_hbuf_puts(b, "</dd><dt>Outcome</dt><dd>");
    fz_html_puts(b, r.outcome ? r.outcome : "-");
    fz_hbuf_puts(b, "</dd><dt>Started (UTC)</dt><dd>");
    fz_html_puts(b, r.created_at);
    fz_hbuf_puts(b, "</dd><dt>Duration</dt><dd>");
    put_run_duration(b, r.created_at, r.finished_at);
    fz_hbuf_printf(b, "</dd><dt>Steps</dt><dd>%u finished, %u in flight</dd>", r.steps,
                   r.in_flight);
    v->c = wf ? cached(s, wf, bd) : NULL;
    if (v->c && strcmp(v->c->hash, hash))
        fz_hbuf_puts(b, "<dt>Picture</dt><dd class=\"note\">the workflow file changed since this "
                        "run; the diagram is the file as it is now</dd>");
    if (v->c) {
        v->nnodes = fz_graph_node_count(v->c->g);
        v->state = fz_calloc(s->a, v->nnodes ? v->nnodes : 1, 1);
    }
    fz_journal_signal_list(s->j, id, signal_row, v);
    fz_journal_step_list(s->j, id, 0, step_row, v);
    if (v->nsteps == 0)
        fz_hbuf_puts(&v->steps, "<tr><td colspan=\"11\" class=\"empty\">no steps yet</td></tr>\n");
    if (!v->signals.len)
        fz_hbuf_puts(&v->signals, "<li class=\"empty\">none</li>\n");
    fz__serve_strfree(s, bd);
    if (wf_out)
        *wf_out = wf;
    else
        fz__serve_strfree(s, wf);
    return 0;
}

/* The node states and taken edges as JSON: {"n1": "done", ...}, ["e1"...]. */
static void view_paint(run_view *v, json_t *o)
{
    json_t *nodes = json_object(), *edges = json_array();
    const fz_graph *g = v->c ? v->c->g : NULL;
    for (uint32_t i = 0; g && i < v->nnodes; i++) {
        const fz_node *n = &FZ_VEC_AT(&g->nodes, fz_node, i);
        char id[256];
        snprintf(id, sizeof id, "%.*s", (int)n->id.len, fz_graph_text(g, n->id));
        json_object_set_new(nodes, id, json_string(state_names[v->state[i]]));
    }
    /* An edge counts as taken when its source finished and its target was
     * reached (the journal records steps, not edges). */
    for (uint32_t i = 0; g && i < g->edges.len; i++) {
        const fz_edge *e = &FZ_VEC_AT(&g->edges, fz_edge, i);
        if (e->src < v->nnodes && e->dst < v->nnodes &&
            (v->state[e->src] == ST_DONE || v->state[e->src] == ST_FAILED) &&
            v->state[e->dst] != ST_NONE) {
            char id[32];
            snprintf(id, sizeof id, "e%u", i + 1);
            json_array_append_new(edges, json_string(id));
        }
    }
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "edges", edges);
}

/* Writes v's picture with the node states and taken edges as classes of
 * their groups (<g id="n3" class="node ..."> gets "st-done"), so the
 * page is painted as served; the script repaints it on every change. */
static void put_painted(fz_hbuf *b, const run_view *v)
{
    const char *p = v->c->svg;
    const fz_graph *g = v->c->g;
    static const char open[] = "<g id=\"";
    for (const char *q; (q = strstr(p, open)) != NULL;) {
        const char *id = q + sizeof open - 1;
        const char *end = strchr(id, '"');
        if (!end)
            break;
        fz_hbuf_add(b, p, (size_t)(end - p));
        p = end;
        size_t n = (size_t)(end - id);
        if (!strncmp(end, "\" class=\"node ", 14)) {
            uint32_t i = fz_graph_find_node(g, id, n);
            if (i != FZ_NONE && i < v->nnodes) {
                fz_hbuf_printf(b, "\" class=\"st-%s node ", state_names[v->state[i]]);
                p = end + 14;
            }
        } else if (!strncmp(end, "\" class=\"edge ", 14) && n > 1 && id[0] == 'e') {
            char *stop = NULL;
            unsigned long e = strtoul(id + 1, &stop, 10);
            if (stop == end && e >= 1 && e <= g->edges.len) {
                const fz_edge *ed = &FZ_VEC_AT(&g->edges, fz_edge, e - 1);
                if (ed->src < v->nnodes && ed->dst < v->nnodes &&
                    (v->state[ed->src] == ST_DONE || v->state[ed->src] == ST_FAILED) &&
                    v->state[ed->dst] != ST_NONE) {
                    fz_hbuf_puts(b, "\" class=\"taken edge ");
                    p = end + 14;
                }
            }
        }
    }
    fz_hbuf_puts(b, p);
}

int fz__serve_page_run(fz_serve *s, fz_hbuf *b, int64_t id, const char *csrf)
{
    run_view v;
    char *wf = NULL;
    if (view_run(s, id, csrf, &v, &wf)) {
        view_fini(&v);
        return 404;
    }
    char title[64], events[96];
    snprintf(title, sizeof title, "Run %lld", (long long)id);
    snprintf(events, sizeof events, "/events?topic=run&id=%lld", (long long)id);
    head(s, b, title, events);
    fz_hbuf_printf(b, "<h1>Run %lld</h1>\n<dl class=\"info\" id=\"run-info\">", (long long)id);
    fz_hbuf_add(b, v.info.p, v.info.len);
    fz_hbuf_puts(b, "</dl>\n<section id=\"gates\" class=\"gates\">");
    fz_hbuf_add(b, v.gates.p ? v.gates.p : "", v.gates.len);
    fz_hbuf_puts(b, "</section>\n<div id=\"diagram\" class=\"diagram run\">");
    if (v.c && v.c->svg)
        put_painted(b, &v);
    else {
        fz_hbuf_puts(b, "<p class=\"note\">The workflow ");
        fz_html_puts(b, wf);
        fz_hbuf_puts(b, " cannot be drawn now (moved, or no longer valid).</p>");
    }
    fz_hbuf_puts(b, "</div>\n<p class=\"legend\"><span class=\"k st-done\">done</span> "
                    "<span class=\"k st-running\">running</span> <span class=\"k st-waiting\">"
                    "waiting at a gate</span> <span class=\"k st-failed\">failed</span> "
                    "<span class=\"k st-interrupted\">interrupted</span> "
                    "<span class=\"k st-none\">not reached</span></p>\n");
    /* The picture painted before any script runs (the script repaints it on
     * every change): the states as data the script reads. */
    json_t *o = json_object();
    view_paint(&v, o);
    char *paint = event_json(s, o);
    fz_hbuf_puts(b, "<div id=\"paint\" hidden data-paint=\"");
    fz_html_puts(b, paint);
    fz_hbuf_puts(b, "\"></div>\n");
    fz__serve_strfree(s, paint);
    fz_hbuf_puts(b, "<h2>Steps</h2>\n<table class=\"steps\"><thead><tr><th>Task</th><th>Node</th>"
                    "<th>Lane</th><th>Label</th><th>Attempt</th><th>Answer</th><th>Exit</th>"
                    "<th>Duration</th><th>Outcome</th><th>Variables set</th><th>Output</th></tr>"
                    "</thead><tbody id=\"steps-body\">\n");
    fz_hbuf_add(b, v.steps.p, v.steps.len);
    fz_hbuf_puts(b, "</tbody></table>\n<h2>Answers</h2>\n<ul id=\"signals\">");
    fz_hbuf_add(b, v.signals.p, v.signals.len);
    fz_hbuf_puts(b, "</ul>\n");
    foot(b);
    fz__serve_strfree(s, wf);
    view_fini(&v);
    return 200;
}

char *fz__serve_run_event(fz_serve *s, int64_t id, const char *csrf)
{
    run_view v;
    if (view_run(s, id, csrf, &v, NULL)) {
        view_fini(&v);
        return NULL;
    }
    json_t *o = json_object(), *html = json_object();
    set_html(html, "run-info", &v.info);
    set_html(html, "gates", &v.gates);
    set_html(html, "steps-body", &v.steps);
    set_html(html, "signals", &v.signals);
    json_object_set_new(o, "html", html);
    view_paint(&v, o);
    view_fini(&v);
    return event_json(s, o);
}

/*==========================================================================
 * A workflow file
 *========================================================================*/

/* Parses, checks and draws file idx: the diagnostics as HTML into d, the
 * picture (kept as the file's last good one) when it has no errors.
 * Returns 1 when a new picture was drawn. */
static int check_file(fz_serve *s, uint32_t idx, fz_hbuf *d)
{
    fz_serve_file *f = &s->files[idx];
    fz_diags diags;
    fz_diags_init(&diags, s->a);
    fz_graph *g = NULL;
    int rc = fz_parse_file(f->path, s->a, &diags, &g), drawn = 0;
    if (rc == FZ_ENOENT || rc == FZ_EIO || !g) {
        fz_hbuf_puts(d, "<li class=\"error\">cannot read ");
        fz_html_puts(d, f->path);
        fz_hbuf_puts(d, "</li>\n");
        goto out;
    }
    if (!diags.errors) {
        fz_lint(g, &diags);
        char err[256];
        char *svg = draw(s, g, NULL, err, sizeof err);
        if (svg) {
            fz__serve_strfree(s, f->last_svg);
            f->last_svg = svg;
            drawn = 1;
        }
    }
    fz_diags_sort(&diags);
    for (uint32_t i = 0; i < fz_diags_count(&diags); i++) {
        const fz_diag *dg = fz_diags_at(&diags, i);
        uint32_t line = 0, col = 0;
        fz_graph_position(g, dg->offset, &line, &col);
        const char *sev = fz_severity_name(dg->severity);
        fz_hbuf_printf(d, "<li class=\"%s\"><span class=\"where\">", sev);
        fz_html_puts(d, f->path);
        fz_hbuf_printf(d, ":%u:%u</span> <span class=\"sev\">%s</span> <code>", line, col, sev);
        fz_html_puts(d, dg->code);
        fz_hbuf_puts(d, "</code> ");
        fz_html_puts(d, dg->message);
        if (dg->hint) {
            fz_hbuf_puts(d, " <span class=\"hint\">");
            fz_html_puts(d, dg->hint);
            fz_hbuf_puts(d, "</span>");
        }
        fz_hbuf_puts(d, "</li>\n");
    }
    if (!fz_diags_count(&diags))
        fz_hbuf_puts(d, "<li class=\"ok\">no errors, no warnings</li>\n");
out:
    fz_graph_free(g);
    fz_diags_fini(&diags);
    return drawn;
}

int fz__serve_page_workflow(fz_serve *s, fz_hbuf *b, uint32_t idx)
{
    if (idx >= s->nfiles)
        return 404;
    fz_hbuf d;
    fz_hbuf_init(&d, s->a);
    check_file(s, idx, &d);
    char events[64];
    snprintf(events, sizeof events, "/events?topic=wf&id=%u", idx);
    const char *p = s->files[idx].path, *base = strrchr(p, '/');
    head(s, b, base ? base + 1 : p, s->watch ? events : NULL);
    fz_hbuf_puts(b, "<h1>");
    fz_html_puts(b, p);
    fz_hbuf_puts(b, "</h1>\n");
    if (s->watch)
        fz_hbuf_puts(b, "<p class=\"note\">Watching the file: the picture is redrawn when it "
                        "is saved.</p>\n");
    fz_hbuf_puts(b, "<div class=\"split\"><div id=\"diagram\" class=\"diagram\">");
    if (s->files[idx].last_svg)
        fz_hbuf_puts(b, s->files[idx].last_svg);
    fz_hbuf_puts(b, "</div>\n<aside><h2>check</h2><ul id=\"diags\" class=\"diags\">");
    fz_hbuf_add(b, d.p, d.len);
    fz_hbuf_puts(b, "</ul></aside></div>\n");
    foot(b);
    fz_hbuf_fini(&d);
    return 200;
}

char *fz__serve_workflow_event(fz_serve *s, uint32_t idx)
{
    if (idx >= s->nfiles)
        return NULL;
    fz_hbuf d;
    fz_hbuf_init(&d, s->a);
    int drawn = check_file(s, idx, &d);
    json_t *o = json_object(), *html = json_object();
    set_html(html, "diags", &d);
    json_object_set_new(o, "html", html);
    json_object_set_new(o, "ok", json_boolean(drawn));
    if (s->files[idx].last_svg)
        json_object_set_new(o, "svg", json_string(s->files[idx].last_svg));
    fz_hbuf_fini(&d);
    return event_json(s, o);
}

/*==========================================================================
 * A simulation report
 *========================================================================*/

/* Milliseconds as the CLI prints durations: 15m25s, 1.250s, 812ms. */
static void put_ms(fz_hbuf *b, double ms)
{
    if (ms < 1000)
        fz_hbuf_printf(b, "%.0fms", ms);
    else
        put_duration(b, ms / 1000);
}

/* The lower bound (ns) of bucket b of a report's duration histogram:
 * log-linear, 128 buckets per octave (docs/sim.md, sim/report.c). */
static double hist_lower(uint64_t b)
{
    if (b < 128)
        return (double)b;
    uint64_t e = (b - 128) / 128 + 7, sub = (b - 128) % 128;
    if (e > 63)
        return -1;
    return (double)(128 + sub) * (double)((uint64_t)1 << (e - 7));
}

/* The duration histogram as an SVG bar chart (24 bars between the
 * shortest and the longest run). */
static void put_histogram(fz_hbuf *b, json_t *hist)
{
    enum { BARS = 24, W = 600, H = 140 };
    double lo = -1, hi = -1, bars[BARS] = {0}, top = 0;
    size_t i;
    json_t *pair;
    json_array_foreach(hist, i, pair)
    {
        double v = hist_lower((uint64_t)json_integer_value(json_array_get(pair, 0)));
        if (v < 0)
            continue;
        if (lo < 0 || v < lo)
            lo = v;
        if (v > hi)
            hi = v;
    }
    if (lo < 0)
        return;
    json_array_foreach(hist, i, pair)
    {
        double v = hist_lower((uint64_t)json_integer_value(json_array_get(pair, 0)));
        if (v < 0)
            continue;
        int k = hi > lo ? (int)((v - lo) / (hi - lo) * (BARS - 1) + 0.5) : 0;
        bars[k] += (double)json_integer_value(json_array_get(pair, 1));
        if (bars[k] > top)
            top = bars[k];
    }
    fz_hbuf_printf(b,
                   "<svg class=\"histogram\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                   "xmlns=\"http://www.w3.org/2000/svg\">",
                   W, H + 20, W, H + 20);
    for (int k = 0; k < BARS; k++) {
        double h = top > 0 ? bars[k] / top * H : 0;
        fz_hbuf_printf(b,
                       "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#56b4e9\">"
                       "<title>%.0f runs</title></rect>",
                       k * (W / BARS) + 1, H - h, W / BARS - 2, h, bars[k]);
    }
    fz_hbuf_printf(b, "<text x=\"0\" y=\"%d\" font-size=\"12\">", H + 15);
    put_ms(b, lo / 1e6);
    fz_hbuf_printf(b, "</text><text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", W,
                   H + 15);
    put_ms(b, hi / 1e6);
    fz_hbuf_puts(b, "</text></svg>\n");
}

static const char *jstr(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

int fz__serve_page_sim(fz_serve *s, fz_hbuf *b)
{
    if (!s->sim)
        return 404;
    json_error_t jerr;
    json_t *r = json_load_file(s->sim, 0, &jerr);
    head(s, b, "Simulation", NULL);
    fz_hbuf_puts(b, "<h1>Simulation</h1>\n<p class=\"path\">");
    fz_html_puts(b, s->sim);
    fz_hbuf_puts(b, "</p>\n");
    if (!r || strcmp(jstr(r, "format"), "flowzap-sim-report")) {
        fz_hbuf_puts(b, "<p class=\"error\">Not a flowzap sim --json report");
        if (!r) {
            fz_hbuf_printf(b, " (line %d: ", jerr.line);
            fz_html_puts(b, jerr.text);
            fz_hbuf_puts(b, ")");
        }
        fz_hbuf_puts(b, ".</p>\n");
        json_decref(r);
        foot(b);
        return 200;
    }
    fz_hbuf_puts(b, "<dl class=\"info\"><dt>Workflow</dt><dd class=\"path\">");
    fz_html_puts(b, jstr(r, "workflow"));
    fz_hbuf_puts(b, "</dd><dt>Scenario</dt><dd>");
    fz_html_puts(b, *jstr(r, "scenario") ? jstr(r, "scenario") : "-");
    fz_hbuf_printf(b, "</dd><dt>Runs</dt><dd>%lld (seed %lld)</dd></dl>\n",
                   (long long)json_integer_value(json_object_get(r, "runs")),
                   (long long)json_integer_value(json_object_get(r, "seed")));

    /* The heat map: the report's workflow (else the first file named). */
    const char *wf = *jstr(r, "workflow") ? jstr(r, "workflow") : s->sim_workflow;
    fz_diags d;
    fz_diags_init(&d, s->a);
    fz_graph *g = NULL;
    char *text = json_dumps(r, JSON_COMPACT), err[256] = "";
    fz_overlay *ov = NULL;
    char *svg = NULL;
    if (wf && fz_parse_file(wf, s->a, &d, &g) == 0 && g && !d.errors && text &&
        fz_overlay_heat_mem(g, s->sim, text, strlen(text), s->a, &ov, err, sizeof err) == 0)
        svg = draw(s, g, ov, err, sizeof err);
    fz_hbuf_puts(b, "<h2>Heat map</h2>\n<div id=\"diagram\" class=\"diagram\">");
    if (svg) {
        fz_hbuf_puts(b, svg);
    } else {
        fz_hbuf_puts(b, "<p class=\"note\">The workflow cannot be drawn with this report");
        if (*err) {
            fz_hbuf_puts(b, ": ");
            fz_html_puts(b, err);
        }
        fz_hbuf_puts(b, ".</p>");
    }
    fz_hbuf_puts(b, "</div>\n");
    fz__serve_strfree(s, svg);
    free(text); /* raw-alloc: json_dumps' buffer (jansson's allocator) */
    fz_overlay_free(ov);
    fz_graph_free(g);
    fz_diags_fini(&d);

    fz_hbuf_puts(b, "<h2>Outcomes</h2>\n<table class=\"outcomes\"><thead><tr><th>Outcome</th>"
                    "<th>State</th><th>Runs</th><th>Share</th><th>95% CI</th></tr></thead>"
                    "<tbody>\n");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(r, "outcomes"), i, o)
    {
        json_t *ci = json_object_get(o, "ci95");
        fz_hbuf_puts(b, "<tr><td>");
        fz_html_puts(b, jstr(o, "outcome"));
        fz_hbuf_puts(b, "</td><td>");
        fz_html_puts(b, jstr(o, "state"));
        fz_hbuf_printf(b, "</td><td>%lld</td><td>%.2f%%</td><td>[%.2f%%, %.2f%%]</td></tr>\n",
                       (long long)json_integer_value(json_object_get(o, "count")),
                       100 * json_number_value(json_object_get(o, "share")),
                       100 * json_number_value(json_array_get(ci, 0)),
                       100 * json_number_value(json_array_get(ci, 1)));
    }
    fz_hbuf_puts(b, "</tbody></table>\n");

    json_t *dur = json_object_get(r, "duration_ms");
    if (json_is_object(dur)) {
        fz_hbuf_puts(b, "<h2>Run duration (virtual time)</h2>\n<table class=\"durations\"><tr>");
        static const char *const keys[] = {"p50", "p90", "p99", "max", "mean"};
        for (size_t k = 0; k < 5; k++)
            fz_hbuf_printf(b, "<th>%s</th>", keys[k]);
        fz_hbuf_puts(b, "</tr><tr>");
        for (size_t k = 0; k < 5; k++) {
            fz_hbuf_puts(b, "<td>");
            put_ms(b, json_number_value(json_object_get(dur, keys[k])));
            fz_hbuf_puts(b, "</td>");
        }
        fz_hbuf_puts(b, "</tr></table>\n");
        put_histogram(b, json_object_get(json_object_get(r, "merge"), "duration_histogram"));
    }

    fz_hbuf_puts(b, "<h2>Common paths</h2>\n<table class=\"paths\"><thead><tr><th>Runs</th>"
                    "<th>Share</th><th>Outcome</th><th>Path</th></tr></thead><tbody>\n");
    json_t *nodes = json_object_get(r, "nodes");
    json_array_foreach(json_object_get(r, "paths"), i, o)
    {
        if (i >= 10)
            break;
        fz_hbuf_printf(b, "<tr><td>%lld</td><td>%.2f%%</td><td>",
                       (long long)json_integer_value(json_object_get(o, "count")),
                       100 * json_number_value(json_object_get(o, "share")));
        fz_html_puts(b, jstr(o, "outcome"));
        fz_hbuf_puts(b, "</td><td>");
        size_t k;
        json_t *n;
        json_array_foreach(json_object_get(o, "nodes"), k, n)
        {
            const char *id = json_string_value(n);
            const char *label = jstr(json_object_get(nodes, id ? id : ""), "label");
            if (k)
                fz_hbuf_puts(b, " &rarr; ");
            fz_html_puts(b, *label ? label : id);
        }
        fz_hbuf_puts(b, "</td></tr>\n");
    }
    fz_hbuf_puts(b, "</tbody></table>\n");
    json_decref(r);
    foot(b);
    return 200;
}
