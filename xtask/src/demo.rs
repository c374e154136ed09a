//! `cargo xtask demo`: pair a new secret in the terminal and watch its codes.

use crate::util::{cargo, exec, root, step};
use anyhow::{Context, Result, bail};
use std::io::IsTerminal;
use std::process::Command;
use std::time::Duration;

fn twostep(args: &[&str]) -> Result<String> {
    let bin = root().join("target/debug/twostep");
    let out = Command::new(&bin)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "twostep {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

pub fn run(_args: &[String]) -> Result<()> {
    exec(cargo().args(["build", "--quiet", "-p", "twostep-cli"]))?;
    step("a new 160-bit secret");
    let secret = twostep(&["secret"])?;
    println!("{secret}");
    step("its key URI");
    let uri = twostep(&[
        "uri",
        "build",
        "--secret",
        &secret,
        "--account",
        "demo@twostep.test",
        "--issuer",
        "twostep demo",
    ])?;
    println!("{uri}");
    step("scan this with an authenticator app");
    println!("{}", twostep(&["qr", &uri, "--terminal"])?);
    let interactive = std::io::stdout().is_terminal();
    let rounds = if interactive { 10 } else { 3 };
    step(&format!(
        "live codes ({})",
        if interactive {
            "Ctrl-C to stop"
        } else {
            "not a terminal: three and done"
        }
    ));
    for round in 0..rounds {
        let code = twostep(&["code", "--uri", &uri])?;
        let verified = twostep(&["verify", "--uri", &uri, "--code", &code, "--window", "0"])?;
        println!("{code}  (verifies: step {verified})");
        if round + 1 < rounds {
            std::thread::sleep(Duration::from_secs(if interactive { 5 } else { 1 }));
        }
    }
    Ok(())
}
