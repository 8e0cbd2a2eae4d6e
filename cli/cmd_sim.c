/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim.c - `flowzap sim`: run a workflow many times against a seeded
 * fault-injection backend and report what happens (docs/sim.md), replay
 * one run as a trace, find the smallest story that ends in an outcome,
 * enumerate exact outcome probabilities, run shards and merge them.
 * This is the only place of the simulator that reads entropy (a seed from
 * /dev/urandom when --seed is absent) or a clock (the progress bar).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/exitcodes.h"
#include "cli/options.h"
#include "core/status.h"
#include "core/term.h"
#include "real/journal.h"
#include "engine/trace.h"
#include "parser/parser.h"
#include "sim/exact.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/sim.h"

/* Text for people goes through the terminal escaper: scenario names,
 * labels and outcome names come from files (core/term.h). */
static void put(FILE *f, const char *s)
{
    fz_term_put(f, s ? s : "", s ? strlen(s) : 0, 0);
}

const fz_cli_opt fz_sim_options[] = {
    {"faults", 0, FZ_OPT_VALUE, "F",
     "scenario file (YAML; docs/sim.md). Without it (or with an empty file) the scenario "
     "\"default\": every node takes no time and answers ok, a decision picks one of its "
     "distinct labels uniformly (unlabelled edges: one choice)"},
    {"scenario", 0, FZ_OPT_VALUE, "NAME", "the scenario to run (default: the file's first)"},
    {"all-scenarios", 0, FZ_OPT_FLAG, NULL, "run every scenario and compare them side by side"},
    {"runs", 0, FZ_OPT_VALUE, "N", "runs in the study (default 10000)"},
    {"seed", 0, FZ_OPT_VALUE, "S", "study seed, 0..2^63-1 (default: random, printed)"},
    {"threads", 0, FZ_OPT_VALUE, "T", "worker threads (default: online CPUs)"},
    {"run", 0, FZ_OPT_VALUE, "K",
     "replay run K alone (with --trace OUT, write its JSON-lines trace)"},
    {"trace", 0, FZ_OPT_VALUE, "OUT", "with --run or --find: write the run's JSON-lines trace"},
    {"find", 0, FZ_OPT_VALUE, "OUTCOME",
     "the first run ending in OUTCOME (exact name or a part of it) and the one with the fewest "
     "injected faults, as a replay command (and a trace with --trace OUT)"},
    {"exact", 0, FZ_OPT_FLAG, NULL,
     "enumerate every path with its probability and print the exact outcome distribution "
     "(bounded loops, scenarios without time windows or outages)"},
    {"shard", 0, FZ_OPT_VALUE, "I/N",
     "run only slice I of N (0-based) of the run indices; write it with --json and add slices "
     "with `sim merge`. auto/N takes I from the scheduler's environment "
     "(JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX), auto also N "
     "(SLURM_ARRAY_TASK_COUNT, AWS_BATCH_JOB_ARRAY_SIZE); docs/sim.md"},
    {"json", 0, FZ_OPT_VALUE, "OUT", "write the report as JSON ('-' for stdout)"},
    {"min-coverage", 0, FZ_OPT_VALUE, "P",
     "exit 4 when fewer than P of the nodes or of the edges were visited (0.8 or 80%)"},
    {"paths", 0, FZ_OPT_VALUE, "N", "most common paths to list (default 5)"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "no terminal report (with --json)"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

const fz_cli_opt fz_merge_options[] = {
    {"output", 'o', FZ_OPT_VALUE, "OUT", "write the merged report to OUT (required)"},
    {"workflow", 0, FZ_OPT_VALUE, "FILE",
     "the workflow (default: the path the first part names); parts made from another "
     "version of it (content hash) are refused"},
    {"quiet", 'q', FZ_OPT_FLAG, NULL, "no terminal report of the merged study"},
    {"help", 'h', FZ_OPT_FLAG, NULL, "this text"},
    {NULL, 0, 0, NULL, NULL},
};

/* sim's and sim merge's --help: one text for both. */
static void usage(FILE *out)
{
    fputs("usage: flowzap sim FILE [--faults SCENARIOS.yaml] [OPTIONS]\n"
          "       flowzap sim merge PART.json... -o OUT.json [--workflow FILE]\n"
          "\n"
          "Runs FILE many times against a seeded fault-injection backend on a virtual\n"
          "clock and reports outcomes (with 95% confidence intervals), run durations,\n"
          "per-node visits, failures and time, common paths, injected faults and\n"
          "coverage. A study is a pure function of (workflow, scenario, seed, run\n"
          "index): the same figures for any --threads and on any machine.\n"
          "\n"
          "Options:\n",
          out);
    fz_cli_help_options(out, fz_sim_options);
    fputs("\n"
          "`sim merge` adds the JSON reports of shards (--shard I/N --json PART.json)\n"
          "into one report of the whole study. Its options:\n",
          out);
    fz_cli_help_options(out, fz_merge_options);
    fputs("\n"
          "Exit status: 0 done, 2 invalid workflow or scenario file, 3 the replayed\n"
          "run (--run) failed, 4 --min-coverage not met, 7 --find found nothing,\n"
          "64 bad command line, 74 a file could not be read or written.\n",
          out);
}

/* What reports name as the scenario file when there is no --faults. */
#define FZ_SIM_NO_FAULTS "(no --faults)"

typedef struct opts {
    const char *file, *faults, *scenario, *trace, *find, *json;
    uint64_t runs, seed, run_index;
    uint32_t threads, top_paths;
    uint32_t shard_i, shard_n;
    double min_cov;
    int has_seed, has_run, all, exact, has_shard, has_min_cov, quiet;
    int builtin; /* no --faults: the scenario "default" of an empty file */
} opts;

/*==========================================================================
 * Arguments
 *========================================================================*/

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int usage_error(const char *fmt, const char *arg)
{
    char msg[4096];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof msg, fmt, arg); /* every caller passes a literal with one %s */
#pragma GCC diagnostic pop
    /* arg is the user's: a newline or ESC in it is shown, not obeyed. */
    fprintf(stderr, "flowzap sim: ");
    fz_term_put(stderr, msg, strlen(msg), 0);
    fprintf(stderr, " (see 'flowzap sim --help')\n");
    return FZ_EXIT_USAGE;
}

/* A shard number as a scheduler writes it: decimal digits only, no sign,
 * no spaces, below 2^32. 0 and *out, or -1. */
static int shard_number(const char *s, uint32_t *out)
{
    uint64_t x = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 10)
            return -1;
        x = x * 10 + (uint64_t)(s[n] - '0');
    }
    if (n == 0 || x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* --shard auto or auto/N: the slice index from the first of these that is
 * set (docs/sim.md, "Across machines"), the count from /N or else from the
 * same scheduler. Values from the environment are checked like options:
 * a clear message and exit 64 for anything but a number in range. */
static int shard_auto(const char *v, opts *o)
{
    static const struct {
        const char *index, *count, *name;
    } sched[] = {
        {"JOB_COMPLETION_INDEX", NULL, "Kubernetes Indexed Job"},
        {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "Slurm job array"},
        {"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE", "AWS Batch array job"},
    };
    uint32_t n = 0;
    int has_n = 0;
    if (v[4] == '/') {
        if (shard_number(v + 5, &n) || n == 0) {
            fz_cli_error("--shard auto/N needs a count N from 1 to 4294967295, not '%s'", v + 5);
            return FZ_EXIT_USAGE;
        }
        has_n = 1;
    } else if (v[4]) {
        fz_cli_error("--shard needs I/N, auto or auto/N, not '%s'", v);
        return FZ_EXIT_USAGE;
    }
    size_t k = 0, ns = sizeof(sched) / sizeof(sched[0]);
    while (k < ns && !getenv(sched[k].index))
        k++;
    if (k == ns) {
        fz_cli_error("--shard %s: no shard index in the environment (JOB_COMPLETION_INDEX, "
                     "SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX); outside a scheduler "
                     "write --shard I/N",
                     v);
        return FZ_EXIT_USAGE;
    }
    const char *iv = getenv(sched[k].index);
    uint32_t i = 0;
    if (shard_number(iv, &i)) {
        fz_cli_error("--shard %s: %s is '%s', not a shard index (0, 1, ...)", v, sched[k].index,
                     iv);
        return FZ_EXIT_USAGE;
    }
    if (!has_n) {
        const char *cv = sched[k].count ? getenv(sched[k].count) : NULL;
        if (!sched[k].count) {
            fz_cli_error("--shard auto: the %s gives no shard count; write --shard auto/N",
                         sched[k].name);
            return FZ_EXIT_USAGE;
        }
        if (!cv) {
            fz_cli_error("--shard auto: the %s gives no shard count (%s is not set); write "
                         "--shard auto/N",
                         sched[k].name, sched[k].count);
            return FZ_EXIT_USAGE;
        }
        if (shard_number(cv, &n) || n == 0) {
            fz_cli_error("--shard auto: %s is '%s', not a shard count (1, 2, ...)", sched[k].count,
                         cv);
            return FZ_EXIT_USAGE;
        }
    }
    /* Slurm numbers tasks as the array was written: slices need 0..N-1. */
    const char *min = k == 1 ? getenv("SLURM_ARRAY_TASK_MIN") : NULL;
    const char *step = k == 1 ? getenv("SLURM_ARRAY_TASK_STEP") : NULL;
    if ((min && strcmp(min, "0")) || (step && strcmp(step, "1"))) {
        fz_cli_error("--shard %s: the Slurm array runs from %s in steps of %s; submit it with "
                     "--array=0-%u so the tasks are slices 0 to N-1",
                     v, min ? min : "0", step ? step : "1", n - 1);
        return FZ_EXIT_USAGE;
    }
    if (i >= n) {
        fz_cli_error("--shard %s: %s is %u, not a slice of %u (0 to %u)", v, sched[k].index, i, n,
                     n - 1);
        return FZ_EXIT_USAGE;
    }
    o->shard_i = i;
    o->shard_n = n;
    o->has_shard = 1;
    return FZ_EXIT_OK;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->runs = 10000;
    o->top_paths = 5;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (uint32_t)cpus : 1;
    int ops = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        if (!ops && !strcmp(a, "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            if (o->file)
                return usage_error("one workflow file only ('%s' is extra)", a);
            o->file = a;
            continue;
        }
#define NEED_VALUE()                                                           \
    do {                                                                       \
        if (!v)                                                                \
            return usage_error("%s needs a value", a);                         \
        i++;                                                                   \
    } while (0)
        if (!strcmp(a, "--faults")) {
            NEED_VALUE();
            o->faults = v;
        } else if (!strcmp(a, "--scenario")) {
            NEED_VALUE();
            o->scenario = v;
        } else if (!strcmp(a, "--all-scenarios")) {
            o->all = 1;
        } else if (!strcmp(a, "--runs")) {
            NEED_VALUE();
            if (fz_cli_parse_u64(v, UINT64_MAX / 2, &o->runs) || o->runs == 0)
                return usage_error("--runs needs a whole number from 1 to 2^63-1, not '%s'", v);
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (fz_cli_parse_u64(v, INT64_MAX, &o->seed))
                return usage_error("--seed needs a whole number from 0 to 2^63-1, not '%s'", v);
            o->has_seed = 1;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE();
            if (fz_cli_parse_u64(v, 256, &x) || x == 0)
                return usage_error("--threads needs a number from 1 to 256, not '%s'", v);
            o->threads = (uint32_t)x;
        } else if (!strcmp(a, "--run")) {
            NEED_VALUE();
            if (fz_cli_parse_u64(v, UINT64_MAX / 2, &o->run_index))
                return usage_error("--run needs a run index (0, 1, ...), not '%s'", v);
            o->has_run = 1;
        } else if (!strcmp(a, "--trace")) {
            NEED_VALUE();
            o->trace = v;
        } else if (!strcmp(a, "--find")) {
            NEED_VALUE();
            o->find = v;
        } else if (!strcmp(a, "--exact")) {
            o->exact = 1;
        } else if (!strcmp(a, "--shard") && v && !strncmp(v, "auto", 4)) {
            i++;
            int st = shard_auto(v, o);
            if (st)
                return st;
        } else if (!strcmp(a, "--shard")) {
            NEED_VALUE();
            uint32_t si = 0, sn = 0;
            const char *slash = strchr(v, '/');
            char iv[16] = "";
            if (slash && (size_t)(slash - v) < sizeof iv)
                memcpy(iv, v, (size_t)(slash - v));
            if (!slash || shard_number(iv, &si) || shard_number(slash + 1, &sn) || sn == 0 ||
                si >= sn)
                return usage_error("--shard needs I/N with 0 <= I < N (e.g. 3/16), not '%s'", v);
            o->shard_i = si;
            o->shard_n = sn;
            o->has_shard = 1;
        } else if (!strcmp(a, "--json")) {
            NEED_VALUE();
            o->json = v;
        } else if (!strcmp(a, "--min-coverage")) {
            NEED_VALUE();
            double p = 0;
            if (fz_cli_parse_share(v, &p))
                return usage_error("--min-coverage needs a share (0.8 or 80%%), not '%s'", v);
            o->min_cov = p;
            o->has_min_cov = 1;
        } else if (!strcmp(a, "--paths")) {
            NEED_VALUE();
            if (fz_cli_parse_u64(v, 100000, &x))
                return usage_error("--paths needs a whole number from 0 to 100000, not '%s'", v);
            o->top_paths = (uint32_t)x;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("one workflow file only ('%s' is extra)", a);
        }
#undef NEED_VALUE
    }
    if (!o->file)
        return usage_error("%s", "a workflow file is needed: flowzap sim FILE [--faults F]");
    if (o->all && o->scenario)
        return usage_error("%s", "--scenario and --all-scenarios exclude each other");
    if (o->has_run && !o->trace)
        return usage_error("%s", "--run K needs --trace OUT (the replayed run's trace)");
    if (o->trace && !o->has_run && !o->find)
        return usage_error("%s", "--trace goes with --run K or --find OUTCOME");
    if (o->has_run && !o->has_seed)
        return usage_error("%s", "--run K replays a run of a study: give the study's --seed");
    int modes = o->has_run + o->exact + (o->find != NULL) + o->all;
    if (modes > 1)
        return usage_error("%s", "--run, --exact, --find and --all-scenarios exclude each other");
    if (o->has_shard && (modes || !o->json))
        return usage_error("%s", "--shard writes a partial report: it needs --json and no "
                                 "--run, --exact, --find or --all-scenarios");
    if (o->quiet && !o->json && !o->has_run)
        return usage_error("%s", "--quiet leaves nothing to show without --json");
    return FZ_EXIT_OK;
}

/*==========================================================================
 * Loading
 *========================================================================*/

static void print_scenario_diags(const fz_scenario_file *f, const fz_diags *d, uint32_t from)
{
    uint32_t len = 0;
    const char *text = fz_scenario_file_text(f, &len);
    fz_linemap m;
    if (fz_linemap_init(&m, text, len, NULL))
        return;
    int color = fz_cli_color(stderr);
    for (uint32_t i = from; i < fz_diags_count(d); i++)
        fz_diag_print(stderr, fz_scenario_file_name(f), &m, fz_diags_at(d, i), color);
    fz_linemap_fini(&m);
}

static int load_scenarios(const char *path, fz_scenario_file **out)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_scenario_load(path, NULL, &d, out);
    int status = FZ_EXIT_OK;
    if (rc == FZ_ENOENT || rc == FZ_EIO) {
        fz_cli_error("cannot read '%s': %s", path, fz_strerror(rc));
        status = FZ_EXIT_IO;
    } else if (rc == FZ_EPARSE || d.errors) {
        fz_diags_sort(&d);
        print_scenario_diags(*out, &d, 0);
        fprintf(stderr, "%s: %u error%s\n", path, d.errors, d.errors == 1 ? "" : "s");
        status = FZ_EXIT_INVALID;
    } else if (rc) {
        fz_cli_error("'%s': %s", path, fz_strerror(rc));
        status = rc == FZ_ENOMEM ? FZ_EXIT_SOFTWARE : FZ_EXIT_INVALID;
    }
    fz_diags_fini(&d);
    return status;
}

/* Compiles scenario idx; prints its warnings once (warned) and notes the
 * decisions left to uniform choice. */
static int compile_scenario(const fz_scenario_file *f, uint32_t idx, const fz_graph *g,
                            int *warned, fz_scenario **out)
{
    int builtin = strcmp(fz_scenario_file_name(f), FZ_SIM_NO_FAULTS) == 0;
    fz_diags d;
    fz_diags_init(&d, NULL);
    int rc = fz_scenario_compile(f, idx, g, NULL, &d, out);
    int status = FZ_EXIT_OK;
    fz_diags_sort(&d);
    if (d.errors || !*warned)
        print_scenario_diags(f, &d, 0);
    *warned = 1;
    if (rc == FZ_ENOMEM) {
        fz_cli_error("out of memory");
        status = FZ_EXIT_SOFTWARE;
    } else if (rc) {
        fprintf(stderr, "%s: %u error%s\n", fz_scenario_file_name(f), d.errors,
                d.errors == 1 ? "" : "s");
        status = FZ_EXIT_INVALID;
    } else if (builtin) {
        uint32_t uniform = 0;
        for (uint32_t n = 0; n < (*out)->nnodes; n++)
            uniform += (*out)->nodes[n].uniform != 0;
        fprintf(stderr,
                "flowzap sim: note: no --faults: scenario \"default\": every node takes no time "
                "and answers ok; %u decision%s pick%s a label uniformly (docs/sim.md)\n",
                uniform, uniform == 1 ? "" : "s", uniform == 1 ? "s" : "");
    } else {
        for (uint32_t n = 0; n < (*out)->nnodes; n++)
            if ((*out)->nodes[n].uniform) {
                const fz_node *nd = fz_graph_node(g, n);
                fprintf(stderr, "flowzap sim: note: scenario '");
                put(stderr, (*out)->name);
                fprintf(stderr, "': no rule matches decision %.*s \"", (int)nd->id.len,
                        fz_graph_text(g, nd->id));
                fz_term_put(stderr, fz_graph_text(g, nd->label), nd->label.len, 0);
                fprintf(stderr, "\": its labels are picked uniformly\n");
            }
    }
    fz_diags_fini(&d);
    return status;
}

static uint64_t random_seed(void)
{
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&s, sizeof s, 1, f) != 1)
            s = 0;
        fclose(f);
    }
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec ^
            ((uint64_t)getpid() << 32);
    }
    return s & (uint64_t)INT64_MAX;
}

/*==========================================================================
 * Progress bar: stderr only, only on a terminal, only after one second
 *========================================================================*/

typedef struct progress {
    struct timespec t0;
    double last;
    int shown;
    const char *label;
} progress;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_fn(void *ud, uint64_t done, uint64_t total)
{
    progress *p = ud;
    double el = since(&p->t0);
    if (el < 1.0 || (el - p->last < 0.1 && done < total))
        return;
    p->last = el;
    p->shown = 1;
    int width = 30, fill = total ? (int)((double)done / (double)total * width) : width;
    fprintf(stderr, "\r");
    put(stderr, p->label);
    fprintf(stderr, " [%.*s%*s] %3.0f%% %" PRIu64 "/%" PRIu64 " runs", fill,
            "##############################", width - fill, "",
            total ? 100.0 * (double)done / (double)total : 100.0, done, total);
    fflush(stderr);
}

static void progress_end(progress *p)
{
    if (p->shown)
        fprintf(stderr, "\r%*s\r", 100, "");
}

/*==========================================================================
 * The modes
 *========================================================================*/

typedef struct setup {
    fz_graph *g;
    fz_scenario_file *f;
    char hash[FZ_JOURNAL_HASH_LEN];
} setup;

static int open_json(const char *path, FILE **fp)
{
    *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!*fp) {
        fz_cli_error("cannot write '%s': %s", path, strerror(errno));
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}

static int close_json(const char *path, FILE *fp, int rc)
{
    if (fp != stdout) {
        if (fclose(fp) != 0 && !rc)
            rc = FZ_EIO;
    } else if (fflush(fp) != 0 && !rc) {
        rc = FZ_EIO;
    }
    if (rc) {
        fz_cli_error("cannot write '%s': %s", path, fz_strerror(rc));
        return FZ_EXIT_IO;
    }
    return FZ_EXIT_OK;
}

static int write_report_json(const char *path, const fz_report *r)
{
    FILE *fp;
    int st = open_json(path, &fp);
    if (st)
        return st;
    return close_json(path, fp, fz_report_write_json(r, fp));
}

/* Writes the trace of run index to path; info receives what it did. */
static int write_trace(const opts *o, const setup *su, fz_sim *sim, uint64_t index,
                       const char *path, fz_sim_run_info *info)
{
    int rc = fz_sim_replay(sim, index, NULL, info); /* learns the run's start time */
    if (rc) {
        fz_cli_error("replaying run %" PRIu64 ": %s", index, fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!fp) {
        fz_cli_error("cannot write '%s': %s", path, strerror(errno));
        return FZ_EXIT_IO;
    }
    fz_trace_opts to = {.run = (int64_t)index,
                        .workflow = o->file,
                        .hash = su->hash,
                        .has_seed = 1,
                        .seed = o->seed,
                        .has_index = 1,
                        .index = index,
                        .has_t0 = 1,
                        .t0_ns = info->start_ns};
    fz_trace *tr = NULL;
    rc = fz_trace_new(fp, su->g, "sim", &to, NULL, &tr);
    if (!rc) {
        fz_observer obs;
        fz_trace_observer(tr, &obs);
        rc = fz_sim_replay(sim, index, &obs, info);
        if (!rc)
            rc = fz_trace_status(tr);
    }
    fz_trace_free(tr);
    int st = close_json(path, fp, rc == FZ_EIO ? FZ_EIO : 0);
    if (rc && rc != FZ_EIO) {
        fz_cli_error("replaying run %" PRIu64 ": %s", index, fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    return st;
}

static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
    double s = (double)ns / 1e9;
    if (s < 60)
        snprintf(buf, len, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static void print_run(FILE *out, const setup *su, uint64_t index, const fz_sim_run_info *info)
{
    char d[32];
    fmt_ns(d, sizeof d, info->duration_ns);
    fprintf(out, "run %" PRIu64 ": ", index);
    put(out, info->outcome);
    fprintf(out, " (%s) after %s of virtual time, %u steps, %u fault%s injected",
            info->state == FZ_RUN_FAILED ? "failed" : "completed", d,
            info->steps, info->nfaults, info->nfaults == 1 ? "" : "s");
    for (uint32_t i = 0; i < info->nfaults; i++) {
        const fz_node *nd = fz_graph_node(su->g, info->faults[i].node);
        fprintf(out, "%s %.*s %s", i ? "," : ":", (int)nd->id.len, fz_graph_text(su->g, nd->id),
                fz_fault_name((fz_fault_kind)info->faults[i].kind));
    }
    fprintf(out, "\n");
}

static void print_replay_cmd(FILE *out, const opts *o, const char *scenario, uint64_t index)
{
    /* A command to paste: each name as one shell word (core/term.h). */
    fprintf(out, "  flowzap sim ");
    fz_term_put_word(out, o->file);
    if (!o->builtin) {
        fprintf(out, " --faults ");
        fz_term_put_word(out, o->faults);
        fprintf(out, " --scenario ");
        fz_term_put_word(out, scenario);
    }
    fprintf(out, " --seed %" PRIu64 " --run %" PRIu64 " --trace run-%" PRIu64 ".jsonl\n",
            o->seed, index, index);
}

/* Finds the outcome matching want: exact name, else the most common one
 * containing it (case-insensitive). */
static const char *match_outcome(const fz_report *r, const char *want)
{
    if (fz_report_outcome_count(r, want))
        return want;
    size_t wl = strlen(want);
    for (uint32_t i = 0; i < fz_report_outcome_total(r); i++) {
        const char *name = fz_report_outcome_at(r, i, NULL, NULL);
        for (const char *p = name; *p; p++)
            if (strncasecmp(p, want, wl) == 0)
                return name;
    }
    return NULL;
}

/* What --find found: the outcome name, how many runs ended in it, the
 * first and the least-faulted of them. */
typedef struct found {
    char name[1024];
    uint64_t count, first, fewest;
    uint32_t nf;
} found;

static int ci_contains(const char *hay, const char *want)
{
    size_t wl = strlen(want);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, want, wl) == 0)
            return 1;
    return 0;
}

/* A report counted by end lists no joint outcome ("A + B"): replays runs
 * [first, first + count) one by one (each is a pure function of the seed
 * and its index) and matches their whole outcome: exactly, else the
 * outcome of the first run containing want (case-insensitive). 0 when
 * found, FZ_EXIT_NOT_FOUND, or FZ_EXIT_SOFTWARE. */
static int find_by_replay(const opts *o, const fz_plan *plan, const fz_scenario *s,
                          uint64_t first, uint64_t count, found *exact, found *part)
{
    fz_sim *sim = NULL;
    if (fz_sim_new(plan, s, o->seed, NULL, &sim))
        return FZ_EXIT_SOFTWARE;
    memset(exact, 0, sizeof *exact);
    memset(part, 0, sizeof *part);
    int st = FZ_EXIT_OK;
    for (uint64_t k = first; k < first + count; k++) {
        fz_sim_run_info info;
        if (fz_sim_replay(sim, k, NULL, &info)) {
            st = FZ_EXIT_SOFTWARE;
            break;
        }
        found *f = !strcmp(info.outcome, o->find) ? exact
                   : part->count ? (!strcmp(info.outcome, part->name) ? part : NULL)
                   : ci_contains(info.outcome, o->find) ? part
                                                        : NULL;
        if (!f)
            continue;
        if (f->count++ == 0) {
            snprintf(f->name, sizeof f->name, "%s", info.outcome);
            f->first = f->fewest = k;
            f->nf = info.nfaults;
        } else if (info.nfaults < f->nf) {
            f->fewest = k;
            f->nf = info.nfaults;
        }
    }
    fz_sim_free(sim);
    if (!st && !exact->count && !part->count)
        st = FZ_EXIT_NOT_FOUND;
    return st;
}

static int check_coverage(const opts *o, double nodes, double edges)
{
    if (!o->has_min_cov)
        return FZ_EXIT_OK;
    if (nodes + 1e-12 < o->min_cov || edges + 1e-12 < o->min_cov) {
        fprintf(stderr,
                "flowzap sim: coverage below --min-coverage %.1f%%: nodes %.1f%%, edges %.1f%%\n",
                100 * o->min_cov, 100 * nodes, 100 * edges);
        return FZ_EXIT_COVERAGE;
    }
    return FZ_EXIT_OK;
}

static int run_study(const opts *o, const setup *su, const fz_scenario *s, fz_plan *plan,
                     uint64_t first, uint64_t count, fz_report **out)
{
    fz_sim *sim = NULL;
    int rc = fz_sim_new(plan, s, o->seed, NULL, &sim);
    fz_report_meta meta = {o->file, su->hash, o->faults, s->name, o->seed};
    progress pg = {.label = s->name};
    clock_gettime(CLOCK_MONOTONIC, &pg.t0);
    fz_sim_progress prog = {progress_fn, &pg};
    if (!rc)
        rc = fz_sim_study(sim, first, count, o->threads, &meta, isatty(2) ? &prog : NULL, out);
    progress_end(&pg);
    fz_sim_free(sim);
    if (rc) {
        fz_cli_error("simulation failed: %s", fz_strerror(rc));
        return FZ_EXIT_SOFTWARE;
    }
    return FZ_EXIT_OK;
}

static int mode_single(const opts *o, const setup *su, fz_scenario *s, fz_plan *plan)
{
    int st = FZ_EXIT_OK;
    if (o->has_run) {
        fz_sim *sim = NULL;
        if (fz_sim_new(plan, s, o->seed, NULL, &sim))
            return FZ_EXIT_SOFTWARE;
        fz_sim_run_info info;
        st = write_trace(o, su, sim, o->run_index, o->trace, &info);
        if (!st) {
            print_run(strcmp(o->trace, "-") ? stdout : stderr, su, o->run_index, &info);
            if (info.state == FZ_RUN_FAILED)
                st = FZ_EXIT_RUN_FAILED;
        }
        fz_sim_free(sim);
        return st;
    }
    if (o->exact) {
        fz_exact *ex = NULL;
        char why[512] = "";
        int rc = fz_exact_run(plan, s, 1000000, NULL, &ex, why, sizeof why);
        if (rc) {
            if (rc == FZ_EINVAL)
                fz_cli_error("--exact: %s", why);
            else
                fz_cli_error("--exact: %s", fz_strerror(rc));
            fz_exact_free(ex);
            return rc == FZ_EINVAL ? FZ_EXIT_INVALID : FZ_EXIT_SOFTWARE;
        }
        FILE *fp = NULL;
        if (o->json && (st = open_json(o->json, &fp))) {
            fz_exact_free(ex);
            return st;
        }
        if (!o->quiet) {
            put(stdout, o->file);
            printf(" under scenario \"");
            put(stdout, s->name);
            printf("\" of ");
            put(stdout, o->faults);
            printf(": exact outcome distribution over %" PRIu64 " paths\n\n", fz_exact_paths(ex));
            for (uint32_t i = 0; i < fz_exact_count(ex); i++) {
                const char *name;
                fz_run_state stt;
                double p = fz_exact_at(ex, i, &name, &stt);
                char cell[4 * 52 + 1];
                printf("  %s %12.8f%%%s\n",
                       fz_term_cell(cell, sizeof cell, name, strlen(name), 52, 0), 100 * p,
                       stt == FZ_RUN_FAILED ? "  (failed)" : "");
            }
            if (fz_exact_pruned(ex) > 0)
                printf("\n  (the workflow cycles without a bound: paths less likely than 1e-10\n"
                       "   were not split further; each figure may be off by up to %.3g%%)\n",
                       100 * fz_exact_pruned(ex));
        }
        if (fp) {
            fprintf(fp, "{\"format\": \"flowzap-sim-exact\", \"workflow\": ");
            /* Names can hold any character: let jansson-free escaping be
             * simple and safe by printing through %s only for known-safe
             * text is not possible, so escape by hand. */
            const char *strs[] = {o->file, s->name};
            for (int k = 0; k < 2; k++) {
                if (k)
                    fprintf(fp, ", \"scenario\": ");
                fputc('"', fp);
                for (const char *c = strs[k]; *c; c++) {
                    if (*c == '"' || *c == '\\')
                        fprintf(fp, "\\%c", *c);
                    else if ((unsigned char)*c < 0x20)
                        fprintf(fp, "\\u%04x", *c);
                    else
                        fputc(*c, fp);
                }
                fputc('"', fp);
            }
            fprintf(fp, ", \"paths\": %" PRIu64 ", \"pruned\": %.17g, \"outcomes\": [",
                    fz_exact_paths(ex), fz_exact_pruned(ex));
            for (uint32_t i = 0; i < fz_exact_count(ex); i++) {
                const char *name;
                fz_run_state stt;
                double p = fz_exact_at(ex, i, &name, &stt);
                fprintf(fp, "%s{\"outcome\": \"", i ? ", " : "");
                for (const char *c = name; *c; c++) {
                    if (*c == '"' || *c == '\\')
                        fprintf(fp, "\\%c", *c);
                    else if ((unsigned char)*c < 0x20)
                        fprintf(fp, "\\u%04x", *c);
                    else
                        fputc(*c, fp);
                }
                fprintf(fp, "\", \"state\": \"%s\", \"probability\": %.17g}",
                        stt == FZ_RUN_FAILED ? "failed" : "completed", p);
            }
            fprintf(fp, "]}\n");
            st = close_json(o->json, fp, 0);
        }
        fz_exact_free(ex);
        return st;
    }

    uint64_t first = 0, count = o->runs;
    if (o->has_shard) {
        first = (uint64_t)((__uint128_t)o->runs * o->shard_i / o->shard_n);
        uint64_t last = (uint64_t)((__uint128_t)o->runs * (o->shard_i + 1) / o->shard_n);
        count = last - first;
        if (count == 0) {
            fz_cli_error("shard %u/%u of %" PRIu64 " runs is empty", o->shard_i, o->shard_n,
                         o->runs);
            return FZ_EXIT_USAGE;
        }
    }
    fz_report *r = NULL;
    if ((st = run_study(o, su, s, plan, first, count, &r)))
        return st;
    if (!o->quiet)
        fz_report_print(stdout, r, o->top_paths);
    if (o->find) {
        const char *name = match_outcome(r, o->find);
        uint64_t firstk, fewest, nfound = 0;
        uint32_t nf;
        fz_report_shape shape;
        fz_report_get_shape(r, &shape);
        found fx, fp;
        if (shape.by_end && !name) {
            /* Joint outcomes were folded into ends: find the whole name by
             * replaying the runs (an exact end or failure name is listed). */
            st = find_by_replay(o, plan, s, first, count, &fx, &fp);
            if (st == FZ_EXIT_SOFTWARE) {
                fz_report_free(r);
                return st;
            }
            if (!st) {
                const found *f = fx.count ? &fx : &fp;
                name = f->name;
                nfound = f->count;
                firstk = f->first;
                fewest = f->fewest;
                nf = f->nf;
            } else if (name && !fz_report_find(r, name, &firstk, &fewest, &nf)) {
                nfound = fz_report_outcome_count(r, name);
                st = FZ_EXIT_OK;
            } else {
                name = NULL;
                st = FZ_EXIT_OK;
            }
        } else if (name && !fz_report_find(r, name, &firstk, &fewest, &nf)) {
            nfound = fz_report_outcome_count(r, name);
        } else {
            name = NULL;
        }
        if (!name) {
            fprintf(stderr, "flowzap sim: no run of %" PRIu64 " ended in an outcome matching \"",
                    fz_report_runs(r));
            put(stderr, o->find);
            fprintf(stderr, "\"; raise --runs or check the names above\n");
            fz_report_free(r);
            return FZ_EXIT_NOT_FOUND;
        }
        printf("\nFind \"");
        put(stdout, o->find);
        printf("\": %" PRIu64 " of %" PRIu64 " runs ended in \"", nfound, fz_report_runs(r));
        put(stdout, name);
        printf("\"\n");
        printf("  first: run %" PRIu64 "\n", firstk);
        print_replay_cmd(stdout, o, s->name, firstk);
        printf("  fewest injected faults (%u): run %" PRIu64 "\n", nf, fewest);
        print_replay_cmd(stdout, o, s->name, fewest);
        if (o->trace) {
            fz_sim *sim = NULL;
            fz_sim_run_info info;
            if (fz_sim_new(plan, s, o->seed, NULL, &sim)) {
                fz_report_free(r);
                return FZ_EXIT_SOFTWARE;
            }
            st = write_trace(o, su, sim, fewest, o->trace, &info);
            if (!st) {
                printf("  trace of run %" PRIu64 " written to ", fewest);
                put(stdout, o->trace);
                printf("\n  ");
                print_run(stdout, su, fewest, &info);
            }
            fz_sim_free(sim);
        }
    }
    if (!st && o->json)
        st = write_report_json(o->json, r);
    if (!st)
        st = check_coverage(o, fz_report_node_coverage(r), fz_report_edge_coverage(r));
    fz_report_free(r);
    return st;
}

static int mode_all(const opts *o, const setup *su, fz_plan *plan, int *warned)
{
    uint32_t n = fz_scenario_count(su->f);
    fz_report **rs = calloc(n, sizeof *rs);
    if (!rs)
        return FZ_EXIT_SOFTWARE;
    int st = FZ_EXIT_OK;
    uint32_t nn = fz_graph_node_count(su->g), ne = fz_graph_edge_count(su->g);
    for (uint32_t i = 0; i < n && !st; i++) {
        fz_scenario *s = NULL;
        st = compile_scenario(su->f, i, su->g, warned, &s);
        if (!st) {
            fz_sim_apply(s, plan);
            st = run_study(o, su, s, plan, 0, o->runs, &rs[i]);
        }
        fz_scenario_free(s);
    }
    if (!st && !o->quiet) {
        for (uint32_t i = 0; i < n; i++) {
            fz_report_print(stdout, rs[i], o->top_paths);
            printf("\n");
        }
        /* Side by side: every outcome any scenario produced. */
        int w = 24;
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < fz_report_outcome_total(rs[i]); k++) {
                int l = (int)strlen(fz_report_outcome_at(rs[i], k, NULL, NULL));
                w = l > w ? (l < 72 ? l : 72) : w;
            }
        printf("Scenarios compared (%" PRIu64 " runs each, seed %" PRIu64 ")\n%-*s", o->runs,
               o->seed, w, "");
        for (uint32_t i = 0; i < n; i++)
        {
            char cell[4 * 18 + 1];
            const char *sn = fz_scenario_name(su->f, i);
            printf(" %s", fz_term_cell(cell, sizeof cell, sn, strlen(sn), 18, FZ_TERM_RIGHT));
        }
        printf("\n");
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t k = 0; k < fz_report_outcome_total(rs[i]); k++) {
                const char *name = fz_report_outcome_at(rs[i], k, NULL, NULL);
                int seen = 0;
                for (uint32_t j = 0; j < i && !seen; j++)
                    seen = fz_report_outcome_count(rs[j], name) > 0;
                for (uint32_t kk = 0; kk < k && !seen; kk++)
                    seen = strcmp(fz_report_outcome_at(rs[i], kk, NULL, NULL), name) == 0;
                if (seen)
                    continue;
                char cell[4 * 72 + 1];
                printf("%s", fz_term_cell(cell, sizeof cell, name, strlen(name), w, 0));
                for (uint32_t j = 0; j < n; j++)
                    printf(" %17.2f%%", 100.0 * (double)fz_report_outcome_count(rs[j], name) /
                                            (double)fz_report_runs(rs[j]));
                printf("\n");
            }
        const double qs[] = {0.5, 0.99};
        const char *qn[] = {"duration p50", "duration p99"};
        for (int q = 0; q < 2; q++) {
            printf("%-*s", w, qn[q]);
            for (uint32_t j = 0; j < n; j++) {
                char b[32];
                fmt_ns(b, sizeof b, fz_report_duration_quantile(rs[j], qs[q]));
                printf(" %18s", b);
            }
            printf("\n");
        }
        printf("%-*s", w, "edge coverage");
        for (uint32_t j = 0; j < n; j++)
            printf(" %17.1f%%", 100 * fz_report_edge_coverage(rs[j]));
        printf("\n");
    }
    /* The set's coverage: what any scenario exercised. */
    uint32_t vn = 0, ve = 0;
    if (!st) {
        for (uint32_t k = 0; k < nn; k++) {
            int any = 0;
            for (uint32_t j = 0; j < n; j++)
                any |= fz_report_node_runs(rs[j], k) > 0;
            vn += (uint32_t)any;
        }
        for (uint32_t k = 0; k < ne; k++) {
            int any = 0;
            for (uint32_t j = 0; j < n; j++)
                any |= fz_report_edge_runs(rs[j], k) > 0;
            ve += (uint32_t)any;
        }
        if (!o->quiet)
            printf("\nCoverage of the scenario set: nodes %u/%u, edges %u/%u\n", vn, nn, ve, ne);
    }
    if (!st && o->json) {
        FILE *fp;
        if (!(st = open_json(o->json, &fp))) {
            int rc = fputs("{\"format\": \"flowzap-sim-comparison\", \"scenarios\": [\n", fp) < 0
                         ? FZ_EIO
                         : 0;
            for (uint32_t j = 0; j < n && !rc; j++) {
                if (j && fputs(",\n", fp) < 0)
                    rc = FZ_EIO;
                char *js = fz_report_json_string(rs[j]);
                if (!js)
                    rc = FZ_ENOMEM;
                else if (fputs(js, fp) < 0)
                    rc = FZ_EIO;
                free(js);
            }
            if (!rc && fputs("\n]}\n", fp) < 0)
                rc = FZ_EIO;
            st = close_json(o->json, fp, rc);
        }
    }
    if (!st)
        st = check_coverage(o, nn ? (double)vn / nn : 1.0, ne ? (double)ve / ne : 1.0);
    for (uint32_t i = 0; i < n; i++)
        fz_report_free(rs[i]);
    free(rs);
    return st;
}

/*==========================================================================
 * sim merge
 *========================================================================*/

/* 1 when [b0, b1) meets one of the n ranges merged so far. */
static int overlaps(uint64_t (*ranges)[2], int n, uint64_t b0, uint64_t b1)
{
    for (int i = 0; i < n; i++)
        if (b0 < ranges[i][1] && ranges[i][0] < b1)
            return 1;
    return 0;
}

static int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, *workflow = NULL;
    const char **parts = calloc((size_t)argc + 1, sizeof *parts);
    int nparts = 0, quiet = 0, ops = 0;
    if (!parts)
        return FZ_EXIT_SOFTWARE;
    for (int i = 1; i < argc; i++) {
        if (!ops && !strcmp(argv[i], "--")) { /* operands follow (options.h) */
            ops = 1;
            continue;
        }
        if (ops) {
            parts[nparts++] = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc) {
                free(parts);
                return usage_error("%s needs a value", argv[i]);
            }
            out = argv[++i];
        } else if (!strcmp(argv[i], "--workflow")) {
            if (i + 1 >= argc) {
                free(parts);
                return usage_error("%s needs a value", argv[i]);
            }
            workflow = argv[++i];
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(parts);
            return FZ_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(parts);
            return usage_error("unknown option '%s'", argv[i]);
        } else {
            parts[nparts++] = argv[i];
        }
    }
    if (!nparts || !out) {
        free(parts);
        return usage_error("%s", "usage: flowzap sim merge PART.json... -o OUT.json");
    }
    int st = FZ_EXIT_OK;
    fz_graph *g = NULL;
    fz_report *acc = NULL;
    char err[512];
    uint64_t(*ranges)[2] = calloc((size_t)nparts + 1, sizeof *ranges);
    int nparts_done = 0;
    if (!ranges) {
        free(parts);
        return FZ_EXIT_SOFTWARE;
    }
    /* The workflow: --workflow, else the path the first part names. */
    char wpath[4096];
    if (!workflow) {
        int rc = fz_report_peek_workflow(parts[0], wpath, sizeof wpath, err, sizeof err);
        if (rc) {
            fz_cli_error("'%s': %s", parts[0], err);
            free(parts);
            free(ranges);
            return rc == FZ_ENOENT || rc == FZ_EIO ? FZ_EXIT_IO : FZ_EXIT_INVALID;
        }
        workflow = wpath;
    }
    if ((st = fz_cli_load(workflow, 0, &g))) {
        free(parts);
        free(ranges);
        return st;
    }
    for (int i = 0; i < nparts && !st; i++) {
        fz_report *r = NULL;
        int rc = fz_report_load(parts[i], g, NULL, &r, err, sizeof err);
        if (rc == FZ_ENOMEM) {
            fz_cli_error("out of memory");
            st = FZ_EXIT_SOFTWARE;
            break;
        }
        if (rc) {
            fz_cli_error("'%s': %s", parts[i], err);
            st = FZ_EXIT_INVALID;
            break;
        }
        char hash[FZ_JOURNAL_HASH_LEN];
        fz_journal_hash(g->src, g->src_len, hash);
        const fz_report_meta *m = fz_report_meta_of(r);
        if (strcmp(m->hash, hash) != 0) {
            fz_cli_error("'%s' was made from another version of %s (content hash differs)",
                         parts[i], workflow);
            st = FZ_EXIT_INVALID;
        } else if (acc) {
            const fz_report_meta *am = fz_report_meta_of(acc);
            uint64_t b0, b1;
            fz_report_range(r, &b0, &b1);
            if (strcmp(am->scenario, m->scenario) || am->seed != m->seed ||
                strcmp(am->faults, m->faults)) {
                fz_cli_error("'%s' is a part of another study (scenario, seed or scenario file "
                             "differ from '%s')",
                             parts[i], parts[0]);
                st = FZ_EXIT_INVALID;
            } else if (overlaps(ranges, nparts_done, b0, b1)) {
                fz_cli_error("'%s' covers runs %" PRIu64 "..%" PRIu64
                             " that parts before it already cover: each part once",
                             parts[i], b0, b1 - 1);
                st = FZ_EXIT_INVALID;
            } else if ((rc = fz_report_merge(acc, r)) == FZ_EINVAL) {
                fz_cli_error("'%s' does not fit '%s': \"outcomes_by\" or \"paths_max_len\" "
                             "differ (parts of one study agree on them)",
                             parts[i], parts[0]);
                st = FZ_EXIT_INVALID;
            } else if (rc) {
                fz_cli_error("out of memory");
                st = FZ_EXIT_SOFTWARE;
            }
        } else {
            acc = r;
            r = NULL;
        }
        if (!st) {
            const fz_report *part = r ? r : acc;
            fz_report_range(part, &ranges[nparts_done][0], &ranges[nparts_done][1]);
            if (!fz_report_runs(part))
                ranges[nparts_done][1] = ranges[nparts_done][0];
            nparts_done++;
        }
        fz_report_free(r);
    }
    if (!st) {
        uint64_t a0, a1;
        fz_report_range(acc, &a0, &a1);
        if (a1 - a0 != fz_report_runs(acc))
            fprintf(stderr,
                    "flowzap sim merge: note: the parts cover %" PRIu64 " of runs %" PRIu64
                    "..%" PRIu64 " (a part is missing)\n",
                    fz_report_runs(acc), a0, a1 ? a1 - 1 : 0);
        if (!quiet)
            fz_report_print(stdout, acc, 5);
        st = write_report_json(out, acc);
    }
    fz_report_free(acc);
    fz_graph_free(g);
    free(parts);
    free(ranges);
    return st;
}

/*==========================================================================
 * Entry
 *========================================================================*/

int fz_cmd_sim(int argc, char **argv)
{
    int merge = argc > 1 && !strcmp(argv[1], "merge");
    if (merge) {
        argc--;
        argv++;
    }
    int st0 = fz_cli_parse(merge ? "sim merge" : "sim", merge ? fz_merge_options : fz_sim_options,
                           &argc, &argv);
    if (st0)
        return st0;
    if (merge)
        return cmd_merge(argc, argv);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return FZ_EXIT_OK;
        }
    opts o;
    int st = parse_args(argc, argv, &o);
    if (st)
        return st;
    if (!o.has_seed && !o.exact) {
        o.seed = random_seed();
        fprintf(stderr, "flowzap sim: seed %" PRIu64 " (pass --seed %" PRIu64 " to repeat)\n",
                o.seed, o.seed);
    }
    setup su = {0};
    fz_plan *plan = NULL;
    fz_scenario *s = NULL;
    int warned = 0;
    if ((st = fz_cli_load(o.file, 0, &su.g)))
        goto out;
    fz_journal_hash(su.g->src, su.g->src_len, su.hash);
    if (!o.faults) {
        /* No --faults: the scenario of an empty file, run like any other. */
        o.faults = FZ_SIM_NO_FAULTS;
        o.builtin = 1;
        fz_diags d;
        fz_diags_init(&d, NULL);
        int rc = fz_scenario_parse(o.faults, "", 0, NULL, &d, &su.f);
        fz_diags_fini(&d);
        if (rc) {
            fz_cli_error("%s", fz_strerror(rc));
            st = FZ_EXIT_SOFTWARE;
            goto out;
        }
    } else if ((st = load_scenarios(o.faults, &su.f))) {
        goto out;
    }
    if (fz_plan_new(su.g, NULL, NULL, &plan)) {
        fz_cli_error("'%s': cannot build a plan", o.file);
        st = FZ_EXIT_SOFTWARE;
        goto out;
    }
    if (o.all) {
        st = mode_all(&o, &su, plan, &warned);
        goto out;
    }
    uint32_t idx = 0;
    if (o.scenario && (idx = fz_scenario_find(su.f, o.scenario)) == FZ_NONE) {
        fprintf(stderr, "flowzap sim: ");
        put(stderr, o.faults);
        fprintf(stderr, " has no scenario '");
        put(stderr, o.scenario);
        fprintf(stderr, "'; it has:");
        for (uint32_t i = 0; i < fz_scenario_count(su.f); i++)
        {
            fprintf(stderr, " ");
            put(stderr, fz_scenario_name(su.f, i));
        }
        fprintf(stderr, "\n");
        st = FZ_EXIT_INVALID;
        goto out;
    }
    if ((st = compile_scenario(su.f, idx, su.g, &warned, &s)))
        goto out;
    fz_sim_apply(s, plan);
    st = mode_single(&o, &su, s, plan);
out:
    fz_scenario_free(s);
    fz_plan_free(plan);
    fz_scenario_file_free(su.f);
    fz_graph_free(su.g);
    return st;
}
