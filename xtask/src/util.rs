//! Running commands and installing what the tasks need, only when it is missing.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Announces a step the way CI logs read best.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs a command in the workspace root and fails if it fails.
pub fn exec(cmd: &mut Command) -> Result<()> {
    cmd.current_dir_if_unset();
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// A `cargo` command (the one running xtask).
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// True if `program` is on the PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs Debian packages whose marker program is missing: `(program, package)` pairs.
pub fn ensure_apt(wanted: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(program, _)| !have(program))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    static UPDATE: Once = Once::new();
    let mut update = Ok(());
    UPDATE.call_once(|| {
        update = exec(Command::new("apt-get").args(["update", "-qq"]));
    });
    update?;
    exec(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing),
    )
}

/// Adds a rustup target if it is not installed.
pub fn ensure_target(target: &str) -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed")?;
    if !String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        exec(Command::new("rustup").args(["target", "add", target]))?;
    }
    Ok(())
}

/// Installs a cargo subcommand or binary crate if `program` is missing.
pub fn ensure_cargo_install(program: &str, krate: &str, version: Option<&str>) -> Result<()> {
    if have(program) {
        return Ok(());
    }
    let mut c = cargo();
    c.args(["install", krate]);
    if let Some(v) = version {
        c.args(["--version", v]);
    }
    exec(&mut c)
}

trait CurrentDir {
    fn current_dir_if_unset(&mut self);
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) {
        if self.get_current_dir().is_none() {
            self.current_dir(root());
        }
    }
}
