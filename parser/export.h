/* SPDX-License-Identifier: MIT */
/*
 * export.h - a parsed workflow as FlowZap's export_graph JSON (plus
 * flowzap's own fields under "x-flowzap") and as a Graphviz DOT digraph with
 * one cluster per lane. docs/export.md describes both formats.
 */
#ifndef FZ_PARSER_EXPORT_H
#define FZ_PARSER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "parser/graph.h"

enum {
    FZ_EXPORT_PLAIN = 1u << 0, /* FlowZap's shape only: no "x-flowzap" fields */
};

/* What FlowZap's export calls a lane's `type`, guessed from the words of
 * its id and label. */
typedef enum fz_lane_type {
    FZ_LANE_UNKNOWN = 0,
    FZ_LANE_ACTOR,
    FZ_LANE_SYSTEM,
} fz_lane_type;

/* Guesses the type of lane i; its name is fz_lane_type_name(). */
fz_lane_type fz_export_lane_type(const fz_graph *g, uint32_t lane);
const char *fz_lane_type_name(fz_lane_type t);

/* Node indices in declaration order (by definition offset; lanes in file
 * order), written into order[0 .. node count). O(n log n). */
void fz_export_node_order(const fz_graph *g, uint32_t *order);

/* Builds the JSON document for g (finished, without errors). Keys come in a
 * fixed order and the output depends on the file only. g is not const
 * because positions build its line map. Caller frees *out with
 * json_decref(). Returns 0 or FZ_ENOMEM. */
int fz_export_json(fz_graph *g, unsigned flags, json_t **out);

/* Writes g as a DOT digraph to out: a cluster per lane, nodes declared in
 * their lane, edges with tailport/headport from the handles, loops as
 * comments. Returns 0, FZ_ENOMEM or FZ_EIO. */
int fz_export_dot(const fz_graph *g, FILE *out);

#endif
