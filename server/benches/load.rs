//! Load test of `POST /v1/users/{id}/verify` over loopback against the real `twostep-server`
//! binary, on SQLite or PostgreSQL: `cargo bench -p twostep-server --bench load -- sqlite|postgres`
//! (PostgreSQL needs TWOSTEP_TEST_POSTGRES_URL; `cargo xtask bench` provides it).
//!
//! Many users each get one active device; every request carries a valid code that has not
//! been used yet (the current and the next step of each device, in that order), so each one
//! does the full work: decrypt, HMAC, the atomic conditional write and its audit event. Two
//! phases: as fast as 64 keep-alive connections go (throughput), then an open-loop run at
//! half the target rate (latency, measured from the moment each request was due). Bounded
//! in requests and time.
//!
//! The load generator is a plain HTTP/1.1 keep-alive client on one thread (tokio's
//! current-thread runtime), so it takes little of the two cores it shares with the server;
//! it still reads every response and counts it only if it is `200` with `"valid": true`, and
//! the run fails unless all of them are. Each phase also prints the CPU time the server,
//! the load generator and (on PostgreSQL) the whole database cluster spent per request, from
//! /proc, with the load average: on a shared machine those stay comparable when the rates
//! do not.
//!
//! Environment: TWOSTEP_BENCH_USERS (users of the throughput phase, default 20,000; two
//! requests each), TWOSTEP_BENCH_CONNECTIONS (default 64), TWOSTEP_BENCH_SERVER (another
//! build of the server binary, to compare two builds under the same conditions). The
//! server inherits the environment, so TWOSTEP_* settings (e.g. TWOSTEP_DATABASE_MAX_CONNECTIONS)
//! and TOKIO_WORKER_THREADS apply to it.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
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

/// The HTTP/1.1 requests for each user's current step, then each user's next step.
fn requests(users: &[(String, Totp)]) -> Vec<Vec<u8>> {
    let t = now();
    // A user whose codes for the previous, this, the next and the one after step are not
    // all different is left out: with the window of ±1 step one of their two codes could
    // match an earlier step than meant (about 6 users in a million).
    let users: Vec<_> = users
        .iter()
        .filter(|(_, totp)| {
            let codes: Vec<_> = (0..4).map(|i| totp.code_at(t - 30 + 30 * i)).collect();
            (1..codes.len()).all(|i| !codes[..i].contains(&codes[i]))
        })
        .collect();
    let mut out = Vec::with_capacity(users.len() * 2);
    for offset in [0, 30] {
        for (user, totp) in &users {
            let body = format!("{{\"code\":\"{}\"}}", totp.code_at(t + offset));
            out.push(
                format!(
                    "POST /v1/users/{user}/verify HTTP/1.1\r\nhost: 127.0.0.1\r\n\
                     authorization: Bearer {SERVICE_KEY}\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            );
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

    fn report(&self, what: &str, cpu: &Cpu) {
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
        println!("    {}", cpu.report(self.done));
    }
}

/// CPU time (user + system, seconds) of process `pid` so far, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU time of every PostgreSQL server process (the whole cluster, shared with anything
/// else that uses it).
fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|e| cpu_seconds(&e.file_name().to_string_lossy()))
        .sum()
}

/// CPU used during a phase by the server, this load generator and PostgreSQL, with the
/// machine's load average: the figures that stay comparable on a shared machine.
struct Cpu {
    server: f64,
    client: f64,
    postgres: Option<f64>,
    load: String,
}

impl Cpu {
    fn start(server_pid: &str, postgres: bool) -> Cpu {
        Cpu {
            server: cpu_seconds(server_pid),
            client: cpu_seconds("self"),
            postgres: postgres.then(postgres_cpu_seconds),
            load: String::new(),
        }
    }

    fn since(self, server_pid: &str) -> Cpu {
        Cpu {
            server: cpu_seconds(server_pid) - self.server,
            client: cpu_seconds("self") - self.client,
            postgres: self.postgres.map(|p| postgres_cpu_seconds() - p),
            load: std::fs::read_to_string("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }

    fn report(&self, requests: usize) -> String {
        let per = |s: f64| s * 1e6 / requests.max(1) as f64;
        let pg = self
            .postgres
            .map(|p| format!(", postgres {:.0} µs", per(p)))
            .unwrap_or_default();
        format!(
            "CPU per request: server {:.0} µs, load generator {:.0} µs{pg}; load average {}",
            per(self.server),
            per(self.client),
            self.load
        )
    }
}

/// Unexpected answers printed so far (the first few are).
static REPORTED: AtomicUsize = AtomicUsize::new(0);

/// One keep-alive HTTP/1.1 connection of the load generator: writes a prepared request,
/// reads the response and accepts it only if it is `200` with a JSON body whose `valid` is
/// `true`.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::with_capacity(1024),
        }
    }

    async fn call(&mut self, request: &[u8]) -> bool {
        let answer = self.send(request).await;
        if answer != Some(true) && REPORTED.fetch_add(1, Ordering::Relaxed) < 3 {
            let text = String::from_utf8_lossy(&self.buf);
            eprintln!(
                "unexpected answer ({}): {}",
                if answer.is_none() {
                    "connection failed"
                } else {
                    "not 200 valid"
                },
                text.chars().take(400).collect::<String>()
            );
        }
        answer == Some(true)
    }

    async fn send(&mut self, mut request: &[u8]) -> Option<bool> {
        while !request.is_empty() {
            self.stream.writable().await.ok()?;
            match self.stream.try_write(request) {
                Ok(0) => return None,
                Ok(n) => request = &request[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return None,
            }
        }
        self.buf.clear();
        loop {
            if let Some((head, len)) = response_head(&self.buf)
                && self.buf.len() >= head + len
            {
                let ok = self.buf.starts_with(b"HTTP/1.1 200 ")
                    && serde_json::from_slice::<serde_json::Value>(&self.buf[head..head + len])
                        .is_ok_and(|v| v["valid"] == serde_json::Value::Bool(true));
                return Some(ok);
            }
            self.stream.readable().await.ok()?;
            let at = self.buf.len();
            self.buf.resize(at + 4096, 0);
            match self.stream.try_read(&mut self.buf[at..]) {
                Ok(0) => return None,
                Ok(n) => self.buf.truncate(at + n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.buf.truncate(at),
                Err(_) => return None,
            }
        }
    }
}

/// Length of the response head and the body's Content-Length, once the head is complete.
fn response_head(buf: &[u8]) -> Option<(usize, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let len = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })?;
    Some((end, len))
}

/// Closed loop: `connections` connections each send the next request as soon as their
/// previous one is answered, until all are sent.
async fn max_rate(addr: &str, reqs: Vec<Vec<u8>>, connections: usize) -> Outcome {
    let reqs = Arc::new(reqs);
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::open(addr).await);
    }
    let start = Instant::now();
    let mut workers = Vec::new();
    for mut conn in conns {
        let (reqs, next) = (reqs.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ok = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= reqs.len() || start.elapsed() > MAX_PHASE_TIME {
                    break;
                }
                let t = Instant::now();
                ok += usize::from(conn.call(&reqs[i]).await);
                lat.push(t.elapsed());
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

/// Open loop: one request every 1/rate s, whatever the answers do; each goes out on an idle
/// keep-alive connection, or a new one when all are busy. Latency is measured from the
/// moment the request was due, so a late sender counts against the figures.
async fn fixed_rate(addr: &str, reqs: Vec<Vec<u8>>, rate: u32) -> Outcome {
    let mut conns = Vec::new();
    for _ in 0..32 {
        conns.push(Conn::open(addr).await);
    }
    let idle = Arc::new(Mutex::new(conns));
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut tasks = Vec::with_capacity(reqs.len());
    for (i, req) in reqs.into_iter().enumerate() {
        let due = start + interval * i as u32;
        if due > start + MAX_PHASE_TIME {
            break;
        }
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let (idle, addr) = (idle.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let conn = idle.lock().unwrap().pop();
            let mut conn = match conn {
                Some(c) => c,
                None => Conn::open(&addr).await,
            };
            let ok = conn.call(&req).await;
            let d = due.elapsed();
            if ok {
                idle.lock().unwrap().push(conn);
            }
            (ok, d)
        }));
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
    let connections: usize = std::env::var("TWOSTEP_BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CONNECTIONS);
    // One thread drives every connection of the load generator, so it takes at most one of
    // the cores it shares with the server.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        // The PostgreSQL database made for this run, dropped at the end: (admin URL, name).
        let mut made = None;
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
            let url = format!("{base}/{name}");
            made = Some((admin_url, name));
            url
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

        // TWOSTEP_BENCH_SERVER runs another build of the server (to compare two in one run).
        let program = std::env::var("TWOSTEP_BENCH_SERVER")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_twostep-server").to_string());
        let mut child = Command::new(program)
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
        let server = Server(child);
        let addr = line
            .trim()
            .strip_prefix("twostep-server listening on http://")
            .unwrap()
            .to_string();
        let pid = server.0.id().to_string();
        let pg = backend == "postgres";

        let reqs = requests(&a);
        let cpu = Cpu::start(&pid, pg);
        let out = max_rate(&addr, reqs, connections).await;
        out.report(
            &format!("[{backend}] throughput, {connections} connections (target >= {target}/s)"),
            &cpu.since(&pid),
        );
        let all_ok = out.ok == out.done;
        // Half the target rate, or half of what this machine just sustained if that is less.
        let measured = out.ok as f64 / out.elapsed.as_secs_f64();
        let rate = half.min((measured / 2.0) as u32).max(1);
        let reqs = requests(&b);
        let cpu = Cpu::start(&pid, pg);
        let out = fixed_rate(&addr, reqs, rate).await;
        out.report(
            &format!("[{backend}] latency at {rate}/s open loop (target: p99 < 10 ms at {half}/s)"),
            &cpu.since(&pid),
        );
        drop(server);
        if let Some((admin_url, name)) = made {
            let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
        }
        assert!(
            all_ok && out.ok == out.done,
            "every verification must be answered 200 {{\"valid\":true}}"
        );
    });
}
