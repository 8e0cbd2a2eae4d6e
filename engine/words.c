/* SPDX-License-Identifier: MIT */
/*
 * words.c - word classes of labels (see words.h). The lists are the ones
 * docs/semantics.md names; a lookup lowercases at most 16 bytes into a stack
 * buffer and compares against a short table, O(table) per label, only ever
 * run when a plan is compiled or an explicit outcome is unmatched.
 */
#include "engine/words.h"

#include <string.h>

/* ORDER WORDS: keep in step with docs/semantics.md "Word classes". */
static const char *const yes_words[] = {
    "yes",        "true",    "ok",    "pass",     "passed", "success",
    "successful", "healthy", "valid", "approved", "accept", "accepted",
};
static const char *const no_words[] = {
    "no",       "false",  "fail", "failed", "failure", "unhealthy", "invalid",
    "rejected", "reject", "deny", "denied", "decline", "declined",  "retry",
};
static const char *const error_words[] = {
    "error", "errors", "timeout", "exception", "catch", "crash", "crashed",
};

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

void fz_words_first(const char *text, size_t len, size_t *off, size_t *wlen)
{
    size_t i = 0;
    while (i < len && !is_word_byte((unsigned char)text[i]))
        i++;
    size_t j = i;
    while (j < len && is_word_byte((unsigned char)text[j]))
        j++;
    *off = i;
    *wlen = j - i;
}

static int in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

fz_word_class fz_words_class(const char *text, size_t len)
{
    size_t off, wlen;
    if (!text)
        return FZ_WORD_NONE;
    fz_words_first(text, len, &off, &wlen);
    char w[16];
    if (wlen == 0 || wlen >= sizeof(w))
        return FZ_WORD_NONE;
    for (size_t i = 0; i < wlen; i++) {
        unsigned char c = (unsigned char)text[off + i];
        w[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    w[wlen] = '\0';
    if (in_list(w, yes_words, sizeof(yes_words) / sizeof(yes_words[0])))
        return FZ_WORD_YES;
    if (in_list(w, no_words, sizeof(no_words) / sizeof(no_words[0])))
        return FZ_WORD_NO;
    if (in_list(w, error_words, sizeof(error_words) / sizeof(error_words[0])))
        return FZ_WORD_ERROR;
    return FZ_WORD_NONE;
}

const char *fz_words_class_name(fz_word_class c)
{
    switch (c) {
    case FZ_WORD_YES:
        return "yes";
    case FZ_WORD_NO:
        return "no";
    case FZ_WORD_ERROR:
        return "error";
    default:
        return "none";
    }
}
