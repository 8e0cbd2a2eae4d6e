/* SPDX-License-Identifier: MIT */
/*
 * duration.c - durations of bindings and scenarios (see duration.h). Exact
 * integer arithmetic: no strtod, so no locale, no hex, no exponent, no
 * rounding surprise ("0.1s" is exactly 100000000 ns).
 */
#include "core/duration.h"

#include "core/status.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Nanoseconds per unit u[0..n), 0 when n bytes name no unit. */
static uint64_t unit_ns(const char *u, size_t n)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {{"ns", 1},
                 {"us", 1000},
                 {"ms", 1000000},
                 {"s", 1000000000},
                 {"m", 60000000000ull},
                 {"min", 60000000000ull},
                 {"h", 3600000000000ull}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t k = 0;
        while (units[i].name[k] && k < n && units[i].name[k] == u[k])
            k++;
        if (k == n && units[i].name[k] == '\0')
            return units[i].ns;
    }
    return 0;
}

int fz_duration_parse(const char *s, size_t len, uint64_t *ns)
{
    if (!s)
        return FZ_EINVAL;
    size_t a = 0, b = len;
    while (a < b && blank(s[a]))
        a++;
    while (b > a && blank(s[b - 1]))
        b--;
    if (a == b)
        return FZ_EINVAL;
    unsigned __int128 total = 0;
    unsigned parts = 0;
    size_t i = a;
    while (i < b) {
        if (parts)
            while (i < b && s[i] == ' ')
                i++;
        /* The number: digits, then an optional fraction. */
        unsigned __int128 whole = 0, frac = 0, scale = 1;
        size_t digits = 0;
        while (i < b && digit(s[i])) {
            whole = whole * 10 + (unsigned)(s[i++] - '0');
            digits++;
            if (whole > FZ_DURATION_MAX_NS)
                return FZ_EINVAL; /* already too long in any unit */
        }
        if (i < b && s[i] == '.') {
            i++;
            while (i < b && digit(s[i])) {
                if (scale < 1000000000000000000ull) { /* 18 digits are ample */
                    frac = frac * 10 + (unsigned)(s[i] - '0');
                    scale *= 10;
                }
                i++;
                digits++;
            }
        }
        if (digits == 0)
            return FZ_EINVAL;
        size_t u = i;
        while (u < b && ((s[u] >= 'a' && s[u] <= 'z') || (s[u] >= 'A' && s[u] <= 'Z')))
            u++;
        uint64_t mult;
        if (u == i) {
            /* A bare number is seconds, and only alone. */
            if (parts || i != b)
                return FZ_EINVAL;
            mult = 1000000000;
        } else if (!(mult = unit_ns(s + i, u - i))) {
            return FZ_EINVAL;
        }
        total += whole * mult + (frac * mult + scale / 2) / scale;
        if (total > FZ_DURATION_MAX_NS)
            return FZ_EINVAL;
        i = u;
        parts++;
    }
    *ns = (uint64_t)total;
    return FZ_OK;
}
