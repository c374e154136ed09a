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
//! - [`DeviceRegistration`]: enrols the phone as a TOTP device of twostep-server with a
//!   user token, over an HTTP transport the app supplies ([`HttpTransport`]); server errors
//!   arrive as typed [`TwostepError`] variants.
//!
//! The API is synchronous. Only [`DeviceRegistration`] does I/O, through the app's
//! transport: call it off the main thread.

uniffi::setup_scaffolding!("twostep");

mod error;
mod otp;
mod qr;
mod registration;
mod uri;

pub use error::TwostepError;
pub use otp::{CodeDisplay, Totp, generate_secret, hotp};
pub use qr::{QrEcLevel, QrOptions, qr_png, qr_svg};
pub use registration::{
    ConfirmedDevice, Device, DeviceRegistration, DeviceStatus, HttpHeader, HttpRequest,
    HttpResponse, HttpTransport, PendingDevice, TransportError,
};
pub use uri::{KeyUri, KeyUriParam, build_uri, import_migration, parse_uri};
