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
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fmap.h"
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
    EC_LABELLED = 1u << 4, /* has a label */
    EC_HASH = 0xE0u,       /* 3 bits of the label hash (fz_lint_label_word) */
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
    /* Edge ends by CSR position, so walks read one small array in order
     * instead of a 40-byte edge record at a random place per step:
     * out_dst[p] = dst of edge out_edges[p], in_src[p] = src of in_edges[p]. */
    uint32_t *out_dst, *in_src;
    bool any_fail;        /* some edge starts a failure path (set by classify_edge) */
    uint64_t *loop_pairs; /* (node << 32 | loop), sorted: the loops listing a node */
    uint32_t loop_total;
    uint32_t max_per_code;    /* 0: no limit */
    uint32_t shown[FZ_LINT_CODE_COUNT], total[FZ_LINT_CODE_COUNT]; /* by fz_lint_code */
    /* Which codes run and which are silenced (docs/lint.md "Choosing
     * warnings"): on = every code but the flowzap group, plus enabled
     * ones; cmd_off from the command line; file_off from `ignore-file`
     * comments (file_line: the comment's line, for the message). */
    uint32_t on, cmd_off, file_off;
    uint32_t file_line[FZ_LINT_CODE_COUNT];
    struct directive *dirs; /* `// flowzap: ignore` comments, in file order */
    uint32_t ndirs, dirs_cap;
    fz_diags *silenced;
    char why[128];
} lint_ctx;

/* A `// flowzap: ignore CODE...` comment: the codes it silences on the
 * statement line [start, end) that follows it. */
typedef struct directive {
    uint32_t bits;
    uint32_t start, end;
    uint32_t line; /* of the comment, 1-based */
} directive;

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

static int warn(lint_ctx *c, fz_lint_code code, uint32_t offset, uint32_t len, const char *hint,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The codes' texts, from the .def (ORDER: fz_lint_code). */
static const char *const code_names[] = {
#define FZ_CODE(id, title, explain) #id,
#include "parser/codes_lint.def"
#undef FZ_CODE
};

/* Each code has a bit in the uint32_t masks of fz_lint_opts and lint_ctx:
 * a 33rd code in codes_lint.def stops the build here (widen the masks). */
_Static_assert(FZ_LINT_CODE_COUNT <= 32, "more lint codes than bits in fz_lint_opts' masks");
_Static_assert(sizeof(code_names) / sizeof(code_names[0]) == FZ_LINT_CODE_COUNT,
               "code_names is built from the same list as fz_lint_code");

const char *fz_lint_code_name(fz_lint_code c)
{
    return (unsigned)c < FZ_LINT_CODE_COUNT ? code_names[c] : "?";
}

#define CODE_BIT(code) (1u << (code))
/* The flowzap group: FlowZap's own sequence-view rule, off by default. */
#define FLOWZAP_GROUP CODE_BIT(FZ_LINT_W107)

/* What silences a warning of code_id at offset, as a text for the message;
 * NULL when nothing does. */
static const char *silenced_by(lint_ctx *c, uint32_t bit, fz_lint_code code_id, uint32_t offset)
{
    const char *code = code_names[code_id];
    if (c->cmd_off & bit) {
        snprintf(c->why, sizeof(c->why), "the command line (-Wno-%s or --ignore %s)",
                 code, code);
        return c->why;
    }
    if (c->file_off & bit) {
        snprintf(c->why, sizeof(c->why),
                 "`// flowzap: ignore-file %s` on line %u", code,
                 c->file_line[code_id]);
        return c->why;
    }
    for (uint32_t k = 0; k < c->ndirs; k++) {
        const directive *dv = &c->dirs[k];
        if ((dv->bits & bit) && offset >= dv->start && offset < dv->end) {
            snprintf(c->why, sizeof(c->why), "`// flowzap: ignore %s` on line %u",
                     code, dv->line);
            return c->why;
        }
    }
    return NULL;
}

/* True when code has used up its warnings (the rest are only counted). */
static bool capped(lint_ctx *c, fz_lint_code k)
{
    return c->max_per_code && c->shown[k] >= c->max_per_code;
}

/* When code is capped, counts one more suppressed warning and returns true:
 * callers skip the work of building the message. */
static bool skip_capped(lint_ctx *c, fz_lint_code code)
{
    if (!capped(c, code))
        return false;
    c->total[code]++;
    return true;
}

static int warn(lint_ctx *c, fz_lint_code k, uint32_t offset, uint32_t len, const char *hint,
                const char *fmt, ...)
{
    const char *code = code_names[k];
    if (!(c->on & (1u << k)))
        return FZ_OK; /* off by default and not asked for */
    const char *why = silenced_by(c, 1u << k, k, offset);
    if (why) {
        if (!c->silenced)
            return FZ_OK;
        char sbuf[1024];
        va_list sap;
        va_start(sap, fmt);
        vsnprintf(sbuf, sizeof(sbuf), fmt, sap);
        va_end(sap);
        return fz_diags_add(c->silenced, FZ_SEV_WARNING, code, offset, len, why, "%s", sbuf);
    }
    c->total[k]++;
    if (c->max_per_code && c->shown[k] >= c->max_per_code)
        return FZ_OK;
    c->shown[k]++;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return fz_diags_add(c->d, FZ_SEV_WARNING, code, offset, len, hint, "%s", buf);
}

uint8_t fz_lint_label_word(const char *s, size_t len)
{
    if (len == 0)
        return 1; /* FZ_WORD_NONE, hash 0 */
    size_t a = 0, b = len;
    while (a < b && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    uint32_t h = 2166136261u;
    for (size_t i = a; i < b; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch |= 0x20;
        h = (h ^ ch) * 16777619u;
    }
    h ^= h >> 15;
    return (uint8_t)(((h & 31u) << 3) | (1u + (unsigned)fz_words_class(s, len)));
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

static int pair_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The loops that list each node, as sorted (node, loop) pairs: memory in
 * proportion to the loop listings, not to the nodes (loops are few). */
static int build_loop_csr(lint_ctx *c)
{
    const fz_graph *g = c->g;
    uint32_t loops = fz_graph_loop_count(g);
    c->loop_total = 0;
    if (loops == 0 || g->loop_nodes.len == 0)
        return FZ_OK;
    c->loop_pairs = fz_malloc(c->alloc, (size_t)g->loop_nodes.len * sizeof(uint64_t));
    if (!c->loop_pairs)
        return FZ_ENOMEM;
    for (uint32_t li = 0; li < loops; li++) {
        const fz_loop *lp = fz_graph_loop(g, li);
        for (uint32_t k = 0; k < lp->node_count; k++) {
            uint32_t u = fz_graph_loop_node(g, lp, k);
            if (u < c->n && c->loop_total < g->loop_nodes.len) {
                c->flag[u] |= NF_IN_LOOP;
                c->loop_pairs[c->loop_total++] = ((uint64_t)u << 32) | li;
            }
        }
    }
    qsort(c->loop_pairs, c->loop_total, sizeof(uint64_t), pair_cmp);
    return FZ_OK;
}

/* Index of u's first (node, loop) pair; pairs of u follow it. */
static uint32_t loops_of(const lint_ctx *c, uint32_t u)
{
    uint32_t lo = 0, hi = c->loop_total;
    uint64_t key = (uint64_t)u << 32;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->loop_pairs[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define FOR_LOOPS_OF(c, u, li)                                                                 \
    for (uint32_t fz__k = loops_of((c), (u)), li;                                              \
         fz__k < (c)->loop_total && ((c)->loop_pairs[fz__k] >> 32) == (u) &&                   \
         ((li = (uint32_t)(c)->loop_pairs[fz__k]), 1);                                         \
         fz__k++)

static uint32_t loop_first(const lint_ctx *c, uint32_t li)
{
    const fz_loop *lp = fz_graph_loop(c->g, li);
    return lp->node_count ? fz_graph_loop_node(c->g, lp, 0) : FZ_NONE;
}

/* True when u and v are listed in one loop fragment: an edge between them
 * is inside that loop scope. */
static bool same_loop(const lint_ctx *c, uint32_t u, uint32_t v)
{
    if (!c->loop_pairs || !(c->flag[u] & NF_IN_LOOP) || !(c->flag[v] & NF_IN_LOOP))
        return false;
    /* Both runs of pairs are sorted by loop: one merge-like walk. */
    uint32_t a = loops_of(c, u), b = loops_of(c, v);
    while (a < c->loop_total && (c->loop_pairs[a] >> 32) == u && b < c->loop_total &&
           (c->loop_pairs[b] >> 32) == v) {
        uint32_t la = (uint32_t)c->loop_pairs[a], lb = (uint32_t)c->loop_pairs[b];
        if (la == lb)
            return true;
        if (la < lb)
            a++;
        else
            b++;
    }
    return false;
}

/* True when u is the last node a loop fragment lists. */
static bool last_of_loop(const lint_ctx *c, uint32_t u)
{
    if (!c->loop_pairs || !(c->flag[u] & NF_IN_LOOP))
        return false;
    FOR_LOOPS_OF(c, u, li) {
        const fz_loop *lp = fz_graph_loop(c->g, li);
        if (lp->node_count && fz_graph_loop_node(c->g, lp, lp->node_count - 1) == u)
            return true;
    }
    return false;
}

/* Whether a node's or an edge's label names a failure outcome (abort,
 * rollback, fail, cancel, ...: parser/words.h). */
static bool node_names_failure(const lint_ctx *c, uint32_t u)
{
    const fz_node *nd = &c->nodes[u];
    return nd->label.len && fz_words_names_failure(fz_graph_text(c->g, nd->label), nd->label.len);
}

static bool edge_names_failure(const lint_ctx *c, uint32_t i)
{
    const fz_edge *e = &c->edges[i];
    return e->label.len && fz_words_names_failure(fz_graph_text(c->g, e->label), e->label.len);
}

/* In aux during the failure walk: the failure path so far passed a node
 * or edge whose label names a failure outcome (the rest is the origin). */
#define AUX_NAMED 0x80000000u

/*==========================================================================
 * FlowZap style rules (W1xx)
 *========================================================================*/

/* W101: ids n1..nN without gaps. One warning per file at most for gaps
 * (a renumbering fixes them all), one per malformed id. O(n) with a bitmap. */
static int rule_id_sequence(lint_ctx *c)
{
    uint32_t n = c->n;
    if (c->g->ids_dense)
        return FZ_OK; /* the parser saw exactly n1..nN: no gap, no bad id */
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
            rc = warn(c, FZ_LINT_W101, c->nodes[u].offset, (uint32_t)len,
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
        rc = warn(c, FZ_LINT_W101, c->nodes[first_out].offset, c->nodes[first_out].id.len,
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
        int rc = warn(c, FZ_LINT_W102, c->nodes[u].offset, c->nodes[u].id.len,
                      "connect it with an edge, or delete it",
                      "node %.*s \"%.*s\" is in no edge", NODE_ID(c, u), NODE_LABEL(c, u));
        if (rc)
            return rc;
    }
    return FZ_OK;
}

static void classify_edge(lint_ctx *c, uint32_t i, const fz_edge *e);

/* W103 and W104: where edges and loops are written; also fills the edge
 * classes of W207. */
static int rule_placement(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        const fz_edge *e = &c->edges[i];
        uint32_t sl = c->aux[e->src], dl = c->aux[e->dst];
        classify_edge(c, i, e);
        bool outside = e->lane != sl;
        if (outside) {
            if (e->lane == FZ_NONE)
                rc = warn(c, FZ_LINT_W104, e->offset, line_span(g, e->offset),
                          "FlowZap's guide writes each edge inside the lane of its source node",
                          "edge from %.*s is written at top level, outside lane %.*s of its "
                          "source",
                          NODE_ID(c, e->src), LANE_ID(c, sl));
            else
                rc = warn(c, FZ_LINT_W104, e->offset, line_span(g, e->offset),
                          "FlowZap's guide writes each edge inside the lane of its source node",
                          "edge from %.*s is written in lane %.*s, not in lane %.*s of its "
                          "source",
                          NODE_ID(c, e->src), LANE_ID(c, e->lane), LANE_ID(c, sl));
        }
        /* A bare source is another lane's only when the edge is outside its
         * source's lane, which W104 reports; moving the edge fixes both. */
        if (rc == FZ_OK && e->lane != FZ_NONE && !(e->flags & FZ_EDGE_DST_PREFIX) &&
            dl != e->lane)
            rc = warn(c, FZ_LINT_W103, e->dst_offset, c->nodes[e->dst].id.len, NULL,
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
            rc = warn(c, FZ_LINT_W104, lp->offset, line_span(g, lp->offset),
                      "write the loop inside the lane of one of its nodes",
                      "loop is written at top level, outside every lane of its nodes "
                      "(first node %.*s is in lane %.*s)",
                      NODE_ID(c, first), LANE_ID(c, c->nodes[first].lane));
        else
            rc = warn(c, FZ_LINT_W104, lp->offset, line_span(g, lp->offset),
                      "write the loop inside the lane of one of its nodes",
                      "loop is written in lane %.*s, which holds none of its nodes "
                      "(first node %.*s is in lane %.*s)",
                      LANE_ID(c, lp->lane), NODE_ID(c, first), LANE_ID(c, c->nodes[first].lane));
    }
    return rc;
}


/* True when some byte of buf could start an emoji (>= 0xE2); eight bytes
 * at a time, so a pure-ASCII file costs one quick pass. */
static bool has_emoji_bytes(const char *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t w[4];
        memcpy(w, b + i, 32);
        if (!((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull))
            continue;
        for (size_t k = 0; k < 32; k++)
            if (b[i + k] >= 0xE2)
                return true;
    }
    for (; i < len; i++)
        if (b[i] >= 0xE2)
            return true;
    return false;
}

static int emoji_warn(lint_ctx *c, fz_span s, uint32_t fallback, const char *what, int wl,
                      const char *wt);

/* W105: attribute keys, and W106 for node labels in the same pass over the
 * attributes (when the file has any byte an emoji could start with). */
static int rule_attr_keys(lint_ctx *c, bool emoji)
{
    const fz_graph *g = c->g;
    if (!emoji && g->attrs_other == 0)
        return FZ_OK; /* every key is known (counted as the attributes came in) */
    for (uint32_t u = 0; u < c->n; u++) {
        const fz_node *nd = &c->nodes[u];
        for (uint32_t k = 0; k < nd->attr_count; k++) {
            const fz_attr *a = fz_graph_attr(g, nd->attr_first + k);
            if (a->key_kind != FZ_ATTR_OTHER) {
                if (emoji && a->key_kind == FZ_ATTR_LABEL) {
                    int rc = emoji_warn(c, a->value, a->offset, "node", NODE_ID(c, u));
                    if (rc)
                        return rc;
                }
                continue;
            }
            int rc = warn(c, FZ_LINT_W105, a->offset, a->key.len,
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
        /* Skip ASCII eight bytes at a time: labels are mostly ASCII. */
        if (i + 8 <= s.len) {
            uint64_t w;
            memcpy(&w, t + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
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
    return warn(c, FZ_LINT_W106, off, (s.off & FZ_SPAN_POOL) ? 1 : elen,
                "FlowZap's guide asks for plain-text labels; emoji render inconsistently",
                "emoji in the label of %s %.*s", what, wl, wt);
}

/* W106: emoji in edge labels and lane labels (node labels: see W105). */
static int rule_emoji(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t l = 0; l < fz_graph_lane_count(g) && rc == FZ_OK; l++) {
        const fz_lane *ln = fz_graph_lane(g, l);
        if (ln->has_label)
            rc = emoji_warn(c, ln->label, ln->offset, "lane", LANE_ID(c, l));
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

/* W107, FlowZap's ping-pong rule (its sequence view; the flowzap group,
 * off by default): a cross-lane request from lane A to lane B must be
 * answered by an edge from B back to A, in edge order, before the next
 * cross-lane request begins. One pass over the edges in file order with
 * one pending request: each request that is not answered before the next
 * cross-lane edge (or by the end of the file) is reported at its edge. */
static int rule_ping_pong(lint_ctx *c)
{
    uint32_t pending = FZ_NONE, pa = 0, pb = 0;
    int rc = FZ_OK;
    for (uint32_t i = 0; i <= c->m && rc == FZ_OK; i++) {
        uint32_t a = 0, b = 0;
        if (i < c->m) {
            a = c->aux[c->edges[i].src];
            b = c->aux[c->edges[i].dst];
            if (a == b)
                continue; /* within a lane: not a request */
            if (pending != FZ_NONE && a == pb && b == pa) {
                pending = FZ_NONE; /* the answer */
                continue;
            }
        }
        if (pending != FZ_NONE) {
            const fz_edge *e = &c->edges[pending];
            char at[64] = "";
            if (i < c->m)
                snprintf(at, sizeof(at), " (%.*s -> %.*s)", NODE_ID(c, c->edges[i].src),
                         NODE_ID(c, c->edges[i].dst));
            rc = warn(c, FZ_LINT_W107, e->offset, line_span(c->g, e->offset),
                      "FlowZap's sequence view wants each cross-lane request answered by the "
                      "next cross-lane edge, going back; its validator enforces this",
                      "request from lane %.*s to lane %.*s (%.*s -> %.*s) is not answered by an "
                      "edge from %.*s back to %.*s %s%s",
                      LANE_ID(c, pa), LANE_ID(c, pb), NODE_ID(c, e->src), NODE_ID(c, e->dst),
                      LANE_ID(c, pb), LANE_ID(c, pa),
                      i < c->m ? "before the next cross-lane request" : "by the end of the file",
                      at);
        }
        pending = i;
        pa = a;
        pb = b;
    }
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
        for (uint32_t p = g->out_index[u]; p < g->out_index[u + 1]; p++) {
            uint32_t v = c->out_dst[p];
            if (!(c->flag[v] & (bit | stop))) {
                c->flag[v] |= bit;
                c->queue[tail++] = v;
            }
        }
        if (c->loop_pairs && (c->flag[u] & NF_IN_LOOP))
            FOR_LOOPS_OF(c, u, li) {
                uint32_t v = loop_first(c, li);
                if (v != FZ_NONE && !(c->flag[v] & (bit | stop))) {
                    c->flag[v] |= bit;
                    c->queue[tail++] = v;
                }
            }
    }
    return tail;
}

/* The big walks (reachability, the success and failure regions, the walk
 * back from the ends) visit most of a large graph. A queue in breadth-first
 * order jumps all over memory; a sweep in index order reads the CSR arrays
 * nearly in order, since node indices follow the file. The sweep expands
 * every marked node once: nodes marked ahead of it are expanded when it
 * gets there, nodes marked behind it go on a stack expanded at once. Each
 * node is expanded exactly once: O(nodes + edges), no recursion.
 * Forward modes follow out-edges (and loop jumps for reachability); the
 * backward mode sweeps from the last node down over in-edges. */
enum { SW_REACH, SW_SUCCESS, SW_FAILURE, SW_TO_END };

static uint8_t sweep_bit(int mode)
{
    return mode == SW_REACH     ? NF_REACH
           : mode == SW_SUCCESS ? NF_SUCCESS
           : mode == SW_FAILURE ? NF_FAILURE
                                : NF_CAN_END;
}

/* Marks v from u when the mode allows; returns 1 when v was newly marked. */
/* The sweep functions are inlined into one copy per mode (see sweep()),
 * so the mode tests and the edge-class reads the mode does not need go. */
#define SWEEP_INLINE static inline __attribute__((always_inline))

SWEEP_INLINE int sweep_mark(lint_ctx *c, int mode, uint32_t u, uint32_t v, uint32_t edge)
{
    uint8_t *f = c->flag;
    switch (mode) {
    case SW_REACH:
        if (f[v] & NF_REACH)
            return 0;
        break;
    case SW_SUCCESS:
        if ((f[v] & NF_SUCCESS) || (c->ecls[edge] & EC_FAILURE))
            return 0;
        break;
    case SW_FAILURE:
        if ((f[v] & (NF_FAILURE | NF_SUCCESS)) || (c->ecls[edge] & EC_SUCCESS))
            return 0;
        c->aux[v] = c->aux[u];
        if (!(c->aux[v] & AUX_NAMED) && (edge_names_failure(c, edge) || node_names_failure(c, v)))
            c->aux[v] |= AUX_NAMED;
        break;
    default:
        if (f[v] & NF_CAN_END)
            return 0;
        break;
    }
    f[v] |= sweep_bit(mode);
    return 1;
}

/* Expands u: marks its successors (predecessors for SW_TO_END); those the
 * sweep has passed (at position pos) are pushed on the stack. */
SWEEP_INLINE void sweep_expand(lint_ctx *c, int mode, uint32_t u, uint32_t pos, uint32_t *top)
{
    const fz_graph *g = c->g;
    int back = mode == SW_TO_END;
    if (!back) {
        for (uint32_t p = g->out_index[u]; p < g->out_index[u + 1]; p++) {
            uint32_t v = c->out_dst[p];
            if (sweep_mark(c, mode, u, v, g->out_edges[p]) && v <= pos)
                c->queue[(*top)++] = v;
        }
    } else {
        for (uint32_t p = g->in_index[u]; p < g->in_index[u + 1]; p++) {
            uint32_t v = c->in_src[p];
            if (sweep_mark(c, mode, u, v, 0) && v >= pos)
                c->queue[(*top)++] = v;
        }
    }
    if ((mode != SW_REACH && !back) || !c->loop_pairs || !(c->flag[u] & NF_IN_LOOP))
        return;
    /* Loop jumps: forward, any node of a loop may go back to its first
     * node; backward, the first node lets every node of its loop end. */
    FOR_LOOPS_OF(c, u, li) {
        uint32_t first = loop_first(c, li);
        if (first == FZ_NONE)
            continue;
        if (!back) {
            if (sweep_mark(c, mode, u, first, 0) && first <= pos)
                c->queue[(*top)++] = first;
            continue;
        }
        if (first != u)
            continue;
        const fz_loop *lp = fz_graph_loop(g, li);
        for (uint32_t j = 0; j < lp->node_count; j++) {
            uint32_t v = fz_graph_loop_node(g, lp, j);
            if (v < c->n && sweep_mark(c, mode, u, v, 0) && v >= pos)
                c->queue[(*top)++] = v;
        }
    }
}

/* Runs the sweep from the nodes already marked with the mode's bit. */
SWEEP_INLINE void sweep_run(lint_ctx *c, int mode)
{
    uint8_t bit = sweep_bit(mode);
    uint32_t top = 0;
    for (uint32_t k = 0; k < c->n; k++) {
        uint32_t u = mode == SW_TO_END ? c->n - 1 - k : k;
        if (!(c->flag[u] & bit))
            continue;
        sweep_expand(c, mode, u, u, &top);
        while (top)
            sweep_expand(c, mode, c->queue[--top], u, &top);
    }
}

static void sweep(lint_ctx *c, int mode)
{
    switch (mode) {
    case SW_REACH:
        sweep_run(c, SW_REACH);
        break;
    case SW_SUCCESS:
        sweep_run(c, SW_SUCCESS);
        break;
    case SW_FAILURE:
        sweep_run(c, SW_FAILURE);
        break;
    default:
        sweep_run(c, SW_TO_END);
        break;
    }
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
        rc = warn(c, FZ_LINT_W201, c->nodes[s].offset, c->nodes[s].id.len,
                  "add a circle with no incoming edge (label:\"Start\") and an edge from it, "
                  "or pass --start to run/sim",
                  "every node has an incoming edge, so no node is a start; runs begin at the "
                  "first declared node, %.*s \"%.*s\"",
                  NODE_ID(c, s), NODE_LABEL(c, s));
        if (rc)
            return rc;
    }
    (void)tail;
    sweep(c, SW_REACH);

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
                rc = warn(c, FZ_LINT_W202, c->nodes[u].offset, c->nodes[u].id.len,
                          "connect it from the flow (an edge from a reachable node), or delete "
                          "it",
                          "node %.*s \"%.*s\" cannot be reached from any start node (nor can "
                          "%u node%s after it)",
                          NODE_ID(c, u), NODE_LABEL(c, u), t - 1, t - 1 == 1 ? "" : "s");
            else
                rc = warn(c, FZ_LINT_W202, c->nodes[u].offset, c->nodes[u].id.len,
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
 * A loop's first node that can end
 * lets every node of the loop end too (the loop may send them back). */
static void walk_to_ends(lint_ctx *c)
{
    const fz_graph *g = c->g;
    for (uint32_t u = 0; u < c->n; u++)
        if (out_degree(g, u) == 0)
            c->flag[u] |= NF_CAN_END;
    sweep(c, SW_TO_END);
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
        uint32_t from = FZ_NONE;
        for (uint32_t k = g->in_index[u]; k < g->in_index[u + 1] && !entry; k++) {
            uint32_t p = c->in_src[k];
            if ((c->flag[p] & NF_CAN_END) && (c->flag[p] & NF_REACH)) {
                entry = true;
                from = p;
            }
        }
        /* Entered through a loop jump from a node that can still end. */
        if (!entry && c->loop_pairs && (f & NF_IN_LOOP))
            FOR_LOOPS_OF(c, u, li) {
                const fz_loop *lp = fz_graph_loop(g, li);
                if (loop_first(c, li) != u)
                    continue;
                for (uint32_t k = 0; k < lp->node_count && !entry; k++) {
                    uint32_t p = fz_graph_loop_node(g, lp, k);
                    if ((c->flag[p] & NF_CAN_END) && (c->flag[p] & NF_REACH)) {
                        entry = true;
                        from = p;
                    }
                }
            }
        if (!entry)
            continue;
        c->flag[u] |= NF_COVER;
        c->queue[0] = u;
        uint32_t t = walk_forward(c, 0, 1, NF_COVER, NF_CAN_END);
        if (!any_end)
            rc = warn(c, FZ_LINT_W203, c->nodes[u].offset, c->nodes[u].id.len,
                      "give the workflow an end: a node with no outgoing edge (a circle "
                      "label:\"End\")",
                      "no end can be reached from %.*s \"%.*s\": every node has an outgoing "
                      "edge, so a run only stops at the step limit (%u node%s caught)",
                      NODE_ID(c, u), NODE_LABEL(c, u), t, t == 1 ? "" : "s");
        else if (from != FZ_NONE)
            rc = warn(c, FZ_LINT_W203, c->nodes[u].offset, c->nodes[u].id.len,
                      "give the cycle a way out: an edge to a node that reaches an end, or a "
                      "decision branch that leaves it",
                      "node %.*s \"%.*s\" is a trap: no end can be reached from it, every path "
                      "cycles (%u node%s caught; entered from %.*s)",
                      NODE_ID(c, u), NODE_LABEL(c, u), t, t == 1 ? "" : "s",
                      NODE_ID(c, from));
        else
            rc = warn(c, FZ_LINT_W203, c->nodes[u].offset, c->nodes[u].id.len,
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

/* Word class of edge i's label into ecls[i] (a no- or error-word also
 * makes a failure edge, a yes-word a success edge); called from the
 * placement pass, which reads every edge in file order anyway. */
static void classify_edge(lint_ctx *c, uint32_t i, const fz_edge *e)
{
    uint8_t lw = e->word ? e->word
                 : e->label.len ? fz_lint_label_word(fz_graph_text(c->g, e->label), e->label.len)
                                : 1;
    uint8_t w = e->label.len ? (uint8_t)FZ_LINT_WORD_CLASS(lw) : 0;
    if (w == FZ_WORD_NO || w == FZ_WORD_ERROR) {
        w |= EC_FAILURE;
        c->any_fail = true; /* rule_decisions then marks the other branches */
    } else if (w == FZ_WORD_YES)
        w |= EC_SUCCESS;
    /* Label presence and hash too: rule_decisions then reads no edge. */
    if (e->label.len)
        w |= (uint8_t)(EC_LABELLED | ((FZ_LINT_WORD_HASH(lw) & 7u) << 5));
    c->ecls[i] = w;
}

/* One node's outgoing edges (its branches): being another branch of a node
 * with a failure edge makes a success edge (see rule_failure_merge). Reads
 * the byte classes only. */
static void classify_branches(lint_ctx *c, const uint32_t *out, uint32_t cnt)
{
    bool has_fail = false;
    for (uint32_t k = 0; k < cnt && !has_fail; k++)
        has_fail = (c->ecls[out[k]] & EC_FAILURE) != 0;
    if (has_fail) {
        for (uint32_t k = 0; k < cnt; k++)
            if (!(c->ecls[out[k]] & EC_FAILURE))
                c->ecls[out[k]] |= EC_SUCCESS;
    }
}

/* W204, W205, W206: the branches of each decision, in one pass over every
 * node's outgoing edges that also classifies them for W207. Duplicate labels are
 * found pairwise among the labelled branches (decisions have a handful;
 * past 64 branches only the first 64 are compared, which bounds the cost
 * at O(64 * edges)). */
static int rule_decisions(lint_ctx *c)
{
    const fz_graph *g = c->g;
    int rc = FZ_OK;
    for (uint32_t u = 0; u < c->n && rc == FZ_OK; u++) {
        const uint32_t *out = g->out_edges + g->out_index[u];
        uint32_t cnt = g->out_index[u + 1] - g->out_index[u];
        if (c->any_fail)
            classify_branches(c, out, cnt);
        if (cnt >= 2) {
            uint32_t errs = 0;
            for (uint32_t k = 0; k < cnt; k++)
                errs += (c->ecls[out[k]] & EC_WORD) == FZ_WORD_ERROR;
            if (errs == cnt &&
                (rc = warn(c, FZ_LINT_W209, c->nodes[u].offset, c->nodes[u].id.len,
                           "give the node its way on for ok: an edge without an error label "
                           "(unlabelled, or labelled with what happens next)",
                           "node %.*s \"%.*s\" has %u outgoing edges, all error edges: an ok "
                           "answer takes none of them, so a run that succeeds here fails "
                           "(\"no route for answer ok\")",
                           NODE_ID(c, u), NODE_LABEL(c, u), cnt)))
                break;
        }
        if (c->nodes[u].shape != FZ_SHAPE_DIAMOND)
            continue;
        if (cnt < 2 && last_of_loop(c, u))
            continue; /* the loop is its other branch: a negative answer goes back */
        if (cnt < 2) {
            rc = warn(c, FZ_LINT_W204, c->nodes[u].offset, c->nodes[u].id.len,
                      "a decision needs two or more outgoing edges, one per answer (e.g. "
                      "[label=\"Yes\"] and [label=\"No\"]); use a rectangle for a plain step",
                      "decision %.*s \"%.*s\" has %u outgoing edge%s", NODE_ID(c, u),
                      NODE_LABEL(c, u), cnt, cnt == 1 ? "" : "s");
            continue;
        }
        uint32_t unlabelled = 0, first_unl = FZ_NONE;
        for (uint32_t k = 0; k < cnt && rc == FZ_OK; k++) {
            if (c->ecls[out[k]] & EC_LABELLED)
                continue;
            const fz_edge *e = &c->edges[out[k]];
            if (++unlabelled == 1) {
                first_unl = out[k];
                continue;
            }
            rc = warn(c, FZ_LINT_W205, e->offset, line_span(g, e->offset),
                      "label every branch with the answer it stands for; keep at most one "
                      "unlabelled branch as the default",
                      "decision %.*s \"%.*s\" has more than one unlabelled branch (this one and "
                      "the edge to %.*s): which is the default is ambiguous",
                      NODE_ID(c, u), NODE_LABEL(c, u), NODE_ID(c, c->edges[first_unl].dst));
        }
        uint32_t lim = cnt < 64 ? cnt : 64;
        for (uint32_t k = 1; k < lim && rc == FZ_OK; k++) {
            uint8_t ek = c->ecls[out[k]];
            if (!(ek & EC_LABELLED))
                continue;
            for (uint32_t j = 0; j < k; j++) {
                /* Unequal label hashes mean unequal labels: only a match
                 * reads the edges and their text. */
                uint8_t ej = c->ecls[out[j]];
                if (!(ej & EC_LABELLED) || ((ek ^ ej) & EC_HASH))
                    continue;
                const fz_edge *e = &c->edges[out[k]], *f = &c->edges[out[j]];
                if (!same_label(g, e->label, f->label))
                    continue;
                rc = warn(c, FZ_LINT_W206, e->offset, line_span(g, e->offset),
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

/* An end node reachable from v, for messages: follows successors that can
 * still end, first unvisited one each step, at most 64 steps (messages are
 * capped, so this costs nothing on large files). FZ_NONE when not found. */
static uint32_t end_from(lint_ctx *c, uint32_t v)
{
    const fz_graph *g = c->g;
    uint32_t path[64], len = 0, found = FZ_NONE;
    while (len < 64 && (c->flag[v] & NF_CAN_END)) {
        c->flag[v] |= NF_MARK;
        path[len++] = v;
        if (out_degree(g, v) == 0) {
            found = v;
            break;
        }
        uint32_t next = FZ_NONE;
        for (uint32_t p = g->out_index[v]; p < g->out_index[v + 1] && next == FZ_NONE; p++) {
            uint32_t w = c->out_dst[p];
            if ((c->flag[w] & NF_CAN_END) && !(c->flag[w] & NF_MARK))
                next = w;
        }
        if (next == FZ_NONE)
            break;
        v = next;
    }
    for (uint32_t k = 0; k < len; k++)
        c->flag[path[k]] &= (uint8_t)~NF_MARK;
    return found;
}

/* Strongly connected components (Kosaraju, iterative): comp[u] names u's
 * component. Pass 1 orders nodes by DFS finish time over out-edges; pass 2
 * collects components over in-edges in reverse finish order. O(n + m).
 * Only comp is allocated: pass 1 keeps its DFS stack at the bottom of the
 * queue and the finish order at its top (a node is on one or the other,
 * never both), its edge cursors in aux, and its visited marks in NF_MARK;
 * pass 2 keeps its stack in aux. Clobbers queue and aux. */
static int components(lint_ctx *c, uint32_t **comp_out)
{
    const fz_graph *g = c->g;
    uint32_t n = c->n;
    uint32_t *comp = fz_malloc(c->alloc, (size_t)n * sizeof(uint32_t));
    if (!comp)
        return FZ_ENOMEM;
    uint32_t *stack = c->queue, *pos = c->aux, done = 0;
    for (uint32_t s0 = 0; s0 < n; s0++) {
        if (c->flag[s0] & NF_MARK)
            continue;
        uint32_t top = 0;
        stack[top++] = s0;
        c->flag[s0] |= NF_MARK;
        pos[s0] = g->out_index[s0];
        while (top) {
            uint32_t u = stack[top - 1];
            if (pos[u] < g->out_index[u + 1]) {
                uint32_t v = c->out_dst[pos[u]++];
                if (!(c->flag[v] & NF_MARK)) {
                    c->flag[v] |= NF_MARK;
                    pos[v] = g->out_index[v];
                    stack[top++] = v;
                }
            } else {
                c->queue[n - 1 - done++] = u; /* finish order, from the top down */
                top--;
            }
        }
    }
    for (uint32_t u = 0; u < n; u++) {
        comp[u] = FZ_NONE;
        c->flag[u] &= (uint8_t)~NF_MARK;
    }
    /* Reverse finish order: the last finished sits at queue[n - done]. */
    for (uint32_t k = n - done; k < n; k++) {
        uint32_t r = c->queue[k];
        if (comp[r] != FZ_NONE)
            continue;
        uint32_t top = 0;
        c->aux[top++] = r;
        comp[r] = r;
        while (top) {
            uint32_t u = c->aux[--top];
            for (uint32_t j = g->in_index[u]; j < g->in_index[u + 1]; j++) {
                uint32_t v = c->in_src[j];
                if (comp[v] == FZ_NONE) {
                    comp[v] = r;
                    c->aux[top++] = v;
                }
            }
        }
    }
    *comp_out = comp;
    return FZ_OK;
}

/* W207: a failure path that merges into a success path.
 * Failure edges carry a no- or error-word label. Success edges carry a
 * yes-word label, or leave a node that has a failure edge without being one
 * (the other branches of that decision or action). The success region is
 * what success edges reach without crossing a failure edge; the failure
 * region is what failure edges reach without crossing a success edge. An
 * edge of the failure walk from a failure-only node into the success region
 * (or a failure edge straight into it) is where the paths merge: from there
 * a failed run ends like a successful one. A merge node that can reach the
 * failing node again (same strongly connected component) is a retry, not a
 * merge: the run faces the same question again. Two walks and one
 * component pass: O(nodes + edges). */
static int rule_failure_merge(lint_ctx *c)
{
    if (!c->any_fail)
        return FZ_OK; /* edge classes come from rule_decisions */
    const fz_graph *g = c->g;
    /* Success region. */
    for (uint32_t i = 0; i < c->m; i++)
        if (c->ecls[i] & EC_SUCCESS)
            c->flag[c->edges[i].dst] |= NF_SUCCESS;
    sweep(c, SW_SUCCESS);

    /* Components before the failure walk: they borrow aux and queue. */
    uint32_t *comp = NULL;
    int rc = components(c, &comp);
    if (rc)
        return rc;

    /* Failure region, remembering the failure edge that first reached each
     * node (aux) for the message; merge edges are reported after it. */
    for (uint32_t u = 0; u < c->n; u++)
        c->aux[u] = FZ_NONE;
    for (uint32_t i = 0; i < c->m; i++) {
        if (!(c->ecls[i] & EC_FAILURE))
            continue;
        uint32_t v = c->edges[i].dst;
        if (c->flag[v] & (NF_SUCCESS | NF_FAILURE))
            continue; /* into the success region: reported below */
        c->flag[v] |= NF_FAILURE;
        c->aux[v] = i | (edge_names_failure(c, i) || node_names_failure(c, v) ? AUX_NAMED : 0);
    }
    sweep(c, SW_FAILURE);

    /* Merge edges: from the failure region into the success region. */
    for (uint32_t i = 0; i < c->m && rc == FZ_OK; i++) {
        const fz_edge *e = &c->edges[i];
        if (!(c->flag[e->dst] & NF_SUCCESS))
            continue;
        uint32_t origin;
        bool named;
        if (c->ecls[i] & EC_FAILURE) {
            origin = i;
            named = edge_names_failure(c, i);
        } else if ((c->flag[e->src] & NF_FAILURE) && !(c->flag[e->src] & NF_SUCCESS) &&
                   !(c->ecls[i] & EC_SUCCESS)) {
            if (c->aux[e->src] == FZ_NONE)
                continue;
            origin = c->aux[e->src] & ~AUX_NAMED;
            named = (c->aux[e->src] & AUX_NAMED) || edge_names_failure(c, i);
        } else {
            continue;
        }
        if (!named)
            continue; /* a plain branch: nothing on the way says it failed */
        if (comp[e->dst] == comp[c->edges[origin].src])
            continue; /* a retry: the merge node leads back to the question */
        if (same_loop(c, e->src, e->dst) ||
            same_loop(c, c->edges[origin].src, c->edges[origin].dst))
            continue; /* inside a loop scope: the loop retries, nothing merges */
        if (skip_capped(c, FZ_LINT_W207))
            continue;
        const fz_edge *o = &c->edges[origin];
        uint32_t v = e->dst, end = end_from(c, v);
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
            rc = warn(c, FZ_LINT_W207, e->offset, line_span(g, e->offset), hint,
                      "failure path merges into the success path: %.*s \"%.*s\" answering "
                      "\"%.*s\" goes straight to %.*s \"%.*s\", which the success path also "
                      "reaches%s",
                      NODE_ID(c, e->src), NODE_LABEL(c, e->src), (int)e->label.len,
                      fz_graph_text(g, e->label), NODE_ID(c, v), NODE_LABEL(c, v), endtxt);
        else
            rc = warn(c, FZ_LINT_W207, e->offset, line_span(g, e->offset), hint,
                      "failure path merges into the success path: %.*s \"%.*s\" (reached when "
                      "%.*s \"%.*s\" answers \"%.*s\") leads to %.*s \"%.*s\", which the "
                      "success path also reaches%s",
                      NODE_ID(c, e->src), NODE_LABEL(c, e->src), NODE_ID(c, o->src),
                      NODE_LABEL(c, o->src), (int)o->label.len, fz_graph_text(g, o->label),
                      NODE_ID(c, v), NODE_LABEL(c, v), endtxt);
    }
    fz_free(c->alloc, comp, (size_t)c->n * sizeof(uint32_t));
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
            uint32_t u = fz_graph_loop_node(g, lp, k);
            for (uint32_t j = g->out_index[u]; j < g->out_index[u + 1]; j++) {
                uint32_t v = c->out_dst[j];
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
            rc = warn(c, FZ_LINT_W208, lp->offset, line_span(g, lp->offset),
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

/* One note per capped code: how many warnings were not listed. */
static int cap_notes(lint_ctx *c)
{
    for (unsigned k = 0; k < FZ_LINT_CODE_COUNT; k++) {
        if (c->total[k] <= c->shown[k])
            continue;
        uint32_t more = c->total[k] - c->shown[k];
        int rc = fz_diags_add(c->d, FZ_SEV_NOTE, code_names[k], c->g->src_len, 0,
                              "fix the warnings shown and check again",
                              "%u more %s warning%s not shown (%u in all; lint lists the first "
                              "%u of each code)",
                              more, code_names[k], more == 1 ? "" : "s", c->total[k],
                              c->max_per_code);
        if (rc)
            return rc;
    }
    return FZ_OK;
}

int fz_lint(const fz_graph *g, fz_diags *d)
{
    return fz_lint_ex(g, d, FZ_LINT_MAX_PER_CODE);
}

int fz_lint_ex(const fz_graph *g, fz_diags *d, uint32_t max_per_code)
{
    fz_lint_opts o;
    fz_lint_opts_init(&o);
    o.max_per_code = max_per_code;
    return fz_lint_with(g, d, &o);
}

void fz_lint_opts_init(fz_lint_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->max_per_code = FZ_LINT_MAX_PER_CODE;
}

int fz_lint_code_bits(const char *name, uint32_t *bits)
{
    if (!name)
        return FZ_EINVAL;
    if (strcasecmp(name, "flowzap") == 0) {
        *bits = FLOWZAP_GROUP;
        return FZ_OK;
    }
    for (unsigned k = 0; k < FZ_LINT_CODE_COUNT; k++) {
        if (strcasecmp(name, code_names[k]) == 0) {
            *bits = CODE_BIT(k);
            return FZ_OK;
        }
    }
    return FZ_EINVAL;
}

static bool blank_byte(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Start of the line holding offset o. */
static uint32_t line_start(const fz_graph *g, uint32_t o)
{
    while (o > 0 && g->src[o - 1] != '\n')
        o--;
    return o;
}

/* End of the line starting at o (at its newline, or the end of the text). */
static uint32_t line_end(const fz_graph *g, uint32_t o)
{
    const char *nl = memchr(g->src + o, '\n', g->src_len - o);
    return nl ? (uint32_t)(nl - g->src) : g->src_len;
}

static int add_directive(lint_ctx *c, uint32_t bits, uint32_t start, uint32_t end,
                         uint32_t line)
{
    if (c->ndirs == c->dirs_cap) {
        uint32_t ncap = c->dirs_cap ? c->dirs_cap * 2 : 8;
        directive *nd = fz_realloc(c->alloc, c->dirs, (size_t)c->dirs_cap * sizeof(directive),
                                   (size_t)ncap * sizeof(directive));
        if (!nd)
            return FZ_ENOMEM;
        c->dirs = nd;
        c->dirs_cap = ncap;
    }
    c->dirs[c->ndirs++] = (directive){bits, start, end, line};
    return FZ_OK;
}

/* The `// flowzap: ignore CODE...` and `// flowzap: ignore-file CODE...`
 * comments, each on a line of its own (docs/lint.md). One pass for
 * "flowzap:" (memchr for its z); a directive that is not understood is W210. */
static int scan_directives(lint_ctx *c)
{
    const fz_graph *g = c->g;
    const char *src = g->src;
    uint32_t len = g->src_len, from = 0, line = 1, counted = 0;
    int rc = FZ_OK;
    while (rc == FZ_OK && from < len) {
        /* memchr for the 'z' of "flowzap:" is several times faster than
         * memmem on a file without directives (a rare byte, SIMD). */
        const char *z = memchr(src + from, 'z', len - from);
        if (!z)
            break;
        uint32_t zat = (uint32_t)(z - src);
        if (zat < 4 || zat + 4 > len || memcmp(z - 4, "flowzap:", 8) != 0) {
            from = zat + 1;
            continue;
        }
        const char *hit = z - 4;
        uint32_t at = (uint32_t)(hit - src), ls = line_start(g, at), q = ls;
        uint32_t eol = line_end(g, at);
        from = eol;
        while (q < at && blank_byte(src[q]))
            q++;
        if (q + 2 > at || src[q] != '/' || src[q + 1] != '/')
            continue;
        q += 2;
        while (q < at && blank_byte(src[q]))
            q++;
        if (q != at)
            continue; /* "flowzap:" is not what the comment starts with */
        for (; counted < ls; counted++)
            line += src[counted] == '\n';
        q = at + 8;
        while (q < eol && blank_byte(src[q]))
            q++;
        uint32_t w = q;
        while (q < eol && !blank_byte(src[q]))
            q++;
        bool file = q - w == 11 && memcmp(src + w, "ignore-file", 11) == 0;
        if (!file && !(q - w == 6 && memcmp(src + w, "ignore", 6) == 0)) {
            rc = warn(c, FZ_LINT_W210, w, q > w ? q - w : 1,
                      "write `// flowzap: ignore CODE` (the next line) or `// flowzap: "
                      "ignore-file CODE` (the whole file)",
                      "`// flowzap:` comment with '%.*s' where 'ignore' or 'ignore-file' was "
                      "expected; it silences nothing",
                      (int)(q - w), src + w);
            continue;
        }
        uint32_t bits = 0, tokens = 0;
        for (;;) {
            while (q < eol && (blank_byte(src[q]) || src[q] == ','))
                q++;
            if (q >= eol)
                break;
            uint32_t t = q;
            while (q < eol && !blank_byte(src[q]) && src[q] != ',')
                q++;
            tokens++;
            char name[16];
            uint32_t b = 0;
            if (q - t < sizeof(name)) {
                memcpy(name, src + t, q - t);
                name[q - t] = '\0';
            }
            if (q - t >= sizeof(name) || fz_lint_code_bits(name, &b)) {
                rc = warn(c, FZ_LINT_W210, t, q - t, "`flowzap check --codes` lists the lint codes",
                          "`// flowzap: %s` names '%.*s', which is no lint code or group; it "
                          "silences nothing",
                          file ? "ignore-file" : "ignore", (int)(q - t), src + t);
                if (rc)
                    return rc;
                continue;
            }
            bits |= b;
        }
        if (bits == 0) {
            if (rc == FZ_OK && tokens == 0)
                rc = warn(c, FZ_LINT_W210, at, eol - at,
                          "name the codes to silence, e.g. `// flowzap: ignore W207`",
                          "`// flowzap: %s` names no code; it silences nothing",
                          file ? "ignore-file" : "ignore");
            continue;
        }
        if (file) {
            for (unsigned k = 0; k < FZ_LINT_CODE_COUNT; k++)
                if ((bits >> k) & 1 && !((c->file_off >> k) & 1))
                    c->file_line[k] = line;
            c->file_off |= bits;
            continue;
        }
        /* The next line that holds a statement: blank lines and comment
         * lines (other directives among them) are passed over. */
        uint32_t s0 = eol < len ? eol + 1 : len;
        while (s0 < len) {
            uint32_t e0 = line_end(g, s0), k = s0;
            while (k < e0 && blank_byte(src[k]))
                k++;
            if (k < e0 && !(k + 1 < e0 && src[k] == '/' && src[k + 1] == '/'))
                break;
            s0 = e0 < len ? e0 + 1 : len;
        }
        rc = add_directive(c, bits, s0, s0 < len ? line_end(g, s0) + 1 : len, line);
    }
    return rc;
}

int fz_lint_with(const fz_graph *g, fz_diags *d, const fz_lint_opts *o)
{
    if (!g || !g->finished || !o)
        return FZ_EINVAL;
    lint_ctx c;
    memset(&c, 0, sizeof(c));
    c.max_per_code = o->max_per_code;
    c.on = (~FLOWZAP_GROUP | o->enable);
    c.cmd_off = o->disable;
    c.silenced = o->silenced;
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
    /* Comments first, while the text is mapped: they may silence codes. */
    if ((rc = scan_directives(&c)))
        goto out;
    /* Lint reads little of a mapped text (labels for messages): its pages
     * leave the process (the page cache keeps them) while lint's scratch
     * arrays are in use, so both do not count in memory at once. */
    if (g->src_mapped)
        fz_fmap_drop(g->src_owner, g->src_owner_size);
    rc = FZ_ENOMEM;
    c.flag = fz_calloc(c.alloc, n1, 1);
    c.ecls = fz_calloc(c.alloc, m1, 1);
    c.queue = fz_malloc(c.alloc, n1 * sizeof(uint32_t));
    c.aux = fz_malloc(c.alloc, n1 * sizeof(uint32_t));
    c.out_dst = fz_malloc(c.alloc, m1 * sizeof(uint32_t));
    c.in_src = fz_malloc(c.alloc, m1 * sizeof(uint32_t));
    if (!c.flag || !c.ecls || !c.queue || !c.aux || !c.out_dst || !c.in_src)
        goto out;
    /* Replay the graph's counting sort (edges in file order, each node's
     * run in file order): one sequential read of the edges fills both
     * arrays, with queue and aux as the write cursors. */
    memcpy(c.queue, g->out_index, n1 * sizeof(uint32_t));
    memcpy(c.aux, g->in_index, n1 * sizeof(uint32_t));
    for (uint32_t i = 0; i < c.m; i++) {
        uint32_t s = c.edges[i].src, t = c.edges[i].dst;
        if (s < c.n)
            c.out_dst[c.queue[s]++] = t;
        if (t < c.n)
            c.in_src[c.aux[t]++] = s;
    }
    if ((rc = build_loop_csr(&c)))
        goto out;
    /* Where the parser noted whether any string holds a byte an emoji may
     * start with, only the lane labels (not strings) remain to look at. */
    bool emoji = g->strings_high == 2;
    if (g->strings_high == 1) {
        for (uint32_t l = 0; l < fz_graph_lane_count(g) && !emoji; l++) {
            const fz_lane *ln = fz_graph_lane(g, l);
            emoji = ln->has_label && has_emoji_bytes(fz_graph_text(g, ln->label), ln->label.len);
        }
    } else if (!emoji) {
        emoji = has_emoji_bytes(g->src, g->src_len) ||
                (g->pool.data && has_emoji_bytes(g->pool.data, g->pool.len));
    }
    /* aux holds each node's lane for the W1xx rules (compact, in order). */
    for (uint32_t u = 0; u < c.n; u++)
        c.aux[u] = c.nodes[u].lane;
    if ((rc = rule_id_sequence(&c)) || (rc = rule_isolated(&c)) || (rc = rule_placement(&c)) ||
        (rc = rule_attr_keys(&c, emoji)) || (emoji && (rc = rule_emoji(&c))) ||
        ((c.on & CODE_BIT(FZ_LINT_W107)) && (rc = rule_ping_pong(&c))))
        goto out;
    if ((rc = rule_reach(&c)))
        goto out;
    walk_to_ends(&c);
    if ((rc = rule_traps(&c)) || (rc = rule_decisions(&c)) || (rc = rule_failure_merge(&c)) ||
        (rc = rule_loops(&c)))
        goto out;
    rc = cap_notes(&c);
out:
    fz_free(c.alloc, c.flag, n1);
    fz_free(c.alloc, c.ecls, m1);
    fz_free(c.alloc, c.queue, n1 * sizeof(uint32_t));
    fz_free(c.alloc, c.aux, n1 * sizeof(uint32_t));
    fz_free(c.alloc, c.out_dst, m1 * sizeof(uint32_t));
    fz_free(c.alloc, c.in_src, m1 * sizeof(uint32_t));
    fz_free(c.alloc, c.loop_pairs, (size_t)g->loop_nodes.len * sizeof(uint64_t));
    fz_free(c.alloc, c.dirs, (size_t)c.dirs_cap * sizeof(directive));
    return rc;
}
