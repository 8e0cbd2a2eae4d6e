#!/bin/sh
# The "All metrics pass?" decision: exit 0 (yes) when the error rate and the
# p99 latency are under their limits, 1 (no) otherwise.
# Usage: metrics-gate.sh ERROR_RATE LATENCY_P99_MS [MAX_ERROR_RATE MAX_P99_MS]
set -eu
err=$1 p99=$2 max_err=${3:-0.01} max_p99=${4:-500}
if awk -v e="$err" -v p="$p99" -v me="$max_err" -v mp="$max_p99" \
       'BEGIN { exit !(e + 0 <= me + 0 && p + 0 <= mp + 0) }'; then
    echo "metrics pass: error rate $err <= $max_err, p99 ${p99}ms <= ${max_p99}ms"
    exit 0
fi
echo "metrics fail: error rate $err (max $max_err), p99 ${p99}ms (max ${max_p99}ms)"
exit 1
