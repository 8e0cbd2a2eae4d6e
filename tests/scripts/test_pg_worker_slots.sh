#!/usr/bin/env bash
# test_pg_worker_slots.sh - a worker's run processes serve run after run
# (docs/scale.md "How a worker runs a run"), on a throwaway PostgreSQL
# cluster (pg_cluster.sh):
#  1. one worker with --concurrency 2 drains 30 runs with the same two
#     processes (named in its log and recorded as the runs' owners), whose
#     open descriptors stay as many from the 4th run to the 30th, and no
#     step's process is left behind (no zombie);
#  2. a run whose lease is lost mid-step is killed whole (its process,
#     the step and what the step started), and its slot's next run is
#     served by a fresh process; the killed one serves nothing more;
#  3. a stopped worker's run processes end with it.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test slots
completed() { fz_psql -c "SELECT count(*) FROM runs WHERE state = 'completed'"; }
wait_completed() { # N: waits up to 60 s for N completed runs
    for i in $(seq 1 600); do
        [ "$(completed)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
served_by() { sed -n "s/^flowzap: worker .*: run $1 (lease epoch [0-9]*) in process \([0-9]*\)$/\1/p" w.log; }
fds() { ls "/proc/$1/fd" | wc -l; }

# 1. Thirty runs, two processes. Each run starts a real step (exec).
cat > two.fz <<'EOF'
Two { # Two
n1: rectangle label:"First"
n2: rectangle label:"Second"
n1.handle(right) -> n2.handle(left)
}
EOF
printf 'version: 1\nrules:\n  - match: .\n    exec: [true]\n' > two.yaml
for i in 1 2 3 4; do
    "$FLOWZAP" submit two.fz --bindings two.yaml >/dev/null 2>>submit.log || fail "submit $i failed"
done
"$FLOWZAP" worker --concurrency 2 --poll 0.2 --lease 3 >w.log 2>&1 &
wpid=$!
pids+=($wpid)
wait_completed 4 || fail "the first four runs did not complete"
sleep 0.3
procs=$(for r in 1 2 3 4; do served_by "$r"; done | sort -u)
[ "$(echo "$procs" | wc -l)" = 2 ] || fail "four runs at concurrency 2 used processes: $procs"
declare -A fd0
for p in $procs; do
    alive "$p" || fail "run process $p did not stay to serve the next run"
    fd0[$p]=$(fds "$p")
done
for i in $(seq 5 30); do
    "$FLOWZAP" submit two.fz --bindings two.yaml >/dev/null 2>>submit.log || fail "submit $i failed"
done
wait_completed 30 || fail "the thirty runs did not complete"
sleep 0.3
all=$(for r in $(seq 1 30); do served_by "$r"; done | sort -u)
[ "$all" = "$procs" ] || fail "30 runs were served by processes $(echo $all), not only $(echo $procs)"
owners=$(fz_psql -c "SELECT DISTINCT pid FROM runs ORDER BY pid" | sort -u)
[ "$owners" = "$procs" ] || fail "the journal records owners $(echo $owners), not $(echo $procs)"
for p in $procs; do
    n=$(fds "$p")
    [ "$n" = "${fd0[$p]}" ] ||
        fail "run process $p holds $n descriptors after 30 runs, ${fd0[$p]} after 4: $(ls -l /proc/$p/fd)"
    z=$(ps -o pid= --ppid "$p" | wc -l)
    [ "$z" = 0 ] || fail "run process $p keeps $z children between runs: $(ps -o pid,stat,args --ppid "$p")"
done
[ "$(grep -c ': exit status 0 (process ' w.log)" = 30 ] || fail "not one exit status line per run"
echo "30 runs at --concurrency 2 by processes $(echo $procs); descriptors: $(for p in $procs; do echo -n "${fd0[$p]} "; done)"

# 2. A lease lost mid-step: the run dies whole, a fresh process serves next.
fz_long_step
id=$("$FLOWZAP" submit long.fz --bindings long.yaml 2>>submit.log) || fail "submit long failed"
fz_wait_until 100 test -s grand.pid || fail "the long step did not start"
victim=$(served_by "$id")
echo "$procs" | grep -qx "$victim" || fail "run $id was not served by one of the two processes"
fz_psql -c "UPDATE queue SET epoch = epoch + 1, worker = 'another/1',
            lease_until = clock_timestamp() + interval '1 hour' WHERE run = $id" ||
    fail "could not take the lease away"
for i in $(seq 1 60); do
    ! alive "$victim" && ! alive "$(cat step.pid)" && ! alive "$(cat grand.pid)" && break
    sleep 0.1
done
grep -q "another worker took the run: stopping run $id" w.log ||
    fail "the worker did not stop the run whose lease it lost"
! alive "$victim" || fail "the run's process outlived its lease"
! alive "$(cat step.pid)" || fail "the step's process outlived the run's lease"
! alive "$(cat grand.pid)" || fail "what the step started outlived the run's lease"
[ ! -e after ] || fail "the next step ran after the lease was lost"
# Two runs at once, a second each: both slots busy, one of them the
# killed process's slot, which gets a fresh process.
printf 'version: 1\nrules:\n  - match: .\n    exec: [sleep, "0.5"]\n' > slow.yaml
a=$("$FLOWZAP" submit two.fz --bindings slow.yaml 2>>submit.log) || fail "submit failed"
b=$("$FLOWZAP" submit two.fz --bindings slow.yaml 2>>submit.log) || fail "submit failed"
wait_completed 32 || fail "the two runs after the kill did not complete"
pa=$(served_by "$a") pb=$(served_by "$b")
[ "$pa" != "$victim" ] && [ "$pb" != "$victim" ] || fail "the killed process served another run"
fresh=$(printf '%s\n%s\n' "$pa" "$pb" | grep -vxF "$procs")
[ -n "$fresh" ] && alive "$fresh" ||
    fail "no fresh process served the slot of the killed one (runs by $pa and $pb)"
echo "lease lost: process $victim killed whole; its slot served next by process $fresh"

# 3. Stopped, the worker takes its run processes with it.
kill -TERM "$wpid"
wait "$wpid"
rc=$?
unset 'pids[-1]'
[ "$rc" -eq 130 ] || fail "a stopped worker exited $rc, not 130"
sleep 0.2
for p in $(grep -o 'in process [0-9]*' w.log | awk '{print $3}' | sort -u); do
    ! alive "$p" || fail "run process $p outlived its worker"
done
echo "ok"
