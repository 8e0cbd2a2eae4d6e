/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c - the JSON-lines trace observer (engine/trace.h) against
 * docs/formats.md: exact lines for a small run, every line parsed back with
 * jansson for a parallel one, chaining, and write failures.
 */
#include "tests/unit/engine_fixture.h"

#include <jansson.h>

#include "engine/observer.h"
#include "engine/trace.h"

typedef struct traced {
    fz_graph *g;
    fz_plan *p;
    fz_engine *e;
    fz_trace *tr;
    FILE *f;
    char *buf;
    size_t len;
    fx_backend fx;
    fz_backend b;
    fz_observer_tee tee; /* the trace and the next observer */
} traced;

static void traced_run(traced *t, const char *desc, const char *script, const fz_trace_opts *o,
                       const fz_observer *next)
{
    memset(t, 0, sizeof(*t));
    t->g = fx_graph(desc);
    assert_int_equal(fz_plan_new(t->g, NULL, NULL, &t->p), 0);
    assert_int_equal(fz_engine_new(t->p, NULL, &t->e), 0);
    t->f = open_memstream(&t->buf, &t->len);
    assert_non_null(t->f);
    assert_int_equal(fz_trace_new(t->f, t->g, "sim", o, NULL, &t->tr), 0);
    fz_observer own, obs;
    fz_trace_observer(t->tr, &own);
    const fz_observer *both[] = {&own, next};
    assert_int_equal(fz_observer_tee_init(&t->tee, both, 2, &obs), 0);
    fz_engine_set_observer(t->e, &obs);
    fx_init(&t->fx, t->g, script, &t->b);
    assert_int_equal(fz_engine_start(t->e), 0);
    assert_int_equal(fz_engine_drive(t->e, &t->b), 0);
    assert_int_equal(fz_trace_status(t->tr), 0);
    fclose(t->f);
}

static void traced_free(traced *t)
{
    fz_trace_free(t->tr);
    fz_engine_free(t->e);
    fz_plan_free(t->p);
    fz_graph_free(t->g);
    free(t->buf);
}

static void test_trace_small_run_writes_the_documented_lines(void **state)
{
    (void)state;
    traced t;
    fz_trace_opts o = {0};
    o.run = 7;
    o.workflow = "flows/tiny.fz";
    o.hash = "abc123";
    o.has_seed = 1;
    o.seed = 42;
    o.has_index = 1;
    o.index = 7;
    traced_run(&t,
               "s circle Start\n"
               "c diamond Healthy?\n"
               "e circle End\n"
               "s -> c\n"
               "c -> e Yes\n"
               "c -> s No\n",
               "c=no:flapping,ok", &o, NULL);
    assert_string_equal(
        t.buf,
        "{\"ev\":\"run\",\"run\":7,\"workflow\":\"flows/tiny.fz\",\"hash\":\"abc123\","
        "\"backend\":\"sim\",\"seed\":42,\"index\":7}\n"
        "{\"ev\":\"start\",\"t\":0.0,\"task\":0,\"node\":\"s\",\"lane\":\"\",\"label\":\"Start\","
        "\"token\":0,\"attempt\":1}\n"
        "{\"ev\":\"finish\",\"t\":1.0,\"task\":0,\"node\":\"s\",\"answer\":\"ok\",\"ms\":1.0}\n"
        "{\"ev\":\"edge\",\"t\":1.0,\"edge\":\"e1\",\"from\":\"s\",\"to\":\"c\",\"token\":0}\n"
        "{\"ev\":\"start\",\"t\":1.0,\"task\":1,\"node\":\"c\",\"lane\":\"\",\"label\":"
        "\"Healthy?\",\"token\":0,\"attempt\":1}\n"
        "{\"ev\":\"finish\",\"t\":2.0,\"task\":1,\"node\":\"c\",\"answer\":\"no\",\"reason\":"
        "\"flapping\",\"ms\":1.0}\n"
        "{\"ev\":\"edge\",\"t\":2.0,\"edge\":\"e3\",\"from\":\"c\",\"to\":\"s\",\"label\":\"No\","
        "\"token\":0}\n"
        "{\"ev\":\"start\",\"t\":2.0,\"task\":2,\"node\":\"s\",\"lane\":\"\",\"label\":\"Start\","
        "\"token\":0,\"attempt\":1}\n"
        "{\"ev\":\"finish\",\"t\":3.0,\"task\":2,\"node\":\"s\",\"answer\":\"ok\",\"ms\":1.0}\n"
        "{\"ev\":\"edge\",\"t\":3.0,\"edge\":\"e1\",\"from\":\"s\",\"to\":\"c\",\"token\":0}\n"
        "{\"ev\":\"start\",\"t\":3.0,\"task\":3,\"node\":\"c\",\"lane\":\"\",\"label\":"
        "\"Healthy?\",\"token\":0,\"attempt\":1}\n"
        "{\"ev\":\"finish\",\"t\":4.0,\"task\":3,\"node\":\"c\",\"answer\":\"ok\",\"ms\":1.0}\n"
        "{\"ev\":\"edge\",\"t\":4.0,\"edge\":\"e2\",\"from\":\"c\",\"to\":\"e\",\"label\":\"Yes\","
        "\"token\":0}\n"
        "{\"ev\":\"start\",\"t\":4.0,\"task\":4,\"node\":\"e\",\"lane\":\"\",\"label\":\"End\","
        "\"token\":0,\"attempt\":1}\n"
        "{\"ev\":\"finish\",\"t\":5.0,\"task\":4,\"node\":\"e\",\"answer\":\"ok\",\"ms\":1.0}\n"
        "{\"ev\":\"token_end\",\"t\":5.0,\"token\":0,\"node\":\"e\"}\n"
        "{\"ev\":\"end\",\"t\":5.0,\"state\":\"completed\",\"outcome\":\"End via Yes\","
        "\"steps\":5}\n");
    assert_int_equal(fz_trace_lines(t.tr), 17);
    traced_free(&t);
}

static int count_ev(const char *buf, const char *ev)
{
    char key[64];
    snprintf(key, sizeof(key), "{\"ev\":\"%s\"", ev);
    int n = 0;
    for (const char *p = buf; (p = strstr(p, key)) != NULL; p++)
        n++;
    return n;
}

static void test_trace_every_line_is_json_with_the_documented_fields(void **state)
{
    (void)state;
    traced t;
    traced_run(&t,
               "s circle Start\n"
               "f rect Fork\n"
               "a rect Caf\xc3\xa9 \"quoted\"\n"
               "b rect Bad \xff byte\n"
               "t rect Try\n"
               "c diamond OK?\n"
               "e circle End\n"
               "s -> f\n"
               "f -> a\n"
               "f -> t\n"
               "a -> b\n"
               "b -> e Left\n"
               "t -> c\n"
               "c -> e Yes\n"
               "loop 2 retry twice: t c\n",
               "c=no,ok;b=timeout", NULL, NULL);
    char *save = NULL;
    int lines = 0;
    json_int_t last_steps = -1;
    for (char *line = strtok_r(t.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        assert_non_null(o);
        const char *ev = json_string_value(json_object_get(o, "ev"));
        assert_non_null(ev);
        if (lines == 0) {
            assert_string_equal(ev, "run");
            assert_true(json_is_null(json_object_get(o, "run")));
            assert_string_equal(json_string_value(json_object_get(o, "workflow")), "test.fz");
            assert_null(json_object_get(o, "seed"));
        } else {
            assert_true(json_is_real(json_object_get(o, "t")));
        }
        if (!strcmp(ev, "start")) {
            assert_non_null(json_string_value(json_object_get(o, "label")));
            assert_true(json_is_integer(json_object_get(o, "attempt")));
        }
        if (!strcmp(ev, "end")) {
            assert_string_equal(json_string_value(json_object_get(o, "state")), "failed");
            assert_string_equal(json_string_value(json_object_get(o, "outcome")),
                                "failed at b \"Bad \xef\xbf\xbd byte\": timed out");
            last_steps = json_integer_value(json_object_get(o, "steps"));
        }
        json_decref(o);
        lines++;
    }
    /* s f a t b(timeout: fails) ... the order is creation order. */
    assert_int_equal(last_steps, 5);
    traced_free(&t);
    traced_run(&t,
               "s circle Start\n"
               "f rect Fork\n"
               "a rect A\n"
               "t rect Try\n"
               "c diamond OK?\n"
               "e circle End\n"
               "s -> f\n"
               "f -> a\n"
               "f -> t\n"
               "a -> e Left\n"
               "t -> c\n"
               "c -> e Yes\n"
               "loop 2 retry twice: t c\n",
               "c=no,ok", NULL, NULL);
    assert_int_equal(count_ev(t.buf, "loop"), 1);
    /* The two branches join at e: it runs once, one token ends there. */
    assert_int_equal(count_ev(t.buf, "token_end"), 1);
    assert_int_equal(count_ev(t.buf, "start"), count_ev(t.buf, "finish"));
    assert_non_null(
        strstr(t.buf, "{\"ev\":\"loop\",\"t\":5.0,\"loop\":0,\"token\":1,\"count\":1}"));
    assert_non_null(strstr(t.buf, "\"outcome\":\"End via Yes\""));
    traced_free(&t);
}

static int chained_finishes;

static void count_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    (void)t;
    (void)r;
    (void)t_ns;
    *(int *)ud += 1;
    chained_finishes++;
}

static void test_trace_shares_the_engine_with_another_observer_through_a_tee(void **state)
{
    (void)state;
    int n = 0;
    fz_observer next = {0};
    next.on_finish = count_finish;
    next.ud = &n;
    traced t;
    traced_run(&t,
               "s circle Start\n"
               "e circle End\n"
               "s -> e\n",
               "", NULL, &next);
    assert_int_equal(n, 2);
    assert_int_equal(count_ev(t.buf, "finish"), 2);
    traced_free(&t);
}

static void test_trace_reports_a_stream_that_cannot_be_written(void **state)
{
    (void)state;
    fz_graph *g = fx_graph("s circle Start\n");
    FILE *f = fopen("/dev/null", "r");
    assert_non_null(f);
    fz_trace *tr = NULL;
    assert_int_equal(fz_trace_new(f, g, "real", NULL, NULL, &tr), FZ_EIO);
    assert_null(tr);
    fclose(f);
    fz_trace_free(NULL);
    fz_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_small_run_writes_the_documented_lines),
        cmocka_unit_test(test_trace_every_line_is_json_with_the_documented_fields),
        cmocka_unit_test(test_trace_shares_the_engine_with_another_observer_through_a_tee),
        cmocka_unit_test(test_trace_reports_a_stream_that_cannot_be_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
