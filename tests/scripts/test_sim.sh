#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sim.sh - `flowzap sim` end to end: the report, exit statuses, scenario
# errors with file:line:col, replay traces, --find, --exact, shards + merge,
# --all-scenarios and --min-coverage. Env: FLOWZAP, FZ_SRC.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$FZ_SRC"
wf=workflows/canary-deploy.fz
sc=workflows/canary-deploy.scenario.yaml

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: exit $3, expected $2"
        fail=1
    fi
}
contains() { # contains NAME FILE TEXT
    if ! grep -qF -- "$3" "$2"; then
        echo "FAIL: $1: '$3' not in output:"
        sed 's/^/    /' "$2" | head -20
        fail=1
    fi
}

# A study prints outcomes, durations, nodes, paths, faults and coverage.
"$FLOWZAP" sim $wf --faults $sc --scenario flaky-registry --runs 5000 --seed 42 >"$tmp/out" 2>"$tmp/err"
check study 0 $?
for t in "5000 runs, seed 42" "End via Success" "95% CI" "p50" "n3 Push to registry" \
         "Most common paths" "Injected faults by outcome" "Coverage: nodes 20/20"; do
    contains study "$tmp/out" "$t"
done

# Same seed, other thread counts: identical JSON.
"$FLOWZAP" sim $wf --faults $sc --scenario monitoring-outage --runs 20000 --seed 3 --threads 1 -q --json "$tmp/t1.json"
"$FLOWZAP" sim $wf --faults $sc --scenario monitoring-outage --runs 20000 --seed 3 --threads 3 -q --json "$tmp/t3.json"
cmp -s "$tmp/t1.json" "$tmp/t3.json" || { echo "FAIL: threads change the report"; fail=1; }

# Without --seed, one is picked and printed.
"$FLOWZAP" sim $wf --faults $sc --runs 100 >/dev/null 2>"$tmp/err"
contains seed "$tmp/err" "pass --seed"

# Shards + merge equal the whole study.
for i in 0 1 2 3; do
    "$FLOWZAP" sim $wf --faults $sc --scenario monitoring-outage --runs 20000 --seed 3 \
        --shard $i/4 -q --json "$tmp/part$i.json" || fail=1
done
"$FLOWZAP" sim merge "$tmp/part3.json" "$tmp/part1.json" "$tmp/part0.json" "$tmp/part2.json" \
    -o "$tmp/merged.json" -q
check merge 0 $?
cmp -s "$tmp/t1.json" "$tmp/merged.json" || { echo "FAIL: merged shards differ from one study"; fail=1; }
"$FLOWZAP" sim merge "$tmp/part0.json" "$tmp/part0.json" -o "$tmp/m2.json" -q 2>"$tmp/err"
check merge-twice 2 $?
contains merge-twice "$tmp/err" "each part once"

# Replay: a trace in the run format, the same twice.
"$FLOWZAP" sim $wf --faults $sc --scenario flaky-registry --seed 42 --run 7 --trace "$tmp/a.jsonl" >"$tmp/out"
check replay 0 $?
"$FLOWZAP" sim $wf --faults $sc --scenario flaky-registry --seed 42 --run 7 --trace "$tmp/b.jsonl" >/dev/null
cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" || { echo "FAIL: replay differs"; fail=1; }
contains replay "$tmp/a.jsonl" '"backend":"sim"'
contains replay "$tmp/a.jsonl" '"ev":"end"'
contains replay "$tmp/out" "run 7:"

# --find: the smallest story, as a command and a trace; nothing found is 7.
"$FLOWZAP" sim $wf --faults $sc --scenario registry-no-retries --seed 1 --runs 5000 \
    --find failed --trace "$tmp/f.jsonl" -q --json /dev/null >"$tmp/out"
check find 0 $?
contains find "$tmp/out" "fewest injected faults (1)"
contains find "$tmp/out" "--run "
contains find "$tmp/f.jsonl" '"state":"failed"'
"$FLOWZAP" sim $wf --faults $sc --scenario metrics-flapping --seed 1 --runs 500 \
    --find "no such outcome" >/dev/null 2>&1
check find-none 7 $?

# A failed replayed run exits 3.
k=$(sed -n 's/.*fewest injected faults (1): run \([0-9]*\).*/\1/p' "$tmp/out")
"$FLOWZAP" sim $wf --faults $sc --scenario registry-no-retries --seed 1 --run "$k" --trace /dev/null >/dev/null
check replay-failed 3 $?

# --exact: 68.4% success by hand.
"$FLOWZAP" sim $wf --faults $sc --scenario metrics-flapping --exact >"$tmp/out"
check exact 0 $?
contains exact "$tmp/out" "68.40000000%"
"$FLOWZAP" sim $wf --faults $sc --scenario monitoring-outage --exact >/dev/null 2>"$tmp/err"
check exact-time 2 $?
contains exact-time "$tmp/err" "depends on time"

# --all-scenarios compares side by side.
"$FLOWZAP" sim $wf --faults $sc --all-scenarios --runs 2000 --seed 5 >"$tmp/out"
check all 0 $?
contains all "$tmp/out" "Scenarios compared"
contains all "$tmp/out" "scripted-push"

# --min-coverage: a scenario that never fails the push leaves edges untaken? The
# canary's paths all end at End; a scenario where every check says Yes misses
# the rollback branch.
cat >"$tmp/allyes.yaml" <<'YAML'
rules:
  - match: "\\?$"
    weights: {Yes: 1, No: 0}
YAML
"$FLOWZAP" sim $wf --faults "$tmp/allyes.yaml" --runs 100 --seed 1 --min-coverage 90% >"$tmp/out" 2>"$tmp/err"
check coverage 4 $?
contains coverage "$tmp/out" "never visited: n11 n20"
contains coverage "$tmp/err" "below --min-coverage"

# Scenario errors: file:line:col, the field, a distinct status.
cat >"$tmp/bad.yaml" <<'YAML'
defaults:
  latency: {gaussian: 3s}
rules:
  - match: "^Push"
    eror: 0.1
  - match: "(unclosed"
YAML
"$FLOWZAP" sim $wf --faults "$tmp/bad.yaml" --seed 1 >/dev/null 2>"$tmp/err"
check bad-scenario 2 $?
contains bad-scenario "$tmp/err" "bad.yaml:2:13: error: unknown distribution 'gaussian'"
contains bad-scenario "$tmp/err" "bad.yaml:5:5: error: unknown field 'eror' in a rule"
contains bad-scenario "$tmp/err" "bad.yaml:6:13: error: 'match': bad pattern"
contains bad-scenario "$tmp/err" "3 errors"

# A rule matching no node is a warning, and the study runs.
cat >"$tmp/warn.yaml" <<'YAML'
rules:
  - match: "^Deploy to mars$"
    error: 1
YAML
"$FLOWZAP" sim $wf --faults "$tmp/warn.yaml" --seed 1 --runs 100 >/dev/null 2>"$tmp/err"
check warn 0 $?
contains warn "$tmp/err" "warn.yaml:2:5: warning: this rule matches no node"
contains warn "$tmp/err" "picked uniformly"

# Usage errors and unreadable files.
# No --faults: the scenario "default" (an empty scenario file): no time,
# ok everywhere, each decision uniform over its distinct labels. The same
# report as an empty file, or one with only comments, gives.
"$FLOWZAP" sim $wf --seed 1 --runs 4000 >"$tmp/nf.out" 2>"$tmp/nf.err"
check no-faults 0 $?
contains no-faults "$tmp/nf.out" 'under scenario "default" of (no --faults): 4000 runs'
contains no-faults "$tmp/nf.out" "Coverage: nodes 20/20 (100.0%), edges 22/22 (100.0%)"
contains no-faults "$tmp/nf.out" "p50 0us  p90 0us  p99 0us  max 0us"
contains no-faults-note "$tmp/nf.err" "3 decisions pick a label uniformly"
: >"$tmp/empty.yaml"
printf '# nothing yet\n\n' >"$tmp/comments.yaml"
for f in empty comments; do
    "$FLOWZAP" sim $wf --faults "$tmp/$f.yaml" --seed 1 --runs 4000 >"$tmp/$f.out" 2>/dev/null
    check "$f-scenario-file" 0 $?
    diff <(sed 1d "$tmp/nf.out") <(sed 1d "$tmp/$f.out") >/dev/null ||
        { echo "FAIL: $f scenario file differs from no --faults"; fail=1; }
done
# Exactly: Metrics healthy? (Yes/No) 1/2 to roll back, Still healthy? 1/2,
# All metrics pass? 1/2: 75% Aborted, 12.5% each for Success and Rolled back.
"$FLOWZAP" sim $wf --exact >"$tmp/nf.exact" 2>/dev/null
check no-faults-exact 0 $?
contains no-faults-exact "$tmp/nf.exact" "End via Aborted                                       75.00000000%"
contains no-faults-exact "$tmp/nf.exact" "End via Success                                       12.50000000%"
"$FLOWZAP" sim $wf --seed 1 --runs 200 --find Success >"$tmp/nf.find" 2>/dev/null
contains no-faults-replay "$tmp/nf.find" "flowzap sim $wf --seed 1 --run "
"$FLOWZAP" sim $wf --seed 1 --scenario nope >/dev/null 2>"$tmp/err"
check no-faults-unknown-scenario 2 $?
contains no-faults-unknown-scenario "$tmp/err" "it has: default"
"$FLOWZAP" sim $wf --faults $sc --runs zero >/dev/null 2>&1
check bad-runs 64 $?
"$FLOWZAP" sim $wf --faults "$tmp/missing.yaml" >/dev/null 2>&1
check missing 74 $?
"$FLOWZAP" sim $wf --faults $sc --scenario nope --seed 1 >/dev/null 2>"$tmp/err"
check unknown-scenario 2 $?
contains unknown-scenario "$tmp/err" "flaky-registry"
"$FLOWZAP" sim --help >"$tmp/out"
check help 0 $?
contains help "$tmp/out" "--min-coverage"

exit $fail
