"""Sign checkout tokens with an RSA key that stays in AWS KMS.

Usage: python kms_signer.py KEY_ID
KEY_ID is the id, ARN or alias of an RSA SIGN_VERIFY key (2048 to 4096 bits). boto3 finds the
region, credentials and endpoint the usual way (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and
so on). The program creates a license in an in-memory store, borrows one seat with a PS384
token signed by KMS, and prints the key id and the token. On a failure it prints the error's
code, status and message to stderr and exits with status 1.

The key needs kms:GetPublicKey and kms:Sign. libcheckout hashes the JWS signing input itself
and sends only the digest (MessageType DIGEST), so the token body never reaches KMS.
"""

import json
import sys
import uuid
from pathlib import Path
from typing import Any, Optional

import boto3

import libcheckout

SAMPLE_LICENSE = Path(__file__).resolve().parent.parent / "licenses" / "enterprise.json"

# KMS signing algorithms with a PSS salt as long as the hash, as JWS PS256/PS384/PS512 require.
KMS_ALGORITHMS = {
    "PS256": "RSASSA_PSS_SHA_256",
    "PS384": "RSASSA_PSS_SHA_384",
    "PS512": "RSASSA_PSS_SHA_512",
}


def kms_signer(key_id: str, algorithm: str = "PS384", client: Optional[Any] = None) -> libcheckout.Signer:
    """Create a libcheckout signer whose private key is the KMS key `key_id`.

    Raises SignerError when KMS fails or returns a signature that does not verify with the
    key's public half, for example one made with another salt length.
    """
    kms = client if client is not None else boto3.client("kms")

    # GetPublicKey returns DER SubjectPublicKeyInfo, which libcheckout reads as it comes.
    public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]

    def sign(alg: str, digest: bytes) -> bytes:
        response = kms.sign(
            KeyId=key_id,
            Message=digest,
            MessageType="DIGEST",
            SigningAlgorithm=KMS_ALGORITHMS[alg],
        )
        signature: bytes = response["Signature"]
        return signature

    return libcheckout.Signer.from_callback(public_key, algorithm, sign)


def borrow_one_seat(signer: libcheckout.Signer) -> str:
    """Create the sample license for `signer` in memory and return a borrowed seat's token."""
    with libcheckout.Store(":memory:") as store:
        license = json.loads(SAMPLE_LICENSE.read_text(encoding="utf-8"))
        license["Issuer"]["SignKey"] = signer.kid
        arn = store.create_license(license)["LicenseArn"]

        borrowed = store.checkout(signer, {
            "LicenseArn": arn,
            "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
            "DigitalSignatureMethod": "JWT_PS384",
            "NodeId": "100.20.15.10",
            "ClientToken": f"borrow-{uuid.uuid4()}",
        })
    token: str = borrowed["SignedToken"]
    return token


def main(key_id: str) -> int:
    try:
        signer = kms_signer(key_id)
        token = borrow_one_seat(signer)
    except libcheckout.LicenseError as error:
        print(f"error: {error.code} ({error.status}): {error.message}", file=sys.stderr)
        return 1
    print(f"kid {signer.kid}")
    print(token)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python kms_signer.py KEY_ID")
    sys.exit(main(sys.argv[1]))
