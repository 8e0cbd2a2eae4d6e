/* SPDX-License-Identifier: MIT */
/*
 * gv.h - a const-correct wrapper over the few cgraph/gvc calls flowzap
 * makes. gv.c is the only file that includes Graphviz headers: Graphviz
 * 2.42/2.43 takes `char *` everywhere, so the casts live in one place.
 * Objects (graph, cluster, node, edge) are opaque `fz_gv_obj` pointers owned
 * by their fz_gv; fz_gv_free() releases them all.
 */
#ifndef FZ_RENDER_GV_H
#define FZ_RENDER_GV_H

#include <stddef.h>

#include "core/alloc.h"

typedef struct fz_gv fz_gv;
typedef struct fz_gv_obj fz_gv_obj;

/* Opens an empty directed graph named name. Caller frees with fz_gv_free().
 * Returns 0, FZ_ENOMEM or FZ_ERENDER. */
int fz_gv_new(const fz_alloc *alloc, const char *name, fz_gv **out);

/* Closes the graph and its Graphviz context; NULL is a no-op. */
void fz_gv_free(fz_gv *gv);

/* The root graph as an object (for fz_gv_set). */
fz_gv_obj *fz_gv_root(fz_gv *gv);

/* Creates subgraph name under parent (NULL: the root); NULL on failure. */
fz_gv_obj *fz_gv_subgraph(fz_gv *gv, fz_gv_obj *parent, const char *name);

/* Creates node name in sub (NULL: the root); NULL on failure. */
fz_gv_obj *fz_gv_node(fz_gv *gv, fz_gv_obj *sub, const char *name);

/* Creates an edge tail -> head with the given key; NULL on failure. */
fz_gv_obj *fz_gv_edge(fz_gv *gv, fz_gv_obj *tail, fz_gv_obj *head, const char *key);

/* Object kinds for fz_gv_default. */
enum { FZ_GV_GRAPH = 0, FZ_GV_NODE = 1, FZ_GV_EDGE = 2 };

/* Declares attribute key for every object of kind with default value. */
int fz_gv_default(fz_gv *gv, int kind, const char *key, const char *value);

/* Sets attribute key of obj to value (declaring it with default ""). */
int fz_gv_set(fz_gv *gv, fz_gv_obj *obj, const char *key, const char *value);

/* Like fz_gv_set with an HTML-like label value (`<TABLE>...`, no outer <>). */
int fz_gv_set_html(fz_gv *gv, fz_gv_obj *obj, const char *key, const char *value);

/* Writes the graph as DOT (before any layout). *out is an fz_alloc block of
 * *len + 1 bytes (NUL-terminated); caller frees with fz_free(alloc, *out, *len + 1). */
int fz_gv_write_dot(fz_gv *gv, char **out, size_t *len);

/* Lays the graph out with engine (e.g. "nop2", "dot") and renders format
 * ("svg", "png", "dot"). Output as for fz_gv_write_dot. Returns 0,
 * FZ_ENOMEM or FZ_ERENDER (fz_gv_error() says why). */
int fz_gv_render(fz_gv *gv, const char *engine, const char *format, char **out, size_t *len);

/* The last Graphviz error message collected for this graph ("" if none). */
const char *fz_gv_error(const fz_gv *gv);

#endif
