#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/sim-same.sh REF NEW - whether two flowzap binaries print the same
# simulation reports, byte for byte: text and --json, 1 and 2 threads, the
# canary's scenarios and bench's lognormal-faults, --all-scenarios, --exact,
# --find, --run K --trace, and workflows with fan-out, loops and joins
# under a scenario of errors, retries, backoff and timeouts (the canary's
# scenarios bring weights, scripts and an outage).
# A speed change to the simulator must leave them all alone: build the
# reference (e.g. main) into another folder and run this after each commit.
#   bench/sim-same.sh /tmp/ref/flowzap build/release/cli/flowzap [RUNS]
# Exits 0 when all match, 1 listing those that differ.
set -eu
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
ref=$(abs "$1")
new=$(abs "$2")
runs=${3:-30000}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/extra.yaml" <<'YAML'
defaults:
  latency: {exponential: {mean: 3s}}
  error: 2%
rules:
  - match: "^[A-M]"
    latency: {lognormal: {median: 2s, sigma: 0.8}}
    error: 4%
    retries: 2
    backoff: {delay: 1s, exponential: true, max: 5s}
    timeout: 9s
scenarios:
  rough:
    description: errors, retries with backoff and timeouts everywhere
YAML
fails=0
n=0
# one ref|new ARGS...: that binary with ARGS, OUT replaced by its file.
one() {
    b=$1
    shift
    eval "bin=\$$b"
    for a; do
        shift
        [ "$a" = OUT ] && a=$tmp/$b.out
        set -- "$@" "$a"
    done
    "$bin" "$@"
}
# same NAME ARGS...: runs both binaries with ARGS (OUT in them is the file
# to compare), compares stdout, stderr, the exit status and OUT.
same() {
    name=$1
    shift
    n=$((n + 1))
    for b in ref new; do
        rm -f "$tmp/$b.out"
        set +e
        one "$b" "$@" >"$tmp/$b.stdout" 2>"$tmp/$b.stderr"
        echo "$?" >"$tmp/$b.rc"
        set -e
        [ -f "$tmp/$b.out" ] || : >"$tmp/$b.out"
        # the file name differs between the two: not part of the output
        sed -i "s|$tmp/$b.out|OUT|g" "$tmp/$b.stdout" "$tmp/$b.stderr" "$tmp/$b.out"
    done
    [ "$(cat "$tmp/ref.rc")" = 0 ] || echo "note: $name: the reference exits $(cat "$tmp/ref.rc")"
    for part in stdout stderr rc out; do
        if ! cmp -s "$tmp/ref.$part" "$tmp/new.$part"; then
            echo "DIFFERS: $name ($part)"
            fails=$((fails + 1))
            return 0
        fi
    done
}
canary=workflows/canary-deploy.fz
cfile=workflows/canary-deploy.scenario.yaml
lfile=bench/canary-lognormal.scenario.yaml
for s in $(sed -n 's/^  \([a-z-]*\):$/\1/p' "$cfile") lognormal-faults; do
    f=$cfile
    [ "$s" = lognormal-faults ] && f=$lfile
    for t in 1 2; do
        same "$s text t$t" sim "$canary" --faults "$f" --scenario "$s" --runs "$runs" --seed 7 --threads "$t"
        same "$s json t$t" sim "$canary" --faults "$f" --scenario "$s" --runs "$runs" --seed 7 --threads "$t" -q --json OUT
    done
    for k in 3 1234; do
        same "$s trace $k" sim "$canary" --faults "$f" --scenario "$s" --seed 7 --run "$k" --trace OUT
    done
done
same "all-scenarios" sim "$canary" --faults "$cfile" --all-scenarios --runs 5000 --seed 3 --threads 2
same "exact" sim "$canary" --faults "$cfile" --scenario flaky-registry --exact --json OUT
same "find" sim "$canary" --faults "$lfile" --scenario lognormal-faults --find failed --runs 5000 --seed 9 --trace OUT
for w in workflows/parallel.fz workflows/multi-lane-loop.fz workflows/sequence.fz; do
    for t in 1 2; do
        same "$w json t$t" sim "$w" --faults "$tmp/extra.yaml" --runs "$runs" --seed 5 --threads "$t" -q --json OUT
    done
    same "$w text" sim "$w" --faults "$tmp/extra.yaml" --runs "$runs" --seed 5 --threads 2
    same "$w default" sim "$w" --runs 2000 --seed 5 --threads 1
    same "$w trace" sim "$w" --faults "$tmp/extra.yaml" --seed 5 --run 17 --trace OUT
done
echo "sim-same: $n comparisons, $fails differ"
[ "$fails" -eq 0 ]
