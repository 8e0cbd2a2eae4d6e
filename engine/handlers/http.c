/* SPDX-License-Identifier: MIT */
/*
 * http.c - the http handler: one request through libcurl (run by the real
 * backend's multi handle, in its poll loop). The response status (default:
 * any 2xx) and an optional PCRE2 pattern on the body decide ok or no; named
 * groups of that pattern become run variables. A connection failure or a
 * timeout is an error. URL, headers and body take ${VAR}; a value is
 * inserted as text (URL-encode it yourself where it needs to be).
 */
#include <ctype.h>
#include "engine/curlapi.h"
#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "engine/handler.h"
#include "engine/match.h"

typedef struct status_range {
    long lo, hi;
} status_range;

typedef struct http_cfg {
    char *method;
    char *url;
    char *body;     /* NULL: none */
    fz_kv *headers; /* NULL-key-terminated */
    uint32_t nheaders;
    status_range *ok;
    uint32_t nok;
    fz_match *body_match; /* NULL: any body */
    uint64_t connect_ns;
} http_cfg;

static void free_s(const fz_alloc *a, char *s)
{
    if (s)
        fz_free(a, s, strlen(s) + 1);
}

static void http_free(const fz_alloc *a, void *p)
{
    http_cfg *c = p;
    if (!c)
        return;
    free_s(a, c->method);
    free_s(a, c->url);
    free_s(a, c->body);
    fz__kvv_free(a, c->headers);
    fz_free(a, c->ok, (size_t)c->nok * sizeof(status_range));
    fz_match_free(c->body_match);
    fz_free(a, c, sizeof(*c));
}

/* "200", "2xx", "200-299" */
static int parse_status(const char *s, status_range *r)
{
    size_t n = strlen(s);
    if (n == 3 && isdigit((unsigned char)s[0]) && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X')) {
        r->lo = (s[0] - '0') * 100;
        r->hi = r->lo + 99;
        return r->lo >= 100 && r->lo <= 500 ? 0 : -1;
    }
    long lo = 0, hi = 0;
    char dash = 0, extra = 0;
    int k = sscanf(s, "%ld%c%ld%c", &lo, &dash, &hi, &extra);
    if (k == 1)
        hi = lo;
    else if (!(k == 3 && dash == '-'))
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '-')
            return -1;
    if (lo < 100 || hi > 599 || lo > hi)
        return -1;
    r->lo = lo;
    r->hi = hi;
    return 0;
}

static int http_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                         void **cfg)
{
    (void)rule;
    const fz_alloc *a = fz__bind_alloc(ld);
    if (!value || !fy_node_is_mapping(value))
        return fz__bind_error(ld, value ? value : rule,
                              "'http' must be a mapping {method, url, headers, body, status, "
                              "body_match}");
    http_cfg *c = fz_calloc(a, 1, sizeof(*c));
    if (!c)
        return FZ_ENOMEM;
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(value, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        const char *ks = fy_node_is_scalar(k) ? fy_node_get_scalar0(k) : "";
        int r = FZ_OK;
        if (strcmp(ks, "method") == 0) {
            r = fz__yaml_string(ld, v, "http.method", &c->method);
            for (char *m = r ? NULL : c->method; m && *m; m++) {
                if (!isalpha((unsigned char)*m)) {
                    r = fz__bind_error(ld, v, "'http.method': '%s' is not an HTTP method",
                                       c->method);
                    break;
                }
                *m = (char)toupper((unsigned char)*m);
            }
        } else if (strcmp(ks, "url") == 0) {
            r = fz__yaml_string(ld, v, "http.url", &c->url);
            if (!r && !fz__has_ref(c->url) && strncmp(c->url, "http://", 7) != 0 &&
                strncmp(c->url, "https://", 8) != 0)
                r = fz__bind_error(ld, v, "'http.url' must start with http:// or https://");
        } else if (strcmp(ks, "body") == 0) {
            r = fz__yaml_string(ld, v, "http.body", &c->body);
        } else if (strcmp(ks, "headers") == 0) {
            r = fz__yaml_kvv(ld, v, "http.headers", &c->headers, &c->nheaders);
        } else if (strcmp(ks, "connect_timeout") == 0) {
            r = fz__yaml_duration(ld, v, "http.connect_timeout", &c->connect_ns);
        } else if (strcmp(ks, "status") == 0) {
            char **sv = NULL;
            uint32_t n = 0;
            r = fz__yaml_strv(ld, v, "http.status", &sv, &n);
            if (!r) {
                c->ok = fz_calloc(a, n ? n : 1, sizeof(status_range));
                if (!c->ok)
                    r = FZ_ENOMEM;
                else
                    c->nok = n ? n : 1;
                void *sit = NULL;
                for (uint32_t i = 0; !r && i < n; i++) {
                    struct fy_node *item =
                        fy_node_is_sequence(v) ? fy_node_sequence_iterate(v, &sit) : v;
                    if (parse_status(sv[i], &c->ok[i]))
                        r = fz__bind_error(ld, item ? item : v,
                                           "'http.status': '%s' is not a status (200, 2xx or "
                                           "200-299)",
                                           sv[i]);
                }
                if (!r && n == 0)
                    r = fz__bind_error(ld, v, "'http.status' must list at least one status");
            }
            fz__strv_free(a, sv);
        } else if (strcmp(ks, "body_match") == 0) {
            char *pat = NULL;
            r = fz__yaml_string(ld, v, "http.body_match", &pat);
            if (!r) {
                char err[300];
                int m =
                    fz_match_new(pat, NULL, NULL, NULL, a, &c->body_match, err, sizeof(err), NULL);
                if (m == FZ_ENOMEM)
                    r = m;
                else if (m)
                    r = fz__bind_error(ld, v, "'http.body_match': %s", err);
            }
            free_s(a, pat);
        } else {
            r = fz__bind_error(ld, k,
                               "unknown key 'http.%s' (expected method, url, headers, body, "
                               "status, body_match, connect_timeout)",
                               ks);
        }
        if (r == FZ_ENOMEM) {
            rc = r;
            break;
        }
        rc = r ? r : rc;
    }
    if (!rc && !c->url)
        rc = fz__bind_error(ld, value, "'http' needs a 'url'");
    if (!rc && !c->method)
        c->method = fz_strdup(a, c->body ? "POST" : "GET");
    if (!rc && !c->method)
        rc = FZ_ENOMEM;
    if (!rc && !c->ok) {
        c->ok = fz_calloc(a, 1, sizeof(status_range));
        if (!c->ok) {
            rc = FZ_ENOMEM;
        } else {
            c->nok = 1;
            c->ok[0].lo = 200;
            c->ok[0].hi = 299;
        }
    }
    if (rc) {
        http_free(a, c);
        return rc;
    }
    *cfg = c;
    return FZ_OK;
}

static void free_slist(const fz_alloc *a, void *p)
{
    (void)a;
    if (p && fz__curl)
        fz__curl->slist_free_all(p);
}

static void http_done(fz_job *j, const void *cfg, int code, long status)
{
    const http_cfg *c = cfg;
    char reason[400];
    if (code != CURLE_OK) {
        snprintf(reason, sizeof(reason), "%s", fz__curl->easy_strerror((CURLcode)code));
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
        return;
    }
    int ok = 0;
    for (uint32_t i = 0; i < c->nok; i++)
        if (status >= c->ok[i].lo && status <= c->ok[i].hi)
            ok = 1;
    if (!ok) {
        snprintf(reason, sizeof(reason), "HTTP status %ld", status);
        fz__job_finish(j, FZ_ANSWER_NO, NULL, reason);
        return;
    }
    if (c->body_match) {
        const char *body, *err;
        size_t blen, elen;
        fz__job_output(j, &body, &blen, &err, &elen);
        fz_caps caps;
        fz_caps_init(&caps, fz__job_alloc(j));
        int m = fz_match_text(c->body_match, body, blen, &caps);
        int oom = m == FZ_ENOMEM;
        for (uint32_t i = 0; m == 1 && i < fz_caps_count(&caps); i++) {
            const fz_kv *kv = fz_caps_at(&caps, i);
            if (!isdigit((unsigned char)kv->key[0]) && fz__job_set(j, kv->key, kv->value))
                oom = 1;
        }
        fz_caps_fini(&caps);
        if (oom) {
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "out of memory matching the body");
        } else if (m < 0) {
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "body_match failed to run (PCRE2 limit)");
        } else if (m == 0) {
            snprintf(reason, sizeof(reason), "HTTP status %ld, body does not match /%.200s/",
                     status, fz_match_pattern(c->body_match));
            fz__job_finish(j, FZ_ANSWER_NO, NULL, reason);
        } else {
            fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
        }
        return;
    }
    fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
}

/* Ends the job as an error for a missing variable (reason set by expand). */
static int expand(fz_job *j, const char *tmpl, char **out, int *missing)
{
    int rc = fz__job_expand(j, tmpl, out);
    if (rc == FZ_ENOENT) {
        *missing = 1;
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL);
        return FZ_OK;
    }
    return rc;
}

static int http_start(fz_job *j, const void *cfg)
{
    const http_cfg *c = cfg;
    int missing = 0;
    char *url = NULL, *body = NULL;
    int rc = expand(j, c->url, &url, &missing);
    if (!rc && !missing && c->body)
        rc = expand(j, c->body, &body, &missing);
    if (rc || missing)
        return rc;
    struct curl_slist *hdrs = NULL;
    for (uint32_t i = 0; i < c->nheaders; i++) {
        char *v = NULL;
        rc = expand(j, c->headers[i].value, &v, &missing);
        if (rc || missing) {
            fz__curl->slist_free_all(hdrs);
            return rc;
        }
        size_t n = strlen(c->headers[i].key) + strlen(v) + 3;
        char *line = fz__job_mem(j, n);
        if (!line) {
            fz__curl->slist_free_all(hdrs);
            return FZ_ENOMEM;
        }
        snprintf(line, n, "%s: %s", c->headers[i].key, v);
        struct curl_slist *nh = fz__curl->slist_append(hdrs, line);
        if (!nh) {
            fz__curl->slist_free_all(hdrs);
            return FZ_ENOMEM;
        }
        hdrs = nh;
    }
    if (hdrs && fz__job_on_end(j, free_slist, hdrs)) {
        fz__curl->slist_free_all(hdrs);
        return FZ_ENOMEM;
    }
    CURL *easy = fz__curl->easy_init();
    if (!easy)
        return FZ_ENOMEM;
    fz__curl->easy_setopt(easy, CURLOPT_URL, url);
    fz__curl->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    fz__curl->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    fz__curl->easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->connect_ns ? c->connect_ns / 1000000u : 10000u));
    if (strcmp(c->method, "HEAD") == 0)
        fz__curl->easy_setopt(easy, CURLOPT_NOBODY, 1L);
    else if (strcmp(c->method, "GET") != 0)
        fz__curl->easy_setopt(easy, CURLOPT_CUSTOMREQUEST, c->method);
    if (body) {
        fz__curl->easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        fz__curl->easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
        if (strcmp(c->method, "POST") != 0)
            fz__curl->easy_setopt(easy, CURLOPT_CUSTOMREQUEST, c->method);
    }
    if (hdrs)
        fz__curl->easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    fz__curl->easy_setopt(easy, CURLOPT_USERAGENT, "flowzap");
    return fz__job_http(j, easy, http_done);
}

static void http_describe(const void *cfg, char *buf, size_t len)
{
    const http_cfg *c = cfg;
    snprintf(buf, len, "http %s %s%s%s%s", c->method, c->url, c->body_match ? " ~ /" : "",
             c->body_match ? fz_match_pattern(c->body_match) : "", c->body_match ? "/" : "");
}

const fz_handler_ops fz__handler_http = {
    "http", http_validate, http_start, NULL, http_free, http_describe, NULL,
};
