/* SPDX-License-Identifier: MIT */
/*
 * words.h - the word classes of SEMANTICS.md, the one classifier of the
 * project (parser, lint, engine and simulator all call it): a label's first
 * word is its longest prefix of letters and digits, where any Unicode
 * letter counts (UTF-8 is decoded; a combining mark continues a word),
 * compared case-insensitively; it may be a yes-word, a no-word or an
 * error-word. `ok✓` is yes (the check mark is no letter), `Yesé` has no
 * class (é is a letter, so the word is `yesé`). ASCII labels never leave
 * a table lookup; the Unicode letter test (PCRE2's \p{L}) runs only when a
 * byte of 0x80 or more touches the first word.
 */
#ifndef FZ_PARSER_WORDS_H
#define FZ_PARSER_WORDS_H

#include <stddef.h>

typedef enum fz_word_class {
    FZ_WORD_NONE = 0, /* no label, or a first word in no class */
    FZ_WORD_YES,      /* yes, true, ok, pass, success, healthy, approved, ... */
    FZ_WORD_NO,       /* no, false, fail, invalid, rejected, retry, ... */
    FZ_WORD_ERROR,    /* error, timeout, exception, catch, crash, ... */
} fz_word_class;

/* Class of the first word of text[0..len) (NULL: none). */
fz_word_class fz_words_class(const char *text, size_t len);

/* The first word of text[0..len): *off and *wlen receive its position in
 * bytes (wlen 0 when the text holds no letter or digit). */
void fz_words_first(const char *text, size_t len, size_t *off, size_t *wlen);

/* "yes", "no", "error" or "none". */
const char *fz_words_class_name(fz_word_class c);

/* True when the one word w[0..len) names a failure outcome: abort(ed),
 * rollback, fail(ed/ure), cancel(led), revert(ed), compensate(d), undo,
 * error, crash(ed), ... (the list is in words.c and docs/lint.md). */
int fz_words_is_failure_word(const char *w, size_t len);

/* True when some word of text[0..len) names a failure outcome, or two
 * words say "rolled back" / "roll back". Lint's W207 reads node and edge
 * labels with it. */
int fz_words_names_failure(const char *text, size_t len);

#endif
