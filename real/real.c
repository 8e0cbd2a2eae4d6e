/* SPDX-License-Identifier: MIT */
/*
 * real.c - the real backend: one poll() loop (curl_multi_poll, which polls
 * libcurl's sockets together with ours) drives child processes, HTTP
 * transfers and timers. Signals only write a byte to a self-pipe; all work
 * happens in the loop.
 *
 * Children: posix_spawn (vfork speed) into their own process group, stdin
 * /dev/null, stdout/stderr on pipes read as data arrives (kept up to a cap;
 * what is cut is counted and marked). The handler may read stdout line by
 * line as it arrives, over the whole stream, whatever the cap keeps.
 * A step ends when its child is reaped: what is left in the pipes is read,
 * then anything still alive in the step's process group is killed, so a
 * step leaves no process behind. A timeout or an interrupt kills the whole
 * group; every child is reaped before its job ends.
 *
 * Timers: a binary heap ordered by (deadline, seq); a job's cancelled timer
 * stays in the heap and is skipped when it surfaces (lazy deletion).
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include "real/real.h"

#include <assert.h>
#include "real/curlapi.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "real/handler.h"
#include "real/proc.h"
#include "engine/secret.h"

extern char **environ;

enum { JOB_DELAYED, JOB_RUNNING, JOB_DONE };
enum { TIMER_START, TIMER_TIMEOUT, TIMER_HANDLER };

typedef struct buf {
    char *data;
    size_t len, cap;
    uint64_t dropped; /* bytes past the cap, not kept */
    int stopped;      /* reading stopped there: more may have followed */
} buf;

typedef struct on_end {
    void (*fn)(const fz_alloc *a, void *ptr);
    void *ptr;
} on_end;

struct fz_job {
    fz_real *r;
    uint32_t slot, gen;
    int state;
    fz_task task;
    fz_engine *e;
    const fz_handler_ops *ops;
    const void *cfg;
    const fz_caps *caps;
    uint64_t timeout_ns;
    fz_arena arena;
    /* result */
    fz_answer answer;
    const char *outcome, *reason;
    fz_vec vars; /* fz_kv */
    int exit_code, has_exit;
    int timed_out;
    /* child */
    pid_t pid;
    int fd_out, fd_err;
    int reaped, wstatus;
    void (*spawn_done)(fz_job *, const void *, int);
    buf out, err;
    int masked; /* out, err hold the masked output */
    /* stdout read line by line (fz__job_stdout_lines) */
    void (*on_line)(fz_job *, const char *, size_t, int);
    buf line; /* the line being assembled, up to FZ_JOB_LINE_MAX bytes */
    int line_cut;
    char err_tail[512]; /* the last bytes of stderr, kept past the cap */
    size_t err_tail_len;
    void *data;      /* fz__job_set_data */
    size_t body_cap; /* http: body bytes read at most */
    /* http */
    CURL *easy;
    void (*http_done)(fz_job *, const void *, int, long);
    /* handler timer */
    uint64_t timer_seq; /* seq of the armed handler timer, 0: none */
    void (*fire)(fz_job *, const void *);
    int gate;    /* the armed timer is an approval poll (a wake-up fires it) */
    fz_vec ends; /* on_end */
};

typedef struct timer {
    uint64_t at, seq;
    uint32_t slot, gen;
    int kind;
} timer;

struct fz_real {
    const fz_alloc *alloc;
    const fz_graph *g;
    const fz_bind *b;
    fz_real_opts opts;
    char *run_id;
    fz_backend backend;
    CURLM *multi;
    int pipe_r, pipe_w;
    fz_job **slots;
    uint32_t nslots, nactive;
    uint32_t gen;
    fz_vec timers; /* heap of timer */
    uint64_t seq;
    fz_vec pending; /* timer (slot, gen): started with no delay, begun in wait() */
    fz_vec done;    /* fz_job *, FIFO from done_head */
    uint32_t done_head;
    fz_job *last; /* handed out by wait(); freed at the next call */
    size_t cap;
    fz_vec paths; /* fz_kv: program name -> path found in PATH (owned strings) */
    struct sigaction old_chld, old_int, old_term;
    int caught;
    int subreaper_was; /* PR_GET_CHILD_SUBREAPER before this backend, -1: unknown */
    fz_vec groups;     /* int: groups of ended steps killed, not yet seen gone */
};

/* The self-pipe and interrupt flag live in statics: a signal handler has
 * no other way to reach them (hence one real backend per process). */
static volatile sig_atomic_t sig_fd = -1;
static volatile sig_atomic_t sig_interrupted = 0;
static fz_real *active_backend = NULL;

static void on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGCHLD ? 'C' : 'I';
    if (sig != SIGCHLD)
        sig_interrupted = 1;
    if (sig_fd >= 0)
        (void)!write(sig_fd, &c, 1);
    errno = saved;
}

uint64_t fz_real_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fz_real_interrupt(fz_real *r)
{
    (void)r;
    sig_interrupted = 1;
    if (sig_fd >= 0) {
        char c = 'I';
        (void)!write(sig_fd, &c, 1);
    }
}

int fz_real_interrupted(const fz_real *r)
{
    (void)r;
    return sig_interrupted != 0;
}

/*==========================================================================
 * Timers: a binary heap by (at, seq)
 *========================================================================*/

static int timer_less(const timer *a, const timer *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int timer_push(fz_real *r, fz_job *j, uint64_t at, int kind, uint64_t *seq_out)
{
    timer *t = fz_vec_push(&r->timers);
    if (!t)
        return FZ_ENOMEM;
    t->at = at;
    t->seq = ++r->seq;
    t->slot = j->slot;
    t->gen = j->gen;
    t->kind = kind;
    if (seq_out)
        *seq_out = t->seq;
    timer *h = r->timers.data;
    uint32_t i = r->timers.len - 1;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!timer_less(&h[i], &h[p]))
            break;
        timer tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
    return FZ_OK;
}

static void timer_pop(fz_real *r)
{
    timer *h = r->timers.data;
    uint32_t n = --r->timers.len;
    if (n == 0)
        return;
    h[0] = h[n];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < n && timer_less(&h[l], &h[m]))
            m = l;
        if (rr < n && timer_less(&h[rr], &h[m]))
            m = rr;
        if (m == i)
            break;
        timer tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

/* The job a timer belongs to, or NULL when the timer is stale. */
static fz_job *timer_job(fz_real *r, const timer *t)
{
    fz_job *j = t->slot < r->nslots ? r->slots[t->slot] : NULL;
    if (!j || j->gen != t->gen)
        return NULL;
    switch (t->kind) {
    case TIMER_START:
        return j->state == JOB_DELAYED ? j : NULL;
    case TIMER_TIMEOUT:
        return j->state == JOB_RUNNING && !j->timed_out ? j : NULL;
    default:
        return j->state == JOB_RUNNING && j->timer_seq == t->seq ? j : NULL;
    }
}

/*==========================================================================
 * Jobs
 *========================================================================*/

static void buf_free(const fz_alloc *a, buf *b)
{
    fz_free(a, b->data, b->cap);
    memset(b, 0, sizeof(*b));
}

static int buf_add(const fz_alloc *a, buf *b, const char *s, size_t n, size_t cap)
{
    if (b->len + n > cap) {
        size_t keep = cap > b->len ? cap - b->len : 0;
        b->dropped += n - keep;
        n = keep;
    }
    if (n == 0)
        return FZ_OK;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *d = fz_realloc(a, b->data, b->cap, nc);
        if (!d)
            return FZ_ENOMEM;
        b->data = d;
        b->cap = nc;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return FZ_OK;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void job_release(fz_real *r, fz_job *j)
{
    if (!j)
        return;
    for (uint32_t i = 0; i < j->ends.len; i++) {
        on_end *oe = &FZ_VEC_AT(&j->ends, on_end, i);
        oe->fn(r->alloc, oe->ptr);
    }
    fz_vec_fini(&j->ends);
    if (j->easy) {
        fz__curl->multi_remove_handle(r->multi, j->easy);
        fz__curl->easy_cleanup(j->easy);
    }
    close_fd(&j->fd_out);
    close_fd(&j->fd_err);
    buf_free(r->alloc, &j->out);
    buf_free(r->alloc, &j->err);
    buf_free(r->alloc, &j->line);
    fz_vec_fini(&j->vars);
    fz_arena_fini(&j->arena);
    if (r->slots[j->slot] == j)
        r->slots[j->slot] = NULL;
    fz_free(r->alloc, j, sizeof(*j));
}

/*==========================================================================
 * A step run elsewhere (fz_remote): waits for its result like a gate
 *========================================================================*/

static void remote_look(fz_job *j, const void *cfg);

/* The result another process recorded, copied into the job. */
static void remote_deliver(void *job, const fz_result *res)
{
    fz_job *j = job;
    int rc = 0;
    if (res->out_len)
        rc = buf_add(j->r->alloc, &j->out, res->out, res->out_len, SIZE_MAX);
    if (!rc && res->err_len)
        rc = buf_add(j->r->alloc, &j->err, res->err, res->err_len, SIZE_MAX);
    for (uint32_t i = 0; !rc && i < res->nvars; i++)
        if (res->vars[i].key && res->vars[i].value)
            rc = fz__job_set(j, res->vars[i].key, res->vars[i].value);
    if (rc) {
        j->vars.len = 0;
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory");
        return;
    }
    if (res->has_exit_code)
        fz__job_set_exit(j, res->exit_code);
    fz__job_finish(j, res->answer, res->outcome, res->reason);
}

static void remote_look(fz_job *j, const void *cfg)
{
    (void)cfg;
    const fz_remote *rm = j->r->opts.remote;
    int rc = rm->poll(rm->ud, &j->task, remote_deliver, j);
    if (j->state == JOB_DONE)
        return;
    if (rc < 0) {
        char msg[100];
        snprintf(msg, sizeof(msg), "step of another lane: %s", fz_strerror(rc));
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, msg);
        return;
    }
    if (fz__job_approval_wait(j, remote_look))
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory");
}

static int remote_start(fz_job *j, const void *cfg)
{
    remote_look(j, cfg);
    return FZ_OK;
}

static const fz_handler_ops remote_ops = {.name = "remote", .start = remote_start};

static int job_new(fz_real *r, fz_engine *e, const fz_task *t, fz_job **out)
{
    uint32_t slot = 0;
    while (slot < r->nslots && r->slots[slot])
        slot++;
    if (slot == r->nslots) {
        uint32_t nn = r->nslots ? r->nslots * 2 : 16;
        fz_job **ns =
            fz_realloc(r->alloc, r->slots, r->nslots * sizeof(fz_job *), nn * sizeof(fz_job *));
        if (!ns)
            return FZ_ENOMEM;
        memset(ns + r->nslots, 0, (nn - r->nslots) * sizeof(fz_job *));
        r->slots = ns;
        r->nslots = nn;
    }
    if (fz_vec_reserve(&r->done, r->nslots))
        return FZ_ENOMEM;
    fz_job *j = fz_calloc(r->alloc, 1, sizeof(*j));
    if (!j)
        return FZ_ENOMEM;
    j->r = r;
    j->slot = slot;
    j->gen = ++r->gen;
    j->task = *t;
    j->e = e;
    j->pid = -1;
    j->fd_out = j->fd_err = -1;
    fz_arena_init(&j->arena, r->alloc);
    fz_vec_init(&j->vars, sizeof(fz_kv), r->alloc);
    fz_vec_init(&j->ends, sizeof(on_end), r->alloc);
    uint32_t rule = fz_bind_node_rule(r->b, t->node);
    if (r->opts.remote && r->opts.remote->elsewhere(r->opts.remote->ud, t)) {
        j->ops = &remote_ops; /* its own timeout is its worker's */
        j->cfg = NULL;
    } else if (rule != FZ_NONE) {
        const fz_rule *ru = fz_bind_rule(r->b, rule);
        j->ops = ru->ops;
        j->cfg = ru->cfg;
        j->timeout_ns = ru->policy.timeout_ns;
    } else {
        j->ops = fz_handler_noop();
        j->cfg = NULL;
    }
    j->caps = fz_bind_node_caps(r->b, t->node);
    r->slots[slot] = j;
    *out = j;
    return FZ_OK;
}

void fz__job_finish(fz_job *j, fz_answer a, const char *outcome, const char *reason)
{
    if (j->state == JOB_DONE)
        return;
    fz_real *r = j->r;
    j->answer = a;
    if (outcome)
        j->outcome = fz_arena_strndup(&j->arena, outcome, strlen(outcome));
    if (reason)
        j->reason = fz_arena_strndup(&j->arena, reason, strlen(reason));
    j->state = JOB_DONE;
    j->timer_seq = 0;
    if (j->easy) {
        fz__curl->multi_remove_handle(r->multi, j->easy);
        fz__curl->easy_cleanup(j->easy);
        j->easy = NULL;
    }
    /* job_new() reserved room: a queued job never needs an allocation */
    if (r->done_head && r->done.len == r->done.cap) {
        memmove(r->done.data, &FZ_VEC_AT(&r->done, fz_job *, r->done_head),
                (r->done.len - r->done_head) * sizeof(fz_job *));
        r->done.len -= r->done_head;
        r->done_head = 0;
    }
    fz_job **slot = fz_vec_push(&r->done);
    assert(slot);
    if (slot)
        *slot = j;
    if (r->nactive)
        r->nactive--;
}

/*==========================================================================
 * The job API of handler.h
 *========================================================================*/

const fz_alloc *fz__job_alloc(fz_job *j)
{
    return j->r->alloc;
}

const char *fz__job_node_id(fz_job *j)
{
    const fz_node *n = fz_graph_node(j->r->g, j->task.node);
    char *s = fz_arena_strndup(&j->arena, fz_graph_text(j->r->g, n->id), n->id.len);
    return s ? s : "";
}

const char *fz__job_run_id(fz_job *j)
{
    return j->r->run_id;
}

const char *fz__job_var(fz_job *j, const char *key)
{
    const char *v = j->caps ? fz_caps_get(j->caps, key) : NULL;
    if (v)
        return v;
    return fz_engine_get_var(j->e, key);
}

void fz__job_each_var(fz_job *j, void (*fn)(void *ud, const char *key, const char *value), void *ud)
{
    uint32_t n = fz_engine_var_count(j->e);
    for (uint32_t i = 0; i < n; i++) {
        fz_kv kv = fz_engine_var_at(j->e, i);
        if (!j->caps || !fz_caps_get(j->caps, kv.key))
            fn(ud, kv.key, kv.value);
    }
    for (uint32_t i = 0; j->caps && i < fz_caps_count(j->caps); i++) {
        const fz_kv *kv = fz_caps_at(j->caps, i);
        fn(ud, kv->key, kv->value);
    }
}

void *fz__job_mem(fz_job *j, size_t size)
{
    void *p = fz_arena_alloc(&j->arena, size ? size : 1);
    if (p)
        memset(p, 0, size);
    return p;
}

char *fz__job_strndup(fz_job *j, const char *s, size_t len)
{
    return fz_arena_strndup(&j->arena, s, len);
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

int fz__job_expand(fz_job *j, const char *tmpl, char **out)
{
    buf b = {0};
    const fz_alloc *a = j->r->alloc;
    int rc = FZ_OK;
    const char *p = tmpl;
    while (*p) {
        const char *d = strchr(p, '$');
        if (!d) {
            rc = buf_add(a, &b, p, strlen(p), SIZE_MAX);
            break;
        }
        if ((rc = buf_add(a, &b, p, (size_t)(d - p), SIZE_MAX)))
            break;
        if (d[1] == '$' && d[2] == '{') { /* $${ is a literal ${ */
            rc = buf_add(a, &b, "${", 2, SIZE_MAX);
            p = d + 3;
        } else if (d[1] == '{') {
            const char *s = d + 2, *e = s;
            while (is_name_char(*e))
                e++;
            if (*e != '}' || e == s) {
                rc = buf_add(a, &b, d, 2, SIZE_MAX); /* not a reference: keep as is */
                p = d + 2;
            } else {
                char name[128];
                size_t n = (size_t)(e - s) < sizeof(name) - 1 ? (size_t)(e - s) : sizeof(name) - 1;
                memcpy(name, s, n);
                name[n] = '\0';
                const char *v = fz__job_var(j, name);
                if (!v) {
                    char msg[320];
                    snprintf(msg, sizeof(msg), "unknown variable ${%s} (set it with --set %s=...)",
                             name, name);
                    j->reason = fz_arena_strndup(&j->arena, msg, strlen(msg));
                    rc = FZ_ENOENT;
                    break;
                }
                rc = buf_add(a, &b, v, strlen(v), SIZE_MAX);
                p = e + 1;
            }
        } else {
            rc = buf_add(a, &b, d, 1, SIZE_MAX);
            p = d + 1;
        }
        if (rc)
            break;
    }
    if (!rc) {
        *out = fz_arena_strndup(&j->arena, b.data ? b.data : "", b.len);
        if (!*out)
            rc = FZ_ENOMEM;
    }
    buf_free(a, &b);
    return rc;
}

int fz__job_set(fz_job *j, const char *key, const char *value)
{
    /* Variables are text: a byte of a value that is not UTF-8 becomes
     * U+FFFD here, so the run, its journal and a resume see one value
     * (docs/bindings.md). */
    size_t vl = strlen(value), rl = 0;
    char *fixed =
        fz_utf8_check(value, vl) < vl ? fz_utf8_repair(j->r->alloc, value, vl, &rl) : NULL;
    char *k = fz_arena_strndup(&j->arena, key, strlen(key));
    char *v = fz_arena_strndup(&j->arena, fixed ? fixed : value, fixed ? rl : vl);
    if (fixed)
        fz_free(j->r->alloc, fixed, rl + 1);
    fz_kv *kv = (k && v) ? fz_vec_push(&j->vars) : NULL;
    if (!kv)
        return FZ_ENOMEM;
    kv->key = k;
    kv->value = v;
    return FZ_OK;
}

void fz__job_log(fz_job *j, const char *msg)
{
    if (!j->r->opts.log)
        return;
    char *m = fz_secrets_mask_str(j->r->opts.secrets, msg);
    j->r->opts.log(j->r->opts.log_ud, &j->task, m ? m : "(message dropped: out of memory)");
    free(m);
}

int fz__job_mask(fz_job *j, const char *value, size_t len)
{
    if (!j->r->opts.secrets)
        return FZ_ESTATE;
    return fz_secrets_learn(j->r->opts.secrets, value, len);
}

int fz__job_is_secret(fz_job *j, const char *key, const char *value)
{
    const fz_secrets *s = j->r->opts.secrets;
    if (!s)
        return 0;
    /* A capture of the same name shadows the secret: then it is not one. */
    if (fz_secrets_is_name(s, key) && !(j->caps && fz_caps_get(j->caps, key)))
        return 1;
    return value && fz_secrets_contains(s, value, strlen(value));
}

/* Replaces b's bytes by their masked form; output cut at the cap loses
 * a secret's beginning at its end too. */
static int mask_buf(fz_real *r, buf *b)
{
    if (b->len && b->dropped && r->opts.secrets) {
        size_t cut = fz_secrets_cut_tail(r->opts.secrets, b->data, b->len);
        if (cut && b->len - cut + sizeof FZ_SECRET_MASK <= b->cap) {
            memcpy(b->data + b->len - cut, FZ_SECRET_MASK, sizeof FZ_SECRET_MASK);
            b->len = b->len - cut + sizeof FZ_SECRET_MASK - 1;
        }
    }
    if (!b->len || !r->opts.secrets || !fz_secrets_contains(r->opts.secrets, b->data, b->len))
        return FZ_OK;
    size_t n = 0;
    char *m = fz_secrets_mask(r->opts.secrets, b->data, b->len, &n);
    if (!m)
        return FZ_ENOMEM;
    char *d = fz_malloc(r->alloc, n + 1);
    if (!d) {
        free(m);
        return FZ_ENOMEM;
    }
    memcpy(d, m, n + 1);
    free(m);
    uint64_t dropped = b->dropped;
    int stopped = b->stopped;
    buf_free(r->alloc, b);
    b->data = d;
    b->len = n;
    b->cap = n + 1;
    b->dropped = dropped;
    b->stopped = stopped;
    return FZ_OK;
}

int fz__job_mask_output(fz_job *j)
{
    int rc = mask_buf(j->r, &j->out);
    if (!rc)
        rc = mask_buf(j->r, &j->err);
    if (rc) { /* never hand out what could not be masked */
        buf_free(j->r->alloc, &j->out);
        buf_free(j->r->alloc, &j->err);
    }
    j->masked = 1;
    return rc;
}

/* A masked copy of s in the job's memory (NULL stays NULL). */
static const char *mask_text(fz_job *j, const char *s)
{
    const fz_secrets *sec = j->r->opts.secrets;
    if (!s || !sec || !fz_secrets_contains(sec, s, strlen(s)))
        return s;
    char *m = fz_secrets_mask_str(sec, s);
    const char *c = m ? fz_arena_strndup(&j->arena, m, strlen(m)) : NULL;
    free(m);
    return c ? c : FZ_SECRET_MASK;
}

void fz__job_set_exit(fz_job *j, int exit_code)
{
    j->exit_code = exit_code;
    j->has_exit = 1;
}

void fz__job_output(fz_job *j, const char **out, size_t *out_len, const char **err, size_t *err_len)
{
    *out = j->out.data ? j->out.data : "";
    *out_len = j->out.len;
    *err = j->err.data ? j->err.data : "";
    *err_len = j->err.len;
}

int fz__job_on_end(fz_job *j, void (*fn)(const fz_alloc *a, void *ptr), void *ptr)
{
    on_end *oe = fz_vec_push(&j->ends);
    if (!oe)
        return FZ_ENOMEM;
    oe->fn = fn;
    oe->ptr = ptr;
    return FZ_OK;
}

uint32_t fz__job_approval_poll_ms(fz_job *j)
{
    return j->r->opts.approval_poll_ms ? j->r->opts.approval_poll_ms : 200;
}

int fz__job_approval(fz_job *j, int *approved)
{
    const fz_approvals *ap = j->r->opts.approvals;
    if (!ap || !ap->poll)
        return FZ_ESTATE;
    return ap->poll(ap->ud, j->r->run_id, fz__job_node_id(j), j->task.id, approved);
}

int fz__job_timer(fz_job *j, uint64_t delay_ns, void (*fire)(fz_job *j, const void *cfg))
{
    uint64_t seq = 0;
    int rc = timer_push(j->r, j, fz_real_clock() + delay_ns, TIMER_HANDLER, &seq);
    if (rc)
        return rc;
    j->timer_seq = seq;
    j->fire = fire;
    j->gate = 0;
    return FZ_OK;
}

int fz__job_approval_wait(fz_job *j, void (*fire)(fz_job *j, const void *cfg))
{
    int rc = fz__job_timer(j, (uint64_t)fz__job_approval_poll_ms(j) * 1000000u, fire);
    if (!rc)
        j->gate = 1;
    return rc;
}

/* The whole body is kept, up to the handler's cap (the journal keeps the
 * first output_cap bytes of it, see seal()); past the cap the transfer
 * stops and fz__job_dropped() tells the handler why. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    fz_job *j = ud;
    size_t len = size * n;
    if (len > j->body_cap - j->out.len) {
        j->out.dropped += len;
        j->out.stopped = 1;
        return 0; /* past max_body: abort the transfer */
    }
    if (buf_add(j->r->alloc, &j->out, data, len, SIZE_MAX))
        return 0; /* out of memory: abort the transfer */
    return len;
}

uint64_t fz__job_dropped(fz_job *j)
{
    return j->out.dropped;
}

void fz__job_err_tail(fz_job *j, const char **tail, size_t *len)
{
    if (j->err.dropped) {
        *tail = j->err_tail;
        *len = j->err_tail_len;
    } else {
        *tail = j->err.data ? j->err.data : "";
        *len = j->err.len;
    }
}

void fz__job_set_data(fz_job *j, void *p)
{
    j->data = p;
}

void *fz__job_data(fz_job *j)
{
    return j->data;
}

void fz__job_stdout_lines(fz_job *j, void (*fn)(fz_job *j, const char *line, size_t len, int cut))
{
    j->on_line = fn;
}

int fz__job_http(fz_job *j, void *easy, size_t max_body,
                 void (*done)(fz_job *j, const void *cfg, int curl_code, long status))
{
    CURL *h = easy;
    j->easy = h;
    j->body_cap = max_body ? max_body : SIZE_MAX;
    j->http_done = done;
    fz__curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    fz__curl->easy_setopt(h, CURLOPT_WRITEDATA, j);
    fz__curl->easy_setopt(h, CURLOPT_PRIVATE, j);
    if (!j->r->multi || fz__curl->multi_add_handle(j->r->multi, h) != CURLM_OK)
        return FZ_EHTTP;
    return FZ_OK;
}

/* Builds the child's environment: ours, minus names overridden, plus the
 * additions and the FZ_* variables. Strings live in the job's arena. */
static char **build_env(fz_job *j, const fz_kv *add)
{
    char node_id[256];
    const fz_node *n = fz_graph_node(j->r->g, j->task.node);
    snprintf(node_id, sizeof(node_id), "%.*s", (int)n->id.len, fz_graph_text(j->r->g, n->id));
    char attempt[16], task[16], key[96];
    snprintf(attempt, sizeof(attempt), "%u", j->task.attempt);
    snprintf(task, sizeof(task), "%u", j->task.id);
    /* The same for every attempt of this step of this run (task ids are
     * deterministic), on whichever worker: handlers dedupe on it. */
    snprintf(key, sizeof key, "flowzap-%.40s-%u", j->r->run_id, j->task.id);
    enum { NFZ = 5 };
    fz_kv fz[NFZ] = {{"FZ_ATTEMPT", attempt},
                     {"FZ_RUN_ID", j->r->run_id},
                     {"FZ_NODE", node_id},
                     {"FZ_TASK", task},
                     {"FZ_IDEMPOTENCY_KEY", key}};
    size_t nadd = 0, nenv = 0;
    while (add && add[nadd].key)
        nadd++;
    while (environ[nenv])
        nenv++;
    size_t total = nenv + nadd + NFZ + 1;
    char **envp = fz__job_mem(j, total * sizeof(char *));
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t kl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int overridden = 0;
        for (size_t a = 0; a < nadd && !overridden; a++)
            overridden = strlen(add[a].key) == kl && memcmp(add[a].key, environ[i], kl) == 0;
        for (size_t a = 0; a < NFZ && !overridden; a++)
            overridden = strlen(fz[a].key) == kl && memcmp(fz[a].key, environ[i], kl) == 0;
        /* An inherited variable holding a secret (its source, say) is left
         * out: secrets reach a child only through its `env:` mapping. */
        if (!overridden && eq && fz_secrets_contains(j->r->opts.secrets, eq + 1, strlen(eq + 1)))
            overridden = 1;
        if (!overridden)
            envp[k++] = environ[i];
    }
    for (size_t a = 0; a < nadd + NFZ; a++) {
        const fz_kv *kv = a < nadd ? &add[a] : &fz[a - nadd];
        /* later additions win over earlier ones of the same name */
        int later = 0;
        for (size_t b = a + 1; b < nadd && !later; b++)
            later = strcmp(add[b].key, kv->key) == 0;
        if (later)
            continue;
        size_t len = strlen(kv->key) + strlen(kv->value) + 2;
        char *s = fz__job_mem(j, len);
        if (!s)
            return NULL;
        snprintf(s, len, "%s=%s", kv->key, kv->value);
        envp[k++] = s;
    }
    envp[k] = NULL;
    return envp;
}

/* The program a bare name (no '/') runs: the first executable in PATH,
 * found once per name and run (posix_spawnp would search PATH again for
 * every step, one failed execve per directory before the right one).
 * Returns name itself when it has a '/' or is not found (posix_spawnp
 * then reports the error). */
static const char *resolve_program(fz_real *r, const char *name)
{
    if (strchr(name, '/') || !*name)
        return name;
    for (uint32_t i = 0; i < r->paths.len; i++)
        if (strcmp(FZ_VEC_AT(&r->paths, fz_kv, i).key, name) == 0)
            return FZ_VEC_AT(&r->paths, fz_kv, i).value;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char cand[4096];
    const char *found = NULL;
    for (const char *p = path; *p && !found;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t)(colon - p) : strlen(p);
        int n = snprintf(cand, sizeof(cand), "%.*s%s%s", (int)dl, p, dl ? "/" : "", name);
        if (n > 0 && (size_t)n < sizeof(cand) && access(cand, X_OK) == 0) {
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode))
                found = cand;
        }
        p = colon ? colon + 1 : p + dl;
    }
    if (!found)
        return name;
    char *k = fz_strdup(r->alloc, name), *v = fz_strdup(r->alloc, found);
    fz_kv *kv = (k && v) ? fz_vec_push(&r->paths) : NULL;
    if (!kv) {
        if (k)
            fz_free(r->alloc, k, strlen(k) + 1);
        if (v)
            fz_free(r->alloc, v, strlen(v) + 1);
        return name; /* out of memory: let posix_spawnp search */
    }
    kv->key = k;
    kv->value = v;
    return v;
}

int fz__job_spawn(fz_job *j, char *const *argv, const char *cwd, const fz_kv *env,
                  void (*done)(fz_job *j, const void *cfg, int wait_status))
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int rc = FZ_OK;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int fa_ok = 0, attr_ok = 0;
    char **envp = build_env(j, env);
    if (!envp)
        return FZ_ENOMEM;
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        rc = FZ_ESYS;
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) || (fa_ok = 1, 0) || posix_spawnattr_init(&attr) ||
        (attr_ok = 1, 0)) {
        rc = FZ_ENOMEM;
        goto out;
    }
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGCHLD);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGQUIT);
    sigaddset(&dfl, SIGHUP);
    if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1) ||
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2) ||
        (cwd && posix_spawn_file_actions_addchdir_np(&fa, cwd)) ||
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF) ||
        posix_spawnattr_setpgroup(&attr, 0) || posix_spawnattr_setsigmask(&attr, &none) ||
        posix_spawnattr_setsigdefault(&attr, &dfl)) {
        rc = FZ_ENOMEM;
        goto out;
    }
    pid_t pid = -1;
    const char *prog = resolve_program(j->r, argv[0]);
    int err = prog == argv[0] ? posix_spawnp(&pid, prog, &fa, &attr, argv, envp)
                              : posix_spawn(&pid, prog, &fa, &attr, argv, envp);
    if (err) {
        char msg[400];
        snprintf(msg, sizeof(msg), "cannot run '%.200s'%s%.100s: %s", argv[0], cwd ? " in " : "",
                 cwd ? cwd : "", strerror(err));
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, msg);
        fz__job_set_exit(j, 127);
        goto out;
    }
    j->pid = pid;
    if (j->r->opts.on_spawn)
        j->r->opts.on_spawn(j->r->opts.spawn_ud, &j->task, (int)pid);
    j->spawn_done = done;
    j->fd_out = outp[0];
    j->fd_err = errp[0];
    outp[0] = errp[0] = -1;
    fcntl(j->fd_out, F_SETFL, O_NONBLOCK);
    fcntl(j->fd_err, F_SETFL, O_NONBLOCK);
out:
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 2; i++) {
        close_fd(&outp[i]);
        close_fd(&errp[i]);
    }
    return rc;
}

/*==========================================================================
 * The loop
 *========================================================================*/

/* Passes each complete line of s (n bytes) to the job's on_line, keeping
 * an unfinished one for the next read. A line is kept up to
 * FZ_JOB_LINE_MAX bytes; the rest of it is skipped and the line is passed
 * as cut. Lines whole inside s are passed in place, without a copy. */
static void lines_feed(fz_real *r, fz_job *j, const char *s, size_t n)
{
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t take = nl ? (size_t)(nl - s) : n;
        if (nl && j->line.len == 0 && !j->line_cut && take <= FZ_JOB_LINE_MAX) {
            j->on_line(j, s, take, 0);
        } else {
            size_t room = FZ_JOB_LINE_MAX - j->line.len;
            size_t keep = take < room ? take : room;
            if (buf_add(r->alloc, &j->line, s, keep, FZ_JOB_LINE_MAX) || keep < take)
                j->line_cut = 1; /* too long, or no memory for it: passed cut */
            if (!nl)
                return;
            j->on_line(j, j->line.data ? j->line.data : "", j->line.len, j->line_cut);
            j->line.len = 0;
            j->line_cut = 0;
        }
        s = nl + 1;
        n -= take + 1;
    }
}

/* The last line, when the stream ended without a newline. */
static void lines_flush(fz_job *j)
{
    if (j->on_line && (j->line.len || j->line_cut) && j->state == JOB_RUNNING)
        j->on_line(j, j->line.data ? j->line.data : "", j->line.len, j->line_cut);
    j->line.len = 0;
    j->line_cut = 0;
}

/* The output as the journal keeps it: the first output_cap bytes, then,
 * when anything was cut, a line saying how much. */
static void seal(fz_real *r, buf *b)
{
    if (b->len > r->cap) {
        b->dropped += b->len - r->cap;
        b->len = r->cap;
        b->data[b->len] = '\0';
    }
    if (!b->dropped)
        return;
    char mark[120];
    int n = snprintf(mark, sizeof(mark), "%s[... %llu bytes dropped%s]\n",
                     b->len && b->data[b->len - 1] != '\n' ? "\n" : "",
                     (unsigned long long)b->dropped, b->stopped ? "; reading stopped there" : "");
    (void)buf_add(r->alloc, b, mark, (size_t)n, SIZE_MAX); /* no memory: cut, unmarked */
}

/* Keeps the last bytes of stderr, for the reason (its last line) when the
 * stream ran past the cap. */
static void tail_add(fz_job *j, const char *s, size_t n)
{
    size_t cap = sizeof(j->err_tail);
    if (n >= cap) {
        memcpy(j->err_tail, s + n - cap, cap);
        j->err_tail_len = cap;
        return;
    }
    size_t keep = j->err_tail_len + n > cap ? cap - n : j->err_tail_len;
    memmove(j->err_tail, j->err_tail + j->err_tail_len - keep, keep);
    memcpy(j->err_tail + keep, s, n);
    j->err_tail_len = keep + n;
}

/* Reads what fd has now; returns 1 at EOF or error (fd closed). The job's
 * stdout also goes through its line reader when it has one. */
static int drain(fz_real *r, fz_job *j, int *fd, buf *b)
{
    char tmp[16384];
    for (;;) {
        ssize_t n = read(*fd, tmp, sizeof(tmp));
        if (n > 0) {
            if (buf_add(r->alloc, b, tmp, (size_t)n, r->cap))
                b->dropped += (size_t)n; /* no memory: counted as cut */
            if (b == &j->err)
                tail_add(j, tmp, (size_t)n);
            if (b == &j->out && j->on_line && j->state == JOB_RUNNING)
                lines_feed(r, j, tmp, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        close_fd(fd);
        return 1;
    }
}

/* 1 when pid is a running job's child or in a running job's group. */
static int in_running_job(fz_real *r, pid_t pid, pid_t pgid)
{
    for (uint32_t i = 0; i < r->nslots; i++) {
        fz_job *j = r->slots[i];
        if (j && j->pid > 0 && !j->reaped && (j->pid == pid || j->pid == pgid))
            return 1;
    }
    return 0;
}

/* Kills what steps left behind outside their process groups. flowzap is a
 * child subreaper (PR_SET_CHILD_SUBREAPER), so a step's descendant whose
 * parent died is adopted by it rather than by init, even after setsid():
 * each adopted child that belongs to no running step (its own group is
 * not flowzap's, which a test harness's own children share, nor a running
 * step's) is killed and reaped; its children are adopted in turn and
 * found by the next round. With wait_groups, also waits (up to 2 s) for
 * the groups of ended steps to empty, sweeping as their members die. */
static void sweep_adopted(fz_real *r, int wait_groups)
{
    pid_t mine = getpgrp();
    uint64_t until = fz_real_clock() + 2000000000u;
    for (;;) {
        int kids[256];
        int n = fz_proc_children(kids, sizeof kids / sizeof kids[0]);
        int found = 0;
        for (int i = 0; i < n; i++) {
            pid_t pid = (pid_t)kids[i], pg = getpgid(pid);
            if (pg < 0 || pg == mine || in_running_job(r, pid, pg))
                continue;
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            found++;
        }
        /* Forget the groups that are gone. */
        uint32_t k = 0;
        for (uint32_t i = 0; i < r->groups.len; i++) {
            int g = FZ_VEC_AT(&r->groups, int, i);
            if (kill(-g, 0) == 0 || errno == EPERM)
                FZ_VEC_AT(&r->groups, int, k++) = g;
        }
        r->groups.len = k;
        if (found)
            continue;
        if (!wait_groups || !r->groups.len || fz_real_clock() >= until)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

/* The child was reaped: take the rest of its output, end its group. */
static void child_finished(fz_real *r, fz_job *j)
{
    if (j->fd_out >= 0)
        drain(r, j, &j->fd_out, &j->out);
    if (j->fd_err >= 0)
        drain(r, j, &j->fd_err, &j->err);
    close_fd(&j->fd_out);
    close_fd(&j->fd_err);
    lines_flush(j);
    /* Leftovers of the step (ESRCH when none); then what left the group. */
    if (kill(-j->pid, SIGKILL) == 0) {
        int *g = fz_vec_push(&r->groups);
        if (g)
            *g = j->pid;
    }
    j->pid = -1;
    sweep_adopted(r, 0);
    if (j->timed_out) {
        j->vars.len = 0; /* a step that timed out sets no variables */
        char msg[100];
        snprintf(msg, sizeof(msg), "timed out after %.3gs", (double)j->timeout_ns / 1e9);
        if (WIFSIGNALED(j->wstatus))
            fz__job_set_exit(j, 128 + WTERMSIG(j->wstatus));
        fz__job_finish(j, FZ_ANSWER_TIMEOUT, NULL, msg);
    } else if (j->state == JOB_RUNNING) {
        j->spawn_done(j, j->cfg, j->wstatus);
        if (j->state != JOB_DONE)
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "handler gave no answer");
    }
}

static void reap(fz_real *r)
{
    for (uint32_t i = 0; i < r->nslots; i++) {
        fz_job *j = r->slots[i];
        if (!j || j->pid <= 0 || j->reaped)
            continue;
        int st = 0;
        pid_t p = waitpid(j->pid, &st, WNOHANG);
        if (p == j->pid) {
            j->reaped = 1;
            j->wstatus = st;
            child_finished(r, j);
        }
    }
}

static void begin(fz_real *r, fz_job *j)
{
    j->state = JOB_RUNNING;
    r->nactive++;
    if (j->timeout_ns && timer_push(r, j, fz_real_clock() + j->timeout_ns, TIMER_TIMEOUT, NULL)) {
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory");
        return;
    }
    if (fz_bind_node_rule(r->b, j->task.node) == FZ_NONE)
        fz__job_log(j, "no handler bound (--allow-unbound): skipped");
    int rc = j->ops->start(j, j->cfg);
    if (rc && j->state != JOB_DONE) {
        if (j->pid > 0) {
            kill(-j->pid, SIGKILL);
            j->timed_out = 0;
        }
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, j->reason ? j->reason : fz_strerror(rc));
    }
}

static void on_timeout(fz_real *r, fz_job *j)
{
    j->timed_out = 1;
    if (j->ops->cancel)
        j->ops->cancel(j, j->cfg);
    if (j->pid > 0) {
        kill(-j->pid, SIGKILL); /* reaped in the loop; then the job ends */
        return;
    }
    char msg[100];
    snprintf(msg, sizeof(msg), "timed out after %.3gs", (double)j->timeout_ns / 1e9);
    fz__job_finish(j, FZ_ANSWER_TIMEOUT, NULL, msg);
    (void)r;
}

static void fire_timers(fz_real *r)
{
    uint64_t now = fz_real_clock();
    while (r->timers.len) {
        timer t = FZ_VEC_AT(&r->timers, timer, 0);
        if (t.at > now)
            break;
        timer_pop(r);
        fz_job *j = timer_job(r, &t);
        if (!j)
            continue;
        if (t.kind == TIMER_START) {
            begin(r, j);
        } else if (t.kind == TIMER_TIMEOUT) {
            on_timeout(r, j);
        } else {
            j->timer_seq = 0;
            j->fire(j, j->cfg);
        }
    }
}

static void drain_self_pipe(fz_real *r, int *child)
{
    char tmp[256];
    for (;;) {
        ssize_t n = read(r->pipe_r, tmp, sizeof(tmp));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (tmp[i] == 'C')
                *child = 1;
    }
}

static void http_progress(fz_real *r)
{
    int running = 0;
    fz__curl->multi_perform(r->multi, &running);
    CURLMsg *m;
    int left = 0;
    while ((m = fz__curl->multi_info_read(r->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        fz_job *j = NULL;
        fz__curl->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        if (!j || j->state != JOB_RUNNING)
            continue;
        long status = 0;
        fz__curl->easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        int code = (int)m->data.result;
        fz__curl->multi_remove_handle(r->multi, j->easy);
        fz__curl->easy_cleanup(j->easy);
        j->easy = NULL;
        j->http_done(j, j->cfg, code, status);
        if (j->state != JOB_DONE)
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "handler gave no answer");
    }
}

/* 1 when a gate waits for its next approval poll. */
static int gates_waiting(const fz_real *r)
{
    for (uint32_t s = 0; s < r->nslots; s++) {
        const fz_job *j = r->slots[s];
        if (j && j->state == JOB_RUNNING && j->gate && j->timer_seq)
            return 1;
    }
    return 0;
}

/* An answer may have come: every waiting gate polls now and arms its next
 * poll (the armed timer's heap entry is left stale: timer_job drops it). */
static void wake_gates(fz_real *r)
{
    for (uint32_t s = 0; s < r->nslots; s++) {
        fz_job *j = r->slots[s];
        if (!j || j->state != JOB_RUNNING || !j->gate || !j->timer_seq)
            continue;
        j->gate = 0;
        j->timer_seq = 0;
        j->fire(j, j->cfg);
    }
}

/* One round: poll our fds and curl's, then act on what is ready. */
static int loop_once(fz_real *r)
{
    struct curl_waitfd stack_fds[64];
    struct curl_waitfd *fds = stack_fds;
    uint32_t cap = 64, n = 0;
    uint32_t need = 2 + 2 * r->nslots;
    if (need > cap) {
        fds = fz_malloc(r->alloc, need * sizeof(*fds));
        if (!fds)
            return FZ_ENOMEM;
        cap = need;
    }
    fds[n].fd = r->pipe_r;
    fds[n].events = CURL_WAIT_POLLIN;
    fds[n].revents = 0;
    n++;
    for (uint32_t i = 0; i < r->nslots; i++) {
        fz_job *j = r->slots[i];
        if (!j || j->state != JOB_RUNNING)
            continue;
        int fdl[2] = {j->fd_out, j->fd_err};
        for (int k = 0; k < 2; k++) {
            if (fdl[k] < 0)
                continue;
            fds[n].fd = fdl[k];
            fds[n].events = CURL_WAIT_POLLIN;
            fds[n].revents = 0;
            n++;
        }
    }
    /* The approvals' wake-up: what came while we were busy, then its fd. */
    const fz_approvals *ap = r->opts.approvals;
    uint32_t wake_at = 0; /* index of the wake-up's fd in fds, 0: none */
    int woken = 0;
    if (ap && ap->wake_fd && ap->drain && gates_waiting(r)) {
        woken = ap->drain(ap->ud) == 1;
        int wfd = woken ? -1 : ap->wake_fd(ap->ud);
        if (wfd >= 0) {
            wake_at = n;
            fds[n].fd = wfd;
            fds[n].events = CURL_WAIT_POLLIN;
            fds[n].revents = 0;
            n++;
        }
    }
    int timeout_ms = woken ? 0 : 1000;
    if (r->timers.len) {
        uint64_t now = fz_real_clock(), at = FZ_VEC_AT(&r->timers, timer, 0).at;
        uint64_t ms = at > now ? (at - now + 999999) / 1000000 : 0;
        timeout_ms = ms < (uint64_t)timeout_ms ? (int)ms : timeout_ms;
    }
    int rc = FZ_OK;
    if (r->multi) {
        long cms = -1;
        fz__curl->multi_timeout(r->multi, &cms);
        if (cms >= 0 && cms < timeout_ms)
            timeout_ms = (int)cms;
        if (fz__curl->multi_poll(r->multi, fds, n, timeout_ms, NULL) != CURLM_OK) {
            rc = FZ_ESYS;
            goto out;
        }
    } else {
        /* no HTTP rule: plain poll() on the same descriptors */
        struct pollfd pstack[64], *pfds = pstack;
        if (n > 64 && !(pfds = fz_malloc(r->alloc, n * sizeof(*pfds)))) {
            rc = FZ_ENOMEM;
            goto out;
        }
        for (uint32_t i = 0; i < n; i++) {
            pfds[i].fd = fds[i].fd;
            pfds[i].events = POLLIN;
            pfds[i].revents = 0;
        }
        int pr = poll(pfds, n, timeout_ms);
        for (uint32_t i = 0; i < n; i++)
            fds[i].revents = pr > 0 ? pfds[i].revents : 0;
        if (pfds != pstack)
            fz_free(r->alloc, pfds, n * sizeof(*pfds));
        if (pr < 0 && errno != EINTR) {
            rc = FZ_ESYS;
            goto out;
        }
    }
    int child = 0;
    drain_self_pipe(r, &child);
    if (wake_at && fds[wake_at].revents && ap->drain(ap->ud) == 1)
        woken = 1;
    for (uint32_t i = 1; i < n; i++) {
        if (!fds[i].revents || i == wake_at)
            continue;
        for (uint32_t s = 0; s < r->nslots; s++) {
            fz_job *j = r->slots[s];
            if (!j)
                continue;
            if (j->fd_out == fds[i].fd)
                drain(r, j, &j->fd_out, &j->out);
            else if (j->fd_err == fds[i].fd)
                drain(r, j, &j->fd_err, &j->err);
        }
    }
    if (child)
        reap(r);
    if (r->multi)
        http_progress(r);
    if (woken)
        wake_gates(r);
    fire_timers(r);
out:
    if (fds != stack_fds)
        fz_free(r->alloc, fds, cap * sizeof(*fds));
    return rc;
}

/*==========================================================================
 * fz_backend
 *========================================================================*/

static uint64_t be_now(void *ud)
{
    (void)ud;
    return fz_real_clock();
}

static int be_start(void *ud, fz_engine *e, const fz_task *t)
{
    fz_real *r = ud;
    fz_job *j = NULL;
    int rc = job_new(r, e, t, &j);
    if (rc)
        return rc;
    if (t->delay_ns) {
        j->state = JOB_DELAYED;
        rc = timer_push(r, j, fz_real_clock() + t->delay_ns, TIMER_START, NULL);
        if (rc) {
            job_release(r, j);
            return rc;
        }
        return FZ_OK;
    }
    /* Begun at the next wait(), so that the engine's on_start (which
     * follows this call) is observed before the handler acts. */
    timer *pt = fz_vec_push(&r->pending);
    if (!pt) {
        job_release(r, j);
        return FZ_ENOMEM;
    }
    j->state = JOB_DELAYED;
    pt->slot = j->slot;
    pt->gen = j->gen;
    pt->kind = TIMER_START;
    return FZ_OK;
}

static int be_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *res)
{
    (void)e;
    fz_real *r = ud;
    job_release(r, r->last);
    r->last = NULL;
    for (uint32_t i = 0; i < r->pending.len; i++) {
        fz_job *j = timer_job(r, &FZ_VEC_AT(&r->pending, timer, i));
        if (j)
            begin(r, j);
    }
    r->pending.len = 0;
    for (;;) {
        if (r->done_head < r->done.len) {
            fz_job *j = FZ_VEC_AT(&r->done, fz_job *, r->done_head);
            r->done_head++;
            if (r->done_head == r->done.len)
                r->done_head = r->done.len = 0;
            r->last = j;
            *task_id = j->task.id;
            /* Nothing a step printed or said leaves the backend unmasked;
             * variables keep their values (the journal records them by
             * reference, real/journal_recorder.c). */
            if (!j->masked)
                fz__job_mask_output(j);
            seal(r, &j->out); /* after masking: the cut cannot split a secret */
            seal(r, &j->err);
            j->reason = mask_text(j, j->reason);
            j->outcome = mask_text(j, j->outcome);
            memset(res, 0, sizeof(*res));
            res->answer = j->answer;
            res->outcome = j->outcome;
            res->reason = j->reason;
            res->vars = j->vars.data;
            res->nvars = j->vars.len;
            res->out = j->out.data;
            res->out_len = j->out.len;
            res->err = j->err.data;
            res->err_len = j->err.len;
            res->exit_code = j->exit_code;
            res->has_exit_code = (uint8_t)j->has_exit;
            return FZ_OK;
        }
        if (sig_interrupted)
            return FZ_EINTR;
        int any = 0;
        for (uint32_t i = 0; i < r->nslots && !any; i++)
            any = r->slots[i] != NULL;
        if (!any)
            return FZ_ESTATE; /* nothing started: nothing to wait for */
        int rc = loop_once(r);
        if (rc)
            return rc;
    }
}

/* Stops every job: SIGTERM to each process group, up to 2 s for them to
 * go, then SIGKILL; every child is reaped before this returns. */
static void be_cancel_all(void *ud, fz_engine *e)
{
    (void)e;
    fz_real *r = ud;
    job_release(r, r->last);
    r->last = NULL;
    int children = 0;
    for (uint32_t i = 0; i < r->nslots; i++) {
        fz_job *j = r->slots[i];
        if (j && j->pid > 0 && !j->reaped) {
            kill(-j->pid, SIGTERM);
            children++;
        }
    }
    uint64_t until = fz_real_clock() + 2000000000u;
    while (children && fz_real_clock() < until) {
        struct pollfd p = {r->pipe_r, POLLIN, 0};
        poll(&p, 1, 50);
        int dummy = 0;
        drain_self_pipe(r, &dummy);
        children = 0;
        for (uint32_t i = 0; i < r->nslots; i++) {
            fz_job *j = r->slots[i];
            if (!j || j->pid <= 0 || j->reaped)
                continue;
            if (waitpid(j->pid, &j->wstatus, WNOHANG) == j->pid)
                j->reaped = 1;
            else
                children++;
        }
    }
    for (uint32_t i = 0; i < r->nslots; i++) {
        fz_job *j = r->slots[i];
        if (!j)
            continue;
        if (j->ops && j->ops->cancel && j->state == JOB_RUNNING)
            j->ops->cancel(j, j->cfg);
        if (j->pid > 0) {
            if (kill(-j->pid, SIGKILL) == 0) {
                int *g = fz_vec_push(&r->groups);
                if (g)
                    *g = j->pid;
            }
            if (!j->reaped)
                while (waitpid(j->pid, &j->wstatus, 0) < 0 && errno == EINTR)
                    ;
            j->pid = -1;
        }
        job_release(r, j);
    }
    r->done.len = r->done_head = 0;
    r->timers.len = 0;
    r->pending.len = 0;
    r->nactive = 0;
    sweep_adopted(r, 1);
}

/*==========================================================================
 * Lifecycle
 *========================================================================*/

int fz_real_new(const fz_graph *g, const fz_bind *b, const fz_real_opts *opts,
                const fz_alloc *alloc, fz_real **out)
{
    *out = NULL;
    if (active_backend)
        return FZ_ESTATE;
    if (!alloc)
        alloc = fz_alloc_default();
    fz_real *r = fz_calloc(alloc, 1, sizeof(*r));
    if (!r)
        return FZ_ENOMEM;
    r->alloc = alloc;
    r->g = g;
    r->b = b;
    if (opts)
        r->opts = *opts;
    r->cap = r->opts.output_cap ? r->opts.output_cap : (size_t)1 << 20;
    r->pipe_r = r->pipe_w = -1;
    fz_vec_init(&r->timers, sizeof(timer), alloc);
    fz_vec_init(&r->done, sizeof(fz_job *), alloc);
    fz_vec_init(&r->pending, sizeof(timer), alloc);
    fz_vec_init(&r->paths, sizeof(fz_kv), alloc);
    fz_vec_init(&r->groups, sizeof(int), alloc);
    r->subreaper_was = -1;
    int rc = FZ_OK;
    r->run_id = fz_strdup(alloc, r->opts.run_id ? r->opts.run_id : "local");
    if (!r->run_id) {
        rc = FZ_ENOMEM;
        goto fail;
    }
    r->opts.run_id = r->run_id;
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
        rc = FZ_ESYS;
        goto fail;
    }
    r->pipe_r = p[0];
    r->pipe_w = p[1];
    /* libcurl (and the TLS library it loads) only when a rule needs it:
     * its global init costs milliseconds at every start. */
    int need_http = 0;
    for (uint32_t i = 0; i < fz_bind_rule_count(b); i++)
        need_http |= fz_bind_rule(b, i)->ops == &fz__handler_http;
    if (need_http) {
        const char *why = NULL; /* FZ_EHTTP says enough to the caller */
        if (fz_curl_load(&why) || fz__curl->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            rc = FZ_EHTTP;
            goto fail;
        }
        r->multi = fz__curl->multi_init();
        if (!r->multi) {
            fz__curl->global_cleanup();
            rc = FZ_ENOMEM;
            goto fail;
        }
    }
    r->backend.name = "real";
    r->backend.now = be_now;
    r->backend.start = be_start;
    r->backend.wait = be_wait;
    r->backend.cancel_all = be_cancel_all;
    r->backend.ud = r;

    sig_fd = r->pipe_w;
    sig_interrupted = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &r->old_chld);
    if (r->opts.catch_signals) {
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, &r->old_int);
        sigaction(SIGTERM, &sa, &r->old_term);
        r->caught = 1;
    }
    /* Descendants of steps whose parent died come to us, not to init, so
     * that none outlives its run (sweep_adopted). */
    int was = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &was) == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
        r->subreaper_was = was;
    active_backend = r;
    *out = r;
    return FZ_OK;
fail:
    fz_real_free(r);
    return rc;
}

void fz_real_free(fz_real *r)
{
    if (!r)
        return;
    if (active_backend == r) {
        be_cancel_all(r, NULL);
        sigaction(SIGCHLD, &r->old_chld, NULL);
        if (r->caught) {
            sigaction(SIGINT, &r->old_int, NULL);
            sigaction(SIGTERM, &r->old_term, NULL);
        }
        sig_fd = -1;
        active_backend = NULL;
        if (r->subreaper_was >= 0)
            prctl(PR_SET_CHILD_SUBREAPER, r->subreaper_was);
    }
    if (r->multi) {
        fz__curl->multi_cleanup(r->multi);
        fz__curl->global_cleanup();
    }
    close_fd(&r->pipe_r);
    close_fd(&r->pipe_w);
    fz_free(r->alloc, r->slots, r->nslots * sizeof(fz_job *));
    fz_vec_fini(&r->timers);
    fz_vec_fini(&r->done);
    fz_vec_fini(&r->pending);
    fz_vec_fini(&r->groups);
    for (uint32_t i = 0; i < r->paths.len; i++) {
        fz_kv *kv = &FZ_VEC_AT(&r->paths, fz_kv, i);
        fz_free(r->alloc, (char *)kv->key, strlen(kv->key) + 1);
        fz_free(r->alloc, (char *)kv->value, strlen(kv->value) + 1);
    }
    fz_vec_fini(&r->paths);
    if (r->run_id)
        fz_free(r->alloc, r->run_id, strlen(r->run_id) + 1);
    fz_free(r->alloc, r, sizeof(*r));
}

const fz_backend *fz_real_backend(fz_real *r)
{
    return &r->backend;
}
