#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_input_checks.sh - hostile input at every command (issue 9, items 11
# and 15 and the smaller input checks): invalid UTF-8 in a .fz file is E027
# for check, render, bind, run, sim and export alike; CR-only files say so;
# `--set` refuses bad names and values; `runs show --json` stays valid
# JSON when a step printed bytes that are not UTF-8; a PCRE2 limit names
# the rule, the node and the limit; every number option and variable
# takes digits only (no sign, space, hex or empty value).
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
expect() { # expect WANT_STATUS GOT_STATUS WHAT
    [ "$1" = "$2" ] || fail "$3: exit status $2, expected $1"
}
export NO_COLOR=1
cd "$T" || exit 1

cat > ok.yaml <<'YAML'
rules:
  - {shape: circle, noop: }
  - match: "^Deploy (.*)$"
    log: "deploying ${1}"
YAML
cat > ok.scen.yaml <<'YAML'
scenarios:
  - name: base
    defaults: {latency: {fixed: 1ms}}
YAML

#--- Item 11: invalid UTF-8 in a label is an error for every command -------
printf 'Ops { # Ops\nn1: circle label:"Start"\nn2: rectangle label:"Deploy \xff\xfe app"\nn3: circle label:"End"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n}\n' > bad.fz
for cmd in "check bad.fz" "render bad.fz -o bad.svg" "bind bad.fz -b ok.yaml" \
    "run bad.fz -b ok.yaml --no-journal" "sim bad.fz --faults ok.scen.yaml --runs 10" \
    "export bad.fz" "fmt bad.fz"; do
    # shellcheck disable=SC2086
    "$FLOWZAP" $cmd > out.txt 2> err.txt
    expect 2 $? "$cmd"
    grep -q 'bad.fz:3:29: error: byte 0xff is not valid UTF-8.*\[E027\]' err.txt ||
        fail "$cmd: no E027 at 3:29: $(head -3 err.txt)"
done
[ -e bad.svg ] && fail "render wrote an SVG for an invalid file"
# The source line under the message shows U+FFFD, not the raw bytes.
"$FLOWZAP" check bad.fz 2> err.txt
grep -q $'Deploy \xef\xbf\xbd\xef\xbf\xbd app' err.txt || fail "source line not repaired"
if grep -q $'\xff' err.txt; then fail "raw 0xff reached the terminal"; fi

# A message quoting a long token of two-byte characters stays JSON.
printf 'A {\nn1: circle\nn1.handle(right) -> n1.handle(left) "%s"\n}\n' \
    "$(python3 -c 'print("\u00e9" * 40)')" > cut.fz
"$FLOWZAP" check cut.fz --json > cut.json 2> err.txt
expect 2 $? "check --json with a long quoted token"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["code"] == "E001", d' cut.json ||
    fail "check --json: $(cat cut.json err.txt)"

# `bind` cuts a long label for its table between characters.
printf 'A { # A\nn1: circle label:"x%s"\n}\n' "$(python3 -c 'print("\u00e9" * 40)')" > cutb.fz
printf 'rules:\n  - noop:\n' > noop.yaml
"$FLOWZAP" bind cutb.fz -b noop.yaml > bind.out 2> err.txt
expect 0 $? "bind with a long label"
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' bind.out ||
    fail "bind cut a label inside a character: $(cat bind.out)"

#--- CR-only line endings ----------------------------------------------------
printf 'Ops { # Ops\rn1: circle label:"Start"\r}\r' > cr.fz
"$FLOWZAP" check cr.fz 2> err.txt
expect 2 $? "check cr.fz"
grep -q 'cr.fz:1:12: error: lines end with a lone CR.*\[E028\]' err.txt || fail "no E028: $(cat err.txt)"
[ "$(grep -c error: err.txt)" = 1 ] || fail "CR-only file gave more than one error"

#--- --set names and values ---------------------------------------------------
printf 'Ops { # Ops\nn1: circle label:"Start"\nn2: rectangle label:"Deploy app"\nn3: circle label:"End"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n}\n' > good.fz
setcase() { # setcase ARG WANT_IN_MESSAGE
    "$FLOWZAP" run good.fz -b ok.yaml --no-journal -q --set "$1" > /dev/null 2> err.txt
    expect 64 $? "--set $(printf '%q' "$1")"
    grep -qF -- "$2" err.txt || fail "--set $(printf '%q' "$1"): message lacks '$2': $(cat err.txt)"
}
setcase 'A B=x' "--set 'A B': a variable name is letters, digits and '_'"
setcase $'A\nB=x' "--set 'A\\nB'"
setcase $'K\e[31m=x' "--set 'K\\x1b[31m'"
setcase '1A=x' "not starting with a digit"
setcase '=x' "the name before '=' is empty"
setcase 'noeq' "takes KEY=VALUE"
setcase $'X=a\xffb' "the value is not valid UTF-8 (byte 0xff at offset 1)"
# bind reads --set the same way and names itself, not run, in the message.
"$FLOWZAP" bind good.fz -b ok.yaml --set noeq > /dev/null 2> err.txt
expect 64 $? "bind --set noeq"
grep -qx "flowzap bind: --set takes KEY=VALUE, not 'noeq'" err.txt || fail "bind --set message: $(cat err.txt)"
"$FLOWZAP" run good.fz -b ok.yaml --no-journal -q --set $'GOOD_1=two\nlines' > /dev/null 2> err.txt
expect 0 $? "--set with a newline in the value"

#--- runs show --json when a step printed bytes that are not UTF-8 ---------
cat > out.fz <<'FZ'
Ops { # Ops
n1: circle label:"Start"
n2: rectangle label:"Emit bytes"
n3: rectangle label:"Use it"
n4: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
FZ
echo '}' >> out.fz
cat > out.yaml <<'YAML'
rules:
  - {shape: circle, noop: }
  - match: "^Emit"
    shell: "printf 'caf\\351 \\377\\n::set X=a\\377b\\n'; printf 'err \\376\\n' >&2; exit 1"
  - match: "^Use"
    exec: [printf, "%s", "${X}"]
YAML
"$FLOWZAP" run out.fz -b out.yaml --db runs.db -q --trace trace.jsonl > /dev/null 2> err.txt
python3 - trace.jsonl <<'PY' || fail "trace: $(cat trace.jsonl)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
reasons = [l["reason"] for l in lines if "reason" in l]
assert any(r.endswith("err \ufffd") for r in reasons), reasons
PY
"$FLOWZAP" runs show 1 --db runs.db --json --output > show.json 2> err.txt
expect 0 $? "runs show --json --output"
python3 - show.json <<'PY' || fail "runs show --json: $(head -c 300 show.json) $(cat err.txt)"
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["node"]: x for x in d["steps"]}
assert s["n2"]["stdout"] == "caf\ufffd \ufffd\n::set X=a\ufffdb\n", s["n2"]["stdout"]
assert s["n2"]["stderr"] == "err \ufffd\n", s["n2"]["stderr"]
assert s["n2"]["reason"].endswith("err \ufffd"), s["n2"]["reason"]
# The variable is kept (repaired), not dropped from the journal.
assert s["n2"]["vars"] == {"X": "a\ufffdb"}, s["n2"]["vars"]
PY

#--- Item 15: PCRE2 limits name the rule, the node and the limit ----------
python3 - <<'PY'
a = "a" * 5000 + "bc"
ab = "Deploy " + "ab" * 5000
with open("long.fz", "w") as f:
    f.write('Ops { # Ops\nn1: circle label:"Start"\nn2: rectangle label:"%s"\n'
            'n3: rectangle label:"%s"\nn4: circle label:"End"\n'
            'n1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n'
            'n3.handle(right) -> n4.handle(left)\n}\n' % (a, ab))
PY
cat > limit.yaml <<'YAML'
rules:
  - {shape: circle, noop: }
  - match: "^(a|a)*b$"
    noop:
  - noop:
YAML
for cmd in bind run; do
    extra=""
    [ "$cmd" = run ] && extra="--no-journal"
    # shellcheck disable=SC2086
    "$FLOWZAP" $cmd long.fz -b limit.yaml $extra > /dev/null 2> err.txt
    expect 2 $? "$cmd with a pattern past PCRE2's match limit"
    grep -q "limit.yaml:3:5: error: rule 2: matching node n2 (long.fz:3:1, a label of 5002 bytes) stopped: the pattern reached PCRE2's match limit (10000000 backtracking steps) \[B003\]" err.txt ||
        fail "$cmd: no B003 naming rule, node and limit: $(cat err.txt)"
done
cat > limit.scen.yaml <<'YAML'
rules:
  - match: "^(a|a)*b$"
    latency: 1ms
YAML
"$FLOWZAP" sim long.fz --faults limit.scen.yaml --runs 10 --seed 1 > /dev/null 2> err.txt
expect 2 $? "sim with a pattern past PCRE2's match limit"
grep -q "limit.scen.yaml:2:13: error: 'match': matching node n2 (long.fz:3:1, a label of 5002 bytes) stopped: the pattern reached PCRE2's match limit.*\[S007\]" err.txt ||
    fail "sim: no S007: $(cat err.txt)"
grep -q "limit.scen.yaml: 1 error" err.txt || fail "sim: error count: $(cat err.txt)"
# A long but ordinary label (10,000 characters) binds, and its capture runs.
cat > long.yaml <<'YAML'
rules:
  - {shape: circle, noop: }
  - match: "^Deploy ((a)|(b))*$"
    log: "last ${1}"
  - noop:
YAML
"$FLOWZAP" run long.fz -b long.yaml --no-journal > /dev/null 2> err.txt
expect 0 $? "run with a 10,000-character label"
grep -q "last b" err.txt || fail "the long label's capture did not reach the step: $(tail -3 err.txt)"

#--- Bindings and scenario files: one document, not empty, no null items ---
printf 'rules:\n  - noop:\n---\nrules:\n  - fail: boom\n' > two.yaml
"$FLOWZAP" bind good.fz -b two.yaml > /dev/null 2> err.txt
expect 2 $? "bindings with a second document"
grep -q 'two.yaml:3:1: error: a second YAML document starts here.*\[B004\]' err.txt || fail "no B004: $(cat err.txt)"
: > empty.yaml
"$FLOWZAP" bind good.fz -b empty.yaml > /dev/null 2> err.txt
expect 2 $? "empty bindings"
grep -q 'empty.yaml:1:1: error: the bindings file is empty \[B002\]' err.txt || fail "no B002: $(cat err.txt)"
printf 'rules:\n  - exec: [~]\n' > null.yaml
"$FLOWZAP" bind good.fz -b null.yaml > /dev/null 2> err.txt
expect 2 $? "exec: [~]"
grep -q "null.yaml:2:12: error: 'exec' must be a string, found nothing \[B001\]" err.txt || fail "exec [~]: $(cat err.txt)"
printf 'rules:\n  - match: x\n    latency: 1ms\n---\nrules: []\n' > two.scen.yaml
"$FLOWZAP" sim good.fz --faults two.scen.yaml --runs 10 > /dev/null 2> err.txt
expect 2 $? "scenario file with a second document"
grep -q 'two.scen.yaml:4:1: error: a second YAML document starts here.*\[S008\]' err.txt || fail "no S008: $(cat err.txt)"

#--- A command line that is not UTF-8 cannot be recorded: refused, not cut --
cp good.fz "$(printf 'w\xe9.fz')"
"$FLOWZAP" run "$(printf 'w\xe9.fz')" -b ok.yaml --db runs.db -q > /dev/null 2> err.txt
expect 64 $? "run of a file whose name is not UTF-8, with the journal"
grep -q "argument 1 is not UTF-8 text" err.txt || fail "no message for a non-UTF-8 argument: $(cat err.txt)"
"$FLOWZAP" run "$(printf 'w\xe9.fz')" -b ok.yaml --no-journal -q > /dev/null 2> err.txt
expect 0 $? "run of a file whose name is not UTF-8, without the journal"

#--- Number options and variables: digits only --------------------------------
# Every whole-number option and variable takes decimal digits only: no
# sign, white space, hex or empty value (docs/cli.md); decimal ones
# (seconds, shares) digits with an optional fraction. A refusal is one
# line naming the option, the value escaped, exit 64.
printf 'rules:\n  - noop:\n' > noop.yaml
"$FLOWZAP" run good.fz -b noop.yaml --db nums.db -q > /dev/null 2> err.txt
expect 0 $? "run for the number checks"
wf="$FZ_SRC/workflows/canary-deploy.fz"
sc="$FZ_SRC/workflows/canary-deploy.scenario.yaml"
numbad() { # numbad VALUE WANT_IN_MESSAGE ARGS... (@V@ in ARGS is VALUE)
    local val=$1 want=$2 a
    shift 2
    local args=()
    for a in "$@"; do args+=("${a//@V@/$val}"); done
    "$FLOWZAP" "${args[@]}" > /dev/null 2> err.txt
    local st=$? what
    what="$(printf '%q ' "${args[@]}")"
    [ "$st" = 64 ] || fail "$what: exit status $st, expected 64: $(head -2 err.txt)"
    grep -qF -- "$want" err.txt || fail "$what: message lacks '$want': $(cat err.txt)"
    [ "$(wc -l < err.txt)" = 1 ] || fail "$what: not one line: $(cat err.txt)"
    if grep -q $'\e' err.txt; then fail "$what: an escape byte reached the terminal"; fi
}
for v in " 5" "5 " "+5" "-1" "0x10" "" $'5\n' 123456789012345678901234567890 $'5\e[2J'; do
    FLOWZAP_APPROVAL_POLL_MS=$v numbad "$v" "FLOWZAP_APPROVAL_POLL_MS is a number of milliseconds" \
        run good.fz -b noop.yaml --db nums.db -q
    FLOWZAP_PG_CONNECT_TIMEOUT=$v numbad "$v" "FLOWZAP_PG_CONNECT_TIMEOUT is a number of seconds" \
        runs --db nums.db
    JOB_COMPLETION_INDEX=$v numbad "$v" "JOB_COMPLETION_INDEX is" \
        sim "$wf" --faults "$sc" --runs 10 --json out.json --shard auto/4
    numbad "$v" "--max-steps" run good.fz -b noop.yaml --no-journal -q --max-steps @V@
    numbad "$v" "--limit" runs --db nums.db --limit @V@
    id="a run id"
    [ "$v" = -1 ] && id="unknown option '-1'"
    numbad "$v" "$id" resume --db nums.db @V@
    numbad "$v" "--runs" sim "$wf" --faults "$sc" --runs @V@
    numbad "$v" "--min-coverage" sim "$wf" --faults "$sc" --min-coverage @V@
    numbad "$v" "--shard" sim "$wf" --faults "$sc" --json out.json --shard 1/@V@
    numbad "$v" "--poll" worker --db nums.db --poll @V@
done
# Every other number option, with a few of them (one parser reads them all).
for v in " 5" "+5" $'5\n'; do
    numbad "$v" "--seed" run good.fz -b noop.yaml --dry-run --seed @V@
    numbad "$v" "'" runs --db nums.db show @V@
    numbad "$v" "not a run id" signal --db nums.db @V@ n2 yes
    for o in seed threads run paths; do
        numbad "$v" "--$o" sim "$wf" --faults "$sc" "--$o" @V@
    done
    numbad "$v" "--shard" sim "$wf" --faults "$sc" --json out.json --shard @V@/4
    numbad "$v" "--shard auto/N" sim "$wf" --faults "$sc" --json out.json --shard auto/@V@
    for o in seed runs max-runs min-coverage; do
        numbad "$v" "--$o" test "$wf" "--$o" @V@
    done
    for o in lease exit-idle concurrency; do
        numbad "$v" "--$o" worker --db nums.db "--$o" @V@
    done
    numbad "$v" "--listen" serve --db nums.db --listen "127.0.0.1:@V@"
done
# Each message names what the option takes (a count is no seconds) and
# its range, also for a value of the right kind out of that range.
numwhat() { # numwhat VALUE WANT NOT_WANT ARGS...
    local val=$1 nowant=$3
    numbad "$val" "$2" "${@:4}"
    if [ -n "$nowant" ] && grep -qF -- "$nowant" err.txt; then
        fail "$*: message says '$nowant': $(cat err.txt)"
    fi
}
for v in x 1.5 0 257 -3 $'4\e[2J' "4'; DROP TABLE runs;--"; do
    numwhat "$v" "--concurrency takes a count (runs at once), a whole number from 1 to 256, not '" \
        seconds worker --db nums.db --concurrency @V@
done
for v in x 0 86401 $'4\e[2J' 1e3; do
    for o in lease poll exit-idle; do
        numwhat "$v" "--$o takes a number of seconds, more than 0 and at most 86400, not '" "" \
            worker --db nums.db "--$o" @V@
    done
done
numwhat 4294967296 "--max-steps takes a number of steps from 1 to 4294967295" "" \
    run good.fz -b noop.yaml --no-journal -q --max-steps @V@
numwhat 4294967296 "--limit takes a number of runs from 0 (all) to 4294967295" "" \
    runs --db nums.db --limit @V@
numwhat 9223372036854775808 "--runs needs a whole number from 1 to 2^63-1" "" \
    sim "$wf" --faults "$sc" --runs @V@
numwhat 100001 "--paths needs a whole number from 0 to 100000" "" sim "$wf" --faults "$sc" --paths @V@
# inf, nan and exponents are no seconds or shares either.
for v in inf nan 1e2 .; do
    numbad "$v" "--poll" worker --db nums.db --poll @V@
    numbad "$v" "--min-coverage" sim "$wf" --faults "$sc" --min-coverage @V@
done
# The digits themselves still do.
FLOWZAP_APPROVAL_POLL_MS=5 FLOWZAP_PG_CONNECT_TIMEOUT=5 \
    "$FLOWZAP" run good.fz -b noop.yaml --db nums.db -q --max-steps 10 > /dev/null 2> err.txt
expect 0 $? "run with FLOWZAP_APPROVAL_POLL_MS=5 --max-steps 10: $(cat err.txt)"
"$FLOWZAP" runs --db nums.db --limit 0 > out.txt 2> err.txt
expect 0 $? "runs --limit 0"
[ "$(grep -c '^[0-9]' out.txt)" = 2 ] || fail "runs --limit 0 did not list both runs: $(cat out.txt)"
"$FLOWZAP" runs --db nums.db show 2 > out.txt 2> err.txt
expect 0 $? "runs show 2"
"$FLOWZAP" sim "$wf" --faults "$sc" --runs 10 --seed 007 --threads 2 --paths 3 --json out.json \
    --shard 1/4 --min-coverage 0% > /dev/null 2> err.txt
expect 0 $? "sim with whole numbers and a share: $(cat err.txt)"
"$FLOWZAP" sim "$wf" --faults "$sc" --runs 10 --seed 1 --min-coverage .5 > /dev/null 2> err.txt
expect 0 $? "sim --min-coverage .5: $(cat err.txt)"
JOB_COMPLETION_INDEX=3 "$FLOWZAP" sim "$wf" --faults "$sc" --runs 10 --json out.json \
    --shard auto/4 > /dev/null 2> err.txt
expect 0 $? "sim --shard auto/4 with JOB_COMPLETION_INDEX=3: $(cat err.txt)"
"$FLOWZAP" test "$wf" --runs 5 --max-runs 10 --seed 3 --min-coverage 50% > /dev/null 2> err.txt
[ $? != 64 ] || fail "test refused whole numbers and a share: $(cat err.txt)"

[ "$fails" = 0 ] && echo "ok: input checks"
exit "$fails"
