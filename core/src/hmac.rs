//! HMAC (RFC 2104) over the hash compression functions, with the keyed inner and outer
//! states computed once. An OTP message is an 8-byte counter, so each code costs exactly
//! two compressions and touches no heap and no intermediate buffer beyond one block.
//!
//! One body serves the three hashes: a [`Hash`] describes each by its block and digest
//! lengths, its initial state and a compression over a state of sixteen 32-bit words (a
//! SHA-512 word is two of them, high first), so the state's leading words, big-endian, are
//! the digest. Only the small per-hash compression wrappers are compiled three times,
//! which keeps the WebAssembly build to one copy of the key setup, padding and truncation.

use crate::params::Algorithm;
use zeroize::Zeroize;

const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// The largest block (SHA-512's): every block buffer has this size, and a hash uses its
/// first `block` bytes.
pub(crate) const MAX_BLOCK: usize = 128;

/// A hash state as 32-bit words: the digest so far, big-endian, in its leading words. A
/// compression changes only the words its hash has (SHA-1 five, SHA-256 eight), so the
/// others stay zero from the initial state.
pub(crate) type State = [u32; 16];

/// What HMAC needs of one hash.
pub(crate) struct Hash {
    /// Whether blocks have 128 bytes (SHA-512) rather than 64.
    wide: bool,
    /// Digest length in bytes.
    digest: usize,
    /// The initial state.
    iv: State,
    /// Compresses the first `block` bytes of the buffer into the state.
    compress: fn(&mut State, &[u8; MAX_BLOCK]),
}

/// The initial state of 32-bit words.
const fn state32(words: &[u32]) -> State {
    let mut out = [0u32; 16];
    let mut i = 0;
    while i < words.len() {
        out[i] = words[i];
        i += 1;
    }
    out
}

/// The initial state of 64-bit words, each as two 32-bit words, high first.
const fn state64(words: &[u64; 8]) -> State {
    let mut out = [0u32; 16];
    let mut i = 0;
    while i < 8 {
        out[2 * i] = (words[i] >> 32) as u32;
        out[2 * i + 1] = words[i] as u32;
        i += 1;
    }
    out
}

pub(crate) const SHA1: Hash = Hash {
    wide: false,
    digest: 20,
    iv: state32(&[0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]),
    compress: compress::sha1,
};

pub(crate) const SHA256: Hash = Hash {
    wide: false,
    digest: 32,
    iv: state32(&[
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ]),
    compress: compress::sha256,
};

pub(crate) const SHA512: Hash = Hash {
    wide: true,
    digest: 64,
    iv: state64(&[
        0x6a09e667f3bcc908,
        0xbb67ae8584caa73b,
        0x3c6ef372fe94f82b,
        0xa54ff53a5f1d36f1,
        0x510e527fade682d1,
        0x9b05688c2b3e6c1f,
        0x1f83d9abfb41bd6b,
        0x5be0cd19137e2179,
    ]),
    compress: compress::sha512,
};

/// The compression functions natively: RustCrypto's (SHA-NI and the like where the CPU has
/// them).
#[cfg(not(target_arch = "wasm32"))]
mod compress {
    use super::{MAX_BLOCK, State};

    pub(super) fn sha1(state: &mut State, block: &[u8; MAX_BLOCK]) {
        words(state, block, ::sha1::block_api::compress);
    }

    pub(super) fn sha256(state: &mut State, block: &[u8; MAX_BLOCK]) {
        words(state, block, ::sha2::block_api::compress256);
    }

    pub(super) fn sha512(state: &mut State, block: &[u8; MAX_BLOCK]) {
        let mut words = [0u64; 8];
        for i in 0..8 {
            words[i] = u64::from(state[2 * i]) << 32 | u64::from(state[2 * i + 1]);
        }
        ::sha2::block_api::compress512(&mut words, core::slice::from_ref(block));
        for i in 0..8 {
            state[2 * i] = (words[i] >> 32) as u32;
            state[2 * i + 1] = words[i] as u32;
        }
    }

    /// A 64-byte-block compression over the leading `S` 32-bit state words.
    #[inline(always)]
    fn words<const S: usize>(
        state: &mut State,
        block: &[u8; MAX_BLOCK],
        compress: fn(&mut [u32; S], &[[u8; 64]]),
    ) {
        if let (Some(words), Some(first)) =
            (state.first_chunk_mut::<S>(), block.first_chunk::<64>())
        {
            compress(words, core::slice::from_ref(first));
        }
    }
}

/// The compression functions on wasm32: the compact loops, where code size matters more
/// than speed.
#[cfg(target_arch = "wasm32")]
mod compress {
    use super::{MAX_BLOCK, State};
    pub(super) use crate::sha_compact::sha1;

    pub(super) fn sha256(state: &mut State, block: &[u8; MAX_BLOCK]) {
        crate::sha_compact::sha2(state, block, false);
    }

    pub(super) fn sha512(state: &mut State, block: &[u8; MAX_BLOCK]) {
        crate::sha_compact::sha2(state, block, true);
    }
}

/// Copies `bytes` (at most a block) to the start of `block`, byte by byte: off the code
/// path, and without the length check (and its panic location) of `copy_from_slice`.
#[inline(never)]
fn copy_to_start(block: &mut [u8; MAX_BLOCK], bytes: &[u8]) {
    let mut i = 0;
    while i < bytes.len() && i < MAX_BLOCK {
        block[i] = bytes[i];
        i += 1;
    }
}

/// Byte `i` of the big-endian state.
#[inline(always)]
fn byte(state: &State, i: usize) -> u8 {
    (state[i / 4 % 16] >> (24 - 8 * (i % 4))) as u8
}

/// Writes the whole state big-endian to the first 64 bytes of `out`: the digest, then the
/// zeros of the words the hash does not use.
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn write_digest(out: &mut [u8; MAX_BLOCK], state: &State) {
    let mut i = 0;
    while i < 16 {
        let [a, b, c, d] = state[i].to_be_bytes();
        out[4 * i] = a;
        out[4 * i + 1] = b;
        out[4 * i + 2] = c;
        out[4 * i + 3] = d;
        i += 1;
    }
}

impl Algorithm {
    fn hash(self) -> &'static Hash {
        match self {
            Algorithm::Sha1 => &SHA1,
            Algorithm::Sha256 => &SHA256,
            Algorithm::Sha512 => &SHA512,
        }
    }
}

/// The precomputed HMAC states for one key. Key-equivalent material: wiped on drop.
#[derive(Clone)]
pub(crate) struct KeyedHmac {
    hash: &'static Hash,
    inner: State,
    outer: State,
}

impl KeyedHmac {
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> KeyedHmac {
        Self::with_hash(algorithm.hash(), key)
    }

    #[inline(always)]
    fn with_hash(hash: &'static Hash, key: &[u8]) -> KeyedHmac {
        // The key as one block: hashed first when longer than a block, then zero-padded.
        let mut block = [0u8; MAX_BLOCK];
        if key.len() > hash.block() {
            let mut digest = hash.hash(key, &mut block);
            block = [0u8; MAX_BLOCK];
            write_digest(&mut block, &digest);
            digest.zeroize();
        } else {
            copy_to_start(&mut block, key);
        }
        let inner = hash.keyed(&mut block, IPAD);
        let outer = hash.keyed(&mut block, IPAD ^ OPAD);
        block.zeroize();
        KeyedHmac { hash, inner, outer }
    }

    /// RFC 4226 dynamic truncation of HMAC(key, counter as 8 big-endian bytes): a 31-bit value.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        let hash = self.hash;
        let mut block = [0u8; MAX_BLOCK];
        if let Some(head) = block.first_chunk_mut::<8>() {
            *head = counter.to_be_bytes();
        }
        hash.pad(&mut block, 8);
        let mut inner = self.inner;
        (hash.compress)(&mut inner, &block);
        let mut block = [0u8; MAX_BLOCK];
        for (chunk, w) in block.chunks_exact_mut(4).take(hash.digest / 4).zip(&inner) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        hash.pad(&mut block, hash.digest);
        let mut outer = self.outer;
        (hash.compress)(&mut outer, &block);
        let offset = usize::from(byte(&outer, hash.digest - 1) & 0x0f);
        let word = [
            byte(&outer, offset),
            byte(&outer, offset + 1),
            byte(&outer, offset + 2),
            byte(&outer, offset + 3),
        ];
        u32::from_be_bytes(word) & 0x7fff_ffff
    }
}

impl Drop for KeyedHmac {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl Hash {
    /// The block length in bytes (a constant of two values, so no index can overrun a
    /// block buffer).
    #[inline(always)]
    fn block(&self) -> usize {
        if self.wide { MAX_BLOCK } else { 64 }
    }

    /// The state after `message` with SHA-1/SHA-2 padding (FIPS 180-4 §5.1): its first
    /// `digest` bytes, big-endian, are the digest. `block` is the working buffer: the
    /// caller wipes it when the message is secret.
    fn hash(&self, message: &[u8], block: &mut [u8; MAX_BLOCK]) -> State {
        let n = self.block();
        let mut state = self.iv;
        let mut rest = message;
        while rest.len() >= n {
            let (chunk, after) = rest.split_at(n);
            copy_to_start(block, chunk);
            (self.compress)(&mut state, block);
            rest = after;
        }
        *block = [0u8; MAX_BLOCK];
        copy_to_start(block, rest);
        self.last_block(state, block, rest.len(), message.len())
    }

    /// Pads the one block of a message of `len` bytes (8, or a digest) that follows one
    /// keyed block, as HMAC's two passes have (FIPS 180-4 §5.1): the 0x80 byte, then the bit
    /// length of both blocks at the end of the block; no branch on the code path.
    #[inline(always)]
    fn pad(&self, block: &mut [u8; MAX_BLOCK], len: usize) {
        let n = self.block();
        block[len] = 0x80;
        if let Some(Ok(length)) = block.get_mut(n - 8..n).map(<&mut [u8; 8]>::try_from) {
            *length = ((n + len) as u64 * 8).to_be_bytes();
        }
    }

    /// The state after the last block of a message of `total` bytes, whose last `len`
    /// bytes begin `block` and are followed by zeros: the padding (the 0x80 byte, zeros,
    /// and the bit length at the end of the block, which takes a block of its own when
    /// there is no room for it after the 0x80 byte) is added and compressed in.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn last_block(
        &self,
        mut state: State,
        block: &mut [u8; MAX_BLOCK],
        len: usize,
        total: usize,
    ) -> State {
        let n = self.block();
        block[len] = 0x80;
        if len >= n - n / 8 {
            (self.compress)(&mut state, block);
            *block = [0u8; MAX_BLOCK];
        }
        if let Some(Ok(length)) = block.get_mut(n - 8..n).map(<&mut [u8; 8]>::try_from) {
            *length = (total as u64 * 8).to_be_bytes();
        }
        (self.compress)(&mut state, block);
        state
    }

    /// XORs the key block with `pad` in place and returns the state after compressing it.
    fn keyed(&self, block: &mut [u8; MAX_BLOCK], pad: u8) -> State {
        for b in block.iter_mut() {
            *b ^= pad;
        }
        let mut state = self.iv;
        (self.compress)(&mut state, block);
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;
    use sha2::Digest as _;

    /// The hashes with the compact compression functions the wasm32 build uses, whatever
    /// the target.
    static COMPACT: [Hash; 3] = [
        Hash {
            compress: crate::sha_compact::sha1,
            ..SHA1
        },
        Hash {
            compress: |state, block| crate::sha_compact::sha2(state, block, false),
            ..SHA256
        },
        Hash {
            compress: |state, block| crate::sha_compact::sha2(state, block, true),
            ..SHA512
        },
    ];

    fn digest(hash: &Hash, message: &[u8]) -> Vec<u8> {
        let mut block = [0u8; MAX_BLOCK];
        let state = hash.hash(message, &mut block);
        write_digest(&mut block, &state);
        block[..hash.digest].to_vec()
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
        for sha1 in [&SHA1, &COMPACT[0]] {
            assert_eq!(
                digest(sha1, b"abc"),
                unhex("a9993e364706816aba3e25717850c26c9cd0d89d")
            );
            assert_eq!(
                digest(sha1, two_block),
                unhex("84983e441c3bd26ebaae4aa1f95129e5e54670f1")
            );
        }
        for sha256 in [&SHA256, &COMPACT[1]] {
            assert_eq!(
                digest(sha256, b"abc"),
                unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            );
            assert_eq!(
                digest(sha256, two_block),
                unhex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
            );
        }
        for sha512 in [&SHA512, &COMPACT[2]] {
            assert_eq!(
                digest(sha512, b"abc"),
                unhex(concat!(
                    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
                    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
                ))
            );
        }
    }

    proptest! {
        /// The padding agrees with RustCrypto's hashers at every length around the block
        /// boundaries, with both compression functions of each hash.
        #[test]
        fn hash_matches_rustcrypto(message in proptest::collection::vec(any::<u8>(), 0..400)) {
            let want = [
                sha1::Sha1::digest(&message).to_vec(),
                sha2::Sha256::digest(&message).to_vec(),
                sha2::Sha512::digest(&message).to_vec(),
            ];
            for (i, hash) in [SHA1, SHA256, SHA512].iter().enumerate() {
                prop_assert_eq!(&digest(hash, &message), &want[i]);
                prop_assert_eq!(&digest(&COMPACT[i], &message), &want[i]);
            }
        }

        /// Keyed HMAC truncation agrees with RustCrypto's HMAC for keys of any length
        /// (shorter than, equal to and longer than a block) and any counter, with both
        /// compression functions of each hash.
        #[test]
        fn truncation_matches_rustcrypto_hmac(
            key in proptest::collection::vec(any::<u8>(), 0..200),
            counter in any::<u64>(),
        ) {
            fn reference<M: hmac::Mac + hmac::KeyInit>(key: &[u8], counter: u64) -> u32 {
                let mut mac = <M as hmac::KeyInit>::new_from_slice(key).expect("any key length");
                mac.update(&counter.to_be_bytes());
                let d = mac.finalize().into_bytes();
                let o = usize::from(d[d.len() - 1] & 0x0f);
                u32::from_be_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) & 0x7fff_ffff
            }
            let want = [
                reference::<hmac::Hmac<sha1::Sha1>>(&key, counter),
                reference::<hmac::Hmac<sha2::Sha256>>(&key, counter),
                reference::<hmac::Hmac<sha2::Sha512>>(&key, counter),
            ];
            for (i, algorithm) in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512].into_iter().enumerate() {
                prop_assert_eq!(KeyedHmac::new(algorithm, &key).truncated(counter), want[i]);
                prop_assert_eq!(KeyedHmac::with_hash(&COMPACT[i], &key).truncated(counter), want[i]);
            }
        }
    }
}
