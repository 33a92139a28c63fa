//! Links the release binary for a small resident set: the functions that start-up and an
//! idle server run are placed side by side at the front of `.text`, and relative
//! relocations are packed.
//!
//! The kernel maps code pages in 64 KiB windows around each page fault, so code that runs
//! at start-up and then now and then (timers, parking) pulls whole windows of unrelated code
//! into the resident set. Packed together, the same code maps about a quarter of the pages:
//! idle RSS is a target of the project. `link/startup.order` is the list of those symbols,
//! recorded by `scripts/startup-order`; symbols it names that no longer exist are skipped,
//! so a stale list costs memory, never correctness. The names carry hashes of the
//! dependency graph: they match the binary built on its own (`cargo build --release`,
//! `cargo run --release`, `-p rnats`); built together with other packages whose features
//! unify differently, fewer match.
//!
//! Packed relative relocations (DT_RELR) shrink the 100 KiB table the dynamic loader reads
//! and keeps mapped at every start to about 2 KiB; they need glibc 2.36, so they are used
//! only when the building machine has it (the binary needs the glibc it was built against
//! anyway).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let order = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("link")
        .join("startup.order");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RNATS_NO_STARTUP_ORDER");
    if ordering_supported() && order.is_file() && env::var_os("RNATS_NO_STARTUP_ORDER").is_none() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        if glibc_version().is_some_and(|version| version >= (2, 36)) {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        }
    }
}

/// The version of the building machine's glibc (`getconf GNU_LIBC_VERSION`: `glibc 2.36`).
fn glibc_version() -> Option<(u32, u32)> {
    let output = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let (major, minor) = text.strip_prefix("glibc ")?.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Symbol ordering is an lld option: rustc links x86_64 Linux GNU with its bundled lld from
/// 1.90 on, unless the build chose another linker. Only release builds are laid out.
fn ordering_supported() -> bool {
    let var = |name: &str| env::var(name).unwrap_or_default();
    if var("TARGET") != "x86_64-unknown-linux-gnu" || var("PROFILE") != "release" {
        return false;
    }
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if flags.contains("linker") || flags.contains("fuse-ld") {
        return false;
    }
    if env::vars().any(|(k, _)| k.starts_with("CARGO_TARGET_") && k.ends_with("_LINKER")) {
        return false;
    }
    rustc_minor_version().is_some_and(|minor| minor >= 90)
}

/// The minor version of the compiler cargo builds with (`rustc 1.95.0 (...)` gives 95).
fn rustc_minor_version() -> Option<u32> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}
