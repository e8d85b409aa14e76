#!/bin/sh
# Rebuilds sink.wasm from sink.wat and checks it. Needs wabt (apt-get install wabt).
set -eu
cd "$(dirname "$0")"
wat2wasm sink.wat -o sink.wasm
wasm-validate sink.wasm
echo "built $(pwd)/sink.wasm ($(wc -c < sink.wasm) bytes)"
