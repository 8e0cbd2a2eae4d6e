/* SPDX-License-Identifier: MIT */
/*
 * journal_int.h - what journal.c shares with journal_recorder.c: the
 * journal's handle and its prepared statements. Not for other modules.
 */
#ifndef FZ_ENGINE_JOURNAL_INT_H
#define FZ_ENGINE_JOURNAL_INT_H

#include <sqlite3.h>

#include "engine/journal.h"

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

struct fz_journal {
    sqlite3 *db;
    const fz_alloc *alloc;
    sqlite3_stmt *st[ST__COUNT];
    char msg[512];
    /* Copies of the strings the run getters hand out. */
    char *buf;
    size_t buf_cap;
    char answer[4];
    const struct fz_secrets *secrets; /* fz_journal_set_secrets() */
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

/* The text of statement i, for a statement of one's own. */
const char *fz__journal_sql(int i);

#endif
