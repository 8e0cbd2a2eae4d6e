#!/usr/bin/env bash
# test_cli_conventions.sh - the command-line conventions every command
# shares (cli/options.c, docs/cli.md "Conventions"): --opt=value and
# --opt value, glued and grouped short options, `--`, help CMD, CMD --help,
# -V, one-line answers with the nearest spelling and status 64 for unknown
# commands and options, the C library's words for unreadable files, and
# run -q printing only the outcome line.
set -uo pipefail
: "${FLOWZAP:?FLOWZAP must name the flowzap binary}"

work=$(mktemp -d /tmp/fz-cliconv.XXXXXX)
trap '[ -n "${FZ_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0
fail() { echo "FAIL: $*" >&2; for f in out.txt err.txt; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done; exit 1; }
ok() { pass=$((pass + 1)); }
# run_fz WANT_STATUS ARGS...: runs flowzap, output in out.txt and err.txt.
run_fz() {
    local want=$1
    shift
    "$FLOWZAP" "$@" > out.txt 2> err.txt
    local st=$?
    [ "$st" -eq "$want" ] || fail "flowzap $*: status $st, expected $want"
}
one_line() { [ "$(wc -l < err.txt)" -eq 1 ] || fail "$1: stderr is not one line"; }
has() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2'"; }

printf 'Ops { # Ops\nn1: circle label:"Start"\nn2: rectangle label:"Deploy app"\nn3: circle label:"End"\nn1.handle(right) -> n2.handle(left)\nn2.handle(right) -> n3.handle(left)\n}\n' > good.fz
cat > ok.yaml <<'YAML'
rules:
  - {shape: circle, noop: }
  - match: "^Deploy (.*)$"
    log: "deploying ${1}"
YAML
cat > f.yaml <<'YAML'
scenarios:
  base:
    rules:
      - {match: ".*", latency: {fixed: 1ms}}
YAML

#--- --opt=value and --opt value are the same --------------------------------
run_fz 0 run --bindings=ok.yaml --no-journal good.fz
run_fz 0 run --bindings ok.yaml --no-journal good.fz
run_fz 0 run good.fz -b ok.yaml --no-journal
run_fz 0 run good.fz -bok.yaml --no-journal
run_fz 0 run --bind=ok.yaml --no-journal good.fz # a unique prefix
run_fz 0 sim --faults=f.yaml --seed=1 --runs=20 good.fz
cp out.txt sim1.txt
run_fz 0 sim --faults f.yaml --seed 1 --runs 20 good.fz
cmp -s out.txt sim1.txt || fail "sim --opt=value and --opt value differ"
ok

#--- glued short options -------------------------------------------------------
run_fz 0 render good.fz -Tdot
has out.txt "digraph"
run_fz 0 render good.fz -T dot
run_fz 0 export -fdot good.fz
has out.txt "digraph"
run_fz 0 export --format=dot good.fz
run_fz 0 check -Wno-W207 good.fz # -Wno-CODE still reads as one option
run_fz 0 check -W no-W207 good.fz
ok

#--- grouped short flags -------------------------------------------------------
run_fz 0 fmt good.fz
cp out.txt canon.fz
cmp -s canon.fz good.fz && fail "good.fz is already canonical: the fmt case proves nothing"
cp good.fz messy.fz
run_fz 0 fmt -qw messy.fz
[ -s out.txt ] && fail "fmt -qw printed '$(cat out.txt)'"
cmp -s messy.fz canon.fz || fail "fmt -qw did not rewrite messy.fz"
ok

#--- -- before an operand that starts with '-' --------------------------------
cp good.fz ./-x.fz
run_fz 0 check -- -x.fz
has out.txt "-x.fz: 1 lane"
run_fz 64 check -x.fz
one_line "check -x.fz"
has err.txt "flowzap check: unknown option '-x'"
run_fz 0 render -Tdot -- -x.fz
run_fz 0 export -- -x.fz
ok

#--- help CMD, CMD --help, -V --------------------------------------------------
run_fz 0 check --help
cp out.txt help1.txt
has help1.txt "usage: flowzap check"
run_fz 0 help check
cmp -s out.txt help1.txt || fail "help check differs from check --help"
run_fz 0 check -h
cmp -s out.txt help1.txt || fail "check -h differs from check --help"
run_fz 0 help
has out.txt "Commands:"
run_fz 0 -V
grep -qE '^flowzap [0-9]+\.[0-9]+\.[0-9]+$' out.txt || fail "-V printed '$(cat out.txt)'"
run_fz 0 --version
ok

#--- unknown command and option: one line, nearest spelling, status 64 -------
run_fz 64 chek good.fz
one_line "chek"
has err.txt "flowzap: unknown command 'chek'; did you mean 'check'? (see 'flowzap --help')"
run_fz 64 help rnu
one_line "help rnu"
has err.txt "did you mean 'run'?"
run_fz 64 run --bindngs=ok.yaml good.fz
one_line "run --bindngs"
has err.txt "flowzap run: unknown option '--bindngs'; did you mean '--bindings'? (see 'flowzap run --help')"
run_fz 64 sim --fualts f.yaml good.fz
has err.txt "did you mean '--faults'?"
run_fz 64 render good.fz --directoin LR
has err.txt "flowzap render: unknown option '--directoin'; did you mean '--direction'?"
run_fz 64 check --zzzzzz good.fz
one_line "check --zzzzzz"
grep -q "did you mean" err.txt && fail "a suggestion for a word far from every option"
run_fz 64 run good.fz --bindings
one_line "run --bindings (no value)"
has err.txt "flowzap run: option '--bindings' needs a value"
run_fz 64 run --quiet=yes -b ok.yaml good.fz
has err.txt "option '--quiet' takes no value"
run_fz 64 run --s x good.fz
has err.txt "option '--s' is ambiguous; could be '--set', '--secret', '--start'"
# A hostile option name is quoted as given, on one line.
run_fz 64 check $'--a\x1b[2Jb' good.fz
one_line "hostile option"
has err.txt "unknown option '--a\x1b[2Jb'"
grep -q $'\x1b' err.txt && fail "an escape byte of an option reached the terminal"
run_fz 64 $'ch\x1b]0;t\x07' good.fz
one_line "hostile command"
has err.txt "unknown command 'ch\x1b]0;t\x07'"
grep -q $'\x1b' err.txt && fail "an escape byte of a command reached the terminal"
run_fz 64 render $'-\x07'
has err.txt "unknown option '-\x07'"
run_fz 74 check $'no\x1b[2Jfile.fz'
has err.txt "cannot read 'no\x1b[2Jfile.fz': No such file or directory"
grep -q $'\x1b' err.txt && fail "an escape byte of a file name reached the terminal"
for c in check export fmt render bind run runs resume signal sim test init; do
    run_fz 64 $c --no-such-option
    one_line "$c --no-such-option"
    has err.txt "flowzap $c: unknown option '--no-such-option'"
    has err.txt "(see 'flowzap $c --help')"
done
ok

# A missing operand is one line too, with the same pointer.
for c in check export fmt render bind run signal sim; do
    run_fz 64 $c
    one_line "$c without operands"
    has err.txt "flowzap $c: "
    has err.txt "(see 'flowzap $c --help')"
done
ok

#--- unreadable files in the C library's words --------------------------------
mkdir adir
for c in check export fmt render sim; do
    run_fz 74 $c missing.fz
    has err.txt "flowzap $c: cannot read 'missing.fz': No such file or directory"
    run_fz 74 $c adir
    has err.txt "flowzap $c: cannot read 'adir': Is a directory"
done
run_fz 74 run -b ok.yaml --no-journal missing.fz
has err.txt "No such file or directory"
run_fz 74 run -b ok.yaml --no-journal adir
has err.txt "Is a directory"
ok

#--- unknown keys in bindings and scenarios name the nearest key ------------
printf 'rules:\n  - {shape: circle, noop: }\n  - match: "^Deploy"\n    log: hi\n    retry: 2\nsecret:\n  X: {evn: Y}\n' > typo.yaml
run_fz 2 bind good.fz -b typo.yaml
has err.txt "rule 2: unknown key 'retry'; did you mean 'retries'?"
has err.txt "unknown top-level key 'secret'; did you mean 'secrets'?"
printf 'rules:\n  - {shape: circle, noop: }\n  - {match: "^Deploy", log: hi, backoff: {knd: fixed}}\nsecrets:\n  X: {evn: Y}\n' > typo2.yaml
run_fz 2 bind good.fz -b typo2.yaml
has err.txt "unknown key 'backoff.knd'; did you mean 'kind'?"
has err.txt "secret 'X': unknown key 'evn'; did you mean 'env'?"
printf 'scenarios:\n  base:\n    rules:\n      - {match: ".*", latncy: {fixed: 1ms}}\n' > typo.scenario.yaml
run_fz 2 sim good.fz --faults typo.scenario.yaml --seed 1
has err.txt "unknown field 'latncy' in a rule; did you mean 'latency'?"
printf 'scenarios:\n  base:\n    rules:\n      - {match: ".*", zzzzzz: 1}\n' > far.scenario.yaml
run_fz 2 sim good.fz --faults far.scenario.yaml --seed 1
has err.txt "unknown field 'zzzzzz' in a rule"
grep -q "did you mean" err.txt && fail "a suggestion for a key far from every key"
ok

#--- run -q: only the outcome line ---------------------------------------------
run_fz 0 run -q -b ok.yaml --db runs.db good.fz
one_line "run -q"
has err.txt "flowzap: completed: "
[ -s out.txt ] && fail "run -q wrote to stdout"
run_fz 0 run -b ok.yaml --db runs.db good.fz
has err.txt "recorded in"
ok

#--- bash completion from the option tables ------------------------------------
run_fz 0 completion bash
cp out.txt comp.bash
bash -n comp.bash || fail "completion bash is no valid bash"
complete_words() { # complete_words WORD... : what _flowzap offers for the last word
    bash -c 'source comp.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flowzap; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
[ "$(complete_words flowzap ch)" = check ] || fail "completion of 'ch': $(complete_words flowzap ch)"
[ "$(complete_words flowzap run --bind)" = --bindings ] || fail "completion of run --bind"
[ "$(complete_words flowzap sim --wor)" = --workflow ] || fail "completion of sim --wor (merge)"
[ "$(complete_words flowzap run -b goo)" = good.fz ] || fail "file completion after -b"
complete_words flowzap check --j | grep -qx -- --json || fail "completion of check --j"
# Every option the completion offers is one the parser takes.
for c in check export fmt render bind run runs resume signal test init; do
    for o in $(complete_words flowzap $c -); do
        "$FLOWZAP" $c $o x </dev/null 2>&1 | head -1 | grep -q "unknown option" &&
            fail "completion offers '$c $o', which $c refuses"
    done
done
run_fz 64 completion zsh
one_line "completion zsh"
ok

: "${FZ_SRC:?}" "${FZ_BUILD:?}"
#--- flowzap(1): made from the --help texts, installed by cmake --install -----
bash "$FZ_SRC/scripts/gen-man.sh" "$FLOWZAP" > flowzap.1 || fail "gen-man.sh failed"
for c in check export fmt render bind run runs resume signal sim test init completion; do
    grep -qx ".SH \"flowzap $c\"" flowzap.1 || fail "flowzap.1 has no section for $c"
done
if command -v groff > /dev/null; then
    groff -man -Tutf8 -ww -z flowzap.1 2> groff.txt || fail "groff refuses flowzap.1"
    [ -s groff.txt ] && fail "groff warns about flowzap.1: $(cat groff.txt)"
    groff -man -Tutf8 flowzap.1 2>/dev/null | grep -q -- "--bindings" || fail "flowzap.1 lacks --bindings"
fi
cmake --install "$FZ_BUILD" --prefix "$work/inst" > install.txt 2>&1 || fail "cmake --install: $(cat install.txt)"
[ -x "$work/inst/bin/flowzap" ] || fail "cmake --install did not install bin/flowzap"
cmp -s "$work/inst/share/man/man1/flowzap.1" flowzap.1 || fail "the installed flowzap.1 differs"
ok

echo "$pass passed, 0 failed"
