"""Shared fixtures: signers, stores and license requests built from the repository's sample."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import pytest

import libcheckout
from helpers import SAMPLE_LICENSE


@pytest.fixture(scope="session")
def signer() -> libcheckout.Signer:
    return libcheckout.Signer.generate(2048)


@pytest.fixture(scope="session")
def other_signer() -> libcheckout.Signer:
    return libcheckout.Signer.generate(2048)


@pytest.fixture(scope="session")
def verifier(signer: libcheckout.Signer) -> libcheckout.Verifier:
    return libcheckout.Verifier.from_pem(signer.public_key_pem())


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[libcheckout.Store]:
    with libcheckout.Store(str(tmp_path / "licenses.db")) as opened:
        yield opened


@pytest.fixture()
def license_request(signer: libcheckout.Signer) -> Callable[..., Dict[str, Any]]:
    """Return a factory of CreateLicense requests signed for `signer`, each with a fresh ClientToken."""
    sample = json.loads(SAMPLE_LICENSE.read_text(encoding="utf-8"))

    def build(**overrides: Any) -> Dict[str, Any]:
        request = copy.deepcopy(sample)
        request["Issuer"]["SignKey"] = signer.kid
        request["ClientToken"] = f"create-{uuid.uuid4().hex}"
        request.update(overrides)
        return request

    return build


@pytest.fixture()
def license_arn(store: libcheckout.Store, license_request: Callable[..., Dict[str, Any]]) -> str:
    arn: str = store.create_license(license_request())["LicenseArn"]
    return arn
