#!/usr/bin/env bash
# The canary workflow run end to end against its local stand-ins: a real
# metrics server on 127.0.0.1 (started here), real scripts, real files.
# Checks the path taken for each server mode, exit statuses, the trace,
# unbound and invalid bindings, and Ctrl-C stopping a run cleanly.
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}"
T=$(mktemp -d)
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
expect() { # expect WANT_STATUS GOT_STATUS WHAT
    [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"
}

WF="$FZ_SRC/workflows/canary-deploy.fz"
BIND="$FZ_SRC/workflows/canary-deploy.bindings.yaml"
python3 "$FZ_SRC/workflows/canary/metrics-server.py" --port-file "$T/port" 2>"$T/server.log" &
SERVER=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port") || { echo "metrics server did not start" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
mode() { python3 -c "import urllib.request as u; u.urlopen(u.Request('$URL/mode/$1', data=b''))"; }

run() { # run NAME [ARGS...]: stderr to $T/NAME.err, trace to $T/NAME.jsonl
    local name=$1; shift
    "$FLOWZAP" run "$WF" --bindings "$BIND" --db "$T/runs.db" \
        --set "METRICS_URL=$URL" --set "STATE=$T/state-$name" --set OBSERVE=50ms \
        --trace "$T/$name.jsonl" "$@" 2>"$T/$name.err"
}

# bind: every node bound, captures shown
"$FLOWZAP" bind "$WF" --bindings "$BIND" >"$T/bind.out" 2>&1
expect 0 $? "bind"
grep -q 'n6 .*traffic-split.sh' "$T/bind.out" || fail "bind does not show n6's handler"
grep -q 'percent="5"' "$T/bind.out" || fail "bind does not show n6's capture"
grep -q '20 nodes, 20 bound' "$T/bind.out" || fail "bind summary"

# healthy: the canary goes to 100% and ends via Success
mode healthy
run healthy
expect 0 $? "healthy run"
grep -q 'completed: End via Success' "$T/healthy.err" || fail "healthy: outcome"
grep -q '"ev":"end".*"state":"completed".*"outcome":"End via Success"' "$T/healthy.jsonl" \
    || fail "healthy: trace end line"
[ "$(cat "$T/state-healthy/final" 2>/dev/null)" = "stable=0 canary=100" ] || fail "healthy: final split"
grep -qx 'registry.local/shop:1.4.2' "$T/state-healthy/registry/pushed" || fail "healthy: image not pushed"
grep -q 'n19 .*deployment of registry.local/shop:1.4.2 (sha256:[0-9]*) succeeded' "$T/healthy.err" \
    || fail "healthy: log builtin line with variables from ::set"
for n in n9 n12 n15 n16 n18; do
    grep -q "\"node\":\"$n\",\"answer\":\"ok\"" "$T/healthy.jsonl" || fail "healthy: $n not ok in trace"
done

# unhealthy: the first health check says no, rollback, End via Aborted
mode unhealthy
run unhealthy
expect 0 $? "unhealthy run"
grep -q 'completed: End via Aborted' "$T/unhealthy.err" || fail "unhealthy: outcome"
grep -q 'n9 .*http *no .*HTTP status 503' "$T/unhealthy.err" || fail "unhealthy: n9 line"
[ "$(cat "$T/state-unhealthy/final")" = "stable=100 canary=0" ] || fail "unhealthy: final split"
grep -q '"node":"n10"' "$T/unhealthy.jsonl" && fail "unhealthy: n10 ran"

# degrading: first check passes, the second says no
mode degrading
run degrading
expect 0 $? "degrading run"
grep -q 'completed: End via Aborted' "$T/degrading.err" || fail "degrading: outcome"
grep -q '"node":"n12","answer":"no"' "$T/degrading.jsonl" || fail "degrading: n12 said no"

# slow: healthy checks, but p99 over the limit: All metrics pass? no -> Rolled back
mode slow
run slow
expect 0 $? "slow run"
grep -q 'completed: End via Rolled back' "$T/slow.err" || fail "slow: outcome"
grep -q 'n18 .*exec *no ' "$T/slow.err" || fail "slow: n18 line"

# a variable overridden with --set reaches the gate: a looser limit passes
run slow-loose --set MAX_P99_MS=2000
expect 0 $? "slow run with --set MAX_P99_MS"
grep -q 'completed: End via Success' "$T/slow-loose.err" || fail "--set did not override vars"

# no server: the health check's HTTP error fails the run (exit 3)
"$FLOWZAP" run "$WF" --bindings "$BIND" --db "$T/runs.db" --set "METRICS_URL=http://127.0.0.1:1" \
    --set "STATE=$T/state-down" --set OBSERVE=1ms 2>"$T/down.err"
expect 3 $? "run without metrics server"
grep -q 'failed.*Metrics healthy' "$T/down.err" || fail "down: failure names the node"

# unbound nodes: every one listed at its place, nothing runs, exit 6
grep -v -e '^  - shape: circle' -e '^    noop:' "$BIND" > "$T/nocircle.yaml"
sed -i 's|\./canary/|'"$FZ_SRC"'/workflows/canary/|' "$T/nocircle.yaml"
"$FLOWZAP" run "$WF" --bindings "$T/nocircle.yaml" --db "$T/runs.db" \
    --set "STATE=$T/state-unbound" 2>"$T/unbound.err"
expect 6 $? "unbound run"
grep -q 'canary-deploy.fz:2:1: error: node n1 "Start" has no handler' "$T/unbound.err" || fail "unbound: n1 listed"
grep -q 'canary-deploy.fz:6:1: error: node n5 "End" has no handler' "$T/unbound.err" || fail "unbound: n5 listed"
grep -q '2 nodes unbound' "$T/unbound.err" || fail "unbound: count"
[ -e "$T/state-unbound" ] && fail "unbound: something ran"
"$FLOWZAP" bind "$WF" --bindings "$T/nocircle.yaml" >/dev/null 2>&1
expect 6 $? "bind with unbound nodes"
mode healthy
"$FLOWZAP" run "$WF" --bindings "$T/nocircle.yaml" --allow-unbound --db "$T/runs.db" \
    --set "METRICS_URL=$URL" --set "STATE=$T/state-allow" --set OBSERVE=1ms 2>"$T/allow.err"
expect 0 $? "run --allow-unbound"
grep -q 'no handler bound (--allow-unbound): skipped' "$T/allow.err" || fail "allow-unbound: no log line"

# invalid bindings: file:line:col naming the field, exit 2
printf 'rules:\n  - match: Start\n    noop:\n    retries: many\n' > "$T/bad.yaml"
"$FLOWZAP" run "$WF" --bindings "$T/bad.yaml" --db "$T/runs.db" 2>"$T/bad.err"
expect 2 $? "invalid bindings"
grep -q "bad.yaml:4:14: error: 'retries' must be a whole number" "$T/bad.err" || fail "invalid bindings: message"

# Ctrl-C: the running step's process group is killed, exit 130, no leftovers
sed 's|^    sleep: \${OBSERVE}$|    shell: sleep 30 \& echo $! > "$FZ_VAR_STATE/bg.pid"; wait|' "$BIND" > "$T/slow.yaml"
sed -i 's|\./canary/|'"$FZ_SRC"'/workflows/canary/|' "$T/slow.yaml"
grep -q 'shell: sleep 30' "$T/slow.yaml" || fail "could not make the slow bindings"
"$FLOWZAP" run "$WF" --bindings "$T/slow.yaml" --db "$T/runs.db" --set "METRICS_URL=$URL" \
    --set "STATE=$T/state-int" 2>"$T/int.err" &
RUN=$!
for _ in $(seq 100); do [ -s "$T/state-int/bg.pid" ] && break; sleep 0.05; done
BG=$(cat "$T/state-int/bg.pid" 2>/dev/null)
[ -n "$BG" ] || fail "interrupt: the step did not start"
kill -INT "$RUN"
START=$(date +%s)
wait "$RUN"
expect 130 $? "interrupted run"
[ $(( $(date +%s) - START )) -le 5 ] || fail "interrupt took too long"
grep -q 'interrupted' "$T/int.err" || fail "interrupt: message"
sleep 0.2
# The state read once from /proc: a zombie reaped meanwhile is gone too.
BGS=$([ -n "$BG" ] && sed -n 's/.*) \(.\).*/\1/p' "/proc/$BG/stat" 2>/dev/null)
if [ -n "$BGS" ] && [ "$BGS" != Z ] && [ "$BGS" != X ]; then
    fail "interrupt: the step's background process $BG survived"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed; logs:" >&2
    for f in "$T"/*.err; do echo "== $f" >&2; cat "$f" >&2; done
    exit 1
fi
echo "canary run tests passed"
