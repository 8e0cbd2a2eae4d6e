#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# update-goldens.sh - rebuilds flowzap (dev preset) and rewrites the golden
# files of tests/golden/ (export JSON and DOT, fmt, check for every
# workflows/*.fz; the parser's error goldens in tests/golden/errors/; the
# renderer's DOT in tests/golden/render/).
# Review the result with `git diff tests/golden` before committing it.
set -eu
cd "$(dirname "$0")/.."
cmake --preset dev > /dev/null
cmake --build --preset dev -j2 > /dev/null
export FLOWZAP="$PWD/build/dev/cli/flowzap" FZ_SRC="$PWD" FZ_BUILD="$PWD/build/dev"
export FZ_UPDATE_GOLDENS=1
for t in tests/scripts/test_golden.sh tests/scripts/test_check_errors.sh tests/scripts/test_init.sh; do
    [ -f "$t" ] && bash "$t"
done
# The renderer's DOT goldens (tests/golden/render/) are written by its cmocka test.
build/dev/tests/test_render > /dev/null
git status --short tests/golden || true
echo "update-goldens: review with 'git diff tests/golden', then commit"
