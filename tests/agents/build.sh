#!/bin/sh
# Rebuilds every test agent in this folder and checks it. Needs wabt (apt-get install wabt).
#
# garbage.wasm is deliberately not a module: 64 fixed bytes of text, written
# here so that it is the same on every build. It is checked to be invalid.
set -eu
cd "$(dirname "$0")"
for source in *.wat; do
  agent="${source%.wat}"
  wat2wasm "$source" -o "$agent.wasm"
  wasm-validate "$agent.wasm"
  echo "built $agent.wasm ($(wc -c < "$agent.wasm") bytes)"
done
printf '%s' 'This is not a WebAssembly module; Caxton must refuse to load it.' > garbage.wasm
test "$(wc -c < garbage.wasm)" -eq 64
if wasm-validate garbage.wasm 2>/dev/null; then
  echo "garbage.wasm unexpectedly validates" >&2
  exit 1
fi
echo "wrote garbage.wasm (64 bytes, not a module)"
