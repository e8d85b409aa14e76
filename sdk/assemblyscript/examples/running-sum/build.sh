#!/bin/sh
# Builds running-sum.wasm beside this script. Needs Node.js and npm; the first run installs the pinned
# AssemblyScript compiler and the SDK (from ../..) into node_modules.
set -eu
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/asc ] || [ ! -e node_modules/caxton-agent ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
npm run --silent build
echo "built $(pwd)/running-sum.wasm ($(wc -c < running-sum.wasm) bytes)"
