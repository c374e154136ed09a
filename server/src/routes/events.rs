//! `GET /v1/users/{user_id}/events`: the audit log, newest first.

use super::authorize;
use crate::AppState;
use crate::api::{ErrorBody, EventList};
use crate::auth::Caller;
use crate::domain;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;

/// Events per page when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Most events per page.
pub const MAX_LIMIT: u32 = 200;

/// Query of `GET .../events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Only events older than this event id (the last id of the previous page).
    pub before: Option<String>,
}

/// The user's audit events, newest first.
#[utoipa::path(
    get, path = "/v1/users/{user_id}/events", tag = "audit",
    params(("user_id" = String, Path), EventsQuery),
    responses(
        (status = 200, body = EventList),
        (status = 400, description = "bad limit or before", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<EventList>, ApiError> {
    authorize(&caller, &user_id)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let before = match query.before.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0 && text.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ApiError::BadRequest("before must be an event id".into()))?,
        ),
    };
    let events = domain::list_events(&state, &user_id, before, limit).await?;
    Ok(Json(EventList { events }))
}
