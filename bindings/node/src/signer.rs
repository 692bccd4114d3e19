//! `Signer`: an RSA private key that signs tokens.

use std::sync::Arc;

use checkout::Algorithm;
use napi::bindgen_prelude::{AsyncTask, FromNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};
use zeroize::Zeroizing;

use crate::callback::JsDigestSigner;
use crate::convert::{bytes_or_text, describe, json_document};
use crate::errors::{guarded, invalid_argument, type_error, IntoJsResult};
use crate::task::{spawn, spawn_signing, Job, SignerTask};

/// An RSA private key (2048 to 4096 bits) that signs JWS tokens with PS256, PS384 or PS512.
#[napi]
pub struct Signer {
    pub(crate) inner: Arc<checkout::Signer>,
    /// Whether signing calls a JavaScript function, which decides where `...Async` work runs.
    pub(crate) calls_js: bool,
}

impl Signer {
    fn wrap(inner: checkout::Signer) -> napi::Result<Signer> {
        Ok(Signer {
            inner: Arc::new(inner),
            calls_js: false,
        })
    }

    fn wrap_callback(inner: checkout::Signer) -> napi::Result<Signer> {
        Ok(Signer {
            inner: Arc::new(inner),
            calls_js: true,
        })
    }
}

/// Reads an optional algorithm name; the core rejects names other than PS256, PS384 and PS512.
fn parse_algorithm(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<Option<Algorithm>> {
    let Some(value) = value else { return Ok(None) };
    match value.get_type()? {
        ValueType::Undefined => Ok(None),
        ValueType::String => {
            // SAFETY: the value is a string of the current call's environment.
            let name = unsafe { String::from_napi_value(env.raw(), value.raw()) }?;
            Algorithm::from_name(&name).map(Some).into_js(env)
        }
        _ => Err(type_error(
            env,
            format!(
                "algorithm must be a string such as \"PS256\", not {}",
                describe(&value)
            ),
        )),
    }
}

/// Reads the algorithm of `fromCallback`, where `null` also selects the default.
fn parse_callback_algorithm(
    env: &Env,
    value: Option<Unknown<'_>>,
) -> napi::Result<Option<Algorithm>> {
    match value {
        Some(value) if value.get_type()? == ValueType::Null => Ok(None),
        other => parse_algorithm(env, other),
    }
}

/// Reads the public key and signing function of `fromCallback`.
fn callback_args(
    env: &Env,
    public_key_pem: &Unknown<'_>,
    callback: &Unknown<'_>,
) -> napi::Result<(Vec<u8>, JsDigestSigner)> {
    let public_key = bytes_or_text(env, public_key_pem, "publicKeyPem")?;
    if callback.get_type()? != ValueType::Function {
        return Err(type_error(
            env,
            format!(
                "callback must be a function (alg, digest) => Buffer | Promise<Buffer>, not {}",
                describe(callback)
            ),
        ));
    }
    Ok((public_key, JsDigestSigner::new(env, callback)?))
}

/// Reads an optional key size; the core rejects sizes other than 2048, 3072 and 4096.
fn parse_bits(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<u32> {
    let Some(value) = value else { return Ok(2048) };
    match value.get_type()? {
        ValueType::Undefined => Ok(2048),
        ValueType::Number => {
            // SAFETY: the value is a number of the current call's environment.
            let bits = unsafe { f64::from_napi_value(env.raw(), value.raw()) }?;
            if bits.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&bits) {
                return Err(invalid_argument(
                    env,
                    format!("bits is {bits}; use 2048, 3072 or 4096"),
                ));
            }
            Ok(bits as u32)
        }
        _ => Err(type_error(
            env,
            format!("bits must be a number, not {}", describe(&value)),
        )),
    }
}

#[napi]
impl Signer {
    /// Loads a signer from a PKCS#8 or PKCS#1 private key, PEM or DER. `algorithm` is the
    /// default for tokens: "PS256" (the default), "PS384" or "PS512".
    #[napi(factory, catch_unwind)]
    pub fn from_pem(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] pem: Unknown,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<Signer> {
        // The copy of the private key is wiped when it goes out of scope.
        let pem = Zeroizing::new(bytes_or_text(&env, &pem, "pem")?);
        let algorithm = parse_algorithm(&env, algorithm)?;
        let inner = guarded(|| checkout::Signer::from_pem(&pem, algorithm)).into_js(&env)?;
        Signer::wrap(inner)
    }

    /// Loads a signer like `fromPem`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Signer>")]
    pub fn from_pem_async(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] pem: Unknown,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<checkout::Signer, Signer>>> {
        let pem = Zeroizing::new(bytes_or_text(&env, &pem, "pem")?);
        let algorithm = parse_algorithm(&env, algorithm)?;
        Ok(spawn(
            move || checkout::Signer::from_pem(&pem, algorithm),
            Signer::wrap,
        ))
    }

    /// Creates a signer whose private key stays in a KMS or another signing service.
    ///
    /// `publicKeyPem` is the key's public half: SubjectPublicKeyInfo or PKCS#1, PEM or DER
    /// (AWS KMS GetPublicKey returns DER SubjectPublicKeyInfo, usable as it comes).
    /// `algorithm` is the default for tokens ("PS256" when undefined or null). `callback(alg,
    /// digest)` receives the algorithm name and the SHA-2 hash of the JWS signing input, and
    /// returns the RSASSA-PSS signature of that digest, with a salt as long as the hash, as a
    /// Buffer of the modulus length.
    ///
    /// Every signature is verified with the public key before a token is emitted, and one
    /// test signature is made here, by calling `callback` on this thread. A throw, a failed
    /// check or a value that is not a Buffer throws LM_STATUS_SIGNER. The synchronous methods
    /// call `callback` on the JavaScript thread and reject a Promise it returns, while
    /// `fromCallbackAsync` and the `...Async` methods accept one.
    #[napi(factory, catch_unwind)]
    pub fn from_callback(
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array")] public_key_pem: Unknown,
        #[napi(ts_arg_type = "string | undefined | null")] algorithm: Option<Unknown>,
        #[napi(ts_arg_type = "(alg: string, digest: Buffer) => Buffer | Promise<Buffer>")]
        callback: Unknown,
    ) -> napi::Result<Signer> {
        let algorithm = parse_callback_algorithm(&env, algorithm)?;
        let (public_key, callback) = callback_args(&env, &public_key_pem, &callback)?;
        let inner = guarded(|| {
            checkout::Signer::from_digest_signer(&public_key, algorithm, Box::new(callback))
        })
        .into_js(&env)?;
        Signer::wrap_callback(inner)
    }

    /// Creates a signer like `fromCallback`, making the test signature from the libuv thread
    /// pool, so `callback` may return a Promise of the signature.
    #[napi(catch_unwind, ts_return_type = "Promise<Signer>")]
    pub fn from_callback_async<'env>(
        env: &'env Env,
        #[napi(ts_arg_type = "string | Uint8Array")] public_key_pem: Unknown,
        #[napi(ts_arg_type = "string | undefined | null")] algorithm: Option<Unknown>,
        #[napi(ts_arg_type = "(alg: string, digest: Buffer) => Buffer | Promise<Buffer>")]
        callback: Unknown,
    ) -> napi::Result<SignerTask<'env, checkout::Signer, Signer>> {
        let algorithm = parse_callback_algorithm(env, algorithm)?;
        let (public_key, callback) = callback_args(env, &public_key_pem, &callback)?;
        spawn_signing(
            env,
            true,
            move || {
                checkout::Signer::from_digest_signer(&public_key, algorithm, Box::new(callback))
            },
            Signer::wrap_callback,
        )
    }

    /// Generates a fresh key of `bits` (2048, the default, 3072 or 4096) with public exponent
    /// 65537. This takes from milliseconds to seconds; prefer `generateAsync` on a server.
    #[napi(factory, catch_unwind)]
    pub fn generate(
        env: Env,
        #[napi(ts_arg_type = "number")] bits: Option<Unknown>,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<Signer> {
        let bits = parse_bits(&env, bits)?;
        let algorithm = parse_algorithm(&env, algorithm)?;
        let inner = guarded(|| checkout::Signer::generate(bits, algorithm)).into_js(&env)?;
        Signer::wrap(inner)
    }

    /// Generates a key like `generate`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Signer>")]
    pub fn generate_async(
        env: Env,
        #[napi(ts_arg_type = "number")] bits: Option<Unknown>,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<checkout::Signer, Signer>>> {
        let bits = parse_bits(&env, bits)?;
        let algorithm = parse_algorithm(&env, algorithm)?;
        Ok(spawn(
            move || checkout::Signer::generate(bits, algorithm),
            Signer::wrap,
        ))
    }

    /// The key id: the RFC 7638 JWK thumbprint of the public key (43 characters).
    #[napi(getter, catch_unwind)]
    pub fn kid(&self) -> String {
        self.inner.kid().to_owned()
    }

    /// The default algorithm of this signer's tokens, such as "PS256".
    #[napi(getter, catch_unwind)]
    pub fn algorithm(&self) -> String {
        self.inner.algorithm().name().to_owned()
    }

    /// Returns the public key as a SubjectPublicKeyInfo PEM ("PUBLIC KEY").
    #[napi(catch_unwind)]
    pub fn public_key_pem(&self, env: Env) -> napi::Result<String> {
        guarded(|| self.inner.public_key().to_spki_pem()).into_js(&env)
    }

    /// Returns the public JWK, with "kid", "kty", "n", "e" and "use".
    #[napi(catch_unwind, ts_return_type = "Record<string, string>")]
    pub fn public_jwk(&self) -> serde_json::Value {
        self.inner.public_key().to_jwk()
    }

    /// Returns the private key as a PKCS#8 PEM. Keep the result secret. A signer from
    /// `fromCallback` throws LM_STATUS_KEY_INVALID, because its key never leaves the service.
    #[napi(catch_unwind)]
    pub fn private_key_pem(&self, env: Env) -> napi::Result<String> {
        let pem = guarded(|| self.inner.private_key_pem()).into_js(&env)?;
        Ok(pem.to_string())
    }

    /// Signs `payload` as a JWS compact token and returns the token. An object or array is
    /// serialized with `JSON.stringify`, and an object gets `"typ": "JWT"` in the header.
    /// `algorithm` overrides the signer's default.
    #[napi(catch_unwind)]
    pub fn sign(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array | object")] payload: Unknown,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<String> {
        let payload = json_document(&env, &payload, "payload")?;
        let algorithm = parse_algorithm(&env, algorithm)?;
        guarded(|| sign(&self.inner, algorithm, &payload)).into_js(&env)
    }

    /// Signs like `sign`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn sign_async<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "string | Uint8Array | object")] payload: Unknown,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<SignerTask<'env, String, String>> {
        let payload = json_document(env, &payload, "payload")?;
        let algorithm = parse_algorithm(env, algorithm)?;
        let signer = Arc::clone(&self.inner);
        spawn_signing(
            env,
            self.calls_js,
            move || sign(&signer, algorithm, &payload),
            Ok,
        )
    }
}

fn sign(
    signer: &checkout::Signer,
    algorithm: Option<Algorithm>,
    payload: &[u8],
) -> checkout::Result<String> {
    match algorithm {
        Some(chosen) => signer.sign_with(chosen, payload),
        None => signer.sign(payload),
    }
}
