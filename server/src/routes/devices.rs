//! `/v1/users/{user_id}/devices`: pairing.

use super::authorize;
use crate::AppState;
use crate::api::{
    CodeRequest, ConfirmDeviceResponse, CreateDeviceRequest, CreateDeviceResponse, DeviceList,
    ErrorBody,
};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::domain;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

/// Query of `POST .../devices`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateQuery {
    /// `svg` to receive the key URI as an SVG QR code too.
    pub qr: Option<String>,
}

/// Begin pairing.
#[utoipa::path(
    post, path = "/v1/users/{user_id}/devices", tag = "devices",
    params(("user_id" = String, Path, description = "the host application's user id"), CreateQuery),
    request_body = CreateDeviceRequest,
    responses(
        (status = 201, description = "pending device with its secret", body = CreateDeviceResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<CreateQuery>,
    ApiJson(req): ApiJson<CreateDeviceRequest>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&caller, &user_id)?;
    let want_svg = match query.qr.as_deref() {
        None => false,
        Some("svg") => true,
        Some(_) => return Err(ApiError::BadRequest("qr must be \"svg\"".into())),
    };
    let (device, uri) = domain::create_device(&state, &user_id, req, &client).await?;
    let otpauth_uri = uri.to_string();
    let qr_svg = if want_svg {
        Some(domain::qr_svg(&otpauth_uri)?)
    } else {
        None
    };
    let body = CreateDeviceResponse {
        device,
        otpauth_uri,
        secret: uri.secret().to_base32().to_string(),
        qr_svg,
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    ))
}

/// Confirm a pending device with a code.
#[utoipa::path(
    post, path = "/v1/users/{user_id}/devices/{device_id}/confirm", tag = "devices",
    params(("user_id" = String, Path), ("device_id" = String, Path)),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "the active device; with backup codes when it is the user's first", body = ConfirmDeviceResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn confirm(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath((user_id, device_id)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&caller, &user_id)?;
    let outcome = domain::confirm_device(&state, &user_id, &device_id, &req.code, &client).await;
    state
        .metrics
        .verify_outcome(super::verify::outcome(&outcome));
    let confirmed = outcome?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(ConfirmDeviceResponse {
            device: confirmed.device,
            backup_codes: confirmed.backup_codes.map(|c| c.0.clone()),
        }),
    ))
}

/// List the user's devices.
#[utoipa::path(
    get, path = "/v1/users/{user_id}/devices", tag = "devices",
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = DeviceList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<DeviceList>, ApiError> {
    authorize(&caller, &user_id)?;
    let devices = domain::list_devices(&state, &user_id).await?;
    Ok(Json(DeviceList { devices }))
}

/// Remove a device. Removing the last active one turns MFA off: the backup codes, trusted
/// devices and pending challenges go with it (as with `mfa/disable`).
#[utoipa::path(
    delete, path = "/v1/users/{user_id}/devices/{device_id}", tag = "devices",
    params(("user_id" = String, Path), ("device_id" = String, Path)),
    responses(
        (status = 204, description = "removed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath((user_id, device_id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    authorize(&caller, &user_id)?;
    domain::delete_device(&state, &user_id, &device_id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
