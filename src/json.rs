//! Strict JSON for untrusted input: UTF-8, no duplicate object members, and helpers that
//! read typed members with messages naming the member at fault.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON value, rejecting invalid UTF-8, trailing data and objects
/// with a member name given twice (RFC 8259 §4 leaves those to the parser; a JWS
/// verifier must reject them, RFC 7515 §5.2).
///
/// The error string describes the problem without quoting the input.
pub fn parse_strict(bytes: &[u8]) -> std::result::Result<Value, String> {
    let text = utf8(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = StrictValue
        .deserialize(&mut deserializer)
        .map_err(describe)?;
    deserializer.end().map_err(describe)?;
    Ok(value)
}

/// Returns `bytes` as text, or the offset of the first byte that is not UTF-8.
pub(crate) fn utf8(bytes: &[u8]) -> std::result::Result<&str, String> {
    std::str::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 (invalid byte at offset {})", e.valid_up_to()))
}

/// Describes a parser error as [`parse_strict`] does.
pub(crate) fn describe(error: serde_json::Error) -> String {
    format!("not valid JSON: {error}")
}

/// Serializes `value` with object members sorted by name at every level, so that equal
/// documents give equal bytes.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            out.push(b'{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(name.clone()).to_string().as_bytes());
                out.push(b':');
                write_canonical(&map[name], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// A value parsed with [`parse_strict`]'s rules.
pub(crate) struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let value = access.next_value_seed(StrictValue)?;
            match map.entry(name) {
                serde_json::map::Entry::Occupied(existing) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate member {:?}",
                        existing.key()
                    )));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// The longest string a request member may be, in characters (the common limit of AWS
/// License Manager's string members).
pub(crate) const MAX_STRING_CHARS: usize = 2048;

/// Reads typed members out of a JSON object and reports the first problem with its path,
/// such as `Entitlements[1].MaxCount`.
pub(crate) struct Members<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

/// A problem found while reading a request: the path of the member and what is wrong.
#[derive(Debug)]
pub(crate) struct SchemaError(pub String);

pub(crate) type SchemaResult<T> = std::result::Result<T, SchemaError>;

impl<'a> Members<'a> {
    /// Wraps `value`, which must be an object; `path` names it in messages.
    pub(crate) fn of(value: &'a Value, path: &str) -> SchemaResult<Members<'a>> {
        match value {
            Value::Object(map) => Ok(Members {
                path: path.to_owned(),
                map,
            }),
            other => Err(SchemaError(format!(
                "{} must be a JSON object, found {}",
                display_path(path),
                type_name(other)
            ))),
        }
    }

    /// Returns the path of member `name`.
    pub(crate) fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Rejects any member outside `known`.
    pub(crate) fn only(&self, known: &[&str]) -> SchemaResult<()> {
        match self.map.keys().find(|name| !known.contains(&name.as_str())) {
            Some(name) => Err(SchemaError(format!(
                "unknown member {}; expected one of: {}",
                self.path_of(name),
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Returns member `name`, treating an explicit `null` as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    fn missing(&self, name: &str) -> SchemaError {
        SchemaError(format!("missing required member {}", self.path_of(name)))
    }

    fn mistyped(&self, name: &str, expected: &str, found: &Value) -> SchemaError {
        SchemaError(format!(
            "member {} must be {expected}, found {}",
            self.path_of(name),
            type_name(found)
        ))
    }

    /// Returns the string member `name`, if present; strings longer than
    /// [`MAX_STRING_CHARS`] are rejected, so no message ever repeats a huge value.
    pub(crate) fn opt_str(&self, name: &str) -> SchemaResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() > MAX_STRING_CHARS => {
                Err(SchemaError(format!(
                    "member {} is {} characters long; the limit is {MAX_STRING_CHARS}",
                    self.path_of(name),
                    s.chars().count()
                )))
            }
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.mistyped(name, "a string", other)),
        }
    }

    /// Returns the required, non-empty string member `name`.
    pub(crate) fn str(&self, name: &str) -> SchemaResult<&'a str> {
        match self.opt_str(name)? {
            None => Err(self.missing(name)),
            Some("") => Err(SchemaError(format!(
                "member {} must not be empty",
                self.path_of(name)
            ))),
            Some(s) => Ok(s),
        }
    }

    /// Returns the boolean member `name`, if present.
    pub(crate) fn opt_bool(&self, name: &str) -> SchemaResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.mistyped(name, "true or false", other)),
        }
    }

    /// Returns the integer member `name` within `min..=max`, if present.
    pub(crate) fn opt_int(&self, name: &str, min: i64, max: i64) -> SchemaResult<Option<i64>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Some(n) => Err(SchemaError(format!(
                "member {} is {n}; it must be between {min} and {max}",
                self.path_of(name)
            ))),
            None => Err(self.mistyped(name, "an integer", value)),
        }
    }

    /// Returns the required integer member `name` within `min..=max`.
    pub(crate) fn int(&self, name: &str, min: i64, max: i64) -> SchemaResult<i64> {
        self.opt_int(name, min, max)?
            .ok_or_else(|| self.missing(name))
    }

    /// Returns the object member `name`, if present.
    pub(crate) fn opt_object(&self, name: &str) -> SchemaResult<Option<Members<'a>>> {
        self.get(name)
            .map(|value| Members::of(value, &self.path_of(name)))
            .transpose()
    }

    /// Returns the required object member `name`.
    pub(crate) fn object(&self, name: &str) -> SchemaResult<Members<'a>> {
        self.opt_object(name)?.ok_or_else(|| self.missing(name))
    }

    /// Returns the array member `name`, if present.
    pub(crate) fn opt_array(&self, name: &str) -> SchemaResult<Option<&'a Vec<Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.mistyped(name, "an array", other)),
        }
    }

    /// Returns the required array member `name`.
    pub(crate) fn array(&self, name: &str) -> SchemaResult<&'a Vec<Value>> {
        self.opt_array(name)?.ok_or_else(|| self.missing(name))
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "the request"
    } else {
        path
    }
}

/// Returns the JSON type name of `value` for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_strict_rejects_duplicate_members() {
        let error = parse_strict(br#"{"a":1,"b":{"c":1,"c":2}}"#).unwrap_err();
        assert!(error.contains("duplicate member \"c\""), "{error}");
    }

    #[test]
    fn parse_strict_rejects_bad_utf8_and_trailing_data() {
        assert!(parse_strict(b"\"\xff\"").unwrap_err().contains("not UTF-8"));
        assert!(parse_strict(b"{} {}").unwrap_err().contains("trailing"));
        assert!(parse_strict(br#""\ud800""#).is_err());
    }

    #[test]
    fn canonical_bytes_sorts_members() {
        let value = parse_strict(br#"{"b":[{"y":1,"x":"\u00e9"}],"a":true}"#).unwrap();
        assert_eq!(
            canonical_bytes(&value),
            r#"{"a":true,"b":[{"x":"é","y":1}]}"#.as_bytes()
        );
    }

    #[test]
    fn members_report_paths() {
        let value = parse_strict(br#"{"Validity":{"Begin":5}}"#).unwrap();
        let top = Members::of(&value, "").unwrap();
        let validity = top.object("Validity").unwrap();
        let error = validity.str("Begin").unwrap_err();
        assert_eq!(
            error.0,
            "member Validity.Begin must be a string, found a number"
        );
        assert_eq!(
            top.str("LicenseName").unwrap_err().0,
            "missing required member LicenseName"
        );
    }
}
