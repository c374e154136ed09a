//! The plain-data form of a key URI that every binding exposes (JS object, Kotlin/Swift/Python
//! record, CLI JSON): `{type, secret, issuer?, account, algorithm, digits, period?, counter?, params}`.

use super::{KeyUri, OtpKind, UriError};
use crate::params::{Algorithm, Digits, Period};
use crate::secret::Secret;
use alloc::string::String;
use alloc::vec::Vec;
use zeroize::Zeroize;

/// A key URI as plain fields. Converting to [`KeyUri`] validates every field; converting
/// from one always succeeds. The `secret` field holds the base32 secret and is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct KeyUriFields {
    /// `"totp"` or `"hotp"`.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: String,
    /// The secret as base32 (upper case, unpadded when produced by this crate).
    pub secret: String,
    /// The issuer, if any.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub issuer: Option<String>,
    /// The account name.
    pub account: String,
    /// `"SHA1"`, `"SHA256"` or `"SHA512"`.
    #[cfg_attr(feature = "serde", serde(default = "default_algorithm"))]
    pub algorithm: String,
    /// The code length, 6 to 10.
    #[cfg_attr(feature = "serde", serde(default = "default_digits"))]
    pub digits: u32,
    /// The TOTP time step in seconds (TOTP only; 30 when absent).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub period: Option<u32>,
    /// The HOTP counter (HOTP only, where it is required).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub counter: Option<u64>,
    /// Parameters this crate does not interpret, in order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub params: Vec<(String, String)>,
}

#[cfg(feature = "serde")]
fn default_algorithm() -> String {
    String::from(Algorithm::default().name())
}

#[cfg(feature = "serde")]
fn default_digits() -> u32 {
    u32::from(Digits::default().get())
}

impl From<&KeyUri> for KeyUriFields {
    fn from(uri: &KeyUri) -> KeyUriFields {
        KeyUriFields {
            kind: String::from(uri.kind().name()),
            secret: String::from(uri.secret().to_base32().as_str()),
            issuer: uri.issuer().map(String::from),
            account: String::from(uri.account()),
            algorithm: String::from(uri.algorithm().name()),
            digits: u32::from(uri.digits().get()),
            period: uri.period().map(Period::get),
            counter: uri.counter(),
            params: uri.params().to_vec(),
        }
    }
}

impl TryFrom<&KeyUriFields> for KeyUri {
    type Error = UriError;

    fn try_from(f: &KeyUriFields) -> Result<KeyUri, UriError> {
        let kind = match (f.kind.as_str(), f.period, f.counter) {
            ("totp", period, None) => OtpKind::Totp {
                period: match period {
                    Some(p) => Period::new(p)?,
                    None => Period::default(),
                },
            },
            ("hotp", None, Some(counter)) => OtpKind::Hotp { counter },
            ("hotp", None, None) => return Err(UriError::MissingCounter),
            ("totp", _, Some(_)) => return Err(UriError::InvalidUri("a totp key has no counter")),
            ("hotp", Some(_), _) => return Err(UriError::InvalidUri("an hotp key has no period")),
            _ => return Err(UriError::UnsupportedType),
        };
        if super::all_spaces(&f.secret) {
            return Err(UriError::MissingSecret);
        }
        let mut uri = KeyUri::new(kind, Secret::from_base32(&f.secret)?, &f.account)?;
        uri.algorithm = f.algorithm.parse::<Algorithm>()?;
        uri.digits = Digits::new(f.digits)?;
        if let Some(issuer) = &f.issuer {
            uri.set_issuer(issuer)?;
        }
        for (name, value) in &f.params {
            uri.add_param(name, value)?;
        }
        Ok(uri)
    }
}

impl Drop for KeyUriFields {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// The secret is never shown.
impl core::fmt::Debug for KeyUriFields {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyUriFields")
            .field("kind", &self.kind)
            .field("secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("counter", &self.counter)
            .field("params", &self.params)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_validate() {
        let uri = KeyUri::parse(
            "otpauth://hotp/ACME:bob?secret=JBSWY3DPEHPK3PXP&counter=7&digits=8&image=x",
        )
        .unwrap();
        let fields = KeyUriFields::from(&uri);
        assert_eq!(fields.kind, "hotp");
        assert_eq!(fields.counter, Some(7));
        assert_eq!(fields.issuer.as_deref(), Some("ACME"));
        assert_eq!(KeyUri::try_from(&fields).unwrap(), uri);

        let mut bad = fields.clone();
        bad.counter = None;
        assert_eq!(KeyUri::try_from(&bad), Err(UriError::MissingCounter));
        let mut bad = fields.clone();
        bad.kind = "motp".into();
        assert_eq!(KeyUri::try_from(&bad), Err(UriError::UnsupportedType));
        let mut bad = fields.clone();
        bad.algorithm = "MD5".into();
        assert_eq!(
            KeyUri::try_from(&bad).unwrap_err().code(),
            "unsupported_algorithm"
        );
        let mut bad = fields.clone();
        bad.digits = 4;
        assert_eq!(KeyUri::try_from(&bad).unwrap_err().code(), "invalid_digits");
        let mut bad = fields;
        bad.params.push(("secret".into(), "x".into()));
        assert_eq!(KeyUri::try_from(&bad).unwrap_err().code(), "invalid_uri");
    }
}
