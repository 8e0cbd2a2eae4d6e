#!/usr/bin/env bash
# Runs workflows/canary-deploy.fz for real against its local stand-ins:
# starts the metrics server on 127.0.0.1, runs the canary, prints the path
# taken, stops the server. Usage:
#   scripts/canary-demo.sh [healthy|unhealthy|degrading|slow] [-- RUN-OPTIONS...]
# FLOWZAP names the binary (default: build/dev/cli/flowzap, else PATH).
# The trace goes to $OUT/canary.trace.jsonl (OUT defaults to a temp dir) for
# `flowzap render workflows/canary-deploy.fz --trace ...`.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-healthy}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case $mode in healthy|unhealthy|degrading|slow) ;; *)
    echo "usage: $0 [healthy|unhealthy|degrading|slow] [-- RUN-OPTIONS...]" >&2; exit 64 ;;
esac
flowzap=${FLOWZAP:-}
if [ -z "$flowzap" ]; then
    if [ -x "$here/build/dev/cli/flowzap" ]; then flowzap=$here/build/dev/cli/flowzap
    else flowzap=flowzap; fi
fi
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
python3 "$here/workflows/canary/metrics-server.py" --mode "$mode" --port-file "$out/port" \
    2>"$out/metrics-server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.05; done
port=$(cat "$out/port")
echo "metrics server: http://127.0.0.1:$port (mode $mode); state and trace in $out" >&2
status=0
"$flowzap" run "$here/workflows/canary-deploy.fz" \
    --bindings "$here/workflows/canary-deploy.bindings.yaml" \
    --set "METRICS_URL=http://127.0.0.1:$port" --set "STATE=$out/state" \
    --db "$out/runs.db" --trace "$out/canary.trace.jsonl" "$@" || status=$?
exit $status
