/* SPDX-License-Identifier: MIT */
/*
 * journal_store.c - real/journal.h's API over the journal stores
 * (journal_int.h): the location picks the store (a PostgreSQL URI or
 * libpq keyword string: journal_pg.c; anything else is a SQLite file:
 * journal.c), and every public function dispatches to it. Locations are
 * shown with their password masked, everywhere.
 */
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "real/journal_int.h"
#include "real/proc.h"

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int fz_journal_location_is_postgres(const char *loc)
{
    if (!loc)
        return 0;
    if (has_prefix(loc, "postgres://") || has_prefix(loc, "postgresql://"))
        return 1;
    /* A keyword string ("host=/tmp dbname=flowzap") is what libpq parses
     * as one; a file name with '=' in it whose words are no libpq
     * keywords stays a file. */
    if (!strchr(loc, '='))
        return 0;
    char *err = NULL;
    PQconninfoOption *o = PQconninfoParse(loc, &err);
    PQfreemem(err);
    if (!o)
        return 0;
    PQconninfoFree(o);
    return 1;
}

/* Appends n bytes of p to out (capacity cap, length *len), truncating. */
static void put(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
    if (*len + 1 >= cap)
        return;
    if (n > cap - 1 - *len)
        n = cap - 1 - *len;
    memcpy(out + *len, p, n);
    *len += n;
    out[*len] = '\0';
}

/* A URI: the password after user: in the authority and a password=
 * parameter are masked. */
static void mask_uri(const char *loc, char *out, size_t cap)
{
    size_t len = 0;
    const char *auth = strstr(loc, "://") + 3;
    put(out, cap, &len, loc, (size_t)(auth - loc));
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) {
            put(out, cap, &len, auth, (size_t)(colon - auth));
            put(out, cap, &len, ":***", 4);
        } else
            put(out, cap, &len, auth, (size_t)(at - auth));
        put(out, cap, &len, at, (size_t)(auth + alen - at));
    } else
        put(out, cap, &len, auth, alen);
    const char *p = auth + alen;
    while (*p) {
        size_t n = strcspn(p + 1, "?&#") + 1; /* one separator and what follows it */
        if (has_prefix(p + 1, "password=")) {
            put(out, cap, &len, p, 10);
            put(out, cap, &len, "***", 3);
        } else
            put(out, cap, &len, p, n);
        p += n;
    }
}

/* A keyword string: the value of password= is masked (quoted or not). */
static void mask_keywords(const char *loc, char *out, size_t cap)
{
    size_t len = 0;
    const char *p = loc;
    while (*p) {
        const char *ks = p;
        while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        size_t klen = (size_t)(p - ks);
        int secret = klen == 8 && strncmp(ks, "password", 8) == 0;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p != '=') {
            put(out, cap, &len, ks, (size_t)(p - ks));
            continue;
        }
        p++;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *vs = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else
            while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                p++;
        put(out, cap, &len, ks, klen);
        put(out, cap, &len, "=", 1);
        if (secret)
            put(out, cap, &len, "***", 3);
        else
            put(out, cap, &len, vs, (size_t)(p - vs));
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p)
            put(out, cap, &len, " ", 1);
    }
}

void fz_journal_location_mask(const char *loc, char *out, size_t n)
{
    if (!n)
        return;
    out[0] = '\0';
    if (!loc)
        return;
    if (has_prefix(loc, "postgres://") || has_prefix(loc, "postgresql://"))
        mask_uri(loc, out, n);
    else if (fz_journal_location_is_postgres(loc))
        mask_keywords(loc, out, n);
    else
        snprintf(out, n, "%s", loc);
}

int fz_journal_open(const char *path, fz_journal_sync sync, const fz_alloc *alloc, fz_journal **out)
{
    *out = NULL;
    fz_journal *j = fz_calloc(alloc, 1, sizeof *j);
    if (!j)
        return FZ_ENOMEM;
    j->alloc = alloc;
    *out = j;
    fz_journal_location_mask(path, j->where, sizeof j->where);
    if (fz_journal_location_is_postgres(path))
        return fz__journal_pg_open(j, path, sync);
    return fz__journal_sqlite_open(j, path, sync);
}

void fz_journal_free(fz_journal *j)
{
    if (!j)
        return;
    if (j->ops)
        j->ops->close(j);
    fz_free(j->alloc, j->buf, j->buf_cap);
    fz_free(j->alloc, j, sizeof *j);
}

int fz_journal_socket(const fz_journal *j)
{
    return j && j->ops && j->ops->socket ? j->ops->socket(j) : -1;
}

int fz_journal_prepare(fz_journal *j)
{
    return j->ops->prepare ? j->ops->prepare(j) : 0;
}

void fz_journal_forget(fz_journal *j)
{
    /* The descriptor now names /dev/null: the close sends nothing on the
     * connection the child holds (its own copy of the socket). */
    int fd = fz_journal_socket(j);
    int null = fd >= 0 ? open("/dev/null", O_RDWR | O_CLOEXEC) : -1;
    if (null >= 0) {
        dup2(null, fd);
        close(null);
    }
    fz_journal_free(j);
}

void fz_journal_set_patience(fz_journal *j, uint32_t ms)
{
    if (j)
        j->patience_ms = ms;
}

const char *fz_journal_store_name(const fz_journal *j)
{
    return j && j->ops ? j->ops->name : NULL;
}

const char *fz_journal_where(const fz_journal *j)
{
    return j ? j->where : "";
}

const char *fz_journal_sync_mode(fz_journal *j)
{
    return j->ops->sync_mode(j);
}

int fz_journal_run_add(fz_journal *j, const fz_journal_run *run, int64_t *id)
{
    if (!run->workflow || !run->workflow_hash || !run->args)
        return FZ_EINVAL;
    j->fresh = 0;
    return j->ops->run_add(j, run, id);
}

int fz_journal_run_get(fz_journal *j, int64_t id, fz_journal_run *out)
{
    return j->ops->run_get(j, id, out);
}

int fz_journal_run_list(fz_journal *j, uint32_t limit, fz_journal_run_fn fn, void *ud)
{
    return j->ops->run_list(j, limit, fn, ud);
}

int fz_journal_run_owner_gone(const fz_journal_run *r)
{
    if (!r || !r->state || strcmp(r->state, FZ_JOURNAL_RUNNING) != 0 ||
        !fz_proc_this_boot(r->owner_id))
        return 0;
    fz_proc_state s = fz_proc_check(r->pid, r->owner_id);
    return s == FZ_PROC_GONE || s == FZ_PROC_REUSED;
}

int fz_journal_run_claim(fz_journal *j, int64_t id, int force, fz_journal_claim *out)
{
    fz_journal_claim dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof *out);
    out->steps = -1;
    j->fresh = 0;
    int rc = j->ops->run_claim(j, id, force, out);
    if (rc == 0 && out->steps == 0)
        j->fresh = id;
    return rc;
}

int fz__journal_set_state(fz_journal *j, int64_t id, int64_t owner, const char *state,
                          const char *outcome, const char *vars)
{
    return j->ops->set_state(j, id, owner, state, outcome, vars);
}

int fz_journal_run_set_state(fz_journal *j, int64_t id, const char *state, const char *outcome,
                             const char *vars)
{
    return j->ops->set_state(j, id, 0, state, outcome, vars);
}

int fz_journal_step_list(fz_journal *j, int64_t id, int by_finish, fz_journal_step_fn fn, void *ud)
{
    return j->ops->step_list(j, id, by_finish, fn, ud);
}

int fz_journal_signal_add(fz_journal *j, int64_t id, const char *node, const char *answer)
{
    return fz_journal_signal_add_by(j, id, node, answer, NULL);
}

int fz_journal_data_version(fz_journal *j, int64_t *out)
{
    return j->ops->data_version(j, out);
}

int fz_journal_group_begin(fz_journal *j)
{
    return j ? j->ops->group(j, 0) : FZ_EINVAL;
}

int fz_journal_group_commit(fz_journal *j)
{
    return j ? j->ops->group(j, 1) : FZ_EINVAL;
}

void fz_journal_group_rollback(fz_journal *j)
{
    if (j)
        (void)j->ops->group(j, 2);
}

int fz_journal_signal_add_by(fz_journal *j, int64_t id, const char *node, const char *answer,
                             const char *who)
{
    if (!answer || (strcmp(answer, "yes") && strcmp(answer, "no"))) {
        snprintf(j->msg, sizeof j->msg, "an answer is 'yes' or 'no', not '%s'",
                 answer ? answer : "");
        return FZ_EINVAL;
    }
    return j->ops->signal_add(j, id, node, answer, who);
}

int fz_journal_signal_take(fz_journal *j, int64_t id, const char *node, uint32_t task,
                           const char **answer)
{
    *answer = NULL;
    return j->ops->signal_take(j, id, node, task, answer);
}

int fz_journal_signal_list(fz_journal *j, int64_t id, fz_journal_signal_fn fn, void *ud)
{
    return j->ops->signal_list(j, id, fn, ud);
}

int fz_journal_signal_listen(fz_journal *j)
{
    return j->ops->signal_listen ? j->ops->signal_listen(j) : 0;
}

int fz_journal_signal_fd(fz_journal *j)
{
    return j->ops->signal_fd ? j->ops->signal_fd(j) : -1;
}

int fz_journal_signal_woken(fz_journal *j, int64_t id)
{
    return j->ops->signal_woken ? j->ops->signal_woken(j, id) : 0;
}

int fz__journal_no_queue(fz_journal *j)
{
    snprintf(j->msg, sizeof j->msg,
             "the run queue of `submit` and `worker` needs a PostgreSQL journal "
             "(--db postgres://... or $FLOWZAP_DB); '%.300s' is a SQLite file",
             j->where);
    return FZ_EINVAL;
}

int fz_journal_queue_add(fz_journal *j, int64_t id)
{
    return j->ops->queue_add ? j->ops->queue_add(j, id) : fz__journal_no_queue(j);
}

int fz_journal_queue_claim(fz_journal *j, const char *worker, uint32_t lease_ms, int64_t *run,
                           int64_t *epoch)
{
    return fz_journal_queue_claim_lanes(j, worker, NULL, lease_ms, run, epoch);
}

int fz_journal_queue_claim_lanes(fz_journal *j, const char *worker, const char *lanes,
                                 uint32_t lease_ms, int64_t *run, int64_t *epoch)
{
    return j->ops->queue_claim ? j->ops->queue_claim(j, worker, lanes, lease_ms, run, epoch)
                               : fz__journal_no_queue(j);
}

int fz_journal_queue_claim_after(fz_journal *j, const char *worker, const char *lanes,
                                 uint32_t lease_ms, int64_t done, int64_t done_epoch, int64_t *run,
                                 int64_t *epoch)
{
    if (!done || !j->ops->queue_claim_after) {
        int rc = done ? fz_journal_queue_release(j, done, done_epoch) : 0;
        return rc ? rc : fz_journal_queue_claim_lanes(j, worker, lanes, lease_ms, run, epoch);
    }
    return j->ops->queue_claim_after(j, worker, lanes, lease_ms, done, done_epoch, run, epoch);
}

int fz_journal_queue_handoff(fz_journal *j, int64_t id, const char *lane)
{
    return j->ops->queue_handoff ? j->ops->queue_handoff(j, id, lane) : fz__journal_no_queue(j);
}

int fz_journal_queue_renew(fz_journal *j, int64_t id, int64_t epoch, uint32_t lease_ms)
{
    return j->ops->queue_renew ? j->ops->queue_renew(j, id, epoch, lease_ms)
                               : fz__journal_no_queue(j);
}

int fz_journal_queue_release(fz_journal *j, int64_t id, int64_t epoch)
{
    return j->ops->queue_release ? j->ops->queue_release(j, id, epoch) : fz__journal_no_queue(j);
}

int fz_journal_queue_wait(fz_journal *j, uint32_t ms)
{
    return fz_journal_queue_wait_fd(j, ms, -1);
}

int fz_journal_queue_wait_fd(fz_journal *j, uint32_t ms, int fd)
{
    return j->ops->queue_wait ? j->ops->queue_wait(j, ms, fd) : fz__journal_no_queue(j);
}

int fz_journal_queue_step_hint(fz_journal *j)
{
    return j->ops->step_hint ? j->ops->step_hint(j) : 0;
}

int fz__journal_claim_decide(fz_journal *j, int64_t id, int force, const char *state,
                             const char *owner, fz_journal_claim *out)
{
    snprintf(out->owner_id, sizeof out->owner_id, "%s", owner ? owner : "");
    if (!state || (strcmp(state, "running") && strcmp(state, "interrupted"))) {
        snprintf(j->msg, sizeof j->msg, "run %lld already %s", (long long)id,
                 state ? state : "ended");
        return FZ_EFINISHED;
    }
    out->owner = out->pid == (int64_t)getpid() ? FZ_PROC_GONE : fz_proc_check(out->pid, owner);
    if (out->owner == FZ_PROC_GONE || out->owner == FZ_PROC_REUSED ||
        (force && out->owner == FZ_PROC_UNKNOWN))
        return 0;
    if (out->owner == FZ_PROC_ALIVE)
        snprintf(j->msg, sizeof j->msg,
                 "run %lld is still running in process %lld (stop that process first; "
                 "--force does not take a run from its live owner)",
                 (long long)id, (long long)out->pid);
    else
        snprintf(j->msg, sizeof j->msg,
                 "run %lld is still running in process %lld, as far as the journal can tell "
                 "(that pid is alive; its start time was not recorded, so it may be another "
                 "process under a reused pid: `flowzap resume %lld --force` takes the run over)",
                 (long long)id, (long long)out->pid, (long long)id);
    return FZ_ESTATE;
}

fz_answer fz__journal_answer_parse(const char *s)
{
    if (!s)
        return FZ_ANSWER_ERROR;
    if (!strcmp(s, "ok"))
        return FZ_ANSWER_OK;
    if (!strcmp(s, "no"))
        return FZ_ANSWER_NO;
    if (!strcmp(s, "timeout"))
        return FZ_ANSWER_TIMEOUT;
    return FZ_ANSWER_ERROR;
}

/* Steps of other lanes (journal.h; docs/scale.md, "Lanes as placement"). */

int fz_journal_has_step_queue(const fz_journal *j)
{
    return j && j->ops->step_claim != NULL;
}

int fz_journal_step_claim(fz_journal *j, const char *worker, const char *lanes, uint32_t lease_ms,
                          fz_journal_step_lease *out)
{
    memset(out, 0, sizeof *out);
    return j->ops->step_claim ? j->ops->step_claim(j, worker, lanes, lease_ms, out)
                              : fz__journal_no_queue(j);
}

int fz_journal_step_renew(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                          uint32_t lease_ms)
{
    return j->ops->step_renew ? j->ops->step_renew(j, run, task, epoch, lease_ms)
                              : fz__journal_no_queue(j);
}

int fz_journal_step_release(fz_journal *j, int64_t run, uint32_t task, int64_t epoch)
{
    return j->ops->step_release ? j->ops->step_release(j, run, task, epoch)
                                : fz__journal_no_queue(j);
}

int fz_journal_step_refused(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                            const char *reason)
{
    return j->ops->step_refused ? j->ops->step_refused(j, run, task, epoch, reason)
                                : fz__journal_no_queue(j);
}

int fz_journal_step_queued(fz_journal *j, int64_t run, uint32_t task, char *worker, size_t n)
{
    if (n)
        worker[0] = '\0';
    return j->ops->step_queued ? j->ops->step_queued(j, run, task, worker, n) : 0;
}
