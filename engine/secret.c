/* SPDX-License-Identifier: MIT */
/*
 * secret.c - masking secrets (engine/secret.h); reading them is
 * real/secret_read.c.
 *
 * The masker is a list of byte strings sorted longest first, with a bit
 * set of their first two bytes; masking walks the text once and, at each
 * position whose two bytes start some value, replaces the longest value
 * found there. Cost: one bit test per byte, plus a compare per value that
 * starts with those two bytes. Values are rebuilt into that list whenever one is
 * added (runs add a handful).
 */
/* fork, pipe2, kill, setpgid */
#define _GNU_SOURCE

#include "engine/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"

enum { FORM_RAW, FORM_URL, FORM_LINE };

typedef struct named {
    char *name;
    char *value;
    size_t len;
} named;

typedef struct entry {
    const char *value; /* owned by a named, a learned, or forms */
    size_t len;
    int32_t secret; /* index in named, -1: learned */
    int form;
    uint32_t line;
} entry;

typedef struct owned {
    char *p;
    size_t len;
} owned;

struct fz_secrets {
    const fz_alloc *alloc;
    named *named;
    uint32_t nnamed, cap_named;
    owned *learned;
    uint32_t nlearned, cap_learned;
    owned *forms; /* derived forms' storage */
    uint32_t nforms, cap_forms;
    entry *entries;
    uint32_t nentries, cap_entries;
    uint8_t pair[65536 / 8]; /* bit set: some value starts with these two bytes */
};

int fz_secrets_new(const fz_alloc *alloc, fz_secrets **out)
{
    *out = fz_calloc(alloc, 1, sizeof(fz_secrets));
    if (!*out)
        return FZ_ENOMEM;
    (*out)->alloc = alloc;
    return FZ_OK;
}

static void owned_free(const fz_alloc *a, owned *o)
{
    fz_free(a, o->p, o->len + 1);
    o->p = NULL;
}

static void forms_clear(fz_secrets *s)
{
    for (uint32_t i = 0; i < s->nforms; i++)
        owned_free(s->alloc, &s->forms[i]);
    s->nforms = 0;
    s->nentries = 0;
    memset(s->pair, 0, sizeof s->pair);
}

void fz_secrets_free(fz_secrets *s)
{
    if (!s)
        return;
    const fz_alloc *a = s->alloc;
    forms_clear(s);
    for (uint32_t i = 0; i < s->nnamed; i++) {
        fz_free(a, s->named[i].name, strlen(s->named[i].name) + 1);
        fz_free(a, s->named[i].value, s->named[i].len + 1);
    }
    for (uint32_t i = 0; i < s->nlearned; i++)
        owned_free(a, &s->learned[i]);
    fz_free(a, s->named, s->cap_named * sizeof(named));
    fz_free(a, s->learned, s->cap_learned * sizeof(owned));
    fz_free(a, s->forms, s->cap_forms * sizeof(owned));
    fz_free(a, s->entries, s->cap_entries * sizeof(entry));
    fz_free(a, s, sizeof *s);
}

/* Grows an array of elem-sized items to hold one more. */
static int grow(const fz_alloc *a, void **arr, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return FZ_OK;
    uint32_t nc = *cap ? *cap * 2 : 8;
    void *p = fz_realloc(a, *arr, *cap * elem, nc * elem);
    if (!p)
        return FZ_ENOMEM;
    *arr = p;
    *cap = nc;
    return FZ_OK;
}

static int add_entry(fz_secrets *s, const char *v, size_t len, int32_t secret, int form,
                     uint32_t line)
{
    if (len < FZ_SECRET_MIN_LEN)
        return FZ_OK;
    for (uint32_t i = 0; i < s->nentries; i++)
        if (s->entries[i].len == len && memcmp(s->entries[i].value, v, len) == 0)
            return FZ_OK; /* the same bytes: the first (raw) form names them */
    if (grow(s->alloc, (void **)&s->entries, s->nentries, &s->cap_entries, sizeof(entry)))
        return FZ_ENOMEM;
    s->entries[s->nentries++] = (entry){v, len, secret, form, line};
    unsigned k = (unsigned)(unsigned char)v[0] << 8 | (unsigned char)v[1];
    s->pair[k >> 3] |= (uint8_t)(1u << (k & 7));
    return FZ_OK;
}

/* Stores a derived form and adds it. */
static int add_form(fz_secrets *s, char *p, size_t len, int32_t secret, int form, uint32_t line)
{
    if (grow(s->alloc, (void **)&s->forms, s->nforms, &s->cap_forms, sizeof(owned))) {
        fz_free(s->alloc, p, len + 1);
        return FZ_ENOMEM;
    }
    s->forms[s->nforms++] = (owned){p, len};
    return add_entry(s, p, len, secret, form, line);
}

static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* The percent-encoded form (RFC 3986 unreserved kept), or NULL when it is
 * the value itself or out of memory (*oom). */
static char *url_form(const fz_alloc *a, const char *v, size_t len, size_t *out_len, int *oom)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += unreserved((unsigned char)v[i]) ? 1 : 3;
    if (n == len)
        return NULL;
    char *p = fz_malloc(a, n + 1);
    if (!p) {
        *oom = 1;
        return NULL;
    }
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (unreserved(c))
            p[k++] = (char)c;
        else {
            p[k++] = '%';
            p[k++] = hex[c >> 4];
            p[k++] = hex[c & 15];
        }
    }
    p[k] = '\0';
    *out_len = k;
    return p;
}

static int entry_longer(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    if (a->len != b->len)
        return a->len > b->len ? -1 : 1;
    /* stable for equal lengths: named before learned, raw first */
    if (a->secret != b->secret)
        return a->secret < b->secret ? 1 : -1;
    return a->form - b->form;
}

/* Rebuilds the entry list from the named and learned values. */
static int rebuild(fz_secrets *s)
{
    forms_clear(s);
    int rc = FZ_OK;
    for (uint32_t i = 0; !rc && i < s->nnamed; i++)
        rc = add_entry(s, s->named[i].value, s->named[i].len, (int32_t)i, FORM_RAW, 0);
    for (uint32_t i = 0; !rc && i < s->nlearned; i++)
        rc = add_entry(s, s->learned[i].p, s->learned[i].len, -1, FORM_RAW, 0);
    for (uint32_t i = 0; !rc && i < s->nnamed; i++) {
        const named *n = &s->named[i];
        int oom = 0;
        size_t ul = 0;
        char *u = url_form(s->alloc, n->value, n->len, &ul, &oom);
        if (oom)
            rc = FZ_ENOMEM;
        else if (u)
            rc = add_form(s, u, ul, (int32_t)i, FORM_URL, 0);
        /* Each line of a multi-line value (a key file) on its own. */
        if (!rc && memchr(n->value, '\n', n->len)) {
            const char *p = n->value, *end = n->value + n->len;
            uint32_t line = 0;
            while (!rc && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end;
                size_t ll = (size_t)(le - p);
                if (ll && p[ll - 1] == '\r')
                    ll--;
                if (ll >= FZ_SECRET_MIN_LEN) {
                    char *c = fz_malloc(s->alloc, ll + 1);
                    if (!c)
                        rc = FZ_ENOMEM;
                    else {
                        memcpy(c, p, ll);
                        c[ll] = '\0';
                        rc = add_form(s, c, ll, (int32_t)i, FORM_LINE, line);
                    }
                }
                line++;
                p = nl ? nl + 1 : end;
            }
        }
    }
    if (s->nentries > 1)
        qsort(s->entries, s->nentries, sizeof(entry), entry_longer);
    return rc;
}

int fz_secrets_add(fz_secrets *s, const char *name, const char *value, size_t len)
{
    if (len < FZ_SECRET_MIN_LEN)
        return FZ_EINVAL;
    char *v = fz_malloc(s->alloc, len + 1);
    if (!v)
        return FZ_ENOMEM;
    memcpy(v, value, len);
    v[len] = '\0';
    for (uint32_t i = 0; i < s->nnamed; i++) {
        if (strcmp(s->named[i].name, name) == 0) {
            fz_free(s->alloc, s->named[i].value, s->named[i].len + 1);
            s->named[i].value = v;
            s->named[i].len = len;
            return rebuild(s);
        }
    }
    char *n = fz_strdup(s->alloc, name);
    if (!n || grow(s->alloc, (void **)&s->named, s->nnamed, &s->cap_named, sizeof(named))) {
        fz_free(s->alloc, v, len + 1);
        if (n)
            fz_free(s->alloc, n, strlen(n) + 1);
        return FZ_ENOMEM;
    }
    s->named[s->nnamed++] = (named){n, v, len};
    return rebuild(s);
}

int fz_secrets_learn(fz_secrets *s, const char *value, size_t len)
{
    if (len < FZ_SECRET_MIN_LEN)
        return FZ_EINVAL;
    for (uint32_t i = 0; i < s->nentries; i++)
        if (s->entries[i].len == len && memcmp(s->entries[i].value, value, len) == 0)
            return FZ_OK;
    char *v = fz_malloc(s->alloc, len + 1);
    if (!v || grow(s->alloc, (void **)&s->learned, s->nlearned, &s->cap_learned, sizeof(owned))) {
        if (v)
            fz_free(s->alloc, v, len + 1);
        return FZ_ENOMEM;
    }
    memcpy(v, value, len);
    v[len] = '\0';
    s->learned[s->nlearned++] = (owned){v, len};
    return rebuild(s);
}

const char *fz_secrets_get(const fz_secrets *s, const char *name)
{
    for (uint32_t i = 0; s && i < s->nnamed; i++)
        if (strcmp(s->named[i].name, name) == 0)
            return s->named[i].value;
    return NULL;
}

int fz_secrets_is_name(const fz_secrets *s, const char *name)
{
    return fz_secrets_get(s, name) != NULL;
}

uint32_t fz_secrets_count(const fz_secrets *s)
{
    return s ? s->nnamed : 0;
}

const char *fz_secrets_name_at(const fz_secrets *s, uint32_t i)
{
    return s->named[i].name;
}

const char *fz_secrets_value_at(const fz_secrets *s, uint32_t i)
{
    return s->named[i].value;
}

/* The longest entry at p (rest bytes left), or NULL. Every value has at
 * least FZ_SECRET_MIN_LEN bytes, so two bytes pick the candidates. */
static const entry *match_slow(const fz_secrets *s, const char *p, size_t rest)
{
    for (uint32_t i = 0; i < s->nentries; i++) {
        const entry *e = &s->entries[i];
        if (e->len <= rest && e->value[0] == *p && memcmp(e->value, p, e->len) == 0)
            return e;
    }
    return NULL;
}

static inline const entry *match_at(const fz_secrets *s, const char *p, size_t rest)
{
    if (rest < FZ_SECRET_MIN_LEN)
        return NULL;
    unsigned k = (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
    if (!(s->pair[k >> 3] & (1u << (k & 7))))
        return NULL;
    return match_slow(s, p, rest);
}

int fz_secrets_contains(const fz_secrets *s, const char *p, size_t len)
{
    if (!s || !s->nentries || !p)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (match_at(s, p + i, len - i))
            return 1;
    return 0;
}

char *fz_secrets_mask(const fz_secrets *s, const char *p, size_t len, size_t *out_len)
{
    /* The mask is at most as long as the shortest value it replaces. */
    size_t cap = len + 1;
    char *out = malloc(cap); /* raw-alloc: the caller frees with free() (secret.h) */
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        const entry *e = s && s->nentries ? match_at(s, p + i, len - i) : NULL;
        if (e) {
            memcpy(out + k, FZ_SECRET_MASK, sizeof FZ_SECRET_MASK - 1);
            k += sizeof FZ_SECRET_MASK - 1;
            i += e->len;
        } else
            out[k++] = p[i++];
    }
    out[k] = '\0';
    if (out_len)
        *out_len = k;
    return out;
}

size_t fz_secrets_cut_tail(const fz_secrets *s, const char *p, size_t len)
{
    size_t best = 0;
    for (uint32_t i = 0; s && i < s->nentries; i++) {
        const entry *e = &s->entries[i];
        size_t k = e->len - 1 < len ? e->len - 1 : len;
        for (; k > best; k--)
            if (memcmp(p + len - k, e->value, k) == 0) {
                best = k;
                break;
            }
    }
    return best;
}

char *fz_secrets_mask_str(const fz_secrets *s, const char *str)
{
    return str ? fz_secrets_mask(s, str, strlen(str), NULL) : NULL;
}

/*==========================================================================
 * Variable values in the journal
 *========================================================================*/

json_t *fz_secrets_ref_json(const fz_secrets *s, const char *value, int *err)
{
    *err = 0;
    size_t len = strlen(value);
    if (!fz_secrets_contains(s, value, len))
        return NULL;
    json_t *parts = json_array();
    json_t *o = json_object();
    if (!parts || !o || json_object_set(o, "parts", parts)) {
        json_decref(parts);
        json_decref(o);
        *err = 1;
        return NULL;
    }
    json_decref(parts);
    size_t lit = 0, i = 0;
    int bad = 0;
    while (i <= len && !bad) {
        const entry *e = i < len ? match_at(s, value + i, len - i) : NULL;
        if (!e && i < len) {
            i++;
            continue;
        }
        if (i > lit)
            bad |= json_array_append_new(parts, json_stringn(value + lit, i - lit));
        if (!e)
            break;
        json_t *ref = e->secret < 0 ? json_pack("{sb}", "masked", 1)
                                    : json_pack("{ss}", "secret", s->named[e->secret].name);
        if (ref && e->form == FORM_URL)
            bad |= json_object_set_new(ref, "form", json_string("url"));
        if (ref && e->form == FORM_LINE)
            bad |= json_object_set_new(ref, "line", json_integer(e->line));
        bad |= !ref || json_array_append_new(parts, ref);
        i += e->len;
        lit = i;
    }
    if (bad) {
        json_decref(o);
        *err = 1;
        return NULL;
    }
    return o;
}

/* The entry of secret index si in form (and line), or NULL. */
static const entry *find_form(const fz_secrets *s, int32_t si, int form, uint32_t line)
{
    for (uint32_t i = 0; i < s->nentries; i++) {
        const entry *e = &s->entries[i];
        if (e->secret == si && e->form == form && (form != FORM_LINE || e->line == line))
            return e;
    }
    return NULL;
}

int fz_secrets_ref_value(const fz_secrets *s, const json_t *obj, char **out, int *lost, char *err,
                         size_t errlen)
{
    *out = NULL;
    json_t *parts = json_is_object(obj) ? json_object_get(obj, "parts") : NULL;
    if (!json_is_array(parts))
        return FZ_EINVAL;
    size_t total = 1;
    size_t n = json_array_size(parts);
    size_t n1 = n ? n : 1;
    const char **pv = fz_calloc(NULL, n1, sizeof(char *));
    size_t *pl = fz_calloc(NULL, n1, sizeof(size_t));
    int rc = pv && pl ? FZ_OK : FZ_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *p = json_array_get(parts, i);
        if (json_is_string(p)) {
            pv[i] = json_string_value(p);
            pl[i] = json_string_length(p);
        } else if (json_is_object(p) && json_is_true(json_object_get(p, "masked"))) {
            pv[i] = FZ_SECRET_MASK;
            pl[i] = sizeof FZ_SECRET_MASK - 1;
            *lost = 1;
        } else if (json_is_object(p) && json_is_string(json_object_get(p, "secret"))) {
            const char *name = json_string_value(json_object_get(p, "secret"));
            int32_t si = -1;
            for (uint32_t k = 0; s && k < s->nnamed; k++)
                if (strcmp(s->named[k].name, name) == 0)
                    si = (int32_t)k;
            const char *form = json_string_value(json_object_get(p, "form"));
            json_t *line = json_object_get(p, "line");
            const entry *e = NULL;
            if (si >= 0) {
                if (form && strcmp(form, "url") == 0)
                    e = find_form(s, si, FORM_URL, 0);
                else if (json_is_integer(line))
                    e = find_form(s, si, FORM_LINE, (uint32_t)json_integer_value(line));
                else if (!form)
                    e = find_form(s, si, FORM_RAW, 0);
            }
            if (!e) {
                snprintf(err, errlen,
                         "a recorded variable refers to the secret %s, which this run does not "
                         "have (or no longer has in that form)",
                         name);
                rc = FZ_ENOENT;
                break;
            }
            pv[i] = e->value;
            pl[i] = e->len;
        } else {
            rc = FZ_EINVAL;
            break;
        }
        total += pl[i];
    }
    char *v = rc ? NULL : malloc(total); /* raw-alloc: the caller frees with free() (secret.h) */
    if (!rc && !v)
        rc = FZ_ENOMEM;
    if (!rc) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(v + k, pv[i], pl[i]);
            k += pl[i];
        }
        v[k] = '\0';
        *out = v;
    }
    fz_free(NULL, pv, n1 * sizeof(char *));
    fz_free(NULL, pl, n1 * sizeof(size_t));
    return rc;
}
