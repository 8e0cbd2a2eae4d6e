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
#include "real/bind.h"
#include "real/journal.h"
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
int fz_cmd_serve(int argc, char **argv);
int fz_cmd_watch(int argc, char **argv);

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
/* The text of this process's last fz_cli_error message, without its prefix
 * ("" before any; cut to 511 bytes): a step's process records it as the
 * reason of a refusal (cli/stepexec.c). */
const char *fz_cli_last_error(void);

/* A bad command line in one line: "flowzap CMD: MESSAGE (see 'flowzap CMD
 * --help')" on stderr. Returns FZ_EXIT_USAGE. */
int fz_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses s as a whole decimal number in [0, max] into *out: 0, or -1 for
 * anything but digits (an empty string, white space, a sign, 0x...) or a
 * value past max. Every whole-number option and variable is read by it. */
int fz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Parses s as digits with an optional fraction ("2", "0.5", ".5") into *out: 0,
 * or -1 for anything else (empty, white space, a sign, an exponent, hex,
 * inf, nan). Range checks are the caller's. */
int fz_cli_parse_decimal(const char *s, double *out);

/* Parses a share, "0.8" or "80%" (fz_cli_parse_decimal, then an optional
 * '%'), into *out in [0, 1]: 0, or -1 for anything else. */
int fz_cli_parse_share(const char *s, double *out);

/* The reason a file could not be read, in the C library's words ("No such
 * file or directory", "Is a directory") for FZ_ENOENT and FZ_EIO on a
 * named file; fz_strerror(rc) otherwise. */
const char *fz_cli_read_error(const char *path, int rc);

/* Bindings, shared by `bind` and `run` (cli/common.c). */

/* Loads the bindings file at path and resolves them against g, printing
 * every problem; unbound nodes are listed all at once, each at its place
 * in the workflow (none when allow_unbound and quiet). On success *out is
 * the bindings (caller frees with fz_bind_free). Returns an exit status. */
int fz_cli_load_bindings(const char *path, fz_graph *g, int allow_unbound, int quiet,
                         fz_bind **out);

/* Prints diagnostics of d against the bindings text of b. */
void fz_cli_print_bind_diags(const fz_bind *b, const fz_diags *d);

/* Lists every unbound node of g at its place in the workflow; returns 1
 * when they are errors (not allow_unbound). path names the bindings. */
int fz_cli_print_unbound(fz_graph *g, const fz_bind *b, const char *path, int allow_unbound);

/* A node's id and label as slices of g's text. */
void fz_cli_node_text(const fz_graph *g, uint32_t node, const char **id, int *idlen,
                      const char **label, int *labellen);

/* A node's lane id as a slice of g's text ("-" for none). */
const char *fz_cli_lane_name(const fz_graph *g, uint32_t node, int *len);

/* Checks a --set KEY=VALUE argument (docs/run.md). Returns 0, or prints
 * why not and returns 1. */
int fz_cli_check_set(const char *val);

/* The journal's commands (cli/common.c). */

/* Parses a run id; 0 when s is not a positive integer. */
int64_t fz_cli_parse_run_id(const char *s);

/* Opens the journal at fz_cli_journal_path(db) (written into path, size
 * n) for commands that read or answer runs: a missing file is not created;
 * it holds no run, so missing_status is returned (with a message unless
 * quiet). Returns FZ_EXIT_OK with *j open, or an exit status. */
/* Checks $FLOWZAP_PG_CONNECT_TIMEOUT (seconds, 1 to 3600) and sets the
 * bound every PostgreSQL connection opened after waits for its server
 * (fz_journal_set_pg_connect_timeout; 10 s unless set, libpq's own when
 * only PGCONNECT_TIMEOUT is). Returns FZ_EXIT_OK or FZ_EXIT_USAGE with a
 * message. */
int fz_cli_pg_connect_timeout(void);
/* The exit status for fz_journal_open's failure rc. */
int fz_cli_journal_open_status(int rc);
int fz_cli_journal_open_existing(const char *db, fz_journal **j, char *path, size_t n,
                                 int missing_status, int quiet);

/* Opens the journal and reads run id into *r for `resume` and `signal`
 * (what names the command in messages). Returns FZ_EXIT_OK with *j open,
 * or the exit status: an unknown run is refused, a broken journal is an
 * I/O error. */
int fz_cli_journal_open_run(const char *db, int64_t id, const char *what, fz_journal **j,
                            char *path, size_t n, fz_journal_run *r);

#endif
