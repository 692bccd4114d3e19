//! Drives the C ABI with arbitrary bytes, through valid pointers only: the first input byte
//! chooses the entry point (see the `match` at the end) and the rest is its input, copied into an allocation of exactly
//! its length so AddressSanitizer reports any read past it. Each call must keep the ABI's
//! contract: on success a NUL-terminated buffer or a non-NULL handle, on failure a zeroed
//! buffer or a NULL handle and a non-empty `lm_last_error_message`. Every buffer and handle
//! is freed, so LeakSanitizer reports anything the library leaks.

#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use checkout::ffi::*;
use checkout_fuzz::{store, tokens};
use libfuzzer_sys::fuzz_target;

/// A handle made once per process and never freed.
struct Shared<T>(*mut T);
// SAFETY: the header documents lm_verifier, lm_signer and lm_store handles as usable from
// many threads at once, and these handles are never freed.
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

fn verifier_from_pem() -> *const lm_verifier {
    static HANDLE: OnceLock<Shared<lm_verifier>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let pem = tokens::ISSUER_PUBLIC_PEM;
            let mut handle = ptr::null_mut();
            // SAFETY: pem is a live slice and handle a writable slot.
            let status = unsafe { lm_verifier_from_pem(pem.as_ptr(), pem.len(), &mut handle) };
            assert_eq!(status, lm_status::Ok);
            Shared(handle)
        })
        .0
}

fn verifier_from_jwks() -> *const lm_verifier {
    static HANDLE: OnceLock<Shared<lm_verifier>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let jwks = tokens::jwks_json();
            let mut handle = ptr::null_mut();
            // SAFETY: jwks is a live string and handle a writable slot.
            let status = unsafe { lm_verifier_from_jwks(jwks.as_ptr(), jwks.len(), &mut handle) };
            assert_eq!(status, lm_status::Ok);
            Shared(handle)
        })
        .0
}

fn signer() -> *const lm_signer {
    static HANDLE: OnceLock<Shared<lm_signer>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let pem = store::signer().private_key_pem().expect("the key encodes");
            let mut handle = ptr::null_mut();
            // SAFETY: pem is a live string, alg may be NULL, handle is a writable slot.
            let status =
                unsafe { lm_signer_from_pem(pem.as_ptr(), pem.len(), ptr::null(), &mut handle) };
            assert_eq!(status, lm_status::Ok);
            Shared(handle)
        })
        .0
}

/// Returns `(pointer, length)` of `bytes`, with `(NULL, 0)` for an empty input.
fn raw(bytes: &[u8]) -> (*const u8, usize) {
    if bytes.is_empty() {
        (ptr::null(), 0)
    } else {
        (bytes.as_ptr(), bytes.len())
    }
}

fn last_error() -> String {
    // SAFETY: lm_last_error_message never returns NULL, and the string stays valid until the
    // next failing call on this thread.
    unsafe { CStr::from_ptr(lm_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Checks the buffer contract after a call, frees the buffer, and returns its bytes.
fn finish(name: &str, status: lm_status, buffer: &mut lm_buffer) -> Option<Vec<u8>> {
    if status != lm_status::Ok {
        assert!(
            buffer.data.is_null(),
            "{name}: {status:?} left data in the buffer"
        );
        assert_eq!(
            buffer.len, 0,
            "{name}: {status:?} left a length in the buffer"
        );
        assert!(
            !last_error().is_empty(),
            "{name}: {status:?} left no message"
        );
        return None;
    }
    assert!(!buffer.data.is_null(), "{name}: success returned no data");
    // SAFETY: on success the buffer holds len bytes and a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.data, buffer.len + 1) };
    assert_eq!(bytes[buffer.len], 0, "{name}: buffer is not NUL-terminated");
    let owned = bytes[..buffer.len].to_vec();

    // A second free of the zeroed buffer must be harmless.
    // SAFETY: the buffer came from the library and is freed once, then zeroed.
    unsafe {
        lm_buffer_free(buffer);
        lm_buffer_free(buffer);
    }
    assert!(buffer.data.is_null());
    Some(owned)
}

/// A buffer with stale contents, which a failing call must zero without freeing.
fn stale_buffer() -> lm_buffer {
    lm_buffer {
        data: ptr::NonNull::dangling().as_ptr(),
        len: 12345,
    }
}

fn verify(verifier: *const lm_verifier, input: &[u8]) {
    // The token ends at the first NUL; the options text, if any, follows it.
    let (token, options) = match input.iter().position(|&b| b == 0) {
        Some(index) => {
            let text = &input[index + 1..];
            let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
            let options = CString::new(&text[..end]).expect("no NUL before end");
            (&input[..index], Some(options))
        }
        None => (input, None),
    };
    let token: Box<[u8]> = token.into();
    let (token_ptr, token_len) = raw(&token);
    let options_ptr: *const c_char = options.as_ref().map_or(ptr::null(), |o| o.as_ptr());

    let mut payload = stale_buffer();
    // SAFETY: every pointer is NULL or live for the call, and payload is writable.
    let status = unsafe { lm_verify(verifier, token_ptr, token_len, options_ptr, &mut payload) };
    finish("lm_verify", status, &mut payload);
}

type Load<H> = unsafe extern "C" fn(*const u8, usize, *mut *mut H) -> lm_status;

fn load<H>(name: &str, load: Load<H>, free: unsafe extern "C" fn(*mut H), input: &[u8]) {
    let input: Box<[u8]> = input.into();
    let (pointer, length) = raw(&input);
    let mut handle: *mut H = ptr::NonNull::dangling().as_ptr();
    // SAFETY: pointer is NULL with length 0 or live for length bytes; handle is writable.
    let status = unsafe { load(pointer, length, &mut handle) };
    if status == lm_status::Ok {
        assert!(!handle.is_null(), "{name}: success returned no handle");
        // SAFETY: the handle is live and freed once.
        unsafe { free(handle) };
    } else {
        assert!(handle.is_null(), "{name}: {status:?} left a handle");
        assert!(
            !last_error().is_empty(),
            "{name}: {status:?} left no message"
        );
    }
}

fn load_signer(input: &[u8]) {
    unsafe extern "C" fn from_pem(
        pem: *const u8,
        len: usize,
        out: *mut *mut lm_signer,
    ) -> lm_status {
        // SAFETY: forwarded under the same contract; a NULL alg means PS256.
        unsafe { lm_signer_from_pem(pem, len, ptr::null(), out) }
    }
    load("lm_signer_from_pem", from_pem, lm_signer_free, input);
}

type StoreCall = unsafe extern "C" fn(*mut lm_store, *const u8, usize, *mut lm_buffer) -> lm_status;

/// Runs one store operation with `input` as its request. Input that is not JSON goes to a
/// store shared by every such input, because each operation rejects it while parsing; JSON
/// goes to a fresh in-memory store that holds the sample license (and one live borrow when
/// the input names a consumption token), so each crash reproduces from its input alone.
fn store_operation(call: StoreOperation, input: &[u8]) {
    if serde_json::from_slice::<serde_json::Value>(input).is_err() {
        let status = run(shared_store(), call, input);
        assert_ne!(
            status,
            lm_status::Ok,
            "a request that is not JSON is rejected"
        );
        return;
    }

    let handle = open_store();
    let arn = create_license(handle);
    let consumption_token = if store::needs_consumption(input) {
        borrow(handle, &arn)
    } else {
        None
    };
    let request = store::substitute(input, &arn, consumption_token.as_deref());
    run(handle, call, &request);

    // SAFETY: the handle is live and closed once.
    unsafe { lm_store_close(handle) };
}

/// Calls the operation with an exact-size copy of `request` and checks the buffer contract.
fn run(handle: *mut lm_store, call: StoreOperation, request: &[u8]) -> lm_status {
    let request: Box<[u8]> = request.into();
    let (pointer, length) = raw(&request);
    let mut output = stale_buffer();
    // SAFETY: the store and signer are live, the request is NULL or live, output writable.
    let (name, status) = unsafe {
        match call {
            StoreOperation::Plain(name, function) => {
                (name, function(handle, pointer, length, &mut output))
            }
            StoreOperation::Signing(name, function) => (
                name,
                function(handle, signer(), pointer, length, &mut output),
            ),
        }
    };
    finish(name, status, &mut output);
    status
}

fn open_store() -> *mut lm_store {
    let mut handle = ptr::null_mut();
    // SAFETY: the location is a NUL-terminated literal and handle a writable slot.
    let status = unsafe { lm_store_open(c":memory:".as_ptr(), &mut handle) };
    assert_eq!(status, lm_status::Ok);
    handle
}

fn shared_store() -> *mut lm_store {
    static HANDLE: OnceLock<Shared<lm_store>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = open_store();
            create_license(handle);
            Shared(handle)
        })
        .0
}

/// Creates the sample license and returns its ARN.
fn create_license(handle: *mut lm_store) -> String {
    let create = store::create_request();
    let mut response = stale_buffer();
    // SAFETY: the store is live, the request a live slice and response writable.
    let status = unsafe { lm_create_license(handle, create.as_ptr(), create.len(), &mut response) };
    let created = finish("lm_create_license", status, &mut response).expect("license created");
    let created: serde_json::Value = serde_json::from_slice(&created).expect("JSON response");
    created["LicenseArn"]
        .as_str()
        .expect("LicenseArn")
        .to_owned()
}

/// Checks one seat out, returning its consumption token; `None` once the sample license's
/// validity (2026 to 2036) no longer contains the system clock.
fn borrow(handle: *mut lm_store, arn: &str) -> Option<String> {
    let request = store::borrow_request(arn);
    let mut response = stale_buffer();
    // SAFETY: the store and signer are live, the request a live slice and response writable.
    let status = unsafe {
        lm_checkout(
            handle,
            signer(),
            request.as_ptr(),
            request.len(),
            &mut response,
        )
    };
    let response = finish("lm_checkout", status, &mut response)?;
    let response: serde_json::Value = serde_json::from_slice(&response).expect("JSON response");
    response["LicenseConsumptionToken"]
        .as_str()
        .map(str::to_owned)
}

/// Opens an in-memory store with `input`, up to its first NUL, as the options JSON.
fn open_with_options(input: &[u8]) {
    let end = input.iter().position(|&b| b == 0).unwrap_or(input.len());
    let options = CString::new(&input[..end]).expect("no NUL before end");
    let mut handle: *mut lm_store = ptr::NonNull::dangling().as_ptr();
    // SAFETY: both strings are NUL-terminated and live for the call; handle is writable.
    let status =
        unsafe { lm_store_open_with_options(c":memory:".as_ptr(), options.as_ptr(), &mut handle) };
    if status == lm_status::Ok {
        assert!(
            !handle.is_null(),
            "lm_store_open_with_options: success returned no handle"
        );
        // SAFETY: the handle is live and closed once.
        unsafe { lm_store_close(handle) };
    } else {
        assert!(
            handle.is_null(),
            "lm_store_open_with_options: {status:?} left a handle"
        );
        assert!(
            !last_error().is_empty(),
            "lm_store_open_with_options: {status:?} left no message"
        );
    }
}

type SigningCall = unsafe extern "C" fn(
    *mut lm_store,
    *const lm_signer,
    *const u8,
    usize,
    *mut lm_buffer,
) -> lm_status;

#[derive(Clone, Copy)]
enum StoreOperation {
    Plain(&'static str, StoreCall),
    Signing(&'static str, SigningCall),
}

const STORE_OPERATIONS: [StoreOperation; 7] = [
    StoreOperation::Plain("lm_create_license", lm_create_license),
    StoreOperation::Plain("lm_get_license", lm_get_license),
    StoreOperation::Plain("lm_get_license_usage", lm_get_license_usage),
    StoreOperation::Plain("lm_list_license_consumptions", lm_list_license_consumptions),
    StoreOperation::Signing("lm_checkout", lm_checkout),
    StoreOperation::Plain("lm_check_in", lm_check_in),
    StoreOperation::Signing(
        "lm_extend_license_consumption",
        lm_extend_license_consumption,
    ),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    match selector % 13 {
        0 => verify(verifier_from_pem(), input),
        1 => verify(verifier_from_jwks(), input),
        2 => load(
            "lm_verifier_from_pem",
            lm_verifier_from_pem,
            lm_verifier_free,
            input,
        ),
        3 => load(
            "lm_verifier_from_jwks",
            lm_verifier_from_jwks,
            lm_verifier_free,
            input,
        ),
        4 => load_signer(input),
        12 => open_with_options(input),
        index => store_operation(STORE_OPERATIONS[usize::from(index - 5)], input),
    }
});
