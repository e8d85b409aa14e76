#!/bin/sh
# Builds {{name}}.wasm from {{name}}.c. Needs clang and lld (Debian: apt-get
# install clang lld); no C library: caxton.h brings what the agent needs.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -std=c11 -O2 -Wall -Wextra \
  -ffreestanding -nostdlib \
  -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o {{name}}.wasm {{name}}.c
echo "built {{name}}.wasm ($(wc -c < {{name}}.wasm) bytes)"
