//! `lm_store`: the license store handle.

use std::ffi::c_char;

use super::memory::{clear_handle, free_handle, input_text, null_argument, write_handle};
use super::panic::{guard, guard_value};
use super::status::lm_status;
use crate::license::Store;

/// A license store. Opaque; one handle may serve many threads at once, and the store
/// serializes internally what must be serialized.
pub struct lm_store {
    _private: [u8; 0],
}

/// Opens a store: a SQLite file path (created if missing; its folder must exist) or
/// `":memory:"`.
///
/// - `location`: NUL-terminated UTF-8, borrowed for the call.
/// - `out`: receives a new handle, closed with `lm_store_close`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers, non-UTF-8) or
/// `LM_STATUS_STORE` (the file cannot be opened or created).
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_store_open(
    location: *const c_char,
    out: *mut *mut lm_store,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: location is NULL or a NUL-terminated string.
        let location = unsafe { input_text(location, "location") }?;
        write_handle::<Store, lm_store>(out, Store::open(location)?)
    })
}

/// Opens a store with options.
///
/// - `location`: as for `lm_store_open`.
/// - `options_json`: NUL-terminated JSON, every member optional: `accountId` (12 digits,
///   used only when the store is created; default `"000000000000"`) and `synchronous`
///   (`"NORMAL"`, the default: a returned checkout survives a killed process; `"FULL"`: it
///   also survives a power loss). An unknown member is an error. NULL means the defaults.
/// - `out`: receives a new handle, closed with `lm_store_close`; NULL on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers, bad options),
/// `LM_STATUS_VALIDATION` (an `accountId` other than the existing store's) or
/// `LM_STATUS_STORE`.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_store_open_with_options(
    location: *const c_char,
    options_json: *const c_char,
    out: *mut *mut lm_store,
) -> lm_status {
    guard(|| {
        clear_handle(out);
        if out.is_null() {
            return Err(null_argument("out"));
        }
        // SAFETY: location is NULL or a NUL-terminated string.
        let location = unsafe { input_text(location, "location") }?;
        let store = if options_json.is_null() {
            Store::open(location)?
        } else {
            // SAFETY: a non-NULL options_json is a NUL-terminated string.
            let options = unsafe { input_text(options_json, "options_json") }?;
            Store::open_with_options(location, options.as_bytes())?
        };
        write_handle::<Store, lm_store>(out, store)
    })
}

/// Closes a store. NULL is ignored. The handle must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn lm_store_close(store: *mut lm_store) {
    guard_value((), || {
        // SAFETY: store is NULL or a live handle from lm_store_open*.
        unsafe { free_handle::<Store, lm_store>(store) }
    });
}
