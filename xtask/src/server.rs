//! twostep-server automation: its test run against a real PostgreSQL, the demo, the load test.

use crate::util::{cargo, ensure_apt, exec, step};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// Role, password and database the server tests use on the local cluster.
const PG_USER: &str = "twostep_test";

/// Runs the server's tests with a local PostgreSQL (installed and started when missing).
pub fn test_steps() -> Result<()> {
    step("PostgreSQL for the server tests (Debian package, local cluster)");
    let url = ensure_postgres()?;
    // The JWT tests make their Ed25519 and RSA keys with the openssl command.
    ensure_apt(&[("openssl", "openssl")])?;
    step("twostep-server tests (SQLite and PostgreSQL; two server processes on one database)");
    exec(
        cargo()
            .args(["test", "-p", "twostep-server", "--all-features"])
            .env("TWOSTEP_TEST_POSTGRES_URL", &url),
    )?;
    step("twostep-server wire types build alone (default-features = false)");
    exec(cargo().args(["check", "-p", "twostep-server", "--no-default-features"]))
}

/// Installs and starts PostgreSQL if needed, creates the test role and database (dropping
/// databases left by earlier test runs), and returns the URL to reach it over TCP.
pub fn ensure_postgres() -> Result<String> {
    if installed_versions().is_empty() {
        ensure_apt(&[("pg_ctlcluster", "postgresql")])?;
        if installed_versions().is_empty() {
            exec(
                Command::new("apt-get")
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .args([
                        "install",
                        "-y",
                        "-qq",
                        "--no-install-recommends",
                        "postgresql",
                    ]),
            )?;
        }
    }
    let version = *installed_versions()
        .last()
        .context("PostgreSQL is not installed")?;
    let mut cluster = clusters()?.into_iter().find(|c| c.version == version);
    if cluster.is_none() {
        exec(Command::new("pg_createcluster").args([&version.to_string(), "main"]))?;
        cluster = clusters()?.into_iter().find(|c| c.version == version);
    }
    let cluster = cluster.context("no PostgreSQL cluster after pg_createcluster")?;
    if !cluster.online {
        exec(Command::new("pg_ctlcluster").args([
            &cluster.version.to_string(),
            &cluster.name,
            "start",
        ]))?;
    }
    let port = cluster.port;
    psql(
        port,
        &format!(
            "DO $$ BEGIN \
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_USER}') THEN \
             CREATE ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_USER}'; \
           ELSE ALTER ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_USER}'; END IF; END $$;"
        ),
    )?;
    let leftovers = psql_output(
        port,
        "SELECT datname FROM pg_database WHERE datname LIKE 'twostep\\_t\\_%' OR datname LIKE 'twostep\\_bench\\_%'",
    )?;
    for db in leftovers.lines().map(str::trim).filter(|l| !l.is_empty()) {
        psql(
            port,
            &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"),
        )?;
    }
    let exists = psql_output(
        port,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{PG_USER}'"),
    )?;
    if exists.trim().is_empty() {
        psql(port, &format!("CREATE DATABASE {PG_USER} OWNER {PG_USER}"))?;
    }
    Ok(format!(
        "postgres://{PG_USER}:{PG_USER}@127.0.0.1:{port}/{PG_USER}"
    ))
}

fn installed_versions() -> Vec<u32> {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().join("bin/postgres").exists())
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_unstable();
    versions
}

struct Cluster {
    version: u32,
    name: String,
    port: u16,
    online: bool,
}

/// `pg_lsclusters -h`: version, name, port, status, owner, data directory, log file.
fn clusters() -> Result<Vec<Cluster>> {
    let out = Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .context("pg_lsclusters (postgresql-common) is needed")?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Some(Cluster {
                version: f.first()?.parse().ok()?,
                name: f.get(1)?.to_string(),
                port: f.get(2)?.parse().ok()?,
                online: f.get(3)?.starts_with("online"),
            })
        })
        .collect())
}

fn psql_command(port: u16, sql: &str) -> Command {
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--", "psql", "-X", "-q", "-t", "-A"])
        .args(["-v", "ON_ERROR_STOP=1", "-p", &port.to_string(), "-c", sql])
        .current_dir(Path::new("/"));
    c
}

fn psql(port: u16, sql: &str) -> Result<()> {
    exec(&mut psql_command(port, sql))
}

fn psql_output(port: u16, sql: &str) -> Result<String> {
    let out = psql_command(port, sql)
        .output()
        .context("cannot run psql")?;
    if !out.status.success() {
        bail!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A child server process, stopped with SIGTERM (graceful shutdown) when dropped.
pub(crate) struct Running(pub(crate) std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Starts the release or debug `twostep-server` binary with `args` and `envs`; returns the
/// process and its base URL (read from its first line of output).
pub(crate) fn start_server(
    binary: &Path,
    args: &[&str],
    envs: &[(&str, String)],
) -> Result<(Running, String)> {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(binary)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(crate::util::root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("twostep-server listening on ")
        .with_context(|| format!("twostep-server did not start (said {line:?})"))?
        .to_string();
    Ok((running, base))
}

pub(crate) fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The string value of `"key":"..."` in a flat JSON text (enough for the demo's answers).
pub(crate) fn json_str(body: &str, key: &str) -> Option<String> {
    let start = body.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_string())
}

pub(crate) fn curl(args: &[&str]) -> Result<String> {
    let out = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .context("cannot run curl")?;
    if !out.status.success() {
        bail!(
            "curl failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cargo xtask demo`, server part: twostep-server on SQLite with `--dev` on 127.0.0.1,
/// a service key and working curl commands, then the SPA (examples/spa) through its demo
/// backend. On a terminal it runs until Ctrl-C; otherwise it pairs, confirms and verifies a
/// device against itself with those commands, checks the SPA answers, and stops.
pub fn server_demo() -> Result<()> {
    use std::io::IsTerminal;
    crate::spa::build()?;
    step("twostep-server on SQLite, development mode (--dev)");
    exec(cargo().args([
        "build",
        "--quiet",
        "-p",
        "twostep-server",
        "-p",
        "twostep-cli",
    ]))?;
    let jwt_secret = crate::spa::new_jwt_secret()?;
    ensure_apt(&[("curl", "curl")])?;
    let root = crate::util::root();
    let listen = if port_free(8080) {
        "127.0.0.1:8080"
    } else {
        "127.0.0.1:0"
    };
    let (server, base) = start_server(
        &root.join("target/debug/twostep-server"),
        &["--dev", "serve"],
        &[
            ("TWOSTEP_LISTEN", listen.to_string()),
            ("TWOSTEP_JWT_HS256_SECRET", jwt_secret.clone()),
            ("RUST_LOG", "warn".into()),
        ],
    )?;
    let key = std::fs::read_to_string(root.join(".twostep-dev/service.key"))
        .context("the --dev service key file")?
        .trim()
        .to_string();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let user = format!("demo-{stamp}");
    println!("server:      {base}");
    println!("service key: {key}");
    println!("\nbegin pairing (prints the secret, the otpauth:// URI and an SVG QR code):\n");
    println!(
        "  curl -s -X POST '{base}/v1/users/{user}/devices?qr=svg' \\\n    -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n    -d '{{\"name\": \"my phone\"}}'"
    );
    println!("\nconfirm with the code your authenticator shows, then verify later codes:\n");
    println!(
        "  curl -s -X POST {base}/v1/users/{user}/devices/<device id>/confirm \\\n    -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"code\": \"123456\"}}'"
    );
    println!(
        "  curl -s -X POST {base}/v1/users/{user}/verify \\\n    -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -d '{{\"code\": \"123456\"}}'"
    );
    println!("\n  API description: {base}/openapi.json   metrics: {base}/metrics");

    step("the single-page app (examples/spa) and its demo backend");
    let spa = crate::spa::start(
        &base,
        &jwt_secret,
        if port_free(5174) {
            "127.0.0.1:5174"
        } else {
            "127.0.0.1:0"
        },
    )?;
    println!("open {}  (pair an authenticator app, then log in)", spa.url);

    if std::io::stdin().is_terminal() {
        println!("\nserving until Ctrl-C");
        let mut server = server;
        let _ = server.0.wait();
        return Ok(());
    }

    step("not a terminal: running that pairing against the server, then stopping it");
    let auth = format!("Authorization: Bearer {key}");
    let json = "Content-Type: application/json";
    let created = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/{user}/devices"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        r#"{"name": "demo phone"}"#,
    ])?;
    println!("create  -> {}", created.lines().last().unwrap_or(""));
    let id = json_str(&created, "id").context("no device id in the answer")?;
    let uri = json_str(&created, "otpauth_uri").context("no otpauth_uri in the answer")?;
    println!("          device {id}\n          {uri}");
    let code_at = |time: u64| -> Result<String> {
        let out = Command::new(root.join("target/debug/twostep"))
            .args(["code", "--uri", &uri, "--time", &time.to_string()])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let body = |code: &str| format!("{{\"code\": \"{code}\"}}");
    let code = code_at(now)?;
    let confirmed = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/{user}/devices/{id}/confirm"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        &body(&code),
    ])?;
    let next = code_at(now + 30)?;
    let verified = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/{user}/verify"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        &body(&next),
    ])?;
    let reused = curl(&[
        "-X",
        "POST",
        &format!("{base}/v1/users/{user}/verify"),
        "-H",
        &auth,
        "-H",
        json,
        "-d",
        &body(&next),
    ])?;
    for (what, code, answer) in [
        ("confirm", &code, &confirmed),
        ("verify", &next, &verified),
        ("reuse", &next, &reused),
    ] {
        let mut lines = answer.lines().collect::<Vec<_>>();
        let status = lines.pop().unwrap_or("");
        println!("{what:<7} {code} -> {status} {}", lines.join(" "));
    }
    let ok = confirmed.ends_with("200") && verified.ends_with("200") && reused.ends_with("422");
    let page = curl(&[&spa.url])?;
    let users = curl(&[&format!("{}demo/users", spa.url)])?;
    // Through the demo backend, which signs a user token for alice (no service key).
    let mfa = curl(&[
        "-H",
        "X-Demo-User: alice",
        &format!("{}v1/users/alice/mfa", spa.url),
    ])?;
    println!(
        "spa     GET / -> {}, GET /demo/users -> {}",
        page.lines().last().unwrap_or(""),
        users.replace('\n', " ")
    );
    println!(
        "        GET /v1/users/alice/mfa as alice -> {}",
        mfa.replace('\n', " ")
    );
    let ok = ok
        && page.ends_with("200")
        && page.contains("<script type=\"module\"")
        && users.ends_with("200")
        && mfa.ends_with("200");
    drop(spa);
    drop(server);
    if !ok {
        bail!("the scripted pairing did not go as expected");
    }
    println!("\nserver stopped");
    Ok(())
}

/// `cargo xtask bench`, server part: the load test of verify over loopback on SQLite and on
/// a local PostgreSQL (server/benches/load.rs; bounded in requests and time).
pub fn load_test() -> Result<()> {
    let url = ensure_postgres()?;
    for backend in ["sqlite", "postgres"] {
        step(&format!(
            "load test of POST /v1/users/{{id}}/verify on {backend} (loopback)"
        ));
        exec(
            cargo()
                .args([
                    "bench",
                    "-p",
                    "twostep-server",
                    "--bench",
                    "load",
                    "--",
                    backend,
                ])
                .env("TWOSTEP_TEST_POSTGRES_URL", &url),
        )?;
    }
    Ok(())
}
