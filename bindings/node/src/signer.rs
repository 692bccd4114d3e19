//! `Signer`: an RSA private key that signs tokens.

use std::sync::Arc;

use checkout::Algorithm;
use napi::bindgen_prelude::{AsyncTask, FromNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};
use zeroize::Zeroizing;

use crate::convert::{bytes_or_text, describe, json_document};
use crate::errors::{guarded, invalid_argument, type_error, IntoJsResult};
use crate::task::{spawn, Job};

/// An RSA private key (2048 to 4096 bits) that signs JWS tokens with PS256, PS384 or PS512.
#[napi]
pub struct Signer {
    pub(crate) inner: Arc<checkout::Signer>,
}

impl Signer {
    fn wrap(inner: checkout::Signer) -> napi::Result<Signer> {
        Ok(Signer {
            inner: Arc::new(inner),
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

    /// Returns the private key as a PKCS#8 PEM. Keep the result secret.
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
    pub fn sign_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "string | Uint8Array | object")] payload: Unknown,
        #[napi(ts_arg_type = "string")] algorithm: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<String, String>>> {
        let payload = json_document(&env, &payload, "payload")?;
        let algorithm = parse_algorithm(&env, algorithm)?;
        let signer = Arc::clone(&self.inner);
        Ok(spawn(move || sign(&signer, algorithm, &payload), Ok))
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
