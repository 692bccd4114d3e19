//! The license model: licenses, entitlements and consumptions as the engine and the stores
//! see them, and their AWS-shaped JSON.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::alg::Algorithm;
use crate::timefmt::format_time;

/// The 27 units of AWS License Manager. Every unit but `None` is a quantity.
pub const UNITS: [&str; 27] = [
    "Count",
    "None",
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
];

/// Returns true when `unit` is consumed against `MaxCount`.
pub(crate) fn is_quantity(unit: &str) -> bool {
    unit != "None"
}

/// One entitlement of a license.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Entitlement {
    pub(crate) name: String,
    pub(crate) unit: String,
    pub(crate) max_count: Option<i64>,
    pub(crate) value: Option<String>,
    pub(crate) overage: bool,
    pub(crate) allow_check_in: bool,
}

/// The checkout configuration of a license.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ConsumptionConfiguration {
    pub(crate) renew_type: Option<String>,
    /// `ProvisionalConfiguration.MaxTimeToLiveInMinutes`.
    pub(crate) provisional_ttl_minutes: Option<i64>,
    pub(crate) borrow: Option<BorrowConfiguration>,
}

/// `BorrowConfiguration`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct BorrowConfiguration {
    pub(crate) allow_early_check_in: bool,
    pub(crate) ttl_minutes: i64,
}

/// A license as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct License {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) product_name: String,
    pub(crate) product_sku: String,
    pub(crate) issuer_name: String,
    pub(crate) sign_key: String,
    pub(crate) key_fingerprint: String,
    pub(crate) home_region: Option<String>,
    pub(crate) begin: i64,
    pub(crate) end: Option<i64>,
    pub(crate) beneficiary: String,
    pub(crate) entitlements: Vec<Entitlement>,
    pub(crate) consumption: ConsumptionConfiguration,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) create_time: i64,
    pub(crate) version: String,
}

impl License {
    /// Returns the entitlement named `name`.
    pub(crate) fn entitlement(&self, name: &str) -> Option<&Entitlement> {
        self.entitlements.iter().find(|e| e.name == name)
    }

    /// Returns the GetLicense `License` object; `Status` is `EXPIRED` from `Validity.End` on.
    pub(crate) fn to_json(&self, now: i64) -> Value {
        let status = if self.end.is_some_and(|end| now >= end) {
            "EXPIRED"
        } else {
            "AVAILABLE"
        };
        let mut license = Map::new();
        license.insert("LicenseArn".into(), self.arn.clone().into());
        license.insert("LicenseName".into(), self.name.clone().into());
        license.insert("ProductName".into(), self.product_name.clone().into());
        license.insert("ProductSKU".into(), self.product_sku.clone().into());
        license.insert(
            "Issuer".into(),
            json!({"Name": self.issuer_name, "SignKey": self.sign_key, "KeyFingerprint": self.key_fingerprint}),
        );
        if let Some(region) = &self.home_region {
            license.insert("HomeRegion".into(), region.clone().into());
        }
        license.insert("Status".into(), status.into());
        license.insert("Validity".into(), self.validity_json());
        license.insert("Beneficiary".into(), self.beneficiary.clone().into());
        license.insert(
            "Entitlements".into(),
            self.entitlements
                .iter()
                .map(Entitlement::to_json)
                .collect::<Vec<_>>()
                .into(),
        );
        license.insert(
            "ConsumptionConfiguration".into(),
            self.consumption.to_json(),
        );
        if !self.metadata.is_empty() {
            license.insert("LicenseMetadata".into(), name_value_list(&self.metadata));
        }
        license.insert("CreateTime".into(), format_time(self.create_time).into());
        license.insert("Version".into(), self.version.clone().into());
        Value::Object(license)
    }

    fn validity_json(&self) -> Value {
        let mut validity = Map::new();
        validity.insert("Begin".into(), format_time(self.begin).into());
        if let Some(end) = self.end {
            validity.insert("End".into(), format_time(end).into());
        }
        Value::Object(validity)
    }
}

impl Entitlement {
    fn to_json(&self) -> Value {
        let mut entitlement = Map::new();
        entitlement.insert("Name".into(), self.name.clone().into());
        entitlement.insert("Unit".into(), self.unit.clone().into());
        if let Some(max) = self.max_count {
            entitlement.insert("MaxCount".into(), max.into());
        }
        if let Some(value) = &self.value {
            entitlement.insert("Value".into(), value.clone().into());
        }
        entitlement.insert("Overage".into(), self.overage.into());
        entitlement.insert("AllowCheckIn".into(), self.allow_check_in.into());
        Value::Object(entitlement)
    }
}

impl ConsumptionConfiguration {
    fn to_json(&self) -> Value {
        let mut config = Map::new();
        if let Some(renew) = &self.renew_type {
            config.insert("RenewType".into(), renew.clone().into());
        }
        if let Some(ttl) = self.provisional_ttl_minutes {
            config.insert(
                "ProvisionalConfiguration".into(),
                json!({"MaxTimeToLiveInMinutes": ttl}),
            );
        }
        if let Some(borrow) = &self.borrow {
            config.insert(
                "BorrowConfiguration".into(),
                json!({"AllowEarlyCheckIn": borrow.allow_early_check_in, "MaxTimeToLiveInMinutes": borrow.ttl_minutes}),
            );
        }
        Value::Object(config)
    }
}

/// Returns an AWS `[{"Name": .., "Value": ..}]` list.
pub(crate) fn name_value_list(pairs: &[(String, String)]) -> Value {
    pairs
        .iter()
        .map(|(name, value)| json!({"Name": name, "Value": value}))
        .collect::<Vec<_>>()
        .into()
}

/// The kind of a checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CheckoutKind {
    Provisional,
    Perpetual,
    Borrow,
}

impl CheckoutKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CheckoutKind::Provisional => "PROVISIONAL",
            CheckoutKind::Perpetual => "PERPETUAL",
            CheckoutKind::Borrow => "BORROW",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<CheckoutKind> {
        match name {
            "PROVISIONAL" => Some(CheckoutKind::Provisional),
            "PERPETUAL" => Some(CheckoutKind::Perpetual),
            "BORROW" => Some(CheckoutKind::Borrow),
            _ => None,
        }
    }
}

/// One entitlement granted by a checkout.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Granted {
    pub(crate) name: String,
    pub(crate) unit: String,
    /// The value written in the token: the quantity, or the license's value for `Unit: None`.
    pub(crate) value: String,
    /// The quantity taken from the pool; 0 for `Unit: None`.
    pub(crate) quantity: i64,
    /// The part of `quantity` beyond `MaxCount`, taken under `Overage`.
    pub(crate) overage: i64,
}

/// A checkout and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Consumption {
    pub(crate) token: String,
    pub(crate) license_arn: String,
    pub(crate) kind: CheckoutKind,
    pub(crate) node_id: Option<String>,
    pub(crate) issued_at: i64,
    pub(crate) expiration: i64,
    pub(crate) checked_in: bool,
    pub(crate) algorithm: Algorithm,
    pub(crate) metadata: Vec<(String, String)>,
    pub(crate) entitlements: Vec<Granted>,
}

impl Consumption {
    /// Returns `ACTIVE`, `CHECKED_IN` or `EXPIRED` at `now`.
    pub(crate) fn state(&self, now: i64) -> &'static str {
        if self.checked_in {
            "CHECKED_IN"
        } else if now >= self.expiration {
            "EXPIRED"
        } else {
            "ACTIVE"
        }
    }

    /// Returns until when the consumption keeps its quantities: `None` for good (PERPETUAL),
    /// its expiration while it is live, and 0 once checked in. Stores sum the quantities of
    /// holdings whose time is later than now, so expiry returns them without any caller.
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn held_until(&self) -> Option<i64> {
        if self.checked_in {
            Some(0)
        } else if self.kind == CheckoutKind::Perpetual {
            None
        } else {
            Some(self.expiration)
        }
    }

    /// Returns the `EntitlementsAllowed` list of responses.
    pub(crate) fn entitlements_json(&self) -> Value {
        self.entitlements
            .iter()
            .map(|e| json!({"Name": e.name, "Unit": e.unit, "Value": e.value}))
            .collect::<Vec<_>>()
            .into()
    }

    /// Returns the token payload: AWS's members in AWS's order, then `iat` and `exp`.
    pub(crate) fn payload(&self) -> Vec<u8> {
        let mut payload = Map::new();
        let entitlements: Vec<Value> = self
            .entitlements
            .iter()
            .map(|e| json!({"name": e.name, "unit": e.unit, "value": e.value}))
            .collect();
        payload.insert("entitlementsAllowed".into(), entitlements.into());
        payload.insert("expiration".into(), format_time(self.expiration).into());
        payload.insert("issuedAt".into(), format_time(self.issued_at).into());
        payload.insert("licenseArn".into(), self.license_arn.clone().into());
        payload.insert("licenseConsumptionToken".into(), self.token.clone().into());
        if let Some(node) = &self.node_id {
            payload.insert("nodeId".into(), node.clone().into());
        }
        if !self.metadata.is_empty() {
            let metadata: Map<String, Value> = self
                .metadata
                .iter()
                .map(|(name, value)| (name.clone(), value.clone().into()))
                .collect();
            payload.insert("checkoutMetadata".into(), metadata.into());
        }
        payload.insert("iat".into(), self.issued_at.into());
        payload.insert("exp".into(), self.expiration.into());
        Value::Object(payload).to_string().into_bytes()
    }
}
