//! Conversions between Python values and the bytes and JSON values of the core.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

use crate::errors::invalid_argument;

/// Copies bytes-like input (`bytes`, `bytearray`, `memoryview` or any buffer) or the UTF-8
/// of a `str`. The copy lets the caller mutate its buffer while the GIL is released.
pub(crate) fn bytes_or_text(value: &Bound<'_, PyAny>, argument: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(array) = value.cast::<PyByteArray>() {
        return Ok(array.to_vec());
    }

    // The limited API of Python 3.9 has no buffer protocol, so other buffers go through
    // memoryview, which raises TypeError for objects without one.
    let py = value.py();
    let memoryview = py.import("builtins")?.getattr("memoryview")?;
    match memoryview.call1((value,)) {
        Ok(view) => Ok(view
            .call_method0("tobytes")?
            .cast_into::<PyBytes>()?
            .as_bytes()
            .to_vec()),
        Err(error) if error.is_instance_of::<PyTypeError>(py) => {
            Err(PyTypeError::new_err(format!(
                "{argument} must be bytes-like or str, not {}",
                value.get_type().name()?
            )))
        }
        Err(error) => Err(error),
    }
}

/// Copies bytes-like input only. A `str` raises TypeError, because binary data such as a
/// signature has no text form to guess.
pub(crate) fn bytes_like(value: &Bound<'_, PyAny>, argument: &str) -> PyResult<Vec<u8>> {
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{argument} must be bytes-like, not str; encode it first"
        )));
    }
    bytes_or_text(value, argument).map_err(|error| {
        if error.is_instance_of::<PyTypeError>(value.py()) {
            PyTypeError::new_err(format!(
                "{argument} must be bytes-like, not {}",
                value
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        } else {
            error
        }
    })
}

/// Serializes a JSON document given as a dict or list, or passes JSON text (`str` or
/// bytes-like) through unchanged for the core to parse.
pub(crate) fn json_document(value: &Bound<'_, PyAny>, argument: &str) -> PyResult<Vec<u8>> {
    if value.is_instance_of::<PyDict>() || value.is_instance_of::<PyList>() {
        return dump_json(value);
    }
    if value.hasattr("keys")? && value.hasattr("__getitem__")? {
        let py = value.py();
        let as_dict = py.import("builtins")?.getattr("dict")?.call1((value,))?;
        return dump_json(&as_dict);
    }
    bytes_or_text(value, argument).map_err(|error| {
        if error.is_instance_of::<PyTypeError>(value.py()) {
            PyTypeError::new_err(format!(
                "{argument} must be a dict, str or bytes-like, not {}",
                value
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        } else {
            error
        }
    })
}

/// Serializes with `json.dumps`, compact and without NaN or Infinity, which JSON lacks.
fn dump_json(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let py = value.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("ensure_ascii", false)?;
    kwargs.set_item("allow_nan", false)?;
    let dumps = py.import("json")?.getattr("dumps")?;
    match dumps.call((value,), Some(&kwargs)) {
        Ok(text) => Ok(text.cast_into::<PyString>()?.to_cow()?.as_bytes().to_vec()),
        // NaN and infinite floats raise ValueError; they are invalid input, not a bug.
        Err(error) if error.is_instance_of::<PyValueError>(py) => Err(invalid_argument(format!(
            "JSON document is invalid: {error}"
        ))),
        Err(error) => Err(error),
    }
}

/// Converts a JSON value into `dict`, `list`, `str`, `int`, `float`, `bool` or `None`.
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                integer.into_bound_py_any(py)
            } else if let Some(integer) = number.as_u64() {
                integer.into_bound_py_any(py)
            } else {
                number.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(members) => Ok(json_object_to_py(py, members)?.into_any()),
    }
}

/// Converts a JSON object into a `dict`, keeping the member order.
pub(crate) fn json_object_to_py<'py>(
    py: Python<'py>,
    members: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, member) in members {
        dict.set_item(name, json_to_py(py, member)?)?;
    }
    Ok(dict)
}

/// Parses JSON text that the core has already parsed strictly and checked, such as a verified
/// payload, with the standard library's `json.loads`. Its C parser builds the objects faster
/// than converting a parsed tree member by member, and gives integers their exact value.
pub(crate) fn json_loads_object<'py>(text: &Bound<'py, PyBytes>) -> PyResult<Bound<'py, PyDict>> {
    let py = text.py();
    let loads = py
        .import(pyo3::intern!(py, "json"))?
        .getattr(pyo3::intern!(py, "loads"))?;
    Ok(loads.call1((text,))?.cast_into::<PyDict>()?)
}
