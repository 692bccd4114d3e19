//! Parsing of the AWS-shaped requests into typed values, with a message naming the member
//! at fault. Every problem here is a `ValidationException` (101).

use serde_json::Value;

use super::model::{
    is_quantity, BorrowConfiguration, CheckoutKind, ConsumptionConfiguration, Entitlement, UNITS,
};
use crate::alg::Algorithm;
use crate::json::{Members, SchemaError, SchemaResult};
use crate::timefmt::parse_request_time;
use crate::verify::parse_quantity;

/// The largest `MaxTimeToLiveInMinutes`, the bound of AWS's Integer type.
const MAX_TTL_MINUTES: i64 = i32::MAX as i64;

fn invalid(message: String) -> SchemaError {
    SchemaError(message)
}

/// A CreateLicense request, without the parts the store derives (ARN, fingerprint, times).
pub(crate) struct CreateLicense {
    pub(crate) name: String,
    pub(crate) product_name: String,
    pub(crate) product_sku: String,
    pub(crate) issuer_name: String,
    pub(crate) sign_key: String,
    pub(crate) home_region: Option<String>,
    pub(crate) begin: i64,
    pub(crate) end: Option<i64>,
    pub(crate) beneficiary: String,
    pub(crate) entitlements: Vec<Entitlement>,
    pub(crate) consumption: ConsumptionConfiguration,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) client_token: String,
}

pub(crate) fn parse_create_license(request: &Value) -> SchemaResult<CreateLicense> {
    let top = Members::of(request, "")?;
    top.only(&[
        "LicenseName",
        "ProductName",
        "ProductSKU",
        "Issuer",
        "HomeRegion",
        "Validity",
        "Entitlements",
        "Beneficiary",
        "ConsumptionConfiguration",
        "LicenseMetadata",
        "ClientToken",
        "Tags",
    ])?;

    let issuer = top.object("Issuer")?;
    issuer.only(&["Name", "SignKey"])?;
    let sign_key = issuer.str("SignKey")?;
    check_thumbprint(sign_key)?;

    let validity = top.object("Validity")?;
    validity.only(&["Begin", "End"])?;
    let begin = time_member(&validity, "Begin")?
        .ok_or_else(|| invalid("missing required member Validity.Begin".into()))?;
    let end = time_member(&validity, "End")?;
    if end.is_some_and(|end| end <= begin) {
        return Err(invalid(
            "Validity.End must be later than Validity.Begin".into(),
        ));
    }

    if let Some(tags) = top.opt_array("Tags")? {
        parse_name_values(tags, "Tags", "Key")?;
    }
    Ok(CreateLicense {
        name: top.str("LicenseName")?.to_owned(),
        product_name: top.str("ProductName")?.to_owned(),
        product_sku: top.str("ProductSKU")?.to_owned(),
        issuer_name: issuer.str("Name")?.to_owned(),
        sign_key: sign_key.to_owned(),
        home_region: top.opt_str("HomeRegion")?.map(str::to_owned),
        begin,
        end,
        beneficiary: top.str("Beneficiary")?.to_owned(),
        entitlements: parse_license_entitlements(top.array("Entitlements")?)?,
        consumption: parse_consumption_configuration(&top.object("ConsumptionConfiguration")?)?,
        metadata: match top.opt_array("LicenseMetadata")? {
            Some(items) => parse_name_values(items, "LicenseMetadata", "Name")?,
            None => Vec::new(),
        },
        client_token: client_token(&top)?,
    })
}

/// Requires `Issuer.SignKey` to be an RFC 7638 thumbprint: 43 base64url characters.
fn check_thumbprint(sign_key: &str) -> SchemaResult<()> {
    let well_formed = sign_key.len() == 43
        && sign_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        return Ok(());
    }
    Err(invalid(format!(
        "Issuer.SignKey {sign_key:?} is not a key thumbprint; set it to the RFC 7638 thumbprint of the \
         signing key (43 base64url characters, the \"kid\" that `lm jwks` prints), not a KMS key ARN"
    )))
}

fn time_member(members: &Members<'_>, name: &str) -> SchemaResult<Option<i64>> {
    let Some(text) = members.opt_str(name)? else {
        return Ok(None);
    };
    parse_request_time(text).map(Some).ok_or_else(|| {
        invalid(format!(
            "member {} is {text:?}; use YYYY-MM-DDThh:mm:ss with Z or an offset such as +02:00",
            members.path_of(name)
        ))
    })
}

fn client_token(top: &Members<'_>) -> SchemaResult<String> {
    let token = top.str("ClientToken")?;
    if token.len() > 2048 {
        return Err(invalid("ClientToken is longer than 2048 characters".into()));
    }
    Ok(token.to_owned())
}

fn parse_unit(members: &Members<'_>) -> SchemaResult<String> {
    let unit = members.str("Unit")?;
    if !UNITS.contains(&unit) {
        return Err(invalid(format!(
            "member {} is {unit:?}, which is not an AWS unit (such as Count, None, Bytes, Seconds)",
            members.path_of("Unit")
        )));
    }
    Ok(unit.to_owned())
}

fn parse_license_entitlements(items: &[Value]) -> SchemaResult<Vec<Entitlement>> {
    if items.is_empty() {
        return Err(invalid(
            "Entitlements is empty; a license needs at least one entitlement".into(),
        ));
    }
    let mut entitlements: Vec<Entitlement> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let members = Members::of(item, &format!("Entitlements[{index}]"))?;
        members.only(&[
            "Name",
            "Unit",
            "MaxCount",
            "Value",
            "Overage",
            "AllowCheckIn",
        ])?;
        let name = members.str("Name")?.to_owned();
        let unit = parse_unit(&members)?;
        let max_count = members.opt_int("MaxCount", 1, i64::MAX)?;
        if is_quantity(&unit) && max_count.is_none() {
            return Err(invalid(format!(
                "missing required member Entitlements[{index}].MaxCount: unit {unit} is a quantity"
            )));
        }
        if entitlements.iter().any(|e| e.name == name) {
            return Err(invalid(format!(
                "Entitlements has two entries named {name:?}"
            )));
        }
        entitlements.push(Entitlement {
            name,
            unit,
            max_count,
            value: members.opt_str("Value")?.map(str::to_owned),
            overage: members.opt_bool("Overage")?.unwrap_or(false),
            allow_check_in: members.opt_bool("AllowCheckIn")?.unwrap_or(false),
        });
    }
    Ok(entitlements)
}

fn parse_consumption_configuration(config: &Members<'_>) -> SchemaResult<ConsumptionConfiguration> {
    config.only(&[
        "RenewType",
        "ProvisionalConfiguration",
        "BorrowConfiguration",
    ])?;
    let renew_type = config.opt_str("RenewType")?;
    if let Some(renew) = renew_type {
        if !["None", "Weekly", "Monthly"].contains(&renew) {
            return Err(invalid(format!(
                "ConsumptionConfiguration.RenewType is {renew:?}; use None, Weekly or Monthly"
            )));
        }
    }
    let provisional_ttl_minutes = match config.opt_object("ProvisionalConfiguration")? {
        None => None,
        Some(provisional) => {
            provisional.only(&["MaxTimeToLiveInMinutes"])?;
            Some(provisional.int("MaxTimeToLiveInMinutes", 1, MAX_TTL_MINUTES)?)
        }
    };
    let borrow = match config.opt_object("BorrowConfiguration")? {
        None => None,
        Some(borrow) => {
            borrow.only(&["AllowEarlyCheckIn", "MaxTimeToLiveInMinutes"])?;
            Some(BorrowConfiguration {
                allow_early_check_in: borrow.opt_bool("AllowEarlyCheckIn")?.ok_or_else(|| {
                    invalid("missing required member ConsumptionConfiguration.BorrowConfiguration.AllowEarlyCheckIn".into())
                })?,
                ttl_minutes: borrow.int("MaxTimeToLiveInMinutes", 1, MAX_TTL_MINUTES)?,
            })
        }
    };
    Ok(ConsumptionConfiguration {
        renew_type: renew_type.map(str::to_owned),
        provisional_ttl_minutes,
        borrow,
    })
}

/// Parses `[{"Name"|"Key": .., "Value": ..}]` with unique names.
fn parse_name_values(
    items: &[Value],
    path: &str,
    key: &str,
) -> SchemaResult<Vec<(String, String)>> {
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let members = Members::of(item, &format!("{path}[{index}]"))?;
        members.only(&[key, "Value"])?;
        let name = members.str(key)?.to_owned();
        let value = members.opt_str("Value")?.unwrap_or_default().to_owned();
        if pairs.iter().any(|(other, _)| *other == name) {
            return Err(invalid(format!(
                "{path} has two entries with {key} {name:?}"
            )));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// One entitlement a checkout requests.
pub(crate) struct Requested {
    pub(crate) name: String,
    pub(crate) unit: String,
    /// The quantity for quantity units; 0 for `Unit: None`, whose value is ignored.
    pub(crate) quantity: i64,
}

/// A CheckoutLicense or CheckoutBorrowLicense request.
pub(crate) struct Checkout {
    pub(crate) kind: CheckoutKind,
    pub(crate) license_arn: Option<String>,
    pub(crate) product_sku: Option<String>,
    pub(crate) key_fingerprint: Option<String>,
    pub(crate) beneficiary: Option<String>,
    pub(crate) entitlements: Vec<Requested>,
    pub(crate) algorithm: Option<Algorithm>,
    pub(crate) node_id: Option<String>,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) client_token: String,
}

impl Checkout {
    /// Returns the AWS operation name, the scope of the ClientToken.
    pub(crate) fn operation(&self) -> &'static str {
        match self.kind {
            CheckoutKind::Borrow => "CheckoutBorrowLicense",
            _ => "CheckoutLicense",
        }
    }
}

/// Parses a checkout; the shape decides the operation: `CheckoutType` makes it
/// CheckoutLicense, `DigitalSignatureMethod` without `CheckoutType` CheckoutBorrowLicense.
///
/// An unsupported `DigitalSignatureMethod` is [`CheckoutParseError::Method`], status 201
/// rather than 101.
pub(crate) fn parse_checkout(request: &Value) -> Result<Checkout, CheckoutParseError> {
    let top = Members::of(request, "")?;
    let checkout_type = top.opt_str("CheckoutType")?;
    let method = top.opt_str("DigitalSignatureMethod")?;
    let kind =
        match (checkout_type, method) {
            (Some(name), _) => CheckoutKind::from_name(name)
                .filter(|kind| *kind != CheckoutKind::Borrow)
                .ok_or_else(|| {
                    invalid(format!(
                        "CheckoutType is {name:?}; use PROVISIONAL or PERPETUAL"
                    ))
                })?,
            (None, Some(_)) => CheckoutKind::Borrow,
            (None, None) => return Err(invalid(
                "request has neither CheckoutType (CheckoutLicense) nor DigitalSignatureMethod \
                 (CheckoutBorrowLicense)"
                    .into(),
            )
            .into()),
        };
    let algorithm = match method {
        None => None,
        Some(name) => match Algorithm::from_digital_signature_method(name) {
            Ok(algorithm) => Some(algorithm),
            Err(_) => return Err(CheckoutParseError::Method(name.to_owned())),
        },
    };

    let (license_arn, product_sku, key_fingerprint, beneficiary, metadata);
    if kind == CheckoutKind::Borrow {
        top.only(&[
            "LicenseArn",
            "Entitlements",
            "DigitalSignatureMethod",
            "NodeId",
            "CheckoutMetadata",
            "ClientToken",
        ])?;
        license_arn = Some(top.str("LicenseArn")?.to_owned());
        (product_sku, key_fingerprint, beneficiary) = (None, None, None);
        metadata = match top.opt_array("CheckoutMetadata")? {
            Some(items) => parse_name_values(items, "CheckoutMetadata", "Name")?,
            None => Vec::new(),
        };
    } else {
        top.only(&[
            "ProductSKU",
            "CheckoutType",
            "KeyFingerprint",
            "Entitlements",
            "ClientToken",
            "Beneficiary",
            "NodeId",
            "LicenseArn",
            "DigitalSignatureMethod",
        ])?;
        license_arn = top.opt_str("LicenseArn")?.map(str::to_owned);
        product_sku = top.opt_str("ProductSKU")?.map(str::to_owned);
        key_fingerprint = top.opt_str("KeyFingerprint")?.map(str::to_owned);
        beneficiary = top.opt_str("Beneficiary")?.map(str::to_owned);
        metadata = Vec::new();
        if license_arn.is_none() && (product_sku.is_none() || key_fingerprint.is_none()) {
            return Err(invalid(
                "CheckoutLicense needs ProductSKU and KeyFingerprint, or LicenseArn".into(),
            )
            .into());
        }
    }

    Ok(Checkout {
        kind,
        license_arn,
        product_sku,
        key_fingerprint,
        beneficiary,
        entitlements: parse_requested(top.array("Entitlements")?)?,
        algorithm,
        node_id: top.opt_str("NodeId")?.map(str::to_owned),
        metadata,
        client_token: client_token(&top)?,
    })
}

/// The failure to parse a checkout request.
pub(crate) enum CheckoutParseError {
    /// A schema problem (101).
    Schema(SchemaError),
    /// An unsupported `DigitalSignatureMethod` (201).
    Method(String),
}

impl From<SchemaError> for CheckoutParseError {
    fn from(error: SchemaError) -> CheckoutParseError {
        CheckoutParseError::Schema(error)
    }
}

fn parse_requested(items: &[Value]) -> SchemaResult<Vec<Requested>> {
    if items.is_empty() {
        return Err(invalid(
            "Entitlements is empty; name at least one entitlement".into(),
        ));
    }
    let mut requested: Vec<Requested> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let members = Members::of(item, &format!("Entitlements[{index}]"))?;
        members.only(&["Name", "Unit", "Value"])?;
        let name = members.str("Name")?.to_owned();
        let unit = parse_unit(&members)?;
        let quantity = if is_quantity(&unit) {
            let text = members.str("Value")?;
            parse_quantity(text).ok_or_else(|| {
                invalid(format!(
                    "Entitlements[{index}].Value is {text:?}; a quantity is a decimal integer from 1 to \
                     9223372036854775807 without sign, spaces or leading zeros"
                ))
            })?
        } else {
            members.opt_str("Value")?;
            0
        };
        if requested.iter().any(|r| r.name == name) {
            return Err(invalid(format!("Entitlements names {name:?} twice")));
        }
        requested.push(Requested {
            name,
            unit,
            quantity,
        });
    }
    Ok(requested)
}

/// Returns the required `LicenseConsumptionToken` of a CheckInLicense or
/// ExtendLicenseConsumption request, and its `DryRun` when `extra` allows that member.
pub(crate) fn parse_consumption_request(
    request: &Value,
    extra: &[&str],
) -> SchemaResult<(String, bool)> {
    let top = Members::of(request, "")?;
    let mut known = vec!["LicenseConsumptionToken"];
    known.extend_from_slice(extra);
    top.only(&known)?;
    if extra.contains(&"Beneficiary") {
        top.opt_str("Beneficiary")?;
    }
    let dry_run = if extra.contains(&"DryRun") {
        top.opt_bool("DryRun")?.unwrap_or(false)
    } else {
        false
    };
    Ok((top.str("LicenseConsumptionToken")?.to_owned(), dry_run))
}

/// Returns the required `LicenseArn` of a request whose other members are `extra`.
pub(crate) fn parse_license_arn_request<'a>(
    request: &'a Value,
    extra: &[&str],
) -> SchemaResult<(String, Members<'a>)> {
    let top = Members::of(request, "")?;
    let mut known = vec!["LicenseArn"];
    known.extend_from_slice(extra);
    top.only(&known)?;
    Ok((top.str("LicenseArn")?.to_owned(), top))
}
