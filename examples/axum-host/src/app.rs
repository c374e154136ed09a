//! Routes of the demo host: password login, the twostep challenge, guarded pages, logout.

use crate::html;
use crate::twostep::{Failure, Proof, Twostep};
use crate::users::check_password;
use axum::extract::{ConnectInfo, Extension, FromRef, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use twostep_server::guard::{Assertion, Guard, Mfa, Verifier};

/// Cookie of the host's own session.
pub const SESSION_COOKIE: &str = "host_session";
/// Cookie holding the twostep assertion (read by the guard).
pub const ASSERTION_COOKIE: &str = "twostep_assertion";
/// Cookie holding the trusted-device token ("remember this device").
pub const TRUSTED_COOKIE: &str = "twostep_trusted";
/// How long a remembered device skips the code (the server's default lifetime).
const TRUSTED_MAX_AGE: u64 = 30 * 24 * 3600;
/// Sessions end after this long; a login waiting for its code after five minutes.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
const PENDING_LIFETIME: Duration = Duration::from_secs(300);

/// Settings of the host.
#[derive(Debug)]
pub struct Settings {
    /// Maximum age of the second factor on the guarded routes, in seconds.
    pub max_age_secs: u64,
    /// Whether cookies get the `Secure` attribute (serve over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Debug)]
enum Stage {
    /// Password checked; waiting for the code of this challenge.
    Pending { challenge_id: String },
    /// Signed in. `challenge_id` is set while a step-up code is awaited.
    Active { challenge_id: Option<String> },
}

#[derive(Debug)]
struct Session {
    user: String,
    stage: Stage,
    expires: Instant,
}

/// Sessions in memory, keyed by a random id (the cookie value).
#[derive(Debug, Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Session>) -> T) -> T {
        let mut map = match self.0.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        f(&mut map)
    }

    fn create(&self, user: &str, stage: Stage) -> Option<String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).ok()?;
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let lifetime = match stage {
            Stage::Pending { .. } => PENDING_LIFETIME,
            Stage::Active { .. } => SESSION_LIFETIME,
        };
        let session = Session {
            user: user.to_string(),
            stage,
            expires: Instant::now() + lifetime,
        };
        self.with(|m| m.insert(id.clone(), session));
        Some(id)
    }

    /// The user of a fully signed-in session.
    fn active_user(&self, id: &str) -> Option<String> {
        self.with(|m| match m.get(id) {
            Some(s) if matches!(s.stage, Stage::Active { .. }) => Some(s.user.clone()),
            _ => None,
        })
    }

    /// The user and the challenge awaiting a code, if any.
    fn awaiting_code(&self, id: &str) -> Option<(String, String)> {
        self.with(|m| {
            let s = m.get(id)?;
            match &s.stage {
                Stage::Pending { challenge_id }
                | Stage::Active {
                    challenge_id: Some(challenge_id),
                } => Some((s.user.clone(), challenge_id.clone())),
                Stage::Active { challenge_id: None } => None,
            }
        })
    }

    fn set_step_up(&self, id: &str, challenge: String) {
        self.with(|m| {
            if let Some(s) = m.get_mut(id) {
                s.stage = Stage::Active {
                    challenge_id: Some(challenge),
                };
            }
        });
    }

    fn remove(&self, id: &str) -> Option<String> {
        self.with(|m| m.remove(id).map(|s| s.user))
    }
}

/// Shared state of the handlers.
#[derive(Clone, Debug)]
pub struct AppState {
    twostep: Arc<Twostep>,
    sessions: Arc<Sessions>,
    settings: Arc<Settings>,
    guard: Guard,
}

impl FromRef<AppState> for Guard {
    fn from_ref(state: &AppState) -> Guard {
        state.guard.clone()
    }
}

/// The value of cookie `name` (the first one).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The router of the host, with the guard: `/account` and everything below it through the
/// layer (protected paths), `/api/me` through the [`Mfa`] extractor.
pub fn router(twostep: Twostep, verifier: Verifier, settings: Settings) -> Router {
    let sessions = Arc::new(Sessions::default());
    let for_guard = sessions.clone();
    let max_age = Duration::from_secs(settings.max_age_secs);
    let guard = Guard::new(Arc::new(verifier))
        .with_cookie(ASSERTION_COOKIE)
        .with_max_age(max_age)
        .with_expected_user(move |parts: &Parts| {
            for_guard.active_user(cookie(&parts.headers, SESSION_COOKIE)?)
        });
    let state = AppState {
        twostep: Arc::new(twostep),
        sessions,
        settings: Arc::new(settings),
        guard: guard.clone(),
    };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/login/code", get(code_form).post(verify_code))
        .route("/step-up", post(step_up))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/forget-devices", post(forget_devices))
        .route("/api/me", get(api_me))
        .layer(guard.layer(max_age).only_paths(["/account"]))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn set_cookie(
    settings: &Settings,
    name: &str,
    value: &str,
    max_age: u64,
) -> (HeaderValueName, String) {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    (
        SET_COOKIE,
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"),
    )
}

type HeaderValueName = axum::http::HeaderName;

fn redirect(to: &str, cookies: Vec<(HeaderValueName, String)>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response();
    for (name, value) in cookies {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(name, v);
        }
    }
    response
}

fn unavailable() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        html::message(
            "Try again later",
            "Two-step verification is unavailable right now.",
            "/login",
            "Back to sign in",
        ),
    )
        .into_response()
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user = cookie(&headers, SESSION_COOKIE).and_then(|id| state.sessions.active_user(id));
    let enabled = match &user {
        Some(u) => state.twostep.mfa_enabled(u).await.unwrap_or(false),
        None => false,
    };
    html::home(user.as_deref(), enabled).into_response()
}

async fn login_form() -> Response {
    html::login(None).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // Argon2 is deliberately slow: keep it off the async workers.
    let (username, password) = (form.username, form.password);
    let user = tokio::task::spawn_blocking(move || check_password(&username, &password))
        .await
        .ok()
        .flatten();
    let Some(user) = user else {
        return (
            StatusCode::UNAUTHORIZED,
            html::login(Some("Wrong user name or password.")),
        )
            .into_response();
    };
    let settings = &state.settings;
    // A new session id at every step: nothing from before the login survives it.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        state.sessions.remove(old);
    }
    let enabled = match state.twostep.mfa_enabled(user).await {
        Ok(e) => e,
        Err(_) => return unavailable(),
    };
    let trusted = match (enabled, cookie(&headers, TRUSTED_COOKIE)) {
        (true, Some(token)) => match state.twostep.is_trusted(user, token).await {
            Ok(t) => t,
            Err(_) => return unavailable(),
        },
        _ => false,
    };
    if !enabled || trusted {
        let Some(id) = state
            .sessions
            .create(user, Stage::Active { challenge_id: None })
        else {
            return unavailable();
        };
        return redirect(
            "/",
            vec![set_cookie(
                settings,
                SESSION_COOKIE,
                &id,
                SESSION_LIFETIME.as_secs(),
            )],
        );
    }
    let user_agent = user_agent(&headers, 512);
    match state
        .twostep
        .create_challenge(user, Some(peer.ip().to_string()), user_agent)
        .await
    {
        Ok(challenge_id) => match state.sessions.create(user, Stage::Pending { challenge_id }) {
            Some(id) => redirect(
                "/login/code",
                vec![set_cookie(
                    settings,
                    SESSION_COOKIE,
                    &id,
                    PENDING_LIFETIME.as_secs(),
                )],
            ),
            None => unavailable(),
        },
        Err(Failure::Locked(secs)) => locked(secs),
        Err(_) => unavailable(),
    }
}

/// The browser's user agent, printable characters only, at most `max` of them.
fn user_agent(headers: &HeaderMap, max: usize) -> Option<String> {
    let ua: String = headers
        .get(axum::http::header::USER_AGENT)?
        .to_str()
        .ok()?
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    let ua = ua.trim().to_string();
    (!ua.is_empty()).then_some(ua)
}

fn locked(secs: u64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        html::message(
            "Too many attempts",
            &format!("Too many wrong codes. Try again in {secs} seconds."),
            "/login",
            "Back to sign in",
        ),
    )
        .into_response()
}

async fn code_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match cookie(&headers, SESSION_COOKIE).and_then(|id| state.sessions.awaiting_code(id)) {
        Some(_) => html::code(None).into_response(),
        None => redirect("/login", vec![]),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    backup_code: String,
    #[serde(default)]
    remember: Option<String>,
}

async fn verify_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(session_id) = cookie(&headers, SESSION_COOKIE) else {
        return redirect("/login", vec![]);
    };
    let Some((user, challenge_id)) = state.sessions.awaiting_code(session_id) else {
        return redirect("/login", vec![]);
    };
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let backup = form.backup_code.trim();
    let proof = match (code.is_empty(), backup.is_empty()) {
        (false, true) => Proof::Code(&code),
        (true, false) => Proof::BackupCode(backup),
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                html::code(Some("Enter either a code or a backup code.")),
            )
                .into_response();
        }
    };
    // The server takes 1 to 64 printable characters as the label of a trusted device.
    let label = user_agent(&headers, 64).unwrap_or_else(|| "browser".into());
    let remember = form.remember.as_deref() == Some("on");
    let verified = match state
        .twostep
        .verify(&challenge_id, proof, remember.then_some(label.as_str()))
        .await
    {
        Ok(v) => v,
        Err(Failure::InvalidCode) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                html::code(Some("That code is not valid. Try the next one.")),
            )
                .into_response();
        }
        Err(Failure::ChallengeOver) => {
            state.sessions.remove(session_id);
            return (
                StatusCode::CONFLICT,
                html::message(
                    "Sign in again",
                    "This sign-in attempt has ended (too many tries or too much time).",
                    "/login",
                    "Sign in",
                ),
            )
                .into_response();
        }
        Err(Failure::Locked(secs)) => return locked(secs),
        Err(Failure::Unavailable) => return unavailable(),
    };
    state.sessions.remove(session_id);
    let Some(id) = state
        .sessions
        .create(&user, Stage::Active { challenge_id: None })
    else {
        return unavailable();
    };
    let settings = &state.settings;
    let mut cookies = vec![
        set_cookie(settings, SESSION_COOKIE, &id, SESSION_LIFETIME.as_secs()),
        set_cookie(
            settings,
            ASSERTION_COOKIE,
            &verified.assertion,
            settings.max_age_secs,
        ),
    ];
    if let Some(device) = verified.trusted_device {
        cookies.push(set_cookie(
            settings,
            TRUSTED_COOKIE,
            &device.token,
            TRUSTED_MAX_AGE,
        ));
    }
    redirect("/", cookies)
}

async fn step_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(session_id) = cookie(&headers, SESSION_COOKIE) else {
        return redirect("/login", vec![]);
    };
    let Some(user) = state.sessions.active_user(session_id) else {
        return redirect("/login", vec![]);
    };
    match state
        .twostep
        .create_challenge(
            &user,
            Some(peer.ip().to_string()),
            user_agent(&headers, 512),
        )
        .await
    {
        Ok(challenge) => {
            state.sessions.set_step_up(session_id, challenge);
            redirect("/login/code", vec![])
        }
        Err(Failure::Locked(secs)) => locked(secs),
        Err(_) => unavailable(),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.sessions.remove(id);
    }
    let settings = &state.settings;
    // The trusted-device cookie stays: remembering the device is the point of it.
    redirect(
        "/",
        vec![
            set_cookie(settings, SESSION_COOKIE, "", 0),
            set_cookie(settings, ASSERTION_COOKIE, "", 0),
        ],
    )
}

/// Behind the layer: only reached with a recent assertion of the signed-in user.
async fn account(State(state): State<AppState>, Extension(a): Extension<Assertion>) -> Response {
    let now = state.guard.verifier().now();
    html::account(
        &a.user_id,
        &a.amr.join(", "),
        a.age(now),
        state.settings.max_age_secs,
    )
    .into_response()
}

async fn forget_devices(
    State(state): State<AppState>,
    Extension(a): Extension<Assertion>,
) -> Response {
    match state.twostep.forget_devices(&a.user_id).await {
        Ok(()) => redirect(
            "/account",
            vec![set_cookie(&state.settings, TRUSTED_COOKIE, "", 0)],
        ),
        Err(_) => unavailable(),
    }
}

/// Through the extractor: the same requirement as `/account`, answered in JSON.
async fn api_me(State(state): State<AppState>, Mfa(a): Mfa) -> Response {
    let now = state.guard.verifier().now();
    Json(json!({
        "user_id": a.user_id,
        "amr": a.amr,
        "auth_time": a.auth_time,
        "age_secs": a.age(now),
    }))
    .into_response()
}
