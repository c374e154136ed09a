//! Conversions between JavaScript values and core types. Every JavaScript-side type or
//! range error becomes an `invalid_argument` error here; every core error keeps its code.

use crate::error::{from_core, invalid_argument};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Reflect};
use twostep::{Algorithm, Digits, KeyUri, KeyUriFields};
#[cfg(feature = "otp")]
use twostep::{Period, Secret};
use wasm_bindgen::JsValue;

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: u64 = (1 << 53) - 1;
const MAX_SAFE_INTEGER: f64 = MAX_SAFE as f64;

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
    if n <= MAX_SAFE {
        Ok(JsValue::from_f64(n as f64))
    } else {
        Err(invalid_argument(&concat(
            what,
            " is above Number.MAX_SAFE_INTEGER and cannot cross to JavaScript exactly",
        )))
    }
}

#[cfg(feature = "otp")]
/// A base32 secret.
pub fn secret(value: &JsValue) -> Result<Secret, JsValue> {
    let text = zeroize_string(string(value, "secret")?);
    Secret::from_base32(&text).map_err(from_core)
}

#[cfg(feature = "otp")]
/// Optional `algorithm`, `digits`, `period` fields of an options object.
pub fn algorithm(opts: &JsValue) -> Result<Algorithm, JsValue> {
    match given(&field(opts, "algorithm")?) {
        Some(v) => string(v, "algorithm")?.parse().map_err(from_core),
        None => Ok(Algorithm::default()),
    }
}

#[cfg(feature = "otp")]
/// See [`algorithm`].
pub fn digits(opts: &JsValue) -> Result<Digits, JsValue> {
    match given(&field(opts, "digits")?) {
        Some(v) => Digits::new(small(v, "digits", u32::MAX)?).map_err(from_core),
        None => Ok(Digits::default()),
    }
}

#[cfg(feature = "otp")]
/// See [`algorithm`].
pub fn period(opts: &JsValue) -> Result<Period, JsValue> {
    match given(&field(opts, "period")?) {
        Some(v) => Period::new(small(v, "period", u32::MAX)?).map_err(from_core),
        None => Ok(Period::default()),
    }
}

#[cfg(feature = "otp")]
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

/// A `KeyUri` as the plain object every binding uses, the shape of core's `KeyUriFields`
/// (and its serde form): `{type, secret, issuer?, account, algorithm, digits, period?,
/// counter?, params?: [name, value][]}`. Only copies fields: core fills them.
pub fn key_uri_to_js(uri: &KeyUri) -> Result<JsValue, JsValue> {
    let f = KeyUriFields::from(uri);
    let obj = Object::new();
    set(&obj, "type", &JsValue::from_str(&f.kind));
    set(&obj, "secret", &JsValue::from_str(&f.secret));
    if let Some(issuer) = &f.issuer {
        set(&obj, "issuer", &JsValue::from_str(issuer));
    }
    set(&obj, "account", &JsValue::from_str(&f.account));
    set(&obj, "algorithm", &JsValue::from_str(&f.algorithm));
    set(&obj, "digits", &JsValue::from(f.digits));
    if let Some(period) = f.period {
        set(&obj, "period", &JsValue::from(period));
    }
    if let Some(counter) = f.counter {
        set(&obj, "counter", &number(counter, "counter")?);
    }
    if !f.params.is_empty() {
        let params = Array::new();
        for (name, value) in &f.params {
            params.push(&Array::of2(
                &JsValue::from_str(name),
                &JsValue::from_str(value),
            ));
        }
        set(&obj, "params", &params);
    }
    Ok(obj.into())
}

/// The inverse of [`key_uri_to_js`]: copies the fields (type errors are
/// `invalid_argument`), then core's `KeyUri::try_from` checks them. `algorithm` and
/// `digits` may be left out for core's defaults, like its serde form allows.
pub fn key_uri_from_js(obj: &JsValue) -> Result<KeyUri, JsValue> {
    if !obj.is_object() {
        return Err(invalid_argument("keyUri must be an object"));
    }
    let optional =
        |name: &str| -> Result<Option<JsValue>, JsValue> { Ok(given(&field(obj, name)?).cloned()) };
    let mut fields = KeyUriFields {
        kind: string(&field(obj, "type")?, "type")?,
        secret: string(&field(obj, "secret")?, "secret")?,
        issuer: optional("issuer")?
            .map(|v| string(&v, "issuer"))
            .transpose()?,
        account: string(&field(obj, "account")?, "account")?,
        algorithm: match optional("algorithm")? {
            Some(v) => string(&v, "algorithm")?,
            None => String::from(Algorithm::default().name()),
        },
        digits: match optional("digits")? {
            Some(v) => small(&v, "digits", u32::MAX)?,
            None => u32::from(Digits::default().get()),
        },
        period: optional("period")?
            .map(|v| small(&v, "period", u32::MAX))
            .transpose()?,
        counter: optional("counter")?
            .map(|v| whole(&v, "counter"))
            .transpose()?,
        params: Vec::new(),
    };
    if let Some(params) = optional("params")? {
        if !Array::is_array(&params) {
            return Err(invalid_argument(
                "params must be an array of [name, value] pairs",
            ));
        }
        for pair in Array::from(&params).iter() {
            if !Array::is_array(&pair) {
                return Err(invalid_argument(
                    "params must be an array of [name, value] pairs",
                ));
            }
            let pair = Array::from(&pair);
            fields.params.push((
                string(&pair.get(0), "a params name")?,
                string(&pair.get(1), "a params value")?,
            ));
        }
    }
    KeyUri::try_from(&fields).map_err(from_core)
}
