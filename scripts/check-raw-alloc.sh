#!/usr/bin/env bash
# The project's allocation rule (core/alloc.h, STYLE.md point 10): library
# code allocates through the fz_alloc hook (fz_malloc, fz_calloc,
# fz_realloc, fz_free, fz_strdup), never with raw malloc, calloc, realloc,
# free, strdup or strndup. Allowed: core/alloc.c (the hook itself), cli/
# (the edge, which may print and exit), tests/ and bench/.
#
# Where a library hands over memory that must go back with free() (jansson's
# json_dumps, open_memstream), mark the line with a comment that says so:
#     free(s); /* raw-alloc: json_dumps' buffer */
# scripts/raw-alloc.allow lists whole files still waiting for conversion
# ("path name", e.g. "engine/trace.c free"), each with its reason.
#
# Usage: scripts/check-raw-alloc.sh [ROOT]   (default: this tree)
# Prints file:line: for each raw call; exits 1 when there is any, else 0.
set -eu -o pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$here}
allow=$here/scripts/raw-alloc.allow
[ -d "$root" ] || { echo "check-raw-alloc: no directory $root" >&2; exit 2; }
cd "$root"
find . \( -name build -o -name .git -o -name node_modules \) -prune -o \
     -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort |
  grep -Ev '^(cli|tests|bench)/|^core/alloc\.c$' |
  perl -e '
    my %allow;
    if (open my $a, "<", $ARGV[0]) {
        while (<$a>) { s/#.*//; my ($f, $n) = split; $allow{"$f $n"} = 1 if $n; }
    }
    my $bad = 0;
    while (my $file = <STDIN>) {
        chomp $file;
        open my $fh, "<", $file or next;
        local $/; my $src = <$fh>; close $fh;
        my @raw = split /\n/, $src, -1;
        # Blank comments, string and character literals, keeping lines.
        $src =~ s{(/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\x27(?:\\.|[^\x27\\\n])*\x27)}
                 { my $m = $1; $m =~ s/[^\n]/ /g; $m }gse;
        my @lines = split /\n/, $src, -1;
        for my $i (0 .. $#lines) {
            while ($lines[$i] =~ /(?<![\w.>])(malloc|calloc|realloc|free|strdup|strndup)\s*\(/g) {
                my $name = $1;
                next if $raw[$i] =~ m{/\*\s*raw-alloc:\s*\S};
                next if $allow{"$file $name"};
                printf "%s:%d: raw %s() outside core/alloc.c and cli/: use fz_%s (core/alloc.h)%s\n",
                    $file, $i + 1, $name, ($name eq "strndup" ? "arena_strndup or fz_strdup" : $name),
                    ($name eq "free" ? ", or mark a library'"'"'s buffer with /* raw-alloc: why */" : "");
                $bad++;
            }
        }
    }
    if ($bad) {
        print "check-raw-alloc: $bad raw allocation call(s)\n";
        exit 1;
    }
  ' "$allow"
