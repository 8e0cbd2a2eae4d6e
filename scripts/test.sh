#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every
# test three ways: optimised with assertions (ci), under AddressSanitizer +
# UndefinedBehaviorSanitizer (asan), and the libFuzzer targets for a bounded
# time (fuzz, clang). Exits non-zero when anything fails.
set -eu
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

: "${FZ_FUZZ_SECONDS:=30}"
status=0
run() {
  echo "==> $*"
  "$@" || status=1
}
run cmake --workflow --preset ci
run cmake --workflow --preset asan
run cmake --preset fuzz -DFZ_FUZZ_SECONDS="$FZ_FUZZ_SECONDS" >/dev/null
run cmake --build --preset fuzz
run ctest --preset fuzz
if [ "$status" -eq 0 ]; then
  echo "test.sh: all suites passed (ci, asan, fuzz)"
else
  echo "test.sh: FAILED (see the output above)"
fi
exit "$status"
