/* SPDX-License-Identifier: MIT */
/*
 * test_term.c - the terminal escaper (core/term.h): hostile bytes are
 * shown, never sent, and table cells cut between characters, never inside
 * a UTF-8 character or an escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/term.h"
#include "core/utf8.h"

static const char *cell(char *buf, size_t len, const char *s, int width, int flags)
{
    return fz_term_cell(buf, len, s, strlen(s), width, flags);
}

static void test_term_cell_escapes_controls(void **state)
{
    (void)state;
    char b[128];
    assert_string_equal(cell(b, sizeof b, "a\x1b[2J\x07\rb", 20, 0), "a\\x1b[2J\\x07\\rb     ");
    assert_string_equal(cell(b, sizeof b, "x", 4, FZ_TERM_RIGHT), "   x");
    assert_string_equal(cell(b, sizeof b, "", 3, 0), "   ");
    assert_string_equal(fz_term_cell(b, sizeof b, NULL, 0, 2, 0), "  ");
    /* C1 CSI (U+009B) and a bidi override (U+202E) */
    assert_string_equal(cell(b, sizeof b, "\xc2\x9b" "2J\xe2\x80\xae", 14, 0),
                        "\\u009b2J\\u202e");
}

static void test_term_cell_cuts_between_characters(void **state)
{
    (void)state;
    char b[4 * 40 + 1], e[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(e, "\xc3\xa9"); /* é: 2 bytes, 1 column */
    /* 5 columns of 2-byte characters: 10 bytes, whole characters */
    cell(b, sizeof b, e, 5, 0);
    assert_int_equal(strlen(b), 10);
    assert_int_equal(fz_utf8_check(b, strlen(b)), strlen(b));
    /* an odd byte budget never splits one: "a" then é's at every width */
    char s[200] = "a";
    strcat(s, e);
    for (int w = 1; w <= 40; w++) {
        cell(b, sizeof b, s, w, 0);
        assert_int_equal(fz_utf8_check(b, strlen(b)), strlen(b));
        assert_int_equal(strlen(b), 1 + 2 * (size_t)(w - 1)); /* w columns */
    }
    /* an escape is never cut: 3 columns left for "\x1b" (4) -> padded */
    assert_string_equal(cell(b, sizeof b, "ab\x1b", 5, 0), "ab   ");
    /* a small buffer: cut at a unit, NUL-terminated */
    char tiny[6];
    fz_term_cell(tiny, sizeof tiny, e, strlen(e), 40, 0);
    assert_string_equal(tiny, "\xc3\xa9\xc3\xa9 "); /* two whole ones, padding to the end */
}

static void test_term_esc_never_splits(void **state)
{
    (void)state;
    char b[8];
    /* 7 bytes room: "é" "é" "é" (6), then not half of the 4th */
    fz_term_esc(b, sizeof b, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8);
    assert_string_equal(b, "\xc3\xa9\xc3\xa9\xc3\xa9");
    fz_term_esc(b, sizeof b, "ab\x1b[2J", 6);
    assert_string_equal(b, "ab\\x1b[");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_term_cell_escapes_controls),
        cmocka_unit_test(test_term_cell_cuts_between_characters),
        cmocka_unit_test(test_term_esc_never_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
