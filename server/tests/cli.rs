//! The binary and the other user-token algorithms: `migrate`, `--dev`, EdDSA and RS256 user
//! tokens (keys made by the openssl command), algorithm confusion refused.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use std::process::Command;

fn openssl(args: &[&str], dir: &std::path::Path) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is needed (cargo xtask test installs it)");
    assert!(st.success(), "openssl {args:?}");
}

#[test]
fn migrate_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let out = Command::new(env!("CARGO_BIN_EXE_twostep-server"))
        .arg("migrate")
        .env_clear()
        .env("TWOSTEP_DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "migrations applied"
    );
    let tables = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        tables
    });
    for t in ["devices", "users_state", "backup_codes", "_sqlx_migrations"] {
        assert!(tables.iter().any(|n| n == t), "{t} missing: {tables:?}");
    }
}

#[test]
fn dev_mode_creates_keys_once_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_twostep-server"))
            .args(["--dev", "migrate"])
            .env_clear()
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("DEVELOPMENT MODE"));
    let key = std::fs::read_to_string(dir.path().join(".twostep-dev/encryption.key")).unwrap();
    let service = std::fs::read_to_string(dir.path().join(".twostep-dev/service.key")).unwrap();
    assert!(dir.path().join(".twostep-dev/twostep.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(".twostep-dev/encryption.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others");
    }
    assert!(run().status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".twostep-dev/encryption.key")).unwrap(),
        key
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".twostep-dev/service.key")).unwrap(),
        service
    );
}

#[tokio::test]
async fn eddsa_and_rs256_user_tokens() {
    let keys = tempfile::tempdir().unwrap();
    let d = keys.path();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"], d);
    openssl(&["pkey", "-in", "ed.pem", "-pubout", "-out", "ed.pub"], d);
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "ed2.pem"], d);
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
        d,
    );
    openssl(&["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub"], d);
    let read = |n: &str| std::fs::read(d.join(n)).unwrap();
    let ed_pub = String::from_utf8(read("ed.pub")).unwrap();
    let rsa_pub = String::from_utf8(read("rsa.pub")).unwrap();
    let app = TestApp::with(Db::Sqlite, |c| {
        c.jwt_hs256_secret = None;
        c.jwt_ed25519_public_key = Some(ed_pub.clone());
        c.jwt_rs256_public_key = Some(rsa_pub.clone());
        c.jwt_issuer = Some("https://host.test".into());
    })
    .await;
    let claims =
        |sub: &str, iss: &str| serde_json::json!({"sub": sub, "exp": app.now() + 300, "iss": iss});
    use jsonwebtoken::{Algorithm, EncodingKey};
    let sign = |alg, key: EncodingKey, claims: serde_json::Value| {
        jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, &key).unwrap()
    };
    let ed = sign(
        Algorithm::EdDSA,
        EncodingKey::from_ed_pem(&read("ed.pem")).unwrap(),
        claims("alice", "https://host.test"),
    );
    let rs = sign(
        Algorithm::RS256,
        EncodingKey::from_rsa_pem(&read("rsa.pem")).unwrap(),
        claims("alice", "https://host.test"),
    );
    for t in [&ed, &rs] {
        let r = app
            .call(Method::GET, "/v1/users/alice/mfa", Some(t), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        app.call(Method::GET, "/v1/users/bob/mfa", Some(t), None)
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
    }
    // Another Ed25519 key, a wrong issuer, HS256 signed with the public key text (algorithm
    // confusion), and HS256 when no HS256 secret is configured: all 401.
    let other = sign(
        Algorithm::EdDSA,
        EncodingKey::from_ed_pem(&read("ed2.pem")).unwrap(),
        claims("alice", "https://host.test"),
    );
    let wrong_iss = sign(
        Algorithm::EdDSA,
        EncodingKey::from_ed_pem(&read("ed.pem")).unwrap(),
        claims("alice", "https://evil.test"),
    );
    let confused = sign(
        Algorithm::HS256,
        EncodingKey::from_secret(rsa_pub.as_bytes()),
        claims("alice", "https://host.test"),
    );
    let confused_ed = sign(
        Algorithm::HS256,
        EncodingKey::from_secret(ed_pub.as_bytes()),
        claims("alice", "https://host.test"),
    );
    for t in [&other, &wrong_iss, &confused, &confused_ed] {
        app.call(Method::GET, "/v1/users/alice/mfa", Some(t), None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

/// The real binary with JSON logs at debug level: every line is JSON, requests carry a
/// request id, and neither the secret (in any encoding), the codes nor the service key
/// appear anywhere in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_and_hold_no_secret() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let key = twostep_server::crypto::KeyRing::generate_entry().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_twostep-server"))
        .arg("serve")
        .env_clear()
        .env(
            "TWOSTEP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("l.db").display()),
        )
        .env("TWOSTEP_LISTEN", "127.0.0.1:0")
        .env("TWOSTEP_SERVICE_KEYS", SERVICE_KEY)
        .env("TWOSTEP_ENCRYPTION_KEYS", key.as_str())
        .env("TWOSTEP_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("twostep-server listening on ")
        .unwrap()
        .to_string();

    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(SERVICE_KEY)
            .json(&body)
            .send()
    };
    let created: serde_json::Value = post(
        "/v1/users/logged/devices".into(),
        serde_json::json!({"name": "p"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = created["device"]["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let c1 = totp_sha1(&secret, t);
    let c2 = totp_sha1(&secret, t + 30);
    let r = post(
        format!("/v1/users/logged/devices/{id}/confirm"),
        serde_json::json!({"code": c1}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let confirmed: serde_json::Value = r.json().await.unwrap();
    let mut backup: Vec<String> = confirmed["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    // Backup codes: one used, one wrong, then a new set.
    let r = post(
        "/v1/users/logged/backup-codes/verify".into(),
        serde_json::json!({"code": backup[0]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(
        "/v1/users/logged/backup-codes/verify".into(),
        serde_json::json!({"code": backup[0].to_uppercase()}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        "/v1/users/logged/backup-codes".into(),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let regenerated: serde_json::Value = r.json().await.unwrap();
    backup.extend(
        regenerated["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string()),
    );
    assert_eq!(backup.len(), 20);
    let r = post(
        "/v1/users/logged/verify".into(),
        serde_json::json!({"code": c2}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(
        "/v1/users/logged/verify".into(),
        serde_json::json!({"code": c2}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Graceful stop on SIGTERM.
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert!(child.wait().unwrap().success(), "graceful shutdown exits 0");

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 5, "{log}");
    for l in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"));
        assert!(v.get("level").is_some());
    }
    assert!(log.contains("request_id"), "requests carry ids");
    assert!(log.contains("shutting down") && log.contains("stopped"));
    let raw = base32_decode(&secret);
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    let key_b64 = key.split(':').nth(1).unwrap().to_string();
    let backup_forms = backup.iter().flat_map(|c| {
        let plain = c.replace('-', "");
        [c.clone(), c.to_uppercase(), plain.to_uppercase(), plain]
    });
    for needle in backup_forms.chain([
        secret.clone(),
        secret.to_lowercase(),
        hex.clone(),
        hex.to_uppercase(),
        b64,
        c1,
        c2,
        SERVICE_KEY.to_string(),
        key_b64,
    ]) {
        assert!(
            !log.contains(&needle),
            "the log holds a secret value ({} chars)",
            needle.len()
        );
    }
}
