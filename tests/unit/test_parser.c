/* SPDX-License-Identifier: MIT */
/*
 * test_parser.c - FlowZap Code to graph: every construct real files use,
 * every error and parse warning (a table keyed on the code), recovery,
 * files, and an OOM loop with the failing allocator.
 */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/fmap.h"
#include "core/status.h"
#include "core/utf8.h"
#include "parser/codes.h"
#include "parser/lint.h"
#include "parser/parser.h"

typedef struct fixture {
    fz_diags d;
    fz_graph *g;
    int rc;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    fz_diags_init(&f->d, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    fz_graph_free(f->g);
    fz_diags_fini(&f->d);
    free(f);
    return 0;
}

static fixture *parse(void **state, const char *src)
{
    fixture *f = *state;
    fz_graph_free(f->g);
    fz_diags_fini(&f->d);
    fz_diags_init(&f->d, NULL);
    f->g = NULL;
    f->rc = fz_parse_mem("t.fz", src, strlen(src), NULL, &f->d, &f->g);
    return f;
}

static void dump_diags(fixture *f)
{
    for (uint32_t i = 0; i < fz_diags_count(&f->d); i++) {
        const fz_diag *dg = fz_diags_at(&f->d, i);
        uint32_t line = 0, col = 0;
        fz_graph_position(f->g, dg->offset, &line, &col);
        print_message("  %u:%u %s %s\n", line, col, dg->code, dg->message);
    }
}

static fixture *parse_ok(void **state, const char *src)
{
    fixture *f = parse(state, src);
    if (f->rc != FZ_OK || f->d.errors) {
        dump_diags(f);
        fail_msg("expected a clean parse, got %s with %u errors", fz_status_name(f->rc),
                 f->d.errors);
    }
    assert_true(f->g->finished);
    return f;
}

static uint32_t node(fixture *f, const char *id)
{
    uint32_t i = fz_graph_find_node(f->g, id, strlen(id));
    if (i == FZ_NONE)
        fail_msg("no node %s", id);
    return i;
}

static int span_is(fixture *f, fz_span s, const char *text)
{
    return s.len == strlen(text) && memcmp(fz_graph_text(f->g, s), text, s.len) == 0;
}

static const char *lane_id(fixture *f, uint32_t lane)
{
    static char buf[64];
    const fz_lane *l = fz_graph_lane(f->g, lane);
    snprintf(buf, sizeof(buf), "%.*s", (int)l->id.len, fz_graph_text(f->g, l->id));
    return buf;
}

/*==========================================================================
 * What real files do
 *========================================================================*/

static void test_parser_reads_the_canary_workflow(void **state)
{
    size_t len = 0;
    char *src = fz_test_read_file(fz_test_src("workflows/canary-deploy.fz"), &len);
    assert_non_null(src);
    fixture *f = parse_ok(state, src);
    free(src);
    assert_int_equal(fz_graph_lane_count(f->g), 3);
    assert_int_equal(fz_graph_node_count(f->g), 20);
    assert_int_equal(fz_graph_edge_count(f->g), 22);
    assert_int_equal(f->d.warnings, 0);
    const fz_lane *l = fz_graph_lane(f->g, 0);
    assert_true(span_is(f, l->id, "Deployment"));
    assert_true(span_is(f, l->label, "Deployment Pipeline"));
    assert_true(l->has_label);
    assert_true(l->end != FZ_NONE);
    const fz_node *n9 = fz_graph_node(f->g, node(f, "n9"));
    assert_int_equal(n9->shape, FZ_SHAPE_DIAMOND);
    assert_true(span_is(f, n9->label, "Metrics healthy?"));
    assert_string_equal(lane_id(f, n9->lane), "CanaryController");
    /* n3 -> CanaryController.n6, written in Deployment with a prefix. */
    const fz_edge *e = fz_graph_edge(f->g, 2);
    assert_int_equal(e->src, node(f, "n3"));
    assert_int_equal(e->dst, node(f, "n6"));
    assert_int_equal(e->src_dir, FZ_DIR_BOTTOM);
    assert_int_equal(e->dst_dir, FZ_DIR_TOP);
    assert_true(e->flags & FZ_EDGE_DST_PREFIX);
    assert_false(e->flags & FZ_EDGE_SRC_PREFIX);
    assert_string_equal(lane_id(f, e->dst_lane), "CanaryController");
    assert_string_equal(lane_id(f, e->lane), "Deployment");
    assert_true(span_is(f, e->label, "Deploy canary"));
    assert_true(e->flags & FZ_EDGE_LABELLED);
    /* n4 has three incoming edges, from three lanes. */
    uint32_t count = 0;
    fz_graph_in(f->g, node(f, "n4"), &count);
    assert_int_equal(count, 3);
}

static void test_parser_resolves_forward_references_and_late_nodes(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1.handle(right) -> n2.handle(left)\n"
                                 "n1: circle label:\"Start\"\n"
                                 "n2.handle(bottom) -> B.n3.handle(top)\n"
                                 "n2: rectangle label:\"Work\"\n"
                                 "}\n"
                                 "B {\n"
                                 "n3: circle label:\"End\"\n"
                                 "}\n");
    assert_int_equal(fz_graph_edge_count(f->g), 2);
    const fz_node *n3 = fz_graph_node(f->g, node(f, "n3"));
    assert_string_equal(lane_id(f, n3->lane), "B");
    /* The definition's offset replaces the first reference's. */
    assert_int_equal(n3->offset, strstr(f->g->src, "n3: circle") - f->g->src);
    assert_string_equal(lane_id(f, fz_graph_edge(f->g, 1)->dst_lane), "B");
}

static void test_parser_accepts_edges_in_the_target_lane_and_own_prefix(void **state)
{
    fixture *f = parse_ok(state, "Sales {\n"
                                 "  n1: circle label:\"Start\"\n"
                                 "}\n"
                                 "Ops {\n"
                                 "  n2: rectangle label:\"Ship\"\n"
                                 "  n1.handle(bottom) -> Ops.n2.handle(top)\n"
                                 "  Ops.n2.handle(right) -> Ops.n2.handle(right)\n"
                                 "}\n");
    const fz_edge *e = fz_graph_edge(f->g, 0);
    assert_string_equal(lane_id(f, e->lane), "Ops");
    assert_int_equal(e->src_lane, FZ_NONE);
    e = fz_graph_edge(f->g, 1);
    assert_true(e->flags & FZ_EDGE_SRC_PREFIX);
    assert_int_equal(e->src_dir, FZ_DIR_RIGHT);
    assert_int_equal(e->dst_dir, FZ_DIR_RIGHT);
}

static void test_parser_accepts_top_level_edges_and_loops_over_lanes(void **state)
{
    fixture *f = parse_ok(state, "A { # First\n"
                                 "n1: rectangle label:\"a\"\n"
                                 "n2: rectangle label:\"b\"\n"
                                 "loop [retry up to 5 times, then 9] n1 n3\n"
                                 "}\n"
                                 "B { # Second\n"
                                 "n3: rectangle label:\"c\"\n"
                                 "}\n"
                                 "n1.handle(right) -> n3.handle(left)\n"
                                 "loop [until done] n3 n2 n1\n");
    assert_int_equal(fz_graph_loop_count(f->g), 2);
    const fz_loop *l = fz_graph_loop(f->g, 0);
    assert_int_equal(l->bound, 5);
    assert_int_equal(l->node_count, 2);
    assert_true(span_is(f, l->cond, "retry up to 5 times, then 9"));
    assert_string_equal(lane_id(f, l->lane), "A");
    assert_int_equal(fz_graph_loop_node(f->g, l, 1), node(f, "n3"));
    l = fz_graph_loop(f->g, 1);
    assert_int_equal(l->bound, 3);
    assert_int_equal(l->lane, FZ_NONE);
    assert_int_equal(l->node_count, 3);
    assert_int_equal(fz_graph_edge(f->g, 0)->lane, FZ_NONE);
}

static void test_parser_keeps_repeated_edges_between_two_nodes(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1: diamond label:\"ok?\"\n"
                                 "n2: rectangle label:\"b\"\n"
                                 "n1.handle(right) -> n2.handle(left) [label=\"Yes\"]\n"
                                 "n1.handle(bottom) -> n2.handle(bottom) [label=\"Maybe\"]\n"
                                 "n1.handle(right) -> n2.handle(left) [label=\"Yes\"]\n"
                                 "}\n");
    uint32_t count = 0;
    const uint32_t *out = fz_graph_out(f->g, node(f, "n1"), &count);
    assert_int_equal(count, 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[2], 2);
}

static void test_parser_labels_hold_any_text(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1: diamond label:\"Amount > $50K? (net) & 10% -> #1 // x\"\n"
                                 "n2: rectangle label:\"No \xe2\x86\x92 Manual review\"\n"
                                 "n1.handle(right) -> n2.handle(left) [label=\"< $50K\"]\n"
                                 "n1.handle(bottom) -> n2.handle(top) [label=\"a -> b: c = d\"]\n"
                                 "}\n");
    assert_true(span_is(f, fz_graph_node(f->g, node(f, "n1"))->label,
                        "Amount > $50K? (net) & 10% -> #1 // x"));
    assert_true(
        span_is(f, fz_graph_node(f->g, node(f, "n2"))->label, "No \xe2\x86\x92 Manual review"));
    assert_true(span_is(f, fz_graph_edge(f->g, 0)->label, "< $50K"));
    assert_true(span_is(f, fz_graph_edge(f->g, 1)->label, "a -> b: c = d"));
}

static void test_parser_unescapes_strings_into_the_pool(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1: rectangle label:\"say \\\"hi\\\" \\\\ \\n\"\n"
                                 "}\n");
    fz_span s = fz_graph_node(f->g, node(f, "n1"))->label;
    assert_true(s.off & FZ_SPAN_POOL);
    assert_true(span_is(f, s, "say \"hi\" \\ \\n"));
}

static void test_parser_accepts_crlf_blank_lines_comments_and_no_indent(void **state)
{
    fixture *f = parse_ok(state, "// header comment\r\n"
                                 "\r\n"
                                 "Worker1 {   # Worker 1 / EU (primary)  \r\n"
                                 "\r\n"
                                 "\t\tn1: circle label:\"Start\"   \r\n"
                                 "// inside\r\n"
                                 "n2: circle label:\"End\" // trailing\r\n"
                                 "   n1.handle(right) -> n2.handle(left)\r\n"
                                 "}\r\n");
    assert_int_equal(fz_graph_node_count(f->g), 2);
    assert_true(span_is(f, fz_graph_lane(f->g, 0)->label, "Worker 1 / EU (primary)"));
    assert_true(span_is(f, fz_graph_node(f->g, node(f, "n2"))->label, "End"));
}

static void test_parser_skips_a_utf8_byte_order_mark(void **state)
{
    fixture *f = parse_ok(state, "\xef\xbb\xbf"
                                 "A {\nn1: circle\n}\n");
    assert_true(span_is(f, fz_graph_lane(f->g, 0)->id, "A"));
}

static void test_parser_takes_a_lane_label_from_the_next_line(void **state)
{
    fixture *f = parse_ok(state, "sales {\n  // note\n\n  # Sales Team  \n  n1: circle\n}\n");
    const fz_lane *l = fz_graph_lane(f->g, 0);
    assert_true(l->has_label);
    assert_true(span_is(f, l->label, "Sales Team"));
    assert_int_equal(f->d.warnings, 1);
    assert_string_equal(fz_diags_at(&f->d, 0)->code, "W004");
}

static void test_parser_lane_without_label_uses_its_id(void **state)
{
    fixture *f = parse_ok(state, "snake_case_lane {\nn1: circle\n}\nX { #   \n}\n");
    const fz_lane *l = fz_graph_lane(f->g, 0);
    assert_false(l->has_label);
    assert_true(span_is(f, l->label, "snake_case_lane"));
    assert_false(fz_graph_lane(f->g, 1)->has_label);
    /* A node without label or description is labelled by its id. */
    assert_true(span_is(f, fz_graph_node(f->g, node(f, "n1"))->label, "n1"));
}

static void test_parser_reads_taskbox_attributes_in_order(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1: taskbox owner:\"Ana\" description:\"Review PR | merge\" "
                                 "system:\"GitHub\" priority:\"high\"\n"
                                 "n2: rectangle label:\"x\" system:\"ERP\"\n"
                                 "}\n");
    uint32_t i = node(f, "n1");
    const fz_node *n = fz_graph_node(f->g, i);
    assert_int_equal(n->shape, FZ_SHAPE_TASKBOX);
    assert_int_equal(n->attr_count, 4);
    assert_true(span_is(f, fz_graph_attr(f->g, n->attr_first)->key, "owner"));
    assert_true(span_is(f, fz_graph_attr(f->g, n->attr_first + 3)->value, "high"));
    assert_true(span_is(f, n->label, "Review PR | merge"));
    uint32_t len = 0;
    const char *v = fz_graph_node_attr(f->g, i, "system", &len);
    assert_non_null(v);
    assert_int_equal(len, 6);
    assert_int_equal(fz_graph_node_kind(f->g, i), FZ_KIND_TASK);
}

static void test_parser_accepts_colon_equals_slips_with_warnings(void **state)
{
    fixture *f = parse_ok(state, "A {\n"
                                 "n1: rectangle label=\"Requests\"\n"
                                 "n2: rectangle label:\"b\"\n"
                                 "n1.handle(right) -> n2.handle(left) [label:\"Requests\"]\n"
                                 "}\n");
    assert_int_equal(f->d.warnings, 2);
    assert_string_equal(fz_diags_at(&f->d, 0)->code, "W001");
    assert_string_equal(fz_diags_at(&f->d, 1)->code, "W002");
    const fz_node *n = fz_graph_node(f->g, node(f, "n1"));
    assert_true(fz_graph_attr(f->g, n->attr_first)->slip);
    assert_true(span_is(f, n->label, "Requests"));
    const fz_edge *e = fz_graph_edge(f->g, 0);
    assert_true(e->flags & FZ_EDGE_LABEL_SLIP);
    assert_true(span_is(f, e->label, "Requests"));
}

static void test_parser_finds_every_id_through_the_graph_map(void **state)
{
    char *src = malloc(1 << 20);
    assert_non_null(src);
    size_t at = 0;
    at += (size_t)sprintf(src + at, "A {\n");
    for (int i = 1; i <= 5000; i++)
        at += (size_t)sprintf(src + at, "n%d: rectangle\nn%d.handle(right) -> n%d.handle(left)\n",
                              i, i, i % 5000 + 1);
    at += (size_t)sprintf(src + at, "n01: rectangle\nn4294967299: rectangle\n}\n");
    fixture *f = parse(state, src);
    free(src);
    /* n01 and n4294967299 are not nK ids of the fast path, yet valid ids. */
    assert_int_equal(fz_graph_node_count(f->g), 5002);
    for (int i = 1; i <= 5000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "n%d", i);
        uint32_t k = node(f, id);
        assert_true(span_is(f, fz_graph_node(f->g, k)->id, id));
    }
    assert_int_not_equal(node(f, "n01"), node(f, "n1"));
    node(f, "n4294967299");
    assert_int_equal(fz_graph_find_node(f->g, "n5001", 5), FZ_NONE);
    assert_int_equal(f->d.errors, 0);
}

/*==========================================================================
 * Errors and warnings, keyed on the code
 *========================================================================*/

typedef struct error_case {
    const char *code;
    uint32_t line, col;
    const char *src;
    const char *hint_part; /* expected inside the message or hint, or NULL */
} error_case;

static const error_case error_cases[] = {
    {"E001", 2, 4, "A {\nn1 n2\n}\n", NULL},
    {"E001", 2, 1, "A {\n) x\n}\n", NULL},
    {"E001", 3, 37, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) extra\n}\n", NULL},
    {"E001", 1, 5, "A { n1: circle\n}\n", NULL},
    {"E001", 2, 3, "A {\nn3 diamond \"Is valid?\"\n}\n", "n3: diamond"},
    {"E002", 2, 5, "A {\nn1: rect label:\"x\"\n}\n", "rectangle"},
    {"E002", 2, 5, "A {\nn1: rhombus\n}\n", "diamond"},
    {"E002", 2, 5, "A {\nn1: circel\n}\n", "circle"},
    {"E002", 2, 5, "A {\nn1: task\n}\n", "taskbox"},
    {"E002", 2, 5, "A {\nn1: \"x\"\n}\n", NULL},
    {"E003", 3, 1, "A {\nn1: circle\nn1 -> n1\n}\n", "handle"},
    {"E003", 3, 21, "A {\nn1: circle\nn1.handle(right) -> n1\n}\n", "handle"},
    {"E003", 3, 21, "A {\nn1: circle\nn1.handle(right) -> A.n1 [label=\"x\"]\n}\n", NULL},
    {"E003", 3, 11, "A {\nn1: circle\nn1.handle right -> n1.handle(left)\n}\n", NULL},
    {"E004", 3, 11, "A {\nn1: circle\nn1.handle(up) -> n1.handle(left)\n}\n", "top"},
    {"E004", 3, 30, "A {\nn1: circle\nn1.handle(left) -> n1.handle(Right)\n}\n", "right"},
    {"E004", 3, 11, "A {\nn1: circle\nn1.handle() -> n1.handle(left)\n}\n", NULL},
    {"E005", 3, 21, "A {\nn1: circle\nn1.handle(right) -> n9.handle(left)\n}\n", "n9"},
    {"E005", 3, 17, "A {\nn1: circle\nloop [retry] n1 n7\n}\n", NULL},
    {"E005", 3, 21, "A {\nn1: circle\nn1.handle(right) -> A.handle(left)\n}\n", "lane"},
    {"E006", 3, 1, "A {\nn1: circle\nn1: rectangle\n}\n", "line 2"},
    {"E007", 3, 21, "A {\nn1: circle\nn1.handle(right) -> Nope.n1.handle(left)\n}\n", NULL},
    {"E007", 5, 1, "A {\nn1: circle\n}\nB {\nC.n1.handle(right) -> n1.handle(left)\n}\n",
     "lane 'A'"},
    {"E008", 5, 23, "A {\nn1: circle\n}\nB {\nn1.handle(right) -> B.n1.handle(left)\n}\n", "A.n1"},
    {"E009", 2, 18, "A {\nn1: circle label:\"Start\n}\n", NULL},
    {"E009", 3, 44, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [label=\"x]\n}\n", NULL},
    {"E010", 4, 1, "A {\nn1: circle\n\n", "'}'"},
    {"E011", 3, 1, "A {\nn1: circle\nB {\nn2: circle\n}\n}\n", "'A'"},
    {"E012", 2, 1, "A { # A\n# just a note\nn1: circle\n}\n", "//"},
    {"E012", 2, 12, "A {\nn1: circle # note\n}\n", "//"},
    {"E013", 1, 1, "graph TD\n", NULL},
    {"E013", 1, 1, "sequenceDiagram\n", NULL},
    {"E013", 2, 3, "A {\n  participant Alice\n}\n", NULL},
    {"E013", 2, 3, "A {\nA --> B\n}\n", NULL},
    {"E013", 2, 6, "A {\nA[x] --> B\n}\n", NULL},
    {"E013", 2, 6, "A {\nAlice->>Bob: hi\n}\n", NULL},
    {"E013", 1, 1, "@startuml\n", NULL},
    {"E013", 3, 18, "A {\nn1: circle\nn1.handle(right) --> n1.handle(left)\n}\n", "->"},
    {"E014", 1, 1, "```flowzap\nA {\nn1: circle\n}\n```\n", "```"},
    {"E015", 2, 1, "A {\nstart: circle label:\"Go\"\n}\n", "label:\"start\""},
    {"E016", 4, 37,
     "A {\nn1: circle\nn2: circle\n"
     "n1.handle(right) -> n2.handle(left) -> n1.handle(left)\n}\n",
     "one edge"},
    {"E017", 3, 1, "A {\n}\n}\n", NULL},
    {"E018", 3, 1, "A {\n}\nA {\n}\n", "line 1"},
    {"E019", 1, 1, "n1: circle\nA {\n}\n", NULL},
    {"E020", 2, 18, "A {\nn1: circle label \"x\"\n}\n", "key:"},
    {"E020", 2, 18, "A {\nn1: circle label:Start\n}\n", "quotes"},
    {"E020", 2, 12, "A {\nn1: circle \"Start\"\n}\n", NULL},
    {"E020", 2, 4, "A {\nn1 = circle\n}\n", NULL},
    {"E021", 3, 38, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [color=\"red\"]\n}\n",
     NULL},
    {"E021", 3, 47, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [label=\"x\"\n}\n",
     "']'"},
    {"E021", 3, 44, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [label=x]\n}\n", NULL},
    {"E022", 3, 6, "A {\nn1: circle\nloop [retry n1 n1\n}\n", NULL},
    {"E022", 3, 6, "A {\nn1: circle\nloop n1 n1\n}\n", NULL},
    {"E022", 3, 16, "A {\nn1: circle\nloop [retry] n1.handle(left)\n}\n", NULL},
    {"E023", 3, 1, "A {\nn1: circle\nloop [retry]\n}\n", NULL},
    {"E025", 1, 1, "", NULL},
    {"E025", 1, 1, "// only a comment\n", NULL},
    {"W001", 2, 17, "A {\nn1: circle label=\"x\"\n}\n", "label:"},
    {"W002", 3, 43, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [label:\"x\"]\n}\n",
     "label="},
    {"W003", 3, 1, "A {\nn1: circle\nloop [retry] n1\n}\n", NULL},
    {"W004", 2, 3, "A {\n  # The A team\nn1: circle\n}\n", "Lane { # Label"},
    {"E012", 3, 1, "A {\nn1: circle\n# late\n}\n", NULL},
    {"E012", 3, 1, "A { # A\n# second\n# third\n}\n", NULL},
    /* Invalid UTF-8 anywhere (label, lane label, comment, edge label), at
     * the byte: Latin-1, stray continuation, overlong, surrogate, past
     * U+10FFFF, truncated at the end of the file. */
    {"E027", 2, 20, "A {\nn1: circle label:\"D\xe9ploy\"\n}\n", "0xe9"},
    {"E027", 1, 9, "A { # Op\xe9rations\nn1: circle\n}\n", "UTF-8"},
    {"E027", 2, 11, "A {\n// a note \x80\nn1: circle\n}\n", "0x80"},
    {"E027", 2, 19, "A {\nn1: circle label:\"\xc0\xaf\"\n}\n", "0xc0"},
    {"E027", 2, 19, "A {\nn1: circle label:\"\xed\xa0\x80\"\n}\n", "0xed"},
    {"E027", 2, 19, "A {\nn1: circle label:\"\xf4\x90\x80\x80\"\n}\n", "0xf4"},
    {"E027", 4, 1, "A {\nn1: circle\n}\n\xe2\x82", "0xe2"},
    {"E027", 3, 45, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) [label=\"\xff\"]\n}\n",
     NULL},
    /* A file whose first line ends in a lone CR. */
    {"E028", 1, 4, "A {\rn1: circle\r}\r", "LF"},
    {"E028", 1, 5, "// x\rA {\rn1: circle\r}\r", "CR"},
};

static void test_parser_reports_each_error_with_code_position_and_hint(void **state)
{
    int failures = 0;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const error_case *c = &error_cases[i];
        fixture *f = parse(state, c->src);
        assert_non_null(f->g);
        int found = 0;
        for (uint32_t k = 0; k < fz_diags_count(&f->d); k++) {
            const fz_diag *dg = fz_diags_at(&f->d, k);
            uint32_t line = 0, col = 0;
            fz_graph_position(f->g, dg->offset, &line, &col);
            if (strcmp(dg->code, c->code) != 0 || line != c->line || col != c->col)
                continue;
            found = 1;
            assert_non_null(fz_code_find(dg->code));
            assert_true(strlen(dg->message) > 0);
            if (c->hint_part && !strstr(dg->message, c->hint_part) &&
                (!dg->hint || !strstr(dg->hint, c->hint_part)))
                fail_msg("case %zu (%s): message '%s' and hint '%s' lack '%s'", i, c->code,
                         dg->message, dg->hint ? dg->hint : "(none)", c->hint_part);
            assert_int_equal(dg->severity, c->code[0] == 'E' ? FZ_SEV_ERROR : FZ_SEV_WARNING);
        }
        if (!found) {
            dump_diags(f);
            print_message("case %zu: no %s at %u:%u in:\n%s\n", i, c->code, c->line, c->col,
                          c->src);
            failures++;
            continue;
        }
        if (c->code[0] == 'E')
            assert_int_equal(f->rc, FZ_EPARSE);
        else
            assert_int_equal(f->rc, FZ_OK);
    }
    assert_int_equal(failures, 0);
}

/* One E027 per line (the first bad byte), well-formed UTF-8 accepted, and
 * CR-only files stopped at one E028 while CR LF and a stray CR inside a
 * line still parse. */
static void test_parser_invalid_utf8_is_one_error_per_line(void **state)
{
    fixture *f = parse(state, "A {\nn1: circle label:\"\xff\xfe \xe9\"\nn2: circle "
                              "label:\"\xe9\"\n}\n");
    assert_int_equal(f->rc, FZ_EPARSE);
    assert_int_equal(f->d.errors, 2);
    for (uint32_t k = 0; k < fz_diags_count(&f->d); k++)
        assert_string_equal(fz_diags_at(&f->d, k)->code, "E027");
    fixture *ok = parse_ok(state, "A { # Caf\xc3\xa9 \xe2\x9c\x93\nn1: circle "
                                  "label:\"\xf0\x9f\x9a\x80 D\xc3\xa9ploy\"\n}\n");
    assert_int_equal(ok->d.errors, 0);

    /* A NUL byte would cut the label short in every C string: E027. */
    static const char nul[] = "A {\nn1: circle label:\"Deploy a\0b\"\n}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("t.fz", nul, sizeof nul - 1, NULL, &d, &g), FZ_EPARSE);
    assert_int_equal(d.errors, 1);
    assert_string_equal(fz_diags_at(&d, 0)->code, "E027");
    assert_int_equal(fz_diags_at(&d, 0)->offset, (uint32_t)strlen(nul));
    assert_non_null(strstr(fz_diags_at(&d, 0)->message, "NUL"));
    fz_graph_free(g);
    fz_diags_fini(&d);
}

/* A token quoted in a message is cut between characters, never inside
 * one (main cut "é" in two, and `check --json` failed with "out of
 * memory"). */
static void test_parser_messages_cut_quoted_text_between_characters(void **state)
{
    fixture *f = parse(state, "A {\nn1: circle\nn1.handle(right) -> n1.handle(left) "
                              "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                              "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"\n}\n");
    assert_int_equal(f->rc, FZ_EPARSE);
    assert_true(fz_diags_count(&f->d) >= 1);
    for (uint32_t k = 0; k < fz_diags_count(&f->d); k++) {
        const char *m = fz_diags_at(&f->d, k)->message;
        assert_int_equal(fz_utf8_check(m, strlen(m)), strlen(m));
        assert_null(strstr(m, "\xef\xbf\xbd")); /* cut cleanly, not repaired */
    }
}

static void test_parser_cr_only_file_is_one_error(void **state)
{
    fixture *f = parse(state, "A {\rn1: circle\rn2: circle\rn1.handle(right) -> n3\r}\r");
    assert_int_equal(f->rc, FZ_EPARSE);
    assert_int_equal(fz_diags_count(&f->d), 1);
    assert_string_equal(fz_diags_at(&f->d, 0)->code, "E028");
    fixture *crlf = parse_ok(state, "A {\r\nn1: circle label:\"a\rb\"\r\n}\r\n");
    assert_int_equal(crlf->d.errors, 0);
    fixture *stray = parse_ok(state, "A {\nn1: circle\r \n}\r\n");
    assert_int_equal(stray->d.errors, 0);
}

static void test_parser_every_code_has_an_explanation(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const fz_code_info *c = fz_code_find(error_cases[i].code);
        assert_non_null(c);
        assert_true(strlen(c->explain) > 20);
    }
    assert_non_null(fz_code_find("e002"));
    assert_null(fz_code_find("E999"));
}

static void test_parser_recovers_and_reports_every_error(void **state)
{
    fixture *f = parse(state, "A {\n"
                              "n1: rect\n"
                              "n2 -> n1\n"
                              "# note\n"
                              "n3: circle label:\"x\n"
                              "n1.handle(up) -> n3.handle(left)\n"
                              "n4: circle\n"
                              "n4.handle(right) -> n1.handle(left)\n"
                              "}\n");
    assert_int_equal(f->rc, FZ_EPARSE);
    assert_int_equal(f->d.errors, 5);
    /* The lines after the errors were still read. */
    assert_int_equal(fz_graph_edge_count(f->g), 1);
    assert_true(fz_graph_node(f->g, node(f, "n3"))->flags & FZ_NODE_DEFINED);
    assert_true(f->g->finished);
}

static void test_parser_nested_lane_names_the_opener(void **state)
{
    fixture *f = parse(state, "Outer { # O\nn1: circle\n\nInner {\nn2: circle\n}\n");
    /* Inner lacks nothing; Outer lacks its '}': two errors, both naming line 1. */
    assert_int_equal(f->d.errors, 2);
    const fz_diag *a = fz_diags_at(&f->d, 0), *b = fz_diags_at(&f->d, 1);
    assert_string_equal(a->code, "E011");
    assert_non_null(strstr(a->message, "line 1"));
    assert_int_equal(a->related, 0);
    assert_string_equal(b->code, "E010");
    assert_non_null(strstr(b->message, "line 1"));
    /* Nodes of the inner lane belong to it. */
    assert_string_equal(lane_id(f, fz_graph_node(f->g, node(f, "n2"))->lane), "Inner");
}

static void test_parser_stops_after_too_many_errors(void **state)
{
    char *src = malloc(64 * 1024);
    assert_non_null(src);
    size_t at = 0;
    for (int i = 0; i < 1000; i++)
        at += (size_t)sprintf(src + at, "# %d\n", i);
    src[at] = '\0';
    fixture *f = parse(state, src);
    free(src);
    assert_int_equal(f->rc, FZ_EPARSE);
    assert_int_equal(f->d.errors, 200);
    assert_string_equal(fz_diags_at(&f->d, fz_diags_count(&f->d) - 1)->code, "E026");
}

static void test_parser_many_slips_are_counted_not_all_listed(void **state)
{
    char *src = malloc(64 * 1024);
    assert_non_null(src);
    size_t at = (size_t)sprintf(src, "A {\n");
    for (int i = 1; i <= 500; i++)
        at += (size_t)sprintf(src + at, "n%d: rectangle label=\"x\"\n", i);
    sprintf(src + at, "}\n");
    fixture *f = parse(state, src);
    free(src);
    assert_int_equal(f->rc, FZ_OK);
    assert_int_equal(f->d.warnings, 200);
    const fz_diag *last = fz_diags_at(&f->d, fz_diags_count(&f->d) - 1);
    assert_string_equal(last->code, "W000");
    assert_non_null(strstr(last->message, "300"));
}

/*==========================================================================
 * Files and memory
 *========================================================================*/

static void test_parser_file_missing_is_enoent(void **state)
{
    fixture *f = *state;
    assert_int_equal(fz_parse_file("/nonexistent/x.fz", NULL, &f->d, &f->g), FZ_ENOENT);
    assert_null(f->g);
    assert_int_equal(fz_parse_file("/", NULL, &f->d, &f->g), FZ_EIO);
    assert_null(f->g);
}

/* Writes a valid workflow of about size bytes to path; returns its length. */
static size_t write_big(const char *path, size_t size, int pad)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    size_t at = (size_t)fprintf(fp, "Big {\n");
    int i = 1;
    while (at < size - 200) {
        at += (size_t)fprintf(
            fp, "n%d: rectangle label:\"step %d\"\nn%d.handle(right) -> n%d.handle(left)\n", i, i,
            i, i + 1);
        i++;
    }
    at += (size_t)fprintf(fp, "n%d: circle\n}\n", i);
    while (pad && at < size) {
        fputc('\n', fp);
        at++;
    }
    fclose(fp);
    return at;
}

static void test_parser_big_files_are_mapped_or_read_alike(void **state)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/test_parser_big_%d.fz", FZ_BUILD_DIR, (int)getpid());
    /* 2 MiB + 100 is mapped; exactly 2 MiB (a page multiple) is read. */
    size_t sizes[] = {(2u << 20) + 100, 2u << 20};
    for (int k = 0; k < 2; k++) {
        size_t len = write_big(path, sizes[k], 1);
        assert_int_equal(len, sizes[k]);
        fixture *f = *state;
        fz_graph_free(f->g);
        f->g = NULL;
        int rc = fz_parse_file(path, NULL, &f->d, &f->g);
        assert_int_equal(rc, FZ_OK);
        assert_int_equal(f->g->src_len, len);
        assert_int_equal(f->g->src[len], '\0');
        assert_int_equal(f->g->src_mapped, k == 0);
        assert_true(fz_graph_node_count(f->g) > 20000);
    }
    unlink(path);
}

/* A mapped file truncated after the parse (another program rewrote it):
 * reading the text, linting and printing positions must not crash; the
 * lost pages read as zeros and the guard says so. */
static void test_parser_mapped_file_truncated_later_reads_zeros(void **state)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/test_parser_trunc_%d.fz", FZ_BUILD_DIR, (int)getpid());
    size_t len = write_big(path, (2u << 20) + 100, 1);
    fixture *f = *state;
    int rc = fz_parse_file(path, NULL, &f->d, &f->g);
    assert_int_equal(rc, FZ_OK);
    assert_int_equal(f->g->src_mapped, 1);
    assert_int_equal(fz_fmap_lost(f->g->src_owner), 0);
    assert_int_equal(truncate(path, 0), 0);
    unsigned sum = 0;
    for (size_t i = 0; i < len; i += 512)
        sum += (unsigned char)f->g->src[i];
    assert_int_equal(sum, 0); /* every page is past the new end */
    assert_int_equal(fz_fmap_lost(f->g->src_owner), 1);
    fz_diags ld;
    fz_diags_init(&ld, NULL);
    assert_int_equal(fz_lint(f->g, &ld), FZ_OK);
    uint32_t line = 0, col = 0;
    assert_int_equal(fz_graph_position(f->g, (uint32_t)len - 1, &line, &col), FZ_OK);
    fz_diags_fini(&ld);
    unlink(path);
}

/* The guard itself: a mapping cut short by truncate() reads zeros past the
 * new end and keeps the bytes before it. */
static void test_parser_fmap_guard_answers_sigbus_with_zeros(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/test_fmap_%d.bin", FZ_BUILD_DIR, (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 3 * 4096 + 10; i++)
        fputc('x', fp);
    fclose(fp);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    const void *map = NULL;
    assert_int_equal(fz_fmap_open(fd, 3 * 4096 + 10, &map), FZ_OK);
    close(fd);
    assert_int_equal(truncate(path, 4096), 0);
    const volatile char *b = map;
    assert_int_equal(b[0], 'x');
    assert_int_equal(b[4095], 'x');
    assert_int_equal(b[4096], 0);
    assert_int_equal(b[3 * 4096 + 9], 0);
    assert_int_equal(fz_fmap_lost(map), 1);
    fz_fmap_close(map, 3 * 4096 + 10);
    unlink(path);
}

static void test_parser_oom_at_every_allocation_fails_cleanly(void **state)
{
    (void)state;
    const char *src = "// comment\n"
                      "A { # Lane A\n"
                      "n1: circle label:\"Start\"\n"
                      "n2: taskbox owner:\"x\" description:\"say \\\"y\\\"\" system:\"z\"\n"
                      "n1.handle(right) -> n2.handle(left) [label=\"go \\\\ now\"]\n"
                      "n2.handle(bottom) -> B.n3.handle(top)\n"
                      "loop [retry 2] n1 n2 n3\n"
                      "}\n"
                      "B {\n"
                      "n3: diamond label=\"ok?\"\n"
                      "start: rect\n"
                      "n3.handle(right) -> C.n1.handle(left)\n"
                      "n3.handle(right) -> n99.handle(left)\n"
                      "}\n";
    uint64_t n;
    for (n = 1;; n++) {
        fz_test_alloc ta;
        fz_test_alloc_init(&ta, n);
        fz_diags d;
        fz_diags_init(&d, &ta.hook);
        fz_graph *g = NULL;
        int rc = fz_parse_mem("oom.fz", src, strlen(src), &ta.hook, &d, &g);
        if (ta.injected == 0) {
            assert_int_equal(rc, FZ_EPARSE);
            fz_graph_free(g);
            fz_diags_fini(&d);
            assert_int_equal(ta.live, 0);
            break;
        }
        assert_true(rc == FZ_ENOMEM || rc == FZ_EPARSE);
        fz_graph_free(g);
        fz_diags_fini(&d);
        assert_int_equal(ta.live, 0);
        assert_int_equal(ta.live_bytes, 0);
    }
    assert_true(n > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_parser_reads_the_canary_workflow),
        T(test_parser_resolves_forward_references_and_late_nodes),
        T(test_parser_accepts_edges_in_the_target_lane_and_own_prefix),
        T(test_parser_accepts_top_level_edges_and_loops_over_lanes),
        T(test_parser_keeps_repeated_edges_between_two_nodes),
        T(test_parser_labels_hold_any_text),
        T(test_parser_unescapes_strings_into_the_pool),
        T(test_parser_accepts_crlf_blank_lines_comments_and_no_indent),
        T(test_parser_skips_a_utf8_byte_order_mark),
        T(test_parser_takes_a_lane_label_from_the_next_line),
        T(test_parser_lane_without_label_uses_its_id),
        T(test_parser_reads_taskbox_attributes_in_order),
        T(test_parser_accepts_colon_equals_slips_with_warnings),
        T(test_parser_finds_every_id_through_the_graph_map),
        T(test_parser_reports_each_error_with_code_position_and_hint),
        T(test_parser_invalid_utf8_is_one_error_per_line),
        T(test_parser_cr_only_file_is_one_error),
        T(test_parser_messages_cut_quoted_text_between_characters),
        T(test_parser_every_code_has_an_explanation),
        T(test_parser_recovers_and_reports_every_error),
        T(test_parser_nested_lane_names_the_opener),
        T(test_parser_stops_after_too_many_errors),
        T(test_parser_many_slips_are_counted_not_all_listed),
        T(test_parser_file_missing_is_enoent),
        T(test_parser_big_files_are_mapped_or_read_alike),
        T(test_parser_mapped_file_truncated_later_reads_zeros),
        T(test_parser_fmap_guard_answers_sigbus_with_zeros),
        T(test_parser_oom_at_every_allocation_fails_cleanly),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
