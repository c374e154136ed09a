#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! # twostep
//!
//! Two-factor one-time passwords, correct to the letter of the RFCs: HOTP (RFC 4226),
//! TOTP (RFC 6238) with SHA-1, SHA-256 and SHA-512, RFC 4648 base32 secrets,
//! `otpauth://` key URIs, and (feature `qr`) QR codes for pairing.
//!
//! The crate is `no_std` with `alloc`. It has no clock and no global state: the caller
//! supplies the time (unix seconds) and, for new secrets, randomness (or enables the
//! `getrandom` feature). Generating and checking a code allocates nothing.
//!
//! ```
//! use twostep::{KeyUri, Secret, Totp};
//!
//! // Pairing: a new secret, as a key URI for the authenticator app.
//! let secret = Secret::from_base32("JBSWY3DPEHPK3PXP")?;
//! let uri = KeyUri::totp(secret, "alice@example.com")?.with_issuer("Example")?;
//! assert_eq!(
//!     uri.to_string(),
//!     "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
//! );
//!
//! // Login: check the code the user typed, allowing one step of clock drift.
//! let totp = Totp::from_key_uri(&uri)?;
//! let now = 1_700_000_000;
//! let typed = totp.code_at(now);
//! let step = totp.verify(&typed, now, 1).expect("the current code is valid");
//! // Store `step`; accept only later steps next time, so no code is used twice.
//! assert_eq!(step, now / 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `std` (default): `std::error::Error` for the error types.
//! - `getrandom` (default): [`Secret::generate`] from the operating system's random source.
//! - `qr`: QR codes as SVG, PNG, terminal text and `data:` URL ([`qr`]).
//! - `migration`: Google Authenticator `otpauth-migration://` import and export.
//! - `serde`: `Serialize`/`Deserialize` for [`KeyUri`] in the shape every binding uses.

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(feature = "qr", feature = "migration"))]
mod base64;
mod hmac;
pub mod hotp;
#[cfg(feature = "migration")]
pub mod migration;
pub mod params;
#[cfg(feature = "qr")]
pub mod qr;
pub mod secret;
#[cfg(any(target_arch = "wasm32", test))]
mod sha_compact;
pub mod totp;
pub mod uri;

pub use hotp::{Code, Hotp};
pub use params::{Algorithm, Digits, ParamError, Period};
pub use secret::{Secret, SecretError};
pub use totp::Totp;
pub use uri::{KeyUri, KeyUriFields, OtpKind, UriError};
pub use zeroize::Zeroizing;
