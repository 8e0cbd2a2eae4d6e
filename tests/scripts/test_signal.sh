#!/usr/bin/env bash
# test_signal.sh - the approval gate answered by `flowzap signal` from
# another process, through the journal: yes and no take their edges; an
# answer given to a run whose process died waits for `resume`; bad answers,
# unknown nodes and finished runs are refused with distinct statuses; `runs
# show` prints who gave an answer, escaped (a hostile `who` in the journal).
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-signal.XXXXXX)
runpid=""
cleanup() {
    [ -n "$runpid" ] && kill -KILL "$runpid" 2>/dev/null
    [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1
export FLOWZAP_DB="$work/journal.db"

cat > gate.fz <<'EOF'
Release { # Release
n1: circle label:"Start"
n2: diamond label:"Promote?"
n3: rectangle label:"Promote"
n4: rectangle label:"Roll back"
n5: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left) [label="Yes"]
n2.handle(bottom) -> n4.handle(top) [label="No"]
n3.handle(right) -> n5.handle(left)
n4.handle(right) -> n5.handle(left)
}
EOF
cat > mark.sh <<'EOF'
#!/bin/sh
echo "$1" >> result
EOF
chmod +x mark.sh
cat > gate.yaml <<'EOF'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Promote\?$
    approval: promote the release?
  - match: ^Promote$
    exec: [./mark.sh, promoted]
  - match: ^Roll back$
    exec: [./mark.sh, "rolled back"]
EOF

wait_gate() { # wait_gate LOG: until the gate says it waits (30 s at most)
    local i=0
    until grep -q "waiting for approval" "$1" 2>/dev/null; do
        [ $i -lt 300 ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}
run_id() { sed -n 's/^flowzap: run \([0-9][0-9]*\) recorded in .*/\1/p' "$1" | head -1; }

# 1. yes from another process: the run goes on to Promote.
"$FLOWZAP" run gate.fz --bindings gate.yaml >yes.log 2>&1 &
runpid=$!
wait_gate yes.log || fail "the gate never waited"
id=$(run_id yes.log)
grep -q "flowzap signal $id n2 yes|no" yes.log || fail "the gate does not say how to answer it"
"$FLOWZAP" signal "$id" n2 yes >sig.log 2>&1 || fail "signal yes failed"
wait "$runpid"
st=$?
runpid=""
[ $st -eq 0 ] || fail "approved run exited $st"
[ "$(cat result)" = "promoted" ] || fail "yes did not take the Yes edge: $(cat result)"

# 2. An answer given before the gate is reached waits for it: no.
rm -f result
"$FLOWZAP" run gate.fz --bindings gate.yaml >no.log 2>&1 &
runpid=$!
wait_gate no.log || fail "second run: the gate never waited"
id2=$(run_id no.log)
"$FLOWZAP" signal "$id2" n2 no >/dev/null 2>&1 || fail "signal no failed"
wait "$runpid"
runpid=""
[ "$(cat result)" = "rolled back" ] || fail "no did not take the No edge: $(cat result)"

# 3. The run dies while the gate waits; the answer comes while it is dead;
#    resume runs the gate again, which takes it.
rm -f result
"$FLOWZAP" run gate.fz --bindings gate.yaml >dead.log 2>&1 &
runpid=$!
wait_gate dead.log || fail "third run: the gate never waited"
id3=$(run_id dead.log)
kill -KILL "$runpid"
wait "$runpid" 2>/dev/null
runpid=""
"$FLOWZAP" signal "$id3" n2 yes >/dev/null 2>&1 || fail "signal to a dead run failed"
"$FLOWZAP" resume "$id3" >resume.log 2>&1
st=$?
[ $st -eq 0 ] || fail "resume after the answer exited $st"
[ "$(cat result)" = "promoted" ] || fail "resumed gate did not take its answer"

"$FLOWZAP" runs show "$id3" >show3.log 2>&1 || fail "runs show failed"
grep -Eq "answer +yes at n2 .*taken by step 1" show3.log || fail "runs show lacks the answer"
grep -q " by .*taken by step" show3.log && fail "runs show names someone for flowzap signal's answer"
# who answered (flowzap serve records it) is shown, escaped: a name holding
# ESC [ 2 J, BEL and a bidirectional override is written, not obeyed
command -v sqlite3 >/dev/null || fail "no sqlite3 shell (scripts/install-deps.sh installs it)"
sqlite3 "$FLOWZAP_DB" "UPDATE signals SET who = 'eve' || char(27) || '[2J' || char(7) ||
  char(8238) || 'x' WHERE run = $id3" || fail "cannot set who in the journal"
"$FLOWZAP" runs show "$id3" >who.log 2>&1 || fail "runs show with a who failed"
if LC_ALL=C grep -q $'[\e\a]' who.log; then fail "runs show: raw control bytes from who"; fi
grep -qF 'given ' who.log || fail "runs show lost the answer line"
grep -qF ' by eve\x1b[2J\x07\u202ex, taken by step 1' who.log ||
    fail "runs show: who is missing or not escaped: $(grep answer who.log)"
"$FLOWZAP" runs show "$id3" --json >who.json 2>&1 || fail "runs show --json with a who failed"
if LC_ALL=C grep -q $'[\e\a]' who.json; then fail "runs show --json: raw control bytes"; fi
grep -qF '"given_by": "eve\u001B[2J\u0007' who.json ||
    fail "runs show --json: given_by missing: $(grep -A3 answers who.json)"

# 4. Two runs writing the journal at once, each waiting at its gate,
#    answered in the other order: each takes its own answer.
rm -f result
"$FLOWZAP" run gate.fz --bindings gate.yaml >par1.log 2>&1 &
p1=$!
"$FLOWZAP" run gate.fz --bindings gate.yaml >par2.log 2>&1 &
p2=$!
wait_gate par1.log && wait_gate par2.log || fail "parallel runs: a gate never waited"
a=$(run_id par1.log)
b=$(run_id par2.log)
[ "$a" != "$b" ] || fail "two runs got the same id"
"$FLOWZAP" signal "$b" n2 no >/dev/null 2>&1 || fail "signal to the second run failed"
"$FLOWZAP" signal "$a" n2 yes >/dev/null 2>&1 || fail "signal to the first run failed"
wait "$p1" || fail "first parallel run failed"
wait "$p2" || fail "second parallel run failed"
grep -q "completed: End via Yes" par1.log || fail "first parallel run did not take yes"
grep -q "completed: End via No" par2.log || fail "second parallel run did not take no"

# 4. Refusals.
"$FLOWZAP" signal "$id" n2 yes >done.log 2>&1
st=$?
[ $st -eq 5 ] || fail "signal to a finished run exited $st, want 5"
grep -q "already completed" done.log || fail "finished-run refusal unclear"
"$FLOWZAP" signal 999 n2 yes >unknown.log 2>&1
[ $? -eq 5 ] || fail "signal to an unknown run: want 5"
"$FLOWZAP" signal "$id" n2 maybe >maybe.log 2>&1
[ $? -eq 2 ] || fail "answer 'maybe': want 2"
"$FLOWZAP" run gate.fz --bindings gate.yaml >typo.log 2>&1 &
runpid=$!
wait_gate typo.log || fail "fourth run: the gate never waited"
id4=$(run_id typo.log)
"$FLOWZAP" signal "$id4" n22 yes >typo-sig.log 2>&1
[ $? -eq 2 ] || fail "signal to a node the workflow lacks: want 2"
grep -q "has no node 'n22'" typo-sig.log || fail "unknown-node message unclear"
# a node name holding ESC [ 2J and BEL is shown escaped, not obeyed
"$FLOWZAP" signal "$id4" $'n2\e[2J\a' yes >esc-sig.log 2>&1
[ $? -eq 2 ] || fail "signal to a node named with escapes: want 2"
if LC_ALL=C grep -q $'[\e\a]' esc-sig.log; then fail "signal: raw control bytes in the message"; fi
grep -qF "has no node 'n2\x1b[2J\x07'" esc-sig.log || fail "signal: the node name is not escaped"
"$FLOWZAP" signal "$id4" n2 no >/dev/null 2>&1 || fail "signal no failed"
wait "$runpid"
runpid=""
"$FLOWZAP" signal "$id4" >usage.log 2>&1
[ $? -eq 64 ] || fail "signal without node and answer: want 64"

echo "ok: approval gates answered yes, no, and across a crash and resume"
