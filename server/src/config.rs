//! Configuration: a TOML file, then `TWOSTEP_*` environment variables on top.
//!
//! Every field of [`Config`] can be set in the file under its own name, or in the environment
//! as `TWOSTEP_<NAME>` (upper case); list fields take comma-separated values there.

use crate::client::IpNet;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::Path;

/// Server configuration. Secrets in here (keys, service keys, the JWT secret) are never
/// printed: `Debug` redacts them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` (created on first start) or `postgres://...`.
    pub database_url: String,
    /// Maximum connections in the database pool.
    pub database_max_connections: u32,
    /// Bearer tokens of product backends; each may act on any user (at least 16 characters).
    pub service_keys: Vec<String>,
    /// Encryption key ring entries `id:base64(32 bytes)` (see `twostep-server gen-key`).
    pub encryption_keys: Vec<String>,
    /// Id of the key that encrypts new secrets; defaults to the only key when there is one.
    pub active_key: Option<String>,
    /// HS256 shared secret for user tokens.
    pub jwt_hs256_secret: Option<String>,
    /// Ed25519 public key (PEM) for user tokens.
    pub jwt_ed25519_public_key: Option<String>,
    /// RS256 public key (PEM) for user tokens.
    pub jwt_rs256_public_key: Option<String>,
    /// Required `iss` of user tokens, if set.
    pub jwt_issuer: Option<String>,
    /// Required `aud` of user tokens, if set.
    pub jwt_audience: Option<String>,
    /// Allowed clock skew for `exp` and `nbf` of user tokens, in seconds.
    pub jwt_leeway_secs: u64,
    /// Issuer written into key URIs when the request names none.
    pub issuer: String,
    /// Accepted steps before and after the current one.
    pub verify_window: u8,
    /// Lifetime of a pending device, in seconds.
    pub pairing_lifetime_secs: u64,
    /// Consecutive failures that lock a user.
    pub lockout_max_failures: u32,
    /// First lock duration in seconds; each further lock doubles it.
    pub lockout_base_secs: u64,
    /// Longest lock in seconds.
    pub lockout_max_secs: u64,
    /// Backup codes per set (1 to 100).
    pub backup_codes_count: u32,
    /// Lifetime of a login challenge, in seconds (10 to 3600).
    pub challenge_lifetime_secs: u64,
    /// Lifetime (`exp - iat`) of a login assertion, in seconds (10 to 86400).
    pub assertion_lifetime_secs: u64,
    /// Lifetime of a trusted-device token, in seconds (60 to 400 days).
    pub trusted_device_lifetime_secs: u64,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// `text` or `json`.
    pub log_format: String,
    /// Proxies (addresses or CIDR networks, e.g. `10.0.0.0/8`) whose `X-Forwarded-For` is
    /// believed for the client address of audit events; empty: the header is ignored.
    pub trusted_proxies: Vec<IpNet>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://twostep.db".into(),
            database_max_connections: 16,
            service_keys: Vec::new(),
            encryption_keys: Vec::new(),
            active_key: None,
            jwt_hs256_secret: None,
            jwt_ed25519_public_key: None,
            jwt_rs256_public_key: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_secs: 30,
            issuer: "twostep".into(),
            verify_window: 1,
            pairing_lifetime_secs: 600,
            lockout_max_failures: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
            backup_codes_count: 10,
            challenge_lifetime_secs: 300,
            assertion_lifetime_secs: 600,
            trusted_device_lifetime_secs: 30 * 24 * 3600,
            body_limit_bytes: 16 * 1024,
            log_format: "text".into(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "service_keys",
                &format!("<{} redacted>", self.service_keys.len()),
            )
            .field(
                "encryption_keys",
                &format!("<{} redacted>", self.encryption_keys.len()),
            )
            .field("active_key", &self.active_key)
            .field(
                "jwt_hs256_secret",
                &self.jwt_hs256_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("issuer", &self.issuer)
            .field("verify_window", &self.verify_window)
            .field("pairing_lifetime_secs", &self.pairing_lifetime_secs)
            .field("lockout_max_failures", &self.lockout_max_failures)
            .field("lockout_base_secs", &self.lockout_base_secs)
            .field("lockout_max_secs", &self.lockout_max_secs)
            .field("backup_codes_count", &self.backup_codes_count)
            .field("challenge_lifetime_secs", &self.challenge_lifetime_secs)
            .field("assertion_lifetime_secs", &self.assertion_lifetime_secs)
            .field(
                "trusted_device_lifetime_secs",
                &self.trusted_device_lifetime_secs,
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

const LIST_FIELDS: &[&str] = &["service_keys", "encryption_keys", "trusted_proxies"];
const INT_FIELDS: &[&str] = &[
    "database_max_connections",
    "jwt_leeway_secs",
    "verify_window",
    "pairing_lifetime_secs",
    "lockout_max_failures",
    "lockout_base_secs",
    "lockout_max_secs",
    "backup_codes_count",
    "challenge_lifetime_secs",
    "assertion_lifetime_secs",
    "trusted_device_lifetime_secs",
    "body_limit_bytes",
];
const STRING_FIELDS: &[&str] = &[
    "listen",
    "database_url",
    "active_key",
    "jwt_hs256_secret",
    "jwt_ed25519_public_key",
    "jwt_rs256_public_key",
    "jwt_issuer",
    "jwt_audience",
    "issuer",
    "log_format",
];

impl Config {
    /// Reads `file` (if given) and applies `TWOSTEP_*` variables from `env` on top.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("config file {} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(field) = name.strip_prefix("TWOSTEP_") else {
                continue;
            };
            let field = field.to_ascii_lowercase();
            let parsed = if LIST_FIELDS.contains(&field.as_str()) {
                toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| toml::Value::String(s.to_string()))
                        .collect(),
                )
            } else if INT_FIELDS.contains(&field.as_str()) {
                let n: i64 = value
                    .trim()
                    .parse()
                    .with_context(|| format!("{name} must be a whole number"))?;
                toml::Value::Integer(n)
            } else if STRING_FIELDS.contains(&field.as_str()) {
                toml::Value::String(value)
            } else {
                continue;
            };
            table.insert(field, parsed);
        }
        let config: Config = table.try_into().context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    /// Checks ranges that serde cannot express.
    pub fn validate(&self) -> Result<()> {
        if self.service_keys.iter().any(|k| k.len() < 16) {
            bail!("every service key must have at least 16 characters");
        }
        if self.verify_window > 10 {
            bail!("verify_window must be 0..=10");
        }
        if self.pairing_lifetime_secs == 0 {
            bail!("pairing_lifetime_secs must be at least 1");
        }
        if self.lockout_max_failures == 0 {
            bail!("lockout_max_failures must be at least 1");
        }
        if self.lockout_base_secs == 0 || self.lockout_max_secs < self.lockout_base_secs {
            bail!("lockout_base_secs must be at least 1 and at most lockout_max_secs");
        }
        if !(1..=100).contains(&self.backup_codes_count) {
            bail!("backup_codes_count must be 1..=100");
        }
        if !(10..=3600).contains(&self.challenge_lifetime_secs) {
            bail!("challenge_lifetime_secs must be 10..=3600");
        }
        if !(10..=86_400).contains(&self.assertion_lifetime_secs) {
            bail!("assertion_lifetime_secs must be 10..=86400");
        }
        if !(60..=400 * 86_400).contains(&self.trusted_device_lifetime_secs) {
            bail!("trusted_device_lifetime_secs must be 60..=34560000 (400 days)");
        }
        if self.body_limit_bytes < 256 {
            bail!("body_limit_bytes must be at least 256");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be \"text\" or \"json\"");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_lists_split() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("twostep.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9\"\nverify_window = 2\nissuer = \"Acme\"\n",
        )
        .expect("write");
        let env = [
            ("TWOSTEP_VERIFY_WINDOW".to_string(), "0".to_string()),
            (
                "TWOSTEP_SERVICE_KEYS".to_string(),
                "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb".to_string(),
            ),
            (
                "TWOSTEP_TEST_POSTGRES_URL".to_string(),
                "ignored".to_string(),
            ),
            ("OTHER".to_string(), "ignored".to_string()),
        ];
        let c = Config::load(Some(&path), env).expect("config");
        assert_eq!(c.listen, "127.0.0.1:9");
        assert_eq!(c.verify_window, 0);
        assert_eq!(c.issuer, "Acme");
        assert_eq!(c.service_keys, ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("twostep.toml");
        std::fs::write(&path, "lisen = \"x\"\n").expect("write");
        assert!(Config::load(Some(&path), []).is_err());
        let env = [("TWOSTEP_VERIFY_WINDOW".to_string(), "many".to_string())];
        assert!(Config::load(None, env).is_err());
        let env = [("TWOSTEP_SERVICE_KEYS".to_string(), "short".to_string())];
        assert!(Config::load(None, env).is_err());
        for (name, value) in [
            ("TWOSTEP_CHALLENGE_LIFETIME_SECS", "0"),
            ("TWOSTEP_CHALLENGE_LIFETIME_SECS", "3601"),
            ("TWOSTEP_ASSERTION_LIFETIME_SECS", "9"),
            ("TWOSTEP_ASSERTION_LIFETIME_SECS", "86401"),
            ("TWOSTEP_TRUSTED_DEVICE_LIFETIME_SECS", "59"),
            ("TWOSTEP_TRUSTED_DEVICE_LIFETIME_SECS", "34560001"),
            ("TWOSTEP_TRUSTED_DEVICE_LIFETIME_SECS", "-1"),
        ] {
            let env = [(name.to_string(), value.to_string())];
            assert!(Config::load(None, env).is_err(), "{name}={value}");
        }
    }

    #[test]
    fn challenge_settings_default_and_load() {
        let c = Config::default();
        assert_eq!(c.challenge_lifetime_secs, 300);
        assert_eq!(c.assertion_lifetime_secs, 600);
        assert_eq!(c.trusted_device_lifetime_secs, 2_592_000);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("twostep.toml");
        std::fs::write(
            &path,
            "challenge_lifetime_secs = 120\ntrusted_device_lifetime_secs = 86400\n",
        )
        .expect("write");
        let env = [(
            "TWOSTEP_ASSERTION_LIFETIME_SECS".to_string(),
            "60".to_string(),
        )];
        let c = Config::load(Some(&path), env).expect("config");
        assert_eq!(c.challenge_lifetime_secs, 120);
        assert_eq!(c.assertion_lifetime_secs, 60);
        assert_eq!(c.trusted_device_lifetime_secs, 86_400);
    }

    #[test]
    fn trusted_proxies_come_from_file_or_env_and_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("twostep.toml");
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").expect("write");
        let c = Config::load(Some(&path), []).expect("config");
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "::1/128"]);
        let env = [(
            "TWOSTEP_TRUSTED_PROXIES".to_string(),
            "192.0.2.0/24, 127.0.0.1".to_string(),
        )];
        let c = Config::load(Some(&path), env).expect("config");
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["192.0.2.0/24", "127.0.0.1/32"]);
        for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0.1/8"] {
            let env = [("TWOSTEP_TRUSTED_PROXIES".to_string(), bad.to_string())];
            let e = Config::load(None, env).expect_err(bad);
            assert!(format!("{e:#}").contains(bad), "{e:#}");
        }
    }

    #[test]
    fn password_is_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        assert!(
            !format!(
                "{:?}",
                Config {
                    jwt_hs256_secret: Some("hunter2hunter2".into()),
                    ..Config::default()
                }
            )
            .contains("hunter2")
        );
    }
}
