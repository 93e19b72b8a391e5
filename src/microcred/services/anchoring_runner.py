"""Running anchoring on the platform: one run at a time, the right ledger per issuer, a loop.

:class:`AnchoringService` does the work of one run and is idempotent, but two runs at the same
time would still race to publish the same batch (on a chain: two transactions, one wasted).
:class:`AnchoringRunner` is what every shell calls instead — the background loop of ``microcred
serve``, ``microcred anchor run``, ``POST /api/v1/issuers/{id}/anchoring/run`` — and it holds a
:class:`RunLock` for the whole run, so at most one run happens at a time across every process
and machine using the database:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own; if the process dies, the server releases it with the connection;
* SQLite: an exclusive ``flock`` on ``<database file>.anchoring.lock`` next to the database
  (SQLite's processes share one machine); the kernel releases it when the process dies.

The runner also picks the ledger per issuer: with an EVM ledger, a ``did:key`` issuer has no DID
document that could list a chain account, so a verifier could not tell who anchored its
credentials; those issuers keep anchoring on the embedded ledger (``did_key_service``).

:class:`AnchoringLoop` runs :meth:`AnchoringRunner.run` every ``interval`` seconds in a daemon
thread (``MICROCRED_ANCHOR_INTERVAL_SECONDS``; ``microcred serve`` starts one per server); it
also re-checks anchored batches against their ledger (:meth:`AnchoringRunner.reconcile`) on its
first run and then every ``MICROCRED_ANCHOR_RECONCILE_SECONDS``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from microcred.errors import Conflict, MicrocredError, NotFound
from microcred.services.access import Permission, Principal
from microcred.services.anchoring import (
    AnchoringRun,
    AnchoringService,
    AnchorStatus,
    ReconcileRun,
)
from microcred.services.issuers import require_issuer_permission
from microcred.storage import Database, DidMethod, UnitOfWorkFactory
from microcred.storage.repositories.anchoring import AnchorBatchRepository

__all__ = [
    "AnchoringLoop",
    "AnchoringRunner",
    "IssuerAnchoring",
    "RunLock",
    "merge_reconciles",
    "merge_runs",
]

_log = logging.getLogger("microcred.anchoring.runner")

#: pg_try_advisory_lock key of anchoring runs: "mcan" as an integer (migrations use "mcrd")
_PG_ANCHOR_LOCK = 0x6D63616E
_POLL_SECONDS = 0.1


class RunLock:
    """One anchoring run at a time across processes (see the module docstring).

    ``hold(wait)`` is a context manager yielding ``True`` when the lock was taken within
    ``wait`` seconds (then released on exit) and ``False`` otherwise. In one process a
    thread lock is taken first, so threads never spin on the database lock.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._threads = threading.Lock()
        url = database.engine.url
        self._path: Path | None = None
        if database.backend == "sqlite":
            name = url.database or ""
            if name and name != ":memory:" and not name.startswith("file:"):
                self._path = (
                    Path(name).expanduser().resolve().with_name(Path(name).name + ".anchoring.lock")
                )

    def __repr__(self) -> str:
        return f"RunLock(backend={self._database.backend!r})"

    @contextlib.contextmanager
    def hold(self, wait: float = 0.0) -> Iterator[bool]:
        deadline = time.monotonic() + max(wait, 0.0)
        if not self._threads.acquire(timeout=max(wait, 0.0)):
            yield False
            return
        try:
            if self._database.backend == "postgresql":
                with self._postgres(deadline) as taken:
                    yield taken
            elif self._path is not None:
                with self._file(self._path, deadline) as taken:
                    yield taken
            else:  # an in-memory SQLite database lives in this process only
                yield True
        finally:
            self._threads.release()

    @contextlib.contextmanager
    def _postgres(self, deadline: float) -> Iterator[bool]:
        connection: Connection = self._database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        )
        taken = False
        try:
            while True:
                taken = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": _PG_ANCHOR_LOCK}
                    ).scalar()
                )
                if taken or time.monotonic() >= deadline:
                    break
                time.sleep(_POLL_SECONDS)
            yield taken
        finally:
            try:
                if taken:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_ANCHOR_LOCK}
                    )
            except SQLAlchemyError:
                # never hand a connection that may still hold the lock back to the pool
                connection.invalidate()
            connection.close()

    @staticmethod
    @contextlib.contextmanager
    def _file(path: Path, deadline: float) -> Iterator[bool]:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream: IO[bytes] = open(path, "a+b")  # noqa: SIM115 - closed below
        try:
            os.chmod(path, 0o600)
            while True:
                try:
                    fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(_POLL_SECONDS)
                    continue
                try:
                    yield True
                finally:
                    fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
                return
        finally:
            stream.close()


def merge_runs(runs: list[AnchoringRun]) -> AnchoringRun:
    """One :class:`AnchoringRun` adding up several (the last checkpoint wins)."""
    total = AnchoringRun()
    for run in runs:
        total.sealed += run.sealed
        total.published += run.published
        total.completed += run.completed
        total.proofs_written += run.proofs_written
        total.problems += run.problems
        total.errors += run.errors
        if run.checkpoint is not None:
            total.checkpoint = run.checkpoint
    return total


def merge_reconciles(runs: list[ReconcileRun]) -> ReconcileRun:
    """One :class:`ReconcileRun` adding up several."""
    total = ReconcileRun()
    for run in runs:
        total.checked += run.checked
        total.reanchored += run.reanchored
        total.proofs_written += run.proofs_written
        total.problems += run.problems
        total.errors += run.errors
    return total


@dataclass(frozen=True)
class IssuerAnchoring:
    """One issuer's anchoring status, for overviews (``microcred anchor status``)."""

    issuer_id: uuid.UUID
    slug: str
    did: str
    status: AnchorStatus


class AnchoringRunner:
    """Runs anchoring under the :class:`RunLock`, on the right ledger for each issuer.

    ``primary`` anchors every issuer, except ``did:key`` issuers when ``did_key_service`` is
    given (EVM mode: they stay on the embedded ledger).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        primary: AnchoringService,
        lock: RunLock,
        *,
        did_key_service: AnchoringService | None = None,
    ) -> None:
        self._uow = uow
        self._primary = primary
        self._did_key = did_key_service
        self._lock = lock

    def __repr__(self) -> str:
        return f"AnchoringRunner(ledger={self._primary.ledger.ledger_id!r})"

    @property
    def primary(self) -> AnchoringService:
        return self._primary

    def service_for(self, issuer_id: uuid.UUID) -> AnchoringService:
        """The anchoring service (and so the ledger) that anchors ``issuer_id``."""
        if self._did_key is None:
            return self._primary
        with self._uow(read_only=True) as tx:
            method = tx.issuers.get(issuer_id).did_method
        return self._did_key if method is DidMethod.KEY else self._primary

    # ------------------------------------------------------------------ runs

    def run(
        self,
        now: datetime | None = None,
        *,
        issuer_id: uuid.UUID | None = None,
        force: bool = False,
        wait: float = 0.0,
    ) -> AnchoringRun:
        """One anchoring run (every issuer, or ``issuer_id``), holding the run lock.

        Waits up to ``wait`` seconds for a run elsewhere to finish, then raises a retryable
        :class:`Conflict`. Ledger failures never raise: they are in ``AnchoringRun.errors``.
        """
        with self._lock.hold(wait) as taken:
            if not taken:
                raise Conflict(
                    "another anchoring run is in progress (the background loop or another "
                    "server); try again in a moment",
                    retryable=True,
                )
            if self._did_key is None:
                return self._primary.run_anchoring(now, issuer_id=issuer_id, force=force)
            issuers = [issuer_id] if issuer_id is not None else self._issuers_with_work()
            return merge_runs(
                [
                    self.service_for(issuer).run_anchoring(now, issuer_id=issuer, force=force)
                    for issuer in issuers
                ]
            )

    def apply_published(self, issuer_id: uuid.UUID | None = None) -> AnchoringRun:
        """Help a run elsewhere write anchor proofs (:meth:`AnchoringService.apply_published`):
        no run lock, never publishes; any number of processes at once (PostgreSQL)."""
        return self._primary.apply_published(issuer_id)

    def reconcile(
        self,
        *,
        issuer_id: uuid.UUID | None = None,
        batch_id: uuid.UUID | None = None,
        wait: float = 0.0,
    ) -> ReconcileRun:
        """Re-check anchored batches against their ledger, holding the run lock
        (:meth:`AnchoringService.reconcile`): roots the ledger lost are anchored again and the
        credentials' anchor proofs rewritten. Every batch, an issuer's, or one batch
        (:class:`NotFound` when no ledger of the platform has it recorded)."""
        with self._lock.hold(wait) as taken:
            if not taken:
                raise Conflict(
                    "another anchoring run is in progress (the background loop or another "
                    "server); try again in a moment",
                    retryable=True,
                )
            if issuer_id is not None:
                services = [self.service_for(issuer_id)]
            elif self._did_key is None:
                services = [self._primary]
            else:
                services = [self._primary, self._did_key]
            if batch_id is None:
                return merge_reconciles([s.reconcile(issuer_id=issuer_id) for s in services])
            for service in services:
                with contextlib.suppress(NotFound):
                    return service.reconcile(issuer_id=issuer_id, batch_id=batch_id)
            raise NotFound(f"no anchored batch {batch_id}")

    def _issuers_with_work(self) -> list[uuid.UUID]:
        with self._uow(read_only=True) as tx:
            repo = AnchorBatchRepository(tx.session, self._uow.clock)
            found = set(repo.issuers_with_pending())
            found.update(batch.issuer_id for batch in repo.list_unfinished())
        return sorted(found, key=str)

    def run_for(
        self, principal: Principal, issuer_id: uuid.UUID, *, force: bool = True, wait: float = 5.0
    ) -> AnchoringRun:
        """Anchor ``issuer_id``'s waiting credentials now (``issuer:manage``: its admins and
        platform operators). ``force`` seals a batch even when the policy would still wait."""
        with self._uow(read_only=True) as tx:
            require_issuer_permission(tx, principal, issuer_id, Permission.ISSUER_MANAGE)
        return self.run(issuer_id=issuer_id, force=force, wait=wait)

    # ------------------------------------------------------------------ status

    def status(self, principal: Principal, issuer_id: uuid.UUID) -> AnchorStatus:
        """:meth:`AnchoringService.anchor_status` on the issuer's ledger (``credential:read``)."""
        return self.service_for(issuer_id).anchor_status(principal, issuer_id)

    def overview(self, principal: Principal, issuer: str | None = None) -> list[IssuerAnchoring]:
        """Anchoring status of every issuer the principal may read credentials of, or of all
        issuers for a platform operator signed in as a person (the command line); ``issuer``
        (a slug or an id) narrows it to one (:class:`NotFound` when there is no such issuer)."""
        operator = principal.is_operator and principal.token_id is None
        issuer_id: uuid.UUID | None = None
        with self._uow(read_only=True) as tx:
            if issuer is not None:
                found = tx.issuers.find_by_slug(issuer)
                if found is None:
                    try:
                        found = tx.issuers.get(uuid.UUID(issuer))
                    except (ValueError, NotFound):
                        raise NotFound(f"no issuer {issuer[:64]!r}") from None
                issuers = [found]
                issuer_id = found.id
            else:
                issuers = []
                offset = 0
                while True:
                    page = tx.issuers.list_all(limit=1000, offset=offset)
                    issuers += page
                    if len(page) < 1000:
                        break
                    offset += len(page)
        rows: list[IssuerAnchoring] = []
        for row in issuers:
            if not (operator or principal.can(row.id, Permission.CREDENTIAL_READ)):
                if issuer_id is not None:
                    self.status(principal, row.id)  # raises NotFound / PermissionDenied
                continue
            status = self.service_for(row.id).issuer_status(row.id)
            rows.append(IssuerAnchoring(row.id, row.slug, row.did, status))
        return rows


class AnchoringLoop:
    """Calls ``runner.run()`` now and then every ``interval`` seconds, in a daemon thread.

    A run that finds the lock taken (another server is anchoring) is skipped. Errors of one
    run are logged and the loop goes on; ``stop()`` ends it after the current run.
    ``reconcile_every`` (seconds; ``None``: never): the first run and then one run at least
    that long after the previous reconcile also re-check anchored batches against the ledger
    (:meth:`AnchoringRunner.reconcile`), before anchoring.
    """

    def __init__(
        self,
        runner: AnchoringRunner,
        interval: float,
        *,
        on_run: Callable[[AnchoringRun], None] | None = None,
        reconcile_every: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError("the anchoring interval must be positive")
        if reconcile_every is not None and reconcile_every <= 0:
            raise ValueError("the reconcile interval must be positive")
        self._runner = runner
        self._interval = interval
        self._on_run = on_run
        self._reconcile_every = reconcile_every
        self._monotonic = monotonic
        self._last_reconcile: float | None = None
        self.reconciles = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the anchoring loop is already running")
        self._thread = threading.Thread(target=self._loop, name="microcred-anchoring", daemon=True)
        self._thread.start()
        _log.info("background anchoring every %g s", self._interval)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def run_once(self) -> AnchoringRun | None:
        """One run; ``None`` when another run holds the lock."""
        self._reconcile_if_due()
        try:
            run = self._runner.run()
        except Conflict:
            _log.debug("anchoring: another run is in progress; skipped")
            return None
        self.runs += 1
        if run.sealed or run.published or run.proofs_written or run.errors:
            _log.info(
                "anchoring: %d batch(es) sealed, %d published, %d proof(s) written%s",
                run.sealed,
                run.published,
                run.proofs_written,
                "; problems: " + "; ".join(run.errors) if run.errors else "",
            )
        if self._on_run is not None:
            self._on_run(run)
        return run

    def _reconcile_if_due(self) -> None:
        if self._reconcile_every is None:
            return
        now = self._monotonic()
        if self._last_reconcile is not None and now - self._last_reconcile < self._reconcile_every:
            return
        try:
            result = self._runner.reconcile()
        except Conflict:
            _log.debug("anchoring: another run is in progress; reconcile skipped")
            return
        self._last_reconcile = now
        self.reconciles += 1
        if result.reanchored or result.errors:
            _log.warning(
                "anchoring reconcile: %d batch(es) checked, %d anchored again, %d proof(s) "
                "rewritten%s",
                result.checked,
                result.reanchored,
                result.proofs_written,
                "; problems: " + "; ".join(result.errors) if result.errors else "",
            )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except (MicrocredError, SQLAlchemyError, OSError) as exc:
                # the database or the key store failed for this run; the next one retries
                _log.error("anchoring run failed: %s", getattr(exc, "detail", exc))
            except Exception:  # a supervisor: a bug in one run must not end the loop
                _log.exception("anchoring run failed unexpectedly")
            self._stop.wait(self._interval)
