/* SPDX-License-Identifier: MIT */
/*
 * exitcodes.h - the exit statuses of every flowzap command, from one list
 * (docs/cli.md prints the same table).
 */
#ifndef FZ_CLI_EXITCODES_H
#define FZ_CLI_EXITCODES_H

#define FZ_EXIT_MAP(XX)                                                                   \
    XX(OK, 0, "success: the file is valid, the run completed, the study met its bounds")  \
    XX(WARNINGS, 1, "check --strict found warnings; fmt --check found a file to reformat; test: an expectation failed") \
    XX(INVALID, 2, "invalid input: workflow, bindings, scenario or trace file has errors") \
    XX(RUN_FAILED, 3, "the run ended as failed (a node failed, a loop or step limit ran out)") \
    XX(COVERAGE, 4, "sim --min-coverage was not met")                                     \
    XX(REFUSED, 5, "resume refused: run finished, unknown, owned by a live process, or its workflow changed") \
    XX(UNBOUND, 6, "nodes have no handler (bind/run without --allow-unbound)")            \
    XX(NOT_FOUND, 7, "sim --find: no run in the budget ended in that outcome")           \
    XX(SECRET, 8, "a secret could not be read (unset, unreadable, its command failed)")   \
    XX(USAGE, 64, "bad command line")                                                      \
    XX(SOFTWARE, 70, "internal error")                                                     \
    XX(IO, 74, "a file could not be read or written")                                     \
    XX(TIMEOUT, 75, "the journal's PostgreSQL server did not answer in time (FLOWZAP_PG_CONNECT_TIMEOUT)") \
    XX(INTERRUPTED, 130, "interrupted (Ctrl-C); the run is recorded and can be resumed")

enum {
#define FZ__EXIT_ENUM(name, code, text) FZ_EXIT_##name = (code),
    FZ_EXIT_MAP(FZ__EXIT_ENUM)
#undef FZ__EXIT_ENUM
};

#endif
