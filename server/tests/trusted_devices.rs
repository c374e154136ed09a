//! Trusted devices ("remember this device") and turning MFA off (API.md "Trusted devices",
//! "MFA status and disable"), in process on SQLite and PostgreSQL: issue with a challenge,
//! check, list, revoke one and all, expiry, binding to the user, rotation; disable removes
//! everything in one go (rows counted) and demands a code from a user token; a database dump
//! holds no trusted-device token or backup code in any encoding.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use common::*;
use serde_json::{Value, json};
use twostep_server::store::Store;

async fn create(app: &TestApp, user: &str) -> String {
    app.create_challenge(json!({"user_id": user})).await
}

/// Passes a challenge for `user` with a backup code, remembering the device; the
/// `trusted_device` object of the answer.
async fn remember(app: &TestApp, user: &str, code: &str, label: Option<&str>) -> Value {
    let id = create(app, user).await;
    let mut body = json!({"backup_code": code, "remember_device": true});
    if let Some(label) = label {
        body["device_label"] = json!(label);
    }
    let r = app
        .call(
            Method::POST,
            &format!("/v1/challenges/{id}/verify"),
            Some(SERVICE_KEY),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    r.json["trusted_device"].clone()
}

async fn check(app: &TestApp, user: &str, token: &str) -> Value {
    let r = app
        .call(
            Method::POST,
            "/v1/trusted-devices/check",
            Some(SERVICE_KEY),
            Some(json!({"user_id": user, "token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

async fn list(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/users/{user}/trusted-devices"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["trusted_devices"].as_array().unwrap().clone()
}

async fn remember_check_revoke(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let (_, bobs) = app.enable("bob").await;
    let t = remember(&app, "alice", &codes[0], Some("Firefox on the laptop")).await;
    assert_eq!(t.as_object().unwrap().len(), 3, "{t}");
    let token = t["token"].as_str().unwrap().to_string();
    assert_eq!(B64URL.decode(&token).unwrap().len(), 32, "256 random bits");
    assert_eq!(t["expires_at"], "2026-12-24T12:00:00Z", "30 days");
    let id = t["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    // Without remember_device (or with false) there is no token.
    let c = create(&app, "alice").await;
    let r = app
        .call(
            Method::POST,
            &format!("/v1/challenges/{c}/verify"),
            Some(SERVICE_KEY),
            Some(json!({"backup_code": codes[1], "remember_device": false, "device_label": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json.get("trusted_device").is_none(), "{}", r.text);

    // Listed without the token; never used yet.
    let listed = list(&app, "alice").await;
    assert_eq!(
        listed,
        [
            json!({"id": id, "label": "Firefox on the laptop", "created_at": "2026-11-24T12:00:00Z",
                "expires_at": "2026-12-24T12:00:00Z"})
        ]
    );
    // Trusted for alice; the check marks it used.
    app.clock.advance(3600);
    assert_eq!(
        check(&app, "alice", &token).await,
        json!({"trusted": true, "expires_at": "2026-12-24T12:00:00Z"})
    );
    assert_eq!(
        list(&app, "alice").await[0]["last_used_at"],
        "2026-11-24T13:00:00Z"
    );
    // Never for another user, nor garbage, nor a near miss.
    let mut near = B64URL.decode(&token).unwrap();
    near[0] ^= 1;
    for (user, presented) in [
        ("bob", token.clone()),
        ("alice", B64URL.encode(&near)),
        ("alice", token.to_uppercase()),
        ("alice", format!("{token}A")),
        ("alice", token[..42].to_string()),
        ("alice", String::new()),
        ("alice", "garbage".into()),
        ("alice", "\u{0}\u{1f600}".into()),
        ("alice", "x".repeat(5000)),
    ] {
        assert_eq!(
            check(&app, user, &presented).await,
            json!({"trusted": false}),
            "{user}"
        );
    }
    assert!(list(&app, "bob").await.is_empty());
    // The default label; a second device; revoke one.
    let second = remember(&app, "alice", &codes[2], None).await;
    let listed = list(&app, "alice").await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["label"], "Trusted device", "newest first");
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/trusted-devices/{id}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        check(&app, "alice", &token).await,
        json!({"trusted": false})
    );
    let second_token = second["token"].as_str().unwrap();
    assert_eq!(check(&app, "alice", second_token).await["trusted"], true);
    // Revoking it again, an unknown or malformed id, or another user's device: 404.
    let bobs_device = remember(&app, "bob", &bobs[0], None).await;
    for (user, bad) in [
        ("alice", id.clone()),
        ("alice", "00000000-0000-4000-8000-000000000000".into()),
        ("alice", "nope".into()),
        ("alice", bobs_device["id"].as_str().unwrap().to_string()),
    ] {
        app.call(
            Method::DELETE,
            &format!("/v1/users/{user}/trusted-devices/{bad}"),
            Some(SERVICE_KEY),
            None,
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Revoke all: 204 (also when there is nothing left); bob's stays.
    let third = remember(&app, "alice", &codes[3], None).await;
    for _ in 0..2 {
        let r = app
            .call(
                Method::DELETE,
                "/v1/users/alice/trusted-devices",
                Some(SERVICE_KEY),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    assert!(list(&app, "alice").await.is_empty());
    for t in [second_token, third["token"].as_str().unwrap()] {
        assert_eq!(check(&app, "alice", t).await, json!({"trusted": false}));
    }
    assert_eq!(
        check(&app, "bob", bobs_device["token"].as_str().unwrap()).await["trusted"],
        true
    );
}

async fn expiry_and_lifetime(db: Db) {
    let app = TestApp::with(db, |c| c.trusted_device_lifetime_secs = 3600).await;
    let (_, codes) = app.enable("alice").await;
    let t = remember(&app, "alice", &codes[0], None).await;
    assert_eq!(t["expires_at"], "2026-11-24T13:00:00Z");
    let token = t["token"].as_str().unwrap();
    app.clock.advance(3599);
    assert_eq!(check(&app, "alice", token).await["trusted"], true);
    app.clock.advance(1);
    assert_eq!(check(&app, "alice", token).await, json!({"trusted": false}));
    assert!(list(&app, "alice").await.is_empty());
    // The next remembered device purges the expired row.
    remember(&app, "alice", &codes[1], None).await;
    let rows: i64 = count(&app.state.store, "trusted_devices").await;
    assert_eq!(rows, 1);
}

async fn errors(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let t = remember(&app, "alice", &codes[0], None).await;
    let token = t["token"].as_str().unwrap();
    let bob = user_token("bob", app.now() + 60);
    let alice = user_token("alice", app.now() + 60);
    let body = json!({"user_id": "alice", "token": token});
    // Check: credentials, another user's token, bad bodies.
    app.call(
        Method::POST,
        "/v1/trusted-devices/check",
        None,
        Some(body.clone()),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(
        Method::POST,
        "/v1/trusted-devices/check",
        Some(&bob),
        Some(body.clone()),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .call(
            Method::POST,
            "/v1/trusted-devices/check",
            Some(&alice),
            Some(body),
        )
        .await;
    assert_eq!(r.json["trusted"], true, "{}", r.text);
    for bad in [
        json!({"user_id": "alice"}),
        json!({"token": token}),
        json!({"user_id": "", "token": token}),
        json!({"user_id": "alice", "token": 5}),
        json!({"user_id": "alice", "token": token, "extra": 1}),
    ] {
        app.call(
            Method::POST,
            "/v1/trusted-devices/check",
            Some(SERVICE_KEY),
            Some(bad),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // List and revoke: credentials and user ids.
    let id = t["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, "/v1/users/alice/trusted-devices".to_string()),
        (
            Method::DELETE,
            "/v1/users/alice/trusted-devices".to_string(),
        ),
        (
            Method::DELETE,
            format!("/v1/users/alice/trusted-devices/{id}"),
        ),
    ] {
        app.call(method.clone(), &path, None, None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        app.call(method.clone(), &path, Some(&bob), None)
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
        let long = path.replace("alice", &"a".repeat(129));
        app.call(method.clone(), &long, Some(SERVICE_KEY), None)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    assert_eq!(list(&app, "alice").await.len(), 1, "nothing was revoked");
    // The user's own token lists and revokes.
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/trusted-devices",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.json["trusted_devices"].as_array().unwrap().len(), 1);
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/trusted-devices/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

/// At most 20 live trusted devices per user: the 21st revokes the oldest.
async fn at_most_twenty(db: Db) {
    let app = TestApp::with(db, |c| c.backup_codes_count = 30).await;
    let (_, codes) = app.enable("alice").await;
    let mut tokens = Vec::new();
    for code in &codes[..22] {
        app.clock.advance(1);
        tokens.push(
            remember(&app, "alice", code, None).await["token"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(list(&app, "alice").await.len(), 20);
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/events?limit=200",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    let evicted: Vec<&Value> = r.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "trusted_device_revoked")
        .collect();
    assert_eq!(evicted.len(), 2, "{}", r.text);
    assert!(evicted.iter().all(|e| e["detail"]["reason"] == "limit"));
    for (i, token) in tokens.iter().enumerate() {
        assert_eq!(
            check(&app, "alice", token).await["trusted"],
            i >= 2,
            "token {i}"
        );
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    count_where(store, table, "1 = 1").await
}

async fn count_where(store: &Store, table: &str, condition: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition}");
    match store {
        Store::Sqlite(db) => sqlx::query_scalar(&sql).fetch_one(&db.reader).await,
        Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// Rows of `user` in every per-user table.
async fn rows_of(store: &Store, user: &str) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, table) in ["devices", "backup_codes", "trusted_devices", "challenges"]
        .iter()
        .enumerate()
    {
        out[i] = count_where(store, table, &format!("user_id = '{user}'")).await;
    }
    out
}

async fn disable_removes_everything(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 100).await;
    let mut users = Vec::new();
    for user in ["alice", "bob"] {
        let (secret, codes) = app.enable(user).await;
        app.clock.advance(30);
        let (_, _) = app.pair_active(user).await;
        app.pair(user).await;
        remember(&app, user, &codes[0], None).await;
        remember(&app, user, &codes[1], None).await;
        let pending = create(&app, user).await;
        users.push((secret, codes, pending));
    }
    // Two devices and a pending one, 8 unused + 2 used codes, 2 trusted devices, 2 verified
    // challenges and a pending one.
    assert_eq!(rows_of(&app.state.store, "alice").await, [3, 10, 2, 3]);
    let (secret, codes, pending) = &users[0];
    let path = "/v1/users/alice/mfa/disable";
    let alice = user_token("alice", app.now() + 600);
    let bob = user_token("bob", app.now() + 600);
    // A user token must give a valid code: none → 400, wrong → 422 (counted).
    for body in [None, Some(json!({}))] {
        app.call(Method::POST, path, Some(&alice), body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    for wrong in ["000000", "nope", codes[0].as_str()] {
        let wrong = if wrong == "000000" {
            wrong_totp(secret, app.now())
        } else {
            wrong.to_string()
        };
        app.call(
            Method::POST,
            path,
            Some(&alice),
            Some(json!({"code": wrong})),
        )
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        3
    );
    // Another user's token: 403; bad bodies: 400; no credentials: 401.
    app.call(Method::POST, path, Some(&bob), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(Method::POST, path, None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    for bad in [json!({"code": 123456}), json!({"code": "1", "extra": true})] {
        app.call(Method::POST, path, Some(SERVICE_KEY), Some(bad))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    app.raw(
        Method::POST,
        path,
        Some(SERVICE_KEY),
        Some("x"),
        Some("text/plain"),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // None of that removed anything.
    assert_eq!(rows_of(&app.state.store, "alice").await, [3, 10, 2, 3]);
    // With a current TOTP code: 204, everything of alice's gone in one go, bob untouched.
    let r = app
        .call(
            Method::POST,
            path,
            Some(&alice),
            Some(json!({"code": totp_sha1(secret, app.now())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(rows_of(&app.state.store, "alice").await, [0, 0, 0, 2]);
    assert_eq!(rows_of(&app.state.store, "bob").await, [3, 10, 2, 3]);
    // After: status off, verify 409, challenges 409 / 404, disable again 409.
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert_eq!(
        r.json,
        json!({"enabled": false, "active_devices": 0, "backup_codes_remaining": 0})
    );
    app.verify("alice", &totp_sha1(secret, app.now() + 30))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.call(
        Method::POST,
        "/v1/challenges",
        Some(SERVICE_KEY),
        Some(json!({"user_id": "alice"})),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    app.call(
        Method::GET,
        &format!("/v1/challenges/{pending}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(
        Method::POST,
        "/v1/users/alice/backup-codes/verify",
        Some(SERVICE_KEY),
        Some(json!({"code": codes[5]})),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    app.call(Method::POST, path, Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.call(
        Method::POST,
        path,
        Some(&alice),
        Some(json!({"code": codes[6]})),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    // A service key may omit the code (no body at all, or an empty object).
    let r = app
        .call(
            Method::POST,
            "/v1/users/bob/mfa/disable",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(rows_of(&app.state.store, "bob").await, [0, 0, 0, 2]);
    // Enabling again starts clean: new codes, the old trusted tokens stay dead.
    let (_, fresh) = app.enable("bob").await;
    assert_eq!(fresh.len(), 10);
    assert!(list(&app, "bob").await.is_empty());
    let r = app
        .call(
            Method::POST,
            "/v1/users/bob/mfa/disable",
            Some(SERVICE_KEY),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

/// A user token may disable with a backup code, which is then spent with everything else.
async fn disable_with_backup_code(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let token = remember(&app, "alice", &codes[0], None).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let alice = user_token("alice", app.now() + 600);
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/mfa/disable",
            Some(&alice),
            Some(json!({"code": codes[1].to_uppercase()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        check(&app, "alice", &token).await,
        json!({"trusted": false})
    );
    assert_eq!(rows_of(&app.state.store, "alice").await, [0, 0, 0, 1]);
}

fn wrong_totp(secret: &str, t: u64) -> String {
    let near: Vec<String> = (0..5).map(|i| totp_sha1(secret, t + i * 30 - 60)).collect();
    (0..)
        .map(|n| format!("{:06}", 271_828 + n))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// Tokens survive a key rotation while their key stays in the ring.
async fn rotation_keeps_tokens(db: Db) {
    let mut app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let token = remember(&app, "alice", &codes[0], None).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let new_key = twostep_server::crypto::KeyRing::generate_entry()
        .unwrap()
        .to_string();
    let mut config = (*app.state.config).clone();
    config.encryption_keys.push(new_key.clone());
    config.active_key = Some(new_key.split(':').next().unwrap().to_string());
    app.state.store.close().await;
    app.state = build_state(config.clone(), app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    assert_eq!(check(&app, "alice", &token).await["trusted"], true);
    let newer = remember(&app, "alice", &codes[1], None).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Only the new key left: the old token is no longer trusted, the new one is.
    config.encryption_keys = vec![new_key];
    app.state.store.close().await;
    app.state = build_state(config, app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    assert_eq!(
        check(&app, "alice", &token).await,
        json!({"trusted": false})
    );
    assert_eq!(check(&app, "alice", &newer).await["trusted"], true);
}

/// A token in every encoding that could leak: as shown, its raw bytes, hex, standard
/// base64, and its halves.
fn token_encodings(token: &str) -> Vec<Vec<u8>> {
    let raw = B64URL.decode(token).unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let std = base64::engine::general_purpose::STANDARD;
    vec![
        token.as_bytes().to_vec(),
        token.as_bytes()[..21].to_vec(),
        token.as_bytes()[21..].to_vec(),
        raw[..16].to_vec(),
        raw[16..].to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        std.encode(&raw).into_bytes(),
        std.encode(token).into_bytes(),
        B64URL.encode(token).into_bytes(),
    ]
}

/// The documented tag, computed here with the hmac crate: HMAC-SHA-256 under
/// HMAC-SHA-256(ring key, "twostep/trusted-device-mac-key/v1") over
/// "twostep/trusted-device/v1", the user id length-prefixed, and the token.
fn documented_tag(key_entry: &str, user: &str, token: &str) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_entry.split_once(':').unwrap().1)
        .unwrap();
    let mut k = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&raw).unwrap();
    k.update(b"twostep/trusted-device-mac-key/v1");
    let mac_key = k.finalize().into_bytes();
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&mac_key).unwrap();
    m.update(b"twostep/trusted-device/v1");
    m.update(&(user.len() as u32).to_be_bytes());
    m.update(user.as_bytes());
    m.update(token.as_bytes());
    m.finalize().into_bytes().to_vec()
}

async fn no_token_in_dump(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let mut tokens = Vec::new();
    let mut backup = Vec::new();
    for user in ["alice", "bob", "carol"] {
        let (_, codes) = app.enable(user).await;
        for code in &codes[..3] {
            let t = remember(&app, user, code, Some("laptop")).await;
            tokens.push((user, t["token"].as_str().unwrap().to_string()));
        }
        backup.extend(codes);
    }
    // One revoked, one checked.
    let first = list(&app, "alice").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        Method::DELETE,
        &format!("/v1/users/alice/trusted-devices/{first}"),
        Some(SERVICE_KEY),
        None,
    )
    .await;
    assert_eq!(check(&app, "bob", &tokens[4].1).await["trusted"], true);
    let bytes = dump(&app).await;
    assert!(contains(&bytes, b"carol"), "the dump has the data");
    assert!(
        contains(&bytes, b"trusted_device_created"),
        "the dump has the audit log"
    );
    assert!(contains(&bytes, b"laptop"));
    for (_, token) in &tokens {
        for enc in token_encodings(token) {
            assert!(
                !contains(&bytes, &enc),
                "a trusted-device token leaked in an encoding of {} bytes",
                enc.len()
            );
        }
    }
    for code in &backup {
        for enc in code_encodings(code) {
            assert!(!contains(&bytes, &enc), "a backup code leaked");
        }
    }
    // What is stored is the documented keyed tag (for live tokens).
    let key = &app.state.config.encryption_keys[0];
    for (user, token) in &tokens[3..] {
        assert!(
            contains(&bytes, &documented_tag(key, user, token)),
            "the tag of a token of {user} is stored"
        );
    }
}

on_both!(
    remember_check_revoke,
    expiry_and_lifetime,
    errors,
    disable_removes_everything,
    disable_with_backup_code,
    rotation_keeps_tokens,
    no_token_in_dump,
    at_most_twenty,
);
