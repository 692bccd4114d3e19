"""PublicKey: loading, export, and RSASSA-PSS verification over raw messages."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import libcheckout

HASHES = {"PS256": hashes.SHA256, "PS384": hashes.SHA384, "PS512": hashes.SHA512}
MESSAGE = b"license file contents"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def key(public_pem: bytes) -> libcheckout.PublicKey:
    return libcheckout.PublicKey.from_pem(public_pem)


def pss_sign(private_key: rsa.RSAPrivateKey, alg: str, message: bytes) -> bytes:
    """Sign with RSASSA-PSS as the PS algorithms define it: MGF1 over the same hash, salt as long as the hash."""
    algorithm = HASHES[alg]()
    return private_key.sign(
        message, padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH), algorithm
    )


def jwk_of(private_key: rsa.RSAPrivateKey, **members: str) -> Dict[str, Any]:
    numbers = private_key.public_key().public_numbers()

    def encode(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return {"kty": "RSA", "n": encode(numbers.n), "e": encode(numbers.e), **members}


def test_from_pem_matches_signer(signer: libcheckout.Signer) -> None:
    key = libcheckout.PublicKey.from_pem(signer.public_key_pem())

    assert key.kid == signer.kid
    assert key.bits == 2048
    assert key.to_pem() == signer.public_key_pem()
    assert key.to_jwk() == signer.public_jwk()
    assert repr(key) == f'PublicKey(kid="{signer.kid}", bits=2048)'


def test_from_pem_accepts_every_form(private_key: rsa.RSAPrivateKey, key: libcheckout.PublicKey) -> None:
    public = private_key.public_key()
    forms = {
        "SPKI PEM str": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "SPKI DER": public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "PKCS#1 PEM": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        "PKCS#1 DER bytearray": bytearray(public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)),
    }

    for form, encoded in forms.items():
        assert libcheckout.PublicKey.from_pem(encoded).kid == key.kid, form


def test_from_jwk_accepts_dict_str_bytes(private_key: rsa.RSAPrivateKey, key: libcheckout.PublicKey) -> None:
    jwk = jwk_of(private_key, kid="vendor-1")

    for form in (jwk, json.dumps(jwk), json.dumps(jwk).encode(), {"keys": [jwk]}):
        loaded = libcheckout.PublicKey.from_jwk(form)  # type: ignore[arg-type]
        assert loaded.kid == key.kid
        assert loaded.to_jwk() == key.to_jwk()


def test_to_jwk_members(key: libcheckout.PublicKey, private_key: rsa.RSAPrivateKey) -> None:
    jwk = key.to_jwk()

    assert list(jwk) == ["kid", "kty", "n", "e", "use"]
    assert jwk["kty"] == "RSA"
    assert jwk["e"] == "AQAB"
    assert jwk["use"] == "sig"
    assert jwk["n"] == jwk_of(private_key)["n"]
    assert len(key.kid) == 43


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_verify_cryptography_signature(private_key: rsa.RSAPrivateKey, key: libcheckout.PublicKey, alg: str) -> None:
    signature = pss_sign(private_key, alg, MESSAGE)

    assert key.verify(alg, MESSAGE, signature) is True
    assert key.verify(alg, memoryview(MESSAGE), bytearray(signature)) is True
    assert key.verify(alg, MESSAGE + b".", signature) is False
    assert key.verify(alg, MESSAGE, signature[:-1]) is False
    assert key.verify(alg, MESSAGE, signature + b"\0") is False
    assert key.verify(alg, MESSAGE, bytes(len(signature))) is False
    assert key.verify(alg, MESSAGE, b"") is False


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_verify_other_algorithm_false(private_key: rsa.RSAPrivateKey, key: libcheckout.PublicKey, alg: str) -> None:
    signature = pss_sign(private_key, alg, MESSAGE)
    others = [other for other in HASHES if other != alg]

    assert [key.verify(other, MESSAGE, signature) for other in others] == [False, False]


def test_verify_rejects_other_salt(private_key: rsa.RSAPrivateKey, key: libcheckout.PublicKey) -> None:
    # PS256 fixes the salt at 32 bytes, so RSASSA-PSS with an empty or maximal salt is rejected.
    for salt_length in (0, padding.PSS.MAX_LENGTH):
        signature = private_key.sign(
            MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length), hashes.SHA256()
        )
        assert key.verify("PS256", MESSAGE, signature) is False, salt_length


def test_verify_token_signing_input(signer: libcheckout.Signer) -> None:
    token = signer.sign(b"payload", algorithm="PS512")
    header, payload, signature = token.split(".")
    key = libcheckout.PublicKey.from_jwk(signer.public_jwk())

    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert key.verify("PS512", f"{header}.{payload}".encode(), raw_signature) is True
    assert key.verify("PS512", payload.encode(), raw_signature) is False


def test_jwk_alg_restricts_key(private_key: rsa.RSAPrivateKey) -> None:
    key = libcheckout.PublicKey.from_jwk(jwk_of(private_key, alg="PS384"))

    assert key.verify("PS384", MESSAGE, pss_sign(private_key, "PS384", MESSAGE)) is True
    assert key.verify("PS256", MESSAGE, pss_sign(private_key, "PS256", MESSAGE)) is False
    # The exported JWK never carries "alg", like every JWK libcheckout writes.
    assert "alg" not in key.to_jwk()


def test_verify_unknown_algorithm(key: libcheckout.PublicKey) -> None:
    for name in ("RS256", "none", "ps256", ""):
        with pytest.raises(libcheckout.UnsupportedSignatureMethodError) as raised:
            key.verify(name, MESSAGE, b"\0" * 256)
        assert raised.value.status == 201, name


def test_verify_wrong_types(key: libcheckout.PublicKey) -> None:
    cases: Dict[str, Dict[str, Any]] = {
        "message str": {"algorithm": "PS256", "message": "text", "signature": b""},
        "signature str": {"algorithm": "PS256", "message": b"", "signature": "c2ln"},
        "signature None": {"algorithm": "PS256", "message": b"", "signature": None},
        "message int": {"algorithm": "PS256", "message": 5, "signature": b""},
        "algorithm bytes": {"algorithm": b"PS256", "message": b"", "signature": b""},
    }

    for name, arguments in cases.items():
        with pytest.raises(TypeError) as raised:
            key.verify(**arguments)
        assert type(raised.value) is TypeError, name

    with pytest.raises(TypeError, match="message must be bytes-like, not str"):
        key.verify("PS256", "text", b"")  # type: ignore[arg-type]


def test_from_pem_rejects_private_key(signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.PublicKey.from_pem(signer.private_key_pem())

    assert raised.value.status == 200
    # The message must not echo the key material.
    assert "MII" not in str(raised.value)


def test_from_pem_rejects_bad_input() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    small_pem = small.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    for name, value in {"garbage": b"not a key", "empty": b"", "1024 bits": small_pem}.items():
        with pytest.raises(libcheckout.InvalidKeyError) as raised:
            libcheckout.PublicKey.from_pem(value)
        assert raised.value.status == 200, name

    with pytest.raises(TypeError):
        libcheckout.PublicKey.from_pem(None)  # type: ignore[arg-type]


def test_from_jwk_rejects_bad_input(private_key: rsa.RSAPrivateKey, other_signer: libcheckout.Signer) -> None:
    jwk = jwk_of(private_key)
    two_keys = {"keys": [jwk, other_signer.public_jwk()]}
    cases: Dict[str, Any] = {
        "two keys": two_keys,
        "private": {**jwk, "d": "AQAB"},
        "encryption key": {**jwk, "use": "enc"},
        "RS256 key": {**jwk, "alg": "RS256"},
        "no kty": {"n": jwk["n"], "e": "AQAB"},
        "EC key": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
    }

    for name, value in cases.items():
        with pytest.raises(libcheckout.InvalidKeyError) as raised:
            libcheckout.PublicKey.from_jwk(value)
        assert raised.value.status == 200, name

    with pytest.raises(libcheckout.InvalidKeyError, match="JWKS has 2 keys but PublicKey.from_jwk loads one"):
        libcheckout.PublicKey.from_jwk(two_keys)
    with pytest.raises(libcheckout.InvalidArgumentError):
        libcheckout.PublicKey.from_jwk("{not json")
    with pytest.raises(TypeError):
        libcheckout.PublicKey.from_jwk(42)  # type: ignore[arg-type]
