//! [`ApiError`]: every failure of the HTTP API, mapped in one place to a status and the
//! `{"error": {"code", "message"}}` body.

use crate::api::{ErrorBody, ErrorDetail};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An API failure.
#[derive(Debug)]
pub enum ApiError {
    /// 400: malformed JSON, wrong types, field out of range.
    BadRequest(String),
    /// 401: missing or invalid credentials.
    Unauthorized,
    /// 403: a user token acting on another user.
    Forbidden,
    /// 404: unknown resource.
    NotFound(&'static str),
    /// 405: the route exists with other methods.
    MethodNotAllowed,
    /// 409: the state does not allow it.
    Conflict(&'static str),
    /// 410: the pairing is past its lifetime.
    Expired(&'static str),
    /// 413: the body is larger than the configured limit.
    PayloadTooLarge,
    /// 422: the code is wrong, reused or outside the window (never says which).
    InvalidCode,
    /// 429: locked out for this many more seconds.
    Locked {
        /// Seconds until the lock ends.
        retry_after: u64,
    },
    /// 503: the database is not reachable (readiness).
    Unavailable,
    /// 500: logged with its detail; the client sees a generic message.
    Internal(anyhow::Error),
}

impl ApiError {
    /// Status, stable code and message.
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or invalid credentials".into(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "this token may not act on this user".into(),
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed on this path".into(),
            ),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", (*m).into()),
            ApiError::Expired(m) => (StatusCode::GONE, "expired", (*m).into()),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is too large".into(),
            ),
            ApiError::InvalidCode => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_code",
                "the code is not valid".into(),
            ),
            ApiError::Locked { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                format!("too many failed attempts; try again in {retry_after} s"),
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is not reachable".into(),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
            ),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Locked { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("Content-Type must be application/json".into())
            }
            // serde's messages name the field and the problem, never the value of a string.
            JsonRejection::JsonDataError(e) => ApiError::BadRequest(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest(e.body_text()),
            _ => ApiError::BadRequest("the request body could not be read".into()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::BadRequest("invalid path parameter".into())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}
