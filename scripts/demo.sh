#!/usr/bin/env bash
# The main job on the canary-deploy workflow, from a fresh Debian 12 machine:
# installs what is missing, builds flowzap (release), then
#   1. checks the workflow (diagnostics and the graph summary),
#   2. renders it as swimlanes (SVG),
#   3. runs it for real against local stand-ins (a metrics server on
#      127.0.0.1, shell scripts for the registry and the traffic split),
#      records it in a SQLite journal and draws the path it took,
#   4. simulates it 100,000 times under a fault scenario (the registry
#      fails 5% of pushes) and draws the heat map.
# Everything it writes goes to build/demo/ (printed at the end).
set -eu
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
fz=$PWD/build/release/cli/flowzap
wf=workflows/canary-deploy.fz
out=$PWD/build/demo
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. flowzap check $wf"
"$fz" check "$wf" || true

step "2. flowzap render $wf -o $out/canary.svg"
"$fz" render "$wf" -o "$out/canary.svg"

step "3. flowzap run $wf (real handlers: scripts/canary-demo.sh healthy)"
FLOWZAP=$fz OUT=$out/run bash scripts/canary-demo.sh healthy
"$fz" runs --db "$out/run/runs.db"
"$fz" render "$wf" --trace "$out/run/canary.trace.jsonl" -o "$out/canary-run.svg"

step "4. flowzap sim $wf --faults workflows/canary-deploy.scenario.yaml --scenario flaky-registry --runs 100000 --seed 42"
"$fz" sim "$wf" --faults workflows/canary-deploy.scenario.yaml --scenario flaky-registry \
    --runs 100000 --seed 42 --json "$out/canary-sim.json"
"$fz" render "$wf" --heat "$out/canary-sim.json" -o "$out/canary-heat.svg"

step "Pictures"
echo "  $out/canary.svg       the workflow as swimlanes"
echo "  $out/canary-run.svg   the path the real run took"
echo "  $out/canary-heat.svg  the simulation's heat map"
echo "  (the same drawing of the workflow is committed as docs/canary.svg)"
