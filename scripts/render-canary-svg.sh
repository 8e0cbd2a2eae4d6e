#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# render-canary-svg.sh - rebuilds flowzap (dev preset) and redraws
# docs/canary.svg, the picture the README shows, from
# workflows/canary-deploy.fz. The output is deterministic, so the file only
# changes when the workflow or the renderer does; tests/scripts/
# test_render_browser.sh fails while the committed copy is stale.
set -eu
cd "$(dirname "$0")/.."
cmake --preset dev > /dev/null
cmake --build --preset dev -j2 > /dev/null
build/dev/cli/flowzap render workflows/canary-deploy.fz -o docs/canary.svg
echo "render-canary-svg: wrote docs/canary.svg ($(wc -c < docs/canary.svg) bytes)"
