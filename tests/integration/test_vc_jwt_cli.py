"""``microcred sign --format jwt`` and ``microcred verify FILE.jwt`` as real processes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    *args: str, env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "microcred", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK="d4" * 32)
    return base


def _segment(token: str, index: int) -> dict[str, object]:
    part = token.split(".")[index]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def test_sign_as_jwt_then_verify(env: dict[str, str], tmp_path: Path) -> None:
    created = run("keys", "new", "--id", "registrar", "--json", env=env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    example = run("example", env=env)
    assert example.returncode == 0, example.stderr
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(example.stdout)
    out = tmp_path / "badge.jwt"
    signed = run(
        "sign", str(unsigned), "--key", "registrar", "--set-issuer", "--format", "jwt",
        "--out", str(out), env=env,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    token = out.read_text().strip()
    header, payload = _segment(token, 0), _segment(token, 1)
    assert header == {"alg": "EdDSA", "kid": key["verificationMethod"], "typ": "JWT"}
    assert payload["iss"] == key["did"] and "proof" not in payload

    verified = run("verify", str(out), "--json", env=env)
    assert verified.returncode == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert report["verified"] is True and report["summary"]["format"] == "vc+jwt"
    assert {c["code"] for c in report["checks"]} >= {"proof.jws", "proof.jwt-claims"}

    from_stdin = run("verify", "-", env=env, stdin=token.encode() + b"\n")
    assert from_stdin.returncode == 0 and b"proof.jws" in from_stdin.stdout


def test_tampered_and_unreadable_tokens(env: dict[str, str], tmp_path: Path) -> None:
    created = run("keys", "new", "--id", "k", env=env)
    assert created.returncode == 0, created.stderr
    unsigned = tmp_path / "u.json"
    unsigned.write_bytes(run("example", env=env).stdout)
    signed = run("sign", str(unsigned), "--key", "k", "--set-issuer", "--format", "jwt", env=env)
    head, body, sig = signed.stdout.decode().strip().split(".")
    payload = _segment(f"{head}.{body}.{sig}", 1)
    payload["name"] = "Something else"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    path = tmp_path / "forged.jwt"
    path.write_text(f"{head}.{forged}.{sig}")
    result = run("verify", str(path), "--json", env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    failed = [c["code"] for c in report["checks"] if c["outcome"] == "failed"]
    assert failed == ["proof.jws"]

    garbage = tmp_path / "garbage.jwt"
    garbage.write_text("abc.def.ghi\n")
    result = run("verify", str(garbage), env=env)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "not a readable VC-JWT" in lines[0]


def test_bad_format_option(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "u.json"
    path.write_text("{}")
    result = run("sign", str(path), "--key", "k", "--format", "cose", env=env)
    assert result.returncode == 2 and b"--format" in result.stderr
