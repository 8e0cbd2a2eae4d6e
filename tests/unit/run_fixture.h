/* SPDX-License-Identifier: MIT */
/*
 * run_fixture.h - shared by test_exec.c and test_http.c: a workflow from
 * FlowZap text, bindings from YAML text (written next to a scratch
 * directory so commands run there), one real run through the engine, and
 * what each task answered. Everything is real: parser, engine, children.
 */
#ifndef FZ_TESTS_RUN_FIXTURE_H
#define FZ_TESTS_RUN_FIXTURE_H

#include "tests/support/support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/status.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "real/real.h"
#include "parser/parser.h"

#define RF_MAX 64

typedef struct rf_step {
    char node[16];
    fz_answer answer;
    char outcome[128];
    char reason[256];
    uint32_t attempt;
    uint64_t start_ns, end_ns;
    int exit_code;
    size_t out_len, err_len;
    char out_tail[128], err_tail[128]; /* the last bytes of stdout and stderr as kept */
    char out_head[24];                 /* the first bytes of stdout as kept */
} rf_step;

typedef struct rf_run {
    char dir[256]; /* scratch directory: bindings' directory and cwd */
    fz_graph *g;
    fz_bind *b;
    fz_plan *plan;
    fz_engine *e;
    fz_real *real;
    rf_step steps[RF_MAX];
    uint32_t nsteps;
    uint64_t starts[RF_MAX];
    int drive_rc;
    fz_run_state state;
    char outcome[512];
    char logs[2048];
} rf_run;

static void rf_on_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    rf_run *r = ud;
    if (t->id < RF_MAX)
        r->starts[t->id] = t_ns;
}

static void rf_on_finish(void *ud, const fz_task *t, const fz_result *res, uint64_t t_ns)
{
    rf_run *r = ud;
    if (r->nsteps >= RF_MAX)
        return;
    rf_step *s = &r->steps[r->nsteps++];
    const fz_node *n = fz_graph_node(r->g, t->node);
    snprintf(s->node, sizeof(s->node), "%.*s", (int)n->id.len, fz_graph_text(r->g, n->id));
    s->answer = res->answer;
    snprintf(s->outcome, sizeof(s->outcome), "%s", res->outcome ? res->outcome : "");
    snprintf(s->reason, sizeof(s->reason), "%s", res->reason ? res->reason : "");
    s->attempt = t->attempt;
    s->start_ns = t->id < RF_MAX ? r->starts[t->id] : 0;
    s->end_ns = t_ns;
    s->exit_code = res->has_exit_code ? res->exit_code : -1;
    s->out_len = res->out_len;
    s->err_len = res->err_len;
    size_t ot = res->out_len < sizeof(s->out_tail) ? res->out_len : sizeof(s->out_tail) - 1;
    size_t et = res->err_len < sizeof(s->err_tail) ? res->err_len : sizeof(s->err_tail) - 1;
    size_t oh = res->out_len < sizeof(s->out_head) ? res->out_len : sizeof(s->out_head) - 1;
    memcpy(s->out_head, res->out ? res->out : "", oh);
    s->out_head[oh] = '\0';
    memcpy(s->out_tail, res->out ? res->out + res->out_len - ot : "", ot);
    s->out_tail[ot] = '\0';
    memcpy(s->err_tail, res->err ? res->err + res->err_len - et : "", et);
    s->err_tail[et] = '\0';
}

static void rf_log(void *ud, const fz_task *t, const char *msg)
{
    (void)t;
    rf_run *r = ud;
    size_t n = strlen(r->logs);
    snprintf(r->logs + n, sizeof(r->logs) - n, "%s\n", msg);
}

/* A fresh scratch directory under the build tree. */
static void rf_mkdir(rf_run *r)
{
    snprintf(r->dir, sizeof(r->dir), "%s/tmp-run-XXXXXX", FZ_BUILD_DIR);
    assert_non_null(mkdtemp(r->dir));
}

static inline void rf_write(const rf_run *r, const char *name, const char *text, int executable)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    if (executable)
        chmod(path, 0755);
}

/* Contents of a scratch file (static buffer), or NULL when it is absent. */
static inline const char *rf_read(const rf_run *r, const char *name, size_t *len)
{
    static char buf[8192];
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline int rf_exists(const rf_run *r, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Loads fz text and bindings text; the graph may also come prebuilt (g). */
static void rf_load(rf_run *r, const char *fz, fz_graph *g, const char *yaml)
{
    if (!r->dir[0])
        rf_mkdir(r);
    if (g) {
        r->g = g;
    } else {
        fz_diags d;
        fz_diags_init(&d, NULL);
        int rc = fz_parse_mem("test.fz", fz, strlen(fz), NULL, &d, &r->g);
        if (rc || d.errors)
            for (uint32_t i = 0; i < fz_diags_count(&d); i++)
                fprintf(stderr, "parse: %s\n", fz_diags_at(&d, i)->message);
        assert_int_equal(rc, 0);
        fz_diags_fini(&d);
    }
    char name[512];
    snprintf(name, sizeof(name), "%s/bindings.yaml", r->dir);
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_bind_load_mem(name, yaml, strlen(yaml), NULL, &d, &r->b);
    for (uint32_t i = 0; i < fz_diags_count(&d); i++)
        fprintf(stderr, "bindings: %s\n", fz_diags_at(&d, i)->message);
    assert_int_equal(rc, 0);
    fz_diags_fini(&d);
    uint32_t unbound = 0;
    assert_int_equal(fz_bind_resolve(r->b, r->g, &unbound), 0);
}

/* Runs the loaded workflow with vars ("K=V" strings, NULL-ended). */
static void rf_go(rf_run *r, const char *const *vars, const fz_real_opts *extra)
{
    assert_int_equal(fz_plan_new(r->g, NULL, NULL, &r->plan), 0);
    fz_bind_apply_policies(r->b, r->plan);
    assert_int_equal(fz_engine_new(r->plan, NULL, &r->e), 0);
    fz_real_opts o;
    memset(&o, 0, sizeof(o));
    if (extra)
        o = *extra;
    if (!o.run_id)
        o.run_id = "test-run";
    o.log = rf_log;
    o.log_ud = r;
    assert_int_equal(fz_real_new(r->g, r->b, &o, NULL, &r->real), 0);
    assert_int_equal(fz_engine_start(r->e), 0);
    for (uint32_t i = 0; i < fz_bind_var_count(r->b); i++) {
        fz_kv kv = fz_bind_var_at(r->b, i);
        assert_int_equal(fz_engine_set_var(r->e, kv.key, kv.value), 0);
    }
    for (size_t i = 0; vars && vars[i]; i++) {
        char key[128];
        const char *eq = strchr(vars[i], '=');
        snprintf(key, sizeof(key), "%.*s", (int)(eq - vars[i]), vars[i]);
        assert_int_equal(fz_engine_set_var(r->e, key, eq + 1), 0);
    }
    fz_observer obs = {rf_on_start, rf_on_finish, NULL, NULL, NULL, NULL, r};
    fz_engine_set_observer(r->e, &obs);
    r->drive_rc = fz_engine_drive(r->e, fz_real_backend(r->real));
    r->state = fz_engine_state(r->e);
    snprintf(r->outcome, sizeof(r->outcome), "%s",
             fz_engine_outcome(r->e) ? fz_engine_outcome(r->e) : "");
}

static inline const rf_step *rf_step_of(const rf_run *r, const char *node, uint32_t nth)
{
    for (uint32_t i = 0; i < r->nsteps; i++)
        if (strcmp(r->steps[i].node, node) == 0 && nth-- == 0)
            return &r->steps[i];
    return NULL;
}

/* No child of this process is left, reaped or not. */
static inline void rf_assert_no_children(void)
{
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG);
    assert_int_equal(p, -1);
    assert_int_equal(errno, ECHILD);
}

static void rf_free(rf_run *r)
{
    fz_real_free(r->real);
    fz_engine_free(r->e);
    fz_plan_free(r->plan);
    fz_bind_free(r->b);
    fz_graph_free(r->g);
    if (r->dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
        int rc = system(cmd);
        (void)rc;
    }
    memset(r, 0, sizeof(*r));
}

#endif
