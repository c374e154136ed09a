//! Removing devices one by one (API.md "Devices", `DELETE /v1/users/{id}/devices/{device_id}`),
//! in process on SQLite and PostgreSQL: while an active device remains, only the device goes;
//! the removal that leaves no active device turns MFA off like `mfa/disable`: backup codes,
//! trusted devices and pending challenges go in the same transaction (a device being paired
//! stays), logged as `device_removed` then `mfa_disabled`, also when the last two active
//! devices are removed at the same time; a later enrolment starts clean; and a success racing
//! the removal of MFA never deadlocks (one lock order: the user's row first).
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use twostep_server::store::Store;

/// Enables MFA for `user` with a first device; its id, secret and the backup codes.
async fn enable_device(app: &TestApp, user: &str) -> (String, String, Vec<String>) {
    let (id, secret, r) = app.pair_confirmed(user).await;
    let codes = backup_codes(&r);
    assert_eq!(codes.len(), 10, "{}", r.text);
    (id, secret, codes)
}

/// Passes a challenge with `backup_code`, remembering the device; the trusted-device token.
async fn remember(app: &TestApp, user: &str, backup_code: &str) -> String {
    let id = app.create_challenge(json!({"user_id": user})).await;
    let r = app
        .call(
            Method::POST,
            &format!("/v1/challenges/{id}/verify"),
            Some(SERVICE_KEY),
            Some(json!({"backup_code": backup_code, "remember_device": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["trusted_device"]["token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn trusted(app: &TestApp, user: &str, token: &str) -> bool {
    let r = app
        .call(
            Method::POST,
            "/v1/trusted-devices/check",
            Some(SERVICE_KEY),
            Some(json!({"user_id": user, "token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["trusted"].as_bool().unwrap()
}

async fn remaining_codes(app: &TestApp, user: &str) -> i64 {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/users/{user}/backup-codes"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["remaining"].as_i64().unwrap()
}

async fn use_code(app: &TestApp, user: &str, code: &str) -> Reply {
    app.call(
        Method::POST,
        &format!("/v1/users/{user}/backup-codes/verify"),
        Some(SERVICE_KEY),
        Some(json!({ "code": code })),
    )
    .await
}

async fn challenge_status(app: &TestApp, id: &str) -> Reply {
    app.call(
        Method::GET,
        &format!("/v1/challenges/{id}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
}

async fn remove(app: &TestApp, user: &str, device: &str) -> Reply {
    app.call(
        Method::DELETE,
        &format!("/v1/users/{user}/devices/{device}"),
        Some(SERVICE_KEY),
        None,
    )
    .await
}

/// The user's events, newest first.
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
    r.json["events"].as_array().unwrap().clone()
}

async fn count_where(store: &Store, table: &str, condition: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {condition}");
    match store {
        Store::Sqlite(db) => sqlx::query_scalar(&sql).fetch_one(&db.reader).await,
        Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// Rows of `user`: devices (any status), backup codes (used or not), trusted devices,
/// pending challenges.
async fn rows_of(app: &TestApp, user: &str) -> [i64; 4] {
    let store = &app.state.store;
    let of = format!("user_id = '{user}'");
    [
        count_where(store, "devices", &of).await,
        count_where(store, "backup_codes", &of).await,
        count_where(store, "trusted_devices", &of).await,
        count_where(store, "challenges", &format!("{of} AND status = 'pending'")).await,
    ]
}

/// Two active devices, backup codes, a trusted device, a pending challenge: removing a pending
/// device or one active device clears nothing; removing the last active one clears it all,
/// logged as `device_removed` then `mfa_disabled`; re-enrolment gives a fresh set and the old
/// trusted token stays refused.
async fn last_active_device_turns_mfa_off(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (a, secret_a, codes) = enable_device(&app, "alice").await;
    app.clock.advance(30);
    let (b, secret_b) = app.pair_active("alice").await;
    let token = remember(&app, "alice", &codes[0]).await;
    let pending_challenge = app.create_challenge(json!({"user_id": "alice"})).await;
    // bob's second factor must not be touched by anything alice does.
    let (_, _, bobs) = enable_device(&app, "bob").await;
    let bobs_token = remember(&app, "bob", &bobs[0]).await;
    let bob_rows = rows_of(&app, "bob").await;
    assert_eq!(bob_rows, [1, 10, 1, 0]);
    assert_eq!(rows_of(&app, "alice").await, [2, 10, 1, 1]);

    // A pending device with two active ones: only that device goes.
    let (p, _) = app.pair("alice").await;
    assert_eq!(
        remove(&app, "alice", &p).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(rows_of(&app, "alice").await, [2, 10, 1, 1]);

    // One of two active devices: the other keeps MFA on, nothing else goes.
    let r = remove(&app, "alice", &a).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(r.text.is_empty());
    assert_eq!(rows_of(&app, "alice").await, [1, 10, 1, 1]);
    assert!(trusted(&app, "alice", &token).await);
    assert_eq!(remaining_codes(&app, "alice").await, 9);
    assert_eq!(
        challenge_status(&app, &pending_challenge).await.json["status"],
        "pending"
    );
    // A pending device next to the one active device: still nothing else goes.
    let (p, _) = app.pair("alice").await;
    assert_eq!(
        remove(&app, "alice", &p).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(rows_of(&app, "alice").await, [1, 10, 1, 1]);
    // Removing an unknown device, or another user's, changes nothing.
    let (bob_device, _) = app.pair("bob").await;
    remove(&app, "alice", &bob_device)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        remove(&app, "bob", &bob_device).await.status,
        StatusCode::NO_CONTENT
    );
    remove(&app, "alice", &a)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(rows_of(&app, "alice").await, [1, 10, 1, 1]);
    // A code still works on the remaining device, and a backup code too.
    app.clock.advance(30);
    let r = app.verify("alice", &totp_sha1(&secret_b, app.now())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        use_code(&app, "alice", &codes[1]).await.status,
        StatusCode::OK
    );

    // The last active device: everything that made up alice's MFA goes with it, in one
    // request that still answers 204; a device being paired stays.
    let (pairing, pairing_secret) = app.pair("alice").await;
    app.clock.advance(30);
    let r = app
        .call_from(
            Method::DELETE,
            &format!("/v1/users/alice/devices/{b}"),
            None,
            "192.0.2.7:50000".parse().unwrap(),
            &[("user-agent", "phone-settings/1.0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(r.text.is_empty());
    assert_eq!(rows_of(&app, "alice").await, [1, 0, 0, 0]);
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    let listed = r.json["devices"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", r.text);
    assert_eq!(
        (&listed[0]["id"], &listed[0]["status"]),
        (&json!(pairing), &json!("pending"))
    );
    assert_eq!(rows_of(&app, "bob").await, bob_rows, "bob untouched");
    assert!(trusted(&app, "bob", &bobs_token).await);
    assert!(!trusted(&app, "alice", &token).await);
    assert_eq!(remaining_codes(&app, "alice").await, 0);
    use_code(&app, "alice", &codes[2])
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    challenge_status(&app, &pending_challenge)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .call(Method::GET, "/v1/users/alice/mfa", Some(SERVICE_KEY), None)
        .await;
    assert_eq!(
        r.json,
        json!({"enabled": false, "active_devices": 0, "backup_codes_remaining": 0})
    );
    app.verify("alice", &totp_sha1(&secret_b, app.now()))
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

    // The log, newest first: the turning-off, the removals before it, nothing secret.
    let log = events(&app, "alice").await;
    let kinds: Vec<&str> = log[..5]
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "mfa_disabled",
            "device_removed",
            "device_created",
            "backup_code_used",
            "verify_succeeded"
        ]
    );
    assert_eq!(
        log[0]["detail"],
        json!({"reason": "last_device_removed", "devices": 1, "backup_codes": 10,
            "trusted_devices": 1, "challenges": 1}),
        "the device, the whole code set, the trusted device and the pending challenge"
    );
    assert_eq!(log[1]["detail"], json!({"device_id": b}));
    assert_eq!(log[2]["detail"]["device_id"], pairing.as_str());
    for e in &log[..2] {
        assert_eq!(
            (&e["ip"], &e["user_agent"], &e["at"]),
            (
                &json!("192.0.2.7"),
                &json!("phone-settings/1.0"),
                &log[0]["at"]
            ),
            "both from the one request: {e}"
        );
    }
    let removed = log.iter().filter(|e| e["kind"] == "device_removed").count();
    assert_eq!(removed, 4, "p, a, p, b");
    assert_eq!(
        log.iter().filter(|e| e["kind"] == "mfa_disabled").count(),
        1,
        "only the last active device turned MFA off"
    );
    let text = serde_json::to_string(&log).unwrap();
    for secret in [&token, &codes[3], &secret_a, &secret_b] {
        assert!(!text.contains(secret.as_str()), "a secret in the log");
    }

    // Enrolling again (confirming the device paired before) starts clean: a fresh set, the
    // old codes and token stay refused.
    app.clock.advance(30);
    let r = app
        .call(
            Method::POST,
            &format!("/v1/users/alice/devices/{pairing}/confirm"),
            Some(SERVICE_KEY),
            Some(json!({"code": totp_sha1(&pairing_secret, app.now())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh: Vec<String> = r.json["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(fresh.len(), 10, "{}", r.text);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    assert_eq!(remaining_codes(&app, "alice").await, 10);
    assert!(!trusted(&app, "alice", &token).await);
    use_code(&app, "alice", &codes[3])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    assert_eq!(
        use_code(&app, "alice", &fresh[0]).await.status,
        StatusCode::OK
    );
    let r = app
        .call(
            Method::GET,
            "/v1/users/alice/trusted-devices",
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json, json!({"trusted_devices": []}));
}

/// The turning-off is part of the removal's transaction: if its `mfa_disabled` event cannot
/// be written, the removal fails (500) and nothing at all changes; then it succeeds.
async fn one_transaction(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    let (a, _, codes) = enable_device(&app, "alice").await;
    let token = remember(&app, "alice", &codes[0]).await;
    app.create_challenge(json!({"user_id": "alice"})).await;
    let before = rows_of(&app, "alice").await;
    assert_eq!(before, [1, 10, 1, 1]);
    let events_before = events(&app, "alice").await.len();
    break_events(&app, Some("mfa_disabled")).await;
    remove(&app, "alice", &a)
        .await
        .assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert_eq!(rows_of(&app, "alice").await, before);
    assert!(trusted(&app, "alice", &token).await);
    assert_eq!(events(&app, "alice").await.len(), events_before);
    fix_events(&app).await;
    assert_eq!(
        remove(&app, "alice", &a).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(rows_of(&app, "alice").await, [0, 0, 0, 0]);
    assert!(!trusted(&app, "alice", &token).await);
}

/// Two simultaneous removals of a user's last two active devices: whichever commits second
/// sees no active device left, so everything is cleared and `mfa_disabled` is logged once.
/// Repeated, with the removals in both orders.
async fn concurrent_removal_of_last_two(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    for round in 0..8 {
        let user = format!("user{round}");
        let (a, _, codes) = enable_device(&app, &user).await;
        app.clock.advance(30);
        let (b, _) = app.pair_active(&user).await;
        let token = remember(&app, &user, &codes[0]).await;
        app.create_challenge(json!({"user_id": &user})).await;
        assert_eq!(rows_of(&app, &user).await, [2, 10, 1, 1]);
        let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (r1, r2) = tokio::join!(remove(&app, &user, first), remove(&app, &user, second));
        assert_eq!(r1.status, StatusCode::NO_CONTENT, "{}", r1.text);
        assert_eq!(r2.status, StatusCode::NO_CONTENT, "{}", r2.text);
        assert_eq!(rows_of(&app, &user).await, [0, 0, 0, 0], "round {round}");
        assert!(!trusted(&app, &user, &token).await);
        assert_eq!(remaining_codes(&app, &user).await, 0);
        use_code(&app, &user, &codes[1])
            .await
            .assert_error(StatusCode::CONFLICT, "conflict");
        let kinds: Vec<String> = events(&app, &user).await[..3]
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["mfa_disabled", "device_removed", "device_removed"]);
        // Re-enrolment afterwards: a fresh set, the old token still refused.
        let (_, _, fresh) = enable_device(&app, &user).await;
        assert!(fresh.iter().all(|c| !codes.contains(c)));
        assert!(!trusted(&app, &user, &token).await);
    }
}

/// A successful verification racing the removal of MFA (device removal or `mfa/disable`),
/// after a failure so that the success also clears the failure count: every path takes the
/// user's row before the device or code rows, so neither request deadlocks on PostgreSQL
/// (a 500); each answers as if it ran first or second, and MFA ends up off. Repeated, with
/// TOTP and backup codes, removal and disable.
async fn verify_racing_mfa_removal(db: Db) {
    let app = TestApp::with(db, |_| {}).await;
    for round in 0..24 {
        let user = format!("racer{round}");
        let (device, secret, codes) = enable_device(&app, &user).await;
        app.clock.advance(30);
        let wrong = if totp_sha1(&secret, app.now()) == "000000" {
            "111111"
        } else {
            "000000"
        };
        let r = app
            .call(
                Method::POST,
                &format!("/v1/users/{user}/verify"),
                Some(SERVICE_KEY),
                Some(json!({ "code": wrong })),
            )
            .await;
        r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
        let proof = async {
            if round % 2 == 0 {
                app.call(
                    Method::POST,
                    &format!("/v1/users/{user}/verify"),
                    Some(SERVICE_KEY),
                    Some(json!({ "code": totp_sha1(&secret, app.now()) })),
                )
                .await
            } else {
                use_code(&app, &user, &codes[0]).await
            }
        };
        let removal = async {
            if round % 4 < 2 {
                remove(&app, &user, &device).await
            } else {
                app.call(
                    Method::POST,
                    &format!("/v1/users/{user}/mfa/disable"),
                    Some(SERVICE_KEY),
                    Some(json!({})),
                )
                .await
            }
        };
        let (proved, removed) = tokio::join!(proof, removal);
        assert!(
            [
                StatusCode::OK,
                StatusCode::CONFLICT,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(&proved.status),
            "round {round}: {} {}",
            proved.status,
            proved.text
        );
        assert_eq!(
            removed.status,
            StatusCode::NO_CONTENT,
            "round {round}: {}",
            removed.text
        );
        assert_eq!(rows_of(&app, &user).await, [0, 0, 0, 0], "round {round}");
    }
}

on_both!(
    last_active_device_turns_mfa_off,
    one_transaction,
    concurrent_removal_of_last_two,
    verify_racing_mfa_removal,
);
