/* SPDX-License-Identifier: MIT */
/*
 * test_serve.c - `flowzap serve` on 127.0.0.1:0 in this process, asked with
 * real libcurl requests: the token, session cookie, Host, Origin and CSRF
 * refusals, 404 for anything not served, content types and headers, the
 * escaping of a workflow whose labels, output and variables hold <script>
 * and "><img onerror=...>, an approval gate answered from the page while a
 * real `flowzap run` waits at it, and Server-Sent Events on a journal
 * change. The request parsers (serve/request.h) and the escaper are
 * tested on their own first.
 */
#include "tests/support/support.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "real/journal.h"
#include "serve/buf.h"
#include "serve/request.h"
#include "serve/serve.h"

extern char **environ;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define TOKEN "0123456789abcdef0123456789abcdef"

/*==========================================================================
 * The pure parts
 *========================================================================*/

static void test_serve_escaper_writes_markup_as_text(void **state)
{
    (void)state;
    fz_hbuf b;
    fz_hbuf_init(&b, NULL);
    fz_html_puts(&b, "<script>alert(1)</script>");
    fz_html_puts(&b, "\"><img src=x onerror=alert(2)>'&");
    fz_html_escape(&b, "a\x1b[2J\xff\0b", 8);
    fz_html_puts(&b, "Pr\xc3\xbc"
                     "fung");
    assert_string_equal(b.p, "&lt;script&gt;alert(1)&lt;/script&gt;"
                             "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;"
                             "a\xef\xbf\xbd[2J\xef\xbf\xbd\xef\xbf\xbd"
                             "bPr\xc3\xbc"
                             "fung");
    fz_hbuf_fini(&b);
}

/* The buffer allocates through its fz_alloc and hands back a block of
 * len + 1 bytes; with an allocation failing, take gives NULL. */
static void test_serve_buffer_uses_its_allocator(void **state)
{
    (void)state;
    fz_test_alloc ta;
    fz_test_alloc_init(&ta, 0);
    fz_hbuf b;
    fz_hbuf_init(&b, &ta.hook);
    for (int i = 0; i < 100; i++)
        fz_hbuf_printf(&b, "<%d>", i);
    size_t len = 0;
    char *p = fz_hbuf_take(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, strlen(p));
    assert_true(ta.calls > 1);
    assert_int_equal(ta.live, 1);
    assert_int_equal(ta.live_bytes, (int64_t)len + 1);
    fz_free(&ta.hook, p, len + 1);
    fz_hbuf_puts(&b, "again");
    fz_hbuf_fini(&b);
    assert_int_equal(ta.live, 0);
    assert_int_equal(ta.live_bytes, 0);

    fz_test_alloc_init(&ta, 2);
    fz_hbuf_init(&b, &ta.hook);
    for (int i = 0; i < 100; i++)
        fz_html_puts(&b, "<tag>");
    assert_true(b.failed);
    assert_null(fz_hbuf_take(&b, &len));
    assert_int_equal(len, 0);
    assert_int_equal(ta.live, 0);
    assert_int_equal(ta.live_bytes, 0);
}

static void test_serve_routes_are_exact(void **state)
{
    (void)state;
    fz_route r;
    assert_int_equal(fz_serve_route("/", &r), FZ_ROUTE_RUNS);
    assert_int_equal(fz_serve_route("/run/12", &r), FZ_ROUTE_RUN);
    assert_int_equal(r.id, 12);
    assert_int_equal(fz_serve_route("/run/12/signal", &r), FZ_ROUTE_SIGNAL);
    assert_int_equal(fz_serve_route("/wf/0", &r), FZ_ROUTE_WORKFLOW);
    assert_int_equal(fz_serve_route("/static/app.js", &r), FZ_ROUTE_JS);
    static const char *const refused[] = {
        "/../../etc/passwd",
        "/run/0",
        "/run/012",
        "/run/1/",
        "/run//1",
        "/run/1x",
        "/run/1234567890123456",
        "/wf/-1",
        "/wf/01",
        "/static/../etc/passwd",
        "/static/app.js/",
        "//",
        "",
        "/index.html",
        "/run/1/signal/x",
        "/wf/../../x",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (fz_serve_route(refused[i], &r) != FZ_ROUTE_NONE)
            fail_msg("route accepted '%s'", refused[i]);
    }
    assert_int_equal(fz_serve_route(NULL, &r), FZ_ROUTE_NONE);
}

static void test_serve_host_listen_and_form_parsing(void **state)
{
    (void)state;
    char host[64];
    uint16_t port = 1;
    assert_int_equal(fz_serve_parse_listen("127.0.0.1:0", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 0);
    assert_int_equal(fz_serve_parse_listen("[::1]:7040", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7040);
    static const char *const bad[] = {"localhost:80",    "127.0.0.1",    "127.0.0.1:", ":80",
                                      "127.0.0.1:65536", "127.0.0.1:-1", "::1:80",     "[::1]",
                                      "1.2.3.4:8x",      "[]:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fz_serve_parse_listen(bad[i], host, sizeof host, &port) == 0)
            fail_msg("--listen accepted '%s'", bad[i]);

    assert_true(fz_serve_host_ok("127.0.0.1:7040", "127.0.0.1", 7040));
    assert_true(fz_serve_host_ok("LOCALHOST:7040", "127.0.0.1", 7040));
    assert_true(fz_serve_host_ok("[::1]:7040", "::1", 7040));
    assert_false(fz_serve_host_ok("127.0.0.1:7041", "127.0.0.1", 7040));
    assert_false(fz_serve_host_ok("evil.example:7040", "127.0.0.1", 7040));
    assert_false(fz_serve_host_ok("localhost:7040", "10.0.0.5", 7040));
    assert_false(fz_serve_host_ok(NULL, "127.0.0.1", 7040));

    char v[32];
    const char *body = "csrf=ab%20c&node=n4&answer=yes&x+y=1+2&empty=";
    assert_int_equal(fz_serve_form_value(body, strlen(body), "csrf", v, sizeof v), 1);
    assert_string_equal(v, "ab c");
    assert_int_equal(fz_serve_form_value(body, strlen(body), "x y", v, sizeof v), 1);
    assert_string_equal(v, "1 2");
    assert_int_equal(fz_serve_form_value(body, strlen(body), "empty", v, sizeof v), 1);
    assert_string_equal(v, "");
    assert_int_equal(fz_serve_form_value(body, strlen(body), "nope", v, sizeof v), 0);
    assert_int_equal(fz_serve_form_value("a=%4", 4, "a", v, sizeof v), -1);
    assert_int_equal(fz_serve_form_value("a=%00", 5, "a", v, sizeof v), -1);
    assert_int_equal(fz_serve_form_value("a=%zz", 5, "a", v, sizeof v), -1);
    assert_int_equal(fz_serve_form_value("a=0123456789", 12, "a", v, 5), -1);

    assert_true(fz_serve_secret_eq("abc", "abc"));
    assert_false(fz_serve_secret_eq("abc", "abd"));
    assert_false(fz_serve_secret_eq("abc", "abcd"));
    assert_false(fz_serve_secret_eq("", ""));
}

/*==========================================================================
 * The server
 *========================================================================*/

/* fz_test_alloc behind a mutex: the server allocates from its connection
 * threads. Every server here allocates through it, and teardown checks
 * that fz_serve_stop gave back every block and byte. */
typedef struct locked_alloc {
    fz_alloc hook;
    fz_test_alloc ta;
    pthread_mutex_t mu;
} locked_alloc;

static void *la_alloc(void *ud, size_t size)
{
    locked_alloc *la = ud;
    pthread_mutex_lock(&la->mu);
    void *p = la->ta.hook.alloc(la->ta.hook.ud, size);
    pthread_mutex_unlock(&la->mu);
    return p;
}

static void *la_realloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    locked_alloc *la = ud;
    pthread_mutex_lock(&la->mu);
    void *p = la->ta.hook.realloc(la->ta.hook.ud, ptr, old_size, new_size);
    pthread_mutex_unlock(&la->mu);
    return p;
}

static void la_free(void *ud, void *ptr, size_t size)
{
    locked_alloc *la = ud;
    pthread_mutex_lock(&la->mu);
    la->ta.hook.free(la->ta.hook.ud, ptr, size);
    pthread_mutex_unlock(&la->mu);
}

static void la_init(locked_alloc *la)
{
    fz_test_alloc_init(&la->ta, 0);
    pthread_mutex_init(&la->mu, NULL);
    la->hook = (fz_alloc){la_alloc, la_realloc, la_free, la};
}

/* 0 when every block and byte allocated through la went back. */
static int la_check(locked_alloc *la)
{
    pthread_mutex_lock(&la->mu);
    int64_t live = la->ta.live, bytes = la->ta.live_bytes;
    uint64_t calls = la->ta.calls;
    pthread_mutex_unlock(&la->mu);
    if (live || bytes || !calls) {
        fprintf(stderr, "serve's allocator: %lld blocks, %lld bytes still live after %llu calls\n",
                (long long)live, (long long)bytes, (unsigned long long)calls);
        return -1;
    }
    return 0;
}

typedef struct fixture {
    locked_alloc la;
    char dir[64];
    char db[128];
    char wf[4096];
    fz_serve *s;
    char base[64];   /* http://127.0.0.1:PORT */
    char cookie[96]; /* fz_session=... */
} fixture;

typedef struct resp {
    long code;
    char *body;
    size_t len;
    char headers[4096];
    size_t hlen;
    size_t stop_after; /* event streams: stop after this many "\n\n" */
    size_t events;
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t k = sz * n;
    char *b = realloc(r->body, r->len + k + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, k);
    r->body = b;
    r->len += k;
    b[r->len] = '\0';
    if (r->stop_after) {
        r->events = 0;
        for (const char *q = r->body; (q = strstr(q, "\n\n")) != NULL; q += 2)
            if (q - r->body >= 5 && !strncmp(r->body, "data:", 5))
                r->events++;
        if (r->events >= r->stop_after)
            return 0; /* enough: end the transfer */
    }
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t k = sz * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return k;
}

/* One request. extra: header lines ("Name: value") or NULL; body: POST. */
static long request(fixture *f, const char *method, const char *path, const char *const *extra,
                    const char *body, const char *cookie, resp *r, long timeout_ms)
{
    size_t stop = r->stop_after;
    memset(r, 0, sizeof *r);
    r->stop_after = stop;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[8192];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (cookie)
        curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    if (method && strcmp(method, "GET") && strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *hl = NULL;
    for (; extra && *extra; extra++)
        hl = curl_slist_append(hl, *extra);
    if (hl)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK && !(r->stop_after && rc == CURLE_WRITE_ERROR) &&
        !(r->stop_after && rc == CURLE_OPERATION_TIMEDOUT))
        fail_msg("%s %s: %s", method ? method : "GET", path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (!r->body)
        r->body = calloc(1, 1);
    return r->code;
}

static long get(fixture *f, const char *path, resp *r)
{
    r->stop_after = 0;
    return request(f, "GET", path, NULL, NULL, f->cookie, r, 10000);
}

static const char *header(const resp *r, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = r->headers; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r\n");
            snprintf(out, n, "%.*s", (int)k, v);
            return out;
        }
    }
    return NULL;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    la_init(&f->la);
    snprintf(f->dir, sizeof f->dir, "/tmp/fz-serve-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/runs.db", f->dir);
    snprintf(f->wf, sizeof f->wf, "%s", fz_test_src("tests/data/serve/xss.fz"));
    const char *files[] = {f->wf};
    fz_serve_opts o = {.db = f->db,
                       .host = "127.0.0.1",
                       .port = 0,
                       .files = files,
                       .nfiles = 1,
                       .watch = 1,
                       .token = TOKEN,
                       .poll_ms = 20,
                       .alloc = &f->la.hook};
    char err[256];
    if (fz_serve_start(&o, &f->s, err, sizeof err)) {
        fprintf(stderr, "serve: %s\n", err);
        return -1;
    }
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", (unsigned)fz_serve_port(f->s));
    /* A session, as a browser gets one. */
    resp r;
    r.stop_after = 0;
    request(f, "GET", "/?token=" TOKEN, NULL, NULL, NULL, &r, 5000);
    char set[256];
    if (r.code != 303 || !header(&r, "Set-Cookie", set, sizeof set))
        return -1;
    snprintf(f->cookie, sizeof f->cookie, "%.*s", (int)strcspn(set, ";"), set);
    free(r.body);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fz_serve_stop(f->s);
    int leaked = la_check(&f->la);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    pthread_mutex_destroy(&f->la.mu);
    free(f);
    return rc == 0 && !leaked ? 0 : -1;
}

/* Runs `flowzap run` on the XSS workflow in the background; its pid. */
static pid_t start_run(fixture *f)
{
    const char *flowzap = getenv("FLOWZAP");
    if (!flowzap)
        fail_msg("FLOWZAP is not set (run through ctest)");
    char bindings[4096], log[128], env_db[192];
    snprintf(bindings, sizeof bindings, "%s", fz_test_src("tests/data/serve/xss.bindings.yaml"));
    snprintf(log, sizeof log, "%s/run.log", f->dir);
    snprintf(env_db, sizeof env_db, "FLOWZAP_DB=%s", f->db);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    char run[] = "run", b_opt[] = "--bindings", db_opt[] = "--db";
    char *argv[] = {(char *)flowzap, run, f->wf, b_opt, bindings, db_opt, f->db, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, flowzap, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    (void)env_db;
    return pid;
}

/* Waits (10 s at most) until GET path's body holds text. */
static void wait_for(fixture *f, const char *path, const char *text)
{
    for (int i = 0; i < 200; i++) {
        resp r;
        get(f, path, &r);
        int found = strstr(r.body, text) != NULL;
        free(r.body);
        if (found)
            return;
        sleep_ms(50);
    }
    fail_msg("%s never showed '%s'", path, text);
}

static void test_serve_refuses_without_token_and_with_bad_host(void **state)
{
    fixture *f = *state;
    resp r;
    char v[256];
    r.stop_after = 0;
    assert_int_equal(request(f, "GET", "/", NULL, NULL, NULL, &r, 5000), 403);
    assert_non_null(strstr(r.body, "token"));
    free(r.body);
    assert_int_equal(
        request(f, "GET", "/?token=00000000000000000000000000000000", NULL, NULL, NULL, &r, 5000),
        403);
    free(r.body);
    assert_int_equal(request(f, "GET", "/run/1", NULL, NULL, "fz_session=forged", &r, 5000), 403);
    free(r.body);
    assert_int_equal(request(f, "GET", "/events?topic=runs", NULL, NULL, NULL, &r, 5000), 403);
    free(r.body);
    /* The token URL sets a cookie only scripts cannot read, sent same-site
     * only, and sends the browser on without the token in the address. */
    assert_int_equal(request(f, "GET", "/?token=" TOKEN, NULL, NULL, NULL, &r, 5000), 303);
    assert_non_null(header(&r, "Set-Cookie", v, sizeof v));
    assert_non_null(strstr(v, "HttpOnly"));
    assert_non_null(strstr(v, "SameSite=Strict"));
    assert_string_equal(header(&r, "Location", v, sizeof v), "/");
    free(r.body);
    /* DNS rebinding: another name for this address is refused, token or not. */
    const char *evil[] = {"Host: evil.example", NULL};
    assert_int_equal(request(f, "GET", "/?token=" TOKEN, evil, NULL, f->cookie, &r, 5000), 421);
    free(r.body);
    char hp[64];
    snprintf(hp, sizeof hp, "Host: evil.example:%u", (unsigned)fz_serve_port(f->s));
    const char *evil2[] = {hp, NULL};
    assert_int_equal(request(f, "GET", "/", evil2, NULL, f->cookie, &r, 5000), 421);
    free(r.body);
    snprintf(hp, sizeof hp, "Host: localhost:%u", (unsigned)fz_serve_port(f->s));
    const char *local[] = {hp, NULL};
    assert_int_equal(request(f, "GET", "/", local, NULL, f->cookie, &r, 5000), 200);
    free(r.body);
}

static void test_serve_pages_types_headers_and_404s(void **state)
{
    fixture *f = *state;
    resp r;
    char v[256];
    assert_int_equal(get(f, "/", &r), 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    assert_non_null(
        strstr(header(&r, "Content-Security-Policy", v, sizeof v), "default-src 'self'"));
    assert_string_equal(header(&r, "X-Content-Type-Options", v, sizeof v), "nosniff");
    assert_non_null(strstr(r.body, "No journal at"));
    free(r.body);
    assert_int_equal(get(f, "/static/app.js", &r), 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/javascript; charset=utf-8");
    assert_non_null(strstr(r.body, "EventSource"));
    free(r.body);
    assert_int_equal(get(f, "/static/app.css", &r), 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/css; charset=utf-8");
    free(r.body);
    assert_int_equal(get(f, "/wf/0", &r), 200);
    assert_non_null(strstr(r.body, "<svg"));
    free(r.body);
    static const char *const missing[] = {
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../etc/passwd",
        "/wf/1",
        "/wf/0/../../etc/passwd",
        "/run/1",
        "/run/999",
        "/sim",
        "/favicon.ico",
        "/events?topic=wf&id=9",
        "/events?topic=nope",
        "/events?topic=run&id=../1",
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        get(f, missing[i], &r);
        if (r.code != 404)
            fail_msg("%s: status %ld, not 404", missing[i], r.code);
        assert_null(strstr(r.body, "root:"));
        free(r.body);
    }
    /* The token never opens a path: it only starts a session. */
    r.stop_after = 0;
    request(f, "GET", "/../../etc/passwd?token=" TOKEN, NULL, NULL, NULL, &r, 5000);
    assert_int_equal(r.code, 404);
    free(r.body);
    r.stop_after = 0;
    assert_int_equal(request(f, "DELETE", "/", NULL, NULL, f->cookie, &r, 5000), 405);
    free(r.body);
    assert_int_equal(get(f, "/run/1/signal", &r), 405);
    free(r.body);
}

/* The value of the hidden input name in an HTML body. */
static int form_field(const char *body, const char *name, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "name=\"%s\" value=\"", name);
    const char *p = strstr(body, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    snprintf(out, n, "%.*s", (int)strcspn(p, "\""), p);
    return 0;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_serve_xss_run_is_text_and_the_gate_is_answered(void **state)
{
    fixture *f = *state;
    pid_t pid = start_run(f);
    wait_for(f, "/run/1", "waiting for approval");
    resp r;
    assert_int_equal(get(f, "/run/1", &r), 200);
    /* Labels, output, variables and the prompt are text: the only script
     * element is the page's own, and no <img> exists. */
    assert_int_equal(count(r.body, "<script"), 1);
    assert_non_null(strstr(r.body, "<script src=\"/static/app.js\" defer></script>"));
    assert_int_equal(count(r.body, "<img"), 0);
    assert_null(strstr(r.body, "\"><img"));
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(3)&lt;/script&gt;"));
    assert_non_null(strstr(r.body, "&quot;&gt;&lt;img src=x onerror=alert(4)&gt;"));
    assert_non_null(strstr(r.body, "&quot;&gt;&lt;img src=x onerror=alert(5)&gt;"));
    assert_non_null(strstr(r.body, "onerror=alert(6)"));
    assert_non_null(strstr(r.body, "ship &lt;script&gt;alert(7)&lt;/script&gt; now?"));
    assert_non_null(strstr(r.body, "class=\"approve\""));
    char csrf[64], node[32];
    assert_int_equal(form_field(r.body, "csrf", csrf, sizeof csrf), 0);
    assert_int_equal(form_field(r.body, "node", node, sizeof node), 0);
    assert_string_equal(node, "n4");
    free(r.body);

    /* The workflow page: the SVG's labels are XML text too. */
    assert_int_equal(get(f, "/wf/0", &r), 200);
    assert_int_equal(count(r.body, "<script"), 1);
    assert_int_equal(count(r.body, "<img"), 0);
    free(r.body);

    char origin[96], body[256];
    snprintf(origin, sizeof origin, "Origin: %s", f->base);
    const char *same[] = {origin, NULL};
    const char *cross[] = {"Origin: http://evil.example", NULL};
    snprintf(body, sizeof body, "csrf=%s&node=n4&answer=yes", csrf);
    r.stop_after = 0;
    /* Refused: no Origin, another origin, no session, no or a wrong CSRF
     * token, an unknown node, an answer other than yes/no. */
    assert_int_equal(request(f, "POST", "/run/1/signal", NULL, body, f->cookie, &r, 5000), 403);
    free(r.body);
    assert_int_equal(request(f, "POST", "/run/1/signal", cross, body, f->cookie, &r, 5000), 403);
    free(r.body);
    assert_int_equal(request(f, "POST", "/run/1/signal", same, body, NULL, &r, 5000), 403);
    free(r.body);
    assert_int_equal(
        request(f, "POST", "/run/1/signal", same, "node=n4&answer=yes", f->cookie, &r, 5000), 403);
    free(r.body);
    assert_int_equal(request(f, "POST", "/run/1/signal", same,
                             "csrf=0123456789abcdef0123456789abcdef&node=n4&answer=yes", f->cookie,
                             &r, 5000),
                     403);
    free(r.body);
    char bad[256];
    snprintf(bad, sizeof bad, "csrf=%s&node=n99&answer=yes", csrf);
    assert_int_equal(request(f, "POST", "/run/1/signal", same, bad, f->cookie, &r, 5000), 400);
    free(r.body);
    snprintf(bad, sizeof bad, "csrf=%s&node=n4&answer=maybe", csrf);
    assert_int_equal(request(f, "POST", "/run/1/signal", same, bad, f->cookie, &r, 5000), 400);
    free(r.body);
    /* Accepted: the run takes the answer and completes. */
    assert_int_equal(request(f, "POST", "/run/1/signal", same, body, f->cookie, &r, 5000), 303);
    char v[64];
    assert_string_equal(header(&r, "Location", v, sizeof v), "/run/1");
    free(r.body);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    wait_for(f, "/run/1", "state-completed");
    assert_int_equal(get(f, "/run/1", &r), 200);
    assert_non_null(strstr(r.body, "yes at n4"));
    /* Painted as served: node states and taken edges as classes. */
    assert_non_null(strstr(r.body, "<g id=\"n5\" class=\"st-done node "));
    assert_non_null(strstr(r.body, "<g id=\"e4\" class=\"taken edge "));
    assert_non_null(strstr(r.body, "(session "));
    assert_null(strstr(r.body, "class=\"approve\""));
    free(r.body);
    /* A finished run takes no answer. */
    r.stop_after = 0;
    assert_int_equal(request(f, "POST", "/run/1/signal", same, body, f->cookie, &r, 5000), 409);
    free(r.body);
    /* The journal records who answered, and `flowzap runs show` says it. */
    char cmd[8192], line[1024];
    snprintf(cmd, sizeof cmd, "'%s' runs show 1 --db '%s' 2>&1", getenv("FLOWZAP"), f->db);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int by = 0;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "answer    yes at n4") && strstr(line, " by ") &&
            strstr(line, " (session ") && strstr(line, "taken by step"))
            by = 1;
    assert_int_equal(pclose(p), 0);
    if (!by)
        fail_msg("runs show does not say who answered the gate");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct adder {
    char db[128];
    int delay_ms;
    double at;
} adder;

static void *add_later(void *ud)
{
    adder *a = ud;
    sleep_ms(a->delay_ms);
    fz_journal *j = NULL;
    if (fz_journal_open(a->db, FZ_JOURNAL_SYNC_NORMAL, NULL, &j) == 0) {
        fz_journal_run run = {.workflow = "/w/<b>late</b>.fz", .workflow_hash = "00", .args = "[]"};
        int64_t id = 0;
        a->at = now_ms();
        fz_journal_run_add(j, &run, &id);
    }
    fz_journal_free(j);
    return NULL;
}

static void test_serve_events_follow_the_journal(void **state)
{
    fixture *f = *state;
    /* A journal with one run, then a stream on the runs list; another
     * connection records a run while the stream waits. */
    fz_journal *j = NULL;
    assert_int_equal(fz_journal_open(f->db, FZ_JOURNAL_SYNC_NORMAL, NULL, &j), 0);
    fz_journal_run run = {.workflow = "/w/first.fz", .workflow_hash = "00", .args = "[]"};
    int64_t id = 0;
    assert_int_equal(fz_journal_run_add(j, &run, &id), 0);
    fz_journal_free(j);
    wait_for(f, "/", "/w/first.fz");

    adder a;
    snprintf(a.db, sizeof a.db, "%s", f->db);
    a.delay_ms = 300;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, add_later, &a), 0);
    resp r;
    r.stop_after = 2;
    request(f, "GET", "/events?topic=runs", NULL, NULL, f->cookie, &r, 5000);
    double got = now_ms();
    pthread_join(t, NULL);
    char v[128];
    assert_int_equal(r.code, 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v),
                        "text/event-stream; charset=utf-8");
    assert_int_equal(r.events, 2);
    const char *second = strstr(r.body, "\n\ndata: ");
    assert_non_null(second);
    if (!strstr(second, "&lt;b&gt;late&lt;/b&gt;"))
        fail_msg("%s", r.body);
    assert_null(strstr(r.body, "<b>late"));
    print_message("journal change to event: %.1f ms\n", got - a.at);
    assert_true(got - a.at < 1000);
    free(r.body);

    /* A run's stream starts with its state. */
    r.stop_after = 1;
    request(f, "GET", "/events?topic=run&id=1", NULL, NULL, f->cookie, &r, 5000);
    assert_int_equal(r.events, 1);
    assert_non_null(strstr(r.body, "\"nodes\""));
    free(r.body);
}

/* `serve --sim`: a real `flowzap sim --json` report of the XSS workflow:
 * heat map, outcomes with intervals, percentiles, paths (labels as text). */
static void test_serve_sim_report_page(void **state)
{
    fixture *f = *state;
    const char *flowzap = getenv("FLOWZAP");
    if (!flowzap)
        fail_msg("FLOWZAP is not set (run through ctest)");
    char report[128], cmd[8192];
    snprintf(report, sizeof report, "%s/sim.json", f->dir);
    snprintf(cmd, sizeof cmd, "'%s' sim '%s' --runs 200 --seed 3 --json '%s' >/dev/null 2>&1",
             flowzap, f->wf, report);
    assert_int_equal(system(cmd), 0);
    fz_serve_stop(f->s);
    f->s = NULL;
    assert_int_equal(la_check(&f->la), 0);
    const char *files[] = {f->wf};
    fz_serve_opts o = {.db = f->db,
                       .host = "127.0.0.1",
                       .files = files,
                       .nfiles = 1,
                       .sim = report,
                       .sim_workflow = f->wf,
                       .token = TOKEN,
                       .alloc = &f->la.hook};
    char err[256];
    assert_int_equal(fz_serve_start(&o, &f->s, err, sizeof err), 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", (unsigned)fz_serve_port(f->s));
    resp r;
    r.stop_after = 0;
    request(f, "GET", "/sim?token=" TOKEN, NULL, NULL, NULL, &r, 5000);
    char set[256];
    assert_int_equal(r.code, 303);
    assert_non_null(header(&r, "Set-Cookie", set, sizeof set));
    snprintf(f->cookie, sizeof f->cookie, "%.*s", (int)strcspn(set, ";"), set);
    free(r.body);
    assert_int_equal(get(f, "/sim", &r), 200);
    assert_non_null(
        strstr(r.body, "<h2>Heat map</h2>\n<div id=\"diagram\" class=\"diagram\"><svg"));
    assert_non_null(strstr(r.body, "<h2>Outcomes</h2>"));
    assert_non_null(strstr(r.body, "%]</td></tr>")); /* a confidence interval */
    assert_non_null(strstr(r.body, "<th>p99</th>"));
    assert_non_null(strstr(r.body, "<svg class=\"histogram\""));
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; &rarr;"));
    assert_int_equal(count(r.body, "<script"), 1);
    assert_int_equal(count(r.body, "<img"), 0);
    free(r.body);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_escaper_writes_markup_as_text),
        cmocka_unit_test(test_serve_buffer_uses_its_allocator),
        cmocka_unit_test(test_serve_routes_are_exact),
        cmocka_unit_test(test_serve_host_listen_and_form_parsing),
        cmocka_unit_test_setup_teardown(test_serve_refuses_without_token_and_with_bad_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_serve_pages_types_headers_and_404s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_xss_run_is_text_and_the_gate_is_answered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_serve_events_follow_the_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_sim_report_page, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
