/* SPDX-License-Identifier: MIT */
/*
 * cmd_serve.c - `flowzap serve`: the web page over the journal and the
 * workflow files named on the command line (serve/, docs/serve.md).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "core/status.h"
#include "serve/request.h"
#include "serve/serve.h"

extern char **environ;

const fz_cli_opt fz_serve_options[] = {
    {"db", 0, FZ_OPT_VALUE, "PATH", "the journal (default $FLOWZAP_DB, else .flowzap/runs.db)"},
    {"listen", 0, FZ_OPT_VALUE, "ADDR:PORT",
     "numeric address and port (default 127.0.0.1:7040; port 0 picks a free one; [::1]:PORT for IPv6)"},
    {"open", 0, FZ_OPT_FLAG, NULL, "open the address in the browser (xdg-open)"},
    {"watch", 0, FZ_OPT_FLAG, NULL, "redraw a workflow's page when its file is saved"},
    {"sim", 0, FZ_OPT_VALUE, "REPORT.json", "also serve a `flowzap sim --json` report at /sim"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void serve_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap serve [--db PATH] [--listen ADDR:PORT] [--open] [--watch]\n"
                "                     [--sim REPORT.json] [FILE.fz | DIR]...\n"
                "\n"
                "Serves a web page of the journal's runs (live, with each run's diagram\n"
                "painted by node state and its approval gates' Approve/Reject buttons) and\n"
                "of the workflow files named here (diagram and check diagnostics). Prints\n"
                "the address to open, which holds the token every request needs.\n",
                fz_serve_options,
                "A DIR serves the .fz files in it. Stop with Ctrl-C.\n"
                "Exit status: 0 stopped; 64 bad command line; 74 a file could not be read\n"
                "or the address could not be listened on.\n");
}

typedef struct paths {
    char **v;
    uint32_t n, cap;
} paths;

static int add_path(paths *p, const char *s)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 8;
        char **v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    if (!(p->v[p->n] = strdup(s)))
        return -1;
    p->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A DIR operand: its .fz files, sorted. */
static int add_dir(paths *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    uint32_t first = p->n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".fz") || e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        if (add_path(p, path)) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    qsort(p->v + first, p->n - first, sizeof *p->v, cmp_str);
    return 0;
}

static void open_browser(const char *url)
{
    pid_t pid;
    char prog[] = "xdg-open";
    char *argv[] = {prog, (char *)url, NULL};
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) != 0) {
        fz_cli_error("--open: cannot run xdg-open; open the address yourself");
        return;
    }
    waitpid(pid, NULL, 0);
}

int fz_cmd_serve(int argc, char **argv)
{
    int st0 = fz_cli_parse("serve", fz_serve_options, &argc, &argv);
    if (st0)
        return st0;
    const char *db = NULL, *listen = "127.0.0.1:7040", *sim = NULL;
    int open = 0, watch = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--help")) {
            serve_usage(stdout);
            return FZ_EXIT_OK;
        }
        if (!strcmp(a, "--open"))
            open = 1;
        else if (!strcmp(a, "--watch"))
            watch = 1;
        else if (!strcmp(a, "--db"))
            db = argv[++i];
        else if (!strcmp(a, "--listen"))
            listen = argv[++i];
        else if (!strcmp(a, "--sim"))
            sim = argv[++i];
    }
    char host[64];
    uint16_t port = 0;
    if (fz_serve_parse_listen(listen, host, sizeof host, &port))
        return fz_cli_usage_error("--listen wants a numeric ADDR:PORT such as 127.0.0.1:7040 "
                                  "or [::1]:0, not '%s'",
                                  listen);
    paths files = {0};
    int status = FZ_EXIT_OK;
    for (; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st)) {
            fz_cli_error("cannot read '%s': %s", argv[i], strerror(errno));
            status = FZ_EXIT_IO;
            goto out;
        }
        if ((S_ISDIR(st.st_mode) ? add_dir(&files, argv[i]) : add_path(&files, argv[i])) != 0) {
            fz_cli_error("cannot read '%s': %s", argv[i], strerror(errno ? errno : ENOMEM));
            status = FZ_EXIT_IO;
            goto out;
        }
    }
    if (sim) {
        FILE *f = fopen(sim, "r");
        if (!f) {
            fz_cli_error("cannot read '%s': %s", sim, strerror(errno));
            status = FZ_EXIT_IO;
            goto out;
        }
        fclose(f);
    }
    if ((status = fz_cli_pg_connect_timeout()) != 0)
        goto out;
    char dbpath[4096];
    fz_cli_journal_path(db, dbpath, sizeof dbpath);
    fz_serve_opts o = {
        .db = dbpath,
        .host = host,
        .port = port,
        .files = (const char *const *)files.v,
        .nfiles = files.n,
        .watch = watch,
        .sim = sim,
        .sim_workflow = files.n ? files.v[0] : NULL,
    };
    /* Block the stop signals before the server's threads start, so that
     * only sigwait below takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    fz_serve *s = NULL;
    char err[1024];
    int rc = fz_serve_start(&o, &s, err, sizeof err);
    if (rc) {
        fz_cli_error("%s", err);
        status = rc == FZ_ETIMEOUT ? FZ_EXIT_TIMEOUT : FZ_EXIT_IO;
        goto out;
    }
    printf("flowzap serve: open %s\n", fz_serve_url(s));
    fflush(stdout);
    if (open)
        open_browser(fz_serve_url(s));
    int sig = 0;
    sigwait(&stop, &sig);
    fz_serve_stop(s);
out:
    for (uint32_t k = 0; k < files.n; k++)
        free(files.v[k]);
    free(files.v);
    return status;
}

/* `flowzap watch FILE...`: `flowzap serve --watch FILE...`. */
static void watch_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap watch [--db PATH] [--listen ADDR:PORT] [--open] FILE.fz|DIR...\n"
                "\n"
                "The same as `flowzap serve --watch`: a page per workflow file with its\n"
                "diagram and check diagnostics, redrawn in place when the file is saved\n"
                "(the last good picture kept while the text does not parse).\n",
                fz_serve_options, NULL);
}

int fz_cmd_watch(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            watch_usage(stdout);
            return FZ_EXIT_OK;
        }
    char **v = calloc((size_t)argc + 2, sizeof *v);
    if (!v) {
        fz_cli_error("out of memory");
        return FZ_EXIT_SOFTWARE;
    }
    char serve[] = "serve", watch[] = "--watch";
    v[0] = serve;
    v[1] = watch;
    for (int i = 1; i < argc; i++)
        v[i + 1] = argv[i];
    int st = fz_cmd_serve(argc + 1, v);
    free(v);
    return st;
}
