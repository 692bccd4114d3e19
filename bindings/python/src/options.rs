//! Verify options from Python keyword arguments, built as the core's `VerifyOptions` fields.
//!
//! Only types are checked here: a value that does not fit its field raises here, and
//! `Verifier::verify` applies the limits themselves through `VerifyOptions::validate`.

use checkout::timefmt::parse_request_time;
use checkout::verify::{RequiredEntitlement, MAX_LEEWAY_SECONDS};
use checkout::{Algorithm, Profile, VerifyOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::errors::{invalid_argument, IntoPyResult};

/// The keyword arguments of `Verifier.verify`, as Python passed them.
pub(crate) struct VerifyArguments<'a, 'py> {
    pub(crate) profile: &'a str,
    pub(crate) now: Option<&'a Bound<'py, PyAny>>,
    pub(crate) leeway_seconds: &'a Bound<'py, PyAny>,
    pub(crate) node_id: Option<String>,
    pub(crate) algorithms: Option<Vec<String>>,
    pub(crate) require_entitlements: Option<&'a Bound<'py, PyAny>>,
    pub(crate) max_token_bytes: Option<&'a Bound<'py, PyAny>>,
}

impl VerifyArguments<'_, '_> {
    /// Checks each argument and builds the core's options.
    pub(crate) fn to_options(&self) -> PyResult<VerifyOptions> {
        let mut options = VerifyOptions {
            profile: parse_profile(self.profile)?,
            node_id: self.node_id.clone(),
            ..VerifyOptions::default()
        };

        if let Some(now) = self.now {
            options.now = Some(parse_now(now)?);
        }

        // A leeway that does not fit the u32 field is outside the core's range anyway, so the
        // message states that range.
        let leeway = integer(self.leeway_seconds, "leeway_seconds")?;
        options.leeway_seconds = u32::try_from(leeway).map_err(|_| {
            invalid_argument(format!(
                "leeway_seconds is {leeway}; it must be from 0 to {MAX_LEEWAY_SECONDS}"
            ))
        })?;

        if let Some(names) = &self.algorithms {
            options.algorithms = names
                .iter()
                .map(|name| Algorithm::from_name(name))
                .collect::<checkout::Result<_>>()
                .into_py_result()?;
        }

        if let Some(required) = self.require_entitlements {
            options.require_entitlements = parse_required(required)?;
        }

        if let Some(limit) = self.max_token_bytes {
            let limit = integer(limit, "max_token_bytes")?;
            options.max_token_bytes = usize::try_from(limit).map_err(|_| {
                invalid_argument(format!(
                    "max_token_bytes is {limit}; it must be a positive number of bytes"
                ))
            })?;
        }
        Ok(options)
    }
}

fn parse_profile(profile: &str) -> PyResult<Profile> {
    match profile {
        "license" => Ok(Profile::License),
        "jws" => Ok(Profile::Jws),
        other => Err(invalid_argument(format!(
            "profile is {other:?}; use \"license\" or \"jws\""
        ))),
    }
}

/// Reads a Python `int` (not a `bool`) as i128, so that out-of-range values get a range
/// message instead of OverflowError.
fn integer(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i128> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            value.get_type().name()?
        )));
    }
    match value.extract::<i128>() {
        Ok(number) => Ok(number),
        Err(_) => Err(invalid_argument(format!("{name} is out of range: {value}"))),
    }
}

/// Converts `now` to whole Unix seconds: an aware `datetime`, a naive one read as UTC, an
/// `int` or `float` of Unix seconds, or a time string as requests accept it. Fractions of a
/// second are floored.
fn parse_now(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = value.py();
    let datetime = py.import("datetime")?;
    let seconds: i128 = if value.is_instance(&datetime.getattr("datetime")?)? {
        // Exact floor division of timedeltas, so no float rounding moves a second.
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let aware = if value.call_method0("utcoffset")?.is_none() {
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("tzinfo", &utc)?;
            value.call_method("replace", (), Some(&kwargs))?
        } else {
            value.clone()
        };
        let epoch = datetime
            .getattr("datetime")?
            .call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        let one_second = datetime.getattr("timedelta")?.call1((0, 1))?;
        aware.sub(epoch)?.floor_div(one_second)?.extract()?
    } else if value.is_instance_of::<PyString>() {
        let text: String = value.extract()?;
        return parse_request_time(&text).ok_or_else(|| {
            invalid_argument(format!(
                "now is {text:?}; use YYYY-MM-DDThh:mm:ss in UTC (optionally with Z or ±hh:mm)"
            ))
        });
    } else if value.is_instance_of::<PyFloat>() {
        let float: f64 = value.extract()?;
        if !float.is_finite() {
            return Err(invalid_argument(format!(
                "now is {float}; it must be a finite number of Unix seconds"
            )));
        }
        // The cast saturates, and a saturated value fails the i64 conversion below.
        float.floor() as i128
    } else if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        integer(value, "now")?
    } else {
        return Err(PyTypeError::new_err(format!(
            "now must be a datetime, int, float or str, not {}",
            value.get_type().name()?
        )));
    };

    // Only the i64 field is checked here. The core rejects a time outside years 0001 to 9999.
    i64::try_from(seconds).map_err(|_| {
        invalid_argument(format!(
            "now is {seconds} Unix seconds, outside years 0001 to 9999"
        ))
    })
}

/// Reads `require_entitlements`: a sequence of `{"name": str, "value": str | int}` dicts,
/// `value` optional (presence only).
fn parse_required(value: &Bound<'_, PyAny>) -> PyResult<Vec<RequiredEntitlement>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<pyo3::types::PyDict>() {
        return Err(PyTypeError::new_err(
            "require_entitlements must be a list of {\"name\": ..., \"value\": ...} dicts",
        ));
    }
    let mut required = Vec::new();
    for (index, item) in value.try_iter()?.enumerate() {
        let item = item?;
        let Ok(members) = item.cast::<pyo3::types::PyDict>() else {
            return Err(PyTypeError::new_err(format!(
                "require_entitlements[{index}] must be a dict, not {}",
                item.get_type().name()?
            )));
        };
        for key in members.keys() {
            let known = key
                .extract::<String>()
                .is_ok_and(|k| k == "name" || k == "value");
            if !known {
                return Err(invalid_argument(format!(
                    "require_entitlements[{index}] has unknown key {key}; use \"name\" and \"value\""
                )));
            }
        }
        let name = match members.get_item("name")? {
            Some(name) => name.extract::<String>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "require_entitlements[{index}][\"name\"] must be a str"
                ))
            })?,
            None => {
                return Err(invalid_argument(format!(
                    "require_entitlements[{index}] has no \"name\""
                )))
            }
        };
        let value = match members.get_item("value")? {
            None => None,
            Some(v) if v.is_none() => None,
            Some(v) if v.is_instance_of::<PyString>() => Some(v.extract::<String>()?),
            Some(v) if v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>() => {
                Some(v.str()?.to_string())
            }
            Some(v) => {
                return Err(PyTypeError::new_err(format!(
                    "require_entitlements[{index}][\"value\"] must be a str or int, not {}",
                    v.get_type().name()?
                )))
            }
        };
        required.push(RequiredEntitlement { name, value });
    }
    Ok(required)
}
