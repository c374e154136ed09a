//! The parameters of a one-time password: hash algorithm, number of digits, time step.

use crate::uri::is_ignoring_case;
use core::fmt;
use core::str::FromStr;

/// The HMAC hash function of an OTP (RFC 6238 allows SHA-1, SHA-256 and SHA-512).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA-1, the default of RFC 4226 and of nearly every authenticator app.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in key URIs: `SHA1`, `SHA256` or `SHA512`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = ParamError;

    /// Accepts `SHA1`, `SHA256`, `SHA512` in any letter case; anything else is an error,
    /// never a silent fallback to SHA-1.
    fn from_str(s: &str) -> Result<Self, ParamError> {
        if is_ignoring_case(s, "sha1") {
            Ok(Algorithm::Sha1)
        } else if is_ignoring_case(s, "sha256") {
            Ok(Algorithm::Sha256)
        } else if is_ignoring_case(s, "sha512") {
            Ok(Algorithm::Sha512)
        } else {
            Err(ParamError::UnsupportedAlgorithm)
        }
    }
}

/// The number of digits of a code, 6 to 10 inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digits(u8);

impl Digits {
    /// Six digits, the default.
    pub const SIX: Digits = Digits(6);
    /// Eight digits.
    pub const EIGHT: Digits = Digits(8);
    /// The fewest digits accepted (RFC 4226 requires at least 6).
    pub const MIN: u8 = 6;
    /// The most digits accepted (a 31-bit truncated HMAC has 10 decimal digits).
    pub const MAX: u8 = 10;

    /// Validates a digit count.
    pub const fn new(digits: u32) -> Result<Digits, ParamError> {
        if digits >= Self::MIN as u32 && digits <= Self::MAX as u32 {
            Ok(Digits(digits as u8))
        } else {
            Err(ParamError::InvalidDigits)
        }
    }

    /// The digit count.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The truncated 31-bit HMAC value reduced to this many decimal digits (RFC 4226 5.3).
    #[inline(always)]
    pub(crate) const fn reduce(self, value: u32) -> u32 {
        const POW10: [u32; 10] = [
            1,
            10,
            100,
            1_000,
            10_000,
            100_000,
            1_000_000,
            10_000_000,
            100_000_000,
            1_000_000_000,
        ];
        // A 31-bit value has at most 10 digits: for 10 digits there is nothing to reduce.
        if self.0 as usize >= POW10.len() {
            value
        } else {
            value % POW10[self.0 as usize]
        }
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The TOTP time step in seconds, at least 1 (default 30).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period(u32);

impl Period {
    /// Thirty seconds, the default of RFC 6238 and every authenticator app.
    pub const THIRTY: Period = Period(30);

    /// Validates a time step; zero is rejected.
    pub const fn new(seconds: u32) -> Result<Period, ParamError> {
        if seconds == 0 {
            Err(ParamError::InvalidPeriod)
        } else {
            Ok(Period(seconds))
        }
    }

    /// The step in seconds.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for Period {
    fn default() -> Self {
        Period::THIRTY
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An OTP parameter outside what the standards allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// The algorithm is not SHA1, SHA256 or SHA512.
    UnsupportedAlgorithm,
    /// The digit count is outside 6..=10.
    InvalidDigits,
    /// The period is zero or not a number of seconds.
    InvalidPeriod,
}

impl ParamError {
    /// The stable machine-readable code of this error, shared by every binding.
    pub const fn code(&self) -> &'static str {
        match self {
            ParamError::UnsupportedAlgorithm => "unsupported_algorithm",
            ParamError::InvalidDigits => "invalid_digits",
            ParamError::InvalidPeriod => "invalid_period",
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamError::UnsupportedAlgorithm => "unsupported algorithm: use SHA1, SHA256 or SHA512",
            ParamError::InvalidDigits => "invalid digits: use a whole number from 6 to 10",
            ParamError::InvalidPeriod => {
                "invalid period: use a whole number of seconds, at least 1"
            }
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParamError {}

/// The decimal digits of `n`, written at the end of `buf` (no allocation, no `core::fmt`).
pub(crate) fn decimal_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

/// Parses a plain non-empty decimal number (ASCII digits only, no sign, no spaces).
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        let digit = u64::from(b - b'0');
        if n > (u64::MAX - digit) / 10 {
            return None;
        }
        n = n * 10 + digit;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip_and_unknown_is_error() {
        for a in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
        }
        assert_eq!("sha256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!(
            "MD5".parse::<Algorithm>(),
            Err(ParamError::UnsupportedAlgorithm)
        );
        assert_eq!(
            "SHA-1".parse::<Algorithm>(),
            Err(ParamError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn digits_and_period_bounds() {
        assert!(Digits::new(5).is_err());
        assert_eq!(Digits::new(6).map(Digits::get), Ok(6));
        assert_eq!(Digits::new(10).map(Digits::get), Ok(10));
        assert!(Digits::new(11).is_err());
        assert!(Period::new(0).is_err());
        assert_eq!(Period::new(1).map(Period::get), Ok(1));
    }

    #[test]
    fn decimal_digits_round_trip() {
        let mut buf = [0u8; 20];
        for n in [0, 7, 10, 4_294_967_296, u64::MAX] {
            let text = core::str::from_utf8(decimal_digits(n, &mut buf)).unwrap();
            assert_eq!(parse_decimal(text), Some(n));
        }
    }

    #[test]
    fn decimal_parsing_is_strict() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal("18446744073709551616"), None);
        for bad in ["", "+6", "-1", " 6", "6 ", "0x10", "٣"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
