//! TOTP, RFC 6238: codes from the time.

use crate::hotp::{Code, Hotp, parse_code};
use crate::params::{Algorithm, Digits, Period};
use crate::secret::Secret;
use crate::uri::{KeyUri, OtpKind, UriError};

/// A TOTP generator and verifier (RFC 6238) for one secret. Times are unix seconds
/// supplied by the caller. Generating and verifying codes allocate nothing, and no time
/// or window value can make the arithmetic overflow or panic.
#[derive(Clone, Debug)]
pub struct Totp {
    hotp: Hotp,
    period: Period,
    t0: u64,
}

impl Totp {
    /// A TOTP for `secret` with the given hash, code length and time step, counting from the unix epoch.
    pub fn new(secret: &Secret, algorithm: Algorithm, digits: Digits, period: Period) -> Totp {
        Totp {
            hotp: Hotp::new(secret, algorithm, digits),
            period,
            t0: 0,
        }
    }

    /// The same TOTP counting steps from `t0` (RFC 6238's T0, in unix seconds) instead of
    /// the epoch. Times before `t0` belong to step 0.
    pub fn with_t0(mut self, t0: u64) -> Totp {
        self.t0 = t0;
        self
    }

    /// The TOTP of an `otpauth://totp/…` key URI.
    pub fn from_uri(uri: &str) -> Result<Totp, UriError> {
        Totp::from_key_uri(&KeyUri::parse(uri)?)
    }

    /// The TOTP of a parsed key URI; an HOTP URI is an error.
    pub fn from_key_uri(uri: &KeyUri) -> Result<Totp, UriError> {
        match uri.kind() {
            OtpKind::Totp { period } => Ok(Totp::new(
                uri.secret(),
                uri.algorithm(),
                uri.digits(),
                period,
            )),
            OtpKind::Hotp { .. } => Err(UriError::WrongType),
        }
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.hotp.algorithm()
    }

    /// The code length.
    pub fn digits(&self) -> Digits {
        self.hotp.digits()
    }

    /// The time step.
    pub fn period(&self) -> Period {
        self.period
    }

    /// T0, the unix time of step 0.
    pub fn t0(&self) -> u64 {
        self.t0
    }

    /// The time step that `unix` falls in: `(unix - T0) / period`.
    #[inline]
    pub fn step_at(&self, unix: u64) -> u64 {
        unix.saturating_sub(self.t0) / u64::from(self.period.get())
    }

    /// The code valid at `unix`.
    #[inline]
    pub fn code_at(&self, unix: u64) -> Code {
        self.hotp.code(self.step_at(unix))
    }

    /// The code of time step `step`.
    #[inline]
    pub fn code_at_step(&self, step: u64) -> Code {
        self.hotp.code(step)
    }

    /// The code of the step after the one `unix` falls in (what an authenticator shows as
    /// "next"); at the last step there is none after it, and that step's code is returned.
    #[inline]
    pub fn next_code_at(&self, unix: u64) -> Code {
        self.hotp.code(self.step_at(unix).saturating_add(1))
    }

    /// Seconds from `unix` until the code changes (1 to `period`).
    #[inline]
    pub fn seconds_remaining(&self, unix: u64) -> u64 {
        let period = u64::from(self.period.get());
        period - unix.saturating_sub(self.t0) % period
    }

    /// Checks `code` at time `unix`, accepting up to `window` steps before or after to
    /// absorb clock drift and typing time, and returns the time step it matched. A window of
    /// 1 (±30 s at the default period) is the usual choice; the type bounds the work.
    ///
    /// The current step is tried first, then the nearest ones. Each comparison is constant
    /// time. A code of the wrong length or with anything but ASCII digits never matches.
    /// To refuse reuse, a server stores the returned step and accepts only later ones.
    pub fn verify(&self, code: &str, unix: u64, window: u8) -> Option<u64> {
        let wanted = parse_code(code, self.hotp.digits())?;
        let step = self.step_at(unix);
        // Candidate k is the step itself, then 1 before, 1 after, 2 before, 2 after, …;
        // a step beyond either end of the u64 range is skipped.
        for k in 0..=2 * u32::from(window) {
            let distance = u64::from(k.div_ceil(2));
            let s = if k % 2 == 1 {
                step.checked_sub(distance)
            } else {
                step.checked_add(distance)
            };
            if let Some(s) = s
                && self.hotp.matches(wanted, s)
            {
                return Some(s);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp() -> Totp {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        Totp::new(&secret, Algorithm::Sha1, Digits::EIGHT, Period::THIRTY)
    }

    #[test]
    fn steps_and_remaining() {
        let t = totp();
        assert_eq!(t.step_at(59), 1);
        assert_eq!(t.seconds_remaining(59), 1);
        assert_eq!(t.seconds_remaining(60), 30);
        assert_eq!(t.code_at(59).as_str(), "94287082");
        assert_eq!(t.next_code_at(59), t.code_at(60));
        assert_eq!(t.next_code_at(u64::MAX), t.code_at_step(u64::MAX / 30 + 1));
        let shifted = totp().with_t0(30);
        assert_eq!(shifted.step_at(89), 1);
        assert_eq!(shifted.step_at(10), 0);
        assert_eq!(shifted.seconds_remaining(10), 30);
    }

    #[test]
    fn verify_window_returns_matched_step() {
        let t = totp();
        let now = 1_111_111_109;
        let step = t.step_at(now);
        assert_eq!(t.verify(&t.code_at(now), now, 0), Some(step));
        assert_eq!(t.verify(&t.code_at(now - 30), now, 1), Some(step - 1));
        assert_eq!(t.verify(&t.code_at(now + 30), now, 1), Some(step + 1));
        assert_eq!(t.verify(&t.code_at(now - 60), now, 1), None);
        assert_eq!(t.verify(&t.code_at(now - 60), now, 2), Some(step - 2));
        assert_eq!(t.verify("1234567", now, 1), None);
        assert_eq!(t.verify("1234567x", now, 1), None);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let t = totp();
        let code = t.code_at(u64::MAX);
        assert_eq!(t.verify(&code, u64::MAX, u8::MAX), Some(u64::MAX / 30));
        let code0 = t.code_at(0);
        assert_eq!(t.verify(&code0, 0, u8::MAX), Some(0));
        assert_eq!(
            t.verify("00000000", 0, u8::MAX).is_some(),
            (0..=255).any(|s| t.code_at_step(s).as_str() == "00000000")
        );
        assert_eq!(t.seconds_remaining(u64::MAX), 30 - u64::MAX % 30);
        let one = Totp::new(
            &Secret::from_bytes(b"k").unwrap(),
            Algorithm::Sha1,
            Digits::SIX,
            Period::new(1).unwrap(),
        );
        let c = one.code_at(u64::MAX);
        assert_eq!(one.next_code_at(u64::MAX), c, "no step after the last one");
        assert_eq!(one.verify(&c, u64::MAX, 3), Some(u64::MAX));
    }
}
