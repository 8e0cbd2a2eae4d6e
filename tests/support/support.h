/* SPDX-License-Identifier: MIT */
/*
 * support.h - what every test program shares: cmocka, a counting allocator
 * that can fail the Nth allocation (OOM loops, SQLite do_faultsim_test
 * style), and file helpers for golden comparisons.
 */
#ifndef FZ_TESTS_SUPPORT_H
#define FZ_TESTS_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the three above first. */
#include <cmocka.h>

#include "core/alloc.h"

/* A counting allocator. fail_at = N makes the Nth allocation (1-based) and
 * every later one fail; 0 never fails. */
typedef struct fz_test_alloc {
    fz_alloc hook;      /* pass &ta.hook wherever an fz_alloc is taken */
    uint64_t calls;     /* allocations attempted */
    uint64_t fail_at;
    int64_t live;       /* blocks not yet freed */
    int64_t live_bytes;
    uint64_t injected;  /* failures injected */
} fz_test_alloc;

void fz_test_alloc_init(fz_test_alloc *ta, uint64_t fail_at);

/* Reads a whole file into a NUL-terminated malloc'd buffer (free()); NULL on error. */
char *fz_test_read_file(const char *path, size_t *len);

/* Path under the source tree: fz_test_src("workflows/canary-deploy.fz"); static buffer. */
const char *fz_test_src(const char *rel);

/* Compares actual to the golden file; with FZ_UPDATE_GOLDENS=1 in the
 * environment it rewrites the golden instead. Fails the test on mismatch
 * and prints the first differing line. */
void fz_test_golden(const char *golden_rel_path, const char *actual, size_t len);

#endif
