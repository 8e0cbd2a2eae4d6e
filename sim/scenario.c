/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - reading scenario files (YAML through libfyaml) and compiling
 * one named scenario against a graph. Loading keeps every value with the
 * byte offset of the field it came from, so an error or warning found at
 * load or compile time points at the field (file:line:col in the CLI).
 * Nothing here runs per simulated step: fz_scenario_compile() leaves a flat
 * per-node table the backend reads.
 */
#include "sim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/duration.h"
#include "core/nearest.h"
#include "core/status.h"
#include "engine/match.h"
#include "engine/yamldoc.h"
#include "engine/yamlpos.h"
#include "parser/words.h"
#include "sim/expect.h"

/*==========================================================================
 * The file as read
 *========================================================================*/

enum {
    P_LATENCY = 1u << 0,
    P_NO = 1u << 1,
    P_ERROR = 1u << 2,
    P_TIMEOUT = 1u << 3,
    P_RETRIES = 1u << 4,
    P_BACKOFF = 1u << 5,
    P_WEIGHTS = 1u << 6,
    P_SCRIPT = 1u << 7,
};

typedef struct weight_src {
    const char *label;
    double w;
    uint32_t offset;
} weight_src;

typedef struct params_src {
    unsigned set;
    fz_dist latency;
    double p_no, p_error;
    uint64_t timeout_ns;
    fz_policy policy; /* retries and backoff */
    weight_src *weights;
    uint32_t nweights;
    fz_sim_step *script;
    uint32_t nscript;
} params_src;

typedef struct rule_src {
    uint32_t offset;
    uint32_t match_off; /* of the pattern (or the rule) */
    const char *lane;
    uint32_t lane_off;
    fz_match *m;
    uint64_t from_ns, until_ns;
    uint8_t windowed;
    params_src p;
} rule_src;

typedef struct outage_src {
    uint32_t offset;
    const char *lane;
    uint32_t lane_off;
    uint64_t from_ns, until_ns;
    fz_answer answer;
} outage_src;

typedef struct scen_src {
    const char *name;
    uint32_t offset;
    params_src defaults;
    rule_src *rules;
    uint32_t nrules;
    outage_src *outages;
    uint32_t noutages;
    fz_dist start;
    uint8_t has_start;
    fz_expect *expect; /* `expect:` (sim/expect.c), or NULL */
} scen_src;

struct fz_scenario_file {
    const fz_alloc *alloc;
    fz_arena arena;
    char *name;
    char *text;
    uint32_t len;
    params_src defaults; /* shared by every scenario */
    rule_src *rules;     /* shared, tried after a scenario's own */
    uint32_t nrules;
    scen_src *scen;
    uint32_t nscen;
    uint64_t seed; /* `seed:` for `flowzap test` */
    uint8_t has_seed;
};

typedef struct ctx {
    fz_scenario_file *f;
    fz_diags *d;
    int oom; /* an arena allocation failed: the errors that follow are not real */
} ctx;

/*==========================================================================
 * YAML helpers
 *========================================================================*/

static uint32_t node_off(struct fy_node *n)
{
    return fz_yaml_node_offset(n);
}

static int err(ctx *c, struct fy_node *n, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int err(ctx *c, struct fy_node *n, const char *hint, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = fz_diags_add(c->d, FZ_SEV_ERROR, "S002", node_off(n), 1, hint, "%s", msg);
    return rc ? rc : FZ_EINVAL;
}

/* The scalar text of n, NUL-terminated in the arena, or NULL. */
static const char *scalar(ctx *c, struct fy_node *n)
{
    if (!n || !fy_node_is_scalar(n))
        return NULL;
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (!s)
        return NULL;
    char *copy = fz_arena_strndup(&c->f->arena, s, len);
    if (!copy)
        c->oom = 1;
    return copy;
}

static int want_scalar(ctx *c, struct fy_node *n, const char *field, const char **out)
{
    *out = scalar(c, n);
    if (!*out)
        return err(c, n, NULL, "'%s' must be a single value", field);
    return 0;
}

/* The one duration syntax of bindings and scenarios: core/duration.h. */
int fz_scenario_duration(const char *s, size_t len, double *ns)
{
    uint64_t v;
    int rc = fz_duration_parse(s, len, &v);
    if (rc)
        return rc;
    *ns = (double)v;
    return 0;
}

static const char duration_hint[] =
    "write a number of seconds or a number with a unit: ns, us, ms, s, m or min, h (\"1m30s\")";

static int get_duration(ctx *c, struct fy_node *n, const char *field, double *ns)
{
    const char *s = scalar(c, n);
    if (!s || fz_scenario_duration(s, strlen(s), ns))
        return err(c, n, duration_hint, "'%s' must be a duration, found '%s'", field,
                   s ? s : "a list or mapping");
    /* Virtual time is a uint64_t of nanoseconds: about 584 years at most. */
    if (!(*ns < 1.8e19))
        return err(c, n, duration_hint, "'%s' is too long, found '%s'", field, s);
    return 0;
}

static int get_number(ctx *c, struct fy_node *n, const char *field, double *v)
{
    const char *s = scalar(c, n);
    char *end = NULL;
    if (s) {
        errno = 0;
        *v = strtod(s, &end);
    }
    if (!s || !*s || *end || errno || !isfinite(*v))
        return err(c, n, NULL, "'%s' must be a number, found '%s'", field,
                   s ? s : "a list or mapping");
    return 0;
}

static int get_prob(ctx *c, struct fy_node *n, const char *field, double *v)
{
    const char *s = scalar(c, n);
    char *end = NULL;
    if (s) {
        errno = 0;
        *v = strtod(s, &end);
        if (end != s && *end == '%' && end[1] == 0) {
            *v /= 100.0;
            end++;
        }
    }
    if (!s || !*s || *end || errno || !(*v >= 0.0 && *v <= 1.0))
        return err(c, n, "write a probability between 0 and 1, or a percentage such as 5%",
                   "'%s' must be a probability, found '%s'", field,
                   s ? s : "a list or mapping");
    return 0;
}

static int get_count(ctx *c, struct fy_node *n, const char *field, uint32_t *v)
{
    const char *s = scalar(c, n);
    char *end = NULL;
    unsigned long x = 0;
    if (s && isdigit((unsigned char)*s)) {
        errno = 0;
        x = strtoul(s, &end, 10);
    }
    if (!s || !end || *end || errno || x > 1000000)
        return err(c, n, NULL, "'%s' must be a whole number (0 to 1000000), found '%s'", field,
                   s ? s : "a list or mapping");
    *v = (uint32_t)x;
    return 0;
}

static int get_bool(ctx *c, struct fy_node *n, const char *field, uint8_t *v)
{
    const char *s = scalar(c, n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
        *v = 1;
        return 0;
    }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
        *v = 0;
        return 0;
    }
    return err(c, n, NULL, "'%s' must be true or false, found '%s'", field,
               s ? s : "a list or mapping");
}

static int unknown_key(ctx *c, struct fy_node *key, const char *where, const char *expected)
{
    const char *k = scalar(c, key);
    char near[64], dym[96] = "";
    if (k && fz_nearest_in(k, strlen(k), expected, near, sizeof near))
        snprintf(dym, sizeof dym, "; did you mean '%s'?", near);
    int rc = fz_diags_add(c->d, FZ_SEV_ERROR, "S003", node_off(key), k ? (uint32_t)strlen(k) : 1,
                          expected, "unknown field '%s' in %s%s", k ? k : "?", where, dym);
    return rc ? rc : FZ_EINVAL;
}

/* Iterates the pairs of a mapping: for (pair...) with key text k. */
#define FOR_PAIRS(map, it, pair, key, val, k)                                  \
    for (void *it = NULL; ((pair) = fy_node_mapping_iterate((map), &it)) != NULL;) \
        if (((key) = fy_node_pair_key(pair)), ((val) = fy_node_pair_value(pair)), \
            ((k) = scalar(c, key)) != NULL)

/*==========================================================================
 * Distributions
 *========================================================================*/

static const char dist_hint[] =
    "write a duration (fixed), or one of: {uniform: [MIN, MAX]}, {normal: {mean: D, sd: D}}, "
    "{lognormal: {median: D, sigma: X}}, {exponential: {mean: D}}, {empirical: [D, D, ...]}";

static int get_dist(ctx *c, struct fy_node *n, const char *field, fz_dist *out)
{
    double a = 0, b = 0;
    if (fy_node_is_scalar(n)) {
        int rc = get_duration(c, n, field, &a);
        *out = fz_dist_fixed(a);
        return rc;
    }
    if (!fy_node_is_mapping(n) || fy_node_mapping_item_count(n) != 1)
        return err(c, n, dist_hint, "'%s' must be a duration or a one-key distribution", field);
    void *it = NULL;
    struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);
    struct fy_node *key = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
    const char *k = scalar(c, key);
    int kind = k ? fz_dist_parse(k, (uint32_t)strlen(k)) : -1;
    int rc = 0;
    if (kind < 0) {
        rc = fz_diags_add(c->d, FZ_SEV_ERROR, "S004", node_off(key), k ? (uint32_t)strlen(k) : 1,
                          dist_hint, "unknown distribution '%s' in '%s'", k ? k : "?", field);
        return rc ? rc : FZ_EINVAL;
    }
    switch ((fz_dist_kind)kind) {
    case FZ_DIST_FIXED:
        rc = get_duration(c, v, "fixed", &a);
        *out = fz_dist_fixed(a);
        break;
    case FZ_DIST_EXPONENTIAL:
        if (fy_node_is_mapping(v)) {
            struct fy_node *m = fy_node_mapping_lookup_by_string(v, "mean", FY_NT);
            if (!m)
                return err(c, v, "write {exponential: {mean: 3s}}", "'%s' needs a mean",
                           "exponential");
            rc = get_duration(c, m, "mean", &a);
        } else {
            rc = get_duration(c, v, "exponential", &a);
        }
        if (!rc && a <= 0)
            rc = err(c, v, NULL, "'%s' needs a mean above 0", "exponential");
        *out = fz_dist_exponential(a);
        break;
    case FZ_DIST_UNIFORM: {
        struct fy_node *lo = NULL, *hi = NULL;
        if (fy_node_is_sequence(v) && fy_node_sequence_item_count(v) == 2) {
            lo = fy_node_sequence_get_by_index(v, 0);
            hi = fy_node_sequence_get_by_index(v, 1);
        } else if (fy_node_is_mapping(v)) {
            lo = fy_node_mapping_lookup_by_string(v, "min", FY_NT);
            hi = fy_node_mapping_lookup_by_string(v, "max", FY_NT);
        }
        if (!lo || !hi)
            return err(c, v, "write {uniform: [1s, 5s]} or {uniform: {min: 1s, max: 5s}}",
                       "'%s' needs a minimum and a maximum", "uniform");
        if ((rc = get_duration(c, lo, "min", &a)) || (rc = get_duration(c, hi, "max", &b)))
            return rc;
        if (b < a)
            return err(c, v, NULL, "'%s': the maximum is below the minimum", "uniform");
        *out = fz_dist_uniform(a, b);
        break;
    }
    case FZ_DIST_NORMAL:
    case FZ_DIST_LOGNORMAL: {
        int normal = kind == FZ_DIST_NORMAL;
        const char *k1 = normal ? "mean" : "median", *k2 = normal ? "sd" : "sigma";
        struct fy_node *m1 = NULL, *m2 = NULL;
        if (fy_node_is_mapping(v)) {
            m1 = fy_node_mapping_lookup_by_string(v, k1, FY_NT);
            m2 = fy_node_mapping_lookup_by_string(v, k2, FY_NT);
        }
        if (!m1 || !m2)
            return err(c, v,
                       normal ? "write {normal: {mean: 10s, sd: 2s}}"
                              : "write {lognormal: {median: 2s, sigma: 0.5}}",
                       "'%s' needs %s", fz_dist_name((fz_dist_kind)kind),
                       normal ? "a mean and an sd" : "a median and a sigma");
        if ((rc = get_duration(c, m1, k1, &a)))
            return rc;
        rc = normal ? get_duration(c, m2, k2, &b) : get_number(c, m2, k2, &b);
        if (rc)
            return rc;
        if (b < 0 || (!normal && a <= 0))
            return err(c, v, NULL, "'%s': %s", fz_dist_name((fz_dist_kind)kind),
                       normal ? "the sd must not be negative"
                              : "the median must be above 0 and sigma not negative");
        *out = normal ? fz_dist_normal(a, b) : fz_dist_lognormal(a, b);
        break;
    }
    case FZ_DIST_EMPIRICAL: {
        int n_items = fy_node_is_sequence(v) ? fy_node_sequence_item_count(v) : 0;
        if (n_items <= 0)
            return err(c, v, "write {empirical: [1.2s, 0.8s, 3s]}",
                       "'%s' needs a list of samples", "empirical");
        double *xs = fz_arena_alloc(&c->f->arena, sizeof(double) * (size_t)n_items);
        if (!xs)
            return FZ_ENOMEM;
        /* Iterate: fy_node_sequence_get_by_index walks the list from its
         * head, so indexing each item would be quadratic in the list. */
        void *si = NULL;
        for (int i = 0; i < n_items; i++)
            if ((rc = get_duration(c, fy_node_sequence_iterate(v, &si), "empirical", &xs[i])))
                return rc;
        *out = fz_dist_empirical(xs, (uint32_t)n_items);
        break;
    }
    case FZ_DIST_COUNT:
        break;
    }
    return rc;
}

/*==========================================================================
 * Params, rules, outages, scenarios
 *========================================================================*/

static int parse_answer(const char *s, fz_answer *a)
{
    static const char *const names[] = {"ok", "no", "error", "timeout"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *a = (fz_answer)i;
            return 0;
        }
    return FZ_EINVAL;
}

static int parse_script(ctx *c, struct fy_node *v, params_src *p)
{
    int n = fy_node_is_sequence(v) ? fy_node_sequence_item_count(v) : -1;
    if (n <= 0)
        return err(c, v, "write script: [error, error, ok]",
                   "'%s' must be a list of answers (ok, no, error, timeout, or an edge label)",
                   "script");
    p->script = fz_arena_alloc(&c->f->arena, sizeof(fz_sim_step) * (size_t)n);
    if (!p->script)
        return FZ_ENOMEM;
    p->nscript = (uint32_t)n;
    void *si = NULL; /* iterate: indexing walks the list (quadratic) */
    for (int i = 0; i < n; i++) {
        struct fy_node *e = fy_node_sequence_iterate(v, &si);
        fz_sim_step *st = &p->script[i];
        memset(st, 0, sizeof *st);
        struct fy_node *ans = e, *lat = NULL;
        if (fy_node_is_mapping(e)) {
            struct fy_node_pair *pair;
            struct fy_node *key, *val;
            const char *k;
            ans = NULL;
            FOR_PAIRS(e, it, pair, key, val, k)
            {
                if (!strcmp(k, "answer"))
                    ans = val;
                else if (!strcmp(k, "latency"))
                    lat = val;
                else
                    return unknown_key(c, key, "a script step", "expected: answer, latency");
            }
            if (!ans)
                return err(c, e, "write {answer: error, latency: 30s}",
                           "a script step needs an '%s'", "answer");
        }
        const char *s = scalar(c, ans);
        if (!s || !*s)
            return err(c, ans, NULL, "'%s' entries must be answers or edge labels", "script");
        if (parse_answer(s, &st->answer)) {
            st->answer = FZ_ANSWER_OK;
            st->outcome = s;
        }
        if (lat) {
            int rc = get_dist(c, lat, "latency", &st->latency);
            if (rc)
                return rc;
            st->latency_set = 1;
        }
    }
    return 0;
}

static int parse_backoff(ctx *c, struct fy_node *v, fz_policy *pol)
{
    double ns = 0;
    int rc;
    if (!fy_node_is_mapping(v)) {
        rc = get_duration(c, v, "backoff", &ns);
        pol->backoff_ns = (uint64_t)ns;
        return rc;
    }
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    FOR_PAIRS(v, it, pair, key, val, k)
    {
        if (!strcmp(k, "delay")) {
            rc = get_duration(c, val, "delay", &ns);
            pol->backoff_ns = (uint64_t)ns;
        } else if (!strcmp(k, "max")) {
            rc = get_duration(c, val, "max", &ns);
            pol->backoff_max_ns = (uint64_t)ns;
        } else if (!strcmp(k, "exponential")) {
            rc = get_bool(c, val, "exponential", &pol->exponential);
        } else {
            rc = unknown_key(c, key, "'backoff'", "expected: delay, exponential, max");
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_weights(ctx *c, struct fy_node *v, params_src *p)
{
    int n = fy_node_is_mapping(v) ? fy_node_mapping_item_count(v) : -1;
    if (n <= 0)
        return err(c, v, "write weights: {Yes: 0.9, No: 0.1}",
                   "'%s' must map outgoing edge labels to weights", "weights");
    p->weights = fz_arena_alloc(&c->f->arena, sizeof(weight_src) * (size_t)n);
    if (!p->weights)
        return FZ_ENOMEM;
    p->nweights = 0;
    double total = 0;
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    FOR_PAIRS(v, it, pair, key, val, k)
    {
        weight_src *w = &p->weights[p->nweights++];
        w->label = k;
        w->offset = node_off(key);
        int rc = get_number(c, val, k, &w->w);
        if (rc)
            return rc;
        if (w->w < 0)
            return err(c, val, NULL, "weight of '%s' must not be negative", k);
        total += w->w;
    }
    if (!(total > 0))
        return err(c, v, NULL, "'%s' must give some label a weight above 0", "weights");
    return 0;
}

static const char rule_fields[] =
    "expected: match, lane, shape, id, from, until, latency, no, error, timeout, retries, "
    "backoff, weights, script";
static const char default_fields[] =
    "expected: latency, no, error, timeout, retries, backoff, weights, script";

/* One params key; returns 1 when k is not a params key. */
static int parse_param(ctx *c, const char *k, struct fy_node *val, params_src *p, int *rc)
{
    double x;
    *rc = 0;
    if (!strcmp(k, "latency")) {
        *rc = get_dist(c, val, k, &p->latency);
        p->set |= P_LATENCY;
    } else if (!strcmp(k, "no")) {
        *rc = get_prob(c, val, k, &p->p_no);
        p->set |= P_NO;
    } else if (!strcmp(k, "error")) {
        *rc = get_prob(c, val, k, &p->p_error);
        p->set |= P_ERROR;
    } else if (!strcmp(k, "timeout")) {
        x = 0;
        *rc = get_duration(c, val, k, &x);
        if (*rc == 0)
            p->timeout_ns = (uint64_t)x;
        p->set |= P_TIMEOUT;
    } else if (!strcmp(k, "retries")) {
        *rc = get_count(c, val, k, &p->policy.retries);
        p->set |= P_RETRIES;
    } else if (!strcmp(k, "backoff")) {
        *rc = parse_backoff(c, val, &p->policy);
        p->set |= P_BACKOFF;
    } else if (!strcmp(k, "weights")) {
        *rc = parse_weights(c, val, p);
        p->set |= P_WEIGHTS;
    } else if (!strcmp(k, "script")) {
        *rc = parse_script(c, val, p);
        p->set |= P_SCRIPT;
    } else {
        return 1;
    }
    return 0;
}

static int check_probs(ctx *c, struct fy_node *map, const params_src *p)
{
    if ((p->set & P_NO) && (p->set & P_ERROR) && p->p_no + p->p_error > 1.0 + 1e-12)
        return err(c, map, NULL, "'no' and 'error' add up to more than 1");
    return 0;
}

static int parse_defaults(ctx *c, struct fy_node *map, params_src *p)
{
    if (!fy_node_is_mapping(map))
        return err(c, map, NULL, "'%s' must be a mapping of fields", "defaults");
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    FOR_PAIRS(map, it, pair, key, val, k)
    {
        int rc;
        if (parse_param(c, k, val, p, &rc))
            rc = unknown_key(c, key, "'defaults'", default_fields);
        if (rc)
            return rc;
    }
    return check_probs(c, map, p);
}

static int get_window(ctx *c, struct fy_node *map, uint64_t *from, uint64_t *until)
{
    struct fy_node *f = fy_node_mapping_lookup_by_string(map, "from", FY_NT);
    struct fy_node *u = fy_node_mapping_lookup_by_string(map, "until", FY_NT);
    double x;
    int rc;
    *from = 0;
    *until = UINT64_MAX;
    if (f) {
        if ((rc = get_duration(c, f, "from", &x)))
            return rc;
        *from = (uint64_t)x;
    }
    if (u) {
        if ((rc = get_duration(c, u, "until", &x)))
            return rc;
        *until = (uint64_t)x;
    }
    if (*until <= *from)
        return err(c, u ? u : f, NULL, "'%s' must come after 'from'", "until");
    return 0;
}

static int parse_rule(ctx *c, struct fy_node *map, rule_src *r)
{
    if (!fy_node_is_mapping(map))
        return err(c, map, "write - match: \"^Push\"  followed by the rule's fields",
                   "a rule must be a mapping of fields");
    r->offset = node_off(map);
    const char *pattern = NULL, *shape = NULL, *id = NULL;
    struct fy_node *pat_node = NULL, *shape_node = NULL;
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    int rc = 0;
    FOR_PAIRS(map, it, pair, key, val, k)
    {
        if (!strcmp(k, "match")) {
            rc = want_scalar(c, val, k, &pattern);
            pat_node = val;
        } else if (!strcmp(k, "lane")) {
            rc = want_scalar(c, val, k, &r->lane);
            r->lane_off = node_off(val);
        } else if (!strcmp(k, "shape")) {
            rc = want_scalar(c, val, k, &shape);
            shape_node = val;
        } else if (!strcmp(k, "id")) {
            rc = want_scalar(c, val, k, &id);
        } else if (!strcmp(k, "from") || !strcmp(k, "until")) {
            r->windowed = 1;
        } else if (parse_param(c, k, val, &r->p, &rc)) {
            rc = unknown_key(c, key, "a rule", rule_fields);
        }
        if (rc)
            return rc;
    }
    if (r->windowed && (rc = get_window(c, map, &r->from_ns, &r->until_ns)))
        return rc;
    if ((rc = check_probs(c, map, &r->p)))
        return rc;
    if (shape && fz_shape_parse(shape, strlen(shape)) < 0)
        return err(c, shape_node, "shapes are circle, rectangle, diamond, taskbox",
                   "unknown shape '%s'", shape);
    char msg[256];
    size_t erroff = SIZE_MAX;
    r->match_off = pat_node ? node_off(pat_node) : r->offset;
    rc = fz_match_new(pattern, NULL, shape, id, c->f->alloc, &r->m, msg, sizeof msg, &erroff);
    if (rc == FZ_EINVAL) {
        uint32_t off = r->match_off;
        int r2 = fz_diags_add(c->d, FZ_SEV_ERROR, "S005", off, 1, NULL,
                              "'match': bad pattern: %s", msg);
        return r2 ? r2 : FZ_EINVAL;
    }
    return rc;
}

static int parse_rules(ctx *c, struct fy_node *seq, rule_src **out, uint32_t *count)
{
    int n = fy_node_is_sequence(seq) ? fy_node_sequence_item_count(seq) : -1;
    if (n < 0)
        return err(c, seq, "write rules: as a list, each item starting with '- '",
                   "'%s' must be a list of rules", "rules");
    *out = fz_arena_alloc(&c->f->arena, sizeof(rule_src) * (size_t)(n ? n : 1));
    if (!*out)
        return FZ_ENOMEM;
    memset(*out, 0, sizeof(rule_src) * (size_t)(n ? n : 1));
    int status = 0;
    void *si = NULL; /* iterate: indexing walks the list (quadratic) */
    for (int i = 0; i < n; i++) {
        int rc = parse_rule(c, fy_node_sequence_iterate(seq, &si), &(*out)[i]);
        *count = (uint32_t)i + 1;
        if (rc == FZ_ENOMEM)
            return rc;
        if (rc)
            status = rc; /* keep going: report every bad rule */
    }
    return status;
}

static int parse_outages(ctx *c, struct fy_node *seq, scen_src *s)
{
    int n = fy_node_is_sequence(seq) ? fy_node_sequence_item_count(seq) : -1;
    if (n < 0)
        return err(c, seq, "write outages: [{lane: Monitoring, from: 10m, until: 20m}]",
                   "'%s' must be a list", "outages");
    s->outages = fz_arena_alloc(&c->f->arena, sizeof(outage_src) * (size_t)(n ? n : 1));
    if (!s->outages)
        return FZ_ENOMEM;
    void *si = NULL; /* iterate: indexing walks the list (quadratic) */
    for (int i = 0; i < n; i++) {
        struct fy_node *map = fy_node_sequence_iterate(seq, &si);
        outage_src *o = &s->outages[i];
        memset(o, 0, sizeof *o);
        o->answer = FZ_ANSWER_ERROR;
        o->offset = node_off(map);
        s->noutages = (uint32_t)i + 1;
        if (!fy_node_is_mapping(map))
            return err(c, map, NULL, "an outage must be a mapping (lane, from, until)");
        struct fy_node_pair *pair;
        struct fy_node *key, *val;
        const char *k;
        int rc = 0;
        FOR_PAIRS(map, it, pair, key, val, k)
        {
            if (!strcmp(k, "lane")) {
                rc = want_scalar(c, val, k, &o->lane);
                o->lane_off = node_off(val);
            } else if (!strcmp(k, "answer")) {
                const char *a = scalar(c, val);
                if (!a || parse_answer(a, &o->answer) || o->answer == FZ_ANSWER_OK)
                    rc = err(c, val, NULL, "'%s' must be no, error or timeout, found '%s'",
                             "answer", a ? a : "a list or mapping");
            } else if (strcmp(k, "from") && strcmp(k, "until")) {
                rc = unknown_key(c, key, "an outage", "expected: lane, from, until, answer");
            }
            if (rc)
                return rc;
        }
        if (!o->lane)
            return err(c, map, NULL, "an outage needs a '%s'", "lane");
        if (!fy_node_mapping_lookup_by_string(map, "from", FY_NT) ||
            !fy_node_mapping_lookup_by_string(map, "until", FY_NT))
            return err(c, map, "write {lane: Monitoring, from: 10m, until: 20m}",
                       "an outage needs '%s' and 'until'", "from");
        if ((rc = get_window(c, map, &o->from_ns, &o->until_ns)))
            return rc;
    }
    return 0;
}

static int parse_scenario(ctx *c, struct fy_node *map, scen_src *s)
{
    if (!fy_node_is_mapping(map))
        return err(c, map, NULL, "scenario '%s' must be a mapping of fields", s->name);
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    int status = 0;
    FOR_PAIRS(map, it, pair, key, val, k)
    {
        int rc = 0;
        if (!strcmp(k, "description")) {
            /* free text for readers */
        } else if (!strcmp(k, "defaults")) {
            rc = parse_defaults(c, val, &s->defaults);
        } else if (!strcmp(k, "rules")) {
            rc = parse_rules(c, val, &s->rules, &s->nrules);
        } else if (!strcmp(k, "outages")) {
            rc = parse_outages(c, val, s);
        } else if (!strcmp(k, "start")) {
            rc = get_dist(c, val, k, &s->start);
            s->has_start = 1;
        } else if (!strcmp(k, "expect")) {
            rc = fz_expect_parse(val, &c->f->arena, c->d, &s->expect);
        } else {
            rc = unknown_key(c, key, "a scenario",
                             "expected: description, start, defaults, rules, outages, expect");
        }
        if (rc == FZ_ENOMEM)
            return rc;
        if (rc)
            status = rc;
    }
    return status;
}

static int parse_top(ctx *c, struct fy_node *root)
{
    fz_scenario_file *f = c->f;
    if (!root || (fy_node_is_scalar(root) && fy_node_is_null(root))) {
        /* An empty file (or only comments): one scenario "default" with no
         * rules, the scenario `flowzap sim` runs without --faults. */
        f->scen = fz_arena_alloc(&f->arena, sizeof(scen_src));
        if (!f->scen)
            return FZ_ENOMEM;
        memset(f->scen, 0, sizeof(scen_src));
        f->scen->name = "default";
        f->nscen = 1;
        return 0;
    }
    if (!fy_node_is_mapping(root))
        return err(c, root, "see docs/sim.md for the scenario format",
                   "a scenario file must be a mapping (defaults, rules, scenarios)");
    struct fy_node *scen = fy_node_mapping_lookup_by_string(root, "scenarios", FY_NT);
    int status = 0;
    scen_src *single = NULL;
    if (scen) {
        int n = fy_node_is_mapping(scen) ? fy_node_mapping_item_count(scen) : -1;
        if (n <= 0)
            return err(c, scen, "write scenarios: {NAME: {rules: [...]}, ...}",
                       "'%s' must map scenario names to scenarios", "scenarios");
        f->scen = fz_arena_alloc(&f->arena, sizeof(scen_src) * (size_t)n);
        if (!f->scen)
            return FZ_ENOMEM;
        memset(f->scen, 0, sizeof(scen_src) * (size_t)n);
        struct fy_node_pair *pair;
        struct fy_node *key, *val;
        const char *k;
        FOR_PAIRS(scen, it, pair, key, val, k)
        {
            scen_src *s = &f->scen[f->nscen++];
            s->name = k;
            s->offset = node_off(key);
            int rc = parse_scenario(c, val, s);
            if (rc == FZ_ENOMEM)
                return rc;
            if (rc)
                status = rc;
        }
    } else {
        f->scen = single = fz_arena_alloc(&f->arena, sizeof(scen_src));
        if (!single)
            return FZ_ENOMEM;
        memset(single, 0, sizeof *single);
        single->name = "default";
        f->nscen = 1;
    }
    struct fy_node_pair *pair;
    struct fy_node *key, *val;
    const char *k;
    FOR_PAIRS(root, it, pair, key, val, k)
    {
        int rc = 0;
        if (!strcmp(k, "scenarios") || !strcmp(k, "description") || !strcmp(k, "version")) {
            /* handled above, or free text */
        } else if (!strcmp(k, "defaults")) {
            rc = parse_defaults(c, val, &f->defaults);
        } else if (!strcmp(k, "rules")) {
            rc = parse_rules(c, val, &f->rules, &f->nrules);
        } else if (!strcmp(k, "seed")) {
            double v = -1;
            if ((rc = get_number(c, val, k, &v)) == 0 && !(v >= 0 && v < 9.2e18 && v == floor(v)))
                rc = err(c, val, NULL, "'seed' must be a whole number from 0 to 2^63-1");
            f->seed = rc ? 0 : (uint64_t)v;
            f->has_seed = !rc;
        } else if (single && !strcmp(k, "outages")) {
            rc = parse_outages(c, val, single);
        } else if (single && !strcmp(k, "start")) {
            rc = get_dist(c, val, k, &single->start);
            single->has_start = 1;
        } else {
            rc = unknown_key(c, key, "the scenario file",
                             "expected: scenarios, defaults, rules, seed (and, without "
                             "scenarios, start, outages)");
        }
        if (rc == FZ_ENOMEM)
            return rc;
        if (rc)
            status = rc;
    }
    return status;
}

/*==========================================================================
 * Loading
 *========================================================================*/

static void diag_sink(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

/* Byte offset of libfyaml's 1-based line and column in text. */
static uint32_t offset_of(const char *text, uint32_t len, int line, int col)
{
    return fz_yaml_line_col_offset(text, len, line, col);
}

/* True when text holds only blanks, newlines and # comments: an empty
 * scenario file. */
static int blank_yaml(const char *t, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        if (t[i] == '#')
            while (i < len && t[i] != '\n')
                i++;
        else if (i < len && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
            return 0;
    }
    return 1;
}

/* Offset of the first byte that is not valid UTF-8 (or a NUL), or len.
 * libfyaml 0.7.12 can loop forever on invalid UTF-8 in a directive line,
 * so such input never reaches it. */
static uint32_t bad_utf8(const unsigned char *s, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        uint32_t n;
        uint32_t cp;
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + n >= len) /* truncated sequence */
            return i;
        for (uint32_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

int fz_scenario_parse(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                      fz_diags *d, fz_scenario_file **out)
{
    *out = NULL;
    if (len >= INT32_MAX)
        return FZ_ETOOBIG;
    fz_scenario_file *f = fz_calloc(alloc, 1, sizeof *f);
    if (!f)
        return FZ_ENOMEM;
    f->alloc = alloc;
    fz_arena_init(&f->arena, alloc);
    f->name = fz_arena_strndup(&f->arena, name, strlen(name));
    f->text = fz_arena_strndup(&f->arena, text, len);
    f->len = (uint32_t)len;
    *out = f;
    if (!f->name || !f->text)
        return FZ_ENOMEM;

    uint32_t bad = bad_utf8((const unsigned char *)f->text, f->len);
    if (bad < f->len) {
        int r2 = fz_diags_add(d, FZ_SEV_ERROR, "S001", bad, 1,
                              "scenario files are UTF-8 text without NUL bytes",
                              "YAML: byte 0x%02x is not valid UTF-8 text",
                              (unsigned char)f->text[bad]);
        return r2 ? r2 : FZ_EPARSE;
    }
    if (blank_yaml(f->text, f->len)) {
        /* Empty, or only comments: libfyaml has no document to give. */
        ctx c0 = {f, d, 0};
        int r0 = parse_top(&c0, NULL);
        return c0.oom ? FZ_ENOMEM : r0;
    }
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_sink;
    dcfg.colorize = false;
    struct fy_diag *fdiag = fy_diag_create(&dcfg);
    if (!fdiag)
        return FZ_ENOMEM;
    fy_diag_set_collect_errors(fdiag, true);
    struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = fdiag};
    struct fy_document *doc = fy_document_build_from_string(&pcfg, f->text, f->len);
    int rc = 0;
    if (!doc || fy_diag_got_error(fdiag)) {
        void *it = NULL;
        struct fy_diag_error *e;
        int any = 0;
        while ((e = fy_diag_errors_iterate(fdiag, &it)) != NULL) {
            if (e->type < FYET_ERROR)
                continue;
            any = 1;
            rc = fz_diags_add(d, FZ_SEV_ERROR, "S001", offset_of(f->text, f->len, e->line, e->column),
                              1, NULL, "YAML: %s", e->msg);
            if (rc)
                goto out;
        }
        if (!any && (rc = fz_diags_add(d, FZ_SEV_ERROR, "S001", 0, 1, NULL,
                                       "YAML: the file could not be read as YAML")))
            goto out;
        rc = FZ_EPARSE;
        goto out;
    }
    uint32_t second = fz_yamldoc_second(f->text, f->len);
    if (second != UINT32_MAX) {
        rc = fz_diags_add(d, FZ_SEV_ERROR, "S008", second, 3,
                          "a scenario file is one document: merge it into the first or remove "
                          "the marker",
                          "a second YAML document starts here (it would be ignored)");
        rc = rc ? rc : FZ_EPARSE;
        goto out;
    }
    ctx c = {f, d, 0};
    rc = parse_top(&c, fy_document_root(doc));
    if (c.oom)
        rc = FZ_ENOMEM;
    else if (rc != FZ_ENOMEM && d->errors)
        rc = FZ_EPARSE;
out:
    fy_document_destroy(doc);
    fy_diag_destroy(fdiag);
    return rc;
}

int fz_scenario_load(const char *path, const fz_alloc *alloc, fz_diags *d,
                     fz_scenario_file **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return errno == ENOENT ? FZ_ENOENT : FZ_EIO;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > ((size_t)1 << 31)) {
                rc = FZ_ETOOBIG;
                goto out;
            }
            char *nb = fz_realloc(alloc, buf, cap, ncap);
            if (!nb) {
                rc = FZ_ENOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp))
                rc = FZ_EIO;
            break;
        }
    }
    if (!rc)
        rc = fz_scenario_parse(path, buf ? buf : "", len, alloc, d, out);
out:
    fz_free(alloc, buf, cap);
    fclose(fp);
    return rc;
}

static void free_rules(rule_src *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        fz_match_free(r[i].m);
}

void fz_scenario_file_free(fz_scenario_file *f)
{
    if (!f)
        return;
    free_rules(f->rules, f->nrules);
    for (uint32_t i = 0; i < f->nscen; i++)
        free_rules(f->scen[i].rules, f->scen[i].nrules);
    fz_arena_fini(&f->arena);
    fz_free(f->alloc, f, sizeof *f);
}

const char *fz_scenario_file_name(const fz_scenario_file *f)
{
    return f->name;
}

const char *fz_scenario_file_text(const fz_scenario_file *f, uint32_t *len)
{
    *len = f->len;
    return f->text;
}

uint32_t fz_scenario_count(const fz_scenario_file *f)
{
    return f->nscen;
}

const struct fz_expect *fz_scenario_expect(const fz_scenario_file *f, uint32_t i)
{
    return i < f->nscen ? f->scen[i].expect : NULL;
}

int fz_scenario_seed(const fz_scenario_file *f, uint64_t *seed)
{
    *seed = f->seed;
    return f->has_seed;
}

const char *fz_scenario_name(const fz_scenario_file *f, uint32_t i)
{
    return i < f->nscen ? f->scen[i].name : NULL;
}

uint32_t fz_scenario_find(const fz_scenario_file *f, const char *name)
{
    for (uint32_t i = 0; i < f->nscen; i++)
        if (strcmp(f->scen[i].name, name) == 0)
            return i;
    return FZ_NONE;
}

/*==========================================================================
 * Compiling against a graph
 *========================================================================*/

int fz_scenario_label_is_fault(const char *s, size_t len)
{
    /* The one word classifier (parser/words.h): a no- or error-word, or a
     * first word that names a failure outcome (abort, rollback, ...). */
    fz_word_class wc = fz_words_class(s, len);
    if (wc == FZ_WORD_NO || wc == FZ_WORD_ERROR)
        return 1;
    size_t off, wlen;
    fz_words_first(s, len, &off, &wlen);
    if (wlen == 6 && strncasecmp(s + off, "rolled", 6) == 0)
        return 1; /* "Rolled back" */
    return fz_words_is_failure_word(s + off, wlen);
}

/* Trimmed, case-insensitive label equality (SEMANTICS.md). */
static int label_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen && isspace((unsigned char)*a))
        a++, alen--;
    while (alen && isspace((unsigned char)a[alen - 1]))
        alen--;
    while (blen && isspace((unsigned char)*b))
        b++, blen--;
    while (blen && isspace((unsigned char)b[blen - 1]))
        blen--;
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* The outcome name that takes a node's unlabelled (default) edge: it
 * equals no label, so the engine falls back to the default edge. */
static const char default_outcome[] = "(default)";

static uint32_t find_lane(const fz_graph *g, const char *name)
{
    uint32_t l = fz_graph_find_lane(g, name, strlen(name));
    if (l != FZ_NONE)
        return l;
    for (uint32_t i = 0; i < fz_graph_lane_count(g); i++) {
        const fz_lane *ln = fz_graph_lane(g, i);
        if (label_eq(fz_graph_text(g, ln->label), ln->label.len, name, strlen(name)))
            return i;
    }
    return FZ_NONE;
}

static void overlay(params_src *dst, const params_src *src)
{
    if (src->set & P_LATENCY)
        dst->latency = src->latency;
    if (src->set & P_NO)
        dst->p_no = src->p_no;
    if (src->set & P_ERROR)
        dst->p_error = src->p_error;
    if (src->set & P_TIMEOUT)
        dst->timeout_ns = src->timeout_ns;
    if (src->set & P_RETRIES)
        dst->policy.retries = src->policy.retries;
    if (src->set & P_BACKOFF) {
        dst->policy.backoff_ns = src->policy.backoff_ns;
        dst->policy.backoff_max_ns = src->policy.backoff_max_ns;
        dst->policy.exponential = src->policy.exponential;
    }
    if (src->set & P_WEIGHTS) {
        dst->weights = src->weights;
        dst->nweights = src->nweights;
    }
    if (src->set & P_SCRIPT) {
        dst->script = src->script;
        dst->nscript = src->nscript;
    }
    dst->set |= src->set;
}

typedef struct cctx {
    fz_scenario *s;
    const fz_graph *g;
    fz_diags *d;
} cctx;

/* Builds the choices of node n from weights (or uniformly over its labels). */
static int make_choices(cctx *c, uint32_t n, const params_src *p, fz_sim_params *out)
{
    const fz_graph *g = c->g;
    uint32_t nout = 0;
    const uint32_t *outs = fz_graph_out(g, n, &nout);
    uint32_t k = p ? p->nweights : nout + 1;
    fz_sim_choice *ch = fz_arena_alloc(&c->s->arena, sizeof(fz_sim_choice) * (k ? k : 1));
    if (!ch)
        return FZ_ENOMEM;
    uint32_t m = 0;
    double total = 0;
    if (p) {
        for (uint32_t i = 0; i < p->nweights; i++) {
            const weight_src *w = &p->weights[i];
            size_t wl = strlen(w->label);
            int found = 0, has_default = 0;
            for (uint32_t e = 0; e < nout; e++) {
                const fz_edge *ed = fz_graph_edge(g, outs[e]);
                if (!ed->label.len)
                    has_default = 1;
                else if (label_eq(fz_graph_text(g, ed->label), ed->label.len, w->label, wl))
                    found = 1;
            }
            const char *outcome = w->label;
            if (!found && has_default && label_eq(w->label, wl, "default", 7)) {
                outcome = default_outcome;
                found = 1;
            }
            if (!found) {
                const fz_node *nd = fz_graph_node(g, n);
                int rc = fz_diags_add(c->d, FZ_SEV_WARNING, "S102", w->offset, (uint32_t)wl,
                                      "weights name outgoing edge labels; 'default' names an "
                                      "unlabelled edge",
                                      "weight '%s' names no outgoing edge of %.*s '%.*s'",
                                      w->label, (int)nd->id.len, fz_graph_text(g, nd->id),
                                      (int)nd->label.len, fz_graph_text(g, nd->label));
                if (rc)
                    return rc;
            }
            ch[m].outcome = outcome;
            ch[m].fault = (uint8_t)fz_scenario_label_is_fault(w->label, wl);
            total += w->w;
            ch[m++].cum = total;
        }
    } else {
        int has_default = 0;
        for (uint32_t e = 0; e < nout; e++) {
            const fz_edge *ed = fz_graph_edge(g, outs[e]);
            if (!ed->label.len) {
                has_default = 1;
                continue;
            }
            const char *lt = fz_graph_text(g, ed->label);
            int dup = 0;
            for (uint32_t j = 0; j < m; j++)
                dup |= label_eq(ch[j].outcome, strlen(ch[j].outcome), lt, ed->label.len);
            if (dup)
                continue;
            ch[m].outcome = fz_arena_strndup(&c->s->arena, lt, ed->label.len);
            if (!ch[m].outcome)
                return FZ_ENOMEM;
            ch[m].fault = (uint8_t)fz_scenario_label_is_fault(lt, ed->label.len);
            total += 1.0;
            ch[m++].cum = total;
        }
        if (has_default && m > 0) {
            ch[m].outcome = default_outcome;
            ch[m].fault = 0;
            total += 1.0;
            ch[m++].cum = total;
        }
    }
    for (uint32_t i = 0; i < m; i++) {
        ch[i].cum /= total;
        ch[i].edge = fz_engine_outcome_edge(g, n, ch[i].outcome);
    }
    if (m)
        ch[m - 1].cum = 1.0;
    out->choices = m ? ch : NULL;
    out->nchoices = m;
    return 0;
}

static int make_params(cctx *c, uint32_t n, const params_src *base, const rule_src *r,
                       uint32_t rule_index, fz_sim_params *out, fz_policy *pol)
{
    params_src p = *base;
    if (r)
        overlay(&p, &r->p);
    memset(out, 0, sizeof *out);
    out->from_ns = r && r->windowed ? r->from_ns : 0;
    out->until_ns = r && r->windowed ? r->until_ns : UINT64_MAX;
    out->latency = p.latency;
    out->p_no = p.p_no;
    out->p_error = p.p_error;
    if (out->p_no + out->p_error > 1.0)
        out->p_no = 1.0 - out->p_error;
    out->timeout_ns = p.timeout_ns;
    out->script = p.script;
    out->nscript = p.nscript;
    out->rule = r ? rule_index : FZ_NONE;
    if (pol) {
        *pol = p.policy;
        pol->timeout_ns = p.timeout_ns;
    }
    if (p.nweights)
        return make_choices(c, n, &p, out);
    return 0;
}

/* A rule's pattern that PCRE2 stopped on node n (its match limit, the JIT
 * stack...): S007 at the pattern, naming the node, its line and the
 * limit. Returns FZ_EINVAL (or FZ_ENOMEM). */
static int match_failed(fz_diags *d, const fz_graph *g, const rule_src *r, uint32_t n,
                        const char *why)
{
    const fz_node *nd = fz_graph_node(g, n);
    uint32_t line = 1, col = 1; /* one scan of the text: an error path */
    for (uint32_t i = 0; i < nd->offset && i < g->src_len; i++) {
        col = g->src[i] == '\n' ? 1 : col + 1;
        line += g->src[i] == '\n';
    }
    int rc = fz_diags_add(d, FZ_SEV_ERROR, "S007", r->match_off, 1,
                          "simplify the pattern (no nested or ambiguous repeats such as (a|a)* "
                          "or (a+)+), anchor it, or narrow the rule with lane:, shape: or id:",
                          "'match': matching node %.*s (%s:%u:%u, a label of %u bytes) "
                          "stopped: %s",
                          (int)nd->id.len, fz_graph_text(g, nd->id), g->path, line, col,
                          nd->label.len, why);
    return rc ? rc : FZ_EINVAL;
}

int fz_scenario_compile(const fz_scenario_file *f, uint32_t index, const fz_graph *g,
                        const fz_alloc *alloc, fz_diags *d, fz_scenario **out)
{
    *out = NULL;
    if (index >= f->nscen)
        return FZ_EINVAL;
    const scen_src *sc = &f->scen[index];
    fz_scenario *s = fz_calloc(alloc, 1, sizeof *s);
    if (!s)
        return FZ_ENOMEM;
    s->alloc = alloc;
    fz_arena_init(&s->arena, alloc);
    *out = s;
    s->name = sc->name;
    s->graph = g;
    uint32_t nn = fz_graph_node_count(g);
    uint32_t nr = sc->nrules + f->nrules;
    s->nnodes = nn;
    s->nodes = fz_arena_alloc(&s->arena, sizeof(fz_sim_node) * (nn ? nn : 1));
    s->policies = fz_arena_alloc(&s->arena, sizeof(fz_policy) * (nn ? nn : 1));
    uint32_t *used = fz_arena_alloc(&s->arena, sizeof(uint32_t) * (nr ? nr : 1));
    const rule_src **rules = fz_arena_alloc(&s->arena, sizeof(rule_src *) * (nr ? nr : 1));
    uint32_t *lanes = fz_arena_alloc(&s->arena, sizeof(uint32_t) * (nr ? nr : 1));
    fz_sim_params *tmp = fz_arena_alloc(&s->arena, sizeof(fz_sim_params) * (nr + 1));
    if (!s->nodes || !s->policies || !used || !rules || !lanes || !tmp)
        return FZ_ENOMEM;
    memset(s->nodes, 0, sizeof(fz_sim_node) * (nn ? nn : 1));
    memset(s->policies, 0, sizeof(fz_policy) * (nn ? nn : 1));
    memset(used, 0, sizeof(uint32_t) * (nr ? nr : 1));
    for (uint32_t i = 0; i < sc->nrules; i++)
        rules[i] = &sc->rules[i];
    for (uint32_t i = 0; i < f->nrules; i++)
        rules[sc->nrules + i] = &f->rules[i];
    int status = 0, rc;
    char why[160];
    for (uint32_t i = 0; i < nr; i++) {
        lanes[i] = FZ_NONE;
        if (rules[i]->lane && (lanes[i] = find_lane(g, rules[i]->lane)) == FZ_NONE) {
            if ((rc = fz_diags_add(d, FZ_SEV_ERROR, "S006", rules[i]->lane_off,
                                   (uint32_t)strlen(rules[i]->lane), NULL,
                                   "'lane': the workflow has no lane '%s'", rules[i]->lane)))
                return rc;
            status = FZ_EINVAL;
        }
    }
    if (status)
        return status;
    params_src base = f->defaults;
    overlay(&base, &sc->defaults);
    int base_has_weights = base.nweights > 0;

    /* A rule "matches no node" when its selector picks none, whether or not
     * an earlier rule shadows it. */
    for (uint32_t i = 0; i < nr; i++)
        for (uint32_t n = 0; n < nn && !used[i]; n++) {
            if (lanes[i] != FZ_NONE && fz_graph_node(g, n)->lane != lanes[i])
                continue;
            rc = fz_match_node_why(rules[i]->m, g, n, NULL, why, sizeof why);
            if (rc < 0)
                return rc == FZ_EINVAL ? match_failed(d, g, rules[i], n, why) : rc;
            used[i] = (uint32_t)rc;
        }
    cctx c = {s, g, d};
    for (uint32_t n = 0; n < nn; n++) {
        const fz_node *nd = fz_graph_node(g, n);
        fz_sim_node *sn = &s->nodes[n];
        sn->lane = nd->lane;
        uint32_t k = 0;
        int terminal = 0;
        for (uint32_t i = 0; i < nr && !terminal; i++) {
            if (lanes[i] != FZ_NONE && nd->lane != lanes[i])
                continue;
            rc = fz_match_node_why(rules[i]->m, g, n, NULL, why, sizeof why);
            if (rc < 0)
                return rc == FZ_EINVAL ? match_failed(d, g, rules[i], n, why) : rc;
            if (rc == 0)
                continue;
            terminal = !rules[i]->windowed;
            if ((rc = make_params(&c, n, &base, rules[i], i, &tmp[k], terminal ? &s->policies[n] : NULL)))
                return rc;
            k++;
        }
        if (!terminal) {
            if ((rc = make_params(&c, n, &base, NULL, FZ_NONE, &tmp[k], &s->policies[n])))
                return rc;
            if (k == 0 && nd->shape == FZ_SHAPE_DIAMOND && !base_has_weights) {
                uint32_t nout = 0;
                fz_graph_out(g, n, &nout);
                if (nout > 1) {
                    if ((rc = make_choices(&c, n, NULL, &tmp[k])))
                        return rc;
                    sn->uniform = tmp[k].nchoices > 1;
                    if (!sn->uniform) {
                        tmp[k].choices = NULL;
                        tmp[k].nchoices = 0;
                    }
                }
            }
            k++;
        }
        fz_sim_params *ps = fz_arena_alloc(&s->arena, sizeof(fz_sim_params) * k);
        if (!ps)
            return FZ_ENOMEM;
        memcpy(ps, tmp, sizeof(fz_sim_params) * k);
        sn->params = ps;
        sn->nparams = k;
        for (uint32_t j = 0; j < k; j++) {
            ps[j].plain = !ps[j].nscript && !ps[j].nchoices && ps[j].p_error == 0 &&
                          ps[j].p_no == 0 && !ps[j].timeout_ns;
            ps[j].faults_only = !ps[j].plain && !ps[j].nscript && !ps[j].timeout_ns;
            if (ps[j].nscript)
                s->has_scripts = 1;
            if (ps[j].from_ns || ps[j].until_ns != UINT64_MAX)
                s->time_dependent = 1;
        }
    }
    for (uint32_t i = 0; i < nr; i++)
        if (!used[i] && (rc = fz_diags_add(d, FZ_SEV_WARNING, "S101", rules[i]->offset, 1,
                                           "check the pattern, lane, shape and id against "
                                           "`flowzap export`",
                                           "this rule matches no node of %s", g->path)))
            return rc;
    s->noutages = sc->noutages;
    s->outages = fz_arena_alloc(&s->arena, sizeof(fz_sim_outage) * (sc->noutages + 1));
    if (!s->outages)
        return FZ_ENOMEM;
    for (uint32_t i = 0; i < sc->noutages; i++) {
        const outage_src *o = &sc->outages[i];
        fz_sim_outage *so = &s->outages[i];
        so->lane = find_lane(g, o->lane);
        so->from_ns = o->from_ns;
        so->until_ns = o->until_ns;
        so->answer = o->answer;
        if (so->lane == FZ_NONE) {
            if ((rc = fz_diags_add(d, FZ_SEV_ERROR, "S006", o->lane_off, (uint32_t)strlen(o->lane),
                                   NULL, "'lane': the workflow has no lane '%s'", o->lane)))
                return rc;
            status = FZ_EINVAL;
        }
        s->time_dependent = 1;
    }
    s->start = sc->has_start ? sc->start : fz_dist_fixed(0);
    if (sc->has_start)
        s->time_dependent = 1;
    return status;
}

void fz_scenario_free(fz_scenario *s)
{
    if (!s)
        return;
    const fz_alloc *a = s->alloc;
    fz_arena_fini(&s->arena);
    fz_free(a, s, sizeof *s);
}
