//! examples/spa: building the page, serving it through its demo backend beside
//! twostep-server (`cargo xtask demo`), and its end-to-end test in headless Chromium
//! (`cargo xtask test`).
//!
//! The page uses the npm package `cargo xtask wasm` builds (a `file:` dependency on
//! wasm/pkg/twostep-wasm); the backend is examples/spa/backend/server.mjs (Node, no
//! dependencies), which signs HS256 user tokens with the server's `jwt_hs256_secret`.

use crate::server::Running;
use crate::util::{cargo, ensure_apt, exec, root, step};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn spa_dir() -> PathBuf {
    root().join("examples/spa")
}

/// Where the end-to-end test writes its screenshots.
fn artifacts_dir() -> PathBuf {
    root().join("target/spa-e2e")
}

fn npm() -> Command {
    let mut c = Command::new("npm");
    c.current_dir(spa_dir());
    c
}

/// Builds the page into examples/spa/dist: the twostep-wasm package (`cargo xtask wasm`) and
/// the example's npm dependencies only when missing, then `tsc` and `vite build`.
pub fn build() -> Result<()> {
    ensure_apt(&[("node", "nodejs"), ("npm", "npm")])?;
    if !crate::wasm::package_dir().join("package.json").exists() {
        crate::wasm::build()?;
    }
    let dir = spa_dir();
    // `twostep-wasm` is a link to wasm/pkg/twostep-wasm: `exists` is false when it dangles.
    if !dir.join("node_modules/.bin/vite").exists()
        || !dir.join("node_modules/twostep-wasm").exists()
    {
        step("install the example's npm dependencies (npm ci)");
        exec(npm().args(["ci", "--no-audit", "--no-fund"]))?;
    }
    step("build examples/spa (tsc, vite build)");
    exec(npm().args(["run", "--silent", "build", "--", "--logLevel", "warn"]))
}

/// The demo backend serving the built page in front of a twostep-server; stopped when dropped.
pub struct Spa {
    _backend: Running,
    /// Where the page is, e.g. `http://127.0.0.1:5174/`.
    pub url: String,
}

/// Starts the demo backend on `listen` for `server`, signing user tokens with `jwt_secret`.
pub fn start(server: &str, jwt_secret: &str, listen: &str) -> Result<Spa> {
    let mut child = Command::new("node")
        .arg("backend/server.mjs")
        .current_dir(spa_dir())
        .env("TWOSTEP_URL", server)
        .env("TWOSTEP_JWT_HS256_SECRET", jwt_secret)
        .env("SPA_LISTEN", listen)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the SPA demo backend (node)")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let backend = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("spa demo backend listening on ")
        .with_context(|| format!("the SPA demo backend did not start (said {line:?})"))?;
    Ok(Spa {
        _backend: backend,
        url: format!("{base}/"),
    })
}

/// A random credential from `twostep-server gen-key` (`--service-key` for a token).
fn gen_key(binary: &std::path::Path, args: &[&str]) -> Result<String> {
    let out = Command::new(binary).arg("gen-key").args(args).output()?;
    if !out.status.success() {
        bail!("twostep-server gen-key failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A new HS256 secret for user tokens, shared by the server and the demo backend.
pub fn new_jwt_secret() -> Result<String> {
    gen_key(
        &root().join("target/debug/twostep-server"),
        &["--service-key"],
    )
}

/// `cargo xtask test`: the page built from the packed twostep-wasm, served by its demo
/// backend before a real twostep-server (SQLite in a fresh folder), and driven in headless
/// Chromium: pairing read back from a screenshot of the QR code, codes from Python's hmac,
/// backup codes, devices, login challenges, keyboard-only use. Screenshots: target/spa-e2e/.
pub fn test_steps() -> Result<()> {
    if !root()
        .join("wasm/tools/node_modules/playwright-core")
        .exists()
    {
        crate::wasm::build()?;
    }
    build()?;
    ensure_apt(&[("chromium", "chromium"), ("python3", "python3")])?;
    step("twostep-server for the SPA end-to-end test (debug build, SQLite, 127.0.0.1)");
    exec(cargo().args(["build", "--quiet", "-p", "twostep-server"]))?;
    let binary = root().join("target/debug/twostep-server");
    let dir = std::env::temp_dir().join(format!("twostep-spa-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let jwt_secret = new_jwt_secret()?;
    let result = (|| {
        let (_server, base) = crate::server::start_server(
            &binary,
            &["serve"],
            &[
                ("TWOSTEP_LISTEN", "127.0.0.1:0".into()),
                (
                    "TWOSTEP_DATABASE_URL",
                    format!("sqlite://{}", dir.join("spa.db").display()),
                ),
                ("TWOSTEP_ENCRYPTION_KEYS", gen_key(&binary, &[])?),
                ("TWOSTEP_JWT_HS256_SECRET", jwt_secret.clone()),
                ("RUST_LOG", "warn".into()),
            ],
        )?;
        let spa = start(&base, &jwt_secret, "127.0.0.1:0")?;
        step("examples/spa end to end in headless Chromium (playwright-core, jsQR, Python hmac)");
        exec(
            Command::new("node")
                .current_dir(spa_dir())
                .arg("e2e/run.mjs")
                .arg(root().join("wasm/tools"))
                .arg(&spa.url)
                .arg(artifacts_dir()),
        )
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
