/* SPDX-License-Identifier: MIT */
/* options.c - the option parser every command shares (options.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/term.h"
#include "core/nearest.h"

const char *fz_cli_nearest(const char *word, const char *const *cands, size_t n)
{
    return fz_nearest(word, strlen(word), cands, n);
}

/* The canonical argvs and their option names, kept for the life of the
 * process (still reachable, not leaked). A process parses more than once
 * when one command hands over to another (resume runs the workflow through
 * run's parser), so each parse keeps its own slot. */
enum { CANON_SLOTS = 16 };
static char *const *canon_argv[CANON_SLOTS];
static char (*canon_names[CANON_SLOTS])[80];
static unsigned canon_used;

unsigned fz_cli_parse_mark(void)
{
    return canon_used;
}

void fz_cli_parse_release(unsigned mark)
{
    while (canon_used > mark) {
        canon_used--;
        free((void *)canon_argv[canon_used]);
        free(canon_names[canon_used]);
        canon_argv[canon_used] = NULL;
        canon_names[canon_used] = NULL;
    }
}

static void see_help(const char *cmd)
{
    fprintf(stderr, " (see 'flowzap %s --help')\n", cmd);
}

static int unknown_long(const char *cmd, const fz_cli_opt *opts, size_t n, const char *arg)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    char word[128];
    if (len >= sizeof word)
        len = sizeof word - 1;
    memcpy(word, name, len);
    word[len] = '\0';
    const char **cands = calloc(n + 1, sizeof *cands);
    const char *near = NULL;
    if (cands) {
        for (size_t i = 0; i < n; i++)
            cands[i] = opts[i].name;
        near = fz_cli_nearest(word, cands, n);
    }
    /* A prefix of several options (--s: --set, --secret) is ambiguous. */
    int prefixes = 0;
    for (size_t i = 0; i < n; i++)
        if (opts[i].name && len && strncmp(opts[i].name, word, len) == 0)
            prefixes++;
    if (prefixes > 1) {
        fprintf(stderr, "flowzap %s: option '--", cmd);
        fz_term_put(stderr, word, strlen(word), 0);
        fputs("' is ambiguous; could be", stderr);
        const char *sep = " ";
        for (size_t i = 0; i < n; i++)
            if (opts[i].name && strncmp(opts[i].name, word, len) == 0) {
                fprintf(stderr, "%s'--%s'", sep, opts[i].name);
                sep = ", ";
            }
    } else {
        fprintf(stderr, "flowzap %s: unknown option '--", cmd);
        fz_term_put(stderr, word, strlen(word), 0);
        fputc('\'', stderr);
        if (near)
            fprintf(stderr, "; did you mean '--%s'?", near);
    }
    free(cands);
    see_help(cmd);
    return FZ_EXIT_USAGE;
}

static const char *spelling(const fz_cli_opt *o, char *buf)
{
    if (o->name) {
        snprintf(buf, 80, "--%s", o->name);
    } else {
        buf[0] = '-';
        buf[1] = (char)o->letter;
        buf[2] = '\0';
    }
    return buf;
}

int fz_cli_parse(const char *cmd, const fz_cli_opt *opts, int *argc, char ***argv)
{
    size_t n = 0;
    while (opts[n].name || opts[n].letter)
        n++;
    int ac = *argc;
    char **av = *argv;
    struct option *lo = calloc(n + 1, sizeof *lo);
    char *shorts = malloc(2 * n + 3);
    /* Grouped flags (-qw) give one slot per letter; "--opt=v" two. */
    char **out = calloc((size_t)ac * (n + 2) + 3, sizeof *out);
    char **operands = calloc((size_t)ac + 1, sizeof *operands);
    char(*names)[80] = calloc(n + 1, sizeof *names);
    if (!lo || !shorts || !out || !operands || !names) {
        fprintf(stderr, "flowzap %s: out of memory\n", cmd);
        free(lo), free(shorts), free(out), free(operands), free(names);
        return FZ_EXIT_SOFTWARE;
    }
    size_t nl = 0, ns = 0;
    shorts[ns++] = '-'; /* operands come back in order, as option 1 */
    shorts[ns++] = ':'; /* a missing value is ':', not '?' */
    for (size_t i = 0; i < n; i++) {
        if (opts[i].name)
            lo[nl++] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument,
                                       NULL, 256 + (int)i};
        if (opts[i].letter) {
            shorts[ns++] = (char)opts[i].letter;
            if (opts[i].arg)
                shorts[ns++] = ':';
        }
        spelling(&opts[i], names[i]);
    }
    shorts[ns] = '\0';
    int no = 0, nops = 0, st = 0;
    out[no++] = av[0];
    opterr = 0;
    optind = 0; /* glibc: start afresh */
    for (;;) {
        int c = getopt_long(ac, av, shorts, lo, NULL);
        if (c == -1)
            break;
        if (c == 1) {
            operands[nops++] = optarg;
            continue;
        }
        if (c == '?') {
            const char *arg = av[optind - 1];
            if (optopt >= 256) {
                fprintf(stderr, "flowzap %s: option '%s' takes no value", cmd, names[optopt - 256]);
                see_help(cmd);
                st = FZ_EXIT_USAGE;
            } else if (optopt == 0 && arg && !strncmp(arg, "--", 2)) {
                st = unknown_long(cmd, opts, n, arg);
            } else {
                char letter = (char)optopt;
                fprintf(stderr, "flowzap %s: unknown option '-", cmd);
                fz_term_put(stderr, &letter, 1, 0);
                fputc('\'', stderr);
                see_help(cmd);
                st = FZ_EXIT_USAGE;
            }
            break;
        }
        size_t idx = n;
        if (c == ':') {
            idx = optopt >= 256 ? (size_t)(optopt - 256) : n;
            for (size_t i = 0; idx == n && i < n; i++)
                if (opts[i].letter == optopt)
                    idx = i;
            fprintf(stderr, "flowzap %s: option '%s' needs a value", cmd,
                    idx < n ? names[idx] : "?");
            see_help(cmd);
            st = FZ_EXIT_USAGE;
            break;
        }
        if (c >= 256)
            idx = (size_t)(c - 256);
        for (size_t i = 0; idx == n && i < n; i++)
            if (opts[i].letter == c)
                idx = i;
        if (idx == n) { /* cannot happen: getopt only returns our letters */
            st = FZ_EXIT_SOFTWARE;
            break;
        }
        out[no++] = names[idx];
        if (opts[idx].arg)
            out[no++] = optarg;
    }
    if (!st) {
        for (int i = optind; i < ac; i++)
            operands[nops++] = av[i];
        int dash = 0;
        for (int i = 0; i < nops; i++)
            if (operands[i][0] == '-' && operands[i][1])
                dash = 1;
        static char dashes[] = "--";
        if (dash)
            out[no++] = dashes;
        for (int i = 0; i < nops; i++)
            out[no++] = operands[i];
        out[no] = NULL;
        *argc = no;
        *argv = out;
        if (canon_used < CANON_SLOTS) {
            canon_argv[canon_used] = out;
            canon_names[canon_used] = names;
            canon_used++;
        }
    } else {
        free(out);
        free(names);
    }
    free(lo);
    free(shorts);
    free(operands);
    return st;
}

/*==========================================================================
 * --help from the option tables
 *========================================================================*/

enum { HELP_WIDTH = 79, HELP_MAX_COLUMN = 24 };

/* "-b, --bindings B", "--set KEY=VALUE", "-T FORMAT" into buf. */
static size_t help_spelling(const fz_cli_opt *o, char *buf, size_t n)
{
    int len = 0;
    if (o->letter && o->name)
        len = snprintf(buf, n, "-%c, --%s", o->letter, o->name);
    else if (o->letter)
        len = snprintf(buf, n, "-%c", o->letter);
    else
        len = snprintf(buf, n, "--%s", o->name);
    if (o->value && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, " %s", o->value);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Writes text from column col, wrapping at word boundaries so no line
 * passes HELP_WIDTH (a longer word gets a line of its own, and a `quoted
 * command` is never split); continuation lines start at column indent. */
static void help_wrap(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t w = 0; /* a word; `code` with its spaces counts as one */
        for (int tick = 0; p[w] && (p[w] != ' ' || tick); w++)
            tick ^= p[w] == '`';
        if (!first && col + 1 + w > HELP_WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            first = 1;
        }
        if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, w, out);
        col += w;
        p += w;
        first = 0;
    }
    fputc('\n', out);
}

void fz_cli_help_options(FILE *out, const fz_cli_opt *opts)
{
    char sp[128];
    size_t column = 0;
    for (const fz_cli_opt *o = opts; o->name || o->letter; o++) {
        size_t w = 2 + help_spelling(o, sp, sizeof sp) + 2;
        if (w <= HELP_MAX_COLUMN && w > column)
            column = w;
    }
    if (!column)
        column = HELP_MAX_COLUMN;
    for (const fz_cli_opt *o = opts; o->name || o->letter; o++) {
        size_t w = help_spelling(o, sp, sizeof sp);
        fprintf(out, "  %s", sp);
        size_t col = 2 + w;
        if (col + 2 > column) { /* too wide: the text starts below */
            fprintf(out, "\n%*s", (int)column, "");
        } else {
            fprintf(out, "%*s", (int)(column - col), "");
        }
        help_wrap(out, o->help ? o->help : "", column, column);
    }
}

void fz_cli_help(FILE *out, const char *head, const fz_cli_opt *opts, const char *tail)
{
    fputs(head, out);
    fputs("\nOptions:\n", out);
    fz_cli_help_options(out, opts);
    if (tail) {
        fputc('\n', out);
        fputs(tail, out);
    }
}
