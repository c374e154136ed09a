//! `cargo xtask demo`.

use crate::util::{cargo, run};
use anyhow::Result;

pub fn run(_args: &[String]) -> Result<()> {
    run(cargo().args([
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
