//! Rust before 1.68 has no default handler for allocation failures in `no_std` crates, so the
//! `alloc` feature has to define one, which needs the unstable `alloc_error_handler` feature (and
//! `RUSTC_BOOTSTRAP=1` on a stable compiler). This script tells the crate which case it is in.
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_ALLOC").is_none() {
        return;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.63.0 (...)" -> 63
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if minor < 68 {
        println!("cargo:rustc-cfg=caxton_oom_handler");
    }
}
