#!/usr/bin/env bash
# Lists the functions the project's libraries export that no code calls:
# every global text symbol (nm: T) of BUILD_DIR/*/libfz_*.a whose name, in
# the tree's .c and .h files with comments stripped, appears only where it
# is defined and declared (callers, tables of function pointers, inline
# functions in headers, tests, benchmarks and fuzz targets all count).
#   dead:       defined, declared, used nowhere: delete it
#   file-local: used only in its own .c file: it could be static
# Usage: scripts/dead-exports.sh [BUILD_DIR]   (default build/dev)
# Exits 1 when anything is dead, 2 when nothing is built.
set -eu -o pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
libs=$(ls "$build"/*/libfz_*.a 2>/dev/null) || true
[ -n "$libs" ] || { echo "dead-exports: no libfz_*.a under $build (build first)" >&2; exit 2; }
nm -g --defined-only $libs 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$build/exports.txt"
# One line per identifier occurrence: "file name", comments and strings removed.
git ls-files '*.c' '*.h' | while read -r f; do
    [ -f "$f" ] || continue
    perl -0777 -ne 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g; s{"(?:\\.|[^"\\\n])*"}{""}g;
        print "$ARGV $_\n" for /\b([A-Za-z_]\w*)\b/g' "$f"
done >"$build/idents.txt"
awk -v status=0 '
    NR == FNR { want[$1] = 1; next }
    ($2 in want) {
        n[$2]++
        if ($1 ~ /\.c$/) { c[$2]++; if (!(($2, $1) in seen)) { seen[$2, $1] = 1; files[$2] = files[$2] " " $1; nc[$2]++ } }
        else { h[$2]++; if (!(($2, $1) in seen)) { seen[$2, $1] = 1; nh[$2]++ } }
    }
    END {
        for (s in want) {
            # Its definition (once in its .c) and one declaration per header.
            if (c[s] <= 1 && h[s] <= nh[s]) { print "dead:" files[s] ": " s; status = 1 }
            else if (nc[s] == 1 && h[s] <= nh[s]) print "file-local:" files[s] ": " s
        }
        exit status
    }' "$build/exports.txt" "$build/idents.txt" | sort
