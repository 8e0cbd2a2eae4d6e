#!/usr/bin/env bash
# test_pg_worker_trips.sh - what a worker's run costs the database
# (docs/scale.md "How a worker runs a run"), on a throwaway PostgreSQL
# cluster (pg_cluster.sh):
#  1. a worker's slots have their run processes, each with its connection
#     open, before any run is submitted (the worker names them in its log),
#     and the first run is served by one of them;
#  2. twenty runs of a chain of ten no-op steps drained by one worker of
#     --concurrency 2 cost at most STEPS + 9 transactions each (the
#     server's own count, pg_stat_database): one per step (its finish and
#     the next start), the claim, the run's first state with its first
#     start, a few reads, and the worker's own start and idle polls shared
#     among the runs, and since the step queue a look for steps of other
#     lanes at each turn of the worker (about 17 in all; 22 before the
#     claims were merged and the step queue came);
#  3. a run process keeps the files' digests while they are unchanged: a
#     workflow edited at the same size after its process hashed it is
#     seen changed by that process's next run (refused, exit 5).
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_cluster.sh"
work=$(mktemp -d /tmp/fz-pg-trips.XXXXXX)
chmod 755 "$work"
wpid=
cleanup() {
    [ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
    fz_pg_stop
}
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
    exit 1
}
fz_pg_start || fail "could not start a PostgreSQL cluster"
trap cleanup EXIT
cd "$work" || exit 1
export FLOWZAP_DB="$FZ_TEST_PG_URI"
steps=10
runs=20
{
    echo "Chain { # Chain"
    for i in $(seq 1 $steps); do echo "n$i: rectangle label:\"Step $i\""; done
    for i in $(seq 2 $steps); do echo "n$((i - 1)).handle(right) -> n$i.handle(left)"; done
    echo "}"
} >chain.fz
printf 'version: 1\nrules:\n  - match: .\n    noop:\n' >noop.yaml
# The tables exist before the worker starts (its connections then skip the DDL).
"$FLOWZAP" runs >/dev/null 2>&1 || fail "flowzap runs failed on an empty database"
backends() {
    fz_psql -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'flowzap'
                AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
}

# 1. The slots' processes and connections come before the first run.
"$FLOWZAP" worker --concurrency 2 --poll 0.2 >w1.log 2>&1 &
wpid=$!
for i in $(seq 1 100); do
    [ "$(grep -c ' ready in process ' w1.log)" -ge 2 ] && break
    sleep 0.1
done
ready=$(sed -n 's/^flowzap: worker .*: slot [0-9]* ready in process \([0-9]*\)$/\1/p' w1.log)
[ "$(echo "$ready" | grep -c .)" = 2 ] || fail "the worker did not name two ready run processes"
for p in $ready; do
    kill -0 "$p" 2>/dev/null || fail "ready run process $p is not alive"
    [ "$(ps -o ppid= -p "$p" | tr -d ' ')" = "$wpid" ] || fail "process $p is not the worker's child"
done
# The worker's connection and one per run process (each opens its own at
# once), before any run.
for i in $(seq 1 100); do
    [ "$(backends)" -ge 3 ] && break
    sleep 0.1
done
[ "$(backends)" -ge 3 ] || fail "before any run, $(backends) connections (want the worker's and two)"
[ "$(fz_psql -c 'SELECT count(*) FROM runs')" = 0 ] || fail "runs exist before the first submit"
id=$("$FLOWZAP" submit chain.fz --bindings noop.yaml 2>>submit.log) || fail "submit failed"
for i in $(seq 1 100); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = completed ] && break
    sleep 0.1
done
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $id")" = completed ] || fail "run $id did not complete"
by=$(sed -n "s/^flowzap: worker .*: run $id (lease epoch [0-9]*) in process \([0-9]*\)$/\1/p" w1.log)
echo "$ready" | grep -qx "$by" || fail "run $id was served by process '$by', not a ready one ($(echo $ready))"
kill -TERM "$wpid"
wait "$wpid"
wpid=

# 2. Transactions per run, counted by the server: the submissions first,
# then the drain alone (a backend's counts reach pg_stat_database when it
# exits, at the latest).
for i in $(seq 1 $runs); do
    "$FLOWZAP" submit chain.fz --bindings noop.yaml >/dev/null 2>>submit.log || fail "submit $i failed"
done
xacts() { fz_psql -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'flowzap'"; }
# A look is two transactions of its own (psql's connection start, its
# query). settle waits until the count stops moving (every backend
# flushed) and prints it and what its looks added.
settle() {
    local a b n=1
    a=$(xacts)
    for i in $(seq 1 30); do
        sleep 0.5
        b=$(xacts)
        n=$((n + 1))
        [ "$((b - a))" -le 2 ] && break
        a=$b
    done
    echo "$b $((2 * n))"
}
read -r t0 _ <<<"$(settle)"
# A long lease: no renewal in the count, however slow the build.
"$FLOWZAP" worker --concurrency 2 --poll 0.2 --exit-idle 0.5 --lease 120 >w2.log 2>&1 ||
    fail "the worker failed"
read -r t1 looks <<<"$(settle)"
done_runs=$(fz_psql -c "SELECT count(*) FROM runs WHERE state = 'completed'")
[ "$done_runs" = $((runs + 1)) ] || fail "$done_runs runs completed, not $((runs + 1))"
per=$(awk -v a="$t0" -v b="$t1" -v l="$looks" -v n="$runs" 'BEGIN { printf "%.1f", (b - a - l) / n }')
echo "transactions per run of $steps steps: $per (bound $((steps + 9)))"
awk -v p="$per" -v m="$((steps + 9))" 'BEGIN { exit !(p <= m) }' ||
    fail "a run of $steps steps cost $per transactions, more than $((steps + 9))"
# No queue row stays behind a finished run.
[ "$(fz_psql -c "SELECT count(*) FROM queue WHERE run > $id")" = 0 ] ||
    fail "queue rows left: $(fz_psql -c 'SELECT * FROM queue')"

# 3. The same run process, a file edited under it at the same size.
fz_psql -c "TRUNCATE runs, steps, signals, queue RESTART IDENTITY CASCADE"
sleep 2.5 # the files' last change 2 s old: their digests are kept
"$FLOWZAP" worker --concurrency 1 --poll 0.2 --lease 3 >w3.log 2>&1 &
wpid=$!
a=$("$FLOWZAP" submit chain.fz --bindings noop.yaml 2>>submit.log) || fail "submit failed"
for i in $(seq 1 100); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $a")" = completed ] && break
    sleep 0.1
done
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $a")" = completed ] || fail "run $a did not complete"
kill -STOP "$wpid"
b=$("$FLOWZAP" submit chain.fz --bindings noop.yaml 2>>submit.log) || { kill -CONT "$wpid"; fail "submit failed"; }
sed -i 's/"Step 1"/"Step Z"/' chain.fz
kill -CONT "$wpid"
for i in $(seq 1 100); do
    grep -q "run $b: exit status 5" w3.log && break
    sleep 0.1
done
grep -q "cannot resume run $b: workflow file .* changed since the run began" w3.log ||
    fail "the edit of chain.fz was not seen by run $b"
pa=$(sed -n "s/^flowzap: worker .*: run $a (lease epoch [0-9]*) in process \([0-9]*\)$/\1/p" w3.log)
pb=$(sed -n "s/^flowzap: worker .*: run $b (lease epoch [0-9]*) in process \([0-9]*\)$/\1/p" w3.log)
[ -n "$pa" ] && [ "$pa" = "$pb" ] || fail "runs $a and $b were served by processes '$pa' and '$pb', not one"
kill -TERM "$wpid"
wait "$wpid"
wpid=
echo "ok"
