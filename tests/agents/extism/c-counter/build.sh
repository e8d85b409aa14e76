#!/bin/sh
# Builds c-counter.wasm (into the folder given, default: beside this script) with Debian's clang and
# lld: a freestanding wasm32 reactor without libc that imports only extism:host/env.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
clang --target=wasm32 -O2 -nostdlib -fno-builtin -Wl,--no-entry -Wl,--export-dynamic \
  -o "$out/c-counter.wasm" "$here/counter.c"
echo "built $out/c-counter.wasm ($(wc -c < "$out/c-counter.wasm") bytes)"
