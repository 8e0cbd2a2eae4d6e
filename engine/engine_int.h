/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h - the run state itself, kept out of the public contract
 * (engine.h): the layout and the inline fz__engine_next that the drive loop
 * (at the end of engine.c) uses without a call per step. Not for other
 * modules; docs/internals/engine.md describes the fields.
 */
#ifndef FZ_ENGINE_ENGINE_INT_H
#define FZ_ENGINE_ENGINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

enum { FZ__T_FREE = 0, FZ__T_READY, FZ__T_RUNNING };

#define FZ__OUT_KEY_NONE UINT64_MAX

/* A live task. The table is indexed by id & tmask (ids are dense and live
 * ones few), and doubles when a new id would land on a live entry. */
typedef struct fz__task_ent {
    uint32_t id, node, token, attempt;
    uint32_t last_label; /* last labelled edge the token took, or FZ_NONE */
    uint32_t lslot;      /* the token's loop counters, or FZ_NONE */
    uint64_t delay_ns;
    uint8_t state;
} fz__task_ent;

typedef struct fz__end_ent {
    uint32_t node, edge;
} fz__end_ent;

/* A token waiting at a merge node (docs/semantics.md "Merges and joins"),
 * kept in arrival order. */
typedef struct fz__wait_ent {
    uint32_t node, token;
    uint32_t last_label; /* as in fz__task_ent */
    uint32_t lslot;
} fz__wait_ent;

/* A failure text built before, with everything build_failure reads that
 * varies between runs (the plan does not): a later failure equal in all of
 * them has the same text (fz_engine_outcome's memo). */
#define FZ__FAIL_MEMO 16u
typedef struct fz__fail_memo {
    uint8_t used, kind, answer, has_text;
    uint32_t node, attempt, loop;
    uint32_t len;
    uint64_t key; /* out_key while this text is in out: bit 63 | a serial */
    char text[256]; /* fail_text */
    char out[384];  /* the text built (only texts that fit are kept) */
} fz__fail_memo;

typedef struct fz__var_ent {
    uint32_t koff, klen, voff, vlen, vcap;
} fz__var_ent;

struct fz_engine {
    const fz_plan *p;
    const fz_alloc *alloc;
    fz_observer obs;
    int has_obs;
    uint64_t *edge_counts; /* fz_engine_count_edges(), or NULL */
    fz_run_state state;

    fz__task_ent *tasks;
    uint32_t tmask;
    uint32_t next_id;   /* next task id to create */
    uint32_t next_hand; /* next task id fz_engine_next hands out */
    uint32_t live;      /* tasks created and not completed */
    uint32_t in_flight; /* tasks handed out and not completed */
    uint32_t next_token;
    uint32_t steps;

    fz__end_ent *ends; /* distinct (node, last labelled edge) pairs */
    uint32_t nends, ends_cap;

    fz__wait_ent *waits; /* tokens waiting at merges, in arrival order */
    uint32_t nwait, wait_cap;
    uint32_t *mstamp; /* per merge: the joins pass that looked at it */
    uint32_t mgen;

    uint32_t *lcounts; /* nloops counters per slot */
    uint32_t *lfree;   /* free slots */
    uint32_t lused, lcap, nfree;

    fz__var_ent *vars;
    uint32_t nvars, vars_cap;
    char *vbuf;
    uint32_t vlen, vcap;

    uint8_t fail_kind;
    uint8_t fail_answer;
    uint8_t fail_has_text;
    uint32_t fail_node, fail_loop, fail_attempt;
    char fail_text[256]; /* copied outcome or reason */

    char *out; /* outcome text, built lazily */
    size_t out_len, out_cap;
    int out_valid;
    uint64_t out_key; /* (node << 32 | edge) of a one-end text in out, a failure memo's key,
                         or FZ__OUT_KEY_NONE */
    fz__fail_memo *fmemo; /* FZ__FAIL_MEMO entries by fail_node, allocated at the first failure */
    uint64_t fserial;
    uint32_t *sort_tmp; /* for sorting parallel ends */
    uint32_t sort_cap;
};


/* fz_engine_next, inline. */
static inline int fz__engine_next(fz_engine *e, fz_task *out)
{
    if (e->state != FZ_RUN_RUNNING || e->next_hand == e->next_id)
        return 0;
    uint32_t id = e->next_hand++;
    fz__task_ent *t = &e->tasks[id & e->tmask];
    t->state = FZ__T_RUNNING;
    e->in_flight++;
    out->id = id;
    out->node = t->node;
    out->token = t->token;
    out->attempt = t->attempt;
    out->delay_ns = t->delay_ns;
    return 1;
}

#endif
