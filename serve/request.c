/* SPDX-License-Identifier: MIT */
/* request.c - checked reading of request input (request.h). */
#include "serve/request.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Reads a decimal id at *p (no leading zero, 1..15 digits). */
static int read_id(const char **p, uint64_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    uint64_t v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > 15)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

fz_route_kind fz_serve_route(const char *path, fz_route *r)
{
    r->kind = FZ_ROUTE_NONE;
    r->id = 0;
    if (!path)
        return r->kind;
    static const struct {
        const char *path;
        fz_route_kind kind;
    } fixed[] = {
        {"/", FZ_ROUTE_RUNS},
        {"/sim", FZ_ROUTE_SIM},
        {"/events", FZ_ROUTE_EVENTS},
        {"/static/app.js", FZ_ROUTE_JS},
        {"/static/app.css", FZ_ROUTE_CSS},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(path, fixed[i].path))
            return r->kind = fixed[i].kind;
    const char *p;
    uint64_t id;
    if (!strncmp(path, "/run/", 5)) {
        p = path + 5;
        if (read_id(&p, &id) || id == 0)
            return r->kind;
        if (*p == '\0')
            r->kind = FZ_ROUTE_RUN;
        else if (!strcmp(p, "/signal"))
            r->kind = FZ_ROUTE_SIGNAL;
        if (r->kind)
            r->id = id;
        return r->kind;
    }
    if (!strncmp(path, "/wf/", 4)) {
        p = path + 4;
        if (read_id(&p, &id) || *p)
            return r->kind;
        r->id = id;
        return r->kind = FZ_ROUTE_WORKFLOW;
    }
    return r->kind;
}

int fz_serve_parse_listen(const char *s, char *host, size_t hostsz, uint16_t *port)
{
    if (!s)
        return -1;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    int v6 = 0;
    if (s[0] == '[') {
        if (hl < 3 || s[hl - 1] != ']')
            return -1;
        h = s + 1;
        hl -= 2;
        v6 = 1;
    }
    if (hl == 0 || hl >= hostsz || hl >= 64)
        return -1;
    char tmp[64];
    memcpy(tmp, h, hl);
    tmp[hl] = '\0';
    unsigned char addr[16];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, addr) != 1)
        return -1;
    const char *p = colon + 1;
    if (*p == '\0')
        return -1;
    unsigned long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535)
            return -1;
    }
    memcpy(host, tmp, hl + 1);
    *port = (uint16_t)v;
    return 0;
}

static int is_loopback(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    return !strcmp(host, "::1");
}

int fz_serve_host_ok(const char *hh, const char *listen_host, uint16_t port)
{
    if (!hh || !listen_host)
        return 0;
    char want[96];
    int v6 = strchr(listen_host, ':') != NULL;
    snprintf(want, sizeof want, v6 ? "[%s]:%u" : "%s:%u", listen_host, (unsigned)port);
    if (!strcasecmp(hh, want))
        return 1;
    snprintf(want, sizeof want, "localhost:%u", (unsigned)port);
    return is_loopback(listen_host) && !strcasecmp(hh, want);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0, n) into out; -1 when malformed or too long. */
static int decode(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (n - i < 3)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= outsz)
            return -1;
        out[o++] = (char)c;
    }
    if (outsz == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

int fz_serve_form_value(const char *body, size_t len, const char *key, char *out, size_t outsz)
{
    size_t kl = strlen(key);
    size_t i = 0;
    while (i <= len && body) {
        size_t e = i;
        while (e < len && body[e] != '&')
            e++;
        const char *eq = memchr(body + i, '=', e - i);
        size_t nl = eq ? (size_t)(eq - (body + i)) : e - i;
        char name[64];
        if (nl < sizeof name && decode(body + i, nl, name, sizeof name) == 0 &&
            strlen(name) == kl && !memcmp(name, key, kl)) {
            const char *v = eq ? eq + 1 : body + e;
            return decode(v, (size_t)(body + e - v), out, outsz) ? -1 : 1;
        }
        i = e + 1;
    }
    return 0;
}

int fz_serve_secret_eq(const char *a, const char *b)
{
    if (!a || !b || !*a)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ (i < lb ? b[i] : 0));
    return d == 0;
}
