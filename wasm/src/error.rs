//! The one mapping from core errors to JavaScript: an `Error` whose `name` is
//! `"TwostepError"` and whose `code` is core's stable `.code()`.

use alloc::string::String;
use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

/// The code for a value of the wrong JavaScript type or out of range for its parameter
/// (a time that is not a whole number of seconds, an options field of the wrong type).
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// A `TwostepError` with `code` and a human-readable `message`.
pub fn twostep_error(code: &str, message: &str) -> JsValue {
    let error = Error::new(message);
    error.set_name("TwostepError");
    // Setting a property on a fresh `Error` object cannot fail.
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

/// A JavaScript-side type or range error; `message` names the argument and the rule.
pub fn invalid_argument(message: &str) -> JsValue {
    twostep_error(INVALID_ARGUMENT, message)
}

/// Errors from core, each with its stable snake_case `.code()`.
pub trait CoreError {
    /// The stable code.
    fn code(&self) -> &'static str;
}

macro_rules! core_error {
    ($($t:ty),*) => {$(
        impl CoreError for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

core_error!(twostep::SecretError, twostep::ParamError, twostep::UriError);
#[cfg(feature = "qr")]
core_error!(twostep::qr::QrError);
#[cfg(feature = "migration")]
core_error!(twostep::migration::MigrationError);

/// Converts any core error into the JavaScript error thrown to the caller. The message is
/// the code in words ("invalid base32"): core's `Display` texts would pull `core::fmt` and
/// Unicode tables (through `char`'s `Debug`) into the module, several kilobytes for text
/// that only repeats the code.
pub fn from_core<E: CoreError>(e: E) -> JsValue {
    let code = e.code();
    let mut message = String::from("twostep: ");
    // Codes are ASCII snake_case.
    for &b in code.as_bytes() {
        message.push(if b == b'_' { ' ' } else { char::from(b) });
    }
    twostep_error(code, &message)
}
