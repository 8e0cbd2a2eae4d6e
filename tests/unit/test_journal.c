/* SPDX-License-Identifier: MIT */
/*
 * test_journal.c - the durable journal on real SQLite files in a fresh
 * temporary directory per test: runs, steps, approval answers across
 * processes, and replaying a dead run into a fresh engine.
 */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/status.h"
#include "engine/journal.h"

typedef struct fixture {
    char dir[64];
    char path[96];
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

static int teardown(void **state)
{
    fixture *f = *state;
    fz_journal_free(f->j);
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
    char wal[128];
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

    assert_int_equal(fz_journal_run_claim(f->j, id), 0);
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.state, FZ_JOURNAL_RUNNING);
    assert_null(run.finished_at);
    assert_int_equal(run.resumes, 1);

    assert_int_equal(fz_journal_run_set_state(f->j, id, FZ_JOURNAL_COMPLETED, "End via Success",
                                              "{\"X\":\"2\"}"),
                     0);
    assert_int_equal(fz_journal_run_claim(f->j, id), FZ_EFINISHED);
    assert_string_equal(fz_journal_errmsg(f->j), "run 1 already completed");
    assert_int_equal(fz_journal_run_get(f->j, id, &run), 0);
    assert_string_equal(run.outcome, "End via Success");
    assert_string_equal(run.vars, "{\"X\":\"2\"}");
    assert_int_equal(fz_journal_run_claim(f->j, 99), FZ_ENOENT);
}

static void test_journal_rejects_an_unknown_state(void **state)
{
    fixture *f = *state;
    int64_t id = add_run(f->j, "/w/a.fz");
    assert_int_equal(fz_journal_run_set_state(f->j, id, "paused", NULL, NULL), FZ_EDB);
    assert_non_null(strstr(fz_journal_errmsg(f->j), "CHECK constraint"));
}

/*==========================================================================
 * Signals
 *========================================================================*/

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
        cmocka_unit_test_setup_teardown(
            test_journal_claim_refuses_finished_runs_and_counts_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_rejects_an_unknown_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_signals_are_taken_oldest_first_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_signal_from_another_process_reaches_an_open_journal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
