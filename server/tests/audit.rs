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
use std::collections::HashSet;
use std::net::SocketAddr;
use twostep_server::store::Store;

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

/// Runs the scenario for `user`: create a device, a failed confirm, confirm, verify, five
/// failures that lock, a refused attempt while locked, a backup code, regeneration, removal,
/// a refused removal. Returns (secret, key URI, backup codes of both sets, TOTP codes sent).
async fn scenario(app: &TestApp, user: &str) -> (String, String, Vec<String>, Vec<String>) {
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
    let uri = r.json["otpauth_uri"].as_str().unwrap().to_string();
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
    (secret, uri, backup, codes)
}

async fn full_scenario(app: TestApp) {
    let t0 = app.now();
    scenario(&app, "alice").await;
    let events = all_events(&app, "alice").await;
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["ip"].as_str().unwrap()))
        .collect();
    let failed = ("verify_failed", PROXIED.expect_ip);
    assert_eq!(
        got,
        [
            ("mfa_disabled", PROXIED.expect_ip),
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
    assert_eq!(events[13]["at"], at(t0));
    assert_eq!(events[10]["at"], at(t0 + 30));
    assert_eq!(events[4]["at"], at(t0 + 30));
    assert_eq!(events[1]["at"], at(t0 + 90));
    assert_eq!(events[0]["at"], at(t0 + 90));
    // Details.
    let device_id = events[13]["detail"]["device_id"].as_str().unwrap();
    assert_eq!(
        events[13]["detail"],
        json!({"device_id": device_id, "name": "Pixel 8"})
    );
    assert_eq!(
        events[12]["detail"],
        json!({"method": "confirm", "device_id": device_id})
    );
    assert_eq!(
        events[11]["detail"],
        json!({"device_id": device_id, "backup_codes_issued": true})
    );
    assert_eq!(
        events[10]["detail"],
        json!({"device_id": device_id, "method": "totp"})
    );
    assert_eq!(events[9]["detail"], json!({"method": "totp"}));
    assert_eq!(
        events[4]["detail"],
        json!({"lock_secs": 60, "locked_until": at(t0 + 90)})
    );
    assert_eq!(events[3]["detail"], json!({"remaining": 9}));
    assert_eq!(events[2]["detail"], json!({"count": 10}));
    assert_eq!(events[1]["detail"], json!({"device_id": device_id}));
    // The removed device was the last active one: MFA went off with it.
    assert_eq!(
        events[0]["detail"],
        json!({"reason": "last_device_removed", "devices": 1, "backup_codes": 10,
            "trusted_devices": 0, "challenges": 0})
    );
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

/// Pages of `limit` following `before`, until an empty page; each page newest first.
async fn pages(app: &TestApp, user: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("{}?limit={limit}", events_path(user));
        if let Some(b) = &before {
            path.push_str(&format!("&before={b}"));
        }
        let r = app.call(Method::GET, &path, Some(SERVICE_KEY), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let page = r.json["events"].as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        assert!(page.len() <= limit as usize);
        before = Some(page.last().unwrap()["id"].as_str().unwrap().to_string());
        out.push(page);
    }
}

async fn pagination(app: TestApp) {
    let (_, secret) = app.pair_active("pat").await;
    let bad = wrong_code(&secret, app.now());
    for _ in 0..205 {
        app.verify("pat", &bad)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    // Someone else's events interleave in the table but never show.
    app.pair("other").await;
    let all = all_events(&app, "pat").await;
    assert_eq!(all.len(), 200, "limit=200 is honoured");
    // Default page size: 50, the newest.
    let r = app
        .call(Method::GET, &events_path("pat"), Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = r.json["events"].as_array().unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(first[..], all[..50]);
    // Pages of several sizes: complete, in order, without overlap.
    for limit in [1, 7, 50, 200] {
        let got = pages(&app, "pat", limit).await;
        let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
        let total: usize = sizes.iter().sum();
        assert_eq!(total, 207, "limit {limit}: {sizes:?}");
        assert!(
            sizes[..sizes.len() - 1]
                .iter()
                .all(|n| *n == limit as usize)
        );
        let flat: Vec<Value> = got.into_iter().flatten().collect();
        let ids: Vec<i64> = flat
            .iter()
            .map(|e| e["id"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "strictly newest first");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 207);
        assert_eq!(flat[..200], all[..]);
        assert_eq!(flat[206]["kind"], "device_created");
        assert_eq!(flat[205]["kind"], "device_confirmed");
        assert!(flat[..205].iter().all(|e| e["kind"] == "verify_failed"));
    }
    // `before` the oldest event: nothing; a `before` past the newest: from the newest.
    let oldest = all_pages_oldest_id(&app).await;
    let r = app
        .call(
            Method::GET,
            &format!("{}?before={oldest}", events_path("pat")),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json["events"], json!([]));
    let r = app
        .call(
            Method::GET,
            &format!("{}?limit=1&before=9223372036854775807", events_path("pat")),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(r.json["events"][0], all[0]);
}

async fn all_pages_oldest_id(app: &TestApp) -> String {
    let got = pages(app, "pat", 200).await;
    got.last().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn pagination_sqlite() {
    pagination(TestApp::with(Db::Sqlite, |c| c.lockout_max_failures = 1000).await).await;
}

#[tokio::test]
async fn pagination_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    pagination(TestApp::with(Db::Postgres(url), |c| c.lockout_max_failures = 1000).await).await;
}

#[tokio::test]
async fn bad_queries_and_other_users_are_refused() {
    let app = TestApp::sqlite().await;
    app.pair("alice").await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "limit=",
        "before=0",
        "before=-5",
        "before=%2B5",
        "before=abc",
        "before=",
        "before=99999999999999999999",
        "after=1",
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("{}?{query}", events_path("alice")),
                Some(SERVICE_KEY),
                None,
            )
            .await;
        r.assert_error(StatusCode::BAD_REQUEST, "bad_request");
    }
    // The bounds themselves are fine.
    for query in ["limit=1", "limit=200", "before=1"] {
        let r = app
            .call(
                Method::GET,
                &format!("{}?{query}", events_path("alice")),
                Some(SERVICE_KEY),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
    }
    // A user token reads its own user's log only; no token, no log.
    let alice = user_token("alice", app.now() + 600);
    let r = app
        .call(Method::GET, &events_path("alice"), Some(&alice), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["events"][0]["kind"], "device_created");
    app.call(Method::GET, &events_path("bob"), Some(&alice), None)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.call(Method::GET, &events_path("alice"), None, None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Without connect info (in process) and without a User-Agent, both are absent.
    let e = &r.json["events"][0];
    assert!(
        e.get("ip").is_none() && e.get("user_agent").is_none(),
        "{e}"
    );
}

async fn survives_restart(mut app: TestApp) {
    scenario(&app, "rita").await;
    let before = all_events(&app, "rita").await;
    assert_eq!(before.len(), 14);
    app.restart().await;
    assert_eq!(all_events(&app, "rita").await, before);
    // And the log goes on after the restart, with new ids above the old ones.
    app.pair("rita").await;
    let after = all_events(&app, "rita").await;
    assert_eq!(after.len(), 15);
    assert_eq!(after[0]["kind"], "device_created");
    assert_eq!(after[1..], before[..]);
    let id = |e: &Value| e["id"].as_str().unwrap().parse::<i64>().unwrap();
    assert!(id(&after[0]) > id(&after[1]));
}

#[tokio::test]
async fn events_survive_a_restart_sqlite() {
    survives_restart(
        TestApp::with(Db::Sqlite, |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}

#[tokio::test]
async fn events_survive_a_restart_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    survives_restart(
        TestApp::with(Db::Postgres(url), |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}

/// The stored events, every text column of every row, as one string.
async fn events_table(app: &TestApp) -> String {
    let sql = "SELECT kind || '|' || COALESCE(ip, '') || '|' || COALESCE(user_agent, '') \
               || '|' || COALESCE(detail, '') FROM events";
    let rows: Vec<String> = match &app.state.store {
        Store::Sqlite(db) => sqlx::query_scalar(sql).fetch_all(&db.reader).await,
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .unwrap();
    rows.join("\n")
}

async fn nothing_secret(app: TestApp) {
    let (secret, uri, backup, codes) = scenario(&app, "sam").await;
    let stored = events_table(&app).await;
    assert!(
        stored.contains("device_removed") && stored.contains(UA),
        "{stored}"
    );
    let served = serde_json::to_string(&all_events(&app, "sam").await).unwrap();
    let token = user_token("sam", app.now() + 600);
    // In the events, as stored and as served: no secret, key URI, TOTP or backup code, or
    // token. (TOTP codes are looked for in the text columns only: six digits can occur by
    // chance inside a timestamp or an id.)
    for text in [&stored, &served] {
        for enc in secret_encodings(&secret) {
            assert!(
                !contains(text.as_bytes(), &enc),
                "a secret encoding in {text}"
            );
        }
        for b in &backup {
            for enc in code_encodings(b) {
                assert!(!contains(text.as_bytes(), &enc), "a backup code in {text}");
            }
        }
        for t in [uri.as_str(), SERVICE_KEY, token.as_str(), "otpauth"] {
            assert!(!text.contains(t), "{t} in {text}");
        }
    }
    for c in &codes {
        assert!(!stored.contains(c.as_str()), "code {c} in {stored}");
    }
    // Nor anywhere in the database, the events table included.
    let bytes = dump(&app).await;
    assert!(
        contains(&bytes, b"backup_code_used"),
        "the dump has the events"
    );
    assert!(contains(&bytes, UA.as_bytes()));
    for enc in secret_encodings(&secret) {
        assert!(
            !contains(&bytes, &enc),
            "a secret leaked ({} bytes)",
            enc.len()
        );
    }
    for b in &backup {
        for enc in code_encodings(b) {
            assert!(
                !contains(&bytes, &enc),
                "a backup code leaked ({} bytes)",
                enc.len()
            );
        }
    }
    for t in [uri.as_str(), SERVICE_KEY, token.as_str()] {
        assert!(!contains(&bytes, t.as_bytes()), "{t} leaked");
    }
}

#[tokio::test]
async fn no_secret_code_or_token_in_events_sqlite() {
    nothing_secret(
        TestApp::with(Db::Sqlite, |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}

#[tokio::test]
async fn no_secret_code_or_token_in_events_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    nothing_secret(
        TestApp::with(Db::Postgres(url), |c| {
            c.trusted_proxies = vec![PROXIES.parse().unwrap()]
        })
        .await,
    )
    .await;
}

/// Makes every insert into `events` (or only those of `kind`) fail inside the database.
async fn kinds(app: &TestApp, user: &str) -> Vec<String> {
    all_events(app, user)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Each change is tried while its event cannot be written: the request fails (500) and the
/// change is not made; once events can be written again, the very same request succeeds.
/// So the event and its change commit together or not at all.
async fn same_transaction(app: TestApp) {
    let user = "tess";
    let devices = format!("/v1/users/{user}/devices");
    let internal = |r: Reply| r.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");

    // Create: no device without its event.
    break_events(&app, None).await;
    internal(
        app.call(
            Method::POST,
            &devices,
            Some(SERVICE_KEY),
            Some(json!({"name": "p"})),
        )
        .await,
    );
    fix_events(&app).await;
    let list = app
        .call(Method::GET, &devices, Some(SERVICE_KEY), None)
        .await;
    assert_eq!(list.json["devices"], json!([]), "{}", list.text);

    // Confirm: the device stays pending, no codes, and the code is not used up.
    let (id, secret) = app.pair(user).await;
    let confirm = format!("{devices}/{id}/confirm");
    let code = totp_sha1(&secret, app.now());
    break_events(&app, None).await;
    internal(
        app.call(
            Method::POST,
            &confirm,
            Some(SERVICE_KEY),
            Some(json!({"code": code})),
        )
        .await,
    );
    fix_events(&app).await;
    let list = app
        .call(Method::GET, &devices, Some(SERVICE_KEY), None)
        .await;
    assert_eq!(list.json["devices"][0]["status"], "pending");
    let mfa = app
        .call(
            Method::GET,
            &format!("/v1/users/{user}/mfa"),
            Some(SERVICE_KEY),
            None,
        )
        .await;
    assert_eq!(mfa.json["backup_codes_remaining"], 0);
    let r = app
        .call(
            Method::POST,
            &confirm,
            Some(SERVICE_KEY),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let backup: Vec<String> = r.json["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();

    // Verify: the step is not consumed.
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    break_events(&app, None).await;
    internal(app.verify(user, &code).await);
    fix_events(&app).await;
    assert_eq!(app.verify(user, &code).await.status, StatusCode::OK);

    // A failure: not counted.
    let bad = wrong_code(&secret, app.now());
    break_events(&app, None).await;
    internal(app.verify(user, &bad).await);
    fix_events(&app).await;
    assert_eq!(app.state.store.user_state(user).await.unwrap().failures, 0);

    // A backup code: not used up.
    let use_code = format!("/v1/users/{user}/backup-codes/verify");
    break_events(&app, None).await;
    internal(
        app.call(
            Method::POST,
            &use_code,
            Some(SERVICE_KEY),
            Some(json!({"code": backup[0]})),
        )
        .await,
    );
    fix_events(&app).await;
    let r = app
        .call(
            Method::POST,
            &use_code,
            Some(SERVICE_KEY),
            Some(json!({"code": backup[0]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["remaining"], 9);

    // Regenerate: the old set stays.
    let regen = format!("/v1/users/{user}/backup-codes");
    break_events(&app, None).await;
    internal(
        app.call(Method::POST, &regen, Some(SERVICE_KEY), None)
            .await,
    );
    fix_events(&app).await;
    let r = app
        .call(
            Method::POST,
            &use_code,
            Some(SERVICE_KEY),
            Some(json!({"code": backup[1]})),
        )
        .await;
    assert_eq!(r.json["remaining"], 8, "{}", r.text);
    let r = app
        .call(Method::POST, &regen, Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // The failure that locks: its `locked` event fails after its `verify_failed` event was
    // written in the same transaction; both vanish, and the count is not touched.
    for _ in 0..4 {
        app.verify(user, &bad)
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    }
    break_events(&app, Some("locked")).await;
    internal(app.verify(user, &bad).await);
    let state = app.state.store.user_state(user).await.unwrap();
    assert_eq!((state.failures, state.locked_until), (4, 0));
    fix_events(&app).await;
    let r = app.verify(user, &bad).await;
    r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    app.verify(user, &code)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "locked");
    app.clock.advance(60);

    // Remove: the device stays.
    let remove = format!("{devices}/{id}");
    break_events(&app, None).await;
    internal(
        app.call(Method::DELETE, &remove, Some(SERVICE_KEY), None)
            .await,
    );
    fix_events(&app).await;
    let list = app
        .call(Method::GET, &devices, Some(SERVICE_KEY), None)
        .await;
    assert_eq!(list.json["devices"][0]["id"], id.as_str());
    let r = app
        .call(Method::DELETE, &remove, Some(SERVICE_KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // The log holds exactly the changes that happened.
    let mut expected = vec!["mfa_disabled", "device_removed", "locked", "verify_failed"];
    expected.extend(["verify_failed"; 4]);
    expected.extend([
        "backup_codes_generated",
        "backup_code_used",
        "backup_code_used",
        "verify_succeeded",
        "device_confirmed",
        "device_created",
    ]);
    assert_eq!(kinds(&app, user).await, expected);
}

#[tokio::test]
async fn events_share_the_transaction_of_their_change_sqlite() {
    same_transaction(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn events_share_the_transaction_of_their_change_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    same_transaction(TestApp::with(Db::Postgres(url), |_| {}).await).await;
}

/// The real binary serves with connect info: events carry the peer address, and
/// X-Forwarded-For only counts from a proxy configured in TWOSTEP_TRUSTED_PROXIES.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_records_the_peer_and_trusted_forwarded_for() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    let key = twostep_server::crypto::KeyRing::generate_entry().unwrap();
    let http = reqwest::Client::new();
    let create = |base: String, xff: Option<&'static str>| {
        let mut req = http
            .post(format!("{base}/v1/users/bin/devices"))
            .bearer_auth(SERVICE_KEY)
            .header("user-agent", "binary-test/2")
            .json(&json!({"name": "p"}));
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send()
    };
    let events = |base: String| {
        http.get(format!("{base}/v1/users/bin/events"))
            .bearer_auth(SERVICE_KEY)
            .send()
    };
    {
        let server = spawn_binary(&url, &key, &[]);
        for xff in [None, Some("198.51.100.9")] {
            let r = create(server.base.clone(), xff).await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }
    {
        let server = spawn_binary(
            &url,
            &key,
            &[("TWOSTEP_TRUSTED_PROXIES", "192.0.2.0/24, 127.0.0.1")],
        );
        let r = create(server.base.clone(), Some("198.51.100.9, 192.0.2.10"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let list: Value = events(server.base.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let got: Vec<(&str, &str)> = list["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["ip"].as_str().unwrap(), e["user_agent"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("198.51.100.9", "binary-test/2"),
                ("127.0.0.1", "binary-test/2"),
                ("127.0.0.1", "binary-test/2"),
            ]
        );
    }
}

/// Twenty simultaneous submissions of one valid code: one success, and the log says so
/// exactly once (the other nineteen are failures, each with its event).
async fn concurrent_replays(app: TestApp) {
    let (_, secret) = app.pair_active("cora").await;
    app.clock.advance(30);
    let code = totp_sha1(&secret, app.now());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let router = app.router.clone();
        let code = code.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::post("/v1/users/cora/verify")
                .header("authorization", format!("Bearer {SERVICE_KEY}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(json!({ "code": code }).to_string()))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!((ok, refused), (1, 19), "{statuses:?}");
    let kinds = kinds(&app, "cora").await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("verify_succeeded"), 1, "{kinds:?}");
    assert_eq!(count("verify_failed"), 19, "{kinds:?}");
    assert_eq!(kinds.len(), 22, "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replays_log_one_success_sqlite() {
    concurrent_replays(TestApp::with(Db::Sqlite, |c| c.lockout_max_failures = 100).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replays_log_one_success_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    concurrent_replays(TestApp::with(Db::Postgres(url), |c| c.lockout_max_failures = 100).await)
        .await;
}
