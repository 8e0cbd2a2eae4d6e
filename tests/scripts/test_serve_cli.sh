#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_serve_cli.sh - `flowzap serve` as a command: the start line (address
# with a 32-digit token), a free port with --listen 127.0.0.1:0, a stop on
# SIGTERM with status 0, and distinct statuses for a bad --listen (64), a
# missing file (74) and a port already taken (74), with a hostile
# argument shown escaped; a run whose `flowzap run` was SIGKILLed shown as
# `interrupted (owner gone)`, as `flowzap runs` shows it, on the runs page,
# the run page, the State filter and the live /events streams (no reload),
# its workflow path, hostile, escaped; its step in flight painted
# interrupted, not running; a run killed at an approval gate keeps Approve
# and Reject with a note, and resume takes the answer given there.
set -uo pipefail
: "${FLOWZAP:?}" "${FZ_SRC:?}"
work=$(mktemp -d /tmp/fz-serve-cli.XXXXXX)
pid=""
runpid=""
ssepids=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$runpid" ] && kill -KILL "$runpid" 2>/dev/null
    for p in $ssepids; do kill "$p" 2>/dev/null; done
    [ -s "$work/step.pid" ] && kill -KILL "$(cat "$work/step.pid")" 2>/dev/null
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work"/*.log >&2 2>/dev/null; exit 1; }
pass=0

"$FLOWZAP" serve --db "$work/runs.db" --listen 127.0.0.1:0 "$FZ_SRC/workflows" >"$work/a.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "open http" "$work/a.log" && break; sleep 0.1; done
grep -Eq '^flowzap serve: open http://127\.0\.0\.1:[1-9][0-9]*/\?token=[0-9a-f]{32}$' "$work/a.log" ||
    fail "start line: $(cat "$work/a.log")"
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$work/a.log")
url=$(sed -n 's/^flowzap serve: open //p' "$work/a.log")
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 303 ] || fail "token URL answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$code" = 403 ] || fail "no token answered $code"
pass=$((pass + 1))

# The same port again: taken.
"$FLOWZAP" serve --listen "127.0.0.1:$port" >"$work/b.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "a taken port gave status $st"
grep -q "cannot listen on 127.0.0.1:$port" "$work/b.log" || fail "taken port: $(cat "$work/b.log")"
pass=$((pass + 1))

kill -TERM "$pid"
wait "$pid"
st=$?
pid=""
[ $st -eq 0 ] || fail "SIGTERM: status $st"
pass=$((pass + 1))

"$FLOWZAP" serve --listen localhost:80 >"$work/c.log" 2>&1
st=$?
[ $st -eq 64 ] || fail "--listen localhost:80 gave status $st"
grep -q "numeric ADDR:PORT" "$work/c.log" || fail "bad listen: $(cat "$work/c.log")"
"$FLOWZAP" serve --listen $'1.2.3.4:\e[2J' >"$work/d.log" 2>&1
st=$?
[ $st -eq 64 ] || fail "hostile --listen gave status $st"
if grep -q $'\e' "$work/d.log"; then fail "an escape byte reached the terminal"; fi
pass=$((pass + 1))

"$FLOWZAP" serve --listen 127.0.0.1:0 "$work/missing.fz" >"$work/e.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "a missing file gave status $st"
grep -q "cannot read '$work/missing.fz': No such file or directory" "$work/e.log" ||
    fail "missing file: $(cat "$work/e.log")"
pass=$((pass + 1))

# flowzap watch is serve --watch.
"$FLOWZAP" watch --help | grep -q "serve --watch" || fail "watch --help"
"$FLOWZAP" watch --listen 127.0.0.1:0 "$work/missing.fz" >"$work/f.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "watch: a missing file gave status $st"
grep -q "^flowzap watch: cannot read" "$work/f.log" || fail "watch: $(cat "$work/f.log")"
pass=$((pass + 1))
# A run killed with SIGKILL: serve shows it as `runs` does.
dir="$work/a<b>&\"c"
mkdir -p "$dir"
cat >"$dir/flow.fz" <<'FZ'
Long { # Long
n1: rectangle label:"Long"
n2: rectangle label:"After"
n1.handle(right) -> n2.handle(left)
}
FZ
cat >"$dir/flow.yaml" <<YAML
version: 1
rules:
  - match: ^Long\$
    exec: [sh, -c, "echo \$\$ > $work/step.pid; i=0; while [ ! -e $work/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done"]
  - match: ^After\$
    exec: [sh, -c, "true"]
YAML
export FLOWZAP_DB="$work/gone.db"
(cd "$dir" && exec "$FLOWZAP" run flow.fz --bindings flow.yaml) >"$work/run.log" 2>&1 &
runpid=$!
for _ in $(seq 100); do [ -s "$work/step.pid" ] && break; sleep 0.1; done
[ -s "$work/step.pid" ] || fail "the run's step did not start"
"$FLOWZAP" serve --listen 127.0.0.1:0 >"$work/g.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "open http" "$work/g.log" && break; sleep 0.1; done
url=$(sed -n 's/^flowzap serve: open //p' "$work/g.log")
[ -n "$url" ] || fail "serve on the journal did not start"
base=${url%%/\?token=*}
jar="$work/jar"
code=$(curl -s -c "$jar" -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 303 ] || fail "token URL answered $code"
get() { curl -s -b "$jar" "$base$1"; }
state_cell() { # the runs page's state cell of run 1
    get "/${1:-}" | sed -n 's|.*<a href="/run/1">1</a></td><td class="state">\([^<]*\)</td>.*|\1|p'
}
[ "$(state_cell)" = running ] || fail "a live run is shown as '$(state_cell)'"
get /run/1 | grep -q 'id="run-state">running<' || fail "run page of a live run"
grep -q '<tr class="step st-running">' <(get /run/1) || fail "a live run's step is not painted running"
curl -s -N -b "$jar" "$base/events?topic=runs" >"$work/sse-runs.txt" 2>/dev/null &
ssepids="$!"
curl -s -N -b "$jar" "$base/events?topic=run&id=1" >"$work/sse-run.txt" 2>/dev/null &
ssepids="$ssepids $!"
for _ in $(seq 100); do
    grep -q running "$work/sse-run.txt" 2>/dev/null && grep -q running "$work/sse-runs.txt" 2>/dev/null && break
    sleep 0.1
done
grep -q 'id=\\"run-state\\">running<' "$work/sse-run.txt" || fail "run stream: $(head -c 300 "$work/sse-run.txt")"
grep -q '<td class=\\"state\\">running</td>' "$work/sse-runs.txt" ||
    fail "runs stream: $(head -c 300 "$work/sse-runs.txt")"
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
kill -KILL "$(cat "$work/step.pid")" 2>/dev/null
"$FLOWZAP" runs >"$work/runs.log" 2>&1
grep -q '^1 *interrupted (owner gone) ' "$work/runs.log" || fail "runs: $(cat "$work/runs.log")"
# The open pages' streams turn without a journal change (at most ~1 s).
for _ in $(seq 50); do
    grep -q 'owner gone' "$work/sse-runs.txt" && grep -q 'owner gone' "$work/sse-run.txt" && break
    sleep 0.1
done
grep -q '<td class=\\"state\\">interrupted (owner gone)</td>' "$work/sse-runs.txt" ||
    fail "the runs stream did not turn: $(tail -c 600 "$work/sse-runs.txt")"
grep -q 'id=\\"run-state\\">interrupted (owner gone)<' "$work/sse-run.txt" ||
    fail "the run stream did not turn: $(tail -c 600 "$work/sse-run.txt")"
[ "$(state_cell)" = "interrupted (owner gone)" ] || fail "a killed run is shown as '$(state_cell)'"
get / | grep -q '<tr class="run state-interrupted">' || fail "the killed run's row class"
[ "$(state_cell '?state=interrupted')" = "interrupted (owner gone)" ] ||
    fail "the interrupted filter leaves the killed run out"
[ -z "$(state_cell '?state=running')" ] || fail "the running filter shows the killed run"
get /run/1 >"$work/run1.html"
grep -q 'class="state state-interrupted" id="run-state">interrupted (owner gone)<' "$work/run1.html" ||
    fail "run page of a killed run: $(grep -o 'run-state[^/]*' "$work/run1.html")"
grep -q 'no longer running; <code>flowzap resume 1</code>' "$work/run1.html" || fail "run page: no resume hint"
# Its step in flight is painted interrupted, not running: in the steps
# table, on the diagram, in the legend and in the live stream's paint.
grep -q '<tr class="step st-interrupted"><td>0</td><td>n1</td>' "$work/run1.html" ||
    fail "the killed run's step row: $(grep -o '<tr class="step[^>]*><td>0</td>' "$work/run1.html")"
grep -q '<td>interrupted; runs again when the run is resumed</td>' "$work/run1.html" ||
    fail "the killed run's step does not say it runs again on resume"
grep -q '<g id="n1" class="st-interrupted node' "$work/run1.html" ||
    fail "the killed run's node: $(grep -o '<g id="n1" class="[^"]*"' "$work/run1.html")"
if grep -Eq 'class="(step )?st-running' "$work/run1.html"; then
    fail "the killed run's page still paints a step running"
fi
grep -q '<span class="k st-interrupted">interrupted</span>' "$work/run1.html" || fail "no legend entry for interrupted"
grep -q "'st-interrupted'" <(get /static/app.js) || fail "the page's script does not clear st-interrupted"
grep -q 'g.node.st-interrupted polygon' <(get /static/app.css) || fail "no style for st-interrupted"
grep -Eq '"n1": ?"interrupted"' "$work/sse-run.txt" ||
    fail "the run stream does not paint n1 interrupted: $(tail -c 600 "$work/sse-run.txt")"
# The hostile directory name is text.
get / | grep -q 'a&lt;b&gt;&amp;&quot;c/flow.fz' || fail "the workflow path is not escaped"
if get / | grep -q 'a<b>'; then fail "a raw '<b>' from a path reached the page"; fi
# resume takes the run; the page then says completed.
touch "$work/go"
(cd "$dir" && "$FLOWZAP" resume 1) >"$work/resume.log" 2>&1 || fail "resume of the killed run failed"
[ "$(state_cell)" = completed ] || fail "the resumed run is shown as '$(state_cell)'"
pass=$((pass + 1))

# A run SIGKILLed while it waited at an approval gate: the gate is painted
# interrupted, its Approve and Reject kept with a note that the answer is
# taken when the run is resumed; an answer given there is, by resume.
cat >"$work/gate.fz" <<'FZ'
Gate { # Gate
n1: diamond label:"Promote?"
n2: rectangle label:"After"
n1.handle(right) -> n2.handle(left) [label="Yes"]
}
FZ
cat >"$work/gate.yaml" <<YAML
version: 1
rules:
  - match: \\?\$
    approval: go on?
  - match: ^After\$
    exec: [sh, -c, "echo after > $work/after"]
YAML
export FLOWZAP_APPROVAL_POLL_MS=100
(cd "$work" && exec "$FLOWZAP" run gate.fz --bindings gate.yaml) >"$work/gate-run.log" 2>&1 &
runpid=$!
for _ in $(seq 100); do grep -q 'class="step st-waiting"' <(get /run/2) && break; sleep 0.1; done
get /run/2 >"$work/run2.html"
grep -q 'class="step st-waiting"' "$work/run2.html" || fail "the gate run did not wait at its gate"
grep -q 'No process runs this run now' "$work/run2.html" && fail "a live run's gate has the resume note"
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
get /run/2 >"$work/run2.html"
grep -q 'id="run-state">interrupted (owner gone)<' "$work/run2.html" || fail "the gate run is not owner gone"
grep -q '<td>interrupted; the gate waits again when the run is resumed</td>' "$work/run2.html" ||
    fail "the gate's step row: $(grep -o '<tr class="step.*' "$work/run2.html")"
grep -q '<g id="n1" class="st-interrupted node' "$work/run2.html" ||
    fail "the gate's node: $(grep -o '<g id="n1" class="[^"]*"' "$work/run2.html")"
grep -q 'No process runs this run now: an answer given here is taken when the run is resumed (<code>flowzap resume 2</code>)' \
    "$work/run2.html" || fail "the gate has no resume note"
grep -q 'class="approve">Approve</button>' "$work/run2.html" || fail "the gate lost its buttons"
csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/run2.html" | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H "Origin: $base" \
    --data "csrf=$csrf&node=n1&answer=yes" "$base/run/2/signal")
[ "$code" = 303 ] || fail "Approve on the interrupted run answered $code"
grep -q 'Answered yes; waiting for the run to take the answer' <(get /run/2) || fail "the answer is not shown"
"$FLOWZAP" resume 2 >"$work/gate-resume.log" 2>&1 || fail "resume of the gate run failed"
[ -s "$work/after" ] || fail "the resumed run did not take the page's answer"
grep -q 'id="run-state">completed<' <(get /run/2) || fail "the resumed gate run is not completed"
kill -TERM "$pid"
wait "$pid"
pid=""
pass=$((pass + 1))
echo "$pass passed, 0 failed"
