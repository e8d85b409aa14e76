#!/bin/sh
# Builds {{name}}.wasm from {{name}}.wat when wat2wasm (Debian: apt-get install wabt)
# is there; without it, checks {{name}}.wat with the caxton command, which
# compiles WAT itself (deploy and test take the .wat as it is).
set -eu
cd "$(dirname "$0")"
caxton=${CAXTON:-caxton}
if command -v wat2wasm >/dev/null 2>&1; then
  wat2wasm {{name}}.wat -o {{name}}.wasm
  "$caxton" agent check {{name}}.wasm
else
  "$caxton" agent check {{name}}.wat
fi
