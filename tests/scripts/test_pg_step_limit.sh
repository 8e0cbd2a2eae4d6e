#!/usr/bin/env bash
# test_pg_step_limit.sh - a step of another lane that never finishes ends
# as an error after five claims, and an ended run leaves no step queued
# (docs/scale.md, "Lanes as placement" and the faults table), with real
# workers on a throwaway PostgreSQL cluster (pg_test.sh):
#  1. the workflow file changes on lane B's host after the run began: each
#     of lane B's step processes refuses the step (and gives it back at
#     once); the sixth claim records it as an error, "claimed 5 times by
#     workers of lane B without a finish; the last refusal: ...", the run
#     fails with it (`runs show`), well within one 10 s lease; the handler
#     never ran;
#  2. the step's process dies every time (its handler kills it) before it
#     records a finish: the lease runs out each time; after five claims
#     (attempts 1 to 5, one key) the step ends as an error with no refusal
#     known, and the owner routes it like a handler's error: its error
#     edge, to a run that completes;
#  3. a run that fails on lane A while its lane B step is still queued:
#     the row goes with the run's end, and a worker of lane B that comes
#     later runs nothing of it.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test steplimit

state() { fz_psql -c "SELECT state FROM runs WHERE id = $1"; }
queued() { [ "$(fz_psql -c "SELECT count(*) FROM step_queue WHERE run = $1")" != 0 ]; }
ended() { case "$(state "$1")" in completed | failed) return 0 ;; esac; return 1; }
stop_workers() {
    local p
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for p in "$@"; do wait "$p" 2>/dev/null; done
}

cat > b.sh <<EOF
#!/bin/sh
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY" >> "$work/b.ran"
EOF
# The step's process dies before it can record a finish: its handler
# kills it (SIGKILL, as a crash would).
cat > crash.sh <<EOF
#!/bin/sh
echo "\$FZ_RUN_ID \$FZ_NODE \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY" >> "$work/crash.ran"
kill -KILL \$PPID
EOF
cat > slow.sh <<EOF
#!/bin/sh
echo \$\$ > "$work/slow.pid"
sleep 30
echo done >> "$work/slow.done"
EOF
fz_kill_at_exit "$work/slow.pid"
cat > lim.yaml <<EOF
version: 1
rules:
  - match: ^Work B\$
    exec: [sh, $work/b.sh]
  - match: ^Crash B\$
    exec: [sh, $work/crash.sh]
  - match: ^Fail A\$
    exec: [sh, -c, "exit 2"]
  - match: ^Slow B\$
    exec: [sh, $work/slow.sh]
  - match: ^Fail A late\$
    exec: [sh, -c, "sleep 1.5; exit 2"]
  - match: .
    exec: ['true']
EOF
: > b.ran
: > crash.ran

# 1. Refused on lane B's host: the file changed there after the run began.
# Its name holds a terminal escape and SQL quotes: the refusal quoting it
# is kept as data and printed escaped.
wf=$'refused\e[2J\'";--.fz'
cat > "$wf" <<'EOF'
A { # A
n1: circle label:"Start"
n3: circle label:"End"
n1.handle(right) -> B.n2.handle(left)
}
B { # B
n2: rectangle label:"Work B"
n2.handle(right) -> A.n3.handle(left)
}
EOF
id=$("$FLOWZAP" submit "$wf" --bindings lim.yaml 2>>submit.log) || fail "submit failed"
# A lease of 10 s: each refusal gives it back at once, so five claims
# take far less than one lease (left to run out, they would take 40 s).
"$FLOWZAP" worker --lane A --lease 10 --poll 0.2 >ra.log 2>&1 &
pids[1]=$!
fz_wait_until 100 queued "$id" || fail "run $id: lane B's step was not queued"
# The file as lane B's host has it (one checkout, edited in place).
echo "// edited on lane B's host" >> "$wf"
t0=$(date +%s.%N)
"$FLOWZAP" worker --lane B --lease 10 --poll 0.2 >rb.log 2>&1 &
pids[2]=$!
fz_wait_until 200 ended "$id" || fail "run $id did not end after its step was refused"
t1=$(date +%s.%N)
stop_workers "${pids[1]}" "${pids[2]}"
[ "$(state "$id")" = failed ] || fail "run $id: $(state "$id"), not failed"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "refused step: 5 claims and the error in ${secs}s (lease 10 s)" >&2
awk -v s="$secs" 'BEGIN { exit !(s < 8) }' || fail "the refused step took ${secs}s to end"
[ "$(grep -Ec "step [0-9]+ of run $id \(attempt" rb.log)" = 5 ] ||
    fail "lane B's step was not claimed 5 times: $(grep "of run $id" rb.log)"
grep -Eq "step [0-9]+ of run $id recorded as an error: claimed 5 times by workers of lane B" rb.log ||
    fail "the worker does not say it recorded the step as an error"
[ ! -s b.ran ] || fail "the refused step's handler ran: $(cat b.ran)"
why="claimed 5 times by workers of lane B without a finish; the last refusal: worker "
reason=$(fz_psql -c "SELECT reason FROM steps WHERE run = $id AND node = 'n2'")
case "$reason" in "$why"*"file '$wf' changed since the run began"*) ;;
*) fail "the step's reason is '$reason'" ;; esac
[ "$(fz_psql -c "SELECT answer FROM steps WHERE run = $id AND node = 'n2'")" = error ] ||
    fail "the step was not recorded as an error"
"$FLOWZAP" runs show "$id" >show1.log 2>&1
grep -qF "$why" show1.log || fail "runs show does not give the reason"
grep -q "changed since the run began" show1.log || fail "runs show does not give the refusal"
grep -q $'\e' rb.log ra.log show1.log && fail "a terminal escape from the file's name was printed raw"
! queued "$id" || fail "run $id: a step_queue row is left"

# 2. The step's process dies each time before its finish: no refusal is
#    known; the error takes the node's error edge.
cat > crash.fz <<'EOF'
A { # A
n1: circle label:"Start"
n3: circle label:"End"
n4: rectangle label:"Recover"
n1.handle(right) -> B.n2.handle(left)
}
B { # B
n2: rectangle label:"Crash B"
n2.handle(right) -> A.n3.handle(left)
n2.handle(bottom) -> A.n4.handle(bottom) [label="Error"]
}
EOF
id=$("$FLOWZAP" submit crash.fz --bindings lim.yaml 2>>submit.log) || fail "submit failed"
"$FLOWZAP" worker --lane A --lease 1 --poll 0.2 >ca.log 2>&1 &
pids[3]=$!
# Lane A's worker owns the run (else lane B's might claim the run itself).
fz_wait_until 100 queued "$id" || fail "run $id: lane B's step was not queued"
t0=$(date +%s.%N)
"$FLOWZAP" worker --lane B --lease 1 --poll 0.2 >cb.log 2>&1 &
pids[4]=$!
fz_wait_until 300 ended "$id" || fail "run $id did not end while its step's process kept dying"
t1=$(date +%s.%N)
stop_workers "${pids[3]}" "${pids[4]}"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "crashing step: 5 claims and the error in ${secs}s (lease 1 s)" >&2
[ "$(state "$id")" = completed ] || fail "run $id: $(state "$id"), not completed by its error edge"
fz_psql -c "SELECT outcome FROM runs WHERE id = $id" | grep -q "Recover" ||
    fail "run $id did not end at Recover: $(fz_psql -c "SELECT outcome FROM runs WHERE id = $id")"
[ "$(awk -v id="$id" '$1 == id { printf "%s ", $3 }' crash.ran)" = "1 2 3 4 5 " ] ||
    fail "the crashing step's attempts were not 1 to 5: $(cat crash.ran)"
[ "$(awk -v id="$id" '$1 == id { print $4 }' crash.ran | sort -u | wc -l)" = 1 ] ||
    fail "the attempts had different keys: $(cat crash.ran)"
[ "$(fz_psql -c "SELECT reason FROM steps WHERE run = $id AND node = 'n2'")" = \
    "claimed 5 times by workers of lane B without a finish" ] ||
    fail "the crashing step's reason: $(fz_psql -c "SELECT reason FROM steps WHERE run = $id AND node = 'n2'")"
[ "$(fz_psql -c "SELECT attempt || '/' || starts FROM steps WHERE run = $id AND node = 'n2'")" = 5/5 ] ||
    fail "the journal does not hold 5 attempts of the step"
[ "$(grep -Ec "step [0-9]+ of run $id \(attempt" cb.log)" = 5 ] || fail "lane B's step was not claimed 5 times"

# 3. A run ends (lane A's step fails) while its lane B step is queued: the
#    row goes with the run's end; a worker of lane B later runs nothing.
cat > ended.fz <<'EOF'
A { # A
n1: circle label:"Start"
n2: rectangle label:"Fork"
n3: rectangle label:"Fail A"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n2.handle(bottom) -> B.n4.handle(top)
n3.handle(right) -> n5.handle(left)
}
B { # B
n4: rectangle label:"Work B"
n4.handle(top) -> A.n5.handle(bottom)
}
EOF
id=$("$FLOWZAP" submit ended.fz --bindings lim.yaml 2>>submit.log) || fail "submit failed"
"$FLOWZAP" worker --lane A --lease 1 --poll 0.2 >ea.log 2>&1 &
pids[5]=$!
fz_wait_until 100 ended "$id" || fail "run $id did not end"
[ "$(state "$id")" = failed ] || fail "run $id: $(state "$id"), not failed"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = $id AND node = 'n4' AND finished_at IS NULL")" = 1 ] ||
    fail "run $id ended without lane B's step in flight (the test's premise)"
! queued "$id" || fail "run $id ended with its lane B step still in step_queue"
"$FLOWZAP" worker --lane B --lease 1 --poll 0.2 >eb.log 2>&1 &
pids[6]=$!
sleep 1.5
stop_workers "${pids[5]}" "${pids[6]}"
grep -q "of run $id" eb.log && fail "a worker of lane B took a step of the ended run"
[ ! -s b.ran ] || fail "a step of an ended run ran: $(cat b.ran)"

#    The same while a worker of lane B runs that step: its lease cannot
#    be renewed once the row went with the run, and its process is
#    killed whole, handler and all, within a heartbeat or two.
sed -e 's/"Fail A"/"Fail A late"/' -e 's/"Work B"/"Slow B"/' ended.fz > ended2.fz
id=$("$FLOWZAP" submit ended2.fz --bindings lim.yaml 2>>submit.log) || fail "submit failed"
"$FLOWZAP" worker --lane A --lease 1.5 --poll 0.2 >ea2.log 2>&1 &
pids[7]=$!
# Lane A's worker owns the run; lane B's comes once the step is queued.
fz_wait_until 100 queued "$id" || fail "run $id: lane B's step was not queued"
"$FLOWZAP" worker --lane B --lease 1.5 --poll 0.2 >eb2.log 2>&1 &
pids[8]=$!
fz_wait_until 100 test -s slow.pid || fail "lane B's slow step never started"
fz_wait_until 100 ended "$id" || fail "run $id did not end"
[ "$(state "$id")" = failed ] || fail "run $id: $(state "$id"), not failed"
! queued "$id" || fail "run $id ended with its claimed lane B step still in step_queue"
slow=$(cat slow.pid)
gone() { ! alive "$slow"; }
fz_wait_until 30 gone || fail "the ended run's step still runs 3 s after its end"
stop_workers "${pids[7]}" "${pids[8]}"
[ ! -e slow.done ] || fail "the ended run's step ran to its end"
grep -Eq "stopping step [0-9]+ of run $id" eb2.log || fail "the worker did not say it stopped the step"
echo "ok"
