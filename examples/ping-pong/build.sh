#!/bin/sh
# Rebuilds ping.wasm and pong.wasm from their .wat sources and checks them.
# Needs wabt (apt-get install wabt).
set -eu
cd "$(dirname "$0")"
for agent in ping pong; do
  wat2wasm "$agent.wat" -o "$agent.wasm"
  wasm-validate "$agent.wasm"
  echo "built $(pwd)/$agent.wasm ($(wc -c < "$agent.wasm") bytes)"
done
