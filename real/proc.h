/* SPDX-License-Identifier: MIT */
/*
 * proc.h - which process a recorded pid still is. A pid alone is reused,
 * so the journal names a process by its pid and an identity: the kernel's
 * boot id and the process's start time in clock ticks since boot
 * (/proc/PID/stat field 22), as "BOOTID/TICKS". A process whose identity
 * differs from the recorded one is another process under a reused pid; a
 * recorded boot id other than today's means a reboot ended it. Linux only:
 * without /proc an identity is unknown ("") and only the pid is checked.
 */
#ifndef FZ_REAL_PROC_H
#define FZ_REAL_PROC_H

#include <stddef.h>
#include <stdint.h>

/* Room for an identity: 36 characters of boot id, '/', 20 digits, NUL. */
#define FZ_PROC_ID_LEN 64

/* What a recorded process (or process group) is now. */
typedef enum fz_proc_state {
    FZ_PROC_GONE = 0, /* no such process (or a zombie), or another boot's */
    FZ_PROC_ALIVE,    /* alive, and the identity matches */
    FZ_PROC_REUSED,   /* the pid lives, but it is another process */
    FZ_PROC_UNKNOWN,  /* the pid lives; no identity recorded or readable */
} fz_proc_state;

/* Writes the identity of process pid into out; "" when unknown (no /proc,
 * or no such process). */
void fz_proc_identity(int64_t pid, char out[FZ_PROC_ID_LEN]);

/* 1 when identity id was recorded on this machine since it last booted
 * (its boot id is today's): only then can its pid be looked up here. 0 for
 * another boot's or another machine's, or when either is unknown. */
int fz_proc_this_boot(const char *id);

/* What process pid, recorded with identity id (NULL or "" when none was
 * recorded), is now. */
fz_proc_state fz_proc_check(int64_t pid, const char *id);

/* What process group pgid, recorded with the identity of its leader (the
 * step's first process), is now: alive while any member is. A group whose
 * leader is gone but whose members live is taken as the recorded one (the
 * kernel does not give a pid to a new process while a group still has that
 * number); a leader with another identity means the number was reused. */
fz_proc_state fz_proc_group_check(int64_t pgid, const char *leader_id);

/* Direct children of this process, from /proc/self/task/TID/children, into
 * out (at most cap); returns how many were found, or -1 when the kernel
 * does not list children. */
int fz_proc_children(int *out, size_t cap);

#endif
