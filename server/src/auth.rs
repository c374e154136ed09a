//! Authentication: service keys (any user) and user JWTs (their own user only).

use crate::AppState;
use crate::config::Config;
use crate::error::ApiError;
use anyhow::{Context, Result};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A product backend with a service key: may act on any user.
    Service,
    /// A user token: may act only on this user id (`sub`).
    User(String),
}

impl Caller {
    /// 403 unless the caller may act on `user_id`.
    pub fn may_act_on(&self, user_id: &str) -> Result<(), ApiError> {
        match self {
            Caller::Service => Ok(()),
            Caller::User(sub) if sub == user_id => Ok(()),
            Caller::User(_) => Err(ApiError::Forbidden),
        }
    }
}

/// Verifies bearer tokens.
pub struct Authenticator {
    service_key_hashes: Vec<[u8; 32]>,
    jwt_keys: Vec<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("service_keys", &self.service_key_hashes.len())
            .field(
                "jwt_algorithms",
                &self.jwt_keys.iter().map(|(a, _)| a).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
}

impl Authenticator {
    /// From the service keys and JWT keys in `config`.
    pub fn from_config(config: &Config) -> Result<Authenticator> {
        let mut jwt_keys = Vec::new();
        if let Some(secret) = &config.jwt_hs256_secret {
            anyhow::ensure!(
                secret.len() >= 32,
                "jwt_hs256_secret must have at least 32 characters"
            );
            jwt_keys.push((
                Algorithm::HS256,
                DecodingKey::from_secret(secret.as_bytes()),
            ));
        }
        if let Some(pem) = &config.jwt_ed25519_public_key {
            let key = DecodingKey::from_ed_pem(pem.as_bytes())
                .context("jwt_ed25519_public_key is not an Ed25519 public key in PEM")?;
            jwt_keys.push((Algorithm::EdDSA, key));
        }
        if let Some(pem) = &config.jwt_rs256_public_key {
            let key = DecodingKey::from_rsa_pem(pem.as_bytes())
                .context("jwt_rs256_public_key is not an RSA public key in PEM")?;
            jwt_keys.push((Algorithm::RS256, key));
        }
        Ok(Authenticator {
            service_key_hashes: config
                .service_keys
                .iter()
                .map(|k| sha256(k.as_bytes()))
                .collect(),
            jwt_keys,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway_secs,
        })
    }

    /// The caller a bearer token stands for, at time `now`.
    pub fn authenticate(&self, token: &str, now: u64) -> Option<Caller> {
        // Compare digests of every configured key without stopping early, so timing tells
        // neither which key nor how much of it matched.
        let presented = sha256(token.as_bytes());
        let mut matched = subtle::Choice::from(0);
        for key in &self.service_key_hashes {
            matched |= key.ct_eq(&presented);
        }
        if bool::from(matched) {
            return Some(Caller::Service);
        }
        self.user_token(token, now).map(Caller::User)
    }

    fn user_token(&self, token: &str, now: u64) -> Option<String> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let (alg, key) = self.jwt_keys.iter().find(|(alg, _)| *alg == header.alg)?;
        let mut validation = Validation::new(*alg);
        // exp and nbf are checked below against the server's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        match &self.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .ok()?
            .claims;
        if claims.exp.saturating_add(self.leeway) <= now {
            return None;
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return None;
        }
        crate::domain::valid_user_id(&claims.sub).then_some(claims.sub)
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        state
            .auth
            .authenticate(token, state.clock.now())
            .ok_or(ApiError::Unauthorized)
    }
}
