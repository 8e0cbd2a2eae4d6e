/* SPDX-License-Identifier: MIT */
/*
 * lint.h - warnings about a parsed workflow: FlowZap's own style rules and
 * rules about the workflow as a program (unreachable nodes, traps, decision
 * shape, failure paths merging into success paths, disconnected loops).
 * Codes and explanations live in codes_lint.def.
 */
#ifndef FZ_PARSER_LINT_H
#define FZ_PARSER_LINT_H

#include "core/diag.h"
#include "parser/graph.h"

/* Adds lint warnings for g (finished, without parse errors) to d.
 * Returns 0 or FZ_ENOMEM. */
int fz_lint(const fz_graph *g, fz_diags *d);

#endif
