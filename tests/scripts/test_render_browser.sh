#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_render_browser.sh - loads flowzap's SVG in a real browser (Debian's
# headless Chromium): the picture must decode without errors (an <img>
# onload/onerror page, and the SVG opened as a document must hold no XML
# parser error), and its screenshot must not be blank. Screenshots stay in
# $FZ_BUILD/render-browser/ for a human to look at.
set -euo pipefail
: "${FLOWZAP:?}" "${FZ_SRC:?}" "${FZ_BUILD:?}"
out="$FZ_BUILD/render-browser"
rm -rf "$out"
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

chrome() {
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars "$@" 2>>"$out/chromium.log"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$out/trace.jsonl" <<'JSON'
{"ev":"run","run":"r1","workflow":"canary-deploy.fz","hash":"x","backend":"sim"}
{"ev":"start","t":0,"task":1,"node":"n1","lane":"Deployment","label":"Start","token":1,"attempt":1}
{"ev":"edge","t":1,"edge":"e1","from":"n1","to":"n2","token":1}
{"ev":"start","t":1,"task":2,"node":"n2","token":1,"attempt":1}
{"ev":"edge","t":2,"edge":"e2","from":"n2","to":"n3","token":1}
{"ev":"start","t":2,"task":3,"node":"n3","token":1,"attempt":1}
{"ev":"edge","t":3,"edge":"e3","from":"n3","to":"n6","token":1}
{"ev":"start","t":3,"task":4,"node":"n6","token":1,"attempt":1}
{"ev":"end","t":9,"state":"failed","outcome":"n6 failed","steps":4}
JSON

check() { # name, then render arguments
    local name=$1
    shift
    "$FLOWZAP" render "$FZ_SRC/workflows/canary-deploy.fz" -o "$out/$name.svg" "$@" ||
        fail "$name: render failed"
    # 1. The SVG opened as a document: Chromium shows XML errors as <parsererror>.
    chrome --dump-dom "file://$out/$name.svg" >"$out/$name.dom" || fail "$name: chromium failed"
    grep -q '<svg' "$out/$name.dom" || fail "$name: no <svg> in the loaded document"
    if grep -qi 'parsererror\|This page contains the following errors' "$out/$name.dom"; then
        fail "$name: the browser reports an XML error"
    fi
    # 2. The SVG as an image: onload/onerror set the title.
    cat >"$out/$name.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><title>pending</title></head>
<body style="margin:0;background:#ffffff">
<img src="$name.svg" style="width:100%;display:block"
 onload="document.title='loaded '+this.naturalWidth+'x'+this.naturalHeight"
 onerror="document.title='error'">
</body></html>
HTML
    chrome --virtual-time-budget=5000 --dump-dom "file://$out/$name.html" >"$out/$name.page" ||
        fail "$name: chromium failed on the page"
    local title
    title=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$out/$name.page")
    case "$title" in
    loaded\ [1-9]*x[1-9]*) ;;
    *) fail "$name: image did not load (title '$title')" ;;
    esac
    # 3. A screenshot that is not blank: some ink, several colours (lane tints).
    chrome --virtual-time-budget=5000 --window-size=1600,600 --screenshot="$out/$name.png" \
        "file://$out/$name.html" >/dev/null || fail "$name: no screenshot"
    [ -s "$out/$name.png" ] || fail "$name: empty screenshot"
    read -r w h ink colours < <(python3 "$FZ_SRC/tests/scripts/png_ink.py" "$out/$name.png")
    echo "$name: $title, screenshot ${w}x${h}, ink $ink, colours $colours"
    awk -v ink="$ink" 'BEGIN { exit !(ink > 0.02) }' || fail "$name: screenshot is blank (ink $ink)"
    [ "$colours" -ge 6 ] || fail "$name: screenshot has only $colours colours"
}

check flow-lr
check flow-tb --direction TB
check sequence --view sequence
check trace --trace "$out/trace.jsonl"
echo "ok: screenshots in $out"
