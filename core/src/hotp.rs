//! HOTP, RFC 4226: codes from a counter.

use crate::hmac::KeyedHmac;
use crate::params::{Algorithm, Digits};
use crate::secret::Secret;
use crate::uri::{KeyUri, OtpKind, UriError};
use core::fmt;
use subtle::ConstantTimeEq;

/// A one-time code: 6 to 10 ASCII digits held on the stack (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Code {
    buf: [u8; Digits::MAX as usize],
    len: u8,
}

impl Code {
    fn new(value: u32, digits: Digits) -> Code {
        let mut buf = [b'0'; Digits::MAX as usize];
        let len = digits.get();
        let mut v = value;
        let mut i = usize::from(len);
        while i > 0 && v > 0 {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        Code { buf, len }
    }

    /// The code as a string of digits, with leading zeros.
    pub fn as_str(&self) -> &str {
        let digits = &self.buf[..usize::from(self.len)];
        core::str::from_utf8(digits).unwrap_or_default()
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl core::ops::Deref for Code {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Codes are one-time secrets: `Debug` does not show them.
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code([redacted; {} digits])", self.len)
    }
}

/// An HOTP generator and verifier (RFC 4226) for one secret. The keyed HMAC state is
/// computed once here; generating and verifying codes allocate nothing.
#[derive(Clone)]
pub struct Hotp {
    hmac: KeyedHmac,
    algorithm: Algorithm,
    digits: Digits,
}

impl Hotp {
    /// An HOTP for `secret` with the given hash and code length.
    pub fn new(secret: &Secret, algorithm: Algorithm, digits: Digits) -> Hotp {
        Hotp {
            hmac: KeyedHmac::new(algorithm, secret.as_bytes()),
            algorithm,
            digits,
        }
    }

    /// The HOTP described by an `otpauth://hotp/…` key URI (its counter is the URI's business, see [`KeyUri::counter`]).
    pub fn from_key_uri(uri: &KeyUri) -> Result<Hotp, UriError> {
        match uri.kind() {
            OtpKind::Hotp { .. } => Ok(Hotp::new(uri.secret(), uri.algorithm(), uri.digits())),
            OtpKind::Totp { .. } => Err(UriError::WrongType),
        }
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The code length.
    pub fn digits(&self) -> Digits {
        self.digits
    }

    /// The code for `counter`.
    #[inline]
    pub fn code(&self, counter: u64) -> Code {
        Code::new(self.value(counter), self.digits)
    }

    /// The numeric value of the code for `counter` (the code without leading zeros).
    #[inline]
    pub(crate) fn value(&self, counter: u64) -> u32 {
        self.digits.reduce(self.hmac.truncated(counter))
    }

    /// Checks `code` against counters `counter..=counter + look_ahead` (for resynchronising
    /// a token whose counter ran ahead) and returns the matching counter. The server must then
    /// store `matched + 1` as the next counter. Codes of the wrong length or with anything but
    /// ASCII digits never match. The comparison is constant time.
    pub fn verify(&self, code: &str, counter: u64, look_ahead: u16) -> Option<u64> {
        let wanted = parse_code(code, self.digits)?;
        let last = counter.saturating_add(u64::from(look_ahead));
        let mut c = counter;
        loop {
            if self.matches(wanted, c) {
                return Some(c);
            }
            if c == last {
                return None;
            }
            c += 1;
        }
    }

    #[inline]
    pub(crate) fn matches(&self, wanted: u32, counter: u64) -> bool {
        self.value(counter).ct_eq(&wanted).into()
    }
}

/// The key material is never shown.
impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

/// The numeric value of a submitted code, if it has exactly `digits` ASCII digits.
#[inline]
pub(crate) fn parse_code(code: &str, digits: Digits) -> Option<u32> {
    let bytes = code.as_bytes();
    if bytes.len() != usize::from(digits.get()) {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    // Ten digits can spell more than a 31-bit HOTP value can be; such a code never matches.
    u32::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc4226() -> Hotp {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        Hotp::new(&secret, Algorithm::Sha1, Digits::SIX)
    }

    #[test]
    fn rfc4226_appendix_d() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let hotp = rfc4226();
        for (counter, code) in want.iter().enumerate() {
            assert_eq!(hotp.code(counter as u64).as_str(), *code);
        }
    }

    #[test]
    fn verify_looks_ahead_and_rejects_malformed() {
        let hotp = rfc4226();
        assert_eq!(hotp.verify("969429", 0, 5), Some(3));
        assert_eq!(hotp.verify("969429", 0, 2), None);
        assert_eq!(hotp.verify("969429", 4, 100), None);
        assert_eq!(hotp.verify("96942", 0, 5), None);
        assert_eq!(hotp.verify("9694290", 0, 5), None);
        assert_eq!(hotp.verify("96942a", 0, 5), None);
        assert_eq!(hotp.verify(" 969429", 0, 5), None);
        assert_eq!(hotp.verify("", 0, 5), None);
        let at_max = hotp.code(u64::MAX);
        assert_eq!(hotp.verify(&at_max, u64::MAX - 1, u16::MAX), Some(u64::MAX));
    }

    #[test]
    fn ten_digit_codes_that_overflow_31_bits_never_match() {
        assert_eq!(parse_code("9999999999", Digits::new(10).unwrap()), None);
        assert_eq!(
            parse_code("2147483647", Digits::new(10).unwrap()),
            Some(2147483647)
        );
    }

    #[test]
    fn debug_hides_codes_and_keys() {
        let hotp = rfc4226();
        let shown = alloc::format!("{:?} {:?}", hotp, hotp.code(0));
        assert!(!shown.contains("755224"), "{shown}");
    }
}
