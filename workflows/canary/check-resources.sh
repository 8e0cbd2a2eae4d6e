#!/bin/sh
# Stand-in for a resource check: reads the canary's share and "checks" it.
set -eu
pct=$(cat "$STATE/canary-percent" 2>/dev/null || echo 0)
echo "canary at $pct%: cpu and memory within limits"
