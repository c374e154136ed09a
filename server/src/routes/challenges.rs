//! `/v1/challenges`: the second step of a login; `/v1/jwks.json`: the keys that check its
//! assertions.

use crate::AppState;
use crate::api::{
    Challenge, ChallengeCreated, ChallengeVerified, CreateChallengeRequest, ErrorBody, Jwks,
    VerifyChallengeRequest,
};
use crate::auth::Caller;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::{assertion, challenge};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Start a login challenge for a user with MFA.
#[utoipa::path(
    post, path = "/v1/challenges", tag = "challenges",
    request_body = CreateChallengeRequest,
    responses(
        (status = 201, body = ChallengeCreated),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "a user token for another user", body = ErrorBody),
        (status = 409, description = "MFA not enabled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateChallengeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let created = challenge::create(&state, &caller, client, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Where a challenge stands.
#[utoipa::path(
    get, path = "/v1/challenges/{challenge_id}", tag = "challenges",
    params(("challenge_id" = String, Path)),
    responses(
        (status = 200, body = Challenge),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "unknown or malformed id", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Challenge>, ApiError> {
    Ok(Json(challenge::get(&state, &caller, &id).await?))
}

/// Verify a challenge with a TOTP code or a backup code.
#[utoipa::path(
    post, path = "/v1/challenges/{challenge_id}/verify", tag = "challenges",
    params(("challenge_id" = String, Path)),
    request_body = VerifyChallengeRequest,
    responses(
        (status = 200, description = "verified: the assertion (and a trusted-device token)", body = ChallengeVerified),
        (status = 400, description = "not exactly one of code and backup_code, bad label", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "unknown or malformed id", body = ErrorBody),
        (status = 409, description = "already verified, failed after 5 attempts, or MFA not enabled", body = ErrorBody),
        (status = 410, description = "expired", body = ErrorBody),
        (status = 422, description = "wrong, used or out-of-window code", body = ErrorBody),
        (status = 429, description = "locked; see Retry-After", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    caller: Caller,
    client: ClientInfo,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<VerifyChallengeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let result = challenge::verify(&state, &caller, client, &id, req).await;
    state
        .metrics
        .verify_outcome(super::verify::outcome(&result));
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(result?)))
}

/// The public keys that check assertions (no authentication).
#[utoipa::path(
    get, path = "/v1/jwks.json", tag = "challenges",
    responses((status = 200, body = Jwks))
)]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(assertion::jwks(&state.keys)),
    )
}
