/* SPDX-License-Identifier: MIT */
/*
 * runjournal.h - how `flowzap run` and `flowzap resume` use the journal
 * (real/journal.h): where the database is, recording a new run, and
 * continuing a dead one through the very same code path as `run`.
 *
 * `run` calls, in this order:
 *   fz_cli_journal_open(&cj, db, resume)       after parsing options
 *   fz_cli_journal_begin(&cj, path, bindings, argc, argv)
 *                                              before anything runs
 *   fz_cli_journal_attach(&cj, g, e, b, &obs)  after fz_engine_start and
 *                                              --set, instead of
 *                                              fz_engine_set_observer
 *   fz_engine_drive(e, b)
 *   fz_cli_journal_finish(&cj, e, status)      records Ctrl-C, write errors
 *   fz_cli_journal_close(&cj)
 * `resume ID` builds a run request (cli/runrequest.h) from the run's
 * recorded arguments with a fz_cli_resume, which open takes: begin then
 * checks the files and claims the run instead of adding one, and attach
 * replays the finished steps before dispatching.
 */
#ifndef FZ_CLI_RUNJOURNAL_H
#define FZ_CLI_RUNJOURNAL_H

#include <stdint.h>

#include "engine/backend.h"
#include "real/journal.h"
#include "real/real.h"

typedef struct fz_cli_journal {
    char path[4096]; /* the database file */
    fz_journal *j;   /* NULL when off (--no-journal) */
    int64_t run;     /* the run's id once begun */
    int resuming;    /* continuing a recorded run */
    fz_journal_recorder *rec;
    fz_journal_resume res;
    fz_approvals approvals;
    fz_backend guard;        /* the backend drive uses: refuses to start */
    const fz_backend *inner; /* a task once the journal failed to write */
    char run_id[24];         /* the run's id as text (FZ_RUN_ID) */
    unsigned resume_opts;    /* FZ_CLI_RESUME_* given to `resume` */
    /* The run as `resume` read it, or NULL. */
    const struct fz_cli_resume *known;
    int poll_failed;       /* an approval gate could not read the journal */
    uint32_t gate_poll_ms; /* $FLOWZAP_APPROVAL_POLL_MS, 0: the backend's 200 */
    /* The run's secrets, set after open and before begin: masked in the
     * recorded command line and everything the recorder writes. */
    const struct fz_secrets *secrets;
    int quiet; /* run -q: no "run N recorded in" line, only the outcome */
    /* Under `flowzap worker --lane` ($FLOWZAP_WORKER_LANES): the lanes
     * this process runs; a task of another lane is parked, and once
     * nothing of ours is in flight the run is handed to its lane. */
    const fz_graph *g;
    const char *lanes; /* comma-separated lane ids, NULL: every lane */
    uint32_t inflight; /* tasks the inner backend runs */
    uint32_t parked;   /* tasks left for another lane's worker */
    char handoff[128]; /* the lane of the first parked task */
    fz_observer next;  /* the observer after the journal's, and ... */
    fz_observer shown; /* ... it without the starts of parked tasks */
    /* Grouped commits (docs/journal.md): a finish and the starts it leads
     * to are one group; the events the progress log and the trace would
     * see meanwhile are held until it committed. */
    int grouping;      /* a group is open */
    int hold_failed;   /* an event could not be held (out of memory) */
    fz_observer after; /* where held events go once committed */
    fz_observer hold;  /* the observer in its place */
    struct fz_cli_held *held;
    size_t nheld, capheld;
    /* Steps of other lanes (docs/scale.md, "Lanes as placement"): under a
     * worker's lanes on a PostgreSQL journal, a task of another lane is
     * queued for a worker of its lane and waited for (remote_on), not
     * parked. */
    int remote_on;
    fz_remote remote;
    uint32_t *adopted; /* tasks a resume found queued or finished elsewhere */
    uint32_t nadopted, capadopted;
    /* A step executor (cli/stepexec.c): runs only this claimed step. */
    int step_on;
    uint32_t step_task, step_attempt;
    int64_t step_epoch;
} fz_cli_journal;

/* What a step executor (cli/stepexec.c) asks of the `resume` code path
 * it goes through: run only task `task` of the run, at `attempt`, and
 * record its finish fenced on `epoch`; the run is neither claimed nor
 * routed. Set (on) before fz_cli_run_workflow, read by open. */
typedef struct fz_cli_step_req {
    int on;
    uint32_t task, attempt;
    int64_t epoch;
} fz_cli_step_req;
extern fz_cli_step_req fz_cli_step;

/* attach's status once a step executor ran its step and recorded its
 * finish: not an exit status (fz_cli_run_workflow returns it as is, and
 * cli/stepexec.c reads it as success). */
#define FZ_CLI_STEP_RAN 1000

/* The remote steps' source for the real backend (fz_real_opts.remote):
 * non-NULL on a journal with a step queue (PostgreSQL): under a worker's
 * --lane the steps of other lanes are queued, and on any resume a step
 * the queue holds (another worker runs it) is waited for, never started
 * again. Call after begin. */
const fz_remote *fz_cli_journal_remote(fz_cli_journal *cj);

/* `resume` options that reach the claim (cli/runjournal.c). */
enum {
    FZ_CLI_RESUME_FORCE = 1,        /* --force: take over from a pid of unknown identity */
    FZ_CLI_RESUME_KILL_ORPHANS = 2, /* --kill-orphans: kill a dead run's step groups */
};

/* The recorded run `resume` continues, handed to fz_cli_journal_open in
 * the run request (cli/runrequest.h). */
typedef struct fz_cli_resume {
    fz_journal *j;   /* the open journal; open takes it over (sets NULL) */
    char path[4096]; /* its path, absolute */
    int64_t id;      /* the run */
    unsigned opts;   /* FZ_CLI_RESUME_* */
    /* The run as `resume` read it and checked its files against (its
     * hashes; "" when it had none): begin claims it on that reading
     * rather than reading it again. known: these are set. */
    int known;
    char workflow_hash[FZ_JOURNAL_HASH_LEN], bindings_hash[FZ_JOURNAL_HASH_LEN];
} fz_cli_resume;

/* The database path: db (from --db) when not NULL, else $FLOWZAP_DB, else
 * FZ_JOURNAL_DEFAULT_PATH. Writes it into out (size n). */
void fz_cli_journal_path(const char *db, char *out, size_t n);

/* A journal a worker opened before it forked the child that runs a run
 * (cli/cmd_worker.c): `resume` takes it over instead of opening one of
 * its own (NULL: it opens one). */
extern fz_journal *fz_cli_resume_journal;

/* Set in a worker's run process, which serves run after run on one
 * connection: a run's journal, when the run is done with it, goes back to
 * fz_cli_resume_journal for the next run instead of being closed. */
extern int fz_cli_resume_keep;

/* Closes j, or keeps it for the next run (fz_cli_resume_keep). */
void fz_cli_journal_drop(fz_journal *j);

/* Opens the journal at fz_cli_journal_path(db), creating the directory of
 * the default path. For a resume (resume not NULL) the journal is already
 * open and this takes it over from resume (resume->j becomes NULL). Prints
 * errors; returns an exit status. */
int fz_cli_journal_open(fz_cli_journal *cj, const char *db, fz_cli_resume *resume);

/* Records a new run of the workflow at path (hashing its bytes and those of
 * bindings, which may be NULL) with the command line argv[0..argc) of `run`,
 * for resume; prints "run N recorded in PATH" to stderr. On a resume,
 * refuses (FZ_EXIT_REFUSED) when either file changed since the run began.
 * Prints errors; returns an exit status. */
int fz_cli_journal_begin(fz_cli_journal *cj, const char *path, const char *bindings, int argc,
                         char **argv);

/* Installs the journal's recorder, chained to next (may be NULL), as e's
 * observer. On a resume, first replays the recorded steps into e and starts
 * the tasks that were left with b. Call after fz_engine_start() and the
 * initial variables. Prints errors; returns an exit status. */
int fz_cli_journal_attach(fz_cli_journal *cj, const fz_graph *g, fz_engine *e, const fz_backend *b,
                          const fz_observer *next);

/* The backend to give fz_engine_drive(): b itself when the journal is off,
 * else b behind a guard that refuses (FZ_EDB) to start a task once the
 * journal failed to record, so nothing runs that the journal does not
 * know of. Valid while cj is. */
const fz_backend *fz_cli_journal_backend(fz_cli_journal *cj, const fz_backend *b);

/* After fz_engine_drive() returned status: records an interrupted run as
 * such (resumable) and reports a journal that failed to record. Returns
 * FZ_EXIT_OK, or FZ_EXIT_IO when the journal could not be written. */
int fz_cli_journal_finish(fz_cli_journal *cj, fz_engine *e, int status);

/* Sets ro's on_spawn so that each step's process group is recorded (a
 * no-op when the journal is off). */
void fz_cli_journal_watch_spawns(fz_cli_journal *cj, fz_real_opts *ro);

/* Where approval gates get their answers (`flowzap signal` writes them to
 * the journal), or NULL when the journal is off. Valid after begin. */
const fz_approvals *fz_cli_journal_approvals(fz_cli_journal *cj);

/* $FLOWZAP_APPROVAL_POLL_MS, the longest a gate waits between two reads
 * of the journal (docs/scale.md): *ms receives it (0 when unset: the
 * backend's 200 ms). Prints the error; returns an exit status
 * (FZ_EXIT_USAGE for a value that is not 1 to 3600000). open reads it
 * into cj->gate_poll_ms. */
int fz_cli_approval_poll_ms(uint32_t *ms);

/* Frees what open/attach made. */
void fz_cli_journal_close(fz_cli_journal *cj);

/* The run's id in messages ("run 7"); 0 before begin. */
int64_t fz_cli_journal_run(const fz_cli_journal *cj);

/* Writes the hex SHA-256 of the bytes of the file at path into hex.
 * Returns 0 or an errno value. */
int fz__cli_hash_file(const char *path, char hex[FZ_JOURNAL_HASH_LEN]);

#endif
