#!/usr/bin/env bash
# test_pg_connect_timeout.sh - a PostgreSQL location whose host accepts the
# connection and never answers (a loopback listener this test starts):
#  1. runs, run, signal, worker and serve give up within the bound
#     (FLOWZAP_PG_CONNECT_TIMEOUT=2), exit 75 with a message that names the
#     location, its password masked;
#  2. a connect_timeout in the location wins over the variable; without
#     the variable PGCONNECT_TIMEOUT is libpq's, and without both the bound
#     is 10 s;
#  3. hostile values of FLOWZAP_PG_CONNECT_TIMEOUT: exit 64 at once, the
#     value escaped, nothing connected;
#  4. a worker whose own connection works but whose later ones get no
#     answer (a relay to a throwaway cluster, pg_cluster.sh, that passes
#     the first connection only): the process it forks for a step of its
#     lane gives up within the bound with exit 75 and the same message.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?}"
. "$FZ_SRC/tests/scripts/pg_cluster.sh"

work=$(mktemp -d /tmp/fz-pg-timeout.XXXXXX)
lpid=
pids=()
cleanup() {
    [ -n "$lpid" ] && kill -KILL "$lpid" 2>/dev/null
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
    fz_pg_stop
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1
unset PGCONNECT_TIMEOUT FLOWZAP_PG_CONNECT_TIMEOUT

# A listener that accepts every connection and never says a word; it
# counts the connections it took in ./accepted.
cat > silent.py <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open("accepted", "a") as f:
        f.write("1\n")
PY
python3 silent.py >port &
lpid=$!
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
port=$(cat port)
[ -n "$port" ] || fail "the listener did not start"
pw="Sekr3t-$RANDOM"
loc="postgres://flowzap:$pw@127.0.0.1:$port/flowzap"
masked="postgres://flowzap:***@127.0.0.1:$port/flowzap"
accepted() { [ -f accepted ] && wc -l <accepted || echo 0; }

cat > one.fz <<'FZ'
One { # One
n1: rectangle label:"Only"
}
FZ
printf 'version: 1\nrules:\n  - match: .\n    noop:\n' > one.yaml

# Runs CMD... with a hard stop at 60 s; sets rc and took (seconds).
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    timeout -s KILL 60 "$@"
    rc=$?
    t1=$(date +%s.%N)
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}
# libpq counts its connect_timeout in whole seconds of the clock (PostgreSQL
# 15): a bound of N s runs out after N-1 to N s.
within() { awk -v t="$took" -v lo="$1" -v hi="$2" 'BEGIN { exit !(t >= lo && t < hi) }'; }

# 1. Every command that opens the journal, with a 2 s bound.
export FLOWZAP_PG_CONNECT_TIMEOUT=2
for cmd in "runs" "runs show 1" "signal 1 n1 yes" "resume 1" "run one.fz --bindings one.yaml" \
    "worker --exit-idle 1" "serve --listen 127.0.0.1:0"; do
    log="cmd-${cmd%% *}-$RANDOM.log"
    # shellcheck disable=SC2086
    timed "$FLOWZAP" $cmd --db "$loc" >"$log" 2>&1
    [ "$rc" = 75 ] || fail "'flowzap $cmd' on a silent server exited $rc, not 75"
    within 0.9 6 || fail "'flowzap $cmd' gave up after $took s, not about 2 s"
    grep -qF "cannot open journal '$masked': the server did not answer within 2 s" "$log" ||
        fail "'flowzap $cmd': no clear message: $(cat "$log")"
    ! grep -qF "$pw" "$log" || fail "'flowzap $cmd' printed the password"
    echo "flowzap $cmd: exit $rc after $took s"
done

# 2. The location's own connect_timeout wins over the variable.
timed "$FLOWZAP" runs --db "$loc?connect_timeout=4" >own.log 2>&1
[ "$rc" = 75 ] && within 2.9 8 || fail "the location's connect_timeout=4: exit $rc after $took s"
grep -qF "did not answer within 4 s" own.log || fail "no clear message: $(cat own.log)"
unset FLOWZAP_PG_CONNECT_TIMEOUT
# PGCONNECT_TIMEOUT, libpq's own, when the variable is not set.
PGCONNECT_TIMEOUT=3 timed "$FLOWZAP" runs --db "$loc" >pgenv.log 2>&1
[ "$rc" = 75 ] && within 1.9 7 || fail "PGCONNECT_TIMEOUT=3: exit $rc after $took s"
# Neither: 10 s.
timed "$FLOWZAP" runs --db "$loc" >default.log 2>&1
[ "$rc" = 75 ] && within 8.9 15 || fail "the default bound: exit $rc after $took s, not about 10 s"
grep -qF "did not answer within 10 s" default.log || fail "no clear message: $(cat default.log)"
echo "default bound: exit $rc after $took s"

# 3. Hostile values: refused at once, before any connection.
before=$(accepted)
for bad in 0 3601 -5 1.5 10s " 5" 99999999999999999999 "5'; DROP TABLE runs;--" $'5\e[2J' $'5\nx'; do
    for cmd in "runs" "run one.fz --bindings one.yaml" "serve --listen 127.0.0.1:0" "worker"; do
        # shellcheck disable=SC2086
        FLOWZAP_PG_CONNECT_TIMEOUT="$bad" timed "$FLOWZAP" $cmd --db "$loc" >bad.log 2>&1
        [ "$rc" = 64 ] || fail "'flowzap $cmd' took FLOWZAP_PG_CONNECT_TIMEOUT='$bad' (exit $rc)"
        within 0 5 || fail "'flowzap $cmd' with a bad value took $took s"
        grep -q "FLOWZAP_PG_CONNECT_TIMEOUT is a number of seconds from 1 to 3600" bad.log ||
            fail "no clear message for '$bad': $(cat bad.log)"
        ! grep -q $'\e' bad.log || fail "the bad value reached the terminal unescaped"
        [ "$(wc -l <bad.log)" = 1 ] || fail "the bad value broke the message's line: $(cat bad.log)"
    done
done
[ "$(accepted)" = "$before" ] || fail "a refused command connected to the server"

# 4. A relay to a real cluster that passes its first connection (the
# worker's own) and holds every later one silent, as the listener above.
fz_pg_start || fail "could not start a PostgreSQL cluster"
trap cleanup EXIT
cat > relay.py <<'PY'
import socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
held, n = [], 0
while True:
    c, _ = s.accept()
    n += 1
    if n > 1:
        held.append(c)
        continue
    u = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
PY
python3 relay.py "$FZ_PG_PORT" >rport &
pids+=($!)
for _ in $(seq 50); do [ -s rport ] && break; sleep 0.1; done
[ -s rport ] || fail "the relay did not start"
rloc="postgres://flowzap:$FZ_PG_PASSWORD@127.0.0.1:$(cat rport)/flowzap"
rmasked="postgres://flowzap:***@127.0.0.1:$(cat rport)/flowzap"
cat > two.fz <<'FZ'
A { # A
n1: rectangle label:"Here"
n1.handle(bottom) -> B.n2.handle(top)
}
B { # B
n2: rectangle label:"There"
}
FZ
"$FLOWZAP" submit two.fz --bindings one.yaml --db "$FZ_TEST_PG_URI" >submit.log 2>&1 ||
    fail "submit: $(cat submit.log)"
# The run's owner serves lane A on a direct connection; n2 is queued for
# lane B, whose worker's step process gets no answer (the worker's run
# process, whose connection is silent too, is never given a run).
"$FLOWZAP" worker --db "$FZ_TEST_PG_URI" --lane A >worker-a.log 2>&1 &
pids+=($!)
workera=$!
FLOWZAP_PG_CONNECT_TIMEOUT=2 timed "$FLOWZAP" worker --db "$rloc" --lane B --lease 60 \
    --exit-idle 8 >worker-b.log 2>&1
[ "$rc" = 0 ] || fail "the lane B worker exited $rc"
grep -qF "step 1 of run 1: exit status 75 " worker-b.log ||
    fail "the step's process on a silent connection did not exit 75: $(cat worker-b.log)"
grep -qF "flowzap worker: cannot open journal '$rmasked': the server did not answer within 2 s" \
    worker-b.log || fail "no clear message from the step's process: $(cat worker-b.log)"
! grep -qF "$FZ_PG_PASSWORD" worker-b.log || fail "the lane B worker printed the password"
kill -TERM "$workera"
wait "$workera" 2>/dev/null
echo "a worker's step process on a silent connection: exit 75"
echo "ok"
