//! Login challenges, trusted devices ("remember this device") and turning MFA off.
//!
//! A challenge is verified with the very check of `POST .../verify` and backup-code verify
//! ([`domain::prove`]): the code's consumption and the challenge's verification (with its
//! trusted device) are one transaction, so a challenge is verified once, also across
//! replicas, and a code is never spent on a challenge that was not verified.
//!
//! Who may call: a service key for any user; a user token only for its own user (its `sub`
//! must be the challenge's user, else 403), as for every other `/v1` resource. A user token
//! can therefore run its own login challenge — it still has to present a valid code, under
//! the same attempt limit and lockout — which lets a browser app finish the second step
//! itself and hand the signed assertion to its backend.

use crate::AppState;
use crate::api::{
    self, ChallengeCreated, ChallengeStatus, ChallengeVerified, CreateChallengeRequest,
    TrustedDeviceCheck, TrustedDeviceToken, VerifyChallengeRequest,
};
use crate::assertion::{self, Amr, Subject};
use crate::audit::{Event, Kind};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::crypto::fill_random;
use crate::domain::{
    self, Factor, Proved, check_code_format, check_label, check_user_id, rfc3339, to_i64,
};
use crate::error::ApiError;
use crate::store::{ChallengeRow, NewTrustedDevice, Settle, TrustedDeviceRow};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::json;
use zeroize::Zeroizing;

/// Expired challenges are purged this long after their expiry (until then GET says
/// `expired` and verify 410 rather than 404).
const PURGE_AFTER_SECS: i64 = 24 * 3600;
/// Label of a trusted device when the request names none.
const DEFAULT_LABEL: &str = "Trusted device";

/// A challenge id from a path: 128 bits in UUID text form; anything else names no
/// challenge (404).
pub fn parse_challenge_id(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("challenge"))
}

/// 128 random bits in UUID text form.
fn new_challenge_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes)?;
    Ok(uuid::Uuid::from_bytes(bytes).hyphenated().to_string())
}

fn status_of(row: &ChallengeRow, now: i64) -> ChallengeStatus {
    match row.status.as_str() {
        "verified" => ChallengeStatus::Verified,
        "failed" => ChallengeStatus::Failed,
        _ if row.expires_at <= now => ChallengeStatus::Expired,
        _ => ChallengeStatus::Pending,
    }
}

/// 409 / 410 unless the challenge can still be verified.
fn check_pending(row: &ChallengeRow, now: i64) -> Result<(), ApiError> {
    match status_of(row, now) {
        ChallengeStatus::Pending => Ok(()),
        ChallengeStatus::Verified => Err(ApiError::Conflict("the challenge is already verified")),
        ChallengeStatus::Failed => Err(ApiError::Conflict(
            "the challenge failed after too many attempts; start a new one",
        )),
        ChallengeStatus::Expired => Err(ApiError::Expired(
            "the challenge has expired; start a new one",
        )),
    }
}

/// The challenge `id`, if the caller may see it (404 unknown, 403 another user's).
async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<ChallengeRow, ApiError> {
    let id = parse_challenge_id(id)?;
    let row = state
        .store
        .challenge(&id)
        .await?
        .ok_or(ApiError::NotFound("challenge"))?;
    caller.may_act_on(&row.user_id)?;
    Ok(row)
}

/// Starts the second step of a login. 409 when the user has no active device. The body's
/// `ip` and `user_agent` (the end user's, as the product backend saw them) are kept with the
/// challenge and recorded in the audit events of its creation and verification.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    client: ClientInfo,
    req: CreateChallengeRequest,
) -> Result<ChallengeCreated, ApiError> {
    check_user_id(&req.user_id)?;
    caller.may_act_on(&req.user_id)?;
    if let Some(agent) = &req.user_agent {
        check_label("user_agent", agent, 512)?;
    }
    let client = client.with_body(req.ip.as_deref(), req.user_agent.as_deref())?;
    if state.store.count_active(&req.user_id).await? == 0 {
        return Err(ApiError::Conflict("MFA is not enabled for this user"));
    }
    let now = state.now();
    let row = ChallengeRow {
        id: new_challenge_id()?,
        user_id: req.user_id,
        status: "pending".into(),
        attempts: 0,
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent.clone(),
        created_at: now,
        expires_at: now.saturating_add(to_i64(state.config.challenge_lifetime_secs)),
        verified_at: None,
        method: None,
    };
    let event = Event::new(Kind::ChallengeCreated, &row.user_id, now, &client)
        .with_detail(json!({ "challenge_id": row.id }));
    state
        .store
        .insert_challenge(&row, now - PURGE_AFTER_SECS, &event)
        .await?;
    let mut methods = vec!["totp".to_string()];
    if state.store.backup_code_info(&row.user_id).await?.remaining > 0 {
        methods.push("backup_code".into());
    }
    tracing::info!(challenge_id = %row.id, "challenge created");
    Ok(ChallengeCreated {
        challenge_id: row.id,
        expires_at: rfc3339(row.expires_at),
        methods,
    })
}

/// Where a challenge stands.
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<api::Challenge, ApiError> {
    let row = load(state, caller, id).await?;
    Ok(api::Challenge {
        status: status_of(&row, state.now()),
        challenge_id: row.id,
        user_id: row.user_id,
        expires_at: rfc3339(row.expires_at),
        verified_at: row.verified_at.map(rfc3339),
    })
}

/// A fresh trusted-device token: 256 random bits, base64url.
fn new_token() -> Result<Zeroizing<String>, ApiError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    fill_random(&mut bytes[..])?;
    Ok(Zeroizing::new(B64URL.encode(&bytes[..])))
}

/// Verifies a challenge with a TOTP code or a backup code; on success an assertion, and a
/// trusted-device token with `remember_device`.
pub async fn verify(
    state: &AppState,
    caller: &Caller,
    client: ClientInfo,
    id: &str,
    req: VerifyChallengeRequest,
) -> Result<ChallengeVerified, ApiError> {
    let (factor, amr) = match (&req.code, &req.backup_code) {
        (Some(code), None) => {
            check_code_format(code)?;
            (Factor::Totp(code), Amr::Otp)
        }
        (None, Some(code)) => (Factor::BackupCode(code), Amr::BackupCode),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of code and backup_code".into(),
            ));
        }
    };
    if let Some(label) = &req.device_label {
        check_label("device_label", label, 64)?;
    }
    let row = load(state, caller, id).await?;
    let now = state.now();
    check_pending(&row, now)?;
    // The events of a challenge carry the end user's client given at its creation.
    let client = client.with_body(row.ip.as_deref(), row.user_agent.as_deref())?;

    let token = match req.remember_device {
        Some(true) => Some(new_token()?),
        _ => None,
    };
    let trusted = match &token {
        Some(token) => {
            let id = uuid::Uuid::new_v4().hyphenated().to_string();
            let label = req
                .device_label
                .clone()
                .unwrap_or_else(|| DEFAULT_LABEL.into());
            let expires_at = now.saturating_add(to_i64(state.config.trusted_device_lifetime_secs));
            Some(NewTrustedDevice {
                event: Event::new(Kind::TrustedDeviceCreated, &row.user_id, now, &client)
                    .with_detail(json!({
                        "trusted_device_id": id,
                        "challenge_id": row.id,
                        "label": label,
                        "expires_at": rfc3339(expires_at),
                    })),
                tag: state.keys.token_tag(&row.user_id, token),
                id,
                label,
                expires_at,
            })
        }
        None => None,
    };
    let settle = Settle {
        challenge_id: row.id.clone(),
        user_id: row.user_id.clone(),
        method: amr.as_str(),
        trusted,
        event: Event::new(Kind::ChallengeVerified, &row.user_id, now, &client).with_detail(
            json!({ "challenge_id": row.id, "amr": [amr.as_str()], "remember_device": token.is_some() }),
        ),
    };
    match domain::prove(state, &row.user_id, factor, &client, Some(&settle)).await? {
        Proved::Yes(_) => {}
        Proved::Unsettled => {
            // Verified by a concurrent request, spent, or expired meanwhile.
            let row = load(state, caller, &row.id).await?;
            check_pending(&row, now)?;
            return Err(ApiError::Conflict("the challenge is already verified"));
        }
    }
    let auth_time = u64::try_from(now).unwrap_or(0);
    let assertion = assertion::issue(
        &state.keys,
        &state.config.issuer,
        Subject {
            user_id: &row.user_id,
            challenge_id: &row.id,
            amr,
            auth_time,
        },
        auth_time,
        state.config.assertion_lifetime_secs,
    )?;
    tracing::info!(
        challenge_id = %row.id,
        amr = amr.as_str(),
        remembered = token.is_some(),
        "challenge verified"
    );
    Ok(ChallengeVerified {
        status: ChallengeStatus::Verified,
        user_id: row.user_id,
        verified_at: rfc3339(now),
        assertion,
        trusted_device: match (token, settle.trusted) {
            (Some(token), Some(device)) => Some(TrustedDeviceToken {
                token: token.to_string(),
                id: device.id,
                expires_at: rfc3339(device.expires_at),
            }),
            _ => None,
        },
    })
}

/// Whether `token` is a live trusted device of `user_id` (false for another user's, a
/// revoked, an expired or a made-up token, with the same work); marks it used.
pub async fn check_trusted(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    token: &str,
) -> Result<TrustedDeviceCheck, ApiError> {
    check_user_id(user_id)?;
    caller.may_act_on(user_id)?;
    // The stored value is a keyed HMAC of (user, token): the lookup compares tags an
    // attacker can neither compute nor steer, so its timing says nothing about valid tokens.
    let tags = state.keys.token_tags(user_id, token);
    let expires_at = state
        .store
        .check_trusted(user_id, &tags, state.now())
        .await?;
    Ok(TrustedDeviceCheck {
        trusted: expires_at.is_some(),
        expires_at: expires_at.map(rfc3339),
    })
}

fn trusted_view(row: TrustedDeviceRow) -> api::TrustedDevice {
    api::TrustedDevice {
        id: row.id,
        label: row.label,
        created_at: rfc3339(row.created_at),
        expires_at: rfc3339(row.expires_at),
        last_used_at: row.last_used_at.map(rfc3339),
    }
}

/// The user's unexpired trusted devices.
pub async fn list_trusted(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<api::TrustedDevice>, ApiError> {
    let rows = state.store.list_trusted(user_id, state.now()).await?;
    Ok(rows.into_iter().map(trusted_view).collect())
}

fn revoked_event(state: &AppState, user_id: &str, client: &ClientInfo) -> Event {
    Event::new(Kind::TrustedDeviceRevoked, user_id, state.now(), client)
        .with_detail(json!({ "reason": "revoked" }))
}

/// Revokes one trusted device (404 when the user has no such device).
pub async fn revoke_trusted(
    state: &AppState,
    user_id: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let id = uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("trusted device"))?;
    let event = revoked_event(state, user_id, client);
    if state
        .store
        .revoke_trusted(user_id, Some(&id), &event)
        .await?
        == 0
    {
        return Err(ApiError::NotFound("trusted device"));
    }
    tracing::info!(trusted_device_id = %id, "trusted device revoked");
    Ok(())
}

/// Revokes all of the user's trusted devices.
pub async fn revoke_all_trusted(
    state: &AppState,
    user_id: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let event = revoked_event(state, user_id, client);
    let n = state.store.revoke_trusted(user_id, None, &event).await?;
    tracing::info!(count = n, "trusted devices revoked");
    Ok(())
}

/// Turns MFA off: devices, backup codes, trusted devices and pending challenges go in one
/// transaction. A user token must prove a current TOTP code or an unused backup code
/// (consumed; a wrong one is a 422 and counts toward the lockout); a service key may omit
/// the code (if it gives one, the code is checked the same way). 409 without MFA.
pub async fn disable(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    code: Option<&str>,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    match (caller, code) {
        (Caller::User(_), None) => {
            return Err(ApiError::BadRequest(
                "a user token must give a current code to disable MFA".into(),
            ));
        }
        (_, Some(code)) => {
            // Six to ten digits is a TOTP code; anything else is taken as a backup code.
            let factor = if check_code_format(code).is_ok() {
                Factor::Totp(code)
            } else {
                Factor::BackupCode(code)
            };
            domain::prove(state, user_id, factor, client, None).await?;
        }
        (Caller::Service, None) => {}
    }
    let event = Event::new(Kind::MfaDisabled, user_id, state.now(), client);
    let Some(removed) = state.store.disable_mfa(user_id, &event).await? else {
        return Err(ApiError::Conflict("MFA is not enabled for this user"));
    };
    tracing::info!(
        devices = removed.devices,
        backup_codes = removed.backup_codes,
        trusted_devices = removed.trusted_devices,
        challenges = removed.challenges,
        "MFA disabled"
    );
    Ok(())
}
