"""Signer: loading, generation, key export and signing."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

import libcheckout


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def header_of(token: str) -> dict:
    return json.loads(b64decode(token.split(".")[0]))


@pytest.fixture(scope="module")
def foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "encoding, private_format",
    [
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8),
        (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8),
        (serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL),
    ],
)
def test_from_pem_reads_each_format(foreign_key: rsa.RSAPrivateKey, encoding, private_format) -> None:
    key_bytes = foreign_key.private_bytes(encoding, private_format, serialization.NoEncryption())
    expected_kid = RSAKey.import_key(foreign_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )).thumbprint()

    signer = libcheckout.Signer.from_pem(key_bytes)

    assert signer.kid == expected_kid
    assert signer.algorithm == "PS256"


def test_from_pem_accepts_str_bytearray_memoryview(signer: libcheckout.Signer) -> None:
    pem = signer.private_key_pem()

    for key_input in (pem, pem.encode(), bytearray(pem.encode()), memoryview(pem.encode())):
        assert libcheckout.Signer.from_pem(key_input).kid == signer.kid


def test_from_pem_sets_algorithm(signer: libcheckout.Signer) -> None:
    loaded = libcheckout.Signer.from_pem(signer.private_key_pem(), "PS512")

    assert loaded.algorithm == "PS512"
    assert header_of(loaded.sign(b"x"))["alg"] == "PS512"


def test_from_pem_rejects_public_key(signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.Signer.from_pem(signer.public_key_pem())

    assert raised.value.status == 200
    assert "private key" in str(raised.value)


def test_from_pem_rejects_garbage() -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.Signer.from_pem(b"not a key")

    assert raised.value.code == "LM_STATUS_KEY_INVALID"


def test_from_pem_rejects_small_key() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.Signer.from_pem(pem)

    assert "1024" in str(raised.value)


def test_from_pem_rejects_unknown_algorithm(signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.UnsupportedSignatureMethodError) as raised:
        libcheckout.Signer.from_pem(signer.private_key_pem(), "RS256")

    assert raised.value.status == 201


def test_from_pem_rejects_wrong_type() -> None:
    with pytest.raises(TypeError):
        libcheckout.Signer.from_pem(12345)  # type: ignore[arg-type]


def test_generate_3072_with_algorithm() -> None:
    signer = libcheckout.Signer.generate(3072, "PS384")
    public = serialization.load_pem_public_key(signer.public_key_pem().encode())

    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 3072
    assert signer.algorithm == "PS384"


def test_generate_rejects_odd_size() -> None:
    with pytest.raises(libcheckout.InvalidArgumentError) as raised:
        libcheckout.Signer.generate(1024)

    assert "1024" in str(raised.value)


def test_kid_is_rfc7638_thumbprint(signer: libcheckout.Signer) -> None:
    expected = RSAKey.import_key(signer.public_key_pem()).thumbprint()

    assert signer.kid == expected
    assert len(signer.kid) == 43


def test_public_jwk_members(signer: libcheckout.Signer) -> None:
    jwk = signer.public_jwk()
    public = serialization.load_pem_public_key(signer.public_key_pem().encode())
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()

    assert sorted(jwk) == ["e", "kid", "kty", "n", "use"]
    assert jwk["kid"] == signer.kid
    assert jwk["kty"] == "RSA"
    assert jwk["use"] == "sig"
    assert jwk["e"] == "AQAB"
    assert int.from_bytes(b64decode(jwk["n"]), "big") == numbers.n


def test_private_key_pem_round_trips(signer: libcheckout.Signer) -> None:
    pem = signer.private_key_pem()
    loaded = serialization.load_pem_private_key(pem.encode(), password=None)

    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert libcheckout.Signer.from_pem(pem).kid == signer.kid


def test_sign_dict_sets_typ(signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    token = signer.sign({"licenseArn": "arn:x", "count": 2})

    assert header_of(token) == {"alg": "PS256", "typ": "JWT", "kid": signer.kid}
    assert verifier.verify(token, profile="jws").payload == b'{"licenseArn":"arn:x","count":2}'


def test_sign_bytes_and_str_omit_typ(signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    for payload, expected in ((b"\x00\xffraw", b"\x00\xffraw"), ("caf\u00e9", "caf\u00e9".encode())):
        token = signer.sign(payload)

        assert header_of(token) == {"alg": "PS256", "kid": signer.kid}
        assert verifier.verify(token, profile="jws").payload == expected


def test_sign_algorithm_override(signer: libcheckout.Signer, verifier: libcheckout.Verifier) -> None:
    token = signer.sign(b"doc", algorithm="PS512")

    assert header_of(token)["alg"] == "PS512"
    assert verifier.verify(token, profile="jws", algorithms=["PS512"]).header["alg"] == "PS512"


def test_sign_rejects_wrong_payload_type(signer: libcheckout.Signer) -> None:
    with pytest.raises(TypeError):
        signer.sign(3.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        signer.sign({"not json": object()})


def test_sign_rejects_nan(signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.InvalidArgumentError):
        signer.sign({"value": float("nan")})


def test_repr_hides_private_key(signer: libcheckout.Signer) -> None:
    text = repr(signer)

    assert text == f'Signer(kid="{signer.kid}", algorithm="PS256")'
    assert "PRIVATE" not in text


def test_signer_is_final() -> None:
    with pytest.raises(TypeError):
        type("Sub", (libcheckout.Signer,), {})


def test_generate_defaults() -> None:
    signer = libcheckout.Signer.generate()
    public = serialization.load_pem_public_key(signer.public_key_pem().encode())

    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert public.public_numbers().e == 65537
    assert signer.algorithm == "PS256"
