//! The rules of AWS License Manager's operations, written once for every store.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::model::{is_quantity, name_value_list, CheckoutKind, Consumption, Granted, License};
use super::request::{self, CheckoutParseError, Requested};
use super::store::{
    Backend, CheckoutRecorded, Looked, Lookup, NewCheckout, Recorded, Transaction, Usage,
    UsageBound,
};
use crate::backend;
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Reason, Result};
use crate::json::{canonical_bytes, SchemaError};
use crate::signer::Signer;
use crate::timefmt::{format_time, MAX_UNIX_SECONDS};

/// The store and the clock that every operation uses.
pub(crate) struct Context<'a> {
    pub(crate) backend: &'a dyn Backend,
    pub(crate) clock: &'a dyn Clock,
}

impl Context<'_> {
    fn read<R>(&self, mut work: impl FnMut(&mut dyn Transaction) -> Result<R>) -> Result<R> {
        let mut out = None;
        self.backend.read(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                "a store transaction returned no result",
            )
        })
    }

    fn write<R>(&self, mut work: impl FnMut(&mut dyn Transaction) -> Result<R>) -> Result<R> {
        let mut out = None;
        self.backend.write(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                "a store transaction returned no result",
            )
        })
    }
}

fn validation(error: SchemaError) -> Error {
    Error::request(ErrorKind::Validation, error.0)
}

fn not_found(message: impl std::fmt::Display) -> Error {
    Error::request(ErrorKind::NotFound, message)
}

fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 16];
    backend::fill_random(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Returns the hex SHA-256 of the request without its ClientToken, members sorted, so that
/// a replay is recognized whatever the member order.
fn request_hash(request: &Value) -> String {
    let mut without_token = request.clone();
    if let Value::Object(members) = &mut without_token {
        members.remove("ClientToken");
    }
    backend::sha256(&canonical_bytes(&without_token))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Returns the stored response of an earlier request with this ClientToken, or 403 when that
/// request differed.
fn replay(
    tx: &mut dyn Transaction,
    operation: &str,
    client_token: &str,
    hash: &str,
) -> Result<Option<Value>> {
    let recorded = tx.recorded(operation, client_token)?;
    replay_recorded(recorded, operation, client_token, hash)
}

/// Returns the response of `recorded`, the record of `client_token` if any, or 403 when its
/// request differed from the one whose hash is `hash`.
fn replay_recorded(
    recorded: Option<Recorded>,
    operation: &str,
    client_token: &str,
    hash: &str,
) -> Result<Option<Value>> {
    let Some(recorded) = recorded else {
        return Ok(None);
    };
    if recorded.request_hash != hash {
        return Err(Error::request(
            ErrorKind::Conflict,
            format!(
                "ClientToken {client_token:?} was already used with a different {operation} request; \
                 use a new ClientToken for a new request"
            ),
        ));
    }
    serde_json::from_str(&recorded.response)
        .map(Some)
        .map_err(|_| {
            Error::new(
                ErrorKind::Store,
                "the store holds an unreadable recorded response",
            )
        })
}

pub(crate) fn create_license(cx: Context<'_>, request: &Value) -> Result<Value> {
    let parsed = request::parse_create_license(request).map_err(validation)?;
    let hash = request_hash(request);
    let account_id = cx.backend.account_id().to_owned();
    let arn = format!(
        "arn:aws:license-manager::{account_id}:license:l-{}",
        random_hex()?
    );
    let now = cx.clock.now();

    let license = License {
        arn: arn.clone(),
        name: parsed.name,
        product_name: parsed.product_name,
        product_sku: parsed.product_sku,
        key_fingerprint: format!("aws:{account_id}:{}:issuer-fingerprint", parsed.issuer_name),
        issuer_name: parsed.issuer_name,
        sign_key: parsed.sign_key,
        home_region: parsed.home_region,
        begin: parsed.begin,
        end: parsed.end,
        beneficiary: parsed.beneficiary,
        entitlements: parsed.entitlements,
        consumption: parsed.consumption,
        metadata: parsed.metadata,
        create_time: now,
        version: "1".into(),
    };
    let response = json!({"LicenseArn": arn, "Status": "AVAILABLE", "Version": "1"});

    cx.write(|tx| {
        if let Some(previous) = replay(tx, "CreateLicense", &parsed.client_token, &hash)? {
            return Ok(previous);
        }
        tx.insert_license(&license)?;
        let recorded = Recorded {
            request_hash: hash.clone(),
            response: response.to_string(),
        };
        tx.record("CreateLicense", &parsed.client_token, &recorded)?;
        Ok(response.clone())
    })
}

fn find_license(tx: &mut dyn Transaction, arn: &str) -> Result<License> {
    tx.license(arn)?.ok_or_else(|| missing_license(arn))
}

fn missing_license(arn: &str) -> Error {
    not_found(format!("license {arn:?} does not exist in this store"))
}

pub(crate) fn get_license(cx: Context<'_>, request: &Value) -> Result<Value> {
    let (arn, top) =
        request::parse_license_arn_request(request, &["Version"]).map_err(validation)?;
    top.opt_str("Version").map_err(validation)?;
    let now = cx.clock.now();
    let license = cx.read(|tx| find_license(tx, &arn))?;
    Ok(json!({"License": license.to_json(now)}))
}

pub(crate) fn get_license_usage(cx: Context<'_>, request: &Value) -> Result<Value> {
    let (arn, _) = request::parse_license_arn_request(request, &[]).map_err(validation)?;
    let now = cx.clock.now();
    let (license, usage) = cx.read(|tx| Ok((find_license(tx, &arn)?, tx.usage(&arn, now)?)))?;

    let mut usages = Vec::new();
    for entitlement in license.entitlements.iter().filter(|e| is_quantity(&e.unit)) {
        let held = usage.get(&entitlement.name).copied().unwrap_or_default();
        let mut row = Map::new();
        row.insert("Name".into(), entitlement.name.clone().into());
        row.insert("Unit".into(), entitlement.unit.clone().into());
        row.insert("ConsumedValue".into(), held.consumed.to_string().into());
        if let Some(max) = entitlement.max_count {
            row.insert("MaxCount".into(), max.to_string().into());
        }
        if held.overage > 0 {
            row.insert("OverageValue".into(), held.overage.to_string().into());
        }
        usages.push(Value::Object(row));
    }
    Ok(json!({"LicenseUsage": {"EntitlementUsages": usages}}))
}

pub(crate) fn list_license_consumptions(cx: Context<'_>, request: &Value) -> Result<Value> {
    let (arn, top) = request::parse_license_arn_request(request, &["State"]).map_err(validation)?;
    let state = top.opt_str("State").map_err(validation)?;
    if let Some(state) = state {
        if !["ACTIVE", "CHECKED_IN", "EXPIRED"].contains(&state) {
            return Err(Error::request(
                ErrorKind::Validation,
                format!("State is {state:?}; use ACTIVE, CHECKED_IN or EXPIRED"),
            ));
        }
    }
    let now = cx.clock.now();
    let consumptions = cx.read(|tx| {
        find_license(tx, &arn)?;
        tx.consumptions(&arn)
    })?;

    let listed: Vec<Value> = consumptions
        .iter()
        .filter(|c| state.is_none_or(|wanted| c.state(now) == wanted))
        .map(|c| {
            let mut row = Map::new();
            row.insert("LicenseConsumptionToken".into(), c.token.clone().into());
            row.insert("LicenseArn".into(), c.license_arn.clone().into());
            row.insert("CheckoutType".into(), c.kind.name().into());
            row.insert("EntitlementsAllowed".into(), c.entitlements_json());
            if let Some(node) = &c.node_id {
                row.insert("NodeId".into(), node.clone().into());
            }
            row.insert("IssuedAt".into(), format_time(c.issued_at).into());
            row.insert("Expiration".into(), format_time(c.expiration).into());
            row.insert("State".into(), c.state(now).into());
            Value::Object(row)
        })
        .collect();
    Ok(json!({"LicenseConsumptions": listed}))
}

/// Fails with 401 unless `now` lies in the license's `[Begin, End)`.
fn check_validity(license: &License, now: i64) -> Result<()> {
    if now < license.begin {
        return Err(Error::request(
            ErrorKind::NoEntitlementsAllowed,
            format!(
                "license not yet valid: {} begins at {}",
                license.arn,
                format_time(license.begin)
            ),
        ));
    }
    if let Some(end) = license.end.filter(|end| now >= *end) {
        return Err(Error::request(
            ErrorKind::NoEntitlementsAllowed,
            format!(
                "license expired: {} ended at {}",
                license.arn,
                format_time(end)
            ),
        ));
    }
    Ok(())
}

/// Fails with 200 unless the signer holds the key the license names in `Issuer.SignKey`.
fn check_signer(license: &License, signer: &Signer) -> Result<()> {
    if signer.kid() == license.sign_key {
        return Ok(());
    }
    Err(Error::request(
        ErrorKind::KeyInvalid,
        format!(
            "the signer's key {} is not the license's Issuer.SignKey {}; sign with the key the license names",
            signer.kid(),
            license.sign_key
        ),
    ))
}

/// Returns the expiration of a token issued at `now` with a TTL in minutes.
fn expiration(license: &License, now: i64, ttl_minutes: i64) -> i64 {
    let by_ttl = now.saturating_add(ttl_minutes.saturating_mul(60));
    by_ttl
        .min(license.end.unwrap_or(i64::MAX))
        .min(MAX_UNIX_SECONDS)
}

/// Returns the TTL in minutes of the license's configuration for `kind`, or 401.
fn ttl_minutes(license: &License, kind: CheckoutKind) -> Result<i64> {
    let ttl = match kind {
        CheckoutKind::Borrow => license.consumption.borrow.as_ref().map(|b| b.ttl_minutes),
        _ => license.consumption.provisional_ttl_minutes,
    };
    let (config, operation) = match kind {
        CheckoutKind::Borrow => ("BorrowConfiguration", "CheckoutBorrowLicense"),
        _ => ("ProvisionalConfiguration", "CheckoutLicense"),
    };
    ttl.ok_or_else(|| {
        Error::request(
            ErrorKind::NoEntitlementsAllowed,
            format!(
                "license {} has no {config}, so {operation} is not allowed",
                license.arn
            ),
        )
    })
}

/// Decides what a checkout grants, against the license and its current usage.
fn plan(
    license: &License,
    kind: CheckoutKind,
    requested: &[Requested],
    usage: &HashMap<String, Usage>,
) -> Result<Vec<Granted>> {
    let borrow = kind == CheckoutKind::Borrow;
    let mut granted = Vec::new();
    // Refusals in request order; the flag marks an unknown entitlement or unit mismatch.
    let mut refused: Vec<(Reason, bool)> = Vec::new();
    let reason = |name: &str, text: String| Reason {
        name: name.to_owned(),
        reason: text,
    };

    for wanted in requested {
        let Some(entitlement) = license.entitlement(&wanted.name) else {
            if !borrow && !is_quantity(&wanted.unit) {
                continue;
            }
            refused.push((reason(&wanted.name, "not in the license".into()), true));
            continue;
        };
        if entitlement.unit != wanted.unit {
            let text = format!(
                "unit {} requested, the license has {}",
                wanted.unit, entitlement.unit
            );
            refused.push((reason(&wanted.name, text), true));
            continue;
        }
        if !is_quantity(&entitlement.unit) {
            let value = entitlement.value.clone().unwrap_or_default();
            granted.push(Granted {
                name: wanted.name.clone(),
                unit: wanted.unit.clone(),
                value,
                quantity: 0,
                overage: 0,
            });
            continue;
        }

        let max = entitlement.max_count.unwrap_or(0);
        let consumed = usage.get(&wanted.name).map_or(0, |u| u.consumed);
        let overage = match consumed.checked_add(wanted.quantity) {
            Some(after) if after <= max => 0,
            Some(after) if entitlement.overage => after - max.max(consumed),
            _ => {
                let available = (max - consumed).max(0);
                let text = format!(
                    "{} requested, {available} of MaxCount {max} available",
                    wanted.quantity
                );
                refused.push((reason(&wanted.name, text), false));
                continue;
            }
        };
        granted.push(Granted {
            name: wanted.name.clone(),
            unit: wanted.unit.clone(),
            value: wanted.quantity.to_string(),
            quantity: wanted.quantity,
            overage,
        });
    }

    // A borrow is all-or-nothing and names unknown entitlements and unit mismatches with
    // 402 before any exhaustion.
    if borrow && refused.iter().any(|(_, not_allowed)| *not_allowed) {
        let reasons = refused
            .into_iter()
            .filter(|(_, not_allowed)| *not_allowed)
            .map(|(r, _)| r)
            .collect();
        return Err(Error::refused(
            ErrorKind::EntitlementNotAllowed,
            "entitlements not allowed",
            reasons,
        ));
    }
    if !refused.is_empty() {
        let reasons = refused.into_iter().map(|(r, _)| r).collect();
        return Err(Error::refused(
            ErrorKind::NoEntitlementsAllowed,
            "no entitlements allowed",
            reasons,
        ));
    }
    if granted.is_empty() {
        return Err(Error::request(
            ErrorKind::NoEntitlementsAllowed,
            format!(
                "none of the requested entitlements is in license {}",
                license.arn
            ),
        ));
    }
    Ok(granted)
}

/// Finds the license of a checkout: by ARN for a borrow; by ProductSKU and KeyFingerprint
/// (and Beneficiary when given) among licenses inside their validity for CheckoutLicense,
/// the newest CreateTime winning and ties going to the smallest ARN.
fn checkout_license(
    tx: &mut dyn Transaction,
    checkout: &request::Checkout,
    now: i64,
) -> Result<License> {
    let (Some(sku), Some(fingerprint)) = (&checkout.product_sku, &checkout.key_fingerprint) else {
        let arn = checkout.license_arn.as_deref().unwrap_or_default();
        return find_license(tx, arn);
    };
    let matches_request = |license: &License| {
        checkout
            .beneficiary
            .as_ref()
            .is_none_or(|b| *b == license.beneficiary)
            && checkout
                .license_arn
                .as_ref()
                .is_none_or(|arn| *arn == license.arn)
    };

    let mut candidates: Vec<License> = tx
        .licenses_by_sku(sku, fingerprint)?
        .into_iter()
        .filter(|l| matches_request(l))
        .collect();
    if candidates.is_empty() {
        if let Some(arn) = &checkout.license_arn {
            find_license(tx, arn)?;
            return Err(not_found(format!(
                "license {arn:?} does not match ProductSKU {sku:?}, KeyFingerprint {fingerprint:?}{}",
                checkout.beneficiary.as_ref().map(|b| format!(" and Beneficiary {b:?}")).unwrap_or_default()
            )));
        }
        return Err(not_found(format!(
            "no license has ProductSKU {sku:?} and KeyFingerprint {fingerprint:?}{}",
            checkout
                .beneficiary
                .as_ref()
                .map(|b| format!(" for Beneficiary {b:?}"))
                .unwrap_or_default()
        )));
    }
    candidates.sort_by(|a, b| {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| a.arn.cmp(&b.arn))
    });
    let newest_valid = candidates
        .iter()
        .position(|l| check_validity(l, now).is_ok());
    Ok(candidates.swap_remove(newest_valid.unwrap_or(0)))
}

pub(crate) fn checkout(cx: Context<'_>, signer: &Signer, request: &Value) -> Result<Value> {
    let checkout = request::parse_checkout(request).map_err(|error| match error {
        CheckoutParseError::Schema(schema) => validation(schema),
        CheckoutParseError::Method(name) => Error::request(
            ErrorKind::UnsupportedSignatureMethod,
            format!("DigitalSignatureMethod {name:?} is not supported; use JWT_PS384, JWT_PS256 or JWT_PS512"),
        ),
    })?;
    let operation = checkout.operation();
    let hash = request_hash(request);
    let now = cx.clock.now();

    // Everything before signing runs in a read transaction, so a slow signer (an HSM or a
    // KMS) never holds the store's write lock.
    let prepared = cx.read(|tx| prepare_checkout(tx, &checkout, &hash, signer, now))?;
    let Some(Prepared {
        license,
        ttl,
        granted,
        usage,
    }) = prepared
    else {
        // A recorded response is returned from a write transaction, which returns only once
        // the store has made durable what it read.
        return cx.write(|tx| {
            replay(tx, operation, &checkout.client_token, &hash)?.ok_or_else(|| {
                Error::new(
                    ErrorKind::Store,
                    "a ClientToken record disappeared from the store",
                )
            })
        });
    };

    let mut consumption = Consumption {
        token: random_hex()?,
        license_arn: license.arn.clone(),
        kind: checkout.kind,
        node_id: checkout.node_id.clone(),
        issued_at: now,
        expiration: expiration(&license, now, ttl),
        checked_in: false,
        algorithm: checkout.algorithm.unwrap_or_else(|| signer.algorithm()),
        metadata: checkout.metadata.clone(),
        entitlements: granted,
    };
    let signed_token = signer.sign_with(consumption.algorithm, &consumption.payload())?;
    let response = checkout_response(&consumption, &signed_token);

    let recorded = Recorded {
        request_hash: hash.clone(),
        response: response.to_string(),
    };
    cx.write(|tx| {
        // Capacity may have gone while signing. The plan holds as long as the usage stays
        // within its bounds, which the store checks under the license lock; otherwise the plan
        // is made again from the usage the store returned, and the signature is dropped when
        // no plan holds any more.
        let mut usage = usage.clone();
        loop {
            consumption.entitlements =
                plan(&license, checkout.kind, &checkout.entitlements, &usage)?;
            let bounds = plan_bounds(&license, &checkout.entitlements, &usage);
            let outcome = tx.record_checkout(&NewCheckout {
                operation,
                client_token: &checkout.client_token,
                recorded: &recorded,
                consumption: &consumption,
                now,
                bounds: &bounds,
            })?;
            match outcome {
                CheckoutRecorded::Inserted => return Ok(response.clone()),
                CheckoutRecorded::Replayed(previous) => {
                    return replay_recorded(
                        Some(previous),
                        operation,
                        &checkout.client_token,
                        &hash,
                    )?
                    .ok_or_else(|| {
                        Error::new(ErrorKind::Internal, "a replay returned no response")
                    })
                }
                CheckoutRecorded::Moved(current) => usage = current,
            }
        }
    })
}

/// Returns, for each quantity entitlement of `requested` that [`plan`] granted from `usage`,
/// the consumed quantities for which `plan` grants the same quantity and overage.
fn plan_bounds(
    license: &License,
    requested: &[Requested],
    usage: &HashMap<String, Usage>,
) -> Vec<UsageBound> {
    let mut bounds = Vec::new();
    for request in requested {
        let Some(entitlement) = license.entitlement(&request.name) else {
            continue;
        };
        if entitlement.unit != request.unit || !is_quantity(&entitlement.unit) {
            continue;
        }

        let max = entitlement.max_count.unwrap_or(0);
        let consumed = usage.get(&request.name).map_or(0, |u| u.consumed);
        let quantity = request.quantity;
        let (min, max) = match consumed.checked_add(quantity) {
            // Within MaxCount: no overage, whatever the usage below this.
            Some(after) if after <= max => (i64::MIN, max - quantity),
            // All of it is overage once the usage reached MaxCount.
            Some(_) if entitlement.overage && consumed >= max => (max, i64::MAX - quantity),
            // Part of it is overage: the amount depends on the exact usage.
            _ => (consumed, consumed),
        };
        bounds.push(UsageBound {
            name: request.name.clone(),
            min,
            max,
        });
    }
    bounds
}

/// The outcome of the checks a checkout makes before it signs.
struct Prepared {
    license: License,
    /// The time to live, in minutes.
    ttl: i64,
    granted: Vec<Granted>,
    /// The usage the plan rests on.
    usage: HashMap<String, Usage>,
}

/// Checks a checkout before it is signed: returns what it grants, or `None` when the
/// ClientToken already has a recorded response.
fn prepare_checkout(
    tx: &mut dyn Transaction,
    checkout: &request::Checkout,
    hash: &str,
    signer: &Signer,
    now: i64,
) -> Result<Option<Prepared>> {
    let operation = checkout.operation();
    let looked = match (&checkout.product_sku, &checkout.key_fingerprint) {
        (Some(_), Some(_)) => {
            let recorded = tx.recorded(operation, &checkout.client_token)?;
            if recorded.is_some() {
                Looked {
                    recorded,
                    license: None,
                    usage: HashMap::new(),
                }
            } else {
                let license = checkout_license(tx, checkout, now)?;
                let usage = tx.usage(&license.arn, now)?;
                Looked {
                    recorded,
                    license: Some(license),
                    usage,
                }
            }
        }
        _ => tx.lookup(&Lookup {
            operation,
            client_token: &checkout.client_token,
            license_arn: checkout.license_arn.as_deref().unwrap_or_default(),
            now,
        })?,
    };
    if replay_recorded(looked.recorded, operation, &checkout.client_token, hash)?.is_some() {
        return Ok(None);
    }
    let license = match looked.license {
        Some(license) => license,
        None => {
            return Err(missing_license(
                checkout.license_arn.as_deref().unwrap_or_default(),
            ))
        }
    };
    let usage = looked.usage;
    check_signer(&license, signer)?;
    check_validity(&license, now)?;
    let ttl = ttl_minutes(&license, checkout.kind)?;
    let granted = plan(&license, checkout.kind, &checkout.entitlements, &usage)?;
    Ok(Some(Prepared {
        license,
        ttl,
        granted,
        usage,
    }))
}

fn checkout_response(consumption: &Consumption, signed_token: &str) -> Value {
    let mut response = Map::new();
    if consumption.kind != CheckoutKind::Borrow {
        response.insert("CheckoutType".into(), consumption.kind.name().into());
    }
    response.insert("LicenseArn".into(), consumption.license_arn.clone().into());
    response.insert(
        "LicenseConsumptionToken".into(),
        consumption.token.clone().into(),
    );
    response.insert(
        "EntitlementsAllowed".into(),
        consumption.entitlements_json(),
    );
    if let Some(node) = &consumption.node_id {
        response.insert("NodeId".into(), node.clone().into());
    }
    response.insert("IssuedAt".into(), format_time(consumption.issued_at).into());
    response.insert(
        "Expiration".into(),
        format_time(consumption.expiration).into(),
    );
    response.insert("SignedToken".into(), signed_token.into());
    if consumption.kind == CheckoutKind::Borrow && !consumption.metadata.is_empty() {
        response.insert(
            "CheckoutMetadata".into(),
            name_value_list(&consumption.metadata),
        );
    }
    Value::Object(response)
}

/// Returns the consumption unless it is unknown, checked in or expired (400).
fn live_consumption(tx: &mut dyn Transaction, token: &str, now: i64) -> Result<Consumption> {
    let consumption = tx.consumption(token)?.ok_or_else(|| {
        not_found(format!(
            "license consumption token {token:?} does not exist in this store"
        ))
    })?;
    if consumption.checked_in {
        return Err(not_found(format!(
            "license consumption token {token:?} was already checked in"
        )));
    }
    if consumption.kind != CheckoutKind::Perpetual && now >= consumption.expiration {
        return Err(not_found(format!(
            "license consumption token {token:?} expired at {}",
            format_time(consumption.expiration)
        )));
    }
    Ok(consumption)
}

fn conflict(message: String) -> Error {
    Error::request(ErrorKind::Conflict, message)
}

pub(crate) fn check_in(cx: Context<'_>, request: &Value) -> Result<Value> {
    let (token, _) =
        request::parse_consumption_request(request, &["Beneficiary"]).map_err(validation)?;
    let now = cx.clock.now();

    cx.write(|tx| {
        let mut consumption = live_consumption(tx, &token, now)?;
        let license = find_license(tx, &consumption.license_arn)?;
        match consumption.kind {
            CheckoutKind::Perpetual => {
                return Err(conflict(format!(
                    "license consumption token {token:?} is PERPETUAL; its quantity is consumed for good"
                )))
            }
            CheckoutKind::Borrow => {
                if !license.consumption.borrow.as_ref().is_some_and(|b| b.allow_early_check_in) {
                    return Err(conflict(format!(
                        "license {} does not allow early check-in of borrowed entitlements",
                        license.arn
                    )));
                }
            }
            CheckoutKind::Provisional => {
                let refused: Vec<Reason> = consumption
                    .entitlements
                    .iter()
                    .filter(|g| !license.entitlement(&g.name).is_some_and(|e| e.allow_check_in))
                    .map(|g| Reason { name: g.name.clone(), reason: "AllowCheckIn is false".into() })
                    .collect();
                if !refused.is_empty() {
                    return Err(Error::refused(ErrorKind::Conflict, "check-in not allowed", refused));
                }
            }
        }
        consumption.checked_in = true;
        tx.update_consumption(&consumption)?;
        Ok(json!({}))
    })
}

pub(crate) fn extend_license_consumption(
    cx: Context<'_>,
    signer: &Signer,
    request: &Value,
) -> Result<Value> {
    let (token, dry_run) =
        request::parse_consumption_request(request, &["DryRun"]).map_err(validation)?;
    let now = cx.clock.now();

    let (mut consumption, license) = cx.read(|tx| {
        let consumption = live_consumption(tx, &token, now)?;
        let license = find_license(tx, &consumption.license_arn)?;
        Ok((consumption, license))
    })?;
    if consumption.kind == CheckoutKind::Perpetual {
        return Err(Error::request(
            ErrorKind::Validation,
            format!("license consumption token {token:?} is PERPETUAL and cannot be extended; check out again"),
        ));
    }
    check_signer(&license, signer)?;
    check_validity(&license, now)?;
    consumption.issued_at = now;
    consumption.expiration = expiration(&license, now, ttl_minutes(&license, consumption.kind)?);

    let mut response = Map::new();
    response.insert("LicenseConsumptionToken".into(), token.clone().into());
    response.insert(
        "Expiration".into(),
        format_time(consumption.expiration).into(),
    );
    response.insert("IssuedAt".into(), format_time(consumption.issued_at).into());
    if dry_run {
        return Ok(Value::Object(response));
    }
    let signed_token = signer.sign_with(consumption.algorithm, &consumption.payload())?;
    response.insert("SignedToken".into(), signed_token.into());

    cx.write(|tx| {
        live_consumption(tx, &token, now)?;
        tx.update_consumption(&consumption)?;
        Ok(())
    })?;
    Ok(Value::Object(response))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{plan, plan_bounds};
    use crate::license::model::{CheckoutKind, Entitlement, License};
    use crate::license::request::Requested;
    use crate::license::store::{within, Usage};

    fn license(max_count: i64, overage: bool) -> License {
        License {
            arn: "arn:aws:license-manager::000000000000:license:l-1".into(),
            name: "Test".into(),
            product_name: "Test".into(),
            product_sku: "SKU".into(),
            issuer_name: "Vendor".into(),
            sign_key: "kid".into(),
            key_fingerprint: "aws:000000000000:Vendor:issuer-fingerprint".into(),
            home_region: None,
            begin: 0,
            end: None,
            beneficiary: "customer".into(),
            entitlements: vec![Entitlement {
                name: "Seats".into(),
                unit: "Count".into(),
                max_count: Some(max_count),
                value: None,
                overage,
                allow_check_in: true,
            }],
            consumption: Default::default(),
            metadata: Vec::new(),
            create_time: 0,
            version: "1".into(),
        }
    }

    fn usage(consumed: i64) -> HashMap<String, Usage> {
        let usage = Usage {
            consumed,
            overage: 0,
        };
        HashMap::from([("Seats".to_owned(), usage)])
    }

    /// The bounds hold exactly for the usages from which `plan` grants what it granted.
    #[test]
    fn plan_bounds_match_plan() {
        let consumed_values: Vec<i64> = (-2..=14)
            .chain([i64::MAX - 7, i64::MAX - 1, i64::MAX])
            .collect();
        for (max_count, overage, quantity) in [
            (0, false, 1),
            (0, true, 2),
            (5, false, 1),
            (5, true, 2),
            (10, false, 7),
            (10, true, 7),
            (i64::MAX - 3, true, 2),
        ] {
            let license = license(max_count, overage);
            let requested = [Requested {
                name: "Seats".into(),
                unit: "Count".into(),
                quantity,
            }];
            for &consumed in &consumed_values {
                let planned =
                    |at: i64| plan(&license, CheckoutKind::Borrow, &requested, &usage(at)).ok();
                let Some(granted) = planned(consumed) else {
                    continue;
                };
                let bounds = plan_bounds(&license, &requested, &usage(consumed));
                assert_eq!(bounds.len(), 1);
                for &other in &consumed_values {
                    let same = planned(other).as_ref() == Some(&granted);
                    assert_eq!(
                        within(&bounds, &usage(other)),
                        same,
                        "MaxCount {max_count}, overage {overage}, quantity {quantity}: \
                         planned at {consumed}, bounds {bounds:?}, usage {other}"
                    );
                }
            }
        }
    }
}
