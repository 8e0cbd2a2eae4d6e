/* SPDX-License-Identifier: MIT */
/*
 * secret.h - secrets of a run (docs/secrets.md): where each named value
 * comes from (an environment variable, a file, a command's stdout), reading
 * them when a run starts or resumes (never stored), and the one masker that
 * every sink uses (journal, trace, progress log) to replace each occurrence
 * of a secret by `***` before anything is recorded or printed.
 *
 * The masker holds, for each named secret, its value and the forms the
 * masker also recognises (its URL-encoded form; each line of a multi-line
 * value), plus values a step asked to mask with `::mask VALUE`, which have
 * no name and live in memory only. Matching is byte-wise, longest value
 * first, so a secret that contains another is masked whole.
 */
#ifndef FZ_ENGINE_SECRET_H
#define FZ_ENGINE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"

/* What a masked value is replaced by. */
#define FZ_SECRET_MASK "***"

/* Secrets (and `::mask` values) shorter than this are refused: a value of
 * one or two characters would mask most of every output. */
#define FZ_SECRET_MIN_LEN 4

/* The largest secret read from a file or a command (bytes). */
#define FZ_SECRET_MAX_LEN 65536

/* Where a secret comes from, as the bindings' `secrets:` section or
 * `--secret NAME=ENVVAR` says. */
typedef enum fz_secret_kind {
    FZ_SECRET_ENV = 0,     /* arg: the environment variable's name */
    FZ_SECRET_FILE = 1,    /* arg: the file's path (resolved) */
    FZ_SECRET_COMMAND = 2, /* argv: the command, run without a shell */
} fz_secret_kind;

typedef struct fz_secret_spec {
    const char *name; /* the variable name: ${NAME} */
    fz_secret_kind kind;
    const char *arg;     /* ENV, FILE */
    char *const *argv;   /* COMMAND, NULL-terminated */
    const char *cwd;     /* COMMAND: where it runs (NULL: here) */
    uint64_t timeout_ns; /* COMMAND: 0 = 30 s */
} fz_secret_spec;

typedef struct fz_secrets fz_secrets;

/* An empty set of secrets. Caller frees with fz_secrets_free(). Returns 0
 * or FZ_ENOMEM. */
int fz_secrets_new(const fz_alloc *alloc, fz_secrets **out);
void fz_secrets_free(fz_secrets *s);

/* Reads the secret spec says into s under spec->name (a later read of the
 * same name replaces it). On failure writes a message naming the secret and
 * its source, never a value, into err and returns FZ_ENOENT (unset
 * variable, missing file), FZ_EIO (unreadable file, failed command),
 * FZ_ETIMEOUT (command too slow), FZ_EINVAL (empty, too short or too long
 * value) or FZ_ENOMEM. Defined in real/secret_read.c (library fz_real):
 * it runs commands, which the engine and the simulator never do. */
int fz_secrets_read(fz_secrets *s, const fz_secret_spec *spec, char *err, size_t errlen);

/* Adds a named secret with value (len bytes; copied). Returns 0, FZ_EINVAL
 * (shorter than FZ_SECRET_MIN_LEN) or FZ_ENOMEM. */
int fz_secrets_add(fz_secrets *s, const char *name, const char *value, size_t len);

/* Adds a value a step asked to mask (`::mask VALUE`). Returns 0, FZ_EINVAL
 * (too short) or FZ_ENOMEM. Adding a known value again does nothing. */
int fz_secrets_learn(fz_secrets *s, const char *value, size_t len);

/* The value of the named secret, or NULL. */
const char *fz_secrets_get(const fz_secrets *s, const char *name);

/* 1 when name is a named secret. s may be NULL (then 0). */
int fz_secrets_is_name(const fz_secrets *s, const char *name);

/* Named secrets, in the order added. */
uint32_t fz_secrets_count(const fz_secrets *s);
const char *fz_secrets_name_at(const fz_secrets *s, uint32_t i);
const char *fz_secrets_value_at(const fz_secrets *s, uint32_t i);

/* 1 when p (len bytes) holds any masked value. s may be NULL (then 0). */
int fz_secrets_contains(const fz_secrets *s, const char *p, size_t len);

/* Masks p (len bytes): a new NUL-terminated copy with every occurrence of
 * every value replaced by FZ_SECRET_MASK, its length in *out_len (may be
 * NULL). s may be NULL (a plain copy). Caller frees with free(). NULL when
 * out of memory. */
char *fz_secrets_mask(const fz_secrets *s, const char *p, size_t len, size_t *out_len);

/* For text that was cut short (an output cap): the length of the longest
 * end of p (len bytes) that is the beginning of a value, which a mask
 * cannot recognise; 0 when none. Callers replace it by FZ_SECRET_MASK. */
size_t fz_secrets_cut_tail(const fz_secrets *s, const char *p, size_t len);

/* Masks a NUL-terminated string (NULL stays NULL: check with the input). */
char *fz_secrets_mask_str(const fz_secrets *s, const char *str);

struct json_t; /* jansson */

/* The journal's form of a variable value: NULL when value holds no masked
 * value (record it as it is); else a new JSON object {"parts": [...]}
 * (caller json_decref()s it) where each part is literal text,
 * {"secret": NAME} (with "form": "url" or "line": N for the other forms)
 * or {"masked": true} for a `::mask` value. *err is set to 1 when out of
 * memory. */
struct json_t *fz_secrets_ref_json(const fz_secrets *s, const char *value, int *err);

/* Rebuilds a value from its {"parts": [...]} form with the secrets of s (as
 * read again): a new string (free with free()). A part naming a secret s
 * does not hold gives FZ_ENOENT (message in err); a {"masked": true} part
 * becomes FZ_SECRET_MASK and sets *lost to 1. Returns 0, FZ_EINVAL (not
 * that form), FZ_ENOENT or FZ_ENOMEM. */
int fz_secrets_ref_value(const fz_secrets *s, const struct json_t *obj, char **out, int *lost,
                         char *err, size_t errlen);

#endif
