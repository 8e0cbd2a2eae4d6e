#!/usr/bin/env bash
# test_pg_journal.sh - the journal on PostgreSQL, on a throwaway cluster
# (pg_cluster.sh): the journal unit tests on both stores; run, runs, runs
# show, signal and resume on a postgres:// location; a password in the
# location is never printed nor recorded; hostile labels and outcomes are
# values, never SQL.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}" "${FZ_BUILD:?}"

FZ_FAIL_LINES=+1 # a failure shows whole logs
. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test journal # FZ_PG_USER exported: the unit tests restart the server

# 1. The journal unit tests, on SQLite and on PostgreSQL.
"$FZ_BUILD/tests/test_journal" >unit.log 2>&1 || fail "test_journal failed"
[ "$(grep -c "PASSED" unit.log)" = 2 ] && ! grep -q "skipped" unit.log || fail "the PostgreSQL cases did not run"

# 2. The commands on a postgres:// location with a password in it.
pw="$FZ_PG_PASSWORD"
db="postgres://flowzap:$pw@127.0.0.1:$FZ_PG_PORT/flowzap"
export FLOWZAP_DB="$db"

cat > gate.fz <<'EOF'
Release { # Release
n1: circle label:"Start"
n2: rectangle label:"'); DROP TABLE runs;--"
n3: diamond label:"Promote?"
n4: rectangle label:"Slow"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left) [label="Yes"]
n4.handle(right) -> n5.handle(left)
}
EOF
cat > gate.yaml <<'EOF'
version: 1
rules:
  - shape: circle
    noop:
  - match: DROP TABLE
    exec: [sh, -c, "echo \"x'); DROP TABLE steps;--\"; echo \"::outcome \\\"); DELETE FROM runs;--\""]
  - match: ^Promote\?$
    approval: promote?
  - match: ^Slow$
    exec: [sh, -c, "echo $FZ_IDEMPOTENCY_KEY >> keys; echo $FZ_ATTEMPT >> attempts; while [ ! -e go ]; do sleep 0.1; done"]
EOF

"$FLOWZAP" run gate.fz --bindings gate.yaml >run1.log 2>&1 &
runpid=$!
pids+=($runpid)
for i in $(seq 1 300); do
    grep -q "waiting for approval" run1.log 2>/dev/null && break
    sleep 0.1
done
grep -q "waiting for approval" run1.log || fail "the run did not reach its gate"
"$FLOWZAP" signal 1 n3 yes >signal.log 2>&1 || fail "signal on PostgreSQL failed"
for i in $(seq 1 300); do
    [ -s attempts ] && break
    sleep 0.1
done
[ -s attempts ] || fail "the step after the gate did not start"
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
unset 'pids[-1]'

"$FLOWZAP" runs >runs.log 2>&1 || fail "runs on PostgreSQL failed"
grep -q "interrupted (owner gone)" runs.log ||
    fail "the killed run is not listed as interrupted (owner gone): $(cat runs.log)"
touch go
"$FLOWZAP" resume 1 >resume.log 2>&1 || fail "resume on PostgreSQL failed"
grep -q "completed" resume.log || fail "the resumed run did not complete"
[ "$(cat attempts | tr '\n' ' ')" = "1 2 " ] || fail "the step in flight ran with attempts $(cat attempts)"
[ "$(cat keys | tr '\n' ' ')" = "flowzap-1-3 flowzap-1-3 " ] ||
    fail "both attempts did not see the same FZ_IDEMPOTENCY_KEY: $(cat keys)"
"$FLOWZAP" runs show 1 >show.log 2>&1 || fail "runs show on PostgreSQL failed"
grep -q "DROP TABLE runs;--" show.log || fail "the hostile label is not shown as text"
grep -q 'DELETE FROM runs;--' show.log || fail "the hostile outcome is not shown as text"
"$FLOWZAP" runs show 1 --json >show.json 2>&1 || fail "runs show --json failed"
[ "$(fz_psql -c "SELECT count(*) FROM runs")" = 1 ] || fail "the runs table lost its row"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = 1")" = 5 ] || fail "steps are missing"
fz_psql -c "SELECT label FROM steps WHERE task = 1" | grep -qx "'); DROP TABLE runs;--" ||
    fail "the label was not stored as given"

# The password: not in any output, not in the database.
for f in run1.log signal.log runs.log resume.log show.log show.json; do
    grep -qF -- "$pw" "$f" && fail "$f shows the password"
done
grep -qF "flowzap:***@127.0.0.1" run1.log || fail "the location is not shown masked"
[ "$(fz_psql -c "SELECT count(*) FROM runs WHERE args LIKE '%$pw%' OR cwd LIKE '%$pw%'")" = 0 ] ||
    fail "the password was recorded"

# A wrong password, a hostile location: a clear message, no password, exit 74.
bad="postgres://flowzap:s3cr%27et';DROP@127.0.0.1:$FZ_PG_PORT/flowzap"
"$FLOWZAP" runs --db "$bad" >bad.log 2>&1
[ $? -eq 74 ] || fail "a wrong password did not exit 74"
grep -q "password authentication failed" bad.log || fail "no clear message: $(cat bad.log)"
grep -qF "s3cr" bad.log && fail "the wrong password was printed"
"$FLOWZAP" runs --db "postgresql://flowzap@127.0.0.1:$FZ_PG_PORT/flowzap?password=Qz9%27x&sslmode=disable" >param.log 2>&1
[ $? -eq 74 ] || fail "a wrong password parameter did not exit 74"
grep -qF "Qz9" param.log && fail "the password parameter was printed: $(cat param.log)"
grep -qF "?password=***&sslmode=disable" param.log || fail "the parameter is not masked: $(cat param.log)"
kw="host=127.0.0.1 port=$FZ_PG_PORT dbname=flowzap user=flowzap password='x y\\'z'"
"$FLOWZAP" runs --db "$kw" >kw.log 2>&1
[ $? -eq 74 ] || fail "a bad keyword password did not exit 74"
grep -qF "password=***" kw.log || fail "the keyword location is not masked: $(cat kw.log)"
grep -qF "x y" kw.log && fail "the keyword password was printed"

# PGPASSWORD and a keyword string work as libpq has them.
PGPASSWORD="$pw" "$FLOWZAP" runs --db "host=127.0.0.1 port=$FZ_PG_PORT dbname=flowzap user=flowzap" \
    >kw2.log 2>&1 || fail "PGPASSWORD with a keyword location failed: $(cat kw2.log)"
grep -q "completed" kw2.log || fail "the keyword location lists no run"

# A missing server: exit 74 with the location, not a hang.
timeout 30 "$FLOWZAP" runs --db "postgresql://flowzap@127.0.0.1:1/flowzap" >down.log 2>&1
[ $? -eq 74 ] || fail "a server that is down did not exit 74"
grep -q "cannot open journal 'postgresql://flowzap@127.0.0.1:1/flowzap'" down.log ||
    fail "no clear message for a server that is down: $(cat down.log)"

# The schema version is recorded; a newer one is refused.
[ "$(fz_psql -c "SELECT value FROM meta WHERE key = 'schema'")" = 4 ] || fail "no schema version"
# A schema 3 database (before the step queue) is upgraded in place.
fz_psql -c "DROP TABLE step_queue; UPDATE meta SET value = '3' WHERE key = 'schema'"
"$FLOWZAP" runs >up.log 2>&1 || fail "a schema 3 journal was not upgraded: $(cat up.log)"
[ "$(fz_psql -c "SELECT value FROM meta WHERE key = 'schema'")" = 4 ] || fail "schema 3 not upgraded to 4"
fz_psql -c "SELECT count(*) FROM step_queue" >/dev/null || fail "the upgrade made no step queue"
fz_psql -c "UPDATE meta SET value = '99' WHERE key = 'schema'"
"$FLOWZAP" runs >v.log 2>&1
[ $? -eq 74 ] || fail "a journal of another schema was used"
grep -q "schema 99" v.log || fail "no message for another schema: $(cat v.log)"
echo "ok"
