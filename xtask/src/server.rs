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
