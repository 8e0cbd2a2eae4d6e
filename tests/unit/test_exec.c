/* SPDX-License-Identifier: MIT */
/*
 * test_exec.c - the real backend running exec/shell handlers and builtins:
 * real children, real files, real signals. Labels are hostile on purpose.
 */
#include "tests/unit/run_fixture.h"
#include "tests/unit/routing_cases.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/secret.h"
#include <time.h>

static const char args_sh[] =
    "#!/bin/sh\n"
    "{ printf '%s\\n' \"$#\"; for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done; }"
    " > \"args.$FZ_NODE\"\n";

static const char hostile_fz[] =
    "L { # L\n"
    "n1: rectangle label:\"Deploy a; touch pwned1\"\n"
    "n2: rectangle label:\"Deploy $(touch pwned2)\"\n"
    "n3: rectangle label:\"Deploy `touch pwned3` && touch pwned4\"\n"
    "n4: rectangle label:\"Deploy \\\"q\\\" 'q' \\\\n $IFS ${HOME} * | touch pwned5 > x\"\n"
    "n1.handle(right) -> n2.handle(left)\n"
    "n2.handle(right) -> n3.handle(left)\n"
    "n3.handle(right) -> n4.handle(left)\n"
    "}\n";

static void expect_args(rf_run *r, const char *node, const char *cap)
{
    char file[32], want[1024];
    snprintf(file, sizeof(file), "args.%s", node);
    snprintf(want, sizeof(want), "2\n[%s]\n[--name=%s]\n", cap, cap);
    const char *got = rf_read(r, file, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void test_exec_hostile_label_captures_arrive_as_one_literal_argument(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "args.sh", args_sh, 1);
    rf_load(&r, hostile_fz, NULL,
            "rules:\n"
            "  - match: ^Deploy (.*)$\n"
            "    exec: [./args.sh, \"${1}\", \"--name=${1}\"]\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(r.drive_rc, 0);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    expect_args(&r, "n1", "a; touch pwned1");
    expect_args(&r, "n2", "$(touch pwned2)");
    expect_args(&r, "n3", "`touch pwned3` && touch pwned4");
    expect_args(&r, "n4", "\"q\" 'q' \\n $IFS ${HOME} * | touch pwned5 > x");
    for (int i = 1; i <= 5; i++) {
        char f[16];
        snprintf(f, sizeof(f), "pwned%d", i);
        assert_false(rf_exists(&r, f));
    }
    assert_false(rf_exists(&r, "x"));
    rf_assert_no_children();
    rf_free(&r);
}

static fz_span pool(fz_graph *g, const char *s)
{
    fz_span sp;
    assert_int_equal(fz_graph_pool_add(g, s, (uint32_t)strlen(s), &sp), 0);
    return sp;
}

static void test_exec_label_with_real_newline_stays_one_argument_in_shell_form_too(void **state)
{
    (void)state;
    fz_graph *g = NULL;
    assert_int_equal(fz_graph_new(NULL, &g), 0);
    uint32_t li, ni;
    assert_int_equal(fz_graph_add_lane(g, pool(g, "L"), pool(g, "L"), 0, 0, &li), 0);
    assert_int_equal(fz_graph_node_ref(g, pool(g, "n1"), 0, &ni), 0);
    fz_node *n = fz_graph_node(g, ni);
    const char *label = "Deploy one\ntwo; touch pwned6 $(touch pwned7)";
    n->label = pool(g, label);
    n->lane = li;
    n->shape = FZ_SHAPE_RECTANGLE;
    n->flags = FZ_NODE_DEFINED;
    assert_int_equal(fz_graph_finish(g), 0);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_load(&r, NULL, g,
            "vars: {IMAGE: \"img; touch pwned8\"}\n"
            "rules:\n"
            "  - match: (?s)^Deploy (?<what>.*)$\n"
            "    shell: printf '%s|%s|%s' \"$#\" \"$1\" \"$FZ_VAR_what\" > shell.out; printf '%s' "
            "\"$FZ_VAR_IMAGE\" > image.out\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    const char *cap = "one\ntwo; touch pwned6 $(touch pwned7)";
    char want[256];
    snprintf(want, sizeof(want), "1|%s|%s", cap, cap);
    assert_string_equal(rf_read(&r, "shell.out", NULL), want);
    assert_string_equal(rf_read(&r, "image.out", NULL), "img; touch pwned8");
    assert_false(rf_exists(&r, "pwned6"));
    assert_false(rf_exists(&r, "pwned7"));
    assert_false(rf_exists(&r, "pwned8"));
    rf_assert_no_children();
    rf_free(&r);
}

static const char one_node_fz[] = "L { # L\n"
                                  "n1: rectangle label:\"Step\"\n"
                                  "}\n";

typedef struct exit_case {
    const char *script;
    fz_answer answer;
    int exit_code;
    const char *reason_has;
} exit_case;

static void test_exec_exit_status_maps_to_ok_no_error(void **state)
{
    (void)state;
    static const exit_case cases[] = {
        {"exit 0", FZ_ANSWER_OK, 0, ""},
        {"echo nope >&2; exit 1", FZ_ANSWER_NO, 1, "exit status 1: nope"},
        {"exit 2", FZ_ANSWER_ERROR, 2, "exit status 2"},
        {"echo broken >&2; exit 77", FZ_ANSWER_ERROR, 77, "exit status 77: broken"},
        {"kill -TERM $$", FZ_ANSWER_ERROR, 128 + SIGTERM, "killed by signal 15"},
        {"kill -KILL $$", FZ_ANSWER_ERROR, 128 + SIGKILL, "killed by signal 9"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rf_run r;
        memset(&r, 0, sizeof(r));
        rf_mkdir(&r);
        char script[256];
        snprintf(script, sizeof(script), "#!/bin/sh\n%s\n", cases[i].script);
        rf_write(&r, "step.sh", script, 1);
        rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./step.sh]\n");
        rf_go(&r, NULL, NULL);
        const rf_step *s = rf_step_of(&r, "n1", 0);
        assert_non_null(s);
        assert_int_equal(s->answer, cases[i].answer);
        assert_int_equal(s->exit_code, cases[i].exit_code);
        assert_non_null(strstr(s->reason, cases[i].reason_has));
        /* The node is an end: a negative answer ends the token there too
         * (docs/semantics.md), an error fails the run. */
        assert_int_equal(r.state,
                         cases[i].answer == FZ_ANSWER_ERROR ? FZ_RUN_FAILED : FZ_RUN_COMPLETED);
        rf_assert_no_children();
        rf_free(&r);
    }
}

static void test_exec_set_and_outcome_lines_route_and_feed_variables(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "args.sh", args_sh, 1);
    rf_write(
        &r, "pick.sh",
        "#!/bin/sh\necho working\necho '::set COLOR=deep blue'\necho '::outcome  Blue path '\n", 1);
    rf_load(&r,
            "L { # L\n"
            "n1: rectangle label:\"Pick\"\n"
            "n2: diamond label:\"Which path?\"\n"
            "n3: rectangle label:\"Blue\"\n"
            "n4: rectangle label:\"Red\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "n2.handle(right) -> n3.handle(left) [label=\"Blue path\"]\n"
            "n2.handle(bottom) -> n4.handle(top) [label=\"Red path\"]\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - match: ^Pick$\n"
            "    noop:\n"
            "  - id: n2\n"
            "    exec: [./pick.sh]\n"
            "  - match: ^(Blue|Red)$\n"
            "    exec: [./args.sh, \"${COLOR}\", \"--name=${COLOR}\"]\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    assert_string_equal(rf_step_of(&r, "n2", 0)->outcome, "Blue path");
    assert_non_null(rf_step_of(&r, "n3", 0));
    assert_null(rf_step_of(&r, "n4", 0));
    expect_args(&r, "n3", "deep blue");
    rf_free(&r);
}

static int proc_alive(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

static int wait_dead(pid_t pid)
{
    for (int i = 0; i < 100; i++) {
        if (!proc_alive(pid))
            return 1;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static const char group_sh[] = "#!/bin/sh\n"
                               "sleep 30 &\n"
                               "echo $! > grandchild.pid\n"
                               "echo started\n"
                               "sleep 30\n";

static void test_exec_timeout_kills_the_whole_process_group(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "group.sh", group_sh, 1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./group.sh]\n    timeout: 300ms\n");
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    uint64_t took = fz_real_clock() - t0;
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_non_null(s);
    assert_int_equal(s->answer, FZ_ANSWER_TIMEOUT);
    assert_non_null(strstr(s->reason, "timed out after 0.3s"));
    assert_true(took < 5000000000u);
    assert_true(took >= 300000000u);
    const char *pid = rf_read(&r, "grandchild.pid", NULL);
    assert_non_null(pid);
    assert_true(wait_dead((pid_t)atoi(pid)));
    rf_assert_no_children();
    rf_free(&r);
}

static void test_exec_step_end_kills_what_it_left_running(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "bg.sh", "#!/bin/sh\nsleep 30 &\necho $! > bg.pid\nexit 0\n", 1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./bg.sh]\n");
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    assert_true(fz_real_clock() - t0 < 5000000000u);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    const char *pid = rf_read(&r, "bg.pid", NULL);
    assert_non_null(pid);
    assert_true(wait_dead((pid_t)atoi(pid)));
    rf_assert_no_children();
    rf_free(&r);
}

static void test_exec_parallel_branches_run_concurrently(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_load(&r,
            "L { # L\n"
            "n1: circle label:\"Start\"\n"
            "n2: rectangle label:\"Left\"\n"
            "n3: rectangle label:\"Right\"\n"
            "n4: rectangle label:\"Third\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "n1.handle(bottom) -> n3.handle(top)\n"
            "n1.handle(top) -> n4.handle(top)\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - shape: circle\n"
            "    noop:\n"
            "  - exec: [sleep, \"0.6\"]\n");
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    uint64_t took = fz_real_clock() - t0;
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    assert_int_equal(r.nsteps, 4);
    assert_true(took >= 600000000u);
    assert_true(took < 1400000000u); /* three 0.6 s steps in sequence take 1.8 s */
    rf_assert_no_children();
    rf_free(&r);
}

static void test_exec_failed_branch_stops_the_other_branches(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "group.sh", group_sh, 1);
    rf_load(&r,
            "L { # L\n"
            "n1: circle label:\"Start\"\n"
            "n2: rectangle label:\"Slow\"\n"
            "n3: rectangle label:\"Broken\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "n1.handle(bottom) -> n3.handle(top)\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - shape: circle\n    noop:\n"
            "  - match: Slow\n    exec: [./group.sh]\n"
            "  - match: Broken\n    shell: sleep 0.3; exit 5\n");
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    uint64_t took = fz_real_clock() - t0;
    assert_int_equal(r.state, FZ_RUN_FAILED);
    assert_non_null(strstr(r.outcome, "Broken"));
    assert_true(took < 4000000000u); /* not the 30 s of the slow branch */
    rf_assert_no_children();
    const char *pid = rf_read(&r, "grandchild.pid", NULL);
    assert_non_null(pid);
    assert_true(wait_dead((pid_t)atoi(pid)));
    rf_free(&r);
}

static void test_exec_retry_raises_fz_attempt_after_backoff(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "flaky.sh",
             "#!/bin/sh\n"
             "echo \"$FZ_ATTEMPT $FZ_RUN_ID $FZ_NODE\" >> attempts.log\n"
             "if [ ! -e marker ]; then touch marker; exit 3; fi\n"
             "exit 0\n",
             1);
    rf_load(&r, one_node_fz, NULL,
            "rules:\n  - exec: [./flaky.sh]\n    retries: 2\n    backoff: 50ms\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    const rf_step *a = rf_step_of(&r, "n1", 0), *b = rf_step_of(&r, "n1", 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->answer, FZ_ANSWER_ERROR);
    assert_int_equal(b->answer, FZ_ANSWER_OK);
    assert_int_equal(b->attempt, 2);
    assert_true(b->start_ns >= a->end_ns + 45000000u);
    assert_string_equal(rf_read(&r, "attempts.log", NULL), "1 test-run n1\n2 test-run n1\n");
    rf_free(&r);
}

static void test_exec_cwd_and_env_additions_apply(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/sub dir", r.dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    rf_write(
        &r, "sub dir/env.sh",
        "#!/bin/sh\nprintf '%s|%s|%s' \"$(basename \"$PWD\")\" \"$GREETING\" \"$PLAIN\" > out\n",
        1);
    rf_load(&r, "L { # L\nn1: rectangle label:\"Greet Ada; rm -rf ~\"\n}\n", NULL,
            "rules:\n"
            "  - match: ^Greet (?<name>.*)$\n"
            "    exec: [./env.sh]\n"
            "    cwd: sub dir\n"
            "    env: {GREETING: \"hi ${name}\", PLAIN: \"$${literal}\"}\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    assert_string_equal(rf_read(&r, "sub dir/out", NULL), "sub dir|hi Ada; rm -rf ~|${literal}");
    rf_free(&r);
}

/* 1 when a line of text starts with prefix. */
static int has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return 1;
    return 0;
}

static void test_exec_set_lines_cannot_choose_environment_names(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "evil.sh", "#!/bin/sh\ntouch pwned\n", 1);
    /* untrusted text on stdout, as `cat` or `git log` would print it */
    rf_write(&r, "cat.sh",
             "#!/bin/sh\n"
             "echo '::set PATH=/nonexistent'\n"
             "echo '::set LD_PRELOAD=/nonexistent/evil.so'\n"
             "echo \"::set BASH_ENV=$PWD/evil.sh\"\n"
             "echo \"::set ENV=$PWD/evil.sh\"\n"
             "echo '::set IFS=/'\n"
             "echo '::set NAME=ada lovelace'\n",
             1);
    rf_load(
        &r,
        "L { # L\n"
        "n1: rectangle label:\"Read\"\n"
        "n2: rectangle label:\"Shell\"\n"
        "n3: rectangle label:\"Bash\"\n"
        "n4: rectangle label:\"Exec team-x\"\n"
        "n1.handle(right) -> n2.handle(left)\n"
        "n2.handle(right) -> n3.handle(left)\n"
        "n3.handle(right) -> n4.handle(left)\n"
        "}\n",
        NULL,
        "rules:\n"
        "  - match: Read\n    exec: [./cat.sh]\n"
        "  - match: Shell\n    shell: env | grep -E \"$FZ_VAR_PICK\" > shell.env\n"
        "  - match: Bash\n    exec: [bash, -c, \"env | grep -E \\\"$FZ_VAR_PICK\\\" > bash.env\"]\n"
        "  - match: ^Exec (?<team>.*)$\n"
        "    exec: [sh, -c, \"env | grep -E \\\"$FZ_VAR_PICK\\\" > exec.env\"]\n"
        "    env: {TEAM: \"${team}\", WHO: \"${NAME}\"}\n");
    /* only the lines that matter: the whole environment may not fit rf_read's buffer */
    const char *vars[] = {"PICK=^(FZ_VAR_|PATH=|LD_|BASH_ENV=|ENV=|IFS=|NAME=|TEAM=|WHO=)", NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    assert_false(rf_exists(&r, "pwned"));
    static const char *const files[] = {"shell.env", "bash.env", "exec.env"};
    for (size_t i = 0; i < 3; i++) {
        const char *env = rf_read(&r, files[i], NULL);
        assert_non_null(env);
        assert_non_null(strstr(env, "FZ_VAR_PATH=/nonexistent\n"));
        assert_non_null(strstr(env, "FZ_VAR_IFS=/\n"));
        assert_non_null(strstr(env, "FZ_VAR_NAME=ada lovelace\n"));
        assert_false(has_line(env, "PATH=/nonexistent"));
        assert_false(has_line(env, "LD_PRELOAD="));
        assert_false(has_line(env, "BASH_ENV="));
        assert_false(has_line(env, "ENV="));
        assert_false(has_line(env, "IFS="));
        assert_false(has_line(env, "NAME="));
    }
    /* the step's own captures: FZ_VAR_ too; env: maps what the rule names */
    const char *env = rf_read(&r, "exec.env", NULL);
    assert_non_null(strstr(env, "FZ_VAR_team=team-x\n"));
    assert_true(has_line(env, "TEAM=team-x\n"));
    assert_true(has_line(env, "WHO=ada lovelace\n"));
    rf_free(&r);
}

static void test_exec_env_mapping_refuses_loader_and_shell_startup_names(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value, *msg;
    } cases[] = {
        {"LD_PRELOAD", "x", "'LD_PRELOAD' may not be set by a rule: the dynamic loader"},
        {"LD_LIBRARY_PATH", "x", "'LD_LIBRARY_PATH' may not be set"},
        {"BASH_ENV", "x", "'BASH_ENV' may not be set"},
        {"ENV", "x", "'ENV' may not be set"},
        {"IFS", "x", "'IFS' may not be set"},
        {"SHELLOPTS", "x", "'SHELLOPTS' may not be set"},
        {"FZ_VAR_X", "x", "names starting FZ_ are flowzap's"},
        {"A-B", "x", "'A-B' is not a variable name"},
        {"PATH", "${DIR}:/usr/bin", "PATH must be written out"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[256];
        snprintf(yaml, sizeof(yaml), "rules:\n  - exec: [true]\n    env: {OK: a, %s: \"%s\"}\n",
                 cases[i].key, cases[i].value);
        fz_diags d;
        fz_diags_init(&d, NULL);
        fz_bind *b = NULL;
        assert_int_equal(fz_bind_load_mem("b.yaml", yaml, strlen(yaml), NULL, &d, &b), FZ_EPARSE);
        assert_int_equal(fz_diags_count(&d), 1);
        const fz_diag *g = fz_diags_at(&d, 0);
        if (!strstr(g->message, cases[i].msg))
            fprintf(stderr, "case %zu: %s\n", i, g->message);
        assert_non_null(strstr(g->message, cases[i].msg));
        /* at the key, or at the value for PATH */
        const char *at = strstr(yaml, i == 8 ? "${DIR}" : cases[i].key);
        assert_int_equal(g->offset, (uint32_t)(at - yaml));
        fz_diags_fini(&d);
    }
    /* PATH written out is the rule author's explicit choice */
    static const char ok[] =
        "rules:\n  - exec: [true]\n    env: {PATH: \"/opt/tools/bin:/usr/bin\"}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = NULL;
    assert_int_equal(fz_bind_load_mem("b.yaml", ok, strlen(ok), NULL, &d, &b), 0);
    fz_bind_free(b);
    fz_diags_fini(&d);
}

static void test_exec_unknown_variable_or_program_is_an_error(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [echo, \"${NOPE}\"]\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(rf_step_of(&r, "n1", 0)->reason, "${NOPE}"));
    rf_free(&r);

    memset(&r, 0, sizeof(r));
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./no-such-program]\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(rf_step_of(&r, "n1", 0)->reason, "cannot run './no-such-program'"));
    assert_int_equal(r.state, FZ_RUN_FAILED);
    rf_assert_no_children();
    rf_free(&r);
}

static void on_alarm(int sig)
{
    (void)sig;
    fz_real_interrupt(NULL);
}

static void test_exec_interrupt_stops_children_and_returns_eintr(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "group.sh", group_sh, 1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./group.sh]\n");
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old);
    alarm(1);
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    uint64_t took = fz_real_clock() - t0;
    sigaction(SIGALRM, &old, NULL);
    assert_int_equal(r.drive_rc, FZ_EINTR);
    assert_int_equal(r.state, FZ_RUN_FAILED);
    assert_true(took < 5000000000u);
    assert_true(fz_real_interrupted(r.real));
    rf_assert_no_children();
    const char *pid = rf_read(&r, "grandchild.pid", NULL);
    assert_non_null(pid);
    assert_true(wait_dead((pid_t)atoi(pid)));
    rf_free(&r);
}

static void test_exec_large_output_is_capped_without_blocking_the_child(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    /* 4 MiB on stdout and on stderr: far past a pipe's buffer and the cap */
    rf_write(&r, "loud.sh",
             "#!/bin/sh\n"
             "echo '::set EARLY=yes'\n"
             "head -c 4194304 /dev/zero | tr '\\0' o\n"
             "head -c 4194304 /dev/zero | tr '\\0' e >&2\n"
             "echo >&2; echo 'the real last line' >&2\n"
             "exit 1\n",
             1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./loud.sh]\n    timeout: 20s\n");
    fz_real_opts o;
    memset(&o, 0, sizeof(o));
    o.output_cap = 65536;
    rf_go(&r, NULL, &o);
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_non_null(s);
    assert_int_equal(s->answer, FZ_ANSWER_NO);
    /* the reason is stderr's real last line, not the last one kept */
    assert_string_equal(s->reason, "exit status 1: the real last line");
    /* the first 64 KiB, then a line that says how much was cut */
    static const char mark[] = "\n[... 4128784 bytes dropped]\n";
    assert_int_equal(s->out_len, 65536 + strlen(mark));
    assert_string_equal(s->out_tail + strlen(s->out_tail) - strlen(mark), mark);
    assert_int_equal(s->err_len, 65536 + strlen("\n[... 4128788 bytes dropped]\n"));
    assert_non_null(strstr(s->err_tail, "eee\n[... 4128788 bytes dropped]\n"));
    assert_string_equal(fz_engine_get_var(r.e, "EARLY"), "yes");
    rf_assert_no_children();
    rf_free(&r);
}

static void test_exec_set_lines_count_after_the_first_mebibyte_of_output(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    /* 200,000 lines (about 2.3 MB, past the 1 MiB kept), then the directives */
    rf_write(&r, "chatty.sh",
             "#!/bin/sh\n"
             "seq 1 200000 | sed 's/^/line /'\n"
             "echo '::set AFTER=yes'\n"
             "printf '::outcome Late'\n",
             1);
    rf_write(&r, "args.sh", args_sh, 1);
    rf_load(&r,
            "L { # L\n"
            "n1: diamond label:\"Chat\"\n"
            "n2: rectangle label:\"Use it\"\n"
            "n1.handle(right) -> n2.handle(left) [label=\"Late\"]\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - match: Chat\n    exec: [./chatty.sh]\n    timeout: 30s\n"
            "  - match: Use it\n    exec: [./args.sh, \"${AFTER}\", \"--name=${AFTER}\"]\n");
    rf_go(&r, NULL, NULL);
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_non_null(s);
    assert_int_equal(s->answer, FZ_ANSWER_OK);
    assert_string_equal(s->outcome, "Late");
    assert_non_null(rf_step_of(&r, "n2", 0));
    assert_int_equal(rf_step_of(&r, "n2", 0)->answer, FZ_ANSWER_OK);
    expect_args(&r, "n2", "yes");
    /* the journal's copy is cut at 1 MiB and says so */
    assert_true(s->out_len > (size_t)1 << 20);
    assert_true(s->out_len < ((size_t)1 << 20) + 64);
    assert_non_null(strstr(s->out_tail, " bytes dropped]\n"));
    assert_int_equal(r.state, FZ_RUN_COMPLETED);
    rf_free(&r);
}

static void test_exec_mask_line_after_the_first_mebibyte_masks_the_kept_output(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    /* the token early (kept for the journal), ::mask only after 2 MiB */
    rf_write(&r, "login.sh",
             "#!/bin/sh\n"
             "echo 'session tok-8f3a9c21'\n"
             "seq 1 300000\n"
             "echo '::mask tok-8f3a9c21'\n",
             1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./login.sh]\n    timeout: 30s\n");
    fz_secrets *sec = NULL;
    assert_int_equal(fz_secrets_new(NULL, &sec), 0);
    fz_real_opts o;
    memset(&o, 0, sizeof(o));
    o.secrets = sec;
    rf_go(&r, NULL, &o);
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_non_null(s);
    assert_int_equal(s->answer, FZ_ANSWER_OK);
    assert_memory_equal(s->out_head, "session ***\n1\n2\n", 16);
    rf_free(&r);
    fz_secrets_free(sec);
}

static void test_exec_overlong_set_line_is_an_error_not_a_silent_drop(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    /* a 2 MiB ::set line, and a 3 MiB line of plain output (fine) */
    rf_write(&r, "big.sh",
             "#!/bin/sh\n"
             "head -c 3145728 /dev/zero | tr '\\0' x; echo\n"
             "printf '::set BIG='; head -c 2097152 /dev/zero | tr '\\0' y; echo\n"
             "echo '::set SMALL=1'\n",
             1);
    rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./big.sh]\n    timeout: 30s\n");
    rf_go(&r, NULL, NULL);
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_non_null(s);
    assert_int_equal(s->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(s->reason, "stdout line 2: a ::set line longer than 1048576 bytes"));
    assert_null(fz_engine_get_var(r.e, "BIG"));
    rf_free(&r);
}

/* A ::set key no ${...} could name (a space, ESC [ 2J, BEL, a byte that
 * is not UTF-8, no '=') makes the step an error that names the stdout
 * line and shows the key escaped; nothing is dropped in silence. */
static void test_exec_set_line_with_a_bad_key_is_an_error_naming_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"::set two words=x", "stdout line 2: ::set key 'two words' is not a variable name"},
        {"::set K\033[2J\007=x", "stdout line 2: ::set key 'K\\x1b[2J\\x07' is not a variable name"},
        {"::set caf\303\251=x", "stdout line 2: ::set key 'caf\xc3\xa9' is not a variable name"},
        {"::set K\377=x", "stdout line 2: ::set key 'K\\xff' is not a variable name"},
        {"::set 9=x", "stdout line 2: ::set key '9' is not a variable name"},
        {"::set =x", "stdout line 2: ::set key '' is not a variable name"},
        {"::set JUSTKEY", "stdout line 2: '::set JUSTKEY' has no '='"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rf_run r;
        memset(&r, 0, sizeof(r));
        rf_mkdir(&r);
        char script[256];
        snprintf(script, sizeof(script),
                 "#!/bin/sh\necho '::set GOOD=1'\nprintf '%%b\\n' '%s'\necho '::set LATER=1'\n",
                 cases[i].line);
        rf_write(&r, "bad.sh", script, 1);
        rf_load(&r, one_node_fz, NULL, "rules:\n  - exec: [./bad.sh]\n");
        rf_go(&r, NULL, NULL);
        const rf_step *s = rf_step_of(&r, "n1", 0);
        assert_non_null(s);
        if (s->answer != FZ_ANSWER_ERROR || !strstr(s->reason, cases[i].want))
            fail_msg("case %zu: answer %d, reason %s", i, (int)s->answer, s->reason);
        assert_null(strchr(s->reason, '\033'));
        rf_free(&r);
    }
}

/*==========================================================================
 * Builtins
 *========================================================================*/

static void test_exec_builtins_sleep_log_set_outcome_fail(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_mkdir(&r);
    rf_write(&r, "args.sh", args_sh, 1);
    rf_load(&r,
            "L { # L\n"
            "n1: rectangle label:\"Wait 150ms\"\n"
            "n2: rectangle label:\"Remember\"\n"
            "n3: rectangle label:\"Say\"\n"
            "n4: diamond label:\"Choose\"\n"
            "n5: rectangle label:\"Chosen\"\n"
            "n6: rectangle label:\"Broken\"\n"
            "n1.handle(right) -> n2.handle(left)\n"
            "n2.handle(right) -> n3.handle(left)\n"
            "n3.handle(right) -> n4.handle(left)\n"
            "n4.handle(right) -> n5.handle(left) [label=\"Go left\"]\n"
            "n4.handle(bottom) -> n6.handle(left) [label=\"Go right\"]\n"
            "n5.handle(right) -> n6.handle(top)\n"
            "}\n",
            NULL,
            "rules:\n"
            "  - match: ^Wait (?<d>.*)$\n"
            "    sleep: ${d}\n"
            "  - match: Remember\n"
            "    set: {WHO: \"ada ${TAIL}\", WAY: Go left}\n"
            "  - match: Say\n"
            "    log: hello ${WHO}\n"
            "  - match: Choose\n"
            "    outcome: ${WAY}\n"
            "  - match: Chosen\n"
            "    exec: [./args.sh, \"${WHO}\", \"--name=${WHO}\"]\n"
            "  - match: Broken\n"
            "    fail: no way ${WHO}\n");
    const char *vars[] = {"TAIL=lovelace", NULL};
    rf_go(&r, vars, NULL);
    assert_int_equal(r.state, FZ_RUN_FAILED);
    const rf_step *s = rf_step_of(&r, "n1", 0);
    assert_true(s->end_ns - s->start_ns >= 140000000u);
    assert_string_equal(r.logs, "hello ada lovelace\n");
    assert_string_equal(rf_step_of(&r, "n4", 0)->outcome, "Go left");
    expect_args(&r, "n5", "ada lovelace");
    assert_int_equal(rf_step_of(&r, "n6", 0)->answer, FZ_ANSWER_ERROR);
    assert_string_equal(rf_step_of(&r, "n6", 0)->reason, "no way ada lovelace");
    rf_free(&r);
}

typedef struct fake_approvals {
    int polls;
    int answer_after; /* answer on this poll */
    int approved;
    char node[16];
    char run[32];
} fake_approvals;

static int fake_poll(void *ud, const char *run_id, const char *node_id, uint32_t task_id,
                     int *approved)
{
    (void)task_id;
    fake_approvals *f = ud;
    snprintf(f->node, sizeof(f->node), "%s", node_id);
    snprintf(f->run, sizeof(f->run), "%s", run_id);
    if (++f->polls < f->answer_after)
        return 0;
    *approved = f->approved;
    return 1;
}

static void test_exec_approval_waits_for_the_answer_source(void **state)
{
    (void)state;
    for (int approved = 0; approved <= 1; approved++) {
        rf_run r;
        memset(&r, 0, sizeof(r));
        rf_load(&r, "L { # L\nn1: taskbox label:\"Approve promotion\"\n}\n", NULL,
                "rules:\n  - match: Approve\n    approval: promote ${TAG}?\n");
        fake_approvals f = {0, 4, approved, "", ""};
        fz_approvals src = {fake_poll, &f, NULL, NULL};
        fz_real_opts o;
        memset(&o, 0, sizeof(o));
        o.run_id = "42";
        o.approvals = &src;
        o.approval_poll_ms = 20;
        const char *vars[] = {"TAG=v2", NULL};
        uint64_t t0 = fz_real_clock();
        rf_go(&r, vars, &o);
        assert_true(fz_real_clock() - t0 >= 3 * 20000000u);
        assert_int_equal(f.polls, 4);
        assert_string_equal(f.node, "n1");
        assert_string_equal(f.run, "42");
        assert_int_equal(rf_step_of(&r, "n1", 0)->answer, approved ? FZ_ANSWER_OK : FZ_ANSWER_NO);
        assert_non_null(
            strstr(r.logs, "promote v2? - waiting for approval: flowzap signal 42 n1 yes|no"));
        rf_free(&r);
    }
    /* no source: a clear error, not a hang */
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: taskbox label:\"Approve\"\n}\n", NULL, "rules:\n  - approval:\n");
    rf_go(&r, NULL, NULL);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_ERROR);
    assert_non_null(strstr(rf_step_of(&r, "n1", 0)->reason, "journal"));
    rf_free(&r);
}

/* A wake-up source over a pipe: another process writes run ids into it,
 * as PostgreSQL's NOTIFY carries them; the answer is there once ours came. */
typedef struct pipe_approvals {
    int fd;     /* read end */
    int told;   /* our run's id came */
    int drains; /* drain() calls that read something */
    int polls;
} pipe_approvals;

static int pipe_poll(void *ud, const char *run_id, const char *node_id, uint32_t task_id,
                     int *approved)
{
    (void)run_id;
    (void)node_id;
    (void)task_id;
    pipe_approvals *p = ud;
    p->polls++;
    if (!p->told)
        return 0;
    *approved = 1;
    return 1;
}

static int pipe_wake_fd(void *ud)
{
    return ((pipe_approvals *)ud)->fd;
}

static int pipe_drain(void *ud)
{
    pipe_approvals *p = ud;
    char buf[64];
    ssize_t n = read(p->fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    p->drains++;
    if (strstr(buf, "42;")) {
        p->told = 1;
        return 1;
    }
    return 0;
}

static void test_exec_approval_gate_wakes_on_a_hint_before_its_poll(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) { /* another run's hint, then ours */
        close(fds[0]);
        struct timespec ts = {0, 200000000}, ts2 = {1, 300000000};
        nanosleep(&ts, NULL);
        (void)!write(fds[1], "7;", 2);
        nanosleep(&ts2, NULL);
        (void)!write(fds[1], "42;", 3);
        nanosleep(&ts2, NULL); /* no SIGCHLD to wake the loop meanwhile */
        _exit(0);
    }
    close(fds[1]);
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, "L { # L\nn1: taskbox label:\"Approve\"\n}\n", NULL, "rules:\n  - approval:\n");
    pipe_approvals p = {fds[0], 0, 0, 0};
    fz_approvals src = {pipe_poll, &p, pipe_wake_fd, pipe_drain};
    fz_real_opts o;
    memset(&o, 0, sizeof(o));
    o.run_id = "42";
    o.approvals = &src;
    o.approval_poll_ms = 60000; /* the poll alone would take a minute */
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, &o);
    uint64_t took = fz_real_clock() - t0;
    /* woken by the fd at 1.5 s, not at the loop's next round (2 s) nor
     * by the poll (60 s) */
    assert_true(took >= 1400000000u);
    assert_true(took < 1900000000u);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_OK);
    /* the other run's hint woke nobody: one poll at the start, one on ours */
    assert_int_equal(p.polls, 2);
    assert_true(p.drains >= 2);
    rf_free(&r);
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(kid, &st, 0), kid);
}

static void test_exec_timeout_applies_to_builtins_too(void **state)
{
    (void)state;
    rf_run r;
    memset(&r, 0, sizeof(r));
    rf_load(&r, one_node_fz, NULL, "rules:\n  - sleep: 10s\n    timeout: 100ms\n");
    uint64_t t0 = fz_real_clock();
    rf_go(&r, NULL, NULL);
    assert_true(fz_real_clock() - t0 < 2000000000u);
    assert_int_equal(rf_step_of(&r, "n1", 0)->answer, FZ_ANSWER_TIMEOUT);
    rf_free(&r);
}

static void test_exec_out_of_memory_anywhere_fails_cleanly(void **state)
{
    (void)state;
    static const char fz[] = "L { # L\n"
                             "n1: circle label:\"Start\"\n"
                             "n2: rectangle label:\"Remember 42\"\n"
                             "n3: rectangle label:\"Say\"\n"
                             "n4: rectangle label:\"Run\"\n"
                             "n1.handle(right) -> n2.handle(left)\n"
                             "n2.handle(right) -> n3.handle(left)\n"
                             "n3.handle(right) -> n4.handle(left)\n"
                             "}\n";
    static const char yaml[] = "rules:\n"
                               "  - shape: circle\n    noop:\n"
                               "  - match: Remember (?<n>\\d+)\n    set: {N: \"${n}\"}\n"
                               "  - match: Say\n    log: n is ${N}\n"
                               "  - exec: [true, \"${N}\"]\n    env: {N: \"${N}\"}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("oom.fz", fz, strlen(fz), NULL, &d, &g), 0);
    fz_diags_fini(&d);
    int completed = 0;
    for (uint64_t n = 1; n < 5000; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_bind *b = NULL;
        fz_plan *plan = NULL;
        fz_engine *e = NULL;
        fz_real *real = NULL;
        fz_diags_init(&d, &ta.hook);
        uint32_t unbound = 0;
        int rc = fz_bind_load_mem("oom.yaml", yaml, strlen(yaml), &ta.hook, &d, &b);
        if (!rc)
            rc = fz_bind_resolve(b, g, &unbound);
        if (!rc)
            rc = fz_plan_new(g, NULL, &ta.hook, &plan);
        if (!rc) {
            fz_bind_apply_policies(b, plan);
            rc = fz_engine_new(plan, &ta.hook, &e);
        }
        if (!rc)
            rc = fz_real_new(g, b, NULL, &ta.hook, &real);
        if (!rc)
            rc = fz_engine_start(e);
        if (!rc)
            rc = fz_engine_drive(e, fz_real_backend(real));
        assert_true(rc == 0 || rc == FZ_ENOMEM);
        if (rc == 0 && fz_engine_state(e) == FZ_RUN_COMPLETED)
            completed = 1;
        fz_real_free(real);
        fz_engine_free(e);
        fz_plan_free(plan);
        fz_bind_free(b);
        fz_diags_fini(&d);
        rf_assert_no_children();
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
        if (ta.injected == 0)
            break;
    }
    assert_true(completed);
    fz_graph_free(g);
}

/*==========================================================================
 * The routing cases every backend runs (routing_cases.h), with real
 * commands: one shell script answers for every node from the case's script
 * (exit 0, 1 or 2; `::outcome X` for @X), counting its visits in a file per
 * node. Parallel branches run concurrently, so a case whose outcome depends
 * on which branch gets where first is left to the deterministic backends.
 *========================================================================*/

static const char rc_step_sh[] =
    "#!/bin/sh\n"
    "f=\"count.$FZ_NODE\"\n"
    "k=0\n"
    "[ -f \"$f\" ] && k=$(cat \"$f\")\n"
    "k=$((k + 1))\n"
    "echo $k > \"$f\"\n"
    "list=$(sed -n \"s/^$FZ_NODE=//p\" script.txt)\n"
    "[ -z \"$list\" ] && exit 0\n"
    "item=$(echo \"$list\" | awk -F, -v k=$k '{ if (k > NF) k = NF; print $k }')\n"
    "case \"$item\" in\n"
    "ok) exit 0 ;;\n"
    "no) exit 1 ;;\n"
    "error) exit 2 ;;\n"
    "@*) echo \"::outcome ${item#@}\"; exit 0 ;;\n"
    "esac\n"
    "exit 3\n";

static void test_exec_routing_cases(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < RC_ALL; i++) {
        rc_buf buf;
        rc_case c = rc_get(i, &buf);
        if (strstr(c.name, "back edge") && strstr(c.name, "does not wait"))
            continue; /* timing decides where the retrying token is */
        rf_run r;
        memset(&r, 0, sizeof(r));
        rf_mkdir(&r);
        rf_write(&r, "step.sh", rc_step_sh, 1);
        char lines[512];
        snprintf(lines, sizeof lines, "%s\n", c.script);
        for (char *q = lines; *q; q++)
            if (*q == ';')
                *q = '\n';
        rf_write(&r, "script.txt", lines, 0);
        char text[4096];
        rc_flowzap(c.desc, text, sizeof text);
        rf_load(&r, text, NULL, "rules:\n  - exec: [./step.sh]\n");
        rf_go(&r, NULL, NULL);
        assert_int_equal(r.drive_rc, 0);
        uint32_t counts[64] = {0};
        for (uint32_t k = 0; k < r.nsteps; k++) {
            uint32_t n = fz_graph_find_node(r.g, r.steps[k].node, strlen(r.steps[k].node));
            assert_true(n < 64);
            counts[n]++;
        }
        char visits[256];
        rc_visits(r.g, counts, visits, sizeof visits);
        if (!rc_outcome_ok(&c, r.outcome) || strcmp(visits, c.visits) != 0)
            fail_msg("%s: outcome \"%s\" (expected \"%s\"), visits \"%s\" (expected \"%s\")",
                     c.name, r.outcome, c.outcome, visits, c.visits);
        rf_assert_no_children();
        rf_free(&r);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_hostile_label_captures_arrive_as_one_literal_argument),
        cmocka_unit_test(test_exec_label_with_real_newline_stays_one_argument_in_shell_form_too),
        cmocka_unit_test(test_exec_exit_status_maps_to_ok_no_error),
        cmocka_unit_test(test_exec_set_and_outcome_lines_route_and_feed_variables),
        cmocka_unit_test(test_exec_timeout_kills_the_whole_process_group),
        cmocka_unit_test(test_exec_step_end_kills_what_it_left_running),
        cmocka_unit_test(test_exec_parallel_branches_run_concurrently),
        cmocka_unit_test(test_exec_failed_branch_stops_the_other_branches),
        cmocka_unit_test(test_exec_retry_raises_fz_attempt_after_backoff),
        cmocka_unit_test(test_exec_cwd_and_env_additions_apply),
        cmocka_unit_test(test_exec_set_lines_cannot_choose_environment_names),
        cmocka_unit_test(test_exec_env_mapping_refuses_loader_and_shell_startup_names),
        cmocka_unit_test(test_exec_unknown_variable_or_program_is_an_error),
        cmocka_unit_test(test_exec_interrupt_stops_children_and_returns_eintr),
        cmocka_unit_test(test_exec_large_output_is_capped_without_blocking_the_child),
        cmocka_unit_test(test_exec_set_lines_count_after_the_first_mebibyte_of_output),
        cmocka_unit_test(test_exec_overlong_set_line_is_an_error_not_a_silent_drop),
        cmocka_unit_test(test_exec_mask_line_after_the_first_mebibyte_masks_the_kept_output),
        cmocka_unit_test(test_exec_builtins_sleep_log_set_outcome_fail),
        cmocka_unit_test(test_exec_approval_waits_for_the_answer_source),
        cmocka_unit_test(test_exec_approval_gate_wakes_on_a_hint_before_its_poll),
        cmocka_unit_test(test_exec_timeout_applies_to_builtins_too),
        cmocka_unit_test(test_exec_set_line_with_a_bad_key_is_an_error_naming_the_line),
        cmocka_unit_test(test_exec_out_of_memory_anywhere_fails_cleanly),
        cmocka_unit_test(test_exec_routing_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
