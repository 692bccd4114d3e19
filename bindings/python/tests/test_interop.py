"""Interoperability with PyJWT, joserfc and cryptography, in both directions."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jws as joserfc_jws
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet, RSAKey

import libcheckout
from helpers import checkout_claims

HASHES = {"PS256": hashes.SHA256, "PS384": hashes.SHA384, "PS512": hashes.SHA512}


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.fixture(scope="module")
def foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def foreign_public_pem(foreign_key: rsa.RSAPrivateKey) -> bytes:
    return foreign_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fresh_claims() -> dict:
    now = int(time.time())
    return checkout_claims(now, now + 3600)


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_pyjwt_token_verifies_here(foreign_key: rsa.RSAPrivateKey, foreign_public_pem: bytes, alg: str) -> None:
    claims = fresh_claims()
    token = jwt.encode(claims, foreign_key, algorithm=alg, headers={"kid": "vendor-1"})

    verified = libcheckout.Verifier.from_pem(foreign_public_pem).verify(token, node_id="100.20.15.10")

    assert verified.header == {"alg": alg, "kid": "vendor-1", "typ": "JWT"}
    assert verified.claims == claims


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_joserfc_token_verifies_here(foreign_public_pem: bytes, foreign_key: rsa.RSAPrivateKey, alg: str) -> None:
    private_pem = foreign_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = RSAKey.import_key(private_pem, parameters={"kid": "vendor-2"})
    claims = fresh_claims()
    token = joserfc_jwt.encode({"alg": alg, "kid": "vendor-2"}, claims, key, algorithms=[alg])

    jwks = KeySet([RSAKey.import_key(foreign_public_pem, parameters={"kid": "vendor-2"})]).as_dict(private=False)
    verified = libcheckout.Verifier.from_jwks(jwks).verify(token)

    assert verified.header["kid"] == "vendor-2"
    assert verified.claims == claims


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_cryptography_signature_verifies_here(
    foreign_key: rsa.RSAPrivateKey, foreign_public_pem: bytes, alg: str
) -> None:
    header = b64encode(json.dumps({"alg": alg}).encode())
    payload = b64encode(b"signed by cryptography")
    hash_type = HASHES[alg]
    signature = foreign_key.sign(
        f"{header}.{payload}".encode(),
        padding.PSS(mgf=padding.MGF1(hash_type()), salt_length=hash_type.digest_size),
        hash_type(),
    )

    verified = libcheckout.Verifier.from_pem(foreign_public_pem).verify(
        f"{header}.{payload}.{b64encode(signature)}", profile="jws"
    )

    assert verified.payload == b"signed by cryptography"


def test_cryptography_max_salt_rejected(foreign_key: rsa.RSAPrivateKey, foreign_public_pem: bytes) -> None:
    header = b64encode(b'{"alg":"PS256"}')
    payload = b64encode(b"wrong salt")
    signature = foreign_key.sign(
        f"{header}.{payload}".encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH),
        hashes.SHA256(),
    )

    with pytest.raises(libcheckout.SignatureInvalidError):
        libcheckout.Verifier.from_pem(foreign_public_pem).verify(
            f"{header}.{payload}.{b64encode(signature)}", profile="jws"
        )


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_our_token_verifies_in_pyjwt(signer: libcheckout.Signer, alg: str) -> None:
    claims = fresh_claims()
    token = signer.sign(claims, algorithm=alg)

    decoded = jwt.decode(token, signer.public_key_pem(), algorithms=[alg])

    assert decoded == claims
    assert jwt.get_unverified_header(token)["kid"] == signer.kid


def test_pyjwt_enforces_our_exp(signer: libcheckout.Signer) -> None:
    token = signer.sign(checkout_claims(1000, 2000))

    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, signer.public_key_pem(), algorithms=["PS256"])


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_our_token_verifies_in_joserfc(signer: libcheckout.Signer, alg: str) -> None:
    token = signer.sign(b"document bytes", algorithm=alg)
    key = RSAKey.import_key(signer.public_jwk())

    decoded = joserfc_jws.deserialize_compact(token, key, algorithms=[alg])

    assert decoded.payload == b"document bytes"
    assert decoded.protected == {"alg": alg, "kid": signer.kid}
    assert key.thumbprint() == signer.kid


def test_checkout_token_verifies_in_pyjwt_and_joserfc(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer
) -> None:
    from helpers import borrow_request

    token = store.checkout(signer, borrow_request(license_arn))["SignedToken"]

    decoded = jwt.decode(token, signer.public_key_pem(), algorithms=["PS384"])
    joserfc_decoded = joserfc_jwt.decode(token, RSAKey.import_key(signer.public_jwk()), algorithms=["PS384"])

    assert decoded["licenseArn"] == license_arn
    assert decoded["exp"] - decoded["iat"] == 4320 * 60
    assert joserfc_decoded.claims == decoded


@pytest.mark.parametrize("alg", sorted(HASHES))
def test_our_signature_verifies_in_cryptography(signer: libcheckout.Signer, alg: str) -> None:
    token = signer.sign(b"raw", algorithm=alg)
    header, payload, signature = token.split(".")
    public = serialization.load_pem_public_key(signer.public_key_pem().encode())
    assert isinstance(public, rsa.RSAPublicKey)
    hash_type = HASHES[alg]
    pss = padding.PSS(mgf=padding.MGF1(hash_type()), salt_length=hash_type.digest_size)

    public.verify(b64decode(signature), f"{header}.{payload}".encode(), pss, hash_type())

    with pytest.raises(InvalidSignature):
        public.verify(b64decode(signature), f"{header}.{payload}x".encode(), pss, hash_type())
