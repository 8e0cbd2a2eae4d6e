/* SPDX-License-Identifier: MIT */
/*
 * fmt.h - FlowZap Code in one canonical layout (docs/fmt.md): lanes and
 * top-level statements in file order, two-space indent, a lane's node lines
 * first and its edge and loop lines after, `key:"v"` on nodes and
 * `[label="v"]` on edges, lane prefixes exactly where an end is in another
 * lane, `//` comments kept with the statement they precede. Formatting
 * never changes the graph: fz_fmt_same_graph(parse(x), parse(fmt(x))).
 */
#ifndef FZ_PARSER_FMT_H
#define FZ_PARSER_FMT_H

#include <stddef.h>

#include "core/vec.h"
#include "parser/graph.h"

/* Appends the canonical text of g (finished, without errors) to out, a
 * vector of char (elem 1) the caller initialised; no NUL is added.
 * Returns 0 or FZ_ENOMEM (out then holds a prefix of the text). */
int fz_fmt(const fz_graph *g, fz_vec *out);

/* 1 when a and b are the same workflow: lanes (id, label, order), nodes
 * (id, shape, lane, attributes in order), edges in order (ends, handles,
 * label, lane written in) and loops (condition, nodes, lane). Positions,
 * lane prefixes and the colon/equals spelling are not compared. Otherwise
 * 0, with the first difference described in why (may be NULL). */
int fz_fmt_same_graph(const fz_graph *a, const fz_graph *b, char *why, size_t why_len);

#endif
