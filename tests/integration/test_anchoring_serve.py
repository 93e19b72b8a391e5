"""The background anchoring loop of ``microcred serve`` in real processes: two servers on one
database anchor the demo credential within the interval, exactly once, and it verifies with
its anchor."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    base.update(
        MICROCRED_HOME=str(tmp_path / "home"),
        MICROCRED_KEK="7a" * 32,
        MICROCRED_ANCHOR_INTERVAL_SECONDS="0.5",
        MICROCRED_ANCHOR_MAX_AGE_SECONDS="0",
    )
    return base


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "microcred", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 180  # generous: CI runs this beside Chromium and hardhat
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200:
                return server, port
        except httpx.TransportError:
            if server.poll() is not None:
                break
            time.sleep(0.3)
    server.kill()
    output = server.stdout.read() if server.stdout else ""
    raise AssertionError(f"the server did not start:\n{output}")


def stop(server: subprocess.Popen[str]) -> tuple[int, str]:
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
    return code, output


def test_two_servers_anchor_in_the_background_once(env: dict[str, str], tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "microcred", "demo", "--json"],
        capture_output=True, text=True, env=env, timeout=180, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    claim = json.loads(demo.stdout)["urls"]["claim"].removeprefix("http://127.0.0.1:8000")

    servers = []
    try:
        servers.append(start(env))
        servers.append(start(env))
        port = servers[0][1]
        deadline = time.monotonic() + 120
        body: dict = {}
        while time.monotonic() < deadline:
            body = httpx.get(f"http://127.0.0.1:{port}/ledger/checkpoints", timeout=30).json()
            if body["size"] >= 1:
                break
            time.sleep(0.3)
        assert body["size"] == 1, body
        time.sleep(1.5)  # a few more rounds of both loops: nothing new to publish

        credential = httpx.get(f"http://127.0.0.1:{servers[1][1]}{claim}", timeout=30)
        assert credential.status_code == 200, credential.text
        document = credential.json()["verifiableCredential"]
        assert len(document["proof"]) == 2
        verified = httpx.post(
            f"http://127.0.0.1:{port}/credentials/verify",
            json={"verifiableCredential": document},
            timeout=30,
        )
        assert verified.status_code == 200, verified.text
        found = {c["code"]: c for c in verified.json()["report"]["checks"]}
        assert found["anchor.ledger"]["outcome"] == "passed"
        assert found["anchor.account"]["outcome"] == "passed"
    finally:
        results = [stop(server) for server, _ in servers]
    for code, output in results:
        assert code == 0, output
        assert "Traceback" not in output and "anchoring run failed" not in output

    database = sqlite3.connect(tmp_path / "home" / "microcred.db")
    try:
        published = database.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'anchor.batch_published'"
        ).fetchone()[0]
        entries = database.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        batches = database.execute("SELECT count(*) FROM anchor_batches").fetchone()[0]
    finally:
        database.close()
    assert (published, entries, batches) == (1, 1, 1)
    verify = subprocess.run(
        [sys.executable, "-m", "microcred", "ledger", "verify"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert "is intact: 1 entry, 1 checkpoint" in verify.stdout
