/* SPDX-License-Identifier: MIT */
/*
 * utf8.c - well-formed UTF-8 (RFC 3629 / Unicode Table 3-7) checked one
 * sequence at a time, with a word-at-a-time skip over ASCII, the common
 * case of every flowzap input. Repairing replaces byte by byte: each byte
 * that starts no well-formed sequence becomes one U+FFFD.
 */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

size_t fz_utf8_seq(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0; /* 0x80-0xC1: continuation or overlong lead; 0xF5-0xFF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* The first byte of s[0, n) that is not well-formed UTF-8, or (nul) a NUL
 * byte, or n. */
static inline size_t check(const char *s, size_t n, int nul)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    size_t i = 0;
    while (i < n) {
        /* Eight ASCII bytes at a time: no byte has its high bit set (nor,
         * with nul, is zero: the word trick (w - 0x01..) & ~w & 0x80..). At
         * a word with one, skip straight to that byte (little-endian: the
         * lowest set bit is the first byte in memory). */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t hit = w & highs;
            if (nul)
                hit |= (w - ones) & ~w & highs;
            if (hit) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                i += (size_t)__builtin_ctzll(hit) >> 3;
#endif
                break;
            }
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c == 0 && nul)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = fz_utf8_seq(s + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

size_t fz_utf8_check(const char *s, size_t n)
{
    return check(s, n, 0);
}

size_t fz_utf8_check_text(const char *s, size_t n)
{
    return check(s, n, 1);
}

char *fz_utf8_repair(const fz_alloc *alloc, const char *s, size_t n, size_t *out_len)
{
    /* Each bad byte grows to three: size the copy for the worst case only
     * when there is a bad byte at all. */
    size_t bad = fz_utf8_check(s, n);
    size_t cap = bad == n ? n + 1 : n * 3 + 1;
    char *p = fz_malloc(alloc, cap);
    if (!p)
        return NULL;
    memcpy(p, s, bad);
    size_t o = bad, i = bad;
    while (i < n) {
        size_t k = fz_utf8_seq(s + i, n - i);
        if (k) {
            memcpy(p + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(p + o, FZ_UTF8_REPLACEMENT, 3);
            o += 3;
            i++;
        }
    }
    p[o] = '\0';
    if (o + 1 != cap) {
        char *q = fz_realloc(alloc, p, cap, o + 1);
        if (!q) {
            fz_free(alloc, p, cap);
            return NULL;
        }
        p = q;
    }
    if (out_len)
        *out_len = o;
    return p;
}
