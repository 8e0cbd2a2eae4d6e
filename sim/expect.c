/* SPDX-License-Identifier: MIT */
/*
 * expect.c - `expect:` in scenario files: parsing (called from
 * sim/scenario.c while the YAML document is alive) and checking one
 * compiled scenario by one run, by --exact, or by seeded Monte Carlo runs
 * judged with 95% Wilson intervals (docs/test.md).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sim/expect.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/status.h"
#include "engine/yamlpos.h"
#include "sim/exact.h"
#include "sim/report.h"
#include "sim/sim.h"

/*==========================================================================
 * The expectations as read
 *========================================================================*/

enum { OC_EXACT, OC_PREFIX, OC_MATCH };

typedef struct x_cmp {
    const char *key; /* outcome name, node id, or statistic name */
    uint32_t offset;
    fz_expect_op op;
    double v;
    const char *text; /* the comparison as written */
    double q;         /* duration: the quantile (0..1), or -1 mean, -2 max, -3 min */
} x_cmp;

struct fz_expect {
    uint32_t offset;
    uint8_t has_outcome;
    uint8_t oc_kind;
    const char *oc;
    uint32_t oc_off;
    const char **path;
    uint32_t *path_off;
    uint32_t npath;
    uint8_t has_path;
    x_cmp *visits;
    uint32_t nvisits;
    x_cmp *dur;
    uint32_t ndur;
    x_cmp *share;
    uint32_t nshare;
};

uint32_t fz_expect_count(const fz_expect *x)
{
    if (!x)
        return 0;
    return x->has_outcome + x->has_path + x->nvisits + x->ndur + x->nshare;
}

int fz_expect_parse_cmp(const char *s, fz_expect_unit unit, fz_expect_op *op, double *value)
{
    while (*s == ' ' || *s == '\t')
        s++;
    *op = FZ_OP_EQ;
    if (s[0] == '<' && s[1] == '=') {
        *op = FZ_OP_LE;
        s += 2;
    } else if (s[0] == '>' && s[1] == '=') {
        *op = FZ_OP_GE;
        s += 2;
    } else if (s[0] == '=' && s[1] == '=') {
        s += 2;
    } else if (s[0] == '<') {
        *op = FZ_OP_LT;
        s++;
    } else if (s[0] == '>') {
        *op = FZ_OP_GT;
        s++;
    } else if (s[0] == '=') {
        s++;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (!len)
        return FZ_EINVAL;
    if (unit == FZ_UNIT_DURATION) {
        uint64_t ns;
        if (fz_duration_parse(s, len, &ns))
            return FZ_EINVAL;
        *value = (double)ns;
        return 0;
    }
    char buf[64];
    if (len >= sizeof buf)
        return FZ_EINVAL;
    memcpy(buf, s, len);
    buf[len] = 0;
    int pct = unit == FZ_UNIT_SHARE && buf[len - 1] == '%';
    if (pct)
        buf[--len] = 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (!len || *end || errno || !isfinite(v) || v < 0)
        return FZ_EINVAL;
    if (pct)
        v /= 100;
    if (unit == FZ_UNIT_SHARE && v > 1)
        return FZ_EINVAL;
    if (unit == FZ_UNIT_COUNT && (v != floor(v) || v > 4e9))
        return FZ_EINVAL;
    *value = v;
    return 0;
}

typedef struct pctx {
    fz_arena *arena;
    fz_diags *d;
    int oom;
} pctx;

static int perr(pctx *c, struct fy_node *n, const char *code, const char *hint, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int perr(pctx *c, struct fy_node *n, const char *code, const char *hint, const char *fmt,
                ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = fz_diags_add(c->d, FZ_SEV_ERROR, code, fz_yaml_node_offset(n), 1, hint, "%s", msg);
    return rc ? rc : FZ_EINVAL;
}

static const char *pscalar(pctx *c, struct fy_node *n)
{
    if (!n || !fy_node_is_scalar(n))
        return NULL;
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s)
        return NULL;
    char *copy = fz_arena_strndup(c->arena, s, len);
    if (!copy)
        c->oom = 1;
    return copy;
}

#define X_PAIRS(map, it, pair, key, val, k)                                                        \
    for (void *it = NULL; ((pair) = fy_node_mapping_iterate((map), &it)) != NULL;)                 \
        if (((key) = fy_node_pair_key(pair)), ((val) = fy_node_pair_value(pair)),                  \
            ((k) = pscalar(c, key)) != NULL)

static const char share_hint[] = "write a comparison such as \">= 0.65\", \"<= 5%\" or \"== 1\"";
static const char dur_hint[] = "write a comparison with a duration such as \"< 5m\" or \">= 30s\"";
static const char count_hint[] = "write a number of visits (3) or a comparison such as \">= 1\"";

static int parse_cmp_map(pctx *c, struct fy_node *map, const char *field, fz_expect_unit unit,
                         x_cmp **out, uint32_t *count)
{
    int n = fy_node_is_mapping(map) ? fy_node_mapping_item_count(map) : -1;
    if (n < 0)
        return perr(c, map, "S002",
                    unit == FZ_UNIT_SHARE      ? "write share: {\"End via Success\": \">= 0.65\"}"
                    : unit == FZ_UNIT_DURATION ? "write duration: {p99: \"< 5m\"}"
                                               : "write visits: {n3: 3}",
                    "'%s' must be a mapping", field);
    *out = fz_arena_alloc(c->arena, sizeof(x_cmp) * (size_t)(n ? n : 1));
    if (!*out)
        return FZ_ENOMEM;
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    int status = 0;
    X_PAIRS(map, it, pair, key, val, k)
    {
        x_cmp *x = &(*out)[*count];
        memset(x, 0, sizeof *x);
        x->key = k;
        x->offset = fz_yaml_node_offset(val);
        const char *s = pscalar(c, val);
        if (unit == FZ_UNIT_DURATION) {
            if (!strcmp(k, "mean")) {
                x->q = -1;
            } else if (!strcmp(k, "max")) {
                x->q = -2;
            } else if (!strcmp(k, "min")) {
                x->q = -3;
            } else {
                char *end = NULL;
                double q = k[0] == 'p' && isdigit((unsigned char)k[1]) ? strtod(k + 1, &end) : -1;
                if (!end || *end || !(q > 0 && q < 100)) {
                    status =
                        perr(c, key, "S003", "expected: p50, p90, p99 (any pNN), mean, min, max",
                             "unknown statistic '%s' in 'duration'", k);
                    continue;
                }
                x->q = q / 100;
            }
        }
        if (!s || fz_expect_parse_cmp(s, unit, &x->op, &x->v)) {
            status = perr(c, val, "S002",
                          unit == FZ_UNIT_SHARE      ? share_hint
                          : unit == FZ_UNIT_DURATION ? dur_hint
                                                     : count_hint,
                          "'%s' of '%s': not a comparison, found '%s'", k, field,
                          s ? s : "a list or mapping");
            continue;
        }
        x->text = s;
        (*count)++;
    }
    return status;
}

static int check_regex(pctx *c, struct fy_node *n, const char *pat)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &errcode, &erroff, NULL);
    if (re) {
        pcre2_code_free(re);
        return 0;
    }
    char msg[256];
    pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg, sizeof msg);
    return perr(c, n, "S005", NULL, "'outcome': bad pattern: %s at offset %zu", msg,
                (size_t)erroff);
}

static int parse_outcome(pctx *c, struct fy_node *val, fz_expect *x)
{
    x->has_outcome = 1;
    x->oc_off = fz_yaml_node_offset(val);
    static const char hint[] =
        "write outcome: \"End via Success\" (the exact name), {prefix: \"failed at \"} or "
        "{match: REGEX}";
    if (fy_node_is_scalar(val)) {
        x->oc_kind = OC_EXACT;
        x->oc = pscalar(c, val);
        return x->oc ? 0 : FZ_ENOMEM;
    }
    if (!fy_node_is_mapping(val) || fy_node_mapping_item_count(val) != 1)
        return perr(c, val, "S002", hint,
                    "'outcome' must be a name or one of {prefix: ...}, "
                    "{match: ...}");
    struct fy_node_pair *pair;
    struct fy_node *key, *v;
    const char *k;
    X_PAIRS(val, it, pair, key, v, k)
    {
        const char *s = pscalar(c, v);
        if (!s)
            return perr(c, v, "S002", hint, "'outcome.%s' must be a single value", k);
        x->oc = s;
        if (!strcmp(k, "prefix")) {
            x->oc_kind = OC_PREFIX;
        } else if (!strcmp(k, "match")) {
            x->oc_kind = OC_MATCH;
            return check_regex(c, v, s);
        } else {
            return perr(c, key, "S003", "expected: prefix, match",
                        "unknown field '%s' in 'outcome'", k);
        }
    }
    return 0;
}

static int parse_path(pctx *c, struct fy_node *val, fz_expect *x)
{
    int n = fy_node_is_sequence(val) ? fy_node_sequence_item_count(val) : -1;
    if (n <= 0)
        return perr(c, val, "S002", "write path: [n1, n2, n3] (node ids in the order they run)",
                    "'path' must be a list of node ids");
    x->path = fz_arena_alloc(c->arena, sizeof(char *) * (size_t)n);
    x->path_off = fz_arena_alloc(c->arena, sizeof(uint32_t) * (size_t)n);
    if (!x->path || !x->path_off)
        return FZ_ENOMEM;
    for (int i = 0; i < n; i++) {
        struct fy_node *it = fy_node_sequence_get_by_index(val, i);
        const char *s = pscalar(c, it);
        if (!s)
            return perr(c, it, "S002", NULL, "'path' entries must be node ids");
        x->path[i] = s;
        x->path_off[i] = fz_yaml_node_offset(it);
    }
    x->npath = (uint32_t)n;
    x->has_path = 1;
    return 0;
}

int fz_expect_parse(struct fy_node *n, fz_arena *arena, fz_diags *d, fz_expect **out)
{
    pctx cc = {arena, d, 0}, *c = &cc;
    *out = NULL;
    if (!fy_node_is_mapping(n))
        return perr(c, n, "S002", "write expect: {outcome: ..., share: {...}}",
                    "'expect' must be a mapping (outcome, path, visits, duration, share)");
    fz_expect *x = fz_arena_alloc(arena, sizeof *x);
    if (!x)
        return FZ_ENOMEM;
    memset(x, 0, sizeof *x);
    x->offset = fz_yaml_node_offset(n);
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    int status = 0;
    X_PAIRS(n, it, pair, key, val, k)
    {
        int rc;
        if (!strcmp(k, "outcome"))
            rc = parse_outcome(c, val, x);
        else if (!strcmp(k, "path"))
            rc = parse_path(c, val, x);
        else if (!strcmp(k, "visits"))
            rc = parse_cmp_map(c, val, k, FZ_UNIT_COUNT, &x->visits, &x->nvisits);
        else if (!strcmp(k, "duration"))
            rc = parse_cmp_map(c, val, k, FZ_UNIT_DURATION, &x->dur, &x->ndur);
        else if (!strcmp(k, "share"))
            rc = parse_cmp_map(c, val, k, FZ_UNIT_SHARE, &x->share, &x->nshare);
        else
            rc = perr(c, key, "S003", "expected: outcome, path, visits, duration, share",
                      "unknown field '%s' in 'expect'", k);
        if (rc == FZ_ENOMEM)
            return rc;
        if (rc)
            status = rc;
    }
    if (cc.oom)
        return FZ_ENOMEM;
    *out = x;
    return status;
}

int fz_expect_bind(const fz_expect *x, const fz_graph *g, fz_diags *d)
{
    if (!x)
        return 0;
    int status = 0;
    for (uint32_t i = 0; i < x->npath + x->nvisits; i++) {
        const char *id = i < x->npath ? x->path[i] : x->visits[i - x->npath].key;
        uint32_t off = i < x->npath ? x->path_off[i] : x->visits[i - x->npath].offset;
        if (fz_graph_find_node(g, id, strlen(id)) != FZ_NONE)
            continue;
        int rc = fz_diags_add(d, FZ_SEV_ERROR, "S009", off, (uint32_t)strlen(id),
                              "expectations name nodes by id (n1, n2...), as the .fz file does",
                              "'%s' names node '%s', which the workflow does not have",
                              i < x->npath ? "path" : "visits", id);
        if (rc)
            return rc;
        status = FZ_EINVAL;
    }
    return status;
}

/*==========================================================================
 * Judging
 *========================================================================*/

static int holds(double a, fz_expect_op op, double v)
{
    switch (op) {
    case FZ_OP_LT:
        return a < v;
    case FZ_OP_LE:
        return a <= v;
    case FZ_OP_GT:
        return a > v;
    case FZ_OP_GE:
        return a >= v;
    case FZ_OP_EQ:
        return a == v;
    }
    return 0;
}

int fz_expect_judge(double lo, double hi, fz_expect_op op, double v)
{
    if (op == FZ_OP_EQ) {
        if (lo == v && hi == v)
            return 1;
        return (hi < v || lo > v) ? -1 : 0;
    }
    int a = holds(lo, op, v), b = holds(hi, op, v);
    /* Every comparison here is monotone in its argument: the ends decide. */
    if (a && b)
        return 1;
    if (!a && !b)
        return -1;
    return 0;
}

/*==========================================================================
 * Checking
 *========================================================================*/

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->oom)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256) + (size_t)n;
        char *ns = fz_realloc(NULL, b->s, b->cap, nc);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void fmt_dur(char *buf, size_t len, double ns)
{
    if (ns < 1e9) {
        snprintf(buf, len, "%.4gms", ns / 1e6);
        return;
    }
    double s = round(ns / 1e6) / 1e3; /* to the millisecond */
    uint64_t h = (uint64_t)(s / 3600);
    s -= (double)h * 3600;
    uint64_t m = (uint64_t)(s / 60);
    s -= (double)m * 60;
    int at = 0;
    buf[0] = 0;
    if (h)
        at += snprintf(buf + at, len - (size_t)at, "%lluh", (unsigned long long)h);
    if (m && at < (int)len)
        at += snprintf(buf + at, len - (size_t)at, "%llum", (unsigned long long)m);
    if ((s > 0.0005 || (!h && !m)) && at < (int)len)
        snprintf(buf + at, len - (size_t)at, "%.4gs", s);
}

/* State of one run being observed. */
typedef struct obs_state {
    const fz_expect *x;
    uint32_t *path;
    uint32_t npath, cap;
    uint32_t *visits; /* per node, for the nodes visits names */
    uint32_t *touched;
    uint32_t ntouched, tcap;
    uint64_t *node_runs, *edge_runs; /* runs that visited / took it (or NULL) */
    uint64_t *edge_stamp;            /* per edge: 1 + the last run that took it */
    uint64_t run;
    int oom;
} obs_state;

static void push_u32(uint32_t **a, uint32_t *n, uint32_t *cap, uint32_t v, int *oom)
{
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 64;
        uint32_t *na = fz_realloc(NULL, *a, sizeof(uint32_t) * *cap, sizeof(uint32_t) * nc);
        if (!na) {
            *oom = 1;
            return;
        }
        *a = na;
        *cap = nc;
    }
    (*a)[(*n)++] = v;
}

static void on_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t_ns;
    obs_state *o = ud;
    if (t->attempt <= 1)
        push_u32(&o->path, &o->npath, &o->cap, t->node, &o->oom);
    if (o->visits[t->node]++ == 0) {
        push_u32(&o->touched, &o->ntouched, &o->tcap, t->node, &o->oom);
        if (o->node_runs)
            o->node_runs[t->node]++;
    }
}

static void on_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    (void)token;
    (void)t_ns;
    obs_state *o = ud;
    if (o->edge_runs && o->edge_stamp[edge] != o->run + 1) {
        o->edge_stamp[edge] = o->run + 1;
        o->edge_runs[edge]++;
    }
}

static int outcome_ok(const fz_expect *x, pcre2_code *re, pcre2_match_data *md, const char *oc)
{
    switch (x->oc_kind) {
    case OC_EXACT:
        return strcmp(oc, x->oc) == 0;
    case OC_PREFIX:
        return strncmp(oc, x->oc, strlen(x->oc)) == 0;
    default:
        return pcre2_match(re, (PCRE2_SPTR)oc, strlen(oc), 0, 0, md, NULL) >= 0;
    }
}

static const char *oc_kind_text(const fz_expect *x)
{
    return x->oc_kind == OC_EXACT ? "exactly" : x->oc_kind == OC_PREFIX ? "prefix" : "match";
}

/* One expectation's verdict and its text. */
typedef struct finding {
    int verdict; /* 1 pass, -1 fail, 0 undecided */
    char text[768];
} finding;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Is every latency of the scenario fixed (so durations do not vary)? */
static int fixed_latencies(const fz_scenario *s)
{
    for (uint32_t n = 0; n < s->nnodes; n++) {
        const fz_sim_node *nd = &s->nodes[n];
        for (uint32_t i = 0; i < nd->nparams; i++) {
            const fz_sim_params *p = &nd->params[i];
            if (p->latency.kind != FZ_DIST_FIXED)
                return 0;
            for (uint32_t k = 0; k < p->nscript; k++)
                if (p->script[k].latency_set && p->script[k].latency.kind != FZ_DIST_FIXED)
                    return 0;
        }
    }
    return 1;
}

int fz_expect_check(const fz_plan *plan, const fz_scenario *s, const fz_expect *x,
                    const fz_expect_opts *o, fz_expect_result *res)
{
    uint64_t *node_runs = res->node_runs, *edge_runs = res->edge_runs;
    memset(res, 0, sizeof *res);
    res->node_runs = node_runs;
    res->edge_runs = edge_runs;
    res->failed_run = UINT64_MAX;
    uint64_t min_runs = o->min_runs ? o->min_runs : 1000;
    uint64_t max_runs = o->max_runs ? o->max_runs : 256000;
    if (max_runs < min_runs)
        max_runs = min_runs;
    const fz_graph *g = fz_plan_graph(plan);
    uint32_t nn = fz_graph_node_count(g);
    uint32_t nexp = fz_expect_count(x);
    int rc = 0;

    /* --exact where it applies. */
    fz_exact *ex = NULL;
    if (!s->time_dependent) {
        char why[256];
        if (fz_exact_run(plan, s, 100000, NULL, &ex, why, sizeof why)) {
            fz_exact_free(ex);
            ex = NULL;
        }
    }
    /* One path of choices: every run takes the same nodes and ends the
     * same way; only durations can differ, through latency distributions. */
    int one_run = ex && fz_exact_paths(ex) == 1 && fz_exact_pruned(ex) == 0 &&
                  (!x || !x->ndur || fixed_latencies(s));

    pcre2_code *re = NULL;
    pcre2_match_data *md = NULL;
    if (x && x->has_outcome && x->oc_kind == OC_MATCH) {
        int ec;
        PCRE2_SIZE eo;
        re = pcre2_compile((PCRE2_SPTR)x->oc, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
        md = re ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
        if (!re || !md) {
            rc = FZ_EINVAL;
            goto out_early;
        }
    }

    /* Scratch through the default allocator hook; the sizes, for fz_free. */
    size_t nf = nexp ? nexp : 1, nes = fz_graph_edge_count(g) ? fz_graph_edge_count(g) : 1;
    size_t nvis = nn ? nn : 1, nsh = x && x->nshare ? x->nshare : 1;
    size_t npi = x && x->npath ? x->npath : 1, nvi = x && x->nvisits ? x->nvisits : 1;
    finding *f = fz_calloc(NULL, nf, sizeof *f);
    obs_state st = {.x = x, .node_runs = node_runs, .edge_runs = edge_runs};
    st.edge_stamp = fz_calloc(NULL, nes, sizeof(uint64_t));
    st.visits = fz_calloc(NULL, nvis, sizeof(uint32_t));
    uint64_t *durs = NULL, dcap = 0;
    uint64_t *share_k = fz_calloc(NULL, nsh, sizeof(uint64_t));
    uint32_t *path_idx = fz_calloc(NULL, npi, sizeof(uint32_t));
    uint32_t *visit_idx = fz_calloc(NULL, nvi, sizeof(uint32_t));
    fz_sim *sim = NULL;
    enum { SEEN_MAX = 6 };
    char *seen[SEEN_MAX];
    uint32_t nseen = 0;
    if (!f || !st.visits || !st.edge_stamp || !share_k || !path_idx || !visit_idx) {
        rc = FZ_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; x && i < x->npath; i++)
        path_idx[i] = fz_graph_find_node(g, x->path[i], strlen(x->path[i]));
    for (uint32_t i = 0; x && i < x->nvisits; i++)
        visit_idx[i] = fz_graph_find_node(g, x->visits[i].key, strlen(x->visits[i].key));
    for (uint32_t i = 0; x && i < x->nvisits; i++)
        if (visit_idx[i] == FZ_NONE) { /* fz_expect_bind() was not called, or failed */
            rc = FZ_EINVAL;
            goto out;
        }
    if ((rc = fz_sim_new(plan, s, o->seed, NULL, &sim)))
        goto out;
    fz_observer obs = {.on_start = on_start, .on_edge = on_edge, .ud = &st};

    /* Finding slots: outcome, path, visits..., duration..., share... */
    uint32_t f_oc = 0, f_path = f_oc + (x && x->has_outcome);
    uint32_t f_vis = f_path + (x && x->has_path), f_dur = f_vis + (x ? x->nvisits : 0);
    uint32_t f_sh = f_dur + (x ? x->ndur : 0);
    for (uint32_t i = 0; i < nexp; i++)
        f[i].verdict = 1;

    uint64_t done = 0, target = one_run ? 1 : min_runs;
    double dsum = 0, dsum2 = 0;
    for (;;) {
        if (target > dcap) {
            uint64_t *nd = fz_realloc(NULL, durs, sizeof(uint64_t) * dcap, sizeof(uint64_t) * target);
            if (!nd) {
                rc = FZ_ENOMEM;
                goto out;
            }
            durs = nd;
            dcap = target;
        }
        for (; done < target; done++) {
            fz_sim_run_info info;
            st.npath = 0;
            st.run = done;
            if ((rc = fz_sim_replay(sim, done, &obs, &info)))
                goto out;
            if (st.oom) {
                rc = FZ_ENOMEM;
                goto out;
            }
            durs[done] = info.duration_ns;
            dsum += (double)info.duration_ns;
            dsum2 += (double)info.duration_ns * (double)info.duration_ns;
            if (x) {
                const char *oc = info.outcome;
                if (x->has_outcome && f[f_oc].verdict > 0 && !outcome_ok(x, re, md, oc)) {
                    f[f_oc].verdict = -1;
                    snprintf(f[f_oc].text, sizeof f[f_oc].text,
                             "outcome: run %llu ended \"%s\", expected %s \"%s\"",
                             (unsigned long long)done, oc, oc_kind_text(x), x->oc);
                    if (res->failed_run == UINT64_MAX)
                        res->failed_run = done;
                }
                if (x->has_path && f[f_path].verdict > 0) {
                    int same = st.npath == x->npath;
                    for (uint32_t i = 0; same && i < x->npath; i++)
                        same = st.path[i] == path_idx[i];
                    if (!same) {
                        sbuf b = {0};
                        sb_add(&b, "path: run %llu went [", (unsigned long long)done);
                        for (uint32_t i = 0; i < st.npath && i < 40; i++) {
                            const fz_node *nd = fz_graph_node(g, st.path[i]);
                            sb_add(&b, "%s%.*s", i ? ", " : "", (int)nd->id.len,
                                   fz_graph_text(g, nd->id));
                        }
                        sb_add(&b, "%s], expected [", st.npath > 40 ? ", ..." : "");
                        for (uint32_t i = 0; i < x->npath; i++)
                            sb_add(&b, "%s%s", i ? ", " : "", x->path[i]);
                        sb_add(&b, "]");
                        f[f_path].verdict = -1;
                        snprintf(f[f_path].text, sizeof f[f_path].text, "%s",
                                 b.s ? b.s : "path differs");
                        fz_free(NULL, b.s, b.cap);
                        if (res->failed_run == UINT64_MAX)
                            res->failed_run = done;
                    }
                }
                for (uint32_t i = 0; i < x->nvisits; i++) {
                    finding *fi = &f[f_vis + i];
                    uint32_t got = st.visits[visit_idx[i]];
                    if (fi->verdict > 0 && !holds(got, x->visits[i].op, x->visits[i].v)) {
                        fi->verdict = -1;
                        snprintf(fi->text, sizeof fi->text,
                                 "visits %s: run %llu visited it %u time%s, expected %s",
                                 x->visits[i].key, (unsigned long long)done, got,
                                 got == 1 ? "" : "s", x->visits[i].text);
                        if (res->failed_run == UINT64_MAX)
                            res->failed_run = done;
                    }
                }
                for (uint32_t i = 0; i < x->ndur; i++) {
                    finding *fi = &f[f_dur + i];
                    const x_cmp *c = &x->dur[i];
                    if ((c->q == -2 || c->q == -3) && fi->verdict > 0 &&
                        !holds((double)info.duration_ns, c->op, c->v)) {
                        char b1[32];
                        fmt_dur(b1, sizeof b1, (double)info.duration_ns);
                        fi->verdict = -1;
                        snprintf(fi->text, sizeof fi->text,
                                 "duration %s: run %llu took %s, expected %s", c->key,
                                 (unsigned long long)done, b1, c->text);
                        if (res->failed_run == UINT64_MAX)
                            res->failed_run = done;
                    }
                }
                for (uint32_t i = 0; i < x->nshare; i++)
                    share_k[i] += strcmp(info.outcome, x->share[i].key) == 0;
                uint32_t k = 0;
                while (k < nseen && strcmp(seen[k], info.outcome))
                    k++;
                if (k == nseen && nseen < SEEN_MAX && (seen[nseen] = fz_strdup(NULL, info.outcome)))
                    nseen++;
            }
            for (uint32_t i = 0; i < st.ntouched; i++)
                st.visits[st.touched[i]] = 0;
            st.ntouched = 0;
        }
        /* Judge the statistical expectations on the runs so far. */
        int undecided = 0;
        double n = (double)done;
        for (uint32_t i = 0; x && i < x->nshare; i++) {
            finding *fi = &f[f_sh + i];
            const x_cmp *c = &x->share[i];
            double lo, hi;
            const char *how;
            char extra[64] = "";
            if (one_run) {
                lo = hi = share_k[i] ? 1 : 0;
                how = "one run";
            } else if (ex) {
                double p = 0;
                for (uint32_t k = 0; k < fz_exact_count(ex); k++) {
                    const char *name;
                    double pk = fz_exact_at(ex, k, &name, NULL);
                    if (!strcmp(name, c->key))
                        p = pk;
                }
                double pr = fz_exact_pruned(ex);
                lo = p - pr < 0 ? 0 : p - pr;
                hi = p + pr > 1 ? 1 : p + pr;
                how = "exact";
                if (pr > 0)
                    snprintf(extra, sizeof extra, " (+/- %.3g pruned)", pr);
            } else {
                fz_report_wilson(share_k[i], done, &lo, &hi);
                how = "runs";
            }
            fi->verdict = fz_expect_judge(lo, hi, c->op, c->v);
            if (!one_run && !ex && fi->verdict == 0)
                undecided = 1;
            if (ex && !one_run)
                snprintf(fi->text, sizeof fi->text, "share \"%s\" %s: %.6g exact%s", c->key,
                         c->text, lo == hi ? lo : (lo + hi) / 2, extra);
            else if (one_run)
                snprintf(fi->text, sizeof fi->text, "share \"%s\" %s: %g in one run", c->key,
                         c->text, lo);
            else
                snprintf(fi->text, sizeof fi->text,
                         "share \"%s\" %s: %.4f, 95%% interval [%.4f, %.4f] in %llu %s", c->key,
                         c->text, (double)share_k[i] / n, lo, hi, (unsigned long long)done, how);
            if (fi->verdict < 0 && hi == 0) {
                /* A name no run ended with: say which names there are. */
                size_t at = strlen(fi->text);
                uint32_t m = ex ? fz_exact_count(ex) : nseen;
                at += (size_t)snprintf(fi->text + at, sizeof fi->text - at,
                                       " (no run ends so; outcomes:");
                for (uint32_t k = 0; k < m && k < SEEN_MAX && at < sizeof fi->text; k++) {
                    const char *name = NULL;
                    if (ex)
                        fz_exact_at(ex, k, &name, NULL);
                    else
                        name = seen[k];
                    at += (size_t)snprintf(fi->text + at, sizeof fi->text - at, "%s \"%s\"",
                                           k ? "," : "", name);
                }
                if (at < sizeof fi->text)
                    snprintf(fi->text + at, sizeof fi->text - at, "%s)",
                             m > SEEN_MAX ? ", ..." : "");
            }
        }
        for (uint32_t i = 0; x && i < x->ndur; i++) {
            finding *fi = &f[f_dur + i];
            const x_cmp *c = &x->dur[i];
            if (c->q == -2 || c->q == -3) {
                if (fi->verdict > 0) {
                    uint64_t ext = durs[0];
                    for (uint64_t k = 1; k < done; k++)
                        ext = c->q == -2 ? (durs[k] > ext ? durs[k] : ext)
                                         : (durs[k] < ext ? durs[k] : ext);
                    char b1[32];
                    fmt_dur(b1, sizeof b1, (double)ext);
                    snprintf(fi->text, sizeof fi->text, "duration %s %s: %s in %llu run%s", c->key,
                             c->text, b1, (unsigned long long)done, done == 1 ? "" : "s");
                }
                continue;
            }
            char b1[32], b2[32];
            if (c->q == -1) { /* mean: normal interval of the sample mean */
                double mean = dsum / n;
                double var = done > 1 ? (dsum2 - dsum * dsum / n) / (n - 1) : 0;
                double half = one_run || var <= 0 ? 0 : 1.959963984540054 * sqrt(var / n);
                fi->verdict = fz_expect_judge(mean - half, mean + half, c->op, c->v);
                fmt_dur(b1, sizeof b1, mean);
                fmt_dur(b2, sizeof b2, half);
                snprintf(fi->text, sizeof fi->text, "duration mean %s: %s +/- %s in %llu run%s",
                         c->text, b1, b2, (unsigned long long)done, done == 1 ? "" : "s");
            } else {
                /* pQ OP X through the share of runs on X's side, judged by
                 * its Wilson interval against Q. */
                uint64_t below = 0, at_or_below = 0;
                for (uint64_t k = 0; k < done; k++) {
                    below += (double)durs[k] < c->v;
                    at_or_below += (double)durs[k] <= c->v;
                }
                int v1 = 1, v2 = 1;
                double lo, hi;
                if (one_run) {
                    v1 = fz_expect_judge((double)durs[0], (double)durs[0], c->op, c->v);
                    v2 = 1;
                } else {
                    if (c->op == FZ_OP_LT || c->op == FZ_OP_EQ) {
                        fz_report_wilson(c->op == FZ_OP_LT ? below : at_or_below, done, &lo, &hi);
                        v1 = fz_expect_judge(lo, hi, c->op == FZ_OP_LT ? FZ_OP_GT : FZ_OP_GE, c->q);
                    }
                    if (c->op == FZ_OP_LE)
                        fz_report_wilson(at_or_below, done, &lo, &hi),
                            v1 = fz_expect_judge(lo, hi, FZ_OP_GE, c->q);
                    if (c->op == FZ_OP_GT)
                        fz_report_wilson(at_or_below, done, &lo, &hi),
                            v1 = fz_expect_judge(lo, hi, FZ_OP_LT, c->q);
                    if (c->op == FZ_OP_GE || c->op == FZ_OP_EQ) {
                        fz_report_wilson(below, done, &lo, &hi);
                        v2 = fz_expect_judge(lo, hi, FZ_OP_LE, c->q);
                    }
                }
                fi->verdict = (v1 < 0 || v2 < 0) ? -1 : (v1 == 0 || v2 == 0) ? 0 : 1;
                if (!one_run && fi->verdict == 0)
                    undecided = 1;
                uint64_t *sorted = fz_malloc(NULL, sizeof(uint64_t) * done);
                if (!sorted) {
                    rc = FZ_ENOMEM;
                    goto out;
                }
                memcpy(sorted, durs, sizeof(uint64_t) * done);
                qsort(sorted, done, sizeof(uint64_t), cmp_u64);
                uint64_t qi = (uint64_t)ceil(c->q * n);
                qi = qi ? qi - 1 : 0;
                fmt_dur(b1, sizeof b1, (double)sorted[qi < done ? qi : done - 1]);
                fz_free(NULL, sorted, sizeof(uint64_t) * done);
                snprintf(fi->text, sizeof fi->text, "duration %s %s: %s in %llu run%s%s", c->key,
                         c->text, b1, (unsigned long long)done, done == 1 ? "" : "s",
                         one_run ? "" : " (judged by the share of runs on each side, 95%)");
            }
        }
        int any_failed = 0;
        for (uint32_t i = 0; i < nexp; i++)
            any_failed |= f[i].verdict < 0;
        if (!undecided || any_failed || done >= max_runs || one_run)
            break;
        target = done * 2 > max_runs ? max_runs : done * 2;
    }

    /* --exact judges every-run outcomes too: an outcome with probability
     * above 0 that does not match fails even if no run drew it. */
    if (x && x->has_outcome && ex && !one_run && f[f_oc].verdict > 0) {
        for (uint32_t k = 0; k < fz_exact_count(ex); k++) {
            const char *name;
            double p = fz_exact_at(ex, k, &name, NULL);
            if (p > 0 && !outcome_ok(x, re, md, name)) {
                f[f_oc].verdict = -1;
                snprintf(f[f_oc].text, sizeof f[f_oc].text,
                         "outcome: \"%s\" has probability %.6g (exact), expected %s \"%s\"", name,
                         p, oc_kind_text(x), x->oc);
                break;
            }
        }
    }
    if (x && x->has_outcome && f[f_oc].verdict > 0)
        snprintf(f[f_oc].text, sizeof f[f_oc].text, "outcome %s \"%s\": every run", oc_kind_text(x),
                 x->oc);
    if (x && x->has_path && f[f_path].verdict > 0)
        snprintf(f[f_path].text, sizeof f[f_path].text, "path: every run");
    for (uint32_t i = 0; x && i < x->nvisits; i++)
        if (f[f_vis + i].verdict > 0)
            snprintf(f[f_vis + i].text, sizeof f[f_vis + i].text, "visits %s: %s in every run",
                     x->visits[i].key, x->visits[i].text);

    res->runs = done;
    res->method = one_run ? "one run" : ex ? "exact + runs" : "Monte Carlo";
    sbuf b = {0};
    for (int pass = -1; pass <= 1; pass++)
        for (uint32_t i = 0; i < nexp; i++)
            if (f[i].verdict == pass) {
                sb_add(&b, "%s%s%s", b.len ? "; " : "", pass == 0 ? "undecided: " : "", f[i].text);
                if (pass == 0 && !one_run && !ex)
                    sb_add(&b, " (the cap of %llu runs was reached)", (unsigned long long)max_runs);
            }
    res->message = b.oom ? NULL : fz_strdup(NULL, b.s ? b.s : "");
    fz_free(NULL, b.s, b.cap);
    if (!res->message) {
        rc = FZ_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < nexp; i++) {
        res->passed += f[i].verdict > 0;
        res->failed += f[i].verdict < 0;
        res->undecided += f[i].verdict == 0;
    }
    res->verdict = res->failed      ? FZ_EXPECT_FAIL
                   : res->undecided ? FZ_EXPECT_UNDECIDED
                                    : FZ_EXPECT_PASS;
out:
    for (uint32_t k = 0; k < nseen; k++)
        fz_free(NULL, seen[k], strlen(seen[k]) + 1);
    fz_sim_free(sim);
    fz_free(NULL, f, nf * sizeof *f);
    fz_free(NULL, st.visits, nvis * sizeof(uint32_t));
    fz_free(NULL, st.path, st.cap * sizeof(uint32_t));
    fz_free(NULL, st.touched, st.tcap * sizeof(uint32_t));
    fz_free(NULL, st.edge_stamp, nes * sizeof(uint64_t));
    fz_free(NULL, durs, dcap * sizeof(uint64_t));
    fz_free(NULL, share_k, nsh * sizeof(uint64_t));
    fz_free(NULL, path_idx, npi * sizeof(uint32_t));
    fz_free(NULL, visit_idx, nvi * sizeof(uint32_t));
out_early:
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    fz_exact_free(ex);
    return rc;
}

void fz_expect_result_fini(fz_expect_result *res)
{
    if (res->message)
        fz_free(NULL, res->message, strlen(res->message) + 1);
    res->message = NULL;
}
