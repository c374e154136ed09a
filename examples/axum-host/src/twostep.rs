//! The host's calls to twostep-server, authenticated with the service key. The key stays in
//! this process: the browser only ever talks to the host.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use twostep_server::api::{
    ChallengeCreated, ChallengeVerified, CreateChallengeRequest, MfaStatus, TrustedDeviceCheck,
    TrustedDeviceCheckRequest, VerifyChallengeRequest,
};

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

    /// Sends a request; the status, the body and `Retry-After`.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<(u16, axum::body::Bytes, Option<u64>), Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.service_key);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|_| Failure::Unavailable)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = response.bytes().await.map_err(|_| Failure::Unavailable)?;
        Ok((status, body, retry_after))
    }

    /// Whether the user has an active authenticator (`GET /v1/users/{id}/mfa`).
    pub async fn mfa_enabled(&self, user: &str) -> Result<bool, Failure> {
        let path = format!("/v1/users/{user}/mfa");
        match self.send(reqwest::Method::GET, &path, None::<&()>).await? {
            (200, body, _) => parse::<MfaStatus>(&body).map(|s| s.enabled),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Whether `token` is a valid trusted-device token of `user`.
    pub async fn is_trusted(&self, user: &str, token: &str) -> Result<bool, Failure> {
        let body = TrustedDeviceCheckRequest {
            user_id: user.into(),
            token: token.into(),
        };
        let path = "/v1/trusted-devices/check";
        match self.send(reqwest::Method::POST, path, Some(&body)).await? {
            (200, body, _) => parse::<TrustedDeviceCheck>(&body).map(|c| c.trusted),
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
        let body = CreateChallengeRequest {
            user_id: user.into(),
            ip,
            user_agent,
        };
        match self
            .send(reqwest::Method::POST, "/v1/challenges", Some(&body))
            .await?
        {
            (201, body, _) => parse::<ChallengeCreated>(&body).map(|c| c.challenge_id),
            (429, _, retry) => Err(Failure::Locked(retry.unwrap_or(60))),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Verifies the challenge with a code or backup code; with `remember` (a label for the
    /// device) the answer also carries a trusted-device token.
    pub async fn verify(
        &self,
        challenge_id: &str,
        proof: Proof<'_>,
        remember: Option<&str>,
    ) -> Result<ChallengeVerified, Failure> {
        let (code, backup_code) = match proof {
            Proof::Code(c) => (Some(c.to_string()), None),
            Proof::BackupCode(c) => (None, Some(c.to_string())),
        };
        let body = VerifyChallengeRequest {
            code,
            backup_code,
            remember_device: remember.map(|_| true),
            device_label: remember.map(str::to_string),
        };
        let path = format!("/v1/challenges/{challenge_id}/verify");
        match self.send(reqwest::Method::POST, &path, Some(&body)).await? {
            (200, body, _) => parse::<ChallengeVerified>(&body),
            (400 | 422, _, _) => Err(Failure::InvalidCode),
            (404 | 409 | 410, _, _) => Err(Failure::ChallengeOver),
            (429, _, retry) => Err(Failure::Locked(retry.unwrap_or(60))),
            _ => Err(Failure::Unavailable),
        }
    }

    /// Revokes every trusted device of the user.
    pub async fn forget_devices(&self, user: &str) -> Result<(), Failure> {
        let path = format!("/v1/users/{user}/trusted-devices");
        match self
            .send(reqwest::Method::DELETE, &path, None::<&()>)
            .await?
        {
            (204, _, _) => Ok(()),
            _ => Err(Failure::Unavailable),
        }
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|_| Failure::Unavailable)
}
