//! # twostep-mobile
//!
//! The UniFFI façade of [`twostep`] for mobile and scripting languages: Kotlin (Android and
//! the JVM), Swift (iOS) and Python. It converts types and errors at the boundary and
//! nothing else; every rule of the protocol lives in the core crate.
//!
//! - [`generate_secret`], [`hotp`], [`parse_uri`], [`build_uri`], [`import_migration`],
//!   [`qr_svg`], [`qr_png`]: functions.
//! - [`Totp`]: a thread-safe object for one secret (`codeAt`, `verify`, `secondsRemaining`,
//!   and the helpers an authenticator screen needs: [`Totp::current_code`],
//!   [`Totp::next_code_at`], [`Totp::display_at`]).
//! - [`KeyUri`]: a key URI as a plain record.
//! - [`TwostepError`]: the one error type (Kotlin/Swift: `TwostepException`), carrying the
//!   core's stable snake_case code.
//!
//! The API is synchronous: nothing here does I/O.

uniffi::setup_scaffolding!("twostep");

mod error;
mod otp;
mod qr;
mod uri;

pub use error::TwostepError;
pub use otp::{CodeDisplay, Totp, generate_secret, hotp};
pub use qr::{QrEcLevel, QrOptions, qr_png, qr_svg};
pub use uri::{KeyUri, KeyUriParam, build_uri, import_migration, parse_uri};
