/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the exec and shell handlers: run a program, map its exit status
 * to an answer (0 ok, 1 no, anything else, a signal or a timeout: error)
 * and read `::set KEY=VALUE` and `::outcome NAME` lines from its stdout.
 *
 * Labels are untrusted: `exec` never involves a shell, and each ${VAR}
 * lands inside exactly one argv element, so a value holding `;`, `$(...)`
 * or quotes is one literal argument. `shell:` runs /bin/sh -c SCRIPT with
 * the script text as written in the bindings file (never expanded); values
 * reach it only as positional parameters ($1.. = numbered captures) and
 * environment variables, which the script quotes ("$FZ_VAR_IMAGE").
 *
 * The environment: a run variable may hold anything a step printed, so it
 * never chooses an environment name by itself. Each variable the step
 * sees is exported as FZ_VAR_<name>; other names come only from the rule's
 * `env:` mapping, written by the bindings' author and checked at load:
 * names that make a loader or a shell run code (LD_*, BASH_ENV, ENV, IFS...)
 * are refused there. `::set` and `::outcome` lines are read from the whole
 * of stdout as it arrives (real.c's line reader), not from the kept part.
 */
#include <ctype.h>
#include <libfyaml.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/status.h"
#include "core/term.h"
#include "real/bind.h"
#include "real/handler.h"

typedef struct exec_cfg {
    char **argv; /* exec: the argv templates; shell: {script} */
    uint32_t argc;
    char *cwd;  /* resolved against the bindings file's directory */
    fz_kv *env; /* additions (value templates) */
    uint32_t nenv;
    int shell;
} exec_cfg;

static const char *const exec_keys[] = {"cwd", "env", NULL};

static void exec_free(const fz_alloc *a, void *p)
{
    exec_cfg *c = p;
    if (!c)
        return;
    fz__strv_free(a, c->argv);
    fz__kvv_free(a, c->env);
    if (c->cwd)
        fz_free(a, c->cwd, strlen(c->cwd) + 1);
    fz_free(a, c, sizeof(*c));
}

static int valid_env_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* Names an `env:` mapping may not set, and why (docs/bindings.md): each
 * makes the dynamic loader or a shell run code or reparse text that the
 * step did not write. A prefix ends with '*'. ORDER: docs/bindings.md. */
static const struct {
    const char *name, *why;
} env_denied[] = {
    {"LD_*", "the dynamic loader reads it (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...)"},
    {"DYLD_*", "the dynamic loader reads it"},
    {"GCONV_PATH", "glibc loads code from it"},
    {"BASH_ENV", "bash runs the file it names before the script"},
    {"ENV", "sh runs the file it names"},
    {"BASH_FUNC_*", "bash imports functions from it"},
    {"SHELLOPTS", "it sets shell options (xtrace with PS4 runs code)"},
    {"BASHOPTS", "it sets shell options"},
    {"PS4", "the shell expands it, command substitutions included, under xtrace"},
    {"IFS", "it changes how the shell splits words"},
    {"FZ_*", "names starting FZ_ are flowzap's (FZ_ATTEMPT, FZ_VAR_...)"},
};

/* Why name may not be set by an `env:` mapping, or NULL when it may. */
static const char *env_refused(const char *name)
{
    for (size_t i = 0; i < sizeof(env_denied) / sizeof(env_denied[0]); i++) {
        const char *d = env_denied[i].name;
        size_t n = strlen(d);
        if (d[n - 1] == '*' ? strncmp(name, d, n - 1) == 0 : strcmp(name, d) == 0)
            return env_denied[i].why;
    }
    return NULL;
}

/* Checks an `env:` mapping, each problem at its own key: names are
 * identifiers, not on the deny list, and PATH is written literally (a run
 * variable in it could come from any step's output). */
static int check_env(fz_bind_loader *ld, struct fy_node *map, const exec_cfg *c)
{
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    for (uint32_t i = 0; i < c->nenv && (p = fy_node_mapping_iterate(map, &it)); i++) {
        struct fy_node *k = fy_node_pair_key(p);
        const char *name = c->env[i].key, *why = NULL;
        int r = FZ_OK;
        if (!valid_env_name(name))
            r = fz__bind_error(ld, k, "'env': '%s' is not a variable name (letters, digits, _)",
                               name);
        else if ((why = env_refused(name)) != NULL)
            r = fz__bind_error(ld, k, "'env': '%s' may not be set by a rule: %s", name, why);
        else if (strcmp(name, "PATH") == 0 && fz__has_ref(c->env[i].value))
            r = fz__bind_error(ld, fy_node_pair_value(p),
                               "'env': PATH must be written out, without ${...}: a run "
                               "variable may hold what any step printed");
        if (r == FZ_ENOMEM)
            return r;
        rc = r ? r : rc;
    }
    return rc;
}

static int validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value, void **cfg,
                    int shell)
{
    const fz_alloc *a = fz__bind_alloc(ld);
    exec_cfg *c = fz_calloc(a, 1, sizeof(*c));
    if (!c)
        return FZ_ENOMEM;
    c->shell = shell;
    int rc = FZ_OK;
    if (shell) {
        c->argv = fz_calloc(a, 2, sizeof(char *));
        rc = c->argv ? fz__yaml_string(ld, value, "shell", &c->argv[0]) : FZ_ENOMEM;
        if (!rc)
            c->argc = 1;
        if (!rc && c->argv[0][0] == '\0')
            rc = fz__bind_error(ld, value, "'shell' must not be empty");
    } else {
        rc = fz__yaml_strv(ld, value, "exec", &c->argv, &c->argc);
        if (!rc && (c->argc == 0 || c->argv[0][0] == '\0'))
            rc = fz__bind_error(ld, value, "'exec' needs a program: exec: [PROGRAM, ARG...]");
    }
    if (rc == FZ_ENOMEM)
        goto out;
    struct fy_node *v = fy_node_mapping_lookup_by_string(rule, "cwd", FY_NT);
    if (v) {
        char *cwd = NULL;
        int r = fz__yaml_string(ld, v, "cwd", &cwd);
        if (r == FZ_ENOMEM) {
            rc = r;
            goto out;
        }
        if (!r && cwd[0] != '/') {
            const char *dir = fz__bind_dir(ld);
            size_t n = strlen(dir) + strlen(cwd) + 2;
            c->cwd = fz_malloc(a, n);
            if (c->cwd)
                snprintf(c->cwd, n, "%s/%s", dir, cwd);
            fz_free(a, cwd, strlen(cwd) + 1);
            if (!c->cwd) {
                rc = FZ_ENOMEM;
                goto out;
            }
        } else if (!r) {
            c->cwd = cwd;
        }
        rc = r ? r : rc;
    } else {
        c->cwd = fz_strdup(a, fz__bind_dir(ld));
        if (!c->cwd) {
            rc = FZ_ENOMEM;
            goto out;
        }
    }
    v = fy_node_mapping_lookup_by_string(rule, "env", FY_NT);
    if (v) {
        int r = fz__yaml_kvv(ld, v, "env", &c->env, &c->nenv);
        if (r == FZ_ENOMEM) {
            rc = r;
            goto out;
        }
        if (!r)
            r = check_env(ld, v, c);
        if (r == FZ_ENOMEM) {
            rc = r;
            goto out;
        }
        rc = r ? r : rc;
    }
out:
    if (rc) {
        exec_free(a, c);
        return rc;
    }
    *cfg = c;
    return FZ_OK;
}

static int exec_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                         void **cfg)
{
    return validate(ld, rule, value, cfg, 0);
}

static int shell_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                          void **cfg)
{
    return validate(ld, rule, value, cfg, 1);
}

/* What a running step has read from its stdout so far. */
typedef struct exec_run {
    const char *outcome; /* the last `::outcome` */
    uint64_t line;       /* lines read */
    uint64_t taken;      /* bytes of directive lines taken */
    char error[400];     /* the first problem with them ("": none) */
} exec_run;

/* The `::set` and `::outcome` lines of one step may hold this much in all:
 * their values live until the step ends. */
#define DIRECTIVE_BYTES_MAX ((uint64_t)16 << 20)

static int starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/* One stdout line: `::set K=V` sets the run variable K for the steps after
 * this one, `::outcome NAME` names the step's outcome (the last wins). A
 * directive that is cut (longer than FZ_JOB_LINE_MAX) or past
 * DIRECTIVE_BYTES_MAX makes the step an error; other lines are output. */
static void read_line(fz_job *j, const char *p, size_t ll, int cut)
{
    exec_run *st = fz__job_data(j);
    st->line++;
    if (ll && p[ll - 1] == '\r' && !cut)
        ll--;
    int set = starts_with(p, ll, "::set "), outc = starts_with(p, ll, "::outcome ");
    int mask = starts_with(p, ll, "::mask ");
    if ((!set && !outc && !mask) || st->error[0])
        return;
    if (cut) {
        snprintf(st->error, sizeof(st->error),
                 "stdout line %llu: a %s line longer than %zu bytes (write a large value to a "
                 "file and pass its name)",
                 (unsigned long long)st->line,
                 set    ? "::set"
                 : outc ? "::outcome"
                        : "::mask",
                 FZ_JOB_LINE_MAX);
        return;
    }
    st->taken += ll;
    if (st->taken > DIRECTIVE_BYTES_MAX) {
        snprintf(st->error, sizeof(st->error),
                 "stdout line %llu: the step's ::set and ::outcome lines hold more than %llu "
                 "bytes",
                 (unsigned long long)st->line, (unsigned long long)DIRECTIVE_BYTES_MAX);
        return;
    }
    if (mask) {
        /* masked everywhere from now on, and in this step's whole output:
         * it is masked when the step ends (docs/secrets.md) */
        int rc = fz__job_mask(j, p + 7, ll - 7);
        if (rc == FZ_EINVAL)
            fz__job_log(j, "::mask ignored: values shorter than 4 bytes are not masked");
        else if (rc == FZ_ENOMEM)
            snprintf(st->error, sizeof(st->error), "out of memory reading the output");
    } else if (set) {
        const char *kv = p + 6, *eq = memchr(kv, '=', ll - 6);
        size_t kl = eq ? (size_t)(eq - kv) : ll - 6;
        if (!eq || !fz__var_name_ok(kv, kl)) {
            /* a key no ${...} could name would be lost: the step says so
             * (docs/bindings.md, "::set lines"); the key is shown escaped */
            char kb[100];
            size_t show = kl > 64 ? 64 : kl;
            while (show < kl && show > 0 && ((unsigned char)kv[show] & 0xC0) == 0x80)
                show--; /* between characters */
            fz_term_esc(kb, sizeof(kb), kv, show);
            snprintf(st->error, sizeof(st->error),
                     !eq ? "stdout line %llu: '::set %s%s' has no '=' (write ::set KEY=VALUE)"
                         : "stdout line %llu: ::set key '%s%s' is not a variable name (a letter "
                           "or '_', then letters, digits and '_', as --set takes)",
                     (unsigned long long)st->line, kb, show < kl ? "..." : "");
            return;
        }
        size_t vl = (size_t)(p + ll - eq - 1);
        const fz_alloc *a = fz__job_alloc(j);
        char *tmp = fz_malloc(a, kl + vl + 2);
        if (tmp) {
            memcpy(tmp, kv, kl);
            tmp[kl] = '\0';
            memcpy(tmp + kl + 1, eq + 1, vl);
            tmp[kl + 1 + vl] = '\0';
        }
        if (!tmp || fz__job_set(j, tmp, tmp + kl + 1))
            snprintf(st->error, sizeof(st->error), "out of memory reading the output");
        if (tmp)
            fz_free(a, tmp, kl + vl + 2);
    } else {
        const char *s = p + 10;
        size_t sl = ll - 10;
        while (sl && isspace((unsigned char)s[sl - 1]))
            sl--;
        while (sl && isspace((unsigned char)*s))
            s++, sl--;
        if (sl) {
            st->outcome = fz__job_strndup(j, s, sl);
            if (!st->outcome)
                snprintf(st->error, sizeof(st->error), "out of memory reading the output");
        }
    }
}

/* The last non-empty line of text, for a short reason. */
static char *last_line(fz_job *j, const char *s, size_t len)
{
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    size_t st = len;
    while (st && s[st - 1] != '\n')
        st--;
    if (len - st > 200)
        st = len - 200;
    return len > st ? fz__job_strndup(j, s + st, len - st) : NULL;
}

static void exec_done(fz_job *j, const void *cfg, int status)
{
    (void)cfg;
    const char *out, *err;
    size_t out_len, err_len;
    fz__job_output(j, &out, &out_len, &err, &err_len);
    const exec_run *st = fz__job_data(j);
    const char *outcome = st->outcome;
    /* The reason quotes stderr: mask it first, whole. */
    if (fz__job_mask_output(j) && !st->error[0]) {
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory reading the output");
        return;
    }
    char reason[300];
    if (st->error[0]) {
        fz__job_set_exit(j, WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                            : WIFEXITED(status) ? WEXITSTATUS(status)
                                                : 255);
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, st->error);
        return;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        fz__job_set_exit(j, 128 + sig);
        snprintf(reason, sizeof(reason), "killed by signal %d (%s)", sig, strsignal(sig));
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
        return;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    fz__job_set_exit(j, code);
    fz__job_err_tail(j, &err, &err_len); /* the real end, past the output cap too */
    char *last = last_line(j, err, err_len);
    if (code == 0) {
        fz__job_finish(j, FZ_ANSWER_OK, outcome, NULL);
    } else if (code == 1) {
        snprintf(reason, sizeof(reason), "exit status 1%s%s", last ? ": " : "", last ? last : "");
        fz__job_finish(j, FZ_ANSWER_NO, outcome, reason);
    } else {
        snprintf(reason, sizeof(reason), "exit status %d%s%s", code, last ? ": " : "",
                 last ? last : "");
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
    }
}

/* Values longer than this are not exported as FZ_VAR_*: Linux refuses to
 * start a program with an environment string over 128 KiB (E2BIG), and
 * one large variable (a captured body) would then stop every later step. */
#define ENV_VALUE_MAX ((size_t)64 << 10)

typedef struct env_build {
    fz_job *j;
    fz_kv *kv;
    uint32_t n, cap;
    int oom;
} env_build;

/* Exports one variable the step sees as FZ_VAR_<key>. */
static void env_add_var(void *ud, const char *key, const char *value)
{
    env_build *eb = ud;
    /* Secrets reach a command only through its `env:` mapping. */
    if (eb->oom || !valid_env_name(key) || eb->n >= eb->cap || strlen(value) > ENV_VALUE_MAX ||
        fz__job_is_secret(eb->j, key, value))
        return;
    size_t kl = strlen(key);
    char *name = fz__job_mem(eb->j, kl + 8);
    if (!name) {
        eb->oom = 1;
        return;
    }
    memcpy(name, "FZ_VAR_", 7);
    memcpy(name + 7, key, kl + 1);
    eb->kv[eb->n].key = name;
    eb->kv[eb->n].value = value;
    eb->n++;
}

static void count_var(void *ud, const char *key, const char *value)
{
    (void)key;
    (void)value;
    (*(uint32_t *)ud)++;
}

static int exec_start(fz_job *j, const void *cfg)
{
    const exec_cfg *c = cfg;
    uint32_t nvars = 0;
    fz__job_each_var(j, count_var, &nvars);
    /* argv: shell gets sh -c SCRIPT flowzap $1..$9 */
    uint32_t argc = c->shell ? 4 + 9 : c->argc;
    char **argv = fz__job_mem(j, (argc + 1) * sizeof(char *));
    fz_kv *env = fz__job_mem(j, (c->nenv + nvars + 1) * sizeof(fz_kv));
    exec_run *st = fz__job_mem(j, sizeof(*st));
    if (!argv || !env || !st)
        return FZ_ENOMEM;
    fz__job_set_data(j, st);
    fz__job_stdout_lines(j, read_line);
    if (c->shell) {
        uint32_t k = 0;
        argv[k++] = (char *)"/bin/sh";
        argv[k++] = (char *)"-c";
        argv[k++] = c->argv[0];
        argv[k++] = (char *)"flowzap";
        for (int i = 1; i <= 9; i++) {
            char key[4];
            snprintf(key, sizeof(key), "%d", i);
            const char *v = fz__job_var(j, key);
            if (!v)
                break;
            argv[k++] = (char *)v;
        }
        argv[k] = NULL;
    } else {
        for (uint32_t i = 0; i < c->argc; i++) {
            int rc = fz__job_expand(j, c->argv[i], &argv[i]);
            if (rc == FZ_ENOENT) {
                fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL);
                return FZ_OK;
            }
            if (rc)
                return rc;
        }
    }
    /* FZ_VAR_<name> for every variable, then the rule's env: (which wins) */
    env_build eb = {j, env, 0, nvars, 0};
    fz__job_each_var(j, env_add_var, &eb);
    if (eb.oom)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < c->nenv; i++) {
        char *v = NULL;
        int rc = fz__job_expand(j, c->env[i].value, &v);
        if (rc == FZ_ENOENT) {
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL);
            return FZ_OK;
        }
        if (rc)
            return rc;
        env[eb.n].key = c->env[i].key;
        env[eb.n].value = v;
        eb.n++;
    }
    env[eb.n].key = NULL;
    return fz__job_spawn(j, argv, c->cwd, env, exec_done);
}

static void exec_describe(const void *cfg, char *buf, size_t len)
{
    const exec_cfg *c = cfg;
    size_t n = (size_t)snprintf(buf, len, "%s", c->shell ? "shell" : "exec");
    for (uint32_t i = 0; i < c->argc && n < len; i++) {
        const char *a = c->argv[i];
        int q = strpbrk(a, " \t\n'\"") != NULL || a[0] == '\0';
        n += (size_t)snprintf(buf + n, len - n, q ? " '%s'" : " %s", a);
    }
}

static void exec_info(const void *cfg, fz_rule_info *out)
{
    const exec_cfg *c = cfg;
    out->argv = c->argv;
    out->argc = c->argc;
    out->shell = c->shell;
    out->cwd = c->cwd;
    out->env = c->env;
    out->nenv = c->nenv;
}

const fz_handler_ops fz__handler_exec = {
    "exec", exec_validate, exec_start, NULL, exec_free, exec_describe, exec_keys, exec_info,
};

const fz_handler_ops fz__handler_shell = {
    "shell", shell_validate, exec_start, NULL, exec_free, exec_describe, exec_keys, exec_info,
};
