#!/usr/bin/env bash
# test_pg_gate.sh - an approval gate on a PostgreSQL journal is woken by
# `flowzap signal` (its NOTIFY), not by its next poll, on a throwaway
# cluster (pg_cluster.sh); the poll stays for a hint that is lost:
#  1. FLOWZAP_APPROVAL_POLL_MS is checked (exit 64, the value escaped);
#  2. a submitted run nobody claimed yet is `queued` in `runs`, `runs show`,
#     `runs --json` and serve's pages;
#  3. with a 10 s poll, `flowzap run --db postgres://...`: the gate passes
#     within 2 s of `flowzap signal`; NOTIFYs of another run, of hostile
#     payloads (not a number, 7999 digits, the id with a space) and of its
#     own id with no answer recorded do not pass it, nor busy the process;
#  4. the same for a run a `flowzap worker` executes;
#  5. a lost hint: the run's connection is cut (pg_terminate_backend) and
#     the answer given while nobody listens still gets through by the poll,
#     without a busy loop on the dead socket; cut again while the next
#     gate waits, the gate's poll reconnects and LISTENs again: an answer
#     given after that is woken at once;
#  6. on SQLite the gate passes at its poll (FLOWZAP_APPROVAL_POLL_MS);
#  7. serve on an unreachable PostgreSQL location masks its password;
#  8. serve's run page says where a step of another lane stands: waiting
#     for a worker of its lane, then running on worker HOST/PID (that
#     name HTML-escaped), as `runs show` does; its run's owner killed, the
#     step is still painted running, and `flowzap resume` counts it as
#     waited for, not among the steps it runs again.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"

. "$FZ_SRC/tests/scripts/pg_test.sh"
fz_pg_test gate
export FLOWZAP_APPROVAL_POLL_MS=10000

now_ms() { date +%s%3N; }

cat > gate.fz <<'EOF'
Release { # Release
n1: circle label:"Start"
n2: diamond label:"Promote?"
n3: rectangle label:"Between"
n4: diamond label:"Really?"
n5: rectangle label:"After"
n6: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left) [label="Yes"]
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left) [label="Yes"]
n5.handle(right) -> n6.handle(left)
}
EOF
# Each step past a gate writes when it ran, into a file named after the run.
cat > gate.yaml <<EOF
version: 1
rules:
  - shape: circle
    noop:
  - match: \\?\$
    approval: go on?
  - match: ^Between\$
    exec: [sh, -c, "date +%s%3N > $work/between.\$FZ_RUN_ID"]
  - match: ^After\$
    exec: [sh, -c, "date +%s%3N > $work/after.\$FZ_RUN_ID"]
EOF

# Waits until the run's gate node is started and not finished.
gate_waits() { # RUN NODE
    local i
    for i in $(seq 1 300); do
        [ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = $1 AND node = '$2' AND seq IS NULL")" = 1 ] &&
            return 0
        sleep 0.1
    done
    return 1
}
# Waits up to $3 s for FILE; prints the milliseconds from T0 to its time.
passed_after() { # FILE T0 SECONDS
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ -s "$1" ] && { echo $(($(cat "$1") - $2)); return 0; }
        sleep 0.1
    done
    echo never
    return 1
}
# CPU ticks (user + system) a process used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# 1. The poll interval is checked.
FLOWZAP_APPROVAL_POLL_MS=$'5\e[2J' "$FLOWZAP" run gate.fz --bindings gate.yaml >env.log 2>&1
[ $? -eq 64 ] || fail "a bad FLOWZAP_APPROVAL_POLL_MS did not exit 64"
grep -q "FLOWZAP_APPROVAL_POLL_MS is a number of milliseconds" env.log || fail "no clear message"
! grep -q $'\e' env.log || fail "the bad value reached the terminal unescaped"
for bad in 0 -5 3600001 99999999999999999999999 1.5 10s; do
    FLOWZAP_APPROVAL_POLL_MS="$bad" "$FLOWZAP" worker --exit-idle 1 >env2.log 2>&1
    [ $? -eq 64 ] || fail "worker took FLOWZAP_APPROVAL_POLL_MS='$bad'"
done
[ "$(fz_psql -c "SELECT to_regclass('runs') IS NULL")" = t ] || fail "a refused command opened the journal"

# 2. Queued: submitted, no worker yet.
q=$("$FLOWZAP" submit gate.fz --bindings gate.yaml 2>submit.log) || fail "submit failed"
"$FLOWZAP" runs >runs.log 2>&1 || fail "runs failed"
grep -Eq "^$q +queued " runs.log || fail "runs does not list run $q as queued: $(cat runs.log)"
"$FLOWZAP" runs show "$q" >show.log 2>&1 || fail "runs show failed"
head -1 show.log | grep -qx "run $q: queued" || fail "runs show: $(head -3 show.log)"
grep -q "waiting for a worker" show.log || fail "runs show does not say it waits for a worker"
"$FLOWZAP" runs --json >runs.json 2>&1 || fail "runs --json failed"
python3 -c "import json,sys; r=[json.loads(l) for l in open('runs.json')]; sys.exit([x['state'] for x in r if x['id']==$q]!=['queued'])" ||
    fail "runs --json: $(cat runs.json)"
"$FLOWZAP" serve --listen 127.0.0.1:0 >serve.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "open http" serve.log && break; sleep 0.1; done
url=$(sed -n 's/^flowzap serve: open //p' serve.log)
[ -n "$url" ] || fail "serve did not start"
curl -s -c jar -b jar -L "$url" >page.html || fail "serve's runs page"
grep -q "<td class=\"state\">queued</td>" page.html || fail "serve's runs page does not say queued"
grep -q "<option value=\"queued\"" page.html || fail "serve's state filter has no queued"
base=${url%%/\?*}
curl -s -c jar -b jar "$base/run/$q" >run.html || fail "serve's run page"
grep -q 'id="run-state">queued<' run.html || fail "serve's run page does not say queued"
kill "${pids[-1]}" 2>/dev/null
wait "${pids[-1]}" 2>/dev/null
unset 'pids[-1]'
# Its stored state is still interrupted (a worker's claim is unchanged).
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $q")" = interrupted ] || fail "stored state changed"

# 3. `flowzap run`: woken by the signal, not by another run's or a
# hostile NOTIFY.
"$FLOWZAP" run gate.fz --bindings gate.yaml >run.log 2>&1 &
runpid=$!
pids+=($runpid)
for _ in $(seq 1 100); do grep -q "recorded in" run.log && break; sleep 0.1; done
r=$(sed -n 's/^flowzap: run \([0-9]*\) recorded in.*/\1/p' run.log | head -1)
[ -n "$r" ] || fail "no run id in: $(cat run.log)"
gate_waits "$r" n2 || fail "run $r did not reach its gate"
sleep 0.5
t0=$(ticks $runpid)
long=$(python3 -c "print('9' * 7999)")
fz_psql -c "SELECT pg_notify('flowzap_signal', '$q')" >/dev/null
fz_psql -c "SELECT pg_notify('flowzap_signal', 'abc; DROP TABLE runs')" >/dev/null
fz_psql -c "SELECT pg_notify('flowzap_signal', '$long')" >/dev/null
fz_psql -c "SELECT pg_notify('flowzap_signal', '$r ')" >/dev/null
fz_psql -c "SELECT pg_notify('flowzap_signal', '-$r')" >/dev/null
fz_psql -c "SELECT pg_notify('flowzap_work', '$r')" >/dev/null
# Its own id with no answer recorded: it looks, finds none, waits on.
fz_psql -c "SELECT pg_notify('flowzap_signal', '$r')" >/dev/null
sleep 1.5
kill -0 $runpid 2>/dev/null || fail "the run died of a NOTIFY: $(cat run.log)"
[ ! -e "between.$r" ] || fail "the gate passed with no answer"
[ "$(fz_psql -c "SELECT count(*) FROM steps WHERE run = $r AND node = 'n2' AND seq IS NULL")" = 1 ] ||
    fail "the gate ended with no answer"
used=$(($(ticks $runpid) - t0))
[ "$used" -lt 50 ] || fail "the waiting run used $used CPU ticks in 1.5 s"
# Another run's answer does not pass it either.
"$FLOWZAP" signal "$q" n2 yes >sigq.log 2>&1 || fail "signal to the queued run failed"
sleep 0.5
[ ! -e "between.$r" ] || fail "another run's answer passed the gate"
t=$(now_ms)
"$FLOWZAP" signal "$r" n2 yes >sig1.log 2>&1 || fail "signal failed: $(cat sig1.log)"
ms=$(passed_after "between.$r" "$t" 9) || fail "the gate did not pass within 9 s of the signal"
[ "$ms" -lt 5000 ] || fail "the gate passed $ms ms after the signal (poll 10 s): not woken"
echo "run: gate passed $ms ms after the signal (poll 10000 ms)"
gate_waits "$r" n4 || fail "run $r did not reach its second gate"
t=$(now_ms)
"$FLOWZAP" signal "$r" n4 yes >sig2.log 2>&1 || fail "second signal failed"
ms=$(passed_after "after.$r" "$t" 9) || fail "the second gate did not pass"
[ "$ms" -lt 5000 ] || fail "the second gate passed $ms ms after the signal"
wait $runpid || fail "the run did not complete: $(cat run.log)"
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $r")" = completed ] || fail "run $r not completed"
# The answer given to the queued run waits for it, taken by nobody.
[ "$(fz_psql -c "SELECT count(*) FROM signals WHERE run = $q AND taken_task IS NULL")" = 1 ] ||
    fail "the queued run's answer was taken"

# 4. A run a worker executes (its `flowzap resume` child waits on the gate).
"$FLOWZAP" worker --poll 0.5 >worker.log 2>&1 &
pids+=($!)
# The answer to n2 was given in part 3, before the worker took the run:
# its first look finds it.
t=$(now_ms)
ms=$(passed_after "between.$q" "$t" 9) || fail "the worker's run did not take the answer it had"
gate_waits "$q" n4 || fail "the worker's run $q did not reach its second gate"
sleep 0.5
t=$(now_ms)
"$FLOWZAP" signal "$q" n4 yes >sigw.log 2>&1 || fail "signal to the worker's run failed"
ms=$(passed_after "after.$q" "$t" 9) || fail "the worker's gate did not pass within 9 s"
[ "$ms" -lt 5000 ] || fail "the worker's gate passed $ms ms after the signal (poll 10 s)"
echo "worker: gate passed $ms ms after the signal (poll 10000 ms)"
for _ in $(seq 1 100); do
    [ "$(fz_psql -c "SELECT state FROM runs WHERE id = $q")" = completed ] && break
    sleep 0.1
done
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $q")" = completed ] || fail "the worker's run did not complete"
"$FLOWZAP" runs show "$q" | head -1 | grep -qx "run $q: completed" || fail "runs show after the run"
kill "${pids[-1]}" 2>/dev/null
wait "${pids[-1]}" 2>/dev/null
unset 'pids[-1]'

# 5. A lost hint: the answer comes while the run's connection is down.
"$FLOWZAP" run gate.fz --bindings gate.yaml >run2.log 2>&1 &
runpid=$!
pids+=($runpid)
for _ in $(seq 1 100); do grep -q "recorded in" run2.log && break; sleep 0.1; done
r=$(sed -n 's/^flowzap: run \([0-9]*\) recorded in.*/\1/p' run2.log | head -1)
[ -n "$r" ] || fail "no run id in: $(cat run2.log)"
gate_waits "$r" n2 || fail "run $r did not reach its gate"
# The gate's 10 s poll was armed after its start was recorded: the bound
# below counts from that record, not from when this script saw it (which
# may be a second or more later on a loaded machine).
armed=$(fz_psql -c "SELECT (extract(epoch FROM started_at::timestamptz) * 1000)::bigint
                    FROM steps WHERE run = $r AND node = 'n2' AND seq IS NULL")
[ -n "$armed" ] || fail "no recorded start of run $r's gate"
sleep 0.3
# Every other session goes: the run's among them (nothing else runs now).
fz_psql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
t0=$(ticks $runpid)
t=$(now_ms)
"$FLOWZAP" signal "$r" n2 yes >sig3.log 2>&1 || fail "signal failed"
sleep 2
used=$(($(ticks $runpid) - t0))
[ "$used" -lt 50 ] || fail "the run busied itself on its lost connection: $used CPU ticks in 2 s"
[ ! -e "between.$r" ] || fail "the gate passed without a poll, its hint lost (did it not lose it?)"
ms=$(passed_after "between.$r" "$t" 14) || fail "the lost hint's answer did not get through by the poll"
[ $(($(cat "between.$r") - armed)) -ge 9000 ] || fail "the gate passed before its poll, hint lost"
echo "lost hint: gate passed $ms ms after the signal, by the poll"
# Cut again while the second gate waits, with no answer yet: its next
# poll reconnects, LISTENs on the new connection and looks once more, so
# an answer given after that is woken at once, not at the poll after.
gate_waits "$r" n4 || fail "run $r did not reach its second gate"
others="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
fz_psql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
for _ in $(seq 1 50); do [ "$(fz_psql -c "$others")" = 0 ] && break; sleep 0.1; done
[ "$(fz_psql -c "$others")" = 0 ] || fail "the run's session was not terminated"
for _ in $(seq 1 150); do [ "$(fz_psql -c "$others")" != 0 ] && break; sleep 0.1; done
[ "$(fz_psql -c "$others")" != 0 ] || fail "the run did not reconnect at its poll"
sleep 0.5
t=$(now_ms)
"$FLOWZAP" signal "$r" n4 yes >sig4.log 2>&1 || fail "signal failed"
ms=$(passed_after "after.$r" "$t" 14) || fail "the second gate did not pass"
[ "$ms" -lt 5000 ] || fail "after a reconnect the gate passed $ms ms after the signal: no LISTEN"
echo "after reconnect: gate passed $ms ms after the signal"
wait $runpid || fail "the run did not complete: $(cat run2.log)"

# 6. SQLite has no notification: the poll, as set, is the path.
FLOWZAP_APPROVAL_POLL_MS=3000 "$FLOWZAP" run gate.fz --bindings gate.yaml --db "$work/runs.db" \
    >sq.log 2>&1 &
runpid=$!
pids+=($runpid)
rm -f between.1 after.1 # run 1 of the PostgreSQL journal wrote them
k=0
for g in n2 n4; do
    k=$((k + 1))
    for _ in $(seq 1 100); do [ "$(grep -c "waiting for approval" sq.log)" -ge $k ] && break; sleep 0.05; done
    [ "$(grep -c "waiting for approval" sq.log)" -ge $k ] || fail "the SQLite run did not reach gate $g"
    t=$(now_ms)
    "$FLOWZAP" signal 1 $g yes --db "$work/runs.db" >sig5.log 2>&1 || fail "signal on SQLite failed"
    f=between.1
    [ $g = n4 ] && f=after.1
    ms=$(passed_after "$f" "$t" 9) || fail "the SQLite gate $g did not pass"
    [ "$ms" -ge 2000 ] && [ "$ms" -lt 6000 ] || fail "SQLite gate $g passed $ms ms after the signal (poll 3000 ms)"
    echo "sqlite: gate $g passed $ms ms after the signal, by the poll (3000 ms)"
done
wait $runpid || fail "the SQLite run did not complete: $(cat sq.log)"

# 7. serve on a PostgreSQL location it cannot reach: the page says so,
# the password masked.
"$FLOWZAP" serve --db "postgres://flowzap:Sekr3t-pw@127.0.0.1:1/flowzap" --listen 127.0.0.1:0 \
    >serve2.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "open http" serve2.log && break; sleep 0.1; done
url=$(sed -n 's/^flowzap serve: open //p' serve2.log)
[ -n "$url" ] || fail "serve did not start"
curl -s -c jar2 -b jar2 -L "$url" >page2.html || fail "serve's runs page"
grep -q "No journal at postgres://flowzap:\*\*\*@127.0.0.1:1/flowzap" page2.html ||
    fail "serve's page: $(grep -o 'No journal at[^<]*' page2.html)"
! grep -q "Sekr3t" page2.html serve2.log || fail "the password was shown"
kill "${pids[-1]}" 2>/dev/null
wait "${pids[-1]}" 2>/dev/null
unset 'pids[-1]'

# 8. A step of lane B in a run a worker of lane A owns, on serve's page.
cat > lanes.fz <<'EOF'
A { # A
n1: rectangle label:"Here"
n1.handle(bottom) -> B.n2.handle(top)
}
B { # B
n2: rectangle label:"There"
}
EOF
cat > lanes.yaml <<EOF
version: 1
rules:
  - match: ^Here\$
    noop:
  - match: ^There\$
    exec: [sh, -c, "echo \$FZ_ATTEMPT >> $work/there; i=0; while [ ! -e $work/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done"]
EOF
l=$("$FLOWZAP" submit lanes.fz --bindings lanes.yaml 2>submit8.log) || fail "submit failed"
FLOWZAP_APPROVAL_POLL_MS=200 "$FLOWZAP" worker --lane A --poll 0.2 --lease 60 >worker8a.log 2>&1 &
pids+=($!)
workera=$!
queued_to() { fz_psql -c "SELECT coalesce(worker, '-') FROM step_queue WHERE run = $l"; }
queued_is() { [ "$(queued_to)" = "$1" ]; }
claimed() { [ -n "$(queued_to)" ] && ! queued_is -; }
fz_wait_until 300 queued_is - || fail "n2 of run $l was not queued for lane B"
"$FLOWZAP" serve --listen 127.0.0.1:0 >serve8.log 2>&1 &
pids+=($!)
servepid=$!
for _ in $(seq 100); do grep -q "open http" serve8.log && break; sleep 0.1; done
url=$(sed -n 's/^flowzap serve: open //p' serve8.log)
[ -n "$url" ] || fail "serve did not start"
base=${url%%/\?*}
curl -s -c jar8 -b jar8 -L "$url" >/dev/null || fail "serve's runs page"
curl -s -c jar8 -b jar8 "$base/run/$l" >run8.html || fail "serve's run page"
grep -q "<td>in flight, waiting for a worker of lane B</td>" run8.html ||
    fail "serve's run page does not say n2 waits for lane B: $(grep -o '<tr class="step.*' run8.html)"
FLOWZAP_APPROVAL_POLL_MS=200 "$FLOWZAP" worker --lane B --poll 0.2 >worker8b.log 2>&1 &
pids+=($!)
workerb=$!
fz_wait_until 300 claimed || fail "no worker of lane B claimed n2 of run $l"
who=$(queued_to)
curl -s -c jar8 -b jar8 "$base/run/$l" >run8.html || fail "serve's run page"
grep -qF "<td>in flight, running on worker $who (lane B)</td>" run8.html ||
    fail "serve's run page does not name worker $who: $(grep -o '<tr class="step.*' run8.html)"
# The name a worker recorded is data on the page, never markup.
fz_psql -c "UPDATE step_queue SET worker = '<script>alert(1)</script>/1' WHERE run = $l"
curl -s -c jar8 -b jar8 "$base/run/$l" >run8.html || fail "serve's run page"
grep -qF "running on worker &lt;script&gt;alert(1)&lt;/script&gt;/1 (lane B)" run8.html ||
    fail "the worker's name is not escaped: $(grep -o 'running on worker[^<]*' run8.html)"
! grep -q "<script>alert" run8.html || fail "the worker's name reached the page as markup"
# The run's owner dies while the lane B worker runs n2: on the page the
# run's owner is gone but n2 still runs (painted so); `flowzap resume`
# waits for it and says so apart from the steps it runs again (none).
kill -KILL "$workera"
wait "$workera" 2>/dev/null
owner_gone() { "$FLOWZAP" runs show "$l" 2>/dev/null | head -1 | grep -q "owner gone"; }
fz_wait_until 300 owner_gone || fail "run $l's owner did not go"
curl -s -c jar8 -b jar8 "$base/run/$l" >run8.html || fail "serve's run page"
grep -q '<tr class="step st-running"><td>1</td><td>n2</td>.*<td>in flight, running on worker ' run8.html ||
    fail "n2, run by lane B's worker, is not painted running: $(grep -o '<tr class="step.*' run8.html)"
FLOWZAP_APPROVAL_POLL_MS=200 "$FLOWZAP" resume "$l" >resume8.log 2>&1 &
resumepid=$!
pids+=($resumepid)
fz_wait_until 300 grep -q "waited for" resume8.log || fail "resume of run $l: $(cat resume8.log)"
grep -q "^flowzap: resuming run $l: 1 step already done, 1 in flight when it stopped: 0 run again with FZ_ATTEMPT raised$" resume8.log ||
    fail "resume's line counts a step it waits for as run again: $(cat resume8.log)"
grep -q "^flowzap: run $l: 1 of them runs on a worker of its lane: waited for, not run again$" resume8.log ||
    fail "resume does not say it waits for n2: $(cat resume8.log)"
touch go
wait "$resumepid" || fail "resume of run $l failed: $(cat resume8.log)"
[ "$(fz_psql -c "SELECT state FROM runs WHERE id = $l")" = completed ] || fail "run $l did not complete"
[ "$(cat there)" = 1 ] || fail "n2 ran with attempts $(cat there | tr '\n' ' '), not once"
echo "serve: a step of lane B waiting, then running on worker $who; resume waited for it"
kill "$servepid" "$workerb" 2>/dev/null
wait "$servepid" "$workerb" 2>/dev/null
echo "PASS: pg_gate"
