#!/usr/bin/env bash
# test_bind_check.sh - `flowzap bind --check` (docs/bindings.md, "Checking
# a bindings file"): one bindings file holding each kind of mistake (a
# missing program (and a secret's command), one not executable, one not in PATH, a cwd that does not
# exist and one that is a file, a bad URL written out and one made bad by
# a vars: value, ${NAME}s defined nowhere, set only after their step, or
# only by an exec step's ::set, a group number the pattern lacks); every
# message and its file:line:col are checked, and the exit status. The
# canary's own bindings check clean, and nothing is run.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?FZ_SRC must name the source tree}"
work=$(mktemp -d /tmp/fz-bindcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work" || exit 1

cat > wf.fz <<'EOF'
ops { # Ops
n1: circle label:"Start"
n2: rectangle label:"Build app"
n3: rectangle label:"Probe metrics"
n4: rectangle label:"Deploy 5"
n5: rectangle label:"Report"
n6: rectangle label:"Notify"
n7: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
n5.handle(right) -> n6.handle(left)
n6.handle(right) -> n7.handle(left)
}
EOF
printf '#!/bin/sh\ntouch ran-ok\n' > ok.sh && chmod +x ok.sh
printf '#!/bin/sh\n' > notexec.sh && chmod 644 notexec.sh
cat > wf.bindings.yaml <<'EOF'
vars:
  IMAGE: shop:1
  BASE: htp://metrics.local
secrets:
  TOKEN: {env: FZ_TEST_TOKEN}
  KEY: {command: [./get-key.sh]}
rules:
  - shape: circle
    noop:
  - match: ^Build (?<what>\w+)$
    log: "${IMAGE} ${what} ${TAG} ${TOKEN} ${0} $${literal} ${UNDEF}"
  - match: ^Probe metrics$
    http:
      url: http://127.0.0.1:99999/metrics
      headers: {X-Later: "${later}"}
      body_match: '"rate":\s*(?<rate>[0-9.]+)'
  - match: ^Deploy (\d+)$
    exec: [./nope.sh, "${1}", "${2}", "${rate}"]
    cwd: no-such-dir
  - match: ^Report$
    exec: [./ok.sh, "${later}"]
    env: {WHERE: "${where}"}
  - match: ^Notify$
    set: {later: "x", note: "${FROM_EXEC}"}
  - match: ^Never matches$
    http:
      url: ${BASE}/x
  - id: n98
    exec: [./notexec.sh]
  - id: n99
    exec: [no-such-tool-xyz]
    cwd: ok.sh
EOF

cat > want.txt <<'EOF'
wf.bindings.yaml:6:19: error: 'secrets': command './get-key.sh' (./get-key.sh) does not exist [B010]
wf.bindings.yaml:11:61: error: '${UNDEF}' is never defined before this step [B013]
wf.bindings.yaml:14:12: error: 'http.url': 'http://127.0.0.1:99999/metrics' has a port outside 1..65535 [B012]
wf.bindings.yaml:15:27: error: '${later}' is never defined before this step [B013]
wf.bindings.yaml:18:12: error: 'exec': program './nope.sh' (./no-such-dir/nope.sh) does not exist [B010]
wf.bindings.yaml:18:32: error: '${2}': the rule's pattern has 1 capture group [B013]
wf.bindings.yaml:19:10: error: 'cwd': './no-such-dir' does not exist [B011]
wf.bindings.yaml:21:22: warning: '${later}' is not in vars:, --set, a secret, the rule's captures or a set:/body_match of a step that can come before it [B014]
wf.bindings.yaml:22:19: warning: '${where}' is not in vars:, --set, a secret, the rule's captures or a set:/body_match of a step that can come before it [B014]
wf.bindings.yaml:24:30: warning: '${FROM_EXEC}' is not in vars:, --set, a secret, the rule's captures or a set:/body_match of a step that can come before it [B014]
wf.bindings.yaml:27:12: error: 'http.url': 'htp://metrics.local/x' does not start with http:// or https:// [B012]
wf.bindings.yaml:29:12: error: 'exec': program './notexec.sh' (./notexec.sh) is not executable [B010]
wf.bindings.yaml:31:12: error: 'exec': program 'no-such-tool-xyz' is not in PATH [B010]
wf.bindings.yaml:32:10: error: 'cwd': './ok.sh' is not a directory [B011]
wf.bindings.yaml: 11 errors, 3 warnings
EOF

PATH=/usr/bin:/bin NO_COLOR=1 "$FLOWZAP" bind wf.fz -b wf.bindings.yaml --check --set TAG=v1 \
    >out.txt 2>err.txt
rc=$?
[ "$rc" -eq 2 ] || fail "exit status $rc, want 2"
grep -v '^ ' err.txt | diff want.txt - || fail "findings differ"
# the caret and hint are printed under each finding
grep -q '^   *| *\^' err.txt || fail "no caret lines"
grep -q 'hint: define it in vars:' err.txt || fail "no hint"
[ ! -e ran-ok ] || fail "bind --check ran a program"
echo "ok 1 every kind of mistake, at its place"

# Without --set TAG=v1, ${TAG} is one more error, at its column.
NO_COLOR=1 "$FLOWZAP" bind wf.fz -b wf.bindings.yaml --check 2>err2.txt
[ $? -eq 2 ] || fail "exit status without --set"
grep -q "^wf.bindings.yaml:11:28: error: '\${TAG}' is never defined before this step \[B013\]" err2.txt ||
    fail "no error for \${TAG} without --set"
grep -q '12 errors, 3 warnings' err2.txt || fail "count without --set"
echo "ok 2 --set defines a name"

# Warnings only: exit 0.
cat > warn.yaml <<'EOF'
rules:
  - shape: circle
    noop:
  - match: ^Build
    exec: [./ok.sh]
  - {log: "${FROM_EXEC}"}
EOF
NO_COLOR=1 "$FLOWZAP" bind wf.fz -b warn.yaml --check 2>err3.txt
[ $? -eq 0 ] || fail "warnings only should exit 0"
grep -q "0 errors, 1 warning$" err3.txt || fail "warning count: $(cat err3.txt)"
echo "ok 3 warnings alone exit 0"

# The project's canary bindings are clean.
out=$(cd "$FZ_SRC" && "$FLOWZAP" bind workflows/canary-deploy.fz -b workflows/canary-deploy.bindings.yaml --check 2>&1)
[ $? -eq 0 ] || fail "canary bindings: $out"
[ "$out" = "workflows/canary-deploy.bindings.yaml: 0 errors, 0 warnings" ] || fail "canary: $out"
echo "ok 4 canary bindings check clean"
