//! Load test of `POST /v1/users/{id}/verify` over loopback against the real `twostep-server`
//! binary, on SQLite or PostgreSQL: `cargo bench -p twostep-server --bench load -- sqlite|postgres`
//! (PostgreSQL needs TWOSTEP_TEST_POSTGRES_URL; `cargo xtask bench` provides it).
//!
//! Many users each get one active device; every request carries a valid code that has not
//! been used yet (the current and the next step of each device, in that order), so each one
//! does the full work: decrypt, HMAC, atomic conditional write. Two phases: as fast as 64
//! keep-alive connections go (throughput), then an open-loop run at half the target rate
//! (latency). Bounded in requests and time.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use twostep::{Algorithm, Digits, Period, Secret, Totp};
use twostep_server::audit::{Event, Kind};
use twostep_server::client::ClientInfo;
use twostep_server::crypto::KeyRing;
use twostep_server::store::{DeviceRow, Store};

const SERVICE_KEY: &str = "bench-service-key-0123456789abcdef";
const CONNECTIONS: usize = 64;
const MAX_PHASE_TIME: Duration = Duration::from_secs(60);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Inserts `n` users with one active device each; returns each user's TOTP.
async fn populate(store: &Store, keys: &KeyRing, prefix: &str, n: usize) -> Vec<(String, Totp)> {
    let t = now() as i64;
    let mut users = Vec::with_capacity(n);
    let mut pending = Vec::new();
    for i in 0..n {
        let user = format!("{prefix}-{i}");
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        let secret = Secret::generate();
        let sealed = keys.seal(&user, &id, secret.as_bytes()).unwrap();
        let row = DeviceRow {
            id,
            user_id: user.clone(),
            name: "bench".into(),
            status: "active".into(),
            algorithm: "SHA1".into(),
            digits: 6,
            period: 30,
            key_id: sealed.key_id,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            last_step: -1,
            created_at: t,
            pairing_expires_at: t,
            confirmed_at: Some(t),
            last_used_at: None,
        };
        users.push((
            user,
            Totp::new(
                &secret,
                Algorithm::Sha1,
                Digits::default(),
                Period::default(),
            ),
        ));
        let store = store.clone();
        let event = Event::new(Kind::DeviceCreated, &row.user_id, t, &ClientInfo::default());
        pending.push(tokio::spawn(async move {
            store.insert_device(&row, &event).await.unwrap()
        }));
        if pending.len() == 32 {
            for p in pending.drain(..) {
                p.await.unwrap();
            }
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    users
}

/// (path, body) for each user's current step, then each user's next step.
fn requests(users: &[(String, Totp)]) -> Vec<(String, String)> {
    let t = now();
    let mut out = Vec::with_capacity(users.len() * 2);
    for offset in [0, 30] {
        for (user, totp) in users {
            out.push((
                format!("/v1/users/{user}/verify"),
                format!("{{\"code\":\"{}\"}}", totp.code_at(t + offset)),
            ));
        }
    }
    out
}

struct Outcome {
    done: usize,
    ok: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn new() -> Outcome {
        Outcome {
            done: 0,
            ok: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
        }
    }

    fn report(&self, what: &str) {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let pct = |p: f64| {
            let i = ((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1));
            l.get(i).copied().unwrap_or_default().as_secs_f64() * 1e3
        };
        println!(
            "{what}: {} requests ({} ok) in {:.2} s = {:.0} verifications/s; \
             latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.done,
            self.ok,
            self.elapsed.as_secs_f64(),
            self.ok as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0),
        );
    }
}

async fn send(http: &reqwest::Client, base: &str, req: &(String, String)) -> (bool, Duration) {
    let start = Instant::now();
    let r = http
        .post(format!("{base}{}", req.0))
        .bearer_auth(SERVICE_KEY)
        .header("content-type", "application/json")
        .body(req.1.clone())
        .send()
        .await;
    let ok = match r {
        Ok(r) => {
            let ok = r.status() == reqwest::StatusCode::OK;
            let _ = r.bytes().await;
            ok
        }
        Err(_) => false,
    };
    (ok, start.elapsed())
}

/// Closed loop: CONNECTIONS workers take the next request until all are sent.
async fn max_rate(base: &str, reqs: Vec<(String, String)>) -> Outcome {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let reqs = Arc::new(reqs);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let (http, reqs, next, base) = (http.clone(), reqs.clone(), next.clone(), base.to_string());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ok = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= reqs.len() || start.elapsed() > MAX_PHASE_TIME {
                    break;
                }
                let (good, d) = send(&http, &base, &reqs[i]).await;
                ok += usize::from(good);
                lat.push(d);
            }
            (ok, lat)
        }));
    }
    let mut out = Outcome::new();
    for w in workers {
        let (ok, lat) = w.await.unwrap();
        out.ok += ok;
        out.done += lat.len();
        out.latencies.extend(lat);
    }
    out.elapsed = start.elapsed();
    out
}

/// Open loop: one request every 1/rate s, whatever the answers do.
async fn fixed_rate(base: &str, reqs: Vec<(String, String)>, rate: u32) -> Outcome {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut tasks = Vec::with_capacity(reqs.len());
    for (i, req) in reqs.into_iter().enumerate() {
        let due = start + interval * i as u32;
        if due > start + MAX_PHASE_TIME {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let (http, base) = (http.clone(), base.to_string());
        tasks.push(tokio::spawn(async move { send(&http, &base, &req).await }));
    }
    let mut out = Outcome::new();
    for t in tasks {
        let (ok, d) = t.await.unwrap();
        out.ok += usize::from(ok);
        out.done += 1;
        out.latencies.push(d);
    }
    out.elapsed = start.elapsed();
    out
}

fn main() {
    let backend = std::env::args()
        .skip(1)
        .find(|a| a == "sqlite" || a == "postgres")
        .unwrap_or_else(|| "sqlite".into());
    let users_a: usize = std::env::var("TWOSTEP_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (target, half): (u32, u32) = if backend == "sqlite" {
        (10_000, 5_000)
    } else {
        (5_000, 2_500)
    };
    // Four seconds at half the target rate, two codes per user.
    let users_b = half as usize * 2;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let url = if backend == "postgres" {
            let Ok(admin_url) = std::env::var("TWOSTEP_TEST_POSTGRES_URL") else {
                println!("NOTICE: TWOSTEP_TEST_POSTGRES_URL is not set; skipping the PostgreSQL load test");
                return;
            };
            let name = format!("twostep_bench_{}", now());
            let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let base = &admin_url[..admin_url.rfind('/').unwrap()];
            format!("{base}/{name}")
        } else {
            format!("sqlite://{}", dir.path().join("bench.db").display())
        };
        let key = KeyRing::generate_entry().unwrap().to_string();
        let keys = KeyRing::from_entries(std::slice::from_ref(&key), None).unwrap();
        let store = Store::connect(&url, 16).await.unwrap();
        store.migrate().await.unwrap();
        let t = Instant::now();
        let a = populate(&store, &keys, "a", users_a).await;
        let b = populate(&store, &keys, "b", users_b).await;
        store.close().await;
        println!(
            "[{backend}] {} users with one active device each, stored in {:.1} s",
            users_a + users_b,
            t.elapsed().as_secs_f64()
        );

        let mut child = Command::new(env!("CARGO_BIN_EXE_twostep-server"))
            .arg("serve")
            .env("TWOSTEP_DATABASE_URL", &url)
            .env("TWOSTEP_LISTEN", "127.0.0.1:0")
            .env("TWOSTEP_SERVICE_KEYS", SERVICE_KEY)
            .env("TWOSTEP_ENCRYPTION_KEYS", &key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _server = Server(child);
        let base = line
            .trim()
            .strip_prefix("twostep-server listening on ")
            .unwrap()
            .to_string();

        let out = max_rate(&base, requests(&a)).await;
        out.report(&format!(
            "[{backend}] throughput, {CONNECTIONS} connections (target >= {target}/s)"
        ));
        // Half the target rate, or half of what this machine just sustained if that is less.
        let measured = out.ok as f64 / out.elapsed.as_secs_f64();
        let rate = half.min((measured / 2.0) as u32).max(1);
        let out = fixed_rate(&base, requests(&b), rate).await;
        out.report(&format!(
            "[{backend}] latency at {rate}/s open loop (target: p99 < 10 ms at {half}/s)"
        ));
    });
}
