"""Public vectors from tests/vectors: RFC 7520 section 4.2 and the Wycheproof RSA-PSS keys."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import libcheckout
from helpers import VECTORS

# The Wycheproof files and the JWS algorithm of their hash. Their messages are signed as they
# are, not as JWS signing inputs, so only their keys can go through a Verifier.
WYCHEPROOF_FILES = {
    "rsa_pss_2048_sha256_mgf1_0_test.json": "PS256",
    "rsa_pss_2048_sha256_mgf1_32_test.json": "PS256",
    "rsa_pss_2048_sha384_mgf1_48_test.json": "PS384",
    "rsa_pss_4096_sha512_mgf1_64_test.json": "PS512",
}


def load(relative: str) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((VECTORS / relative).read_text(encoding="utf-8"))
    return data


def test_rfc7520_rsa_pss_compact_verifies() -> None:
    example = load("rfc7520/4_2.rsa-pss_signature.json")
    private_jwk = example["input"]["key"]
    public_jwk = {name: private_jwk[name] for name in ("kty", "kid", "use", "n", "e")}

    verified = libcheckout.Verifier.from_jwks({"keys": [public_jwk]}).verify(
        example["output"]["compact"], profile="jws"
    )

    assert verified.payload == example["input"]["payload"].encode("utf-8")
    assert verified.header == {"alg": "PS384", "kid": "bilbo.baggins@hobbiton.example"}
    assert verified.claims is None


def test_rfc7520_rejected_as_license_token() -> None:
    example = load("rfc7520/4_2.rsa-pss_signature.json")
    public_jwk = {name: example["input"]["key"][name] for name in ("kty", "kid", "use", "n", "e")}
    verifier = libcheckout.Verifier.from_jwks(public_jwk)

    with pytest.raises(libcheckout.TokenMalformedError):
        verifier.verify(example["output"]["compact"])
    with pytest.raises(libcheckout.UnsupportedSignatureMethodError):
        verifier.verify(example["output"]["compact"], profile="jws", algorithms=["PS256"])


def test_rfc7520_private_jwk_signs_here() -> None:
    example = load("rfc7520/4_2.rsa-pss_signature.json")
    jwk = example["input"]["key"]

    def number(name: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[name] + "=" * (-len(jwk[name]) % 4)), "big")

    public = rsa.RSAPublicNumbers(number("e"), number("n"))
    private = rsa.RSAPrivateNumbers(
        number("p"), number("q"), number("d"), number("dp"), number("dq"), number("qi"), public
    ).private_key()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = libcheckout.Signer.from_pem(pem, "PS384")
    without_kid = {name: jwk[name] for name in ("kty", "use", "n", "e")}
    with_rfc_kid = {**without_kid, "kid": jwk["kid"]}

    token = signer.sign(example["input"]["payload"])

    # A JWK without kid is selected by its thumbprint, the kid our tokens carry. The RFC's kid
    # (an email address) is another id, so that JWK matches no token of ours.
    verified = libcheckout.Verifier.from_jwks(without_kid).verify(token, profile="jws")
    assert verified.payload == example["input"]["payload"].encode("utf-8")
    assert verified.header == {"alg": "PS384", "kid": signer.kid}
    with pytest.raises(libcheckout.SignatureInvalidError):
        libcheckout.Verifier.from_jwks(with_rfc_kid).verify(token, profile="jws")


@pytest.mark.parametrize("file_name", sorted(WYCHEPROOF_FILES))
def test_wycheproof_keys_load_in_every_form(signer: libcheckout.Signer, file_name: str) -> None:
    alg = WYCHEPROOF_FILES[file_name]
    group = load(f"wycheproof/{file_name}")["testGroups"][0]
    forms: Dict[str, Any] = {
        "PEM": group["publicKeyPem"],
        "SPKI DER": bytes.fromhex(group["publicKeyDer"]),
        "PKCS#1 DER": bytes.fromhex(group["publicKeyAsn"]),
    }
    # A token from another key fails on its signature, which shows the key loaded and was used.
    foreign_token = signer.sign(b"document", algorithm=alg)

    for form, key in forms.items():
        verifier = libcheckout.Verifier.from_pem(key)
        with pytest.raises(libcheckout.SignatureInvalidError) as raised:
            verifier.verify(foreign_token, profile="jws")
        assert raised.value.status == 301, form

    if "publicKeyJwk" in group:
        assert group["publicKeyJwk"]["alg"] == alg
        verifier = libcheckout.Verifier.from_jwks({"keys": [group["publicKeyJwk"]]})
        with pytest.raises(libcheckout.SignatureInvalidError):
            verifier.verify(foreign_token, profile="jws")
