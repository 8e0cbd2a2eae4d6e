#!/usr/bin/env bash
# test_pg_lanes_parallel.sh - steps of different lanes of one run run at
# the same time, each on a worker of its lane, while one process routes
# the run (docs/scale.md, "Lanes as placement"), on a throwaway PostgreSQL
# cluster (pg_cluster.sh):
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

. "$FZ_SRC/tests/scripts/pg_cluster.sh"
work=$(mktemp -d /tmp/fz-pg-lanes.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
    fz_pg_stop
}
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log "$work"/starts "$work"/ends; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -40 "$f" >&2; }
    done
    exit 1
}
fz_pg_start || fail "could not start a PostgreSQL cluster"
trap cleanup EXIT
cd "$work" || exit 1
export FLOWZAP_DB="$FZ_TEST_PG_URI"

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
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY \$WHO \$PPID \$pg \$(date +%s.%N)" >> "$work/starts"
case "\$FZ_NODE" in n3|n4) sleep "\${NAP:-2}" ;; esac
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY \$WHO \$PPID \$pg \$(date +%s.%N)" >> "$work/ends"
EOF
chmod +x step.sh
cat > par.yaml <<EOF
version: 1
rules:
  - match: .
    exec: [sh, $work/step.sh]
EOF
: > starts
: > ends

state() { fz_psql -c "SELECT state FROM runs WHERE id = $1"; }
wait_state() { # run, state, seconds
    for _ in $(seq 1 $(($3 * 10))); do
        [ "$(state "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
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
[ "$(grep -c "^$id " starts)" = 6 ] || fail "run $id: not every step started once"
[ "$(grep -c "^$id " ends)" = 6 ] || fail "run $id: not every step ended once"
awk -v id="$id" '$1 == id { want = ($2 == "n4") ? "B" : "A"; if ($5 != want) { print; bad = 1 } }
    END { exit bad }' ends || fail "a step ran on a worker of another lane"
# The sleeps overlapped: each began before the other ended.
sa=$(awk -v id="$id" '$1 == id && $2 == "n3" { print $8 }' starts)
sb=$(awk -v id="$id" '$1 == id && $2 == "n4" { print $8 }' starts)
ea=$(awk -v id="$id" '$1 == id && $2 == "n3" { print $8 }' ends)
eb=$(awk -v id="$id" '$1 == id && $2 == "n4" { print $8 }' ends)
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
for _ in $(seq 1 100); do [ "$(state "$id")" = running ] && break; sleep 0.1; done
[ "$(state "$id")" = running ] || fail "run $id was not claimed"
WHO=B1 NAP=3 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >kb1.log 2>&1 &
pids[4]=$!
WHO=B2 NAP=3 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >kb2.log 2>&1 &
pids[5]=$!
line=""
for _ in $(seq 1 100); do
    line=$(awk -v id="$id" '$1 == id && $2 == "n4"' starts)
    [ -n "$line" ] && break
    sleep 0.1
done
[ -n "$line" ] || fail "the lane B step of run $id never started"
read -r _ _ att1 key1 who1 exec_pid step_pg _ <<<"$line"
[ "$att1" = 1 ] || fail "the first attempt was $att1"
# The step's process is a child of a worker of lane B, not of the owner.
ps -o ppid= -p "$exec_pid" | grep -Eq "^ *(${pids[4]}|${pids[5]})$" ||
    fail "the lane B step's process $exec_pid is not a lane B worker's"
kill -KILL "$exec_pid" 2>/dev/null
kill -KILL -- "-$step_pg" 2>/dev/null
wait_state "$id" completed 40 || fail "run $id did not complete after its step's process was killed"
stop_workers "${pids[3]}" "${pids[4]}" "${pids[5]}"
n4=$(awk -v id="$id" '$1 == id && $2 == "n4"' starts)
[ "$(echo "$n4" | wc -l)" = 2 ] || fail "the killed step did not run exactly twice: $n4"
echo "$n4" | awk -v key="$key1" '$4 != key { bad = 1 } $5 !~ /^B/ { bad = 1 } END { exit bad }' ||
    fail "the second attempt had another key, or ran outside lane B: $n4"
echo "$n4" | awk 'NR == 2 && $3 != 2 { exit 1 }' || fail "the second attempt did not see FZ_ATTEMPT=2: $n4"
# Every step that finished ran once; the killed attempt never ended.
[ "$(grep -c "^$id " ends)" = 6 ] || fail "run $id: not every step ended once"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4" && $3 == 1' ends | wc -l)" = 0 ] ||
    fail "the killed attempt ended"
for n in n1 n2 n3 n5 n6; do
    [ "$(awk -v id="$id" -v n="$n" '$1 == id && $2 == n' starts | wc -l)" = 1 ] ||
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
for _ in $(seq 1 100); do [ "$(state "$id")" = running ] && break; sleep 0.1; done
WHO=B NAP=4 "$FLOWZAP" worker --lane B --lease 2 --poll 0.2 >ob.log 2>&1 &
pids[9]=$!
for _ in $(seq 1 100); do
    [ -n "$(awk -v id="$id" '$1 == id && $2 == "n4"' starts)" ] &&
        [ -n "$(awk -v id="$id" '$1 == id && $2 == "n3"' starts)" ] && break
    sleep 0.1
done
kill -KILL "${pids[8]}"
wait "${pids[8]}" 2>/dev/null
# The lane B worker takes the run over (its lease ran out): its own
# process runs lane B's step, which it must wait for, not run twice.
for _ in $(seq 1 100); do grep -q "run $id (lease epoch 2)" ob.log && break; sleep 0.1; done
grep -q "run $id (lease epoch 2)" ob.log || fail "the lane B worker did not take the run over"
WHO=A2 "$FLOWZAP" worker --lane A --lease 2 --poll 0.2 >oa2.log 2>&1 &
pids[10]=$!
wait_state "$id" completed 40 || fail "run $id did not complete after its owner was killed"
stop_workers "${pids[9]}" "${pids[10]}"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4"' starts | wc -l)" = 1 ] ||
    fail "the next owner started lane B's step again"
grep -q "1 of them runs on a worker of its lane: waited for, not run again" ob.log ||
    fail "the next owner did not say it waits for lane B's step"
[ "$(awk -v id="$id" '$1 == id && $2 == "n4"' ends | wc -l)" = 1 ] || fail "lane B's step did not end once"
awk -v id="$id" '$1 == id && $2 == "n3" && $3 == 2 && $5 == "A2"' ends | grep -q . ||
    fail "the owner's own step in flight did not run again at attempt 2 on the next owner"

# 4. Nobody serves lane B: its step waits (the run stays running) and
#    `runs show` says for which lane; once a worker of lane B comes, it
#    runs the step (shown with that worker) and the run completes.
id=$("$FLOWZAP" submit par.fz --bindings par.yaml 2>>submit.log) || fail "submit failed"
WHO=A "$FLOWZAP" worker --lane A --poll 0.2 >wa4.log 2>&1 &
pids[11]=$!
shown=""
for _ in $(seq 1 100); do
    "$FLOWZAP" runs show "$id" >show4.log 2>&1
    grep -q "waiting for a worker of lane B" show4.log && { shown=1; break; }
    sleep 0.1
done
[ -n "$shown" ] || fail "runs show does not say that a step waits for lane B"
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
shown=""
for _ in $(seq 1 100); do
    "$FLOWZAP" runs show "$id" >show4.log 2>&1
    grep -q "running on worker .* (lane B)" show4.log && { shown=1; break; }
    sleep 0.05
done
[ -n "$shown" ] || fail "runs show does not name the worker running the step of lane B"
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
for _ in $(seq 1 100); do [ "$(state "$id")" = running ] && break; sleep 0.1; done
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
