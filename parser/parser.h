/* SPDX-License-Identifier: MIT */
/*
 * parser.h - FlowZap Code text to an fz_graph (see docs/language.md).
 * The parser reads the whole file, reports every error it can (recovering
 * line by line), resolves forward references once the file is read and
 * finishes the graph's adjacency.
 */
#ifndef FZ_PARSER_PARSER_H
#define FZ_PARSER_PARSER_H

#include <stddef.h>

#include "core/diag.h"
#include "parser/graph.h"

/* Parses text (copied into the graph) named name for messages. On return
 * *out holds the graph read so far, even with errors; caller frees with
 * fz_graph_free(). Returns 0, FZ_EPARSE when d->errors > 0, FZ_ETOOBIG
 * (over 2 GiB), or FZ_ENOMEM. */
int fz_parse_mem(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                 fz_diags *d, fz_graph **out);

/* Like fz_parse_mem, reading path ("-" for stdin) into a buffer the graph
 * owns. Also returns FZ_ENOENT or FZ_EIO when the file cannot be read. */
int fz_parse_file(const char *path, const fz_alloc *alloc, fz_diags *d, fz_graph **out);

#endif
