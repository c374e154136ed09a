//! RFC 4648 base64 with the standard alphabet, for `data:` URLs and migration payloads.

use alloc::string::String;

/// The symbol of the low six bits of `v` in the standard alphabet, computed rather than
/// looked up (no table in the binary).
fn symbol(v: u32) -> char {
    let v = (v & 63) as u8;
    char::from(match v {
        0..=25 => b'A' + v,
        26..=51 => v + (b'a' - 26),
        52..=61 => v - (52 - b'0'),
        62 => b'+',
        _ => b'/',
    })
}

/// The value of a standard-alphabet symbol, `None` for anything else.
fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - (b'a' - 26),
        b'0'..=b'9' => c + (52 - b'0'),
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Encodes `data` as padded standard base64.
#[cfg_attr(not(feature = "migration"), allow(dead_code))]
pub(crate) fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    encode_into(data, &mut out);
    out
}

/// Appends the padded standard base64 of `data` to `out`.
#[cfg_attr(not(feature = "qr"), allow(dead_code))]
pub(crate) fn encode_into(data: &[u8], out: &mut String) {
    // Bits flow through `acc` eight in, six out; shifting left drops the spent high bits.
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in data {
        acc = acc << 8 | u32::from(byte);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(symbol(acc >> bits));
        }
    }
    if bits > 0 {
        out.push(symbol(acc << (6 - bits)));
        // 2 bits left over need "==", 4 need "=".
        out.push('=');
        if bits == 2 {
            out.push('=');
        }
    }
}

/// A decoder of standard base64 text fed one byte at a time. Padding is optional, but when
/// present it must be correct; any other character (including whitespace and the URL-safe
/// `-`/`_`) and non-zero unused bits are rejected.
#[cfg_attr(not(feature = "migration"), allow(dead_code))]
#[derive(Default)]
pub(crate) struct Decoder {
    acc: u32,
    bits: u32,
    len: usize,
    padding: usize,
    bad: bool,
}

#[cfg_attr(not(feature = "migration"), allow(dead_code))]
impl Decoder {
    /// Takes the next byte of the text; returns the next decoded byte once it is complete.
    pub(crate) fn push(&mut self, c: u8) -> Option<u8> {
        self.len += 1;
        if c == b'=' {
            self.padding += 1;
            return None;
        }
        match value(c) {
            // Nothing may follow the padding.
            Some(v) if self.padding == 0 => {
                self.acc = (self.acc << 6 | v) & 0xFFFF;
                self.bits += 6;
            }
            _ => self.bad = true,
        }
        (self.bits >= 8).then(|| {
            self.bits -= 8;
            (self.acc >> self.bits) as u8
        })
    }

    /// Whether the whole text was valid: at most two `=`, only at the end of a whole
    /// 4-character group, never a lone symbol in the last group, and the bits left over
    /// after the last whole byte zero (canonical encoding).
    pub(crate) fn valid(&self) -> bool {
        !self.bad
            && self.padding <= 2
            && (self.padding == 0 || self.len.is_multiple_of(4))
            && (self.len - self.padding) % 4 != 1
            && self.acc & ((1 << self.bits) - 1) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn decode(text: &str) -> Option<Vec<u8>> {
        let mut decoder = Decoder::default();
        let bytes: Vec<u8> = text.bytes().filter_map(|c| decoder.push(c)).collect();
        decoder.valid().then_some(bytes)
    }

    /// RFC 4648 section 10 test vectors.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors_encode_and_decode() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(
                decode(encoded).as_deref(),
                Some(plain.as_bytes()),
                "{encoded}"
            );
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(
                decode(unpadded).as_deref(),
                Some(plain.as_bytes()),
                "{unpadded}"
            );
        }
    }

    #[test]
    fn all_byte_values_round_trip() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            assert_eq!(decode(&encode(&data[..len])).as_deref(), Some(&data[..len]));
        }
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "Z", "Zg=", "Zg===", "Z===", "Zm9v=", "=", "==", "Zm 9v", "Zm9v\n", "Zh==", "Zm9=",
            "Zm-v", "Zm_v", "Zm9vYg=a", "Zg==Zg==", "é", "Zm8=Zm8=",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
