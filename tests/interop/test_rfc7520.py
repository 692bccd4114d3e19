"""The PS384 compact JWS of RFC 7520 section 4.2 verifies with lm_verify.

The token, its JWK and its payload come from tests/vectors/rfc7520. The JWK's
`kid` is an e-mail address, not a thumbprint, so this also checks that a JWKS
key is selected by the `kid` member it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checkout_abi import Library, LmError

# RFC 7517 section 9.3 and RFC 7518 section 6.3.2: the members that make an RSA JWK private.
RSA_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


@pytest.fixture(scope="module")
def example(repo_root: Path) -> dict[str, Any]:
    path = repo_root / "tests" / "vectors" / "rfc7520" / "4_2.rsa-pss_signature.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_rfc7520_compact_jws_verifies(library: Library, example: dict[str, Any]) -> None:
    private_jwk = example["input"]["key"]
    public_jwk = {name: value for name, value in private_jwk.items() if name not in RSA_PRIVATE_MEMBERS}
    assert sorted(public_jwk) == ["e", "kid", "kty", "n", "use"]

    with library.verifier_from_jwks({"keys": [public_jwk]}) as verifier:
        payload = verifier.verify(example["output"]["compact"], {"profile": "jws"})

    assert payload == example["input"]["payload"].encode("utf-8")
    assert payload.startswith("It’s a dangerous business, Frodo".encode("utf-8"))


def test_rfc7520_signature_fails_with_other_kid(library: Library, example: dict[str, Any]) -> None:
    private_jwk = example["input"]["key"]
    public_jwk = {name: value for name, value in private_jwk.items() if name not in RSA_PRIVATE_MEMBERS}
    public_jwk["kid"] = "frodo.baggins@hobbiton.example"

    with library.verifier_from_jwks({"keys": [public_jwk]}) as verifier:
        with pytest.raises(LmError) as raised:
            verifier.verify(example["output"]["compact"], {"profile": "jws"})

    assert raised.value.status == 301
    assert "bilbo.baggins@hobbiton.example" in raised.value.message


def test_rfc7520_private_jwk_rejected_by_verifier(library: Library, example: dict[str, Any]) -> None:
    with pytest.raises(LmError) as raised:
        library.verifier_from_jwks({"keys": [example["input"]["key"]]})

    assert raised.value.status == 200
    assert example["input"]["key"]["d"] not in raised.value.message
