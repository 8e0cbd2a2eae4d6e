/* SPDX-License-Identifier: MIT */
/*
 * journal.h - the durable record of real runs, in one SQLite file.
 *
 * Every run, every step's start and finish (answer, outcome, exit status,
 * output, variables set) and every answer given to an approval gate is a row
 * committed before the engine acts on it (WAL, synchronous=FULL): a run whose
 * process died is continued by replaying its finished steps into a fresh
 * engine over the same plan (task ids are deterministic), then dispatching
 * what was left. docs/internals/journal.md describes the schema.
 */
#ifndef FZ_REAL_JOURNAL_H
#define FZ_REAL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "engine/backend.h"
#include "engine/engine.h"
#include "real/proc.h"
#include "parser/graph.h"

typedef struct fz_journal fz_journal;

/* Where `flowzap` keeps its journal when neither --db nor $FLOWZAP_DB says. */
#define FZ_JOURNAL_DEFAULT_PATH ".flowzap/runs.db"

/* The hex SHA-256 of a workflow or bindings file (64 digits and a NUL). */
#define FZ_JOURNAL_HASH_LEN 65

/* How hard a commit waits for the disk. FULL (the default) fsyncs the WAL at
 * every step boundary, so a power loss keeps every acknowledged step; NORMAL
 * survives a killed process but not a power loss, and is faster. */
typedef enum fz_journal_sync {
    FZ_JOURNAL_SYNC_FULL = 0,
    FZ_JOURNAL_SYNC_NORMAL = 1,
} fz_journal_sync;

/* Opens (creating file and schema when missing) the journal at path, in WAL
 * mode with a 10 s busy timeout so that several processes (a run and
 * `flowzap signal`) share it. Caller frees with fz_journal_free(). Returns 0,
 * FZ_EDB (the reason is in fz_journal_errmsg of *out, which is then set),
 * FZ_ETIMEOUT (a PostgreSQL server that did not answer in time, see
 * fz_journal_set_pg_connect_timeout; the reason is set the same way), or
 * FZ_ENOMEM. */
int fz_journal_open(const char *path, fz_journal_sync sync, const fz_alloc *alloc,
                    fz_journal **out);
void fz_journal_free(fz_journal *j);

/* Where a journal lives: a PostgreSQL location is a URI (postgres://,
 * postgresql://) or a libpq keyword string ("host=/tmp dbname=fz", as
 * PQconninfoParse reads it); anything else is the path of a SQLite file.
 * fz_journal_open picks the store by it. PGPASSWORD, ~/.pgpass and service
 * files apply as libpq applies them. */
int fz_journal_location_is_postgres(const char *loc);
/* Writes loc into out (n bytes, truncated) with any password masked
 * ("postgres://u:***@h/db", "password=***"): the only form of a location
 * flowzap prints or records. */
void fz_journal_location_mask(const char *loc, char *out, size_t n);
/* The open journal's location, password masked; its store, "sqlite" or
 * "postgres". */
const char *fz_journal_where(const fz_journal *j);
const char *fz_journal_store_name(const fz_journal *j);
/* How long a statement waits for a lost database connection to come back
 * before it fails (PostgreSQL: 60 s unless set; 0: that default). */
void fz_journal_set_patience(fz_journal *j, uint32_t ms);
/* The longest a PostgreSQL connection (the first and every reconnect)
 * waits for the server to answer, libpq's connect_timeout, for every
 * journal opened after the call: FZ_JOURNAL_PG_CONNECT_TIMEOUT_S unless
 * set; 0 leaves it to libpq (PGCONNECT_TIMEOUT, or no bound). A location
 * that sets connect_timeout itself keeps its own. libpq waits at least
 * 2 s. A connection that runs out fails fz_journal_open with FZ_ETIMEOUT.
 * Not thread-safe: call before opening journals from threads. */
#define FZ_JOURNAL_PG_CONNECT_TIMEOUT_S 10
void fz_journal_set_pg_connect_timeout(uint32_t seconds);

/* The connection's durability as SQLite reports it (PRAGMA synchronous):
 * "full", "normal", "off" or "extra"; NULL when it cannot be read. */
const char *fz_journal_sync_mode(fz_journal *j);
/* Masks the run's secrets (engine/secret.h; borrowed, may grow) in what
 * the recorder writes: output, reasons, outcomes, the run's variables; a
 * variable a step set that holds a secret is recorded as a reference to it
 * ({"parts": [...]}), which fz_journal_replay rebuilds from s as read
 * again. NULL: nothing masked, references cannot be rebuilt. */
struct fz_secrets;
void fz_journal_set_secrets(fz_journal *j, const struct fz_secrets *s);

/* The last error's text (SQLite's message or a consistency message). */
const char *fz_journal_errmsg(const fz_journal *j);

/* Writes the hex SHA-256 of len bytes into hex. */
void fz_journal_hash(const void *p, size_t len, char hex[FZ_JOURNAL_HASH_LEN]);

/*==========================================================================
 * Runs
 *========================================================================*/

/* Run states as stored: running (or its process died), completed, failed,
 * interrupted (Ctrl-C). Only running and interrupted runs can be resumed. */
#define FZ_JOURNAL_RUNNING "running"
#define FZ_JOURNAL_COMPLETED "completed"
#define FZ_JOURNAL_FAILED "failed"
#define FZ_JOURNAL_INTERRUPTED "interrupted"
/* Shown, never stored: the getters' state of a run in the queue of
 * `submit` (PostgreSQL) that no process runs (stored as interrupted). */
#define FZ_JOURNAL_QUEUED "queued"
/* Shown, never stored: the label of a run stored as running whose owner,
 * on this machine, is gone (fz_journal_run_owner_gone). */
#define FZ_JOURNAL_OWNER_GONE "interrupted (owner gone)"

/* One run. Strings are borrowed: from the caller for fz_journal_run_add, from
 * the journal (valid until the next call on it) for the getters. */
typedef struct fz_journal_run {
    int64_t id;
    const char *workflow;      /* path of the workflow file (absolute) */
    const char *workflow_hash; /* hex SHA-256 of its bytes */
    const char *bindings;      /* path of the bindings file, or NULL */
    const char *bindings_hash; /* hex SHA-256 of its bytes, or NULL */
    const char *args;          /* JSON array: the run's options, for resume */
    const char *cwd;           /* directory the run started in */
    const char *vars;          /* JSON object: the run's variables */
    const char *state;         /* FZ_JOURNAL_RUNNING... */
    const char *outcome;       /* the engine's outcome text, or NULL */
    const char *created_at;    /* UTC, ISO 8601 with milliseconds */
    const char *updated_at;
    const char *finished_at; /* NULL while running */
    int64_t pid;             /* process running (or that last ran) it */
    const char *owner_id;    /* that process's identity (proc.h), or NULL */
    const char *sync;        /* PRAGMA synchronous of the connection that
                                recorded (or last claimed) it: "full"... */
    uint32_t resumes;        /* times it was resumed */
    uint32_t steps;          /* finished steps (getters only) */
    uint32_t in_flight;      /* started, not finished steps (getters only) */
} fz_journal_run;

/* Records a new run in state running for this process; *id receives its id.
 * workflow, workflow_hash and args are required; the rest may be NULL. */
int fz_journal_run_add(fz_journal *j, const fz_journal_run *run, int64_t *id);

/* Reads run id into *out. Returns 0, FZ_ENOENT, or FZ_EDB. */
int fz_journal_run_get(fz_journal *j, int64_t id, fz_journal_run *out);

/* Calls fn for the most recent runs first (at most limit, 0: all); stops
 * early when fn returns nonzero. Returns 0 or FZ_EDB. */
typedef int (*fz_journal_run_fn)(void *ud, const fz_journal_run *run);
int fz_journal_run_list(fz_journal *j, uint32_t limit, fz_journal_run_fn fn, void *ud);

/* 1 when run r is recorded as running but its owner ran on this machine
 * (same boot) and is no longer there (no such pid, a zombie, or the pid
 * reused by another process): `runs` and `serve` show it as
 * FZ_JOURNAL_OWNER_GONE (state interrupted). Another machine's run, or one
 * whose owner left no identity, is never called gone: its pid means
 * nothing here. Reads /proc; writes nothing. */
int fz_journal_run_owner_gone(const fz_journal_run *r);

/* Who owned a run when it was claimed. */
typedef struct fz_journal_claim {
    int64_t pid;                   /* the recorded owner */
    char owner_id[FZ_PROC_ID_LEN]; /* its recorded identity, "" when none */
    fz_proc_state owner;           /* what that process is now */
    int64_t steps; /* the run's steps recorded when it was claimed; -1: not counted */
} fz_journal_claim;

/* Takes run id over for a resume by this process, in one IMMEDIATE
 * transaction that reads the owner and writes this process (pid and
 * identity) as the new one: state running, resumes + 1. Of two resumes at
 * once, one claims the run and the other finds it owned. Refused while
 * the recorded owner is alive (FZ_PROC_ALIVE, even with force), or may be
 * (FZ_PROC_UNKNOWN: its pid lives but no identity was recorded or can be
 * read) unless force; a pid now held by another process (FZ_PROC_REUSED)
 * is taken as dead. *out (may be NULL) receives
 * the previous owner. Returns 0, FZ_ENOENT, FZ_EFINISHED (completed or
 * failed), FZ_ESTATE (owned by a live process; the message names its pid)
 * or FZ_EDB. */
int fz_journal_run_claim(fz_journal *j, int64_t id, int force, fz_journal_claim *out);

/* Sets the state (and outcome, vars when not NULL) of run id; a state other
 * than running also sets finished_at. Returns 0 or FZ_EDB. */
int fz_journal_run_set_state(fz_journal *j, int64_t id, const char *state, const char *outcome,
                             const char *vars);

/*==========================================================================
 * Steps
 *========================================================================*/

/* One step (one task of the engine) as recorded. Strings and output are
 * borrowed for the duration of the callback. */
typedef struct fz_journal_step {
    uint32_t task;
    uint32_t node_index; /* index in the graph */
    const char *node;    /* node id, such as "n3" */
    const char *label;
    const char *lane; /* lane id, or NULL */
    uint32_t token;
    uint32_t attempt; /* the attempt handlers saw (FZ_ATTEMPT) */
    uint32_t starts;  /* times it was started (2 after an in-flight restart) */
    int finished;
    uint32_t seq; /* finish order within the run, 1.. (0: not finished) */
    fz_answer answer;
    const char *outcome; /* explicit outcome, or NULL */
    const char *reason;  /* error text, or NULL */
    int has_exit_code;
    int exit_code;
    const char *out;
    size_t out_len;
    const char *err;
    size_t err_len;
    const char *vars; /* JSON object of the variables the step set */
    const char *started_at;
    const char *finished_at;
    int64_t duration_ns; /* -1 when unknown */
    int64_t pgid;        /* the step's process group, 0 when none recorded */
    const char *pgid_id; /* identity of its first process (proc.h), or NULL */
} fz_journal_step;

typedef int (*fz_journal_step_fn)(void *ud, const fz_journal_step *step);

/* Calls fn for each step of run id in task order, or in finish order
 * (unfinished steps left out) when by_finish; stops when fn returns
 * nonzero. Returns 0 or FZ_EDB. */
int fz_journal_step_list(fz_journal *j, int64_t id, int by_finish, fz_journal_step_fn fn, void *ud);

/*==========================================================================
 * Signals (the approval gate)
 *========================================================================*/

/* Records an answer ("yes" or "no") for node (its id) of run id, as
 * `flowzap signal` does from its own process. Returns 0, FZ_EINVAL for
 * another answer, or FZ_EDB. */
int fz_journal_signal_add(fz_journal *j, int64_t id, const char *node, const char *answer);
/* The same, recording who gave it (a name shown with the answer; NULL:
 * not known, as for `flowzap signal`). */
int fz_journal_signal_add_by(fz_journal *j, int64_t id, const char *node, const char *answer,
                             const char *who);

/* Takes the oldest answer for node of run id not yet taken, for task (the
 * approval step asking). The answer a task took before the process died is
 * given to it again. *answer receives "yes" or "no". Returns 1 when an
 * answer was taken, 0 when none is waiting, or FZ_EDB. */
int fz_journal_signal_take(fz_journal *j, int64_t id, const char *node, uint32_t task,
                           const char **answer);

/* Waking a gate at once when its answer comes (PostgreSQL: LISTEN
 * flowzap_signal on the journal's connection; fz_journal_signal_add
 * NOTIFYs with the run's id on commit). A hint, never the only path: a
 * notification is lost when the connection drops, or when it was sent
 * before the LISTEN, so the gate still polls with fz_journal_signal_take.
 * fz_journal_signal_listen sends the LISTEN once per connection (again
 * after a reconnect; call it before each take, so that an answer given
 * after the take is notified); 0, or FZ_EDB (the hint is off until the
 * next call). fz_journal_signal_fd is the descriptor to poll for reading
 * while listening, else -1 (SQLite, a lost connection).
 * fz_journal_signal_woken reads what came, without blocking, and returns 1
 * when an answer for run id was notified, else 0; other runs'
 * notifications and payloads that are not a run id are dropped. On SQLite
 * the three do nothing. */
int fz_journal_signal_listen(fz_journal *j);
int fz_journal_signal_fd(fz_journal *j);
int fz_journal_signal_woken(fz_journal *j, int64_t id);

/* One answer as recorded; strings borrowed for the callback. */
typedef struct fz_journal_signal {
    const char *node;
    const char *answer;     /* "yes" or "no" */
    const char *created_at; /* when `flowzap signal` gave it */
    int taken;              /* a gate took it ... */
    uint32_t taken_task;    /* ... this task */
    const char *taken_at;
    const char *who; /* who gave it (fz_journal_signal_add_by), or NULL */
} fz_journal_signal;

typedef int (*fz_journal_signal_fn)(void *ud, const fz_journal_signal *sig);

/* Calls fn for each answer given to run id, oldest first; stops when fn
 * returns nonzero. Returns 0 or FZ_EDB. */
int fz_journal_signal_list(fz_journal *j, int64_t id, fz_journal_signal_fn fn, void *ud);

/*==========================================================================
 * The run queue (`flowzap submit`, `flowzap worker`; PostgreSQL only)
 *========================================================================*/

/* Queues run id (recorded with fz_journal_run_add) for a worker: the run
 * becomes interrupted with no owner (nobody runs it yet), and waiting
 * workers are woken (NOTIFY).
 * Returns 0, FZ_EINVAL on a store without a queue (SQLite), or FZ_EDB. */
int fz_journal_queue_add(fz_journal *j, int64_t id);

/* Takes the oldest queued run that is not finished and whose lease is free
 * or expired, skipping rows another worker is taking (FOR UPDATE SKIP
 * LOCKED): its lease goes to worker for lease_ms, with the lease epoch
 * raised by one (*epoch). Returns 1 (*run, *epoch set), 0 when none, or
 * FZ_EINVAL/FZ_EDB. */
int fz_journal_queue_claim(fz_journal *j, const char *worker, uint32_t lease_ms, int64_t *run,
                           int64_t *epoch);
/* The same for a worker serving only lanes (a comma-separated list of
 * lane ids; NULL: every lane): a run waiting for another lane is left. */
int fz_journal_queue_claim_lanes(fz_journal *j, const char *worker, const char *lanes,
                                 uint32_t lease_ms, int64_t *run, int64_t *epoch);

/* fz_journal_queue_claim_lanes by a worker whose run done (held at
 * done_epoch; 0: none) ended: when that run finished (completed or
 * failed), its queue row is removed in the same statement (one round
 * trip), else its lease is given back first, as by
 * fz_journal_queue_release. Returns as fz_journal_queue_claim. */
int fz_journal_queue_claim_after(fz_journal *j, const char *worker, const char *lanes,
                                 uint32_t lease_ms, int64_t done, int64_t done_epoch, int64_t *run,
                                 int64_t *epoch);

/* Extends the lease of run held at epoch to lease_ms from now. Returns 0,
 * FZ_ESTATE when the lease is no longer this epoch's (it expired and
 * another worker took the run), or FZ_EDB. */
int fz_journal_queue_renew(fz_journal *j, int64_t id, int64_t epoch, uint32_t lease_ms);

/* Gives up the lease of run held at epoch (the run ended, or its process
 * did). Returns 0 or FZ_EDB. */
int fz_journal_queue_release(fz_journal *j, int64_t id, int64_t epoch);

/* Says that run (held at epoch) waits for a worker serving lane: only
 * such a worker claims it next. Returns 0 or FZ_EINVAL/FZ_EDB. */
int fz_journal_queue_handoff(fz_journal *j, int64_t id, const char *lane);

/* Waits up to ms for a hint that work was queued (LISTEN/NOTIFY); returns
 * 0 either way (a hint is never the only path: callers poll), or FZ_EDB. */
int fz_journal_queue_wait(fz_journal *j, uint32_t ms);
/* The same, also returning as soon as fd (-1: none) is readable: a
 * worker's self-pipe, written when one of its runs' processes ends. */
int fz_journal_queue_wait_fd(fz_journal *j, uint32_t ms, int fd);
/* 1 when a notification heard by the waits above, since the last call,
 * said that a step of another lane was queued (fz_journal_step_claim may
 * find one), else 0. A hint only: a worker also looks at its poll. */
int fz_journal_queue_step_hint(fz_journal *j);

/* The descriptor of j's database connection (-1: none, or a SQLite
 * journal). */
int fz_journal_socket(const fz_journal *j);
/* Frees j in a process that forked a child which goes on using j's
 * connection (a worker's run, cli/cmd_worker.c): nothing is sent on the
 * connection (no Terminate), and it stays open in the child. */
void fz_journal_forget(fz_journal *j);
/* Prepares every statement on j's connection now, in one round trip
 * (PostgreSQL; nothing to do on SQLite), so that their first use later
 * costs one round trip, not two: for a connection opened ahead of its use
 * (a worker's spare). Returns 0, or FZ_EDB (statements not prepared then
 * are prepared at their first use, as without it). */
int fz_journal_prepare(fz_journal *j);

/*==========================================================================
 * Recording a run, resuming a run
 *========================================================================*/

typedef struct fz_journal_recorder fz_journal_recorder;

/* Creates a recorder of run id over g and e: its observer commits a step
 * row on start (before the handler starts) and on finish (before the engine
 * routes the result), and the run's state, outcome and variables at the end;
 * every callback is then passed on to next (may be NULL), such as a
 * progress log. Records e's variables now, and its end when e already ended
 * (a replay that finished the run). Caller frees with
 * fz_journal_recorder_free(). */
int fz_journal_recorder_new(fz_journal *j, int64_t id, const fz_graph *g, fz_engine *e,
                            const fz_observer *next, fz_journal_recorder **out);
void fz_journal_recorder_free(fz_journal_recorder *r);

/* Tasks for which park(ud, t) returns nonzero are not this process's to
 * run (a worker's lanes, cli/cmd_worker.c): their start is neither
 * recorded nor passed on, so a later process starts them afresh. */
void fz_journal_recorder_set_park(fz_journal_recorder *r, int (*park)(void *ud, const fz_task *t),
                                  void *ud);

/* The observer to install with fz_engine_set_observer(). */
const fz_observer *fz_journal_recorder_observer(fz_journal_recorder *r);

/* The first error a callback met writing (0: none); the message is in
 * fz_journal_errmsg. Once a write failed the recorder writes nothing more
 * (no step starts after a finish that was not recorded, no end): the run
 * stays resumable, and the caller must stop it before another step starts. */
int fz_journal_recorder_status(const fz_journal_recorder *r);

/* Says that the run is being stopped by flowzap (Ctrl-C, a journal or
 * system error), not ended by its workflow: the engine's abort that
 * follows is not recorded as the run's end (the caller records the run as
 * interrupted). */
void fz_journal_recorder_abort(fz_journal_recorder *r);

/* Records that task's process group is pgid (the step's first process, so
 * its identity is read now). Committed without waiting for the disk
 * (synchronous=NORMAL for this one write): the group only matters while
 * the machine stays up. Returns 0 or FZ_EDB (then the recorder failed). */
int fz_journal_recorder_spawned(fz_journal_recorder *r, uint32_t task, int64_t pgid);

/* The tasks a resumed run must dispatch itself. */
typedef struct fz_journal_resume {
    fz_task *tasks; /* ready tasks taken from the engine, in id order */
    uint32_t ntasks;
    uint32_t cap;
    uint32_t replayed;  /* finished steps fed to the engine */
    uint32_t restarted; /* tasks that were in flight and run again */
    uint32_t lost;      /* variables rebuilt with `***` for a `::mask` value */
    const fz_alloc *alloc;
} fz_journal_resume;

/* Feeds the finished steps of run id, in the order they finished, to e
 * (started with fz_engine_start and the run's initial variables, with no
 * observer installed, so nothing is reported twice). Each recorded task id
 * must be the one the engine hands out for it, with the same node, token
 * and attempt; if not the journal does not belong to this plan and
 * FZ_ECHANGED is returned. Then takes every ready task into res->tasks;
 * a task that was started and never finished gets its attempt raised by
 * the number of times it was started. Dispatch res->tasks (after
 * installing the recorder) before fz_engine_drive(). Caller frees with
 * fz_journal_resume_fini(). Returns 0, FZ_ECHANGED, FZ_EDB or FZ_ENOMEM. */
int fz_journal_replay(fz_journal *j, int64_t id, fz_engine *e, const fz_alloc *alloc,
                      fz_journal_resume *res);
void fz_journal_resume_fini(fz_journal_resume *res);

/* A number that changes when another connection (another process, or
 * another fz_journal) commits a change to the journal: a cheap "has
 * anything changed" check for a page kept up to date (`flowzap serve`).
 * Ends the reads earlier getters left open (strings they returned are no
 * longer valid), so that the connection sees the latest commit. Returns 0
 * or FZ_EDB. */
int fz_journal_data_version(fz_journal *j, int64_t *out);

/* Grouped commits (docs/journal.md, "Grouped commits"): every write made
 * on j between fz_journal_group_begin and fz_journal_group_commit (the
 * recorders' starts and finishes, of one run or of several runs sharing
 * j) is one transaction, with one fsync (SQLite FULL) or one WAL flush
 * (PostgreSQL) at the commit. The caller keeps the durability rules: it
 * starts no handler whose start is in an open group, and reports nothing
 * outside the process (no run end, no output) from a finish in an open
 * group, until fz_journal_group_commit returned 0. When the commit fails,
 * the group is rolled back: nothing of it is durable, and the recorders
 * that wrote into it must be stopped (fz_journal_recorder_abort). Returns
 * 0 or FZ_EDB (message set). */
int fz_journal_group_begin(fz_journal *j);
/* Marks r failed with status (a group it wrote into did not commit): it
 * records nothing more, and fz_journal_recorder_status returns status. */
void fz_journal_recorder_fail(fz_journal_recorder *r, int status);
int fz_journal_group_commit(fz_journal *j);
void fz_journal_group_rollback(fz_journal *j);

/* Drives n runs at once, each engine es[i] (started, with its recorder
 * recs[i] over j as observer) on backend bs[i], in ticks: one group holds
 * the finishes of the tick and the starts they lead to, of every run; the
 * group is committed, and only then are the new tasks handed to their
 * backends. A backend's wait() is called for a run with tasks in flight,
 * one result a tick per run. Returns 0 when every run has ended, or the
 * first error (the runs are then aborted and their recorders stopped). */
int fz_journal_drive_grouped(fz_journal *j, fz_engine *const *es, const fz_backend *const *bs,
                             fz_journal_recorder *const *recs, size_t n);

/*==========================================================================
 * Steps of other lanes (docs/scale.md, "Lanes as placement"; PostgreSQL)
 *
 * A run's owner that does not serve a ready task's lane records its start
 * as usual plus a row of step_queue (same group), and waits for its
 * finish. A worker serving that lane claims the row (epoch raised, under a
 * lease), runs the step, and records its finish fenced on that epoch: the
 * finish has no seq until the owner routes it (fz_journal_recorder_set_remote).
 *========================================================================*/

/* 1 when j's store has the step queue (PostgreSQL). */
int fz_journal_has_step_queue(const fz_journal *j);

/* A claimed step of another run. */
typedef struct fz_journal_step_lease {
    int64_t run, epoch;
    uint32_t task;
    uint32_t attempt;  /* the attempt to run: raised on every claim after the first */
    uint32_t claims;   /* claims of the step, this one included */
    char lane[128];    /* the step's lane */
    char refusal[512]; /* why a process last refused it ("": none known) */
} fz_journal_step_lease;

/* Claims of a step without a finish before the claiming worker records it
 * as an error (fz_journal_step_give_up): the run queue's limit. */
#define FZ_JOURNAL_STEP_TRIES 5

/* Takes the oldest queued step of a run that is running (or waiting for an
 * owner) in one of lanes (comma-separated; NULL: any) whose lease is free
 * or ran out (FOR UPDATE SKIP LOCKED): lease to worker for lease_ms, epoch
 * raised. A claim after the first is a new start of the step (attempt and
 * starts raised in steps). Returns 1 (*out set), 0 when none, or
 * FZ_EINVAL/FZ_EDB. */
int fz_journal_step_claim(fz_journal *j, const char *worker, const char *lanes, uint32_t lease_ms,
                          fz_journal_step_lease *out);
/* Extends the lease of a claimed step; 0, FZ_ESTATE (no longer this
 * epoch's: its row is gone or another worker took it), or FZ_EDB. */
int fz_journal_step_renew(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                          uint32_t lease_ms);
/* Gives the lease of a claimed step back unfinished; 0 or FZ_EDB. */
int fz_journal_step_release(fz_journal *j, int64_t run, uint32_t task, int64_t epoch);
/* The step's process refused claimed task of run (its files differ here,
 * the run cannot be rebuilt...): the lease is given back at once, fenced
 * on epoch, and reason (NULL: none) kept for the error the step ends with
 * once claimed FZ_JOURNAL_STEP_TRIES times. 0 or FZ_EDB. */
int fz_journal_step_refused(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                            const char *reason);
/* Records the finish of claimed task of run as an error with reason, by
 * the worker that claimed it rather than its process (it was claimed too
 * often without a finish): fenced on epoch like
 * fz_journal_step_finish_at, its queue row deleted, its owner woken.
 * Returns 0, FZ_ESTATE (the lease was lost: nothing written) or FZ_EDB. */
int fz_journal_step_give_up(fz_journal *j, int64_t run, uint32_t task, int64_t epoch,
                            const char *reason);
/* Records the finish of claimed task t of run (graph g: node, label, lane)
 * with result res, fenced on epoch: in one transaction, only while the
 * step's queue row still holds epoch, which is deleted; then NOTIFY
 * flowzap_signal with the run's id wakes its owner. Output and reasons
 * are masked with the journal's secrets as the recorder masks them.
 * Returns 0, FZ_ESTATE (the lease was lost: nothing written), FZ_EDB or
 * FZ_ENOMEM. */
int fz_journal_step_finish_at(fz_journal *j, int64_t run, int64_t epoch, const fz_graph *g,
                              const fz_task *t, const fz_result *res, int64_t duration_ns);
/* Where task of run stands for its owner: 2 when another worker recorded
 * its finish and the owner has not routed it (fn, when not NULL, gets the
 * result, valid during the call; variables rebuilt as fz_journal_replay
 * does), 1 while it waits in step_queue (queued or claimed), 0 otherwise.
 * Negative: FZ_EDB, FZ_ENOMEM, FZ_ECHANGED. */
int fz_journal_step_remote(fz_journal *j, int64_t run, uint32_t task,
                           void (*fn)(void *ud, const fz_result *r), void *ud);
/* Whether task of run waits in step_queue, for `runs show`: 0 no, 1
 * queued for a worker of its lane, 2 claimed under a live lease (worker,
 * n bytes, receives the holder's host/pid); negative: FZ_EDB. 0 on a store
 * without a step queue. */
int fz_journal_step_queued(fz_journal *j, int64_t run, uint32_t task, char *worker, size_t n);
/* Tasks for which remote(ud, t) returns nonzero run elsewhere: their
 * start is recorded with a step_queue row (and NOTIFY flowzap_work), and
 * their finish, already recorded by the worker that ran them, only gets
 * its place in the run's order (seq) when the owner routes it. */
void fz_journal_recorder_set_remote(fz_journal_recorder *r,
                                    int (*remote)(void *ud, const fz_task *t), void *ud);

#endif
