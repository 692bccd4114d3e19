//! Keys held outside the process: encrypted PKCS#8 files and digest-signing callbacks.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use checkout::{Algorithm, ErrorKind, PrivateKey, Signer, Verifier, VerifyOptions};

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(2048).expect("key generation works"))
}

fn public_pem() -> String {
    key().public_key().to_spki_pem().unwrap()
}

fn jws_options() -> VerifyOptions {
    VerifyOptions {
        profile: checkout::Profile::Jws,
        ..VerifyOptions::default()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("the openssl command runs (install OpenSSL to run these tests)");
    assert!(status.success(), "openssl {args:?} failed");
}

fn key_error(result: checkout::Result<Signer>, kind: ErrorKind, fragment: &str) {
    let error = result.expect_err("loading fails");
    assert_eq!(error.kind(), kind, "{}", error.message());
    assert!(
        error.message().contains(fragment),
        "{:?} lacks {fragment:?}",
        error.message()
    );
}

#[test]
fn encrypted_key_round_trips() {
    let pem = key().to_encrypted_pkcs8_pem(b"correct horse").unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let signer =
        Signer::from_encrypted_pem(pem.as_bytes(), b"correct horse", Some(Algorithm::PS384))
            .unwrap();
    assert_eq!(signer.kid(), key().public_key().thumbprint());
    let token = signer.sign(b"payload").unwrap();
    let verifier = Verifier::from_pem(public_pem().as_bytes()).unwrap();
    assert_eq!(
        verifier
            .verify(token.as_bytes(), &jws_options())
            .unwrap()
            .payload,
        b"payload"
    );

    key_error(
        Signer::from_encrypted_pem(pem.as_bytes(), b"wrong", None),
        ErrorKind::KeyInvalid,
        "passphrase is wrong",
    );
    key_error(
        Signer::from_encrypted_pem(pem.as_bytes(), b"", None),
        ErrorKind::InvalidArgument,
        "passphrase is empty",
    );
    key_error(
        Signer::from_pem(pem.as_bytes(), None),
        ErrorKind::KeyInvalid,
        "load it with its passphrase",
    );

    let plain = key().to_pkcs8_pem().unwrap();
    key_error(
        Signer::from_encrypted_pem(plain.as_bytes(), b"x", None),
        ErrorKind::KeyInvalid,
        "not encrypted",
    );
}

#[test]
fn openssl_encrypted_keys_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    openssl(
        path,
        &[
            "genpkey",
            "-quiet",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "plain.pem",
        ],
    );
    openssl(
        path,
        &[
            "pkey",
            "-in",
            "plain.pem",
            "-aes256",
            "-passout",
            "pass:s3cret",
            "-out",
            "pbkdf2.pem",
        ],
    );
    openssl(
        path,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-scrypt",
            "-passout",
            "pass:s3cret",
            "-out",
            "scrypt.pem",
        ],
    );
    openssl(
        path,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-v2",
            "aes256",
            "-passout",
            "pass:s3cret",
            "-outform",
            "DER",
            "-out",
            "pbkdf2.der",
        ],
    );
    openssl(
        path,
        &[
            "rsa",
            "-in",
            "plain.pem",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:s3cret",
            "-out",
            "legacy.pem",
        ],
    );
    openssl(
        path,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-v1",
            "PBE-SHA1-3DES",
            "-passout",
            "pass:s3cret",
            "-out",
            "pbes1.pem",
        ],
    );

    let plain = Signer::from_pem(&std::fs::read(path.join("plain.pem")).unwrap(), None).unwrap();
    for file in ["pbkdf2.pem", "scrypt.pem", "pbkdf2.der"] {
        let input = std::fs::read(path.join(file)).unwrap();
        let signer = Signer::from_encrypted_pem(&input, b"s3cret", None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(signer.kid(), plain.kid(), "{file}");
    }
    let legacy = std::fs::read(path.join("legacy.pem")).unwrap();
    key_error(
        Signer::from_encrypted_pem(&legacy, b"s3cret", None),
        ErrorKind::KeyInvalid,
        "legacy PEM encryption",
    );
    key_error(
        Signer::from_pem(&legacy, None),
        ErrorKind::KeyInvalid,
        "openssl pkcs8 -topk8",
    );
    let pbes1 = std::fs::read(path.join("pbes1.pem")).unwrap();
    key_error(
        Signer::from_encrypted_pem(&pbes1, b"s3cret", None),
        ErrorKind::KeyInvalid,
        "legacy PKCS#5 v1.5",
    );
}

#[test]
fn our_encrypted_key_opens_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let pem = key().to_encrypted_pkcs8_pem(b"s3cret").unwrap();
    std::fs::write(dir.path().join("ours.pem"), pem).unwrap();
    openssl(
        dir.path(),
        &[
            "pkey",
            "-in",
            "ours.pem",
            "-passin",
            "pass:s3cret",
            "-pubout",
            "-out",
            "public.pem",
        ],
    );
    let public = std::fs::read_to_string(dir.path().join("public.pem")).unwrap();
    assert_eq!(public, public_pem());
}

/// A digest signer backed by an in-memory key, counting its calls.
fn callback_signer(calls: Arc<AtomicUsize>) -> Box<dyn checkout::DigestSigner> {
    Box::new(move |algorithm: Algorithm, digest: &[u8]| {
        calls.fetch_add(1, Ordering::SeqCst);
        key()
            .sign_digest(algorithm, digest)
            .map_err(|e| e.message().to_owned())
    })
}

#[test]
fn callback_signer_signs_verifiable_tokens() {
    let calls = Arc::new(AtomicUsize::new(0));
    let signer = Signer::from_digest_signer(
        public_pem().as_bytes(),
        Some(Algorithm::PS512),
        callback_signer(calls.clone()),
    )
    .unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a test signature is made at creation"
    );
    assert_eq!(signer.kid(), key().public_key().thumbprint());
    assert_eq!(
        signer.private_key_pem().unwrap_err().kind(),
        ErrorKind::KeyInvalid
    );

    let token = signer.sign(br#"{"a":1}"#).unwrap();
    let verifier = Verifier::from_pem(public_pem().as_bytes()).unwrap();
    let verified = verifier.verify(token.as_bytes(), &jws_options()).unwrap();
    assert_eq!(verified.header["alg"], "PS512");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn callback_signer_rejects_bad_signatures() {
    let other = PrivateKey::generate(2048).unwrap();
    let wrong_key = Box::new(move |algorithm: Algorithm, digest: &[u8]| {
        other
            .sign_digest(algorithm, digest)
            .map_err(|e| e.message().to_owned())
    });
    let error = Signer::from_digest_signer(public_pem().as_bytes(), None, wrong_key).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Signer);
    assert!(
        error
            .message()
            .contains("does not verify as PS256 with a 32-byte salt"),
        "{}",
        error.message()
    );

    let hashed_twice = Box::new(|algorithm: Algorithm, digest: &[u8]| {
        let again = checkout_digest(algorithm, digest);
        key()
            .sign_digest(algorithm, &again)
            .map_err(|e| e.message().to_owned())
    });
    let error = Signer::from_digest_signer(
        public_pem().as_bytes(),
        Some(Algorithm::PS384),
        hashed_twice,
    )
    .unwrap_err();
    assert!(
        error.message().contains("hashed the digest again"),
        "{}",
        error.message()
    );

    let failing = Box::new(|_: Algorithm, _: &[u8]| {
        Err::<Vec<u8>, String>("KMS throttled the request".into())
    });
    let error = Signer::from_digest_signer(public_pem().as_bytes(), None, failing).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Signer);
    assert!(error.message().contains("KMS throttled the request"));
}

/// Hashes `bytes` with the algorithm's SHA-2: what a misconfigured KMS does when it is sent a
/// digest as a raw message.
fn checkout_digest(algorithm: Algorithm, bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match algorithm {
        Algorithm::PS256 => sha2::Sha256::digest(bytes).to_vec(),
        Algorithm::PS384 => sha2::Sha384::digest(bytes).to_vec(),
        Algorithm::PS512 => sha2::Sha512::digest(bytes).to_vec(),
    }
}
