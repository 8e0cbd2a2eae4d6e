/* SPDX-License-Identifier: MIT */
/*
 * report_json.c - the JSON report of a simulation study (docs/sim.md,
 * jansson): written by `sim --json`, read back by `sim merge` and `render
 * --heat`. The "merge" member holds every counter, so a report read back
 * merges exactly; what it reads is checked field by field and the first
 * bad field is named.
 */
#include "sim/report.h"
#include "sim/report_int.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

/*==========================================================================
 * JSON
 *========================================================================*/

static json_t *jstrn(const char *s, size_t len)
{
    return json_stringn_nocheck(s, len);
}

/* A sum of nanoseconds: an integer up to 2^63-1, else its decimal text. */
static json_t *json_u128(u128 v)
{
    if (v <= (u128)INT64_MAX)
        return json_integer((json_int_t)v);
    char buf[48];
    return json_string(fz__report_u128_text(buf, sizeof buf, v));
}

static json_t *node_id_json(const fz_report *r, uint32_t n)
{
    const fz_node *nd = fz_graph_node(r->g, n);
    return jstrn(fz_graph_text(r->g, nd->id), nd->id.len);
}

static json_t *build_json(const fz_report *r)
{
    json_t *root = json_object();
    uint32_t *oi = fz__report_sorted(r, 0), *pi = fz__report_sorted(r, 1);
    if (!root || !oi || !pi)
        goto fail;
    json_object_set_new(root, "format", json_string("flowzap-sim-report"));
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "workflow", json_string(r->meta.workflow));
    json_object_set_new(root, "hash", json_string(r->meta.hash));
    json_object_set_new(root, "faults", json_string(r->meta.faults));
    json_object_set_new(root, "scenario", json_string(r->meta.scenario));
    json_object_set_new(root, "seed", json_integer((json_int_t)r->meta.seed));
    json_object_set_new(root, "runs", json_integer((json_int_t)r->runs));
    json_object_set_new(root, "first_run", json_integer((json_int_t)(r->runs ? r->first : 0)));
    json_object_set_new(root, "last_run", json_integer((json_int_t)r->last));

    if (r->shape.by_end)
        json_object_set_new(root, "outcomes_by", json_string("end"));
    json_t *outs = json_array();
    for (uint32_t i = 0; i < r->outcomes.len; i++) {
        const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oi[i]);
        double lo, hi;
        fz_report_wilson(o->count, r->runs, &lo, &hi);
        json_t *jo = json_object();
        json_object_set_new(jo, "outcome", json_string(o->name));
        json_object_set_new(jo, "state", json_string(fz__report_state_name(o->state)));
        json_object_set_new(jo, "count", json_integer((json_int_t)o->count));
        json_object_set_new(jo, "share", json_real(r->runs ? (double)o->count / r->runs : 0));
        json_object_set_new(jo, "ci95", json_pack("[ff]", lo, hi));
        json_object_set_new(jo, "first_run", json_integer((json_int_t)o->first));
        json_object_set_new(jo, "fewest_faults_run", json_integer((json_int_t)o->best));
        json_object_set_new(jo, "fewest_faults", json_integer((json_int_t)o->best_faults));
        json_array_append_new(outs, jo);
    }
    json_object_set_new(root, "outcomes", outs);

    json_t *dur = json_object();
    json_object_set_new(dur, "p50", json_real(fz_report_duration_quantile(r, 0.5) / 1e6));
    json_object_set_new(dur, "p90", json_real(fz_report_duration_quantile(r, 0.9) / 1e6));
    json_object_set_new(dur, "p99", json_real(fz_report_duration_quantile(r, 0.99) / 1e6));
    json_object_set_new(dur, "max", json_real(r->dur_max / 1e6));
    json_object_set_new(dur, "mean",
                        json_real(r->runs ? (double)r->dur_sum / r->runs / 1e6 : 0));
    json_object_set_new(root, "duration_ms", dur);

    json_t *nodes = json_object();
    json_t *unvisited = json_array();
    for (uint32_t n = 0; n < r->nn; n++) {
        const fz_node *nd = fz_graph_node(r->g, n);
        json_t *jn = json_object();
        json_object_set_new(jn, "label", jstrn(fz_graph_text(r->g, nd->label), nd->label.len));
        json_object_set_new(jn, "visits", json_integer((json_int_t)r->hot.node_visits[n]));
        json_object_set_new(jn, "runs", json_integer((json_int_t)r->hot.node_runs[n]));
        json_object_set_new(jn, "failures", json_integer((json_int_t)r->hot.node_fail[n]));
        json_object_set_new(jn, "time_ns", json_u128(fz__report_node_time(r, n)));
        json_object_set_new(jn, "time_ms", json_real((double)fz__report_node_time(r, n) / 1e6));
        json_object_setn_new(nodes, fz_graph_text(r->g, nd->id), nd->id.len, jn);
        if (!r->hot.node_runs[n])
            json_array_append_new(unvisited, node_id_json(r, n));
    }
    json_object_set_new(root, "nodes", nodes);
    json_t *edges = json_object();
    json_t *untaken = json_array();
    for (uint32_t e = 0; e < r->ne; e++) {
        const fz_edge *ed = fz_graph_edge(r->g, e);
        char eid[16];
        snprintf(eid, sizeof eid, "e%u", e + 1);
        json_t *je = json_object();
        json_object_set_new(je, "from", node_id_json(r, ed->src));
        json_object_set_new(je, "to", node_id_json(r, ed->dst));
        if (ed->label.len)
            json_object_set_new(je, "label", jstrn(fz_graph_text(r->g, ed->label), ed->label.len));
        json_object_set_new(je, "traversals", json_integer((json_int_t)r->edge_trav[e]));
        json_object_set_new(je, "runs", json_integer((json_int_t)r->edge_runs[e]));
        json_object_set_new(edges, eid, je);
        if (!r->edge_runs[e])
            json_array_append_new(untaken, json_string(eid));
    }
    json_object_set_new(root, "edges", edges);
    json_t *cov = json_object();
    json_object_set_new(cov, "nodes", json_real(fz_report_node_coverage(r)));
    json_object_set_new(cov, "edges", json_real(fz_report_edge_coverage(r)));
    json_object_set_new(cov, "unvisited_nodes", unvisited);
    json_object_set_new(cov, "untaken_edges", untaken);
    json_object_set_new(root, "coverage", cov);

    json_t *paths = json_array();
    for (uint32_t i = 0; i < r->paths.len; i++) {
        const path *p = &FZ_VEC_AT(&r->paths, path, pi[i]);
        json_t *jp = json_object(), *ns = json_array();
        const uint32_t *nodes_of = (const uint32_t *)r->path_nodes.data + p->off;
        for (uint32_t k = 0; k < p->len; k++)
            json_array_append_new(ns, node_id_json(r, nodes_of[k]));
        json_object_set_new(jp, "nodes", ns);
        json_object_set_new(jp, "count", json_integer((json_int_t)p->count));
        json_object_set_new(jp, "share", json_real(r->runs ? (double)p->count / r->runs : 0));
        json_object_set_new(jp, "outcome",
                            json_string(FZ_VEC_AT(&r->outcomes, outcome, p->outcome).name));
        json_object_set_new(jp, "first_run", json_integer((json_int_t)p->first));
        char hx[24];
        snprintf(hx, sizeof hx, "%016" PRIx64, p->hash);
        json_object_set_new(jp, "hash", json_string(hx));
        json_array_append_new(paths, jp);
    }
    json_object_set_new(root, "paths", paths);
    json_object_set_new(root, "paths_other", json_integer((json_int_t)r->paths_other));
    if (r->shape.path_max_len != UINT32_MAX)
        json_object_set_new(root, "paths_max_len", json_integer(r->shape.path_max_len));

    json_t *faults = json_array();
    for (uint32_t i = 0; i < r->outcomes.len; i++)
        for (uint32_t n = 0; n < r->nn; n++)
            for (uint32_t k = 0; k < FZ_FAULT_COUNT; k++) {
                uint64_t key = fz__report_fault_key(oi[i], n, k);
                uint32_t s = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & r->fault_mask;
                while (r->faults[s].key && r->faults[s].key != key)
                    s = (s + 1) & r->fault_mask;
                if (r->faults[s].key != key)
                    continue;
                json_t *jf = json_object();
                json_object_set_new(
                    jf, "outcome", json_string(FZ_VEC_AT(&r->outcomes, outcome, oi[i]).name));
                json_object_set_new(jf, "node", node_id_json(r, n));
                json_object_set_new(jf, "kind", json_string(fz_fault_name((fz_fault_kind)k)));
                json_object_set_new(jf, "runs", json_integer((json_int_t)r->faults[s].runs));
                json_array_append_new(faults, jf);
            }
    json_object_set_new(root, "faults_by_outcome", faults);

    json_t *hist = json_array();
    for (uint32_t b = 0; b < HIST_BUCKETS; b++)
        if (r->hist[b])
            json_array_append_new(hist, json_pack("[II]", (json_int_t)b, (json_int_t)r->hist[b]));
    json_t *merge = json_object();
    json_object_set_new(merge, "duration_histogram", hist);
    json_object_set_new(merge, "duration_sum_ns", json_u128(r->dur_sum));
    json_object_set_new(merge, "duration_max_ns", json_integer((json_int_t)r->dur_max));
    json_object_set_new(root, "merge", merge);
    fz__report_sorted_free(r, 0, oi);
    fz__report_sorted_free(r, 1, pi);
    return root;
fail:
    fz__report_sorted_free(r, 0, oi);
    fz__report_sorted_free(r, 1, pi);
    json_decref(root);
    return NULL;
}

char *fz_report_json_string(const fz_report *r)
{
    json_t *j = build_json(r);
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    json_decref(j);
    return s;
}

int fz_report_write_json(const fz_report *r, FILE *out)
{
    char *s = fz_report_json_string(r);
    if (!s)
        return FZ_ENOMEM;
    int rc = fputs(s, out) < 0 || fputc('\n', out) == EOF ? FZ_EIO : 0;
    free(s); /* raw-alloc: json_dumps' buffer (jansson's allocator) */
    return rc;
}

/*==========================================================================
 * Loading a JSON report back (sim merge)
 *========================================================================*/

static int bad(char *errbuf, size_t errlen, const char *what)
{
    snprintf(errbuf, errlen, "%s", what);
    return FZ_EPARSE;
}

/* Reading numbers: the first missing or malformed field is named. */
typedef struct jctx {
    int ok;
    char field[128];
} jctx;

static void jbad(jctx *jc, const char *where, const char *key)
{
    if (jc->ok)
        snprintf(jc->field, sizeof jc->field, "%s%s%s", where, *where ? "." : "", key);
    jc->ok = 0;
}

static uint64_t jint_at(json_t *o, const char *where, const char *key, jctx *jc)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        jbad(jc, where, key);
        return 0;
    }
    return (uint64_t)json_integer_value(v);
}

#define jint(o, key, jc) jint_at(o, "", key, jc)

/* A sum of nanoseconds: an integer, or decimal text above 2^63-1. */
static u128 jsum_at(json_t *o, const char *where, const char *key, jctx *jc)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (u128)json_integer_value(v);
    const char *t = json_string_value(v);
    u128 x = 0;
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 39) {
        jbad(jc, where, key);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9' || x > (~(u128)0 - 9) / 10) {
            jbad(jc, where, key);
            return 0;
        }
        x = x * 10 + (u128)(t[i] - '0');
    }
    return x;
}

int fz_report_peek_workflow(const char *file, char *buf, size_t len, char *errbuf,
                            size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(file, 0, &je);
    if (!root) {
        snprintf(errbuf, errlen, "%d:%d: %s", je.line, je.column, je.text);
        return je.line < 0 ? FZ_EIO : FZ_EPARSE;
    }
    const char *w = json_string_value(json_object_get(root, "workflow"));
    int rc = 0;
    if (!w)
        rc = bad(errbuf, errlen, "not a flowzap sim report (no \"workflow\")");
    else
        snprintf(buf, len, "%s", w);
    json_decref(root);
    return rc;
}

/* "FIELD (detail)": names the field a part got wrong. */
static int bad_field(char *errbuf, size_t errlen, const char *where, const char *key,
                     const char *what)
{
    snprintf(errbuf, errlen, "\"%s%s%s\" %s", where, key && *where ? "." : "", key ? key : "",
             what);
    return FZ_EPARSE;
}

/* first_run <= last_run and runs fits between them. */
static int check_range(const fz_report *r, char *errbuf, size_t errlen)
{
    char what[160];
    uint64_t first = r->runs ? r->first : 0;
    if (first > r->last) {
        snprintf(what, sizeof what, "(%" PRIu64 ") is after \"last_run\" (%" PRIu64 ")", first,
                 r->last);
        return bad_field(errbuf, errlen, "first_run", NULL, what);
    }
    if (r->runs > r->last - first) {
        snprintf(what, sizeof what,
                 "(%" PRIu64 ") is more than the %" PRIu64 " run indices from \"first_run\" to "
                 "\"last_run\"",
                 r->runs, r->last - first);
        return bad_field(errbuf, errlen, "runs", NULL, what);
    }
    return 0;
}

/* The counts of a loaded part must be possible: a report that says so
 * merges into nonsense (a share above 100%, a mean beyond the maximum). */
static int check_loaded(const fz_report *r, u128 path_total, u128 hist_total, char *errbuf,
                        size_t errlen)
{
    char where[64];
    uint64_t first = r->runs ? r->first : 0;
    int rc = check_range(r, errbuf, errlen);
    if (rc)
        return rc;

    u128 total = 0;
    for (uint32_t i = 0; i < r->outcomes.len; i++) {
        const outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, i);
        snprintf(where, sizeof where, "outcomes[%u]", i);
        if (o->count == 0 || o->count > r->runs)
            return bad_field(errbuf, errlen, where, "count", "is 0 or more than \"runs\"");
        if (o->first < first || o->first >= r->last)
            return bad_field(errbuf, errlen, where, "first_run", "is outside the part's runs");
        if (o->best < first || o->best >= r->last)
            return bad_field(errbuf, errlen, where, "fewest_faults_run",
                             "is outside the part's runs");
        total += o->count;
    }
    if (r->shape.by_end ? total < r->runs : total != r->runs)
        return bad_field(errbuf, errlen, "outcomes", "count",
                         r->shape.by_end ? "values add up to less than \"runs\""
                                         : "values do not add up to \"runs\"");
    for (uint32_t n = 0; n < r->nn; n++) {
        const fz_node *nd = fz_graph_node(r->g, n);
        snprintf(where, sizeof where, "nodes.%.*s", (int)(nd->id.len < 40 ? nd->id.len : 40),
                 fz_graph_text(r->g, nd->id));
        if (r->hot.node_runs[n] > r->runs)
            return bad_field(errbuf, errlen, where, "runs", "is more than \"runs\"");
        if (r->hot.node_runs[n] > r->hot.node_visits[n])
            return bad_field(errbuf, errlen, where, "runs", "is more than its \"visits\"");
        if (r->hot.node_fail[n] > r->hot.node_visits[n])
            return bad_field(errbuf, errlen, where, "failures", "is more than its \"visits\"");
    }
    for (uint32_t e = 0; e < r->ne; e++) {
        snprintf(where, sizeof where, "edges.e%u", e + 1);
        if (r->edge_runs[e] > r->runs)
            return bad_field(errbuf, errlen, where, "runs", "is more than \"runs\"");
        if (r->edge_runs[e] > r->edge_trav[e])
            return bad_field(errbuf, errlen, where, "runs", "is more than its \"traversals\"");
    }
    if (path_total + r->paths_other != r->runs)
        return bad_field(errbuf, errlen, "paths", "count",
                         "values and \"paths_other\" do not add up to \"runs\"");
    if (hist_total != r->runs)
        return bad_field(errbuf, errlen, "merge.duration_histogram", NULL,
                         "counts do not add up to \"runs\"");
    if (r->dur_max > r->dur_sum || r->dur_sum > (u128)r->dur_max * r->runs)
        return bad_field(errbuf, errlen, "merge", "duration_sum_ns",
                         "is outside what \"runs\" runs of at most \"duration_max_ns\" can add up to");
    return 0;
}

int fz_report_load(const char *file, const fz_graph *g, const fz_alloc *alloc, fz_report **out,
                   char *errbuf, size_t errlen)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(file, 0, &je);
    if (!root) {
        snprintf(errbuf, errlen, "%d:%d: %s", je.line, je.column, je.text);
        return FZ_EPARSE;
    }
    int rc = 0;
    jctx jc = {.ok = 1, .field = ""};
    char where[96];
    fz_report *r = NULL;
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "flowzap-sim-report") != 0) {
        rc = bad(errbuf, errlen, "not a flowzap sim report (\"format\" is not flowzap-sim-report)");
        goto out;
    }
    fz_report_meta meta = {
        .workflow = json_string_value(json_object_get(root, "workflow")),
        .hash = json_string_value(json_object_get(root, "hash")),
        .faults = json_string_value(json_object_get(root, "faults")),
        .scenario = json_string_value(json_object_get(root, "scenario")),
        .seed = jint(root, "seed", &jc),
    };
    if ((rc = fz_report_new(g, &meta, alloc, &r)))
        goto out;
    r->runs = jint(root, "runs", &jc);
    r->first = jint(root, "first_run", &jc);
    r->last = jint(root, "last_run", &jc);
    if (jc.ok && (rc = check_range(r, errbuf, errlen)))
        goto out;
    json_t *by = json_object_get(root, "outcomes_by");
    if (by && !(json_is_string(by) && !strcmp(json_string_value(by), "end"))) {
        rc = bad_field(errbuf, errlen, "outcomes_by", NULL, "is not \"end\"");
        goto out;
    }
    r->shape.by_end = by != NULL;
    if (json_object_get(root, "paths_max_len")) {
        uint64_t pl = jint(root, "paths_max_len", &jc);
        r->shape.path_max_len = pl >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)pl;
    }
    if (!r->runs)
        r->first = UINT64_MAX;
    json_t *outs = json_object_get(root, "outcomes"), *v;
    size_t i;
    if (!json_is_array(outs)) {
        rc = bad(errbuf, errlen, "\"outcomes\" is missing");
        goto out;
    }
    json_array_foreach(outs, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "outcome"));
        const char *st = json_string_value(json_object_get(v, "state"));
        uint32_t oc;
        if (!name || !st) {
            rc = bad(errbuf, errlen, "an outcome lacks \"outcome\" or \"state\"");
            goto out;
        }
        if ((rc = fz__report_find_outcome(r, name, strcmp(st, "failed") ? FZ_RUN_COMPLETED : FZ_RUN_FAILED,
                               &oc)))
            goto out;
        outcome *o = &FZ_VEC_AT(&r->outcomes, outcome, oc);
        snprintf(where, sizeof where, "outcomes[%zu]", i);
        if (o->count) {
            rc = bad_field(errbuf, errlen, where, "outcome", "names an outcome listed before it");
            goto out;
        }
        o->count = jint_at(v, where, "count", &jc);
        o->first = jint_at(v, where, "first_run", &jc);
        o->best = jint_at(v, where, "fewest_faults_run", &jc);
        uint64_t bf = jint_at(v, where, "fewest_faults", &jc);
        o->best_faults = bf > UINT32_MAX ? UINT32_MAX : (uint32_t)bf;
    }
    json_t *nodes = json_object_get(root, "nodes");
    const char *key;
    json_object_foreach(nodes, key, v)
    {
        uint32_t n = fz_graph_find_node(g, key, strlen(key));
        if (n == FZ_NONE) {
            rc = bad(errbuf, errlen, "the report names a node the workflow does not have");
            goto out;
        }
        snprintf(where, sizeof where, "nodes.%.80s", key);
        r->hot.node_visits[n] = jint_at(v, where, "visits", &jc);
        r->hot.node_runs[n] = jint_at(v, where, "runs", &jc);
        r->hot.node_fail[n] = jint_at(v, where, "failures", &jc);
        fz__report_set_node_time(r, n, jsum_at(v, where, "time_ns", &jc));
    }
    json_t *edges = json_object_get(root, "edges");
    json_object_foreach(edges, key, v)
    {
        unsigned long e = key[0] == 'e' ? strtoul(key + 1, NULL, 10) : 0;
        if (e == 0 || e > r->ne) {
            rc = bad(errbuf, errlen, "the report names an edge the workflow does not have");
            goto out;
        }
        snprintf(where, sizeof where, "edges.%.80s", key);
        r->edge_trav[e - 1] = jint_at(v, where, "traversals", &jc);
        r->edge_runs[e - 1] = jint_at(v, where, "runs", &jc);
    }
    json_t *paths = json_object_get(root, "paths");
    uint32_t *buf = NULL;
    size_t bufcap = 0;
    u128 path_total = 0;
    json_array_foreach(paths, i, v)
    {
        json_t *ns = json_object_get(v, "nodes"), *nv;
        size_t k, len = json_array_size(ns);
        if (len > bufcap) {
            uint32_t *nb = fz_realloc(alloc, buf, sizeof(uint32_t) * bufcap, sizeof(uint32_t) * len);
            if (!nb) {
                fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
                rc = FZ_ENOMEM;
                goto out;
            }
            buf = nb;
            bufcap = len;
        }
        json_array_foreach(ns, k, nv)
        {
            const char *id = json_string_value(nv);
            buf[k] = id ? fz_graph_find_node(g, id, strlen(id)) : FZ_NONE;
            if (buf[k] == FZ_NONE)
                jbad(&jc, "paths", "nodes");
        }
        const char *hx = json_string_value(json_object_get(v, "hash"));
        const char *on = json_string_value(json_object_get(v, "outcome"));
        uint32_t oc = on ? fz_strmap_find(&r->outcome_map, on, (uint32_t)strlen(on)) : UINT32_MAX;
        if (!hx || oc == UINT32_MAX || !jc.ok) {
            fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
            snprintf(where, sizeof where, "paths[%zu]", i);
            rc = jc.ok ? bad_field(errbuf, errlen, where, NULL, "is malformed")
                       : bad_field(errbuf, errlen, jc.field, NULL,
                                   "is missing, negative or malformed");
            goto out;
        }
        snprintf(where, sizeof where, "paths[%zu]", i);
        uint64_t pc = jint_at(v, where, "count", &jc), pf = jint_at(v, where, "first_run", &jc);
        if (len > r->shape.path_max_len) {
            fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
            rc = bad_field(errbuf, errlen, where, "nodes", "is longer than \"paths_max_len\"");
            goto out;
        }
        if (!jc.ok || !pc || pc > r->runs || (r->runs && (pf < r->first || pf >= r->last))) {
            fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
            rc = jc.ok ? bad_field(errbuf, errlen, where, pc && pc <= r->runs ? "first_run" : "count",
                                   pc && pc <= r->runs ? "is outside the part's runs" : "is 0 or more than \"runs\"")
                       : bad_field(errbuf, errlen, jc.field, NULL, "is missing, negative or malformed");
            goto out;
        }
        path_total += pc;
        if ((rc = fz__report_add_path(r, strtoull(hx, NULL, 16), buf, (uint32_t)len, oc, pc, pf))) {
            fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
            goto out;
        }
    }
    fz_free(alloc, buf, sizeof(uint32_t) * bufcap);
    r->paths_other = jint(root, "paths_other", &jc);
    json_t *faults = json_object_get(root, "faults_by_outcome");
    json_array_foreach(faults, i, v)
    {
        const char *on = json_string_value(json_object_get(v, "outcome"));
        const char *id = json_string_value(json_object_get(v, "node"));
        const char *kind = json_string_value(json_object_get(v, "kind"));
        uint32_t oc = on ? fz_strmap_find(&r->outcome_map, on, (uint32_t)strlen(on)) : UINT32_MAX;
        uint32_t n = id ? fz_graph_find_node(g, id, strlen(id)) : FZ_NONE;
        uint32_t k = 0;
        while (kind && k < FZ_FAULT_COUNT && strcmp(kind, fz_fault_name((fz_fault_kind)k)))
            k++;
        if (oc == UINT32_MAX || n == FZ_NONE || !kind || k == FZ_FAULT_COUNT) {
            rc = bad(errbuf, errlen, "a fault entry is malformed");
            goto out;
        }
        snprintf(where, sizeof where, "faults_by_outcome[%zu]", i);
        uint64_t fr = jint_at(v, where, "runs", &jc);
        if (jc.ok && (fr == 0 || fr > FZ_VEC_AT(&r->outcomes, outcome, oc).count)) {
            rc = bad_field(errbuf, errlen, where, "runs", "is 0 or more than its outcome's count");
            goto out;
        }
        if ((rc = fz__report_fault_add(r, fz__report_fault_key(oc, n, k), fr)))
            goto out;
    }
    json_t *merge = json_object_get(root, "merge");
    u128 hist_total = 0;
    json_array_foreach(json_object_get(merge, "duration_histogram"), i, v)
    {
        json_int_t b = json_integer_value(json_array_get(v, 0));
        json_int_t c = json_integer_value(json_array_get(v, 1));
        if (b < 0 || b >= (json_int_t)HIST_BUCKETS || c < 0) {
            rc = bad_field(errbuf, errlen, "merge.duration_histogram", NULL, "is malformed");
            goto out;
        }
        r->hist[b] += (uint64_t)c;
        hist_total += (u128)c;
    }
    r->dur_sum = jsum_at(merge, "merge", "duration_sum_ns", &jc);
    r->dur_max = jint_at(merge, "merge", "duration_max_ns", &jc);
    if (!jc.ok) {
        rc = bad_field(errbuf, errlen, jc.field, NULL, "is missing, negative or malformed");
        goto out;
    }
    rc = check_loaded(r, path_total, hist_total, errbuf, errlen);
out:
    json_decref(root);
    if (rc) {
        fz_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}
