#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_init.sh - `flowzap init scenario|bindings`: golden output for a few
# workflows (tests/golden/init/<name>.<kind>.expected; labels.fz holds
# labels hostile to YAML and regexes), and every skeleton of workflows/
# loads as written: the scenario with `sim` (also with every rule
# uncommented, without a warning) and `test`, the bindings with `bind`.
# FZ_UPDATE_GOLDENS=1 rewrites the goldens (scripts/update-goldens.sh).
set -u
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?FZ_SRC must name the source tree}"
export NO_COLOR=1
cd "$FZ_SRC" || exit 1
golden=tests/golden/init
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

for name in canary-deploy labels default-edge; do
    for kind in scenario bindings; do
        expected="$golden/$name.$kind.expected"
        "$FLOWZAP" init $kind workflows/$name.fz > "$tmp/actual"
        echo "exit $?" >> "$tmp/actual"
        if [ "${FZ_UPDATE_GOLDENS:-0}" = 1 ]; then
            mkdir -p "$golden"
            cp "$tmp/actual" "$expected"
        elif ! diff -u "$expected" "$tmp/actual"; then
            echo "FAIL init $kind $name: output differs from $expected"
            fail=1
        fi
    done
done

for fz in workflows/*.fz; do
    "$FLOWZAP" init scenario "$fz" -o "$tmp/s.yaml" || { echo "FAIL init scenario $fz"; fail=1; continue; }
    "$FLOWZAP" sim "$fz" --faults "$tmp/s.yaml" --runs 20 --seed 1 -q --json "$tmp/r.json" 2> "$tmp/err"
    [ $? = 0 ] || { echo "FAIL sim $fz with its scenario skeleton:"; cat "$tmp/err"; fail=1; }
    sed 's/^\( *\)# {/\1{/' "$tmp/s.yaml" > "$tmp/all.yaml"
    "$FLOWZAP" sim "$fz" --faults "$tmp/all.yaml" --runs 20 --seed 1 -q --json "$tmp/r.json" 2> "$tmp/err"
    [ $? = 0 ] && [ ! -s "$tmp/err" ] || { echo "FAIL sim $fz with every rule uncommented:"; cat "$tmp/err"; fail=1; }
    "$FLOWZAP" test "$fz" --faults "$tmp/s.yaml" > "$tmp/out" 2>&1 ||
        { echo "FAIL test $fz with its skeleton:"; cat "$tmp/out"; fail=1; }
    "$FLOWZAP" init bindings "$fz" -o "$tmp/b.yaml" || { echo "FAIL init bindings $fz"; fail=1; }
    "$FLOWZAP" bind "$fz" --bindings "$tmp/b.yaml" > "$tmp/out" 2>&1 ||
        { echo "FAIL bind $fz with its skeleton:"; cat "$tmp/out"; fail=1; }
    grep -q " 0 unbound" "$tmp/out" || { echo "FAIL bind $fz: nodes left unbound"; fail=1; }
    rm -f "$tmp/s.yaml" "$tmp/b.yaml"
done

# Never over an existing file; bad command lines.
echo keep > "$tmp/exists.yaml"
"$FLOWZAP" init scenario workflows/labels.fz -o "$tmp/exists.yaml" 2> "$tmp/err"
[ $? = 74 ] && grep -q keep "$tmp/exists.yaml" || { echo "FAIL init overwrote a file"; fail=1; }
"$FLOWZAP" init nonsense workflows/labels.fz 2> /dev/null
[ $? = 64 ] || { echo "FAIL init nonsense: not 64"; fail=1; }
"$FLOWZAP" init scenario "$tmp/missing.fz" 2> /dev/null
[ $? = 74 ] || { echo "FAIL init of a missing file: not 74"; fail=1; }
exit $fail
