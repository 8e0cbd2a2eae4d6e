/* SPDX-License-Identifier: MIT */
/* test_secret.c - the masker (longest first, URL-encoded and per-line
 * forms, `::mask` values), the journal's reference form of a variable and
 * its rebuild, reading secrets from the environment, files and real
 * commands, and the bindings' `secrets:` section with its errors. */
#include "tests/support/support.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"
#include "real/bind.h"
#include "engine/secret.h"

static fz_secrets *with(const char *name, const char *value)
{
    fz_secrets *s = NULL;
    assert_int_equal(fz_secrets_new(NULL, &s), 0);
    if (name)
        assert_int_equal(fz_secrets_add(s, name, value, strlen(value)), 0);
    return s;
}

static void assert_masked(const fz_secrets *s, const char *in, const char *want)
{
    size_t n = 0;
    char *m = fz_secrets_mask(s, in, strlen(in), &n);
    assert_non_null(m);
    assert_string_equal(m, want);
    assert_int_equal(n, strlen(want));
    free(m);
}

static void test_secret_masks_every_occurrence_longest_first(void **state)
{
    (void)state;
    fz_secrets *s = with("SHORT", "abcd");
    assert_int_equal(fz_secrets_add(s, "LONG", "abcd1234", 8), 0);
    assert_masked(s, "xxabcd1234yyabcdzz", "xx***yy***zz");
    assert_masked(s, "abcdabcd", "******");
    assert_masked(s, "abc", "abc");
    assert_masked(s, "", "");
    assert_true(fz_secrets_contains(s, "..abcd..", 8));
    assert_false(fz_secrets_contains(s, "..abc..", 7));
    assert_true(fz_secrets_is_name(s, "LONG"));
    assert_false(fz_secrets_is_name(s, "abcd"));
    assert_string_equal(fz_secrets_get(s, "SHORT"), "abcd");
    /* No masker: a plain copy. */
    assert_masked(NULL, "abcd", "abcd");
    fz_secrets_free(s);
}

static void test_secret_masks_binary_and_split_text(void **state)
{
    (void)state;
    fz_secrets *s = with("T", "s3cr3t");
    /* NUL bytes around it (captured output is bytes). */
    const char in[] = {'a', '\0', 's', '3', 'c', 'r', '3', 't', '\0', 'b'};
    size_t n = 0;
    char *m = fz_secrets_mask(s, in, sizeof in, &n);
    const char want[] = {'a', '\0', '*', '*', '*', '\0', 'b'};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(m, want, sizeof want);
    free(m);
    /* A value cut by the end of the text is not whole, so not masked;
     * the backend masks whole captured buffers, never chunks. */
    assert_masked(s, "xx s3cr", "xx s3cr");
    /* Such a cut end is found for text known to be cut. */
    assert_int_equal(fz_secrets_cut_tail(s, "xx s3cr", 7), 4);
    assert_int_equal(fz_secrets_cut_tail(s, "xx s", 4), 1);
    assert_int_equal(fz_secrets_cut_tail(s, "xx s3cr3t", 9), 0); /* whole: the mask's job */
    assert_int_equal(fz_secrets_cut_tail(s, "xx", 2), 0);
    fz_secrets_free(s);
}

static void test_secret_masks_url_encoded_and_each_line(void **state)
{
    (void)state;
    fz_secrets *s = with("T", "p@ss word/+=");
    assert_masked(s, "GET /x?k=p%40ss%20word%2F%2B%3D HTTP", "GET /x?k=*** HTTP");
    assert_masked(s, "raw p@ss word/+= end", "raw *** end");
    fz_secrets_free(s);
    s = with("KEY", "-----BEGIN KEY-----\nAAAAbbbbCCCC\nDDDDeeee\n-----END KEY-----");
    assert_masked(s, "error near AAAAbbbbCCCC here", "error near *** here");
    assert_masked(s, "DDDDeeee", "***");
    fz_secrets_free(s);
}

static void test_secret_refuses_empty_and_short_values(void **state)
{
    (void)state;
    fz_secrets *s = with(NULL, NULL);
    assert_int_equal(fz_secrets_add(s, "E", "", 0), FZ_EINVAL);
    assert_int_equal(fz_secrets_add(s, "S", "abc", 3), FZ_EINVAL);
    assert_int_equal(fz_secrets_learn(s, "", 0), FZ_EINVAL);
    assert_int_equal(fz_secrets_learn(s, "xyz", 3), FZ_EINVAL);
    assert_int_equal(fz_secrets_count(s), 0);
    assert_masked(s, "abc xyz", "abc xyz");
    /* A learned value masks like a named one, and has no name. */
    assert_int_equal(fz_secrets_learn(s, "session-77", 10), 0);
    assert_int_equal(fz_secrets_learn(s, "session-77", 10), 0);
    assert_masked(s, "id=session-77;", "id=***;");
    assert_int_equal(fz_secrets_count(s), 0);
    fz_secrets_free(s);
}

/* The reference form names the secret, holds no value, and rebuilds the
 * value from the secret read again; hostile characters survive. */
static void test_secret_reference_form_round_trips(void **state)
{
    (void)state;
    const char *hostile = "q\"u\\o\nte\t$${x}";
    fz_secrets *s = with("TOKEN", "tok-1234");
    assert_int_equal(fz_secrets_add(s, "ODD", hostile, strlen(hostile)), 0);
    char value[256];
    snprintf(value, sizeof value, "Bearer tok-1234 %s tok%%2D1234 tok-1234", hostile);
    int err = 0;
    json_t *ref = fz_secrets_ref_json(s, value, &err);
    assert_non_null(ref);
    assert_int_equal(err, 0);
    char *text = json_dumps(ref, JSON_COMPACT);
    assert_non_null(text);
    assert_null(strstr(text, "tok-1234"));
    assert_null(strstr(text, "q\\\"u"));
    assert_non_null(strstr(text, "{\"secret\":\"TOKEN\"}"));
    assert_non_null(strstr(text, "{\"secret\":\"ODD\"}"));
    free(text);
    /* No secret inside: recorded as it is. */
    assert_null(fz_secrets_ref_json(s, "plain", &err));
    assert_int_equal(err, 0);

    /* A new run reads the same secrets again and rebuilds the value. */
    fz_secrets *again = with("ODD", hostile);
    assert_int_equal(fz_secrets_add(again, "TOKEN", "tok-1234", 8), 0);
    char *back = NULL, why[200] = "";
    int lost = 0;
    assert_int_equal(fz_secrets_ref_value(again, ref, &back, &lost, why, sizeof why), 0);
    assert_string_equal(back, value);
    assert_int_equal(lost, 0);
    free(back);
    /* Without the secret: an error naming it, never a value. */
    fz_secrets *none = with(NULL, NULL);
    assert_int_equal(fz_secrets_ref_value(none, ref, &back, &lost, why, sizeof why), FZ_ENOENT);
    assert_non_null(strstr(why, "TOKEN"));
    assert_null(strstr(why, "tok-1234"));
    fz_secrets_free(none);
    fz_secrets_free(again);
    json_decref(ref);

    /* A ::mask value is not kept: it comes back as *** and says so. */
    assert_int_equal(fz_secrets_learn(s, "learned-999", 11), 0);
    ref = fz_secrets_ref_json(s, "id=learned-999", &err);
    assert_non_null(ref);
    assert_int_equal(fz_secrets_ref_value(s, ref, &back, &lost, why, sizeof why), 0);
    assert_string_equal(back, "id=***");
    assert_int_equal(lost, 1);
    free(back);
    json_decref(ref);
    fz_secrets_free(s);
}

static char dir[] = "/tmp/fz-test-secret.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_secret_reads_environment_and_files(void **state)
{
    (void)state;
    fz_secrets *s = with(NULL, NULL);
    char err[512];
    setenv("FZ_TEST_SECRET_VAR", "from-env-1", 1);
    fz_secret_spec env = {.name = "E", .kind = FZ_SECRET_ENV, .arg = "FZ_TEST_SECRET_VAR"};
    assert_int_equal(fz_secrets_read(s, &env, err, sizeof err), 0);
    assert_string_equal(fz_secrets_get(s, "E"), "from-env-1");
    unsetenv("FZ_TEST_SECRET_VAR");
    assert_int_equal(fz_secrets_read(s, &env, err, sizeof err), FZ_ENOENT);
    assert_string_equal(err, "secret E: environment variable FZ_TEST_SECRET_VAR is not set");
    setenv("FZ_TEST_SECRET_VAR", "", 1);
    assert_int_equal(fz_secrets_read(s, &env, err, sizeof err), FZ_EINVAL);
    assert_non_null(strstr(err, "empty"));
    unsetenv("FZ_TEST_SECRET_VAR");

    char path[256];
    write_file("tok", "file-secret\r\n");
    snprintf(path, sizeof path, "%s/tok", dir);
    fz_secret_spec file = {.name = "F", .kind = FZ_SECRET_FILE, .arg = path};
    assert_int_equal(fz_secrets_read(s, &file, err, sizeof err), 0);
    assert_string_equal(fz_secrets_get(s, "F"), "file-secret");
    /* Only one trailing newline goes; inner ones stay. */
    write_file("tok", "line1-abc\nline2-def\n\n");
    assert_int_equal(fz_secrets_read(s, &file, err, sizeof err), 0);
    assert_string_equal(fz_secrets_get(s, "F"), "line1-abc\nline2-def\n");
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(fz_secrets_read(s, &file, err, sizeof err), FZ_ENOENT);
    assert_non_null(strstr(err, "secret F: cannot read file"));
    assert_non_null(strstr(err, "No such file"));
    snprintf(path, sizeof path, "%s", dir); /* a directory: unreadable */
    assert_int_equal(fz_secrets_read(s, &file, err, sizeof err), FZ_EIO);
    assert_non_null(strstr(err, "secret F: cannot read file"));
    /* The failed reads left the last good value. */
    assert_string_equal(fz_secrets_get(s, "F"), "line1-abc\nline2-def\n");
    fz_secrets_free(s);
}

static void test_secret_reads_a_command_without_a_shell(void **state)
{
    (void)state;
    fz_secrets *s = with(NULL, NULL);
    char err[512];
    char o0[] = "printf", o1[] = "%s\\n", o2[] = "cmd-secret; $(id)";
    char *ok[] = {o0, o1, o2, NULL};
    fz_secret_spec cmd = {.name = "C", .kind = FZ_SECRET_COMMAND, .argv = ok};
    assert_int_equal(fz_secrets_read(s, &cmd, err, sizeof err), 0);
    assert_string_equal(fz_secrets_get(s, "C"), "cmd-secret; $(id)");

    /* A failure names the secret and the program, never what it printed. */
    char sh[] = "sh", dash_c[] = "-c", b2[] = "echo printed-value-55; exit 4";
    char *bad[] = {sh, dash_c, b2, NULL};
    cmd.argv = bad;
    assert_int_equal(fz_secrets_read(s, &cmd, err, sizeof err), FZ_EIO);
    assert_string_equal(err, "secret C: command 'sh' exited with status 4");
    char m0[] = "/nonexistent/flowzap-secret-tool";
    char *missing[] = {m0, NULL};
    cmd.argv = missing;
    assert_int_equal(fz_secrets_read(s, &cmd, err, sizeof err), FZ_EIO);
    assert_non_null(strstr(err, "status 127"));

    /* Too slow: killed at the timeout, with what it started. */
    char s2[] = "sleep 10 & echo x; sleep 10";
    char *slow[] = {sh, dash_c, s2, NULL};
    cmd.argv = slow;
    cmd.timeout_ns = 200000000u;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fz_secrets_read(s, &cmd, err, sizeof err), FZ_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    assert_string_equal(err, "secret C: command 'sh' did not finish within 0.2s");
    assert_string_equal(fz_secrets_get(s, "C"), "cmd-secret; $(id)");
    fz_secrets_free(s);
}

static fz_bind *load(const char *text, fz_diags *d, int want)
{
    fz_bind *b = NULL;
    int rc = fz_bind_load_mem("b.yaml", text, strlen(text), NULL, d, &b);
    assert_int_equal(rc, want);
    return b;
}

static int has_message(const fz_diags *d, const char *part)
{
    for (uint32_t i = 0; i < fz_diags_count(d); i++)
        if (strstr(fz_diags_at(d, i)->message, part))
            return 1;
    return 0;
}

static void test_secret_bindings_section(void **state)
{
    (void)state;
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_bind *b = load("secrets:\n"
                      "  TOKEN: {env: REGISTRY_TOKEN}\n"
                      "  KEY: {file: keys/deploy.key}\n"
                      "  PASS: {command: [pass, show, registry], timeout: 5s}\n"
                      "rules:\n"
                      "  - noop:\n",
                      &d, 0);
    assert_int_equal(fz_bind_secret_count(b), 3);
    const fz_secret_spec *t = fz_bind_secret_at(b, 0);
    assert_string_equal(t->name, "TOKEN");
    assert_int_equal(t->kind, FZ_SECRET_ENV);
    assert_string_equal(t->arg, "REGISTRY_TOKEN");
    const fz_secret_spec *k = fz_bind_secret_at(b, 1);
    assert_int_equal(k->kind, FZ_SECRET_FILE);
    assert_string_equal(k->arg, "./keys/deploy.key"); /* beside the bindings file */
    const fz_secret_spec *p = fz_bind_secret_at(b, 2);
    assert_int_equal(p->kind, FZ_SECRET_COMMAND);
    assert_string_equal(p->argv[0], "pass");
    assert_string_equal(p->argv[2], "registry");
    assert_null(p->argv[3]);
    assert_true(p->timeout_ns == 5000000000ull);
    fz_bind_free(b);
    fz_diags_fini(&d);

    fz_diags_init(&d, NULL);
    b = load("vars: {TOKEN: x}\n"
             "secrets:\n"
             "  TOKEN: {env: A}\n"
             "  TWO: {env: A, file: f}\n"
             "  NONE: {}\n"
             "  ODD: {env: A, color: red}\n"
             "  'bad name': {env: A}\n"
             "  ENVT: {env: A, timeout: 1s}\n"
             "  EMPTY: {command: []}\n"
             "  BADENV: {env: 'A B'}\n"
             "rules:\n"
             "  - noop:\n",
             &d, FZ_EPARSE);
    assert_true(has_message(&d, "'TOKEN' is both a secret and a variable in 'vars'"));
    assert_true(has_message(&d, "secret 'TWO' has two sources ('env' and 'file')"));
    assert_true(has_message(&d, "secret 'NONE' has no source"));
    assert_true(has_message(&d, "secret 'ODD': unknown key 'color'"));
    assert_true(has_message(&d, "'secrets': 'bad name' is not a variable name"));
    assert_true(has_message(&d, "secret 'ENVT': 'timeout' applies to 'command' only"));
    assert_true(has_message(&d, "secret 'EMPTY': 'command' needs a program"));
    assert_true(has_message(&d, "secret 'BADENV': 'A B' is not an environment variable name"));
    assert_int_equal(d.errors, 8);
    fz_bind_free(b);
    fz_diags_fini(&d);

    fz_diags_init(&d, NULL);
    b = load("secrets: [a]\nrules:\n  - noop:\n", &d, FZ_EPARSE);
    assert_true(has_message(&d, "'secrets' must be a mapping of names to sources"));
    fz_bind_free(b);
    fz_diags_fini(&d);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_masks_every_occurrence_longest_first),
        cmocka_unit_test(test_secret_masks_binary_and_split_text),
        cmocka_unit_test(test_secret_masks_url_encoded_and_each_line),
        cmocka_unit_test(test_secret_refuses_empty_and_short_values),
        cmocka_unit_test(test_secret_reference_form_round_trips),
        cmocka_unit_test(test_secret_reads_environment_and_files),
        cmocka_unit_test(test_secret_reads_a_command_without_a_shell),
        cmocka_unit_test(test_secret_bindings_section),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
