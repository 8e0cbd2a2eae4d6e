#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages flowzap needs to build and test.
# Only missing packages are installed; a machine that has them all is left alone.
set -eu

pkgs=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libpcre2-dev libgraphviz-dev graphviz libcmocka-dev
  libjansson-dev libfyaml-dev libcurl4-openssl-dev libsqlite3-dev sqlite3 nettle-dev
  libxml2-dev chromium python3 python3-simpy hyperfine strace groff-base
  libmicrohttpd-dev nodejs curl
  libpq-dev postgresql-15
)
pkgs+=(parallel) # GNU parallel: sim shards across hosts (script.sim_shard_parallel)
pkgs+=(procps) # pgrep: script.pg_workers kills the worker whose step is in flight

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# script.serve_browser installs playwright-core with npm: Debian's npm
# unless a Node.js that brings its own (NodeSource) is installed.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
