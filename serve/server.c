/* SPDX-License-Identifier: MIT */
/*
 * server.c - `flowzap serve`'s HTTP side on libmicrohttpd: the token and
 * sessions, the Host, Origin and CSRF checks, routing, the Server-Sent
 * Events streams and the thread that watches the journal and the files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/status.h"
#include "parser/parser.h"
#include "serve/request.h"
#include "serve/serve_int.h"

#define COOKIE "fz_session"
#define MAX_BODY 8192

static const char csp[] = "default-src 'self'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

/*==========================================================================
 * Secrets and sessions
 *========================================================================*/

static int random_hex(char out[FZ_SERVE_SECRET_LEN])
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 * i] = digits[r[i] >> 4];
        out[2 * i + 1] = digits[r[i] & 15];
    }
    out[32] = '\0';
    return 0;
}

/* The session whose id the cookie holds, or NULL. With mu held. */
static fz_serve_session *session_find(fz_serve *s, const char *id)
{
    if (!id)
        return NULL;
    for (int i = 0; i < FZ_SERVE_SESSIONS; i++)
        if (s->sessions[i].used && fz_serve_secret_eq(s->sessions[i].id, id)) {
            s->sessions[i].used = ++s->tick;
            return &s->sessions[i];
        }
    return NULL;
}

/* A new session (the least recently used one is dropped when full). */
static fz_serve_session *session_new(fz_serve *s)
{
    fz_serve_session *slot = &s->sessions[0];
    for (int i = 0; i < FZ_SERVE_SESSIONS; i++)
        if (s->sessions[i].used < slot->used)
            slot = &s->sessions[i];
    if (random_hex(slot->id) || random_hex(slot->csrf)) {
        slot->used = 0;
        return NULL;
    }
    slot->used = ++s->tick;
    return slot;
}

/*==========================================================================
 * Journal and watcher
 *========================================================================*/

/* fz__serve_journal, with fz_journal_open's status in *rc (0 when it was
 * not called) and its message in msg (n bytes) when it failed. */
static int journal_try(fz_serve *s, int *rc, char *msg, size_t n)
{
    *rc = 0;
    if (s->j)
        return 1;
    /* A SQLite journal is opened once its file exists; a PostgreSQL one
     * whenever its server answers. */
    struct stat st;
    if (!fz_journal_location_is_postgres(s->db) && (stat(s->db, &st) || !S_ISREG(st.st_mode)))
        return 0;
    fz_journal *j = NULL;
    *rc = fz_journal_open(s->db, FZ_JOURNAL_SYNC_NORMAL, s->a, &j);
    if (*rc) {
        if (msg)
            snprintf(msg, n, "%s", *rc == FZ_ENOMEM ? fz_strerror(*rc) : fz_journal_errmsg(j));
        fz_journal_free(j);
        return 0;
    }
    s->j = j;
    fz_journal_data_version(j, &s->data_version);
    return 1;
}

int fz__serve_journal(fz_serve *s)
{
    int rc;
    return journal_try(s, &rc, NULL, 0);
}

static int file_changed(fz_serve_file *f)
{
    struct stat st;
    if (stat(f->path, &st)) {
        if (f->size == -1)
            return 0;
        f->size = -1;
        return 1;
    }
    if (st.st_mtim.tv_sec == f->mtime.tv_sec && st.st_mtim.tv_nsec == f->mtime.tv_nsec &&
        st.st_size == f->size && st.st_ino == f->ino)
        return 0;
    f->mtime = st.st_mtim;
    f->size = st.st_size;
    f->ino = st.st_ino;
    return 1;
}

/* How often the pages are rebuilt with no journal change, so that a run
 * whose owner died (SIGKILL writes nothing) turns to "interrupted (owner
 * gone)" on an open page; a stream sends only what differs. */
#define OWNER_RECHECK_MS 1000

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *watcher(void *ud)
{
    fz_serve *s = ud;
    int64_t rechecked = mono_ms();
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)s->poll_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->cv, &s->mu, &until);
        if (s->stopping)
            break;
        int changed = 0;
        int had = s->j != NULL;
        if (fz__serve_journal(s)) {
            int64_t v = 0;
            if (!had)
                changed = 1;
            else if (fz_journal_data_version(s->j, &v) == 0 && v != s->data_version) {
                s->data_version = v;
                changed = 1;
            }
            if (mono_ms() - rechecked >= OWNER_RECHECK_MS)
                changed = 1;
        }
        if (changed)
            rechecked = mono_ms();
        for (uint32_t i = 0; s->watch && i < s->nfiles; i++)
            changed |= file_changed(&s->files[i]);
        if (changed) {
            s->gen++;
            pthread_cond_broadcast(&s->cv);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/*==========================================================================
 * Responses
 *========================================================================*/

/* body (NULL: none) is copied: libmicrohttpd would free() a buffer it
 * owns, and ours come from s->a. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             const char *body, size_t len, const char *cookie, const char *location)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(body ? len : 0, (void *)(body ? body : ""),
                                        body ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    if (location)
        MHD_add_response_header(r, "Location", location);
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *msg)
{
    return reply(c, code, "text/plain; charset=utf-8", msg, strlen(msg), NULL, NULL);
}

static enum MHD_Result send_page(struct MHD_Connection *c, unsigned code, fz_hbuf *b)
{
    if (b->failed || !b->p) {
        fz_hbuf_fini(b);
        return send_text(c, 500, "out of memory\n");
    }
    enum MHD_Result rc = reply(c, code, "text/html; charset=utf-8", b->p, b->len, NULL, NULL);
    fz_hbuf_fini(b);
    return rc;
}

static enum MHD_Result send_static(struct MHD_Connection *c, const char *type, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/*==========================================================================
 * Server-Sent Events
 *========================================================================*/

typedef struct stream {
    fz_serve *s;
    fz_route_kind topic; /* RUNS, RUN, WORKFLOW */
    int64_t id;
    char *wf, *state;
    char csrf[FZ_SERVE_SECRET_LEN];
    uint64_t gen;  /* last generation looked at */
    int first;     /* nothing looked at yet */
    int sent;      /* an event was sent ... */
    uint64_t last; /* ... with this hash */
    char *out;     /* bytes waiting to be handed to MHD (out_len + 1 allocated) */
    size_t out_len, out_off;
} stream;

static char *build_event(stream *st)
{
    fz_serve *s = st->s;
    switch (st->topic) {
    case FZ_ROUTE_RUNS:
        return fz__serve_runs_event(s, st->wf, st->state);
    case FZ_ROUTE_RUN:
        return fz__serve_run_event(s, st->id, st->csrf);
    case FZ_ROUTE_WORKFLOW:
        return fz__serve_workflow_event(s, (uint32_t)st->id);
    default:
        return NULL;
    }
}

/* The stream's event for the current generation, framed as "data: ...\n\n"
 * (a copy, or NULL): built once per generation for all the streams that
 * ask for the same thing. With mu held. */
static char *stream_event(stream *st, size_t *len)
{
    fz_serve *s = st->s;
    fz_hbuf k;
    fz_hbuf_init(&k, s->a);
    fz_hbuf_printf(&k, "%d %lld\x1f%s\x1f%s\x1f%s", (int)st->topic, (long long)st->id,
                   st->wf ? st->wf : "", st->state ? st->state : "", st->csrf);
    char *key = fz_hbuf_take(&k, NULL);
    if (!key)
        return NULL;
    fz_serve_event *slot = &s->events[0], *hit = NULL;
    for (int i = 0; i < FZ_SERVE_EVENTS; i++) {
        fz_serve_event *e = &s->events[i];
        if (e->key && !strcmp(e->key, key)) {
            hit = e;
            break;
        }
        if (e->used < slot->used)
            slot = e;
    }
    if (!hit || hit->gen != s->gen) {
        if (!hit)
            hit = slot;
        fz__serve_strfree(s, hit->key);
        if (hit->text)
            fz_free(s->a, hit->text, hit->len + 1);
        hit->key = key;
        key = NULL;
        hit->gen = s->gen;
        hit->text = NULL;
        hit->len = 0;
        char *ev = build_event(st);
        if (ev) {
            size_t n = strlen(ev);
            hit->text = fz_malloc(s->a, n + 9);
            if (hit->text) {
                memcpy(hit->text, "data: ", 6);
                memcpy(hit->text + 6, ev, n);
                memcpy(hit->text + 6 + n, "\n\n", 3);
                hit->len = n + 8;
            }
            fz__serve_strfree(s, ev);
        }
    }
    fz__serve_strfree(s, key);
    hit->used = ++s->tick;
    if (!hit->text)
        return NULL;
    char *copy = fz_malloc(s->a, hit->len + 1);
    if (copy) {
        memcpy(copy, hit->text, hit->len + 1);
        *len = hit->len;
    }
    return copy;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *st = cls;
    fz_serve *s = st->s;
    while (st->out_off >= st->out_len) {
        if (st->out)
            fz_free(s->a, st->out, st->out_len + 1);
        st->out = NULL;
        st->out_len = st->out_off = 0;
        pthread_mutex_lock(&s->mu);
        if (!st->first) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 15;
            while (!s->stopping && s->gen == st->gen)
                if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
                    break;
        }
        if (s->stopping) {
            pthread_mutex_unlock(&s->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        int changed = st->first || s->gen != st->gen;
        st->gen = s->gen;
        size_t len = 0;
        char *ev = changed ? stream_event(st, &len) : NULL;
        pthread_mutex_unlock(&s->mu);
        st->first = 0;
        /* Sent only when it differs from the last one sent (a hash is kept,
         * not the text: a run's event can be large). */
        uint64_t h = ev ? fz_hash_bytes(ev, len, 0x5e57e) : 0;
        if (ev && (!st->sent || h != st->last)) {
            st->sent = 1;
            st->last = h;
            st->out = ev;
            st->out_len = len;
        } else {
            if (ev)
                fz_free(s->a, ev, len + 1);
            if (!changed) { /* a comment keeps proxies and the browser awake */
                st->out = fz_strdup(s->a, ": ping\n\n");
                if (!st->out)
                    return MHD_CONTENT_READER_END_WITH_ERROR;
                st->out_len = 8;
            }
        }
    }
    size_t n = st->out_len - st->out_off;
    if (n > max)
        n = max;
    memcpy(buf, st->out + st->out_off, n);
    st->out_off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    stream *st = cls;
    fz_serve *s = st->s;
    fz__serve_strfree(s, st->wf);
    fz__serve_strfree(s, st->state);
    if (st->out)
        fz_free(s->a, st->out, st->out_len + 1);
    fz_free(s->a, st, sizeof *st);
}

static enum MHD_Result start_stream(fz_serve *s, struct MHD_Connection *c,
                                    const fz_serve_session *sess)
{
    const char *topic = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "topic");
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
    stream *st = fz_calloc(s->a, 1, sizeof *st);
    if (!st)
        return send_text(c, 500, "out of memory\n");
    st->s = s;
    st->first = 1;
    snprintf(st->csrf, sizeof st->csrf, "%s", sess->csrf);
    fz_route r;
    char path[64];
    if (topic && !strcmp(topic, "runs")) {
        st->topic = FZ_ROUTE_RUNS;
        const char *wf = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wf");
        const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
        st->wf = fz__serve_strdup(s, wf);
        st->state = fz__serve_strdup(s, state);
        if ((wf && !st->wf) || (state && !st->state)) {
            stream_free(st);
            return send_text(c, 500, "out of memory\n");
        }
    } else if (topic && id && strlen(id) < 20 &&
               (!strcmp(topic, "run") || (!strcmp(topic, "wf") && s->watch))) {
        snprintf(path, sizeof path, "/%s/%s", topic, id);
        if (fz_serve_route(path, &r) == FZ_ROUTE_NONE ||
            (r.kind == FZ_ROUTE_WORKFLOW && r.id >= s->nfiles)) {
            stream_free(st);
            return send_text(c, 404, "no such event stream\n");
        }
        st->topic = r.kind;
        st->id = (int64_t)r.id;
    } else {
        stream_free(st);
        return send_text(c, 404, "no such event stream\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
    if (!resp) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

/*==========================================================================
 * Requests
 *========================================================================*/

typedef struct request {
    char *body; /* len + 1 bytes allocated */
    size_t len;
    int too_big;
} request;

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    fz_serve *s = cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        if (rq->body)
            fz_free(s->a, rq->body, rq->len + 1);
        fz_free(s->a, rq, sizeof *rq);
    }
    *con_cls = NULL;
}

/* POST /run/ID/signal: answer a gate, as `flowzap signal` does. */
static enum MHD_Result do_signal(fz_serve *s, struct MHD_Connection *c, int64_t id,
                                 const fz_serve_session *sess, const request *rq)
{
    char csrf[64], node[256], answer[8];
    if (fz_serve_form_value(rq->body, rq->len, "csrf", csrf, sizeof csrf) != 1 ||
        !fz_serve_secret_eq(sess->csrf, csrf))
        return send_text(c, 403, "refused: missing or wrong CSRF token (reload the page)\n");
    if (fz_serve_form_value(rq->body, rq->len, "node", node, sizeof node) != 1 ||
        fz_serve_form_value(rq->body, rq->len, "answer", answer, sizeof answer) != 1)
        return send_text(c, 400, "bad request: the form needs node and answer\n");
    if (strcmp(answer, "yes") && strcmp(answer, "no"))
        return send_text(c, 400, "bad request: the answer is yes or no\n");
    if (!fz__serve_journal(s))
        return send_text(c, 404, "no journal\n");
    fz_journal_run r;
    if (fz_journal_run_get(s->j, id, &r))
        return send_text(c, 404, "no such run\n");
    if (!strcmp(r.state, FZ_JOURNAL_COMPLETED) || !strcmp(r.state, FZ_JOURNAL_FAILED))
        return send_text(c, 409, "the run already ended; nothing waits for an answer\n");
    /* The node must be one of the run's steps: a typo would wait forever. */
    char *wf = fz__serve_strdup(s, r.workflow);
    fz_diags d;
    fz_diags_init(&d, s->a);
    fz_graph *g = NULL;
    int known = wf && fz_parse_file(wf, s->a, &d, &g) == 0 && g &&
                fz_graph_find_node(g, node, strlen(node)) != FZ_NONE;
    fz_graph_free(g);
    fz_diags_fini(&d);
    fz__serve_strfree(s, wf);
    if (!known)
        return send_text(c, 400, "bad request: the run's workflow has no such node\n");
    char who[160];
    snprintf(who, sizeof who, "%s (session %.8s)", s->who, sess->id);
    if (fz_journal_signal_add_by(s->j, id, node, answer, who))
        return send_text(c, 500, "the journal refused the answer\n");
    s->gen++; /* our own write: data_version does not move for it */
    pthread_cond_broadcast(&s->cv);
    char loc[64];
    snprintf(loc, sizeof loc, "/run/%lld", (long long)id);
    return reply(c, 303, "text/plain; charset=utf-8", NULL, 0, NULL, loc);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    fz_serve *s = cls;
    int post = !strcmp(method, "POST");
    if (!*con_cls) {
        request *rq = fz_calloc(s->a, 1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    request *rq = *con_cls;
    if (*upload_size) {
        if (rq->len + *upload_size > MAX_BODY) {
            rq->too_big = 1;
        } else {
            char *p =
                fz_realloc(s->a, rq->body, rq->body ? rq->len + 1 : 0, rq->len + *upload_size + 1);
            if (!p)
                return MHD_NO;
            memcpy(p + rq->len, upload, *upload_size);
            rq->body = p;
            rq->len += *upload_size;
            p[rq->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    /* 1. The Host header names this server (no DNS rebinding). */
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!fz_serve_host_ok(host, s->host, s->port))
        return send_text(c, 421, "refused: the Host header does not name this server\n");
    /* 2. Nothing outside the routes exists. */
    fz_route route;
    if (fz_serve_route(url, &route) == FZ_ROUTE_NONE)
        return send_text(c, 404, "not found\n");
    if (strcmp(method, "GET") && strcmp(method, "HEAD") && !post)
        return send_text(c, 405, "method not allowed\n");
    if (post != (route.kind == FZ_ROUTE_SIGNAL))
        return send_text(c, 405, "method not allowed\n");
    if (route.kind == FZ_ROUTE_JS)
        return send_static(c, "text/javascript; charset=utf-8", fz__serve_js);
    if (route.kind == FZ_ROUTE_CSS)
        return send_static(c, "text/css; charset=utf-8", fz__serve_css);

    /* 3. The token: from the URL printed at start (then a session cookie,
     *    and a redirect that takes the token out of the address bar). */
    const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    pthread_mutex_lock(&s->mu);
    fz_serve_session *sess = session_find(s, cookie);
    if (token && !post && route.kind != FZ_ROUTE_EVENTS) {
        if (!fz_serve_secret_eq(s->token, token)) {
            pthread_mutex_unlock(&s->mu);
            return send_text(c, 403, "refused: wrong token\n");
        }
        if (!sess)
            sess = session_new(s);
        if (!sess) {
            pthread_mutex_unlock(&s->mu);
            return send_text(c, 500, "no randomness for a session\n");
        }
        char set[160];
        snprintf(set, sizeof set, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", sess->id);
        pthread_mutex_unlock(&s->mu);
        /* Back to the same page without the token (its other parameters
         * are rebuilt only for the runs filter). */
        char loc[64];
        if (route.kind == FZ_ROUTE_RUN)
            snprintf(loc, sizeof loc, "/run/%llu", (unsigned long long)route.id);
        else if (route.kind == FZ_ROUTE_WORKFLOW)
            snprintf(loc, sizeof loc, "/wf/%llu", (unsigned long long)route.id);
        else if (route.kind == FZ_ROUTE_SIM)
            snprintf(loc, sizeof loc, "/sim");
        else
            snprintf(loc, sizeof loc, "/");
        return reply(c, 303, "text/plain; charset=utf-8", NULL, 0, set, loc);
    }
    if (!sess) {
        pthread_mutex_unlock(&s->mu);
        return send_text(c, 403,
                         "refused: open the address flowzap serve printed (it holds "
                         "the token)\n");
    }
    fz_serve_session me = *sess;
    enum MHD_Result rc;
    fz_hbuf b;
    fz_hbuf_init(&b, s->a);
    int code = 200;
    switch (route.kind) {
    case FZ_ROUTE_RUNS: {
        const char *wf = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wf");
        const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
        fz__serve_page_runs(s, &b, wf, state);
        break;
    }
    case FZ_ROUTE_RUN:
        code = fz__serve_page_run(s, &b, (int64_t)route.id, me.csrf);
        break;
    case FZ_ROUTE_WORKFLOW:
        code = fz__serve_page_workflow(s, &b, (uint32_t)route.id);
        break;
    case FZ_ROUTE_SIM:
        code = fz__serve_page_sim(s, &b);
        break;
    case FZ_ROUTE_SIGNAL: {
        /* 4. State changes: same origin, the session's CSRF token. */
        const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        char want[128];
        snprintf(want, sizeof want, "http://%s", host);
        if (!origin || strcmp(origin, want)) {
            pthread_mutex_unlock(&s->mu);
            fz_hbuf_fini(&b);
            return send_text(c, 403, "refused: cross-origin request\n");
        }
        if (rq->too_big) {
            pthread_mutex_unlock(&s->mu);
            fz_hbuf_fini(&b);
            return send_text(c, 413, "request body too large\n");
        }
        rc = do_signal(s, c, (int64_t)route.id, &me, rq);
        pthread_mutex_unlock(&s->mu);
        fz_hbuf_fini(&b);
        return rc;
    }
    case FZ_ROUTE_EVENTS:
        pthread_mutex_unlock(&s->mu);
        fz_hbuf_fini(&b);
        return start_stream(s, c, &me);
    default:
        code = 404;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    if (code != 200) {
        fz_hbuf_fini(&b);
        return send_text(c, (unsigned)code, "not found\n");
    }
    return send_page(c, 200, &b);
}

/*==========================================================================
 * Start and stop
 *========================================================================*/

int fz_serve_start(const fz_serve_opts *o, fz_serve **out, char *err, size_t errsz)
{
    *out = NULL;
    fz_serve *s = fz_calloc(o->alloc, 1, sizeof *s);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    s->a = o->alloc;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(s->host, sizeof s->host, "%s", o->host ? o->host : "127.0.0.1");
    s->poll_ms = o->poll_ms ? o->poll_ms : 50;
    s->watch = o->watch;
    s->db = fz__serve_strdup(s, o->db ? o->db : FZ_JOURNAL_DEFAULT_PATH);
    s->sim = fz__serve_strdup(s, o->sim);
    s->sim_workflow = fz__serve_strdup(s, o->sim_workflow);
    s->files = fz_calloc(s->a, o->nfiles ? o->nfiles : 1, sizeof *s->files);
    s->files_cap = o->nfiles ? o->nfiles : 1;
    if (!s->db || !s->files || (o->sim && !s->sim) || (o->sim_workflow && !s->sim_workflow)) {
        snprintf(err, errsz, "out of memory");
        fz_serve_stop(s);
        return -1;
    }
    for (uint32_t i = 0; i < o->nfiles; i++) {
        s->files[i].path = fz__serve_strdup(s, o->files[i]);
        s->nfiles++;
        if (!s->files[i].path) {
            snprintf(err, errsz, "out of memory");
            fz_serve_stop(s);
            return -1;
        }
        file_changed(&s->files[i]);
    }
    struct passwd *pw = getpwuid(getuid());
    snprintf(s->who, sizeof s->who, "%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    if (o->token)
        snprintf(s->token, sizeof s->token, "%s", o->token);
    else if (random_hex(s->token)) {
        snprintf(err, errsz, "cannot read random bytes for the token: %s", strerror(errno));
        fz_serve_stop(s);
        return -1;
    }
    int jrc = 0;
    journal_try(s, &jrc, err, errsz);
    if (jrc == FZ_ETIMEOUT) {
        fz_serve_stop(s);
        return FZ_ETIMEOUT;
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (strchr(s->host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(o->port);
        if (inet_pton(AF_INET6, s->host, &a->sin6_addr) != 1)
            goto bad_addr;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(o->port);
        if (inet_pton(AF_INET, s->host, &a->sin_addr) != 1)
            goto bad_addr;
    }
    s->d =
        MHD_start_daemon(flags, o->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &ss,
                         MHD_OPTION_NOTIFY_COMPLETED, request_done, s, MHD_OPTION_THREAD_STACK_SIZE,
                         (size_t)(512 * 1024), MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errsz, "cannot listen on %s:%u (%s)", s->host, (unsigned)o->port,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        fz_serve_stop(s);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    snprintf(s->url, sizeof s->url,
             strchr(s->host, ':') ? "http://[%s]:%u/?token=%s" : "http://%s:%u/?token=%s", s->host,
             (unsigned)s->port, s->token);
    if (pthread_create(&s->watcher, NULL, watcher, s) == 0)
        s->watcher_started = 1;
    *out = s;
    return 0;
bad_addr:
    snprintf(err, errsz, "'%s' is not a numeric IP address", s->host);
    fz_serve_stop(s);
    return -1;
}

char *fz__serve_strdup(const fz_serve *s, const char *p)
{
    return p ? fz_strdup(s->a, p) : NULL;
}

void fz__serve_strfree(const fz_serve *s, char *p)
{
    if (p)
        fz_free(s->a, p, strlen(p) + 1);
}

const char *fz_serve_url(const fz_serve *s)
{
    return s->url;
}

uint16_t fz_serve_port(const fz_serve *s)
{
    return s->port;
}

const char *fz_serve_token(const fz_serve *s)
{
    return s->token;
}

void fz_serve_stop(fz_serve *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->d)
        MHD_stop_daemon(s->d);
    if (s->watcher_started)
        pthread_join(s->watcher, NULL);
    fz__serve_cache_free(s);
    for (int i = 0; i < FZ_SERVE_EVENTS; i++) {
        fz__serve_strfree(s, s->events[i].key);
        if (s->events[i].text)
            fz_free(s->a, s->events[i].text, s->events[i].len + 1);
    }
    fz_journal_free(s->j);
    for (uint32_t i = 0; i < s->nfiles; i++) {
        fz__serve_strfree(s, s->files[i].path);
        fz__serve_strfree(s, s->files[i].last_svg);
    }
    fz_free(s->a, s->files, s->files_cap * sizeof *s->files);
    fz__serve_strfree(s, s->db);
    fz__serve_strfree(s, s->sim);
    fz__serve_strfree(s, s->sim_workflow);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    fz_free(s->a, s, sizeof *s);
}
