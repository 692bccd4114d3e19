"""Store: every operation, the context manager and close()."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict

import pytest

import libcheckout
from helpers import borrow_request, consumed, provisional_request


def test_create_license_response(store: libcheckout.Store, license_request: Callable[..., Dict[str, Any]]) -> None:
    response = store.create_license(license_request())

    assert sorted(response) == ["LicenseArn", "Status", "Version"]
    assert response["Status"] == "AVAILABLE"
    assert response["Version"] == "1"
    assert response["LicenseArn"].startswith("arn:aws:license-manager::000000000000:license:l-")


def test_create_license_accepts_json_text(store: libcheckout.Store, license_request: Callable[..., Dict[str, Any]]) -> None:
    import json

    request = license_request()
    first = store.create_license(json.dumps(request))
    replay = store.create_license(json.dumps(request).encode())

    assert first == replay


def test_get_license(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    license = store.get_license({"LicenseArn": license_arn})["License"]

    assert license["LicenseArn"] == license_arn
    assert license["Issuer"]["SignKey"] == signer.kid
    assert license["Issuer"]["KeyFingerprint"] == "aws:000000000000:Example Vendor:issuer-fingerprint"
    assert license["Entitlements"][0]["MaxCount"] == 10
    assert license["Status"] == "AVAILABLE"


def test_borrow_checkout_and_verify(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer, verifier: libcheckout.Verifier
) -> None:
    response = store.checkout(signer, borrow_request(license_arn, 3))

    assert response["LicenseArn"] == license_arn
    assert response["EntitlementsAllowed"] == [{"Name": "EntitlementCount", "Unit": "Count", "Value": "3"}]
    assert response["CheckoutMetadata"] == [{"Name": "Mac", "Value": "ABCDEFGHI"}]
    verified = verifier.verify(response["SignedToken"], node_id="100.20.15.10")
    assert verified.header["alg"] == "PS384"
    assert verified.claims is not None
    assert verified.claims["licenseConsumptionToken"] == response["LicenseConsumptionToken"]
    assert verified.claims["checkoutMetadata"] == {"Mac": "ABCDEFGHI"}
    assert consumed(store, license_arn) == "3"


def test_provisional_checkout(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    response = store.checkout(signer, provisional_request(2))

    assert response["CheckoutType"] == "PROVISIONAL"
    assert response["LicenseArn"] == license_arn
    assert response["EntitlementsAllowed"] == [
        {"Name": "EntitlementCount", "Unit": "Count", "Value": "2"},
        {"Name": "EnterpriseTier", "Unit": "None", "Value": "Enterprise"},
    ]
    assert consumed(store, license_arn) == "2"


def test_checkout_replay_returns_same_response(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer
) -> None:
    request = borrow_request(license_arn)

    first = store.checkout(signer, request)
    second = store.checkout(signer, request)

    assert second == first
    assert consumed(store, license_arn) == "1"


def test_checkout_exhausted_has_reasons(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    store.checkout(signer, borrow_request(license_arn, 10))

    with pytest.raises(libcheckout.NoEntitlementsAllowedError) as raised:
        store.checkout(signer, borrow_request(license_arn, 1))

    error = raised.value
    assert error.status == 401
    assert error.code == "LM_STATUS_NO_ENTITLEMENTS_ALLOWED"
    assert str(error).startswith("NoEntitlementsAllowedException: ")
    assert [reason["name"] for reason in error.reasons] == ["EntitlementCount"]
    assert isinstance(error, libcheckout.CheckoutError)


def test_checkout_with_wrong_signer(
    store: libcheckout.Store, license_arn: str, other_signer: libcheckout.Signer, signer: libcheckout.Signer
) -> None:
    with pytest.raises(libcheckout.InvalidKeyError) as raised:
        store.checkout(other_signer, borrow_request(license_arn))

    assert other_signer.kid in str(raised.value)
    assert signer.kid in str(raised.value)


def test_borrow_unknown_entitlement(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    request = borrow_request(license_arn)
    request["Entitlements"] = [{"Name": "Seats", "Value": "1", "Unit": "Count"}]

    with pytest.raises(libcheckout.EntitlementNotAllowedError) as raised:
        store.checkout(signer, request)

    assert raised.value.status == 402
    assert raised.value.reasons[0]["name"] == "Seats"


def test_check_in_returns_quantity(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    token = store.checkout(signer, borrow_request(license_arn, 4))["LicenseConsumptionToken"]

    assert store.check_in({"LicenseConsumptionToken": token}) == {}
    assert consumed(store, license_arn) == "0"

    with pytest.raises(libcheckout.NotFoundError) as raised:
        store.check_in({"LicenseConsumptionToken": token})
    assert raised.value.status == 400


def test_list_license_consumptions(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    active = store.checkout(signer, borrow_request(license_arn))["LicenseConsumptionToken"]
    returned = store.checkout(signer, borrow_request(license_arn))["LicenseConsumptionToken"]
    store.check_in({"LicenseConsumptionToken": returned})

    listed = store.list_license_consumptions({"LicenseArn": license_arn})["LicenseConsumptions"]
    states = {entry["LicenseConsumptionToken"]: entry["State"] for entry in listed}

    assert states == {active: "ACTIVE", returned: "CHECKED_IN"}
    only_active = store.list_license_consumptions({"LicenseArn": license_arn, "State": "ACTIVE"})
    assert [entry["LicenseConsumptionToken"] for entry in only_active["LicenseConsumptions"]] == [active]


def test_extend_license_consumption(
    store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer, verifier: libcheckout.Verifier
) -> None:
    checkout = store.checkout(signer, borrow_request(license_arn))

    extended = store.extend_license_consumption(
        signer, {"LicenseConsumptionToken": checkout["LicenseConsumptionToken"]}
    )

    assert extended["LicenseConsumptionToken"] == checkout["LicenseConsumptionToken"]
    claims = verifier.verify(extended["SignedToken"]).claims
    assert claims is not None
    assert claims["licenseConsumptionToken"] == checkout["LicenseConsumptionToken"]
    assert claims["expiration"] == extended["Expiration"]


def test_conflicting_client_token(store: libcheckout.Store, license_arn: str, signer: libcheckout.Signer) -> None:
    request = borrow_request(license_arn, 1)
    store.checkout(signer, request)
    request["Entitlements"][0]["Value"] = "2"

    with pytest.raises(libcheckout.ConflictError) as raised:
        store.checkout(signer, request)

    assert raised.value.status == 403
    assert consumed(store, license_arn) == "1"


def test_account_id_and_synchronous(tmp_path: Path, license_request: Callable[..., Dict[str, Any]]) -> None:
    with libcheckout.Store(tmp_path / "full.db", account_id="123456789012", synchronous="FULL") as store:
        arn = store.create_license(license_request())["LicenseArn"]

        assert store.account_id == "123456789012"
        assert arn.startswith("arn:aws:license-manager::123456789012:license:l-")


def test_file_store_persists(tmp_path: Path, license_request: Callable[..., Dict[str, Any]]) -> None:
    path = tmp_path / "persist.db"
    with libcheckout.Store(path) as store:
        arn = store.create_license(license_request())["LicenseArn"]

    with libcheckout.Store(str(path)) as reopened:
        assert reopened.get_license({"LicenseArn": arn})["License"]["LicenseArn"] == arn


def test_memory_store() -> None:
    with libcheckout.Store(":memory:") as store:
        assert store.account_id == "000000000000"
        with pytest.raises(libcheckout.NotFoundError):
            store.get_license({"LicenseArn": "arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000000"})


def test_close_then_every_call_raises(tmp_path: Path, signer: libcheckout.Signer) -> None:
    store = libcheckout.Store(tmp_path / "closed.db")
    assert store.closed is False

    store.close()
    store.close()

    assert store.closed is True
    calls = [
        lambda: store.create_license({}),
        lambda: store.get_license({}),
        lambda: store.get_license_usage({}),
        lambda: store.list_license_consumptions({}),
        lambda: store.checkout(signer, {}),
        lambda: store.check_in({}),
        lambda: store.extend_license_consumption(signer, {}),
        lambda: store.account_id,
        lambda: store.__enter__(),
    ]
    for call in calls:
        with pytest.raises(libcheckout.InvalidArgumentError) as raised:
            call()
        assert str(raised.value) == "the store is closed; open a new Store"
        assert isinstance(raised.value, ValueError)


def test_context_manager_closes_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with libcheckout.Store(tmp_path / "ctx.db") as store:
            raise RuntimeError("inside")

    assert store.closed is True
    assert repr(store) == "Store(closed)"


def test_store_rejects_bad_options(tmp_path: Path) -> None:
    with pytest.raises(libcheckout.InvalidArgumentError) as raised:
        libcheckout.Store(tmp_path / "a.db", account_id="12345")
    assert "12345" in str(raised.value)

    with pytest.raises(libcheckout.InvalidArgumentError) as raised:
        libcheckout.Store(tmp_path / "b.db", synchronous="OFF")
    assert '"OFF"' in str(raised.value)

    with pytest.raises(TypeError):
        libcheckout.Store(42)  # type: ignore[arg-type]


def test_store_in_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(libcheckout.StoreError) as raised:
        libcheckout.Store(tmp_path / "missing" / "licenses.db")

    assert raised.value.status == 500
