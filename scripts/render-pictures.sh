#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# render-pictures.sh - redraws the "after" pictures of docs/render.md
# ("Before and after") with the current build (dev preset):
#
#   scripts/render-pictures.sh TEMPLATES
#
# TEMPLATES is a folder with FlowZap's published templates
# error-retry-loop-workflow.fz, compensation-transaction-workflow.fz and
# payment-run-workflow.fz (flowzap.xyz/templates/<name>); the fan-out is
# tests/data/render/fan-out.fz. Flow views are drawn by `flowzap render -o
# X.png` (Graphviz's cairo writer, as the "before" pictures were); the
# sequence view, which is SVG only, is drawn as SVG and photographed by
# headless Chromium at the SVG's own size. Heat maps come from
# `flowzap sim --runs 200 --seed 1` (the same figures on any machine).
set -eu
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 TEMPLATES" >&2
    exit 64
fi
templates=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev -j2 --target flowzap >/dev/null
flowzap=$PWD/build/dev/cli/flowzap
out=$PWD/docs/pictures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

"$flowzap" render tests/data/render/fan-out.fz -o "$out/fan-out-after.png"
"$flowzap" render "$templates/error-retry-loop-workflow.fz" -o "$out/retry-loop-after.png"
comp=$templates/compensation-transaction-workflow.fz
"$flowzap" sim "$comp" --runs 200 --seed 1 --json "$work/heat.json" >/dev/null
"$flowzap" render "$comp" --heat "$work/heat.json" -o "$out/heat-map-after.png"

# The sequence view: SVG, then a screenshot as large as the SVG (pt -> px).
px() { awk -v pt="$1" 'BEGIN { printf "%d", pt * 96 / 72 + 0.999 }'; }
seq_png() { # template, picture
    "$flowzap" render "$templates/$1.fz" --view sequence -o "$work/seq.svg"
    read -r w h < <(sed -n 's/.*<svg width="\([0-9.]*\)pt" height="\([0-9.]*\)pt".*/\1 \2/p' "$work/seq.svg" | head -1)
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --user-data-dir="$work/profile" --hide-scrollbars --virtual-time-budget=3000 \
        --window-size="$(px "$w"),$(px "$h")" --screenshot="$out/$2" \
        "file://$work/seq.svg" >/dev/null 2>"$work/chromium.log" ||
        { cat "$work/chromium.log" >&2; exit 1; }
}
seq_png payment-run-workflow sequence-after.png
seq_png compensation-transaction-workflow sequence-labels-after.png
ls -l "$out"
