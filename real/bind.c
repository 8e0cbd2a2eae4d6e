/* SPDX-License-Identifier: MIT */
/*
 * bind.c - loading a bindings file (YAML through libfyaml) into rules, and
 * binding a graph's nodes to them. Loading checks everything a run would
 * otherwise discover late: unknown keys, bad patterns, bad durations, each
 * handler's own parameters (its validate()). Every error becomes a
 * diagnostic at a byte offset of the text, found from libfyaml's token
 * marks, so the CLI prints "file:line:col" with a caret like for workflows.
 */
#include "real/bind.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/nearest.h"
#include "core/status.h"
#include "engine/yamldoc.h"
#include "engine/yamlpos.h"

struct fz_bind {
    const fz_alloc *alloc;
    char *name;
    char *dir;
    char *text;
    uint32_t len;
    fz_vec rules; /* fz_rule */
    fz_kv *vars;  /* NULL-key-terminated */
    uint32_t nvars;
    fz_vec secrets; /* fz_secret_spec, strings owned (secrets: section) */
    /* fz_bind_resolve() */
    uint32_t nnodes;
    uint32_t *node_rule;
    fz_caps *node_caps;
    uint32_t fail_rule, fail_node; /* where fz_bind_resolve's match stopped */
    char fail_why[160];
};

struct fz_bind_loader {
    fz_bind *b;
    fz_diags *d;
    struct fy_document *doc;
};

/*==========================================================================
 * Positions and errors
 *========================================================================*/

/* Byte offset of n in the text: its token for a scalar, else its first
 * scalar inside, else its parent's place. */
static uint32_t node_offset(struct fy_node *n)
{
    return fz_yaml_node_offset(n);
}

static int add_error_at(fz_bind_loader *ld, uint32_t off, const char *hint, const char *fmt,
                        va_list ap) __attribute__((format(printf, 4, 0)));
static int add_error_at(fz_bind_loader *ld, uint32_t off, const char *hint, const char *fmt,
                        va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (fz_diags_add(ld->d, FZ_SEV_ERROR, "B001", off, 1, hint, "%s", msg))
        return FZ_ENOMEM;
    return FZ_EPARSE;
}

static int error_at_offset(fz_bind_loader *ld, uint32_t off, const char *msg)
{
    if (fz_diags_add(ld->d, FZ_SEV_ERROR, "B001", off, 1, NULL, "%s", msg))
        return FZ_ENOMEM;
    return FZ_EPARSE;
}

int fz__bind_error(fz_bind_loader *ld, struct fy_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_error_at(ld, node_offset(at), NULL, fmt, ap);
    va_end(ap);
    return rc;
}

static int bind_error_hint(fz_bind_loader *ld, struct fy_node *at, const char *hint,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bind_error_hint(fz_bind_loader *ld, struct fy_node *at, const char *hint,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_error_at(ld, node_offset(at), hint, fmt, ap);
    va_end(ap);
    return rc;
}

/* "; did you mean 'KEY'?" when ks[0..kl) is near a key of list (words
 * after its ':'), else "". buf holds the text. */
static const char *did_you_mean(const char *ks, size_t kl, const char *list, char *buf, size_t n)
{
    char w[64];
    if (!ks || !kl || !fz_nearest_in(ks, kl, list, w, sizeof w))
        return "";
    snprintf(buf, n, "; did you mean '%s'?", w);
    return buf;
}

const fz_alloc *fz__bind_alloc(fz_bind_loader *ld)
{
    return ld->b->alloc;
}

const char *fz__bind_dir(fz_bind_loader *ld)
{
    return ld->b->dir;
}

/*==========================================================================
 * Scalars, lists, maps, durations
 *========================================================================*/

/* YAML's null: no value, or a plain (unquoted) ~, null, Null or NULL,
 * which libfyaml hands over as scalar text. `exec: [~]` is no program. */
static int is_null(struct fy_node *n)
{
    if (!n || fy_node_is_null(n))
        return 1;
    if (!fy_node_is_scalar(n) || fy_node_get_style(n) != FYNS_PLAIN)
        return 0;
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    return (len == 1 && s[0] == '~') ||
           (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static const char *type_name(struct fy_node *n)
{
    if (is_null(n))
        return "nothing";
    if (fy_node_is_mapping(n))
        return "a mapping";
    if (fy_node_is_sequence(n))
        return "a list";
    return "a scalar";
}

static int is_text(struct fy_node *n)
{
    return n && fy_node_is_scalar(n) && !fy_node_is_alias(n) && !is_null(n);
}

int fz__yaml_string(fz_bind_loader *ld, struct fy_node *n, const char *field, char **out)
{
    *out = NULL;
    if (!is_text(n))
        return fz__bind_error(ld, n, "'%s' must be a string, found %s", field, type_name(n));
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (memchr(s, '\0', len))
        return fz__bind_error(ld, n, "'%s' must not contain a NUL character", field);
    char *p = fz_malloc(ld->b->alloc, len + 1);
    if (!p)
        return FZ_ENOMEM;
    memcpy(p, s, len);
    p[len] = '\0';
    *out = p;
    return FZ_OK;
}

static void free_str(const fz_alloc *a, char *s)
{
    if (s)
        fz_free(a, s, strlen(s) + 1);
}

void fz__strv_free(const fz_alloc *a, char **v)
{
    if (!v)
        return;
    size_t n = 0;
    for (; v[n]; n++)
        free_str(a, v[n]);
    fz_free(a, v, (n + 1) * sizeof(char *));
}

int fz__yaml_strv(fz_bind_loader *ld, struct fy_node *n, const char *field, char ***out,
                  uint32_t *count)
{
    const fz_alloc *a = ld->b->alloc;
    *out = NULL;
    *count = 0;
    if (!n || !(fy_node_is_sequence(n) || is_text(n)))
        return fz__bind_error(ld, n, "'%s' must be a list of strings, found %s", field,
                              type_name(n));
    uint32_t k = fy_node_is_sequence(n) ? (uint32_t)fy_node_sequence_item_count(n) : 1;
    char **v = fz_calloc(a, (size_t)k + 1, sizeof(char *));
    if (!v)
        return FZ_ENOMEM;
    int rc = FZ_OK;
    if (fy_node_is_sequence(n)) {
        void *it = NULL;
        struct fy_node *item;
        uint32_t i = 0;
        while ((item = fy_node_sequence_iterate(n, &it)) && i < k) {
            int r = fz__yaml_string(ld, item, field, &v[i]);
            if (r == FZ_ENOMEM) {
                rc = r;
                break;
            }
            if (r) {
                rc = r;
                v[i] = NULL;
                continue; /* report every bad item */
            }
            i++;
        }
    } else {
        rc = fz__yaml_string(ld, n, field, &v[0]);
    }
    if (rc) {
        /* compact: failed items left holes */
        for (uint32_t i = 0; i < k; i++)
            free_str(a, v[i]);
        fz_free(a, v, ((size_t)k + 1) * sizeof(char *));
        return rc;
    }
    *out = v;
    *count = k;
    return FZ_OK;
}

void fz__kvv_free(const fz_alloc *a, fz_kv *v)
{
    if (!v)
        return;
    size_t n = 0;
    for (; v[n].key; n++) {
        free_str(a, (char *)v[n].key);
        free_str(a, (char *)v[n].value);
    }
    fz_free(a, v, (n + 1) * sizeof(fz_kv));
}

int fz__yaml_kvv(fz_bind_loader *ld, struct fy_node *n, const char *field, fz_kv **out,
                 uint32_t *count)
{
    const fz_alloc *a = ld->b->alloc;
    *out = NULL;
    *count = 0;
    if (!n || !fy_node_is_mapping(n))
        return fz__bind_error(ld, n, "'%s' must be a mapping of names to strings, found %s", field,
                              type_name(n));
    uint32_t k = (uint32_t)fy_node_mapping_item_count(n);
    fz_kv *v = fz_calloc(a, (size_t)k + 1, sizeof(fz_kv));
    if (!v)
        return FZ_ENOMEM;
    void *it = NULL;
    struct fy_node_pair *p;
    uint32_t i = 0;
    int rc = FZ_OK;
    while ((p = fy_node_mapping_iterate(n, &it)) && i < k) {
        char *key = NULL, *val = NULL;
        int r = fz__yaml_string(ld, fy_node_pair_key(p), field, &key);
        if (!r)
            r = fz__yaml_string(ld, fy_node_pair_value(p), field, &val);
        if (r) {
            free_str(a, key);
            free_str(a, val);
            rc = rc == FZ_ENOMEM ? rc : r;
            if (r == FZ_ENOMEM)
                break;
            continue;
        }
        v[i].key = key;
        v[i].value = val;
        i++;
    }
    if (rc) {
        for (uint32_t x = 0; x < i; x++) {
            free_str(a, (char *)v[x].key);
            free_str(a, (char *)v[x].value);
        }
        fz_free(a, v, ((size_t)k + 1) * sizeof(fz_kv));
        return rc;
    }
    *out = v;
    *count = i;
    return FZ_OK;
}

/* The one duration syntax of bindings and scenarios: core/duration.h. */
int fz__duration_parse(const char *s, size_t len, uint64_t *ns)
{
    return fz_duration_parse(s, len, ns);
}

int fz__yaml_duration(fz_bind_loader *ld, struct fy_node *n, const char *field, uint64_t *ns)
{
    if (!is_text(n))
        return fz__bind_error(ld, n, "'%s' must be a duration such as 500ms, 2s or 1m, found %s",
                              field, type_name(n));
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    if (fz__duration_parse(s, len, ns))
        return bind_error_hint(ld, n, "a number with a unit: ns, us, ms, s, m or min, h (\"1m30s\"); a bare number is seconds",
                               "'%s': '%.*s' is not a duration", field, (int)len, s);
    return FZ_OK;
}

int fz__has_ref(const char *s)
{
    for (const char *p = strstr(s, "${"); p; p = strstr(p + 2, "${"))
        if (p == s || p[-1] != '$')
            return 1;
    return 0;
}

/*==========================================================================
 * Rules
 *========================================================================*/

static const char *const selector_keys[] = {"match", "lane", "shape", "id", NULL};
static const char *const policy_keys[] = {"timeout", "retries", "backoff", NULL};

static int in_list(const char *const *list, const char *s, size_t len)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
            return 1;
    return 0;
}

static int parse_backoff(fz_bind_loader *ld, struct fy_node *v, fz_policy *pol)
{
    if (is_text(v))
        return fz__yaml_duration(ld, v, "backoff", &pol->backoff_ns);
    if (!v || !fy_node_is_mapping(v))
        return fz__bind_error(ld, v,
                              "'backoff' must be a duration or a mapping {kind, base, cap}, "
                              "found %s",
                              type_name(v));
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(v, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *val = fy_node_pair_value(p);
        size_t kl = 0;
        const char *ks = is_text(k) ? fy_node_get_scalar(k, &kl) : "";
        int r = FZ_OK;
        if (kl == 4 && memcmp(ks, "kind", 4) == 0) {
            size_t vl = 0;
            const char *vs = is_text(val) ? fy_node_get_scalar(val, &vl) : "";
            if (vl == 5 && memcmp(vs, "fixed", 5) == 0)
                pol->exponential = 0;
            else if (vl == 11 && memcmp(vs, "exponential", 11) == 0)
                pol->exponential = 1;
            else
                r = fz__bind_error(ld, val ? val : k,
                                   "'backoff.kind' must be 'fixed' or 'exponential', found '%.*s'",
                                   (int)vl, vs);
        } else if (kl == 4 && memcmp(ks, "base", 4) == 0) {
            r = fz__yaml_duration(ld, val, "backoff.base", &pol->backoff_ns);
        } else if (kl == 3 && memcmp(ks, "cap", 3) == 0) {
            r = fz__yaml_duration(ld, val, "backoff.cap", &pol->backoff_max_ns);
        } else {
            char dym[96];
            r = bind_error_hint(ld, k, "backoff keys: kind, base, cap",
                                "unknown key 'backoff.%.*s'%s", (int)kl, ks,
                                did_you_mean(ks, kl, ":kind, base, cap", dym, sizeof dym));
        }
        if (r == FZ_ENOMEM)
            return r;
        if (r)
            rc = r;
    }
    return rc;
}

static int parse_retries(fz_bind_loader *ld, struct fy_node *v, uint32_t *out)
{
    size_t len = 0;
    const char *s = is_text(v) ? fy_node_get_scalar(v, &len) : NULL;
    uint32_t n = 0;
    int ok = s && len > 0 && len <= 4;
    for (size_t i = 0; ok && i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            ok = 0;
        else
            n = n * 10 + (uint32_t)(s[i] - '0');
    }
    if (!ok || n > 1000)
        return fz__bind_error(ld, v,
                              "'retries' must be a whole number from 0 to 1000, found '%.*s'",
                              (int)len, s ? s : "");
    *out = n;
    return FZ_OK;
}

static void rule_fini(const fz_alloc *a, fz_rule *r)
{
    fz_match_free(r->match);
    if (r->ops && r->cfg && r->ops->free)
        r->ops->free(a, r->cfg);
    r->match = NULL;
    r->cfg = NULL;
}

static int opt_string(fz_bind_loader *ld, struct fy_node *rule, const char *key, char **out)
{
    *out = NULL;
    struct fy_node *v = fy_node_mapping_lookup_by_string(rule, key, FY_NT);
    if (!v)
        return FZ_OK;
    return fz__yaml_string(ld, v, key, out);
}

static int load_rule(fz_bind_loader *ld, struct fy_node *rn, uint32_t index)
{
    const fz_alloc *a = ld->b->alloc;
    if (!rn || !fy_node_is_mapping(rn))
        return fz__bind_error(ld, rn, "rule %u must be a mapping (match: ..., exec: ...), found %s",
                              index + 1, type_name(rn));
    int rc = FZ_OK;
    fz_rule r;
    memset(&r, 0, sizeof(r));
    r.offset = node_offset(rn);
    struct fy_node *hkey = NULL, *hval = NULL;

    /* First pass: find the one handler key and check the others. */
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(rn, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t kl = 0;
        const char *ks = is_text(k) ? fy_node_get_scalar(k, &kl) : NULL;
        if (!ks) {
            rc = fz__bind_error(ld, k, "rule %u: keys must be names", index + 1);
            continue;
        }
        const fz_handler_ops *ops = fz_handler_find(ks, kl);
        if (ops) {
            if (r.ops) {
                rc = bind_error_hint(ld, k, "a rule runs one handler; write a second rule",
                                     "rule %u: both '%s' and '%.*s' name a handler", index + 1,
                                     r.ops->name, (int)kl, ks);
                continue;
            }
            r.ops = ops;
            hkey = k;
            hval = fy_node_pair_value(p);
        }
    }
    if (!r.ops && rc == FZ_OK)
        rc = bind_error_hint(ld, rn,
                             "handlers: exec, shell, http, sleep, log, set, outcome, fail, "
                             "approval, noop",
                             "rule %u has no handler key", index + 1);
    it = NULL;
    while ((p = fy_node_mapping_iterate(rn, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        size_t kl = 0;
        const char *ks = is_text(k) ? fy_node_get_scalar(k, &kl) : NULL;
        if (!ks || k == hkey || in_list(selector_keys, ks, kl) || in_list(policy_keys, ks, kl))
            continue;
        if (r.ops && in_list(r.ops->keys, ks, kl))
            continue;
        if (fz_handler_find(ks, kl))
            continue; /* reported above */
        char hint[160];
        snprintf(hint, sizeof(hint),
                 "rule keys: match, lane, shape, id, timeout, retries, "
                 "backoff, the handler%s",
                 r.ops && r.ops->keys ? " and its options" : "");
        /* The nearest of every key a rule may have. */
        char keys[1024] = ":match lane shape id timeout retries backoff";
        size_t used = strlen(keys);
        for (const fz_handler_ops *const *h = fz_handler_all(); *h; h++) {
            used += (size_t)snprintf(keys + used, used < sizeof keys ? sizeof keys - used : 0,
                                     " %s", (*h)->name);
            for (const char *const *o = (*h)->keys; o && *o; o++)
                used += (size_t)snprintf(keys + used, used < sizeof keys ? sizeof keys - used : 0,
                                         " %s", *o);
        }
        char dym[96];
        rc = bind_error_hint(ld, k, hint, "rule %u: unknown key '%.*s'%s", index + 1, (int)kl, ks,
                             did_you_mean(ks, kl, keys, dym, sizeof dym));
    }

    /* Selector. */
    char *pat = NULL, *lane = NULL, *shape = NULL, *id = NULL;
    int r1 = opt_string(ld, rn, "match", &pat);
    int r2 = opt_string(ld, rn, "lane", &lane);
    int r3 = opt_string(ld, rn, "shape", &shape);
    int r4 = opt_string(ld, rn, "id", &id);
    if (r1 == FZ_ENOMEM || r2 == FZ_ENOMEM || r3 == FZ_ENOMEM || r4 == FZ_ENOMEM) {
        rc = FZ_ENOMEM;
    } else if (r1 || r2 || r3 || r4) {
        rc = FZ_EPARSE;
    } else {
        char err[300];
        size_t eoff = SIZE_MAX;
        int m = fz_match_new(pat, lane, shape, id, a, &r.match, err, sizeof(err), &eoff);
        if (m == FZ_ENOMEM) {
            rc = m;
        } else if (m) {
            const char *key = shape && strstr(err, "shape") ? "shape" : "match";
            struct fy_node *at = fy_node_mapping_lookup_by_string(rn, key, FY_NT);
            uint32_t off = node_offset(at);
            if (eoff != SIZE_MAX && at && fy_node_is_scalar(at)) {
                /* point into the pattern (a scalar's mark is where its
                 * text starts, after any quote): exact without escapes */
                off += (uint32_t)eoff;
            }
            char msg[400];
            snprintf(msg, sizeof(msg), "rule %u: '%s': %s", index + 1, key, err);
            rc = error_at_offset(ld, off, msg);
        }
    }
    free_str(a, pat);
    free_str(a, lane);
    free_str(a, shape);
    free_str(a, id);
    if (rc == FZ_ENOMEM)
        goto out;

    /* Policy. */
    struct fy_node *v;
    if ((v = fy_node_mapping_lookup_by_string(rn, "timeout", FY_NT))) {
        int t = fz__yaml_duration(ld, v, "timeout", &r.policy.timeout_ns);
        if (!t && r.policy.timeout_ns == 0)
            t = fz__bind_error(ld, v, "'timeout' must be more than 0 (leave it out for none)");
        rc = t ? t : rc;
        r.has_policy = 1;
    }
    if ((v = fy_node_mapping_lookup_by_string(rn, "retries", FY_NT))) {
        int t = parse_retries(ld, v, &r.policy.retries);
        rc = t ? t : rc;
        r.has_policy = 1;
    }
    if ((v = fy_node_mapping_lookup_by_string(rn, "backoff", FY_NT))) {
        int t = parse_backoff(ld, v, &r.policy);
        if (t == FZ_ENOMEM) {
            rc = t;
            goto out;
        }
        rc = t ? t : rc;
        r.has_policy = 1;
    }

    /* Handler parameters, checked by the handler itself. */
    if (r.ops) {
        int t = r.ops->validate(ld, rn, hval, &r.cfg);
        if (t == FZ_ENOMEM) {
            rc = t;
            goto out;
        }
        rc = t ? t : rc;
    }
    if (rc == FZ_OK) {
        fz_rule *slot = fz_vec_push(&ld->b->rules);
        if (!slot) {
            rc = FZ_ENOMEM;
            goto out;
        }
        *slot = r;
        return FZ_OK;
    }
out:
    rule_fini(a, &r);
    return rc;
}

/* 1 for a variable name as --set takes it: a letter or '_', then
 * letters, digits and '_'. */
static int is_var_name(const char *s)
{
    return fz__var_name_ok(s, strlen(s));
}

int fz__var_name_ok(const char *s, size_t n)
{
    if (!n || isdigit((unsigned char)*s))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80) && s[i] != '_')
            return 0;
    return 1;
}

static int load_vars(fz_bind_loader *ld, struct fy_node *v)
{
    int rc = fz__yaml_kvv(ld, v, "vars", &ld->b->vars, &ld->b->nvars);
    for (uint32_t i = 0; !rc && i < ld->b->nvars; i++)
        if (!is_var_name(ld->b->vars[i].key)) {
            struct fy_node *at = fy_node_mapping_lookup_key_by_string(v, ld->b->vars[i].key, FY_NT);
            rc = bind_error_hint(ld, at ? at : v,
                                 "a letter or '_', then letters, digits and '_', as --set takes",
                                 "'vars': '%s' is not a variable name", ld->b->vars[i].key);
        }
    return rc;
}

/*==========================================================================
 * secrets: NAME: {env: VAR} | {file: PATH} | {command: [ARGV...], timeout: D}
 *========================================================================*/

static int secret_name_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

static void secret_fini(const fz_alloc *a, fz_secret_spec *sp)
{
    free_str(a, (char *)sp->name);
    free_str(a, (char *)sp->arg);
    free_str(a, (char *)sp->cwd);
    fz__strv_free(a, (char **)sp->argv);
}

static const char secret_hint[] =
    "a secret is NAME: {env: VARIABLE}, {file: PATH} or {command: [PROGRAM, ARG...]}";

static int load_secret(fz_bind_loader *ld, struct fy_node *k, struct fy_node *v)
{
    const fz_alloc *a = ld->b->alloc;
    fz_secret_spec sp;
    memset(&sp, 0, sizeof sp);
    char *name = NULL;
    int rc = fz__yaml_string(ld, k, "secrets", &name);
    if (rc)
        return rc;
    sp.name = name;
    if (!secret_name_ok(name)) {
        rc = bind_error_hint(ld, k, "names are letters, digits, '_', '-' and '.', as in ${NAME}",
                             "'secrets': '%s' is not a variable name", name);
        goto out;
    }
    for (uint32_t i = 0; i < ld->b->secrets.len; i++)
        if (!strcmp(FZ_VEC_AT(&ld->b->secrets, fz_secret_spec, i).name, name)) {
            rc = fz__bind_error(ld, k, "'secrets': '%s' is declared twice", name);
            goto out;
        }
    if (!v || !fy_node_is_mapping(v)) {
        rc = bind_error_hint(ld, v ? v : k, secret_hint, "secret '%s' must be a mapping, found %s",
                             name, type_name(v));
        goto out;
    }
    struct fy_node *src = NULL, *timeout = NULL;
    const char *srckey = NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(v, &it))) {
        struct fy_node *pk = fy_node_pair_key(p);
        size_t kl = 0;
        const char *ks = is_text(pk) ? fy_node_get_scalar(pk, &kl) : "";
        const char *known = (kl == 3 && !memcmp(ks, "env", 3))       ? "env"
                            : (kl == 4 && !memcmp(ks, "file", 4))    ? "file"
                            : (kl == 7 && !memcmp(ks, "command", 7)) ? "command"
                                                                     : NULL;
        if (kl == 7 && !memcmp(ks, "timeout", 7)) {
            timeout = fy_node_pair_value(p) ? fy_node_pair_value(p) : pk;
        } else if (!known) {
            char dym[96];
            rc = bind_error_hint(ld, pk, secret_hint, "secret '%s': unknown key '%.*s'%s", name,
                                 (int)kl, ks,
                                 did_you_mean(ks, kl, ":env file command timeout", dym,
                                              sizeof dym));
            goto out;
        } else if (src) {
            rc = bind_error_hint(ld, pk, secret_hint, "secret '%s' has two sources ('%s' and '%s')",
                                 name, srckey, known);
            goto out;
        } else {
            src = fy_node_pair_value(p) ? fy_node_pair_value(p) : pk;
            srckey = known;
        }
    }
    if (!src) {
        rc = bind_error_hint(ld, v, secret_hint, "secret '%s' has no source", name);
        goto out;
    }
    if (timeout && strcmp(srckey, "command") != 0) {
        rc = fz__bind_error(ld, timeout, "secret '%s': 'timeout' applies to 'command' only", name);
        goto out;
    }
    if (!strcmp(srckey, "env")) {
        sp.kind = FZ_SECRET_ENV;
        char *e = NULL;
        rc = fz__yaml_string(ld, src, "env", &e);
        sp.arg = e;
        if (!rc && !secret_name_ok(e))
            rc = fz__bind_error(ld, src, "secret '%s': '%s' is not an environment variable name",
                                name, e);
    } else if (!strcmp(srckey, "file")) {
        sp.kind = FZ_SECRET_FILE;
        char *f = NULL;
        rc = fz__yaml_string(ld, src, "file", &f);
        if (!rc && !f[0])
            rc = fz__bind_error(ld, src, "secret '%s': 'file' must not be empty", name);
        if (!rc && f[0] != '/') {
            /* relative to the bindings file, like cwd */
            size_t n = strlen(ld->b->dir) + strlen(f) + 2;
            char *abs = fz_malloc(a, n);
            if (abs)
                snprintf(abs, n, "%s/%s", ld->b->dir, f);
            free_str(a, f);
            f = abs;
            if (!f)
                rc = FZ_ENOMEM;
        }
        sp.arg = f;
    } else {
        sp.kind = FZ_SECRET_COMMAND;
        char **argv = NULL;
        uint32_t argc = 0;
        rc = fz__yaml_strv(ld, src, "command", &argv, &argc);
        sp.argv = argv;
        if (!rc && (argc == 0 || argv[0][0] == '\0'))
            rc = bind_error_hint(ld, src, "command: [PROGRAM, ARG...] runs without a shell",
                                 "secret '%s': 'command' needs a program", name);
        if (!rc) {
            sp.cwd = fz_strdup(a, ld->b->dir);
            if (!sp.cwd)
                rc = FZ_ENOMEM;
        }
        if (!rc && timeout)
            rc = fz__yaml_duration(ld, timeout, "timeout", &sp.timeout_ns);
    }
    if (rc)
        goto out;
    fz_secret_spec *slot = fz_vec_push(&ld->b->secrets);
    if (!slot) {
        rc = FZ_ENOMEM;
        goto out;
    }
    *slot = sp;
    return FZ_OK;
out:
    secret_fini(a, &sp);
    return rc;
}

static int load_secrets(fz_bind_loader *ld, struct fy_node *v)
{
    if (!v || !fy_node_is_mapping(v))
        return bind_error_hint(ld, v, secret_hint,
                               "'secrets' must be a mapping of names to sources, found %s",
                               type_name(v));
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(v, &it))) {
        int r = load_secret(ld, fy_node_pair_key(p), fy_node_pair_value(p));
        if (r == FZ_ENOMEM)
            return r;
        rc = r ? r : rc;
    }
    return rc;
}

/* A name both in vars: and secrets: is an error at the secret. */
static int check_secret_vars(fz_bind_loader *ld, struct fy_node *secrets)
{
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    while (secrets && fy_node_is_mapping(secrets) && (p = fy_node_mapping_iterate(secrets, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        const char *ks = is_text(k) ? fy_node_get_scalar0(k) : NULL;
        for (uint32_t i = 0; ks && i < ld->b->nvars; i++)
            if (!strcmp(ld->b->vars[i].key, ks))
                rc = bind_error_hint(ld, k, "a secret's value comes only from its source",
                                     "'%s' is both a secret and a variable in 'vars'", ks);
    }
    return rc;
}

static int load_doc(fz_bind_loader *ld, struct fy_node *root)
{
    if (!root || !fy_node_is_mapping(root))
        return bind_error_hint(ld, root, "a bindings file starts with `rules:` (a list of rules)",
                               "expected a mapping with 'rules', found %s", type_name(root));
    int rc = FZ_OK;
    struct fy_node *rules = NULL, *secrets = NULL;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(root, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        size_t kl = 0;
        const char *ks = is_text(k) ? fy_node_get_scalar(k, &kl) : "";
        int r = FZ_OK;
        if (kl == 5 && memcmp(ks, "rules", 5) == 0)
            rules = v ? v : k;
        else if (kl == 4 && memcmp(ks, "vars", 4) == 0)
            r = load_vars(ld, v);
        else if (kl == 7 && memcmp(ks, "secrets", 7) == 0)
            r = load_secrets(ld, secrets = v);
        else if (kl == 7 && memcmp(ks, "version", 7) == 0)
            r = (is_text(v) && strcmp(fy_node_get_scalar0(v), "1") == 0)
                    ? FZ_OK
                    : fz__bind_error(ld, v ? v : k, "'version' must be 1");
        else {
            char dym[96];
            r = bind_error_hint(ld, k, "top-level keys: rules, vars, secrets, version",
                                "unknown top-level key '%.*s'%s", (int)kl, ks,
                                did_you_mean(ks, kl, ":rules vars secrets version", dym,
                                             sizeof dym));
        }
        if (r == FZ_ENOMEM)
            return r;
        rc = r ? r : rc;
    }
    if (secrets) {
        int r = check_secret_vars(ld, secrets);
        if (r == FZ_ENOMEM)
            return r;
        rc = r ? r : rc;
    }
    if (!rules)
        return bind_error_hint(ld, root, "add `rules:` with one `- match: ...` entry per rule",
                               "no 'rules' list");
    if (!fy_node_is_sequence(rules))
        return fz__bind_error(ld, rules, "'rules' must be a list, found %s", type_name(rules));
    it = NULL;
    struct fy_node *rn;
    uint32_t i = 0;
    while ((rn = fy_node_sequence_iterate(rules, &it))) {
        int r = load_rule(ld, rn, i++);
        if (r == FZ_ENOMEM)
            return r;
        rc = r ? r : rc;
    }
    return rc;
}

/* libfyaml reports syntax errors with 0-based line and column; turn them
 * into a byte offset of the text. */
static uint32_t offset_of(const char *text, uint32_t len, int line, int col)
{
    return fz_yaml_line_col_offset(text, len, line + 1, col + 1);
}

/* libfyaml writes its messages through this sink, as text such as
 * "<input>:2:13: error: double-quoted scalar without closing quote" followed
 * by the source line and a caret; we keep the text and pick out the
 * "LINE:COL: error: MESSAGE" lines. */
typedef struct sink_buf {
    char text[4096];
    size_t len;
} sink_buf;

static void diag_sink(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    sink_buf *sb = user;
    size_t room = sizeof(sb->text) - 1 - sb->len;
    if (len > room)
        len = room;
    memcpy(sb->text + sb->len, buf, len);
    sb->len += len;
    sb->text[sb->len] = '\0';
}

/* Adds a diagnostic for each "...:LINE:COL: error: MSG" line of sb. */
static int sink_errors(fz_bind_loader *ld, const sink_buf *sb, int *count)
{
    const fz_bind *b = ld->b;
    const char *p = sb->text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        const char *mark = NULL;
        for (const char *q = p; q + 9 <= p + ll; q++)
            if (memcmp(q, ": error: ", 9) == 0) {
                mark = q;
                break;
            }
        if (mark) {
            /* walk back over ":COL" and ":LINE" */
            const char *c = mark;
            while (c > p && c[-1] >= '0' && c[-1] <= '9')
                c--;
            const char *l = c > p && c[-1] == ':' ? c - 1 : c;
            while (l > p && l[-1] >= '0' && l[-1] <= '9')
                l--;
            int line = atoi(l), col = atoi(c);
            uint32_t off =
                offset_of(b->text, b->len, line > 0 ? line - 1 : 0, col > 0 ? col - 1 : 0);
            const char *msg = mark + 9;
            int ml = (int)(p + ll - msg);
            if (fz_diags_add(ld->d, FZ_SEV_ERROR, "B000", off, 1, NULL, "YAML: %.*s", ml, msg))
                return FZ_ENOMEM;
            (*count)++;
        }
        p = nl ? nl + 1 : NULL;
    }
    return FZ_OK;
}

/* Offset of the first byte that is not well-formed UTF-8 (overlongs,
 * surrogates and code points past U+10FFFF included), or len. YAML text is
 * Unicode; checking first also keeps invalid bytes away from libfyaml
 * 0.7.12, whose directive scanner loops forever on them. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000;
        } else {
            return i;
        }
        unsigned cp = c & (0x3fu >> n);
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

/* 1 when text holds nothing but blank lines, comments and document
 * markers. */
static int blank_text(const char *text, uint32_t len)
{
    int line_start = 1, comment = 0;
    for (uint32_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n') {
            line_start = 1;
            comment = 0;
        } else if (comment || c == ' ' || c == '\t' || c == '\r') {
            continue;
        } else if (c == '#') {
            comment = 1;
        } else if (line_start && i + 3 <= len &&
                   (memcmp(text + i, "---", 3) == 0 || memcmp(text + i, "...", 3) == 0)) {
            i += 2;
        } else {
            return 0;
        }
        if (c != '\n')
            line_start = 0;
    }
    return 1;
}

static int parse_yaml(fz_bind_loader *ld)
{
    fz_bind *b = ld->b;
    size_t bad = utf8_bad((const unsigned char *)b->text, b->len);
    if (bad < b->len)
        return fz_diags_add(ld->d, FZ_SEV_ERROR, "B000", (uint32_t)bad, 1, "save the file as UTF-8",
                            "the bindings file is not valid UTF-8 (byte 0x%02x)",
                            (unsigned char)b->text[bad])
                   ? FZ_ENOMEM
                   : FZ_EPARSE;
    sink_buf sb;
    sb.len = 0;
    sb.text[0] = '\0';
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_sink;
    dcfg.user = &sb;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return FZ_ENOMEM;
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT;
    cfg.diag = diag;
    ld->doc = fy_document_build_from_string(&cfg, b->text, b->len);
    int rc = FZ_OK, n = 0;
    if (!ld->doc) {
        rc = sink_errors(ld, &sb, &n);
        /* libfyaml builds no document from an empty text (or only
         * comments): that is B002, as documented, not a YAML error. */
        if (!rc && n == 0 &&
            (blank_text(b->text, b->len)
                 ? fz_diags_add(ld->d, FZ_SEV_ERROR, "B002", 0, 0,
                                "a bindings file starts with `rules:` (a list of rules)",
                                "the bindings file is empty")
                 : fz_diags_add(ld->d, FZ_SEV_ERROR, "B000", 0, 1, NULL,
                                "YAML: cannot parse the file")))
            rc = FZ_ENOMEM;
        if (!rc)
            rc = FZ_EPARSE;
    } else if (!fy_document_root(ld->doc) || blank_text(b->text, b->len)) {
        rc = fz_diags_add(ld->d, FZ_SEV_ERROR, "B002", 0, 0,
                          "a bindings file starts with `rules:` (a list of rules)",
                          "the bindings file is empty")
                 ? FZ_ENOMEM
                 : FZ_EPARSE;
    } else {
        uint32_t second = fz_yamldoc_second(b->text, b->len);
        if (second != UINT32_MAX)
            rc = fz_diags_add(ld->d, FZ_SEV_ERROR, "B004", second, 3,
                              "a bindings file is one document: merge the rules into the first "
                              "or remove the marker",
                              "a second YAML document starts here (it would be ignored)")
                     ? FZ_ENOMEM
                     : FZ_EPARSE;
    }
    fy_diag_destroy(diag);
    return rc;
}

/*==========================================================================
 * The bindings object
 *========================================================================*/

static char *dir_of(const fz_alloc *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return fz_strdup(a, ".");
    if (slash == path)
        return fz_strdup(a, "/");
    size_t n = (size_t)(slash - path);
    char *d = fz_malloc(a, n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static void free_resolution(fz_bind *b)
{
    if (b->node_caps) {
        for (uint32_t i = 0; i < b->nnodes; i++)
            fz_caps_fini(&b->node_caps[i]);
        fz_free(b->alloc, b->node_caps, (size_t)b->nnodes * sizeof(fz_caps));
    }
    fz_free(b->alloc, b->node_rule, (size_t)b->nnodes * sizeof(uint32_t));
    b->node_caps = NULL;
    b->node_rule = NULL;
    b->nnodes = 0;
}

void fz_bind_free(fz_bind *b)
{
    if (!b)
        return;
    const fz_alloc *a = b->alloc;
    free_resolution(b);
    for (uint32_t i = 0; i < b->rules.len; i++)
        rule_fini(a, &FZ_VEC_AT(&b->rules, fz_rule, i));
    fz_vec_fini(&b->rules);
    for (uint32_t i = 0; i < b->secrets.len; i++)
        secret_fini(a, &FZ_VEC_AT(&b->secrets, fz_secret_spec, i));
    fz_vec_fini(&b->secrets);
    fz__kvv_free(a, b->vars);
    free_str(a, b->name);
    free_str(a, b->dir);
    fz_free(a, b->text, (size_t)b->len + 1);
    fz_free(a, b, sizeof(*b));
}

static int load(const char *name, char *text, uint32_t len, const fz_alloc *alloc, fz_diags *d,
                fz_bind **out)
{
    fz_bind *b = fz_calloc(alloc, 1, sizeof(*b));
    if (!b) {
        fz_free(alloc, text, (size_t)len + 1);
        return FZ_ENOMEM;
    }
    b->alloc = alloc;
    b->text = text;
    b->len = len;
    fz_vec_init(&b->rules, sizeof(fz_rule), alloc);
    fz_vec_init(&b->secrets, sizeof(fz_secret_spec), alloc);
    b->name = fz_strdup(alloc, name);
    b->dir = b->name ? dir_of(alloc, name) : NULL;
    if (!b->name || !b->dir) {
        fz_bind_free(b);
        return FZ_ENOMEM;
    }
    fz_bind_loader ld = {b, d, NULL};
    uint32_t errors_before = d->errors;
    int rc = parse_yaml(&ld);
    if (rc == FZ_OK)
        rc = load_doc(&ld, fy_document_root(ld.doc));
    if (ld.doc)
        fy_document_destroy(ld.doc);
    if (rc == FZ_OK && d->errors > errors_before)
        rc = FZ_EPARSE;
    if (rc == FZ_ENOMEM) {
        fz_bind_free(b);
        return rc;
    }
    *out = b;
    return rc;
}

int fz_bind_load_mem(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                     fz_diags *d, fz_bind **out)
{
    *out = NULL;
    if (!alloc)
        alloc = fz_alloc_default();
    if (len > UINT32_MAX - 1)
        return FZ_ETOOBIG;
    char *copy = fz_malloc(alloc, len + 1);
    if (!copy)
        return FZ_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    fz_bind *b = NULL;
    int rc = load(name, copy, (uint32_t)len, alloc, d, &b);
    if (rc == FZ_OK)
        *out = b;
    else
        fz_bind_free(b);
    return rc;
}

int fz_bind_load_file(const char *path, const fz_alloc *alloc, fz_diags *d, fz_bind **out)
{
    *out = NULL;
    if (!alloc)
        alloc = fz_alloc_default();
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? FZ_ENOENT : FZ_EIO;
    size_t cap = 4096, len = 0;
    char *buf = fz_malloc(alloc, cap);
    int rc = FZ_OK;
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            if (cap >= (size_t)1 << 30) {
                rc = FZ_ETOOBIG;
                break;
            }
            char *nb = fz_realloc(alloc, buf, cap, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    int ferr = ferror(f);
    fclose(f);
    if (!buf)
        return FZ_ENOMEM;
    if (rc) {
        fz_free(alloc, buf, cap);
        return rc;
    }
    if (ferr) {
        fz_free(alloc, buf, cap);
        return FZ_EIO;
    }
    /* shrink to len + 1 so the object frees the size it holds */
    char *text = fz_malloc(alloc, len + 1);
    if (!text) {
        fz_free(alloc, buf, cap);
        return FZ_ENOMEM;
    }
    memcpy(text, buf, len);
    text[len] = '\0';
    fz_free(alloc, buf, cap);
    return load(path, text, (uint32_t)len, alloc, d, out);
}

const char *fz_bind_text(const fz_bind *b, uint32_t *len)
{
    if (len)
        *len = b->len;
    return b->text;
}

const char *fz_bind_name(const fz_bind *b)
{
    return b->name;
}

uint32_t fz_bind_rule_count(const fz_bind *b)
{
    return b->rules.len;
}

const fz_rule *fz_bind_rule(const fz_bind *b, uint32_t i)
{
    return &FZ_VEC_AT(&b->rules, fz_rule, i);
}

uint32_t fz_bind_var_count(const fz_bind *b)
{
    return b->nvars;
}

fz_kv fz_bind_var_at(const fz_bind *b, uint32_t i)
{
    return b->vars[i];
}

uint32_t fz_bind_secret_count(const fz_bind *b)
{
    return b->secrets.len;
}

const fz_secret_spec *fz_bind_secret_at(const fz_bind *b, uint32_t i)
{
    return &FZ_VEC_AT(&b->secrets, fz_secret_spec, i);
}

int fz_bind_resolve(fz_bind *b, const fz_graph *g, uint32_t *unbound)
{
    free_resolution(b);
    uint32_t n = fz_graph_node_count(g);
    *unbound = 0;
    b->node_rule = fz_malloc(b->alloc, (size_t)n * sizeof(uint32_t));
    b->node_caps = fz_calloc(b->alloc, n, sizeof(fz_caps));
    if (n && (!b->node_rule || !b->node_caps)) {
        fz_free(b->alloc, b->node_rule, (size_t)n * sizeof(uint32_t));
        fz_free(b->alloc, b->node_caps, (size_t)n * sizeof(fz_caps));
        b->node_rule = NULL;
        b->node_caps = NULL;
        return FZ_ENOMEM;
    }
    b->nnodes = n;
    for (uint32_t i = 0; i < n; i++)
        fz_caps_init(&b->node_caps[i], b->alloc);
    for (uint32_t i = 0; i < n; i++) {
        b->node_rule[i] = FZ_NONE;
        for (uint32_t r = 0; r < b->rules.len; r++) {
            int m = fz_match_node_why(FZ_VEC_AT(&b->rules, fz_rule, r).match, g, i,
                                      &b->node_caps[i], b->fail_why, sizeof(b->fail_why));
            if (m < 0) {
                b->fail_rule = r;
                b->fail_node = i;
                return m;
            }
            if (m == 1) {
                b->node_rule[i] = r;
                break;
            }
        }
        if (b->node_rule[i] == FZ_NONE)
            (*unbound)++;
    }
    return FZ_OK;
}

const char *fz_bind_resolve_error(const fz_bind *b, uint32_t *rule, uint32_t *node)
{
    *rule = b->fail_rule;
    *node = b->fail_node;
    return b->fail_why;
}

uint32_t fz_bind_node_rule(const fz_bind *b, uint32_t node)
{
    return node < b->nnodes ? b->node_rule[node] : FZ_NONE;
}

const fz_caps *fz_bind_node_caps(const fz_bind *b, uint32_t node)
{
    return node < b->nnodes ? &b->node_caps[node] : NULL;
}

void fz_bind_apply_policies(const fz_bind *b, fz_plan *plan)
{
    for (uint32_t i = 0; i < b->nnodes; i++) {
        uint32_t r = b->node_rule[i];
        if (r != FZ_NONE && FZ_VEC_AT(&b->rules, fz_rule, r).has_policy)
            fz_plan_set_policy(plan, i, &FZ_VEC_AT(&b->rules, fz_rule, r).policy);
    }
}

void fz_bind_describe(const fz_bind *b, uint32_t i, char *buf, size_t len)
{
    const fz_rule *r = fz_bind_rule(b, i);
    if (r->ops->describe)
        r->ops->describe(r->cfg, buf, len);
    else
        snprintf(buf, len, "%s", r->ops->name);
}

void fz_bind_rule_info(const fz_bind *b, uint32_t i, fz_rule_info *out)
{
    const fz_rule *r = fz_bind_rule(b, i);
    memset(out, 0, sizeof(*out));
    out->handler = r->ops->name;
    if (r->ops->info)
        r->ops->info(r->cfg, out);
}
