//! Property tests: base32 and key-URI round trips, codes equal to an HMAC computed with the
//! RustCrypto `hmac` crate and RFC 4226 truncation written out here, verification, and
//! total (panic-free) arithmetic for every time, counter and window.

use hmac::{Hmac, KeyInit, Mac};
use proptest::prelude::*;
use twostep::{
    Algorithm, Digits, Hotp, KeyUri, KeyUriFields, OtpKind, Period, Secret, Totp, UriError,
};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..=Secret::MAX_LEN)
}

fn digits() -> impl Strategy<Value = Digits> {
    (6u32..=10).prop_map(|d| Digits::new(d).expect("6..=10"))
}

fn period() -> impl Strategy<Value = Period> {
    prop_oneof![
        3 => Just(30u32),
        3 => 1u32..=300,
        1 => any::<u32>(),
    ]
    .prop_map(|p| Period::new(p.max(1)).expect("positive"))
}

fn time() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..=4_000_000_000,
        1 => any::<u64>(),
        1 => (0u64..=1000).prop_map(|d| u64::MAX - d),
    ]
}

/// Text a key URI can carry as issuer: any non-control Unicode without ':'.
fn name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_map(|c| {
            if c.is_control() || c == ':' {
                '\u{FFFD}'
            } else {
                c
            }
        }),
        1..24,
    )
    .prop_map(String::from_iter)
}

/// An account name: as [`name`], not beginning with a space (parsing drops those).
fn account() -> impl Strategy<Value = String> {
    name().prop_map(|n| match n.strip_prefix(' ') {
        Some(rest) => format!("x{rest}"),
        None => n,
    })
}

/// HMAC(key, counter) with the RustCrypto crates, then RFC 4226 section 5.3 truncation.
fn reference_code(algorithm: Algorithm, key: &[u8], counter: u64, digits: Digits) -> String {
    fn mac<M: Mac + KeyInit>(key: &[u8], counter: u64) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(&counter.to_be_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    let hs = match algorithm {
        Algorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(key, counter),
        Algorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(key, counter),
        Algorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(key, counter),
    };
    let offset = usize::from(hs[hs.len() - 1] & 0x0f);
    let snum = (u32::from(hs[offset] & 0x7f) << 24)
        | (u32::from(hs[offset + 1]) << 16)
        | (u32::from(hs[offset + 2]) << 8)
        | u32::from(hs[offset + 3]);
    let width = usize::from(digits.get());
    format!(
        "{:0width$}",
        u64::from(snum) % 10u64.pow(u32::from(digits.get()))
    )
}

/// RFC 4648 base32 written bit by bit, as a second opinion on `to_base32`.
fn reference_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    bits.chunks(5)
        .map(|chunk| {
            let v = (0..5).fold(0usize, |acc, i| {
                (acc << 1) | usize::from(chunk.get(i).copied().unwrap_or(0))
            });
            char::from(ALPHABET[v])
        })
        .collect()
}

proptest! {
    #[test]
    fn base32_round_trip(bytes in key(), spaces in proptest::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let encoded = secret.to_base32();
        prop_assert_eq!(encoded.as_str(), reference_base32(&bytes));
        prop_assert_eq!(Secret::from_base32(&encoded).expect("own output").as_bytes().to_vec(), bytes.clone());

        let lower = encoded.to_ascii_lowercase();
        let mut padded = encoded.to_string();
        while !padded.len().is_multiple_of(8) {
            padded.push('=');
        }
        let mut spaced: Vec<char> = lower.chars().collect();
        for index in &spaces {
            spaced.insert(index.index(spaced.len() + 1), ' ');
        }
        let spaced = String::from_iter(spaced);
        let padded_lower_spaced = format!(" {}{} ", spaced, &padded[encoded.len()..]);
        for variant in [&lower, &padded, &spaced, &padded_lower_spaced] {
            let decoded = Secret::from_base32(variant);
            prop_assert!(decoded.is_ok(), "{:?}: {:?}", variant, decoded.err());
            prop_assert_eq!(decoded.expect("checked").as_bytes().to_vec(), bytes.clone(), "{:?}", variant);
        }
    }

    #[test]
    fn base32_decode_is_total(text in prop_oneof![any::<String>(), "[A-Za-z2-7 =]{0,40}", "[A-Z2-7]{1,20}=*"]) {
        if let Ok(secret) = Secret::from_base32(&text) {
            // What is accepted re-encodes to the same symbols, cleaned up, except that unused
            // low bits of the last symbol are not required to be zero (RFC 4648 section 3.5).
            let cleaned: String = text
                .chars()
                .filter(|c| *c != ' ' && *c != '=')
                .collect::<String>()
                .to_ascii_uppercase();
            let encoded = secret.to_base32().to_string();
            prop_assert_eq!(encoded.len(), cleaned.len());
            prop_assert_eq!(&encoded[..encoded.len() - 1], &cleaned[..cleaned.len() - 1]);
            let again = Secret::from_base32(&encoded).expect("own output");
            prop_assert_eq!(again.as_bytes().to_vec(), secret.as_bytes().to_vec());
        }
    }

    #[test]
    fn uri_build_parse_round_trip(
        bytes in key(),
        account in account(),
        issuer in proptest::option::of(name()),
        algorithm in algorithm(),
        digits in digits(),
        kind in prop_oneof![
            period().prop_map(|period| OtpKind::Totp { period }),
            any::<u64>().prop_map(|counter| OtpKind::Hotp { counter }),
        ],
        params in proptest::collection::vec((any::<String>(), any::<String>()), 0..4),
    ) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let mut uri = KeyUri::new(kind, secret, &account)
            .expect("valid account")
            .with_algorithm(algorithm)
            .with_digits(digits);
        if let Some(issuer) = &issuer {
            uri = uri.with_issuer(issuer).expect("valid issuer");
        }
        let mut kept = Vec::new();
        for (name, value) in params {
            let own = match kind {
                OtpKind::Totp { .. } => "period",
                OtpKind::Hotp { .. } => "counter",
            };
            let reserved = name.is_empty()
                || ["secret", "issuer", "algorithm", "digits", own]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&name))
                || kept.iter().any(|(k, _): &(String, String)| *k == name);
            match uri.clone().with_param(&name, &value) {
                Ok(next) => {
                    prop_assert!(!reserved, "accepted parameter {:?}", name);
                    uri = next;
                    kept.push((name, value));
                }
                Err(e) => {
                    prop_assert!(reserved, "refused parameter {:?}", name);
                    prop_assert_eq!(e.code(), "invalid_uri");
                }
            }
        }

        let text = uri.to_string();
        prop_assert!(text.is_ascii() && !text.contains(' '), "{}", text);
        let parsed = KeyUri::parse(&text);
        prop_assert!(parsed.is_ok(), "{}: {:?}", text, parsed.as_ref().err());
        let parsed = parsed.expect("checked");
        prop_assert_eq!(&parsed, &uri);
        prop_assert_eq!(parsed.account(), account.as_str());
        prop_assert_eq!(parsed.issuer(), issuer.as_deref());
        prop_assert_eq!(parsed.secret().as_bytes(), &bytes[..]);
        prop_assert_eq!(parsed.algorithm(), algorithm);
        prop_assert_eq!(parsed.digits(), digits);
        prop_assert_eq!(parsed.kind(), kind);
        prop_assert_eq!(parsed.params(), &kept[..]);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn uri_parse_is_total(tail in prop_oneof![any::<String>(), "([a-zA-Z]{1,9}=[a-zA-Z0-9%+]{0,6}&?){0,4}"], kind in prop_oneof![Just("totp"), Just("hotp"), Just("x")]) {
        for text in [tail.clone(), format!("otpauth://{kind}/{tail}"), format!("otpauth://{kind}/a?secret=JBSWY3DPEHPK3PXP&{tail}")] {
            if let Ok(uri) = KeyUri::parse(&text) {
                // Whatever parses rebuilds the same, also through the bindings' plain fields.
                prop_assert_eq!(KeyUri::try_from(&KeyUriFields::from(&uri)), Ok(uri.clone()));
                prop_assert_eq!(KeyUri::parse(&uri.to_string()), Ok(uri));
            }
        }
    }

    #[test]
    fn hotp_equals_reference_hmac(algorithm in algorithm(), bytes in key(), counter in time(), digits in digits()) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let hotp = Hotp::new(&secret, algorithm, digits);
        let code = hotp.code(counter);
        prop_assert_eq!(code.as_str(), reference_code(algorithm, &bytes, counter, digits));
        prop_assert_eq!(hotp.verify(&code, counter, 0), Some(counter));
    }

    #[test]
    fn totp_equals_reference_hmac(
        algorithm in algorithm(),
        bytes in key(),
        unix in time(),
        t0 in prop_oneof![Just(0u64), time()],
        period in period(),
        digits in digits(),
    ) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let totp = Totp::new(&secret, algorithm, digits, period).with_t0(t0);
        let step = if unix < t0 { 0 } else { (unix - t0) / u64::from(period.get()) };
        prop_assert_eq!(totp.step_at(unix), step);
        prop_assert_eq!(totp.code_at(unix).to_string(), reference_code(algorithm, &bytes, step, digits));
    }

    #[test]
    fn verify_finds_codes_within_the_window(
        algorithm in algorithm(),
        bytes in key(),
        unix in time(),
        period in period(),
        digits in digits(),
        window in any::<u8>(),
        offset in -300i64..=300,
    ) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let totp = Totp::new(&secret, algorithm, digits, period);
        let step = totp.step_at(unix);
        prop_assert_eq!(totp.verify(&totp.code_at(unix), unix, window), Some(step));

        let Some(other) = step.checked_add_signed(offset) else { return Ok(()) };
        let code = totp.code_at_step(other);
        match totp.verify(&code, unix, window) {
            // The matched step lies in the window and has this code (another step may share it).
            Some(s) => {
                prop_assert!(s.abs_diff(step) <= u64::from(window), "{} vs {}", s, step);
                prop_assert_eq!(totp.code_at_step(s), code);
                prop_assert!(s.abs_diff(step) <= other.abs_diff(step));
            }
            None => prop_assert!(other.abs_diff(step) > u64::from(window)),
        }
    }

    #[test]
    fn hotp_verify_looks_ahead(
        algorithm in algorithm(),
        bytes in key(),
        counter in time(),
        ahead in 0u64..=40,
        look_ahead in 0u16..=40,
    ) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let hotp = Hotp::new(&secret, algorithm, Digits::SIX);
        let Some(target) = counter.checked_add(ahead) else { return Ok(()) };
        let code = hotp.code(target);
        match hotp.verify(&code, counter, look_ahead) {
            Some(c) => {
                prop_assert!(c >= counter && c <= target, "{} not in {}..={}", c, counter, target);
                prop_assert_eq!(hotp.code(c), code);
            }
            None => prop_assert!(ahead > u64::from(look_ahead)),
        }
    }

    #[test]
    fn verify_rejects_malformed_codes(
        bytes in key(),
        digits in digits(),
        unix in time(),
        bad in prop_oneof![
            // Wrong length: any digit string of another length.
            "[0-9]{0,12}",
            // Right length but a non-digit somewhere.
            "[0-9]{0,9}[^0-9][0-9]{0,9}",
        ],
        position in any::<prop::sample::Index>(),
    ) {
        let secret = Secret::from_bytes(&bytes).expect("1..=MAX_LEN bytes");
        let totp = Totp::new(&secret, Algorithm::Sha1, digits, Period::THIRTY);
        let hotp = Hotp::new(&secret, Algorithm::Sha1, digits);
        let n = usize::from(digits.get());
        let well_formed = bad.len() == n && bad.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            prop_assert_eq!(totp.verify(&bad, unix, u8::MAX), None);
            prop_assert_eq!(hotp.verify(&bad, unix, 300), None);
        }
        // The right code, mangled: padded, truncated, extended, one digit made non-ASCII.
        let code = totp.code_at(unix).to_string();
        let i = position.index(n);
        let fullwidth: String = code
            .chars()
            .enumerate()
            .map(|(j, c)| if j == i { char::from_u32(u32::from(c) - 0x30 + 0xFF10).expect("fullwidth digit") } else { c })
            .collect();
        for mangled in [
            format!(" {code}"),
            format!("{code} "),
            format!("{code}0"),
            code[..n - 1].to_string(),
            fullwidth,
            format!("+{}", &code[1..]),
        ] {
            prop_assert_eq!(totp.verify(&mangled, unix, 1), None, "{:?}", mangled);
        }
    }

    #[test]
    fn arithmetic_is_total(
        algorithm in algorithm(),
        unix in any::<u64>(),
        t0 in any::<u64>(),
        period in period(),
        window in any::<u8>(),
        counter in time(),
        look_ahead in 0u16..=256,
        code in "[0-9]{6}",
    ) {
        let secret = Secret::from_bytes(b"12345678901234567890").expect("20 bytes");
        let totp = Totp::new(&secret, algorithm, Digits::SIX, period).with_t0(t0);
        let step = totp.step_at(unix);
        prop_assert!(step <= unix / u64::from(period.get()));
        let remaining = totp.seconds_remaining(unix);
        prop_assert!((1..=u64::from(period.get())).contains(&remaining));
        let _ = totp.code_at(unix);
        if let Some(s) = totp.verify(&code, unix, window) {
            prop_assert!(s.abs_diff(step) <= u64::from(window));
            prop_assert_eq!(totp.code_at_step(s).to_string(), code.as_str());
        }
        hotp_verify_is_total(algorithm, counter, look_ahead, &code)?;
    }
}

fn hotp_verify_is_total(
    algorithm: Algorithm,
    counter: u64,
    look_ahead: u16,
    code: &str,
) -> Result<(), TestCaseError> {
    let secret = Secret::from_bytes(b"12345678901234567890").expect("20 bytes");
    let hotp = Hotp::new(&secret, algorithm, Digits::SIX);
    let _ = hotp.code(counter);
    if let Some(c) = hotp.verify(code, counter, look_ahead) {
        prop_assert!(c >= counter && c - counter <= u64::from(look_ahead));
        prop_assert_eq!(hotp.code(c).to_string(), code);
    }
    Ok(())
}

proptest! {
    // The largest look-ahead is 65,536 HMACs per case: few cases.
    #![proptest_config(ProptestConfig::with_cases(3))]
    #[test]
    fn hotp_verify_with_the_largest_look_ahead_is_total(
        algorithm in algorithm(),
        counter in time(),
        look_ahead in (u16::MAX - 1000)..=u16::MAX,
        code in "[0-9]{6}",
    ) {
        hotp_verify_is_total(algorithm, counter, look_ahead, &code)?;
    }
}

#[test]
fn account_and_issuer_rules() {
    let secret = || Secret::from_bytes(b"k").expect("1 byte");
    // `Example:%20alice` parses as account "alice", so " alice" could not round-trip.
    assert_eq!(
        KeyUri::totp(secret(), " alice").map(drop),
        Err(UriError::InvalidAccount)
    );
    let spaced = KeyUri::totp(secret(), "a b ").expect("inner and trailing spaces are kept");
    assert_eq!(KeyUri::parse(&spaced.to_string()), Ok(spaced));
    for bad in ["", "a:b", "a\nb", "\u{7f}", "\u{85}"] {
        assert_eq!(
            KeyUri::totp(secret(), bad).map(drop),
            Err(UriError::InvalidAccount),
            "{bad:?}"
        );
        let uri = KeyUri::totp(secret(), "alice").expect("valid");
        assert_eq!(
            uri.with_issuer(bad).map(drop),
            Err(UriError::InvalidIssuer),
            "{bad:?}"
        );
    }
}
