#!/usr/bin/env bash
# `CMD --help`, flowzap(1) and the bash completion come from the same option
# tables (cli/options.h): every option of every command's table (as
# `flowzap completion bash` lists them) is in that command's --help, with a
# value name exactly when it takes a value, and in the command's section of
# the man page; every option --help lists is one the command's parser takes.
set -u
: "${FLOWZAP:?}" "${FZ_SRC:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail=0
"$FLOWZAP" completion bash > comp.bash || { echo "FAIL: completion bash"; exit 1; }
bash "$FZ_SRC/scripts/gen-man.sh" "$FLOWZAP" > flowzap.1 || { echo "FAIL: gen-man.sh"; exit 1; }
# every command but completion (its table is checked by script.cli_conventions)
cmds=$("$FLOWZAP" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF && $1 != "completion" { print $1 }')
for c in $cmds; do
    "$FLOWZAP" "$c" --help > "help-$c.txt" || { echo "FAIL: $c --help"; fail=1; }
done
python3 - "$FLOWZAP" $cmds <<'PY' || fail=1
import re, subprocess, sys

fz, cmds = sys.argv[1], sys.argv[2:]
comp = open("comp.bash").read()
man = open("flowzap.1").read()
bad = 0
checked = 0


def fail(msg):
    global bad
    bad += 1
    print("FAIL:", msg)


def table(cmd):
    """The options and the valued ones of cmd, as the completion lists them."""
    m = re.search(r"^    %s\)\n        opts='([^']*)'\n        valued='([^']*)'" % re.escape(cmd),
                  comp, re.M)
    if not m:
        fail("completion has no arm for " + cmd)
        return set(), set()
    return set(m.group(1).split()), set(m.group(2).split())


def help_entries(text):
    """(part, spellings, value) of each option entry of a --help text: part is
    'sim merge' for the entries after the `sim merge` paragraph of sim."""
    out, part, opts = [], "", False
    for line in text.split("\n"):
        if line.startswith("`sim merge`"):
            part = "merge"
        opts = (opts and line != "") or line.endswith("ptions:")
        if opts and len(line) > 79:
            fail("a line of an option list is longer than 79 columns: " + line)
        if not line.startswith("  -"):
            continue
        col = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        words = re.findall(r"(?:^|(?<=[ ,]))(--?[A-Za-z][A-Za-z-]*)", col)
        rest = re.sub(r"(?:^|(?<=[ ,]))--?[A-Za-z][A-Za-z-]*,?", "", col).strip()
        out.append((part, words, rest))
    return out


for cmd in cmds:
    opts, valued = table(cmd)
    text = open("help-%s.txt" % cmd).read()
    entries = help_entries(text)
    listed = {w: (part, value) for part, words, value in entries for w in words}
    sec = re.search(r'^\.SH "flowzap %s"\n(.*?)(?=^\.SH )' % re.escape(cmd), man, re.M | re.S)
    section = sec.group(1) if sec else ""
    if not sec:
        fail("flowzap.1 has no section for " + cmd)
    for o in sorted(opts):
        checked += 1
        if o not in listed:
            fail("%s --help does not list %s, which its table has" % (cmd, o))
            continue
        if bool(listed[o][1]) != (o in valued):
            fail("%s --help shows %s %s a value name, but it %s a value" %
                 (cmd, o, "with" if listed[o][1] else "without",
                  "takes" if o in valued else "takes no"))
        if not re.search(r"(^|[^A-Za-z-])%s([^A-Za-z-]|$)" % re.escape(o), section, re.M):
            fail("flowzap.1 does not list %s %s" % (cmd, o))
    for o, (part, value) in sorted(listed.items()):
        checked += 1
        if o not in opts:
            fail("%s --help lists %s, which its table lacks" % (cmd, o))
        argv = [fz, cmd] + (["merge"] if part else []) + ["--help", o] + (["x"] if value else [])
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            fail("%s: '%s' exits %d: %s" % (cmd, " ".join(argv[1:]), r.returncode,
                                           r.stderr.strip()[:200]))
print("%d checks, %d failed" % (checked, bad))
sys.exit(1 if bad else 0)
PY
# A hostile option name is refused in one line, escaped, never obeyed.
"$FLOWZAP" run --help "--$(printf 'x\033[2J')" > out.txt 2> err.txt
st=$?
[ "$st" -eq 64 ] || { echo "FAIL: hostile option exits $st"; fail=1; }
grep -q $'\033' err.txt && { echo "FAIL: hostile option name reached the terminal raw"; fail=1; }
[ "$(wc -l < err.txt)" -eq 1 ] || { echo "FAIL: hostile option: $(cat err.txt)"; fail=1; }
[ "$fail" -eq 0 ] && echo "1 passed, 0 failed"
exit "$fail"
