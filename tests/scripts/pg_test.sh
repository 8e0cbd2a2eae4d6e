# SPDX-License-Identifier: MIT
# pg_test.sh - sourced by the PostgreSQL script tests (test_pg_*.sh): the
# set-up, clean-up and failure report they share, and the "long step"
# fixture. It sources pg_cluster.sh (fz_pg_start, fz_pg_restart, fz_psql,
# FZ_TEST_PG_URI, ...). These names are stable; tests rely on them:
#
#   . "$FZ_SRC/tests/scripts/pg_test.sh"
#   fz_pg_test NAME      starts a throwaway cluster (fz_pg_start), makes the
#                        work directory $work (/tmp/fz-pg-NAME.XXXXXX, mode
#                        755) and cds into it, exports FLOWZAP_DB as
#                        $FZ_TEST_PG_URI and FZ_PG_USER, and sets the EXIT
#                        trap to fz_pg_test_cleanup. A cluster that does not
#                        start is a failure (fail).
#   fail MESSAGE...      prints "FAIL: MESSAGE" and the last $FZ_FAIL_LINES
#                        lines (default 30; "+1" for whole files) of each
#                        $work/*.log on stderr, then exits 1.
#   pids                 an array of processes SIGKILLed at exit: pids+=($!)
#                        or pids[N]=$!; unset an entry once waited for.
#   fz_kill_at_exit FILE...  the process whose pid FILE holds (if FILE is
#                        there at exit) is SIGKILLed at exit.
#   alive PID            true while PID runs and is not a zombie.
#   fz_wait_until TENTHS COMMAND...  runs COMMAND every 0.1 s until it
#                        succeeds, at most TENTHS times; 1 if it never did.
#   fz_long_step         writes the "long step" fixture into $work: long.fz
#                        (Long -> After), long.sh (the Long step: writes its
#                        pid to $work/step.pid, starts `sleep 60` and writes
#                        its pid to $work/grand.pid, waits) and long.yaml
#                        (After appends "after" to $work/after); step.pid
#                        and grand.pid are killed at exit.
#   fz_pg_test_cleanup   the EXIT trap: kills the above, removes $work (kept
#                        when FZ_KEEP is set, its path on stderr), stops the
#                        cluster.

. "$FZ_SRC/tests/scripts/pg_cluster.sh"

pids=()
fz_kill_files=()
FZ_FAIL_LINES=${FZ_FAIL_LINES:-30}

fz_pg_test_cleanup() {
    local p f
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for f in "${fz_kill_files[@]}"; do
        [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    if [ -n "${work:-}" ]; then
        [ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
    fi
    fz_pg_stop
}

fail() {
    local f
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -n "$FZ_FAIL_LINES" "$f" >&2; }
    done
    exit 1
}

fz_pg_test() { # NAME
    work=$(mktemp -d "/tmp/fz-pg-$1.XXXXXX")
    chmod 755 "$work"
    local rc=0
    fz_pg_start || rc=$?
    trap fz_pg_test_cleanup EXIT
    [ "$rc" = 0 ] || fail "could not start a PostgreSQL cluster"
    cd "$work" || exit 1
    export FZ_PG_USER # for tests that restart the server from a child
    export FLOWZAP_DB="$FZ_TEST_PG_URI"
}

fz_kill_at_exit() { # FILE...
    fz_kill_files+=("$@")
}

# A process is alive when its state, read once from /proc, is neither a
# zombie's nor a dead one's: a zombie whose new parent (PID 1 here) reaps
# it between two reads would otherwise pass for alive.
alive() {
    local s
    s=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

fz_wait_until() { # TENTHS COMMAND...
    local n=$1 i
    shift
    for i in $(seq 1 "$n"); do
        "$@" && return 0
        [ "$i" = "$n" ] || sleep 0.1
    done
    return 1
}

fz_long_step() {
    cat > "$work/long.fz" <<'EOF'
Long { # Long
n1: rectangle label:"Long"
n2: rectangle label:"After"
n1.handle(right) -> n2.handle(left)
}
EOF
    cat > "$work/long.sh" <<EOF
#!/bin/sh
echo \$\$ > "$work/step.pid"
sleep 60 &
echo \$! > "$work/grand.pid"
wait
EOF
    chmod +x "$work/long.sh"
    cat > "$work/long.yaml" <<EOF
version: 1
rules:
  - match: ^Long\$
    exec: [$work/long.sh]
  - match: ^After\$
    exec: [sh, -c, "echo after >> $work/after"]
EOF
    fz_kill_at_exit "$work/step.pid" "$work/grand.pid"
}
