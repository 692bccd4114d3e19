//! The commands that need no store: `lm keygen`, `lm jwks` and `lm sign`.

use checkout::{PrivateKey, PublicKeySet, Result};
use serde_json::json;

use crate::args::{JwksArgs, KeygenArgs, SignArgs};
use crate::files::{
    load_public_key, load_signer, print_json, print_text, read_input, write_file,
    write_private_file,
};

/// Runs `lm keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let pem = checkout::keys::generate_pkcs8_pem(args.bits)?;
    let key = PrivateKey::from_pem_or_der(pem.as_bytes())?;

    if let Some(path) = &args.public_out {
        write_file(path, key.public_key().to_spki_pem()?.as_bytes())?;
    }

    let Some(path) = &args.out else {
        return print_text(&pem);
    };
    write_private_file(path, pem.as_bytes())?;

    print_json(&json!({
        "kid": key.public_key().thumbprint(),
        "bits": args.bits,
    }))
}

/// Runs `lm jwks`.
pub fn jwks(args: &JwksArgs) -> Result<()> {
    let key = load_public_key(&args.key)?;
    print_json(&PublicKeySet::single(key).to_jwks())
}

/// Runs `lm sign`.
pub fn sign(args: &SignArgs) -> Result<()> {
    let signer = load_signer(&args.signer.key, Some(args.algorithm.into()))?;
    let payload = read_input(&args.payload_file)?;

    let token = signer.sign(&payload)?;
    print_text(&format!("{token}\n"))
}
