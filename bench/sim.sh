#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/sim.sh - simulator throughput beside a SimPy model of the same canary
# workflow and scenario, in one run: runs/s on 1 thread and on T threads,
# SimPy's runs/s, the ratio, and peak RSS of `flowzap sim` at 10^5 and 10^6
# runs (memory must be flat in the number of runs).
#   bench/sim.sh [RUNS] [THREADS]       (defaults 1000000 and all CPUs)
# Needs a release build (cmake --preset release && cmake --build --preset
# release) or FZ_BUILD pointing at one; /usr/bin/python3 with python3-simpy.
# Runs per CPU-second is the per-core figure; on a machine shared with other
# work it is steadier than runs per wall-clock second.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${FZ_BUILD:-$here/build/release}
runs=${1:-1000000}
threads=${2:-$(nproc)}
simpy_runs=${SIMPY_RUNS:-50000}
cd "$here"
for f in "$build/bench/bench_sim" "$build/cli/flowzap"; do
    [ -x "$f" ] || { echo "sim.sh: $f is missing: build the release preset first" >&2; exit 2; }
done

echo "== flowzap sim: canary under scenario flaky-registry, $runs runs"
fz_out=$("$build/bench/bench_sim" "$runs" "$threads")
echo "$fz_out"
echo "== SimPy $(/usr/bin/python3 -c 'import SimPy; print(SimPy.__version__)' 2>/dev/null || echo 2.x): the same model by hand, $simpy_runs runs"
py_out=$(/usr/bin/python3 bench/simpy_canary.py "$simpy_runs")
echo "$py_out"

field() { echo "$1" | sed -n "s/.*$2=\([0-9.]*\).*/\1/p" | head -1; }
fz1=$(echo "$fz_out" | grep '^sim threads=1 ')
fzt=$(echo "$fz_out" | grep '^sim threads=' | tail -1)
fz_wall=$(field "$fz1" runs_per_s)
fz_cpu=$(field "$fz1" runs_per_cpu_s)
fzt_wall=$(field "$fzt" runs_per_s)
py_wall=$(field "$py_out" runs_per_s)
py_cpu=$(field "$py_out" runs_per_cpu_s)

echo "== memory: peak RSS of flowzap sim (1 thread)"
for n in 100000 1000000; do
    kib=$( { /usr/bin/time -f '%M' "$build/cli/flowzap" sim workflows/canary-deploy.fz \
        --faults workflows/canary-deploy.scenario.yaml --scenario flaky-registry \
        --runs "$n" --seed 1 --threads 1 -q --json /dev/null; } 2>&1 >/dev/null | tail -1)
    echo "runs=$n peak_rss_kib=$kib"
done

echo "== summary"
awk -v a="$fz_wall" -v b="$fz_cpu" -v t="$fzt_wall" -v n="$threads" -v c="$py_wall" -v d="$py_cpu" 'BEGIN {
    printf "flowzap 1 thread: %.0f runs/s wall, %.0f runs per CPU-second (target >= 1000000)\n", a, b
    printf "flowzap %d threads: %.0f runs/s wall\n", n, t
    printf "SimPy: %.0f runs/s wall, %.0f runs per CPU-second\n", c, d
    printf "ratio flowzap/SimPy: %.1fx wall, %.1fx per CPU-second (target >= 50x)\n", a / c, b / d
}'
