"""`make run`'s script (scripts/run.sh) as a new user runs it, on another port.

With only ``MICROCRED_PORT`` set, everything the demo prints — the app, the claim link, the
issuer's did:web DID — must name the port the server really listens on, and that DID must be
the one the server publishes there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_run_on_another_port_prints_and_serves_that_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    env.update(
        BIN=str(Path(sys.executable).parent),
        MICROCRED_HOME=str(tmp_path / "var"),
        MICROCRED_PORT=str(port),
        MICROCRED_ANCHOR_INTERVAL_SECONDS="0",
    )
    log = tmp_path / "run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        did_document = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/issuers/university-of-zed/did.json", timeout=5
                )
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            did_document = answer.json()
            break
        printed = log.read_text()
        assert did_document is not None, printed
        base = f"http://127.0.0.1:{port}"
        assert f"App           {base}\n" in printed, printed
        assert re.search(rf"Claim link    {re.escape(base)}/claim/\S+", printed), printed
        did = f"did:web:localhost%3A{port}:issuers:university-of-zed"
        assert f"Issuer        University of Zed: {did}\n" in printed, printed
        assert ":8000" not in printed, printed
        assert did_document["id"] == did
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
