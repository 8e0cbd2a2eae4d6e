#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/sim.sh - simulator throughput beside a SimPy model of the same canary
# workflow and scenario, in one run, for two scenarios: "flaky-registry" of
# workflows/canary-deploy.scenario.yaml and "lognormal-faults" of
# bench/canary-lognormal.scenario.yaml (a lognormal latency and an error
# probability on every node). For each: runs/s on 1 thread and on T threads,
# SimPy's runs/s, the ratio, and the outcome shares and durations of both
# (they must agree within sampling error); then peak RSS of `flowzap sim` at
# 10^5 and 10^6 runs (memory must be flat in the number of runs).
#   bench/sim.sh [RUNS] [THREADS]       (defaults 1000000 and all CPUs)
# SIMPY_RUNS sets SimPy's runs (default 50000); REPEAT=N measures each
# scenario N times, flowzap and SimPy in turn, and summarises the pair with
# the median ratio (default 1). Needs a release build (cmake
# --preset release && cmake --build --preset release) or FZ_BUILD pointing at
# one; /usr/bin/python3 with python3-simpy.
# Runs per CPU-second is the per-core figure; on a machine shared with other
# work it is steadier than runs per wall-clock second.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BUILD:-$here/build/release}
runs=${1:-1000000}
threads=${2:-$(nproc)}
simpy_runs=${SIMPY_RUNS:-50000}
repeat=${REPEAT:-1}
cd "$here"
for f in "$build/bench/bench_sim" "$build/cli/flowzap"; do
    [ -x "$f" ] || { echo "sim.sh: $f is missing: build the release preset first" >&2; exit 2; }
done

field() { echo "$1" | sed -n "s/.*$2=\([0-9.]*\).*/\1/p" | head -1; }
summary=""

# bench SCENARIO FILE: flowzap and SimPy on one scenario, REPEAT times in
# turn (on a shared machine single figures scatter: the summary takes the
# pair with the median ratio per CPU-second); appends to $summary.
bench() {
    pairs=""
    i=0
    while [ "$i" -lt "$repeat" ]; do
        i=$((i + 1))
        echo "== flowzap sim: canary under scenario $1 of $2, $runs runs ($i/$repeat)"
        fz_out=$("$build/bench/bench_sim" "$runs" "$threads" "$1" workflows/canary-deploy.fz "$2")
        echo "$fz_out"
        echo "== SimPy $(/usr/bin/python3 -c 'import SimPy; print(SimPy.__version__)' 2>/dev/null || echo 2.x): the same model by hand, $simpy_runs runs ($i/$repeat)"
        py_out=$(/usr/bin/python3 bench/simpy_canary.py "$simpy_runs" "$1")
        echo "$py_out"
        fz1=$(echo "$fz_out" | grep '^sim threads=1 ')
        fzt=$(echo "$fz_out" | grep '^sim threads=' | tail -1)
        pairs="$pairs$(awk -v a="$(field "$fz1" runs_per_s)" -v b="$(field "$fz1" runs_per_cpu_s)" \
            -v t="$(field "$fzt" runs_per_s)" -v c="$(field "$py_out" runs_per_s)" \
            -v d="$(field "$py_out" runs_per_cpu_s)" 'BEGIN { printf "%.3f %s %s %s %s %s\n", b / d, a, b, t, c, d }')
"
    done
    summary="$summary$(echo "$pairs" | grep . | sort -g | awk -v s="$1" -v n="$threads" '
    { r[NR] = $1; line[NR] = $0 }
    END {
        m = int((NR + 1) / 2); split(line[m], f, " ")
        printf "scenario %s (median of %d pairs by ratio per CPU-second):\n", s, NR
        printf "  flowzap 1 thread: %.0f runs/s wall, %.0f runs per CPU-second\n", f[2], f[3]
        printf "  flowzap %d threads: %.0f runs/s wall\n", n, f[4]
        printf "  SimPy: %.0f runs/s wall, %.0f runs per CPU-second\n", f[5], f[6]
        printf "  ratio flowzap/SimPy: %.1fx wall, %.1fx per CPU-second (target >= 75x)\n", f[2] / f[5], f[1]
        if (NR > 1) {
            printf "  ratios per CPU-second, all pairs:"
            for (i = 1; i <= NR; i++) printf " %.1fx", r[i]
            printf "\n"
        }
    }')
"
}

bench flaky-registry workflows/canary-deploy.scenario.yaml
bench lognormal-faults bench/canary-lognormal.scenario.yaml

echo "== memory: peak RSS of flowzap sim (1 thread)"
for s in "flaky-registry workflows/canary-deploy.scenario.yaml" \
         "lognormal-faults bench/canary-lognormal.scenario.yaml"; do
    set -- $s
    for n in 100000 1000000; do
        kib=$( { /usr/bin/time -f '%M' "$build/cli/flowzap" sim workflows/canary-deploy.fz \
            --faults "$2" --scenario "$1" \
            --runs "$n" --seed 1 --threads 1 -q --json /dev/null; } 2>&1 >/dev/null | tail -1)
        echo "scenario=$1 runs=$n peak_rss_kib=$kib"
    done
done

echo "== summary"
printf '%s' "$summary"
