#!/usr/bin/env bash
# test_journal_full.sh - a full disk in the middle of a run (issue 9, item
# 6). flowzap runs with tests/shim/fullvfs.c preloaded: an SQLite VFS that
# fails every write after the Nth with SQLITE_FULL, as a full file system
# does (mode "full"), or only the one after the Nth, as a disk full for a
# moment does (mode "blip": later writes succeed again). For every N from 0
# to the number of writes a whole run takes, in both modes:
#   - the run stops with exit 74 and a message naming the journal and
#     SQLite's error, never as the workflow's failure;
#   - the run stays resumable (interrupted, or running with a dead
#     process), never failed or completed;
#   - nothing started after a finish that was not recorded: at most one
#     step is unfinished, it is the last one recorded, and every step that
#     ran had its start recorded;
#   - with space back, `flowzap resume` completes it: every step recorded
#     once, each run once, except the one in flight at the failure (twice,
#     the second time with FZ_ATTEMPT=2).
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"
: "${FZ_FULLVFS:?FZ_FULLVFS must name the fullvfs shim (tests/CMakeLists.txt)}"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3 shell"; exit 0; }

work=$(mktemp -d /tmp/fz-journal-full.XXXXXX)
trap '[ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
cd "$work" || exit 1

cat > flow.fz <<'EOF2'
Chain { # Chain
n1: circle label:"Start"
n2: rectangle label:"Step 1"
n3: rectangle label:"Step 2"
n4: rectangle label:"Step 3"
n5: rectangle label:"Step 4"
n6: circle label:"End"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
n3.handle(right) -> n4.handle(left)
n4.handle(right) -> n5.handle(left)
n5.handle(right) -> n6.handle(left)
}
EOF2
cat > step.sh <<'EOF2'
#!/bin/sh
echo "${FZ_ATTEMPT}" >> "marks/$1"
echo "step $1 output"
EOF2
chmod +x step.sh
cat > flow.yaml <<'EOF2'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Step (?<n>\d+)$
    exec: [./step.sh, "${n}"]
EOF2

# A journal that already has its schema (and one run), copied for each try.
mkdir -p marks
FLOWZAP_DB="$work/template.db" "$FLOWZAP" run flow.fz --bindings flow.yaml -q >warm.log 2>&1 ||
    fail "warm-up run failed"
sqlite3 template.db "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
rm -rf marks

# How many writes a whole run takes.
cp template.db count.db
mkdir marks
LD_PRELOAD="$FZ_FULLVFS" FZ_FULLVFS_COUNT="$work/count" FLOWZAP_DB="$work/count.db" \
    "$FLOWZAP" run flow.fz --bindings flow.yaml -q >count.log 2>&1 || fail "counting run failed"
total=$(cat count)
[ "$total" -gt 10 ] || fail "a run took only '$total' writes"
rm -rf marks

q() { sqlite3 "$db" "$1"; }
late=0
for trial in $(seq 0 $((2 * total - 1))); do
    n=$((trial % total))
    if [ $trial -lt $total ]; then mode=full fails=; else mode=blip fails=1; fi
    db="$work/t$n.db"
    cp template.db "$db"
    rm -f "$db-wal" "$db-shm"
    rm -rf marks
    mkdir marks
    LD_PRELOAD="$FZ_FULLVFS" FZ_FULLVFS_AFTER=$n FZ_FULLVFS_FAILS=$fails FLOWZAP_DB="$db" \
        "$FLOWZAP" run flow.fz --bindings flow.yaml -q >full.log 2>&1
    st=$?
    cp full.log "full-$n.log"
    if [ $st -eq 0 ]; then
        # The last writes of a run are the checkpoint when the journal is
        # closed: everything was committed before, so the run completed.
        [ "$(q "SELECT state FROM runs WHERE id = 2")" = completed ] ||
            fail "$mode N=$n: exit 0 but the run is not recorded as completed"
        for k in 1 2 3 4; do
            [ "$(cat marks/$k)" = 1 ] || fail "$mode N=$n: step $k ran other than once"
        done
        late=$((late + 1))
        continue
    fi
    [ $st -eq 74 ] || fail "$mode N=$n: a run whose journal filled up exited $st, want 74"
    grep -q "$db" full.log || fail "$mode N=$n: the message does not name the journal"
    grep -q "database or disk is full" full.log || fail "$mode N=$n: the message does not give SQLite's error"
    if grep -q "failed at\|^flowzap: failed" full.log; then
        fail "$mode N=$n: reported as the workflow's failure"
    fi
    id=$(q "SELECT max(id) FROM runs")
    if [ "$id" = 1 ]; then
        # The run itself was never recorded: then nothing ran.
        [ -z "$(ls marks)" ] || fail "$mode N=$n: steps ran for a run that was never recorded"
        continue
    fi
    state=$(q "SELECT state FROM runs WHERE id = $id")
    case "$state" in
    interrupted | running) ;;
    *) fail "$mode N=$n: the run was left $state, want interrupted or running (resumable)" ;;
    esac
    # Steps in task order: at most one unfinished, and nothing after it.
    rows=$(q "SELECT task, seq IS NOT NULL FROM steps WHERE run = $id ORDER BY task")
    last_task=$(q "SELECT coalesce(max(task), -1) FROM steps WHERE run = $id")
    unfinished=$(q "SELECT count(*) FROM steps WHERE run = $id AND seq IS NULL")
    [ "$unfinished" -le 1 ] || fail "$mode N=$n: $unfinished steps unfinished: $rows"
    if [ "$unfinished" = 1 ]; then
        u=$(q "SELECT task FROM steps WHERE run = $id AND seq IS NULL")
        [ "$u" = "$last_task" ] || fail "$mode N=$n: a step started after step $u, whose finish was not recorded: $rows"
    fi
    # Every step that ran had its start recorded (label "Step k").
    for m in marks/*; do
        [ -e "$m" ] || continue
        k=${m#marks/}
        c=$(q "SELECT count(*) FROM steps WHERE run = $id AND label = 'Step $k'")
        [ "$c" = 1 ] || fail "$mode N=$n: step $k ran without its start recorded"
    done

    # Space is back: the run resumes and completes.
    FLOWZAP_DB="$db" "$FLOWZAP" resume "$id" >resume.log 2>&1
    st=$?
    cp resume.log "resume-$n.log"
    [ $st -eq 0 ] || fail "$mode N=$n: resume exited $st, want 0"
    [ "$(q "SELECT state FROM runs WHERE id = $id")" = completed ] || fail "$mode N=$n: not completed after resume"
    [ "$(q "SELECT count(*) FROM steps WHERE run = $id AND seq IS NOT NULL AND label LIKE 'Step %'")" = 4 ] ||
        fail "$mode N=$n: $(q "SELECT count(*) FROM steps WHERE run = $id AND label LIKE 'Step %'") step rows after resume, want 4 finished"
    [ "$(q "SELECT count(*) FROM steps WHERE run = $id AND seq IS NULL")" = 0 ] || fail "$mode N=$n: steps unfinished after resume"
    twice=0
    for k in 1 2 3 4; do
        got=$(tr '\n' ' ' <"marks/$k" 2>/dev/null)
        case "$got" in
        "1 ") ;;
        "1 2 ") twice=$((twice + 1)) ;;
        *) fail "$mode N=$n: step $k saw attempts '$got', want '1 ' (or '1 2 ' for the one in flight)" ;;
        esac
    done
    [ $twice -le 1 ] || fail "$mode N=$n: $twice steps ran twice"
    rm -f "$db" "$db-wal" "$db-shm" "full-$n.log" "resume-$n.log"
done
# An approval gate that cannot read the journal (another process holds its
# write lock past the 10 s busy timeout) is flowzap's failure too: the run
# stops resumable (exit 74), the gate's "error" is not routed as its answer.
cat > gate.fz <<'EOF2'
Gate { # Gate
n1: circle label:"Start"
n2: diamond label:"Go?"
n3: rectangle label:"Step 1"
n4: circle label:"End"
n5: circle label:"Stopped"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left) [label="Yes"]
n2.handle(bottom) -> n5.handle(top) [label="No"]
n3.handle(right) -> n4.handle(left)
}
EOF2
cat > gate.yaml <<'EOF2'
version: 1
rules:
  - shape: circle
    noop:
  - match: ^Go\?$
    approval: go on?
  - match: ^Step (?<n>\d+)$
    exec: [./step.sh, "${n}"]
EOF2
db="$work/gate.db"
rm -rf marks
mkdir marks
FLOWZAP_DB="$db" "$FLOWZAP" run gate.fz --bindings gate.yaml >gate.log 2>&1 &
gp=$!
i=0
until [ "$(sqlite3 "$db" "SELECT count(*) FROM steps WHERE node = 'n2'" 2>/dev/null)" = 1 ] || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
(echo "BEGIN IMMEDIATE; INSERT INTO meta VALUES('lock', '1');"; sleep 12; echo "ROLLBACK;") |
    sqlite3 "$db" >/dev/null 2>&1 &
lp=$!
wait "$gp"
st=$?
wait "$lp"
[ $st -eq 74 ] || fail "a gate that could not read the journal: run exited $st, want 74"
grep -q "could not record run" gate.log || fail "gate: the journal's failure is not reported"
[ "$(q "SELECT state FROM runs WHERE id = 1")" = interrupted ] ||
    fail "gate: run left $(q "SELECT state FROM runs WHERE id = 1"), want interrupted"
[ "$(q "SELECT count(*) FROM steps WHERE node = 'n2' AND seq IS NOT NULL")" = 0 ] ||
    fail "gate: the journal's error was recorded as the gate's answer"
FLOWZAP_DB="$db" "$FLOWZAP" signal 1 n2 yes >/dev/null 2>&1 || fail "gate: signal failed"
FLOWZAP_DB="$db" "$FLOWZAP" resume 1 >gate-resume.log 2>&1 || fail "gate: resume failed"
[ "$(cat marks/1)" = 1 ] || fail "gate: step 1 did not run once after the resume"

[ $late -lt 10 ] || fail "$late of $((2 * total)) fill levels hit no commit at all"
echo "ok: a journal that filled up (for good, or for one write) after each of $total writes left a resumable run ($late hit only the closing checkpoint); every resume completed with each step once"
