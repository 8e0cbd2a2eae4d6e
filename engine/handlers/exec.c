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
 * environment variables, which the script quotes ("$IMAGE").
 */
#include <ctype.h>
#include <libfyaml.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/status.h"
#include "engine/handler.h"

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
        for (uint32_t i = 0; !r && i < c->nenv; i++)
            if (!valid_env_name(c->env[i].key))
                r = fz__bind_error(ld, v, "'env': '%s' is not a variable name (letters, digits, _)",
                                   c->env[i].key);
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

/* Reads `::mask VALUE` lines first, so that a value masked anywhere in the
 * output is masked in all of it (and in `::set` values holding it). */
static void parse_masks(fz_job *j, const char *out, size_t len)
{
    const char *p = out, *end = out + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll > 7 && memcmp(p, "::mask ", 7) == 0) {
            int rc = fz__job_mask(j, p + 7, ll - 7);
            if (rc == FZ_EINVAL)
                fz__job_log(j, "::mask ignored: values shorter than 4 bytes are not masked");
        }
        p = nl ? nl + 1 : end;
    }
}

/* Reads `::set K=V` and `::outcome NAME` lines; returns the last outcome. */
static const char *parse_stdout(fz_job *j, const char *out, size_t len, int *oom)
{
    const char *outcome = NULL;
    parse_masks(j, out, len);
    const char *p = out, *end = out + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll > 6 && memcmp(p, "::set ", 6) == 0) {
            const char *kv = p + 6, *eq = memchr(kv, '=', ll - 6);
            if (eq && eq > kv) {
                char *k = fz__job_strndup(j, kv, (size_t)(eq - kv));
                char *v = fz__job_strndup(j, eq + 1, (size_t)(p + ll - eq - 1));
                if (!k || !v || fz__job_set(j, k, v))
                    *oom = 1;
            }
        } else if (ll > 10 && memcmp(p, "::outcome ", 10) == 0) {
            const char *s = p + 10;
            size_t sl = ll - 10;
            while (sl && isspace((unsigned char)s[sl - 1]))
                sl--;
            while (sl && isspace((unsigned char)*s))
                s++, sl--;
            if (sl) {
                outcome = fz__job_strndup(j, s, sl);
                if (!outcome)
                    *oom = 1;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return outcome;
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
    int oom = 0;
    const char *outcome = parse_stdout(j, out, out_len, &oom);
    /* The reason quotes stderr: mask it first, whole. */
    if (fz__job_mask_output(j))
        oom = 1;
    fz__job_output(j, &out, &out_len, &err, &err_len);
    char reason[300];
    if (oom) {
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory reading the output");
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

typedef struct env_build {
    fz_job *j;
    fz_kv *kv;
    uint32_t n, cap;
    int oom;
} env_build;

static void env_add_var(void *ud, const char *key, const char *value)
{
    env_build *eb = ud;
    /* Secrets reach a command only through its `env:` mapping. */
    if (!valid_env_name(key) || eb->n >= eb->cap || fz__job_is_secret(eb->j, key, value))
        return;
    eb->kv[eb->n].key = key;
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
    if (c->shell)
        fz__job_each_var(j, count_var, &nvars);
    /* argv: shell gets sh -c SCRIPT flowzap $1..$9 */
    uint32_t argc = c->shell ? 4 + 9 : c->argc;
    char **argv = fz__job_mem(j, (argc + 1) * sizeof(char *));
    fz_kv *env = fz__job_mem(j, (c->nenv + nvars + 1) * sizeof(fz_kv));
    if (!argv || !env)
        return FZ_ENOMEM;
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
    env_build eb = {j, env, 0, c->nenv + nvars, 0};
    if (c->shell)
        fz__job_each_var(j, env_add_var, &eb);
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

const fz_handler_ops fz__handler_exec = {
    "exec", exec_validate, exec_start, NULL, exec_free, exec_describe, exec_keys,
};

const fz_handler_ops fz__handler_shell = {
    "shell", shell_validate, exec_start, NULL, exec_free, exec_describe, exec_keys,
};
