//! HMAC (RFC 2104) over the hash compression functions, with the keyed inner and outer
//! states computed once. An OTP message is an 8-byte counter, so each code costs exactly
//! two compressions and touches no heap and no intermediate buffer beyond one block.

use crate::params::Algorithm;
use sha1::Digest;
use zeroize::Zeroize;

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
                let mut block = key_block::<64>(key, |k, out| {
                    out[..20].copy_from_slice(&sha1::Sha1::digest(k))
                });
                let inner = keyed(SHA1_IV, &mut block, IPAD, sha1::block_api::compress);
                let outer = keyed(SHA1_IV, &mut block, IPAD ^ OPAD, sha1::block_api::compress);
                block.zeroize();
                KeyedHmac::Sha1 { inner, outer }
            }
            Algorithm::Sha256 => {
                let mut block = key_block::<64>(key, |k, out| {
                    out[..32].copy_from_slice(&sha2::Sha256::digest(k))
                });
                let inner = keyed(SHA256_IV, &mut block, IPAD, sha2::block_api::compress256);
                let outer = keyed(
                    SHA256_IV,
                    &mut block,
                    IPAD ^ OPAD,
                    sha2::block_api::compress256,
                );
                block.zeroize();
                KeyedHmac::Sha256 { inner, outer }
            }
            Algorithm::Sha512 => {
                let mut block = key_block::<128>(key, |k, out| {
                    out[..64].copy_from_slice(&sha2::Sha512::digest(k))
                });
                let inner = keyed(SHA512_IV, &mut block, IPAD, sha2::block_api::compress512);
                let outer = keyed(
                    SHA512_IV,
                    &mut block,
                    IPAD ^ OPAD,
                    sha2::block_api::compress512,
                );
                block.zeroize();
                KeyedHmac::Sha512 { inner, outer }
            }
        }
    }

    /// RFC 4226 dynamic truncation of HMAC(key, counter as 8 big-endian bytes): a 31-bit value.
    #[inline]
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        match self {
            KeyedHmac::Sha1 { inner, outer } => {
                let mut block = [0u8; 64];
                block[..8].copy_from_slice(&counter.to_be_bytes());
                block[8] = 0x80;
                block[56..].copy_from_slice(&((64 + 8) * 8u64).to_be_bytes());
                let mut h = *inner;
                sha1::block_api::compress(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 64];
                write_words32(&mut block, &h);
                block[20] = 0x80;
                block[56..].copy_from_slice(&((64 + 20) * 8u64).to_be_bytes());
                let mut h = *outer;
                sha1::block_api::compress(&mut h, core::slice::from_ref(&block));
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
                sha2::block_api::compress256(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 64];
                write_words32(&mut block, &h);
                block[32] = 0x80;
                block[56..].copy_from_slice(&((64 + 32) * 8u64).to_be_bytes());
                let mut h = *outer;
                sha2::block_api::compress256(&mut h, core::slice::from_ref(&block));
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
                sha2::block_api::compress512(&mut h, core::slice::from_ref(&block));
                let mut block = [0u8; 128];
                write_words64(&mut block, &h);
                block[64] = 0x80;
                block[120..].copy_from_slice(&((128 + 64) * 8u64).to_be_bytes());
                let mut h = *outer;
                sha2::block_api::compress512(&mut h, core::slice::from_ref(&block));
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
fn key_block<const N: usize>(key: &[u8], hash: impl FnOnce(&[u8], &mut [u8; N])) -> [u8; N] {
    let mut block = [0u8; N];
    if key.len() > N {
        hash(key, &mut block);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    block
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

#[inline(always)]
fn write_words32(out: &mut [u8], words: &[u32]) {
    for (chunk, w) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
}

#[inline(always)]
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
