/* SPDX-License-Identifier: MIT */
/*
 * yamldoc.h - one YAML document per file. Bindings and scenario files are
 * one document each; libfyaml's fy_document_build_from_string() reads the
 * first and ignores the rest, so a second `---` document would be dropped
 * without a word. Both loaders ask here and refuse it (B004, S008).
 */
#ifndef FZ_ENGINE_YAMLDOC_H
#define FZ_ENGINE_YAMLDOC_H

#include <stddef.h>
#include <stdint.h>

/* Offset in text[0, len) where a second document starts (its `---`, or
 * the text after a `...` end marker), or UINT32_MAX when the text holds
 * one document. The text is valid UTF-8 that the caller parses itself;
 * files without a marker line after their content cost one scan. */
uint32_t fz_yamldoc_second(const char *text, size_t len);

#endif
