//! Signers whose private key stays on a PKCS#11 token, tested against SoftHSM2.
//!
//! `scripts/softhsm.sh init DIR` creates the token and prints `SOFTHSM2_CONF` and
//! `LM_TEST_PKCS11_MODULE`; the PEM files of the imported keys lie beside the configuration
//! for cross-checks. Without `SOFTHSM2_CONF` each test is skipped with a printed reason on a
//! developer's machine and fails under `CI=true`.

#![cfg(feature = "pkcs11")]

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use checkout::ffi::{
    lm_buffer, lm_buffer_free, lm_last_error_message, lm_signer, lm_signer_free,
    lm_signer_from_pkcs11, lm_signer_public_jwk, lm_status,
};
use checkout::license::Store;
use checkout::{
    Algorithm, ErrorKind, FixedClock, PrivateKey, Profile, Signer, Verifier, VerifyOptions,
};
use serde_json::{json, Value};

const TOKEN: &str = "libcheckout-test";
const PIN: &str = "1234";
const WRONG_PIN: &str = "97531";
/// The module of Debian's softhsm2 package, used when `LM_TEST_PKCS11_MODULE` is unset.
const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// 2026-06-01T00:00:00Z, inside the sample license's validity.
const JUNE_2026: i64 = 1_780_272_000;

/// The SoftHSM2 token made by scripts/softhsm.sh.
struct Token {
    dir: PathBuf,
    module: String,
}

impl Token {
    fn signer(&self, key_label: &str, algorithm: Option<Algorithm>) -> checkout::Result<Signer> {
        Signer::from_pkcs11(&self.module, TOKEN, PIN, key_label, algorithm)
    }

    fn pem_path(&self, key_label: &str) -> PathBuf {
        self.dir.join(format!("{key_label}.pem"))
    }

    /// Loads the private key that the script imported as `key_label`.
    fn imported_key(&self, key_label: &str) -> PrivateKey {
        let pem = std::fs::read(self.pem_path(key_label)).expect("the script left the key PEM");
        PrivateKey::from_pem_or_der(&pem).expect("the imported key PEM loads")
    }

    fn verifier(&self, key_label: &str) -> Verifier {
        let public = self
            .imported_key(key_label)
            .public_key()
            .to_spki_pem()
            .unwrap();
        Verifier::from_pem(public.as_bytes()).unwrap()
    }
}

/// Returns the token named by `SOFTHSM2_CONF`, or `None` (with the reason printed) when it is
/// unset on a developer's machine. Under `CI=true` an unset variable fails the test.
fn token() -> Option<Token> {
    let Some(conf) = std::env::var_os("SOFTHSM2_CONF") else {
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("SOFTHSM2_CONF is unset, but CI must run the PKCS#11 tests (scripts/softhsm.sh init DIR prints it)");
        }
        eprintln!("skipped: set SOFTHSM2_CONF (eval \"$(scripts/softhsm.sh init DIR)\") to test PKCS#11 signers");
        return None;
    };
    let dir = Path::new(&conf)
        .parent()
        .expect("SOFTHSM2_CONF names a file in a folder")
        .to_path_buf();
    let module = std::env::var("LM_TEST_PKCS11_MODULE").unwrap_or_else(|_| DEFAULT_MODULE.into());
    Some(Token { dir, module })
}

/// A token's login state belongs to the whole process: while any signer is open, C_Login
/// returns CKR_USER_ALREADY_LOGGED_IN without checking the PIN. Tests that need the token
/// logged out take this lock exclusively, and every other test takes it shared.
static LOGIN_STATE: RwLock<()> = RwLock::new(());

fn shared_login() -> RwLockReadGuard<'static, ()> {
    LOGIN_STATE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn exclusive_login() -> RwLockWriteGuard<'static, ()> {
    LOGIN_STATE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn jws_options() -> VerifyOptions {
    VerifyOptions {
        profile: Profile::Jws,
        ..VerifyOptions::default()
    }
}

fn expect_error(result: checkout::Result<Signer>, kind: ErrorKind, fragment: &str) -> String {
    let error = result.expect_err("creating the signer fails");
    assert_eq!(error.kind(), kind, "{}", error.message());
    assert!(
        error.message().contains(fragment),
        "{:?} lacks {fragment:?}",
        error.message()
    );
    error.message().to_owned()
}

/// Runs `openssl dgst` to verify `signature` over `data` with the public half of `pem`.
fn openssl_verifies(
    dir: &Path,
    pem: &Path,
    algorithm: Algorithm,
    data: &[u8],
    signature: &[u8],
) -> bool {
    let public = dir.join("public.pem");
    let status = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(pem)
        .arg("-out")
        .arg(&public)
        .status()
        .expect("the openssl command runs (install OpenSSL to run these tests)");
    assert!(status.success(), "openssl pkey -pubout failed");
    std::fs::write(dir.join("data.bin"), data).unwrap();
    std::fs::write(dir.join("signature.bin"), signature).unwrap();
    let digest = format!("-sha{}", algorithm.hash_len() * 8);
    let salt = format!("rsa_pss_saltlen:{}", algorithm.hash_len());
    let output = Command::new("openssl")
        .args([
            "dgst",
            &digest,
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            &salt,
        ])
        .arg("-verify")
        .arg(&public)
        .args(["-signature", "signature.bin", "data.bin"])
        .current_dir(dir)
        .output()
        .expect("the openssl command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    output.status.success() && stdout.trim() == "Verified OK"
}

fn split_token(token: &str) -> (&str, Vec<u8>) {
    let (signing_input, signature) = token.rsplit_once('.').expect("a compact JWS");
    let signature = base64_url_decode(signature);
    (signing_input, signature)
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(text).expect("unpadded base64url")
}

#[test]
fn token_signature_verifies_with_verifier_and_openssl() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let signer = token.signer("issuer", None).unwrap();
    assert_eq!(signer.algorithm(), Algorithm::PS256);
    let verifier = token.verifier("issuer");
    let scratch = tempfile::tempdir().unwrap();

    for algorithm in Algorithm::ALL {
        let payload = format!("{{\"signedOn\":\"SoftHSM2\",\"alg\":\"{algorithm}\"}}");
        let jws = signer.sign_with(algorithm, payload.as_bytes()).unwrap();

        let verified = verifier.verify(jws.as_bytes(), &jws_options()).unwrap();
        assert_eq!(verified.payload, payload.as_bytes());
        assert_eq!(verified.header["alg"], algorithm.name());
        assert_eq!(verified.header["kid"], signer.kid());

        let (signing_input, signature) = split_token(&jws);
        assert_eq!(signature.len(), 256);
        assert!(
            openssl_verifies(
                scratch.path(),
                &token.pem_path("issuer"),
                algorithm,
                signing_input.as_bytes(),
                &signature
            ),
            "openssl rejects the {algorithm} signature"
        );
        let mut tampered = signature.clone();
        tampered[100] ^= 1;
        assert!(
            !openssl_verifies(
                scratch.path(),
                &token.pem_path("issuer"),
                algorithm,
                signing_input.as_bytes(),
                &tampered
            ),
            "openssl accepts a tampered {algorithm} signature"
        );
    }
}

#[test]
fn kid_is_thumbprint_of_imported_key() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let signer = token.signer("issuer", Some(Algorithm::PS384)).unwrap();
    let imported = token.imported_key("issuer");

    assert_eq!(signer.kid(), imported.public_key().thumbprint());
    assert_eq!(signer.kid().len(), 43);
    assert_eq!(signer.public_key().bits(), 2048);
    assert_eq!(signer.public_key().to_jwk(), imported.public_key().to_jwk());
    assert_ne!(
        signer.kid(),
        token.imported_key("issuer-next").public_key().thumbprint()
    );
    assert_eq!(signer.algorithm(), Algorithm::PS384);
}

#[test]
fn private_key_never_leaves_token() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let signer = token.signer("issuer", None).unwrap();
    let error = signer.private_key_pem().expect_err("no export");
    assert_eq!(error.kind(), ErrorKind::KeyInvalid);
    assert_eq!(
        error.message(),
        "this signer's private key is held outside the process and cannot be exported"
    );
}

#[test]
fn borrow_checkout_signed_on_token_verifies_offline() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let signer = token.signer("issuer", None).unwrap();
    let store = Store::open(":memory:")
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(JUNE_2026)));

    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/licenses/enterprise.json");
    let mut license: Value = serde_json::from_slice(&std::fs::read(sample).unwrap()).unwrap();
    license["Issuer"]["SignKey"] = json!(signer.kid());
    license["ClientToken"] = json!("create-pkcs11-1");
    let created = store
        .create_license(license.to_string().as_bytes())
        .unwrap();
    let arn = created["LicenseArn"].as_str().unwrap();

    let borrow = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "100.20.15.10",
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": "borrow-pkcs11-1"
    });
    let response = store
        .checkout(&signer, borrow.to_string().as_bytes())
        .unwrap();
    let signed = response["SignedToken"].as_str().unwrap();

    let options = VerifyOptions {
        now: Some(JUNE_2026),
        node_id: Some("100.20.15.10".to_owned()),
        ..VerifyOptions::default()
    };
    let verified = token
        .verifier("issuer")
        .verify(signed.as_bytes(), &options)
        .unwrap();
    assert_eq!(verified.header["alg"], "PS384");
    assert_eq!(verified.header["kid"], signer.kid());
    let claims = verified.claims.unwrap();
    assert_eq!(claims.license_arn, arn);
    assert_eq!(claims.node_id.as_deref(), Some("100.20.15.10"));
    assert_eq!(claims.entitlements[0].name, "EntitlementCount");
    assert_eq!(claims.entitlements[0].value, "1");
    assert_eq!(claims.checkout_metadata.unwrap()["Mac"], "ABCDEFGHI");
}

#[test]
fn wrong_pin_is_signer_error() {
    let Some(token) = token() else { return };
    let _login = exclusive_login();

    let message = expect_error(
        Signer::from_pkcs11(&token.module, TOKEN, WRONG_PIN, "issuer", None),
        ErrorKind::Signer,
        "C_Login returned CKR_PIN_INCORRECT",
    );
    assert_eq!(
        message,
        "logging in to token \"libcheckout-test\" failed: C_Login returned CKR_PIN_INCORRECT"
    );
    assert!(!message.contains(WRONG_PIN));

    // While a signer keeps the token logged in, the token no longer checks PINs, so the
    // library compares the PIN with the one that logged in.
    let open = token.signer("issuer", None).unwrap();
    let message = expect_error(
        Signer::from_pkcs11(&token.module, TOKEN, WRONG_PIN, "issuer", None),
        ErrorKind::Signer,
        "differs from the PIN this process logged in with",
    );
    assert!(message.contains("CKR_USER_ALREADY_LOGGED_IN"), "{message}");
    assert!(!message.contains(WRONG_PIN));
    assert!(!message.contains(PIN));
    let second = token.signer("issuer-next", None).unwrap();
    assert_ne!(second.kid(), open.kid());

    // Closing the last session logs the token out, so the token checks the PIN again.
    drop(open);
    drop(second);
    expect_error(
        Signer::from_pkcs11(&token.module, TOKEN, WRONG_PIN, "issuer", None),
        ErrorKind::Signer,
        "CKR_PIN_INCORRECT",
    );
}

#[test]
fn unknown_token_is_signer_error() {
    let Some(token) = token() else { return };
    let message = expect_error(
        Signer::from_pkcs11(&token.module, "no-such-token", PIN, "issuer", None),
        ErrorKind::Signer,
        "no token labelled \"no-such-token\" in PKCS#11 module",
    );
    assert!(
        message.ends_with("(initialized tokens: \"libcheckout-test\")"),
        "{message}"
    );
}

#[test]
fn missing_module_is_signer_error() {
    let Some(_token) = token() else { return };
    expect_error(
        Signer::from_pkcs11("/nonexistent/libsofthsm2.so", TOKEN, PIN, "issuer", None),
        ErrorKind::Signer,
        "PKCS#11 module /nonexistent/libsofthsm2.so cannot be opened",
    );
}

#[test]
fn unknown_key_is_key_invalid() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let message = expect_error(
        token.signer("no-such-key", None),
        ErrorKind::KeyInvalid,
        "no private key labelled \"no-such-key\"",
    );
    assert_eq!(
        message,
        "no private key labelled \"no-such-key\" on token \"libcheckout-test\""
    );
}

#[test]
fn ec_key_is_key_invalid() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    expect_error(
        token.signer("ec-key", None),
        ErrorKind::KeyInvalid,
        "the private key \"ec-key\" on token \"libcheckout-test\" is a CKK_EC key",
    );
}

#[test]
fn small_rsa_key_is_outside_policy() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    expect_error(
        token.signer("rsa-1024", None),
        ErrorKind::KeyInvalid,
        "RSA modulus is 1024 bits",
    );
}

#[test]
fn eight_threads_share_one_signer() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let signer = token.signer("issuer", Some(Algorithm::PS512)).unwrap();
    let verifier = token.verifier("issuer");

    let verified = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|thread| {
                let (signer, verifier) = (&signer, &verifier);
                scope.spawn(move || {
                    let mut count = 0;
                    for round in 0..10 {
                        let payload = format!("thread {thread} round {round}");
                        let jws = signer.sign(payload.as_bytes()).unwrap();
                        let result = verifier.verify(jws.as_bytes(), &jws_options()).unwrap();
                        assert_eq!(result.payload, payload.as_bytes());
                        assert_eq!(result.header["alg"], "PS512");
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a signing thread panicked"))
            .sum::<usize>()
    });
    assert_eq!(verified, 80);
}

#[test]
fn two_signers_from_one_module_sign_at_once() {
    let Some(token) = token() else { return };
    let _login = shared_login();
    let labels = ["issuer", "issuer-next"];

    let kids = std::thread::scope(|scope| {
        let workers: Vec<_> = labels
            .iter()
            .map(|&label| {
                let token = &token;
                scope.spawn(move || {
                    let signer = token.signer(label, None).unwrap();
                    let verifier = token.verifier(label);
                    for round in 0..10 {
                        let payload = format!("{label} round {round}");
                        let jws = signer.sign(payload.as_bytes()).unwrap();
                        let result = verifier.verify(jws.as_bytes(), &jws_options()).unwrap();
                        assert_eq!(result.payload, payload.as_bytes());
                    }
                    signer.kid().to_owned()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a signing thread panicked"))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        kids[0],
        token.imported_key("issuer").public_key().thumbprint()
    );
    assert_eq!(
        kids[1],
        token.imported_key("issuer-next").public_key().thumbprint()
    );
}

/// Calls `lm_signer_from_pkcs11` and returns its status, the handle (or NULL) and the last
/// error message.
fn c_signer(
    token: &Token,
    pin: Option<&str>,
    key_label: &str,
) -> (lm_status, *mut lm_signer, String) {
    let module = CString::new(token.module.as_str()).unwrap();
    let token_label = CString::new(TOKEN).unwrap();
    let pin = pin.map(|pin| CString::new(pin).unwrap());
    let key_label = CString::new(key_label).unwrap();
    let mut signer: *mut lm_signer = std::ptr::null_mut();
    // SAFETY: every pointer is a live NUL-terminated string or NULL, and signer is writable.
    let status = unsafe {
        lm_signer_from_pkcs11(
            module.as_ptr(),
            token_label.as_ptr(),
            pin.as_ref().map_or(std::ptr::null(), |pin| pin.as_ptr()),
            key_label.as_ptr(),
            c"PS384".as_ptr(),
            &mut signer,
        )
    };
    // SAFETY: lm_last_error_message returns a live NUL-terminated string.
    let message = unsafe { CStr::from_ptr(lm_last_error_message()) }
        .to_string_lossy()
        .into_owned();
    (status, signer, message)
}

#[test]
fn c_abi_creates_pkcs11_signer() {
    let Some(token) = token() else { return };
    let _login = exclusive_login();

    let (status, signer, _) = c_signer(&token, Some(PIN), "issuer");
    assert_eq!(status, lm_status::Ok);
    assert!(!signer.is_null());
    let mut jwk = lm_buffer {
        data: std::ptr::null_mut(),
        len: 0,
    };
    // SAFETY: signer is a live handle and jwk a writable buffer.
    let status = unsafe { lm_signer_public_jwk(signer, &mut jwk) };
    assert_eq!(status, lm_status::Ok);
    // SAFETY: on success jwk.data points to jwk.len readable bytes.
    let text = unsafe { std::slice::from_raw_parts(jwk.data, jwk.len) };
    let jwk_json: Value = serde_json::from_slice(text).unwrap();
    assert_eq!(
        jwk_json["kid"],
        token.imported_key("issuer").public_key().thumbprint()
    );
    // SAFETY: jwk and signer come from the library and are freed once.
    unsafe {
        lm_buffer_free(&mut jwk);
        lm_signer_free(signer);
    }

    let (status, signer, message) = c_signer(&token, None, "issuer");
    assert_eq!(status, lm_status::InvalidArgument);
    assert!(signer.is_null());
    assert_eq!(message, "pin is NULL");

    let (status, signer, message) = c_signer(&token, Some(WRONG_PIN), "issuer");
    assert_eq!(status as u32, 501);
    assert!(signer.is_null());
    assert!(message.contains("CKR_PIN_INCORRECT"), "{message}");
    assert!(!message.contains(WRONG_PIN));

    let (status, signer, message) = c_signer(&token, Some(PIN), "no-such-key");
    assert_eq!(status as u32, 200);
    assert!(signer.is_null());
    assert!(message.contains("no private key labelled"), "{message}");
}
