//! What the API does, independent of HTTP: pairing, confirmation, verification, lockout,
//! backup codes.
//!
//! Every protocol rule (secret generation, key URIs, code computation and the window) is
//! core's (`twostep`); this module only stores, decrypts and decides.

use crate::AppState;
use crate::api::{self, CreateDeviceRequest, DeviceStatus};
use crate::audit::{Event, Kind};
use crate::backup;
use crate::client::ClientInfo;
use crate::crypto::CodeTag;
use crate::error::ApiError;
use crate::store::{
    Activation, Consumed, Deletion, DeviceRow, LockPolicy, Settle, StepAdvance, UserState,
};
use anyhow::Context;
use serde_json::json;
use twostep::{Algorithm, Digits, KeyUri, OtpKind, Period, Secret, Totp};

/// Most devices (active, or pending and unexpired) one user may have.
pub const MAX_DEVICES_PER_USER: usize = 20;
/// Pending devices are purged this long after their pairing expired (until then a confirm
/// answers 410 rather than 404).
const PURGE_AFTER_SECS: i64 = 24 * 3600;

/// A host user id: 1–128 characters, none of them a control character.
pub fn valid_user_id(id: &str) -> bool {
    let n = id.chars().count();
    (1..=128).contains(&n) && !id.chars().any(char::is_control)
}

/// 400 unless `id` is a valid user id.
pub fn check_user_id(id: &str) -> Result<(), ApiError> {
    if valid_user_id(id) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "user_id must be 1 to 128 printable characters".into(),
        ))
    }
}

/// A device id from a path: anything but a UUID cannot name a device (404).
pub fn parse_device_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("device"))
}

/// 400 unless `code` is 6 to 10 ASCII digits. The match itself is core's business.
pub(crate) fn check_code_format(code: &str) -> Result<(), ApiError> {
    let digits = usize::from(Digits::MIN)..=usize::from(Digits::MAX);
    if digits.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::BadRequest("code must be 6 to 10 digits".into()))
    }
}

pub(crate) fn check_label(what: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n == 0 || n > max || value.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{what} must be 1 to {max} printable characters"
        )));
    }
    Ok(())
}

/// RFC 3339 in UTC.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl AppState {
    pub(crate) fn now(&self) -> i64 {
        to_i64(self.clock.now())
    }

    fn lock_policy(&self) -> LockPolicy {
        LockPolicy {
            max_failures: i64::from(self.config.lockout_max_failures),
            base_secs: to_i64(self.config.lockout_base_secs),
            max_secs: to_i64(self.config.lockout_max_secs),
        }
    }
}

/// The API view of a stored device.
pub fn device_view(row: &DeviceRow) -> api::Device {
    api::Device {
        id: row.id.clone(),
        name: row.name.clone(),
        status: if row.status == "active" {
            DeviceStatus::Active
        } else {
            DeviceStatus::Pending
        },
        algorithm: row.algorithm.clone(),
        digits: u32::try_from(row.digits).unwrap_or(0),
        period: u32::try_from(row.period).unwrap_or(0),
        created_at: rfc3339(row.created_at),
        confirmed_at: row.confirmed_at.map(rfc3339),
        last_used_at: row.last_used_at.map(rfc3339),
    }
}

/// A device's TOTP generator, from its decrypted secret.
fn totp_of(state: &AppState, row: &DeviceRow) -> Result<Totp, ApiError> {
    let plain = state
        .keys
        .open(&row.user_id, &row.id, &row.sealed())
        .with_context(|| format!("cannot decrypt the secret of device {}", row.id))?;
    let secret = Secret::from_bytes(&plain).context("stored secret has an invalid length")?;
    let algorithm: Algorithm = row.algorithm.parse().context("stored algorithm")?;
    let digits = Digits::new(u32::try_from(row.digits).unwrap_or(0)).context("stored digits")?;
    let period = Period::new(u32::try_from(row.period).unwrap_or(0)).context("stored period")?;
    Ok(Totp::new(&secret, algorithm, digits, period))
}

/// 429 if the user is locked at `now`.
fn check_lock(user: &UserState, now: i64) -> Result<(), ApiError> {
    if user.locked_until > now {
        let retry_after = u64::try_from(user.locked_until - now).unwrap_or(1);
        return Err(ApiError::Locked { retry_after });
    }
    Ok(())
}

/// Counts a failure toward the lockout, with its `verify_failed` event (detail: `method`,
/// plus `device_id` for a confirm) and, if it locks, a `locked` event. The 422 to answer.
async fn fail(
    state: &AppState,
    user_id: &str,
    now: i64,
    client: &ClientInfo,
    detail: serde_json::Value,
) -> ApiError {
    let event = Event::new(Kind::VerifyFailed, user_id, now, client).with_detail(detail);
    record_failure(state, user_id, now, &event, None).await
}

/// Counts a failure toward the lockout with `event` (and as an attempt on `challenge_id`);
/// the 422 to answer.
async fn record_failure(
    state: &AppState,
    user_id: &str,
    now: i64,
    event: &Event,
    challenge_id: Option<&str>,
) -> ApiError {
    match state
        .store
        .record_failure(user_id, now, state.lock_policy(), event, challenge_id)
        .await
    {
        Ok(after) => {
            if after.just_locked(now) {
                tracing::warn!(
                    lock_secs = after.last_lock_secs,
                    "user locked after failures"
                );
                state.metrics.lock();
            }
            ApiError::InvalidCode
        }
        Err(e) => ApiError::Internal(e),
    }
}

/// Begins pairing: a new pending device with a fresh secret.
pub async fn create_device(
    state: &AppState,
    user_id: &str,
    req: CreateDeviceRequest,
    client: &ClientInfo,
) -> Result<(api::Device, KeyUri), ApiError> {
    check_label("name", &req.name, 64)?;
    if let Some(issuer) = &req.issuer {
        check_label("issuer", issuer, 64)?;
    }
    if let Some(account) = &req.account {
        check_label("account", account, 128)?;
    }
    let bad = |field: &str, code: &str| ApiError::BadRequest(format!("{field}: {code}"));
    let algorithm = match &req.algorithm {
        Some(a) => a
            .parse::<Algorithm>()
            .map_err(|e| bad("algorithm", e.code()))?,
        None => Algorithm::default(),
    };
    let digits = match req.digits {
        Some(d) if d == 6 || d == 8 => Digits::new(d).map_err(|e| bad("digits", e.code()))?,
        Some(_) => return Err(ApiError::BadRequest("digits must be 6 or 8".into())),
        None => Digits::default(),
    };
    let period = match req.period {
        Some(p) if (15..=300).contains(&p) => {
            Period::new(p).map_err(|e| bad("period", e.code()))?
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "period must be 15 to 300 seconds".into(),
            ));
        }
        None => Period::default(),
    };
    let issuer = req.issuer.as_deref().unwrap_or(&state.config.issuer);
    let account = req.account.as_deref().unwrap_or(user_id);
    let uri = KeyUri::new(OtpKind::Totp { period }, Secret::generate(), account)
        .and_then(|u| u.with_issuer(issuer))
        .map_err(|e| bad("issuer/account", e.code()))?
        .with_algorithm(algorithm)
        .with_digits(digits);

    let now = state.now();
    if state.store.list_devices(user_id, now).await?.len() >= MAX_DEVICES_PER_USER {
        return Err(ApiError::Conflict("this user has too many devices"));
    }
    state.store.purge_pending(now - PURGE_AFTER_SECS).await?;

    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let sealed = state.keys.seal(user_id, &id, uri.secret().as_bytes())?;
    let row = DeviceRow {
        id,
        user_id: user_id.to_string(),
        name: req.name,
        status: "pending".into(),
        algorithm: algorithm.name().into(),
        digits: i64::from(digits.get()),
        period: i64::from(period.get()),
        key_id: sealed.key_id,
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
        last_step: -1,
        created_at: now,
        pairing_expires_at: now.saturating_add(to_i64(state.config.pairing_lifetime_secs)),
        confirmed_at: None,
        last_used_at: None,
    };
    let event = Event::new(Kind::DeviceCreated, user_id, now, client)
        .with_detail(json!({ "device_id": row.id, "name": row.name }));
    state.store.insert_device(&row, &event).await?;
    tracing::info!(device_id = %row.id, "device created");
    Ok((device_view(&row), uri))
}

/// The key URI as an SVG QR code, rendered by core.
pub fn qr_svg(otpauth_uri: &str) -> Result<String, ApiError> {
    twostep::qr::svg(otpauth_uri, &twostep::qr::QrOptions::default())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR rendering failed: {}", e.code())))
}

/// A confirmed device, with the backup codes issued with it (the user's first active device).
#[derive(Debug)]
pub struct Confirmed {
    /// The now active device.
    pub device: api::Device,
    /// The new backup codes, in display form; None unless this confirmation issued them.
    pub backup_codes: Option<BackupCodes>,
}

/// Backup codes in display form, to be shown once. `Debug` does not print them.
pub struct BackupCodes(pub Vec<String>);

impl std::fmt::Debug for BackupCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupCodes(<{} redacted>)", self.0.len())
    }
}

impl Drop for BackupCodes {
    fn drop(&mut self) {
        for code in &mut self.0 {
            zeroize::Zeroize::zeroize(code);
        }
    }
}

/// A fresh set of backup codes for `user_id`: the codes to show and their tags to store.
fn new_backup_codes(
    state: &AppState,
    user_id: &str,
) -> Result<(BackupCodes, Vec<CodeTag>), ApiError> {
    let n = state.config.backup_codes_count as usize;
    let mut shown = Vec::with_capacity(n);
    let mut tags = Vec::with_capacity(n);
    while shown.len() < n {
        let code = backup::generate()?;
        let tag = state.keys.code_tag(user_id, &code);
        // A repeat within a set has probability about n² / 2^119; skip it all the same.
        if !tags.contains(&tag) {
            shown.push(backup::display(&code));
            tags.push(tag);
        }
    }
    Ok((BackupCodes(shown), tags))
}

/// Confirms a pending device with its first code; the user's first active device comes with
/// a new set of backup codes, issued in the same transaction.
pub async fn confirm_device(
    state: &AppState,
    user_id: &str,
    device_id: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<Confirmed, ApiError> {
    check_code_format(code)?;
    let device_id = parse_device_id(device_id)?;
    let now = state.now();
    let row = state
        .store
        .device(user_id, &device_id)
        .await?
        .ok_or(ApiError::NotFound("device"))?;
    check_pending(&row, now)?;
    let user = state.store.user_state(user_id).await?;
    check_lock(&user, now)?;

    let failed = json!({ "method": "confirm", "device_id": device_id });
    let totp = totp_of(state, &row)?;
    let Some(step) = totp.verify(code, now as u64, state.config.verify_window) else {
        return Err(fail(state, user_id, now, client, failed).await);
    };
    let step = to_i64(step);
    let (codes, tags) = new_backup_codes(state, user_id)?;
    let event = Event::new(Kind::DeviceConfirmed, user_id, now, client)
        .with_detail(json!({ "device_id": device_id }));
    let activation = state
        .store
        .activate_device(user_id, &device_id, step, &tags, user.needs_reset(), &event)
        .await?;
    let Activation::Activated { codes_issued } = activation else {
        // Another request confirmed or removed it meanwhile, or the pairing just ended.
        let row = state
            .store
            .device(user_id, &device_id)
            .await?
            .ok_or(ApiError::NotFound("device"))?;
        check_pending(&row, now)?;
        return Err(fail(state, user_id, now, client, failed).await);
    };
    tracing::info!(device_id = %device_id, backup_codes_issued = codes_issued, "device confirmed");
    let row = state
        .store
        .device(user_id, &device_id)
        .await?
        .ok_or(ApiError::NotFound("device"))?;
    Ok(Confirmed {
        device: device_view(&row),
        backup_codes: codes_issued.then_some(codes),
    })
}

fn check_pending(row: &DeviceRow, now: i64) -> Result<(), ApiError> {
    if row.status == "active" {
        return Err(ApiError::Conflict("device is already active"));
    }
    if row.pairing_expires_at <= now {
        return Err(ApiError::Expired(
            "pairing has expired; create the device again",
        ));
    }
    Ok(())
}

/// A second factor as submitted.
#[derive(Clone, Copy)]
pub enum Factor<'a> {
    /// A TOTP code of one of the user's active devices.
    Totp(&'a str),
    /// A backup code, in any spelling.
    BackupCode(&'a str),
}

impl std::fmt::Debug for Factor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Factor::Totp(_) => "Totp(<redacted>)",
            Factor::BackupCode(_) => "BackupCode(<redacted>)",
        })
    }
}

impl Factor<'_> {
    /// The `method` of its audit events.
    fn method(self) -> &'static str {
        match self {
            Factor::Totp(_) => "totp",
            Factor::BackupCode(_) => "backup_code",
        }
    }
}

/// What proved a second factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code of this device (its step is now used).
    Device(String),
    /// A backup code (now used); how many unused codes are left.
    BackupCode {
        /// Unused codes left.
        remaining: i64,
    },
}

/// The outcome of [`prove`] that is not an error.
#[derive(Debug)]
pub enum Proved {
    /// The factor was valid and is now consumed (and the challenge, if any, verified).
    Yes(Proof),
    /// The factor matched but the challenge was no longer pending or had expired; nothing
    /// was consumed or counted.
    Unsettled,
}

/// The one check of a second factor, shared by verify, backup-code verify, challenge
/// verification and disable: the lock (429), MFA enabled (409), the match (core's TOTP
/// window, or the backup code's tag), and consumption by one conditional write in one
/// transaction with its event (`verify_succeeded` / `backup_code_used`), the failure reset,
/// and `settle`'s challenge when given. A wrong code counts toward the user's lockout — and
/// is an attempt on the challenge — with a `verify_failed` (or `challenge_failed`) event,
/// and is a 422 that never says why.
pub async fn prove(
    state: &AppState,
    user_id: &str,
    factor: Factor<'_>,
    client: &ClientInfo,
    settle: Option<&Settle>,
) -> Result<Proved, ApiError> {
    let now = state.now();
    let matched = match factor {
        Factor::Totp(code) => {
            check_code_format(code)?;
            let (user, devices) = state.batch.verify_context(user_id).await?;
            check_lock(&user, now)?;
            if devices.is_empty() {
                return Err(ApiError::Conflict("MFA is not enabled for this user"));
            }
            match_totp(state, &user, &devices, code, client, settle).await?
        }
        Factor::BackupCode(code) => {
            let user = state.store.user_state(user_id).await?;
            check_lock(&user, now)?;
            if state.store.count_active(user_id).await? == 0 {
                return Err(ApiError::Conflict("MFA is not enabled for this user"));
            }
            match_backup_code(state, &user, user_id, code, client, settle).await?
        }
    };
    if let Some(proved) = matched {
        return Ok(proved);
    }
    let (kind, detail, challenge_id) = match settle {
        Some(s) => (
            Kind::ChallengeFailed,
            json!({ "challenge_id": s.challenge_id, "method": factor.method() }),
            Some(s.challenge_id.as_str()),
        ),
        None => (
            Kind::VerifyFailed,
            json!({ "method": factor.method() }),
            None,
        ),
    };
    let event = Event::new(kind, user_id, now, client).with_detail(detail);
    Err(record_failure(state, user_id, now, &event, challenge_id).await)
}

/// Tries `code` on each active device; `None` when none accepts it.
async fn match_totp(
    state: &AppState,
    user: &UserState,
    devices: &[DeviceRow],
    code: &str,
    client: &ClientInfo,
    settle: Option<&Settle>,
) -> Result<Option<Proved>, ApiError> {
    let now = state.now();
    // A device whose secret cannot be decrypted (a missing key, a tampered row) does not
    // stop the others; if no other device matches, the answer is an error, not a failure.
    let mut broken = None;
    for row in devices {
        let totp = match totp_of(state, row) {
            Ok(totp) => totp,
            Err(e) => {
                broken = Some(e);
                continue;
            }
        };
        let Some(step) = totp.verify(code, now as u64, state.config.verify_window) else {
            continue;
        };
        let event = Event::new(Kind::VerifySucceeded, &row.user_id, now, client)
            .with_detail(json!({ "device_id": row.id, "method": "totp" }));
        // Plain verifications share batches; one that settles a challenge has its own
        // transaction.
        let consumed = match settle {
            None => {
                let op = StepAdvance {
                    device_id: row.id.clone(),
                    step: to_i64(step),
                    now,
                    reset_failures: user.needs_reset(),
                    event,
                };
                if state.batch.advance_step(op).await? {
                    Consumed::Yes(())
                } else {
                    Consumed::No
                }
            }
            Some(settle) => {
                state
                    .store
                    .advance_step(
                        &row.id,
                        to_i64(step),
                        now,
                        user.needs_reset(),
                        &event,
                        Some(settle),
                    )
                    .await?
            }
        };
        match consumed {
            Consumed::Yes(()) => return Ok(Some(Proved::Yes(Proof::Device(row.id.clone())))),
            Consumed::Unsettled => return Ok(Some(Proved::Unsettled)),
            Consumed::No => {}
        }
    }
    match broken {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// Tries a backup code (malformed input is simply no match); `None` when it is not an
/// unused code of the user.
async fn match_backup_code(
    state: &AppState,
    user: &UserState,
    user_id: &str,
    code: &str,
    client: &ClientInfo,
    settle: Option<&Settle>,
) -> Result<Option<Proved>, ApiError> {
    let Some(code) = backup::normalise(code) else {
        return Ok(None);
    };
    let now = state.now();
    let tags = state.keys.code_tags(user_id, &code);
    let event = Event::new(Kind::BackupCodeUsed, user_id, now, client);
    Ok(
        match state
            .store
            .use_backup_code(user_id, &tags, now, user.needs_reset(), &event, settle)
            .await?
        {
            Consumed::Yes(remaining) => Some(Proved::Yes(Proof::BackupCode { remaining })),
            Consumed::Unsettled => Some(Proved::Unsettled),
            Consumed::No => None,
        },
    )
}

/// Verifies a code against the user's active devices; each code is accepted once per device.
/// A success costs one read (the verify context) and one transaction (the step, its
/// `verify_succeeded` event, and the failure reset only when there were failures).
pub async fn verify(
    state: &AppState,
    user_id: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<String, ApiError> {
    match prove(state, user_id, Factor::Totp(code), client, None).await? {
        Proved::Yes(Proof::Device(id)) => Ok(id),
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "a TOTP check without a challenge ended in {other:?}"
        ))),
    }
}

/// MFA status of a user.
pub async fn status(state: &AppState, user_id: &str) -> Result<api::MfaStatus, ApiError> {
    let now = state.now();
    let active = state.store.count_active(user_id).await?;
    let user = state.store.user_state(user_id).await?;
    let codes = state.store.backup_code_info(user_id).await?;
    Ok(api::MfaStatus {
        enabled: active > 0,
        active_devices: u64::try_from(active).unwrap_or(0),
        backup_codes_remaining: u64::try_from(codes.remaining).unwrap_or(0),
        locked_until: (user.locked_until > now).then(|| rfc3339(user.locked_until)),
    })
}

/// Removes a device (pending or active). Removing the user's last active device turns MFA
/// off as `mfa/disable` does: backup codes, trusted devices and pending challenges go in the
/// same transaction (see [`crate::store::Store::delete_device`]).
pub async fn delete_device(
    state: &AppState,
    user_id: &str,
    device_id: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let device_id = parse_device_id(device_id)?;
    let event = Event::new(Kind::DeviceRemoved, user_id, state.now(), client)
        .with_detail(json!({ "device_id": device_id }));
    match state
        .store
        .delete_device(user_id, &device_id, &event)
        .await?
    {
        Deletion::NotFound => Err(ApiError::NotFound("device")),
        Deletion::Removed => {
            tracing::info!(device_id = %device_id, "device removed");
            Ok(())
        }
        Deletion::LastActiveRemoved(removed) => {
            tracing::info!(
                device_id = %device_id,
                devices = removed.devices,
                backup_codes = removed.backup_codes,
                trusted_devices = removed.trusted_devices,
                challenges = removed.challenges,
                "last active device removed: MFA disabled"
            );
            Ok(())
        }
    }
}

/// Lists the user's devices.
pub async fn list_devices(state: &AppState, user_id: &str) -> Result<Vec<api::Device>, ApiError> {
    let rows = state.store.list_devices(user_id, state.now()).await?;
    Ok(rows.iter().map(device_view).collect())
}

/// A page of the user's audit events, newest first: at most `limit`, older than the event
/// `before` when given.
pub async fn list_events(
    state: &AppState,
    user_id: &str,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<api::Event>, ApiError> {
    let rows = state
        .store
        .events(user_id, before.unwrap_or(i64::MAX), i64::from(limit))
        .await?;
    rows.into_iter()
        .map(|r| {
            let detail = match r.detail {
                Some(text) => Some(
                    serde_json::from_str(&text)
                        .with_context(|| format!("event {} has a malformed detail", r.id))?,
                ),
                None => None,
            };
            Ok(api::Event {
                id: r.id.to_string(),
                kind: r.kind,
                at: rfc3339(r.at),
                ip: r.ip,
                user_agent: r.user_agent,
                detail,
            })
        })
        .collect()
}

/// Issues a new set of backup codes; the old set stops working. 409 without MFA.
pub async fn regenerate_backup_codes(
    state: &AppState,
    user_id: &str,
    client: &ClientInfo,
) -> Result<BackupCodes, ApiError> {
    let (codes, tags) = new_backup_codes(state, user_id)?;
    let now = state.now();
    let event = Event::new(Kind::BackupCodesGenerated, user_id, now, client)
        .with_detail(json!({ "count": tags.len() }));
    if !state
        .store
        .replace_backup_codes(user_id, &tags, now, &event)
        .await?
    {
        return Err(ApiError::Conflict("MFA is not enabled for this user"));
    }
    tracing::info!(count = tags.len(), "backup codes regenerated");
    Ok(codes)
}

/// How many backup codes are left and when the set was issued.
pub async fn backup_code_status(
    state: &AppState,
    user_id: &str,
) -> Result<api::BackupCodeStatus, ApiError> {
    let info = state.store.backup_code_info(user_id).await?;
    Ok(api::BackupCodeStatus {
        remaining: u64::try_from(info.remaining).unwrap_or(0),
        created_at: info.created_at.map(rfc3339),
    })
}

/// Uses a backup code; returns the number left. Each code works once; a malformed code is
/// a failure like a wrong one, and failures count toward the lockout like TOTP failures.
pub async fn verify_backup_code(
    state: &AppState,
    user_id: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<u64, ApiError> {
    match prove(state, user_id, Factor::BackupCode(code), client, None).await? {
        Proved::Yes(Proof::BackupCode { remaining }) => {
            tracing::info!(remaining, "backup code used");
            Ok(u64::try_from(remaining).unwrap_or(0))
        }
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "a backup code check without a challenge ended in {other:?}"
        ))),
    }
}
