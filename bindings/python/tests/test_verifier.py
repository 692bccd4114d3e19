"""Verifier: key loading and every verify option."""

from __future__ import annotations

import datetime
import json

import pytest

import libcheckout
from helpers import checkout_claims

ISSUED = 1906502400  # 2030-06-01T00:00:00Z
EXPIRES = ISSUED + 3600


@pytest.fixture(scope="module")
def token(signer: libcheckout.Signer) -> str:
    return signer.sign(checkout_claims(ISSUED, EXPIRES))


def test_verify_returns_header_payload_claims(
    token: str, verifier: libcheckout.Verifier, signer: libcheckout.Signer
) -> None:
    verified = verifier.verify(token, now=ISSUED + 10)

    assert verified.header == {"alg": "PS256", "typ": "JWT", "kid": signer.kid}
    assert json.loads(verified.payload) == checkout_claims(ISSUED, EXPIRES)
    assert verified.claims is not None
    assert verified.claims["licenseConsumptionToken"] == "0123456789abcdef0123456789abcdef"
    assert verified.claims["entitlementsAllowed"][0] == {"name": "EntitlementCount", "unit": "Count", "value": "2"}
    assert verified.claims["exp"] == EXPIRES


def test_verify_accepts_bytes_token(token: str, verifier: libcheckout.Verifier) -> None:
    assert verifier.verify(token.encode(), now=ISSUED).claims["nodeId"] == "100.20.15.10"  # type: ignore[index]


def test_verify_jws_profile_has_no_claims(token: str, verifier: libcheckout.Verifier) -> None:
    verified = verifier.verify(token, profile="jws")

    assert verified.claims is None
    assert verified.payload == json.dumps(checkout_claims(ISSUED, EXPIRES), separators=(",", ":")).encode()


def test_verify_default_now_is_system_clock(signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    expired = signer.sign(checkout_claims(1000, 2000))

    with pytest.raises(libcheckout.TokenExpiredError) as raised:
        verifier.verify(expired)

    assert raised.value.status == 302
    assert "1970-01-01T00:33:20" in str(raised.value)


@pytest.mark.parametrize(
    "now",
    [
        EXPIRES + 59,
        float(EXPIRES) + 59.999,
        datetime.datetime(2030, 6, 1, 1, 0, 59, 999999, tzinfo=datetime.timezone.utc),
        datetime.datetime(2030, 6, 1, 1, 0, 59, 999999),
        datetime.datetime(2030, 6, 1, 3, 0, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "2030-06-01T01:00:59",
        "2030-06-01T01:00:59Z",
        "2030-06-01T03:00:59+02:00",
    ],
)
def test_now_forms_floor_to_last_valid_second(token: str, verifier: libcheckout.Verifier, now: object) -> None:
    assert verifier.verify(token, now=now).claims is not None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "now",
    [
        EXPIRES + 60,
        float(EXPIRES + 60),
        datetime.datetime(2030, 6, 1, 1, 1, 0, tzinfo=datetime.timezone.utc),
        datetime.datetime(2030, 6, 1, 1, 1, 0),
        "2030-06-01T01:01:00Z",
    ],
)
def test_now_forms_past_leeway_expire(token: str, verifier: libcheckout.Verifier, now: object) -> None:
    with pytest.raises(libcheckout.TokenExpiredError) as raised:
        verifier.verify(token, now=now)  # type: ignore[arg-type]

    assert raised.value.code == "LM_STATUS_TOKEN_EXPIRED"


def test_not_yet_valid(token: str, verifier: libcheckout.Verifier) -> None:
    with pytest.raises(libcheckout.TokenNotYetValidError) as raised:
        verifier.verify(token, now=ISSUED - 61)

    assert raised.value.status == 303
    assert verifier.verify(token, now=ISSUED - 60).claims is not None


def test_leeway_seconds(token: str, verifier: libcheckout.Verifier) -> None:
    assert verifier.verify(token, now=EXPIRES + 299, leeway_seconds=300).claims is not None

    with pytest.raises(libcheckout.TokenExpiredError):
        verifier.verify(token, now=EXPIRES, leeway_seconds=0)


def test_node_id(token: str, verifier: libcheckout.Verifier) -> None:
    assert verifier.verify(token, now=ISSUED, node_id="100.20.15.10").claims is not None

    with pytest.raises(libcheckout.NodeMismatchError) as raised:
        verifier.verify(token, now=ISSUED, node_id="100.20.15.11")

    assert raised.value.status == 304
    assert '"100.20.15.11"' in str(raised.value)


def test_algorithms_allow_list(token: str, verifier: libcheckout.Verifier) -> None:
    assert verifier.verify(token, now=ISSUED, algorithms=["PS256"]).claims is not None

    with pytest.raises(libcheckout.UnsupportedSignatureMethodError) as raised:
        verifier.verify(token, now=ISSUED, algorithms=["PS384", "PS512"])

    assert raised.value.status == 201


def test_require_entitlements(token: str, verifier: libcheckout.Verifier) -> None:
    satisfied = [
        {"name": "EntitlementCount", "value": "2"},
        {"name": "EntitlementCount", "value": 1},
        {"name": "EnterpriseTier", "value": "Enterprise"},
        {"name": "EnterpriseTier"},
    ]
    assert verifier.verify(token, now=ISSUED, require_entitlements=satisfied).claims is not None

    for missing in ({"name": "EntitlementCount", "value": "3"}, {"name": "Seats"}, {"name": "EnterpriseTier", "value": "Basic"}):
        with pytest.raises(libcheckout.EntitlementMissingError) as raised:
            verifier.verify(token, now=ISSUED, require_entitlements=[missing])
        assert raised.value.status == 305


def test_max_token_bytes(token: str, verifier: libcheckout.Verifier) -> None:
    assert verifier.verify(token, now=ISSUED, max_token_bytes=len(token)).claims is not None

    with pytest.raises(libcheckout.TokenMalformedError) as raised:
        verifier.verify(token, now=ISSUED, max_token_bytes=len(token) - 1)

    assert f"token is {len(token)} bytes" in str(raised.value)


def test_signature_from_other_key(other_signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    forged = other_signer.sign(checkout_claims(ISSUED, EXPIRES))

    with pytest.raises(libcheckout.SignatureInvalidError) as raised:
        verifier.verify(forged, now=ISSUED)

    assert raised.value.code == "LM_STATUS_SIGNATURE_INVALID"


def test_from_jwks_dict_str_bytes(
    token: str, signer: libcheckout.Signer, other_signer: libcheckout.Signer
) -> None:
    jwks = {"keys": [other_signer.public_jwk(), signer.public_jwk()]}

    for jwks_input in (jwks, json.dumps(jwks), json.dumps(jwks).encode(), signer.public_jwk()):
        verifier = libcheckout.Verifier.from_jwks(jwks_input)
        assert verifier.verify(token, now=ISSUED).header["kid"] == signer.kid


def test_from_jwks_unknown_kid(token: str, other_signer: libcheckout.Signer, signer: libcheckout.Signer) -> None:
    verifier = libcheckout.Verifier.from_jwks({"keys": [other_signer.public_jwk()]})

    with pytest.raises(libcheckout.SignatureInvalidError) as raised:
        verifier.verify(token, now=ISSUED)

    assert signer.kid in str(raised.value)


def test_from_jwks_rejects_empty_set() -> None:
    with pytest.raises(libcheckout.InvalidKeyError):
        libcheckout.Verifier.from_jwks({"keys": []})


def test_from_pem_rejects_private_key(signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.Verifier.from_pem(signer.private_key_pem())

    assert "public key" in str(raised.value)
    assert "MII" not in str(raised.value)


def test_verified_token_repr_hides_payload(token: str, verifier: libcheckout.Verifier) -> None:
    text = repr(verifier.verify(token, now=ISSUED))

    assert text.startswith("VerifiedToken(header={'alg': 'PS256'")
    assert "licenseConsumptionToken" not in text
