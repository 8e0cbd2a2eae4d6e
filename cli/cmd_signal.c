/* SPDX-License-Identifier: MIT */
/*
 * cmd_signal.c - `flowzap signal RUN NODE yes|no`: answer an approval gate
 * of a run by writing the answer to the journal (docs/journal.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"

const fz_cli_opt fz_signal_options[] = {
    {"db", 0, FZ_OPT_VALUE, "PATH",
     "the journal (default: $FLOWZAP_DB, else " FZ_JOURNAL_DEFAULT_PATH ")"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void signal_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap signal RUN NODE yes|no [--db PATH]\n"
                "\n"
                "Answers the approval gate at NODE (a node id such as n7) of run RUN: the\n"
                "gate waiting there (or the next one to reach it) takes the answer, yes\n"
                "for its ok edge, no for its negative one. Answers queue in order; each\n"
                "visit of the gate takes one.\n",
                fz_signal_options,
                "Exit status: 0; 2 for an unknown node or answer; 5 when the run is unknown or\n"
                "finished; 64 for a bad command line.\n");
}

/* Parses a run id; 0 when s is not a positive integer. */
/*==========================================================================
 * flowzap signal
 *========================================================================*/

int fz_cmd_signal(int argc, char **argv)
{
    const char *db = NULL;
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    int st0 = fz_cli_parse("signal", fz_signal_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            signal_usage(stdout);
            return FZ_EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(a, "--db=", 5))
            db = a + 5;
        else if (npos < 3 && (a[0] != '-' || !a[1]))
            pos[npos++] = a;
        else {
            fz_cli_usage_error("signal: unexpected argument '%s'", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (npos != 3) {
        fz_cli_usage_error("signal: expected RUN NODE yes|no");
        return FZ_EXIT_USAGE;
    }
    int64_t id = fz_cli_parse_run_id(pos[0]);
    if (!id) {
        fz_cli_error("signal: '%s' is not a run id (a positive number)", pos[0]);
        return FZ_EXIT_USAGE;
    }
    const char *answer = pos[2];
    if (strcmp(answer, "yes") && strcmp(answer, "no")) {
        fz_cli_error("signal: the answer is 'yes' or 'no', not '%s'", answer);
        return FZ_EXIT_INVALID;
    }
    fz_journal *j = NULL;
    char path[4096];
    fz_journal_run r;
    int status = fz_cli_journal_open_run(db, id, "signal", &j, path, sizeof path, &r);
    if (status)
        return status;
    if (strcmp(r.state, FZ_JOURNAL_COMPLETED) == 0 || strcmp(r.state, FZ_JOURNAL_FAILED) == 0) {
        fz_cli_error("signal: run %lld already %s; nothing waits for an answer", (long long)id,
                     r.state);
        fz_journal_free(j);
        return FZ_EXIT_REFUSED;
    }
    /* The node must be one of the workflow's: a typo would wait forever. */
    fz_graph *g = NULL;
    char wf[4096];
    snprintf(wf, sizeof wf, "%s", r.workflow);
    status = fz_cli_load(wf, 0, &g);
    if (status) {
        fz_journal_free(j);
        return status;
    }
    const char *node = pos[1];
    if (fz_graph_find_node(g, node, strlen(node)) == FZ_NONE) {
        fz_cli_error("signal: run %lld's workflow %s has no node '%s' (give a node id such as "
                     "n7)",
                     (long long)id, wf, node);
        fz_graph_free(g);
        fz_journal_free(j);
        return FZ_EXIT_INVALID;
    }
    fz_graph_free(g);
    int rc = fz_journal_signal_add(j, id, node, answer);
    if (rc) {
        fz_cli_error("signal: %s", fz_journal_errmsg(j));
        fz_journal_free(j);
        return FZ_EXIT_IO;
    }
    printf("run %lld: answered %s at %s\n", (long long)id, answer, node);
    fz_journal_free(j);
    return FZ_EXIT_OK;
}
