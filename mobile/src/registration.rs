//! Device registration against twostep-server: the app supplies the HTTP transport, the SDK
//! builds every request and reads every answer with the server's own wire types
//! ([`twostep_server::api`]).

use crate::error::TwostepError;
use crate::otp::{Totp, now};
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, PoisonError};
use twostep_server::api;
use zeroize::Zeroizing;

/// One HTTP header.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Header name (compare case-insensitively).
    pub name: String,
    /// Header value.
    pub value: String,
}

impl fmt::Debug for HttpHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.name.eq_ignore_ascii_case("authorization") {
            "[redacted]"
        } else {
            &self.value
        };
        write!(f, "{}: {value}", self.name)
    }
}

/// A request the SDK asks the app's transport to send. It carries the user token in its
/// `Authorization` header, and codes in its body: do not log it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `POST` or `DELETE`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers to send (`Authorization`, `Accept`, and `Content-Type` with a body).
    pub headers: Vec<HttpHeader>,
    /// The body (JSON), if any.
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// The answer the transport got, whatever its status: the SDK reads error answers itself.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers (the SDK reads `Retry-After`).
    pub headers: Vec<HttpHeader>,
    /// The body, empty if there was none.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &"[redacted]")
            .finish()
    }
}

/// A failure of the transport itself (no connection, TLS, timeout). Kotlin and Swift:
/// `TransportException.Failed`; Python: `TransportError.Failed`.
#[derive(Debug, PartialEq, Eq, uniffi::Error)]
pub enum TransportError {
    /// The request could not be completed.
    Failed {
        /// What went wrong, for people.
        reason: String,
    },
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Failed { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for TransportError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Failed { reason: e.reason }
    }
}

impl From<TransportError> for TwostepError {
    fn from(e: TransportError) -> Self {
        TwostepError::Transport {
            reason: e.to_string(),
        }
    }
}

/// The HTTP client of the app (OkHttp, `java.net.http`, URLSession, urllib, …). `send` is
/// called synchronously on the thread that called the SDK, so apps call the registration
/// methods off the main thread. It returns every answer it receives, 4xx and 5xx included,
/// and fails only when there is no answer.
#[uniffi::export(foreign)]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and returns the server's answer.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Whether a device still waits for its first code or is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceStatus {
    /// Created, waiting for the first code; expires after the server's pairing lifetime.
    Pending,
    /// Confirmed: its codes are accepted.
    Active,
}

/// A TOTP device of the user on the server. Never carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Device {
    /// Device id (UUID).
    pub id: String,
    /// Label given at pairing.
    pub name: String,
    /// Pending or active.
    pub status: DeviceStatus,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: u32,
    /// Time step in seconds.
    pub period: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When it was confirmed (RFC 3339, UTC).
    pub confirmed_at: Option<String>,
    /// When one of its codes was last accepted (RFC 3339, UTC).
    pub last_used_at: Option<String>,
}

impl From<api::Device> for Device {
    fn from(d: api::Device) -> Self {
        Device {
            id: d.id,
            name: d.name,
            status: match d.status {
                api::DeviceStatus::Pending => DeviceStatus::Pending,
                api::DeviceStatus::Active => DeviceStatus::Active,
            },
            algorithm: d.algorithm,
            digits: d.digits,
            period: d.period,
            created_at: d.created_at,
            confirmed_at: d.confirmed_at,
            last_used_at: d.last_used_at,
        }
    }
}

/// What [`DeviceRegistration::begin`] returns: the pending device, its key URI (holds the
/// secret: store it in the platform's secure storage, never log it) and a [`Totp`] for it.
#[derive(Clone, uniffi::Record)]
pub struct PendingDevice {
    /// The new device, status pending.
    pub device: Device,
    /// `otpauth://totp/…` with the secret.
    pub otpauth_uri: String,
    /// Codes of this device (current code, next code, countdown).
    pub totp: Arc<Totp>,
}

impl fmt::Debug for PendingDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingDevice")
            .field("device", &self.device)
            .field("otpauth_uri", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What a successful confirmation returns.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConfirmedDevice {
    /// The device, now active.
    pub device: Device,
    /// Backup codes, issued with the user's first active device and shown only now (empty
    /// if the server issued none).
    pub backup_codes: Vec<String>,
}

impl fmt::Debug for ConfirmedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmedDevice")
            .field("device", &self.device)
            .field("backup_codes", &self.backup_codes.len())
            .finish()
    }
}

/// The pairing in progress.
struct Pairing {
    device_id: String,
    totp: Arc<Totp>,
}

/// Enrols this phone as a TOTP device of one user of twostep-server, with a user token (a
/// JWT the app's backend signed for the user): [`begin`](Self::begin), then
/// [`confirm`](Self::confirm) with the code the phone computes (or
/// [`confirm_now`](Self::confirm_now), which computes it). Also lists and removes the user's
/// devices. Every method blocks on the transport: call them off the main thread.
/// Thread-safe.
#[derive(uniffi::Object)]
pub struct DeviceRegistration {
    /// `…/v1/users/{user_id}/devices`, path segment encoded.
    devices_url: String,
    authorization: Zeroizing<String>,
    transport: Arc<dyn HttpTransport>,
    pairing: Mutex<Option<Pairing>>,
}

impl fmt::Debug for DeviceRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceRegistration")
            .field("devices_url", &self.devices_url)
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl DeviceRegistration {
    /// A registration for `user_id` on the server at `base_url` (`https://host[/prefix]`),
    /// authenticated with `user_token`, sending requests through `transport`.
    #[uniffi::constructor]
    pub fn new(
        base_url: String,
        user_id: String,
        user_token: String,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, TwostepError> {
        let user_token = Zeroizing::new(user_token);
        let base = base_url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://"))
            || base.contains(['?', '#'])
        {
            return Err(TwostepError::invalid(
                "invalid_url",
                "the server URL must be http:// or https:// without query or fragment",
            ));
        }
        if user_id.is_empty() {
            return Err(TwostepError::invalid(
                "invalid_user_id",
                "the user id must not be empty",
            ));
        }
        if user_token.is_empty()
            || user_token
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(TwostepError::invalid(
                "invalid_token",
                "the user token must be one non-empty word",
            ));
        }
        Ok(DeviceRegistration {
            devices_url: format!("{base}/v1/users/{}/devices", encode_segment(&user_id)),
            authorization: Zeroizing::new(format!("Bearer {}", user_token.as_str())),
            transport,
            pairing: Mutex::new(None),
        })
    }

    /// Begins pairing a device called `name` (e.g. the phone model); `issuer` and `account`
    /// label it in authenticator apps (the server's defaults otherwise). Replaces a pairing
    /// begun earlier on this object.
    #[uniffi::method(default(issuer = None, account = None))]
    pub fn begin(
        &self,
        name: String,
        issuer: Option<String>,
        account: Option<String>,
    ) -> Result<PendingDevice, TwostepError> {
        let request = api::CreateDeviceRequest {
            name,
            issuer,
            account,
            ..api::CreateDeviceRequest::default()
        };
        let created: api::CreateDeviceResponse =
            self.call("POST", &self.devices_url, Some(&request))?;
        // The secret also sits in the key URI; wipe this copy.
        drop(Zeroizing::new(created.secret));
        let otpauth_uri = created.otpauth_uri;
        let totp = Arc::new(Totp::from_uri(otpauth_uri.clone())?);
        let device = Device::from(created.device);
        *self.lock() = Some(Pairing {
            device_id: device.id.clone(),
            totp: Arc::clone(&totp),
        });
        Ok(PendingDevice {
            device,
            otpauth_uri,
            totp,
        })
    }

    /// Confirms the pending device with `code`. A wrong code is
    /// [`TwostepError::InvalidCode`] (the pairing stays open for another try); a pairing past
    /// its lifetime is [`TwostepError::Expired`]; too many failures are
    /// [`TwostepError::Locked`].
    pub fn confirm(&self, code: String) -> Result<ConfirmedDevice, TwostepError> {
        let device_id = self.pending()?.device_id;
        let url = format!(
            "{}/{}/confirm",
            self.devices_url,
            encode_segment(&device_id)
        );
        let confirmed: api::ConfirmDeviceResponse =
            self.call("POST", &url, Some(&api::CodeRequest { code }))?;
        let mut pairing = self.lock();
        if pairing.as_ref().is_some_and(|p| p.device_id == device_id) {
            *pairing = None;
        }
        Ok(ConfirmedDevice {
            device: confirmed.device.into(),
            backup_codes: confirmed.backup_codes.unwrap_or_default(),
        })
    }

    /// Confirms the pending device with the code this phone computes for `unix`.
    pub fn confirm_at(&self, unix: u64) -> Result<ConfirmedDevice, TwostepError> {
        let code = self.pending()?.totp.code_at(unix);
        self.confirm(code)
    }

    /// Confirms the pending device with the code this phone computes now (device clock).
    pub fn confirm_now(&self) -> Result<ConfirmedDevice, TwostepError> {
        self.confirm_at(now())
    }

    /// The user's devices: active ones and pending ones that have not expired, oldest first.
    pub fn devices(&self) -> Result<Vec<Device>, TwostepError> {
        let list: api::DeviceList = self.call("GET", &self.devices_url, None::<&()>)?;
        Ok(list.devices.into_iter().map(Device::from).collect())
    }

    /// Removes the device `device_id` of the user.
    pub fn remove_device(&self, device_id: String) -> Result<(), TwostepError> {
        let url = format!("{}/{}", self.devices_url, encode_segment(&device_id));
        self.send("DELETE", &url, None::<&()>).map(drop)
    }
}

impl DeviceRegistration {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Pairing>> {
        self.pairing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pending(&self) -> Result<Pairing, TwostepError> {
        self.lock()
            .as_ref()
            .map(|p| Pairing {
                device_id: p.device_id.clone(),
                totp: Arc::clone(&p.totp),
            })
            .ok_or_else(|| TwostepError::invalid("no_pending_device", "call begin before confirm"))
    }

    /// Sends a request and reads a 2xx answer as `T`.
    fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        url: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, TwostepError> {
        let response = self.send(method, url, body)?;
        serde_json::from_slice(&response.body).map_err(|_| invalid_response(response.status))
    }

    /// Sends a request; a 2xx answer, or the error it stands for.
    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Answer, TwostepError> {
        let mut headers = vec![
            header("Authorization", self.authorization.as_str()),
            header("Accept", "application/json"),
        ];
        let body = match body {
            Some(body) => {
                headers.push(header("Content-Type", "application/json"));
                // Serialising plain structs of strings and numbers cannot fail.
                Some(serde_json::to_vec(body).map_err(|_| invalid_response(0))?)
            }
            None => None,
        };
        let response = self.transport.send(HttpRequest {
            method: method.to_owned(),
            url: url.to_owned(),
            headers,
            body,
        })?;
        let response = Answer {
            status: response.status,
            retry_after: response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("retry-after"))
                .and_then(|h| h.value.trim().parse().ok()),
            body: Zeroizing::new(response.body),
        };
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        Err(
            match serde_json::from_slice::<api::ErrorBody>(&response.body) {
                Ok(e) => TwostepError::from_server(
                    response.status,
                    &e.error.code,
                    &e.error.message,
                    response.retry_after,
                ),
                Err(_) => invalid_response(response.status),
            },
        )
    }
}

/// An answer whose body is wiped when dropped (it may hold the secret).
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Zeroizing<Vec<u8>>,
}

fn invalid_response(status: u16) -> TwostepError {
    TwostepError::Server {
        code: "invalid_response".to_owned(),
        reason: format!("the server's answer (HTTP {status}) could not be read"),
        status,
    }
}

fn header(name: &str, value: &str) -> HttpHeader {
    HttpHeader {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// Percent-encodes one URL path segment (RFC 3986: everything but unreserved characters).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("alice"), "alice");
        assert_eq!(encode_segment("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }

    #[test]
    fn debug_hides_the_token_and_bodies() {
        let request = HttpRequest {
            method: "POST".into(),
            url: "http://x".into(),
            headers: vec![header("Authorization", "Bearer secret-token")],
            body: Some(b"{\"code\":\"123456\"}".to_vec()),
        };
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("secret-token") && !shown.contains("123456"),
            "{shown}"
        );
    }
}
