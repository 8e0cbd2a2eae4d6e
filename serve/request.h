/* SPDX-License-Identifier: MIT */
/*
 * request.h - what `flowzap serve` reads from a request, checked: the
 * route a path names, the Host header against the listening address, the
 * fields of a form body, the --listen argument, token comparison. Plain
 * functions on bytes (libmicrohttpd has already split the request), so
 * tests/fuzz/fuzz_serve_request.c drives them directly.
 */
#ifndef FZ_SERVE_REQUEST_H
#define FZ_SERVE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

typedef enum fz_route_kind {
    FZ_ROUTE_NONE = 0, /* not served: 404 */
    FZ_ROUTE_RUNS,     /* GET / */
    FZ_ROUTE_RUN,      /* GET /run/ID */
    FZ_ROUTE_SIGNAL,   /* POST /run/ID/signal */
    FZ_ROUTE_WORKFLOW, /* GET /wf/N (N: index of a file from the command line) */
    FZ_ROUTE_SIM,      /* GET /sim */
    FZ_ROUTE_EVENTS,   /* GET /events?topic=... (Server-Sent Events) */
    FZ_ROUTE_JS,       /* GET /static/app.js */
    FZ_ROUTE_CSS,      /* GET /static/app.css */
} fz_route_kind;

typedef struct fz_route {
    fz_route_kind kind;
    uint64_t id; /* RUN, SIGNAL: run id (>= 1); WORKFLOW: file index */
} fz_route;

/* The route path names, exactly (no prefix matching, no "..", no second
 * slash, ids as plain decimal without leading zeros, at most 15 digits).
 * Returns r->kind. */
fz_route_kind fz_serve_route(const char *path, fz_route *r);

/* Parses --listen's "ADDR:PORT": ADDR a numeric IPv4 address or a numeric
 * IPv6 one in brackets ("[::1]:7040"); PORT 0 to 65535. host receives ADDR
 * without brackets. Returns 0 or -1. */
int fz_serve_parse_listen(const char *s, char *host, size_t hostsz, uint16_t *port);

/* 1 when the Host header names the listening address: "ADDR:PORT" (IPv6
 * in brackets) or, when ADDR is a loopback address, "localhost:PORT"; any
 * other name (a DNS-rebinding attack) gives 0. */
int fz_serve_host_ok(const char *host_header, const char *listen_host, uint16_t port);

/* The value of key in an application/x-www-form-urlencoded body of len
 * bytes, percent- and plus-decoded into out (NUL-terminated). Returns 1
 * when found, 0 when absent, -1 for a malformed escape, a NUL byte or a
 * value longer than outsz - 1. */
int fz_serve_form_value(const char *body, size_t len, const char *key, char *out, size_t outsz);

/* Compares two secrets in time that does not depend on where they differ.
 * 1 when equal (and a is not empty). */
int fz_serve_secret_eq(const char *a, const char *b);

#endif
