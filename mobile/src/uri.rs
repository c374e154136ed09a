//! Key URIs as a plain record.

use crate::error::TwostepError;
use core::fmt;
use twostep::{Digits, OtpKind, Period, Secret};

/// An `otpauth://` key URI (Google Authenticator's Key Uri Format) as plain data.
///
/// `secret` is base32 (upper case, no padding). Crossing into the foreign language it is an
/// ordinary string that the core cannot wipe: keep such records short-lived.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyUri {
    /// `totp` or `hotp`.
    pub r#type: String,
    /// The shared secret, base32.
    pub secret: String,
    /// Who issued the account, e.g. `Example`.
    #[uniffi(default = None)]
    pub issuer: Option<String>,
    /// The account name, e.g. `alice@example.com`.
    pub account: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    #[uniffi(default = "SHA1")]
    pub algorithm: String,
    /// Code length, 6 to 10.
    #[uniffi(default = 6)]
    pub digits: u32,
    /// TOTP time step in seconds (TOTP only; a TOTP without one uses 30).
    #[uniffi(default = None)]
    pub period: Option<u32>,
    /// HOTP initial counter (HOTP only; required there).
    #[uniffi(default = None)]
    pub counter: Option<u64>,
    /// Further parameters (such as `image`), in order.
    #[uniffi(default = [])]
    pub params: Vec<KeyUriParam>,
}

/// The secret is not shown.
impl fmt::Debug for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyUri")
            .field("type", &self.r#type)
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

/// One extra key URI parameter.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyUriParam {
    /// The parameter name.
    pub name: String,
    /// Its value, decoded.
    pub value: String,
}

/// Parses an `otpauth://` key URI.
#[uniffi::export]
pub fn parse_uri(uri: String) -> Result<KeyUri, TwostepError> {
    Ok(KeyUri::from(&twostep::KeyUri::parse(&uri)?))
}

/// Builds the `otpauth://` text of a key URI; every field is checked as when parsing.
#[uniffi::export]
pub fn build_uri(key_uri: KeyUri) -> Result<String, TwostepError> {
    Ok(twostep::KeyUri::try_from(key_uri)?.to_string())
}

/// The accounts of a Google Authenticator export (`otpauth-migration://offline?data=…`).
#[uniffi::export]
pub fn import_migration(uri: String) -> Result<Vec<KeyUri>, TwostepError> {
    Ok(twostep::migration::import(&uri)?
        .iter()
        .map(KeyUri::from)
        .collect())
}

impl From<&twostep::KeyUri> for KeyUri {
    fn from(uri: &twostep::KeyUri) -> Self {
        let (period, counter) = match uri.kind() {
            OtpKind::Totp { period } => (Some(period.get()), None),
            OtpKind::Hotp { counter } => (None, Some(counter)),
        };
        KeyUri {
            r#type: uri.kind().name().to_owned(),
            secret: uri.secret().to_base32().to_string(),
            issuer: uri.issuer().map(str::to_owned),
            account: uri.account().to_owned(),
            algorithm: uri.algorithm().name().to_owned(),
            digits: u32::from(uri.digits().get()),
            period,
            counter,
            params: uri
                .params()
                .iter()
                .map(|(name, value)| KeyUriParam {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }
}

impl TryFrom<KeyUri> for twostep::KeyUri {
    type Error = TwostepError;

    fn try_from(record: KeyUri) -> Result<Self, TwostepError> {
        let kind = match record.r#type.as_str() {
            "totp" => OtpKind::Totp {
                period: record.period.map_or(Ok(Period::default()), Period::new)?,
            },
            "hotp" => OtpKind::Hotp {
                counter: record.counter.ok_or(twostep::UriError::MissingCounter)?,
            },
            _ => return Err(twostep::UriError::UnsupportedType.into()),
        };
        let secret = Secret::from_base32(&record.secret)?;
        let mut uri = twostep::KeyUri::new(kind, secret, &record.account)?
            .with_algorithm(record.algorithm.parse()?)
            .with_digits(Digits::new(record.digits)?);
        if let Some(issuer) = &record.issuer {
            uri = uri.with_issuer(issuer)?;
        }
        for p in &record.params {
            uri = uri.with_param(&p.name, &p.value)?;
        }
        Ok(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_through_core() {
        let text = "otpauth://hotp/ACME:bob?secret=JBSWY3DPEHPK3PXP&issuer=ACME&algorithm=SHA256&digits=8&counter=7&image=x";
        let record = parse_uri(text.into()).expect("valid");
        assert_eq!(record.r#type, "hotp");
        assert_eq!(record.counter, Some(7));
        assert_eq!(record.period, None);
        assert_eq!(record.params.len(), 1);
        let rebuilt = build_uri(record.clone()).expect("valid");
        assert_eq!(parse_uri(rebuilt).expect("valid"), record);
    }

    #[test]
    fn debug_hides_the_secret() {
        let record = parse_uri("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP".into()).expect("valid");
        let shown = format!("{record:?}");
        assert!(!shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
        assert!(shown.contains("account: \"a\""), "{shown}");
    }

    #[test]
    fn build_rejects_unknown_type_and_missing_counter() {
        let mut record =
            parse_uri("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP".into()).expect("valid");
        record.r#type = "motp".into();
        assert_eq!(
            build_uri(record.clone()).expect_err("rejected").code(),
            "unsupported_type"
        );
        record.r#type = "hotp".into();
        assert_eq!(
            build_uri(record).expect_err("rejected").code(),
            "missing_counter"
        );
    }
}
