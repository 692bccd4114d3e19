//! Checks of the pure-Rust backend against the `openssl` command (OpenSSL 3), an independent
//! RSA implementation. OpenSSL checks the generated keys and verifies the signatures with an
//! exact salt length, and its signatures with other salt lengths must fail verification here.

use std::path::Path;
use std::process::Command;

use super::*;

/// Runs `openssl` in `dir` and returns its standard output. A non-zero exit fails the test.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command runs (install OpenSSL to run these tests)");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Returns the PKCS#1 RSAPrivateKey inside a PKCS#8 DER.
fn pkcs1_of(pkcs8_der: &[u8]) -> Vec<u8> {
    pkcs8::PrivateKeyInfo::from_der(pkcs8_der)
        .expect("a PKCS#8 PrivateKeyInfo")
        .private_key
        .to_vec()
}

fn openssl_digest_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::PS256 => "-sha256",
        Algorithm::PS384 => "-sha384",
        Algorithm::PS512 => "-sha512",
    }
}

#[test]
fn generated_key_passes_openssl_check() {
    let dir = tempfile::tempdir().unwrap();
    let der = generate_pkcs8(2048).unwrap();
    std::fs::write(dir.path().join("key.der"), der.as_slice()).unwrap();

    // `-check` recomputes n = p * q, d, dP, dQ and qInv and compares them with the file.
    let checked = openssl(
        dir.path(),
        &[
            "pkey", "-inform", "DER", "-in", "key.der", "-check", "-noout",
        ],
    );
    assert_eq!(checked.trim(), "Key is valid");

    let text = openssl(
        dir.path(),
        &[
            "pkey", "-inform", "DER", "-in", "key.der", "-text", "-noout",
        ],
    );
    assert!(
        text.starts_with("Private-Key: (2048 bit, 2 primes)"),
        "{text}"
    );
    assert!(text.contains("publicExponent: 65537 (0x10001)"), "{text}");
}

#[test]
fn generate_rejects_unsupported_size() {
    let error = generate_pkcs8(1024).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        error.message(),
        "key size 1024 bits is not supported; use 2048, 3072 or 4096"
    );
}

#[test]
fn openssl_key_reencodes_identically() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "genpkey",
            "-quiet",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
            "-out",
            "key.pem",
        ],
    );
    // OpenSSL 3.0 writes PKCS#1 for `genpkey -outform DER`, so convert the PEM explicitly.
    openssl(
        dir.path(),
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der",
        ],
    );
    let original = std::fs::read(dir.path().join("key.der")).unwrap();

    let key = SigningKey::from_pkcs1_der(&pkcs1_of(&original)).unwrap();
    assert_eq!(key.pkcs8_der().unwrap().as_slice(), original.as_slice());
}

#[test]
fn signatures_verify_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let der = generate_pkcs8(2048).unwrap();
    std::fs::write(dir.path().join("key.der"), der.as_slice()).unwrap();
    let key = SigningKey::from_pkcs1_der(&pkcs1_of(&der)).unwrap();
    let message = b"eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";
    std::fs::write(dir.path().join("message"), message).unwrap();

    for algorithm in Algorithm::ALL {
        let digest = digest_for(algorithm, message);
        let signed = [
            ("message", key.sign(algorithm, message).unwrap()),
            ("digest", key.sign_digest(algorithm, &digest).unwrap()),
        ];
        for (path, signature) in signed {
            assert_eq!(signature.len(), 256, "{algorithm} over the {path}");
            std::fs::write(dir.path().join("signature"), &signature).unwrap();

            // A positive salt length makes OpenSSL require exactly that many salt bytes.
            let salt = format!("rsa_pss_saltlen:{}", algorithm.hash_len());
            let verified = openssl(
                dir.path(),
                &[
                    "dgst",
                    openssl_digest_name(algorithm),
                    "-keyform",
                    "DER",
                    "-prverify",
                    "key.der",
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    &salt,
                    "-signature",
                    "signature",
                    "message",
                ],
            );
            assert_eq!(
                verified.trim(),
                "Verified OK",
                "{algorithm} over the {path}"
            );
        }
    }
}

#[test]
fn verify_accepts_only_hash_length_salt() {
    let dir = tempfile::tempdir().unwrap();
    let der = generate_pkcs8(2048).unwrap();
    std::fs::write(dir.path().join("key.der"), der.as_slice()).unwrap();
    openssl(
        dir.path(),
        &[
            "pkey",
            "-inform",
            "DER",
            "-in",
            "key.der",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "public.der",
        ],
    );
    let spki = std::fs::read(dir.path().join("public.der")).unwrap();
    let verifying = VerifyingKey::from_spki_der(&spki).unwrap();
    let message = b"payload";
    std::fs::write(dir.path().join("message"), message).unwrap();

    for algorithm in Algorithm::ALL {
        let hash_len = algorithm.hash_len();
        for salt_len in [0, 20, hash_len - 1, hash_len, hash_len + 1, 2 * hash_len] {
            let salt = format!("rsa_pss_saltlen:{salt_len}");
            openssl(
                dir.path(),
                &[
                    "dgst",
                    openssl_digest_name(algorithm),
                    "-keyform",
                    "DER",
                    "-sign",
                    "key.der",
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    &salt,
                    "-out",
                    "signature",
                    "message",
                ],
            );
            let signature = std::fs::read(dir.path().join("signature")).unwrap();
            assert_eq!(
                verifying.verify(algorithm, message, &signature),
                salt_len == hash_len,
                "{algorithm} with a {salt_len}-byte salt"
            );
        }
    }
}

#[test]
fn sign_digest_rejects_wrong_length() {
    let der = generate_pkcs8(2048).unwrap();
    let key = SigningKey::from_pkcs1_der(&pkcs1_of(&der)).unwrap();

    let error = key.sign_digest(Algorithm::PS384, &[0u8; 32]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        error.message(),
        "digest is 32 bytes; PS384 signs a 48-byte hash"
    );
}

#[test]
fn public_key_with_other_algorithm_is_rejected() {
    // An id-ecPublicKey SubjectPublicKeyInfo (P-256) from `openssl genpkey -algorithm EC`.
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "genpkey",
            "-quiet",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec.der",
        ],
    );
    let spki = std::fs::read(dir.path().join("ec.der")).unwrap();

    let Err(error) = VerifyingKey::from_spki_der(&spki) else {
        panic!("an EC public key loaded as RSA");
    };
    assert_eq!(error.kind(), ErrorKind::KeyInvalid);
    assert_eq!(
        error.message(),
        "RSA public key rejected by the backend: algorithm 1.2.840.10045.2.1 is not rsaEncryption"
    );
}

#[test]
fn private_key_with_wrong_prime_is_rejected() {
    let der = generate_pkcs8(2048).unwrap();
    let pkcs1 = pkcs1_of(&der);
    let parsed = pkcs1::RsaPrivateKey::from_der(&pkcs1).unwrap();

    // Replace q with p, so p * q no longer equals n.
    let tampered = pkcs1::RsaPrivateKey {
        prime2: parsed.prime1,
        ..parsed
    }
    .to_der()
    .unwrap();

    let Err(error) = SigningKey::from_pkcs1_der(&tampered) else {
        panic!("a key whose primes do not multiply to n loaded");
    };
    assert_eq!(error.kind(), ErrorKind::KeyInvalid);
    assert_eq!(
        error.message(),
        "RSA private key rejected by the backend: invalid modulus"
    );
}
