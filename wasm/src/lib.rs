//! # twostep-wasm
//!
//! The JavaScript face of [`twostep`]: TOTP/HOTP codes, `otpauth://` key URIs and (feature
//! `qr`) QR codes, compiled to WebAssembly with wasm-bindgen. The names follow the
//! JavaScript column of the SDK contract (`generateSecret`, `Totp`, `hotp`, `parseUri`,
//! `buildUri`, …).
//!
//! This crate only converts: JavaScript values to core types and back, core errors to a
//! JavaScript `Error` named `TwostepError` with core's stable `code`. Every protocol rule
//! lives in core. Times and counters cross as JavaScript numbers (whole seconds, at most
//! `Number.MAX_SAFE_INTEGER`), never as `BigInt`.
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

mod convert;
mod error;

use alloc::string::String;
#[cfg(feature = "migration")]
use alloc::vec::Vec;
use convert::{given, key_uri_from_js, key_uri_to_js, string};
use error::{from_core, twostep_error};
use twostep::{KeyUri, Secret};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** An `otpauth://` key URI as a plain object, the shape every twostep binding uses. */
export interface KeyUri {
    type: "totp" | "hotp";
    secret: string;
    issuer?: string;
    account: string;
    algorithm: Algorithm;
    digits: number;
    period?: number;
    counter?: number;
    params?: [string, string][];
}
/** What `buildUri` takes: a `KeyUri` whose algorithm, digits and period may be left out. */
export type KeyUriInput = Omit<KeyUri, "algorithm" | "digits"> & Partial<Pick<KeyUri, "algorithm" | "digits">>;
/** A hash algorithm name. */
export type Algorithm = "SHA1" | "SHA256" | "SHA512";
/** Options of `new Totp(...)`. */
export interface TotpOptions { secret: string; algorithm?: Algorithm; digits?: number; period?: number; }
/** Options of `Totp.verify`. */
export interface VerifyOptions { time?: number; window?: number; }
/** Options of `hotp`. */
export interface HotpOptions { algorithm?: Algorithm; digits?: number; }
/** Options of `qrSvg`, `qrPng` and `qrDataUrl`. */
export interface QrOptions {
    ec?: "L" | "M" | "Q" | "H";
    quietZone?: number;
    dark?: string;
    light?: string;
    scale?: number;
}
/** The error every function of this package throws. */
export interface TwostepError extends Error { name: "TwostepError"; code: string; }
"#;

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues`, the platform's cryptographically secure random source
    /// (browsers, Node ≥ 19, Deno, workers).
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<(), JsValue>;
}

/// A new random secret of `bytes` bytes (default 20, at least 16, at most 256), as base32
/// text; the randomness comes from `crypto.getRandomValues`.
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret(
    #[wasm_bindgen(unchecked_optional_param_type = "number")] bytes: JsValue,
) -> Result<String, JsValue> {
    let len = match given(&bytes) {
        Some(n) => convert::small(n, "bytes", 65_536)? as usize,
        None => Secret::DEFAULT_LEN,
    };
    let mut failed = None;
    let secret = Secret::random(len, |buf| {
        if let Err(e) = get_random_values(buf) {
            failed = Some(e);
        }
    })
    .map_err(from_core)?;
    if failed.is_some() {
        return Err(twostep_error(
            "random_unavailable",
            "crypto.getRandomValues is not available or failed",
        ));
    }
    Ok(String::from(secret.to_base32().as_str()))
}

/// Parses an `otpauth://` key URI into a plain object
/// `{type, secret, issuer?, account, algorithm, digits, period?, counter?, params?}`.
#[wasm_bindgen(js_name = parseUri, unchecked_return_type = "KeyUri")]
pub fn parse_uri(
    #[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue,
) -> Result<JsValue, JsValue> {
    let text = string(&uri, "uri")?;
    key_uri_to_js(&KeyUri::parse(&text).map_err(from_core)?)
}

/// Builds the `otpauth://` URI of a key URI object (the shape `parseUri` returns;
/// `algorithm`, `digits` and `period` may be left out for SHA1, 6 and 30).
#[wasm_bindgen(js_name = buildUri)]
pub fn build_uri(
    #[wasm_bindgen(js_name = keyUri, unchecked_param_type = "KeyUriInput")] key_uri: JsValue,
) -> Result<String, JsValue> {
    Ok(key_uri_from_js(&key_uri)?.to_uri_string())
}

#[cfg(feature = "otp")]
mod otp {
    use super::*;
    use crate::convert::{algorithm, digits, period, small, whole};
    use crate::convert::{field, time};
    use crate::error::invalid_argument;

    /// A TOTP generator and verifier (RFC 6238) for one secret.
    #[wasm_bindgen(js_name = Totp)]
    #[derive(Debug)]
    pub struct JsTotp {
        inner: twostep::Totp,
    }

    #[wasm_bindgen(js_class = Totp)]
    impl JsTotp {
        /// `new Totp({secret, algorithm?, digits?, period?})`: base32 secret, `"SHA1"` (default),
        /// `"SHA256"` or `"SHA512"`, 6 (default) to 10 digits, period in seconds (default 30).
        #[wasm_bindgen(constructor)]
        pub fn new(
            #[wasm_bindgen(unchecked_param_type = "TotpOptions")] options: JsValue,
        ) -> Result<JsTotp, JsValue> {
            if !options.is_object() {
                return Err(invalid_argument(
                    "new Totp() takes an options object {secret, algorithm?, digits?, period?}",
                ));
            }
            let secret = match given(&field(&options, "secret")?) {
                Some(v) => convert::secret(v)?,
                None => return Err(from_core(twostep::UriError::MissingSecret)),
            };
            Ok(JsTotp {
                inner: twostep::Totp::new(
                    &secret,
                    algorithm(&options)?,
                    digits(&options)?,
                    period(&options)?,
                ),
            })
        }

        /// The TOTP of an `otpauth://totp/…` URI.
        #[wasm_bindgen(js_name = fromUri)]
        pub fn from_uri(
            #[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue,
        ) -> Result<JsTotp, JsValue> {
            let text = string(&uri, "uri")?;
            Ok(JsTotp {
                inner: twostep::Totp::from_uri(&text).map_err(from_core)?,
            })
        }

        /// The code at `time` (unix seconds; default now).
        pub fn code(
            &self,
            #[wasm_bindgen(unchecked_optional_param_type = "number")] time: JsValue,
        ) -> Result<String, JsValue> {
            Ok(String::from(
                self.inner.code_at(convert::time(&time)?).as_str(),
            ))
        }

        /// Checks `code` at `time` (default now), accepting `window` steps (default 1) before
        /// or after; returns the matched time step, or `null`. Store the step and accept
        /// only later ones so no code is used twice.
        #[wasm_bindgen(unchecked_return_type = "number | null")]
        pub fn verify(
            &self,
            #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
            #[wasm_bindgen(unchecked_optional_param_type = "VerifyOptions")] options: JsValue,
        ) -> Result<JsValue, JsValue> {
            let code = string(&code, "code")?;
            let unix = time(&field(&options, "time")?)?;
            let window = match given(&field(&options, "window")?) {
                Some(w) => small(w, "window", u32::from(u8::MAX))? as u8,
                None => 1,
            };
            Ok(match self.inner.verify(&code, unix, window) {
                Some(step) => convert::number(step, "step")?,
                None => JsValue::NULL,
            })
        }

        /// Seconds from `time` (default now) until the code changes, 1 to `period`.
        #[wasm_bindgen(js_name = secondsRemaining)]
        pub fn seconds_remaining(
            &self,
            #[wasm_bindgen(unchecked_optional_param_type = "number")] time: JsValue,
        ) -> Result<f64, JsValue> {
            Ok(self.inner.seconds_remaining(convert::time(&time)?) as f64)
        }

        /// `"SHA1"`, `"SHA256"` or `"SHA512"`.
        #[wasm_bindgen(getter, unchecked_return_type = "Algorithm")]
        pub fn algorithm(&self) -> String {
            String::from(self.inner.algorithm().name())
        }

        /// The code length.
        #[wasm_bindgen(getter)]
        pub fn digits(&self) -> u8 {
            self.inner.digits().get()
        }

        /// The time step in seconds.
        #[wasm_bindgen(getter)]
        pub fn period(&self) -> u32 {
            self.inner.period().get()
        }
    }

    /// The HOTP code (RFC 4226) of base32 `secret` at `counter`; `options` takes
    /// `algorithm` and `digits`.
    #[wasm_bindgen]
    pub fn hotp(
        #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] counter: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "HotpOptions")] options: JsValue,
    ) -> Result<String, JsValue> {
        let secret = convert::secret(&secret)?;
        let counter = whole(&counter, "counter")?;
        let h = twostep::Hotp::new(&secret, algorithm(&options)?, digits(&options)?);
        Ok(String::from(h.code(counter).as_str()))
    }
}

/// True if `value` is an error thrown by this package: an `Error` named `"TwostepError"`
/// with a `code`.
#[wasm_bindgen(js_name = isTwostepError, unchecked_return_type = "value is TwostepError")]
pub fn is_twostep_error(#[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue) -> bool {
    value
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == "TwostepError")
}

#[cfg(feature = "qr")]
mod qr {
    use super::*;
    use crate::convert::{field, small};
    use alloc::vec::Vec;
    use twostep::qr::{Color, QrOptions};

    fn color(options: &JsValue, name: &str, default: Color) -> Result<Color, JsValue> {
        match given(&field(options, name)?) {
            Some(v) => string(v, name)?.parse().map_err(from_core),
            None => Ok(default),
        }
    }

    /// `{ec?, quietZone?, dark?, light?, scale?}` over core's defaults.
    fn options(options: &JsValue) -> Result<QrOptions, JsValue> {
        let d = QrOptions::default();
        Ok(QrOptions {
            ec: match given(&field(options, "ec")?) {
                Some(v) => string(v, "ec")?.parse().map_err(from_core)?,
                None => d.ec,
            },
            quiet_zone: match given(&field(options, "quietZone")?) {
                Some(v) => small(v, "quietZone", u32::from(u8::MAX))? as u8,
                None => d.quiet_zone,
            },
            dark: color(options, "dark", d.dark)?,
            light: color(options, "light", d.light)?,
            scale: match given(&field(options, "scale")?) {
                Some(v) => small(v, "scale", u32::from(u16::MAX))? as u16,
                None => d.scale,
            },
        })
    }

    /// `text` (usually a key URI) as a QR code in SVG markup, sized in modules.
    #[wasm_bindgen(js_name = qrSvg)]
    pub fn qr_svg(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "QrOptions")] opts: JsValue,
    ) -> Result<String, JsValue> {
        twostep::qr::svg(&string(&text, "text")?, &options(&opts)?).map_err(from_core)
    }

    /// `text` as a QR code in a PNG image (`scale` pixels per module).
    #[wasm_bindgen(js_name = qrPng)]
    pub fn qr_png(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "QrOptions")] opts: JsValue,
    ) -> Result<Vec<u8>, JsValue> {
        twostep::qr::png(&string(&text, "text")?, &options(&opts)?).map_err(from_core)
    }

    /// `text` as a QR code in a `data:image/svg+xml` URL, for an `<img src>`.
    #[wasm_bindgen(js_name = qrDataUrl)]
    pub fn qr_data_url(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "QrOptions")] opts: JsValue,
    ) -> Result<String, JsValue> {
        twostep::qr::data_url(&string(&text, "text")?, &options(&opts)?).map_err(from_core)
    }
}

/// The keys of a Google Authenticator export (`otpauth-migration://offline?data=…`), as
/// `KeyUri` objects. An export of many accounts spans several QR codes: pass all their URIs
/// as an array to get every key, checked to be one complete export.
#[cfg(feature = "migration")]
#[wasm_bindgen(js_name = importMigration, unchecked_return_type = "KeyUri[]")]
pub fn import_migration(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] uri: JsValue,
) -> Result<JsValue, JsValue> {
    let keys = if js_sys::Array::is_array(&uri) {
        let uris = js_sys::Array::from(&uri)
            .iter()
            .map(|u| string(&u, "every uri"))
            .collect::<Result<Vec<_>, _>>()?;
        twostep::migration::import_all(&uris)
    } else {
        twostep::migration::import(&string(&uri, "uri")?)
    }
    .map_err(from_core)?;
    let out = js_sys::Array::new();
    for key in &keys {
        out.push(&key_uri_to_js(key)?);
    }
    Ok(out.into())
}
