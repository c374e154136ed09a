//! Project automation: `cargo xtask <task>`. See `cargo xtask help`.

mod axum_host;
mod demo;
mod mobile;
mod server;
mod spa;
mod test;
mod util;
mod wasm;

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <task>

  bindings build twostep-mobile and generate its Kotlin, Swift and Python bindings
          (`bindings test`: run only the Kotlin and Python binding tests)
  enrol-example --server URL --user ID --token JWT
          build the bindings and run examples/kotlin-enrol against a twostep-server
  demo    run the demo (terminal pairing demo, the server with curl commands, the SPA in a
          browser at http://127.0.0.1:5174/; finishes by itself when not on a TTY)
  test    run every test: format, lints, unit/integration/property tests, oathtool
          cross-check, bare-metal build, feature powerset
  test-server  only the server tests, with a local PostgreSQL (installed/started if missing)
  axum-host  run examples/axum-host against a development twostep-server (demo user alice
          gets an authenticator; its QR code is printed)
  bench   run the criterion benchmarks of the core crate
  wasm    build the npm package twostep-wasm (wasm/pkg/) and npm pack it;
          `wasm test` also runs its tests (Node, Vite, headless Chromium)
  spa     build examples/spa and run its end-to-end test in headless Chromium
          (screenshots in target/spa-e2e/)
  size    size report of the wasm package beside otpauth, otplib and qrcode (gzip -9)
  fuzz    run each cargo-fuzz target for a bounded time (needs nightly; installed if missing)
";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match task {
        "demo" => demo::run(rest),
        "axum-host" => axum_host::run(),
        "bindings" => mobile::bindings(rest),
        "enrol-example" => mobile::enrol_example(rest).map(drop),
        "test" => test::run(rest),
        "test-server" => server::test_steps(),
        "bench" => test::bench(rest),
        "fuzz" => test::fuzz(rest),
        "wasm" => wasm::run(rest),
        "spa" => spa::test_steps(),
        "size" => wasm::size(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{HELP}"),
    }
}
