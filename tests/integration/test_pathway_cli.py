"""``microcred pathway`` and ``microcred recognition`` as real processes on a demo platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


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
    base.update(MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK="5e" * 32)
    return base


def test_pathway_and_recognition_commands(env: dict[str, str], tmp_path: Path) -> None:
    assert run("init", "--admin-email", "ops@example.org", env=env).returncode == 0
    assert run("demo", env=env).returncode == 0
    zed = ["--issuer", "university-of-zed"]
    issued = run(
        "issue", "--definition", "digital-content-creation", "--learner-email", "kim@example.org",
        "--name", "Kim Lee", "--external-id", "s-9", *zed, env=env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    rule = tmp_path / "rule.json"
    rule.write_text(
        json.dumps(
            {
                "parts": [
                    {
                        "key": "other",
                        "label": "Any credential of Other U",
                        "issuerDid": "did:web:other.example",
                    }
                ],
                "minEcts": "5",
            }
        )
    )
    created = run(
        "pathway", "create", "--slug", "stacked", "--name", "Stacked award",
        "--target", "digital-content-creation", "--rule", str(rule), *zed, "--json", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["rule"]["minEcts"] == "5"
    listed = run("pathway", "list", *zed, env=env)
    assert "stacked  Stacked award  1 parts" in listed.stdout
    progress = run("pathway", "progress", "--learner", "s-9", *zed, env=env)
    assert progress.returncode == 0, progress.stderr
    assert (
        "stacked: 0%" in progress.stdout
        and "missing: part: Any credential of Other U" in progress.stdout
    )
    assert "no new award" in run("pathway", "evaluate", "--learner", "s-9", *zed, env=env).stdout

    bad = run(
        "pathway", "create", "--slug", "bad", "--name", "Bad", "--target",
        "digital-content-creation", "--rule", '{"parts": []}', *zed, env=env,
    )  # fmt: skip
    assert (
        bad.returncode != 0
        and bad.stderr.startswith("error: ")
        and len(bad.stderr.splitlines()) == 1
    )

    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    refused = run("recognition", "import", str(junk), "--learner", "s-9", *zed, env=env)
    assert refused.returncode != 0 and refused.stderr.startswith("error: ")
    unknown = run("recognition", "import", str(junk), "--learner", "nobody", *zed, env=env)
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
    assert run("recognition", "list", "--undecided", *zed, "--json", env=env).stdout.strip() == "[]"
    assert run("pathway", "awards", *zed, "--json", env=env).stdout.strip() == "[]"
