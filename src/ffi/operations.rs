//! The signing and license operations: `lm_sign`, `lm_checkout` and the AWS operations
//! around it. Each takes the store, the signer when it signs, the request, then the output.

use super::memory::{
    borrow_handle, clear_buffer, input_slice, lm_buffer, null_argument, write_buffer,
};
use super::panic::guard;
use super::signer::lm_signer;
use super::status::lm_status;
use super::store::lm_store;
use crate::error::Result;
use crate::license::Store;
use crate::signer::Signer;

/// Signs any bytes as a JWS compact token with the signer's default algorithm; the header
/// carries `typ: "JWT"` only when the payload is a JSON object.
///
/// - `signer`: borrowed for the call.
/// - `payload`, `payload_len`: the bytes to sign, borrowed; `(NULL, 0)` signs empty bytes.
/// - `out_token`: receives the token text, freed with `lm_buffer_free`; zeroed on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT` (NULL pointers) or `LM_STATUS_SIGNER`.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_sign(
    signer: *const lm_signer,
    payload: *const u8,
    payload_len: usize,
    out_token: *mut lm_buffer,
) -> lm_status {
    guard(|| {
        clear_buffer(out_token);
        if out_token.is_null() {
            return Err(null_argument("out_token"));
        }
        // SAFETY: signer is NULL or a live handle from lm_signer_from_pem.
        let signer = unsafe { borrow_handle::<Signer, lm_signer>(signer, "signer") }?;
        // SAFETY: the caller passes payload_len readable bytes at payload, or NULL.
        let payload = unsafe { input_slice(payload, payload_len, "payload") }?;
        write_buffer(out_token, signer.sign(payload)?.as_bytes())
    })
}

/// Runs one store operation: checks the pointers, parses nothing itself, writes the JSON.
///
/// # Safety
/// `store` is NULL or a live handle; `request` points to `request_len` readable bytes or is NULL.
unsafe fn run_operation(
    store: *mut lm_store,
    request: *const u8,
    request_len: usize,
    out: *mut lm_buffer,
    operation: impl FnOnce(&Store, &[u8]) -> Result<serde_json::Value>,
) -> lm_status {
    guard(|| {
        clear_buffer(out);
        if out.is_null() {
            return Err(null_argument("output buffer"));
        }
        // SAFETY: store is NULL or a live handle from lm_store_open*.
        let store = unsafe { borrow_handle::<Store, lm_store>(store, "store") }?;
        // SAFETY: the caller passes request_len readable bytes at request, or NULL.
        let request = unsafe { input_slice(request, request_len, "request") }?;
        let response = operation(store, request)?;
        write_buffer(out, response.to_string().as_bytes())
    })
}

/// Borrows a signer for an operation that signs.
///
/// # Safety
/// `signer` is NULL or a live handle from `lm_signer_from_pem`.
unsafe fn signer_ref<'a>(signer: *const lm_signer) -> Result<&'a Signer> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow_handle::<Signer, lm_signer>(signer, "signer") }
}

/// Checks entitlements out of a license and writes the response with its `SignedToken`.
///
/// The request is an AWS CheckoutLicense (with `CheckoutType` `PROVISIONAL` or `PERPETUAL`)
/// or CheckoutBorrowLicense (with `DigitalSignatureMethod` and no `CheckoutType`), with a
/// required `ClientToken`: a replay returns the first response verbatim.
///
/// - `store`, `signer`: borrowed for the call; the signer's key must be the license's
///   `Issuer.SignKey`.
/// - `request_json`, `request_len`: the request, borrowed.
/// - `out_result_json`: receives the response JSON, freed with `lm_buffer_free`; zeroed on
///   failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`,
/// `LM_STATUS_KEY_INVALID` (wrong signer), `LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD`,
/// `LM_STATUS_NOT_FOUND`, `LM_STATUS_NO_ENTITLEMENTS_ALLOWED`,
/// `LM_STATUS_ENTITLEMENT_NOT_ALLOWED`, `LM_STATUS_CONFLICT`, `LM_STATUS_STORE` or
/// `LM_STATUS_SIGNER`. A failure changes nothing stored. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_checkout(
    store: *mut lm_store,
    signer: *const lm_signer,
    request_json: *const u8,
    request_len: usize,
    out_result_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_result_json,
            |store, request| store.checkout(signer_ref(signer)?, request),
        )
    }
}

/// Creates a license from an AWS CreateLicense request (with a required `ClientToken`) and
/// writes `{LicenseArn, Status, Version}`.
///
/// - `store`: borrowed for the call. `request_json`, `request_len`: borrowed.
/// - `out_response_json`: receives the JSON, freed with `lm_buffer_free`; zeroed on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`,
/// `LM_STATUS_CONFLICT` (ClientToken reused with another request) or `LM_STATUS_STORE`.
/// Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_create_license(
    store: *mut lm_store,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            Store::create_license,
        )
    }
}

/// Writes `{"License": {...}}` for a `{"LicenseArn"}` request.
///
/// Pointers and ownership as for `lm_create_license`. Returns `LM_STATUS_OK`,
/// `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`, `LM_STATUS_NOT_FOUND` or
/// `LM_STATUS_STORE`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_get_license(
    store: *mut lm_store,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            Store::get_license,
        )
    }
}

/// Writes `{"LicenseUsage": {"EntitlementUsages": [...]}}` for a `{"LicenseArn"}` request.
///
/// Pointers and ownership as for `lm_create_license`. Returns `LM_STATUS_OK`,
/// `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`, `LM_STATUS_NOT_FOUND` or
/// `LM_STATUS_STORE`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_get_license_usage(
    store: *mut lm_store,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            Store::get_license_usage,
        )
    }
}

/// Writes `{"LicenseConsumptions": [...]}` for a `{"LicenseArn", "State"?}` request, where
/// `State` is `ACTIVE`, `CHECKED_IN` or `EXPIRED`.
///
/// Pointers and ownership as for `lm_create_license`. Returns `LM_STATUS_OK`,
/// `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`, `LM_STATUS_NOT_FOUND` or
/// `LM_STATUS_STORE`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_list_license_consumptions(
    store: *mut lm_store,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            Store::list_license_consumptions,
        )
    }
}

/// Checks a consumption in (`{"LicenseConsumptionToken"}`) and writes `{}`.
///
/// Pointers and ownership as for `lm_create_license`. Returns `LM_STATUS_OK`,
/// `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION`, `LM_STATUS_NOT_FOUND` (unknown,
/// already checked in or expired), `LM_STATUS_CONFLICT` (check-in not allowed) or
/// `LM_STATUS_STORE`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_check_in(
    store: *mut lm_store,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            Store::check_in,
        )
    }
}

/// Extends a provisional or borrow consumption (`{"LicenseConsumptionToken", "DryRun"?}`)
/// and writes `{LicenseConsumptionToken, Expiration, IssuedAt, SignedToken}`.
///
/// - `store`, `signer`: borrowed for the call; the signer's key must be the license's
///   `Issuer.SignKey`.
/// - `request_json`, `request_len`: borrowed.
/// - `out_response_json`: receives the JSON, freed with `lm_buffer_free`; zeroed on failure.
///
/// Returns `LM_STATUS_OK`, `LM_STATUS_INVALID_ARGUMENT`, `LM_STATUS_VALIDATION` (PERPETUAL),
/// `LM_STATUS_KEY_INVALID`, `LM_STATUS_NOT_FOUND`, `LM_STATUS_NO_ENTITLEMENTS_ALLOWED`
/// (license outside its validity), `LM_STATUS_STORE` or `LM_STATUS_SIGNER`. Thread-safe.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn lm_extend_license_consumption(
    store: *mut lm_store,
    signer: *const lm_signer,
    request_json: *const u8,
    request_len: usize,
    out_response_json: *mut lm_buffer,
) -> lm_status {
    // SAFETY: the caller's pointers are forwarded under the same contract.
    unsafe {
        run_operation(
            store,
            request_json,
            request_len,
            out_response_json,
            |store, request| store.extend_license_consumption(signer_ref(signer)?, request),
        )
    }
}
