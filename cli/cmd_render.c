/* SPDX-License-Identifier: MIT */
/*
 * cmd_render.c - `flowzap render`: draw a workflow as SVG, PNG or DOT, as
 * swimlanes (flow view) or as a sequence diagram, optionally with a run's
 * trace or a simulation's heat overlaid. docs/render.md is the manual.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "render/overlay.h"
#include "render/render.h"

const fz_cli_opt fz_render_options[] = {
    {"output", 'o', FZ_OPT_VALUE, "OUT", "write to OUT ('-' or absent: standard output)"},
    {NULL, 'T', FZ_OPT_VALUE, "FORMAT",
     "svg (default), png, pdf, dot (the Graphviz input, with positions; `neato -n2 -Tsvg` "
     "draws it) or json (Graphviz's JSON of the drawing); without -T the format follows OUT's "
     "extension (.svg .png .pdf .dot .gv .json; another extension is an error)"},
    {"direction", 0, FZ_OPT_VALUE, "DIR",
     "LR (default): lanes are rows, flow runs left to right; TB: lanes are columns, flow runs "
     "top to bottom"},
    {"view", 0, FZ_OPT_VALUE, "VIEW",
     "flow (default) or sequence: lanes as lifelines, cross-lane edges as messages in file "
     "order, same-lane edges as notes (SVG only)"},
    {"trace", 0, FZ_OPT_VALUE, "TRACE",
     "overlay a run's trace (JSON lines, docs/formats.md): the path taken with visit counts; "
     "orders the sequence view"},
    {"heat", 0, FZ_OPT_VALUE, "REPORT",
     "overlay a simulation report (JSON, docs/formats.md): nodes coloured by visit share, "
     "failure borders, edge shares, legend"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void usage(FILE *out)
{
    fz_cli_help(
        out,
        "usage: flowzap render FILE [-o OUT] [-T svg|png|pdf|dot|json] [--direction LR|TB]\n"
        "                      [--view flow|sequence] [--trace TRACE | --heat REPORT]\n"
        "\n"
        "Draws FILE as swimlanes: one band per lane in file order, circles for\n"
        "start/end, rounded boxes, diamonds, records for taskboxes, handles as ports.\n",
        fz_render_options,
        "Output is deterministic: the same input gives the same bytes.\n"
        "Exit status: 0 drawn; 2 invalid workflow, trace or report; 64 bad command\n"
        "line; 70 Graphviz failed; 74 a file could not be read or written.\n");
}

/* Writes a path for the terminal: control bytes (ESC, newlines) as \xNN. */
static void put_path(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02X", c);
        else
            fputc(c, f);
    }
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("flowzap render: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see 'flowzap render --help')\n", stderr);
    return FZ_EXIT_USAGE;
}

int fz_cmd_render(int argc, char **argv)
{
    const char *file = NULL, *outpath = NULL, *trace = NULL, *heat = NULL;
    int format = -1, tb = 0, view = FZ_VIEW_FLOW, ops = 0;
    int st0 = fz_cli_parse("render", fz_render_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (file)
                return usage_error("unexpected argument '%s' (one FILE at a time)", a);
            file = a;
            continue;
        }
        if (strcmp(a, "--output") == 0)
            a = "-o";
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return FZ_EXIT_OK;
        }
        int takes = strcmp(a, "-o") == 0 || strcmp(a, "-T") == 0 || strcmp(a, "--direction") == 0 ||
                    strcmp(a, "--view") == 0 || strcmp(a, "--trace") == 0 ||
                    strcmp(a, "--heat") == 0;
        if (takes && !val)
            return usage_error("option '%s' needs a value", a);
        if (strcmp(a, "-o") == 0) {
            outpath = val;
        } else if (strcmp(a, "-T") == 0) {
            format = fz_render_format_parse(val);
            if (format < 0)
                return usage_error("unknown format '%s' (expected svg, png, pdf, dot or json)",
                                   val);
        } else if (strcmp(a, "--direction") == 0) {
            if (strcmp(val, "LR") == 0 || strcmp(val, "lr") == 0)
                tb = 0;
            else if (strcmp(val, "TB") == 0 || strcmp(val, "tb") == 0)
                tb = 1;
            else
                return usage_error("unknown direction '%s' (expected LR or TB)", val);
        } else if (strcmp(a, "--view") == 0) {
            if (strcmp(val, "flow") == 0)
                view = FZ_VIEW_FLOW;
            else if (strcmp(val, "sequence") == 0)
                view = FZ_VIEW_SEQUENCE;
            else
                return usage_error("unknown view '%s' (expected flow or sequence)", val);
        } else if (strcmp(a, "--trace") == 0) {
            trace = val;
        } else if (strcmp(a, "--heat") == 0) {
            heat = val;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else if (!file) {
            file = a;
            continue;
        } else {
            return usage_error("unexpected argument '%s' (one FILE at a time)", a);
        }
        i++;
    }
    if (!file)
        return usage_error("%s", "missing FILE");
    if (trace && heat)
        return usage_error("%s", "--trace and --heat cannot be combined");
    if (format < 0) {
        format = FZ_RENDER_SVG;
        if (outpath && strcmp(outpath, "-") != 0) {
            int byext = fz_render_format_of_path(outpath);
            if (byext == -2) {
                /* One line: the path and what would be accepted. */
                fputs("flowzap render: cannot write '", stderr);
                put_path(stderr, outpath);
                fputs("': unknown extension (use .svg .png .pdf .dot .gv .json, or -T FORMAT)\n",
                      stderr);
                return FZ_EXIT_USAGE;
            }
            if (byext >= 0)
                format = byext;
        }
    }
    if (view == FZ_VIEW_SEQUENCE && format != FZ_RENDER_SVG)
        return usage_error("%s", "--view sequence is drawn as SVG only");

    fz_graph *g = NULL;
    fz_overlay *ov = NULL;
    char *data = NULL;
    size_t len = 0;
    char err[512] = "";
    int status = fz_cli_load(file, 0, &g);
    if (status != FZ_EXIT_OK)
        return status;
    if (trace || heat) {
        int rc = fz_overlay_load(g, trace ? FZ_OVERLAY_TRACE : FZ_OVERLAY_HEAT,
                                 trace ? trace : heat, NULL, &ov, err, sizeof(err));
        if (rc) {
            fz_cli_error("%s", err[0] ? err : fz_strerror(rc));
            status = rc == FZ_ENOENT || rc == FZ_EIO ? FZ_EXIT_IO
                     : rc == FZ_ENOMEM               ? FZ_EXIT_SOFTWARE
                                                     : FZ_EXIT_INVALID;
            goto out;
        }
    }
    fz_render_opts opts = {.format = (fz_render_format)format,
                           .top_to_bottom = tb,
                           .view = (fz_render_view)view,
                           .overlay = ov};
    int rc = fz_render(g, &opts, NULL, &data, &len, err, sizeof(err));
    if (rc) {
        fz_cli_error("cannot render '%s': %s", file, err[0] ? err : fz_strerror(rc));
        status = rc == FZ_EINVAL ? FZ_EXIT_USAGE : FZ_EXIT_SOFTWARE;
        goto out;
    }
    int to_stdout = !outpath || strcmp(outpath, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(outpath, "wb");
    if (!f) {
        fz_cli_error("cannot write '%s': %s", outpath, strerror(errno));
        status = FZ_EXIT_IO;
        goto out;
    }
    size_t wrote = fwrite(data, 1, len, f);
    int bad = wrote != len;
    bad |= to_stdout ? fflush(f) != 0 : fclose(f) != 0;
    if (bad) {
        fz_cli_error("cannot write '%s'", to_stdout ? "standard output" : outpath);
        status = FZ_EXIT_IO;
    }
out:
    if (data)
        fz_free(NULL, data, len + 1);
    fz_overlay_free(ov);
    fz_graph_free(g);
    return status;
}
