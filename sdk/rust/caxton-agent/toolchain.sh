# Sourced by the build scripts: picks a Rust toolchain that can build for wasm32-unknown-unknown.
# Debian's (rustc and cargo in /usr/bin, the target from libstd-rust-dev-wasm32) is preferred when
# present, because a rustup toolchain earlier on PATH often lacks the wasm32 target.
# Override with CARGO=... RUSTC=...
if [ -z "${CARGO:-}" ]; then
  if [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/wasm32-unknown-unknown ]; then
    CARGO=/usr/bin/cargo
    RUSTC=${RUSTC:-/usr/bin/rustc}
  else
    CARGO=cargo
  fi
fi
RUSTC=${RUSTC:-rustc}
export RUSTC
# Rust before 1.68 needs the unstable alloc_error_handler for no_std agents with a global allocator
# (the SDK's `alloc` feature); RUSTC_BOOTSTRAP=1 allows it on a stable compiler. Newer Rust needs
# nothing.
minor=$("$RUSTC" --version | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p')
if [ -n "$minor" ] && [ "$minor" -lt 68 ]; then
  export RUSTC_BOOTSTRAP=1
fi
