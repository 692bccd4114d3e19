"""The KMS example against the moto KMS emulator on loopback.

moto (the version pinned in requirements.txt) ignores MessageType=DIGEST, so it hashes the
digest a second time, and it signs RSASSA_PSS_SHA_384 with the maximum PSS salt length instead
of the hash length that AWS KMS uses. The example must therefore fail at signer creation with
a SignerError, which shows libcheckout's check of every signature a callback returns.
No request leaves 127.0.0.1: the endpoint is the local server and the credentials are dummies.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import boto3
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

import libcheckout

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kms_signer import kms_signer  # noqa: E402

EXPECTED_MESSAGE = (
    "the signature from the signing callback does not verify as PS384 with a 48-byte salt "
    "and the configured public key (256 bytes returned, 256 expected); usual causes: the "
    "service signed with another key, used another PSS salt length (it must equal the hash "
    "length), or hashed the digest again (send it as a digest, such as KMS MessageType DIGEST)"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {server.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"moto_server did not listen on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, str]]:
    """Start moto_server on a free loopback port; return the environment that points boto3 at it."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    moto_server = Path(sys.executable).parent / "moto_server"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, server)
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("AWS_")
        }
        # Dummy credentials and no config files, so nothing from this machine's AWS setup is
        # used, and every KMS request goes to the local server.
        environment.update({
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        yield environment
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture()
def local_env(aws_env: Dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """Apply the local environment to this process too, so a default boto3 client stays local."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in aws_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return aws_env


@pytest.fixture()
def kms(local_env: Dict[str, str]) -> Any:
    return boto3.client("kms", endpoint_url=local_env["AWS_ENDPOINT_URL"], region_name="us-east-1")


@pytest.fixture()
def key_id(kms: Any) -> str:
    created = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="libcheckout test")
    identifier: str = created["KeyMetadata"]["KeyId"]
    return identifier


def test_signer_creation_fails_self_check(kms: Any, key_id: str) -> None:
    with pytest.raises(libcheckout.SignerError) as raised:
        kms_signer(key_id, "PS384", client=kms)

    assert raised.value.status == 501
    assert raised.value.code == "LM_STATUS_SIGNER"
    assert raised.value.message == EXPECTED_MESSAGE


def test_example_program_reports_signer_error(local_env: Dict[str, str], key_id: str) -> None:
    finished = subprocess.run(
        [sys.executable, str(HERE / "kms_signer.py"), key_id],
        env=local_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert finished.stderr == f"error: LM_STATUS_SIGNER (501): {EXPECTED_MESSAGE}\n"


def test_moto_hashes_digest_again_with_maximum_salt(kms: Any, key_id: str) -> None:
    public_der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    public_key = serialization.load_der_public_key(public_der)
    assert isinstance(public_key, rsa.RSAPublicKey)
    digest = hashlib.sha384(b"header.payload").digest()

    signature = kms.sign(
        KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_384"
    )["Signature"]

    # AWS KMS semantics: the signature of the digest itself, with a 48-byte salt. moto fails it.
    with pytest.raises(InvalidSignature):
        public_key.verify(
            signature,
            digest,
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=padding.PSS.DIGEST_LENGTH),
            utils.Prehashed(hashes.SHA384()),
        )
    # What moto does: the digest treated as a message and hashed again, with a salt of
    # 256 - 48 - 2 = 206 bytes, the maximum for a 2048-bit key and SHA-384.
    public_key.verify(
        signature,
        digest,
        padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=206),
        hashes.SHA384(),
    )
