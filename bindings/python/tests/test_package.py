"""The package surface: exported names, docstrings, version and reprs."""

from __future__ import annotations

import inspect

import libcheckout

CLASSES = [libcheckout.PublicKey, libcheckout.Signer, libcheckout.Verifier, libcheckout.VerifiedToken, libcheckout.Store]


def test_version_matches_package_metadata() -> None:
    from importlib.metadata import version

    assert libcheckout.__version__ == version("libcheckout")
    assert libcheckout.__version__.count(".") == 2


def test_all_names_exist() -> None:
    missing = [name for name in libcheckout.__all__ if not hasattr(libcheckout, name)]

    assert missing == []
    assert len(libcheckout.__all__) == 26


def test_every_public_name_has_docstring() -> None:
    undocumented = []
    for name in libcheckout.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(libcheckout, name)
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
    for cls in CLASSES:
        for member_name, member in vars(cls).items():
            if member_name.startswith("_"):
                continue
            if not (inspect.getdoc(member) or "").strip():
                undocumented.append(f"{cls.__name__}.{member_name}")

    assert undocumented == []


def test_classes_report_public_module() -> None:
    assert [cls.__module__ for cls in CLASSES] == ["libcheckout"] * 5


def test_verifier_repr_counts_keys(signer: libcheckout.Signer, other_signer: libcheckout.Signer) -> None:
    verifier = libcheckout.Verifier.from_jwks({"keys": [signer.public_jwk(), other_signer.public_jwk()]})

    assert repr(verifier) == "Verifier(keys=2)"


def test_store_repr_shows_account(store: libcheckout.Store) -> None:
    assert repr(store) == 'Store(account_id="000000000000")'
