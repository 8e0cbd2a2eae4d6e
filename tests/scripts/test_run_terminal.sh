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

# the recorded command line pastes back to the very same arguments
line=$(sed -n 's/^  command   //p' show1.out)
[ -n "$line" ] || fail "runs show: no command line"
case "$line" in *"'PLAIN=a b'"*) ;; *) fail "runs show: 'PLAIN=a b' is not quoted: $line" ;; esac
flowzap() { printf '%s\n' "$@" > pasted.args; }
eval "$line" || fail "runs show: the command line does not parse: $line"
printf '%s\n' run term.fz --bindings b.yaml --start n2 --set "V0=$W" --set "PLAIN=a b" > want.args
cmp -s pasted.args want.args || fail "runs show: pasting the command gives other arguments: $line"
echo "ok"
