"""Run an import job with several worker processes, then anchor what it issued.

::

    outcome = run_job_parallel(platform, principal, issuer_id, job_id, workers=2,
                               on_progress=bar.update)

Two ways to share the work, chosen by the database:

**PostgreSQL** — every worker is a process of its own (``multiprocessing``, *spawn*) with its
own platform and connection pool, running :meth:`ImportService.run_job` on the same job: each
claims a chunk of pending rows with ``FOR UPDATE SKIP LOCKED`` and issues, stores and marks it
in one transaction. Workers on other machines can join the same job the same way
(``microcred import FILE --workers N`` there, or ``run_job`` from any process): the database is
the only coordinator.

**SQLite** — one writer at a time is all a SQLite file allows, so this process stays the only
writer and a pool of *signing* processes does the CPU work: for each chunk (one transaction
here) the documents are composed and their status entries allocated here, signed and verified
by the pool (split across its processes), then stored here.

Either way the job ends in this process: a last :meth:`~ImportService.run_job` picks up
anything a dead worker left pending (its uncommitted chunk was rolled back) and completes the
job; then the issuer's new credentials are anchored (``force``: Merkle batches of at most the
anchoring policy's size, one transaction each).

**Anchoring on PostgreSQL is not a serial tail** (ADR 0013): while the workers issue, a thread
here runs anchoring whenever the policy says a batch is due (a full batch: seal, publish, write
its proofs), and once a worker has issued its last chunk it *helps* write anchor proofs of
published batches (:meth:`AnchoringRunner.apply_published`: chunks of leaves claimed with
``FOR UPDATE SKIP LOCKED``) until this process says anchoring is over. Only this process
seals, publishes and completes batches (under the anchoring run lock).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from microcred.errors import Conflict, InvalidInput, MicrocredError
from microcred.imports import ProgressCallback
from microcred.services.collector import BULK_THRESHOLDS, bulk_collection
from microcred.storage import ImportJobState

if TYPE_CHECKING:
    from multiprocessing.pool import Pool
    from multiprocessing.synchronize import Event

    from microcred.services.access import Principal
    from microcred.services.anchoring import AnchoringRun
    from microcred.services.anchoring_runner import AnchoringRunner
    from microcred.services.bulk_issuance import BulkIssuance, SignMany
    from microcred.services.imports import JobInfo
    from microcred.services.platform import Platform
    from microcred.settings import Settings

__all__ = ["ParallelOutcome", "default_workers", "run_job_parallel"]

#: how often the coordinating process reads the job's progress (seconds)
_POLL = 0.5
#: how long the final pass waits for rows a dead worker's transaction still locks (seconds)
_LOCK_GRACE = 60.0
#: how often the coordinator asks whether an anchoring batch is due while workers issue (s)
_PIPELINE_POLL = 5.0
#: how often a worker that has issued looks for anchor proofs to help with (seconds)
_HELP_POLL = 0.2

_log = logging.getLogger("microcred.imports.parallel")


def default_workers() -> int:
    """The number of CPU cores this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ParallelOutcome:
    """The finished job, how it was run, and the anchoring run (``None``: not anchored)."""

    job: JobInfo
    workers: int
    mode: str  # "processes" (PostgreSQL), "signing-pool" (SQLite) or "in-process"
    anchoring: AnchoringRun | None


@bulk_collection()  # this process issues (the final pass) and anchors too
def run_job_parallel(
    platform: Platform,
    principal: Principal,
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    *,
    workers: int | None = None,
    chunk: int | None = None,
    on_progress: ProgressCallback | None = None,
    anchor: bool = True,
) -> ParallelOutcome:
    """Issue the job's pending rows with ``workers`` processes (default: one per core).

    Resumable like :meth:`ImportService.run_job`: run it again after a crash. ``workers=1``
    runs in this process. Raises what the job raised (a worker's failure marks the job
    ``failed``; the final pass here raises it again).
    """
    count = default_workers() if workers is None else workers
    if not 1 <= count <= 64:
        raise InvalidInput("the number of workers must be between 1 and 64")
    imports = platform.imports
    # access and the job's state are checked before any process starts
    imports.job_status(principal, issuer_id, job_id)
    if count > 1 and imports.bulk is not None and platform.database.backend == "postgresql":
        job, anchoring = _run_processes(
            platform, principal, issuer_id, job_id, count, chunk, on_progress, anchor
        )
        return ParallelOutcome(job=job, workers=count, mode="processes", anchoring=anchoring)
    mode = "in-process"
    if count > 1 and imports.bulk is not None:
        mode = "signing-pool"
        with _SigningPool(platform.settings, count) as sign_many:
            imports.run_job(
                principal,
                issuer_id,
                job_id,
                worker_id="coordinator",
                batch_size=chunk,
                on_progress=on_progress,
                sign_many=sign_many,
                finish=False,
            )
    job = _final_pass(imports, principal, issuer_id, job_id, chunk, on_progress)
    anchoring = None
    if anchor and job.issued_rows:
        anchoring = platform.anchor_setup.runner.run(issuer_id=issuer_id, force=True, wait=60.0)
    return ParallelOutcome(job=job, workers=count, mode=mode, anchoring=anchoring)


def _final_pass(
    imports: Any,
    principal: Principal,
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    chunk: int | None,
    on_progress: ProgressCallback | None,
) -> JobInfo:
    """Issue what is left and complete the job.

    A worker killed mid-chunk leaves its rows locked until PostgreSQL notices the closed
    connection and rolls its transaction back (usually at once): ``SKIP LOCKED`` passes them
    over meanwhile, so the pass is repeated while the job is running with rows pending.
    """
    deadline = time.monotonic() + _LOCK_GRACE
    while True:
        job: JobInfo = imports.run_job(
            principal,
            issuer_id,
            job_id,
            worker_id="coordinator",
            batch_size=chunk,
            on_progress=on_progress,
        )
        if job.state is not ImportJobState.RUNNING or not job.pending_rows:
            return job
        if time.monotonic() > deadline:
            return job
        time.sleep(_POLL)


# --------------------------------------------------------------------------- PostgreSQL


def _run_processes(
    platform: Platform,
    principal: Principal,
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    count: int,
    chunk: int | None,
    on_progress: ProgressCallback | None,
    anchor: bool,
) -> tuple[JobInfo, AnchoringRun | None]:
    """Workers issue (and then help anchor) while this process anchors due batches; then the
    final pass and the last anchoring run here, with the workers still helping."""
    from microcred.services.anchoring_runner import merge_runs

    imports = platform.imports
    runner = platform.anchor_setup.runner
    context = multiprocessing.get_context("spawn")
    anchoring_over = context.Event()  # the workers stop helping when it is set
    issued = [context.Event() for _ in range(count)]
    processes = [
        context.Process(
            target=_worker_main,
            args=(
                platform.settings,
                principal,
                issuer_id,
                job_id,
                f"worker-{index}",
                chunk,
                issued[index],
                anchoring_over if anchor else None,
            ),
            name=f"microcred-import-{index}",
        )
        for index in range(count)
    ]
    for process in processes:
        process.start()
    pipeline = _Pipeline(runner, issuer_id) if anchor else None
    try:
        # issuing: until every worker has issued its last chunk (or is gone)
        while not all(
            e.is_set() or not p.is_alive() for e, p in zip(issued, processes, strict=True)
        ):
            _report(imports, principal, issuer_id, job_id, on_progress)
            for process in processes:
                process.join(timeout=_POLL / len(processes))
        runs = [] if pipeline is None else pipeline.stop()
        job = _final_pass(imports, principal, issuer_id, job_id, chunk, on_progress)
        if anchor and job.issued_rows:
            runs.append(runner.run(issuer_id=issuer_id, force=True, wait=60.0))
        anchoring = merge_runs(runs) if anchor and job.issued_rows else None
    except BaseException:
        if pipeline is not None:
            pipeline.stop()
        anchoring_over.set()
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        raise
    anchoring_over.set()
    for process in processes:
        process.join()
    _report(imports, principal, issuer_id, job_id, on_progress)
    return job, anchoring


class _Pipeline:
    """Anchoring in a thread of the coordinating process while the workers issue: every
    :data:`_PIPELINE_POLL` seconds one run that seals only what the policy says is due (a full
    batch), publishes it and writes its proofs (the workers help once they have issued)."""

    def __init__(self, runner: AnchoringRunner, issuer_id: uuid.UUID) -> None:
        self._runner = runner
        self._issuer_id = issuer_id
        self._stop = threading.Event()
        self._runs: list[AnchoringRun] = []
        self._thread = threading.Thread(target=self._loop, name="microcred-bulk-anchoring")
        self._thread.daemon = True
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(_PIPELINE_POLL):
            try:
                run = self._runner.run(issuer_id=self._issuer_id, force=False)
            except Conflict:
                continue  # another anchoring run is in progress (the serve loop)
            except (MicrocredError, SQLAlchemyError) as exc:
                # the last run (after the job) anchors whatever this one could not
                _log.warning("anchoring while issuing stopped: %s", getattr(exc, "detail", exc))
                return
            if run.sealed or run.published or run.proofs_written or run.errors:
                self._runs.append(run)

    def stop(self) -> list[AnchoringRun]:
        """Stop after the run in progress (the workers help finish it); the runs it did."""
        self._stop.set()
        self._thread.join()
        return self._runs


def _report(
    imports: Any,
    principal: Principal,
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    on_progress: ProgressCallback | None,
) -> None:
    if on_progress is None:
        return
    info = imports.job_status(principal, issuer_id, job_id)
    on_progress(info.done_rows, info.total_rows, info.failed_rows)


def _worker_main(
    settings: Settings,
    principal: Principal,
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    worker_id: str,
    chunk: int | None,
    issued: Event,
    anchoring_over: Event | None,
) -> None:
    """One worker process: its own platform, the same job until no row is pending, then
    (``anchoring_over`` given) anchor proofs of published batches until it is set."""
    from microcred.services.platform import build_platform

    gc.set_threshold(*BULK_THRESHOLDS)  # a process of its own: for its whole life
    platform = build_platform(settings, migrate_database=False)
    try:
        try:
            platform.imports.run_job(
                principal, issuer_id, job_id, worker_id=worker_id, batch_size=chunk, finish=False
            )
        except MicrocredError as exc:
            # the job is marked failed with the error; the coordinator's final pass reports it
            raise SystemExit(f"{worker_id}: {exc.detail}") from None
        finally:
            issued.set()
        if anchoring_over is not None:
            _help_anchoring(platform.anchor_setup.runner, issuer_id, anchoring_over)
    finally:
        platform.close()


def _help_anchoring(runner: AnchoringRunner, issuer_id: uuid.UUID, over: Event) -> None:
    """Write anchor proofs of published batches (claimed with ``SKIP LOCKED``) until ``over``."""
    while not over.is_set():
        try:
            run = runner.apply_published(issuer_id)
        except (MicrocredError, SQLAlchemyError) as exc:
            # the coordinator's run applies whatever is left (it waits for held leaves)
            _log.warning("helping with anchor proofs stopped: %s", getattr(exc, "detail", exc))
            return
        if not (run.proofs_written or run.problems):
            over.wait(_HELP_POLL)


# --------------------------------------------------------------------------- SQLite


class _SigningPool:
    """A pool of signing processes; yields a ``sign_many`` that splits a chunk across them."""

    def __init__(self, settings: Settings, count: int) -> None:
        self._settings = settings
        self._count = count
        self._pool: Pool | None = None

    def __enter__(self) -> SignMany:
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(self._count, initializer=_pool_init, initargs=(self._settings,))
        pool = self._pool
        parts = self._count

        def sign_many(
            issuer_id: uuid.UUID, documents: list[dict[str, Any]], suite: str, now: datetime
        ) -> list[dict[str, Any]]:
            size = max(1, -(-len(documents) // parts))
            slices = [documents[i : i + size] for i in range(0, len(documents), size)]
            signed: list[dict[str, Any]] = []
            for part in pool.starmap(_pool_sign, [(issuer_id, s, suite, now) for s in slices]):
                signed.extend(part)
            return signed

        return sign_many

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


_POOL_BULK: list[tuple[Any, BulkIssuance]] = []


def _pool_init(settings: Settings) -> None:
    from microcred.services.platform import build_platform

    gc.set_threshold(*BULK_THRESHOLDS)
    platform = build_platform(settings, migrate_database=False)
    bulk = platform.issuance.bulk()
    _POOL_BULK.append((platform, bulk))


def _pool_sign(
    issuer_id: uuid.UUID, documents: list[dict[str, Any]], suite: str, now: datetime
) -> list[dict[str, Any]]:
    _, bulk = _POOL_BULK[-1]
    return bulk.sign_many(issuer_id, documents, suite, now)
