//! Generating and verifying codes allocates nothing once a `Totp`/`Hotp` is built.
//!
//! A counting global allocator (`stats_alloc` wrapping the system allocator: the workspace
//! forbids `unsafe` even in tests, so the `GlobalAlloc` impl comes from that crate) counts
//! every allocation in the process. The file runs without the libtest harness (`harness =
//! false`): the harness's own threads allocate while a test runs, which a process-wide count
//! would see. Here nothing else runs while it measures.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use twostep::{Algorithm, Digits, Hotp, Period, Secret, Totp};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap allocations (including reallocations) made while `f` runs.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(GLOBAL);
    let result = f();
    let change = region.change();
    (change.allocations + change.reallocations, result)
}

fn main() {
    code_path_allocates_nothing();
    println!("alloc: 1 passed, 0 failed");
}

fn code_path_allocates_nothing() {
    // The counter works: a heap allocation is seen.
    let (seen, _) = allocations(|| black_box(Vec::<u8>::with_capacity(16)));
    assert!(seen >= 1, "the counting allocator sees nothing");

    let now = 1_111_111_109;
    for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        // Long keys too: they are hashed to a block at construction, not per code.
        for key in [&b"12345678901234567890"[..], &[0x5a; 200][..]] {
            let secret = Secret::from_bytes(key).expect("valid length");
            let totp = Totp::new(&secret, algorithm, Digits::EIGHT, Period::THIRTY);
            let hotp = Hotp::new(&secret, algorithm, Digits::SIX);
            let current = totp.code_at(now);
            let stale = totp.code_at(now - 3_000_000);
            let hotp_code = hotp.code(1_000);
            let hotp_far = hotp.code(5_000);

            let (count, results) = allocations(|| {
                let codes = [
                    totp.code_at(black_box(0)),
                    totp.code_at(black_box(now)),
                    totp.code_at(black_box(u64::MAX)),
                    totp.code_at_step(black_box(7)),
                    hotp.code(black_box(0)),
                    hotp.code(black_box(u64::MAX)),
                ];
                let verdicts = [
                    // match
                    totp.verify(black_box(&current), now, 1),
                    // no match (full window: the most work)
                    totp.verify(black_box(&stale), now, u8::MAX),
                    // malformed: wrong length, non-digit, empty, non-ASCII
                    totp.verify(black_box("1234567"), now, 1),
                    totp.verify(black_box("1234567x"), now, 1),
                    totp.verify(black_box(""), now, 1),
                    totp.verify(black_box("１２３４５６７８"), now, 1),
                    hotp.verify(black_box(&hotp_code), 990, 20),
                    hotp.verify(black_box(&hotp_far), 990, 1000),
                    hotp.verify(black_box("12345"), 990, 20),
                    hotp.verify(black_box("12a456"), 990, 20),
                ];
                (black_box(codes), verdicts)
            });
            assert_eq!(count, 0, "{algorithm:?}, {}-byte key", key.len());

            let (codes, verdicts) = results;
            assert_eq!(codes[1], current);
            assert_eq!(verdicts[0], Some(now / 30));
            assert_eq!(verdicts[1], None, "a code 100,000 steps old matched");
            assert!(verdicts[2..6].iter().all(Option::is_none));
            assert_eq!(verdicts[6], Some(1_000));
            assert_eq!(verdicts[7], None, "a code 4,010 counters ahead matched");
            assert!(verdicts[8..].iter().all(Option::is_none));
        }
    }
}
