/* SPDX-License-Identifier: MIT */
/*
 * duration.h - the one duration syntax of bindings and scenarios (see
 * docs/formats.md "Durations"): a number of seconds ("3", "0.5"), or one
 * or more number-and-unit parts ("500ms", "2s", "1min", "1m30s", "1h 5m").
 * Units: ns, us, ms, s, m or min, h. Numbers are decimal (digits, an
 * optional fraction): no sign, no exponent, no hex ("0x10" is refused).
 * The total must fit in a signed 64-bit count of nanoseconds (about 292
 * years).
 */
#ifndef FZ_CORE_DURATION_H
#define FZ_CORE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len) (need not be NUL-terminated; blanks around it are
 * ignored) into nanoseconds, rounded to the nearest. Returns 0, or
 * FZ_EINVAL for anything else, *ns untouched. */
int fz_duration_parse(const char *s, size_t len, uint64_t *ns);

/* The largest duration accepted, in nanoseconds (INT64_MAX). */
#define FZ_DURATION_MAX_NS ((uint64_t)INT64_MAX)

#endif
