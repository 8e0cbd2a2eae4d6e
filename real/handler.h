/* SPDX-License-Identifier: MIT */
/*
 * handler.h - what a bindings rule can do: the handler ops table
 * {name, validate, start, cancel, free}, registered by name in one list
 * (handler.c), and the two sides a handler talks to:
 *  - at load time, the bindings loader (bind.c): validate() parses and checks
 *    the rule's parameters once, before anything runs, and reports errors at
 *    their place in the YAML file;
 *  - at run time, a job of the real backend (real.c): start() turns the
 *    checked parameters and the run variables into work (a child process,
 *    an HTTP transfer, a timer) and the job reports the answer.
 * Sibling files of engine/ include this header; it is not for cli/.
 */
#ifndef FZ_REAL_HANDLER_H
#define FZ_REAL_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "engine/engine.h"

struct fy_node;
struct fz_rule_info;                          /* bind.h */
typedef struct fz_bind_loader fz_bind_loader; /* bind.c: one file being loaded */
typedef struct fz_job fz_job;                 /* real.c: one task being run */

typedef struct fz_handler_ops {
    const char *name; /* the rule key that selects it: "exec", "http", "sleep"... */
    /* Parses value (the YAML value of the key) and the rule's other keys it
     * owns; *cfg receives the checked parameters. Reports errors through
     * fz__bind_error() and returns FZ_EPARSE, or FZ_ENOMEM. */
    int (*validate)(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value, void **cfg);
    /* Begins the work for job. Returns 0 (the job reports its answer now or
     * later) or an FZ_E* status (the step ends as an error). */
    int (*start)(fz_job *job, const void *cfg);
    /* Releases what start() took beyond what the job tracks (NULL: nothing). */
    void (*cancel)(fz_job *job, const void *cfg);
    /* Frees cfg. */
    void (*free)(const fz_alloc *a, void *cfg);
    /* Writes one line for `flowzap bind` (what the rule runs). */
    void (*describe)(const void *cfg, char *buf, size_t len);
    /* Rule keys besides the handler key that this handler reads (NULL-ended). */
    const char *const *keys;
    /* Fills out with the parameters as written (bind.h), for `bind --check`
     * and `run --dry-run` (NULL: only out->handler is set). */
    void (*info)(const void *cfg, struct fz_rule_info *out);
} fz_handler_ops;

/* The registered handler named name (len bytes), or NULL. */
const fz_handler_ops *fz_handler_find(const char *name, size_t len);

/* Every handler, NULL-terminated, in registration order. */
const fz_handler_ops *const *fz_handler_all(void);

/* The no-op handler used for unbound nodes under --allow-unbound. */
const fz_handler_ops *fz_handler_noop(void);

/* ORDER HANDLER: the handlers, defined in handlers/{exec,http,builtin}.c. */
extern const fz_handler_ops fz__handler_exec;
extern const fz_handler_ops fz__handler_shell;
extern const fz_handler_ops fz__handler_http;
extern const fz_handler_ops fz__handler_sleep;
extern const fz_handler_ops fz__handler_log;
extern const fz_handler_ops fz__handler_set;
extern const fz_handler_ops fz__handler_outcome;
extern const fz_handler_ops fz__handler_fail;
extern const fz_handler_ops fz__handler_approval;
extern const fz_handler_ops fz__handler_noop;

/*==========================================================================
 * Load time (bind.c)
 *========================================================================*/

const fz_alloc *fz__bind_alloc(fz_bind_loader *ld);

/* Directory of the bindings file ("." for text without a path). */
const char *fz__bind_dir(fz_bind_loader *ld);

/* Records "file:line:col: error: msg" at node's place; returns FZ_EPARSE
 * (or FZ_ENOMEM when the message cannot be stored). */
int fz__bind_error(fz_bind_loader *ld, struct fy_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when s[0, n) is a run variable's name as --set takes it: a letter or
 * '_', then letters, digits and '_' (ASCII, so UTF-8). `::set` keys,
 * `set:` keys and `vars:` keys follow it (docs/bindings.md). */
int fz__var_name_ok(const char *s, size_t n);

/* The scalar at n as a new string (caller frees with fz_free(a, s,
 * strlen(s) + 1)); field names the key in messages. 0, FZ_EPARSE, FZ_ENOMEM. */
int fz__yaml_string(fz_bind_loader *ld, struct fy_node *n, const char *field, char **out);

/* A list of scalars (or one scalar) as a NULL-terminated array of new
 * strings; free with fz__strv_free(). */
int fz__yaml_strv(fz_bind_loader *ld, struct fy_node *n, const char *field, char ***out,
                  uint32_t *count);
void fz__strv_free(const fz_alloc *a, char **v);

/* A mapping of scalars as NULL-key-terminated fz_kv pairs of new strings;
 * free with fz__kvv_free(). */
int fz__yaml_kvv(fz_bind_loader *ld, struct fy_node *n, const char *field, fz_kv **out,
                 uint32_t *count);
void fz__kvv_free(const fz_alloc *a, fz_kv *v);

/* Parses a duration: "250ms", "2s", "1.5m", "1h", "30us", a bare number is
 * seconds. Returns 0 or FZ_EINVAL. */
int fz__duration_parse(const char *s, size_t len, uint64_t *ns);

/* A duration scalar; 0, FZ_EPARSE. */
int fz__yaml_duration(fz_bind_loader *ld, struct fy_node *n, const char *field, uint64_t *ns);

/* 1 when s holds a ${NAME} reference. */
int fz__has_ref(const char *s);

/*==========================================================================
 * Run time (real.c)
 *========================================================================*/

const fz_alloc *fz__job_alloc(fz_job *j);
const char *fz__job_node_id(fz_job *j);
const char *fz__job_run_id(fz_job *j);

/* A variable as the job's handler sees it: the node's captures first, then
 * the run's variables; NULL when unset. */
const char *fz__job_var(fz_job *j, const char *key);

/* Every variable the job sees, as fn(key, value) calls (captures shadow
 * run variables of the same name). */
void fz__job_each_var(fz_job *j, void (*fn)(void *ud, const char *key, const char *value),
                      void *ud);

/* Replaces each ${NAME} in tmpl by its value and `$${` by a literal `${`;
 * *out lives as long as the job. An unknown NAME is FZ_ENOENT with the
 * job's reason set. Returns 0, FZ_ENOENT or FZ_ENOMEM. */
int fz__job_expand(fz_job *j, const char *tmpl, char **out);

/* size zeroed bytes of the job's memory (freed with the job); NULL on
 * FZ_ENOMEM. */
void *fz__job_mem(fz_job *j, size_t size);

/* Copies s (len bytes) into the job's memory; NULL on FZ_ENOMEM. */
char *fz__job_strndup(fz_job *j, const char *s, size_t len);

/* Adds a variable to the job's result (`::set K=V`). 0 or FZ_ENOMEM. */
int fz__job_set(fz_job *j, const char *key, const char *value);

/* Writes a line to the run's progress log (secrets masked). */
void fz__job_log(fz_job *j, const char *msg);

/* Masks value (len bytes) from now on everywhere (`::mask VALUE`). Returns
 * 0, FZ_EINVAL (shorter than FZ_SECRET_MIN_LEN), FZ_ESTATE (the run has no
 * masker) or FZ_ENOMEM. */
int fz__job_mask(fz_job *j, const char *value, size_t len);

/* 1 when the variable key (with value) is a secret or holds one: it
 * reaches a child's environment only through an explicit `env:` mapping. */
int fz__job_is_secret(fz_job *j, const char *key, const char *value);

/* Masks the captured stdout and stderr in place (handlers call it after
 * reading `::` lines and before quoting the output in a reason; the
 * backend does it for every result otherwise). 0 or FZ_ENOMEM (then the
 * output is dropped). */
int fz__job_mask_output(fz_job *j);

/* Ends the job now with answer (outcome and reason are copied; NULL: none). */
void fz__job_finish(fz_job *j, fz_answer a, const char *outcome, const char *reason);

/* Records the exit status and output in the result (journal fields). */
void fz__job_set_exit(fz_job *j, int exit_code);

/* What a child printed: stdout and stderr as captured (up to the output
 * cap each); for an HTTP job, the response body (up to its max_body). */
void fz__job_output(fz_job *j, const char **out, size_t *out_len, const char **err,
                    size_t *err_len);

/* Bytes of stdout (or of an HTTP body) not kept: past the output cap, or,
 * for HTTP, past max_body (the transfer then stops with CURLE_WRITE_ERROR). */
uint64_t fz__job_dropped(fz_job *j);

/* The end of what the child wrote on stderr: all of it when it was kept
 * whole, else its last bytes (at least 256), for the reason's last line. */
void fz__job_err_tail(fz_job *j, const char **tail, size_t *len);

/* The longest stdout line passed whole to a line reader (1 MiB). */
#define FZ_JOB_LINE_MAX ((size_t)1 << 20)

/* Makes fn(job, line, len, cut) see every line the child writes on stdout,
 * as it arrives, over the whole stream (whatever the output cap keeps):
 * line without its "\n" (a last line without one too), not NUL-terminated.
 * A line longer than FZ_JOB_LINE_MAX comes once, cut to its first
 * FZ_JOB_LINE_MAX bytes, with cut = 1. Call before fz__job_spawn(). */
void fz__job_stdout_lines(fz_job *j, void (*fn)(fz_job *j, const char *line, size_t len, int cut));

/* A pointer the handler keeps with its job (NULL until set); the memory it
 * points to is the handler's (fz__job_mem() lives as long as the job). */
void fz__job_set_data(fz_job *j, void *p);
void *fz__job_data(fz_job *j);

/* Starts argv[0] (searched in PATH when it has no '/') in its own process
 * group, stdin from /dev/null, stdout and stderr captured, in cwd (NULL:
 * the current directory), with the process environment plus env (a
 * NULL-key-terminated list, or NULL) plus FZ_ATTEMPT, FZ_RUN_ID, FZ_NODE.
 * done(job, cfg, wait_status) runs once the child is reaped. */
int fz__job_spawn(fz_job *j, char *const *argv, const char *cwd, const fz_kv *env,
                  void (*done)(fz_job *j, const void *cfg, int wait_status));

/* Runs a libcurl easy handle (the job owns and frees it) in the loop; the
 * body is captured as the job's stdout, whole up to max_body bytes (0: no
 * limit), past which the transfer stops. done(job, cfg, curl_code,
 * http_status) runs when the transfer ends. */
int fz__job_http(fz_job *j, void *easy, size_t max_body,
                 void (*done)(fz_job *j, const void *cfg, int curl_code, long status));

/* Calls fire(job, cfg) after delay_ns; fire may finish the job or arm the
 * timer again. */
int fz__job_timer(fz_job *j, uint64_t delay_ns, void (*fire)(fz_job *j, const void *cfg));

/* The approval answer for this job's node, from the backend's approval
 * source (real.h): 1 and *approved, 0 pending, FZ_ESTATE when the run has
 * no source, another FZ_E* on error. */
int fz__job_approval(fz_job *j, int *approved);

/* Calls fn(ptr) when the job is released (after its result was read or
 * it was cancelled); for handler-owned memory such as HTTP header lists. */
int fz__job_on_end(fz_job *j, void (*fn)(const fz_alloc *a, void *ptr), void *ptr);

/* Milliseconds between approval polls. */
uint32_t fz__job_approval_poll_ms(fz_job *j);

/* Arms the next approval poll: fire(job, cfg) after the poll interval, or
 * sooner, when the approval source's wake-up (real.h: wake_fd, drain)
 * says an answer for the run came. */
int fz__job_approval_wait(fz_job *j, void (*fire)(fz_job *j, const void *cfg));

#endif
