/* SPDX-License-Identifier: MIT */
/*
 * graph.h - the workflow model every module reads: lanes, nodes, edges and
 * loop fragments of one FlowZap Code file, as the parser built them.
 *
 * Design rule: the graph is compact, flat arrays indexed by uint32, and text
 * is never copied: an fz_span is an offset and a length into the source
 * buffer (or, for the rare unescaped string, into the graph's pool). One
 * graph owns its source, arrays and strings; fz_graph_free() releases all.
 * Readers use the accessors below; only the parser calls the builder part.
 */
#ifndef FZ_PARSER_GRAPH_H
#define FZ_PARSER_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/diag.h"
#include "core/hash.h"
#include "core/vec.h"

#define FZ_NONE UINT32_MAX

/* Text by position: off has FZ_SPAN_POOL set when it points into the pool. */
typedef struct fz_span {
    uint32_t off;
    uint32_t len;
} fz_span;
#define FZ_SPAN_POOL 0x80000000u

/* ORDER SHAPE: names are the FlowZap Code keywords. */
#define FZ_SHAPE_MAP(XX)                                                       \
    XX(CIRCLE, "circle")                                                       \
    XX(RECTANGLE, "rectangle")                                                 \
    XX(DIAMOND, "diamond")                                                     \
    XX(TASKBOX, "taskbox")

typedef enum fz_shape {
#define FZ__SHAPE_ENUM(name, text) FZ_SHAPE_##name,
    FZ_SHAPE_MAP(FZ__SHAPE_ENUM)
#undef FZ__SHAPE_ENUM
    FZ_SHAPE_COUNT
} fz_shape;

/* ORDER DIR: handle directions as written in `.handle(dir)`. */
#define FZ_DIR_MAP(XX)                                                         \
    XX(LEFT, "left")                                                           \
    XX(RIGHT, "right")                                                         \
    XX(TOP, "top")                                                             \
    XX(BOTTOM, "bottom")

typedef enum fz_dir {
#define FZ__DIR_ENUM(name, text) FZ_DIR_##name,
    FZ_DIR_MAP(FZ__DIR_ENUM)
#undef FZ__DIR_ENUM
    FZ_DIR_COUNT
} fz_dir;

/* What a node is in FlowZap's export (`kind`). */
typedef enum fz_kind {
    FZ_KIND_START,
    FZ_KIND_END,
    FZ_KIND_STEP,
    FZ_KIND_DECISION,
    FZ_KIND_TASK,
} fz_kind;

typedef struct fz_lane {
    fz_span id;
    fz_span label;     /* display label; equals id when the file gives none */
    uint32_t offset;   /* of the identifier */
    uint32_t end;      /* offset of the closing '}' (FZ_NONE when missing) */
    uint8_t has_label; /* the `# label` part was present */
} fz_lane;

typedef struct fz_attr {
    fz_span key;
    fz_span value;   /* unescaped text between the quotes */
    uint32_t offset; /* of the key */
    uint8_t slip;    /* written `key="v"` instead of `key:"v"` */
    uint8_t key_kind; /* fz_attr_key of the key, set by fz_graph_add_attr */
} fz_attr;

/* The attribute keys FlowZap knows (fz_attr.key_kind); 0 for any other. */
typedef enum fz_attr_key {
    FZ_ATTR_OTHER = 0,
    FZ_ATTR_LABEL,
    FZ_ATTR_OWNER,
    FZ_ATTR_DESCRIPTION,
    FZ_ATTR_SYSTEM,
} fz_attr_key;

enum {
    FZ_NODE_DEFINED = 1u << 0, /* a `nX: shape` line was read (else only referenced) */
};

typedef struct fz_node {
    fz_span id;
    fz_span label;       /* label attr, else description, else id */
    uint32_t lane;       /* index of its lane, FZ_NONE when undefined */
    uint32_t offset;     /* of the id in its definition (or first reference) */
    uint32_t attr_first; /* index into attrs */
    uint16_t attr_count;
    uint8_t shape;       /* fz_shape */
    uint8_t flags;       /* FZ_NODE_* */
} fz_node;

enum {
    FZ_EDGE_LABELLED = 1u << 0,    /* has [label=...] */
    FZ_EDGE_LABEL_SLIP = 1u << 1,  /* written [label:"..."] */
    FZ_EDGE_SRC_PREFIX = 1u << 2,  /* source written Lane.nX */
    FZ_EDGE_DST_PREFIX = 1u << 3,  /* target written Lane.nX */
};

typedef struct fz_edge {
    uint32_t src, dst;   /* node indices */
    uint32_t lane;       /* lane it is written in, FZ_NONE at top level */
    uint32_t offset;     /* of the source id */
    uint32_t dst_offset; /* of the target id */
    fz_span label;       /* empty when unlabelled */
    uint32_t src_lane;   /* lane named by the prefix, else FZ_NONE */
    uint32_t dst_lane;
    uint8_t src_dir, dst_dir; /* fz_dir */
    uint8_t flags;            /* FZ_EDGE_* */
    uint8_t word;             /* fz_lint_label_word(label) as the parser took
                               * it while the text was in cache; 0 when not
                               * taken (readers compute it then) */
} fz_edge;

typedef struct fz_loop {
    fz_span cond;        /* text between the brackets */
    uint32_t lane;       /* lane it is written in, FZ_NONE at top level */
    uint32_t offset;     /* of the `loop` keyword */
    uint32_t node_first; /* index into loop_nodes */
    uint32_t node_count;
    uint32_t bound;      /* first number in cond, else 3 */
} fz_loop;

typedef struct fz_graph {
    const fz_alloc *alloc; /* read-only */
    const char *path;      /* file name for messages (arena-owned) */
    const char *src;       /* the source text (graph-owned), NUL-terminated */
    uint32_t src_len;
    fz_vec lanes;      /* fz_lane */
    fz_vec nodes;      /* fz_node */
    fz_vec attrs;      /* fz_attr */
    fz_vec edges;      /* fz_edge, in file order */
    fz_vec loops;      /* fz_loop */
    fz_vec loop_nodes; /* uint32_t node indices */
    fz_vec pool;       /* char: unescaped strings */
    /* Adjacency, built by fz_graph_finish(): edges of node i are
     * out_edges[out_index[i] .. out_index[i+1]) in file order. */
    uint32_t *out_index, *out_edges;
    uint32_t *in_index, *in_edges;
    fz_strmap node_ids; /* ids not of the form nK; see node_by_num */
    fz_strmap lane_ids;
    fz_arena arena;
    int finished;
    void *src_owner; /* buffer to free with the graph */
    size_t src_owner_size;
    fz_linemap *lines; /* built on first fz_graph_position() */
    int src_mapped;    /* src_owner is a read-only mmap of src_owner_size bytes */
    int ids_dense;     /* set by the parser: the node ids are exactly n1..nN */
    uint32_t attrs_other; /* attributes with a key FlowZap does not know */
    /* Whether a quoted string (a node or edge label, any attribute value)
     * holds a byte >= 0xE2, where an emoji may start: 0 not known (readers
     * look at the text), 1 none does, 2 some does. Set by the parser. */
    int strings_high;
    /* Whether a comment line of the text holds "flowzap:" (a lint
     * directive, or a mistake lint reports): 0 not known (lint reads the
     * text), 1 none does, 2 some does. Set by the parser, which sees every
     * comment line of a file without errors. */
    int directives;
    /* Ids of the form nK (K decimal without a leading zero, K < len): the
     * parser indexes them here, not in node_ids; node_by_num[K] is 1 + the
     * node's index, 0 when no node is nK. 4 bytes an id, no hashing. */
    uint32_t *node_by_num;
    uint32_t node_by_num_len;
} fz_graph;

/*==========================================================================
 * Reading
 *========================================================================*/

/* The text a span names (not NUL-terminated). */
static inline const char *fz_graph_text(const fz_graph *g, fz_span s)
{
    return (s.off & FZ_SPAN_POOL) ? (const char *)g->pool.data + (s.off & ~FZ_SPAN_POOL)
                                  : g->src + s.off;
}

#define fz_graph_lane_count(g) ((g)->lanes.len)
#define fz_graph_node_count(g) ((g)->nodes.len)
#define fz_graph_edge_count(g) ((g)->edges.len)
#define fz_graph_loop_count(g) ((g)->loops.len)
#define fz_graph_lane(g, i) (&FZ_VEC_AT(&(g)->lanes, fz_lane, (i)))
#define fz_graph_node(g, i) (&FZ_VEC_AT(&(g)->nodes, fz_node, (i)))
#define fz_graph_edge(g, i) (&FZ_VEC_AT(&(g)->edges, fz_edge, (i)))
#define fz_graph_loop(g, i) (&FZ_VEC_AT(&(g)->loops, fz_loop, (i)))
#define fz_graph_attr(g, i) (&FZ_VEC_AT(&(g)->attrs, fz_attr, (i)))
#define fz_graph_loop_node(g, loop, k) (FZ_VEC_AT(&(g)->loop_nodes, uint32_t, (loop)->node_first + (k)))

/* Outgoing (incoming) edge indices of node i, in file order; needs finish. */
const uint32_t *fz_graph_out(const fz_graph *g, uint32_t node, uint32_t *count);
const uint32_t *fz_graph_in(const fz_graph *g, uint32_t node, uint32_t *count);

/* Index of the node (lane) with this id, or FZ_NONE. */
uint32_t fz_graph_find_node(const fz_graph *g, const char *id, size_t len);
uint32_t fz_graph_find_lane(const fz_graph *g, const char *id, size_t len);

/* Value of attribute key on node i, or NULL (and *len 0) when absent. */
const char *fz_graph_node_attr(const fz_graph *g, uint32_t node, const char *key, uint32_t *len);

/* The node's export kind; a circle with no outgoing edge is an end. */
fz_kind fz_graph_node_kind(const fz_graph *g, uint32_t node);

/* Keyword of a shape / direction / kind ("circle", "right", "decision"). */
const char *fz_shape_name(fz_shape s);
const char *fz_dir_name(fz_dir d);
const char *fz_kind_name(fz_kind k);

/* Parses a shape or direction keyword; -1 when it is not one. */
int fz_shape_parse(const char *s, size_t len);
int fz_dir_parse(const char *s, size_t len);

/* 1-based line and column of a source offset (builds the line map once). */
int fz_graph_position(fz_graph *g, uint32_t offset, uint32_t *line, uint32_t *col);

/* The source's line map, built once (the parser builds it of a mapped
 * file in its first pass over the text); NULL when out of memory. */
const fz_linemap *fz_graph_lines(fz_graph *g);

/*==========================================================================
 * Building (the parser's side)
 *========================================================================*/

/* Creates an empty graph. Caller frees with fz_graph_free(). */
int fz_graph_new(const fz_alloc *alloc, fz_graph **out);

/* Frees the graph, its source and every string; NULL is a no-op. */
void fz_graph_free(fz_graph *g);

/* Gives the graph its source text. owner/owner_size, when not NULL, is the
 * fz_alloc block holding it, which the graph frees. path is copied. */
int fz_graph_set_source(fz_graph *g, const char *path, const char *src, uint32_t len,
                        void *owner, size_t owner_size);

/* Like fz_graph_set_source for a file mapped with fz_fmap_open() (or
 * plain mmap()), read-only and never written: readers may drop its pages
 * (fz_fmap_drop) and read them again from the file. The graph unmaps map
 * (map_size bytes) with fz_fmap_close when freed. src[len] must be a NUL
 * byte. */
int fz_graph_set_source_mapped(fz_graph *g, const char *path, const char *src, uint32_t len,
                               void *map, size_t map_size);

/* Adds a lane; *index receives its index. The caller checks duplicates. */
int fz_graph_add_lane(fz_graph *g, fz_span id, fz_span label, int has_label, uint32_t offset,
                      uint32_t *index);

/* Returns the node with this id, creating an undefined one on first use. */
int fz_graph_node_ref(fz_graph *g, fz_span id, uint32_t offset, uint32_t *index);

/* Appends an attribute record; *index receives its index. */
int fz_graph_add_attr(fz_graph *g, fz_span key, fz_span value, uint32_t offset, int slip,
                      uint32_t *index);

/* Appends a zeroed edge (or loop) record and returns it, or NULL (FZ_ENOMEM). */
fz_edge *fz_graph_add_edge(fz_graph *g);
fz_loop *fz_graph_add_loop(fz_graph *g);

/* Appends a node index to loop_nodes. */
int fz_graph_add_loop_node(fz_graph *g, uint32_t node);

/* Copies len bytes into the pool; *out names them. */
int fz_graph_pool_add(fz_graph *g, const char *s, uint32_t len, fz_span *out);

/* Builds adjacency; call once all edges are in. Returns 0 or FZ_ENOMEM. */
int fz_graph_finish(fz_graph *g);

#endif
