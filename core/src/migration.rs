//! Google Authenticator's "Transfer accounts" format: `otpauth-migration://offline?data=…`,
//! base64 of a protobuf `MigrationPayload`. Import turns each account into a [`KeyUri`];
//! export writes key URIs as one or more such URIs (batches), as the app does.

use crate::base64;
use crate::params::{Algorithm, Digits, Period};
use crate::secret::Secret;
use crate::uri::{self, KeyUri, OtpKind, UriError};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroizing;

/// One decoded migration URI: its accounts and its place in a multi-part export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The accounts, in order.
    pub keys: Vec<KeyUri>,
    /// How many URIs the whole export has (1 when not split).
    pub batch_size: u32,
    /// This URI's index in the export, from 0.
    pub batch_index: u32,
    /// An identifier shared by all URIs of one export.
    pub batch_id: i32,
}

/// The accounts of one `otpauth-migration://offline?data=…` URI.
pub fn import(uri: &str) -> Result<Vec<KeyUri>, MigrationError> {
    import_batch(uri).map(|b| b.keys)
}

/// The accounts of every URI of a multi-part export, checked to be one complete export
/// (same batch id, every index from 0 to size - 1 exactly once), in batch order.
pub fn import_all<S: AsRef<str>>(uris: &[S]) -> Result<Vec<KeyUri>, MigrationError> {
    let mut batches = Vec::new();
    for uri in uris {
        batches.push(import_batch(uri.as_ref())?);
    }
    let first = batches.first().ok_or(MigrationError::IncompleteExport)?;
    let (id, size) = (first.batch_id, first.batch_size);
    if u32::try_from(batches.len()) != Ok(size) {
        return Err(MigrationError::IncompleteExport);
    }
    // Every index below `size` has a batch of this export (import_batch checked each index
    // is below its size): as many indices as batches, so each appears exactly once.
    let mut keys = Vec::new();
    for index in 0..size {
        let batch = batches
            .iter_mut()
            .find(|b| b.batch_index == index && b.batch_id == id && b.batch_size == size)
            .ok_or(MigrationError::IncompleteExport)?;
        keys.append(&mut batch.keys);
    }
    Ok(keys)
}

/// Decodes one migration URI with its batch information.
pub fn import_batch(uri: &str) -> Result<Batch, MigrationError> {
    let data = payload_of(uri)?;
    let mut batch = Batch {
        keys: Vec::new(),
        batch_size: 1,
        batch_index: 0,
        batch_id: 0,
    };
    let mut rest = &data[..];
    while !rest.is_empty() {
        let (key, n, bytes) = field(&mut rest).map_err(MigrationError::InvalidData)?;
        match key {
            BYTES_1 => batch.keys.push(account_of(bytes)?),
            VARINT_3 => batch.batch_size = small(n)?,
            VARINT_4 => batch.batch_index = small(n)?,
            // int32 on the wire: a negative id is a sign-extended 64-bit varint.
            VARINT_5 => batch.batch_id = n as i64 as i32,
            _ => {}
        }
    }
    // Also refuses a size of 0.
    if batch.batch_index >= batch.batch_size {
        return Err(MigrationError::InvalidData(
            "batch index outside batch size",
        ));
    }
    Ok(batch)
}

/// Writes `keys` as migration URIs of at most `per_batch` accounts each (Google
/// Authenticator puts about 10 in one QR code), all carrying `batch_id`.
///
/// The format has no period and only 6 or 8 digits: keys with another period or digit
/// count cannot be exported and are refused rather than silently changed.
pub fn export(
    keys: &[KeyUri],
    per_batch: usize,
    batch_id: i32,
) -> Result<Vec<String>, MigrationError> {
    if per_batch == 0 {
        return Err(MigrationError::Unexportable(
            "at least one account per batch",
        ));
    }
    // No keys is one empty batch: it imports back as no keys.
    let mut chunks: Vec<&[KeyUri]> = keys.chunks(per_batch).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let size = u64::try_from(chunks.len())
        .map_err(|_| MigrationError::Unexportable("too many batches"))?;
    let mut out = Vec::with_capacity(chunks.len());
    for (index, chunk) in chunks.iter().enumerate() {
        let mut payload = Zeroizing::new(Vec::new());
        for key in *chunk {
            let account = Zeroizing::new(encode_account(key)?);
            put_bytes(&mut payload, 1, &account);
        }
        put_varint_field(&mut payload, 2, 1);
        put_varint_field(&mut payload, 3, size);
        put_varint_field(&mut payload, 4, index as u64);
        put_varint_field(&mut payload, 5, i64::from(batch_id) as u64);
        out.push(migration_uri(&payload));
    }
    Ok(out)
}

fn migration_uri(payload: &[u8]) -> String {
    let data = Zeroizing::new(base64::encode(payload));
    let mut uri = String::from("otpauth-migration://offline?data=");
    for c in data.chars() {
        match c {
            '+' => uri.push_str("%2B"),
            '/' => uri.push_str("%2F"),
            '=' => uri.push_str("%3D"),
            c => uri.push(c),
        }
    }
    uri
}

fn encode_account(key: &KeyUri) -> Result<Vec<u8>, MigrationError> {
    let mut out = Vec::new();
    put_bytes(&mut out, 1, key.secret().as_bytes());
    let name = match key.issuer() {
        Some(issuer) => Zeroizing::new(alloc::format!("{issuer}:{}", key.account())),
        None => Zeroizing::new(String::from(key.account())),
    };
    put_bytes(&mut out, 2, name.as_bytes());
    if let Some(issuer) = key.issuer() {
        put_bytes(&mut out, 3, issuer.as_bytes());
    }
    let algorithm = match key.algorithm() {
        Algorithm::Sha1 => 1,
        Algorithm::Sha256 => 2,
        Algorithm::Sha512 => 3,
    };
    put_varint_field(&mut out, 4, algorithm);
    let digits = match key.digits().get() {
        6 => 1,
        8 => 2,
        _ => {
            return Err(MigrationError::Unexportable(
                "only 6 or 8 digits can be exported",
            ));
        }
    };
    put_varint_field(&mut out, 5, digits);
    match key.kind() {
        OtpKind::Hotp { counter } => {
            put_varint_field(&mut out, 6, 1);
            put_varint_field(&mut out, 7, counter);
        }
        OtpKind::Totp { period } if period == Period::THIRTY => put_varint_field(&mut out, 6, 2),
        OtpKind::Totp { .. } => {
            return Err(MigrationError::Unexportable(
                "only a 30-second period can be exported",
            ));
        }
    }
    Ok(out)
}

fn account_of(data: &[u8]) -> Result<KeyUri, MigrationError> {
    let mut secret = None;
    let (mut name, mut issuer) = ("", "");
    let (mut algorithm, mut digits, mut kind, mut counter) = (0u64, 0u64, 0u64, 0u64);
    let mut rest = data;
    while !rest.is_empty() {
        let (key, n, bytes) = field(&mut rest).map_err(MigrationError::InvalidData)?;
        match key {
            BYTES_1 => secret = Some(Secret::from_bytes(bytes).map_err(UriError::from)?),
            BYTES_2 => name = text(bytes)?,
            BYTES_3 => issuer = text(bytes)?,
            VARINT_4 => algorithm = n,
            VARINT_5 => digits = n,
            VARINT_6 => kind = n,
            VARINT_7 => counter = n,
            _ => {}
        }
    }
    let secret = secret.ok_or(UriError::MissingSecret)?;
    let algorithm = match algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        _ => return Err(MigrationError::UnsupportedAlgorithm),
    };
    let digits = match digits {
        0 | 1 => Digits::SIX,
        2 => Digits::EIGHT,
        _ => return Err(UriError::Param(crate::ParamError::InvalidDigits).into()),
    };
    let kind = match kind {
        1 => OtpKind::Hotp { counter },
        0 | 2 => OtpKind::Totp {
            period: Period::THIRTY,
        },
        _ => return Err(MigrationError::InvalidData("unknown OTP type")),
    };
    // The app writes the name as "Issuer:account" or just "account".
    let account = match uri::split_once(name, b':') {
        Some((prefix, account)) if issuer.is_empty() || prefix == issuer => {
            issuer = prefix;
            uri::trim_start_spaces(account)
        }
        _ => name,
    };
    let key = KeyUri::new(kind, secret, account)?
        .with_algorithm(algorithm)
        .with_digits(digits);
    Ok(if issuer.is_empty() {
        key
    } else {
        key.with_issuer(issuer)?
    })
}

fn text(bytes: &[u8]) -> Result<&str, MigrationError> {
    core::str::from_utf8(bytes).map_err(|_| MigrationError::InvalidData("a name is not UTF-8"))
}

fn small(n: u64) -> Result<u32, MigrationError> {
    u32::try_from(n).map_err(|_| MigrationError::InvalidData("batch number out of range"))
}

/// The decoded `data` of a migration URI (it holds the secrets: wiped on drop).
fn payload_of(uri: &str) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    const SCHEME: &str = "otpauth-migration://offline?";
    const DATA: &str = "data=";
    let (_, query) = uri
        .split_at_checked(SCHEME.len())
        .filter(|(head, _)| head.eq_ignore_ascii_case(SCHEME))
        .ok_or(MigrationError::InvalidUri)?;
    let mut data = None;
    for pair in uri::split(query, b'&') {
        if pair.starts_with(DATA) && data.replace(pair).is_some() {
            return Err(MigrationError::InvalidUri);
        }
    }
    let data = data.ok_or(MigrationError::InvalidUri)?.as_bytes();
    let mut buf = Zeroizing::new(data.get(DATA.len()..).unwrap_or_default().to_vec());
    // Percent-decode (the value is base64, so `+` is a plus, never a space) and base64-decode
    // in one pass, in place: the decoded bytes are written behind the text being read.
    let mut text = base64::Decoder::default();
    let (mut read, mut len) = (0, 0);
    while let Some(&c) = buf.get(read) {
        read += 1;
        let mut byte = u32::from(c);
        if c == b'%' {
            // Two hex digits of an ASCII byte; like `u8::from_str_radix`, a `+` is allowed
            // as the first of them.
            byte = 0;
            for first in [true, false] {
                let d = char::from(*buf.get(read).unwrap_or(&0));
                read += 1;
                byte = byte << 4
                    | match d.to_digit(16) {
                        Some(v) => v,
                        None if first && d == '+' => 0,
                        None => 0x80,
                    };
            }
            if byte >= 0x80 {
                return Err(MigrationError::InvalidData("bad percent-encoding"));
            }
        }
        if let Some(decoded) = text.push(byte as u8) {
            buf[len] = decoded;
            len += 1;
        }
    }
    if !text.valid() {
        return Err(MigrationError::InvalidData("data is not base64"));
    }
    buf.truncate(len);
    Ok(buf)
}

// Protobuf field keys (field number << 3 | wire type) the import reads.
const BYTES_1: u64 = 1 << 3 | 2;
const BYTES_2: u64 = 2 << 3 | 2;
const BYTES_3: u64 = 3 << 3 | 2;
const VARINT_3: u64 = 3 << 3;
const VARINT_4: u64 = 4 << 3;
const VARINT_5: u64 = 5 << 3;
const VARINT_6: u64 = 6 << 3;
const VARINT_7: u64 = 7 << 3;

/// The next field of a protobuf message in `rest` (which must not be empty), every read
/// bounds-checked: its key (field number << 3 | wire type), its value if a varint (else 0)
/// and its bytes if length-delimited (else empty; fixed-width values are skipped).
fn field<'a>(rest: &mut &'a [u8]) -> Result<(u64, u64, &'a [u8]), &'static str> {
    let key = varint(rest)?;
    let mut value = 0;
    let len = match key & 7 {
        0 => {
            value = varint(rest)?;
            0
        }
        1 => 8,
        2 => varint(rest)?,
        5 => 4,
        _ => {
            return Err("unsupported protobuf wire type");
        }
    };
    let len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= rest.len())
        .ok_or("field longer than the data")?;
    let (bytes, tail) = rest.split_at(len);
    *rest = tail;
    Ok((key, value, bytes))
}

fn varint(rest: &mut &[u8]) -> Result<u64, &'static str> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&byte, tail) = rest.split_first().ok_or("truncated varint")?;
        *rest = tail;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes")
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_varint_field(out: &mut Vec<u8>, field: u64, n: u64) {
    put_varint(out, field << 3);
    put_varint(out, n);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A migration URI that cannot be imported, or keys that cannot be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationError {
    /// Not an `otpauth-migration://offline?data=…` URI.
    InvalidUri,
    /// The data is not a valid migration payload; the text says what is wrong.
    InvalidData(&'static str),
    /// An account uses an algorithm twostep does not support (MD5).
    UnsupportedAlgorithm,
    /// An account is not a valid key (bad secret, name, digits …).
    Key(UriError),
    /// The URIs are not one complete multi-part export.
    IncompleteExport,
    /// A key cannot be written in this format; the text says why.
    Unexportable(&'static str),
}

impl MigrationError {
    /// The stable machine-readable code of this error, shared by every binding.
    pub const fn code(&self) -> &'static str {
        match self {
            MigrationError::InvalidUri
            | MigrationError::InvalidData(_)
            | MigrationError::IncompleteExport => "invalid_migration",
            MigrationError::UnsupportedAlgorithm => "unsupported_algorithm",
            MigrationError::Key(e) => e.code(),
            MigrationError::Unexportable(_) => "unexportable",
        }
    }
}

impl From<UriError> for MigrationError {
    fn from(e: UriError) -> Self {
        MigrationError::Key(e)
    }
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationError::InvalidUri => {
                f.write_str("invalid migration URI: expected otpauth-migration://offline?data=…")
            }
            MigrationError::InvalidData(why) => write!(f, "invalid migration data: {why}"),
            MigrationError::UnsupportedAlgorithm => {
                f.write_str("unsupported algorithm in migration data: only SHA1, SHA256, SHA512")
            }
            MigrationError::Key(e) => write!(f, "invalid account in migration data: {e}"),
            MigrationError::IncompleteExport => f.write_str(
                "the migration URIs are not one complete export (parts missing, repeated or from another export)",
            ),
            MigrationError::Unexportable(why) => write!(f, "cannot export to Google Authenticator: {why}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for MigrationError {}
