//! `GET /v1/users/{user_id}/mfa`.

use super::authorize;
use crate::AppState;
use crate::api::{ErrorBody, MfaStatus};
use crate::auth::Caller;
use crate::domain;
use crate::error::ApiError;
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;

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
