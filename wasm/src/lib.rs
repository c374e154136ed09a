//! # twostep-wasm
//!
//! The WebAssembly half of the JavaScript package `twostep-wasm`: TOTP/HOTP codes,
//! `otpauth://` key URIs and (feature `qr`) QR codes from the Rust crate [`twostep`].
//!
//! The exports here are the package's internal boundary, not its API: they take and return
//! only strings, numbers, byte arrays and flat arrays of strings and numbers (a call's options
//! or a key URI's fields in one array), which cost the least WebAssembly and JavaScript glue
//! to cross. The public API (`generateSecret`, `Totp`, `hotp`, `parseUri`, `buildUri`, `qrSvg`,
//! … in the JavaScript column of the SDK contract) is `js/api.js`, a thin hand-written layer
//! that checks JavaScript argument types, fills "now" for absent times, builds the `KeyUri`
//! objects from the flat field lists these exports return, and turns the error codes they
//! throw into `TwostepError`s. Neither side holds protocol logic: every rule lives in core,
//! every error code is core's `.code()` (mapped in [`error`]).
//!
//! Numbers arrive already checked by the layer (whole, in range, at most
//! `Number.MAX_SAFE_INTEGER`), so the `f64 as u64` conversions here are exact.
//!
//! ## Features
//!
//! - `otp` (default): `Totp` and `hotp` (SHA-1/256/512).
//! - `qr` (default): `qrSvg`, `qrPng`, `qrDataUrl`.
//! - `migration` (default): `importMigration` (Google Authenticator export QR codes).

// On wasm32 the crate does without std: its panic machinery formats messages nobody can see
// and would pull `core::fmt` into every export.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// No input reaches a panic (every error is a `TwostepError`); if a bug did, the module
/// traps instead of formatting a message.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod error;

use alloc::string::String;
use alloc::vec::Vec;
use error::{Failure, from_core};
use twostep::{KeyUri, KeyUriFields, Secret};
use wasm_bindgen::prelude::*;

/// A new random secret of `random.len()` bytes (core checks the length), as base32; the
/// layer fills `random` from `crypto.getRandomValues` and wipes it afterwards.
#[wasm_bindgen]
pub fn secret(random: &[u8]) -> Result<String, Failure> {
    let secret =
        Secret::random(random.len(), |buf| buf.copy_from_slice(random)).map_err(from_core)?;
    Ok(String::from(secret.to_base32().as_str()))
}

/// A key URI's fields, flat: `[type, secret, issuer, account, algorithm, digits, period,
/// counter, name1, value1, name2, value2, …]`, absent ones `undefined` (the shape of core's
/// `KeyUriFields`, read straight from the accessors). A counter above
/// `Number.MAX_SAFE_INTEGER` arrives rounded to at least 2^53, which the layer refuses.
fn fields(uri: &KeyUri) -> Vec<JsValue> {
    let text = |s: &str| JsValue::from_str(s);
    let number = |n: Option<f64>| n.map_or(JsValue::UNDEFINED, JsValue::from_f64);
    let mut out = alloc::vec![
        text(uri.kind().name()),
        text(&uri.secret().to_base32()),
        uri.issuer().map_or(JsValue::UNDEFINED, text),
        text(uri.account()),
        text(uri.algorithm().name()),
        number(Some(f64::from(uri.digits().get()))),
        number(uri.period().map(|p| f64::from(p.get()))),
        number(uri.counter().map(|c| c as f64)),
    ];
    for (name, value) in uri.params() {
        out.push(text(name));
        out.push(text(value));
    }
    out
}

/// Parses a key URI into its flat fields (see [`fields`]).
#[wasm_bindgen(js_name = parseUri)]
pub fn parse_uri(uri: &str) -> Result<Vec<JsValue>, Failure> {
    Ok(fields(&KeyUri::parse(uri).map_err(from_core)?))
}

/// Builds the URI of key URI fields, flat as [`fields`] gives them (the layer has checked
/// their JavaScript types); absent `algorithm` and `digits` take core's defaults.
#[wasm_bindgen(js_name = buildUri)]
pub fn build_uri(flat: Vec<JsValue>) -> Result<String, Failure> {
    let text = |i: usize| flat.get(i).and_then(JsValue::as_string);
    let number = |i: usize| flat.get(i).and_then(JsValue::as_f64);
    let fields = KeyUriFields {
        kind: text(0).unwrap_or_default(),
        secret: text(1).unwrap_or_default(),
        issuer: text(2),
        account: text(3).unwrap_or_default(),
        algorithm: text(4).unwrap_or_else(|| String::from(twostep::Algorithm::default().name())),
        digits: number(5).map_or(u32::from(twostep::Digits::default().get()), |d| d as u32),
        period: number(6).map(|p| p as u32),
        counter: number(7).map(|c| c as u64),
        params: flat
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|p| (text_of(&p[0]), text_of(&p[1])))
            .collect(),
    };
    Ok(KeyUri::try_from(&fields)
        .map_err(from_core)?
        .to_uri_string())
}

fn text_of(value: &JsValue) -> String {
    value.as_string().unwrap_or_default()
}

#[cfg(feature = "otp")]
mod otp {
    use super::*;
    use twostep::{Algorithm, Digits, Period, Zeroizing};

    /// `[secret, algorithm, digits, …]` of `new Totp` and `hotp`, absent ones `undefined`
    /// (core's defaults).
    struct Options(Vec<JsValue>);

    impl Options {
        fn secret(&self) -> Result<Secret, Failure> {
            let base32 = Zeroizing::new(self.0.first().map(text_of).unwrap_or_default());
            Secret::from_base32(&base32).map_err(from_core)
        }

        fn algorithm(&self) -> Result<Algorithm, Failure> {
            match self.0.get(1).and_then(JsValue::as_string) {
                Some(a) => a.parse().map_err(from_core),
                None => Ok(Algorithm::default()),
            }
        }

        fn digits(&self) -> Result<Digits, Failure> {
            match self.0.get(2).and_then(JsValue::as_f64) {
                Some(d) => Digits::new(d as u32).map_err(from_core),
                None => Ok(Digits::default()),
            }
        }
    }

    /// A TOTP generator and verifier (RFC 6238) for one secret, held in WebAssembly memory
    /// and wiped when freed.
    #[wasm_bindgen]
    #[derive(Debug)]
    pub struct Otp(twostep::Totp);

    #[wasm_bindgen]
    impl Otp {
        /// A TOTP of `[secret, algorithm, digits, period]`.
        #[wasm_bindgen(constructor)]
        pub fn new(options: Vec<JsValue>) -> Result<Otp, Failure> {
            let options = Options(options);
            let period = match options.0.get(3).and_then(JsValue::as_f64) {
                Some(p) => Period::new(p as u32).map_err(from_core)?,
                None => Period::default(),
            };
            Ok(Otp(twostep::Totp::new(
                &options.secret()?,
                options.algorithm()?,
                options.digits()?,
                period,
            )))
        }

        /// The TOTP of an `otpauth://totp/…` URI.
        #[wasm_bindgen(js_name = fromUri)]
        pub fn from_uri(uri: &str) -> Result<Otp, Failure> {
            Ok(Otp(twostep::Totp::from_uri(uri).map_err(from_core)?))
        }

        /// The code at `time` (unix seconds).
        pub fn code(&self, time: f64) -> String {
            String::from(self.0.code_at(time as u64).as_str())
        }

        /// The matched time step of `code` at `time` within `window` steps, or -1.
        pub fn verify(&self, code: &str, time: f64, window: u8) -> f64 {
            self.0
                .verify(code, time as u64, window)
                .map_or(-1.0, |step| step as f64)
        }

        /// Seconds from `time` until the code changes.
        pub fn left(&self, time: f64) -> u32 {
            self.0.seconds_remaining(time as u64) as u32
        }

        /// `"SHA1"`, `"SHA256"` or `"SHA512"`.
        pub fn algorithm(&self) -> String {
            String::from(self.0.algorithm().name())
        }

        /// The code length.
        pub fn digits(&self) -> u8 {
            self.0.digits().get()
        }

        /// The time step in seconds.
        pub fn period(&self) -> u32 {
            self.0.period().get()
        }
    }

    /// The HOTP code (RFC 4226) at `counter` of `[secret, algorithm, digits]`.
    #[wasm_bindgen]
    pub fn hotp(counter: f64, options: Vec<JsValue>) -> Result<String, Failure> {
        let options = Options(options);
        let h = twostep::Hotp::new(&options.secret()?, options.algorithm()?, options.digits()?);
        Ok(String::from(h.code(counter as u64).as_str()))
    }
}

/// `text` as a QR code: `format` 0 is SVG markup, 1 PNG bytes, 2 a `data:` URL (the text
/// ones as UTF-8); `options` is `[ec, quietZone, dark, light, scale]`, absent ones
/// `undefined` (core's defaults).
#[cfg(feature = "qr")]
#[wasm_bindgen]
pub fn qr(text: &str, format: u8, options: Vec<JsValue>) -> Result<Vec<u8>, Failure> {
    use twostep::qr::QrOptions;
    let d = QrOptions::default();
    let given = |i: usize| options.get(i).and_then(JsValue::as_string);
    let number = |i: usize| options.get(i).and_then(JsValue::as_f64);
    let options = QrOptions {
        ec: match given(0) {
            Some(e) => e.parse().map_err(from_core)?,
            None => d.ec,
        },
        quiet_zone: number(1).map_or(d.quiet_zone, |q| q as u8),
        dark: match given(2) {
            Some(c) => c.parse().map_err(from_core)?,
            None => d.dark,
        },
        light: match given(3) {
            Some(c) => c.parse().map_err(from_core)?,
            None => d.light,
        },
        scale: number(4).map_or(d.scale, |s| s as u16),
    };
    match format {
        0 => twostep::qr::svg(text, &options).map(String::into_bytes),
        1 => twostep::qr::png(text, &options),
        _ => twostep::qr::data_url(text, &options).map(String::into_bytes),
    }
    .map_err(from_core)
}

/// The keys of a Google Authenticator export URI, or with `all` of every part of one
/// export, each as its `otpauth://` URI; the layer parses them back into `KeyUri` objects.
#[cfg(feature = "migration")]
#[wasm_bindgen(js_name = importMigration)]
pub fn import_migration(uris: Vec<JsValue>, all: bool) -> Result<Vec<JsValue>, Failure> {
    let uris: Vec<String> = uris.iter().map(text_of).collect();
    let keys = match (all, uris.first()) {
        (false, Some(uri)) => twostep::migration::import(uri),
        _ => twostep::migration::import_all(&uris),
    }
    .map_err(from_core)?;
    Ok(keys
        .iter()
        .map(|k| JsValue::from_str(&k.to_uri_string()))
        .collect())
}
