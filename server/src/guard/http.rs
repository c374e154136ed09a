//! The HTTP side of the guard: where the token comes from, the policy (maximum age, expected
//! user), the Axum extractors, the tower layer and the 401/403 responses.

use super::jwks::Verifier;
use super::token::{Assertion, GuardError, MAX_TOKEN_LEN};
use crate::api::{ErrorBody, ErrorDetail};
use axum::Json;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Returns the id of the user logged in to the host application for this request, if any.
type ExpectedUser = dyn Fn(&Parts) -> Option<String> + Send + Sync;

struct Inner {
    verifier: Arc<Verifier>,
    cookie: Option<String>,
    max_age: Option<u64>,
    expected_user: Option<Arc<ExpectedUser>>,
}

/// The guard's configuration: a [`Verifier`], where the assertion is read from, the default
/// maximum age of the second factor and the user the host expects. Cheap to clone; put it in
/// (or make it reachable by `FromRef` from) the router state for the extractors.
#[derive(Clone)]
pub struct Guard(Arc<Inner>);

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("verifier", &self.0.verifier)
            .field("cookie", &self.0.cookie)
            .field("max_age", &self.0.max_age)
            .field("expected_user", &self.0.expected_user.is_some())
            .finish()
    }
}

impl Guard {
    /// A guard that reads `Authorization: Bearer <assertion>`, with no maximum age (the
    /// assertion's own `exp` still applies) and any user.
    pub fn new(verifier: Arc<Verifier>) -> Guard {
        Guard(Arc::new(Inner {
            verifier,
            cookie: None,
            max_age: None,
            expected_user: None,
        }))
    }

    fn edit(self, f: impl FnOnce(&mut Inner)) -> Guard {
        let mut inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| Inner {
            verifier: shared.verifier.clone(),
            cookie: shared.cookie.clone(),
            max_age: shared.max_age,
            expected_user: shared.expected_user.clone(),
        });
        f(&mut inner);
        Guard(Arc::new(inner))
    }

    /// Also reads the assertion from the cookie `name` when there is no bearer token.
    pub fn with_cookie(self, name: &str) -> Guard {
        let name = name.to_string();
        self.edit(|i| i.cookie = Some(name))
    }

    /// The maximum age of the second factor for [`Mfa`] (and layers made without one).
    pub fn with_max_age(self, max_age: Duration) -> Guard {
        self.edit(|i| i.max_age = Some(max_age.as_secs()))
    }

    /// Requires `sub` to be the user `user_of(request)` names: the host's logged-in user.
    /// When it returns `None` (nobody logged in) the request is refused with 401.
    pub fn with_expected_user(
        self,
        user_of: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> Guard {
        self.edit(|i| i.expected_user = Some(Arc::new(user_of)))
    }

    /// The verifier (for its clock, or to verify a token by hand).
    pub fn verifier(&self) -> &Verifier {
        &self.0.verifier
    }

    /// Finds, verifies and checks the assertion of a request: 401-class errors for a
    /// missing or invalid one, [`GuardError::TooOld`] when `now - auth_time > max_age`,
    /// [`GuardError::WrongUser`] when `sub` is not the expected user.
    pub async fn check(
        &self,
        parts: &Parts,
        max_age: Option<u64>,
    ) -> Result<Assertion, GuardError> {
        let token = find_token(&parts.headers, self.0.cookie.as_deref())?;
        let assertion = self.0.verifier.verify(&token).await?;
        if let Some(user_of) = &self.0.expected_user {
            let expected = user_of(parts).ok_or(GuardError::NoUser)?;
            if expected != assertion.user_id {
                return Err(GuardError::WrongUser);
            }
        }
        if let Some(max) = max_age.or(self.0.max_age)
            && assertion.age(self.0.verifier.now()) > max
        {
            return Err(GuardError::TooOld);
        }
        Ok(assertion)
    }

    /// A layer that refuses every request without an assertion younger than `max_age`.
    pub fn layer(&self, max_age: Duration) -> RequireMfaLayer {
        RequireMfaLayer {
            guard: self.clone(),
            max_age: Some(max_age.as_secs()),
            paths: None,
        }
    }
}

/// The bearer token, else the cookie. Two `Authorization` headers, a bearer scheme with an
/// empty or oversized token, or the cookie present twice are malformed, not missing.
fn find_token(headers: &HeaderMap, cookie: Option<&str>) -> Result<String, GuardError> {
    let mut auth = headers.get_all(header::AUTHORIZATION).iter();
    if let Some(value) = auth.next() {
        if auth.next().is_some() {
            return Err(GuardError::Malformed);
        }
        let value = value.to_str().map_err(|_| GuardError::Malformed)?;
        if let Some((scheme, token)) = value.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            let token = token.trim();
            if token.is_empty() || token.len() > MAX_TOKEN_LEN {
                return Err(GuardError::Malformed);
            }
            return Ok(token.to_string());
        }
    }
    let Some(name) = cookie else {
        return Err(GuardError::Missing);
    };
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some((n, v)) = pair.trim().split_once('=')
                && n == name
            {
                if found.is_some() {
                    return Err(GuardError::Malformed);
                }
                found = Some(v.trim_matches('"').to_string());
            }
        }
    }
    match found {
        Some(v) if v.is_empty() => Err(GuardError::Missing),
        Some(v) if v.len() > MAX_TOKEN_LEN => Err(GuardError::Malformed),
        Some(v) => Ok(v),
        None => Err(GuardError::Missing),
    }
}

impl IntoResponse for GuardError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().into(),
                message: self.message().into(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// Extractor: the request carries a valid assertion for the expected user, younger than the
/// guard's maximum age (if it has one). Needs `Guard: FromRef<S>`.
#[derive(Clone, Debug)]
pub struct Mfa(pub Assertion);

impl<S: Send + Sync> FromRequestParts<S> for Mfa
where
    Guard: FromRef<S>,
{
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, GuardError> {
        Guard::from_ref(state).check(parts, None).await.map(Mfa)
    }
}

/// Extractor: as [`Mfa`], with the second factor at most `MAX_AGE_SECS` seconds old — the
/// `@require_2fa(max_age_hours=1)` of a handler is `RecentMfa<3600>`.
#[derive(Clone, Debug)]
pub struct RecentMfa<const MAX_AGE_SECS: u64>(pub Assertion);

impl<S: Send + Sync, const MAX_AGE_SECS: u64> FromRequestParts<S> for RecentMfa<MAX_AGE_SECS>
where
    Guard: FromRef<S>,
{
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, GuardError> {
        Guard::from_ref(state)
            .check(parts, Some(MAX_AGE_SECS))
            .await
            .map(RecentMfa)
    }
}

/// Tower layer: refuses requests without a recent enough assertion (401/403 JSON) and puts
/// the verified [`Assertion`] into the request extensions of those it lets through. Use it
/// with `Router::route_layer` on the routes to protect, or with [`RequireMfaLayer::only_paths`]
/// to protect path prefixes of a whole router (the protected-paths middleware).
#[derive(Clone, Debug)]
pub struct RequireMfaLayer {
    guard: Guard,
    max_age: Option<u64>,
    paths: Option<Arc<[String]>>,
}

impl RequireMfaLayer {
    /// Checks only requests whose path is one of `prefixes` or below one (`/admin` covers
    /// `/admin` and `/admin/users`, not `/administrator`). Paths are compared as received,
    /// exactly as Axum's router matches them.
    pub fn only_paths<I, P>(mut self, prefixes: I) -> RequireMfaLayer
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.paths = Some(prefixes.into_iter().map(Into::into).collect());
        self
    }

    fn applies_to(&self, path: &str) -> bool {
        self.paths.as_ref().is_none_or(|prefixes| {
            prefixes.iter().any(|p| {
                let p = p.trim_end_matches('/');
                path == p
                    || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
                    || p.is_empty()
            })
        })
    }
}

impl<S> tower::Layer<S> for RequireMfaLayer {
    type Service = RequireMfa<S>;

    fn layer(&self, inner: S) -> RequireMfa<S> {
        RequireMfa {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`RequireMfaLayer`].
#[derive(Clone, Debug)]
pub struct RequireMfa<S> {
    inner: S,
    layer: RequireMfaLayer,
}

impl<S, B> tower::Service<Request<B>> for RequireMfa<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone is the one that gets ready next; this one (ready) serves the request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !self.layer.applies_to(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let guard = self.layer.guard.clone();
        let max_age = self.layer.max_age;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match guard.check(&parts, max_age).await {
                Ok(assertion) => {
                    parts.extensions.insert(assertion);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(e) => Ok(e.into_response()),
            }
        })
    }
}
