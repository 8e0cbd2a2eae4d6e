/* SPDX-License-Identifier: MIT */
/* journal_pg.c - the PostgreSQL journal store (placeholder). */
#include <stdio.h>

#include "core/status.h"
#include "engine/journal_int.h"

int fz__journal_pg_open(fz_journal *j, const char *conninfo, fz_journal_sync sync)
{
    (void)conninfo;
    (void)sync;
    snprintf(j->msg, sizeof j->msg, "cannot open journal '%s': PostgreSQL is not supported yet",
             j->where);
    return FZ_EDB;
}
