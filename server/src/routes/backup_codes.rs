//! `/v1/users/{user_id}/backup-codes`: regenerate, count, use.

use super::authorize;
use crate::AppState;
use crate::api::{
    BackupCodeStatus, BackupCodeVerifyResponse, BackupCodesResponse, CodeRequest, ErrorBody,
};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::domain;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Issue a new set of backup codes; the old set stops working.
#[utoipa::path(
    post, path = "/v1/users/{user_id}/backup-codes", tag = "backup codes",
    params(("user_id" = String, Path)),
    responses(
        (status = 201, description = "the new codes, shown only here", body = BackupCodesResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "MFA not enabled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn regenerate(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&caller, &user_id)?;
    let codes = domain::regenerate_backup_codes(&state, &user_id, &client).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(BackupCodesResponse {
            codes: codes.0.clone(),
        }),
    ))
}

/// How many backup codes are left.
#[utoipa::path(
    get, path = "/v1/users/{user_id}/backup-codes", tag = "backup codes",
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = BackupCodeStatus),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn status(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<BackupCodeStatus>, ApiError> {
    authorize(&caller, &user_id)?;
    Ok(Json(domain::backup_code_status(&state, &user_id).await?))
}

/// Use a backup code (each works once).
#[utoipa::path(
    post, path = "/v1/users/{user_id}/backup-codes/verify", tag = "backup codes",
    params(("user_id" = String, Path)),
    request_body = CodeRequest,
    responses(
        (status = 200, body = BackupCodeVerifyResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "MFA not enabled", body = ErrorBody),
        (status = 422, description = "wrong, used or malformed code", body = ErrorBody),
        (status = 429, description = "locked; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Json<BackupCodeVerifyResponse>, ApiError> {
    authorize(&caller, &user_id)?;
    let result = domain::verify_backup_code(&state, &user_id, &req.code, &client).await;
    state
        .metrics
        .verify_outcome(super::verify::outcome(&result));
    Ok(Json(BackupCodeVerifyResponse {
        valid: true,
        remaining: result?,
    }))
}
