/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - `flowzap check FILE...`: parse each file, run lint on the
 * clean ones, print diagnostics gcc-style (or as one JSON list) and a
 * one-line summary per file. The exit status is the worst file's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "parser/codes.h"
#include "parser/lint.h"
#include "parser/parser.h"

typedef struct check_opts {
    int json, strict, no_lint, quiet;
    uint32_t enable, disable; /* lint codes turned on / off, last option wins */
} check_opts;

const fz_cli_opt fz_check_options[] = {
    {"json", 0, FZ_OPT_FLAG, NULL,
     "print every diagnostic of every file as one JSON list on stdout (file, line, column, "
     "severity, code, message, hint); no summary. Silenced warnings are listed too, with "
     "severity \"silenced\" and silenced_by saying what silenced them"},
    {"strict", 0, FZ_OPT_FLAG, NULL, "exit 1 when there are warnings (and no errors)"},
    {"no-lint", 0, FZ_OPT_FLAG, NULL, "only parse: skip the lint rules (W1xx, W2xx)"},
    {NULL, 'W', FZ_OPT_VALUE, "CODE",
     "turn a lint code on (-W W107 or -WW107); -Wflowzap turns on the flowzap group (W107, "
     "FlowZap's ping-pong rule, off by default); -Wno-CODE silences it, as --ignore does"},
    {"flowzap", 0, FZ_OPT_FLAG, NULL, "same as -Wflowzap, for files published to FlowZap"},
    {"ignore", 0, FZ_OPT_VALUE, "CODE",
     "silence a lint code or group (CODE may be a comma list); the last option about a code "
     "wins. In a file, a comment line `// flowzap: ignore W207` silences W207 on the next "
     "statement, `// flowzap: ignore-file W207` in the whole file (docs/lint.md)"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "no summary line; diagnostics only"},
    {"explain", 0, FZ_OPT_VALUE, "CODE", "print what a diagnostic code means and how to fix it"},
    {"codes", 0, FZ_OPT_FLAG, NULL, "list every diagnostic code with its title"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void check_usage(FILE *out)
{
    fz_cli_help(
        out,
        "usage: flowzap check [OPTIONS] FILE...\n"
        "\n"
        "Reads each FlowZap Code file (\"-\" is standard input), reports every error and\n"
        "warning gcc-style (file:line:col, the line, a caret, a hint) on stderr and prints\n"
        "a summary line per file on stdout:\n"
        "  FILE: N lanes, N nodes, N edges, N loops; N errors, N warnings\n"
        "(followed by \", N silenced\" when comments or options silenced some)\n",
        fz_check_options,
        "Exit status: 0 valid, 1 warnings with --strict, 2 errors in a file,\n"
        "74 a file could not be read, 64 bad command line.\n"
        "Codes: E0xx parse errors, W0xx parse warnings, W1xx/W2xx lint warnings (docs/lint.md);\n"
        "docs/language.md lists them all.\n");
}

static int explain(const char *code)
{
    const fz_code_info *c = fz_code_find(code);
    if (!c) {
        fz_cli_error("unknown code '%s' (flowzap check --codes lists them)", code);
        return FZ_EXIT_USAGE;
    }
    printf("%s: %s\n\n%s\n", c->code, c->title, c->explain);
    return FZ_EXIT_OK;
}

static int list_codes(void)
{
    unsigned n = 0;
    const fz_code_info *c = fz_code_all(&n);
    for (unsigned i = 0; i < n; i++)
        printf("%-5s %s\n", c[i].code, c[i].title);
    return FZ_EXIT_OK;
}

/* Appends g's diagnostics to the JSON list; silenced ones (from lint's
 * silenced list, whose hint says why) get severity "silenced" and
 * silenced_by. Returns 0 or FZ_ENOMEM. */
static int json_add(json_t *list, fz_graph *g, const fz_diags *d, int silenced)
{
    for (uint32_t i = 0; i < fz_diags_count(d); i++) {
        const fz_diag *dg = fz_diags_at(d, i);
        uint32_t line = 0, col = 0;
        if (fz_graph_position(g, dg->offset, &line, &col))
            return FZ_ENOMEM;
        json_t *o =
            silenced ? json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s?}", "file", g->path, "line",
                                 (json_int_t)line, "column", (json_int_t)col, "severity",
                                 "silenced", "code", dg->code, "message", dg->message,
                                 "silenced_by", dg->hint)
                     : json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s?}", "file", g->path, "line",
                                 (json_int_t)line, "column", (json_int_t)col, "severity",
                                 fz_severity_name(dg->severity), "code", dg->code, "message",
                                 dg->message, "hint", dg->hint);
        if (!o || json_array_append_new(list, o))
            return FZ_ENOMEM;
    }
    return FZ_OK;
}

/* Checks one file; returns its exit status. */
static int check_one(const char *path, const check_opts *o, json_t *list)
{
    fz_diags d, quiet_d;
    fz_graph *g = NULL;
    int status = FZ_EXIT_OK;
    fz_diags_init(&d, NULL);
    fz_diags_init(&quiet_d, NULL);
    int rc = fz_parse_file(path, NULL, &d, &g);
    if (rc == FZ_ENOENT || rc == FZ_EIO || rc == FZ_ETOOBIG) {
        fz_cli_error("cannot read '%s': %s", path, fz_cli_read_error(path, rc));
        status = FZ_EXIT_IO;
        goto out;
    }
    if (rc == FZ_ENOMEM || !g) {
        fz_cli_error("'%s': %s", path, fz_strerror(rc ? rc : FZ_ENOMEM));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }
    if (d.errors == 0 && !o->no_lint) {
        fz_lint_opts lo;
        fz_lint_opts_init(&lo);
        lo.enable = o->enable;
        lo.disable = o->disable;
        lo.silenced = &quiet_d;
        rc = fz_lint_with(g, &d, &lo);
        if (rc) {
            fz_cli_error("'%s': lint: %s", path, fz_strerror(rc));
            status = FZ_EXIT_SOFTWARE;
            goto out;
        }
    }
    fz_diags_sort(&d);
    fz_diags_sort(&quiet_d);
    if (list) {
        if (json_add(list, g, &d, 0) || json_add(list, g, &quiet_d, 1)) {
            fz_cli_error("'%s': %s", path, fz_strerror(FZ_ENOMEM));
            status = FZ_EXIT_SOFTWARE;
            goto out;
        }
    } else {
        fz_cli_print_diags(stderr, g, &d);
    }
    fflush(stderr);
    if (!list && !o->quiet) {
        printf("%s: %u lane%s, %u node%s, %u edge%s, %u loop%s; %u error%s, %u warning%s",
               g->path, g->lanes.len, g->lanes.len == 1 ? "" : "s", g->nodes.len,
               g->nodes.len == 1 ? "" : "s", g->edges.len, g->edges.len == 1 ? "" : "s",
               g->loops.len, g->loops.len == 1 ? "" : "s", d.errors, d.errors == 1 ? "" : "s",
               d.warnings, d.warnings == 1 ? "" : "s");
        if (fz_diags_count(&quiet_d))
            printf(", %u silenced", (unsigned)fz_diags_count(&quiet_d));
        putchar('\n');
    }
    fflush(stdout);
    if (d.errors)
        status = FZ_EXIT_INVALID;
    else if (o->strict && d.warnings)
        status = FZ_EXIT_WARNINGS;
out:
    fz_graph_free(g);
    fz_diags_fini(&d);
    fz_diags_fini(&quiet_d);
    return status;
}

/* -W / -Wno- / --ignore: CODE is a lint code, a group, or a comma list of
 * them; on says which way. The last option about a code wins. */
static int code_option(check_opts *o, const char *opt, const char *list, int on)
{
    if (!list || !*list) {
        fz_cli_error("check: %s needs a lint code, e.g. %s W207", opt, opt);
        return FZ_EXIT_USAGE;
    }
    char buf[256];
    if (strlen(list) >= sizeof(buf)) {
        fz_cli_error("check: %s: the list of codes is too long", opt);
        return FZ_EXIT_USAGE;
    }
    strcpy(buf, list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint32_t bits = 0;
        if (fz_lint_code_bits(t, &bits)) {
            fz_cli_error("check: %s: '%s' is no lint code (W1xx, W2xx) or group (flowzap); "
                         "flowzap check --codes lists them",
                         opt, t);
            return FZ_EXIT_USAGE;
        }
        if (on) {
            o->enable |= bits;
            o->disable &= ~bits;
        } else {
            o->disable |= bits;
            o->enable &= ~bits;
        }
    }
    return FZ_EXIT_OK;
}

int fz_cmd_check(int argc, char **argv)
{
    check_opts o = {0, 0, 0, 0, 0, 0};
    int nfiles = 0, only_files = 0, rc;
    if ((rc = fz_cli_parse("check", fz_check_options, &argc, &argv)))
        return rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            argv[1 + nfiles++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (strcmp(a, "--json") == 0) {
            o.json = 1;
        } else if (strcmp(a, "--strict") == 0) {
            o.strict = 1;
        } else if (strcmp(a, "--no-lint") == 0) {
            o.no_lint = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = 1;
        } else if (strcmp(a, "--flowzap") == 0) {
            if ((rc = code_option(&o, a, "flowzap", 1)))
                return rc;
        } else if (strncmp(a, "-Wno-", 5) == 0) {
            if ((rc = code_option(&o, "-Wno-", a + 5, 0)))
                return rc;
        } else if (strcmp(a, "-W") == 0 && i + 1 < argc && strncmp(argv[i + 1], "no-", 3) == 0) {
            if ((rc = code_option(&o, "-Wno-", argv[++i] + 3, 0)))
                return rc;
        } else if (strcmp(a, "-W") == 0 || strcmp(a, "--ignore") == 0) {
            if ((rc = code_option(&o, a, i + 1 < argc ? argv[++i] : NULL, a[1] == 'W')))
                return rc;
        } else if (strncmp(a, "--ignore=", 9) == 0) {
            if ((rc = code_option(&o, "--ignore", a + 9, 0)))
                return rc;
        } else if (strncmp(a, "-W", 2) == 0) {
            if ((rc = code_option(&o, "-W", a + 2, 1)))
                return rc;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            check_usage(stdout);
            return FZ_EXIT_OK;
        } else if (strcmp(a, "--codes") == 0) {
            return list_codes();
        } else if (strcmp(a, "--explain") == 0 || strncmp(a, "--explain=", 10) == 0) {
            const char *code = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!code) {
                fz_cli_error("--explain needs a code, e.g. --explain E002");
                return FZ_EXIT_USAGE;
            }
            return explain(code);
        } else {
            fz_cli_usage_error("check: unknown option '%s'", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (nfiles == 0) {
        fz_cli_usage_error("check: no file given");
        return FZ_EXIT_USAGE;
    }
    json_t *list = o.json ? json_array() : NULL;
    if (o.json && !list) {
        fz_cli_error("%s", fz_strerror(FZ_ENOMEM));
        return FZ_EXIT_SOFTWARE;
    }
    /* stderr is unbuffered: a caret line would cost a write per byte.
     * Buffer it while checking; every file flushes before its summary. */
    static char errbuf[1 << 16];
    setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
    int worst = FZ_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        int st = check_one(argv[1 + i], &o, list);
        if (st > worst)
            worst = st;
    }
    if (list) {
        if (json_dumpf(list, stdout, JSON_INDENT(2)) == 0)
            fputc('\n', stdout);
        json_decref(list);
    }
    fflush(stderr);
    return worst;
}
