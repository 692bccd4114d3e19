//! One pass over a license-profile payload: the members the claims checks read, borrowed
//! from the payload text where JSON escapes allow, and every other member validated with
//! [`parse_strict`](crate::json::parse_strict)'s rules without building it.
//!
//! A payload of about 500 bytes used to become a tree of dozens of allocations that the
//! checks then copied from. Reading typed members in place keeps verification close to the cost of
//! RSA alone, and the rules stay those of the strict parser: UTF-8, no trailing data, and no
//! member name twice in any object at any depth.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::json::{describe, utf8, StrictValue};

/// A member's value, as far as the checks need it.
pub(super) enum Scalar<'a> {
    Text(Cow<'a, str>),
    /// An integer that fits in an `i64`.
    Integer(i64),
    /// Any other value, already validated.
    Other,
}

/// One item of `entitlementsAllowed`.
pub(super) enum Item<'a> {
    Object {
        name: Option<Scalar<'a>>,
        unit: Option<Scalar<'a>>,
        value: Option<Scalar<'a>>,
    },
    NotObject,
}

/// The `entitlementsAllowed` member.
pub(super) enum Entitlements<'a> {
    Array(Vec<Item<'a>>),
    NotArray,
}

/// The payload members the claims checks read; `None` where a member is absent.
#[derive(Default)]
pub(super) struct Members<'a> {
    pub(super) issued_at: Option<Scalar<'a>>,
    pub(super) expiration: Option<Scalar<'a>>,
    pub(super) license_arn: Option<Scalar<'a>>,
    pub(super) license_consumption_token: Option<Scalar<'a>>,
    pub(super) node_id: Option<Scalar<'a>>,
    pub(super) iat: Option<Scalar<'a>>,
    pub(super) exp: Option<Scalar<'a>>,
    pub(super) entitlements: Option<Entitlements<'a>>,
    pub(super) checkout_metadata: Option<Value>,
}

/// Reads `payload`. Returns `Ok(None)` for valid JSON that is not an object, and the strict
/// parser's description for anything else it rejects.
pub(super) fn read(payload: &[u8]) -> Result<Option<Members<'_>>, String> {
    let text = utf8(payload)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = deserializer
        .deserialize_any(TopLevel)
        .map_err(describe)?;
    deserializer.end().map_err(describe)?;
    Ok(members)
}

/// Stores `value` in an empty `slot`; returns `false` when the slot was taken already.
fn store<T>(slot: &mut Option<T>, value: T) -> bool {
    if slot.is_some() {
        return false;
    }
    *slot = Some(value);
    true
}

fn duplicate<E: de::Error>(name: &str) -> E {
    E::custom(format_args!("duplicate member {name:?}"))
}

/// Remembers the member names of one object that no typed slot records.
#[derive(Default)]
struct OtherNames<'a>(Vec<Cow<'a, str>>);

impl<'a> OtherNames<'a> {
    fn insert(&mut self, name: Cow<'a, str>) -> bool {
        if self.0.contains(&name) {
            return false;
        }
        self.0.push(name);
        true
    }
}

struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Option<Members<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut members = Members::default();
        let mut others = OtherNames::default();
        while let Some(name) = access.next_key_seed(Name)? {
            let stored = match name.as_ref() {
                "issuedAt" => store(&mut members.issued_at, access.next_value_seed(ScalarSeed)?),
                "expiration" => store(&mut members.expiration, access.next_value_seed(ScalarSeed)?),
                "licenseArn" => store(&mut members.license_arn, access.next_value_seed(ScalarSeed)?),
                "licenseConsumptionToken" => store(
                    &mut members.license_consumption_token,
                    access.next_value_seed(ScalarSeed)?,
                ),
                "nodeId" => store(&mut members.node_id, access.next_value_seed(ScalarSeed)?),
                "iat" => store(&mut members.iat, access.next_value_seed(ScalarSeed)?),
                "exp" => store(&mut members.exp, access.next_value_seed(ScalarSeed)?),
                "entitlementsAllowed" => store(
                    &mut members.entitlements,
                    access.next_value_seed(EntitlementsSeed)?,
                ),
                "checkoutMetadata" => store(
                    &mut members.checkout_metadata,
                    access.next_value_seed(StrictValue)?,
                ),
                _ => {
                    access.next_value_seed(Skip)?;
                    others.insert(name.clone())
                }
            };
            if !stored {
                return Err(duplicate(&name));
            }
        }
        Ok(Some(members))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A member name, borrowed unless it contains escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Integer))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        Skip.visit_map(access).map(|()| Scalar::Other)
    }
}

struct EntitlementsSeed;

impl<'de> DeserializeSeed<'de> for EntitlementsSeed {
    type Value = Entitlements<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntitlementsSeed {
    type Value = Entitlements<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            items.push(item);
        }
        Ok(Entitlements::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        Skip.visit_map(access).map(|()| Entitlements::NotArray)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Entitlements::NotArray)
    }
}

struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let (mut name, mut unit, mut value) = (None, None, None);
        let mut others = OtherNames::default();
        while let Some(member) = access.next_key_seed(Name)? {
            let stored = match member.as_ref() {
                "name" => store(&mut name, access.next_value_seed(ScalarSeed)?),
                "unit" => store(&mut unit, access.next_value_seed(ScalarSeed)?),
                "value" => store(&mut value, access.next_value_seed(ScalarSeed)?),
                _ => {
                    access.next_value_seed(Skip)?;
                    others.insert(member.clone())
                }
            };
            if !stored {
                return Err(duplicate(&member));
            }
        }
        Ok(Item::Object { name, unit, value })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| Item::NotObject)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Item::NotObject)
    }
}

/// Validates a value of any type without keeping it.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let mut names = OtherNames::default();
        while let Some(name) = access.next_key_seed(Name)? {
            access.next_value_seed(Skip)?;
            if !names.insert(name.clone()) {
                return Err(duplicate(&name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{read, Entitlements, Item, Scalar};

    fn rejection(payload: &str) -> String {
        match read(payload.as_bytes()) {
            Err(error) => error,
            Ok(_) => panic!("{payload} was accepted"),
        }
    }

    #[test]
    fn duplicates_rejected_at_any_depth() {
        let cases = [
            (r#"{"iat":1,"iat":1}"#, "duplicate member \"iat\""),
            (r#"{"issuedAt":"a","issued\u0041t":"b"}"#, "duplicate member \"issuedAt\""),
            (r#"{"vendor":{"a":1,"a":2}}"#, "duplicate member \"a\""),
            (r#"{"vendor":[{"k":1,"k":1}]}"#, "duplicate member \"k\""),
            (r#"{"entitlementsAllowed":[{"name":"a","name":"b"}]}"#, "duplicate member \"name\""),
            (r#"{"entitlementsAllowed":[{"x":1,"x":1}]}"#, "duplicate member \"x\""),
            (r#"{"licenseArn":{"a":1,"a":1}}"#, "duplicate member \"a\""),
            (r#"[{"a":1,"a":2}]"#, "duplicate member \"a\""),
        ];
        for (payload, expected) in cases {
            let error = rejection(payload);
            assert!(error.contains(expected), "{payload}: {error}");
        }
    }

    #[test]
    fn invalid_json_described_like_parse_strict() {
        assert!(rejection("{} x").starts_with("not valid JSON: trailing characters"));
        assert_eq!(
            read(b"{\"a\":\"\xff\"}").err().as_deref(),
            Some("not UTF-8 (invalid byte at offset 6)")
        );
    }

    #[test]
    fn non_object_payload_reads_as_none() {
        for payload in ["[1, 2]", "\"text\"", "12", "null", "true"] {
            assert!(read(payload.as_bytes()).unwrap().is_none(), "{payload}");
        }
    }

    #[test]
    fn members_read_typed_and_borrowed() {
        let payload = br#"{"licenseArn":"arn","nodeId":"n\u0031","iat":9223372036854775808,
            "exp":5,"entitlementsAllowed":[{"name":"Seats","unit":"Count","value":"2"},7]}"#;
        let members = read(payload).unwrap().unwrap();

        assert!(matches!(&members.license_arn, Some(Scalar::Text(t)) if t == "arn"));
        assert!(matches!(&members.node_id, Some(Scalar::Text(t)) if t == "n1"));
        assert!(matches!(members.iat, Some(Scalar::Other)));
        assert!(matches!(members.exp, Some(Scalar::Integer(5))));
        assert!(members.issued_at.is_none());
        let Some(Entitlements::Array(items)) = &members.entitlements else {
            panic!("entitlementsAllowed is an array");
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], Item::Object { value: Some(Scalar::Text(v)), .. } if v == "2"));
        assert!(matches!(items[1], Item::NotObject));
    }
}
