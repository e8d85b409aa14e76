#!/bin/sh
# Builds the agent project in the current directory into OUTPUT (a .wasm file) with the compiler
# options preset (asconfig.json). The project's build.sh calls it. Needs Node.js and npm; the first
# run installs the pinned AssemblyScript compiler and this SDK into node_modules.
set -eu
out=${1:?usage: build-agent.sh OUTPUT.wasm}
if [ ! -x node_modules/.bin/asc ] || [ ! -e node_modules/caxton-agent ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/asc assembly/index.ts --config asconfig.json --target release --outFile "$out"
echo "built $(pwd)/$out ($(wc -c < "$out") bytes)"
