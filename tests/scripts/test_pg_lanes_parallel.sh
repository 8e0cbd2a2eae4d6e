#!/usr/bin/env bash
# test_pg_lanes_parallel.sh - steps of different lanes of one run run at
# the same time, each on a worker of its lane, while one process routes
# the run (docs/scale.md, "Lanes as placement"), on a throwaway PostgreSQL
# cluster (pg_test.sh):
#  1. a fork into lanes A and B, each branch a 2 s step, joined after; two
#     workers, --lane A and --lane B: the run completes, each step ran on a
#     worker of its lane, and the two steps overlapped in time;
#  2. the process running a step of the other lane is killed (SIGKILL,
#     with its handler) mid-step: once its lease runs out a worker of that
#     lane runs it again with FZ_ATTEMPT=2 and the same FZ_IDEMPOTENCY_KEY,
#     the run completes, and every step that finished ran once;
#  3. the run's owner is killed while the remote step runs: the next owner
#     waits for that step and never starts it again;
#  4. nobody serves lane B: the step waits, `runs show` says for which lane
#     (then which worker runs it), and the run completes once one comes;
#  5. hostile values: a lane name with quotes is refused, and a remote
#     step's output and variable with quotes reach the owner as data.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

# A failure shows the last 40 lines of each log, the steps' starts.log and
# ends.log included.
FZ_FAIL_LINES=${FZ_FAIL_LINES:-40}
. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test lanes

cat > par.fz <<'EOF'
A { # A
n1: circle label:"Start"
n2: rectangle label:"Fork"
n3: rectangle label:"Work A"
n5: rectangle label:"Join"
n6: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n2.handle(bottom) -> B.n4.handle(top)
n3.handle(right) -> n5.handle(left)
n5.handle(right) -> n6.handle(left)
}
B { # B
n4: rectangle label:"Work B"
n4.handle(top) -> A.n5.handle(bottom)
}
EOF
# Every step logs its start and its end: run, node, attempt, key, the
# worker (WHO), its process and group, the time. Work steps sleep 2 s.
cat > step.sh <<EOF
#!/bin/sh
pg=\$(ps -o pgid= -p \$\$ | tr -d ' ')
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY \$WHO \$PPID \$pg \$(date +%s.%N)" >> "$work/starts.log"
case "\$FZ_NODE" in n3|n4) sleep "\${NAP:-2}" ;; esac
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY \$WHO \$PPID \$pg \$(date +%s.%N)" >> "$work/ends.log"
EOF
chmod +x step.sh
cat > par.yaml <<EOF
version: 1
rules:
  - match: .
    exec: [sh, $work/step.sh]
EOF
: > starts.log
: > ends.log

state() { fz_psql -c "SELECT state FROM runs WHERE id = $1"; }
state_is() { [ "$(state "$1")" = "$2" ]; }
wait_state() { fz_wait_until $(($3 * 10)) state_is "$1" "$2"; } # run, state, seconds
stop_workers() {
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for p in "$@"; do wait "$p" 2>/dev/null; done
}

# 1. Two lanes side by side.
id=$("$FLOWZAP" submit par.fz --bindings par.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --poll 0.2 >wa.log 2>&1 &
pids[1]=$!
WHO=B "$FLOWZAP" worker --lane B --poll 0.2 >wb.log 2>&1 &
pids[2]=$!
wait_state "$id" completed 30 || fail "run $id did not complete"
stop_workers "${pids[1]}" "${pids[2]}"
[ "$(grep -c "^$id " starts.log)" = 6 ] || fail "run $id: not every step started once"
[ "$(grep -c "^$id " ends.log)" = 6 ] || fail "run $id: not every step ended once"
awk -v id="$id" '$1 == id { want = ($2 == "n4") ? "B" : "A"; if ($5 != want) { print; bad = 1 } }
    END { exit bad }' ends.log || fail "a step ran on a worker of another lane"
# The sleeps overlapped: each began before the other ended.
sa=$(awk -v id="$id" '$1 == id && $2 == "n3" { print $8 }' starts.log)
sb=$(awk -v id="$id" '$1 == id && $2 == "n4" { print $8 }' starts.log)
ea=$(awk -v id="$id" '$1 == id && $2 == "n3" { print $8 }' ends.log)
eb=$(awk -v id="$id" '$1 == id && $2 == "n4" { print $8 }' ends.log)
awk -v sa="$sa" -v sb="$sb" -v ea="$ea" -v eb="$eb" 'BEGIN {
    span = (ea > eb ? ea : eb) - (sa < sb ? sa : sb)
    printf "lanes A and B: work A %.2f-%.2f, work B %.2f-%.2f, both within %.2fs\n", 0, ea - sa, sb - sa, eb - sa, span
    exit !(sa < eb && sb < ea && span < 3.5) }' >&2 ||
    fail "the steps of lanes A and B did not run at the same time"
# One process routed the run: every finish has its place, once.
[ "$(fz_psql -c "SELECT count(DISTINCT seq) FROM steps WHERE run = $id AND seq IS NOT NULL")" = 6 ] ||
    fail "run $id: the finishes were not routed once each"
[ "$(fz_psql -c "SELECT count(*) FROM step_queue WHERE run = $id")" = 0 ] ||
    fail "run $id: a queued step was left behind"
grep -Eq "step [0-9]+ of run $id " wa.log wb.log || fail "no worker ran a step of another owner's run"
# Its owner waited on the finish rather than handing the run over.
grep -q "handed over" wa.log wb.log && fail "the run was handed over instead of run side by side"
"$FLOWZAP" runs show "$id" >show.log 2>&1 || fail "runs show failed"

# 2. The process running the remote step is killed mid-step. Only a
#    worker of lane A is up when the run is claimed, so it owns the run
#    and lane B's step is a remote one.
id=$("$FLOWZAP" submit par.fz --bindings par.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --lease 2 --poll 0.2 >ka.log 2>&1 &
pids[3]=$!
fz_wait_until 100 state_is "$id" running
[ "$(state "$id")" = running ] || fail "run $id was not claimed"
WHO=B1 NAP=3 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >kb1.log 2>&1 &
pids[4]=$!
WHO=B2 NAP=3 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >kb2.log 2>&1 &
pids[5]=$!
line=""
n4_started() {
    line=$(awk -v id="$id" '$1 == id && $2 == "n4"' starts.log)
    [ -n "$line" ]
}
fz_wait_until 100 n4_started || fail "the lane B step of run $id never started"
read -r _ _ att1 key1 who1 exec_pid step_pg _ <<<"$line"
[ "$att1" = 1 ] || fail "the first attempt was $att1"
# The step's process is a child of a worker of lane B, not of the owner.
ps -o ppid= -p "$exec_pid" | grep -Eq "^ *(${pids[4]}|${pids[5]})$" ||
    fail "the lane B step's process $exec_pid is not a lane B worker's"
kill -KILL "$exec_pid" 2>/dev/null
kill -KILL -- "-$step_pg" 2>/dev/null
wait_state "$id" completed 40 || fail "run $id did not complete after its step's process was killed"
stop_workers "${pids[3]}" "${pids[4]}" "${pids[5]}"
n4=$(awk -v id="$id" '$1 == id && $2 == "n4"' starts.log)
[ "$(echo "$n4" | wc -l)" = 2 ] || fail "the killed step did not run exactly twice: $n4"
echo "$n4" | awk -v key="$key1" '$4 != key { bad = 1 } $5 !~ /^B/ { bad = 1 } END { exit bad }' ||
    fail "the second attempt had another key, or ran outside lane B: $n4"
echo "$n4" | awk 'NR == 2 && $3 != 2 { exit 1 }' || fail "the second attempt did not see FZ_ATTEMPT=2: $n4"
# Every step that finished ran once; the killed attempt never ended.
[ "$(grep -c "^$id " ends.log)" = 6 ] || fail "run $id: not every step ended once"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4" && $3 == 1' ends.log | wc -l)" = 0 ] ||
    fail "the killed attempt ended"
for n in n1 n2 n3 n5 n6; do
    [ "$(awk -v id="$id" -v n="$n" '$1 == id && $2 == n' starts.log | wc -l)" = 1 ] ||
        fail "run $id: step $n started more than once"
done
[ "$(fz_psql -c "SELECT attempt || '/' || starts FROM steps WHERE run = $id AND node = 'n4'")" = 2/2 ] ||
    fail "the journal does not hold the second attempt of the killed step"

# 3. The run's owner dies while lane B's step runs elsewhere: the next
#    owner (the lane B worker, whose other process runs that step)
#    replays the run and waits for that step (the queue holds it), never
#    starts it again; the dead owner's own step in flight runs again,
#    attempt 2, on a worker of lane A.
id=$("$FLOWZAP" submit par.fz --bindings par.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --lease 2 --poll 0.2 >oa.log 2>&1 &
pids[8]=$!
fz_wait_until 100 state_is "$id" running
WHO=B NAP=4 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >ob.log 2>&1 &
pids[9]=$!
both_started() {
    [ -n "$(awk -v id="$id" '$1 == id && $2 == "n4"' starts.log)" ] &&
        [ -n "$(awk -v id="$id" '$1 == id && $2 == "n3"' starts.log)" ]
}
fz_wait_until 100 both_started
kill -KILL "${pids[8]}"
wait "${pids[8]}" 2>/dev/null
# The lane B worker takes the run over (its lease ran out): its own
# process runs lane B's step, which it must wait for, not run twice.
fz_wait_until 100 grep -q "run $id (lease epoch 2)" ob.log ||
    fail "the lane B worker did not take the run over"
WHO=A2 "$FLOWZAP" worker --lane A --lease 2 --poll 0.2 >oa2.log 2>&1 &
pids[10]=$!
wait_state "$id" completed 40 || fail "run $id did not complete after its owner was killed"
stop_workers "${pids[9]}" "${pids[10]}"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4"' starts.log | wc -l)" = 1 ] ||
    fail "the next owner started lane B's step again"
grep -q "1 of them runs on a worker of its lane: waited for, not run again" ob.log ||
    fail "the next owner did not say it waits for lane B's step"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4"' ends.log | wc -l)" = 1 ] || fail "lane B's step did not end once"
awk -v id="$id" '$1 == id && $2 == "n3" && $3 == 2 && $5 == "A2"' ends.log | grep -q . ||
    fail "the owner's own step in flight did not run again at attempt 2 on the next owner"

# 4. Nobody serves lane B: its step waits (the run stays running) and
#    `runs show` says for which lane; once a worker of lane B comes, it
#    runs the step (shown with that worker) and the run completes.
id=$("$FLOWZAP" submit par.fz --bindings par.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --poll 0.2 >wa4.log 2>&1 &
pids[11]=$!
show_says() { # PATTERN: `runs show` of run $id says it
    "$FLOWZAP" runs show "$id" >show4.log 2>&1
    grep -q "$1" show4.log
}
fz_wait_until 100 show_says "waiting for a worker of lane B" ||
    fail "runs show does not say that a step waits for lane B"
sleep 1
[ "$(state "$id")" = running ] || fail "run $id did not wait for a worker of lane B"
"$FLOWZAP" runs show "$id" --json >show4.json 2>&1 || fail "runs show --json failed"
python3 -c 'import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
w = [s for s in steps if s["node"] == "n4"]
sys.exit(not (len(w) == 1 and "lane_worker" in w[0] and w[0]["lane_worker"] is None))' show4.json ||
    fail "runs show --json does not show the waiting step: $(cat show4.json)"
WHO=B "$FLOWZAP" worker --lane B --poll 0.2 >wb4.log 2>&1 &
pids[12]=$!
fz_wait_until 100 show_says "running on worker .* (lane B)" ||
    fail "runs show does not name the worker running the step of lane B"
wait_state "$id" completed 30 || fail "run $id did not complete once lane B had a worker"
stop_workers "${pids[11]}" "${pids[12]}"

# 5. Hostile values: a lane named with SQL quotes is refused before any
#    query; a step's output with quotes and escapes reaches the owner as
#    data (its finish is read back from the journal, not re-run).
"$FLOWZAP" worker --lane "B');DROP TABLE step_queue;--" >badlane.log 2>&1
[ $? -eq 64 ] || fail "a hostile --lane was not refused"
cat > hostile.sh <<'EOF'
#!/bin/sh
printf '%s\n' "x'); DROP TABLE runs;-- \$(id) \033[31m"
echo "::set OUT=it's \"quoted\""
EOF
cat > hostile.yaml <<EOF
version: 1
rules:
  - match: ^Work B\$
    exec: [sh, $work/hostile.sh]
  - match: .
    exec: ['true']
EOF
id=$("$FLOWZAP" submit par.fz --bindings hostile.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --poll 0.2 >ha.log 2>&1 &
pids[6]=$!
fz_wait_until 100 state_is "$id" running
WHO=B "$FLOWZAP" worker --lane B --poll 0.2 >hb.log 2>&1 &
pids[7]=$!
wait_state "$id" completed 30 || fail "the run with hostile output did not complete"
stop_workers "${pids[6]}" "${pids[7]}"
fz_psql -c "SELECT convert_from(stdout, 'UTF8') FROM steps WHERE run = $id AND node = 'n4'" |
    grep -qF "x'); DROP TABLE runs;--" || fail "the remote step's output was not kept as data"
fz_psql -c "SELECT vars FROM runs WHERE id = $id" | grep -qF 'it'"'"'s \"quoted\"' ||
    fail "the remote step's variable did not reach the run"
fz_psql -c "SELECT count(*) FROM runs" >/dev/null || fail "a table is gone"
echo "ok"
