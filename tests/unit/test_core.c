/* SPDX-License-Identifier: MIT */
/* test_core.c - arena, vec, strmap, diagnostics and line maps. */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/hash.h"
#include "core/status.h"
#include "core/utf8.h"
#include "core/vec.h"

static void test_core_arena_frees_everything_at_once(void **state)
{
    (void)state;
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_arena a;
    fz_arena_init(&a, &ta.hook);
    for (int i = 0; i < 10000; i++) {
        char *p = fz_arena_printf(&a, "node-%d", i);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) & 7u, 0);
    }
    void *big = fz_arena_alloc(&a, 5u << 20);
    assert_non_null(big);
    assert_true(ta.live > 0);
    fz_arena_fini(&a);
    assert_int_equal(ta.live, 0);
    assert_int_equal(ta.live_bytes, 0);
}

static void test_core_vec_push_survives_failed_growth(void **state)
{
    (void)state;
    for (uint64_t n = 1; n < 20; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_vec v;
        fz_vec_init(&v, sizeof(int), &ta.hook);
        uint32_t pushed = 0;
        for (int i = 0; i < 1000; i++) {
            int *p = fz_vec_push(&v);
            if (!p)
                break;
            *p = i;
            pushed++;
        }
        for (uint32_t i = 0; i < pushed; i++)
            assert_int_equal(FZ_VEC_AT(&v, int, i), (int)i);
        fz_vec_fini(&v);
        assert_int_equal(ta.live, 0);
    }
}

static const char *keys[] = {"n1", "n2", "n10", "Deployment", "", "n1x"};

static const char *key_of(void *ud, uint32_t v, uint32_t *len)
{
    (void)ud;
    *len = (uint32_t)strlen(keys[v]);
    return keys[v];
}

static void test_core_strmap_finds_what_it_added_and_nothing_else(void **state)
{
    (void)state;
    fz_strmap m;
    fz_strmap_init(&m, NULL, key_of, NULL);
    for (uint32_t i = 0; i < 6; i++) {
        uint32_t found = 99;
        assert_int_equal(fz_strmap_add(&m, keys[i], (uint32_t)strlen(keys[i]), i, &found), 0);
        assert_int_equal(found, i);
    }
    uint32_t found = 99;
    assert_int_equal(fz_strmap_add(&m, "n2", 2, 7, &found), 0);
    assert_int_equal(found, 1);
    assert_int_equal(fz_strmap_find(&m, "n10", 3), 2);
    assert_int_equal(fz_strmap_find(&m, "", 0), 4);
    assert_int_equal(fz_strmap_find(&m, "n3", 2), UINT32_MAX);
    fz_strmap_fini(&m);
}

static void test_core_linemap_gives_one_based_line_and_column(void **state)
{
    (void)state;
    const char *src = "ab\r\ncd\n\nxyz";
    fz_linemap m;
    assert_int_equal(fz_linemap_init(&m, src, (uint32_t)strlen(src), NULL), 0);
    uint32_t line, col, len;
    fz_linemap_pos(&m, 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    fz_linemap_pos(&m, 5, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 2);
    fz_linemap_pos(&m, 10, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 3);
    const char *t = fz_linemap_line(&m, 1, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(t, "ab", 2);
    fz_linemap_fini(&m);
}

/* The sparse map against a plain count, on a text whose lines run from
 * empty to longer than a map block (so lines start before, in and across
 * blocks), with CRLF ends and no newline at the end. */
static void test_core_linemap_sparse_agrees_with_a_plain_count(void **state)
{
    (void)state;
    size_t cap = 3 * FZ_LINEMAP_BLOCK + 20000, n = 0;
    char *src = malloc(cap + 1);
    assert_non_null(src);
    uint32_t seed = 7;
    while (n < cap) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 97;
        if ((seed >> 8) % 50 == 0)
            len = FZ_LINEMAP_BLOCK + 300; /* a line longer than a block */
        for (size_t k = 0; k < len && n < cap; k++)
            src[n++] = (char)('a' + k % 26);
        if (n < cap && (seed >> 4) % 5 == 0)
            src[n++] = '\r';
        if (n < cap - 1)
            src[n++] = '\n';
    }
    src[n] = '\0';
    fz_linemap m;
    assert_int_equal(fz_linemap_init(&m, src, (uint32_t)n, NULL), 0);
    uint32_t line = 1, start = 0;
    for (uint32_t off = 0; off <= n; off++) {
        uint32_t l = 0, c = 0;
        fz_linemap_pos(&m, off, &l, &c);
        assert_int_equal(l, line);
        assert_int_equal(c, off - start + 1);
        if (off < n && src[off] == '\n') {
            uint32_t len = 0;
            const char *t = fz_linemap_line(&m, line, &len);
            uint32_t e = off;
            while (e > start && (src[e - 1] == '\r' || src[e - 1] == '\n'))
                e--;
            assert_ptr_equal(t, src + start);
            assert_int_equal(len, e - start);
            line++;
            start = off + 1;
        }
    }
    assert_int_equal(m.count, line);
    uint32_t len = 1;
    fz_linemap_line(&m, line + 1, &len);
    assert_int_equal(len, 0);
    fz_linemap_fini(&m);
    free(src);
}

/* The map fed in steps (as the parser's first pass feeds it: uneven ends,
 * some inside a block, some repeated, the last past the end) is the map
 * built at once, entry for entry, and answers only once complete. */
static void test_core_linemap_fed_in_steps_equals_the_map_built_at_once(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        size_t n = variant == 2 ? 4 * FZ_LINEMAP_BLOCK : 5 * FZ_LINEMAP_BLOCK + 777;
        char *src = malloc(n + 1);
        assert_non_null(src);
        for (size_t i = 0; i < n; i++)
            src[i] = (i * 7919u) % (variant ? 61u : 13u) == 0 ? '\n' : 'x';
        src[n] = '\0';
        fz_linemap whole, steps;
        assert_int_equal(fz_linemap_init(&whole, src, (uint32_t)n, NULL), 0);
        assert_int_equal(fz_linemap_start(&steps, src, (uint32_t)n, NULL), 0);
        uint32_t ends[] = {0, 100, FZ_LINEMAP_BLOCK, FZ_LINEMAP_BLOCK, 2 * FZ_LINEMAP_BLOCK + 5,
                           4 * FZ_LINEMAP_BLOCK - 1};
        for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
            fz_linemap_feed(&steps, ends[k]);
            assert_int_equal(steps.count, 0); /* not complete yet */
        }
        fz_linemap_feed(&steps, (uint32_t)n + 10);
        assert_int_equal(steps.count, whole.count);
        assert_int_equal(steps.cap, whole.cap);
        assert_memory_equal(steps.starts, whole.starts, whole.cap * sizeof(uint32_t));
        fz_linemap_fini(&whole);
        fz_linemap_fini(&steps);
        free(src);
    }
}

static void test_core_diag_print_draws_caret_under_the_span(void **state)
{
    (void)state;
    const char *src = "n1: rect label:\"A\"\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_diags_add(&d, FZ_SEV_ERROR, "E001", 4, 4, "did you mean 'rectangle'?",
                                  "unknown shape '%s'", "rect"),
                     0);
    fz_linemap m;
    assert_int_equal(fz_linemap_init(&m, src, (uint32_t)strlen(src), NULL), 0);
    char buf[1024] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    fz_diag_print(f, "x.fz", &m, fz_diags_at(&d, 0), 0);
    fclose(f);
    assert_string_equal(buf, "x.fz:1:5: error: unknown shape 'rect' [E001]\n"
                             "     1 | n1: rect label:\"A\"\n"
                             "       |     ^~~~\n"
                             "       = hint: did you mean 'rectangle'?\n");
    fz_linemap_fini(&m);
    fz_diags_fini(&d);
}

/* Well-formed UTF-8 by Unicode's Table 3-7, and each bad byte repaired to
 * one U+FFFD. */
static void test_core_utf8_checks_and_repairs_byte_by_byte(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t bad; /* offset of the first bad byte, or SIZE_MAX */
    } cases[] = {
        {"plain ascii, long enough for the word loop", SIZE_MAX},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf", SIZE_MAX},
        {"Deploy \xff", 7},          /* never a UTF-8 byte */
        {"\x80", 0},                 /* stray continuation */
        {"ab\xc0\xaf", 2},           /* overlong '/' */
        {"ab\xe0\x80\xaf", 2},       /* overlong, three bytes */
        {"ab\xf0\x80\x80\xaf", 2},   /* overlong, four bytes */
        {"abc\xed\xa0\x80", 3},      /* surrogate U+D800 */
        {"abcdefgh\xf4\x90\x80\x80", 8}, /* past U+10FFFF, after a word */
        {"abcdefghij\xe2\x82", 10},  /* truncated at the end */
        {"a\xe2\x82z", 1},           /* truncated by an ASCII byte */
        {"\xf5\x80\x80\x80", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].s);
        size_t want = cases[i].bad == SIZE_MAX ? n : cases[i].bad;
        if (fz_utf8_check(cases[i].s, n) != want)
            fail_msg("case %zu: first bad byte at %zu, expected %zu", i,
                     fz_utf8_check(cases[i].s, n), want);
        size_t rl = 0;
        char *r = fz_utf8_repair(NULL, cases[i].s, n, &rl);
        assert_non_null(r);
        assert_int_equal(fz_utf8_check(r, rl), rl);
        assert_int_equal(strlen(r), rl);
        if (cases[i].bad == SIZE_MAX)
            assert_string_equal(r, cases[i].s);
        fz_free(NULL, r, rl + 1);
    }
    /* Text as the parser takes it also stops at a NUL, in a word or not. */
    assert_int_equal(fz_utf8_check("ab\0c", 4), 4);
    assert_int_equal(fz_utf8_check_text("ab\0c", 4), 2);
    assert_int_equal(fz_utf8_check_text("abcdefghij\0k", 12), 10);
    assert_int_equal(fz_utf8_check_text("abcdefgh\x01\x7f\xc3\xa9", 12), 12);
    assert_int_equal(fz_utf8_check_text("abcdefgh\xc3\xa9\xff\0", 12), 10);
    size_t rl = 0;
    char *r = fz_utf8_repair(NULL, "a\xe2\x82z\xff", 5, &rl);
    assert_string_equal(r, "a\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd");
    fz_free(NULL, r, rl + 1);
}

/* The source line under a diagnostic shows invalid bytes and control
 * characters as U+FFFD (no raw escape reaches the terminal), and the caret
 * counts characters, not bytes. A long line shows a window around it. */
static void test_core_diag_print_shows_hostile_bytes_safely(void **state)
{
    (void)state;
    const char *src = "n1: circle label:\"\xc3\xa9\x1b[31m\xff\"\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_diags_add(&d, FZ_SEV_ERROR, "E027", 25, 1, NULL, "bad"), 0);
    fz_linemap m;
    assert_int_equal(fz_linemap_init(&m, src, (uint32_t)strlen(src), NULL), 0);
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    fz_diag_print(f, "x.fz", &m, fz_diags_at(&d, 0), 0);
    fclose(f);
    assert_string_equal(buf, "x.fz:1:26: error: bad [E027]\n"
                             "     1 | n1: circle label:\"\xc3\xa9\xef\xbf\xbd[31m\xef\xbf\xbd\"\n"
                             "       |                         ^\n");
    fz_linemap_fini(&m);

    char *line = malloc(5001);
    memset(line, 'a', 5000);
    line[5000] = '\0';
    assert_int_equal(fz_diags_add(&d, FZ_SEV_ERROR, "E001", 4000, 1, NULL, "far"), 0);
    assert_int_equal(fz_linemap_init(&m, line, 5000, NULL), 0);
    f = fmemopen(buf, sizeof(buf) - 1, "w");
    fz_diag_print(f, "x.fz", &m, fz_diags_at(&d, 1), 0);
    fclose(f);
    assert_true(strlen(buf) < 600);
    assert_non_null(strstr(buf, "...aaaa"));
    fz_linemap_fini(&m);
    free(line);

    /* Messages and hints quote the file: no escape reaches the terminal. */
    assert_int_equal(fz_diags_add(&d, FZ_SEV_ERROR, "B001", 0, 1, "hint \a\xff",
                                  "'vars': 'K\x1b[31m' is not a variable name"),
                     0);
    assert_int_equal(fz_linemap_init(&m, "x\n", 2, NULL), 0);
    f = fmemopen(buf, sizeof(buf) - 1, "w");
    fz_diag_print(f, "b.yaml", &m, fz_diags_at(&d, 2), 0);
    fclose(f);
    assert_null(strchr(buf, '\x1b'));
    assert_null(strchr(buf, '\a'));
    assert_non_null(strstr(buf, "'K\xef\xbf\xbd[31m' is not a variable name [B001]"));
    assert_non_null(strstr(buf, "hint: hint \xef\xbf\xbd\xef\xbf\xbd\n"));
    fz_linemap_fini(&m);
    fz_diags_fini(&d);
}

/* A message formatted into a fixed buffer may end in half a character:
 * the list keeps every message and hint UTF-8 (check --json needs it). */
static void test_core_diag_messages_stay_utf8(void **state)
{
    (void)state;
    fz_diags d;
    fz_diags_init(&d, NULL);
    char cut[16];
    memcpy(cut, "abcdefghijklm\xc3\xa9", 15); /* a buffer that ends in half an "é" */
    cut[14] = '\0';
    assert_int_equal(fz_diags_add(&d, FZ_SEV_ERROR, "E001", 0, 1, "h\xe9", "found '%s'", cut),
                     0);
    const fz_diag *dg = fz_diags_at(&d, 0);
    assert_string_equal(dg->message, "found 'abcdefghijklm\xef\xbf\xbd'");
    assert_string_equal(dg->hint, "h\xef\xbf\xbd");
    fz_diags_fini(&d);
}

static void test_core_status_texts_cover_every_code(void **state)
{
    (void)state;
    assert_string_equal(fz_strerror(FZ_ENOMEM), "out of memory");
    assert_string_equal(fz_status_name(FZ_EPARSE), "FZ_EPARSE");
    assert_string_equal(fz_strerror(12345), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_arena_frees_everything_at_once),
        cmocka_unit_test(test_core_vec_push_survives_failed_growth),
        cmocka_unit_test(test_core_strmap_finds_what_it_added_and_nothing_else),
        cmocka_unit_test(test_core_linemap_gives_one_based_line_and_column),
        cmocka_unit_test(test_core_linemap_sparse_agrees_with_a_plain_count),
        cmocka_unit_test(test_core_linemap_fed_in_steps_equals_the_map_built_at_once),
        cmocka_unit_test(test_core_diag_print_draws_caret_under_the_span),
        cmocka_unit_test(test_core_utf8_checks_and_repairs_byte_by_byte),
        cmocka_unit_test(test_core_diag_print_shows_hostile_bytes_safely),
        cmocka_unit_test(test_core_diag_messages_stay_utf8),
        cmocka_unit_test(test_core_status_texts_cover_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
