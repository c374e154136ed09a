//! The audit log (API.md "Audit events"), in process on SQLite and on PostgreSQL: a full
//! scenario yields exactly the expected events, newest first, with the client's ip (peer
//! address, or X-Forwarded-For only from trusted proxies) and user agent; pagination;
//! events survive a restart; no secret, code or backup code in any event or anywhere in
//! the database; an event is written in the same transaction as its change (an event that
//! cannot be written undoes the change, and a change that fails leaves no event).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// The proxy network the scenario trusts.
const PROXIES: &str = "10.0.0.0/8";
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) audit-test/1.0";

fn events_path(user: &str) -> String {
    format!("/v1/users/{user}/events")
}

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40000)
}

/// A 6-digit code that is none of the codes valid around `now` for `secret`.
fn wrong_code(secret: &str, now: u64) -> String {
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp_sha1(secret, *t))
        .collect();
    (0..10)
        .map(|i| format!("{i:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// All events of the user, newest first (one page of the largest size).
async fn all_events(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("{}?limit=200", events_path(user)),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["events"].as_array().unwrap().clone()
}

/// How a request reaches the server in the scenario, and the ip the log must show.
struct Via {
    peer: &'static str,
    xff: Option<&'static str>,
    expect_ip: &'static str,
}

/// Through the trusted proxy: the right-most untrusted X-Forwarded-For entry.
const PROXIED: Via = Via {
    peer: "10.1.2.3",
    xff: Some("192.0.2.66, 198.51.100.20, 10.9.9.9"),
    expect_ip: "198.51.100.20",
};
/// Straight from a client that sends a forged X-Forwarded-For: ignored.
const SPOOFING: Via = Via {
    peer: "203.0.113.77",
    xff: Some("10.0.0.1, 192.0.2.1"),
    expect_ip: "203.0.113.77",
};
/// Straight from a client over IPv6.
const DIRECT_V6: Via = Via {
    peer: "2001:db8::42",
    xff: None,
    expect_ip: "2001:db8::42",
};

async fn send(app: &TestApp, via: &Via, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut headers = vec![("user-agent", UA)];
    if let Some(xff) = via.xff {
        headers.push(("x-forwarded-for", xff));
    }
    app.call_from(method, path, body, peer(via.peer), &headers)
        .await
}

/// Runs the scenario for `user`; returns (secret, backup codes of both sets, TOTP codes
/// submitted, expected (kind, ip) newest first).
async fn scenario(app: &TestApp, user: &str) -> (String, Vec<String>, Vec<String>) {
    let devices = format!("/v1/users/{user}/devices");
    let r = send(
        app,
        &PROXIED,
        Method::POST,
        &devices,
        Some(json!({"name": "Pixel 8"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["device"]["id"].as_str().unwrap().to_string();
    let secret = r.json["secret"].as_str().unwrap().to_string();
    let confirm = format!("{devices}/{id}/confirm");
    let mut codes = Vec::new();

    let bad = wrong_code(&secret, app.now());
    codes.push(bad.clone());
    let r = send(
        app,
        &SPOOFING,
        Method::POST,
        &confirm,
        Some(json!({"code": bad})),
    )
    .await;
    r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");

    let good = totp_sha1(&secret, app.now());
    codes.push(good.clone());
    let r = send(
        app,
        &PROXIED,
        Method::POST,
        &confirm,
        Some(json!({"code": good})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut backup: Vec<String> = r.json["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();

    app.clock.advance(30);
    let verify = format!("/v1/users/{user}/verify");
    let good = totp_sha1(&secret, app.now());
    codes.push(good.clone());
    let r = send(
        app,
        &DIRECT_V6,
        Method::POST,
        &verify,
        Some(json!({"code": good})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Five failures lock (the default policy); the sixth request is refused unheard.
    let bad = wrong_code(&secret, app.now());
    codes.push(bad.clone());
    for _ in 0..5 {
        let r = send(
            app,
            &PROXIED,
            Method::POST,
            &verify,
            Some(json!({"code": bad})),
        )
        .await;
        r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    let r = send(
        app,
        &PROXIED,
        Method::POST,
        &verify,
        Some(json!({"code": bad})),
    )
    .await;
    r.assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");

    app.clock.advance(60);
    let r = send(
        app,
        &SPOOFING,
        Method::POST,
        &format!("/v1/users/{user}/backup-codes/verify"),
        Some(json!({"code": backup[3].to_uppercase()})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = send(
        app,
        &DIRECT_V6,
        Method::POST,
        &format!("/v1/users/{user}/backup-codes"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    backup.extend(
        r.json["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string()),
    );

    let r = send(
        app,
        &PROXIED,
        Method::DELETE,
        &format!("{devices}/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Failed changes leave no event: an unknown device, a device already gone.
    let r = send(
        app,
        &PROXIED,
        Method::DELETE,
        &format!("{devices}/{id}"),
        None,
    )
    .await;
    r.assert_error(StatusCode::NOT_FOUND, "not_found");
    (secret, backup, codes)
}

async fn full_scenario(app: TestApp) {
    let t0 = app.now();
    let (_, _, _) = scenario(&app, "alice").await;
    let events = all_events(&app, "alice").await;
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["ip"].as_str().unwrap()))
        .collect();
    let failed = ("verify_failed", PROXIED.expect_ip);
    assert_eq!(
        got,
        [
            ("device_removed", PROXIED.expect_ip),
            ("backup_codes_generated", DIRECT_V6.expect_ip),
            ("backup_code_used", SPOOFING.expect_ip),
            ("locked", PROXIED.expect_ip),
            failed,
            failed,
            failed,
            failed,
            failed,
            ("verify_succeeded", DIRECT_V6.expect_ip),
            ("device_confirmed", PROXIED.expect_ip),
            ("verify_failed", SPOOFING.expect_ip),
            ("device_created", PROXIED.expect_ip),
        ]
    );
    // Ids are decimal strings, strictly decreasing; every event has the user agent.
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert!(events.iter().all(|e| e["user_agent"] == UA));
    // Times: the manual clock at each step.
    let at = |t: u64| twostep_server::domain::rfc3339(t as i64);
    assert_eq!(events[12]["at"], at(t0));
    assert_eq!(events[9]["at"], at(t0 + 30));
    assert_eq!(events[3]["at"], at(t0 + 30));
    assert_eq!(events[0]["at"], at(t0 + 90));
    // Details.
    let device_id = events[12]["detail"]["device_id"].as_str().unwrap();
    assert_eq!(
        events[12]["detail"],
        json!({"device_id": device_id, "name": "Pixel 8"})
    );
    assert_eq!(
        events[11]["detail"],
        json!({"method": "confirm", "device_id": device_id})
    );
    assert_eq!(
        events[10]["detail"],
        json!({"device_id": device_id, "backup_codes_issued": true})
    );
    assert_eq!(
        events[9]["detail"],
        json!({"device_id": device_id, "method": "totp"})
    );
    assert_eq!(events[8]["detail"], json!({"method": "totp"}));
    assert_eq!(
        events[3]["detail"],
        json!({"lock_secs": 60, "locked_until": at(t0 + 90)})
    );
    assert_eq!(events[2]["detail"], json!({"remaining": 9}));
    assert_eq!(events[1]["detail"], json!({"count": 10}));
    assert_eq!(events[0]["detail"], json!({"device_id": device_id}));
    // Another user's log is empty.
    assert!(all_events(&app, "bob").await.is_empty());
}

#[tokio::test]
async fn full_scenario_sqlite() {
    full_scenario(
        TestApp::with(Db::Sqlite, |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}

#[tokio::test]
async fn full_scenario_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    full_scenario(
        TestApp::with(Db::Postgres(url), |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}
