//! Security checks: no secret in a database dump in any encoding; a ciphertext moved to
//! another row fails; a user token cannot touch another user; restarts keep devices, used
//! steps and locks; key rotation re-encrypts everything. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use common::*;
use serde_json::json;
use twostep_server::store::Store;

async fn no_secret_in_dump(app: TestApp) {
    let mut secrets = Vec::new();
    for user in ["alice", "bob", "carol"] {
        let (_, s) = app.pair_active(user).await;
        secrets.push(s);
        let (_, s) = app.pair(user).await;
        secrets.push(s);
    }
    app.clock.advance(30);
    let bytes = dump(&app).await;
    assert!(bytes.len() > 1000, "the dump has the data");
    // The dump does hold the (non-secret) user ids: the search works.
    assert!(contains(&bytes, b"carol"));
    for s in &secrets {
        for enc in secret_encodings(s) {
            assert!(
                !contains(&bytes, &enc),
                "a secret leaked in an encoding of {} bytes",
                enc.len()
            );
        }
    }
}

#[tokio::test]
async fn dump_holds_no_secret_sqlite() {
    no_secret_in_dump(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn dump_holds_no_secret_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    no_secret_in_dump(TestApp::with(Db::Postgres(url), |_| {}).await).await;
}

/// The tag API.md/crypto.rs document, computed here with the hmac crate: HMAC-SHA-256 under
/// HMAC-SHA-256(ring key, "twostep/backup-code-mac-key/v1"), over the label, the user id
/// length-prefixed, and the normalised code.
fn documented_tag(key_entry: &str, user: &str, shown: &str) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_entry.split_once(':').unwrap().1)
        .unwrap();
    let mut k = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&raw).unwrap();
    k.update(b"twostep/backup-code-mac-key/v1");
    let mac_key = k.finalize().into_bytes();
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&mac_key).unwrap();
    m.update(b"twostep/backup-code/v1");
    m.update(&(user.len() as u32).to_be_bytes());
    m.update(user.as_bytes());
    m.update(shown.replace('-', "").as_bytes());
    m.finalize().into_bytes().to_vec()
}

async fn no_backup_code_in_dump(app: TestApp) {
    let mut issued = Vec::new();
    for user in ["alice", "bob", "carol"] {
        let (_, codes) = app.enable(user).await;
        assert_eq!(codes.len(), 10);
        issued.extend(codes.into_iter().map(|c| (user, c)));
    }
    // A regenerated set, and a used code.
    let r = app
        .call(
            Method::POST,
            "/v1/users/carol/backup-codes",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let carol: Vec<String> = r.json["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let r = app
        .call(
            Method::POST,
            "/v1/users/bob/backup-codes/verify",
            Some(SERVICE_KEY),
            Some(json!({"code": issued[10].1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    issued.extend(carol.iter().map(|c| ("carol", c.clone())));
    let bytes = dump(&app).await;
    assert!(contains(&bytes, b"carol"));
    for (_, code) in &issued {
        for enc in code_encodings(code) {
            assert!(
                !contains(&bytes, &enc),
                "a backup code leaked in an encoding of {} bytes",
                enc.len()
            );
        }
    }
    // What is stored is the documented tag (here for alice's and the live carol codes).
    let key = &app.state.config.encryption_keys[0];
    for (user, code) in issued.iter().take(10).chain(issued.iter().skip(30)) {
        assert!(
            contains(&bytes, &documented_tag(key, user, code)),
            "the tag of a code of {user} is stored"
        );
    }
}

#[tokio::test]
async fn dump_holds_no_backup_code_sqlite() {
    no_backup_code_in_dump(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn dump_holds_no_backup_code_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    no_backup_code_in_dump(TestApp::with(Db::Postgres(url), |_| {}).await).await;
}

async fn moved_ciphertext_fails(app: TestApp) {
    let (a, sa) = app.pair_active("alice").await;
    let (b, _) = app.pair_active("bob").await;
    let (a2, _) = app.pair_active("alice").await;
    // Copy alice's sealed secret over bob's device and over alice's second device.
    let copy = "UPDATE devices SET key_id = (SELECT key_id FROM devices WHERE id = $1), \
                nonce = (SELECT nonce FROM devices WHERE id = $1), \
                ciphertext = (SELECT ciphertext FROM devices WHERE id = $1) WHERE id = $2";
    for target in [&b, &a2] {
        let n = match &app.state.store {
            Store::Sqlite(db) => sqlx::query(copy)
                .bind(&a)
                .bind(target)
                .execute(&db.writer)
                .await
                .unwrap()
                .rows_affected(),
            Store::Postgres(p) => sqlx::query(copy)
                .bind(&a)
                .bind(target)
                .execute(p)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(n, 1);
    }
    // The moved ciphertexts do not decrypt under their new rows.
    for (user, id) in [("bob", &b), ("alice", &a2)] {
        let row = app.state.store.device(user, id).await.unwrap().unwrap();
        assert!(app.state.keys.open(user, id, &row.sealed()).is_err());
    }
    // And alice's code is not accepted through bob's row: the server refuses to use it.
    app.clock.advance(30);
    let r = app.verify("bob", &totp_sha1(&sa, app.now())).await;
    r.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert_eq!(app.state.store.user_state("bob").await.unwrap().failures, 0);
    // The original row still works.
    let r = app.verify("alice", &totp_sha1(&sa, app.now())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn moved_ciphertext_fails_sqlite() {
    moved_ciphertext_fails(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn moved_ciphertext_fails_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    moved_ciphertext_fails(TestApp::with(Db::Postgres(url), |_| {}).await).await;
}

#[tokio::test]
async fn user_token_cannot_touch_another_user() {
    let app = TestApp::sqlite().await;
    let (bid, bs) = app.pair_active("bob").await;
    let (pid, _) = app.pair("bob").await;
    let alice = user_token("alice", app.now() + 300);
    app.clock.advance(30);
    let code = totp_sha1(&bs, app.now());
    let attempts = [
        (
            Method::POST,
            "/v1/users/bob/devices".to_string(),
            Some(json!({"name": "evil"})),
        ),
        (Method::GET, "/v1/users/bob/devices".to_string(), None),
        (Method::DELETE, format!("/v1/users/bob/devices/{bid}"), None),
        (
            Method::POST,
            format!("/v1/users/bob/devices/{pid}/confirm"),
            Some(json!({"code": code})),
        ),
        (
            Method::POST,
            "/v1/users/bob/verify".to_string(),
            Some(json!({"code": code})),
        ),
        (Method::GET, "/v1/users/bob/mfa".to_string(), None),
    ];
    for (m, path, body) in attempts {
        let r = app.call(m.clone(), &path, Some(&alice), body).await;
        r.assert_error(StatusCode::FORBIDDEN, "forbidden");
        assert!(!r.text.contains(&bid), "{m} {path}");
    }
    // Nothing changed for bob: two devices, the code still unused, no failure counted.
    let r = app
        .call(
            Method::GET,
            "/v1/users/bob/devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json["devices"].as_array().unwrap().len(), 2);
    assert_eq!(app.state.store.user_state("bob").await.unwrap().failures, 0);
    assert_eq!(app.verify("bob", &code).await.status, StatusCode::OK);
}

async fn restart_keeps_state(mut app: TestApp) {
    let (id, secret) = app.pair_active("alice").await;
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    assert_eq!(app.verify("alice", &code).await.status, StatusCode::OK);
    app.restart().await;
    // Device still there and active; the used step is remembered.
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json["devices"][0]["id"], id.as_str());
    assert_eq!(r.json["devices"][0]["status"], "active");
    app.verify("alice", &code)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Lock, restart, still locked with the same deadline.
    for _ in 0..4 {
        app.verify("alice", "000000").await;
    }
    let before = app.verify("alice", "000000").await;
    before.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    app.restart().await;
    app.clock.advance(30);
    let after = app.verify("alice", &totp_sha1(&secret, app.now())).await;
    after.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(after.headers.get("retry-after").unwrap(), "30");
    app.clock.advance(30);
    assert_eq!(
        app.verify("alice", &totp_sha1(&secret, app.now()))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn restart_keeps_devices_steps_and_locks_sqlite() {
    restart_keeps_state(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn restart_keeps_devices_steps_and_locks_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    restart_keeps_state(TestApp::with(Db::Postgres(url), |_| {}).await).await;
}

#[tokio::test]
async fn rotate_keys_reencrypts_everything() {
    let mut app = TestApp::sqlite().await;
    let old_key = app.state.config.encryption_keys[0].clone();
    let old_id = old_key.split(':').next().unwrap().to_string();
    let (_, sa) = app.pair_active("alice").await;
    let (_, sb) = app.pair("bob").await;
    // A second key becomes active; rotate.
    let new_key = twostep_server::crypto::KeyRing::generate_entry()
        .unwrap()
        .to_string();
    let new_id = new_key.split(':').next().unwrap().to_string();
    let mut config = (*app.state.config).clone();
    config.encryption_keys = vec![old_key, new_key.clone()];
    config.active_key = Some(new_id.clone());
    twostep_server::cli::rotate_keys(&config).await.unwrap();
    assert!(
        app.state
            .store
            .devices_not_under(&new_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.state
            .store
            .devices_not_under(&old_id)
            .await
            .unwrap()
            .len(),
        2
    );
    // The old key can go: a ring with only the new key serves both devices.
    let mut config = (*app.state.config).clone();
    config.encryption_keys = vec![new_key];
    config.active_key = None;
    app.state.store.close().await;
    app.state = build_state(config, app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    app.clock.advance(30);
    assert_eq!(
        app.verify("alice", &totp_sha1(&sa, app.now())).await.status,
        StatusCode::OK
    );
    let (bid, _) = {
        let r = app
            .call(
                Method::GET,
                "/v1/users/bob/devices",
                Some(SERVICE_KEY),
                None,
            )
            .await;
        (r.json["devices"][0]["id"].as_str().unwrap().to_string(), ())
    };
    let r = app
        .call(
            Method::POST,
            &format!("/v1/users/bob/devices/{bid}/confirm"),
            Some(SERVICE_KEY),
            Some(json!({"code": totp_sha1(&sb, app.now())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[test]
fn server_refuses_to_start_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_twostep-server"))
        .arg("serve")
        .env_clear()
        .env(
            "TWOSTEP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("x.db").display()),
        )
        .env("TWOSTEP_SERVICE_KEYS", SERVICE_KEY)
        .env("TWOSTEP_LISTEN", "127.0.0.1:0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no encryption key configured"), "{err}");
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing created before the key check"
    );
}

#[test]
fn gen_key_prints_a_usable_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_twostep-server"))
        .arg("gen-key")
        .output()
        .unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let entry = line.trim().to_string();
    let ring = twostep_server::crypto::KeyRing::from_entries(&[entry], None).unwrap();
    let sealed = ring.seal("u", "d", b"x").unwrap();
    assert_eq!(&ring.open("u", "d", &sealed).unwrap()[..], b"x");
}
