/* SPDX-License-Identifier: MIT */
/*
 * cmd_worker.c - `flowzap submit` (record a run and queue it in a
 * PostgreSQL journal) and `flowzap worker` (claim queued runs under a
 * lease and run them, each in a child `flowzap resume`, the code path of
 * every resumed run). docs/scale.md describes the model and its
 * guarantees.
 */
/* pipe2() is a GNU extension. */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "cli/stepexec.h"
#include "core/status.h"

const fz_cli_opt fz_submit_options[] = {
    {"bindings", 'b', FZ_OPT_VALUE, "FILE", "the bindings file (as for run)"},
    {"set", 0, FZ_OPT_VALUE, "NAME=VALUE", "a variable of the run (as for run; repeatable)"},
    {"db", 0, FZ_OPT_VALUE, "LOCATION",
     "the PostgreSQL journal: postgres://... or a libpq keyword string (default: $FLOWZAP_DB)"},
    {"wait", 0, FZ_OPT_FLAG, NULL,
     "wait for the run's outcome and exit as run does (0 completed, 3 failed)"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void submit_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap submit FILE --bindings B [--set NAME=VALUE]... [--db LOCATION]\n"
                "                      [--wait]\n"
                "\n"
                "Records a run of FILE in a PostgreSQL journal and queues it for `flowzap\n"
                "worker`; prints its id. Workers need FILE and B at the same paths (a shared\n"
                "checkout). docs/scale.md.\n",
                fz_submit_options, NULL);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for run id to end; returns run's exit status. */
static int wait_outcome(fz_journal *j, int64_t id)
{
    int last = -1; /* 0: queued, 1: running */
    for (;;) {
        fz_journal_run r;
        int rc = fz_journal_run_get(j, id, &r);
        if (rc) {
            fz_cli_error("submit --wait: %s", fz_journal_errmsg(j));
            return FZ_EXIT_IO;
        }
        if (!strcmp(r.state, FZ_JOURNAL_COMPLETED) || !strcmp(r.state, FZ_JOURNAL_FAILED)) {
            fprintf(stderr, "flowzap: run %lld %s: %s (%u steps)\n", (long long)id, r.state,
                    r.outcome ? r.outcome : "no outcome", r.steps);
            return strcmp(r.state, FZ_JOURNAL_COMPLETED) ? FZ_EXIT_RUN_FAILED : FZ_EXIT_OK;
        }
        int now = !strcmp(r.state, FZ_JOURNAL_RUNNING);
        if (now != last)
            fprintf(stderr, "flowzap: run %lld %s\n", (long long)id, now ? "running" : "queued");
        last = now;
        nap_ms(200);
    }
}

int fz_cmd_submit(int argc, char **argv)
{
    int st0 = fz_cli_parse("submit", fz_submit_options, &argc, &argv);
    if (st0)
        return st0;
    const char *db = NULL, *file = NULL, *bindings = NULL;
    int wait = 0;
    /* The run's own command line, as `resume` will read it back. */
    char **av = calloc((size_t)argc + 2, sizeof *av);
    if (!av)
        return FZ_EXIT_SOFTWARE;
    int n = 0;
    static char w_run[] = "run", w_bindings[] = "--bindings", w_set[] = "--set";
    av[n++] = w_run;
    int status = FZ_EXIT_OK;
    for (int i = 1; i < argc && !status; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            submit_usage(stdout);
            free(av);
            return FZ_EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(a, "--db=", 5))
            db = a + 5;
        else if (!strcmp(a, "--wait"))
            wait = 1;
        else if ((!strcmp(a, "--bindings") || !strcmp(a, "-b")) && i + 1 < argc) {
            av[n++] = w_bindings;
            av[n++] = argv[++i];
            bindings = argv[i];
        } else if (!strcmp(a, "--set") && i + 1 < argc) {
            av[n++] = w_set;
            av[n++] = argv[++i];
        } else if (a[0] != '-' && !file) {
            file = a;
            av[n++] = argv[i];
        } else
            status = fz_cli_usage_error("submit: unexpected argument '%s'", a);
    }
    if (!status && (!file || !bindings))
        status = fz_cli_usage_error("submit: give a workflow FILE and --bindings B");
    fz_cli_journal cj;
    memset(&cj, 0, sizeof cj);
    if (!status) {
        char loc[4096];
        fz_cli_journal_path(db, loc, sizeof loc);
        if (!fz_journal_location_is_postgres(loc))
            status = fz_cli_usage_error(
                "submit: the run queue needs a PostgreSQL journal (--db postgres://... or "
                "$FLOWZAP_DB); on one machine, use `flowzap run`");
    }
    fz_graph *g = NULL;
    if (!status)
        status = fz_cli_load(file, 0, &g);
    fz_graph_free(g);
    if (!status)
        status = fz_cli_journal_open(&cj, db, NULL);
    if (!status) {
        cj.quiet = 1;
        status = fz_cli_journal_begin(&cj, file, bindings, n, av);
    }
    if (!status) {
        int rc = fz_journal_queue_add(cj.j, cj.run);
        if (rc) {
            fz_cli_error("submit: %s", fz_journal_errmsg(cj.j));
            status = FZ_EXIT_IO;
        }
    }
    if (!status) {
        printf("%lld\n", (long long)cj.run);
        fflush(stdout);
        fprintf(stderr, "flowzap: run %lld queued in %s\n", (long long)cj.run, cj.path);
        if (wait)
            status = wait_outcome(cj.j, cj.run);
    }
    fz_cli_journal_close(&cj);
    free(av);
    return status;
}

/*==========================================================================
 * flowzap worker
 *========================================================================*/

const fz_cli_opt fz_worker_options[] = {
    {"db", 0, FZ_OPT_VALUE, "LOCATION",
     "the PostgreSQL journal: postgres://... or a libpq keyword string (default: $FLOWZAP_DB)"},
    {"concurrency", 0, FZ_OPT_VALUE, "N", "runs at once (default 1)"},
    {"lane", 0, FZ_OPT_VALUE, "LANE",
     "run only the steps of nodes in lane LANE (its identifier; repeatable); a run's steps of "
     "other lanes are queued for workers of those lanes (default: every lane)"},
    {"lease", 0, FZ_OPT_VALUE, "S", "lease length in seconds (default 10; renewed every S/3)"},
    {"poll", 0, FZ_OPT_VALUE, "S", "look for work at least this often, in seconds (default 1)"},
    {"exit-idle", 0, FZ_OPT_VALUE, "S",
     "exit once no run was claimable for S seconds (default: never)"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void worker_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap worker [--db LOCATION] [--concurrency N] [--lane LANE]...\n"
                "                      [--lease S] [--poll S] [--exit-idle S]\n"
                "\n"
                "Claims queued runs of a PostgreSQL journal (FOR UPDATE SKIP LOCKED), each\n"
                "under a lease it renews, and runs them as `flowzap resume` does, N at a\n"
                "time. docs/scale.md.\n",
                fz_worker_options, NULL);
}

/* Claims of a run its process refuses before it is failed. */
#define FZ_WORKER_TRIES 5

typedef struct slot {
    pid_t pid;          /* the slot's run process, 0: none (made at the next claim) */
    int cmd;            /* the worker's end of the socket the process reads runs from */
    int64_t run, epoch; /* the run it serves, 0: idle */
    double renewed;     /* when its lease was last claimed or renewed */
    int reported;       /* the run's exit status, reported by a process that
                           then ends; -1: none */
} slot;

static volatile sig_atomic_t stopping;
static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the worker waits on with the journal's socket: a pipe of 8-byte
 * records (pid, exit status), each written whole (less than PIPE_BUF).
 * A run process writes one when it has served a run; the SIGCHLD handler
 * writes (0, 0) when a process ended. So a run's end is seen at once. */
typedef struct done_rec {
    int32_t pid, status;
} done_rec;
static int chld_pipe[2] = {-1, -1};
static void on_chld(int sig)
{
    (void)sig;
    int e = errno;
    done_rec d = {0, 0};
    if (chld_pipe[1] >= 0 && write(chld_pipe[1], &d, sizeof d) < 0) {
        /* full: a wake is pending anyway */
    }
    errno = e;
}

/* What exec did for the child before runs were forked without it: every
 * descriptor marked close-on-exec is closed (the worker's own database
 * connection among them: the child never uses it, and closing its copy
 * sends nothing on it), every other one is inherited; but keep[0..nkeep),
 * the connection opened for the child and its two pipes to the worker
 * (still close-on-exec: no step inherits them). */
static void close_cloexec_fds(const int *keep, int nkeep)
{
    DIR *d = opendir("/proc/self/fd");
    int skip = d ? dirfd(d) : -1;
    int fds[1024], n = 0;
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < (int)(sizeof fds / sizeof fds[0])) {
            char *end = NULL;
            long fd = strtol(de->d_name, &end, 10);
            if (end != de->d_name && !*end && fd > 2 && fd != skip)
                fds[n++] = (int)fd;
        }
        closedir(d);
    } else {
        for (int fd = 3; fd < 1024; fd++)
            fds[n++] = fd;
    }
    for (int i = 0; i < n; i++) {
        int kept = 0;
        for (int k = 0; k < nkeep; k++)
            kept |= keep[k] == fds[i];
        int fl = kept ? -1 : fcntl(fds[i], F_GETFD);
        if (fl >= 0 && (fl & FD_CLOEXEC))
            close(fds[i]);
    }
}

/* Reads exactly n bytes; 0 at the end of the stream, -1 on an error. */
static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r == 0)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 1;
}

/* The body of a run process: serves the runs the worker sends on cmd, one
 * at a time, each through the code path of `flowzap resume RUN
 * --kill-orphans` (fz_cmd_resume) on the same connection, kept from run
 * to run; reports each run's exit status on done. Ends when the worker
 * closes cmd (or dies: PR_SET_PDEATHSIG). */
static void serve_runs(int cmd, int done, fz_journal *j)
{
    /* The connection is opened, and its statements prepared, before the
     * first run comes (each slot's process at once, side by side); one
     * that cannot be opened now is left to the first run, as resume
     * opens it. */
    if (!j) {
        const char *loc = getenv("FLOWZAP_DB");
        if (loc && fz_journal_open(loc, FZ_JOURNAL_SYNC_FULL, NULL, &j) == 0)
            fz_journal_prepare(j); /* what is not prepared is at first use */
        else {
            fz_journal_free(j);
            j = NULL;
        }
    }
    fz_cli_resume_keep = 1;
    static char w_resume[] = "resume", w_kill[] = "--kill-orphans";
    for (;;) {
        int64_t run;
        if (read_full(cmd, &run, sizeof run) != 1)
            break;
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)run);
        char *av[] = {w_resume, id, w_kill, NULL};
        unsigned mark = fz_cli_parse_mark();
        fz_cli_resume_journal = j;
        fz_cli_set_command("resume");
        int status = fz_cmd_resume(3, av);
        fflush(NULL);
        fz_cli_parse_release(mark);
        j = fz_cli_resume_journal;
        fz_cli_resume_journal = NULL;
        done_rec d = {(int32_t)getpid(), status};
        while (write(done, &d, sizeof d) < 0 && (errno == EINTR || errno == EAGAIN))
            nap_ms(1);
        /* Only a run that finished (completed or failed) leaves this
         * process serving: a run that stopped unfinished (handed over to
         * another lane, interrupted, the journal unwritable, refused)
         * still names this process as its owner, which must be gone for
         * the run's next claim to succeed, and a connection that failed is
         * not trusted with another run. */
        if (status != FZ_EXIT_OK && status != FZ_EXIT_RUN_FAILED)
            break;
    }
    fz_cli_resume_keep = 0;
    fz_journal_free(j);
    fflush(NULL);
#if defined(__SANITIZE_ADDRESS__)
    /* _exit skips the leak check at exit: what the runs served here left
     * behind is reported now (the asan preset's tests). */
    __lsan_do_leak_check();
#endif
    _exit(FZ_EXIT_OK);
}

/* Makes slot s's run process: forked, not executed (no second start-up
 * of the program). It has its own process group (the lease's loss kills
 * it whole) and dies with the worker. It never uses the worker's database
 * connection: it takes over *spare, a connection the worker opened for it
 * while it waited (then NULL here), or its first run opens its own, as
 * resume does. Returns 0 or -1 (errno set). */
static int spawn_slot(slot *s, const char *loc, const char *lanes, fz_journal **spare)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    pid_t parent = getpid();
    /* Nothing buffered is written twice, by both processes. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) {
        close(sv[1]);
        if (pid < 0) {
            int e = errno;
            close(sv[0]);
            errno = e;
            return -1;
        }
        /* The spare connection is the child's now: dropped here, with
         * nothing sent on it. */
        if (*spare) {
            fz_journal_forget(*spare);
            *spare = NULL;
        }
        s->pid = pid;
        s->cmd = sv[0];
        return 0;
    }
    /* Each run installs its own signal handlers and restores these. */
    fz_cli_worker_child(parent);
    int done = chld_pipe[1];
    chld_pipe[0] = chld_pipe[1] = -1;
    /* The pipe is shared with the worker's SIGCHLD handler: each record is
     * written whole (a full pipe is waited out). */
    int keep[3] = {fz_journal_socket(*spare), sv[1], done};
    close_cloexec_fds(keep, 3);
    setenv("FLOWZAP_DB", loc, 1);
    if (*lanes)
        setenv("FLOWZAP_WORKER_LANES", lanes, 1);
    else
        unsetenv("FLOWZAP_WORKER_LANES");
    serve_runs(sv[1], done, *spare);
    _exit(FZ_EXIT_SOFTWARE);
}

/* Hands run to slot s's process. Returns 0, or -1 when the process is
 * gone (it is then killed and reaped: the slot is empty). */
static int send_run(slot *s, int64_t run)
{
    ssize_t w;
    do
        w = send(s->cmd, &run, sizeof run, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w == (ssize_t)sizeof run)
        return 0;
    kill(-s->pid, SIGKILL);
    int st;
    waitpid(s->pid, &st, 0);
    close(s->cmd);
    s->pid = 0;
    s->reported = -1;
    s->cmd = -1;
    return -1;
}

/* Leases of runs that ended, to give back with the worker's next claim
 * (fz_journal_queue_claim_after: one statement for both); what no claim
 * took is given back on its own before the worker waits. */
typedef struct ended {
    int64_t run, epoch;
} ended;
static ended pend[256];
static int npend;

static void release_pending(fz_journal *j)
{
    while (npend > 0) {
        npend--;
        if (fz_journal_queue_release(j, pend[npend].run, pend[npend].epoch))
            fz_cli_error("worker: %s", fz_journal_errmsg(j));
    }
}

/* Run s->run ended with exit status code (its process's report, or its
 * process's death): its lease is given back (with the next claim), the
 * slot is idle. A run its
 * process refuses (files changed or unreadable here, bad bindings, a
 * secret this host lacks, its last owner still alive) is left to its
 * lease, which runs out (a back-off), for this or another worker to try
 * again; at the fifth claim it ends as failed, the reason in the worker's
 * log. */
static void run_ended(fz_journal *j, const char *host, const char *me, slot *s, int code)
{
    fprintf(stderr, "flowzap: worker %s: run %lld: exit status %d (process %ld)\n", me,
            (long long)s->run, code, (long)s->pid);
    int refused = code == FZ_EXIT_INVALID || code == FZ_EXIT_REFUSED || code == FZ_EXIT_UNBOUND ||
                  code == FZ_EXIT_SECRET || code == FZ_EXIT_USAGE || code == FZ_EXIT_SOFTWARE;
    if (refused && s->epoch < FZ_WORKER_TRIES) {
        s->run = 0;
        return;
    }
    if (refused) {
        char why[96];
        snprintf(why, sizeof why, "worker %.60s could not run it (exit %d)", host, code);
        fz_journal_run r;
        if (fz_journal_run_get(j, s->run, &r) == 0 && strcmp(r.state, FZ_JOURNAL_COMPLETED) &&
            strcmp(r.state, FZ_JOURNAL_FAILED))
            fz_journal_run_set_state(j, s->run, FZ_JOURNAL_FAILED, why, NULL);
    }
    if (refused || npend == (int)(sizeof pend / sizeof pend[0])) {
        if (fz_journal_queue_release(j, s->run, s->epoch))
            fz_cli_error("worker: %s", fz_journal_errmsg(j));
    } else
        pend[npend++] = (ended){s->run, s->epoch};
    s->run = 0;
}

static int parse_secs(const char *what, const char *s, double *out)
{
    double v = 0;
    if (fz_cli_parse_decimal(s, &v) || !(v > 0) || v > 86400)
        return fz_cli_usage_error(
            "worker: --%s takes a number of seconds, more than 0 and at most 86400, not '%s'", what,
            s);
    *out = v;
    return FZ_EXIT_OK;
}

/* --concurrency: how many runs (and steps) at once, a count. */
static int parse_count(const char *s, double *out)
{
    uint64_t v = 0;
    if (fz_cli_parse_u64(s, 256, &v) || v == 0)
        return fz_cli_usage_error(
            "worker: --concurrency takes a count (runs at once), a whole number from 1 to 256, "
            "not '%s'",
            s);
    *out = (double)v;
    return FZ_EXIT_OK;
}

int fz_cmd_worker(int argc, char **argv)
{
    int st0 = fz_cli_parse("worker", fz_worker_options, &argc, &argv);
    if (st0)
        return st0;
    const char *db = NULL;
    double lease = 10, poll = 1, exit_idle = 0, conc = 1;
    char lanes[1024] = "";
    int status = FZ_EXIT_OK;
    for (int i = 1; i < argc && !status; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            worker_usage(stdout);
            return FZ_EXIT_OK;
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strncmp(a, "--db=", 5))
            db = a + 5;
        else if (!strcmp(a, "--concurrency") && v)
            status = parse_count(argv[++i], &conc);
        else if (!strcmp(a, "--lease") && v)
            status = parse_secs("lease", argv[++i], &lease);
        else if (!strcmp(a, "--poll") && v)
            status = parse_secs("poll", argv[++i], &poll);
        else if (!strcmp(a, "--exit-idle") && v)
            status = parse_secs("exit-idle", argv[++i], &exit_idle);
        else if (!strcmp(a, "--lane") && v) {
            const char *l = argv[++i];
            size_t n = strlen(l);
            /* A lane is an identifier (docs/language.md): letters, digits, _. */
            int ok = n > 0 && n < 100;
            for (size_t k = 0; k < n && ok; k++)
                ok = (l[k] >= 'a' && l[k] <= 'z') || (l[k] >= 'A' && l[k] <= 'Z') ||
                     (l[k] >= '0' && l[k] <= '9') || l[k] == '_';
            if (!ok || strlen(lanes) + n + 2 > sizeof lanes)
                status = fz_cli_usage_error("worker: --lane takes a lane's identifier (letters, "
                                            "digits, _), not '%s'",
                                            l);
            else {
                if (lanes[0])
                    strcat(lanes, ",");
                strcat(lanes, l);
            }
        } else
            status = fz_cli_usage_error("worker: unexpected argument '%s'", a);
    }
    if (status)
        return status;
    uint32_t gate_ms = 0; /* checked here for the runs' `resume`, which read it */
    if ((status = fz_cli_approval_poll_ms(&gate_ms)) != 0)
        return status;
    if ((status = fz_cli_pg_connect_timeout()) != 0)
        return status;
    char loc[4096];
    fz_cli_journal_path(db, loc, sizeof loc);
    if (!fz_journal_location_is_postgres(loc))
        return fz_cli_usage_error("worker: the run queue needs a PostgreSQL journal (--db "
                                  "postgres://... or $FLOWZAP_DB)");
    fz_journal *j = NULL;
    int rc = fz_journal_open(loc, FZ_JOURNAL_SYNC_FULL, NULL, &j);
    if (rc) {
        fz_cli_error("%s", rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(j));
        fz_journal_free(j);
        return rc == FZ_ETIMEOUT ? FZ_EXIT_TIMEOUT : FZ_EXIT_IO;
    }
    char host[128] = "", me[200];
    gethostname(host, sizeof host - 1);
    snprintf(me, sizeof me, "%s/%ld", host, (long)getpid());
    fprintf(stderr, "flowzap: worker %s serving %s, %d at a time, lanes: %s\n", me,
            fz_journal_where(j), (int)conc, lanes[0] ? lanes : "all");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        fz_cli_error("worker: cannot make a pipe: %s", strerror(errno));
        fz_journal_free(j);
        return FZ_EXIT_SOFTWARE;
    }
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);

    uint32_t lease_ms = (uint32_t)(lease * 1000);
    /* A statement waits for a lost connection a third of the lease at
     * most, so that the heartbeat can still stop a run in time. */
    fz_journal_set_patience(j, lease_ms / 3 ? lease_ms / 3 : 1);
    slot slots[256];
    memset(slots, 0, sizeof slots);
    int nslots = (int)conc, busy = 0;
    for (int i = 0; i < nslots; i++)
        slots[i].cmd = slots[i].reported = -1;
    double renewed = now_s(), idle_since = now_s(), spare_at = -1;
    fz_journal *spare = NULL;
    /* Steps other runs' owners queued for our lanes (cli/stepexec.c). */
    static fz_cli_steps steps;
    fz_cli_steps_init(&steps, nslots, loc, me, lease);
    int look_steps = 1;
    double steps_looked = 0;
    while (!stopping) {
        /* Runs that ended give their lease back: reported by their process
         * (which then waits for the next run), or their process died. */
        done_rec recs[64];
        ssize_t got;
        while ((got = read(chld_pipe[0], recs, sizeof recs)) > 0) {
            for (int k = 0; k < (int)(got / (ssize_t)sizeof recs[0]); k++) {
                for (int i = 0; i < nslots && recs[k].pid > 0; i++)
                    if (slots[i].pid == (pid_t)recs[k].pid && slots[i].run) {
                        /* A process whose run did not finish ends now
                         * (serve_runs): its lease is given back once it is
                         * gone, for the run's recorded owner (that process)
                         * to be dead when the run is claimed again. */
                        if (recs[k].status != FZ_EXIT_OK && recs[k].status != FZ_EXIT_RUN_FAILED) {
                            slots[i].reported = recs[k].status;
                            continue;
                        }
                        run_ended(j, host, me, &slots[i], recs[k].status);
                        busy--;
                    }
            }
        }
        int st;
        pid_t gone;
        while ((gone = waitpid(-1, &st, WNOHANG)) > 0) {
            int step = fz_cli_steps_reaped(&steps, j, gone, st);
            if (step) {
                look_steps |= step == 1; /* refused (2): at the next poll */
                continue;
            }
            for (int i = 0; i < nslots; i++) {
                if (slots[i].pid != gone)
                    continue;
                if (slots[i].run) {
                    run_ended(j, host, me, &slots[i],
                              slots[i].reported >= 0 ? slots[i].reported
                              : WIFEXITED(st)        ? WEXITSTATUS(st)
                                                     : 128 + WTERMSIG(st));
                    busy--;
                }
                /* The next claim for this slot makes a fresh process. */
                close(slots[i].cmd);
                slots[i].cmd = slots[i].reported = -1;
                slots[i].pid = 0;
            }
        }
        /* Heartbeat: a third of the lease. A lease that cannot be renewed
         * (lost, or the database unreachable until it would run out) stops
         * its run before another worker may take it. */
        if (busy && now_s() - renewed >= lease / 3) {
            for (int i = 0; i < nslots; i++) {
                if (!slots[i].run)
                    continue;
                int r = fz_journal_queue_renew(j, slots[i].run, slots[i].epoch, lease_ms);
                if (!r)
                    slots[i].renewed = now_s();
                /* Lost, or not renewed for two thirds of the lease: the run
                 * is stopped, its process with it, before the lease can run
                 * out under it. */
                if (r == FZ_ESTATE || (r && now_s() - slots[i].renewed >= lease * 2 / 3)) {
                    fz_cli_error("worker: %s: stopping run %lld", fz_journal_errmsg(j),
                                 (long long)slots[i].run);
                    fz_cli_kill_whole(slots[i].pid);
                }
            }
            renewed = now_s();
        }
        /* Every slot has its run process before a run comes for it: at
         * the worker's start (so the first runs pay no fork), and again
         * once a slot's process ended. Each process opens its connection
         * and prepares its statements at once (serve_runs), all of them
         * side by side, while the worker claims. A fork that fails is
         * tried again a second later, or at the next claim. */
        for (int i = 0; i < nslots && !stopping && now_s() - spare_at >= 1; i++) {
            if (slots[i].pid)
                continue;
            if (spawn_slot(&slots[i], loc, lanes, &spare) != 0) {
                spare_at = now_s();
                break;
            }
            fprintf(stderr, "flowzap: worker %s: slot %d ready in process %ld\n", me, i + 1,
                    (long)slots[i].pid);
        }
        fz_cli_steps_heartbeat(&steps, j);
        int claimed = 0;
        while (busy < nslots && !stopping) {
            int64_t run = 0, epoch = 0;
            ended done = npend > 0 ? pend[--npend] : (ended){0, 0};
            int r = fz_journal_queue_claim_after(j, me, lanes[0] ? lanes : NULL, lease_ms, done.run,
                                                 done.epoch, &run, &epoch);
            if (r < 0) {
                fz_cli_error("worker: %s", fz_journal_errmsg(j));
                if (done.run)
                    pend[npend++] = done; /* given back below */
                break;
            }
            if (r == 0)
                break;
            int i = 0;
            while (slots[i].run)
                i++;
            /* The slot's process serves the run; a slot without one (the
             * first run, or its process died or was killed) gets a fresh
             * one, as does a slot whose process is found gone. */
            int sent = -1;
            for (int tries = 0; tries < 2 && sent; tries++) {
                if (!slots[i].pid && spawn_slot(&slots[i], loc, lanes, &spare) != 0)
                    break;
                sent = send_run(&slots[i], run);
            }
            if (sent) {
                fz_cli_error("worker: cannot start a process: %s", strerror(errno));
                fz_journal_queue_release(j, run, epoch);
                break;
            }
            fprintf(stderr, "flowzap: worker %s: run %lld (lease epoch %lld) in process %ld\n", me,
                    (long long)run, (long long)epoch, (long)slots[i].pid);
            slots[i].run = run;
            slots[i].epoch = epoch;
            slots[i].renewed = now_s();
            busy++;
            claimed = 1;
        }
        release_pending(j);
        /* The step queue is looked at when a notification says a step
         * was queued, when a step's process ended (a slot is free for a
         * step that found none), and at least every poll: not each time
         * round the loop, which a run's end also turns. */
        if (fz_journal_queue_step_hint(j))
            look_steps = 1;
        if (!stopping && (look_steps || now_s() - steps_looked >= poll)) {
            look_steps = 0;
            steps_looked = now_s();
            if (fz_cli_steps_claim(&steps, j, lanes[0] ? lanes : NULL) > 0)
                claimed = 1;
        }
        if (claimed || busy || steps.busy)
            idle_since = now_s();
        else if (exit_idle > 0 && now_s() - idle_since >= exit_idle)
            break;
        /* NOTIFY (new work) and a run's end (the pipe) wake a worker
         * early; the poll bounds the wait either way, and the next
         * heartbeat when runs are in hand. */
        double wait = poll;
        if (busy) {
            double beat = renewed + lease / 3 - now_s();
            if (wait > beat)
                wait = beat > 0.001 ? beat : 0.001;
        }
        if (steps.busy && wait > lease / 3)
            wait = lease / 3;
        if (fz_journal_queue_wait_fd(j, (uint32_t)(wait * 1000), chld_pipe[0]))
            nap_ms((long)(wait * 1000));
    }
    release_pending(j);
    /* Stopped: the runs in hand are stopped too, and stay resumable; the
     * idle processes end when their socket closes. */
    for (int i = 0; i < nslots; i++)
        if (slots[i].pid && slots[i].run)
            kill(-slots[i].pid, SIGINT);
    for (int i = 0; i < nslots; i++) {
        if (!slots[i].pid)
            continue;
        close(slots[i].cmd);
        int st;
        waitpid(slots[i].pid, &st, 0);
        if (slots[i].run)
            fz_journal_queue_release(j, slots[i].run, slots[i].epoch);
    }
    fz_cli_steps_stop(&steps, j);
    fz_journal_free(spare);
    fz_journal_free(j);
    signal(SIGCHLD, SIG_DFL);
    close(chld_pipe[0]);
    close(chld_pipe[1]);
    chld_pipe[0] = chld_pipe[1] = -1;
    return stopping ? FZ_EXIT_INTERRUPTED : FZ_EXIT_OK;
}
