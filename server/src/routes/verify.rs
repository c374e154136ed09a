//! `POST /v1/users/{user_id}/verify`.

use super::authorize;
use crate::AppState;
use crate::api::{CodeRequest, ErrorBody, VerifyResponse};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::domain;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;

/// The metrics label of a code check's result.
pub(crate) fn outcome<T>(result: &Result<T, ApiError>) -> &'static str {
    match result {
        Ok(_) => "valid",
        Err(ApiError::InvalidCode) => "invalid",
        Err(ApiError::Locked { .. }) => "locked",
        Err(_) => "error",
    }
}

/// Verify a code against the user's active devices.
#[utoipa::path(
    post, path = "/v1/users/{user_id}/verify", tag = "verification",
    params(("user_id" = String, Path)),
    request_body = CodeRequest,
    responses(
        (status = 200, body = VerifyResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, description = "MFA not enabled", body = ErrorBody),
        (status = 422, description = "wrong, reused or out-of-window code", body = ErrorBody),
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
) -> Result<Json<VerifyResponse>, ApiError> {
    authorize(&caller, &user_id)?;
    let result = domain::verify(&state, &user_id, &req.code, &client).await;
    state.metrics.verify_outcome(outcome(&result));
    let device_id = result?;
    Ok(Json(VerifyResponse {
        valid: true,
        device_id,
    }))
}
