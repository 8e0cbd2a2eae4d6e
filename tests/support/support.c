/* SPDX-License-Identifier: MIT */
/* support.c - the failing allocator and the file helpers of support.h. */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ta_alloc(void *ud, size_t size)
{
    fz_test_alloc *ta = ud;
    ta->calls++;
    if (ta->fail_at && ta->calls >= ta->fail_at) {
        ta->injected++;
        return NULL;
    }
    void *p = malloc(size ? size : 1);
    if (p) {
        ta->live++;
        ta->live_bytes += (int64_t)size;
    }
    return p;
}

static void *ta_realloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    fz_test_alloc *ta = ud;
    ta->calls++;
    if (ta->fail_at && ta->calls >= ta->fail_at) {
        ta->injected++;
        return NULL;
    }
    void *p = realloc(ptr, new_size ? new_size : 1);
    if (p)
        ta->live_bytes += (int64_t)new_size - (int64_t)old_size;
    return p;
}

static void ta_free(void *ud, void *ptr, size_t size)
{
    fz_test_alloc *ta = ud;
    if (!ptr)
        return;
    ta->live--;
    ta->live_bytes -= (int64_t)size;
    free(ptr);
}

void fz_test_alloc_init(fz_test_alloc *ta, uint64_t fail_at)
{
    memset(ta, 0, sizeof(*ta));
    ta->hook.alloc = ta_alloc;
    ta->hook.realloc = ta_realloc;
    ta->hook.free = ta_free;
    ta->hook.ud = ta;
    ta->fail_at = fail_at;
}

char *fz_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const char *fz_test_src(const char *rel)
{
    static char path[4096];
    const char *root = getenv("FZ_SRC");
    snprintf(path, sizeof(path), "%s/%s", root ? root : FZ_SRC_DIR, rel);
    return path;
}

void fz_test_golden(const char *golden_rel_path, const char *actual, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", fz_test_src(golden_rel_path));
    const char *upd = getenv("FZ_UPDATE_GOLDENS");
    if (upd && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(actual, 1, len, f);
        fclose(f);
        return;
    }
    size_t elen = 0;
    char *expected = fz_test_read_file(path, &elen);
    if (!expected)
        fail_msg("golden file %s is missing (FZ_UPDATE_GOLDENS=1 writes it)", path);
    if (elen != len || memcmp(expected, actual, len) != 0) {
        size_t line = 1, i = 0;
        while (i < len && i < elen && expected[i] == actual[i]) {
            if (actual[i] == '\n')
                line++;
            i++;
        }
        print_error("golden %s differs at line %zu\n--- expected\n%.*s\n--- actual\n%.*s\n",
                    path, line, (int)(elen > 2000 ? 2000 : elen), expected,
                    (int)(len > 2000 ? 2000 : len), actual);
        free(expected);
        fail();
    }
    free(expected);
}
