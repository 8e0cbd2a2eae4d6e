/* SPDX-License-Identifier: MIT */
/*
 * journal_recorder.c - the journal's side of a run (real/journal.h): an
 * observer that commits each step's start before its handler starts and its
 * finish before the engine routes it, and the replay that rebuilds a dead
 * run's engine from its finished steps. Costs: one autocommit (one fsync
 * with synchronous=FULL) per step start and per step finish.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "core/vec.h"
#include "real/journal_int.h"
#include "engine/observer.h"
#include "engine/secret.h"

/*==========================================================================
 * The recorder: an fz_observer that writes steps
 *========================================================================*/

struct fz_journal_recorder {
    fz_journal *j;
    int64_t run;
    const fz_graph *g;
    fz_engine *e;
    fz_observer obs;     /* installed on the engine: own, then next */
    fz_observer own;     /* the recorder's callbacks alone */
    fz_observer_tee tee; /* own and next, when there is a next */
    int status;
    int aborting;    /* flowzap stops the run: its end is not the workflow's */
    int full;        /* the connection commits with synchronous=FULL */
    int64_t owner;   /* the run's pid when recording began: writes are fenced on it */
    uint32_t seq;    /* last finish sequence number written */
    fz_vec start_ns; /* uint64_t per task id: backend clock at start, +1 (0: unknown) */
    int (*park)(void *ud, const fz_task *t);
    void *park_ud;
    int (*remote)(void *ud, const fz_task *t); /* run by a worker of its lane */
    void *remote_ud;
};

void fz_journal_recorder_set_park(fz_journal_recorder *r, int (*park)(void *ud, const fz_task *t),
                                  void *ud)
{
    r->park = park;
    r->park_ud = ud;
}

static void rec_fail(fz_journal_recorder *r, int status)
{
    if (!r->status)
        r->status = status;
}

/* Fills the task's columns of s: node, label and lane are copied,
 * NUL-terminated, into one block returned to free (NULL: out of memory or
 * no such node, and the step names '?'). */
static char *fill_task(const fz_journal_recorder *r, const fz_task *t, fz_journal_step *s,
                       size_t *size)
{
    *size = 0;
    const fz_graph *g = r->g;
    memset(s, 0, sizeof *s);
    s->task = t->id;
    s->node_index = t->node;
    s->token = t->token;
    s->attempt = t->attempt;
    s->duration_ns = -1;
    s->node = s->label = "?";
    if (t->node >= g->nodes.len)
        return NULL;
    const fz_node *n = &FZ_VEC_AT(&g->nodes, fz_node, t->node);
    const fz_lane *l = n->lane < g->lanes.len ? &FZ_VEC_AT(&g->lanes, fz_lane, n->lane) : NULL;
    size_t idl = g->src ? n->id.len : 0, lal = n->label.len, lnl = l ? l->id.len : 0;
    char *buf = fz_malloc(r->j->alloc, idl + lal + lnl + 3);
    if (!buf)
        return NULL;
    *size = idl + lal + lnl + 3;
    char *p = buf;
    memcpy(p, g->src ? fz_graph_text(g, n->id) : "", idl);
    p[idl] = '\0';
    s->node = p;
    p += idl + 1;
    memcpy(p, fz_graph_text(g, n->label), lal);
    p[lal] = '\0';
    s->label = p;
    p += lal + 1;
    if (l) {
        memcpy(p, fz_graph_text(g, l->id), lnl);
        p[lnl] = '\0';
        s->lane = p;
    }
    return buf;
}

static void rec_on_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    fz_journal_recorder *r = ud;
    if (r->park && r->park(r->park_ud, t))
        return; /* another process's to start */
    while (r->start_ns.len <= t->id) {
        if (!fz_vec_push(&r->start_ns)) {
            rec_fail(r, FZ_ENOMEM);
            break;
        }
    }
    if (t->id < r->start_ns.len)
        FZ_VEC_AT(&r->start_ns, uint64_t, t->id) = t_ns + 1;
    /* After a failed write nothing more is recorded: a start committed
     * after a finish that was not would name a task that a resume's engine
     * has not handed out (it reruns the unfinished step first), and that
     * id may then come out for another node. */
    if (!r->status) {
        fz_journal_step s;
        size_t bufsize;
        char *buf = fill_task(r, t, &s, &bufsize);
        int rc = r->j->ops->step_start(r->j, r->run, r->owner, &s);
        /* A step of another lane: queued, in the same group, for a worker
         * of its lane (docs/scale.md, "Lanes as placement"). */
        if (!rc && r->remote && r->remote(r->remote_ud, t))
            rc = r->j->ops->step_enqueue(r->j, r->run, r->owner, &s);
        fz_free(r->j->alloc, buf, bufsize);
        if (rc)
            rec_fail(r, rc);
    }
}

void fz_journal_set_secrets(fz_journal *j, const fz_secrets *s)
{
    j->secrets = s;
}

/* The variables a step set, as a JSON object; a value holding a secret is
 * its reference form (engine/secret.h), never the value. Caller frees with
 * free(). */
static char *vars_json(const fz_secrets *sec, const fz_kv *kv, uint32_t n)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int err = 0;
    for (uint32_t i = 0; i < n && !err; i++) {
        if (!kv[i].key || !kv[i].value)
            continue;
        json_t *ref = fz_secrets_ref_json(sec, kv[i].value, &err);
        json_object_set_new(o, kv[i].key, ref ? ref : json_string(kv[i].value));
    }
    char *s = err ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* Binds s masked (the backend masked it already; a second look costs
 * little and covers results from elsewhere). Returns the copy to free. */
/* s masked (the backend masked it already; a second look costs little
 * and covers results from elsewhere); *m receives the copy to free. */
static const char *masked(fz_journal_recorder *r, const char *s, char **m)
{
    *m = s && r->j->secrets ? fz_secrets_mask_str(r->j->secrets, s) : NULL;
    if (s && r->j->secrets && !*m)
        rec_fail(r, FZ_ENOMEM);
    return *m ? *m : r->j->secrets ? NULL : s;
}

/* The len bytes at p masked in place of them; returns the copy to free. */
static char *blob_masked(fz_journal_recorder *r, const char **p, size_t *len)
{
    if (!*p || !*len || !r->j->secrets || !fz_secrets_contains(r->j->secrets, *p, *len))
        return NULL;
    size_t n = 0;
    char *m = fz_secrets_mask(r->j->secrets, *p, *len, &n);
    if (!m) {
        rec_fail(r, FZ_ENOMEM);
        *p = NULL;
        *len = 0;
        return NULL;
    }
    *p = m;
    *len = n;
    return m;
}

/* Writes t's finish with res: fenced on r's owner with seq (epoch < 0),
 * or, for a step of another lane run here, on its queue row's epoch and
 * without a seq. Returns 0 or the store's status (r failed when not 0). */
static int write_finish(fz_journal_recorder *r, const fz_task *t, const fz_result *res,
                        int64_t duration_ns, uint32_t seq, int64_t epoch)
{
    fz_journal_step s;
    size_t bufsize;
    char *buf = fill_task(r, t, &s, &bufsize);
    s.duration_ns = duration_ns;
    s.seq = seq;
    s.finished = 1;
    s.answer = res->answer;
    char *m_outcome, *m_reason;
    s.outcome = masked(r, res->outcome, &m_outcome);
    s.reason = masked(r, res->reason, &m_reason);
    s.has_exit_code = res->has_exit_code;
    s.exit_code = res->exit_code;
    s.out = res->out;
    s.out_len = res->out_len;
    s.err = res->err;
    s.err_len = res->err_len;
    char *m_out = blob_masked(r, &s.out, &s.out_len);
    char *m_err = blob_masked(r, &s.err, &s.err_len);
    char *vars = res->nvars ? vars_json(r->j->secrets, res->vars, res->nvars) : NULL;
    if (res->nvars && !vars)
        rec_fail(r, FZ_ENOMEM);
    s.vars = vars;
    int rc = r->status   ? r->status
             : epoch < 0 ? r->j->ops->step_finish(r->j, r->run, r->owner, &s)
                         : r->j->ops->step_finish_at(r->j, r->run, epoch, &s);
    fz_free(r->j->alloc, buf, bufsize);
    free(vars);
    free(m_outcome);
    free(m_reason);
    free(m_out);
    free(m_err);
    if (rc)
        rec_fail(r, rc);
    return rc;
}

static void rec_on_finish(void *ud, const fz_task *t, const fz_result *res, uint64_t t_ns)
{
    fz_journal_recorder *r = ud;
    if (r->status)
        return;
    if (r->remote && r->remote(r->remote_ud, t)) {
        /* Recorded by the worker that ran it: only its place in the
         * run's order is the owner's to write. */
        int rc = r->j->ops->step_routed(r->j, r->run, r->owner, t->id, ++r->seq);
        if (rc)
            rec_fail(r, rc);
        return;
    }
    uint64_t st = t->id < r->start_ns.len ? FZ_VEC_AT(&r->start_ns, uint64_t, t->id) : 0;
    write_finish(r, t, res, st && t_ns + 1 >= st ? (int64_t)(t_ns + 1 - st) : -1, ++r->seq, -1);
}

int fz_journal_step_finish_at(fz_journal *j, int64_t run, int64_t epoch, const fz_graph *g,
                              const fz_task *t, const fz_result *res, int64_t duration_ns)
{
    if (!j->ops->step_finish_at)
        return fz__journal_no_queue(j);
    fz_journal_recorder r;
    memset(&r, 0, sizeof r);
    r.j = j;
    r.run = run;
    r.g = g;
    return write_finish(&r, t, res, duration_ns, 0, epoch);
}

int fz_journal_step_give_up(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                            const char *reason)
{
    if (!j->ops->step_finish_at)
        return fz__journal_no_queue(j);
    /* Only the finish's own columns: the step's row holds the rest. */
    fz_journal_step s;
    memset(&s, 0, sizeof s);
    s.task = task;
    s.duration_ns = -1;
    s.finished = 1;
    s.answer = FZ_ANSWER_ERROR;
    char *m = reason && j->secrets ? fz_secrets_mask_str(j->secrets, reason) : NULL;
    s.reason = m ? m : reason;
    int rc = j->ops->step_finish_at(j, run, epoch, &s);
    free(m);
    return rc;
}

void fz_journal_recorder_set_remote(fz_journal_recorder *r,
                                    int (*remote)(void *ud, const fz_task *t), void *ud)
{
    r->remote = remote;
    r->remote_ud = ud;
}

/* The engine's variables as a JSON object, secrets masked (`***`);
 * caller frees with free(). */
static char *engine_vars_json(const fz_secrets *sec, const fz_engine *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    uint32_t n = fz_engine_var_count(e);
    for (uint32_t i = 0; i < n; i++) {
        fz_kv kv = fz_engine_var_at(e, i);
        if (!kv.key || !kv.value)
            continue;
        char *m = sec ? fz_secrets_mask_str(sec, kv.value) : NULL;
        if (sec && !m) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, kv.key, json_string(m ? m : kv.value));
        free(m);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static void rec_on_run_end(void *ud, fz_run_state state, const char *outcome, uint64_t t_ns)
{
    fz_journal_recorder *r = ud;
    /* An abort by flowzap (or after a failed write) is no end of the
     * workflow: the run stays resumable, recorded as interrupted by the
     * caller. */
    if (!r->status && !r->aborting) {
        char *vars = engine_vars_json(r->j->secrets, r->e);
        const char *name = state == FZ_RUN_COMPLETED ? FZ_JOURNAL_COMPLETED : FZ_JOURNAL_FAILED;
        char *m = r->j->secrets ? fz_secrets_mask_str(r->j->secrets, outcome) : NULL;
        int rc = fz__journal_set_state(r->j, r->run, r->owner, name, m ? m : outcome, vars);
        free(m);
        free(vars);
        if (rc)
            rec_fail(r, rc);
    }
}

int fz_journal_recorder_new(fz_journal *j, int64_t id, const fz_graph *g, fz_engine *e,
                            const fz_observer *next, fz_journal_recorder **out)
{
    *out = NULL;
    fz_journal_recorder *r = fz_calloc(j->alloc, 1, sizeof *r);
    if (!r)
        return FZ_ENOMEM;
    r->j = j;
    r->run = id;
    r->g = g;
    r->e = e;
    fz_vec_init(&r->start_ns, sizeof(uint64_t), j->alloc);
    const char *sync = fz_journal_sync_mode(j);
    r->full = sync && strcmp(sync, "full") == 0;
    r->own = (fz_observer){
        .on_start = rec_on_start,
        .on_finish = rec_on_finish,
        .on_run_end = rec_on_run_end,
        .ud = r,
    };
    const fz_observer *both[] = {&r->own, next};
    fz_observer_tee_init(&r->tee, both, 2, &r->obs); /* two fit: cannot fail */
    /* A resumed run numbers its finishes after the ones recorded. A run
     * this process just claimed with no step recorded has none, and this
     * process is its owner: nothing to read. */
    int rc = 0;
    if (j->fresh == id) {
        r->seq = 0;
        r->owner = (int64_t)getpid();
    } else {
        rc = j->ops->max_seq(j, id, &r->seq);
        fz_journal_run run;
        if (!rc)
            rc = fz_journal_run_get(j, id, &run);
        if (rc) {
            j->fresh = 0;
            fz_journal_recorder_free(r);
            return rc;
        }
        r->owner = run.pid;
    }
    j->fresh = 0;

    /* The run's variables as it (re)starts: --set, the bindings' defaults,
     * and on a resume what the replayed steps set. */
    char *vars = engine_vars_json(j->secrets, e);
    /* A replay may end the run: its process died after the last step was
     * recorded and before the end was. Record the end now. */
    fz_run_state now = fz_engine_state(e);
    const char *state = now == FZ_RUN_COMPLETED ? FZ_JOURNAL_COMPLETED
                        : now == FZ_RUN_FAILED  ? FZ_JOURNAL_FAILED
                                                : FZ_JOURNAL_RUNNING;
    const char *outcome = strcmp(state, FZ_JOURNAL_RUNNING) ? fz_engine_outcome(e) : NULL;
    rc = vars ? fz__journal_set_state(j, id, r->owner, state, outcome, vars) : FZ_ENOMEM;
    free(vars);
    if (rc) {
        fz_journal_recorder_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void fz_journal_recorder_free(fz_journal_recorder *r)
{
    if (!r)
        return;
    fz_vec_fini(&r->start_ns);
    fz_free(r->j->alloc, r, sizeof *r);
}

const fz_observer *fz_journal_recorder_observer(fz_journal_recorder *r)
{
    return &r->obs;
}

int fz_journal_recorder_status(const fz_journal_recorder *r)
{
    return r->status;
}

void fz_journal_recorder_fail(fz_journal_recorder *r, int status)
{
    if (r && status)
        rec_fail(r, status);
}

void fz_journal_recorder_abort(fz_journal_recorder *r)
{
    if (r)
        r->aborting = 1;
}

int fz_journal_recorder_spawned(fz_journal_recorder *r, uint32_t task, int64_t pgid)
{
    if (r->status)
        return r->status;
    char id[FZ_PROC_ID_LEN];
    fz_proc_identity(pgid, id);
    int rc = r->j->ops->step_pgid(r->j, r->run, r->owner, task, pgid, id[0] ? id : NULL, 0);
    if (rc)
        rec_fail(r, rc);
    return rc;
}

/*==========================================================================
 * Replay
 *========================================================================*/

typedef struct replay {
    fz_journal *j;
    fz_engine *e;
    fz_journal_resume *res; /* tasks taken from the engine and not completed */
    int status;
} replay;

static int res_push(fz_journal_resume *res, const fz_task *t)
{
    if (res->ntasks == res->cap) {
        uint32_t cap = res->cap ? 2 * res->cap : 16;
        fz_task *nt = fz_realloc(res->alloc, res->tasks, res->cap * sizeof *nt, cap * sizeof *nt);
        if (!nt)
            return FZ_ENOMEM;
        res->tasks = nt;
        res->cap = cap;
    }
    res->tasks[res->ntasks++] = *t;
    return 0;
}

static int inconsistent(replay *rp, const fz_journal_step *s, const char *why)
{
    snprintf(rp->j->msg, sizeof rp->j->msg,
             "the journal does not match this workflow: step %u (%s \"%s\", token %u, attempt "
             "%u) %s",
             s->task, s->node ? s->node : "?", s->label ? s->label : "?", s->token, s->attempt,
             why);
    rp->status = FZ_ECHANGED;
    return FZ_ECHANGED;
}

/* A recorded step's result, its variables back to key/value pairs (a
 * reference to a secret takes the secret's value as read again). */
typedef struct step_result {
    fz_result r;
    json_t *vars;
    fz_kv *kv;
    char **built;
    size_t cap;
    const fz_alloc *a;
} step_result;

static void result_fini(step_result *sr)
{
    for (size_t i = 0; sr->built && i < sr->cap; i++)
        free(sr->built[i]);
    fz_free(sr->a, sr->built, sr->cap * sizeof *sr->built);
    fz_free(sr->a, sr->kv, sr->cap * sizeof *sr->kv);
    json_decref(sr->vars);
    memset(sr, 0, sizeof *sr);
}

/* Fills sr from s; *lost counts variables rebuilt with `***`. Returns 0,
 * FZ_EINVAL (unreadable variables), FZ_ENOENT (a secret is gone; message
 * set) or FZ_ENOMEM; sr needs result_fini only after 0. */
static int result_of(fz_journal *j, const fz_journal_step *s, const fz_alloc *a, step_result *sr,
                     uint32_t *lost)
{
    memset(sr, 0, sizeof *sr);
    sr->a = a;
    size_t nkv = 0;
    if (s->vars) {
        sr->vars = json_loads(s->vars, 0, NULL);
        if (!json_is_object(sr->vars)) {
            json_decref(sr->vars);
            sr->vars = NULL;
            return FZ_EINVAL;
        }
        sr->cap = json_object_size(sr->vars);
        sr->kv = sr->cap ? fz_calloc(a, sr->cap, sizeof *sr->kv) : NULL;
        sr->built = sr->cap ? fz_calloc(a, sr->cap, sizeof *sr->built) : NULL;
        if (sr->cap && (!sr->kv || !sr->built)) {
            result_fini(sr);
            return FZ_ENOMEM;
        }
        const char *k;
        json_t *v;
        int rc = 0;
        json_object_foreach(sr->vars, k, v)
        {
            if (json_is_string(v))
                sr->kv[nkv++] = (fz_kv){k, json_string_value(v)};
            else if (json_is_object(v) && !rc) {
                int lo = 0;
                char why[256] = "";
                rc = fz_secrets_ref_value(j->secrets, v, &sr->built[nkv], &lo, why, sizeof why);
                if (!rc) {
                    sr->kv[nkv] = (fz_kv){k, sr->built[nkv]};
                    nkv++;
                    *lost += (uint32_t)lo;
                } else if (rc == FZ_ENOENT)
                    snprintf(j->msg, sizeof j->msg, "step %u: variable %s: %s", s->task, k, why);
            }
        }
        if (rc) {
            result_fini(sr);
            return rc;
        }
    }
    sr->r = (fz_result){
        .answer = s->answer,
        .outcome = s->outcome,
        .reason = s->reason,
        .vars = nkv ? sr->kv : NULL,
        .nvars = (uint32_t)nkv,
        .out = s->out,
        .out_len = s->out_len,
        .err = s->err,
        .err_len = s->err_len,
        .exit_code = s->exit_code,
        .has_exit_code = (uint8_t)s->has_exit_code,
    };
    return 0;
}

static int replay_step(void *ud, const fz_journal_step *s)
{
    replay *rp = ud;
    fz_journal_resume *res = rp->res;
    uint32_t at = UINT32_MAX;
    for (uint32_t i = 0; i < res->ntasks; i++)
        if (res->tasks[i].id == s->task)
            at = i;
    while (at == UINT32_MAX) {
        fz_task t;
        if (!fz_engine_next(rp->e, &t))
            return inconsistent(rp, s, "is not a task the engine hands out");
        int rc = res_push(res, &t);
        if (rc) {
            rp->status = rc;
            return rc;
        }
        if (t.id == s->task)
            at = res->ntasks - 1;
    }
    fz_task t = res->tasks[at];
    if (t.node != s->node_index || t.token != s->token ||
        t.attempt + (s->starts ? s->starts - 1 : 0) != s->attempt)
        return inconsistent(rp, s, "is not the task the engine hands out under that id");

    step_result sr;
    int rc = result_of(rp->j, s, res->alloc, &sr, &res->lost);
    if (rc) {
        if (rc == FZ_EINVAL)
            return inconsistent(rp, s, "has unreadable variables");
        rp->status = rc == FZ_ENOENT ? FZ_ECHANGED : rc;
        return rp->status;
    }
    rc = fz_engine_complete(rp->e, s->task, &sr.r, 0);
    result_fini(&sr);
    if (rc == FZ_EINVAL)
        return inconsistent(rp, s, "was refused by the engine");
    if (rc) {
        rp->status = rc;
        return rc;
    }
    res->tasks[at] = res->tasks[--res->ntasks];
    rp->res->replayed++;
    return 0;
}

typedef struct remote_look {
    fz_journal *j;
    void (*fn)(void *ud, const fz_result *r);
    void *ud;
} remote_look;

static int remote_step(void *ud, const fz_journal_step *s)
{
    remote_look *rl = ud;
    step_result sr;
    uint32_t lost = 0;
    int rc = result_of(rl->j, s, rl->j->alloc, &sr, &lost);
    if (rc)
        return rc == FZ_EINVAL || rc == FZ_ENOENT ? FZ_ECHANGED : rc;
    rl->fn(rl->ud, &sr.r);
    result_fini(&sr);
    return 0;
}

int fz_journal_step_remote(fz_journal *j, int64_t run, uint32_t task,
                           void (*fn)(void *ud, const fz_result *r), void *ud)
{
    if (!j->ops->step_remote)
        return 0;
    remote_look rl = {j, fn, ud};
    return j->ops->step_remote(j, run, task, fn ? remote_step : NULL, &rl);
}

static int task_less(const void *a, const void *b)
{
    const fz_task *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int fz_journal_replay(fz_journal *j, int64_t id, fz_engine *e, const fz_alloc *alloc,
                      fz_journal_resume *res)
{
    memset(res, 0, sizeof *res);
    res->alloc = alloc;
    replay rp = {.j = j, .e = e, .res = res};
    /* A run just claimed with no step recorded: nothing to replay. */
    int fresh = j->fresh == id;
    int rc = fresh ? 0 : fz_journal_step_list(j, id, 1, replay_step, &rp);
    if (rp.status)
        return rp.status;
    if (rc)
        return rc;
    if (fz_engine_state(e) != FZ_RUN_RUNNING) {
        /* The run ended with its last recorded step; nothing to dispatch. */
        res->ntasks = 0;
        return 0;
    }
    fz_task t;
    while (fz_engine_next(e, &t))
        if ((rc = res_push(res, &t)) != 0)
            return rc;
    qsort(res->tasks, res->ntasks, sizeof *res->tasks, task_less);

    /* A task started and never finished was in flight when the process
     * died: it runs again with its attempt raised, so handlers can tell. */
    for (uint32_t i = 0; i < res->ntasks && !fresh; i++) {
        uint32_t starts = 0;
        if ((rc = j->ops->step_starts(j, id, res->tasks[i].id, &starts)) != 0)
            return rc;
        if (starts) {
            res->tasks[i].attempt += starts;
            res->restarted++;
        }
    }
    return 0;
}

void fz_journal_resume_fini(fz_journal_resume *res)
{
    if (!res)
        return;
    fz_free(res->alloc, res->tasks, res->cap * sizeof *res->tasks);
    memset(res, 0, sizeof *res);
}

/*--------------------------------------------------------------------------
 * Grouped commits (docs/journal.md, "Grouped commits")
 *------------------------------------------------------------------------*/

typedef struct group_start {
    size_t run;
    fz_task t;
} group_start;

typedef struct group_done {
    int has;
    int abandoned; /* the run ended and its tasks in flight were abandoned */
    uint32_t id;
    fz_result r;
} group_done;

/* Stops every run after an error: its recorder writes nothing more (the
 * abort is not recorded as the workflow's failure), its handlers are
 * abandoned. */
static void group_stop(fz_engine *const *es, const fz_backend *const *bs,
                       fz_journal_recorder *const *recs, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++) {
        rec_fail(recs[i], rc);
        fz_journal_recorder_abort(recs[i]);
        if (fz_engine_state(es[i]) == FZ_RUN_RUNNING)
            fz_engine_abort(es[i], rc == FZ_EINTR ? "interrupted" : fz_strerror(rc), 0);
    }
}

/* A run that ended (failed) with tasks in flight abandons them, as
 * fz_engine_drive does. */
static void abandon_ended(fz_engine *const *es, const fz_backend *const *bs, group_done *done,
                          size_t n)
{
    for (size_t i = 0; done && i < n; i++)
        if (!done[i].abandoned && fz_engine_state(es[i]) != FZ_RUN_RUNNING) {
            done[i].abandoned = 1;
            if (fz_engine_in_flight(es[i]) && bs[i]->cancel_all)
                bs[i]->cancel_all(bs[i]->ud, es[i]);
        }
}

int fz_journal_drive_grouped(fz_journal *j, fz_engine *const *es, const fz_backend *const *bs,
                             fz_journal_recorder *const *recs, size_t n)
{
    if (!j || (n && (!es || !bs || !recs)))
        return FZ_EINVAL;
    const fz_alloc *a = j->alloc;
    group_done *done = n ? fz_calloc(a, n, sizeof *done) : NULL;
    group_start *st = NULL;
    size_t st_n = 0, st_cap = 0;
    int rc = n && !done ? FZ_ENOMEM : 0;
    for (int first = 1; !rc; first = 0) {
        /* 1. Outside any transaction (a handler may take long, and the
         *    write lock must not be held meanwhile): one result per run
         *    with tasks in flight. */
        size_t running = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            done[i].has = 0;
            if (fz_engine_state(es[i]) != FZ_RUN_RUNNING)
                continue;
            running++;
            if (!first && fz_engine_in_flight(es[i])) {
                memset(&done[i].r, 0, sizeof done[i].r);
                rc = bs[i]->wait(bs[i]->ud, es[i], &done[i].id, &done[i].r);
                done[i].has = !rc;
            }
        }
        if (rc || !running)
            break;
        /* 2. One group: the finishes (routed in memory only: nothing
         *    leaves the process until the commit) and the starts they lead
         *    to, of every run. */
        if ((rc = fz_journal_group_begin(j)) != 0)
            break;
        st_n = 0;
        for (size_t i = 0; i < n && !rc; i++) {
            const fz_observer *obs = fz_journal_recorder_observer(recs[i]);
            uint64_t now = bs[i]->now ? bs[i]->now(bs[i]->ud) : 0;
            if (done[i].has) {
                rc = fz_engine_complete(es[i], done[i].id, &done[i].r, now);
                if (rc == FZ_EFINISHED)
                    rc = 0;
            }
            fz_task t;
            while (!rc && fz_engine_state(es[i]) == FZ_RUN_RUNNING && fz_engine_next(es[i], &t)) {
                if (st_n == st_cap) {
                    size_t cap = st_cap ? st_cap * 2 : 16;
                    group_start *g = fz_realloc(a, st, st_cap * sizeof *st, cap * sizeof *st);
                    if (!g) {
                        rc = FZ_ENOMEM;
                        break;
                    }
                    st = g;
                    st_cap = cap;
                }
                st[st_n].run = i;
                st[st_n++].t = t;
                if (obs->on_start)
                    obs->on_start(obs->ud, &t, now + t.delay_ns);
            }
            if (!rc)
                rc = fz_journal_recorder_status(recs[i]);
        }
        if (rc) {
            fz_journal_group_rollback(j);
            break;
        }
        /* 3. The commit: every start of the group is durable before any of
         *    its handlers starts, every finish before anything it routed
         *    acts outside the process. */
        if ((rc = fz_journal_group_commit(j)) != 0)
            break;
        int moved = st_n > 0;
        for (size_t i = 0; i < n; i++)
            moved |= done[i].has;
        if (!moved && !first) {
            rc = FZ_ESTATE; /* runs left with nothing ready or in flight */
            break;
        }
        for (size_t k = 0; k < st_n && !rc; k++) {
            size_t i = st[k].run;
            rc = bs[i]->start(bs[i]->ud, es[i], &st[k].t);
        }
        abandon_ended(es, bs, done, n);
    }
    if (rc)
        group_stop(es, bs, recs, n, rc);
    abandon_ended(es, bs, done, n);
    fz_free(a, st, st_cap * sizeof *st);
    fz_free(a, done, n * sizeof *done);
    return rc;
}
