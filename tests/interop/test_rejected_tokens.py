"""Tokens that other libraries produce but RFC 7518's PS algorithms forbid are rejected.

lm_verify accepts only PS256, PS384 and PS512 with a salt exactly as long as
the hash, so RS256, HS256 and `none` tokens, and PSS signatures with any other
salt length, must fail with a specific status. Headers that carry their own
key or a `crit` member are rejected too.
"""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from checkout_abi import Library, LmError
from foreign_keys import ForeignKey
from jose_util import PSS_ALGORITHMS, public_jwk, sign_compact_by_hand, split_compact

CLAIMS = {"document": "release-manifest", "version": 3}
DOCUMENT = b'{"document":"release-manifest","version":3}'


def verify_status(library: Library, key: ForeignKey, token: str, options: dict | None = None) -> LmError:
    with library.verifier_from_pem(key.public_pem) as verifier:
        with pytest.raises(LmError) as raised:
            verifier.verify(token, options if options is not None else {"profile": "jws"})
    return raised.value


def test_pyjwt_rs256_rejected(library: Library, cryptography_key: ForeignKey) -> None:
    token = jwt.encode(CLAIMS, cryptography_key.private_pem, algorithm="RS256")

    error = verify_status(library, cryptography_key, token)

    assert error.status == 201
    assert error.name == "LM_STATUS_UNSUPPORTED_SIGNATURE_METHOD"
    assert "RS256" in error.message


def test_pyjwt_hs256_rejected(library: Library, cryptography_key: ForeignKey) -> None:
    token = jwt.encode(CLAIMS, b"s" * 32, algorithm="HS256")

    error = verify_status(library, cryptography_key, token)

    assert error.status == 201
    assert "HS256" in error.message


def test_pyjwt_none_rejected(library: Library, cryptography_key: ForeignKey) -> None:
    token = jwt.encode(CLAIMS, None, algorithm="none")
    assert token.endswith(".")
    assert split_compact(token).header == {"alg": "none", "typ": "JWT"}

    error = verify_status(library, cryptography_key, token)

    # The header is read before the empty signature matters, so `none` is an unsupported algorithm.
    assert error.status == 201, error


def test_algorithm_outside_allow_list_rejected(library: Library, cryptography_key: ForeignKey) -> None:
    token = jwt.api_jws.encode(DOCUMENT, cryptography_key.private_pem, algorithm="PS256")

    error = verify_status(library, cryptography_key, token, {"profile": "jws", "algorithms": ["PS384"]})

    assert error.status == 201


@pytest.mark.parametrize("alg", sorted(PSS_ALGORITHMS))
@pytest.mark.parametrize("salt_length", [0, padding.PSS.MAX_LENGTH], ids=["salt-0", "salt-max"])
def test_pss_salt_other_than_hash_length_rejected(
    library: Library, cryptography_key: ForeignKey, alg: str, salt_length: int
) -> None:
    token = sign_compact_by_hand(cryptography_key.private_key, {"alg": alg}, DOCUMENT, salt_length=salt_length)

    error = verify_status(library, cryptography_key, token)

    assert error.status == 301
    assert error.name == "LM_STATUS_SIGNATURE_INVALID"


def test_pss_salt_of_hash_length_accepted(library: Library, cryptography_key: ForeignKey) -> None:
    """The control for the salt tests: the same signing path with the RFC's salt verifies."""
    token = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256"}, DOCUMENT, salt_length=32)

    with library.verifier_from_pem(cryptography_key.public_pem) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT


def test_embedded_jwk_header_ignored(library: Library, cryptography_key: ForeignKey, openssl_key: ForeignKey) -> None:
    """A key inside the token's header is never trusted, so a token signed by an unknown key fails."""
    attacker_key = openssl_key.private_key
    header = {"alg": "PS256", "jwk": public_jwk(attacker_key.public_key())}
    token = sign_compact_by_hand(attacker_key, header, DOCUMENT)

    error = verify_status(library, cryptography_key, token)

    assert error.status == 301


def test_crit_header_rejected(library: Library, cryptography_key: ForeignKey) -> None:
    token = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "crit": ["exp"], "exp": 1}, DOCUMENT)

    error = verify_status(library, cryptography_key, token)

    assert error.status == 300
    assert error.name == "LM_STATUS_TOKEN_MALFORMED"
