//! Backup codes (API.md "Backup codes", the confirm response, "MFA status"), in process on
//! SQLite and on PostgreSQL: issue with the first device only, format and entropy, every
//! endpoint and error code, normalisation, single use (also under 20 simultaneous uses),
//! regeneration, lockout shared with TOTP verify, key rotation.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The alphabet API.md promises: digits and lower-case letters without 0, 1, i, l, o.
const ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";

fn codes_path(user: &str) -> String {
    format!("/v1/users/{user}/backup-codes")
}

fn verify_path(user: &str) -> String {
    format!("/v1/users/{user}/backup-codes/verify")
}

/// Six groups of four characters of the alphabet joined by dashes; all different.
fn assert_format(codes: &[Value], n: usize) -> Vec<String> {
    assert_eq!(codes.len(), n);
    let codes: Vec<String> = codes
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    for c in &codes {
        let groups: Vec<&str> = c.split('-').collect();
        assert_eq!(groups.len(), 6, "{c}");
        for g in groups {
            assert_eq!(g.len(), 4, "{c}");
            assert!(g.chars().all(|ch| ALPHABET.contains(ch)), "{c}");
        }
    }
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), n, "distinct");
    codes
}

/// Pairs and confirms a device; returns (device id, secret, the confirm reply).
async fn confirm(app: &TestApp, user: &str) -> (String, String, Reply) {
    let (id, secret, r) = app.pair_confirmed(user).await;
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    (id, secret, r)
}

/// Confirms the user's first device; returns its secret and the issued codes.
async fn enable(app: &TestApp, user: &str) -> (String, Vec<String>) {
    let (_, secret, r) = confirm(app, user).await;
    let codes = assert_format(r.json["backup_codes"].as_array().unwrap(), 10);
    (secret, codes)
}

async fn use_code(app: &TestApp, user: &str, code: &str) -> Reply {
    app.call(
        Method::POST,
        &verify_path(user),
        Some(SERVICE_KEY),
        Some(json!({ "code": code })),
    )
    .await
}

async fn remaining(app: &TestApp, user: &str) -> Value {
    let r = app
        .call(Method::GET, &codes_path(user), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

async fn mfa_remaining(app: &TestApp, user: &str) -> Value {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/users/{user}/mfa"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    r.json["backup_codes_remaining"].clone()
}

async fn issued_with_the_first_device_only(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    assert_eq!(remaining(&app, "alice").await, json!({"remaining": 0}));
    assert_eq!(mfa_remaining(&app, "alice").await, 0);
    let (_, codes) = enable(&app, "alice").await;
    assert_eq!(
        remaining(&app, "alice").await,
        json!({"remaining": 10, "created_at": "2026-11-24T12:00:00Z"})
    );
    assert_eq!(mfa_remaining(&app, "alice").await, 10);
    // A second device: no new set, the first still works.
    app.clock.advance(30);
    let (_, _, r) = confirm(&app, "alice").await;
    assert!(r.json.get("backup_codes").is_none(), "{}", r.text);
    assert_eq!(r.json["device"]["status"], "active");
    let r = use_code(&app, "alice", &codes[0]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"valid": true, "remaining": 9}));
    assert_eq!(mfa_remaining(&app, "alice").await, 9);
    assert_eq!(
        remaining(&app, "alice").await,
        json!({"remaining": 9, "created_at": "2026-11-24T12:00:00Z"})
    );
    // The codes appear in no other response.
    for path in ["/v1/users/alice/devices", "/v1/users/alice/mfa"] {
        let r = app.call(Method::GET, path, Some(SERVICE_KEY), None).await;
        assert!(codes.iter().all(|c| !r.text.contains(c.as_str())));
    }
    // Another user's first device gets a set of its own; the count is configurable.
    let app3 = TestApp::with(Db::Sqlite, |c| c.backup_codes_count = 3).await;
    let (_, _, r) = confirm(&app3, "bob").await;
    assert_format(r.json["backup_codes"].as_array().unwrap(), 3);
    assert_eq!(remaining(&app3, "bob").await["remaining"], 3);
}

async fn normalised_and_single_use(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 100).await;
    let (_, codes) = enable(&app, "alice").await;
    let (_, bobs) = enable(&app, "bob").await;
    let forms = [
        codes[0].clone(),
        codes[1].to_uppercase(),
        codes[2].replace('-', ""),
        codes[3].replace('-', " "),
        format!("  {}  ", codes[4].to_uppercase().replace('-', " - ")),
        codes[5].replace('-', "").to_uppercase(),
    ];
    for (i, form) in forms.iter().enumerate() {
        let r = use_code(&app, "alice", form).await;
        assert_eq!(r.status, StatusCode::OK, "{form:?}: {}", r.text);
        assert_eq!(r.json, json!({"valid": true, "remaining": 9 - i}));
    }
    // Each works once, in whatever form it comes back.
    for code in &codes[..6] {
        for form in [code.clone(), code.to_uppercase(), code.replace('-', "")] {
            use_code(&app, "alice", &form)
                .await
                .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
        }
    }
    // Bob's code is not Alice's.
    use_code(&app, "alice", &bobs[0])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    assert_eq!(remaining(&app, "bob").await["remaining"], 10);
    // Malformed input: the same 422, whatever is wrong.
    let good = codes[6].replace('-', "");
    let mut bad = vec![
        String::new(),
        "123456".to_string(),
        good[..23].to_string(),
        format!("{good}2"),
        format!("0{}", &good[1..]),
        format!("l{}", &good[1..]),
        format!("{}_", &good[..23]),
        format!("{}\u{e9}", &good[..23]),
        format!("{}_{}", &good[..12], &good[12..]),
        "x".repeat(2000),
    ];
    // Not a code of the set (a valid-looking one).
    let other: String = good.chars().rev().collect();
    bad.push(other);
    for b in &bad {
        use_code(&app, "alice", b)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    // Unchanged by all that; a non-string code is a 400.
    assert_eq!(remaining(&app, "alice").await["remaining"], 4);
    app.call(
        Method::POST,
        &verify_path("alice"),
        Some(SERVICE_KEY),
        Some(json!({"code": 123})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    app.call(
        Method::POST,
        &verify_path("alice"),
        Some(SERVICE_KEY),
        Some(json!({"code": good, "extra": 1})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // The failures above were counted (and did not lock at 100).
    let failures = 6 * 3 + 1 + bad.len();
    let state = app.state.store.user_state("alice").await.unwrap();
    assert_eq!(state.failures, failures as i64);
    // The untouched code still works and resets the count.
    assert_eq!(use_code(&app, "alice", &good).await.status, StatusCode::OK);
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
}

async fn regenerate_voids_the_old_set(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, old) = enable(&app, "alice").await;
    assert_eq!(
        use_code(&app, "alice", &old[0]).await.status,
        StatusCode::OK
    );
    app.clock.advance(3600);
    let r = app
        .call(Method::POST, &codes_path("alice"), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(r.json.as_object().unwrap().len(), 1);
    let new = assert_format(r.json["codes"].as_array().unwrap(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_eq!(
        remaining(&app, "alice").await,
        json!({"remaining": 10, "created_at": "2026-11-24T13:00:00Z"})
    );
    for c in &old[1..4] {
        use_code(&app, "alice", c)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let r = use_code(&app, "alice", &new[9]).await;
    assert_eq!(r.json, json!({"valid": true, "remaining": 9}));
    // A user token may regenerate its own codes (with a body or without).
    let tok = user_token("alice", app.now() + 60);
    let r = app
        .call(
            Method::POST,
            &codes_path("alice"),
            Some(&tok),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    use_code(&app, "alice", &new[0])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Removing the last device turns MFA off and removes the set: 409 for regenerate and
    // verify.
    let fresh = assert_format(r.json["codes"].as_array().unwrap(), 10);
    let devices = app
        .call(
            Method::GET,
            "/v1/users/alice/devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    let id = devices.json["devices"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/devices/{id}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(remaining(&app, "alice").await, json!({"remaining": 0}));
    app.call(Method::POST, &codes_path("alice"), Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    use_code(&app, "alice", &fresh[0])
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    // Enabling again with a new first device issues a new set; the previous one is void.
    let (_, again) = enable(&app, "alice").await;
    use_code(&app, "alice", &fresh[1])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    assert_eq!(
        use_code(&app, "alice", &again[0]).await.status,
        StatusCode::OK
    );
}

async fn errors(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, codes) = enable(&app, "alice").await;
    let body = || Some(json!({"code": codes[0]}));
    let routes = [
        (Method::POST, codes_path("alice"), None),
        (Method::GET, codes_path("alice"), None),
        (Method::POST, verify_path("alice"), body()),
    ];
    let bob = user_token("bob", app.now() + 60);
    for (m, p, b) in &routes {
        app.call(m.clone(), p, None, b.clone())
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        app.call(
            m.clone(),
            p,
            Some("wrong-service-key-0123456789"),
            b.clone(),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        app.call(m.clone(), p, Some(&bob), b.clone())
            .await
            .assert_error(StatusCode::FORBIDDEN, "forbidden");
        let long = p.replace("alice", &"a".repeat(129));
        app.call(m.clone(), &long, Some(SERVICE_KEY), b.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // None of that used or replaced a code.
    assert_eq!(remaining(&app, "alice").await["remaining"], 10);
    // Without MFA: 409 to regenerate and verify, zero remaining.
    app.call(Method::POST, &codes_path("carol"), Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    use_code(&app, "carol", &codes[0])
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    assert_eq!(remaining(&app, "carol").await, json!({"remaining": 0}));
    // A pending device is not MFA.
    app.pair("carol").await;
    app.call(Method::POST, &codes_path("carol"), Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    // Other methods: 405.
    app.call(
        Method::DELETE,
        &codes_path("alice"),
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.call(Method::GET, &verify_path("alice"), Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // The user's own token works.
    let alice = user_token("alice", app.now() + 60);
    let r = app
        .call(Method::POST, &verify_path("alice"), Some(&alice), body())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn lockout_shared_with_totp(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 5).await;
    let (secret, codes) = enable(&app, "alice").await;
    // Two TOTP failures and three backup-code failures (one malformed) make five: locked.
    let near: Vec<String> = [app.now() - 30, app.now(), app.now() + 30]
        .iter()
        .map(|&t| totp_sha1(&secret, t))
        .collect();
    let wrong_totp = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap();
    for _ in 0..2 {
        app.verify("alice", wrong_totp)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let unknown: String = codes[9].chars().rev().collect();
    for bad in [unknown.as_str(), "nope", unknown.as_str()] {
        use_code(&app, "alice", bad)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    // Locked: a valid backup code gets 429 with Retry-After, and is not used up.
    let r = use_code(&app, "alice", &codes[0]).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(r.headers.get("retry-after").unwrap(), "60");
    app.verify("alice", &totp_sha1(&secret, app.now() + 30))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(remaining(&app, "alice").await["remaining"], 10);
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert!(r.json["locked_until"].is_string());
    // After the lock the same code works, once.
    app.clock.advance(60);
    let r = use_code(&app, "alice", &codes[0]).await;
    assert_eq!(r.json, json!({"valid": true, "remaining": 9}));
    // A success reset the escalation: five more failures lock for the base time again.
    for _ in 0..5 {
        use_code(&app, "alice", &codes[0])
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let r = use_code(&app, "alice", &codes[1]).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(r.headers.get("retry-after").unwrap(), "60");
}

async fn twenty_at_once(db: Db) {
    let app = TestApp::with(db, |c| c.lockout_max_failures = 1000).await;
    let (_, codes) = enable(&app, "alice").await;
    for code in &codes[..3] {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let router = app.router.clone();
            let barrier = barrier.clone();
            // Different spellings of the one code.
            let code = if i % 2 == 0 {
                code.clone()
            } else {
                code.to_uppercase().replace('-', "")
            };
            tasks.push(tokio::spawn(async move {
                use tower::ServiceExt;
                let req = axum::http::Request::post("/v1/users/alice/backup-codes/verify")
                    .header("authorization", format!("Bearer {SERVICE_KEY}"))
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(json!({ "code": code }).to_string()))
                    .unwrap();
                barrier.wait().await;
                router.oneshot(req).await.unwrap().status()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::OK => ok += 1,
                StatusCode::UNPROCESSABLE_ENTITY => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(ok, 1, "exactly one of 20 simultaneous uses succeeds");
    }
    assert_eq!(remaining(&app, "alice").await["remaining"], 7);
}

/// Two first devices confirmed at the same moment: one set, shown to exactly one of them.
async fn simultaneous_first_confirms_issue_one_set(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    for round in 0..3 {
        let user = format!("u{round}");
        let mut pending = Vec::new();
        for _ in 0..4 {
            pending.push(app.pair(&user).await);
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(pending.len()));
        let mut tasks = Vec::new();
        for (id, secret) in pending {
            let router = app.router.clone();
            let barrier = barrier.clone();
            let path = format!("/v1/users/{user}/devices/{id}/confirm");
            let code = totp_sha1(&secret, app.now());
            tasks.push(tokio::spawn(async move {
                use http_body_util::BodyExt;
                use tower::ServiceExt;
                let req = axum::http::Request::post(path)
                    .header("authorization", format!("Bearer {SERVICE_KEY}"))
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(json!({ "code": code }).to_string()))
                    .unwrap();
                barrier.wait().await;
                let resp = router.oneshot(req).await.unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                serde_json::from_slice::<Value>(&bytes).unwrap()
            }));
        }
        let mut sets = Vec::new();
        for t in tasks {
            if let Some(codes) = t.await.unwrap().get("backup_codes") {
                sets.push(assert_format(codes.as_array().unwrap(), 10));
            }
        }
        assert_eq!(sets.len(), 1, "exactly one confirmation issues the set");
        assert_eq!(remaining(&app, &user).await["remaining"], 10);
        let r = use_code(&app, &user, &sets[0][0]).await;
        assert_eq!(r.json, json!({"valid": true, "remaining": 9}));
    }
}

/// Characters spread evenly over the alphabet (500 codes, 12 000 characters: each of the
/// 31 expected 387 times, standard deviation about 19.4; the bounds are 6 deviations).
async fn characters_are_uniform(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (_, first) = enable(&app, "alice").await;
    let mut all = first;
    while all.len() < 500 {
        let r = app
            .call(Method::POST, &codes_path("alice"), Some(SERVICE_KEY), None)
            .await;
        all.extend(assert_format(r.json["codes"].as_array().unwrap(), 10));
    }
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in &all {
        for ch in c.chars().filter(|&ch| ch != '-') {
            *counts.entry(ch).or_insert(0usize) += 1;
            total += 1;
        }
    }
    assert_eq!(total, 500 * 24);
    // 24 characters of a 31-character alphabet: at least 112 bits.
    assert!(24.0 * (ALPHABET.len() as f64).log2() >= 112.0);
    assert_eq!(counts.len(), ALPHABET.len(), "every character occurs");
    let expected = total as f64 / ALPHABET.len() as f64;
    for (ch, n) in counts {
        assert!(
            (n as f64 - expected).abs() < 6.0 * expected.sqrt(),
            "{ch}: {n} (expected {expected:.0})"
        );
    }
}

async fn rotation_keeps_codes(db: Db) {
    let mut app = TestApp::with(db, |_| {}).await;
    let (_, old) = enable(&app, "alice").await;
    // Rotate: a new active key, the old one still in the ring.
    let new_key = twostep_server::crypto::KeyRing::generate_entry()
        .unwrap()
        .to_string();
    let new_id = new_key.split(':').next().unwrap().to_string();
    let mut config = (*app.state.config).clone();
    config.encryption_keys.push(new_key.clone());
    config.active_key = Some(new_id);
    app.state.store.close().await;
    app.state = build_state(config.clone(), app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    assert_eq!(
        use_code(&app, "alice", &old[0]).await.status,
        StatusCode::OK
    );
    let r = app
        .call(Method::POST, &codes_path("alice"), Some(SERVICE_KEY), None)
        .await;
    let new = assert_format(r.json["codes"].as_array().unwrap(), 10);
    // Only the new key left: the new set (tagged under it) works.
    config.encryption_keys = vec![new_key];
    app.state.store.close().await;
    app.state = build_state(config, app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());
    let r = use_code(&app, "alice", &new[0]).await;
    assert_eq!(r.json, json!({"valid": true, "remaining": 9}));
}

on_both!(
    issued_with_the_first_device_only,
    normalised_and_single_use,
    regenerate_voids_the_old_set,
    errors,
    lockout_shared_with_totp,
    twenty_at_once,
    simultaneous_first_confirms_issue_one_set,
    characters_are_uniform,
    rotation_keeps_codes,
);
