//! Builds the terminal holder (`holder/`) as a static Linux program for the architecture
//! the server is built for, and hands its path to the server (`AICOCKPIT_HOLDER`), which
//! embeds it and copies it into workspace containers.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let holder = manifest.join("holder");
    for watched in ["src", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", holder.join(watched).display());
    }
    let arch = env("CARGO_CFG_TARGET_ARCH");
    let target = format!("{arch}-unknown-linux-musl");
    let target_dir = PathBuf::from(env("OUT_DIR")).join("holder");
    let mut cargo = Command::new(env("CARGO"));
    cargo
        .args([
            "build",
            "--offline",
            "--profile",
            "holder",
            "-p",
            "terminal-holder",
        ])
        .args(["--bin", "aicockpit-holder", "--target", &target])
        .arg("--manifest-path")
        .arg(manifest.join("../Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's compiler wrappers (clippy) and flags are for the server, not for it.
    for inherited in [
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cargo.env_remove(inherited);
    }
    let status = cargo
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    if !status.success() {
        panic!(
            "building the terminal holder failed; it needs the {target} standard library \
             (`rustup target add {target}`, which scripts/setup.sh does)"
        );
    }
    let binary = target_dir.join(&target).join("holder/aicockpit-holder");
    println!("cargo:rustc-env=AICOCKPIT_HOLDER={}", binary.display());
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name} for build scripts"))
}
