/* SPDX-License-Identifier: MIT */
/*
 * http.c - the http handler: one request through libcurl (run by the real
 * backend's multi handle, in its poll loop). The response status (default:
 * any 2xx) and an optional PCRE2 pattern on the body decide ok or no; named
 * groups of that pattern become run variables. A connection failure or a
 * timeout is an error. URL, headers and body take ${VAR}; a value is
 * inserted as text (URL-encode it yourself where it needs to be).
 *
 * Values cross into the protocol here, and a run variable may hold text
 * from anywhere (a label, a `::set` line, a response body): a header name
 * is an RFC 9110 token checked at load; after substitution a header value
 * or the URL holding CR, LF or another control character (or, in the URL,
 * a space) makes the step an error that names the header, so no value can
 * end the header block and smuggle a second request. The body is bytes.
 */
#include <ctype.h>
#include "real/curlapi.h"
#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "real/bind.h"
#include "real/handler.h"
#include "engine/match.h"

typedef struct status_range {
    long lo, hi;
} status_range;

/* Where a value sits in the bindings file, for run-time messages. */
typedef struct src_pos {
    uint32_t line, col; /* 1-based; 0: unknown */
} src_pos;

typedef struct http_cfg {
    char *method;
    char *url;
    char *body;     /* NULL: none */
    fz_kv *headers; /* NULL-key-terminated */
    uint32_t nheaders;
    src_pos url_pos;
    src_pos *header_pos; /* nheaders: each header's name */
    status_range *ok;
    uint32_t nok;
    fz_match *body_match; /* NULL: any body */
    src_pos body_match_pos;
    uint64_t connect_ns;
    size_t max_body; /* bytes of response body read at most (body_match sees all) */
} http_cfg;

/* Default and largest `max_body` (docs/bindings.md). */
#define HTTP_MAX_BODY_DEFAULT ((size_t)64 << 20)
#define HTTP_MAX_BODY_LIMIT ((size_t)1 << 30)

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
    fz_free(a, c->header_pos, (size_t)(c->nheaders ? c->nheaders : 1) * sizeof(src_pos));
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

/* The place of scalar n in the bindings text. */
static src_pos pos_of(struct fy_node *n)
{
    src_pos p = {0, 0};
    struct fy_token *t = n && fy_node_is_scalar(n) ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;
    if (mk) {
        p.line = (uint32_t)mk->line + 1;
        p.col = (uint32_t)mk->column + 1;
    }
    return p;
}

/* RFC 9110 tchar: the characters of a token (a header name, a method). */
static int is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Checks each header name (an RFC 9110 token, at its own place) and
 * records where it is. */
static int check_headers(fz_bind_loader *ld, struct fy_node *map, http_cfg *c)
{
    c->header_pos = fz_calloc(fz__bind_alloc(ld), c->nheaders ? c->nheaders : 1, sizeof(src_pos));
    if (!c->header_pos)
        return FZ_ENOMEM;
    int rc = FZ_OK;
    void *it = NULL;
    struct fy_node_pair *p;
    for (uint32_t i = 0; i < c->nheaders && (p = fy_node_mapping_iterate(map, &it)); i++) {
        struct fy_node *k = fy_node_pair_key(p);
        const char *name = c->headers[i].key;
        c->header_pos[i] = pos_of(k);
        const char *bad = name;
        while (*bad && is_tchar((unsigned char)*bad))
            bad++;
        if (!*name || *bad) {
            int r = fz__bind_error(ld, k,
                                   "'http.headers': '%s' is not a header name (letters, digits "
                                   "and !#$%%&'*+-.^_`|~ only; ${VAR} is not replaced in names)",
                                   name);
            if (r == FZ_ENOMEM)
                return r;
            rc = r;
        }
    }
    return rc;
}

/* Parses a size: a whole number of bytes, or with a unit k/KiB, M/MiB,
 * G/GiB (all powers of 1024). Returns 0 or FZ_EINVAL. */
static int parse_size(const char *s, size_t *out)
{
    size_t v = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return FZ_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (SIZE_MAX - 9) / 10)
            return FZ_EINVAL;
        v = v * 10 + (size_t)(*p - '0');
    }
    while (*p == ' ')
        p++;
    unsigned shift = 0;
    if (!*p || !strcmp(p, "B"))
        shift = 0;
    else if (!strcmp(p, "k") || !strcmp(p, "K") || !strcmp(p, "KiB"))
        shift = 10;
    else if (!strcmp(p, "M") || !strcmp(p, "MiB"))
        shift = 20;
    else if (!strcmp(p, "G") || !strcmp(p, "GiB"))
        shift = 30;
    else
        return FZ_EINVAL;
    if (v > (SIZE_MAX >> shift))
        return FZ_EINVAL;
    *out = v << shift;
    return FZ_OK;
}

static int http_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                         void **cfg)
{
    (void)rule;
    const fz_alloc *a = fz__bind_alloc(ld);
    if (!value || !fy_node_is_mapping(value))
        return fz__bind_error(ld, value ? value : rule,
                              "'http' must be a mapping {method, url, headers, body, status, "
                              "body_match, connect_timeout, max_body}");
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
            if (!r && c->method[0] == '\0')
                r = fz__bind_error(ld, v, "'http.method' must not be empty");
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
            c->url_pos = pos_of(v);
            if (!r && !fz__has_ref(c->url) && strncmp(c->url, "http://", 7) != 0 &&
                strncmp(c->url, "https://", 8) != 0)
                r = fz__bind_error(ld, v, "'http.url' must start with http:// or https://");
        } else if (strcmp(ks, "body") == 0) {
            r = fz__yaml_string(ld, v, "http.body", &c->body);
        } else if (strcmp(ks, "headers") == 0) {
            r = fz__yaml_kvv(ld, v, "http.headers", &c->headers, &c->nheaders);
            if (!r)
                r = check_headers(ld, v, c);
        } else if (strcmp(ks, "max_body") == 0) {
            char *sz = NULL;
            r = fz__yaml_string(ld, v, "http.max_body", &sz);
            if (!r && (parse_size(sz, &c->max_body) || c->max_body == 0 ||
                       c->max_body > HTTP_MAX_BODY_LIMIT))
                r = fz__bind_error(ld, v,
                                   "'http.max_body': '%s' is not a size from 1 byte to 1GiB "
                                   "(e.g. 65536, 512KiB, 64MiB)",
                                   sz);
            free_s(a, sz);
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
            c->body_match_pos = pos_of(v);
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
                               "status, body_match, connect_timeout, max_body)",
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
    if (!rc && !c->max_body)
        c->max_body = HTTP_MAX_BODY_DEFAULT;
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
    if (code == CURLE_WRITE_ERROR && fz__job_dropped(j)) {
        snprintf(reason, sizeof(reason),
                 "the response body is larger than max_body (%zu bytes); raise http.max_body "
                 "to read it",
                 c->max_body);
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
        return;
    }
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
        char why[200] = "";
        int m = fz_match_text_why(c->body_match, body, blen, &caps, why, sizeof(why));
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
            /* which limit stopped it, and where the pattern is */
            char where[48] = "";
            if (c->body_match_pos.line)
                snprintf(where, sizeof(where), " (bindings line %u, column %u)",
                         c->body_match_pos.line, c->body_match_pos.col);
            snprintf(reason, sizeof(reason),
                     "http body_match%s: matching the %zu-byte body stopped: %s", where, blen,
                     why[0] ? why : "a PCRE2 limit was reached");
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
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

/* The first byte of s that may not go on the wire as it is: a control
 * character (CR, LF, ...; a tab only where tab_ok), DEL, or, where
 * space_bad, a space. NULL when there is none. */
static const char *bad_byte(const char *s, int tab_ok, int space_bad)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && !(ch == '\t' && tab_ok)) || ch == 0x7f || (ch == ' ' && space_bad))
            return s;
    }
    return NULL;
}

static const char *byte_name(unsigned char ch, char *buf, size_t len)
{
    if (ch == '\r')
        return "a CR (carriage return)";
    if (ch == '\n')
        return "an LF (line feed)";
    if (ch == ' ')
        return "a space";
    snprintf(buf, len, "the control byte 0x%02x", ch);
    return buf;
}

/* Ends the job as an error when value (after substitution) cannot go into
 * the request as it is; what names the place ("header 'X-Token'", "url"). */
static int refuse_bad_value(fz_job *j, const char *what, src_pos at, const char *value, int is_url)
{
    const char *bad = bad_byte(value, !is_url, is_url);
    if (!bad)
        return 0;
    char nb[32], where[48] = "", reason[400];
    if (at.line)
        snprintf(where, sizeof(where), " (bindings line %u)", at.line);
    snprintf(reason, sizeof(reason),
             "http %s%s: after ${...} substitution it holds %s at byte %zu; refused so that "
             "no value can change the request%s",
             what, where, byte_name((unsigned char)*bad, nb, sizeof(nb)), (size_t)(bad - value),
             is_url ? " (percent-encode it: %0D, %0A, %20)" : "");
    fz__job_finish(j, FZ_ANSWER_ERROR, NULL, reason);
    return 1;
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
    if (refuse_bad_value(j, "url", c->url_pos, url, 1))
        return FZ_OK;
    struct curl_slist *hdrs = NULL;
    for (uint32_t i = 0; i < c->nheaders; i++) {
        char *v = NULL;
        rc = expand(j, c->headers[i].value, &v, &missing);
        if (rc || missing) {
            fz__curl->slist_free_all(hdrs);
            return rc;
        }
        char what[300];
        snprintf(what, sizeof(what), "header '%.200s'", c->headers[i].key);
        if (refuse_bad_value(j, what, c->header_pos[i], v, 0)) {
            fz__curl->slist_free_all(hdrs);
            return FZ_OK;
        }
        size_t n = strlen(c->headers[i].key) + strlen(v) + 3;
        char *line = fz__job_mem(j, n);
        if (!line) {
            fz__curl->slist_free_all(hdrs);
            return FZ_ENOMEM;
        }
        /* "Name:" with nothing after it tells libcurl to drop the header;
         * "Name;" is its way to send one with an empty value. */
        if (v[strspn(v, " \t")] == '\0')
            snprintf(line, n, "%s;", c->headers[i].key);
        else
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
    return fz__job_http(j, easy, c->max_body, http_done);
}

static void http_describe(const void *cfg, char *buf, size_t len)
{
    const http_cfg *c = cfg;
    snprintf(buf, len, "http %s %s%s%s%s", c->method, c->url, c->body_match ? " ~ /" : "",
             c->body_match ? fz_match_pattern(c->body_match) : "", c->body_match ? "/" : "");
}

static void http_info(const void *cfg, fz_rule_info *out)
{
    const http_cfg *c = cfg;
    out->method = c->method;
    out->url = c->url;
    out->body = c->body;
    out->headers = c->headers;
    out->nheaders = c->nheaders;
    out->body_match = c->body_match;
}

const fz_handler_ops fz__handler_http = {
    "http", http_validate, http_start, NULL, http_free, http_describe, NULL, http_info,
};
