//! Storage: one [`Store`] over SQLite or PostgreSQL.
//!
//! Both backends run the same SQL text (`$n` placeholders work on both); each method is
//! expanded once per backend by [`on_pool!`]. Every invariant that must hold across
//! replicas is a single conditional write here: a code step is accepted only by
//! `UPDATE ... WHERE last_step < $step`, and lockout counters are updated in place.
//!
//! Every method that changes a user's second factor takes the audit [`Event`] that records
//! it and writes it in the same transaction (see [`crate::audit`]).

use crate::audit::{Event, InsertEvent};
use crate::crypto::{CodeTag, Sealed};
use anyhow::{Context, Result};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use sqlx::{Connection, Database};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database: SQLite (one process) or PostgreSQL (any number of replicas).
#[derive(Clone, Debug)]
pub enum Store {
    /// An SQLite file in WAL mode.
    Sqlite(SqliteDb),
    /// A PostgreSQL database.
    Postgres(PgPool),
}

/// SQLite pools: concurrent readers, and one writer connection, so writers queue in the
/// process instead of sleeping in SQLite's busy handler. Atomicity still comes from the
/// conditional statements themselves, as on PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    /// Pool for reads.
    pub reader: SqlitePool,
    /// The single connection that writes.
    pub writer: SqlitePool,
}

/// Runs the read `$body` with `$pool` bound to the backend's pool; compiled per backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite(db) => {
                let $pool = &db.reader;
                $body
            }
            Store::Postgres($pool) => $body,
        }
    };
}

/// Runs the write `$body` with `$pool` bound to the backend's writing pool.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite(db) => {
                let $pool = &db.writer;
                $body
            }
            Store::Postgres($pool) => $body,
        }
    };
}

pub(crate) use on_pool;

/// A device row as stored.
#[derive(Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub status: String,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub last_step: i64,
    pub created_at: i64,
    pub pairing_expires_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl std::fmt::Debug for DeviceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl DeviceRow {
    /// The stored ciphertext of the secret.
    pub fn sealed(&self) -> Sealed {
        Sealed {
            key_id: self.key_id.clone(),
            nonce: self.nonce.clone(),
            ciphertext: self.ciphertext.clone(),
        }
    }
}

/// Lockout state of a user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UserState {
    pub failures: i64,
    pub last_lock_secs: i64,
    pub locked_until: i64,
}

impl UserState {
    /// True for the state right after the failure that locked the user at `now` (the count
    /// starts again at zero and the lock runs).
    pub fn just_locked(&self, now: i64) -> bool {
        self.failures == 0 && self.locked_until > now
    }

    /// True when a success has something to clear (failures or a lock escalation).
    pub fn needs_reset(&self) -> bool {
        self.failures != 0 || self.last_lock_secs != 0
    }
}

#[derive(sqlx::FromRow)]
struct VerifyRow {
    #[sqlx(flatten)]
    device: DeviceRow,
    #[sqlx(flatten)]
    state: UserState,
}

/// One verification's write: advance `device_id`'s last used step to `step` at `now`, with
/// its `verify_succeeded` event.
#[derive(Clone, Debug)]
pub struct StepAdvance {
    /// The device whose code matched.
    pub device_id: String,
    /// The matched time step.
    pub step: i64,
    /// Unix time of the verification.
    pub now: i64,
    /// Whether the user's failure count needs clearing (`event.user_id`).
    pub reset_failures: bool,
    /// The event written when the step advances.
    pub event: Event,
}

/// `rows` groups of `cols` numbered placeholders: `($1, $2), ($3, $4)`; one column: `$1, $2`.
pub(crate) fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        let group = (1..=cols)
            .map(|c| format!("${}", r * cols + c))
            .collect::<Vec<_>>()
            .join(", ");
        if cols == 1 {
            out.push_str(&group);
        } else {
            out.push('(');
            out.push_str(&group);
            out.push(')');
        }
    }
    out
}

/// The conditional step write of `rows` devices, bound as (device id, step, now) triples:
/// a device advances only if it is active and its last step is below the new one. Returns
/// the ids of the devices that advanced.
fn advance_sql(rows: usize) -> String {
    format!(
        "UPDATE devices SET last_step = v.column2, last_used_at = v.column3 \
         FROM (VALUES {}) AS v \
         WHERE devices.id = v.column1 AND devices.status = 'active' \
         AND devices.last_step < v.column2 RETURNING id",
        placeholders(rows, 3)
    )
}

/// Runs [`advance_sql`] for the `StepAdvance`s `$ops` on the transaction `$tx`; the ids of
/// the devices that advanced. Rows go in id order, so concurrent batches (PostgreSQL) lock
/// devices in one order.
macro_rules! advance_in {
    ($tx:expr, $sql:expr, $ops:expr) => {
        async {
            let mut sorted: Vec<&StepAdvance> = $ops.iter().collect();
            sorted.sort_unstable_by(|a, b| a.device_id.cmp(&b.device_id));
            let mut q = sqlx::query_scalar::<_, String>($sql);
            for op in sorted {
                q = q.bind(&op.device_id).bind(op.step).bind(op.now);
            }
            q.fetch_all(&mut *$tx).await
        }
    };
}

/// How failures turn into locks.
#[derive(Clone, Copy, Debug)]
pub struct LockPolicy {
    /// Consecutive failures that lock.
    pub max_failures: i64,
    /// First lock, in seconds.
    pub base_secs: i64,
    /// Longest lock, in seconds.
    pub max_secs: i64,
}

/// What [`Store::activate_device`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Another request changed the device first, or the pairing expired.
    NotActivated,
    /// The device is active; `codes_issued` when it is the user's only active device and the
    /// given backup codes became the user's set.
    Activated {
        /// Whether the backup codes were stored.
        codes_issued: bool,
    },
}

/// The user's current backup code set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BackupCodeInfo {
    /// Unused codes.
    pub remaining: i64,
    /// When the set was issued; None without a set.
    pub created_at: Option<i64>,
}

/// A login challenge as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub user_id: String,
    /// `pending`, `verified` or `failed` (expiry is computed from `expires_at`).
    pub status: String,
    pub attempts: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub verified_at: Option<i64>,
    /// `otp` or `backup_code` once verified.
    pub method: Option<String>,
}

/// A trusted device as stored, without its tag.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TrustedDeviceRow {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

/// A trusted device to create when a challenge is settled.
#[derive(Clone, Debug)]
pub struct NewTrustedDevice {
    pub id: String,
    /// The token's tag under the active key.
    pub tag: CodeTag,
    pub label: String,
    pub expires_at: i64,
    /// Its `trusted_device_created` event.
    pub event: Event,
}

/// A challenge to settle in the same transaction as the consumption of the code that
/// proves it: the code is consumed only if the challenge is still pending and unexpired,
/// and the challenge is verified only if the code is consumed.
#[derive(Clone, Debug)]
pub struct Settle {
    pub challenge_id: String,
    pub user_id: String,
    /// `otp` or `backup_code`.
    pub method: &'static str,
    /// A trusted device to create with it ("remember this device").
    pub trusted: Option<NewTrustedDevice>,
    /// The `challenge_verified` event (written after the code's own event; trusted devices
    /// revoked to make room get `trusted_device_revoked` events like it).
    pub event: Event,
}

/// What an attempt to consume a code did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumed<T = ()> {
    /// The code was consumed (and the challenge, if any, verified); for a backup code, how
    /// many unused codes are left.
    Yes(T),
    /// The code was already used (or the device is gone): nothing changed.
    No,
    /// The challenge was no longer pending or had expired: nothing changed.
    Unsettled,
}

/// What turning MFA off removed ([`Store::disable_mfa`], or [`Store::delete_device`] of the
/// last active device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub devices: u64,
    pub backup_codes: u64,
    pub trusted_devices: u64,
    pub challenges: u64,
}

impl Removed {
    /// The counts as the detail object of the `mfa_disabled` event.
    fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "devices": self.devices,
            "backup_codes": self.backup_codes,
            "trusted_devices": self.trusted_devices,
            "challenges": self.challenges,
        })
    }
}

/// What [`Store::delete_device`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The user has no such device: nothing changed.
    NotFound,
    /// The device is gone; the user still has an active device, or the device was pending.
    Removed,
    /// The device was the user's last active one: MFA is off, and with it went the backup
    /// codes, trusted devices and pending challenges (`devices` counts the one device).
    LastActiveRemoved(Removed),
}

/// Most live trusted devices per user: remembering one more revokes the oldest.
pub const MAX_TRUSTED_DEVICES: i64 = 20;

/// Failed attempts after which a challenge is spent.
pub const CHALLENGE_MAX_ATTEMPTS: i64 = 5;

const CHALLENGE_COLUMNS: &str = "id, user_id, status, attempts, ip, user_agent, created_at, \
     expires_at, verified_at, method";
const TRUSTED_COLUMNS: &str = "id, user_id, label, created_at, expires_at, last_used_at";

/// In a transaction `$tx` (after the user lock), verifies the pending challenge of `$settle`
/// at `$now` and creates its trusted device; evaluates to the ids of the trusted devices
/// revoked to make room, or `Ok(None)` when the challenge is no longer pending or has
/// expired (then nothing was written).
macro_rules! settle_in {
    ($tx:expr, $settle:expr, $now:expr) => {
        async {
            let verified = sqlx::query(
                "UPDATE challenges SET status = 'verified', verified_at = $1, method = $2 \
                 WHERE id = $3 AND user_id = $4 AND status = 'pending' AND expires_at > $1",
            )
            .bind($now)
            .bind($settle.method)
            .bind(&$settle.challenge_id)
            .bind(&$settle.user_id)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
                == 1;
            if !verified {
                return Ok::<_, sqlx::Error>(None);
            }
            let mut evicted = Vec::new();
            if let Some(t) = &$settle.trusted {
                sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1 AND expires_at <= $2")
                    .bind(&$settle.user_id)
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
                // Room for the new one: the oldest beyond the limit are revoked.
                evicted = sqlx::query_scalar::<_, String>(
                    "DELETE FROM trusted_devices WHERE user_id = $1 AND id NOT IN \
                     (SELECT id FROM trusted_devices WHERE user_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2) RETURNING id",
                )
                .bind(&$settle.user_id)
                .bind(MAX_TRUSTED_DEVICES - 1)
                .fetch_all(&mut *$tx)
                .await?;
                sqlx::query(
                    "INSERT INTO trusted_devices (id, user_id, key_id, hash, label, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&t.id)
                .bind(&$settle.user_id)
                .bind(&t.tag.key_id)
                .bind(&t.tag.tag)
                .bind(&t.label)
                .bind($now)
                .bind(t.expires_at)
                .execute(&mut *$tx)
                .await?;
            }
            Ok(Some(evicted))
        }
    };
}

/// Writes the events of a settled challenge on `$tx`: `challenge_verified`, then a
/// `trusted_device_revoked` for each device in `$evicted`, then `trusted_device_created`.
macro_rules! settle_events {
    ($tx:expr, $settle:expr, $evicted:expr) => {
        async {
            $tx.insert_event(&$settle.event).await?;
            for id in $evicted {
                let revoked = $settle.event.and_then(
                    crate::audit::Kind::TrustedDeviceRevoked,
                    serde_json::json!({ "trusted_device_id": id, "reason": "limit" }),
                );
                $tx.insert_event(&revoked).await?;
            }
            if let Some(t) = &$settle.trusted {
                $tx.insert_event(&t.event).await?;
            }
            Ok::<_, sqlx::Error>(())
        }
    };
}

/// In a transaction `$tx` (after the user lock), removes what depends on the user having MFA:
/// pending challenges, trusted devices and backup codes; evaluates to their [`Removed`]
/// counts (`devices` 0). The one definition of what goes when MFA is turned off, shared by
/// [`Store::disable_mfa`] (which then removes every device) and [`Store::delete_device`]
/// (when it removed the last active device).
macro_rules! clear_mfa_in {
    ($tx:expr, $user_id:expr) => {
        async {
            let mut removed = Removed::default();
            for (sql, count) in [
                (
                    "DELETE FROM challenges WHERE user_id = $1 AND status = 'pending'",
                    &mut removed.challenges,
                ),
                (
                    "DELETE FROM trusted_devices WHERE user_id = $1",
                    &mut removed.trusted_devices,
                ),
                (DELETE_CODES, &mut removed.backup_codes),
            ] {
                *count = sqlx::query(sql)
                    .bind($user_id)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected();
            }
            Ok::<_, sqlx::Error>(removed)
        }
    };
}

/// Takes the per-user row lock in a transaction: concurrent transactions of one user
/// (confirm, regenerate, settle, disable, device removal) run one after the other, each
/// seeing the other's committed rows. Lock order, so that PostgreSQL never deadlocks: a
/// transaction that touches a user's `users_state` row takes it before that user's device,
/// code, challenge or trusted-device rows (successes that clear the failure count too).
const LOCK_USER: [&str; 2] = [
    "INSERT INTO users_state (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING",
    "UPDATE users_state SET failures = failures WHERE user_id = $1",
];
/// Clears the failure count and the lock escalation after a success.
const RESET_FAILURES: &str =
    "UPDATE users_state SET failures = 0, last_lock_secs = 0 WHERE user_id = $1";
const COUNT_ACTIVE: &str = "SELECT COUNT(*) FROM devices WHERE user_id = $1 AND status = 'active'";

/// Takes the [`LOCK_USER`] lock of `$user_id` in the transaction `$tx`.
macro_rules! lock_user_in {
    ($tx:expr, $user_id:expr) => {
        async {
            for sql in LOCK_USER {
                sqlx::query(sql).bind($user_id).execute(&mut *$tx).await?;
            }
            Ok::<_, sqlx::Error>(())
        }
    };
}

/// How many active devices `$user_id` has, read in the transaction `$tx`.
macro_rules! count_active_in {
    ($tx:expr, $user_id:expr) => {
        sqlx::query_scalar::<_, i64>(COUNT_ACTIVE)
            .bind($user_id)
            .fetch_one(&mut *$tx)
    };
}
const DELETE_CODES: &str = "DELETE FROM backup_codes WHERE user_id = $1";
const INSERT_CODE: &str =
    "INSERT INTO backup_codes (user_id, key_id, hash, created_at) VALUES ($1, $2, $3, $4)";

/// Prepared statements kept per connection: room for every batch size of
/// [`crate::batch`]'s statements besides the others.
const STATEMENT_CACHE: usize = 4 * crate::batch::MAX_BATCH + 100;

/// A connection idle for longer than this is pinged before it is handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(30);

/// Pool options: a connection is checked before use only after it sat idle for a while
/// (sqlx's default pings before every acquire: one more round trip per query).
fn pool_options<DB: Database>(max_connections: u32) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

const DEVICE_COLUMNS: &str = "id, user_id, name, status, algorithm, digits, period, key_id, \
     nonce, ciphertext, last_step, created_at, pairing_expires_at, confirmed_at, last_used_at";

impl Store {
    /// Connects to `url`: `sqlite://path` (file created if missing, WAL) or `postgres://...`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .context("invalid PostgreSQL database_url")?
                .statement_cache_capacity(STATEMENT_CACHE);
            let pool = pool_options(max_connections)
                .connect_with(options)
                .await
                .context("cannot connect to PostgreSQL")?;
            Ok(Store::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .context("invalid SQLite database_url")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .statement_cache_capacity(STATEMENT_CACHE);
            let writer = pool_options(1)
                .connect_with(options.clone())
                .await
                .context("cannot open the SQLite database")?;
            let reader = pool_options(max_connections)
                .connect_with(options.create_if_missing(false))
                .await
                .context("cannot open the SQLite database")?;
            Ok(Store::Sqlite(SqliteDb { reader, writer }))
        } else {
            anyhow::bail!("database_url must start with sqlite: or postgres://")
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations (PostgreSQL serialises concurrent replicas with a lock).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(db) => SQLITE_MIGRATIONS.run(&db.writer).await,
            Store::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .context("database migration failed")
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(db) => {
                db.reader.close().await;
                db.writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Stores a new device, with its `device_created` event.
    pub async fn insert_device(&self, d: &DeviceRow, event: &Event) -> Result<()> {
        let sql = "INSERT INTO devices (id, user_id, name, status, algorithm, digits, period, \
                   key_id, nonce, ciphertext, last_step, created_at, pairing_expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query(sql)
                .bind(&d.id)
                .bind(&d.user_id)
                .bind(&d.name)
                .bind(&d.status)
                .bind(&d.algorithm)
                .bind(d.digits)
                .bind(d.period)
                .bind(&d.key_id)
                .bind(&d.nonce)
                .bind(&d.ciphertext)
                .bind(d.last_step)
                .bind(d.created_at)
                .bind(d.pairing_expires_at)
                .execute(&mut *tx)
                .await?;
            tx.insert_event(event).await?;
            tx.commit().await
        }
        .await)?;
        Ok(())
    }

    /// One device of a user.
    pub async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<DeviceRow>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND id = $2");
        Ok(on_pool!(self, pool => sqlx::query_as::<_, DeviceRow>(&sql)
            .bind(user_id)
            .bind(device_id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Active devices and pending devices not yet expired at `now`, oldest first.
    pub async fn list_devices(&self, user_id: &str, now: i64) -> Result<Vec<DeviceRow>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 \
             AND (status = 'active' OR pairing_expires_at > $2) ORDER BY created_at, id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as::<_, DeviceRow>(&sql)
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await)?)
    }

    /// The user's active devices with the user's lockout state, in one query (the hot path
    /// of verify). No devices: an empty list and the default state.
    pub async fn verify_context(&self, user_id: &str) -> Result<(UserState, Vec<DeviceRow>)> {
        let mut all = self.verify_contexts(&[user_id]).await?;
        Ok(all.pop().unwrap_or_default())
    }

    /// [`Store::verify_context`] of several users in one query, in the order of `user_ids`.
    pub async fn verify_contexts<S: AsRef<str>>(
        &self,
        user_ids: &[S],
    ) -> Result<Vec<(UserState, Vec<DeviceRow>)>> {
        let columns = DEVICE_COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, COALESCE(s.failures, 0) AS failures, \
             COALESCE(s.last_lock_secs, 0) AS last_lock_secs, \
             COALESCE(s.locked_until, 0) AS locked_until \
             FROM devices d LEFT JOIN users_state s ON s.user_id = d.user_id \
             WHERE d.user_id IN ({}) AND d.status = 'active' ORDER BY d.created_at, d.id",
            placeholders(user_ids.len(), 1)
        );
        let rows = on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, VerifyRow>(&sql);
            for id in user_ids {
                q = q.bind(id.as_ref());
            }
            q.fetch_all(pool).await
        })?;
        let mut out = vec![(UserState::default(), Vec::new()); user_ids.len()];
        for row in rows {
            for (i, _) in user_ids
                .iter()
                .enumerate()
                .filter(|(_, id)| id.as_ref() == row.device.user_id)
            {
                out[i].0 = row.state;
                out[i].1.push(row.device.clone());
            }
        }
        Ok(out)
    }

    /// Number of active devices of the user.
    pub async fn count_active(&self, user_id: &str) -> Result<i64> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar::<_, i64>(COUNT_ACTIVE)
            .bind(user_id)
            .fetch_one(pool)
            .await)?,
        )
    }

    /// Activates a pending device unexpired at `event.at` and records `step` as used; if it
    /// is then the user's only active device, `first_codes` replace the user's backup codes;
    /// clears the failure count if `reset_failures`; and writes `event` (`device_confirmed`,
    /// its detail object gaining `backup_codes_issued`): all in one transaction, nothing if
    /// not activated.
    pub async fn activate_device(
        &self,
        user_id: &str,
        device_id: &str,
        step: i64,
        first_codes: &[CodeTag],
        reset_failures: bool,
        event: &Event,
    ) -> Result<Activation> {
        let now = event.at;
        let activate = "UPDATE devices SET status = 'active', confirmed_at = $1, \
                        last_used_at = $1, last_step = $2 WHERE user_id = $3 AND id = $4 \
                        AND status = 'pending' AND pairing_expires_at > $1 AND last_step < $2";
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            lock_user_in!(tx, user_id).await?;
            let done = sqlx::query(activate)
                .bind(now)
                .bind(step)
                .bind(user_id)
                .bind(device_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if !done {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(Activation::NotActivated);
            }
            let active = count_active_in!(tx, user_id).await?;
            let codes_issued = active == 1;
            if codes_issued {
                sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
                for t in first_codes {
                    sqlx::query(INSERT_CODE)
                        .bind(user_id)
                        .bind(&t.key_id)
                        .bind(&t.tag)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            if reset_failures {
                sqlx::query(RESET_FAILURES).bind(user_id).execute(&mut *tx).await?;
            }
            let event = event.clone().with_field("backup_codes_issued", codes_issued.into());
            tx.insert_event(&event).await?;
            tx.commit().await?;
            Ok(Activation::Activated { codes_issued })
        }
        .await)?)
    }

    /// Replaces the user's backup codes with `codes` and writes `event`
    /// (`backup_codes_generated`), in one transaction; false (nothing changed) when the user
    /// has no active device.
    pub async fn replace_backup_codes(
        &self,
        user_id: &str,
        codes: &[CodeTag],
        now: i64,
        event: &Event,
    ) -> Result<bool> {
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            lock_user_in!(tx, user_id).await?;
            let active = count_active_in!(tx, user_id).await?;
            if active == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(false);
            }
            sqlx::query(DELETE_CODES).bind(user_id).execute(&mut *tx).await?;
            for t in codes {
                sqlx::query(INSERT_CODE)
                    .bind(user_id)
                    .bind(&t.key_id)
                    .bind(&t.tag)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.insert_event(event).await?;
            tx.commit().await?;
            Ok(true)
        }
        .await)?)
    }

    /// Unused backup codes of the user and when the set was issued.
    pub async fn backup_code_info(&self, user_id: &str) -> Result<BackupCodeInfo> {
        let sql = "SELECT COALESCE(SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), 0) \
                   AS remaining, MAX(created_at) AS created_at \
                   FROM backup_codes WHERE user_id = $1";
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, BackupCodeInfo>(sql)
            .bind(user_id)
            .fetch_one(pool)
            .await)?,
        )
    }

    /// Ids of the keys that unused backup codes are tagged under, with how many users have
    /// such codes; by key id.
    pub async fn backup_code_keys(&self) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT key_id, COUNT(DISTINCT user_id) FROM backup_codes \
                   WHERE used_at IS NULL GROUP BY key_id ORDER BY key_id";
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, i64)>(sql)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Ids of the keys that unexpired trusted-device tokens are tagged under, with how many
    /// users have such tokens; by key id.
    pub async fn trusted_device_keys(&self, now: i64) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT key_id, COUNT(DISTINCT user_id) FROM trusted_devices \
                   WHERE expires_at > $1 GROUP BY key_id ORDER BY key_id";
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, i64)>(sql)
            .bind(now)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Uses a backup code given as its tags (one per ring key): [`Consumed::Yes`] with the
    /// number of unused codes left only for the one request that marks it used, which in the
    /// same transaction clears the failure count if `reset_failures` and writes `event`
    /// (`backup_code_used`, its detail object gaining `remaining`) — and with `settle`,
    /// verifies that challenge too (see [`Settle`]). Nothing is written otherwise.
    pub async fn use_backup_code(
        &self,
        user_id: &str,
        tags: &[CodeTag],
        now: i64,
        reset_failures: bool,
        event: &Event,
        settle: Option<&Settle>,
    ) -> Result<Consumed<i64>> {
        let sql = "UPDATE backup_codes SET used_at = $1 WHERE user_id = $2 AND key_id = $3 \
                   AND hash = $4 AND used_at IS NULL";
        let remaining = "SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used_at IS NULL";
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            let mut evicted = Vec::new();
            // The user's row before the code's: the lock order of every LOCK_USER transaction.
            if settle.is_some() || reset_failures {
                lock_user_in!(tx, user_id).await?;
            }
            if let Some(settle) = settle {
                match settle_in!(tx, settle, now).await? {
                    Some(ids) => evicted = ids,
                    None => {
                        tx.rollback().await?;
                        return Ok::<_, sqlx::Error>(Consumed::Unsettled);
                    }
                }
            }
            let mut used = false;
            for code in tags {
                used = sqlx::query(sql)
                    .bind(now)
                    .bind(user_id)
                    .bind(&code.key_id)
                    .bind(&code.tag)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if used {
                    break;
                }
            }
            if !used {
                tx.rollback().await?;
                return Ok(Consumed::No);
            }
            let left: i64 = sqlx::query_scalar(remaining)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if reset_failures {
                sqlx::query(RESET_FAILURES).bind(user_id).execute(&mut *tx).await?;
            }
            tx.insert_event(&event.clone().with_field("remaining", left.into()))
                .await?;
            if let Some(settle) = settle {
                settle_events!(tx, settle, &evicted).await?;
            }
            tx.commit().await?;
            Ok(Consumed::Yes(left))
        }
        .await)?)
    }

    /// Accepts `step` on an active device: [`Consumed::Yes`] only for the one request that
    /// advances `last_step` to it, which in the same transaction writes `event`
    /// (`verify_succeeded`) and, only if `reset_failures`, clears the failure count of
    /// `event.user_id` — and with `settle`, verifies that challenge too (see [`Settle`]).
    /// Without `settle` it is a batch of one of [`Store::advance_steps`] (the hot path of
    /// verify, batched by [`crate::batch`]).
    pub async fn advance_step(
        &self,
        device_id: &str,
        step: i64,
        now: i64,
        reset_failures: bool,
        event: &Event,
        settle: Option<&Settle>,
    ) -> Result<Consumed> {
        let op = StepAdvance {
            device_id: device_id.to_string(),
            step,
            now,
            reset_failures,
            event: event.clone(),
        };
        let Some(settle) = settle else {
            let advanced = self.advance_steps(std::slice::from_ref(&op)).await?[0];
            return Ok(if advanced {
                Consumed::Yes(())
            } else {
                Consumed::No
            });
        };
        let sql = advance_sql(1);
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            lock_user_in!(tx, &event.user_id).await?;
            let evicted = match settle_in!(tx, settle, now).await? {
                Some(ids) => ids,
                None => {
                    tx.rollback().await?;
                    return Ok::<_, sqlx::Error>(Consumed::Unsettled);
                }
            };
            if advance_in!(tx, &sql, std::slice::from_ref(&op)).await?.is_empty() {
                tx.rollback().await?;
                return Ok(Consumed::No);
            }
            if reset_failures {
                sqlx::query(RESET_FAILURES)
                    .bind(&event.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.insert_event(event).await?;
            settle_events!(tx, settle, &evicted).await?;
            tx.commit().await?;
            Ok(Consumed::Yes(()))
        }
        .await)?)
    }

    /// [`Store::advance_step`] without a challenge for several devices in one transaction:
    /// one conditional `UPDATE` for all the steps, then the failure resets and one `INSERT`
    /// of the events of the devices that advanced. For each operation, in order, whether it
    /// advanced. No two may name one device.
    pub async fn advance_steps(&self, ops: &[StepAdvance]) -> Result<Vec<bool>> {
        let sql = advance_sql(ops.len());
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            // The rows of the users whose failure count a success clears, before the device
            // rows and in one order: the lock order of every LOCK_USER transaction.
            let mut resetting: Vec<&str> = ops
                .iter()
                .filter(|op| op.reset_failures)
                .map(|op| op.event.user_id.as_str())
                .collect();
            resetting.sort_unstable();
            resetting.dedup();
            for user_id in resetting {
                sqlx::query(LOCK_USER[1]).bind(user_id).execute(&mut *tx).await?;
            }
            let advanced = advance_in!(tx, &sql, ops).await?;
            let done: Vec<bool> = ops
                .iter()
                .map(|op| advanced.contains(&op.device_id))
                .collect();
            let won: Vec<&StepAdvance> = ops
                .iter()
                .zip(&done)
                .filter_map(|(op, &d)| d.then_some(op))
                .collect();
            if won.is_empty() {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(done);
            }
            for op in won.iter().filter(|op| op.reset_failures) {
                sqlx::query(RESET_FAILURES)
                    .bind(&op.event.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let events: Vec<&Event> = won.iter().map(|op| &op.event).collect();
            tx.insert_events(&events).await?;
            tx.commit().await?;
            Ok(done)
        }
        .await)?)
    }

    /// Deletes a device and writes `event` (`device_removed`), in one transaction under the
    /// user lock. When it was the user's last active device, MFA is off: the same
    /// transaction removes what [`Store::disable_mfa`] removes besides devices (backup
    /// codes, trusted devices, pending challenges; a pending device stays, and confirming
    /// it later issues a fresh code set) and writes an `mfa_disabled` event like `event`
    /// (detail: the counts, `devices` 1, and `"reason": "last_device_removed"`). Concurrent
    /// deletions of a user's last two active devices run one after the other, so the
    /// second one sees none left. [`Deletion::NotFound`] (nothing written) if the user has
    /// no such device.
    pub async fn delete_device(
        &self,
        user_id: &str,
        device_id: &str,
        event: &Event,
    ) -> Result<Deletion> {
        let sql = "DELETE FROM devices WHERE user_id = $1 AND id = $2 RETURNING status";
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            lock_user_in!(tx, user_id).await?;
            let status: Option<String> = sqlx::query_scalar(sql)
                .bind(user_id)
                .bind(device_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(status) = status else {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(Deletion::NotFound);
            };
            tx.insert_event(event).await?;
            let mut deletion = Deletion::Removed;
            if status == "active" {
                let active = count_active_in!(tx, user_id).await?;
                if active == 0 {
                    let removed = Removed {
                        devices: 1,
                        ..clear_mfa_in!(tx, user_id).await?
                    };
                    let off = event.and_then(crate::audit::Kind::MfaDisabled, removed.detail());
                    tx.insert_event(&off.with_field("reason", "last_device_removed".into()))
                        .await?;
                    deletion = Deletion::LastActiveRemoved(removed);
                }
            }
            tx.commit().await?;
            Ok(deletion)
        }
        .await)?)
    }

    /// Removes pending devices whose pairing ended before `before`.
    pub async fn purge_pending(&self, before: i64) -> Result<u64> {
        let sql = "DELETE FROM devices WHERE status = 'pending' AND pairing_expires_at < $1";
        Ok(on_writer!(self, pool => sqlx::query(sql)
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// The user's lockout state (all zero when never failed).
    pub async fn user_state(&self, user_id: &str) -> Result<UserState> {
        let sql =
            "SELECT failures, last_lock_secs, locked_until FROM users_state WHERE user_id = $1";
        Ok(on_pool!(self, pool => sqlx::query_as::<_, UserState>(sql)
            .bind(user_id)
            .fetch_optional(pool)
            .await)?
        .unwrap_or_default())
    }

    /// Counts one failure; the failure that reaches the limit locks the user (the first lock
    /// lasts `base_secs`, each further one twice the previous, at most `max_secs`) and starts
    /// the count again. With `challenge_id`, the failure is also an attempt on that pending
    /// challenge (the fifth spends it: `failed`), and `event` gains `attempts`. Writes `event` (`verify_failed`) and, when this failure locks, a
    /// `locked` event after it, in the same transaction. Returns the state after the update.
    pub async fn record_failure(
        &self,
        user_id: &str,
        now: i64,
        policy: LockPolicy,
        event: &Event,
        challenge_id: Option<&str>,
    ) -> Result<UserState> {
        let attempt = "UPDATE challenges SET attempts = attempts + 1, status = CASE \
                       WHEN attempts + 1 >= $2 THEN 'failed' ELSE status END \
                       WHERE id = $1 AND status = 'pending' RETURNING attempts";
        let insert =
            "INSERT INTO users_state (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING";
        let next_lock = "(CASE WHEN last_lock_secs = 0 THEN $3 \
                         WHEN last_lock_secs * 2 > $4 THEN $4 ELSE last_lock_secs * 2 END)";
        let update = format!(
            "UPDATE users_state SET \
             failures = CASE WHEN failures + 1 >= $2 THEN 0 ELSE failures + 1 END, \
             last_lock_secs = CASE WHEN failures + 1 >= $2 THEN {next_lock} ELSE last_lock_secs END, \
             locked_until = CASE WHEN failures + 1 >= $2 THEN $5 + {next_lock} ELSE locked_until END \
             WHERE user_id = $1 RETURNING failures, last_lock_secs, locked_until"
        );
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query(insert).bind(user_id).execute(&mut *tx).await?;
            let after = sqlx::query_as::<_, UserState>(&update)
                .bind(user_id)
                .bind(policy.max_failures)
                .bind(policy.base_secs)
                .bind(policy.max_secs)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            let event = match challenge_id {
                Some(id) => {
                    let attempts: Option<i64> = sqlx::query_scalar(attempt)
                        .bind(id)
                        .bind(CHALLENGE_MAX_ATTEMPTS)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match attempts {
                        Some(n) => event.clone().with_field("attempts", n.into()),
                        None => event.clone(),
                    }
                }
                None => event.clone(),
            };
            tx.insert_event(&event).await?;
            if after.just_locked(now) {
                tx.insert_event(&event.locked(&after)).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(after)
        }
        .await)?)
    }

    /// Devices whose secret is sealed under another key than `active_key_id`.
    pub async fn devices_not_under(&self, active_key_id: &str) -> Result<Vec<DeviceRow>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE key_id <> $1");
        Ok(on_pool!(self, pool => sqlx::query_as::<_, DeviceRow>(&sql)
            .bind(active_key_id)
            .fetch_all(pool)
            .await)?)
    }

    /// Replaces a device's ciphertext if it is still sealed under `old_key_id`.
    pub async fn reseal(&self, device_id: &str, old_key_id: &str, new: &Sealed) -> Result<bool> {
        let sql = "UPDATE devices SET key_id = $1, nonce = $2, ciphertext = $3 \
                   WHERE id = $4 AND key_id = $5";
        Ok(on_writer!(self, pool => sqlx::query(sql)
            .bind(&new.key_id)
            .bind(&new.nonce)
            .bind(&new.ciphertext)
            .bind(device_id)
            .bind(old_key_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1))?)
    }

    /// Stores a new challenge with its `challenge_created` event, and purges challenges that
    /// expired before `purge_before`.
    pub async fn insert_challenge(
        &self,
        c: &ChallengeRow,
        purge_before: i64,
        event: &Event,
    ) -> Result<()> {
        let insert = format!(
            "INSERT INTO challenges ({CHALLENGE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
                .bind(purge_before)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&insert)
                .bind(&c.id)
                .bind(&c.user_id)
                .bind(&c.status)
                .bind(c.attempts)
                .bind(&c.ip)
                .bind(&c.user_agent)
                .bind(c.created_at)
                .bind(c.expires_at)
                .bind(c.verified_at)
                .bind(&c.method)
                .execute(&mut *tx)
                .await?;
            tx.insert_event(event).await?;
            tx.commit().await
        }
        .await)?)
    }

    /// One challenge by id.
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>> {
        let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = $1");
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, ChallengeRow>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?,
        )
    }

    /// Whether a presented token is a live trusted device of `user_id`: the first of `tags`
    /// (the token's tag under each ring key) that names an unexpired device of the user
    /// marks it used at `now`; its expiry.
    pub async fn check_trusted(
        &self,
        user_id: &str,
        tags: &[CodeTag],
        now: i64,
    ) -> Result<Option<i64>> {
        let sql = "UPDATE trusted_devices SET last_used_at = $1 WHERE user_id = $2 \
                   AND key_id = $3 AND hash = $4 AND expires_at > $1 RETURNING expires_at";
        for tag in tags {
            let found = on_writer!(self, pool => sqlx::query_scalar::<_, i64>(sql)
                .bind(now)
                .bind(user_id)
                .bind(&tag.key_id)
                .bind(&tag.tag)
                .fetch_optional(pool)
                .await)?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// The user's unexpired trusted devices, newest first.
    pub async fn list_trusted(&self, user_id: &str, now: i64) -> Result<Vec<TrustedDeviceRow>> {
        let sql = format!(
            "SELECT {TRUSTED_COLUMNS} FROM trusted_devices WHERE user_id = $1 \
             AND expires_at > $2 ORDER BY created_at DESC, id"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, TrustedDeviceRow>(&sql)
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await)?,
        )
    }

    /// Revokes one trusted device (`Some(id)`) or all of the user's (`None`), each with a
    /// `trusted_device_revoked` event like `event` (detail: `trusted_device_id`); how many.
    pub async fn revoke_trusted(
        &self,
        user_id: &str,
        id: Option<&str>,
        event: &Event,
    ) -> Result<u64> {
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            let removed: Vec<String> = match id {
                Some(id) => sqlx::query_scalar(
                    "DELETE FROM trusted_devices WHERE user_id = $1 AND id = $2 RETURNING id",
                )
                .bind(user_id)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?,
                None => sqlx::query_scalar(
                    "DELETE FROM trusted_devices WHERE user_id = $1 RETURNING id",
                )
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?,
            };
            for id in &removed {
                let event = event.clone().with_field("trusted_device_id", id.as_str().into());
                tx.insert_event(&event).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(removed.len() as u64)
        }
        .await)?)
    }

    /// Turns MFA off for the user in one transaction: removes every device, backup code and
    /// trusted device, and the pending challenges. `None` (nothing changed) when the user
    /// has no active device.
    ///
    /// Writes `event` (`mfa_disabled`), its detail object gaining the counts removed.
    pub async fn disable_mfa(&self, user_id: &str, event: &Event) -> Result<Option<Removed>> {
        Ok(on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            lock_user_in!(tx, user_id).await?;
            let active = count_active_in!(tx, user_id).await?;
            if active == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(None);
            }
            let mut removed = clear_mfa_in!(tx, user_id).await?;
            removed.devices = sqlx::query("DELETE FROM devices WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.insert_event(&event.clone().with_detail(removed.detail())).await?;
            tx.commit().await?;
            Ok(Some(removed))
        }
        .await)?)
    }
}
