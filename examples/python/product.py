"""Verify a checkout token offline with the issuer's public key alone.

Usage: python product.py DIR, where DIR contains public.pem and token.jwt from issuer.py.
Exits with status 1 and the reason when the token does not grant a seat on this node.
"""

import sys
from pathlib import Path

import libcheckout

THIS_NODE = "100.20.15.10"


def main(directory: Path) -> int:
    verifier = libcheckout.Verifier.from_pem((directory / "public.pem").read_bytes())
    token = (directory / "token.jwt").read_text(encoding="ascii").strip()

    try:
        verified = verifier.verify(
            token,
            node_id=THIS_NODE,
            require_entitlements=[{"name": "EntitlementCount", "value": "1"}],
        )
    except libcheckout.TokenError as error:
        print(f"license check failed ({error.code}): {error}", file=sys.stderr)
        return 1

    claims = verified.claims or {}
    for entitlement in claims["entitlementsAllowed"]:
        print(f"{entitlement['name']} = {entitlement['value']} {entitlement['unit']}")
    print(f"valid until {claims['expiration']}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python product.py DIR")
    sys.exit(main(Path(sys.argv[1])))
