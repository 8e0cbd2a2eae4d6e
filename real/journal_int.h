/* SPDX-License-Identifier: MIT */
/*
 * journal_int.h - what journal.c shares with journal_recorder.c: the
 * journal's handle and its prepared statements. Not for other modules.
 */
#ifndef FZ_REAL_JOURNAL_INT_H
#define FZ_REAL_JOURNAL_INT_H

#include <sqlite3.h>

#include "real/journal.h"

/* ORDER STMT: the statements, prepared on first use. */
enum {
    ST_RUN_ADD,
    ST_RUN_GET,
    ST_RUN_LIST,
    ST_RUN_CLAIM,
    ST_RUN_STATE,
    ST_STEP_START,
    ST_STEP_FINISH,
    ST_STEP_BY_TASK,
    ST_STEP_BY_SEQ,
    ST_STEP_STARTS,
    ST_STEP_PGID,
    ST_MAX_SEQ,
    ST_SIGNAL_ADD,
    ST_SIGNAL_MINE,
    ST_SIGNAL_TAKE,
    ST__COUNT
};

/* A journal store: the functions behind real/journal.h's API, one set
 * per database (journal.c: SQLite; journal_pg.c: PostgreSQL). The public
 * functions check their arguments where the stores agree and dispatch here
 * (journal_store.c). step_start and step_finish read task, node_index,
 * node, label, lane, token, attempt of s; step_finish also duration_ns (-1:
 * unknown), seq, answer, outcome, reason, has_exit_code/exit_code, out/err
 * and vars. The step and state writes are fenced on owner (the pid the
 * writer expects as the run's owner; 0 for set_state: any): a run taken
 * over changes no row and they return FZ_ESTATE (fz__journal_taken_over). */
typedef struct fz_journal_store {
    const char *name; /* "sqlite" or "postgres" */
    void (*close)(fz_journal *j);
    const char *(*sync_mode)(fz_journal *j);
    int (*run_add)(fz_journal *j, const fz_journal_run *run, int64_t *id);
    int (*run_get)(fz_journal *j, int64_t id, fz_journal_run *out);
    int (*run_list)(fz_journal *j, uint32_t limit, fz_journal_run_fn fn, void *ud);
    int (*run_claim)(fz_journal *j, int64_t id, int force, fz_journal_claim *out);
    int (*set_state)(fz_journal *j, int64_t id, int64_t owner, const char *state,
                     const char *outcome, const char *vars);
    int (*step_start)(fz_journal *j, int64_t run, int64_t owner, const fz_journal_step *s);
    int (*step_finish)(fz_journal *j, int64_t run, int64_t owner, const fz_journal_step *s);
    /* Records task's process group; durable (FULL) or not (see
     * fz_journal_recorder_spawned). */
    int (*step_pgid)(fz_journal *j, int64_t run, int64_t owner, uint32_t task, int64_t pgid,
                     const char *pgid_id, int durable);
    /* The last finish sequence number of run (0: none). */
    int (*max_seq)(fz_journal *j, int64_t run, uint32_t *seq);
    /* How often task was started when it is unfinished (0 when finished or
     * never started). */
    int (*step_starts)(fz_journal *j, int64_t run, uint32_t task, uint32_t *starts);
    int (*step_list)(fz_journal *j, int64_t id, int by_finish, fz_journal_step_fn fn, void *ud);
    int (*signal_add)(fz_journal *j, int64_t id, const char *node, const char *answer,
                      const char *who);
    int (*signal_take)(fz_journal *j, int64_t id, const char *node, uint32_t task,
                       const char **answer);
    int (*signal_list)(fz_journal *j, int64_t id, fz_journal_signal_fn fn, void *ud);
    /* The gate's wake-up (fz_journal_signal_listen...; NULL: none). */
    int (*signal_listen)(fz_journal *j);
    int (*signal_fd)(fz_journal *j);
    int (*signal_woken)(fz_journal *j, int64_t id);
    /* A number that changes when another connection commits a change. */
    int (*data_version)(fz_journal *j, int64_t *out);
    /* The run queue of `submit` and `worker` (NULL: the store has none). */
    int (*queue_add)(fz_journal *j, int64_t run);
    int (*queue_claim)(fz_journal *j, const char *worker, const char *lanes, uint32_t lease_ms,
                       int64_t *run, int64_t *epoch);
    int (*queue_handoff)(fz_journal *j, int64_t run, const char *lane);
    int (*queue_renew)(fz_journal *j, int64_t run, int64_t epoch, uint32_t lease_ms);
    int (*queue_release)(fz_journal *j, int64_t run, int64_t epoch);
    int (*queue_wait)(fz_journal *j, uint32_t ms, int fd); /* fd: also wakes, -1: none */
    int (*step_hint)(fz_journal *j); /* a step was queued since the last call (NULL: never) */
    int (*socket)(const fz_journal *j); /* the connection's descriptor, -1: none */
    int (*prepare)(fz_journal *j); /* every statement, now (NULL: nothing to do) */
    /* A group of writes in one transaction (fz_journal_group_begin): what
     * 0: begin, 1: commit, 2: roll back. */
    int (*group)(fz_journal *j, int what);
    /* queue_claim, removing in the same statement the queue row of run
     * done (held at done_epoch) when that run finished (NULL: none). */
    int (*queue_claim_after)(fz_journal *j, const char *worker, const char *lanes,
                             uint32_t lease_ms, int64_t done, int64_t done_epoch, int64_t *run,
                             int64_t *epoch);
    /* Steps of other lanes (journal.h; NULL: the store has none). enqueue
     * and routed are fenced on owner like step_start; finish_at on the
     * step queue row's epoch (FZ_ESTATE when lost); remote reads task's
     * row: 2 finished elsewhere (fn called with the step), 1 queued, 0. */
    int (*step_enqueue)(fz_journal *j, int64_t run, int64_t owner, const fz_journal_step *s);
    int (*step_routed)(fz_journal *j, int64_t run, int64_t owner, uint32_t task, uint32_t seq);
    int (*step_claim)(fz_journal *j, const char *worker, const char *lanes, uint32_t lease_ms,
                      fz_journal_step_lease *out);
    int (*step_renew)(fz_journal *j, int64_t run, uint32_t task, int64_t epoch, uint32_t lease_ms);
    int (*step_release)(fz_journal *j, int64_t run, uint32_t task, int64_t epoch);
    int (*step_refused)(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                        const char *reason);
    int (*step_finish_at)(fz_journal *j, int64_t run, int64_t epoch, const fz_journal_step *s);
    int (*step_remote)(fz_journal *j, int64_t run, uint32_t task, fz_journal_step_fn fn, void *ud);
    int (*step_queued)(fz_journal *j, int64_t run, uint32_t task, char *worker, size_t n);
} fz_journal_store;

extern const fz_journal_store fz__journal_sqlite;
extern const fz_journal_store fz__journal_postgres;

/* Opens the SQLite store at path into j (allocated, alloc set); 0 or
 * FZ_EDB/FZ_ENOMEM with j->msg set. */
int fz__journal_sqlite_open(fz_journal *j, const char *path, fz_journal_sync sync);
/* Opens the PostgreSQL store at conninfo (a URI or keyword string). */
int fz__journal_pg_open(fz_journal *j, const char *conninfo, fz_journal_sync sync);

/* The schema version of the PostgreSQL store (4: the step queue); the
 * SQLite store, which has no queues, stays at 3 (journal.c). */
#define FZ_JOURNAL_SCHEMA 4

struct fz_journal {
    const fz_journal_store *ops;
    void *pg;                 /* journal_pg.c's connection state */
    char where[256];          /* the location, password masked */
    uint32_t patience_ms;     /* fz_journal_set_patience (0: the store's) */
    sqlite3 *db;
    const fz_alloc *alloc;
    sqlite3_stmt *st[ST__COUNT];
    char msg[512];
    /* Copies of the strings the run getters hand out. */
    char *buf;
    size_t buf_cap;
    char answer[4];
    const struct fz_secrets *secrets; /* fz_journal_set_secrets() */
    /* The run this process just claimed with no step recorded (0: none):
     * its replay and its recorder's start read nothing (no step, no
     * finish, this process its owner). Cleared when the recorder starts. */
    int64_t fresh;
};

/* Returns statement i (ORDER STMT), reset and cleared, or NULL (message set). */
sqlite3_stmt *fz__journal_stmt(fz_journal *j, int i);

/* Steps a statement that returns no row and resets it; 0 or FZ_EDB. */
int fz__journal_exec_done(fz_journal *j, sqlite3_stmt *st, const char *what);

/* Binds s, or NULL when s is NULL. */
void fz__journal_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Sets the message from SQLite's last error; returns FZ_EDB. */
int fz__journal_db_error(fz_journal *j, const char *what);

/* fz_journal_run_set_state fenced by owner: when owner is not 0, only
 * while the run's pid is still owner; else FZ_ESTATE (message: taken
 * over). */
int fz__journal_set_state(fz_journal *j, int64_t id, int64_t owner, const char *state,
                          const char *outcome, const char *vars);

/* Sets the "run was taken over" message; returns FZ_ESTATE. */
int fz__journal_taken_over(fz_journal *j, int64_t id);

/* A step's answer as both stores record it (fz_answer_name's words):
 * "ok", "no", "timeout"; anything else, NULL included, is an error. */
fz_answer fz__journal_answer_parse(const char *s);

/* The claim's decision, the same on every store, on the run's row read
 * inside the claim's transaction: its state, out->pid (already filled in)
 * and its owner id. Fills out->owner_id and out->owner; returns 0 when the
 * run may be taken, else FZ_EFINISHED or FZ_ESTATE with the reason in
 * j->msg. */
int fz__journal_claim_decide(fz_journal *j, int64_t id, int force, const char *state,
                             const char *owner, fz_journal_claim *out);

/* The refusal of a queue operation on a store without a run queue
 * (SQLite): sets j->msg, returns FZ_EINVAL. */
int fz__journal_no_queue(fz_journal *j);

#endif
