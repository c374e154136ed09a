//! Extractors whose rejections are [`ApiError`]s (JSON bodies, never plain text).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON object body: a missing or non-JSON content type, malformed JSON, anything but an
/// object at the top, wrong types and unknown fields → 400; too large → 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 5
            && essence.is_char_boundary(essence.len() - 5)
            && essence[essence.len() - 5..].eq_ignore_ascii_case("+json")
            && essence.to_ascii_lowercase().starts_with("application/"))
}

fn is_json_request(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json)
}

impl<T: DeserializeOwned> ApiJson<T> {
    /// The body bytes and whether the content type is JSON.
    async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<(Bytes, bool), ApiError> {
        let json = is_json_request(&req);
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("the request body could not be read".into())
            }
        })?;
        Ok((bytes, json))
    }

    fn parse(bytes: &[u8], json: bool) -> Result<Self, ApiError> {
        if !json {
            return Err(ApiError::BadRequest(
                "Content-Type must be application/json".into(),
            ));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON object".into(),
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(bytes)?;
        Ok(ApiJson(value))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_request(&req) {
            return Self::parse(&[], false);
        }
        let (bytes, json) = Self::read(req, state).await?;
        Self::parse(&bytes, json)
    }
}

/// `Option<ApiJson<T>>`: an empty body is `None`; any other body is held to [`ApiJson`]'s
/// rules.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let (bytes, json) = Self::read(req, state).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        Self::parse(&bytes, json).map(Some)
    }
}

/// Path parameters; undecodable ones → 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// Query parameters; unknown or malformed ones → 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}
