//! Runs the shared test vectors (`tests/vectors/*.json`, also read by the language bindings)
//! through the Rust API. Each test checks every case and reports all failures at once.

use serde_json::Value;
use twostep::{Algorithm, Digits, Hotp, KeyUri, KeyUriFields, OtpKind, Period, Secret, Totp};

fn load(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(doc["source"].is_string(), "{path}: no source note");
    doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no cases"))
        .clone()
}

fn text<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    case[key]
        .as_str()
        .ok_or_else(|| format!("field {key:?} missing or not a string"))
}

fn number(case: &Value, key: &str) -> Result<u64, String> {
    case[key]
        .as_u64()
        .ok_or_else(|| format!("field {key:?} missing or not a u64"))
}

fn small(case: &Value, key: &str) -> Result<u32, String> {
    u32::try_from(number(case, key)?).map_err(|_| format!("field {key:?} too large"))
}

fn from_hex(hex: &str) -> Result<Vec<u8>, String> {
    if !hex.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {hex:?}"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| format!("hex {hex:?}: {e}")))
        .collect()
}

/// Runs `check` on every case and fails with the list of every failing case.
fn run_all(file: &str, check: impl Fn(&Value) -> Result<(), String>) -> usize {
    let cases = load(file);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("  {}: {why}", case["name"].as_str().unwrap_or("<unnamed>")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

fn expect<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn check_otp(case: &Value) -> Result<(), String> {
    let secret = Secret::from_bytes(&from_hex(text(case, "secret_hex")?)?)
        .map_err(|e| format!("secret_hex: {e}"))?;
    let b32 = text(case, "secret_base32")?;
    expect("to_base32", secret.to_base32().as_str(), b32)?;
    let decoded = Secret::from_base32(b32).map_err(|e| format!("secret_base32: {e}"))?;
    expect("from_base32 bytes", decoded.as_bytes(), secret.as_bytes())?;
    let algorithm: Algorithm = text(case, "algorithm")?
        .parse()
        .map_err(|e| format!("algorithm: {e}"))?;
    let digits = Digits::new(small(case, "digits")?).map_err(|e| format!("digits: {e}"))?;
    let code = text(case, "code")?;
    match text(case, "type")? {
        "hotp" => {
            let counter = number(case, "counter")?;
            let hotp = Hotp::new(&secret, algorithm, digits);
            expect("code", hotp.code(counter).as_str(), code)?;
            expect("verify", hotp.verify(code, counter, 0), Some(counter))?;
            if let Some(truncated) = case.get("truncated").and_then(Value::as_u64) {
                // With 10 digits the code is the whole 31-bit truncated value.
                let ten = Hotp::new(
                    &secret,
                    algorithm,
                    Digits::new(10).map_err(|e| e.to_string())?,
                );
                expect(
                    "truncated value",
                    ten.code(counter).as_str(),
                    &*format!("{truncated:010}"),
                )?;
            }
            Ok(())
        }
        "totp" => {
            let period = Period::new(small(case, "period")?).map_err(|e| format!("period: {e}"))?;
            let time = number(case, "time")?;
            let step = number(case, "step")?;
            let totp = Totp::new(&secret, algorithm, digits, period);
            expect("step_at", totp.step_at(time), step)?;
            expect("code_at", totp.code_at(time).as_str(), code)?;
            expect("code_at_step", totp.code_at_step(step).as_str(), code)?;
            expect("verify", totp.verify(code, time, 0), Some(step))
        }
        other => Err(format!("unknown type {other:?}")),
    }
}

/// The parsed key URI in the SDK's JSON shape.
fn sdk_shape(uri: &KeyUri) -> Value {
    let mut v = serde_json::json!({
        "type": uri.kind().name(),
        "secret": uri.secret().to_base32().as_str(),
        "issuer": uri.issuer(),
        "account": uri.account(),
        "algorithm": uri.algorithm().name(),
        "digits": uri.digits().get(),
        "params": uri.params().iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
    });
    match uri.kind() {
        OtpKind::Totp { period } => v["period"] = period.get().into(),
        OtpKind::Hotp { counter } => v["counter"] = counter.into(),
    }
    v
}

fn check_uri(case: &Value) -> Result<(), String> {
    let input = text(case, "uri")?;
    let parsed = KeyUri::parse(input);
    if let Some(error) = case.get("error") {
        let error = error.as_str().ok_or("error is not a string")?;
        return match parsed {
            Ok(uri) => Err(format!("parsed, want error {error:?}: {}", sdk_shape(&uri))),
            Err(e) => expect("error code", e.code(), error),
        };
    }
    let uri = parsed.map_err(|e| format!("error {:?} ({e})", e.code()))?;
    expect("fields", sdk_shape(&uri), case["parsed"].clone())?;
    let canonical = text(case, "canonical")?;
    expect("Display", uri.to_string().as_str(), canonical)?;
    let again = KeyUri::parse(canonical).map_err(|e| format!("canonical: error {}", e.code()))?;
    expect(
        "canonical parses to the same KeyUri",
        sdk_shape(&again),
        sdk_shape(&uri),
    )?;
    if again != uri {
        return Err("canonical parses to an unequal KeyUri".into());
    }
    // The bindings' path: KeyUri -> plain fields -> KeyUri.
    let fields = KeyUriFields::from(&uri);
    let rebuilt = KeyUri::try_from(&fields)
        .map_err(|e| format!("KeyUri from its KeyUriFields: error {:?} ({e})", e.code()))?;
    if rebuilt != uri {
        return Err("KeyUri from its KeyUriFields differs".into());
    }
    #[cfg(feature = "serde")]
    {
        // The vector's `parsed` object is the serde shape (with explicit null/empty values).
        let from_json: KeyUriFields = serde_json::from_value(case["parsed"].clone())
            .map_err(|e| format!("parsed as KeyUriFields: {e}"))?;
        if from_json != fields {
            return Err(format!("KeyUriFields differ: {from_json:?} vs {fields:?}"));
        }
        let serialized = serde_json::to_value(&fields).map_err(|e| e.to_string())?;
        let back: KeyUriFields = serde_json::from_value(serialized).map_err(|e| e.to_string())?;
        if back != fields {
            return Err("KeyUriFields serde round trip differs".into());
        }
    }
    match uri.kind() {
        OtpKind::Totp { .. } => Totp::from_uri(input).map(drop),
        OtpKind::Hotp { .. } => Hotp::from_key_uri(&uri).map(drop),
    }
    .map_err(|e| format!("generator from URI: {e}"))
}

#[test]
fn otp_vectors() {
    let n = run_all("otp.json", check_otp);
    assert_eq!(n, 10 + 6 * 3, "RFC 4226 D has 10 cases, RFC 6238 B has 18");
}

#[test]
fn uri_vectors() {
    let n = run_all("uri.json", check_uri);
    assert!(n >= 40, "only {n} key-URI cases");
}
