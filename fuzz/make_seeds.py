#!/usr/bin/env python3
"""Regenerate the seed corpora under fuzz/corpus/ and fuzz/keys/issuer-public.pem.

Each run makes a new issuer key, signs the seed tokens with it, keeps only its public half
and deletes the private one, so the committed seeds verify with the committed public key.
Keys for the `keys` corpus are throwaway keys from `openssl genpkey`. Needs `openssl` (3.x)
on PATH and only the Python standard library.

Run it from anywhere: `python3 fuzz/make_seeds.py`. It replaces corpus/<target>/seed-*
files and leaves every other corpus file (regression inputs) alone.
"""

import base64
import copy
import json
import pathlib
import subprocess
import tempfile

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"

ISSUER_KID = "fuzz-issuer"
# Must match LICENSE_ARN_PLACEHOLDER and CONSUMPTION_TOKEN_PLACEHOLDER in src/store.rs. The
# SignKey placeholder is the one examples/licenses/enterprise.json already contains.
LICENSE_ARN = "@LICENSE_ARN@"
CONSUMPTION_TOKEN = "@CONSUMPTION_TOKEN@"

# The checkout claims of tests/common/mod.rs: valid from 2020-11-30T23:47:35 to
# 2020-12-01T00:47:35 UTC; the token targets verify at 2020-11-30T23:57:35 (1606780655).
CLAIMS = {
    "entitlementsAllowed": [
        {"name": "EntitlementCount", "unit": "Count", "value": "10"},
        {"name": "EnterpriseTier", "unit": "None", "value": "Enterprise"},
        {"name": "Version", "unit": "None", "value": "10"},
    ],
    "expiration": "2020-12-01T00:47:35",
    "issuedAt": "2020-11-30T23:47:35",
    "licenseArn": "arn:aws:license-manager::123456789012:license:l-6585590917ad46858328ff02dEXAMPLE",
    "licenseConsumptionToken": "306eb19afd354ba79c3687b9bEXAMPLE",
    "nodeId": "100.20.15.10",
    "checkoutMetadata": {"Mac": "ABCDEFGHI"},
    "iat": 1606780055,
    "exp": 1606783655,
}
NOW = 1606780655


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["openssl", *args], input=data, check=True, capture_output=True
    ).stdout


class Issuer:
    """Signs JWS compact tokens with RSASSA-PSS, salt length equal to the hash length."""

    def __init__(self, work: pathlib.Path):
        self.key = work / "issuer.pem"
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", str(self.key))

    def public_pem(self) -> bytes:
        return openssl("pkey", "-in", str(self.key), "-pubout")

    def token(self, payload: bytes, alg: str = "PS256", header=None) -> bytes:
        if header is None:
            header = {"alg": alg, "typ": "JWT", "kid": ISSUER_KID}
        header_bytes = header if isinstance(header, bytes) else compact(header)
        signing_input = f"{b64url(header_bytes)}.{b64url(payload)}".encode()
        signature = openssl("dgst", f"-sha{alg[2:]}", "-sign", str(self.key),
                            "-sigopt", "rsa_padding_mode:pss",
                            "-sigopt", "rsa_pss_saltlen:digest", data=signing_input)
        return signing_input + b"." + b64url(signature).encode()


def claims_with(**changes) -> bytes:
    claims = copy.deepcopy(CLAIMS)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return compact(claims)


def token_seeds(issuer: Issuer) -> dict[str, bytes]:
    vector = json.loads((ROOT / "tests/vectors/rfc7520/4_2.rsa-pss_signature.json").read_text())
    claims = compact(CLAIMS)
    unsigned_header = b64url(compact({"alg": "PS256", "typ": "JWT", "kid": ISSUER_KID})).encode()

    def header_of(alg: str) -> bytes:
        return b64url(compact({"alg": alg})).encode()

    good = issuer.token(claims)
    head, body, signature = good.split(b".")
    entitlements = copy.deepcopy(CLAIMS["entitlementsAllowed"])
    entitlements[0]["value"] = "2"
    return {
        "license-ps256": good,
        "license-ps384": issuer.token(claims, "PS384"),
        "license-ps512": issuer.token(claims, "PS512"),
        "license-no-kid": issuer.token(claims, header={"alg": "PS256", "typ": "JWT"}),
        "license-other-kid": issuer.token(claims, header={"alg": "PS256", "kid": "unknown"}),
        "license-no-node": issuer.token(claims_with(nodeId=None)),
        "license-no-metadata": issuer.token(claims_with(checkoutMetadata=None)),
        "license-expired": issuer.token(
            claims_with(expiration="2020-11-30T23:50:00", exp=1606780200)),
        "license-not-yet-valid": issuer.token(
            claims_with(issuedAt="2020-12-01T00:00:00Z", iat=1606780800)),
        "license-expiration-first": issuer.token(
            claims_with(expiration="2020-11-30T23:00:00", exp=1606777200)),
        "license-fractional-time": issuer.token(
            claims_with(issuedAt="2020-11-30T23:47:35.123456789Z")),
        "license-small-count": issuer.token(claims_with(entitlementsAllowed=entitlements)),
        "license-extra-members": issuer.token(
            claims_with(extra={"nested": [1, 2.5, -3e10, True, None, "\u00e9\ud83d\ude00"]})),
        "license-crit": issuer.token(claims, header={"alg": "PS256", "kid": ISSUER_KID,
                                                     "crit": ["exp"], "exp": 1}),
        "license-header-jwk": issuer.token(claims, header={"alg": "PS256", "kid": ISSUER_KID,
                                                           "jwk": {"kty": "RSA"}}),
        "license-duplicate-alg": issuer.token(
            claims, header=b'{"alg":"PS256","alg":"PS256","kid":"fuzz-issuer"}'),
        "jws-text": issuer.token(vector["input"]["payload"].encode(), "PS384"),
        "jws-empty-payload": issuer.token(b"", "PS512"),
        "jws-rfc7520": vector["output"]["compact"].encode(),
        "alg-none": header_of("none") + b"." + body + b".",
        "alg-hs256": header_of("HS256") + b"." + body + b"." + signature[:43],
        "alg-rs256": header_of("RS256") + b"." + body + b"." + signature,
        "unsigned": unsigned_header + b"." + body,
        "four-segments": good + b"." + body,
        "padded": head + b"==." + body + b"." + signature,
        "empty-segments": b"..",
        "short": b"e30.e30.AA",
    }


def options_seeds() -> dict[str, bytes]:
    return {
        "every-option": b'{"profile":"jws","now":"2020-11-30T23:47:35Z","leewaySeconds":0,'
                        b'"nodeId":"n1","algorithms":["PS384"],"requireEntitlements":'
                        b'[{"name":"Seats","value":"2"},{"name":"Tier"}],"maxTokenBytes":100}',
        "empty": b"{}",
        "license": b'{"profile":"license"}',
        "now-number": b'{"now":1606780655}',
        "now-offset": b'{"now":"2020-11-30T23:47:35+01:30"}',
        "now-fraction": b'{"now":"2020-11-30T23:47:35.5"}',
        "now-max": b'{"now":253402300799}',
        "now-negative": b'{"now":-1}',
        "now-text": b'{"now":"yesterday"}',
        "leeway-max": b'{"leewaySeconds":86400}',
        "leeway-over": b'{"leewaySeconds":86401}',
        "leeway-float": b'{"leewaySeconds":1.5}',
        "algorithms-all": b'{"algorithms":["PS256","PS384","PS512"]}',
        "algorithms-rs256": b'{"algorithms":["RS256"]}',
        "algorithms-empty": b'{"algorithms":[]}',
        "profile-jwt": b'{"profile":"jwt"}',
        "max-bytes-zero": b'{"maxTokenBytes":0}',
        "max-bytes-huge": b'{"maxTokenBytes":18446744073709551616}',
        "unknown-member": b'{"nodeID":"x"}',
        "duplicate-member": b'{"nodeId":"a","nodeId":"b"}',
        "require-extra-member": b'{"requireEntitlements":[{"name":"a","unit":"Count"}]}',
        "require-no-name": b'{"requireEntitlements":[{"value":"1"}]}',
        "not-object": b'["profile"]',
        "invalid-utf8": b'{"nodeId":"\xff"}',
        "escapes": b'{"nodeId":"\\u0000\\ud83d\\ude00"}',
        "deep": b'{"requireEntitlements":' + b"[" * 200 + b"]" * 200 + b"}",
    }


def key_seeds(work: pathlib.Path) -> dict[str, bytes]:
    def genpkey(name: str, *args: str) -> pathlib.Path:
        path = work / f"{name}.pem"
        openssl("genpkey", *args, "-out", str(path))
        return path

    seeds: dict[str, bytes] = {}
    rsa = genpkey("rsa2048", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    seeds["private-pkcs8.pem"] = rsa.read_bytes()
    seeds["private-pkcs8.der"] = openssl("pkey", "-in", str(rsa), "-outform", "DER")
    seeds["private-pkcs1.pem"] = openssl("rsa", "-in", str(rsa), "-traditional")
    seeds["private-pkcs1.der"] = openssl("rsa", "-in", str(rsa), "-traditional", "-outform", "DER")
    seeds["public-spki.pem"] = openssl("pkey", "-in", str(rsa), "-pubout")
    seeds["public-spki.der"] = openssl("pkey", "-in", str(rsa), "-pubout", "-outform", "DER")
    seeds["public-pkcs1.pem"] = openssl("rsa", "-in", str(rsa), "-RSAPublicKey_out")
    seeds["public-pkcs1.der"] = openssl("rsa", "-in", str(rsa), "-RSAPublicKey_out",
                                        "-outform", "DER")
    seeds["private-encrypted.pem"] = openssl("pkcs8", "-in", str(rsa), "-topk8", "-v2",
                                             "aes-256-cbc", "-passout", "pass:fuzz")

    for bits in ("3072", "4096"):
        key = genpkey(f"rsa{bits}", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}")
        seeds[f"public-{bits}.der"] = openssl("pkey", "-in", str(key), "-pubout",
                                              "-outform", "DER")
    small = genpkey("rsa1024", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
    seeds["public-1024.pem"] = openssl("pkey", "-in", str(small), "-pubout")
    exponent3 = genpkey("rsa-e3", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-pkeyopt", "rsa_keygen_pubexp:3")
    seeds["public-exponent-3.pem"] = openssl("pkey", "-in", str(exponent3), "-pubout")
    pss = genpkey("rsa-pss", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048")
    seeds["private-rsa-pss.pem"] = pss.read_bytes()
    seeds["public-rsa-pss.pem"] = openssl("pkey", "-in", str(pss), "-pubout")
    ec = genpkey("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    seeds["private-ec.pem"] = ec.read_bytes()
    seeds["public-ec.pem"] = openssl("pkey", "-in", str(ec), "-pubout")
    ed = genpkey("ed25519", "-algorithm", "ED25519")
    seeds["public-ed25519.pem"] = openssl("pkey", "-in", str(ed), "-pubout")

    vector = json.loads((ROOT / "tests/vectors/rfc7520/4_2.rsa-pss_signature.json").read_text())
    private_jwk = vector["input"]["key"]
    public_jwk = {name: private_jwk[name] for name in ("kty", "kid", "use", "n", "e")}
    seeds["jwk-rfc7520.json"] = compact(public_jwk)
    seeds["jwk-private.json"] = compact(private_jwk)
    seeds["jwks-two.json"] = compact({"keys": [public_jwk, {**public_jwk, "kid": "second",
                                                            "alg": "PS384"}]})
    seeds["jwks-duplicate-kid.json"] = compact({"keys": [public_jwk, public_jwk]})
    seeds["jwks-skipped.json"] = compact({"keys": [{**public_jwk, "use": "enc"},
                                                   {**public_jwk, "alg": "RS256"},
                                                   {"kty": "EC", "crv": "P-256", "x": "AA",
                                                    "y": "AA"}]})
    seeds["jwks-empty.json"] = b'{"keys":[]}'
    seeds["jwk-small-exponent.json"] = compact({**public_jwk, "e": "Aw"})
    return seeds


def request_seeds() -> dict[str, bytes]:
    create = json.loads((ROOT / "examples/licenses/enterprise.json").read_text())

    def create_with(change) -> bytes:
        request = copy.deepcopy(create)
        change(request)
        return compact(request)

    borrow = {
        "LicenseArn": LICENSE_ARN,
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"}],
        "DigitalSignatureMethod": "JWT_PS384",
        "NodeId": "100.20.15.10",
        "CheckoutMetadata": [{"Name": "Mac", "Value": "ABCDEFGHI"}],
        "ClientToken": "borrow-1",
    }

    def borrow_with(**changes) -> bytes:
        return compact({**borrow, **changes})

    provisional = {
        "ProductSKU": "EXAMPLE-ANALYTICS-ENT",
        "CheckoutType": "PROVISIONAL",
        "KeyFingerprint": "aws:000000000000:Example Vendor:issuer-fingerprint",
        "Entitlements": [{"Name": "EntitlementCount", "Value": "1", "Unit": "Count"},
                         {"Name": "EnterpriseTier", "Unit": "None"}],
        "NodeId": "100.20.15.10",
        "ClientToken": "provisional-1",
    }

    def count(value: str) -> list:
        return [{"Name": "EntitlementCount", "Value": value, "Unit": "Count"}]

    return {
        "create": (ROOT / "examples/licenses/enterprise.json").read_bytes(),
        "create-conflict": create_with(lambda r: r.update(LicenseName="Other")),
        "create-new-token": create_with(lambda r: r.update(ClientToken="create-2")),
        "create-no-token": create_with(lambda r: r.pop("ClientToken")),
        "create-overage": create_with(
            lambda r: r.update(ClientToken="create-3") or r["Entitlements"][0].update(
                Overage=True, MaxCount=9223372036854775807)),
        "create-validity-reversed": create_with(
            lambda r: r.update(ClientToken="create-4",
                               Validity={"Begin": "2036-01-01T00:00:00Z",
                                         "End": "2026-01-01T00:00:00Z"})),
        "create-tags": create_with(
            lambda r: r.update(ClientToken="create-5", Tags=[{"Key": "team", "Value": "a"}])),
        "get-license": compact({"LicenseArn": LICENSE_ARN}),
        "get-license-version": compact({"LicenseArn": LICENSE_ARN, "Version": "1"}),
        "list-consumptions": compact({"LicenseArn": LICENSE_ARN, "State": "ACTIVE"}),
        "borrow": compact(borrow),
        "borrow-ps256": borrow_with(DigitalSignatureMethod="JWT_PS256"),
        "borrow-over-max": borrow_with(Entitlements=count("11")),
        "borrow-zero": borrow_with(Entitlements=count("0")),
        "borrow-negative": borrow_with(Entitlements=count("-1")),
        "borrow-huge": borrow_with(Entitlements=count("99999999999999999999")),
        "borrow-unknown-entitlement": borrow_with(
            Entitlements=[{"Name": "Missing", "Value": "1", "Unit": "Count"}]),
        "provisional": compact(provisional),
        "provisional-by-arn": compact({**provisional, "LicenseArn": LICENSE_ARN,
                                       "Beneficiary": "customer-0042@example.com"}),
        "check-in": compact({"LicenseConsumptionToken": CONSUMPTION_TOKEN}),
        "check-in-unknown": compact({"LicenseConsumptionToken": "0" * 32}),
        "extend": compact({"LicenseConsumptionToken": CONSUMPTION_TOKEN}),
        "extend-dry-run": compact({"LicenseConsumptionToken": CONSUMPTION_TOKEN,
                                   "DryRun": True}),
        "empty-object": b"{}",
        "not-object": b"[]",
        "deep": b"[" * 200 + b"]" * 200,
    }


def ffi_seeds(tokens, keys, requests) -> dict[str, bytes]:
    license_options = compact({"now": NOW})
    strict_options = compact({"now": NOW, "leewaySeconds": 0, "nodeId": "100.20.15.10",
                              "requireEntitlements": [{"name": "EntitlementCount",
                                                       "value": "5"}]})
    seeds = {
        "verify-pem-defaults": b"\x00" + tokens["license-ps256"],
        "verify-pem-now": b"\x00" + tokens["license-ps384"] + b"\x00" + license_options,
        "verify-pem-strict": b"\x00" + tokens["license-ps256"] + b"\x00" + strict_options,
        "verify-pem-jws": b"\x00" + tokens["jws-text"] + b'\x00{"profile":"jws"}',
        "verify-jwks-rfc7520": b"\x01" + tokens["jws-rfc7520"] + b'\x00{"profile":"jws"}',
        "verify-jwks-now": b"\x01" + tokens["license-ps512"] + b"\x00" + license_options,
        "verify-bad-options": b"\x00" + tokens["license-ps256"] + b'\x00{"nodeID":1}',
        "verifier-spki": b"\x02" + keys["public-spki.pem"],
        "verifier-pkcs1-der": b"\x02" + keys["public-pkcs1.der"],
        "verifier-private": b"\x02" + keys["private-pkcs8.pem"],
        "verifier-jwks": b"\x03" + keys["jwks-two.json"],
        "verifier-jwk-private": b"\x03" + keys["jwk-private.json"],
        "signer-pkcs8": b"\x04" + keys["private-pkcs8.pem"],
        "signer-public": b"\x04" + keys["public-spki.der"],
        "store-options": b'\x0c{"accountId":"123456789012","synchronous":"FULL"}',
        "store-options-unknown": b'\x0c{"accountID":"123456789012"}',
    }
    for selector, name in [(5, "create"), (5, "create-conflict"), (6, "get-license"),
                           (7, "get-license"), (8, "list-consumptions"), (9, "borrow"),
                           (9, "provisional"), (9, "borrow-over-max"), (10, "check-in"),
                           (11, "extend"), (11, "extend-dry-run")]:
        seeds[f"store-{selector}-{name}"] = bytes([selector]) + requests[name]
    return seeds


def write(target: str, seeds: dict[str, bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        issuer = Issuer(work)
        (FUZZ / "keys").mkdir(exist_ok=True)
        (FUZZ / "keys/issuer-public.pem").write_bytes(issuer.public_pem())
        tokens = token_seeds(issuer)
        keys = key_seeds(work)
    requests = request_seeds()
    write("verify_license", tokens)
    write("verify_jws", tokens)
    write("verify_options", options_seeds())
    write("keys", keys)
    write("requests", requests)
    write("ffi", ffi_seeds(tokens, keys, requests))


if __name__ == "__main__":
    main()
