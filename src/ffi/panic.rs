//! The panic guard every export runs in, and the per-thread message of the last failure.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::lm_status;
use crate::error::{Error, ErrorKind, Result};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // Interior NUL bytes would cut the C string short, so they become spaces.
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|cell| *cell.borrow_mut() = text);
}

/// Runs `body`, turns its error into a status and a message, and stops any panic at the
/// boundary with `LM_STATUS_INTERNAL`.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> lm_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => lm_status::Ok,
        Ok(Err(error)) => fail(&error),
        Err(_) => fail(&Error::new(
            ErrorKind::Internal,
            "libcheckout hit an internal error (a panic was caught at the C boundary); please report it",
        )),
    }
}

/// Records `error` as this thread's last failure and returns its status.
pub(crate) fn fail(error: &Error) -> lm_status {
    set_last_error(error.message());
    lm_status::from(error.kind())
}

/// Runs `body` for an export that returns no status; a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Returns the message of the last failure on the calling thread, or `""` before any.
///
/// The string belongs to the library and stays valid until the next failing call on the
/// same thread; never free it. Never NULL.
#[no_mangle]
pub extern "C" fn lm_last_error_message() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        LAST_ERROR.with(|cell| cell.borrow().as_ptr())
    })
}
