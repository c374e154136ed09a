//! End-to-end through a real listener on 127.0.0.1 and an HTTP client, on real time:
//! pairing, single use, lockout and recovery; and concurrency — 50 simultaneous verifies of
//! one valid code give exactly one success on SQLite, on PostgreSQL, and across two server
//! processes (the real binary) sharing one PostgreSQL database.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use twostep_server::config::Config;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Serves `config` in this process on an ephemeral port; the base URL.
async fn spawn_in_process(config: Config) -> String {
    let state = real_time_state(config).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, twostep_server::app(state))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

struct Client {
    http: reqwest::Client,
}

impl Client {
    fn new() -> Client {
        Client {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
        }
    }

    async fn post(
        &self,
        url: &str,
        body: Value,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let r = self
            .http
            .post(url)
            .bearer_auth(SERVICE_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let json = r.json().await.unwrap_or(Value::Null);
        (status, headers, json)
    }

    /// Pairs and confirms a device for `user`; returns (device id, secret, confirmed step time).
    async fn pair_active(&self, base: &str, user: &str) -> (String, String, u64) {
        let (id, secret, t, _) = self.pair_active_with_codes(base, user).await;
        (id, secret, t)
    }

    /// As [`Client::pair_active`], with the backup codes the confirm response carried.
    async fn pair_active_with_codes(
        &self,
        base: &str,
        user: &str,
    ) -> (String, String, u64, Vec<String>) {
        let (s, h, j) = self
            .post(
                &format!("{base}/v1/users/{user}/devices"),
                json!({"name": "phone"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{j}");
        assert_eq!(h.get("cache-control").unwrap(), "no-store");
        let id = j["device"]["id"].as_str().unwrap().to_string();
        let secret = j["secret"].as_str().unwrap().to_string();
        let t = now();
        let (s, _, j) = self
            .post(
                &format!("{base}/v1/users/{user}/devices/{id}/confirm"),
                json!({"code": totp_sha1(&secret, t)}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{j}");
        assert_eq!(j["device"]["status"], "active");
        let codes = j["backup_codes"]
            .as_array()
            .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        (id, secret, t, codes)
    }
}

/// A 6-digit code that is none of the codes within `reach` steps of `t`.
fn wrong_code(secret: &str, t: u64, reach: u64) -> String {
    let near: Vec<String> = (0..=2 * reach)
        .map(|i| totp_sha1(secret, t + i * 30 - reach * 30))
        .collect();
    (0..)
        .map(|n| format!("{:06}", 123_457 + n))
        .find(|c| !near.contains(c))
        .unwrap()
}

async fn pair_verify_reuse_lock_recover(db: Db) {
    let url = match &db {
        Db::Sqlite => None,
        Db::Postgres(u) => Some(u.clone()),
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("e2e.db").display()));
    let mut config = test_config(&url);
    config.verify_window = 2;
    config.lockout_max_failures = 3;
    config.lockout_base_secs = 2;
    config.lockout_max_secs = 8;
    let base = spawn_in_process(config).await;
    let c = Client::new();

    let (id, secret, t) = c.pair_active(&base, "alice").await;
    let verify = format!("{base}/v1/users/alice/verify");
    // The next step's code: accepted once.
    let next = totp_sha1(&secret, t + 30);
    let (s, _, j) = c.post(&verify, json!({"code": next})).await;
    assert_eq!(s, StatusCode::OK, "{j}");
    assert_eq!(j, json!({"valid": true, "device_id": id}));
    let (s, _, reused) = c.post(&verify, json!({"code": next})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused["error"]["code"], "invalid_code");
    // Two more failures reach the limit of 3 and lock.
    let wrong = wrong_code(&secret, t, 3);
    for _ in 0..2 {
        let (s, _, j) = c.post(&verify, json!({"code": wrong})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{j}");
        assert_eq!(j, reused);
    }
    // Locked: a valid, unused code (two steps ahead) gets 429 with Retry-After.
    let later = totp_sha1(&secret, t + 60);
    let (s, h, j) = c.post(&verify, json!({"code": later})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{j}");
    assert_eq!(j["error"]["code"], "locked");
    let retry: u64 = h
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    // After the lock the same code works.
    tokio::time::sleep(Duration::from_millis(retry * 1000 + 200)).await;
    let (s, _, j) = c.post(&verify, json!({"code": later})).await;
    assert_eq!(s, StatusCode::OK, "{j}");
    // MFA status through the listener.
    let st: Value = c
        .http
        .get(format!("{base}/v1/users/alice/mfa"))
        .bearer_auth(SERVICE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        st,
        json!({"enabled": true, "active_devices": 1, "backup_codes_remaining": 10})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_sqlite() {
    pair_verify_reuse_lock_recover(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    pair_verify_reuse_lock_recover(Db::Postgres(url)).await;
}

/// Fires 50 simultaneous verifies of one valid code, spread over `bases`; asserts exactly
/// one 200 and 49 of the documented 422.
async fn fifty_at_once(bases: &[String], user: &str, code: &str) {
    let c = Client::new();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let url = format!("{}/v1/users/{user}/verify", bases[i % bases.len()]);
        let http = c.http.clone();
        let barrier = barrier.clone();
        let code = code.to_string();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(url)
                .bearer_auth(SERVICE_KEY)
                .json(&json!({"code": code}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["error"]["code"], "invalid_code"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of 50 concurrent verifies may succeed");
}

async fn concurrent_on(url: String) {
    let mut config = test_config(&url);
    config.lockout_max_failures = 1000;
    let base = spawn_in_process(config).await;
    let c = Client::new();
    // Several rounds, each with a fresh step.
    let (_, secret, t) = c.pair_active(&base, "carol").await;
    fifty_at_once(
        std::slice::from_ref(&base),
        "carol",
        &totp_sha1(&secret, t + 30),
    )
    .await;
    let (_, secret, t) = c.pair_active(&base, "dave").await;
    fifty_at_once(
        std::slice::from_ref(&base),
        "dave",
        &totp_sha1(&secret, t + 30),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_verifies_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_on(format!("sqlite://{}", dir.path().join("c.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_verifies_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    concurrent_on(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_verifies_across_two_processes_on_one_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let key = twostep_server::crypto::KeyRing::generate_entry().unwrap();
    // Both start at once: migrations must serialise between them.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn_binary(&url, &key, &[("TWOSTEP_LOCKOUT_MAX_FAILURES", "60")]));
        let b = s.spawn(|| spawn_binary(&url, &key, &[("TWOSTEP_LOCKOUT_MAX_FAILURES", "60")]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let c = Client::new();
    let bases = [a.base.clone(), b.base.clone()];
    for (round, user) in ["erin", "frank", "grace"].iter().enumerate() {
        // Pair on one process, verify on both.
        let (_, secret, t) = c.pair_active(&bases[round % 2], user).await;
        fifty_at_once(&bases, user, &totp_sha1(&secret, t + 30)).await;
    }
    // One backup code used 20 times at once across both processes: exactly one success.
    let (_, _, _, codes) = c.pair_active_with_codes(&bases[1], "ivan").await;
    assert_eq!(codes.len(), 10);
    for code in &codes[..2] {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let url = format!("{}/v1/users/ivan/backup-codes/verify", bases[i % 2]);
            let http = c.http.clone();
            let barrier = barrier.clone();
            let code = code.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let r = http
                    .post(url)
                    .bearer_auth(SERVICE_KEY)
                    .json(&json!({ "code": code }))
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            }));
        }
        let mut ok = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                StatusCode::OK => ok.push(body),
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert_eq!(body["error"]["code"], "invalid_code")
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous uses succeeds");
    }
    // Lockout holds across replicas: failures on one process lock the user on the other.
    let (_, secret, t) = c.pair_active(&bases[0], "heidi").await;
    let wrong = wrong_code(&secret, t, 3);
    let mut locked = false;
    // The 60th failure locks; the next request sees it.
    for _ in 0..=60 {
        let (s, _, _) = c
            .post(
                &format!("{}/v1/users/heidi/verify", bases[0]),
                json!({"code": wrong}),
            )
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            locked = true;
            break;
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert!(locked, "60 failures lock the user");
    let (s, h, j) = c
        .post(
            &format!("{}/v1/users/heidi/verify", bases[1]),
            json!({"code": totp_sha1(&secret, t + 30)}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{j}");
    assert!(h.get("retry-after").is_some());
    // Readiness of both.
    for base in &bases {
        let r = c.http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
