/* SPDX-License-Identifier: MIT */
/*
 * text.h - the text helpers the renderers share: a growable byte buffer,
 * width estimates for Helvetica, word wrapping, and escaping for Graphviz
 * labels and XML. Internal to render/.
 */
#ifndef FZ_RENDER_TEXT_H
#define FZ_RENDER_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef struct fz_sbuf {
    char *p;
    size_t len, cap;
    const fz_alloc *alloc;
    int oom; /* set once an append failed; later appends do nothing */
} fz_sbuf;

void fz_sbuf_init(fz_sbuf *b, const fz_alloc *a);
void fz_sbuf_fini(fz_sbuf *b);
void fz_sbuf_putn(fz_sbuf *b, const char *s, size_t n);
void fz_sbuf_puts(fz_sbuf *b, const char *s);
void fz_sbuf_printf(fz_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far, NUL-terminated ("" when empty or after a failure). */
const char *fz_sbuf_str(fz_sbuf *b);

/* Estimated width in points of n bytes of UTF-8 text at font size pt. */
double fz_text_width(const char *s, size_t n, double pt);

typedef struct fz_text_line {
    const char *s;
    size_t n;
} fz_text_line;

/* Wraps text at about maxchars characters per line, breaking only at
 * spaces: a word longer than a line gets a line of its own, whole. Fills at most maxlines lines (the last
 * one ends with the rest when more are needed) and returns their count. */
uint32_t fz_text_wrap(const char *s, size_t n, uint32_t maxchars, fz_text_line *lines,
                      uint32_t maxlines);

/* Appends text escaped for a Graphviz label (record: also {}|<>). */
void fz_text_gv_escape(fz_sbuf *b, const char *s, size_t n, int record);

/* Appends text escaped for XML (and Graphviz HTML-like labels). */
void fz_text_xml_escape(fz_sbuf *b, const char *s, size_t n);

#endif
