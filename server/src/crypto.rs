//! Encryption at rest: XChaCha20-Poly1305 under a key ring.
//!
//! The active key encrypts; every listed key decrypts; the key id is stored beside each
//! ciphertext. The associated data binds a ciphertext to its user and device, so a
//! ciphertext copied into another row fails to decrypt.
//!
//! Backup codes are stored only as HMAC-SHA-256 tags ([`KeyRing::code_tags`]) under a MAC
//! key derived from a ring key (HMAC-SHA-256 of the ring key over a fixed label), so the
//! encryption key itself is never used for two primitives and the MAC key is never stored.
//! The id of the ring key is stored beside each tag: rotating the active key keeps old
//! codes working for as long as their key stays in the ring. Trusted-device tokens are
//! stored the same way under a MAC key of their own ([`KeyRing::token_tags`]).
//!
//! Each ring key also yields an Ed25519 key that signs login assertions
//! ([`KeyRing::assertion_key`]): HKDF-SHA-256 of the ring key (no salt, info
//! `twostep assertion signing v1`) is the 32-byte Ed25519 seed, and the ring key's id is the
//! `kid`. The active key signs; every key of the ring is published at `/v1/jwks.json`.

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, KeyInit as _, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length of a key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a nonce in bytes.
pub const NONCE_LEN: usize = 24;

/// An encrypted device secret as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key that sealed it.
    pub key_id: String,
    /// Random nonce.
    pub nonce: Vec<u8>,
    /// Ciphertext with its tag.
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Why a ciphertext could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// The key id is not in the ring.
    UnknownKey(String),
    /// Wrong key, tampered data, or a ciphertext that belongs to another row.
    Corrupt,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::UnknownKey(id) => write!(f, "encryption key {id:?} is not in the key ring"),
            OpenError::Corrupt => f.write_str("ciphertext failed authentication"),
        }
    }
}

impl std::error::Error for OpenError {}

struct RingKey {
    id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
    /// Derived from `key` (see the module docs); zeroized on drop.
    signing: ed25519_dalek::SigningKey,
}

/// HKDF `info` of the assertion signing key.
const ASSERTION_KEY_INFO: &[u8] = b"twostep assertion signing v1";

fn assertion_signing_key(key: &[u8; KEY_LEN]) -> ed25519_dalek::SigningKey {
    let mut seed = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA-256's limit of 255 × 32: this cannot fail.
    hkdf::Hkdf::<Sha256>::new(None, key)
        .expand(ASSERTION_KEY_INFO, &mut seed[..])
        .unwrap_or_else(|_| unreachable!());
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// The configured keys. Keys are zeroized when the ring is dropped.
pub struct KeyRing {
    keys: Vec<RingKey>,
    active: usize,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active_id())
            .field("ids", &self.keys.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl KeyRing {
    /// Builds a ring from `id:base64` entries; `active` defaults to the only key.
    pub fn from_entries(entries: &[String], active: Option<&str>) -> Result<KeyRing> {
        if entries.is_empty() {
            bail!(
                "no encryption key configured: set encryption_keys (TWOSTEP_ENCRYPTION_KEYS) \
                 to the output of `twostep-server gen-key`, or run with --dev"
            );
        }
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            let (id, b64) = entry
                .split_once(':')
                .context("an encryption key must be written id:base64")?;
            if !valid_id(id) {
                bail!("encryption key id {id:?} must be 1-64 of [A-Za-z0-9._-]");
            }
            if keys.iter().any(|k: &RingKey| k.id == id) {
                bail!("encryption key id {id:?} is listed twice");
            }
            let bytes = Zeroizing::new(
                B64.decode(b64.trim())
                    .ok()
                    .with_context(|| format!("encryption key {id:?} is not valid base64"))?,
            );
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            if bytes.len() != KEY_LEN {
                bail!("encryption key {id:?} must be {KEY_LEN} bytes");
            }
            key.copy_from_slice(&bytes);
            keys.push(RingKey {
                id: id.to_string(),
                signing: assertion_signing_key(&key),
                key,
            });
        }
        let active = match active {
            Some(a) => keys
                .iter()
                .position(|k| k.id == a)
                .with_context(|| format!("active_key {a:?} is not among encryption_keys"))?,
            None if keys.len() == 1 => 0,
            None => bail!("several encryption keys are configured: set active_key"),
        };
        Ok(KeyRing { keys, active })
    }

    /// A new random key entry `id:base64`, for `gen-key`.
    pub fn generate_entry() -> Result<Zeroizing<String>> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut key[..])?;
        let mut id = [0u8; 4];
        fill_random(&mut id)?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Zeroizing::new(format!("k{id}:{}", B64.encode(&key[..]))))
    }

    /// Whether the ring holds a key with this id.
    pub fn has_key(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// Id of the key that encrypts.
    pub fn active_id(&self) -> &str {
        &self.keys[self.active].id
    }

    /// Encrypts a device secret for `(user_id, device_id)` under the active key.
    pub fn seal(&self, user_id: &str, device_id: &str, plaintext: &[u8]) -> Result<Sealed> {
        let key = &self.keys[self.active];
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let aad = aad(user_id, device_id);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key.key[..]));
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        Ok(Sealed {
            key_id: key.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a sealed secret that must belong to `(user_id, device_id)`.
    pub fn open(
        &self,
        user_id: &str,
        device_id: &str,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.nonce.len() != NONCE_LEN {
            return Err(OpenError::Corrupt);
        }
        let aad = aad(user_id, device_id);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key.key[..]));
        cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Corrupt)
    }
}

/// The HMAC tag of a backup code or a trusted-device token under one ring key.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeTag {
    /// Id of the ring key the MAC key was derived from.
    pub key_id: String,
    /// HMAC-SHA-256 of the user id and the normalised code (or the token).
    pub tag: Vec<u8>,
}

/// What a tag is of: each purpose has its own MAC key and label, so a tag of one kind can
/// never stand for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TagPurpose {
    BackupCode,
    TrustedDevice,
}

impl TagPurpose {
    /// (label of the MAC key derivation, label of the tag).
    fn labels(self) -> (&'static [u8], &'static [u8]) {
        match self {
            TagPurpose::BackupCode => {
                (b"twostep/backup-code-mac-key/v1", b"twostep/backup-code/v1")
            }
            TagPurpose::TrustedDevice => (
                b"twostep/trusted-device-mac-key/v1",
                b"twostep/trusted-device/v1",
            ),
        }
    }
}

impl std::fmt::Debug for CodeTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeTag")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

impl RingKey {
    /// HMAC-SHA-256 of `user_id` and `value` under this key's MAC key for `purpose`.
    fn tag(&self, purpose: TagPurpose, user_id: &str, value: &str) -> CodeTag {
        let (key_label, tag_label) = purpose.labels();
        let mac_key = hmac_sha256(&self.key[..], &[key_label]);
        let len = (user_id.len() as u32).to_be_bytes();
        let tag = hmac_sha256(
            &mac_key[..],
            &[tag_label, &len, user_id.as_bytes(), value.as_bytes()],
        );
        CodeTag {
            key_id: self.id.clone(),
            tag: tag.to_vec(),
        }
    }
}

impl KeyRing {
    /// The tag of a (normalised) backup code of `user_id` under the active key, to store.
    pub fn code_tag(&self, user_id: &str, code: &str) -> CodeTag {
        self.keys[self.active].tag(TagPurpose::BackupCode, user_id, code)
    }

    /// The tags of a (normalised) backup code under every key of the ring, active first, to
    /// look a submitted code up whichever key was active when it was issued.
    pub fn code_tags(&self, user_id: &str, code: &str) -> Vec<CodeTag> {
        self.tags(TagPurpose::BackupCode, user_id, code)
    }

    /// The tag of a trusted-device token of `user_id` under the active key, to store.
    pub fn token_tag(&self, user_id: &str, token: &str) -> CodeTag {
        self.keys[self.active].tag(TagPurpose::TrustedDevice, user_id, token)
    }

    /// The tags of a presented trusted-device token under every key of the ring, active
    /// first. The same work is done whatever the token is.
    pub fn token_tags(&self, user_id: &str, token: &str) -> Vec<CodeTag> {
        self.tags(TagPurpose::TrustedDevice, user_id, token)
    }

    fn tags(&self, purpose: TagPurpose, user_id: &str, value: &str) -> Vec<CodeTag> {
        self.ordered()
            .map(|k| k.tag(purpose, user_id, value))
            .collect()
    }

    /// The keys, active first.
    fn ordered(&self) -> impl Iterator<Item = &RingKey> {
        let active = &self.keys[self.active];
        std::iter::once(active).chain(self.keys.iter().filter(|k| k.id != active.id))
    }

    /// The active key's id and its assertion signing key.
    pub fn assertion_key(&self) -> (&str, &ed25519_dalek::SigningKey) {
        let key = &self.keys[self.active];
        (&key.id, &key.signing)
    }

    /// Every ring key's id and assertion verifying key, active first (the JWKS).
    pub fn assertion_public_keys(&self) -> Vec<(String, ed25519_dalek::VerifyingKey)> {
        self.ordered()
            .map(|k| (k.id.clone(), k.signing.verifying_key()))
            .collect()
    }
}

/// Associated data: a domain label, then the user id and device id, each length-prefixed
/// so no two (user, device) pairs share an encoding.
fn aad(user_id: &str, device_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + user_id.len() + device_id.len());
    out.extend_from_slice(b"twostep/device-secret/v1");
    for part in [user_id, device_id] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Fills `buf` from the operating system's random source.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| anyhow::anyhow!("operating system random source failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(entries: &[&str], active: Option<&str>) -> KeyRing {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        KeyRing::from_entries(&entries, active).expect("ring")
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let a = KeyRing::generate_entry().expect("key");
        let r = ring(&[a.as_str()], None);
        let s = r
            .seal("alice", "dev-1", b"0123456789abcdefghij")
            .expect("seal");
        assert_eq!(
            &r.open("alice", "dev-1", &s).expect("open")[..],
            b"0123456789abcdefghij"
        );
        assert_eq!(r.open("alice", "dev-2", &s), Err(OpenError::Corrupt));
        assert_eq!(r.open("bob", "dev-1", &s), Err(OpenError::Corrupt));
        // Length prefixes: moving a character between the two ids changes the AAD.
        let t = r.seal("ab", "c", b"x").expect("seal");
        assert_eq!(r.open("a", "bc", &t), Err(OpenError::Corrupt));
        let mut tampered = s.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(r.open("alice", "dev-1", &tampered), Err(OpenError::Corrupt));
    }

    #[test]
    fn old_keys_decrypt_active_key_encrypts() {
        let a = KeyRing::generate_entry().expect("key");
        let b = KeyRing::generate_entry().expect("key");
        let old = ring(&[a.as_str()], None);
        let s = old.seal("u", "d", b"secret").expect("seal");
        let b_id = b.split(':').next().expect("id").to_string();
        let both = ring(&[a.as_str(), b.as_str()], Some(&b_id));
        assert_eq!(&both.open("u", "d", &s).expect("open")[..], b"secret");
        assert_eq!(both.seal("u", "d", b"x").expect("seal").key_id, b_id);
        let only_b = ring(&[b.as_str()], None);
        assert!(matches!(
            only_b.open("u", "d", &s),
            Err(OpenError::UnknownKey(_))
        ));
    }

    #[test]
    fn code_tags_bind_user_and_key_and_survive_rotation() {
        let a = KeyRing::generate_entry().expect("key");
        let b = KeyRing::generate_entry().expect("key");
        let a_id = a.split(':').next().expect("id").to_string();
        let b_id = b.split(':').next().expect("id").to_string();
        let old = ring(&[a.as_str()], None);
        let tag = old.code_tag("alice", "abcd");
        assert_eq!(tag.key_id, a_id);
        assert_eq!(tag.tag.len(), 32);
        assert_eq!(old.code_tag("alice", "abcd"), tag, "deterministic");
        assert_ne!(old.code_tag("alice", "abce").tag, tag.tag);
        assert_ne!(old.code_tag("alicf", "abcd").tag, tag.tag);
        // Length prefix: moving a character between user and code changes the tag.
        assert_ne!(old.code_tag("alic", "eabcd").tag, tag.tag);
        // Not a plain HMAC under the ring key itself (the MAC key is derived).
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.split(':').nth(1).expect("b64"))
            .expect("b64");
        let mut plain = <Hmac<Sha256>>::new_from_slice(&raw).expect("key");
        plain.update(b"alice");
        plain.update(b"abcd");
        assert_ne!(plain.finalize().into_bytes().to_vec(), tag.tag);
        // After rotation to b, the tag under a is still among the candidates; new tags use b.
        let both = ring(&[a.as_str(), b.as_str()], Some(&b_id));
        let tags = both.code_tags("alice", "abcd");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].key_id, b_id);
        assert!(tags.contains(&tag));
        assert_eq!(both.code_tag("alice", "abcd").key_id, b_id);
        assert!(!format!("{tag:?}").contains(&format!("{:?}", tag.tag)));
    }

    #[test]
    fn token_tags_are_separate_from_code_tags() {
        let a = KeyRing::generate_entry().expect("key");
        let b = KeyRing::generate_entry().expect("key");
        let b_id = b.split(':').next().expect("id").to_string();
        let r = ring(&[a.as_str(), b.as_str()], Some(&b_id));
        let token = r.token_tag("alice", "tok");
        assert_eq!(token.key_id, b_id);
        assert_eq!(token.tag.len(), 32);
        assert_ne!(token.tag, r.code_tag("alice", "tok").tag);
        assert_ne!(token.tag, r.token_tag("bob", "tok").tag);
        let tags = r.token_tags("alice", "tok");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0], token);
        // Each ring key has its own assertion key; the active one signs.
        let keys = r.assertion_public_keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].0, b_id);
        assert_ne!(keys[0].1, keys[1].1);
        let (kid, signing) = r.assertion_key();
        assert_eq!((kid, signing.verifying_key()), (b_id.as_str(), keys[0].1));
    }

    #[test]
    fn bad_rings_are_refused() {
        let a = KeyRing::generate_entry().expect("key");
        let b = KeyRing::generate_entry().expect("key");
        for (entries, active) in [
            (vec![], None),
            (vec!["nocolon".to_string()], None),
            (vec!["k:!!!".to_string()], None),
            (vec!["k:AAAA".to_string()], None),
            (vec![a.to_string(), b.to_string()], None),
            (vec![a.to_string()], Some("missing")),
            (vec![a.to_string(), a.to_string()], None),
        ] {
            assert!(
                KeyRing::from_entries(&entries, active).is_err(),
                "{entries:?}"
            );
        }
    }
}
