//! Conversions between JavaScript values and core types. Every JavaScript-side type or
//! range error becomes an `invalid_argument` error here; every core error keeps its code.

use crate::error::{from_core, invalid_argument};
use alloc::string::String;
use js_sys::{Object, Reflect};
use twostep::{Algorithm, Digits, KeyUri, OtpKind, Period, Secret};
use wasm_bindgen::{JsCast as _, JsValue};

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Reads `obj[name]`; a missing options object reads as all fields absent.
pub fn field(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !obj.is_object() {
        return Err(invalid_argument("options must be an object"));
    }
    Reflect::get(obj, &JsValue::from_str(name))
        .map_err(|_| invalid_argument("cannot read an options field"))
}

/// `undefined` and `null` mean "not given".
pub fn given(value: &JsValue) -> Option<&JsValue> {
    if value.is_undefined() || value.is_null() {
        None
    } else {
        Some(value)
    }
}

/// A required string.
pub fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid_argument(&concat(what, " must be a string")))
}

/// A whole number from 0 to `Number.MAX_SAFE_INTEGER`, as JavaScript numbers cross.
pub fn whole(value: &JsValue, what: &str) -> Result<u64, JsValue> {
    match value.as_f64() {
        Some(n) if (0.0..=MAX_SAFE_INTEGER).contains(&n) && (n as u64) as f64 == n => Ok(n as u64),
        _ => Err(invalid_argument(&concat(
            what,
            " must be a whole number from 0 to Number.MAX_SAFE_INTEGER",
        ))),
    }
}

/// A whole number no larger than `max`.
pub fn small(value: &JsValue, what: &str, max: u32) -> Result<u32, JsValue> {
    match whole(value, what)? {
        n if n <= u64::from(max) => Ok(n as u32),
        _ => Err(invalid_argument(&concat(what, " is too large"))),
    }
}

#[cfg(feature = "otp")]
/// A time in unix seconds; absent means now (`Date.now() / 1000`, rounded down).
pub fn time(value: &JsValue) -> Result<u64, JsValue> {
    match given(value) {
        Some(t) => whole(t, "time"),
        None => Ok((js_sys::Date::now() / 1000.0) as u64),
    }
}

/// A `u64` back to JavaScript; values above `Number.MAX_SAFE_INTEGER` are refused rather
/// than silently rounded.
pub fn number(n: u64, what: &str) -> Result<JsValue, JsValue> {
    if n as f64 <= MAX_SAFE_INTEGER {
        Ok(JsValue::from_f64(n as f64))
    } else {
        Err(invalid_argument(&concat(
            what,
            " is above Number.MAX_SAFE_INTEGER and cannot cross to JavaScript exactly",
        )))
    }
}

/// A base32 secret.
pub fn secret(value: &JsValue) -> Result<Secret, JsValue> {
    let text = zeroize_string(string(value, "secret")?);
    Secret::from_base32(&text).map_err(from_core)
}

/// Optional `algorithm`, `digits`, `period` fields of an options object.
pub fn algorithm(opts: &JsValue) -> Result<Algorithm, JsValue> {
    match given(&field(opts, "algorithm")?) {
        Some(v) => string(v, "algorithm")?.parse().map_err(from_core),
        None => Ok(Algorithm::default()),
    }
}

/// See [`algorithm`].
pub fn digits(opts: &JsValue) -> Result<Digits, JsValue> {
    match given(&field(opts, "digits")?) {
        Some(v) => Digits::new(small(v, "digits", u32::MAX)?).map_err(from_core),
        None => Ok(Digits::default()),
    }
}

/// See [`algorithm`].
pub fn period(opts: &JsValue) -> Result<Period, JsValue> {
    match given(&field(opts, "period")?) {
        Some(v) => Period::new(small(v, "period", u32::MAX)?).map_err(from_core),
        None => Ok(Period::default()),
    }
}

fn zeroize_string(s: String) -> twostep::Zeroizing<String> {
    twostep::Zeroizing::new(s)
}

fn concat(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

fn set(obj: &Object, name: &str, value: &JsValue) {
    // Defining a property on a plain object we just created cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(name), value);
}

/// A `KeyUri` as the plain object every binding uses:
/// `{type, secret, issuer?, account, algorithm, digits, period?, counter?, params?}`.
pub fn key_uri_to_js(uri: &KeyUri) -> Result<JsValue, JsValue> {
    let obj = Object::new();
    set(&obj, "type", &JsValue::from_str(uri.kind().name()));
    set(
        &obj,
        "secret",
        &JsValue::from_str(&uri.secret().to_base32()),
    );
    if let Some(issuer) = uri.issuer() {
        set(&obj, "issuer", &JsValue::from_str(issuer));
    }
    set(&obj, "account", &JsValue::from_str(uri.account()));
    set(
        &obj,
        "algorithm",
        &JsValue::from_str(uri.algorithm().name()),
    );
    set(&obj, "digits", &JsValue::from(uri.digits().get()));
    match uri.kind() {
        OtpKind::Totp { period } => set(&obj, "period", &JsValue::from(period.get())),
        OtpKind::Hotp { counter } => set(&obj, "counter", &number(counter, "counter")?),
    }
    if !uri.params().is_empty() {
        let params = Object::new();
        for (name, value) in uri.params() {
            set(&params, name, &JsValue::from_str(value));
        }
        set(&obj, "params", &params);
    }
    Ok(obj.into())
}

/// The inverse of [`key_uri_to_js`]; `algorithm`, `digits` and `period` may be left out
/// for their defaults (SHA1, 6, 30).
pub fn key_uri_from_js(obj: &JsValue) -> Result<KeyUri, JsValue> {
    if !obj.is_object() {
        return Err(invalid_argument("keyUri must be an object"));
    }
    let kind = match string(&field(obj, "type")?, "type")?.as_str() {
        "totp" => OtpKind::Totp {
            period: period(obj)?,
        },
        "hotp" => OtpKind::Hotp {
            counter: whole(&field(obj, "counter")?, "counter")?,
        },
        _ => return Err(from_core(twostep::UriError::UnsupportedType)),
    };
    let secret = match given(&field(obj, "secret")?) {
        Some(v) => secret(v)?,
        None => return Err(from_core(twostep::UriError::MissingSecret)),
    };
    let account = string(&field(obj, "account")?, "account")?;
    let mut uri = KeyUri::new(kind, secret, &account)
        .map_err(from_core)?
        .with_algorithm(algorithm(obj)?)
        .with_digits(digits(obj)?);
    if let Some(issuer) = given(&field(obj, "issuer")?) {
        uri = uri
            .with_issuer(&string(issuer, "issuer")?)
            .map_err(from_core)?;
    }
    if let Some(params) = given(&field(obj, "params")?) {
        if !params.is_object() {
            return Err(invalid_argument("params must be an object of strings"));
        }
        for entry in Object::entries(params.unchecked_ref()).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let name = string(&pair.get(0), "a params name")?;
            let value = string(&pair.get(1), "a params value")?;
            uri = uri.with_param(&name, &value).map_err(from_core)?;
        }
    }
    Ok(uri)
}
