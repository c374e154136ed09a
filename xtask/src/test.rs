//! `cargo xtask test`, `bench` and `fuzz`.

use crate::util::{cargo, ensure_apt, ensure_cargo_install, ensure_target, exec, step};
use anyhow::Result;
use std::process::Command;

/// Every check, in the order that fails fastest.
pub fn run_all() -> Result<()> {
    step("format");
    exec(cargo().args(["fmt", "--all", "--", "--check"]))?;

    step("clippy (all targets, all features, warnings are errors)");
    exec(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("tools for the cross-checks (oathtool)");
    ensure_apt(&[("oathtool", "oathtool")])?;

    step("tests (unit, integration, property, oathtool cross-check, CLI)");
    exec(cargo().args([
        "test",
        "--workspace",
        "--all-features",
        "--exclude",
        "twostep-server",
        "--exclude",
        "twostep-axum-host",
    ]))?;
    crate::server::test_steps()?;
    crate::axum_host::test_steps()?;

    step("core without std on a bare-metal target");
    ensure_target("thumbv7em-none-eabihf")?;
    exec(cargo().args([
        "build",
        "-p",
        "twostep",
        "--no-default-features",
        "--target",
        "thumbv7em-none-eabihf",
    ]))?;
    exec(cargo().args([
        "build",
        "-p",
        "twostep",
        "--no-default-features",
        "--features",
        "qr,migration,serde",
        "--target",
        "thumbv7em-none-eabihf",
    ]))?;

    crate::wasm::test_steps()?;
    crate::spa::test_steps()?;

    step("every feature combination of core builds (cargo hack)");
    ensure_cargo_install("cargo-hack", "cargo-hack", None)?;
    exec(cargo().args([
        "hack",
        "check",
        "-p",
        "twostep",
        "--feature-powerset",
        "--no-dev-deps",
    ]))?;
    crate::mobile::test_steps()?;
    Ok(())
}

pub fn run(_args: &[String]) -> Result<()> {
    run_all()?;
    println!("\nall checks passed");
    Ok(())
}

pub fn bench(args: &[String]) -> Result<()> {
    step("criterion benchmarks of core (twostep vs. the RustCrypto floor, totp-rs, qrcode)");
    exec(
        cargo()
            .args([
                "bench",
                "-p",
                "twostep",
                "--all-features",
                "--bench",
                "core",
                "--",
            ])
            .args(args),
    )?;
    crate::server::load_test()
}

pub fn fuzz(args: &[String]) -> Result<()> {
    let seconds = args.first().map(String::as_str).unwrap_or("60");
    ensure_cargo_install("cargo-fuzz", "cargo-fuzz", None)?;
    let toolchains = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()?;
    if !String::from_utf8_lossy(&toolchains.stdout).contains("nightly") {
        exec(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let seeds = vector_strings()?;
    for target in ["base32", "uri", "migration"] {
        // Seeded with every string of core's shared vectors (key URIs, secrets, migration
        // exports), so the fuzzer starts past the scheme checks instead of guessing them.
        let corpus = crate::util::root().join("core/fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(corpus.join(format!("vector-{i}")), seed)?;
        }
        step(&format!(
            "fuzz {target} for {seconds} s ({} seeds from core/tests/vectors)",
            seeds.len()
        ));
        exec(
            Command::new("rustup")
                .current_dir(crate::util::root().join("core"))
                .args(["run", "nightly", "cargo", "fuzz", "run", target, "--"])
                .arg(format!("-max_total_time={seconds}")),
        )?;
    }
    Ok(())
}

/// Every string literal in core's shared vector files (JSON), unescaped.
fn vector_strings() -> Result<Vec<String>> {
    let mut out = Vec::new();
    for file in ["otp", "uri", "migration"] {
        let path = crate::util::root().join(format!("core/tests/vectors/{file}.json"));
        let text = std::fs::read_to_string(path)?;
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                continue;
            }
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some('r') => s.push('\r'),
                        Some('b') => s.push('\u{8}'),
                        Some('f') => s.push('\u{c}'),
                        Some('u') => {
                            let hex: String = chars.by_ref().take(4).collect();
                            let unit = u32::from_str_radix(&hex, 16)?;
                            // Surrogate halves cannot stand alone in a seed; U+FFFD instead.
                            s.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
                        }
                        Some(other) => s.push(other),
                        None => break,
                    },
                    c => s.push(c),
                }
            }
            out.push(s);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
