#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_render_cli.sh - `flowzap render` on the command line: formats chosen
# by -T or by OUT's extension, -o - for stdout, byte-identical output on a
# second run, and a distinct exit status with a clear message for each kind
# of bad input (usage 64, invalid workflow/trace/report 2, unreadable 74).
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}" "${FZ_BUILD:?}"
out="$FZ_BUILD/render-cli"
rm -rf "$out"
mkdir -p "$out"
canary="$FZ_SRC/workflows/canary-deploy.fz"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

expect_status() { # want, then the command
    local want=$1
    shift
    "$@" >"$out/stdout" 2>"$out/stderr"
    local got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want ($(head -c 300 "$out/stderr"))"
}

# Formats.
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/c.svg"
grep -q '<svg' "$out/c.svg" || fail "c.svg is not SVG"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/c.png"
[ "$(head -c 4 "$out/c.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "c.png is not PNG"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/c.dot"
head -1 "$out/c.dot" | grep -q '^digraph flowzap' || fail "c.dot is not DOT"
expect_status 0 "$FLOWZAP" render "$canary" -T dot -o "$out/c.txt"
cmp -s "$out/c.dot" "$out/c.txt" || fail "-T dot differs from .dot"
"$FLOWZAP" render "$canary" -o - >"$out/stdout.svg" || fail "-o - failed"
cmp -s "$out/c.svg" "$out/stdout.svg" || fail "-o - differs from -o FILE"
"$FLOWZAP" render "$canary" >"$out/default.svg" || fail "no -o failed"
cmp -s "$out/c.svg" "$out/default.svg" || fail "no -o differs from -o FILE"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/c.pdf"
[ "$(head -c 5 "$out/c.pdf")" = "%PDF-" ] || fail "c.pdf is not PDF"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/c.json"
grep -q '"name": "flowzap"' "$out/c.json" || fail "c.json is not Graphviz JSON"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/C.PNG"
cmp -s "$out/c.png" "$out/C.PNG" || fail ".PNG differs from .png"
expect_status 0 "$FLOWZAP" render "$canary" -o "$out/noext"
grep -q '<svg' "$out/noext" || fail "OUT without an extension is not SVG"
expect_status 0 "$FLOWZAP" render "$canary" -T svg -o "$out/forced.jpg"
cmp -s "$out/c.svg" "$out/forced.jpg" || fail "-T svg -o x.jpg is not the SVG"
expect_status 0 "$FLOWZAP" render "$canary" -T png -o "$out/forced.svg"
cmp -s "$out/c.png" "$out/forced.svg" || fail "-T png does not win over .svg"
expect_status 0 "$FLOWZAP" render "$canary" --direction TB --view flow -o "$out/tb.svg"
expect_status 0 "$FLOWZAP" render "$canary" --view sequence -o "$out/seq.svg"
grep -q 'class="view-sequence"' "$out/seq.svg" || fail "sequence view missing"
expect_status 0 "$FLOWZAP" render --help
grep -q -- '--direction' "$out/stdout" || fail "--help does not document --direction"

# Determinism (PDF too: cairo's creation date is fixed).
"$FLOWZAP" render "$canary" -o "$out/again.svg"
cmp -s "$out/c.svg" "$out/again.svg" || fail "two renders differ"
sleep 1
"$FLOWZAP" render "$canary" -o "$out/again.pdf"
cmp -s "$out/c.pdf" "$out/again.pdf" || fail "two PDF renders differ"

# An extension flowzap cannot write: 64, one line, nothing written; a
# hostile path is printed without its control bytes.
expect_status 64 "$FLOWZAP" render "$canary" -o "$out/x.jpg"
[ ! -e "$out/x.jpg" ] || fail "x.jpg was written"
[ "$(wc -l <"$out/stderr")" = 1 ] || fail "unknown extension: not one line: $(cat "$out/stderr")"
grep -q "x.jpg': unknown extension" "$out/stderr" || fail "no message for .jpg: $(cat "$out/stderr")"
expect_status 64 "$FLOWZAP" render "$canary" -o "$out/x"$'\e[31m'".gif"
grep -q $'\e' "$out/stderr" && fail "escape byte echoed to the terminal"
grep -q 'x\\x1B\[31m.gif' "$out/stderr" || fail "hostile path not shown escaped: $(cat -v "$out/stderr")"

# Usage errors: 64.
expect_status 64 "$FLOWZAP" render
expect_status 64 "$FLOWZAP" render "$canary" -T gif
grep -q "unknown format 'gif'" "$out/stderr" || fail "no message for -T gif"
expect_status 64 "$FLOWZAP" render "$canary" --direction XY
expect_status 64 "$FLOWZAP" render "$canary" --view map
expect_status 64 "$FLOWZAP" render "$canary" --bogus
expect_status 64 "$FLOWZAP" render "$canary" -o
expect_status 64 "$FLOWZAP" render "$canary" --view sequence -T png
expect_status 64 "$FLOWZAP" render "$canary" --trace a --heat b

# Unreadable input or output: 74.
expect_status 74 "$FLOWZAP" render "$out/missing.fz"
expect_status 74 "$FLOWZAP" render "$canary" --trace "$out/missing.jsonl"
expect_status 74 "$FLOWZAP" render "$canary" -o "$out/no/such/dir/x.svg"

# Invalid workflow, trace or report: 2, with file:line.
printf 'A { # a\nn1: rect label:"x"\n}\n' >"$out/bad.fz"
expect_status 2 "$FLOWZAP" render "$out/bad.fz"
grep -q 'bad.fz:2:' "$out/stderr" || fail "invalid workflow message lacks file:line"
printf '{"ev":"run"}\n{"ev":"start","node":"n42"}\n' >"$out/bad.jsonl"
expect_status 2 "$FLOWZAP" render "$canary" --trace "$out/bad.jsonl"
grep -q 'bad.jsonl:2:.*n42' "$out/stderr" || fail "bad trace message: $(cat "$out/stderr")"
printf '{"runs": 3, "edges": {"e99": {"runs": 1}}}\n' >"$out/bad.json"
expect_status 2 "$FLOWZAP" render "$canary" --heat "$out/bad.json"
grep -q 'e99' "$out/stderr" || fail "bad report message: $(cat "$out/stderr")"
printf '{"runs": 3,' >"$out/trunc.json"
expect_status 2 "$FLOWZAP" render "$canary" --heat "$out/trunc.json"
grep -q 'trunc.json:1:' "$out/stderr" || fail "truncated report message lacks file:line"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok"
