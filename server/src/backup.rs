//! Backup codes: generation, display and normalisation. Storage and use are in
//! [`crate::domain`] and [`crate::store`]; a code is stored only as an HMAC tag
//! ([`crate::crypto::KeyRing::code_tag`]).
//!
//! A code is [`CODE_LEN`] characters drawn uniformly from [`ALPHABET`] (31 characters: the
//! digits 2–9 and the lower-case letters without `i`, `l` and `o`, so no `0/o`, `1/l/i`
//! look-alikes): 24 × log2(31) ≈ 118.9 bits of entropy. It is shown in groups of four
//! joined by dashes (`7hq4-k2mz-9vxd-3fpa-w8ne-c5ry`) and accepted in any case, with or
//! without spaces and dashes.

use crate::crypto::fill_random;
use zeroize::Zeroizing;

/// The characters of a code.
pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters per code (without separators).
pub const CODE_LEN: usize = 24;
/// Characters per displayed group.
pub const GROUP_LEN: usize = 4;

/// A fresh code in its normalised form (no separators, lower case).
pub fn generate() -> anyhow::Result<Zeroizing<String>> {
    // Rejection sampling: bytes >= 248 (= 8 × 31) are dropped so every character is uniform.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = Zeroizing::new(String::with_capacity(CODE_LEN));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < CODE_LEN {
        fill_random(&mut buf[..])?;
        for &b in buf.iter().filter(|&&b| b < limit) {
            if out.len() == CODE_LEN {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

/// A normalised code as shown to the user: groups of [`GROUP_LEN`] joined by dashes.
pub fn display(normalised: &str) -> String {
    normalised
        .as_bytes()
        .chunks(GROUP_LEN)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The one normalisation of user input: ASCII whitespace and dashes are dropped, letters
/// lower-cased. `None` unless the result is exactly [`CODE_LEN`] characters of the alphabet.
pub fn normalise(input: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(CODE_LEN));
    for c in input.chars() {
        if c == '-' || c.is_ascii_whitespace() {
            continue;
        }
        let c = c.to_ascii_lowercase();
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == CODE_LEN {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes_and_enough_entropy() {
        for c in b"01ilo" {
            assert!(!ALPHABET.contains(c), "{}", char::from(*c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len(), "no duplicates");
        assert!(CODE_LEN as f64 * (ALPHABET.len() as f64).log2() >= 112.0);
    }

    #[test]
    fn generated_codes_normalise_to_themselves() {
        for _ in 0..200 {
            let code = generate().expect("random");
            assert_eq!(code.len(), CODE_LEN);
            let shown = display(&code);
            assert_eq!(shown.len(), CODE_LEN + CODE_LEN / GROUP_LEN - 1);
            assert_eq!(
                normalise(&shown).as_deref().map(String::as_str),
                Some(code.as_str())
            );
            assert_eq!(
                normalise(&shown.to_uppercase())
                    .as_deref()
                    .map(String::as_str),
                Some(code.as_str())
            );
            assert_eq!(
                normalise(&shown.replace('-', " "))
                    .as_deref()
                    .map(String::as_str),
                Some(code.as_str())
            );
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let good = "7hq4k2mz9vxd3fpaw8nec5ry";
        assert!(normalise(good).is_some());
        for bad in [
            "",
            "7hq4k2mz9vxd3fpaw8nec5r",
            "7hq4k2mz9vxd3fpaw8nec5ryy",
            "7hq4k2mz9vxd3fpaw8nec5r0",
            "7hq4k2mz9vxd3fpaw8nec5rl",
            "7hq4k2mz9vxd3fpaw8nec5r_",
            "7hq4k2mz9vxd3fpaw8nec5r\u{e9}",
            "7hq4k2mz9vxd3fpaw8nec5r\u{0}",
        ] {
            assert!(normalise(bad).is_none(), "{bad:?}");
        }
    }
}
