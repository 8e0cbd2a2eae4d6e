#!/usr/bin/env bash
# docs/cli.md is what scripts/gen-cli-doc.sh makes from the binary's --help
# texts; a changed help text without a regenerated reference fails here.
set -eu
: "${FLOWZAP:?}" "${FZ_SRC:?}"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bash "$FZ_SRC/scripts/gen-cli-doc.sh" "$FLOWZAP" > "$tmp"
if ! diff -u "$FZ_SRC/docs/cli.md" "$tmp"; then
  echo "docs/cli.md is out of date: run scripts/gen-cli-doc.sh build/release/cli/flowzap > docs/cli.md"
  exit 1
fi
# Every command named in the reference answers --help with status 0.
for c in $("$FLOWZAP" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
  "$FLOWZAP" "$c" --help > /dev/null
done
echo "1 passed, 0 failed"
