#!/usr/bin/env bash
# Writes the manual page flowzap(1) from flowzap's own --help texts (the
# same texts docs/cli.md is made of, their option lists printed from the
# commands' option tables), so the page and the binary never disagree.
# `cmake --install` runs it and installs the page.
# Usage: scripts/gen-man.sh [FLOWZAP] > flowzap.1
set -eu
fz=${1:-${FLOWZAP:-build/release/cli/flowzap}}
version=$("$fz" --version | sed 's/^flowzap //')
# roff: a backslash is \e; a line starting with . or ' is a request unless
# it starts with \&.
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
# A command's --help in no-fill mode, except its option lists (the lines
# after "Options:" up to a blank line, printed from the option tables):
# each entry becomes a tagged paragraph, its spelling in bold, its text
# filled to the reader's width.
page() {
  esc | awk '
    function flush() { if (tag != "") { print ".TP"; print ".B \"" tag "\""; if (text != "") print text } tag = ""; text = "" }
    opts && /^$/ { flush(); opts = 0; print ".PP"; print ".nf"; next }
    opts && /^  -/ {
      flush(); line = substr($0, 3); i = match(line, /  +/)
      if (i) { tag = substr(line, 1, i - 1); text = substr(line, i + RLENGTH) } else { tag = line; text = "" }
      next
    }
    opts { sub(/^ +/, ""); if (/^[.\047]/) $0 = "\\&" $0; text = text (text == "" ? "" : "\n") $0; next }
    /[Oo]ptions:$/ { print; print ".fi"; opts = 1; next }
    { print }
    END { flush(); if (opts) print ".nf" }'
}
cat <<HEAD
.TH FLOWZAP 1 "" "flowzap $version" "User Commands"
.nh
.ad l
.SH NAME
flowzap \\- check, run, simulate and render FlowZap Code workflows
.SH SYNOPSIS
.B flowzap
.I COMMAND
.RI [ OPTIONS ]
.RI [ ARGS ]
.br
.B flowzap help
.RI [ COMMAND ]
.br
.B flowzap \\-V
.SH DESCRIPTION
.nf
HEAD
"$fz" --help | esc
echo '.fi'
echo '.SH CONVENTIONS'
cat <<'CONV'
Every command reads its options the same way:
.B \-\-opt value
and
.BR \-\-opt=value ;
.B \-Tpng
and
.BR "\-T png" ;
grouped flags
.RB ( "fmt \-qw" );
a unique prefix of a long option;
.B \-\-
ends the options.
An unknown command or option is answered in one line with the nearest valid
one and exit status 64.
.B source <(flowzap completion bash)
completes commands, options and file names.
CONV
# Every command `flowzap --help` lists, in its order.
for c in $("$fz" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
  printf '.SH "flowzap %s"\n.nf\n' "$c"
  "$fz" "$c" --help | page
  echo '.fi'
done
cat <<'TAIL'
.SH ENVIRONMENT
.TP
.B FLOWZAP_DB
the journal of runs (default .flowzap/runs.db)
.TP
.B FLOWZAP_JOURNAL_SYNC
normal: no fsync per step
.TP
.B NO_COLOR
no colours in diagnostics
.SH SEE ALSO
docs/cli.md and the other pages of docs/ in the flowzap sources.
TAIL
