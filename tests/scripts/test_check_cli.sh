#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_check_cli.sh - `flowzap check` as a user runs it: the summary line,
# exit statuses (0, 1 with --strict, 2, 74, 64), several files, --json,
# --explain, --codes, --quiet, --help.
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}"
export NO_COLOR=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect DESCRIPTION WANT GOT
    if [ "$2" != "$3" ]; then
        echo "FAIL $1: want [$2], got [$3]"
        fail=1
    fi
}
canary="$FZ_SRC/workflows/canary-deploy.fz"
bad="$FZ_SRC/tests/golden/errors/unknown-shape.fz"
slips="$FZ_SRC/tests/golden/errors/slips.fz"

out="$("$FLOWZAP" check --no-lint "$canary" 2>/dev/null)"; rc=$?
expect "canary summary" "$canary: 3 lanes, 20 nodes, 22 edges, 0 loops; 0 errors, 0 warnings" "$out"
expect "canary exit" 0 "$rc"

"$FLOWZAP" check "$canary" > /dev/null 2>&1; expect "canary with lint exits 0" 0 $?

"$FLOWZAP" check --no-lint "$bad" > /dev/null 2>&1; expect "errors exit 2" 2 $?
"$FLOWZAP" check --no-lint "$slips" > /dev/null 2>&1; expect "warnings exit 0" 0 $?
"$FLOWZAP" check --no-lint --strict "$slips" > /dev/null 2>&1; expect "--strict warnings exit 1" 1 $?
"$FLOWZAP" check "$tmp/missing.fz" > /dev/null 2>"$tmp/err"; expect "missing file exit 74" 74 $?
grep -q "cannot read" "$tmp/err" || { echo "FAIL: no 'cannot read' message"; fail=1; }
"$FLOWZAP" check > /dev/null 2>&1; expect "no file exit 64" 64 $?
"$FLOWZAP" check --bogus "$canary" > /dev/null 2>&1; expect "bad option exit 64" 64 $?

# Several files: every summary, the worst status.
out="$("$FLOWZAP" check --no-lint "$canary" "$bad" "$slips" 2>/dev/null)"; rc=$?
expect "three summaries" 3 "$(printf '%s\n' "$out" | grep -c ' lanes\?, ')"
expect "worst status" 2 "$rc"
"$FLOWZAP" check --no-lint "$canary" "$tmp/missing.fz" "$bad" > /dev/null 2>&1
expect "unreadable beats invalid" 74 $?

# Standard input.
out="$("$FLOWZAP" check --no-lint - < "$canary" 2>/dev/null)"
expect "stdin summary" "<stdin>: 3 lanes, 20 nodes, 22 edges, 0 loops; 0 errors, 0 warnings" "$out"

# --quiet prints diagnostics but no summary.
out="$("$FLOWZAP" check --no-lint -q "$canary" 2>&1)"; expect "quiet canary" "" "$out"
"$FLOWZAP" check --no-lint -q "$bad" 2>"$tmp/err" >"$tmp/out"
expect "quiet stdout" "" "$(cat "$tmp/out")"
grep -q "unknown-shape.fz:3:7: error: unknown shape 'rect' \[E002\]" "$tmp/err" ||
    { echo "FAIL: gcc-style line missing"; cat "$tmp/err"; fail=1; }

# --json: one list for all files, fields as documented.
"$FLOWZAP" check --no-lint --json "$bad" "$slips" > "$tmp/j.json" 2>/dev/null; rc=$?
expect "json exit" 2 "$rc"
python3 - "$tmp/j.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 4, d
first = d[0]
assert set(first) >= {"file", "line", "column", "severity", "code", "message", "hint"}, first
assert first["code"] == "E002" and first["line"] == 3 and first["column"] == 7, first
assert first["severity"] == "error" and "rectangle" in first["hint"], first
codes = [x["code"] for x in d]
assert codes == ["E002", "E002", "W001", "W002"], codes
assert d[2]["file"].endswith("slips.fz") and d[2]["severity"] == "warning", d[2]
PY
out="$("$FLOWZAP" check --json "$canary" --no-lint)"; expect "json clean" "[]" "$out"

# Choosing warnings: W107 (the flowzap group) is off by default; -Wflowzap,
# --flowzap and -W W107 turn it on; -Wno-CODE and --ignore CODE silence a
# code; the last option about a code wins; a bad code is a usage error.
nw() { "$FLOWZAP" check -q "$@" 2>&1 | grep -c "\[$W\]"; }
W=W107; expect "W107 off by default" 0 "$(nw "$canary")"
expect "-Wflowzap" 3 "$(nw -Wflowzap "$canary")"
expect "--flowzap" 3 "$(nw --flowzap "$canary")"
expect "-W W107" 3 "$(nw -W W107 "$canary")"
expect "-Wflowzap -Wno-W107" 0 "$(nw -Wflowzap -Wno-W107 "$canary")"
W=W207; expect "W207 on the canary" 2 "$(nw "$canary")"
expect "-Wno-W207" 0 "$(nw -Wno-W207 "$canary")"
expect "--ignore W207" 0 "$(nw --ignore W207 "$canary")"
expect "--ignore=W104,W207" 0 "$(nw --ignore=W104,W207 "$canary")"
expect "--ignore then -W" 2 "$(nw --ignore W207 -W W207 "$canary")"
"$FLOWZAP" check -Wno-W999 "$canary" > /dev/null 2>"$tmp/err"; expect "bad code exit 64" 64 $?
grep -q "'W999' is no lint code" "$tmp/err" || { echo "FAIL: bad code message"; fail=1; }
"$FLOWZAP" check --ignore > /dev/null 2>&1; expect "--ignore without code 64" 64 $?
out="$("$FLOWZAP" check --ignore W207 "$canary" 2>/dev/null)"
expect "summary counts silenced" \
    "$canary: 3 lanes, 20 nodes, 22 edges, 0 loops; 0 errors, 0 warnings, 2 silenced" "$out"

# --json lists what was silenced, and by what: the command line or a
# comment (a copy of the canary with an ignore comment before line 47).
awk 'NR==47{print "// flowzap: ignore W207"} {print}' "$canary" > "$tmp/c.fz"
"$FLOWZAP" check --json "$tmp/c.fz" > "$tmp/s.json" 2>/dev/null; expect "json silenced exit" 0 $?
"$FLOWZAP" check --json --ignore W207 "$canary" > "$tmp/s2.json" 2>/dev/null
python3 - "$tmp/s.json" "$tmp/s2.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
w = [x for x in d if x["severity"] == "warning"]
s = [x for x in d if x["severity"] == "silenced"]
assert [x["code"] for x in w] == ["W207"] and w[0]["line"] == 28, d
assert len(s) == 1 and s[0]["code"] == "W207" and s[0]["line"] == 48, s
assert s[0]["silenced_by"] == "`// flowzap: ignore W207` on line 47", s
assert "Trigger automatic rollback" in s[0]["message"], s
d = json.load(open(sys.argv[2]))
assert [x["severity"] for x in d] == ["silenced", "silenced"], d
assert all("command line" in x["silenced_by"] for x in d), d
PY

# --explain and --codes cover the parser's codes.
out="$("$FLOWZAP" check --explain E002)"; rc=$?
expect "explain exit" 0 "$rc"
printf '%s' "$out" | grep -q "^E002: unknown shape" || { echo "FAIL: explain E002: $out"; fail=1; }
printf '%s' "$out" | grep -q "rectangle" || { echo "FAIL: explain mentions rectangle"; fail=1; }
"$FLOWZAP" check --explain=w001 > /dev/null; expect "explain lowercase" 0 $?
"$FLOWZAP" check --explain E999 > /dev/null 2>&1; expect "explain unknown" 64 $?
for code in $(grep -o '^FZ_CODE([EW][0-9]*' "$FZ_SRC/parser/codes_errors.def" | cut -c9-); do
    "$FLOWZAP" check --codes | grep -q "^$code " || { echo "FAIL: --codes lacks $code"; fail=1; }
done
"$FLOWZAP" check --help | grep -q -- "--explain CODE" || { echo "FAIL: help"; fail=1; }

[ "$fail" = 0 ] && echo "ok: check command"
exit "$fail"
