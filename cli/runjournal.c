/* SPDX-License-Identifier: MIT */
/*
 * runjournal.c - the journal's part of `flowzap run` and `flowzap resume`
 * (cli/runjournal.h): the database path, recording a run with what resume
 * needs (its arguments, directory and file hashes), and the replay.
 */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700

#include "cli/runjournal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "core/status.h"
#include "engine/secret.h"

/* A journal others can read holds every step's output: say so. */
static void warn_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
        fprintf(stderr,
                "flowzap: warning: the journal %s can be read or written by other users (mode "
                "%04o); it holds every step's output: chmod 600 %s\n",
                path, (unsigned)(st.st_mode & 07777), path);
}

int fz_cli_approval_poll_ms(uint32_t *ms)
{
    const char *v = getenv("FLOWZAP_APPROVAL_POLL_MS");
    uint64_t n = 0;
    *ms = 0;
    if (!v) /* set but empty is refused, as any other non-number */
        return FZ_EXIT_OK;
    if (fz_cli_parse_u64(v, 3600000, &n) || n == 0) {
        fz_cli_error("FLOWZAP_APPROVAL_POLL_MS is a number of milliseconds from 1 to 3600000, "
                     "not '%s'",
                     v);
        return FZ_EXIT_USAGE;
    }
    *ms = (uint32_t)n;
    return FZ_EXIT_OK;
}

int fz_cli_journal_open(fz_cli_journal *cj, const char *db, fz_cli_resume *resume)
{
    memset(cj, 0, sizeof *cj);
    int st = fz_cli_approval_poll_ms(&cj->gate_poll_ms);
    if (!st)
        st = fz_cli_pg_connect_timeout();
    if (st)
        return st;
    if (resume && resume->j) {
        cj->j = resume->j;
        resume->j = NULL;
        cj->run = resume->id;
        snprintf(cj->path, sizeof cj->path, "%s", resume->path);
        cj->resume_opts = resume->opts;
        cj->resuming = 1;
        cj->known = resume->known ? resume : NULL;
        if (fz_cli_step.on) {
            cj->step_on = 1;
            cj->step_task = fz_cli_step.task;
            cj->step_attempt = fz_cli_step.attempt;
            cj->step_epoch = fz_cli_step.epoch;
        }
        warn_mode(cj->path);
        return FZ_EXIT_OK;
    }
    fz_cli_journal_path(db, cj->path, sizeof cj->path);
    /* The default lives in ./.flowzap/, made on first use, its owner's only. */
    if (strcmp(cj->path, FZ_JOURNAL_DEFAULT_PATH) == 0 && mkdir(".flowzap", 0700) != 0 &&
        errno != EEXIST) {
        fz_cli_error("cannot create directory '.flowzap' for the journal: %s", strerror(errno));
        return FZ_EXIT_IO;
    }
    /* FLOWZAP_JOURNAL_SYNC=normal trades power-loss safety for speed
     * (docs/journal.md); a killed process loses nothing either way. */
    const char *sync = getenv("FLOWZAP_JOURNAL_SYNC");
    fz_journal_sync mode = FZ_JOURNAL_SYNC_FULL;
    if (sync && *sync) {
        if (!strcmp(sync, "normal"))
            mode = FZ_JOURNAL_SYNC_NORMAL;
        else if (strcmp(sync, "full") != 0) {
            fz_cli_error("FLOWZAP_JOURNAL_SYNC is 'full' or 'normal', not '%s'", sync);
            return FZ_EXIT_USAGE;
        }
    }
    int existed = access(cj->path, F_OK) == 0;
    int rc = fz_journal_open(cj->path, mode, NULL, &cj->j);
    if (rc) {
        fz_cli_error("%s", rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(cj->j));
        fz_journal_free(cj->j);
        cj->j = NULL;
        return fz_cli_journal_open_status(rc);
    }
    if (existed)
        warn_mode(cj->path);
    /* From here on the location is shown as the journal shows it: a
     * PostgreSQL password is masked. */
    snprintf(cj->path, sizeof cj->path, "%s", fz_journal_where(cj->j));
    return FZ_EXIT_OK;
}

int fz_cli_resume_keep;

void fz_cli_journal_drop(fz_journal *j)
{
    if (fz_cli_resume_keep && j && !fz_cli_resume_journal)
        fz_cli_resume_journal = j;
    else
        fz_journal_free(j);
}

static void held_release(fz_cli_journal *cj, int send);

void fz_cli_journal_close(fz_cli_journal *cj)
{
    if (cj->grouping && cj->j)
        fz_journal_group_rollback(cj->j);
    cj->grouping = 0;
    held_release(cj, 0);
    free(cj->held);
    cj->held = NULL;
    cj->capheld = 0;
    fz_journal_resume_fini(&cj->res);
    free(cj->adopted);
    cj->adopted = NULL;
    cj->nadopted = cj->capadopted = 0;
    fz_journal_recorder_free(cj->rec);
    fz_cli_journal_drop(cj->j);
    cj->rec = NULL;
    cj->j = NULL;
}

/* fz_approvals.poll over the journal: takes an answer for the gate. */
static int approval_poll(void *ud, const char *run_id, const char *node_id, uint32_t task_id,
                         int *approved)
{
    fz_cli_journal *cj = ud;
    (void)run_id;
    const char *answer = NULL;
    /* LISTEN before the take: an answer given after it is notified. A
     * LISTEN that fails only leaves the gate to its polls. */
    (void)fz_journal_signal_listen(cj->j);
    int rc = fz_journal_signal_take(cj->j, cj->run, node_id, task_id, &answer);
    /* The take found the connection lost and made a new one: LISTEN on
     * it and look once more, rather than wait a whole poll unheard. */
    if (rc == 0 && fz_journal_signal_fd(cj->j) < 0 && fz_journal_signal_listen(cj->j) == 0 &&
        fz_journal_signal_fd(cj->j) >= 0)
        rc = fz_journal_signal_take(cj->j, cj->run, node_id, task_id, &answer);
    if (rc == 1)
        *approved = strcmp(answer, "yes") == 0;
    /* A journal that cannot be read is flowzap's failure, not the gate's
     * answer: guard_wait stops the run before the error is routed. */
    if (rc < 0)
        cj->poll_failed = 1;
    return rc;
}

/* fz_approvals' wake-up over the journal (PostgreSQL's LISTEN; none on
 * SQLite): `flowzap signal` NOTIFYs with the run's id. */
static int approval_wake_fd(void *ud)
{
    fz_cli_journal *cj = ud;
    return fz_journal_signal_fd(cj->j);
}

static int approval_drain(void *ud)
{
    fz_cli_journal *cj = ud;
    return fz_journal_signal_woken(cj->j, cj->run);
}

/* fz_real_opts.on_spawn: the step's process group into the journal. */
static void spawned(void *ud, const fz_task *t, int pgid)
{
    fz_cli_journal *cj = ud;
    if (cj->rec)
        fz_journal_recorder_spawned(cj->rec, t->id, pgid);
}

void fz_cli_journal_watch_spawns(fz_cli_journal *cj, fz_real_opts *ro)
{
    if (!cj->j)
        return;
    ro->on_spawn = spawned;
    ro->spawn_ud = cj;
}

const fz_approvals *fz_cli_journal_approvals(fz_cli_journal *cj)
{
    if (!cj->j || !cj->run)
        return NULL;
    cj->approvals = (fz_approvals){approval_poll, cj, approval_wake_fd, approval_drain};
    return &cj->approvals;
}

int64_t fz_cli_journal_run(const fz_cli_journal *cj)
{
    return cj->run;
}

/* The digests of the files this process hashed, kept by the file's
 * identity and the times and size of its last change (a worker's run
 * process checks the same workflow and bindings for run after run). A
 * digest is kept only once the file was unchanged for 2 s when it was
 * read: the kernel stamps times at a coarse tick, so a file written again
 * within the tick of the read, at the same size, would show the same
 * stat (git's "racy" rule). docs/scale.md. */
typedef struct hashed {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    char hex[FZ_JOURNAL_HASH_LEN];
} hashed;
static hashed hash_memo[8];
static unsigned hash_memo_next;

static int same_stat(const hashed *h, const struct stat *st)
{
    return h->dev == st->st_dev && h->ino == st->st_ino && h->size == st->st_size &&
           h->mtime.tv_sec == st->st_mtim.tv_sec && h->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           h->ctime.tv_sec == st->st_ctim.tv_sec && h->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int hash_file_read(FILE *f, char hex[FZ_JOURNAL_HASH_LEN]);

int fz__cli_hash_file(const char *path, char hex[FZ_JOURNAL_HASH_LEN])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    struct stat st;
    int known = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    for (unsigned i = 0; known && i < sizeof hash_memo / sizeof hash_memo[0]; i++)
        if (hash_memo[i].size > 0 && same_stat(&hash_memo[i], &st)) {
            memcpy(hex, hash_memo[i].hex, FZ_JOURNAL_HASH_LEN);
            fclose(f);
            return 0;
        }
    int err = hash_file_read(f, hex);
    struct timespec now;
    if (!err && known && st.st_size > 0 && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
        now.tv_sec - st.st_mtim.tv_sec > 2 && now.tv_sec - st.st_ctim.tv_sec > 2) {
        hashed *h = &hash_memo[hash_memo_next++ % (sizeof hash_memo / sizeof hash_memo[0])];
        *h = (hashed){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim, ""};
        memcpy(h->hex, hex, FZ_JOURNAL_HASH_LEN);
    }
    return err;
}

/* Hashes f's bytes and closes f; 0 or an errno. */
static int hash_file_read(FILE *f, char hex[FZ_JOURNAL_HASH_LEN])
{
    size_t cap = 1 << 16, len = 0;
    char *buf = fz_malloc(NULL, cap);
    int err = buf ? 0 : ENOMEM;
    while (!err) {
        if (len == cap) {
            char *nb = fz_realloc(NULL, buf, cap, 2 * cap);
            if (!nb) {
                err = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                err = EIO;
            break;
        }
    }
    fclose(f);
    if (!err)
        fz_journal_hash(buf, len, hex);
    fz_free(NULL, buf, cap);
    return err;
}

/* A JSON array of argv, any argument holding a secret masked; caller
 * frees with free(). NULL with *bad set to the argument's index when one
 * is not UTF-8 (JSON cannot hold it, and dropping it would change what
 * `resume` runs). */
static char *args_json(const fz_secrets *sec, int argc, char **argv, int *bad)
{
    json_t *a = json_array();
    *bad = -1;
    for (int i = 0; a && i < argc; i++) {
        /* A journal location is recorded with its password masked. */
        char loc[4096];
        const char *arg = argv[i];
        if (fz_journal_location_is_postgres(arg)) {
            fz_journal_location_mask(arg, loc, sizeof loc);
            arg = loc;
        } else if (!strncmp(arg, "--db=", 5) && fz_journal_location_is_postgres(arg + 5)) {
            memcpy(loc, "--db=", 5);
            fz_journal_location_mask(arg + 5, loc + 5, sizeof loc - 5);
            arg = loc;
        }
        char *m = fz_secrets_mask_str(sec, arg);
        if (!m) {
            json_decref(a);
            return NULL;
        }
        json_t *s = json_string(m);
        free(m);
        if (!s) {
            *bad = i;
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, s);
    }
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

/* A step of the dead run whose process group may still be running. */
typedef struct orphan {
    uint32_t task;
    int64_t pgid;
    char id[FZ_PROC_ID_LEN];
    char what[128]; /* node and label, for messages */
} orphan;

typedef struct orphans {
    orphan list[64];
    uint32_t n, more;
} orphans;

static int find_orphan(void *ud, const fz_journal_step *s)
{
    orphans *o = ud;
    if (s->finished || s->pgid <= 0)
        return 0;
    fz_proc_state st = fz_proc_group_check(s->pgid, s->pgid_id);
    if (st != FZ_PROC_ALIVE && st != FZ_PROC_UNKNOWN)
        return 0;
    if (o->n == sizeof o->list / sizeof o->list[0]) {
        o->more++;
        return 0;
    }
    orphan *p = &o->list[o->n++];
    p->task = s->task;
    p->pgid = s->pgid;
    snprintf(p->id, sizeof p->id, "%s", s->pgid_id ? s->pgid_id : "");
    snprintf(p->what, sizeof p->what, "step %u (%s \"%.60s\")", s->task, s->node, s->label);
    return 0;
}

static int group_alive(const orphan *p)
{
    fz_proc_state st = fz_proc_group_check(p->pgid, p->id);
    return st == FZ_PROC_ALIVE || st == FZ_PROC_UNKNOWN;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Before a step of a dead run runs again, the processes of its first
 * attempt must be gone: the run's flowzap was killed, its step's process
 * group was not. By default resume waits for each such group to end (the
 * step may be doing work that must not be cut in half); with
 * --kill-orphans it sends the group SIGTERM, then SIGKILL after 2 s. */
static int wait_orphans(fz_cli_journal *cj)
{
    orphans o;
    memset(&o, 0, sizeof o);
    if (fz_journal_step_list(cj->j, cj->run, 0, find_orphan, &o)) {
        fz_cli_error("cannot resume run %lld: %s", (long long)cj->run, fz_journal_errmsg(cj->j));
        return FZ_EXIT_IO;
    }
    int kill_them = (cj->resume_opts & FZ_CLI_RESUME_KILL_ORPHANS) != 0;
    for (uint32_t i = 0; i < o.n; i++) {
        orphan *p = &o.list[i];
        /* A group is killed only when proven the step's (its first
         * process's identity matches); an unknown one is waited for. */
        if (kill_them && fz_proc_group_check(p->pgid, p->id) == FZ_PROC_ALIVE) {
            fprintf(stderr,
                    "flowzap: run %lld: %s of the killed run still runs in process group %lld: "
                    "killing it (--kill-orphans)\n",
                    (long long)cj->run, p->what, (long long)p->pgid);
            kill(-(pid_t)p->pgid, SIGTERM);
            for (int t = 0; t < 200 && group_alive(p); t++)
                nap_ms(10);
            if (group_alive(p))
                kill(-(pid_t)p->pgid, SIGKILL);
        } else
            fprintf(stderr,
                    "flowzap: run %lld: %s of the killed run still runs in process group %lld: "
                    "waiting for it to end before running it again (Ctrl-C stops; `flowzap "
                    "resume %lld --kill-orphans` kills it instead)\n",
                    (long long)cj->run, p->what, (long long)p->pgid, (long long)cj->run);
        uint64_t waited = 0;
        while (group_alive(p)) {
            nap_ms(50);
            if (++waited % 1200 == 0)
                fprintf(stderr, "flowzap: run %lld: still waiting for process group %lld\n",
                        (long long)cj->run, (long long)p->pgid);
        }
    }
    if (o.more) {
        fz_cli_error("cannot resume run %lld: %u more steps of it still run; wait for them",
                     (long long)cj->run, o.more);
        fz_journal_run_set_state(cj->j, cj->run, FZ_JOURNAL_INTERRUPTED, NULL, NULL);
        return FZ_EXIT_REFUSED;
    }
    return FZ_EXIT_OK;
}

static int begin_resume(fz_cli_journal *cj, const char *path, const char *bindings)
{
    fz_journal_run run;
    int rc;
    const char *want[2];
    if (cj->known) {
        /* `resume` read the run just now: the claim below checks that
         * nobody changed its state or owner since (runjournal.h). */
        want[0] = cj->known->workflow_hash[0] ? cj->known->workflow_hash : NULL;
        want[1] = cj->known->bindings_hash[0] ? cj->known->bindings_hash : NULL;
    } else {
        rc = fz_journal_run_get(cj->j, cj->run, &run);
        if (rc) {
            fz_cli_error("%s", fz_journal_errmsg(cj->j));
            return FZ_EXIT_REFUSED;
        }
        want[0] = run.workflow_hash;
        want[1] = run.bindings_hash;
    }
    char hex[FZ_JOURNAL_HASH_LEN];
    const char *files[2] = {path, bindings};
    const char *what[2] = {"workflow", "bindings"};
    for (int i = 0; i < 2; i++) {
        if (!files[i] || !want[i])
            continue;
        int err = fz__cli_hash_file(files[i], hex);
        if (err) {
            fz_cli_error("cannot resume run %lld: cannot read %s file '%s': %s", (long long)cj->run,
                         what[i], files[i], strerror(err));
            return FZ_EXIT_REFUSED;
        }
        if (strcmp(hex, want[i]) != 0) {
            fz_cli_error("cannot resume run %lld: %s file '%s' changed since the run began "
                         "(sha256 %.12s..., recorded %.12s...); start a new run instead",
                         (long long)cj->run, what[i], files[i], hex, want[i]);
            return FZ_EXIT_REFUSED;
        }
    }
    /* A step executor leaves the run to its owner: it runs one step. */
    if (cj->step_on)
        return FZ_EXIT_OK;
    fz_journal_claim prev;
    rc = fz_journal_run_claim(cj->j, cj->run, (cj->resume_opts & FZ_CLI_RESUME_FORCE) != 0, &prev);
    if (rc) {
        fz_cli_error("cannot resume: %s", fz_journal_errmsg(cj->j));
        return rc == FZ_EDB ? FZ_EXIT_IO : FZ_EXIT_REFUSED;
    }
    if (prev.owner == FZ_PROC_REUSED)
        fprintf(stderr,
                "flowzap: run %lld: its process %lld is gone (that pid now belongs to another "
                "process, started later); taking the run over\n",
                (long long)cj->run, (long long)prev.pid);
    else if (prev.owner == FZ_PROC_UNKNOWN)
        fprintf(stderr,
                "flowzap: warning: --force: taking run %lld over from process %lld, which is "
                "alive; the journal holds no start time for it, so it cannot tell whether that "
                "is another program under a reused pid (taken as stale) or the run's own "
                "flowzap, in which case both now run its remaining steps\n",
                (long long)cj->run, (long long)prev.pid);
    /* No step recorded when it was claimed: none can have left processes. */
    if (prev.steps == 0)
        return FZ_EXIT_OK;
    return wait_orphans(cj);
}

int fz_cli_journal_begin(fz_cli_journal *cj, const char *path, const char *bindings, int argc,
                         char **argv)
{
    if (!cj->j)
        return FZ_EXIT_OK;
    fz_journal_set_secrets(cj->j, cj->secrets);
    if (cj->resuming) {
        snprintf(cj->run_id, sizeof cj->run_id, "%lld", (long long)cj->run);
        return begin_resume(cj, path, bindings);
    }
    if (strcmp(path, "-") == 0) {
        fz_cli_error("a run read from stdin cannot be recorded for resume; use a file, or "
                     "--no-journal");
        return FZ_EXIT_USAGE;
    }
    char wf_hash[FZ_JOURNAL_HASH_LEN], b_hash[FZ_JOURNAL_HASH_LEN];
    int err = fz__cli_hash_file(path, wf_hash);
    if (!err && bindings)
        err = fz__cli_hash_file(bindings, b_hash);
    if (err) {
        fz_cli_error("cannot read '%s': %s", err == ENOENT ? bindings : path, strerror(err));
        return FZ_EXIT_IO;
    }
    char wf_abs[PATH_MAX], b_abs[PATH_MAX], cwd[PATH_MAX];
    if (!realpath(path, wf_abs))
        snprintf(wf_abs, sizeof wf_abs, "%s", path);
    if (bindings && !realpath(bindings, b_abs))
        snprintf(b_abs, sizeof b_abs, "%s", bindings);
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    int bad = -1;
    char *args = args_json(cj->secrets, argc, argv, &bad);
    if (!args && bad >= 0) {
        fz_cli_error("cannot record the command line in the journal: argument %d is not UTF-8 "
                     "text (rename the file, or run with --no-journal)",
                     bad);
        return FZ_EXIT_USAGE;
    }
    if (!args) {
        fz_cli_error("%s", fz_strerror(FZ_ENOMEM));
        return FZ_EXIT_SOFTWARE;
    }
    fz_journal_run run = {
        .workflow = wf_abs,
        .workflow_hash = wf_hash,
        .bindings = bindings ? b_abs : NULL,
        .bindings_hash = bindings ? b_hash : NULL,
        .args = args,
        .cwd = cwd[0] ? cwd : NULL,
    };
    int rc = fz_journal_run_add(cj->j, &run, &cj->run);
    free(args);
    if (rc) {
        fz_cli_error("the journal %s could not record the run (nothing ran): %s", cj->path,
                     fz_journal_errmsg(cj->j));
        return FZ_EXIT_IO;
    }
    snprintf(cj->run_id, sizeof cj->run_id, "%lld", (long long)cj->run);
    if (!cj->quiet)
        fprintf(stderr, "flowzap: run %lld recorded in %s\n", (long long)cj->run, cj->path);
    return FZ_EXIT_OK;
}

/* The lane id of task t's node ("" when none). */
static void task_lane(const fz_graph *g, const fz_task *t, char *out, size_t n)
{
    out[0] = '\0';
    if (t->node >= g->nodes.len)
        return;
    const fz_node *nd = &FZ_VEC_AT(&g->nodes, fz_node, t->node);
    if (nd->lane >= g->lanes.len)
        return;
    const fz_lane *l = &FZ_VEC_AT(&g->lanes, fz_lane, nd->lane);
    snprintf(out, n, "%.*s", (int)l->id.len, fz_graph_text(g, l->id));
}

/* 1 when t belongs to a lane this process does not serve. */
static int park_task(void *ud, const fz_task *t)
{
    fz_cli_journal *cj = ud;
    if (!cj->lanes || !cj->g)
        return 0;
    char lane[128];
    task_lane(cj->g, t, lane, sizeof lane);
    size_t n = strlen(lane);
    for (const char *p = cj->lanes; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, lane, n))
            return 0;
        p += k + (p[k] == ',');
    }
    return 1;
}

/* Parks t: counted, and its lane kept for the hand-over. */
static void park(fz_cli_journal *cj, const fz_task *t)
{
    if (!cj->parked++)
        task_lane(cj->g, t, cj->handoff, sizeof cj->handoff);
}

/* The progress log sees no start of a parked task (it does not run here);
 * every other call is passed on as is. */
static void sh_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_start && (cj->remote_on || !park_task(cj, t)))
        cj->next.on_start(cj->next.ud, t, t_ns);
}
static void sh_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_finish)
        cj->next.on_finish(cj->next.ud, t, r, t_ns);
}
static void sh_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_edge)
        cj->next.on_edge(cj->next.ud, edge, token, t_ns);
}
static void sh_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_loop)
        cj->next.on_loop(cj->next.ud, loop, token, count, t_ns);
}
static void sh_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_token_end)
        cj->next.on_token_end(cj->next.ud, token, node, t_ns);
}
static void sh_run_end(void *ud, fz_run_state state, const char *outcome, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (cj->next.on_run_end)
        cj->next.on_run_end(cj->next.ud, state, outcome, t_ns);
}

/*--------------------------------------------------------------------------
 * Grouped commits (docs/journal.md, "Grouped commits"): the finish a
 * wait() delivers, and the starts the engine makes in response, are
 * written in one group (one transaction), committed before the next task
 * is handed to the backend or the next wait() begins. Until then nothing
 * of the group leaves the process: the events the progress log and the
 * trace would see are held here (copied: a result's strings live only
 * until the next wait()), and passed on in order once it committed. A
 * group that does not commit is rolled back and its events dropped.
 *------------------------------------------------------------------------*/

enum { H_START, H_FINISH, H_EDGE, H_LOOP, H_TOKEN_END, H_RUN_END };

typedef struct fz_cli_held {
    int kind;
    fz_task t;
    fz_result r;
    uint32_t a, b, c;
    fz_run_state state;
    uint64_t t_ns;
    char *mem; /* the copied strings of r, or run end's outcome */
    fz_kv *vars;
} fz_cli_held;

static void held_free(fz_cli_held *h)
{
    free(h->mem);
    free(h->vars);
}

static fz_cli_held *held_push(fz_cli_journal *cj, int kind, uint64_t t_ns)
{
    if (cj->nheld == cj->capheld) {
        size_t cap = cj->capheld ? 2 * cj->capheld : 16;
        fz_cli_held *n = realloc(cj->held, cap * sizeof *n);
        if (!n) {
            cj->hold_failed = 1;
            return NULL;
        }
        cj->held = n;
        cj->capheld = cap;
    }
    fz_cli_held *h = &cj->held[cj->nheld++];
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->t_ns = t_ns;
    return h;
}

/* Copies r's strings and variables into one block of h. */
static int held_result(fz_cli_held *h, const fz_result *r)
{
    h->r = *r;
    size_t oc = r->outcome ? strlen(r->outcome) + 1 : 0, rs = r->reason ? strlen(r->reason) + 1 : 0;
    size_t need = oc + rs + r->out_len + r->err_len + 2;
    for (uint32_t i = 0; i < r->nvars; i++)
        need += (r->vars[i].key ? strlen(r->vars[i].key) + 1 : 0) +
                (r->vars[i].value ? strlen(r->vars[i].value) + 1 : 0);
    char *p = h->mem = malloc(need);
    if (!p || (r->nvars && !(h->vars = calloc(r->nvars, sizeof *h->vars))))
        return -1;
    if (r->outcome)
        h->r.outcome = memcpy(p, r->outcome, oc), p += oc;
    if (r->reason)
        h->r.reason = memcpy(p, r->reason, rs), p += rs;
    if (r->out)
        h->r.out = r->out_len ? memcpy(p, r->out, r->out_len) : p, p += r->out_len;
    *p++ = '\0';
    if (r->err)
        h->r.err = r->err_len ? memcpy(p, r->err, r->err_len) : p, p += r->err_len;
    *p++ = '\0';
    for (uint32_t i = 0; i < r->nvars; i++) {
        const char *kv[2] = {r->vars[i].key, r->vars[i].value};
        const char *to[2] = {NULL, NULL};
        for (int k = 0; k < 2; k++)
            if (kv[k]) {
                size_t n = strlen(kv[k]) + 1;
                to[k] = memcpy(p, kv[k], n);
                p += n;
            }
        h->vars[i] = (fz_kv){to[0], to[1]};
    }
    h->r.vars = h->vars;
    return 0;
}

static void hold_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_start)
            cj->after.on_start(cj->after.ud, t, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_START, t_ns);
    if (h)
        h->t = *t;
}
static void hold_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_finish)
            cj->after.on_finish(cj->after.ud, t, r, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_FINISH, t_ns);
    if (h) {
        h->t = *t;
        if (held_result(h, r)) {
            cj->hold_failed = 1;
            held_free(h);
            cj->nheld--;
        }
    }
}
static void hold_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_edge)
            cj->after.on_edge(cj->after.ud, edge, token, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_EDGE, t_ns);
    if (h)
        h->a = edge, h->b = token;
}
static void hold_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_loop)
            cj->after.on_loop(cj->after.ud, loop, token, count, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_LOOP, t_ns);
    if (h)
        h->a = loop, h->b = token, h->c = count;
}
static void hold_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_token_end)
            cj->after.on_token_end(cj->after.ud, token, node, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_TOKEN_END, t_ns);
    if (h)
        h->a = token, h->b = node;
}
static void hold_run_end(void *ud, fz_run_state state, const char *outcome, uint64_t t_ns)
{
    fz_cli_journal *cj = ud;
    if (!cj->grouping) {
        if (cj->after.on_run_end)
            cj->after.on_run_end(cj->after.ud, state, outcome, t_ns);
        return;
    }
    fz_cli_held *h = held_push(cj, H_RUN_END, t_ns);
    if (h) {
        h->state = state;
        if (outcome && !(h->mem = strdup(outcome))) {
            cj->hold_failed = 1;
            cj->nheld--;
        }
    }
}

/* Passes the held events on (sent: the group committed) or drops them. */
static void held_release(fz_cli_journal *cj, int send)
{
    const fz_observer *o = &cj->after;
    for (size_t i = 0; i < cj->nheld; i++) {
        fz_cli_held *h = &cj->held[i];
        if (send) {
            switch (h->kind) {
            case H_START:
                if (o->on_start)
                    o->on_start(o->ud, &h->t, h->t_ns);
                break;
            case H_FINISH:
                if (o->on_finish)
                    o->on_finish(o->ud, &h->t, &h->r, h->t_ns);
                break;
            case H_EDGE:
                if (o->on_edge)
                    o->on_edge(o->ud, h->a, h->b, h->t_ns);
                break;
            case H_LOOP:
                if (o->on_loop)
                    o->on_loop(o->ud, h->a, h->b, h->c, h->t_ns);
                break;
            case H_TOKEN_END:
                if (o->on_token_end)
                    o->on_token_end(o->ud, h->a, h->b, h->t_ns);
                break;
            default:
                if (o->on_run_end)
                    o->on_run_end(o->ud, h->state, h->mem, h->t_ns);
                break;
            }
        }
        held_free(h);
    }
    cj->nheld = 0;
}

/* Opens a group for what a wait() result leads to. A group that cannot
 * begin leaves each write its own transaction, as without grouping. */
static void group_open(fz_cli_journal *cj)
{
    if (cj->rec && !cj->grouping && !fz_journal_recorder_status(cj->rec) &&
        fz_journal_group_begin(cj->j) == 0)
        cj->grouping = 1;
}

/* Ends the open group: committed (and its events passed on) when every
 * write of it succeeded, else rolled back (its events dropped, the
 * recorder failed). Returns 0 or the recorder's failure. */
static int group_close(fz_cli_journal *cj)
{
    if (!cj->grouping)
        return 0;
    cj->grouping = 0;
    int rc = fz_journal_recorder_status(cj->rec);
    if (!rc && cj->hold_failed)
        rc = FZ_ENOMEM;
    if (rc) {
        fz_journal_group_rollback(cj->j);
        fz_journal_recorder_fail(cj->rec, rc);
        held_release(cj, 0);
        return rc;
    }
    rc = fz_journal_group_commit(cj->j);
    if (rc) {
        fz_journal_recorder_fail(cj->rec, rc);
        held_release(cj, 0);
        return rc;
    }
    held_release(cj, 1);
    return 0;
}

/*--------------------------------------------------------------------------
 * Steps of other lanes (docs/scale.md, "Lanes as placement"): the owner
 * queues them (the recorder writes the row with the start) and its real
 * backend waits for their finish as a gate waits for its answer.
 *------------------------------------------------------------------------*/

fz_cli_step_req fz_cli_step;

static int remote_elsewhere(void *ud, const fz_task *t)
{
    fz_cli_journal *cj = ud;
    if (!cj->remote_on)
        return 0;
    for (uint32_t i = 0; i < cj->nadopted; i++)
        if (cj->adopted[i] == t->id)
            return 1;
    return park_task(cj, t);
}

/* Task id is another worker's (a resume found it in the queue): waited
 * for, never started here. Returns 0 or -1 (out of memory). */
static int adopt(fz_cli_journal *cj, uint32_t id)
{
    if (cj->nadopted == cj->capadopted) {
        uint32_t cap = cj->capadopted ? 2 * cj->capadopted : 8;
        uint32_t *n = realloc(cj->adopted, cap * sizeof *n);
        if (!n)
            return -1;
        cj->adopted = n;
        cj->capadopted = cap;
    }
    cj->adopted[cj->nadopted++] = id;
    return 0;
}

static int remote_poll(void *ud, const fz_task *t, void (*deliver)(void *job, const fz_result *r),
                       void *job)
{
    fz_cli_journal *cj = ud;
    /* LISTEN before the look: a finish recorded after it is notified. */
    (void)fz_journal_signal_listen(cj->j);
    int rc = fz_journal_step_remote(cj->j, cj->run, t->id, deliver, job);
    if (rc == 0 && fz_journal_signal_fd(cj->j) < 0 && fz_journal_signal_listen(cj->j) == 0 &&
        fz_journal_signal_fd(cj->j) >= 0)
        rc = fz_journal_step_remote(cj->j, cj->run, t->id, deliver, job);
    if (rc < 0) {
        cj->poll_failed = 1; /* flowzap's failure, not the step's */
        return rc;
    }
    return rc == 2;
}

const fz_remote *fz_cli_journal_remote(fz_cli_journal *cj)
{
    if (!cj->j || !cj->run || cj->step_on || !fz_journal_has_step_queue(cj->j))
        return NULL;
    cj->remote_on = 1;
    cj->remote = (fz_remote){remote_elsewhere, remote_poll, cj};
    return &cj->remote;
}

/* A step executor's part (cli/stepexec.c): the run rebuilt by replay, only
 * the claimed task started (at its claimed attempt) and waited for, its
 * finish recorded fenced on the claim's epoch. Returns FZ_CLI_STEP_RAN or
 * an exit status. */
static int run_one_step(fz_cli_journal *cj, const fz_graph *g, fz_engine *e, const fz_backend *b)
{
    fz_observer none = {0};
    fz_engine_set_observer(e, &none);
    int rc = fz_journal_replay(cj->j, cj->run, e, NULL, &cj->res);
    if (rc) {
        fz_cli_error("run %lld, step %u: %s", (long long)cj->run, cj->step_task,
                     rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(cj->j));
        return rc == FZ_ECHANGED ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
    }
    const fz_task *found = NULL;
    for (uint32_t i = 0; i < cj->res.ntasks; i++)
        if (cj->res.tasks[i].id == cj->step_task)
            found = &cj->res.tasks[i];
    if (!found) {
        fz_cli_error("run %lld: step %u is not in flight (finished, or the run moved on)",
                     (long long)cj->run, cj->step_task);
        return FZ_EXIT_REFUSED;
    }
    fz_task t = *found;
    t.attempt = cj->step_attempt;
    char lane[128];
    task_lane(g, &t, lane, sizeof lane);
    fprintf(stderr, "flowzap: run %lld: step %u (lane %s), attempt %u, lease epoch %lld\n",
            (long long)cj->run, t.id, lane, t.attempt, (long long)cj->step_epoch);
    uint64_t t0 = b->now(b->ud);
    rc = b->start(b->ud, e, &t);
    uint32_t id = UINT32_MAX;
    fz_result r;
    while (!rc && id != t.id) {
        memset(&r, 0, sizeof r);
        rc = b->wait(b->ud, e, &id, &r);
    }
    if (rc == FZ_EINTR) {
        fprintf(stderr, "flowzap: run %lld: step %u interrupted\n", (long long)cj->run, t.id);
        return FZ_EXIT_INTERRUPTED;
    }
    if (rc) {
        fz_cli_error("run %lld: step %u: %s", (long long)cj->run, t.id, fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    if (cj->poll_failed) {
        fz_cli_error("run %lld: step %u: %s", (long long)cj->run, t.id, fz_journal_errmsg(cj->j));
        return FZ_EXIT_IO;
    }
    uint64_t t1 = b->now(b->ud);
    rc = fz_journal_step_finish_at(cj->j, cj->run, cj->step_epoch, g, &t, &r,
                                   t1 >= t0 ? (int64_t)(t1 - t0) : -1);
    if (rc) {
        fz_cli_error("%s", rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(cj->j));
        return rc == FZ_ESTATE ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
    }
    fprintf(stderr, "flowzap: run %lld: step %u %s, recorded for its owner\n", (long long)cj->run,
            t.id, fz_answer_name(r.answer));
    return FZ_CLI_STEP_RAN;
}

int fz_cli_journal_attach(fz_cli_journal *cj, const fz_graph *g, fz_engine *e, const fz_backend *b,
                          const fz_observer *next)
{
    if (cj->step_on && cj->j) {
        cj->g = g;
        return run_one_step(cj, g, e, b);
    }
    cj->g = g;
    const char *lanes = getenv("FLOWZAP_WORKER_LANES");
    cj->lanes = lanes && *lanes ? lanes : NULL;
    /* Without the step queue (SQLite, or fz_cli_journal_remote not
     * asked), steps of other lanes are parked and the run handed over. */
    if (cj->lanes && next) {
        cj->next = *next;
        cj->shown = (fz_observer){sh_start, sh_finish, sh_edge, sh_loop, sh_token_end,
                                  sh_run_end, cj};
        next = &cj->shown;
    }
    if (cj->j && next) {
        cj->after = *next;
        cj->hold = (fz_observer){hold_start, hold_finish,    hold_edge, hold_loop,
                                 hold_token_end, hold_run_end, cj};
        next = &cj->hold;
    }
    if (!cj->j) {
        if (next)
            fz_engine_set_observer(e, next);
        return FZ_EXIT_OK;
    }
    int rc;
    if (cj->resuming) {
        /* Nothing may observe the replay: those steps were reported once. */
        fz_observer none = {0};
        fz_engine_set_observer(e, &none);
        rc = fz_journal_replay(cj->j, cj->run, e, NULL, &cj->res);
        if (rc) {
            fz_cli_error("cannot resume run %lld: %s", (long long)cj->run,
                         rc == FZ_ENOMEM ? fz_strerror(rc) : fz_journal_errmsg(cj->j));
            /* Leave the run resumable by a fixed flowzap, as it was. */
            fz_journal_run_set_state(cj->j, cj->run, FZ_JOURNAL_INTERRUPTED, NULL, NULL);
            return rc == FZ_ECHANGED ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
        }
        /* A step in flight another worker holds (queued for its lane, or
         * finished there and not routed yet), of whatever lane, is waited
         * for, never started again here: known before the line below,
         * which counts only the steps that run again. */
        for (uint32_t i = 0; cj->remote_on && i < cj->res.ntasks; i++) {
            int st = fz_journal_step_remote(cj->j, cj->run, cj->res.tasks[i].id, NULL, NULL);
            if (st < 0) {
                fz_cli_error("cannot resume run %lld: %s", (long long)cj->run,
                             fz_journal_errmsg(cj->j));
                fz_journal_run_set_state(cj->j, cj->run, FZ_JOURNAL_INTERRUPTED, NULL, NULL);
                return FZ_EXIT_IO;
            }
            if (st > 0 && adopt(cj, cj->res.tasks[i].id)) {
                fz_cli_error("%s", fz_strerror(FZ_ENOMEM));
                return FZ_EXIT_SOFTWARE;
            }
        }
        uint32_t waited = cj->nadopted,
                 again = cj->res.restarted > waited ? cj->res.restarted - waited : 0;
        if (!waited)
            fprintf(stderr,
                    "flowzap: resuming run %lld: %u step%s already done, %u in flight when it "
                    "stopped (run again with FZ_ATTEMPT raised)\n",
                    (long long)cj->run, cj->res.replayed, cj->res.replayed == 1 ? "" : "s", again);
        else
            fprintf(stderr,
                    "flowzap: resuming run %lld: %u step%s already done, %u in flight when it "
                    "stopped: %u run%s again with FZ_ATTEMPT raised\n"
                    "flowzap: run %lld: %u of them %s on a worker of %s lane: waited for, not "
                    "run again\n",
                    (long long)cj->run, cj->res.replayed, cj->res.replayed == 1 ? "" : "s",
                    again + waited, again, again == 1 ? "s" : "", (long long)cj->run, waited,
                    waited == 1 ? "runs" : "run", waited == 1 ? "its" : "their");
        if (cj->res.lost)
            fprintf(stderr,
                    "flowzap: warning: %u variable%s set before the resume held a value masked "
                    "with ::mask, which is never recorded; %s `***` in its place now\n",
                    cj->res.lost, cj->res.lost == 1 ? "" : "s",
                    cj->res.lost == 1 ? "it holds" : "they hold");
    }
    /* A resumed run's state (running, its variables) and the starts it
     * dispatches first are one group, committed before any of those
     * steps' handlers begins (below). */
    int grouped = cj->resuming && fz_journal_group_begin(cj->j) == 0;
    rc = fz_journal_recorder_new(cj->j, cj->run, g, e, next, &cj->rec);
    if (grouped && rc)
        fz_journal_group_rollback(cj->j);
    else if (grouped)
        cj->grouping = 1;
    if (rc) {
        if (rc == FZ_ENOMEM)
            fz_cli_error("%s", fz_strerror(rc));
        else
            fz_cli_error("the journal %s could not record run %lld (nothing ran): %s; it is "
                         "left resumable",
                         cj->path, (long long)cj->run, fz_journal_errmsg(cj->j));
        return rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_IO;
    }
    if (cj->remote_on)
        fz_journal_recorder_set_remote(cj->rec, remote_elsewhere, cj);
    else if (cj->lanes)
        fz_journal_recorder_set_park(cj->rec, park_task, cj);
    const fz_observer *obs = fz_journal_recorder_observer(cj->rec);
    fz_engine_set_observer(e, obs);
    if (!cj->resuming)
        return FZ_EXIT_OK;

    /* What the replay took from the engine and did not finish: dispatch it
     * here, since fz_engine_drive only starts tasks it takes itself. */
    for (uint32_t i = 0; i < cj->res.ntasks; i++) {
        const fz_task *t = &cj->res.tasks[i];
        /* A step a worker holds (adopted above) is waited for. */
        int st = 0;
        for (uint32_t k = 0; k < cj->nadopted && !st; k++)
            st = cj->adopted[k] == t->id;
        if (cj->remote_on && (st > 0 || park_task(cj, t))) {
            /* A step of another lane never queued is queued anew. */
            if (st == 0)
                obs->on_start(obs->ud, t, b->now(b->ud));
            group_close(cj); /* queued for its lane once committed */
            if (fz_journal_recorder_status(cj->rec))
                break;
            rc = b->start(b->ud, e, t);
            if (rc) {
                fz_cli_error("cannot wait for step %u: %s", t->id, fz_strerror(rc));
                return FZ_EXIT_SOFTWARE;
            }
            cj->inflight++;
            continue;
        }
        if (park_task(cj, t)) {
            park(cj, t);
            continue;
        }
        obs->on_start(obs->ud, t, b->now(b->ud));
        group_close(cj); /* committed before its handler begins */
        if (fz_journal_recorder_status(cj->rec))
            break; /* not recorded: must not start */
        rc = b->start(b->ud, e, t);
        if (rc) {
            fz_cli_error("cannot restart step %u: %s", t->id, fz_strerror(rc));
            return FZ_EXIT_SOFTWARE;
        }
        cj->inflight++;
    }
    if (fz_journal_recorder_status(cj->rec)) {
        fz_cli_error("the journal %s could not record the resumed steps of run %lld: %s; it is "
                     "left resumable",
                     cj->path, (long long)cj->run, fz_journal_errmsg(cj->j));
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}

static uint64_t guard_now(void *ud)
{
    fz_cli_journal *cj = ud;
    return cj->inner->now(cj->inner->ud);
}

/* A failure of flowzap (the journal, the system, Ctrl-C) stops the run:
 * the recorder is told first, so that the engine's abort is not recorded
 * as the workflow's end. */
static int guard_stop(fz_cli_journal *cj, int rc)
{
    if (rc)
        fz_journal_recorder_abort(cj->rec);
    return rc;
}

static int guard_start(void *ud, fz_engine *e, const fz_task *t)
{
    fz_cli_journal *cj = ud;
    /* The group of the finish that led to t (and of t's start) commits
     * before t's handler can begin. */
    group_close(cj);
    if (cj->rec && fz_journal_recorder_status(cj->rec))
        return guard_stop(cj, FZ_EDB);
    if (!cj->remote_on && park_task(cj, t)) {
        park(cj, t);
        return 0;
    }
    /* A step of another lane (remote_on) is started too: the real
     * backend waits for the finish its worker records. */
    int rc = cj->inner->start(cj->inner->ud, e, t);
    if (!rc)
        cj->inflight++;
    return guard_stop(cj, rc);
}

static int guard_wait(void *ud, fz_engine *e, uint32_t *task_id, fz_result *r)
{
    fz_cli_journal *cj = ud;
    /* The last finish's group (when it led to no start) commits first. */
    group_close(cj);
    /* A start or finish the journal could not record: no handler may begin
     * (the backend begins queued jobs in wait()), nothing is routed on. */
    if (cj->rec && fz_journal_recorder_status(cj->rec))
        return guard_stop(cj, FZ_EDB);
    if (cj->parked && !cj->inflight) {
        /* Nothing of our lanes left to run: the run goes to a worker of
         * the lane that waits (cli/cmd_worker.c), stopped here as by
         * Ctrl-C, resumable. */
        int rc = fz_journal_queue_handoff(cj->j, cj->run, cj->handoff);
        if (rc)
            fz_cli_error("%s", fz_journal_errmsg(cj->j));
        else
            fprintf(stderr, "flowzap: run %lld: handed over to a worker of lane %s\n",
                    (long long)cj->run, cj->handoff);
        return guard_stop(cj, rc ? FZ_EDB : FZ_EINTR);
    }
    int rc = cj->inner->wait(cj->inner->ud, e, task_id, r);
    if (!rc && cj->inflight)
        cj->inflight--;
    if (!rc && cj->poll_failed)
        rc = FZ_EDB; /* the gate's "error" is the journal's: not routed */
    if (!rc)
        group_open(cj);
    return guard_stop(cj, rc);
}

static void guard_cancel_all(void *ud, fz_engine *e)
{
    fz_cli_journal *cj = ud;
    cj->inner->cancel_all(cj->inner->ud, e);
}

const fz_backend *fz_cli_journal_backend(fz_cli_journal *cj, const fz_backend *b)
{
    if (!cj->j)
        return b;
    cj->inner = b;
    cj->guard = (fz_backend){
        .name = b->name,
        .now = b->now ? guard_now : NULL,
        .start = guard_start,
        .wait = guard_wait,
        .cancel_all = b->cancel_all ? guard_cancel_all : NULL,
        .ud = cj,
    };
    return &cj->guard;
}

int fz_cli_journal_finish(fz_cli_journal *cj, fz_engine *e, int status)
{
    if (!cj->j)
        return FZ_EXIT_OK;
    (void)e;
    /* The run's last group: its finish and the run's end. */
    group_close(cj);
    int failed = cj->rec ? fz_journal_recorder_status(cj->rec) : 0;
    char first[512] = "";
    if (failed || cj->poll_failed)
        snprintf(first, sizeof first, "%s", fz_journal_errmsg(cj->j));
    if (status != 0 && failed != FZ_ESTATE) {
        /* Ctrl-C or a failure of flowzap itself, not of the workflow: the
         * run can be resumed. (Not when another process took it over.) */
        char why[128];
        snprintf(why, sizeof why, "%s", status == FZ_EINTR ? "interrupted" : fz_strerror(status));
        int rc = fz_journal_run_set_state(cj->j, cj->run, FZ_JOURNAL_INTERRUPTED, why, NULL);
        if (rc == 0 && status != FZ_EDB)
            fprintf(stderr,
                    "flowzap: run %lld stopped (%s); continue it with `flowzap resume %lld`\n",
                    (long long)cj->run, why, (long long)cj->run);
    }
    if (failed == FZ_ESTATE) {
        fz_cli_error("%s", first);
        return FZ_EXIT_IO;
    }
    if (failed || cj->poll_failed) {
        fz_cli_error("the journal %s could not record run %lld: %s; this is flowzap's failure, "
                     "not the workflow's: the run was stopped and is left resumable, so once "
                     "the journal can be written (disk space), continue it with `flowzap resume "
                     "%lld`",
                     cj->path, (long long)cj->run, first, (long long)cj->run);
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}
