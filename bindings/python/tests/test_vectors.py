"""Public vectors from tests/vectors: RFC 7520 section 4.2 and the Wycheproof RSA-PSS files."""

from __future__ import annotations

import base64
import json
from typing import Any, Callable, Dict, List, Tuple

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import libcheckout
from helpers import VECTORS

# The Wycheproof files and the JWS algorithm of their hash. Their messages are signed as they
# are, not as JWS signing inputs, so their cases go through PublicKey.verify and only their
# keys through a Verifier.
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


def run_wycheproof(
    file_name: str, key: libcheckout.PublicKey, should_verify: Callable[[Dict[str, Any]], bool]
) -> Tuple[int, int]:
    """Check every case of a one-group Wycheproof file with `key`, returning the counts of
    verified and rejected cases. Each case's outcome must match `should_verify`."""
    document = load(f"wycheproof/{file_name}")
    [group] = document["testGroups"]
    alg = WYCHEPROOF_FILES[file_name]
    assert key.bits == group["keySize"]

    mismatches: List[str] = []
    verified = 0
    for case in group["tests"]:
        outcome = key.verify(alg, bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"]))
        if outcome != should_verify(case):
            mismatches.append(f"case {case['tcId']} ({case['comment']}, marked {case['result']}): {outcome}")
        verified += outcome

    assert mismatches == []
    assert len(group["tests"]) == document["numberOfTests"]
    return verified, len(group["tests"]) - verified


def marked_valid(case: Dict[str, Any]) -> bool:
    return bool(case["result"] == "valid")


@pytest.mark.parametrize(
    ("file_name", "counts"),
    [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", (63, 45)),
        ("rsa_pss_2048_sha384_mgf1_48_test.json", (95, 46)),
        ("rsa_pss_4096_sha512_mgf1_64_test.json", (132, 47)),
    ],
)
def test_wycheproof_cases_with_jwk_key(file_name: str, counts: Tuple[int, int]) -> None:
    group = load(f"wycheproof/{file_name}")["testGroups"][0]
    key = libcheckout.PublicKey.from_jwk(group["publicKeyJwk"])

    assert run_wycheproof(file_name, key, marked_valid) == counts


@pytest.mark.parametrize(
    ("file_name", "counts"),
    [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", (63, 45)),
        ("rsa_pss_2048_sha384_mgf1_48_test.json", (95, 46)),
        ("rsa_pss_4096_sha512_mgf1_64_test.json", (132, 47)),
    ],
)
def test_wycheproof_cases_with_der_key(file_name: str, counts: Tuple[int, int]) -> None:
    group = load(f"wycheproof/{file_name}")["testGroups"][0]
    key = libcheckout.PublicKey.from_pem(bytes.fromhex(group["publicKeyDer"]))

    assert run_wycheproof(file_name, key, marked_valid) == counts


def test_wycheproof_empty_salt_rejected() -> None:
    # RSASSA-PSS with an empty salt is not PS256, which requires a 32-byte salt, so the cases
    # the file marks valid are rejected. Case 69 is marked invalid for the empty-salt scheme,
    # but its salt was changed to 32 bytes, so it is a correct PS256 signature.
    file_name = "rsa_pss_2048_sha256_mgf1_0_test.json"
    group = load(f"wycheproof/{file_name}")["testGroups"][0]
    key = libcheckout.PublicKey.from_pem(bytes.fromhex(group["publicKeyDer"]))
    [case_69] = [case for case in group["tests"] if case["tcId"] == 69]

    counts = run_wycheproof(file_name, key, lambda case: bool(case["tcId"] == 69))

    assert counts == (1, 102)
    assert case_69["comment"] == "s_len changed to 32"
    assert sum(marked_valid(case) for case in group["tests"]) == 61


@pytest.mark.parametrize("file_name", sorted(WYCHEPROOF_FILES))
def test_wycheproof_key_forms_agree(file_name: str) -> None:
    group = load(f"wycheproof/{file_name}")["testGroups"][0]
    from_der = libcheckout.PublicKey.from_pem(bytes.fromhex(group["publicKeyDer"]))
    from_pkcs1 = libcheckout.PublicKey.from_pem(bytes.fromhex(group["publicKeyAsn"]))
    from_pem = libcheckout.PublicKey.from_pem(group["publicKeyPem"])

    assert from_pkcs1.kid == from_der.kid
    assert from_pem.kid == from_der.kid
    assert from_pem.to_pem() == group["publicKeyPem"]
    if "publicKeyJwk" in group:
        from_jwk = libcheckout.PublicKey.from_jwk(group["publicKeyJwk"])
        assert from_jwk.kid == from_der.kid
        assert from_jwk.to_jwk()["n"] == group["publicKeyJwk"]["n"]
