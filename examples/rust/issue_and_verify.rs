//! Issues a license, borrows one seat and verifies the token with the public key alone.
//!
//! Run with `cargo run --release --example issue_and_verify`.

use checkout::license::Store;
use checkout::{Signer, Verifier, VerifyOptions};
use serde_json::json;

fn main() -> Result<(), checkout::Error> {
    // The issuer's side: a key, a store and a license whose SignKey is the key's thumbprint.
    let signer = Signer::generate(2048, None)?;
    let store = Store::open(":memory:")?;
    let mut license: serde_json::Value =
        serde_json::from_str(include_str!("../licenses/enterprise.json"))
            .expect("the sample license is JSON");
    license["Issuer"]["SignKey"] = json!(signer.kid());
    let created = store.create_license(license.to_string().as_bytes())?;

    let borrow = json!({
        "LicenseArn": created["LicenseArn"],
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "100.20.15.10",
        "ClientToken": "example-borrow-1"
    });
    let response = store.checkout(&signer, borrow.to_string().as_bytes())?;
    let token = response["SignedToken"]
        .as_str()
        .expect("a checkout returns SignedToken");

    // The product's side: only the public key and the token.
    let verifier = Verifier::from_pem(signer.public_key().to_spki_pem()?.as_bytes())?;
    let options = VerifyOptions {
        node_id: Some("100.20.15.10".into()),
        ..VerifyOptions::default()
    };
    let verified = verifier.verify(token.as_bytes(), &options)?;
    let claims = verified.claims.expect("the license profile returns claims");
    for entitlement in &claims.entitlements {
        println!(
            "{} = {} {}",
            entitlement.name, entitlement.value, entitlement.unit
        );
    }
    println!("valid until {}", checkout::timefmt::format_time(claims.expiration));
    Ok(())
}
