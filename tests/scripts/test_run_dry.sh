#!/usr/bin/env bash
# test_run_dry.sh - `flowzap run --dry-run` (docs/run.md, "Dry run"):
#  1. a dry run of the canary (workflows/canary-deploy.fz with its real
#     bindings) executes no process and opens no connection: under
#     `strace -f` the only execve is flowzap's own, and there is no fork,
#     clone, socket or connect (skipped cleanly when strace is missing or
#     cannot trace here);
#  2. no journal is written, no program or secret command runs;
#  3. the printed argv of a step whose variable holds ESC, a newline and
#     quotes reads back, as shell words, as exactly the argv the step would
#     get, with a secret from an environment variable masked as ***, and no
#     raw control byte reaches the terminal; the secret's value appears
#     nowhere in the output;
#  4. decisions come from a scenario (--faults/--scenario), with retries
#     from the bindings, or are typed on stdin (--ask).
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_SRC:?FZ_SRC must name the source tree}"
work=$(mktemp -d /tmp/fz-dryrun.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work" || exit 1
export FLOWZAP_DB="$work/db/runs.db"
canary=("$FZ_SRC/workflows/canary-deploy.fz" -b "$FZ_SRC/workflows/canary-deploy.bindings.yaml")

# 1. no process, no connection
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    # LeakSanitizer cannot run under ptrace: off for this one traced run
    # (the asan preset checks leaks on every other run of this test).
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=execve,fork,vfork,clone,clone3,socket,connect -o st.txt \
        "$FLOWZAP" run "${canary[@]}" --dry-run >canary.out 2>canary.err ||
        fail "canary dry run exited $?: $(cat canary.err)"
    [ "$(grep -c 'execve(' st.txt)" -eq 1 ] || fail "more than one execve: $(cat st.txt)"
    grep -q "execve(\"$FLOWZAP\"" st.txt || fail "the execve is not flowzap's: $(cat st.txt)"
    if grep -Eq '(fork|clone3?|socket|connect)\(' st.txt; then
        fail "a process or a connection: $(grep -E '(fork|clone3?|socket|connect)\(' st.txt)"
    fi
    echo "ok 1 canary dry run: one execve (flowzap's), no fork/clone/socket/connect"
else
    echo "ok 1 # SKIP strace missing or not permitted here"
    "$FLOWZAP" run "${canary[@]}" --dry-run >canary.out 2>canary.err ||
        fail "canary dry run exited $?: $(cat canary.err)"
fi
grep -q '^n6 Deploy to 5% of pods  \[exec\]$' canary.out || fail "no n6 step: $(cat canary.out)"
grep -q '^       argv: ./canary/traffic-split.sh 5$' canary.out || fail "n6 argv"
grep -q '^       GET http://127.0.0.1:8765/health$' canary.out || fail "n9 request"
grep -q '^flowzap: dry run completed: End via Success (18 steps)$' canary.out || fail "outcome"
[ ! -e db ] && [ ! -e .flowzap ] || fail "a journal was written"

# 2. and 3. a hostile value and a secret
cat > wf.fz <<'EOF'
ops { # Ops
n1: circle label:"Start"
n2: rectangle label:"Deploy it"
n3: rectangle label:"Remember"
n4: rectangle label:"Call api"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
}
EOF
cat > wf.bindings.yaml <<'EOF'
secrets:
  TOKEN: {env: FZ_DRY_TOKEN}
  OTHER: {command: [touch, ran-secret-command]}
rules:
  - shape: circle
    noop:
  - match: ^Deploy (\w+)$
    exec: [./deploy.sh, "--msg=${MSG}", "${TOKEN}", "x${TOKEN}y", "${1}", "${OTHER}", "${LATER}"]
    env: {AUTH: "Bearer ${TOKEN}"}
  - match: ^Remember$
    set: {LATER: "v-${MSG}"}
  - match: ^Call api$
    http:
      url: http://127.0.0.1:9/api?q=${LATER}
      headers: {Authorization: "Bearer ${TOKEN}"}
      body: '{"m": "${MSG}"}'
EOF
printf '#!/bin/sh\ntouch ran-deploy\n' > deploy.sh && chmod +x deploy.sh
secret=supersecret123
msg=$(printf 'a\033[2Jb\nc'"'"'d "q" %s' "$secret")
FZ_DRY_TOKEN=$secret "$FLOWZAP" run wf.fz -b wf.bindings.yaml --dry-run --set "MSG=$msg" \
    >dry.out 2>dry.err || fail "dry run exited $?: $(cat dry.err)"
[ ! -e ran-deploy ] && [ ! -e ran-secret-command ] || fail "a program ran"
[ ! -e db ] && [ ! -e .flowzap ] || fail "a journal was written"
if grep -q "$secret" dry.out dry.err; then fail "the secret's value was printed"; fi
if LC_ALL=C grep -q $'\x1b' dry.out; then fail "a raw ESC reached the output"; fi
line=$(grep '^       argv: ' dry.out) || fail "no argv line: $(cat dry.out)"
[ "$(grep -c '^       argv: ' dry.out)" -eq 1 ] || fail "the argv was split over lines"
eval "set -- ${line#       argv: }"
[ $# -eq 7 ] || fail "argv has $# words, want 7: $line"
masked=${msg//$secret/***}
[ "$1" = ./deploy.sh ] || fail "argv[0] '$1'"
[ "$2" = "--msg=$masked" ] || fail "argv[1] '$2' is not the value with the secret masked"
[ "$3" = '***' ] && [ "$4" = 'x***y' ] && [ "$5" = it ] || fail "argv[2..4]: '$3' '$4' '$5'"
[ "$6" = '***' ] || fail "a command secret (not run) shows as '$6'"
[ "$7" = '${LATER}' ] || fail "a name set later shows as '$7'"
grep -qx '       env: AUTH=Bearer \*\*\*' dry.out || fail "env line"
grep -qx '       header: Authorization: Bearer \*\*\*' dry.out || fail "header line"
grep -qx '       ! the run would refuse the url: it holds byte 0x1b' dry.out || fail "url note"
grep -qF 'POST http://127.0.0.1:9/api?q=v-a\x1b[2Jb\nc' dry.out || fail "set: value not used"
echo "ok 2 no program, no journal; hostile value and secret shown safely"

# 4. answers from a scenario, retries from the bindings
"$FLOWZAP" run "${canary[@]}" --dry-run --faults "$FZ_SRC/workflows/canary-deploy.scenario.yaml" \
    --scenario registry-down >down.out 2>down.err
rc=$?
[ $rc -eq 3 ] || fail "a failed dry run exits $rc, want 3 (as run)"
[ "$(grep -c '^n3 Push to registry' down.out)" -eq 3 ] || fail "three attempts of n3: $(cat down.out)"
grep -q '^flowzap: dry run failed: failed at n3 "Push to registry"' down.out || fail "failed outcome"
"$FLOWZAP" run "${canary[@]}" --faults x.yaml >/dev/null 2>&1
[ $? -eq 64 ] || fail "--faults without --dry-run should be a usage error"
echo "ok 3 scenario answers"

# 5. --ask: the decision typed on stdin (2 = No at n9), then end of input
printf '2\n' | "$FLOWZAP" run "${canary[@]}" --dry-run --ask >ask.out 2>ask.err
[ $? -eq 0 ] || fail "--ask exited $?: $(cat ask.err)"
grep -q '^  ? n9: 1) Yes  2) No  e) error' ask.err || fail "no prompt at n9: $(cat ask.err)"
grep -qx '   -> n9 ok (No)' ask.out || fail "n9 did not take No: $(cat ask.out)"
grep -q '^flowzap: dry run completed: End via Aborted' ask.out || fail "--ask outcome"
printf 'e\ne\n' | "$FLOWZAP" run "${canary[@]}" --dry-run --ask >ask2.out 2>&1
[ $? -eq 3 ] || fail "answering error twice (n9 has retries: 1) should fail the walk"
grep -q 'n9 error: answered error at the prompt' ask2.out || fail "error answer: $(cat ask2.out)"
echo "ok 4 --ask"
