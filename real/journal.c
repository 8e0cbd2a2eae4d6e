/* SPDX-License-Identifier: MIT */
/*
 * journal.c - runs, steps and approval answers in SQLite (real/journal.h).
 *
 * Every write is one autocommit statement, so a step boundary costs one WAL
 * append and, with synchronous=FULL, one fsync: the price of durability,
 * measured by bench/bench_journal. Statements are prepared once per journal.
 * Wall-clock times come from SQLite's own strftime('now'), so this module
 * reads no clock itself; durations use the backend's clock (t_ns).
 */
#include "real/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "core/vec.h"
#include "real/journal_int.h"
#include "real/proc.h"

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '3');"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " workflow TEXT NOT NULL,"
    " workflow_hash TEXT NOT NULL,"
    " bindings TEXT,"
    " bindings_hash TEXT,"
    " args TEXT NOT NULL DEFAULT '[]',"
    " cwd TEXT,"
    " vars TEXT NOT NULL DEFAULT '{}',"
    " state TEXT NOT NULL CHECK(state IN ('running','completed','failed','interrupted')),"
    " outcome TEXT,"
    " pid INTEGER,"
    " resumes INTEGER NOT NULL DEFAULT 0,"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " finished_at TEXT,"
    " owner_id TEXT,"
    " sync TEXT);"
    "CREATE TABLE IF NOT EXISTS steps("
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " task INTEGER NOT NULL,"
    " node_index INTEGER NOT NULL,"
    " node TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " lane TEXT,"
    " token INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL,"
    " starts INTEGER NOT NULL DEFAULT 1,"
    " started_at TEXT NOT NULL,"
    " finished_at TEXT,"
    " duration_ns INTEGER,"
    " seq INTEGER,"
    " answer TEXT CHECK(answer IN ('ok','no','error','timeout')),"
    " outcome TEXT,"
    " reason TEXT,"
    " exit_code INTEGER,"
    " stdout BLOB,"
    " stderr BLOB,"
    " vars TEXT,"
    " pgid INTEGER,"
    " pgid_id TEXT,"
    " PRIMARY KEY(run, task)) WITHOUT ROWID;"
    /* No index on seq: a run's steps are one range of the primary key,
     * sorted in memory on resume; the index cost a page write per step. */
    "CREATE TABLE IF NOT EXISTS signals("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " node TEXT NOT NULL,"
    " answer TEXT NOT NULL CHECK(answer IN ('yes','no')),"
    " created_at TEXT NOT NULL,"
    " taken_task INTEGER,"
    " taken_at TEXT,"
    " who TEXT);"
    "CREATE INDEX IF NOT EXISTS signals_by_node ON signals(run, node);";

/* Schema 1 -> 2: who owns a run (the identity beside its pid), the
 * durability it was recorded with, and each step's process group. Run in
 * the transaction that read schema 1, so two processes opening an old file
 * at once upgrade it once. */
static const char upgrade_1_2[] = "ALTER TABLE runs ADD COLUMN owner_id TEXT;"
                                  "ALTER TABLE runs ADD COLUMN sync TEXT;"
                                  "ALTER TABLE steps ADD COLUMN pgid INTEGER;"
                                  "ALTER TABLE steps ADD COLUMN pgid_id TEXT;"
                                  "UPDATE meta SET value = '2' WHERE key = 'schema';";

/* Schema 2 -> 3: who gave an answer to an approval gate (`flowzap serve`
 * records the page's user; NULL for `flowzap signal` and older answers). */
static const char upgrade_2_3[] = "ALTER TABLE signals ADD COLUMN who TEXT;"
                                  "UPDATE meta SET value = '3' WHERE key = 'schema';";

#define RUN_COLS                                                                                   \
    "r.id, r.workflow, r.workflow_hash, r.bindings, r.bindings_hash, r.args, r.cwd, "              \
    "r.vars, r.state, r.outcome, r.created_at, r.updated_at, r.finished_at, r.pid, "               \
    "r.resumes, (SELECT count(*) FROM steps s WHERE s.run = r.id AND s.seq IS NOT NULL), "         \
    "(SELECT count(*) FROM steps s WHERE s.run = r.id AND s.seq IS NULL), r.owner_id, r.sync"

#define STEP_COLS                                                                                  \
    "task, node_index, node, label, lane, token, attempt, starts, seq, answer, outcome, "          \
    "reason, exit_code, stdout, stderr, vars, started_at, finished_at, duration_ns, pgid, pgid_id"

/* ORDER STMT */
static const char *const sql[ST__COUNT] = {
    "INSERT INTO runs(workflow, workflow_hash, bindings, bindings_hash, args, cwd, vars, state,"
    " pid, created_at, updated_at, owner_id, sync) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
    " coalesce(?7, '{}'), 'running', ?8, " NOW ", " NOW ", ?9, ?10)",
    "SELECT " RUN_COLS " FROM runs r WHERE r.id = ?1",
    "SELECT " RUN_COLS " FROM runs r ORDER BY r.id DESC LIMIT ?1",
    "UPDATE runs SET state = 'running', pid = ?2, owner_id = ?3, sync = ?4,"
    " resumes = resumes + 1, finished_at = NULL, updated_at = " NOW " WHERE id = ?1",
    /* ?5: the owner the writer expects (NULL: any); no row changes when
     * another process took the run over. Same fence on the step writes. */
    "UPDATE runs SET state = ?2, outcome = coalesce(?3, outcome), vars = coalesce(?4, vars),"
    " updated_at = " NOW ", finished_at = CASE WHEN ?2 = 'running' THEN NULL ELSE " NOW
    " END WHERE id = ?1 AND (?5 IS NULL OR pid IS ?5)",
    "INSERT INTO steps(run, task, node_index, node, label, lane, token, attempt, starts,"
    " started_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, " NOW
    " WHERE EXISTS(SELECT 1 FROM runs WHERE id = ?1 AND pid IS ?9)"
    /* A start written again at the same attempt (a resume recording the
     * in-flight start again) is not another start: starts grows only when
     * the attempt changes, as on PostgreSQL. */
    " ON CONFLICT(run, task) DO UPDATE SET attempt = excluded.attempt,"
    " starts = starts + CASE WHEN excluded.attempt = steps.attempt THEN 0 ELSE 1 END,"
    " started_at = excluded.started_at, pgid = NULL, pgid_id = NULL",
    "INSERT INTO steps(run, task, node_index, node, label, lane, token, attempt, starts,"
    " started_at, finished_at, duration_ns, seq, answer, outcome, reason, exit_code, stdout,"
    " stderr, vars) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, " NOW ", " NOW ", ?9, ?10, ?11,"
    " ?12, ?13, ?14, ?15, ?16, ?17 WHERE EXISTS(SELECT 1 FROM runs WHERE id = ?1 AND pid IS ?18)"
    " ON CONFLICT(run, task) DO UPDATE SET finished_at = excluded.finished_at,"
    " duration_ns = excluded.duration_ns, seq = excluded.seq, answer = excluded.answer,"
    " outcome = excluded.outcome, reason = excluded.reason, exit_code = excluded.exit_code,"
    " stdout = excluded.stdout, stderr = excluded.stderr, vars = excluded.vars",
    "SELECT " STEP_COLS " FROM steps WHERE run = ?1 ORDER BY task",
    "SELECT " STEP_COLS " FROM steps WHERE run = ?1 AND seq IS NOT NULL ORDER BY seq",
    "SELECT starts FROM steps WHERE run = ?1 AND task = ?2 AND seq IS NULL",
    "UPDATE steps SET pgid = ?3, pgid_id = ?4 WHERE run = ?1 AND task = ?2"
    " AND EXISTS(SELECT 1 FROM runs WHERE id = ?1 AND pid IS ?5)",
    "SELECT coalesce(max(seq), 0) FROM steps WHERE run = ?1",
    "INSERT INTO signals(run, node, answer, created_at, who) VALUES(?1, ?2, ?3, " NOW ", ?4)",
    "SELECT answer FROM signals WHERE run = ?1 AND node = ?2 AND taken_task = ?3"
    " ORDER BY id LIMIT 1",
    "UPDATE signals SET taken_task = ?3, taken_at = " NOW " WHERE id = (SELECT id FROM signals"
    " WHERE run = ?1 AND node = ?2 AND taken_task IS NULL ORDER BY id LIMIT 1)"
    " RETURNING answer",
};

/*==========================================================================
 * Opening, errors, hashing
 *========================================================================*/

int fz__journal_db_error(fz_journal *j, const char *what)
{
    snprintf(j->msg, sizeof j->msg, "%s: %s", what, j->db ? sqlite3_errmsg(j->db) : "no database");
    return FZ_EDB;
}

const char *fz_journal_errmsg(const fz_journal *j)
{
    return j ? j->msg : "no journal";
}

void fz_journal_hash(const void *p, size_t len, char hex[FZ_JOURNAL_HASH_LEN])
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, p);
    sha256_digest(&ctx, sizeof d, d);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * sizeof d] = '\0';
}

int fz__journal_sqlite_open(fz_journal *j, const char *path, fz_journal_sync sync)
{
    j->ops = &fz__journal_sqlite;
    /* A new journal is its owner's only (it holds commands' output); SQLite
     * gives its -wal and -shm files the same mode. */
    if (strcmp(path, ":memory:") != 0 && path[0]) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    int rc = sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (!j->db)
            return FZ_ENOMEM;
        snprintf(j->msg, sizeof j->msg, "cannot open journal '%s': %s", path,
                 sqlite3_errmsg(j->db));
        return FZ_EDB;
    }
    sqlite3_extended_result_codes(j->db, 1);
    /* The busy timeout covers a second process (`flowzap signal`, `runs`)
     * writing at the same moment; WAL lets readers and the writer overlap. */
    sqlite3_busy_timeout(j->db, 10000);
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;",
             sync == FZ_JOURNAL_SYNC_NORMAL ? "NORMAL" : "FULL");
    char *err = NULL;
    if (sqlite3_exec(j->db, pragmas, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK) {
        snprintf(j->msg, sizeof j->msg, "cannot use journal '%s': %s", path,
                 err ? err : sqlite3_errmsg(j->db));
        sqlite3_free(err);
        return FZ_EDB;
    }
    /* The schema, and the upgrade of an older file, in one transaction. A
     * file that is not a flowzap journal fails here. */
    int version = 0;
    if (sqlite3_exec(j->db, schema, NULL, NULL, &err) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(j->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            version = atoi((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (version == 1 && sqlite3_exec(j->db, upgrade_1_2, NULL, NULL, &err) == SQLITE_OK)
            version = 2;
        if (version == 2 && sqlite3_exec(j->db, upgrade_2_3, NULL, NULL, &err) == SQLITE_OK)
            version = 3;
    }
    if (err || sqlite3_exec(j->db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
        snprintf(j->msg, sizeof j->msg, "cannot use journal '%s': %s", path,
                 err ? err : sqlite3_errmsg(j->db));
        sqlite3_free(err);
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return FZ_EDB;
    }
    if (version != 3) {
        snprintf(j->msg, sizeof j->msg,
                 "'%s' is not a flowzap journal of schema 1 to 3 (written by another version?)",
                 path);
        return FZ_EDB;
    }
    return 0;
}

static void sq_close(fz_journal *j)
{
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(j->st[i]);
    sqlite3_close(j->db);
    j->db = NULL;
}

/* Returns statement i, reset and cleared, or NULL (message set). */
sqlite3_stmt *fz__journal_stmt(fz_journal *j, int i)
{
    if (!j->st[i]) {
        if (sqlite3_prepare_v3(j->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &j->st[i], NULL)) {
            fz__journal_db_error(j, "preparing a journal statement");
            return NULL;
        }
        return j->st[i];
    }
    sqlite3_reset(j->st[i]);
    sqlite3_clear_bindings(j->st[i]);
    return j->st[i];
}

/* Runs a statement that returns no row; resets it. */
int fz__journal_exec_done(fz_journal *j, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int status = rc == SQLITE_DONE ? 0 : fz__journal_db_error(j, what);
    sqlite3_reset(st);
    return status;
}

void fz__journal_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/*==========================================================================
 * Runs
 *========================================================================*/

/* The connection's durability as PRAGMA synchronous reads it now. */
static const char *sync_name(fz_journal *j)
{
    static const char *const names[] = {"off", "normal", "full", "extra"};
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(j->db, "PRAGMA synchronous", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v >= 0 && v <= 3 ? names[v] : NULL;
}


static int sq_run_add(fz_journal *j, const fz_journal_run *run, int64_t *id)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_RUN_ADD);
    if (!st)
        return FZ_EDB;
    if (!run->workflow || !run->workflow_hash || !run->args)
        return FZ_EINVAL;
    fz__journal_bind_text(st, 1, run->workflow);
    fz__journal_bind_text(st, 2, run->workflow_hash);
    fz__journal_bind_text(st, 3, run->bindings);
    fz__journal_bind_text(st, 4, run->bindings_hash);
    fz__journal_bind_text(st, 5, run->args);
    fz__journal_bind_text(st, 6, run->cwd);
    fz__journal_bind_text(st, 7, run->vars);
    sqlite3_bind_int64(st, 8, (int64_t)getpid());
    char me[FZ_PROC_ID_LEN];
    fz_proc_identity(getpid(), me);
    fz__journal_bind_text(st, 9, me[0] ? me : NULL);
    fz__journal_bind_text(st, 10, sync_name(j));
    int rc = fz__journal_exec_done(j, st, "recording the run");
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(j->db);
    return rc;
}

/* Copies the text columns of a run row into j->buf and points run at them. */
static int run_from_row(fz_journal *j, sqlite3_stmt *st, fz_journal_run *run)
{
    enum { NTEXT = 14 };
    /* ORDER RUN_COLS: the text columns. */
    static const int cols[NTEXT] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17, 18};
    size_t need = 0;
    for (int c = 0; c < NTEXT; c++)
        need += (size_t)sqlite3_column_bytes(st, cols[c]) + 1;
    if (need > j->buf_cap) {
        char *nb = fz_realloc(j->alloc, j->buf, j->buf_cap, need);
        if (!nb)
            return FZ_ENOMEM;
        j->buf = nb;
        j->buf_cap = need;
    }
    const char *text[NTEXT];
    char *p = j->buf;
    for (int c = 0; c < NTEXT; c++) {
        const unsigned char *s = sqlite3_column_text(st, cols[c]);
        if (!s) {
            text[c] = NULL;
            continue;
        }
        size_t n = (size_t)sqlite3_column_bytes(st, cols[c]);
        memcpy(p, s, n);
        p[n] = '\0';
        text[c] = p;
        p += n + 1;
    }
    memset(run, 0, sizeof *run);
    run->id = sqlite3_column_int64(st, 0);
    run->workflow = text[0];
    run->workflow_hash = text[1];
    run->bindings = text[2];
    run->bindings_hash = text[3];
    run->args = text[4];
    run->cwd = text[5];
    run->vars = text[6];
    run->state = text[7];
    run->outcome = text[8];
    run->created_at = text[9];
    run->updated_at = text[10];
    run->finished_at = text[11];
    run->owner_id = text[12];
    run->sync = text[13];
    run->pid = sqlite3_column_int64(st, 13);
    run->resumes = (uint32_t)sqlite3_column_int64(st, 14);
    run->steps = (uint32_t)sqlite3_column_int64(st, 15);
    run->in_flight = (uint32_t)sqlite3_column_int64(st, 16);
    return 0;
}

static int sq_run_get(fz_journal *j, int64_t id, fz_journal_run *out)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_RUN_GET);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int status;
    if (rc == SQLITE_ROW)
        status = run_from_row(j, st, out);
    else if (rc == SQLITE_DONE) {
        snprintf(j->msg, sizeof j->msg, "no run %lld in the journal", (long long)id);
        status = FZ_ENOENT;
    } else
        status = fz__journal_db_error(j, "reading the run");
    sqlite3_reset(st);
    return status;
}

static int sq_run_list(fz_journal *j, uint32_t limit, fz_journal_run_fn fn, void *ud)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_RUN_LIST);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, limit ? (int64_t)limit : -1);
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fz_journal_run run;
        if ((status = run_from_row(j, st, &run)) != 0 || fn(ud, &run))
            break;
    }
    if (!status && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = fz__journal_db_error(j, "listing runs");
    sqlite3_reset(st);
    return status;
}

/* The claim's decision on the row read inside its transaction. */
static int claim_check(fz_journal *j, int64_t id, int force, sqlite3_stmt *st,
                       fz_journal_claim *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        snprintf(j->msg, sizeof j->msg, "no run %lld in the journal", (long long)id);
        return FZ_ENOENT;
    }
    if (rc != SQLITE_ROW)
        return fz__journal_db_error(j, "claiming the run");
    const char *state = (const char *)sqlite3_column_text(st, 0);
    out->pid = sqlite3_column_int64(st, 1);
    const char *owner = (const char *)sqlite3_column_text(st, 2);
    return fz__journal_claim_decide(j, id, force, state, owner, out);
}

static int sq_run_claim(fz_journal *j, int64_t id, int force, fz_journal_claim *out)
{
    fz_journal_claim dummy;
    if (!out)
        out = &dummy;
    memset(out, 0, sizeof *out);
    out->steps = -1; /* not counted here */
    /* One IMMEDIATE transaction reads the owner and writes the new one: a
     * second resume waits for it, then finds this process the owner. */
    if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fz__journal_db_error(j, "claiming the run");
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(j->db, "SELECT state, pid, owner_id FROM runs WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        rc = fz__journal_db_error(j, "claiming the run");
    else {
        sqlite3_bind_int64(st, 1, id);
        rc = claim_check(j, id, force, st, out);
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        st = fz__journal_stmt(j, ST_RUN_CLAIM);
        if (!st)
            rc = FZ_EDB;
        else {
            char me[FZ_PROC_ID_LEN];
            fz_proc_identity(getpid(), me);
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_int64(st, 2, (int64_t)getpid());
            fz__journal_bind_text(st, 3, me[0] ? me : NULL);
            fz__journal_bind_text(st, 4, sync_name(j));
            rc = fz__journal_exec_done(j, st, "claiming the run");
        }
    }
    if (rc == 0 && sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = fz__journal_db_error(j, "claiming the run");
    if (rc)
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sq_set_state(fz_journal *j, int64_t id, int64_t owner, const char *state,
                          const char *outcome, const char *vars)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_RUN_STATE);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    fz__journal_bind_text(st, 2, state);
    fz__journal_bind_text(st, 3, outcome);
    fz__journal_bind_text(st, 4, vars);
    if (owner)
        sqlite3_bind_int64(st, 5, owner);
    int rc = fz__journal_exec_done(j, st, "recording the run's state");
    if (!rc && owner && sqlite3_changes(j->db) == 0)
        return fz__journal_taken_over(j, id);
    return rc;
}

int fz__journal_taken_over(fz_journal *j, int64_t id)
{
    fz_journal_run run;
    int64_t pid = j->ops->run_get(j, id, &run) == 0 ? run.pid : 0;
    snprintf(j->msg, sizeof j->msg,
             "run %lld was taken over by process %lld (resume --force): this process stops "
             "recording it",
             (long long)id, (long long)pid);
    return FZ_ESTATE;
}


/*==========================================================================
 * Steps
 *========================================================================*/

static void step_from_row(sqlite3_stmt *st, fz_journal_step *s)
{
    memset(s, 0, sizeof *s);
    s->task = (uint32_t)sqlite3_column_int64(st, 0);
    s->node_index = (uint32_t)sqlite3_column_int64(st, 1);
    s->node = (const char *)sqlite3_column_text(st, 2);
    s->label = (const char *)sqlite3_column_text(st, 3);
    s->lane = (const char *)sqlite3_column_text(st, 4);
    s->token = (uint32_t)sqlite3_column_int64(st, 5);
    s->attempt = (uint32_t)sqlite3_column_int64(st, 6);
    s->starts = (uint32_t)sqlite3_column_int64(st, 7);
    s->finished = sqlite3_column_type(st, 8) != SQLITE_NULL;
    s->seq = (uint32_t)sqlite3_column_int64(st, 8);
    s->answer = fz__journal_answer_parse((const char *)sqlite3_column_text(st, 9));
    s->outcome = (const char *)sqlite3_column_text(st, 10);
    s->reason = (const char *)sqlite3_column_text(st, 11);
    s->has_exit_code = sqlite3_column_type(st, 12) != SQLITE_NULL;
    s->exit_code = sqlite3_column_int(st, 12);
    s->out = sqlite3_column_blob(st, 13);
    s->out_len = (size_t)sqlite3_column_bytes(st, 13);
    s->err = sqlite3_column_blob(st, 14);
    s->err_len = (size_t)sqlite3_column_bytes(st, 14);
    s->vars = (const char *)sqlite3_column_text(st, 15);
    s->started_at = (const char *)sqlite3_column_text(st, 16);
    s->finished_at = (const char *)sqlite3_column_text(st, 17);
    s->duration_ns = sqlite3_column_type(st, 18) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 18);
    s->pgid = sqlite3_column_int64(st, 19);
    s->pgid_id = (const char *)sqlite3_column_text(st, 20);
}

static int sq_step_list(fz_journal *j, int64_t id, int by_finish, fz_journal_step_fn fn, void *ud)
{
    /* Its own statement: fn may call back into the journal. */
    sqlite3_stmt *st = NULL;
    const char *q = sql[by_finish ? ST_STEP_BY_SEQ : ST_STEP_BY_TASK];
    if (sqlite3_prepare_v2(j->db, q, -1, &st, NULL))
        return fz__journal_db_error(j, "reading steps");
    sqlite3_bind_int64(st, 1, id);
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fz_journal_step s;
        step_from_row(st, &s);
        if ((status = fn(ud, &s)) != 0)
            break;
    }
    if (!status && rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = fz__journal_db_error(j, "reading steps");
    sqlite3_finalize(st);
    return status > 0 ? 0 : status;
}

/*==========================================================================
 * Signals
 *========================================================================*/

static int sq_signal_list(fz_journal *j, int64_t id, fz_journal_signal_fn fn, void *ud)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT node, answer, created_at, taken_task, taken_at, who FROM signals"
                           " WHERE run = ?1 ORDER BY id",
                           -1, &st, NULL))
        return fz__journal_db_error(j, "reading answers");
    sqlite3_bind_int64(st, 1, id);
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fz_journal_signal sig = {
            .node = (const char *)sqlite3_column_text(st, 0),
            .answer = (const char *)sqlite3_column_text(st, 1),
            .created_at = (const char *)sqlite3_column_text(st, 2),
            .taken = sqlite3_column_type(st, 3) != SQLITE_NULL,
            .taken_task = (uint32_t)sqlite3_column_int64(st, 3),
            .taken_at = (const char *)sqlite3_column_text(st, 4),
            .who = (const char *)sqlite3_column_text(st, 5),
        };
        if (fn(ud, &sig))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = fz__journal_db_error(j, "reading answers");
    sqlite3_finalize(st);
    return status;
}

static int sq_signal_add(fz_journal *j, int64_t id, const char *node, const char *answer,
                         const char *who)
{
    if (strcmp(answer, "yes") && strcmp(answer, "no")) {
        snprintf(j->msg, sizeof j->msg, "an answer is 'yes' or 'no', not '%s'", answer);
        return FZ_EINVAL;
    }
    sqlite3_stmt *st = fz__journal_stmt(j, ST_SIGNAL_ADD);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    fz__journal_bind_text(st, 2, node);
    fz__journal_bind_text(st, 3, answer);
    fz__journal_bind_text(st, 4, who);
    return fz__journal_exec_done(j, st, "recording the answer");
}

static int take_row(fz_journal *j, sqlite3_stmt *st, const char **answer)
{
    int rc = sqlite3_step(st);
    int status = 0;
    if (rc == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0);
        snprintf(j->answer, sizeof j->answer, "%s", a && !strcmp(a, "yes") ? "yes" : "no");
        *answer = j->answer;
        status = 1;
        /* Step to the end so that the UPDATE ... RETURNING commits. */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
    }
    if (rc != SQLITE_DONE)
        status = fz__journal_db_error(j, "taking an answer");
    sqlite3_reset(st);
    return status;
}

static int sq_signal_take(fz_journal *j, int64_t id, const char *node, uint32_t task,
                           const char **answer)
{
    *answer = NULL;
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = fz__journal_stmt(j, i == 0 ? ST_SIGNAL_MINE : ST_SIGNAL_TAKE);
        if (!st)
            return FZ_EDB;
        sqlite3_bind_int64(st, 1, id);
        fz__journal_bind_text(st, 2, node);
        sqlite3_bind_int64(st, 3, task);
        int rc = take_row(j, st, answer);
        if (rc)
            return rc;
    }
    return 0;
}

static int sq_data_version(fz_journal *j, int64_t *out)
{
    /* A getter's statement is left open (its strings are borrowed), which
     * keeps this connection's read transaction, and so its snapshot and
     * data_version, where it was: end them first. */
    for (int i = 0; i < ST__COUNT; i++)
        if (j->st[i])
            sqlite3_reset(j->st[i]);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, "PRAGMA data_version", -1, &st, NULL) ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fz__journal_db_error(j, "reading the data version");
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/*==========================================================================
 * The recorder's writes
 *========================================================================*/

/* Binds run, task, node index, node id, label, lane, token, attempt (?1..?8). */
static void bind_step(sqlite3_stmt *st, int64_t run, const fz_journal_step *s)
{
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, s->task);
    sqlite3_bind_int64(st, 3, s->node_index);
    fz__journal_bind_text(st, 4, s->node);
    fz__journal_bind_text(st, 5, s->label);
    fz__journal_bind_text(st, 6, s->lane);
    sqlite3_bind_int64(st, 7, s->token);
    sqlite3_bind_int64(st, 8, s->attempt);
}

static int sq_step_start(fz_journal *j, int64_t run, int64_t owner, const fz_journal_step *s)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_STEP_START);
    if (!st)
        return FZ_EDB;
    bind_step(st, run, s);
    sqlite3_bind_int64(st, 9, owner);
    int rc = fz__journal_exec_done(j, st, "recording a step's start");
    if (!rc && sqlite3_changes(j->db) == 0)
        rc = fz__journal_taken_over(j, run);
    return rc;
}

static void bind_blob(sqlite3_stmt *st, int i, const char *p, size_t len)
{
    if (p && len)
        sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int sq_step_finish(fz_journal *j, int64_t run, int64_t owner, const fz_journal_step *s)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_STEP_FINISH);
    if (!st)
        return FZ_EDB;
    bind_step(st, run, s);
    if (s->duration_ns >= 0)
        sqlite3_bind_int64(st, 9, s->duration_ns);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_int64(st, 10, s->seq);
    fz__journal_bind_text(st, 11, fz_answer_name(s->answer));
    fz__journal_bind_text(st, 12, s->outcome);
    fz__journal_bind_text(st, 13, s->reason);
    if (s->has_exit_code)
        sqlite3_bind_int(st, 14, s->exit_code);
    else
        sqlite3_bind_null(st, 14);
    bind_blob(st, 15, s->out, s->out_len);
    bind_blob(st, 16, s->err, s->err_len);
    fz__journal_bind_text(st, 17, s->vars);
    sqlite3_bind_int64(st, 18, owner);
    int rc = fz__journal_exec_done(j, st, "recording a step's finish");
    if (!rc && sqlite3_changes(j->db) == 0)
        rc = fz__journal_taken_over(j, run);
    /* The blobs were bound without a copy: unbind before returning. */
    sqlite3_clear_bindings(st);
    return rc;
}

static int sq_step_pgid(fz_journal *j, int64_t run, int64_t owner, uint32_t task, int64_t pgid,
                        const char *pgid_id, int durable)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_STEP_PGID);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, task);
    sqlite3_bind_int64(st, 3, pgid);
    fz__journal_bind_text(st, 4, pgid_id);
    sqlite3_bind_int64(st, 5, owner);
    /* A process group does not outlive the machine: this row only has to
     * survive a killed flowzap, which WAL without the fsync does. The next
     * FULL commit flushes it with the rest. */
    const char *mode = sync_name(j);
    int full = !durable && mode && strcmp(mode, "full") == 0;
    if (full)
        sqlite3_exec(j->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = fz__journal_exec_done(j, st, "recording a step's process group");
    if (!rc && sqlite3_changes(j->db) == 0)
        rc = fz__journal_taken_over(j, run);
    if (full)
        sqlite3_exec(j->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc;
}

static int sq_max_seq(fz_journal *j, int64_t run, uint32_t *seq)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_MAX_SEQ);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, run);
    int rc = 0;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = fz__journal_db_error(j, "reading the run's steps");
    else
        *seq = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc;
}

static int sq_step_starts(fz_journal *j, int64_t run, uint32_t task, uint32_t *starts)
{
    sqlite3_stmt *st = fz__journal_stmt(j, ST_STEP_STARTS);
    if (!st)
        return FZ_EDB;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, task);
    int step = sqlite3_step(st), rc = 0;
    *starts = 0;
    if (step == SQLITE_ROW)
        *starts = (uint32_t)sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        rc = fz__journal_db_error(j, "reading the steps in flight");
    sqlite3_reset(st);
    return rc;
}

static int sq_group(fz_journal *j, int what)
{
    static const char *const sql_of[] = {"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};
    static const char *const what_of[] = {"beginning a group of writes",
                                          "committing a group of writes",
                                          "rolling back a group of writes"};
    /* Statements left open by getters would keep a read transaction that
     * BEGIN IMMEDIATE cannot upgrade without a busy wait: end them. */
    for (int i = 0; i < ST__COUNT; i++)
        if (j->st[i])
            sqlite3_reset(j->st[i]);
    if (sqlite3_exec(j->db, sql_of[what], NULL, NULL, NULL) != SQLITE_OK) {
        int rc = fz__journal_db_error(j, what_of[what]);
        if (what == 1 && !sqlite3_get_autocommit(j->db))
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return 0;
}

const fz_journal_store fz__journal_sqlite = {
    .name = "sqlite",
    .close = sq_close,
    .sync_mode = sync_name,
    .run_add = sq_run_add,
    .run_get = sq_run_get,
    .run_list = sq_run_list,
    .run_claim = sq_run_claim,
    .set_state = sq_set_state,
    .step_start = sq_step_start,
    .step_finish = sq_step_finish,
    .step_pgid = sq_step_pgid,
    .max_seq = sq_max_seq,
    .step_starts = sq_step_starts,
    .step_list = sq_step_list,
    .signal_add = sq_signal_add,
    .signal_take = sq_signal_take,
    .signal_list = sq_signal_list,
    .data_version = sq_data_version,
    .group = sq_group,
};

