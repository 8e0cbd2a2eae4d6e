#!/usr/bin/env bash
# test_kill_resume.sh - the journal's promise, for real: a run whose exec
# steps leave marker files is killed with SIGKILL in the middle of a step;
# `flowzap resume` finishes it; every step ran exactly once except the one
# in flight, which ran at most twice and saw FZ_ATTEMPT raised. Then the
# refusals: a finished run, an unknown id, a live run, a changed workflow.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-kill-resume.XXXXXX)
runpid=""
cleanup() {
    [ -n "$runpid" ] && kill -KILL "$runpid" 2>/dev/null
    touch "$work/release" 2>/dev/null
    sleep 0.2
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1
mkdir marks
export FLOWZAP_DB="$work/journal.db"

# Six steps in a chain, then two parallel branches that meet at End.
cat > flow.fz <<'EOF'
Pipeline { # Pipeline
n1: circle label:"Start"
n2: rectangle label:"Step 1"
n3: rectangle label:"Step 2"
n4: rectangle label:"Step 3"
n5: rectangle label:"Step 4"
n6: rectangle label:"Step 5"
n7: rectangle label:"Step 6"
n8: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
n4.handle(bottom) -> n6.handle(top)
n5.handle(right) -> n7.handle(left)
n6.handle(right) -> n8.handle(left)
n7.handle(right) -> n8.handle(left)
}
EOF

# Each step appends the attempt it saw to marks/<n>. Step 3, on its first
# attempt, says it is in flight and waits (until released), so that the
# test can kill flowzap in the middle of it.
cat > step.sh <<'EOF'
#!/bin/sh
echo "${FZ_ATTEMPT:-unset}" >> "marks/$1"
if [ "$1" = 3 ] && [ "${FZ_ATTEMPT:-}" = 1 ]; then
    echo "$$" > inflight
    i=0
    while [ ! -e release ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
fi
echo "step $1 done"
EOF
chmod +x step.sh

cat > flow.yaml <<'EOF'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Step (?<n>\d+)$
    exec: [./step.sh, "${n}"]
EOF

wait_for() { # wait_for FILE: up to 30 s
    local i=0
    while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$1" ]
}

run_id() { # the id `run` printed: "flowzap: run N recorded in PATH"
    sed -n 's/^flowzap: run \([0-9][0-9]*\) recorded in .*/\1/p' "$1" | head -1
}

# 1. Start the run; kill it with SIGKILL while step 3 is in flight.
"$FLOWZAP" run flow.fz --bindings flow.yaml >run1.log 2>&1 &
runpid=$!
wait_for inflight || fail "step 3 never started"
id=$(run_id run1.log)
[ -n "$id" ] || fail "run did not say which run it recorded"

# While the process lives, resume is refused.
"$FLOWZAP" resume "$id" >live.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume of a live run exited $st, want 5"
grep -q "still running in process $runpid" live.log || fail "live run refusal unclear"

kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
touch release # the orphaned step 3 (its own process group) may finish now
i=0
while [ -e inflight ] && kill -0 "$(cat inflight)" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
rm -f release

"$FLOWZAP" runs >runs1.log 2>&1 || fail "runs failed"
grep -Eq "^$id +interrupted \(owner gone\)" runs1.log || fail "killed run not listed as interrupted (owner gone)"
[ ! -e marks/4 ] && [ ! -e marks/5 ] || fail "steps after the killed one ran before the kill"

# 2. Resume: it completes, and says what it replayed.
"$FLOWZAP" resume "$id" >resume.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume exited $st, want 0"
grep -q "resuming run $id: .* 1 in flight" resume.log || fail "resume did not report the step in flight"

# 3. Every step ran exactly once, except step 3: twice, the second time
#    with FZ_ATTEMPT=2.
for n in 1 2 4 5 6; do
    [ "$(cat marks/$n 2>/dev/null)" = "1" ] || fail "step $n ran $(wc -l <marks/$n 2>/dev/null || echo 0) times ($(tr '\n' ' ' <marks/$n 2>/dev/null)), want once with FZ_ATTEMPT=1"
done
[ "$(tr '\n' ' ' <marks/3)" = "1 2 " ] || fail "step 3 saw attempts '$(tr '\n' ' ' <marks/3)', want '1 2 '"

"$FLOWZAP" runs show "$id" --output >show.log 2>&1 || fail "runs show failed"
grep -q "^run $id: completed" show.log || fail "run $id not recorded as completed"
grep -q "resumed 1 time" show.log || fail "resume not counted"
grep -q "step 6 done" show.log || fail "captured output missing from runs show --output"
"$FLOWZAP" runs show "$id" --json >show.json 2>&1 || fail "runs show --json failed"
python3 - "$id" <<'EOF' || fail "journal steps are wrong (see show.json)"
import json, sys
run = json.load(open("show.json"))
steps = run["steps"]
assert run["state"] == "completed", run["state"]
assert all(s["finished"] for s in steps), "unfinished steps"
again = [s for s in steps if s["starts"] > 1]
assert [s["label"] for s in again] == ["Step 3"], again
assert again[0]["attempt"] == 2 and again[0]["exit_code"] == 0, again[0]
assert sorted(s["task"] for s in steps) == list(range(len(steps))), "task ids"
EOF

# 4. Refusals, each with exit status 5 and a clear message.
"$FLOWZAP" resume "$id" >again.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume of a completed run exited $st, want 5"
grep -q "already completed" again.log || fail "completed-run refusal unclear"

"$FLOWZAP" resume 999 >unknown.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume of an unknown run exited $st, want 5"
grep -q "no run 999" unknown.log || fail "unknown-run refusal unclear"

# 5. Ctrl-C (SIGINT) in the middle of step 3: recorded as interrupted,
#    exit 130, and resumable in the same way.
rm -f inflight marks/*
"$FLOWZAP" run flow.fz --bindings flow.yaml >int.log 2>&1 &
runpid=$!
wait_for inflight || fail "interrupted run: step 3 never started"
id3=$(run_id int.log)
kill -INT "$runpid"
wait "$runpid"
st=$?
runpid=""
[ $st -eq 130 ] || fail "interrupted run exited $st, want 130"
grep -q "flowzap resume $id3" int.log || fail "an interrupted run does not say how to resume it"
"$FLOWZAP" runs >runs2.log 2>&1
grep -Eq "^$id3 +interrupted" runs2.log || fail "interrupted run not listed as interrupted"
"$FLOWZAP" resume "$id3" >resume3.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume of an interrupted run exited $st, want 0"
for n in 1 2 4 5 6; do
    [ "$(cat marks/$n 2>/dev/null)" = "1" ] || fail "interrupted run: step $n ran other than once"
done
[ "$(tr '\n' ' ' <marks/3)" = "1 2 " ] || fail "interrupted run: step 3 saw '$(tr '\n' ' ' <marks/3)'"

# A run killed, then its workflow edited: refused, and nothing ran.
rm -f inflight marks/*
"$FLOWZAP" run flow.fz --bindings flow.yaml >run2.log 2>&1 &
runpid=$!
wait_for inflight || fail "second run: step 3 never started"
id2=$(run_id run2.log)
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
touch release
sleep 0.3
rm -f release marks/*
echo "// edited after the run began" >>flow.fz
"$FLOWZAP" resume "$id2" >changed.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume with a changed workflow exited $st, want 5"
grep -q "changed since the run began" changed.log || fail "changed-workflow refusal unclear"
[ -z "$(ls marks)" ] || fail "a refused resume ran steps"
# An edit that breaks the file is still named as an edit, not parsed.
echo "n99: rect label:\"oops\"" >>flow.fz
"$FLOWZAP" resume "$id2" >broken-edit.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume with a broken edited workflow exited $st, want 5"
grep -q "changed since the run began" broken-edit.log || fail "broken-edit refusal unclear"
sed -i '$d' flow.fz

# 6. A journal that cannot record stops the run before the next step: the
#    second step drops the steps table behind flowzap's back.
rm -f marks/*
cat > breaker.sh <<'EOF2'
#!/bin/sh
echo "${FZ_ATTEMPT}" >> "marks/$1"
[ "$1" = 2 ] && sqlite3 "$FLOWZAP_DB" "DROP TABLE steps"
exit 0
EOF2
chmod +x breaker.sh
sed 's|./step.sh|./breaker.sh|' flow.yaml >breaker.yaml
FLOWZAP_DB="$work/broken.db" "$FLOWZAP" run flow.fz --bindings breaker.yaml >broken.log 2>&1
st=$?
[ $st -eq 74 ] || fail "a run whose journal broke exited $st, want 74"
grep -q "could not record run" broken.log || fail "journal failure not reported"
[ -e marks/2 ] && [ ! -e marks/3 ] || fail "a step ran after the journal failed"

echo "ok: killed run $id resumed; every step once, step 3 twice (FZ_ATTEMPT 1 then 2); refusals exit 5"
