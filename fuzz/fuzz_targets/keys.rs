//! Loads arbitrary bytes as a public key (PEM or DER), a private key (PEM or DER) and a
//! JWKS. A key that loads must be within the 2048- to 4096-bit policy and must survive a
//! round trip through its own encoding with the same thumbprint.

#![no_main]

use checkout::{PrivateKey, PublicKey, PublicKeySet};
use libfuzzer_sys::fuzz_target;

fn check_public(key: &PublicKey) {
    assert!((2048..=4096).contains(&key.bits()), "{} bits", key.bits());

    let der = key.to_spki_der().expect("a loaded key encodes as DER");
    let from_der = PublicKey::from_pem_or_der(&der).expect("its own DER loads");
    assert_eq!(from_der.thumbprint(), key.thumbprint());

    let pem = key.to_spki_pem().expect("a loaded key encodes as PEM");
    let from_pem = PublicKey::from_pem_or_der(pem.as_bytes()).expect("its own PEM loads");
    assert_eq!(from_pem.thumbprint(), key.thumbprint());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PublicKey::from_pem_or_der(data) {
        check_public(&key);
    }

    if let Ok(key) = PrivateKey::from_pem_or_der(data) {
        check_public(key.public_key());
    }

    // A set keeps each key's `kid` and `alg`, which `to_jwks` does not write, so each key is
    // checked alone rather than the set as a whole.
    if let Ok(set) = PublicKeySet::from_jwks(data) {
        assert!(!set.is_empty(), "a loaded JWKS has a key");
        let jwks = set.to_jwks();
        let keys = jwks["keys"]
            .as_array()
            .expect("to_jwks writes a keys array");
        assert_eq!(keys.len(), set.len());
        for jwk in keys {
            let single = PublicKeySet::from_jwks(jwk.to_string().as_bytes())
                .expect("each written JWK loads");
            assert_eq!(single.len(), 1);
        }
    }
});
