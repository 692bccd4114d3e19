"""libcheckout: signed license checkouts with offline verification.

An issuer signs checkout tokens (JWS with RSASSA-PSS: PS256, PS384 or PS512) from a license
store with a ``Signer``; a product verifies them offline with a ``Verifier`` that holds only
the issuer's public key. A ``PublicKey`` checks RSASSA-PSS signatures over raw messages.
Failures raise subclasses of ``LicenseError``.
"""

from libcheckout._native import PublicKey, Signer, Store, VerifiedToken, Verifier, __version__
from libcheckout.errors import (
    CheckoutError,
    ConflictError,
    EntitlementMissingError,
    EntitlementNotAllowedError,
    InternalError,
    InvalidArgumentError,
    InvalidKeyError,
    LicenseError,
    NodeMismatchError,
    NoEntitlementsAllowedError,
    NotFoundError,
    SignatureInvalidError,
    SignerError,
    StoreError,
    TokenError,
    TokenExpiredError,
    TokenMalformedError,
    TokenNotYetValidError,
    UnsupportedSignatureMethodError,
    ValidationError,
)

__all__ = [
    "PublicKey",
    "Signer",
    "Store",
    "VerifiedToken",
    "Verifier",
    "__version__",
    "CheckoutError",
    "ConflictError",
    "EntitlementMissingError",
    "EntitlementNotAllowedError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidKeyError",
    "LicenseError",
    "NodeMismatchError",
    "NoEntitlementsAllowedError",
    "NotFoundError",
    "SignatureInvalidError",
    "SignerError",
    "StoreError",
    "TokenError",
    "TokenExpiredError",
    "TokenMalformedError",
    "TokenNotYetValidError",
    "UnsupportedSignatureMethodError",
    "ValidationError",
]
