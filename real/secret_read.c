/* SPDX-License-Identifier: MIT */
/*
 * secret_read.c - reading secrets from the environment, a file or a
 * command's stdout (fz_secrets_read, declared in engine/secret.h). It runs
 * processes, so it lives with the real backend; the masker stays in
 * engine/secret.c.
 */
/* fork, pipe2, kill, setpgid */
#define _GNU_SOURCE

#include "engine/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"

/*==========================================================================
 * Reading secrets
 *========================================================================*/

/* Drops one trailing newline (\n or \r\n). */
static size_t trim_newline(const char *p, size_t len)
{
    if (len && p[len - 1] == '\n') {
        len--;
        if (len && p[len - 1] == '\r')
            len--;
    }
    return len;
}

static int read_file(const fz_secret_spec *sp, char *buf, size_t cap, size_t *len, char *err,
                     size_t errlen)
{
    int fd = open(sp->arg, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "secret %s: cannot read file '%s': %s", sp->name, sp->arg,
                 strerror(e));
        return e == ENOENT ? FZ_ENOENT : FZ_EIO;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            snprintf(err, errlen, "secret %s: cannot read file '%s': %s", sp->name, sp->arg,
                     strerror(e));
            return FZ_EIO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            close(fd);
            snprintf(err, errlen, "secret %s: file '%s' is larger than %d bytes", sp->name, sp->arg,
                     FZ_SECRET_MAX_LEN);
            return FZ_EINVAL;
        }
    }
    close(fd);
    *len = n;
    return FZ_OK;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_command(const fz_secret_spec *sp, char *buf, size_t cap, size_t *len, char *err,
                       size_t errlen)
{
    const char *prog = sp->argv[0];
    int p[2];
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "secret %s: cannot run '%s': %s", sp->name, prog, strerror(errno));
        return FZ_EIO;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "secret %s: cannot run '%s': %s", sp->name, prog, strerror(errno));
        close(p[0]);
        close(p[1]);
        return FZ_EIO;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(p[1], 1);
        if (sp->cwd && chdir(sp->cwd) != 0)
            _exit(126);
        execvp(prog, sp->argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(p[1]);
    uint64_t limit = sp->timeout_ns ? sp->timeout_ns : 30000000000ull;
    uint64_t until = mono_ns() + limit;
    size_t n = 0;
    int rc = FZ_OK, too_big = 0, timed_out = 0;
    for (;;) {
        uint64_t now = mono_ns();
        if (now >= until) {
            timed_out = 1;
            break;
        }
        struct pollfd pf = {p[0], POLLIN, 0};
        uint64_t ms = (until - now) / 1000000u + 1;
        int pr = poll(&pf, 1, ms > 60000 ? 60000 : (int)ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char tmp[4096];
        ssize_t r = read(p[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (n + (size_t)r >= cap)
            too_big = 1;
        else {
            memcpy(buf + n, tmp, (size_t)r);
            n += (size_t)r;
        }
    }
    close(p[0]);
    if (timed_out)
        kill(-pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* what it left behind */
    if (timed_out) {
        snprintf(err, errlen, "secret %s: command '%s' did not finish within %.3gs", sp->name, prog,
                 (double)limit / 1e9);
        rc = FZ_ETIMEOUT;
    } else if (WIFSIGNALED(st)) {
        snprintf(err, errlen, "secret %s: command '%s' was killed by signal %d", sp->name, prog,
                 WTERMSIG(st));
        rc = FZ_EIO;
    } else if (WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "secret %s: command '%s' exited with status %d%s", sp->name, prog,
                 WEXITSTATUS(st), WEXITSTATUS(st) == 127 ? " (not found?)" : "");
        rc = FZ_EIO;
    } else if (too_big) {
        snprintf(err, errlen, "secret %s: command '%s' printed more than %d bytes", sp->name, prog,
                 FZ_SECRET_MAX_LEN);
        rc = FZ_EINVAL;
    }
    *len = n;
    return rc;
}

int fz_secrets_read(fz_secrets *s, const fz_secret_spec *sp, char *err, size_t errlen)
{
    char *buf = NULL;
    const char *v = NULL;
    size_t len = 0;
    int rc = FZ_OK;
    const char *from = "";
    switch (sp->kind) {
    case FZ_SECRET_ENV:
        v = getenv(sp->arg);
        if (!v) {
            snprintf(err, errlen, "secret %s: environment variable %s is not set", sp->name,
                     sp->arg);
            return FZ_ENOENT;
        }
        len = strlen(v);
        from = "environment variable";
        break;
    case FZ_SECRET_FILE:
    case FZ_SECRET_COMMAND:
        buf = fz_malloc(NULL, FZ_SECRET_MAX_LEN + 1);
        if (!buf)
            return FZ_ENOMEM;
        rc = sp->kind == FZ_SECRET_FILE
                 ? read_file(sp, buf, FZ_SECRET_MAX_LEN + 1, &len, err, errlen)
                 : run_command(sp, buf, FZ_SECRET_MAX_LEN + 1, &len, err, errlen);
        len = trim_newline(buf, len);
        v = buf;
        from = sp->kind == FZ_SECRET_FILE ? "file" : "command";
        break;
    }
    if (!rc && len == 0) {
        snprintf(err, errlen, "secret %s: the %s %s%s%s gives an empty value", sp->name, from,
                 sp->kind == FZ_SECRET_COMMAND ? "'" : "",
                 sp->kind == FZ_SECRET_COMMAND ? sp->argv[0] : sp->arg,
                 sp->kind == FZ_SECRET_COMMAND ? "'" : "");
        rc = FZ_EINVAL;
    } else if (!rc && len < FZ_SECRET_MIN_LEN) {
        snprintf(err, errlen,
                 "secret %s: the value is %zu byte%s long; secrets shorter than %d bytes are "
                 "refused (masking them would hide most of every output)",
                 sp->name, len, len == 1 ? "" : "s", FZ_SECRET_MIN_LEN);
        rc = FZ_EINVAL;
    } else if (!rc && memchr(v, '\0', len)) {
        snprintf(err, errlen, "secret %s: the value contains a NUL byte", sp->name);
        rc = FZ_EINVAL;
    }
    if (!rc) {
        rc = fz_secrets_add(s, sp->name, v, len);
        if (rc == FZ_ENOMEM)
            snprintf(err, errlen, "secret %s: %s", sp->name, fz_strerror(rc));
    }
    if (buf) {
        memset(buf, 0, FZ_SECRET_MAX_LEN + 1);
        fz_free(NULL, buf, FZ_SECRET_MAX_LEN + 1);
    }
    return rc;
}
