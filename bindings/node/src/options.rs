//! Options objects: their TypeScript shapes and their conversion into the core's options.
//!
//! The objects are read member by member rather than through napi's derived conversion, so
//! that a wrong type throws a `TypeError` naming the member and a misspelt member throws
//! instead of silently weakening a check.

use std::ffi::CStr;

use checkout::license::{StoreOptions, Synchronous};
use checkout::timefmt::parse_request_time;
use checkout::verify::RequiredEntitlement;
use checkout::{Algorithm, Profile, VerifyOptions};
use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
use napi::JsDate;
use napi::{Env, JsValue, ValueType};

use crate::convert::describe;
use crate::errors::{invalid_argument, type_error, IntoJsResult};

/// The options of `Verifier.verify`. Every member is optional and an unknown member
/// throws.
// NOTE: this struct only declares the TypeScript type; `verify_options` reads the object.
#[allow(dead_code)]
#[napi(object, js_name = "VerifyOptions")]
pub struct VerifyOptionsObject {
    /// "license" (the default: a checkout token whose claims are checked) or "jws" (any
    /// payload; checks stop after the signature).
    #[napi(ts_type = "'license' | 'jws'")]
    pub profile: Option<String>,
    /// The time to check against: a Date, Unix seconds (fractions are floored) or a string
    /// such as "2026-05-01T12:00:00Z". Defaults to the system clock.
    #[napi(ts_type = "Date | number | string")]
    pub now: Option<String>,
    /// Clock skew tolerated on `issuedAt` and `expiration`, in seconds (0 to 86400, default 60).
    pub leeway_seconds: Option<u32>,
    /// The node the token must be bound to.
    pub node_id: Option<String>,
    /// The accepted algorithms among "PS256", "PS384" and "PS512" (default all three).
    pub algorithms: Option<Vec<String>>,
    /// Entitlements the token must grant; quantities compare numerically.
    #[napi(ts_type = "Array<RequiredEntitlement>")]
    pub require_entitlements: Option<Vec<RequiredEntitlementObject>>,
    /// The largest token accepted, in bytes (default 65536).
    pub max_token_bytes: Option<u32>,
}

/// An entitlement a token must grant: `value` is the least quantity or the exact value;
/// without it, presence is enough.
#[allow(dead_code)]
#[napi(object, js_name = "RequiredEntitlement")]
pub struct RequiredEntitlementObject {
    /// The entitlement's name.
    pub name: String,
    /// The least quantity (an integer, or a string compared numerically) or the exact value.
    #[napi(ts_type = "string | number")]
    pub value: Option<String>,
}

/// The options of `new Store`. Every member is optional and an unknown member throws.
#[allow(dead_code)]
#[napi(object, js_name = "StoreOptions")]
pub struct StoreOptionsObject {
    /// The 12-digit account id written into license ARNs (default "000000000000"); it applies
    /// only when the store is created.
    pub account_id: Option<String>,
    /// "NORMAL" (the default: a returned checkout survives the process being killed) or
    /// "FULL" (it also survives a power loss).
    #[napi(ts_type = "'NORMAL' | 'FULL'")]
    pub synchronous: Option<String>,
}

const VERIFY_MEMBERS: [&CStr; 7] = [
    c"profile",
    c"now",
    c"leewaySeconds",
    c"nodeId",
    c"algorithms",
    c"requireEntitlements",
    c"maxTokenBytes",
];
const STORE_MEMBERS: [&CStr; 2] = [c"accountId", c"synchronous"];
const REQUIRED_MEMBERS: [&CStr; 2] = [c"name", c"value"];

/// The members of an options object, read once: `values[i]` is the member `known[i]`, `None`
/// when missing or `undefined`.
struct Members<'env> {
    values: Vec<Option<Unknown<'env>>>,
}

impl<'env> Members<'env> {
    fn get(&self, index: usize) -> Option<Unknown<'env>> {
        self.values[index]
    }
}

/// Reads an optional options argument, `None` when absent or `undefined`, and throws for a
/// member not in `known`.
fn options_members<'env>(
    env: &Env,
    value: Option<Unknown<'env>>,
    argument: &str,
    known: &[&CStr],
) -> napi::Result<Option<Members<'env>>> {
    let Some(value) = value else { return Ok(None) };
    match value.get_type()? {
        ValueType::Undefined => return Ok(None),
        ValueType::Object if !value.is_array()? => {}
        _ => {
            return Err(type_error(
                env,
                format!("{argument} must be an object, not {}", describe(&value)),
            ))
        }
    }

    let object = value.coerce_to_object()?;
    let mut values = Vec::with_capacity(known.len());
    for name in known {
        let member: Unknown = object.get_c_named_property_unchecked(name)?;
        values.push((member.get_type()? != ValueType::Undefined).then_some(member));
    }

    // Counting the names is cheaper than converting each to a Rust string. So the names are
    // read only when the count differs from the members found.
    let present = values.iter().flatten().count() as u32;
    if object.get_property_names()?.get_array_length()? != present {
        reject_unknown(env, &object, argument, known)?;
    }
    Ok(Some(Members { values }))
}

fn reject_unknown(env: &Env, object: &Object<'_>, argument: &str, known: &[&CStr]) -> napi::Result<()> {
    let known: Vec<&str> = known.iter().filter_map(|name| name.to_str().ok()).collect();
    for name in Object::keys(object)? {
        if !known.contains(&name.as_str()) {
            return Err(invalid_argument(
                env,
                format!(
                    "unknown {argument} member {name:?}; known members: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn string(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<String> {
    if value.get_type()? != ValueType::String {
        return Err(type_error(
            env,
            format!("{name} must be a string, not {}", describe(value)),
        ));
    }
    // SAFETY: the value is a string of the current call's environment.
    unsafe { String::from_napi_value(env.raw(), value.raw()) }
}

fn number(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<f64> {
    if value.get_type()? != ValueType::Number {
        return Err(type_error(
            env,
            format!("{name} must be a number, not {}", describe(value)),
        ));
    }
    // SAFETY: the value is a number of the current call's environment.
    unsafe { f64::from_napi_value(env.raw(), value.raw()) }
}

/// Reads a number that must be a whole, non-negative count. The core checks its upper limit.
fn count(env: &Env, value: &Unknown<'_>, name: &str) -> napi::Result<f64> {
    let number = number(env, value, name)?;
    if !number.is_finite() || number < 0.0 || number.fract() != 0.0 {
        return Err(invalid_argument(
            env,
            format!("{name} is {number}; it must be a whole number of at least 0"),
        ));
    }
    Ok(number)
}

fn array<'env>(env: &Env, value: &Unknown<'env>, name: &str) -> napi::Result<Vec<Unknown<'env>>> {
    if !value.is_array()? {
        return Err(type_error(
            env,
            format!("{name} must be an array, not {}", describe(value)),
        ));
    }
    let array = value.coerce_to_object()?;
    let length = array.get_array_length()?;
    (0..length).map(|index| array.get_element(index)).collect()
}

/// Converts the options argument of `verify` into the core's options. Their limits (leeway,
/// size cap, time range, empty allow-list) are the core's to check, when it verifies.
pub(crate) fn verify_options(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<VerifyOptions> {
    let mut options = VerifyOptions::default();
    let Some(members) = options_members(env, value, "verify options", &VERIFY_MEMBERS)? else {
        return Ok(options);
    };

    if let Some(profile) = members.get(0) {
        options.profile = match string(env, &profile, "profile")?.as_str() {
            "license" => Profile::License,
            "jws" => Profile::Jws,
            other => {
                return Err(invalid_argument(
                    env,
                    format!("profile is {other:?}; use \"license\" or \"jws\""),
                ))
            }
        };
    }
    if let Some(now) = members.get(1) {
        options.now = Some(parse_now(env, &now)?);
    }
    if let Some(leeway) = members.get(2) {
        // Saturates above u32::MAX; the core rejects any leeway above its limit.
        options.leeway_seconds = count(env, &leeway, "leewaySeconds")? as u32;
    }
    if let Some(node_id) = members.get(3) {
        options.node_id = Some(string(env, &node_id, "nodeId")?);
    }
    if let Some(algorithms) = members.get(4) {
        let mut parsed = Vec::new();
        for (index, name) in array(env, &algorithms, "algorithms")?.iter().enumerate() {
            let name = string(env, name, &format!("algorithms[{index}]"))?;
            parsed.push(Algorithm::from_name(&name).into_js(env)?);
        }
        options.algorithms = parsed;
    }
    if let Some(required) = members.get(5) {
        options.require_entitlements = parse_required(env, &required)?;
    }
    if let Some(limit) = members.get(6) {
        // Saturates above usize::MAX; the core rejects 0.
        options.max_token_bytes = count(env, &limit, "maxTokenBytes")? as usize;
    }
    Ok(options)
}

/// Converts `now` to whole Unix seconds: a Date, a number of seconds (fractions floored) or
/// a time string as requests accept it. The core checks the range.
fn parse_now(env: &Env, value: &Unknown<'_>) -> napi::Result<i64> {
    let seconds = match value.get_type()? {
        ValueType::String => {
            let text = string(env, value, "now")?;
            return parse_request_time(&text).ok_or_else(|| {
                invalid_argument(
                    env,
                    format!(
                        "now is {text:?}; use YYYY-MM-DDThh:mm:ss in UTC (optionally with Z or ±hh:mm)"
                    ),
                )
            });
        }
        ValueType::Number => number(env, value, "now")?,
        ValueType::Object if value.is_date()? => {
            // SAFETY: the value is a Date of the current call's environment.
            let date = unsafe { JsDate::from_napi_value(env.raw(), value.raw()) }?;
            date.value_of()? / 1000.0
        }
        _ => {
            return Err(type_error(
                env,
                format!(
                    "now must be a Date, a number or a string, not {}",
                    describe(value)
                ),
            ))
        }
    };
    if !seconds.is_finite() {
        return Err(invalid_argument(
            env,
            format!("now is {seconds}; pass a valid time"),
        ));
    }
    // Saturates outside the i64 range; the core rejects anything outside years 0001 to 9999.
    Ok(seconds.floor() as i64)
}

/// Reads `requireEntitlements`: an array of `{ name: string, value?: string | number }`.
fn parse_required(env: &Env, value: &Unknown<'_>) -> napi::Result<Vec<RequiredEntitlement>> {
    let mut required = Vec::new();
    for (index, item) in array(env, value, "requireEntitlements")?.iter().enumerate() {
        let path = format!("requireEntitlements[{index}]");
        let Some(entry) = options_members(env, Some(*item), &path, &REQUIRED_MEMBERS)? else {
            return Err(type_error(
                env,
                format!("{path} must be an object, not undefined"),
            ));
        };
        let name = match entry.get(0) {
            Some(name) => string(env, &name, &format!("{path}.name"))?,
            None => return Err(invalid_argument(env, format!("{path} has no name"))),
        };
        let value = match entry.get(1) {
            None => None,
            Some(value) if value.get_type()? == ValueType::Number => {
                let number = number(env, &value, &format!("{path}.value"))?;
                // 2^53 - 1: the largest integer a JavaScript number holds exactly.
                if number.fract() != 0.0 || number.abs() > 9_007_199_254_740_991.0 {
                    return Err(invalid_argument(
                        env,
                        format!("{path}.value is {number}; pass an integer or a string"),
                    ));
                }
                Some((number as i64).to_string())
            }
            Some(value) => Some(string(env, &value, &format!("{path}.value"))?),
        };
        required.push(RequiredEntitlement { name, value });
    }
    Ok(required)
}

/// Converts the options argument of `new Store` into the core's options.
pub(crate) fn store_options(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<StoreOptions> {
    let mut options = StoreOptions::default();
    let Some(members) = options_members(env, value, "store options", &STORE_MEMBERS)? else {
        return Ok(options);
    };

    if let Some(account_id) = members.get(0) {
        options.account_id = Some(string(env, &account_id, "accountId")?);
    }
    if let Some(synchronous) = members.get(1) {
        options.synchronous = match string(env, &synchronous, "synchronous")?.as_str() {
            "NORMAL" => Synchronous::Normal,
            "FULL" => Synchronous::Full,
            other => {
                return Err(invalid_argument(
                    env,
                    format!("synchronous is {other:?}; use \"NORMAL\" or \"FULL\""),
                ))
            }
        };
    }
    Ok(options)
}
