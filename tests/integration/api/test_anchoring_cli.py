"""``microcred anchor run|status``, ``ledger verify`` (then a tampered row), ``issuer
compromise-key`` on the platform of the ``api`` fixture (SQLite and PostgreSQL), and the run
lock that keeps two anchoring runs from overlapping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_testkit import Api
from sqlalchemy import update
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.errors import Conflict
from microcred.services.anchoring_runner import RunLock
from microcred.storage.ledger_tables import LedgerEntryRow


class Ran:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(api: Api, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings = api.platform.settings
    for name in ("MICROCRED_KEK_FILE", "MICROCRED_KEY_STORE_DIR", "MICROCRED_AS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("RPC_URL", "CONTRACT", "ACCOUNT"):
        monkeypatch.delenv(f"MICROCRED_EVM_{name}", raising=False)
    assert settings.kek is not None
    monkeypatch.setenv("MICROCRED_HOME", str(settings.home))
    monkeypatch.setenv("MICROCRED_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MICROCRED_KEK", settings.kek.get_secret_value())
    monkeypatch.setenv("MICROCRED_BASE_URL", settings.base_url)

    def run(*args: str) -> Ran:
        result = CliRunner().invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


def test_anchor_run_status_and_ledger_verify_then_tamper(api: Api, cli: Any) -> None:
    waiting = cli("anchor", "status", "--json")
    assert waiting.exit_code == 0, waiting.stderr
    rows = {r["issuer"]: r for r in waiting.json()["issuers"]}
    assert rows["alpha"]["pending"] == 1 and rows["beta"]["pending"] == 1
    assert rows["alpha"]["ledger"] == api.platform.anchor_setup.embedded.ledger_id

    # the command line runs on the system clock: these credentials waited long enough
    done = cli("anchor", "run")
    assert done.exit_code == 0, done.stderr
    assert "2 batch(es) sealed, 2 published, 2 anchor proof(s) written" in done.stdout
    assert "ledger checkpoint 2 root " in done.stdout

    shown = cli("anchor", "status", "--issuer", "alpha")
    assert shown.exit_code == 0, shown.stderr
    assert "waiting      0 credentials\n" in shown.stdout
    assert "batches      1 completed\n" in shown.stdout
    assert "last anchor  never" not in shown.stdout
    assert cli("anchor", "status", "--issuer", "nope").exit_code == 2

    intact = cli("ledger", "verify")
    assert intact.exit_code == 0, intact.stderr
    assert intact.stdout.strip().endswith("is intact: 2 entries, 2 checkpoints")
    assert cli("ledger", "verify", "--json").json()["ok"] is True

    with api.platform.database.engine.begin() as connection:
        connection.execute(
            update(LedgerEntryRow)
            .where(LedgerEntryRow.position == 0)
            .values(account="did:web:someone-else.example")
        )
    tampered = cli("ledger", "verify")
    assert tampered.exit_code == 1
    assert tampered.stderr.count("\n") == 1
    assert tampered.stderr.startswith(
        "ledger tampered: entry 0 was altered: its contents no longer match its hash"
    )
    report = cli("ledger", "verify", "--json")
    assert report.exit_code == 1 and report.json()["ok"] is False


def test_compromise_key_from_the_command_line(api: Api, cli: Any) -> None:
    assert cli("anchor", "run", "--force", "--issuer", "alpha").exit_code == 0
    at = api.clock.now().isoformat()
    refused = cli("issuer", "compromise-key", "alpha", "key-9", "--at", at, "--reason", "x")
    assert refused.exit_code == 2 and "has no key 'key-9' (its keys: key-1)" in refused.stderr
    bad_time = cli(
        "issuer", "compromise-key", "alpha", "key-1", "--at", "yesterday", "--reason", "x"
    )
    assert bad_time.exit_code == 2 and "--at" in bad_time.stderr

    done = cli(
        "issuer", "compromise-key", "alpha", "key-1", "--at", at,
        "--reason", "backup tape lost", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    body = done.json()
    assert body["verificationMethod"].endswith("#key-1") and body["status"] == "rotated"
    assert body["statusListsResigned"] == 2
    did = api.client.get(f"/issuers/{api.a.issuer.slug}/did.json").json()
    old = next(m for m in did["verificationMethod"] if m["id"].endswith("#key-1"))
    assert "revoked" in old
    again = cli("issuer", "compromise-key", "alpha", "key-1", "--at", at, "--reason", "same")
    assert again.exit_code == 0, again.stderr  # the same time again changes nothing


def test_one_anchoring_run_at_a_time(api: Api) -> None:
    runner = api.platform.anchor_setup.runner
    elsewhere = RunLock(api.platform.database)  # another process's lock on the same database
    with elsewhere.hold() as taken:
        assert taken
        with RunLock(api.platform.database).hold(wait=0.2) as second:
            assert second is False
        with pytest.raises(Conflict) as refused:
            runner.run(force=True)
        assert refused.value.extra.get("retryable") is True
        assert api.platform.anchoring.issuer_status(api.a.id).pending == 1  # nothing ran
    assert runner.run(force=True).published == 2
    with RunLock(api.platform.database).hold() as free:
        assert free
