#!/usr/bin/env bash
# test_run_terminal.sh - what reaches the terminal from labels, handler
# output, reasons and variables is shown, never obeyed: ESC [ 2J (clear
# screen), BEL, CR and OSC sequences appear as \x1b, \x07, \r in progress
# lines, `bind`, `runs` and `runs show` (--output too); the command line
# `runs show` prints is shell-quoted and pastes back to the same argv.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-term.XXXXXX)
cleanup() { [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; cat -v "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1
export FLOWZAP_DB="$work/journal.db"

ESC=$'\033'
BEL=$'\007'
CR=$'\r'
printf 'L { # L\nn1: rectangle label:"Clear%s[2J%s here%s x"\nn2: diamond label:"Noisy"\nn3: rectangle label:"Say"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left) [label="Go%s]0;pwned%s"]\n}\n' \
    "$ESC" "$BEL" "$CR" "$ESC" "$BEL" > term.fz
cat > noisy.sh <<'EOF'
#!/bin/sh
printf 'out \033[2J\007 ret\rurn\ttab\n'
printf '::set V=v\033[31mred\007\n'
printf '::outcome Go\033]0;pwned\007\n'
printf 'err \033[2J\007\r\n' >&2
exit 0
EOF
chmod +x noisy.sh
cat > b.yaml <<'EOF'
rules:
  - match: Clear
    fail: "boom ${V0}"
  - match: Noisy
    exec: [./noisy.sh]
  - match: Say
    log: "said ${V}"
EOF

"$FLOWZAP" bind term.fz --bindings b.yaml > bind.out 2>&1
# the run: n1 fails, so start at n2 and n1 separately
W=$'we\x1b[2Jird \'q\' $(x)'
"$FLOWZAP" run term.fz --bindings b.yaml --start n2 --set "V0=$W" --set "PLAIN=a b" > run.out 2>&1
[ $? -eq 0 ] || fail "run exit"
"$FLOWZAP" run term.fz --bindings b.yaml --start n1 --set "V0=$W" >> run.out 2>&1
"$FLOWZAP" runs > runs.out 2>&1
"$FLOWZAP" runs show 1 --output > show1.out 2>&1
"$FLOWZAP" runs show 2 > show2.out 2>&1

for f in bind.out run.out runs.out show1.out show2.out; do
    if LC_ALL=C grep -q "[$ESC$BEL$CR]" "$f"; then fail "$f holds a raw control character"; fi
done
grep -qF 'Clear\x1b[2J\x07 here\r x' run.out || fail "run: the label is not shown escaped"
grep -qF 'Clear\x1b[2J\x07 here\r x' bind.out || fail "bind: the label is not shown escaped"
grep -qF -- '-> "Go\x1b]0;pwned\x07"' run.out || fail "run: the outcome is not shown escaped"
grep -qF 'said v\x1b[31mred\x07' run.out || fail "run: the log line is not shown escaped"
grep -qF 'boom we\x1b[2Jird' run.out || fail "run: the reason is not shown escaped"
grep -qF '| out \x1b[2J\x07 ret\rurn' show1.out || fail "runs show --output: stdout not escaped"
grep -qF "$(printf '\\ttab')" show1.out && fail "runs show --output: a tab should stay a tab"
grep -qF '| err \x1b[2J\x07\r' show1.out || fail "runs show --output: stderr not escaped"
grep -qF 'Clear\x1b[2J\x07 here\r x' show2.out || fail "runs show: the label is not shown escaped"

# sim: labels, outcome names and scenario names in the text report,
# --find, --run K --trace and the notes are escaped as well
"$FLOWZAP" sim term.fz --runs 50 --seed 1 > sim.out 2>&1 || fail "sim exit"
"$FLOWZAP" sim term.fz --runs 50 --seed 1 --find pwned --trace find.jsonl > simfind.out 2>&1 ||
    fail "sim --find exit"
"$FLOWZAP" sim term.fz --seed 1 --run 1 --trace - > simrun.out 2>/dev/null
"$FLOWZAP" sim term.fz --seed 1 --run 1 --trace run1.jsonl > simrun2.out 2>&1
printf 'scenarios:\n  "bad\\e[2Jname": {rules: []}\n' > sc.yaml
"$FLOWZAP" sim term.fz --faults sc.yaml --runs 20 --seed 1 > simsc.out 2>&1
"$FLOWZAP" sim term.fz --faults sc.yaml --scenario "no${ESC}[2J" --runs 20 > simnosc.out 2>&1
"$FLOWZAP" sim term.fz --faults sc.yaml --all-scenarios --runs 20 --seed 1 > simall.out 2>&1
"$FLOWZAP" sim term.fz --faults sc.yaml --exact > simexact.out 2>&1
# check, fmt --check and export quote labels in messages and source lines
printf 'L { # L\nn1: circle label:"Start"\nn2: rectangle label:"Lost%s[2J%s"\nn3: circle label:"End"\nn1.handle(right) -> n3.handle(left)\nn1.handle(bottom) -> n9.handle(left)\n}\n' \
    "$ESC" "$BEL" > bad.fz
"$FLOWZAP" check bad.fz > check.out 2>&1
"$FLOWZAP" fmt --check bad.fz > fmtc.out 2>&1
"$FLOWZAP" export bad.fz > export.out 2>&1
sed -i '/n9/d' bad.fz
"$FLOWZAP" check bad.fz > check2.out 2>&1
grep -q 'n2' check2.out || fail "check: no warning about the lost node n2"
for f in sim.out simfind.out simrun.out simrun2.out simsc.out simnosc.out simall.out simexact.out check.out \
    check2.out fmtc.out export.out; do
    if LC_ALL=C grep -q "[$ESC$BEL$CR]" "$f"; then fail "$f holds a raw control character"; fi
done
grep -qF 'n1 Clear\x1b[2J\x07 here\r x' sim.out || fail "sim: the label is not shown escaped"
grep -qF 'Go\x1b]0;pwned\x07' sim.out || fail "sim: the outcome is not shown escaped"
grep -qF 'Go\x1b]0;pwned\x07"' simfind.out || fail "sim --find: the outcome is not shown escaped"
for f in simsc.out simnosc.out simall.out simexact.out; do
    grep -qF 'bad\x1b[2Jname' $f || fail "$f: the scenario name is not shown escaped"
done

# table cells cut between characters, never inside one: a label of
# two-byte characters is cut at 28 (run), 30 (bind, runs show) and 40
# (sim: id, space, label) columns, where a cut by bytes splits one
E=$(printf 'é%.0s' $(seq 40))
printf 'L { # L\nn1: circle label:"a%s"\nn2: rectangle label:"%s"\nn3: circle label:"End"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n}\n' \
    "$E" "$E" > cut.fz
printf 'rules:\n  - match: ".*"\n    log: "x"\n' > cut.yaml
"$FLOWZAP" bind cut.fz --bindings cut.yaml > cutbind.out 2>&1 || fail "bind cut.fz exit"
"$FLOWZAP" run cut.fz --bindings cut.yaml > cutrun.out 2>&1 || fail "run cut.fz exit"
"$FLOWZAP" runs show 3 > cutshow.out 2>&1 || fail "runs show cut exit"
"$FLOWZAP" sim cut.fz --runs 5 --seed 1 > cutsim.out 2>&1 || fail "sim cut.fz exit"
for f in cutbind.out cutrun.out cutshow.out cutsim.out; do
    iconv -f UTF-8 -t UTF-8 "$f" > /dev/null 2>&1 || fail "$f: a character was cut in two"
done
grep -qF "n2 $(printf 'é%.0s' $(seq 37)) " cutsim.out || fail "sim: the label is not cut at 40 columns"

# the recorded command line pastes back to the very same arguments
line=$(sed -n 's/^  command   //p' show1.out)
[ -n "$line" ] || fail "runs show: no command line"
case "$line" in *"'PLAIN=a b'"*) ;; *) fail "runs show: 'PLAIN=a b' is not quoted: $line" ;; esac
flowzap() { printf '%s\n' "$@" > pasted.args; }
eval "$line" || fail "runs show: the command line does not parse: $line"
printf '%s\n' run term.fz --bindings b.yaml --start n2 --set "V0=$W" --set "PLAIN=a b" > want.args
cmp -s pasted.args want.args || fail "runs show: pasting the command gives other arguments: $line"
echo "ok"
