//! The audit log: what changed in a user's second factor, when, and from where.
//!
//! An [`Event`] is written **in the same database transaction as the change it records**,
//! so the log never shows a change that was rolled back and never misses one that was
//! committed; if the event cannot be written, the change does not happen either.
//!
//! # Recording a change (both backends)
//!
//! Build the event in the domain function, pass it to the store method that makes the
//! change, and there insert it on the transaction with [`InsertEvent::insert_event`]
//! (implemented for both backends' connections, so the same code compiles in each arm of
//! `on_writer!` in `store.rs`). A failure that counts toward the lockout goes through
//! [`Store::record_failure`] with its own event (e.g. `challenge_failed`): the `locked`
//! event follows by itself when that failure locks.
//!
//! ```ignore
//! // domain: who, what, when, from where, and a detail without any secret.
//! let event = Event::new(Kind::ChallengeCreated, user_id, now, client)
//!     .with_detail(serde_json::json!({ "challenge_id": id }));
//! state.store.insert_challenge(&row, &event).await?;
//!
//! // store: the change and its event, one transaction.
//! pub async fn insert_challenge(&self, row: &ChallengeRow, event: &Event) -> Result<()> {
//!     Ok(on_writer!(self, pool => async {
//!         let mut tx = pool.begin().await?;
//!         sqlx::query("INSERT INTO challenges ...").bind(..).execute(&mut *tx).await?;
//!         tx.insert_event(event).await?;
//!         tx.commit().await
//!     }
//!     .await)?)
//! }
//! ```
//!
//! A conditional change (`UPDATE ... WHERE ...` that may touch no row) inserts its event only
//! when it changed something. Never put a secret, a code, a token, a key URI or a hash of
//! one of them in `detail`; ids, counts, names, methods and times are fine.
//!
//! The client's ip and user agent come from the [`ClientInfo`] extractor (see
//! [`crate::client`]); endpoints whose body names the end user's `ip`/`user_agent` override
//! it with [`ClientInfo::with_body`].

use crate::client::ClientInfo;
use crate::store::{Store, UserState, on_pool};
use anyhow::Result;
use serde_json::Value;
use std::future::Future;

/// What happened. Stored and served as its snake_case name ([`Kind::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Pairing began (detail: `device_id`, `name`).
    DeviceCreated,
    /// A pending device was confirmed (detail: `device_id`, `backup_codes_issued`).
    DeviceConfirmed,
    /// A device was removed (detail: `device_id`). When it was the last active one, an
    /// `mfa_disabled` event follows in the same transaction.
    DeviceRemoved,
    /// A TOTP code was accepted (detail: `device_id`, `method`).
    VerifySucceeded,
    /// A code was refused; counts toward the lockout (detail: `method` = `totp`, `confirm`
    /// or `backup_code`; `device_id` for `confirm`).
    VerifyFailed,
    /// A failure locked the user (detail: `lock_secs`, `locked_until`).
    Locked,
    /// A new backup code set replaced the old one (detail: `count`).
    BackupCodesGenerated,
    /// A backup code was used (detail: `remaining`).
    BackupCodeUsed,
    /// A login challenge was created.
    ChallengeCreated,
    /// A login challenge was verified.
    ChallengeVerified,
    /// A login challenge verification failed.
    ChallengeFailed,
    /// A trusted device ("remember this device") was created.
    TrustedDeviceCreated,
    /// A trusted device was revoked.
    TrustedDeviceRevoked,
    /// MFA was turned off for the user (detail: the `devices`, `backup_codes`,
    /// `trusted_devices` and `challenges` removed; `reason` = `last_device_removed` when the
    /// removal of the last active device turned it off rather than `mfa/disable`).
    MfaDisabled,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 14] = [
        Kind::DeviceCreated,
        Kind::DeviceConfirmed,
        Kind::DeviceRemoved,
        Kind::VerifySucceeded,
        Kind::VerifyFailed,
        Kind::Locked,
        Kind::BackupCodesGenerated,
        Kind::BackupCodeUsed,
        Kind::ChallengeCreated,
        Kind::ChallengeVerified,
        Kind::ChallengeFailed,
        Kind::TrustedDeviceCreated,
        Kind::TrustedDeviceRevoked,
        Kind::MfaDisabled,
    ];

    /// The stable name stored in the database and served by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DeviceCreated => "device_created",
            Kind::DeviceConfirmed => "device_confirmed",
            Kind::DeviceRemoved => "device_removed",
            Kind::VerifySucceeded => "verify_succeeded",
            Kind::VerifyFailed => "verify_failed",
            Kind::Locked => "locked",
            Kind::BackupCodesGenerated => "backup_codes_generated",
            Kind::BackupCodeUsed => "backup_code_used",
            Kind::ChallengeCreated => "challenge_created",
            Kind::ChallengeVerified => "challenge_verified",
            Kind::ChallengeFailed => "challenge_failed",
            Kind::TrustedDeviceCreated => "trusted_device_created",
            Kind::TrustedDeviceRevoked => "trusted_device_revoked",
            Kind::MfaDisabled => "mfa_disabled",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An audit event to write: give it to the store method that makes the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The user the change is about.
    pub user_id: String,
    /// What happened.
    pub kind: Kind,
    /// When (unix seconds, the server clock of the change).
    pub at: i64,
    /// The client's address, if known.
    pub ip: Option<String>,
    /// The client's user agent, if known.
    pub user_agent: Option<String>,
    /// Facts about the change (a JSON object); never a secret, code, token or key URI.
    pub detail: Option<Value>,
}

impl Event {
    /// An event of `kind` about `user_id` at `at`, from `client`, without detail.
    pub fn new(kind: Kind, user_id: &str, at: i64, client: &ClientInfo) -> Event {
        Event {
            user_id: user_id.to_string(),
            kind,
            at,
            ip: client.ip.map(|ip| ip.to_string()),
            user_agent: client.user_agent.clone(),
            detail: None,
        }
    }

    /// The same event with `detail` (a JSON object, e.g. `json!({"device_id": id})`).
    pub fn with_detail(mut self, detail: Value) -> Event {
        self.detail = Some(detail);
        self
    }

    /// The same event with `key: value` added to its detail object: for facts known only
    /// inside the transaction (how many backup codes remain).
    pub fn with_field(mut self, key: &str, value: Value) -> Event {
        match &mut self.detail {
            Some(Value::Object(map)) => {
                map.insert(key.to_string(), value);
            }
            _ => {
                let mut map = serde_json::Map::new();
                map.insert(key.to_string(), value);
                self.detail = Some(Value::Object(map));
            }
        }
        self
    }

    /// The same event as another kind, with another detail: for a second event that one
    /// change causes (a failure that locks: `verify_failed`, then `locked`).
    pub fn and_then(&self, kind: Kind, detail: Value) -> Event {
        Event {
            kind,
            detail: Some(detail),
            ..self.clone()
        }
    }

    /// The `locked` event that follows this failure, given the user's state after it.
    pub(crate) fn locked(&self, after: &UserState) -> Event {
        self.and_then(
            Kind::Locked,
            serde_json::json!({
                "lock_secs": after.last_lock_secs,
                "locked_until": crate::domain::rfc3339(after.locked_until),
            }),
        )
    }
}

const INSERT_EVENTS: &str =
    "INSERT INTO events (user_id, kind, at, ip, user_agent, detail) VALUES ";

/// Writes an [`Event`] on a database connection. Call it on the transaction that makes the
/// change the event records (`tx.insert_event(&event).await?` inside `on_writer!`), never on
/// a pool: the point is that both commit or neither does.
pub trait InsertEvent {
    /// Inserts `event` on this connection.
    fn insert_event(
        &mut self,
        event: &Event,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Inserts `events`, in order, in one statement (a batch of changes in one transaction).
    fn insert_events(
        &mut self,
        events: &[&Event],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

macro_rules! impl_insert_event {
    ($($conn:ty),*) => {$(
        impl InsertEvent for $conn {
            async fn insert_event(&mut self, event: &Event) -> Result<(), sqlx::Error> {
                self.insert_events(std::slice::from_ref(&event)).await
            }

            async fn insert_events(&mut self, events: &[&Event]) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                let sql = format!(
                    "{INSERT_EVENTS}{}",
                    crate::store::placeholders(events.len(), 6)
                );
                let mut q = sqlx::query(&sql);
                for event in events {
                    q = q
                        .bind(&event.user_id)
                        .bind(event.kind.as_str())
                        .bind(event.at)
                        .bind(&event.ip)
                        .bind(&event.user_agent)
                        .bind(event.detail.as_ref().map(Value::to_string));
                }
                q.execute(self).await.map(drop)
            }
        }
    )*};
}

impl_insert_event!(sqlx::SqliteConnection, sqlx::PgConnection);

/// A stored event, as read back.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    /// Position in the log (only grows).
    pub id: i64,
    /// The kind's name.
    pub kind: String,
    /// Unix seconds.
    pub at: i64,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// JSON text.
    pub detail: Option<String>,
}

impl Store {
    /// Up to `limit` events of the user with an id below `before`, newest first.
    pub async fn events(&self, user_id: &str, before: i64, limit: i64) -> Result<Vec<EventRow>> {
        let sql = "SELECT id, kind, at, ip, user_agent, detail FROM events \
                   WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        Ok(on_pool!(self, pool => sqlx::query_as::<_, EventRow>(sql)
            .bind(user_id)
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_documented_ones_and_distinct() {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "device_created",
                "device_confirmed",
                "device_removed",
                "verify_succeeded",
                "verify_failed",
                "locked",
                "backup_codes_generated",
                "backup_code_used",
                "challenge_created",
                "challenge_verified",
                "challenge_failed",
                "trusted_device_created",
                "trusted_device_revoked",
                "mfa_disabled",
            ]
        );
    }
}
