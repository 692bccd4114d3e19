//! JWK and JWKS (RFC 7517) public keys, and the key selection of a verifier.

use serde_json::{Map, Value};

use super::{invalid, PublicKey};
use crate::alg::Algorithm;
use crate::b64;
use crate::error::{ErrorKind, Result};
use crate::json::parse_strict;

/// Members that only private JWKs carry (RFC 7518 §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// One key of a set, with the id it answers to and the algorithm its JWK restricts it to.
#[derive(Clone, Debug)]
struct Entry {
    id: String,
    algorithm: Option<Algorithm>,
    key: PublicKey,
}

/// The public keys a verifier trusts.
///
/// A key loaded from one PEM or DER ignores the token's `kid`, so tokens from other issuers,
/// AWS among them, verify. In a JWKS, a key is selected by its `kid` member, or by its
/// thumbprint when it has none, and a JWK `alg` member restricts the key to that algorithm.
#[derive(Clone, Debug)]
pub struct PublicKeySet {
    entries: Vec<Entry>,
    match_kid: bool,
}

impl PublicKeySet {
    /// Trusts one key, whatever `kid` a token names.
    pub fn single(key: PublicKey) -> PublicKeySet {
        let id = key.thumbprint().to_owned();
        PublicKeySet {
            entries: vec![Entry {
                id,
                algorithm: None,
                key,
            }],
            match_kid: false,
        }
    }

    /// Loads a JWKS (`{"keys": [...]}`) or a single JWK object as a set of one.
    ///
    /// Input that is not UTF-8 JSON is [`ErrorKind::InvalidArgument`].
    /// Input that is not UTF-8 JSON is [`ErrorKind::InvalidArgument`](crate::ErrorKind).
    /// Keys that are not RSA, whose `use` is present and is not `sig`, or whose `alg` is not
    /// a PS algorithm are skipped. The load fails whole on a key outside the policy, a
    /// private key, a duplicate id, or when no key remains.
    pub fn from_jwks(input: &[u8]) -> Result<PublicKeySet> {
        let document = parse_strict(input).map_err(|e| {
            crate::error::err(ErrorKind::InvalidArgument, format!("JWKS is invalid: {e}"))
        })?;
        let Value::Object(top) = &document else {
            return Err(invalid(
                "JWKS must be a JSON object with a \"keys\" array, or one JWK object",
            ));
        };
        let jwks: Vec<&Value> = match top.get("keys") {
            Some(Value::Array(keys)) => keys.iter().collect(),
            Some(_) => return Err(invalid("JWKS member \"keys\" must be an array")),
            None if top.contains_key("kty") => vec![&document],
            None => {
                return Err(invalid(
                    "JWKS has no \"keys\" array and is not a JWK (no \"kty\")",
                ))
            }
        };

        let mut entries: Vec<Entry> = Vec::new();
        for (index, jwk) in jwks.into_iter().enumerate() {
            let Value::Object(members) = jwk else {
                return Err(invalid(format!("JWKS keys[{index}] is not a JSON object")));
            };
            let Some(entry) = parse_entry(members, index)? else {
                continue;
            };
            if entries.iter().any(|other| other.id == entry.id) {
                return Err(invalid(format!(
                    "JWKS has two keys with kid {:?}",
                    entry.id
                )));
            }
            entries.push(entry);
        }
        if entries.is_empty() {
            return Err(invalid(
                "JWKS holds no RSA signature key for PS256, PS384 or PS512",
            ));
        }
        Ok(PublicKeySet {
            entries,
            match_kid: true,
        })
    }

    /// Returns the keys that may verify a token with `algorithm` and `kid`: the key whose id
    /// is `kid`, or every key when the token has no `kid` or the set ignores it.
    pub fn candidates<'a>(
        &'a self,
        algorithm: Algorithm,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a PublicKey> + 'a {
        self.entries
            .iter()
            .filter(move |entry| !self.match_kid || kid.is_none() || Some(entry.id.as_str()) == kid)
            .filter(move |entry| entry.algorithm.is_none_or(|only| only == algorithm))
            .map(|entry| &entry.key)
    }

    /// Returns true when a `kid` selects keys in this set (a JWKS), false for a single key.
    pub fn matches_kid(&self) -> bool {
        self.match_kid
    }

    /// Returns the number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns true when the set contains no key, which loading never produces.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the set as a JWKS of public JWKs, each with its thumbprint as `kid` and no
    /// `alg`: a `kid` or `alg` the loaded JWKS gave a key is not kept, so publish the JWKS a
    /// vendor wrote rather than this output when those members matter.
    pub fn to_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .entries
            .iter()
            .map(|entry| entry.key.to_jwk())
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Parses one JWK; returns `None` for keys a PS verifier skips.
fn parse_entry(members: &Map<String, Value>, index: usize) -> Result<Option<Entry>> {
    let text = |name: &str| -> Result<Option<&str>> {
        match members.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(invalid(format!(
                "JWKS keys[{index}].{name} must be a string"
            ))),
        }
    };

    if text("kty")? != Some("RSA") {
        return Ok(None);
    }
    if text("use")?.is_some_and(|usage| usage != "sig") {
        return Ok(None);
    }
    let algorithm = match text("alg")? {
        None => None,
        Some(name) => match Algorithm::from_name(name) {
            Ok(algorithm) => Some(algorithm),
            Err(_) => return Ok(None),
        },
    };
    if let Some(name) = PRIVATE_MEMBERS
        .iter()
        .find(|name| members.contains_key(**name))
    {
        return Err(invalid(format!(
            "JWKS keys[{index}] has private member {name:?}; pass the public key"
        )));
    }

    let n = decode_integer(text("n")?, "n", index)?;
    let e = decode_integer(text("e")?, "e", index)?;
    let key = PublicKey::from_parts(n, e, None)
        .map_err(|error| invalid(format!("JWKS keys[{index}]: {}", error.message())))?;
    let id = match text("kid")? {
        Some(kid) => kid.to_owned(),
        None => key.thumbprint().to_owned(),
    };
    Ok(Some(Entry { id, algorithm, key }))
}

/// Decodes a JWK integer: strict base64url, big-endian, without a leading zero octet
/// (RFC 7518 §6.3.1.1).
fn decode_integer(text: Option<&str>, name: &str, index: usize) -> Result<Vec<u8>> {
    let text = text.ok_or_else(|| invalid(format!("JWKS keys[{index}] has no {name:?}")))?;
    let bytes = b64::decode(text.as_bytes()).ok_or_else(|| {
        invalid(format!(
            "JWKS keys[{index}].{name} is not unpadded base64url"
        ))
    })?;
    if bytes.first().is_none_or(|&b| b == 0) {
        return Err(invalid(format!(
            "JWKS keys[{index}].{name} is empty or has a leading zero octet"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PrivateKey;
    use crate::ErrorKind;

    fn jwk_with(key: &PublicKey, extra: &[(&str, Value)]) -> Value {
        let mut jwk = key.to_jwk();
        for (name, value) in extra {
            jwk[*name] = value.clone();
        }
        jwk
    }

    #[test]
    fn jwks_skips_foreign_keys_and_selects_by_kid() {
        let first = PrivateKey::generate(2048).unwrap();
        let second = PrivateKey::generate(2048).unwrap();
        let jwks = serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            jwk_with(first.public_key(), &[("use", "enc".into())]),
            jwk_with(first.public_key(), &[("kid", "one".into()), ("alg", "PS384".into())]),
            jwk_with(second.public_key(), &[("kid", "two".into())]),
        ]});
        let set = PublicKeySet::from_jwks(jwks.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 2);

        let chosen: Vec<_> = set.candidates(Algorithm::PS256, Some("two")).collect();
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].thumbprint(), second.public_key().thumbprint());
        assert_eq!(set.candidates(Algorithm::PS256, Some("one")).count(), 0);
        assert_eq!(set.candidates(Algorithm::PS384, Some("one")).count(), 1);
        assert_eq!(set.candidates(Algorithm::PS384, None).count(), 2);
        assert_eq!(set.candidates(Algorithm::PS384, Some("three")).count(), 0);
    }

    #[test]
    fn jwks_rejects_duplicates_private_and_empty() {
        let key = PrivateKey::generate(2048).unwrap();
        let jwk = key.public_key().to_jwk();
        let cases = [
            (
                serde_json::json!({"keys": [jwk.clone(), jwk.clone()]}),
                "two keys with kid",
            ),
            (
                serde_json::json!({"keys": [jwk_with(key.public_key(), &[("d", "AQAB".into())])]}),
                "private member",
            ),
            (serde_json::json!({"keys": []}), "holds no RSA"),
            (
                serde_json::json!({"keys": [jwk_with(key.public_key(), &[("e", "AAEAAQ".into())])]}),
                "leading zero",
            ),
            (
                serde_json::json!({"keys": [jwk_with(key.public_key(), &[("e", "Aw".into())])]}),
                "exponent is 3",
            ),
        ];
        for (jwks, expected) in cases {
            let error = PublicKeySet::from_jwks(jwks.to_string().as_bytes()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::KeyInvalid);
            assert!(error.message().contains(expected), "{}", error.message());
        }
    }

    #[test]
    fn single_jwk_loads_as_set_of_one() {
        let key = PrivateKey::generate(2048).unwrap();
        let jwk = key.public_key().to_jwk();
        assert_eq!(jwk.get("alg"), None);
        assert_eq!(jwk["use"], "sig");
        let set = PublicKeySet::from_jwks(jwk.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        let kid = key.public_key().thumbprint();
        assert_eq!(set.candidates(Algorithm::PS512, Some(kid)).count(), 1);
    }
}
