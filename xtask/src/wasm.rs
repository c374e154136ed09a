//! `cargo xtask wasm` (build the npm package), `cargo xtask size` (what a browser downloads,
//! beside the JavaScript packages it replaces) and the package's tests for `cargo xtask test`.
//!
//! Tools come from the registries only: `wasm-bindgen-cli` from crates.io at the exact
//! version of the `wasm-bindgen` crate, `wasm-opt` (npm `binaryen`), TypeScript, esbuild,
//! Vite and playwright-core from npm into `wasm/tools/node_modules`, Chromium from Debian.

use crate::util::{cargo, ensure_apt, exec, root, step};
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE_FILE: &str = "twostep_wasm";

/// A build of the package with some of its cargo features.
struct Variant {
    name: &'static str,
    features: &'static str,
    what: &'static str,
    /// The package exports this build has (what its size entry re-exports).
    exports: &'static str,
}

/// Exports of every build.
const COMMON: &str = "default, initSync, isTwostepError, generateSecret, parseUri, buildUri";

const FULL: Variant = Variant {
    name: "full",
    features: "otp,qr,migration",
    what: "codes, key URIs, QR, migration import",
    exports: "Totp, hotp, qrSvg, qrPng, qrDataUrl, importMigration",
};

/// The builds the size report compares, each with the JavaScript bundles (entry files in
/// `wasm/tools/size/`) a user would otherwise ship and the budget: the largest of them.
const VARIANTS: [(Variant, &[&str], &str); 3] = [
    (FULL, &["otpauth-qrcode"], "otpauth-qrcode"),
    (
        Variant {
            name: "totp",
            features: "otp",
            what: "codes + key URIs, no QR",
            exports: "Totp, hotp",
        },
        &["otpauth", "otplib"],
        "otpauth",
    ),
    (
        Variant {
            name: "pairing",
            features: "qr",
            what: "key URIs + QR, no HMAC",
            exports: "qrSvg, qrPng, qrDataUrl",
        },
        &["qrcode"],
        "qrcode",
    ),
];

/// RUSTFLAGS for the wasm builds: no reference types (the module holds no JavaScript
/// values; measured 0.07 KB gzip smaller without them); no source locations and no `Debug`
/// formatting bodies (nightly `-Zlocation-detail=none -Zfmt-debug=none`: the module never
/// prints either; 0.07 KB gzip).
const WASM_RUSTFLAGS: &str =
    "-C target-feature=-reference-types -Zlocation-detail=none -Zfmt-debug=none";

fn wasm_dir() -> PathBuf {
    root().join("wasm")
}

fn pkg_dir() -> PathBuf {
    wasm_dir().join("pkg")
}

fn tools_bin(program: &str) -> PathBuf {
    wasm_dir().join("tools/node_modules/.bin").join(program)
}

/// The exact `wasm-bindgen` version pinned in the root Cargo.toml (`"=x.y.z"`).
fn wasm_bindgen_version() -> Result<String> {
    let manifest = fs::read_to_string(root().join("Cargo.toml"))?;
    manifest
        .lines()
        .find(|l| l.starts_with("wasm-bindgen ="))
        .and_then(|l| l.split("\"=").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .context("the root Cargo.toml must pin wasm-bindgen as version = \"=x.y.z\"")
}

/// The `[workspace.package]` version, which the npm package carries too.
fn workspace_version() -> Result<String> {
    let manifest = fs::read_to_string(root().join("Cargo.toml"))?;
    manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.starts_with("version =")))
        .and_then(|l| l.split('"').nth(1))
        .map(str::to_owned)
        .context("no version in [workspace.package]")
}

/// `wasm-bindgen-cli` at exactly the crate's version, installed only when missing or different.
fn ensure_wasm_bindgen() -> Result<()> {
    let version = wasm_bindgen_version()?;
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if installed != format!("wasm-bindgen {version}") {
        step(&format!("install wasm-bindgen-cli {version}"));
        exec(cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    }
    Ok(())
}

/// Nightly Rust with the standard library's sources (`rust-src`), for `-Zbuild-std`;
/// installed when missing.
fn ensure_nightly_src() -> Result<()> {
    let sysroot = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--print", "sysroot"])
        .output();
    let sysroot = match sysroot {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => {
            step("install nightly Rust with rust-src (for -Zbuild-std)");
            return exec(Command::new("rustup").args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
                "rust-src",
            ]));
        }
    };
    if !sysroot.join("lib/rustlib/src/rust/library/core").exists() {
        step("add rust-src to nightly Rust (for -Zbuild-std)");
        exec(Command::new("rustup").args([
            "component",
            "add",
            "rust-src",
            "--toolchain",
            "nightly",
        ]))?;
    }
    Ok(())
}

/// The npm tools of `wasm/tools/package.json`, installed when missing.
fn ensure_npm_tools() -> Result<()> {
    ensure_apt(&[("node", "nodejs"), ("npm", "npm")])?;
    let wanted = ["wasm-opt", "tsc", "esbuild", "vite"];
    if wanted.iter().any(|p| !tools_bin(p).exists())
        || !wasm_dir().join("tools/node_modules/jsqr").exists()
    {
        step("install the npm tools (binaryen, typescript, esbuild, vite, playwright-core, …)");
        exec(npm(&wasm_dir().join("tools")).args(["install", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

fn npm(dir: &Path) -> Command {
    let mut c = Command::new("npm");
    c.current_dir(dir);
    c
}

/// Compiles one variant and runs wasm-bindgen for `targets` and `wasm-opt -Oz` into `out`.
fn build_variant(variant: &Variant, targets: &[&str], out: &Path) -> Result<()> {
    step(&format!(
        "build twostep-wasm [{}] ({})",
        variant.name, variant.what
    ));
    // wasm-bindgen reads the `target_features` section, which `strip` would remove;
    // wasm-opt strips the result instead. Nightly rebuilds core and alloc with the
    // `immediate-abort` panic strategy (the smallest-binary recipe of the Rust wasm book and
    // min-sized-rust): no bounds-check or overflow panic formats a message or records a
    // location, where `panic = "abort"` still keeps every message and file name in .rodata.
    exec(
        Command::new("rustup")
            .current_dir(root())
            .env("CARGO_PROFILE_WASM_STRIP", "false")
            .env("CARGO_PROFILE_WASM_PANIC", "immediate-abort")
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                WASM_RUSTFLAGS,
            )
            .args([
                "run",
                "nightly",
                "cargo",
                "build",
                "-Zbuild-std=core,alloc",
                "-Zpanic-immediate-abort",
                "-p",
                "twostep-wasm",
                "--target",
                TARGET,
                "--profile",
                "wasm",
                "--no-default-features",
                "--features",
                variant.features,
            ]),
    )?;
    let wasm = built_wasm();
    for target in targets {
        let dir = out.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        exec(Command::new("wasm-bindgen").args([
            "--target",
            target,
            "--out-dir",
            &dir.to_string_lossy(),
            "--out-name",
            CRATE_FILE,
            &wasm.to_string_lossy(),
        ]))?;
        let bg = dir.join(format!("{CRATE_FILE}_bg.wasm"));
        exec(
            Command::new(tools_bin("wasm-opt"))
                .args(WASM_FEATURES)
                .args(WASM_OPT)
                .args([
                    "--strip-debug",
                    "--strip-producers",
                    "--strip-target-features",
                    &bg.to_string_lossy(),
                    "-o",
                    &bg.to_string_lossy(),
                ]),
        )?;
    }
    Ok(())
}

/// The module cargo builds, before wasm-bindgen.
fn built_wasm() -> PathBuf {
    root()
        .join("target")
        .join(TARGET)
        .join("wasm")
        .join(format!("{CRATE_FILE}.wasm"))
}

/// wasm-opt's size optimisation, repeated until it stops shrinking the module. Rust's
/// stack occupies the first megabyte of memory (wasm-ld `--stack-first`, growing down), so
/// no data lives in the first kilobyte, which `--low-memory-unused` lets wasm-opt assume
/// when it folds address offsets. Functions with one caller are inlined only up to 50
/// bytes (-Oz inlines them whatever their size): measured 0.06 to 0.23 KB smaller gzip for
/// the three builds, 0.3 to 0.8 KB larger raw (other limits, `-aimfs`, `-fimfs`, `--gufa`,
/// `--monomorphize`, `--dae-optimizing`, `-O4` were equal or larger; rustc's
/// `-inline-threshold` 0 and 10 too).
const WASM_OPT: [&str; 5] = [
    "-Oz",
    "--converge",
    "--low-memory-unused",
    "--one-caller-inline-max-function-size",
    "50",
];

/// The WebAssembly features rustc's wasm32 target emits, for wasm-opt.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Puts the public API layer (`js/api.js`, importing wasm-bindgen's module `module`) and the
/// target's entry `index.js` (from `js/<entry>`) into `dir`, wasm-bindgen's output for one
/// target.
fn add_api(dir: &Path, entry: &str, module: &str) -> Result<()> {
    let js = wasm_dir().join("js");
    let api = fs::read_to_string(js.join("api.js"))?;
    fs::write(
        dir.join("api.js"),
        api.replace("'./twostep_wasm.js'", &format!("'./{module}'")),
    )?;
    fs::copy(js.join(entry), dir.join("index.js"))?;
    Ok(())
}

/// The npm package directory: `wasm/pkg/twostep-wasm`.
pub fn package_dir() -> PathBuf {
    pkg_dir().join("twostep-wasm")
}

/// `cargo xtask wasm`: the npm package in `wasm/pkg/twostep-wasm` and its `npm pack` tarball.
pub fn build() -> Result<PathBuf> {
    ensure_nightly_src()?;
    ensure_wasm_bindgen()?;
    ensure_npm_tools()?;
    let out = package_dir();
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    build_variant(&FULL, &["web", "bundler", "nodejs"], &out)?;

    step("assemble the npm package");
    // The package is ESM ("type": "module"); the nodejs target is CommonJS.
    let node = out.join("node");
    fs::rename(out.join("nodejs"), &node)?;
    fs::rename(
        node.join(format!("{CRATE_FILE}.js")),
        node.join(format!("{CRATE_FILE}.cjs")),
    )?;
    let js = wasm_dir().join("js");
    for (target, entry, module) in [
        ("web", "web.js", "twostep_wasm.js"),
        ("bundler", "bundler.js", "twostep_wasm.js"),
        ("node", "node.js", "twostep_wasm.cjs"),
    ] {
        add_api(&out.join(target), entry, module)?;
    }
    // `require("twostep-wasm")`: the ESM entry bundled as CommonJS over the same module.
    exec(Command::new(tools_bin("esbuild")).current_dir(&node).args([
        "index.js",
        "--bundle",
        "--format=cjs",
        "--platform=node",
        "--log-level=warning",
        "--external:./twostep_wasm.cjs",
        "--outfile=index.cjs",
    ]))?;
    fs::copy(js.join("index.d.ts"), out.join("index.d.ts"))?;
    fs::copy(wasm_dir().join("README.md"), out.join("README.md"))?;
    let version = workspace_version()?;
    let manifest = fs::read_to_string(js.join("package.json"))?.replace(
        "\"version\": \"0.0.0\"",
        &format!("\"version\": \"{version}\""),
    );
    fs::write(out.join("package.json"), manifest)?;

    step("npm pack");
    exec(npm(&out).args(["pack", "--pack-destination", &pkg_dir().to_string_lossy()]))?;
    let tarball = pkg_dir().join(format!("twostep-wasm-{version}.tgz"));
    if !tarball.exists() {
        bail!("npm pack did not write {}", tarball.display());
    }
    println!("package: {}", tarball.display());

    step("install the packed package into wasm/tests, as a user would");
    let tests = wasm_dir().join("tests");
    exec(npm(&tests).args([
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        &tarball.to_string_lossy(),
    ]))?;

    step("type-check index.d.ts against a usage file (tsc)");
    exec(
        Command::new(tools_bin("tsc"))
            .args(["-p", &tests.join("ts/tsconfig.json").to_string_lossy()]),
    )?;
    Ok(tarball)
}

/// `cargo xtask wasm` builds and packs; `cargo xtask wasm test` also runs the package's tests.
pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => build().map(|_| ()),
        Some("test") => test_steps(),
        Some(other) => bail!("unknown argument {other:?}: cargo xtask wasm [test]"),
    }
}

/// The package's tests, for `cargo xtask test`: build and pack it, then the shared vectors,
/// the error codes and the API in Node (`node --test`), a fresh Vite project's build, and
/// the same vectors plus the Vite build in headless Chromium.
pub fn test_steps() -> Result<()> {
    let tarball = build()?;
    let tests = wasm_dir().join("tests");

    step("twostep-wasm in Node: shared vectors, error codes, API vs. node:crypto (node --test)");
    exec(
        Command::new("node")
            .current_dir(&tests)
            .args(["--test", "node/"]),
    )?;

    step("twostep-wasm in a fresh Vite project (vite build)");
    let app = pkg_dir().join("vite-app");
    if app.exists() {
        fs::remove_dir_all(&app)?;
    }
    fs::create_dir_all(&app)?;
    for file in ["index.html", "main.js", "package.json"] {
        fs::copy(tests.join("vite").join(file), app.join(file))?;
    }
    exec(npm(&app).args([
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        &tarball.to_string_lossy(),
    ]))?;
    exec(
        Command::new(tools_bin("vite"))
            .current_dir(&app)
            .args(["build", "--logLevel", "warn"]),
    )?;

    step("twostep-wasm in headless Chromium: shared vectors (web build) and the Vite build");
    ensure_apt(&[
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
    ])?;
    exec(
        Command::new("node")
            .current_dir(&tests)
            .arg("browser/run.mjs")
            .arg(wasm_dir().join("tools"))
            .arg(format!(
                "vectors={}:/wasm/tests/browser/vectors.html",
                root().display()
            ))
            .arg(format!("vite={}:/index.html", app.join("dist").display())),
    )
}

/// `esbuild --bundle --minify --format=esm`, the way the report measures JavaScript.
fn esbuild(entry: &Path, out: &Path) -> Result<()> {
    esbuild_with(entry, out, &[])
}

fn esbuild_with(entry: &Path, out: &Path, extra: &[&str]) -> Result<()> {
    exec(
        Command::new(tools_bin("esbuild"))
            .current_dir(wasm_dir().join("tools"))
            .arg(entry)
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                "--platform=browser",
                "--log-level=warning",
                // The API layer names every export; a smaller build lacks some.
                "--log-override:import-is-undefined=silent",
            ])
            .args(extra)
            .arg(format!("--outfile={}", out.display())),
    )
}

fn gzip_len(file: &Path) -> Result<u64> {
    let out = Command::new("gzip")
        .arg("-9c")
        .arg(file)
        .output()
        .context("gzip is needed")?;
    if !out.status.success() {
        bail!("gzip -9c {} failed", file.display());
    }
    Ok(out.stdout.len() as u64)
}

/// Raw and gzip -9 bytes of files together (each compressed alone, as served).
fn download(files: &[PathBuf]) -> Result<(u64, u64)> {
    let mut raw = 0;
    let mut gz = 0;
    for f in files {
        raw += fs::metadata(f)
            .with_context(|| format!("{}", f.display()))?
            .len();
        gz += gzip_len(f)?;
    }
    Ok((raw, gz))
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// `cargo xtask size`: what a browser downloads for each build (.wasm + the JavaScript of
/// the `web` entry bundled and minified by esbuild, raw and gzip -9) beside the npm packages it replaces, bundled with esbuild for the
/// same functions, then where the bytes of the full build go (twiggy).
pub fn size(_args: &[String]) -> Result<()> {
    ensure_nightly_src()?;
    ensure_wasm_bindgen()?;
    ensure_npm_tools()?;
    crate::util::ensure_cargo_install("twiggy", "twiggy", None)?;
    let out = pkg_dir().join("size");
    fs::create_dir_all(&out)?;

    let mut js = std::collections::BTreeMap::new();
    for (_, bundles, _) in &VARIANTS {
        for name in *bundles {
            let bundle = out.join(format!("{name}.min.js"));
            esbuild(
                &wasm_dir().join("tools/size").join(format!("{name}.mjs")),
                &bundle,
            )?;
            js.insert(*name, download(&[bundle])?);
        }
    }

    let mut rows = Vec::new();
    let mut split = Vec::new();
    for (variant, bundles, budget) in &VARIANTS {
        let dir = out.join(variant.name);
        build_variant(variant, &["web"], &dir)?;
        named_copy(&dir)?;
        let web = dir.join("web");
        let wasm = web.join(format!("{CRATE_FILE}_bg.wasm"));
        // The JavaScript as a bundler ships it: the API layer and wasm-bindgen's glue for
        // this build's exports, bundled and minified like the JavaScript packages.
        add_api(&web, "web.js", &format!("{CRATE_FILE}.js"))?;
        let entry = dir.join("entry.mjs");
        fs::write(
            &entry,
            format!(
                "export {{ {COMMON}, {} }} from './web/index.js';\n",
                variant.exports
            ),
        )?;
        let glue = dir.join("glue.min.js");
        esbuild(&entry, &glue)?;
        // Its two parts alone: the hand-written layer and wasm-bindgen's generated glue.
        let layer = dir.join("api.min.js");
        esbuild_with(&web.join("api.js"), &layer, &["--external:./*"])?;
        let generated = dir.join("generated.min.js");
        esbuild(&web.join(format!("{CRATE_FILE}.js")), &generated)?;
        split.push((variant.name, download(&[layer])?, download(&[generated])?));
        let (wasm_raw, wasm_gz) = download(std::slice::from_ref(&wasm))?;
        let (glue_raw, glue_gz) = download(&[glue])?;
        rows.push((
            variant, *bundles, *budget, wasm_raw, wasm_gz, glue_raw, glue_gz,
        ));
    }

    println!("\n## What a browser downloads (gzip -9; raw in brackets)\n");
    println!("| build | .wasm | JS (minified) | total | compared with | ratio | budget |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (variant, bundles, budget, wasm_raw, wasm_gz, glue_raw, glue_gz) in &rows {
        let total = wasm_gz + glue_gz;
        let others: Vec<String> = bundles
            .iter()
            .map(|b| {
                let (raw, gz) = js[b];
                format!("{b} {} ({})", kb(gz), kb(raw))
            })
            .collect();
        let budget_gz = js[budget].1;
        println!(
            "| {} ({}) | {} ({}) | {} ({}) | **{}** ({}) | {} | {:.2}x {} | {} |",
            variant.name,
            variant.what,
            kb(*wasm_gz),
            kb(*wasm_raw),
            kb(*glue_gz),
            kb(*glue_raw),
            kb(total),
            kb(wasm_raw + glue_raw),
            others.join(", "),
            total as f64 / budget_gz as f64,
            budget,
            if total <= budget_gz { "met" } else { "OVER" },
        );
    }

    println!("\n## The JavaScript, part by part (minified, each gzip -9 alone)\n");
    println!("| build | API layer (js/api.js) | wasm-bindgen glue |");
    println!("| --- | --- | --- |");
    for (name, (layer_raw, layer_gz), (gen_raw, gen_gz)) in &split {
        println!(
            "| {name} | {} ({}) | {} ({}) |",
            kb(*layer_gz),
            kb(*layer_raw),
            kb(*gen_gz),
            kb(*gen_raw)
        );
    }

    for (variant, _, _) in &VARIANTS {
        step(&format!(
            "where the bytes of the {} build's .wasm go (twiggy top, raw bytes; names kept by wasm-opt -g)",
            variant.name
        ));
        let named = out.join(variant.name).join("named.wasm");
        let top = Command::new("twiggy")
            .args(["top", "-n", "21", &named.to_string_lossy()])
            .output()
            .context("twiggy")?;
        if !top.status.success() {
            bail!("twiggy top {} failed", named.display());
        }
        // The names exist only in this copy, not in the module a browser downloads. An
        // export's "shim" includes the core code inlined into it.
        for line in String::from_utf8_lossy(&top.stdout).lines() {
            if !line.contains("\"function names\" subsection") && !line.contains("Σ") {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// `dir/named.wasm`: the module just built, optimised like the shipped one but keeping its
/// function names, for twiggy.
fn named_copy(dir: &Path) -> Result<()> {
    let named = dir.join("named");
    exec(Command::new("wasm-bindgen").args([
        "--target",
        "web",
        "--out-dir",
        &named.to_string_lossy(),
        "--out-name",
        CRATE_FILE,
        &built_wasm().to_string_lossy(),
    ]))?;
    exec(
        Command::new(tools_bin("wasm-opt"))
            .args(WASM_FEATURES)
            .args(WASM_OPT)
            .args([
                "-g",
                &named
                    .join(format!("{CRATE_FILE}_bg.wasm"))
                    .to_string_lossy(),
                "-o",
                &dir.join("named.wasm").to_string_lossy(),
            ]),
    )
}
