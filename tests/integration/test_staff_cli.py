"""``microcred staff …`` as real processes on a SQLite platform, with the recognition officer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEK = "6f" * 32
ZED = ("--issuer", "university-of-zed")
OFFICER = "officer@example.org"


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
    base.update(MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK=KEK)
    assert run("demo", "--json", env=base).returncode == 0
    return base


def test_a_recognition_officer_decides_recognition_and_nothing_else(env: dict[str, str]) -> None:
    added = run("staff", "add", OFFICER, "--role", "recognition_officer", *ZED, "--json", env=env)
    assert added.returncode == 0, added.stderr
    member = json.loads(added.stdout)
    assert member["role"] == "recognition_officer" and member["email"] == OFFICER
    assert isinstance(member["password"], str) and len(member["password"]) >= 12

    listed = json.loads(run("staff", "list", *ZED, "--json", env=env).stdout)
    assert {"email": OFFICER, "role": "recognition_officer"}.items() <= next(
        m for m in listed if m["email"] == OFFICER
    ).items()

    as_officer = ("--as", OFFICER, *ZED)
    inbox = run("recognition", "list", *as_officer, "--json", env=env)
    assert inbox.returncode == 0, inbox.stderr
    assert json.loads(inbox.stdout) == []
    assert run("pathway", "list", *as_officer, "--json", env=env).returncode == 0

    issued = run(
        "issue", "--definition", "digital-content-creation", "--learner-email", "kim@example.org",
        "--name", "Kim Lee", *as_officer, env=env,
    )  # fmt: skip
    assert issued.returncode == 2 and "credential:issue" in issued.stderr
    assert "Traceback" not in issued.stderr

    # tokens are an admin's (tokens:manage); an admin may scope one to recognition work
    refused = run("token", "create", "--name", "inbox", *as_officer, env=env)
    assert refused.returncode == 2 and "tokens:manage" in refused.stderr
    token = run(
        "token", "create", "--name", "inbox", "--scope", "recognition:decide",
        "--scope", "learner:read", *ZED, "--json", env=env,
    )  # fmt: skip
    assert token.returncode == 0, token.stderr
    assert json.loads(token.stdout)["scopes"] == ["learner:read", "recognition:decide"]


def test_set_role_remove_and_refused_input(env: dict[str, str]) -> None:
    assert run("staff", "add", OFFICER, "--role", "viewer", *ZED, env=env).returncode == 0
    changed = run("staff", "set-role", OFFICER, "--role", "recognition_officer", *ZED, env=env)
    assert changed.returncode == 0, changed.stderr
    assert "is now recognition_officer" in changed.stdout

    again = run("staff", "add", OFFICER, "--role", "admin", *ZED, env=env)
    assert again.returncode == 2 and "already a member" in again.stderr

    bad = run("staff", "add", "x@example.org", "--role", "superuser", *ZED, env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "recognition_officer" in bad.stderr

    removed = run("staff", "remove", OFFICER, *ZED, env=env)
    assert removed.returncode == 0, removed.stderr
    listed = json.loads(run("staff", "list", *ZED, "--json", env=env).stdout)
    assert OFFICER not in [m["email"] for m in listed]
    gone = run("staff", "remove", OFFICER, *ZED, env=env)
    assert gone.returncode == 2 and "not a member" in gone.stderr
