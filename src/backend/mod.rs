//! The RSA and hash primitives. Code above this module passes only DER bytes and
//! [`Algorithm`](crate::alg::Algorithm), so a backend is one file exposing the items
//! re-exported below. The key policy (2048 to 4096 bits, 2^16 < e < 2^33) is checked in
//! `src/keys` before a key reaches either backend.
//!
//! Two backends exist, chosen by cargo feature. `aws-lc` wins when both are on.
//!
//! # `aws-lc` (default): aws-lc-rs
//!
//! AWS-LC is C and assembly, so the build needs a C compiler. It blinds RSA private-key
//! operations and runs them in constant time.
//!
//! # `pure-rust`: RustCrypto `rsa` 0.10 and `sha2`
//!
//! No C code, for targets without a C compiler. Both backends sign with a salt as long as
//! the hash and verify only that salt length, and both pass the same tests and vectors.
//!
//! What it guarantees, as `rsa` 0.10.0 and `crypto-bigint` 0.7 implement it:
//!
//! - Signing exponentiates with `crypto-bigint`'s Montgomery arithmetic, whose operations
//!   are designed to run in constant time (variable-time ones carry a `_vartime` suffix).
//! - Every signature is blinded with fresh random factors from the operating system: the
//!   message representative, the CRT exponents dP and dQ, and the CRT moduli.
//! - A signature is checked against the public key before it is returned, so a fault in the
//!   CRT computation does not release a signature that reveals a prime.
//! - The private key's integers are zeroized when the key is dropped.
//!
//! What it does not guarantee:
//!
//! - Constant-time machine code. Upstream checks the compiled code of some functions on some
//!   architectures (x86_64 and aarch64 among them), not all of it, and CPUs whose multiply
//!   time depends on the operands (some 32-bit PowerPC and microcontrollers) are unsuitable.
//! - Audited code. The READMEs of `rsa` and `crypto-bigint` state that their audits predate the
//!   current code. `rsa`'s README says 0.10 resolves the side channels found so far in
//!   earlier versions, RUSTSEC-2023-0071 (the Marvin timing attack) among them, but the
//!   advisory may still list 0.10 as affected.
//! - Constant-time key generation: the prime search of `crypto-primes` runs in variable time.
//! - Zeroized scratch memory: `rsa` frees some intermediate values of key setup and of
//!   signing without zeroizing them.
//! - Speed. In one run of `benches/sign_verify.rs` with 2048-bit keys on a shared 2-core
//!   x86_64 machine, it signed about 6 to 10 times and verified about 3.5 to 5.5 times slower than
//!   aws-lc.

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "aws-lc")]
pub(crate) use aws_lc::{
    digest_for, fill_random, generate_pkcs8, sha256, SigningKey, VerifyingKey,
};

#[cfg(all(feature = "pure-rust", not(feature = "aws-lc")))]
mod rust_crypto;
#[cfg(all(feature = "pure-rust", not(feature = "aws-lc")))]
pub(crate) use rust_crypto::{
    digest_for, fill_random, generate_pkcs8, sha256, SigningKey, VerifyingKey,
};
