//! Login challenges and their assertions (API.md "Login challenges", `/v1/jwks.json`), in
//! process on SQLite and PostgreSQL: every endpoint and error code, the attempt limit, the
//! lockout, expiry, single use under 20 simultaneous verifications, backup codes spent by a
//! challenge, and the assertion checked with an independent JWT library (jsonwebtoken)
//! against the JWKS — including that its key is the documented HKDF derivation.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use std::collections::HashSet;

/// A challenge for `user` with a client ip and user agent in the body.
async fn create(app: &TestApp, user: &str) -> String {
    app.create_challenge(json!({"user_id": user, "ip": "203.0.113.9", "user_agent": "Firefox/140"}))
        .await
}

async fn verify(app: &TestApp, id: &str, body: Value) -> Reply {
    app.call(
        Method::POST,
        &format!("/v1/challenges/{id}/verify"),
        Some(SERVICE_KEY),
        Some(body),
    )
    .await
}

async fn status(app: &TestApp, id: &str) -> Value {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/challenges/{id}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

/// A 6-digit code that matches no step within the window of now.
fn wrong_code(app: &TestApp, secret: &str) -> String {
    let near: Vec<String> = (0..5)
        .map(|i| totp_sha1(secret, app.now() + i * 30 - 60))
        .collect();
    (0..)
        .map(|n| format!("{:06}", 314_159 + n))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// The key of `kid` from `GET /v1/jwks.json` (fetched without credentials).
async fn jwk(app: &TestApp, kid: &str) -> DecodingKey {
    let r = app.call(Method::GET, "/v1/jwks.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let key = r.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} not in {}", r.text));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).unwrap();
    DecodingKey::from_jwk(&jwk).unwrap()
}

/// Checks an assertion with jsonwebtoken against the JWKS; its claims. `exp` is checked
/// against the test clock (the test runs on a manual clock).
async fn check_assertion(app: &TestApp, jwt: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.unwrap();
    assert_eq!(kid, active_kid(app));
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.set_issuer(&[app.state.config.issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &jwk(app, &kid).await, &validation)
        .unwrap()
        .claims;
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp > app.now());
    assert_eq!(
        exp - claims["iat"].as_u64().unwrap(),
        app.state.config.assertion_lifetime_secs
    );
    claims
}

fn active_kid(app: &TestApp) -> String {
    let entry = &app.state.config.encryption_keys;
    match &app.state.config.active_key {
        Some(k) => k.clone(),
        None => entry[0].split(':').next().unwrap().to_string(),
    }
}

async fn create_shape_and_errors(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    // Without MFA (no device, or only a pending one): 409.
    let no_mfa = json!({"user_id": "alice"});
    app.call(
        Method::POST,
        "/v1/challenges",
        Some(SERVICE_KEY),
        Some(no_mfa.clone()),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    app.pair("alice").await;
    app.call(
        Method::POST,
        "/v1/challenges",
        Some(SERVICE_KEY),
        Some(no_mfa.clone()),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    app.enable("alice").await;
    let r = app
        .call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(no_mfa),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json.as_object().unwrap().len(), 3, "{}", r.text);
    assert_eq!(r.json["expires_at"], "2026-11-24T12:05:00Z");
    assert_eq!(r.json["methods"], json!(["totp", "backup_code"]));
    let id = r.json["challenge_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(
        status(&app, &id).await,
        json!({"challenge_id": id, "user_id": "alice", "status": "pending",
               "expires_at": "2026-11-24T12:05:00Z"})
    );
    // Ids are 128 random bits: distinct, and even the UUID version digit varies.
    let mut ids = HashSet::new();
    for _ in 0..40 {
        ids.insert(create(&app, "alice").await);
    }
    assert_eq!(ids.len(), 40);
    let versions: HashSet<char> = ids.iter().map(|i| i.chars().nth(14).unwrap()).collect();
    assert!(versions.len() > 1, "the version digit is random too");

    // Bad bodies: 400, and nothing created.
    for body in [
        json!({}),
        json!({"user_id": ""}),
        json!({"user_id": "a".repeat(129)}),
        json!({"user_id": "al\u{7}ice"}),
        json!({"user_id": 7}),
        json!({"user_id": "alice", "extra": 1}),
        json!({"user_id": "alice", "ip": "203.0.113"}),
        json!({"user_id": "alice", "ip": "localhost"}),
        json!({"user_id": "alice", "user_agent": ""}),
        json!({"user_id": "alice", "user_agent": "x".repeat(513)}),
        json!({"user_id": "alice", "user_agent": "evil\r\nX-Injected: 1"}),
    ] {
        app.call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(body.clone()),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    let r = app
        .call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(json!({"user_id": "alice", "ip": "2001:db8::1", "user_agent": "x".repeat(512)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Credentials: none or bad → 401; another user's token → 403; the user's own → 201.
    let body = Some(json!({"user_id": "alice"}));
    app.call(Method::POST, "/v1/challenges", None, body.clone())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(
        Method::POST,
        "/v1/challenges",
        Some("wrong-service-key-0123456789"),
        body.clone(),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let bob = user_token("bob", app.now() + 60);
    let alice = user_token("alice", app.now() + 60);
    app.call(Method::POST, "/v1/challenges", Some(&bob), body.clone())
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .call(Method::POST, "/v1/challenges", Some(&alice), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // GET: unknown or malformed id → 404; another user's token → 403; no token → 401.
    for bad in [
        "00000000-0000-4000-8000-000000000000".to_string(),
        "not-a-challenge".into(),
        "x".repeat(300),
        id.replace('-', "").to_uppercase() + "0",
    ] {
        app.call(
            Method::GET,
            &format!("/v1/challenges/{bad}"),
            Some(SERVICE_KEY),
            None,
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let path = format!("/v1/challenges/{id}");
    app.call(Method::GET, &path, Some(&bob), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(Method::GET, &path, None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = app.call(Method::GET, &path, Some(&alice), None).await;
    assert_eq!(r.json["status"], "pending", "{}", r.text);
    // The id is accepted in any UUID spelling.
    let upper = format!("/v1/challenges/{}", id.to_uppercase());
    assert_eq!(
        app.call(Method::GET, &upper, Some(SERVICE_KEY), None)
            .await
            .status,
        StatusCode::OK
    );
    // Other methods: 405.
    app.call(Method::GET, "/v1/challenges", Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // The lifetime is configurable; without backup codes left only totp is offered.
    let short = TestApp::with(Db::Sqlite, |c| {
        c.challenge_lifetime_secs = 60;
        c.backup_codes_count = 1;
    })
    .await;
    let (_, codes) = short.enable("carol").await;
    let r = short
        .call(
            Method::POST,
            "/v1/users/carol/backup-codes/verify",
            Some(SERVICE_KEY),
            Some(json!({"code": codes[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = short
        .call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(json!({"user_id": "carol"})),
        )
        .await;
    assert_eq!(r.json["expires_at"], "2026-11-24T12:01:00Z", "{}", r.text);
    assert_eq!(r.json["methods"], json!(["totp"]));
}

async fn verify_with_totp(db: Db) {
    let app = TestApp::with(db, |c| c.issuer = "Acme".into()).await;
    let (secret, _) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    let r = verify(&app, &id, json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let keys: HashSet<&str> = r
        .json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["status", "user_id", "verified_at", "assertion"])
    );
    assert_eq!(r.json["status"], "verified");
    assert_eq!(r.json["user_id"], "alice");
    assert_eq!(r.json["verified_at"], "2026-11-24T12:00:30Z");
    let claims = check_assertion(&app, r.json["assertion"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], "Acme");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["amr"], json!(["otp"]));
    assert_eq!(claims["auth_time"], app.now());
    assert_eq!(claims["iat"], app.now());
    assert_eq!(claims["exp"], app.now() + 600);
    assert_eq!(claims["challenge_id"], id);
    assert_eq!(
        B64URL
            .decode(claims["jti"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
    assert_eq!(claims.as_object().unwrap().len(), 8, "{claims}");
    // Single use: 409 again, also with another valid code; GET says verified.
    verify(&app, &id, json!({"code": code}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    verify(
        &app,
        &id,
        json!({"code": totp_sha1(&secret, app.now() + 30)}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    assert_eq!(
        status(&app, &id).await,
        json!({"challenge_id": id, "user_id": "alice", "status": "verified",
               "expires_at": "2026-11-24T12:05:00Z", "verified_at": "2026-11-24T12:00:30Z"})
    );
    // The code's step was consumed on the device like POST verify: refused there and in a
    // new challenge.
    app.verify("alice", &code)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let again = create(&app, "alice").await;
    verify(&app, &again, json!({"code": code}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // And a code used by POST verify cannot verify a challenge.
    let next = totp_sha1(&secret, app.now() + 30);
    assert_eq!(app.verify("alice", &next).await.status, StatusCode::OK);
    verify(&app, &again, json!({"code": next}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // A user token verifies its own user's challenge, not another's.
    app.clock.advance(90);
    let bob = user_token("bob", app.now() + 60);
    let alice = user_token("alice", app.now() + 60);
    let body = json!({"code": totp_sha1(&secret, app.now())});
    let path = format!("/v1/challenges/{again}/verify");
    app.call(Method::POST, &path, Some(&bob), Some(body.clone()))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .call(Method::POST, &path, Some(&alice), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    check_assertion(&app, r.json["assertion"].as_str().unwrap()).await;
}

async fn verify_with_backup_code(db: Db) {
    let app = TestApp::with(db, |c| c.assertion_lifetime_secs = 60).await;
    let (_, codes) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let r = verify(&app, &id, json!({"backup_code": codes[3].to_uppercase()})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let claims = check_assertion(&app, r.json["assertion"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], json!(["backup_code"]));
    assert_eq!(claims["iss"], "twostep");
    assert_eq!(claims["exp"], app.now() + 60);
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/backup-codes",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json["remaining"], 9);
    // That code is refused next time, in a challenge and by backup-code verify.
    let next = create(&app, "alice").await;
    verify(&app, &next, json!({"backup_code": codes[3]}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    app.call(
        Method::POST,
        "/v1/users/alice/backup-codes/verify",
        Some(SERVICE_KEY),
        Some(json!({"code": codes[3]})),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Malformed backup codes are wrong codes (422, counted), not 400.
    verify(&app, &next, json!({"backup_code": "nope"}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    assert_eq!(
        app.state
            .store
            .challenge(&next)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2
    );
    // Another user's code is not this user's.
    let (_, bobs) = app.enable("bob").await;
    verify(&app, &next, json!({"backup_code": bobs[0]}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let r = verify(&app, &next, json!({"backup_code": codes[4]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn verify_request_errors(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (secret, codes) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let code = totp_sha1(&secret, app.now() + 30);
    for body in [
        json!({}),
        json!({"code": code, "backup_code": codes[0]}),
        json!({"remember_device": true}),
        json!({"code": code, "extra": 1}),
        json!({"code": 123456}),
        json!({"code": "12345"}),
        json!({"code": "12a456"}),
        json!({"code": code, "remember_device": "yes"}),
        json!({"code": code, "remember_device": true, "device_label": ""}),
        json!({"code": code, "remember_device": true, "device_label": "x".repeat(65)}),
        json!({"code": code, "remember_device": true, "device_label": "tab\there"}),
    ] {
        verify(&app, &id, body.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    app.raw(
        Method::POST,
        &format!("/v1/challenges/{id}/verify"),
        Some(SERVICE_KEY),
        Some("{\"code\": \"1"),
        Some("application/json"),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    app.call(
        Method::POST,
        &format!("/v1/challenges/{id}/verify"),
        None,
        Some(json!({"code": code})),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    for bad in ["00000000-0000-4000-8000-000000000000", "nope"] {
        verify(&app, bad, json!({"code": code}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // None of that was an attempt, used the code, or counted toward the lockout.
    let row = app.state.store.challenge(&id).await.unwrap().unwrap();
    assert_eq!((row.attempts, row.status.as_str()), (0, "pending"));
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
    app.clock.advance(30);
    assert_eq!(
        verify(&app, &id, json!({"code": code})).await.status,
        StatusCode::OK
    );
}

async fn five_attempts_then_failed(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 100).await;
    let (secret, codes) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let wrong = wrong_code(&app, &secret);
    for i in 0..5 {
        let body = if i % 2 == 0 {
            json!({"code": wrong})
        } else {
            json!({"backup_code": codes[0].chars().rev().collect::<String>()})
        };
        verify(&app, &id, body)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
        let expected = if i < 4 { "pending" } else { "failed" };
        assert_eq!(
            status(&app, &id).await["status"],
            expected,
            "after {}",
            i + 1
        );
    }
    // Spent: even a valid code gets 409 and is not consumed.
    let good = totp_sha1(&secret, app.now() + 30);
    app.clock.advance(30);
    verify(&app, &id, json!({"code": good}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    verify(&app, &id, json!({"backup_code": codes[1]}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let row = app.state.store.challenge(&id).await.unwrap().unwrap();
    assert_eq!(row.attempts, 5);
    // The five failures counted toward the user's lockout too.
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        5
    );
    assert_eq!(app.verify("alice", &good).await.status, StatusCode::OK);
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/backup-codes/verify",
            Some(SERVICE_KEY),
            Some(json!({"code": codes[1]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A new challenge has five attempts of its own.
    let fresh = create(&app, "alice").await;
    verify(&app, &fresh, json!({"code": wrong}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    assert_eq!(status(&app, &fresh).await["status"], "pending");
}

async fn lockout_applies(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 3).await;
    let (secret, _) = app.enable("alice").await;
    let wrong = wrong_code(&app, &secret);
    // Failures elsewhere count: two on POST verify, the third in the challenge locks.
    for _ in 0..2 {
        app.verify("alice", &wrong)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let id = create(&app, "alice").await;
    verify(&app, &id, json!({"code": wrong}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let log = events(&app, "alice").await;
    let last: Vec<&str> = log[log.len() - 2..]
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(last, ["challenge_failed", "locked"]);
    let good = totp_sha1(&secret, app.now() + 30);
    let r = verify(&app, &id, json!({"code": good})).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(r.headers.get("retry-after").unwrap(), "60");
    // Locked attempts are not challenge attempts and consume nothing.
    let row = app.state.store.challenge(&id).await.unwrap().unwrap();
    assert_eq!((row.attempts, row.status.as_str()), (1, "pending"));
    app.clock.advance(60);
    let r = verify(&app, &id, json!({"code": totp_sha1(&secret, app.now())})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
}

async fn expiry(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (secret, codes) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let late = create(&app, "alice").await;
    app.clock.advance(299);
    assert_eq!(status(&app, &id).await["status"], "pending");
    let r = verify(&app, &id, json!({"code": totp_sha1(&secret, app.now())})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.clock.advance(1);
    // Past its lifetime: 410, GET says expired; a verified one stays verified.
    verify(&app, &late, json!({"backup_code": codes[0]}))
        .await
        .assert_error(StatusCode::GONE, "expired");
    assert_eq!(status(&app, &late).await["status"], "expired");
    assert_eq!(status(&app, &id).await["status"], "verified");
    // The backup code was not spent by the expired challenge.
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/backup-codes/verify",
            Some(SERVICE_KEY),
            Some(json!({"code": codes[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A day after expiry challenges are purged (by the next create): 404.
    app.clock.advance(24 * 3600 + 1);
    create(&app, "alice").await;
    app.call(
        Method::GET,
        &format!("/v1/challenges/{late}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

async fn mfa_turned_off_after_creation(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (secret, _) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let devices = app
        .call(
            Method::GET,
            "/v1/users/alice/devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    let device = devices.json["devices"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/devices/{device}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // Removing the last active device turns MFA off as mfa/disable does: the pending
    // challenge went with it.
    verify(
        &app,
        &id,
        json!({"code": totp_sha1(&secret, app.now() + 30)}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(
        Method::GET,
        &format!("/v1/challenges/{id}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

/// 20 simultaneous verifications of one challenge: exactly one 200, the rest 409. In the
/// second round half use the TOTP code and half distinct backup codes: the losers' backup
/// codes are not spent.
async fn twenty_at_once(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 1000).await;
    let (secret, codes) = app.enable("alice").await;
    let mut spent_before = 0;
    for round in 0..2 {
        let trusted_before = trusted_count(&app).await;
        let id = create(&app, "alice").await;
        app.clock.advance(30);
        let code = totp_sha1(&secret, app.now());
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let router = app.router.clone();
            let barrier = barrier.clone();
            let body = if round == 1 && i % 2 == 1 {
                json!({"backup_code": codes[i / 2]})
            } else {
                json!({"code": code, "remember_device": true})
            };
            let path = format!("/v1/challenges/{id}/verify");
            tasks.push(tokio::spawn(async move {
                use http_body_util::BodyExt;
                use tower::ServiceExt;
                let req = axum::http::Request::post(path)
                    .header("authorization", format!("Bearer {SERVICE_KEY}"))
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body.to_string()))
                    .unwrap();
                barrier.wait().await;
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            }));
        }
        let mut ok = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                StatusCode::OK => ok.push(body),
                StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "conflict"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous verifications");
        let remembered = usize::from(ok[0].get("trusted_device").is_some());
        assert_eq!(
            trusted_count(&app).await,
            trusted_before + remembered,
            "a trusted device only for the winning verification"
        );
        let remaining = app
            .call(
                Method::GET,
                "/v1/users/alice/backup-codes",
                Some(SERVICE_KEY),
                None,
            )
            .await
            .json["remaining"]
            .as_u64()
            .unwrap();
        let spent = u64::from(ok[0]["assertion"].as_str().is_some_and(|a| {
            let claims = a.split('.').nth(1).unwrap();
            let claims: Value = serde_json::from_slice(&B64URL.decode(claims).unwrap()).unwrap();
            claims["amr"] == json!(["backup_code"])
        }));
        assert_eq!(
            remaining,
            10 - spent - spent_before,
            "only the winner's code is spent"
        );
        spent_before += spent;
    }
}

async fn trusted_count(app: &TestApp) -> usize {
    app.call(
        Method::GET,
        "/v1/users/alice/trusted-devices",
        Some(SERVICE_KEY),
        None,
    )
    .await
    .json["trusted_devices"]
        .as_array()
        .unwrap()
        .len()
}

async fn jwks_and_rotation(db: Db) {
    let mut app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let r = app.call(Method::GET, "/v1/jwks.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let keys = r.json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let old_kid = active_kid(&app);
    let x = keys[0]["x"].as_str().unwrap();
    assert_eq!(
        keys[0],
        json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": old_kid, "alg": "EdDSA", "use": "sig"})
    );
    assert_eq!(B64URL.decode(x).unwrap().len(), 32);
    let id = create(&app, "alice").await;
    let old = verify(&app, &id, json!({"backup_code": codes[0]}))
        .await
        .json["assertion"]
        .as_str()
        .unwrap()
        .to_string();
    // Rotate: a new active key, the old one still in the ring.
    let new_key = twostep_server::crypto::KeyRing::generate_entry()
        .unwrap()
        .to_string();
    let new_kid = new_key.split(':').next().unwrap().to_string();
    let mut config = (*app.state.config).clone();
    config.encryption_keys.push(new_key);
    config.active_key = Some(new_kid.clone());
    app.state.store.close().await;
    app.state = build_state(config, app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    let r = app.call(Method::GET, "/v1/jwks.json", None, None).await;
    let kids: Vec<&str> = r.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    // The old assertion still checks (under its kid); new ones are signed by the new key.
    let claims = check_assertion_kid(&app, &old, &old_kid).await;
    assert_eq!(claims["sub"], "alice");
    let id = create(&app, "alice").await;
    let new = verify(&app, &id, json!({"backup_code": codes[1]}))
        .await
        .json["assertion"]
        .as_str()
        .unwrap()
        .to_string();
    check_assertion(&app, &new).await;
    // A token checked against the other key fails.
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    assert!(jsonwebtoken::decode::<Value>(&new, &jwk(&app, &old_kid).await, &validation).is_err());
}

async fn check_assertion_kid(app: &TestApp, jwt: &str, kid: &str) -> Value {
    assert_eq!(
        jsonwebtoken::decode_header(jwt).unwrap().kid.as_deref(),
        Some(kid)
    );
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(jwt, &jwk(app, kid).await, &validation)
        .unwrap()
        .claims
}

/// Tampered, re-signed, unsigned and other-issuer tokens fail the independent check.
async fn forged_assertions_fail(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, codes) = app.enable("alice").await;
    let id = create(&app, "alice").await;
    let jwt = verify(&app, &id, json!({"backup_code": codes[0]}))
        .await
        .json["assertion"]
        .as_str()
        .unwrap()
        .to_string();
    let kid = active_kid(&app);
    let key = jwk(&app, &kid).await;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.set_issuer(&["twostep"]);
    assert!(jsonwebtoken::decode::<Value>(&jwt, &key, &validation).is_ok());
    let parts: Vec<&str> = jwt.split('.').collect();
    // Claims changed to another user, signature kept.
    let mut claims: Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("mallory");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64URL.encode(claims.to_string()),
        parts[2]
    );
    assert!(jsonwebtoken::decode::<Value>(&forged, &key, &validation).is_err());
    // One bit of the signature flipped.
    let mut sig = B64URL.decode(parts[2]).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], B64URL.encode(sig));
    assert!(jsonwebtoken::decode::<Value>(&flipped, &key, &validation).is_err());
    // Signed by another Ed25519 key (a ring the server does not have), same kid.
    let other = twostep_server::crypto::KeyRing::generate_entry().unwrap();
    let forger = EncodingKey::from_ed_der(&pkcs8(&documented_seed(&other)));
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.clone());
    let resigned = jsonwebtoken::encode(&header, &claims, &forger).unwrap();
    assert!(jsonwebtoken::decode::<Value>(&resigned, &key, &validation).is_err());
    // Another issuer is refused by a checker that pins the issuer.
    let mut pinned = validation.clone();
    pinned.set_issuer(&["someone-else"]);
    assert!(jsonwebtoken::decode::<Value>(&jwt, &key, &pinned).is_err());
}

/// HKDF-SHA-256 (RFC 5869, computed here with the hmac crate) of the ring key, no salt,
/// info "twostep assertion signing v1": the Ed25519 seed the contract names.
fn documented_seed(key_entry: &str) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let ikm = base64::engine::general_purpose::STANDARD
        .decode(key_entry.split_once(':').unwrap().1)
        .unwrap();
    let mut extract = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&[0u8; 32]).unwrap();
    extract.update(&ikm);
    let prk = extract.finalize().into_bytes();
    let mut expand = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&prk).unwrap();
    expand.update(b"twostep assertion signing v1");
    expand.update(&[1]);
    expand.finalize().into_bytes().into()
}

/// An Ed25519 private key (RFC 8410 PKCS#8 DER) from its seed.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

/// The JWKS key is the public half of the documented derivation: a JWT that jsonwebtoken
/// signs with the seed computed here checks against the served key.
async fn jwks_key_is_the_documented_derivation(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let entry = &app.state.config.encryption_keys[0];
    let kid = active_kid(&app);
    let signer = EncodingKey::from_ed_der(&pkcs8(&documented_seed(entry)));
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.clone());
    let jwt = jsonwebtoken::encode(
        &header,
        &json!({"sub": "alice", "exp": app.now() + 60}),
        &signer,
    )
    .unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&jwt, &jwk(&app, &kid).await, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "alice");
}

async fn events(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/users/{user}/events?limit=200"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut events = r.json["events"].as_array().unwrap().clone();
    events.reverse();
    events
}

/// The audit log of a login: every change of this module with its event, in order, with
/// the end user's ip and user agent given at the challenge's creation (not the backend's
/// connection), and never a code, a token or the assertion.
async fn audit_trail_of_a_login(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 100).await;
    let (secret, codes) = app.enable("alice").await;
    let before = events(&app, "alice").await.len();
    let backend: std::net::SocketAddr = "10.1.2.3:4567".parse().unwrap();
    let r = app
        .call_from(
            Method::POST,
            "/v1/challenges",
            Some(json!({"user_id": "alice", "ip": "203.0.113.9", "user_agent": "Firefox/140"})),
            backend,
            &[("user-agent", "acme-backend/2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["challenge_id"].as_str().unwrap().to_string();
    let wrong = wrong_code(&app, &secret);
    verify(&app, &id, json!({"code": wrong}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let r = app
        .call_from(
            Method::POST,
            &format!("/v1/challenges/{id}/verify"),
            Some(
                json!({"backup_code": codes[0], "remember_device": true, "device_label": "laptop"}),
            ),
            backend,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = r.json["trusted_device"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let trusted_id = r.json["trusted_device"]["id"].as_str().unwrap().to_string();
    let mut secrets = vec![token, r.json["assertion"].as_str().unwrap().to_string()];
    // A second login with TOTP, from a challenge without ip or user agent.
    let second = app.create_challenge(json!({"user_id": "alice"})).await;
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    let r = verify(&app, &second, json!({"code": code})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    secrets.push(r.json["assertion"].as_str().unwrap().to_string());
    // Revoke it; remember another and revoke all; disable with a user token and a code.
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/trusted-devices/{trusted_id}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let third = app.create_challenge(json!({"user_id": "alice"})).await;
    let r = verify(
        &app,
        &third,
        json!({"backup_code": codes[1], "remember_device": true}),
    )
    .await;
    let third_device = r.json["trusted_device"]["id"].as_str().unwrap().to_string();
    secrets.push(
        r.json["trusted_device"]["token"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    secrets.push(r.json["assertion"].as_str().unwrap().to_string());
    let r = app
        .call(
            Method::DELETE,
            "/v1/users/alice/trusted-devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let pending = app.create_challenge(json!({"user_id": "alice"})).await;
    app.clock.advance(30);
    let disable_code = totp_sha1(&secret, app.now());
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/mfa/disable",
            Some(&user_token("alice", app.now() + 60)),
            Some(json!({"code": disable_code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let log = events(&app, "alice").await;
    let log = &log[before..];
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "challenge_created",
            "challenge_failed",
            "backup_code_used",
            "challenge_verified",
            "trusted_device_created",
            "challenge_created",
            "verify_succeeded",
            "challenge_verified",
            "trusted_device_revoked",
            "challenge_created",
            "backup_code_used",
            "challenge_verified",
            "trusted_device_created",
            "trusted_device_revoked",
            "challenge_created",
            "verify_succeeded",
            "mfa_disabled",
        ]
    );
    // The first login's events carry the end user's client from the challenge's body.
    for e in &log[..5] {
        assert_eq!(e["ip"], "203.0.113.9", "{e}");
        assert_eq!(e["user_agent"], "Firefox/140", "{e}");
    }
    assert_eq!(log[0]["detail"], json!({"challenge_id": id}));
    assert_eq!(
        log[1]["detail"],
        json!({"challenge_id": id, "method": "totp", "attempts": 1})
    );
    assert_eq!(log[2]["detail"], json!({"remaining": 9}));
    assert_eq!(
        log[3]["detail"],
        json!({"challenge_id": id, "amr": ["backup_code"], "remember_device": true})
    );
    assert_eq!(
        log[4]["detail"],
        json!({"trusted_device_id": trusted_id, "challenge_id": id, "label": "laptop",
               "expires_at": "2026-12-24T12:00:00Z"})
    );
    assert_eq!(log[6]["detail"]["method"], "totp");
    assert_eq!(
        log[7]["detail"],
        json!({"challenge_id": second, "amr": ["otp"], "remember_device": false})
    );
    assert_eq!(
        log[8]["detail"],
        json!({"trusted_device_id": trusted_id, "reason": "revoked"})
    );
    assert_eq!(log[13]["detail"]["trusted_device_id"], third_device);
    assert_eq!(
        log[16]["detail"],
        json!({"devices": 1, "backup_codes": 10, "trusted_devices": 0, "challenges": 1})
    );
    assert!(app.state.store.challenge(&pending).await.unwrap().is_none());
    // Nothing secret in any event.
    let text = serde_json::to_string(&log).unwrap();
    for s in secrets
        .iter()
        .chain(codes.iter())
        .chain([wrong, code, disable_code].iter())
    {
        assert!(!text.contains(s.as_str()), "{s} in the log");
        assert!(!text.contains(&s.replace('-', "")), "{s} in the log");
    }
}

/// Each change is tried while its event cannot be written: 500 and nothing changed (no
/// challenge, no code spent, no trusted device, no attempt counted, nothing revoked or
/// removed); once events are written again, the same request succeeds.
async fn events_share_the_transaction(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (secret, codes) = app.enable("alice").await;
    let internal = |r: Reply| r.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    let challenges = || count_rows(&app, "challenges");
    let trusted = || count_rows(&app, "trusted_devices");

    break_events(&app, Some("challenge_created")).await;
    let body = json!({"user_id": "alice"});
    internal(
        app.call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(body.clone()),
        )
        .await,
    );
    assert_eq!(challenges().await, 0);
    fix_events(&app).await;
    let id = app.create_challenge(json!({"user_id": "alice"})).await;

    let wrong = wrong_code(&app, &secret);
    break_events(&app, Some("challenge_failed")).await;
    internal(verify(&app, &id, json!({"code": wrong})).await);
    let row = app.state.store.challenge(&id).await.unwrap().unwrap();
    assert_eq!(row.attempts, 0);
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
    fix_events(&app).await;

    let remember = json!({"backup_code": codes[0], "remember_device": true});
    for kind in [
        "challenge_verified",
        "trusted_device_created",
        "backup_code_used",
    ] {
        break_events(&app, Some(kind)).await;
        internal(verify(&app, &id, remember.clone()).await);
        fix_events(&app).await;
        assert_eq!(status(&app, &id).await["status"], "pending", "{kind}");
        assert_eq!(trusted().await, 0, "{kind}");
        let left = app
            .call(
                Method::GET,
                "/v1/users/alice/backup-codes",
                Some(SERVICE_KEY),
                None,
            )
            .await;
        assert_eq!(left.json["remaining"], 10, "{kind}");
    }
    let code = totp_sha1(&secret, app.now() + 30);
    break_events(&app, Some("verify_succeeded")).await;
    internal(verify(&app, &id, json!({"code": code})).await);
    fix_events(&app).await;
    assert_eq!(status(&app, &id).await["status"], "pending");
    let r = verify(&app, &id, remember.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let device = r.json["trusted_device"]["id"].as_str().unwrap().to_string();
    assert_eq!(trusted().await, 1);
    // The TOTP code refused above was not spent either.
    assert_eq!(app.verify("alice", &code).await.status, StatusCode::OK);

    break_events(&app, Some("trusted_device_revoked")).await;
    internal(
        app.call(
            Method::DELETE,
            &format!("/v1/users/alice/trusted-devices/{device}"),
            Some(SERVICE_KEY),
            None,
        )
        .await,
    );
    internal(
        app.call(
            Method::DELETE,
            "/v1/users/alice/trusted-devices",
            Some(SERVICE_KEY),
            None,
        )
        .await,
    );
    fix_events(&app).await;
    assert_eq!(trusted().await, 1);
    break_events(&app, Some("mfa_disabled")).await;
    internal(
        app.call(
            Method::POST,
            "/v1/users/alice/mfa/disable",
            Some(SERVICE_KEY),
            None,
        )
        .await,
    );
    fix_events(&app).await;
    assert_eq!(trusted().await, 1);
    assert_eq!(count_rows(&app, "devices").await, 1);
    assert_eq!(count_rows(&app, "backup_codes").await, 10);
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/mfa/disable",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(trusted().await, 0);
    assert_eq!(count_rows(&app, "devices").await, 0);
}

async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match &app.state.store {
        twostep_server::store::Store::Sqlite(db) => {
            sqlx::query_scalar(&sql).fetch_one(&db.reader).await
        }
        twostep_server::store::Store::Postgres(pool) => {
            sqlx::query_scalar(&sql).fetch_one(pool).await
        }
    }
    .unwrap()
}

on_both!(
    create_shape_and_errors,
    verify_with_totp,
    verify_with_backup_code,
    verify_request_errors,
    five_attempts_then_failed,
    lockout_applies,
    expiry,
    mfa_turned_off_after_creation,
    twenty_at_once,
    jwks_and_rotation,
    forged_assertions_fail,
    jwks_key_is_the_documented_derivation,
    audit_trail_of_a_login,
    events_share_the_transaction,
);
