#![no_main]
//! Base32 decoding never panics, and whatever decodes re-encodes to something that decodes
//! to the same bytes.

use libfuzzer_sys::fuzz_target;
use twostep::Secret;

fuzz_target!(|text: &str| {
    if let Ok(secret) = Secret::from_base32(text) {
        let again = Secret::from_base32(&secret.to_base32()).expect("own output decodes");
        assert_eq!(again, secret);
    }
});
