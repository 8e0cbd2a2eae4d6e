/* SPDX-License-Identifier: MIT */
/*
 * words.c - word classes of labels (see words.h). The lists are the ones
 * SEMANTICS.md names. An ASCII label costs a scan and a short table lookup;
 * a byte of 0x80 or more near the first word is decoded as UTF-8 and its
 * code point tested against Unicode's letter, digit and mark properties
 * with one PCRE2 pattern compiled on first use (thread-safe: a compare and
 * swap publishes it).
 */
#include "parser/words.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <string.h>

/* ORDER WORDS: keep in step with SEMANTICS.md "Word classes". */
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
/* Words that name a failure outcome (lint's W207, docs/lint.md). */
static const char *const failure_words[] = {
    "abort",      "aborted",     "aborting",     "aborts",     "rollback",   "rollbacks",
    "fail",       "fails",       "failed",       "failing",    "failure",    "failures",
    "cancel",     "cancels",     "canceled",     "cancelled",  "canceling",  "cancelling",
    "cancellation", "revert",    "reverts",      "reverted",   "reverting",  "compensate",
    "compensates", "compensated", "compensating", "compensation", "undo",    "undone",
    "error",      "errors",      "exception",    "crash",      "crashed",    "timeout",
};

enum { CP_OTHER = 0, CP_WORD = 1, CP_MARK = 2 };

static pcre2_code *unicode_re;

/* The pattern that tells a code point's kind: group 1 for a letter or a
 * decimal digit, a match without it for a combining mark. */
static pcre2_code *unicode_pattern(void)
{
    pcre2_code *re = __atomic_load_n(&unicode_re, __ATOMIC_ACQUIRE);
    if (re)
        return re;
    int err;
    PCRE2_SIZE at;
    re = pcre2_compile((PCRE2_SPTR) "\\A(?:([\\p{L}\\p{Nd}])|\\p{M})", PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err, &at, NULL);
    if (!re)
        return NULL;
    pcre2_code *prev = NULL;
    if (!__atomic_compare_exchange_n(&unicode_re, &prev, re, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        pcre2_code_free(re);
        re = prev;
    }
    return re;
}

/* Length of the valid UTF-8 sequence at s[i] (0 when invalid). */
static size_t utf8_len(const unsigned char *s, size_t len, size_t i)
{
    unsigned char b = s[i];
    size_t need = b >= 0xF5 ? 0 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (need == 0 || i + need > len)
        return 0;
    uint32_t cp = b & (need == 4 ? 0x07 : need == 3 ? 0x0F : 0x1F);
    for (size_t k = 1; k < need; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* Kind of the code point at s[i]; *adv receives its length in bytes. An
 * invalid byte is one byte of no kind. */
static int cp_kind(const unsigned char *s, size_t len, size_t i, size_t *adv)
{
    unsigned char b = s[i];
    *adv = 1;
    if (b < 0x80)
        return ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || (b >= '0' && b <= '9') ? CP_WORD
                                                                                 : CP_OTHER;
    size_t n = utf8_len(s, len, i);
    if (n == 0)
        return CP_OTHER;
    *adv = n;
    pcre2_code *re = unicode_pattern();
    if (!re)
        return CP_WORD; /* out of memory: the safe side is "a letter", so no class */
    pcre2_match_data *md = pcre2_match_data_create(2, NULL);
    if (!md)
        return CP_WORD;
    int rc = pcre2_match(re, s + i, n, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    int kind = CP_OTHER;
    if (rc > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        kind = (rc >= 2 && ov[2] != PCRE2_UNSET) ? CP_WORD : CP_MARK;
    }
    pcre2_match_data_free(md);
    return kind;
}

/* The word that starts at or after *pos: its start and end. */
static int next_word(const char *text, size_t len, size_t *pos, size_t *wa, size_t *wb)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = *pos, adv;
    while (i < len && cp_kind(s, len, i, &adv) != CP_WORD)
        i += adv;
    if (i >= len) {
        *pos = len;
        return 0;
    }
    size_t j = i;
    while (j < len && cp_kind(s, len, j, &adv) != CP_OTHER)
        j += adv;
    *wa = i;
    *wb = j;
    *pos = j;
    return 1;
}

void fz_words_first(const char *text, size_t len, size_t *off, size_t *wlen)
{
    size_t pos = 0, a = 0, b = 0;
    if (!text || !next_word(text, len, &pos, &a, &b))
        a = b = 0;
    *off = a;
    *wlen = b - a;
}

/* Lower-cases an ASCII word of at most cap - 1 bytes into w; 0 when it is
 * longer or holds a non-ASCII byte (no listed word does). */
static int fold_word(const char *text, size_t len, char *w, size_t cap)
{
    if (len == 0 || len >= cap)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80)
            return 0;
        w[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    w[len] = '\0';
    return 1;
}

static int in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[0] == list[i][0] && strcmp(w, list[i]) == 0)
            return 1;
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

fz_word_class fz_words_class(const char *text, size_t len)
{
    size_t off, wlen;
    if (!text)
        return FZ_WORD_NONE;
    fz_words_first(text, len, &off, &wlen);
    char w[16];
    if (!fold_word(text + off, wlen, w, sizeof(w)))
        return FZ_WORD_NONE;
    if (in_list(w, yes_words, COUNT(yes_words)))
        return FZ_WORD_YES;
    if (in_list(w, no_words, COUNT(no_words)))
        return FZ_WORD_NO;
    if (in_list(w, error_words, COUNT(error_words)))
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

int fz_words_is_failure_word(const char *word, size_t len)
{
    char w[16];
    return fold_word(word, len, w, sizeof(w)) &&
           in_list(w, failure_words, COUNT(failure_words));
}

int fz_words_names_failure(const char *text, size_t len)
{
    if (!text)
        return 0;
    size_t pos = 0, a, b;
    char prev[16] = "", w[16];
    while (next_word(text, len, &pos, &a, &b)) {
        if (!fold_word(text + a, b - a, w, sizeof(w))) {
            prev[0] = '\0';
            continue;
        }
        if (in_list(w, failure_words, COUNT(failure_words)))
            return 1;
        if (strcmp(w, "back") == 0 && (strcmp(prev, "rolled") == 0 ||
                                       strcmp(prev, "roll") == 0 || strcmp(prev, "rolling") == 0))
            return 1;
        memcpy(prev, w, sizeof(prev));
    }
    return 0;
}
