#!/usr/bin/env bash
# test_pg_workers.sh - submit and worker on a throwaway PostgreSQL cluster
# (pg_cluster.sh), with faults:
#  1. three workers, twelve runs of a workflow with sleep steps; a worker is
#     killed with SIGKILL mid-step, repeatedly (and replaced): every run
#     completes; every step started once finished once; only steps in
#     flight at a kill ran again, with FZ_ATTEMPT raised and the same
#     FZ_IDEMPOTENCY_KEY;
#  2. PostgreSQL restarted in the middle of a run: the worker and its run
#     reconnect, the run completes, every step ran once; the database gone
#     for longer than the lease: the worker stops its run in time, and the
#     run completes once the database is back;
#  3. submit --wait; submit and worker refuse a SQLite journal;
#  4. a run its process refuses is failed at the fifth claim;
#  5. two workers whose --lane sets split a workflow's lanes: each step ran
#     on a worker of its lane.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test workers

cat > flow.fz <<'EOF'
Pipeline { # Pipeline
n1: circle label:"Start"
n2: rectangle label:"Build"
n3: rectangle label:"Test"
n4: rectangle label:"Deploy"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
}
EOF
# Each step logs its start and its finish, with what identifies it.
cat > step.sh <<EOF
#!/bin/sh
echo "\$FZ_RUN_ID \$FZ_TASK \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY" >> "$work/starts"
sleep 0.4
echo "\$FZ_RUN_ID \$FZ_TASK \$FZ_ATTEMPT \$FZ_IDEMPOTENCY_KEY" >> "$work/finishes"
EOF
chmod +x step.sh
cat > flow.yaml <<EOF
version: 1
rules:
  - shape: circle
    noop:
  - match: ^(Build|Test|Deploy)\$
    exec: [$work/step.sh]
EOF

# Refusals first: SQLite is no queue.
"$FLOWZAP" submit flow.fz --bindings flow.yaml --db "$work/runs.db" >sq.log 2>&1
[ $? -eq 64 ] || fail "submit on a SQLite journal did not exit 64"
grep -q "needs a PostgreSQL journal" sq.log || fail "no clear message: $(cat sq.log)"
"$FLOWZAP" worker --db "$work/runs.db" >sq2.log 2>&1
[ $? -eq 64 ] || fail "worker on a SQLite journal did not exit 64"

# 1. Three workers, twelve runs, SIGKILL mid-step.
runs=12
for i in $(seq 1 $runs); do
    "$FLOWZAP" submit flow.fz --bindings flow.yaml >>ids 2>>submit.log || fail "submit failed"
done
[ "$(wc -l < ids)" = $runs ] || fail "submit did not print one id per run"
start_worker() {
    "$FLOWZAP" worker --lease 2 --poll 0.5 >>"worker$1.log" 2>&1 &
    pids[$1]=$!
}
for w in 1 2 3; do start_worker $w; done
kills=0
done_runs() { fz_psql -c "SELECT count(*) FROM runs WHERE state IN ('completed','failed')"; }
# The worker whose run has a step in flight: its `flowzap resume` child has
# a child of its own (the step's process).
busy_worker() {
    local w c
    for w in 1 2 3; do
        for c in $(pgrep -P "${pids[$w]}"); do
            pgrep -P "$c" >/dev/null && { echo "$w"; return; }
        done
    done
}
for round in 1 2 3 4; do
    sleep 1.5
    w=
    for _ in $(seq 1 50); do
        w=$(busy_worker)
        [ -n "$w" ] && break
        sleep 0.1
    done
    [ -n "$w" ] || w=$(( (round % 3) + 1 ))
    # Kill it while a step of it runs (its resume child has one in flight).
    kill -KILL "${pids[$w]}" 2>/dev/null && kills=$((kills + 1))
    wait "${pids[$w]}" 2>/dev/null
    start_worker $w
done
for i in $(seq 1 600); do
    [ "$(done_runs)" = $runs ] && break
    sleep 0.2
done
[ "$(done_runs)" = $runs ] || fail "not every run ended: $(fz_psql -c "SELECT id, state FROM runs")"
[ "$(fz_psql -c "SELECT count(*) FROM runs WHERE state = 'completed'")" = $runs ] ||
    fail "a run did not complete: $(fz_psql -c "SELECT id, state, outcome FROM runs")"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE seq IS NOT NULL")" = $((runs * 5)) ] ||
    fail "the journal does not hold every step finished once"

# Every (run, task) started ran with one key; a start that was the only one
# finished once; a step run again had its attempts raised 1, 2, ...
python3 - "$kills" <<'EOF' || fail "the steps' starts and finishes do not add up"
import collections, sys
kills = int(sys.argv[1])
starts = collections.defaultdict(list)
for line in open("starts"):
    run, task, attempt, key = line.split()
    starts[(run, task)].append((int(attempt), key))
fin = collections.Counter()
for line in open("finishes"):
    run, task, attempt, key = line.split()
    fin[(run, task)] += 1
assert len(starts) == 12 * 3, len(starts)
again = 0
for k, s in starts.items():
    keys = {key for _, key in s}
    assert keys == {"flowzap-%s-%s" % k}, (k, keys)
    attempts = sorted(a for a, _ in s)
    assert attempts == list(range(1, len(s) + 1)), (k, attempts)
    if len(s) == 1:
        assert fin[k] == 1, (k, "started once, finished", fin[k])
    else:
        again += 1
    assert 1 <= fin[k] <= len(s), (k, fin[k], len(s))
# Each kill leaves at most one step in flight (one run per worker).
assert again <= kills, (again, kills)
# and the kills did hit steps in flight (else this test proves nothing).
assert again >= 1, "no kill hit a step in flight"
print("steps run again:", again, "kills:", kills)
EOF

# 2. PostgreSQL restarted in the middle of a run (a worker with a lease
#    longer than the restart takes).
for w in 1 2 3; do kill -KILL "${pids[$w]}" 2>/dev/null; wait "${pids[$w]}" 2>/dev/null; done
"$FLOWZAP" worker --lease 20 --poll 0.5 >>worker4.log 2>&1 &
pids[4]=$!
: > starts
: > finishes
id=$("$FLOWZAP" submit flow.fz --bindings flow.yaml 2>>submit.log)
for i in $(seq 1 100); do
    [ -s starts ] && break
    sleep 0.1
done
[ -s starts ] || fail "the run after the restart test's submit did not start"
fz_pg_restart || fail "PostgreSQL did not restart"
for i in $(seq 1 600); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id" 2>/dev/null)" = completed ] && break
    sleep 0.2
done
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = completed ] ||
    fail "the run did not complete across a restart: $(fz_psql -c "SELECT state, outcome FROM runs WHERE id = $id")"
[ "$(wc -l < starts)" = 3 ] && [ "$(wc -l < finishes)" = 3 ] ||
    fail "a step ran twice across the restart: $(cat starts)"

# 2b. The database gone for longer than the lease: the worker stops its run
#     before the lease runs out (its log says so); once the database is
#     back the run is claimed again and completes.
kill -KILL "${pids[4]}" 2>/dev/null; wait "${pids[4]}" 2>/dev/null
"$FLOWZAP" worker --lease 1.5 --poll 0.2 >>worker5.log 2>&1 &
pids[5]=$!
: > starts
id=$("$FLOWZAP" submit flow.fz --bindings flow.yaml 2>>submit.log)
for i in $(seq 1 100); do
    [ -s starts ] && break
    sleep 0.1
done
fz_pg_down
sleep 3
grep -q "stopping run $id" worker5.log || fail "the worker did not stop its run when it could not renew"
fz_pg_server_start || fail "PostgreSQL did not start again"
for i in $(seq 1 600); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id" 2>/dev/null)" = completed ] && break
    sleep 0.2
done
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = completed ] ||
    fail "the run did not complete after the database came back"

# 3. submit --wait prints the outcome and exits as run does.
"$FLOWZAP" submit flow.fz --bindings flow.yaml --wait >wait.out 2>wait.log ||
    fail "submit --wait did not exit 0"
grep -q "completed: End" wait.log || fail "submit --wait did not print the outcome"
# 5. Lanes as placement: two workers whose --lane sets split the
#    workflow's lanes; every step ran on a worker of its lane, every run
#    completed.
for w in 1 2 3 4 5; do kill -KILL "${pids[$w]}" 2>/dev/null; wait "${pids[$w]}" 2>/dev/null; done
cat > lanes.fz <<'EOF'
Build { # Build
n1: circle label:"Start"
n2: rectangle label:"Compile"
n4: rectangle label:"Announce"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(bottom) -> Deploy.n3.handle(top)
n4.handle(right) -> n5.handle(left)
}
Deploy { # Deploy
n3: rectangle label:"Ship"
n3.handle(top) -> Build.n4.handle(bottom)
}
EOF
cat > lanes.yaml <<EOF
version: 1
rules:
  - match: .
    exec: [sh, -c, 'echo "\$FZ_RUN_ID \$FZ_NODE \$WHO" >> $work/placed']
EOF
: > placed
for i in 1 2 3 4; do "$FLOWZAP" submit lanes.fz --bindings lanes.yaml >>lane_ids 2>>submit.log; done
WHO=Build "$FLOWZAP" worker --lane Build --poll 0.2 --exit-idle 4 >lanes_b.log 2>&1 &
pids[6]=$!
WHO=Deploy "$FLOWZAP" worker --lane Deploy --poll 0.2 --exit-idle 4 >lanes_d.log 2>&1 &
pids[7]=$!
wait "${pids[6]}" "${pids[7]}"
for id in $(cat lane_ids); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = completed ] ||
        fail "run $id of the split lanes did not complete"
done
[ "$(wc -l < placed)" = 20 ] || fail "not every step of the split lanes ran once: $(cat placed)"
awk '{ want = ($2 == "n3") ? "Deploy" : "Build"; if ($3 != want) { print; bad = 1 } } END { exit bad }' \
    placed || fail "a step ran on a worker of another lane"
# A run's owner queues the steps of the lane it does not serve for a
# worker of that lane (docs/scale.md, "Lanes as placement").
grep -Eq "step [0-9]+ of run [0-9]+ .*in process" lanes_b.log lanes_d.log ||
    fail "no step was run by a worker of its lane for another run's owner"
grep -q "handed over" lanes_b.log lanes_d.log && fail "a run was handed over on PostgreSQL"
"$FLOWZAP" worker --lane 'x;DROP' >badlane.log 2>&1
[ $? -eq 64 ] || fail "a hostile --lane was not refused"

# 4. A run its process refuses (the workflow changed since submit) is tried
#    again after its lease runs out, then failed at the fifth claim.
cp flow.fz changed.fz
id=$("$FLOWZAP" submit changed.fz --bindings flow.yaml 2>>submit.log)
echo "# edited" >> changed.fz
"$FLOWZAP" worker --lease 0.3 --poll 0.1 --exit-idle 3 >refused.log 2>&1
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = failed ] ||
    fail "a refused run did not end failed"
[ "$(fz_psql -c "SELECT epoch FROM queue WHERE run = $id")" = 5 ] ||
    fail "a refused run was not claimed five times"
grep -q "changed since the run began" refused.log || fail "the worker log does not say why"
echo "ok"
