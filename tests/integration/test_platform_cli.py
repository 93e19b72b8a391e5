"""The platform commands as real processes: init, demo, issue, tokens, serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(MICROCRED_HOME=str(tmp_path / "home"), MICROCRED_KEK="5e" * 32)
    return base


def test_init_demo_issue_and_tokens(env: dict[str, str]) -> None:
    first = run(
        "init", "--admin-email", "ops@example.org", "--issuer-slug", "acme",
        "--issuer-name", "Acme Academy", "--country", "DE", "--json", env=env,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    created = json.loads(first.stdout)
    assert created["operator"] == "ops@example.org" and len(created["password"]) >= 12
    assert created["issuer"]["did"] == "did:web:localhost%3A8000:issuers:acme"
    again = json.loads(run("init", "--admin-email", "ops@example.org", "--json", env=env).stdout)
    assert again["password"] is None

    demo = run("demo", "--json", env=env)
    assert demo.returncode == 0, demo.stderr
    seeded = json.loads(demo.stdout)
    assert seeded["login"]["email"] == "ops@example.org"  # the existing operator owns the demo
    assert seeded["definitions"] == {
        "digital-content-creation": "published",
        "open-science-basics": "draft",
    }
    assert seeded["urls"]["claim"].startswith("http://127.0.0.1:8000/claim/")
    rerun = json.loads(run("demo", "--json", env=env).stdout)
    assert rerun["credential"] == seeded["credential"] and rerun["urls"]["claim"] is None

    zed = ["--issuer", "university-of-zed"]
    issued = run(
        "issue", "--definition", "digital-content-creation", "--learner-email", "kim@example.org",
        "--name", "Kim Lee", "--idempotency-key", "k-1", *zed, env=env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.startswith("issued urn:uuid:") and "claim link" in issued.stdout
    replay = run(
        "issue", "--definition", "digital-content-creation", "--learner-email", "kim@example.org",
        "--name", "Kim Lee", "--idempotency-key", "k-1", *zed, env=env,
    )  # fmt: skip
    assert "already issued with this key" in replay.stdout

    compliance = run("definition", "compliance", "open-science-basics", *zed, env=env)
    assert compliance.returncode == 1 and "NOT compliant" in compliance.stdout

    token = json.loads(
        run(
            "token",
            "create",
            "--name",
            "ci",
            "--scope",
            "credential:issue",
            *zed,
            "--json",
            env=env,
        ).stdout
    )
    assert token["secret"].startswith("mc_") and token["scopes"] == ["credential:issue"]
    listed = json.loads(run("token", "list", *zed, "--json", env=env).stdout)
    assert [t["id"] for t in listed] == [token["id"]]
    assert run("token", "revoke", token["id"], *zed, env=env).returncode == 0

    missing = run("issuer", "show", "nowhere", env=env)
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")
    stranger = run("issuer", "list", "--as", "nobody@example.org", env=env)
    assert stranger.returncode == 2 and "no staff account" in stranger.stderr


def test_missing_kek_is_a_one_line_error(env: dict[str, str]) -> None:
    del env["MICROCRED_KEK"]
    done = run("init", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "MICROCRED_KEK" in done.stderr


def test_serve_answers_and_stops_cleanly(env: dict[str, str]) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "microcred", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # generous: CI runs this beside Chromium and hardhat
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    break
                time.sleep(0.3)
        if answer is None or answer.status_code != 200:
            server.kill()  # reading its output while it runs would block
            output = server.communicate(timeout=30)[0]
            pytest.fail(f"the server did not answer /healthz: {answer!r}\n{output}")
        assert answer.json() == {"status": "ok"}
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    output = ""
    if server.stdout is not None:
        output = server.stdout.read()
        server.stdout.close()
    assert code == 0, output
    assert "Traceback" not in output
    # no MICROCRED_BASE_URL: its default names port 8000, not this one, and serve says so
    assert f"listens on port {port}; set MICROCRED_BASE_URL=http://127.0.0.1:{port}" in output


def test_import_dry_run_then_issue(env: dict[str, str], tmp_path: Path) -> None:
    assert run("demo", env=env).returncode == 0
    cohort = tmp_path / "cohort.csv"
    cohort.write_bytes(
        b"\xef\xbb\xbfName;E-mail;Student number\r\n"
        b"Ana Alves;ana@example.org;S-1\r\nBen Bauer;nope;S-2\r\nCai Chen;cai@example.org;S-3\r\n"
    )
    common = ["--definition", "digital-content-creation", "--issuer", "university-of-zed"]
    dry = run("import", str(cohort), *common, "--dry-run", "--json", env=env)
    assert dry.returncode == 1, dry.stderr
    report = json.loads(dry.stdout)
    assert (report["rowsOk"], report["rowsFailed"]) == (2, 1)
    assert report["errors"] == [
        {"row": 3, "column": "E-mail", "reason": "'nope' is not an e-mail address"}
    ]
    done = run("import", str(cohort), *common, "--json", env=env)
    assert done.returncode == 1, done.stderr  # one row failed
    result = json.loads(done.stdout)
    assert (result["state"], result["issuedRows"], result["failedRows"]) == ("completed", 2, 1)
    assert "rows (100.0%)" in done.stderr  # the plain progress line (no terminal here)
    again = run("import", str(cohort), *common, env=env)
    assert again.returncode == 2 and "already imported" in again.stderr
