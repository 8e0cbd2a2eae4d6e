/* SPDX-License-Identifier: MIT */
/*
 * text.c - buffers, widths, wrapping and escaping (see text.h). Widths are
 * estimates from Helvetica's proportions, so a layout never depends on the
 * fonts installed on the machine: the same file gives the same picture.
 */
#include "render/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

void fz_sbuf_init(fz_sbuf *b, const fz_alloc *a)
{
    memset(b, 0, sizeof(*b));
    b->alloc = a;
}

void fz_sbuf_fini(fz_sbuf *b)
{
    fz_free(b->alloc, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

void fz_sbuf_putn(fz_sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = fz_realloc(b->alloc, b->p, b->cap, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void fz_sbuf_puts(fz_sbuf *b, const char *s)
{
    fz_sbuf_putn(b, s, strlen(s));
}

void fz_sbuf_printf(fz_sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    fz_sbuf_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

const char *fz_sbuf_str(fz_sbuf *b)
{
    return (b->p && !b->oom) ? b->p : "";
}

double fz_text_width(const char *s, size_t n, double pt)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        double f;
        if (ch >= 0x80) {
            if ((ch & 0xC0) == 0x80)
                continue; /* continuation byte */
            f = 0.62;
        } else if (strchr("iljI!.,:;'|", ch)) {
            f = 0.25;
        } else if (ch == ' ') {
            f = 0.28;
        } else if (strchr("ftr()[]/\\-", ch)) {
            f = 0.34;
        } else if (strchr("mwMW%@", ch)) {
            f = 0.86;
        } else if (ch >= 'A' && ch <= 'Z') {
            f = 0.68;
        } else if (ch >= '0' && ch <= '9') {
            f = 0.56;
        } else if (ch >= 'a' && ch <= 'z') {
            f = 0.54;
        } else {
            f = 0.56;
        }
        w += f * pt;
    }
    return w;
}

/* Characters (code points) in n bytes. */
static size_t u8len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            k++;
    return k;
}

/* Byte offset after maxchars code points (or n). */
static size_t u8cut(const char *s, size_t n, size_t maxchars)
{
    size_t k = 0, i = 0;
    for (; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (k == maxchars)
                return i;
            k++;
        }
    }
    return n;
}

uint32_t fz_text_wrap(const char *s, size_t n, uint32_t maxchars, fz_text_line *lines,
                      uint32_t maxlines)
{
    uint32_t count = 0;
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    while (i < n && count < maxlines) {
        if (count == maxlines - 1) {
            size_t e = n;
            while (e > i && s[e - 1] == ' ')
                e--;
            lines[count].s = s + i;
            lines[count++].n = e - i;
            break;
        }
        /* Take words while they fit. */
        size_t start = i, end = i, chars = 0;
        while (i < n) {
            size_t w = i;
            while (w < n && s[w] != ' ')
                w++;
            size_t wc = u8len(s + i, w - i);
            if (chars && chars + 1 + wc > maxchars)
                break;
            if (!chars && wc > maxchars) { /* a word longer than a line */
                w = i + u8cut(s + i, w - i, maxchars);
                wc = maxchars;
            }
            chars += (chars ? 1 : 0) + wc;
            end = w;
            i = w;
            while (i < n && s[i] == ' ')
                i++;
            if (end < n && s[end] != ' ')
                break; /* a split word continues on the next line */
        }
        lines[count].s = s + start;
        lines[count++].n = end - start;
        if (end == start)
            break;
    }
    if (count == 0 && maxlines) {
        lines[0].s = s;
        lines[0].n = 0;
        count = 1;
    }
    return count;
}

/* Bytes of a character to copy as is at s, or 0 when it must become
 * U+FFFD: a byte that is not well-formed UTF-8, or U+FFFE / U+FFFF, which
 * XML 1.0 does not allow even as a reference. The parser refuses invalid
 * UTF-8 (E027); this keeps the output well-formed whatever reaches it. */
static size_t safe_char(const char *s, size_t n)
{
    size_t k = fz_utf8_seq(s, n);
    if (k == 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBF &&
        ((unsigned char)s[2] == 0xBE || (unsigned char)s[2] == 0xBF))
        return 0;
    return k;
}

void fz_text_gv_escape(fz_sbuf *b, const char *s, size_t n, int record)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((unsigned char)c >= 0x80) {
            size_t k = safe_char(s + i, n - i);
            if (k)
                fz_sbuf_putn(b, s + i, k);
            else
                fz_sbuf_puts(b, FZ_UTF8_REPLACEMENT);
            i += k ? k - 1 : 0;
        } else if (c == '\\')
            fz_sbuf_puts(b, "\\\\");
        else if (c == '&')
            fz_sbuf_puts(b, "&amp;");
        else if ((unsigned char)c < 0x20 || c == 0x7f)
            fz_sbuf_putn(b, " ", 1);
        else if (record && strchr("{}|<>", c)) {
            char t[2] = {'\\', c};
            fz_sbuf_putn(b, t, 2);
        } else
            fz_sbuf_putn(b, &c, 1);
    }
}

void fz_text_xml_escape(fz_sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '&':
            fz_sbuf_puts(b, "&amp;");
            break;
        case '<':
            fz_sbuf_puts(b, "&lt;");
            break;
        case '>':
            fz_sbuf_puts(b, "&gt;");
            break;
        case '"':
            fz_sbuf_puts(b, "&quot;");
            break;
        case '\n':
        case '\r':
        case '\t':
            fz_sbuf_putn(b, " ", 1);
            break;
        default:
            if ((unsigned char)c >= 0x80) {
                size_t k = safe_char(s + i, n - i);
                if (k)
                    fz_sbuf_putn(b, s + i, k);
                else
                    fz_sbuf_puts(b, FZ_UTF8_REPLACEMENT);
                i += k ? k - 1 : 0;
                break;
            }
            if ((unsigned char)c < 0x20 || c == 0x7f)
                c = ' ';
            fz_sbuf_putn(b, &c, 1);
        }
    }
}
