/* SPDX-License-Identifier: MIT */
/*
 * lint.c - warnings about a parsed workflow (see lint.h, docs/lint.md).
 * Runs inside `check` after a clean parse, on files up to 1M nodes: every
 * rule is one or two linear passes over the flat node/edge arrays, every
 * traversal is a breadth-first walk over an explicit queue (no recursion,
 * so a million-node chain cannot overflow the stack), and scratch memory is
 * a handful of whole-graph arrays allocated once, never per node.
 */
#include "parser/lint.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

#ifndef FZ_STATIC
#ifdef FZ_TESTING
#define FZ_STATIC
#else
#define FZ_STATIC static
#endif
#endif

/* Per-node bits in lint_ctx.flag. */
enum {
    NF_REACH = 1u << 0,   /* reachable from a start node */
    NF_CAN_END = 1u << 1, /* some end node is reachable from it */
    NF_SUCCESS = 1u << 2, /* on a success path */
    NF_FAILURE = 1u << 3, /* on a failure path */
    NF_IN_LOOP = 1u << 4, /* listed in some loop fragment */
    NF_COVER = 1u << 5,   /* already accounted for by a reported warning */
    NF_START = 1u << 6,   /* a start node */
    NF_MARK = 1u << 7,    /* short-lived mark, cleared by its user */
};

/* Per-edge classes in lint_ctx.ecls. */
enum {
    EC_WORD = 0x3,       /* fz_word_class of the label */
    EC_FAILURE = 1u << 2, /* starts a failure path (no- or error-word) */
    EC_SUCCESS = 1u << 3, /* starts a success path */
};

typedef struct lint_ctx {
    const fz_graph *g;
    fz_diags *d;
    const fz_alloc *alloc;
    uint32_t n, m;
    const fz_node *nodes;
    const fz_edge *edges;
    uint8_t *flag;     /* n */
    uint8_t *ecls;     /* m */
    uint32_t *queue;   /* n: BFS queue, reused by every walk */
    uint32_t *aux;     /* n: failure origin edge, then union-find parent */
    uint32_t *end_of;  /* n: an end node reachable from each node */
    uint32_t *loop_index; /* n + 1 (only with loops): CSR node -> loops */
    uint32_t *loop_list;
    uint32_t loop_total;
} lint_ctx;

/*==========================================================================
 * Helpers
 *========================================================================*/

static const char *ntext(const lint_ctx *c, uint32_t node, int *len)
{
    const fz_node *nd = &c->nodes[node];
    *len = (int)nd->id.len;
    return fz_graph_text(c->g, nd->id);
}

#define NODE_ID(c, i) (int)(c)->nodes[(i)].id.len, fz_graph_text((c)->g, (c)->nodes[(i)].id)
#define NODE_LABEL(c, i)                                                                       \
    (int)(c)->nodes[(i)].label.len, fz_graph_text((c)->g, (c)->nodes[(i)].label)
#define LANE_ID(c, l)                                                                          \
    (int)fz_graph_lane((c)->g, (l))->id.len, fz_graph_text((c)->g, fz_graph_lane((c)->g, (l))->id)

/* Bytes from offset to the end of its line, without trailing blanks/CR:
 * the caret span of a whole statement. */
static uint32_t line_span(const fz_graph *g, uint32_t offset)
{
    if (offset >= g->src_len)
        return 1;
    uint32_t e = offset;
    while (e < g->src_len && g->src[e] != '\n')
        e++;
    while (e > offset && (g->src[e - 1] == '\r' || g->src[e - 1] == ' ' || g->src[e - 1] == '\t'))
        e--;
    return e > offset ? e - offset : 1;
}

static int warn(lint_ctx *c, const char *code, uint32_t offset, uint32_t len, const char *hint,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int warn(lint_ctx *c, const char *code, uint32_t offset, uint32_t len, const char *hint,
                const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return fz_diags_add(c->d, FZ_SEV_WARNING, code, offset, len, hint, "%s", buf);
}

static const char *const yes_words[] = {"yes",     "true",       "ok",      "pass",
                                        "passed",  "success",    "successful", "healthy",
                                        "valid",   "approved",   "accept",  "accepted", NULL};
static const char *const no_words[] = {"no",       "false",    "fail",    "failed",  "failure",
                                       "unhealthy", "invalid", "rejected", "reject", "deny",
                                       "denied",   "decline",  "declined", "retry",  NULL};
static const char *const error_words[] = {"error",     "errors", "timeout", "exception",
                                          "catch",     "crash",  "crashed", NULL};

static bool is_alnum(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool word_in(const char *w, size_t len, const char *const *list)
{
    for (; *list; list++) {
        const char *x = *list;
        if (strlen(x) != len)
            continue;
        size_t i = 0;
        while (i < len && (char)(w[i] | 0x20) == x[i])
            i++;
        if (i == len)
            return true;
    }
    return false;
}

fz_word_class fz_lint_word_class(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && !is_alnum((unsigned char)s[i]))
        i++;
    size_t j = i;
    while (j < len && is_alnum((unsigned char)s[j]))
        j++;
    if (j == i || j - i > 12)
        return FZ_WORD_NONE;
    if (word_in(s + i, j - i, yes_words))
        return FZ_WORD_YES;
    if (word_in(s + i, j - i, no_words))
        return FZ_WORD_NO;
    if (word_in(s + i, j - i, error_words))
        return FZ_WORD_ERROR;
    return FZ_WORD_NONE;
}

static uint32_t in_degree(const fz_graph *g, uint32_t u)
{
    return g->in_index[u + 1] - g->in_index[u];
}

static uint32_t out_degree(const fz_graph *g, uint32_t u)
{
    return g->out_index[u + 1] - g->out_index[u];
}

uint32_t fz_lint_starts(const fz_graph *g, uint32_t *out, uint32_t cap)
{
    uint32_t n = fz_graph_node_count(g), count = 0;
    for (int pass = 0; pass < 2 && count == 0; pass++)
        for (uint32_t u = 0; u < n; u++)
            if (in_degree(g, u) == 0 &&
                (pass == 1 || fz_graph_node(g, u)->shape == FZ_SHAPE_CIRCLE)) {
                if (count < cap)
                    out[count] = u;
                count++;
            }
    if (count == 0 && n > 0) {
        uint32_t best = FZ_NONE;
        for (uint32_t u = 0; u < n; u++) {
            const fz_node *nd = fz_graph_node(g, u);
            if ((nd->flags & FZ_NODE_DEFINED) &&
                (best == FZ_NONE || nd->offset < fz_graph_node(g, best)->offset))
                best = u;
        }
        if (best == FZ_NONE)
            best = 0;
        if (cap > 0)
            out[0] = best;
        count = 1;
    }
    return count;
}

/* Loops that list node u: loop_list[loop_index[u] .. loop_index[u+1]). */
static int build_loop_csr(lint_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t loops = fz_graph_loop_count(g);
    c->loop_total = g->loop_nodes.len;
    if (loops == 0)
        return FZ_OK;
    c->loop_index = fz_calloc(c->alloc, (size_t)c->n + 1, sizeof(uint32_t));
    c->loop_list = fz_malloc(c->alloc, (size_t)(c->loop_total ? c->loop_total : 1) *
                                           sizeof(uint32_t));
    if (!c->loop_index || !c->loop_list)
        return FZ_ENOMEM;
    for (uint32_t li = 0; li < loops; li++) {
        const fz_loop *lp = fz_graph_loop(g, li);
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            if (u < c->n) {
                c->loop_index[u + 1]++;
                c->flag[u] |= NF_IN_LOOP;
            }
        }
    }
    for (uint32_t u = 0; u < c->n; u++)
        c->loop_index[u + 1] += c->loop_index[u];
    /* Fill with a moving cursor per node (aux is free at this point). */
    for (uint32_t u = 0; u < c->n; u++)
        c->aux[u] = c->loop_index[u];
    for (uint32_t li = 0; li < loops; li++) {
        const fz_loop *lp = fz_graph_loop(g, li);
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            if (u < c->n)
                c->loop_list[c->aux[u]++] = li;
        }
    }
    return FZ_OK;
}

static uint32_t loop_first(const lint_ctx *c, uint32_t li)
{
    const fz_loop *lp = fz_graph_loop(c->g, li);
    return lp->node_count ? fz_graph_loop_node(c->g, lp, 0) : FZ_NONE;
}

/*==========================================================================
 * FlowZap style rules (W1xx)
 *========================================================================*/

/* W101: ids n1..nN without gaps. One warning per file at most for gaps
 * (a renumbering fixes them all), one per malformed id. O(n) with a bitmap. */
static int rule_id_sequence(lint_ctx *c)
{
    uint32_t n = c->n;
    uint8_t *seen = fz_calloc(c->alloc, (size_t)n / 8 + 1, 1);
    if (!seen)
        return FZ_ENOMEM;
    int rc = FZ_OK;
    uint32_t first_out = FZ_NONE;
    for (uint32_t u = 0; u < n && rc == FZ_OK; u++) {
        int len;
        const char *id = ntext(c, u, &len);
        uint64_t num = 0;
        bool ok = len >= 2 && id[0] == 'n' && id[1] >= '1' && id[1] <= '9' && len <= 11;
        for (int i = 1; ok && i < len; i++) {
            if (id[i] < '0' || id[i] > '9')
                ok = false;
            else
                num = num * 10 + (uint64_t)(id[i] - '0');
        }
        if (!ok) {
            rc = warn(c, "W101", c->nodes[u].offset, (uint32_t)len,
                      "FlowZap numbers nodes n1, n2, n3, ... across the whole file",
                      "node id '%.*s' is not of the form n1, n2, n3, ...", len, id);
            continue;
        }
        if (num > n) {
            if (first_out == FZ_NONE || c->nodes[u].offset < c->nodes[first_out].offset)
                first_out = u;
            continue;
        }
        seen[num / 8] |= (uint8_t)(1u << (num % 8));
    }
    if (rc == FZ_OK && first_out != FZ_NONE) {
        char missing[96] = "";
        size_t used = 0;
        uint32_t shown = 0, total = 0;
        for (uint32_t k = 1; k <= n; k++) {
            if (seen[k / 8] & (1u << (k % 8)))
                continue;
            total++;
            if (shown < 4) {
                int w = snprintf(missing + used, sizeof(missing) - used, "%sn%u",
                                 shown ? ", " : "", k);
                if (w > 0 && (size_t)w < sizeof(missing) - used)
                    used += (size_t)w;
                shown++;
            }
        }
        rc = warn(c, "W101", c->nodes[first_out].offset, c->nodes[first_out].id.len,
                  "renumber the nodes n1..nN in order; `flowzap fmt` keeps ids as written",
                  "node ids leave gaps: %u node%s, but %s %s missing%s (first id past n%u: '%.*s')",
                  n, n == 1 ? "" : "s", missing, total == 1 ? "is" : "are",
                  total > shown ? ", ..." : "", n, NODE_ID(c, first_out));
    }
    fz_free(c->alloc, seen, (size_t)n / 8 + 1);
    return rc;
}

/* W102: a node in no edge (a loop listing counts as a connection: W208
 * judges loops). */
static int rule_isolated(lint_ctx *c)
{
    for (uint32_t u = 0; u < c->n; u++) {
        if (in_degree(c->g, u) || out_degree(c->g, u) || (c->flag[u] & NF_IN_LOOP))
            continue;
        if (c->n == 1)
            continue; /* a one-node file is a diagram of one thing */
        int rc = warn(c, "W102", c->nodes[u].offset, c->nodes[u].id.len,
                      "connect it with an edge, or delete it",
                      "node %.*s \"%.*s\" is in no edge", NODE_ID(c, u), NODE_LABEL(c, u));
        if (rc)
            return rc;
    }
    return FZ_OK;
}

/* W103 and W104: where edges and loops are written. */
static int rule_placement(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        const fz_edge *e = &c->edges[i];
        uint32_t sl = c->nodes[e->src].lane, dl = c->nodes[e->dst].lane;
        bool outside = e->lane != sl;
        if (outside) {
            if (e->lane == FZ_NONE)
                rc = warn(c, "W104", e->offset, line_span(g, e->offset),
                          "FlowZap's guide writes each edge inside the lane of its source node",
                          "edge from %.*s is written at top level, outside lane %.*s of its "
                          "source",
                          NODE_ID(c, e->src), LANE_ID(c, sl));
            else
                rc = warn(c, "W104", e->offset, line_span(g, e->offset),
                          "FlowZap's guide writes each edge inside the lane of its source node",
                          "edge from %.*s is written in lane %.*s, not in lane %.*s of its "
                          "source",
                          NODE_ID(c, e->src), LANE_ID(c, e->lane), LANE_ID(c, sl));
        }
        /* A bare source is another lane's only when the edge is outside its
         * source's lane, which W104 reports; moving the edge fixes both. */
        if (rc == FZ_OK && e->lane != FZ_NONE && !(e->flags & FZ_EDGE_DST_PREFIX) &&
            dl != e->lane)
            rc = warn(c, "W103", e->dst_offset, c->nodes[e->dst].id.len, NULL,
                      "bare id %.*s names a node of lane %.*s from inside lane %.*s; write "
                      "%.*s.%.*s",
                      NODE_ID(c, e->dst), LANE_ID(c, dl), LANE_ID(c, e->lane), LANE_ID(c, dl),
                      NODE_ID(c, e->dst));
    }
    for (uint32_t li = 0; li < fz_graph_loop_count(g) && rc == FZ_OK; li++) {
        const fz_loop *lp = fz_graph_loop(g, li);
        bool holds = false;
        for (uint32_t k = 0; k < lp->node_count && !holds; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            holds = u < c->n && lp->lane != FZ_NONE && c->nodes[u].lane == lp->lane;
        }
        if (holds || lp->node_count == 0)
            continue;
        uint32_t first = fz_graph_loop_node(g, lp, 0);
        if (lp->lane == FZ_NONE)
            rc = warn(c, "W104", lp->offset, line_span(g, lp->offset),
                      "write the loop inside the lane of one of its nodes",
                      "loop is written at top level, outside every lane of its nodes "
                      "(first node %.*s is in lane %.*s)",
                      NODE_ID(c, first), LANE_ID(c, c->nodes[first].lane));
        else
            rc = warn(c, "W104", lp->offset, line_span(g, lp->offset),
                      "write the loop inside the lane of one of its nodes",
                      "loop is written in lane %.*s, which holds none of its nodes "
                      "(first node %.*s is in lane %.*s)",
                      LANE_ID(c, lp->lane), NODE_ID(c, first), LANE_ID(c, c->nodes[first].lane));
    }
    return rc;
}

static bool key_is(const fz_graph *g, fz_span k, const char *s)
{
    size_t len = strlen(s);
    return k.len == len && memcmp(fz_graph_text(g, k), s, len) == 0;
}

/* W105: attribute keys. */
static int rule_attr_keys(lint_ctx *c)
{
    const fz_graph *g = c->g;
    for (uint32_t u = 0; u < c->n; u++) {
        const fz_node *nd = &c->nodes[u];
        for (uint32_t k = 0; k < nd->attr_count; k++) {
            const fz_attr *a = fz_graph_attr(g, nd->attr_first + k);
            if (key_is(g, a->key, "label") || key_is(g, a->key, "owner") ||
                key_is(g, a->key, "description") || key_is(g, a->key, "system"))
                continue;
            int rc = warn(c, "W105", a->offset, a->key.len,
                          "FlowZap knows label, owner, description and system; other keys are "
                          "dropped by its editor",
                          "unknown attribute '%.*s' on node %.*s", (int)a->key.len,
                          fz_graph_text(g, a->key), NODE_ID(c, u));
            if (rc)
                return rc;
        }
    }
    return FZ_OK;
}

/* Decodes one UTF-8 sequence at s[i]; returns its length (1 for bad bytes). */
static uint32_t utf8_next(const unsigned char *s, uint32_t len, uint32_t i, uint32_t *cp)
{
    unsigned char b = s[i];
    uint32_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (need == 1 || i + need > len) {
        *cp = b;
        return 1;
    }
    uint32_t v = b & (need == 4 ? 0x07 : need == 3 ? 0x0F : 0x1F);
    for (uint32_t k = 1; k < need; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *cp = b;
            return 1;
        }
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    *cp = v;
    return need;
}

/* Emoji as Unicode presents them by default (Emoji_Presentation): the
 * pictograph planes, the few symbols of U+2190..2BFF that default to emoji
 * presentation, and the emoji variation selector U+FE0F that turns any
 * symbol into one. Text symbols such as arrows (U+2192) and check marks
 * (U+2713) stay allowed. */
FZ_STATIC bool fz__lint_is_emoji(uint32_t cp);
FZ_STATIC bool fz__lint_is_emoji(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x231A, 0x231B}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0}, {0x23F3, 0x23F3},
        {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
        {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE},
        {0x26C4, 0x26C5}, {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA},
        {0x26F2, 0x26F3}, {0x26F5, 0x26F5}, {0x26FA, 0x26FA}, {0x26FD, 0x26FD},
        {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C},
        {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
        {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50},
        {0x2B55, 0x2B55}, {0xFE0F, 0xFE0F}, {0x1F000, 0x1FAFF},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    return false;
}

/* Finds the first emoji in a span; returns its offset in the text or -1. */
static int64_t find_emoji(const fz_graph *g, fz_span s, uint32_t *elen)
{
    const unsigned char *t = (const unsigned char *)fz_graph_text(g, s);
    for (uint32_t i = 0; i < s.len;) {
        if (t[i] < 0xE2) {
            i++;
            continue;
        }
        uint32_t cp;
        uint32_t k = utf8_next(t, s.len, i, &cp);
        if (fz__lint_is_emoji(cp)) {
            *elen = k;
            return i;
        }
        i += k;
    }
    return -1;
}

static int emoji_warn(lint_ctx *c, fz_span s, uint32_t fallback, const char *what, int wl,
                      const char *wt)
{
    uint32_t elen = 0;
    int64_t at = find_emoji(c->g, s, &elen);
    if (at < 0)
        return FZ_OK;
    uint32_t off = (s.off & FZ_SPAN_POOL) ? fallback : s.off + (uint32_t)at;
    return warn(c, "W106", off, (s.off & FZ_SPAN_POOL) ? 1 : elen,
                "FlowZap's guide asks for plain-text labels; emoji render inconsistently",
                "emoji in the label of %s %.*s", what, wl, wt);
}

/* W106: emoji in node label attributes, edge labels and lane labels. */
static int rule_emoji(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t l = 0; l < fz_graph_lane_count(g) && rc == FZ_OK; l++) {
        const fz_lane *ln = fz_graph_lane(g, l);
        if (ln->has_label)
            rc = emoji_warn(c, ln->label, ln->offset, "lane", LANE_ID(c, l));
    }
    for (uint32_t u = 0; u < c->n && rc == FZ_OK; u++) {
        const fz_node *nd = &c->nodes[u];
        for (uint32_t k = 0; k < nd->attr_count && rc == FZ_OK; k++) {
            const fz_attr *a = fz_graph_attr(g, nd->attr_first + k);
            if (key_is(g, a->key, "label"))
                rc = emoji_warn(c, a->value, a->offset, "node", NODE_ID(c, u));
        }
    }
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        const fz_edge *e = &c->edges[i];
        if (e->label.len) {
            int len;
            const char *id = ntext(c, e->src, &len);
            rc = emoji_warn(c, e->label, e->offset, "the edge from", len, id);
        }
    }
    return rc;
}

/* Lanes are < 2^31, so bit 63 of a pair key is free as a mark. */
#define PAIR_REPORTED (1ull << 63)

/* The slot holding key, or the empty slot where it would go. */
static uint32_t pair_slot(const uint64_t *set, uint32_t cap, uint64_t key)
{
    uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
    while (set[h] && (set[h] & ~PAIR_REPORTED) != key)
        h = (h + 1) & (cap - 1);
    return h;
}

/* W107: a lane pair (A, B) with edges A -> B and none B -> A. One warning
 * per pair, at its first edge. Pairs go into an open-addressing set sized
 * for the cross-lane edges: O(edges). */
static int rule_request_response(lint_ctx *c)
{
    uint32_t cross = 0;
    for (uint32_t i = 0; i < c->m; i++)
        if (c->nodes[c->edges[i].src].lane != c->nodes[c->edges[i].dst].lane)
            cross++;
    if (cross == 0)
        return FZ_OK;
    uint32_t cap = 16;
    while (cap < cross * 2)
        cap <<= 1;
    uint64_t *set = fz_calloc(c->alloc, cap, sizeof(uint64_t));
    if (!set)
        return FZ_ENOMEM;
    /* Slot: ((a + 1) << 32 | (b + 1)); lanes are < 2^32 - 1. */
    for (uint32_t i = 0; i < c->m; i++) {
        uint32_t a = c->nodes[c->edges[i].src].lane, b = c->nodes[c->edges[i].dst].lane;
        if (a == b)
            continue;
        uint64_t key = ((uint64_t)(a + 1) << 32) | (uint64_t)(b + 1);
        set[pair_slot(set, cap, key)] = key;
    }
    int rc = FZ_OK;
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        uint32_t a = c->nodes[c->edges[i].src].lane, b = c->nodes[c->edges[i].dst].lane;
        if (a == b)
            continue;
        uint64_t key = ((uint64_t)(a + 1) << 32) | (uint64_t)(b + 1);
        uint64_t rev = ((uint64_t)(b + 1) << 32) | (uint64_t)(a + 1);
        uint32_t h = pair_slot(set, cap, rev);
        if (set[h])
            continue;
        /* Report the pair once: mark its own slot so later edges skip. */
        uint32_t hk = pair_slot(set, cap, key);
        if (set[hk] & PAIR_REPORTED)
            continue;
        set[hk] |= PAIR_REPORTED;
        const fz_edge *e = &c->edges[i];
        rc = warn(c, "W107", e->offset, line_span(c->g, e->offset),
                  "FlowZap's sequence view pairs each request with a response: add an edge "
                  "back, or ignore this for a one-way hand-off",
                  "request from lane %.*s to lane %.*s (%.*s -> %.*s) has no edge coming back "
                  "from %.*s to %.*s",
                  LANE_ID(c, a), LANE_ID(c, b), NODE_ID(c, e->src), NODE_ID(c, e->dst),
                  LANE_ID(c, b), LANE_ID(c, a));
    }
    fz_free(c->alloc, set, (size_t)cap * sizeof(uint64_t));
    return rc;
}

/*==========================================================================
 * Program rules (W2xx)
 *========================================================================*/

/* Forward walk from the nodes already in queue[0..tail), marking bit; also
 * follows loop fragments (a node in a loop may send its token back to the
 * loop's first node). Only nodes without `stop` bits are entered. Returns
 * the queue tail. */
static uint32_t walk_forward(lint_ctx *c, uint32_t head, uint32_t tail, uint8_t bit, uint8_t stop)
{
    const fz_graph *g = c->g;
    while (head < tail) {
        uint32_t u = c->queue[head++];
        uint32_t cnt;
        const uint32_t *out = fz_graph_out(g, u, &cnt);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t v = c->edges[out[k]].dst;
            if (!(c->flag[v] & (bit | stop))) {
                c->flag[v] |= bit;
                c->queue[tail++] = v;
            }
        }
        if (c->loop_index && (c->flag[u] & NF_IN_LOOP))
            for (uint32_t k = c->loop_index[u]; k < c->loop_index[u + 1]; k++) {
                uint32_t v = loop_first(c, c->loop_list[k]);
                if (v != FZ_NONE && !(c->flag[v] & (bit | stop))) {
                    c->flag[v] |= bit;
                    c->queue[tail++] = v;
                }
            }
    }
    return tail;
}

/* W201, W202: start nodes and reachability. */
static int rule_reach(lint_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t tail = 0;
    uint32_t starts = fz_lint_starts(g, c->queue, c->n);
    for (uint32_t k = 0; k < starts && k < c->n; k++) {
        c->flag[c->queue[k]] |= NF_REACH | NF_START;
        tail++;
    }
    int rc = FZ_OK;
    if (starts == 1 && c->n > 0 && in_degree(g, c->queue[0]) > 0) {
        uint32_t s = c->queue[0];
        rc = warn(c, "W201", c->nodes[s].offset, c->nodes[s].id.len,
                  "add a circle with no incoming edge (label:\"Start\") and an edge from it, "
                  "or pass --start to run/sim",
                  "every node has an incoming edge, so no node is a start; runs begin at the "
                  "first declared node, %.*s \"%.*s\"",
                  NODE_ID(c, s), NODE_LABEL(c, s));
        if (rc)
            return rc;
    }
    walk_forward(c, 0, tail, NF_REACH, 0);

    /* Report each unreachable region once: first at its entries (nodes with
     * no incoming edge), then at the first node of any cycle left over.
     * Nodes in no edge and no loop already got W102. */
    for (int pass = 0; pass < 2 && rc == FZ_OK; pass++) {
        for (uint32_t u = 0; u < c->n && rc == FZ_OK; u++) {
            uint8_t f = c->flag[u];
            if (f & (NF_REACH | NF_COVER))
                continue;
            if (!in_degree(g, u) && !out_degree(g, u) && !(f & NF_IN_LOOP))
                continue;
            if (pass == 0 && in_degree(g, u) > 0)
                continue;
            c->flag[u] |= NF_COVER;
            c->queue[0] = u;
            uint32_t t = walk_forward(c, 0, 1, NF_COVER, NF_REACH);
            if (t > 1)
                rc = warn(c, "W202", c->nodes[u].offset, c->nodes[u].id.len,
                          "connect it from the flow (an edge from a reachable node), or delete "
                          "it",
                          "node %.*s \"%.*s\" cannot be reached from any start node (nor can "
                          "%u node%s after it)",
                          NODE_ID(c, u), NODE_LABEL(c, u), t - 1, t - 1 == 1 ? "" : "s");
            else
                rc = warn(c, "W202", c->nodes[u].offset, c->nodes[u].id.len,
                          "connect it from the flow (an edge from a reachable node), or delete "
                          "it",
                          "node %.*s \"%.*s\" cannot be reached from any start node",
                          NODE_ID(c, u), NODE_LABEL(c, u));
        }
    }
    for (uint32_t u = 0; u < c->n; u++)
        c->flag[u] &= (uint8_t)~NF_COVER;
    return rc;
}

/* Reverse walk from every end node (no outgoing edge): NF_CAN_END, and
 * end_of[u] = an end reachable from u. A loop's first node that can end
 * lets every node of the loop end too (the loop may send them back). */
static void walk_to_ends(lint_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t head = 0, tail = 0;
    for (uint32_t u = 0; u < c->n; u++) {
        c->end_of[u] = FZ_NONE;
        if (out_degree(g, u) == 0) {
            c->flag[u] |= NF_CAN_END;
            c->end_of[u] = u;
            c->queue[tail++] = u;
        }
    }
    while (head < tail) {
        uint32_t v = c->queue[head++];
        uint32_t cnt;
        const uint32_t *in = fz_graph_in(g, v, &cnt);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t u = c->edges[in[k]].src;
            if (!(c->flag[u] & NF_CAN_END)) {
                c->flag[u] |= NF_CAN_END;
                c->end_of[u] = c->end_of[v];
                c->queue[tail++] = u;
            }
        }
        if (c->loop_index && (c->flag[v] & NF_IN_LOOP))
            for (uint32_t k = c->loop_index[v]; k < c->loop_index[v + 1]; k++) {
                uint32_t li = c->loop_list[k];
                if (loop_first(c, li) != v)
                    continue;
                const fz_loop *lp = fz_graph_loop(g, li);
                for (uint32_t j = 0; j < lp->node_count; j++) {
                    uint32_t u = fz_graph_loop_node(g, lp, j);
                    if (u < c->n && !(c->flag[u] & NF_CAN_END)) {
                        c->flag[u] |= NF_CAN_END;
                        c->end_of[u] = c->end_of[v];
                        c->queue[tail++] = u;
                    }
                }
            }
    }
}

/* W203: reachable nodes from which no end can be reached. Reported at the
 * entries of each trapped region (a start, or a node with an edge from a
 * node that can still end), with the region's size. */
static int rule_traps(lint_ctx *c)
{
    const fz_graph *g = c->g;
    bool any_end = false;
    for (uint32_t u = 0; u < c->n && !any_end; u++)
        any_end = out_degree(g, u) == 0;
    int rc = FZ_OK;
    for (uint32_t u = 0; u < c->n && rc == FZ_OK; u++) {
        uint8_t f = c->flag[u];
        if (!(f & NF_REACH) || (f & (NF_CAN_END | NF_COVER)))
            continue;
        bool entry = (f & NF_START) != 0;
        uint32_t cnt;
        const uint32_t *in = fz_graph_in(g, u, &cnt);
        uint32_t from = FZ_NONE;
        for (uint32_t k = 0; k < cnt && !entry; k++) {
            uint32_t p = c->edges[in[k]].src;
            if ((c->flag[p] & NF_CAN_END) && (c->flag[p] & NF_REACH)) {
                entry = true;
                from = p;
            }
        }
        if (!entry)
            continue;
        c->flag[u] |= NF_COVER;
        c->queue[0] = u;
        uint32_t t = walk_forward(c, 0, 1, NF_COVER, NF_CAN_END);
        if (!any_end)
            rc = warn(c, "W203", c->nodes[u].offset, c->nodes[u].id.len,
                      "give the workflow an end: a node with no outgoing edge (a circle "
                      "label:\"End\")",
                      "no end can be reached from %.*s \"%.*s\": every node has an outgoing "
                      "edge, so a run only stops at the step limit (%u node%s caught)",
                      NODE_ID(c, u), NODE_LABEL(c, u), t, t == 1 ? "" : "s");
        else if (from != FZ_NONE)
            rc = warn(c, "W203", c->nodes[u].offset, c->nodes[u].id.len,
                      "give the cycle a way out: an edge to a node that reaches an end, or a "
                      "decision branch that leaves it",
                      "node %.*s \"%.*s\" is a trap: no end can be reached from it, every path "
                      "cycles (%u node%s caught; entered from %.*s)",
                      NODE_ID(c, u), NODE_LABEL(c, u), t, t == 1 ? "" : "s",
                      NODE_ID(c, from));
        else
            rc = warn(c, "W203", c->nodes[u].offset, c->nodes[u].id.len,
                      "give the cycle a way out: an edge to a node that reaches an end, or a "
                      "decision branch that leaves it",
                      "start node %.*s \"%.*s\" is a trap: no end can be reached from it, "
                      "every path cycles (%u node%s caught)",
                      NODE_ID(c, u), NODE_LABEL(c, u), t, t == 1 ? "" : "s");
    }
    for (uint32_t u = 0; u < c->n; u++)
        c->flag[u] &= (uint8_t)~NF_COVER;
    return rc;
}

static fz_span trimmed(const fz_graph *g, fz_span s, const char **text)
{
    const char *t = fz_graph_text(g, s);
    uint32_t a = 0, b = s.len;
    while (a < b && (t[a] == ' ' || t[a] == '\t'))
        a++;
    while (b > a && (t[b - 1] == ' ' || t[b - 1] == '\t'))
        b--;
    *text = t + a;
    fz_span r = {0, b - a};
    return r;
}

static bool same_label(const fz_graph *g, fz_span x, fz_span y)
{
    const char *a, *b;
    fz_span tx = trimmed(g, x, &a), ty = trimmed(g, y, &b);
    if (tx.len != ty.len)
        return false;
    for (uint32_t i = 0; i < tx.len; i++) {
        unsigned char p = (unsigned char)a[i], q = (unsigned char)b[i];
        if (p >= 'A' && p <= 'Z')
            p |= 0x20;
        if (q >= 'A' && q <= 'Z')
            q |= 0x20;
        if (p != q)
            return false;
    }
    return true;
}

/* W204, W205, W206: the branches of each decision. Duplicate labels are
 * found pairwise among the labelled branches (decisions have a handful;
 * past 64 branches only the first 64 are compared, which bounds the cost
 * at O(64 * edges)). */
static int rule_decisions(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t u = 0; u < c->n && rc == FZ_OK; u++) {
        if (c->nodes[u].shape != FZ_SHAPE_DIAMOND)
            continue;
        uint32_t cnt;
        const uint32_t *out = fz_graph_out(g, u, &cnt);
        if (cnt < 2) {
            rc = warn(c, "W204", c->nodes[u].offset, c->nodes[u].id.len,
                      "a decision needs two or more outgoing edges, one per answer (e.g. "
                      "[label=\"Yes\"] and [label=\"No\"]); use a rectangle for a plain step",
                      "decision %.*s \"%.*s\" has %u outgoing edge%s", NODE_ID(c, u),
                      NODE_LABEL(c, u), cnt, cnt == 1 ? "" : "s");
            continue;
        }
        uint32_t unlabelled = 0, first_unl = FZ_NONE;
        for (uint32_t k = 0; k < cnt && rc == FZ_OK; k++) {
            const fz_edge *e = &c->edges[out[k]];
            if (e->label.len)
                continue;
            if (++unlabelled == 1) {
                first_unl = out[k];
                continue;
            }
            rc = warn(c, "W205", e->offset, line_span(g, e->offset),
                      "label every branch with the answer it stands for; keep at most one "
                      "unlabelled branch as the default",
                      "decision %.*s \"%.*s\" has more than one unlabelled branch (this one and "
                      "the edge to %.*s): which is the default is ambiguous",
                      NODE_ID(c, u), NODE_LABEL(c, u), NODE_ID(c, c->edges[first_unl].dst));
        }
        uint32_t lim = cnt < 64 ? cnt : 64;
        for (uint32_t k = 1; k < lim && rc == FZ_OK; k++) {
            const fz_edge *e = &c->edges[out[k]];
            if (!e->label.len)
                continue;
            for (uint32_t j = 0; j < k; j++) {
                const fz_edge *f = &c->edges[out[j]];
                if (!f->label.len || !same_label(g, e->label, f->label))
                    continue;
                rc = warn(c, "W206", e->offset, line_span(g, e->offset),
                          "give each branch a distinct label: an answer takes every branch with "
                          "its label, so both run",
                          "decision %.*s \"%.*s\" has two branches labelled \"%.*s\" (to %.*s "
                          "and to %.*s)",
                          NODE_ID(c, u), NODE_LABEL(c, u), (int)e->label.len,
                          fz_graph_text(g, e->label), NODE_ID(c, f->dst), NODE_ID(c, e->dst));
                break;
            }
        }
    }
    return rc;
}

/* W207: a failure path that merges into a success path.
 * Failure edges carry a no- or error-word label. Success edges carry a
 * yes-word label, or leave a node that has a failure edge without being one
 * (the other branches of that decision or action). The success region is
 * what success edges reach without crossing a failure edge; the failure
 * region is what failure edges reach without crossing a success edge. An
 * edge of the failure walk from a failure-only node into the success region
 * (or a failure edge straight into it) is where the paths merge: from there
 * a failed run ends like a successful one. Two walks: O(nodes + edges). */
static int rule_failure_merge(lint_ctx *c)
{
    const fz_graph *g = c->g;
    bool any_fail = false;
    for (uint32_t i = 0; i < c->m; i++) {
        const fz_edge *e = &c->edges[i];
        uint8_t w = e->label.len ? (uint8_t)fz_lint_word_class(fz_graph_text(g, e->label),
                                                               e->label.len)
                                 : 0;
        c->ecls[i] = w;
        if (w == FZ_WORD_NO || w == FZ_WORD_ERROR) {
            c->ecls[i] |= EC_FAILURE;
            any_fail = true;
        } else if (w == FZ_WORD_YES) {
            c->ecls[i] |= EC_SUCCESS;
        }
    }
    if (!any_fail)
        return FZ_OK;
    for (uint32_t u = 0; u < c->n; u++) {
        uint32_t cnt;
        const uint32_t *out = fz_graph_out(g, u, &cnt);
        bool has_fail = false;
        for (uint32_t k = 0; k < cnt && !has_fail; k++)
            has_fail = (c->ecls[out[k]] & EC_FAILURE) != 0;
        if (has_fail)
            for (uint32_t k = 0; k < cnt; k++)
                if (!(c->ecls[out[k]] & EC_FAILURE))
                    c->ecls[out[k]] |= EC_SUCCESS;
    }

    /* Success region. */
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < c->m; i++) {
        uint32_t v = c->edges[i].dst;
        if ((c->ecls[i] & EC_SUCCESS) && !(c->flag[v] & NF_SUCCESS)) {
            c->flag[v] |= NF_SUCCESS;
            c->queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = c->queue[head++];
        uint32_t cnt;
        const uint32_t *out = fz_graph_out(g, u, &cnt);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t v = c->edges[out[k]].dst;
            if (!(c->ecls[out[k]] & EC_FAILURE) && !(c->flag[v] & NF_SUCCESS)) {
                c->flag[v] |= NF_SUCCESS;
                c->queue[tail++] = v;
            }
        }
    }

    /* Failure region, remembering the failure edge that first reached each
     * node (aux) for the message; merge edges are reported as found. */
    int rc = FZ_OK;
    head = tail = 0;
    for (uint32_t u = 0; u < c->n; u++)
        c->aux[u] = FZ_NONE;
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        if (!(c->ecls[i] & EC_FAILURE))
            continue;
        uint32_t v = c->edges[i].dst;
        if (c->flag[v] & NF_SUCCESS)
            continue; /* reported below, in file order with the others */
        if (!(c->flag[v] & NF_FAILURE)) {
            c->flag[v] |= NF_FAILURE;
            c->aux[v] = i;
            c->queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = c->queue[head++];
        uint32_t cnt;
        const uint32_t *out = fz_graph_out(g, u, &cnt);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t v = c->edges[out[k]].dst;
            if ((c->ecls[out[k]] & EC_SUCCESS) || (c->flag[v] & (NF_FAILURE | NF_SUCCESS)))
                continue;
            c->flag[v] |= NF_FAILURE;
            c->aux[v] = c->aux[u];
            c->queue[tail++] = v;
        }
    }
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        const fz_edge *e = &c->edges[i];
        if (!(c->flag[e->dst] & NF_SUCCESS))
            continue;
        uint32_t origin;
        if (c->ecls[i] & EC_FAILURE)
            origin = i;
        else if ((c->flag[e->src] & NF_FAILURE) && !(c->flag[e->src] & NF_SUCCESS) &&
                 !(c->ecls[i] & EC_SUCCESS))
            origin = c->aux[e->src];
        else
            continue;
        if (origin == FZ_NONE)
            continue;
        const fz_edge *o = &c->edges[origin];
        uint32_t v = e->dst, end = c->end_of[v];
        char endtxt[200] = "";
        if (end != FZ_NONE && end != v)
            snprintf(endtxt, sizeof(endtxt), ", and ends at %.*s \"%.*s\" like a success does",
                     NODE_ID(c, end), NODE_LABEL(c, end));
        else if (end == v)
            snprintf(endtxt, sizeof(endtxt), " (an end node)");
        char hint[400];
        if (e->label.len && !(c->ecls[i] & EC_FAILURE))
            snprintf(hint, sizeof(hint),
                     "to tell the outcomes apart, give the failure path its own end node (e.g. "
                     "a circle label:\"Failed\"); if the shared end is meant, the outcome is "
                     "still named by this edge's label \"%.*s\" (a run's outcome is its end "
                     "node plus the last labelled edge it took)",
                     (int)e->label.len, fz_graph_text(g, e->label));
        else
            snprintf(hint, sizeof(hint),
                     "to tell the outcomes apart, give the failure path its own end node (e.g. "
                     "a circle label:\"Failed\"), or label this edge with the outcome (a run's "
                     "outcome is its end node plus the last labelled edge it took)");
        if (origin == i)
            rc = warn(c, "W207", e->offset, line_span(g, e->offset), hint,
                      "failure path merges into the success path: %.*s \"%.*s\" answering "
                      "\"%.*s\" goes straight to %.*s \"%.*s\", which the success path also "
                      "reaches%s",
                      NODE_ID(c, e->src), NODE_LABEL(c, e->src), (int)e->label.len,
                      fz_graph_text(g, e->label), NODE_ID(c, v), NODE_LABEL(c, v), endtxt);
        else
            rc = warn(c, "W207", e->offset, line_span(g, e->offset), hint,
                      "failure path merges into the success path: %.*s \"%.*s\" (reached when "
                      "%.*s \"%.*s\" answers \"%.*s\") leads to %.*s \"%.*s\", which the "
                      "success path also reaches%s",
                      NODE_ID(c, e->src), NODE_LABEL(c, e->src), NODE_ID(c, o->src),
                      NODE_LABEL(c, o->src), (int)o->label.len, fz_graph_text(g, o->label),
                      NODE_ID(c, v), NODE_LABEL(c, v), endtxt);
    }
    return rc;
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* W208: the nodes of a loop fragment must be connected (ignoring edge
 * direction) by edges among themselves. Union-find per loop; a node's
 * out-edges are scanned once per loop listing it. */
static int rule_loops(lint_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t loops = fz_graph_loop_count(g);
    if (loops == 0)
        return FZ_OK;
    uint32_t *stamp = c->queue, *parent = c->aux;
    for (uint32_t u = 0; u < c->n; u++)
        stamp[u] = FZ_NONE;
    int rc = FZ_OK;
    for (uint32_t li = 0; li < loops && rc == FZ_OK; li++) {
        const fz_loop *lp = fz_graph_loop(g, li);
        if (lp->node_count < 2)
            continue;
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            stamp[u] = li;
            parent[u] = u;
        }
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k), cnt;
            const uint32_t *out = fz_graph_out(g, u, &cnt);
            for (uint32_t j = 0; j < cnt; j++) {
                uint32_t v = c->edges[out[j]].dst;
                if (stamp[v] != li)
                    continue;
                uint32_t a = uf_find(parent, u), b = uf_find(parent, v);
                if (a != b)
                    parent[a < b ? b : a] = a < b ? a : b;
            }
        }
        uint32_t groups = 0;
        char list[160] = "";
        size_t used = 0;
        uint32_t root0 = uf_find(parent, fz_graph_loop_node(g, lp, 0));
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            if (c->flag[u] & NF_MARK)
                continue;
            c->flag[u] |= NF_MARK;
            if (uf_find(parent, u) == u)
                groups++;
            if (uf_find(parent, u) != root0 && used + 24 < sizeof(list)) {
                int w = snprintf(list + used, sizeof(list) - used, "%s%.*s", used ? " " : "",
                                 NODE_ID(c, u));
                if (w > 0)
                    used += (size_t)w;
            }
        }
        for (uint32_t k = 0; k < lp->node_count; k++)
            c->flag[fz_graph_loop_node(g, lp, k)] &= (uint8_t)~NF_MARK;
        if (groups > 1) {
            uint32_t first = fz_graph_loop_node(g, lp, 0);
            rc = warn(c, "W208", lp->offset, line_span(g, lp->offset),
                      "a loop retries a connected stretch of the flow: add the edges that join "
                      "its nodes, or split it into one loop per stretch",
                      "loop \"%.*s\" is not connected: its nodes form %u groups with no edge "
                      "between them (%s not joined to %.*s)",
                      (int)lp->cond.len, fz_graph_text(g, lp->cond), groups, list,
                      NODE_ID(c, first));
        }
    }
    return rc;
}

/*==========================================================================
 * Entry point
 *========================================================================*/

int fz_lint(const fz_graph *g, fz_diags *d)
{
    if (!g || !g->finished)
        return FZ_EINVAL;
    lint_ctx c;
    memset(&c, 0, sizeof(c));
    c.g = g;
    c.d = d;
    c.alloc = g->alloc;
    c.n = fz_graph_node_count(g);
    c.m = fz_graph_edge_count(g);
    c.nodes = g->nodes.data;
    c.edges = g->edges.data;
    if (c.n == 0)
        return FZ_OK;
    int rc = FZ_ENOMEM;
    size_t n1 = c.n, m1 = c.m ? c.m : 1;
    c.flag = fz_calloc(c.alloc, n1, 1);
    c.ecls = fz_calloc(c.alloc, m1, 1);
    c.queue = fz_malloc(c.alloc, n1 * sizeof(uint32_t));
    c.aux = fz_malloc(c.alloc, n1 * sizeof(uint32_t));
    c.end_of = fz_malloc(c.alloc, n1 * sizeof(uint32_t));
    if (!c.flag || !c.ecls || !c.queue || !c.aux || !c.end_of)
        goto out;
    if ((rc = build_loop_csr(&c)))
        goto out;
    if ((rc = rule_id_sequence(&c)) || (rc = rule_isolated(&c)) || (rc = rule_placement(&c)) ||
        (rc = rule_attr_keys(&c)) || (rc = rule_emoji(&c)) ||
        (rc = rule_request_response(&c)))
        goto out;
    if ((rc = rule_reach(&c)))
        goto out;
    walk_to_ends(&c);
    if ((rc = rule_traps(&c)) || (rc = rule_decisions(&c)) || (rc = rule_failure_merge(&c)) ||
        (rc = rule_loops(&c)))
        goto out;
    rc = FZ_OK;
out:
    fz_free(c.alloc, c.flag, n1);
    fz_free(c.alloc, c.ecls, m1);
    fz_free(c.alloc, c.queue, n1 * sizeof(uint32_t));
    fz_free(c.alloc, c.aux, n1 * sizeof(uint32_t));
    fz_free(c.alloc, c.end_of, n1 * sizeof(uint32_t));
    if (c.loop_index) {
        fz_free(c.alloc, c.loop_index, n1 * sizeof(uint32_t) + sizeof(uint32_t));
    }
    if (c.loop_list)
        fz_free(c.alloc, c.loop_list, (size_t)(c.loop_total ? c.loop_total : 1) *
                                          sizeof(uint32_t));
    return rc;
}
