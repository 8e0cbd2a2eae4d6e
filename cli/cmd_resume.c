/* SPDX-License-Identifier: MIT */
/*
 * cmd_resume.c - `flowzap resume ID`: continue a run whose process died or
 * was interrupted. It checks the run and its files, then, in the run's
 * directory, builds a run request from the recorded command line with the
 * run to continue and runs it as `run` does (cli/runrequest.h,
 * cli/runjournal.h, docs/journal.md).
 */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "cli/runjournal.h"
#include "cli/runrequest.h"
#include "core/status.h"

const fz_cli_opt fz_resume_options[] = {
    {"db", 0, FZ_OPT_VALUE, "PATH",
     "the journal (default: $FLOWZAP_DB, else " FZ_JOURNAL_DEFAULT_PATH ")"},
    {"kill-orphans", 0, FZ_OPT_FLAG, NULL,
     "kill the processes a killed run's steps left running (SIGTERM, SIGKILL after 2 s) "
     "instead of waiting for them"},
    {"force", 0, FZ_OPT_FLAG, NULL,
     "take the run over from a live pid whose start time the journal does not hold (it may be "
     "another process under a reused pid); never from its proven live owner"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

static void resume_usage(FILE *out)
{
    fz_cli_help(out,
                "usage: flowzap resume ID [--db PATH] [--kill-orphans] [--force]\n"
                "\n"
                "Continues run ID, whose process died or was interrupted (Ctrl-C), in the\n"
                "directory and with the options it was started with. Finished steps are\n"
                "not run again; a step that was in flight runs again with FZ_ATTEMPT\n"
                "raised, so a handler can tell, once the processes of its first attempt\n"
                "have ended (resume waits for them). Refused (exit 5) when the run\n"
                "finished, is unknown, is still running in a live process (another resume\n"
                "included), or its workflow or bindings file changed since it began.\n",
                fz_resume_options,
                "Exit status: as `flowzap run` (0 completed, 3 failed, 130 interrupted, 74 the\n"
                "journal could not be written: the run stays resumable), or 5 when refused.\n");
}

fz_journal *fz_cli_resume_journal;

int fz_cmd_resume(int argc, char **argv)
{
    const char *db = NULL;
    int64_t id = 0;
    unsigned opts = 0;
    int st0 = fz_cli_parse("resume", fz_resume_options, &argc, &argv);
    if (st0)
        return st0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            resume_usage(stdout);
            return FZ_EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(a, "--db=", 5))
            db = a + 5;
        else if (!strcmp(a, "--force"))
            opts |= FZ_CLI_RESUME_FORCE;
        else if (!strcmp(a, "--kill-orphans"))
            opts |= FZ_CLI_RESUME_KILL_ORPHANS;
        else if (!id && (id = fz_cli_parse_run_id(a)) != 0)
            ;
        else {
            fz_cli_usage_error("resume: unexpected argument '%s' (a run id is a positive number)",
                               a);
            return FZ_EXIT_USAGE;
        }
    }
    if (!id) {
        fz_cli_error("resume: which run? give its id (`flowzap runs` lists them)");
        return FZ_EXIT_USAGE;
    }
    fz_journal *j = NULL;
    char path[4096];
    fz_journal_run r;
    int status;
    if (fz_cli_resume_journal && !db) {
        /* Opened by the worker that forked this process. */
        j = fz_cli_resume_journal;
        fz_cli_resume_journal = NULL;
        snprintf(path, sizeof path, "%s", fz_journal_where(j));
        int rc = fz_journal_run_get(j, id, &r);
        if (rc) {
            fz_cli_error("cannot resume: %s at %s", fz_journal_errmsg(j), path);
            fz_cli_journal_drop(j);
            return rc == FZ_ENOENT ? FZ_EXIT_REFUSED : FZ_EXIT_IO;
        }
    } else {
        status = fz_cli_journal_open_run(db, id, "cannot resume", &j, path, sizeof path, &r);
        if (status)
            return status;
    }
    if (strcmp(r.state, FZ_JOURNAL_COMPLETED) == 0 || strcmp(r.state, FZ_JOURNAL_FAILED) == 0) {
        fz_cli_error("cannot resume run %lld: it already %s (%s); start a new run instead",
                     (long long)id, r.state, r.outcome ? r.outcome : "no outcome");
        fz_cli_journal_drop(j);
        return FZ_EXIT_REFUSED;
    }
    /* Checked again, atomically, when the run is claimed (runjournal.c):
     * this early refusal only spares hashing and parsing. */
    fz_proc_state owner =
        r.pid == (int64_t)getpid() ? FZ_PROC_GONE : fz_proc_check(r.pid, r.owner_id);
    if (owner == FZ_PROC_ALIVE || (owner == FZ_PROC_UNKNOWN && !(opts & FZ_CLI_RESUME_FORCE))) {
        if (owner == FZ_PROC_ALIVE)
            fz_cli_error("cannot resume run %lld: it is still running in process %lld",
                         (long long)id, (long long)r.pid);
        else
            fz_cli_error("cannot resume run %lld: it is still running in process %lld, as far as "
                         "the journal can tell (that pid is alive; its start time was not "
                         "recorded, so it may be another process under a reused pid: `flowzap "
                         "resume %lld --force` takes the run over)",
                         (long long)id, (long long)r.pid, (long long)id);
        fz_cli_journal_drop(j);
        return FZ_EXIT_REFUSED;
    }

    /* The files must be the ones the run began with: checked here, before
     * they are parsed, so that an edit is named as such. */
    const char *files[2] = {r.workflow, r.bindings};
    const char *want[2] = {r.workflow_hash, r.bindings_hash};
    static const char *const what[2] = {"workflow", "bindings"};
    for (int i = 0; i < 2; i++) {
        char hex[FZ_JOURNAL_HASH_LEN];
        if (!files[i] || !want[i])
            continue;
        int err = fz__cli_hash_file(files[i], hex);
        if (err || strcmp(hex, want[i]) != 0) {
            if (err)
                fz_cli_error("cannot resume run %lld: cannot read its %s file '%s': %s",
                             (long long)id, what[i], files[i], strerror(err));
            else
                fz_cli_error("cannot resume run %lld: %s file '%s' changed since the run began "
                             "(sha256 %.12s..., recorded %.12s...); start a new run instead",
                             (long long)id, what[i], files[i], hex, want[i]);
            fz_cli_journal_drop(j);
            return FZ_EXIT_REFUSED;
        }
    }

    /* Back to the run's own command line, in its own directory. */
    json_t *args = json_loads(r.args ? r.args : "", 0, NULL);
    size_t n = json_is_array(args) ? json_array_size(args) : 0;
    if (n < 2 || !r.cwd) {
        fz_cli_error("cannot resume run %lld: the journal lacks its command line", (long long)id);
        json_decref(args);
        fz_cli_journal_drop(j);
        return FZ_EXIT_REFUSED;
    }
    char **av = fz_calloc(NULL, n + 1, sizeof *av);
    if (!av) {
        json_decref(args);
        fz_cli_journal_drop(j);
        return FZ_EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < n; i++)
        av[i] = (char *)json_string_value(json_array_get(args, i));
    /* The journal is found again from the run's directory. */
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path);
    if (chdir(r.cwd) != 0) {
        fz_cli_error("cannot resume run %lld: cannot enter its directory '%s': %s", (long long)id,
                     r.cwd, strerror(errno));
        status = FZ_EXIT_REFUSED;
        fz_cli_journal_drop(j);
    } else {
        /* The run's own request, from its recorded command line, with
         * the run to continue: the journal is handed over in it. */
        fz_cli_resume res = {.j = j, .id = id, .opts = opts, .known = 1};
        snprintf(res.workflow_hash, sizeof res.workflow_hash, "%s",
                 r.workflow_hash ? r.workflow_hash : "");
        snprintf(res.bindings_hash, sizeof res.bindings_hash, "%s",
                 r.bindings_hash ? r.bindings_hash : "");
        snprintf(res.path, sizeof res.path, "%s", abs);
        fz_run_request req;
        status = fz_cli_run_request_parse((int)n, av, &req);
        if (status == 0) {
            req.resume = &res;
            status = fz_cli_run_workflow(&req);
        } else if (status < 0)
            status = FZ_EXIT_OK;
        fz_cli_run_request_fini(&req);
        /* The run took the journal over (and closed it) unless it failed
         * before opening it. */
        fz_cli_journal_drop(res.j);
    }
    fz_free(NULL, av, (n + 1) * sizeof *av);
    json_decref(args);
    return status;
}
