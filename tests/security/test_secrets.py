"""Private keys never leak: a full journey, then every place it wrote is scanned.

The journey runs on the real platform and API (SQLite and PostgreSQL) with every logger at
DEBUG into a file: issuer key rotation, issuing through the API, a bulk import job, revocation,
anchoring, API errors (bad tokens, bad bodies, unknown ids, another tenant's ids), exports (the
import error report CSV, the ELM/EDC JSON, the certificate PDF, the audit log, DID documents,
status lists) and CLI commands as real processes (``keys list``, ``did show``, ``chain
new-account``, a failing ``keys new``). Then every private key in the key store (the issuers'
old and new signing keys, the ledger key, the chain account) and the KEK itself are looked for,
in every encoding (``secrets_testkit.encodings``), in: the log file, every HTTP response body and
header, the CLI output, the exported files, and the database (the SQLite file and its journal
bytes; on PostgreSQL every row of every table as text, ``bytea`` as hex).

A positive control proves the scanner finds a key in each of those encodings.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from api_testkit import Api, problem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql
from secrets_testkit import SecretScanner, encodings

from microcred.certificates.pdf import certificate_data, render_certificate_pdf
from microcred.keys.file_store import FileKeyStore
from microcred.keys.multikey import decode_secret_multikey
from microcred.services.access import Role
from microcred.storage import Base

CSV = (
    b"Name,E-mail,Student number\r\n"
    b"Ana Alves,ana@example.org,S-1\r\n"
    b"Ben Bauer,not-an-email,S-2\r\n"
    b"Cai Chen,cai@example.org,S-3\r\n"
)


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Every logger at DEBUG into a file for the test."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
        handler.close()


class Recorder:
    """Calls the API and keeps every response (status line, headers, body)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        answer = self.api.client.request(method, url, **kwargs)
        head = "".join(f"{k}: {v}\n" for k, v in answer.headers.items())
        self.seen.append(
            (f"HTTP {method} {url} -> {answer.status_code}", head.encode() + answer.content)
        )
        return answer


def _cli(args: list[str], env: dict[str, str]) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.stdout, done.stderr


def _journey(api: Api, call: Recorder, exports: Path) -> None:
    a, b = api.a, api.b
    base = f"/api/v1/issuers/{a.id}"
    admin, registrar = a.auth(), a.auth(Role.REGISTRAR)

    # keys: list, rotate (a new signing key; the old one stays for verification)
    assert call("GET", f"{base}/keys", headers=admin).status_code == 200
    rotated = call("POST", f"{base}/keys/rotate", headers=admin)
    assert rotated.status_code in (200, 201), rotated.text
    call("GET", f"{base}/keys", headers=admin)
    call("GET", "/issuers/alpha/did.json")

    # issue through the API, then read it back
    learner = call(
        "POST",
        f"{base}/learners",
        json={"name": "Mia Muster", "email": "mia@example.org", "externalId": "M-1"},
        headers=registrar,
    )
    assert learner.status_code in (200, 201), learner.text
    issued = call(
        "POST",
        f"{base}/credentials",
        json={"definitionId": str(a.definition_id), "learnerId": learner.json()["id"]},
        headers={**registrar, "Idempotency-Key": "secrets-journey-1"},
    )
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["id"]
    call("GET", f"{base}/credentials/{credential_id}", headers=registrar)
    call("GET", f"{base}/credentials", headers=registrar)

    # a bulk import job (with bad rows) and its error report
    imports = f"{base}/imports"
    upload = {"file": ("cohort.csv", CSV, "text/csv")}
    options = {"options": json.dumps({"definitionId": str(a.definition_id)})}
    call("POST", f"{imports}/preview", files=upload, headers=registrar)
    job = call("POST", imports, files=upload, data=options, headers=registrar)
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    assert call("POST", f"{imports}/{job_id}/run", headers=registrar).status_code == 202
    deadline = time.monotonic() + 120
    while call("GET", f"{imports}/{job_id}", headers=registrar).json()["state"] != "completed":
        assert time.monotonic() < deadline, "the import job did not complete"
        time.sleep(0.2)
    report = call("GET", f"{imports}/{job_id}/errors.csv", headers=registrar)
    (exports / "errors.csv").write_bytes(report.content)

    # revoke one, verify it, read the status list
    revoked = call(
        "POST",
        f"{base}/credentials/{credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=admin,
    )
    assert revoked.status_code == 200, revoked.text
    document = call("GET", f"{base}/credentials/{credential_id}", headers=registrar).json()
    stored = document.get("document", document)
    call("POST", "/credentials/verify", json={"verifiableCredential": stored})
    call("GET", f"{base}/status-lists", headers=admin)

    # anchoring (the embedded ledger), its status
    assert call("POST", f"{base}/anchoring/run", headers=admin).status_code in (200, 202)
    call("GET", f"{base}/anchoring", headers=admin)

    # exports: ELM/EDC JSON, the certificate PDF, the audit log
    elm = call("GET", f"{base}/credentials/{a.credential_id}/elm", headers=admin)
    (exports / "edc.json").write_bytes(elm.content)
    with api.platform.uow(read_only=True) as tx:
        kept = tx.credentials.get(a.id, a.credential_id).document
    pdf = render_certificate_pdf(
        certificate_data(kept, learner_name="Lee Learner", public_url="https://x.example/c/1")
    )
    (exports / "certificate.pdf").write_bytes(pdf)
    (exports / "credential.json").write_text(json.dumps(kept))
    call("GET", f"{base}/audit", headers=admin)

    # errors: no token, a wrong token, a bad body, unknown and foreign ids, bad JSON
    problem(call("GET", f"{base}/keys"), 401)
    problem(call("GET", f"{base}/keys", headers={"Authorization": "Bearer mc_wrong"}), 401)
    call("POST", f"{base}/credentials", json={"definitionId": "nope"}, headers=registrar)
    call("GET", f"{base}/credentials/{b.credential_id}", headers=admin)
    call("POST", f"/api/v1/issuers/{b.id}/keys/rotate", headers=admin)
    call(
        "POST",
        "/credentials/verify",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    call("POST", f"{base}/keys/rotate", headers=a.auth(Role.VIEWER))


def _private_keys(store: FileKeyStore, scanner: SecretScanner) -> int:
    count = 0
    for key_id in store.list_keys():
        # test-only: open the sealed file to learn the secret we must not find anywhere
        pair = store._open(key_id, store._read(key_id), store._kek)
        scanner.add(
            f"signing key {key_id}", decode_secret_multikey(pair.secret_key_multibase), ed25519=True
        )
        count += 1
    chain = store.path / "chain"
    if chain.is_dir():
        from microcred.anchoring.backends.evm_account import ChainKeyStore

        chains = ChainKeyStore(chain, store._kek)
        for name in chains.list_accounts():
            scanner.add(f"chain account {name}", chains.open(name)._secret())
            count += 1
    return count


def _database(api: Api, tmp_path: Path) -> Iterator[tuple[str, bytes | str]]:
    url = api.platform.settings.database_url
    if api.platform.database.backend == "sqlite":
        path = Path(url.split("sqlite:///", 1)[1])
        for candidate in (path, *path.parent.glob(path.name + "-*")):
            yield f"sqlite file {candidate.name}", candidate.read_bytes()
        return
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(
                sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(table.name))
            ).fetchall()
            yield f"postgres table {table.name}", "\n".join(r[0] for r in rows)


def test_no_private_key_anywhere_after_a_full_journey(
    api: Api, debug_log: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    call = Recorder(api)
    _journey(api, call, exports)

    store = api.platform.key_store
    kek = api.platform.settings.kek
    assert kek is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    env |= {
        "MICROCRED_KEK": kek.get_secret_value(),
        "MICROCRED_KEY_STORE_DIR": str(store.path),
        "MICROCRED_HOME": str(tmp_path / "cli-home"),
    }
    cli: list[tuple[str, bytes | str]] = []
    for args in (
        ["keys", "list"],
        ["did", "show", store.list_keys()[0]],
        ["chain", "new-account", "--id", "journey-anchor"],
        ["chain", "new-account", "--id", "journey-anchor"],  # a Conflict: one-line error
        ["keys", "new", "--id", "../escape"],
    ):
        out, err = _cli(args, env)
        cli.append((f"microcred {' '.join(args)}", out + err))

    scanner = SecretScanner()
    keys = _private_keys(store, scanner)
    assert keys >= 4  # alpha's old and new key, beta's key, the ledger key, the chain account
    scanner.add("the KEK", bytes.fromhex(kek.get_secret_value()))

    scanner.scan("the DEBUG log", debug_log.read_bytes())
    assert debug_log.stat().st_size > 0, "nothing was logged: the scan would prove nothing"
    scanner.scan_all(call.seen)
    scanner.scan_all(cli)
    scanner.scan_all((f"export {p.name}", p.read_bytes()) for p in sorted(exports.iterdir()))
    scanner.scan_all(_database(api, tmp_path))
    assert len(call.seen) >= 25 and len(scanner.scanned) >= 35
    assert scanner.found == []


def test_the_scanner_finds_a_key_in_every_encoding() -> None:
    """Positive control: each encoding a leak could take, planted in text or bytes, is found."""
    seed = bytes(range(1, 33))
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk_d = base64.urlsafe_b64encode(seed).rstrip(b"=").decode()
    planted: list[bytes | str] = [
        b"\x00\x01junk" + seed + b"junk",
        f"log line seed={seed.hex()} end",
        json.dumps({"kty": "OKP", "crv": "Ed25519", "d": jwk_d}),
        pem,
        f"secretKeyMultibase: {encodings(seed, ed25519=True)[-1].decode()}",
        base64.b64encode(b"prefix-" + seed + b"-suffix").decode(),  # inside a longer base64
        base64.b64encode(b"xy" + seed).decode(),
    ]
    for index, blob in enumerate(planted):
        scanner = SecretScanner()
        scanner.add("k", seed, ed25519=True)
        scanner.scan(f"planted {index}", blob)
        assert scanner.found, f"planted {index} was not found"
    clean = SecretScanner()
    clean.add("k", seed, ed25519=True)
    clean.scan("clean", json.dumps({"publicKeyMultibase": "z6Mk" + "a" * 44}))
    assert clean.found == []
