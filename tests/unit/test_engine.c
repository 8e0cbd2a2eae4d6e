/* SPDX-License-Identifier: MIT */
/*
 * test_engine.c - routing rules of docs/semantics.md, one claim per test,
 * each run through fz_engine_drive with the scripted backend of
 * engine_fixture.h; plus determinism, reuse and an OOM loop.
 */
#include "tests/unit/engine_fixture.h"

#include "parser/parser.h"
#include "tests/unit/routing_cases.h"

/* One run of desc under script: outcome, path and state are kept. */
typedef struct run {
    fz_graph *g;
    fz_plan *p;
    fz_engine *e;
    fx_backend fx;
    fz_backend b;
    int rc;
} run;

static run *run_new(const char *desc, uint32_t max_steps)
{
    run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->g = fx_graph(desc);
    fz_plan_opts o = {NULL, 0, max_steps};
    assert_int_equal(fz_plan_new(r->g, &o, NULL, &r->p), 0);
    assert_int_equal(fz_engine_new(r->p, NULL, &r->e), 0);
    return r;
}

static void run_go(run *r, const char *script)
{
    fx_init(&r->fx, r->g, script, &r->b);
    assert_int_equal(fz_engine_start(r->e), 0);
    r->rc = fz_engine_drive(r->e, &r->b);
}

static run *run1(const char *desc, const char *script)
{
    run *r = run_new(desc, 0);
    run_go(r, script);
    assert_int_equal(r->rc, 0);
    return r;
}

static void run_free(run *r)
{
    fz_engine_free(r->e);
    fz_plan_free(r->p);
    fz_graph_free(r->g);
    free(r);
}

static void set_policy(run *r, const char *id, uint32_t retries, uint64_t backoff, uint64_t cap,
                       int exponential)
{
    fz_policy pol = {0, retries, backoff, cap, (uint8_t)exponential};
    fz_plan_set_policy(r->p, fx_node(r->g, id), &pol);
}

#define assert_completed(r, text)                                                                  \
    do {                                                                                           \
        assert_int_equal(fz_engine_state((r)->e), FZ_RUN_COMPLETED);                               \
        assert_string_equal(fz_engine_outcome((r)->e), (text));                                    \
    } while (0)

#define assert_failed(r, text)                                                                     \
    do {                                                                                           \
        assert_int_equal(fz_engine_state((r)->e), FZ_RUN_FAILED);                                  \
        assert_string_equal(fz_engine_outcome((r)->e), (text));                                    \
    } while (0)

/* The canary of workflows/canary-deploy.fz, in the fixture's notation. */
static const char *const canary = "n1 circle Start\n"
                                  "n2 rect Build container image\n"
                                  "n3 rect Push to registry\n"
                                  "n4 rect Complete rollout\n"
                                  "n5 circle End\n"
                                  "n6 rect Deploy to 5% of pods\n"
                                  "n7 rect Configure traffic split\n"
                                  "n8 rect Wait observation period\n"
                                  "n9 diamond Metrics healthy?\n"
                                  "n10 rect Increase to 25%\n"
                                  "n11 rect Rollback canary\n"
                                  "n12 diamond Still healthy?\n"
                                  "n13 rect Increase to 50%\n"
                                  "n14 rect Full rollout 100%\n"
                                  "n15 rect Track error rate\n"
                                  "n16 rect Measure latency p99\n"
                                  "n17 rect Check resource usage\n"
                                  "n18 diamond All metrics pass?\n"
                                  "n19 rect Mark deployment success\n"
                                  "n20 rect Trigger automatic rollback\n"
                                  "n1 -> n2\n"
                                  "n2 -> n3\n"
                                  "n3 -> n6 Deploy canary\n"
                                  "n4 -> n5\n"
                                  "n6 -> n7\n"
                                  "n7 -> n8\n"
                                  "n8 -> n9\n"
                                  "n9 -> n10 Yes\n"
                                  "n9 -> n11 No\n"
                                  "n10 -> n12\n"
                                  "n11 -> n4 Aborted\n"
                                  "n12 -> n13 Yes\n"
                                  "n12 -> n11 No\n"
                                  "n13 -> n14\n"
                                  "n14 -> n15 Monitor\n"
                                  "n15 -> n16\n"
                                  "n16 -> n17\n"
                                  "n17 -> n18\n"
                                  "n18 -> n19 Yes\n"
                                  "n18 -> n20 No\n"
                                  "n19 -> n4 Success\n"
                                  "n20 -> n4 Rolled back\n";

/*==========================================================================
 * Start and end
 *========================================================================*/

static void test_engine_starts_at_circles_without_incoming_edges(void **state)
{
    (void)state;
    run *r = run_new("a rect A\n"
                     "s circle Start\n"
                     "a -> b\n"
                     "s -> b\n"
                     "b rect B\n",
                     0);
    uint32_t n = 0;
    const uint32_t *st = fz_plan_starts(r->p, &n);
    assert_int_equal(n, 1);
    assert_int_equal(st[0], fx_node(r->g, "s"));
    run_free(r);
}

static void test_engine_without_circles_every_node_without_incoming_edge_starts(void **state)
{
    (void)state;
    run *r = run1("a rect A\n"
                  "b rect B\n"
                  "c rect C\n"
                  "a -> c\n"
                  "b -> c\n",
                  "");
    uint32_t n = 0;
    fz_plan_starts(r->p, &n);
    assert_int_equal(n, 2);
    /* Both tokens reach c: they join there, c runs once. */
    assert_string_equal(r->fx.path, "a b c");
    assert_completed(r, "C");
    run_free(r);
}

static void test_engine_when_every_node_has_an_incoming_edge_the_first_declared_starts(void **state)
{
    (void)state;
    run *r = run_new("x -> a\n"
                     "a rect A\n"
                     "x rect X\n"
                     "a -> x\n",
                     20);
    uint32_t n = 0;
    const uint32_t *st = fz_plan_starts(r->p, &n);
    assert_int_equal(n, 1);
    /* x was referenced first, but a was declared first. */
    assert_int_equal(st[0], fx_node(r->g, "a"));
    run_go(r, "");
    assert_failed(r, "failed at x \"X\": step limit of 20 steps reached");
    assert_int_equal(fz_engine_steps(r->e), 20);
    run_free(r);
}

static void test_engine_start_override_replaces_the_start_nodes(void **state)
{
    (void)state;
    fz_graph *g = fx_graph("s circle Start\n"
                           "a rect A\n"
                           "b circle End\n"
                           "s -> a\n"
                           "a -> b\n");
    uint32_t st = fx_node(g, "a");
    fz_plan_opts o = {&st, 1, 0};
    fz_plan *p = NULL;
    assert_int_equal(fz_plan_new(g, &o, NULL, &p), 0);
    fz_engine *e = NULL;
    assert_int_equal(fz_engine_new(p, NULL, &e), 0);
    fx_backend fx;
    fz_backend b;
    fx_init(&fx, g, "", &b);
    assert_int_equal(fz_engine_start(e), 0);
    assert_int_equal(fz_engine_drive(e, &b), 0);
    assert_string_equal(fx.path, "a b");
    uint32_t bad = 99;
    fz_plan *p2 = NULL;
    fz_plan_opts o2 = {&bad, 1, 0};
    assert_int_equal(fz_plan_new(g, &o2, NULL, &p2), FZ_EINVAL);
    assert_null(p2);
    fz_engine_free(e);
    fz_plan_free(p);
    fz_graph_free(g);
}

static void test_engine_plan_refuses_an_empty_graph(void **state)
{
    (void)state;
    fz_graph *g = fx_graph("");
    fz_plan *p = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), FZ_EINVAL);
    assert_null(p);
    fz_graph_free(g);
}

static void test_engine_outcome_names_end_node_and_last_labelled_edge(void **state)
{
    (void)state;
    run *r = run1(canary, "");
    assert_completed(r, "End via Success");
    assert_string_equal(r->fx.path, "n1 n2 n3 n6 n7 n8 n9 n10 n12 n13 n14 n15 n16 n17 n18 "
                                    "n19 n4 n5");
    assert_int_equal(fz_engine_steps(r->e), 18);
    assert_int_equal(fz_engine_failed_node(r->e), FZ_NONE);
    run_free(r);
}

static void test_engine_outcome_without_labelled_edge_is_the_end_label(void **state)
{
    (void)state;
    run *r = run1("s circle Start\n"
                  "e circle Done\n"
                  "s -> e\n",
                  "");
    assert_completed(r, "Done");
    run_free(r);
}

static void test_engine_canary_rolls_back_when_metrics_are_unhealthy(void **state)
{
    (void)state;
    run *r = run1(canary, "n9=no");
    assert_completed(r, "End via Aborted");
    assert_string_equal(r->fx.path, "n1 n2 n3 n6 n7 n8 n9 n11 n4 n5");
    run_free(r);
    r = run1(canary, "n18=no");
    assert_completed(r, "End via Rolled back");
    run_free(r);
}

/*==========================================================================
 * Decisions
 *========================================================================*/

static const char *const decision3 = "d diamond Approve?\n"
                                     "y circle Shipped\n"
                                     "n circle Dropped\n"
                                     "m circle Later\n"
                                     "d -> y Yes, ship\n"
                                     "d -> n No\n"
                                     "d -> m Maybe later\n";

static void test_engine_decision_ok_takes_yes_edge_and_no_takes_no_edge(void **state)
{
    (void)state;
    run *r = run1(decision3, "d=ok");
    assert_completed(r, "Shipped via Yes, ship");
    run_free(r);
    r = run1(decision3, "d=no");
    assert_completed(r, "Dropped via No");
    run_free(r);
}

static void test_engine_decision_explicit_outcome_matches_label_trimmed_any_case(void **state)
{
    (void)state;
    run *r = run1(decision3, "d=@  mAYBE LATER ");
    assert_completed(r, "Later via Maybe later");
    run_free(r);
}

static void test_engine_decision_unmatched_outcome_uses_its_word_class(void **state)
{
    (void)state;
    run *r = run1(decision3, "d=@Denied");
    assert_completed(r, "Dropped via No");
    run_free(r);
}

static void
test_engine_decision_without_match_or_default_fails_naming_answer_and_labels(void **state)
{
    (void)state;
    run *r = run1(decision3, "d=@Perhaps");
    assert_failed(r, "failed at d \"Approve?\": answer \"Perhaps\" matches no outgoing edge; it "
                     "offers \"Yes, ship\", \"No\", \"Maybe later\"");
    assert_int_equal(fz_engine_failed_node(r->e), fx_node(r->g, "d"));
    run_free(r);
    r = run1("d diamond Pick\n"
             "a circle A\n"
             "b circle B\n"
             "d -> a Left\n"
             "d -> b Right\n",
             "d=ok");
    assert_failed(r, "failed at d \"Pick\": answer yes matches no outgoing edge; it offers \"Left\", "
                     "\"Right\"");
    run_free(r);
}

static void test_engine_decision_two_labelled_edges_the_other_is_the_opposite(void **state)
{
    (void)state;
    const char *d1 = "d diamond Review\n"
                     "a circle Out\n"
                     "b circle Back\n"
                     "d -> a Approved\n"
                     "d -> b Sent back\n";
    run *r = run1(d1, "d=no");
    assert_completed(r, "Back via Sent back");
    run_free(r);
    r = run1(d1, "d=ok");
    assert_completed(r, "Out via Approved");
    run_free(r);
    const char *d2 = "d diamond Review\n"
                     "a circle Out\n"
                     "b circle Back\n"
                     "d -> a Ship it\n"
                     "d -> b Rejected\n";
    r = run1(d2, "d=ok");
    assert_completed(r, "Out via Ship it");
    run_free(r);
    r = run1(d2, "d=no");
    assert_completed(r, "Back via Rejected");
    run_free(r);
}

static void test_engine_decision_unlabelled_edge_is_the_default(void **state)
{
    (void)state;
    const char *d = "d diamond Valid?\n"
                    "a circle On\n"
                    "b circle Again\n"
                    "d -> a\n"
                    "d -> b Retry/Rejected\n";
    run *r = run1(d, "d=ok");
    assert_completed(r, "On");
    run_free(r);
    r = run1(d, "d=no");
    assert_completed(r, "Again via Retry/Rejected");
    run_free(r);
    r = run1(d, "d=@whatever");
    assert_completed(r, "On");
    run_free(r);
}

static void test_engine_decision_error_is_handled_as_for_an_action(void **state)
{
    (void)state;
    const char *d = "d diamond Healthy?\n"
                    "y circle Up\n"
                    "n circle Down\n"
                    "x circle Broken\n"
                    "d -> y Yes\n"
                    "d -> n No\n"
                    "d -> x Timeout\n";
    run *r = run1(d, "d=timeout");
    assert_completed(r, "Broken via Timeout");
    run_free(r);
    r = run1("d diamond Healthy?\n"
             "y circle Up\n"
             "n circle Down\n"
             "d -> y Yes\n"
             "d -> n No\n",
             "d=error:probe down,ok");
    set_policy(r, "d", 1, 0, 0, 0);
    run_go(r, "d=error:probe down,ok");
    assert_completed(r, "Up via Yes");
    assert_string_equal(r->fx.path, "d d#2 y");
    run_free(r);
}

/*==========================================================================
 * Actions
 *========================================================================*/

static void test_engine_action_with_yes_and_no_edges_routes_like_a_decision(void **state)
{
    (void)state;
    const char *d = "t rect Run tests\n"
                    "a circle Green\n"
                    "b circle Red\n"
                    "t -> a Passed\n"
                    "t -> b Failed\n";
    run *r = run1(d, "");
    assert_completed(r, "Green via Passed");
    run_free(r);
    r = run1(d, "t=no");
    assert_completed(r, "Red via Failed");
    run_free(r);
}

static void test_engine_action_ok_takes_every_edge_as_parallel_tokens(void **state)
{
    (void)state;
    run *r = run_new("s circle Start\n"
                     "f rect Fan out\n"
                     "a rect A\n"
                     "b rect B\n"
                     "ea circle End A\n"
                     "eb circle End B\n"
                     "s -> f\n"
                     "f -> b Second\n"
                     "f -> a First\n"
                     "a -> ea\n"
                     "b -> eb\n",
                     0);
    /* Tasks come out in creation order; the fan-out creates them in edge order. */
    assert_int_equal(fz_engine_start(r->e), 0);
    fz_task t;
    fz_result ok = {.answer = FZ_ANSWER_OK};
    assert_int_equal(fz_engine_next(r->e, &t), 1);
    assert_int_equal(t.id, 0);
    assert_int_equal(fz_engine_complete(r->e, 0, &ok, 0), 0);
    assert_int_equal(fz_engine_next(r->e, &t), 1);
    assert_int_equal(t.node, fx_node(r->g, "f"));
    assert_int_equal(fz_engine_complete(r->e, t.id, &ok, 0), 0);
    fz_task tb, ta;
    assert_int_equal(fz_engine_next(r->e, &tb), 1);
    assert_int_equal(fz_engine_next(r->e, &ta), 1);
    assert_int_equal(fz_engine_next(r->e, &t), 0);
    assert_int_equal(tb.id, 2);
    assert_int_equal(tb.node, fx_node(r->g, "b"));
    assert_int_equal(tb.token, 0);
    assert_int_equal(ta.id, 3);
    assert_int_equal(ta.node, fx_node(r->g, "a"));
    assert_int_equal(ta.token, 1);
    assert_int_equal(fz_engine_in_flight(r->e), 2);
    /* Complete out of order: the outcome does not depend on timing. */
    assert_int_equal(fz_engine_complete(r->e, ta.id, &ok, 0), 0);
    assert_int_equal(fz_engine_complete(r->e, tb.id, &ok, 0), 0);
    while (fz_engine_next(r->e, &t))
        assert_int_equal(fz_engine_complete(r->e, t.id, &ok, 0), 0);
    assert_completed(r, "End A via First + End B via Second");
    run_free(r);
}

static void test_engine_action_ok_skips_error_edges_and_error_takes_them(void **state)
{
    (void)state;
    const char *d = "s circle Start\n"
                    "c rect Call API\n"
                    "h rect Handle failure\n"
                    "e circle End\n"
                    "s -> c\n"
                    "c -> e Done\n"
                    "c -> h Error\n"
                    "h -> e Recovered\n";
    run *r = run1(d, "");
    assert_completed(r, "End via Done");
    assert_string_equal(r->fx.path, "s c e");
    run_free(r);
    r = run1(d, "c=error:connection refused");
    assert_completed(r, "End via Recovered");
    assert_string_equal(r->fx.path, "s c h e");
    run_free(r);
    r = run1(d, "c=no");
    assert_completed(r, "End via Recovered");
    run_free(r);
}

static void test_engine_action_negative_answer_without_error_edge_fails(void **state)
{
    (void)state;
    run *r = run1(canary, "n3=no");
    assert_failed(r, "failed at n3 \"Push to registry\": no route from n3 for answer no");
    assert_int_equal(fz_engine_failed_node(r->e), fx_node(r->g, "n3"));
    run_free(r);
    r = run1(canary, "n3=error:registry unreachable");
    assert_failed(r, "failed at n3 \"Push to registry\": error: registry unreachable");
    run_free(r);
}

static void test_engine_timeout_is_an_error(void **state)
{
    (void)state;
    run *r = run1(canary, "n8=timeout");
    assert_failed(r, "failed at n8 \"Wait observation period\": timed out");
    run_free(r);
    r = run1("s circle Start\n"
             "w rect Wait\n"
             "e circle End\n"
             "x circle Gave up\n"
             "s -> w\n"
             "w -> e\n"
             "w -> x timeout\n",
             "w=timeout");
    assert_completed(r, "Gave up via timeout");
    run_free(r);
}

/*==========================================================================
 * Retries
 *========================================================================*/

static void test_engine_retries_errors_with_fixed_backoff(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    set_policy(r, "n3", 3, 5000, 0, 0);
    run_go(r, "n3=error,timeout,ok");
    assert_completed(r, "End via Success");
    assert_non_null(strstr(r->fx.path, "n2 n3 n3#2 n3#3 n6"));
    assert_int_equal(r->fx.delays[3], 5000);
    assert_int_equal(r->fx.delays[4], 5000);
    assert_int_equal(r->fx.delays[5], 0);
    /* Every attempt is a step. */
    assert_int_equal(fz_engine_steps(r->e), 20);
    run_free(r);
}

static void test_engine_retries_back_off_exponentially_up_to_the_cap(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    set_policy(r, "n3", 5, 1000, 5000, 1);
    run_go(r, "n3=error,error,error,error,error,ok");
    assert_completed(r, "End via Success");
    /* Tasks started: n1, n2, n3, then five retries of n3. */
    assert_int_equal(r->fx.delays[3], 1000);
    assert_int_equal(r->fx.delays[4], 2000);
    assert_int_equal(r->fx.delays[5], 4000);
    assert_int_equal(r->fx.delays[6], 5000);
    assert_int_equal(r->fx.delays[7], 5000);
    run_free(r);
}

static void test_engine_retries_exhausted_fail_with_the_attempt_count(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    set_policy(r, "n3", 2, 0, 0, 0);
    run_go(r, "n3=error:HTTP 503");
    assert_failed(r, "failed at n3 \"Push to registry\": error after 3 attempts: HTTP 503");
    run_free(r);
}

static void test_engine_negative_answer_is_never_retried(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    set_policy(r, "n3", 3, 0, 0, 0);
    run_go(r, "n3=no,ok");
    assert_int_equal(fz_engine_state(r->e), FZ_RUN_FAILED);
    assert_null(strstr(r->fx.path, "n3#2"));
    run_free(r);
}

/*==========================================================================
 * Merges, loops, limits
 *========================================================================*/

static void test_engine_join_after_a_fan_out_of_two_runs_the_merge_once(void **state)
{
    (void)state;
    run *r = run1("s circle Start\n"
                  "f rect Fork\n"
                  "a rect A\n"
                  "b rect B\n"
                  "m rect Merge\n"
                  "e circle End\n"
                  "s -> f\n"
                  "f -> a\n"
                  "f -> b\n"
                  "a -> m\n"
                  "b -> m\n"
                  "m -> e\n",
                  "");
    assert_string_equal(r->fx.path, "s f a b m e");
    assert_completed(r, "End");
    run_free(r);
}

static const char *const looped = "s circle Start\n"
                                  "t rect Run tests\n"
                                  "c diamond Green?\n"
                                  "e circle End\n"
                                  "s -> t\n"
                                  "t -> c\n"
                                  "c -> e Yes\n"
                                  "loop 2 retry up to 2 times: t c\n";

static void test_engine_loop_sends_the_token_back_to_its_first_node(void **state)
{
    (void)state;
    run *r = run1(looped, "c=no,no,ok");
    assert_completed(r, "End via Yes");
    assert_string_equal(r->fx.path, "s t c t c t c e");
    run_free(r);
}

static void test_engine_loop_past_its_bound_fails_naming_the_loop(void **state)
{
    (void)state;
    run *r = run1(looped, "c=no");
    assert_failed(r, "failed at c \"Green?\": loop [retry up to 2 times] exceeded its bound of 2");
    assert_string_equal(r->fx.path, "s t c t c t c");
    run_free(r);
    /* An error inside the scope, past the node's own retries, loops too. */
    r = run_new(looped, 0);
    set_policy(r, "t", 1, 0, 0, 0);
    run_go(r, "t=error,error,ok");
    assert_completed(r, "End via Yes");
    assert_string_equal(r->fx.path, "s t t#2 t c e");
    run_free(r);
}

static void test_engine_loop_counts_explicit_back_edges_and_resets_from_outside(void **state)
{
    (void)state;
    const char *d = "s circle Start\n"
                    "p rect Prepare\n"
                    "t rect Try\n"
                    "c diamond OK?\n"
                    "e circle End\n"
                    "s -> p\n"
                    "p -> t\n"
                    "t -> c\n"
                    "c -> e Yes\n"
                    "c -> t Retry\n"
                    "loop 1 max 1: t c\n";
    run *r = run1(d, "c=no,ok");
    assert_completed(r, "End via Yes");
    run_free(r);
    r = run1(d, "c=no,no");
    assert_failed(r, "failed at c \"OK?\": loop [max 1] exceeded its bound of 1");
    run_free(r);
    /* Leaving the scope and entering it again from outside starts over. */
    r = run1("s circle Start\n"
             "t rect Try\n"
             "c diamond OK?\n"
             "o diamond Again?\n"
             "e circle End\n"
             "s -> t\n"
             "t -> c\n"
             "c -> o Yes\n"
             "c -> t Retry\n"
             "o -> t Yes\n"
             "o -> e No\n"
             "loop 1 max 1: t c\n",
             "c=no,ok,no,ok;o=ok,no");
    assert_completed(r, "End via No");
    assert_string_equal(r->fx.path, "s t c t c o t c t c o e");
    run_free(r);
}

static void test_engine_step_limit_ends_a_run_that_never_finishes(void **state)
{
    (void)state;
    const char *spin = "s circle Start\n"
                       "a rect Poll\n"
                       "b rect Sleep\n"
                       "s -> a\n"
                       "a -> b\n"
                       "b -> a\n";
    run *r = run_new(spin, 0);
    assert_int_equal(fz_plan_max_steps(r->p), 10000);
    run_go(r, "");
    assert_failed(r, "failed at a \"Poll\": step limit of 10000 steps reached");
    assert_int_equal(fz_engine_steps(r->e), 10000);
    run_free(r);
    r = run_new(spin, 7);
    run_go(r, "");
    assert_failed(r, "failed at b \"Sleep\": step limit of 7 steps reached");
    run_free(r);
    /* A run that ends on its last allowed step completes. */
    r = run_new("s circle Start\n"
                "e circle End\n"
                "s -> e\n",
                2);
    run_go(r, "");
    assert_completed(r, "End");
    run_free(r);
}

/*==========================================================================
 * Variables
 *========================================================================*/

static void test_engine_variables_from_handlers_are_kept_and_reset_by_start(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    fx_init(&r->fx, r->g, "n2=ok+IMAGE=app:1;n3=ok+IMAGE=registry.local/app:1.0.1", &r->b);
    assert_int_equal(fz_engine_start(r->e), 0);
    assert_int_equal(fz_engine_set_var(r->e, "ENV", "staging"), 0);
    assert_int_equal(fz_engine_drive(r->e, &r->b), 0);
    assert_completed(r, "End via Success");
    assert_string_equal(fz_engine_get_var(r->e, "ENV"), "staging");
    assert_string_equal(fz_engine_get_var(r->e, "IMAGE"), "registry.local/app:1.0.1");
    assert_null(fz_engine_get_var(r->e, "NOPE"));
    assert_int_equal(fz_engine_var_count(r->e), 2);
    fz_kv kv = fz_engine_var_at(r->e, 1);
    assert_string_equal(kv.key, "IMAGE");
    kv = fz_engine_var_at(r->e, 2);
    assert_null(kv.key);
    /* Shorter values overwrite in place; longer ones move. */
    assert_int_equal(fz_engine_set_var(r->e, "ENV", "qa"), 0);
    assert_int_equal(fz_engine_set_var(r->e, "ENV", "production-eu-west"), 0);
    assert_string_equal(fz_engine_get_var(r->e, "ENV"), "production-eu-west");
    assert_int_equal(fz_engine_set_var(r->e, NULL, "x"), FZ_EINVAL);
    assert_int_equal(fz_engine_start(r->e), 0);
    assert_int_equal(fz_engine_var_count(r->e), 0);
    assert_null(fz_engine_get_var(r->e, "IMAGE"));
    run_free(r);
}

/*==========================================================================
 * Observer, abort, errors
 *========================================================================*/

typedef struct evlog {
    char text[4096];
    size_t len;
    const fz_graph *g;
} evlog;

static void log_add(evlog *l, const char *s)
{
    size_t n = strlen(s);
    assert_true(l->len + n + 2 < sizeof(l->text));
    if (l->len)
        l->text[l->len++] = '|';
    memcpy(l->text + l->len, s, n + 1);
    l->len += n;
}

static void ob_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    char b[64];
    snprintf(b, sizeof(b), "start %u@%u", t->id, (unsigned)(t_ns / 1000000));
    log_add(ud, b);
}

static void ob_finish(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns)
{
    char b[64];
    snprintf(b, sizeof(b), "finish %u=%d@%u", t->id, (int)r->answer, (unsigned)(t_ns / 1000000));
    log_add(ud, b);
}

static void ob_edge(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns)
{
    char b[64];
    (void)t_ns;
    snprintf(b, sizeof(b), "edge e%u t%u", edge + 1, token);
    log_add(ud, b);
}

static void ob_loop(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns)
{
    char b[64];
    (void)t_ns;
    snprintf(b, sizeof(b), "loop %u t%u #%u", loop, token, count);
    log_add(ud, b);
}

static void ob_token_end(void *ud, uint32_t token, uint32_t node, uint64_t t_ns)
{
    char b[64];
    (void)t_ns;
    snprintf(b, sizeof(b), "token_end t%u n%u", token, node);
    log_add(ud, b);
}

static void ob_run_end(void *ud, fz_run_state st, const char *outcome, uint64_t t_ns)
{
    char b[256];
    snprintf(b, sizeof(b), "end %d %s@%u", (int)st, outcome, (unsigned)(t_ns / 1000000));
    log_add(ud, b);
}

static const fz_observer all_events = {ob_start,     ob_finish,  ob_edge, ob_loop,
                                       ob_token_end, ob_run_end, NULL};

static void test_engine_observer_sees_finish_before_routing_and_the_end(void **state)
{
    (void)state;
    evlog l = {{0}, 0, NULL};
    run *r = run_new(looped, 0);
    fz_observer o = all_events;
    o.ud = &l;
    fz_engine_set_observer(r->e, &o);
    run_go(r, "c=no,ok");
    assert_int_equal(r->rc, 0);
    assert_string_equal(l.text, "start 0@0|finish 0=0@1|edge e1 t0|"
                                "start 1@1|finish 1=0@2|edge e2 t0|"
                                "start 2@2|finish 2=1@3|loop 0 t0 #1|"
                                "start 3@3|finish 3=0@4|edge e2 t0|"
                                "start 4@4|finish 4=0@5|edge e3 t0|"
                                "start 5@5|finish 5=0@6|token_end t0 n3|"
                                "end 2 End via Yes@6");
    run_free(r);
}

static void test_engine_interrupt_fails_the_run_and_cancels_started_tasks(void **state)
{
    (void)state;
    evlog l = {{0}, 0, NULL};
    run *r = run_new(canary, 0);
    fz_observer o = {0};
    o.on_run_end = ob_run_end;
    o.ud = &l;
    fz_engine_set_observer(r->e, &o);
    fx_init(&r->fx, r->g, "", &r->b);
    r->fx.interrupt_after = 3;
    assert_int_equal(fz_engine_start(r->e), 0);
    assert_int_equal(fz_engine_drive(r->e, &r->b), FZ_EINTR);
    assert_failed(r, "failed at n6 \"Deploy to 5% of pods\": interrupted");
    assert_int_equal(r->fx.cancelled, 1);
    assert_string_equal(l.text, "end 3 failed at n6 \"Deploy to 5% of pods\": interrupted@3");
    /* The abandoned task cannot be completed any more; the run is over. */
    fz_result ok = {.answer = FZ_ANSWER_OK};
    assert_int_equal(fz_engine_complete(r->e, 3, &ok, 0), FZ_EFINISHED);
    assert_int_equal(fz_engine_complete(r->e, 99, &ok, 0), FZ_EINVAL);
    fz_task t;
    assert_int_equal(fz_engine_next(r->e, &t), 0);
    /* Abort after the end changes nothing. */
    fz_engine_abort(r->e, "again", 0);
    assert_failed(r, "failed at n6 \"Deploy to 5% of pods\": interrupted");
    run_free(r);
}

static void test_engine_abort_names_the_oldest_running_task(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    assert_int_equal(fz_engine_start(r->e), 0);
    fz_task t;
    fz_result ok = {.answer = FZ_ANSWER_OK};
    assert_int_equal(fz_engine_next(r->e, &t), 1);
    assert_int_equal(fz_engine_complete(r->e, t.id, &ok, 0), 0);
    assert_int_equal(fz_engine_next(r->e, &t), 1);
    fz_engine_abort(r->e, "stopped by operator", 0);
    assert_failed(r, "failed at n2 \"Build container image\": stopped by operator");
    assert_int_equal(fz_engine_failed_node(r->e), fx_node(r->g, "n2"));
    assert_int_equal(fz_engine_in_flight(r->e), 1);
    run_free(r);
}

static void test_engine_complete_refuses_unknown_and_finished_tasks(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    fz_result ok = {.answer = FZ_ANSWER_OK};
    assert_int_equal(fz_engine_complete(r->e, 0, &ok, 0), FZ_ESTATE);
    assert_string_equal(fz_engine_outcome(r->e), "");
    assert_int_equal(fz_engine_start(r->e), 0);
    /* Created but not handed out yet. */
    assert_int_equal(fz_engine_complete(r->e, 0, &ok, 0), FZ_EINVAL);
    fz_task t;
    assert_int_equal(fz_engine_next(r->e, &t), 1);
    assert_int_equal(fz_engine_complete(r->e, 7, &ok, 0), FZ_EINVAL);
    assert_int_equal(fz_engine_complete(r->e, t.id, &ok, 0), 0);
    assert_int_equal(fz_engine_complete(r->e, t.id, &ok, 0), FZ_EINVAL);
    assert_int_equal(fz_engine_state(r->e), FZ_RUN_RUNNING);
    assert_int_equal(fz_engine_steps(r->e), 1);
    run_free(r);
}

/*==========================================================================
 * Determinism and reuse
 *========================================================================*/

static void test_engine_same_results_give_same_tasks_across_reused_runs(void **state)
{
    (void)state;
    run *r = run_new(canary, 0);
    set_policy(r, "n8", 2, 100, 0, 1);
    const char *scripts[] = {"", "n9=no", "n8=error,ok;n12=no", "n18=no", "n3=no"};
    char first[5][8192];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5; i++) {
            run_go(r, scripts[i]);
            assert_int_equal(r->rc, 0);
            char line[8192];
            int n = snprintf(line, sizeof(line), "%.4000s => %.200s", r->fx.path,
                             fz_engine_outcome(r->e));
            assert_true(n > 0 && (size_t)n < sizeof(line));
            if (round == 0)
                snprintf(first[i], sizeof(first[i]), "%s", line);
            else
                assert_string_equal(first[i], line);
        }
    }
    assert_string_equal(first[2], "n1 n2 n3 n6 n7 n8 n8#2 n9 n10 n12 n11 n4 n5 => End via "
                                  "Aborted");
    run_free(r);
}

/*==========================================================================
 * Out of memory
 *========================================================================*/

/* One full run of desc under a failing allocator; returns the first error. */
static int oom_once(const char *desc, const char *script, fz_test_alloc *ta)
{
    fz_graph *g = NULL;
    fz_plan *p = NULL;
    fz_engine *e = NULL;
    int rc = fx_graph_try(desc, &ta->hook, &g);
    if (!rc)
        rc = fz_plan_new(g, NULL, &ta->hook, &p);
    if (!rc)
        rc = fz_engine_new(p, &ta->hook, &e);
    if (!rc)
        rc = fz_engine_start(e);
    if (!rc)
        rc = fz_engine_set_var(e, "K", "v");
    if (!rc) {
        fx_backend *fx = calloc(1, sizeof(*fx));
        fz_backend b;
        fx_init(fx, g, script, &b);
        rc = fz_engine_drive(e, &b);
        if (!rc) {
            assert_int_not_equal(fz_engine_state(e), FZ_RUN_RUNNING);
            const char *o = fz_engine_outcome(e);
            assert_non_null(o);
        } else {
            assert_int_equal(rc, FZ_ENOMEM);
            assert_int_equal(fz_engine_state(e), FZ_RUN_FAILED);
        }
        free(fx);
    }
    fz_engine_free(e);
    fz_plan_free(p);
    fz_graph_free(g);
    return rc;
}

static void test_engine_out_of_memory_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    const char *fan = "s circle Start\n"
                      "f rect Fork\n"
                      "a rect A\n"
                      "b diamond B?\n"
                      "c rect C\n"
                      "e circle End\n"
                      "s -> f\n"
                      "f -> a\n"
                      "f -> b\n"
                      "f -> c\n"
                      "a -> e Left\n"
                      "b -> e Yes\n"
                      "b -> f No\n"
                      "c -> e Right\n"
                      "loop 2 retry twice: f b\n";
    int clean = 0;
    for (uint64_t n = 1; n < 2000 && !clean; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        int rc = oom_once(fan, "b=no,no,ok+X=a-longer-value-that-moves", &ta);
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        clean = ta.injected == 0;
        if (clean)
            assert_int_equal(rc, 0);
    }
    assert_true(clean);
    /* A join of 11 grows the task table (and the waits with it). */
    clean = 0;
    for (uint64_t n = 1; n < 2000 && !clean; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        int rc = oom_once(RC_OUTBOX, "n5=ok+X=a-value", &ta);
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        clean = ta.injected == 0;
    }
    assert_true(clean);
}

/*==========================================================================
 * Real files, through the parser
 *========================================================================*/

static run *run_parsed(fz_graph *g, const char *script)
{
    run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->g = g;
    assert_int_equal(fz_plan_new(r->g, NULL, NULL, &r->p), 0);
    assert_int_equal(fz_engine_new(r->p, NULL, &r->e), 0);
    run_go(r, script);
    assert_int_equal(r->rc, 0);
    return r;
}

static fz_graph *parse_text(const char *text)
{
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    assert_int_equal(fz_parse_mem("inline.fz", text, strlen(text), NULL, &d, &g), 0);
    assert_int_equal(d.errors, 0);
    fz_diags_fini(&d);
    return g;
}

static void test_engine_canary_file_ends_as_its_drawing_says(void **state)
{
    (void)state;
    const char *path = fz_test_src("workflows/canary-deploy.fz");
    const char *scripts[][2] = {
        {"", "End via Success"},
        {"n9=no", "End via Aborted"},
        {"n12=no", "End via Aborted"},
        {"n18=no", "End via Rolled back"},
        {"n18=@Yes", "End via Success"},
        {"n7=error:split refused", "failed at n7 \"Configure traffic split\": error: split refused"},
    };
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        fz_diags d;
        fz_graph *g = NULL;
        fz_diags_init(&d, NULL);
        assert_int_equal(fz_parse_file(path, NULL, &d, &g), 0);
        fz_diags_fini(&d);
        run *r = run_parsed(g, scripts[i][0]);
        assert_string_equal(fz_engine_outcome(r->e), scripts[i][1]);
        uint32_t n = 0;
        const uint32_t *st = fz_plan_starts(r->p, &n);
        assert_int_equal(n, 1);
        assert_int_equal(st[0], fx_node(g, "n1"));
        run_free(r);
    }
}

static void test_engine_outcome_shows_nul_bytes_of_a_label_as_question_marks(void **state)
{
    (void)state;
    static const char text[] = "L { # L\n"
                               "n1: circle label:\"Start\"\n"
                               "n2: circle label:\"\0End\0\"\n"
                               "n1.handle(right) -> n2.handle(left)\n"
                               "}\n";
    fz_diags d;
    fz_graph *g = NULL;
    fz_diags_init(&d, NULL);
    int rc = fz_parse_mem("nul.fz", text, sizeof(text) - 1, NULL, &d, &g);
    fz_diags_fini(&d);
    if (rc != FZ_OK) {
        /* The parser refuses NUL bytes: nothing for the engine to show. */
        fz_graph_free(g);
        return;
    }
    run *r = run_parsed(g, "");
    assert_completed(r, "?End?");
    run_free(r);
}

/* The edge of node n's out list that leads to node dst. */
static uint32_t edge_to(const fz_graph *g, uint32_t n, uint32_t dst)
{
    uint32_t nout = 0;
    const uint32_t *out = fz_graph_out(g, n, &nout);
    for (uint32_t i = 0; i < nout; i++)
        if (fz_graph_edge(g, out[i])->dst == dst)
            return out[i];
    fail_msg("no edge to %u", dst);
    return FZ_NONE;
}

/* Runs n0 -> n1 (the decision) answering n1 with r; returns the node of
 * the task that follows. */
static uint32_t node_after(const fz_graph *g, const fz_result *r)
{
    fz_plan *p = NULL;
    fz_engine *e = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), 0);
    assert_int_equal(fz_engine_new(p, NULL, &e), 0);
    assert_int_equal(fz_engine_start(e), 0);
    fz_task t;
    fz_result ok = {.answer = FZ_ANSWER_OK};
    assert_true(fz_engine_next(e, &t));
    assert_int_equal(fz_engine_complete(e, t.id, &ok, 0), 0);
    assert_true(fz_engine_next(e, &t));
    assert_int_equal(t.node, fx_node(g, "n1"));
    assert_int_equal(fz_engine_complete(e, t.id, r, 0), 0);
    assert_true(fz_engine_next(e, &t));
    fz_engine_free(e);
    fz_plan_free(p);
    return t.node;
}

static void test_engine_outcome_edge_names_the_edge_routing_takes(void **state)
{
    (void)state;
    fz_graph *g = parse_text("L { # L\n"
                             "n0: circle label:\"Start\"\n"
                             "n1: diamond label:\"Ready?\"\n"
                             "n2: circle label:\"A\"\n"
                             "n3: circle label:\"B\"\n"
                             "n4: circle label:\"C\"\n"
                             "n0.handle(right) -> n1.handle(left)\n"
                             "n1.handle(right) -> n2.handle(left) [label=\"Yes\"]\n"
                             "n1.handle(bottom) -> n3.handle(top) [label=\"Go on\"]\n"
                             "n1.handle(top) -> n4.handle(left)\n"
                             "}\n");
    uint32_t n1 = fx_node(g, "n1");
    uint32_t to3 = edge_to(g, n1, fx_node(g, "n3"));
    assert_int_equal(fz_engine_outcome_edge(g, n1, "Yes"), edge_to(g, n1, fx_node(g, "n2")) + 1);
    assert_int_equal(fz_engine_outcome_edge(g, n1, " go ON "), to3 + 1);
    assert_int_equal(fz_engine_outcome_edge(g, n1, "Maybe"), 0);
    assert_int_equal(fz_engine_outcome_edge(g, n1, NULL), 0);
    assert_int_equal(fz_engine_outcome_edge(g, 999, "Yes"), 0);
    /* With and without the edge, the answer routes the same way. */
    fz_result plain = {.answer = FZ_ANSWER_OK, .outcome = " go ON "};
    fz_result hinted = plain;
    hinted.outcome_edge = to3 + 1;
    assert_int_equal(node_after(g, &plain), fx_node(g, "n3"));
    assert_int_equal(node_after(g, &hinted), fx_node(g, "n3"));
    fz_graph_free(g);

    /* Two edges with one label: routing takes both, so no single edge. */
    g = parse_text("L { # L\n"
                   "n0: circle label:\"Start\"\n"
                   "n1: diamond label:\"Ready?\"\n"
                   "n2: circle label:\"A\"\n"
                   "n3: circle label:\"B\"\n"
                   "n0.handle(right) -> n1.handle(left)\n"
                   "n1.handle(right) -> n2.handle(left) [label=\"Retry\"]\n"
                   "n1.handle(bottom) -> n3.handle(top) [label=\"retry\"]\n"
                   "}\n");
    assert_int_equal(fz_engine_outcome_edge(g, fx_node(g, "n1"), "Retry"), 0);
    fz_graph_free(g);
}

static void test_engine_parsed_loop_takes_its_bound_from_the_condition(void **state)
{
    (void)state;
    const char *text = "CI { # CI\n"
                       "n1: circle label:\"Start\"\n"
                       "n2: rectangle label:\"Run tests\"\n"
                       "n3: diamond label:\"Green?\"\n"
                       "n4: circle label:\"End\"\n"
                       "n1.handle(right) -> n2.handle(left)\n"
                       "n2.handle(right) -> n3.handle(left)\n"
                       "n3.handle(right) -> n4.handle(left) [label=\"Yes\"]\n"
                       "loop [retry up to 3 times] n2 n3\n"
                       "}\n";
    run *r = run_parsed(parse_text(text), "n3=no,no,no,ok");
    assert_completed(r, "End via Yes");
    run_free(r);
    r = run_parsed(parse_text(text), "n3=no");
    assert_failed(r, "failed at n3 \"Green?\": loop [retry up to 3 times] exceeded its bound of 3");
    assert_int_equal(fz_engine_steps(r->e), 1 + 2 * 4);
    run_free(r);
}

/*==========================================================================
 * Random graphs (seeded): invariants and determinism
 *========================================================================*/

static uint64_t xs_state;

static uint32_t xs(uint32_t n)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return (uint32_t)(xs_state % n);
}

static const char *const rand_labels[] = {"",          "Yes",     "No",      "Error",
                                          "Timeout",   "Retry",   "Deploy",  "Approved",
                                          "Sent back", "Success", "Rejected"};

/* Builds a random description into buf. */
static void random_desc(char *buf, size_t cap)
{
    size_t len = 0;
    uint32_t n = 2 + xs(10);
    const char *shapes[] = {"circle", "rect", "diamond"};
    for (uint32_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "n%u %s Node %u\n", i, shapes[xs(3)], i);
    uint32_t m = xs(2 * n + 1);
    for (uint32_t i = 0; i < m; i++)
        len += (size_t)snprintf(buf + len, cap - len, "n%u -> n%u %s\n", xs(n), xs(n),
                                rand_labels[xs(sizeof(rand_labels) / sizeof(rand_labels[0]))]);
    uint32_t loops = xs(3);
    for (uint32_t l = 0; l < loops; l++) {
        len += (size_t)snprintf(buf + len, cap - len, "loop %u max %u:", xs(4), l);
        uint32_t k = 1 + xs(3);
        for (uint32_t i = 0; i < k; i++)
            len += (size_t)snprintf(buf + len, cap - len, " n%u", xs(n));
        len += (size_t)snprintf(buf + len, cap - len, "\n");
    }
}

/* Runs e to its end, completing a random in-flight task each time with a
 * random result; writes what happened into out. */
static void random_run(fz_engine *e, const fz_graph *g, uint64_t seed, char *out, size_t cap)
{
    xs_state = seed;
    size_t len = 0;
    uint32_t flight[512], nf = 0, expect_id = 0;
    assert_int_equal(fz_engine_start(e), 0);
    for (int guard = 0; guard < 100000; guard++) {
        fz_task t;
        while (fz_engine_next(e, &t)) {
            assert_int_equal(t.id, expect_id);
            expect_id++;
            assert_true(t.node < fz_graph_node_count(g));
            assert_true(t.attempt >= 1);
            assert_true(nf < 512);
            flight[nf++] = t.id;
            if (len < cap - 64)
                len += (size_t)snprintf(out + len, cap - len, "%u:%u:%u:%u ", t.id, t.node, t.token,
                                        t.attempt);
        }
        assert_int_equal(fz_engine_in_flight(e), nf);
        if (fz_engine_state(e) != FZ_RUN_RUNNING)
            break;
        assert_true(nf > 0);
        uint32_t k = xs(nf);
        uint32_t id = flight[k];
        flight[k] = flight[--nf];
        fz_result r = {.answer = (fz_answer)xs(4)};
        if (xs(4) == 0) {
            r.answer = FZ_ANSWER_OK;
            r.outcome = rand_labels[xs(sizeof(rand_labels) / sizeof(rand_labels[0]))];
        }
        assert_int_equal(fz_engine_complete(e, id, &r, 0), 0);
    }
    assert_int_not_equal(fz_engine_state(e), FZ_RUN_RUNNING);
    const char *o = fz_engine_outcome(e);
    assert_true(strlen(o) > 0);
    if (fz_engine_state(e) == FZ_RUN_FAILED)
        assert_true(strncmp(o, "failed", 6) == 0);
    assert_true(fz_engine_steps(e) <= 200);
    snprintf(out + len, cap - len, "=> %s", o);
}

static void test_engine_random_graphs_end_within_the_limit_and_repeat_exactly(void **state)
{
    (void)state;
    static char desc[4096], a[16384], b[16384];
    for (uint64_t seed = 1; seed <= 400; seed++) {
        xs_state = seed * 0x9E3779B97F4A7C15ull;
        random_desc(desc, sizeof(desc));
        run *r = run_new(desc, 200);
        for (uint32_t i = 0; i < fz_graph_node_count(r->g); i++) {
            fz_policy pol = {0, xs(3), xs(2) * 1000, 5000, (uint8_t)xs(2)};
            fz_plan_set_policy(r->p, i, &pol);
        }
        fz_engine *e2 = NULL;
        assert_int_equal(fz_engine_new(r->p, NULL, &e2), 0);
        random_run(r->e, r->g, seed, a, sizeof(a));
        random_run(e2, r->g, seed, b, sizeof(b));
        assert_string_equal(a, b);
        /* A reused engine repeats itself too. */
        random_run(r->e, r->g, seed, b, sizeof(b));
        assert_string_equal(a, b);
        fz_engine_free(e2);
        run_free(r);
    }
}

/*==========================================================================
 * The one-token chain (engine.md "The drive loop"): a backend offering
 * start_wait and no observer runs a lone token's plain steps with the token
 * in locals. Each run must give the backend the same tasks and end the same
 * way as the general path (start + wait) and the one-token path with an
 * observer set (which never chains).
 *========================================================================*/

/* A backend answering from a seeded stream, one draw per task in the order
 * results are handed back: ok, no, error, timeout, an outcome (with its edge
 * named as fz_engine_outcome_edge names it, or without), a variable; it
 * logs every task it is given and can fail (FZ_EINTR or FZ_EIO) after k
 * results. */
typedef struct cb_backend {
    const fz_graph *g;
    uint64_t rng;
    fz_task q[512];
    uint32_t head, tail;
    uint32_t results, fail_after;
    int fail_rc;
    char log[16384];
    size_t len;
    fz_kv kv;
} cb_backend;

static uint32_t cb_draw(cb_backend *c, uint32_t n)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (uint32_t)(c->rng % n);
}

static int cb_start(void *ud, fz_engine *e, const fz_task *t)
{
    (void)e;
    cb_backend *c = ud;
    assert_true(c->tail - c->head < 512);
    c->q[c->tail++ % 512] = *t;
    if (c->len < sizeof(c->log) - 80)
        c->len += (size_t)snprintf(c->log + c->len, sizeof(c->log) - c->len, "%u:%u:%u:%u:%llu ",
                                   t->id, t->node, t->token, t->attempt,
                                   (unsigned long long)t->delay_ns);
    return 0;
}

static int cb_wait(void *ud, fz_engine *e, uint32_t *id, fz_result *r)
{
    (void)e;
    cb_backend *c = ud;
    if (c->fail_after && c->results >= c->fail_after)
        return c->fail_rc;
    assert_true(c->head != c->tail);
    fz_task t = c->q[c->head++ % 512];
    c->results++;
    *id = t.id;
    uint32_t k = cb_draw(c, 20);
    if (k < 10) {
        r->answer = FZ_ANSWER_OK;
    } else if (k < 12) {
        r->answer = FZ_ANSWER_NO;
    } else if (k < 15) {
        r->answer = FZ_ANSWER_ERROR;
        r->reason = "boom";
    } else if (k < 16) {
        r->answer = FZ_ANSWER_TIMEOUT;
        r->reason = "timed out";
    } else if (k < 19) {
        r->answer = cb_draw(c, 4) ? FZ_ANSWER_OK : FZ_ANSWER_NO;
        r->outcome = rand_labels[cb_draw(c, sizeof(rand_labels) / sizeof(rand_labels[0]))];
        if (cb_draw(c, 2))
            r->outcome_edge = fz_engine_outcome_edge(c->g, t.node, r->outcome);
    } else {
        c->kv = (fz_kv){"k", "v"};
        r->vars = &c->kv;
        r->nvars = 1;
    }
    return 0;
}

static int cb_start_wait(void *ud, fz_engine *e, const fz_task *t, uint32_t *id, fz_result *r)
{
    int rc = cb_start(ud, e, t);
    return rc ? rc : cb_wait(ud, e, id, r);
}

static void cb_cancel(void *ud, fz_engine *e)
{
    (void)e;
    cb_backend *c = ud;
    c->head = c->tail;
}

static void cb_obs_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t_ns;
    (*(uint32_t *)ud) += t->id + 1;
}

/* One run of e (way 0: start + wait; 1: start_wait, no observer: the
 * chain; 2: start_wait with an observer) into out: the backend's log, the
 * drive's status, state, outcome, steps, failed node, edge counts. */
static void chain_run(fz_engine *e, const fz_graph *g, uint64_t seed, int way,
                      uint32_t fail_after, int fail_rc, char *out, size_t cap)
{
    static cb_backend c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.rng = seed * 0x9E3779B97F4A7C15ull | 1;
    c.fail_after = fail_after;
    c.fail_rc = fail_rc;
    fz_backend b = {"chain", NULL, cb_start, cb_wait, cb_cancel, &c, way ? cb_start_wait : NULL};
    uint32_t seen = 0;
    fz_observer obs = {.on_start = cb_obs_start, .ud = &seen};
    fz_engine_set_observer(e, way == 2 ? &obs : NULL);
    uint64_t counts[64] = {0};
    assert_true(fz_graph_edge_count(g) <= 64);
    fz_engine_count_edges(e, counts);
    assert_int_equal(fz_engine_start(e), 0);
    int rc = fz_engine_drive(e, &b);
    size_t len = (size_t)snprintf(out, cap, "%s| rc=%d state=%d steps=%u failed=%u in_flight=%u %s |",
                                  c.log, rc, (int)fz_engine_state(e), fz_engine_steps(e),
                                  fz_engine_failed_node(e), fz_engine_in_flight(e),
                                  fz_engine_outcome(e));
    for (uint32_t i = 0; i < fz_graph_edge_count(g) && len < cap - 24; i++)
        len += (size_t)snprintf(out + len, cap - len, " %llu", (unsigned long long)counts[i]);
    fz_engine_count_edges(e, NULL);
    fz_engine_set_observer(e, NULL);
}

static void test_engine_one_token_chain_equals_the_general_path(void **state)
{
    (void)state;
    static char desc[4096], a[20000], b[20000], c[20000];
    /* A long chain with labelled edges, retries with backoff on n3, a
     * decision, a merge and an end: the common shape. */
    static const char chain_desc[] = "n0 circle Start\nn1 rect A\nn2 rect B\nn3 rect C\n"
                                     "n4 diamond OK?\nn5 rect D\nn6 rect E\nn7 circle End\n"
                                     "n0 -> n1\nn1 -> n2 Deploy\nn2 -> n3\nn3 -> n4\n"
                                     "n4 -> n5 Yes\nn4 -> n6 No\nn5 -> n6\nn6 -> n7\n";
    uint32_t chained = 0;
    for (uint64_t seed = 1; seed <= 600; seed++) {
        xs_state = seed * 0x9E3779B97F4A7C15ull;
        int fixed = seed % 3 == 0;
        if (!fixed)
            random_desc(desc, sizeof(desc));
        /* Step limits that a chain reaches (and a larger one). */
        run *r = run_new(fixed ? chain_desc : desc, seed % 5 == 0 ? 3 + xs(6) : 200);
        for (uint32_t i = 0; i < fz_graph_node_count(r->g); i++) {
            fz_policy pol = {0, xs(3), xs(2) * 1000, 5000, (uint8_t)xs(2)};
            fz_plan_set_policy(r->p, i, &pol);
        }
        /* A backend that fails after some results (interrupted, or an
         * error) for one run in four. */
        uint32_t fail_after = seed % 4 == 1 ? 1 + xs(8) : 0;
        int fail_rc = seed % 8 == 1 ? FZ_EIO : FZ_EINTR;
        chain_run(r->e, r->g, seed, 0, fail_after, fail_rc, a, sizeof a);
        chain_run(r->e, r->g, seed, 1, fail_after, fail_rc, b, sizeof b);
        chain_run(r->e, r->g, seed, 2, fail_after, fail_rc, c, sizeof c);
        if (strcmp(a, b) != 0 || strcmp(a, c) != 0)
            fail_msg("seed %llu:\n%s\ngeneral: %s\nchain:   %s\nobserved: %s",
                     (unsigned long long)seed, fixed ? chain_desc : desc, a, b, c);
        chained += fz_engine_steps(r->e) > 2;
        run_free(r);
    }
    assert_true(chained > 100);
}

/* Failure texts the engine keeps for later failures alike: on a reused
 * engine every run's outcome equals that of a fresh engine, and a key
 * (fz_engine_outcome_key) names one text only. */
static void test_engine_failure_texts_kept_match_a_fresh_build(void **state)
{
    (void)state;
    static char desc[4096], a[20000], b[20000];
    static uint64_t keys[64];
    static char texts[64][512];
    uint32_t hits = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        xs_state = seed * 0x9E3779B97F4A7C15ull;
        random_desc(desc, sizeof(desc));
        run *r = run_new(desc, seed % 5 == 0 ? 3 + xs(6) : 200);
        for (uint32_t i = 0; i < fz_graph_node_count(r->g); i++) {
            fz_policy pol = {0, xs(3), xs(2) * 1000, 5000, (uint8_t)xs(2)};
            fz_plan_set_policy(r->p, i, &pol);
        }
        uint32_t nkeys = 0;
        for (uint64_t k = 0; k < 40; k++) {
            /* Policies change between runs (the plan allows it): a failure
             * after more retries reads differently. */
            for (uint32_t i = 0; i < fz_graph_node_count(r->g); i++) {
                fz_policy pol = {0, (uint32_t)(k / 3 + i) % 3, 1000, 5000, 0};
                fz_plan_set_policy(r->p, i, &pol);
            }
            uint32_t fail_after = k % 7 == 3 ? 1 + (uint32_t)(k % 3) : 0;
            chain_run(r->e, r->g, seed * 100 + k % 9, 1, fail_after, FZ_EINTR, a, sizeof a);
            const char *text = fz_engine_outcome(r->e);
            uint64_t key = fz_engine_outcome_key(r->e);
            fz_engine *fresh = NULL;
            assert_int_equal(fz_engine_new(r->p, NULL, &fresh), 0);
            chain_run(fresh, r->g, seed * 100 + k % 9, 1, fail_after, FZ_EINTR, b, sizeof b);
            if (strcmp(a, b) != 0)
                fail_msg("seed %llu run %llu:\nreused: %s\nfresh:  %s", (unsigned long long)seed,
                         (unsigned long long)k, a, b);
            fz_engine_free(fresh);
            if (!key)
                continue;
            uint32_t i = 0;
            while (i < nkeys && keys[i] != key)
                i++;
            if (i < nkeys) {
                assert_string_equal(texts[i], text);
                hits += fz_engine_state(r->e) == FZ_RUN_FAILED;
            } else if (nkeys < 64) {
                keys[nkeys] = key;
                snprintf(texts[nkeys++], sizeof texts[0], "%s", text);
            }
        }
        run_free(r);
    }
    assert_true(hits > 100);
}

/*==========================================================================
 * The routing cases every backend runs (routing_cases.h)
 *========================================================================*/

static void rc_count_start(void *ud, const fz_task *t, uint64_t t_ns)
{
    (void)t_ns;
    ((uint32_t *)ud)[t->node]++;
}

/* Runs case c on graph g with the scripted backend; checks outcome and
 * visits. */
static void rc_run_on(const rc_case *c, const fz_graph *g)
{
    fz_plan *p = NULL;
    fz_engine *e = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), 0);
    assert_int_equal(fz_engine_new(p, NULL, &e), 0);
    uint32_t counts[64] = {0};
    fz_observer obs = {.on_start = rc_count_start, .ud = counts};
    fz_engine_set_observer(e, &obs);
    fx_backend fx;
    fz_backend b;
    fx_init(&fx, g, c->script, &b);
    assert_int_equal(fz_engine_start(e), 0);
    assert_int_equal(fz_engine_drive(e, &b), 0);
    char visits[256];
    rc_visits(g, counts, visits, sizeof visits);
    if (!rc_outcome_ok(c, fz_engine_outcome(e)) || strcmp(visits, c->visits) != 0)
        fail_msg("%s: outcome \"%s\" (expected \"%s\"), visits \"%s\" (expected \"%s\")",
                 c->name, fz_engine_outcome(e), c->outcome, visits, c->visits);
    assert_int_equal(fz_engine_state(e),
                     strncmp(c->outcome, "failed", 6) ? FZ_RUN_COMPLETED : FZ_RUN_FAILED);
    fz_engine_free(e);
    fz_plan_free(p);
}

/* Each case, on the fixture's graph and on the same workflow written as
 * FlowZap Code and parsed (what the simulator and real runs load). */
static void test_engine_routing_cases(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < RC_ALL; i++) {
        rc_buf buf;
        rc_case c = rc_get(i, &buf);
        fz_graph *g = fx_graph(c.desc);
        rc_run_on(&c, g);
        fz_graph_free(g);
        char text[4096];
        rc_flowzap(c.desc, text, sizeof text);
        fz_diags d;
        fz_diags_init(&d, NULL);
        if (fz_parse_mem("case.fz", text, strlen(text), NULL, &d, &g) != 0)
            fail_msg("%s: does not parse:\n%s", c.name, text);
        fz_diags_fini(&d);
        rc_run_on(&c, g);
        fz_graph_free(g);
    }
}

/* Back edges follow the file's order: the DFS from the start takes out
 * edges in file order, and the edge that closes a cycle is the back edge. */
static void test_engine_back_edges_and_forward_reach(void **state)
{
    (void)state;
    fz_graph *g = fx_graph(RC_PUBSUB);
    fz_plan *p = NULL;
    assert_int_equal(fz_plan_new(g, NULL, NULL, &p), 0);
    uint32_t back = 0, retry = FZ_NONE;
    for (uint32_t i = 0; i < fz_graph_edge_count(g); i++) {
        back += (uint32_t)fz_plan_is_back_edge(p, i);
        const fz_edge *ed = fz_graph_edge(g, i);
        if (ed->src == fx_node(g, "n6"))
            retry = i;
    }
    assert_int_equal(back, 1);
    assert_true(fz_plan_is_back_edge(p, retry));
    uint32_t end = fx_node(g, "n8");
    assert_true(fz_plan_reaches(p, fx_node(g, "n3"), end));
    assert_true(fz_plan_reaches(p, fx_node(g, "n7"), end));
    assert_false(fz_plan_reaches(p, fx_node(g, "n6"), end)); /* only by the back edge */
    assert_false(fz_plan_reaches(p, end, end));
    assert_false(fz_plan_reaches(p, fx_node(g, "n1"), fx_node(g, "n4"))); /* not a merge */
    fz_plan_free(p);
    fz_graph_free(g);
}

/* A run with one live token never waits: the canary's merge "Complete
 * rollout" is reached by the only token and runs at once; a fan-out of 11
 * joins into one task. Task ids stay dense and in creation order. */
static void test_engine_join_of_eleven_runs_the_merge_once_with_the_first_token(void **state)
{
    (void)state;
    run *r = run1(RC_OUTBOX, "");
    assert_completed(r, "End");
    /* n14 ran once, for token 0 (the first to arrive), after all 11. */
    assert_non_null(strstr(r->fx.path, "n13 n14 n15"));
    assert_int_equal(fz_engine_steps(r->e), 15);
    run_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_starts_at_circles_without_incoming_edges),
        cmocka_unit_test(test_engine_without_circles_every_node_without_incoming_edge_starts),
        cmocka_unit_test(
            test_engine_when_every_node_has_an_incoming_edge_the_first_declared_starts),
        cmocka_unit_test(test_engine_start_override_replaces_the_start_nodes),
        cmocka_unit_test(test_engine_plan_refuses_an_empty_graph),
        cmocka_unit_test(test_engine_outcome_names_end_node_and_last_labelled_edge),
        cmocka_unit_test(test_engine_outcome_without_labelled_edge_is_the_end_label),
        cmocka_unit_test(test_engine_canary_rolls_back_when_metrics_are_unhealthy),
        cmocka_unit_test(test_engine_decision_ok_takes_yes_edge_and_no_takes_no_edge),
        cmocka_unit_test(test_engine_decision_explicit_outcome_matches_label_trimmed_any_case),
        cmocka_unit_test(test_engine_decision_unmatched_outcome_uses_its_word_class),
        cmocka_unit_test(
            test_engine_decision_without_match_or_default_fails_naming_answer_and_labels),
        cmocka_unit_test(test_engine_decision_two_labelled_edges_the_other_is_the_opposite),
        cmocka_unit_test(test_engine_decision_unlabelled_edge_is_the_default),
        cmocka_unit_test(test_engine_decision_error_is_handled_as_for_an_action),
        cmocka_unit_test(test_engine_action_with_yes_and_no_edges_routes_like_a_decision),
        cmocka_unit_test(test_engine_action_ok_takes_every_edge_as_parallel_tokens),
        cmocka_unit_test(test_engine_action_ok_skips_error_edges_and_error_takes_them),
        cmocka_unit_test(test_engine_action_negative_answer_without_error_edge_fails),
        cmocka_unit_test(test_engine_timeout_is_an_error),
        cmocka_unit_test(test_engine_retries_errors_with_fixed_backoff),
        cmocka_unit_test(test_engine_retries_back_off_exponentially_up_to_the_cap),
        cmocka_unit_test(test_engine_retries_exhausted_fail_with_the_attempt_count),
        cmocka_unit_test(test_engine_negative_answer_is_never_retried),
        cmocka_unit_test(test_engine_join_after_a_fan_out_of_two_runs_the_merge_once),
        cmocka_unit_test(test_engine_routing_cases),
        cmocka_unit_test(test_engine_back_edges_and_forward_reach),
        cmocka_unit_test(test_engine_join_of_eleven_runs_the_merge_once_with_the_first_token),
        cmocka_unit_test(test_engine_loop_sends_the_token_back_to_its_first_node),
        cmocka_unit_test(test_engine_loop_past_its_bound_fails_naming_the_loop),
        cmocka_unit_test(test_engine_loop_counts_explicit_back_edges_and_resets_from_outside),
        cmocka_unit_test(test_engine_step_limit_ends_a_run_that_never_finishes),
        cmocka_unit_test(test_engine_variables_from_handlers_are_kept_and_reset_by_start),
        cmocka_unit_test(test_engine_observer_sees_finish_before_routing_and_the_end),
        cmocka_unit_test(test_engine_interrupt_fails_the_run_and_cancels_started_tasks),
        cmocka_unit_test(test_engine_abort_names_the_oldest_running_task),
        cmocka_unit_test(test_engine_complete_refuses_unknown_and_finished_tasks),
        cmocka_unit_test(test_engine_same_results_give_same_tasks_across_reused_runs),
        cmocka_unit_test(test_engine_out_of_memory_fails_cleanly_at_every_allocation),
        cmocka_unit_test(test_engine_canary_file_ends_as_its_drawing_says),
        cmocka_unit_test(test_engine_outcome_shows_nul_bytes_of_a_label_as_question_marks),
        cmocka_unit_test(test_engine_parsed_loop_takes_its_bound_from_the_condition),
        cmocka_unit_test(test_engine_outcome_edge_names_the_edge_routing_takes),
        cmocka_unit_test(test_engine_random_graphs_end_within_the_limit_and_repeat_exactly),
        cmocka_unit_test(test_engine_one_token_chain_equals_the_general_path),
        cmocka_unit_test(test_engine_failure_texts_kept_match_a_fresh_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
