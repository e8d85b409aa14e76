#!/bin/sh
# Builds {{name}}.wasm beside this script. Needs Rust with the wasm32-unknown-unknown target: on
# Debian 12, `apt-get install rustc cargo libstd-rust-dev-wasm32`.
set -eu
cd "$(dirname "$0")"
. caxton-agent/toolchain.sh
"$CARGO" build --offline --release --quiet
cp "target/wasm32-unknown-unknown/release/$(echo '{{name}}' | tr - _).wasm" '{{name}}.wasm'
echo "built $(pwd)/{{name}}.wasm ($(wc -c < '{{name}}.wasm') bytes)"
