//! HTTP handlers, grouped by resource. Each extracts, calls [`crate::domain`], and maps the
//! result to a response.

pub mod backup_codes;
pub mod challenges;
pub mod devices;
pub mod events;
pub mod mfa;
pub mod ops;
pub mod trusted_devices;
pub mod verify;

use crate::auth::Caller;
use crate::domain::check_user_id;
use crate::error::ApiError;

/// 400 for an invalid user id, 403 when the caller may not act on it.
fn authorize(caller: &Caller, user_id: &str) -> Result<(), ApiError> {
    check_user_id(user_id)?;
    caller.may_act_on(user_id)
}
