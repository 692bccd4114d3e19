//! Strict unpadded base64url (RFC 4648 §5), as JWS requires (RFC 7515 §2).

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url, rejecting padding, whitespace, characters outside the
/// alphabet and non-zero trailing bits, so that each byte string has one encoding.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    // A length of 1 modulo 4 cannot carry a whole byte.
    if text.len() % 4 == 1 {
        return None;
    }
    let decoded = Base64UrlUnpadded::decode_vec(std::str::from_utf8(text).ok()?).ok()?;

    // Re-encoding proves the trailing bits were zero, whatever the decoder tolerates.
    if encode(&decoded).as_bytes() != text {
        return None;
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_accepts_canonical_text() {
        assert_eq!(decode(b"QQ"), Some(b"A".to_vec()));
        assert_eq!(decode(b""), Some(Vec::new()));
        assert_eq!(decode(b"_-8"), Some(vec![0xff, 0xef]));
    }

    #[test]
    fn decode_rejects_noncanonical_forms() {
        for text in [
            &b"QR"[..],
            b"QQ==",
            b"Q Q",
            b"QQ\n",
            b"Q",
            b"+/8",
            b"QQ=",
            b"\xffQ",
        ] {
            assert_eq!(decode(text), None, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
