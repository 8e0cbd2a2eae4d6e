/* SPDX-License-Identifier: MIT */
/*
 * yamldoc.c - finding a second YAML document. A document marker is a line
 * starting `---` or `...` (then a space, a tab or the line end) at column
 * 0, which YAML allows nowhere inside a document's content. A scan finds
 * the first such line after content; libfyaml then confirms it by loading
 * the stream's second document, so a file with one document (the common
 * case, with or without a leading `---`) is never parsed twice.
 */
#include "engine/yamldoc.h"

#include <libfyaml.h>
#include <string.h>

/* 1 when line s[0, n) is a document marker (`---` or `...`). */
static int is_marker(const char *s, size_t n)
{
    if (n < 3 || (memcmp(s, "---", 3) != 0 && memcmp(s, "...", 3) != 0))
        return 0;
    return n == 3 || s[3] == ' ' || s[3] == '\t' || s[3] == '\r';
}

/* 1 when line s[0, n) holds document content (not blank, a comment or a
 * %directive). */
static int is_content(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i < n && s[i] != '#' && !(i == 0 && s[0] == '%');
}

uint32_t fz_yamldoc_second(const char *text, size_t len)
{
    /* The scan: a marker line after some content (a leading `---` opens
     * the first document). */
    int content = 0, candidate = 0;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        if (is_marker(text + off, n)) {
            if (content || text[off] == '.') {
                candidate = 1;
                break;
            }
            content = 1; /* `--- value` is content of the first document */
        } else if (is_content(text + off, n)) {
            content = 1;
        }
        off += n + 1;
    }
    if (!candidate)
        return UINT32_MAX;

    /* The confirmation: does the stream hold a second document? */
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT;
    struct fy_parser *fyp = fy_parser_create(&cfg);
    if (!fyp)
        return UINT32_MAX;
    uint32_t at = UINT32_MAX;
    if (fy_parser_set_string(fyp, text, len) == 0) {
        struct fy_document *first = fy_parse_load_document(fyp);
        if (first) {
            const struct fy_mark *end =
                fy_document_state_end_mark(fy_document_get_document_state(first));
            size_t end_pos = end ? end->input_pos : 0;
            fy_parse_document_destroy(fyp, first);
            struct fy_document *second = fy_parse_load_document(fyp);
            if (second) {
                const struct fy_mark *st =
                    fy_document_state_start_mark(fy_document_get_document_state(second));
                at = (uint32_t)(st ? st->input_pos : end_pos);
                fy_parse_document_destroy(fyp, second);
            } else if (fy_parser_get_stream_error(fyp)) {
                at = (uint32_t)end_pos; /* what follows does not even parse */
            }
        }
    }
    fy_parser_destroy(fyp);
    return at < len ? at : (at == UINT32_MAX ? at : (uint32_t)len);
}
