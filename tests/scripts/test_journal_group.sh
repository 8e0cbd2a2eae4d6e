#!/usr/bin/env bash
# test_journal_group.sh - grouped commits on the run path (docs/journal.md,
# "Grouped commits"): a step's finish and the start it leads to are one
# transaction, so a chain costs one journal commit (one fdatasync on SQLite
# FULL) per step, not two. Counted with strace on chains of 10 and 20
# steps: the difference is the 10 steps' share. The run's steps are all
# recorded, and the progress log and the trace are whole and in order.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-journal-group.XXXXXX)
trap '[ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
command -v strace >/dev/null || fail "strace is not installed (scripts/install-deps.sh)"
cd "$work" || exit 1
for n in 10 20; do
    {
        echo "Chain { # Chain"
        for i in $(seq 1 "$n"); do echo "n$i: rectangle label:\"Step $i\""; done
        for i in $(seq 2 "$n"); do echo "n$((i - 1)).handle(right) -> n$i.handle(left)"; done
        echo "}"
    } > c$n.fz
done
printf 'version: 1\nrules:\n  - match: .\n    noop:\n' > noop.yaml

# A first run creates the journal (its schema's commits are not counted).
"$FLOWZAP" run c10.fz --bindings noop.yaml --db j.db -q >first.log 2>&1 || fail "first run failed"
# LeakSanitizer cannot run under ptrace: leaks are checked by the plain
# runs (first, and runs show) and the other tests, not under strace.
syncs() {
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=fsync,fdatasync -o "strace$1.log" \
        "$FLOWZAP" run "c$1.fz" --bindings noop.yaml --db j.db --trace "trace$1.jsonl" \
        >"run$1.log" 2>&1 || fail "run of $1 steps failed"
    grep -cE '^[0-9]+ +(fsync|fdatasync)\(|^(fsync|fdatasync)\(' "strace$1.log"
}
s10=$(syncs 10)
s20=$(syncs 20)
per10=$((s20 - s10))
echo "fdatasync+fsync: 10 steps $s10, 20 steps $s20: $per10 for 10 steps"
[ "$per10" -ge 9 ] || fail "strace saw $per10 syncs for 10 more steps: not counting the commits"
[ "$per10" -le 11 ] || fail "10 more steps cost $per10 syncs: more than one commit per step"

# Every step recorded, the run completed; progress and trace whole.
grep -q "completed: Step 20 (20 steps" run20.log || fail "the 20-step run did not complete"
[ "$(grep -c ' started$' run20.log)" = 20 ] || fail "progress: not 20 start lines"
[ "$(grep -cE ' ok +[0-9.]+ms$' run20.log)" = 20 ] || fail "progress: not 20 finish lines"
# Each finish line follows its own start line and precedes the next start.
awk '/ started$/ {s++; if (s != f + 1) exit 1} / ok +[0-9.]+ms$/ {f++; if (f != s) exit 1}' run20.log ||
    fail "progress lines out of order"
"$FLOWZAP" runs show 3 --db j.db >show.log 2>&1 || fail "runs show failed"
grep -q completed show.log || fail "run 3 is not recorded as completed"
[ "$(grep -c '"ev":"finish"' trace20.jsonl)" = 20 ] ||
    fail "the trace lacks finishes"
echo "ok"
