/* SPDX-License-Identifier: MIT */
/*
 * builtin.c - handlers that need no outside program: sleep, log, set,
 * outcome, fail, approval and noop. All but sleep and approval answer at
 * once; sleep is a timer of the real backend's loop, and approval polls the
 * backend's approval source (real.h: fz_approvals, the journal in
 * practice) until `flowzap signal RUN NODE yes|no` answers it.
 */
#include <libfyaml.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "real/bind.h"
#include "real/handler.h"

/* A builtin's parameter: one text (maybe with ${VAR}) or a mapping. */
typedef struct text_cfg {
    char *text;  /* NULL: none given */
    uint64_t ns; /* sleep: the parsed duration when text has no ${VAR} */
    fz_kv *kvs;  /* set: the mapping */
    uint32_t nkv;
} text_cfg;

static void text_info(const void *cfg, fz_rule_info *out)
{
    const text_cfg *c = cfg;
    out->text = c->text;
    out->kvs = c->kvs;
    out->nkv = c->nkv;
}

static void text_free(const fz_alloc *a, void *p)
{
    text_cfg *c = p;
    if (!c)
        return;
    if (c->text)
        fz_free(a, c->text, strlen(c->text) + 1);
    fz__kvv_free(a, c->kvs);
    fz_free(a, c, sizeof(*c));
}

static int text_new(fz_bind_loader *ld, text_cfg **out)
{
    *out = fz_calloc(fz__bind_alloc(ld), 1, sizeof(text_cfg));
    return *out ? FZ_OK : FZ_ENOMEM;
}

/* Reads an optional text value (null is "none"). */
static int validate_text_opt(fz_bind_loader *ld, struct fy_node *value, const char *field,
                             void **cfg)
{
    text_cfg *c = NULL;
    int rc = text_new(ld, &c);
    if (rc)
        return rc;
    if (value && !fy_node_is_null(value))
        rc = fz__yaml_string(ld, value, field, &c->text);
    if (rc) {
        text_free(fz__bind_alloc(ld), c);
        return rc;
    }
    *cfg = c;
    return FZ_OK;
}

static int validate_text_req(fz_bind_loader *ld, struct fy_node *value, const char *field,
                             void **cfg)
{
    text_cfg *c = NULL;
    int rc = text_new(ld, &c);
    if (rc)
        return rc;
    rc = fz__yaml_string(ld, value, field, &c->text);
    if (!rc && c->text[0] == '\0')
        rc = fz__bind_error(ld, value, "'%s' must not be empty", field);
    if (rc) {
        text_free(fz__bind_alloc(ld), c);
        return rc;
    }
    *cfg = c;
    return FZ_OK;
}

static void describe_text(const char *name, const void *cfg, char *buf, size_t len)
{
    const text_cfg *c = cfg;
    if (c && c->text)
        snprintf(buf, len, "%s %s", name, c->text);
    else
        snprintf(buf, len, "%s", name);
}

/* Expands a template, ending the job as an error when a variable is unknown. */
static int expand_or_fail(fz_job *j, const char *tmpl, char **out)
{
    int rc = fz__job_expand(j, tmpl, out);
    if (rc == FZ_ENOENT)
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL); /* reason set by expand */
    return rc == FZ_ENOENT ? FZ_OK : rc;
}

/*==========================================================================
 * sleep DURATION
 *========================================================================*/

static int sleep_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                          void **cfg)
{
    (void)rule;
    int rc = validate_text_req(ld, value, "sleep", cfg);
    if (rc)
        return rc;
    text_cfg *c = *cfg;
    if (!fz__has_ref(c->text) && fz__duration_parse(c->text, strlen(c->text), &c->ns)) {
        rc = fz__bind_error(ld, value, "'sleep': '%s' is not a duration (e.g. 500ms, 2s, 1m)",
                            c->text);
        text_free(fz__bind_alloc(ld), c);
        *cfg = NULL;
    }
    return rc;
}

static void fire_ok(fz_job *j, const void *cfg)
{
    (void)cfg;
    fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
}

static int sleep_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    uint64_t ns = c->ns;
    if (fz__has_ref(c->text)) {
        char *s = NULL;
        int rc = fz__job_expand(j, c->text, &s);
        if (rc == FZ_ENOENT) {
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL);
            return FZ_OK;
        }
        if (rc)
            return rc;
        if (fz__duration_parse(s, strlen(s), &ns)) {
            char msg[200];
            snprintf(msg, sizeof(msg), "sleep: '%.100s' is not a duration", s);
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, msg);
            return FZ_OK;
        }
    }
    return fz__job_timer(j, ns, fire_ok);
}

static void sleep_describe(const void *cfg, char *buf, size_t len)
{
    describe_text("sleep", cfg, buf, len);
}

const fz_handler_ops fz__handler_sleep = {
    "sleep", sleep_validate, sleep_start, NULL, text_free, sleep_describe, NULL, text_info,
};

/*==========================================================================
 * log TEXT
 *========================================================================*/

static int log_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value, void **cfg)
{
    (void)rule;
    return validate_text_req(ld, value, "log", cfg);
}

static int log_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    char *s = NULL;
    int rc = expand_or_fail(j, c->text, &s);
    if (rc || !s)
        return rc;
    fz__job_log(j, s);
    fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
    return FZ_OK;
}

static void log_describe(const void *cfg, char *buf, size_t len)
{
    describe_text("log", cfg, buf, len);
}

const fz_handler_ops fz__handler_log = {
    "log", log_validate, log_start, NULL, text_free, log_describe, NULL, text_info,
};

/*==========================================================================
 * set {KEY: VALUE, ...}
 *========================================================================*/

static int set_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value, void **cfg)
{
    (void)rule;
    text_cfg *c = NULL;
    int rc = text_new(ld, &c);
    if (rc)
        return rc;
    rc = fz__yaml_kvv(ld, value, "set", &c->kvs, &c->nkv);
    if (!rc && c->nkv == 0)
        rc = fz__bind_error(ld, value, "'set' needs at least one KEY: VALUE");
    /* a key no ${...} could name is refused where it is written */
    for (uint32_t i = 0; !rc && i < c->nkv; i++)
        if (!fz__var_name_ok(c->kvs[i].key, strlen(c->kvs[i].key))) {
            struct fy_node *at = fy_node_is_mapping(value)
                                     ? fy_node_mapping_lookup_key_by_string(value, c->kvs[i].key,
                                                                            FY_NT)
                                     : NULL;
            rc = fz__bind_error(ld, at ? at : value,
                                "'set': '%s' is not a variable name (a letter or '_', then "
                                "letters, digits and '_', as --set takes)",
                                c->kvs[i].key);
        }
    if (rc) {
        text_free(fz__bind_alloc(ld), c);
        return rc;
    }
    *cfg = c;
    return FZ_OK;
}

static int set_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    for (uint32_t i = 0; i < c->nkv; i++) {
        char *v = NULL;
        int rc = fz__job_expand(j, c->kvs[i].value, &v);
        if (rc == FZ_ENOENT) {
            fz__job_finish(j, FZ_ANSWER_ERROR, NULL, NULL);
            return FZ_OK;
        }
        if (rc || (rc = fz__job_set(j, c->kvs[i].key, v)))
            return rc;
    }
    fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
    return FZ_OK;
}

static void set_describe(const void *cfg, char *buf, size_t len)
{
    const text_cfg *c = cfg;
    size_t n = (size_t)snprintf(buf, len, "set");
    for (uint32_t i = 0; i < c->nkv && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, " %s=%s", c->kvs[i].key, c->kvs[i].value);
}

const fz_handler_ops fz__handler_set = {
    "set", set_validate, set_start, NULL, text_free, set_describe, NULL, text_info,
};

/*==========================================================================
 * outcome NAME, fail [REASON], noop
 *========================================================================*/

static int outcome_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                            void **cfg)
{
    (void)rule;
    return validate_text_req(ld, value, "outcome", cfg);
}

static int outcome_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    char *s = NULL;
    int rc = expand_or_fail(j, c->text, &s);
    if (rc || !s)
        return rc;
    fz__job_finish(j, FZ_ANSWER_OK, s, NULL);
    return FZ_OK;
}

static void outcome_describe(const void *cfg, char *buf, size_t len)
{
    describe_text("outcome", cfg, buf, len);
}

const fz_handler_ops fz__handler_outcome = {
    "outcome", outcome_validate, outcome_start, NULL, text_free, outcome_describe, NULL, text_info,
};

static int fail_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                         void **cfg)
{
    (void)rule;
    return validate_text_opt(ld, value, "fail", cfg);
}

static int fail_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    char *s = NULL;
    if (c->text) {
        int rc = expand_or_fail(j, c->text, &s);
        if (rc || !s)
            return rc;
    }
    fz__job_finish(j, FZ_ANSWER_ERROR, NULL, s ? s : "failed (fail builtin)");
    return FZ_OK;
}

static void fail_describe(const void *cfg, char *buf, size_t len)
{
    describe_text("fail", cfg, buf, len);
}

const fz_handler_ops fz__handler_fail = {
    "fail", fail_validate, fail_start, NULL, text_free, fail_describe, NULL, text_info,
};

static int noop_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                         void **cfg)
{
    (void)rule;
    (void)value;
    text_cfg *c = NULL;
    int rc = text_new(ld, &c);
    *cfg = c;
    return rc;
}

static int noop_start(fz_job *j, const void *cfg)
{
    (void)cfg;
    fz__job_finish(j, FZ_ANSWER_OK, NULL, NULL);
    return FZ_OK;
}

static void noop_describe(const void *cfg, char *buf, size_t len)
{
    (void)cfg;
    snprintf(buf, len, "noop");
}

const fz_handler_ops fz__handler_noop = {
    "noop", noop_validate, noop_start, NULL, text_free, noop_describe, NULL, text_info,
};

/*==========================================================================
 * approval [PROMPT]
 *========================================================================*/

static int approval_validate(fz_bind_loader *ld, struct fy_node *rule, struct fy_node *value,
                             void **cfg)
{
    (void)rule;
    return validate_text_opt(ld, value, "approval", cfg);
}

/* One poll of the approval source; answers, or arms the next poll. */
static void approval_poll(fz_job *j, const void *cfg)
{
    int approved = 0;
    int rc = fz__job_approval(j, &approved);
    if (rc == 1) {
        fz__job_finish(j, approved ? FZ_ANSWER_OK : FZ_ANSWER_NO, NULL,
                       approved ? NULL : "approval denied");
        return;
    }
    if (rc == FZ_ESTATE) {
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL,
                       "approval gate needs the run journal (flowzap signal answers it)");
        return;
    }
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "approval: %s", fz_strerror(rc));
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, msg);
        return;
    }
    if (fz__job_approval_wait(j, approval_poll))
        fz__job_finish(j, FZ_ANSWER_ERROR, NULL, "approval: out of memory");
    (void)cfg;
}

static int approval_start(fz_job *j, const void *cfg)
{
    const text_cfg *c = cfg;
    char msg[600];
    char *prompt = NULL;
    if (c->text) {
        int rc = expand_or_fail(j, c->text, &prompt);
        if (rc || !prompt)
            return rc;
    }
    snprintf(msg, sizeof(msg), "%s%swaiting for approval: flowzap signal %s %s yes|no",
             prompt ? prompt : "", prompt ? " - " : "", fz__job_run_id(j), fz__job_node_id(j));
    fz__job_log(j, msg);
    approval_poll(j, cfg);
    return FZ_OK;
}

static void approval_describe(const void *cfg, char *buf, size_t len)
{
    describe_text("approval", cfg, buf, len);
}

const fz_handler_ops fz__handler_approval = {
    "approval", approval_validate, approval_start, NULL,
    text_free,  approval_describe, NULL,           text_info,
};
