//! End to end through real listeners: the real `twostep-server` binary (SQLite, and
//! PostgreSQL when `TWOSTEP_TEST_POSTGRES_URL` is set) and the real `twostep-axum-host` binary,
//! driven like a browser over HTTP. TOTP codes come from an independent RFC 6238 (hmac +
//! sha1), assertions are checked against `/v1/jwks.json` with the `jsonwebtoken` crate, and
//! forgeries are signed by it with a key the server never had.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SERVICE_KEY: &str = "e2e-service-key-0123456789abcdef";
/// The server accepts codes this many steps either side of now, so the test can use a fresh
/// (strictly later) step for every login without waiting 30 seconds between them.
const WINDOW: u64 = 5;
/// Maximum age (seconds) of the second host, to see an assertion grow too old.
const SHORT_MAX_AGE: u64 = 5;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---- An independent TOTP (RFC 6238 over hmac/sha1; not twostep) ----

fn base32_decode(text: &str) -> Vec<u8> {
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

fn hotp_sha1(key: &[u8], counter: u64) -> String {
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let mac = mac.finalize().into_bytes();
    let offset = (mac[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

#[test]
fn independent_totp_matches_rfc4226() {
    // RFC 4226 appendix D, secret "12345678901234567890".
    let key = b"12345678901234567890";
    assert_eq!(hotp_sha1(key, 0), "755224");
    assert_eq!(hotp_sha1(key, 9), "520489");
}

/// An authenticator app: a secret and the last time step it gave a code for.
struct Phone {
    key: Vec<u8>,
    last_step: u64,
}

impl Phone {
    fn new(secret_b32: &str) -> Phone {
        Phone {
            key: base32_decode(secret_b32),
            last_step: 0,
        }
    }

    /// A code for a step later than every earlier one and inside the server's window.
    fn code(&mut self) -> String {
        let step = (self.last_step + 1).max(now() / 30 - (WINDOW - 1));
        assert!(step < now() / 30 + WINDOW, "out of fresh steps");
        self.last_step = step;
        hotp_sha1(&self.key, step)
    }

    /// A code valid for no step the server would accept now.
    fn wrong_code(&self) -> String {
        let current = now() / 30;
        let valid: Vec<String> = (current - WINDOW - 1..=current + WINDOW + 1)
            .map(|s| hotp_sha1(&self.key, s))
            .collect();
        (0..)
            .map(|i: u32| format!("{:06}", (i * 7919 + 13) % 1_000_000))
            .find(|c| !valid.contains(c))
            .unwrap()
    }
}

// ---- Processes ----

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and reads its first line, `<prefix>http://addr`; returns the process and URL.
fn start(mut cmd: Command, prefix: &str) -> (Proc, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("did not start: {line:?}"))
        .to_string();
    (proc, url)
}

/// The twostep-server binary: `TWOSTEP_SERVER_BIN`, or built here with cargo.
fn server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TWOSTEP_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "twostep-server",
            "--bin",
            "twostep-server",
        ])
        .status()
        .unwrap();
    assert!(status.success(), "cannot build twostep-server");
    PathBuf::from(env!("CARGO_BIN_EXE_twostep-axum-host"))
        .with_file_name(format!("twostep-server{}", std::env::consts::EXE_SUFFIX))
}

fn start_server(database_url: &str) -> (Proc, String) {
    let bin = server_binary();
    let key = Command::new(&bin).arg("gen-key").output().unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_string();
    let mut cmd = Command::new(&bin);
    cmd.arg("serve")
        .env("TWOSTEP_LISTEN", "127.0.0.1:0")
        .env("TWOSTEP_DATABASE_URL", database_url)
        .env("TWOSTEP_SERVICE_KEYS", SERVICE_KEY)
        .env("TWOSTEP_ENCRYPTION_KEYS", key)
        .env("TWOSTEP_VERIFY_WINDOW", WINDOW.to_string())
        // The host keeps the assertion in its cookie for its whole maximum age (1 hour).
        .env("TWOSTEP_ASSERTION_LIFETIME_SECS", "3600")
        .env("RUST_LOG", "warn");
    start(cmd, "twostep-server listening on ")
}

fn start_host(server: &str, max_age_secs: u64) -> (Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_twostep-axum-host"));
    cmd.env("AXUM_HOST_TWOSTEP_URL", server)
        .env("AXUM_HOST_SERVICE_KEY", SERVICE_KEY)
        .env("AXUM_HOST_LISTEN", "127.0.0.1:0")
        .env("AXUM_HOST_MAX_AGE_SECS", max_age_secs.to_string());
    start(cmd, "axum-host listening on ")
}

// ---- The service side (what a product backend would do to enrol a user) ----

async fn api(method: reqwest::Method, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let mut r = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(SERVICE_KEY);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Pairs and confirms an authenticator for `user`; the phone and the backup codes.
async fn enrol(server: &str, user: &str) -> (Phone, Vec<String>) {
    let (s, created) = api(
        reqwest::Method::POST,
        format!("{server}/v1/users/{user}/devices"),
        Some(json!({"name": "phone"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let mut phone = Phone::new(created["secret"].as_str().unwrap());
    let id = created["device"]["id"].as_str().unwrap();
    let (s, confirmed) = api(
        reqwest::Method::POST,
        format!("{server}/v1/users/{user}/devices/{id}/confirm"),
        Some(json!({"code": phone.code()})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{confirmed}");
    let codes = confirmed["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (phone, codes)
}

// ---- A browser: cookies, forms, no automatic redirects ----

struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    /// Attributes of the last Set-Cookie for each name.
    attributes: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: HashMap::new(),
            attributes: HashMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie_header: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = if cookie_header.is_empty() {
            request
        } else {
            request.header("cookie", cookie_header.join("; "))
        };
        let r = request
            .header("user-agent", "e2e-browser/1.0")
            .send()
            .await
            .unwrap();
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
            self.attributes.insert(name.into(), attrs.into());
        }
        Page {
            status: r.status(),
            location: r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string()),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// Password step; the redirect target.
    async fn password(&mut self, user: &str, password: &str) -> String {
        let p = self
            .post("/login", &[("username", user), ("password", password)])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        p.location.unwrap()
    }

    /// Full login with a TOTP code.
    async fn login(&mut self, user: &str, phone: &mut Phone, remember: bool) {
        assert_eq!(
            self.password(user, &demo_password(user)).await,
            "/login/code"
        );
        let code = phone.code();
        let mut form = vec![("code", code.as_str()), ("backup_code", "")];
        if remember {
            form.push(("remember", "on"));
        }
        let p = self.post("/login/code", &form).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some("/"));
    }

    fn assertion(&self) -> String {
        self.cookies["twostep_assertion"].clone()
    }
}

fn demo_password(user: &str) -> String {
    format!("{user}-demo-password")
}

// ---- Independent assertion check ----

/// Verifies an assertion with jsonwebtoken against the server's JWKS; its claims.
async fn check_with_jsonwebtoken(server: &str, token: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(format!("{server}/v1/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["twostep"]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

/// An assertion for `user` signed with a key the server never had, under the server's kid.
fn forge(kid: &str, user: &str) -> String {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[0x5a; 32]);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(kid.into());
    let t = now();
    jsonwebtoken::encode(
        &header,
        &json!({"iss": "twostep", "sub": user, "amr": ["otp"], "auth_time": t,
                "challenge_id": "00000000-0000-4000-8000-000000000000",
                "iat": t, "exp": t + 600, "jti": "forged"}),
        &jsonwebtoken::EncodingKey::from_ed_der(&der),
    )
    .unwrap()
}

fn assert_json_error(page: &Page, status: StatusCode, code: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    let body: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["error"]["code"], code, "{}", page.body);
}

// ---- The scenario ----

async fn scenario(database_url: &str) {
    let (_server, server) = start_server(database_url);
    let (_host, host) = start_host(&server, 3600);
    let (_short_host, short_host) = start_host(&server, SHORT_MAX_AGE);
    let (mut alice_phone, alice_backup) = enrol(&server, "alice").await;
    let (mut bob_phone, _) = enrol(&server, "bob").await;

    // Not signed in; a wrong password.
    let mut alice = Browser::new(&host);
    assert!(alice.get("/").await.body.contains("not signed in"));
    let p = alice
        .post("/login", &[("username", "alice"), ("password", "wrong")])
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(!alice.cookies.contains_key("host_session"));

    // Password, then the guarded pages are still closed, then a wrong code, then the code.
    assert_eq!(
        alice.password("alice", "alice-demo-password").await,
        "/login/code"
    );
    assert_json_error(
        &alice.get("/account").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let form = alice.get("/login/code").await;
    assert!(form.body.contains("<label for=\"code\">"), "{}", form.body);
    let wrong = alice_phone.wrong_code();
    let p = alice
        .post("/login/code", &[("code", &wrong), ("backup_code", "")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let code = alice_phone.code();
    let p = alice
        .post("/login/code", &[("code", &code), ("backup_code", "")])
        .await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    let attrs = &alice.attributes["twostep_assertion"];
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"),
        "{attrs}"
    );
    assert!(!alice.cookies.contains_key("twostep_trusted"));

    // The assertion, checked independently against the server's JWKS.
    let assertion = alice.assertion();
    let claims = check_with_jsonwebtoken(&server, &assertion).await;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["amr"], json!(["otp"]));
    let auth_time = claims["auth_time"].as_u64().unwrap();
    assert!(now().abs_diff(auth_time) < 60);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );

    // Guarded: the layer (/account) and the extractor (/api/me) accept it.
    let p = alice.get("/account").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("<strong>alice</strong>"));
    let p = alice.get("/api/me").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let me: Value = serde_json::from_str(&p.body).unwrap();
    assert_eq!(
        (me["user_id"].as_str(), me["auth_time"].as_u64()),
        (Some("alice"), Some(auth_time))
    );

    // A forged assertion (right kid, wrong key) is refused by both.
    let kid = jsonwebtoken::decode_header(&assertion)
        .unwrap()
        .kid
        .unwrap();
    alice
        .cookies
        .insert("twostep_assertion".into(), forge(&kid, "alice"));
    assert_json_error(
        &alice.get("/account").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_json_error(
        &alice.get("/api/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    // A tampered one too: alice's genuine signature over an altered payload.
    let parts: Vec<&str> = assertion.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    payload["auth_time"] = json!(now() + 1);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(payload.to_string()),
        parts[2]
    );
    alice.cookies.insert("twostep_assertion".into(), tampered);
    assert_json_error(
        &alice.get("/api/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );

    // Another user's genuine assertion in alice's session: valid, but not hers → 403.
    let mut bob = Browser::new(&host);
    bob.login("bob", &mut bob_phone, false).await;
    assert_eq!(bob.get("/api/me").await.status, StatusCode::OK);
    alice
        .cookies
        .insert("twostep_assertion".into(), bob.assertion());
    assert_json_error(
        &alice.get("/account").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_json_error(
        &alice.get("/api/me").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    alice
        .cookies
        .insert("twostep_assertion".into(), assertion.clone());
    assert_eq!(alice.get("/api/me").await.status, StatusCode::OK);

    // Older than the maximum age (a host configured with a few seconds): refused with 403.
    // Its first request comes well within that age even on a loaded machine.
    let mut quick = Browser::new(&short_host);
    quick.login("alice", &mut alice_phone, false).await;
    assert_eq!(quick.get("/account").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(SHORT_MAX_AGE * 1000 + 1100)).await;
    let p = quick.get("/account").await;
    assert_json_error(&p, StatusCode::FORBIDDEN, "forbidden");
    assert!(p.body.contains("fresh second factor"), "{}", p.body);
    assert_json_error(
        &quick.get("/api/me").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // Still within its exp: the refusal is the maximum age, not the assertion's lifetime.
    check_with_jsonwebtoken(&server, &quick.assertion()).await;

    // Logout ends the session and drops the assertion.
    let p = alice.post("/logout", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(!alice.cookies.contains_key("host_session"));
    assert!(!alice.cookies.contains_key("twostep_assertion"));
    assert!(alice.get("/").await.body.contains("not signed in"));

    // A backup code works once.
    let backup = alice_backup[0].clone();
    let mut b1 = Browser::new(&host);
    assert_eq!(
        b1.password("alice", "alice-demo-password").await,
        "/login/code"
    );
    let p = b1
        .post("/login/code", &[("code", ""), ("backup_code", &backup)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let claims = check_with_jsonwebtoken(&server, &b1.assertion()).await;
    assert_eq!(claims["amr"], json!(["backup_code"]));
    assert_eq!(b1.get("/api/me").await.status, StatusCode::OK);
    let mut b2 = Browser::new(&host);
    assert_eq!(
        b2.password("alice", "alice-demo-password").await,
        "/login/code"
    );
    let p = b2
        .post("/login/code", &[("code", ""), ("backup_code", &backup)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(!b2.cookies.contains_key("twostep_assertion"));

    // Remember this device: the next login skips the code.
    let mut laptop = Browser::new(&host);
    laptop.login("alice", &mut alice_phone, true).await;
    let attrs = &laptop.attributes["twostep_trusted"];
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"),
        "{attrs}"
    );
    let token = laptop.cookies["twostep_trusted"].clone();
    assert_eq!(
        laptop.post("/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(laptop.cookies.contains_key("twostep_trusted"));
    assert_eq!(laptop.password("alice", "alice-demo-password").await, "/");
    assert!(
        laptop
            .get("/")
            .await
            .body
            .contains("Signed in as <strong>alice</strong>")
    );
    // Skipping the code gives no assertion: the guarded pages ask for a fresh one (step-up).
    assert_json_error(
        &laptop.get("/account").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let p = laptop.post("/step-up", &[]).await;
    assert_eq!(p.location.as_deref(), Some("/login/code"));
    let code = alice_phone.code();
    let p = laptop
        .post("/login/code", &[("code", &code), ("backup_code", "")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(laptop.get("/account").await.status, StatusCode::OK);

    // Revoke the remembered devices (a guarded action): the old token no longer skips the code.
    let p = laptop.post("/account/forget-devices", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(!laptop.cookies.contains_key("twostep_trusted"));
    let (s, check) = api(
        reqwest::Method::POST,
        format!("{server}/v1/trusted-devices/check"),
        Some(json!({"user_id": "alice", "token": token})),
    )
    .await;
    assert_eq!(
        (s, &check["trusted"]),
        (StatusCode::OK, &json!(false)),
        "{check}"
    );
    laptop.post("/logout", &[]).await;
    laptop.cookies.insert("twostep_trusted".into(), token);
    assert_eq!(
        laptop.password("alice", "alice-demo-password").await,
        "/login/code"
    );

    // A remembered device of alice does not skip bob's code.
    let mut shared = Browser::new(&host);
    shared.login("alice", &mut alice_phone, true).await;
    shared.post("/logout", &[]).await;
    assert_eq!(
        shared.password("bob", "bob-demo-password").await,
        "/login/code"
    );
}

/// A new, empty database on the PostgreSQL test cluster, if one is configured.
async fn fresh_postgres() -> Option<String> {
    let url = match std::env::var("TWOSTEP_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "TWOSTEP_TEST_POSTGRES_URL is not set under CI=true: run `cargo xtask test`"
            );
            eprintln!("NOTICE: TWOSTEP_TEST_POSTGRES_URL is not set; skipping PostgreSQL");
            return None;
        }
    };
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!(
        "twostep_t_{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (base, _) = url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn login_guard_and_remembered_devices_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&format!("sqlite://{}", dir.path().join("e2e.db").display())).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn login_guard_and_remembered_devices_on_postgres() {
    if let Some(url) = fresh_postgres().await {
        scenario(&url).await;
    }
}
