/* SPDX-License-Identifier: MIT */
/* yamlpos.c - positions in YAML text (see yamlpos.h). */
#include "engine/yamlpos.h"

#include <libfyaml.h>

uint32_t fz_yaml_node_offset(struct fy_node *n)
{
    for (int depth = 0; n && depth < 64; depth++) {
        if (fy_node_is_scalar(n)) {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;
            if (mk && !(fy_node_is_null(n) && mk->input_pos == 0))
                return (uint32_t)mk->input_pos;
            n = fy_node_get_parent(n); /* an empty value: its rule's place */
            continue;
        }
        void *it = NULL;
        struct fy_node *child = NULL;
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            child = p ? fy_node_pair_key(p) : NULL;
        } else if (fy_node_is_sequence(n)) {
            child = fy_node_sequence_iterate(n, &it);
        }
        n = child ? child : fy_node_get_parent(n);
    }
    return 0;
}

uint32_t fz_yaml_line_col_offset(const char *text, uint32_t len, int line, int col)
{
    uint32_t off = 0;
    for (int l = 1; l < line && off < len; off++)
        if (text[off] == '\n')
            l++;
    for (int c = 1; c < col && off < len && text[off] != '\n'; c++)
        off++;
    return off;
}
