//! The host's own users: a fixed demo table with Argon2id password hashes.

use argon2::password_hash::{PasswordHash, PasswordVerifier};

/// Demo users and the Argon2id (m=19456 KiB, t=2, p=1) hashes of their passwords
/// (`alice-demo-password`, `bob-demo-password`; see the README).
const USERS: &[(&str, &str)] = &[
    (
        "alice",
        "$argon2id$v=19$m=19456,t=2,p=1$St94mUwvxnum96wkIXku/w$0knaTjWFc+4k84ZeW5AhMAGBCYzaya5rxf0VxWtAFkw",
    ),
    (
        "bob",
        "$argon2id$v=19$m=19456,t=2,p=1$q3fjKqkJHu7sEmrhmjmEVQ$kFoWGsD2WO1f1xbb+9khiZF7Tngj2RUv8xP07gqPz2A",
    ),
];

/// A hash with the same parameters that no password is known for: an unknown user name
/// costs the same time as a wrong password, so timing does not reveal which names exist.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$PwnY6KQ0KyuUW0rlj9Ra9Q$85qT7icgGd49ZUm18DqMKZk0k/SI6K8tPBhVDhV2koo";

/// The user id if `password` is the password of `username`. The comparison inside Argon2's
/// verification is constant-time; an unknown name runs the same verification on [`DUMMY`].
pub fn check_password(username: &str, password: &str) -> Option<&'static str> {
    let (user, hash, known) = match USERS.iter().find(|(name, _)| *name == username) {
        Some((name, hash)) => (*name, *hash, true),
        None => ("", DUMMY, false),
    };
    let hash = PasswordHash::new(hash).ok()?;
    let ok = argon2::Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok();
    (ok && known).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_demo_passwords_work_and_nothing_else_does() {
        assert_eq!(
            check_password("alice", "alice-demo-password"),
            Some("alice")
        );
        assert_eq!(check_password("bob", "bob-demo-password"), Some("bob"));
        assert_eq!(check_password("alice", "bob-demo-password"), None);
        assert_eq!(check_password("alice", "Alice-demo-password"), None);
        assert_eq!(check_password("alice", ""), None);
        assert_eq!(check_password("Alice", "alice-demo-password"), None);
        assert_eq!(check_password("mallory", "no user has this password"), None);
        assert_eq!(check_password("", ""), None);
    }
}
