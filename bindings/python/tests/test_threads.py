"""Eight threads verifying and checking out at once on shared objects."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor

import libcheckout
from helpers import borrow_request, consumed

THREADS = 8


def test_eight_threads_verify_and_check_out(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer, verifier: libcheckout.Verifier
) -> None:
    # Every worker waits here, so all eight run their first call at the same time.
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> str:
        barrier.wait()
        response = store.checkout(signer, borrow_request(license_arn, node_id=f"node-{index}"))
        for _ in range(20):
            claims = verifier.verify(response["SignedToken"], node_id=f"node-{index}").claims
            assert claims is not None
            assert claims["nodeId"] == f"node-{index}"
        return str(response["LicenseConsumptionToken"])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        tokens = list(pool.map(work, range(THREADS)))

    assert len(set(tokens)) == THREADS
    assert consumed(store, license_arn) == str(THREADS)


def test_threads_never_exceed_max_count(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer
) -> None:
    barrier = threading.Barrier(THREADS)

    def work(_: int) -> str:
        barrier.wait()
        try:
            store.checkout(signer, borrow_request(license_arn, 2))
            return "ok"
        except libcheckout.NoEntitlementsAllowedError as error:
            assert error.reasons[0]["name"] == "EntitlementCount"
            return "refused"

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = sorted(pool.map(work, range(THREADS)))

    # MaxCount is 10, so exactly five checkouts of 2 fit.
    assert outcomes == ["ok"] * 5 + ["refused"] * 3
    assert consumed(store, license_arn) == "10"


def test_gil_released_during_key_generation() -> None:
    # While a worker is inside one native 4096-bit key generation, this thread counts loop
    # iterations. A native call that held the GIL would leave this thread only the moment
    # between the event and the call, so the count shows the release without timing anything.
    # NOTE: that moment can still let a GIL-holding call pass; the test cannot rule it out.
    inside_call = threading.Event()
    done = threading.Event()

    def generate() -> None:
        inside_call.set()
        libcheckout.Signer.generate(4096)
        inside_call.clear()
        done.set()

    worker = threading.Thread(target=generate)
    worker.start()
    iterations_inside = 0
    while not done.is_set():
        if inside_call.is_set():
            iterations_inside += 1
    worker.join()

    assert iterations_inside > 0


def test_eight_threads_share_public_key(signer: libcheckout.Signer) -> None:
    key = libcheckout.PublicKey.from_pem(signer.public_key_pem())
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> list:
        message = f"message {index}".encode()
        header, payload, signature = signer.sign(message, algorithm="PS384").split(".")
        raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        signing_input = f"{header}.{payload}".encode()
        barrier.wait()
        return [key.verify("PS384", signing_input, raw_signature) for _ in range(20)] + [
            key.verify("PS384", message, raw_signature)
        ]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(work, range(THREADS)))

    assert outcomes == [[True] * 20 + [False]] * THREADS


def test_gil_released_during_public_key_verify(signer: libcheckout.Signer) -> None:
    # The same count as for key generation. The message is large, so hashing it inside the
    # native call takes long enough for this thread to run while the GIL is released.
    # NOTE: copying the message happens before the release, with the GIL held.
    key = libcheckout.PublicKey.from_pem(signer.public_key_pem())
    message = bytes(64 * 1024 * 1024)
    inside_call = threading.Event()
    done = threading.Event()
    outcome = []

    def verify() -> None:
        inside_call.set()
        outcome.append(key.verify("PS512", message, bytes(256)))
        inside_call.clear()
        done.set()

    worker = threading.Thread(target=verify)
    worker.start()
    iterations_inside = 0
    while not done.is_set():
        if inside_call.is_set():
            iterations_inside += 1
    worker.join()

    assert outcome == [False]
    assert iterations_inside > 0
