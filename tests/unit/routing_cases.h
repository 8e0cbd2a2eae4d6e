/* SPDX-License-Identifier: MIT */
/*
 * routing_cases.h - the routing rules of docs/semantics.md ("Which edges a
 * token takes", "Merges and joins", "Outcomes") as a table of cases that
 * every backend runs: the scripted backend (test_engine.c), the simulator
 * with a scripted scenario (test_sim.c) and real commands (test_exec.c).
 * Routing never depends on the backend, so each case must end with the
 * same outcome and the same number of runs of each node on all three.
 *
 * A case is a workflow in engine_fixture.h's notation (node ids nK, so that
 * rc_flowzap() can write it as FlowZap Code), a script in the same
 * fixture's notation (n3=no,ok;n4=@Label: answers per visit, the last one
 * repeating; @Label an explicit outcome with ok), the outcome expected (a
 * trailing '*' compares a prefix only: error reasons differ by backend) and
 * the visits expected ("n1=1 n2=2": every node that ran, in node order,
 * with the number of tasks it ran, retries included).
 */
#ifndef FZ_TESTS_ROUTING_CASES_H
#define FZ_TESTS_ROUTING_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser/graph.h"

typedef struct rc_case {
    const char *name;
    const char *desc;
    const char *script;
    const char *outcome;
    const char *visits;
} rc_case;

/* Lone edges: every word class of the label, each answer, on an action and
 * on a decision (filled by rc_lone_case). */
#define RC_LONE_LABELS 5
#define RC_LONE_ANSWERS 3
#define RC_LONE_COUNT (2 * RC_LONE_LABELS * RC_LONE_ANSWERS)

static const char *const rc_lone_label[RC_LONE_LABELS] = {"", "Approved", "Rejected",
                                                          "Error 401", "Hand off"};
static const char *const rc_lone_answer[RC_LONE_ANSWERS] = {"ok", "no", "error"};

typedef struct rc_buf {
    char name[64], desc[256], script[32], outcome[160], visits[64];
} rc_buf;

/* Lone-edge case k (0 .. RC_LONE_COUNT-1), written into b. */
static inline rc_case rc_lone_case(uint32_t k, rc_buf *b)
{
    uint32_t shape = k / (RC_LONE_LABELS * RC_LONE_ANSWERS);
    uint32_t li = (k / RC_LONE_ANSWERS) % RC_LONE_LABELS, ai = k % RC_LONE_ANSWERS;
    const char *lab = rc_lone_label[li], *ans = rc_lone_answer[ai];
    int diamond = shape == 1;
    snprintf(b->name, sizeof b->name, "lone edge '%s' on %s, answer %s", lab,
             diamond ? "a decision" : "an action", ans);
    snprintf(b->desc, sizeof b->desc,
             "n1 circle Start\nn2 %s Step\nn3 circle End\nn1 -> n2\nn2 -> n3%s%s\n",
             diamond ? "diamond" : "rect", lab[0] ? " " : "", lab);
    snprintf(b->script, sizeof b->script, "n2=%s", ans);
    int taken;
    if (ai == 0) /* ok: a lone edge is taken whatever its label says */
        taken = 1;
    else if (ai == 1) /* no: an action's error edges; a decision's no or default edge */
        taken = diamond ? (li == 0 || li == 2) : li == 3;
    else /* error: error edges, else retries (none here) and failure */
        taken = li == 3;
    if (taken) {
        snprintf(b->outcome, sizeof b->outcome, "End%s%s", lab[0] ? " via " : "", lab);
        snprintf(b->visits, sizeof b->visits, "n1=1 n2=1 n3=1");
    } else {
        if (ai == 2)
            snprintf(b->outcome, sizeof b->outcome, "failed at n2 \"Step\": error*");
        else if (diamond)
            snprintf(b->outcome, sizeof b->outcome,
                     "failed at n2 \"Step\": answer no matches no outgoing edge; it offers "
                     "\"%s\"",
                     lab);
        else
            snprintf(b->outcome, sizeof b->outcome,
                     "failed at n2 \"Step\": no route from n2 for answer no*");
        snprintf(b->visits, sizeof b->visits, "n1=1 n2=1");
    }
    return (rc_case){b->name, b->desc, b->script, b->outcome, b->visits};
}

/* The fan-out of an outbox: a start, 11 branches of two steps, one End. */
#define RC_OUTBOX                                                                                  \
    "n1 circle Start\n"                                                                            \
    "n2 rect Open outbox\n"                                                                        \
    "n3 rect Write 1\nn4 rect Write 2\nn5 rect Write 3\nn6 rect Write 4\n"                        \
    "n7 rect Write 5\nn8 rect Write 6\nn9 rect Write 7\nn10 rect Write 8\n"                       \
    "n11 rect Write 9\nn12 rect Write 10\nn13 rect Write 11\n"                                     \
    "n14 rect Relay\n"                                                                             \
    "n15 circle End\n"                                                                             \
    "n1 -> n2\n"                                                                                   \
    "n2 -> n3\nn2 -> n4\nn2 -> n5\nn2 -> n6\nn2 -> n7\nn2 -> n8\nn2 -> n9\nn2 -> n10\n"           \
    "n2 -> n11\nn2 -> n12\nn2 -> n13\n"                                                            \
    "n3 -> n14\nn4 -> n14\nn5 -> n14\nn6 -> n14\nn7 -> n14\nn8 -> n14\nn9 -> n14\nn10 -> n14\n"   \
    "n11 -> n14\nn12 -> n14\nn13 -> n14\n"                                                         \
    "n14 -> n15\n"

/* FlowZap's auth-flow guideline, cut down: "Return error" goes back to the
 * request by its lone edge "Error 401". */
#define RC_AUTH                                                                                    \
    "n1 circle Start\n"                                                                            \
    "n2 rect Receive request\n"                                                                    \
    "n3 diamond Valid credentials?\n"                                                              \
    "n4 rect Generate session token\n"                                                             \
    "n5 circle Access granted\n"                                                                   \
    "n6 rect Return error\n"                                                                       \
    "n1 -> n2\n"                                                                                   \
    "n2 -> n3\n"                                                                                   \
    "n3 -> n4 Yes\n"                                                                               \
    "n3 -> n6 No\n"                                                                                \
    "n4 -> n5 Token\n"                                                                             \
    "n6 -> n2 Error 401\n"

/* Two lanes of pub-sub: the broker's ACK reaches End while the subscriber
 * retries; its retry edge is a back edge, so End does not wait for it. */
#define RC_PUBSUB                                                                                  \
    "n1 circle Start\n"                                                                            \
    "n2 rect Notify\n"                                                                             \
    "n3 rect Receive\n"                                                                            \
    "n4 diamond Processed?\n"                                                                      \
    "n5 rect Acknowledge\n"                                                                        \
    "n6 rect Negative acknowledge\n"                                                               \
    "n7 rect Publisher done\n"                                                                     \
    "n8 circle End\n"                                                                              \
    "n1 -> n2\n"                                                                                   \
    "n2 -> n3 Deliver\n"                                                                           \
    "n2 -> n7 ACK\n"                                                                               \
    "n3 -> n4\n"                                                                                   \
    "n4 -> n5 Yes\n"                                                                               \
    "n4 -> n6 No\n"                                                                                \
    "n6 -> n3 Retry\n"                                                                             \
    "n5 -> n8 Complete\n"                                                                          \
    "n7 -> n8\n"

static const rc_case rc_cases[] = {
    /* Explicit outcome over the answer. */
    {"explicit outcome wins over ok on a decision",
     "n1 circle Start\nn2 diamond Review\nn3 circle Shipped\nn4 circle Parked\n"
     "n1 -> n2\nn2 -> n3 Approved\nn2 -> n4 Rejected\n",
     "n2=@Rejected", "Parked via Rejected", "n1=1 n2=1 n4=1"},
    {"explicit outcome picks one of an action's edges",
     "n1 circle Start\nn2 rect Route\nn3 circle Shipped\nn4 circle Held\n"
     "n1 -> n2\nn2 -> n3 Ship\nn2 -> n4 Hold\n",
     "n2=@Hold", "Held via Hold", "n1=1 n2=1 n4=1"},
    {"an action's ok takes every edge that is not an error edge",
     "n1 circle Start\nn2 rect Route\nn3 circle Shipped\nn4 circle Held\n"
     "n1 -> n2\nn2 -> n3 Ship\nn2 -> n4 Hold\n",
     "", "Shipped via Ship + Held via Hold", "n1=1 n2=1 n3=1 n4=1"},
    {"a lone edge is taken after an explicit outcome that names no edge",
     "n1 circle Start\nn2 rect Step\nn3 circle End\nn1 -> n2\nn2 -> n3 Error 401\n",
     "n2=@Something else", "End via Error 401", "n1=1 n2=1 n3=1"},
    /* Joins. */
    {"join after a fan-out of 2",
     "n1 circle Start\nn2 rect Fork\nn3 rect A\nn4 rect B\nn5 rect Merge\nn6 circle End\n"
     "n1 -> n2\nn2 -> n3\nn2 -> n4\nn3 -> n5\nn4 -> n5\nn5 -> n6\n",
     "", "End", "n1=1 n2=1 n3=1 n4=1 n5=1 n6=1"},
    {"join after a fan-out of 11 (the outbox)", RC_OUTBOX, "", "End",
     "n1=1 n2=1 n3=1 n4=1 n5=1 n6=1 n7=1 n8=1 n9=1 n10=1 n11=1 n12=1 n13=1 n14=1 n15=1"},
    {"joined token keeps the last labelled edge in file order",
     "n1 circle Start\nn2 rect Fork\nn3 rect A\nn4 rect B\nn5 circle End\n"
     "n1 -> n2\nn2 -> n3\nn2 -> n4\nn3 -> n5 First\nn4 -> n5 Second\n",
     "", "End via Second", "n1=1 n2=1 n3=1 n4=1 n5=1"},
    {"join inside a cycle",
     "n1 circle Start\nn2 rect Fork\nn3 rect A\nn4 rect B\nn5 rect Merge\n"
     "n6 diamond Again?\nn7 circle End\n"
     "n1 -> n2\nn2 -> n3\nn2 -> n4\nn3 -> n5\nn4 -> n5\nn5 -> n6\n"
     "n6 -> n2 Retry\nn6 -> n7 Done\n",
     "n6=no,ok", "End via Done", "n1=1 n2=2 n3=2 n4=2 n5=2 n6=2 n7=1"},
    {"a token re-entering a merge through a back edge goes on at once",
     "n1 circle Start\nn2 rect Fork\nn3 rect A\nn4 rect B\nn5 rect Merge\n"
     "n6 diamond Check\nn7 circle End\n"
     "n1 -> n2\nn2 -> n3\nn2 -> n4\nn3 -> n5\nn4 -> n5\nn5 -> n6\n"
     "n6 -> n5 Retry\nn6 -> n7 Done\n",
     "n6=no,no,ok", "End via Done", "n1=1 n2=1 n3=1 n4=1 n5=3 n6=3 n7=1"},
    {"a merge does not wait for a token whose way there is a back edge", RC_PUBSUB,
     "n4=no,ok", "End via ACK + End via Complete", "n1=1 n2=1 n3=2 n4=2 n5=1 n6=1 n7=1 n8=2"},
    {"branches that never meet do not wait",
     "n1 circle Start\nn2 rect Fork\nn3 circle End B\nn4 circle End A\n"
     "n1 -> n2\nn2 -> n3 x\nn2 -> n4 y\n",
     "", "End B via x + End A via y", "n1=1 n2=1 n3=1 n4=1"},
    /* Ends inside and outside a loop scope. */
    {"a negative answer at an end inside a loop scope goes back to its first node",
     "n1 rect Validate\nn2 diamond Valid?\nn1 -> n2\nloop 3 retry until valid max 3: n1 n2\n",
     "n2=no,no,ok", "Valid?", "n1=3 n2=3"},
    {"the loop scope's bound still holds at an end",
     "n1 rect Validate\nn2 diamond Valid?\nn1 -> n2\nloop 2 retry until valid max 2: n1 n2\n",
     "n2=no", "failed at n2 \"Valid?\": loop [retry until valid max 2] exceeded its bound of 2",
     "n1=3 n2=3"},
    {"a negative answer at an end outside any loop scope ends the token there",
     "n1 circle Start\nn2 diamond Valid?\nn1 -> n2\n", "n2=no", "Valid?", "n1=1 n2=1"},
    /* Stuck tokens. */
    {"a node whose edges all are error edges is stuck on ok",
     "n1 circle Start\nn2 rect Step\nn3 circle Crashed\nn4 circle Timed out\n"
     "n1 -> n2\nn2 -> n3 Error\nn2 -> n4 Timeout\n",
     "", "failed at n2 \"Step\": no route from n2 for answer ok", "n1=1 n2=1"},
    {"the auth flow's Return error goes back to the request", RC_AUTH, "n3=no,ok",
     "Access granted via Token", "n1=1 n2=2 n3=2 n4=1 n5=1 n6=1"},
    /* Outcome names. */
    {"a failure names the node by id among repeated labels",
     "n1 circle Start\nn2 rect Check\nn3 rect Check\nn4 circle End\n"
     "n1 -> n2\nn2 -> n3\nn3 -> n4\n",
     "n3=error", "failed at n3 \"Check\": error*", "n1=1 n2=1 n3=1"},
};

#define RC_COUNT (sizeof(rc_cases) / sizeof(rc_cases[0]))

/* Case i of all of them: the table, then the lone-edge matrix. */
static inline rc_case rc_get(uint32_t i, rc_buf *b)
{
    return i < RC_COUNT ? rc_cases[i] : rc_lone_case(i - (uint32_t)RC_COUNT, b);
}

#define RC_ALL ((uint32_t)RC_COUNT + RC_LONE_COUNT)

/* The case's workflow as FlowZap Code (one lane), into out. */
static inline void rc_flowzap(const char *desc, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "L { # L\n");
    const char *p = desc;
    while (*p && n < cap) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        char a[32], b[32], rest[200];
        rest[0] = '\0';
        if (!strncmp(line, "loop ", 5)) {
            const char *colon = strchr(line, ':');
            const char *cond = strchr(line + 5, ' ') + 1;
            n += (size_t)snprintf(out + n, cap - n, "loop [%.*s]%s\n", (int)(colon - cond), cond,
                                  colon + 1);
        } else if (sscanf(line, "%31s -> %31s %199[^\n]", a, b, rest) >= 2) {
            if (rest[0])
                n += (size_t)snprintf(out + n, cap - n,
                                      "%s.handle(right) -> %s.handle(left) [label=\"%s\"]\n", a, b,
                                      rest);
            else
                n += (size_t)snprintf(out + n, cap - n, "%s.handle(right) -> %s.handle(left)\n",
                                      a, b);
        } else if (sscanf(line, "%31s %31s %199[^\n]", a, b, rest) >= 2) {
            const char *shape = !strcmp(b, "rect") ? "rectangle" : b;
            n += (size_t)snprintf(out + n, cap - n, "%s: %s label:\"%s\"\n", a, shape, rest);
        }
        p = eol ? eol + 1 : p + len;
    }
    if (n < cap)
        snprintf(out + n, cap - n, "}\n");
}

/* The item of node `id`'s script for visit k (0-based; the last repeats),
 * into item, or "" when the node has none (ok). */
static inline void rc_item(const char *script, const char *id, uint32_t k, char *item, size_t cap)
{
    item[0] = '\0';
    size_t idlen = strlen(id);
    const char *s = script;
    while (s && *s) {
        const char *semi = strchr(s, ';');
        const char *end = semi ? semi : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (eq && (size_t)(eq - s) == idlen && !memcmp(s, id, idlen)) {
            const char *it = eq + 1;
            for (uint32_t i = 0;; i++) {
                const char *comma = memchr(it, ',', (size_t)(end - it));
                const char *ie = comma ? comma : end;
                if (i == k || !comma) {
                    snprintf(item, cap, "%.*s", (int)(ie - it), it);
                    return;
                }
                it = comma + 1;
            }
        }
        s = semi ? semi + 1 : NULL;
    }
}

/* Visits as a case writes them, from per-node counts. */
static inline void rc_visits(const fz_graph *g, const uint32_t *counts, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < fz_graph_node_count(g) && n < cap; i++) {
        if (!counts[i])
            continue;
        const fz_node *nd = fz_graph_node(g, i);
        n += (size_t)snprintf(out + n, cap - n, "%s%.*s=%u", n ? " " : "", (int)nd->id.len,
                              fz_graph_text(g, nd->id), counts[i]);
    }
}

/* Whether outcome is what case c expects (a trailing '*': a prefix). */
static inline int rc_outcome_ok(const rc_case *c, const char *outcome)
{
    size_t n = strlen(c->outcome);
    if (n && c->outcome[n - 1] == '*')
        return strncmp(outcome, c->outcome, n - 1) == 0;
    return strcmp(outcome, c->outcome) == 0;
}

#endif
