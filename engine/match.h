/* SPDX-License-Identifier: MIT */
/*
 * match.h - a node selector: a PCRE2 pattern on a node's label, optionally
 * narrowed by lane, shape and node id. Bindings (bind.h) and simulator
 * scenarios use it to pick nodes. The pattern is compiled once (with JIT
 * where the platform has it); matching returns the capture groups, numbered
 * ("0" is the whole match, "1", "2", ...) and named, as variables.
 */
#ifndef FZ_ENGINE_MATCH_H
#define FZ_ENGINE_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/vec.h"
#include "engine/engine.h"
#include "parser/graph.h"

typedef struct fz_match fz_match;

/* Captures of one match, as key/value variables in capture-number order
 * (numbered first, then named). Caller-owned: fz_caps_init/fz_caps_fini. */
typedef struct fz_caps {
    fz_vec vars; /* fz_kv, read-only; strings live in arena */
    fz_arena arena;
} fz_caps;

void fz_caps_init(fz_caps *c, const fz_alloc *alloc);
void fz_caps_fini(fz_caps *c);

/* Empties c, keeping its memory's owner (the arena is released). */
void fz_caps_reset(fz_caps *c);

/* Number of variables and the i-th one. */
#define fz_caps_count(c) ((c)->vars.len)
#define fz_caps_at(c, i) (&FZ_VEC_AT(&(c)->vars, fz_kv, (i)))

/* The value of key, or NULL when c has no such variable. */
const char *fz_caps_get(const fz_caps *c, const char *key);

/* Compiles a selector. Every part is optional (NULL matches anything):
 *  - pattern: PCRE2 (UTF-8) searched in the label, unanchored: write ^...$
 *    to match the whole label; without one, capture "0" is the label;
 *  - lane: a lane id ("CanaryController") or its display label;
 *  - shape: a shape keyword ("diamond");
 *  - id: a node id ("n9").
 * On FZ_EINVAL (bad pattern or shape) errbuf receives a message (and
 * *erroff, when not NULL, the offset in the pattern where PCRE2 stopped, or
 * SIZE_MAX). Caller frees *out with fz_match_free(). Returns 0, FZ_EINVAL
 * or FZ_ENOMEM. */
int fz_match_new(const char *pattern, const char *lane, const char *shape, const char *id,
                 const fz_alloc *alloc, fz_match **out, char *errbuf, size_t errlen,
                 size_t *erroff);

/* Frees m; NULL is a no-op. */
void fz_match_free(fz_match *m);

/* Tests node of g. Returns 1 on a match (caps, when not NULL, is reset and
 * filled with the captures), 0 on no match (caps reset), FZ_ENOMEM, or
 * FZ_EINVAL when PCRE2 stops the match: one of its limits (match steps,
 * heap, the JIT stack; match.c gives their values) or another matching
 * error. Safe to call from several threads on one m. */
int fz_match_node(const fz_match *m, const fz_graph *g, uint32_t node, fz_caps *caps);

/* Like fz_match_node on a bare label of len bytes (lane/shape/id parts
 * of m must be unset to match). */
int fz_match_text(const fz_match *m, const char *label, size_t len, fz_caps *caps);

/* fz_match_node and fz_match_text that, on FZ_EINVAL, write to why (when
 * not NULL) a sentence naming what stopped the match, such as "the pattern
 * reached PCRE2's match limit (10000000 backtracking steps)". */
int fz_match_node_why(const fz_match *m, const fz_graph *g, uint32_t node, fz_caps *caps, char *why,
                      size_t whylen);
int fz_match_text_why(const fz_match *m, const char *label, size_t len, fz_caps *caps, char *why,
                      size_t whylen);

/* Its capture groups (not counting group 0; 0 without a pattern), and the
 * name of the i-th named group (0-based) or NULL past the last. */
uint32_t fz_match_group_count(const fz_match *m);
const char *fz_match_group_name(const fz_match *m, uint32_t i);

/* The pattern text m was compiled from, or NULL. */
const char *fz_match_pattern(const fz_match *m);

#endif
