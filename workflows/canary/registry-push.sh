#!/bin/sh
# Stand-in for `docker push`: records the image as pushed in the registry
# directory under $STATE. Usage: registry-push.sh IMAGE
set -eu
image=$1
mkdir -p "$STATE/registry"
printf '%s\n' "$image" >> "$STATE/registry/pushed"
echo "pushed $image to the local registry ($STATE/registry)"
echo "::set PUSHED=$image"
