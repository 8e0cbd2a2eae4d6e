#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every
# test three ways: optimised with assertions (ci), under AddressSanitizer +
# UndefinedBehaviorSanitizer (asan), and the libFuzzer targets for a bounded
# time each (fuzz, clang; FZ_FUZZ_SECONDS, default 30); and once, the unit
# tests of the code that runs threads under ThreadSanitizer (tsan: the
# simulator's workers, the engine's concurrent tokens; about 2.5 minutes).
# Exits non-zero when anything fails, and ends with one line:
# "tests: N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

: "${FZ_FUZZ_SECONDS:=30}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run() {
  echo "==> $*"
  "$@" 2>&1 | tee -a "$log" || status=1
}
set -o pipefail
run cmake --workflow --preset ci
run cmake --workflow --preset asan
run cmake --workflow --preset tsan
run cmake --preset fuzz -DFZ_FUZZ_SECONDS="$FZ_FUZZ_SECONDS"
run cmake --build --preset fuzz
run ctest --preset fuzz

# ctest ends each suite with "N% tests passed, F tests failed out of T".
read -r passed failed < <(awk '/tests passed, [0-9]+ tests failed out of/ {
    f += $4; t += $NF } END { print t - f, f + 0 }' "$log")
if [ "$status" -eq 0 ]; then
  echo "test.sh: all suites passed (ci, asan, tsan, fuzz)"
else
  echo "test.sh: FAILED (see the output above)"
  [ "$failed" -gt 0 ] || failed=1
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
