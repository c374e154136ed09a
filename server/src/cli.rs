//! The `twostep-server` command line: `serve`, `migrate`, `gen-key`, `rotate-keys`.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, redact_url};
use crate::crypto::KeyRing;
use crate::store::Store;
use crate::{AppState, app};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// twostep-server: pairing and authoritative TOTP verification.
#[derive(Debug, Parser)]
#[command(name = "twostep-server", version)]
pub struct Cli {
    /// TOML configuration file (TWOSTEP_* environment variables override it).
    #[arg(long, short, global = true, env = "TWOSTEP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Development mode: keys and the database live in ./.twostep-dev/ (created if missing).
    /// Never use it in production.
    #[arg(long, global = true)]
    pub dev: bool,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the API until SIGINT/SIGTERM.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a new encryption key entry (`id:base64`) for encryption_keys.
    GenKey {
        /// Print a random service key instead.
        #[arg(long)]
        service_key: bool,
    },
    /// Re-encrypt every device secret under the active key.
    RotateKeys,
}

/// Runs the command line; the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twostep-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Some(Command::GenKey { service_key }) = cli.command {
        let key = if service_key {
            random_token()?
        } else {
            KeyRing::generate_entry()?
        };
        println!("{}", key.as_str());
        return Ok(());
    }
    let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
    if cli.dev {
        apply_dev(&mut config, Path::new(".twostep-dev"))?;
    }
    init_tracing(&config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                let store = open_store(&config).await?;
                store.close().await;
                println!("migrations applied");
                Ok(())
            }
            Command::RotateKeys => rotate_keys(&config).await,
            Command::GenKey { .. } => Ok(()),
        }
    })
}

/// 32 random bytes, base64url, for a service key.
fn random_token() -> Result<Zeroizing<String>> {
    use base64::Engine as _;
    let mut bytes = Zeroizing::new([0u8; 32]);
    crate::crypto::fill_random(&mut bytes[..])?;
    Ok(Zeroizing::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..]),
    ))
}

/// Fills in what `--dev` provides: a key file, a service key and a database under `dir`.
pub fn apply_dev(config: &mut Config, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let read_or_create = |name: &str, make: fn() -> Result<Zeroizing<String>>| -> Result<String> {
        let path = dir.join(name);
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(text.trim().to_string());
        }
        let value = make()?;
        write_private(&path, value.as_bytes())?;
        Ok(value.to_string())
    };
    let mut notes = Vec::new();
    if config.encryption_keys.is_empty() {
        config.encryption_keys = vec![read_or_create("encryption.key", KeyRing::generate_entry)?];
        config.active_key = None;
        notes.push(format!(
            "encryption key: {}",
            dir.join("encryption.key").display()
        ));
    }
    if config.service_keys.is_empty() {
        config.service_keys = vec![read_or_create("service.key", random_token)?];
        notes.push(format!(
            "service key:    {}",
            dir.join("service.key").display()
        ));
    }
    if config.database_url == Config::default().database_url {
        config.database_url = format!("sqlite://{}", dir.join("twostep.db").display());
        notes.push(format!("database:       {}", config.database_url));
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!  DEVELOPMENT MODE (--dev): keys are stored in plain files on disk.   !!\n\
         !!  Never use --dev in production; configure encryption_keys instead.   !!\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    );
    for n in notes {
        eprintln!("   {n}");
    }
    eprintln!();
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    Ok(())
}

fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn open_store(config: &Config) -> Result<Store> {
    let store = Store::connect(&config.database_url, config.database_max_connections).await?;
    store.migrate().await?;
    tracing::info!(
        database = redact_url(&config.database_url),
        backend = store.backend(),
        "database ready"
    );
    Ok(store)
}

/// Serves until SIGINT or SIGTERM, then drains connections and closes the pool.
pub async fn serve(config: Config) -> Result<()> {
    let keys = KeyRing::from_entries(&config.encryption_keys, config.active_key.as_deref())?;
    if config.service_keys.is_empty()
        && config.jwt_hs256_secret.is_none()
        && config.jwt_ed25519_public_key.is_none()
        && config.jwt_rs256_public_key.is_none()
    {
        anyhow::bail!("no credentials configured: set service_keys and/or a JWT key");
    }
    let store = open_store(&config).await?;
    for (key_id, users) in store.backup_code_keys().await? {
        if !keys.has_key(&key_id) {
            tracing::warn!(
                key_id,
                users,
                "backup codes are tagged under a key missing from encryption_keys: they fail \
                 until the key is added back or the users regenerate their codes"
            );
        }
    }
    for (key_id, users) in store.trusted_device_keys(now_unix()).await? {
        if !keys.has_key(&key_id) {
            tracing::warn!(
                key_id,
                users,
                "trusted-device tokens are tagged under a key missing from encryption_keys: \
                 those devices are no longer trusted until the key is added back"
            );
        }
    }
    let listen = config.listen.clone();
    let state = AppState::new(config, store.clone(), keys, Arc::new(SystemClock))?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, active_key = state.keys.active_id(), "listening");
    println!("twostep-server listening on http://{addr}");
    // With connect info: the audit log records the peer address (see `client`).
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn now_unix() -> i64 {
    i64::try_from(SystemClock.now()).unwrap_or(i64::MAX)
}

/// Re-seals every secret that is not under the active key.
pub async fn rotate_keys(config: &Config) -> Result<()> {
    let keys = KeyRing::from_entries(&config.encryption_keys, config.active_key.as_deref())?;
    let store = open_store(config).await?;
    let rows = store.devices_not_under(keys.active_id()).await?;
    let mut done = 0usize;
    for row in &rows {
        let plain = keys
            .open(&row.user_id, &row.id, &row.sealed())
            .with_context(|| format!("cannot decrypt device {}", row.id))?;
        let sealed = keys.seal(&row.user_id, &row.id, &plain)?;
        if store.reseal(&row.id, &row.key_id, &sealed).await? {
            done += 1;
        }
    }
    // Backup codes are kept only as HMAC tags: they cannot be re-tagged under the new key.
    let tagged = store.backup_code_keys().await?;
    let trusted = store.trusted_device_keys(now_unix()).await?;
    store.close().await;
    println!(
        "re-encrypted {done} of {} secrets under key {}",
        rows.len(),
        keys.active_id()
    );
    for (key_id, users) in tagged.iter().filter(|(k, _)| k != keys.active_id()) {
        println!(
            "backup codes of {users} user(s) are tagged under key {key_id}: keep it in \
             encryption_keys until they regenerate their codes"
        );
    }
    for (key_id, users) in trusted.iter().filter(|(k, _)| k != keys.active_id()) {
        println!(
            "trusted devices of {users} user(s) are tagged under key {key_id}: they stay \
             trusted only while it is in encryption_keys (at most until they expire)"
        );
    }
    Ok(())
}
