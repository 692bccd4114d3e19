"""Signer.from_callback: a private key held outside the process, signing digests on request."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

import libcheckout
from helpers import SAMPLE_LICENSE, borrow_request, consumed

HASHES: Dict[str, hashes.HashAlgorithm] = {
    "PS256": hashes.SHA256(),
    "PS384": hashes.SHA384(),
    "PS512": hashes.SHA512(),
}

SignFn = Callable[[str, bytes], bytes]


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def pss_sign_digest(key: rsa.RSAPrivateKey, salt_length: Any = padding.PSS.DIGEST_LENGTH) -> SignFn:
    """Return a callback that signs the digest it receives as a KMS does with MessageType DIGEST."""

    def sign(alg: str, digest: bytes) -> bytes:
        chosen = HASHES[alg]
        pss = padding.PSS(mgf=padding.MGF1(chosen), salt_length=salt_length)
        return key.sign(digest, pss, utils.Prehashed(chosen))

    return sign


@pytest.fixture(scope="module")
def service_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(service_key: rsa.RSAPrivateKey) -> bytes:
    return service_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture()
def calls() -> List[Tuple[str, bytes]]:
    return []


@pytest.fixture()
def kms_signer(
    service_key: rsa.RSAPrivateKey, public_pem: bytes, calls: List[Tuple[str, bytes]]
) -> libcheckout.Signer:
    sign = pss_sign_digest(service_key)

    def recording(alg: str, digest: bytes) -> bytes:
        calls.append((alg, digest))
        return sign(alg, digest)

    return libcheckout.Signer.from_callback(public_pem, "PS384", recording)


def license_for(signer: libcheckout.Signer) -> Dict[str, Any]:
    request: Dict[str, Any] = copy.deepcopy(json.loads(SAMPLE_LICENSE.read_text(encoding="utf-8")))
    request["Issuer"]["SignKey"] = signer.kid
    request["ClientToken"] = f"create-{uuid.uuid4().hex}"
    return request


def test_creation_makes_one_test_signature(
    kms_signer: libcheckout.Signer, public_pem: bytes, calls: List[Tuple[str, bytes]]
) -> None:
    assert kms_signer.kid == libcheckout.PublicKey.from_pem(public_pem).kid
    assert kms_signer.algorithm == "PS384"
    assert len(calls) == 1
    assert calls[0][0] == "PS384"
    assert len(calls[0][1]) == 48


def test_callback_receives_digest_of_signing_input(
    kms_signer: libcheckout.Signer, public_pem: bytes, calls: List[Tuple[str, bytes]]
) -> None:
    token = kms_signer.sign({"sub": "node-1"}, algorithm="PS512")

    signing_input = token.rsplit(".", 1)[0].encode()
    assert calls[-1] == ("PS512", hashlib.sha512(signing_input).digest())
    decoded = jwt.decode(token, public_pem, algorithms=["PS512"])
    assert decoded == {"sub": "node-1"}


def test_algorithm_none_defaults_to_ps256(service_key: rsa.RSAPrivateKey, public_pem: bytes) -> None:
    signer = libcheckout.Signer.from_callback(public_pem, None, pss_sign_digest(service_key))

    assert signer.algorithm == "PS256"
    header = json.loads(b64decode(signer.sign(b"payload").split(".")[0]))
    assert header["alg"] == "PS256"


def test_public_key_der_accepted(service_key: rsa.RSAPrivateKey, public_pem: bytes) -> None:
    # AWS KMS GetPublicKey returns DER SubjectPublicKeyInfo.
    der = service_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    signer = libcheckout.Signer.from_callback(der, "PS384", pss_sign_digest(service_key))

    assert signer.kid == libcheckout.PublicKey.from_pem(public_pem).kid


def test_checkout_through_store(tmp_path: Path, kms_signer: libcheckout.Signer, public_pem: bytes) -> None:
    with libcheckout.Store(str(tmp_path / "licenses.db")) as store:
        arn = store.create_license(license_for(kms_signer))["LicenseArn"]

        response = store.checkout(kms_signer, borrow_request(arn))

        verifier = libcheckout.Verifier.from_pem(public_pem)
        claims = verifier.verify(response["SignedToken"], node_id="100.20.15.10").claims
        assert claims is not None
        assert claims["licenseArn"] == arn
        assert consumed(store, arn) == "1"


def test_private_key_export_rejected(kms_signer: libcheckout.Signer) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        kms_signer.private_key_pem()

    assert raised.value.status == 200


def test_exception_becomes_signer_error(public_pem: bytes) -> None:
    failure = RuntimeError("KMS request throttled")

    def failing(alg: str, digest: bytes) -> bytes:
        raise failure

    with pytest.raises(libcheckout.SignerError) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS384", failing)

    assert raised.value.status == 501
    assert raised.value.code == "LM_STATUS_SIGNER"
    assert raised.value.message == "the signing callback failed: RuntimeError: KMS request throttled"
    assert raised.value.__cause__ is failure


def test_system_exit_in_callback_propagates(public_pem: bytes) -> None:
    def exiting(alg: str, digest: bytes) -> bytes:
        raise SystemExit(3)

    with pytest.raises(SystemExit) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS384", exiting)

    assert raised.value.code == 3


@pytest.mark.parametrize("returned, type_name", [("signature", "str"), (None, "NoneType"), (bytearray(256), "bytearray")])
def test_non_bytes_return_becomes_signer_error(public_pem: bytes, returned: Any, type_name: str) -> None:
    with pytest.raises(libcheckout.SignerError) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS256", lambda alg, digest: returned)

    assert raised.value.message == (
        f"the signing callback failed: it returned {type_name} where bytes were expected"
    )
    assert raised.value.__cause__ is None


def test_maximum_salt_length_becomes_signer_error(service_key: rsa.RSAPrivateKey, public_pem: bytes) -> None:
    # A 2048-bit key with SHA-384 allows a 206-byte salt; tokens need one of 48 bytes.
    wrong_salt = pss_sign_digest(service_key, salt_length=padding.PSS.MAX_LENGTH)

    with pytest.raises(libcheckout.SignerError) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS384", wrong_salt)

    message = raised.value.message
    assert "does not verify as PS384 with a 48-byte salt" in message
    assert "(256 bytes returned, 256 expected)" in message
    assert "another PSS salt length" in message


def test_other_key_becomes_signer_error(public_pem: bytes) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(libcheckout.SignerError) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS256", pss_sign_digest(other))

    assert "does not verify as PS256 with a 32-byte salt" in raised.value.message
    assert "signed with another key" in raised.value.message


def test_failure_after_creation_takes_nothing(
    tmp_path: Path, service_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    sign = pss_sign_digest(service_key)
    available = threading.Event()
    available.set()

    def flaky(alg: str, digest: bytes) -> bytes:
        if not available.is_set():
            raise ConnectionError("KMS endpoint unreachable")
        return sign(alg, digest)

    signer = libcheckout.Signer.from_callback(public_pem, "PS384", flaky)
    with libcheckout.Store(str(tmp_path / "licenses.db")) as store:
        arn = store.create_license(license_for(signer))["LicenseArn"]
        available.clear()

        with pytest.raises(libcheckout.SignerError) as raised:
            store.checkout(signer, borrow_request(arn))

        assert raised.value.message == "the signing callback failed: ConnectionError: KMS endpoint unreachable"
        assert isinstance(raised.value.__cause__, ConnectionError)
        assert consumed(store, arn) == "0"


def test_non_callable_rejected(public_pem: bytes) -> None:
    with pytest.raises(TypeError) as raised:
        libcheckout.Signer.from_callback(public_pem, "PS256", b"not callable")  # type: ignore[arg-type]

    assert str(raised.value) == "fn must be callable as fn(alg, digest) -> bytes, not bytes"


def test_invalid_public_key_rejected(service_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        libcheckout.Signer.from_callback(b"not a key", "PS256", pss_sign_digest(service_key))

    assert raised.value.status == 200


def test_threads_check_out_with_callback(
    tmp_path: Path, service_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    threads = 8
    sign = pss_sign_digest(service_key)
    callers: set = set()
    lock = threading.Lock()

    def recording(alg: str, digest: bytes) -> bytes:
        with lock:
            callers.add(threading.get_ident())
        return sign(alg, digest)

    signer = libcheckout.Signer.from_callback(public_pem, "PS384", recording)
    verifier = libcheckout.Verifier.from_pem(public_pem)
    with libcheckout.Store(str(tmp_path / "licenses.db")) as store:
        arn = store.create_license(license_for(signer))["LicenseArn"]
        barrier = threading.Barrier(threads)
        results: Dict[int, str] = {}

        def work(index: int) -> None:
            barrier.wait()
            for round_number in range(3):
                node = f"node-{index}-{round_number}"
                response = store.checkout(signer, borrow_request(arn, node_id=node))
                claims = verifier.verify(response["SignedToken"], node_id=node).claims
                assert claims is not None
                results[index * 10 + round_number] = response["LicenseConsumptionToken"]
                store.check_in({"LicenseConsumptionToken": response["LicenseConsumptionToken"]})

        # Daemon threads with a bounded join, so a deadlock fails the test instead of hanging it.
        workers = [threading.Thread(target=work, args=(index,), daemon=True) for index in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.is_alive() for worker in workers] == [False] * threads

        assert len(set(results.values())) == threads * 3
        assert consumed(store, arn) == "0"
        # The creating thread made the test signature; each worker signed on its own thread.
        assert len(callers) == threads + 1
