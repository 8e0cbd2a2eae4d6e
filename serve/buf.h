/* SPDX-License-Identifier: MIT */
/*
 * buf.h - a growable byte buffer for the pages `flowzap serve` writes, and
 * the one HTML escaper every page goes through.
 */
#ifndef FZ_SERVE_BUF_H
#define FZ_SERVE_BUF_H

#include <stddef.h>

typedef struct fz_hbuf {
    char *p; /* NUL-terminated while not failed */
    size_t len;
    size_t cap;
    int failed; /* an allocation failed: the contents are incomplete */
} fz_hbuf;

void fz_hbuf_init(fz_hbuf *b);
void fz_hbuf_fini(fz_hbuf *b);
/* Takes the contents (the caller frees with free()); b is empty again. */
char *fz_hbuf_take(fz_hbuf *b, size_t *len);
void fz_hbuf_add(fz_hbuf *b, const char *s, size_t n);
void fz_hbuf_puts(fz_hbuf *b, const char *s);
void fz_hbuf_printf(fz_hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends n bytes of s as HTML text or attribute value: & < > " ' are
 * written as entities, control bytes other than tab and newline and
 * invalid UTF-8 as U+FFFD, so nothing from a workflow, a journal or a
 * request can open a tag, leave an attribute or start a script. NULL
 * appends nothing. */
void fz_html_escape(fz_hbuf *b, const char *s, size_t n);
/* fz_html_escape of a NUL-terminated string (NULL: nothing). */
void fz_html_puts(fz_hbuf *b, const char *s);

#endif
