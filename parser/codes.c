/* SPDX-License-Identifier: MIT */
/* codes.c - the table behind fz_code_find(), built from the .def lists. */
#include "parser/codes.h"

#include <stddef.h>
#include <strings.h>

static const fz_code_info codes[] = {
#define FZ_CODE(id, title, explain) {#id, title, explain},
#include "parser/codes_errors.def"
#include "parser/codes_lint.def"
#undef FZ_CODE
    {NULL, NULL, NULL},
};

const fz_code_info *fz_code_find(const char *code)
{
    for (const fz_code_info *c = codes; c->code; c++)
        if (strcasecmp(c->code, code) == 0)
            return c;
    return NULL;
}

const fz_code_info *fz_code_all(unsigned *count)
{
    *count = (unsigned)(sizeof(codes) / sizeof(codes[0]) - 1);
    return codes;
}
