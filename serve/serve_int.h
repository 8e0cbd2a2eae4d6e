/* SPDX-License-Identifier: MIT */
/* serve_int.h - what server.c and pages.c share. */
#ifndef FZ_SERVE_SERVE_INT_H
#define FZ_SERVE_SERVE_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "real/bind.h"
#include "real/journal.h"
#include "parser/graph.h"
#include "serve/buf.h"
#include "serve/serve.h"

#define FZ_SERVE_SECRET_LEN 33 /* 32 hex digits and a NUL */
#define FZ_SERVE_SESSIONS 64
#define FZ_SERVE_CACHE 16

typedef struct fz_serve_file {
    char *path;
    struct timespec mtime;
    off_t size;
    ino_t ino;
    char *last_svg; /* the last picture drawn without errors */
} fz_serve_file;

typedef struct fz_serve_session {
    char id[FZ_SERVE_SECRET_LEN];
    char csrf[FZ_SERVE_SECRET_LEN];
    uint64_t used; /* tick of last use; 0: free */
} fz_serve_session;

/* A workflow (and bindings) parsed and drawn once, for run pages. */
typedef struct fz_serve_cached {
    char *workflow, *bindings;
    struct timespec wf_mtime, b_mtime;
    fz_graph *g;
    fz_bind *b;                     /* NULL when the run has none or it does not load */
    char *svg;                      /* NULL when it did not draw */
    char hash[FZ_JOURNAL_HASH_LEN]; /* of the workflow's text as read */
    uint64_t used;
} fz_serve_cached;

/* An event built for one generation, shared by the streams that ask for
 * the same thing (same page, filter and session). */
typedef struct fz_serve_event {
    uint64_t gen;
    char *key; /* "TOPIC ID\x1fWF\x1fSTATE\x1fCSRF" */
    char *text;
    size_t len;
    uint64_t used;
} fz_serve_event;

#define FZ_SERVE_EVENTS 16

struct fz_serve {
    const fz_alloc *a; /* fz_serve_opts.alloc: everything below is allocated with it */
    struct MHD_Daemon *d;
    char host[64];
    uint16_t port;
    char token[FZ_SERVE_SECRET_LEN];
    char url[192];
    char who[96];
    char *db;
    fz_journal *j;
    pthread_mutex_t mu; /* everything below, the journal and Graphviz */
    pthread_cond_t cv;
    uint64_t gen; /* bumped on every change seen */
    uint64_t tick;
    int stopping;
    int64_t data_version;
    pthread_t watcher;
    int watcher_started;
    uint32_t poll_ms;
    fz_serve_file *files; /* files_cap allocated, nfiles filled */
    uint32_t nfiles, files_cap;
    int watch;
    char *sim, *sim_workflow;
    fz_serve_session sessions[FZ_SERVE_SESSIONS];
    fz_serve_cached cache[FZ_SERVE_CACHE];
    fz_serve_event events[FZ_SERVE_EVENTS];
};

/* Copies / frees a NUL-terminated string with s->a (NULL: nothing). */
char *fz__serve_strdup(const fz_serve *s, const char *p);
void fz__serve_strfree(const fz_serve *s, char *p);

/* Pages (pages.c), all called with s->mu held. */
void fz__serve_page_runs(fz_serve *s, fz_hbuf *b, const char *wf, const char *state);
/* The runs table body for the filter. */
void fz__serve_runs_rows(fz_serve *s, fz_hbuf *b, const char *wf, const char *state);
/* Returns 404 when the run does not exist, else 200. */
int fz__serve_page_run(fz_serve *s, fz_hbuf *b, int64_t id, const char *csrf);
/* The JSON event for a run (its parts and the node states); NULL: none.
 * The events are s->a strings: the caller frees them with fz__serve_strfree. */
char *fz__serve_run_event(fz_serve *s, int64_t id, const char *csrf);
char *fz__serve_runs_event(fz_serve *s, const char *wf, const char *state);
int fz__serve_page_workflow(fz_serve *s, fz_hbuf *b, uint32_t idx);
char *fz__serve_workflow_event(fz_serve *s, uint32_t idx);
int fz__serve_page_sim(fz_serve *s, fz_hbuf *b);

/* Frees the cached run pictures. */
void fz__serve_cache_free(fz_serve *s);

/* Opens the journal when it exists and is not open yet; 1 when open. */
int fz__serve_journal(fz_serve *s);

/* The static files, compiled in (assets.c). */
extern const char fz__serve_js[], fz__serve_css[];

#endif
