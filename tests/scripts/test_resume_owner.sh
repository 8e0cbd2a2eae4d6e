#!/usr/bin/env bash
# test_resume_owner.sh - who runs a run (issue 9, items 4, 5, 7 and the
# durability mode), with the real binary:
#   1. two `flowzap resume ID` started at once, 20 times: one resumes, the
#      other refuses with exit 5 naming the winner's pid; every step ran
#      once (the one in flight at the kill: twice);
#   2. a SIGKILLed run's step keeps running in its process group: resume
#      waits for it before running it again (start 1, end 1, start 2,
#      end 2), or kills it with --kill-orphans;
#   3. a step's `setsid` descendants do not outlive the run;
#   4. a recorded pid that now names another process (reused) does not
#      block resume; a live pid recorded without a start time needs
#      --force, which warns;
#   5. `runs show --json` reports the connection's PRAGMA synchronous:
#      full by default, normal under FLOWZAP_JOURNAL_SYNC=normal.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3 shell"; exit 0; }

work=$(mktemp -d /tmp/fz-resume-owner.XXXXXX)
pids=()
cleanup() {
    touch "$work/release" 2>/dev/null
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
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
export FLOWZAP_DB="$work/journal.db"

cat > flow.fz <<'EOF2'
Chain { # Chain
n1: circle label:"Start"
n2: rectangle label:"Step 1"
n3: rectangle label:"Step 2"
n4: rectangle label:"Step 3"
n5: rectangle label:"Step 4"
n6: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
n5.handle(right) -> n6.handle(left)
}
EOF2
# Step 2 on its first attempt says it is in flight (its pid) and waits to
# be released; step 3 takes a while, so that two resumes overlap.
cat > step.sh <<'EOF2'
#!/bin/sh
echo "start $1 $FZ_ATTEMPT" >> order
echo "$FZ_ATTEMPT" >> "marks/$1"
if [ "$1" = 2 ] && [ "$FZ_ATTEMPT" = 1 ]; then
    echo "$$" > inflight
    i=0
    while [ ! -e release ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
fi
[ "$1" = 3 ] && sleep 0.5
echo "end $1 $FZ_ATTEMPT" >> order
EOF2
chmod +x step.sh
cat > flow.yaml <<'EOF2'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Step (?<n>\d+)$
    exec: [./step.sh, "${n}"]
EOF2

wait_for() { # FILE: up to 30 s
    local i=0
    while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$1" ]
}
run_id() { sed -n 's/^flowzap: run \([0-9][0-9]*\) recorded in .*/\1/p' "$1" | head -1; }
gone() { # no such process, or a zombie (dead, its new parent has not reaped it yet)
    local s # read once: a zombie reaped between two reads is gone too
    s=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# Starts a run and SIGKILLs flowzap while step 2 is in flight; sets $id and
# $orphan (the step's pid, still running).
start_and_kill() {
    rm -rf marks inflight release order
    mkdir marks
    "$FLOWZAP" run flow.fz --bindings flow.yaml >run.log 2>&1 &
    local rp=$!
    pids+=("$rp")
    wait_for inflight || fail "step 2 never started"
    id=$(run_id run.log)
    [ -n "$id" ] || fail "run did not say which run it recorded"
    kill -KILL "$rp"
    wait "$rp" 2>/dev/null
    orphan=$(cat inflight)
    kill -0 "$orphan" 2>/dev/null || fail "the killed run's step did not outlive flowzap (test setup)"
}

release_orphan() {
    touch release
    local i=0
    while ! gone "$orphan" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    rm -f release
}

check_marks() { # every step once, step 2 twice
    for n in 1 3 4; do
        [ "$(tr '\n' ' ' <marks/$n 2>/dev/null)" = "1 " ] || fail "$1: step $n saw attempts '$(tr '\n' ' ' <marks/$n 2>/dev/null)', want '1 '"
    done
    [ "$(tr '\n' ' ' <marks/2)" = "1 2 " ] || fail "$1: step 2 saw attempts '$(tr '\n' ' ' <marks/2)', want '1 2 '"
}

# 1. Two resumes at once.
for trial in $(seq 1 20); do
    start_and_kill
    release_orphan
    "$FLOWZAP" resume "$id" >r1.log 2>&1 &
    p1=$!
    "$FLOWZAP" resume "$id" >r2.log 2>&1 &
    p2=$!
    pids+=("$p1" "$p2")
    wait "$p1"
    s1=$?
    wait "$p2"
    s2=$?
    if [ $s1 -eq 0 ] && [ $s2 -eq 5 ]; then
        winner=$p1 loser=r2.log
    elif [ $s1 -eq 5 ] && [ $s2 -eq 0 ]; then
        winner=$p2 loser=r1.log
    else
        fail "trial $trial: two resumes exited $s1 and $s2, want one 0 and one 5"
    fi
    grep -q "still running in process $winner" "$loser" ||
        fail "trial $trial: the refused resume does not name the winner's pid $winner"
    check_marks "trial $trial"
done

# 2a. The killed run's step still runs: resume waits for it, by default.
start_and_kill
"$FLOWZAP" resume "$id" >wait.log 2>&1 &
rp=$!
pids+=("$rp")
sleep 1
grep -q "still runs in process group $orphan: waiting for it to end" wait.log ||
    fail "resume did not say it waits for the killed run's step"
[ "$(tr '\n' ' ' <marks/2)" = "1 " ] || fail "resume ran step 2 again while its first attempt still ran"
kill -0 "$rp" 2>/dev/null || fail "resume did not wait"
touch release
wait "$rp"
st=$?
[ $st -eq 0 ] || fail "resume after waiting exited $st"
[ "$(grep ' 2 ' order | tr '\n' ' ')" = "start 2 1 end 2 1 start 2 2 end 2 2 " ] ||
    fail "step 2's attempts overlapped: $(grep ' 2 ' order | tr '\n' ' ')"
check_marks "waiting resume"

# 2b. --kill-orphans kills it instead.
start_and_kill
"$FLOWZAP" resume "$id" --kill-orphans >kill.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume --kill-orphans exited $st"
grep -q "killing it (--kill-orphans)" kill.log || fail "resume --kill-orphans did not say so"
gone "$orphan" || fail "resume --kill-orphans left the first attempt running"
[ "$(grep ' 2 ' order | tr '\n' ' ')" = "start 2 1 start 2 2 end 2 2 " ] ||
    fail "step 2 after --kill-orphans: $(grep ' 2 ' order | tr '\n' ' ')"
pg=$(sqlite3 "$FLOWZAP_DB" "SELECT count(*) FROM steps WHERE run = $id AND label LIKE 'Step %' AND pgid > 0")
[ "$pg" = 4 ] || fail "$pg of 4 exec steps have their process group recorded"

# 3. setsid descendants of a step, one with a child of its own.
cat > escape.fz <<'EOF2'
Escape { # Escape
n1: circle label:"Start"
n2: rectangle label:"Escape"
n3: rectangle label:"Next"
n4: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
}
EOF2
cat > escape.yaml <<'EOF2'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Escape$
    exec: [sh, -c, "setsid sleep 30 & echo $! > a.pid; setsid sh -c 'sleep 31 & echo $! > b.pid; wait' & echo $! > c.pid; sleep 0.2"]
  - match: ^Next$
    exec: ["true"]
EOF2
rm -f a.pid b.pid c.pid
"$FLOWZAP" run escape.fz --bindings escape.yaml >escape.log 2>&1 || fail "escape run failed"
for f in a.pid b.pid c.pid; do
    [ -s $f ] || fail "the escaping step did not write $f"
    p=$(cat $f)
    pids+=("$p")
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.05; i=$((i + 1)); done
    gone "$p" || fail "a setsid descendant ($f: $p, $(cat /proc/$p/cmdline 2>/dev/null | tr '\0' ' ')) outlived the run"
done
# The same when the run is interrupted while the escaped process lives.
cat > escape2.yaml <<'EOF2'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Escape$
    exec: [sh, -c, "setsid sleep 30 & echo $! > d.pid; sleep 30"]
  - match: ^Next$
    exec: ["true"]
EOF2
rm -f d.pid
"$FLOWZAP" run escape.fz --bindings escape2.yaml >escape2.log 2>&1 &
rp=$!
pids+=("$rp")
wait_for d.pid || fail "escape2: the step did not start"
sleep 0.2
kill -INT "$rp"
wait "$rp"
p=$(cat d.pid)
pids+=("$p")
gone "$p" || fail "a setsid descendant outlived an interrupted run"

# 4. A pid recorded for the run that now names another process.
start_and_kill
release_orphan
boot=$(cat /proc/sys/kernel/random/boot_id)
sqlite3 "$FLOWZAP_DB" "UPDATE runs SET pid = $$, owner_id = '$boot/1' WHERE id = $id"
"$FLOWZAP" resume "$id" >reused.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume of a run whose pid was reused exited $st, want 0"
grep -q "process $$ is gone (that pid now belongs to another process" reused.log ||
    fail "resume did not say the recorded pid was reused"
check_marks "reused pid"
#    A live pid and no start time (a journal of schema 1): --force.
start_and_kill
release_orphan
sqlite3 "$FLOWZAP_DB" "UPDATE runs SET pid = $$, owner_id = NULL WHERE id = $id"
"$FLOWZAP" resume "$id" >unknown.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume of a run owned by a live pid of unknown start exited $st, want 5"
grep -q "still running in process $$.*--force" unknown.log || fail "the refusal does not offer --force"
[ "$(tr '\n' ' ' <marks/2)" = "1 " ] || fail "a refused resume ran a step"
"$FLOWZAP" resume "$id" --force >force.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume --force exited $st, want 0"
grep -q "warning: --force: taking run $id over from process $$, which is alive" force.log ||
    fail "resume --force gave no warning naming the pid"
check_marks "--force"
#    --force does not take a run from its live owner.
rm -rf marks inflight release order
mkdir marks
"$FLOWZAP" run flow.fz --bindings flow.yaml >owner.log 2>&1 &
rp=$!
pids+=("$rp")
wait_for inflight || fail "live owner: step 2 never started"
id2=$(run_id owner.log)
"$FLOWZAP" resume "$id2" --force >live.log 2>&1
st=$?
[ $st -eq 5 ] || fail "resume --force of a live run exited $st, want 5"
grep -q "still running in process $rp" live.log || fail "live-owner refusal unclear"
touch release
wait "$rp" || fail "the live run failed after a refused resume"
rm -f release

# 5. Durability of the connection that recorded the run.
"$FLOWZAP" runs show "$id2" --json >sync-full.json || fail "runs show failed"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["journal_sync"]; sys.exit(v != "full")' sync-full.json ||
    fail "default journal_sync is not full: $(grep journal_sync sync-full.json)"
FLOWZAP_JOURNAL_SYNC=normal "$FLOWZAP" run escape.fz --bindings escape.yaml >normal.log 2>&1 || fail "normal run failed"
id3=$(run_id normal.log)
"$FLOWZAP" runs show "$id3" --json >sync-normal.json || fail "runs show failed"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["journal_sync"]; sys.exit(v != "normal")' sync-normal.json ||
    fail "FLOWZAP_JOURNAL_SYNC=normal gave journal_sync $(grep journal_sync sync-normal.json)"

echo "ok: 20 double resumes, one winner each; orphaned step waited for / killed; setsid descendants contained; reused pid and --force; journal_sync full/normal"
