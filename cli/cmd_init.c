/* SPDX-License-Identifier: MIT */
/*
 * cmd_init.c - `flowzap init scenario FILE.fz` and `flowzap init bindings
 * FILE.fz`: skeletons to fill in. The scenario skeleton holds one commented
 * rule per node (label, lane, shape; a decision's outgoing labels as
 * weights); the bindings skeleton one rule per distinct label, each failing
 * with "not bound yet". Both load as written (docs/test.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"

const fz_cli_opt fz_init_options[] = {
    {"output", 'o', FZ_OPT_VALUE, "OUT", "write to OUT instead of standard output"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap init scenario FILE.fz [-o OUT]\n"
                "       flowzap init bindings FILE.fz [-o OUT]\n"
                "\n"
                "Writes a skeleton to fill in, to stdout or OUT (never over an existing\n"
                "file):\n"
                "  scenario   a scenario file with one commented rule per node (its label,\n"
                "             lane and shape; for a decision, its outgoing labels as\n"
                "             weights) and one scenario with a commented `expect:`;\n"
                "             save it as NAME.scenario.yaml beside NAME.fz for `flowzap test`\n"
                "  bindings   a bindings file with one rule per distinct label, each\n"
                "             `fail: \"not bound yet\"` until you bind it\n"
                "Both load as written: `flowzap sim FILE --faults OUT` and\n"
                "`flowzap bind FILE --bindings OUT` accept them.\n",
                fz_init_options,
                "Exit status: 0 written, 2 invalid workflow, 64 bad command line, 74 OUT\n"
                "exists or could not be written.\n");
}

/* Writes s as the inside of a YAML double-quoted scalar; with regex, as a
 * PCRE2 pattern matching s literally. */
static void put_yq(FILE *out, const char *s, size_t len, int regex)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (regex && strchr("\\^$.|?*+()[]{}", c) && c)
            fputs("\\\\", out); /* a backslash for PCRE2, escaped for YAML */
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

static void put_label_re(FILE *out, const fz_graph *g, fz_span label)
{
    fputs("\"^", out);
    put_yq(out, fz_graph_text(g, label), label.len, 1);
    fputs("$\"", out);
}

static void put_q(FILE *out, const fz_graph *g, fz_span sp)
{
    fputc('"', out);
    put_yq(out, fz_graph_text(g, sp), sp.len, 0);
    fputc('"', out);
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static void write_scenario(FILE *out, const char *file, const fz_graph *g)
{
    fprintf(out, "# Fault scenarios for %s, written by `flowzap init scenario`.\n",
            base_name(file));
    fputs("# Uncomment the rules you need (docs/sim.md has every field), give each\n"
          "# scenario an `expect:` (docs/test.md), save this file beside the workflow\n"
          "# as NAME.scenario.yaml and run `flowzap test NAME.fz`.\n"
          "seed: 1\n"
          "defaults:\n"
          "  latency: 0s\n"
          "# Shared by every scenario; a scenario's own rules are tried first.\n"
          "rules: [\n",
          out);
    for (uint32_t n = 0; n < fz_graph_node_count(g); n++) {
        const fz_node *nd = fz_graph_node(g, n);
        const char *shape = fz_shape_name((fz_shape)nd->shape);
        fprintf(out, "  # %.*s ", (int)nd->id.len, fz_graph_text(g, nd->id));
        put_q(out, g, nd->label);
        if (nd->lane != FZ_NONE) {
            const fz_lane *ln = fz_graph_lane(g, nd->lane);
            fprintf(out, ", lane %.*s", (int)ln->id.len, fz_graph_text(g, ln->id));
        }
        fprintf(out, ", %s\n  # {match: ", shape);
        put_label_re(out, g, nd->label);
        fprintf(out, ", id: %.*s", (int)nd->id.len, fz_graph_text(g, nd->id));
        uint32_t nout = 0;
        const uint32_t *outs = fz_graph_out(g, n, &nout);
        if (nd->shape == FZ_SHAPE_DIAMOND && nout > 0) {
            /* Distinct outgoing labels, equally weighted; `default` stands
             * for the unlabelled edges. */
            fputs(", weights: {", out);
            int first = 1, dflt = 0;
            for (uint32_t i = 0; i < nout; i++) {
                const fz_edge *e = fz_graph_edge(g, outs[i]);
                if (!e->label.len) {
                    dflt = 1;
                    continue;
                }
                int seen = 0;
                for (uint32_t k = 0; k < i && !seen; k++) {
                    const fz_edge *p = fz_graph_edge(g, outs[k]);
                    seen = p->label.len == e->label.len &&
                           !memcmp(fz_graph_text(g, p->label), fz_graph_text(g, e->label),
                                   e->label.len);
                }
                if (seen)
                    continue;
                fprintf(out, "%s", first ? "" : ", ");
                put_q(out, g, e->label);
                fputs(": 1", out);
                first = 0;
            }
            if (dflt)
                fprintf(out, "%sdefault: 1", first ? "" : ", ");
            fputs("}", out);
        } else {
            fputs(", latency: 1s, error: 0%", out);
        }
        fputs("},\n", out);
    }
    fputs("  ]\n"
          "scenarios:\n"
          "  baseline:\n"
          "    description: every node answers ok; decisions as weighted above\n"
          "    rules: [\n"
          "      # this scenario's own rules, in the form above\n"
          "      ]\n"
          "    # expect:                      # what `flowzap test` checks\n"
          "    #   outcome: {prefix: \"End\"}   # every run (or an exact name, or {match: RE})\n"
          "    #   path: [n1, n2]             # every run takes these nodes, in order\n"
          "    #   visits: {n2: 1}            # every run visits n2 once\n"
          "    #   duration: {p99: \"< 5m\"}\n"
          "    #   share: {\"OUTCOME\": \">= 0.9\"}\n",
          out);
}

static void write_bindings(FILE *out, const char *file, const fz_graph *g)
{
    fprintf(out, "# Bindings for %s, written by `flowzap init bindings`.\n", base_name(file));
    fputs("# One rule per distinct label; each fails until you give it a handler\n"
          "# (exec, http, sleep, noop, approval...; docs/bindings.md).\n"
          "version: 1\n"
          "rules:\n",
          out);
    for (uint32_t n = 0; n < fz_graph_node_count(g); n++) {
        const fz_node *nd = fz_graph_node(g, n);
        int seen = 0;
        for (uint32_t k = 0; k < n && !seen; k++) {
            const fz_node *p = fz_graph_node(g, k);
            seen = p->label.len == nd->label.len &&
                   !memcmp(fz_graph_text(g, p->label), fz_graph_text(g, nd->label), nd->label.len);
        }
        if (seen)
            continue;
        fputs("  - match: ", out);
        put_label_re(out, g, nd->label);
        fputs("  # ", out);
        int first = 1;
        for (uint32_t k = n; k < fz_graph_node_count(g); k++) {
            const fz_node *p = fz_graph_node(g, k);
            if (p->label.len == nd->label.len &&
                !memcmp(fz_graph_text(g, p->label), fz_graph_text(g, nd->label), nd->label.len)) {
                fprintf(out, "%s%.*s", first ? "" : ", ", (int)p->id.len, fz_graph_text(g, p->id));
                first = 0;
            }
        }
        fprintf(out, " (%s)\n    fail: \"not bound yet\"\n", fz_shape_name((fz_shape)nd->shape));
    }
}

int fz_cmd_init(int argc, char **argv)
{
    const char *what = NULL, *file = NULL, *outp = NULL;
    int st0 = fz_cli_parse("init", fz_init_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return FZ_EXIT_OK;
        }
    }
    int ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops && !what) {
            what = a;
            continue;
        } else if (ops && !file) {
            file = a;
            continue;
        } else if (ops) {
            fprintf(stderr, "flowzap init: one FILE.fz only\n");
            return FZ_EXIT_USAGE;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flowzap init: %s needs a value\n", a);
                return FZ_EXIT_USAGE;
            }
            outp = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr,
                    "flowzap init: unknown option '%s'\n(`flowzap init --help` lists "
                    "the options)\n",
                    a);
            return FZ_EXIT_USAGE;
        } else if (!what) {
            what = a;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "flowzap init: one FILE.fz only\n");
            return FZ_EXIT_USAGE;
        }
    }
    if (!what || !file || (strcmp(what, "scenario") && strcmp(what, "bindings"))) {
        fprintf(stderr, "flowzap init: write `flowzap init scenario FILE.fz` or `flowzap init "
                        "bindings FILE.fz`\n");
        return FZ_EXIT_USAGE;
    }
    fz_graph *g = NULL;
    int st = fz_cli_load(file, 0, &g);
    if (st)
        return st;
    FILE *out = stdout;
    if (outp && strcmp(outp, "-")) {
        out = fopen(outp, "wx");
        if (!out) {
            fz_cli_error("cannot write '%s': %s", outp, strerror(errno));
            fz_graph_free(g);
            return FZ_EXIT_IO;
        }
    }
    if (!strcmp(what, "scenario"))
        write_scenario(out, file, g);
    else
        write_bindings(out, file, g);
    if (ferror(out) || (out != stdout && fclose(out)) || (out == stdout && fflush(out))) {
        fz_cli_error("cannot write '%s'", outp ? outp : "stdout");
        st = FZ_EXIT_IO;
    }
    fz_graph_free(g);
    return st;
}
