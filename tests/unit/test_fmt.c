/* SPDX-License-Identifier: MIT */
/* test_fmt.c - the canonical layout: same graph, idempotent, slips fixed,
 * comments kept; on every every workflow file and on generated messy files. */
#include "tests/support/support.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "parser/fmt.h"
#include "parser/parser.h"

static fz_graph *parse(const char *src, size_t len)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    int rc = fz_parse_mem("t.fz", src, len, NULL, &d, &g);
    if (rc || d.errors) {
        for (uint32_t i = 0; i < fz_diags_count(&d); i++)
            print_error("%s at %u: %s\n", fz_diags_at(&d, i)->code, fz_diags_at(&d, i)->offset,
                        fz_diags_at(&d, i)->message);
        print_error("--- source\n%.*s\n", (int)len, src);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(d.errors, 0);
    fz_diags_fini(&d);
    return g;
}

/* fmt(src) as a malloc'd NUL-terminated string. */
static char *fmt_text(const fz_graph *g, size_t *len)
{
    fz_vec v;
    fz_vec_init(&v, 1, NULL);
    assert_int_equal(fz_fmt(g, &v), 0);
    char *s = malloc(v.len + 1);
    assert_non_null(s);
    if (v.len)
        memcpy(s, v.data, v.len);
    s[v.len] = '\0';
    *len = v.len;
    fz_vec_fini(&v);
    return s;
}

/* Asserts parse(fmt(x)) == parse(x) and fmt(fmt(x)) == fmt(x); returns fmt(x). */
static char *check_roundtrip(const char *src, size_t len)
{
    fz_graph *g = parse(src, len);
    size_t l1, l2;
    char *once = fmt_text(g, &l1);
    fz_graph *g2 = parse(once, l1);
    char why[256] = "";
    if (!fz_fmt_same_graph(g, g2, why, sizeof(why)))
        fail_msg("fmt changed the graph: %s\n--- in\n%.*s\n--- out\n%s", why, (int)len, src,
                 once);
    char *twice = fmt_text(g2, &l2);
    if (l1 != l2 || memcmp(once, twice, l1) != 0)
        fail_msg("fmt is not idempotent\n--- once\n%s\n--- twice\n%s", once, twice);
    free(twice);
    fz_graph_free(g2);
    fz_graph_free(g);
    return once;
}

static void test_fmt_every_workflow_keeps_its_graph_and_is_idempotent(void **state)
{
    (void)state;
    glob_t gl;
    char pattern[4096];
    snprintf(pattern, sizeof(pattern), "%s", fz_test_src("workflows/*.fz"));
    assert_int_equal(glob(pattern, 0, NULL, &gl), 0);
    assert_true(gl.gl_pathc >= 13);
    for (size_t i = 0; i < gl.gl_pathc; i++) {
        size_t len = 0;
        char *src = fz_test_read_file(gl.gl_pathv[i], &len);
        assert_non_null(src);
        free(check_roundtrip(src, len));
        free(src);
    }
    globfree(&gl);
}

static void test_fmt_rewrites_slips_and_line_ends(void **state)
{
    (void)state;
    const char *src = "A { # Api\r\n"
                      "n1: circle label=\"Start\"\r\n"
                      "    n2: circle label:\"End\"\r\n"
                      "n1.handle(right)->n2.handle(left)   [label:\"Go\"]\r\n"
                      "}\r\n";
    char *out = check_roundtrip(src, strlen(src));
    assert_string_equal(out, "A { # Api\n"
                             "  n1: circle label:\"Start\"\n"
                             "  n2: circle label:\"End\"\n"
                             "\n"
                             "  n1.handle(right) -> n2.handle(left) [label=\"Go\"]\n"
                             "}\n");
    free(out);
}

static void test_fmt_stray_carriage_return_after_a_lane_label_is_space(void **state)
{
    (void)state;
    /* Found by fuzz.fmt: "\r\r\n" left a '\r' in the label, which fmt wrote
     * back as a CRLF line end and so lost on the next read. */
    const char *src = "A { # Lab\r\r\nn1: circle label:\"S\"\r\n}\r\n";
    char *out = check_roundtrip(src, strlen(src));
    assert_string_equal(out, "A { # Lab\n  n1: circle label:\"S\"\n}\n");
    free(out);
}

static void test_fmt_moves_nodes_first_and_fixes_prefixes(void **state)
{
    (void)state;
    const char *in = "A {\n"
                     "n1.handle(right) -> n3.handle(left)\n"
                     "n1: circle label:\"Start\"\n"
                     "n2: circle label:\"End\"\n"
                     "}\n"
                     "B {\n"
                     "B.n3.handle(right) -> A.n2.handle(left)\n"
                     "n3: rectangle label:\"Work\"\n"
                     "}\n"
                     "n3.handle(top) -> n2.handle(top)\n";
    char *out = check_roundtrip(in, strlen(in));
    assert_string_equal(out, "A {\n"
                             "  n1: circle label:\"Start\"\n"
                             "  n2: circle label:\"End\"\n"
                             "\n"
                             "  n1.handle(right) -> B.n3.handle(left)\n"
                             "}\n"
                             "\n"
                             "B {\n"
                             "  n3: rectangle label:\"Work\"\n"
                             "\n"
                             "  n3.handle(right) -> A.n2.handle(left)\n"
                             "}\n"
                             "\n"
                             "n3.handle(top) -> n2.handle(top)\n");
    free(out);
}

static void test_fmt_keeps_comments_with_their_statements(void **state)
{
    (void)state;
    const char *in = "// file header\n"
                     "A { # Lane\n"
                     "  // before the edge\n"
                     "n1.handle(right) -> n2.handle(left)\n"
                     "// before n1\n"
                     "n1: circle label:\"Start\"\n"
                     "n2: circle label:\"End\"\n"
                     "// closing remark\n"
                     "}\n"
                     "// trailing\n";
    char *out = check_roundtrip(in, strlen(in));
    assert_string_equal(out, "// file header\n"
                             "A { # Lane\n"
                             "  // before n1\n"
                             "  n1: circle label:\"Start\"\n"
                             "  n2: circle label:\"End\"\n"
                             "\n"
                             "  // before the edge\n"
                             "  n1.handle(right) -> n2.handle(left)\n"
                             "\n"
                             "  // closing remark\n"
                             "}\n"
                             "\n"
                             "// trailing\n");
    free(out);
}

static void test_fmt_escapes_quotes_and_backslashes(void **state)
{
    (void)state;
    const char *in = "A {\nn1: circle label:\"say \\\"hi\\\" \\\\o/\"\nn2: circle label:\"x\"\n"
                     "n1.handle(right) -> n2.handle(left) [label=\"a\\\\b\"]\n}\n";
    char *out = check_roundtrip(in, strlen(in));
    assert_non_null(strstr(out, "label:\"say \\\"hi\\\" \\\\o/\""));
    assert_non_null(strstr(out, "[label=\"a\\\\b\"]"));
    free(out);
}

static void test_fmt_same_graph_names_the_first_difference(void **state)
{
    (void)state;
    const char *a = "A {\n" "n1: circle label:\"S\"\nn2: circle label:\"E\"\n"
                    "n1.handle(right) -> n2.handle(left)\n}\n";
    const char *b = "A {\n" "n1: circle label:\"S\"\nn2: circle label:\"E\"\n"
                    "n1.handle(bottom) -> n2.handle(left)\n}\n";
    const char *c = "A {\n" "n1: circle label:\"S\"\nn2: rectangle label:\"E\"\n"
                    "n1.handle(right) -> n2.handle(left)\n}\n";
    fz_graph *ga = parse(a, strlen(a)), *gb = parse(b, strlen(b)), *gc = parse(c, strlen(c));
    char why[128];
    assert_int_equal(fz_fmt_same_graph(ga, ga, why, sizeof(why)), 1);
    assert_int_equal(fz_fmt_same_graph(ga, gb, why, sizeof(why)), 0);
    assert_string_equal(why, "edge e1 differs");
    assert_int_equal(fz_fmt_same_graph(ga, gc, why, sizeof(why)), 0);
    assert_string_equal(why, "node n2 differs");
    fz_graph_free(ga);
    fz_graph_free(gb);
    fz_graph_free(gc);
}

/* A small deterministic generator (xorshift; tests use no rand()). */
static uint64_t rnd_state;
static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

static const char *const dirs[] = {"left", "right", "top", "bottom"};
static const char *const shapes[] = {"circle", "rectangle", "diamond", "taskbox"};

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
}

/* A valid but messy file: nodes spread over lanes out of order, edges in
 * their source's lane, their target's lane or at top level, random
 * prefixes, slips, comments, blank lines, indentation, CRLF, loops. */
static void generate(sbuf *b, uint32_t seed)
{
    rnd_state = 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed * 0x2545F4914F6CDD1Dull) ^ 1;
    uint32_t lanes = 1 + rnd(4), nodes = 2 + rnd(12), edges = rnd(16), loops = rnd(3);
    const char *eol = rnd(4) == 0 ? "\r\n" : "\n";
    const char *ind = rnd(2) ? "  " : "";
    uint32_t lane_of[16];
    for (uint32_t i = 0; i < nodes; i++)
        lane_of[i] = i < lanes ? i : rnd(lanes);
    b->len = 0;
    if (rnd(2))
        add(b, "// generated %u%s", seed, eol);
    for (uint32_t l = 0; l < lanes; l++) {
        if (rnd(3) == 0)
            add(b, "%s// lane %u%s", rnd(2) ? "" : "  ", l, eol);
        add(b, "L%u {%s%s", l, rnd(2) ? " # Lane number (" : "", eol);
        for (uint32_t i = 0; i < nodes; i++) {
            if (lane_of[i] != l)
                continue;
            if (rnd(4) == 0)
                add(b, "%s", eol);
            if (rnd(5) == 0)
                add(b, "%s// node n%u%s", ind, i + 1, eol);
            uint32_t s = rnd(4);
            add(b, "%sn%u: %s", ind, i + 1, shapes[s]);
            if (rnd(4))
                add(b, " label%s\"Step %u: <%s> \\\"q\\\" \xE2\x86\x92\"", rnd(5) ? ":" : "=",
                    i + 1, dirs[rnd(4)]);
            if (s == 3 && rnd(2))
                add(b, " owner:\"Team %u\" system:\"S|T\"", rnd(9));
            add(b, "%s", eol);
        }
        for (uint32_t e = 0; e < edges; e++) {
            uint32_t a = (e * 7 + seed) % nodes, z = (e * 3 + 1 + seed / 3) % nodes;
            uint32_t where = (e + seed) % 3; /* 0 source lane, 1 target lane, 2 top */
            uint32_t wl = where == 0 ? lane_of[a] : lane_of[z];
            if (where == 2 || wl != l)
                continue;
            if (rnd(6) == 0)
                add(b, "%s// edge %u%s", ind, e, eol);
            int sp = lane_of[a] != l || rnd(3) == 0, dp = lane_of[z] != l || rnd(3) == 0;
            if (sp && lane_of[a] == l && rnd(2))
                sp = 0;
            add(b, "%s", ind);
            if (sp || lane_of[a] != l) {
                if (lane_of[a] != l && rnd(2))
                    ; /* bare id of another lane: legal, lint warns */
                else
                    add(b, "L%u.", lane_of[a]);
            }
            add(b, "n%u.handle(%s) %s ", a + 1, dirs[rnd(4)], rnd(3) ? "->" : " -> ");
            if (dp)
                add(b, "L%u.", lane_of[z]);
            add(b, "n%u.handle(%s)", z + 1, dirs[rnd(4)]);
            uint32_t lab = rnd(4);
            if (lab == 1)
                add(b, " [label=\"Yes\"]");
            else if (lab == 2)
                add(b, " [label:\"No -> retry (50%%)\"]");
            add(b, "%s", eol);
        }
        if (l == 0 && loops && nodes >= 2)
            add(b, "%sloop [retry up to %u times] n%u n%u%s", ind, 1 + rnd(5), 1 + rnd(nodes),
                1 + rnd(nodes), eol);
        if (rnd(4) == 0)
            add(b, "%s// end of lane%s", ind, eol);
        add(b, "}%s", eol);
    }
    for (uint32_t e = 0; e < edges; e++) {
        uint32_t a = (e * 7 + seed) % nodes, z = (e * 3 + 1 + seed / 3) % nodes;
        if ((e + seed) % 3 != 2)
            continue;
        add(b, "L%u.n%u.handle(%s) -> n%u.handle(%s)%s", lane_of[a], a + 1, dirs[rnd(4)], z + 1,
            dirs[rnd(4)], eol);
    }
    if (loops > 1)
        add(b, "loop [repeat] n1 n2%s", eol);
    if (rnd(3) == 0)
        add(b, "// the end%s", eol);
}

static void test_fmt_generated_files_keep_graph_and_are_idempotent(void **state)
{
    (void)state;
    sbuf b = {malloc(1024), 0, 1024};
    assert_non_null(b.p);
    for (uint32_t seed = 1; seed <= 400; seed++) {
        generate(&b, seed);
        free(check_roundtrip(b.p, b.len));
    }
    free(b.p);
}

static void test_fmt_survives_every_allocation_failure(void **state)
{
    (void)state;
    size_t len = 0;
    char *src = fz_test_read_file(fz_test_src("workflows/multi-lane-loop.fz"), &len);
    assert_non_null(src);
    fz_graph *g = parse(src, len);
    for (uint64_t n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        const fz_alloc *saved = g->alloc;
        g->alloc = &ta.hook;
        fz_vec v;
        fz_vec_init(&v, 1, &ta.hook);
        int rc = fz_fmt(g, &v);
        g->alloc = saved;
        fz_vec_fini(&v);
        assert_int_equal(ta.live, 0);
        if (ta.injected == 0) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, FZ_ENOMEM);
    }
    fz_graph_free(g);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_every_workflow_keeps_its_graph_and_is_idempotent),
        cmocka_unit_test(test_fmt_rewrites_slips_and_line_ends),
        cmocka_unit_test(test_fmt_stray_carriage_return_after_a_lane_label_is_space),
        cmocka_unit_test(test_fmt_moves_nodes_first_and_fixes_prefixes),
        cmocka_unit_test(test_fmt_keeps_comments_with_their_statements),
        cmocka_unit_test(test_fmt_escapes_quotes_and_backslashes),
        cmocka_unit_test(test_fmt_same_graph_names_the_first_difference),
        cmocka_unit_test(test_fmt_generated_files_keep_graph_and_are_idempotent),
        cmocka_unit_test(test_fmt_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
