/* SPDX-License-Identifier: MIT */
/*
 * test_journal.c - the durable journal on real SQLite files in a fresh
 * temporary directory per test: runs, steps, approval answers across
 * processes, and replaying a dead run into a fresh engine. The cases that
 * are no SQLite file's own run again on PostgreSQL, in a fresh schema per
 * test, when FZ_TEST_PG_URI names a database (tests/scripts/test_pg_journal.sh
 * starts a throwaway cluster and sets it); without it they are skipped with
 * a message.
 */
#include "tests/support/support.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"
#include "engine/backend.h"
#include "real/bind.h"
#include "engine/engine.h"
#include "real/journal.h"
#include "real/real.h"
#include "parser/parser.h"

typedef struct fixture {
    char dir[64];
    char path[1024];
    char schema[64]; /* PostgreSQL: this test's schema ("" on SQLite) */
    fz_test_alloc ta;
    fz_journal *j;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/fz-journal-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/runs.db", f->dir);
    fz_test_alloc_init(&f->ta, 0);
    if (fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &f->j))
        return -1;
    *state = f;
    return 0;
}

/* Runs fixed SQL on the PostgreSQL test database; 0 on success. */
static int pg_exec(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("FZ_TEST_PG_URI"));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "test_journal: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The same fixture on PostgreSQL: f->path is a URI whose search_path is a
 * fresh schema, so each test starts from an empty journal. */
static int setup_pg(void **state)
{
    static int n;
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/fz-journal-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->schema, sizeof f->schema, "fz_test_%ld_%d", (long)getpid(), ++n);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
    if (pg_exec(sql))
        return -1;
    snprintf(f->path, sizeof f->path, "%s%soptions=-csearch_path%%3D%s",
             getenv("FZ_TEST_PG_URI"), strchr(getenv("FZ_TEST_PG_URI"), '?') ? "&" : "?",
             f->schema);
    fz_test_alloc_init(&f->ta, 0);
    if (fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &f->j)) {
        fprintf(stderr, "test_journal: %s\n", fz_journal_errmsg(f->j));
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fz_journal_free(f->j);
    if (f->schema[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", f->schema);
        pg_exec(sql);
    }
    int leaked = f->ta.live != 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        leaked = 1;
    free(f);
    return leaked ? -1 : 0;
}

static int64_t add_run(fz_journal *j, const char *workflow)
{
    fz_journal_run run = {
        .workflow = workflow,
        .workflow_hash = "00ff",
        .bindings = "/w/b.yaml",
        .bindings_hash = "11ee",
        .args = "[\"--set\",\"A=1\"]",
        .cwd = "/w",
        .vars = "{\"A\":\"1\"}",
    };
    int64_t id = 0;
    assert_int_equal(fz_journal_run_add(j, &run, &id), 0);
    assert_true(id > 0);
    return id;
}

/*==========================================================================
 * Files, hashes, runs
 *========================================================================*/

static void test_journal_hash_is_sha256_of_the_bytes(void **state)
{
    (void)state;
    char hex[FZ_JOURNAL_HASH_LEN];
    fz_journal_hash("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fz_journal_hash("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_journal_open_uses_wal_and_survives_reopening(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    fz_journal_free(f->j);
    f->j = NULL;

    /* The -wal file is there while a connection is open. */
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_NORMAL, &f->ta.hook, &f->j), 0);
    char wal[sizeof f->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(access(wal, F_OK), 0);
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.workflow, "/w/a.fz");
    assert_string_equal(run.workflow_hash, "00ff");
    assert_string_equal(run.bindings, "/w/b.yaml");
    assert_string_equal(run.args, "[\"--set\",\"A=1\"]");
    assert_string_equal(run.vars, "{\"A\":\"1\"}");
    assert_string_equal(run.state, FZ_JOURNAL_RUNNING);
    assert_null(run.outcome);
    assert_null(run.finished_at);
    assert_int_equal(run.pid, getpid());
    assert_int_equal(run.steps, 0);
    /* ISO 8601 UTC with milliseconds, from SQLite's clock. */
    assert_int_equal(strlen(run.created_at), 24);
    assert_int_equal(run.created_at[23], 'Z');
}

static void test_journal_open_refuses_a_file_that_is_not_a_journal(void **state)
{
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/not.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is a text file, not SQLite, and it is long enough to have a header page\n", fp);
    fclose(fp);
    fz_journal *j = NULL;
    assert_int_equal(fz_journal_open(path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &j), FZ_EDB);
    assert_non_null(strstr(fz_journal_errmsg(j), "not.db"));
    fz_journal_free(j);

    /* A directory that does not exist: a clear error, no crash. */
    snprintf(path, sizeof path, "%s/missing/dir/runs.db", f->dir);
    assert_int_equal(fz_journal_open(path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &j), FZ_EDB);
    assert_non_null(strstr(fz_journal_errmsg(j), "cannot open journal"));
    fz_journal_free(j);
}

static void test_journal_run_get_of_unknown_id_is_enoent(void **state)
{
    fixture *f = *state;
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, 42, &run), FZ_ENOENT);
    assert_string_equal(fz_journal_errmsg(f->j), "no run 42 in the journal");
}

typedef struct listed {
    int64_t ids[8];
    int n;
    int stop_after;
} listed;

static int list_cb(void *ud, const fz_journal_run *run)
{
    listed *l = ud;
    l->ids[l->n++] = run->id;
    return l->n == l->stop_after;
}

static void test_journal_run_list_is_newest_first_and_honours_limit(void **state)
{
    fixture *f = *state;
    int64_t a = add_run(f->j, "/w/a.fz");
    int64_t b = add_run(f->j, "/w/b.fz");
    int64_t c = add_run(f->j, "/w/c.fz");
    listed l = {.stop_after = 0};
    assert_int_equal(fz_journal_run_list(f->j, 0, list_cb, &l), 0);
    assert_int_equal(l.n, 3);
    assert_true(l.ids[0] == c && l.ids[1] == b && l.ids[2] == a);
    memset(&l, 0, sizeof l);
    assert_int_equal(fz_journal_run_list(f->j, 2, list_cb, &l), 0);
    assert_int_equal(l.n, 2);
    memset(&l, 0, sizeof l);
    l.stop_after = 1;
    assert_int_equal(fz_journal_run_list(f->j, 0, list_cb, &l), 0);
    assert_int_equal(l.n, 1);
}

static void test_journal_claim_refuses_finished_runs_and_counts_resumes(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_INTERRUPTED, NULL, NULL), 0);
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_INTERRUPTED);
    assert_non_null(run.finished_at);

    assert_int_equal(fz_journal_run_claim(f->j, id, 0, NULL), 0);
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_RUNNING);
    assert_null(run.finished_at);
    assert_int_equal(run.resumes, 1);

    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_COMPLETED, "End via Success",
                                              "{\"X\":\"2\"}"),
                     0);
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, NULL), FZ_EFINISHED);
    assert_string_equal(fz_journal_errmsg(f->j), "run 1 already completed");
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.outcome, "End via Success");
    assert_string_equal(run.vars, "{\"X\":\"2\"}");
    assert_int_equal(fz_journal_run_claim(f->j, 99, 0, NULL), FZ_ENOENT);
}

static void test_journal_rejects_an_unknown_state(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    assert_int_equal(fz_journal_run_set_state(f->j, id, "paused", NULL, NULL), FZ_EDB);
    const char *m = fz_journal_errmsg(f->j);
    assert_true(strstr(m, "CHECK constraint") || strstr(m, "check constraint"));
}

/*==========================================================================
 * Durability, schema upgrade, owners
 *========================================================================*/

static void test_journal_commits_with_synchronous_full_unless_normal_is_asked(void **state)
{
    fixture *f = *state;
    /* The connection's own PRAGMA synchronous, and what a run records. */
    assert_string_equal(fz_journal_sync_mode(f->j), "full");
    int64_t id = add_run(f->j, "/w/a.fz");
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.sync, "full");

    fz_journal *j = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_NORMAL, &f->ta.hook, &j), 0);
    assert_string_equal(fz_journal_sync_mode(j), "normal");
    assert_int_equal(fz_journal_run_set_state(j, id, FZ_JOURNAL_INTERRUPTED, NULL, NULL), 0);
    assert_int_equal(fz_journal_run_claim(j, id, 0, NULL), 0);
    assert_int_equal(fz_journal_run_get(j, id, &run), 0);
    assert_string_equal(run.sync, "normal");
    fz_journal_free(j);
    /* FULL is still FULL on the first connection. */
    assert_string_equal(fz_journal_sync_mode(f->j), "full");
}

/* The schema of version 1, as flowzap 0.x wrote it. */
static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES('schema', '1');"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY AUTOINCREMENT, workflow TEXT NOT NULL,"
    " workflow_hash TEXT NOT NULL, bindings TEXT, bindings_hash TEXT,"
    " args TEXT NOT NULL DEFAULT '[]', cwd TEXT, vars TEXT NOT NULL DEFAULT '{}',"
    " state TEXT NOT NULL CHECK(state IN ('running','completed','failed','interrupted')),"
    " outcome TEXT, pid INTEGER, resumes INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL, finished_at TEXT);"
    "CREATE TABLE steps(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " task INTEGER NOT NULL, node_index INTEGER NOT NULL, node TEXT NOT NULL,"
    " label TEXT NOT NULL, lane TEXT, token INTEGER NOT NULL, attempt INTEGER NOT NULL,"
    " starts INTEGER NOT NULL DEFAULT 1, started_at TEXT NOT NULL, finished_at TEXT,"
    " duration_ns INTEGER, seq INTEGER,"
    " answer TEXT CHECK(answer IN ('ok','no','error','timeout')), outcome TEXT, reason TEXT,"
    " exit_code INTEGER, stdout BLOB, stderr BLOB, vars TEXT,"
    " PRIMARY KEY(run, task)) WITHOUT ROWID;"
    "CREATE TABLE signals(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, node TEXT NOT NULL,"
    " answer TEXT NOT NULL CHECK(answer IN ('yes','no')), created_at TEXT NOT NULL,"
    " taken_task INTEGER, taken_at TEXT);"
    "CREATE INDEX signals_by_node ON signals(run, node);"
    "INSERT INTO runs(workflow, workflow_hash, args, state, pid, created_at, updated_at)"
    " VALUES('/w/old.fz', 'abcd', '[\"run\",\"old.fz\"]', 'interrupted', 1,"
    " '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');"
    "INSERT INTO steps(run, task, node_index, node, label, token, attempt, started_at)"
    " VALUES(1, 0, 0, 'n1', 'Start', 0, 1, '2026-01-01T00:00:00.000Z');";

static int one_step(void *ud, const fz_journal_step *s)
{
    fz_journal_step *out = ud;
    *out = *s;
    out->node = out->label = out->lane = NULL; /* borrowed */
    return 0;
}

static int signal_who_of(void *ud, const fz_journal_signal *sig)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 64 - n, "%s:%s ", sig->answer, sig->who ? sig->who : "NULL");
    return 0;
}

/* A schema 2 file (before signals.who): opened, it gains the column; its
 * answers keep who unknown, new ones record it. */
static void test_journal_upgrades_a_schema_2_file_in_place(void **state)
{
    fixture *f = *state;
    fz_journal_run run = {.workflow = "/w/a.fz", .workflow_hash = "00", .args = "[]"};
    int64_t id = 0;
    assert_int_equal(fz_journal_run_add(f->j, &run, &id), 0);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n4", "yes"), 0);
    fz_journal_free(f->j);
    f->j = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE signals DROP COLUMN who;"
                                  "UPDATE meta SET value = '2' WHERE key = 'schema';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &f->j), 0);
    assert_int_equal(fz_journal_signal_add_by(f->j, id, "n4", "no", "ann"), 0);
    char seen[64] = "";
    assert_int_equal(fz_journal_signal_list(f->j, id, signal_who_of, seen), 0);
    assert_string_equal(seen, "yes:NULL no:ann ");
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "3");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_journal_upgrades_a_schema_1_file_in_place(void **state)
{
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    /* Two opens: the first upgrades, the second finds schema 2. */
    for (int i = 0; i < 2; i++) {
        fz_journal *j = NULL;
        assert_int_equal(fz_journal_open(path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &j), 0);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(j, 1, &run), 0);
        assert_string_equal(run.workflow, "/w/old.fz");
        assert_string_equal(run.state, i == 0 ? FZ_JOURNAL_INTERRUPTED : FZ_JOURNAL_RUNNING);
        fz_journal_step s;
        assert_int_equal(fz_journal_step_list(j, 1, 0, one_step, &s), 0);
        assert_int_equal(s.task, 0);
        if (i == 0) {
            assert_null(run.owner_id);
            assert_null(run.sync);
            assert_int_equal(s.pgid, 0);
            /* The old run can be claimed (its pid 1 lives, but it is not
             * running: a claim of a run recorded without identity needs
             * --force while its pid is alive). */
            fz_journal_claim prev;
            assert_int_equal(fz_journal_run_claim(j, 1, 0, &prev), FZ_ESTATE);
            assert_int_equal(prev.owner, FZ_PROC_UNKNOWN);
            assert_non_null(strstr(fz_journal_errmsg(j), "--force"));
            assert_int_equal(fz_journal_run_claim(j, 1, 1, &prev), 0);
        } else {
            assert_int_equal(run.pid, getpid());
            assert_non_null(run.owner_id);
            assert_string_equal(run.sync, "full");
        }
        fz_journal_free(j);
    }
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "3");
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* A schema this flowzap does not know is refused. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value = '9'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    fz_journal *j = NULL;
    assert_int_equal(fz_journal_open(path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &j), FZ_EDB);
    assert_non_null(strstr(fz_journal_errmsg(j), "schema"));
    fz_journal_free(j);
}

/* Sets run id's recorded owner, as another process would have. */
static void set_owner(fixture *f, int64_t id, int64_t pid, const char *owner_id)
{
    if (f->schema[0]) {
        PGconn *c = PQconnectdb(f->path);
        char a[24], b[24];
        snprintf(a, sizeof a, "%lld", (long long)id);
        snprintf(b, sizeof b, "%lld", (long long)pid);
        const char *v[3] = {a, b, owner_id};
        PGresult *r = PQexecParams(c, "UPDATE runs SET pid = $2::bigint, owner_id = $3"
                                      " WHERE id = $1::bigint",
                                   3, NULL, v, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE runs SET pid = ?2, owner_id = ?3 WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, pid);
    if (owner_id)
        sqlite3_bind_text(st, 3, owner_id, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_journal_claim_knows_a_live_owner_from_a_reused_pid(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    char me[FZ_PROC_ID_LEN];
    fz_proc_identity(getpid(), me);
    assert_true(me[0] != '\0');
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.owner_id, me);

    /* A live owner (the parent of this process, with its identity). */
    char parent[FZ_PROC_ID_LEN];
    fz_proc_identity(getppid(), parent);
    set_owner(f, id, getppid(), parent);
    fz_journal_claim prev;
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, &prev), FZ_ESTATE);
    assert_int_equal(prev.owner, FZ_PROC_ALIVE);
    char want[64];
    snprintf(want, sizeof want, "still running in process %lld", (long long)getppid());
    assert_non_null(strstr(fz_journal_errmsg(f->j), want));
    /* --force does not take a run from its proven owner. */
    assert_int_equal(fz_journal_run_claim(f->j, id, 1, &prev), FZ_ESTATE);

    /* The same pid with another start time: reused, taken as gone. */
    char stale[FZ_PROC_ID_LEN + 8];
    snprintf(stale, sizeof stale, "%.*s/1", (int)(strchr(parent, '/') - parent), parent);
    set_owner(f, id, getppid(), stale);
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, &prev), 0);
    assert_int_equal(prev.owner, FZ_PROC_REUSED);
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_int_equal(run.pid, getpid());
    assert_string_equal(run.owner_id, me);

    /* Another boot's process is gone, whatever holds its pid now. */
    set_owner(f, id, getppid(), "00000000-0000-0000-0000-000000000000/1");
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, &prev), 0);
    assert_int_equal(prev.owner, FZ_PROC_GONE);

    /* No identity recorded, pid alive: only with force. */
    set_owner(f, id, getppid(), NULL);
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, &prev), FZ_ESTATE);
    assert_int_equal(prev.owner, FZ_PROC_UNKNOWN);
    assert_int_equal(fz_journal_run_claim(f->j, id, 1, &prev), 0);

    /* A dead owner. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    set_owner(f, id, pid, NULL);
    assert_int_equal(fz_journal_run_claim(f->j, id, 0, &prev), 0);
    assert_int_equal(prev.owner, FZ_PROC_GONE);
}

static void test_journal_proc_tells_a_process_and_its_group_from_a_reused_pid(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);      /* its own group, as a step's first process */
        pid_t kid = fork(); /* a member that outlives the leader */
        if (kid == 0) {
            close(ready[0]);
            pause();
            _exit(0);
        }
        (void)!write(ready[1], "x", 1);
        pause();
        _exit(0);
    }
    setpgid(pid, pid); /* either side may set it first */
    char c;
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    char id[FZ_PROC_ID_LEN];
    fz_proc_identity(pid, id);
    assert_non_null(strchr(id, '/'));
    assert_int_equal(fz_proc_check(pid, id), FZ_PROC_ALIVE);
    assert_int_equal(fz_proc_check(pid, NULL), FZ_PROC_UNKNOWN);
    char other[FZ_PROC_ID_LEN + 8];
    snprintf(other, sizeof other, "%.*s/1", (int)(strchr(id, '/') - id), id);
    assert_int_equal(fz_proc_check(pid, other), FZ_PROC_REUSED);
    assert_int_equal(fz_proc_check(pid, "00000000-0000-0000-0000-000000000000/1"), FZ_PROC_GONE);
    assert_int_equal(fz_proc_group_check(pid, id), FZ_PROC_ALIVE);
    assert_int_equal(fz_proc_group_check(pid, other), FZ_PROC_REUSED);

    /* The leader dies (a zombie until reaped, then gone): its member keeps
     * the group alive. */
    kill(pid, SIGKILL);
    for (int i = 0; i < 200 && fz_proc_check(pid, id) != FZ_PROC_GONE; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(fz_proc_check(pid, id), FZ_PROC_GONE); /* a zombie is gone */
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(fz_proc_check(pid, id), FZ_PROC_GONE);
    assert_int_equal(fz_proc_group_check(pid, id), FZ_PROC_ALIVE);
    kill(-pid, SIGKILL);
    for (int i = 0; i < 200 && fz_proc_group_check(pid, id) != FZ_PROC_GONE; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(fz_proc_group_check(pid, id), FZ_PROC_GONE);
}

static void test_journal_of_many_claims_at_once_one_wins(void **state)
{
    fixture *f = *state;
    enum { N = 8, TRIALS = 10 };
    for (int trial = 0; trial < TRIALS; trial++) {
        int64_t id = add_run(f->j, "/w/a.fz");
        assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_INTERRUPTED, NULL, NULL), 0);
        set_owner(f, id, 0, NULL);
        int go[2], hold[2], done[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(hold), 0);
        assert_int_equal(pipe(done), 0);
        pid_t kids[N];
        for (int k = 0; k < N; k++) {
            kids[k] = fork();
            assert_true(kids[k] >= 0);
            if (kids[k] == 0) {
                close(go[1]);
                close(hold[1]);
                close(done[0]);
                fz_journal *j = NULL;
                if (fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &j))
                    _exit(9);
                char c;
                (void)!read(go[0], &c, 1); /* all start together */
                int rc = fz_journal_run_claim(j, id, 0, NULL);
                /* The winner stays alive until every claim was made. */
                (void)!write(done[1], "x", 1);
                (void)!read(hold[0], &c, 1);
                fz_journal_free(j);
                _exit(rc == 0 ? 0 : rc == FZ_ESTATE ? 1 : 2);
            }
        }
        close(go[0]);
        close(hold[0]);
        close(done[1]);
        close(go[1]); /* EOF: go */
        char buf[N];
        size_t got = 0;
        while (got < N) {
            ssize_t r = read(done[0], buf, N - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(done[0]);
        close(hold[1]);
        int won = 0, lost = 0;
        for (int k = 0; k < N; k++) {
            int st = 0;
            assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
            assert_true(WIFEXITED(st));
            won += WEXITSTATUS(st) == 0;
            lost += WEXITSTATUS(st) == 1;
        }
        assert_int_equal(won, 1);
        assert_int_equal(lost, N - 1);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
        assert_int_equal(run.resumes, 1);
    }
}

/*==========================================================================
 * Signals
 *========================================================================*/

static int list_signal(void *ud, const fz_journal_signal *sig)
{
    char *seen = ud;
    char one[32];
    if (sig->taken)
        snprintf(one, sizeof one, "%s=%s@%u ", sig->node, sig->answer, sig->taken_task);
    else
        snprintf(one, sizeof one, "%s=%s@- ", sig->node, sig->answer);
    strcat(seen, one);
    return 0;
}

static int signal_who(void *ud, const fz_journal_signal *sig)
{
    char *seen = ud;
    size_t n = strlen(seen);
    snprintf(seen + n, 128 - n, "%s=%s ", sig->answer, sig->who ? sig->who : "-");
    return 0;
}

static void test_journal_signal_records_who_and_data_version_moves(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, &f->ta.hook, &other), 0);
    int64_t v0 = 0, v1 = 0, v2 = 0;
    fz_journal_run seen_run;
    assert_int_equal(fz_journal_run_get(other, id, &seen_run), 0); /* leaves a read open */
    assert_int_equal(fz_journal_data_version(other, &v0), 0);
    assert_int_equal(fz_journal_data_version(other, &v1), 0);
    assert_true(v0 == v1); /* nothing committed: the same number */
    assert_int_equal(fz_journal_signal_add_by(f->j, id, "n4", "yes", "ann@page"), 0);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n4", "no"), 0);
    assert_int_equal(fz_journal_data_version(other, &v2), 0);
    assert_true(v2 != v1); /* another connection committed */
    char seen[128] = "";
    assert_int_equal(fz_journal_signal_list(other, id, signal_who, seen), 0);
    assert_string_equal(seen, "yes=ann@page no=- ");
    fz_journal_free(other);
}

static void test_journal_signals_are_taken_oldest_first_once(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    const char *a = NULL;
    assert_int_equal(fz_journal_signal_take(f->j, id, "n4", 7, &a), 0);
    assert_null(a);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n4", "no"), 0);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n4", "yes"), 0);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n5", "yes"), 0);
    assert_int_equal(fz_journal_signal_add(f->j, id, "n4", "maybe"), FZ_EINVAL);

    assert_int_equal(fz_journal_signal_take(f->j, id, "n4", 7, &a), 1);
    assert_string_equal(a, "no");
    /* The same task asking again (it was restarted) gets its own answer. */
    assert_int_equal(fz_journal_signal_take(f->j, id, "n4", 7, &a), 1);
    assert_string_equal(a, "no");
    /* A later visit of the node takes the next answer. */
    assert_int_equal(fz_journal_signal_take(f->j, id, "n4", 9, &a), 1);
    assert_string_equal(a, "yes");
    assert_int_equal(fz_journal_signal_take(f->j, id, "n4", 11, &a), 0);
    assert_int_equal(fz_journal_signal_take(f->j, id + 1, "n5", 1, &a), 0);

    /* The record keeps who took what. */
    char seen[128] = "";
    assert_int_equal(fz_journal_signal_list(f->j, id, list_signal, seen), 0);
    assert_string_equal(seen, "n4=no@7 n4=yes@9 n5=yes@- ");
}

static void test_journal_signal_from_another_process_reaches_an_open_journal(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Another process, as `flowzap signal` is, writing while the parent
         * has the journal open and is polling it. */
        fz_journal *j = NULL;
        int rc = fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &j);
        for (int i = 0; rc == 0 && i < 50; i++)
            rc = fz_journal_signal_add(j, id, "gate", i % 2 ? "no" : "yes");
        fz_journal_free(j);
        _exit(rc == 0 ? 0 : 1);
    }
    int taken = 0, yes = 0;
    for (int polls = 0; taken < 50 && polls < 100000; polls++) {
        const char *a = NULL;
        int rc = fz_journal_signal_take(f->j, id, "gate", (uint32_t)taken, &a);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            yes += !strcmp(a, "yes");
            taken++;
        }
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(taken, 50);
    assert_int_equal(yes, 25);
}

/*==========================================================================
 * Recording and replaying runs through the engine
 *========================================================================*/

/* Start, Build (sets VERSION), then two parallel branches: Test -> Healthy?
 * (yes only when VERSION is set, so a replay that lost variables takes the
 * other way) -> Promote | Rollback -> End, and Notify -> Done. */
static const char flow[] = "W { # W\n"
                           "n1: circle label:\"Start\"\n"
                           "n2: rectangle label:\"Build\"\n"
                           "n3: rectangle label:\"Test\"\n"
                           "n4: diamond label:\"Healthy?\"\n"
                           "n5: rectangle label:\"Promote\"\n"
                           "n6: rectangle label:\"Rollback\"\n"
                           "n7: circle label:\"End\"\n"
                           "n8: rectangle label:\"Notify\"\n"
                           "n9: circle label:\"Done\"\n"
                           "n1.handle(right) -> n2.handle(left)\n"
                           "n2.handle(right) -> n3.handle(left)\n"
                           "n2.handle(bottom) -> n8.handle(top)\n"
                           "n3.handle(right) -> n4.handle(left)\n"
                           "n4.handle(right) -> n5.handle(left) [label=\"Yes\"]\n"
                           "n4.handle(bottom) -> n6.handle(top) [label=\"No\"]\n"
                           "n5.handle(right) -> n7.handle(left)\n"
                           "n6.handle(right) -> n7.handle(left)\n"
                           "n8.handle(right) -> n9.handle(left)\n"
                           "}\n";

/* The same with a join: Notify leads to End too, so End waits for the
 * Test branch and runs once for both tokens (docs/semantics.md). */
static const char join_flow[] = "W { # W\n"
                                "n1: circle label:\"Start\"\n"
                                "n2: rectangle label:\"Build\"\n"
                                "n3: rectangle label:\"Test\"\n"
                                "n4: diamond label:\"Healthy?\"\n"
                                "n5: rectangle label:\"Promote\"\n"
                                "n6: rectangle label:\"Rollback\"\n"
                                "n7: circle label:\"End\"\n"
                                "n8: rectangle label:\"Notify\"\n"
                                "n1.handle(right) -> n2.handle(left)\n"
                                "n2.handle(right) -> n3.handle(left)\n"
                                "n2.handle(bottom) -> n8.handle(top)\n"
                                "n3.handle(right) -> n4.handle(left)\n"
                                "n4.handle(right) -> n5.handle(left) [label=\"Yes\"]\n"
                                "n4.handle(bottom) -> n6.handle(top) [label=\"No\"]\n"
                                "n5.handle(right) -> n7.handle(left)\n"
                                "n6.handle(right) -> n7.handle(left)\n"
                                "n8.handle(right) -> n7.handle(left)\n"
                                "}\n";

/* A synchronous backend: tasks finish in the order they started. With
 * crash_after >= 0 the process dies (_exit) inside wait() once that many
 * results were given, with the remaining tasks in flight. */
typedef struct tbackend tbackend;
struct tbackend {
    const fz_graph *g;
    fz_task q[64];
    uint32_t head, tail;
    uint64_t now;
    int crash_after;
    int given;
    uint32_t runs[64];    /* times each task id was started */
    uint32_t attempt[64]; /* attempt it was last started with */
    fixture *takeover;    /* when set: another process takes the run over ... */
    int64_t takeover_run;
    int takeover_at;   /* ... before this result is given */
    const char *fail_label; /* when set: this node's step ends in an error */
    fz_journal *check; /* when set: each start must already be committed */
    int64_t check_run;
    uint32_t checked;
    const char *outcome; /* when set: every step's outcome */
    /* When set: called on the hook_at-th call of now() (inside a group of
     * fz_journal_drive_grouped), or of wait() (between groups). */
    void (*now_hook)(tbackend *b);
    void (*wait_hook)(tbackend *b);
    int hook_at, now_calls, wait_calls;
    void *hook_ud;
};

static int started_row(void *ud, const fz_journal_step *s)
{
    uint32_t *want = ud;
    if (s->task == want[0] && !s->finished)
        want[1] = 1;
    want[2] += s->finished;
    return 0;
}

static uint64_t tb_now(void *ud)
{
    tbackend *b = ud;
    if (b->now_hook && ++b->now_calls == b->hook_at)
        b->now_hook(b);
    return b->now += 1000;
}

static int tb_start(void *ud, fz_engine *e, const fz_task *t)
{
    (void)e;
    tbackend *b = ud;
    assert_true(b->tail < 64 && t->id < 64);
    if (b->check) {
        /* Another connection sees the start before the handler starts. */
        uint32_t want[3] = {t->id, 0, 0};
        assert_int_equal(fz_journal_step_list(b->check, b->check_run, 0, started_row, want), 0);
        assert_int_equal(want[1], 1);
        /* Every result given so far is committed as a finish before a
         * handler it led to starts. */
        assert_int_equal(want[2], (uint32_t)b->given);
        b->checked++;
    }
    b->q[b->tail++] = *t;
    b->runs[t->id]++;
    b->attempt[t->id] = t->attempt;
    return 0;
}

static int tb_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    tbackend *b = ud;
    if (b->wait_hook && ++b->wait_calls == b->hook_at)
        b->wait_hook(b);
    if (b->crash_after >= 0 && b->given == b->crash_after)
        _exit(0);
    if (b->takeover && b->given == b->takeover_at)
        set_owner(b->takeover, b->takeover_run, 1, "another/1");
    assert_true(b->head < b->tail);
    fz_task t = b->q[b->head++];
    const fz_node *n = &FZ_VEC_AT(&b->g->nodes, fz_node, t.node);
    const char *label = fz_graph_text(b->g, n->label);
    static const fz_kv version = {"VERSION", "1.2.3"};
    static char out[64];
    memset(r, 0, sizeof *r);
    *task_id = t.id;
    if (!strncmp(label, "Build", n->label.len)) {
        r->vars = &version;
        r->nvars = 1;
    }
    if (!strncmp(label, "Healthy?", n->label.len) && !fz_engine_get_var(e, "VERSION"))
        r->answer = FZ_ANSWER_NO;
    if (b->fail_label && !strncmp(label, b->fail_label, n->label.len))
        r->answer = FZ_ANSWER_ERROR;
    snprintf(out, sizeof out, "ran %.*s\n", (int)n->label.len, label);
    r->out = out;
    r->out_len = strlen(out);
    r->exit_code = r->answer == FZ_ANSWER_NO;
    r->has_exit_code = 1;
    r->outcome = b->outcome;
    b->given++;
    return 0;
}

static void tb_cancel_all(void *ud, fz_engine *e)
{
    (void)e;
    tbackend *b = ud;
    b->head = b->tail;
}

typedef struct run_ctx {
    fz_graph *g;
    fz_plan *plan;
    fz_engine *e;
    tbackend tb;
    fz_backend b;
} run_ctx;

static void ctx_init(run_ctx *c, const char *text, int crash_after)
{
    memset(c, 0, sizeof *c);
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_mem("w.fz", text, strlen(text), NULL, &d, &c->g), 0);
    fz_diags_fini(&d);
    assert_int_equal(fz_plan_new(c->g, NULL, NULL, &c->plan), 0);
    assert_int_equal(fz_engine_new(c->plan, NULL, &c->e), 0);
    c->tb.g = c->g;
    c->tb.crash_after = crash_after;
    c->b = (fz_backend){"test", tb_now, tb_start, tb_wait, tb_cancel_all, &c->tb, NULL};
}

static void ctx_fini(run_ctx *c)
{
    fz_engine_free(c->e);
    fz_plan_free(c->plan);
    fz_graph_free(c->g);
}

/* Runs the flow from scratch, recorded as run id. */
static void record_run(fixture *f, run_ctx *c, int64_t id)
{
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c->e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c->g, c->e, NULL, &rec), 0);
    fz_engine_set_observer(c->e, fz_journal_recorder_observer(rec));
    assert_int_equal(fz_engine_drive(c->e, &c->b), 0);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    fz_journal_recorder_free(rec);
}

/* The same with grouped commits: the n runs cs[], recorded as ids[], driven
 * together by fz_journal_drive_grouped over f->j. */
static void record_runs_grouped(fixture *f, run_ctx *cs, const int64_t *ids, size_t n)
{
    fz_engine *es[8];
    const fz_backend *bs[8];
    fz_journal_recorder *recs[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fz_engine_start(cs[i].e), 0);
        assert_int_equal(fz_journal_recorder_new(f->j, ids[i], cs[i].g, cs[i].e, NULL, &recs[i]),
                         0);
        fz_engine_set_observer(cs[i].e, fz_journal_recorder_observer(recs[i]));
        es[i] = cs[i].e;
        bs[i] = &cs[i].b;
    }
    assert_int_equal(fz_journal_drive_grouped(f->j, es, bs, recs, n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fz_journal_recorder_status(recs[i]), 0);
        fz_journal_recorder_free(recs[i]);
    }
}

/* Resumes run id in c as `flowzap resume` does; returns the tasks rerun. */
static uint32_t resume_run(fixture *f, run_ctx *c, int64_t id)
{
    fz_observer none = {0};
    fz_journal_resume res;
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c->e), 0);
    fz_engine_set_observer(c->e, &none);
    assert_int_equal(fz_journal_replay(f->j, id, c->e, &f->ta.hook, &res), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c->g, c->e, NULL, &rec), 0);
    const fz_observer *obs = fz_journal_recorder_observer(rec);
    fz_engine_set_observer(c->e, obs);
    for (uint32_t i = 0; i < res.ntasks; i++) {
        obs->on_start(obs->ud, &res.tasks[i], c->b.now(c->b.ud));
        assert_int_equal(c->b.start(c->b.ud, c->e, &res.tasks[i]), 0);
    }
    uint32_t restarted = res.restarted;
    fz_journal_resume_fini(&res);
    if (fz_engine_state(c->e) == FZ_RUN_RUNNING)
        assert_int_equal(fz_engine_drive(c->e, &c->b), 0);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    fz_journal_recorder_free(rec);
    return restarted;
}

typedef struct tally {
    uint32_t n, finished, restarted;
    uint32_t task_seq[64]; /* finish seq per task */
    char outs[512];
} tally;

static int tally_step(void *ud, const fz_journal_step *s)
{
    tally *t = ud;
    t->n++;
    t->finished += s->finished;
    if (s->starts > 1) {
        t->restarted++;
        assert_int_equal(s->starts, 2);
        assert_int_equal(s->attempt, 2);
    } else
        assert_int_equal(s->attempt, 1);
    if (s->task < 64)
        t->task_seq[s->task] = s->seq;
    assert_true(s->has_exit_code);
    strncat(t->outs, s->out ? s->out : "-", s->out_len);
    return 0;
}

static void test_journal_recorder_records_every_step_of_a_run(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    record_run(f, &c, id);
    assert_int_equal(fz_engine_state(c.e), FZ_RUN_COMPLETED);

    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
    assert_string_equal(run.outcome, fz_engine_outcome(c.e));
    assert_non_null(strstr(run.vars, "\"VERSION\":\"1.2.3\""));
    assert_int_equal(run.steps, fz_engine_steps(c.e));
    assert_int_equal(run.in_flight, 0);
    tally t = {0};
    assert_int_equal(fz_journal_step_list(f->j, id, 0, tally_step, &t), 0);
    assert_int_equal(t.n, fz_engine_steps(c.e));
    assert_int_equal(t.finished, t.n);
    assert_int_equal(t.restarted, 0);
    assert_non_null(strstr(t.outs, "ran Promote\n"));
    assert_null(strstr(t.outs, "ran Rollback\n"));
    ctx_fini(&c);
}

/* What a second connection (another process) sees when the observer after
 * the recorder is called: the row must already be committed. */
typedef struct peek {
    fz_journal *other;
    int64_t id;
    int starts_seen, finishes_seen;
} peek;

static int peek_step(void *ud, const fz_journal_step *s)
{
    uint32_t *want = ud;
    if (s->task == want[0])
        want[1] = 1 + (uint32_t)s->finished;
    return 0;
}

static void peek_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t_ns;
    peek *p = ud;
    uint32_t want[2] = {t->id, 0};
    assert_int_equal(fz_journal_step_list(p->other, p->id, 0, peek_step, want), 0);
    assert_int_equal(want[1], 1); /* started, not finished: before the handler */
    p->starts_seen++;
}

static void peek_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    (void)r;
    (void)t_ns;
    peek *p = ud;
    uint32_t want[2] = {t->id, 0};
    assert_int_equal(fz_journal_step_list(p->other, p->id, 0, peek_step, want), 0);
    assert_int_equal(want[1], 2); /* finished: before the engine routes it */
    p->finishes_seen++;
}

static void test_journal_steps_are_committed_before_they_are_acted_on(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    peek p = {.id = id};
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &p.other), 0);
    c.tb.check = p.other;
    c.tb.check_run = id;
    fz_observer next = {.on_start = peek_start, .on_finish = peek_finish, .ud = &p};
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_engine_set_var(c.e, "GREETING", "hi"), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, &next, &rec), 0);
    fz_engine_set_observer(c.e, fz_journal_recorder_observer(rec));
    /* The run's starting variables are recorded before anything runs. */
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(p.other, id, &run), 0);
    assert_string_equal(run.vars, "{\"GREETING\":\"hi\"}");
    assert_int_equal(fz_engine_drive(c.e, &c.b), 0);
    assert_int_equal(p.starts_seen, (int)fz_engine_steps(c.e));
    assert_int_equal(p.finishes_seen, (int)fz_engine_steps(c.e));
    assert_int_equal(c.tb.checked, fz_engine_steps(c.e));
    fz_journal_recorder_free(rec);
    fz_journal_free(p.other);
    ctx_fini(&c);
}

/* Grouped commits (docs/journal.md): three runs driven together; before
 * any handler starts, another connection sees its start and every finish
 * its run was given so far; each run records what an unbroken run does. */
static void test_journal_grouped_starts_are_committed_before_any_handler_starts(void **state)
{
    fixture *f = *state;
    run_ctx ref;
    ctx_init(&ref, flow, -1);
    int64_t ref_id = add_run(f->j, "/w/w.fz");
    record_run(f, &ref, ref_id);
    tally want = {0};
    assert_int_equal(fz_journal_step_list(f->j, ref_id, 0, tally_step, &want), 0);
    uint32_t steps = fz_engine_steps(ref.e);
    ctx_fini(&ref);

    run_ctx cs[3];
    int64_t ids[3];
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &other), 0);
    for (int i = 0; i < 3; i++) {
        ctx_init(&cs[i], i == 1 ? join_flow : flow, -1);
        ids[i] = add_run(f->j, "/w/w.fz");
        cs[i].tb.check = other;
        cs[i].tb.check_run = ids[i];
    }
    record_runs_grouped(f, cs, ids, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fz_engine_state(cs[i].e), FZ_RUN_COMPLETED);
        assert_int_equal(cs[i].tb.checked, fz_engine_steps(cs[i].e));
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(other, ids[i], &run), 0);
        assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
        tally got = {0};
        assert_int_equal(fz_journal_step_list(other, ids[i], 0, tally_step, &got), 0);
        assert_int_equal(got.n, fz_engine_steps(cs[i].e));
        assert_int_equal(got.finished, got.n);
        assert_int_equal(got.restarted, 0);
        if (i != 1) {
            assert_int_equal(got.n, steps);
            assert_string_equal(got.outs, want.outs);
        }
        ctx_fini(&cs[i]);
    }
    fz_journal_free(other);
}

static int print_step(void *ud, const fz_journal_step *s)
{
    (void)ud;
    fprintf(stderr, "step %u: exit %d, out %.*s, err %.*s\n", s->task, s->exit_code,
            (int)s->out_len, s->out ? s->out : "", (int)s->err_len, s->err ? s->err : "");
    return 0;
}

static int own_start_seen(void *ud, const fz_journal_step *s)
{
    uint32_t *n = ud;
    /* What the handler's sqlite3 printed: its own row, started once and
     * not finished. */
    assert_non_null(s->out);
    assert_int_equal(s->out_len, 4);
    assert_memory_equal(s->out, "1|1\n", 4);
    (*n)++;
    return 0;
}

/* Grouped commits with real handlers: each step's command opens the
 * journal with the sqlite3 program and finds its own start committed (a
 * busy timeout: a reader may meet a checkpoint under load). */
static void test_journal_grouped_handler_reads_its_own_start_with_sqlite3(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    char yaml[2048];
    int len = snprintf(yaml, sizeof yaml,
                       "version: 1\n"
                       "rules:\n"
                       "  - match: .\n"
                       "    exec: [sh, -c, 'sqlite3 -cmd \".timeout 10000\" \"$JDB\" "
                       "\"SELECT starts, finished_at IS NULL "
                       "FROM steps WHERE run = %lld AND task = $FZ_TASK\"']\n"
                       "    env: {JDB: \"%s\"}\n",
                       (long long)id, f->path);
    assert_true(len > 0 && len < (int)sizeof yaml);
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *bd = NULL;
    uint32_t unbound = 0;
    assert_int_equal(fz_bind_load_mem("b.yaml", yaml, (size_t)len, NULL, &d, &bd), 0);
    assert_int_equal(fz_bind_resolve(bd, c.g, &unbound), 0);
    assert_int_equal(unbound, 0);
    fz_diags_fini(&d);
    fz_real *real = NULL;
    fz_real_opts ro = {.run_id = "grouped"};
    assert_int_equal(fz_real_new(c.g, bd, &ro, NULL, &real), 0);
    c.b = *fz_real_backend(real);
    record_runs_grouped(f, &c, &id, 1);
    if (fz_engine_state(c.e) != FZ_RUN_COMPLETED)
        assert_int_equal(fz_journal_step_list(f->j, id, 0, print_step, NULL), 0);
    assert_int_equal(fz_engine_state(c.e), FZ_RUN_COMPLETED);
    uint32_t seen = 0;
    assert_int_equal(fz_journal_step_list(f->j, id, 0, own_start_seen, &seen), 0);
    assert_int_equal(seen, fz_engine_steps(c.e));
    assert_true(seen >= 7);
    fz_real_free(real);
    fz_bind_free(bd);
    ctx_fini(&c);
}

/* Grouped commits: a run that fails while another branch is in flight
 * ends failed, recorded, with that branch abandoned; a run beside it in
 * the same groups completes. */
static void test_journal_grouped_run_that_fails_leaves_the_others_running(void **state)
{
    fixture *f = *state;
    run_ctx cs[2];
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        ctx_init(&cs[i], flow, -1);
        ids[i] = add_run(f->j, "/w/w.fz");
    }
    cs[0].tb.fail_label = "Notify";
    record_runs_grouped(f, cs, ids, 2);
    assert_int_equal(fz_engine_state(cs[0].e), FZ_RUN_FAILED);
    assert_int_equal(cs[0].tb.head, cs[0].tb.tail); /* nothing left to wait for */
    assert_int_equal(fz_engine_state(cs[1].e), FZ_RUN_COMPLETED);
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, ids[0], &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_FAILED);
    assert_int_equal(fz_journal_run_get(f->j, ids[1], &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
    for (int i = 0; i < 2; i++)
        ctx_fini(&cs[i]);
}

static void crash_at_every_step_in(fixture *f, const char *text, int grouped);

static void crash_at_every_step(fixture *f, const char *text)
{
    crash_at_every_step_in(f, text, 0);
}

static void test_journal_resume_after_a_crash_at_every_step_matches_an_unbroken_run(void **state)
{
    crash_at_every_step(*state, flow);
}

/* Grouped commits: the process dies after every group commit in turn (in
 * wait(), with the group's handlers started); resume completes the run as
 * an unbroken one, rerunning only the steps in flight. */
static void test_journal_grouped_resume_after_a_kill_after_any_group_commit(void **state)
{
    crash_at_every_step_in(*state, flow, 1);
    crash_at_every_step_in(*state, join_flow, 1);
}

/* A run with a join resumes the same: the replay lets the waiting token on
 * exactly where the unbroken run did, and End runs once. */
static void test_journal_resume_of_a_run_with_a_join_matches_an_unbroken_run(void **state)
{
    crash_at_every_step(*state, join_flow);
}

static void crash_at_every_step_in(fixture *f, const char *text, int grouped)
{
    run_ctx ref;
    ctx_init(&ref, text, -1);
    int64_t ref_id = add_run(f->j, "/w/w.fz");
    record_run(f, &ref, ref_id);
    char outcome[256];
    snprintf(outcome, sizeof outcome, "%s", fz_engine_outcome(ref.e));
    uint32_t steps = fz_engine_steps(ref.e);
    tally want = {0};
    assert_int_equal(fz_journal_step_list(f->j, ref_id, 0, tally_step, &want), 0);
    ctx_fini(&ref);
    assert_true(steps >= 7);

    for (int k = 0; k < (int)steps; k++) {
        int64_t id = add_run(f->j, "/w/w.fz");
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* The run dies after k results, with tasks in flight. */
            fz_journal *j = NULL;
            if (fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &j))
                _exit(2);
            fixture child = *f;
            child.j = j;
            run_ctx c;
            ctx_init(&c, text, k);
            if (grouped)
                record_runs_grouped(&child, &c, &id, 1);
            else
                record_run(&child, &c, id);
            _exit(3); /* not reached: the backend exits first */
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);

        run_ctx c;
        ctx_init(&c, text, -1);
        uint32_t restarted = resume_run(f, &c, id);
        assert_int_equal(fz_engine_state(c.e), FZ_RUN_COMPLETED);
        assert_string_equal(fz_engine_outcome(c.e), outcome);
        /* Only the tasks in flight at the crash ran here again, with their
         * attempt raised; the others ran here once or not at all. */
        uint32_t rerun = 0;
        for (int t = 0; t < 64; t++) {
            assert_true(c.tb.runs[t] <= 1);
            if (c.tb.runs[t] && c.tb.attempt[t] == 2)
                rerun++;
        }
        assert_int_equal(rerun, restarted);
        assert_true(restarted >= 1);

        tally got = {0};
        assert_int_equal(fz_journal_step_list(f->j, id, 0, tally_step, &got), 0);
        assert_int_equal(got.n, steps);
        assert_int_equal(got.finished, steps);
        assert_int_equal(got.restarted, restarted);
        assert_memory_equal(got.task_seq, want.task_seq, sizeof want.task_seq);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
        assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
        assert_string_equal(run.outcome, outcome);
        ctx_fini(&c);
    }
}

typedef struct count_ctx {
    uint32_t rows, finished;
} count_ctx;

static int count_step(void *ud, const fz_journal_step *s)
{
    count_ctx *c = ud;
    c->rows++;
    c->finished += s->finished;
    return 0;
}

static void test_journal_a_run_taken_over_is_no_longer_recorded_by_its_old_owner(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    c.tb.takeover = f;
    c.tb.takeover_run = id;
    c.tb.takeover_at = 2;
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    fz_engine_set_observer(c.e, fz_journal_recorder_observer(rec));
    assert_int_equal(fz_engine_drive(c.e, &c.b), 0);
    /* Its writes after the takeover changed nothing and it knows why. */
    assert_int_equal(fz_journal_recorder_status(rec), FZ_ESTATE);
    assert_non_null(strstr(fz_journal_errmsg(f->j), "taken over by process 1"));
    fz_journal_recorder_free(rec);
    count_ctx n = {0};
    assert_int_equal(fz_journal_step_list(f->j, id, 0, count_step, &n), 0);
    assert_int_equal(n.finished, 2);
    assert_int_equal(n.rows, 4); /* Test and Notify started before the takeover */
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_RUNNING); /* not its end */
    assert_int_equal(run.pid, 1);
    ctx_fini(&c);
}

static void test_journal_resume_of_a_run_that_died_at_its_end_records_the_end(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    record_run(f, &c, id);
    char outcome[256];
    snprintf(outcome, sizeof outcome, "%s", fz_engine_outcome(c.e));
    ctx_fini(&c);
    /* As if the process died after its last step's finish was committed. */
    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_RUNNING, NULL, "{}"), 0);

    ctx_init(&c, flow, -1);
    assert_int_equal(resume_run(f, &c, id), 0);
    for (int t = 0; t < 64; t++)
        assert_int_equal(c.tb.runs[t], 0); /* nothing ran again */
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
    assert_string_equal(run.outcome, outcome);
    assert_non_null(strstr(run.vars, "VERSION"));
    ctx_fini(&c);
}

static void test_journal_replay_into_another_workflow_is_refused(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    record_run(f, &c, id);
    ctx_fini(&c);

    /* Same ids, Test and Notify swapped: task 2 is now another node. */
    char other[sizeof flow];
    memcpy(other, flow, sizeof flow);
    char *a = strstr(other, "n2.handle(right) -> n3");
    char *b = strstr(other, "n2.handle(bottom) -> n8");
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, "n2.handle(right) -> n8", 22);
    memcpy(b, "n2.handle(bottom) -> n3", 23);
    ctx_init(&c, other, -1);
    fz_journal_resume res;
    fz_observer none = {0};
    assert_int_equal(fz_engine_start(c.e), 0);
    fz_engine_set_observer(c.e, &none);
    assert_int_equal(fz_journal_replay(f->j, id, c.e, &f->ta.hook, &res), FZ_ECHANGED);
    assert_non_null(strstr(fz_journal_errmsg(f->j), "the journal does not match this workflow"));
    fz_journal_resume_fini(&res);
    ctx_fini(&c);
}

static void test_journal_replay_survives_every_failed_allocation(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    record_run(f, &c, id);
    ctx_fini(&c);
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        ctx_init(&c, flow, -1);
        fz_journal_resume res;
        fz_observer none = {0};
        assert_int_equal(fz_engine_start(c.e), 0);
        fz_engine_set_observer(c.e, &none);
        int rc = fz_journal_replay(f->j, id, c.e, &ta.hook, &res);
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        fz_journal_resume_fini(&res);
        ctx_fini(&c);
        assert_int_equal(ta.live, 0);
        if (!ta.injected) {
            assert_int_equal(rc, 0);
            break;
        }
    }
}


/*==========================================================================
 * PostgreSQL: a group of writes is one pipeline (docs/journal.md)
 *========================================================================*/

/* Eight runs, each group one pipeline of their finishes and starts: every
 * run completes, every step is recorded once, started once. */
static void test_journal_pg_pipelined_groups_record_every_step_of_eight_runs(void **state)
{
    fixture *f = *state;
    run_ctx cs[8];
    int64_t ids[8];
    for (int i = 0; i < 8; i++) {
        ctx_init(&cs[i], i % 2 ? join_flow : flow, -1);
        ids[i] = add_run(f->j, "/w/w.fz");
    }
    record_runs_grouped(f, cs, ids, 8);
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &other), 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(fz_engine_state(cs[i].e), FZ_RUN_COMPLETED);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(other, ids[i], &run), 0);
        assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
        tally got = {0};
        assert_int_equal(fz_journal_step_list(other, ids[i], 0, tally_step, &got), 0);
        assert_int_equal(got.n, fz_engine_steps(cs[i].e));
        assert_int_equal(got.finished, got.n);
        assert_int_equal(got.restarted, 0);
        ctx_fini(&cs[i]);
    }
    fz_journal_free(other);
}

/* What another connection sees of runs ids[0..n): step rows and finishes. */
typedef struct seen {
    fz_journal *other;
    const int64_t *ids;
    size_t n;
    count_ctx before[8];
    fixture *f;
    int64_t victim;
} seen;

static void snapshot(seen *sn, count_ctx *out)
{
    for (size_t i = 0; i < sn->n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        assert_int_equal(fz_journal_step_list(sn->other, sn->ids[i], 0, count_step, &out[i]), 0);
    }
}

static void take_over_in_group(tbackend *b)
{
    seen *sn = b->hook_ud;
    snapshot(sn, sn->before);
    set_owner(sn->f, sn->victim, 1, "another/1");
}

/* A group whose middle run was taken over (another owner) while the group
 * was open: its owner check fails, the whole group is rolled back (no run
 * gains a row or a finish), every run stops, and the message says which
 * run and why. */
static void test_journal_pg_pipelined_group_with_a_run_taken_over_rolls_back_whole(void **state)
{
    fixture *f = *state;
    run_ctx cs[3];
    int64_t ids[3];
    fz_engine *es[3];
    const fz_backend *bs[3];
    fz_journal_recorder *recs[3];
    seen sn = {.ids = ids, .n = 3, .f = f};
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &sn.other), 0);
    for (int i = 0; i < 3; i++) {
        ctx_init(&cs[i], flow, -1);
        ids[i] = add_run(f->j, "/w/w.fz");
        assert_int_equal(fz_engine_start(cs[i].e), 0);
        assert_int_equal(fz_journal_recorder_new(f->j, ids[i], cs[i].g, cs[i].e, NULL, &recs[i]),
                         0);
        fz_engine_set_observer(cs[i].e, fz_journal_recorder_observer(recs[i]));
        es[i] = cs[i].e;
        bs[i] = &cs[i].b;
    }
    sn.victim = ids[1];
    /* In the third group, when the first run is fed its result. */
    cs[0].tb.now_hook = take_over_in_group;
    cs[0].tb.hook_at = 3;
    cs[0].tb.hook_ud = &sn;
    assert_int_equal(fz_journal_drive_grouped(f->j, es, bs, recs, 3), FZ_ESTATE);
    const char *msg = fz_journal_errmsg(f->j);
    char want[96];
    snprintf(want, sizeof want, "the owner check of run %lld failed", (long long)ids[1]);
    assert_non_null(strstr(msg, "committing a group of writes"));
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, "taken over by process 1"));
    count_ctx after[8];
    snapshot(&sn, after);
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(fz_journal_recorder_status(recs[i]), 0);
        assert_int_equal(after[i].rows, sn.before[i].rows);
        assert_int_equal(after[i].finished, sn.before[i].finished);
        assert_true(sn.before[i].rows > 0);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(sn.other, ids[i], &run), 0);
        assert_string_equal(run.state, FZ_JOURNAL_RUNNING);
        fz_journal_recorder_free(recs[i]);
        ctx_fini(&cs[i]);
    }
    /* The connection is usable again after the failed group. */
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, ids[0], &run), 0);
    fz_journal_free(sn.other);
}

/* A label and an outcome written as SQL go through the pipeline as
 * values: stored as given, no table touched. */
static void test_journal_pg_pipelined_group_keeps_hostile_values_as_text(void **state)
{
    fixture *f = *state;
    static const char hostile[] = "'); DROP TABLE runs;--";
    static const char outcome[] = "x\"); DELETE FROM steps;--'";
    char text[2048], rest[2048];
    snprintf(text, sizeof text, "%s", flow);
    char *at = strstr(text, "label:\"Build\"");
    assert_non_null(at);
    snprintf(rest, sizeof rest, "%s", at + strlen("label:\"Build\""));
    snprintf(at, sizeof text - (size_t)(at - text), "label:\"%s\"%s", hostile, rest);
    run_ctx cs[2];
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        ctx_init(&cs[i], text, -1);
        cs[i].tb.outcome = outcome;
        ids[i] = add_run(f->j, "/w/w.fz");
    }
    record_runs_grouped(f, cs, ids, 2);
    PGconn *c = PQconnectdb(f->path);
    const char *v[2] = {hostile, outcome};
    PGresult *r = PQexecParams(c,
                               "SELECT (SELECT count(*) FROM runs),"
                               " (SELECT count(*) FROM steps WHERE label = $1),"
                               " (SELECT count(*) FROM steps WHERE outcome = $2),"
                               " (SELECT count(*) FROM signals),"
                               " (SELECT count(*) FROM steps WHERE outcome IS NOT NULL)",
                               2, NULL, v, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    assert_string_equal(PQgetvalue(r, 0, 1), "2");
    assert_true(atoi(PQgetvalue(r, 0, 2)) > 0);
    assert_string_equal(PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 4));
    PQclear(r);
    PQfinish(c);
    for (int i = 0; i < 2; i++)
        ctx_fini(&cs[i]);
}

/* Restarts the test's PostgreSQL server (tests/scripts/pg_cluster.sh). */
static void restart_server(tbackend *b)
{
    (void)b;
    int rc = system("bash -c '. \"$FZ_SRC/tests/scripts/pg_cluster.sh\" && fz_pg_restart'");
    assert_int_equal(rc, 0);
}

/* The server restarts in the middle of a group (its writes are queued on
 * a connection that is gone) or between two groups: the group is sent
 * again whole on a new connection, the runs complete, and no step's start
 * is counted twice. */
static void restart_during_groups(fixture *f, int in_group)
{
    if (!getenv("FZ_PG_DIR") || !getenv("FZ_SRC")) {
        fprintf(stderr, "test_journal: FZ_PG_DIR or FZ_SRC is not set: no server to restart\n");
        skip();
    }
    run_ctx cs[3];
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        ctx_init(&cs[i], flow, -1);
        ids[i] = add_run(f->j, "/w/w.fz");
    }
    if (in_group)
        cs[2].tb.now_hook = restart_server;
    else
        cs[2].tb.wait_hook = restart_server;
    cs[2].tb.hook_at = 3;
    record_runs_grouped(f, cs, ids, 3);
    assert_true((in_group ? cs[2].tb.now_calls : cs[2].tb.wait_calls) >= 3);
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &other), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fz_engine_state(cs[i].e), FZ_RUN_COMPLETED);
        fz_journal_run run;
        assert_int_equal(fz_journal_run_get(other, ids[i], &run), 0);
        assert_string_equal(run.state, FZ_JOURNAL_COMPLETED);
        tally got = {0};
        assert_int_equal(fz_journal_step_list(other, ids[i], 0, tally_step, &got), 0);
        assert_int_equal(got.n, fz_engine_steps(cs[i].e));
        assert_int_equal(got.finished, got.n);
        assert_int_equal(got.restarted, 0); /* starts = 1 everywhere */
        ctx_fini(&cs[i]);
    }
    fz_journal_free(other);
}

static void test_journal_pg_server_restart_during_a_group_sends_it_again_whole(void **state)
{
    restart_during_groups(*state, 1);
}

static void test_journal_pg_server_restart_between_groups_reconnects(void **state)
{
    restart_during_groups(*state, 0);
}

static int the_only_step(void *ud, const fz_journal_step *s)
{
    fz_journal_step *one = ud;
    one->seq++; /* rows seen */
    one->starts = s->starts;
    one->attempt = s->attempt;
    return 0;
}

/* starts and attempt of run id's only step row, read on another
 * connection (either store). */
static void starts_of(fixture *f, int64_t id, uint32_t starts, uint32_t attempt)
{
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &other), 0);
    fz_journal_step one = {0};
    assert_int_equal(fz_journal_step_list(other, id, 0, the_only_step, &one), 0);
    assert_int_equal(one.seq, 1);
    assert_int_equal(one.starts, starts);
    assert_int_equal(one.attempt, attempt);
    fz_journal_free(other);
}

/* A start written twice at the same attempt (a statement sent again after
 * the connection broke, a group sent again whole, a resume recording the
 * in-flight start again) is one start; a start at a raised attempt (a
 * rerun after a crash) is a second one. The same on both stores. */
static void test_journal_a_start_written_again_is_not_a_second_start(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    const fz_observer *obs = fz_journal_recorder_observer(rec);
    fz_task t;
    assert_true(fz_engine_next(c.e, &t));
    for (int grouped = 0; grouped < 2; grouped++) {
        if (grouped)
            assert_int_equal(fz_journal_group_begin(f->j), 0);
        obs->on_start(obs->ud, &t, 1000);
        obs->on_start(obs->ud, &t, 2000);
        if (grouped)
            assert_int_equal(fz_journal_group_commit(f->j), 0);
        assert_int_equal(fz_journal_recorder_status(rec), 0);
        starts_of(f, id, 1, 1);
    }
    fz_task again = t;
    again.attempt++;
    obs->on_start(obs->ud, &again, 3000);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    starts_of(f, id, 2, 2);
    obs->on_start(obs->ud, &again, 4000);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    starts_of(f, id, 2, 2);
    fz_journal_recorder_free(rec);
    /* Another recorder of the same run (a resume) writing the start of
     * the same attempt again. */
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    obs = fz_journal_recorder_observer(rec);
    obs->on_start(obs->ud, &again, 5000);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    starts_of(f, id, 2, 2);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}


static int every_task_elsewhere(void *ud, const fz_task *t)
{
    (void)ud;
    (void)t;
    return 1;
}

typedef struct remote_seen {
    int calls;
    char out[32];
    char var[32];
} remote_seen;

static void remote_got(void *ud, const fz_result *r)
{
    remote_seen *rs = ud;
    rs->calls++;
    snprintf(rs->out, sizeof rs->out, "%.*s", (int)r->out_len, r->out ? r->out : "");
    for (uint32_t i = 0; i < r->nvars; i++)
        if (!strcmp(r->vars[i].key, "K"))
            snprintf(rs->var, sizeof rs->var, "%s", r->vars[i].value);
}

/* A step of another lane (docs/scale.md, "Lanes as placement"): queued
 * with its start, claimed by a worker of its lane only, claimed again
 * once its lease ran out (a new start, attempt raised); a finish or a
 * renewal under the old epoch is refused, the current one records the
 * finish without a place in the run's order, which the owner gives it
 * when it routes the result. */
static void test_journal_pg_a_step_of_another_lane_is_finished_once_under_its_epoch(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    fz_journal_recorder_set_remote(rec, every_task_elsewhere, NULL);
    fz_engine_set_observer(c.e, fz_journal_recorder_observer(rec));
    /* (The engine calls on_start only from fz_engine_drive: done by hand.) */
    fz_journal *w = NULL; /* a worker's connection */
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &w), 0);
    assert_true(fz_journal_has_step_queue(w));
    fz_task t;
    assert_true(fz_engine_next(c.e, &t));
    const fz_observer *obs = fz_journal_recorder_observer(rec);
    obs->on_start(obs->ud, &t, 1000);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, NULL, NULL), 1);

    fz_journal_step_lease l1, l2;
    assert_int_equal(fz_journal_step_claim(w, "w/1", "Other,X", 60000, &l1), 0);
    assert_int_equal(fz_journal_step_claim(w, "w/1", "Other,W", 1, &l1), 1);
    assert_int_equal(l1.run, id);
    assert_int_equal(l1.task, t.id);
    assert_int_equal(l1.epoch, 1);
    assert_int_equal(l1.attempt, t.attempt);
    starts_of(f, id, 1, 1);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL); /* the 1 ms lease runs out */
    assert_int_equal(fz_journal_step_claim(w, "w/2", NULL, 60000, &l2), 1);
    assert_int_equal(l2.epoch, 2);
    assert_int_equal(l2.attempt, t.attempt + 1);
    starts_of(f, id, 2, 2);
    assert_int_equal(fz_journal_step_claim(w, "w/3", NULL, 60000, &l1), 0); /* held */

    fz_task run = t;
    run.attempt = l2.attempt;
    fz_kv kv = {"K", "it's \"v\""};
    fz_result r = {.answer = FZ_ANSWER_OK,
                   .out = "x'); DROP",
                   .out_len = 9,
                   .vars = &kv,
                   .nvars = 1,
                   .has_exit_code = 1};
    assert_int_equal(fz_journal_step_renew(w, id, t.id, 1, 60000), FZ_ESTATE);
    assert_int_equal(fz_journal_step_finish_at(w, id, 1, c.g, &run, &r, 5), FZ_ESTATE);
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, NULL, NULL), 1);
    assert_int_equal(fz_journal_step_renew(w, id, t.id, 2, 60000), 0);
    assert_int_equal(fz_journal_step_finish_at(w, id, 2, c.g, &run, &r, 5), 0);
    assert_int_equal(fz_journal_step_renew(w, id, t.id, 2, 60000), FZ_ESTATE);
    assert_int_equal(fz_journal_step_finish_at(w, id, 2, c.g, &run, &r, 5), FZ_ESTATE);

    remote_seen got = {0};
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, remote_got, &got), 2);
    assert_int_equal(got.calls, 1);
    assert_string_equal(got.out, "x'); DROP");
    assert_string_equal(got.var, "it's \"v\"");
    count_ctx n = {0};
    assert_int_equal(fz_journal_step_list(f->j, id, 1, count_step, &n), 0);
    assert_int_equal(n.rows, 0); /* not routed yet: no place in the order */
    /* The owner routes it: only its place is written. */
    assert_int_equal(fz_engine_complete(c.e, t.id, &r, 2000), 0);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, NULL, NULL), 0);
    memset(&n, 0, sizeof n);
    assert_int_equal(fz_journal_step_list(f->j, id, 1, count_step, &n), 0);
    assert_int_equal(n.rows, 1);
    fz_journal_free(w);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}

typedef struct remote_error {
    int calls;
    fz_answer answer;
    char reason[256];
} remote_error;

static void remote_error_got(void *ud, const fz_result *r)
{
    remote_error *re = ud;
    re->calls++;
    re->answer = r->answer;
    snprintf(re->reason, sizeof re->reason, "%s", r->reason ? r->reason : "");
}

/* Queues the first task of c's run id for another lane (the recorder
 * *rec, left to the caller to free); returns the task. */
static fz_task queue_first_task(fixture *f, run_ctx *c, int64_t id, fz_journal_recorder **rec)
{
    assert_int_equal(fz_engine_start(c->e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c->g, c->e, NULL, rec), 0);
    fz_journal_recorder_set_remote(*rec, every_task_elsewhere, NULL);
    fz_engine_set_observer(c->e, fz_journal_recorder_observer(*rec));
    fz_task t;
    assert_true(fz_engine_next(c->e, &t));
    const fz_observer *obs = fz_journal_recorder_observer(*rec);
    obs->on_start(obs->ud, &t, 1000);
    assert_int_equal(fz_journal_recorder_status(*rec), 0);
    return t;
}

/* A step refused by its process is given back at once with why; each
 * claim says how many there were, its lane and the last refusal; the
 * claim after the fifth is no start, and its worker records the step as
 * an error under that claim's epoch (a stale epoch is refused), which the
 * owner reads as the step's result. Hostile text stays data. */
static void test_journal_pg_a_step_claimed_five_times_is_given_up_as_an_error(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    fz_task t = queue_first_task(f, &c, id, &rec);
    fz_journal *w = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &w), 0);
    fz_journal_step_lease l;
    char why[64];
    for (uint32_t k = 1; k <= FZ_JOURNAL_STEP_TRIES; k++) {
        assert_int_equal(fz_journal_step_claim(w, "w/1", "W", 60000, &l), 1);
        assert_int_equal(l.claims, k);
        assert_string_equal(l.lane, "W");
        snprintf(why, sizeof why, "refusal %u: x'); DROP TABLE runs;--", k - 1);
        assert_string_equal(l.refusal, k == 1 ? "" : why);
        snprintf(why, sizeof why, "refusal %u: x'); DROP TABLE runs;--", k);
        /* Given back: the next claim comes at once, lease or not. */
        assert_int_equal(fz_journal_step_refused(w, id, t.id, l.epoch, why), 0);
    }
    starts_of(f, id, FZ_JOURNAL_STEP_TRIES, t.attempt + FZ_JOURNAL_STEP_TRIES - 1);
    assert_int_equal(fz_journal_step_claim(w, "w/2", "W", 60000, &l), 1);
    assert_int_equal(l.claims, FZ_JOURNAL_STEP_TRIES + 1);
    assert_string_equal(l.refusal, why);
    starts_of(f, id, FZ_JOURNAL_STEP_TRIES, t.attempt + FZ_JOURNAL_STEP_TRIES - 1); /* no start */
    assert_int_equal(fz_journal_step_give_up(w, id, t.id, l.epoch - 1, "stale"), FZ_ESTATE);
    assert_int_equal(fz_journal_step_give_up(w, id, t.id, l.epoch, "claimed 5 times"), 0);
    assert_int_equal(fz_journal_step_give_up(w, id, t.id, l.epoch, "again"), FZ_ESTATE);
    assert_int_equal(fz_journal_step_claim(w, "w/3", NULL, 60000, &l), 0);
    remote_error got = {0};
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, remote_error_got, &got), 2);
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.answer, FZ_ANSWER_ERROR);
    assert_string_equal(got.reason, "claimed 5 times");
    fz_journal_free(w);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}

/* An interrupted run keeps its queued steps (its next owner waits for
 * them); a run that ends takes them with its final state: no claim finds
 * them, and a worker holding one loses its lease. */
static void test_journal_pg_a_run_that_ends_takes_its_queued_steps_with_it(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    fz_task t = queue_first_task(f, &c, id, &rec);
    fz_journal *w = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &w), 0);
    fz_journal_step_lease l;
    assert_int_equal(fz_journal_step_claim(w, "w/1", "W", 60000, &l), 1);
    char who[64];
    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_INTERRUPTED, NULL, NULL), 0);
    assert_int_equal(fz_journal_step_queued(f->j, id, t.id, who, sizeof who), 2);
    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_RUNNING, NULL, NULL), 0);
    assert_int_equal(fz_journal_step_release(w, id, t.id, l.epoch), 0);
    assert_int_equal(fz_journal_step_claim(w, "w/1", "W", 60000, &l), 1);
    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_FAILED, "failed at n9", NULL), 0);
    assert_int_equal(fz_journal_step_queued(f->j, id, t.id, who, sizeof who), 0);
    assert_int_equal(fz_journal_step_remote(f->j, id, t.id, NULL, NULL), 0);
    assert_int_equal(fz_journal_step_renew(w, id, t.id, l.epoch, 60000), FZ_ESTATE);
    assert_int_equal(fz_journal_step_claim(w, "w/2", NULL, 60000, &l), 0);
    fz_journal_free(w);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}

/* `flowzap serve` redraws a page when the data version moves: a step of
 * another lane claimed, given back, claimed again and finished by a
 * worker moves it each time (the page says which worker runs it); a
 * lease's renewal, which changes nothing shown, does not. */
static void test_journal_pg_data_version_moves_with_the_step_queue(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    fz_journal_recorder_set_remote(rec, every_task_elsewhere, NULL);
    fz_engine_set_observer(c.e, fz_journal_recorder_observer(rec));
    fz_journal *w = NULL, *page = NULL; /* a worker's connection, serve's */
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &w), 0);
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &page), 0);
    fz_task t;
    assert_true(fz_engine_next(c.e, &t));
    const fz_observer *obs = fz_journal_recorder_observer(rec);
    obs->on_start(obs->ud, &t, 1000);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    int64_t queued = 0, claimed = 0, renewed = 0, given_back = 0, again = 0, finished = 0;
    char who[64];
    assert_int_equal(fz_journal_data_version(page, &queued), 0);
    assert_int_equal(fz_journal_step_queued(page, id, t.id, who, sizeof who), 1);

    fz_journal_step_lease l;
    assert_int_equal(fz_journal_step_claim(w, "host'<b>/1", NULL, 60000, &l), 1);
    assert_int_equal(fz_journal_data_version(page, &claimed), 0);
    assert_true(claimed != queued);
    assert_int_equal(fz_journal_step_queued(page, id, t.id, who, sizeof who), 2);
    assert_string_equal(who, "host'<b>/1");
    assert_int_equal(fz_journal_step_renew(w, id, t.id, l.epoch, 60000), 0);
    assert_int_equal(fz_journal_data_version(page, &renewed), 0);
    assert_true(renewed == claimed);
    assert_int_equal(fz_journal_step_release(w, id, t.id, l.epoch), 0);
    assert_int_equal(fz_journal_data_version(page, &given_back), 0);
    assert_true(given_back != claimed);
    assert_int_equal(fz_journal_step_queued(page, id, t.id, who, sizeof who), 1);
    assert_int_equal(fz_journal_step_claim(w, "w/2", NULL, 60000, &l), 1);
    assert_int_equal(fz_journal_data_version(page, &again), 0);
    assert_true(again != given_back && again != claimed);

    fz_task run = t;
    run.attempt = l.attempt;
    fz_result r = {.answer = FZ_ANSWER_OK, .has_exit_code = 1};
    assert_int_equal(fz_journal_step_finish_at(w, id, l.epoch, c.g, &run, &r, 5), 0);
    assert_int_equal(fz_journal_data_version(page, &finished), 0);
    assert_true(finished != again);
    assert_int_equal(fz_journal_step_queued(page, id, t.id, who, sizeof who), 0);
    fz_journal_free(page);
    fz_journal_free(w);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}

/* A read in the middle of a group ends its pipeline (the writes so far
 * are read back), the rest of the group runs one statement at a time,
 * and the group still commits as one: nothing is seen before the commit. */
static void test_journal_pg_a_read_inside_a_group_keeps_it_one_transaction(void **state)
{
    fixture *f = *state;
    run_ctx c;
    ctx_init(&c, flow, -1);
    int64_t id = add_run(f->j, "/w/w.fz");
    fz_journal_recorder *rec = NULL;
    assert_int_equal(fz_engine_start(c.e), 0);
    assert_int_equal(fz_journal_recorder_new(f->j, id, c.g, c.e, NULL, &rec), 0);
    const fz_observer *obs = fz_journal_recorder_observer(rec);
    fz_engine_set_observer(c.e, obs);
    fz_journal *other = NULL;
    assert_int_equal(fz_journal_open(f->path, FZ_JOURNAL_SYNC_FULL, NULL, &other), 0);
    fz_task t;
    assert_true(fz_engine_next(c.e, &t));
    assert_int_equal(fz_journal_group_begin(f->j), 0);
    obs->on_start(obs->ud, &t, 1000);
    fz_journal_run run;
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0); /* ends the pipeline */
    count_ctx n = {0};
    assert_int_equal(fz_journal_step_list(f->j, id, 0, count_step, &n), 0);
    assert_int_equal(n.rows, 1); /* its own transaction sees the start */
    fz_result r = {.has_exit_code = 1};
    assert_int_equal(fz_engine_complete(c.e, t.id, &r, 2000), 0);
    memset(&n, 0, sizeof n);
    assert_int_equal(fz_journal_step_list(other, id, 0, count_step, &n), 0);
    assert_int_equal(n.rows, 0); /* nobody else does before the commit */
    assert_int_equal(fz_journal_group_commit(f->j), 0);
    assert_int_equal(fz_journal_recorder_status(rec), 0);
    memset(&n, 0, sizeof n);
    assert_int_equal(fz_journal_step_list(other, id, 0, count_step, &n), 0);
    assert_int_equal(n.rows, 1);
    assert_int_equal(n.finished, 1);
    fz_journal_free(other);
    fz_journal_recorder_free(rec);
    ctx_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_hash_is_sha256_of_the_bytes),
        cmocka_unit_test_setup_teardown(test_journal_open_uses_wal_and_survives_reopening, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_open_refuses_a_file_that_is_not_a_journal,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_run_get_of_unknown_id_is_enoent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_run_list_is_newest_first_and_honours_limit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_claim_refuses_finished_runs_and_counts_resumes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rejects_an_unknown_state, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_commits_with_synchronous_full_unless_normal_is_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_upgrades_a_schema_1_file_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_upgrades_a_schema_2_file_in_place, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_claim_knows_a_live_owner_from_a_reused_pid,
                                        setup, teardown),
        cmocka_unit_test(test_journal_proc_tells_a_process_and_its_group_from_a_reused_pid),
        cmocka_unit_test_setup_teardown(test_journal_of_many_claims_at_once_one_wins, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_signals_are_taken_oldest_first_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_signal_from_another_process_reaches_an_open_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_recorder_records_every_step_of_a_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_steps_are_committed_before_they_are_acted_on,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_resume_of_a_run_with_a_join_matches_an_unbroken_run, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_resume_after_a_crash_at_every_step_matches_an_unbroken_run, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_resume_of_a_run_that_died_at_its_end_records_the_end, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_a_run_taken_over_is_no_longer_recorded_by_its_old_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_signal_records_who_and_data_version_moves,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_replay_into_another_workflow_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_journal_replay_survives_every_failed_allocation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_grouped_starts_are_committed_before_any_handler_starts, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_grouped_resume_after_a_kill_after_any_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_grouped_handler_reads_its_own_start_with_sqlite3, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_grouped_run_that_fails_leaves_the_others_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_a_start_written_again_is_not_a_second_start,
                                        setup, teardown),
    };
    const struct CMUnitTest pg_tests[] = {
        cmocka_unit_test_setup_teardown(test_journal_run_get_of_unknown_id_is_enoent, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_run_list_is_newest_first_and_honours_limit, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_claim_refuses_finished_runs_and_counts_resumes, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rejects_an_unknown_state, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_commits_with_synchronous_full_unless_normal_is_asked, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_claim_knows_a_live_owner_from_a_reused_pid, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_of_many_claims_at_once_one_wins, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_signals_are_taken_oldest_first_once, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_signal_from_another_process_reaches_an_open_journal, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_recorder_records_every_step_of_a_run, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_steps_are_committed_before_they_are_acted_on, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_resume_of_a_run_with_a_join_matches_an_unbroken_run, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_resume_after_a_crash_at_every_step_matches_an_unbroken_run, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_resume_of_a_run_that_died_at_its_end_records_the_end, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_a_run_taken_over_is_no_longer_recorded_by_its_old_owner, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_replay_into_another_workflow_is_refused, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_replay_survives_every_failed_allocation, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_grouped_starts_are_committed_before_any_handler_starts, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_grouped_resume_after_a_kill_after_any_group_commit, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_grouped_run_that_fails_leaves_the_others_running, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_pipelined_groups_record_every_step_of_eight_runs, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_pipelined_group_with_a_run_taken_over_rolls_back_whole, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_pipelined_group_keeps_hostile_values_as_text, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_a_start_written_again_is_not_a_second_start, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_server_restart_during_a_group_sends_it_again_whole, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_server_restart_between_groups_reconnects, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_a_read_inside_a_group_keeps_it_one_transaction, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_a_step_of_another_lane_is_finished_once_under_its_epoch, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_a_step_claimed_five_times_is_given_up_as_an_error, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_a_run_that_ends_takes_its_queued_steps_with_it, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_journal_pg_data_version_moves_with_the_step_queue, setup_pg, teardown),
    };
    int failed = cmocka_run_group_tests_name("journal on SQLite", tests, NULL, NULL);
    if (!getenv("FZ_TEST_PG_URI") || !*getenv("FZ_TEST_PG_URI")) {
        fprintf(stderr, "unit.journal: FZ_TEST_PG_URI is not set: the %zu PostgreSQL cases are "
                        "skipped (script.pg_journal runs them on a throwaway cluster)\n",
                sizeof pg_tests / sizeof pg_tests[0]);
        return failed;
    }
    return failed + cmocka_run_group_tests_name("journal on PostgreSQL", pg_tests, NULL, NULL);
}
