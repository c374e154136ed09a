//! `twostep_server::guard` against assertions made by an independent implementation: the
//! `jsonwebtoken` crate signs them with the Ed25519 key pair of RFC 8037 appendix A (so the
//! public key in the JWKS is the RFC's, not one we derived), and hand-built tokens cover what
//! no honest signer emits (`alg: none`, HS256 keyed with the public key, extra header fields).
#![cfg(feature = "guard")]
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tower::ServiceExt;
use twostep_server::clock::ManualClock;
use twostep_server::guard::{Assertion, Guard, GuardError, JwksError, Mfa, RecentMfa, Verifier};

/// RFC 8037 A.1: the Ed25519 private key `d` and public key `x`.
const RFC_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const KID: &str = "k1";
const ISS: &str = "twostep";
/// 2026-11-24T12:00:00Z.
const NOW: u64 = 1_795_521_600;

/// PKCS#8 (RFC 8410) wrapping of a raw Ed25519 seed, the form jsonwebtoken signs with.
fn pkcs8(seed: &[u8]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

fn rfc_key() -> EncodingKey {
    EncodingKey::from_ed_der(&pkcs8(&B64.decode(RFC_D).unwrap()))
}

fn jwks() -> String {
    json!({"keys": [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
        {"kty": "OKP", "crv": "Ed25519", "x": RFC_X, "kid": KID, "alg": "EdDSA", "use": "sig"}
    ]})
    .to_string()
}

fn claims(sub: &str, auth_time: u64) -> Value {
    json!({
        "iss": ISS, "sub": sub, "amr": ["otp"], "auth_time": auth_time,
        "challenge_id": "5b0e8f1c-1111-4222-8333-944455556666",
        "iat": auth_time, "exp": auth_time + 600, "jti": "b3f1c2d4e5f60718",
    })
}

fn sign_with(key: &EncodingKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(&rfc_key(), Some(KID), claims)
}

/// A token from raw header and payload JSON and raw signature bytes.
fn raw_token(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        B64.encode(header.to_string()),
        B64.encode(payload.to_string()),
        B64.encode(signature)
    )
}

fn verifier(clock: &Arc<ManualClock>) -> Verifier {
    Verifier::from_jwks_json(&jwks(), ISS)
        .unwrap()
        .with_clock(clock.clone())
        .with_leeway(5)
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

#[tokio::test]
async fn valid_assertion_gives_its_claims() {
    let v = verifier(&clock());
    let a = v.verify(&sign(&claims("alice", NOW - 10))).await.unwrap();
    assert_eq!(
        a,
        Assertion {
            user_id: "alice".into(),
            amr: vec!["otp".into()],
            auth_time: NOW - 10,
            challenge_id: "5b0e8f1c-1111-4222-8333-944455556666".into(),
            issued_at: NOW - 10,
            expires_at: NOW + 590,
            id: "b3f1c2d4e5f60718".into(),
        }
    );
    assert_eq!(a.age(NOW), 10);
}

#[tokio::test]
async fn tampered_payload_and_wrong_key_are_forgeries() {
    let v = verifier(&clock());
    let good = sign(&claims("alice", NOW));
    let (h, rest) = good.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let other = B64.encode(claims("mallory", NOW).to_string());
    assert_eq!(
        v.verify(&format!("{h}.{other}.{s}")).await,
        Err(GuardError::BadSignature)
    );
    let stranger = EncodingKey::from_ed_der(&pkcs8(&[7u8; 32]));
    let forged = sign_with(&stranger, Some(KID), &claims("alice", NOW));
    assert_eq!(v.verify(&forged).await, Err(GuardError::BadSignature));
}

#[tokio::test]
async fn only_eddsa_is_accepted() {
    let v = verifier(&clock());
    let c = claims("alice", NOW);
    // alg none with an empty signature, and with the genuine EdDSA signature attached.
    let none = raw_token(&json!({"alg": "none", "kid": KID}), &c, &[]);
    assert_eq!(v.verify(&none).await, Err(GuardError::UnsupportedAlgorithm));
    let good = sign(&c);
    let sig = good.rsplit('.').next().unwrap();
    let none_sig = format!(
        "{}.{}",
        raw_token(&json!({"alg": "none", "typ": "JWT", "kid": KID}), &c, &[])
            .rsplit_once('.')
            .unwrap()
            .0,
        sig
    );
    assert_eq!(
        v.verify(&none_sig).await,
        Err(GuardError::UnsupportedAlgorithm)
    );
    // HS256 keyed with the public key bytes (the classic key-confusion attack).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.into());
    let hs = jsonwebtoken::encode(
        &header,
        &c,
        &EncodingKey::from_secret(&B64.decode(RFC_X).unwrap()),
    )
    .unwrap();
    assert_eq!(v.verify(&hs).await, Err(GuardError::UnsupportedAlgorithm));
    for alg in ["eddsa", "Ed25519", "HS512", "RS256", "ES256", ""] {
        let t = raw_token(&json!({"alg": alg, "kid": KID}), &c, &[0u8; 64]);
        assert_eq!(
            v.verify(&t).await,
            Err(GuardError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn header_must_be_exactly_the_contract() {
    let v = verifier(&clock());
    let c = claims("alice", NOW);
    let missing_kid = sign_with(&rfc_key(), None, &c);
    assert_eq!(v.verify(&missing_kid).await, Err(GuardError::Malformed));
    let unknown = sign_with(&rfc_key(), Some("k9"), &c);
    assert_eq!(v.verify(&unknown).await, Err(GuardError::UnknownKey));
    for header in [
        json!({"alg": "EdDSA", "kid": KID, "crit": ["exp"]}),
        json!({"alg": "EdDSA", "kid": KID, "jku": "https://evil.test/jwks"}),
        json!({"alg": "EdDSA", "kid": KID, "typ": "at+jwt"}),
        json!({"alg": "EdDSA", "kid": ""}),
        json!({"alg": "EdDSA", "kid": 1}),
        json!(["EdDSA"]),
    ] {
        let t = raw_token(&header, &c, &[0u8; 64]);
        assert_eq!(v.verify(&t).await, Err(GuardError::Malformed), "{header}");
    }
}

#[tokio::test]
async fn time_and_issuer_claims() {
    let clock = clock();
    let v = verifier(&clock);
    let t = sign(&claims("alice", NOW - 600));
    // exp = NOW: inside the 5 s leeway, then refused.
    assert!(v.verify(&t).await.is_ok());
    clock.set(NOW + 5);
    assert_eq!(v.verify(&t).await, Err(GuardError::Expired));
    clock.set(NOW);
    let future = sign(&claims("alice", NOW + 60));
    assert_eq!(v.verify(&future).await, Err(GuardError::NotYetValid));
    let mut c = claims("alice", NOW);
    c["iss"] = json!("someone-else");
    assert_eq!(v.verify(&sign(&c)).await, Err(GuardError::WrongIssuer));
    // Claims that are signed but not an assertion's.
    for (field, value) in [
        ("amr", json!([])),
        ("amr", json!("otp")),
        ("sub", json!("")),
        ("sub", json!(42)),
        ("auth_time", json!(-1)),
        ("auth_time", json!(1.5)),
        ("exp", json!(NOW - 700)),
        ("jti", Value::Null),
    ] {
        let mut c = claims("alice", NOW);
        c[field] = value.clone();
        assert_eq!(
            v.verify(&sign(&c)).await,
            Err(GuardError::Malformed),
            "{field}={value}"
        );
    }
    let mut c = claims("alice", NOW);
    c.as_object_mut().unwrap().remove("auth_time");
    assert_eq!(v.verify(&sign(&c)).await, Err(GuardError::Malformed));
    // Unknown claims are ignored.
    let mut c = claims("alice", NOW);
    c["acr"] = json!("mfa");
    assert!(v.verify(&sign(&c)).await.is_ok());
}

#[tokio::test]
async fn garbage_is_malformed() {
    let v = verifier(&clock());
    let good = sign(&claims("alice", NOW));
    for t in [
        "garbage".to_string(),
        format!("{good}."),
        format!(".{good}"),
        good.replace('.', ".."),
        format!("{good}=="),
        good.replacen('.', "=.", 1),
        "e30.e30.".to_string(),
        "\u{0}\u{1}.\u{ff}.x".to_string(),
    ] {
        assert_eq!(v.verify(&t).await, Err(GuardError::Malformed), "{t:?}");
    }
}

#[test]
fn jwks_documents_are_checked() {
    let ed = |extra: Value| {
        let mut k = json!({"kty": "OKP", "crv": "Ed25519", "x": RFC_X, "kid": KID});
        for (name, v) in extra.as_object().unwrap() {
            k[name] = v.clone();
        }
        json!({"keys": [k]}).to_string()
    };
    assert!(Verifier::from_jwks_json(&ed(json!({})), ISS).is_ok());
    // The identity point (small order) is weak; a 31-byte x is not a key.
    let identity = {
        let mut b = [0u8; 32];
        b[0] = 1;
        B64.encode(b)
    };
    for bad in [
        ed(json!({"x": identity})),
        ed(json!({"x": B64.encode([9u8; 31])})),
        ed(json!({"x": "not base64!"})),
        ed(json!({"kid": Value::Null})),
        ed(json!({"alg": "HS256"})),
        json!({"keys": []}).to_string(),
        json!({"keys": [{"kty": "OKP", "crv": "X25519", "x": RFC_X, "kid": "x"}]}).to_string(),
        json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": RFC_X, "kid": KID},
            {"kty": "OKP", "crv": "Ed25519", "x": RFC_X, "kid": KID}
        ]})
        .to_string(),
        "{}".into(),
        "[]".into(),
        "".into(),
    ] {
        assert!(
            matches!(
                Verifier::from_jwks_json(&bad, ISS),
                Err(JwksError::Invalid(_))
            ),
            "{bad}"
        );
    }
}

/// One valid assertion, signed once for all property cases.
static VALID: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| sign(&claims("alice", NOW)));

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any text is refused without a panic.
    #[test]
    fn any_text_is_refused(text in ".{0,300}", dots in "[A-Za-z0-9_.-]{0,300}") {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let v = verifier(&clock());
        prop_assert!(rt.block_on(v.verify(&text)).is_err());
        prop_assert!(rt.block_on(v.verify(&dots)).is_err());
    }

    /// Changing any one character of a valid assertion makes it invalid.
    #[test]
    fn any_altered_character_is_refused(index in 0usize..1000, replacement in "[A-Za-z0-9_.=+/ -]") {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let v = verifier(&clock());
        let good = VALID.as_str();
        let index = index % good.len();
        let mut altered = good.to_string();
        altered.replace_range(index..index + 1, &replacement);
        prop_assume!(altered != good);
        prop_assert!(rt.block_on(v.verify(&altered)).is_err());
    }
}

// ---- The HTTP side: extractors and layer in a router ----

async fn handler_mfa(Mfa(a): Mfa) -> Json<Value> {
    Json(json!({"user": a.user_id, "via": "extractor"}))
}

async fn handler_recent(RecentMfa(a): RecentMfa<60>) -> Json<Value> {
    Json(json!({"user": a.user_id, "via": "recent"}))
}

async fn handler_layer(Extension(a): Extension<Assertion>) -> Json<Value> {
    Json(json!({"user": a.user_id, "via": "layer"}))
}

/// A router whose logged-in user is the `x-user` header (the host's session in real apps).
fn router(clock: &Arc<ManualClock>) -> Router {
    let guard = Guard::new(Arc::new(verifier(clock)))
        .with_cookie("twostep_assertion")
        .with_max_age(Duration::from_secs(3600))
        .with_expected_user(|parts| {
            parts
                .headers
                .get("x-user")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
    Router::new()
        .route("/mfa", get(handler_mfa))
        .route("/recent", get(handler_recent))
        .route("/admin", get(handler_layer))
        .route("/admin/users", get(handler_layer))
        .route("/administrator", get(|| async { "not protected" }))
        .route("/public", get(|| async { "public" }))
        .layer(guard.layer(Duration::from_secs(120)).only_paths(["/admin"]))
        .with_state(guard)
}

async fn call(router: &Router, path: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(
            resp.headers().get("www-authenticate").unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }
    if !status.is_success() {
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert_eq!(resp.headers().get("cache-control").unwrap(), "no-store");
    }
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

fn assert_error(reply: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(reply.0, status, "{}", reply.1);
    assert_eq!(reply.1["error"]["code"], code, "{}", reply.1);
    assert!(
        reply.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(reply.1.as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn extractors_and_layer_answer_401_403_as_documented() {
    let clock = clock();
    let app = router(&clock);
    let alice = sign(&claims("alice", NOW));
    let bearer = format!("Bearer {alice}");
    let cookie = format!("theme=dark; twostep_assertion={alice}; other=1");
    let user = ("x-user", "alice");

    for path in ["/mfa", "/recent", "/admin", "/admin/users"] {
        // Missing, then bearer and cookie both accepted.
        assert_error(
            &call(&app, path, &[user]).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        let ok = call(&app, path, &[user, ("authorization", &bearer)]).await;
        assert_eq!(ok.0, StatusCode::OK, "{path}: {}", ok.1);
        assert_eq!(ok.1["user"], "alice");
        let ok = call(&app, path, &[user, ("cookie", &cookie)]).await;
        assert_eq!(ok.0, StatusCode::OK, "{path}: {}", ok.1);
        // Another user's assertion → 403; nobody logged in → 401; garbage → 401.
        let r = call(&app, path, &[("x-user", "bob"), ("authorization", &bearer)]).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        assert!(
            r.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("fresh second factor")
        );
        let r = call(&app, path, &[("authorization", &bearer)]).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
        let r = call(&app, path, &[user, ("authorization", "Bearer x.y.z")]).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(
        call(&app, "/mfa", &[user, ("authorization", &bearer)])
            .await
            .1["via"],
        "extractor"
    );
    assert_eq!(
        call(&app, "/admin", &[user, ("authorization", &bearer)])
            .await
            .1["via"],
        "layer"
    );
    // Unprotected paths (including a look-alike prefix) pass without an assertion.
    assert_eq!(call(&app, "/public", &[]).await.0, StatusCode::OK);
    assert_eq!(call(&app, "/administrator", &[]).await.0, StatusCode::OK);

    // Ages: RecentMfa<60>, the layer's 120 s, the guard's default 3600 s for Mfa.
    for (age, recent, layer, mfa) in [
        (60, 200, 200, 200),
        (61, 403, 200, 200),
        (121, 403, 403, 200),
        (3600, 403, 403, 200),
        (3601, 403, 403, 403),
    ] {
        clock.set(NOW + age);
        // A fresh assertion (within exp) whose second factor is `age` seconds old.
        let mut c = claims("alice", NOW);
        c["iat"] = json!(NOW + age);
        c["exp"] = json!(NOW + age + 600);
        let auth = format!("Bearer {}", sign(&c));
        let got = [
            call(&app, "/recent", &[user, ("authorization", &auth)]).await,
            call(&app, "/admin", &[user, ("authorization", &auth)]).await,
            call(&app, "/mfa", &[user, ("authorization", &auth)]).await,
        ];
        let statuses: Vec<u16> = got.iter().map(|r| r.0.as_u16()).collect();
        assert_eq!(statuses, [recent, layer, mfa], "age {age}");
        for r in got.iter().filter(|r| r.0 == StatusCode::FORBIDDEN) {
            assert_error(r, StatusCode::FORBIDDEN, "forbidden");
        }
    }
    // Expired (past exp) is 401, not 403.
    clock.set(NOW + 700);
    let r = call(&app, "/mfa", &[user, ("authorization", &bearer)]).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn ambiguous_token_sources_are_refused() {
    let clock = clock();
    let app = router(&clock);
    let alice = sign(&claims("alice", NOW));
    let user = ("x-user", "alice");
    let twice = format!("twostep_assertion={alice}; twostep_assertion={alice}");
    let r = call(&app, "/mfa", &[user, ("cookie", &twice)]).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    let r = call(&app, "/mfa", &[user, ("authorization", "Bearer ")]).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    // A non-bearer Authorization header does not hide the cookie.
    let cookie = format!("twostep_assertion={alice}");
    let r = call(
        &app,
        "/mfa",
        &[user, ("authorization", "Basic YTpi"), ("cookie", &cookie)],
    )
    .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
}

// ---- A real JWKS endpoint: fetch, refresh on an unknown kid, rate limit ----

#[tokio::test]
async fn fetches_and_refreshes_the_jwks_at_most_once_per_interval() {
    let second_seed = [42u8; 32];
    let second = EncodingKey::from_ed_der(&pkcs8(&second_seed));
    // The public key of the second seed, as the server would publish it after a rotation.
    let second_x = B64.encode(
        ed25519_dalek::SigningKey::from_bytes(&second_seed)
            .verifying_key()
            .to_bytes(),
    );
    let fetches = Arc::new(AtomicUsize::new(0));
    let rotated = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (f, r, x) = (fetches.clone(), rotated.clone(), second_x.clone());
    let jwks_route = get(move || {
        let (f, r, x) = (f.clone(), r.clone(), x.clone());
        async move {
            f.fetch_add(1, Ordering::SeqCst);
            let mut keys = vec![json!({"kty": "OKP", "crv": "Ed25519", "x": RFC_X, "kid": KID})];
            if r.load(Ordering::SeqCst) {
                keys.push(json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k2"}));
            }
            Json(json!({ "keys": keys }))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/v1/jwks.json", jwks_route))
            .await
            .unwrap();
    });

    let v = Arc::new(
        Verifier::fetch(&format!("{base}/"), ISS)
            .await
            .unwrap()
            .with_min_refresh(Duration::from_secs(2)),
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let now = twostep_server::clock::Clock::now(&twostep_server::clock::SystemClock);
    let first = sign(&claims("alice", now));
    let rotated_token = sign_with(&second, Some("k2"), &claims("alice", now));
    let unknown: Vec<String> = (0..20)
        .map(|i| sign_with(&second, Some(&format!("nope{i}")), &claims("alice", now)))
        .collect();
    assert!(v.verify(&first).await.is_ok());
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "known kid: no fetch");

    // The server rotates; a token under k2 arrives within the interval: no fetch, refused.
    rotated.store(true, Ordering::SeqCst);
    assert_eq!(v.verify(&rotated_token).await, Err(GuardError::UnknownKey));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2050)).await;
    // After the interval: one refresh finds k2, even for many concurrent requests.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (v, t) = (v.clone(), rotated_token.clone());
            tokio::spawn(async move { v.verify(&t).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // Unknown kids cannot make it fetch more often than the interval allows.
    for t in &unknown {
        assert_eq!(v.verify(t).await, Err(GuardError::UnknownKey));
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2);

    // A server that is down: fetch fails with a clear error.
    assert!(matches!(
        Verifier::fetch("http://127.0.0.1:9", ISS).await,
        Err(JwksError::Fetch(_))
    ));
}

// ---- The real server's assertions (in process, on the test clock) ----

#[cfg(feature = "runtime")]
mod common;

/// A challenge verified on the real router gives an assertion the guard accepts against the
/// router's own `/v1/jwks.json`; it expires with the server's lifetime; after a key rotation
/// (a new active key, the old one kept) the JWKS still lists the old key, so assertions
/// issued before the rotation stay valid until `exp`, and new ones use the new `kid`.
#[cfg(feature = "runtime")]
#[tokio::test]
async fn accepts_the_real_servers_assertions_across_a_key_rotation() {
    use common::TestApp;

    let mut app = TestApp::sqlite().await;
    let (_, secret) = app.pair_active("alice").await;
    let first = server_login(&app, &secret, app.now() + 30).await;
    let v = Verifier::from_jwks_json(&server_jwks(&app).await, "twostep")
        .unwrap()
        .with_clock(app.clock.clone());
    let a = v.verify(&first).await.unwrap();
    assert_eq!(
        (a.user_id.as_str(), a.amr.as_slice()),
        ("alice", &["otp".to_string()][..])
    );
    assert_eq!(a.auth_time, app.now());
    assert_eq!(
        a.expires_at - a.issued_at,
        app.state.config.assertion_lifetime_secs
    );
    // Another issuer configured in the guard: refused.
    let other = Verifier::from_jwks_json(&server_jwks(&app).await, "acme").unwrap();
    assert_eq!(
        other.with_clock(app.clock.clone()).verify(&first).await,
        Err(GuardError::WrongIssuer)
    );

    // Rotation: a new active key beside the old one.
    let old_entry = app.state.config.encryption_keys[0].clone();
    let new_entry = twostep_server::crypto::KeyRing::generate_entry()
        .unwrap()
        .to_string();
    let new_id = new_entry.split(':').next().unwrap().to_string();
    let mut config = (*app.state.config).clone();
    config.encryption_keys = vec![old_entry, new_entry];
    config.active_key = Some(new_id.clone());
    app.state.store.close().await;
    app.state = common::build_state(config, app.clock.clone()).await;
    app.router = twostep_server::app(app.state.clone());

    app.clock.advance(60);
    let second = server_login(&app, &secret, app.now()).await;
    let rotated = Verifier::from_jwks_json(&server_jwks(&app).await, "twostep")
        .unwrap()
        .with_clock(app.clock.clone());
    assert!(
        rotated.verify(&first).await.is_ok(),
        "pre-rotation assertion"
    );
    assert_eq!(rotated.verify(&second).await.unwrap().user_id, "alice");
    // The verifier that only knows the old JWKS cannot know the new kid.
    assert_eq!(v.verify(&second).await, Err(GuardError::UnknownKey));

    // Past exp (plus the default 30 s leeway): expired.
    app.clock
        .advance(app.state.config.assertion_lifetime_secs + 30);
    assert_eq!(rotated.verify(&first).await, Err(GuardError::Expired));
}

/// Logs alice in through a challenge with the code of `at`; the assertion.
#[cfg(feature = "runtime")]
async fn server_login(app: &common::TestApp, secret: &str, at: u64) -> String {
    use axum::http::Method;
    use common::{SERVICE_KEY, totp_sha1};
    let r = app
        .call(
            Method::POST,
            "/v1/challenges",
            Some(SERVICE_KEY),
            Some(json!({"user_id": "alice"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["challenge_id"].as_str().unwrap().to_string();
    let r = app
        .call(
            Method::POST,
            &format!("/v1/challenges/{id}/verify"),
            Some(SERVICE_KEY),
            Some(json!({ "code": totp_sha1(secret, at) })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["assertion"].as_str().unwrap().to_string()
}

/// The router's `/v1/jwks.json`, fetched without credentials.
#[cfg(feature = "runtime")]
async fn server_jwks(app: &common::TestApp) -> String {
    let r = app
        .call(axum::http::Method::GET, "/v1/jwks.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.text
}
