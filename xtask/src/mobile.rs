//! `cargo xtask bindings`: the native library of `twostep-mobile` and its Kotlin, Swift and
//! Python bindings, generated in library mode by the workspace's own `uniffi-bindgen`; and
//! the binding tests (JUnit on the JVM through Maven, pytest).

use crate::util::{cargo, ensure_apt, exec, root, step};
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The native library file name on this host.
fn library_name() -> String {
    format!(
        "{}twostep_mobile{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// JNA's resource folder for this host (`linux-x86-64`, `darwin-aarch64`, …).
fn jna_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        other => other,
    };
    format!("{os}-{arch}")
}

/// Runs the workspace's uniffi-bindgen in library mode on `library`.
fn generate(library: &Path, language: &str, out: &Path) -> Result<()> {
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    fs::create_dir_all(out)?;
    exec(
        cargo()
            .args(["run", "--quiet", "-p", "twostep-uniffi-bindgen", "--"])
            .args([
                "generate".as_ref(),
                library.as_os_str(),
                "--language".as_ref(),
                language.as_ref(),
                "--no-format".as_ref(),
                "--out-dir".as_ref(),
                out.as_os_str(),
            ]),
    )
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

/// The committed Swift package: the generated sources it ships.
fn swift_files(generated: &Path) -> [(PathBuf, PathBuf); 3] {
    let swift = root().join("mobile/swift");
    [
        (
            generated.join("Twostep.swift"),
            swift.join("Sources/Twostep/Twostep.swift"),
        ),
        (
            generated.join("TwostepFFI.h"),
            swift.join("Headers/TwostepFFI.h"),
        ),
        (
            generated.join("TwostepFFI.modulemap"),
            swift.join("Headers/module.modulemap"),
        ),
    ]
}

/// Builds the release library and writes every binding. Kotlin and Python output goes to
/// build folders (not committed); the Swift sources go to `mobile/swift`, which is committed.
/// `cargo xtask bindings test` runs the binding tests instead (as `cargo xtask test` does).
pub fn bindings(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {}
        Some("test") => return test_steps(),
        Some(other) => bail!("unknown argument {other:?}: use `cargo xtask bindings [test]`"),
    }
    let library = build_and_generate()?;
    step("Swift package sources (mobile/swift)");
    for (generated, committed) in swift_files(&root().join("target/uniffi/swift")) {
        copy(&generated, &committed)?;
    }
    println!(
        "native library: {}\nKotlin: mobile/kotlin (mvn package)\nPython: mobile/python/twostep\nSwift: mobile/swift",
        library.display()
    );
    Ok(())
}

/// The release library, and the Kotlin, Python and Swift bindings generated from it (Swift
/// into `target/uniffi/swift`).
fn build_and_generate() -> Result<PathBuf> {
    step("twostep-mobile native library (release)");
    exec(cargo().args(["build", "--release", "-p", "twostep-mobile", "--lib"]))?;
    let library = root().join("target/release").join(library_name());

    step("Kotlin, Swift and Python bindings (workspace uniffi-bindgen, library mode)");
    let kotlin = root().join("mobile/kotlin/target");
    generate(&library, "kotlin", &kotlin.join("generated-sources/uniffi"))?;
    copy(
        &library,
        &kotlin
            .join("native")
            .join(jna_platform())
            .join(library_name()),
    )?;

    let python = root().join("target/uniffi/python");
    generate(&library, "python", &python)?;
    let package = root().join("mobile/python/twostep");
    copy(&python.join("twostep.py"), &package.join("twostep.py"))?;
    copy(&library, &package.join(library_name()))?;

    generate(&library, "swift", &root().join("target/uniffi/swift"))?;
    Ok(library)
}

/// A twostep-server for the registration tests: the debug binary on 127.0.0.1 (free port),
/// SQLite in a fresh temporary folder, a service key, an HS256 user-token secret, and a low
/// lockout threshold. Stopped (SIGTERM) when the returned guard is dropped. The tests get
/// its URL and credentials as `TWOSTEP_E2E_*` environment variables.
struct TestServer {
    _running: crate::server::Running,
    dir: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Failures that lock a user on the test server, and the first lock in seconds.
const E2E_MAX_FAILURES: u32 = 3;
const E2E_LOCK_SECS: u32 = 300;

fn start_test_server() -> Result<TestServer> {
    step("twostep-server for the registration tests (debug build, SQLite, 127.0.0.1)");
    exec(cargo().args(["build", "--quiet", "-p", "twostep-server"]))?;
    let binary = root().join("target/debug/twostep-server");
    let gen_key = |args: &[&str]| -> Result<String> {
        let out = Command::new(&binary).arg("gen-key").args(args).output()?;
        if !out.status.success() {
            bail!("twostep-server gen-key failed");
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let service_key = gen_key(&["--service-key"])?;
    let jwt_secret = gen_key(&["--service-key"])?;
    let encryption_key = gen_key(&[])?;
    let dir = std::env::temp_dir().join(format!("twostep-mobile-e2e-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let (running, base) = crate::server::start_server(
        &binary,
        &["serve"],
        &[
            ("TWOSTEP_LISTEN", "127.0.0.1:0".into()),
            (
                "TWOSTEP_DATABASE_URL",
                format!("sqlite://{}", dir.join("e2e.db").display()),
            ),
            ("TWOSTEP_SERVICE_KEYS", service_key.clone()),
            ("TWOSTEP_ENCRYPTION_KEYS", encryption_key),
            ("TWOSTEP_JWT_HS256_SECRET", jwt_secret.clone()),
            ("TWOSTEP_LOCKOUT_MAX_FAILURES", E2E_MAX_FAILURES.to_string()),
            ("TWOSTEP_LOCKOUT_BASE_SECS", E2E_LOCK_SECS.to_string()),
            ("TWOSTEP_LOCKOUT_MAX_SECS", (E2E_LOCK_SECS * 4).to_string()),
            ("RUST_LOG", "warn".into()),
        ],
    )?;
    println!("twostep-server at {base}");
    Ok(TestServer {
        _running: running,
        dir,
        env: vec![
            ("TWOSTEP_E2E_URL", base),
            ("TWOSTEP_E2E_SERVICE_KEY", service_key),
            ("TWOSTEP_E2E_JWT_SECRET", jwt_secret),
            ("TWOSTEP_E2E_MAX_FAILURES", E2E_MAX_FAILURES.to_string()),
            ("TWOSTEP_E2E_LOCK_SECS", E2E_LOCK_SECS.to_string()),
        ],
    })
}

/// The binding tests: Swift sources up to date, Kotlin JUnit, pytest (registration end to
/// end against a real twostep-server).
pub fn test_steps() -> Result<()> {
    build_and_generate()?;

    step("committed Swift sources match the generated ones");
    for (generated, committed) in swift_files(&root().join("target/uniffi/swift")) {
        let want = fs::read(&generated)?;
        let have = fs::read(&committed).unwrap_or_default();
        if want != have {
            bail!(
                "{} is out of date: run `cargo xtask bindings` and commit mobile/swift",
                committed.display()
            );
        }
    }

    let server = start_test_server()?;

    step("Kotlin bindings on the JVM: JUnit 5 through Maven");
    ensure_apt(&[("javac", "openjdk-17-jdk-headless"), ("mvn", "maven")])?;
    exec(
        Command::new("mvn")
            .current_dir(root().join("mobile/kotlin"))
            .envs(server.env.iter().map(|(k, v)| (k, v)))
            // `cargo run` puts target/debug on the library path, and JNA would load a stale
            // library from there before the one on the classpath.
            .env_remove("LD_LIBRARY_PATH")
            .args([
                "-B",
                "-q",
                "-Dstyle.color=never",
                // Quiet, except Surefire's per-class lines and summary.
                "-Dorg.slf4j.simpleLogger.log.org.apache.maven.plugin.surefire=info",
                // Also installs the jar into ~/.m2 for examples/kotlin-enrol.
                "install",
            ]),
    )?;

    step("examples/kotlin-enrol against the test server");
    check_enrol_example(&server)?;

    step("Python bindings: pytest");
    ensure_apt(&[("python3", "python3"), ("pip3", "python3-pip")])?;
    let has_pytest = Command::new("python3")
        .args(["-c", "import pytest"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_pytest {
        exec(
            Command::new("python3")
                // Debian's python refuses pip installs without this (PEP 668); others ignore it.
                .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
                .args(["-m", "pip", "install", "--quiet", "pytest"]),
        )?;
    }
    let python = root().join("mobile/python");
    exec(
        Command::new("python3")
            .current_dir(root().join("mobile"))
            .env("PYTHONPATH", &python)
            .envs(server.env.iter().map(|(k, v)| (k, v)))
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/python",
            ]),
    )
}

/// Runs examples/kotlin-enrol (Maven, on the bindings jar installed in `~/.m2`) with
/// `args`; its standard output.
fn run_enrol_example(args: &[String]) -> Result<String> {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "")))
        .collect();
    let out = Command::new("mvn")
        .current_dir(root().join("examples/kotlin-enrol"))
        .env_remove("LD_LIBRARY_PATH")
        .args(["-B", "-q", "-Dstyle.color=never", "package", "exec:exec"])
        .arg(format!("-Denrol.args={}", quoted.join(" ")))
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run mvn")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    if !out.status.success() {
        bail!("examples/kotlin-enrol failed with {}", out.status);
    }
    Ok(stdout)
}

/// `cargo xtask enrol-example --server URL --user ID --token JWT`: builds the bindings,
/// installs the Kotlin jar into `~/.m2` and runs examples/kotlin-enrol.
pub fn enrol_example(args: &[String]) -> Result<String> {
    let args: Vec<String> = args.iter().filter(|a| *a != "--").cloned().collect();
    build_and_generate()?;
    ensure_apt(&[("javac", "openjdk-17-jdk-headless"), ("mvn", "maven")])?;
    step("Kotlin bindings jar into ~/.m2");
    exec(
        Command::new("mvn")
            .current_dir(root().join("mobile/kotlin"))
            .args(["-B", "-q", "-Dstyle.color=never", "-DskipTests", "install"]),
    )?;
    step("examples/kotlin-enrol");
    run_enrol_example(&args)
}

/// An HS256 user token for `sub`, valid ten minutes, as a host app's backend signs it.
fn user_token(secret: &str, sub: &str) -> Result<String> {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 600;
    let signing_input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(format!(r#"{{"sub":"{sub}","exp":{exp}}}"#).as_bytes())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| anyhow::anyhow!("bad HMAC key"))?;
    mac.update(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        b64(&mac.finalize().into_bytes())
    ))
}

/// Runs the example against the test server for a new user, then checks its output: the
/// device is active on the server and the printed next code passes the server's verify once.
fn check_enrol_example(server: &TestServer) -> Result<()> {
    let env = |name: &str| -> Result<&str> {
        server
            .env
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .with_context(|| format!("{name} missing"))
    };
    let (base, service_key) = (env("TWOSTEP_E2E_URL")?, env("TWOSTEP_E2E_SERVICE_KEY")?);
    let user = format!("enrol-example-{}", std::process::id());
    let token = user_token(env("TWOSTEP_E2E_JWT_SECRET")?, &user)?;
    let out = run_enrol_example(&[
        "--server".into(),
        base.into(),
        "--user".into(),
        user.clone(),
        "--token".into(),
        token,
    ])?;
    let field = |prefix: &str| -> Result<String> {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
            .with_context(|| format!("no line {prefix:?} in the example's output"))
    };
    let device = field("active device ")?;
    let next = field("next ")?;
    // The user's first device: the server issues backup codes, which the example prints.
    if !out.contains("backup codes (shown once") || field("now ")?.len() != 6 || next.len() != 6 {
        bail!("the example's output lacks backup codes or live codes");
    }
    ensure_apt(&[("curl", "curl")])?;
    let verify = |code: &str| -> Result<String> {
        let out = Command::new("curl")
            .args(["-sS", "-w", "\n%{http_code}", "-X", "POST"])
            .arg(format!("{base}/v1/users/{user}/verify"))
            .args(["-H", &format!("Authorization: Bearer {service_key}")])
            .args(["-H", "Content-Type: application/json"])
            .args(["-d", &format!(r#"{{"code":"{code}"}}"#)])
            .output()
            .context("cannot run curl")?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let first = verify(&next)?;
    let again = verify(&next)?;
    if !(first.ends_with("200") && first.contains(&device) && again.ends_with("422")) {
        bail!("the server did not accept the example's next code once: {first:?}, then {again:?}");
    }
    println!("the server accepted the example's next code for device {device} once");
    Ok(())
}
