/* SPDX-License-Identifier: MIT */
/* term.h - the terminal escaper moved to core/term.h (sim/report.c prints
 * text reports with it too); this name stays for code that includes it. */
#ifndef FZ_CLI_TERM_H
#define FZ_CLI_TERM_H
#include "core/term.h"
#endif
