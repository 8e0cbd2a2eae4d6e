/* SPDX-License-Identifier: MIT */
/*
 * cmd_export.c - `flowzap export FILE [--format json|dot] [-o OUT]`: the
 * graph as FlowZap's export_graph JSON (with flowzap's x-flowzap fields) or
 * as a lane-clustered DOT digraph. docs/export.md describes both.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "parser/export.h"

const fz_cli_opt fz_export_options[] = {
    {"format", 'f', FZ_OPT_VALUE, "FMT", "json (default) or dot"},
    {"output", 'o', FZ_OPT_VALUE, "OUT", "write to OUT instead of standard output"},
    {"plain", 0, FZ_OPT_FLAG, NULL, "JSON in FlowZap's shape only, without x-flowzap fields"},
    {"compact", 0, FZ_OPT_FLAG, NULL, "JSON on one line"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void export_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap export [OPTIONS] FILE\n"
                "\n"
                "Writes the workflow in FILE (\"-\" is standard input) to standard output as\n"
                "JSON in the shape of FlowZap's export_graph (lanes, nodes, edges, stats) plus\n"
                "flowzap's own fields under \"x-flowzap\" (positions, attributes, loops), or\n"
                "as a Graphviz DOT digraph with one cluster per lane and edge ports from the\n"
                "handles (`dot -Tsvg` draws it). Invalid files are reported as by check.\n",
                fz_export_options,
                "Exit status: 0 written, 2 invalid workflow, 74 a file could not be read or\n"
                "written, 64 bad command line. docs/export.md describes the formats.\n");
}

int fz_cmd_export(int argc, char **argv)
{
    const char *path = NULL, *outpath = NULL, *format = "json";
    int plain = 0, compact = 0, ops = 0;
    int st = fz_cli_parse("export", fz_export_options, &argc, &argv);
    if (st)
        return st;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (path) {
                fz_cli_error("export: one file at a time ('%s' and '%s')", path, a);
                return FZ_EXIT_USAGE;
            }
            path = a;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            export_usage(stdout);
            return FZ_EXIT_OK;
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) {
            if (i + 1 >= argc) {
                fz_cli_error("export: %s needs json or dot", a);
                return FZ_EXIT_USAGE;
            }
            format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc) {
                fz_cli_error("export: %s needs a file name", a);
                return FZ_EXIT_USAGE;
            }
            outpath = argv[++i];
        } else if (strncmp(a, "--output=", 9) == 0) {
            outpath = a + 9;
        } else if (strcmp(a, "--plain") == 0) {
            plain = 1;
        } else if (strcmp(a, "--compact") == 0) {
            compact = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            fz_cli_usage_error("export: unknown option '%s'", a);
            return FZ_EXIT_USAGE;
        } else if (path) {
            fz_cli_error("export: one file at a time ('%s' and '%s')", path, a);
            return FZ_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    int dot = strcmp(format, "dot") == 0;
    if (!dot && strcmp(format, "json") != 0) {
        fz_cli_error("export: unknown format '%s' (json or dot)", format);
        return FZ_EXIT_USAGE;
    }
    if (!path) {
        fz_cli_usage_error("export: no file given");
        return FZ_EXIT_USAGE;
    }
    fz_graph *g = NULL;
    int status = fz_cli_load(path, 0, &g);
    if (status != FZ_EXIT_OK)
        return status;
    json_t *root = NULL;
    FILE *out = stdout;
    if (!dot) {
        int rc = fz_export_json(g, plain ? FZ_EXPORT_PLAIN : 0, &root);
        if (rc) {
            fz_cli_error("'%s': %s", path, fz_strerror(rc));
            status = FZ_EXIT_SOFTWARE;
            goto out;
        }
    }
    if (outpath && !(out = fopen(outpath, "w"))) {
        fz_cli_error("cannot write '%s': %s", outpath, strerror(errno));
        out = NULL;
        status = FZ_EXIT_IO;
        goto out;
    }
    if (dot) {
        int rc = fz_export_dot(g, out);
        if (rc) {
            fz_cli_error("'%s': %s", outpath ? outpath : "stdout", fz_strerror(rc));
            status = rc == FZ_EIO ? FZ_EXIT_IO : FZ_EXIT_SOFTWARE;
        }
    } else {
        size_t flags = (compact ? JSON_COMPACT : JSON_INDENT(2));
        if (json_dumpf(root, out, flags) != 0) {
            fz_cli_error("'%s': cannot write JSON (is the file valid UTF-8?)", path);
            status = FZ_EXIT_IO;
        } else {
            fputc('\n', out);
        }
    }
    if (out != stdout && fclose(out) != 0 && status == FZ_EXIT_OK) {
        fz_cli_error("cannot write '%s': %s", outpath, strerror(errno));
        status = FZ_EXIT_IO;
    }
    if (out == stdout && fflush(stdout) != 0 && status == FZ_EXIT_OK)
        status = FZ_EXIT_IO;
out:
    json_decref(root);
    fz_graph_free(g);
    return status;
}
