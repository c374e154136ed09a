//! A compact SHA-1 compression function (FIPS 180-4 §6.1.2): one round loop over a
//! 16-word rolling message schedule. RustCrypto's portable SHA-1 unrolls all 80 rounds,
//! which costs about 3 KB of WebAssembly; this loop is a tenth of that. Native builds keep
//! RustCrypto's (SHA-NI capable) function, so this one is compiled only for wasm32 and for
//! the tests that check it against RustCrypto's.

/// Compresses each 64-byte block into `state`; the same contract as
/// `sha1::block_api::compress`.
pub(crate) fn compress(state: &mut [u32; 5], blocks: &[[u8; 64]]) {
    for block in blocks {
        let mut w = [0u32; 16];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d, mut e] = *state;
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
        for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compress;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    proptest! {
        /// The same result as RustCrypto's compression function for any state and blocks.
        #[test]
        fn matches_rustcrypto(
            state in any::<[u32; 5]>(),
            blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 64), 0..4),
        ) {
            let blocks: Vec<[u8; 64]> = blocks
                .iter()
                .map(|b| <[u8; 64]>::try_from(b.as_slice()).expect("64 bytes"))
                .collect();
            let (mut ours, mut theirs) = (state, state);
            compress(&mut ours, &blocks);
            sha1::block_api::compress(&mut theirs, &blocks);
            prop_assert_eq!(ours, theirs);
        }
    }
}
