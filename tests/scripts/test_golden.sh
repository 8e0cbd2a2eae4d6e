#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_golden.sh - golden outputs for every workflows/*.fz: `export` as JSON
# and as DOT, `fmt`, and `check` (lint warnings with carets and the exit
# status), each compared with tests/golden/<name>.<kind>.expected. Also:
# fmt is idempotent, `fmt --check` accepts fmt's own output, fmt output
# exports to the same JSON apart from positions, and Graphviz's `dot`
# accepts every DOT export (when `dot` is installed).
# FZ_UPDATE_GOLDENS=1 rewrites the .expected files instead (review the diff);
# scripts/update-goldens.sh does that after a build.
set -u
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?FZ_SRC must name the source tree}"
export NO_COLOR=1
cd "$FZ_SRC" || exit 1
golden=tests/golden
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
count=0

# produce KIND FILE: the output a golden holds.
produce() {
    case "$1" in
    json) "$FLOWZAP" export "$2"; echo "exit $?" ;;
    dot) "$FLOWZAP" export --format dot "$2"; echo "exit $?" ;;
    fmt) "$FLOWZAP" fmt "$2"; echo "exit $?" ;;
    check) "$FLOWZAP" check "$2" 2>&1; echo "exit $?" ;;
    esac
}

for fz in workflows/*.fz; do
    name="$(basename "$fz" .fz)"
    for kind in json dot fmt check; do
        count=$((count + 1))
        expected="$golden/$name.$kind.expected"
        produce "$kind" "$fz" > "$tmp/actual"
        if [ "${FZ_UPDATE_GOLDENS:-0}" = 1 ]; then
            cp "$tmp/actual" "$expected"
            continue
        fi
        if [ ! -f "$expected" ]; then
            echo "FAIL $fz ($kind): no $expected (run scripts/update-goldens.sh)"
            fail=1
        elif ! diff -u "$expected" "$tmp/actual"; then
            echo "FAIL $fz ($kind): output differs from $expected"
            fail=1
        fi
    done

    # fmt is idempotent and its output passes fmt --check.
    "$FLOWZAP" fmt "$fz" > "$tmp/once.fz" || { echo "FAIL $fz: fmt failed"; fail=1; continue; }
    "$FLOWZAP" fmt "$tmp/once.fz" > "$tmp/twice.fz"
    if ! cmp -s "$tmp/once.fz" "$tmp/twice.fz"; then
        echo "FAIL $fz: fmt is not idempotent"
        diff -u "$tmp/once.fz" "$tmp/twice.fz"
        fail=1
    fi
    if ! "$FLOWZAP" fmt --check -q "$tmp/once.fz"; then
        echo "FAIL $fz: fmt --check rejects fmt's own output"
        fail=1
    fi
    # Same graph: the FlowZap-shaped export is identical.
    "$FLOWZAP" export --plain "$fz" > "$tmp/a.json"
    "$FLOWZAP" export --plain "$tmp/once.fz" > "$tmp/b.json"
    if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
        echo "FAIL $fz: export of fmt output differs"
        diff -u "$tmp/a.json" "$tmp/b.json"
        fail=1
    fi
    if command -v dot > /dev/null; then
        "$FLOWZAP" export --format dot "$fz" > "$tmp/g.dot"
        if ! dot -Tsvg "$tmp/g.dot" -o "$tmp/g.svg" 2> "$tmp/dot.err" || [ -s "$tmp/dot.err" ]; then
            echo "FAIL $fz: dot rejects the DOT export:"
            cat "$tmp/dot.err"
            fail=1
        elif ! grep -q 'class="cluster"' "$tmp/g.svg"; then
            echo "FAIL $fz: the SVG has no lane cluster"
            fail=1
        fi
    fi
done

# fmt --check flags an unformatted file with exit 1; -w fixes it in place.
cp workflows/slips.fz "$tmp/slips.fz"
"$FLOWZAP" fmt --check "$tmp/slips.fz" > /dev/null 2>&1
st=$?
if [ "$st" -ne 1 ]; then
    echo "FAIL: fmt --check on an unformatted file exited $st, not 1"
    fail=1
fi
"$FLOWZAP" fmt -w -q "$tmp/slips.fz" && "$FLOWZAP" fmt --check -q "$tmp/slips.fz" || {
    echo "FAIL: fmt -w did not leave a formatted file"
    fail=1
}
# Invalid input: exit 2, file untouched.
printf 'A {\nn1: rect label:"x"\n}\n' > "$tmp/bad.fz"
cp "$tmp/bad.fz" "$tmp/bad.orig"
"$FLOWZAP" fmt -w "$tmp/bad.fz" > /dev/null 2>&1
st=$?
if [ "$st" -ne 2 ] || ! cmp -s "$tmp/bad.fz" "$tmp/bad.orig"; then
    echo "FAIL: fmt -w on an invalid file exited $st or changed it"
    fail=1
fi
"$FLOWZAP" export --format yaml workflows/crlf.fz > /dev/null 2>&1
st=$?
if [ "$st" -ne 64 ]; then
    echo "FAIL: export --format yaml exited $st, not 64"
    fail=1
fi

if [ "${FZ_UPDATE_GOLDENS:-0}" = 1 ]; then
    echo "test_golden: wrote $count golden files under $golden"
    exit 0
fi
[ "$fail" -eq 0 ] && echo "test_golden: $count goldens match"
exit "$fail"
