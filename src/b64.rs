//! Strict unpadded base64url (RFC 4648 §5), as JWS requires (RFC 7515 §2).

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
pub(crate) fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The value of each base64url character (RFC 4648 §5), or `INVALID`.
const INVALID: u8 = 0xff;
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes unpadded base64url, rejecting padding, whitespace, characters outside the
/// alphabet and non-zero trailing bits, so that each byte string has one encoding.
///
/// Token bytes are public, so this decoder is not constant time; it does not see keys.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    // A length of 1 modulo 4 cannot carry a whole byte.
    let tail = text.len() % 4;
    if tail == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let mut chunks = text.chunks_exact(4);
    for chunk in &mut chunks {
        let a = value(chunk[0])?;
        let b = value(chunk[1])?;
        let c = value(chunk[2])?;
        let d = value(chunk[3])?;
        let bits = (a << 18) | (b << 12) | (c << 6) | d;
        out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
    }

    let rest = chunks.remainder();
    match rest.len() {
        0 => {}
        2 => {
            let a = value(rest[0])?;
            let b = value(rest[1])?;
            // The last character carries 4 unused bits, which must be zero.
            if b & 0x0f != 0 {
                return None;
            }
            out.push(((a << 2) | (b >> 4)) as u8);
        }
        _ => {
            let a = value(rest[0])?;
            let b = value(rest[1])?;
            let c = value(rest[2])?;
            // The last character carries 2 unused bits, which must be zero.
            if c & 0x03 != 0 {
                return None;
            }
            let bits = (a << 10) | (b << 4) | (c >> 2);
            out.extend_from_slice(&[(bits >> 8) as u8, bits as u8]);
        }
    }
    Some(out)
}

fn value(character: u8) -> Option<u32> {
    match DECODE[usize::from(character)] {
        INVALID => None,
        v => Some(u32::from(v)),
    }
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
    fn decode_inverts_encode() {
        for len in 0..70usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            assert_eq!(decode(encode(&bytes).as_bytes()), Some(bytes));
        }
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
