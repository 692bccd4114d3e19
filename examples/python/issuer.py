"""Issue a license, borrow one seat for a node and write the token and public key.

Usage: python issuer.py OUTPUT_DIR
Writes OUTPUT_DIR/public.pem (ship it inside the product) and OUTPUT_DIR/token.jwt (send it
to the customer's machine). The store and the private key live only in this process.
"""

import json
import sys
import uuid
from pathlib import Path

import libcheckout

SAMPLE_LICENSE = Path(__file__).resolve().parent.parent / "licenses" / "enterprise.json"


def main(output_dir: Path) -> None:
    signer = libcheckout.Signer.generate(2048)

    with libcheckout.Store(":memory:") as store:
        # The license names the key that signs its checkouts by the key's thumbprint.
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

    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "public.pem").write_text(signer.public_key_pem(), encoding="ascii")
    (output_dir / "token.jwt").write_text(borrowed["SignedToken"], encoding="ascii")
    print(f"borrowed until {borrowed['Expiration']}; wrote {output_dir / 'token.jwt'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python issuer.py OUTPUT_DIR")
    main(Path(sys.argv[1]))
