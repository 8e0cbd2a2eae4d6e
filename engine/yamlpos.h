/* SPDX-License-Identifier: MIT */
/*
 * yamlpos.h - where a libfyaml node or message sits in the YAML text, as a
 * byte offset the diagnostics turn into file:line:col with a caret. One
 * helper for bindings (real/bind.c) and scenarios (sim/scenario.c).
 */
#ifndef FZ_ENGINE_YAMLPOS_H
#define FZ_ENGINE_YAMLPOS_H

#include <stdint.h>

struct fy_node;

/* Byte offset of n: its token for a scalar; for an empty value, its
 * parent's place; for a mapping or sequence, its first scalar inside.
 * Iterative (at most 64 steps), 0 when nothing is found. */
uint32_t fz_yaml_node_offset(struct fy_node *n);

/* Byte offset of a 1-based line and column in text[0..len), as libfyaml's
 * messages give them; the column stops at the end of its line, the
 * result at len. */
uint32_t fz_yaml_line_col_offset(const char *text, uint32_t len, int line, int col);

#endif
