"""Bulk issuance benchmark: ``python -m benchmarks.bulk [--rows 100000] [--backend …]``
(or ``python -m benchmarks.run --only bulk``; ``--quick`` = 3,000 rows).

For each backend a throw-away platform (SQLite: a file in a temporary directory; PostgreSQL: a
database created on ``MICROCRED_BENCH_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``, dropped afterwards) with the demo issuer and
its published definition, and a CSV of ``--rows`` learners written to disk. Then, timed:

``bulk_load``      ``create_job``: stream, validate and store the rows (one process);
``bulk_issue_anchor``  ``run_job_parallel`` with ``--workers`` (default: one per core): sign,
                   store, allocate status entries and anchor (Merkle batches on the embedded
                   ledger; on PostgreSQL pipelined with issuing, the workers helping, ADR 0013);
                   with ``--separate-anchor`` two rows as before: ``bulk_issue`` (the job
                   complete, nothing anchored) then ``bulk_anchor`` (one serial anchoring run);
``bulk_total``     all of it: CSV file -> anchored credentials;
``single_sample``  the single path (``MICROCRED_IMPORT_PATH=single``: ``issue_in`` per row,
                   one process) on a ``--sample``-row job of the same platform, same run;
``bulk_sample``    the bulk path in one process on a sample of the same size.

Peak RSS is sampled (every 0.2 s, from ``/proc``) over this process and all its children,
summed: the memory the whole job needs. The table gives the ratios of the bulk path to the
single path (rows per second, same run). Nothing asserts a target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

NAMES = ("bulk",)
_BASE_URL = "https://credentials.example.edu"
_ADMIN = "bench@example.edu"
_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------- memory


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    children = [int(c) for c in f.read().split()]
            except OSError:
                continue
            found.extend(children)
            stack.extend(children)
    return found


def _cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except (OSError, ValueError):
        return 0
    return int(fields[11]) + int(fields[12])


class PeakRss:
    """Samples the summed RSS of this process and its descendants in a thread.

    With ``postgres_url``, it also follows the CPU time of the PostgreSQL server processes
    (backends) connected to that database: :attr:`server_cpu_s` is the CPU they used while
    sampled (backends living less than one interval are missed; the server's background
    writers are not counted).
    """

    def __init__(self, interval: float = 0.2, *, postgres_url: str | None = None) -> None:
        self.interval = interval
        self.peak_kib = 0
        self._postgres_url = postgres_url
        self._server: dict[int, tuple[int, int]] = {}  # pid -> (first ticks, last ticks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def server_cpu_s(self) -> float:
        ticks = sum(last - first for first, last in self._server.values())
        return ticks / os.sysconf("SC_CLK_TCK")

    def _backends(self, connection: Any) -> list[int]:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        return [int(row[0]) for row in rows]

    def _run(self) -> None:
        me = os.getpid()
        connection = None
        if self._postgres_url is not None:
            import psycopg

            connection = psycopg.connect(self._postgres_url, autocommit=True)
        try:
            while not self._stop.is_set():
                total = sum(_rss_kib(pid) for pid in [me, *_descendants(me)])
                self.peak_kib = max(self.peak_kib, total)
                if connection is not None:
                    for pid in self._backends(connection):
                        ticks = _cpu_ticks(pid)
                        first, _ = self._server.get(pid, (ticks, ticks))
                        self._server[pid] = (first, ticks)
                self._stop.wait(self.interval)
        finally:
            if connection is not None:
                connection.close()

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _client_cpu_s() -> float:
    """CPU seconds of this process and of its children that ended (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------- set-up


def write_cohort(path: Path, rows: int, *, first: int = 1) -> Path:
    """A CSV of ``rows`` learners, written line by line (never held in memory)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Student ID,Full name,Email,Grade\r\n")
        for n in range(first, first + rows):
            out.write(f"B{n:07d},Learner Number {n},learner{n}@uni.example,{n % 5 + 1}\r\n")
    return path


@contextmanager
def _database(backend: str, home: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{home / 'bench.db'}"
        return
    import psycopg
    from psycopg import sql

    admin = os.environ.get("MICROCRED_BENCH_POSTGRES_URL", _PG_ADMIN)
    name = "microcred_bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield "postgresql+psycopg://" + admin.partition("://")[2].rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def _platform(backend: str, home: Path, *, path: str | None = None) -> Iterator[Any]:
    from microcred.services.identity import Argon2Parameters, PasswordHashing
    from microcred.services.platform import build_platform
    from microcred.settings import load_settings

    with _database(backend, home) as url:
        settings = load_settings(
            home=home,
            database_url=url,
            base_url=_BASE_URL,
            kek=secrets.token_hex(32),
        )
        fast = PasswordHashing(Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1))
        old = os.environ.get("MICROCRED_IMPORT_PATH")
        platform = build_platform(settings, allow_network=False, passwords=fast)
        try:
            yield platform
        finally:
            platform.close()
            if old is not None:
                os.environ["MICROCRED_IMPORT_PATH"] = old


def _demo(platform: Any) -> tuple[Any, Any, Any]:
    from microcred.services.seed import local_principal, seed_demo

    seed = seed_demo(platform, admin_email=_ADMIN)
    return local_principal(platform, _ADMIN), seed.issuer, seed.published


# --------------------------------------------------------------------------- measuring


def _row(name: str, backend: str, rows: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "benchmark": name,
        "backend": backend,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 1) if seconds else 0.0,
        **extra,
    }


class _Segments:
    """The issuing rate per tenth of the job (at least 1,000 rows each), from the progress
    the coordinator reports: a rate that falls as the tables grow shows here even when the
    total looks fine."""

    def __init__(self, rows: int, start: float) -> None:
        self._step = max(1000, rows // 10)
        self._marks: list[tuple[int, float]] = [(0, start)]

    def update(self, done: int, _total: int, _failed: int) -> None:
        if done >= self._marks[-1][0] + self._step:
            self._marks.append((done, time.perf_counter()))

    def rates(self) -> list[float]:
        pairs = zip(self._marks, self._marks[1:], strict=False)
        return [round((b[0] - a[0]) / (b[1] - a[1]), 1) for a, b in pairs if b[1] > a[1]]


def measure_backend(
    backend: str,
    rows: int,
    workers: int | None,
    sample: int,
    chunk: int | None,
    anchor: bool = True,
    separate_anchor: bool = False,
) -> list[dict[str, Any]]:
    from microcred.services.bulk_runner import run_job_parallel
    from microcred.services.imports import ImportRequest, ImportService

    results: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="microcred-bulk-") as tmp,
        _platform(backend, Path(tmp)) as platform,
    ):
        principal, issuer, definition = _demo(platform)
        request = ImportRequest(definition_id=definition.id)
        # same-run baselines on small samples: single path, bulk path in one process
        single = ImportService.for_issuance(platform.uow, platform.issuance, path="single")
        for name, service in (("single_sample", single), ("bulk_sample", platform.imports)):
            csv = write_cohort(
                Path(tmp) / f"{name}.csv", sample, first=rows + 1 + len(results) * sample
            )
            job = service.create_job(principal, issuer.id, csv, csv.name, request)
            start = time.perf_counter()
            cpu = time.process_time()
            done = service.run_job(principal, issuer.id, job.id, worker_id=name)
            seconds = time.perf_counter() - start
            assert done.issued_rows == sample, done
            results.append(
                _row(name, backend, sample, seconds, cpu_s=round(time.process_time() - cpu, 3))
            )
        platform.anchor_setup.runner.run(issuer_id=issuer.id, force=True, wait=60.0)
        csv = write_cohort(Path(tmp) / "cohort.csv", rows)
        url = platform.settings.database_url
        postgres = url.replace("postgresql+psycopg://", "postgresql://", 1)
        cpu_before = _client_cpu_s()
        with PeakRss(postgres_url=postgres if backend == "postgresql" else None) as memory:
            total = time.perf_counter()
            start = total
            job = platform.imports.create_job(principal, issuer.id, csv, csv.name, request)
            load = time.perf_counter() - start
            start = time.perf_counter()
            # anchoring inside run_job_parallel (pipelined with issuing on PostgreSQL, the
            # workers helping) unless --separate-anchor asks for the old serial pass after it
            segments = _Segments(rows, start)
            outcome = run_job_parallel(
                platform,
                principal,
                issuer.id,
                job.id,
                workers=workers,
                chunk=chunk,
                anchor=anchor and not separate_anchor,
                on_progress=segments.update,
            )
            issue = time.perf_counter() - start
            start = time.perf_counter()
            anchoring = outcome.anchoring
            if anchor and separate_anchor:
                anchoring = platform.anchor_setup.runner.run(
                    issuer_id=issuer.id, force=True, wait=60.0
                )
            anchored = time.perf_counter() - start
            elapsed = time.perf_counter() - total
        client_cpu = _client_cpu_s() - cpu_before
        assert outcome.job.issued_rows == rows, outcome.job
        assert anchoring is None or anchoring.ok, anchoring
        peak = round(memory.peak_kib / 1024, 1)
        extra = {"workers": outcome.workers, "mode": outcome.mode}
        results.append(_row("bulk_load", backend, rows, load))
        batches = 0 if anchoring is None else anchoring.sealed
        extra["segment_rows_per_s"] = segments.rates()
        if anchor and not separate_anchor:
            name = "bulk_issue_anchor"  # issued and anchored together (ADR 0013)
            results.append(_row(name, backend, rows, issue, batches=batches, **extra))
        else:
            results.append(_row("bulk_issue", backend, rows, issue, **extra))
        del extra["segment_rows_per_s"]
        if anchor and separate_anchor:
            results.append(_row("bulk_anchor", backend, rows, anchored, batches=batches))
        server_cpu = memory.server_cpu_s
        cpu = {
            "client_cpu_s": round(client_cpu, 2),
            "server_cpu_s": round(server_cpu, 2),
            "cpu_ms_per_row": round((client_cpu + server_cpu) * 1000 / rows, 3),
            # every CPU-second spread over both cores: the wall time on a quiet 2-core machine
            "quiet_2core_s": round((client_cpu + server_cpu) / 2, 1),
        }
        results.append(
            _row("bulk_total", backend, rows, elapsed, peak_rss_mib=peak, **extra, **cpu)
        )
    return results


def measure_bulk(
    *,
    rows: int,
    backends: list[str],
    workers: int | None = None,
    sample: int = 500,
    chunk: int | None = None,
    anchor: bool = True,
    separate_anchor: bool = False,
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for backend in backends:
        results += measure_backend(backend, rows, workers, sample, chunk, anchor, separate_anchor)
    return results


def print_bulk_table(results: list[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write(
        f"\n{'benchmark':<18} {'backend':<11} {'rows':>8} {'seconds':>9} {'rows/s':>9} "
        f"{'peak RSS MiB':>13} {'CPU ms/row':>11}\n"
    )
    out.write("-" * 85 + "\n")
    for row in results:
        out.write(
            f"{row['benchmark']:<18} {row['backend']:<11} {row['rows']:>8} "
            f"{row['seconds']:>9.2f} {row['rows_per_s']:>9,.0f} "
            f"{row.get('peak_rss_mib', ''):>13} {row.get('cpu_ms_per_row', ''):>11}\n"
        )
    by = {(r["benchmark"], r["backend"]): r for r in results}
    lines = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        single = by.get(("single_sample", backend))
        for name in ("bulk_sample", "bulk_issue", "bulk_issue_anchor", "bulk_total"):
            row = by.get((name, backend))
            if single and row and single["rows_per_s"]:
                ratio = row["rows_per_s"] / single["rows_per_s"]
                label = f"{name} / single_sample ({backend})"
                lines.append(f"{label:<45} {ratio:>8.1f}x")
                print(json.dumps({"ratio": label, "value": round(ratio, 2)}))
    if lines:
        out.write("\nratios (same run)\n" + "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="3,000 rows, 200-row samples")
    parser.add_argument(
        "--backend", nargs="*", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--chunk", type=int, default=None, help="rows per chunk (default 500)")
    parser.add_argument("--sample", type=int, default=500, help="rows of the baseline samples")
    parser.add_argument("--no-anchor", action="store_true", help="leave out anchoring")
    parser.add_argument(
        "--separate-anchor",
        action="store_true",
        help="anchor after run_job_parallel in one process (the serial pass before ADR 0013)",
    )
    args = parser.parse_args(argv)
    rows, sample = (3000, 200) if args.quick else (args.rows, args.sample)
    results = measure_bulk(
        rows=rows,
        backends=args.backend,
        workers=args.workers,
        sample=sample,
        chunk=args.chunk,
        anchor=not args.no_anchor,
        separate_anchor=args.separate_anchor,
    )
    for row in results:
        print(json.dumps(row))
    print_bulk_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
