#!/bin/sh
# Builds running-sum.wasm beside this script. Needs Rust with the wasm32-unknown-unknown target:
# on Debian 12, `apt-get install rustc cargo libstd-rust-dev-wasm32` (rustc 1.63) is enough.
set -eu
cd "$(dirname "$0")"
. ../../caxton-agent/toolchain.sh
"$CARGO" build --offline --release --quiet
cp target/wasm32-unknown-unknown/release/running_sum.wasm running-sum.wasm
echo "built $(pwd)/running-sum.wasm ($(wc -c < running-sum.wasm) bytes)"
