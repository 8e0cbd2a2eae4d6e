#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# render-compare.sh - checks that a change to render/ leaves every picture
# byte for byte as it was: renders each workflow with two flowzap binaries
# (built before and after the change) and compares the outputs.
#
#   scripts/render-compare.sh BEFORE AFTER [FILE.fz | DIR]...
#
# Without files, workflows/*.fz. For each workflow: SVG in LR, TB and the
# sequence view; with a simulation report (`sim --runs 200 --seed 7`) and
# a trace (`sim --seed 7 --run 0 --trace`), both made by BEFORE: SVG with
# --heat (LR, TB) and --trace (LR, TB, sequence); DOT and Graphviz JSON in
# LR and TB, plain, --heat and --trace. Standard error and the exit status
# must match too. Prints each differing render and a count; exits 1 when
# any differs. Uses one thread; takes about a second per workflow.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 BEFORE AFTER [FILE.fz | DIR]..." >&2
    exit 64
fi
before=$1 after=$2
shift 2
cd "$(dirname "$0")/.."
[ $# -eq 0 ] && set -- workflows
files=()
for a in "$@"; do
    if [ -d "$a" ]; then
        files+=("$a"/*.fz)
    else
        files+=("$a")
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
same=0 differ=0
compare() { # NAME ARGS...: one render with both binaries
    local name=$1 rb ra
    shift
    "$before" render "$@" >"$work/b.out" 2>"$work/b.err"
    rb=$?
    "$after" render "$@" >"$work/a.out" 2>"$work/a.err"
    ra=$?
    if [ $rb -ne $ra ] || ! cmp -s "$work/b.out" "$work/a.out" || ! cmp -s "$work/b.err" "$work/a.err"; then
        differ=$((differ + 1))
        echo "differs: $name: render $* (exit $rb before, $ra after)"
    else
        same=$((same + 1))
    fi
}
for f in "${files[@]}"; do
    b=$(basename "$f" .fz)
    heat=() trace=()
    "$before" sim "$f" --runs 200 --seed 7 --threads 1 --json "$work/$b.json" >/dev/null 2>&1 &&
        heat=(--heat "$work/$b.json")
    "$before" sim "$f" --seed 7 --run 0 --trace "$work/$b.jsonl" >/dev/null 2>&1 &&
        trace=(--trace "$work/$b.jsonl")
    for dir in LR TB; do
        compare "$b" "$f" -T svg --direction $dir
        for fmt in dot json; do
            compare "$b" "$f" -T $fmt --direction $dir
        done
        for ov in heat trace; do
            [ "$ov" = heat ] && set -- "${heat[@]}" || set -- "${trace[@]}"
            [ $# -eq 0 ] && continue
            for fmt in svg dot json; do
                compare "$b" "$f" -T $fmt --direction $dir "$@"
            done
        done
    done
    compare "$b" "$f" -T svg --view sequence
    [ ${#trace[@]} -gt 0 ] && compare "$b" "$f" -T svg --view sequence "${trace[@]}"
done
echo "render-compare: ${#files[@]} workflows, $((same + differ)) renders: $same identical, $differ differ"
[ $differ -eq 0 ]
