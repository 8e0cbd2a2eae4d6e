/* SPDX-License-Identifier: MIT */
/*
 * term.c - escaping text for a terminal and quoting words for a shell
 * (term.h). One decoder walks the bytes: each unit is either passed as it
 * is (printable ASCII, a well-formed UTF-8 character) or replaced by a
 * visible escape. Nothing allocates; the cost is one pass over the text.
 */
#include "core/term.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 character at s (n bytes left) and its
 * code point, or 0 when s does not start one (overlongs, surrogates and
 * code points past U+10FFFF are not well-formed). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t k;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf)
        k = 1, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        k = 2, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 3, min = 0x10000;
    else
        return 0;
    if (n < k + 1)
        return 0;
    uint32_t v = c & (0x3fu >> k);
    for (size_t i = 1; i <= k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k + 1;
}

/* A code point a terminal or a text layout acts on: C1 controls (CSI is
 * U+009B) and the bidirectional embeddings, overrides and isolates, which
 * reorder what is shown around them. */
static int active_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* The next unit of s: *used bytes of input; returns the bytes to write,
 * either s itself (*out = s) or an escape written into esc. */
static size_t next_unit(const unsigned char *s, size_t n, int flags, size_t *used, const char **out,
                        char esc[16])
{
    static const char hex[] = "0123456789abcdef";
    unsigned c = s[0];
    *used = 1;
    *out = (const char *)s;
    if (c >= 0x20 && c < 0x7f)
        return 1;
    if (c == '\t' && (flags & FZ_TERM_TAB))
        return 1;
    *out = esc;
    if (c == '\n' || c == '\r' || c == '\t') {
        esc[0] = '\\';
        esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        return 2;
    }
    uint32_t cp = 0;
    size_t k = c >= 0x80 ? utf8_char(s, n, &cp) : 0;
    if (k && !active_cp(cp)) {
        *used = k;
        *out = (const char *)s;
        return k;
    }
    if (k) {
        *used = k;
        esc[0] = '\\';
        esc[1] = 'u';
        for (int i = 0; i < 4; i++)
            esc[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xf];
        return 6;
    }
    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[c >> 4];
    esc[3] = hex[c & 0xf];
    return 4;
}

void fz_term_put(FILE *f, const char *s, size_t n, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes passed as they are, not written yet */
    for (size_t i = 0; i < n;) {
        size_t used;
        const char *out;
        char esc[16];
        size_t k = next_unit(p + i, n - i, flags, &used, &out, esc);
        if (out == (const char *)(p + i)) {
            run += used;
        } else {
            fwrite(p + i - run, 1, run, f);
            run = 0;
            fwrite(out, 1, k, f);
        }
        i += used;
    }
    fwrite(p + n - run, 1, run, f);
}

const char *fz_term_esc(char *buf, size_t len, const char *s, size_t n)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (!s)
        n = 0;
    for (size_t i = 0; i < n;) {
        size_t used;
        const char *out;
        char esc[16];
        size_t k = next_unit(p + i, n - i, 0, &used, &out, esc);
        if (o + k >= len)
            break;
        memcpy(buf + o, out, k);
        o += k;
        i += used;
    }
    if (len)
        buf[o < len ? o : len - 1] = '\0';
    return buf;
}

const char *fz_term_cell(char *buf, size_t len, const char *s, size_t n, int width, int flags)
{
    size_t o = 0;
    int cols = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (!s)
        n = 0;
    if (!len)
        return buf;
    for (size_t i = 0; i < n;) {
        size_t used;
        const char *out;
        char esc[16];
        size_t k = next_unit(p + i, n - i, 0, &used, &out, esc);
        int c = out == (const char *)(p + i) ? 1 : (int)k;
        if (cols + c > width || o + k >= len)
            break;
        memcpy(buf + o, out, k);
        o += k;
        cols += c;
        i += used;
    }
    size_t pad = cols < width ? (size_t)(width - cols) : 0;
    if (o + pad >= len)
        pad = len - 1 - o;
    if (flags & FZ_TERM_RIGHT) {
        memmove(buf + pad, buf, o);
        memset(buf, ' ', pad);
    } else {
        memset(buf + o, ' ', pad);
    }
    buf[o + pad] = '\0';
    return buf;
}

void fz_term_put_word(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int plain = n > 0, quotable = 1;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = 0;
        size_t k = 1;
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-",
                    c) ||
            c == '\0')
            plain = 0;
        if (c < 0x20 || c == 0x7f)
            quotable = 0;
        else if (c >= 0x80 &&
                 (!(k = utf8_char((const unsigned char *)s + i, n - i, &cp)) || active_cp(cp)))
            quotable = 0, k = 1;
        i += k;
    }
    if (plain) {
        fputs(s, f);
    } else if (quotable) {
        fputc('\'', f);
        for (const char *p = s; *p; p++) {
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        }
        fputc('\'', f);
    } else {
        /* $'...': bash, zsh, ksh, and POSIX sh since 2024 */
        fputs("$'", f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            if (*p == '\\' || *p == '\'')
                fprintf(f, "\\%c", *p);
            else if (*p >= 0x20 && *p < 0x7f)
                fputc(*p, f);
            else
                fprintf(f, "\\x%02x", *p);
        }
        fputc('\'', f);
    }
}
