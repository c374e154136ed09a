//! Guard for host applications: demand a recent second factor.
//!
//! A verified login challenge gives the host application an *assertion*: a JWT signed by
//! twostep-server with Ed25519 (`alg` `EdDSA`, `kid` = the signing key's id) whose claims say
//! who passed the second factor and when (`sub`, `amr`, `auth_time`, `challenge_id`, `iss`,
//! `iat`, `exp`, `jti`). Anyone can check it against the server's public keys at
//! `GET /v1/jwks.json`. This module is that check, for Rust host applications:
//!
//! - [`Verifier`] holds the JWKS (fetched from the server, refreshed when an unknown `kid`
//!   appears, at most once per interval; or built from a JWKS text for tests and offline use)
//!   and turns a token into a verified [`Assertion`] or a [`GuardError`].
//! - [`Guard`] adds where the token comes from (`Authorization: Bearer` and/or a cookie), a
//!   maximum age of the second factor and the user the host expects, and answers with
//!   401/403 JSON errors in the API's shape.
//! - [`Mfa`] and [`RecentMfa`] are Axum extractors (the `@require_2fa(max_age_hours=1)`
//!   decorator); [`RequireMfaLayer`] is a tower layer for routes or path prefixes (the
//!   protected-paths middleware).
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use std::{sync::Arc, time::Duration};
//! use twostep_server::guard::{Guard, RecentMfa, Verifier};
//!
//! async fn settings(RecentMfa(mfa): RecentMfa<3600>) -> String {
//!     format!("hello {}, second factor at {}", mfa.user_id, mfa.auth_time)
//! }
//!
//! # async fn run() -> Result<(), twostep_server::guard::JwksError> {
//! let verifier = Verifier::fetch("http://127.0.0.1:8080", "twostep").await?;
//! let guard = Guard::new(Arc::new(verifier)).with_cookie("twostep_assertion");
//! let app: Router = Router::new()
//!     .route("/settings", get(settings))
//!     .route("/admin", get(|| async { "admin" }))
//!     .layer(guard.layer(Duration::from_secs(3600)).only_paths(["/admin"]))
//!     .with_state(guard);
//! # Ok(()) }
//! ```
//!
//! The JWKS is fetched with `reqwest` built without TLS: for an `https://` server URL enable
//! one of reqwest's TLS features in the host application (Cargo unifies them).

mod http;
mod jwks;
mod token;

pub use self::http::{Guard, Mfa, RecentMfa, RequireMfa, RequireMfaLayer};
pub use self::jwks::{JwksError, Verifier};
pub use self::token::{Assertion, GuardError};
