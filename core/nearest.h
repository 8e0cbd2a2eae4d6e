/* SPDX-License-Identifier: MIT */
/*
 * nearest.h - "did you mean ...?": the valid name nearest to a mistyped
 * one, for command names and options (cli/) and the keys of bindings and
 * scenario files. Nearness is the edit distance with adjacent
 * transpositions; a word is a likely typo of a name within one edit for up
 * to 4 characters, two for up to 8, three beyond, or when it is the start
 * of the name (3 characters at least), or when all of it but the last
 * character starts the name (4 at least: "retry" for "retries").
 */
#ifndef FZ_CORE_NEAREST_H
#define FZ_CORE_NEAREST_H

#include <stddef.h>

/* The name of names[0..n) (NULL entries skipped) nearest to word[0..len),
 * or NULL when none is near enough or word is one of them. */
const char *fz_nearest(const char *word, size_t len, const char *const *names, size_t n);

/* Same over the names written in list, a hint text like "rule keys: match,
 * lane, shape": the words (letters, digits, '_', '-') after its first ':',
 * or all of it without one. Copies the nearest into out (size n) and
 * returns 1; 0 when none is near enough or it does not fit. */
int fz_nearest_in(const char *word, size_t len, const char *list, char *out, size_t n);

#endif
