//! The `twostep` binary end to end: RFC 6238 vectors, exit statuses, one-line errors.

use std::process::{Command, Output};

const SHA1_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SHA256_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
const SHA512_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

fn twostep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twostep"))
        .args(args)
        .output()
        .expect("the twostep binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

fn assert_usage_error(args: &[&str]) {
    let out = twostep(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line expected, got {err:?}"
    );
    assert!(err.starts_with("twostep: "), "{args:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn rfc6238_appendix_b_through_the_cli() {
    let table = [
        (59u64, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];
    for (time, sha1, sha256, sha512) in table {
        let time = time.to_string();
        for (seed, alg, want) in [
            (SHA1_SEED, "SHA1", sha1),
            (SHA256_SEED, "SHA256", sha256),
            (SHA512_SEED, "SHA512", sha512),
        ] {
            let out = twostep(&[
                "code",
                "--secret",
                seed,
                "--algorithm",
                alg,
                "--digits",
                "8",
                "--time",
                &time,
            ]);
            assert!(out.status.success(), "{alg} at {time}");
            assert_eq!(stdout(&out), want, "{alg} at {time}");
        }
    }
}

#[test]
fn hotp_rfc4226_and_uri_forms() {
    let want = ["755224", "287082", "359152", "969429", "338314"];
    for (counter, code) in want.iter().enumerate() {
        let c = counter.to_string();
        assert_eq!(
            stdout(&twostep(&["code", "--secret", SHA1_SEED, "--counter", &c])),
            *code
        );
        let uri = format!("otpauth://hotp/t:u?secret={SHA1_SEED}&counter={counter}");
        assert_eq!(stdout(&twostep(&["code", "--uri", &uri])), *code);
    }
    let uri = format!("otpauth://totp/ACME:alice?secret={SHA1_SEED}&digits=8&issuer=ACME");
    assert_eq!(
        stdout(&twostep(&["code", "--uri", &uri, "--time", "59"])),
        "94287082"
    );
}

#[test]
fn verify_prints_the_step_or_exits_1() {
    let uri = format!("otpauth://totp/ACME:alice?secret={SHA1_SEED}&digits=8");
    let ok = twostep(&[
        "verify",
        "--uri",
        &uri,
        "--code",
        "07081804",
        "--time",
        "1111111109",
    ]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok), (1111111109u64 / 30).to_string());
    // The previous step's code is inside the default window of 1, not inside 0.
    let prev = twostep(&[
        "verify",
        "--uri",
        &uri,
        "--code",
        "07081804",
        "--time",
        "1111111139",
    ]);
    assert_eq!(stdout(&prev), (1111111109u64 / 30).to_string());
    let strict = twostep(&[
        "verify",
        "--uri",
        &uri,
        "--code",
        "07081804",
        "--time",
        "1111111139",
        "--window",
        "0",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty());
    let wrong = twostep(&[
        "verify",
        "--uri",
        &uri,
        "--code",
        "07081805",
        "--time",
        "1111111109",
    ]);
    assert_eq!(wrong.status.code(), Some(1));
}

#[test]
fn uri_parse_prints_one_json_object() {
    let out = twostep(&[
        "uri",
        "parse",
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=jbsw%20y3dp%20ehpk%203pxp&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60&image=https%3A%2F%2Fx.test%2Fa.png",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!({
            "type": "totp", "secret": "JBSWY3DPEHPK3PXP", "issuer": "ACME Co",
            "account": "john.doe@email.com", "algorithm": "SHA256", "digits": 8, "period": 60,
            "params": [["image", "https://x.test/a.png"]]
        })
    );
}

#[test]
fn uri_build_matches_the_key_uri_format() {
    let out = twostep(&[
        "uri",
        "build",
        "--secret",
        "jbswy3dpehpk3pxp",
        "--account",
        "alice smith@x.test",
        "--issuer",
        "ACME Co",
        "--digits",
        "8",
    ]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "otpauth://totp/ACME%20Co:alice%20smith@x.test?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=8&period=30"
    );
}

#[test]
fn secret_is_random_base32_of_the_asked_length() {
    let a = stdout(&twostep(&["secret"]));
    let b = stdout(&twostep(&["secret"]));
    assert_eq!(a.len(), 32, "160 bits are 32 base32 characters");
    assert_ne!(a, b);
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    );
    assert_eq!(stdout(&twostep(&["secret", "--bytes", "32"])).len(), 52);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let uri = format!("otpauth://totp/x?secret={SHA1_SEED}");
    for args in [
        &[][..],
        &["frobnicate"],
        &["code"],
        &["code", "--secret", "JBSW1"],
        &["code", "--secret", SHA1_SEED, "--digits", "5"],
        &[
            "code",
            "--secret",
            SHA1_SEED,
            "--digits",
            "99999999999999999999999",
        ],
        &["code", "--secret", SHA1_SEED, "--period", "0"],
        &["code", "--secret", SHA1_SEED, "--algorithm", "MD5"],
        &["code", "--secret", SHA1_SEED, "--time", "-1"],
        &["code", "--secret", SHA1_SEED, "--time"],
        &["code", "--secret", SHA1_SEED, "--bogus", "1"],
        &["code", "--secret", SHA1_SEED, "extra"],
        &["code", "--uri", "http://example.com"],
        &["code", "--uri", "otpauth://totp/x?secret="],
        &["verify", "--uri", &uri],
        &[
            "verify", "--uri", &uri, "--code", "123456", "--window", "256",
        ],
        &["uri"],
        &["uri", "parse"],
        &[
            "uri",
            "parse",
            "otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP&issuer=B",
        ],
        &["uri", "build", "--secret", SHA1_SEED],
        &["uri", "build", "--secret", SHA1_SEED, "--account", "a:b"],
        &["secret", "--bytes", "8"],
        &["secret", "--bytes", "100000"],
    ] {
        assert_usage_error(args);
    }
}

#[test]
fn agrees_with_oathtool_when_installed() {
    let Ok(probe) = Command::new("oathtool").arg("--version").output() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "oathtool must be installed in CI"
        );
        eprintln!("oathtool not installed: skipping the CLI cross-check");
        return;
    };
    assert!(probe.status.success());
    for (i, time) in [0u64, 59, 1_700_000_000, 4_102_444_800]
        .into_iter()
        .enumerate()
    {
        let digits = ["6", "7", "8", "8"][i];
        let ours = stdout(&twostep(&[
            "code",
            "--secret",
            SHA1_SEED,
            "--time",
            &time.to_string(),
            "--digits",
            digits,
        ]));
        let theirs = Command::new("oathtool")
            .args([
                "--totp",
                "-b",
                "-d",
                digits,
                "-N",
                &format!("@{time}"),
                SHA1_SEED,
            ])
            .output()
            .expect("oathtool runs");
        assert_eq!(
            ours,
            String::from_utf8_lossy(&theirs.stdout).trim(),
            "at {time}"
        );
    }
}

#[test]
fn qr_png_decodes_back_to_the_uri() {
    let uri = format!("otpauth://totp/ACME%20Co:alice@x.test?secret={SHA1_SEED}&issuer=ACME%20Co");
    let dir = std::env::temp_dir().join(format!("twostep-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let png_path = dir.join("pair.png");
    let out = twostep(&[
        "qr",
        &uri,
        "--png",
        png_path.to_str().expect("utf-8 path"),
        "--ec",
        "H",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).expect("written"),
    ));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().expect("decodes");
    assert_eq!(text, uri);

    let svg_path = dir.join("pair.svg");
    assert!(
        twostep(&["qr", &uri, "--svg", svg_path.to_str().expect("utf-8")])
            .status
            .success()
    );
    let svg = std::fs::read_to_string(&svg_path).expect("written");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let term = twostep(&["qr", &uri, "--terminal"]);
    assert!(term.status.success());
    assert!(stdout(&term).contains('▀') || stdout(&term).contains('▄'));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn import_prints_one_uri_per_account() {
    let out = twostep(&[
        "import",
        "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC",
    ]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
    );
    assert_usage_error(&["import", "otpauth-migration://offline?data=%%"]);
    assert_usage_error(&["import"]);
    assert_usage_error(&["qr", "x"]);
    assert_usage_error(&["qr", "x", "--svg", "/tmp/a.svg", "--terminal"]);
    assert_usage_error(&["qr", "x", "--terminal", "--dark", "blue"]);
    assert_usage_error(&["qr", "x", "--terminal", "--ec", "X"]);
    assert_usage_error(&["qr", &"x".repeat(3000), "--terminal"]);
    assert_usage_error(&["qr", "x", "--svg", "/nonexistent-dir/a.svg"]);
}
