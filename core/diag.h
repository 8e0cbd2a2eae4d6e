/* SPDX-License-Identifier: MIT */
/*
 * diag.h - diagnostics as data. Modules add fz_diag records (severity,
 * stable code, byte offset and length, message, optional hint); the CLI
 * turns offsets into line:column through an fz_linemap and draws the caret.
 * The library itself never prints to stderr.
 */
#ifndef FZ_CORE_DIAG_H
#define FZ_CORE_DIAG_H

#include <stdint.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/vec.h"

typedef enum fz_severity {
    FZ_SEV_NOTE = 0,
    FZ_SEV_WARNING = 1,
    FZ_SEV_ERROR = 2,
} fz_severity;

typedef struct fz_diag {
    fz_severity severity;
    const char *code;    /* stable code such as "E012" or "W103" (static) */
    uint32_t offset;     /* byte offset into the source */
    uint32_t length;     /* bytes the caret covers (0 or 1: a single caret) */
    const char *message; /* arena-owned */
    const char *hint;    /* arena-owned, may be NULL */
    uint32_t related;    /* offset of a related place (e.g. the opener), or UINT32_MAX */
} fz_diag;

/* A list of diagnostics; strings live in its arena. */
typedef struct fz_diags {
    fz_vec list;    /* of fz_diag, read-only */
    fz_arena arena;
    uint32_t errors;   /* read-only: count of FZ_SEV_ERROR */
    uint32_t warnings; /* read-only: count of FZ_SEV_WARNING */
} fz_diags;

/* Initialises an empty list; NULL hook means the default allocator. */
void fz_diags_init(fz_diags *d, const fz_alloc *alloc);

/* Frees every diagnostic and its strings. */
void fz_diags_fini(fz_diags *d);

/* Adds a diagnostic with a printf message. hint may be NULL. Returns 0 or FZ_ENOMEM. */
int fz_diags_add(fz_diags *d, fz_severity sev, const char *code, uint32_t offset,
                 uint32_t length, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Sorts diagnostics by offset (stable), as a reader expects them. */
void fz_diags_sort(fz_diags *d);

/* Number of diagnostics and the i-th one. */
#define fz_diags_count(d) ((d)->list.len)
#define fz_diags_at(d, i) (&FZ_VEC_AT(&(d)->list, fz_diag, (i)))

/* Maps byte offsets of one buffer to 1-based line and column. Sparse: it
 * keeps the line number and line start at every FZ_LINEMAP_BLOCK bytes
 * and scans at most one block for the rest, so a 100 MB file costs about
 * 220 KB instead of four bytes a line. */
#define FZ_LINEMAP_BLOCK 4096
typedef struct fz_linemap {
    uint32_t *starts; /* per block of FZ_LINEMAP_BLOCK bytes: newlines before
                       * it, then (second half) where its first line begins */
    uint32_t count;   /* lines in the buffer */
    const char *src;
    uint32_t len;
    const fz_alloc *alloc;
    uint32_t cap; /* entries allocated in starts */
    uint32_t fed, fed_lines, fed_start; /* blocks counted so far, their
                                         * newlines, the last line start */
} fz_linemap;

/* Builds the map in one pass over src. Returns 0 or FZ_ENOMEM. */
int fz_linemap_init(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc);

/* The same in steps, for a reader that passes over the text anyway:
 * fz_linemap_start allocates the map (0 or FZ_ENOMEM), each
 * fz_linemap_feed counts the blocks that end at or before upto (every
 * block once upto reaches len, which completes the map). The map answers
 * only once complete. fz_linemap_init is start and feed(len). */
int fz_linemap_start(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc);
void fz_linemap_feed(fz_linemap *m, uint32_t upto);
void fz_linemap_fini(fz_linemap *m);

/* 1-based line and column (column counts bytes) of offset. */
void fz_linemap_pos(const fz_linemap *m, uint32_t offset, uint32_t *line, uint32_t *col);

/* The text of a 1-based line without its line end. */
const char *fz_linemap_line(const fz_linemap *m, uint32_t line, uint32_t *len);

/* Writes one diagnostic gcc-style: "file:line:col: error: message [CODE]",
 * the source line, a caret line "    ^~~~", and "  hint: ..." when present.
 * color != 0 adds ANSI colours. */
void fz_diag_print(FILE *out, const char *file, const fz_linemap *m, const fz_diag *dg,
                   int color);

/* Name of a severity: "error", "warning" or "note". */
const char *fz_severity_name(fz_severity s);

#endif
