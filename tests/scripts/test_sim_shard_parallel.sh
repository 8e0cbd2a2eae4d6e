#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sim_shard_parallel.sh - a study split across processes the way
# docs/sim.md ("Across machines") tells: `sim --shard` run by GNU parallel
# on its local host (-S :, the form a list of --sshlogin hosts takes),
# merged with `sim merge`, is byte for byte the single-process study; and
# `--shard auto` / `auto/N` takes the slice from each scheduler's
# variable (Kubernetes JOB_COMPLETION_INDEX, Slurm SLURM_ARRAY_TASK_ID,
# AWS Batch AWS_BATCH_JOB_ARRAY_INDEX) and refuses hostile values with
# exit 64 and a message that names the variable.
# Env: FLOWZAP, FZ_SRC. Needs GNU parallel (Debian package parallel).
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}"
command -v parallel >/dev/null || { echo "FAIL: GNU parallel is not installed (scripts/install-deps.sh)"; exit 1; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every scheduler variable starts unset, whatever the caller's environment.
unset JOB_COMPLETION_INDEX SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN \
    SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP AWS_BATCH_JOB_ARRAY_INDEX AWS_BATCH_JOB_ARRAY_SIZE
cp "$FZ_SRC/workflows/canary-deploy.fz" "$FZ_SRC/workflows/canary-deploy.scenario.yaml" "$tmp/"
cd "$tmp" || exit 1
wf=canary-deploy.fz
sc=canary-deploy.scenario.yaml
study=(--faults "$sc" --scenario monitoring-outage --runs 20000 --seed 17)

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: exit $3, expected $2"
        fail=1
    fi
}
contains() { # contains NAME FILE TEXT
    if ! grep -qF -- "$3" "$2"; then
        echo "FAIL: $1: '$3' not in:"
        sed 's/^/    /' "$2" | head -5
        fail=1
    fi
}

"$FLOWZAP" sim "$wf" "${study[@]}" -q --json single.json
check single 0 $?

# GNU parallel, local host given as an ssh login (':'), with the options a
# list of real hosts needs: the inputs sent once per host, each part
# returned, the copies cleaned up.
parallel --will-cite -S : -j 2 --basefile "$wf" --basefile "$sc" --return "part{}.json" --cleanup \
    "$FLOWZAP" sim "$wf" "${study[@]}" --shard {}/4 -q --json "part{}.json" ::: 0 1 2 3
check parallel 0 $?
"$FLOWZAP" sim merge part0.json part1.json part2.json part3.json -o merged.json -q
check merge 0 $?
cmp -s single.json merged.json || { echo "FAIL: parallel shards merged differ from one study"; fail=1; }

# --shard auto under each scheduler, four tasks run by parallel with the
# scheduler's variable set, give the same parts as --shard I/4.
run_auto() { # run_auto NAME SHARD 'VAR=VALUE ...' (each {} is the task index)
    rm -f auto*.json
    parallel --will-cite -j 2 "env $3 $FLOWZAP sim $wf ${study[*]} --shard $2 -q --json auto{}.json" \
        ::: 0 1 2 3
    check "$1" 0 $?
    for i in 0 1 2 3; do
        cmp -s "part$i.json" "auto$i.json" || { echo "FAIL: $1: part $i differs from --shard $i/4"; fail=1; }
    done
}
run_auto kubernetes auto/4 'JOB_COMPLETION_INDEX={}'
run_auto slurm auto 'SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=1'
run_auto slurm-n auto/4 'SLURM_ARRAY_TASK_ID={}'
run_auto aws auto 'AWS_BATCH_JOB_ARRAY_INDEX={} AWS_BATCH_JOB_ARRAY_SIZE=4'
"$FLOWZAP" sim merge auto3.json auto2.json auto1.json auto0.json -o merged-auto.json -q
cmp -s single.json merged-auto.json || { echo "FAIL: auto shards merged differ from one study"; fail=1; }

# Refusals: exit 64, the variable and the value named, nothing run.
refuse() { # refuse NAME SHARD TEXT VAR=VALUE...
    local name=$1 shard=$2 text=$3
    shift 3
    env "$@" "$FLOWZAP" sim "$wf" "${study[@]}" --shard "$shard" -q --json refused.json \
        >out.txt 2>err.txt
    check "$name" 64 $?
    contains "$name" err.txt "$text"
    [ -e refused.json ] && { echo "FAIL: $name: a report was written"; fail=1; }
    rm -f refused.json
}
refuse none auto "no shard index in the environment" PATH="$PATH"
refuse none-n auto/4 "no shard index in the environment" PATH="$PATH"
refuse k8s-no-count auto "Kubernetes Indexed Job gives no shard count" JOB_COMPLETION_INDEX=0
refuse semicolon auto/4 "JOB_COMPLETION_INDEX is '1;rm'" 'JOB_COMPLETION_INDEX=1;rm'
refuse negative auto/4 "SLURM_ARRAY_TASK_ID is '-1'" SLURM_ARRAY_TASK_ID=-1
refuse huge auto/4 "AWS_BATCH_JOB_ARRAY_INDEX is '99999999999999999999999'" \
    AWS_BATCH_JOB_ARRAY_INDEX=99999999999999999999999
refuse plus auto/4 "is '+1'" AWS_BATCH_JOB_ARRAY_INDEX=+1
refuse space auto/4 "is ' 1'" 'JOB_COMPLETION_INDEX= 1'
refuse hex auto/4 "is '0x1'" JOB_COMPLETION_INDEX=0x1
refuse empty auto/4 "is ''" JOB_COMPLETION_INDEX=
refuse out-of-range auto/4 "SLURM_ARRAY_TASK_ID is 4, not a slice of 4 (0 to 3)" SLURM_ARRAY_TASK_ID=4
refuse count-zero auto "AWS_BATCH_JOB_ARRAY_SIZE is '0'" AWS_BATCH_JOB_ARRAY_INDEX=0 \
    AWS_BATCH_JOB_ARRAY_SIZE=0
refuse count-bad auto "SLURM_ARRAY_TASK_COUNT is '4 '" SLURM_ARRAY_TASK_ID=0 'SLURM_ARRAY_TASK_COUNT=4 '
refuse no-count auto "SLURM_ARRAY_TASK_COUNT is not set" SLURM_ARRAY_TASK_ID=0
refuse slurm-base auto "--array=0-3" SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 \
    SLURM_ARRAY_TASK_COUNT=4
refuse slurm-step auto/4 "in steps of 2" SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_STEP=2
refuse bad-n auto/0 "needs a count N" JOB_COMPLETION_INDEX=0
refuse bad-n2 auto/x "needs a count N" JOB_COMPLETION_INDEX=0
refuse bad-word autox "needs I/N, auto or auto/N" JOB_COMPLETION_INDEX=0
# A terminal escape in the value is shown escaped, not sent to the terminal.
refuse escape auto/4 "not a shard index" "JOB_COMPLETION_INDEX=$(printf '\033[2J1')"
if grep -q "$(printf '\033')" err.txt; then
    echo "FAIL: escape: a raw ESC byte reached stderr"
    fail=1
fi
# The first scheduler listed wins when several are set (docs/sim.md).
env JOB_COMPLETION_INDEX=2 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 \
    "$FLOWZAP" sim "$wf" "${study[@]}" --shard auto/4 -q --json first.json
check first-wins 0 $?
cmp -s part2.json first.json || { echo "FAIL: first-wins: not slice 2 of 4"; fail=1; }

[ "$fail" = 0 ] && echo "ok: sim_shard_parallel"
exit "$fail"
