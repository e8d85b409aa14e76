#!/bin/sh
# Builds the C SDK's examples and test agents: ./build.sh [OUTDIR]
# Needs clang and lld (Debian: apt-get install clang lld); no C library.
#
#   --target=wasm32             plain WebAssembly, no operating system
#   -ffreestanding -nostdlib    no C library: caxton.h brings what an agent needs
#   --no-entry                  an agent is a library of exports, it has no main()
#   --stack-first               the stack sits below the static data, so an
#                               overflow traps instead of corrupting data
#   -z stack-size=65536         64 KiB of stack keeps the memory small
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
mkdir -p "$out"
cc() {
  dst=$1
  shift
  clang --target=wasm32 -std=c11 -O2 -Wall -Wextra -Werror \
    -ffreestanding -nostdlib \
    -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
    -o "$out/$dst" "$@"
  echo "built $out/$dst ($(wc -c < "$out/$dst") bytes)"
}
cc running-sum.wasm "$here/examples/running-sum/running-sum.c"
cc capability-router.wasm "$here/examples/capability-router/capability-router.c"
cc echo-input.wasm "$here/tests/ownership.c" -DREPLY_INPUT
cc echo-static.wasm "$here/tests/ownership.c" -DREPLY_STATIC
cc echo-input-v1.wasm "$here/tests/ownership.c" -DREPLY_INPUT -DCAXTON_ABI_VERSION=1
cc selftest.wasm "$here/tests/selftest.c"
