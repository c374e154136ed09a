//! # twostep-wasm
//!
//! The WebAssembly half of the JavaScript package `twostep-wasm`: TOTP/HOTP codes,
//! `otpauth://` key URIs and (feature `qr`) QR codes from the Rust crate [`twostep`].
//!
//! The module exports one function, [`call`]: an operation number and its arguments as
//! bytes in, the result or an error code as bytes out. Bytes are what costs the least
//! WebAssembly and JavaScript glue to cross: no JavaScript value ever lives in the module
//! (no wasm-bindgen heap table, no imports), and wasm-bindgen's glue is a byte copy each way.
//! The public API (`generateSecret`, `Totp`, `hotp`, `parseUri`, `buildUri`, `qrSvg`, … in
//! the JavaScript column of the SDK contract) is `js/api.js`, a thin hand-written layer that
//! checks JavaScript argument types, fills "now" for absent times, encodes the arguments and
//! decodes the results (the item lists of `wire.rs`), and turns the error codes into `TwostepError`s. Neither
//! side holds protocol logic: every rule lives in core, every error code is core's `.code()`
//! (mapped in [`error`]).
//!
//! Numbers arrive as decimal text already checked by the layer (whole, in range, at most
//! `Number.MAX_SAFE_INTEGER`).
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

/// lol_alloc's free list (small, and gives memory back), wrapped to wipe every block it
/// frees: the arguments and outputs that cross the boundary, and every intermediate copy
/// (a growing `Vec`, a URI being built, a decoded parameter), may hold a secret, and
/// wasm-bindgen's glue frees an output after copying it out.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<
    lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator>,
> = zeroizing_alloc::ZeroAlloc(lol_alloc::LockedAllocator::new(
    lol_alloc::FreeListAllocator::new(),
));

/// No input reaches a panic (every error is a `TwostepError`); if a bug did, the module
/// traps instead of formatting a message.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod error;
mod wire;

use alloc::vec::Vec;
use error::Failure;
use twostep::{KeyUri, KeyUriFields, Secret};
use wasm_bindgen::prelude::*;
use wire::{Items, Out};

/// The operations of [`call`], by number (`js/api.js` has the same table).
pub mod op {
    /// `generateSecret`: the argument bytes are the random secret; out: its base32.
    pub const SECRET: u8 = 0;
    /// `parseUri`: `[uri]`; out: the key URI's fields (see [`super::fields`]).
    pub const PARSE: u8 = 1;
    /// `buildUri`: the fields (see [`super::fields`]); out: the URI.
    pub const BUILD: u8 = 2;
    /// `new Totp`: `[algorithm?, digits?, period?, secret]`; out: the same, canonical.
    pub const TOTP: u8 = 3;
    /// `Totp.fromUri`: `[uri]`; out: as [`TOTP`].
    pub const TOTP_URI: u8 = 4;
    /// `totp.code`: a canonical TOTP and `time`; out: the code.
    pub const CODE: u8 = 5;
    /// `totp.verify`: a canonical TOTP, `time`, `code`, `window`; out: the matched step in
    /// decimal, or nothing.
    pub const VERIFY: u8 = 6;
    /// `totp.secondsRemaining`: a canonical TOTP and `time`; out: the seconds in decimal.
    pub const LEFT: u8 = 7;
    /// `hotp`: `[algorithm?, digits?, secret, counter]`; out: the code.
    pub const HOTP: u8 = 8;
    /// `qrSvg`/`qrPng`/`qrDataUrl`: `[text, format (0 SVG, 1 PNG, 2 data: URL), ec?,
    /// quietZone?, dark?, light?, scale?]`; out: the markup, PNG bytes or URL.
    pub const QR: u8 = 9;
    /// `importMigration`: `[all?, uri, …]`; out: one item per key, each its fields.
    pub const MIGRATION: u8 = 10;
}

/// Runs operation `op` (see [`op`]) on `args` (for [`op::SECRET`] random bytes, otherwise
/// an item list, see `wire.rs`). Returns the output followed by one status byte: 0 for
/// success, 1 when the output is an error code. (The allocator wipes `args` and every other
/// block when it is freed: they may hold a secret. Borrowing `args` rather than taking a
/// `Vec` spares wasm-bindgen's argument check, which would import a `throw` and the glue to
/// decode its message.)
#[wasm_bindgen]
pub fn call(op: u8, args: &[u8]) -> Vec<u8> {
    let mut items = Items::new(core::str::from_utf8(args).unwrap_or_default());
    let mut out = Out::default();
    let status = match run(op, args, &mut items, &mut out) {
        Ok(()) => 0,
        Err(e) => {
            out.0 = Vec::from(e.0.as_bytes());
            1
        }
    };
    out.0.push(status);
    out.0
}

fn run(op: u8, random: &[u8], a: &mut Items<'_>, out: &mut Out) -> Result<(), Failure> {
    match op {
        op::SECRET => {
            let secret = Secret::random(random.len(), |buf| buf.copy_from_slice(random))?;
            out.raw(secret.to_base32().as_bytes());
        }
        op::PARSE => fields(&KeyUri::parse(a.text())?, out),
        op::BUILD => {
            let fields = KeyUriFields {
                kind: a.string(),
                secret: a.string(),
                issuer: a.next().map(Into::into),
                account: a.string(),
                algorithm: a
                    .next()
                    .unwrap_or(twostep::Algorithm::default().name())
                    .into(),
                digits: a
                    .number()
                    .map_or(twostep::Digits::default().get().into(), |d| d as u32),
                period: a.number().map(|p| p as u32),
                counter: a.number(),
                params: core::iter::from_fn(|| Some((a.next()?.into(), a.string()))).collect(),
            };
            out.0 = KeyUri::try_from(&fields)?.to_uri_string().into_bytes();
        }
        #[cfg(feature = "otp")]
        op::TOTP | op::TOTP_URI | op::CODE | op::VERIFY | op::LEFT | op::HOTP => {
            otp::run(op, a, out)?
        }
        #[cfg(feature = "qr")]
        op::QR => out.0 = qr(a)?,
        #[cfg(feature = "migration")]
        op::MIGRATION => {
            let all = a.next().is_some();
            let uris: Vec<&str> = core::iter::from_fn(|| a.next()).collect();
            let keys = match (all, uris.first()) {
                (false, Some(uri)) => twostep::migration::import(uri),
                _ => twostep::migration::import_all(&uris),
            }?;
            for key in &keys {
                let mut one = Out::default();
                fields(key, &mut one);
                out.text(core::str::from_utf8(&one.0).unwrap_or_default());
            }
        }
        _ => {}
    }
    Ok(())
}

/// A key URI's fields: `[type, secret, issuer?, account, algorithm, digits, period?,
/// counter?, name1, value1, name2, value2, …]`, the shape of core's `KeyUriFields`, read
/// straight from the accessors. The layer turns the numbers into JavaScript numbers (and
/// refuses a counter above `Number.MAX_SAFE_INTEGER`).
fn fields(uri: &KeyUri, out: &mut Out) {
    out.text(uri.kind().name());
    out.text(&uri.secret().to_base32());
    out.item(uri.issuer());
    out.text(uri.account());
    out.text(uri.algorithm().name());
    out.number(Some(uri.digits().get().into()));
    out.number(uri.period().map(|p| p.get().into()));
    out.number(uri.counter());
    for (name, value) in uri.params() {
        out.text(name);
        out.text(value);
    }
}

#[cfg(feature = "otp")]
mod otp {
    use super::*;
    use twostep::{Algorithm, Digits, Period, Totp};

    /// `[algorithm?, digits?, period?, secret]` (without `period?` for HOTP), absent ones
    /// core's defaults; checked secret first, as core's `Totp::from_uri` does.
    fn key(a: &mut Items<'_>, totp: bool) -> Result<(Secret, Algorithm, Digits, Period), Failure> {
        let (algorithm, digits) = (a.next(), a.number());
        let period = if totp { a.number() } else { None };
        let secret = Secret::from_base32(a.next().ok_or(twostep::UriError::MissingSecret)?)?;
        Ok((
            secret,
            match algorithm {
                Some(name) => name.parse()?,
                None => Algorithm::default(),
            },
            match digits {
                Some(d) => Digits::new(d as u32)?,
                None => Digits::default(),
            },
            match period {
                Some(p) => Period::new(p as u32)?,
                None => Period::default(),
            },
        ))
    }

    /// The TOTP and HOTP operations. A `Totp` object of the layer holds the canonical
    /// `[algorithm, digits, period, secret]` that [`op::TOTP`] and [`op::TOTP_URI`] give it
    /// and passes them in front of every later call's own arguments.
    pub(super) fn run(op: u8, a: &mut Items<'_>, out: &mut Out) -> Result<(), Failure> {
        let (secret, algorithm, digits, period) = if op == op::TOTP_URI {
            let uri = KeyUri::parse(a.text())?;
            // Core's error for an HOTP URI.
            Totp::from_key_uri(&uri)?;
            let period = uri.period().unwrap_or_default();
            (uri.secret().clone(), uri.algorithm(), uri.digits(), period)
        } else {
            key(a, op != op::HOTP)?
        };
        // The time, or for HOTP the counter.
        let time = a.number().unwrap_or(0);
        let totp = || Totp::new(&secret, algorithm, digits, period);
        match op {
            op::HOTP => {
                let code = twostep::Hotp::new(&secret, algorithm, digits).code(time);
                out.raw(code.as_str().as_bytes());
            }
            op::CODE => out.raw(totp().code_at(time).as_str().as_bytes()),
            op::VERIFY => {
                let code = a.text();
                let window = a.number().unwrap_or(0) as u8;
                if let Some(step) = totp().verify(code, time, window) {
                    out.decimal(step);
                }
            }
            op::LEFT => out.decimal(totp().seconds_remaining(time)),
            _ => {
                out.text(algorithm.name());
                out.number(Some(digits.get().into()));
                out.number(Some(period.get().into()));
                out.text(&secret.to_base32());
            }
        }
        Ok(())
    }
}

/// `[text, format, ec?, quietZone?, dark?, light?, scale?]` as a QR code: format 0 is SVG
/// markup, 1 PNG bytes, 2 a `data:` URL; absent options are core's defaults.
#[cfg(feature = "qr")]
fn qr(a: &mut Items<'_>) -> Result<Vec<u8>, Failure> {
    use twostep::qr::QrOptions;
    let d = QrOptions::default();
    let text = a.text();
    let format = a.number();
    let options = QrOptions {
        ec: match a.next() {
            Some(e) => e.parse()?,
            None => d.ec,
        },
        quiet_zone: a.number().map_or(d.quiet_zone, |q| q as u8),
        dark: match a.next() {
            Some(c) => c.parse()?,
            None => d.dark,
        },
        light: match a.next() {
            Some(c) => c.parse()?,
            None => d.light,
        },
        scale: a.number().map_or(d.scale, |s| s as u16),
    };
    Ok(match format {
        Some(0) => twostep::qr::svg(text, &options)?.into_bytes(),
        Some(1) => twostep::qr::png(text, &options)?,
        _ => twostep::qr::data_url(text, &options)?.into_bytes(),
    })
}
