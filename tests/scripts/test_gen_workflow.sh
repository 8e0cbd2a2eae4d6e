#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_gen_workflow.sh - bench/gen_workflow writes valid workflows, the same
# bytes for the same seed and other bytes for another, with every construct
# the benchmark claims (lanes, decisions, cross-lane edges, loops).
set -u
: "${FLOWZAP:?}" "${FZ_BUILD:?}"
gen="$FZ_BUILD/bench/gen_workflow"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
"$gen" -n 3000 -l 5 -s 42 -o "$tmp/a.fz" || fail=1
"$gen" -n 3000 -l 5 -s 42 > "$tmp/b.fz" || fail=1
"$gen" -n 3000 -l 5 -s 43 -o "$tmp/c.fz" || fail=1
cmp -s "$tmp/a.fz" "$tmp/b.fz" || { echo "FAIL: same seed, different output"; fail=1; }
cmp -s "$tmp/a.fz" "$tmp/c.fz" && { echo "FAIL: another seed, same output"; fail=1; }
out="$("$FLOWZAP" check --no-lint "$tmp/a.fz" 2>&1)" || { echo "FAIL: check: $out"; fail=1; }
case "$out" in
*": 5 lanes, 3000 nodes, "*"; 0 errors, 0 warnings") ;;
*) echo "FAIL: summary: $out"; fail=1 ;;
esac
grep -q ': diamond ' "$tmp/a.fz" || { echo "FAIL: no decisions"; fail=1; }
grep -q -- '-> [A-Za-z]*\.n[0-9]*\.handle' "$tmp/a.fz" || { echo "FAIL: no cross-lane edges"; fail=1; }
grep -q '^  loop \[' "$tmp/a.fz" || { echo "FAIL: no loops in lanes"; fail=1; }
grep -q '^loop \[' "$tmp/a.fz" || { echo "FAIL: no top-level loops"; fail=1; }
"$gen" -n 1 > /dev/null 2>&1 && { echo "FAIL: -n 1 accepted"; fail=1; }
[ "$fail" = 0 ] && echo "ok: gen_workflow"
exit "$fail"
