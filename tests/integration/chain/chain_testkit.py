"""Helpers for the chain tests: a Hardhat node process, a fault-injecting JSON-RPC proxy,
an in-process eth-tester chain, raw JSON-RPC calls."""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[3]
HARDHAT = REPO / "node_modules" / ".bin" / "hardhat"
SOLC_SCRIPT = REPO / "scripts" / "compile-contract.js"


def importorskip(name: str, reason: str) -> Any:
    """``pytest.importorskip`` that keeps the interpreter's recursion limit.

    py-evm (``eth``) and py_ecc raise the process-wide limit on import (to 12288 / 100000);
    left that way, other tests that feed deeply nested JSON would crash the whole run with a
    C stack overflow instead of getting a RecursionError.
    """
    limit = sys.getrecursionlimit()
    try:
        return pytest.importorskip(name, reason=reason)
    finally:
        sys.setrecursionlimit(limit)


@dataclass
class InProcessChain:
    """An in-process chain (eth-tester + py-evm) and a ``Web3`` client on it."""

    w3: Any
    tester: Any

    def mine(self, blocks: int = 1) -> None:
        self.tester.mine_blocks(blocks)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, params: list[Any] | None = None, *, timeout: float = 5.0) -> Any:
    """One raw JSON-RPC call (no web3), for test set-up and assertions."""
    parts = urlsplit(url)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("POST", parts.path or "/", body, {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM the node when the test process dies,
    so a crashed or killed test run leaves no node behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class HardhatNode:
    """``node_modules/.bin/hardhat node`` on 127.0.0.1:<port>, started by its own binary so
    the process we stop is the node itself."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 45.0) -> None:
        env = dict(os.environ, HARDHAT_DISABLE_TELEMETRY_PROMPT="true")
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [str(HARDHAT), "node", "--hostname", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"hardhat node exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                if rpc(self.url, "eth_chainId", timeout=1.0):
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"hardhat node not ready within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def pid(self) -> int:
        """The node's process id (for SIGSTOP/SIGCONT/SIGKILL in restart tests)."""
        if self._process is None:
            raise RuntimeError("the hardhat node is not running")
        return self._process.pid

    def kill(self) -> None:
        """``kill -9`` the node (its in-memory chain is gone) and reap it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def log_tail(self) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            rpc(self.url, "evm_mine")


class FaultyProxy:
    """A JSON-RPC proxy on 127.0.0.1 that can lose replies, like a node that restarts.

    ``drop_reply_after["eth_sendRawTransaction"] = 1`` forwards the next such request to the
    node and then closes the client connection without answering (the transaction reached
    the node, the client never hears so). ``refuse_next = n`` closes the next ``n`` connections
    without forwarding anything (the node is down). ``forwarded`` counts what reached the node
    and ``bodies`` keeps the raw requests per method. ``after_forward(method)``, when set, is
    called once the node answered and before the client gets the answer (e.g. to freeze the
    node right after it accepted a transaction).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.drop_reply_after: Counter[str] = Counter()
        self.refuse_next = 0
        self.forwarded: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.bodies: dict[str, list[Any]] = {}
        self.after_forward: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with proxy._lock:
                    if proxy.refuse_next > 0:
                        proxy.refuse_next -= 1
                        self.close_connection = True
                        return
                try:
                    request = json.loads(body)
                except ValueError:
                    request = None
                if not isinstance(request, dict):
                    request = {}
                method = str(request.get("method", ""))
                status, payload = proxy._forward(body)
                if proxy.after_forward is not None:
                    proxy.after_forward(method)
                with proxy._lock:
                    proxy.forwarded[method] += 1
                    proxy.bodies.setdefault(method, []).append(request.get("params"))
                    if proxy.drop_reply_after[method] > 0:
                        proxy.drop_reply_after[method] -= 1
                        proxy.dropped[method] += 1
                        self.close_connection = True
                        return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _forward(self, body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=10
        )
        try:
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def hardhat_node(tmp_dir: Path) -> Iterator[HardhatNode]:
    node = HardhatNode(free_port(), tmp_dir / "hardhat-node.log")
    node.start()
    try:
        yield node
    finally:
        node.stop()
