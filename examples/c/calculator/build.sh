#!/bin/sh
# Rebuilds calculator.wasm from calculator.c and checks it.
# Needs clang and lld (apt-get install clang lld) and wabt for the check.
#
#   --target=wasm32-unknown-unknown  plain WebAssembly, no operating system
#   -ffreestanding -nostdlib         no C library: the agent brings its own helpers
#   --no-entry                       an agent is a library of exports, it has no main()
#   --stack-first                    the C stack sits below the static data, so an
#                                    overflow traps instead of corrupting data
#   -z stack-size=65536              64 KiB of stack is plenty and keeps memory small
#   -Oz                              optimise for size
# The exports (alloc, handle_message, init) are named in the source with
# __attribute__((export_name(...))); memory is exported by the linker.
set -eu
cd "$(dirname "$0")"
clang --target=wasm32-unknown-unknown -std=c11 -Oz \
  -Wall -Wextra -Werror \
  -ffreestanding -nostdlib \
  -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o calculator.wasm calculator.c
wasm-validate calculator.wasm
echo "built $(pwd)/calculator.wasm ($(wc -c < calculator.wasm) bytes)"
