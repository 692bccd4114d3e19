"""Exceptions raised by libcheckout, one class per status of the C ABI.

Every exception has ``code`` (the C constant name, such as ``"LM_STATUS_NODE_MISMATCH"``),
``status`` (its number) and ``reasons``. For checkout refusals, ``reasons`` lists one
``{"name": ..., "reason": ...}`` dict per refused entitlement, and it is empty otherwise.
Wrong argument types raise the built-in ``TypeError`` instead.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Type

__all__ = [
    "LicenseError",
    "InvalidArgumentError",
    "ValidationError",
    "InvalidKeyError",
    "UnsupportedSignatureMethodError",
    "StoreError",
    "SignerError",
    "InternalError",
    "TokenError",
    "TokenMalformedError",
    "SignatureInvalidError",
    "TokenExpiredError",
    "TokenNotYetValidError",
    "NodeMismatchError",
    "EntitlementMissingError",
    "CheckoutError",
    "NotFoundError",
    "NoEntitlementsAllowedError",
    "EntitlementNotAllowedError",
    "ConflictError",
]


class LicenseError(Exception):
    """Base class of every libcheckout failure."""

    #: The C constant name of the status.
    code: str = "LM_STATUS_UNKNOWN"
    #: The status number of the C ABI.
    status: int = 0

    def __init__(self, message: str, reasons: Optional[Sequence[Mapping[str, str]]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.reasons: List[Dict[str, str]] = [dict(reason) for reason in reasons or ()]

    def __reduce__(self) -> Any:
        # Keeps the reasons when the exception is pickled, for example by multiprocessing.
        return (type(self), (self.message, self.reasons))


class InvalidArgumentError(LicenseError, ValueError):
    """Input is not UTF-8 or not JSON, an option is unknown or out of range, or the store is closed."""

    code = "LM_STATUS_INVALID_ARGUMENT"
    status = 100


class ValidationError(LicenseError):
    """A request breaks a documented constraint (AWS ValidationException)."""

    code = "LM_STATUS_VALIDATION"
    status = 101


class InvalidKeyError(LicenseError):
    """A key is unreadable, of the wrong kind, or rejected by the key policy."""

    code = "LM_STATUS_KEY_INVALID"
    status = 200


class UnsupportedSignatureMethodError(LicenseError):
    """An algorithm is not PS256, PS384 or PS512, or not in the allowed list."""

    code = "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD"
    status = 201


class StoreError(LicenseError):
    """The store failed (I/O or database)."""

    code = "LM_STATUS_STORE"
    status = 500


class SignerError(LicenseError):
    """The HSM, KMS or callback failed, or its signature did not verify."""

    code = "LM_STATUS_SIGNER"
    status = 501


class InternalError(LicenseError):
    """A bug in libcheckout."""

    code = "LM_STATUS_INTERNAL"
    status = 900


class TokenError(LicenseError):
    """Base class of verification failures."""


class TokenMalformedError(TokenError):
    """The token's size, structure, encoding, header or claims are invalid."""

    code = "LM_STATUS_TOKEN_MALFORMED"
    status = 300


class SignatureInvalidError(TokenError):
    """No trusted key matches, or the signature does not verify."""

    code = "LM_STATUS_SIGNATURE_INVALID"
    status = 301


class TokenExpiredError(TokenError):
    """The token's expiration has passed."""

    code = "LM_STATUS_TOKEN_EXPIRED"
    status = 302


class TokenNotYetValidError(TokenError):
    """The token's issuedAt lies in the future."""

    code = "LM_STATUS_TOKEN_NOT_YET_VALID"
    status = 303


class NodeMismatchError(TokenError):
    """The token's nodeId is missing or differs from the expected node."""

    code = "LM_STATUS_NODE_MISMATCH"
    status = 304


class EntitlementMissingError(TokenError):
    """A required entitlement is absent from the token or too small."""

    code = "LM_STATUS_ENTITLEMENT_MISSING"
    status = 305


class CheckoutError(LicenseError):
    """Base class of refused license operations."""


class NotFoundError(CheckoutError):
    """Unknown license or consumption token."""

    code = "LM_STATUS_NOT_FOUND"
    status = 400


class NoEntitlementsAllowedError(CheckoutError):
    """Nothing requested is available, or the license is exhausted or outside its validity."""

    code = "LM_STATUS_NO_ENTITLEMENTS_ALLOWED"
    status = 401


class EntitlementNotAllowedError(CheckoutError):
    """A borrowed entitlement is unknown or of another unit."""

    code = "LM_STATUS_ENTITLEMENT_NOT_ALLOWED"
    status = 402


class ConflictError(CheckoutError):
    """A ClientToken was reused with another request, or a check-in was refused."""

    code = "LM_STATUS_CONFLICT"
    status = 403


def _concrete_classes() -> Dict[int, Type[LicenseError]]:
    classes: Dict[int, Type[LicenseError]] = {}
    pending = list(LicenseError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "status" in vars(cls):
            classes[cls.status] = cls
    return classes


#: The exception class of each status.
BY_STATUS: Dict[int, Type[LicenseError]] = _concrete_classes()


def _from_status(status: int, code: str, message: str, reasons: List[Dict[str, str]]) -> LicenseError:
    """Build the exception the native module raises for a status."""
    cls = BY_STATUS.get(status)
    if cls is not None:
        return cls(message, reasons)

    # A status newer than this module: keep its number and name on a plain LicenseError.
    error = LicenseError(message, reasons)
    error.status = status
    error.code = code
    return error
