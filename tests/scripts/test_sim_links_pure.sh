#!/usr/bin/env bash
# The engine's room stays pure (issue 13, docs/internals/real.md): the
# static libraries fz_engine and fz_sim reference no SQLite, libpq, libcurl
# or nettle symbol and nothing of fz_real (real/), and bench_sim, a program
# that links fz_sim + fz_engine alone, has none of those on its link line
# nor among its undefined symbols or needed shared libraries.
set -eu
: "${FZ_BUILD:?}"
pass=0
ok() { pass=$((pass + 1)); }
fail() { echo "FAIL: $*"; exit 1; }
foreign='^(sqlite3_|PQ|curl_|nettle_)'

eng="$FZ_BUILD/engine/libfz_engine.a" sim="$FZ_BUILD/sim/libfz_sim.a" real="$FZ_BUILD/real/libfz_real.a"
for a in "$eng" "$sim" "$real"; do [ -f "$a" ] || fail "$a is not built"; done

# 1. No foreign undefined reference in fz_engine or fz_sim.
for a in "$eng" "$sim"; do
  bad=$(nm -u "$a" | awk '{print $NF}' | grep -E "$foreign" | sort -u || true)
  [ -z "$bad" ] || fail "$(basename "$a") references: $bad"
  ok
done

# 2. The test itself would see a foreign reference: fz_real has some.
nm -u "$real" | awk '{print $NF}' | grep -qE '^sqlite3_' || fail "nm finds no sqlite3_ reference in libfz_real.a"
ok

# 3. fz_engine and fz_sim need nothing that only fz_real defines.
nm -g --defined-only "$real" | awk 'NF == 3 {print $3}' | sort -u >"$FZ_BUILD/real_defs.$$"
bad=$(nm -u "$eng" "$sim" | awk 'NF == 2 {print $2}' | sort -u | comm -12 - "$FZ_BUILD/real_defs.$$")
rm -f "$FZ_BUILD/real_defs.$$"
[ -z "$bad" ] || fail "fz_engine/fz_sim use fz_real's: $bad"
ok

# 4. bench_sim links fz_sim + fz_engine only: its link line, its undefined
# symbols and its needed libraries name no SQLite, libpq, libcurl, nettle.
bin="$FZ_BUILD/bench/bench_sim"
[ -x "$bin" ] || fail "$bin is not built"
link="$FZ_BUILD/bench/CMakeFiles/bench_sim.dir/link.txt"
if [ -f "$link" ]; then
  ! grep -qE 'sqlite3|libpq|-lpq|curl|nettle|libfz_real' "$link" || fail "bench_sim's link line: $(cat "$link")"
  grep -q 'libfz_sim.a' "$link" || fail "bench_sim's link line has no libfz_sim.a: $(cat "$link")"
  ok
fi
bad=$(nm -u "$bin" | awk '{print $NF}' | grep -E "$foreign" || true)
[ -z "$bad" ] || fail "bench_sim references: $bad"
ok
bad=$(readelf -d "$bin" | grep NEEDED | grep -E 'sqlite|libpq|curl|nettle' || true)
[ -z "$bad" ] || fail "bench_sim needs: $bad"
ok

# 5. And it runs: a short simulation of a project workflow.
: "${FZ_SRC:?}"
(cd "$FZ_SRC" && "$bin" 200 1 >/dev/null) || fail "bench_sim does not run"
ok
echo "$pass passed"
