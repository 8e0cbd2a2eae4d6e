/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `flowzap` executable: a table from subcommand names to
 * handlers, checked in one place (docs/cli.md documents each one).
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/term.h"

#ifndef FZ_VERSION
#define FZ_VERSION "0.0.0"
#endif

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"check", fz_cmd_check, "report errors and lint warnings, gcc-style"},
    {"export", fz_cmd_export, "write the graph as FlowZap JSON or DOT"},
    {"fmt", fz_cmd_fmt, "rewrite a file in the canonical layout"},
    {"render", fz_cmd_render, "draw a workflow as SVG, PNG or DOT (swimlanes)"},
    {"bind", fz_cmd_bind, "show which handler each node is bound to"},
    {"run", fz_cmd_run, "execute a workflow against real handlers"},
    {"signal", fz_cmd_signal, "answer a waiting approval gate of a run"},
    {"runs", fz_cmd_runs, "list recorded runs, or show one"},
    {"resume", fz_cmd_resume, "continue a run whose process died"},
    {"sim", fz_cmd_sim, "simulate a workflow under seeded faults"},
    {"test", fz_cmd_test, "check the expectations of scenarios (CI, JUnit)"},
    {"init", fz_cmd_init, "write a scenario or bindings skeleton for a workflow"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: flowzap COMMAND [OPTIONS] [ARGS]\n\n"
                 "flowzap checks, runs, simulates and renders FlowZap Code workflows.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`flowzap help COMMAND` or `flowzap COMMAND --help` describes a command;\n"
                 "docs/cli.md has them all. `flowzap -V` prints the version.\n"
                 "Options: --opt value, --opt=value, -xVALUE, grouped flags (-qw); -- ends them.\n"
                 "Exit statuses:\n");
#define FZ__EXIT_USAGE(name, code, text) fprintf(out, "  %3d  %s\n", code, text);
    FZ_EXIT_MAP(FZ__EXIT_USAGE)
#undef FZ__EXIT_USAGE
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* One line for a word that is no command, with the nearest one. */
static int unknown_command(const char *word)
{
    const char *names[sizeof(commands) / sizeof(commands[0])];
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        names[i] = commands[i].name;
    const char *near = word[0] == '-' ? NULL
                                      : fz_cli_nearest(word, names, sizeof(names) / sizeof(names[0]));
    fprintf(stderr, "flowzap: unknown %s '", word[0] == '-' ? "option" : "command");
    fz_term_put(stderr, word, strlen(word), 0); /* shown, never obeyed */
    fputc('\'', stderr);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, " (see 'flowzap --help')\n");
    return FZ_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FZ_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
        (strcmp(a, "help") == 0 && argc == 2)) {
        usage(stdout);
        return FZ_EXIT_OK;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0 || strcmp(a, "version") == 0) {
        printf("flowzap %s\n", FZ_VERSION);
        return FZ_EXIT_OK;
    }
    if (strcmp(a, "help") == 0) { /* flowzap help CMD: CMD --help */
        const command *c = find(argv[2]);
        if (!c)
            return unknown_command(argv[2]);
        static char help[] = "--help";
        char *hargv[] = {argv[2], help, NULL};
        fz_cli_set_command(c->name);
        return c->fn(2, hargv);
    }
    const command *c = find(a);
    if (!c)
        return unknown_command(a);
    fz_cli_set_command(c->name);
    return c->fn(argc - 1, argv + 1);
}
