#!/bin/sh
# Rebuilds the Contract-Net agents and checks them:
#   buyer.wasm                       from buyer.c
#   seller-a.wasm, -b.wasm, -c.wasm  from seller.c, asking 120, 95 and 110
# Needs clang and lld (apt-get install clang lld) and wabt for the check.
#
#   --target=wasm32-unknown-unknown  plain WebAssembly, no operating system
#   -ffreestanding -nostdlib         no C library: the C SDK (sdk/c/caxton.h)
#                                    brings the allocator and JSON helpers
#   -I ../../sdk/c                   where caxton.h is, in the repository and in
#                                    the distribution alike
#   --no-entry                       an agent is a library of exports, it has no main()
#   --stack-first                    the C stack sits below the static data, so an
#                                    overflow traps instead of corrupting data
#   -z stack-size=65536              64 KiB of stack is plenty and keeps memory small
#   -Oz                              optimise for size
# The exports (alloc, dealloc, handle_message, caxton_abi_version from
# caxton.h; init in each source) are named with __attribute__((export_name(...)));
# memory is exported by the linker.
set -eu
cd "$(dirname "$0")"

build() { # build <output.wasm> <source.c> [extra clang flags...]
  out=$1
  src=$2
  shift 2
  clang --target=wasm32-unknown-unknown -std=c11 -Oz \
    -Wall -Wextra -Werror \
    -ffreestanding -nostdlib \
    -I ../../sdk/c \
    -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
    "$@" -o "$out" "$src"
  wasm-validate "$out"
  echo "built $(pwd)/$out ($(wc -c < "$out") bytes)"
}

build buyer.wasm buyer.c
build seller-a.wasm seller.c -DPRICE=120
build seller-b.wasm seller.c -DPRICE=95
build seller-c.wasm seller.c -DPRICE=110
