"""Type stubs of the native module; the docstrings live on the runtime objects."""

import datetime
import os
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Sequence, Type, Union, final

__all__ = ["STATUS_CODES", "Signer", "Store", "VerifiedToken", "Verifier", "__version__"]

__version__: str

#: Every status the core returns, mapped to its C constant name.
STATUS_CODES: Dict[int, str]

_BytesLike = Union[bytes, bytearray, memoryview]
_Text = Union[str, _BytesLike]
_Json = Union[Mapping[str, Any], str, _BytesLike]
_Now = Union[datetime.datetime, int, float, str]

@final
class Signer:
    @staticmethod
    def from_pem(pem: _Text, algorithm: Optional[str] = None) -> Signer: ...
    @staticmethod
    def generate(bits: int = 2048, algorithm: Optional[str] = None) -> Signer: ...
    @property
    def kid(self) -> str: ...
    @property
    def algorithm(self) -> str: ...
    def public_key_pem(self) -> str: ...
    def public_jwk(self) -> Dict[str, str]: ...
    def private_key_pem(self) -> str: ...
    def sign(self, payload: Union[_Text, Mapping[str, Any]], *, algorithm: Optional[str] = None) -> str: ...

@final
class VerifiedToken:
    @property
    def header(self) -> Dict[str, Any]: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def claims(self) -> Optional[Dict[str, Any]]: ...

@final
class Verifier:
    @staticmethod
    def from_pem(pem: _Text) -> Verifier: ...
    @staticmethod
    def from_jwks(jwks: _Json) -> Verifier: ...
    def verify(
        self,
        token: _Text,
        *,
        profile: str = "license",
        now: Optional[_Now] = None,
        leeway_seconds: int = 60,
        node_id: Optional[str] = None,
        algorithms: Optional[Sequence[str]] = None,
        require_entitlements: Optional[Sequence[Mapping[str, Union[str, int, None]]]] = None,
        max_token_bytes: Optional[int] = None,
    ) -> VerifiedToken: ...

@final
class Store:
    def __new__(
        cls,
        location: Union[str, "os.PathLike[str]"],
        *,
        account_id: Optional[str] = None,
        synchronous: Optional[str] = None,
    ) -> Store: ...
    @property
    def account_id(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool: ...
    def create_license(self, request: _Json) -> Dict[str, Any]: ...
    def get_license(self, request: _Json) -> Dict[str, Any]: ...
    def get_license_usage(self, request: _Json) -> Dict[str, Any]: ...
    def list_license_consumptions(self, request: _Json) -> Dict[str, Any]: ...
    def checkout(self, signer: Signer, request: _Json) -> Dict[str, Any]: ...
    def check_in(self, request: _Json) -> Dict[str, Any]: ...
    def extend_license_consumption(self, signer: Signer, request: _Json) -> Dict[str, Any]: ...
