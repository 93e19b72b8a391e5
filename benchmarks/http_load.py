"""HTTP load test (issue 6, target 5): ``python -m benchmarks.http_load``.

Starts the real product (``microcred serve --workers N``: uvicorn, N server processes) on a
free 127.0.0.1 port with a throw-away SQLite database in a temporary directory, seeded with
the demo issuer, its published definition and a credential whose learner shared it. Then this
process (a second process, on loopback) drives an **open-loop, constant arrival rate** load
against each target for a bounded time:

* ``verify``: ``POST /credentials/verify`` (VC-API) with the shared credential;
* ``page``: the public credential page ``GET /c/{share_id}`` (verifies the credential and
  renders the HTML page).

Requests are due at fixed times (``rate`` per second); each latency is measured from the
time the request was *due*, not from when a connection became free, so a server that falls
behind is charged for the queue it causes (no coordinated omission). Requests go over a pool
of keep-alive connections (HTTP/1.1, raw sockets: the generator stays cheap so that most of
the 2 cores serve).

Prints one JSON object per target (achieved req/s, p50/p90/p99/max in ms, errors) and a table.
Nothing is asserted: the target (p99 ≤ 50 ms at ≥ 500 req/s) is judged in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGETS = ("verify", "page")
NAMES = ("http_verify", "http_page")
P99_TARGET_MS = 50.0
RATE_TARGET = 500.0


@dataclass
class Seeded:
    credential: dict[str, Any]
    share_id: str


@dataclass
class LoadResult:
    target: str
    rate: float
    seconds: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100.0 * len(ordered)) - 1))
        return ordered[index]

    def row(self, workers: int) -> dict[str, Any]:
        achieved = self.ok / self.elapsed if self.elapsed else 0.0
        p99 = self.percentile(99)
        return {
            "http": self.target,
            "workers": workers,
            "rate_asked": self.rate,
            "seconds": round(self.elapsed, 2),
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "statuses": self.statuses,
            "achieved_rps": round(achieved, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p90_ms": round(self.percentile(90), 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 2),
            # CPU the server processes and this load generator spent on the measured run:
            # requests per server CPU-second is what the machine's load does not move
            "server_cpu_s": round(self.server_cpu, 2),
            "client_cpu_s": round(self.client_cpu, 2),
            "per_server_cpu_s": round(self.ok / self.server_cpu, 1) if self.server_cpu else None,
            "met": bool(
                self.errors == 0 and achieved >= RATE_TARGET * 0.98 and p99 <= P99_TARGET_MS
            ),
        }


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    env.update(
        {
            "MICROCRED_HOME": str(home),
            "MICROCRED_DATABASE_URL": f"sqlite:///{home / 'microcred.db'}",
            "MICROCRED_BASE_URL": f"http://127.0.0.1:{port}",
            "MICROCRED_HOST": "127.0.0.1",
            "MICROCRED_PORT": str(port),
            "MICROCRED_KEK": secrets.token_hex(32),
            "MICROCRED_ANCHOR_INTERVAL_SECONDS": "0",
            "MICROCRED_LOG_LEVEL": "WARNING",
            "MICROCRED_ADMIN_PASSWORD": secrets.token_urlsafe(18),
            # one client sends every request: the limiter stays in the path but never answers 429
            "MICROCRED_RATE_LIMIT_PER_MINUTE": "1000000",
        }
    )
    return env


def seed(env: dict[str, str]) -> Seeded:
    """The demo data, plus a wallet that shares the demo credential (in this process)."""
    from microcred.services.platform import build_platform
    from microcred.services.seed import seed_demo
    from microcred.services.sharing import SharingService
    from microcred.settings import load_settings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    platform = build_platform(settings)
    try:
        demo = seed_demo(
            platform,
            admin_email="admin@uni.example",
            admin_password=env["MICROCRED_ADMIN_PASSWORD"],
        )
        claim_url = demo.credential.claim_url
        if claim_url is None:
            raise RuntimeError("the demo credential was seeded before (no claim link)")
        sharing = SharingService(platform.uow, platform.issuance, base_url=settings.base_url)
        session = sharing.open_wallet(claim_url.rsplit("/", 1)[1])
        share = sharing.set_sharing(session.identity, session.credential_id, True)
        if share.share_id is None:
            raise RuntimeError("sharing the demo credential gave no share id")
        return Seeded(credential=dict(demo.credential.document), share_id=share.share_id)
    finally:
        platform.close()


@contextlib.contextmanager
def running_server(workers: int) -> Iterator[tuple[int, Seeded, int]]:
    """Seed a throw-away home, start ``microcred serve`` on a free port, stop it after."""
    home = Path(tempfile.mkdtemp(prefix="microcred-http-load-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        env = server_environment(home, port)
        from microcred.storage import migrate

        migrate(env["MICROCRED_DATABASE_URL"])
        seeded = seed(env)
        log = (home / "server.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "microcred", "serve", "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_ready(port, process, home / "server.log")
        yield port, seeded, process.pid
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the server we started, and its workers
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(home, ignore_errors=True)


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become ready within 60 s")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every live process of group ``pgid``
    (the server and its workers), from /proc; 0 where /proc is not available."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[2] = pgrp (stat field 5)
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


# --------------------------------------------------------------------------- the load


def build_request(target: str, port: int, seeded: Seeded) -> bytes:
    host = f"127.0.0.1:{port}"
    if target == "verify":
        body = json.dumps({"verifiableCredential": seeded.credential}).encode("utf-8")
        head = (
            f"POST /credentials/verify HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body
    if target == "page":
        head = (
            f"GET /c/{seeded.share_id} HTTP/1.1\r\nHost: {host}\r\n"
            "Accept: text/html\r\nAccept-Encoding: gzip\r\n\r\n"
        )
        return head.encode("ascii")
    raise ValueError(f"unknown target {target!r}")


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response; return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int,
    request: bytes,
    queue: asyncio.Queue[float | None],
    result: LoadResult,
    record: bool,
) -> None:
    loop = asyncio.get_running_loop()
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while True:
        due = await queue.get()
        if due is None:
            break
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            status = await asyncio.wait_for(_read_response(reader), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status = 0
            if writer is not None:
                writer.close()
            reader = writer = None
        done = loop.time()
        if record:
            key = str(status)
            result.statuses[key] = result.statuses.get(key, 0) + 1
            if 200 <= status < 300:
                result.ok += 1
            else:
                result.errors += 1
            result.latencies_ms.append((done - due) * 1000.0)
    if writer is not None:
        writer.close()


async def _drive(
    port: int, request: bytes, rate: float, seconds: float, connections: int, record: bool
) -> LoadResult:
    result = LoadResult(target="", rate=rate, seconds=seconds)
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(_connection(port, request, queue, result, record))
        for _ in range(connections)
    ]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * seconds)
    interval = 1.0 / rate
    for index in range(total):
        due = start + index * interval
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(due)
    result.sent = total
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.elapsed = loop.time() - start
    return result


def drive(
    target: str,
    port: int,
    seeded: Seeded,
    *,
    rate: float,
    seconds: float,
    connections: int,
    warmup: float = 2.0,
    server_group: int | None = None,
) -> LoadResult:
    """Warm every worker up at a low rate, then run the measured open-loop load."""
    request = build_request(target, port, seeded)
    if warmup > 0:
        asyncio.run(_drive(port, request, min(rate, 100.0), warmup, connections, False))
    server_before = group_cpu_seconds(server_group) if server_group is not None else 0.0
    client_before = time.process_time()
    result = asyncio.run(_drive(port, request, rate, seconds, connections, True))
    result.client_cpu = time.process_time() - client_before
    if server_group is not None:
        result.server_cpu = group_cpu_seconds(server_group) - server_before
    result.target = target
    return result


def measure_http(
    targets: tuple[str, ...] = TARGETS,
    *,
    rate: float = RATE_TARGET,
    seconds: float = 10.0,
    workers: int = 2,
    connections: int = 64,
    warmup: float = 2.0,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with running_server(workers) as (port, seeded, group):
        for target in targets:
            result = drive(
                target,
                port,
                seeded,
                rate=rate,
                seconds=seconds,
                connections=connections,
                warmup=warmup,
                server_group=group,
            )
            rows.append(result.row(workers))
    return rows


def print_http_table(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    header = ("http", "workers", "asked/s", "achieved/s", "p50 ms", "p90 ms", "p99 ms", "max ms")
    out.write(
        "\n{:<8} {:>7} {:>8} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7} {:>5} {:>9}\n".format(
            *header, "errors", "met", "req/cpu-s"
        )
    )
    out.write("-" * 96 + "\n")
    for row in rows:
        out.write(
            f"{row['http']:<8} {row['workers']:>7} {row['rate_asked']:>8.0f}"
            f" {row['achieved_rps']:>10.1f} {row['p50_ms']:>8.2f} {row['p90_ms']:>8.2f}"
            f" {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f} {row['errors']:>7}"
            f" {'yes' if row['met'] else 'no':>5} {row['per_server_cpu_s'] or 0:>9.1f}\n"
        )
    out.write(f"(target: p99 <= {P99_TARGET_MS:.0f} ms at >= {RATE_TARGET:.0f} req/s, no errors)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=RATE_TARGET, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per target")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per target")
    parser.add_argument("--quick", action="store_true", help="3 s per target (smoke run)")
    parser.add_argument("--only", nargs="*", choices=TARGETS, help="targets to load")
    args = parser.parse_args(argv)
    rows = measure_http(
        tuple(args.only or TARGETS),
        rate=args.rate,
        seconds=3.0 if args.quick else args.seconds,
        workers=args.workers,
        connections=args.connections,
        warmup=1.0 if args.quick else args.warmup,
    )
    for row in rows:
        print(json.dumps(row))
    print_http_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
