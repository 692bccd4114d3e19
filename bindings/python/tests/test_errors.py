"""Exception classes: one per status, with code, status and reasons."""

from __future__ import annotations

import pickle

import pytest

import libcheckout
from libcheckout import _native, errors

TOKEN_CLASSES = {
    300: "TokenMalformedError",
    301: "SignatureInvalidError",
    302: "TokenExpiredError",
    303: "TokenNotYetValidError",
    304: "NodeMismatchError",
    305: "EntitlementMissingError",
}
CHECKOUT_CLASSES = {
    400: "NotFoundError",
    401: "NoEntitlementsAllowedError",
    402: "EntitlementNotAllowedError",
    403: "ConflictError",
}
OTHER_CLASSES = {
    100: "InvalidArgumentError",
    101: "ValidationError",
    200: "InvalidKeyError",
    201: "UnsupportedSignatureMethodError",
    500: "StoreError",
    501: "SignerError",
    900: "InternalError",
}


def test_every_core_status_has_its_class() -> None:
    missing = sorted(set(_native.STATUS_CODES) - set(errors.BY_STATUS))

    assert missing == []
    for status, code in _native.STATUS_CODES.items():
        assert errors.BY_STATUS[status].code == code
        assert errors.BY_STATUS[status].status == status


def test_classes_match_design_table() -> None:
    expected = {**TOKEN_CLASSES, **CHECKOUT_CLASSES, **OTHER_CLASSES}

    assert {status: cls.__name__ for status, cls in errors.BY_STATUS.items()} == expected
    assert sorted(_native.STATUS_CODES) == sorted(expected)


@pytest.mark.parametrize("status", sorted(TOKEN_CLASSES))
def test_token_classes_derive_from_token_error(status: int) -> None:
    cls = getattr(libcheckout, TOKEN_CLASSES[status])

    assert issubclass(cls, libcheckout.TokenError)
    assert issubclass(cls, libcheckout.LicenseError)
    assert not issubclass(cls, libcheckout.CheckoutError)


@pytest.mark.parametrize("status", sorted(CHECKOUT_CLASSES))
def test_checkout_classes_derive_from_checkout_error(status: int) -> None:
    cls = getattr(libcheckout, CHECKOUT_CLASSES[status])

    assert issubclass(cls, libcheckout.CheckoutError)
    assert not issubclass(cls, libcheckout.TokenError)


@pytest.mark.parametrize("status", sorted(OTHER_CLASSES))
def test_other_classes_derive_from_license_error(status: int) -> None:
    cls = getattr(libcheckout, OTHER_CLASSES[status])

    assert cls.__bases__[0] is libcheckout.LicenseError


def test_only_invalid_argument_is_value_error() -> None:
    value_errors = [cls.__name__ for cls in errors.BY_STATUS.values() if issubclass(cls, ValueError)]

    assert value_errors == ["InvalidArgumentError"]


def test_error_attributes_and_pickle() -> None:
    error = libcheckout.NoEntitlementsAllowedError(
        "NoEntitlementsAllowedException: exhausted", [{"name": "Seats", "reason": "exhausted"}]
    )

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is libcheckout.NoEntitlementsAllowedError
    assert str(copy) == "NoEntitlementsAllowedException: exhausted"
    assert copy.reasons == [{"name": "Seats", "reason": "exhausted"}]
    assert copy.status == 401
    assert copy.code == "LM_STATUS_NO_ENTITLEMENTS_ALLOWED"


def test_unknown_status_falls_back_to_license_error() -> None:
    error = errors._from_status(999, "LM_STATUS_FUTURE", "from a newer core", [])

    assert type(error) is libcheckout.LicenseError
    assert error.status == 999
    assert error.code == "LM_STATUS_FUTURE"
    assert error.reasons == []


def test_raised_error_has_empty_reasons(verifier: libcheckout.Verifier) -> None:
    with pytest.raises(libcheckout.TokenMalformedError) as raised:
        verifier.verify("a.b")

    assert raised.value.reasons == []
    assert raised.value.status == 300
    assert raised.value.code == "LM_STATUS_TOKEN_MALFORMED"
