#!/bin/sh
# Builds as-counter.wasm beside this script with the pinned Extism PDK and AssemblyScript compiler
# from npm (Node.js and npm needed). abort= drops AssemblyScript's env.abort import, which no Extism
# host offers.
set -eu
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/asc ] || [ ! -e node_modules/@extism/as-pdk ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/asc assembly/index.ts --target release --optimizeLevel 2 --runtime incremental --use abort= --outFile as-counter.wasm
echo "built $(pwd)/as-counter.wasm ($(wc -c < as-counter.wasm) bytes)"
