/* SPDX-License-Identifier: MIT */
/*
 * serve.h - `flowzap serve`: a web page over the journal and the workflow
 * files named on the command line (docs/serve.md). An HTTP server on
 * libmicrohttpd (one thread per connection, so a Server-Sent Events
 * stream may block waiting for a change) that requires a random token on
 * every request, checks the Host header, and takes state-changing
 * requests only as same-origin POSTs with a per-session CSRF token.
 */
#ifndef FZ_SERVE_SERVE_H
#define FZ_SERVE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

typedef struct fz_serve fz_serve;

typedef struct fz_serve_opts {
    const char *db;           /* journal path (opened when it exists, now or later) */
    const char *host;         /* numeric address to listen on */
    uint16_t port;            /* 0: any free port */
    const char *const *files; /* workflow files served (by index), in order */
    uint32_t nfiles;
    int watch;                /* redraw workflow pages when their file changes */
    const char *sim;          /* a `flowzap sim --json` report for /sim, or NULL */
    const char *sim_workflow; /* the workflow the report is about, or NULL */
    uint32_t poll_ms;         /* how often the journal and files are checked (0: 50) */
    const char *token;        /* fixed token (tests, benchmarks); NULL: random */
    const fz_alloc *alloc;    /* every allocation of the server (NULL: the default); it is
                               * called from the connection threads, so it must be thread-safe */
} fz_serve_opts;

/* Starts the server. Returns 0, or -1 with a message in err; FZ_ETIMEOUT
 * (with the message) when the journal is on a PostgreSQL server that did
 * not answer within the connect timeout (fz_journal_set_pg_connect_timeout):
 * a server that refuses, or a SQLite file not there yet, is opened later. */
int fz_serve_start(const fz_serve_opts *o, fz_serve **out, char *err, size_t errsz);

/* The address to open: http://HOST:PORT/?token=TOKEN. */
const char *fz_serve_url(const fz_serve *s);
uint16_t fz_serve_port(const fz_serve *s);
const char *fz_serve_token(const fz_serve *s);

/* Stops accepting, ends event streams, frees everything. NULL: no-op. */
void fz_serve_stop(fz_serve *s);

#endif
