/* SPDX-License-Identifier: MIT */
/*
 * options.h - one option parser for every flowzap command, on getopt_long.
 *
 * Each command declares a table of its options (long name, short letter,
 * whether it takes a value, the value's name and a help line) and calls
 * fz_cli_parse first; its --help prints the same table (fz_cli_help), as
 * `flowzap completion bash` reads it. It accepts
 * `--opt value`, `--opt=value`, unique prefixes of long names, `-xVALUE`
 * and `-x VALUE`, grouped short flags (`-qw`) and `--`, and rewrites argv
 * into one canonical form the command's own loop reads: every option as
 * its long spelling (`--bindings`) or, without one, its short (`-T`), each
 * value as the next argument, options first in their given order, then the
 * operands in theirs (after a `--` when one of them starts with '-').
 * An unknown option or a missing value is answered in one line on stderr
 * with the nearest valid option, and exit status 64 (docs/cli.md).
 */
#ifndef FZ_CLI_OPTIONS_H
#define FZ_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum { FZ_OPT_FLAG = 0, FZ_OPT_VALUE = 1 };

typedef struct fz_cli_opt {
    const char *name;  /* long name without "--", or NULL */
    int letter;        /* short letter, or 0 */
    int arg;           /* FZ_OPT_FLAG or FZ_OPT_VALUE */
    const char *value; /* the value's name in --help ("FILE"), NULL for a flag */
    const char *help;  /* what it does, for --help: one line, wrapped when printed */
} fz_cli_opt;

/* Parses argc and argv (argv[0] is the command name) against opts, ended by a
 * row without name or letter, and replaces them with the canonical form. Returns 0,
 * or FZ_EXIT_USAGE after printing one line. cmd names the command in
 * messages ("run", "sim merge"). */
int fz_cli_parse(const char *cmd, const fz_cli_opt *opts, int *argc, char ***argv);

/* The parses kept so far (a mark), and freeing those made since a mark:
 * for a process that serves one run after another (a worker's run
 * process), once nothing of those runs' argvs is in use. */
unsigned fz_cli_parse_mark(void);
void fz_cli_parse_release(unsigned mark);

/* A command's --help: head (its usage lines and description, no final
 * blank line), "Options:" and one entry per row of opts (its spellings
 * with the value's name, then the help text wrapped at 79 columns, all
 * in one column), then a blank line and tail when tail is not NULL. The
 * man page and docs/cli.md are made from this output
 * (scripts/gen-man.sh, scripts/gen-cli-doc.sh). */
void fz_cli_help(FILE *out, const char *head, const fz_cli_opt *opts, const char *tail);

/* Only the options part of fz_cli_help (no "Options:" line). */
void fz_cli_help_options(FILE *out, const fz_cli_opt *opts);

/* The option table of each command (in its cmd_*.c); `flowzap completion`
 * reads them too. */
extern const fz_cli_opt fz_check_options[], fz_export_options[], fz_fmt_options[],
    fz_render_options[], fz_bind_options[], fz_run_options[], fz_signal_options[],
    fz_runs_options[], fz_resume_options[], fz_sim_options[], fz_merge_options[], fz_test_options[],
    fz_init_options[], fz_serve_options[];
/* cmd_worker.c */
extern const fz_cli_opt fz_submit_options[], fz_worker_options[];

/* The name messages of fz_cli_error start with ("flowzap NAME: "); NULL
 * for none. */
void fz_cli_set_command(const char *name);

/* The candidate nearest to word by edit distance, when near enough to be
 * a likely typo; NULL otherwise. */
const char *fz_cli_nearest(const char *word, const char *const *cands, size_t n);

#endif
