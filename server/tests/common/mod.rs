//! Shared test helpers: servers over SQLite or PostgreSQL, an independent TOTP, tokens.
#![allow(dead_code, clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use serde_json::Value;
use std::io::BufRead;
use std::sync::Arc;
use tower::ServiceExt;
use twostep_server::clock::{Clock, ManualClock, SystemClock};
use twostep_server::config::Config;
use twostep_server::crypto::KeyRing;
use twostep_server::store::Store;
use twostep_server::{AppState, app};

/// Runs each named `async fn(Db)` of the test file twice, as `sqlite::name` and
/// `postgres::name` (on a fresh database of the test cluster; see [`postgres_url`]).
#[allow(unused_macros)]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(Db::Sqlite).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(url) = fresh_postgres().await else {
                        return;
                    };
                    super::$name(Db::Postgres(url)).await;
                }
            )*
        }
    };
}

pub const SERVICE_KEY: &str = "test-service-key-0123456789abcdef";
pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdefghijklmnop";
/// 2026-11-24T12:00:00Z, a multiple of 30.
pub const T0: u64 = 1795521600;

/// The PostgreSQL URL of the test cluster; None (with a notice) when not configured,
/// a failure under CI.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TWOSTEP_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "TWOSTEP_TEST_POSTGRES_URL is not set under CI=true: run `cargo xtask test`"
                );
            }
            eprintln!(
                "NOTICE: TWOSTEP_TEST_POSTGRES_URL is not set; skipping the PostgreSQL part \
                 (`cargo xtask test` provides it)"
            );
            None
        }
    }
}

/// A new, empty database on the test cluster; its URL.
pub async fn fresh_postgres() -> Option<String> {
    let url = postgres_url()?;
    let name = format!("twostep_t_{}", uuid_simple());
    let admin = sqlx::PgPool::connect(&url)
        .await
        .expect("connect to test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let base = match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => &url[..i],
        _ => url.as_str(),
    };
    let query = url.find('?').map(|q| &url[q..]).unwrap_or("");
    Some(format!("{base}/{name}{query}"))
}

fn uuid_simple() -> String {
    let mut b = [0u8; 8];
    getrandom(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn getrandom(buf: &mut [u8]) {
    twostep_server::crypto::fill_random(buf).expect("random");
}

/// Which database a test runs on.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    Postgres(String),
}

pub fn test_config(database_url: &str) -> Config {
    Config {
        database_url: database_url.into(),
        service_keys: vec![SERVICE_KEY.into()],
        encryption_keys: vec![KeyRing::generate_entry().unwrap().to_string()],
        jwt_hs256_secret: Some(JWT_SECRET.into()),
        lockout_base_secs: 60,
        lockout_max_secs: 3600,
        ..Config::default()
    }
}

/// A server over a fresh database, driven in process.
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<ManualClock>,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::with(Db::Sqlite, |_| {}).await
    }

    pub async fn with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("t.db").display()),
            Db::Postgres(url) => url,
        };
        let mut config = test_config(&url);
        tweak(&mut config);
        let clock = Arc::new(ManualClock::new(T0));
        let state = build_state(config, clock.clone()).await;
        TestApp {
            dir,
            router: app(state.clone()),
            state,
            clock,
        }
    }

    /// The same database and keys behind a new store, state and router: a restart.
    pub async fn restart(&mut self) {
        self.state.store.close().await;
        let config = (*self.state.config).clone();
        self.state = build_state(config, self.clock.clone()).await;
        self.router = app(self.state.clone());
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| b.to_string());
        self.raw(
            method,
            path,
            token,
            body.as_deref(),
            Some("application/json"),
        )
        .await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some()
            && let Some(ct) = content_type
        {
            req = req.header("content-type", ct);
        }
        let req = req
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .unwrap();
        self.send(req).await
    }

    /// Like `call`, as a client connected from `peer` (what the server binary passes as
    /// connect info) sending the extra `headers`.
    pub async fn call_from(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        peer: std::net::SocketAddr,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {SERVICE_KEY}"))
            .extension(axum::extract::ConnectInfo(peer));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Sends a request through the router.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    /// Creates a device as the service; returns (device id, base32 secret).
    pub async fn pair(&self, user: &str) -> (String, String) {
        let r = self
            .call(
                Method::POST,
                &format!("/v1/users/{user}/devices"),
                Some(SERVICE_KEY),
                Some(serde_json::json!({"name": "phone"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (
            r.json["device"]["id"].as_str().unwrap().to_string(),
            r.json["secret"].as_str().unwrap().to_string(),
        )
    }

    /// Creates and confirms a device at the current time (200 asserted); returns (device id,
    /// secret, the confirm reply).
    pub async fn pair_confirmed(&self, user: &str) -> (String, String, Reply) {
        let (id, secret) = self.pair(user).await;
        let code = totp_sha1(&secret, self.now());
        let r = self
            .call(
                Method::POST,
                &format!("/v1/users/{user}/devices/{id}/confirm"),
                Some(SERVICE_KEY),
                Some(serde_json::json!({ "code": code })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (id, secret, r)
    }

    /// Creates and confirms a device at the current time; returns (device id, secret).
    pub async fn pair_active(&self, user: &str) -> (String, String) {
        let (id, secret, _) = self.pair_confirmed(user).await;
        (id, secret)
    }

    /// Turns MFA on for `user` with a first device; returns its secret and the backup codes.
    pub async fn enable(&self, user: &str) -> (String, Vec<String>) {
        let (_, secret, r) = self.pair_confirmed(user).await;
        (secret, backup_codes(&r))
    }

    /// `POST /v1/challenges` as the service with `body` (201 asserted); the challenge id.
    pub async fn create_challenge(&self, body: Value) -> String {
        let r = self
            .call(
                Method::POST,
                "/v1/challenges",
                Some(SERVICE_KEY),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json["challenge_id"].as_str().unwrap().to_string()
    }

    pub async fn verify(&self, user: &str, code: &str) -> Reply {
        self.call(
            Method::POST,
            &format!("/v1/users/{user}/verify"),
            Some(SERVICE_KEY),
            Some(serde_json::json!({ "code": code })),
        )
        .await
    }
}

/// A running `twostep-server` process; killed on drop.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real `twostep-server` binary on an ephemeral port of 127.0.0.1 with a clean
/// environment: the database, the key, the test service key, and `env` on top.
pub fn spawn_binary(
    database_url: &str,
    encryption_key: &str,
    env: &[(&str, &str)],
) -> ServerProcess {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twostep-server"))
        .arg("serve")
        .env_clear()
        .env("TWOSTEP_DATABASE_URL", database_url)
        .env("TWOSTEP_LISTEN", "127.0.0.1:0")
        .env("TWOSTEP_SERVICE_KEYS", SERVICE_KEY)
        .env("TWOSTEP_ENCRYPTION_KEYS", encryption_key)
        .env("TWOSTEP_DATABASE_MAX_CONNECTIONS", "8")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("twostep-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    ServerProcess { child, base }
}

/// A TOTP secret (base32) in every encoding that could leak, and each 8-byte window of it.
pub fn secret_encodings(secret_b32: &str) -> Vec<Vec<u8>> {
    let raw = base32_decode(secret_b32);
    let hex_lower: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let e = &base64::engine::general_purpose::STANDARD;
    let u = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut out = vec![
        raw.clone(),
        secret_b32.as_bytes().to_vec(),
        secret_b32.to_lowercase().into_bytes(),
        secret_b32.trim_end_matches('=').as_bytes().to_vec(),
        hex_lower.clone().into_bytes(),
        hex_lower.to_uppercase().into_bytes(),
        e.encode(&raw).into_bytes(),
        e.encode(&raw).trim_end_matches('=').as_bytes().to_vec(),
        u.encode(&raw).into_bytes(),
    ];
    // Also any 8-byte window of the raw secret (a partial leak).
    out.extend(raw.windows(8).map(<[u8]>::to_vec));
    out
}

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A backup code as the user sees it, in every spelling and encoding that could leak.
pub fn code_encodings(shown: &str) -> Vec<Vec<u8>> {
    let e = &base64::engine::general_purpose::STANDARD;
    let u = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let plain = shown.replace('-', "");
    let mut out = Vec::new();
    for text in [
        shown.to_string(),
        shown.to_uppercase(),
        plain.clone(),
        plain.to_uppercase(),
        shown.replace('-', " "),
    ] {
        let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
        out.push(hex.to_uppercase().into_bytes());
        out.push(hex.into_bytes());
        out.push(e.encode(&text).into_bytes());
        out.push(u.encode(&text).into_bytes());
        out.push(text.into_bytes());
    }
    // Each half of the code (a partial leak).
    out.push(plain.as_bytes()[..12].to_vec());
    out.push(plain.as_bytes()[12..].to_vec());
    out
}

/// Runs one statement on the database (the writer on SQLite), for tests that need to reach
/// behind the API.
pub async fn exec_sql(app: &TestApp, sql: &str) {
    match &app.state.store {
        Store::Sqlite(db) => sqlx::query(sql).execute(&db.writer).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Makes every insert into `events` (or only those of `kind`) fail, by a trigger.
pub async fn break_events(app: &TestApp, kind: Option<&str>) {
    match (&app.state.store, kind) {
        (Store::Sqlite(_), None) => {
            exec_sql(
                app,
                "CREATE TRIGGER events_down BEFORE INSERT ON events \
                 BEGIN SELECT RAISE(ABORT, 'audit log down'); END",
            )
            .await
        }
        (Store::Sqlite(_), Some(k)) => {
            exec_sql(
                app,
                &format!(
                    "CREATE TRIGGER events_down BEFORE INSERT ON events WHEN NEW.kind = '{k}' \
                     BEGIN SELECT RAISE(ABORT, 'audit log down'); END"
                ),
            )
            .await
        }
        (Store::Postgres(_), kind) => {
            exec_sql(
                app,
                "CREATE OR REPLACE FUNCTION events_down() RETURNS trigger LANGUAGE plpgsql \
                 AS $$ BEGIN RAISE EXCEPTION 'audit log down'; END $$",
            )
            .await;
            let when = kind
                .map(|k| format!("WHEN (NEW.kind = '{k}')"))
                .unwrap_or_default();
            exec_sql(
                app,
                &format!(
                    "CREATE TRIGGER events_down BEFORE INSERT ON events FOR EACH ROW {when} \
                     EXECUTE FUNCTION events_down()"
                ),
            )
            .await
        }
    }
}

/// Drops the trigger of [`break_events`].
pub async fn fix_events(app: &TestApp) {
    let sql = match &app.state.store {
        Store::Sqlite(_) => "DROP TRIGGER events_down",
        Store::Postgres(_) => "DROP TRIGGER events_down ON events",
    };
    exec_sql(app, sql).await;
}

/// Everything the database holds, as bytes: on SQLite every file of the database after a
/// checkpoint; on PostgreSQL every row of every table as JSON text, plus every binary
/// column's raw bytes.
pub async fn dump(app: &TestApp) -> Vec<u8> {
    match &app.state.store {
        Store::Sqlite(db) => {
            let pool = &db.writer;
            // Flush the WAL into the file, then read every file of the database.
            sqlx::query("PRAGMA wal_checkpoint(FULL)")
                .execute(pool)
                .await
                .unwrap();
            let mut all = Vec::new();
            for entry in std::fs::read_dir(app.dir.path()).unwrap() {
                all.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            all
        }
        Store::Postgres(pool) => {
            let mut all = Vec::new();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            assert!(tables.len() >= 5, "{tables:?}");
            for table in &tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                for r in rows {
                    all.extend(r.into_bytes());
                }
            }
            let binary: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type = 'bytea'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (table, column) in binary {
                let blobs: Vec<Option<Vec<u8>>> =
                    sqlx::query_scalar(&format!("SELECT {column} FROM {table}"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                all.extend(blobs.into_iter().flatten().flatten());
            }
            all
        }
    }
}

pub async fn build_state(config: Config, clock: Arc<dyn Clock>) -> AppState {
    let store = Store::connect(&config.database_url, 8).await.unwrap();
    store.migrate().await.unwrap();
    let keys =
        KeyRing::from_entries(&config.encryption_keys, config.active_key.as_deref()).unwrap();
    AppState::new(config, store, keys, clock).unwrap()
}

/// A state on the system clock (for the real-listener tests).
pub async fn real_time_state(config: Config) -> AppState {
    build_state(config, Arc::new(SystemClock)).await
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    /// Asserts the documented error shape and code.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{}",
            self.text
        );
        assert_eq!(self.json["error"]["code"], code, "{}", self.text);
        assert!(
            self.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(
            self.json.as_object().map(|o| o.len()),
            Some(1),
            "{}",
            self.text
        );
    }
}

/// The `backup_codes` of a confirm or regenerate reply (absent: none).
pub fn backup_codes(reply: &Reply) -> Vec<String> {
    reply.json["backup_codes"]
        .as_array()
        .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// base64url without padding (JWT parts, JWKS keys).
pub const B64URL: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An HS256 user token for `sub`, valid until `exp`.
pub fn user_token(sub: &str, exp: u64) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({ "sub": sub, "exp": exp }),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

// ---- An independent TOTP (RFC 6238 over the hmac/sha1 crates; not twostep) ----

/// RFC 4648 base32 (upper case, no padding) decoding.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u64, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base32") as u64;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn truncate(mac: &[u8], digits: u32) -> String {
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// 6-digit SHA1 TOTP with a 30-second period at `unix`.
pub fn totp_sha1(secret_b32: &str, unix: u64) -> String {
    totp(secret_b32, unix, "SHA1", 6, 30)
}

pub fn totp(secret_b32: &str, unix: u64, alg: &str, digits: u32, period: u64) -> String {
    let key = base32_decode(secret_b32);
    let msg = (unix / period).to_be_bytes();
    let mac = match alg {
        "SHA1" => {
            let mut m = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).unwrap();
            m.update(&msg);
            m.finalize().into_bytes().to_vec()
        }
        "SHA256" => {
            let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            m.update(&msg);
            m.finalize().into_bytes().to_vec()
        }
        _ => {
            let mut m = <Hmac<sha2::Sha512> as KeyInit>::new_from_slice(&key).unwrap();
            m.update(&msg);
            m.finalize().into_bytes().to_vec()
        }
    };
    truncate(&mac, digits)
}

#[test]
fn independent_totp_matches_rfc6238() {
    // RFC 6238 appendix B, SHA1 seed "12345678901234567890", 8 digits.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp(secret, 59, "SHA1", 8, 30), "94287082");
    assert_eq!(totp(secret, 1_111_111_109, "SHA1", 8, 30), "07081804");
    assert_eq!(totp(secret, 20_000_000_000, "SHA1", 8, 30), "65353130");
}
