#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_serve_browser.sh - `flowzap serve` in a real browser: Debian's
# headless chromium driven by playwright-core (installed here into the
# build folder with npm) through tests/scripts/serve_browser.cjs: the runs
# page updating live, a run's nodes changing colour, Approve at a gate,
# the run completing, a watched file redrawn in place. Screenshots stay in
# $FZ_BUILD/serve-browser/ and must not be blank; FZ_SERVE_PICTURES=DIR
# copies them there (docs/pictures/ holds the committed ones).
set -euo pipefail
: "${FLOWZAP:?}" "${FZ_SRC:?}" "${FZ_BUILD:?}"
out="$FZ_BUILD/serve-browser"
node_dir="$FZ_BUILD/serve-node"
rm -rf "$out"
mkdir -p "$out" "$node_dir"
work=$(mktemp -d /tmp/fz-serve-browser.XXXXXX)
serve_pid=""
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/serve.log" ] && cat "$work/serve.log" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed (scripts/install-deps.sh)"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh)"
if [ ! -d "$node_dir/node_modules/playwright-core" ]; then
    npm install --prefix "$node_dir" --no-audit --no-fund --silent playwright-core@1.47 \
        >"$out/npm.log" 2>&1 || fail "npm install playwright-core failed: $(tail -5 "$out/npm.log")"
fi

cat >"$work/release.fz" <<'FZ'
Release { # Release
n1: circle label:"Start"
n2: rectangle label:"Build"
n3: rectangle label:"Test"
n4: diamond label:"Ship it?"
n5: rectangle label:"Deploy"
n6: rectangle label:"Roll back"
n7: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left) [label="Yes"]
n4.handle(bottom) -> n6.handle(top) [label="No"]
n5.handle(right) -> n7.handle(left)
n6.handle(right) -> n7.handle(bottom)
}
FZ
cat >"$work/release.yaml" <<'YAML'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Build$
    sleep: 3s
  - match: ^Test$
    sleep: 3s
  - match: ^Ship it\?$
    approval: ship the release?
  - match: ^Deploy$
    sleep: 300ms
  - match: ^Roll back$
    noop:
YAML
cat >"$work/edit.fz" <<'FZ'
Draft { # Draft
n1: circle label:"Start"
n2: rectangle label:"Write"
n3: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
}
FZ

cat >"$work/release.scenario.yaml" <<'YAML'
defaults:
  latency: {lognormal: {median: 2s, sigma: 0.4}}
rules:
  - match: ^Build$
    latency: {lognormal: {median: 3m, sigma: 0.3}}
  - match: ^Test$
    error: 0.05
    latency: {uniform: [1m, 4m]}
  - match: ^Ship it\?$
    latency: {lognormal: {median: 20m, sigma: 0.8}}
    weights: {Yes: 0.9, No: 0.1}
YAML
"$FLOWZAP" sim "$work/release.fz" --faults "$work/release.scenario.yaml" --runs 5000 --seed 7 \
    --json "$work/sim.json" >"$out/sim.log" 2>&1 || fail "sim failed: $(cat "$out/sim.log")"
"$FLOWZAP" serve --db "$work/runs.db" --listen 127.0.0.1:0 --watch --sim "$work/sim.json" \
    "$work/release.fz" "$work/edit.fz" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
    grep -q "open http" "$work/serve.log" && break
    sleep 0.1
done
url=$(sed -n 's/^flowzap serve: open //p' "$work/serve.log")
[ -n "$url" ] || fail "serve printed no address"
echo "serve: $url"

SERVE_URL="$url" OUT="$out" WORK="$work" DB="$work/runs.db" NODE_PATH="$node_dir/node_modules" \
    timeout 180 node "$FZ_SRC/tests/scripts/serve_browser.cjs" || fail "browser test failed"

for png in "$out"/serve-*.png; do
    read -r w h ink colours < <(python3 "$FZ_SRC/tests/scripts/png_ink.py" "$png")
    echo "$(basename "$png"): ${w}x${h}, ink $ink, colours $colours"
    awk -v ink="$ink" 'BEGIN { exit !(ink > 0.02) }' || fail "$png is blank (ink $ink)"
    [ "$colours" -ge 6 ] || fail "$png has only $colours colours"
done
# A clean stop (under the sanitizer preset: no leak or error reported).
kill -TERM "$serve_pid"
st=0
wait "$serve_pid" || st=$?
serve_pid=""
[ $st -eq 0 ] || fail "serve stopped with status $st"
if [ -n "${FZ_SERVE_PICTURES:-}" ]; then
    mkdir -p "$FZ_SERVE_PICTURES"
    cp "$out"/serve-runs.png "$out"/serve-run-waiting.png "$out"/serve-run.png \
        "$out"/serve-watch.png "$out"/serve-watch-error.png "$out"/serve-sim.png \
        "$FZ_SERVE_PICTURES/"
fi
echo "ok: screenshots in $out"
