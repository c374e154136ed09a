//! Shared secrets: raw bytes, RFC 4648 base32 in and out, generation. Zeroized on drop.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A shared OTP secret. The bytes are wiped from memory when it is dropped, `Debug` never
/// shows them, and equality is checked in constant time.
#[derive(Clone)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// The length of a generated secret unless another is asked for: 160 bits, as RFC 4226 recommends.
    pub const DEFAULT_LEN: usize = 20;
    /// The shortest secret [`Secret::random`] makes: 128 bits, RFC 4226's minimum.
    pub const MIN_GENERATED_LEN: usize = 16;
    /// The longest secret accepted from any source (2048 bits).
    pub const MAX_LEN: usize = 256;

    /// Wraps existing secret bytes; they must be 1 to [`Secret::MAX_LEN`] bytes long.
    ///
    /// Short secrets (such as Google's 80-bit ones) are accepted for interoperability; new
    /// secrets should come from [`Secret::random`] or [`Secret::generate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Secret, SecretError> {
        check_len(bytes.len())?;
        Ok(Secret {
            bytes: bytes.to_vec(),
        })
    }

    /// A new secret of `len` bytes (16 to [`Secret::MAX_LEN`]) filled by the caller's
    /// cryptographically secure random source.
    pub fn random(len: usize, fill: impl FnOnce(&mut [u8])) -> Result<Secret, SecretError> {
        if len < Self::MIN_GENERATED_LEN {
            return Err(SecretError::TooShort {
                len,
                min: Self::MIN_GENERATED_LEN,
            });
        }
        check_len(len)?;
        let mut bytes = alloc::vec![0u8; len];
        fill(&mut bytes);
        Ok(Secret { bytes })
    }

    /// A new 160-bit secret from the operating system's random source.
    #[cfg(feature = "getrandom")]
    pub fn generate() -> Secret {
        let mut bytes = alloc::vec![0u8; Self::DEFAULT_LEN];
        fill_os_random(&mut bytes);
        Secret { bytes }
    }

    /// A new secret of `len` bytes (16 to [`Secret::MAX_LEN`]) from the operating system's random source.
    #[cfg(feature = "getrandom")]
    pub fn generate_len(len: usize) -> Result<Secret, SecretError> {
        Self::random(len, fill_os_random)
    }

    /// Decodes RFC 4648 base32 as services hand it out: any letter case, spaces anywhere,
    /// with or without `=` padding. Anything else is an error that names the offending
    /// character and its position (counted in characters from 0).
    pub fn from_base32(text: &str) -> Result<Secret, SecretError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        let mut symbols = 0usize;
        let mut padding = 0usize;
        let mut first_pad = None;
        let text_bytes = text.as_bytes();
        // Every character before an error is ASCII, so a byte index is a character position.
        let mut position = 0;
        while position < text_bytes.len() {
            let c = text_bytes[position];
            position += 1;
            let value = match c {
                b' ' => continue,
                b'=' => {
                    first_pad.get_or_insert(position - 1);
                    padding += 1;
                    continue;
                }
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a',
                b'2'..=b'7' => c - b'2' + 26,
                _ => {
                    return Err(SecretError::InvalidBase32 {
                        character: text
                            .get(position - 1..)
                            .and_then(|rest| rest.chars().next())
                            .unwrap_or_default(),
                        position: position - 1,
                    });
                }
            };
            if let Some(position) = first_pad {
                return Err(SecretError::InvalidPadding { position });
            }
            acc = (acc << 5 | u32::from(value)) & 0xfff;
            bits += 5;
            symbols += 1;
            if bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
            }
        }
        acc.zeroize();
        if symbols == 0 {
            return Err(SecretError::Empty);
        }
        // 8 symbols carry 5 bytes; a final group of 1, 3 or 6 symbols cannot end a byte.
        if matches!(symbols % 8, 1 | 3 | 6) {
            return Err(SecretError::InvalidLength { symbols });
        }
        if let Some(position) = first_pad
            && (!(symbols + padding).is_multiple_of(8) || padding >= 8)
        {
            return Err(SecretError::InvalidPadding { position });
        }
        check_len(bytes.len())?;
        Ok(Secret {
            bytes: core::mem::take(&mut *bytes),
        })
    }

    /// The secret as upper-case RFC 4648 base32 without padding, the form key URIs use.
    /// The returned string is wiped when dropped.
    pub fn to_base32(&self) -> Zeroizing<String> {
        let mut out = Vec::with_capacity(self.base32_len());
        self.write_base32(&mut out);
        // Only the alphabet's ASCII was written.
        Zeroizing::new(String::from_utf8(out).unwrap_or_default())
    }

    /// The length of [`Secret::to_base32`]'s text.
    pub(crate) fn base32_len(&self) -> usize {
        (self.bytes.len() * 8).div_ceil(5)
    }

    /// Appends [`Secret::to_base32`]'s text to `out`, which the caller sizes so that it
    /// does not move (leaving a copy behind).
    pub(crate) fn write_base32(&self, out: &mut Vec<u8>) {
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        for &b in &self.bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(ALPHABET[((acc >> bits) & 31) as usize]);
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize]);
        }
        acc.zeroize();
    }

    /// The raw secret bytes. Handle with care: do not log or persist them unencrypted.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a secret has at least one byte.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(feature = "getrandom")]
fn fill_os_random(buf: &mut [u8]) {
    // Without a working random source no secret can be made safely; this cannot be
    // recovered from, so it is the one deliberate panic of the crate.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random source failed");
}

fn check_len(len: usize) -> Result<(), SecretError> {
    if len == 0 {
        Err(SecretError::Empty)
    } else if len > Secret::MAX_LEN {
        Err(SecretError::TooLong {
            len,
            max: Secret::MAX_LEN,
        })
    } else {
        Ok(())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.bytes.len())
    }
}

/// A secret that cannot be decoded or has an unusable length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretError {
    /// No secret at all (empty, or only spaces and padding).
    Empty,
    /// A character outside the base32 alphabet, at this position (in characters, from 0).
    InvalidBase32 {
        /// The offending character.
        character: char,
        /// Its position in the input, in characters from 0.
        position: usize,
    },
    /// Padding (`=`) in the wrong place or of the wrong amount.
    InvalidPadding {
        /// Position of the first `=`, in characters from 0.
        position: usize,
    },
    /// A number of base32 symbols that no whole number of bytes encodes to.
    InvalidLength {
        /// How many base32 symbols there were.
        symbols: usize,
    },
    /// Longer than [`Secret::MAX_LEN`] bytes.
    TooLong {
        /// The length in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// Shorter than the minimum for a new secret.
    TooShort {
        /// The requested length in bytes.
        len: usize,
        /// The minimum.
        min: usize,
    },
}

impl SecretError {
    /// The stable machine-readable code of this error, shared by every binding.
    pub const fn code(&self) -> &'static str {
        match self {
            SecretError::TooLong { .. } | SecretError::TooShort { .. } => "invalid_secret_length",
            _ => "invalid_base32",
        }
    }
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Empty => f.write_str("invalid base32 secret: it is empty"),
            SecretError::InvalidBase32 {
                character,
                position,
            } => write!(
                f,
                "invalid base32 secret: character {character:?} at position {position} is not in A-Z, 2-7"
            ),
            SecretError::InvalidPadding { position } => write!(
                f,
                "invalid base32 secret: misplaced or wrong amount of '=' padding at position {position}"
            ),
            SecretError::InvalidLength { symbols } => write!(
                f,
                "invalid base32 secret: {symbols} symbols do not encode a whole number of bytes"
            ),
            SecretError::TooLong { len, max } => {
                write!(f, "secret too long: {len} bytes, at most {max} allowed")
            }
            SecretError::TooShort { len, min } => {
                write!(f, "secret too short: {len} bytes, at least {min} required")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SecretError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (raw, enc) in &cases[1..] {
            let s = Secret::from_bytes(raw).unwrap();
            assert_eq!(s.to_base32().as_str(), *enc);
            assert_eq!(Secret::from_base32(enc).unwrap().as_bytes(), *raw);
        }
        for padded in [
            "MY======",
            "MZXQ====",
            "MZXW6===",
            "MZXW6YQ=",
            "MZXW6YTBOI======",
        ] {
            assert!(Secret::from_base32(padded).is_ok(), "{padded}");
        }
    }

    #[test]
    fn lenient_where_services_are() {
        let want = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        for text in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            " jbsw y3dp ehpk 3pxp ",
        ] {
            assert_eq!(Secret::from_base32(text).unwrap(), want, "{text}");
        }
        assert_eq!(want.len(), 10, "80-bit Google-style secrets are accepted");
    }

    #[test]
    fn errors_name_character_and_position() {
        assert_eq!(
            Secret::from_base32("JBSW1DPE"),
            Err(SecretError::InvalidBase32 {
                character: '1',
                position: 4
            })
        );
        assert_eq!(
            Secret::from_base32("JB é"),
            Err(SecretError::InvalidBase32 {
                character: 'é',
                position: 3
            })
        );
        assert_eq!(Secret::from_base32(""), Err(SecretError::Empty));
        assert_eq!(Secret::from_base32(" = "), Err(SecretError::Empty));
        assert_eq!(
            Secret::from_base32("MZ=XQ"),
            Err(SecretError::InvalidPadding { position: 2 })
        );
        assert_eq!(
            Secret::from_base32("MY="),
            Err(SecretError::InvalidPadding { position: 2 })
        );
        assert_eq!(
            Secret::from_base32("MZX"),
            Err(SecretError::InvalidLength { symbols: 3 })
        );
        let long = "A".repeat(8 * 52);
        assert!(matches!(
            Secret::from_base32(&long),
            Err(SecretError::TooLong { len: 260, max: 256 })
        ));
        assert_eq!(SecretError::Empty.code(), "invalid_base32");
    }

    #[test]
    fn random_enforces_bounds_and_uses_the_source() {
        assert_eq!(
            Secret::random(15, |_| {}).unwrap_err(),
            SecretError::TooShort { len: 15, min: 16 }
        );
        assert!(Secret::random(257, |_| {}).is_err());
        let s = Secret::random(16, |b| b.fill(0xAB)).unwrap();
        assert_eq!(s.as_bytes(), &[0xAB; 16]);
    }

    #[cfg(feature = "getrandom")]
    #[test]
    fn generate_is_160_bits_and_random() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert_eq!(Secret::generate_len(32).unwrap().len(), 32);
    }

    #[test]
    fn debug_never_shows_bytes() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let shown = alloc::format!("{s:?}");
        assert_eq!(shown, "Secret([redacted; 10 bytes])");
    }
}
