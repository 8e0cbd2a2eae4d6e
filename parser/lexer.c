/* SPDX-License-Identifier: MIT */
/*
 * lexer.c - a hand-written scanner in the manner of SQLite's tokenizer: a
 * 256-entry class table sorts each first byte, one switch does the rest.
 * No allocation, no copies; every token is O(its length), so a file costs
 * one pass. Identifier runs, the hottest loop, test a second table.
 */
#include "parser/lexer.h"

#include <string.h>

/* Character classes of a token's first byte. */
enum {
    CC_OTHER, /* anything not below, including control bytes */
    CC_SPACE, /* ' ', '\t', '\v', '\f' */
    CC_CR,    /* '\r' */
    CC_NL,    /* '\n' */
    CC_IDENT, /* A-Z a-z _ */
    CC_DIGIT, /* 0-9 */
    CC_QUOTE, /* '"' */
    CC_PUNCT, /* one-byte tokens: { } [ ] ( ) : = . , | @ */
    CC_MINUS, /* '-': '->', '-->', '->>' */
    CC_HASH,  /* '#' */
    CC_SLASH, /* '/': '//' */
    CC_TICK,  /* '`': '```' */
    CC_HIGH,  /* 0x80-0xff: UTF-8 */
};

/* clang-format off */
static const unsigned char char_class[256] = {
    ['\t'] = CC_SPACE, ['\v'] = CC_SPACE, ['\f'] = CC_SPACE, [' '] = CC_SPACE,
    ['\r'] = CC_CR,    ['\n'] = CC_NL,    ['"'] = CC_QUOTE,  ['-'] = CC_MINUS,
    ['#'] = CC_HASH,   ['/'] = CC_SLASH,  ['`'] = CC_TICK,   ['_'] = CC_IDENT,
    ['{'] = CC_PUNCT,  ['}'] = CC_PUNCT,  ['['] = CC_PUNCT,  [']'] = CC_PUNCT,
    ['('] = CC_PUNCT,  [')'] = CC_PUNCT,  [':'] = CC_PUNCT,  ['='] = CC_PUNCT,
    ['.'] = CC_PUNCT,  [','] = CC_PUNCT,  ['|'] = CC_PUNCT,  ['@'] = CC_PUNCT,
    ['0'] = CC_DIGIT,  ['1'] = CC_DIGIT,  ['2'] = CC_DIGIT,  ['3'] = CC_DIGIT,
    ['4'] = CC_DIGIT,  ['5'] = CC_DIGIT,  ['6'] = CC_DIGIT,  ['7'] = CC_DIGIT,
    ['8'] = CC_DIGIT,  ['9'] = CC_DIGIT,
#define L(c) [c] = CC_IDENT
    L('A'), L('B'), L('C'), L('D'), L('E'), L('F'), L('G'), L('H'), L('I'), L('J'), L('K'),
    L('L'), L('M'), L('N'), L('O'), L('P'), L('Q'), L('R'), L('S'), L('T'), L('U'), L('V'),
    L('W'), L('X'), L('Y'), L('Z'), L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'),
    L('h'), L('i'), L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
#define H(c) [c] = CC_HIGH, [c + 1] = CC_HIGH, [c + 2] = CC_HIGH, [c + 3] = CC_HIGH
#define H16(c) H(c), H(c + 4), H(c + 8), H(c + 12)
    H16(0x80), H16(0x90), H16(0xa0), H16(0xb0), H16(0xc0), H16(0xd0), H16(0xe0), H16(0xf0),
#undef H16
#undef H
};

/* 1 for bytes that continue an identifier: letters, digits, '_'. */
static const unsigned char ident_cont[256] = {
#define R(a) [a] = 1
    R('0'), R('1'), R('2'), R('3'), R('4'), R('5'), R('6'), R('7'), R('8'), R('9'), R('_'),
    R('A'), R('B'), R('C'), R('D'), R('E'), R('F'), R('G'), R('H'), R('I'), R('J'), R('K'),
    R('L'), R('M'), R('N'), R('O'), R('P'), R('Q'), R('R'), R('S'), R('T'), R('U'), R('V'),
    R('W'), R('X'), R('Y'), R('Z'), R('a'), R('b'), R('c'), R('d'), R('e'), R('f'), R('g'),
    R('h'), R('i'), R('j'), R('k'), R('l'), R('m'), R('n'), R('o'), R('p'), R('q'), R('r'),
    R('s'), R('t'), R('u'), R('v'), R('w'), R('x'), R('y'), R('z'),
#undef R
};

/* 1 for bytes that stop a string scan: quote, backslash, newline, NUL, and
 * the lead bytes >= 0xE2 (noted in FZ_TOKF_HIGH for lint's emoji rule). */
static const unsigned char string_stop[256] = {
    ['"'] = 1, ['\\'] = 1, ['\n'] = 1, ['\0'] = 1,
    [0xE2] = 1, [0xE3] = 1, [0xE4] = 1, [0xE5] = 1, [0xE6] = 1, [0xE7] = 1, [0xE8] = 1,
    [0xE9] = 1, [0xEA] = 1, [0xEB] = 1, [0xEC] = 1, [0xED] = 1, [0xEE] = 1, [0xEF] = 1,
    [0xF0] = 1, [0xF1] = 1, [0xF2] = 1, [0xF3] = 1, [0xF4] = 1, [0xF5] = 1, [0xF6] = 1,
    [0xF7] = 1, [0xF8] = 1, [0xF9] = 1, [0xFA] = 1, [0xFB] = 1, [0xFC] = 1, [0xFD] = 1,
    [0xFE] = 1, [0xFF] = 1,
};

static const unsigned char punct_kind[256] = {
    ['{'] = FZ_TOK_LBRACE,   ['}'] = FZ_TOK_RBRACE, ['['] = FZ_TOK_LBRACKET,
    [']'] = FZ_TOK_RBRACKET, ['('] = FZ_TOK_LPAREN, [')'] = FZ_TOK_RPAREN,
    [':'] = FZ_TOK_COLON,    ['='] = FZ_TOK_EQUALS, ['.'] = FZ_TOK_DOT,
    [','] = FZ_TOK_COMMA,    ['|'] = FZ_TOK_PIPE,   ['@'] = FZ_TOK_AT,
};

/* clang-format on */

static const char *const kind_names[] = {
#define FZ__TOK_NAME(name, text) text,
    FZ_TOK_MAP(FZ__TOK_NAME)
#undef FZ__TOK_NAME
};

const char *fz_lexer_kind_name(fz_tok_kind kind)
{
    return (unsigned)kind < FZ_TOK_COUNT ? kind_names[kind] : "token";
}

void fz_lexer_init(fz_lexer *lx, const char *src, uint32_t len)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
}

/* End of the current line's text: the offset of its '\n' (or of a CR just
 * before it), or len. */
static uint32_t line_text_end(const fz_lexer *lx, uint32_t from)
{
    const char *nl = memchr(lx->src + from, '\n', lx->len - from);
    uint32_t end = nl ? (uint32_t)(nl - lx->src) : lx->len;
    if (end > from && lx->src[end - 1] == '\r')
        end--;
    return end;
}

void fz_lexer_scan(fz_lexer *lx, fz_token *out)
{
    const unsigned char *s = (const unsigned char *)lx->src;
    uint32_t n = lx->len, i = lx->pos;
    /* The token is written field by field through a pointer: returning the
     * 12-byte struct by value made gcc pack it on the stack and reload it
     * wider than it was stored, a failed store-to-load forward on every
     * call (once most of the lexer's time). */
    uint32_t off, kind = FZ_TOK_EOF, flags = 0;

again:
    /* Spaces before a token are the commonest byte class: skip them
     * before the dispatch (src[n] is NUL, which stops the loop). */
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i >= n) {
        lx->pos = n;
        out->off = n;
        out->len = 0;
        out->kind = FZ_TOK_EOF;
        out->flags = 0;
        return;
    }
    off = i;
    switch (char_class[s[i]]) {
    case CC_SPACE:
        i++;
        goto again;
    case CC_CR:
        /* CR LF is one line end; a lone CR is a space. */
        if (i + 1 < n && s[i + 1] == '\n') {
            kind = FZ_TOK_NEWLINE;
            i += 2;
            break;
        }
        i++;
        goto again;
    case CC_NL:
        kind = FZ_TOK_NEWLINE;
        i++;
        break;
    case CC_IDENT:
        /* src[n] is NUL, which ends the run: no bounds test per byte. */
        i++;
        while (ident_cont[s[i]])
            i++;
        kind = FZ_TOK_IDENT;
        break;
    case CC_DIGIT:
        i++;
        while (char_class[s[i]] == CC_DIGIT)
            i++;
        kind = FZ_TOK_NUMBER;
        break;
    case CC_QUOTE:
        /* A string ends at the next unescaped quote on the same line. */
        i++;
        for (;;) {
            while (!string_stop[s[i]])
                i++;
            if (i >= n || s[i] == '\n') {
                kind = FZ_TOK_BADSTRING;
                if (i > off + 1 && s[i - 1] == '\r' && i < n)
                    i--;
                break;
            }
            if (s[i] == '"') {
                i++;
                kind = FZ_TOK_STRING;
                break;
            }
            if ((unsigned char)s[i] >= 0xE2) {
                flags |= FZ_TOKF_HIGH;
                i++;
                continue;
            }
            if (s[i] == '\\' && i + 1 < n && s[i + 1] != '\n') {
                if (s[i + 1] >= 0xE2)
                    flags |= FZ_TOKF_HIGH; /* the escape skips that byte */
                flags |= FZ_TOKF_ESCAPE;
                i += 2;
                continue;
            }
            i++; /* a NUL byte inside the text, or a backslash at the end */
        }
        break;
    case CC_PUNCT:
        kind = punct_kind[s[i]];
        i++;
        break;
    case CC_MINUS:
        if (i + 1 < n && s[i + 1] == '>') {
            if (i + 2 < n && s[i + 2] == '>') {
                kind = FZ_TOK_ASYNCARROW;
                i += 3;
            } else {
                kind = FZ_TOK_ARROW;
                i += 2;
            }
        } else if (i + 2 < n && s[i + 1] == '-' && s[i + 2] == '>') {
            kind = FZ_TOK_LONGARROW;
            i += 3;
        } else {
            kind = FZ_TOK_OTHER;
            i++;
        }
        break;
    case CC_HASH:
        kind = FZ_TOK_HASH;
        i = line_text_end(lx, i);
        break;
    case CC_SLASH:
        if (i + 1 < n && s[i + 1] == '/') {
            kind = FZ_TOK_COMMENT;
            i = line_text_end(lx, i);
        } else {
            kind = FZ_TOK_OTHER;
            i++;
        }
        break;
    case CC_TICK:
        if (i + 2 < n && s[i + 1] == '`' && s[i + 2] == '`') {
            kind = FZ_TOK_FENCE;
            i += 3;
        } else {
            kind = FZ_TOK_OTHER;
            i++;
        }
        break;
    case CC_HIGH:
        /* One UTF-8 character (or one stray byte) as OTHER. */
        kind = FZ_TOK_OTHER;
        flags |= FZ_TOKF_UTF8;
        i++;
        while (i < n && (s[i] & 0xc0) == 0x80 && i - off < 4)
            i++;
        break;
    default:
        kind = FZ_TOK_OTHER;
        i++;
        break;
    }
    lx->pos = i;
    out->off = off;
    out->len = i - off;
    out->kind = (uint8_t)kind;
    out->flags = (uint8_t)flags;
}

fz_token fz_lexer_next(fz_lexer *lx)
{
    fz_token t;
    fz_lexer_scan(lx, &t);
    return t;
}

void fz_lexer_skip_line(fz_lexer *lx)
{
    const char *nl = memchr(lx->src + lx->pos, '\n', lx->len - lx->pos);
    lx->pos = nl ? (uint32_t)(nl - lx->src) + 1 : lx->len;
}

int fz_lexer_until(fz_lexer *lx, char c, fz_token *text)
{
    uint32_t end = line_text_end(lx, lx->pos);
    const char *hit = memchr(lx->src + lx->pos, c, end - lx->pos);
    text->off = lx->pos;
    text->kind = FZ_TOK_OTHER;
    text->flags = 0;
    if (!hit) {
        text->len = end - lx->pos;
        lx->pos = end;
        return -1;
    }
    text->len = (uint32_t)(hit - lx->src) - lx->pos;
    lx->pos = (uint32_t)(hit - lx->src) + 1;
    return 0;
}
