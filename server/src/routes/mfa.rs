//! `GET /v1/users/{user_id}/mfa`, `POST /v1/users/{user_id}/mfa/disable`.

use super::authorize;
use crate::AppState;
use crate::api::{DisableRequest, ErrorBody, MfaStatus};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::{challenge, domain};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// MFA status of a user.
#[utoipa::path(
    get, path = "/v1/users/{user_id}/mfa", tag = "mfa",
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = MfaStatus),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn status(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> Result<Json<MfaStatus>, ApiError> {
    authorize(&caller, &user_id)?;
    Ok(Json(domain::status(&state, &user_id).await?))
}

/// Turn MFA off: removes devices, backup codes, trusted devices and pending challenges.
#[utoipa::path(
    post, path = "/v1/users/{user_id}/mfa/disable", tag = "mfa",
    params(("user_id" = String, Path)),
    request_body(content = Option<DisableRequest>, description = "required with a user token"),
    responses(
        (status = 204, description = "MFA is off"),
        (status = 400, description = "a user token without a code", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "MFA not enabled", body = ErrorBody),
        (status = 422, description = "wrong code", body = ErrorBody),
        (status = 429, description = "locked; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn disable(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    body: Option<ApiJson<DisableRequest>>,
) -> Result<StatusCode, ApiError> {
    authorize(&caller, &user_id)?;
    let code = body.and_then(|ApiJson(req)| req.code.clone());
    challenge::disable(&state, &caller, &user_id, code.as_deref(), &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
