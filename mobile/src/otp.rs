//! Secrets, HOTP and TOTP.

use crate::error::TwostepError;
use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use twostep::{Algorithm, Digits, Hotp, Period, Secret};

/// A new random secret of `bytes` bytes (16 to 256; 20 is the usual choice), as base32
/// without padding. Errors with `invalid_secret_length` outside that range.
#[uniffi::export]
pub fn generate_secret(bytes: u32) -> Result<String, TwostepError> {
    let len = usize::try_from(bytes).unwrap_or(usize::MAX);
    Ok(Secret::generate_len(len)?.to_base32().to_string())
}

/// The HOTP code (RFC 4226) of a base32 `secret` at `counter`.
#[uniffi::export(default(algorithm = "SHA1", digits = 6))]
pub fn hotp(
    secret: String,
    counter: u64,
    algorithm: String,
    digits: u32,
) -> Result<String, TwostepError> {
    let secret = Secret::from_base32(&secret)?;
    let hotp = Hotp::new(&secret, algorithm.parse()?, Digits::new(digits)?);
    Ok(hotp.code(counter).to_string())
}

/// What an authenticator screen shows for one account at one moment. (Its Rust `Debug`
/// does not show the codes.)
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeDisplay {
    /// The code valid now.
    pub code: String,
    /// The code of the next time step, for apps that show it ahead of time.
    pub next_code: String,
    /// Seconds until `code` expires (1 to `period`).
    pub seconds_remaining: u64,
    /// The time step in seconds, for drawing the countdown.
    pub period: u32,
}

impl fmt::Debug for CodeDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeDisplay")
            .field("code", &"[redacted]")
            .field("next_code", &"[redacted]")
            .field("seconds_remaining", &self.seconds_remaining)
            .field("period", &self.period)
            .finish()
    }
}

/// A TOTP generator and verifier (RFC 6238) for one secret. Thread-safe: one object may be
/// shared by any number of threads. Times are unix seconds.
#[derive(Debug, uniffi::Object)]
pub struct Totp {
    inner: twostep::Totp,
}

#[uniffi::export]
impl Totp {
    /// A TOTP for a base32 `secret` with the given algorithm (`SHA1`, `SHA256`, `SHA512`),
    /// code length (6 to 10) and time step in seconds (at least 1).
    #[uniffi::constructor(default(algorithm = "SHA1", digits = 6, period = 30))]
    pub fn new(
        secret: String,
        algorithm: String,
        digits: u32,
        period: u32,
    ) -> Result<Self, TwostepError> {
        let secret = Secret::from_base32(&secret)?;
        let algorithm: Algorithm = algorithm.parse()?;
        Ok(Totp {
            inner: twostep::Totp::new(
                &secret,
                algorithm,
                Digits::new(digits)?,
                Period::new(period)?,
            ),
        })
    }

    /// The TOTP of an `otpauth://totp/…` key URI.
    #[uniffi::constructor]
    pub fn from_uri(uri: String) -> Result<Self, TwostepError> {
        Ok(Totp {
            inner: twostep::Totp::from_uri(&uri)?,
        })
    }

    /// The code valid at `unix`.
    pub fn code_at(&self, unix: u64) -> String {
        self.inner.code_at(unix).to_string()
    }

    /// Checks `code` at `unix`, accepting up to `window` steps before or after, and returns
    /// the matched time step, or nothing. A server stores the step and accepts only later
    /// ones, so that no code is used twice.
    pub fn verify(&self, code: String, unix: u64, window: u8) -> Option<u64> {
        self.inner.verify(&code, unix, window)
    }

    /// Seconds from `unix` until the code changes (1 to `period`).
    pub fn seconds_remaining(&self, unix: u64) -> u64 {
        self.inner.seconds_remaining(unix)
    }

    /// The time step `unix` falls in.
    pub fn step_at(&self, unix: u64) -> u64 {
        self.inner.step_at(unix)
    }

    /// The code of the time step after the one `unix` falls in.
    pub fn next_code_at(&self, unix: u64) -> String {
        self.inner.next_code_at(unix).to_string()
    }

    /// Current code, next code and countdown at `unix`.
    pub fn display_at(&self, unix: u64) -> CodeDisplay {
        CodeDisplay {
            code: self.code_at(unix),
            next_code: self.next_code_at(unix),
            seconds_remaining: self.seconds_remaining(unix),
            period: self.inner.period().get(),
        }
    }

    /// The code valid now, by the device clock.
    pub fn current_code(&self) -> String {
        self.code_at(now())
    }

    /// Current code, next code and countdown now, by the device clock.
    pub fn display(&self) -> CodeDisplay {
        self.display_at(now())
    }

    /// The hash algorithm: `SHA1`, `SHA256` or `SHA512`.
    pub fn algorithm(&self) -> String {
        self.inner.algorithm().name().to_owned()
    }

    /// The code length.
    pub fn digits(&self) -> u32 {
        u32::from(self.inner.digits().get())
    }

    /// The time step in seconds.
    pub fn period(&self) -> u32 {
        self.inner.period().get()
    }
}

/// The device clock in unix seconds (0 if it is set before 1970).
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
