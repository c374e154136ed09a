//! The one mapping from core errors to the boundary: a failing operation returns core's
//! stable `.code()`, which the JavaScript layer turns into a `TwostepError` with that
//! `code`. (core's `Display` texts stay out of the module: they would pull in `core::fmt`
//! for text that only repeats the code.)

/// A failed operation: core's error code.
pub struct Failure(pub &'static str);

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

impl<E: CoreError> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure(e.code())
    }
}
