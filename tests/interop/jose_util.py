"""JOSE helpers written from the RFCs, independent of libcheckout.

They compute what the tests compare libcheckout against: base64url (RFC 7515
section 2), RFC 7638 thumbprints, and PS256/PS384/PS512 signatures made by hand
with `cryptography`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@dataclass(frozen=True)
class PssAlgorithm:
    """Parameters of one JWS PSS algorithm (RFC 7518 section 3.5)."""

    name: str
    hash_name: str
    salt_length: int

    def hash(self) -> hashes.HashAlgorithm:
        return getattr(hashes, self.hash_name.upper())()

    def padding(self) -> padding.PSS:
        return padding.PSS(mgf=padding.MGF1(self.hash()), salt_length=self.salt_length)


PSS_ALGORITHMS = {
    "PS256": PssAlgorithm("PS256", "sha256", 32),
    "PS384": PssAlgorithm("PS384", "sha384", 48),
    "PS512": PssAlgorithm("PS512", "sha512", 64),
}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint_to_b64url(value: int) -> str:
    """Encode a JWK integer member: big-endian, no leading zero octets (RFC 7518 section 6.3)."""
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class CompactJws:
    """The three segments of a compact JWS, decoded."""

    header: dict[str, Any]
    header_segment: str
    payload: bytes
    signing_input: bytes
    signature: bytes


def split_compact(token: str) -> CompactJws:
    header_segment, payload_segment, signature_segment = token.split(".")
    return CompactJws(
        header=json.loads(b64url_decode(header_segment)),
        header_segment=header_segment,
        payload=b64url_decode(payload_segment),
        signing_input=f"{header_segment}.{payload_segment}".encode("ascii"),
        signature=b64url_decode(signature_segment),
    )


def public_jwk(public_key: rsa.RSAPublicKey, **members: str) -> dict[str, Any]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": uint_to_b64url(numbers.n), "e": uint_to_b64url(numbers.e), **members}


def rfc7638_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """Return the SHA-256 JWK thumbprint: the required RSA members in lexicographic order, no whitespace."""
    numbers = public_key.public_numbers()
    canonical = '{"e":"%s","kty":"RSA","n":"%s"}' % (uint_to_b64url(numbers.e), uint_to_b64url(numbers.n))
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def sign_compact_by_hand(
    private_key: rsa.RSAPrivateKey,
    header: dict[str, Any],
    payload: bytes,
    salt_length: int | None = None,
) -> str:
    """Sign a compact JWS with RSASSA-PSS directly through `cryptography`.

    The hash comes from the header's PS algorithm. salt_length overrides the
    hash-length salt that RFC 7518 requires, to make tokens that must be rejected.
    """
    algorithm = PSS_ALGORITHMS[header["alg"]]
    pss = algorithm.padding()
    if salt_length is not None:
        pss = padding.PSS(mgf=padding.MGF1(algorithm.hash()), salt_length=salt_length)

    header_segment = b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    signing_input = f"{header_segment}.{b64url_encode(payload)}"
    signature = private_key.sign(signing_input.encode("ascii"), pss, algorithm.hash())
    return f"{signing_input}.{b64url_encode(signature)}"
