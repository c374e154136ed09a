//! Trusted devices ("remember this device"): check, list, revoke.

use super::authorize;
use crate::AppState;
use crate::api::{ErrorBody, TrustedDeviceCheck, TrustedDeviceCheckRequest, TrustedDeviceList};
use crate::auth::Caller;
use crate::challenge;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// Whether a trusted-device token is valid for the user.
#[utoipa::path(
    post, path = "/v1/trusted-devices/check", tag = "trusted devices",
    request_body = TrustedDeviceCheckRequest,
    responses(
        (status = 200, description = "trusted only for a live token of this user", body = TrustedDeviceCheck),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<TrustedDeviceCheckRequest>,
) -> Result<Json<TrustedDeviceCheck>, ApiError> {
    Ok(Json(
        challenge::check_trusted(&state, &caller, &req.user_id, &req.token).await?,
    ))
}

/// The user's trusted devices.
#[utoipa::path(
    get, path = "/v1/users/{user_id}/trusted-devices", tag = "trusted devices",
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = TrustedDeviceList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<TrustedDeviceList>, ApiError> {
    authorize(&caller, &user_id)?;
    Ok(Json(TrustedDeviceList {
        trusted_devices: challenge::list_trusted(&state, &user_id).await?,
    }))
}

/// Revoke one trusted device.
#[utoipa::path(
    delete, path = "/v1/users/{user_id}/trusted-devices/{id}", tag = "trusted devices",
    params(("user_id" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204, description = "revoked"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    authorize(&caller, &user_id)?;
    challenge::revoke_trusted(&state, &user_id, &id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke all of the user's trusted devices.
#[utoipa::path(
    delete, path = "/v1/users/{user_id}/trusted-devices", tag = "trusted devices",
    params(("user_id" = String, Path)),
    responses(
        (status = 204, description = "all revoked"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_all(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    authorize(&caller, &user_id)?;
    challenge::revoke_all_trusted(&state, &user_id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
