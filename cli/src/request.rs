//! Builds the AWS-shaped request JSON of the store commands from command-line options.

use checkout::verify::RequiredEntitlement;
use checkout::{Error, ErrorKind, Result};
use serde_json::{json, Map, Value};

use crate::args::{BorrowArgs, CheckoutCommonArgs, CheckoutLicenseArgs};

/// One `--entitlement NAME=VALUE:UNIT`; the value is absent for `NAME:UNIT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entitlement {
    pub name: String,
    pub value: Option<String>,
    pub unit: String,
}

/// One `--metadata NAME=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub value: String,
}

/// Parses `NAME=VALUE:UNIT` or `NAME:UNIT`. The unit follows the last colon, because AWS
/// units contain none.
pub fn parse_entitlement(text: &str) -> std::result::Result<Entitlement, String> {
    let Some((left, unit)) = text.rsplit_once(':') else {
        return Err(
            "expected NAME=VALUE:UNIT, such as EntitlementCount=1:Count, or NAME:None".into(),
        );
    };
    if unit.is_empty() {
        return Err(
            "the unit after the last colon is empty; use an AWS unit such as Count or None".into(),
        );
    }

    let (name, value) = match left.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (left, None),
    };
    if name.is_empty() {
        return Err("the entitlement name before the `=` is empty".into());
    }
    Ok(Entitlement {
        name: name.to_owned(),
        value,
        unit: unit.to_owned(),
    })
}

/// Parses `NAME=VALUE`, where the value may be empty and may contain `=`.
pub fn parse_metadata(text: &str) -> std::result::Result<Metadata, String> {
    match text.split_once('=') {
        Some(("", _)) => Err("the metadata name before the `=` is empty".into()),
        Some((name, value)) => Ok(Metadata {
            name: name.to_owned(),
            value: value.to_owned(),
        }),
        None => Err("expected NAME=VALUE, such as Mac=ABCDEFGHI".into()),
    }
}

/// Parses `NAME` (presence) or `NAME=VALUE` (at least that quantity, or exactly that value).
pub fn parse_required(text: &str) -> std::result::Result<RequiredEntitlement, String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (text, None),
    };
    if name.is_empty() {
        return Err("expected NAME or NAME=VALUE with a non-empty name".into());
    }
    Ok(RequiredEntitlement {
        name: name.to_owned(),
        value,
    })
}

/// Builds a CheckoutLicense request with `checkout_type` PROVISIONAL or PERPETUAL.
pub fn checkout_license(checkout_type: &str, args: &CheckoutLicenseArgs) -> Result<Value> {
    let mut request = Map::new();
    if let Some(sku) = &args.product_sku {
        request.insert("ProductSKU".into(), json!(sku));
    }
    request.insert("CheckoutType".into(), json!(checkout_type));
    if let Some(fingerprint) = &args.key_fingerprint {
        request.insert("KeyFingerprint".into(), json!(fingerprint));
    }
    if let Some(arn) = &args.license_arn {
        request.insert("LicenseArn".into(), json!(arn));
    }
    if let Some(beneficiary) = &args.beneficiary {
        request.insert("Beneficiary".into(), json!(beneficiary));
    }
    add_common(&mut request, &args.common)?;
    Ok(Value::Object(request))
}

/// Builds a CheckoutBorrowLicense request.
pub fn checkout_borrow(args: &BorrowArgs) -> Result<Value> {
    let algorithm = checkout::Algorithm::from(args.algorithm);

    let mut request = Map::new();
    request.insert("LicenseArn".into(), json!(args.license_arn));
    request.insert(
        "DigitalSignatureMethod".into(),
        json!(format!("JWT_{algorithm}")),
    );
    if !args.metadata.is_empty() {
        let metadata: Vec<Value> = args
            .metadata
            .iter()
            .map(|entry| json!({"Name": entry.name, "Value": entry.value}))
            .collect();
        request.insert("CheckoutMetadata".into(), Value::Array(metadata));
    }
    add_common(&mut request, &args.common)?;
    Ok(Value::Object(request))
}

fn add_common(request: &mut Map<String, Value>, args: &CheckoutCommonArgs) -> Result<()> {
    let entitlements: Vec<Value> = args.entitlements.iter().map(entitlement_json).collect();
    request.insert("Entitlements".into(), Value::Array(entitlements));

    if let Some(node) = &args.node_id {
        request.insert("NodeId".into(), json!(node));
    }

    let client_token = match &args.client_token {
        Some(token) => token.clone(),
        None => random_client_token()?,
    };
    request.insert("ClientToken".into(), json!(client_token));
    Ok(())
}

fn entitlement_json(entitlement: &Entitlement) -> Value {
    let mut member = Map::new();
    member.insert("Name".into(), json!(entitlement.name));
    if let Some(value) = &entitlement.value {
        member.insert("Value".into(), json!(value));
    }
    member.insert("Unit".into(), json!(entitlement.unit));
    Value::Object(member)
}

/// Returns `lm-` and 32 hex digits from the operating system's random source, so that
/// separate runs do not reuse a ClientToken by accident.
fn random_client_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot read the system random source for a ClientToken: {e}"),
        )
    })?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!("lm-{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entitlement_with_value_and_unit() {
        let parsed = parse_entitlement("EntitlementCount=1:Count").unwrap();
        assert_eq!(parsed.name, "EntitlementCount");
        assert_eq!(parsed.value.as_deref(), Some("1"));
        assert_eq!(parsed.unit, "Count");
    }

    #[test]
    fn entitlement_without_value() {
        let parsed = parse_entitlement("EnterpriseTier:None").unwrap();
        assert_eq!(parsed.value, None);
        assert_eq!(parsed.unit, "None");
    }

    #[test]
    fn entitlement_unit_after_last_colon() {
        let parsed = parse_entitlement("Bandwidth=5:Gigabits/Second").unwrap();
        assert_eq!(parsed.unit, "Gigabits/Second");
        let parsed = parse_entitlement("a:b=2:Count").unwrap();
        assert_eq!(parsed.name, "a:b");
        assert_eq!(parsed.value.as_deref(), Some("2"));
    }

    #[test]
    fn entitlement_rejects_missing_parts() {
        assert!(parse_entitlement("EntitlementCount=1")
            .unwrap_err()
            .contains("NAME=VALUE:UNIT"));
        assert!(parse_entitlement("EntitlementCount=1:")
            .unwrap_err()
            .contains("unit"));
        assert!(parse_entitlement("=1:Count").unwrap_err().contains("name"));
    }

    #[test]
    fn metadata_keeps_equals_in_value() {
        let parsed = parse_metadata("Note=a=b").unwrap();
        assert_eq!(parsed.name, "Note");
        assert_eq!(parsed.value, "a=b");
        assert!(parse_metadata("Mac").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_metadata("=x").unwrap_err().contains("name"));
    }

    #[test]
    fn required_with_and_without_value() {
        let presence = parse_required("EnterpriseTier").unwrap();
        assert_eq!(presence.value, None);
        let quantity = parse_required("EntitlementCount=2").unwrap();
        assert_eq!(quantity.name, "EntitlementCount");
        assert_eq!(quantity.value.as_deref(), Some("2"));
    }

    #[test]
    fn random_client_tokens_differ() {
        let first = random_client_token().unwrap();
        let second = random_client_token().unwrap();
        assert_eq!(first.len(), 35);
        assert!(first.starts_with("lm-"));
        assert_ne!(first, second);
    }
}
