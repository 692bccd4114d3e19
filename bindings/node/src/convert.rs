//! Conversions from JavaScript arguments to the bytes the core reads.

use napi::bindgen_prelude::{
    FromNapiValue, Function, JsObjectValue, Object, Uint8ArraySlice, Unknown,
};
use napi::{Env, JsValue, ValueType};

use crate::errors::type_error;

/// Names a JavaScript value's type for error messages, as `typeof` does, with `null`, arrays
/// and typed arrays told apart.
pub(crate) fn describe(value: &Unknown<'_>) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "boolean",
        Ok(ValueType::Number) => "number",
        Ok(ValueType::String) => "string",
        Ok(ValueType::Symbol) => "symbol",
        Ok(ValueType::BigInt) => "bigint",
        Ok(ValueType::Function) => "function",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "array",
        Ok(ValueType::Object) if value.is_typedarray().unwrap_or(false) => "typed array",
        _ => "object",
    }
}

/// Copies a `Uint8Array` (a `Buffer` is one) or the UTF-8 of a string, or returns `None` for
/// any other value. The copy lets the caller reuse its buffer while a task runs.
fn try_bytes(value: &Unknown<'_>) -> napi::Result<Option<Vec<u8>>> {
    match value.get_type()? {
        ValueType::String => {
            // SAFETY: the value is a string of the current call's environment.
            let text = unsafe { String::from_napi_value(value.value().env, value.raw()) }?;
            Ok(Some(text.into_bytes()))
        }
        ValueType::Object if value.is_typedarray()? => {
            // SAFETY: the value is a typed array of the current call's environment; the
            // conversion checks that its element type is Uint8.
            match unsafe { Uint8ArraySlice::from_napi_value(value.value().env, value.raw()) } {
                Ok(slice) => Ok(Some(slice.as_ref().to_vec())),
                Err(_) => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// Reads an argument given as a string or `Uint8Array`.
pub(crate) fn bytes_or_text(
    env: &Env,
    value: &Unknown<'_>,
    argument: &str,
) -> napi::Result<Vec<u8>> {
    match try_bytes(value)? {
        Some(bytes) => Ok(bytes),
        None => Err(type_error(
            env,
            format!(
                "{argument} must be a string or Uint8Array, not {}",
                describe(value)
            ),
        )),
    }
}

/// Reads a JSON document given as an object or array (serialized with `JSON.stringify`, so
/// `toJSON` methods and Dates behave as in JavaScript) or as JSON text in a string or
/// `Uint8Array`, which the core parses.
pub(crate) fn json_document(
    env: &Env,
    value: &Unknown<'_>,
    argument: &str,
) -> napi::Result<Vec<u8>> {
    if let Some(bytes) = try_bytes(value)? {
        return Ok(bytes);
    }
    if value.get_type()? != ValueType::Object {
        return Err(type_error(
            env,
            format!(
                "{argument} must be an object, a JSON string or a Uint8Array, not {}",
                describe(value)
            ),
        ));
    }

    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let stringify: Function<Unknown, Unknown> = json.get_named_property("stringify")?;
    // JSON.stringify throws its own TypeError for a cycle or a BigInt, which propagates.
    let text = stringify.apply(json, *value)?;
    if text.get_type()? != ValueType::String {
        return Err(type_error(
            env,
            format!("{argument} has no JSON form; pass a plain object or array"),
        ));
    }
    // SAFETY: `text` is a string of the current call's environment.
    let text = unsafe { String::from_napi_value(env.raw(), text.raw()) }?;
    Ok(text.into_bytes())
}
