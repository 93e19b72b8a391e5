"""JSON request bodies parsed once: ``python -m benchmarks.json_body [--requests N]``.

``POST /credentials/verify`` (and every other JSON route of the API) used to parse its body
twice: once strictly in ``api/strict_json.py`` (duplicate names, ``NaN``), once more by the
framework. Now the strict reader's value is handed to the framework (``StrictJsonRoute``).
This measures, in one process on a throw-away SQLite platform with the demo credential:

* ``json_body_parse``: the two readers alone on the verify body (µs per body);
* ``json_body_verify``: whole verify requests driven through the ASGI application in-process
  (middleware, routing, validation, verification, answer; no sockets), CPU µs per request,
  with the body parsed once (this code) and, as the same-run baseline, an application built
  the same way whose verify route parses it again (the previous behaviour); blocks of the two
  alternate so that load on the machine falls on both alike.

CPU time of the process (all its threads) is reported as well as wall time: the machine is
shared. Nothing is asserted; JSON lines and a table are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
from unittest import mock

from microcred.lexical import loads_strict_json

BLOCKS = 10


def _timed(action: Callable[[], Any], rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        action()
    return (time.process_time() - start) / rounds


@contextmanager
def _platform() -> Any:
    home = tempfile.mkdtemp(prefix="microcred-bench-json-")
    saved = {k: v for k, v in os.environ.items() if k.startswith("MICROCRED_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(
        MICROCRED_HOME=home, MICROCRED_KEK="5e" * 32, MICROCRED_RATE_LIMIT_PER_MINUTE="0"
    )
    from microcred.services.platform import build_platform
    from microcred.settings import load_settings

    platform = build_platform(load_settings(), allow_network=False)
    try:
        yield platform
    finally:
        platform.close()
        for key in [k for k in os.environ if k.startswith("MICROCRED_")]:
            del os.environ[key]
        os.environ.update(saved)


def _apps(platform: Any, body: bytes) -> tuple[Any, Any]:
    """``(parse once, parse twice)``: the second with the route class of before."""
    from microcred.api import create_app
    from microcred.api.errors import ProblemRoute
    from microcred.api.strict_json import StrictJsonRoute

    once = create_app(platform)
    twice = create_app(platform)
    # the framework makes an application's route handlers when it first routes a request to
    # them: this application's are made with the plain handler, which parses the body again
    with mock.patch.object(StrictJsonRoute, "get_route_handler", ProblemRoute.get_route_handler):
        asyncio.run(_post(twice, "/credentials/verify", body))
    # check that the two differ as they should: count the framework's own parses
    import starlette.requests

    counted = {"parses": 0}
    real_loads = json.loads

    def counting(data: Any) -> Any:
        counted["parses"] += 1
        return real_loads(data)

    for app, expected in ((once, 0), (twice, 1)):
        counted["parses"] = 0
        with mock.patch.object(starlette.requests, "json", mock.Mock(loads=counting)):
            asyncio.run(_post(app, "/credentials/verify", body))
        if counted["parses"] != expected:
            raise AssertionError(f"expected {expected} second parse(s), saw {counted['parses']}")
    return once, twice


async def _post(app: Any, path: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def _requests(app: Any, body: bytes, count: int) -> tuple[float, float]:
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        status = await _post(app, "/credentials/verify", body)
        if status != 200:
            raise AssertionError(f"verify answered {status}")
    return (time.process_time() - start_cpu) / count, (time.perf_counter() - start_wall) / count


def measure(requests: int) -> list[dict[str, Any]]:
    from microcred.services.seed import seed_demo

    with _platform() as platform:
        seed = seed_demo(platform, admin_email="bench@example.org")
        body = json.dumps({"verifiableCredential": dict(seed.credential.document)}).encode()
        rounds = 2000
        strict = _timed(lambda: loads_strict_json(body.decode("utf-8")), rounds)
        lax = _timed(lambda: json.loads(body), rounds)
        rows: list[dict[str, Any]] = [
            {
                "benchmark": "json_body_parse",
                "body_bytes": len(body),
                "strict_us": round(strict * 1e6, 1),
                "lax_us": round(lax * 1e6, 1),
                "note": "the lax parse is what a request no longer does",
            }
        ]
        once, twice = _apps(platform, body)
        per_block = max(1, requests // BLOCKS)
        cpu: dict[str, list[float]] = {"once": [], "twice": []}
        wall: dict[str, list[float]] = {"once": [], "twice": []}

        async def drive() -> None:
            for app in (once, twice):  # warm-up: caches, lazy imports
                await _requests(app, body, 20)
            for _ in range(BLOCKS):
                for name, app in (("once", once), ("twice", twice)):
                    c, w = await _requests(app, body, per_block)
                    cpu[name].append(c)
                    wall[name].append(w)

        asyncio.run(drive())
        for name in ("once", "twice"):
            rows.append(
                {
                    "benchmark": "json_body_verify",
                    "variant": name,
                    "requests": per_block * BLOCKS,
                    "cpu_us_median": round(statistics.median(cpu[name]) * 1e6, 1),
                    "wall_us_median": round(statistics.median(wall[name]) * 1e6, 1),
                }
            )
        ratio = statistics.median(cpu["once"]) / statistics.median(cpu["twice"])
        rows.append({"benchmark": "json_body_verify_ratio", "cpu_once_over_twice": round(ratio, 3)})
        return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write("\nJSON request bodies\n" + "-" * 64 + "\n")
    for row in rows:
        name = row["benchmark"]
        if name == "json_body_parse":
            label = f"parse {row['body_bytes']} B body"
            out.write(f"{label:<30} strict {row['strict_us']:>8} µs   lax {row['lax_us']:>8} µs\n")
        elif name == "json_body_verify":
            out.write(
                f"{'verify, parsed ' + row['variant']:<30} cpu {row['cpu_us_median']:>9} µs"
                f"   wall {row['wall_us_median']:>9} µs\n"
            )
        else:
            out.write(f"{'cpu once / twice':<30} {row['cpu_once_over_twice']:>13}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="verify requests per variant")
    args = parser.parse_args(argv)
    rows = measure(args.requests)
    for row in rows:
        print(json.dumps(row))
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
