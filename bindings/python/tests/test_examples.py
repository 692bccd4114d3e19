"""The examples in examples/python run and agree with each other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples" / "python"


def run(script: str, directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_issuer_then_product(tmp_path: Path) -> None:
    issued = run("issuer.py", tmp_path)
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.startswith("borrowed until ")

    checked = run("product.py", tmp_path)

    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == "EntitlementCount = 1 Count"
    assert (tmp_path / "public.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_product_rejects_tampered_token(tmp_path: Path) -> None:
    assert run("issuer.py", tmp_path).returncode == 0
    token = (tmp_path / "token.jwt").read_text()
    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    (tmp_path / "token.jwt").write_text(f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}")

    checked = run("product.py", tmp_path)

    assert checked.returncode == 1
    assert "LM_STATUS_SIGNATURE_INVALID" in checked.stderr
