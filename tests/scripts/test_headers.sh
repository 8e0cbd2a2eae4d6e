#!/usr/bin/env bash
# Every header of the project compiles on its own (it includes what it
# uses), with the project's warning flags.
set -eu
: "${FZ_SRC:?}"
cd "$FZ_SRC"
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wstrict-prototypes -Wno-unused-function"
cflags="$cflags $(pkg-config --cflags libpcre2-8 jansson libfyaml libcurl sqlite3 libgvc cmocka)"
pass=0 fail=0
for h in core/*.h parser/*.h engine/*.h real/*.h real/handlers/*.h sim/*.h render/*.h serve/*.h cli/*.h; do
  [ -f "$h" ] || continue
  if printf '#include "%s"\n#include "%s"\n' "$h" "$h" | cc $cflags -I. -x c -fsyntax-only - 2>/tmp/hdr.$$; then
    pass=$((pass + 1))
  else
    echo "FAIL: $h does not compile alone (or twice):"; cat /tmp/hdr.$$
    fail=$((fail + 1))
  fi
done
rm -f /tmp/hdr.$$
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
