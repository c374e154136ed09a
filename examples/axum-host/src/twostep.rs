//! The host's calls to twostep-server, authenticated with the service key. The key stays in
//! this process: the browser only ever talks to the host.

use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// A twostep-server and the service key to act on its users.
pub struct Twostep {
    base: String,
    service_key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Twostep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twostep")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What went wrong talking to twostep.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// 422: wrong, reused or out-of-window code.
    InvalidCode,
    /// 409 or 410: the challenge is used up or expired; start the login again.
    ChallengeOver,
    /// 429: locked out for this many seconds.
    Locked(u64),
    /// Anything else: unreachable, 5xx, an unexpected answer.
    Unavailable,
}

/// The answer to a verified challenge.
#[derive(Debug, Deserialize)]
pub struct Verified {
    /// The signed assertion (a JWT).
    pub assertion: String,
    /// Set when "remember this device" was asked for.
    pub trusted_device: Option<TrustedDevice>,
}

/// A new trusted-device token.
#[derive(Debug, Deserialize)]
pub struct TrustedDevice {
    /// The token, shown once: it goes into the browser's cookie.
    pub token: String,
}

/// How the user proves the second factor.
#[derive(Debug)]
pub enum Proof<'a> {
    /// A TOTP code.
    Code(&'a str),
    /// A backup code.
    BackupCode(&'a str),
}

impl Twostep {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str, service_key: String) -> Result<Twostep, reqwest::Error> {
        Ok(Twostep {
            base: base.trim_end_matches('/').to_string(),
            service_key,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value, Option<u64>), Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.service_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|_| Failure::Unavailable)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let json = response.json().await.unwrap_or(Value::Null);
        Ok((status, json, retry_after))
    }

    /// Whether the user has an active authenticator (`GET /v1/users/{id}/mfa`).
    pub async fn mfa_enabled(&self, user: &str) -> Result<bool, Failure> {
        match self
            .send(reqwest::Method::GET, &format!("/v1/users/{user}/mfa"), None)
            .await?
        {
            (200, json, _) => json["enabled"].as_bool().ok_or(Failure::Unavailable),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Whether `token` is a valid trusted-device token of `user`.
    pub async fn is_trusted(&self, user: &str, token: &str) -> Result<bool, Failure> {
        let body = json!({ "user_id": user, "token": token });
        match self
            .send(
                reqwest::Method::POST,
                "/v1/trusted-devices/check",
                Some(body),
            )
            .await?
        {
            (200, json, _) => json["trusted"].as_bool().ok_or(Failure::Unavailable),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Starts the second step of a login; the challenge id.
    pub async fn create_challenge(
        &self,
        user: &str,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<String, Failure> {
        let mut body = json!({ "user_id": user });
        if let Some(ip) = ip {
            body["ip"] = json!(ip);
        }
        if let Some(ua) = user_agent {
            body["user_agent"] = json!(ua);
        }
        match self
            .send(reqwest::Method::POST, "/v1/challenges", Some(body))
            .await?
        {
            (201, json, _) => json["challenge_id"]
                .as_str()
                .map(str::to_string)
                .ok_or(Failure::Unavailable),
            (429, _, retry) => Err(Failure::Locked(retry.unwrap_or(60))),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Verifies the challenge with a code or backup code.
    pub async fn verify(
        &self,
        challenge_id: &str,
        proof: Proof<'_>,
        remember: Option<&str>,
    ) -> Result<Verified, Failure> {
        let mut body = match proof {
            Proof::Code(c) => json!({ "code": c }),
            Proof::BackupCode(c) => json!({ "backup_code": c }),
        };
        if let Some(label) = remember {
            body["remember_device"] = json!(true);
            body["device_label"] = json!(label);
        }
        let path = format!("/v1/challenges/{challenge_id}/verify");
        match self.send(reqwest::Method::POST, &path, Some(body)).await? {
            (200, json, _) => serde_json::from_value(json).map_err(|_| Failure::Unavailable),
            (400 | 422, _, _) => Err(Failure::InvalidCode),
            (404 | 409 | 410, _, _) => Err(Failure::ChallengeOver),
            (429, _, retry) => Err(Failure::Locked(retry.unwrap_or(60))),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Revokes every trusted device of the user.
    pub async fn forget_devices(&self, user: &str) -> Result<(), Failure> {
        let path = format!("/v1/users/{user}/trusted-devices");
        match self.send(reqwest::Method::DELETE, &path, None).await? {
            (204, _, _) => Ok(()),
            _ => Err(Failure::Unavailable),
        }
    }
}
