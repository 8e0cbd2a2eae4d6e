/* SPDX-License-Identifier: MIT */
/* common.c - what every subcommand shares: loading a file and bindings, printing diagnostics. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "cli/term.h"
#include "core/status.h"
#include "core/term.h"
#include "core/utf8.h"
#include "real/bind.h"
#include "real/journal.h"
#include "parser/parser.h"

int fz_cli_color(FILE *f)
{
    return getenv("NO_COLOR") == NULL && isatty(fileno(f));
}

static const char *command_name;

void fz_cli_set_command(const char *name)
{
    command_name = name;
}

static char last_error[512];

const char *fz_cli_last_error(void)
{
    return last_error;
}

void fz_cli_error(const char *fmt, ...)
{
    /* The message quotes names, paths and values from files, journals and
     * the command line: written through the terminal escaper (core/term.h),
     * so a node name or path holding ESC [ 2J is shown, not obeyed. */
    char small[1024], *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (!msg)
        msg = small;
    const char *text = msg;
    if (command_name) {
        /* One prefix, "flowzap CMD: ", however the message was written. */
        size_t cl = strlen(command_name);
        if (!strncmp(text, command_name, cl) && text[cl] == ':' && text[cl + 1] == ' ')
            text += cl + 2;
        fprintf(stderr, "flowzap %s: ", command_name);
    } else {
        fputs("flowzap: ", stderr);
    }
    if (n > 0)
        fz_term_put(stderr, text, strlen(text), 0);
    fputc('\n', stderr);
    size_t keep = n > 0 ? strlen(text) : 0;
    if (keep >= sizeof last_error)
        keep = sizeof last_error - 1;
    memcpy(last_error, text, keep);
    last_error[keep] = '\0';
    if (msg != small)
        free(msg);
}

int fz_cli_usage_error(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *cmd = command_name ? command_name : "";
    const char *msg = buf;
    size_t n = strlen(cmd);
    if (n && !strncmp(msg, cmd, n) && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    fprintf(stderr, "flowzap%s%s: ", n ? " " : "", cmd);
    fz_term_put(stderr, msg, strlen(msg), 0);
    fprintf(stderr, " (see 'flowzap%s%s --help')\n", n ? " " : "", cmd);
    return FZ_EXIT_USAGE;
}

int fz_cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    /* Digits only: strtoull alone would also take leading white space and
     * a sign ("-1" as 2^64 - 1). */
    if (!s || !*s || s[strspn(s, "0123456789")] != '\0')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

int fz_cli_parse_decimal(const char *s, double *out)
{
    /* Digits, then optionally '.' and digits (".5" too): no white space,
     * sign, exponent, hexadecimal, inf or nan, which strtod would take. */
    if (!s)
        return -1;
    size_t n = strspn(s, "0123456789");
    if (n == 0 && s[0] != '.')
        return -1;
    if (s[n] == '.') {
        size_t f = strspn(s + n + 1, "0123456789");
        if (f == 0)
            return -1;
        n += 1 + f;
    }
    if (s[n] != '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int fz_cli_parse_share(const char *s, double *out)
{
    char buf[64];
    size_t n = s ? strlen(s) : 0;
    int pct = n > 0 && s[n - 1] == '%';
    if (n - (size_t)pct >= sizeof buf)
        return -1;
    memcpy(buf, s ? s : "", n - (size_t)pct);
    buf[n - (size_t)pct] = '\0';
    double p = 0;
    if (fz_cli_parse_decimal(buf, &p))
        return -1;
    if (pct)
        p /= 100.0;
    if (!(p >= 0.0 && p <= 1.0))
        return -1;
    *out = p;
    return 0;
}

const char *fz_cli_read_error(const char *path, int rc)
{
    if ((rc != FZ_ENOENT && rc != FZ_EIO) || !path || !strcmp(path, "-"))
        return fz_strerror(rc);
    struct stat st;
    if (stat(path, &st) != 0)
        return strerror(errno);
    if (S_ISDIR(st.st_mode))
        return strerror(EISDIR);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return strerror(errno);
    close(fd);
    return fz_strerror(rc);
}

void fz_cli_print_diags(FILE *out, fz_graph *g, const fz_diags *d)
{
    if (fz_diags_count(d) == 0)
        return;
    const fz_linemap *m = fz_graph_lines(g); /* the graph's: built once */
    if (!m)
        return;
    int color = fz_cli_color(out);
    for (uint32_t i = 0; i < fz_diags_count(d); i++)
        fz_diag_print(out, g->path, m, fz_diags_at(d, i), color);
}

int fz_cli_load(const char *path, int show_warnings, fz_graph **out)
{
    fz_diags d;
    fz_graph *g = NULL;
    *out = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_file(path, NULL, &d, &g);
    int status = FZ_EXIT_OK;
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("cannot read '%s': %s", path, fz_cli_read_error(path, rc));
        status = FZ_EXIT_IO;
        goto out;
    }
    if (rc == FZ_ENOMEM || !g) {
        fz_cli_error("'%s': %s", path, fz_strerror(rc ? rc : FZ_ENOMEM));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }
    if (d.errors) {
        fz_diags_sort(&d);
        fz_cli_print_diags(stderr, g, &d);
        fprintf(stderr, "%s: %u error%s\n", path, d.errors, d.errors == 1 ? "" : "s");
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (rc) {
        fz_cli_error("'%s': %s", path, fz_strerror(rc));
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (show_warnings && d.warnings) {
        fz_diags_sort(&d);
        fz_cli_print_diags(stderr, g, &d);
    }
    *out = g;
    g = NULL;
out:
    fz_graph_free(g);
    fz_diags_fini(&d);
    return status;
}

/*==========================================================================
 * Loading bindings (shared by bind and run)
 *========================================================================*/

void fz_cli_print_bind_diags(const fz_bind *b, const fz_diags *d)
{
    uint32_t len = 0;
    const char *text = fz_bind_text(b, &len);
    fz_linemap m;
    if (fz_linemap_init(&m, text, len, NULL))
        return;
    int color = fz_cli_color(stderr);
    for (uint32_t i = 0; i < fz_diags_count(d); i++)
        fz_diag_print(stderr, fz_bind_name(b), &m, fz_diags_at(d, i), color);
    fz_linemap_fini(&m);
}

void fz_cli_node_text(const fz_graph *g, uint32_t node, const char **id, int *idlen,
                      const char **label, int *labellen)
{
    const fz_node *n = fz_graph_node(g, node);
    *id = fz_graph_text(g, n->id);
    *idlen = (int)n->id.len;
    *label = fz_graph_text(g, n->label);
    *labellen = (int)n->label.len;
}

const char *fz_cli_lane_name(const fz_graph *g, uint32_t node, int *len)
{
    const fz_node *n = fz_graph_node(g, node);
    if (n->lane == FZ_NONE) {
        *len = 1;
        return "-";
    }
    const fz_lane *l = fz_graph_lane(g, n->lane);
    *len = (int)l->id.len;
    return fz_graph_text(g, l->id);
}

/* Lists every unbound node at its place in the workflow; returns 1 when
 * they are errors (not allowed). */
int fz_cli_print_unbound(fz_graph *g, const fz_bind *b, const char *path, int allow_unbound)
{
    uint32_t unbound = 0;
    fz_linemap m;
    int have_map = fz_linemap_init(&m, g->src, g->src_len, NULL) == 0;
    for (uint32_t i = 0; i < fz_graph_node_count(g); i++) {
        if (fz_bind_node_rule(b, i) != FZ_NONE)
            continue;
        unbound++;
        const char *id, *label;
        int idl, ll;
        fz_cli_node_text(g, i, &id, &idl, &label, &ll);
        uint32_t line = 0, col = 0;
        if (have_map)
            fz_linemap_pos(&m, fz_graph_node(g, i)->offset, &line, &col);
        char lb[512];
        fprintf(stderr, "%s:%u:%u: %s: node %.*s \"%s\" has no handler: no rule of %s matches it\n",
                g->path, line, col, allow_unbound ? "warning" : "error", idl, id,
                fz_term_esc(lb, sizeof(lb), label, (size_t)ll), path);
    }
    if (have_map)
        fz_linemap_fini(&m);
    if (!unbound || allow_unbound)
        return 0;
    fprintf(stderr,
            "%s: %u node%s unbound; add rules to %s, or run with --allow-unbound to skip them\n",
            g->path, unbound, unbound == 1 ? "" : "s", path);
    return 1;
}

/* A rule's pattern that PCRE2 stopped on a node (its match limit, the JIT
 * stack...): one error at the rule, naming the node, its place and the
 * limit (docs/bindings.md, B003). */
static void print_match_failure(fz_bind *b, fz_graph *g, const char *path)
{
    uint32_t r = 0, node = 0;
    const char *why = fz_bind_resolve_error(b, &r, &node);
    const char *id, *label;
    int idl, ll;
    fz_cli_node_text(g, node, &id, &idl, &label, &ll);
    uint32_t line = 0, col = 0;
    fz_linemap m;
    if (fz_linemap_init(&m, g->src, g->src_len, NULL) == 0) {
        fz_linemap_pos(&m, fz_graph_node(g, node)->offset, &line, &col);
        fz_linemap_fini(&m);
    }
    fz_diags d;
    fz_diags_init(&d, NULL);
    if (fz_diags_add(&d, FZ_SEV_ERROR, "B003", fz_bind_rule(b, r)->offset, 1,
                     "simplify the pattern (no nested or ambiguous repeats such as (a|a)* or "
                     "(a+)+), anchor it, or narrow the rule with lane:, shape: or id:",
                     "rule %u: matching node %.*s (%s:%u:%u, a label of %d bytes) stopped: %s",
                     r + 1, idl, id, g->path, line, col, ll, why) == 0)
        fz_cli_print_bind_diags(b, &d);
    else
        fz_cli_error("binding '%s' to '%s': rule %u, node %.*s: %s", path, g->path, r + 1, idl, id,
                     why);
    fprintf(stderr, "%s: 1 error\n", path);
    fz_diags_fini(&d);
}

/* Loads and resolves bindings for g; prints every problem. Unbound nodes
 * are listed all at once, each at its place in the workflow. Returns an
 * exit status. */
int fz_cli_load_bindings(const char *path, fz_graph *g, int allow_unbound, int quiet, fz_bind **out)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    int status = FZ_EXIT_OK;
    *out = NULL;
    int rc = fz_bind_load_file(path, NULL, &d, &b);
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("cannot read bindings '%s': %s", path, fz_strerror(rc));
        status = FZ_EXIT_IO;
        goto out;
    }
    if (rc == FZ_EPARSE) {
        if (b) {
            fz_diags_sort(&d);
            fz_cli_print_bind_diags(b, &d);
        }
        fprintf(stderr, "%s: %u error%s\n", path, d.errors, d.errors == 1 ? "" : "s");
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (rc) {
        fz_cli_error("bindings '%s': %s", path, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
        goto out;
    }
    uint32_t unbound = 0;
    rc = fz_bind_resolve(b, g, &unbound);
    if (rc == FZ_EINVAL) {
        print_match_failure(b, g, path);
        status = FZ_EXIT_INVALID;
        goto out;
    }
    if (rc) {
        fz_cli_error("binding '%s' to '%s': %s", path, g->path, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
        goto out;
    }
    if (unbound && !(allow_unbound && quiet) && fz_cli_print_unbound(g, b, path, allow_unbound)) {
        status = FZ_EXIT_UNBOUND;
        goto out;
    }
    *out = b;
    b = NULL;
out:
    fz_bind_free(b);
    fz_diags_fini(&d);
    return status;
}
/* Writes s[0, n) for a message: printable ASCII as is, anything else as
 * \n, \r, \t or \xNN, so a hostile key shows what it holds. */
static void escape_for_message(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (o + 5 >= cap && o >= 3)
        memcpy(out + o - 3, "...", 3);
    out[o < cap ? o : cap - 1] = '\0';
}

/* --set KEY=VALUE (docs/run.md): KEY is a variable name, a letter or '_'
 * then letters, digits and '_', at most 255 bytes; VALUE is UTF-8 text (a
 * newline is fine). Returns 0, or prints why not and returns 1. */
int fz_cli_check_set(const char *val)
{
    const char *eq = strchr(val, '=');
    if (!eq) {
        char shown[200];
        escape_for_message(val, strlen(val), shown, sizeof shown);
        fz_cli_error("--set takes KEY=VALUE, not '%s'", shown);
        return 1;
    }
    size_t kl = (size_t)(eq - val);
    int ok = kl > 0 && kl <= 255 && !(val[0] >= '0' && val[0] <= '9');
    for (size_t i = 0; ok && i < kl; i++) {
        char c = val[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    char shown[200];
    escape_for_message(val, kl, shown, sizeof shown);
    if (!ok) {
        fz_cli_error("--set '%s': %s", shown,
                     kl == 0    ? "the name before '=' is empty"
                     : kl > 255 ? "the name is longer than 255 bytes"
                                : "a variable name is letters, digits and '_', not starting "
                                  "with a digit");
        return 1;
    }
    size_t vl = strlen(eq + 1), bad = fz_utf8_check(eq + 1, vl);
    if (bad < vl) {
        fz_cli_error("--set %s: the value is not valid UTF-8 (byte 0x%02x at offset %zu)",
                     shown, (unsigned char)eq[1 + bad], bad);
        return 1;
    }
    return 0;
}

/*==========================================================================
 * The journal, for runs, resume and signal
 *========================================================================*/

void fz_cli_journal_path(const char *db, char *out, size_t n)
{
    const char *env = getenv("FLOWZAP_DB");
    if (db && *db)
        snprintf(out, n, "%s", db);
    else if (env && *env)
        snprintf(out, n, "%s", env);
    else
        snprintf(out, n, "%s", FZ_JOURNAL_DEFAULT_PATH);
}

/* Parses a run id; 0 when s is not a positive integer. */
int64_t fz_cli_parse_run_id(const char *s)
{
    uint64_t v = 0;
    if (fz_cli_parse_u64(s, INT64_MAX, &v) || v == 0)
        return 0;
    return (int64_t)v;
}

/* Opens the journal for commands that read or answer runs: a missing file
 * is not created; it holds no run, so missing_status is returned (with a
 * message unless quiet). */
int fz_cli_pg_connect_timeout(void)
{
    const char *v = getenv("FLOWZAP_PG_CONNECT_TIMEOUT");
    const char *pg = getenv("PGCONNECT_TIMEOUT");
    uint64_t s = 0;
    if (v) { /* set but empty is refused, as any other non-number */
        if (fz_cli_parse_u64(v, 3600, &s) || s == 0) {
            fz_cli_error("FLOWZAP_PG_CONNECT_TIMEOUT is a number of seconds from 1 to 3600, "
                         "not '%s'",
                         v);
            return FZ_EXIT_USAGE;
        }
        fz_journal_set_pg_connect_timeout((uint32_t)s);
    } else if (pg && *pg)
        fz_journal_set_pg_connect_timeout(0); /* libpq reads it */
    return FZ_EXIT_OK;
}

int fz_cli_journal_open_status(int rc)
{
    return rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : rc == FZ_ETIMEOUT ? FZ_EXIT_TIMEOUT : FZ_EXIT_IO;
}

int fz_cli_journal_open_existing(const char *db, fz_journal **j, char *path, size_t n,
                                 int missing_status, int quiet)
{
    int status = fz_cli_pg_connect_timeout();
    if (status)
        return status;
    fz_cli_journal_path(db, path, n);
    struct stat st;
    if (!fz_journal_location_is_postgres(path) && stat(path, &st) != 0) {
        if (!quiet)
            fz_cli_error("no journal at '%s': no run was recorded there (--db or $FLOWZAP_DB "
                         "names another)",
                         path);
        return missing_status;
    }
    int rc = fz_journal_open(path, FZ_JOURNAL_SYNC_FULL, NULL, j);
    if (rc) {
        fz_cli_error("%s", rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(*j));
        fz_journal_free(*j);
        *j = NULL;
        return rc == FZ_ETIMEOUT ? FZ_EXIT_TIMEOUT : FZ_EXIT_IO;
    }
    snprintf(path, n, "%s", fz_journal_where(*j)); /* password masked */
    return FZ_EXIT_OK;
}

/* Opens the journal and reads run id for `resume` and `signal` (what names
 * the command in messages). Returns FZ_EXIT_OK with *j open, or the exit
 * status: an unknown run is refused, a broken journal is an I/O error. */
int fz_cli_journal_open_run(const char *db, int64_t id, const char *what, fz_journal **j,
                            char *path, size_t n, fz_journal_run *r)
{
    int status = fz_cli_journal_open_existing(db, j, path, n, FZ_EXIT_REFUSED, 0);
    if (status)
        return status;
    int rc = fz_journal_run_get(*j, id, r);
    if (rc) {
        fz_cli_error("%s: %s at %s", what, fz_journal_errmsg(*j), path);
        fz_journal_free(*j);
        *j = NULL;
        return rc == FZ_ENOENT ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}
