/* SPDX-License-Identifier: MIT */
/*
 * words.h - the word classes of docs/semantics.md: a label's first word
 * (split at anything not a letter or digit, compared case-insensitively)
 * may be a yes-word, a no-word or an error-word. The engine classifies every
 * edge label once, when it compiles a plan; nothing here allocates.
 */
#ifndef FZ_ENGINE_WORDS_H
#define FZ_ENGINE_WORDS_H

#include <stddef.h>

typedef enum fz_word_class {
    FZ_WORD_NONE = 0, /* no class: the label only describes the hand-off */
    FZ_WORD_YES,
    FZ_WORD_NO,
    FZ_WORD_ERROR,
} fz_word_class;

/* Class of the first word of text[0..len). Bytes 0x80 and up (UTF-8
 * letters) count as letters, so "Yesé" is one word and has no class. */
fz_word_class fz_words_class(const char *text, size_t len);

/* The first word of text[0..len): *off and *wlen receive its position
 * (wlen 0 when the text holds no letter or digit). */
void fz_words_first(const char *text, size_t len, size_t *off, size_t *wlen);

/* "yes", "no", "error" or "none". */
const char *fz_words_class_name(fz_word_class c);

#endif
