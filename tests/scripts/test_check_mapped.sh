#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_check_mapped.sh - `flowzap check` on a file big enough to be mapped
# (1 MiB and more; docs/internals/parser.md) says exactly what it says on
# the same text read from stdin, which is read into memory: the mapped
# text is dropped behind the parse, its line map is counted in the first
# pass, lint looks for `// flowzap:` comments in windows (or not at all
# when the parser saw none) and reads names back for its messages. Cases:
# a generated workflow of 50,000 nodes (about 5.6 MB: several drop steps
# and scan windows) as written, with directives past the first 4 MiB,
# with a lane prefix naming no lane, and with a byte that is not UTF-8.
set -u
: "${FLOWZAP:?}" "${FZ_BUILD:?}"
export NO_COLOR=1
gen="$FZ_BUILD/bench/gen_workflow"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

"$gen" -n 50000 -s 3 -o "$tmp/base.fz" || { echo "FAIL: gen_workflow"; exit 1; }

# A file whose size is a multiple of the page size is read, not mapped:
# one more comment line then.
pad() {
    local size
    size=$(stat -c %s "$1")
    if [ $((size % 4096)) = 0 ]; then echo "// padding" >> "$1"; fi
}

cp "$tmp/base.fz" "$tmp/plain.fz"
# Directives after the first scan window: one that silences W104 for the
# whole file, one mistyped and one naming no lint code (W210 each).
awk '{ n += length($0) + 1; print }
     n >= 4700000 && !done { print "// flowzap: ignore-file W104"
                              print "// flowzap: ignroe W104"
                              print "  // flowzap: ignore W999"; done = 1 }' \
    "$tmp/base.fz" > "$tmp/directives.fz"
# A prefix naming no lane (E007) among forward prefixes (lanes defined later).
sed '0,/-> Frontend\.n/s//-> Frontedn.n/' "$tmp/base.fz" > "$tmp/noprefix.fz"
# A Latin-1 byte in a label after the first drop step (E027).
bad=$(printf 'caf\351 ')
LC_ALL=C awk -v bad="$bad" '{ n += length($0) + 1 }
     n >= 4500000 && !done && /label:"/ { sub(/label:"/, "label:\"" bad); done = 1 }
     { print }' "$tmp/base.fz" > "$tmp/latin1.fz"

for name in plain directives noprefix latin1; do
    f="$tmp/$name.fz"
    pad "$f"
    for opts in "" "--json" "--no-lint"; do
        # shellcheck disable=SC2086
        "$FLOWZAP" check $opts "$f" > "$tmp/map.out" 2>&1
        rc_map=$?
        # shellcheck disable=SC2086
        "$FLOWZAP" check $opts - < "$f" > "$tmp/read.out" 2>&1
        rc_read=$?
        sed "s|$f|<stdin>|g" "$tmp/map.out" > "$tmp/map.norm"
        if [ "$rc_map" != "$rc_read" ]; then
            echo "FAIL $name $opts: exit $rc_map mapped, $rc_read read"
            fail=1
        fi
        if ! cmp -s "$tmp/map.norm" "$tmp/read.out"; then
            echo "FAIL $name $opts: mapped and read outputs differ"
            diff "$tmp/map.norm" "$tmp/read.out" | head -20
            fail=1
        fi
    done
done

# The cases say what they were made to say.
expect_in() { # NAME OPTS PATTERN
    # shellcheck disable=SC2086
    if ! "$FLOWZAP" check $2 "$tmp/$1.fz" 2>&1 | grep -q -- "$3"; then
        echo "FAIL $1: no '$3' in the output"
        fail=1
    fi
}
expect_in plain "" "\[W104\]"
expect_in directives "" "\[W210\]"
expect_in directives "" "1 silenced\|silenced"
expect_in noprefix "--no-lint" "\[E007\]"
expect_in latin1 "--no-lint" "\[E027\]"
if "$FLOWZAP" check "$tmp/directives.fz" 2>&1 | grep -q "\[W104\]"; then
    echo "FAIL directives: W104 not silenced by ignore-file"
    fail=1
fi

[ "$fail" = 0 ] && echo "ok: check_mapped"
exit "$fail"
