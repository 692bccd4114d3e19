//! JavaScript errors: core errors become `Error` objects with `code`, `status` and `reasons`;
//! values of the wrong JavaScript type become `TypeError`s.

use std::panic::{catch_unwind, AssertUnwindSafe};

use checkout::ErrorKind;
use napi::bindgen_prelude::{Array, JsObjectValue, JsTypeError, Object, Unknown};
use napi::{Env, JsValue, Status};

/// Builds the `Error` thrown for a core error: the core's message, `code` set to the C
/// constant name, `status` to its number and `reasons` to the refused entitlements (empty
/// unless a checkout was refused).
pub(crate) fn core_error(env: &Env, error: &checkout::Error) -> napi::Error {
    match build_core_error(env, error) {
        // An error built from a JavaScript value is thrown or rejected as that value.
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(failure) => failure,
    }
}

fn build_core_error<'env>(env: &'env Env, error: &checkout::Error) -> napi::Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::new(Status::GenericFailure, error.message()))?;
    object.set_named_property("code", error.kind().code())?;
    object.set_named_property("status", error.status())?;

    let mut reasons = env.create_array(0)?;
    for reason in error.reasons() {
        let mut entry = Object::new(env)?;
        entry.set_named_property("name", reason.name.as_str())?;
        entry.set_named_property("reason", reason.reason.as_str())?;
        reasons.insert(entry)?;
    }
    object.set_named_property::<Array>("reasons", reasons)?;
    Ok(object)
}

/// Builds a `TypeError` with Node's code for an argument of the wrong type.
pub(crate) fn type_error(env: &Env, message: impl Into<String>) -> napi::Error {
    let error = napi::Error::new(Status::InvalidArg, message.into());
    // SAFETY: `env` is the environment of the current call, on its own thread.
    let raw = unsafe { JsTypeError::from(error).into_value(env.raw()) };
    // SAFETY: `raw` is a live value that `into_value` just created in `env`.
    let value = unsafe { Unknown::from_raw_unchecked(env.raw(), raw) };
    if let Ok(mut object) = value.coerce_to_object() {
        // A failure here leaves the error's code as "InvalidArg", which is still a TypeError.
        let _ = object.set_named_property("code", "ERR_INVALID_ARG_TYPE");
    }
    napi::Error::from(value)
}

/// Builds the error of a JavaScript value that the core would reject as invalid input.
pub(crate) fn invalid_argument(env: &Env, message: impl Into<String>) -> napi::Error {
    core_error(
        env,
        &checkout::Error::new(ErrorKind::InvalidArgument, message),
    )
}

/// Runs a core operation and turns a panic into an internal error (status 900), so that no
/// panic unwinds into Node, whichever thread runs the operation.
pub(crate) fn guarded<T>(operation: impl FnOnce() -> checkout::Result<T>) -> checkout::Result<T> {
    catch_unwind(AssertUnwindSafe(operation)).unwrap_or_else(|_| {
        Err(checkout::Error::new(
            ErrorKind::Internal,
            "libcheckout panicked; this is a bug, please report it",
        ))
    })
}

/// Extension to turn core results into JavaScript results.
pub(crate) trait IntoJsResult<T> {
    fn into_js(self, env: &Env) -> napi::Result<T>;
}

impl<T> IntoJsResult<T> for checkout::Result<T> {
    fn into_js(self, env: &Env) -> napi::Result<T> {
        self.map_err(|error| core_error(env, &error))
    }
}
