/* SPDX-License-Identifier: MIT */
/* common.c - what every subcommand shares: loading a file, printing diagnostics. */
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
#include "cli/term.h"
#include "core/status.h"
#include "core/term.h"
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
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
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
