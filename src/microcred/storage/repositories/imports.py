"""Bulk import jobs and their rows: resumable and idempotent by construction.

How a job survives a crash
--------------------------
1. The file is loaded into ``import_rows`` keyed by ``(job_id, row_number)``: loading the same
   row twice is a :class:`Conflict`, never a duplicate, and :meth:`ImportRepository.last_loaded_row`
   tells a restarted loader where to continue. Rows that fail validation (the dry run) are
   stored ``failed`` with their reason; the others ``pending``.
2. A worker claims a batch of ``pending`` rows (:meth:`~ImportRepository.claim_pending_rows`;
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so workers never share a row, SQLite's single
   writer gives the same guarantee) and, **in the same transaction**, stores each credential
   and marks its row ``issued`` (or ``failed``). The credential also carries the idempotency
   key ``import:<job>:<row>``.
3. A crash before commit rolls the whole batch back: its rows are still ``pending`` and the next
   run issues them. A crash after commit loses nothing. A row is never issued twice, because
   marking a row that is no longer ``pending`` is a :class:`Conflict`, and because of the
   idempotency key.

The job's counters are a cache of the rows, recomputed by :meth:`~ImportRepository.refresh_counts`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update

from microcred.errors import Conflict, NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import ImportJob, ImportJobState, ImportRow, ImportRowState
from microcred.storage.translate import translated_errors

__all__ = ["ImportProgress", "ImportRepository", "RowInput", "import_idempotency_key"]

_J = ImportJobState
_R = ImportRowState
_ROWS: Table = ImportRow.__table__  # type: ignore[assignment]
_MARK_ROW = (
    update(_ROWS)
    .where(
        _ROWS.c.job_id == bindparam("mark_job"),
        _ROWS.c.row_number == bindparam("mark_row"),
        _ROWS.c.state == _R.PENDING,
    )
    .values(
        state=bindparam("mark_state"),
        credential_id=bindparam("mark_credential"),
        error=bindparam("mark_error"),
        processed_at=bindparam("mark_at"),
    )
)


def import_idempotency_key(job_id: uuid.UUID, row_number: int) -> str:
    """The idempotency key of the credential issued for one import row."""
    return f"import:{job_id}:{row_number}"


@dataclass(frozen=True, slots=True)
class RowInput:
    """One parsed row of the file. ``error`` set = the row failed validation (dry run)."""

    row_number: int
    raw: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ImportProgress:
    total: int
    pending: int
    issued: int
    failed: int

    @property
    def done(self) -> bool:
        return self.pending == 0


class ImportRepository(Repository):
    # ------------------------------------------------------------------ jobs

    def add_job(self, job: ImportJob) -> ImportJob:
        job.created_at = self._now()
        return self._insert(job, "import job")

    def get_job(
        self, issuer_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False
    ) -> ImportJob:
        query = select(ImportJob).where(ImportJob.id == job_id, ImportJob.issuer_id == issuer_id)
        if for_update:
            query = query.with_for_update()
        job = self._session.scalar(query)
        if job is None:
            raise NotFound(f"import job {job_id} not found")
        return job

    def list_jobs(
        self, issuer_id: uuid.UUID, *, limit: int = 50, offset: int = 0
    ) -> list[ImportJob]:
        """The issuer's jobs, newest first."""
        limit, offset = page(limit, offset)
        query = (
            select(ImportJob)
            .where(ImportJob.issuer_id == issuer_id)
            .order_by(ImportJob.created_at.desc(), ImportJob.id)
            .limit(limit)
            .offset(offset)
        )
        return list(self._session.scalars(query))

    def start(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob:
        """Mark the job running: first start, or resume after a crash or a failure."""
        job = self.get_job(issuer_id, job_id, for_update=True)
        if job.state in (_J.COMPLETED, _J.CANCELLED):
            raise Conflict(f"the import job is {job.state.value} and cannot run again")
        job.state = _J.RUNNING
        job.error = None
        if job.started_at is None:
            job.started_at = self._now()
        self._flush("import job")
        return job

    def complete(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob:
        """Finish a running job whose rows have all been processed."""
        job = self.refresh_counts(issuer_id, job_id)
        if job.state is not _J.RUNNING:
            raise Conflict(f"the import job is {job.state.value}, not running")
        if job.pending_rows:
            raise Conflict(f"{job.pending_rows} rows of the import are still pending")
        job.state = _J.COMPLETED
        job.finished_at = self._now()
        self._flush("import job")
        return job

    def fail(self, issuer_id: uuid.UUID, job_id: uuid.UUID, error: str) -> ImportJob:
        """Stop a job on an error that is not about one row (it can be resumed later)."""
        job = self.get_job(issuer_id, job_id, for_update=True)
        if job.state in (_J.COMPLETED, _J.CANCELLED):
            raise Conflict(f"the import job is already {job.state.value}")
        job.state = _J.FAILED
        job.error = error[:2000]
        self._flush("import job")
        return job

    def cancel(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob:
        job = self.get_job(issuer_id, job_id, for_update=True)
        if job.state is _J.COMPLETED:
            raise Conflict("the import job has already completed")
        if job.state is not _J.CANCELLED:
            job.state = _J.CANCELLED
            job.finished_at = self._now()
            self._flush("import job")
        return job

    # ------------------------------------------------------------------ rows

    def add_rows(
        self,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        rows: Iterable[RowInput],
        *,
        batch_size: int = 1000,
    ) -> int:
        """Load rows in batches (the iterable is consumed lazily; memory stays flat).

        Returns how many rows were stored. A row number that is already loaded is a
        :class:`Conflict` and nothing of that batch is stored.
        """
        self.get_job(issuer_id, job_id)
        stored = 0
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, batch_size)):
            values = [
                {
                    "job_id": job_id,
                    "row_number": row.row_number,
                    "raw": row.raw,
                    "state": _R.PENDING if row.error is None else _R.FAILED,
                    "error": row.error,
                    "credential_id": None,
                    "processed_at": None if row.error is None else self._now(),
                }
                for row in batch
            ]
            with translated_errors("import row"), self._session.begin_nested():
                self._session.execute(insert(ImportRow), values)
            stored += len(batch)
        return stored

    def last_loaded_row(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> int:
        """The highest row number loaded so far (0 if none): where a restarted load resumes."""
        self.get_job(issuer_id, job_id)
        query = select(func.max(ImportRow.row_number)).where(ImportRow.job_id == job_id)
        return int(self._session.scalar(query) or 0)

    def claim_pending_rows(
        self, issuer_id: uuid.UUID, job_id: uuid.UUID, *, limit: int = 100
    ) -> list[ImportRow]:
        """The next pending rows, in file order, locked for this transaction.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED`` (concurrent workers get disjoint rows).
        SQLite: the write transaction already excludes every other writer.
        """
        self.get_job(issuer_id, job_id)
        limit, _ = page(limit)
        query = (
            select(ImportRow)
            .where(ImportRow.job_id == job_id, ImportRow.state == _R.PENDING)
            .order_by(ImportRow.row_number)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self._session.scalars(query))

    def mark_row_issued(
        self,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        row_number: int,
        credential_id: uuid.UUID,
    ) -> ImportRow:
        row = self._pending_row(issuer_id, job_id, row_number)
        row.state = _R.ISSUED
        row.credential_id = credential_id
        row.error = None
        row.processed_at = self._now()
        self._flush("import row")
        return row

    def mark_row_failed(
        self, issuer_id: uuid.UUID, job_id: uuid.UUID, row_number: int, error: str
    ) -> ImportRow:
        row = self._pending_row(issuer_id, job_id, row_number)
        row.state = _R.FAILED
        row.error = error[:2000]
        row.processed_at = self._now()
        self._flush("import row")
        return row

    def mark_rows(
        self,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        outcomes: Iterable[tuple[int, uuid.UUID | None, str | None]],
    ) -> int:
        """Mark many pending rows at once: ``(row number, credential id, None)`` issued,
        ``(row number, None, reason)`` failed. One ``executemany`` (bulk issuance); the
        job's counters move by as many rows (no recount).

        :class:`Conflict` if a row was not pending any more (the caller rolls back).
        """
        job = self._session.get(ImportJob, job_id)
        if job is None or job.issuer_id != issuer_id:
            raise NotFound(f"import job {job_id} not found")
        now = self._now()
        values = [
            {
                "mark_job": job_id,
                "mark_row": row_number,
                "mark_state": _R.ISSUED if credential_id is not None else _R.FAILED,
                "mark_credential": credential_id,
                "mark_error": None if credential_id is not None else (error or "failed")[:2000],
                "mark_at": now,
            }
            for row_number, credential_id, error in outcomes
        ]
        if not values:
            return 0
        with translated_errors("import row"):
            result = self._session.connection().execute(_MARK_ROW, values)
        changed = int(result.rowcount)
        if 0 <= changed < len(values):
            raise Conflict(
                f"{len(values) - changed} rows of the import were already processed",
                retryable=True,
            )
        # the job's counters follow the rows just marked (each was pending): no count over
        # every row of the job per chunk, which grew with the job (round 7)
        issued = sum(1 for value in values if value["mark_credential"] is not None)
        with translated_errors("import job"):
            self._session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(
                    pending_rows=ImportJob.pending_rows - len(values),
                    issued_rows=ImportJob.issued_rows + issued,
                    failed_rows=ImportJob.failed_rows + (len(values) - issued),
                )
                .execution_options(synchronize_session=False)
            )
        return len(values)

    def list_rows(
        self,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        *,
        state: ImportRowState | None = None,
        after_row: int = 0,
        limit: int = 500,
    ) -> list[ImportRow]:
        """Rows in file order after ``after_row`` (keyset paging for reports of any size)."""
        self.get_job(issuer_id, job_id)
        limit, _ = page(limit)
        query = select(ImportRow).where(
            ImportRow.job_id == job_id, ImportRow.row_number > after_row
        )
        if state is not None:
            query = query.where(ImportRow.state == state)
        return list(self._session.scalars(query.order_by(ImportRow.row_number).limit(limit)))

    def progress(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> ImportProgress:
        """Counts straight from the rows (read-only)."""
        self.get_job(issuer_id, job_id)
        counts = dict.fromkeys(ImportRowState, 0)
        query = (
            select(ImportRow.state, func.count())
            .where(ImportRow.job_id == job_id)
            .group_by(ImportRow.state)
        )
        for state, count in self._session.execute(query).all():
            counts[ImportRowState(state)] = int(count)
        return ImportProgress(
            total=sum(counts.values()),
            pending=counts[_R.PENDING],
            issued=counts[_R.ISSUED],
            failed=counts[_R.FAILED],
        )

    def refresh_counts(self, issuer_id: uuid.UUID, job_id: uuid.UUID) -> ImportJob:
        """Recompute the job's cached counters from its rows."""
        progress = self.progress(issuer_id, job_id)
        job = self.get_job(issuer_id, job_id, for_update=True)
        job.total_rows = progress.total
        job.pending_rows = progress.pending
        job.issued_rows = progress.issued
        job.failed_rows = progress.failed
        self._flush("import job")
        return job

    def _pending_row(self, issuer_id: uuid.UUID, job_id: uuid.UUID, row_number: int) -> ImportRow:
        job = self._session.get(ImportJob, job_id)  # identity map: no query per row
        if job is None or job.issuer_id != issuer_id:
            raise NotFound(f"import job {job_id} not found")
        row = self._session.get(ImportRow, (job_id, row_number))
        if row is None:
            raise NotFound(f"row {row_number} of import job {job_id} not found")
        if row.state is not _R.PENDING:
            raise Conflict(f"row {row_number} was already processed ({row.state.value})")
        return row
