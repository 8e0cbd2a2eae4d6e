/* SPDX-License-Identifier: MIT */
/*
 * match.c - node selectors over PCRE2. One compile (plus JIT) per selector,
 * at load time; matching creates its match data per call, so one compiled
 * selector serves several threads. PCRE2 allocates through the selector's
 * fz_alloc hook via a general context (a size header lets fz_free know each
 * block's size, which PCRE2's free callback does not pass).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/match.h"

#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

struct fz_match {
    const fz_alloc *alloc;
    pcre2_general_context *gctx;
    pcre2_code *code; /* NULL: any label */
    char *pattern;
    char *lane;
    char *id;
    pcre2_match_context *mctx; /* the limits below; read-only once made */
    int shape;                 /* -1: any */
    uint32_t ncaps;            /* capture groups (not counting group 0) */
};

/* PCRE2's limits on one match (docs/bindings.md, "Patterns"). A match
 * that reaches one stops with an error naming it, never silently.
 *  - MATCH_LIMIT: backtracking steps (PCRE2's own default), about a
 *    second of work: `^(a|a)*b$` on a run of a's stops here;
 *  - HEAP_LIMIT_KIB: the interpreter's backtracking memory (PCRE2's
 *    default is 20 GB), used when there is no JIT;
 *  - JIT stack: a match first runs on PCRE2's 32 KiB machine-stack area;
 *    one that needs more (a repeated group over a long label: 10,000
 *    characters of `((?:ab)+)` take about 160 KiB) runs again on a JIT
 *    stack that grows to JIT_STACK_MAX, address space reserved on demand. */
#define MATCH_LIMIT 10000000u
#define HEAP_LIMIT_KIB (64u * 1024u)
#define JIT_STACK_START (32u * 1024u)
#define JIT_STACK_MAX (8u * 1024u * 1024u)

/*==========================================================================
 * Captures
 *========================================================================*/

void fz_caps_init(fz_caps *c, const fz_alloc *alloc)
{
    fz_vec_init(&c->vars, sizeof(fz_kv), alloc);
    fz_arena_init(&c->arena, alloc);
}

void fz_caps_fini(fz_caps *c)
{
    fz_vec_fini(&c->vars);
    fz_arena_fini(&c->arena);
}

void fz_caps_reset(fz_caps *c)
{
    c->vars.len = 0;
    fz_arena_fini(&c->arena);
}

const char *fz_caps_get(const fz_caps *c, const char *key)
{
    for (uint32_t i = 0; i < c->vars.len; i++) {
        const fz_kv *kv = &FZ_VEC_AT(&c->vars, fz_kv, i);
        if (strcmp(kv->key, key) == 0)
            return kv->value;
    }
    return NULL;
}

static int caps_setn(fz_caps *c, const char *key, const char *value, size_t vlen)
{
    char *v = fz_arena_strndup(&c->arena, value, vlen);
    if (!v)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < c->vars.len; i++) {
        fz_kv *kv = &FZ_VEC_AT(&c->vars, fz_kv, i);
        if (strcmp(kv->key, key) == 0) {
            kv->value = v;
            return FZ_OK;
        }
    }
    char *k = fz_arena_strndup(&c->arena, key, strlen(key));
    if (!k)
        return FZ_ENOMEM;
    fz_kv *kv = fz_vec_push(&c->vars);
    if (!kv)
        return FZ_ENOMEM;
    kv->key = k;
    kv->value = v;
    return FZ_OK;
}

/*==========================================================================
 * PCRE2 memory through fz_alloc
 *========================================================================*/

#define HDR 16 /* keeps PCRE2's blocks 16-byte aligned */

static void *pcre_malloc(size_t size, void *ud)
{
    unsigned char *p = fz_malloc(ud, size + HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof(size));
    return p + HDR;
}

static void pcre_free(void *ptr, void *ud)
{
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof(size));
    fz_free(ud, p, size + HDR);
}

/*==========================================================================
 * Selectors
 *========================================================================*/

static char *dup_opt(const fz_alloc *a, const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *p = fz_strdup(a, s);
    if (!p)
        *oom = 1;
    return p;
}

static void free_str(const fz_alloc *a, char *s)
{
    if (s)
        fz_free(a, s, strlen(s) + 1);
}

void fz_match_free(fz_match *m)
{
    if (!m)
        return;
    if (m->code)
        pcre2_code_free(m->code);
    if (m->mctx)
        pcre2_match_context_free(m->mctx);
    if (m->gctx)
        pcre2_general_context_free(m->gctx);
    free_str(m->alloc, m->pattern);
    free_str(m->alloc, m->lane);
    free_str(m->alloc, m->id);
    fz_free(m->alloc, m, sizeof(*m));
}

int fz_match_new(const char *pattern, const char *lane, const char *shape, const char *id,
                 const fz_alloc *alloc, fz_match **out, char *errbuf, size_t errlen, size_t *erroff)
{
    int rc = FZ_OK, oom = 0;
    pcre2_compile_context *cctx = NULL;
    *out = NULL;
    if (erroff)
        *erroff = SIZE_MAX;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!alloc)
        alloc = fz_alloc_default();
    fz_match *m = fz_calloc(alloc, 1, sizeof(*m));
    if (!m)
        return FZ_ENOMEM;
    m->alloc = alloc;
    m->shape = -1;
    m->pattern = dup_opt(alloc, pattern, &oom);
    m->lane = dup_opt(alloc, lane, &oom);
    m->id = dup_opt(alloc, id, &oom);
    if (oom) {
        rc = FZ_ENOMEM;
        goto out;
    }
    if (shape) {
        m->shape = fz_shape_parse(shape, strlen(shape));
        if (m->shape < 0) {
            if (errbuf && errlen)
                snprintf(errbuf, errlen,
                         "unknown shape '%s' (expected circle, rectangle, diamond or taskbox)",
                         shape);
            rc = FZ_EINVAL;
            goto out;
        }
    }
    if (pattern) {
        m->gctx = pcre2_general_context_create(pcre_malloc, pcre_free, (void *)alloc);
        cctx = m->gctx ? pcre2_compile_context_create(m->gctx) : NULL;
        if (!cctx) {
            rc = FZ_ENOMEM;
            goto out;
        }
        int err = 0;
        PCRE2_SIZE off = 0;
        m->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, cctx);
        if (!m->code) {
            if (err == PCRE2_ERROR_HEAP_FAILED || err == PCRE2_ERROR_NOMEMORY) {
                rc = FZ_ENOMEM;
                goto out;
            }
            if (errbuf && errlen) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(err, msg, sizeof(msg));
                snprintf(errbuf, errlen, "invalid pattern at offset %zu: %s", (size_t)off,
                         (const char *)msg);
            }
            if (erroff)
                *erroff = off;
            rc = FZ_EINVAL;
            goto out;
        }
        /* JIT is an optimisation: without it (no JIT support, no executable
         * memory) pcre2_match interprets the same pattern. */
        (void)pcre2_jit_compile(m->code, PCRE2_JIT_COMPLETE);
        pcre2_pattern_info(m->code, PCRE2_INFO_CAPTURECOUNT, &m->ncaps);
        m->mctx = pcre2_match_context_create(m->gctx);
        if (!m->mctx) {
            rc = FZ_ENOMEM;
            goto out;
        }
        pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
        pcre2_set_heap_limit(m->mctx, HEAP_LIMIT_KIB);
    }
    *out = m;
    m = NULL;
out:
    if (cctx)
        pcre2_compile_context_free(cctx);
    fz_match_free(m);
    return rc;
}

const char *fz_match_pattern(const fz_match *m)
{
    return m->pattern;
}

/* Writes why PCRE2 stopped a match with error n (when why is not NULL). */
static void explain(int n, char *why, size_t whylen)
{
    if (!why || !whylen)
        return;
    switch (n) {
    case PCRE2_ERROR_MATCHLIMIT:
        snprintf(why, whylen, "the pattern reached PCRE2's match limit (%u backtracking steps)",
                 MATCH_LIMIT);
        break;
    case PCRE2_ERROR_JIT_STACKLIMIT:
        snprintf(why, whylen, "the pattern reached PCRE2's JIT stack limit (%u MiB)",
                 JIT_STACK_MAX / (1024u * 1024u));
        break;
    case PCRE2_ERROR_HEAPLIMIT:
        snprintf(why, whylen, "the pattern reached PCRE2's heap limit (%u MiB)",
                 HEAP_LIMIT_KIB / 1024u);
        break;
    case PCRE2_ERROR_DEPTHLIMIT:
        snprintf(why, whylen, "the pattern reached PCRE2's depth limit");
        break;
    default: {
        PCRE2_UCHAR msg[200];
        if (pcre2_get_error_message(n, msg, sizeof(msg)) < 0)
            snprintf((char *)msg, sizeof(msg), "error %d", n);
        snprintf(why, whylen, "PCRE2 could not match: %s", (const char *)msg);
    }
    }
}

/* One pcre2_match under m's limits; a match that outgrows the JIT's
 * machine-stack area runs again on a JIT stack of up to JIT_STACK_MAX. */
static int run_match(const fz_match *m, const char *label, size_t len, pcre2_match_data *md)
{
    int n = pcre2_match(m->code, (PCRE2_SPTR)label, len, 0, 0, md, m->mctx);
    if (n != PCRE2_ERROR_JIT_STACKLIMIT)
        return n;
    pcre2_match_context *mc = pcre2_match_context_copy(m->mctx);
    pcre2_jit_stack *st =
        mc ? pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, m->gctx) : NULL;
    if (st) {
        pcre2_jit_stack_assign(mc, NULL, st);
        n = pcre2_match(m->code, (PCRE2_SPTR)label, len, 0, 0, md, mc);
    } else {
        n = PCRE2_ERROR_NOMEMORY;
    }
    pcre2_jit_stack_free(st);
    pcre2_match_context_free(mc);
    return n;
}

/* Runs the pattern on label; fills caps. Cost: one match-data allocation
 * and one copy per capture. */
static int match_label(const fz_match *m, const char *label, size_t len, fz_caps *caps, char *why,
                       size_t whylen)
{
    if (caps)
        fz_caps_reset(caps);
    if (!m->code) /* no pattern: the whole label is the match */
        return caps && caps_setn(caps, "0", label, len) ? FZ_ENOMEM : 1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->code, m->gctx);
    if (!md)
        return FZ_ENOMEM;
    int rc = 0;
    int n = run_match(m, label, len, md);
    if (n == PCRE2_ERROR_NOMATCH) {
        rc = 0;
        goto out;
    }
    if (n < 0) {
        rc = n == PCRE2_ERROR_NOMEMORY ? FZ_ENOMEM : FZ_EINVAL;
        if (rc == FZ_EINVAL)
            explain(n, why, whylen);
        goto out;
    }
    rc = 1;
    if (!caps)
        goto out;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    for (uint32_t i = 0; i <= m->ncaps; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%u", i);
        const char *s = "";
        size_t sl = 0;
        if ((int)i < n && ov[2 * i] != PCRE2_UNSET) {
            s = label + ov[2 * i];
            sl = ov[2 * i + 1] - ov[2 * i];
        }
        if (caps_setn(caps, key, s, sl)) {
            rc = FZ_ENOMEM;
            goto out;
        }
    }
    uint32_t nnames = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMECOUNT, &nnames);
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(m->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < nnames; i++) {
        PCRE2_SPTR e = table + (size_t)i * esize;
        uint32_t group = ((uint32_t)e[0] << 8) | e[1];
        const char *name = (const char *)e + 2;
        const char *s = "";
        size_t sl = 0;
        if ((int)group < n && ov[2 * group] != PCRE2_UNSET) {
            s = label + ov[2 * group];
            sl = ov[2 * group + 1] - ov[2 * group];
        } else if (fz_caps_get(caps, name)) {
            continue; /* duplicate name (?J): keep the group that matched */
        }
        if (caps_setn(caps, name, s, sl)) {
            rc = FZ_ENOMEM;
            goto out;
        }
    }
out:
    pcre2_match_data_free(md);
    if (rc != 1 && caps)
        fz_caps_reset(caps);
    return rc;
}

int fz_match_text_why(const fz_match *m, const char *label, size_t len, fz_caps *caps, char *why,
                      size_t whylen)
{
    if (m->lane || m->id || m->shape >= 0) {
        if (caps)
            fz_caps_reset(caps);
        return 0;
    }
    return match_label(m, label, len, caps, why, whylen);
}

int fz_match_text(const fz_match *m, const char *label, size_t len, fz_caps *caps)
{
    return fz_match_text_why(m, label, len, caps, NULL, 0);
}

static int span_is(const fz_graph *g, fz_span s, const char *want)
{
    size_t n = strlen(want);
    return s.len == n && memcmp(fz_graph_text(g, s), want, n) == 0;
}

int fz_match_node_why(const fz_match *m, const fz_graph *g, uint32_t node, fz_caps *caps, char *why,
                      size_t whylen)
{
    const fz_node *n = fz_graph_node(g, node);
    int narrowed_out = 0;
    if (m->id && !span_is(g, n->id, m->id))
        narrowed_out = 1;
    if (m->shape >= 0 && n->shape != (uint8_t)m->shape)
        narrowed_out = 1;
    if (m->lane) {
        if (n->lane == FZ_NONE) {
            narrowed_out = 1;
        } else {
            const fz_lane *l = fz_graph_lane(g, n->lane);
            if (!span_is(g, l->id, m->lane) && !span_is(g, l->label, m->lane))
                narrowed_out = 1;
        }
    }
    if (narrowed_out) {
        if (caps)
            fz_caps_reset(caps);
        return 0;
    }
    return match_label(m, fz_graph_text(g, n->label), n->label.len, caps, why, whylen);
}

int fz_match_node(const fz_match *m, const fz_graph *g, uint32_t node, fz_caps *caps)
{
    return fz_match_node_why(m, g, node, caps, NULL, 0);
}

uint32_t fz_match_group_count(const fz_match *m)
{
    return m && m->code ? m->ncaps : 0;
}

const char *fz_match_group_name(const fz_match *m, uint32_t i)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;
    if (!m || !m->code || pcre2_pattern_info(m->code, PCRE2_INFO_NAMECOUNT, &count) || i >= count ||
        pcre2_pattern_info(m->code, PCRE2_INFO_NAMEENTRYSIZE, &size) ||
        pcre2_pattern_info(m->code, PCRE2_INFO_NAMETABLE, &table))
        return NULL;
    return (const char *)table + (size_t)i * size + 2; /* 2 bytes of group number, then the name */
}
