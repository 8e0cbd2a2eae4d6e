/* SPDX-License-Identifier: MIT */
/*
 * bindcheck.c - `flowzap bind --check` (docs/bindings.md, "Checking a
 * bindings file"): what can be known about a bindings file before a run,
 * beyond what loading checks. Programs are looked up as execvp() would,
 * directories and URLs are checked, and every ${NAME} must be defined by
 * something that can come before its step. Nothing is run: no program,
 * no connection, no secret source is read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "real/bind.h"

typedef struct checker {
    const fz_bind *b;
    const fz_graph *g;
    const char *const *sets; /* --set names */
    uint32_t nsets;
    fz_diags *d;
    const char *text;
    uint32_t len;
    uint32_t lo, hi; /* the current rule's span of text */
    const char *key; /* where a program is written: "exec", "secrets:" */
    int rc;
} checker;

/* The offset of the first occurrence of needle in the current rule's
 * span (after key, when given), or the rule's own place. */
static uint32_t find_in_rule(const checker *c, const char *key, const char *needle)
{
    uint32_t from = c->lo;
    size_t nl = strlen(needle);
    if (key) {
        size_t kl = strlen(key);
        for (uint32_t i = c->lo; i + kl <= c->hi; i++)
            if (!memcmp(c->text + i, key, kl)) {
                from = i + (uint32_t)kl;
                while (from < c->hi && (c->text[from] == ' ' || c->text[from] == '\t'))
                    from++;
                break;
            }
    }
    for (uint32_t i = from; nl && i + nl <= c->hi; i++)
        if (!memcmp(c->text + i, needle, nl))
            return i;
    return from > c->lo ? from : c->lo;
}

static void report(checker *c, fz_severity sev, const char *code, uint32_t off, const char *hint,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void report(checker *c, fz_severity sev, const char *code, uint32_t off, const char *hint,
                   const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fz_diags_add(c->d, sev, code, off, 1, hint, "%s", msg))
        c->rc = FZ_ENOMEM;
}

/*--------------------------------------------------------------------------
 * Programs, directories, URLs
 *------------------------------------------------------------------------*/

/* 0 when path is an executable file; else a reason. */
static const char *not_runnable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return "does not exist";
    if (S_ISDIR(st.st_mode))
        return "is a directory";
    if (access(path, X_OK) != 0)
        return "is not executable";
    return NULL;
}

static void check_program(checker *c, const char *prog, const char *cwd)
{
    if (fz__has_ref(prog) || !*prog)
        return; /* known only at run time */
    uint32_t at = find_in_rule(c, c->key, prog);
    const char *who = strcmp(c->key, "exec") ? "'secrets': command" : "'exec': program";
    char path[4096];
    if (strchr(prog, '/')) {
        if (prog[0] == '/' || !cwd)
            snprintf(path, sizeof(path), "%s", prog);
        else
            snprintf(path, sizeof(path), "%s/%s", cwd, prog + 2 * !strncmp(prog, "./", 2));
        const char *why = not_runnable(path);
        if (why) {
            char what[4200];
            snprintf(what, sizeof(what), "%s '%s' (%s) %s", who, prog, path, why);
            report(c, FZ_SEV_ERROR, "B010", at,
                   "a program with a '/' is relative to the rule's cwd (default: the bindings "
                   "file's directory)",
                   "%s", what);
        }
        return;
    }
    const char *p = getenv("PATH");
    if (!p || !*p)
        p = "/usr/local/bin:/usr/bin:/bin";
    const char *why = NULL;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(path, sizeof(path), "%.*s/%s", (int)n, n ? p : ".", prog);
        const char *w = not_runnable(path);
        if (!w)
            return;
        if (strcmp(w, "does not exist") != 0)
            why = w;
        p += n + (e != NULL);
    }
    report(c, FZ_SEV_ERROR, "B010", at, "a program without a '/' is searched in PATH", "%s '%s' %s",
           who, prog, why ? why : "is not in PATH");
}

static void check_cwd(checker *c, const char *cwd)
{
    struct stat st;
    if (!cwd || (stat(cwd, &st) == 0 && S_ISDIR(st.st_mode)))
        return;
    report(c, FZ_SEV_ERROR, "B011", find_in_rule(c, "cwd:", ""),
           "a relative cwd is taken from the bindings file's directory", "'cwd': '%s' %s", cwd,
           stat(cwd, &st) == 0 ? "is not a directory" : "does not exist");
}

/* Replaces ${NAME} by its value from vars: or --set (values given as
 * NAME=VALUE in sets); 0 when some name has no value known now. */
static int expand_static(const checker *c, const char *t, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = t; *s;) {
        if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
            if (n + 2 >= cap)
                return 0;
            out[n++] = '$';
            out[n++] = '{';
            s += 3;
            continue;
        }
        if (s[0] == '$' && s[1] == '{' && strchr(s, '}')) {
            const char *e = strchr(s, '}');
            size_t kl = (size_t)(e - s - 2);
            const char *v = NULL;
            for (uint32_t i = 0; i < c->nsets && !v; i++)
                if (!strncmp(c->sets[i], s + 2, kl) && c->sets[i][kl] == '=')
                    v = c->sets[i] + kl + 1;
            for (uint32_t i = 0; i < fz_bind_var_count(c->b) && !v; i++) {
                fz_kv kv = fz_bind_var_at(c->b, i);
                if (strlen(kv.key) == kl && !strncmp(kv.key, s + 2, kl))
                    v = kv.value;
            }
            if (!v)
                return 0;
            size_t vl = strlen(v);
            if (n + vl >= cap)
                return 0;
            memcpy(out + n, v, vl);
            n += vl;
            s = e + 1;
            continue;
        }
        if (n + 1 >= cap)
            return 0;
        out[n++] = *s++;
    }
    out[n] = '\0';
    return 1;
}

/* A careful URL check (libcurl is not loaded for it): http:// or https://,
 * a host of letters, digits, '-', '.', or a [bracketed] IPv6 address, an
 * optional port of 1..65535, then a path, query or fragment of visible
 * characters. */
static const char *url_problem(const char *u)
{
    const char *h;
    if (!strncasecmp(u, "http://", 7))
        h = u + 7;
    else if (!strncasecmp(u, "https://", 8))
        h = u + 8;
    else
        return "does not start with http:// or https://";
    for (const char *s = u; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return "holds a space or a control character (percent-encode it)";
    const char *end = h + strcspn(h, "/?#");
    const char *at = memchr(h, '@', (size_t)(end - h));
    if (at)
        h = at + 1; /* user:password@ */
    const char *hp = h;
    if (*hp == '[') {
        const char *cl = memchr(hp, ']', (size_t)(end - hp));
        if (!cl || cl == hp + 1)
            return "has a bad [IPv6] host";
        for (const char *s = hp + 1; s < cl; s++)
            if (!strchr("0123456789abcdefABCDEF:.", *s))
                return "has a bad [IPv6] host";
        hp = cl + 1;
    } else {
        const char *s = hp;
        while (s < end && *s != ':') {
            if (!(((*s | 32) >= 'a' && (*s | 32) <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                  *s == '.' || *s == '_' || (unsigned char)*s >= 0x80))
                return "has a character that cannot be in a host name";
            s++;
        }
        if (s == hp)
            return "has no host";
        hp = s;
    }
    if (hp < end) {
        if (*hp != ':')
            return "has text after its host that is not a :port";
        long port = 0;
        const char *s = hp + 1;
        if (s == end)
            return "has an empty port";
        for (; s < end; s++) {
            if (*s < '0' || *s > '9')
                return "has a port that is not a number";
            port = port * 10 + (*s - '0');
            if (port > 65535)
                break;
        }
        if (port < 1 || port > 65535)
            return "has a port outside 1..65535";
    }
    return NULL;
}

static void check_url(checker *c, const char *url)
{
    char buf[8192];
    if (!url || !expand_static(c, url, buf, sizeof(buf)))
        return; /* a part is known only at run time */
    const char *why = url_problem(buf);
    if (why)
        report(c, FZ_SEV_ERROR, "B012", find_in_rule(c, "url:", url),
               "a URL is http:// or https://, a host, an optional :port, then a path",
               "'http.url': '%s' %s", buf, why);
}

/*--------------------------------------------------------------------------
 * ${NAME}: where each can come from
 *------------------------------------------------------------------------*/

/* What the nodes before one node can set: names known statically, and
 * whether an exec or shell step (whose ::set lines cannot be known) is
 * among them. */
typedef struct before {
    uint8_t *seen; /* nodes that can come before */
    int dynamic;
} before;

static int names_in_rule(const fz_bind *b, uint32_t r, const char *name)
{
    fz_rule_info in;
    fz_bind_rule_info(b, r, &in);
    for (uint32_t i = 0; i < in.nkv; i++)
        if (!strcmp(in.kvs[i].key, name))
            return 1;
    for (uint32_t i = 0; in.body_match; i++) {
        const char *g = fz_match_group_name(in.body_match, i);
        if (!g)
            break;
        if (!strcmp(g, name))
            return 1;
    }
    return 0;
}

static int is_dynamic(const fz_bind *b, uint32_t r)
{
    fz_rule_info in;
    fz_bind_rule_info(b, r, &in);
    return in.argv != NULL; /* exec, shell: ::set lines */
}

/* Marks in seen every node from which node can be reached (through edges,
 * and within a loop every node of it). */
static void mark_before(const fz_graph *g, uint32_t node, uint8_t *seen, uint32_t *stack)
{
    uint32_t n = fz_graph_node_count(g), sp = 0;
    memset(seen, 0, n);
    stack[sp++] = node;
    for (uint32_t l = 0; l < fz_graph_loop_count(g); l++) {
        const fz_loop *lp = fz_graph_loop(g, l);
        int in = 0;
        for (uint32_t k = 0; k < lp->node_count && !in; k++)
            in = fz_graph_loop_node(g, lp, k) == node;
        for (uint32_t k = 0; in && k < lp->node_count; k++) {
            uint32_t m = fz_graph_loop_node(g, lp, k);
            if (!seen[m]) {
                seen[m] = 1;
                stack[sp++] = m;
            }
        }
    }
    while (sp) {
        uint32_t cur = stack[--sp], cnt = 0;
        const uint32_t *in = fz_graph_in(g, cur, &cnt);
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t src = fz_graph_edge(g, in[k])->src;
            if (!seen[src]) {
                seen[src] = 1;
                stack[sp++] = src;
            }
        }
    }
}

static int defined_statically(const checker *c, uint32_t r, const char *name)
{
    for (uint32_t i = 0; i < c->nsets; i++) {
        size_t kl = strcspn(c->sets[i], "=");
        if (strlen(name) == kl && !strncmp(c->sets[i], name, kl))
            return 1;
    }
    for (uint32_t i = 0; i < fz_bind_var_count(c->b); i++)
        if (!strcmp(fz_bind_var_at(c->b, i).key, name))
            return 1;
    for (uint32_t i = 0; i < fz_bind_secret_count(c->b); i++)
        if (!strcmp(fz_bind_secret_at(c->b, i)->name, name))
            return 1;
    const fz_match *m = fz_bind_rule(c->b, r)->match;
    if (!strcmp(name, "0"))
        return 1;
    char *end;
    unsigned long k = strtoul(name, &end, 10);
    if (*name >= '0' && *name <= '9' && !*end)
        return k <= fz_match_group_count(m);
    for (uint32_t i = 0;; i++) {
        const char *g = fz_match_group_name(m, i);
        if (!g)
            return 0;
        if (!strcmp(g, name))
            return 1;
    }
}

/* 0: some step before every node of rule r sets it... more exactly: 2 when
 * a set:/body_match before each bound node sets name, 1 when only an
 * exec/shell step before some node might, 0 when nothing can. */
static int defined_before(const checker *c, uint32_t r, const char *name, uint8_t *seen,
                          uint32_t *stack)
{
    uint32_t n = fz_graph_node_count(c->g);
    int worst = 2, bound = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (fz_bind_node_rule(c->b, v) != r)
            continue;
        bound = 1;
        mark_before(c->g, v, seen, stack);
        int known = 0, dyn = 0;
        for (uint32_t u = 0; u < n && !known; u++) {
            uint32_t ur = fz_bind_node_rule(c->b, u);
            if (!seen[u] || ur == FZ_NONE)
                continue;
            known = names_in_rule(c->b, ur, name);
            dyn |= is_dynamic(c->b, ur);
        }
        int got = known ? 2 : dyn ? 1 : 0;
        if (got < worst)
            worst = got;
    }
    if (!bound) { /* a rule that binds no node: anything in the file counts */
        int dyn = 0;
        for (uint32_t u = 0; u < fz_bind_rule_count(c->b); u++) {
            if (names_in_rule(c->b, u, name))
                return 2;
            dyn |= is_dynamic(c->b, u);
        }
        return dyn ? 1 : 0;
    }
    return worst;
}

typedef struct seen_names {
    char names[64][128];
    uint32_t n;
} seen_names;

static void check_refs(checker *c, uint32_t r, const char *t, seen_names *sn, uint8_t *seen,
                       uint32_t *stack)
{
    for (const char *s = t; s && *s; s++) {
        if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
            s += 2;
            continue;
        }
        if (s[0] != '$' || s[1] != '{')
            continue;
        const char *e = strchr(s + 2, '}');
        if (!e)
            return;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(e - s - 2), s + 2);
        s = e;
        int dup = 0;
        for (uint32_t i = 0; i < sn->n && !dup; i++)
            dup = !strcmp(sn->names[i], name);
        if (dup)
            continue;
        if (sn->n < 64)
            snprintf(sn->names[sn->n++], sizeof(sn->names[0]), "%s", name);
        if (defined_statically(c, r, name))
            continue;
        if (*name >= '0' && *name <= '9') { /* a group number: only the pattern gives it */
            char ref[140];
            snprintf(ref, sizeof(ref), "${%s}", name);
            uint32_t ng = fz_match_group_count(fz_bind_rule(c->b, r)->match);
            report(c, FZ_SEV_ERROR, "B013", find_in_rule(c, NULL, ref),
                   "numbered names are the groups of the rule's own 'match' pattern",
                   "'${%s}': the rule's pattern has %u capture group%s", name, ng,
                   ng == 1 ? "" : "s");
            continue;
        }
        int how = defined_before(c, r, name, seen, stack);
        if (how == 2)
            continue;
        char ref[140];
        snprintf(ref, sizeof(ref), "${%s}", name);
        uint32_t at = find_in_rule(c, NULL, ref);
        if (how == 1)
            report(c, FZ_SEV_WARNING, "B014", at,
                   "only an exec or shell step's '::set' line could set it; check that one does",
                   "'${%s}' is not in vars:, --set, a secret, the rule's captures or a set:/"
                   "body_match of a step that can come before it",
                   name);
        else
            report(c, FZ_SEV_ERROR, "B013", at,
                   "define it in vars:, pass --set NAME=VALUE, capture it in the rule's pattern, "
                   "or set it (set:, body_match) in a step before",
                   "'${%s}' is never defined before this step", name);
    }
}

int fz_bind_check(const fz_bind *b, const fz_graph *g, const char *const *sets, uint32_t nsets,
                  fz_diags *d)
{
    checker c = {b, g, sets, nsets, d, NULL, 0, 0, 0, NULL, 0};
    c.text = fz_bind_text(b, &c.len);
    uint32_t n = fz_graph_node_count(g);
    size_t n1 = n ? n : 1;
    uint8_t *seen = fz_malloc(g->alloc, n1);
    uint32_t *stack = fz_malloc(g->alloc, n1 * sizeof(uint32_t));
    seen_names *sn = fz_malloc(g->alloc, sizeof(*sn));
    if (!seen || !stack || !sn) {
        fz_free(g->alloc, seen, n1);
        fz_free(g->alloc, stack, n1 * sizeof(uint32_t));
        fz_free(g->alloc, sn, sizeof(*sn));
        return FZ_ENOMEM;
    }
    /* A secret's command runs like an exec program, from the bindings
     * file's directory. */
    c.lo = 0;
    c.hi = c.len;
    for (uint32_t i = 0; i < fz_bind_secret_count(b) && !c.rc; i++) {
        const fz_secret_spec *sp = fz_bind_secret_at(b, i);
        if (sp->kind == FZ_SECRET_COMMAND && sp->argv && sp->argv[0]) {
            c.key = "secrets:";
            check_program(&c, sp->argv[0], sp->cwd);
        }
    }
    c.key = "exec";
    uint32_t nr = fz_bind_rule_count(b);
    for (uint32_t r = 0; r < nr && !c.rc; r++) {
        c.lo = fz_bind_rule(b, r)->offset;
        c.hi = r + 1 < nr ? fz_bind_rule(b, r + 1)->offset : c.len;
        fz_rule_info in;
        fz_bind_rule_info(b, r, &in);
        sn->n = 0;
        if (in.argv && !in.shell)
            check_program(&c, in.argv[0], in.cwd);
        if (in.argv)
            check_cwd(&c, in.cwd);
        check_url(&c, in.url);
        for (uint32_t i = 0; in.argv && !in.shell && i < in.argc; i++)
            check_refs(&c, r, in.argv[i], sn, seen, stack);
        for (uint32_t i = 0; i < in.nenv; i++)
            check_refs(&c, r, in.env[i].value, sn, seen, stack);
        check_refs(&c, r, in.url, sn, seen, stack);
        for (uint32_t i = 0; i < in.nheaders; i++)
            check_refs(&c, r, in.headers[i].value, sn, seen, stack);
        check_refs(&c, r, in.body, sn, seen, stack);
        check_refs(&c, r, in.text, sn, seen, stack);
        for (uint32_t i = 0; i < in.nkv; i++)
            check_refs(&c, r, in.kvs[i].value, sn, seen, stack);
    }
    fz_free(g->alloc, seen, n1);
    fz_free(g->alloc, stack, n1 * sizeof(uint32_t));
    fz_free(g->alloc, sn, sizeof(*sn));
    return c.rc;
}
