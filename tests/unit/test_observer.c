/* SPDX-License-Identifier: MIT */
/*
 * test_observer.c - the observer tee (engine/observer.h): every event
 * reaches every observer in the order given, NULL callbacks and entries are
 * skipped, a lone observer is handed over as it is, and a real engine run
 * through a tee reports to each observer what it reports to one alone.
 */
#include "tests/unit/engine_fixture.h"

#include "engine/observer.h"

/* One observer's view: a log of "<name>:<event>" words shared by all. */
typedef struct watcher {
    const char *name;
    char *log; /* shared, sizeof LOG_CAP */
} watcher;

#define LOG_CAP 8192

static void note(const watcher *w, const char *ev)
{
    size_t n = strlen(w->log);
    snprintf(w->log + n, LOG_CAP - n, "%s%s:%s", n ? " " : "", w->name, ev);
}

static void w_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t;
    (void)t_ns;
    note(ud, "start");
}

static void w_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    (void)t;
    (void)r;
    (void)t_ns;
    note(ud, "finish");
}

static void w_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    (void)edge;
    (void)token;
    (void)t_ns;
    note(ud, "edge");
}

static void w_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    (void)loop;
    (void)token;
    (void)count;
    (void)t_ns;
    note(ud, "loop");
}

static void w_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    (void)token;
    (void)node;
    (void)t_ns;
    note(ud, "token_end");
}

static void w_run_end(void *ud, fz_run_state st, const char *outcome, uint64_t t_ns)
{
    (void)st;
    (void)outcome;
    (void)t_ns;
    note(ud, "run_end");
}

static fz_observer all_of(watcher *w)
{
    return (fz_observer){w_start, w_finish, w_edge, w_loop, w_token_end, w_run_end, w};
}

/* Sends each of the six events once through obs. */
static void send_all(const fz_observer *obs)
{
    fz_task t = {.id = 1, .node = 0, .token = 1, .attempt = 1};
    fz_result r;
    memset(&r, 0, sizeof(r));
    if (obs->on_start)
        obs->on_start(obs->ud, &t, 1);
    if (obs->on_finish)
        obs->on_finish(obs->ud, &t, &r, 2);
    if (obs->on_edge)
        obs->on_edge(obs->ud, 0, 1, 3);
    if (obs->on_loop)
        obs->on_loop(obs->ud, 0, 1, 1, 4);
    if (obs->on_token_end)
        obs->on_token_end(obs->ud, 1, 0, 5);
    if (obs->on_run_end)
        obs->on_run_end(obs->ud, FZ_RUN_COMPLETED, "done", 6);
}

static void test_observer_tee_calls_each_observer_in_the_order_given(void **state)
{
    (void)state;
    char log[LOG_CAP] = "";
    watcher a = {"a", log}, b = {"b", log}, c = {"c", log};
    fz_observer oa = all_of(&a), ob = all_of(&b), oc = all_of(&c);
    const fz_observer *list[] = {&oc, &oa, &ob};
    fz_observer_tee tee;
    fz_observer out;
    assert_int_equal(fz_observer_tee_init(&tee, list, 3, &out), 0);
    assert_ptr_equal(out.ud, &tee);
    send_all(&out);
    assert_string_equal(log, "c:start a:start b:start c:finish a:finish b:finish "
                             "c:edge a:edge b:edge c:loop a:loop b:loop "
                             "c:token_end a:token_end b:token_end c:run_end a:run_end b:run_end");
}

static void test_observer_tee_skips_null_callbacks_and_entries(void **state)
{
    (void)state;
    char log[LOG_CAP] = "";
    watcher a = {"a", log}, b = {"b", log};
    fz_observer oa = {.on_start = w_start, .on_run_end = w_run_end, .ud = &a};
    fz_observer ob = {.on_finish = w_finish, .on_run_end = w_run_end, .ud = &b};
    const fz_observer *list[] = {NULL, &oa, NULL, &ob, NULL};
    fz_observer_tee tee;
    fz_observer out;
    assert_int_equal(fz_observer_tee_init(&tee, list, 5, &out), 0);
    /* A callback no observer has is not set: the engine skips the event. */
    assert_non_null(out.on_start);
    assert_non_null(out.on_finish);
    assert_null(out.on_edge);
    assert_null(out.on_loop);
    assert_null(out.on_token_end);
    assert_non_null(out.on_run_end);
    send_all(&out);
    assert_string_equal(log, "a:start b:finish a:run_end b:run_end");
}

static void test_observer_tee_of_one_is_that_observer(void **state)
{
    (void)state;
    char log[LOG_CAP] = "";
    watcher a = {"a", log};
    fz_observer oa = {.on_edge = w_edge, .ud = &a};
    const fz_observer *list[] = {NULL, &oa};
    fz_observer_tee tee;
    fz_observer out;
    assert_int_equal(fz_observer_tee_init(&tee, list, 2, &out), 0);
    assert_memory_equal(&out, &oa, sizeof(out));

    const fz_observer *none[] = {NULL, NULL};
    assert_int_equal(fz_observer_tee_init(&tee, none, 2, &out), 0);
    fz_observer empty;
    memset(&empty, 0, sizeof(empty));
    assert_memory_equal(&out, &empty, sizeof(out));
    assert_int_equal(fz_observer_tee_init(&tee, NULL, 0, &out), 0);
    assert_memory_equal(&out, &empty, sizeof(out));
}

static void test_observer_tee_refuses_more_than_it_holds(void **state)
{
    (void)state;
    char log[LOG_CAP] = "";
    watcher a = {"a", log};
    fz_observer oa = all_of(&a);
    const fz_observer *list[FZ_OBSERVER_TEE_MAX + 2];
    for (uint32_t i = 0; i < FZ_OBSERVER_TEE_MAX + 2; i++)
        list[i] = &oa;
    list[0] = NULL; /* NULL entries do not count */
    fz_observer_tee tee;
    fz_observer out;
    assert_int_equal(fz_observer_tee_init(&tee, list, FZ_OBSERVER_TEE_MAX + 1, &out), 0);
    assert_int_equal(tee.n, FZ_OBSERVER_TEE_MAX);
    assert_int_equal(fz_observer_tee_init(&tee, list, FZ_OBSERVER_TEE_MAX + 2, &out), FZ_EINVAL);
    fz_observer empty;
    memset(&empty, 0, sizeof(empty));
    assert_memory_equal(&out, &empty, sizeof(out));
    send_all(&out);
    assert_string_equal(log, "");
}

/* Runs desc with script under obs; returns the scripted path. */
static void run_with(const char *desc, const char *script, const fz_observer *obs)
{
    fz_graph *g = fx_graph(desc);
    fz_plan *p = NULL;
    fz_engine *e = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), 0);
    assert_int_equal(fz_engine_new(p, NULL, &e), 0);
    fz_engine_set_observer(e, obs);
    fx_backend fx;
    fz_backend b;
    fx_init(&fx, g, script, &b);
    assert_int_equal(fz_engine_start(e), 0);
    assert_int_equal(fz_engine_drive(e, &b), 0);
    fz_engine_free(e);
    fz_plan_free(p);
    fz_graph_free(g);
}

/* Keeps every word of log whose observer is name, without the name. */
static void only(const char *log, const char *name, char *out)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *w = log; *w;) {
        const char *end = strchr(w, ' ');
        size_t wl = end ? (size_t)(end - w) : strlen(w);
        if (wl > nl && memcmp(w, name, nl) == 0 && w[nl] == ':') {
            size_t n = strlen(out);
            snprintf(out + n, LOG_CAP - n, "%s%.*s", n ? " " : "", (int)(wl - nl - 1), w + nl + 1);
        }
        w += wl;
        while (*w == ' ')
            w++;
    }
}

static void test_observer_tee_on_an_engine_reports_to_each_what_one_alone_sees(void **state)
{
    (void)state;
    /* A loop and a branch: every kind of event happens. */
    const char *desc = "s circle Start\n"
                       "a rect Try\n"
                       "d diamond Good?\n"
                       "e circle End\n"
                       "s -> a\n"
                       "a -> d\n"
                       "d -> e Yes\n"
                       "d -> a No\n"
                       "loop 3 try again: a d\n";
    const char *script = "d=no,ok";
    static char alone[LOG_CAP], teed[LOG_CAP], a_view[LOG_CAP], b_view[LOG_CAP];
    alone[0] = teed[0] = '\0';
    watcher solo = {"a", alone};
    fz_observer os = all_of(&solo);
    run_with(desc, script, &os);
    assert_non_null(strstr(alone, "a:loop"));
    assert_non_null(strstr(alone, "a:token_end"));

    watcher a = {"a", teed}, b = {"b", teed};
    fz_observer oa = all_of(&a), ob = all_of(&b);
    const fz_observer *list[] = {&oa, &ob};
    fz_observer_tee tee;
    fz_observer out;
    assert_int_equal(fz_observer_tee_init(&tee, list, 2, &out), 0);
    run_with(desc, script, &out);
    only(alone, "a", b_view); /* the solo run, names dropped */
    only(teed, "a", a_view);
    assert_string_equal(a_view, b_view);
    only(teed, "b", a_view);
    assert_string_equal(a_view, b_view);
    /* b hears each event right after a. */
    const char *w = teed;
    while ((w = strstr(w, "a:")) != NULL) {
        const char *ev = w + 2;
        const char *end = strchr(ev, ' ');
        assert_non_null(end);
        assert_memory_equal(end + 1, "b:", 2);
        assert_memory_equal(end + 3, ev, (size_t)(end - ev));
        w = end + 1;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observer_tee_calls_each_observer_in_the_order_given),
        cmocka_unit_test(test_observer_tee_skips_null_callbacks_and_entries),
        cmocka_unit_test(test_observer_tee_of_one_is_that_observer),
        cmocka_unit_test(test_observer_tee_refuses_more_than_it_holds),
        cmocka_unit_test(test_observer_tee_on_an_engine_reports_to_each_what_one_alone_sees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
