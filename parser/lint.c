/* SPDX-License-Identifier: MIT */
/* lint.c - placeholder: lint rules land with the foundation work. */
#include "parser/lint.h"

int fz_lint(const fz_graph *g, fz_diags *d)
{
    (void)g;
    (void)d;
    return 0;
}
