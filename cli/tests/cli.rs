//! Runs the built `lm` binary on a temporary store and checks its output, errors and exit
//! codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use tempfile::TempDir;

const LM: &str = env!("CARGO_BIN_EXE_lm");
const NODE: &str = "100.20.15.10";
const KEY_FINGERPRINT: &str = "aws:000000000000:Example Vendor:issuer-fingerprint";

/// A temporary folder with a signing key, its public key and a store path.
struct Workspace {
    dir: TempDir,
    kid: String,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut workspace = Workspace {
            dir,
            kid: String::new(),
        };

        let output = workspace.run(&["keygen", "--out", "key.pem", "--public-out", "public.pem"]);
        let generated = stdout_json(&output);
        workspace.kid = generated["kid"]
            .as_str()
            .expect("kid is a string")
            .to_owned();
        workspace
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `lm` in the workspace with its own store and HOME, so no test touches the
    /// user's default store.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(LM);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("LM_STORE", self.path("store.db"))
            .env("HOME", self.dir.path())
            .env_remove("XDG_DATA_HOME");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("lm runs")
    }

    fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lm starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input)
            .expect("stdin accepts the input");
        child.wait_with_output().expect("lm runs")
    }

    /// Creates the sample enterprise license and returns its ARN.
    fn create_license(&self) -> String {
        let output = self.run(&[
            "license",
            "create",
            "--request",
            &sample_license(),
            "--sign-key-file",
            "key.pem",
        ]);
        stdout_json(&output)["LicenseArn"]
            .as_str()
            .expect("LicenseArn is a string")
            .to_owned()
    }

    /// Borrows one EntitlementCount seat for NODE with metadata Mac=ABCDEFGHI.
    fn borrow(&self, arn: &str, client_token: &str) -> Output {
        self.run(&[
            "checkout",
            "borrow",
            "--key",
            "key.pem",
            "--license-arn",
            arn,
            "--entitlement",
            "EntitlementCount=1:Count",
            "--node-id",
            NODE,
            "--metadata",
            "Mac=ABCDEFGHI",
            "--client-token",
            client_token,
        ])
    }

    fn consumed(&self, arn: &str) -> Value {
        let usage = stdout_json(&self.run(&["usage", "--license-arn", arn]));
        usage["LicenseUsage"]["EntitlementUsages"][0]["ConsumedValue"].clone()
    }
}

fn sample_license() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/licenses/enterprise.json")
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

fn stdout_json(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that `lm` failed with `exit` and printed `lm: CODE (STATUS): ...`.
fn assert_failure(output: &Output, exit: i32, code: &str, status: u32) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(exit), "stderr: {text}");
    assert!(
        text.starts_with(&format!("lm: {code} ({status}): ")),
        "stderr: {text}"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    text
}

#[test]
fn keygen_writes_owner_only_pem() {
    let workspace = Workspace::new();

    let pem = std::fs::read_to_string(workspace.path("key.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let public = std::fs::read_to_string(workspace.path("public.pem")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(workspace.kid.len(), 43);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(workspace.path("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn keygen_never_overwrites() {
    let workspace = Workspace::new();
    let before = std::fs::read(workspace.path("key.pem")).unwrap();

    let output = workspace.run(&["keygen", "--out", "key.pem"]);

    let text = assert_failure(&output, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(text.contains("key.pem"), "{text}");
    assert_eq!(std::fs::read(workspace.path("key.pem")).unwrap(), before);
}

#[test]
fn keygen_prints_pem_without_out() {
    let workspace = Workspace::new();

    let output = workspace.run(&["keygen", "--bits", "3072"]);

    assert_eq!(output.status.code(), Some(0));
    let pem = String::from_utf8(output.stdout).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{pem}");
}

#[test]
fn keygen_rejects_1024_bits() {
    let workspace = Workspace::new();

    let output = workspace.run(&["keygen", "--bits", "1024"]);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("[possible values: 2048, 3072, 4096]"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn jwks_of_private_and_public_key_agree() {
    let workspace = Workspace::new();

    let from_private = stdout_json(&workspace.run(&["jwks", "--key", "key.pem"]));
    let from_public = stdout_json(&workspace.run(&["jwks", "--key", "public.pem"]));

    assert_eq!(from_private, from_public);
    assert_eq!(from_private["keys"][0]["kid"], json!(workspace.kid));
    assert_eq!(from_private["keys"][0]["kty"], json!("RSA"));
    assert_eq!(from_private["keys"][0]["e"], json!("AQAB"));
    assert_eq!(from_private["keys"][0].get("d"), None);
}

#[test]
fn license_create_sets_sign_key() {
    let workspace = Workspace::new();

    let output = workspace.run(&[
        "license",
        "create",
        "--request",
        &sample_license(),
        "--sign-key-file",
        "key.pem",
    ]);

    let created = stdout_json(&output);
    let arn = created["LicenseArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:license-manager::000000000000:license:l-"),
        "{arn}"
    );
    assert_eq!(
        arn.len(),
        "arn:aws:license-manager::000000000000:license:l-".len() + 32
    );
    assert_eq!(created["Status"], json!("AVAILABLE"));
    assert_eq!(created["Version"], json!("1"));

    let shown = stdout_json(&workspace.run(&["license", "show", "--license-arn", arn]));
    assert_eq!(shown["License"]["Issuer"]["SignKey"], json!(workspace.kid));
    assert_eq!(
        shown["License"]["Issuer"]["KeyFingerprint"],
        json!(KEY_FINGERPRINT)
    );
    assert_eq!(
        shown["License"]["ProductSKU"],
        json!("EXAMPLE-ANALYTICS-ENT")
    );
}

#[test]
fn license_create_without_sign_key_file_fails() {
    let workspace = Workspace::new();

    let output = workspace.run(&["license", "create", "--request", &sample_license()]);

    let text = assert_failure(&output, 10, "LM_STATUS_VALIDATION", 101);
    assert!(text.contains("SignKey"), "{text}");
}

#[test]
fn account_id_applies_to_new_store() {
    let workspace = Workspace::new();

    let output = workspace.run(&[
        "--account-id",
        "123456789012",
        "license",
        "create",
        "--request",
        &sample_license(),
        "--sign-key-file",
        "public.pem",
    ]);

    let arn = stdout_json(&output)["LicenseArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        arn.starts_with("arn:aws:license-manager::123456789012:license:l-"),
        "{arn}"
    );
    let shown = stdout_json(&workspace.run(&["license", "show", "--license-arn", &arn]));
    assert_eq!(
        shown["License"]["Issuer"]["KeyFingerprint"],
        json!("aws:123456789012:Example Vendor:issuer-fingerprint")
    );
}

#[test]
fn account_id_is_fixed_at_creation() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let same = workspace.run(&[
        "--account-id",
        "000000000000",
        "usage",
        "--license-arn",
        &arn,
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));

    let other = workspace.run(&[
        "--account-id",
        "123456789012",
        "usage",
        "--license-arn",
        &arn,
    ]);
    let text = assert_failure(&other, 10, "LM_STATUS_VALIDATION", 101);
    assert!(text.contains("123456789012"), "{text}");
}

#[test]
fn account_id_must_have_12_digits() {
    let workspace = Workspace::new();

    let output = workspace.run(&["--account-id", "123", "usage", "--license-arn", "x"]);

    let text = assert_failure(&output, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(text.contains("accountId \"123\""), "{text}");
}

#[test]
fn borrow_with_node_and_metadata() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));

    assert_eq!(response["LicenseArn"], json!(arn));
    assert_eq!(
        response["EntitlementsAllowed"],
        json!([{"Name": "EntitlementCount", "Unit": "Count", "Value": "1"}])
    );
    assert_eq!(response["NodeId"], json!(NODE));
    assert_eq!(
        response["CheckoutMetadata"],
        json!([{"Name": "Mac", "Value": "ABCDEFGHI"}])
    );
    assert_eq!(
        response["LicenseConsumptionToken"].as_str().unwrap().len(),
        32
    );
    assert_eq!(
        response["SignedToken"].as_str().unwrap().split('.').count(),
        3
    );
    assert_eq!(response.get("CheckoutType"), None);
}

#[test]
fn verify_borrow_with_public_key() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let token = response["SignedToken"].as_str().unwrap();

    let output = workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token",
        token,
        "--node-id",
        NODE,
    ]);

    let verified = stdout_json(&output);
    assert_eq!(
        verified["header"],
        json!({"alg": "PS384", "typ": "JWT", "kid": workspace.kid})
    );
    let payload = &verified["payload"];
    assert_eq!(
        payload["entitlementsAllowed"],
        json!([{"name": "EntitlementCount", "unit": "Count", "value": "1"}])
    );
    assert_eq!(payload["licenseArn"], json!(arn));
    assert_eq!(
        payload["licenseConsumptionToken"],
        response["LicenseConsumptionToken"]
    );
    assert_eq!(payload["nodeId"], json!(NODE));
    assert_eq!(payload["checkoutMetadata"], json!({"Mac": "ABCDEFGHI"}));
    assert_eq!(payload["issuedAt"], response["IssuedAt"]);
    assert_eq!(payload["expiration"], response["Expiration"]);
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        4320 * 60
    );
}

#[test]
fn verify_wrong_node_exits_30() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let token = response["SignedToken"].as_str().unwrap();

    let output = workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token",
        token,
        "--node-id",
        "10.0.0.1",
    ]);

    let text = assert_failure(&output, 30, "LM_STATUS_NODE_MISMATCH", 304);
    assert!(text.contains("\"10.0.0.1\""), "{text}");
}

#[test]
fn verify_with_jwks_and_token_from_stdin() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let token = format!("{}\n", response["SignedToken"].as_str().unwrap());
    let jwks = workspace.run(&["jwks", "--key", "public.pem"]);
    std::fs::write(workspace.path("jwks.json"), &jwks.stdout).unwrap();

    let output = workspace.run_with_stdin(
        &[
            "verify",
            "--jwks",
            "jwks.json",
            "--token-file",
            "-",
            "--require",
            "EntitlementCount=1",
            "--algorithm",
            "PS384",
        ],
        token.as_bytes(),
    );

    let verified = stdout_json(&output);
    assert_eq!(
        verified["payload"]["licenseConsumptionToken"],
        response["LicenseConsumptionToken"]
    );
}

#[test]
fn verify_rejections_by_status() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let token = response["SignedToken"].as_str().unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--key", "public.pem", "--token", token];
        args.extend_from_slice(extra);
        workspace.run(&args)
    };

    let text = assert_failure(
        &verify(&["--require", "EntitlementCount=2"]),
        30,
        "LM_STATUS_ENTITLEMENT_MISSING",
        305,
    );
    assert!(text.contains("EntitlementCount"), "{text}");
    assert_failure(
        &verify(&["--require", "Seats"]),
        30,
        "LM_STATUS_ENTITLEMENT_MISSING",
        305,
    );
    assert_failure(
        &verify(&["--now", "2099-01-01T00:00:00Z"]),
        30,
        "LM_STATUS_TOKEN_EXPIRED",
        302,
    );
    assert_failure(
        &verify(&["--now", "946684800"]),
        30,
        "LM_STATUS_TOKEN_NOT_YET_VALID",
        303,
    );
    assert_failure(
        &verify(&["--algorithm", "PS256"]),
        20,
        "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD",
        201,
    );
    assert_failure(
        &verify(&["--max-token-bytes", "100"]),
        30,
        "LM_STATUS_TOKEN_MALFORMED",
        300,
    );

    let signature_start = token.rfind('.').unwrap() + 1;
    let replacement = if token[signature_start..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    let tampered = format!(
        "{}{replacement}{}",
        &token[..signature_start],
        &token[signature_start + 1..]
    );
    let output = workspace.run(&["verify", "--key", "public.pem", "--token", &tampered]);
    assert_failure(&output, 30, "LM_STATUS_SIGNATURE_INVALID", 301);

    let output = workspace.run(&["verify", "--key", "key.pem", "--token", token]);
    let text = assert_failure(&output, 20, "LM_STATUS_KEY_INVALID", 200);
    assert!(text.contains("key.pem"), "{text}");
}

#[test]
fn verify_expiry_honours_leeway() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let token = response["SignedToken"].as_str().unwrap();
    let expiration = response["Expiration"].as_str().unwrap();

    let at_expiry = [
        "verify",
        "--key",
        "public.pem",
        "--token",
        token,
        "--now",
        expiration,
    ];
    let output = workspace.run(&[&at_expiry[..], &["--leeway", "0"]].concat());
    assert_failure(&output, 30, "LM_STATUS_TOKEN_EXPIRED", 302);

    let output = workspace.run(&[&at_expiry[..], &["--leeway", "30"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn usage_after_checkout() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    assert_eq!(workspace.consumed(&arn), json!("0"));

    stdout_json(&workspace.borrow(&arn, "borrow-1"));

    let usage = stdout_json(&workspace.run(&["usage", "--license-arn", &arn]));
    assert_eq!(
        usage,
        json!({"LicenseUsage": {"EntitlementUsages": [
            {"Name": "EntitlementCount", "Unit": "Count", "ConsumedValue": "1", "MaxCount": "10"}
        ]}})
    );
}

#[test]
fn checkin_returns_the_seat() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let consumption = response["LicenseConsumptionToken"].as_str().unwrap();

    let output = workspace.run(&["checkin", "--token", consumption]);

    assert_eq!(stdout_json(&output), json!({}));
    assert_eq!(workspace.consumed(&arn), json!("0"));
    let listed = stdout_json(&workspace.run(&[
        "consumptions",
        "--license-arn",
        &arn,
        "--state",
        "CHECKED_IN",
    ]));
    assert_eq!(
        listed["LicenseConsumptions"][0]["LicenseConsumptionToken"],
        json!(consumption)
    );
    assert_eq!(
        listed["LicenseConsumptions"][0]["State"],
        json!("CHECKED_IN")
    );
    let active =
        stdout_json(&workspace.run(&["consumptions", "--license-arn", &arn, "--state", "ACTIVE"]));
    assert_eq!(active, json!({"LicenseConsumptions": []}));

    let again = workspace.run(&["checkin", "--token", consumption]);
    assert_failure(&again, 40, "LM_STATUS_NOT_FOUND", 400);
}

#[test]
fn extend_issues_fresh_token() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let response = stdout_json(&workspace.borrow(&arn, "borrow-1"));
    let consumption = response["LicenseConsumptionToken"].as_str().unwrap();

    let extended =
        stdout_json(&workspace.run(&["extend", "--key", "key.pem", "--token", consumption]));

    assert_eq!(extended["LicenseConsumptionToken"], json!(consumption));
    let token = extended["SignedToken"].as_str().unwrap();
    assert_ne!(token, response["SignedToken"].as_str().unwrap());
    let verified = stdout_json(&workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token",
        token,
        "--node-id",
        NODE,
    ]));
    assert_eq!(verified["header"]["alg"], json!("PS384"));
    assert_eq!(
        verified["payload"]["licenseConsumptionToken"],
        json!(consumption)
    );
    assert_eq!(
        verified["payload"]["checkoutMetadata"],
        json!({"Mac": "ABCDEFGHI"})
    );
    assert_eq!(verified["payload"]["expiration"], extended["Expiration"]);

    let dry_run = stdout_json(&workspace.run(&[
        "extend",
        "--key",
        "key.pem",
        "--token",
        consumption,
        "--dry-run",
    ]));
    assert_eq!(dry_run["LicenseConsumptionToken"], json!(consumption));
    assert_eq!(dry_run.get("SignedToken"), None);
}

#[test]
fn checkout_with_another_key_fails() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let other = workspace.run(&["keygen", "--out", "other.pem"]);
    assert_eq!(other.status.code(), Some(0));

    let output = workspace.run(&[
        "checkout",
        "borrow",
        "--key",
        "other.pem",
        "--license-arn",
        &arn,
        "--entitlement",
        "EntitlementCount=1:Count",
    ]);

    let text = assert_failure(&output, 20, "LM_STATUS_KEY_INVALID", 200);
    assert!(text.contains(&workspace.kid), "{text}");
    assert_eq!(workspace.consumed(&arn), json!("0"));
}

#[test]
fn replay_returns_identical_response() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let first = workspace.borrow(&arn, "borrow-1");
    let second = workspace.borrow(&arn, "borrow-1");

    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(workspace.consumed(&arn), json!("1"));

    let changed = workspace.run(&[
        "checkout",
        "borrow",
        "--key",
        "key.pem",
        "--license-arn",
        &arn,
        "--entitlement",
        "EntitlementCount=2:Count",
        "--client-token",
        "borrow-1",
    ]);
    let text = assert_failure(&changed, 40, "LM_STATUS_CONFLICT", 403);
    assert!(text.contains("borrow-1"), "{text}");
}

#[test]
fn default_client_tokens_differ() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let args = [
        "checkout",
        "borrow",
        "--key",
        "key.pem",
        "--license-arn",
        &arn,
        "--entitlement",
        "EntitlementCount=1:Count",
    ];

    let first = stdout_json(&workspace.run(&args));
    let second = stdout_json(&workspace.run(&args));

    assert_ne!(
        first["LicenseConsumptionToken"],
        second["LicenseConsumptionToken"]
    );
    assert_eq!(workspace.consumed(&arn), json!("2"));
}

#[test]
fn checkout_request_from_stdin() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let request = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": NODE,
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": "borrow-1"
    });

    let output = workspace.run_with_stdin(
        &["checkout", "--key", "key.pem", "--request", "-"],
        request.to_string().as_bytes(),
    );

    let response = stdout_json(&output);
    assert_eq!(response["NodeId"], json!(NODE));
    let replay = workspace.borrow(&arn, "borrow-1");
    assert_eq!(stdout_json(&replay), response);
}

#[test]
fn provisional_flags_build_request() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let output = workspace.run(&[
        "checkout",
        "provisional",
        "--key",
        "key.pem",
        "--product-sku",
        "EXAMPLE-ANALYTICS-ENT",
        "--key-fingerprint",
        KEY_FINGERPRINT,
        "--entitlement",
        "EntitlementCount=2:Count",
        "--entitlement",
        "EnterpriseTier:None",
        "--node-id",
        "host-7",
    ]);

    let response = stdout_json(&output);
    assert_eq!(response["CheckoutType"], json!("PROVISIONAL"));
    assert_eq!(response["LicenseArn"], json!(arn));
    assert_eq!(
        response["EntitlementsAllowed"],
        json!([
            {"Name": "EntitlementCount", "Unit": "Count", "Value": "2"},
            {"Name": "EnterpriseTier", "Unit": "None", "Value": "Enterprise"}
        ])
    );
    let token = response["SignedToken"].as_str().unwrap();
    let verified = stdout_json(&workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token",
        token,
        "--node-id",
        "host-7",
        "--require",
        "EnterpriseTier=Enterprise",
    ]));
    assert_eq!(verified["header"]["alg"], json!("PS256"));
    assert_eq!(workspace.consumed(&arn), json!("2"));
}

#[test]
fn perpetual_checkout_cannot_check_in() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let output = workspace.run(&[
        "checkout",
        "perpetual",
        "--key",
        "key.pem",
        "--license-arn",
        &arn,
        "--entitlement",
        "EntitlementCount=3:Count",
        "--algorithm",
        "PS512",
    ]);

    let response = stdout_json(&output);
    assert_eq!(response["CheckoutType"], json!("PERPETUAL"));
    let consumption = response["LicenseConsumptionToken"].as_str().unwrap();
    let checkin = workspace.run(&["checkin", "--token", consumption]);
    assert_failure(&checkin, 40, "LM_STATUS_CONFLICT", 403);
    assert_eq!(workspace.consumed(&arn), json!("3"));
}

#[test]
fn exhausted_license_exits_40() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();

    let output = workspace.run(&[
        "checkout",
        "borrow",
        "--key",
        "key.pem",
        "--license-arn",
        &arn,
        "--entitlement",
        "EntitlementCount=11:Count",
    ]);

    let text = assert_failure(&output, 40, "LM_STATUS_NO_ENTITLEMENTS_ALLOWED", 401);
    assert!(text.contains("EntitlementCount"), "{text}");
}

#[test]
fn bad_request_file_exits_10() {
    let workspace = Workspace::new();
    let arn = workspace.create_license();
    let request = json!({
        "LicenseArn": arn,
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "ClientToken": "bad-1",
        "NodeID": NODE
    });
    std::fs::write(workspace.path("bad.json"), request.to_string()).unwrap();

    let output = workspace.run(&["checkout", "--key", "key.pem", "--request", "bad.json"]);

    let text = assert_failure(&output, 10, "LM_STATUS_VALIDATION", 101);
    assert!(text.contains("NodeID"), "{text}");
    assert_eq!(workspace.consumed(&arn), json!("0"));
}

#[test]
fn request_that_is_not_json_exits_10() {
    let workspace = Workspace::new();
    std::fs::write(workspace.path("broken.json"), "{\"LicenseArn\": ").unwrap();

    let output = workspace.run(&["checkout", "--key", "key.pem", "--request", "broken.json"]);

    let text = assert_failure(&output, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(text.contains("not valid JSON"), "{text}");
}

#[test]
fn missing_files_are_named() {
    let workspace = Workspace::new();

    let request = workspace.run(&["checkout", "--key", "key.pem", "--request", "absent.json"]);
    let text = assert_failure(&request, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(text.contains("absent.json"), "{text}");

    let key = workspace.run(&["jwks", "--key", "absent.pem"]);
    let text = assert_failure(&key, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(text.contains("absent.pem"), "{text}");
}

#[test]
fn sign_and_verify_any_payload() {
    let workspace = Workspace::new();
    std::fs::write(workspace.path("note.txt"), b"hello\n").unwrap();

    let signed = workspace.run(&[
        "sign",
        "--key",
        "key.pem",
        "--algorithm",
        "PS512",
        "--payload-file",
        "note.txt",
    ]);

    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    let token = String::from_utf8(signed.stdout).unwrap();
    assert!(token.ends_with('\n'));
    std::fs::write(workspace.path("note.jws"), &token).unwrap();
    let verified = stdout_json(&workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token-file",
        "note.jws",
        "--profile",
        "jws",
    ]));
    assert_eq!(
        verified,
        json!({"header": {"alg": "PS512", "kid": workspace.kid}, "payload": "aGVsbG8K"})
    );

    let as_license = workspace.run(&["verify", "--key", "public.pem", "--token-file", "note.jws"]);
    assert_failure(&as_license, 30, "LM_STATUS_TOKEN_MALFORMED", 300);
}

#[test]
fn sign_json_payload_from_stdin() {
    let workspace = Workspace::new();

    let signed = workspace.run_with_stdin(
        &["sign", "--key", "key.pem", "--payload-file", "-"],
        br#"{"plan":"gold"}"#,
    );

    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    let token = String::from_utf8(signed.stdout).unwrap();
    let verified = stdout_json(&workspace.run(&[
        "verify",
        "--key",
        "public.pem",
        "--token",
        token.trim(),
        "--profile",
        "jws",
    ]));
    assert_eq!(
        verified["header"],
        json!({"alg": "PS256", "typ": "JWT", "kid": workspace.kid})
    );
    assert_eq!(verified["payload"], json!({"plan": "gold"}));
}

#[test]
fn default_store_under_xdg_data_home() {
    let workspace = Workspace::new();
    let data_home = workspace.path("data");

    let output = workspace
        .command(&[
            "license",
            "create",
            "--request",
            &sample_license(),
            "--sign-key-file",
            "key.pem",
        ])
        .env_remove("LM_STORE")
        .env("XDG_DATA_HOME", &data_home)
        .output()
        .unwrap();

    stdout_json(&output);
    assert!(data_home.join("libcheckout/store.db").is_file());
}

#[test]
fn default_store_under_home() {
    let workspace = Workspace::new();

    let output = workspace
        .command(&[
            "license",
            "create",
            "--request",
            &sample_license(),
            "--sign-key-file",
            "key.pem",
        ])
        .env_remove("LM_STORE")
        .output()
        .unwrap();

    stdout_json(&output);
    assert!(workspace
        .path(".local/share/libcheckout/store.db")
        .is_file());
}

#[test]
fn usage_errors_exit_2() {
    let workspace = Workspace::new();
    let cases: [&[&str]; 6] = [
        &["checkout", "--key", "key.pem"],
        &[
            "checkout",
            "borrow",
            "--key",
            "key.pem",
            "--license-arn",
            "arn",
        ],
        &[
            "checkout",
            "borrow",
            "--key",
            "key.pem",
            "--license-arn",
            "arn",
            "--entitlement",
            "Seats=1",
        ],
        &["verify", "--token", "a.b.c"],
        &[
            "verify",
            "--key",
            "public.pem",
            "--jwks",
            "jwks.json",
            "--token",
            "a.b.c",
        ],
        &[
            "verify",
            "--key",
            "public.pem",
            "--token",
            "a.b.c",
            "--leeway",
            "86401",
        ],
    ];

    for args in cases {
        let output = workspace.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).starts_with("error: "),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn help_on_every_subcommand() {
    let workspace = Workspace::new();
    let commands: [&[&str]; 16] = [
        &[],
        &["keygen"],
        &["license"],
        &["license", "create"],
        &["license", "show"],
        &["checkout"],
        &["checkout", "provisional"],
        &["checkout", "perpetual"],
        &["checkout", "borrow"],
        &["checkin"],
        &["extend"],
        &["usage"],
        &["consumptions"],
        &["verify"],
        &["jwks"],
        &["sign"],
    ];

    for command in commands {
        let output = workspace.run(&[command, &["--help"]].concat());
        let text = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "lm {command:?} --help");
        let usage = ["Usage: lm", &command.join(" ")].join(" ");
        assert!(
            text.contains(usage.trim_end()),
            "lm {command:?} --help:\n{text}"
        );
    }

    let top = String::from_utf8(workspace.run(&["--help"]).stdout).unwrap();
    assert!(top.contains("30  3xx"), "{top}");
    let verify = String::from_utf8(workspace.run(&["verify", "--help"]).stdout).unwrap();
    assert!(verify.contains("in seconds"), "{verify}");
}

#[test]
fn keygen_encrypts_with_passphrase() {
    let workspace = Workspace::new();
    let output = workspace
        .command(&["keygen", "--encrypt", "--out", "sealed.pem"])
        .env("LM_KEY_PASSPHRASE", "correct horse")
        .output()
        .unwrap();
    let kid = stdout_json(&output)["kid"].as_str().unwrap().to_owned();
    let pem = std::fs::read_to_string(workspace.path("sealed.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let missing = workspace.run(&["jwks", "--key", "sealed.pem"]);
    let message = assert_failure(&missing, 10, "LM_STATUS_INVALID_ARGUMENT", 100);
    assert!(message.contains("LM_KEY_PASSPHRASE"), "{message}");

    let wrong = workspace
        .command(&["jwks", "--key", "sealed.pem"])
        .env("LM_KEY_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    let message = assert_failure(&wrong, 20, "LM_STATUS_KEY_INVALID", 200);
    assert!(message.contains("passphrase is wrong"), "{message}");

    std::fs::write(workspace.path("passphrase.txt"), "correct horse\n").unwrap();
    let jwks = workspace
        .command(&["jwks", "--key", "sealed.pem"])
        .env("LM_KEY_PASSPHRASE_FILE", workspace.path("passphrase.txt"))
        .output()
        .unwrap();
    assert_eq!(stdout_json(&jwks)["keys"][0]["kid"], json!(kid));
}

#[test]
fn rotation_keeps_old_tokens_until_key_removed() {
    let workspace = Workspace::new();
    workspace.run(&["keygen", "--out", "next.pem"]);
    std::fs::write(workspace.path("payload.json"), br#"{"hello":"world"}"#).unwrap();
    let sign = |key: &str| {
        let output = workspace.run(&["sign", "--key", key, "--payload-file", "payload.json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let old_token = sign("key.pem");
    let new_token = sign("next.pem");

    let both = workspace.run(&[
        "jwks",
        "--key",
        "next.pem",
        "--key",
        "key.pem",
        "--key",
        "public.pem",
    ]);
    let jwks = stdout_json(&both);
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "a key given twice is published once"
    );
    std::fs::write(workspace.path("both.json"), &both.stdout).unwrap();
    let only_new = workspace.run(&["jwks", "--key", "next.pem"]);
    std::fs::write(workspace.path("new.json"), &only_new.stdout).unwrap();

    for token in [&old_token, &new_token] {
        let verified = workspace.run(&[
            "verify",
            "--jwks",
            "both.json",
            "--profile",
            "jws",
            "--token",
            token,
        ]);
        assert!(verified.status.success(), "{}", stderr(&verified));
    }
    let rejected = workspace.run(&[
        "verify",
        "--jwks",
        "new.json",
        "--profile",
        "jws",
        "--token",
        &old_token,
    ]);
    let message = assert_failure(&rejected, 30, "LM_STATUS_SIGNATURE_INVALID", 301);
    assert!(
        message.contains(&workspace.kid),
        "the message names the unknown kid: {message}"
    );
}
