//! HMAC (RFC 2104) over the hash compression functions, with the keyed inner and outer
//! states computed once. An OTP message is an 8-byte counter, so each code costs exactly
//! two compressions and touches no heap and no intermediate buffer beyond one block.

use crate::params::Algorithm;
use zeroize::Zeroize;

#[cfg(target_arch = "wasm32")]
use crate::sha1_compact::compress as sha1_compress;
/// SHA-1 compression: RustCrypto's natively (SHA-NI where the CPU has it), the compact
/// loop on wasm32 where code size matters more than speed.
#[cfg(not(target_arch = "wasm32"))]
use sha1::block_api::compress as sha1_compress;
use sha2::block_api::{compress256, compress512};

const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

const SHA1_IV: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// The precomputed HMAC states for one key. Key-equivalent material: wiped on drop.
#[derive(Clone)]
pub(crate) enum KeyedHmac {
    Sha1 { inner: [u32; 5], outer: [u32; 5] },
    Sha256 { inner: [u32; 8], outer: [u32; 8] },
    Sha512 { inner: [u64; 8], outer: [u64; 8] },
}

impl KeyedHmac {
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> KeyedHmac {
        match algorithm {
            Algorithm::Sha1 => {
                let mut block = key_block(key, SHA1_IV, sha1_compress, write_words32);
                let inner = keyed(SHA1_IV, &mut block, IPAD, sha1_compress);
                let outer = keyed(SHA1_IV, &mut block, IPAD ^ OPAD, sha1_compress);
                block.zeroize();
                KeyedHmac::Sha1 { inner, outer }
            }
            Algorithm::Sha256 => {
                let mut block = key_block(key, SHA256_IV, compress256, write_words32);
                let inner = keyed(SHA256_IV, &mut block, IPAD, compress256);
                let outer = keyed(SHA256_IV, &mut block, IPAD ^ OPAD, compress256);
                block.zeroize();
                KeyedHmac::Sha256 { inner, outer }
            }
            Algorithm::Sha512 => {
                let mut block = key_block(key, SHA512_IV, compress512, write_words64);
                let inner = keyed(SHA512_IV, &mut block, IPAD, compress512);
                let outer = keyed(SHA512_IV, &mut block, IPAD ^ OPAD, compress512);
                block.zeroize();
                KeyedHmac::Sha512 { inner, outer }
            }
        }
    }

    /// RFC 4226 dynamic truncation of HMAC(key, counter as 8 big-endian bytes): a 31-bit value.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        match self {
            KeyedHmac::Sha1 { inner, outer } => {
                let mut block = [0u8; 64];
                block[..8].copy_from_slice(&counter.to_be_bytes());
                block[8] = 0x80;
                block[56..].copy_from_slice(&((64 + 8) * 8u64).to_be_bytes());
                let mut h = *inner;
                sha1_compress(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 64];
                write_words32(&mut block, &h);
                block[20] = 0x80;
                block[56..].copy_from_slice(&((64 + 20) * 8u64).to_be_bytes());
                let mut h = *outer;
                sha1_compress(&mut h, core::slice::from_ref(&block));
                let mut digest = [0u8; 20];
                write_words32(&mut digest, &h);
                truncate(&digest)
            }
            KeyedHmac::Sha256 { inner, outer } => {
                let mut block = [0u8; 64];
                block[..8].copy_from_slice(&counter.to_be_bytes());
                block[8] = 0x80;
                block[56..].copy_from_slice(&((64 + 8) * 8u64).to_be_bytes());
                let mut h = *inner;
                compress256(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 64];
                write_words32(&mut block, &h);
                block[32] = 0x80;
                block[56..].copy_from_slice(&((64 + 32) * 8u64).to_be_bytes());
                let mut h = *outer;
                compress256(&mut h, core::slice::from_ref(&block));
                let mut digest = [0u8; 32];
                write_words32(&mut digest, &h);
                truncate(&digest)
            }
            KeyedHmac::Sha512 { inner, outer } => {
                let mut block = [0u8; 128];
                block[..8].copy_from_slice(&counter.to_be_bytes());
                block[8] = 0x80;
                block[120..].copy_from_slice(&((128 + 8) * 8u64).to_be_bytes());
                let mut h = *inner;
                compress512(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 128];
                write_words64(&mut block, &h);
                block[64] = 0x80;
                block[120..].copy_from_slice(&((128 + 64) * 8u64).to_be_bytes());
                let mut h = *outer;
                compress512(&mut h, core::slice::from_ref(&block));
                let mut digest = [0u8; 64];
                write_words64(&mut digest, &h);
                truncate(&digest)
            }
        }
    }
}

impl Drop for KeyedHmac {
    fn drop(&mut self) {
        match self {
            KeyedHmac::Sha1 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            KeyedHmac::Sha256 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            KeyedHmac::Sha512 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
        }
    }
}

/// The key as one hash block: hashed first when longer than a block, then zero-padded.
fn key_block<W: Copy + Zeroize, const N: usize, const S: usize>(
    key: &[u8],
    iv: [W; S],
    compress: fn(&mut [W; S], &[[u8; N]]),
    write_words: fn(&mut [u8], &[W]),
) -> [u8; N] {
    let mut block = [0u8; N];
    if key.len() > N {
        let mut digest = hash(iv, compress, key);
        write_words(&mut block, &digest);
        digest.zeroize();
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
}

/// The hash state after `message` with SHA-1/SHA-2 padding (FIPS 180-4 §5.1): its final
/// words are the digest. A block of `N` bytes ends with an `N / 8`-byte bit length.
fn hash<W: Copy, const N: usize, const S: usize>(
    iv: [W; S],
    compress: fn(&mut [W; S], &[[u8; N]]),
    message: &[u8],
) -> [W; S] {
    let mut state = iv;
    let mut block = [0u8; N];
    let mut chunks = message.chunks_exact(N);
    for chunk in &mut chunks {
        block.copy_from_slice(chunk);
        compress(&mut state, core::slice::from_ref(&block));
    }
    let rest = chunks.remainder();
    block = [0u8; N];
    block[..rest.len()].copy_from_slice(rest);
    block[rest.len()] = 0x80;
    if rest.len() >= N - N / 8 {
        compress(&mut state, core::slice::from_ref(&block));
        block = [0u8; N];
    }
    block[N - 8..].copy_from_slice(&(message.len() as u64 * 8).to_be_bytes());
    compress(&mut state, core::slice::from_ref(&block));
    block.zeroize();
    state
}

/// XORs the block with `pad` in place and returns the hash state after compressing it.
fn keyed<W: Copy, const N: usize, const S: usize>(
    iv: [W; S],
    block: &mut [u8; N],
    pad: u8,
    compress: fn(&mut [W; S], &[[u8; N]]),
) -> [W; S] {
    for b in block.iter_mut() {
        *b ^= pad;
    }
    let mut state = iv;
    compress(&mut state, core::slice::from_ref(block));
    state
}

#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn write_words32(out: &mut [u8], words: &[u32]) {
    for (chunk, w) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
}

#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn write_words64(out: &mut [u8], words: &[u64]) {
    for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
}

#[inline(always)]
fn truncate<const N: usize>(digest: &[u8; N]) -> u32 {
    let offset = usize::from(digest[N - 1] & 0x0f);
    let word = [
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ];
    u32::from_be_bytes(word) & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;
    use sha2::Digest as _;

    fn digest32<const S: usize>(state: [u32; S]) -> Vec<u8> {
        state.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn digest64(state: [u64; 8]) -> Vec<u8> {
        state.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// FIPS 180-4 examples ("abc" and the two-block message) through the padding and
    /// through the compression functions the wasm32 build uses.
    #[test]
    fn fips_180_examples() {
        let two_block = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        for compress in [sha1_compress, crate::sha1_compact::compress] {
            assert_eq!(
                digest32(hash(SHA1_IV, compress, b"abc")),
                unhex("a9993e364706816aba3e25717850c26c9cd0d89d")
            );
            assert_eq!(
                digest32(hash(SHA1_IV, compress, two_block)),
                unhex("84983e441c3bd26ebaae4aa1f95129e5e54670f1")
            );
        }
        assert_eq!(
            digest32(hash(SHA256_IV, compress256, b"abc")),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            digest32(hash(SHA256_IV, compress256, two_block)),
            unhex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
        assert_eq!(
            digest64(hash(SHA512_IV, compress512, b"abc")),
            unhex(concat!(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            ))
        );
    }

    proptest! {
        /// The padding agrees with RustCrypto's hashers at every length around the block
        /// boundaries, with both SHA-1 compression functions.
        #[test]
        fn hash_matches_rustcrypto(message in proptest::collection::vec(any::<u8>(), 0..400)) {
            let sha1 = sha1::Sha1::digest(&message).to_vec();
            prop_assert_eq!(digest32(hash(SHA1_IV, sha1_compress, &message)), sha1.clone());
            prop_assert_eq!(
                digest32(hash(SHA1_IV, crate::sha1_compact::compress, &message)),
                sha1
            );
            prop_assert_eq!(
                digest32(hash(SHA256_IV, compress256, &message)),
                sha2::Sha256::digest(&message).to_vec()
            );
            prop_assert_eq!(
                digest64(hash(SHA512_IV, compress512, &message)),
                sha2::Sha512::digest(&message).to_vec()
            );
        }
    }
}
