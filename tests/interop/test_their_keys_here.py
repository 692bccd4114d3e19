"""Public keys written by other tools load into libcheckout verifiers.

Covers SubjectPublicKeyInfo and PKCS#1 in PEM and DER, and JWK sets built by
joserfc and by hand: key selection by `kid`, `alg` and thumbprint, and the keys
a JWKS skips or rejects. Also covers the Wycheproof RSA-PSS public keys, OpenSSL
keys outside the key policy or with the id-RSASSA-PSS OID, and the rejection of
a private key given to a verifier loader.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, KeySet, RSAKey

from checkout_abi import Library, LmError
from foreign_keys import ForeignKey
from jose_util import public_jwk, sign_compact_by_hand, split_compact

DOCUMENT = b"Example Analytics entitlement document"

PUBLIC_FORMATS = {
    "spki-pem": (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    "pkcs1-pem": (serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
    "spki-der": (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    "pkcs1-der": (serialization.Encoding.DER, serialization.PublicFormat.PKCS1),
}

# Files copied from Project Wycheproof, and the JWS algorithm of their hash.
WYCHEPROOF_FILES = {
    "rsa_pss_2048_sha256_mgf1_0_test.json": "PS256",
    "rsa_pss_2048_sha256_mgf1_32_test.json": "PS256",
    "rsa_pss_2048_sha384_mgf1_48_test.json": "PS384",
    "rsa_pss_4096_sha512_mgf1_64_test.json": "PS512",
}


def expect_status(status: int, call, *args: Any) -> LmError:
    with pytest.raises(LmError) as raised:
        call(*args)
    assert raised.value.status == status, raised.value
    return raised.value


@pytest.mark.parametrize("format_name", sorted(PUBLIC_FORMATS))
def test_public_key_format_loads(library: Library, cryptography_key: ForeignKey, format_name: str) -> None:
    encoding, public_format = PUBLIC_FORMATS[format_name]
    key_bytes = cryptography_key.private_key.public_key().public_bytes(encoding, public_format)
    if format_name == "pkcs1-pem":
        assert key_bytes.startswith(b"-----BEGIN RSA PUBLIC KEY-----\n")
    if encoding is serialization.Encoding.DER:
        assert key_bytes[0] == 0x30

    token = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256"}, DOCUMENT)

    with library.verifier_from_pem(key_bytes) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT


def test_openssl_pkcs1_public_pem_loads(library: Library, openssl: str, openssl_key: ForeignKey, tmp_path: Path) -> None:
    private_path = tmp_path / "key.pem"
    private_path.write_bytes(openssl_key.private_pem)
    pkcs1_pem = subprocess.run(
        [openssl, "rsa", "-in", str(private_path), "-RSAPublicKey_out"],
        check=True,
        capture_output=True,
    ).stdout
    assert pkcs1_pem.startswith(b"-----BEGIN RSA PUBLIC KEY-----\n")

    token = jwt.api_jws.encode(DOCUMENT, openssl_key.private_pem, algorithm="PS512")

    with library.verifier_from_pem(pkcs1_pem) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT


def test_verifier_rejects_private_key(library: Library, openssl_key: ForeignKey) -> None:
    error = expect_status(200, library.verifier_from_pem, openssl_key.private_pem)

    assert error.name == "LM_STATUS_KEY_INVALID"
    assert "PRIVATE" not in error.message
    assert "MII" not in error.message


def build_jwks(builder: str, key_a: ForeignKey, key_b: ForeignKey) -> dict[str, Any]:
    if builder == "joserfc":
        keys = [
            RSAKey.import_key(key_a.public_pem, parameters={"kid": "key-a", "use": "sig"}),
            RSAKey.import_key(key_b.public_pem, parameters={"kid": "key-b", "use": "sig"}),
        ]
        return KeySet(keys).as_dict(private=False)

    return {
        "keys": [
            public_jwk(key_a.private_key.public_key(), kid="key-a", use="sig"),
            public_jwk(key_b.private_key.public_key(), kid="key-b", use="sig"),
        ]
    }


@pytest.mark.parametrize("builder", ["joserfc", "by_hand"])
def test_jwks_selects_key_by_kid(
    library: Library, cryptography_key: ForeignKey, openssl_key: ForeignKey, builder: str
) -> None:
    jwks = build_jwks(builder, cryptography_key, openssl_key)
    assert [key["kid"] for key in jwks["keys"]] == ["key-a", "key-b"]
    assert all("d" not in key for key in jwks["keys"])

    token_a = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-a"}, DOCUMENT)
    token_b = sign_compact_by_hand(openssl_key.private_key, {"alg": "PS384", "kid": "key-b"}, DOCUMENT)
    token_a_named_b = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-b"}, DOCUMENT)
    token_unknown_kid = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-c"}, DOCUMENT)
    token_b_without_kid = sign_compact_by_hand(openssl_key.private_key, {"alg": "PS512"}, DOCUMENT)

    with library.verifier_from_jwks(jwks) as verifier:
        assert verifier.verify(token_a, {"profile": "jws"}) == DOCUMENT
        assert verifier.verify(token_b, {"profile": "jws"}) == DOCUMENT
        assert verifier.verify(token_b_without_kid, {"profile": "jws"}) == DOCUMENT

        wrong_key = expect_status(301, verifier.verify, token_a_named_b, {"profile": "jws"})
        unknown_kid = expect_status(301, verifier.verify, token_unknown_kid, {"profile": "jws"})

    assert wrong_key.name == "LM_STATUS_SIGNATURE_INVALID"
    assert "key-c" in unknown_kid.message


@pytest.mark.parametrize("file_name", sorted(WYCHEPROOF_FILES))
def test_wycheproof_public_keys_load(
    library: Library, repo_root: Path, cryptography_key: ForeignKey, file_name: str
) -> None:
    alg = WYCHEPROOF_FILES[file_name]
    vectors = json.loads((repo_root / "tests" / "vectors" / "wycheproof" / file_name).read_text(encoding="utf-8"))
    group = vectors["testGroups"][0]
    forms = {
        "PEM": group["publicKeyPem"].encode("ascii"),
        "SPKI DER": bytes.fromhex(group["publicKeyDer"]),
        "PKCS#1 DER": bytes.fromhex(group["publicKeyAsn"]),
    }

    # A token from another key must fail on its signature, which shows the key was loaded and used.
    foreign_token = sign_compact_by_hand(cryptography_key.private_key, {"alg": alg}, DOCUMENT)

    for form, key_bytes in forms.items():
        with library.verifier_from_pem(key_bytes) as verifier:
            error = expect_status(301, verifier.verify, foreign_token, {"profile": "jws"})
            assert error.name == "LM_STATUS_SIGNATURE_INVALID", form

    if "publicKeyJwk" in group:
        assert group["publicKeyJwk"]["alg"] == alg
        with library.verifier_from_jwks({"keys": [group["publicKeyJwk"]]}) as verifier:
            error = expect_status(301, verifier.verify, foreign_token, {"profile": "jws"})
            assert error.name == "LM_STATUS_SIGNATURE_INVALID"


def test_jwk_alg_member_restricts_key(library: Library, cryptography_key: ForeignKey) -> None:
    jwks = {"keys": [public_jwk(cryptography_key.private_key.public_key(), kid="key-a", alg="PS256")]}
    token_ps256 = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-a"}, DOCUMENT)
    token_ps384 = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS384", "kid": "key-a"}, DOCUMENT)

    with library.verifier_from_jwks(jwks) as verifier:
        assert verifier.verify(token_ps256, {"profile": "jws"}) == DOCUMENT
        expect_status(301, verifier.verify, token_ps384, {"profile": "jws"})


def test_jwk_without_kid_selected_by_thumbprint(library: Library, cryptography_key: ForeignKey) -> None:
    thumbprint = RSAKey.import_key(cryptography_key.public_pem).thumbprint()
    jwks = {"keys": [public_jwk(cryptography_key.private_key.public_key())]}
    token = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": thumbprint}, DOCUMENT)
    token_other_kid = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-a"}, DOCUMENT)

    with library.verifier_from_jwks(jwks) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT
        expect_status(301, verifier.verify, token_other_kid, {"profile": "jws"})


def test_jwks_skips_ec_and_encryption_keys(library: Library, cryptography_key: ForeignKey) -> None:
    public_key = cryptography_key.private_key.public_key()
    ec_jwk = ECKey.generate_key("P-256", parameters={"kid": "key-ec"}).as_dict(private=False)
    jwks = {"keys": [ec_jwk, public_jwk(public_key, kid="key-enc", use="enc"), public_jwk(public_key, kid="key-sig")]}
    token_sig = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-sig"}, DOCUMENT)
    token_enc = sign_compact_by_hand(cryptography_key.private_key, {"alg": "PS256", "kid": "key-enc"}, DOCUMENT)

    with library.verifier_from_jwks(jwks) as verifier:
        assert verifier.verify(token_sig, {"profile": "jws"}) == DOCUMENT
        expect_status(301, verifier.verify, token_enc, {"profile": "jws"})

    expect_status(200, library.verifier_from_jwks, {"keys": [ec_jwk]})


def test_jwks_duplicate_kid_rejected(library: Library, cryptography_key: ForeignKey, openssl_key: ForeignKey) -> None:
    jwks = {
        "keys": [
            public_jwk(cryptography_key.private_key.public_key(), kid="key-a"),
            public_jwk(openssl_key.private_key.public_key(), kid="key-a"),
        ]
    }

    error = expect_status(200, library.verifier_from_jwks, jwks)

    assert "key-a" in error.message


@pytest.mark.parametrize(
    ("pkey_options", "named_value"),
    [
        (["-pkeyopt", "rsa_keygen_bits:1024"], "1024"),
        (["-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"], "3"),
    ],
    ids=["1024-bit-modulus", "exponent-3"],
)
def test_openssl_key_outside_policy_rejected(
    library: Library, openssl: str, tmp_path: Path, pkey_options: list[str], named_value: str
) -> None:
    private_path = tmp_path / "key.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "RSA", *pkey_options, "-out", str(private_path)], check=True)
    public_pem = subprocess.run(
        [openssl, "pkey", "-in", str(private_path), "-pubout"], check=True, capture_output=True
    ).stdout

    verifier_error = expect_status(200, library.verifier_from_pem, public_pem)
    signer_error = expect_status(200, library.signer_from_pem, private_path.read_bytes(), None)

    assert re.search(rf"\b{named_value}\b", verifier_error.message), verifier_error.message
    assert re.search(rf"\b{named_value}\b", signer_error.message), signer_error.message


def test_openssl_rsa_pss_keys_load(library: Library, openssl: str, tmp_path: Path) -> None:
    """Keys with the id-RSASSA-PSS OID load, and their parameters restrict the algorithm."""
    unrestricted_path = tmp_path / "pss.pem"
    restricted_path = tmp_path / "pss-sha384.pem"
    keygen = [openssl, "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"]
    subprocess.run([*keygen, "-out", str(unrestricted_path)], check=True)
    sha384_only = [
        "-pkeyopt", "rsa_pss_keygen_md:sha384",
        "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha384",
        "-pkeyopt", "rsa_pss_keygen_saltlen:48",
    ]
    subprocess.run([*keygen, *sha384_only, "-out", str(restricted_path)], check=True)

    unrestricted_public = subprocess.run(
        [openssl, "pkey", "-in", str(unrestricted_path), "-pubout"], check=True, capture_output=True
    ).stdout
    with library.signer_from_pem(unrestricted_path.read_bytes(), "PS512") as signer:
        token = signer.sign(DOCUMENT)
    with library.verifier_from_pem(unrestricted_public) as verifier:
        assert verifier.verify(token, {"profile": "jws"}) == DOCUMENT

    restricted_public = subprocess.run(
        [openssl, "pkey", "-in", str(restricted_path), "-pubout"], check=True, capture_output=True
    ).stdout
    with library.signer_from_pem(restricted_path.read_bytes(), "PS384") as signer:
        token_ps384 = signer.sign(DOCUMENT)
    expect_status(201, library.signer_from_pem, restricted_path.read_bytes(), "PS256")

    restricted_key = serialization.load_pem_private_key(restricted_path.read_bytes(), password=None)
    token_ps256 = sign_compact_by_hand(restricted_key, {"alg": "PS256"}, DOCUMENT)
    with library.verifier_from_pem(restricted_public) as verifier:
        assert verifier.verify(token_ps384, {"profile": "jws"}) == DOCUMENT
        expect_status(301, verifier.verify, token_ps256, {"profile": "jws"})


def test_openssl_traditional_key_signs(library: Library, openssl: str, tmp_path: Path) -> None:
    """A PKCS#1 "RSA PRIVATE KEY" from `openssl genrsa` signs, and openssl verifies the token."""
    private_path = tmp_path / "key.pem"
    subprocess.run([openssl, "genrsa", "-traditional", "-out", str(private_path), "2048"], check=True)
    assert private_path.read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")
    subprocess.run([openssl, "pkey", "-in", str(private_path), "-pubout", "-out", str(tmp_path / "pub.pem")], check=True)

    with library.signer_from_pem(private_path.read_bytes(), "PS512") as signer:
        jws = split_compact(signer.sign(DOCUMENT))
    (tmp_path / "sig.bin").write_bytes(jws.signature)
    (tmp_path / "input.txt").write_bytes(jws.signing_input)

    result = subprocess.run(
        [
            openssl, "dgst", "-sha512",
            "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:64",
            "-verify", "pub.pem", "-signature", "sig.bin", "input.txt",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == "Verified OK\n", result.stderr
    assert jws.payload == DOCUMENT
