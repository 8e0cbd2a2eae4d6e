/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the workflow interpreter as a pure state machine.
 *
 * The engine owns tokens, routing (../docs/semantics.md, after SEMANTICS.md),
 * retry scopes, retries, the step limit and run variables. It never does I/O
 * and never reads a clock: a backend (backend.h) executes the tasks the
 * engine hands out and reports each result back. Given the same sequence of
 * results, the engine makes the same decisions and hands out the same task
 * ids, which is what makes simulation deterministic and what the journal
 * replays on resume.
 *
 * Two objects:
 *  - fz_plan: immutable tables compiled once from a finished fz_graph
 *    (start nodes, edge classes, loop scopes, per-node policies). Shareable
 *    across threads once built.
 *  - fz_engine: the state of one run over a plan. fz_engine_start() resets
 *    it for a new run without freeing memory, so a simulator reuses one
 *    engine for millions of runs with no allocation per run.
 */
#ifndef FZ_ENGINE_ENGINE_H
#define FZ_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "parser/graph.h"

/* A handler's answer, after the Unix convention (exit 0, 1, other). */
typedef enum fz_answer {
    FZ_ANSWER_OK = 0,
    FZ_ANSWER_NO = 1,      /* a negative answer: never retried */
    FZ_ANSWER_ERROR = 2,   /* an error: retried per policy, then error edges */
    FZ_ANSWER_TIMEOUT = 3, /* an error that is a timeout */
} fz_answer;

typedef struct fz_kv {
    const char *key;
    const char *value;
} fz_kv;

/* What a backend reports for a finished task. Strings are borrowed for the
 * duration of fz_engine_complete(); the engine copies what it keeps. */
typedef struct fz_result {
    fz_answer answer;
    const char *outcome; /* explicit outcome name (e.g. an edge label) or NULL */
    const char *reason;  /* error text for messages, or NULL */
    const fz_kv *vars;   /* variables the handler set (`::set K=V`) */
    uint32_t nvars;
    /* Optional (0: none): 1 + the edge that `outcome` names, as
     * fz_engine_outcome_edge() returns it for this task's node and this
     * outcome text. The engine then takes that edge without matching the
     * text again; the route is the same either way. */
    uint32_t outcome_edge;
    /* What the handler printed, kept in the journal (real/journal.h):
     * an exec handler's captured stdout and stderr (NULL: nothing), and its
     * exit status when has_exit_code (128 + N when killed by signal N). The
     * engine ignores these fields. */
    const char *out;
    size_t out_len;
    const char *err;
    size_t err_len;
    int exit_code;
    uint8_t has_exit_code;
} fz_result;

/* 1 + the edge that an ok or no answer with outcome text `outcome` at
 * node takes by its label in graph g (the node's one outgoing edge with that
 * label, case and surrounding blanks aside, as routing matches it), or 0
 * when the text names no edge or more than one edge carries that label. A
 * backend answering from a fixed set of texts (the simulator) computes it
 * once per text for fz_result.outcome_edge. */
uint32_t fz_engine_outcome_edge(const fz_graph *g, uint32_t node, const char *outcome);

/* The answer's name as traces, journals and logs write it: "ok", "no",
 * "error" or "timeout" (static, never NULL). */
const char *fz_answer_name(fz_answer a);

/* Timeout, retries and backoff of one node (from a binding or a scenario). */
typedef struct fz_policy {
    uint64_t timeout_ns;     /* 0: none */
    uint32_t retries;        /* extra attempts after an error or timeout */
    uint64_t backoff_ns;     /* delay before the first retry */
    uint64_t backoff_max_ns; /* cap for exponential backoff (0: none) */
    uint8_t exponential;     /* double the delay on each retry */
} fz_policy;

typedef struct fz_plan_opts {
    const uint32_t *start_nodes; /* --start override, or NULL */
    uint32_t nstart;
    uint32_t max_steps; /* 0: the default, 10000 */
} fz_plan_opts;

typedef struct fz_plan fz_plan;
typedef struct fz_engine fz_engine;

/* One unit of work: run node `node` for token `token`. Task ids count from 0
 * within a run in the order the engine creates tasks. Handlers see attempt
 * (exec: the FZ_ATTEMPT environment variable); a resumed run raises it for a
 * step that was in flight when the process died (real/journal.h). */
typedef struct fz_task {
    uint32_t id;
    uint32_t node;
    uint32_t token;
    uint32_t attempt;  /* 1 for a first try, 2.. for retries */
    uint64_t delay_ns; /* backoff: wait this long before starting (0: now) */
} fz_task;

typedef enum fz_run_state {
    FZ_RUN_IDLE = 0,
    FZ_RUN_RUNNING,
    FZ_RUN_COMPLETED,
    FZ_RUN_FAILED,
} fz_run_state;

/* Observer callbacks, all optional; `t_ns` is the backend's clock (virtual
 * in simulation). on_finish runs before the result is routed, so a journal
 * records a step before its effects are acted on. */
typedef struct fz_observer {
    void (*on_start)(void *ud, const fz_task *t, uint64_t t_ns);
    void (*on_finish)(void *ud, const fz_task *t, const fz_result *r, uint64_t t_ns);
    void (*on_edge)(void *ud, uint32_t edge, uint32_t token, uint64_t t_ns);
    void (*on_loop)(void *ud, uint32_t loop, uint32_t token, uint32_t count, uint64_t t_ns);
    void (*on_token_end)(void *ud, uint32_t token, uint32_t node, uint64_t t_ns);
    void (*on_run_end)(void *ud, fz_run_state state, const char *outcome, uint64_t t_ns);
    void *ud;
} fz_observer;

/*==========================================================================
 * Plans
 *========================================================================*/

/* Compiles routing tables from a finished graph without errors. The graph
 * must outlive the plan. Caller frees with fz_plan_free(). Returns 0,
 * FZ_ENOMEM, or FZ_EINVAL when the graph has no node. */
int fz_plan_new(const fz_graph *g, const fz_plan_opts *opts, const fz_alloc *alloc,
                fz_plan **out);
void fz_plan_free(fz_plan *p);

/* Sets node's policy; call before engines run the plan. */
void fz_plan_set_policy(fz_plan *p, uint32_t node, const fz_policy *pol);
const fz_policy *fz_plan_policy(const fz_plan *p, uint32_t node);

const fz_graph *fz_plan_graph(const fz_plan *p);

/* Start nodes, per docs/semantics.md (or the override). */
const uint32_t *fz_plan_starts(const fz_plan *p, uint32_t *count);

/* The step limit runs of this plan have (the default when opts gave 0). */
uint32_t fz_plan_max_steps(const fz_plan *p);

/* Whether edge closes a cycle in the plan's depth-first search (from the
 * start nodes, then every node not yet visited, in file order): a back
 * edge. The other edges, the forward edges, have no cycle; joins wait only
 * for tokens that could arrive along them (docs/semantics.md "Merges"). */
int fz_plan_is_back_edge(const fz_plan *p, uint32_t edge);

/* Whether a token at node `from` could still arrive at node `to` along
 * forward edges (a path of one edge or more), where `to` is a merge (has
 * several incoming edges); 0 for any other `to`. */
int fz_plan_reaches(const fz_plan *p, uint32_t from, uint32_t to);

/*==========================================================================
 * Runs
 *========================================================================*/

/* Creates an idle engine over plan. Caller frees with fz_engine_free(). */
int fz_engine_new(const fz_plan *p, const fz_alloc *alloc, fz_engine **out);
void fz_engine_free(fz_engine *e);

void fz_engine_set_observer(fz_engine *e, const fz_observer *obs);

/* Adds 1 to counts[edge] for every edge a token takes (the edges on_edge
 * reports), without a call per edge: for a study that only counts
 * traversals (the simulator). counts has one entry per graph edge and
 * stays valid while set; NULL stops counting. */
void fz_engine_count_edges(fz_engine *e, uint64_t *counts);

/* Resets run state (variables included) and places one token on each start
 * node; memory is kept for reuse. Returns 0 or FZ_ENOMEM. */
int fz_engine_start(fz_engine *e);

/* Takes the next ready task in creation order; returns 1, or 0 when none is
 * ready (tasks may still be in flight). */
int fz_engine_next(fz_engine *e, fz_task *out);

/* Reports the result of task id, routes the token and creates follow-up
 * tasks. Returns 0, FZ_EINVAL for an unknown or finished task id, FZ_ENOMEM
 * (the run is left as it was: the call may be repeated), FZ_ESTATE before
 * fz_engine_start, FZ_EFINISHED for a task still in flight when its run
 * ended (failed elsewhere, aborted). */
int fz_engine_complete(fz_engine *e, uint32_t task_id, const fz_result *r, uint64_t t_ns);

/* Stops a running run as failed with reason (e.g. "interrupted"). */
void fz_engine_abort(fz_engine *e, const char *reason, uint64_t t_ns);

fz_run_state fz_engine_state(const fz_engine *e);

/* Tasks handed out by fz_engine_next() and not yet completed. */
uint32_t fz_engine_in_flight(const fz_engine *e);

/* Steps completed so far in this run (every attempt counts). */
uint32_t fz_engine_steps(const fz_engine *e);

/* The run's outcome, valid once it ended, until the next start:
 * completed: "<end node label> via <last edge label>" ("End via Success"),
 * or "<end node label>" when the token took no labelled edge; where tokens
 * ended at several ends, each distinct one once, in file order (end node,
 * then edge; no label first), joined with " + ".
 * failed: "failed at <node id> \"<node label>\": <reason>" (the label left
 * out when it is the id; reason names the decision's answer and offered
 * labels, "no route from nX for answer A", the exhausted loop, the step
 * limit...). */
const char *fz_engine_outcome(const fz_engine *e);

/* A number two runs of one engine share only when their fz_engine_outcome()
 * texts are equal, so a caller counting outcomes can skip comparing the
 * texts: a completed run with one end gets (end node, edge) + 1; a failed
 * run whose text the engine keeps for failures alike gets that kept text's
 * number (bit 63 set); 0 (no key) for anything else. Valid after
 * fz_engine_outcome(). */
uint64_t fz_engine_outcome_key(const fz_engine *e);

/* Node where the run failed, or FZ_NONE. */
uint32_t fz_engine_failed_node(const fz_engine *e);

/* Run variables: set (copied) and get (NULL when unset). */
int fz_engine_set_var(fz_engine *e, const char *key, const char *value);
const char *fz_engine_get_var(const fz_engine *e, const char *key);
uint32_t fz_engine_var_count(const fz_engine *e);
fz_kv fz_engine_var_at(const fz_engine *e, uint32_t i);

#endif
