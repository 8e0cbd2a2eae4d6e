#!/usr/bin/env bash
# test_pg_worker_wake.sh - how a worker runs a run (a forked child taking
# resume's code path, docs/scale.md), on a throwaway PostgreSQL cluster
# (pg_cluster.sh):
#  1. a run whose lease is lost dies whole: the run's process, its step's
#     process group and what the step started; the next step never starts
#     and nothing of it is routed;
#  2. a worker notices a finished run at once (SIGCHLD wakes it): twenty
#     runs of one no-op step drain with --poll 2 in less than half of
#     twenty polls (a worker that waited for its poll would take 40 s);
#  3. the child writes nothing twice: a worker's log holds each run's
#     lines once (stdio flushed before fork).
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test wake

# 1. The lease lost: the run dies whole.
fz_long_step
id=$("$FLOWZAP" submit long.fz --bindings long.yaml 2>submit.log) || fail "submit failed"
"$FLOWZAP" worker --lease 1.5 --poll 0.2 >lease.log 2>&1 &
pids[1]=$!
fz_wait_until 100 test -s grand.pid || fail "the step did not start"
run_pid=$(sed -n "s/.*run $id (lease epoch [0-9]*) in process \([0-9]*\).*/\1/p" lease.log | head -1)
[ -n "$run_pid" ] || fail "the worker did not say which process runs run $id"
alive "$run_pid" || fail "the run's process is not running"
# Another worker takes the run (its epoch raised, its lease held for an hour).
fz_psql -c "UPDATE queue SET epoch = epoch + 1, worker = 'another/1',
            lease_until = clock_timestamp() + interval '1 hour' WHERE run = $id" ||
    fail "could not take the lease away"
for i in $(seq 1 50); do
    grep -q "stopping run $id" lease.log && ! alive "$run_pid" && ! alive "$(cat step.pid)" &&
        ! alive "$(cat grand.pid)" && break
    sleep 0.1
done
grep -q "was lost: another worker took the run: stopping run $id" lease.log ||
    fail "the worker did not stop the run whose lease it lost"
! alive "$run_pid" || fail "the run's process outlived its lease"
! alive "$(cat step.pid)" || fail "the step's process outlived the run's lease"
! alive "$(cat grand.pid)" || fail "what the step started outlived the run's lease"
sleep 0.5
[ ! -e after ] || fail "the next step ran after the lease was lost"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = $id AND node = 'n2'")" = 0 ] ||
    fail "the next step was recorded after the lease was lost"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = $id AND seq IS NOT NULL")" = 0 ] ||
    fail "the killed step was recorded as finished"
alive "${pids[1]}" || fail "the worker died with its run"
kill -TERM "${pids[1]}"
wait "${pids[1]}" 2>/dev/null

# 2. A finished run is noticed at once.
cat > one.fz <<'EOF'
One { # One
n1: rectangle label:"Only"
}
EOF
printf 'version: 1\nrules:\n  - match: .\n    noop:\n' > one.yaml
fz_psql -c "TRUNCATE runs, steps, signals, queue RESTART IDENTITY CASCADE"
for i in $(seq 1 20); do
    "$FLOWZAP" submit one.fz --bindings one.yaml >/dev/null 2>>submit.log || fail "submit $i failed"
done
t0=$(date +%s.%N)
"$FLOWZAP" worker --poll 2 >wake.log 2>&1 &
pids[2]=$!
for i in $(seq 1 600); do
    [ "$(fz_psql -c "SELECT count(*) FROM runs WHERE state = 'completed'")" = 20 ] && break
    sleep 0.05
done
t1=$(date +%s.%N)
[ "$(fz_psql -c "SELECT count(*) FROM runs WHERE state = 'completed'")" = 20 ] ||
    fail "the twenty runs did not complete"
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "20 runs of one step with --poll 2: drained in $took s"
awk -v t="$took" 'BEGIN { exit !(t < 20) }' ||
    fail "20 runs took $took s with --poll 2: the worker waits for its poll, not for its runs"
kill -TERM "${pids[2]}"
wait "${pids[2]}"
rc=$?
[ "$rc" -eq 130 ] || fail "a stopped worker exited $rc, not 130"

# 3. Nothing written twice: one line per run and event.
for r in $(seq 1 20); do
    n=$(grep -c "^flowzap: worker .*: run $r (lease epoch" wake.log)
    [ "$n" = 1 ] || fail "run $r was claimed $n times in the log"
    n=$(grep -c "^flowzap: worker .*: run $r: exit status 0 (process [0-9]*)$" wake.log)
    [ "$n" = 1 ] || fail "run $r's end is in the log $n times"
done
[ "$(grep -c "^flowzap: worker .* serving " wake.log)" = 1 ] ||
    fail "the worker's first line is in its log more than once"
[ "$(grep -c "^flowzap: completed: Only" wake.log)" = 20 ] ||
    fail "not one completion line per run: $(grep -c "^flowzap: completed" wake.log)"
echo "ok"
