/* SPDX-License-Identifier: MIT */
/*
 * cmd_bind.c - `flowzap bind`: which handler each node gets, and with
 * --check what a run would need (docs/bindings.md). Nothing is run.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "core/term.h"
#include "real/bind.h"
#include "engine/secret.h"

/*==========================================================================
 * flowzap bind
 *========================================================================*/

/* bind --check: the findings gcc-style, then a count; 2 on any error. */
static int bind_check(const fz_bind *b, const fz_graph *g, const char *const *sets, uint32_t n)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_bind_check(b, g, sets, n, &d);
    if (rc) {
        fz_diags_fini(&d);
        fz_cli_error("bind --check: %s", fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    fz_diags_sort(&d);
    fz_cli_print_bind_diags(b, &d);
    fprintf(d.errors || d.warnings ? stderr : stdout, "%s: %u error%s, %u warning%s\n",
            fz_bind_name(b), d.errors, d.errors == 1 ? "" : "s", d.warnings,
            d.warnings == 1 ? "" : "s");
    int st = d.errors ? FZ_EXIT_INVALID : FZ_EXIT_OK;
    fz_diags_fini(&d);
    return st;
}

const fz_cli_opt fz_bind_options[] = {
    {"bindings", 'b', FZ_OPT_VALUE, "B", "the bindings file (YAML; docs/bindings.md)"},
    {"allow-unbound", 0, FZ_OPT_FLAG, NULL,
     "unbound nodes are warnings (run treats them as no-ops)"},
    {"check", 0, FZ_OPT_FLAG, NULL,
     "instead of the table, check what a run would need: each exec program found and "
     "executable, each cwd a directory, each URL well formed, each ${NAME} defined before its "
     "step (errors exit 2; docs/bindings.md)"},
    {"set", 0, FZ_OPT_VALUE, "KEY=VALUE", "with --check: a run variable --set would give"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void bind_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap bind FILE --bindings B [--allow-unbound] [--check]\n"
                "\n"
                "Shows, for every node of FILE, the rule of the bindings file B that binds it\n"
                "(first match wins), the handler it will run, and the variables its label's\n"
                "captures give it. Nodes no rule matches are listed all at once as errors\n"
                "(file:line:col of each node). Nothing is run.\n",
                fz_bind_options,
                "Exit status: 0 every node is bound, 2 invalid workflow or bindings,\n"
                "6 unbound nodes, 74 a file could not be read, 64 bad command line.\n");
}

int fz_cmd_bind(int argc, char **argv)
{
    const char *file = NULL, *bindings = NULL;
    int allow_unbound = 0, check = 0, ops = 0;
    const char *sets[256];
    uint32_t nsets = 0;
    int st0 = fz_cli_parse("bind", fz_bind_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (file) {
                fz_cli_error("bind: one workflow file at a time ('%s' is extra)", a);
                return FZ_EXIT_USAGE;
            }
            file = a;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            bind_usage(stdout);
            return FZ_EXIT_OK;
        } else if ((!strcmp(a, "--bindings") || !strcmp(a, "-b")) && i + 1 < argc) {
            bindings = argv[++i];
        } else if (!strncmp(a, "--bindings=", 11)) {
            bindings = a + 11;
        } else if (!strcmp(a, "--allow-unbound")) {
            allow_unbound = 1;
        } else if (!strcmp(a, "--check")) {
            check = 1;
        } else if (!strcmp(a, "--set") && i + 1 < argc && nsets < 256) {
            if (fz_cli_check_set(argv[++i]))
                return FZ_EXIT_USAGE;
            sets[nsets++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            fz_cli_usage_error("bind: unknown option '%s'", a);
            return FZ_EXIT_USAGE;
        } else if (!file) {
            file = a;
        } else {
            fz_cli_error("bind: one workflow file at a time ('%s' is extra)", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (!file || !bindings) {
        fz_cli_usage_error("bind: %s",
                           !file ? "no workflow file given" : "--bindings B is required");
        return FZ_EXIT_USAGE;
    }
    fz_graph *g = NULL;
    int status = fz_cli_load(file, 0, &g);
    if (status)
        return status;
    fz_bind *b = NULL;
    int unbound_status = fz_cli_load_bindings(bindings, g, 1, 1, &b);
    if (unbound_status) {
        fz_graph_free(g);
        return unbound_status;
    }
    if (check) {
        int st = bind_check(b, g, sets, nsets);
        fz_bind_free(b);
        fz_graph_free(g);
        return st;
    }
    uint32_t unbound = 0;
    printf("%-5s %-30s %-18s %-10s %s\n", "NODE", "LABEL", "LANE", "RULE", "HANDLER");
    for (uint32_t i = 0; i < fz_graph_node_count(g); i++) {
        const char *id, *label;
        int idl, ll, lanel;
        fz_cli_node_text(g, i, &id, &idl, &label, &ll);
        const char *lane = fz_cli_lane_name(g, i, &lanel);
        uint32_t r = fz_bind_node_rule(b, i);
        char rule[32], desc[512];
        if (r == FZ_NONE) {
            unbound++;
            snprintf(rule, sizeof(rule), "-");
            snprintf(desc, sizeof(desc), "UNBOUND%s", allow_unbound ? " (no-op)" : "");
        } else {
            snprintf(rule, sizeof(rule), "%u (l.%u)", r + 1, 0u);
            uint32_t tl = 0;
            const char *text = fz_bind_text(b, &tl);
            fz_linemap m;
            if (fz_linemap_init(&m, text, tl, NULL) == 0) {
                uint32_t line = 0, col = 0;
                fz_linemap_pos(&m, fz_bind_rule(b, r)->offset, &line, &col);
                snprintf(rule, sizeof(rule), "%u (l.%u)", r + 1, line);
                fz_linemap_fini(&m);
            }
            fz_bind_describe(b, r, desc, sizeof(desc));
        }
        char lb[4 * 30 + 1], ib[64], lnb[256];
        printf("%-5s %s %-18s %-10s ", fz_term_esc(ib, sizeof(ib), id, (size_t)idl),
               fz_term_cell(lb, sizeof(lb), label, (size_t)ll, 30, 0),
               fz_term_esc(lnb, sizeof(lnb), lane, (size_t)lanel), rule);
        fz_term_put(stdout, desc, strlen(desc), 0);
        putchar('\n');
        const fz_caps *c = fz_bind_node_caps(b, i);
        if (c && fz_caps_count(c) > 1) {
            printf("      vars:");
            for (uint32_t k = 1; k < fz_caps_count(c); k++) {
                const fz_kv *kv = fz_caps_at(c, k);
                putchar(' ');
                fz_term_put(stdout, kv->key, strlen(kv->key), 0);
                fputs("=\"", stdout);
                fz_term_put(stdout, kv->value, strlen(kv->value), 0);
                putchar('"');
            }
            printf("\n");
        }
    }
    /* Secrets: names and sources only; bind reads no value. */
    for (uint32_t i = 0; i < fz_bind_secret_count(b); i++) {
        const fz_secret_spec *sp = fz_bind_secret_at(b, i);
        printf("%s %s (%s %s)%s", i ? "," : "secrets:", sp->name,
               sp->kind == FZ_SECRET_ENV    ? "env"
               : sp->kind == FZ_SECRET_FILE ? "file"
                                            : "command",
               sp->kind == FZ_SECRET_COMMAND ? sp->argv[0] : sp->arg,
               i + 1 == fz_bind_secret_count(b) ? "\n" : "");
    }
    if (unbound)
        status = fz_cli_print_unbound(g, b, bindings, allow_unbound) ? FZ_EXIT_UNBOUND : FZ_EXIT_OK;
    printf("%s: %u node%s, %u bound by %s, %u unbound\n", file, fz_graph_node_count(g),
           fz_graph_node_count(g) == 1 ? "" : "s", fz_graph_node_count(g) - unbound, bindings,
           unbound);
    fz_bind_free(b);
    fz_graph_free(g);
    return status;
}
