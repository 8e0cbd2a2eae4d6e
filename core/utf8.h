/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - checking and repairing UTF-8. flowzap's text is UTF-8: the
 * parser refuses a workflow with a byte that is not (E027), and every
 * writer of XML, JSON or terminal text repairs what comes from outside at
 * run time (handler output, HTTP bodies) by writing U+FFFD for each byte
 * that is not part of a well-formed sequence. docs/language.md has the rule.
 */
#ifndef FZ_CORE_UTF8_H
#define FZ_CORE_UTF8_H

#include <stddef.h>

#include "core/alloc.h"

/* U+FFFD REPLACEMENT CHARACTER, the three bytes written for a bad byte. */
#define FZ_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Length (1 to 4) of the well-formed UTF-8 sequence starting s[0, n), or 0
 * when s[0] starts none: a stray continuation byte, a truncated sequence,
 * an overlong form, a surrogate (U+D800..U+DFFF) or a code point past
 * U+10FFFF. n must be > 0. */
size_t fz_utf8_seq(const char *s, size_t n);

/* Offset of the first byte of s[0, n) that is not part of well-formed
 * UTF-8, or n when all of it is. Runs of ASCII cost a word test per 8
 * bytes. */
size_t fz_utf8_check(const char *s, size_t n);

/* Like fz_utf8_check, stopping at a NUL byte as well: text as the parser
 * takes it (a NUL would end every C string made of it). */
size_t fz_utf8_check_text(const char *s, size_t n);

/* A copy of s[0, n) in which every byte that is not part of well-formed
 * UTF-8 is replaced by U+FFFD; NUL-terminated, *out_len (when not NULL)
 * gets its length. Caller frees with fz_free(alloc, p, *out_len + 1).
 * NULL on allocation failure. */
char *fz_utf8_repair(const fz_alloc *alloc, const char *s, size_t n, size_t *out_len);

#endif
