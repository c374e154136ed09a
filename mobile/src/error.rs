//! The one error type of the bindings and the one place core and server errors are mapped
//! to it.

use core::fmt;
use twostep::migration::MigrationError;
use twostep::qr::QrError;
use twostep::{ParamError, SecretError, UriError};

/// Everything that can go wrong in the bindings. Kotlin and Swift see it as
/// `TwostepException`, Python as `TwostepError`. [`TwostepError::code`] is the stable
/// snake_case code that the JavaScript package and the server use too (`invalid_base32`,
/// `invalid_uri`, `invalid_code`, `locked`, …). No variant ever contains a secret or a code.
#[derive(Debug, PartialEq, Eq, uniffi::Error)]
pub enum TwostepError {
    /// An input the core rejects: a secret, an OTP parameter, a key URI, a migration
    /// export, text or options for a QR code, or an argument of a registration call.
    InvalidInput {
        /// Stable machine-readable code, e.g. `invalid_base32`.
        code: String,
        /// Human-readable explanation (not `message`, which Kotlin's `Throwable` owns).
        reason: String,
    },
    /// The server refused the code (wrong, reused or outside the window; it never says
    /// which). Server code `invalid_code` (HTTP 422).
    InvalidCode,
    /// The pairing (or challenge) is past its lifetime: begin again. Server code `expired`
    /// (HTTP 410).
    Expired,
    /// Too many failed attempts: the user is locked out. Server code `locked` (HTTP 429).
    Locked {
        /// Seconds until the server accepts codes again (its `Retry-After`), when it said.
        retry_after_seconds: Option<u64>,
    },
    /// Any other error answer of the server (`unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `bad_request`, …), or an answer the SDK could not read
    /// (`invalid_response`).
    Server {
        /// The server's stable error code.
        code: String,
        /// The server's message, for people.
        reason: String,
        /// The HTTP status.
        status: u16,
    },
    /// The app's transport could not complete the request (no network, TLS, timeout, …).
    Transport {
        /// What the transport reported.
        reason: String,
    },
}

impl TwostepError {
    /// The stable code of this error.
    pub fn code(&self) -> &str {
        match self {
            TwostepError::InvalidInput { code, .. } | TwostepError::Server { code, .. } => code,
            TwostepError::InvalidCode => "invalid_code",
            TwostepError::Expired => "expired",
            TwostepError::Locked { .. } => "locked",
            TwostepError::Transport { .. } => "transport",
        }
    }

    pub(crate) fn invalid(code: &str, error: impl fmt::Display) -> TwostepError {
        TwostepError::InvalidInput {
            code: code.to_owned(),
            reason: error.to_string(),
        }
    }

    /// The error of a non-2xx answer: `code` and `message` of the server's error body,
    /// `retry_after` its `Retry-After` header in seconds. The one place server codes map
    /// to variants.
    pub(crate) fn from_server(
        status: u16,
        code: &str,
        message: &str,
        retry_after: Option<u64>,
    ) -> TwostepError {
        match code {
            "invalid_code" => TwostepError::InvalidCode,
            "expired" => TwostepError::Expired,
            "locked" => TwostepError::Locked {
                retry_after_seconds: retry_after,
            },
            _ => TwostepError::Server {
                code: code.to_owned(),
                reason: message.to_owned(),
                status,
            },
        }
    }
}

impl fmt::Display for TwostepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwostepError::InvalidInput { code, reason } => write!(f, "{reason} ({code})"),
            TwostepError::InvalidCode => f.write_str("the code is not valid (invalid_code)"),
            TwostepError::Expired => f.write_str("the pairing has expired: begin again (expired)"),
            TwostepError::Locked {
                retry_after_seconds: Some(s),
            } => write!(f, "too many failed attempts; try again in {s} s (locked)"),
            TwostepError::Locked { .. } => f.write_str("too many failed attempts (locked)"),
            TwostepError::Server {
                code,
                reason,
                status,
            } => write!(f, "{reason} ({code}, HTTP {status})"),
            TwostepError::Transport { reason } => write!(f, "{reason} (transport)"),
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
        let TwostepError::InvalidInput { reason, .. } = &e else {
            panic!("{e:?}");
        };
        assert!(reason.contains("'1'"), "{reason}");
        let e = TwostepError::from(twostep::Digits::new(5).expect_err("rejected"));
        assert_eq!(e.code(), "invalid_digits");
    }

    #[test]
    fn server_codes_map_to_variants() {
        assert_eq!(
            TwostepError::from_server(422, "invalid_code", "the code is not valid", None),
            TwostepError::InvalidCode
        );
        assert_eq!(
            TwostepError::from_server(410, "expired", "x", None),
            TwostepError::Expired
        );
        let locked = TwostepError::from_server(429, "locked", "x", Some(60));
        assert_eq!(
            locked,
            TwostepError::Locked {
                retry_after_seconds: Some(60)
            }
        );
        assert_eq!(locked.code(), "locked");
        let other = TwostepError::from_server(403, "forbidden", "not yours", None);
        assert_eq!(other.code(), "forbidden");
        assert_eq!(other.to_string(), "not yours (forbidden, HTTP 403)");
    }
}
