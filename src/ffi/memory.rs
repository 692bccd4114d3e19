//! Memory crossing the boundary: input slices and strings borrowed from C, and `lm_buffer`,
//! the one type of memory the library hands out.

use std::ffi::{c_char, CStr};
use std::ptr;

use super::panic::guard_value;
use crate::error::{err, ErrorKind, Result};

/// Bytes the library returns. `data` is NUL-terminated after `len` bytes, so text can be read
/// as a C string. Free it with `lm_buffer_free`, never with `free()`.
#[repr(C)]
#[derive(Debug)]
pub struct lm_buffer {
    /// The bytes; NULL only in a zeroed buffer.
    pub data: *mut u8,
    /// The number of bytes before the terminating NUL.
    pub len: usize,
}

/// Frees the bytes of a buffer the library returned and zeroes the struct.
///
/// `buffer` may be NULL, and a zeroed buffer is ignored, so freeing the same buffer twice
/// is harmless. Thread-safe for distinct buffers.
#[no_mangle]
pub unsafe extern "C" fn lm_buffer_free(buffer: *mut lm_buffer) {
    guard_value((), || {
        // SAFETY: the caller passes NULL or a valid, writable lm_buffer; NULL is handled by
        // as_mut.
        let Some(buffer) = (unsafe { buffer.as_mut() }) else {
            return;
        };
        if !buffer.data.is_null() {
            let total = buffer.len + 1;
            // SAFETY: data and len came from write_buffer, which leaked a boxed slice of
            // exactly len + 1 bytes; the struct is zeroed below, so it is freed once.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(buffer.data, total)) });
        }
        buffer.data = ptr::null_mut();
        buffer.len = 0;
    });
}

/// Zeroes an output buffer without freeing what it held, as the header documents.
pub(crate) fn clear_buffer(out: *mut lm_buffer) {
    // SAFETY: the caller checked nothing yet; NULL is handled by as_mut, and any other
    // pointer is the caller's writable lm_buffer.
    if let Some(out) = unsafe { out.as_mut() } {
        out.data = ptr::null_mut();
        out.len = 0;
    }
}

/// Copies `bytes` plus a NUL into a new allocation and hands it to the caller.
pub(crate) fn write_buffer(out: *mut lm_buffer, bytes: &[u8]) -> Result<()> {
    // SAFETY: NULL is handled by as_mut; any other pointer is the caller's writable lm_buffer.
    let out = unsafe { out.as_mut() }.ok_or_else(|| null_argument("output buffer"))?;
    let mut owned = Vec::with_capacity(bytes.len() + 1);
    owned.extend_from_slice(bytes);
    owned.push(0);
    let boxed = owned.into_boxed_slice();
    out.len = bytes.len();
    out.data = Box::into_raw(boxed).cast::<u8>();
    Ok(())
}

pub(crate) fn null_argument(name: &str) -> crate::Error {
    err(ErrorKind::InvalidArgument, format!("{name} is NULL"))
}

/// Borrows `(ptr, len)` as a slice: `(NULL, 0)` is empty and `(NULL, n > 0)` an error.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that outlive the returned slice.
pub(crate) unsafe fn input_slice<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(err(
            ErrorKind::InvalidArgument,
            format!("{name} is NULL with length {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(err(
            ErrorKind::InvalidArgument,
            format!("{name} length {len} is too large"),
        ));
    }
    // SAFETY: ptr is non-NULL and the caller guarantees len readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a NUL-terminated UTF-8 string.
///
/// # Safety
/// A non-NULL `text` must point to a NUL-terminated string that outlives the result.
pub(crate) unsafe fn input_text<'a>(text: *const c_char, name: &str) -> Result<&'a str> {
    if text.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: text is non-NULL and the caller guarantees NUL termination.
    let bytes = unsafe { CStr::from_ptr(text) };
    bytes.to_str().map_err(|e| {
        err(
            ErrorKind::InvalidArgument,
            format!(
                "{name} is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Stores a new handle in `*out`.
pub(crate) fn write_handle<T, H>(out: *mut *mut H, value: T) -> Result<()> {
    // SAFETY: NULL is handled by as_mut; any other pointer is the caller's writable slot.
    let slot = unsafe { out.as_mut() }.ok_or_else(|| null_argument("output handle"))?;
    *slot = Box::into_raw(Box::new(value)).cast::<H>();
    Ok(())
}

/// Sets `*out` to NULL when `out` is not NULL, so a failure leaves no stale handle.
pub(crate) fn clear_handle<H>(out: *mut *mut H) {
    // SAFETY: NULL is handled by as_mut; any other pointer is the caller's writable slot.
    if let Some(slot) = unsafe { out.as_mut() } {
        *slot = ptr::null_mut();
    }
}

/// Borrows the Rust value behind a handle.
///
/// # Safety
/// A non-NULL `handle` must come from `write_handle::<T, H>` and not have been freed.
pub(crate) unsafe fn borrow_handle<'a, T, H>(handle: *const H, name: &str) -> Result<&'a T> {
    // SAFETY: the caller guarantees the handle points to a live T; NULL is handled by as_ref.
    unsafe { handle.cast::<T>().as_ref() }.ok_or_else(|| null_argument(name))
}

/// Frees the Rust value behind a handle; NULL is ignored.
///
/// # Safety
/// A non-NULL `handle` must come from `write_handle::<T, H>` and not have been freed.
pub(crate) unsafe fn free_handle<T, H>(handle: *mut H) {
    if !handle.is_null() {
        // SAFETY: the caller guarantees the handle came from Box::into_raw of a T.
        drop(unsafe { Box::from_raw(handle.cast::<T>()) });
    }
}
