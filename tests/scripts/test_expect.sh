#!/bin/bash
# SPDX-License-Identifier: MIT
# test_expect.sh - `flowzap test` end to end: the canary's own expectations
# pass; a broken expectation exits 1 with one line naming it, a replay
# command that replays the failing run, and a JUnit file (parsed with an XML
# parser) that names it, also for a hostile scenario name; JSON results;
# --min-coverage; a coverage SVG; bad expectations and missing scenario
# files. Env: FLOWZAP, FZ_SRC.
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$FZ_SRC"

check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: exit $3, expected $2"
        fail=1
    fi
}
contains() { # contains NAME FILE TEXT
    if ! grep -qF -- "$3" "$2"; then
        echo "FAIL: $1: '$3' not in output:"
        sed 's/^/    /' "$2" | head -20
        fail=1
    fi
}

# The project's own tests: every canary scenario carries expectations.
"$FLOWZAP" test workflows/ --junit "$tmp/ok.xml" --json "$tmp/ok.json" >"$tmp/out" 2>"$tmp/err"
check canary 0 $?
contains canary "$tmp/out" "7 passed, 0 failed, 0 skipped"
contains canary "$tmp/out" "PASS workflows/canary-deploy.fz happy-path (one run, 1 run)"
contains canary "$tmp/out" "PASS workflows/canary-deploy.fz flaky-registry (exact + runs"
contains canary "$tmp/out" "PASS workflows/canary-deploy.fz monitoring-outage (Monte Carlo"
python3 - "$tmp/ok.xml" "$tmp/ok.json" <<'EOF' || fail=1
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "7" and root.get("failures") == "0", root.attrib
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["workflows/canary-deploy.fz"], suites
names = [c.get("name") for c in suites[0].findall("testcase")]
assert "registry-down" in names and len(names) == 7, names
r = json.load(open(sys.argv[2]))
assert r["format"] == "flowzap-test-report" and r["passed"] == 7 and r["failed"] == 0, r
assert r["workflows"][0]["coverage"]["nodes"] == 1.0
EOF

# --json -: JSON alone on stdout.
"$FLOWZAP" test workflows/ --json - 2>/dev/null | python3 -c "import json, sys; assert json.load(sys.stdin)['passed'] == 7" ||
    { echo "FAIL: --json - is not JSON alone"; fail=1; }

# Deterministic: the same JSON twice (the seed comes from the file).
"$FLOWZAP" test workflows/canary-deploy.fz -q --json "$tmp/ok2.json" >/dev/null
cmp -s <(grep -v '"message"' "$tmp/ok.json") <(grep -v '"message"' "$tmp/ok2.json") ||
    { echo "FAIL: two test runs differ"; fail=1; }

# A broken expectation, under a scenario name hostile to XML and shells.
mkdir -p "$tmp/wf"
cp workflows/canary-deploy.fz "$tmp/wf/canary.fz"
cat >"$tmp/wf/canary.test.yaml" <<'EOF'
seed: 9
rules:
  - {match: "healthy\\?$", weights: {Yes: 0.9, No: 0.1}}
scenarios:
  "<&\"]]>'$(x)":
    rules:
      - {match: "^Push to registry$", error: 30%}
    expect:
      outcome: {match: "^End via "}
  "fine":
    expect:
      share: {"End via Success": ">= 0.3"}
  "no-expectations": {}
EOF
"$FLOWZAP" test "$tmp/wf/canary.fz" --junit "$tmp/bad.xml" >"$tmp/out" 2>"$tmp/err"
check broken 1 $?
contains broken "$tmp/out" "FAIL $tmp/wf/canary.fz <&\"]]>'\$(x) (exact + runs"
contains broken "$tmp/out" "outcome: run 2 ended \"failed at "
contains broken "$tmp/out" "expected match \"^End via \""
contains broken "$tmp/out" "PASS $tmp/wf/canary.fz fine"
contains broken "$tmp/out" "SKIP $tmp/wf/canary.fz no-expectations: no expect:"
contains broken "$tmp/out" "1 passed, 1 failed, 1 skipped"
contains broken "$tmp/out" "replay: flowzap sim"
python3 - "$tmp/bad.xml" <<'EOF' || fail=1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("failures") == "1" and root.get("skipped") == "1", root.attrib
cases = {c.get("name"): c for c in root.iter("testcase")}
bad = cases["<&\"]]>'$(x)"]
f = bad.find("failure")
assert f is not None and "expected match" in f.get("message"), f
assert "replay: flowzap sim" in f.text, f.text
assert cases["fine"].find("failure") is None
assert cases["no-expectations"].find("skipped") is not None
EOF
# The replay command, run by a shell, replays the failing run.
replay=$(sed -n 's/^FAIL .* | replay: //p' "$tmp/out")
flowzap() { "$FLOWZAP" "$@"; }
(cd "$tmp" && eval "$replay" >"$tmp/replay.out" 2>&1)
check replay 3 $?
contains replay "$tmp/replay.out" "failed"
ls "$tmp"/run-*.jsonl >/dev/null 2>&1 || { echo "FAIL: replay wrote no trace"; fail=1; }

# A directory stands for its workflows with a scenario file beside them.
"$FLOWZAP" test "$tmp/wf" -q >"$tmp/out" 2>&1
check dir 1 $?
contains dir "$tmp/out" "1 passed, 1 failed, 1 skipped"

# Terminal escapes in names are not passed through.
cat >"$tmp/wf/canary.test.yaml" <<'EOF'
scenarios:
  "evil\e]0;title\a":
    expect: {share: {"End via Success": ">= 0"}}
EOF
"$FLOWZAP" test "$tmp/wf/canary.fz" >"$tmp/out" 2>&1
check escapes 0 $?
if grep -q $'\e' "$tmp/out"; then echo "FAIL: an escape reached the terminal"; fail=1; fi
contains escapes "$tmp/out" 'evil\x1b]0;title\x07'

# --min-coverage over the set, and the coverage painted on the diagram.
cat >"$tmp/wf/canary.test.yaml" <<'EOF'
scenarios:
  down:
    rules: [{match: "^Push to registry$", script: [error]}]
    expect: {path: [n1, n2, n3]}
EOF
"$FLOWZAP" test "$tmp/wf/canary.fz" --min-coverage 50% --coverage-svg "$tmp/cov.svg" >"$tmp/out" 2>&1
check coverage 4 $?
contains coverage "$tmp/out" "COVERAGE $tmp/wf/canary.fz: nodes 15.0%, edges 9.1%, below --min-coverage 50.0%"
python3 -c "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])" "$tmp/cov.svg" ||
    { echo "FAIL: coverage SVG is not XML"; fail=1; }
"$FLOWZAP" test "$tmp/wf/canary.fz" --min-coverage 5% >/dev/null 2>&1
check coverage-met 0 $?

# An approval gate is a node like any other: answered by a script or by
# weights, with no person and no wall-clock wait (the "no" takes 72 hours
# of virtual time).
cat >"$tmp/wf/release.fz" <<'EOF'
Release { # Release
n1: circle label:"Start"
n2: rectangle label:"Approve release"
n3: rectangle label:"Ship"
n4: circle label:"Shipped"
n5: circle label:"Stopped"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left) [label="Yes"]
n2.handle(bottom) -> n5.handle(top) [label="No"]
n3.handle(right) -> n4.handle(left)
}
EOF
cat >"$tmp/wf/release.bindings.yaml" <<'EOF'
version: 1
rules:
  - {match: "^Approve release$", approval: "Ship it?"}
  - {noop: }
EOF
cat >"$tmp/wf/release.scenario.yaml" <<'EOF'
scenarios:
  approved:
    rules: [{match: "^Approve release$", script: [ok]}]
    expect: {path: [n1, n2, n3, n4], outcome: Shipped via Yes}
  rejected-after-three-days:
    rules: [{match: "^Approve release$", script: [no], latency: 72h}]
    expect: {path: [n1, n2, n5], duration: {max: "== 72h"}}
  mostly-approved:
    rules: [{match: "^Approve release$", weights: {"Yes": 0.9, "No": 0.1}}]
    expect: {share: {"Shipped via Yes": ">= 0.85"}}
EOF
"$FLOWZAP" bind "$tmp/wf/release.fz" --bindings "$tmp/wf/release.bindings.yaml" >"$tmp/out" 2>&1
contains gate-bound "$tmp/out" "approval"
timeout 20 "$FLOWZAP" test "$tmp/wf/release.fz" >"$tmp/out" 2>&1
check gates 0 $?
contains gates "$tmp/out" "3 passed, 0 failed, 0 skipped"

# Several workflows: one testsuite each, one coverage picture each.
"$FLOWZAP" test workflows/canary-deploy.fz "$tmp/wf/release.fz" --junit "$tmp/two.xml" \
    --coverage-svg "$tmp/cover.svg" >"$tmp/out" 2>&1
check two 0 $?
contains two "$tmp/out" "10 passed, 0 failed, 0 skipped"
[ -s "$tmp/cover-canary-deploy.svg" ] && [ -s "$tmp/cover-release.svg" ] ||
    { echo "FAIL: no coverage picture per workflow"; fail=1; }
python3 - "$tmp/two.xml" <<'EOF' || fail=1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
assert len(suites) == 2 and suites[1].get("name").endswith("release.fz"), suites
assert root.get("tests") == "10", root.attrib
EOF

# Mistakes: an unknown node (file:line:col), no scenario file, bad options.
cat >"$tmp/wf/canary.test.yaml" <<'EOF'
scenarios:
  s:
    expect: {path: [n1, n42]}
EOF
"$FLOWZAP" test "$tmp/wf/canary.fz" >"$tmp/out" 2>"$tmp/err"
check unknown-node 2 $?
contains unknown-node "$tmp/err" "canary.test.yaml:3:25: error: 'path' names node 'n42', which the workflow does not have [S009]"
cat >"$tmp/wf/canary.test.yaml" <<'EOF'
scenarios:
  s:
    expect: {share: {x: "about half"}}
EOF
"$FLOWZAP" test "$tmp/wf/canary.fz" >"$tmp/out" 2>"$tmp/err"
check bad-share 2 $?
contains bad-share "$tmp/err" "'x' of 'share': not a comparison, found 'about half' [S002]"
rm "$tmp/wf/canary.test.yaml"
"$FLOWZAP" test "$tmp/wf/canary.fz" >"$tmp/out" 2>"$tmp/err"
check no-scenarios 74 $?
contains no-scenarios "$tmp/err" "has no scenario file beside it"
"$FLOWZAP" test workflows/canary-deploy.fz --runs 0 >/dev/null 2>&1
check bad-runs 64 $?
"$FLOWZAP" test workflows/canary-deploy.fz --bogus >/dev/null 2>&1
check bad-option 64 $?

exit $fail
