"""Bad input of every kind raises its class and leaves stored data unchanged."""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, Tuple, Type

import pytest

import libcheckout
from helpers import borrow_request, checkout_claims, provisional_request

ISSUED = 1906502400  # 2030-06-01T00:00:00Z


def snapshot(store: libcheckout.Store, arn: str) -> Tuple[Any, ...]:
    return (
        store.get_license({"LicenseArn": arn}),
        store.get_license_usage({"LicenseArn": arn}),
        store.list_license_consumptions({"LicenseArn": arn}),
    )


def with_changes(request: Dict[str, Any], **changes: Any) -> Dict[str, Any]:
    changed = dict(request)
    for name, value in changes.items():
        if value is None:
            del changed[name]
        else:
            changed[name] = value
    return changed


def bad_requests(arn: str, signer: libcheckout.Signer) -> Dict[str, Tuple[Type[BaseException], Callable[[libcheckout.Store], Any]]]:
    borrow = borrow_request(arn)
    provisional = provisional_request()
    count = {"Name": "EntitlementCount", "Unit": "Count"}
    # The same ARN with its last hex digit changed, so it names no license.
    other_arn = arn[:-1] + ("1" if arn.endswith("0") else "0")
    return {
        "text not json": (libcheckout.InvalidArgumentError, lambda s: s.checkout(signer, "{")),
        "bytes not utf8": (libcheckout.InvalidArgumentError, lambda s: s.checkout(signer, b'{"a":"\xff"}')),
        "duplicate member": (
            libcheckout.InvalidArgumentError,
            lambda s: s.checkout(signer, '{"ClientToken":"a","ClientToken":"b"}'),
        ),
        "nan": (libcheckout.InvalidArgumentError, lambda s: s.checkout(signer, {**borrow, "NodeId": math.nan})),
        "array": (libcheckout.ValidationError, lambda s: s.checkout(signer, [borrow])),
        "int request": (TypeError, lambda s: s.checkout(signer, 42)),
        "str signer": (TypeError, lambda s: s.checkout("signer", borrow)),
        "no client token": (libcheckout.ValidationError, lambda s: s.checkout(signer, with_changes(borrow, ClientToken=None))),
        "unknown member": (libcheckout.ValidationError, lambda s: s.checkout(signer, with_changes(borrow, Seats=1))),
        "mistyped node": (libcheckout.ValidationError, lambda s: s.checkout(signer, with_changes(borrow, NodeId=5))),
        "zero quantity": (
            libcheckout.ValidationError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Value": "0"}])),
        ),
        "negative quantity": (
            libcheckout.ValidationError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Value": "-1"}])),
        ),
        "leading zero quantity": (
            libcheckout.ValidationError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Value": "01"}])),
        ),
        "bad unit": (
            libcheckout.ValidationError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Unit": "Parsecs", "Value": "1"}])),
        ),
        "bad checkout type": (
            libcheckout.ValidationError,
            lambda s: s.checkout(signer, with_changes(provisional, CheckoutType="TEMPORARY")),
        ),
        "rsa signature method": (
            libcheckout.UnsupportedSignatureMethodError,
            lambda s: s.checkout(signer, with_changes(borrow, DigitalSignatureMethod="JWT_RS256")),
        ),
        "over capacity": (
            libcheckout.NoEntitlementsAllowedError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Value": "11"}])),
        ),
        "unit mismatch": (
            libcheckout.EntitlementNotAllowedError,
            lambda s: s.checkout(signer, with_changes(borrow, Entitlements=[{**count, "Unit": "Seconds", "Value": "1"}])),
        ),
        "unknown license": (
            libcheckout.NotFoundError,
            lambda s: s.checkout(signer, with_changes(borrow, LicenseArn=other_arn)),
        ),
        "unknown sku": (libcheckout.NotFoundError, lambda s: s.checkout(signer, with_changes(provisional, ProductSKU="OTHER"))),
        "check in unknown": (
            libcheckout.NotFoundError,
            lambda s: s.check_in({"LicenseConsumptionToken": "0" * 32}),
        ),
        "check in mistyped": (libcheckout.ValidationError, lambda s: s.check_in({"LicenseConsumptionToken": 7})),
        "extend unknown": (
            libcheckout.NotFoundError,
            lambda s: s.extend_license_consumption(signer, {"LicenseConsumptionToken": "0" * 32}),
        ),
        "get unknown member": (libcheckout.ValidationError, lambda s: s.get_license({"LicenseArn": arn, "Extra": 1})),
        "usage wrong type": (TypeError, lambda s: s.get_license_usage(3.5)),
        "list bad state": (
            libcheckout.ValidationError,
            lambda s: s.list_license_consumptions({"LicenseArn": arn, "State": "GONE"}),
        ),
    }


CASES = sorted(bad_requests("arn", libcheckout.Signer.generate(2048)))


@pytest.mark.parametrize("case", CASES)
def test_bad_request_changes_nothing(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer, case: str
) -> None:
    store.checkout(signer, borrow_request(license_arn, 2))
    before = snapshot(store, license_arn)
    expected, call = bad_requests(license_arn, signer)[case]

    with pytest.raises(expected) as raised:
        call(store)

    if issubclass(expected, libcheckout.LicenseError):
        assert type(raised.value) is expected
        assert raised.value.status == expected.status  # type: ignore[attr-defined]
    assert snapshot(store, license_arn) == before


def test_bad_create_requests_store_nothing(
    store: libcheckout.Store, license_request: Callable[..., Dict[str, Any]], signer: libcheckout.Signer
) -> None:
    cases = {
        "SignKey is a KMS ARN": license_request(Issuer={"Name": "Example Vendor", "SignKey": "arn:aws:kms:us-east-1:1:key/x"}),
        "no ClientToken": {k: v for k, v in license_request().items() if k != "ClientToken"},
        "MaxCount missing": license_request(Entitlements=[{"Name": "Seats", "Unit": "Count"}]),
        "Validity reversed": license_request(Validity={"Begin": "2030-01-01T00:00:00Z", "End": "2029-01-01T00:00:00Z"}),
    }
    for name, request in cases.items():
        with pytest.raises(libcheckout.ValidationError) as raised:
            store.create_license(request)
        assert raised.value.status == 101, name

    with pytest.raises(libcheckout.NotFoundError):
        store.checkout(signer, provisional_request())


@pytest.fixture(scope="module")
def token(signer: libcheckout.Signer) -> str:
    return signer.sign(checkout_claims(ISSUED, ISSUED + 3600))


VERIFY_OPTION_CASES: Dict[str, Tuple[Type[BaseException], Dict[str, Any]]] = {
    "profile unknown": (libcheckout.InvalidArgumentError, {"profile": "jwt"}),
    "profile not str": (TypeError, {"profile": 1}),
    "leeway negative": (libcheckout.InvalidArgumentError, {"leeway_seconds": -1}),
    "leeway over a day": (libcheckout.InvalidArgumentError, {"leeway_seconds": 86401}),
    "leeway huge": (libcheckout.InvalidArgumentError, {"leeway_seconds": 10**40}),
    "leeway str": (TypeError, {"leeway_seconds": "60"}),
    "leeway bool": (TypeError, {"leeway_seconds": True}),
    "leeway float": (TypeError, {"leeway_seconds": 1.5}),
    "now before year 1": (libcheckout.InvalidArgumentError, {"now": -62135596801}),
    "now past i64": (libcheckout.InvalidArgumentError, {"now": 2**63}),
    "now after 9999": (libcheckout.InvalidArgumentError, {"now": 253402300800}),
    "now nan": (libcheckout.InvalidArgumentError, {"now": math.nan}),
    "now infinite": (libcheckout.InvalidArgumentError, {"now": math.inf}),
    "now text": (libcheckout.InvalidArgumentError, {"now": "yesterday"}),
    "now lowercase z": (libcheckout.InvalidArgumentError, {"now": "2030-06-01T00:00:00z"}),
    "now bool": (TypeError, {"now": True}),
    "now list": (TypeError, {"now": [ISSUED]}),
    "node not str": (TypeError, {"node_id": 5}),
    "algorithms empty": (libcheckout.InvalidArgumentError, {"algorithms": []}),
    "algorithms rsa": (libcheckout.UnsupportedSignatureMethodError, {"algorithms": ["RS256"]}),
    "algorithms none": (libcheckout.UnsupportedSignatureMethodError, {"algorithms": ["none"]}),
    "algorithms str": (TypeError, {"algorithms": "PS256"}),
    "required str": (TypeError, {"require_entitlements": "Seats"}),
    "required dict": (TypeError, {"require_entitlements": {"name": "Seats"}}),
    "required item str": (TypeError, {"require_entitlements": ["Seats"]}),
    "required unknown key": (libcheckout.InvalidArgumentError, {"require_entitlements": [{"nam": "Seats"}]}),
    "required no name": (libcheckout.InvalidArgumentError, {"require_entitlements": [{"value": "1"}]}),
    "required name int": (TypeError, {"require_entitlements": [{"name": 1}]}),
    "required value float": (TypeError, {"require_entitlements": [{"name": "Seats", "value": 1.5}]}),
    "max bytes zero": (libcheckout.InvalidArgumentError, {"max_token_bytes": 0}),
    "max bytes negative": (libcheckout.InvalidArgumentError, {"max_token_bytes": -1}),
    "max bytes past usize": (libcheckout.InvalidArgumentError, {"max_token_bytes": 2**64}),
    "max bytes str": (TypeError, {"max_token_bytes": "100"}),
    "unknown keyword": (TypeError, {"nodeId": "x"}),
}


@pytest.mark.parametrize("case", sorted(VERIFY_OPTION_CASES))
def test_bad_verify_option(token: str, verifier: libcheckout.Verifier, case: str) -> None:
    expected, options = VERIFY_OPTION_CASES[case]

    with pytest.raises(expected) as raised:
        verifier.verify(token, **options)

    if issubclass(expected, libcheckout.LicenseError):
        assert type(raised.value) is expected


# Options of the right type but outside the limits reach the core, which rejects them with
# its own message, the same for every binding.
CORE_LIMIT_CASES: Dict[str, Tuple[Dict[str, Any], str]] = {
    "leeway over a day": ({"leeway_seconds": 86401}, "leewaySeconds is 86401; it must be from 0 to 86400"),
    "algorithms empty": ({"algorithms": []}, "algorithms is empty, so no token could verify"),
    "max bytes zero": ({"max_token_bytes": 0}, "maxTokenBytes is 0; it must be at least 1"),
    "now after 9999": ({"now": 253402300800}, "now is 253402300800, outside years 0001 to 9999"),
}


@pytest.mark.parametrize("case", sorted(CORE_LIMIT_CASES))
def test_verify_limits_from_core(token: str, verifier: libcheckout.Verifier, case: str) -> None:
    options, message = CORE_LIMIT_CASES[case]

    with pytest.raises(libcheckout.InvalidArgumentError) as raised:
        verifier.verify(token, **options)

    assert raised.value.status == 100
    assert str(raised.value) == message


def test_verify_now_before_1970_accepted(token: str, verifier: libcheckout.Verifier) -> None:
    # A time before 1970 is a valid option, so verification reaches the claims.
    with pytest.raises(libcheckout.TokenNotYetValidError) as raised:
        verifier.verify(token, now=-1)

    assert raised.value.status == 303


def test_verify_max_bytes_over_u32_accepted(token: str, verifier: libcheckout.Verifier) -> None:
    verified = verifier.verify(token, now=ISSUED, max_token_bytes=2**32)

    assert verified.header["alg"] == "PS256"


def b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_bad_tokens(token: str, verifier: libcheckout.Verifier) -> None:
    header, payload, signature = token.split(".")
    alg_none = b64(b'{"alg":"none"}')
    alg_hs256 = b64(b'{"alg":"HS256"}')
    cases: Dict[str, Tuple[Type[BaseException], Any]] = {
        "empty": (libcheckout.TokenMalformedError, ""),
        "two segments": (libcheckout.TokenMalformedError, f"{header}.{payload}"),
        "four segments": (libcheckout.TokenMalformedError, f"{token}.x"),
        "padding": (libcheckout.TokenMalformedError, f"{header}=.{payload}.{signature}"),
        "whitespace": (libcheckout.TokenMalformedError, f" {token}"),
        "not utf8": (libcheckout.TokenMalformedError, token.encode() + b"\xff"),
        "header not json": (libcheckout.TokenMalformedError, f"{b64(b'nope')}.{payload}.{signature}"),
        "crit header": (
            libcheckout.TokenMalformedError,
            f"{b64(json.dumps({'alg': 'PS256', 'crit': ['exp']}).encode())}.{payload}.{signature}",
        ),
        "alg none": (libcheckout.UnsupportedSignatureMethodError, f"{alg_none}.{payload}."),
        "alg hs256": (libcheckout.UnsupportedSignatureMethodError, f"{alg_hs256}.{payload}.{signature}"),
        "tampered payload": (
            libcheckout.SignatureInvalidError,
            f"{header}.{b64(json.dumps(checkout_claims(ISSUED, ISSUED + 999999)).encode())}.{signature}",
        ),
        "short signature": (libcheckout.SignatureInvalidError, f"{header}.{payload}.{b64(unb64(signature)[:-1])}"),
        "oversized": (libcheckout.TokenMalformedError, "a" * 65537),
        "int": (TypeError, 12345),
        "none": (TypeError, None),
    }
    for name, (expected, bad) in cases.items():
        with pytest.raises(expected) as raised:
            verifier.verify(bad, now=ISSUED)
        if issubclass(expected, libcheckout.LicenseError):
            assert type(raised.value) is expected, name


def test_bad_claims(signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    claims = checkout_claims(ISSUED, ISSUED + 3600)
    cases = {
        "not json": b"plain text",
        "missing issuedAt": {k: v for k, v in claims.items() if k != "issuedAt"},
        "time with offset": {**claims, "expiration": "2030-06-01T01:00:00+01:00"},
        "exp differs": {**claims, "exp": claims["exp"] + 1},
        "expiration before issuedAt": {**claims, "expiration": "2030-05-31T00:00:00", "exp": ISSUED - 86400},
        "entitlement value int": {**claims, "entitlementsAllowed": [{"name": "A", "unit": "Count", "value": 1}]},
    }
    for name, payload in cases.items():
        with pytest.raises(libcheckout.TokenMalformedError) as raised:
            verifier.verify(signer.sign(payload), now=ISSUED)
        assert raised.value.status == 300, name


@pytest.mark.parametrize(
    "loader, given, expected",
    [
        ("from_pem", b"", libcheckout.InvalidKeyError),
        ("from_pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", libcheckout.InvalidKeyError),
        ("from_pem", 3, TypeError),
        ("from_jwks", "{", libcheckout.InvalidArgumentError),
        ("from_jwks", {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, libcheckout.InvalidKeyError),
        ("from_jwks", {"keys": "none"}, libcheckout.InvalidKeyError),
        ("from_jwks", 3, TypeError),
    ],
)
def test_bad_verifier_keys(loader: str, given: Any, expected: Type[BaseException]) -> None:
    with pytest.raises(expected) as raised:
        getattr(libcheckout.Verifier, loader)(given)

    if issubclass(expected, libcheckout.LicenseError):
        assert type(raised.value) is expected


def test_bad_store_locations() -> None:
    with pytest.raises(libcheckout.InvalidArgumentError):
        libcheckout.Store("")
    with pytest.raises(libcheckout.StoreError):
        libcheckout.Store("postgresql://user@localhost/licenses")
    with pytest.raises(TypeError):
        libcheckout.Store(b"bytes-path")  # type: ignore[arg-type]
