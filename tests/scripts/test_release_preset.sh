#!/usr/bin/env bash
# FZ_TESTING, which makes the FZ_STATIC functions visible to unit tests, is
# defined in builds with tests only: the release preset configures without
# tests and compiles without it (its lint.c exports no test hook), while
# this build, which runs the tests, compiles with it.
set -eu
: "${FZ_SRC:?}" "${FZ_BUILD:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$FZ_SRC"
pass=0
ok() { pass=$((pass + 1)); }
fail() { echo "FAIL: $*"; exit 1; }

cmake --preset release -B "$tmp/release" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "release preset does not configure"; }
grep -q '^FZ_TESTS:BOOL=OFF$' "$tmp/release/CMakeCache.txt" || fail "release preset builds tests (FZ_TESTS is not OFF)"
ok
cc="$tmp/release/compile_commands.json"
grep -q '/parser/lint\.c"' "$cc" || fail "no compile command for parser/lint.c in $cc"
if grep -q 'FZ_TESTING' "$cc"; then
  grep -n 'FZ_TESTING' "$cc" | head -3
  fail "release preset compiles with FZ_TESTING"
fi
ok
# lint.c as the release preset compiles it: its test hook stays file-local.
python3 - "$cc" "$tmp/lint.o" >"$tmp/cmd" <<'PY'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("/parser/lint.c"):
        args = shlex.split(e["command"])
        i = args.index("-o")
        args[i + 1] = sys.argv[2]
        print(e["directory"])
        print(shlex.join(args))
        break
PY
(cd "$(sed -n 1p "$tmp/cmd")" && eval "$(sed -n 2p "$tmp/cmd")") || fail "release compile of parser/lint.c"
if nm "$tmp/lint.o" | grep -q ' T fz__lint_is_emoji$'; then
  fail "release lint.o exports fz__lint_is_emoji (FZ_STATIC is not static)"
fi
ok
# This build runs the tests: it has the hook (unit.lint calls it).
grep -q 'FZ_TESTING' "$FZ_BUILD/compile_commands.json" || fail "this test build lacks FZ_TESTING"
nm "$FZ_BUILD/parser/libfz_parser.a" 2>/dev/null | grep -q ' T fz__lint_is_emoji$' ||
  fail "this test build does not export fz__lint_is_emoji"
ok
echo "$pass passed, 0 failed"
