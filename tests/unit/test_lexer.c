/* SPDX-License-Identifier: MIT */
/* test_lexer.c - tokens of FlowZap Code: kinds, spans, strings, line ends. */
#include "tests/support/support.h"

#include <string.h>

#include "parser/lexer.h"

/* Lexes src and compares the kinds with want (terminated by EOF). */
static void expect_kinds(const char *src, const fz_tok_kind *want)
{
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    for (size_t i = 0;; i++) {
        fz_token t = fz_lexer_next(&lx);
        if (t.kind != want[i])
            fail_msg("%s: token %zu is %s, want %s", src, i, fz_lexer_kind_name(t.kind),
                     fz_lexer_kind_name(want[i]));
        if (t.kind == FZ_TOK_EOF)
            break;
    }
}

static void test_lexer_node_line_tokens(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {FZ_TOK_IDENT, FZ_TOK_COLON,  FZ_TOK_IDENT,   FZ_TOK_IDENT,
                                       FZ_TOK_COLON, FZ_TOK_STRING, FZ_TOK_NEWLINE, FZ_TOK_EOF};
    expect_kinds("  n1: circle label:\"Start\"\n", want);
}

static void test_lexer_edge_line_tokens(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {
        FZ_TOK_IDENT,  FZ_TOK_DOT,      FZ_TOK_IDENT,  FZ_TOK_LPAREN,   FZ_TOK_IDENT, FZ_TOK_RPAREN,
        FZ_TOK_ARROW,  FZ_TOK_IDENT,    FZ_TOK_DOT,    FZ_TOK_IDENT,    FZ_TOK_DOT,   FZ_TOK_IDENT,
        FZ_TOK_LPAREN, FZ_TOK_IDENT,    FZ_TOK_RPAREN, FZ_TOK_LBRACKET, FZ_TOK_IDENT, FZ_TOK_EQUALS,
        FZ_TOK_STRING, FZ_TOK_RBRACKET, FZ_TOK_EOF};
    expect_kinds("n3.handle(bottom) -> Ops.n6.handle(top) [label=\"a -> b\"]", want);
}

static void test_lexer_token_spans_are_offsets_into_the_source(void **state)
{
    (void)state;
    const char *src = "Lane_1 {   # Sales / EMEA (2) \r\n}";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    fz_token t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_IDENT);
    assert_int_equal(t.off, 0);
    assert_int_equal(t.len, 6);
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_LBRACE);
    assert_int_equal(t.off, 7);
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_HASH);
    assert_int_equal(t.off, 11);
    /* The HASH text runs to the line end, CR excluded. */
    assert_memory_equal(src + t.off, "# Sales / EMEA (2) ", t.len);
    assert_int_equal(t.len, strlen("# Sales / EMEA (2) "));
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_NEWLINE);
    assert_int_equal(t.len, 2); /* CR LF is one line end */
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_RBRACE);
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_EOF);
    t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_EOF);
}

static void test_lexer_strings_keep_arrows_brackets_and_utf8(void **state)
{
    (void)state;
    const char *src = "\"No \xe2\x86\x92 review -> [x] < $50K: #1 // not a comment\" x";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    fz_token t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_STRING);
    assert_int_equal(t.off, 0);
    assert_int_equal(t.len, strlen(src) - 2);
    assert_int_equal(t.flags & FZ_TOKF_ESCAPE, 0);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_IDENT);
}

static void test_lexer_string_escapes_are_flagged(void **state)
{
    (void)state;
    const char *src = "\"say \\\"hi\\\" \\\\ ok\"";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    fz_token t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_STRING);
    assert_int_equal(t.len, strlen(src));
    assert_true(t.flags & FZ_TOKF_ESCAPE);
}

static void test_lexer_unterminated_string_points_at_open_quote(void **state)
{
    (void)state;
    const char *src = "n1: circle label:\"Start\r\nn2";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    fz_token t;
    do
        t = fz_lexer_next(&lx);
    while (t.kind != FZ_TOK_BADSTRING && t.kind != FZ_TOK_EOF);
    assert_int_equal(t.kind, FZ_TOK_BADSTRING);
    assert_int_equal(t.off, 17);
    assert_int_equal(t.len, strlen("\"Start"));
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_NEWLINE);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_IDENT);
}

static void test_lexer_string_at_end_of_file_is_unterminated(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {FZ_TOK_BADSTRING, FZ_TOK_EOF};
    expect_kinds("\"abc\\", want);
    expect_kinds("\"", want);
}

static void test_lexer_mermaid_arrows_and_fences(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {FZ_TOK_IDENT,      FZ_TOK_LONGARROW, FZ_TOK_IDENT,
                                       FZ_TOK_ASYNCARROW, FZ_TOK_IDENT,     FZ_TOK_NEWLINE,
                                       FZ_TOK_FENCE,      FZ_TOK_IDENT,     FZ_TOK_OTHER,
                                       FZ_TOK_OTHER,      FZ_TOK_EOF};
    expect_kinds("A --> B ->> C\n```fz -`", want);
}

static void test_lexer_comments_run_to_line_end(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {FZ_TOK_COMMENT, FZ_TOK_NEWLINE, FZ_TOK_HASH, FZ_TOK_NEWLINE,
                                       FZ_TOK_OTHER,   FZ_TOK_IDENT,   FZ_TOK_EOF};
    expect_kinds("// a -> b \"x\n# heading\n/x", want);
}

static void test_lexer_numbers_and_other_bytes(void **state)
{
    (void)state;
    static const fz_tok_kind want[] = {FZ_TOK_NUMBER, FZ_TOK_IDENT, FZ_TOK_OTHER, FZ_TOK_OTHER,
                                       FZ_TOK_PIPE,   FZ_TOK_AT,    FZ_TOK_COMMA, FZ_TOK_EOF};
    expect_kinds("42abc \xc3\xa9 \x01 | @ ,", want);
}

static void test_lexer_utf8_character_is_one_token(void **state)
{
    (void)state;
    const char *src = "\xe2\x86\x92x";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    fz_token t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_OTHER);
    assert_int_equal(t.len, 3);
    assert_true(t.flags & FZ_TOKF_UTF8);
}

static void test_lexer_nul_byte_inside_text_is_not_the_end(void **state)
{
    (void)state;
    const char src[] = "a\0b \"x\0y\"";
    fz_lexer lx;
    fz_lexer_init(&lx, src, sizeof(src) - 1);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_IDENT);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_OTHER);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_IDENT);
    fz_token t = fz_lexer_next(&lx);
    assert_int_equal(t.kind, FZ_TOK_STRING);
    assert_int_equal(t.len, 5);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_EOF);
}

static void test_lexer_until_reads_raw_text_on_the_line(void **state)
{
    (void)state;
    const char *src = "[retry 3 times] n1\n[open\nx";
    fz_lexer lx;
    fz_lexer_init(&lx, src, (uint32_t)strlen(src));
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_LBRACKET);
    fz_token text;
    assert_int_equal(fz_lexer_until(&lx, ']', &text), 0);
    assert_memory_equal(src + text.off, "retry 3 times", text.len);
    assert_int_equal(text.len, 13);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_IDENT);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_NEWLINE);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_LBRACKET);
    assert_int_equal(fz_lexer_until(&lx, ']', &text), -1);
    assert_int_equal(text.len, 4);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_NEWLINE);
    fz_lexer_skip_line(&lx);
    assert_int_equal(fz_lexer_next(&lx).kind, FZ_TOK_EOF);
}

static void test_lexer_scan_and_next_agree(void **state)
{
    (void)state;
    const char *src = "A { # x\r\n  n1: taskbox owner:\"a\\\"b\" \xe2\x86\x92\n"
                      "n1.handle(right) --> ->> -> [label:\"y\"] // z\n```\n\"open";
    fz_lexer a, b;
    fz_lexer_init(&a, src, (uint32_t)strlen(src));
    fz_lexer_init(&b, src, (uint32_t)strlen(src));
    for (int i = 0; i < 100; i++) {
        fz_token t = fz_lexer_next(&a), u;
        fz_lexer_scan(&b, &u);
        assert_int_equal(t.kind, u.kind);
        assert_int_equal(t.off, u.off);
        assert_int_equal(t.len, u.len);
        assert_int_equal(t.flags, u.flags);
        assert_int_equal(a.pos, b.pos);
        if (t.kind == FZ_TOK_EOF)
            return;
    }
    fail_msg("no EOF after 100 tokens");
}

static void test_lexer_kind_names_cover_every_kind(void **state)
{
    (void)state;
    for (int k = 0; k < FZ_TOK_COUNT; k++)
        assert_true(strlen(fz_lexer_kind_name((fz_tok_kind)k)) > 0);
    assert_string_equal(fz_lexer_kind_name(FZ_TOK_ARROW), "'->'");
    assert_string_equal(fz_lexer_kind_name(FZ_TOK_COUNT), "token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_node_line_tokens),
        cmocka_unit_test(test_lexer_edge_line_tokens),
        cmocka_unit_test(test_lexer_token_spans_are_offsets_into_the_source),
        cmocka_unit_test(test_lexer_strings_keep_arrows_brackets_and_utf8),
        cmocka_unit_test(test_lexer_string_escapes_are_flagged),
        cmocka_unit_test(test_lexer_unterminated_string_points_at_open_quote),
        cmocka_unit_test(test_lexer_string_at_end_of_file_is_unterminated),
        cmocka_unit_test(test_lexer_mermaid_arrows_and_fences),
        cmocka_unit_test(test_lexer_comments_run_to_line_end),
        cmocka_unit_test(test_lexer_numbers_and_other_bytes),
        cmocka_unit_test(test_lexer_utf8_character_is_one_token),
        cmocka_unit_test(test_lexer_nul_byte_inside_text_is_not_the_end),
        cmocka_unit_test(test_lexer_until_reads_raw_text_on_the_line),
        cmocka_unit_test(test_lexer_scan_and_next_agree),
        cmocka_unit_test(test_lexer_kind_names_cover_every_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
