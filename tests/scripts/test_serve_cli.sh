#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_serve_cli.sh - `flowzap serve` as a command: the start line (address
# with a 32-digit token), a free port with --listen 127.0.0.1:0, a stop on
# SIGTERM with status 0, and distinct statuses for a bad --listen (64), a
# missing file (74) and a port already taken (74), with a hostile
# argument shown escaped.
set -uo pipefail
: "${FLOWZAP:?}" "${FZ_SRC:?}"
work=$(mktemp -d /tmp/fz-serve-cli.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work"/*.log >&2 2>/dev/null; exit 1; }
pass=0

"$FLOWZAP" serve --db "$work/runs.db" --listen 127.0.0.1:0 "$FZ_SRC/workflows" >"$work/a.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "open http" "$work/a.log" && break; sleep 0.1; done
grep -Eq '^flowzap serve: open http://127\.0\.0\.1:[1-9][0-9]*/\?token=[0-9a-f]{32}$' "$work/a.log" ||
    fail "start line: $(cat "$work/a.log")"
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$work/a.log")
url=$(sed -n 's/^flowzap serve: open //p' "$work/a.log")
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 303 ] || fail "token URL answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$code" = 403 ] || fail "no token answered $code"
pass=$((pass + 1))

# The same port again: taken.
"$FLOWZAP" serve --listen "127.0.0.1:$port" >"$work/b.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "a taken port gave status $st"
grep -q "cannot listen on 127.0.0.1:$port" "$work/b.log" || fail "taken port: $(cat "$work/b.log")"
pass=$((pass + 1))

kill -TERM "$pid"
wait "$pid"
st=$?
pid=""
[ $st -eq 0 ] || fail "SIGTERM: status $st"
pass=$((pass + 1))

"$FLOWZAP" serve --listen localhost:80 >"$work/c.log" 2>&1
st=$?
[ $st -eq 64 ] || fail "--listen localhost:80 gave status $st"
grep -q "numeric ADDR:PORT" "$work/c.log" || fail "bad listen: $(cat "$work/c.log")"
"$FLOWZAP" serve --listen $'1.2.3.4:\e[2J' >"$work/d.log" 2>&1
st=$?
[ $st -eq 64 ] || fail "hostile --listen gave status $st"
if grep -q $'\e' "$work/d.log"; then fail "an escape byte reached the terminal"; fi
pass=$((pass + 1))

"$FLOWZAP" serve --listen 127.0.0.1:0 "$work/missing.fz" >"$work/e.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "a missing file gave status $st"
grep -q "cannot read '$work/missing.fz': No such file or directory" "$work/e.log" ||
    fail "missing file: $(cat "$work/e.log")"
pass=$((pass + 1))

# flowzap watch is serve --watch.
"$FLOWZAP" watch --help | grep -q "serve --watch" || fail "watch --help"
"$FLOWZAP" watch --listen 127.0.0.1:0 "$work/missing.fz" >"$work/f.log" 2>&1
st=$?
[ $st -eq 74 ] || fail "watch: a missing file gave status $st"
grep -q "^flowzap watch: cannot read" "$work/f.log" || fail "watch: $(cat "$work/f.log")"
pass=$((pass + 1))
echo "$pass passed, 0 failed"
