"""``microcred credential revoke|suspend|reinstate|status`` and ``status lists`` as real
processes, then the platform's verifier in-process on the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from microcred.services.platform import build_platform
from microcred.settings import load_settings

KEK = "5e" * 32
BASE_URL = "https://credentials.example.edu"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(
        MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK=KEK, MICROCRED_BASE_URL=BASE_URL
    )
    return base


def _status(env: dict[str, str], credential: str) -> dict[str, object]:
    shown = run("credential", "status", credential, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data: dict[str, object] = json.loads(shown.stdout)
    return data


def test_suspend_reinstate_revoke_from_the_command_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    demo = run("demo", "--json", env=env)
    assert demo.returncode == 0, demo.stderr
    credential = json.loads(demo.stdout)["credential"]

    before = _status(env, credential)
    assert before["state"] == "issued"
    assert [(e["purpose"], e["set"]) for e in before["entries"]] == [  # type: ignore[attr-defined]
        ("revocation", False),
        ("suspension", False),
    ]

    suspended = run("credential", "suspend", credential, "--reason", "Under investigation", env=env)
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout.startswith(f"suspended {credential} (state suspended)")
    assert "/status/university-of-zed/suspension/1 index" in suspended.stdout
    assert "bit 1, list version 2" in suspended.stdout

    reinstated = run(
        "credential", "reinstate", credential, "--reason", "Investigation closed", "--json",
        env=env,
    )  # fmt: skip
    assert reinstated.returncode == 0, reinstated.stderr
    change = json.loads(reinstated.stdout)
    assert (change["state"], change["purpose"], change["status"]) == ("issued", "suspension", False)
    assert change["listVersion"] == 3

    # by the platform's id too; a revocation is final
    row_id = str(before["credential"])
    revoked = run("credential", "revoke", row_id, "--reason", "Result withdrawn", env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert "revocation list" in revoked.stdout and "bit 1" in revoked.stdout
    again = run("credential", "reinstate", credential, "--reason", "oops", env=env)
    assert again.returncode == 2 and "revocation is permanent" in again.stderr

    assert _status(env, credential)["state"] == "revoked"
    lists = run("status", "lists", "--json", env=env)
    assert lists.returncode == 0, lists.stderr
    assert [(x["purpose"], x["set"], x["version"]) for x in json.loads(lists.stdout)] == [
        ("revocation", 1, 2),
        ("suspension", 0, 3),
    ]

    # refusals: no reason, a blank one, an unknown credential, an unknown account
    assert run("credential", "revoke", credential, env=env).returncode == 2
    blank = run("credential", "suspend", credential, "--reason", "  ", env=env)
    assert blank.returncode == 2 and "reason" in blank.stderr
    unknown = run("credential", "revoke", "urn:uuid:nope", "--reason", "x", env=env)
    assert unknown.returncode == 2 and "no credential" in unknown.stderr
    stranger = run(
        "credential", "revoke", credential, "--reason", "x", "--as", "nobody@example.org", env=env
    )
    assert stranger.returncode == 2

    # the platform's verifier (what the API verifies with) sees the revocation
    platform = build_platform(
        load_settings(home=tmp_path / "home", kek=KEK, base_url=BASE_URL), allow_network=False
    )
    try:
        with platform.uow(read_only=True) as tx:
            issuer = tx.issuers.find_by_slug("university-of-zed")
            assert issuer is not None
            row = tx.credentials.find_by_uri(issuer.id, credential)
            assert row is not None
            document = dict(row.document)
            [audit] = tx.audit.list_for_issuer(issuer.id, action="credential.revoke")
        report = platform.engine.verifier.verify_credential(document)
        assert not report.verified
        [revocation] = [c for c in report.checks if c.code == "status.revocation"]
        assert revocation.message == "Revoked by the issuer."
        assert audit.details["reason"] == "Result withdrawn"
        listed = platform.status.published_list(f"{BASE_URL}/status/university-of-zed/revocation/1")
        assert listed is not None and "Result withdrawn" not in json.dumps(listed)
    finally:
        platform.close()
