#!/bin/sh
# Stand-in for a service mesh traffic split: sends PERCENT % of requests to
# the canary. Usage: traffic-split.sh PERCENT | traffic-split.sh --configure
set -eu
mkdir -p "$STATE"
if [ "${1:-}" = "--configure" ]; then
    pct=$(cat "$STATE/canary-percent" 2>/dev/null || echo 0)
    printf 'stable=%s canary=%s\n' "$((100 - pct))" "$pct" > "$STATE/traffic-split"
    echo "traffic split configured: canary $pct%"
    exit 0
fi
pct=$1
case $pct in
    ''|*[!0-9]*) echo "traffic-split: '$pct' is not a percentage" >&2; exit 2 ;;
esac
if [ "$pct" -gt 100 ]; then echo "traffic-split: $pct% is over 100" >&2; exit 2; fi
printf '%s\n' "$pct" > "$STATE/canary-percent"
printf 'stable=%s canary=%s\n' "$((100 - pct))" "$pct" > "$STATE/traffic-split"
echo "canary now serves $pct% of traffic"
echo "::set CANARY_PERCENT=$pct"
