#!/usr/bin/env bash
# pg.sh - the journal's throughput, side by side in one run, on a throwaway
# PostgreSQL 15 cluster (tests/scripts/pg_cluster.sh):
#  1. bench_journal: no-op steps/s through the engine with the journal in
#     SQLite (off, NORMAL, FULL) and in PostgreSQL (synchronous_commit on),
#     and concurrent runs with per-step against grouped commits on both;
#  2. `flowzap submit` + `flowzap worker`: RUNS runs of a chain of STEPS
#     no-op steps, drained by 1, 2 and 4 workers (and 4 workers of
#     --concurrency 4): steps/s end to end (workers started with the runs
#     queued, their start-up timed), then again with the workers started
#     first and the queued runs freed at once (timed as Graphile is);
#  3. Graphile Worker 0.16 (npm, installed into BUILD/bench-node unless
#     FZ_BENCH_NO_GRAPHILE is set) on the same cluster: RUNS*STEPS no-op
#     jobs, one worker process with concurrency 4: jobs/s.
# FZ_BENCH_NO_JOURNAL set: part 1 is left out.
#
# usage: bench/pg.sh [BUILD] [RUNS] [STEPS]   (default build/release, 40, 10)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build/release}" && pwd)
runs=${2:-40}
steps=${3:-10}
flowzap=$build/cli/flowzap
. "$src/tests/scripts/pg_cluster.sh"
fz_pg_start
work=$(mktemp -d /tmp/fz-bench-pg.XXXXXX)
trap 'rm -rf "$work"; fz_pg_stop' EXIT
cd "$work"
chmod 755 "$work"

if [ -z "${FZ_BENCH_NO_JOURNAL:-}" ]; then
echo "== bench_journal 1000 (SQLite in $work, PostgreSQL on a local socket)"
FZ_BENCH_PG="$FZ_TEST_PG_URI&options=-csearch_path%3Dbench" bash -c \
  "psql '$FZ_TEST_PG_URI' -qAtX -c 'CREATE SCHEMA bench' && '$build/bench/bench_journal' 1000 '$work'"
fi

# A chain of no-op steps, as a workflow file.
{
  echo "Chain { # Chain"
  for i in $(seq 1 "$steps"); do echo "n$i: rectangle label:\"Step $i\""; done
  for i in $(seq 2 "$steps"); do echo "n$((i - 1)).handle(right) -> n$i.handle(left)"; done
  echo "}"
} > chain.fz
printf 'version: 1\nrules:\n  - match: .\n    noop:\n' > noop.yaml

export FLOWZAP_DB="$FZ_TEST_PG_URI"
echo "== submit + worker: $runs runs of $steps no-op steps"
# The target's figure is 4 workers of concurrency 1; 4 workers of
# concurrency 4 (16 runs at once) is an extra line.
for spec in 1 2 4 4x4; do
  w=${spec%x*}
  conc=1
  [ "$spec" != "$w" ] && conc=${spec#*x}
  psql "$FZ_TEST_PG_URI" -qAtX -c "TRUNCATE runs, steps, signals, queue RESTART IDENTITY CASCADE" 2>/dev/null || true
  for i in $(seq 1 "$runs"); do "$flowzap" submit chain.fz --bindings noop.yaml >/dev/null 2>&1; done
  t0=$(date +%s.%N)
  pids=()
  for i in $(seq 1 "$w"); do
    "$flowzap" worker --poll 0.1 --exit-idle 0.5 --concurrency "$conc" >"worker$i.log" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  t1=$(date +%s.%N)
  done_steps=$(psql "$FZ_TEST_PG_URI" -qAtX -c "SELECT count(*) FROM steps WHERE seq IS NOT NULL")
  extra=""
  [ "$conc" -gt 1 ] && extra=", --concurrency $conc"
  awk -v w="$w" -v x="$extra" -v n="$done_steps" -v a="$t0" -v b="$t1" \
    'BEGIN { s = b - a - 0.5; printf "  %d worker(s)%s: %d steps in %.2f s: %.0f steps/s\n", w, x, n, s, n / s }'

  # The same drain with the workers started first, as Graphile's is timed
  # below (its pool connected before its clock starts): the runs are
  # submitted and held (their queue rows look leased), the workers start
  # and make their slots' processes and connections, then one statement
  # frees the rows and notifies; the clock runs from that statement to the
  # last run's end as the journal recorded it.
  psql "$FZ_TEST_PG_URI" -qAtX -c "TRUNCATE runs, steps, signals, queue RESTART IDENTITY CASCADE" 2>/dev/null || true
  for i in $(seq 1 "$runs"); do "$flowzap" submit chain.fz --bindings noop.yaml >/dev/null 2>&1; done
  psql "$FZ_TEST_PG_URI" -qAtX -c "UPDATE queue SET worker = 'bench-hold', lease_until = clock_timestamp() + interval '1 hour'" >/dev/null
  pids=()
  for i in $(seq 1 "$w"); do
    "$flowzap" worker --poll 0.1 --exit-idle 3 --concurrency "$conc" >"warm$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 40); do
    [ "$(cat warm*.log 2>/dev/null | grep -c ' ready in process ')" -ge $((w * conc)) ] && break
    sleep 0.05
  done
  sleep 0.5
  t0=$(psql "$FZ_TEST_PG_URI" -qAtX -c "UPDATE queue SET worker = NULL, lease_until = NULL WHERE worker = 'bench-hold'; SELECT pg_notify('flowzap_work', '0'); SELECT extract(epoch FROM clock_timestamp())" | tail -1)
  wait "${pids[@]}"
  read -r done_runs done_steps t1 < <(psql "$FZ_TEST_PG_URI" -qAtX -F ' ' -c \
    "SELECT (SELECT count(*) FROM runs WHERE state = 'completed'), (SELECT count(*) FROM steps WHERE seq IS NOT NULL), extract(epoch FROM max(finished_at::timestamptz)) FROM runs")
  [ "$done_runs" = "$runs" ] || echo "  (warm drain: only $done_runs of $runs runs completed)"
  awk -v w="$w" -v x="$extra" -v n="$done_steps" -v a="$t0" -v b="$t1" \
    'BEGIN { s = b - a; printf "  %d worker(s)%s, started first: %d steps in %.2f s: %.0f steps/s\n", w, x, n, s, n / s }'
done

if [ -z "${FZ_BENCH_NO_GRAPHILE:-}" ]; then
  node_dir=$build/bench-node
  if [ ! -d "$node_dir/node_modules/graphile-worker" ]; then
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm init -y >/dev/null && npm install --silent graphile-worker@0.16 >/dev/null)
  fi
  jobs=$((runs * steps))
  cat > graphile.js <<'EOF'
const { run, quickAddJob } = require("graphile-worker");
const { Pool } = require("pg");
(async () => {
  const connectionString = process.env.GW_URI;
  const jobs = Number(process.env.GW_JOBS);
  const pool = new Pool({ connectionString });
  // Install the schema first, then queue every job, then time the drain.
  const r0 = await run({ pgPool: pool, concurrency: 4, noHandleSignals: true, pollInterval: 100,
                         taskList: { noop: async () => {} } });
  await r0.stop();
  await pool.query("SELECT graphile_worker.add_job('noop', '{}'::json) FROM generate_series(1, $1)", [jobs]);
  let done = 0;
  const t0 = process.hrtime.bigint();
  const runner = await run({ pgPool: pool, concurrency: 4, noHandleSignals: true, pollInterval: 100,
    taskList: { noop: async () => { done++; if (done === jobs) finish(); } } });
  let finished = false;
  async function finish() {
    if (finished) return;
    finished = true;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`  graphile-worker 0.16, concurrency 4: ${jobs} jobs in ${s.toFixed(2)} s: ${(jobs / s).toFixed(0)} jobs/s`);
    await runner.stop();
    warm();
  }
  // The same drain with the runner started first (as flowzap's workers
  // "started first"): the jobs are added in one statement, which notifies
  // the runner; the clock runs from that statement to the last job's end.
  async function warm() {
    let n = 0, t1 = 0n;
    const done = new Promise((resolve) => {
      run({ pgPool: pool, concurrency: 4, noHandleSignals: true, pollInterval: 100,
            taskList: { noop: async () => { if (++n === jobs) { t1 = process.hrtime.bigint(); resolve(); } } } })
        .then(async (r) => {
          await new Promise((ok) => setTimeout(ok, 500));
          const t = process.hrtime.bigint();
          await pool.query("SELECT graphile_worker.add_job('noop', '{}'::json) FROM generate_series(1, $1)", [jobs]);
          await done;
          const s = Number(t1 - t) / 1e9;
          console.log(`  graphile-worker 0.16, concurrency 4, started first: ${jobs} jobs in ${s.toFixed(2)} s: ${(jobs / s).toFixed(0)} jobs/s`);
          await r.stop();
          await pool.end();
        });
    });
  }
})().catch((e) => { console.error(e); process.exit(1); });
EOF
  echo "== Graphile Worker, $jobs no-op jobs"
  GW_URI="postgres://flowzap:$FZ_PG_PASSWORD@127.0.0.1:$FZ_PG_PORT/flowzap" GW_JOBS=$jobs \
    NODE_PATH="$node_dir/node_modules" node graphile.js 2>graphile.log | grep -v '^\[' || {
    tail -20 graphile.log >&2
    exit 1
  }
fi
