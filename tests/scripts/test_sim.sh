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

# K parallel 50/50 decisions (3K+1 nodes): each combination of answers is a
# path. --exact lists 2^K outcomes in time linear in them, and refuses at
# once, naming the branches, when 2^K passes its path limit (20 branches
# ran for minutes before).
gen_parallel() { # gen_parallel K FILE
    {
        echo 'P { # Parallel'
        echo 'n1: circle label:"Start"'
        for i in $(seq 1 "$1"); do
            d=$((i + 1)) a=$(($1 + 2 * i)) b=$(($1 + 2 * i + 1))
            echo "n$d: diamond label:\"Check $i?\""
            echo "n$a: circle label:\"Pass $i\""
            echo "n$b: circle label:\"Fail $i\""
            echo "n1.handle(right) -> n$d.handle(left)"
            echo "n$d.handle(right) -> n$a.handle(left) [label=\"Yes\"]"
            echo "n$d.handle(bottom) -> n$b.handle(top) [label=\"No\"]"
        done
        echo '}'
    } >"$2"
}
printf 'defaults:\n  latency: 1s\n' >"$tmp/par.yaml"
gen_parallel 12 "$tmp/par12.fz"
"$FLOWZAP" sim "$tmp/par12.fz" --faults "$tmp/par.yaml" --exact --json "$tmp/par12.json" \
    >/dev/null 2>&1
check exact-parallel 0 $?
contains exact-parallel "$tmp/par12.json" '"paths": 4096,'
[ "$(grep -o '"probability": 0.000244140625}' "$tmp/par12.json" | wc -l)" = 4096 ] ||
    { echo "FAIL: exact-parallel: not 4096 outcomes of 1/4096"; fail=1; }
gen_parallel 20 "$tmp/par20.fz"
timeout 60 "$FLOWZAP" sim "$tmp/par20.fz" --faults "$tmp/par.yaml" --exact >/dev/null 2>"$tmp/err"
check exact-parallel-refused 2 $?
contains exact-parallel-refused "$tmp/err" "the 20 parallel branches from n1 (n2, n3,"
contains exact-parallel-refused "$tmp/err" "more than 1000000 combinations"

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

# Sums of virtual time cannot overflow: 300,000 runs of 40 hours add up to
# 4.3e19 ns, past 2^64, as 3,000,000 runs of 4 hours do (there the mean
# read 35m02s). The mean stays 40h00m, the node's share 100%, and the sums
# are written exactly (a decimal string past 2^63-1); shards merge into the
# same bytes.
cat >"$tmp/long.fz" <<'FZ'
L { # Lane
n1: circle label:"Start"
n2: rectangle label:"Soak test"
n3: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
}
FZ
printf 'rules:\n  - match: Soak\n    latency: 40h\n' >"$tmp/long.yaml"
"$FLOWZAP" sim "$tmp/long.fz" --faults "$tmp/long.yaml" --runs 300000 --seed 1 --threads 2 \
    --json "$tmp/long.json" >"$tmp/out" 2>"$tmp/err"
check long-sums 0 $?
contains long-sums "$tmp/out" "mean 40h00m"
contains long-sums "$tmp/out" "100.0%"
contains long-sums "$tmp/long.json" '"duration_sum_ns": "43200000000000000000"'
contains long-sums "$tmp/long.json" '"time_ns": "43200000000000000000"'
for i in 0 1; do
    "$FLOWZAP" sim "$tmp/long.fz" --faults "$tmp/long.yaml" --runs 300000 --seed 1 \
        --shard $i/2 -q --json "$tmp/long$i.json" || fail=1
done
"$FLOWZAP" sim merge "$tmp/long1.json" "$tmp/long0.json" -o "$tmp/longm.json" -q
check long-merge 0 $?
cmp -s "$tmp/long.json" "$tmp/longm.json" || { echo "FAIL: long sums: merge differs"; fail=1; }

# Past the old cap of 65,536 paths: 17 decisions in a row make 2^17 paths.
# Paths longer than the workflow allows to count exactly go to paths_other
# (decided from the workflow), so 1 or 2 threads and any shard split give
# the same bytes (the cap kept whichever paths a part saw first).
{
    echo 'S { # Sequence'
    echo 'n1: circle label:"Start"'
    prev=n1
    for i in $(seq 1 17); do
        d=n$((4 * i - 2)) a=n$((4 * i - 1)) b=n$((4 * i)) j=n$((4 * i + 1))
        echo "$d: diamond label:\"Check $i?\""
        echo "$a: rectangle label:\"Fix $i\""
        echo "$b: rectangle label:\"Keep $i\""
        echo "$j: rectangle label:\"Join $i\""
        echo "$prev.handle(right) -> $d.handle(left)"
        echo "$d.handle(right) -> $a.handle(left) [label=\"Yes\"]"
        echo "$d.handle(bottom) -> $b.handle(top) [label=\"No\"]"
        echo "$a.handle(right) -> $j.handle(left)"
        echo "$b.handle(right) -> $j.handle(left)"
        prev=$j
    done
    echo 'n70: circle label:"End"'
    echo "$prev.handle(right) -> n70.handle(left)"
    echo '}'
} >"$tmp/seq.fz"
for t in 1 2; do
    "$FLOWZAP" sim "$tmp/seq.fz" --faults "$tmp/par.yaml" --runs 100000 --seed 4 --threads $t \
        -q --json "$tmp/seq-t$t.json" 2>/dev/null || fail=1
done
for i in 0 1 2; do
    "$FLOWZAP" sim "$tmp/seq.fz" --faults "$tmp/par.yaml" --runs 100000 --seed 4 --shard $i/3 \
        -q --json "$tmp/seq-p$i.json" 2>/dev/null || fail=1
done
"$FLOWZAP" sim merge "$tmp/seq-p2.json" "$tmp/seq-p0.json" "$tmp/seq-p1.json" -o "$tmp/seq-m.json" -q
cmp -s "$tmp/seq-t1.json" "$tmp/seq-t2.json" || { echo "FAIL: many paths: threads change the report"; fail=1; }
cmp -s "$tmp/seq-t1.json" "$tmp/seq-m.json" || { echo "FAIL: many paths: shards differ"; fail=1; }
contains many-paths "$tmp/seq-t1.json" '"paths_max_len": '

# 20 parallel decisions: outcomes by end, identical for threads and shards;
# --find still finds a whole joint outcome (by replaying runs).
for t in 1 2; do
    "$FLOWZAP" sim "$tmp/par20.fz" --faults "$tmp/par.yaml" --runs 30000 --seed 4 --threads $t \
        -q --json "$tmp/par-t$t.json" 2>/dev/null || fail=1
done
for i in 0 1; do
    "$FLOWZAP" sim "$tmp/par20.fz" --faults "$tmp/par.yaml" --runs 30000 --seed 4 --shard $i/2 \
        -q --json "$tmp/par-p$i.json" 2>/dev/null || fail=1
done
"$FLOWZAP" sim merge "$tmp/par-p1.json" "$tmp/par-p0.json" -o "$tmp/par-m.json" -q
cmp -s "$tmp/par-t1.json" "$tmp/par-t2.json" || { echo "FAIL: by end: threads change the report"; fail=1; }
cmp -s "$tmp/par-t1.json" "$tmp/par-m.json" || { echo "FAIL: by end: shards differ"; fail=1; }
contains by-end "$tmp/par-t1.json" '"outcomes_by": "end"'
[ "$(wc -c <"$tmp/par-t1.json")" -lt 200000 ] || { echo "FAIL: by end: report too large"; fail=1; }
whole=$("$FLOWZAP" sim "$tmp/par20.fz" --faults "$tmp/par.yaml" --seed 4 --run 7 --trace /dev/null 2>/dev/null |
    sed -n 's/^run 7: \(.*\) (completed).*/\1/p')
"$FLOWZAP" sim "$tmp/par20.fz" --faults "$tmp/par.yaml" --runs 30000 --seed 4 --find "$whole" \
    >"$tmp/out" 2>/dev/null
check find-folded 0 $?
contains find-folded "$tmp/out" "first: run 7"
sed "s/\"outcomes_by\": \"end\",//" "$tmp/par-p0.json" >"$tmp/par-bad.json"
"$FLOWZAP" sim merge "$tmp/par-bad.json" "$tmp/par-p1.json" -o "$tmp/bm.json" -q 2>"$tmp/err"
check merge-shape 2 $?

# sim merge refuses impossible parts and names the field.
bad_part() { # bad_part NAME SED-EXPR FIELD
    sed "$2" "$tmp/part0.json" >"$tmp/bad-$1.json"
    "$FLOWZAP" sim merge "$tmp/bad-$1.json" "$tmp/part1.json" -o "$tmp/bm.json" -q 2>"$tmp/err"
    check "merge-$1" 2 $?
    contains "merge-$1" "$tmp/err" "$3"
}
bad_part first-after-last '0,/"first_run": 0,/s//"first_run": 99999,/' '"first_run" (99999) is after "last_run"'
bad_part runs-too-many '0,/"runs": 5000,/s//"runs": 9000,/' '"runs" (9000) is more than'
bad_part count-over '0,/"count": \([0-9]*\),/s//"count": 99999999,/' '"outcomes[0].count" is 0 or more than "runs"'
bad_part count-negative '0,/"count": \([0-9]*\),/s//"count": -4,/' '"outcomes[0].count" is missing, negative or malformed'
bad_part visits '0,/"visits": \([0-9]*\),/s//"visits": 0,/' '"nodes.n1.runs" is more than its "visits"'
bad_part sum '0,/"duration_sum_ns": \([0-9]*\),/s//"duration_sum_ns": 1,/' '"merge.duration_sum_ns" is outside'
bad_part sum-text '0,/"duration_sum_ns": \([0-9]*\),/s//"duration_sum_ns": "12x",/' '"merge.duration_sum_ns" is missing, negative or malformed'

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
