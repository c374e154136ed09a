//! In-process breadth tests over the router (tower `oneshot`), on SQLite with a manual clock:
//! every endpoint and error code of the Authentication, Errors, Devices, Verification,
//! MFA status and Operations sections of API.md.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

fn devices(user: &str) -> String {
    format!("/v1/users/{user}/devices")
}

async fn device_count(app: &TestApp, user: &str) -> usize {
    let r = app
        .call(Method::GET, &devices(user), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.json["devices"].as_array().unwrap().len()
}

#[tokio::test]
async fn authentication() {
    let app = TestApp::sqlite().await;
    let path = "/v1/users/alice/mfa";
    app.call(Method::GET, path, None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.call(
        Method::GET,
        path,
        Some("not-the-service-key-0123456789"),
        None,
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // A service key with one character changed.
    let mut near = SERVICE_KEY.to_string();
    near.pop();
    near.push('x');
    app.call(Method::GET, path, Some(&near), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Other schemes are refused.
    let r = app.raw(Method::GET, path, None, None, None).await;
    r.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // User tokens: own user only, exp enforced, signature checked, alg none refused.
    let now = app.now();
    let alice = user_token("alice", now + 300);
    assert_eq!(
        app.call(Method::GET, path, Some(&alice), None).await.status,
        StatusCode::OK
    );
    app.call(Method::GET, "/v1/users/bob/mfa", Some(&alice), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let expired = user_token("alice", now - 120);
    app.call(Method::GET, path, Some(&expired), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "alice", "exp": now + 300}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .unwrap();
    app.call(Method::GET, path, Some(&forged), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(format!(r#"{{"sub":"alice","exp":{}}}"#, now + 300))
    );
    app.call(Method::GET, path, Some(&none), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Service key may act on anyone.
    assert_eq!(
        app.call(Method::GET, "/v1/users/bob/mfa", Some(SERVICE_KEY), None)
            .await
            .status,
        StatusCode::OK
    );
    // Operations need no credentials.
    for p in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(
            app.call(Method::GET, p, None, None).await.status,
            StatusCode::OK,
            "{p}"
        );
    }
}

#[tokio::test]
async fn create_device_defaults_and_shape() {
    let app = TestApp::sqlite().await;
    let r = app
        .call(
            Method::POST,
            &devices("alice"),
            Some(SERVICE_KEY),
            Some(json!({"name": "Pixel 8"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let d = &r.json["device"];
    assert_eq!(d["name"], "Pixel 8");
    assert_eq!(d["status"], "pending");
    assert_eq!(d["algorithm"], "SHA1");
    assert_eq!(d["digits"], 6);
    assert_eq!(d["period"], 30);
    assert_eq!(d["created_at"], "2026-11-24T12:00:00Z");
    assert!(d.get("confirmed_at").is_none() && d.get("secret").is_none());
    let secret = r.json["secret"].as_str().unwrap();
    assert_eq!(base32_decode(secret).len(), 20, "160-bit secret");
    let uri = r.json["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/twostep:alice?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")));
    assert!(uri.contains("issuer=twostep"));
    assert!(r.json.get("qr_svg").is_none());

    // The secret appears in no other response.
    let list = app
        .call(Method::GET, &devices("alice"), Some(SERVICE_KEY), None)
        .await;
    assert!(!list.text.contains(secret));
    assert_eq!(list.json["devices"][0]["id"], d["id"]);
    // Two pairings get different secrets.
    let (_, other) = app.pair("alice").await;
    assert_ne!(other, secret);
}

#[tokio::test]
async fn create_device_options_then_confirm_with_them() {
    let app = TestApp::sqlite().await;
    let body = json!({"name": "Yubikey", "issuer": "Acme Corp", "account": "alice@acme.test",
                      "algorithm": "SHA256", "digits": 8, "period": 60});
    let r = app
        .call(Method::POST, &devices("u1"), Some(SERVICE_KEY), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let uri = r.json["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Acme%20Corp:alice%40acme.test?")
            || uri.starts_with("otpauth://totp/Acme%20Corp:alice@acme.test?"),
        "{uri}"
    );
    assert!(
        uri.contains("algorithm=SHA256") && uri.contains("digits=8") && uri.contains("period=60"),
        "{uri}"
    );
    assert_eq!(r.json["device"]["algorithm"], "SHA256");
    assert_eq!(r.json["device"]["digits"], 8);
    assert_eq!(r.json["device"]["period"], 60);
    let id = r.json["device"]["id"].as_str().unwrap();
    let secret = r.json["secret"].as_str().unwrap();
    // A SHA1 code of the same secret is not accepted; the SHA256/8/60 one is.
    let wrong = totp(secret, app.now(), "SHA1", 8, 60);
    let path = format!("/v1/users/u1/devices/{id}/confirm");
    app.call(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(json!({"code": wrong})),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let code = totp(secret, app.now(), "SHA256", 8, 60);
    let r = app
        .call(
            Method::POST,
            &path,
            Some(SERVICE_KEY),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["device"]["status"], "active");
    // Verify with the next 60-second step.
    app.clock.advance(60);
    let code = totp(secret, app.now(), "SHA256", 8, 60);
    assert_eq!(app.verify("u1", &code).await.status, StatusCode::OK);
}

#[tokio::test]
async fn create_device_bad_input_stores_nothing() {
    let app = TestApp::sqlite().await;
    let path = devices("alice");
    let cases: Vec<Value> = vec![
        json!({}),
        json!({"name": ""}),
        json!({"name": "x".repeat(65)}),
        json!({"name": "a\u{0007}b"}),
        json!({"name": 5}),
        json!({"name": "p", "algorithm": "MD5"}),
        json!({"name": "p", "digits": 7}),
        json!({"name": "p", "digits": 12}),
        json!({"name": "p", "digits": -1}),
        json!({"name": "p", "period": 0}),
        json!({"name": "p", "period": 100000}),
        json!({"name": "p", "issuer": "a:b"}),
        json!({"name": "p", "issuer": ""}),
        json!({"name": "p", "account": "x".repeat(129)}),
        json!({"name": "p", "extra": true}),
        json!(["name"]),
        json!(null),
    ];
    for body in cases {
        let r = app
            .call(Method::POST, &path, Some(SERVICE_KEY), Some(body.clone()))
            .await;
        r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(!r.text.contains("<html"), "{body}");
    }
    for raw in ["{", "{\"name\": \"p\",}", "name=p", "\u{0}", ""] {
        app.raw(
            Method::POST,
            &path,
            Some(SERVICE_KEY),
            Some(raw),
            Some("application/json"),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // Missing or wrong content type.
    app.raw(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(r#"{"name":"p"}"#),
        None,
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    app.raw(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(r#"{"name":"p"}"#),
        Some("text/plain"),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // A huge body.
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(1 << 20));
    app.raw(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(&huge),
        Some("application/json"),
    )
    .await
    .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Bad query.
    app.call(
        Method::POST,
        &format!("{path}?qr=png"),
        Some(SERVICE_KEY),
        Some(json!({"name": "p"})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    app.call(
        Method::POST,
        &format!("{path}?foo=1"),
        Some(SERVICE_KEY),
        Some(json!({"name": "p"})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(device_count(&app, "alice").await, 0);
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
}

#[tokio::test]
async fn user_ids_are_checked() {
    let app = TestApp::sqlite().await;
    let long = "u".repeat(129);
    for bad in [long.as_str(), "a%01b", "a%7Fb", "tab%09", "nl%0A"] {
        app.call(
            Method::POST,
            &devices(bad),
            Some(SERVICE_KEY),
            Some(json!({"name": "p"})),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
        app.call(
            Method::POST,
            &format!("/v1/users/{bad}/verify"),
            Some(SERVICE_KEY),
            Some(json!({"code": "123456"})),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // Invalid UTF-8 after percent-decoding.
    app.call(Method::GET, "/v1/users/a%FFb/mfa", Some(SERVICE_KEY), None)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // 128 characters, spaces and non-ASCII are fine.
    let ok = "%C3%A9".repeat(128);
    let r = app
        .call(
            Method::POST,
            &devices(&ok),
            Some(SERVICE_KEY),
            Some(json!({"name": "p"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .call(
            Method::POST,
            &devices("alice%20smith"),
            Some(SERVICE_KEY),
            Some(json!({"name": "p"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(
        r.json["otpauth_uri"]
            .as_str()
            .unwrap()
            .contains("alice%20smith")
    );
    assert_eq!(device_count(&app, "alice%20smith").await, 1);
}

#[tokio::test]
async fn confirm_paths() {
    let app = TestApp::sqlite().await;
    let (id, secret) = app.pair("alice").await;
    let path = format!("/v1/users/alice/devices/{id}/confirm");
    // Format errors are 400 and are not failures.
    for code in [
        "12345",
        "abcdef",
        "12345a",
        "",
        " 123456",
        "12345678901",
        "１２３４５６",
    ] {
        app.call(
            Method::POST,
            &path,
            Some(SERVICE_KEY),
            Some(json!({"code": code})),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    app.call(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(json!({"code": 123456})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    app.call(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(json!({"code": "123456", "x": 1})),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // Unknown ids.
    let other = "00000000-0000-4000-8000-000000000000";
    app.call(
        Method::POST,
        &format!("/v1/users/alice/devices/{other}/confirm"),
        Some(SERVICE_KEY),
        Some(json!({"code": "123456"})),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(
        Method::POST,
        "/v1/users/alice/devices/not-a-uuid/confirm",
        Some(SERVICE_KEY),
        Some(json!({"code": "123456"})),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Another user's device is not found for this user.
    app.call(
        Method::POST,
        &format!("/v1/users/bob/devices/{id}/confirm"),
        Some(SERVICE_KEY),
        Some(json!({"code": totp_sha1(&secret, app.now())})),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // Wrong code: 422, still pending.
    let good = totp_sha1(&secret, app.now());
    let wrong = if good == "000000" { "111111" } else { "000000" };
    app.call(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(json!({"code": wrong})),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let r = app
        .call(Method::GET, &devices("alice"), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.json["devices"][0]["status"], "pending");
    // Right code: active.
    let r = app
        .call(
            Method::POST,
            &path,
            Some(SERVICE_KEY),
            Some(json!({"code": good})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(r.json["device"]["status"], "active");
    assert_eq!(r.json["device"]["confirmed_at"], "2026-11-24T12:00:00Z");
    // The confirming code is used: verify refuses it.
    app.verify("alice", &good)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Again: 409.
    app.clock.advance(30);
    app.call(
        Method::POST,
        &path,
        Some(SERVICE_KEY),
        Some(json!({"code": totp_sha1(&secret, app.now())})),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    // A user token may confirm its own device but not another user's.
    let (bid, bsecret) = app.pair("bob").await;
    let alice = user_token("alice", app.now() + 60);
    app.call(
        Method::POST,
        &format!("/v1/users/bob/devices/{bid}/confirm"),
        Some(&alice),
        Some(json!({"code": totp_sha1(&bsecret, app.now())})),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let bob = user_token("bob", app.now() + 60);
    let r = app
        .call(
            Method::POST,
            &format!("/v1/users/bob/devices/{bid}/confirm"),
            Some(&bob),
            Some(json!({"code": totp_sha1(&bsecret, app.now())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn pairing_expires() {
    let app = TestApp::with(Db::Sqlite, |c| c.pairing_lifetime_secs = 120).await;
    let (id, secret) = app.pair("alice").await;
    app.clock.advance(120);
    let code = totp_sha1(&secret, app.now());
    app.call(
        Method::POST,
        &format!("/v1/users/alice/devices/{id}/confirm"),
        Some(SERVICE_KEY),
        Some(json!({"code": code})),
    )
    .await
    .assert_error(StatusCode::GONE, "expired");
    // Expired pending devices are no longer listed; the expiry is no failure.
    assert_eq!(device_count(&app, "alice").await, 0);
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
    // Long after, they are purged when the user pairs again.
    app.clock.advance(2 * 24 * 3600);
    app.pair("alice").await;
    assert!(
        app.state
            .store
            .device("alice", &id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn list_and_delete() {
    let app = TestApp::sqlite().await;
    let (a, secret_a) = app.pair_active("alice").await;
    app.clock.advance(1);
    let (b, _) = app.pair("alice").await;
    app.pair("bob").await;
    let r = app
        .call(Method::GET, &devices("alice"), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ds = r.json["devices"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    assert_eq!(ds[0]["id"], a.as_str());
    assert_eq!(ds[0]["status"], "active");
    assert_eq!(ds[1]["id"], b.as_str());
    assert_eq!(ds[1]["status"], "pending");
    assert!(!r.text.contains(&secret_a));
    // Users see only their own.
    let bob = user_token("bob", app.now() + 60);
    app.call(Method::GET, &devices("alice"), Some(&bob), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(
        Method::DELETE,
        &format!("/v1/users/alice/devices/{a}"),
        Some(&bob),
        None,
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // bob cannot delete alice's device through his own path either.
    app.call(
        Method::DELETE,
        &format!("/v1/users/bob/devices/{a}"),
        Some(&bob),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/users/alice/devices/{a}"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    app.call(
        Method::DELETE,
        &format!("/v1/users/alice/devices/{a}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(
        Method::DELETE,
        "/v1/users/alice/devices/zzz",
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(device_count(&app, "alice").await, 1);
    // The removed device's codes no longer verify (no active device left: 409).
    app.clock.advance(30);
    app.verify("alice", &totp_sha1(&secret_a, app.now()))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn too_many_devices() {
    let app = TestApp::sqlite().await;
    for _ in 0..20 {
        app.pair("alice").await;
    }
    app.call(
        Method::POST,
        &devices("alice"),
        Some(SERVICE_KEY),
        Some(json!({"name": "p"})),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn verify_single_use_and_window() {
    let app = TestApp::sqlite().await;
    let (id, secret) = app.pair_active("alice").await;
    // Same step as the confirmation: used.
    app.verify("alice", &totp_sha1(&secret, app.now()))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    let r = app.verify("alice", &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"valid": true, "device_id": id}));
    let reused = app.verify("alice", &code).await;
    reused.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Next step (window +1) is accepted early; then the current one is older → refused.
    let next = totp_sha1(&secret, app.now() + 30);
    assert_eq!(app.verify("alice", &next).await.status, StatusCode::OK);
    app.clock.advance(30);
    let r = app
        .verify("alice", &totp_sha1(&secret, app.now() - 30))
        .await;
    r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Out of window: two steps away.
    app.clock.advance(300);
    let old = totp_sha1(&secret, app.now() - 60);
    let out = app.verify("alice", &old).await;
    out.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let future = app
        .verify("alice", &totp_sha1(&secret, app.now() + 60))
        .await;
    future.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // Previous step (window -1) still works when not yet used.
    assert_eq!(
        app.verify("alice", &totp_sha1(&secret, app.now() - 30))
            .await
            .status,
        StatusCode::OK
    );
    // The device shows when it was used.
    let r = app
        .call(Method::GET, &devices("alice"), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.json["devices"][0]["last_used_at"], "2026-11-24T12:06:00Z");
}

#[tokio::test]
async fn wrong_reused_and_out_of_window_look_the_same() {
    let app = TestApp::sqlite().await;
    let (_, secret) = app.pair_active("alice").await;
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    assert_eq!(app.verify("alice", &code).await.status, StatusCode::OK);
    let reused = app.verify("alice", &code).await;
    let outside = app
        .verify("alice", &totp_sha1(&secret, app.now() - 600))
        .await;
    let wrong_code = if code == "999999" { "999998" } else { "999999" };
    let wrong = app.verify("alice", wrong_code).await;
    for r in [&reused, &outside, &wrong] {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.text, wrong.text);
        assert_eq!(r.headers.get("retry-after"), None);
    }
}

#[tokio::test]
async fn verify_any_active_device() {
    let app = TestApp::sqlite().await;
    let (a, sa) = app.pair_active("alice").await;
    let (b, sb) = app.pair_active("alice").await;
    let (_, pending) = app.pair("alice").await;
    app.clock.advance(30);
    let r = app.verify("alice", &totp_sha1(&sb, app.now())).await;
    assert_eq!(r.json["device_id"], b.as_str(), "{}", r.text);
    let r = app.verify("alice", &totp_sha1(&sa, app.now())).await;
    assert_eq!(r.json["device_id"], a.as_str(), "{}", r.text);
    // A pending device's code is not accepted.
    app.verify("alice", &totp_sha1(&pending, app.now()))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    // A user without MFA.
    app.verify("nobody", "123456")
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    // User token on own and other user.
    app.clock.advance(30);
    let tok = user_token("alice", app.now() + 60);
    let r = app
        .call(
            Method::POST,
            "/v1/users/alice/verify",
            Some(&tok),
            Some(json!({"code": totp_sha1(&sa, app.now())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let bob = user_token("bob", app.now() + 60);
    app.call(
        Method::POST,
        "/v1/users/alice/verify",
        Some(&bob),
        Some(json!({"code": totp_sha1(&sb, app.now())})),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // Bad bodies.
    for body in [
        json!({}),
        json!({"code": 123456}),
        json!({"code": "12 3456"}),
        json!({"code": "123456", "device_id": a}),
    ] {
        app.call(
            Method::POST,
            "/v1/users/alice/verify",
            Some(SERVICE_KEY),
            Some(body),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // The pending device's failure was reset by the success after it; the bad bodies did not count.
    assert_eq!(
        app.state.store.user_state("alice").await.unwrap().failures,
        0
    );
}

#[tokio::test]
async fn lockout_escalates_and_resets() {
    let app = TestApp::sqlite().await;
    let (_, secret) = app.pair_active("alice").await;
    let wrong = |now: u64| {
        let good = totp_sha1(&secret, now);
        if good == "000000" {
            "111111".to_string()
        } else {
            "000000".to_string()
        }
    };
    for _ in 0..4 {
        app.verify("alice", &wrong(app.now()))
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    // Failures of confirm count too.
    let (pid, _) = app.pair("alice").await;
    app.call(
        Method::POST,
        &format!("/v1/users/alice/devices/{pid}/confirm"),
        Some(SERVICE_KEY),
        Some(json!({"code": "000000"})),
    )
    .await;
    // Locked: even the right code gets 429 with Retry-After.
    app.clock.advance(30);
    let r = app.verify("alice", &totp_sha1(&secret, app.now())).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(r.headers.get("retry-after").unwrap(), "30");
    let status = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert_eq!(status.json["locked_until"], "2026-11-24T12:01:00Z");
    // Other users are not affected.
    let (_, bs) = app.pair_active("bob").await;
    app.clock.advance(29);
    assert_eq!(
        app.verify("bob", &totp_sha1(&bs, app.now() + 30))
            .await
            .status,
        StatusCode::OK
    );
    app.verify("alice", &totp_sha1(&secret, app.now()))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    // Lock over: the right code works... but a second round of failures locks for twice as long.
    app.clock.advance(1);
    for _ in 0..5 {
        app.verify("alice", &wrong(app.now()))
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let r = app.verify("alice", &totp_sha1(&secret, app.now())).await;
    assert_eq!(r.headers.get("retry-after").unwrap(), "120");
    app.clock.advance(120);
    for _ in 0..5 {
        app.verify("alice", &wrong(app.now())).await;
    }
    let r = app.verify("alice", &totp_sha1(&secret, app.now())).await;
    assert_eq!(r.headers.get("retry-after").unwrap(), "240");
    // Success resets both the count and the escalation.
    app.clock.advance(240);
    assert_eq!(
        app.verify("alice", &totp_sha1(&secret, app.now()))
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..4 {
        app.verify("alice", &wrong(app.now())).await;
    }
    app.clock.advance(30);
    assert_eq!(
        app.verify("alice", &totp_sha1(&secret, app.now()))
            .await
            .status,
        StatusCode::OK
    );
    for _ in 0..5 {
        app.verify("alice", &wrong(app.now())).await;
    }
    let r = app.verify("alice", &wrong(app.now())).await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    assert_eq!(r.headers.get("retry-after").unwrap(), "60");
    let status = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert!(status.json.get("locked_until").is_some());
}

#[tokio::test]
async fn lock_is_capped() {
    let app = TestApp::with(Db::Sqlite, |c| {
        c.lockout_max_failures = 2;
        c.lockout_base_secs = 100;
        c.lockout_max_secs = 250;
    })
    .await;
    app.pair_active("alice").await;
    let mut expected = vec![100, 200, 250, 250];
    expected.reverse();
    while let Some(secs) = expected.pop() {
        app.verify("alice", "000000").await;
        app.verify("alice", "000000").await;
        let r = app.verify("alice", "000000").await;
        r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
        assert_eq!(r.headers.get("retry-after").unwrap(), &secs.to_string());
        app.clock.advance(secs);
    }
}

#[tokio::test]
async fn mfa_status() {
    let app = TestApp::sqlite().await;
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"enabled": false, "active_devices": 0, "backup_codes_remaining": 0})
    );
    app.pair("alice").await;
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.json["enabled"], false);
    app.pair_active("alice").await;
    app.pair_active("alice").await;
    let tok = user_token("alice", app.now() + 60);
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(&tok), None)
        .await;
    assert_eq!(
        r.json,
        json!({"enabled": true, "active_devices": 2, "backup_codes_remaining": 10})
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::sqlite().await;
    app.call(Method::GET, "/nope", None, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.call(
        Method::GET,
        "/v1/users/alice/verify",
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.call(
        Method::PUT,
        "/v1/users/alice/devices",
        Some(SERVICE_KEY),
        None,
    )
    .await
    .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::sqlite().await;
    let r = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.json, json!({"status": "ok"}));
    let r = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.json, json!({"status": "ok"}));
    assert!(r.headers.get("x-request-id").is_some());

    let (_, secret) = app.pair_active("alice").await;
    app.clock.advance(30);
    app.verify("alice", &totp_sha1(&secret, app.now())).await;
    app.verify("alice", "000001").await;
    let m = app.call(Method::GET, "/metrics", None, None).await;
    assert!(
        m.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = &m.text;
    assert!(
        text.contains(r#"twostep_verify_outcomes_total{outcome="valid"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"twostep_verify_outcomes_total{outcome="invalid"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"twostep_http_requests_total{method="POST",route="/v1/users/{user_id}/verify",status="422"} 1"#), "{text}");
    assert!(
        text.contains("twostep_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(!text.contains("alice"), "metrics must not carry user ids");

    // readyz fails once the database is gone.
    app.state.store.close().await;
    app.call(Method::GET, "/readyz", None, None)
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

/// Every route of the router, as (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/users/{user_id}/devices"),
    ("get", "/v1/users/{user_id}/devices"),
    ("delete", "/v1/users/{user_id}/devices/{device_id}"),
    ("post", "/v1/users/{user_id}/devices/{device_id}/confirm"),
    ("post", "/v1/users/{user_id}/verify"),
    ("get", "/v1/users/{user_id}/mfa"),
    ("post", "/v1/users/{user_id}/backup-codes"),
    ("get", "/v1/users/{user_id}/backup-codes"),
    ("post", "/v1/users/{user_id}/backup-codes/verify"),
    ("post", "/v1/users/{user_id}/mfa/disable"),
    ("post", "/v1/challenges"),
    ("get", "/v1/challenges/{challenge_id}"),
    ("post", "/v1/challenges/{challenge_id}/verify"),
    ("get", "/v1/jwks.json"),
    ("post", "/v1/trusted-devices/check"),
    ("get", "/v1/users/{user_id}/trusted-devices"),
    ("delete", "/v1/users/{user_id}/trusted-devices"),
    ("delete", "/v1/users/{user_id}/trusted-devices/{id}"),
    ("get", "/v1/users/{user_id}/events"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

#[tokio::test]
async fn openapi_lists_every_route() {
    let app = TestApp::sqlite().await;
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.json["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, ops) in paths {
        documented += ops.as_object().unwrap().len();
        for method in ops.as_object().unwrap().keys() {
            assert!(
                ROUTES.contains(&(method.as_str(), path.as_str())),
                "documented but not routed: {method} {path}"
            );
        }
    }
    assert_eq!(documented, ROUTES.len());
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is not documented"
        );
        // And the route exists in the router: not the JSON fallback 404 for unknown routes.
        let concrete = path
            .replace("{user_id}", "alice")
            .replace("{device_id}", "00000000-0000-4000-8000-000000000000")
            .replace("{challenge_id}", "00000000-0000-4000-8000-000000000000")
            .replace("{id}", "00000000-0000-4000-8000-000000000000");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = app.call(m, &concrete, Some(SERVICE_KEY), None).await;
        assert!(
            !(r.status == StatusCode::NOT_FOUND && r.json["error"]["message"] == "route not found")
                && r.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            r.text
        );
    }
    // Schemas of the wire types are there.
    let schemas = doc.json["components"]["schemas"].as_object().unwrap();
    for s in [
        "Device",
        "ErrorBody",
        "CreateDeviceRequest",
        "VerifyResponse",
        "MfaStatus",
        "BackupCodesResponse",
        "BackupCodeStatus",
        "BackupCodeVerifyResponse",
    ] {
        assert!(schemas.contains_key(s), "{s}");
    }
    assert!(doc.json["components"]["securitySchemes"]["bearer"].is_object());
}

/// Rasterises an SVG with resvg (4 px per unit, over white) and decodes it with rqrr.
fn decode_svg_qr(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size();
    let (w, h) = ((size.width() * 4.0) as u32, (size.height() * 4.0) as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(4.0, 4.0),
        &mut pixmap.as_mut(),
    );
    let data = pixmap.data().to_vec();
    let (w, h) = (w as usize, h as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let p = &data[(y * w + x) * 4..(y * w + x) * 4 + 4];
        let over_white = |c: u8| u32::from(c) + 255 - u32::from(p[3]);
        ((over_white(p[0]) + over_white(p[1]) + over_white(p[2])) / 3) as u8
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn create_device_with_svg_qr() {
    let app = TestApp::sqlite().await;
    let r = app
        .call(
            Method::POST,
            &format!("{}?qr=svg", devices("alice")),
            Some(SERVICE_KEY),
            Some(json!({"name": "p", "issuer": "Acme"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let svg = r.json["qr_svg"].as_str().unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..40.min(svg.len())]
    );
    // An independent decoder reads back exactly the key URI.
    assert_eq!(decode_svg_qr(svg), r.json["otpauth_uri"].as_str().unwrap());
}
