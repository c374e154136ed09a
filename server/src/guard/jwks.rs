//! [`Verifier`]: the server's public keys (JWKS) and the verification of assertions.

use super::token::{Assertion, GuardError, parse};
use crate::clock::{Clock, SystemClock};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Largest JWKS document read from the server.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Why a JWKS could not be used.
#[derive(Debug)]
pub enum JwksError {
    /// The server could not be reached or did not answer 200 in time.
    Fetch(String),
    /// The document is not a JWKS of well-formed Ed25519 keys (detail says which part).
    Invalid(&'static str),
}

impl std::fmt::Display for JwksError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksError::Fetch(m) => write!(f, "cannot fetch the JWKS: {m}"),
            JwksError::Invalid(m) => write!(f, "invalid JWKS: {m}"),
        }
    }
}

impl std::error::Error for JwksError {}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(rename = "use", default)]
    use_: Option<String>,
}

type Keys = HashMap<String, VerifyingKey>;

/// Parses a JWKS: keys of other types (`RSA`, `EC`, `OKP` with `X25519`) or for other uses
/// are skipped, as RFC 7517 asks; an Ed25519 key with a missing `kid`, a bad `x`, a weak
/// (small-order) point, an `alg` other than `EdDSA` or a duplicate `kid` makes the whole
/// document invalid; so does a document without any Ed25519 signing key.
fn parse_jwks(text: &[u8]) -> Result<Keys, JwksError> {
    let set: JwkSet =
        serde_json::from_slice(text).map_err(|_| JwksError::Invalid("not a JWKS document"))?;
    let mut keys = Keys::new();
    for jwk in set.keys {
        if jwk.kty != "OKP"
            || jwk.crv.as_deref() != Some("Ed25519")
            || jwk.use_.as_deref().is_some_and(|u| u != "sig")
        {
            continue;
        }
        if jwk.alg.as_deref().is_some_and(|a| a != "EdDSA") {
            return Err(JwksError::Invalid(
                "an Ed25519 key with an alg other than EdDSA",
            ));
        }
        let kid = jwk
            .kid
            .filter(|k| !k.is_empty() && k.len() <= 128)
            .ok_or(JwksError::Invalid("an Ed25519 key without a usable kid"))?;
        let x = jwk
            .x
            .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
            .and_then(|x| <[u8; 32]>::try_from(x.as_slice()).ok())
            .ok_or(JwksError::Invalid(
                "an Ed25519 key whose x is not 32 bytes of base64url",
            ))?;
        let key = VerifyingKey::from_bytes(&x)
            .ok()
            .filter(|k| !k.is_weak())
            .ok_or(JwksError::Invalid(
                "an Ed25519 key that is not a valid point",
            ))?;
        if keys.insert(kid, key).is_some() {
            return Err(JwksError::Invalid("two keys with the same kid"));
        }
    }
    if keys.is_empty() {
        return Err(JwksError::Invalid("no Ed25519 signing key"));
    }
    Ok(keys)
}

/// Where keys come from when a token names an unknown `kid`.
struct Remote {
    url: String,
    http: reqwest::Client,
    min_refresh: Duration,
    /// When the last fetch started; the lock also makes concurrent refreshes wait for one.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl Remote {
    async fn fetch(&self) -> Result<Keys, JwksError> {
        let fetch = |e: reqwest::Error| JwksError::Fetch(e.without_url().to_string());
        let mut response = self.http.get(&self.url).send().await.map_err(fetch)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(JwksError::Fetch(format!(
                "the server answered {}",
                response.status()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch)? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(JwksError::Invalid("larger than 64 KiB"));
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }
}

/// Verifies assertions of one twostep server: its public keys, its issuer, a clock and a
/// leeway for clock skew. Share it (`Arc`) across requests.
pub struct Verifier {
    issuer: String,
    leeway: u64,
    clock: Arc<dyn Clock>,
    keys: RwLock<Arc<Keys>>,
    remote: Option<Remote>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self.current_keys().keys().cloned().collect();
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("leeway", &self.leeway)
            .field("kids", &kids)
            .field("jwks_url", &self.remote.as_ref().map(|r| &r.url))
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with the fixed keys of `jwks` (the text of a `/v1/jwks.json` answer) for
    /// assertions issued by `issuer` (the server's `issuer` setting, default `twostep`).
    pub fn from_jwks_json(jwks: &str, issuer: &str) -> Result<Verifier, JwksError> {
        Ok(Verifier {
            issuer: issuer.to_string(),
            leeway: 30,
            clock: Arc::new(SystemClock),
            keys: RwLock::new(Arc::new(parse_jwks(jwks.as_bytes())?)),
            remote: None,
        })
    }

    /// A verifier for the twostep server at `base_url` (e.g. `https://twostep.internal`):
    /// fetches `{base_url}/v1/jwks.json` now, and again when a token names a `kid` it does not
    /// know (key rotation), at most once every 30 seconds.
    pub async fn fetch(base_url: &str, issuer: &str) -> Result<Verifier, JwksError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| JwksError::Fetch(e.to_string()))?;
        let remote = Remote {
            url: format!("{}/v1/jwks.json", base_url.trim_end_matches('/')),
            http,
            min_refresh: Duration::from_secs(30),
            last_fetch: tokio::sync::Mutex::new(Some(Instant::now())),
        };
        let keys = remote.fetch().await?;
        Ok(Verifier {
            issuer: issuer.to_string(),
            leeway: 30,
            clock: Arc::new(SystemClock),
            keys: RwLock::new(Arc::new(keys)),
            remote: Some(remote),
        })
    }

    /// Uses `clock` for `exp`, `iat` and the maximum age (tests move time with
    /// [`crate::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Verifier {
        self.clock = clock;
        self
    }

    /// Tolerated clock skew in seconds for `exp`, `iat` and `auth_time` (default 30).
    pub fn with_leeway(mut self, secs: u64) -> Verifier {
        self.leeway = secs;
        self
    }

    /// Shortest interval between two fetches of the JWKS (default 30 seconds).
    pub fn with_min_refresh(mut self, interval: Duration) -> Verifier {
        if let Some(remote) = &mut self.remote {
            remote.min_refresh = interval;
        }
        self
    }

    /// The current time of this verifier's clock, in unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    fn current_keys(&self) -> Arc<Keys> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn key(&self, kid: &str) -> Option<VerifyingKey> {
        if let Some(key) = self.current_keys().get(kid) {
            return Some(*key);
        }
        let remote = self.remote.as_ref()?;
        let mut last = remote.last_fetch.lock().await;
        // Another request may have refreshed while this one waited for the lock.
        if let Some(key) = self.current_keys().get(kid) {
            return Some(*key);
        }
        if last.is_some_and(|t| t.elapsed() < remote.min_refresh) {
            return None;
        }
        *last = Some(Instant::now());
        match remote.fetch().await {
            Ok(keys) => {
                let found = keys.get(kid).copied();
                match self.keys.write() {
                    Ok(mut k) => *k = Arc::new(keys),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
                }
                found
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS refresh failed; keeping the known keys");
                None
            }
        }
    }

    /// Verifies `token`: EdDSA only, a known `kid` (refreshing the JWKS once if needed), the
    /// signature, `iss`, `exp`, `iat`, `auth_time` and the shape of the claims. Any input
    /// gives a result, never a panic.
    pub async fn verify(&self, token: &str) -> Result<Assertion, GuardError> {
        let parsed = parse(token)?;
        let key = self.key(&parsed.kid).await.ok_or(GuardError::UnknownKey)?;
        parsed.verify(&key, &self.issuer, self.clock.now(), self.leeway)
    }
}
