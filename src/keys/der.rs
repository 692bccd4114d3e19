//! Our own reading of RSA key encodings (RFC 8017 Appendix A, RFC 5280 §4.1, RFC 5958), so
//! that the key policy is checked before the backend sees a key and every message names
//! what was found.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode};
use pkcs1::{RsaPrivateKey, RsaPssParams, RsaPublicKey};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};

/// rsaEncryption (RFC 8017 Appendix C).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-RSASSA-PSS (RFC 8017 Appendix C).
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
/// id-mgf1 (RFC 8017 Appendix B.2.1).
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// The public parts of an RSA key, big-endian without leading zero bytes.
pub(crate) struct RsaParts {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
    /// The one algorithm the key may serve, when its encoding says so (id-RSASSA-PSS with
    /// parameters).
    pub(crate) restricted_to: Option<Algorithm>,
}

/// A private key's PKCS#1 RSAPrivateKey DER with its public parts.
pub(crate) struct PrivateParts {
    pub(crate) pkcs1: zeroize::Zeroizing<Vec<u8>>,
    pub(crate) public: RsaParts,
}

fn invalid(message: impl Into<String>) -> crate::Error {
    err(ErrorKind::KeyInvalid, message)
}

/// Parses a SubjectPublicKeyInfo DER holding an RSA key.
pub(crate) fn parse_spki(der: &[u8]) -> Result<RsaParts> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| invalid(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
    let restricted_to = check_algorithm(&spki.algorithm)?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| invalid("the SubjectPublicKeyInfo key bits are not whole bytes"))?;
    let mut parts = parse_pkcs1_public(bits)?;
    parts.restricted_to = restricted_to;
    Ok(parts)
}

/// Parses a PKCS#1 RSAPublicKey DER.
pub(crate) fn parse_pkcs1_public(der: &[u8]) -> Result<RsaParts> {
    let key =
        RsaPublicKey::from_der(der).map_err(|e| invalid(format!("not a DER RSAPublicKey: {e}")))?;
    Ok(RsaParts {
        n: key.modulus.as_bytes().to_vec(),
        e: key.public_exponent.as_bytes().to_vec(),
        restricted_to: None,
    })
}

/// Parses a PKCS#8 PrivateKeyInfo DER holding an RSA key.
pub(crate) fn parse_pkcs8(der: &[u8]) -> Result<PrivateParts> {
    let info = pkcs8::PrivateKeyInfo::from_der(der)
        .map_err(|e| invalid(format!("not a DER PKCS#8 PrivateKeyInfo: {e}")))?;
    let restricted_to = check_algorithm(&info.algorithm)?;
    let mut parts = parse_pkcs1_private(info.private_key)?;
    parts.public.restricted_to = restricted_to;
    Ok(parts)
}

/// Parses a PKCS#1 RSAPrivateKey DER (two primes only).
pub(crate) fn parse_pkcs1_private(der: &[u8]) -> Result<PrivateParts> {
    let key = RsaPrivateKey::from_der(der)
        .map_err(|e| invalid(format!("not a DER RSAPrivateKey: {e}")))?;
    if key.other_prime_infos.is_some() {
        return Err(invalid(
            "multi-prime RSA keys are not supported; use a two-prime key",
        ));
    }
    let public = RsaParts {
        n: key.modulus.as_bytes().to_vec(),
        e: key.public_exponent.as_bytes().to_vec(),
        restricted_to: None,
    };
    Ok(PrivateParts {
        pkcs1: zeroize::Zeroizing::new(der.to_vec()),
        public,
    })
}

/// Returns true when `der` parses as a private key: PKCS#8, encrypted PKCS#8 or PKCS#1.
pub(crate) fn is_private_key(der: &[u8]) -> bool {
    pkcs8::PrivateKeyInfo::from_der(der).is_ok()
        || RsaPrivateKey::from_der(der).is_ok()
        || is_encrypted_pkcs8(der)
}

/// Returns true when `der` has the shape of an EncryptedPrivateKeyInfo (RFC 5958 §3): a
/// SEQUENCE of an AlgorithmIdentifier and an OCTET STRING.
pub(crate) fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    use der::{Reader, SliceReader};

    let Ok(mut reader) = SliceReader::new(der) else {
        return false;
    };
    let parsed = reader.sequence(|inner| {
        AlgorithmIdentifierRef::decode(inner)?;
        der::asn1::OctetStringRef::decode(inner)?;
        Ok(())
    });
    parsed.is_ok() && reader.is_finished()
}

/// Returns true when `der` parses as a public key: SubjectPublicKeyInfo or PKCS#1.
pub(crate) fn is_public_key(der: &[u8]) -> bool {
    SubjectPublicKeyInfoRef::from_der(der).is_ok() || RsaPublicKey::from_der(der).is_ok()
}

/// Encodes the public parts as a SubjectPublicKeyInfo DER with rsaEncryption.
pub(crate) fn encode_spki(n: &[u8], e: &[u8]) -> Result<Vec<u8>> {
    let encode_failed = |_| err(ErrorKind::Internal, "could not encode the RSA public key");
    let pkcs1 = RsaPublicKey {
        modulus: der::asn1::UintRef::new(n).map_err(encode_failed)?,
        public_exponent: der::asn1::UintRef::new(e).map_err(encode_failed)?,
    }
    .to_der()
    .map_err(encode_failed)?;
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: RSA_ENCRYPTION,
            parameters: Some(AnyRef::NULL),
        },
        subject_public_key: der::asn1::BitStringRef::from_bytes(&pkcs1).map_err(encode_failed)?,
    }
    .to_der()
    .map_err(encode_failed)
}

/// Accepts rsaEncryption (parameters NULL or absent) and id-RSASSA-PSS (parameters absent,
/// or naming one PS algorithm: the same SHA-2 hash for the message and MGF1, a salt as long
/// as the hash, trailer field 1). Returns the algorithm a PSS key is restricted to.
fn check_algorithm(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<Option<Algorithm>> {
    if algorithm.oid == RSA_ENCRYPTION {
        return match algorithm.parameters {
            None => Ok(None),
            Some(params) if params == AnyRef::NULL => Ok(None),
            Some(_) => Err(invalid("rsaEncryption key has parameters other than NULL")),
        };
    }
    if algorithm.oid != RSASSA_PSS {
        return Err(invalid(format!(
            "key algorithm OID {} is not RSA; libcheckout uses RSA keys",
            algorithm.oid
        )));
    }
    let Some(params) = algorithm.parameters else {
        return Ok(None);
    };
    let params: RsaPssParams<'_> = params
        .decode_as()
        .map_err(|e| invalid(format!("id-RSASSA-PSS parameters are not valid DER: {e}")))?;
    let hash = hash_algorithm(params.hash.oid)?;
    let mgf_hash = params.mask_gen.parameters.map(|p| p.oid);
    if params.mask_gen.oid != MGF1 || mgf_hash != Some(params.hash.oid) {
        return Err(invalid(format!(
            "id-RSASSA-PSS key uses another mask generation than MGF1 with {hash}'s hash"
        )));
    }
    if usize::from(params.salt_len) != hash.hash_len() {
        return Err(invalid(format!(
            "id-RSASSA-PSS key has salt length {}; {hash} requires {}",
            params.salt_len,
            hash.hash_len()
        )));
    }
    if params.trailer_field != pkcs1::TrailerField::BC {
        return Err(invalid(
            "id-RSASSA-PSS key has a trailer field other than 1",
        ));
    }
    Ok(Some(hash))
}

fn hash_algorithm(oid: ObjectIdentifier) -> Result<Algorithm> {
    match oid {
        SHA256 => Ok(Algorithm::PS256),
        SHA384 => Ok(Algorithm::PS384),
        SHA512 => Ok(Algorithm::PS512),
        other => Err(invalid(format!(
            "id-RSASSA-PSS key uses hash OID {other}; only SHA-256, SHA-384 and SHA-512 are accepted"
        ))),
    }
}
