"""Fixtures shared by the cross-implementation tests.

These tests compare libcheckout with JOSE implementations written by others, so
a missing package or tool is a failure, never a skip: a run without them would
pass without testing anything.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

# Import name and distribution name of each third-party package the tests use.
_REQUIRED_PACKAGES = {"jwt": "PyJWT", "cryptography": "cryptography", "joserfc": "joserfc"}

_missing = [dist for module, dist in _REQUIRED_PACKAGES.items() if importlib.util.find_spec(module) is None]
if _missing:
    raise ImportError(
        f"missing Python packages for the interop tests: {', '.join(_missing)}; "
        "run tests/interop/run.sh, or pip install -r tests/interop/requirements.txt"
    )

from checkout_abi import Library  # noqa: E402
from foreign_keys import ForeignKey, generate_with_cryptography, generate_with_openssl  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def library() -> Library:
    """The libcheckout shared library named by LIBCHECKOUT_SO, else the release build."""
    path = Path(os.environ.get("LIBCHECKOUT_SO", REPO_ROOT / "target" / "release" / "libcheckout.so"))
    if not path.is_file():
        pytest.fail(
            f"libcheckout shared library not found at {path}; "
            "run `cargo build --release -p checkout` or set LIBCHECKOUT_SO"
        )
    return Library(path)


@pytest.fixture(scope="session")
def openssl() -> str:
    """Path of the openssl command-line tool."""
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("the openssl command-line tool is not on PATH; install the openssl package")
    return path


@pytest.fixture(scope="session")
def make_license_request(repo_root: Path) -> Callable[[str, str], dict[str, Any]]:
    """Build the sample CreateLicense request signed by the key with thumbprint sign_key.

    The sample is read on each call, so every caller gets its own copy. A
    license whose SignKey is not the signer's thumbprint makes checkouts fail.
    """
    sample = repo_root / "examples" / "licenses" / "enterprise.json"

    def make(sign_key: str, client_token: str) -> dict[str, Any]:
        request = json.loads(sample.read_text(encoding="utf-8"))
        request["Issuer"]["SignKey"] = sign_key
        request["ClientToken"] = client_token
        return request

    return make



@pytest.fixture(scope="session")
def openssl_key(openssl: str, tmp_path_factory: pytest.TempPathFactory) -> ForeignKey:
    return generate_with_openssl(openssl, tmp_path_factory.mktemp("openssl-key"))


@pytest.fixture(scope="session")
def cryptography_key() -> ForeignKey:
    return generate_with_cryptography()


@pytest.fixture(params=["openssl", "cryptography"])
def foreign_key(request: pytest.FixtureRequest) -> ForeignKey:
    """Each of the two foreign keys in turn."""
    return request.getfixturevalue(f"{request.param}_key")
