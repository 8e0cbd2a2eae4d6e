#!/bin/sh
# Stand-in for finishing a rollout: records the final state.
set -eu
mkdir -p "$STATE"
split=$(cat "$STATE/traffic-split" 2>/dev/null || echo "stable=100 canary=0")
echo "$split" > "$STATE/final"
echo "rollout complete: $split"
