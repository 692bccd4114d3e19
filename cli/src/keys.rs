//! The commands that need no store: `lm keygen`, `lm jwks` and `lm sign`.

use checkout::{PrivateKey, Result};
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{JwksArgs, KeygenArgs, SignArgs};
use crate::files::{
    load_public_key, load_signer, passphrase, print_json, print_text, read_input, write_file,
    write_private_file,
};

/// Runs `lm keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let pem = checkout::keys::generate_pkcs8_pem(args.bits)?;
    let key = PrivateKey::from_pem_or_der(pem.as_bytes())?;

    if let Some(path) = &args.public_out {
        write_file(path, key.public_key().to_spki_pem()?.as_bytes())?;
    }

    let written = if args.encrypt {
        Zeroizing::new(key.to_encrypted_pkcs8_pem(&passphrase()?)?)
    } else {
        pem
    };
    let Some(path) = &args.out else {
        return print_text(&written);
    };
    write_private_file(path, written.as_bytes())?;

    print_json(&json!({
        "kid": key.public_key().thumbprint(),
        "bits": args.bits,
    }))
}

/// Runs `lm jwks`: the public JWKS of every key given, in order, each key once, so a
/// rotation publishes the current and the previous keys together.
pub fn jwks(args: &JwksArgs) -> Result<()> {
    let mut keys: Vec<serde_json::Value> = Vec::new();
    for path in &args.key {
        let jwk = load_public_key(path)?.to_jwk();
        if !keys.iter().any(|known| known["kid"] == jwk["kid"]) {
            keys.push(jwk);
        }
    }
    print_json(&json!({ "keys": keys }))
}

/// Runs `lm sign`.
pub fn sign(args: &SignArgs) -> Result<()> {
    let signer = load_signer(&args.signer.key, Some(args.algorithm.into()))?;
    let payload = read_input(&args.payload_file)?;

    let token = signer.sign(&payload)?;
    print_text(&format!("{token}\n"))
}
