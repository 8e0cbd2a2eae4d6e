/* SPDX-License-Identifier: MIT */
/*
 * lexer.h - FlowZap Code text to tokens, one at a time. The lexer never
 * allocates: a token is a kind, an offset and a length into the caller's
 * buffer. Newlines are tokens (statements are lines); spaces, tabs and a
 * CR before LF are skipped. See docs/internals/parser.md.
 */
#ifndef FZ_PARSER_LEXER_H
#define FZ_PARSER_LEXER_H

#include <stdint.h>

/* ORDER TOK: kinds and the words messages use for them. */
#define FZ_TOK_MAP(XX)                                                                             \
    XX(EOF, "end of file")                                                                         \
    XX(NEWLINE, "end of line")                                                                     \
    XX(IDENT, "identifier")                                                                        \
    XX(NUMBER, "number")                                                                           \
    XX(STRING, "string")                                                                           \
    XX(BADSTRING, "unterminated string")                                                           \
    XX(LBRACE, "'{'")                                                                              \
    XX(RBRACE, "'}'")                                                                              \
    XX(LBRACKET, "'['")                                                                            \
    XX(RBRACKET, "']'")                                                                            \
    XX(LPAREN, "'('")                                                                              \
    XX(RPAREN, "')'")                                                                              \
    XX(COLON, "':'")                                                                               \
    XX(EQUALS, "'='")                                                                              \
    XX(DOT, "'.'")                                                                                 \
    XX(COMMA, "','")                                                                               \
    XX(PIPE, "'|'")                                                                                \
    XX(ARROW, "'->'")                                                                              \
    XX(LONGARROW, "'-->'")                                                                         \
    XX(ASYNCARROW, "'->>'")                                                                        \
    XX(HASH, "'#' text")                                                                           \
    XX(COMMENT, "'//' comment")                                                                    \
    XX(FENCE, "'```'")                                                                             \
    XX(AT, "'@'")                                                                                  \
    XX(OTHER, "character")

typedef enum fz_tok_kind {
#define FZ__TOK_ENUM(name, text) FZ_TOK_##name,
    FZ_TOK_MAP(FZ__TOK_ENUM)
#undef FZ__TOK_ENUM
        FZ_TOK_COUNT
} fz_tok_kind;

enum {
    FZ_TOKF_ESCAPE = 1u << 0, /* STRING holds a backslash escape */
    FZ_TOKF_UTF8 = 1u << 1,   /* OTHER starts a multi-byte UTF-8 character */
    FZ_TOKF_HIGH = 1u << 2,   /* STRING holds a byte >= 0xE2 (an emoji may start there) */
};

/* A token: text is src[off, off + len). Not NUL-terminated. A STRING
 * includes its quotes; BADSTRING runs from the quote to the line end; HASH
 * and COMMENT run to the line end (CR excluded). read-only. */
typedef struct fz_token {
    uint32_t off;
    uint32_t len;
    uint8_t kind;  /* fz_tok_kind */
    uint8_t flags; /* FZ_TOKF_* */
} fz_token;

typedef struct fz_lexer {
    const char *src; /* read-only */
    uint32_t len;    /* read-only */
    uint32_t pos;    /* next byte to read */
} fz_lexer;

/* Starts reading src[0, len). src is borrowed and must outlive the lexer;
 * src[len] must be a readable NUL byte (it stops scans without a bounds
 * test per byte). */
void fz_lexer_init(fz_lexer *lx, const char *src, uint32_t len);

/* Reads the next token. After EOF it keeps returning EOF. O(token length). */
fz_token fz_lexer_next(fz_lexer *lx);

/* Same as fz_lexer_next, writing the token to *out: the parser's hot path
 * (no struct return to pack and unpack). */
void fz_lexer_scan(fz_lexer *lx, fz_token *out);

/* Skips to the start of the next line (past its newline) or to the end. */
void fz_lexer_skip_line(fz_lexer *lx);

/* Reads raw text up to (not including) the byte c on the current line and
 * leaves the lexer after c. Returns 0 and fills *text, or -1 when the line
 * ends first (the lexer then stands at the line end). */
int fz_lexer_until(fz_lexer *lx, char c, fz_token *text);

/* The message word for a kind ("identifier", "'->'"). */
const char *fz_lexer_kind_name(fz_tok_kind kind);

#endif
