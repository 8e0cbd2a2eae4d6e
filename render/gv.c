/* SPDX-License-Identifier: MIT */
/*
 * gv.c - the only file that includes Graphviz headers (see gv.h).
 * Graphviz reports errors through a process-wide callback in pieces; we
 * collect them into the fz_gv being worked on and never let Graphviz write
 * to stderr. Graphviz allocates with its own malloc; results are copied into
 * fz_alloc blocks so callers follow flowzap's one ownership rule.
 */
#include "render/gv.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/status.h"

/*==========================================================================
 * Object ids in creation order
 *
 * cgraph's default id discipline uses the address of an interned name as
 * the object's id, and keeps subgraphs ordered by id: cluster order in the
 * DOT and SVG output would follow malloc. This discipline numbers names in
 * the order they are first seen (even ids; anonymous objects get odd ones),
 * so the same graph always comes out in the same order.
 *========================================================================*/

typedef struct id_state {
    const fz_alloc *alloc;
    Agraph_t *g; /* names are cgraph refstrs: agwrite inspects their header */
    char **names;
    uint32_t n, cap;
    fz_strmap map;
    IDTYPE anon;
} id_state;

/* The id table is part of the Graphviz graph, so it uses the process
 * allocator like the rest of Graphviz: if an id could not be stored, cgraph
 * would quietly fall back to an internal name map that it never frees. */
static const fz_alloc *id_pending_alloc = NULL;

static const char *id_key(void *ud, uint32_t v, uint32_t *len)
{
    id_state *s = ud;
    *len = (uint32_t)strlen(s->names[v]);
    return s->names[v];
}

static void *id_open(Agraph_t *g, Agdisc_t *disc)
{
    (void)disc;
    id_state *s = fz_calloc(id_pending_alloc, 1, sizeof(*s));
    if (!s)
        return NULL;
    s->g = g;
    s->alloc = id_pending_alloc;
    s->anon = 1;
    fz_strmap_init(&s->map, s->alloc, id_key, s);
    return s;
}

static long id_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    (void)objtype;
    id_state *s = state;
    if (!s)
        return 0;
    if (!str) {
        *id = s->anon;
        s->anon += 2;
        return 1;
    }
    uint32_t len = (uint32_t)strlen(str), found = 0;
    uint32_t v = fz_strmap_find(&s->map, str, len);
    if (v != UINT32_MAX) {
        *id = (IDTYPE)(v + 1) * 2;
        return 1;
    }
    if (!createflag)
        return 0;
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 64;
        char **nn = fz_realloc(s->alloc, s->names, (size_t)s->cap * sizeof(char *),
                               (size_t)nc * sizeof(char *));
        if (!nn)
            return 0;
        s->names = nn;
        s->cap = nc;
    }
    char *copy = agstrdup(s->g, str);
    if (!copy)
        return 0;
    s->names[s->n] = copy;
    if (fz_strmap_add(&s->map, str, len, s->n, &found)) {
        agstrfree(s->g, copy);
        return 0;
    }
    *id = (IDTYPE)(s->n + 1) * 2;
    s->n++;
    return 1;
}

static long id_alloc(void *state, int objtype, IDTYPE request)
{
    (void)state;
    (void)objtype;
    return request % 2 == 1; /* names come through id_map only */
}

static void id_free(void *state, int objtype, IDTYPE id)
{
    (void)state;
    (void)objtype;
    (void)id;
}

static char *id_print(void *state, int objtype, IDTYPE id)
{
    (void)objtype;
    id_state *s = state;
    if (!s || id % 2 == 1 || id == 0 || id / 2 > s->n)
        return NULL;
    return s->names[id / 2 - 1];
}

static void id_close(void *state)
{
    id_state *s = state;
    if (!s)
        return;
    /* The names go with the graph's string dictionary, closed after this. */
    fz_free(s->alloc, s->names, (size_t)s->cap * sizeof(char *));
    fz_strmap_fini(&s->map);
    fz_free(s->alloc, s, sizeof(*s));
}

static void id_register(void *state, int objtype, void *obj)
{
    (void)state;
    (void)objtype;
    (void)obj;
}

static Agiddisc_t id_disc = {id_open, id_map, id_alloc, id_free, id_print, id_close, id_register};
static Agdisc_t gv_disc = {&AgMemDisc, &id_disc, &AgIoDisc};

/* Graphviz contexts, created on first use and kept for the process:
 * - SVG and DOT: only the plugins linked in below (core renderers, neato
 *   layout for "nop2"). Without a text layout plugin Graphviz estimates
 *   text sizes instead of loading pango, cairo and fontconfig, which is
 *   most of a small render's time; flowzap fixes every size and position
 *   itself, so nothing in the picture depends on those measurements.
 * - PNG and PDF: the full context (cairo renders them, pango draws the
 *   text). JSON, like SVG, comes from the core plugin.
 * They are kept because Graphviz 2.43's pango text layout caches a pointer
 * to the last font name, which lives in the context's font dictionary:
 * freeing the context and rendering again reads freed memory (found under
 * ASan). Kept contexts stay reachable, so leak checkers do not count them. */
extern gvplugin_library_t gvplugin_core_LTX_library;
extern gvplugin_library_t gvplugin_neato_layout_LTX_library;
static const lt_symlist_t gv_builtins[] = {
    {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
    {"gvplugin_neato_layout_LTX_library", &gvplugin_neato_layout_LTX_library},
    {NULL, NULL},
};
static GVC_t *gv_context_lean, *gv_context_full;

static GVC_t *gv_context_for(const char *format)
{
    if (strcmp(format, "svg") == 0 || strcmp(format, "dot") == 0 || strcmp(format, "json") == 0) {
        if (!gv_context_lean)
            gv_context_lean = gvContextPlugins(gv_builtins, 0);
        return gv_context_lean;
    }
    if (!gv_context_full)
        gv_context_full = gvContext();
    return gv_context_full;
}

struct fz_gv {
    const fz_alloc *alloc;
    GVC_t *gvc;
    Agraph_t *g;
    int laid_out;
};

/* Graphviz 2.43 leaks inside libgvc (HTML-label parse trees; with neato -n
 * the cluster labels and record fields), and fontconfig/pango keep caches
 * for the process; LeakSanitizer (asan preset) would blame flowzap.
 * Programs that link this file get these suppressions. They match by
 * module: Graphviz is built without frame pointers, so ASan's fast unwinder
 * sees only malloc and the libgvc frame that called it; flowzap's own
 * blocks are allocated by flowzap frames and are still checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libgvc.so\n"
           "leak:libfontconfig.so\n"
           "leak:libpango\n"
           "leak:libgvplugin_pango.so\n"
           "leak:libglib-2.0.so\n"
           "leak:libcairo.so\n";
}

/* Graphviz's error channel is global; this buffer holds the latest text. */
static char gv_errbuf[512];
static size_t gv_errlen;

static int gv_collect(char *msg)
{
    size_t n = strlen(msg);
    if (gv_errlen + n >= sizeof(gv_errbuf))
        n = sizeof(gv_errbuf) - 1 - gv_errlen;
    memcpy(gv_errbuf + gv_errlen, msg, n);
    gv_errlen += n;
    gv_errbuf[gv_errlen] = '\0';
    return 0;
}

static void gv_error_reset(void)
{
    gv_errlen = 0;
    gv_errbuf[0] = '\0';
}

int fz_gv_new(const fz_alloc *alloc, const char *name, fz_gv **out)
{
    *out = NULL;
    fz_gv *gv = fz_calloc(alloc, 1, sizeof(*gv));
    if (!gv)
        return FZ_ENOMEM;
    gv->alloc = alloc;
    agseterr(AGMAX); /* nothing to stderr; gv_collect still sees errors */
    agseterrf(gv_collect);
    gv_error_reset();
    gv->g = agopen((char *)name, Agdirected, &gv_disc);
    if (!gv->g) {
        fz_free(alloc, gv, sizeof(*gv));
        return FZ_ERENDER;
    }
    *out = gv;
    return FZ_OK;
}

void fz_gv_free(fz_gv *gv)
{
    if (!gv)
        return;
    if (gv->gvc && gv->laid_out)
        gvFreeLayout(gv->gvc, gv->g);
    if (gv->g)
        agclose(gv->g);
    fz_free(gv->alloc, gv, sizeof(*gv));
}

fz_gv_obj *fz_gv_root(fz_gv *gv)
{
    return (fz_gv_obj *)gv->g;
}

fz_gv_obj *fz_gv_subgraph(fz_gv *gv, fz_gv_obj *parent, const char *name)
{
    Agraph_t *p = parent ? (Agraph_t *)parent : gv->g;
    return (fz_gv_obj *)agsubg(p, (char *)name, 1);
}

fz_gv_obj *fz_gv_node(fz_gv *gv, fz_gv_obj *sub, const char *name)
{
    Agraph_t *p = sub ? (Agraph_t *)sub : gv->g;
    return (fz_gv_obj *)agnode(p, (char *)name, 1);
}

fz_gv_obj *fz_gv_edge(fz_gv *gv, fz_gv_obj *tail, fz_gv_obj *head, const char *key)
{
    return (fz_gv_obj *)agedge(gv->g, (Agnode_t *)tail, (Agnode_t *)head, (char *)key, 1);
}

int fz_gv_default(fz_gv *gv, int kind, const char *key, const char *value)
{
    int k = kind == FZ_GV_NODE ? AGNODE : kind == FZ_GV_EDGE ? AGEDGE : AGRAPH;
    return agattr(gv->g, k, (char *)key, (char *)value) ? FZ_OK : FZ_ENOMEM;
}

int fz_gv_set(fz_gv *gv, fz_gv_obj *obj, const char *key, const char *value)
{
    (void)gv;
    return agsafeset(obj, (char *)key, (char *)value, "") == 0 ? FZ_OK : FZ_ENOMEM;
}

int fz_gv_set_html(fz_gv *gv, fz_gv_obj *obj, const char *key, const char *value)
{
    Agraph_t *root = agroot(obj);
    int kind = agobjkind(obj);
    Agsym_t *sym = agattr(root, kind, (char *)key, NULL);
    if (!sym)
        sym = agattr(root, kind, (char *)key, "");
    if (!sym)
        return FZ_ENOMEM;
    char *html = agstrdup_html(gv->g, (char *)value);
    if (!html)
        return FZ_ENOMEM;
    int rc = agxset(obj, sym, html);
    agstrfree(gv->g, html);
    return rc == 0 ? FZ_OK : FZ_ENOMEM;
}

/* Copies a Graphviz-owned buffer into an fz_alloc block. */
static int copy_out(const fz_alloc *alloc, const char *data, size_t len, char **out, size_t *olen)
{
    char *p = fz_malloc(alloc, len + 1);
    if (!p)
        return FZ_ENOMEM;
    memcpy(p, data, len);
    p[len] = '\0';
    *out = p;
    *olen = len;
    return FZ_OK;
}

int fz_gv_write_dot(fz_gv *gv, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return FZ_ENOMEM;
    int rc = agwrite(gv->g, f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf); /* raw-alloc: open_memstream's buffer (libc) */
        return FZ_ERENDER;
    }
    rc = copy_out(gv->alloc, buf, size, out, len);
    free(buf); /* raw-alloc: open_memstream's buffer (libc) */
    return rc;
}

int fz_gv_render(fz_gv *gv, const char *engine, const char *format, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    gv_error_reset();
    GVC_t *ctx = gv_context_for(format);
    if (!ctx)
        return FZ_ENOMEM;
    if (gv->gvc && gv->gvc != ctx && gv->laid_out) {
        gvFreeLayout(gv->gvc, gv->g);
        gv->laid_out = 0;
    }
    gv->gvc = ctx;
    if (gv->laid_out) {
        gvFreeLayout(gv->gvc, gv->g);
        gv->laid_out = 0;
    }
    if (gvLayout(gv->gvc, gv->g, engine) != 0)
        return FZ_ERENDER;
    gv->laid_out = 1;
    char *data = NULL;
    unsigned int n = 0;
    if (gvRenderData(gv->gvc, gv->g, format, &data, &n) != 0) {
        if (data)
            gvFreeRenderData(data);
        return FZ_ERENDER;
    }
    int rc = copy_out(gv->alloc, data ? data : "", data ? n : 0, out, len);
    gvFreeRenderData(data);
    return rc;
}

const char *fz_gv_error(const fz_gv *gv)
{
    (void)gv;
    return gv_errbuf;
}
