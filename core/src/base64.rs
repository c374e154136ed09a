//! RFC 4648 base64 with the standard alphabet, for `data:` URLs and migration payloads.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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
    let symbol = |v: u32| char::from(ALPHABET[(v & 63) as usize]);
    let mut chunks = data.chunks_exact(3);
    for c in &mut chunks {
        let v = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(symbol(v >> shift));
        }
    }
    let rest = chunks.remainder();
    if let Some(&first) = rest.first() {
        let second = rest.get(1).copied();
        let v = u32::from(first) << 16 | u32::from(second.unwrap_or(0)) << 8;
        out.push(symbol(v >> 18));
        out.push(symbol(v >> 12));
        out.push(if second.is_some() {
            symbol(v >> 6)
        } else {
            '='
        });
        out.push('=');
    }
}

/// Decodes standard base64. Padding is optional, but when present it must be correct;
/// any other character (including whitespace and the URL-safe `-`/`_`) and non-zero
/// unused bits are rejected.
#[cfg_attr(not(feature = "migration"), allow(dead_code))]
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let body = match bytes {
        [rest @ .., b'=', b'='] => {
            if !bytes.len().is_multiple_of(4) {
                return None;
            }
            rest
        }
        [rest @ .., b'='] => {
            if !bytes.len().is_multiple_of(4) {
                return None;
            }
            rest
        }
        _ => bytes,
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6 | u32::from(v)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // The bits left over after the last whole byte must be zero (canonical encoding).
    if acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
