#!/bin/sh
# Stand-in for a rollback: all traffic back to the stable version.
set -eu
mkdir -p "$STATE"
echo 0 > "$STATE/canary-percent"
echo "stable=100 canary=0" > "$STATE/traffic-split"
echo "rolled back: stable serves 100%"
