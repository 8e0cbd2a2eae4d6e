/* SPDX-License-Identifier: MIT */
/*
 * stepexec.c - a worker's steps of other runs (cli/stepexec.h): claiming
 * a queued step of one of its lanes, running it in a process of its own
 * through the code path of `resume` (files checked, run rebuilt by
 * replay, the same handlers and secrets as `run`), the step's lease.
 */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700

#include "cli/stepexec.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
#include "cli/runrequest.h"
#include "core/alloc.h"
#include "core/status.h"
#include "core/term.h"
#include "core/utf8.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fz_cli_steps_init(fz_cli_steps *ss, int max, const char *loc, const char *me, double lease)
{
    memset(ss, 0, sizeof *ss);
    ss->max = max < 1 ? 1 : max > 256 ? 256 : max;
    ss->loc = loc;
    ss->me = me;
    ss->lease = lease;
    ss->beat = now_s();
}

/* An exit status of a step's process that refused its step before any
 * handler ran (files changed here, bad bindings, a secret this host
 * lacks, the run not rebuilt, the lease lost): given back at once. */
static int refused_status(int code)
{
    return code == FZ_EXIT_REFUSED || code == FZ_EXIT_INVALID || code == FZ_EXIT_UNBOUND ||
           code == FZ_EXIT_SECRET || code == FZ_EXIT_USAGE;
}

/* In the step's process, which refused claimed step c with status: the
 * lease is given back at once with why (the process's last message), so
 * that the next claim need not wait for it to run out. On j, or on a
 * connection of its own when the run took j over. */
static void record_refusal(const fz_cli_steps *ss, fz_journal *j, const fz_journal_step_lease *c,
                           int status)
{
    char why[512], msg[400];
    snprintf(msg, sizeof msg, "%s", fz_cli_last_error());
    if (!msg[0]) {
        /* No message of its own (a workflow's diagnostics): the status. */
        const char *text = "refused";
#define FZ__EXIT_TEXT(name, code, t)                                                               \
    if (status == (code))                                                                          \
        text = t;
        FZ_EXIT_MAP(FZ__EXIT_TEXT)
#undef FZ__EXIT_TEXT
        snprintf(msg, sizeof msg, "exit status %d (%s)", status, text);
    }
    snprintf(why, sizeof why, "worker %.80s: %s", ss->me, msg);
    /* Text a journal takes: a byte that is no UTF-8 (or a sequence the
     * bounds above cut) becomes U+FFFD. */
    size_t wl = 0;
    char *text = fz_utf8_repair(NULL, why, strlen(why), &wl);
    fz_journal *own = NULL;
    if (!j && fz_journal_open(ss->loc, FZ_JOURNAL_SYNC_FULL, NULL, &own) == 0)
        j = own;
    if (j && text && fz_journal_step_refused(j, c->run, c->task, c->epoch, text) != 0)
        fz_cli_error("run %lld, step %u: %s", (long long)c->run, c->task, fz_journal_errmsg(j));
    fz_journal_free(own);
    if (text)
        fz_free(NULL, text, wl + 1);
}

/* In the step's process: the run's recorded command line, in its
 * directory, through fz_cli_run_workflow in step mode (fz_cli_step).
 * Returns an exit status (0: the step ran and its finish is recorded). */
static int exec_step(const fz_cli_steps *ss, const fz_journal_step_lease *c)
{
    fz_journal *j = NULL;
    int rc = fz_journal_open(ss->loc, FZ_JOURNAL_SYNC_FULL, NULL, &j);
    if (rc) {
        fz_cli_error("%s", rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(j));
        fz_journal_free(j);
        return fz_cli_journal_open_status(rc); /* 75: the server did not answer */
    }
    fz_journal_run r;
    if ((rc = fz_journal_run_get(j, c->run, &r)) != 0) {
        fz_cli_error("run %lld, step %u: %s", (long long)c->run, c->task, fz_journal_errmsg(j));
        if (rc == FZ_ENOENT)
            record_refusal(ss, j, c, FZ_EXIT_REFUSED);
        fz_journal_free(j);
        return rc == FZ_ENOENT ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
    }
    json_t *args = json_loads(r.args ? r.args : "", 0, NULL);
    size_t n = json_is_array(args) ? json_array_size(args) : 0;
    char **av = n >= 2 && r.cwd ? calloc(n + 1, sizeof *av) : NULL;
    int status = FZ_EXIT_OK;
    if (!av) {
        fz_cli_error("run %lld, step %u: the journal lacks the run's command line",
                     (long long)c->run, c->task);
        status = FZ_EXIT_REFUSED;
    } else if (chdir(r.cwd) != 0) {
        fz_cli_error("run %lld, step %u: cannot enter the run's directory '%s': %s",
                     (long long)c->run, c->task, r.cwd, strerror(errno));
        status = FZ_EXIT_REFUSED;
    }
    if (status) {
        record_refusal(ss, j, c, status);
        free(av);
        json_decref(args);
        fz_journal_free(j);
        return status;
    }
    for (size_t i = 0; i < n; i++)
        av[i] = (char *)json_string_value(json_array_get(args, i));
    fz_cli_resume res = {.j = j, .id = c->run};
    snprintf(res.path, sizeof res.path, "%s", fz_journal_where(j));
    fz_cli_step = (fz_cli_step_req){1, c->task, c->attempt, c->epoch};
    fz_run_request req;
    status = fz_cli_run_request_parse((int)n, av, &req);
    if (status == 0) {
        req.resume = &res;
        req.quiet = 1;
        status = fz_cli_run_workflow(&req);
        if (status == FZ_CLI_STEP_RAN)
            status = FZ_EXIT_OK;
        else if (status == FZ_EXIT_OK)
            status = FZ_EXIT_SOFTWARE; /* the step was not run */
    } else
        status = FZ_EXIT_REFUSED;
    if (refused_status(status))
        record_refusal(ss, res.j, c, status);
    fz_cli_run_request_fini(&req);
    fz_journal_free(res.j); /* NULL once the run took it over */
    free(av);
    json_decref(args);
    return status;
}

void fz_cli_worker_child(pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(FZ_EXIT_SOFTWARE);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
}

/* Forks the process of claimed step c into slot s. Its own process group
 * (a lost lease kills it whole), dies with the worker, the worker's
 * signal handlers back to their defaults; it never uses the worker's
 * connection (nor closes it: nothing is sent on it). */
static int spawn_step(fz_cli_steps *ss, fz_cli_step_slot *s, const fz_journal_step_lease *c)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        s->pid = pid;
        s->run = c->run;
        s->task = c->task;
        s->epoch = c->epoch;
        s->renewed = now_s();
        return 0;
    }
    fz_cli_worker_child(parent);
    setenv("FLOWZAP_DB", ss->loc, 1);
    unsetenv("FLOWZAP_WORKER_LANES");
    fz_cli_set_command("worker");
    int status = exec_step(ss, c);
    fflush(NULL);
#if defined(__SANITIZE_ADDRESS__)
    /* _exit skips the leak check at exit: what the step left is reported
     * now (the asan preset's tests). */
    __lsan_do_leak_check();
#endif
    _exit(status);
}

/* Step c was claimed FZ_JOURNAL_STEP_TRIES times before this claim and
 * never finished (refused, or its process died each time): this worker
 * records its finish as an error, fenced on this claim's epoch, for the
 * owner to route like a handler's error. */
static void give_up(const fz_cli_steps *ss, fz_journal *j, const fz_journal_step_lease *c)
{
    char why[1024];
    int n = snprintf(why, sizeof why, "claimed %u times by workers of lane %s without a finish",
                     c->claims - 1, c->lane);
    if (c->refusal[0] && n > 0 && (size_t)n < sizeof why)
        snprintf(why + n, sizeof why - (size_t)n, "; the last refusal: %s", c->refusal);
    int rc = fz_journal_step_give_up(j, c->run, c->task, c->epoch, why);
    if (rc)
        fz_cli_error("worker: %s", fz_journal_errmsg(j));
    else {
        /* The refusal quotes paths and names: escaped for the terminal. */
        fprintf(stderr, "flowzap: worker %s: step %u of run %lld recorded as an error: ", ss->me,
                c->task, (long long)c->run);
        fz_term_put(stderr, why, strlen(why), 0);
        fputc('\n', stderr);
    }
}

int fz_cli_steps_claim(fz_cli_steps *ss, fz_journal *j, const char *lanes)
{
    int claimed = 0;
    while (ss->busy < ss->max) {
        fz_journal_step_lease c;
        int r = fz_journal_step_claim(j, ss->me, lanes, (uint32_t)(ss->lease * 1000), &c);
        if (r < 0) {
            fz_cli_error("worker: %s", fz_journal_errmsg(j));
            break;
        }
        if (r == 0)
            break;
        if (c.claims > FZ_JOURNAL_STEP_TRIES) {
            give_up(ss, j, &c);
            continue;
        }
        fz_cli_step_slot *s = NULL;
        for (int i = 0; i < ss->max && !s; i++)
            if (!ss->s[i].pid)
                s = &ss->s[i];
        if (!s || spawn_step(ss, s, &c) != 0) {
            fz_cli_error("worker: cannot start a process: %s", strerror(errno));
            fz_journal_step_release(j, c.run, c.task, c.epoch);
            break;
        }
        fprintf(stderr,
                "flowzap: worker %s: step %u of run %lld (attempt %u, lease epoch %lld) in "
                "process %ld\n",
                ss->me, c.task, (long long)c.run, c.attempt, (long long)c.epoch, (long)s->pid);
        ss->busy++;
        claimed++;
    }
    return claimed;
}

int fz_cli_steps_reaped(fz_cli_steps *ss, fz_journal *j, pid_t pid, int st)
{
    for (int i = 0; i < ss->max; i++) {
        fz_cli_step_slot *s = &ss->s[i];
        if (s->pid != pid || !pid)
            continue;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        fprintf(stderr, "flowzap: worker %s: step %u of run %lld: exit status %d (process %ld)\n",
                ss->me, s->task, (long long)s->run, code, (long)pid);
        /* Recorded: its row is gone. Interrupted, or refused before any
         * handler ran (its process gave it back already, with why, when it
         * could): given back now, for the next claim to come at once; at
         * the FZ_JOURNAL_STEP_TRIES + 1st claim the step ends as an error
         * (give_up). Else (the journal failing, a crash) the lease runs
         * out first, a back-off, and a worker of the lane takes it again. */
        int refused = refused_status(code);
        if (code == FZ_EXIT_INTERRUPTED || refused)
            fz_journal_step_release(j, s->run, s->task, s->epoch);
        memset(s, 0, sizeof *s);
        ss->busy--;
        return refused ? 2 : 1;
    }
    return 0;
}

/* Kills a step's or a run's process whole: frozen first (SIGSTOP: no
 * handler starts meanwhile), then each of its handlers' process groups (a
 * handler runs in a group of its own, a child of the process), then its
 * own group. */
void fz_cli_kill_whole(pid_t pid)
{
    kill(-pid, SIGSTOP);
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
    FILE *f = fopen(path, "r");
    long c;
    while (f && fscanf(f, "%ld", &c) == 1 && c > 1) {
        pid_t g = getpgid((pid_t)c);
        kill(g == (pid_t)c ? -g : (pid_t)c, SIGKILL);
    }
    if (f)
        fclose(f);
    kill(-pid, SIGKILL);
}

void fz_cli_steps_heartbeat(fz_cli_steps *ss, fz_journal *j)
{
    if (!ss->busy || now_s() - ss->beat < ss->lease / 3)
        return;
    ss->beat = now_s();
    for (int i = 0; i < ss->max; i++) {
        fz_cli_step_slot *s = &ss->s[i];
        if (!s->pid)
            continue;
        int r = fz_journal_step_renew(j, s->run, s->task, s->epoch, (uint32_t)(ss->lease * 1000));
        if (!r)
            s->renewed = now_s();
        if (r == FZ_ESTATE || (r && now_s() - s->renewed >= ss->lease * 2 / 3)) {
            /* The process may have recorded the step and be ending: its
             * row is gone then, and killing it loses nothing. */
            int st, gone = 0;
            for (int k = 0; k < 20 && !gone; k++) {
                gone = waitpid(s->pid, &st, WNOHANG) == s->pid;
                if (!gone && r == FZ_ESTATE) {
                    struct timespec ts = {0, 10000000};
                    nanosleep(&ts, NULL); /* a process ending after its finish */
                } else if (!gone)
                    break;
            }
            if (gone) {
                fz_cli_steps_reaped(ss, j, s->pid, st);
                continue;
            }
            fz_cli_error("worker: %s: stopping step %u of run %lld", fz_journal_errmsg(j), s->task,
                         (long long)s->run);
            fz_cli_kill_whole(s->pid);
        }
    }
}

void fz_cli_steps_stop(fz_cli_steps *ss, fz_journal *j)
{
    for (int i = 0; i < ss->max; i++)
        if (ss->s[i].pid)
            kill(-ss->s[i].pid, SIGINT);
    for (int i = 0; i < ss->max; i++) {
        fz_cli_step_slot *s = &ss->s[i];
        if (!s->pid)
            continue;
        int st;
        while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
            ;
        fz_journal_step_release(j, s->run, s->task, s->epoch);
        memset(s, 0, sizeof *s);
    }
    ss->busy = 0;
}
