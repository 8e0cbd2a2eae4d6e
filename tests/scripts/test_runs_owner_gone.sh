#!/usr/bin/env bash
# test_runs_owner_gone.sh - `flowzap runs` tells a run whose owner died from
# one that runs (docs/journal.md, "flowzap runs"):
#  1. a live `flowzap run` is `running` in runs, runs --json, runs show;
#  2. killed with SIGKILL mid-step, it is `interrupted (owner gone)` in all
#     three (--json: state "interrupted", owner_gone true), and `flowzap
#     resume` still takes it and completes it;
#  3. its pid now held by another process (the identity differs): gone;
#  4. recorded on another machine (another boot id), or without an
#     identity: `running`, never called dead from here.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-runs-gone.XXXXXX)
runpid=""
cleanup() {
    [ -n "$runpid" ] && kill -KILL "$runpid" 2>/dev/null
    [ -s "$work/step.pid" ] && kill -KILL "$(cat "$work/step.pid")" 2>/dev/null
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1
export FLOWZAP_DB="$work/runs.db"

cat > flow.fz <<'FZ'
Long { # Long
n1: rectangle label:"Long"
n2: rectangle label:"After"
n1.handle(right) -> n2.handle(left)
}
FZ
# The Long step waits for ./go (at most 60 s), its pid in step.pid.
cat > flow.yaml <<YAML
version: 1
rules:
  - match: ^Long\$
    exec: [sh, -c, "echo \$\$ > $work/step.pid; i=0; while [ ! -e $work/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done"]
  - match: ^After\$
    exec: [sh, -c, "echo after >> $work/after"]
YAML

state_of() { # ID: the state column of `runs`
    "$FLOWZAP" runs >runs.log 2>&1 || fail "runs failed"
    sed -nE "s/^$1 +(.*[^ ]) +[0-9]+  [0-9]{4}-.*/\1/p" runs.log
}
json_of() { # ID: state and owner_gone from `runs --json`
    "$FLOWZAP" runs --json >json.log 2>&1 || fail "runs --json failed"
    python3 -c 'import json,sys
for l in open("json.log"):
    o = json.loads(l)
    if o["id"] == int(sys.argv[1]): print(o["state"], str(o["owner_gone"]).lower())' "$1"
}

# 1. A live run.
"$FLOWZAP" run flow.fz --bindings flow.yaml >run.log 2>&1 &
runpid=$!
for _ in $(seq 100); do [ -s step.pid ] && break; sleep 0.1; done
[ -s step.pid ] || fail "the step did not start"
[ "$(state_of 1)" = running ] || fail "a live run is listed as '$(state_of 1)'"
[ "$(json_of 1)" = "running false" ] || fail "runs --json of a live run: $(json_of 1)"
"$FLOWZAP" runs show 1 >show.log 2>&1 || fail "runs show failed"
grep -qx "run 1: running" show.log || fail "runs show of a live run: $(head -1 show.log)"

# 2. The run's process killed mid-step.
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
kill -KILL "$(cat step.pid)" 2>/dev/null
[ "$(state_of 1)" = "interrupted (owner gone)" ] ||
    fail "a killed run is listed as '$(state_of 1)': $(cat runs.log)"
[ "$(json_of 1)" = "interrupted true" ] || fail "runs --json of a killed run: $(json_of 1)"
"$FLOWZAP" runs show 1 >show.log 2>&1 || fail "runs show failed"
grep -q "^run 1: interrupted (owner gone): its process [0-9]* is no longer running" show.log ||
    fail "runs show of a killed run: $(head -1 show.log)"
echo "killed run: $(grep '^1 ' runs.log)"

# 3. The recorded pid alive but another process (this shell): gone.
cp runs.db other.db
boot=$(cat /proc/sys/kernel/random/boot_id)
sqlite3 other.db "UPDATE runs SET pid = $$, owner_id = '$boot/1' WHERE id = 1" ||
    fail "could not edit the copy"
[ "$(FLOWZAP_DB=$work/other.db state_of 1)" = "interrupted (owner gone)" ] ||
    fail "a run whose pid was reused is listed as '$(FLOWZAP_DB=$work/other.db state_of 1)'"

# 4. Another machine's run (another boot id), or one without identity: a
# dead pid here says nothing about it.
dead=$(sh -c 'echo $$')
sqlite3 other.db "UPDATE runs SET pid = $dead, owner_id = '00000000-1111-2222-3333-444444444444/99' WHERE id = 1" ||
    fail "could not edit the copy"
[ "$(FLOWZAP_DB=$work/other.db state_of 1)" = running ] ||
    fail "another machine's run is listed as '$(FLOWZAP_DB=$work/other.db state_of 1)'"
[ "$(FLOWZAP_DB=$work/other.db json_of 1)" = "running false" ] || fail "runs --json of another machine's run"
sqlite3 other.db "UPDATE runs SET owner_id = NULL WHERE id = 1"
[ "$(FLOWZAP_DB=$work/other.db state_of 1)" = running ] ||
    fail "a run without an owner identity is listed as '$(FLOWZAP_DB=$work/other.db state_of 1)'"

# 2 (end). resume takes the killed run and completes it.
touch go
"$FLOWZAP" resume 1 >resume.log 2>&1 || fail "resume of the killed run failed"
[ "$(state_of 1)" = completed ] || fail "the resumed run is listed as '$(state_of 1)'"
[ "$(cat after)" = after ] || fail "the step after the killed one did not run once"
echo "ok"
