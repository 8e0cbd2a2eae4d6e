/* SPDX-License-Identifier: MIT */
/*
 * test_http.c - the http handler against a real HTTP server on 127.0.0.1
 * (workflows/canary/metrics-server.py) that each test starts itself.
 */
#include "tests/unit/run_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
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

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_status_decides_ok_or_no),
        cmocka_unit_test(test_http_body_match_captures_named_groups_as_variables),
        cmocka_unit_test(test_http_post_sends_expanded_body_and_headers),
        cmocka_unit_test(test_http_connection_refused_is_an_error),
        cmocka_unit_test(test_http_slow_server_times_out_and_retries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
