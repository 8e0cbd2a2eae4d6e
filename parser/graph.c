/* SPDX-License-Identifier: MIT */
/*
 * graph.c - storage and queries for the workflow model (see graph.h).
 * Ids are found through two fz_strmaps that store only indices; adjacency is
 * a CSR built once by fz_graph_finish(), O(nodes + edges).
 */
#include "parser/graph.h"

#include <string.h>
#include <sys/mman.h>

#include "core/fmap.h"
#include "core/status.h"

static const char *const shape_names[] = {
#define FZ__SHAPE_NAME(name, text) text,
    FZ_SHAPE_MAP(FZ__SHAPE_NAME)
#undef FZ__SHAPE_NAME
};

static const char *const dir_names[] = {
#define FZ__DIR_NAME(name, text) text,
    FZ_DIR_MAP(FZ__DIR_NAME)
#undef FZ__DIR_NAME
};

const char *fz_shape_name(fz_shape s)
{
    return (unsigned)s < FZ_SHAPE_COUNT ? shape_names[s] : "?";
}

const char *fz_dir_name(fz_dir d)
{
    return (unsigned)d < FZ_DIR_COUNT ? dir_names[d] : "?";
}

const char *fz_kind_name(fz_kind k)
{
    switch (k) {
    case FZ_KIND_START:
        return "start";
    case FZ_KIND_END:
        return "end";
    case FZ_KIND_DECISION:
        return "decision";
    case FZ_KIND_TASK:
        return "task";
    default:
        return "step";
    }
}

int fz_shape_parse(const char *s, size_t len)
{
    for (int i = 0; i < FZ_SHAPE_COUNT; i++)
        if (strlen(shape_names[i]) == len && memcmp(shape_names[i], s, len) == 0)
            return i;
    return -1;
}

int fz_dir_parse(const char *s, size_t len)
{
    for (int i = 0; i < FZ_DIR_COUNT; i++)
        if (strlen(dir_names[i]) == len && memcmp(dir_names[i], s, len) == 0)
            return i;
    return -1;
}

static const char *node_key(void *ud, uint32_t value, uint32_t *len)
{
    const fz_graph *g = ud;
    const fz_node *n = fz_graph_node(g, value);
    *len = n->id.len;
    return fz_graph_text(g, n->id);
}

static const char *lane_key(void *ud, uint32_t value, uint32_t *len)
{
    const fz_graph *g = ud;
    const fz_lane *l = fz_graph_lane(g, value);
    *len = l->id.len;
    return fz_graph_text(g, l->id);
}

int fz_graph_new(const fz_alloc *alloc, fz_graph **out)
{
    *out = NULL;
    fz_graph *g = fz_calloc(alloc, 1, sizeof(*g));
    if (!g)
        return FZ_ENOMEM;
    g->alloc = alloc;
    fz_vec_init(&g->lanes, sizeof(fz_lane), alloc);
    fz_vec_init(&g->nodes, sizeof(fz_node), alloc);
    fz_vec_init(&g->attrs, sizeof(fz_attr), alloc);
    fz_vec_init(&g->edges, sizeof(fz_edge), alloc);
    fz_vec_init(&g->loops, sizeof(fz_loop), alloc);
    fz_vec_init(&g->loop_nodes, sizeof(uint32_t), alloc);
    fz_vec_init(&g->pool, 1, alloc);
    fz_strmap_init(&g->node_ids, alloc, node_key, g);
    fz_strmap_init(&g->lane_ids, alloc, lane_key, g);
    fz_arena_init(&g->arena, alloc);
    g->path = "<input>";
    g->src = "";
    *out = g;
    return FZ_OK;
}

void fz_graph_free(fz_graph *g)
{
    if (!g)
        return;
    uint32_t n = g->nodes.len, e = g->edges.len;
    if (g->out_index) {
        fz_free(g->alloc, g->out_index, ((size_t)n + 1) * sizeof(uint32_t));
        fz_free(g->alloc, g->in_index, ((size_t)n + 1) * sizeof(uint32_t));
        fz_free(g->alloc, g->out_edges, (size_t)e * sizeof(uint32_t));
        fz_free(g->alloc, g->in_edges, (size_t)e * sizeof(uint32_t));
    }
    if (g->lines) {
        fz_linemap_fini(g->lines);
        fz_free(g->alloc, g->lines, sizeof(*g->lines));
    }
    fz_vec_fini(&g->lanes);
    fz_vec_fini(&g->nodes);
    fz_vec_fini(&g->attrs);
    fz_vec_fini(&g->edges);
    fz_vec_fini(&g->loops);
    fz_vec_fini(&g->loop_nodes);
    fz_vec_fini(&g->pool);
    fz_strmap_fini(&g->node_ids);
    fz_free(g->alloc, g->node_by_num, (size_t)g->node_by_num_len * sizeof(uint32_t));
    fz_strmap_fini(&g->lane_ids);
    fz_arena_fini(&g->arena);
    if (g->src_mapped)
        fz_fmap_close(g->src_owner, g->src_owner_size);
    else
        fz_free(g->alloc, g->src_owner, g->src_owner_size);
    fz_free(g->alloc, g, sizeof(*g));
}

int fz_graph_set_source(fz_graph *g, const char *path, const char *src, uint32_t len,
                        void *owner, size_t owner_size)
{
    char *p = fz_arena_strndup(&g->arena, path, strlen(path));
    if (!p)
        return FZ_ENOMEM;
    g->path = p;
    g->src = src;
    g->src_len = len;
    g->src_owner = owner;
    g->src_owner_size = owner_size;
    return FZ_OK;
}

int fz_graph_set_source_mapped(fz_graph *g, const char *path, const char *src, uint32_t len,
                               void *map, size_t map_size)
{
    int rc = fz_graph_set_source(g, path, src, len, NULL, 0);
    if (rc)
        return rc;
    g->src_owner = map;
    g->src_owner_size = map_size;
    g->src_mapped = 1;
    return FZ_OK;
}

int fz_graph_add_lane(fz_graph *g, fz_span id, fz_span label, int has_label, uint32_t offset,
                      uint32_t *index)
{
    fz_lane *l = fz_vec_push(&g->lanes);
    if (!l)
        return FZ_ENOMEM;
    l->id = id;
    l->label = has_label ? label : id;
    l->has_label = (uint8_t)(has_label != 0);
    l->offset = offset;
    l->end = FZ_NONE;
    uint32_t idx = g->lanes.len - 1, found = 0;
    int rc = fz_strmap_add(&g->lane_ids, fz_graph_text(g, id), id.len, idx, &found);
    if (rc) {
        g->lanes.len--;
        return rc;
    }
    *index = idx;
    return FZ_OK;
}

int fz_graph_node_ref(fz_graph *g, fz_span id, uint32_t offset, uint32_t *index)
{
    uint32_t found = fz_graph_find_node(g, fz_graph_text(g, id), id.len);
    if (found != FZ_NONE) {
        *index = found;
        return FZ_OK;
    }
    fz_node *n = fz_vec_push(&g->nodes);
    if (!n)
        return FZ_ENOMEM;
    n->id = id;
    n->label = id;
    n->lane = FZ_NONE;
    n->offset = offset;
    uint32_t idx = g->nodes.len - 1;
    int rc = fz_strmap_add(&g->node_ids, fz_graph_text(g, id), id.len, idx, &found);
    if (rc) {
        g->nodes.len--;
        return rc;
    }
    *index = idx;
    return FZ_OK;
}

int fz_graph_add_attr(fz_graph *g, fz_span key, fz_span value, uint32_t offset, int slip,
                      uint32_t *index)
{
    fz_attr *a = fz_vec_push(&g->attrs);
    if (!a)
        return FZ_ENOMEM;
    a->key = key;
    a->value = value;
    a->offset = offset;
    a->slip = (uint8_t)(slip != 0);
    /* Classify the key now, while its text is in cache: readers such as
     * lint then test a byte instead of reading the key again. */
    const char *k = fz_graph_text(g, key);
    a->key_kind = FZ_ATTR_OTHER;
    if (key.len == 5 && memcmp(k, "label", 5) == 0)
        a->key_kind = FZ_ATTR_LABEL;
    else if (key.len == 5 && memcmp(k, "owner", 5) == 0)
        a->key_kind = FZ_ATTR_OWNER;
    else if (key.len == 11 && memcmp(k, "description", 11) == 0)
        a->key_kind = FZ_ATTR_DESCRIPTION;
    else if (key.len == 6 && memcmp(k, "system", 6) == 0)
        a->key_kind = FZ_ATTR_SYSTEM;
    else
        g->attrs_other++;
    *index = g->attrs.len - 1;
    return FZ_OK;
}

fz_edge *fz_graph_add_edge(fz_graph *g)
{
    fz_edge *e = fz_vec_push(&g->edges);
    if (e) {
        e->lane = FZ_NONE;
        e->src_lane = FZ_NONE;
        e->dst_lane = FZ_NONE;
    }
    return e;
}

fz_loop *fz_graph_add_loop(fz_graph *g)
{
    fz_loop *l = fz_vec_push(&g->loops);
    if (l) {
        l->lane = FZ_NONE;
        l->node_first = g->loop_nodes.len;
        l->bound = 3;
    }
    return l;
}

int fz_graph_add_loop_node(fz_graph *g, uint32_t node)
{
    uint32_t *p = fz_vec_push(&g->loop_nodes);
    if (!p)
        return FZ_ENOMEM;
    *p = node;
    return FZ_OK;
}

int fz_graph_pool_add(fz_graph *g, const char *s, uint32_t len, fz_span *out)
{
    uint32_t at = g->pool.len;
    if ((uint64_t)at + len + 1 >= FZ_SPAN_POOL)
        return FZ_ETOOBIG;
    uint32_t need = at + len + 1;
    /* Grow only when full, by doubling: n strings cost O(total bytes) copies. */
    if (need > g->pool.cap &&
        fz_vec_reserve(&g->pool, need > g->pool.cap * 2 ? need : g->pool.cap * 2))
        return FZ_ENOMEM;
    memcpy((char *)g->pool.data + at, s, len);
    ((char *)g->pool.data)[at + len] = '\0';
    g->pool.len = at + len + 1;
    out->off = at | FZ_SPAN_POOL;
    out->len = len;
    return FZ_OK;
}

/* Both adjacency lists by counting sort of edge indices by endpoint:
 * stable, so file order holds within each node's run. Two passes over the
 * edges fill both lists at once (one to count, one to place). */
int fz_graph_finish(fz_graph *g)
{
    if (g->finished)
        return FZ_OK;
    uint32_t n = g->nodes.len, m = g->edges.len;
    size_t isz = ((size_t)n + 1) * sizeof(uint32_t), lsz = (size_t)(m ? m : 1) * sizeof(uint32_t);
    uint32_t *oi = fz_calloc(g->alloc, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *ii = fz_calloc(g->alloc, (size_t)n + 1, sizeof(uint32_t));
    uint32_t *ol = fz_malloc(g->alloc, lsz);
    uint32_t *il = fz_malloc(g->alloc, lsz);
    if (!oi || !ii || !ol || !il) {
        fz_free(g->alloc, oi, isz);
        fz_free(g->alloc, ii, isz);
        fz_free(g->alloc, ol, lsz);
        fz_free(g->alloc, il, lsz);
        return FZ_ENOMEM;
    }
    const fz_edge *e = g->edges.data;
    for (uint32_t i = 0; i < m; i++) {
        if (e[i].src < n)
            oi[e[i].src + 1]++;
        if (e[i].dst < n)
            ii[e[i].dst + 1]++;
    }
    for (uint32_t i = 0; i < n; i++) {
        oi[i + 1] += oi[i];
        ii[i + 1] += ii[i];
    }
    for (uint32_t i = 0; i < m; i++) {
        if (e[i].src < n)
            ol[oi[e[i].src]++] = i;
        if (e[i].dst < n)
            il[ii[e[i].dst]++] = i;
    }
    /* index[k] now holds the end of k's run; shift back to starts. */
    for (uint32_t i = n; i > 0; i--) {
        oi[i] = oi[i - 1];
        ii[i] = ii[i - 1];
    }
    oi[0] = ii[0] = 0;
    g->out_index = oi;
    g->out_edges = ol;
    g->in_index = ii;
    g->in_edges = il;
    g->finished = 1;
    return FZ_OK;
}

const uint32_t *fz_graph_out(const fz_graph *g, uint32_t node, uint32_t *count)
{
    *count = g->out_index[node + 1] - g->out_index[node];
    return g->out_edges + g->out_index[node];
}

const uint32_t *fz_graph_in(const fz_graph *g, uint32_t node, uint32_t *count)
{
    *count = g->in_index[node + 1] - g->in_index[node];
    return g->in_edges + g->in_index[node];
}

/* K of an id "nK" (K decimal, no leading zero, at most 9 digits), else -1:
 * the same rule as the parser's id_number. */
static int64_t id_num(const char *s, size_t len)
{
    if (len < 2 || len > 10 || s[0] != 'n' || (s[1] == '0' && len > 2))
        return -1;
    int64_t k = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        k = k * 10 + (s[i] - '0');
    }
    return k;
}

uint32_t fz_graph_find_node(const fz_graph *g, const char *id, size_t len)
{
    if (g->node_by_num_len) {
        int64_t k = id_num(id, len);
        if (k >= 0 && (uint64_t)k < g->node_by_num_len && g->node_by_num[k])
            return g->node_by_num[k] - 1;
    }
    return fz_strmap_find(&g->node_ids, id, (uint32_t)len);
}

uint32_t fz_graph_find_lane(const fz_graph *g, const char *id, size_t len)
{
    return fz_strmap_find(&g->lane_ids, id, (uint32_t)len);
}

const char *fz_graph_node_attr(const fz_graph *g, uint32_t node, const char *key, uint32_t *len)
{
    const fz_node *n = fz_graph_node(g, node);
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < n->attr_count; i++) {
        const fz_attr *a = fz_graph_attr(g, n->attr_first + i);
        if (a->key.len == klen && memcmp(fz_graph_text(g, a->key), key, klen) == 0) {
            *len = a->value.len;
            return fz_graph_text(g, a->value);
        }
    }
    *len = 0;
    return NULL;
}

fz_kind fz_graph_node_kind(const fz_graph *g, uint32_t node)
{
    const fz_node *n = fz_graph_node(g, node);
    switch (n->shape) {
    case FZ_SHAPE_CIRCLE: {
        uint32_t outs = 0;
        if (g->finished)
            fz_graph_out(g, node, &outs);
        return outs == 0 ? FZ_KIND_END : FZ_KIND_START;
    }
    case FZ_SHAPE_DIAMOND:
        return FZ_KIND_DECISION;
    case FZ_SHAPE_TASKBOX:
        return FZ_KIND_TASK;
    default:
        return FZ_KIND_STEP;
    }
}

const fz_linemap *fz_graph_lines(fz_graph *g)
{
    if (!g->lines) {
        fz_linemap *m = fz_malloc(g->alloc, sizeof(*m));
        if (!m)
            return NULL;
        if (fz_linemap_init(m, g->src, g->src_len, g->alloc)) {
            fz_free(g->alloc, m, sizeof(*m));
            return NULL;
        }
        g->lines = m;
    } else if (g->lines->count == 0) {
        fz_linemap_feed(g->lines, g->src_len); /* a parse that stopped early */
    }
    return g->lines;
}

int fz_graph_position(fz_graph *g, uint32_t offset, uint32_t *line, uint32_t *col)
{
    const fz_linemap *m = fz_graph_lines(g);
    if (!m)
        return FZ_ENOMEM;
    fz_linemap_pos(m, offset, line, col);
    return FZ_OK;
}
