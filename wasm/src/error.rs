//! The one mapping from core errors to the boundary: the error a failing export throws is
//! core's stable `.code()` as a string, which the JavaScript layer turns into a
//! `TwostepError` with that `code`. (core's `Display` texts stay out of the module: they
//! would pull in `core::fmt` for text that only repeats the code.)

use wasm_bindgen::JsValue;

/// What a failing export throws: an error code string.
pub type Failure = JsValue;

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

/// Converts any core error into the code thrown to the layer.
pub fn from_core<E: CoreError>(e: E) -> Failure {
    JsValue::from_str(e.code())
}
