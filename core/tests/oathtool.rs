//! Independent cross-check against the `oathtool` CLI (OATH Toolkit, Debian package
//! `oathtool`): random secrets × times × algorithms × digits × periods × T0 for TOTP, and
//! random counters for HOTP (oathtool's HOTP mode is HMAC-SHA-1 only; SHA-256/512 counters
//! are covered by TOTP with a 1-second step, whose time step is the counter).
//!
//! oathtool's `-w N` prints N + 1 consecutive codes from one process, so each spawn
//! checks a whole run of steps. The inputs come from a fixed-seed PRNG; set
//! `TWOSTEP_ORACLE_SEED` to explore other inputs (a failure names the seed).
//!
//! Without oathtool the test is skipped with a notice, except under `CI=true`, where that
//! is a failure (`cargo xtask test` installs it).

use std::process::{Child, Command, Stdio};
use twostep::{Algorithm, Digits, Hotp, Period, Secret, Totp};

const TOTP_SPAWNS: usize = 1200;
const HOTP_SPAWNS: usize = 400;
/// Extra codes per oathtool process (`-w`): each spawn yields `WINDOW + 1` codes.
const WINDOW: u64 = 39;
/// Processes in flight at once.
const PARALLEL: usize = 8;
/// 9999-12-31T23:59:59Z: the latest time oathtool's date parser is asked about.
const MAX_TIME: u64 = 253_402_300_799;

/// xorshift64*: tiny, seedable, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `lo..=hi` for test input selection.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.next() % span,
            None => self.next(),
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// One oathtool invocation and what twostep says its output must be.
struct Case {
    args: Vec<String>,
    expected: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn oathtool_available() -> bool {
    let found = Command::new("oathtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "oathtool is not installed (cargo xtask test installs the Debian package oathtool)"
        );
        eprintln!("notice: oathtool not found; skipping the oathtool cross-check");
    }
    found
}

fn random_secret(rng: &mut Rng) -> Vec<u8> {
    // Mostly realistic lengths, and every length up to the maximum, across the block sizes
    // (64 bytes for SHA-1/256, 128 for SHA-512) where HMAC starts hashing the key.
    let len = match rng.range(0, 3) {
        0 => [10, 16, 20, 32, 64][rng.range(0, 4) as usize],
        _ => rng.range(1, Secret::MAX_LEN as u64) as usize,
    };
    rng.bytes(len)
}

fn totp_case(rng: &mut Rng) -> Case {
    let key = random_secret(rng);
    let secret = Secret::from_bytes(&key).expect("1..=MAX_LEN bytes");
    let (algorithm, mode) = [
        (Algorithm::Sha1, "SHA1"),
        (Algorithm::Sha256, "SHA256"),
        (Algorithm::Sha512, "SHA512"),
    ][rng.range(0, 2) as usize];
    let digits = rng.range(6, 8) as u32;
    let period = match rng.range(0, 3) {
        0 | 1 => 30,
        2 => 60,
        _ => rng.range(1, 3600) as u32,
    };
    let time = rng.range(0, MAX_TIME);
    let t0 = if rng.range(0, 3) == 0 {
        rng.range(0, time)
    } else {
        0
    };
    let totp = Totp::new(
        &secret,
        algorithm,
        Digits::new(digits).expect("6..=8"),
        Period::new(period).expect("positive"),
    )
    .with_t0(t0);
    let step = totp.step_at(time);
    let expected = (0..=WINDOW)
        .map(|i| {
            // Time i periods later must fall in step + i and give the same code.
            let later = time + i * u64::from(period);
            let code = totp.code_at(later).to_string();
            assert_eq!(totp.step_at(later), step + i);
            assert_eq!(totp.code_at_step(step + i).as_str(), code);
            code
        })
        .collect();
    Case {
        args: vec![
            format!("--totp={mode}"),
            format!("--digits={digits}"),
            format!("--time-step-size={period}s"),
            format!("--start-time=@{t0}"),
            format!("--now=@{time}"),
            format!("--window={WINDOW}"),
            hex(&key),
        ],
        expected,
    }
}

fn hotp_case(rng: &mut Rng) -> Case {
    let key = random_secret(rng);
    let secret = Secret::from_bytes(&key).expect("1..=MAX_LEN bytes");
    let digits = rng.range(6, 8) as u32;
    let counter = match rng.range(0, 2) {
        0 => rng.range(0, 1000),
        1 => rng.range(0, u64::MAX - WINDOW),
        _ => u64::MAX - WINDOW - rng.range(0, 100),
    };
    let hotp = Hotp::new(
        &secret,
        Algorithm::Sha1,
        Digits::new(digits).expect("6..=8"),
    );
    let expected = (0..=WINDOW)
        .map(|i| hotp.code(counter + i).to_string())
        .collect();
    Case {
        args: vec![
            "--hotp".into(),
            format!("--digits={digits}"),
            format!("--counter={counter}"),
            format!("--window={WINDOW}"),
            hex(&key),
        ],
        expected,
    }
}

fn spawn(case: &Case) -> Child {
    Command::new("oathtool")
        .args(&case.args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oathtool starts")
}

/// Runs every case through oathtool, `PARALLEL` processes at a time; returns the number
/// of codes compared and the descriptions of all mismatches.
fn run(cases: &[Case]) -> (usize, Vec<String>) {
    let mut compared = 0;
    let mut failures = Vec::new();
    for chunk in cases.chunks(PARALLEL) {
        let children: Vec<Child> = chunk.iter().map(spawn).collect();
        for (case, child) in chunk.iter().zip(children) {
            let out = child.wait_with_output().expect("oathtool runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let got: Vec<&str> = stdout.lines().collect();
            if !out.status.success() || got.len() != case.expected.len() {
                failures.push(format!(
                    "oathtool {}: {} ({} lines) {}",
                    case.args.join(" "),
                    out.status,
                    got.len(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                continue;
            }
            for (i, (got, want)) in got.iter().zip(&case.expected).enumerate() {
                compared += 1;
                if got != want {
                    failures.push(format!(
                        "oathtool {}: line {i}: oathtool {got}, twostep {want}",
                        case.args.join(" ")
                    ));
                }
            }
        }
    }
    (compared, failures)
}

#[test]
fn agrees_with_oathtool() {
    if !oathtool_available() {
        return;
    }
    let seed = std::env::var("TWOSTEP_ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7770_57E9_2FA0_0001_u64)
        | 1;
    let mut rng = Rng(seed);
    let mut cases: Vec<Case> = (0..TOTP_SPAWNS).map(|_| totp_case(&mut rng)).collect();
    cases.extend((0..HOTP_SPAWNS).map(|_| hotp_case(&mut rng)));

    let started = std::time::Instant::now();
    let (compared, failures) = run(&cases);
    assert!(
        failures.is_empty(),
        "seed {seed}: {} mismatches in {compared} codes:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    assert_eq!(compared, cases.len() * (WINDOW as usize + 1));
    eprintln!(
        "oathtool agrees on {compared} codes from {} processes in {:.1?} (seed {seed})",
        cases.len(),
        started.elapsed()
    );
}
