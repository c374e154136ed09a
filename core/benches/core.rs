//! Side-by-side benchmarks: twostep against the RustCrypto HMAC floor, totp-rs and the
//! `qrcode` crate, doing the same work in the same run. Compare as ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{KeyInit, Mac};
use std::hint::black_box;
use twostep::{Algorithm, Digits, KeyUri, Period, Secret, Totp};

const SECRET: &[u8; 20] = b"12345678901234567890";
const NOW: u64 = 1_700_000_000;
/// A 124-character otpauth URI, the size of a typical pairing QR code.
const URI: &str = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6";

fn ours() -> Totp {
    let secret = Secret::from_bytes(SECRET).expect("valid secret");
    Totp::new(&secret, Algorithm::Sha1, Digits::SIX, Period::THIRTY)
}

fn theirs() -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(SECRET.to_vec())
        .build()
        .expect("valid totp-rs config")
}

fn codes(c: &mut Criterion) {
    let totp = ours();
    let other = theirs();
    let floor = hmac::Hmac::<sha1::Sha1>::new_from_slice(SECRET).expect("any key length");
    let mut g = c.benchmark_group("code");
    g.bench_function(
        "floor: RustCrypto HMAC-SHA1, 8 bytes, keyed state cloned",
        |b| {
            b.iter(|| {
                let mut mac = floor.clone();
                mac.update(&black_box(NOW / 30).to_be_bytes());
                black_box(mac.finalize().into_bytes())
            })
        },
    );
    g.bench_function("twostep code_at", |b| {
        b.iter(|| black_box(totp.code_at(black_box(NOW))))
    });
    g.bench_function("totp-rs generate", |b| {
        b.iter(|| black_box(other.generate(black_box(NOW))))
    });
    g.finish();

    let current = totp.code_at(NOW);
    let wrong = if current.as_str() == "000000" {
        "000001"
    } else {
        "000000"
    };
    let mut g = c.benchmark_group("verify ±1");
    g.bench_function("twostep verify (current code)", |b| {
        b.iter(|| black_box(totp.verify(black_box(&current), black_box(NOW), 1)))
    });
    g.bench_function("totp-rs check (current code)", |b| {
        b.iter(|| black_box(other.check(black_box(&current), black_box(NOW))))
    });
    g.bench_function("twostep verify (wrong code)", |b| {
        b.iter(|| black_box(totp.verify(black_box(wrong), black_box(NOW), 1)))
    });
    g.bench_function("totp-rs check (wrong code)", |b| {
        b.iter(|| black_box(other.check(black_box(wrong), black_box(NOW))))
    });
    g.finish();
}

fn uri(c: &mut Criterion) {
    assert_eq!(URI.len(), 124, "the benchmark URI is 124 characters");
    let mut g = c.benchmark_group("key URI");
    g.bench_function("twostep KeyUri::parse (124 chars)", |b| {
        b.iter(|| black_box(KeyUri::parse(black_box(URI))))
    });
    g.finish();
}

fn qr(c: &mut Criterion) {
    let options = twostep::qr::QrOptions::default();
    let ours = twostep::qr::svg(URI, &options).expect("fits");
    let theirs = qrcode::QrCode::with_error_correction_level(URI, qrcode::EcLevel::M)
        .expect("fits")
        .render::<qrcode::render::svg::Color>()
        .build();
    println!(
        "SVG size for the 124-char URI at level M: twostep {} bytes, qrcode crate {} bytes",
        ours.len(),
        theirs.len()
    );
    let mut g = c.benchmark_group("QR (124-char URI, level M)");
    g.bench_function("twostep qr::svg", |b| {
        b.iter(|| black_box(twostep::qr::svg(black_box(URI), &options)))
    });
    g.bench_function("twostep qr::png", |b| {
        b.iter(|| black_box(twostep::qr::png(black_box(URI), &options)))
    });
    g.bench_function("qrcode crate SVG", |b| {
        b.iter(|| {
            black_box(
                qrcode::QrCode::with_error_correction_level(black_box(URI), qrcode::EcLevel::M)
                    .map(|q| q.render::<qrcode::render::svg::Color>().build()),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, codes, uri, qr);
criterion_main!(benches);
