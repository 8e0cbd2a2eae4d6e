/* SPDX-License-Identifier: MIT */
/*
 * diag.c - the diagnostic list, the line map and gcc-style printing.
 * The line map costs 4 bytes a line and one pass; lookups are a binary
 * search, O(log lines).
 */
#include "core/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

void fz_diags_init(fz_diags *d, const fz_alloc *alloc)
{
    fz_vec_init(&d->list, sizeof(fz_diag), alloc);
    fz_arena_init(&d->arena, alloc);
    d->errors = 0;
    d->warnings = 0;
}

void fz_diags_fini(fz_diags *d)
{
    fz_vec_fini(&d->list);
    fz_arena_fini(&d->arena);
    d->errors = 0;
    d->warnings = 0;
}

int fz_diags_add(fz_diags *d, fz_severity sev, const char *code, uint32_t offset,
                 uint32_t length, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FZ_EINVAL;
    char *msg = fz_arena_alloc(&d->arena, (size_t)n + 1);
    if (!msg)
        return FZ_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    char *h = NULL;
    if (hint) {
        h = fz_arena_strndup(&d->arena, hint, strlen(hint));
        if (!h)
            return FZ_ENOMEM;
    }
    fz_diag *dg = fz_vec_push(&d->list);
    if (!dg)
        return FZ_ENOMEM;
    dg->severity = sev;
    dg->code = code;
    dg->offset = offset;
    dg->length = length;
    dg->message = msg;
    dg->hint = h;
    dg->related = UINT32_MAX;
    if (sev == FZ_SEV_ERROR)
        d->errors++;
    else if (sev == FZ_SEV_WARNING)
        d->warnings++;
    return FZ_OK;
}

void fz_diags_sort(fz_diags *d)
{
    /* Insertion sort: stable, and lists are short and nearly sorted. */
    fz_diag *a = d->list.data;
    for (uint32_t i = 1; i < d->list.len; i++) {
        fz_diag t = a[i];
        uint32_t j = i;
        while (j > 0 && a[j - 1].offset > t.offset) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = t;
    }
}

int fz_linemap_init(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc)
{
    m->src = src;
    m->len = len;
    m->alloc = alloc;
    uint32_t lines = 1;
    for (const char *p = src, *end = src + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        lines++;
    m->starts = fz_malloc(alloc, (size_t)lines * sizeof(uint32_t));
    if (!m->starts)
        return FZ_ENOMEM;
    m->count = 0;
    m->starts[m->count++] = 0;
    for (const char *p = src, *end = src + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        m->starts[m->count++] = (uint32_t)(p - src) + 1;
    return FZ_OK;
}

void fz_linemap_fini(fz_linemap *m)
{
    fz_free(m->alloc, m->starts, (size_t)m->count * sizeof(uint32_t));
    m->starts = NULL;
    m->count = 0;
}

void fz_linemap_pos(const fz_linemap *m, uint32_t offset, uint32_t *line, uint32_t *col)
{
    uint32_t lo = 0, hi = m->count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = offset - m->starts[lo] + 1;
}

const char *fz_linemap_line(const fz_linemap *m, uint32_t line, uint32_t *len)
{
    if (line == 0 || line > m->count) {
        *len = 0;
        return "";
    }
    uint32_t s = m->starts[line - 1];
    uint32_t e = line < m->count ? m->starts[line] : m->len;
    while (e > s && (m->src[e - 1] == '\n' || m->src[e - 1] == '\r'))
        e--;
    *len = e - s;
    return m->src + s;
}

const char *fz_severity_name(fz_severity s)
{
    switch (s) {
    case FZ_SEV_ERROR:
        return "error";
    case FZ_SEV_WARNING:
        return "warning";
    default:
        return "note";
    }
}

void fz_diag_print(FILE *out, const char *file, const fz_linemap *m, const fz_diag *dg,
                   int color)
{
    uint32_t line = 0, col = 0;
    fz_linemap_pos(m, dg->offset, &line, &col);
    const char *bold = color ? "\033[1m" : "";
    const char *reset = color ? "\033[0m" : "";
    const char *sevc = "";
    if (color)
        sevc = dg->severity == FZ_SEV_ERROR ? "\033[1;31m"
               : dg->severity == FZ_SEV_WARNING ? "\033[1;35m"
                                                : "\033[1;36m";
    fprintf(out, "%s%s:%u:%u:%s %s%s:%s %s [%s]\n", bold, file, line, col, reset, sevc,
            fz_severity_name(dg->severity), reset, dg->message, dg->code);
    uint32_t llen = 0;
    const char *text = fz_linemap_line(m, line, &llen);
    fprintf(out, " %5u | %.*s\n", line, (int)llen, text);
    fprintf(out, "       | ");
    /* Keep tabs so the caret lines up under the same columns. */
    for (uint32_t i = 0; i + 1 < col && i < llen; i++)
        fputc(text[i] == '\t' ? '\t' : ' ', out);
    fprintf(out, "%s^", color ? "\033[1;32m" : "");
    uint32_t span = dg->length;
    if (col - 1 + span > llen)
        span = llen > col - 1 ? llen - (col - 1) : 1;
    for (uint32_t i = 1; i < span; i++)
        fputc('~', out);
    fprintf(out, "%s\n", reset);
    if (dg->hint)
        fprintf(out, "       = %shint:%s %s\n", bold, reset, dg->hint);
}
