/* SPDX-License-Identifier: MIT */
/*
 * lint.h - warnings about a parsed workflow: FlowZap's own style rules and
 * rules about the workflow as a program (unreachable nodes, traps, decision
 * shape, failure paths merging into success paths, disconnected loops).
 * Codes and explanations live in codes_lint.def; docs/lint.md has them all.
 */
#ifndef FZ_PARSER_LINT_H
#define FZ_PARSER_LINT_H

#include <stddef.h>

#include "core/diag.h"
#include "parser/graph.h"
#include "parser/words.h"

/* The lint codes, named as in codes_lint.def: FZ_LINT_W207 is W207. Code
 * that names a code uses these, so a mistyped code does not compile. The
 * values are dense (0 .. FZ_LINT_CODE_COUNT - 1) and index lint's per-code
 * tables; a code's bit (fz_lint_opts) is 1u << its value. */
typedef enum fz_lint_code {
#define FZ_CODE(id, title, explain) FZ_LINT_##id,
#include "parser/codes_lint.def"
#undef FZ_CODE
    FZ_LINT_CODE_COUNT
} fz_lint_code;

/* The text of code c ("W207"); "?" when c is no lint code. */
const char *fz_lint_code_name(fz_lint_code c);

/* Adds lint warnings for g (finished, without parse errors) to d.
 * Every rule is O(nodes + edges) and iterative; scratch memory is a few
 * arrays of nodes + edges entries, freed before return.
 * Returns 0 or FZ_ENOMEM. */
int fz_lint(const fz_graph *g, fz_diags *d);

/* Lists at most this many warnings of each code; the others are counted
 * in one note per code (at the end of the file). A file with tens of
 * thousands of one warning is fixed by fixing a pattern, and formatting
 * every message would cost more than finding them. */
#define FZ_LINT_MAX_PER_CODE 200

/* fz_lint with a per-code limit; 0 lists every warning. */
int fz_lint_ex(const fz_graph *g, fz_diags *d, uint32_t max_per_code);

/* Which warnings run (docs/lint.md "Choosing warnings"). A code's bit is
 * fz_lint_code_bits("W207"); a group's bits are fz_lint_code_bits("flowzap").
 * The flowzap group (W107, FlowZap's sequence-view rule) is off unless
 * enabled; every other code is on unless disabled. enable and disable are
 * applied in that order, so a caller that follows the command line (last
 * option wins) keeps the two disjoint. */
typedef struct fz_lint_opts {
    uint32_t max_per_code; /* 0: no limit (FZ_LINT_MAX_PER_CODE by default) */
    uint32_t enable;       /* codes turned on (-W CODE, -Wflowzap) */
    uint32_t disable;      /* codes turned off (-Wno-CODE, --ignore CODE) */
    /* When not NULL, receives each warning that was silenced, by the
     * command line or by a `// flowzap: ignore` comment, with its message;
     * its hint says what silenced it. */
    fz_diags *silenced;
} fz_lint_opts;

/* Default options: FZ_LINT_MAX_PER_CODE, nothing enabled or disabled. */
void fz_lint_opts_init(fz_lint_opts *o);

/* The bits of a lint code ("W207", any case) or group ("flowzap") in *bits;
 * FZ_EINVAL when name is neither (parser warnings W0xx and errors are not
 * lint codes). */
int fz_lint_code_bits(const char *name, uint32_t *bits);

/* fz_lint with options. Returns 0 or FZ_ENOMEM. */
int fz_lint_with(const fz_graph *g, fz_diags *d, const fz_lint_opts *o);

/* What the parser keeps of an edge label in fz_edge.word: bits 0-2 hold
 * 1 + its word class, bits 3-7 a 5-bit hash of the label with blanks
 * trimmed and ASCII folded to lower case (the way lint compares branch
 * labels), so labels with unequal hashes are unequal. */
uint8_t fz_lint_label_word(const char *s, size_t len);
#define FZ_LINT_WORD_CLASS(w) ((fz_word_class)(((w)&7u) - 1u))
#define FZ_LINT_WORD_HASH(w) ((w) >> 3)

/* The start nodes SEMANTICS.md defines: circles with no incoming edge; if
 * none, every node with no incoming edge; if none, the first declared node
 * (lowest definition offset). Writes up to cap node indices into out and
 * returns how many there are in all (may exceed cap). g must be finished. */
uint32_t fz_lint_starts(const fz_graph *g, uint32_t *out, uint32_t cap);

#endif
