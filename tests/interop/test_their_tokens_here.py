"""Tokens signed by PyJWT, joserfc and `cryptography` verify with lm_verify.

The keys come from `openssl genpkey` and from `cryptography`, never from
libcheckout. lm_verify must return the payload bytes exactly as they were signed.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import jwt
import pytest
from joserfc import jws as jose_jws
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from checkout_abi import Library, LmError
from foreign_keys import ForeignKey
from jose_util import PSS_ALGORITHMS, sign_compact_by_hand, split_compact

# Every byte value, after UTF-8 text: the "jws" profile accepts any payload bytes.
DOCUMENT = "Release manifest – Example Analytics 4.2\n".encode("utf-8") + bytes(range(256))

SIGNERS = ["pyjwt", "joserfc", "by_hand"]


def sign_document(signer: str, key: ForeignKey, alg: str, payload: bytes) -> str:
    if signer == "pyjwt":
        return jwt.api_jws.encode(payload, key.private_pem, algorithm=alg)
    if signer == "joserfc":
        return jose_jws.serialize_compact({"alg": alg}, payload, RSAKey.import_key(key.private_pem), algorithms=[alg])
    return sign_compact_by_hand(key.private_key, {"alg": alg}, payload)


def token_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def aws_style_checkout_claims(now: int) -> dict:
    """A checkout payload as AWS License Manager signs it: strings only, no iat or exp."""
    return {
        "entitlementsAllowed": [{"name": "EntitlementCount", "unit": "Count", "value": "1"}],
        "expiration": token_time(now + 3600),
        "issuedAt": token_time(now - 60),
        "licenseArn": "arn:aws:license-manager::123456789012:license:l-6585590917ad46858328ff02dEXAMPLE",
        "licenseConsumptionToken": "306eb19afd354ba79c3687b9bEXAMPLE",
        "nodeId": "100.20.15.10",
        "checkoutMetadata": {"Mac": "ABCDEFGHI"},
    }


@pytest.mark.parametrize("alg", sorted(PSS_ALGORITHMS))
@pytest.mark.parametrize("signer", SIGNERS)
def test_foreign_document_verifies(library: Library, foreign_key: ForeignKey, signer: str, alg: str) -> None:
    token = sign_document(signer, foreign_key, alg, DOCUMENT)
    assert split_compact(token).header["alg"] == alg

    with library.verifier_from_pem(foreign_key.public_pem) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT


@pytest.mark.parametrize("signer", SIGNERS)
def test_foreign_document_with_other_key_fails(
    library: Library, openssl_key: ForeignKey, cryptography_key: ForeignKey, signer: str
) -> None:
    token = sign_document(signer, openssl_key, "PS256", DOCUMENT)

    with library.verifier_from_pem(cryptography_key.public_pem) as verifier:
        with pytest.raises(LmError) as raised:
            verifier.verify(token, {"profile": "jws"})

    assert raised.value.status == 301
    assert raised.value.name == "LM_STATUS_SIGNATURE_INVALID"


@pytest.mark.parametrize("signer", ["pyjwt", "joserfc"])
def test_foreign_checkout_token_verifies(library: Library, foreign_key: ForeignKey, signer: str) -> None:
    now = int(time.time())
    claims = aws_style_checkout_claims(now)
    if signer == "pyjwt":
        token = jwt.encode(claims, foreign_key.private_pem, algorithm="PS384")
    else:
        token = jose_jwt.encode({"alg": "PS384"}, claims, RSAKey.import_key(foreign_key.private_pem), algorithms=["PS384"])

    with library.verifier_from_pem(foreign_key.public_pem) as verifier:
        payload = verifier.verify(
            token,
            {
                "algorithms": ["PS384"],
                "nodeId": "100.20.15.10",
                "requireEntitlements": [{"name": "EntitlementCount", "value": "1"}],
            },
        )
        assert payload == split_compact(token).payload
        assert json.loads(payload) == claims

        with pytest.raises(LmError) as expired:
            verifier.verify(token, {"now": now + 3600 + 61})
        with pytest.raises(LmError) as other_node:
            verifier.verify(token, {"nodeId": "100.20.15.11"})

    assert expired.value.status == 302
    assert other_node.value.status == 304
