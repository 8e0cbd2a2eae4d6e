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
#include "core/utf8.h"

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

/* A copy of s[0, n) in d's arena with bytes that are not UTF-8 repaired. */
static char *arena_repair(fz_diags *d, const char *s, size_t n)
{
    size_t rl = 0;
    char *r = fz_utf8_repair(d->arena.alloc, s, n, &rl);
    if (!r)
        return NULL;
    char *out = fz_arena_strndup(&d->arena, r, rl);
    fz_free(d->arena.alloc, r, rl + 1);
    return out;
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
    /* Messages quote the input and callers format into fixed buffers, which
     * may cut a character in two: keep every message UTF-8, as `check
     * --json` and the terminal need (each bad byte becomes U+FFFD). */
    if (fz_utf8_check(msg, (size_t)n) < (size_t)n && !(msg = arena_repair(d, msg, (size_t)n)))
        return FZ_ENOMEM;
    char *h = NULL;
    if (hint) {
        size_t hl = strlen(hint);
        h = fz_utf8_check(hint, hl) < hl ? arena_repair(d, hint, hl)
                                         : fz_arena_strndup(&d->arena, hint, hl);
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

/* Newlines in b[0, n). SSE2 where the target has it: 16 bytes a step,
 * counts summed bytewise for up to 255 steps, then added up. */
static uint32_t count_newlines(const unsigned char *b, size_t n)
{
    uint32_t total = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        size_t steps = (n - i) / 16;
        if (steps > 255)
            steps = 255;
        __m128i acc = zero;
        for (size_t k = 0; k < steps; k++, i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));
        }
        __m128i sums = _mm_sad_epu8(acc, zero);
        total += (uint32_t)_mm_cvtsi128_si32(sums) +
                 (uint32_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; i < n; i++)
        total += b[i] == '\n';
    return total;
}

int fz_linemap_start(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc)
{
    m->src = src;
    m->len = len;
    m->alloc = alloc;
    m->count = 0;
    m->fed = 0;
    m->fed_lines = 0;
    m->fed_start = 0;
    /* starts[0, blocks): newlines before each block; starts[blocks, 2 *
     * blocks): where the line holding each block's first byte begins. */
    uint32_t blocks = len / FZ_LINEMAP_BLOCK + 1;
    m->starts = fz_malloc(alloc, (size_t)blocks * 2 * sizeof(uint32_t));
    if (!m->starts) {
        m->cap = 0;
        return FZ_ENOMEM;
    }
    m->cap = blocks * 2;
    return FZ_OK;
}

void fz_linemap_feed(fz_linemap *m, uint32_t upto)
{
    const unsigned char *b = (const unsigned char *)m->src;
    uint32_t blocks = m->cap / 2, len = m->len, k = m->fed;
    uint32_t lines = m->fed_lines, line_start = m->fed_start;
    /* Whole blocks below upto; every block once the text's end is fed. */
    uint32_t last = upto >= len ? blocks : upto / FZ_LINEMAP_BLOCK;
    for (; k < last; k++) {
        m->starts[k] = lines;
        m->starts[blocks + k] = line_start;
        uint32_t at = k * FZ_LINEMAP_BLOCK;
        uint32_t n = len - at < FZ_LINEMAP_BLOCK ? len - at : FZ_LINEMAP_BLOCK;
        uint32_t c = count_newlines(b + at, n);
        lines += c;
        if (c) {
            uint32_t e = at + n;
            while (b[e - 1] != '\n')
                e--;
            line_start = e;
        }
    }
    m->fed = k;
    m->fed_lines = lines;
    m->fed_start = line_start;
    if (k == blocks)
        m->count = lines + 1;
}

int fz_linemap_init(fz_linemap *m, const char *src, uint32_t len, const fz_alloc *alloc)
{
    int rc = fz_linemap_start(m, src, len, alloc);
    if (rc == FZ_OK)
        fz_linemap_feed(m, len);
    return rc;
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
    uint32_t o = offset < m->len ? offset : m->len;
    uint32_t k = o / FZ_LINEMAP_BLOCK, at = k * FZ_LINEMAP_BLOCK;
    uint32_t ln = m->starts[k], start = UINT32_MAX;
    const char *p;
    for (uint32_t s = at; s < o && (p = memchr(m->src + s, '\n', o - s)); s = start) {
        start = (uint32_t)(p - m->src) + 1;
        ln++;
    }
    if (start == UINT32_MAX)
        start = m->starts[m->cap / 2 + k]; /* the line began before the block */
    *line = ln + 1;
    *col = offset - start + 1;
}

const char *fz_linemap_line(const fz_linemap *m, uint32_t line, uint32_t *len)
{
    if (line == 0 || line > m->count) {
        *len = 0;
        return "";
    }
    uint32_t want = line - 1, s = 0; /* newlines before the line's start */
    if (want > 0) {
        /* The last block that starts before the want-th newline holds it. */
        uint32_t lo = 0, hi = m->cap / 2;
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (m->starts[mid] < want)
                lo = mid;
            else
                hi = mid;
        }
        s = lo * FZ_LINEMAP_BLOCK;
        for (uint32_t left = want - m->starts[lo]; left > 0; left--) {
            const char *p = memchr(m->src + s, '\n', m->len - s);
            s = p ? (uint32_t)(p - m->src) + 1 : m->len;
        }
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

/* Bytes of a source line shown at most, as a window around the caret. */
#define SHOW_MAX 200

/* Bytes of the character at s (1 for a byte that is not well-formed UTF-8). */
static uint32_t char_len(const char *s, uint32_t n)
{
    size_t k = fz_utf8_seq(s, n);
    return k ? (uint32_t)k : 1;
}

/* Writes a source line for a terminal: a byte that is not well-formed
 * UTF-8 and a control character (but tab) show as U+FFFD, one column each,
 * so a hostile file can neither garble the output nor send escapes. */
static void put_source(FILE *out, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = fz_utf8_seq(s + i, n - i);
        int ctrl = (c < 0x20 && c != '\t') || c == 0x7f ||
                   (k == 2 && c == 0xC2 && (unsigned char)s[i + 1] < 0xA0); /* C1 */
        if (!k || ctrl) {
            fputs(FZ_UTF8_REPLACEMENT, out);
            i++;
            i += k > 1 ? (uint32_t)k - 1 : 0;
        } else {
            fwrite(s + i, 1, k, out);
            i += (uint32_t)k;
        }
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
    /* The message and hint quote the file's text: shown like the line. */
    fprintf(out, "%s%s:%u:%u:%s %s%s:%s ", bold, file, line, col, reset, sevc,
            fz_severity_name(dg->severity), reset);
    put_source(out, dg->message, (uint32_t)strlen(dg->message));
    fprintf(out, " [%s]\n", dg->code);
    uint32_t llen = 0;
    const char *text = fz_linemap_line(m, line, &llen);
    /* A long line is shown as a window around the caret. */
    uint32_t at = col - 1 < llen ? col - 1 : llen, from = 0, to = llen;
    if (llen > SHOW_MAX) {
        from = at > SHOW_MAX / 2 ? at - SHOW_MAX / 2 : 0;
        to = from + SHOW_MAX < llen ? from + SHOW_MAX : llen;
        while (from > 0 && ((unsigned char)text[from] & 0xC0) == 0x80)
            from--;
        while (to < llen && ((unsigned char)text[to] & 0xC0) == 0x80)
            to++;
    }
    fprintf(out, " %5u | %s", line, from ? "..." : "");
    put_source(out, text + from, to - from);
    fprintf(out, "%s\n", to < llen ? "..." : "");
    fprintf(out, "       | %s", from ? "   " : "");
    /* One space a character (a tab stays a tab), so the caret lines up
     * under the character as the line above shows it. */
    for (uint32_t i = from; i < at && i < to; i += char_len(text + i, to - i))
        fputc(text[i] == '\t' ? '\t' : ' ', out);
    fprintf(out, "%s^", color ? "\033[1;32m" : "");
    uint32_t span = dg->length;
    if (at + span > to)
        span = to > at ? to - at : 1;
    uint32_t chars = 0;
    for (uint32_t i = at; i < at + span; i += char_len(text + i, at + span - i))
        chars++;
    for (uint32_t i = 1; i < chars; i++)
        fputc('~', out);
    fprintf(out, "%s\n", reset);
    if (dg->hint) {
        fprintf(out, "       = %shint:%s ", bold, reset);
        put_source(out, dg->hint, (uint32_t)strlen(dg->hint));
        fputc('\n', out);
    }
}
