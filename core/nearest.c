/* SPDX-License-Identifier: MIT */
/* nearest.c - the nearest valid name to a mistyped one (nearest.h). */
#include "core/nearest.h"

#include <string.h>

enum { MAXW = 64 };

/* Edit distance with adjacent transpositions; (size_t)-1 past MAXW. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la >= MAXW || lb >= MAXW)
        return (size_t)-1;
    size_t d[MAXW + 1][MAXW + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* How near word is to name: 0 the same, else the distance (1 for a
 * prefix of 3 characters or more). */
static size_t nearness(const char *word, size_t len, const char *name, size_t nl)
{
    size_t d = distance(word, len, name, nl);
    if (d > 1 && len >= 3 && len < nl && memcmp(name, word, len) == 0)
        d = 1;
    /* All but the last character the start of the name: another ending
     * of the same word ("retry" for "retries"). */
    size_t p = 0;
    while (p < len && p < nl && word[p] == name[p])
        p++;
    if (d > 2 && p >= 4 && p + 1 >= len)
        d = 2;
    return d;
}

static size_t limit(size_t len)
{
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

const char *fz_nearest(const char *word, size_t len, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        size_t d = nearness(word, len, names[i], strlen(names[i]));
        if (d == 0)
            return NULL;
        if (d < bestd) {
            bestd = d;
            best = names[i];
        }
    }
    return bestd <= limit(len) ? best : NULL;
}

static int word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

int fz_nearest_in(const char *word, size_t len, const char *list, char *out, size_t n)
{
    if (!list || !word)
        return 0;
    const char *colon = strchr(list, ':');
    const char *p = colon ? colon + 1 : list;
    const char *best = NULL;
    size_t bestl = 0, bestd = (size_t)-1;
    while (*p) {
        while (*p && !word_char(*p))
            p++;
        const char *s = p;
        while (word_char(*p))
            p++;
        if (p == s)
            continue;
        size_t d = nearness(word, len, s, (size_t)(p - s));
        if (d == 0)
            return 0;
        if (d < bestd) {
            bestd = d;
            best = s;
            bestl = (size_t)(p - s);
        }
    }
    if (!best || bestd > limit(len) || bestl >= n)
        return 0;
    memcpy(out, best, bestl);
    out[bestl] = '\0';
    return 1;
}
