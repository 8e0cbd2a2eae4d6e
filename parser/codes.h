/* SPDX-License-Identifier: MIT */
/*
 * codes.h - every diagnostic code flowzap reports, with a one-line title and
 * an explanation for `flowzap check --explain CODE`. Parser errors (E...)
 * are listed in codes_errors.def, lint warnings (W...) in codes_lint.def;
 * each line there is FZ_CODE(ID, "title", "explanation").
 */
#ifndef FZ_PARSER_CODES_H
#define FZ_PARSER_CODES_H

typedef struct fz_code_info {
    const char *code;
    const char *title;
    const char *explain;
} fz_code_info;

/* The entry for code (case-insensitive), or NULL. */
const fz_code_info *fz_code_find(const char *code);

/* All entries, in table order; *count receives their number. */
const fz_code_info *fz_code_all(unsigned *count);

#endif
