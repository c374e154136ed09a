//! `otpauth://` key URIs in Google Authenticator's Key Uri Format: parse and build.
//!
//! `otpauth://TYPE/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`

use crate::params::{Algorithm, Digits, ParamError, Period, decimal_digits, parse_decimal};
use crate::secret::{Secret, SecretError};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, Zeroizing};

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

/// The parameters a key URI interprets, in the order of [`KeyUri::parse`]'s slots: `period`
/// belongs to TOTP only, `counter` to HOTP only.
const STANDARD: [&str; 6] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
];

/// Which of [`STANDARD`] a key URI of this kind interprets as `name`, in any letter case:
/// `secret`, `issuer`, `algorithm`, `digits`, and `period` (TOTP) or `counter` (HOTP).
fn standard(is_totp: bool, name: &str) -> Option<usize> {
    let other = if is_totp { 5 } else { 4 };
    (0..STANDARD.len()).find(|&i| i != other && is_ignoring_case(name, STANDARD[i]))
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
        self.set_issuer(issuer)?;
        Ok(self)
    }

    fn set_issuer(&mut self, issuer: &str) -> Result<(), UriError> {
        check_name(issuer, UriError::InvalidIssuer)?;
        self.issuer = Some(String::from(issuer));
        Ok(())
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
        self.add_param(name, value)?;
        Ok(self)
    }

    fn add_param(&mut self, name: &str, value: &str) -> Result<(), UriError> {
        let is_totp = matches!(self.kind, OtpKind::Totp { .. });
        if name.is_empty() || standard(is_totp, name).is_some() {
            return Err(UriError::InvalidUri("parameter name is empty or reserved"));
        }
        if self.params.iter().any(|(k, _)| k == name) {
            return Err(UriError::InvalidUri("duplicate parameter"));
        }
        self.params.push((String::from(name), String::from(value)));
        Ok(())
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
        let rest = strip_prefix_ignoring_case(uri, "otpauth://")
            .ok_or(UriError::InvalidUri("not an otpauth:// URI"))?;
        if rest.bytes().any(|b| b == b'#') {
            return Err(UriError::InvalidUri("a key URI has no fragment ('#')"));
        }
        let (path, query) = split_once(rest, b'?').unwrap_or((rest, ""));
        let (kind_name, label) =
            split_once(path, b'/').ok_or(UriError::InvalidUri("missing label"))?;
        let is_totp = if is_ignoring_case(kind_name, "totp") {
            true
        } else if is_ignoring_case(kind_name, "hotp") {
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

        // The decoded values of STANDARD's parameters, by index; one of them is the secret.
        let mut slots = Zeroizing::new(<[Option<String>; 6]>::default());
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in split(query, b'&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) =
                split_once(pair, b'=').ok_or(UriError::InvalidUri("parameter without '='"))?;
            let name = percent_decode(raw_name, true)?;
            let value = percent_decode(raw_value, true)?;
            let slot = match standard(is_totp, &name) {
                Some(i) if STANDARD[i] == name => &mut slots[i],
                None if !name.is_empty() => {
                    if params.iter().any(|(k, _)| *k == name) {
                        return Err(UriError::InvalidUri("duplicate parameter"));
                    }
                    params.push((name, value));
                    continue;
                }
                // Ignoring `Digits=8` would silently give the wrong codes.
                _ => {
                    return Err(UriError::InvalidUri(
                        "parameter name is empty or a standard one in the wrong letter case",
                    ));
                }
            };
            if slot.replace(value).is_some() {
                return Err(UriError::InvalidUri("duplicate parameter"));
            }
        }
        let secret = match &slots[0] {
            Some(s) if !all_spaces(s) => Secret::from_base32(s)?,
            _ => return Err(UriError::MissingSecret),
        };
        let issuer = match (label_issuer, slots[1].take().filter(|i| !i.is_empty())) {
            (Some(l), Some(p)) if !l.is_empty() && l != p => return Err(UriError::IssuerMismatch),
            (_, Some(p)) => Some(p),
            (Some(l), None) if !l.is_empty() => Some(String::from(l)),
            _ => None,
        };
        if let Some(i) = &issuer {
            check_name(i, UriError::InvalidIssuer)?;
        }
        let algorithm = match &slots[2] {
            Some(a) => a.parse::<Algorithm>()?,
            None => Algorithm::default(),
        };
        let digits = match &slots[3] {
            Some(d) => Digits::new(small_number(d, ParamError::InvalidDigits)?)?,
            None => Digits::default(),
        };
        let kind = if is_totp {
            let period = match &slots[4] {
                Some(p) => Period::new(small_number(p, ParamError::InvalidPeriod)?)?,
                None => Period::default(),
            };
            OtpKind::Totp { period }
        } else {
            let counter = slots[5].as_deref().ok_or(UriError::MissingCounter)?;
            OtpKind::Hotp {
                counter: parse_decimal(counter).ok_or(UriError::InvalidCounter)?,
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
        let (number_name, number) = match self.kind {
            OtpKind::Totp { period } => ("&period=", u64::from(period.get())),
            OtpKind::Hotp { counter } => ("&counter=", counter),
        };
        let (mut digits_buf, mut number_buf) = ([0u8; 20], [0u8; 20]);
        let digits = decimal_digits(u64::from(self.digits.get()), &mut digits_buf);
        let number = decimal_digits(number, &mut number_buf);
        // Room for the longest text (every name character percent-encoded), so that the
        // buffer never moves and leaves no copy of the secret behind.
        let issuer_len = self.issuer.as_ref().map_or(0, String::len);
        let mut room = 96 + 6 * issuer_len + 3 * self.account.len() + self.secret.base32_len();
        for (name, value) in &self.params {
            room += 2 + 3 * (name.len() + value.len());
        }
        let mut out = Vec::with_capacity(room);
        let mut put = |before: &str, value: &[u8], after: &str, label: bool| {
            write_part(&mut out, before, value, after, label);
        };
        // Type, secret, algorithm and numbers are unreserved characters, which the
        // encoding keeps.
        put("otpauth://", self.kind.name().as_bytes(), "/", false);
        if let Some(issuer) = &self.issuer {
            put("", issuer.as_bytes(), ":", true);
        }
        put("", self.account.as_bytes(), "?secret=", true);
        self.secret.write_base32(&mut out);
        let mut put = |before: &str, value: &[u8], after: &str, label: bool| {
            write_part(&mut out, before, value, after, label);
        };
        if let Some(issuer) = &self.issuer {
            put("&issuer=", issuer.as_bytes(), "", false);
        }
        put(
            "&algorithm=",
            self.algorithm.name().as_bytes(),
            "&digits=",
            false,
        );
        put("", digits, number_name, false);
        put("", number, "", false);
        for (name, value) in &self.params {
            put("&", name.as_bytes(), "=", false);
            put("", value.as_bytes(), "", false);
        }
        // Only ASCII was written.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Writes [`KeyUri::to_uri_string`]. The output contains the secret.
impl fmt::Display for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Zeroizing::new(self.to_uri_string()))
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

/// A decimal parameter that must fit a `u32`, or `err`.
fn small_number(s: &str, err: ParamError) -> Result<u32, ParamError> {
    parse_decimal(s)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(err)
}

/// Checks an issuer or account name: not empty, and no colon or control character (C0,
/// DEL, or C1: U+0080 to U+009F, which UTF-8 writes as 0xC2 then 0x80 to 0x9F).
fn check_name(name: &str, err: UriError) -> Result<(), UriError> {
    let b = name.as_bytes();
    let mut bad = b.is_empty();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        bad |= c == b':' || c < 0x20 || c == 0x7f;
        bad |= c == 0xc2 && matches!(b.get(i + 1), Some(0x80..=0x9f));
        i += 1;
    }
    if bad { Err(err) } else { Ok(()) }
}

// Text helpers over ASCII bytes. They scan bytes where `str`'s char patterns would use
// `memchr` and a searcher: the same result (an ASCII byte is always a char boundary), as fast
// on strings of a key URI's length, and less code in WebAssembly.

/// The position of the first `b` (ASCII) in `s`.
fn find(s: &str, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `s` split around the first `sep` (ASCII), like `str::split_once`.
pub(crate) fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let (head, tail) = s.split_at_checked(find(s, sep)?)?;
    Some((head, tail.get(1..)?))
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
    let mut i = 0;
    while s.as_bytes().get(i) == Some(&b' ') {
        i += 1;
    }
    s.get(i..).unwrap_or_default()
}

/// Whether `s` is empty or only spaces, like `s.trim_matches(' ').is_empty()`.
pub(crate) fn all_spaces(s: &str) -> bool {
    trim_start_spaces(s).is_empty()
}

/// Whether `s` is `lower` (lower-case ASCII) in any letter case, like
/// `s.eq_ignore_ascii_case(lower)`.
pub(crate) fn is_ignoring_case(s: &str, lower: &str) -> bool {
    let (s, lower) = (s.as_bytes(), lower.as_bytes());
    if s.len() != lower.len() {
        return false;
    }
    let mut i = 0;
    while i < s.len() {
        if s[i].to_ascii_lowercase() != lower[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `s` without `prefix` (lower-case ASCII) in any letter case.
fn strip_prefix_ignoring_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let (head, tail) = s.split_at_checked(prefix.len())?;
    is_ignoring_case(head, prefix).then_some(tail)
}

/// The value of the hex digit `b`, if it is one.
fn hex(b: Option<&u8>) -> Option<u8> {
    match *b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and `+` as a space in query components) into UTF-8 text.
fn percent_decode(s: &str, plus_is_space: bool) -> Result<String, UriError> {
    let bytes = s.as_bytes();
    // Never more bytes out than in: the buffer does not move.
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let mut b = bytes[i];
        i += 1;
        if b == b'%' {
            let (Some(h), Some(l)) = (hex(bytes.get(i)), hex(bytes.get(i + 1))) else {
                return Err(UriError::InvalidUri("bad percent-encoding"));
            };
            b = h << 4 | l;
            i += 2;
        } else if b == b'+' && plus_is_space {
            b = b' ';
        }
        out.push(b);
    }
    // The text may be the secret: wiped when it is refused too.
    String::from_utf8(out).map_err(|e| {
        e.into_bytes().zeroize();
        UriError::InvalidUri("percent-encoding is not UTF-8")
    })
}

/// Appends `before`, `value` percent-encoded and `after`.
#[inline(never)]
fn write_part(out: &mut Vec<u8>, before: &str, value: &[u8], after: &str, label: bool) {
    out.extend_from_slice(before.as_bytes());
    percent_encode(out, value, label);
    out.extend_from_slice(after.as_bytes());
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `@` in a label).
fn percent_encode(out: &mut Vec<u8>, s: &[u8], label: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (label && b == b'@')
        {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
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
        fn text_helpers_match_str(
            s in "[ a:&=%#?/é\u{0}-\u{7f}]{0,40}",
            sep in prop::sample::select(b":&=%#?/ ".to_vec()),
            word in "[oOtTpPaAuUhHxé:/]{9,11}",
        ) {
            let c = char::from(sep);
            prop_assert_eq!(split_once(&s, sep), s.split_once(c));
            prop_assert_eq!(split(&s, sep).collect::<Vec<_>>(), s.split(c).collect::<Vec<_>>());
            prop_assert_eq!(trim_start_spaces(&s), s.trim_start_matches(' '));
            prop_assert_eq!(all_spaces(&s), s.trim_matches(' ').is_empty());
            prop_assert_eq!(is_ignoring_case(&word, "otpauth://"), word.eq_ignore_ascii_case("otpauth://"));
        }

        /// Names are checked byte by byte as `char::is_control` and the colon rule say.
        #[test]
        fn check_name_matches_chars(s in "[a:é\u{0}-\u{a0}]{0,12}") {
            let want = s.is_empty() || s.contains(':') || s.chars().any(char::is_control);
            prop_assert_eq!(check_name(&s, UriError::InvalidAccount).is_err(), want);
        }
    }
}
