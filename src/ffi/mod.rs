//! The C ABI, version 1: every `lm_*` export, the only `unsafe` code of the crate.
//!
//! Rules every export follows: each pointer is checked for NULL, the body runs inside a
//! panic guard so no panic unwinds into C, outputs are zeroed on failure, and a failure
//! leaves its message for `lm_last_error_message` on the calling thread.

#![allow(non_camel_case_types)]
// Each export's doc states its pointer contract in the prose that cbindgen copies into the
// header, where a Rust `# Safety` heading would read oddly.
#![allow(clippy::missing_safety_doc)]

mod memory;
mod operations;
mod panic;
mod signer;
mod status;
mod store;
mod verifier;
mod version;

pub use memory::{lm_buffer, lm_buffer_free};
pub use operations::*;
pub use panic::lm_last_error_message;
pub use signer::*;
pub use status::{lm_status, lm_status_name};
pub use store::*;
pub use verifier::*;
pub use version::*;

/// Asserts at compile time that the types behind shared handles are `Send + Sync`.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<crate::Signer>();
    shared::<crate::Verifier>();
    shared::<crate::license::Store>();
};
