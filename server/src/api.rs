//! The HTTP wire types of `/v1` (request and response bodies, [`Device`], the error body).
//!
//! This module builds with serde alone (`default-features = false`), so clients such as the
//! mobile SDK can share these exact types without pulling in the server runtime. Every
//! request type rejects unknown fields; response types accept them, because the contract
//! lets the server add response fields and older clients must keep reading its answers.

use serde::{Deserialize, Serialize};

#[cfg(feature = "runtime")]
use utoipa::ToSchema;

/// Body of every non-2xx response: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine code and a human-readable message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable snake_case code (`bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `expired`, `invalid_code`, `locked`, `payload_too_large`, ...).
    pub code: String,
    /// What went wrong, for a person; never contains a secret or a code.
    pub message: String,
}

/// Whether a device is waiting for its first code or usable for verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    /// Created, not yet confirmed with a code; expires after the pairing lifetime.
    Pending,
    /// Confirmed; its codes are accepted by verify.
    Active,
}

/// A TOTP authenticator of a user. Never carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Device {
    /// Device id (UUID).
    pub id: String,
    /// Label given at pairing.
    pub name: String,
    /// Pending or active.
    pub status: DeviceStatus,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: u32,
    /// Time step in seconds.
    pub period: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When the device was confirmed (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    /// When a code of this device was last accepted (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

/// `POST /v1/users/{user_id}/devices`: begin pairing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateDeviceRequest {
    /// Label for the device (1–64 printable characters).
    pub name: String,
    /// Issuer shown by the authenticator; defaults to the server's configured issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Account shown by the authenticator; defaults to the user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `SHA1` (default), `SHA256` or `SHA512`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Code length (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<u32>,
    /// Time step in seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
}

/// 201 answer to [`CreateDeviceRequest`]. The only place the secret ever leaves the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct CreateDeviceResponse {
    /// The new, pending device.
    pub device: Device,
    /// `otpauth://totp/...` key URI for authenticator apps.
    pub otpauth_uri: String,
    /// The secret in base32.
    pub secret: String,
    /// The key URI as an SVG QR code (with `?qr=svg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
}

/// A code: a TOTP code for `POST .../confirm` and `POST /v1/users/{user_id}/verify`, a
/// backup code for `POST /v1/users/{user_id}/backup-codes/verify`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// What the user typed.
    pub code: String,
}

impl core::fmt::Debug for CodeRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CodeRequest")
            .field("code", &"<redacted>")
            .finish()
    }
}

/// 200 answer to confirm. `Debug` does not print the backup codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct ConfirmDeviceResponse {
    /// The now active device.
    pub device: Device,
    /// Backup codes, issued with the user's first active device and shown only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_codes: Option<Vec<String>>,
}

impl core::fmt::Debug for ConfirmDeviceResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConfirmDeviceResponse")
            .field("device", &self.device)
            .field(
                "backup_codes",
                &self.backup_codes.as_ref().map(|c| RedactedCodes(c.len())),
            )
            .finish()
    }
}

/// Prints how many codes there are, never the codes.
struct RedactedCodes(usize);

impl core::fmt::Debug for RedactedCodes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} redacted>", self.0)
    }
}

/// 201 answer to `POST /v1/users/{user_id}/backup-codes`. `Debug` does not print the codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct BackupCodesResponse {
    /// The new codes, grouped for reading (`7hq4-k2mz-9vxd-3fpa-w8ne-c5ry`); shown only here.
    pub codes: Vec<String>,
}

impl core::fmt::Debug for BackupCodesResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BackupCodesResponse")
            .field("codes", &RedactedCodes(self.codes.len()))
            .finish()
    }
}

/// `GET /v1/users/{user_id}/backup-codes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct BackupCodeStatus {
    /// Unused codes of the current set.
    pub remaining: u64,
    /// When the current set was issued (RFC 3339, UTC); absent when the user has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// 200 answer to `POST /v1/users/{user_id}/backup-codes/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct BackupCodeVerifyResponse {
    /// Always true (a wrong or used code is a 422).
    pub valid: bool,
    /// Unused codes left.
    pub remaining: u64,
}

/// `GET /v1/users/{user_id}/devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct DeviceList {
    /// Active devices and pending devices that have not expired, oldest first.
    pub devices: Vec<Device>,
}

/// 200 answer to verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct VerifyResponse {
    /// Always true (a wrong code is a 422).
    pub valid: bool,
    /// The device whose code matched.
    pub device_id: String,
}

/// `GET /v1/users/{user_id}/mfa`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct MfaStatus {
    /// True when the user has at least one active device.
    pub enabled: bool,
    /// Number of active devices.
    pub active_devices: u64,
    /// Unused backup codes.
    pub backup_codes_remaining: u64,
    /// Set while the user is locked out (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
}

/// `POST /v1/challenges`: the second step of a login for `user_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateChallengeRequest {
    /// The host application's user id.
    pub user_id: String,
    /// The end user's IP address as the host saw it (IPv4 or IPv6), kept for the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The end user's browser user agent (1–512 printable characters), for the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// 201 answer to [`CreateChallengeRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct ChallengeCreated {
    /// 128 random bits in UUID text form (version and variant bits are random too).
    pub challenge_id: String,
    /// When the challenge expires (RFC 3339, UTC).
    pub expires_at: String,
    /// What the user may answer with: `totp`, and `backup_code` while the user has unused
    /// backup codes.
    pub methods: Vec<String>,
}

/// `POST /v1/challenges/{challenge_id}/verify`: exactly one of `code` and `backup_code`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyChallengeRequest {
    /// A TOTP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A backup code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_code: Option<String>,
    /// Issue a trusted-device token with the verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_device: Option<bool>,
    /// Label of the trusted device (1–64 printable characters; default `Trusted device`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_label: Option<String>,
}

impl core::fmt::Debug for VerifyChallengeRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyChallengeRequest")
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field(
                "backup_code",
                &self.backup_code.as_ref().map(|_| "<redacted>"),
            )
            .field("remember_device", &self.remember_device)
            .field("device_label", &self.device_label)
            .finish()
    }
}

/// A trusted-device token, shown once (in [`ChallengeVerified`]). `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct TrustedDeviceToken {
    /// 256 random bits, base64url without padding; the server keeps only a keyed hash.
    pub token: String,
    /// Id of the trusted device (for listing and revoking).
    pub id: String,
    /// When the token stops being trusted (RFC 3339, UTC).
    pub expires_at: String,
}

impl core::fmt::Debug for TrustedDeviceToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustedDeviceToken")
            .field("token", &"<redacted>")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// 200 answer to a challenge verification. `Debug` hides the assertion and the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct ChallengeVerified {
    /// `verified`.
    pub status: ChallengeStatus,
    /// The user who passed the second factor.
    pub user_id: String,
    /// When (RFC 3339, UTC); the assertion's `auth_time`.
    pub verified_at: String,
    /// EdDSA JWT signed by the server (claims: [`AssertionClaims`]), checkable against
    /// `GET /v1/jwks.json`.
    pub assertion: String,
    /// With `remember_device`: the trusted-device token, shown only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_device: Option<TrustedDeviceToken>,
}

impl core::fmt::Debug for ChallengeVerified {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChallengeVerified")
            .field("status", &self.status)
            .field("user_id", &self.user_id)
            .field("verified_at", &self.verified_at)
            .field("assertion", &"<redacted>")
            .field("trusted_device", &self.trusted_device)
            .finish()
    }
}

/// Where a challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Waiting for a code.
    Pending,
    /// Passed (once; it cannot be verified again).
    Verified,
    /// Spent by too many failed attempts.
    Failed,
    /// Past its lifetime without being verified.
    Expired,
}

/// `GET /v1/challenges/{challenge_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Challenge {
    /// The challenge id.
    pub challenge_id: String,
    /// Whose login it is.
    pub user_id: String,
    /// Where it stands.
    pub status: ChallengeStatus,
    /// When it expires (RFC 3339, UTC).
    pub expires_at: String,
    /// When it was verified (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
}

/// The claims of an assertion (the JWT of [`ChallengeVerified`]); its header is
/// `{"alg": "EdDSA", "typ": "JWT", "kid": <key id>}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct AssertionClaims {
    /// The server's configured `issuer` (default `twostep`).
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// `["otp"]` or `["backup_code"]`.
    pub amr: Vec<String>,
    /// Unix seconds of the verification.
    pub auth_time: u64,
    /// The verified challenge.
    pub challenge_id: String,
    /// Issued at (unix seconds).
    pub iat: u64,
    /// Expiry (unix seconds): `iat` + the configured assertion lifetime.
    pub exp: u64,
    /// Random id of this assertion.
    pub jti: String,
}

/// `GET /v1/jwks.json`: the public keys that check assertions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Jwks {
    /// One key per key-ring key, the signing (active) key first.
    pub keys: Vec<Jwk>,
}

/// An Ed25519 public key as a JSON Web Key (RFC 8037).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key-ring key id: the `kid` of the assertions it checks.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// `POST /v1/trusted-devices/check`. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrustedDeviceCheckRequest {
    /// The user the token must belong to.
    pub user_id: String,
    /// The token from a challenge verification with `remember_device`.
    pub token: String,
}

impl core::fmt::Debug for TrustedDeviceCheckRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustedDeviceCheckRequest")
            .field("user_id", &self.user_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// 200 answer to [`TrustedDeviceCheckRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct TrustedDeviceCheck {
    /// True only for an unrevoked, unexpired token of this user.
    pub trusted: bool,
    /// When the token stops being trusted (RFC 3339, UTC); only when trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// A trusted device of a user. Never carries the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct TrustedDevice {
    /// Id (UUID).
    pub id: String,
    /// Label given at verification.
    pub label: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// When the token was last checked successfully (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

/// `GET /v1/users/{user_id}/trusted-devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct TrustedDeviceList {
    /// Unexpired trusted devices, newest first.
    pub trusted_devices: Vec<TrustedDevice>,
}

/// `POST /v1/users/{user_id}/mfa/disable` (the body may be omitted by a service key).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    /// A current TOTP code or an unused backup code; required with a user token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl core::fmt::Debug for DisableRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DisableRequest")
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An audit event: a change to the user's second factor. Never carries a secret, a code or
/// a token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Event {
    /// Event id: a decimal string; ids only grow, and `before=<id>` pages back from one.
    pub id: String,
    /// `device_created`, `device_confirmed`, `device_removed`, `verify_succeeded`,
    /// `verify_failed`, `locked`, `backup_codes_generated`, `backup_code_used`,
    /// `challenge_created`, `challenge_verified`, `challenge_failed`,
    /// `trusted_device_created`, `trusted_device_revoked`, `mfa_disabled` (more may come).
    pub kind: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The client's IP address, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The client's user agent, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Facts about the change (ids, counts, the method), a JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "runtime", schema(value_type = Option<Object>))]
    pub detail: Option<serde_json::Value>,
}

/// `GET /v1/users/{user_id}/events`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct EventList {
    /// At most `limit` events, newest first; pass the last one's id as `before` for the next
    /// page (an empty list: no more).
    pub events: Vec<Event>,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "runtime", derive(ToSchema))]
pub struct Health {
    /// `ok`.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_read_responses_that_gained_fields() {
        let body = r#"{"valid": true, "device_id": "d1", "added_later": 1}"#;
        let parsed: VerifyResponse = serde_json::from_str(body).expect("tolerant");
        assert!(parsed.valid);
        let err = r#"{"error": {"code": "locked", "message": "m", "retry": 3}, "trace": "x"}"#;
        assert!(serde_json::from_str::<ErrorBody>(err).is_ok());
        let strict = serde_json::from_str::<CodeRequest>(r#"{"code": "123456", "x": 1}"#);
        assert!(strict.is_err(), "requests still reject unknown fields");
    }
}
