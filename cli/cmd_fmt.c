/* SPDX-License-Identifier: MIT */
/*
 * cmd_fmt.c - `flowzap fmt FILE... [-w] [--check]`: rewrite workflows in the
 * canonical layout (docs/fmt.md). Every result is parsed again and compared
 * with the original graph before it is printed or written, so a formatter
 * bug shows up as an internal error, never as a changed workflow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "parser/fmt.h"
#include "parser/parser.h"

typedef struct fmt_opts {
    int write, check, quiet;
} fmt_opts;

const fz_cli_opt fz_fmt_options[] = {
    {"write", 'w', FZ_OPT_FLAG, NULL, "rewrite the files in place (only those that change)"},
    {"check", 0, FZ_OPT_FLAG, NULL,
     "write nothing; list the files that are not formatted and exit 1 if there is any (for CI)"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "with --check or -w, do not list file names"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void fmt_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap fmt [OPTIONS] FILE...\n"
                "\n"
                "Prints each FlowZap Code file in the canonical layout on standard output\n"
                "(\"-\" reads standard input): lanes and top-level statements in file order,\n"
                "two-space indent, a lane's node lines first and its edge and loop lines after\n"
                "them, key:\"value\" on nodes, [label=\"...\"] on edges, lane prefixes exactly\n"
                "where an edge end is in another lane, // comments kept with the statement\n"
                "they precede, LF line ends. The graph never changes; fmt checks that by\n"
                "parsing its own output. Files with errors are reported as by check and left\n"
                "alone.\n",
                fz_fmt_options,
                "Exit status: 0 done (or all formatted), 1 --check found files to reformat,\n"
                "2 a file has errors, 74 a file could not be read or written, 70 internal\n"
                "error. docs/fmt.md describes the layout.\n");
}

/* Writes data to path through a temporary file in the same directory and a
 * rename, keeping the file's mode. Returns 0 or an errno value. */
static int write_atomic(const char *path, const char *data, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return ENOMEM;
    snprintf(tmp, plen + 16, "%s.fmt-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
    }
    struct stat st;
    if (stat(path, &st) == 0)
        (void)fchmod(fd, st.st_mode & 07777);
    FILE *f = fdopen(fd, "w");
    int err = 0;
    if (!f) {
        err = errno;
        close(fd);
    } else {
        if (fwrite(data, 1, len, f) != len)
            err = errno ? errno : EIO;
        if (fclose(f) != 0 && !err)
            err = errno ? errno : EIO;
    }
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err)
        unlink(tmp);
    free(tmp);
    return err;
}

static int fmt_one(const char *path, const fmt_opts *o, int *changed)
{
    fz_graph *g = NULL, *again = NULL;
    fz_vec buf;
    fz_vec_init(&buf, 1, NULL);
    fz_diags d;
    fz_diags_init(&d, NULL);
    int status = fz_cli_load(path, 0, &g);
    if (status != FZ_EXIT_OK)
        goto out;
    int rc = fz_fmt(g, &buf);
    if (rc) {
        fz_cli_error("'%s': %s", path, fz_strerror(rc));
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }
    /* The safety net: the output must read back as the same graph. */
    char why[256] = "";
    rc = fz_parse_mem(path, buf.data ? buf.data : "", buf.len, NULL, &d, &again);
    if (rc || d.errors || !fz_fmt_same_graph(g, again, why, sizeof(why))) {
        fz_cli_error("'%s': internal error: the formatted text %s; file left unchanged", path,
                     rc || d.errors ? "does not parse" : "is a different graph");
        if (why[0])
            fz_cli_error("  first difference: %s", why);
        status = FZ_EXIT_SOFTWARE;
        goto out;
    }
    *changed = buf.len != g->src_len || memcmp(buf.data, g->src, buf.len) != 0;
    if (o->check) {
        if (*changed && !o->quiet)
            printf("%s\n", path);
    } else if (o->write) {
        if (*changed) {
            if (strcmp(path, "-") == 0) {
                fz_cli_error("fmt: -w cannot rewrite standard input");
                status = FZ_EXIT_USAGE;
                goto out;
            }
            int err = write_atomic(path, buf.data, buf.len);
            if (err) {
                fz_cli_error("cannot write '%s': %s", path, strerror(err));
                status = FZ_EXIT_IO;
                goto out;
            }
            if (!o->quiet)
                printf("%s\n", path);
        }
    } else if (buf.len && fwrite(buf.data, 1, buf.len, stdout) != buf.len) {
        status = FZ_EXIT_IO;
    }
out:
    fz_graph_free(again);
    fz_graph_free(g);
    fz_diags_fini(&d);
    fz_vec_fini(&buf);
    return status;
}

int fz_cmd_fmt(int argc, char **argv)
{
    fmt_opts o = {0, 0, 0};
    int nfiles = 0, only_files = 0;
    int st0 = fz_cli_parse("fmt", fz_fmt_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0)
            argv[1 + nfiles++] = argv[i];
        else if (strcmp(a, "--") == 0)
            only_files = 1;
        else if (strcmp(a, "-w") == 0 || strcmp(a, "--write") == 0)
            o.write = 1;
        else if (strcmp(a, "--check") == 0)
            o.check = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            o.quiet = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fmt_usage(stdout);
            return FZ_EXIT_OK;
        } else {
            fz_cli_usage_error("fmt: unknown option '%s'", a);
            return FZ_EXIT_USAGE;
        }
    }
    if (nfiles == 0) {
        fz_cli_usage_error("fmt: no file given");
        return FZ_EXIT_USAGE;
    }
    if (o.write && o.check) {
        fz_cli_error("fmt: -w and --check exclude each other");
        return FZ_EXIT_USAGE;
    }
    int worst = FZ_EXIT_OK, unformatted = 0;
    for (int i = 0; i < nfiles; i++) {
        int changed = 0;
        int st = fmt_one(argv[1 + i], &o, &changed);
        if (st > worst)
            worst = st;
        if (st == FZ_EXIT_OK && changed)
            unformatted++;
    }
    fflush(stdout);
    if (worst == FZ_EXIT_OK && o.check && unformatted) {
        if (!o.quiet)
            fz_cli_error("%d file%s not formatted (flowzap fmt -w fixes %s)", unformatted,
                         unformatted == 1 ? "" : "s", unformatted == 1 ? "it" : "them");
        return FZ_EXIT_WARNINGS;
    }
    return worst;
}
