//! `cargo xtask demo`.

use crate::util::{cargo, exec};
use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    exec(cargo().args([
        "run",
        "--quiet",
        "-p",
        "twostep-cli",
        "--bin",
        "twostep",
        "--",
        "demo",
    ]))
}
