/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `flowzap` executable: a table from subcommand names to
 * handlers, checked in one place (docs/cli.md documents each one).
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"

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
    fprintf(out, "\n`flowzap COMMAND --help` describes a command; docs/cli.md has them all.\n"
                 "Exit statuses:\n");
#define FZ__EXIT_USAGE(name, code, text) fprintf(out, "  %3d  %s\n", code, text);
    FZ_EXIT_MAP(FZ__EXIT_USAGE)
#undef FZ__EXIT_USAGE
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FZ_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FZ_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("flowzap %s\n", FZ_VERSION);
        return FZ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "flowzap: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return FZ_EXIT_USAGE;
}
