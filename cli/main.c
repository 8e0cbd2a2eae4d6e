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
    const fz_cli_opt *opts; /* its options (completion); NULL: none */
} command;

static int cmd_completion(int argc, char **argv);

static const fz_cli_opt completion_options[] = {
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static const command commands[] = {
    {"check", fz_cmd_check, "report errors and lint warnings, gcc-style", fz_check_options},
    {"export", fz_cmd_export, "write the graph as FlowZap JSON or DOT", fz_export_options},
    {"fmt", fz_cmd_fmt, "rewrite a file in the canonical layout", fz_fmt_options},
    {"render", fz_cmd_render, "draw a workflow as SVG, PNG or DOT (swimlanes)", fz_render_options},
    {"bind", fz_cmd_bind, "show which handler each node is bound to", fz_bind_options},
    {"run", fz_cmd_run, "execute a workflow against real handlers", fz_run_options},
    {"signal", fz_cmd_signal, "answer a waiting approval gate of a run", fz_signal_options},
    {"runs", fz_cmd_runs, "list recorded runs, or show one", fz_runs_options},
    {"resume", fz_cmd_resume, "continue a run whose process died", fz_resume_options},
    {"submit", fz_cmd_submit, "queue a run in a PostgreSQL journal for workers", fz_submit_options},
    {"worker", fz_cmd_worker, "run queued runs of a PostgreSQL journal", fz_worker_options},
    {"sim", fz_cmd_sim, "simulate a workflow under seeded faults", fz_sim_options},
    {"test", fz_cmd_test, "check the expectations of scenarios (CI, JUnit)", fz_test_options},
    {"init", fz_cmd_init, "write a scenario or bindings skeleton for a workflow", fz_init_options},
    {"serve", fz_cmd_serve, "serve a live web page of runs, gates and workflows", fz_serve_options},
    {"watch", fz_cmd_watch, "serve --watch: workflow pages redrawn when saved", fz_serve_options},
    {"completion", cmd_completion, "print a shell completion script (bash)", completion_options},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int in_table(const fz_cli_opt *t, const fz_cli_opt *o)
{
    for (; t && (t->name || t->letter); t++)
        if (t->letter == o->letter &&
            (t->name == o->name || (t->name && o->name && !strcmp(t->name, o->name))))
            return 1;
    return 0;
}

/* Prints the options of a table as words: "--name" and "-x"; with
 * values_only, only those that take a value; none that skip also has. */
static void put_words(FILE *out, const fz_cli_opt *o, int values_only, const fz_cli_opt *skip)
{
    const char *sep = skip ? " " : "";
    for (; o && (o->name || o->letter); o++) {
        if ((values_only && !o->arg) || in_table(skip, o))
            continue;
        if (o->name) {
            fprintf(out, "%s--%s", sep, o->name);
            sep = " ";
        }
        if (o->letter) {
            fprintf(out, "%s-%c", sep, o->letter);
            sep = " ";
        }
    }
}

/* `flowzap completion bash`: a bash completion function built from the
 * commands' option tables, so it never lists an option flowzap refuses. */
static int cmd_completion(int argc, char **argv)
{
    int st = fz_cli_parse("completion", completion_options, &argc, &argv);
    if (st)
        return st;
    if (argc >= 2 && !strcmp(argv[1], "--help")) {
        fz_cli_help(stdout,
                    "usage: flowzap completion bash\n\n"
                    "Prints a bash completion script for flowzap: command names, each\n"
                    "command's options, file names for operands and option values.\n"
                    "Load it with\n"
                    "  source <(flowzap completion bash)\n"
                    "or save it as ~/.local/share/bash-completion/completions/flowzap.\n",
                    completion_options, NULL);
        return FZ_EXIT_OK;
    }
    if (argc != 2 || strcmp(argv[1], "bash") != 0) {
        fz_cli_error("which shell? only 'bash' is known (flowzap completion bash)");
        return FZ_EXIT_USAGE;
    }
    FILE *out = stdout;
    fputs("# bash completion for flowzap (flowzap completion bash)\n"
          "_flowzap() {\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    local opts='' valued=''\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W 'help -V --version --help",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, " %s", commands[i].name);
    fputs("' -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    case ${COMP_WORDS[1]} in\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const fz_cli_opt *o = commands[i].opts;
        if (!strcmp(commands[i].name, "completion")) {
            fputs("    completion) COMPREPLY=($(compgen -W 'bash' -- \"$cur\")); return ;;\n", out);
            continue;
        }
        if (!strcmp(commands[i].name, "help")) /* not in the table */
            continue;
        fprintf(out, "    %s)\n        opts='", commands[i].name);
        put_words(out, o, 0, NULL);
        if (!strcmp(commands[i].name, "sim")) /* sim merge's own options too */
            put_words(out, fz_merge_options, 0, o);
        fputs("'\n        valued='", out);
        put_words(out, o, 1, NULL);
        if (!strcmp(commands[i].name, "sim"))
            put_words(out, fz_merge_options, 1, o);
        fputs("' ;;\n", out);
    }
    fputs("    help)\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "%s%s", i ? " " : "", commands[i].name);
    fputs("' -- \"$cur\"))\n"
          "        return ;;\n"
          "    esac\n"
          "    case \" $valued \" in\n"
          "    *\" $prev \"*) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
          "    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    else\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -o filenames -o bashdefault -F _flowzap flowzap\n",
          out);
    return FZ_EXIT_OK;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: flowzap COMMAND [OPTIONS] [ARGS]\n\n"
                 "flowzap checks, runs, simulates and renders FlowZap Code workflows.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
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
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* One line for a word that is no command, with the nearest one. */
static int unknown_command(const char *word)
{
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    const char *near =
        word[0] == '-' ? NULL : fz_cli_nearest(word, names, sizeof(names) / sizeof(names[0]));
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
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || (strcmp(a, "help") == 0 && argc == 2)) {
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
