#!/usr/bin/env bash
# Runs a command under a given Node.js major version: the machine's own node when it is that
# version, else the official binary that the npm registry ships as `node-linux-<arch>@<major>`,
# installed once into .ci/node/<major>.
#   scripts/with-node.sh 24 npm test
set -euo pipefail
if [[ $# -lt 2 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/with-node.sh <node major version> <command> [args...]" >&2
  exit 2
fi
major="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"

if [[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)" == "$major" ]]; then
  exec "$@"
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node: no node-linux binary package for $(uname -m)" >&2; exit 2 ;;
esac

dir="$root/.ci/node/$major"
bin="$dir/node_modules/node-linux-$arch/bin"
if [[ ! -x "$bin/node" ]]; then
  mkdir -p "$dir"
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "node-linux-$arch@$major" >&2
fi
PATH="$bin:$PATH" exec "$@"
