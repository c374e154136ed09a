//! Google Authenticator migration URIs: payloads made by the official protobuf runtime
//! (tests/vectors/migration.json, see tests/vectors/tools/gen_migration.py) and round trips.
#![cfg(feature = "migration")]

use serde_json::Value;
use twostep::migration::{self, MigrationError};
use twostep::{Digits, KeyUri, Period, Secret};

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/migration.json")).expect("valid JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

fn built(keys: &[KeyUri]) -> Vec<String> {
    keys.iter().map(KeyUri::to_string).collect()
}

#[test]
fn imports_what_the_protobuf_runtime_wrote() {
    let v = vectors();
    let single = v["single"].as_array().expect("cases");
    assert!(single.len() >= 6);
    for case in single {
        let uri = case["uri"].as_str().expect("uri");
        let keys = migration::import(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(built(&keys), strings(&case["keys"]), "{uri}");
    }
}

#[test]
fn the_published_authenticator_sample() {
    // The example export used across the ecosystem: one TOTP account, no batch fields.
    let keys = migration::import(
        "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC",
    )
    .expect("imports");
    assert_eq!(
        built(&keys),
        [
            "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
        ]
    );
}

#[test]
fn multi_part_exports_import_whole_or_not_at_all() {
    let v = vectors();
    let uris = strings(&v["multi"]["uris"]);
    let keys = migration::import_all(&uris).expect("complete export");
    assert_eq!(built(&keys), strings(&v["multi"]["keys"]));
    let mut reversed = uris.clone();
    reversed.reverse();
    assert_eq!(
        built(&migration::import_all(&reversed).expect("any order")),
        strings(&v["multi"]["keys"])
    );
    for broken in v["incomplete"].as_array().expect("cases") {
        assert_eq!(
            migration::import_all(&strings(broken)),
            Err(MigrationError::IncompleteExport)
        );
    }
    assert_eq!(
        migration::import_all::<&str>(&[]),
        Err(MigrationError::IncompleteExport)
    );
}

#[test]
fn bad_payloads_have_their_codes() {
    for case in vectors()["errors"].as_array().expect("cases") {
        let uri = case["uri"].as_str().expect("uri");
        let err = migration::import(uri).expect_err(uri);
        assert_eq!(
            err.code(),
            case["error"].as_str().expect("code"),
            "{uri}: {err}"
        );
    }
}

#[test]
fn export_round_trips_in_batches() {
    let v = vectors();
    let keys: Vec<KeyUri> = strings(&v["multi"]["keys"])
        .iter()
        .map(|u| KeyUri::parse(u).expect("valid"))
        .collect();
    for per_batch in [1, 2, 10] {
        let uris = migration::export(&keys, per_batch, -42).expect("exportable");
        assert_eq!(uris.len(), keys.len().div_ceil(per_batch));
        assert!(
            uris.iter()
                .all(|u| u.starts_with("otpauth-migration://offline?data="))
        );
        let batches: Vec<_> = uris
            .iter()
            .map(|u| migration::import_batch(u).expect("imports"))
            .collect();
        assert!(
            batches
                .iter()
                .all(|b| b.batch_id == -42 && b.batch_size as usize == uris.len())
        );
        assert_eq!(migration::import_all(&uris).expect("complete"), keys);
    }
    assert_eq!(
        migration::export(&keys, 0, 1).unwrap_err().code(),
        "unexportable"
    );
}

/// No keys export as one batch of none (found by the fuzz target's round trip: an empty
/// `data=` imports as no keys, which must export and import back).
#[test]
fn empty_export_round_trips() {
    let uris = migration::export(&[], 10, 7).expect("exportable");
    assert_eq!(uris.len(), 1);
    let batch = migration::import_batch(&uris[0]).expect("imports");
    assert_eq!(
        (batch.batch_size, batch.batch_index, batch.batch_id),
        (1, 0, 7)
    );
    assert!(batch.keys.is_empty());
    assert_eq!(migration::import_all(&uris).expect("complete"), vec![]);
    let empty = migration::import("otpauth-migration://offline?data=").expect("imports");
    assert!(empty.is_empty());
}

#[test]
fn export_refuses_what_the_format_cannot_say() {
    let secret = || Secret::from_base32("JBSWY3DPEHPK3PXP").expect("valid");
    let period = KeyUri::new(
        twostep::OtpKind::Totp {
            period: Period::new(60).expect("valid"),
        },
        secret(),
        "a",
    )
    .expect("valid");
    let digits = KeyUri::totp(secret(), "a")
        .expect("valid")
        .with_digits(Digits::new(7).expect("valid"));
    for key in [period, digits] {
        assert_eq!(
            migration::export(&[key], 10, 1).unwrap_err().code(),
            "unexportable"
        );
    }
}
