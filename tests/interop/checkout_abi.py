"""ctypes bindings to the C ABI of libcheckout, for the cross-implementation tests.

Only the calls these tests need are declared. Every fallible call returns a
uint32 status. A non-zero status raises LmError with the number, its constant
name from lm_status_name and this thread's lm_last_error_message.
"""

from __future__ import annotations

import ctypes
import json
from pathlib import Path
from typing import Any

LM_STATUS_OK = 0


class LmBuffer(ctypes.Structure):
    """The library's `lm_buffer { uint8_t *data; size_t len; }`."""

    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8)), ("len", ctypes.c_size_t)]


class LmError(Exception):
    """A call returned a status other than LM_STATUS_OK."""

    def __init__(self, function: str, status: int, name: str, message: str) -> None:
        super().__init__(f"{function} returned {status} ({name}): {message}")
        self.function = function
        self.status = status
        self.name = name
        self.message = message


_HANDLE = ctypes.c_void_p
_HANDLE_OUT = ctypes.POINTER(ctypes.c_void_p)
_BUFFER_OUT = ctypes.POINTER(LmBuffer)
_STATUS = ctypes.c_uint32
_BYTES = ctypes.c_char_p
_SIZE = ctypes.c_size_t

# Argument and result types of each function, as the C header declares them.
_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "lm_generate_key": ([ctypes.c_uint32, _BUFFER_OUT], _STATUS),
    "lm_signer_from_pem": ([_BYTES, _SIZE, ctypes.c_char_p, _HANDLE_OUT], _STATUS),
    "lm_signer_free": ([_HANDLE], None),
    "lm_sign": ([_HANDLE, _BYTES, _SIZE, _BUFFER_OUT], _STATUS),
    "lm_signer_public_jwk": ([_HANDLE, _BUFFER_OUT], _STATUS),
    "lm_signer_public_key_pem": ([_HANDLE, _BUFFER_OUT], _STATUS),
    "lm_verifier_from_pem": ([_BYTES, _SIZE, _HANDLE_OUT], _STATUS),
    "lm_verifier_from_jwks": ([_BYTES, _SIZE, _HANDLE_OUT], _STATUS),
    "lm_verifier_free": ([_HANDLE], None),
    "lm_verify": ([_HANDLE, _BYTES, _SIZE, ctypes.c_char_p, _BUFFER_OUT], _STATUS),
    "lm_store_open": ([ctypes.c_char_p, _HANDLE_OUT], _STATUS),
    "lm_store_close": ([_HANDLE], None),
    "lm_create_license": ([_HANDLE, _BYTES, _SIZE, _BUFFER_OUT], _STATUS),
    "lm_checkout": ([_HANDLE, _HANDLE, _BYTES, _SIZE, _BUFFER_OUT], _STATUS),
    "lm_buffer_free": ([_BUFFER_OUT], None),
    "lm_last_error_message": ([], ctypes.c_char_p),
    "lm_status_name": ([ctypes.c_uint32], ctypes.c_char_p),
}


class Library:
    """A loaded libcheckout.so with typed wrappers around its C functions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cdll = ctypes.CDLL(str(path))

        for name, (argtypes, restype) in _SIGNATURES.items():
            function = getattr(self._cdll, name)
            function.argtypes = argtypes
            function.restype = restype

    def status_name(self, status: int) -> str:
        return self._cdll.lm_status_name(status).decode("utf-8")

    def last_error_message(self) -> str:
        return self._cdll.lm_last_error_message().decode("utf-8")

    def check(self, function: str, status: int) -> None:
        """Raise LmError for a non-zero status, reading the detail text at once.

        The detail text is per thread and is replaced by the next failing call,
        so it is read before anything else runs.
        """
        if status != LM_STATUS_OK:
            raise LmError(function, status, self.status_name(status), self.last_error_message())

    def take_buffer(self, buffer: LmBuffer) -> bytes:
        """Copy a buffer the library returned, check its NUL terminator and free it."""
        try:
            if not buffer.data:
                raise AssertionError("the library returned a buffer with NULL data on success")
            content = ctypes.string_at(buffer.data, buffer.len + 1)
            if content[-1] != 0:
                raise AssertionError("the library returned a buffer without a NUL after len")
            return content[:-1]
        finally:
            self._cdll.lm_buffer_free(ctypes.byref(buffer))

    def generate_key(self, bits: int) -> bytes:
        """Return a new RSA private key as PKCS#8 PEM."""
        buffer = LmBuffer()
        self.check("lm_generate_key", self._cdll.lm_generate_key(bits, ctypes.byref(buffer)))
        return self.take_buffer(buffer)

    def signer_from_pem(self, pem: bytes, alg: str | None) -> Signer:
        handle = ctypes.c_void_p()
        alg_text = None if alg is None else alg.encode("ascii")
        status = self._cdll.lm_signer_from_pem(pem, len(pem), alg_text, ctypes.byref(handle))
        self.check("lm_signer_from_pem", status)
        return Signer(self, handle)

    def verifier_from_pem(self, key: bytes) -> Verifier:
        """Load a verifier from a PEM or DER public key."""
        handle = ctypes.c_void_p()
        status = self._cdll.lm_verifier_from_pem(key, len(key), ctypes.byref(handle))
        self.check("lm_verifier_from_pem", status)
        return Verifier(self, handle)

    def verifier_from_jwks(self, jwks: bytes | dict[str, Any]) -> Verifier:
        """Load a verifier from a JWKS or a single JWK, given as JSON bytes or a dict."""
        if isinstance(jwks, dict):
            jwks = json.dumps(jwks).encode("utf-8")
        handle = ctypes.c_void_p()
        status = self._cdll.lm_verifier_from_jwks(jwks, len(jwks), ctypes.byref(handle))
        self.check("lm_verifier_from_jwks", status)
        return Verifier(self, handle)

    def store_open(self, location: str) -> Store:
        handle = ctypes.c_void_p()
        status = self._cdll.lm_store_open(location.encode("utf-8"), ctypes.byref(handle))
        self.check("lm_store_open", status)
        return Store(self, handle)


class _Handle:
    """An owned library handle, released by close() or at the end of a with block."""

    _free_function = ""

    def __init__(self, library: Library, handle: ctypes.c_void_p) -> None:
        if not handle.value:
            raise AssertionError(f"{type(self).__name__}: the library returned a NULL handle on success")
        self.library = library
        self.handle = handle

    def close(self) -> None:
        if self.handle.value:
            getattr(self.library._cdll, self._free_function)(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Signer(_Handle):
    _free_function = "lm_signer_free"

    def sign(self, payload: bytes) -> str:
        """Sign payload and return the compact JWS."""
        buffer = LmBuffer()
        status = self.library._cdll.lm_sign(self.handle, payload, len(payload), ctypes.byref(buffer))
        self.library.check("lm_sign", status)
        return self.library.take_buffer(buffer).decode("ascii")

    def public_jwk(self) -> dict[str, Any]:
        buffer = LmBuffer()
        status = self.library._cdll.lm_signer_public_jwk(self.handle, ctypes.byref(buffer))
        self.library.check("lm_signer_public_jwk", status)
        return json.loads(self.library.take_buffer(buffer))

    def public_key_pem(self) -> bytes:
        """Return the public key as SubjectPublicKeyInfo PEM."""
        buffer = LmBuffer()
        status = self.library._cdll.lm_signer_public_key_pem(self.handle, ctypes.byref(buffer))
        self.library.check("lm_signer_public_key_pem", status)
        return self.library.take_buffer(buffer)


class Verifier(_Handle):
    _free_function = "lm_verifier_free"

    def verify(self, token: str | bytes, options: dict[str, Any] | None = None) -> bytes:
        """Return the payload bytes of a token that passes lm_verify, else raise LmError."""
        if isinstance(token, str):
            token = token.encode("ascii")
        options_text = None if options is None else json.dumps(options).encode("utf-8")
        buffer = LmBuffer()
        status = self.library._cdll.lm_verify(
            self.handle, token, len(token), options_text, ctypes.byref(buffer)
        )
        self.library.check("lm_verify", status)
        return self.library.take_buffer(buffer)


class Store(_Handle):
    _free_function = "lm_store_close"

    def _call(self, function: str, request: dict[str, Any], *signer: Signer) -> dict[str, Any]:
        body = json.dumps(request).encode("utf-8")
        buffer = LmBuffer()
        signer_handles = [s.handle for s in signer]
        status = getattr(self.library._cdll, function)(
            self.handle, *signer_handles, body, len(body), ctypes.byref(buffer)
        )
        self.library.check(function, status)
        return json.loads(self.library.take_buffer(buffer))

    def create_license(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._call("lm_create_license", request)

    def checkout(self, signer: Signer, request: dict[str, Any]) -> dict[str, Any]:
        return self._call("lm_checkout", request, signer)
