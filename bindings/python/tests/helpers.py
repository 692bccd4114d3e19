"""Request builders and store queries shared by the tests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Dict

import libcheckout

REPO_ROOT = Path(__file__).resolve().parents[3]
VECTORS = REPO_ROOT / "tests" / "vectors"
SAMPLE_LICENSE = REPO_ROOT / "examples" / "licenses" / "enterprise.json"


def borrow_request(arn: str, count: int = 1, node_id: str = "100.20.15.10") -> Dict[str, Any]:
    """Build a CheckoutBorrowLicense request with a fresh ClientToken."""
    return {
        "LicenseArn": arn,
        "Entitlements": [{"Name": "EntitlementCount", "Value": str(count), "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": node_id,
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": f"borrow-{uuid.uuid4().hex}",
    }


def provisional_request(count: int = 1, node_id: str = "100.20.15.10") -> Dict[str, Any]:
    """Build a PROVISIONAL CheckoutLicense request for the sample license."""
    return {
        "ProductSKU": "EXAMPLE-ANALYTICS-ENT",
        "CheckoutType": "PROVISIONAL",
        "KeyFingerprint": "aws:000000000000:Example Vendor:issuer-fingerprint",
        "Entitlements": [
            {"Name": "EntitlementCount", "Value": str(count), "Unit": "Count"},
            {"Name": "EnterpriseTier", "Unit": "None"},
        ],
        "NodeId": node_id,
        "ClientToken": f"provisional-{uuid.uuid4().hex}",
    }


def consumed(store: libcheckout.Store, arn: str) -> str:
    """Return the ConsumedValue of EntitlementCount."""
    usage = store.get_license_usage({"LicenseArn": arn})["LicenseUsage"]["EntitlementUsages"]
    [count] = [entry for entry in usage if entry["Name"] == "EntitlementCount"]
    value: str = count["ConsumedValue"]
    return value


def format_time(unix_seconds: int) -> str:
    """Format Unix seconds as the token time grammar writes them."""
    import datetime

    moment = datetime.datetime.fromtimestamp(unix_seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def checkout_claims(issued_at: int, expiration: int, node_id: str = "100.20.15.10", count: str = "2") -> Dict[str, Any]:
    """Build a checkout payload as the issuer writes it."""
    return {
        "entitlementsAllowed": [
            {"name": "EntitlementCount", "unit": "Count", "value": count},
            {"name": "EnterpriseTier", "unit": "None", "value": "Enterprise"},
        ],
        "expiration": format_time(expiration),
        "issuedAt": format_time(issued_at),
        "licenseArn": "arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000001",
        "licenseConsumptionToken": "0123456789abcdef0123456789abcdef",
        "nodeId": node_id,
        "checkoutMetadata": {"Mac": "ABCDEFGHI"},
        "iat": issued_at,
        "exp": expiration,
    }
