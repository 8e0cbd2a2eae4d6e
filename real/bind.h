/* SPDX-License-Identifier: MIT */
/*
 * bind.h - bindings: a YAML file of rules that give each node of a workflow
 * a handler (docs/bindings.md). Rules are tried in file order; the first
 * whose selector (engine/match.h) matches a node binds it, and the
 * selector's captures become that node's variables. Every rule's
 * parameters are checked when the file loads, so a run never starts with a
 * malformed rule; errors are diagnostics at the rule's place in the file.
 */
#ifndef FZ_REAL_BIND_H
#define FZ_REAL_BIND_H

#include <stdint.h>

#include "core/alloc.h"
#include "core/diag.h"
#include "engine/engine.h"
#include "real/handler.h"
#include "engine/match.h"
#include "engine/secret.h"
#include "parser/graph.h"

typedef struct fz_bind fz_bind;

/* One rule (read-only). */
typedef struct fz_rule {
    fz_match *match;
    const fz_handler_ops *ops;
    void *cfg;          /* ops' checked parameters */
    fz_policy policy;   /* timeout, retries, backoff */
    uint32_t offset;    /* of the rule in the bindings text */
    uint32_t line, col; /* 1-based */
    uint8_t has_policy; /* timeout, retries or backoff was given */
} fz_rule;

/* Loads bindings from text (name for messages; its directory is where
 * relative `cwd` and commands resolve). Every error is added to d (offsets
 * into the text, see fz_bind_text()); *out is set only on success. Caller
 * frees with fz_bind_free(). Returns 0, FZ_EPARSE (d->errors > 0) or
 * FZ_ENOMEM. */
int fz_bind_load_mem(const char *name, const char *text, size_t len, const fz_alloc *alloc,
                     fz_diags *d, fz_bind **out);

/* Like fz_bind_load_mem, reading path. Also FZ_ENOENT or FZ_EIO, and then
 * *out is NULL and d is untouched. On FZ_EPARSE *out is still set (to
 * print the diagnostics against its text); the caller frees it. */
int fz_bind_load_file(const char *path, const fz_alloc *alloc, fz_diags *d, fz_bind **out);

void fz_bind_free(fz_bind *b);

/* The bindings text and its name, for printing diagnostics. */
const char *fz_bind_text(const fz_bind *b, uint32_t *len);
const char *fz_bind_name(const fz_bind *b);

uint32_t fz_bind_rule_count(const fz_bind *b);
const fz_rule *fz_bind_rule(const fz_bind *b, uint32_t i);

/* Default variables from the file's `vars:` mapping (--set overrides). */
uint32_t fz_bind_var_count(const fz_bind *b);
fz_kv fz_bind_var_at(const fz_bind *b, uint32_t i);

/* The file's `secrets:` section (docs/secrets.md): where each secret's
 * value comes from; read with fz_secrets_read() when a run starts. */
uint32_t fz_bind_secret_count(const fz_bind *b);
const fz_secret_spec *fz_bind_secret_at(const fz_bind *b, uint32_t i);

/* Binds every node of g (which must outlive b's use of it): for each node
 * the first matching rule and its captures. *unbound receives how many
 * nodes no rule matched. Returns 0, FZ_ENOMEM, or FZ_EINVAL when a
 * pattern fails to run (PCRE2 limits). Calling it again rebinds. */
int fz_bind_resolve(fz_bind *b, const fz_graph *g, uint32_t *unbound);

/* After fz_bind_resolve failed with FZ_EINVAL (PCRE2 stopped a match, e.g.
 * at its match limit): the rule and node it was matching, and why. */
const char *fz_bind_resolve_error(const fz_bind *b, uint32_t *rule, uint32_t *node);

/* After fz_bind_resolve: the rule index binding node, or FZ_NONE. */
uint32_t fz_bind_node_rule(const fz_bind *b, uint32_t node);

/* After fz_bind_resolve: the node's captures (empty when unbound). */
const fz_caps *fz_bind_node_caps(const fz_bind *b, uint32_t node);

/* Gives each bound node its rule's policy in plan (fz_plan_set_policy). */
void fz_bind_apply_policies(const fz_bind *b, fz_plan *plan);

/* What rule i's handler uses, as written (templates keep their ${NAME}),
 * for `bind --check` and `run --dry-run`; fields a handler lacks are
 * NULL/0. Pointers live as long as b. */
typedef struct fz_rule_info {
    const char *handler; /* "exec", "http", "set"... */
    char *const *argv;   /* exec: argv templates; shell: {script} */
    uint32_t argc;
    int shell;
    const char *cwd;  /* exec, shell: resolved directory */
    const fz_kv *env; /* exec, shell: env additions */
    uint32_t nenv;
    const char *method, *url, *body; /* http */
    const fz_kv *headers;
    uint32_t nheaders;
    const fz_match *body_match; /* http: NULL when none */
    const char *text;           /* sleep, log, outcome, fail, approval */
    const fz_kv *kvs;           /* set */
    uint32_t nkv;
} fz_rule_info;
void fz_bind_rule_info(const fz_bind *b, uint32_t i, fz_rule_info *out);

/* `flowzap bind --check` (docs/bindings.md): after fz_bind_resolve(b, g),
 * adds to d (offsets into fz_bind_text) an error for each exec program
 * that is not found or not executable (B010), each cwd that is not a
 * directory (B011), each URL that does not parse once vars:/--set are put
 * in (B012), each ${NAME} nothing can define before its step (B013), and
 * a warning (B014) for a name only an exec/shell step's ::set could set.
 * sets are the --set arguments (KEY=VALUE). Runs nothing. 0 or FZ_ENOMEM. */
int fz_bind_check(const fz_bind *b, const fz_graph *g, const char *const *sets, uint32_t nsets,
                  fz_diags *d);

/* One line describing rule i's handler ("exec ./push.sh ${IMAGE}"). */
void fz_bind_describe(const fz_bind *b, uint32_t i, char *buf, size_t len);

#endif
