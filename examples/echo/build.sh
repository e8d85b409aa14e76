#!/bin/sh
# Rebuilds echo.wasm from echo.wat and checks it. Needs wabt (apt-get install wabt).
set -eu
cd "$(dirname "$0")"
wat2wasm echo.wat -o echo.wasm
wasm-validate echo.wasm
echo "built $(pwd)/echo.wasm ($(wc -c < echo.wasm) bytes)"
