/* SPDX-License-Identifier: MIT */
/* test_graph.c - the graph model's own storage: pool, ids, adjacency. */
#include "tests/support/support.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "parser/graph.h"

static void test_graph_pool_grows_in_proportion_to_its_strings(void **state)
{
    (void)state;
    fz_graph *g = NULL;
    assert_int_equal(fz_graph_new(NULL, &g), 0);
    char buf[32];
    uint64_t total = 0;
    fz_span spans[2000];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(buf, sizeof buf, "label %d", i);
        assert_int_equal(fz_graph_pool_add(g, buf, (uint32_t)n, &spans[i]), 0);
        total += (uint64_t)n + 1;
    }
    assert_true(g->pool.len == total);
    assert_true(g->pool.cap <= 4 * total + 64);
    for (int i = 0; i < 2000; i += 97) {
        int n = snprintf(buf, sizeof buf, "label %d", i);
        assert_int_equal(spans[i].len, n);
        assert_memory_equal(fz_graph_text(g, spans[i]), buf, (size_t)n);
    }
    fz_graph_free(g);
}

static void test_graph_adjacency_keeps_file_order(void **state)
{
    (void)state;
    static const char src[] = "n1n2n3";
    fz_graph *g = NULL;
    assert_int_equal(fz_graph_new(NULL, &g), 0);
    assert_int_equal(fz_graph_set_source(g, "t.fz", src, sizeof src - 1, NULL, 0), 0);
    uint32_t a, b, c;
    assert_int_equal(fz_graph_node_ref(g, (fz_span){0, 2}, 0, &a), 0);
    assert_int_equal(fz_graph_node_ref(g, (fz_span){2, 2}, 2, &b), 0);
    assert_int_equal(fz_graph_node_ref(g, (fz_span){4, 2}, 4, &c), 0);
    uint32_t again = 99;
    assert_int_equal(fz_graph_node_ref(g, (fz_span){2, 2}, 2, &again), 0);
    assert_int_equal(again, b);
    const uint32_t ends[][2] = {{a, c}, {a, b}, {b, c}, {a, c}};
    for (int i = 0; i < 4; i++) {
        fz_edge *e = fz_graph_add_edge(g);
        assert_non_null(e);
        e->src = ends[i][0];
        e->dst = ends[i][1];
    }
    assert_int_equal(fz_graph_finish(g), 0);
    uint32_t n = 0;
    const uint32_t *out = fz_graph_out(g, a, &n);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 3);
    const uint32_t *in = fz_graph_in(g, c, &n);
    assert_int_equal(n, 3);
    assert_int_equal(in[0], 0);
    assert_int_equal(in[1], 2);
    assert_int_equal(in[2], 3);
    assert_int_equal(fz_graph_find_node(g, "n3", 2), c);
    assert_int_equal(fz_graph_find_node(g, "n4", 2), FZ_NONE);
    fz_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_pool_grows_in_proportion_to_its_strings),
        cmocka_unit_test(test_graph_adjacency_keeps_file_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
