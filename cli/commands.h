/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the subcommands of `flowzap` and helpers they share.
 * Each fz_cmd_* takes argv with argv[0] the subcommand name and returns an
 * exit status from exitcodes.h. Only cli/ prints and exits.
 */
#ifndef FZ_CLI_COMMANDS_H
#define FZ_CLI_COMMANDS_H

#include <stdint.h>
#include <stdio.h>

#include "core/diag.h"
#include "parser/graph.h"

int fz_cmd_check(int argc, char **argv);
int fz_cmd_export(int argc, char **argv);
int fz_cmd_fmt(int argc, char **argv);
int fz_cmd_render(int argc, char **argv);
int fz_cmd_bind(int argc, char **argv);
int fz_cmd_run(int argc, char **argv);
int fz_cmd_signal(int argc, char **argv);
int fz_cmd_runs(int argc, char **argv);
int fz_cmd_resume(int argc, char **argv);
int fz_cmd_submit(int argc, char **argv);
int fz_cmd_worker(int argc, char **argv);
int fz_cmd_sim(int argc, char **argv);
int fz_cmd_test(int argc, char **argv);
int fz_cmd_init(int argc, char **argv);

/* Loads a workflow, printing its diagnostics (errors always, warnings when
 * show_warnings) gcc-style to stderr. On success *out is a finished graph
 * without errors. Returns an exit status: FZ_EXIT_OK, FZ_EXIT_INVALID,
 * FZ_EXIT_IO or FZ_EXIT_SOFTWARE. */
int fz_cli_load(const char *path, int show_warnings, fz_graph **out);

/* Prints every diagnostic of d against g's source. */
void fz_cli_print_diags(FILE *out, fz_graph *g, const fz_diags *d);

/* 1 when stderr (or the stream) is a terminal and NO_COLOR is unset. */
int fz_cli_color(FILE *f);

/* Prints "flowzap CMD: " (or "flowzap: " outside a command) and a message
 * to stderr; a message already starting with "CMD: " keeps one prefix. */
void fz_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A bad command line in one line: "flowzap CMD: MESSAGE (see 'flowzap CMD
 * --help')" on stderr. Returns FZ_EXIT_USAGE. */
int fz_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses s as a whole decimal number in [0, max] into *out: 0, or -1 for an
 * empty string, a sign, trailing text or a value past max. */
int fz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* The reason a file could not be read, in the C library's words ("No such
 * file or directory", "Is a directory") for FZ_ENOENT and FZ_EIO on a
 * named file; fz_strerror(rc) otherwise. */
const char *fz_cli_read_error(const char *path, int rc);

#endif
