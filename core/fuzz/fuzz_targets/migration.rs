#![no_main]
//! Migration import never panics, and whatever imports exports and imports back equal.

use libfuzzer_sys::fuzz_target;
use twostep::migration;

fuzz_target!(|text: &str| {
    if let Ok(keys) = migration::import(text) {
        if let Ok(uris) = migration::export(&keys, 10, 0) {
            assert_eq!(migration::import_all(&uris).expect("own output imports"), keys);
        }
    }
});
