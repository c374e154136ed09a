//! `otpauth://` key URIs in Google Authenticator's Key Uri Format: parse and build.
//!
//! `otpauth://TYPE/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`

use crate::params::{Algorithm, Digits, ParamError, Period, decimal_digits, parse_decimal};
use crate::secret::{Secret, SecretError};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroizing;

mod fields;
pub use fields::KeyUriFields;

/// What kind of OTP a key URI describes, with the parameter that only that kind has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtpKind {
    /// Time-based (RFC 6238), with its time step.
    Totp {
        /// The time step.
        period: Period,
    },
    /// Counter-based (RFC 4226), with the initial counter.
    Hotp {
        /// The counter the authenticator starts from.
        counter: u64,
    },
}

impl OtpKind {
    /// `"totp"` or `"hotp"`, as in the URI.
    pub const fn name(self) -> &'static str {
        match self {
            OtpKind::Totp { .. } => "totp",
            OtpKind::Hotp { .. } => "hotp",
        }
    }
}

/// A parsed or built key URI. Every value in it is valid: building one and formatting it
/// with `Display` always yields a URI that parses back to the same value.
///
/// Neither issuer nor account may contain a colon (the format forbids it), and the account
/// does not begin with a space (spaces before it are dropped when parsing); both keep their
/// letter case. Unknown parameters (such as `image`) are kept in order.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyUri {
    kind: OtpKind,
    secret: Secret,
    issuer: Option<String>,
    account: String,
    algorithm: Algorithm,
    digits: Digits,
    params: Vec<(String, String)>,
}

/// Whether a key URI of this kind interprets the parameter `name`, in any letter case:
/// `secret`, `issuer`, `algorithm`, `digits`, and `period` (TOTP) or `counter` (HOTP).
fn interprets(is_totp: bool, name: &str) -> bool {
    let own = if is_totp { "period" } else { "counter" };
    ["secret", "issuer", "algorithm", "digits", own]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(name))
}

impl KeyUri {
    /// A key URI for `secret` and `account` with default algorithm (SHA1) and digits (6).
    pub fn new(kind: OtpKind, secret: Secret, account: &str) -> Result<KeyUri, UriError> {
        // Parsing drops the spaces after the label's colon, so they cannot round-trip.
        if account.starts_with(' ') {
            return Err(UriError::InvalidAccount);
        }
        check_name(account, UriError::InvalidAccount)?;
        Ok(KeyUri {
            kind,
            secret,
            issuer: None,
            account: String::from(account),
            algorithm: Algorithm::default(),
            digits: Digits::default(),
            params: Vec::new(),
        })
    }

    /// A TOTP key URI with the default 30-second period.
    pub fn totp(secret: Secret, account: &str) -> Result<KeyUri, UriError> {
        Self::new(
            OtpKind::Totp {
                period: Period::default(),
            },
            secret,
            account,
        )
    }

    /// Sets the issuer (the service name the authenticator shows); it is written both as the
    /// label prefix and as the `issuer` parameter.
    pub fn with_issuer(mut self, issuer: &str) -> Result<KeyUri, UriError> {
        check_name(issuer, UriError::InvalidIssuer)?;
        self.issuer = Some(String::from(issuer));
        Ok(self)
    }

    /// Sets the hash algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> KeyUri {
        self.algorithm = algorithm;
        self
    }

    /// Sets the code length.
    pub fn with_digits(mut self, digits: Digits) -> KeyUri {
        self.digits = digits;
        self
    }

    /// Adds a parameter this crate does not interpret (for example `image`); an empty name
    /// and the names this kind of URI interprets (`secret`, `issuer`, `algorithm`,
    /// `digits`, and `period` or `counter`), in any letter case, are refused.
    pub fn with_param(mut self, name: &str, value: &str) -> Result<KeyUri, UriError> {
        let is_totp = matches!(self.kind, OtpKind::Totp { .. });
        if name.is_empty() || interprets(is_totp, name) {
            return Err(UriError::InvalidUri("parameter name is empty or reserved"));
        }
        if self.params.iter().any(|(k, _)| k == name) {
            return Err(UriError::InvalidUri("duplicate parameter"));
        }
        self.params.push((String::from(name), String::from(value)));
        Ok(self)
    }

    /// TOTP or HOTP, with the period or counter.
    pub fn kind(&self) -> OtpKind {
        self.kind
    }

    /// The shared secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The issuer, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The account name.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The code length.
    pub fn digits(&self) -> Digits {
        self.digits
    }

    /// The TOTP time step, if this is a TOTP URI.
    pub fn period(&self) -> Option<Period> {
        match self.kind {
            OtpKind::Totp { period } => Some(period),
            OtpKind::Hotp { .. } => None,
        }
    }

    /// The HOTP counter, if this is an HOTP URI.
    pub fn counter(&self) -> Option<u64> {
        match self.kind {
            OtpKind::Hotp { counter } => Some(counter),
            OtpKind::Totp { .. } => None,
        }
    }

    /// Parameters this crate does not interpret, decoded, in their original order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Parses a key URI, strictly: the scheme and type, a label with an account name, a
    /// base32 `secret`, and valid `algorithm`, `digits`, `period` and `counter` values are
    /// required as the format says; an `issuer` parameter must agree with the label prefix;
    /// a parameter may appear once.
    pub fn parse(uri: &str) -> Result<KeyUri, UriError> {
        let rest = strip_prefix_ignore_case(uri, "otpauth://")
            .ok_or(UriError::InvalidUri("not an otpauth:// URI"))?;
        if rest.bytes().any(|b| b == b'#') {
            return Err(UriError::InvalidUri("a key URI has no fragment ('#')"));
        }
        let (path, query) = split_once(rest, b'?').unwrap_or((rest, ""));
        let (kind_name, label) =
            split_once(path, b'/').ok_or(UriError::InvalidUri("missing label"))?;
        let is_totp = if kind_name.eq_ignore_ascii_case("totp") {
            true
        } else if kind_name.eq_ignore_ascii_case("hotp") {
            false
        } else {
            return Err(UriError::UnsupportedType);
        };

        let label = percent_decode(label, false)?;
        let (label_issuer, account) = match split_once(&label, b':') {
            Some((issuer, account)) => (Some(issuer), account),
            None => (None, label.as_str()),
        };
        let account = trim_start_spaces(account);
        check_name(account, UriError::InvalidAccount)?;

        let mut secret = None;
        let mut issuer = None;
        let mut algorithm = None;
        let mut digits = None;
        let mut period = None;
        let mut counter = None;
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in split(query, b'&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) =
                split_once(pair, b'=').ok_or(UriError::InvalidUri("parameter without '='"))?;
            let name = percent_decode(raw_name, true)?;
            let value = percent_decode(raw_value, true)?;
            let slot = match name.as_str() {
                "secret" => &mut secret,
                "issuer" => &mut issuer,
                "algorithm" => &mut algorithm,
                "digits" => &mut digits,
                "period" if is_totp => &mut period,
                "counter" if !is_totp => &mut counter,
                _ => {
                    // Ignoring `Digits=8` would silently give the wrong codes.
                    if name.is_empty() || interprets(is_totp, &name) {
                        return Err(UriError::InvalidUri(
                            "parameter name is empty or a standard one in the wrong letter case",
                        ));
                    }
                    if params.iter().any(|(k, _)| *k == name) {
                        return Err(UriError::InvalidUri("duplicate parameter"));
                    }
                    params.push((name, value));
                    continue;
                }
            };
            if slot.replace(value).is_some() {
                return Err(UriError::InvalidUri("duplicate parameter"));
            }
        }

        let secret = match secret {
            Some(s) if !all_spaces(&s) => Secret::from_base32(&Zeroizing::new(s))?,
            _ => return Err(UriError::MissingSecret),
        };
        let issuer = match (label_issuer, issuer.filter(|i| !i.is_empty())) {
            (Some(l), Some(p)) if !l.is_empty() && l != p => return Err(UriError::IssuerMismatch),
            (_, Some(p)) => Some(p),
            (Some(l), None) if !l.is_empty() => Some(String::from(l)),
            _ => None,
        };
        if let Some(i) = &issuer {
            check_name(i, UriError::InvalidIssuer)?;
        }
        let algorithm = match algorithm {
            Some(a) => a.parse::<Algorithm>()?,
            None => Algorithm::default(),
        };
        let digits = match digits {
            Some(d) => parse_decimal(&d)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(ParamError::InvalidDigits)
                .and_then(Digits::new)?,
            None => Digits::default(),
        };
        let kind = if is_totp {
            let period = match period {
                Some(p) => parse_decimal(&p)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or(ParamError::InvalidPeriod)
                    .and_then(Period::new)?,
                None => Period::default(),
            };
            OtpKind::Totp { period }
        } else {
            let counter = counter.ok_or(UriError::MissingCounter)?;
            OtpKind::Hotp {
                counter: parse_decimal(&counter).ok_or(UriError::InvalidCounter)?,
            }
        };
        Ok(KeyUri {
            kind,
            secret,
            issuer,
            account: String::from(account),
            algorithm,
            digits,
            params,
        })
    }
}

impl core::str::FromStr for KeyUri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<KeyUri, UriError> {
        KeyUri::parse(s)
    }
}

impl KeyUri {
    /// The URI as authenticator apps expect it: issuer in label and parameter, secret
    /// upper-case without padding, spaces as `%20`; the same text as `Display`, built
    /// without `core::fmt` (smaller code where that matters, as in WebAssembly). The output
    /// contains the secret.
    pub fn to_uri_string(&self) -> String {
        let mut out = String::with_capacity(96);
        out.push_str("otpauth://");
        out.push_str(self.kind.name());
        out.push('/');
        if let Some(issuer) = &self.issuer {
            percent_encode(&mut out, issuer, true);
            out.push(':');
        }
        percent_encode(&mut out, &self.account, true);
        out.push_str("?secret=");
        out.push_str(&self.secret.to_base32());
        if let Some(issuer) = &self.issuer {
            out.push_str("&issuer=");
            percent_encode(&mut out, issuer, false);
        }
        out.push_str("&algorithm=");
        out.push_str(self.algorithm.name());
        out.push_str("&digits=");
        push_decimal(&mut out, u64::from(self.digits.get()));
        match self.kind {
            OtpKind::Totp { period } => {
                out.push_str("&period=");
                push_decimal(&mut out, u64::from(period.get()));
            }
            OtpKind::Hotp { counter } => {
                out.push_str("&counter=");
                push_decimal(&mut out, counter);
            }
        }
        for (name, value) in &self.params {
            out.push('&');
            percent_encode(&mut out, name, false);
            out.push('=');
            percent_encode(&mut out, value, false);
        }
        out
    }
}

/// Writes [`KeyUri::to_uri_string`]. The output contains the secret.
impl fmt::Display for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Zeroizing::new(self.to_uri_string()))
    }
}

/// Appends the decimal digits of `n`.
fn push_decimal(out: &mut String, n: u64) {
    for &d in decimal_digits(n, &mut [0u8; 20]) {
        out.push(char::from(d));
    }
}

/// The secret is never shown.
impl fmt::Debug for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyUri")
            .field("kind", &self.kind)
            .field("secret", &self.secret)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("params", &self.params)
            .finish()
    }
}

fn check_name(name: &str, err: UriError) -> Result<(), UriError> {
    if name.is_empty() || name.bytes().any(|b| b == b':') || name.chars().any(char::is_control) {
        Err(err)
    } else {
        Ok(())
    }
}

// Text helpers over ASCII separators. They scan bytes where `str`'s char patterns would use
// `memchr` and a searcher: the same result (an ASCII byte is always a char boundary), as fast
// on strings of a key URI's length, and less code in WebAssembly.

/// `s` split around the first `sep` (ASCII), like `str::split_once`.
pub(crate) fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The parts of `s` between the `sep` bytes (ASCII), like `str::split`.
pub(crate) fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let s = rest?;
        Some(match split_once(s, sep) {
            Some((part, after)) => {
                rest = Some(after);
                part
            }
            None => {
                rest = None;
                s
            }
        })
    })
}

/// `s` without its leading spaces, like `str::trim_start_matches(' ')`.
pub(crate) fn trim_start_spaces(s: &str) -> &str {
    s.get(s.bytes().take_while(|&b| b == b' ').count()..)
        .unwrap_or_default()
}

/// Whether `s` is empty or only spaces, like `s.trim_matches(' ').is_empty()`.
pub(crate) fn all_spaces(s: &str) -> bool {
    s.bytes().all(|b| b == b' ')
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, tail) = (s.get(..prefix.len())?, s.get(prefix.len()..)?);
    head.eq_ignore_ascii_case(prefix).then_some(tail)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as a space in query components) into UTF-8 text.
fn percent_decode(s: &str, plus_is_space: bool) -> Result<String, UriError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(UriError::InvalidUri("bad percent-encoding")),
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| UriError::InvalidUri("percent-encoding is not UTF-8"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `@` in a label).
fn percent_encode(out: &mut String, s: &str, label: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (label && b == b'@')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// A key URI that cannot be parsed or built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    /// Not a well-formed `otpauth://` URI; the text says what is wrong.
    InvalidUri(&'static str),
    /// The type is neither `totp` nor `hotp`.
    UnsupportedType,
    /// A TOTP was asked of an HOTP URI or the other way round.
    WrongType,
    /// The label has no account name, or the account name is empty, begins with a space, or
    /// has a colon or control character.
    InvalidAccount,
    /// The issuer is empty or has a colon or control character.
    InvalidIssuer,
    /// There is no `secret` parameter.
    MissingSecret,
    /// The `secret` parameter is not usable base32.
    Secret(SecretError),
    /// An `algorithm`, `digits` or `period` parameter is not allowed.
    Param(ParamError),
    /// An HOTP URI has no `counter` parameter.
    MissingCounter,
    /// The `counter` parameter is not a whole number from 0 to 2^64-1.
    InvalidCounter,
    /// The `issuer` parameter differs from the issuer in the label.
    IssuerMismatch,
}

impl UriError {
    /// The stable machine-readable code of this error, shared by every binding.
    pub const fn code(&self) -> &'static str {
        match self {
            UriError::InvalidUri(_) => "invalid_uri",
            UriError::UnsupportedType | UriError::WrongType => "unsupported_type",
            UriError::InvalidAccount => "invalid_account",
            UriError::InvalidIssuer => "invalid_issuer",
            UriError::MissingSecret => "missing_secret",
            UriError::Secret(e) => e.code(),
            UriError::Param(e) => e.code(),
            UriError::MissingCounter => "missing_counter",
            UriError::InvalidCounter => "invalid_counter",
            UriError::IssuerMismatch => "issuer_mismatch",
        }
    }
}

impl From<SecretError> for UriError {
    fn from(e: SecretError) -> Self {
        UriError::Secret(e)
    }
}

impl From<ParamError> for UriError {
    fn from(e: ParamError) -> Self {
        UriError::Param(e)
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriError::InvalidUri(why) => write!(f, "invalid key URI: {why}"),
            UriError::UnsupportedType => f.write_str(
                "unsupported OTP type: a key URI is otpauth://totp/… or otpauth://hotp/…",
            ),
            UriError::WrongType => {
                f.write_str("wrong OTP type: this is not a key URI of that kind")
            }
            UriError::InvalidAccount => f.write_str(
                "invalid account name: it must be non-empty, not begin with a space, and have no ':' or control characters",
            ),
            UriError::InvalidIssuer => f.write_str(
                "invalid issuer: it must be non-empty, without ':' or control characters",
            ),
            UriError::MissingSecret => f.write_str("the key URI has no secret parameter"),
            UriError::Secret(e) => fmt::Display::fmt(e, f),
            UriError::Param(e) => fmt::Display::fmt(e, f),
            UriError::MissingCounter => f.write_str("an hotp key URI needs a counter parameter"),
            UriError::InvalidCounter => {
                f.write_str("invalid counter: use a whole number from 0 to 18446744073709551615")
            }
            UriError::IssuerMismatch => {
                f.write_str("the issuer parameter differs from the issuer in the label")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UriError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UriError::Secret(e) => Some(e),
            UriError::Param(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte helpers agree with `str`'s char-pattern methods on any text.
        #[test]
        fn text_helpers_match_str(s in "[ a:&=%#?/é\u{0}-\u{7f}]{0,40}", sep in prop::sample::select(b":&=%#?/ ".to_vec())) {
            let c = char::from(sep);
            prop_assert_eq!(split_once(&s, sep), s.split_once(c));
            prop_assert_eq!(split(&s, sep).collect::<Vec<_>>(), s.split(c).collect::<Vec<_>>());
            prop_assert_eq!(trim_start_spaces(&s), s.trim_start_matches(' '));
            prop_assert_eq!(all_spaces(&s), s.trim_matches(' ').is_empty());
        }
    }
}
