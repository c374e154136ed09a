//! examples/axum-host: `cargo xtask axum-host` (run it against a development twostep-server)
//! and its end-to-end test in `cargo xtask test`.

use crate::server::{Running, curl, ensure_postgres, json_str, port_free, start_server};
use crate::util::{cargo, ensure_apt, exec, root, step};
use anyhow::{Context, Result, bail};
use std::process::Command;

/// The end-to-end test of the host app and the guard: the real twostep-server binary on
/// SQLite and PostgreSQL, the real host binary, a browser-like client.
pub fn test_steps() -> Result<()> {
    step(
        "examples/axum-host end to end (twostep-server + host over real listeners; SQLite, PostgreSQL)",
    );
    let url = ensure_postgres()?;
    exec(cargo().args(["build", "-p", "twostep-server", "--bin", "twostep-server"]))?;
    exec(
        cargo()
            .args(["test", "-p", "twostep-axum-host"])
            .env(
                "TWOSTEP_SERVER_BIN",
                root().join("target/debug/twostep-server"),
            )
            .env("TWOSTEP_TEST_POSTGRES_URL", &url),
    )
}

/// `cargo xtask axum-host`: twostep-server in development mode on a fresh SQLite database
/// (assertions valid for an hour, the host's maximum age), an authenticator enrolled for
/// `alice` (its otpauth URI and QR code printed, to scan into an app), and the host app.
pub fn run() -> Result<()> {
    use std::io::IsTerminal;
    step("building twostep-server, the twostep CLI and examples/axum-host");
    exec(cargo().args([
        "build",
        "--quiet",
        "-p",
        "twostep-server",
        "-p",
        "twostep-cli",
        "-p",
        "twostep-axum-host",
    ]))?;
    ensure_apt(&[("curl", "curl")])?;
    let root = root();
    let db = root.join(".twostep-dev/axum-host-demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let listen = |port: u16| {
        if port_free(port) {
            format!("127.0.0.1:{port}")
        } else {
            "127.0.0.1:0".into()
        }
    };
    step("twostep-server --dev (SQLite, assertion lifetime 3600 s)");
    let (_server, base) = start_server(
        &root.join("target/debug/twostep-server"),
        &["--dev", "serve"],
        &[
            ("TWOSTEP_LISTEN", listen(8080)),
            ("TWOSTEP_DATABASE_URL", format!("sqlite://{}", db.display())),
            // The host keeps the assertion in a cookie for its whole maximum age (1 hour):
            // the assertion must live that long (the server's default is 600 s).
            ("TWOSTEP_ASSERTION_LIFETIME_SECS", "3600".into()),
            ("RUST_LOG", "warn".into()),
        ],
    )?;
    let key = std::fs::read_to_string(root.join(".twostep-dev/service.key"))
        .context("the --dev service key file")?
        .trim()
        .to_string();

    step("enrolling an authenticator for alice");
    let auth = format!("Authorization: Bearer {key}");
    let json = "Content-Type: application/json";
    let created = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/alice/devices"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        r#"{"name": "demo phone", "issuer": "twostep demo host", "account": "alice"}"#,
    ])?;
    let id = json_str(&created, "id").context("no device id in the answer")?;
    let uri = json_str(&created, "otpauth_uri").context("no otpauth_uri in the answer")?;
    let cli = root.join("target/debug/twostep");
    // The previous step's code (inside the server's window): the code the app shows now is
    // still unused when the human signs in.
    let previous = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        .saturating_sub(30);
    let code = Command::new(&cli)
        .args(["code", "--uri", &uri, "--time", &previous.to_string()])
        .output()?;
    let code = String::from_utf8_lossy(&code.stdout).trim().to_string();
    let confirmed = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/alice/devices/{id}/confirm"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        &format!("{{\"code\": \"{code}\"}}"),
    ])?;
    if !confirmed.ends_with("200") {
        bail!("confirming the demo device failed: {confirmed}");
    }
    let qr = Command::new(&cli)
        .args(["qr", &uri, "--terminal"])
        .output()?;
    println!("{}", String::from_utf8_lossy(&qr.stdout));
    println!("alice's authenticator (scan the QR code above or add this URI to an app):\n  {uri}");
    let backup = confirmed
        .split("\"backup_codes\":[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("")
        .replace('"', "");
    println!(
        "alice's backup codes (each works once):\n  {}",
        backup.replace(',', "\n  ")
    );

    step("examples/axum-host");
    let mut host = Command::new(root.join("target/debug/twostep-axum-host"));
    host.env("AXUM_HOST_TWOSTEP_URL", &base)
        .env("AXUM_HOST_SERVICE_KEY", &key)
        .env("AXUM_HOST_LISTEN", listen(3000))
        .stdout(std::process::Stdio::piped());
    let mut child = host.spawn().context("cannot start twostep-axum-host")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let host = Running(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let site = line
        .trim()
        .strip_prefix("axum-host listening on ")
        .with_context(|| format!("twostep-axum-host did not start (said {line:?})"))?
        .to_string();
    println!("\nopen {site}/ and sign in as alice / alice-demo-password");
    println!("(bob / bob-demo-password has no authenticator: he signs in with the password alone,");
    println!(" and the pages that need a second factor stay closed to him)");
    println!("twostep-server: {base}   service key: .twostep-dev/service.key");

    if std::io::stdin().is_terminal() {
        println!("\nserving until Ctrl-C");
        let mut host = host;
        let _ = host.0.wait();
        return Ok(());
    }
    step("not a terminal: checking the login page answers, then stopping");
    let page = curl(&[&format!("{site}/login")])?;
    if !(page.ends_with("200") && page.contains("<label for=\"password\">")) {
        bail!("the host's login page did not answer as expected: {page}");
    }
    println!("GET /login -> 200");
    drop(host);
    Ok(())
}
