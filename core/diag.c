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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Appends a checkpoint (the start of line k * FZ_LINEMAP_STEP). */
static int linemap_mark(fz_linemap *m, uint32_t *used, uint32_t off)
{
    if (*used == m->cap) {
        uint32_t ncap = m->cap ? m->cap * 2 : 256;
        uint32_t *ns = fz_realloc(m->alloc, m->starts, (size_t)m->cap * sizeof(uint32_t),
                                  (size_t)ncap * sizeof(uint32_t));
        if (!ns)
            return FZ_ENOMEM;
        m->starts = ns;
        m->cap = ncap;
    }
    m->starts[(*used)++] = off;
    return FZ_OK;
}

/* Set bits of x, without a library call where the target lacks POPCNT. */
static uint32_t popcount64(uint64_t x)
{
#ifdef __POPCNT__
    return (uint32_t)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
#endif
}

/* Bit k set when b[k] is a newline, for the 64 bytes at b. */
static uint64_t newline_mask64(const unsigned char *b)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)(b[k] == '\n') << k;
    return m;
#endif
}

int fz_linemap_init(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc)
{
    m->src = src;
    m->len = len;
    m->alloc = alloc;
    m->starts = NULL;
    m->cap = 0;
    uint32_t used = 0, lines = 1; /* line 0 starts at 0 */
    if (linemap_mark(m, &used, 0))
        return FZ_ENOMEM;
    /* Count newlines 64 bytes at a time; only a block that holds the
     * start of a checkpoint line is looked at newline by newline. */
    const unsigned char *b = (const unsigned char *)src;
    uint32_t i = 0;
    for (; i + 64 <= len; i += 64) {
        uint64_t nl = newline_mask64(b + i);
        if (!nl)
            continue;
        uint32_t c = popcount64(nl);
        uint32_t r = lines % FZ_LINEMAP_STEP;
        if (r != 0 && r + c <= FZ_LINEMAP_STEP) {
            lines += c;
            continue;
        }
        for (; nl; nl &= nl - 1) {
            uint32_t k = (uint32_t)__builtin_ctzll(nl);
            if (lines % FZ_LINEMAP_STEP == 0 && linemap_mark(m, &used, i + k + 1))
                goto oom;
            lines++;
        }
    }
    for (; i < len; i++) {
        if (b[i] != '\n')
            continue;
        if (lines % FZ_LINEMAP_STEP == 0 && linemap_mark(m, &used, i + 1))
            goto oom;
        lines++;
    }
    m->count = lines;
    return FZ_OK;
oom:
    fz_free(alloc, m->starts, (size_t)m->cap * sizeof(uint32_t));
    m->starts = NULL;
    m->cap = 0;
    return FZ_ENOMEM;
}

void fz_linemap_fini(fz_linemap *m)
{
    fz_free(m->alloc, m->starts, (size_t)m->cap * sizeof(uint32_t));
    m->starts = NULL;
    m->count = 0;
    m->cap = 0;
}

void fz_linemap_pos(const fz_linemap *m, uint32_t offset, uint32_t *line, uint32_t *col)
{
    uint32_t nmarks = (m->count + FZ_LINEMAP_STEP - 1) / FZ_LINEMAP_STEP;
    uint32_t lo = 0, hi = nmarks;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    uint32_t start = m->starts[lo], ln = lo * FZ_LINEMAP_STEP;
    uint32_t stop = offset < m->len ? offset : m->len;
    const char *p;
    while (start < stop && (p = memchr(m->src + start, '\n', stop - start))) {
        start = (uint32_t)(p - m->src) + 1;
        ln++;
    }
    *line = ln + 1;
    *col = offset - start + 1;
}

const char *fz_linemap_line(const fz_linemap *m, uint32_t line, uint32_t *len)
{
    if (line == 0 || line > m->count) {
        *len = 0;
        return "";
    }
    uint32_t s = m->starts[(line - 1) / FZ_LINEMAP_STEP];
    for (uint32_t k = (line - 1) % FZ_LINEMAP_STEP; k > 0; k--) {
        const char *p = memchr(m->src + s, '\n', m->len - s);
        s = p ? (uint32_t)(p - m->src) + 1 : m->len;
    }
    const char *p = s < m->len ? memchr(m->src + s, '\n', m->len - s) : NULL;
    uint32_t e = p ? (uint32_t)(p - m->src) : m->len;
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
