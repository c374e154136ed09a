//! Verify's batched database work (twostep_server::batch): many concurrent verifications
//! share statements, and each request still gets its own answer; the batched store calls
//! answer per operation exactly as the single ones do. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::*;
use std::sync::Arc;
use twostep_server::audit::{Event, Kind};
use twostep_server::client::ClientInfo;
use twostep_server::store::{DeviceRow, StepAdvance, Store, UserState};

/// 40 users verify at once, each with a valid code sent twice: every user gets exactly one
/// 200 naming their own device, the copy a 422.
async fn many_users_at_once(db: Db) {
    let app = Arc::new(
        TestApp::with(db, |c| {
            c.lockout_max_failures = 1000;
        })
        .await,
    );
    let mut users = Vec::new();
    for i in 0..40 {
        let user = format!("user-{i}");
        let (device, secret) = app.pair_active(&user).await;
        users.push((user, device, totp_sha1(&secret, app.now() + 30)));
    }
    let mut tasks = Vec::new();
    for (user, _, code) in users.iter().chain(users.iter()) {
        let (app, user, code) = (app.clone(), user.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let r = app.verify(&user, &code).await;
            (user, r)
        }));
    }
    let mut ok = std::collections::HashMap::new();
    for t in tasks {
        let (user, r) = t.await.unwrap();
        match r.status {
            StatusCode::OK => {
                assert_eq!(r.json["valid"], true);
                let device = r.json["device_id"].as_str().unwrap().to_string();
                assert!(
                    ok.insert(user, device).is_none(),
                    "two successes for one code"
                );
            }
            _ => r.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_code"),
        }
    }
    assert_eq!(ok.len(), users.len());
    for (user, device, _) in &users {
        assert_eq!(&ok[user], device);
    }
}

async fn store_of(db: Db) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("b.db").display()),
        Db::Postgres(url) => url,
    };
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

fn device(id: &str, user: &str, status: &str, last_step: i64, created_at: i64) -> DeviceRow {
    DeviceRow {
        id: id.into(),
        user_id: user.into(),
        name: "phone".into(),
        status: status.into(),
        algorithm: "SHA1".into(),
        digits: 6,
        period: 30,
        key_id: "k".into(),
        nonce: vec![0; 24],
        ciphertext: vec![1; 36],
        last_step,
        created_at,
        pairing_expires_at: created_at + 600,
        confirmed_at: None,
        last_used_at: None,
    }
}

fn event(kind: Kind, user: &str, detail: &str) -> Event {
    Event::new(kind, user, 1000, &ClientInfo::default()).with_detail(detail.into())
}

async fn insert(store: &Store, d: &DeviceRow) {
    let created = event(Kind::DeviceCreated, &d.user_id, "created");
    store.insert_device(d, &created).await.unwrap();
}

async fn rows<T>(store: &Store, sql: &str) -> Vec<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    match store {
        Store::Sqlite(db) => sqlx::query_as(sql).fetch_all(&db.reader).await,
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .unwrap()
}

async fn last_steps(store: &Store) -> Vec<(String, i64)> {
    rows(store, "SELECT id, last_step FROM devices ORDER BY id").await
}

/// (user, kind, detail) of the events after the devices' creation, oldest first.
async fn verify_events(store: &Store) -> Vec<(String, String, String)> {
    rows(
        store,
        "SELECT user_id, kind, detail FROM events WHERE kind <> 'device_created' ORDER BY id",
    )
    .await
}

/// advance_steps: one answer per operation, each as its own conditional write would give;
/// the events and failure resets of exactly the operations that advanced, in order, in the
/// same transaction.
async fn advance_steps_answer_each(db: Db) {
    let (_dir, store) = store_of(db).await;
    insert(&store, &device("a", "u1", "active", -1, 1)).await;
    insert(&store, &device("b", "u1", "active", 100, 2)).await;
    insert(&store, &device("c", "u2", "pending", -1, 3)).await;
    insert(&store, &device("d", "u3", "active", -1, 4)).await;
    let policy = twostep_server::store::LockPolicy {
        max_failures: 5,
        base_secs: 60,
        max_secs: 3600,
    };
    for user in ["u1", "u3"] {
        let failed = event(Kind::VerifyFailed, user, "failed");
        store
            .record_failure(user, 1000, policy, &failed, None)
            .await
            .unwrap();
    }
    let op = |id: &str, user: &str, step, reset_failures| StepAdvance {
        device_id: id.into(),
        step,
        now: 1000,
        reset_failures,
        event: event(Kind::VerifySucceeded, user, &format!("{id}@{step}")),
    };
    let done = store
        .advance_steps(&[
            op("b", "u1", 100, true),
            op("a", "u1", 5, false),
            op("c", "u2", 5, true),
            op("none", "u9", 5, true),
            op("d", "u3", 7, true),
        ])
        .await
        .unwrap();
    assert_eq!(done, [false, true, false, false, true]);
    let done = store
        .advance_steps(&[op("b", "u1", 101, false), op("a", "u1", 5, false)])
        .await
        .unwrap();
    assert_eq!(done, [true, false]);
    let done = store
        .advance_steps(&[op("a", "u1", 4, true)])
        .await
        .unwrap();
    assert_eq!(done, [false]);
    assert_eq!(
        last_steps(&store).await,
        [
            ("a".into(), 5),
            ("b".into(), 101),
            ("c".into(), -1),
            ("d".into(), 7)
        ]
    );
    let e = |user: &str, kind: &str, detail: &str| {
        (user.to_string(), kind.to_string(), format!("\"{detail}\""))
    };
    assert_eq!(
        verify_events(&store).await,
        [
            e("u1", "verify_failed", "failed"),
            e("u3", "verify_failed", "failed"),
            e("u1", "verify_succeeded", "a@5"),
            e("u3", "verify_succeeded", "d@7"),
            e("u1", "verify_succeeded", "b@101"),
        ]
    );
    // Only u3's operation asked for the reset; u1's failure stays counted.
    let failures: Vec<(String, i64)> = rows(
        &store,
        "SELECT user_id, failures FROM users_state ORDER BY user_id",
    )
    .await;
    assert_eq!(failures, [("u1".into(), 1), ("u3".into(), 0)]);
}

/// verify_contexts: each user's active devices oldest first with the lock state, in the
/// order asked, repeats included; a user without active devices gets nothing.
async fn verify_contexts_answer_each(db: Db) {
    let (_dir, store) = store_of(db).await;
    for d in [
        device("a2", "u1", "active", -1, 20),
        device("a1", "u1", "active", -1, 10),
        device("p", "u2", "pending", -1, 10),
        device("x", "u3", "active", -1, 10),
    ] {
        insert(&store, &d).await;
    }
    let policy = twostep_server::store::LockPolicy {
        max_failures: 5,
        base_secs: 60,
        max_secs: 3600,
    };
    let failed = event(Kind::VerifyFailed, "u1", "failed");
    store
        .record_failure("u1", 1000, policy, &failed, None)
        .await
        .unwrap();
    let got = store
        .verify_contexts(&["u1", "u2", "u3", "u1", "nobody"])
        .await
        .unwrap();
    let ids = |i: usize| got[i].1.iter().map(|d| d.id.as_str()).collect::<Vec<_>>();
    assert_eq!(ids(0), ["a1", "a2"]);
    assert_eq!(ids(1), Vec::<&str>::new());
    assert_eq!(ids(2), ["x"]);
    assert_eq!(ids(3), ["a1", "a2"]);
    assert_eq!(ids(4), Vec::<&str>::new());
    let failed = UserState {
        failures: 1,
        last_lock_secs: 0,
        locked_until: 0,
    };
    assert_eq!(got[0].0, failed);
    assert_eq!(got[3].0, failed);
    assert_eq!(got[2].0, UserState::default());
    assert_eq!(got[4].0, UserState::default());
}

on_both!(
    many_users_at_once,
    advance_steps_answer_each,
    verify_contexts_answer_each
);
