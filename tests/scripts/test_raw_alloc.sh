#!/usr/bin/env bash
# scripts/check-raw-alloc.sh: the tree has no raw malloc/calloc/realloc/
# free/strdup outside core/alloc.c and cli/ (marked library buffers and
# scripts/raw-alloc.allow aside), and the check catches one: in a
# temporary tree it names file:line of each raw call and exits 1, while
# cli/, core/alloc.c, tests/, comments, strings, fz_ calls and marked lines
# pass.
set -eu
: "${FZ_SRC:?}"
check=$FZ_SRC/scripts/check-raw-alloc.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail() { echo "FAIL: $*"; exit 1; }

# 1. The project's own tree is clean.
if ! "$check" "$FZ_SRC" >"$tmp/out" 2>&1; then
  cat "$tmp/out"
  fail "raw allocation calls in the tree (see above)"
fi
pass=$((pass + 1))

# 2. A temporary tree with one violation of each kind, and what is allowed.
mkdir -p "$tmp/t/engine" "$tmp/t/cli" "$tmp/t/core" "$tmp/t/tests/unit" "$tmp/t/build/dev"
cat >"$tmp/t/engine/bad.c" <<'C'
#include <stdlib.h>
#include <string.h>
static char *f(const char *s, size_t n)
{
    char *p = malloc(n);
    p = realloc(p, n * 2);
    char *q = strdup(s);
    void *z = calloc (n, 1);
    free(q);
    free(z);
    return p;
}
C
cat >"$tmp/t/engine/good.c" <<'C'
#include "core/alloc.h"
/* malloc(n) in a comment; see free() */
// free(p) in a line comment
static const char *msg = "call malloc(n) and free(p)";
static void g(const fz_alloc *a, char *buf, struct x *o)
{
    char *p = fz_malloc(a, 8);
    fz_free(a, p, 8);
    o->free(buf);
    o.malloc(1);
    free(buf); /* raw-alloc: open_memstream's buffer */
    my_free(buf);
}
C
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/t/cli/main.c"
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/t/core/alloc.c"
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/t/tests/unit/test_x.c"
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/t/build/dev/gen.c"
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/t/core/other.h"
set +e
"$check" "$tmp/t" >"$tmp/out" 2>&1
rc=$?
set -e
cat "$tmp/out"
[ "$rc" -eq 1 ] || fail "exit status $rc for a tree with raw calls (want 1)"
pass=$((pass + 1))
for want in "engine/bad.c:5: raw malloc()" "engine/bad.c:6: raw realloc()" \
            "engine/bad.c:7: raw strdup()" "engine/bad.c:8: raw calloc()" \
            "engine/bad.c:9: raw free()" "engine/bad.c:10: raw free()" \
            "core/other.h:1: raw malloc()" "check-raw-alloc: 7 raw allocation call(s)"; do
  grep -qF "$want" "$tmp/out" || fail "no line '$want'"
  pass=$((pass + 1))
done
if grep -E '^(engine/good\.c|cli/|core/alloc\.c|tests/|build/)' "$tmp/out"; then
  fail "an allowed call was reported"
fi
pass=$((pass + 1))

# 3. Hostile file names are printed as they are, not run.
mkdir -p "$tmp/h/engine"
printf 'void *h(void) { return malloc(1); }\n' >"$tmp/h/engine/\$(touch pwned).c"
set +e
(cd "$tmp" && "$check" "$tmp/h" >"$tmp/out" 2>&1)
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qF 'engine/$(touch pwned).c:1: raw malloc()' "$tmp/out" && [ ! -e "$tmp/pwned" ] ||
  fail "hostile file name"
pass=$((pass + 1))

# 4. A missing directory is an error of its own (2), not a pass.
set +e
"$check" "$tmp/none" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing directory gives $rc (want 2)"
pass=$((pass + 1))
echo "$pass passed, 0 failed"
