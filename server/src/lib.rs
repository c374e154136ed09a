//! twostep-server: pairing and authoritative TOTP verification over HTTP.
//!
//! The library exposes the router ([`app`]), its state ([`AppState`]), the [`store::Store`]
//! over SQLite or PostgreSQL, the encryption key ring ([`crypto::KeyRing`]) and the
//! configuration ([`config::Config`]). The HTTP contract is in `API.md`; its wire types are
//! in [`api`], the only module built without the default `runtime` feature (serde alone),
//! so clients can share them. Host applications that only check the server's login
//! assertions use [`guard`] (feature `guard`, without the default `runtime`).
#![forbid(unsafe_code)]

pub mod api;

#[cfg(feature = "runtime")]
mod app;
#[cfg(feature = "runtime")]
pub mod assertion;
#[cfg(feature = "runtime")]
pub mod audit;
#[cfg(feature = "runtime")]
pub mod auth;
#[cfg(feature = "runtime")]
pub mod backup;
#[cfg(feature = "runtime")]
pub mod challenge;
#[cfg(feature = "runtime")]
pub mod cli;
#[cfg(feature = "runtime")]
pub mod client;
#[cfg(any(feature = "runtime", feature = "guard"))]
pub mod clock;
#[cfg(feature = "runtime")]
pub mod config;
#[cfg(feature = "runtime")]
pub mod crypto;
#[cfg(feature = "runtime")]
pub mod domain;
#[cfg(feature = "runtime")]
pub mod error;
#[cfg(feature = "runtime")]
pub mod extract;
#[cfg(feature = "guard")]
pub mod guard;
#[cfg(feature = "runtime")]
pub mod metrics;
#[cfg(feature = "runtime")]
pub mod openapi;
#[cfg(feature = "runtime")]
pub mod routes;
#[cfg(feature = "runtime")]
pub mod store;

#[cfg(feature = "runtime")]
pub use app::{AppState, app};
