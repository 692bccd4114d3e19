"""RSA key pairs made by tools other than libcheckout."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class ForeignKey:
    """A private key, its PEM forms and the tool that made it."""

    source: str
    private_key: rsa.RSAPrivateKey
    private_pem: bytes
    public_pem: bytes


def generate_with_openssl(openssl: str, directory: Path) -> ForeignKey:
    """Make a 2048-bit key with `openssl genpkey` and its public key with `openssl pkey -pubout`."""
    private_path = directory / "key.pem"
    public_path = directory / "pub.pem"
    subprocess.run(
        [openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(private_path)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [openssl, "pkey", "-in", str(private_path), "-pubout", "-out", str(public_path)],
        check=True,
        capture_output=True,
    )

    private_pem = private_path.read_bytes()
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return ForeignKey("openssl", private_key, private_pem, public_path.read_bytes())


def generate_with_cryptography() -> ForeignKey:
    """Make a 2048-bit key with `cryptography`, as PKCS#8 and SubjectPublicKeyInfo PEM."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ForeignKey("cryptography", private_key, private_pem, public_pem)
