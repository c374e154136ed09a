//! The router and its shared state.

use crate::auth::Authenticator;
use crate::batch::Batches;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::KeyRing;
use crate::error::ApiError;
use crate::metrics::{self, Metrics};
use crate::routes::{backup_codes, challenges, devices, events, mfa, ops, trusted_devices, verify};
use crate::store::Store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Keys that seal device secrets.
    pub keys: Arc<KeyRing>,
    /// The configuration.
    pub config: Arc<Config>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Bearer token verification.
    pub auth: Arc<Authenticator>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Verify's reads and writes, batched across concurrent requests.
    pub batch: Arc<Batches>,
}

impl AppState {
    /// State over an open (and migrated) store.
    pub fn new(
        config: Config,
        store: Store,
        keys: KeyRing,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<AppState> {
        config.validate()?;
        Ok(AppState {
            auth: Arc::new(Authenticator::from_config(&config)?),
            batch: Arc::new(Batches::new(&store)),
            store,
            keys: Arc::new(keys),
            config: Arc::new(config),
            clock,
            metrics: Arc::new(Metrics::default()),
        })
    }
}

/// The HTTP API: `/v1` routes, operations endpoints, JSON errors for everything else.
pub fn app(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "unmatched".into());
            let request_id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            tracing::info_span!("request", method = %req.method(), route, request_id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    Router::new()
        .route(
            "/v1/users/{user_id}/devices",
            post(devices::create).get(devices::list),
        )
        .route(
            "/v1/users/{user_id}/devices/{device_id}",
            delete(devices::remove),
        )
        .route(
            "/v1/users/{user_id}/devices/{device_id}/confirm",
            post(devices::confirm),
        )
        .route("/v1/users/{user_id}/verify", post(verify::verify))
        .route("/v1/users/{user_id}/mfa", get(mfa::status))
        .route("/v1/users/{user_id}/mfa/disable", post(mfa::disable))
        .route("/v1/users/{user_id}/events", get(events::list))
        .route(
            "/v1/users/{user_id}/backup-codes",
            post(backup_codes::regenerate).get(backup_codes::status),
        )
        .route(
            "/v1/users/{user_id}/backup-codes/verify",
            post(backup_codes::verify),
        )
        .route("/v1/challenges", post(challenges::create))
        .route("/v1/challenges/{challenge_id}", get(challenges::get))
        .route(
            "/v1/challenges/{challenge_id}/verify",
            post(challenges::verify),
        )
        .route("/v1/jwks.json", get(challenges::jwks))
        .route("/v1/trusted-devices/check", post(trusted_devices::check))
        .route(
            "/v1/users/{user_id}/trusted-devices",
            get(trusted_devices::list).delete(trusted_devices::revoke_all),
        )
        .route(
            "/v1/users/{user_id}/trusted-devices/{id}",
            delete(trusted_devices::revoke),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
