"""``microcred endorse …`` and ``microcred clr …`` as real processes on a SQLite platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from microcred.services.platform import build_platform
from microcred.services.seed import local_principal
from microcred.settings import load_settings

KEK = "6f" * 32


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
    return base


def test_endorse_then_issue_then_export_and_verify_a_clr(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run("demo", "--json", env=env).returncode == 0
    zed = ["--issuer", "university-of-zed"]
    definitions = json.loads(run("definition", "list", *zed, "--json", env=env).stdout)
    definition = next(d for d in definitions if d["state"] == "published")["id"]

    added = run("endorse", "partner-add", "Acme Robotics", "--hold-key", *zed, "--json", env=env)
    assert added.returncode == 0, added.stderr
    partner = json.loads(added.stdout)
    assert partner["did"].startswith("did:key:z6Mk") and partner["holdsKey"] is True
    signed = run(
        "endorse", "sign", partner["id"], "--definition", definition,
        "--comment", "Acme hires graduates.", *zed, env=env,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert "Acme Robotics ->" in signed.stdout
    listed = json.loads(run("endorse", "list", *zed, "--json", env=env).stdout)
    assert [e["comment"] for e in listed] == ["Acme hires graduates."]
    bad = run("endorse", "partner-add", "X", "--did", "did:example:1", *zed, env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1

    issued = run(
        "issue", "--definition", "digital-content-creation", "--learner-email", "kim@example.org",
        "--name", "Kim Lee", *zed, "--json", env=env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    document = json.loads(issued.stdout)
    assert (
        document["credentialSubject"]["achievement"]["endorsement"][0]["issuer"]["id"]
        == (partner["did"])
    )

    platform = build_platform(load_settings(home=tmp_path / "home", kek=KEK), allow_network=False)
    try:
        principal = local_principal(platform)
        [issuer] = [
            i for i in platform.issuers.list_issuers(principal) if i.slug == "university-of-zed"
        ]
        row = platform.issuance.get_credential_by_uri(principal, issuer.id, document["id"])
    finally:
        platform.close()
    out = tmp_path / "transcript.json"
    exported = run(
        "clr", "export", "--learner", str(row.learner_id), "--credential", str(row.id),
        "-o", str(out), *zed, env=env,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]

    verified = run("clr", "verify", str(out), "--platform", "--json", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert [c["outcome"] for c in report["checks"] if c["code"] == "clr.credential"] == ["passed"]

    record["credentialSubject"]["verifiableCredential"][0]["name"] = "Changed"
    out.write_text(json.dumps(record), encoding="utf-8")
    tampered = run("clr", "verify", str(out), "--platform", "--json", env=env)
    assert tampered.returncode == 1
    failed = {c["code"] for c in json.loads(tampered.stdout)["checks"] if c["outcome"] == "failed"}
    assert "clr.credential" in failed
