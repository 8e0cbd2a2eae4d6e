/* SPDX-License-Identifier: MIT */
/* test_export.c - FlowZap export_graph JSON (parsed back with jansson) and
 * DOT output. */
#include "tests/support/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/status.h"
#include "parser/export.h"
#include "parser/parser.h"

static fz_graph *load(const char *rel)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_file(fz_test_src(rel), NULL, &d, &g), 0);
    fz_diags_fini(&d);
    return g;
}

static fz_graph *load_text(const char *src)
{
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("t.fz", src, strlen(src), NULL, &d, &g), 0);
    fz_diags_fini(&d);
    return g;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_int_t num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* The JSON text, dumped and parsed back, as a tool reading it would. */
static json_t *export_roundtrip(fz_graph *g, unsigned flags)
{
    json_t *root = NULL;
    assert_int_equal(fz_export_json(g, flags, &root), 0);
    char *text = json_dumps(root, JSON_INDENT(2));
    assert_non_null(text);
    json_decref(root);
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    free(text);
    assert_non_null(back);
    return back;
}

static void test_export_canary_has_flowzap_shape(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/canary-deploy.fz");
    json_t *j = export_roundtrip(g, 0);
    const char *top[] = {"lanes", "nodes", "edges", "stats", "x-flowzap"};
    void *it = json_object_iter(j);
    for (size_t i = 0; i < 5; i++, it = json_object_iter_next(j, it)) {
        assert_non_null(it);
        assert_string_equal(json_object_iter_key(it), top[i]);
    }
    json_t *lanes = json_object_get(j, "lanes");
    assert_int_equal(json_array_size(lanes), 3);
    json_t *l0 = json_array_get(lanes, 0);
    assert_string_equal(str(l0, "id"), "Deployment");
    assert_string_equal(str(l0, "label"), "Deployment Pipeline");
    assert_string_equal(str(l0, "type"), "system");

    json_t *nodes = json_object_get(j, "nodes");
    assert_int_equal(json_array_size(nodes), 20);
    json_t *n1 = json_array_get(nodes, 0), *n5 = json_array_get(nodes, 4);
    assert_string_equal(str(n1, "id"), "n1");
    assert_string_equal(str(n1, "laneId"), "Deployment");
    assert_string_equal(str(n1, "label"), "Start");
    assert_string_equal(str(n1, "kind"), "start");
    assert_string_equal(str(n1, "shape"), "circle");
    assert_null(json_object_get(n1, "properties"));
    assert_string_equal(str(n5, "kind"), "end");
    json_t *n9 = json_array_get(nodes, 8);
    assert_string_equal(str(n9, "id"), "n9");
    assert_string_equal(str(n9, "kind"), "decision");
    assert_string_equal(str(n9, "laneId"), "CanaryController");
    json_t *x = json_object_get(n9, "x-flowzap");
    assert_int_equal(num(x, "line"), 16);
    assert_int_equal(num(x, "column"), 1);

    json_t *edges = json_object_get(j, "edges");
    assert_int_equal(json_array_size(edges), 22);
    json_t *e1 = json_array_get(edges, 0), *e3 = json_array_get(edges, 2);
    assert_string_equal(str(e1, "id"), "e1");
    assert_null(json_object_get(e1, "label"));
    assert_string_equal(str(e3, "id"), "e3");
    assert_string_equal(str(e3, "from"), "n3");
    assert_string_equal(str(e3, "to"), "n6");
    assert_string_equal(str(e3, "fromLane"), "Deployment");
    assert_string_equal(str(e3, "toLane"), "CanaryController");
    assert_string_equal(str(e3, "label"), "Deploy canary");
    assert_string_equal(str(e3, "sourceHandle"), "bottom");
    assert_string_equal(str(e3, "targetHandle"), "top");
    assert_string_equal(str(json_object_get(e3, "x-flowzap"), "writtenIn"), "Deployment");

    json_t *stats = json_object_get(j, "stats");
    assert_int_equal(num(stats, "laneCount"), 3);
    assert_int_equal(num(stats, "nodeCount"), 20);
    assert_int_equal(num(stats, "edgeCount"), 22);
    assert_int_equal(num(stats, "crossLaneEdges"), 5);
    json_decref(j);
    fz_graph_free(g);
}

static void test_export_taskbox_properties_and_attributes_in_order(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/taskbox.fz");
    json_t *j = export_roundtrip(g, 0);
    json_t *nodes = json_object_get(j, "nodes");
    json_t *n2 = json_array_get(nodes, 1), *n3 = json_array_get(nodes, 2),
           *n4 = json_array_get(nodes, 3);
    assert_string_equal(str(n2, "kind"), "task");
    assert_string_equal(str(n2, "label"), "Review invoice|Check PO|Check amount");
    json_t *p = json_object_get(n2, "properties");
    assert_string_equal(str(p, "owner"), "Alice");
    assert_string_equal(str(p, "system"), "SAP");
    assert_string_equal(str(p, "description"), "Match invoice to purchase order");
    /* Without a label, the description is the label. */
    assert_string_equal(str(n3, "label"), "Approve payment run");
    /* A plain node's system attribute is no FlowZap property... */
    assert_null(json_object_get(n4, "properties"));
    /* ...but flowzap keeps every attribute, in order. */
    json_t *attrs = json_object_get(json_object_get(n4, "x-flowzap"), "attributes");
    assert_int_equal(json_array_size(attrs), 2);
    assert_string_equal(str(json_array_get(attrs, 0), "key"), "label");
    assert_string_equal(str(json_array_get(attrs, 1), "key"), "system");
    assert_string_equal(str(json_array_get(attrs, 1), "value"), "Bank portal");
    json_decref(j);
    fz_graph_free(g);
}

static void test_export_nodes_come_in_declaration_order(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/forward-refs.fz");
    json_t *j = export_roundtrip(g, 0);
    json_t *nodes = json_object_get(j, "nodes");
    const char *want[] = {"n1", "n3", "n5", "n2", "n4"};
    assert_int_equal(json_array_size(nodes), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(str(json_array_get(nodes, i), "id"), want[i]);
    json_decref(j);
    fz_graph_free(g);
}

static void test_export_loops_and_plain_mode(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/multi-lane-loop.fz");
    json_t *j = export_roundtrip(g, 0);
    json_t *loops = json_object_get(json_object_get(j, "x-flowzap"), "loops");
    assert_int_equal(json_array_size(loops), 1);
    json_t *lp = json_array_get(loops, 0);
    assert_string_equal(str(lp, "condition"), "retry up to 3 times");
    assert_int_equal(num(lp, "bound"), 3);
    assert_string_equal(str(lp, "writtenIn"), "Client");
    json_t *ln = json_object_get(lp, "nodes");
    assert_int_equal(json_array_size(ln), 4);
    assert_string_equal(json_string_value(json_array_get(ln, 0)), "n3");
    json_decref(j);

    /* --plain: FlowZap's shape only, nothing of ours anywhere. */
    json_t *root = NULL;
    assert_int_equal(fz_export_json(g, FZ_EXPORT_PLAIN, &root), 0);
    char *text = json_dumps(root, 0);
    assert_null(strstr(text, "x-flowzap"));
    free(text);
    json_decref(root);
    fz_graph_free(g);
}

static void test_export_json_is_deterministic(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/labels.fz");
    json_t *a = NULL, *b = NULL;
    assert_int_equal(fz_export_json(g, 0, &a), 0);
    assert_int_equal(fz_export_json(g, 0, &b), 0);
    char *ta = json_dumps(a, JSON_INDENT(2)), *tb = json_dumps(b, JSON_INDENT(2));
    assert_string_equal(ta, tb);
    /* Non-ASCII and quotes survive as text. */
    assert_non_null(strstr(ta, "No \xE2\x86\x92 Manual review (a+b=c)"));
    assert_non_null(strstr(ta, "Signed: \\\"yes\\\""));
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
    fz_graph_free(g);
}

static void test_export_lane_types_guessed_from_words(void **state)
{
    (void)state;
    fz_graph *g = load_text("Customer {\nn1: circle label:\"a\"\n}\n"
                            "Backend { # Backend service\nn2: circle label:\"b\"\n}\n"
                            "Kitchen {\nn3: circle label:\"c\"\n}\n"
                            "UserService {\nn4: circle label:\"d\"\n}\n"
                            "L5 { # End users\nn5: circle label:\"e\"\n}\n"
                            "Approvals {\nn6: circle label:\"f\"\n}\n");
    const fz_lane_type want[] = {FZ_LANE_ACTOR, FZ_LANE_SYSTEM, FZ_LANE_UNKNOWN,
                                 FZ_LANE_SYSTEM, FZ_LANE_ACTOR, FZ_LANE_UNKNOWN};
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(fz_export_lane_type(g, i), want[i]);
    assert_string_equal(fz_lane_type_name(FZ_LANE_SYSTEM), "system");
    fz_graph_free(g);
}

static void test_export_dot_clusters_lanes_and_sets_ports(void **state)
{
    (void)state;
    fz_graph *g = load("workflows/canary-deploy.fz");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fz_export_dot(g, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "digraph \"canary-deploy\" {"));
    assert_non_null(strstr(buf, "subgraph \"cluster_Deployment\" {\n    label=\"Deployment Pipeline\";"));
    assert_non_null(strstr(buf, "\"n9\" [label=\"Metrics healthy?\", shape=diamond];"));
    assert_non_null(strstr(buf, "\"n3\" -> \"n6\" [id=\"e3\", tailport=s, headport=n, "
                                "label=\"Deploy canary\"];"));
    /* n6 is declared inside its lane's cluster, after the Deployment one. */
    assert_true(strstr(buf, "\"n6\" [") > strstr(buf, "cluster_CanaryController"));
    free(buf);
    fz_graph_free(g);

    g = load_text("A { # Say \"hi\" \\ bye\nn1: taskbox label:\"a|b\" owner:\"Ann\"\n"
                  "n2: circle label:\"x\"\nn1.handle(right) -> n2.handle(left) [label=\"q\\\"\"]\n"
                  "loop [retry 2] n1 n2\n}\n");
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(fz_export_dot(g, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "label=\"Say \\\"hi\\\" \\\\ bye\";"));
    assert_non_null(strstr(buf, "\"n1\" [label=\"a\\nb\\n(Ann)\", shape=box, style=rounded];"));
    assert_non_null(strstr(buf, "label=\"q\\\"\"];"));
    assert_non_null(strstr(buf, "  // loop [retry 2] n1 n2\n"));
    free(buf);
    fz_graph_free(g);
}

static void test_export_invalid_utf8_becomes_replacement_character(void **state)
{
    (void)state;
    /* The parser refuses such a file (E027); export does not rely on it and
     * still writes the graph the parser built as well-formed UTF-8. */
    const char *src = "A {\nn1: circle label:\"bad \xff\xc0\xaf byte\"\n"
                      "n2: circle label:\"End\"\nn1.handle(right) -> n2.handle(left)\n}\n";
    fz_diags d;
    fz_diags_init(&d, NULL);
    fz_graph *g = NULL;
    assert_int_equal(fz_parse_mem("t.fz", src, strlen(src), NULL, &d, &g), FZ_EPARSE);
    assert_string_equal(fz_diags_at(&d, 0)->code, "E027");
    fz_diags_fini(&d);
    assert_non_null(g);
    json_t *j = export_roundtrip(g, 0);
    json_t *n1 = json_array_get(json_object_get(j, "nodes"), 0);
    assert_string_equal(str(n1, "label"), "bad \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD byte");
    json_decref(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fz_export_dot(g, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "label=\"bad \xEF\xBF\xBD"));
    assert_null(strstr(buf, "\xff"));
    free(buf);
    fz_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_canary_has_flowzap_shape),
        cmocka_unit_test(test_export_taskbox_properties_and_attributes_in_order),
        cmocka_unit_test(test_export_nodes_come_in_declaration_order),
        cmocka_unit_test(test_export_loops_and_plain_mode),
        cmocka_unit_test(test_export_json_is_deterministic),
        cmocka_unit_test(test_export_lane_types_guessed_from_words),
        cmocka_unit_test(test_export_dot_clusters_lanes_and_sets_ports),
        cmocka_unit_test(test_export_invalid_utf8_becomes_replacement_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
