/* SPDX-License-Identifier: MIT */
/* parser.c - placeholder: the parser lands with the foundation work. */
#include "parser/parser.h"

#include "core/status.h"

int fz_parse_mem(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                 fz_diags *d, fz_graph **out)
{
    (void)name;
    (void)text;
    (void)len;
    (void)alloc;
    (void)d;
    *out = NULL;
    return FZ_EPARSE;
}

int fz_parse_file(const char *path, const fz_alloc *alloc, fz_diags *d, fz_graph **out)
{
    (void)path;
    return fz_parse_mem(path, "", 0, alloc, d, out);
}
