/* SPDX-License-Identifier: MIT */
/*
 * term.h - text for a terminal. Labels, handler output, reasons and
 * variables come from workflows, bindings and the programs steps run; a
 * terminal obeys the control sequences such text may hold (ESC [ 2J clears
 * the screen, OSC sequences set the title or the clipboard, CR overwrites
 * a line). Everything flowzap prints for people goes through fz_term_put() or
 * fz_term_esc(), which show those bytes instead of sending them. JSON
 * output is escaped by jansson instead.
 */
#ifndef FZ_CORE_TERM_H
#define FZ_CORE_TERM_H

#include <stddef.h>
#include <stdio.h>

/* Flags of fz_term_put(). */
enum {
    FZ_TERM_TAB = 1, /* a tab is written as it is (blocks of output) */
};

/* Writes n bytes of s to f as a terminal can show them without obeying
 * any: printable ASCII and well-formed UTF-8 as they are; \n, \r, \t (see
 * FZ_TERM_TAB) and other control bytes, DEL and bytes that are not UTF-8
 * as \n, \r, \t and \xNN; C1 controls and bidirectional overrides
 * (U+0080-U+009F, U+202A-U+202E, U+2066-U+2069) as \uXXXX. */
void fz_term_put(FILE *f, const char *s, size_t n, int flags);

/* The same escaping into buf (always NUL-terminated, cut before an
 * escape that does not fit); returns buf. s may be NULL ("" then). */
const char *fz_term_esc(char *buf, size_t len, const char *s, size_t n);

/* Flags of fz_term_cell(). */
enum {
    FZ_TERM_RIGHT = 2, /* padding goes before the text */
};

/* s[0, n) escaped as fz_term_esc() does, in a table cell of width columns:
 * cut between units when it is wider (never inside a UTF-8 character or
 * an escape, so a cut label stays UTF-8), padded with spaces to width when
 * narrower (left-aligned unless FZ_TERM_RIGHT). A character counts as one
 * column, an escape as its length. Into buf (always NUL-terminated; len
 * should be at least 4 * width + 1); returns buf. s may be NULL. */
const char *fz_term_cell(char *buf, size_t len, const char *s, size_t n, int width, int flags);

/* Writes s as one shell word that pastes back as exactly s: as it is when
 * it has only safe characters, else in single quotes, else (control
 * characters or bytes that are not UTF-8) as $'...' with \xNN escapes. */
void fz_term_put_word(FILE *f, const char *s);

#endif
