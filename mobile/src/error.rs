//! The one error type of the bindings and the one place core errors are mapped to it.

use core::fmt;
use twostep::migration::MigrationError;
use twostep::qr::QrError;
use twostep::{ParamError, SecretError, UriError};

/// Everything that can go wrong in the bindings. Kotlin and Swift see it as
/// `TwostepException`, Python as `TwostepError`. `code` is the stable snake_case code that
/// the JavaScript package and the server use too (`invalid_base32`, `invalid_uri`,
/// `unsupported_algorithm`, …); `reason` is a sentence a user can act on. Neither ever
/// contains a secret.
#[derive(Debug, PartialEq, Eq, uniffi::Error)]
pub enum TwostepError {
    /// An input the core rejects: a secret, an OTP parameter, a key URI, a migration
    /// export, or text or options for a QR code.
    InvalidInput {
        /// Stable machine-readable code, e.g. `invalid_base32`.
        code: String,
        /// Human-readable explanation (not `message`, which Kotlin's `Throwable` owns).
        reason: String,
    },
}

impl TwostepError {
    /// The stable code of this error.
    pub fn code(&self) -> &str {
        match self {
            TwostepError::InvalidInput { code, .. } => code,
        }
    }

    fn invalid(code: &str, error: impl fmt::Display) -> TwostepError {
        TwostepError::InvalidInput {
            code: code.to_owned(),
            reason: error.to_string(),
        }
    }
}

impl fmt::Display for TwostepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwostepError::InvalidInput { code, reason } => write!(f, "{reason} ({code})"),
        }
    }
}

impl std::error::Error for TwostepError {}

impl From<SecretError> for TwostepError {
    fn from(e: SecretError) -> Self {
        TwostepError::invalid(e.code(), e)
    }
}

impl From<ParamError> for TwostepError {
    fn from(e: ParamError) -> Self {
        TwostepError::invalid(e.code(), e)
    }
}

impl From<UriError> for TwostepError {
    fn from(e: UriError) -> Self {
        TwostepError::invalid(e.code(), e)
    }
}

impl From<QrError> for TwostepError {
    fn from(e: QrError) -> Self {
        TwostepError::invalid(e.code(), e)
    }
}

impl From<MigrationError> for TwostepError {
    fn from(e: MigrationError) -> Self {
        TwostepError::invalid(e.code(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_the_core_code_and_message() {
        let e = TwostepError::from(twostep::Secret::from_base32("AB1").expect_err("rejected"));
        assert_eq!(e.code(), "invalid_base32");
        let TwostepError::InvalidInput { reason, .. } = &e;
        assert!(reason.contains("'1'"), "{reason}");
        let e = TwostepError::from(twostep::Digits::new(5).expect_err("rejected"));
        assert_eq!(e.code(), "invalid_digits");
    }
}
