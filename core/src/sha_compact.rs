//! Compact SHA-1 and SHA-2 compression functions (FIPS 180-4 §6.1.2, §6.2.2, §6.4.2) for
//! the WebAssembly build, where code size matters more than speed: each is one round loop
//! over a 16-word rolling message schedule, and SHA-256 and SHA-512 are one function over
//! 64-bit words. SHA-256's round constants and initial state are the high 32 bits of
//! SHA-512's (both are the fractional parts of the same cube and square roots of primes),
//! so one table of 80 constants serves both. RustCrypto's portable functions unroll their
//! rounds and carry a table each; native builds keep them (they use SHA-NI and the like),
//! so this module is compiled only for wasm32 and for the tests that check it against them.

use crate::hmac::{MAX_BLOCK, State};

/// SHA-512's round constants; SHA-256's are their high halves.
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// The rotations (and, third in σ0 and σ1, the shift) of Σ0, Σ1, σ0 and σ1: SHA-256's, then
/// SHA-512's.
const ROTATIONS: [[u8; 12]; 2] = [
    [2, 13, 22, 6, 11, 25, 7, 18, 3, 17, 19, 10],
    [28, 34, 39, 14, 18, 41, 1, 8, 7, 19, 61, 6],
];

/// SHA-1's compression of the first 64 bytes of `block` into the leading five state words.
pub(crate) fn sha1(state: &mut State, block: &[u8; MAX_BLOCK]) {
    let mut w = [0u32; 16];
    let mut i = 0;
    while i < 16 {
        w[i] = u32::from_be_bytes([
            block[4 * i],
            block[4 * i + 1],
            block[4 * i + 2],
            block[4 * i + 3],
        ]);
        i += 1;
    }
    let [mut a, mut b, mut c, mut d, mut e, ..] = *state;
    for i in 0..80 {
        if i >= 16 {
            let x = w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15];
            w[i & 15] = x.rotate_left(1);
        }
        let (f, k) = match i / 20 {
            0 => ((b & c) | (!b & d), 0x5a82_7999),
            1 => (b ^ c ^ d, 0x6ed9_eba1),
            2 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
            _ => (b ^ c ^ d, 0xca62_c1d6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(w[i & 15]);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    let v = [a, b, c, d, e];
    let mut i = 0;
    while i < 5 {
        state[i] = state[i].wrapping_add(v[i]);
        i += 1;
    }
}

/// SHA-256's compression (`wide` false: the first 64 bytes of `block` into the leading
/// eight state words) or SHA-512's (`wide`: all 128 bytes into the sixteen state words,
/// each 64-bit word as two, high first). SHA-256 runs in the low halves of 64-bit words,
/// cut back to 32 bits after every sum.
pub(crate) fn sha2(state: &mut State, block: &[u8; MAX_BLOCK], wide: bool) {
    let r = &ROTATIONS[usize::from(wide)];
    let (bits, mask) = if wide {
        (64, u64::MAX)
    } else {
        (32, 0xffff_ffff)
    };
    let cut = |x: u64| x & mask;
    let rotr = |x: u64, n: u8| (x >> n | x << (bits - n)) & mask;
    // Σ (`i` 0 or 3) rotates three times; σ (`i` 6 or 9) rotates twice and shifts.
    let sigma = |x: u64, i: usize| {
        let third = if i < 6 {
            rotr(x, r[i + 2])
        } else {
            x >> r[i + 2]
        };
        rotr(x, r[i]) ^ rotr(x, r[i + 1]) ^ third
    };
    let (bytes, rounds) = if wide { (8, 80) } else { (4, 64) };

    let mut h = [0u64; 8];
    let mut w = [0u64; 16];
    let mut i = 0;
    while i < 16 {
        if i < 8 {
            h[i] = if wide {
                u64::from(state[2 * i]) << 32 | u64::from(state[2 * i + 1])
            } else {
                u64::from(state[i])
            };
        }
        let mut j = 0;
        while j < bytes {
            w[i] = w[i] << 8 | u64::from(block[(i * bytes + j) % MAX_BLOCK]);
            j += 1;
        }
        i += 1;
    }
    let mut v = h;
    let mut i = 0;
    while i < rounds {
        if i >= 16 {
            w[i & 15] = cut(w[i & 15]
                .wrapping_add(sigma(w[(i + 1) & 15], 6))
                .wrapping_add(w[(i + 9) & 15])
                .wrapping_add(sigma(w[(i + 14) & 15], 9)));
        }
        let [a, b, c, d, e, f, g, hh] = v;
        let k = if wide { K[i % 80] } else { K[i % 80] >> 32 };
        let t1 = hh
            .wrapping_add(sigma(e, 3))
            .wrapping_add((e & f) ^ (!e & g))
            .wrapping_add(k)
            .wrapping_add(w[i & 15]);
        let t2 = sigma(a, 0).wrapping_add((a & b) ^ (a & c) ^ (b & c));
        v = [
            cut(t1.wrapping_add(t2)),
            a,
            b,
            c,
            cut(d.wrapping_add(t1)),
            e,
            f,
            g,
        ];
        i += 1;
    }
    let mut i = 0;
    while i < 8 {
        let x = h[i].wrapping_add(v[i]);
        if wide {
            state[2 * i] = (x >> 32) as u32;
            state[2 * i + 1] = x as u32;
        } else {
            state[i] = x as u32;
        }
        i += 1;
    }
}
