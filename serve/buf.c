/* SPDX-License-Identifier: MIT */
/* buf.c - growable buffer and the HTML escaper (buf.h). */
#include "serve/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

void fz_hbuf_init(fz_hbuf *b)
{
    memset(b, 0, sizeof *b);
}

void fz_hbuf_fini(fz_hbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

char *fz_hbuf_take(fz_hbuf *b, size_t *len)
{
    if (!b->p)
        fz_hbuf_add(b, "", 0);
    char *p = b->p;
    if (len)
        *len = b->len;
    if (b->failed) {
        free(p);
        p = NULL;
    }
    memset(b, 0, sizeof *b);
    return p;
}

static int grow(fz_hbuf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void fz_hbuf_add(fz_hbuf *b, const char *s, size_t n)
{
    if (grow(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void fz_hbuf_puts(fz_hbuf *b, const char *s)
{
    fz_hbuf_add(b, s, strlen(s));
}

void fz_hbuf_printf(fz_hbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n)) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fz_html_escape(fz_hbuf *b, const char *s, size_t n)
{
    if (!s)
        return;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Plain bytes go in one copy. */
        while (run < n) {
            unsigned char c = (unsigned char)s[run];
            if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c >= 0x80 ||
                (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                break;
            run++;
        }
        fz_hbuf_add(b, s + i, run - i);
        i = run;
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&':
            fz_hbuf_add(b, "&amp;", 5);
            i++;
            continue;
        case '<':
            fz_hbuf_add(b, "&lt;", 4);
            i++;
            continue;
        case '>':
            fz_hbuf_add(b, "&gt;", 4);
            i++;
            continue;
        case '"':
            fz_hbuf_add(b, "&quot;", 6);
            i++;
            continue;
        case '\'':
            fz_hbuf_add(b, "&#39;", 5);
            i++;
            continue;
        default:
            break;
        }
        if (c >= 0x80) {
            size_t k = fz_utf8_seq(s + i, n - i);
            if (k > 0) {
                fz_hbuf_add(b, s + i, k);
                i += k;
                continue;
            }
        }
        fz_hbuf_add(b, "\xef\xbf\xbd", 3); /* U+FFFD */
        i++;
    }
}

void fz_html_puts(fz_hbuf *b, const char *s)
{
    if (s)
        fz_html_escape(b, s, strlen(s));
}
