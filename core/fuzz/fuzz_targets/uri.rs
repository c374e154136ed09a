#![no_main]
//! Key URI parsing never panics, and every parsed URI builds to one that parses back equal.

use libfuzzer_sys::fuzz_target;
use twostep::KeyUri;

fuzz_target!(|text: &str| {
    if let Ok(uri) = KeyUri::parse(text) {
        let built = uri.to_string();
        let again = KeyUri::parse(&built).expect("own output parses");
        assert_eq!(again, uri);
    }
});
