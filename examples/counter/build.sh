#!/bin/sh
# Rebuilds counter.wasm from counter.wat and checks it. Needs wabt (apt-get install wabt).
set -eu
cd "$(dirname "$0")"
wat2wasm counter.wat -o counter.wasm
wasm-validate counter.wasm
echo "built $(pwd)/counter.wasm ($(wc -c < counter.wasm) bytes)"
