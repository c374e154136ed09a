//! End-to-end through a real listener on 127.0.0.1 and an HTTP client, on real time:
//! pairing, single use, lockout and recovery; and concurrency — 50 simultaneous verifies of
//! one valid code give exactly one success on SQLite, on PostgreSQL, and across two server
//! processes (the real binary) sharing one PostgreSQL database. The login challenge end to
//! end: TOTP → assertion checked with jsonwebtoken against `/v1/jwks.json` (real time, `exp`
//! enforced); backup code → refused next time; remember device → trusted → revoked →
//! refused; disable → all gone; and 20 simultaneous verifications of one challenge across
//! two server processes on one PostgreSQL → exactly one success.
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

impl Client {
    async fn get(&self, url: &str, auth: bool) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.get(url);
        if auth {
            req = req.bearer_auth(SERVICE_KEY);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }

    async fn challenge(&self, base: &str, user: &str) -> String {
        let (s, _, j) = self
            .post(
                &format!("{base}/v1/challenges"),
                json!({"user_id": user, "ip": "198.51.100.7", "user_agent": "e2e/1.0"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{j}");
        j["challenge_id"].as_str().unwrap().to_string()
    }
}

/// Checks an assertion as a product backend would: jsonwebtoken, the key from
/// `/v1/jwks.json` by `kid`, EdDSA only, issuer pinned, `exp` enforced on real time.
async fn check_assertion(c: &Client, base: &str, jwt: &str) -> Value {
    let (s, _, jwks) = c.get(&format!("{base}/v1/jwks.json"), false).await;
    assert_eq!(s, StatusCode::OK, "{jwks}");
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let kid = jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["twostep"]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .unwrap()
        .claims
}

async fn login_challenge_scenario(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("login.db").display()),
        Db::Postgres(u) => u,
    };
    let base = spawn_in_process(test_config(&url)).await;
    let c = Client::new();
    let (_, secret, t, codes) = c.pair_active_with_codes(&base, "alice").await;
    assert_eq!(codes.len(), 10);

    // TOTP: the assertion checks against the JWKS with an independent JWT library.
    let id = c.challenge(&base, "alice").await;
    let verify = format!("{base}/v1/challenges/{id}/verify");
    let (s, h, j) = c
        .post(&verify, json!({"code": totp_sha1(&secret, t + 30)}))
        .await;
    assert_eq!(s, StatusCode::OK, "{j}");
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
    let claims = check_assertion(&c, &base, j["assertion"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["amr"], json!(["otp"]));
    assert_eq!(claims["challenge_id"], id);
    let auth_time = claims["auth_time"].as_u64().unwrap();
    assert!(auth_time >= t && auth_time <= now(), "{auth_time}");
    assert_eq!(
        claims["exp"].as_u64().unwrap(),
        claims["iat"].as_u64().unwrap() + 600
    );
    let (s, _, j) = c
        .post(&verify, json!({"code": totp_sha1(&secret, t + 60)}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{j}");
    let (s, _, j) = c.get(&verify.replace("/verify", ""), true).await;
    assert_eq!(
        (s, j["status"].as_str()),
        (StatusCode::OK, Some("verified"))
    );

    // Backup code, remembering the device: that code is refused next time.
    let id = c.challenge(&base, "alice").await;
    let (s, _, j) = c
        .post(
            &format!("{base}/v1/challenges/{id}/verify"),
            json!({"backup_code": codes[0], "remember_device": true, "device_label": "e2e"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{j}");
    let claims = check_assertion(&c, &base, j["assertion"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], json!(["backup_code"]));
    let token = j["trusted_device"]["token"].as_str().unwrap().to_string();
    let trusted_id = j["trusted_device"]["id"].as_str().unwrap().to_string();
    let id = c.challenge(&base, "alice").await;
    let (s, _, j) = c
        .post(
            &format!("{base}/v1/challenges/{id}/verify"),
            json!({"backup_code": codes[0]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{j}");

    // Remembered: trusted for alice only; revoked: refused.
    let check = format!("{base}/v1/trusted-devices/check");
    let (_, _, j) = c
        .post(&check, json!({"user_id": "alice", "token": token}))
        .await;
    assert_eq!(j["trusted"], true, "{j}");
    let (_, _, j) = c
        .post(&check, json!({"user_id": "bob", "token": token}))
        .await;
    assert_eq!(j, json!({"trusted": false}));
    let r = c
        .http
        .delete(format!(
            "{base}/v1/users/alice/trusted-devices/{trusted_id}"
        ))
        .bearer_auth(SERVICE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, _, j) = c
        .post(&check, json!({"user_id": "alice", "token": token}))
        .await;
    assert_eq!(j, json!({"trusted": false}));

    // Disable: everything gone; verify and challenges now 409.
    let id = c.challenge(&base, "alice").await;
    let (s, _, j) = c
        .post(&format!("{base}/v1/users/alice/mfa/disable"), json!({}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{j}");
    let (_, _, st) = c.get(&format!("{base}/v1/users/alice/mfa"), true).await;
    assert_eq!(
        st,
        json!({"enabled": false, "active_devices": 0, "backup_codes_remaining": 0})
    );
    let (s, _, _) = c
        .post(
            &format!("{base}/v1/users/alice/verify"),
            json!({"code": totp_sha1(&secret, now())}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, _) = c.get(&format!("{base}/v1/challenges/{id}"), true).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = c
        .post(
            &format!("{base}/v1/challenges"),
            json!({"user_id": "alice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_challenge_e2e_sqlite() {
    login_challenge_scenario(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_challenge_e2e_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    login_challenge_scenario(Db::Postgres(url)).await;
}

/// Fires 20 simultaneous verifications of one challenge spread over `bases` (the i-th with
/// `bodies[i % bodies.len()]`); the 200 answers. Every other answer must be the 409.
async fn twenty_verifications(
    c: &Client,
    bases: &[String],
    id: &str,
    bodies: &[Value],
) -> Vec<Value> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = format!("{}/v1/challenges/{id}/verify", bases[i % bases.len()]);
        let http = c.http.clone();
        let barrier = barrier.clone();
        let body = bodies[i % bodies.len()].clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(url)
                .bearer_auth(SERVICE_KEY)
                .json(&body)
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
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "conflict"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_challenge_verifications_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&format!("sqlite://{}", dir.path().join("c.db").display()));
    config.lockout_max_failures = 1000;
    let base = spawn_in_process(config).await;
    let c = Client::new();
    let (_, secret, t) = c.pair_active(&base, "kim").await;
    let id = c.challenge(&base, "kim").await;
    let ok = twenty_verifications(
        &c,
        std::slice::from_ref(&base),
        &id,
        &[json!({"code": totp_sha1(&secret, t + 30)})],
    )
    .await;
    assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous verifications");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_challenge_verifications_across_two_processes_on_one_postgres() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    let key = twostep_server::crypto::KeyRing::generate_entry().unwrap();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn_binary(&url, &key, &[("TWOSTEP_LOCKOUT_MAX_FAILURES", "1000")]));
        let b = s.spawn(|| spawn_binary(&url, &key, &[("TWOSTEP_LOCKOUT_MAX_FAILURES", "1000")]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let c = Client::new();
    let bases = [a.base.clone(), b.base.clone()];
    let (_, secret, t, codes) = c.pair_active_with_codes(&bases[0], "lee").await;
    // One TOTP code, 20 times at once over both processes.
    let id = c.challenge(&bases[1], "lee").await;
    let ok = twenty_verifications(
        &c,
        &bases,
        &id,
        &[json!({"code": totp_sha1(&secret, t + 30), "remember_device": true})],
    )
    .await;
    assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous verifications");
    // Both processes sign with the same derived key: the winner's assertion checks against
    // the other process's JWKS.
    check_assertion(&c, &bases[1], ok[0]["assertion"].as_str().unwrap()).await;
    let (_, _, list) = c
        .get(&format!("{}/v1/users/lee/trusted-devices", bases[1]), true)
        .await;
    assert_eq!(list["trusted_devices"].as_array().unwrap().len(), 1);
    // Ten different backup codes, each twice, at once: one wins, only its code is spent.
    let id = c.challenge(&bases[0], "lee").await;
    let bodies: Vec<Value> = codes.iter().map(|c| json!({"backup_code": c})).collect();
    let ok = twenty_verifications(&c, &bases, &id, &bodies).await;
    assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous verifications");
    let (_, _, left) = c
        .get(&format!("{}/v1/users/lee/backup-codes", bases[0]), true)
        .await;
    assert_eq!(left["remaining"], 9, "only the winner's code is spent");
}
