"""Measure the verification throughput of libcheckout against PyJWT and joserfc.

All three verify the same PS256 token, signed with one 2048-bit key over a checkout-shaped
payload, and each does the closest equivalent of full verification:

- libcheckout: ``Verifier.verify(token)``, which checks the signature and the license claims
  (times, entitlements, node) against the system clock.
- PyJWT: ``jwt.decode(token, key, algorithms=["PS256"], leeway=60)``, which checks the
  signature and the registered ``exp`` and ``iat`` claims.
- joserfc: ``jwt.decode(token, key, algorithms=["PS256"])``, which checks only the signature
  and parses the claims, followed by ``JWTClaimsRegistry(leeway=60).validate(claims)`` for
  ``exp`` and ``iat``, as joserfc's documentation pairs them.

Each library gets a pre-parsed key object, so no round parses a PEM. The rounds alternate the
three libraries in a rotating order, so a slow phase of a shared machine falls on all of them.
Each round times one batch of calls per library on two clocks: the CPU time of this process,
which other processes on a shared machine barely change, and the wall clock. The report gives
the medians of the rounds, their spread, and the ratios of the medians.

Usage: verify_bench.py [--rounds N] [--batch-seconds S] [--write FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import RSAKey

import libcheckout

SECTION_TITLE = "## Python verify"
INTRO = """# Benchmarks

The figures on this page are measured, not asserted. Each section names the command that
produced it and the machine it ran on, so it can be reproduced. Figures from another machine
or another run differ, so rerun the command before relying on a number.
"""
TARGETS = {"PyJWT": 3.0, "joserfc": 1.5}


@dataclass
class Result:
    """Throughput of one library in each round, in verifications per second of CPU time
    and of wall-clock time."""

    name: str
    cpu_rates: List[float]
    wall_rates: List[float]

    @property
    def median(self) -> float:
        """The median CPU-time throughput."""
        return statistics.median(self.cpu_rates)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall_rates)

    @property
    def spread(self) -> float:
        """The interquartile range of the CPU-time throughput, relative to its median."""
        if len(self.cpu_rates) < 2:
            return 0.0
        lower, _, upper = statistics.quantiles(self.cpu_rates, n=4)
        return (upper - lower) / self.median


def checkout_claims(now: int) -> Dict[str, Any]:
    """Build the payload an issuer writes for a borrow checkout, valid for one hour."""

    def format_time(unix_seconds: int) -> str:
        moment = datetime.datetime.fromtimestamp(unix_seconds, tz=datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    issued_at = now - 60
    expiration = now + 3600
    return {
        "entitlementsAllowed": [
            {"name": "EntitlementCount", "unit": "Count", "value": "1"},
            {"name": "EnterpriseTier", "unit": "None", "value": "Enterprise"},
        ],
        "expiration": format_time(expiration),
        "issuedAt": format_time(issued_at),
        "licenseArn": "arn:aws:license-manager::000000000000:license:l-00000000000000000000000000000001",
        "licenseConsumptionToken": "0123456789abcdef0123456789abcdef",
        "nodeId": "100.20.15.10",
        "checkoutMetadata": {"Mac": "ABCDEFGHI"},
        "iat": issued_at,
        "exp": expiration,
    }


def build_verifiers(token: str, public_pem: str, claims: Dict[str, Any]) -> Dict[str, Callable[[], Any]]:
    """Build one zero-argument call per library, after checking that each returns the claims."""
    verifier = libcheckout.Verifier.from_pem(public_pem)
    pyjwt_key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(pyjwt_key, rsa.RSAPublicKey)
    joserfc_key = RSAKey.import_key(public_pem)
    joserfc_claims = joserfc_jwt.JWTClaimsRegistry(leeway=60)

    def run_libcheckout() -> Any:
        return verifier.verify(token).claims

    def run_pyjwt() -> Any:
        return jwt.decode(token, pyjwt_key, algorithms=["PS256"], leeway=60)

    def run_joserfc() -> Any:
        decoded = joserfc_jwt.decode(token, joserfc_key, algorithms=["PS256"])
        joserfc_claims.validate(decoded.claims)
        return decoded.claims

    calls = {"libcheckout": run_libcheckout, "PyJWT": run_pyjwt, "joserfc": run_joserfc}
    for name, call in calls.items():
        if call() != claims:
            raise SystemExit(f"{name} returned other claims than were signed; nothing was measured")
    return calls


def time_batch(call: Callable[[], Any], count: int) -> Tuple[float, float]:
    """Return the throughput of `count` calls in calls per second of CPU time and of wall time."""
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for _ in range(count):
        call()
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return count / cpu, count / wall


def measure(calls: Dict[str, Callable[[], Any]], rounds: int, batch_seconds: float) -> List[Result]:
    """Run the rounds, each one batch per library in a rotating order."""
    # One warm-up batch per library, which also sizes the batches to about batch_seconds.
    counts = {}
    for name, call in calls.items():
        _, wall_rate = time_batch(call, 200)
        counts[name] = max(50, int(wall_rate * batch_seconds))

    names = list(calls)
    results = {name: Result(name, [], []) for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            cpu_rate, wall_rate = time_batch(calls[name], counts[name])
            results[name].cpu_rates.append(cpu_rate)
            results[name].wall_rates.append(wall_rate)
    return list(results.values())


def machine() -> Dict[str, str]:
    """Describe the machine and the software versions."""
    cpu_model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if found:
            cpu_model = found.group(1).strip()
    packages = ", ".join(
        f"{package} {version(package)}" for package in ("libcheckout", "PyJWT", "joserfc", "cryptography")
    )
    return {
        "System": subprocess.run(["uname", "-srm"], capture_output=True, text=True, check=True).stdout.strip(),
        "CPUs (nproc)": subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip(),
        "CPU model": cpu_model,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Packages": packages,
    }


def ratio_range(results: List[Result], name: str) -> str:
    """Give the lowest and highest per-round CPU-time ratio of libcheckout to `name`."""
    ours = results[0].cpu_rates
    theirs = next(result for result in results if result.name == name).cpu_rates
    per_round = [mine / other for mine, other in zip(ours, theirs)]
    return f"{min(per_round):.2f}x to {max(per_round):.2f}x"


def render(results: List[Result], command: str, rounds: int, batch_seconds: float, payload_bytes: int) -> str:
    """Render the Markdown section."""
    ours = results[0]
    lines = [
        SECTION_TITLE,
        "",
        f"Measured on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d} with:",
        "",
        "```sh",
        command,
        "```",
        "",
        "The script, `benches/python/verify_bench.py`, verifies one PS256 token (2048-bit key,",
        f"a checkout payload of {payload_bytes} bytes) with each library, signature and expiry included.",
        "For joserfc it times `jwt.decode` followed by `JWTClaimsRegistry.validate`, because",
        "`jwt.decode` alone does not check `exp`. The rounds alternate the three libraries",
        f"in a rotating order: {rounds} rounds, each with one batch of about {batch_seconds} s",
        "per library, all in one thread. Each batch is timed on the CPU time of the process,",
        "which other processes on the shared cores barely change, and on the wall clock. The",
        "spread is the interquartile range of the CPU-time rounds relative to their median,",
        "and the per-round range gives the lowest and highest CPU-time ratio within one round.",
        "",
    ]
    for key, value in machine().items():
        lines.append(f"- {key}: {value}")
    lines += [
        "",
        "Verifications per second:",
        "",
        "| library | median (CPU time) | slowest round | fastest round | spread | median (wall clock) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        lines.append(
            f"| {result.name} | {result.median:,.0f} | {min(result.cpu_rates):,.0f} | "
            f"{max(result.cpu_rates):,.0f} | {result.spread:.1%} | {result.wall_median:,.0f} |"
        )
    lines += [
        "",
        "| libcheckout vs | ratio of CPU-time medians | per-round range | ratio of wall-clock medians | target | result |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results[1:]:
        ratio = ours.median / result.median
        wall_ratio = ours.wall_median / result.wall_median
        target = TARGETS[result.name]
        outcome = "met" if ratio >= target else "missed"
        lines.append(
            f"| {result.name} | {ratio:.2f}x | {ratio_range(results, result.name)} | "
            f"{wall_ratio:.2f}x | >= {target}x | {outcome} |"
        )
    return "\n".join(lines) + "\n"


SECTION_START = "<!-- python-verify:start -->"
SECTION_END = "<!-- python-verify:end -->"


def write_section(path: Path, section: str) -> None:
    """Replace the section between its markers in `path`, or append it, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    block = f"{SECTION_START}\n{section.rstrip()}\n{SECTION_END}\n"
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(SECTION_END) :].lstrip("\n")
    else:
        # A section written before the markers existed runs from its title to the next marker
        # or second-level heading.
        pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |^<!-- |\Z)", re.MULTILINE | re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: block + "\n", text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41, help="rounds per library (default 41)")
    parser.add_argument(
        "--batch-seconds", type=float, default=0.15, help="wall-clock length of one timed batch, in seconds (default 0.15)"
    )
    parser.add_argument("--write", type=Path, metavar="FILE", help="write or update the section in this Markdown file")
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.batch_seconds <= 0:
        parser.error("--rounds must be at least 1 and --batch-seconds positive")

    signer = libcheckout.Signer.generate(2048, "PS256")
    claims = checkout_claims(int(time.time()))
    token = signer.sign(claims)
    calls = build_verifiers(token, signer.public_key_pem(), claims)

    results = measure(calls, arguments.rounds, arguments.batch_seconds)
    # run.sh passes the command a reader should type; a direct run records its own arguments.
    command = os.environ.get("BENCH_COMMAND") or " ".join(["python", *sys.argv])
    payload_bytes = len(libcheckout.Verifier.from_pem(signer.public_key_pem()).verify(token).payload)
    section = render(results, command, arguments.rounds, arguments.batch_seconds, payload_bytes)
    print(section)
    if arguments.write:
        write_section(arguments.write, section)
        print(f"Wrote the section to {arguments.write}")


if __name__ == "__main__":
    main()
