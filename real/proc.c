/* SPDX-License-Identifier: MIT */
/*
 * proc.c - process identities from /proc (real/proc.h). Costs: two small
 * file reads per check; nothing is cached, since the point is to see the
 * process as it is now.
 */
#include "real/proc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Reads up to n-1 bytes of a small file into buf; returns the length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* The boot id without its newline into out (37 bytes); 0 or -1. */
static int boot_id(char out[40])
{
    ssize_t n = read_small("/proc/sys/kernel/random/boot_id", out, 40);
    if (n <= 0)
        return -1;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    return n > 0 ? 0 : -1;
}

/* State letter and start time (field 3 and field 22 of /proc/PID/stat);
 * 0, or -1 when there is no such process. The command name (field 2) may
 * hold spaces and parentheses: the fields are counted after its last ')'. */
static int stat_fields(int64_t pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return -1;
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    *state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    char *end = NULL;
    errno = 0;
    *start = strtoull(p, &end, 10);
    return errno || end == p ? -1 : 0;
}

void fz_proc_identity(int64_t pid, char out[FZ_PROC_ID_LEN])
{
    out[0] = '\0';
    char boot[40], state;
    unsigned long long start;
    if (pid <= 0 || boot_id(boot) || stat_fields(pid, &state, &start))
        return;
    snprintf(out, FZ_PROC_ID_LEN, "%s/%llu", boot, start);
}

/* 1 when the boot id part of id is not today's (the recorded process
 * belonged to an earlier boot). */
static int other_boot(const char *id)
{
    char boot[40];
    const char *slash = strchr(id, '/');
    if (!slash || boot_id(boot))
        return 0;
    size_t n = (size_t)(slash - id);
    return n != strlen(boot) || strncmp(id, boot, n) != 0;
}

int fz_proc_this_boot(const char *id)
{
    char boot[40];
    const char *slash = id ? strchr(id, '/') : NULL;
    if (!slash || boot_id(boot))
        return 0;
    size_t n = (size_t)(slash - id);
    return n == strlen(boot) && strncmp(id, boot, n) == 0;
}

fz_proc_state fz_proc_check(int64_t pid, const char *id)
{
    if (pid <= 0 || pid > INT32_MAX)
        return FZ_PROC_GONE;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return FZ_PROC_GONE;
    char state;
    unsigned long long start;
    int have_stat = stat_fields(pid, &state, &start) == 0;
    if (have_stat && (state == 'Z' || state == 'X'))
        return FZ_PROC_GONE; /* dead, waiting for its parent to reap it */
    if (!id || !*id)
        return FZ_PROC_UNKNOWN;
    if (other_boot(id))
        return FZ_PROC_GONE;
    char now[FZ_PROC_ID_LEN];
    fz_proc_identity(pid, now);
    if (!now[0])
        return FZ_PROC_UNKNOWN;
    return strcmp(now, id) == 0 ? FZ_PROC_ALIVE : FZ_PROC_REUSED;
}

/* Fields 3 (state) and 5 (process group) of /proc/PID/stat from its text. */
static int stat_group(const char *buf, char *state, long *pgrp)
{
    const char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    *state = *p;
    return sscanf(p + 1, " %*d %ld", pgrp) == 1 ? 0 : -1;
}

/* 1 when a process of group pgid is alive (not a zombie: an init that
 * does not reap would keep a dead group's number in use), 0 when none is,
 * -1 when /proc cannot be listed. O(processes). */
static int group_has_live_member(int64_t pgid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[1024], state;
        long pg;
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        if (read_small(path, buf, sizeof buf) > 0 && stat_group(buf, &state, &pg) == 0 &&
            pg == pgid && state != 'Z' && state != 'X')
            found = 1;
    }
    closedir(d);
    return found;
}

fz_proc_state fz_proc_group_check(int64_t pgid, const char *leader_id)
{
    if (pgid <= 1 || pgid > INT32_MAX)
        return FZ_PROC_GONE;
    int known = leader_id && *leader_id;
    if (known && other_boot(leader_id))
        return FZ_PROC_GONE;
    if (kill(-(pid_t)pgid, 0) != 0 && errno != EPERM)
        return FZ_PROC_GONE;
    char state;
    unsigned long long start;
    if (stat_fields(pgid, &state, &start) == 0) {
        /* The leader's pid holds a process: the step's first one, or
         * another that got the number once the group was gone. */
        char now[FZ_PROC_ID_LEN];
        fz_proc_identity(pgid, now);
        if (known && now[0] && strcmp(now, leader_id) != 0)
            return FZ_PROC_REUSED;
        if (state != 'Z' && state != 'X')
            return known && now[0] ? FZ_PROC_ALIVE : FZ_PROC_UNKNOWN;
    }
    /* Leader gone (or a zombie): the group lives while a member does. */
    int live = group_has_live_member(pgid);
    if (live == 0)
        return FZ_PROC_GONE;
    return known && live == 1 ? FZ_PROC_ALIVE : FZ_PROC_UNKNOWN;
}

int fz_proc_children(int *out, size_t cap)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0, listed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        listed = 1;
        long v;
        while (fscanf(f, "%ld", &v) == 1)
            if ((size_t)n < cap)
                out[n++] = (int)v;
        fclose(f);
    }
    closedir(d);
    return listed ? n : -1;
}
