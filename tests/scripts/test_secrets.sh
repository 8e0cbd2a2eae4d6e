#!/usr/bin/env bash
# test_secrets.sh - secrets for real (docs/secrets.md): a workflow whose
# steps echo three secrets (from the environment, a file and a command) on
# stdout and stderr, in an error reason, in a `::set` value, and send them
# to a real HTTP server on 127.0.0.1 in a header and in the URL (the server
# echoes both back as the body). The run is killed with SIGKILL in the
# middle of a step and resumed. Then the journal's bytes (its -wal file
# included), the traces, the progress output, `runs show --json` and
# `--output`, and the SVG rendered from the trace are searched byte-wise:
# no value may appear. Also: a `::mask` value, a `::set` value holding a
# secret coming back right after resume, unreadable secrets failing before
# anything runs, `--set` of a secret refused, journal permissions.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-secrets.XXXXXX)
runpid=""
srvpid=""
cleanup() {
    [ -n "$runpid" ] && kill -KILL "$runpid" 2>/dev/null
    [ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null
    touch "$work/release" 2>/dev/null
    sleep 0.2
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
passed=0
ok() { passed=$((passed + 1)); }
cd "$work" || exit 1
umask 022
mkdir marks

SECRET_ENV=supersecret123
SECRET_FILE=file-secret-456
SECRET_CMD=cmd-secret-789
LEARNED=learned-value-4242
export REGISTRY_TOKEN=$SECRET_ENV
printf '%s\n' "$SECRET_FILE" > token.txt
cat > get-token.sh <<EOF
#!/bin/sh
echo "$SECRET_CMD"
EOF
chmod +x get-token.sh

# The server answers every GET with its request line and headers, and
# logs them (to prove the real values were sent).
cat > echo-server.py <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        text = self.requestline + "\n" + str(self.headers)
        with open("server.seen", "a") as f:
            f.write(text)
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("port", "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 echo-server.py &
srvpid=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s port ] || fail "the echo server did not start"
port=$(cat port)

cat > flow.fz <<'EOF'
Deploy { # Deploy
n1: circle label:"Start"
n2: rectangle label:"Echo secrets"
n3: rectangle label:"Call registry"
n4: rectangle label:"Flaky push"
n5: rectangle label:"Wait here"
n6: rectangle label:"Check auth"
n7: circle label:"End"
n8: rectangle label:"Log token"
n9: rectangle label:"Set header"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
n5.handle(right) -> n6.handle(left)
n6.handle(right) -> n8.handle(left)
n8.handle(right) -> n9.handle(left)
n9.handle(right) -> n7.handle(left)
}
EOF

# Echo: all three secrets on stdout and stderr, a ::set holding one, a
# value learned and masked. Flaky push: fails once with a secret in its
# last stderr line (the reason). Wait here: on its first attempt, waits to
# be killed. Check auth: gets ${AUTH} as an argument and the secret through
# env:, says whether they agree (in a mark file), and echoes them again.
cat > flow.yaml <<EOF
version: 1
secrets:
  TOKEN: {env: REGISTRY_TOKEN}
  FILETOKEN: {file: token.txt}
  CMDTOKEN: {command: [./get-token.sh], timeout: 10s}
vars:
  BASE: http://127.0.0.1:$port
rules:
  - shape: circle
    noop:
  - match: ^Echo secrets\$
    shell: |
      echo "out \$T \$F \$C"
      echo "err \$T \$F \$C" >&2
      echo "::set AUTH=Bearer \$T"
      echo "::mask $LEARNED"
      echo "::set SESSION=id-$LEARNED"
      echo "learned: $LEARNED"
      env | grep -c -e "^REGISTRY_TOKEN=" > marks/env-count || true
      echo "\${TOKEN:-unset}" > marks/shell-token
    env: {T: "\${TOKEN}", F: "\${FILETOKEN}", C: "\${CMDTOKEN}"}
  - match: ^Call registry\$
    http:
      url: "\${BASE}/v2/\${TOKEN}/tags?key=\${CMDTOKEN}"
      headers: {Authorization: "Bearer \${TOKEN}", X-File: "\${FILETOKEN}"}
  - match: ^Flaky push\$
    shell: 'echo "\${AUTH:-unset}" > marks/shell-auth; if [ ! -e marks/flaky ]; then touch marks/flaky; echo "push failed for \$T and $LEARNED" >&2; exit 2; fi'
    env: {T: "\${TOKEN}"}
    retries: 1
  - match: ^Wait here\$
    shell: |
      if [ "\$FZ_ATTEMPT" = 1 ]; then
        echo \$\$ > inflight
        i=0
        while [ ! -e release ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
      fi
  - match: ^Log token\$
    log: "the token is \${TOKEN}, auth \${AUTH}"
  - match: ^Set header\$
    set: {HDR: "X-Token: \${FILETOKEN}"}
  - match: ^Check auth\$
    exec: [sh, -c, 'if [ "\$1" = "Bearer \$T" ]; then echo ok > marks/check; else echo bad > marks/check; fi; echo "auth \$1"', sh, "\${AUTH}"]
    env: {T: "\${TOKEN}"}
EOF

wait_for() { # wait_for FILE: up to 30 s
    local i=0
    while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$1" ]
}
run_id() { sed -n 's/^flowzap: run \([0-9][0-9]*\) recorded in .*/\1/p' "$1" | head -1; }

# no_secret WHAT FILE...: none of the values occurs in the files' bytes.
no_secret() {
    local what=$1
    shift
    for v in "$SECRET_ENV" "$SECRET_FILE" "$SECRET_CMD" "$LEARNED"; do
        if grep -a -l -F -e "$v" "$@" >/dev/null 2>&1; then
            fail "$what: '$v' found in $(grep -a -l -F -e "$v" "$@" | tr '\n' ' ')"
        fi
    done
}

# 1. Run; kill it (SIGKILL) while "Wait here" is in flight.
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --trace trace1.jsonl >run1.log 2>&1 &
runpid=$!
wait_for inflight || fail "the step to kill never started"
id=$(run_id run1.log)
[ -n "$id" ] || fail "run did not say which run it recorded"
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
touch release
sleep 0.3
rm -f release

# The journal's files right after the kill: the WAL is still there.
[ -e journal.db-wal ] || fail "no -wal file after SIGKILL (the test expects one)"
[ "$(stat -c %a journal.db)" = 600 ] || fail "new journal mode $(stat -c %a journal.db), want 600"
[ "$(stat -c %a journal.db-wal)" = 600 ] || fail "its -wal mode $(stat -c %a journal.db-wal), want 600"
[ "$(stat -c %a trace1.jsonl)" = 600 ] || fail "new trace mode $(stat -c %a trace1.jsonl), want 600"
ok
no_secret "journal after SIGKILL" journal.db journal.db-wal journal.db-shm
no_secret "trace before the kill" trace1.jsonl
no_secret "progress output before the kill" run1.log
ok
# The values did leave flowzap: the server saw them in the URL and a header.
grep -q "GET /v2/$SECRET_ENV/tags?key=$SECRET_CMD " server.seen || fail "the URL did not carry the secrets"
grep -q "Authorization: Bearer $SECRET_ENV" server.seen || fail "the header did not carry the secret"
grep -q "X-File: $SECRET_FILE" server.seen || fail "the header did not carry the file secret"
# Inherited from flowzap's environment, the source variable did not reach the step;
# a shell step does not see secrets, nor variables holding one, as variables.
[ "$(cat marks/env-count)" = 0 ] || fail "a step inherited REGISTRY_TOKEN from flowzap's environment"
[ "$(cat marks/shell-token)" = unset ] || fail "a shell step saw the secret TOKEN in its environment"
[ "$(cat marks/shell-auth)" = unset ] || fail "a shell step saw AUTH (holding a secret) in its environment"
ok
# Masked where they were: stdout, stderr, the HTTP body, the reason.
"$FLOWZAP" runs show "$id" --output --db journal.db >show1.log 2>&1 || fail "runs show failed"
grep -q "out \*\*\* \*\*\* \*\*\*" show1.log || fail "stdout not masked as ***"
grep -q "err \*\*\* \*\*\* \*\*\*" show1.log || fail "stderr not masked as ***"
grep -q "learned: \*\*\*" show1.log || fail "::mask value not masked in the output"
grep -q "GET /v2/\*\*\*/tags?key=\*\*\*" show1.log || fail "HTTP body not masked"
grep -q "push failed for \*\*\* and \*\*\*" show1.log || fail "error reason not masked"
grep -q '"AUTH":{"parts":\["Bearer ",{"secret":"TOKEN"}\]}' show1.log ||
    fail "the ::set value is not recorded as a reference to TOKEN"
ok

# 2. Resume: the secrets are read again. Without them, nothing runs and
# the run stays resumable; with them, the step after the ::set gets the
# real value back.
env -u REGISTRY_TOKEN "$FLOWZAP" resume "$id" --db journal.db >resume0.log 2>&1
st=$?
[ $st -eq 8 ] || fail "resume without the secret exited $st, want 8"
grep -q "secret TOKEN: environment variable REGISTRY_TOKEN is not set" resume0.log ||
    fail "resume without the secret did not say which"
[ "$(cat marks/check 2>/dev/null)" = "" ] || fail "a step ran in a resume without its secret"
"$FLOWZAP" resume "$id" --db journal.db >resume.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume exited $st, want 0"
grep -q "flowzap: completed" resume.log || fail "resumed run did not complete"
grep -q "n8    the token is \*\*\*, auth Bearer \*\*\*" resume.log || fail "log builtin line not masked"
grep -q "warning: 1 variable set before the resume held a value masked with ::mask" resume.log ||
    fail "resume did not warn of the ::mask value it cannot rebuild"
[ "$(cat marks/check 2>/dev/null)" = ok ] || fail "the step after resume did not get the real AUTH value"
ok
"$FLOWZAP" runs show "$id" --json --output --db journal.db >show.json 2>&1 || fail "runs show --json failed"
"$FLOWZAP" runs show "$id" --output --db journal.db >show2.log 2>&1 || fail "runs show failed"
"$FLOWZAP" runs --db journal.db >runs.log 2>&1 || fail "runs failed"
grep -q '"TOKEN": "\*\*\*"' show.json || fail "the run's variables do not show TOKEN masked"
grep -q '"HDR":{"parts":\["X-Token: ",{"secret":"FILETOKEN"}\]}' show2.log ||
    fail "the set: builtin's value is not recorded as a reference"
# The trace of a fresh, whole run, drawn.
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --trace trace2.jsonl >run2.log 2>&1 &
runpid=$!
wait_for inflight || fail "second run: the waiting step never started"
touch release
wait "$runpid"
st=$?
runpid=""
[ $st -eq 0 ] || fail "second run exited $st"
"$FLOWZAP" render flow.fz --trace trace2.jsonl -o run.svg >render.log 2>&1 || fail "render failed"
files=(journal.db trace1.jsonl show.json show2.log runs.log resume.log trace2.jsonl run2.log run.svg)
for f in journal.db-wal journal.db-shm; do [ -e "$f" ] && files+=("$f"); done
no_secret "after resume" "${files[@]}"
ok

# 3. ::mask hides a learned value from everything after it (the reason of
# a later step quoted it).
! grep -a -q -F "$LEARNED" trace2.jsonl run2.log journal.db || fail "::mask value leaked"
ok

# 4. Unreadable secrets: errors before anything runs, naming the secret and
# its source, never a value.
rm -f marks/*
before=$("$FLOWZAP" runs --db journal.db | wc -l)
env -u REGISTRY_TOKEN "$FLOWZAP" run flow.fz -b flow.yaml --db journal.db >missing.log 2>&1
st=$?
[ $st -eq 8 ] || fail "missing environment variable: exit $st, want 8"
grep -q "secret TOKEN: environment variable REGISTRY_TOKEN is not set" missing.log ||
    fail "missing variable not named"
no_secret "missing variable message" missing.log
[ -z "$(ls marks)" ] || fail "a step ran although a secret was missing"
[ "$("$FLOWZAP" runs --db journal.db | wc -l)" = "$before" ] || fail "a run was recorded"
ok
mv token.txt token.keep && mkdir token.txt
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db >unreadable.log 2>&1
st=$?
[ $st -eq 8 ] || fail "unreadable file: exit $st, want 8"
grep -q "secret FILETOKEN: cannot read file '.*token.txt'" unreadable.log || fail "unreadable file not named"
no_secret "unreadable file message" unreadable.log
rmdir token.txt && mv token.keep token.txt
ok
cat > leaky.sh <<'EOF'
#!/bin/sh
echo "leaky-output-999"
exit 3
EOF
chmod +x leaky.sh
sed 's|\./get-token.sh|./leaky.sh|' flow.yaml > leaky.yaml
"$FLOWZAP" run flow.fz -b leaky.yaml --db journal.db >leaky.log 2>&1
st=$?
[ $st -eq 8 ] || fail "failing command: exit $st, want 8"
grep -q "secret CMDTOKEN: command './leaky.sh' exited with status 3" leaky.log || fail "failed command not named"
grep -q "leaky-output-999" leaky.log && fail "a failing command's output was printed"
no_secret "failed command message" leaky.log
ok
printf 'abc\n' > short.txt
sed 's|{file: token.txt}|{file: short.txt}|' flow.yaml > short.yaml
"$FLOWZAP" run flow.fz -b short.yaml --db journal.db >short.log 2>&1
st=$?
[ $st -eq 8 ] || fail "short secret: exit $st, want 8"
grep -q "secret FILETOKEN: the value is 3 bytes long" short.log || fail "short secret not explained"
ok

# 5. --set of a declared secret is refused, with a hint; --secret works.
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --set TOKEN=other-value >set.log 2>&1
st=$?
[ $st -eq 64 ] || fail "--set TOKEN: exit $st, want 64"
grep -q "TOKEN is declared a secret" set.log || fail "--set refusal unclear"
grep -q "hint: .*--secret TOKEN=ENVVAR" set.log || fail "--set refusal without hint"
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --secret EXTRA=REGISTRY_TOKEN --set EXTRA=x >set2.log 2>&1
[ $? -eq 64 ] || fail "--set of a --secret name was not refused"
# A --set value carrying a secret's value would be recorded: refused too.
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --set "URL=https://u:$SECRET_ENV@h" >set3.log 2>&1
[ $? -eq 64 ] || fail "--set holding a secret's value was not refused"
no_secret "--set refusal" set.log set2.log set3.log
ok

# The recorded command line masks an argument holding a secret's value.
"$FLOWZAP" run flow.fz -b flow.yaml --db journal.db --start n7 --trace "t-$SECRET_ENV.jsonl" >argmask.log 2>&1 ||
    fail "run with a secret in an argument failed"
aid=$(run_id argmask.log)
"$FLOWZAP" runs show "$aid" --db journal.db >argmask-show.log 2>&1 || fail "runs show failed"
grep -q -- "--trace 't-\*\*\*.jsonl'" argmask-show.log || fail "the recorded command line is not masked"
no_secret "recorded command line" argmask.log argmask-show.log journal.db
ok

# bind names the secrets and their sources, reads no value.
"$FLOWZAP" bind flow.fz -b flow.yaml >bind.log 2>&1 || fail "bind failed"
grep -q "^secrets: TOKEN (env REGISTRY_TOKEN), FILETOKEN (file .*/token.txt), CMDTOKEN (command ./get-token.sh)$" bind.log ||
    fail "bind does not list the secrets"
# (the bindings text holds the ::mask value itself: only the secrets count)
! grep -q -F -e "$SECRET_ENV" -e "$SECRET_FILE" -e "$SECRET_CMD" bind.log || fail "bind printed a secret"
ok

# 6. Permissions: a new default journal and its folder are the owner's
# only; an existing journal others can read gets a warning.
mkdir perm && cd perm || fail "mkdir"
cp ../flow.fz ../token.txt ../get-token.sh ../flow.yaml . 
unset FLOWZAP_DB
"$FLOWZAP" run flow.fz -b flow.yaml --start n7 >perm.log 2>&1 || fail "run in perm/ failed"
[ "$(stat -c %a .flowzap)" = 700 ] || fail ".flowzap mode $(stat -c %a .flowzap), want 700"
[ "$(stat -c %a .flowzap/runs.db)" = 600 ] || fail "runs.db mode $(stat -c %a .flowzap/runs.db), want 600"
grep -q "warning: the journal" perm.log && fail "a new journal got the permissions warning"
chmod 644 .flowzap/runs.db
"$FLOWZAP" run flow.fz -b flow.yaml --start n7 >perm2.log 2>&1 || fail "second run in perm/ failed"
grep -q "warning: the journal .flowzap/runs.db can be read or written by other users (mode 0644)" perm2.log ||
    fail "no warning for a journal of mode 0644"
cd ..
ok

echo "$passed passed, 0 failed"
