#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_check_errors.sh - golden diagnostics: each tests/golden/errors/X.fz is
# checked with `flowzap check --no-lint` and its whole output (stderr with
# caret lines, the summary, the exit status) must equal X.expected.
# FZ_UPDATE_GOLDENS=1 rewrites the .expected files instead (review the diff).
set -u
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?FZ_SRC must name the source tree}"
dir="$FZ_SRC/tests/golden/errors"
fail=0
count=0
export NO_COLOR=1
cd "$dir" || exit 1
for fz in *.fz; do
    name="${fz%.fz}"
    actual="$("$FLOWZAP" check --no-lint "$fz" 2>&1; echo "exit $?")"
    count=$((count + 1))
    if [ "${FZ_UPDATE_GOLDENS:-0}" = 1 ]; then
        printf '%s\n' "$actual" > "$name.expected"
        continue
    fi
    if [ ! -f "$name.expected" ]; then
        echo "FAIL $fz: no $name.expected (run with FZ_UPDATE_GOLDENS=1)"
        fail=1
        continue
    fi
    if ! diff -u "$name.expected" <(printf '%s\n' "$actual") > /tmp/fz_golden_diff.$$; then
        echo "FAIL $fz:"
        cat /tmp/fz_golden_diff.$$
        fail=1
    fi
done
rm -f /tmp/fz_golden_diff.$$
# Every parser error code appears in some golden file.
for code in $(grep -o '^FZ_CODE(E0[0-9][0-9]' "$FZ_SRC/parser/codes_errors.def" | cut -c9-); do
    case "$code" in E026) continue ;; esac
    if ! grep -q "\[$code\]" ./*.expected; then
        echo "FAIL: no golden file shows $code"
        fail=1
    fi
done
[ "$count" -gt 0 ] || { echo "FAIL: no golden files"; exit 1; }
[ "$fail" = 0 ] && echo "ok: $count golden error files"
exit "$fail"
