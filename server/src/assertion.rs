//! Login assertions: EdDSA (Ed25519) JWTs that say a user passed the second factor and
//! when, signed with the active key ring key's assertion key (see [`crate::crypto`]) and
//! checkable by anyone against [`jwks`] (`GET /v1/jwks.json`).
//!
//! The JWT is built here (RFC 7515 compact serialisation, RFC 8037 EdDSA): header
//! `{"alg":"EdDSA","typ":"JWT","kid":<key id>}`, claims [`AssertionClaims`].

use crate::api::{AssertionClaims, Jwk, Jwks};
use crate::crypto::{KeyRing, fill_random};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::Signer as _;
use serde::Serialize;

/// Which factor an assertion's `amr` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amr {
    /// A TOTP code (`otp`).
    Otp,
    /// A backup code (`backup_code`).
    BackupCode,
}

impl Amr {
    /// The `amr` value (also stored as the challenge's method).
    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Otp => "otp",
            Amr::BackupCode => "backup_code",
        }
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    kid: &'a str,
}

/// What an assertion asserts.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The user.
    pub user_id: &'a str,
    /// The verified challenge.
    pub challenge_id: &'a str,
    /// The factor.
    pub amr: Amr,
    /// Unix seconds of the verification.
    pub auth_time: u64,
}

/// A signed assertion for `subject`, issued at `now` by `issuer`, valid for `lifetime_secs`.
pub fn issue(
    keys: &KeyRing,
    issuer: &str,
    subject: Subject<'_>,
    now: u64,
    lifetime_secs: u64,
) -> anyhow::Result<String> {
    let mut jti = [0u8; 16];
    fill_random(&mut jti)?;
    let claims = AssertionClaims {
        iss: issuer.to_string(),
        sub: subject.user_id.to_string(),
        amr: vec![subject.amr.as_str().to_string()],
        auth_time: subject.auth_time,
        challenge_id: subject.challenge_id.to_string(),
        iat: now,
        exp: now.saturating_add(lifetime_secs),
        jti: B64URL.encode(jti),
    };
    let (kid, key) = keys.assertion_key();
    let header = Header {
        alg: "EdDSA",
        typ: "JWT",
        kid,
    };
    let mut jwt = B64URL.encode(serde_json::to_vec(&header)?);
    jwt.push('.');
    jwt.push_str(&B64URL.encode(serde_json::to_vec(&claims)?));
    let signature = key.sign(jwt.as_bytes());
    jwt.push('.');
    jwt.push_str(&B64URL.encode(signature.to_bytes()));
    Ok(jwt)
}

/// The public keys of every key in the ring, the signing key first.
pub fn jwks(keys: &KeyRing) -> Jwks {
    Jwks {
        keys: keys
            .assertion_public_keys()
            .into_iter()
            .map(|(kid, public)| Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: B64URL.encode(public.as_bytes()),
                kid,
                alg: "EdDSA".into(),
                use_: "sig".into(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier as _;

    #[test]
    fn signed_by_the_active_key_listed_in_the_jwks() {
        let a = KeyRing::generate_entry().expect("key");
        let b = KeyRing::generate_entry().expect("key");
        let b_id = b.split(':').next().expect("id").to_string();
        let ring =
            KeyRing::from_entries(&[a.to_string(), b.to_string()], Some(&b_id)).expect("ring");
        let subject = Subject {
            user_id: "alice",
            challenge_id: "c1",
            amr: Amr::BackupCode,
            auth_time: 100,
        };
        let jwt = issue(&ring, "twostep", subject, 100, 600).expect("jwt");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(
            header,
            serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": b_id})
        );
        let claims: AssertionClaims =
            serde_json::from_slice(&B64URL.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims.amr, ["backup_code"]);
        assert_eq!((claims.iat, claims.exp), (100, 700));
        let set = jwks(&ring);
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.keys[0].kid, b_id);
        let x: [u8; 32] = B64URL
            .decode(&set.keys[0].x)
            .expect("b64")
            .try_into()
            .expect("32 bytes");
        let public = ed25519_dalek::VerifyingKey::from_bytes(&x).expect("point");
        let sig: [u8; 64] = B64URL
            .decode(parts[2])
            .expect("b64")
            .try_into()
            .expect("64 bytes");
        let signed = format!("{}.{}", parts[0], parts[1]);
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        assert!(public.verify(signed.as_bytes(), &sig).is_ok());
        let other = ed25519_dalek::VerifyingKey::from_bytes(
            &B64URL
                .decode(&set.keys[1].x)
                .expect("b64")
                .try_into()
                .expect("32 bytes"),
        )
        .expect("point");
        assert!(other.verify(signed.as_bytes(), &sig).is_err());
        // Two assertions never share a jti.
        let again = issue(&ring, "twostep", subject, 100, 600).expect("jwt");
        assert_ne!(again, jwt);
    }
}
