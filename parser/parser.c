/* SPDX-License-Identifier: MIT */
/*
 * parser.c - FlowZap Code to an fz_graph: recursive descent over the tokens
 * of parser/lexer.h, one function per grammar rule (the rule is its first
 * comment). Statements are lines, so recovery is "report, skip to the next
 * line". Ids resolve once the whole file is read (forward references are
 * the rule in real files). Cost: one pass over the text plus O(1) expected
 * work per id; ids of the usual form nK skip the hash map after first use.
 */
#include "parser/parser.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fmap.h"
#include "core/status.h"
#include "core/utf8.h"
#include "parser/lexer.h"
#include "parser/lint.h"

#define MAX_LANE_DEPTH 64
#define MAX_ERRORS 200
#define MAX_WARNINGS 200
#define MAX_SRC_LEN 0x7fffffffu /* offsets must stay below FZ_SPAN_POOL */
#define MAP_MIN (1 << 20)       /* files from this size on are mapped */
#define CHECK_CHUNK (64u << 10) /* check_text's step: stays in L2 for the line map */
#define DROP_STEP (4u << 20)    /* the parse drops a mapped text behind it this often */

/* An edge end whose lane prefix names no lane seen yet. */
typedef struct pending_prefix {
    uint32_t edge;
    uint32_t lane_off, lane_len;
    uint32_t name; /* index into parser.unknown (one per distinct name) */
    uint8_t is_dst;
} pending_prefix;


typedef struct lane_open {
    uint32_t lane;
    uint32_t offset; /* of the lane identifier */
} lane_open;

typedef struct parser {
    fz_lexer lx;
    fz_graph *g;
    fz_diags *d;
    const char *src;
    fz_token tok; /* current token */
    fz_token la;  /* lookahead, when has_la */
    int has_la;
    lane_open lanes[MAX_LANE_DEPTH];
    uint32_t depth;  /* lanes open, may exceed MAX_LANE_DEPTH */
    uint32_t lane;   /* innermost open lane, or FZ_NONE */
    int lane_fresh;  /* only comments since the innermost lane's '{' line */
    uint32_t *by_num; /* by_num[k]: 1 + index of the node "nk", 0 when unseen */
    uint32_t by_num_cap;
    uint32_t by_num_limit;
    fz_vec pending; /* pending_prefix */
    /* Distinct names of those prefixes (fz_span of the first use), looked
     * up once each at the end: the text of every other use is not read
     * again (a mapped text is no longer in memory by then). */
    fz_vec unknown;
    fz_strmap unknown_ids;
    fz_vec prefixed; /* uint32_t: edges with a lane prefix, checked at the end */
    uint32_t warnings_dropped;
    uint32_t drop_at; /* mapped text: the parse drops pages behind it here */
    uint32_t dropped; /* mapped text: pages below this offset were dropped */
    int rc;   /* FZ_ENOMEM or FZ_ETOOBIG once hit; stops parsing */
    int stop; /* too many errors */
} parser;

/*==========================================================================
 * Helpers
 *========================================================================*/

static void next(parser *p)
{
    if (p->has_la) {
        p->tok = p->la;
        p->has_la = 0;
        return;
    }
    fz_lexer_scan(&p->lx, &p->tok);
}

static fz_token peek(parser *p)
{
    if (!p->has_la) {
        fz_lexer_scan(&p->lx, &p->la);
        p->has_la = 1;
    }
    return p->la;
}

/* The byte right after the current token (no lookahead pending). */
static char raw_after(const parser *p)
{
    return p->has_la ? '\0' : p->src[p->lx.pos];
}

/* Fast path for the commonest attribute: the bytes :"text" straight after
 * the key, without escapes. Fills *str with the STRING token (quotes
 * included) and leaves the lexer after it; -1 (nothing consumed) for
 * anything else, which the token path then reads and diagnoses. */
static int fast_value(parser *p, fz_token *str)
{
    /* Bytes >= 0xE2 stop it too: such values take the token path, which
     * notes them for lint's emoji rule (FZ_TOKF_HIGH). */
    static const unsigned char stop[256] = {
        ['"'] = 1,  ['\\'] = 1, ['\n'] = 1, ['\0'] = 1, [0xE2] = 1, [0xE3] = 1, [0xE4] = 1,
        [0xE5] = 1, [0xE6] = 1, [0xE7] = 1, [0xE8] = 1, [0xE9] = 1, [0xEA] = 1, [0xEB] = 1,
        [0xEC] = 1, [0xED] = 1, [0xEE] = 1, [0xEF] = 1, [0xF0] = 1, [0xF1] = 1, [0xF2] = 1,
        [0xF3] = 1, [0xF4] = 1, [0xF5] = 1, [0xF6] = 1, [0xF7] = 1, [0xF8] = 1, [0xF9] = 1,
        [0xFA] = 1, [0xFB] = 1, [0xFC] = 1, [0xFD] = 1, [0xFE] = 1, [0xFF] = 1};
    if (p->has_la)
        return -1;
    uint32_t pos = p->lx.pos;
    const unsigned char *s = (const unsigned char *)p->src;
    if (s[pos] != ':' || s[pos + 1] != '"')
        return -1;
    uint32_t i = pos + 2;
    while (!stop[s[i]])
        i++;
    if (s[i] != '"' || i >= p->lx.len)
        return -1;
    str->off = pos + 1;
    str->len = i + 1 - (pos + 1);
    str->kind = FZ_TOK_STRING;
    str->flags = 0;
    p->lx.pos = i + 1;
    return 0;
}

/* Fast path for the hottest text: the bytes ".handle(dir)" straight after
 * the current token. Consumes them and reads the next token; returns 0, or
 * -1 (nothing consumed) when the text is anything else, spaces included. */
static int fast_handle(parser *p, int *dir)
{
    static const char *const words[] = {"left)", "right)", "top)", "bottom)"};
    static const int lens[] = {5, 6, 4, 7};
    if (p->has_la)
        return -1;
    uint32_t pos = p->lx.pos, left = p->lx.len - pos;
    const char *s = p->src + pos;
    if (left < 12 || memcmp(s, ".handle(", 8) != 0)
        return -1;
    int d;
    switch (s[8]) {
    case 'l':
        d = FZ_DIR_LEFT;
        break;
    case 'r':
        d = FZ_DIR_RIGHT;
        break;
    case 't':
        d = FZ_DIR_TOP;
        break;
    case 'b':
        d = FZ_DIR_BOTTOM;
        break;
    default:
        return -1;
    }
    if ((uint32_t)(8 + lens[d]) > left || memcmp(s + 8, words[d], (size_t)lens[d]) != 0)
        return -1;
    p->lx.pos = pos + 8 + (uint32_t)lens[d];
    *dir = d;
    next(p);
    return 0;
}

static int tok_is(const parser *p, fz_token t, const char *word)
{
    size_t n = strlen(word);
    return t.kind == FZ_TOK_IDENT && t.len == n && memcmp(p->src + t.off, word, n) == 0;
}

static fz_span span_of(fz_token t)
{
    fz_span s = {t.off, t.len};
    return s;
}

static int at_line_end(const parser *p)
{
    return p->tok.kind == FZ_TOK_NEWLINE || p->tok.kind == FZ_TOK_EOF ||
           p->tok.kind == FZ_TOK_COMMENT;
}

/* Short printable form of a token for messages ("'foo'", "end of line"). */
static const char *tok_desc(parser *p, fz_token t)
{
    switch (t.kind) {
    case FZ_TOK_EOF:
    case FZ_TOK_NEWLINE:
    case FZ_TOK_COMMENT:
    case FZ_TOK_HASH:
    case FZ_TOK_BADSTRING:
        return fz_lexer_kind_name(t.kind);
    default: {
        uint32_t len = t.len > 40 ? 40 : t.len;
        while (len < t.len && len > 0 && ((unsigned char)p->src[t.off + len] & 0xC0) == 0x80)
            len--; /* cut between characters */
        const char *s = fz_arena_printf(&p->d->arena, "'%.*s%s'", (int)len, p->src + t.off,
                                        len < t.len ? "..." : "");
        return s ? s : "token";
    }
    }
}

/* 1-based line of an offset, for "opened at line N" (rare path). */
static uint32_t line_of(parser *p, uint32_t off)
{
    uint32_t line = 0, col = 0;
    if (fz_graph_position(p->g, off, &line, &col))
        p->rc = FZ_ENOMEM;
    return line;
}

static void report(parser *p, fz_severity sev, const char *code, uint32_t off, uint32_t len,
                   uint32_t related, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void report(parser *p, fz_severity sev, const char *code, uint32_t off, uint32_t len,
                   uint32_t related, const char *hint, const char *fmt, ...)
{
    if (sev == FZ_SEV_WARNING && p->d->warnings >= MAX_WARNINGS) {
        p->warnings_dropped++;
        return;
    }
    if (p->stop)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fz_diags_add(p->d, sev, code, off, len, hint, "%s", msg)) {
        p->rc = FZ_ENOMEM;
        return;
    }
    fz_diags_at(p->d, fz_diags_count(p->d) - 1)->related = related;
    if (sev == FZ_SEV_ERROR && p->d->errors >= MAX_ERRORS) {
        if (fz_diags_add(p->d, FZ_SEV_NOTE, "E026", off, 0, NULL,
                         "too many errors (%u); stopping here", p->d->errors))
            p->rc = FZ_ENOMEM;
        p->stop = 1;
    }
}

#define error_at(p, code, t, hint, ...)                                                            \
    report((p), FZ_SEV_ERROR, (code), (t).off, (t).len ? (t).len : 1, UINT32_MAX, (hint),          \
           __VA_ARGS__)

/* 1-based byte column of an offset on its line. */
static uint32_t col_of(const parser *p, uint32_t off)
{
    uint32_t s = off;
    while (s > 0 && p->src[s - 1] != '\n')
        s--;
    return off - s + 1;
}

/* Levenshtein distance of two short words, capped at 9. */
static unsigned edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 24 || lb > 24)
        return 9;
    unsigned row[25];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned ca = (unsigned char)a[i - 1], cb = (unsigned char)b[j - 1];
            if (ca >= 'A' && ca <= 'Z')
                ca += 32;
            if (cb >= 'A' && cb <= 'Z')
                cb += 32;
            unsigned best = diag + (ca != cb);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > 9 ? 9 : row[lb];
}

typedef struct synonym {
    const char *word;
    const char *meant;
} synonym;

/* Common slips for shapes and directions, checked before edit distance. */
static const synonym shape_synonyms[] = {
    {"rect", "rectangle"},    {"box", "rectangle"},    {"square", "rectangle"},
    {"process", "rectangle"}, {"action", "rectangle"}, {"step", "rectangle"},
    {"task", "taskbox"},      {"oval", "circle"},      {"ellipse", "circle"},
    {"round", "circle"},      {"start", "circle"},     {"end", "circle"},
    {"event", "circle"},      {"rhombus", "diamond"},  {"decision", "diamond"},
    {"choice", "diamond"},    {"gateway", "diamond"},  {"if", "diamond"},
};

static const synonym dir_synonyms[] = {
    {"up", "top"},     {"down", "bottom"}, {"north", "top"}, {"south", "bottom"},
    {"east", "right"}, {"west", "left"},   {"l", "left"},    {"r", "right"},
    {"t", "top"},      {"b", "bottom"},    {"above", "top"}, {"below", "bottom"},
};

/* The keyword among words (or synonyms) closest to s, or NULL. */
static const char *nearest(const char *s, size_t len, const char *const *words, size_t nwords,
                           const synonym *syn, size_t nsyn)
{
    for (size_t i = 0; i < nsyn; i++)
        if (strlen(syn[i].word) == len && strncasecmp(syn[i].word, s, len) == 0)
            return syn[i].meant;
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; i < nwords; i++) {
        size_t wl = strlen(words[i]);
        if (len >= 3 && len < wl && strncasecmp(words[i], s, len) == 0)
            return words[i];
        unsigned dist = edit_distance(s, len, words[i], wl);
        if (dist < best_d) {
            best_d = dist;
            best = words[i];
        }
    }
    return best;
}

static const char *const shape_words[] = {"circle", "rectangle", "diamond", "taskbox"};
static const char *const dir_words[] = {"left", "right", "top", "bottom"};

/* A node id of the form nK (K decimal, no leading zero): K, else -1. */
static int64_t id_number(const char *s, uint32_t len)
{
    if (len < 2 || len > 10 || s[0] != 'n' || (s[1] == '0' && len > 2))
        return -1;
    int64_t k = 0;
    for (uint32_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        k = k * 10 + (s[i] - '0');
    }
    return k;
}

/* 1 when an id has the form n followed by digits (n1, n01, n4294967299). */
static int id_is_nk(const char *s, uint32_t len)
{
    if (len < 2 || s[0] != 'n')
        return 0;
    for (uint32_t i = 1; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Node index for id t, creating an undefined node on first use. The nK
 * cache turns the usual lookup into one array read. Returns FZ_NONE on
 * out-of-memory (p->rc set). */
static uint32_t node_lookup(parser *p, fz_token t)
{
    int64_t k = id_number(p->src + t.off, t.len);
    if (k < 0 || (uint64_t)k >= p->by_num_limit) {
        uint32_t idx = FZ_NONE;
        if (fz_graph_node_ref(p->g, span_of(t), t.off, &idx)) {
            p->rc = FZ_ENOMEM;
            return FZ_NONE;
        }
        return idx;
    }
    if ((uint64_t)k < p->by_num_cap && p->by_num[k])
        return p->by_num[k] - 1;
    if ((uint64_t)k >= p->by_num_cap) {
        uint64_t ncap = p->by_num_cap ? p->by_num_cap : 1024;
        while (ncap <= (uint64_t)k)
            ncap *= 2;
        if (ncap > p->by_num_limit)
            ncap = p->by_num_limit;
        uint32_t *nb = fz_realloc(p->g->alloc, p->by_num, (size_t)p->by_num_cap * sizeof(uint32_t),
                                  (size_t)ncap * sizeof(uint32_t));
        if (!nb) {
            p->rc = FZ_ENOMEM;
            return FZ_NONE;
        }
        p->by_num = nb;
        memset(nb + p->by_num_cap, 0, (size_t)(ncap - p->by_num_cap) * sizeof(uint32_t));
        p->by_num_cap = (uint32_t)ncap;
    }
    /* A new nK node: by_num becomes the graph's index of nK ids (index_ids). */
    fz_node *n = fz_vec_push(&p->g->nodes);
    if (!n) {
        p->rc = FZ_ENOMEM;
        return FZ_NONE;
    }
    n->id = span_of(t);
    n->label = n->id;
    n->lane = FZ_NONE;
    n->offset = t.off;
    p->by_num[k] = p->g->nodes.len;
    return p->g->nodes.len - 1;
}

/* Hands the nK index to the graph (fz_graph_find_node reads it): no
 * hash map of a million ids, no key read again. Trimmed to the highest K. */
static int index_ids(parser *p)
{
    fz_graph *g = p->g;
    uint32_t count = 0, top = 0;
    for (uint32_t k = 0; k < p->by_num_cap; k++)
        if (p->by_num[k]) {
            count++;
            top = k;
        }
    /* Every node is some nK with K in 1..N, each once: the ids are n1..nN
     * (lint's W101 then has nothing to say and reads no id). */
    g->ids_dense = count > 0 && count == g->nodes.len && p->by_num_cap > 0 && !p->by_num[0] &&
                   top <= count;
    if (count == 0)
        return FZ_OK;
    uint32_t len = top + 1;
    uint32_t *keep = p->by_num;
    if (len < p->by_num_cap) {
        keep = fz_realloc(g->alloc, p->by_num, (size_t)p->by_num_cap * sizeof(uint32_t),
                          (size_t)len * sizeof(uint32_t));
        if (!keep)
            return FZ_ENOMEM;
    }
    g->node_by_num = keep;
    g->node_by_num_len = len;
    p->by_num = NULL; /* the graph owns it now */
    p->by_num_cap = 0;
    return FZ_OK;
}

/* The text of STRING token t without quotes; escapes \" and \\ undone into
 * the graph's pool (the only copy the parser makes). */
static fz_span string_value(parser *p, fz_token t)
{
    fz_span s = {t.off + 1, t.len - 2};
    if (t.flags & FZ_TOKF_HIGH)
        p->g->strings_high = 2;
    if (!(t.flags & FZ_TOKF_ESCAPE))
        return s;
    fz_span out = {0, 0};
    if (fz_graph_pool_add(p->g, p->src + s.off, s.len, &out)) {
        p->rc = FZ_ENOMEM;
        return s;
    }
    char *b = (char *)p->g->pool.data + (out.off & ~FZ_SPAN_POOL);
    uint32_t w = 0;
    for (uint32_t r = 0; r < out.len; r++) {
        if (b[r] == '\\' && r + 1 < out.len && (b[r + 1] == '"' || b[r + 1] == '\\'))
            r++;
        b[w++] = b[r];
    }
    b[w] = '\0';
    out.len = w;
    return out;
}

/* Reports a string token that is not closed on its line. */
static void unterminated_string(parser *p, fz_token t)
{
    error_at(p, "E009", t,
             "close the string with '\"' on the same line; write \\\" for a quote inside it",
             "unterminated string: expected '\"' before the end of the line");
}

/* After a statement: end of line, or a `//` comment. Reports anything else. */
static int expect_line_end(parser *p, const char *after)
{
    if (at_line_end(p))
        return 0;
    if (p->tok.kind == FZ_TOK_HASH) {
        error_at(p, "E012", p->tok, "FlowZap Code comments start with '//' on a line of their own",
                 "'#' comment after %s; '#' is only allowed after a lane's '{'", after);
        return -1;
    }
    error_at(p, "E001", p->tok, NULL, "expected end of line after %s, found %s", after,
             tok_desc(p, p->tok));
    return -1;
}

/*==========================================================================
 * Grammar rules
 *========================================================================*/

/* The text of a HASH token after '#', without surrounding blanks. */
static fz_span hash_text(const parser *p, fz_token t)
{
    uint32_t a = t.off + 1, e = t.off + t.len;
    /* A stray '\r' before the line end ("\r\r\n") is trailing space too:
     * fmt writes the label back and must read the same label again. */
    while (a < e && (p->src[a] == ' ' || p->src[a] == '\t' || p->src[a] == '\r'))
        a++;
    while (e > a && (p->src[e - 1] == ' ' || p->src[e - 1] == '\t' || p->src[e - 1] == '\r'))
        e--;
    fz_span s = {a, e - a};
    return s;
}

/* lane := IDENT '{' [ '#' label ] NEWLINE */
static int parse_lane(parser *p)
{
    fz_token id = p->tok;
    next(p); /* '{' */
    next(p);
    fz_span label = span_of(id);
    int has_label = 0;
    if (p->tok.kind == FZ_TOK_HASH) {
        fz_span text = hash_text(p, p->tok);
        if (text.len) {
            label = text;
            has_label = 1;
        }
        next(p);
    }
    if (p->depth > 0) {
        const lane_open *outer =
            &p->lanes[p->depth < MAX_LANE_DEPTH ? p->depth - 1 : MAX_LANE_DEPTH - 1];
        const fz_lane *ol = fz_graph_lane(p->g, outer->lane);
        char hint[256];
        snprintf(hint, sizeof(hint),
                 "lanes do not nest: close lane '%.*s' with a line '}' before opening '%.*s'",
                 (int)ol->id.len, fz_graph_text(p->g, ol->id), (int)id.len, p->src + id.off);
        report(p, FZ_SEV_ERROR, "E011", id.off, id.len, outer->offset, hint,
               "lane '%.*s' opened inside lane '%.*s' (opened at line %u)", (int)id.len,
               p->src + id.off, (int)ol->id.len, fz_graph_text(p->g, ol->id),
               line_of(p, outer->offset));
    }
    uint32_t idx = fz_graph_find_lane(p->g, p->src + id.off, id.len);
    if (idx != FZ_NONE) {
        const fz_lane *l = fz_graph_lane(p->g, idx);
        report(p, FZ_SEV_ERROR, "E018", id.off, id.len, l->offset,
               "give each lane its own identifier, or merge the two blocks",
               "duplicate lane '%.*s' (first opened at line %u)", (int)id.len, p->src + id.off,
               line_of(p, l->offset));
    } else if (fz_graph_add_lane(p->g, span_of(id), label, has_label, id.off, &idx)) {
        p->rc = FZ_ENOMEM;
        return -1;
    }
    if (p->depth < MAX_LANE_DEPTH) {
        p->lanes[p->depth].lane = idx;
        p->lanes[p->depth].offset = id.off;
    }
    p->depth++;
    p->lane = idx;
    p->lane_fresh = 1;
    return expect_line_end(p, "'{'");
}

/* lane_end := '}' NEWLINE */
static int parse_lane_end(parser *p)
{
    fz_token brace = p->tok;
    if (p->depth == 0) {
        error_at(p, "E017", brace, "remove it, or open a lane before it: Lane { # Label",
                 "'}' without an open lane");
    } else {
        p->depth--;
        if (p->depth < MAX_LANE_DEPTH) {
            fz_lane *l = fz_graph_lane(p->g, p->lanes[p->depth].lane);
            if (l->end == FZ_NONE)
                l->end = brace.off;
        }
        p->lane =
            p->depth == 0
                ? FZ_NONE
                : p->lanes[p->depth <= MAX_LANE_DEPTH ? p->depth - 1 : MAX_LANE_DEPTH - 1].lane;
    }
    next(p);
    return expect_line_end(p, "'}'");
}

/* attr := IDENT ( ':' | '=' ) STRING   (the '=' form is a slip: warning) */
static int parse_attr(parser *p, int record)
{
    fz_token key = p->tok;
    fz_token value;
    if (fast_value(p, &value) == 0) {
        if (record) {
            uint32_t idx;
            fz_span v = {value.off + 1, value.len - 2};
            if (fz_graph_add_attr(p->g, span_of(key), v, key.off, 0, &idx)) {
                p->rc = FZ_ENOMEM;
                return -1;
            }
        }
        next(p);
        return 0;
    }
    next(p);
    int slip = 0;
    if (p->tok.kind == FZ_TOK_EQUALS) {
        slip = 1;
        char hint[128];
        snprintf(hint, sizeof(hint), "write %.*s:\"...\" (flowzap fmt rewrites it)", (int)key.len,
                 p->src + key.off);
        report(p, FZ_SEV_WARNING, "W001", p->tok.off, 1, UINT32_MAX, hint,
               "node attribute written '%.*s=' instead of '%.*s:'", (int)key.len, p->src + key.off,
               (int)key.len, p->src + key.off);
    } else if (p->tok.kind != FZ_TOK_COLON) {
        error_at(p, "E020", p->tok, "attributes are written key:\"value\", e.g. label:\"Approve\"",
                 "expected ':' after attribute key '%.*s', found %s", (int)key.len,
                 p->src + key.off, tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (p->tok.kind == FZ_TOK_BADSTRING) {
        unterminated_string(p, p->tok);
        return -1;
    }
    if (p->tok.kind != FZ_TOK_STRING) {
        error_at(p, "E020", p->tok, "put the value in double quotes: label:\"Approve\"",
                 "expected a quoted value after '%.*s%c', found %s", (int)key.len, p->src + key.off,
                 slip ? '=' : ':', tok_desc(p, p->tok));
        return -1;
    }
    if (record) {
        uint32_t idx;
        if (fz_graph_add_attr(p->g, span_of(key), string_value(p, p->tok), key.off, slip, &idx)) {
            p->rc = FZ_ENOMEM;
            return -1;
        }
    }
    next(p);
    return 0;
}

/* Label of a node: label attr, else description, else its id. */
static void node_label(parser *p, fz_node *n)
{
    fz_span desc = {0, 0};
    int has_desc = 0;
    for (uint32_t i = 0; i < n->attr_count; i++) {
        const fz_attr *a = fz_graph_attr(p->g, n->attr_first + i);
        const char *k = fz_graph_text(p->g, a->key);
        if (a->key.len == 5 && memcmp(k, "label", 5) == 0) {
            n->label = a->value;
            return;
        }
        if (!has_desc && a->key.len == 11 && memcmp(k, "description", 11) == 0) {
            desc = a->value;
            has_desc = 1;
        }
    }
    n->label = has_desc ? desc : n->id;
}

/* node := IDENT ':' shape { attr } NEWLINE
 * shape := 'circle' | 'rectangle' | 'diamond' | 'taskbox' */
static int parse_node(parser *p)
{
    fz_token id = p->tok;
    if (!p->has_la && p->src[p->lx.pos] == ':')
        p->lx.pos++; /* the ':' right after the id: no token needed */
    else
        next(p); /* ':' */
    next(p);
    if (p->depth == 0)
        error_at(p, "E019", id, "put the node inside a lane: Lane { # Label ... }",
                 "node '%.*s' outside any lane", (int)id.len, p->src + id.off);
    if (!id_is_nk(p->src + id.off, id.len)) {
        char hint[256];
        snprintf(hint, sizeof(hint),
                 "FlowZap Code names nodes n1, n2, ...; keep the name as text: "
                 "nK: shape label:\"%.*s\"",
                 (int)(id.len > 60 ? 60 : id.len), p->src + id.off);
        error_at(p, "E015", id, hint, "node id '%.*s' is not of the form nK (n1, n2, ...)",
                 (int)id.len, p->src + id.off);
    }
    int shape = -1;
    if (p->tok.kind == FZ_TOK_IDENT) {
        shape = fz_shape_parse(p->src + p->tok.off, p->tok.len);
        if (shape < 0) {
            const char *near =
                nearest(p->src + p->tok.off, p->tok.len, shape_words, 4, shape_synonyms,
                        sizeof(shape_synonyms) / sizeof(shape_synonyms[0]));
            char hint[192];
            if (near)
                snprintf(hint, sizeof(hint),
                         "did you mean '%s'? shapes are circle, rectangle, diamond, taskbox", near);
            else
                snprintf(hint, sizeof(hint), "shapes are circle, rectangle, diamond, taskbox");
            error_at(p, "E002", p->tok, hint, "unknown shape '%.*s'", (int)p->tok.len,
                     p->src + p->tok.off);
        }
        next(p);
    } else {
        error_at(p, "E002", p->tok, "write e.g. n1: rectangle label:\"Do the thing\"",
                 "expected a shape (circle, rectangle, diamond, taskbox) after '%.*s:', found %s",
                 (int)id.len, p->src + id.off, tok_desc(p, p->tok));
        return -1;
    }
    uint32_t idx = node_lookup(p, id);
    if (idx == FZ_NONE)
        return -1;
    fz_node *n = fz_graph_node(p->g, idx);
    int dup = (n->flags & FZ_NODE_DEFINED) != 0;
    if (dup) {
        report(p, FZ_SEV_ERROR, "E006", id.off, id.len, n->offset,
               "node ids are global across lanes: give this node the next free nK",
               "duplicate node id '%.*s' (first defined at line %u)", (int)id.len, p->src + id.off,
               line_of(p, n->offset));
    }
    uint32_t first = p->g->attrs.len, count = 0;
    if (!dup) {
        n->flags |= FZ_NODE_DEFINED;
        n->lane = p->lane;
        n->offset = id.off;
        n->shape = (uint8_t)(shape < 0 ? FZ_SHAPE_RECTANGLE : shape);
        n->attr_first = first;
    }
    int bad = 0;
    while (p->tok.kind == FZ_TOK_IDENT) {
        int record = !dup && count < UINT16_MAX;
        if (parse_attr(p, record)) {
            bad = 1;
            break;
        }
        count += (uint32_t)record;
    }
    if (!dup) {
        /* Attributes live in their own array: the node has not moved. */
        n->attr_count = (uint16_t)count;
        node_label(p, n);
    }
    if (bad)
        return -1;
    if (p->tok.kind == FZ_TOK_BADSTRING) {
        unterminated_string(p, p->tok);
        return -1;
    }
    if (p->tok.kind == FZ_TOK_STRING) {
        error_at(p, "E020", p->tok, "name the attribute: label:\"...\"",
                 "expected an attribute key before the string");
        return -1;
    }
    return expect_line_end(p, "the node definition");
}

typedef struct edge_end {
    fz_token id;
    fz_token lane; /* kind EOF when there is no prefix */
    int dir;
} edge_end;

/* handle := 'handle' '(' dir ')'   dir := 'left' | 'right' | 'top' | 'bottom' */
static int parse_handle(parser *p, edge_end *e)
{
    if (!tok_is(p, p->tok, "handle")) {
        error_at(p, "E003", p->tok,
                 "each edge end is written id.handle(dir), e.g. n1.handle(right)",
                 "expected 'handle' after '%.*s.', found %s", (int)e->id.len, p->src + e->id.off,
                 tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (p->tok.kind != FZ_TOK_LPAREN) {
        error_at(p, "E003", p->tok,
                 "write .handle(left), .handle(right), .handle(top) or .handle(bottom)",
                 "expected '(' after 'handle', found %s", tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (p->tok.kind != FZ_TOK_IDENT) {
        error_at(p, "E004", p->tok, "directions are left, right, top, bottom",
                 "expected a direction in 'handle(...)', found %s", tok_desc(p, p->tok));
        return -1;
    }
    e->dir = fz_dir_parse(p->src + p->tok.off, p->tok.len);
    if (e->dir < 0) {
        const char *near = nearest(p->src + p->tok.off, p->tok.len, dir_words, 4, dir_synonyms,
                                   sizeof(dir_synonyms) / sizeof(dir_synonyms[0]));
        char hint[160];
        if (near)
            snprintf(hint, sizeof(hint),
                     "did you mean '%s'? directions are left, right, top, bottom", near);
        else
            snprintf(hint, sizeof(hint), "directions are left, right, top, bottom");
        error_at(p, "E004", p->tok, hint, "bad handle direction '%.*s'", (int)p->tok.len,
                 p->src + p->tok.off);
        return -1;
    }
    next(p);
    if (p->tok.kind != FZ_TOK_RPAREN) {
        error_at(p, "E003", p->tok, "close it: .handle(right)",
                 "expected ')' to close 'handle(', found %s", tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    return 0;
}

/* end := [ IDENT '.' ] IDENT '.' handle */
static int parse_end(parser *p, edge_end *e, int is_dst)
{
    e->lane.kind = FZ_TOK_EOF;
    if (p->tok.kind != FZ_TOK_IDENT) {
        error_at(p, "E001", p->tok, NULL, "expected a node id after '->', found %s",
                 tok_desc(p, p->tok));
        return -1;
    }
    e->id = p->tok;
    if (fast_handle(p, &e->dir) == 0)
        return 0;
    next(p);
    if (p->tok.kind != FZ_TOK_DOT) {
        char hint[192];
        int w = (int)(e->id.len > 40 ? 40 : e->id.len);
        if (is_dst)
            snprintf(hint, sizeof(hint),
                     "every edge end names a handle: nK.handle(right) -> %.*s.handle(left)", w,
                     p->src + e->id.off);
        else
            snprintf(hint, sizeof(hint),
                     "every edge end names a handle: %.*s.handle(right) -> nK.handle(left)", w,
                     p->src + e->id.off);
        error_at(p, "E003", e->id, hint, "edge end '%.*s' without '.handle(dir)'", (int)e->id.len,
                 p->src + e->id.off);
        return -1;
    }
    next(p);
    if (p->tok.kind == FZ_TOK_IDENT && !tok_is(p, p->tok, "handle")) {
        /* Lane.nX.handle(dir) */
        e->lane = e->id;
        e->id = p->tok;
        if (fast_handle(p, &e->dir) == 0)
            return 0;
        next(p);
        if (p->tok.kind != FZ_TOK_DOT) {
            char hint[192];
            snprintf(hint, sizeof(hint), "write %.*s.%.*s.handle(dir)", (int)e->lane.len,
                     p->src + e->lane.off, (int)e->id.len, p->src + e->id.off);
            report(p, FZ_SEV_ERROR, "E003", e->lane.off, e->id.off + e->id.len - e->lane.off,
                   UINT32_MAX, hint, "edge end '%.*s.%.*s' without '.handle(dir)'",
                   (int)e->lane.len, p->src + e->lane.off, (int)e->id.len, p->src + e->id.off);
            return -1;
        }
        next(p);
    }
    return parse_handle(p, e);
}

/* Records the lane named by an edge end's prefix, or queues it until the
 * file is read (the lane may come later). */
static void edge_prefix(parser *p, uint32_t edge_idx, const edge_end *e, int is_dst)
{
    fz_edge *edge = fz_graph_edge(p->g, edge_idx);
    uint32_t lane = fz_graph_find_lane(p->g, p->src + e->lane.off, e->lane.len);
    if (is_dst) {
        edge->flags |= FZ_EDGE_DST_PREFIX;
        edge->dst_lane = lane;
    } else {
        edge->flags |= FZ_EDGE_SRC_PREFIX;
        edge->src_lane = lane;
    }
    if (lane != FZ_NONE)
        return;
    uint32_t name = p->unknown.len, found = 0;
    if (fz_strmap_add(&p->unknown_ids, p->src + e->lane.off, e->lane.len, name, &found)) {
        p->rc = FZ_ENOMEM;
        return;
    }
    if (found == name) {
        fz_span *sp = fz_vec_push(&p->unknown);
        if (!sp) {
            p->rc = FZ_ENOMEM;
            return;
        }
        *sp = (fz_span){e->lane.off, e->lane.len};
    }
    pending_prefix *pp = fz_vec_push(&p->pending);
    if (!pp) {
        p->rc = FZ_ENOMEM;
        return;
    }
    pp->name = found;
    pp->edge = edge_idx;
    pp->lane_off = e->lane.off;
    pp->lane_len = e->lane.len;
    pp->is_dst = (uint8_t)is_dst;
}

/* label := '[' 'label' ( '=' | ':' ) STRING ']'   (':' is a slip: warning) */
static int parse_edge_label(parser *p, fz_span *label, int *slip)
{
    fz_token open = p->tok;
    next(p);
    if (!tok_is(p, p->tok, "label")) {
        error_at(p, "E021", p->tok, "edge labels are written [label=\"text\"]",
                 "expected 'label' after '[', found %s", tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (p->tok.kind == FZ_TOK_COLON) {
        *slip = 1;
        report(p, FZ_SEV_WARNING, "W002", p->tok.off, 1, UINT32_MAX,
               "write [label=\"...\"] (flowzap fmt rewrites it)",
               "edge label written 'label:' instead of 'label='");
    } else if (p->tok.kind != FZ_TOK_EQUALS) {
        error_at(p, "E021", p->tok, "edge labels are written [label=\"text\"]",
                 "expected '=' after 'label', found %s", tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (p->tok.kind == FZ_TOK_BADSTRING) {
        unterminated_string(p, p->tok);
        return -1;
    }
    if (p->tok.kind != FZ_TOK_STRING) {
        error_at(p, "E021", p->tok, "put the label in double quotes: [label=\"Yes\"]",
                 "expected a quoted label, found %s", tok_desc(p, p->tok));
        return -1;
    }
    *label = string_value(p, p->tok);
    next(p);
    if (p->tok.kind != FZ_TOK_RBRACKET) {
        report(p, FZ_SEV_ERROR, "E021", p->tok.off, p->tok.len ? p->tok.len : 1, open.off,
               "close the label with ']'", "expected ']' to close '[' at column %u, found %s",
               col_of(p, open.off), tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    return 0;
}

/* edge := end '->' end [ label ] NEWLINE */
static int parse_edge(parser *p)
{
    edge_end a, b;
    if (parse_end(p, &a, 0))
        return -1;
    if (p->tok.kind == FZ_TOK_LONGARROW || p->tok.kind == FZ_TOK_ASYNCARROW) {
        error_at(p, "E013", p->tok, "FlowZap Code edges use '->'; '-->' and '->>' are Mermaid",
                 "Mermaid arrow %s in an edge", tok_desc(p, p->tok));
        return -1;
    }
    if (p->tok.kind != FZ_TOK_ARROW) {
        error_at(p, "E001", p->tok, "edges are written a.handle(right) -> b.handle(left)",
                 "expected '->' after the edge's source, found %s", tok_desc(p, p->tok));
        return -1;
    }
    next(p);
    if (parse_end(p, &b, 1))
        return -1;
    fz_span label = {0, 0};
    int labelled = 0, slip = 0;
    if (p->tok.kind == FZ_TOK_LBRACKET) {
        if (parse_edge_label(p, &label, &slip))
            return -1;
        labelled = 1;
    }
    if (p->tok.kind == FZ_TOK_ARROW || p->tok.kind == FZ_TOK_LONGARROW) {
        error_at(p, "E016", p->tok,
                 "write one edge per line: a.handle(right) -> b.handle(left), then "
                 "b.handle(right) -> c.handle(left)",
                 "chained edge: a second '->' after the edge's target");
        return -1;
    }
    if (expect_line_end(p, "the edge"))
        return -1;
    uint32_t src = node_lookup(p, a.id);
    uint32_t dst = node_lookup(p, b.id);
    if (src == FZ_NONE || dst == FZ_NONE)
        return -1;
    fz_edge *e = fz_graph_add_edge(p->g);
    if (!e) {
        p->rc = FZ_ENOMEM;
        return -1;
    }
    e->src = src;
    e->dst = dst;
    e->lane = p->lane;
    e->offset = a.id.off;
    e->dst_offset = b.id.off;
    e->label = label;
    e->src_dir = (uint8_t)a.dir;
    e->dst_dir = (uint8_t)b.dir;
    e->flags = (uint8_t)((labelled ? FZ_EDGE_LABELLED : 0) | (slip ? FZ_EDGE_LABEL_SLIP : 0));
    /* The label's word class and hash for lint, while the text is in cache. */
    e->word = fz_lint_label_word(fz_graph_text(p->g, label), label.len);
    uint32_t ei = p->g->edges.len - 1;
    if (a.lane.kind == FZ_TOK_IDENT || b.lane.kind == FZ_TOK_IDENT) {
        uint32_t *slot = fz_vec_push(&p->prefixed);
        if (!slot) {
            p->rc = FZ_ENOMEM;
            return -1;
        }
        *slot = ei;
    }
    if (a.lane.kind == FZ_TOK_IDENT)
        edge_prefix(p, ei, &a, 0);
    if (b.lane.kind == FZ_TOK_IDENT)
        edge_prefix(p, ei, &b, 1);
    return 0;
}

/* First decimal number in text, else 3 (the default retry bound). */
static uint32_t loop_bound(const char *s, uint32_t len)
{
    uint32_t i = 0;
    while (i < len && (s[i] < '0' || s[i] > '9'))
        i++;
    if (i == len)
        return 3;
    uint64_t v = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > UINT32_MAX)
            v = UINT32_MAX;
        i++;
    }
    return (uint32_t)v;
}

/* loop := 'loop' '[' text ']' { IDENT } NEWLINE */
static int parse_loop(parser *p)
{
    fz_token kw = p->tok;
    next(p); /* '[' */
    fz_token open = p->tok;
    fz_token cond;
    if (fz_lexer_until(&p->lx, ']', &cond)) {
        error_at(p, "E022", open, "close the condition: loop [retry 3 times] n4 n5",
                 "unterminated loop condition: expected ']' before the end of the line");
        next(p);
        return -1;
    }
    next(p);
    fz_loop *l = fz_graph_add_loop(p->g);
    if (!l) {
        p->rc = FZ_ENOMEM;
        return -1;
    }
    uint32_t li = p->g->loops.len - 1;
    l->cond.off = cond.off;
    l->cond.len = cond.len;
    l->lane = p->lane;
    l->offset = kw.off;
    l->bound = loop_bound(p->src + cond.off, cond.len);
    uint32_t count = 0;
    while (p->tok.kind == FZ_TOK_IDENT) {
        uint32_t idx = node_lookup(p, p->tok);
        if (idx == FZ_NONE || fz_graph_add_loop_node(p->g, idx)) {
            p->rc = FZ_ENOMEM;
            return -1;
        }
        count++;
        next(p);
    }
    fz_graph_loop(p->g, li)->node_count = count;
    if (!at_line_end(p)) {
        if (p->tok.kind == FZ_TOK_DOT)
            error_at(p, "E022", p->tok,
                     "list bare node ids after the condition: loop [retry] n4 n5",
                     "expected a node id in the loop, found '.'");
        else
            error_at(p, "E022", p->tok, "list node ids after the condition: loop [retry] n4 n5",
                     "expected a node id in the loop, found %s", tok_desc(p, p->tok));
        return -1;
    }
    if (count == 0)
        error_at(p, "E023", kw, "name the nodes the loop repeats: loop [retry 3 times] n4 n5",
                 "loop without nodes");
    else if (count == 1)
        report(p, FZ_SEV_WARNING, "W003", kw.off, kw.len, UINT32_MAX,
               "a loop fragment spans two or more nodes; list the nodes it repeats",
               "loop over a single node");
    return 0;
}

static const char *const mermaid_words[] = {
    "graph",     "flowchart",  "sequenceDiagram", "classDiagram", "stateDiagram",
    "erDiagram", "gantt",      "journey",         "participant",  "actor",
    "subgraph",  "autonumber", "activate",        "deactivate",   "note",
    "startuml",  "enduml",     "skinparam",       "title",        "end",
};

/* Finds a Mermaid/PlantUML arrow on the rest of the line (the current
 * token included); fills *at and returns 1 when there is one. */
static int line_has_mermaid_arrow(const parser *p, fz_token *at)
{
    fz_lexer copy = p->lx;
    if (p->tok.kind == FZ_TOK_LONGARROW || p->tok.kind == FZ_TOK_ASYNCARROW) {
        *at = p->tok;
        return 1;
    }
    if (p->has_la) {
        if (p->la.kind == FZ_TOK_LONGARROW || p->la.kind == FZ_TOK_ASYNCARROW) {
            *at = p->la;
            return 1;
        }
        if (p->la.kind == FZ_TOK_NEWLINE || p->la.kind == FZ_TOK_EOF)
            return 0;
    }
    for (;;) {
        fz_token t = fz_lexer_next(&copy);
        if (t.kind == FZ_TOK_LONGARROW || t.kind == FZ_TOK_ASYNCARROW) {
            *at = t;
            return 1;
        }
        if (t.kind == FZ_TOK_NEWLINE || t.kind == FZ_TOK_EOF)
            return 0;
    }
}

static void mermaid_error(parser *p, fz_token at)
{
    error_at(p, "E013", at,
             "this is Mermaid or PlantUML, not FlowZap Code; write lanes "
             "'Lane { # Label', nodes 'n1: rectangle label:\"...\"' and edges "
             "'n1.handle(right) -> n2.handle(left)'",
             "Mermaid or PlantUML syntax %s", tok_desc(p, at));
}

/* Whether comment t may be a lint directive: it opens its line (after
 * blanks, as lint's scan wants) and holds "flowzap:". */
static int has_directive(const char *src, fz_token t)
{
    uint32_t k = t.off;
    while (k > 0 && (src[k - 1] == ' ' || src[k - 1] == '\t' || src[k - 1] == '\r'))
        k--;
    if (k > 0 && src[k - 1] != '\n')
        return 0; /* after a statement */
    const char *s = src + t.off, *e = s + t.len;
    for (const char *z = s; (z = memchr(z, 'z', (size_t)(e - z))); z++)
        if (z - s >= 4 && e - z >= 4 && memcmp(z - 4, "flowzap:", 8) == 0)
            return 1;
    return 0;
}

/* statement := lane | lane_end | node | edge | loop | comment | NEWLINE */
static int parse_statement(parser *p)
{
    fz_token t = p->tok;
    int fresh = p->lane_fresh;
    p->lane_fresh = 0;
    switch (t.kind) {
    case FZ_TOK_COMMENT:
        p->lane_fresh = fresh;
        if (has_directive(p->src, t))
            p->g->directives = 2; /* lint reads the comment lines */
        next(p);
        return 0;
    case FZ_TOK_RBRACE:
        return parse_lane_end(p);
    case FZ_TOK_HASH:
        if (fresh && p->lane != FZ_NONE && !fz_graph_lane(p->g, p->lane)->has_label) {
            /* `Lane {` then `# Label` on the next line: FlowZap's MCP
             * examples write it so. The label counts, with a warning. */
            fz_lane *l = fz_graph_lane(p->g, p->lane);
            fz_span text = hash_text(p, t);
            if (text.len) {
                l->label = text;
                l->has_label = 1;
            }
            report(p, FZ_SEV_WARNING, "W004", t.off, t.len, l->offset,
                   "write it on the lane's first line: Lane { # Label (flowzap fmt moves it)",
                   "lane label on the line after '{'");
            next(p);
            return 0;
        }
        error_at(p, "E012", t,
                 "FlowZap Code comments start with '//'; '#' only gives a lane its label after '{'",
                 "'#' comment on a line of its own");
        return -1;
    case FZ_TOK_FENCE:
        error_at(p, "E014", t, "remove the ``` lines: a .fz file holds FlowZap Code only",
                 "Markdown code fence in FlowZap Code");
        return -1;
    case FZ_TOK_IDENT: {
        char c = raw_after(p);
        if (c == ':')
            return parse_node(p);
        if (c == '.')
            return parse_edge(p);
        fz_token la = peek(p);
        if (la.kind == FZ_TOK_LBRACE)
            return parse_lane(p);
        if (la.kind == FZ_TOK_COLON)
            return parse_node(p);
        if (la.kind == FZ_TOK_DOT)
            return parse_edge(p);
        if (la.kind == FZ_TOK_LBRACKET && tok_is(p, t, "loop"))
            return parse_loop(p);
        if (tok_is(p, t, "loop")) {
            error_at(p, "E022", la, "loops are written loop [condition] n4 n5",
                     "expected '[' after 'loop', found %s", tok_desc(p, la));
            return -1;
        }
        if (la.kind == FZ_TOK_LONGARROW || la.kind == FZ_TOK_ASYNCARROW) {
            mermaid_error(p, la);
            return -1;
        }
        if (la.kind == FZ_TOK_ARROW) {
            char hint[192];
            snprintf(hint, sizeof(hint),
                     "every edge end names a handle: %.*s.handle(right) -> nK.handle(left)",
                     (int)(t.len > 40 ? 40 : t.len), p->src + t.off);
            error_at(p, "E003", t, hint, "edge end '%.*s' without '.handle(dir)'", (int)t.len,
                     p->src + t.off);
            return -1;
        }
        for (size_t i = 0; i < sizeof(mermaid_words) / sizeof(mermaid_words[0]); i++)
            if (tok_is(p, t, mermaid_words[i])) {
                mermaid_error(p, t);
                return -1;
            }
        fz_token arrow;
        if (line_has_mermaid_arrow(p, &arrow)) {
            mermaid_error(p, arrow);
            return -1;
        }
        if (la.kind == FZ_TOK_IDENT && fz_shape_parse(p->src + la.off, la.len) >= 0) {
            char hint[160];
            snprintf(hint, sizeof(hint), "nodes are written %.*s: %.*s label:\"...\"",
                     (int)(t.len > 40 ? 40 : t.len), p->src + t.off, (int)la.len,
                     p->src + la.off);
            report(p, FZ_SEV_ERROR, "E001", t.off + t.len, 1, UINT32_MAX, hint,
                   "expected ':' between node id '%.*s' and shape '%.*s'",
                   (int)(t.len > 40 ? 40 : t.len), p->src + t.off, (int)la.len, p->src + la.off);
            return -1;
        }
        if (la.kind == FZ_TOK_EQUALS) {
            error_at(p, "E020", la, "nodes are written n1: rectangle label:\"...\"",
                     "expected ':' after node id '%.*s', found '='", (int)t.len, p->src + t.off);
            return -1;
        }
        error_at(p, "E001", la,
                 "a line is a lane 'Name { # Label', a node 'n1: shape ...', an edge "
                 "'n1.handle(right) -> n2.handle(left)', a loop or '}'",
                 "expected ':', '.', or '{' after '%.*s', found %s", (int)(t.len > 40 ? 40 : t.len),
                 p->src + t.off, tok_desc(p, la));
        return -1;
    }
    case FZ_TOK_AT: {
        /* @startuml, @enduml: show the whole word. */
        fz_token word = t;
        fz_token la = peek(p);
        if (la.kind == FZ_TOK_IDENT && la.off == t.off + 1)
            word.len = 1 + la.len;
        mermaid_error(p, word);
        return -1;
    }
    default: {
        fz_token arrow;
        if (line_has_mermaid_arrow(p, &arrow)) {
            mermaid_error(p, arrow);
            return -1;
        }
        if (t.kind == FZ_TOK_BADSTRING) {
            unterminated_string(p, t);
            return -1;
        }
        error_at(p, "E001", t,
                 "a line is a lane 'Name { # Label', a node 'n1: shape ...', an edge "
                 "'n1.handle(right) -> n2.handle(left)', a loop or '}'",
                 "expected a lane, node, edge or loop, found %s", tok_desc(p, t));
        return -1;
    }
    }
}

/*==========================================================================
 * Whole file
 *========================================================================*/

/* Checks what needs the whole file: lane prefixes, undefined nodes. */
static void resolve(parser *p)
{
    fz_graph *g = p->g;
    /* Each distinct name once; its slot in unknown then holds the lane. */
    for (uint32_t i = 0; i < p->unknown.len; i++) {
        fz_span *sp = &FZ_VEC_AT(&p->unknown, fz_span, i);
        sp->off = fz_graph_find_lane(g, p->src + sp->off, sp->len);
    }
    for (uint32_t i = 0; i < p->pending.len && !p->rc; i++) {
        const pending_prefix *pp = &FZ_VEC_AT(&p->pending, pending_prefix, i);
        uint32_t lane = FZ_VEC_AT(&p->unknown, fz_span, pp->name).off;
        fz_edge *e = fz_graph_edge(g, pp->edge);
        if (lane != FZ_NONE) {
            if (pp->is_dst)
                e->dst_lane = lane;
            else
                e->src_lane = lane;
            continue;
        }
        char hint[256];
        uint32_t node = pp->is_dst ? e->dst : e->src;
        const fz_node *n = fz_graph_node(g, node);
        if (n->lane != FZ_NONE) {
            const fz_lane *l = fz_graph_lane(g, n->lane);
            snprintf(hint, sizeof(hint), "'%.*s' is in lane '%.*s': write %.*s.%.*s or just %.*s",
                     (int)n->id.len, fz_graph_text(g, n->id), (int)l->id.len,
                     fz_graph_text(g, l->id), (int)l->id.len, fz_graph_text(g, l->id),
                     (int)n->id.len, fz_graph_text(g, n->id), (int)n->id.len,
                     fz_graph_text(g, n->id));
        } else {
            snprintf(hint, sizeof(hint),
                     "a lane prefix names a lane of this file: Lane.nK.handle(dir)");
        }
        report(p, FZ_SEV_ERROR, "E007", pp->lane_off, pp->lane_len, UINT32_MAX, hint,
               "no lane named '%.*s'", (int)pp->lane_len, p->src + pp->lane_off);
    }
    /* Prefix names a lane the node is not in. */
    for (uint32_t i = 0; i < p->prefixed.len && !p->rc && !p->stop; i++) {
        const fz_edge *e = fz_graph_edge(g, FZ_VEC_AT(&p->prefixed, uint32_t, i));
        for (int end = 0; end < 2; end++) {
            uint32_t lane = end ? e->dst_lane : e->src_lane;
            uint32_t node = end ? e->dst : e->src;
            const fz_node *n = fz_graph_node(g, node);
            if (lane == FZ_NONE || n->lane == FZ_NONE || n->lane == lane ||
                !(n->flags & FZ_NODE_DEFINED))
                continue;
            const fz_lane *want = fz_graph_lane(g, lane), *real = fz_graph_lane(g, n->lane);
            char hint[256];
            snprintf(hint, sizeof(hint), "write %.*s.%.*s, or the bare id %.*s", (int)real->id.len,
                     fz_graph_text(g, real->id), (int)n->id.len, fz_graph_text(g, n->id),
                     (int)n->id.len, fz_graph_text(g, n->id));
            uint32_t off = end ? e->dst_offset : e->offset;
            report(p, FZ_SEV_ERROR, "E008", off, n->id.len, n->offset, hint,
                   "node '%.*s' is in lane '%.*s' (line %u), not in lane '%.*s'", (int)n->id.len,
                   fz_graph_text(g, n->id), (int)real->id.len, fz_graph_text(g, real->id),
                   line_of(p, n->offset), (int)want->id.len, fz_graph_text(g, want->id));
        }
    }
    for (uint32_t i = 0; i < g->nodes.len && !p->rc && !p->stop; i++) {
        const fz_node *n = fz_graph_node(g, i);
        if (n->flags & FZ_NODE_DEFINED)
            continue;
        const char *id = fz_graph_text(g, n->id);
        char hint[256];
        if (fz_graph_find_lane(g, id, n->id.len) != FZ_NONE)
            snprintf(hint, sizeof(hint), "'%.*s' is a lane, not a node", (int)n->id.len, id);
        else
            snprintf(hint, sizeof(hint), "define it in a lane: %.*s: rectangle label:\"...\"",
                     (int)(n->id.len > 60 ? 60 : n->id.len), id);
        report(p, FZ_SEV_ERROR, "E005", n->offset, n->id.len, UINT32_MAX, hint,
               "undefined node '%.*s'", (int)n->id.len, id);
    }
}

/* file := { statement } EOF */
/* A mapped text's pages behind the parse leave the process (the page
 * cache keeps them; a later read maps them again): the text then never
 * counts in memory at its full size beside the graph built from it. */
static void drop_behind(parser *p)
{
    const fz_graph *g = p->g;
    uint32_t to = p->tok.off & ~(uint32_t)(4096 - 1);
    if (g->src_mapped && to > p->dropped) {
        fz_fmap_drop(g->src + p->dropped, to - p->dropped);
        p->dropped = to;
    }
    p->drop_at = p->tok.off + DROP_STEP;
}

static void parse_file(parser *p)
{
    next(p);
    while (p->tok.kind != FZ_TOK_EOF && !p->rc && !p->stop) {
        if (p->tok.kind == FZ_TOK_NEWLINE) {
            if (p->tok.off >= p->drop_at)
                drop_behind(p);
            next(p);
            continue;
        }
        if (parse_statement(p) && !at_line_end(p)) {
            /* Skip the rest of the line; a pending lookahead may be its end. */
            if (p->has_la) {
                p->has_la = 0;
                if (p->la.kind == FZ_TOK_NEWLINE || p->la.kind == FZ_TOK_EOF) {
                    p->tok = p->la;
                    continue;
                }
            }
            fz_lexer_skip_line(&p->lx);
            next(p);
        }
    }
    if (p->rc || p->stop)
        return;
    while (p->depth > 0) {
        p->depth--;
        if (p->depth >= MAX_LANE_DEPTH)
            continue;
        const lane_open *o = &p->lanes[p->depth];
        const fz_lane *l = fz_graph_lane(p->g, o->lane);
        report(p, FZ_SEV_ERROR, "E010", p->g->src_len, 0, o->offset,
               "add a line '}' after the lane's last statement",
               "unterminated lane '%.*s': expected '}' (to close '{' at line %u)", (int)l->id.len,
               fz_graph_text(p->g, l->id), line_of(p, o->offset));
    }
    if (p->g->lanes.len == 0 && !p->rc && p->d->errors == 0)
        report(p, FZ_SEV_ERROR, "E025", 0, 0, UINT32_MAX,
               "a workflow has at least one lane: Lane { # Label ... }", "no lanes in the file");
    if (!p->rc)
        resolve(p);
    if (p->warnings_dropped && !p->rc) {
        if (fz_diags_add(p->d, FZ_SEV_NOTE, "W000", p->g->src_len, 0, NULL,
                         "%u more parse warnings not shown", p->warnings_dropped))
            p->rc = FZ_ENOMEM;
    }
}

/* text := UTF-8 lines ending in LF or CR LF. One pass before the tokens
 * (a word test per 8 ASCII bytes): each line holding a byte that is not
 * well-formed UTF-8, or a NUL, gets one E027 at that byte. A file with no
 * LF whose lines end in CR (classic Mac OS) gets one E028 at the first
 * line end; it would read as one long line, so the parse stops (returns
 * 1). A file with an LF is never CR-only: finding its first LF is all the
 * CR test costs. */
static int check_text(parser *p, uint32_t from)
{
    const char *src = p->src;
    uint32_t len = p->g->src_len;
    const char *cr =
        memchr(src + from, '\n', len - from) ? NULL : memchr(src + from, '\r', len - from);
    uint32_t end = len;
    while (end > from && src[end - 1] == '\r')
        end--;
    if (cr && (uint32_t)(cr - src) < end) {
        report(p, FZ_SEV_ERROR, "E028", (uint32_t)(cr - src), 1, UINT32_MAX,
               "convert the line ends to LF, e.g. tr '\\r' '\\n' < old.fz > new.fz",
               "lines end with a lone CR (classic Mac OS line endings); FlowZap Code lines end "
               "with LF or CR LF");
        return 1;
    }
    /* In steps of CHECK_CHUNK that end after an LF (no UTF-8 sequence
     * spans one), so the line map (of a mapped text, which the parse drops
     * behind it) is counted while the step is in cache. */
    fz_linemap *lines = p->g->lines;
    uint32_t off = from;
    while (off < len && !p->stop && !p->rc) {
        uint32_t to = len;
        if (len - off > CHECK_CHUNK) {
            const char *nl = memchr(src + off + CHECK_CHUNK, '\n', len - off - CHECK_CHUNK);
            to = nl ? (uint32_t)(nl - src) + 1 : len;
        }
        if (lines)
            fz_linemap_feed(lines, to);
        uint32_t bad = off + (uint32_t)fz_utf8_check_text(src + off, to - off);
        if (bad >= to) {
            off = to;
            continue;
        }
        if (src[bad] == '\0')
            /* UTF-8, but not text: C strings (a capture handed to a
             * program, a Graphviz label) would end there without a word. */
            report(p, FZ_SEV_ERROR, "E027", bad, 1, UINT32_MAX, "remove the NUL byte",
                   "a NUL byte (0x00) is not text (a .fz file is UTF-8 text)");
        else
            report(p, FZ_SEV_ERROR, "E027", bad, 1, UINT32_MAX,
                   "save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 old.fz > new.fz",
                   "byte 0x%02x is not valid UTF-8 (a .fz file is UTF-8 text)",
                   (unsigned char)src[bad]);
        const char *nl = memchr(src + bad, '\n', len - bad);
        off = nl ? (uint32_t)(nl - src) + 1 : len;
    }
    return 0;
}

/* Key of an unknown lane name: its first use. */
static const char *unknown_key(void *ud, uint32_t value, uint32_t *len)
{
    const parser *p = ud;
    const fz_span *sp = &FZ_VEC_AT(&p->unknown, fz_span, value);
    *len = sp->len;
    return p->src + sp->off;
}

/* Parses the text the graph already owns (g->src). */
static int parse_graph(fz_graph *g, fz_diags *d)
{
    parser p;
    memset(&p, 0, sizeof(p));
    p.g = g;
    p.d = d;
    p.src = g->src;
    p.lane = FZ_NONE;
    /* A node line takes 12 bytes at least and 40 or more in real files: K
     * beyond len/32 takes the map path, so the cache stays under len/4. */
    p.by_num_limit = g->src_len / 32 + 1024;
    fz_vec_init(&p.pending, sizeof(pending_prefix), g->alloc);
    fz_vec_init(&p.unknown, sizeof(fz_span), g->alloc);
    fz_strmap_init(&p.unknown_ids, g->alloc, unknown_key, &p);
    fz_vec_init(&p.prefixed, sizeof(uint32_t), g->alloc);
    fz_lexer_init(&p.lx, g->src, g->src_len);
    p.drop_at = g->src_mapped ? DROP_STEP : UINT32_MAX;
    if (g->src_mapped && !g->lines) {
        /* Counted in check_text's pass, while the text is in cache. */
        fz_linemap *m = fz_malloc(g->alloc, sizeof(*m));
        if (!m || fz_linemap_start(m, g->src, g->src_len, g->alloc)) {
            fz_free(g->alloc, m, sizeof(*m));
            return FZ_ENOMEM;
        }
        g->lines = m;
    }
    g->strings_high = 1; /* until a string with such a byte is read */
    g->directives = 1;   /* until a comment line holds "flowzap:" */
    /* Editors on Windows may start the file with a UTF-8 byte order mark. */
    if (g->src_len >= 3 && memcmp(g->src, "\xef\xbb\xbf", 3) == 0)
        p.lx.pos = 3;
    int stopped = check_text(&p, p.lx.pos);
    if (g->lines)
        fz_linemap_feed(g->lines, g->src_len); /* the rest, when it stopped early */
    if (!stopped)
        parse_file(&p);
    /* A line skipped after an error was not looked at. */
    if (d->errors || p.stop)
        g->directives = 0;
    if (!p.rc)
        p.rc = index_ids(&p);
    fz_free(g->alloc, p.by_num, (size_t)p.by_num_cap * sizeof(uint32_t));
    fz_vec_fini(&p.pending);
    fz_vec_fini(&p.unknown);
    fz_strmap_fini(&p.unknown_ids);
    fz_vec_fini(&p.prefixed);
    if (p.rc)
        return p.rc;
    int rc = fz_graph_finish(g);
    if (rc)
        return rc;
    return d->errors ? FZ_EPARSE : FZ_OK;
}

/* Takes buf (len bytes + NUL, allocated with size cap) into a new graph. */
static int parse_owned(const char *name, char *buf, size_t len, size_t cap, const fz_alloc *alloc,
                       fz_diags *d, fz_graph **out)
{
    fz_graph *g = NULL;
    int rc = fz_graph_new(alloc, &g);
    if (rc) {
        fz_free(alloc, buf, cap);
        return rc;
    }
    rc = fz_graph_set_source(g, name, buf, (uint32_t)len, buf, cap);
    if (rc) {
        fz_free(alloc, buf, cap);
        fz_graph_free(g);
        return rc;
    }
    *out = g;
    return parse_graph(g, d);
}

int fz_parse_mem(const char *name, const char *text, size_t len, const fz_alloc *alloc, fz_diags *d,
                 fz_graph **out)
{
    *out = NULL;
    if (len > MAX_SRC_LEN)
        return FZ_ETOOBIG;
    char *buf = fz_malloc(alloc, len + 1);
    if (!buf)
        return FZ_ENOMEM;
    if (len)
        memcpy(buf, text, len);
    buf[len] = '\0';
    return parse_owned(name, buf, len, len + 1, alloc, d, out);
}

/* Reads all of fd into one buffer: one read() of the stat size for
 * regular files, doubling growth for pipes. */
static int read_all(int fd, const fz_alloc *alloc, char **out, size_t *len, size_t *cap)
{
    struct stat st;
    size_t size = 0, want = 64 * 1024;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > MAX_SRC_LEN)
            return FZ_ETOOBIG;
        want = (size_t)st.st_size + 1;
    }
    char *buf = fz_malloc(alloc, want);
    if (!buf)
        return FZ_ENOMEM;
    for (;;) {
        if (size + 1 >= want) {
            size_t nwant = want * 2;
            if (nwant > (size_t)MAX_SRC_LEN + 1)
                nwant = (size_t)MAX_SRC_LEN + 1;
            if (size + 1 >= nwant) {
                fz_free(alloc, buf, want);
                return FZ_ETOOBIG;
            }
            char *nb = fz_realloc(alloc, buf, want, nwant);
            if (!nb) {
                fz_free(alloc, buf, want);
                return FZ_ENOMEM;
            }
            buf = nb;
            want = nwant;
        }
        ssize_t r = read(fd, buf + size, want - 1 - size);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fz_free(alloc, buf, want);
            return FZ_EIO;
        }
        if (r == 0)
            break;
        size += (size_t)r;
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    *cap = want;
    return FZ_OK;
}

int fz_parse_file(const char *path, const fz_alloc *alloc, fz_diags *d, fz_graph **out)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? FZ_ENOENT : FZ_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            close(fd);
        return FZ_EIO;
    }
    /* Big regular files are mapped, not copied: the page cache serves the
     * text and no anonymous memory is cleared for it (a read() costs about
     * 0.05 s more at 110 MB). The mapping is guarded (core/fmap.h): if the
     * file shrinks while it is read, the missing pages read as zeros
     * instead of raising SIGBUS, and the parse ends in FZ_EIO. A size that
     * is a multiple of the page size leaves no NUL after the text: read
     * those, as any file the guard cannot take. */
    long page = sysconf(_SC_PAGESIZE);
    const void *map = NULL;
    if (!is_stdin && S_ISREG(st.st_mode) && st.st_size >= MAP_MIN && page > 0 &&
        (uint64_t)st.st_size <= MAX_SRC_LEN && st.st_size % page != 0 &&
        fz_fmap_open(fd, (size_t)st.st_size, &map) == FZ_OK) {
        close(fd);
        fz_graph *g = NULL;
        int rc = fz_graph_new(alloc, &g);
        if (!rc)
            rc = fz_graph_set_source_mapped(g, path, map, (uint32_t)st.st_size, (void *)map,
                                            (size_t)st.st_size);
        if (rc) {
            if (g)
                fz_graph_free(g); /* unmapped it when the source was set */
            else
                fz_fmap_close(map, (size_t)st.st_size);
            return rc;
        }
        rc = parse_graph(g, d);
        if (fz_fmap_lost(map)) {
            /* The file shrank under the parser: what it read is not the
             * file. Nothing of it is kept. */
            fz_graph_free(g);
            return FZ_EIO;
        }
        *out = g;
        return rc;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = read_all(fd, alloc, &buf, &len, &cap);
    if (!is_stdin)
        close(fd);
    if (rc)
        return rc;
    return parse_owned(is_stdin ? "<stdin>" : path, buf, len, cap, alloc, d, out);
}
