//! The assertion token: strict JWS compact parsing, the Ed25519 check and the claims.

use crate::api::AssertionClaims;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Deserialize;

/// Longest token accepted (the server's are about 400 bytes).
pub(crate) const MAX_TOKEN_LEN: usize = 4096;
/// Longest `kid`, `sub`, `challenge_id`, `jti` or `amr` entry accepted.
const MAX_FIELD_LEN: usize = 128;

/// A verified assertion: this user passed the second factor at `auth_time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The host application's user id (`sub`).
    pub user_id: String,
    /// How the second factor was proven: `otp` or `backup_code` (`amr`, never empty).
    pub amr: Vec<String>,
    /// Unix seconds when the second factor was verified (`auth_time`).
    pub auth_time: u64,
    /// The login challenge that was verified (`challenge_id`).
    pub challenge_id: String,
    /// Unix seconds when the assertion was issued (`iat`).
    pub issued_at: u64,
    /// Unix seconds after which the assertion is no longer accepted (`exp`).
    pub expires_at: u64,
    /// Unique id of the assertion (`jti`).
    pub id: String,
}

impl Assertion {
    /// Seconds since the second factor was verified, at `now` (0 if `auth_time` is ahead).
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.auth_time)
    }
}

/// Why a request was refused. [`GuardError::status`] gives 401 or 403; the response body is
/// `{"error": {"code": "unauthorized" | "forbidden", "message"}}`. `Display` names the reason
/// for logs and never contains the token or any part of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardError {
    /// No assertion in the request (401).
    Missing,
    /// Not a well-formed JWS compact token with the expected header and claims (401).
    Malformed,
    /// `alg` is not `EdDSA` (`none`, `HS256`, ...) (401).
    UnsupportedAlgorithm,
    /// No key with this `kid` in the JWKS, even after a refresh (401).
    UnknownKey,
    /// The Ed25519 signature does not verify (forged or altered) (401).
    BadSignature,
    /// `iss` is not the configured issuer (401).
    WrongIssuer,
    /// Past `exp` (401).
    Expired,
    /// `iat` or `auth_time` lies in the future beyond the leeway (401).
    NotYetValid,
    /// The host has no logged-in user to compare `sub` with (401).
    NoUser,
    /// Valid, but the second factor is older than the maximum age (403).
    TooOld,
    /// Valid, but for another user than the one logged in to the host (403).
    WrongUser,
}

impl GuardError {
    /// 401 for anything that is not a valid assertion, 403 for a valid one that does not
    /// satisfy this route (too old, another user).
    pub fn status(self) -> u16 {
        match self {
            GuardError::TooOld | GuardError::WrongUser => 403,
            _ => 401,
        }
    }

    /// The stable code of the error body: `unauthorized` or `forbidden`.
    pub fn code(self) -> &'static str {
        if self.status() == 403 {
            "forbidden"
        } else {
            "unauthorized"
        }
    }

    /// The message of the error body: says what the caller can do, not which check failed
    /// on a forged token.
    pub fn message(self) -> &'static str {
        match self {
            GuardError::Missing => "a second-factor assertion is required",
            GuardError::Expired => "the second-factor assertion has expired",
            GuardError::NoUser => "sign in first",
            GuardError::TooOld | GuardError::WrongUser => {
                "a fresh second factor is required: verify a code again"
            }
            _ => "the second-factor assertion is not valid",
        }
    }
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GuardError::Missing => "no assertion in the request",
            GuardError::Malformed => "the assertion is malformed",
            GuardError::UnsupportedAlgorithm => "the assertion's algorithm is not EdDSA",
            GuardError::UnknownKey => "the assertion's key id is not in the JWKS",
            GuardError::BadSignature => "the assertion's signature does not verify",
            GuardError::WrongIssuer => "the assertion's issuer is not the configured one",
            GuardError::Expired => "the assertion has expired",
            GuardError::NotYetValid => "the assertion is issued in the future",
            GuardError::NoUser => "no logged-in user to compare the assertion with",
            GuardError::TooOld => "the second factor is older than the maximum age",
            GuardError::WrongUser => "the assertion is for another user",
        })
    }
}

impl std::error::Error for GuardError {}

/// The protected header. The contract fixes it to `alg`, `typ` and `kid`; anything else
/// (`crit`, `jku`, `jwk`, `x5u`, ...) is refused rather than ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// A token split and decoded up to the signature check.
pub(crate) struct Parsed<'a> {
    pub(crate) kid: String,
    signing_input: &'a [u8],
    payload: Vec<u8>,
    signature: Signature,
}

fn b64(segment: &str) -> Result<Vec<u8>, GuardError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| GuardError::Malformed)
}

fn bounded(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_FIELD_LEN && !s.chars().any(char::is_control)
}

/// Splits `header.payload.signature`, decodes each part (base64url without padding, canonical
/// trailing bits) and checks the header: `alg` must be `EdDSA`, `typ` (if present) `JWT`.
pub(crate) fn parse(token: &str) -> Result<Parsed<'_>, GuardError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(GuardError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(GuardError::Malformed);
    };
    let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| GuardError::Malformed)?;
    if header.alg != "EdDSA" {
        return Err(GuardError::UnsupportedAlgorithm);
    }
    let kid = match header.kid {
        Some(kid) if bounded(&kid) && header.typ.as_deref().is_none_or(|t| t == "JWT") => kid,
        _ => return Err(GuardError::Malformed),
    };
    let payload = b64(p)?;
    let signature = <[u8; 64]>::try_from(b64(s)?.as_slice())
        .map(|bytes| Signature::from_bytes(&bytes))
        .map_err(|_| GuardError::Malformed)?;
    Ok(Parsed {
        kid,
        signing_input: &token.as_bytes()[..h.len() + 1 + p.len()],
        payload,
        signature,
    })
}

impl Parsed<'_> {
    /// Checks the signature with `key` (strict: no small-order keys or non-canonical `S`),
    /// then the claims: `iss`, `exp` and `iat`/`auth_time` against `now` with `leeway`
    /// seconds, and the shape of `sub`, `amr`, `challenge_id`, `jti`.
    pub(crate) fn verify(
        self,
        key: &VerifyingKey,
        issuer: &str,
        now: u64,
        leeway: u64,
    ) -> Result<Assertion, GuardError> {
        key.verify_strict(self.signing_input, &self.signature)
            .map_err(|_| GuardError::BadSignature)?;
        // The wire type of the claims; unknown claims are ignored (the server may add some).
        let c: AssertionClaims =
            serde_json::from_slice(&self.payload).map_err(|_| GuardError::Malformed)?;
        if c.iss != issuer {
            return Err(GuardError::WrongIssuer);
        }
        let shaped = bounded(&c.sub)
            && bounded(&c.challenge_id)
            && bounded(&c.jti)
            && !c.amr.is_empty()
            && c.amr.len() <= 8
            && c.amr.iter().all(|m| bounded(m))
            && c.exp > c.iat
            && c.auth_time <= c.iat.saturating_add(leeway);
        if !shaped {
            return Err(GuardError::Malformed);
        }
        if now >= c.exp.saturating_add(leeway) {
            return Err(GuardError::Expired);
        }
        if c.iat > now.saturating_add(leeway) || c.auth_time > now.saturating_add(leeway) {
            return Err(GuardError::NotYetValid);
        }
        Ok(Assertion {
            user_id: c.sub,
            amr: c.amr,
            auth_time: c.auth_time,
            challenge_id: c.challenge_id,
            issued_at: c.iat,
            expires_at: c.exp,
            id: c.jti,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 appendix A.4: the Ed25519 JWS over "Example of Ed25519 signing" with the
    /// key of A.2. Our signature check must accept it and refuse any altered byte.
    #[test]
    fn rfc8037_signature_vector() {
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .expect("x");
        let key = VerifyingKey::from_bytes(&x.try_into().expect("32 bytes")).expect("key");
        let jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let (input, sig) = jws.rsplit_once('.').expect("three parts");
        let sig = <[u8; 64]>::try_from(URL_SAFE_NO_PAD.decode(sig).expect("b64").as_slice())
            .expect("64 bytes");
        let sig = Signature::from_bytes(&sig);
        assert!(key.verify_strict(input.as_bytes(), &sig).is_ok());
        let mut altered = input.as_bytes().to_vec();
        altered[30] ^= 1;
        assert!(key.verify_strict(&altered, &sig).is_err());
        // Its header has no kid: our parser refuses it as an assertion.
        assert_eq!(
            parse(jws).err(),
            Some(GuardError::Malformed),
            "an assertion needs a kid"
        );
    }

    #[test]
    fn statuses_codes_and_messages() {
        for e in [GuardError::TooOld, GuardError::WrongUser] {
            assert_eq!((e.status(), e.code()), (403, "forbidden"));
            assert!(e.message().contains("fresh second factor"));
        }
        for e in [
            GuardError::Missing,
            GuardError::Malformed,
            GuardError::UnsupportedAlgorithm,
            GuardError::UnknownKey,
            GuardError::BadSignature,
            GuardError::WrongIssuer,
            GuardError::Expired,
            GuardError::NotYetValid,
            GuardError::NoUser,
        ] {
            assert_eq!((e.status(), e.code()), (401, "unauthorized"));
        }
    }

    #[test]
    fn structural_garbage_is_malformed() {
        for t in [
            "",
            ".",
            "..",
            "...",
            "a.b",
            "a.b.c.d",
            "eyJhbGciOiJFZERTQSJ9..",
            "eyJhbGciOiJFZERTQSJ9.e30=.AAAA",
        ] {
            assert_eq!(parse(t).err(), Some(GuardError::Malformed), "{t:?}");
        }
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(parse(&long).err(), Some(GuardError::Malformed));
    }
}
