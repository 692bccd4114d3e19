//! The checkout claims of a license-profile token and their checks against time, node and
//! required entitlements.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::options::{RequiredEntitlement, VerifyOptions};
use super::payload::{self, Entitlements, Item, Scalar};
use crate::error::{err, Error, ErrorKind, Result};
use crate::timefmt::parse_token_time;

/// One entry of `entitlementsAllowed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementClaim {
    /// The entitlement's name.
    pub name: String,
    /// The AWS unit, such as `Count` or `None`.
    pub unit: String,
    /// The quantity or value granted, as a string.
    pub value: String,
}

/// The claims of a checkout token, after their checks passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The entitlements granted, in the request's order.
    pub entitlements: Vec<EntitlementClaim>,
    /// `issuedAt` in Unix seconds.
    pub issued_at: i64,
    /// `expiration` in Unix seconds.
    pub expiration: i64,
    /// The license's ARN.
    pub license_arn: String,
    /// The consumption token that identifies the checkout.
    pub license_consumption_token: String,
    /// The node the token is bound to, if any.
    pub node_id: Option<String>,
    /// The checkout metadata, if any.
    pub checkout_metadata: Option<Map<String, Value>>,
}

fn malformed(message: impl Into<String>) -> Error {
    err(ErrorKind::TokenMalformed, message)
}

/// Parses the payload as claims and checks them against `now` and `options`.
pub(super) fn check(payload: &[u8], now: i64, options: &VerifyOptions) -> Result<Claims> {
    let Parsed {
        claims,
        issued_at_text,
        expiration_text,
    } = parse(payload)?;
    let leeway = i64::from(options.leeway_seconds);

    if claims.issued_at > now.saturating_add(leeway) {
        return Err(err(
            ErrorKind::TokenNotYetValid,
            format!(
                "token issuedAt {} lies in the future",
                quoted(&issued_at_text)
            ),
        ));
    }
    if now >= claims.expiration.saturating_add(leeway) {
        return Err(err(
            ErrorKind::TokenExpired,
            format!(
                "token expired at {}; check out again",
                quoted(&expiration_text)
            ),
        ));
    }
    if let Some(expected) = &options.node_id {
        match &claims.node_id {
            Some(found) if found == expected => {}
            Some(found) => {
                return Err(err(
                    ErrorKind::NodeMismatch,
                    format!("token is bound to node {found:?}, not {expected:?}"),
                ))
            }
            None => {
                return Err(err(
                    ErrorKind::NodeMismatch,
                    format!("token has no nodeId, but node {expected:?} was required"),
                ))
            }
        }
    }
    for required in &options.require_entitlements {
        check_required(&claims.entitlements, required)?;
    }
    Ok(claims)
}

/// Claims with the raw text of their two times, for messages that quote the token.
struct Parsed<'a> {
    claims: Claims,
    issued_at_text: Cow<'a, str>,
    expiration_text: Cow<'a, str>,
}

/// Returns `text` as a JSON string literal, as a message quotes a claim.
fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn text<'s, 'a>(slot: &'s Option<Scalar<'a>>, name: &str) -> Result<&'s Cow<'a, str>> {
    match slot {
        Some(Scalar::Text(text)) => Ok(text),
        Some(_) => Err(malformed(format!("token claim {name:?} is not a string"))),
        None => Err(malformed(format!("token has no {name:?} claim"))),
    }
}

fn time(slot: &Option<Scalar<'_>>, name: &str) -> Result<i64> {
    parse_token_time(text(slot, name)?).ok_or_else(|| {
        malformed(format!(
            "token claim {name:?} is not a time of the form YYYY-MM-DDThh:mm:ss"
        ))
    })
}

/// Returns the text a validated time claim holds.
fn into_text(slot: Option<Scalar<'_>>) -> Cow<'_, str> {
    match slot {
        Some(Scalar::Text(text)) => text,
        _ => Cow::Borrowed(""),
    }
}

fn parse(payload: &[u8]) -> Result<Parsed<'_>> {
    let mut members = match payload::read(payload) {
        Ok(Some(members)) => members,
        Ok(None) => return Err(malformed("token payload is not a JSON object")),
        Err(e) => return Err(malformed(format!("token payload is invalid: {e}"))),
    };

    let issued_at = time(&members.issued_at, "issuedAt")?;
    let expiration = time(&members.expiration, "expiration")?;
    let license_arn = text(&members.license_arn, "licenseArn")?.to_string();
    let license_consumption_token =
        text(&members.license_consumption_token, "licenseConsumptionToken")?.to_string();
    let entitlements = parse_entitlements(members.entitlements.take())?;
    if expiration < issued_at {
        return Err(malformed("token expiration is before its issuedAt"));
    }
    check_numeric_date(&members.iat, "iat", "issuedAt", issued_at)?;
    check_numeric_date(&members.exp, "exp", "expiration", expiration)?;
    let node_id = match &members.node_id {
        None => None,
        Some(Scalar::Text(node)) => Some(node.to_string()),
        Some(_) => return Err(malformed("token claim \"nodeId\" is not a string")),
    };
    let checkout_metadata = match members.checkout_metadata.take() {
        None => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            return Err(malformed(
                "token claim \"checkoutMetadata\" is not an object",
            ))
        }
    };

    Ok(Parsed {
        claims: Claims {
            entitlements,
            issued_at,
            expiration,
            license_arn,
            license_consumption_token,
            node_id,
            checkout_metadata,
        },
        issued_at_text: into_text(members.issued_at),
        expiration_text: into_text(members.expiration),
    })
}

/// Checks that a registered JWT claim, when present, is the NumericDate of its AWS twin.
fn check_numeric_date(
    slot: &Option<Scalar<'_>>,
    name: &str,
    twin: &str,
    expected: i64,
) -> Result<()> {
    match slot {
        None => Ok(()),
        Some(Scalar::Integer(value)) if *value == expected => Ok(()),
        Some(_) => Err(malformed(format!(
            "token claim {name:?} is not the NumericDate of {twin:?}"
        ))),
    }
}

fn parse_entitlements(member: Option<Entitlements<'_>>) -> Result<Vec<EntitlementClaim>> {
    let Some(Entitlements::Array(items)) = member else {
        return Err(malformed(
            "token claim \"entitlementsAllowed\" is missing or not an array",
        ));
    };
    let mut entitlements = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let Item::Object { name, unit, value } = item else {
            return Err(malformed(format!(
                "token entitlementsAllowed[{index}] is not an object"
            )));
        };
        let text = |slot: Option<Scalar<'_>>, name: &str| match slot {
            Some(Scalar::Text(text)) => Ok(text.into_owned()),
            _ => Err(malformed(format!(
                "token entitlementsAllowed[{index}].{name} is missing or not a string"
            ))),
        };
        entitlements.push(EntitlementClaim {
            name: text(name, "name")?,
            unit: text(unit, "unit")?,
            value: text(value, "value")?,
        });
    }
    Ok(entitlements)
}

fn check_required(granted: &[EntitlementClaim], required: &RequiredEntitlement) -> Result<()> {
    let missing = |detail: String| err(ErrorKind::EntitlementMissing, detail);
    let Some(found) = granted.iter().find(|e| e.name == required.name) else {
        return Err(missing(format!(
            "token does not grant entitlement {:?}",
            required.name
        )));
    };
    let Some(wanted) = &required.value else {
        return Ok(());
    };

    let enough = match (
        found.unit != "None",
        parse_quantity(&found.value),
        parse_quantity(wanted),
    ) {
        (true, Some(have), Some(need)) => have >= need,
        _ => found.value == *wanted,
    };
    if enough {
        Ok(())
    } else {
        Err(missing(format!(
            "token grants entitlement {:?} with value {:?}, but {:?} is required",
            required.name, found.value, wanted
        )))
    }
}

/// Parses a quantity: a decimal integer from 1 to 2^63-1 without sign, space or leading zero.
pub(crate) fn parse_quantity(text: &str) -> Option<i64> {
    let canonical =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    if !canonical {
        return None;
    }
    text.parse::<i64>().ok()
}
