/* SPDX-License-Identifier: MIT */
/*
 * test_http.c - the http handler against a real HTTP server on 127.0.0.1
 * (workflows/canary/metrics-server.py) that each test starts itself.
 */
#include "tests/unit/run_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

typedef struct server {
    pid_t pid;
    int port;
    char url[64];
} server;

static void server_start(server *s, const char *extra)
{
    char portfile[256];
    snprintf(portfile, sizeof(portfile), "%s/tmp-http-port-%d", FZ_BUILD_DIR, (int)getpid());
    unlink(portfile);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test does not leave it behind */
        char script[512];
        snprintf(script, sizeof(script), "%s/workflows/canary/metrics-server.py", FZ_SRC_DIR);
        if (extra && *extra)
            execlp("python3", "python3", script, "--port-file", portfile, extra, "2", (char *)NULL);
        else
            execlp("python3", "python3", script, "--port-file", portfile, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    s->port = 0;
    for (int i = 0; i < 200 && !s->port; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", &s->port) != 1)
                s->port = 0;
            fclose(f);
        }
        if (!s->port) {
            struct timespec ts = {0, 25000000};
            nanosleep(&ts, NULL);
        }
    }
    unlink(portfile);
    assert_true(s->port > 0);
    snprintf(s->url, sizeof(s->url), "URL=http://127.0.0.1:%d", s->port);
}

static void server_stop(server *s)
{
    kill(s->pid, SIGTERM);
    int st;
    waitpid(s->pid, &st, 0);
}

static const char three_fz[] = "L { # L\n"
                               "n1: rectangle label:\"Check health\"\n"
                               "n2: rectangle label:\"Break it\"\n"
                               "n3: rectangle label:\"Check health again\"\n"
                               "n1.handle(right) -> n2.handle(left)\n"
                               "n2.handle(right) -> n3.handle(left)\n"
                               "}\n";

static void test_http_status_decides_ok_or_no(void **state)
{
    (void)state;
    server s;
    server_start(&s, NULL);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, three_fz, NULL,
            "rules:\n"
            "  - match: ^Check health\n"
            "    http: {url: \"${URL}/health\"}\n"
            "  - match: Break it\n"
            "    http: {method: post, url: \"${URL}/mode/unhealthy\", body: \"\"}\n");
    const char *vars[] = {s.url + 0, NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    assert_int_equal(rf_step_of(&r, "n2", 0)->answer, FZ_ANSWER_OK);
    assert_int_equal(rf_step_of(&r, "n3", 0)->answer, FZ_ANSWER_NO);
    assert_string_equal(rf_step_of(&r, "n3", 0)->reason, "HTTP status 503");
    /* n3 is an end: a negative answer ends the token there (semantics.md). */
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    rf_free(&r);

    /* status: [503] makes the unhealthy answer the expected one */
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Expect outage\"\n}\n", NULL,
            "rules:\n  - http: {url: \"${URL}/health\", status: [\"500-599\"]}\n");
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    rf_free(&r);
    server_stop(&s);
}

static void test_http_body_match_captures_named_groups_as_variables(void **state)
{
    (void)state;
    server s;
    server_start(&s, NULL);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "gate.sh", "#!/bin/sh\nprintf '%s %s' \"$1\" \"$2\" > gate.out\n", 1);
    rf_load(
        &r,
        "L { # L\n"
        "n1: rectangle label:\"Read metrics\"\n"
        "n2: rectangle label:\"Gate\"\n"
        "n3: rectangle label:\"Expect text\"\n"
        "n1.handle(right) -> n2.handle(left)\n"
        "n2.handle(right) -> n3.handle(left)\n"
        "}\n",
        NULL,
        "rules:\n"
        "  - match: Read metrics\n"
        "    http:\n"
        "      url: ${URL}/metrics\n"
        "      body_match: '\"error_rate\": (?<err>[0-9.]+), \"latency_p99_ms\": (?<p99>\\d+)'\n"
        "  - match: Gate\n"
        "    exec: [./gate.sh, \"${err}\", \"${p99}\"]\n"
        "  - match: Expect text\n"
        "    http: {url: \"${URL}/metrics\", body_match: \"^no such text$\"}\n");
    const char *vars[] = {s.url, NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    assert_string_equal(rf_read(&r, "gate.out", NULL), "0.002 120");
    assert_int_equal(rf_step_of(&r, "n3", 0)->answer, FZ_ANSWER_NO);
    assert_non_null(strstr(rf_step_of(&r, "n3", 0)->reason, "body does not match"));
    rf_free(&r);
    server_stop(&s);
}

static void test_http_post_sends_expanded_body_and_headers(void **state)
{
    (void)state;
    server s;
    server_start(&s, NULL);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Announce v1.2 \\\"now\\\"\"\n}\n", NULL,
            "rules:\n"
            "  - match: ^Announce (?<v>\\S+)\n"
            "    http:\n"
            "      method: POST\n"
            "      url: ${URL}/echo\n"
            "      headers: {Content-Type: text/plain, X-Flowzap: \"rel ${v}\"}\n"
            "      body: \"version=${v}\"\n"
            "      body_match: '\"body\": \"version=v1\\.2\".*\"x_flowzap\": \"rel v1\\.2\"'\n");
    const char *vars[] = {s.url, NULL};
    rf_go(&r, vars, NULL);
    const rf_step *st = rf_step_of(&r, "n1", 0);
    assert_non_null(st);
    if (st->answer != FZ_ANSWER_OK)
        fprintf(stderr, "reason: %s\n", st->reason);
    assert_int_equal(st->answer, FZ_ANSWER_OK);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    rf_free(&r);
    server_stop(&s);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd); /* nothing listens there now */
    return ntohs(a.sin_port);
}

static void test_http_connection_refused_is_an_error(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof(url), "URL=http://127.0.0.1:%d", closed_port());
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Ping\"\n}\n", NULL,
            "rules:\n  - http: {url: \"${URL}/health\"}\n");
    const char *vars[] = {url, NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(rf_step_of(&r, "n1", 0)->reason, "onnect"));
    rf_free(&r);
}

static void test_http_slow_server_times_out_and_retries(void **state)
{
    (void)state;
    server s;
    server_start(&s, "--delay");
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Ping\"\n}\n", NULL,
            "rules:\n  - http: {url: \"${URL}/health\"}\n    timeout: 200ms\n    retries: 1\n");
    const char *vars[] = {s.url, NULL};
    uint64_t t0 = fz_real_clock();
    rf_go(&r, vars, NULL);
    uint64_t took = fz_real_clock() - t0;
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_TIMEOUT);
    assert_int_equal(rf_step_of(&r, "n1", 1)->answer, FZ_ANSWER_TIMEOUT);
    assert_int_equal(rf_step_of(&r, "n1", 1)->attempt, 2);
    assert_true(took >= 400000000u);
    assert_true(took < 3000000000u); /* without the timeouts: 2 x 2 s */
    assert_int_equal(r.state, FZ_RUN_FAILED);
    rf_free(&r);
    server_stop(&s);
}

/*==========================================================================
 * A raw server: records every byte it is sent, answers with a fixed body
 *========================================================================*/

typedef struct rec_server {
    pid_t pid;
    int port;
    char log[256];
    char var[64]; /* "URL=http://127.0.0.1:PORT" */
} rec_server;

/* Reads one request (to the end of its header block, then whatever else
 * arrives within 200 ms: a smuggled second request would), appends it to
 * the log, answers, closes. */
static void rec_serve(int c, const char *log, const char *body, size_t body_len)
{
    char buf[65536];
    size_t n = 0;
    int headers_done = 0;
    for (;;) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, headers_done ? 200 : 5000) <= 0)
            break;
        ssize_t k = read(c, buf + n, sizeof(buf) - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
        headers_done = strstr(buf, "\r\n\r\n") != NULL;
        if (n + 1 >= sizeof(buf))
            break;
    }
    FILE *f = fopen(log, "ab");
    if (f) {
        fwrite(buf, 1, n, f);
        fputs("\n--- end of connection ---\n", f);
        fclose(f);
    }
    char head[160];
    int hl =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
    if (write(c, head, (size_t)hl) < 0)
        return;
    for (size_t off = 0; off < body_len;) {
        ssize_t k = write(c, body + off, body_len - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
}

static void rec_start(rec_server *s, const char *body, size_t body_len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    snprintf(s->log, sizeof(s->log), "%s/tmp-http-rec-%d.log", FZ_BUILD_DIR, (int)getpid());
    unlink(s->log);
    snprintf(s->var, sizeof(s->var), "URL=http://127.0.0.1:%d", s->port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
            int c = accept(fd, NULL, NULL);
            if (c < 0)
                _exit(0);
            rec_serve(c, s->log, body, body_len);
            close(c);
        }
    }
    close(fd);
    s->pid = pid;
}

/* What the server was sent (static buffer; "" when nothing). */
static const char *rec_stop(rec_server *s)
{
    static char got[65536];
    kill(s->pid, SIGTERM);
    int st;
    waitpid(s->pid, &st, 0);
    got[0] = '\0';
    FILE *f = fopen(s->log, "rb");
    if (f) {
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        got[n] = '\0';
        fclose(f);
    }
    unlink(s->log);
    return got;
}

static void test_http_crlf_in_a_variable_never_reaches_the_wire(void **state)
{
    (void)state;
    static const char body[] = "session=abc\r\nX-Injected: 1\r\n\r\nGET /smuggled HTTP/1.1";
    rec_server s;
    rec_start(&s, body, strlen(body));
    const char *smuggle = "H=abc\r\nX-Injected: 1\r\n\r\nGET /smuggled HTTP/1.1";
    const char *path = "P=x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /smuggled";

    /* from --set, into a header */
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Ping\"\n}\n", NULL,
            "rules:\n"
            "  - http:\n"
            "      url: ${URL}/ping\n"
            "      headers: {Accept: text/plain, X-H: \"${H}\"}\n");
    const char *vars[] = {s.var, smuggle, path, NULL};
    rf_go(&r, vars, NULL);
    const rf_step *st = rf_step_of(&r, "n1", 0);
    assert_int_equal(st->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(st->reason, "http header 'X-H' (bindings line 4)"));
    assert_non_null(strstr(st->reason, "a CR (carriage return) at byte 3"));
    rf_free(&r);

    /* into the URL */
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Ping\"\n}\n", NULL,
            "rules:\n  - http: {url: \"${URL}/${P}\"}\n");
    rf_go(&r, vars, NULL);
    st = rf_step_of(&r, "n1", 0);
    assert_int_equal(st->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(st->reason, "http url (bindings line 2)"));
    assert_non_null(strstr(st->reason, "a space"));
    rf_free(&r);
    assert_string_equal(rec_stop(&s), ""); /* nothing was sent at all */

    /* from a remote body through body_match, into the next request */
    rec_start(&s, body, strlen(body));
    memset(&r, 0, sizeof(r));
    rf_load(&r,
            "L { # L\n"
            "n1: rectangle label:\"Log in\"\n"
            "n2: rectangle label:\"Use session\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - match: Log in\n"
            "    http: {url: \"${URL}/login\", body_match: '(?s)session=(?<S>.*)'}\n"
            "  - match: Use session\n"
            "    http: {url: \"${URL}/use\", headers: {Cookie: \"s=${S}\"}}\n");
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    st = rf_step_of(&r, "n2", 0);
    assert_int_equal(st->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(st->reason, "http header 'Cookie' (bindings line 5)"));
    rf_free(&r);
    const char *got = rec_stop(&s);
    assert_non_null(strstr(got, "GET /login HTTP/1.1\r\n"));
    assert_null(strstr(got, "/use"));
    assert_null(strstr(got, "X-Injected"));
    assert_null(strstr(got, "smuggled"));
}

static void test_http_empty_header_value_is_sent_not_dropped(void **state)
{
    (void)state;
    rec_server s;
    rec_start(&s, "ok", 2);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Ping\"\n}\n", NULL,
            "rules:\n"
            "  - http: {url: \"${URL}/ping\", headers: {X-Empty: \"${E}\", Accept: \"\"}}\n");
    const char *vars[] = {s.var, "E=", NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    rf_free(&r);
    const char *got = rec_stop(&s);
    assert_non_null(strstr(got, "\r\nX-Empty:"));
    assert_non_null(strstr(got, "\r\nAccept:"));
    assert_null(strstr(got, "*/*")); /* libcurl's default Accept was replaced */
}

typedef struct load_case {
    const char *yaml;
    const char *at;  /* the text the error points to */
    const char *msg; /* part of the message */
} load_case;

static void test_http_bad_header_name_or_method_is_refused_at_its_place(void **state)
{
    (void)state;
    /* the caret goes to the first character inside quotes */
    static const load_case cases[] = {
        {"rules:\n  - http: {url: \"http://x/\", headers: {Ok: a, \"X H\": b}}\n", "X H\"",
         "'X H' is not a header name"},
        {"rules:\n  - http: {url: \"http://x/\", headers: {\"X:Y\": b}}\n", "X:Y\"",
         "'X:Y' is not a header name"},
        {"rules:\n  - http: {url: \"http://x/\", headers: {\"X-${N}\": b}}\n", "X-${N}\"",
         "${VAR} is not replaced in names"},
        {"rules:\n  - http: {url: \"http://x/\", method: \"\"}\n", "\"}",
         "'http.method' must not be empty"},
        {"rules:\n  - http: {url: \"http://x/\", method: \"GET /x\"}\n", "GET /x\"",
         "is not an HTTP method"},
        {"rules:\n  - http: {url: \"http://x/\", max_body: lots}\n", "lots",
         "'http.max_body': 'lots' is not a size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_bind *b = NULL;
        int rc = fz_bind_load_mem("b.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &d, &b);
        assert_int_equal(rc, FZ_EPARSE);
        assert_int_equal(fz_diags_count(&d), 1);
        const fz_diag *g = fz_diags_at(&d, 0);
        if (!strstr(g->message, cases[i].msg))
            fprintf(stderr, "case %zu: %s\n", i, g->message);
        assert_non_null(strstr(g->message, cases[i].msg));
        uint32_t want = (uint32_t)(strstr(cases[i].yaml, cases[i].at) - cases[i].yaml);
        if (g->offset != want)
            fprintf(stderr, "case %zu: offset %u, want %u\n", i, g->offset, want);
        assert_int_equal(g->offset, want);
        fz_diags_fini(&d);
    }
}

static void test_http_body_match_sees_the_whole_body_up_to_max_body(void **state)
{
    (void)state;
    /* 3 MiB of filler, the value at the very end */
    size_t n = (size_t)3 << 20;
    char *body = malloc(n + 64);
    assert_non_null(body);
    memset(body, 'a', n);
    int tail = snprintf(body + n, 64, "\"token\": \"t0k3n\"}");
    rec_server s;
    rec_start(&s, body, n + (size_t)tail);
    free(body);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "show.sh", "#!/bin/sh\nprintf '%s' \"$1\" > token.out\n", 1);
    rf_load(&r,
            "L { # L\n"
            "n1: rectangle label:\"Fetch\"\n"
            "n2: rectangle label:\"Show\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - match: ^Fetch$\n"
            "    http: {url: \"${URL}/big\", body_match: '\"token\": \"(?<T>\\w+)\"\\}$'}\n"
            "  - match: Show\n"
            "    exec: [./show.sh, \"${T}\"]\n");
    const char *vars[] = {s.var, NULL};
    rf_go(&r, vars, NULL);
    const rf_step *st = rf_step_of(&r, "n1", 0);
    assert_int_equal(st->answer, FZ_ANSWER_OK);
    assert_string_equal(rf_read(&r, "token.out", NULL), "t0k3n");
    /* the journal keeps the first 1 MiB of the body and says so */
    assert_true(st->out_len > (size_t)1 << 20 && st->out_len < ((size_t)1 << 20) + 64);
    assert_non_null(strstr(st->out_tail, "[... 2097169 bytes dropped]\n"));
    rf_free(&r);

    /* past max_body: an error, not a match against part of the body */
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Fetch small\"\n}\n", NULL,
            "rules:\n  - http: {url: \"${URL}/big\", body_match: 'a', max_body: 1MiB}\n");
    rf_go(&r, vars, NULL);
    st = rf_step_of(&r, "n1", 0);
    assert_int_equal(st->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(st->reason, "larger than max_body (1048576 bytes)"));
    rf_free(&r);
    rec_stop(&s);
}

/* A pattern that backtracks without end on the body: the step's error
 * names the PCRE2 limit that stopped it and where body_match is written. */
static void test_http_body_match_limit_is_named_with_its_place(void **state)
{
    (void)state;
    /* a's, then "b!": the 'b' the pattern needs is there, the end is not */
    size_t n = 4096;
    char *body = malloc(n);
    assert_non_null(body);
    memset(body, 'a', n);
    memcpy(body + n - 2, "b!", 2);
    rec_server s;
    rec_start(&s, body, n);
    free(body);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: rectangle label:\"Fetch\"\n}\n", NULL,
            "rules:\n"
            "  - http:\n"
            "      url: \"${URL}/big\"\n"
            "      body_match: '^(a|a)*b$'\n");
    const char *vars[] = {s.var, NULL};
    rf_go(&r, vars, NULL);
    const rf_step *st = rf_step_of(&r, "n1", 0);
    assert_int_equal(st->answer, FZ_ANSWER_ERROR);
    assert_non_null(st->reason);
    if (!strstr(st->reason, "the pattern reached PCRE2's match limit") &&
        !strstr(st->reason, "the pattern reached PCRE2's heap limit") &&
        !strstr(st->reason, "the pattern reached PCRE2's depth limit") &&
        !strstr(st->reason, "the pattern reached PCRE2's JIT stack limit"))
        fail_msg("no limit named: %s", st->reason);
    if (!strstr(st->reason, "http body_match (bindings line 4, column 20)"))
        fail_msg("no place: %s", st->reason);
    assert_non_null(strstr(st->reason, "4096-byte body"));
    rf_free(&r);
    rec_stop(&s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_status_decides_ok_or_no),
        cmocka_unit_test(test_http_body_match_captures_named_groups_as_variables),
        cmocka_unit_test(test_http_post_sends_expanded_body_and_headers),
        cmocka_unit_test(test_http_connection_refused_is_an_error),
        cmocka_unit_test(test_http_slow_server_times_out_and_retries),
        cmocka_unit_test(test_http_crlf_in_a_variable_never_reaches_the_wire),
        cmocka_unit_test(test_http_empty_header_value_is_sent_not_dropped),
        cmocka_unit_test(test_http_bad_header_name_or_method_is_refused_at_its_place),
        cmocka_unit_test(test_http_body_match_sees_the_whole_body_up_to_max_body),
        cmocka_unit_test(test_http_body_match_limit_is_named_with_its_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
