"""Bulk import: preview a file, dry-run it, store it as a job, issue the good rows — resumably.

::

    report = imports.dry_run(principal, issuer_id, path, "cohort.csv", ImportRequest(...))
    job = imports.create_job(principal, issuer_id, path, "cohort.csv", ImportRequest(...))
    imports.run_job(principal, issuer_id, job.id, worker_id="cli", on_progress=bar.update)
    report_chunks = imports.error_report_csv(principal, issuer_id, job.id)

Reading, mapping and validating are :mod:`microcred.imports` (no database). This module adds
the transactions:

- ``create_job`` stores the job and every row (raw cells as JSON, keyed by row number; rows
  that failed validation ``failed`` with their reason, the others ``pending``) in chunks of
  2000 rows per transaction; the last one sets the job's counters and audits it, and only then
  can it run. A damaged row far down the file cancels the half-loaded job.
- ``run_job`` claims ``batch_size`` pending rows at a time (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so several workers share a job without sharing rows), issues each row's
  credential with the idempotency key ``import:<job>:<row>`` and marks the row ``issued`` (or
  ``failed`` with the reason) **in the same transaction** that stores the credential, then
  commits and reports progress. ``kill -9`` at any point loses at most the uncommitted batch,
  whose rows are still ``pending``: running the job again issues them, and nothing twice.

Issuing goes through the issuance service. With ``issue_in`` (issue inside the caller's unit
of work) the credential and the row mark share one transaction. With only ``issue`` (its own
transaction) the row is marked right after in a second one; a crash in between leaves the row
``pending`` and the rerun's ``issue`` with the same idempotency key returns the credential
already stored instead of a second one — the same guarantee, by idempotency.

Every method needs ``import:run`` at the issuer (issuing also ``credential:issue`` and
``learner:write``); other issuers' jobs are :class:`NotFound`.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Annotated, Any, Literal, Protocol

from pydantic import Field

from microcred.errors import ConfigError, Conflict, InvalidInput, MicrocredError
from microcred.imports import (
    DEFAULT_LIMITS,
    ColumnMapping,
    DateOrder,
    ImportField,
    ImportLimits,
    ImportRecord,
    ProgressCallback,
    RowProblem,
    RowValidator,
    Source,
    Table,
    error_report_lines,
    open_table,
    suggest_mapping,
    validate_record,
)
from microcred.model import Evidence, Result, StrictModel
from microcred.services._support import UUIDField, record_audit
from microcred.services.access import Permission, Principal, require
from microcred.services.bulk_issuance import BulkIssuance, BulkOutcome, BulkRow, SignMany
from microcred.services.collector import bulk_collection
from microcred.services.issuance import IssuedCredential, IssueRequest, LearnerInput
from microcred.storage import (
    DefinitionState,
    DefinitionVersion,
    ImportJob,
    ImportJobState,
    ImportRowState,
    RowInput,
    UnitOfWork,
    UnitOfWorkFactory,
    import_idempotency_key,
)
from microcred.storage.statistics import BULK_TABLES, refresh_stale_statistics

__all__ = [
    "DEFAULT_CHUNK",
    "IMPORT_PATHS",
    "IMPORT_PATH_ENV",
    "DryRunReport",
    "ImportPreview",
    "ImportRequest",
    "ImportService",
    "JobInfo",
    "StandaloneIssue",
    "TransactionalIssue",
    "import_path",
]


def import_path(environ: Mapping[str, str] | None = None) -> str:
    """``MICROCRED_IMPORT_PATH``: ``bulk`` (the default when unset or empty) or ``single``."""
    env = os.environ if environ is None else environ
    chosen = env.get(IMPORT_PATH_ENV, "").strip().lower() or "bulk"
    if chosen not in IMPORT_PATHS:
        raise ConfigError(
            f"{IMPORT_PATH_ENV} must be one of {', '.join(IMPORT_PATHS)}, not {chosen!r}.",
            setting=IMPORT_PATH_ENV,
        )
    return chosen


_MAX_REPORTED_ERRORS = 1000
_SAMPLE_ROWS = 5
_DEFAULT_BATCH = 50
#: rows per chunk on the bulk path (one transaction each)
DEFAULT_CHUNK = 500
#: ``MICROCRED_IMPORT_PATH``: ``bulk`` (default: chunks issued with bulk inserts) or ``single``
#: (every row through ``IssuanceService.issue_in``: the full path)
IMPORT_PATH_ENV = "MICROCRED_IMPORT_PATH"
IMPORT_PATHS = ("bulk", "single")
#: tries of one batch's transaction when the database asks for a retry
_BATCH_ATTEMPTS = 5
_LOAD_CHUNK = 2000


# --------------------------------------------------------------------------- inputs


class ImportRequest(StrictModel):
    """What to import and how: the definition (and version), the column mapping, file options.

    ``mapping`` is ``{field: header}`` (fields: ``name``, ``given_name``, ``family_name``,
    ``email``, ``did``, ``external_id``, ``result``, ``evidence_url``, ``issue_date``,
    ``valid_until``); left out, the suggestion from the headers is used. ``version`` defaults
    to the newest published version. ``sheet`` picks an XLSX worksheet; ``encoding`` and
    ``delimiter`` override CSV detection; ``date_order`` reads ``01/02/2025`` day-first (DMY)
    or month-first (MDY). ``allow_duplicate_file`` lets ``create_job`` import a file that was
    already imported for the same version.
    """

    definition_id: UUIDField
    version: Annotated[int, Field(ge=1)] | None = None
    mapping: dict[str, str] | None = None
    sheet: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    encoding: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    date_order: Literal["DMY", "MDY"] = "DMY"
    allow_duplicate_file: bool = False


class StandaloneIssue(Protocol):
    """``IssuanceService.issue``: issue one credential in its own transaction."""

    def __call__(
        self, principal: Principal, issuer_id: uuid.UUID, request: IssueRequest
    ) -> IssuedCredential: ...


class TransactionalIssue(Protocol):
    """Issue one credential inside the caller's unit of work (no commit)."""

    def __call__(
        self, tx: UnitOfWork, principal: Principal, issuer_id: uuid.UUID, request: IssueRequest
    ) -> IssuedCredential: ...


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class ImportPreview:
    """What a file looks like before any mapping is chosen."""

    format: str
    sheet: str | None
    delimiter: str | None
    encoding: str | None
    headers: tuple[str, ...]
    sample: tuple[dict[str, str], ...]
    suggested_mapping: dict[str, str]
    missing: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class DryRunReport:
    """Every problem of a file, without storing anything.

    ``errors`` lists at most the first 1000 problems (``errors_truncated`` says if more were
    found; ``rows_failed`` always counts them all). ``sample`` holds the first good rows as they
    would be issued.
    """

    definition_id: uuid.UUID
    version: int
    rows_total: int
    rows_ok: int
    rows_failed: int
    errors: tuple[RowProblem, ...]
    errors_truncated: bool
    mapping: dict[str, str]
    headers: tuple[str, ...]
    format: str
    sheet: str | None
    delimiter: str | None
    encoding: str | None
    notes: tuple[str, ...] = ()
    sample: tuple[ImportRecord, ...] = ()


@dataclass(frozen=True)
class JobInfo:
    """An import job and its progress (counts straight from its rows)."""

    id: uuid.UUID
    issuer_id: uuid.UUID
    definition_id: uuid.UUID
    definition_version_id: uuid.UUID
    version: int
    file_name: str
    file_sha256: str | None
    state: ImportJobState
    total_rows: int
    pending_rows: int
    issued_rows: int
    failed_rows: int
    error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    mapping: dict[str, str] = field(default_factory=dict)
    headers: tuple[str, ...] = ()
    #: false while the file is being loaded, or when loading was interrupted (cannot run)
    loaded: bool = True

    @property
    def done_rows(self) -> int:
        """Rows processed so far (issued + failed)."""
        return self.issued_rows + self.failed_rows

    @property
    def progress(self) -> float:
        """Fraction of rows processed, 0.0 to 1.0 (1.0 for an empty job)."""
        return 1.0 if not self.total_rows else self.done_rows / self.total_rows


@dataclass(frozen=True)
class _Options:
    """What a job stores in ``options`` (to re-read its rows the same way later)."""

    headers: tuple[str, ...]
    format: str
    delimiter: str | None
    encoding: str | None
    sheet: str | None
    date_order: DateOrder

    def to_json(self) -> dict[str, Any]:
        return {
            "headers": list(self.headers),
            "format": self.format,
            "delimiter": self.delimiter,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "date_order": self.date_order.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Options:
        return cls(
            headers=tuple(str(h) for h in data.get("headers") or ()),
            format=str(data.get("format") or "csv"),
            delimiter=data.get("delimiter"),
            encoding=data.get("encoding"),
            sheet=data.get("sheet"),
            date_order=DateOrder(data.get("date_order") or "DMY"),
        )


@dataclass(frozen=True)
class _Work:
    """One claimed row, copied out of its transaction."""

    row_number: int
    raw: dict[str, str]


# --------------------------------------------------------------------------- the service


class ImportService:
    """Bulk imports (see the module docstring).

    ``issue_in`` (preferred) issues inside the import's transaction; ``issue`` is the
    issuance service's own-transaction ``issue``. At least one is needed to run jobs;
    previews, dry runs and job creation work without either.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        issue: StandaloneIssue | None = None,
        issue_in: TransactionalIssue | None = None,
        limits: ImportLimits = DEFAULT_LIMITS,
        max_reported_errors: int = _MAX_REPORTED_ERRORS,
        bulk: BulkIssuance | None = None,
    ) -> None:
        self._uow = uow
        self._issue = issue
        self._issue_in = issue_in
        self._bulk = bulk
        self._limits = limits
        self._max_errors = max_reported_errors

    @classmethod
    def for_issuance(
        cls,
        uow: UnitOfWorkFactory,
        issuance: Any,
        *,
        limits: ImportLimits = DEFAULT_LIMITS,
        path: str | None = None,
    ) -> ImportService:
        """Wire to an ``IssuanceService``: its ``issue_in`` when it has one, else ``issue``.

        ``path`` (default :func:`import_path`, i.e. ``MICROCRED_IMPORT_PATH``): ``bulk`` issues
        jobs in chunks through ``issuance.bulk()`` (rows the chunk cannot take fall back to
        ``issue_in`` one by one); ``single`` forces ``issue_in`` for every row.
        """
        chosen = import_path() if path is None else path
        if chosen not in IMPORT_PATHS:
            raise ConfigError(f"unknown import path {chosen!r}", setting=IMPORT_PATH_ENV)
        transactional = getattr(issuance, "issue_in", None)
        if callable(transactional):
            make_bulk = getattr(issuance, "bulk", None)
            bulk = make_bulk() if chosen == "bulk" and callable(make_bulk) else None
            return cls(uow, issue_in=transactional, limits=limits, bulk=bulk)
        return cls(uow, issue=issuance.issue, limits=limits)

    @property
    def bulk(self) -> BulkIssuance | None:
        """The bulk path, or ``None`` when every row goes through the issuance service."""
        return self._bulk

    # ------------------------------------------------------------------ reading files

    def preview(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        source: Source,
        filename: str,
        *,
        sheet: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        rows: int = _SAMPLE_ROWS,
    ) -> ImportPreview:
        """Headers, the first ``rows`` rows and a suggested mapping (nothing is stored)."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with open_table(
            source,
            filename,
            sheet=sheet,
            encoding=encoding,
            delimiter=delimiter,
            limits=self._limits,
        ) as table:
            sample: list[dict[str, str]] = []
            for row in table.rows():
                if len(sample) >= max(0, min(rows, 100)):
                    break
                sample.append(dict(zip(table.headers, row.cells, strict=False)))
            suggestion = suggest_mapping(table.headers)
            return ImportPreview(
                format=table.format.value,
                sheet=table.sheet,
                delimiter=table.delimiter,
                encoding=table.encoding,
                headers=table.headers,
                sample=tuple(sample),
                suggested_mapping=suggestion.mapping.to_dict(),
                missing=tuple(suggestion.missing),
                notes=table.notes,
            )

    def dry_run(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        source: Source,
        filename: str,
        request: ImportRequest,
    ) -> DryRunReport:
        """Read and validate the whole file; report every bad row. Stores nothing."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        version = self._published_version(issuer_id, request)
        today = self._today()
        errors: list[RowProblem] = []
        sample: list[ImportRecord] = []
        total = ok = failed = problems = 0
        with self._open(source, filename, request) as table:
            mapping = self._mapping(request, table.headers)
            validator = RowValidator(
                table.headers, mapping, today=today, date_order=DateOrder(request.date_order)
            )
            for checked in validator.check_rows(table.rows()):
                total += 1
                if checked.record is not None:
                    ok += 1
                    if len(sample) < _SAMPLE_ROWS:
                        sample.append(checked.record)
                    continue
                failed += 1
                problems += len(checked.problems)
                room = self._max_errors - len(errors)
                if room > 0:
                    errors.extend(checked.problems[:room])
            return DryRunReport(
                definition_id=version.definition_id,
                version=version.version,
                rows_total=total,
                rows_ok=ok,
                rows_failed=failed,
                errors=tuple(errors),
                errors_truncated=problems > len(errors),
                mapping=mapping.to_dict(),
                headers=table.headers,
                format=table.format.value,
                sheet=table.sheet,
                delimiter=table.delimiter,
                encoding=table.encoding,
                notes=table.notes + _field_notes(mapping),
                sample=tuple(sample),
            )

    # ------------------------------------------------------------------ jobs

    def create_job(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        source: Source,
        filename: str,
        request: ImportRequest,
    ) -> JobInfo:
        """Store the file as a job: good rows ``pending``, bad rows ``failed`` with the reason.

        Rows are loaded in transactions of a few thousand (a long upload never holds SQLite's
        write lock for long); the job becomes runnable in the last one, which sets its counters
        and writes the audit entry. A load that fails (a damaged row far down the file) cancels
        the job; one that is killed leaves a job that never loaded (``loaded`` false), which
        cannot run. The same file for the same definition version twice is a
        :class:`Conflict` unless ``allow_duplicate_file``: its learners would get their
        credential twice.
        """
        require(principal, issuer_id, Permission.IMPORT_RUN)
        version = self._published_version(issuer_id, request)
        digest = _sha256(source, self._limits)
        if not request.allow_duplicate_file:
            self._refuse_duplicate_file(issuer_id, version, digest)
        name = _display_name(filename)
        today = self._today()
        date_order = DateOrder(request.date_order)
        with self._open(source, filename, request) as table:
            mapping = self._mapping(request, table.headers)
            options = _Options(
                headers=table.headers,
                format=table.format.value,
                delimiter=table.delimiter,
                encoding=table.encoding,
                sheet=table.sheet,
                date_order=date_order,
            )
            validator = RowValidator(table.headers, mapping, today=today, date_order=date_order)
            rows = (
                RowInput(checked.row, checked.raw, checked.reason)
                for checked in validator.check_rows(table.rows())
            )
            chunk = list(itertools.islice(rows, _LOAD_CHUNK))
            if not chunk:
                raise InvalidInput("the file has a header row but no data rows")
            with self._uow() as tx:
                job = tx.imports.add_job(
                    ImportJob(
                        issuer_id=issuer_id,
                        definition_version_id=version.id,
                        file_name=name,
                        column_mapping=mapping.to_dict(),
                        file_sha256=digest,
                        options=options.to_json(),
                        created_by=principal.user_id,
                    )
                )
                tx.imports.add_rows(issuer_id, job.id, chunk, batch_size=_LOAD_CHUNK)
                tx.commit()
            try:
                while chunk := list(itertools.islice(rows, _LOAD_CHUNK)):
                    with self._uow() as tx:
                        tx.imports.add_rows(issuer_id, job.id, chunk, batch_size=_LOAD_CHUNK)
                        tx.commit()
            except MicrocredError:
                with self._uow() as tx:
                    tx.imports.cancel(issuer_id, job.id)
                    tx.commit()
                raise
        with self._uow() as tx:
            # the cached counters are first set here: a job with total_rows 0 never loaded
            job = tx.imports.refresh_counts(issuer_id, job.id)
            record_audit(
                tx,
                principal,
                "import.create",
                issuer_id=issuer_id,
                target_type="import_job",
                target_id=job.id,
                details={
                    "file": name,
                    "sha256": digest,
                    "definition": str(version.definition_id),
                    "version": version.version,
                    "rows": job.total_rows,
                    "pending": job.pending_rows,
                    "failed": job.failed_rows,
                },
            )
            info = _job_info(job, version)
            tx.commit()
        return info

    def run_job(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        *,
        worker_id: str = "worker",
        batch_size: int | None = None,
        on_progress: ProgressCallback | None = None,
        sign_many: SignMany | None = None,
        finish: bool = True,
    ) -> JobInfo:
        """Issue the job's pending rows until none is left; resumable and idempotent.

        ``batch_size`` rows are claimed per transaction (default 500 on the bulk path, 50 on
        the single path). ``sign_many`` signs a bulk chunk elsewhere (a pool of processes);
        ``finish=False`` leaves completing the job to the caller (parallel workers).

        Call it again after a crash (or from several workers at once): rows already issued are
        never issued again. ``on_progress(done, total, failed)`` runs after every committed
        batch. A row whose data the issuer refuses (``InvalidInput``) is marked failed with the
        reason; any other error stops the job (``failed``, resumable) and is raised.
        """
        for permission in (
            Permission.IMPORT_RUN,
            Permission.CREDENTIAL_ISSUE,
            Permission.LEARNER_WRITE,
        ):
            require(principal, issuer_id, permission)
        if self._issue_in is None and self._issue is None:
            raise RuntimeError("ImportService was built without an issue function")
        if batch_size is None:
            batch_size = DEFAULT_CHUNK if self._bulk is not None else _DEFAULT_BATCH
        if not 1 <= batch_size <= 5000:
            raise InvalidInput("batch_size must be between 1 and 5000")
        worker = str(worker_id)[:100]
        with self._uow() as tx:
            if not tx.imports.get_job(issuer_id, job_id).total_rows:
                raise Conflict(
                    "this job's file was never completely loaded (the upload was interrupted); "
                    "cancel it and create the job again"
                )
            job = tx.imports.start(issuer_id, job_id)
            version = tx.definitions.get_version(issuer_id, job.definition_version_id)
            tx.commit()
        mapping = ColumnMapping.from_dict(job.column_mapping)
        options = _Options.from_json(job.options)
        context = _RowContext(
            job_id=job.id,
            version_id=version.id,
            definition_id=version.definition_id,
            version=version.version,
            mapping=mapping,
            date_order=options.date_order,
            result_description=_single_result_description(version.achievement),
        )
        self._report(issuer_id, job_id, on_progress)
        with bulk_collection():  # far fewer cyclic collections per chunk
            try:
                while True:
                    if self._issue_in is not None:
                        processed = self._batch_with_retries(
                            principal, issuer_id, context, batch_size, self._issue_in, sign_many
                        )
                    else:
                        assert self._issue is not None
                        processed = self._batch_standalone(
                            principal, issuer_id, context, batch_size, self._issue
                        )
                    if not processed:
                        break
                    if self._bulk is not None and self._uow.database.backend == "postgresql":
                        self._refresh_statistics()
                    self._report(issuer_id, job_id, on_progress)
            except MicrocredError as exc:
                self._fail(principal, issuer_id, job_id, worker, exc)
                raise
        if not finish:
            return self.job_status(principal, issuer_id, job_id)
        return self._finish(principal, issuer_id, job_id, worker)

    def _refresh_statistics(self) -> None:
        """Analyse the tables the job has outgrown (PostgreSQL: the foreign-key checks of the
        next chunks then use the key's index; :mod:`microcred.storage.statistics`)."""
        with self._uow() as tx:
            refresh_stale_statistics(tx.session.connection(), BULK_TABLES)
            tx.commit()

    def job_status(self, principal: Principal, issuer_id: uuid.UUID, job_id: uuid.UUID) -> JobInfo:
        """The job with live counts from its rows."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with self._uow(read_only=True) as tx:
            job = tx.imports.get_job(issuer_id, job_id)
            progress = tx.imports.progress(issuer_id, job_id)
            version = tx.definitions.get_version(issuer_id, job.definition_version_id)
            info = _job_info(job, version)
        return _with_counts(
            info, progress.total, progress.pending, progress.issued, progress.failed
        )

    def list_jobs(
        self, principal: Principal, issuer_id: uuid.UUID, *, limit: int = 50, offset: int = 0
    ) -> list[JobInfo]:
        """The issuer's jobs, newest first (cached counts)."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with self._uow(read_only=True) as tx:
            jobs = tx.imports.list_jobs(issuer_id, limit=limit, offset=offset)
            versions: dict[uuid.UUID, DefinitionVersion] = {}
            for job in jobs:
                if job.definition_version_id not in versions:
                    versions[job.definition_version_id] = tx.definitions.get_version(
                        issuer_id, job.definition_version_id
                    )
            return [_job_info(job, versions[job.definition_version_id]) for job in jobs]

    def job_errors(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        *,
        after_row: int = 0,
        limit: int = 100,
    ) -> list[RowProblem]:
        """The failed rows after ``after_row`` with their reasons (page by the last row seen)."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with self._uow(read_only=True) as tx:
            rows = tx.imports.list_rows(
                issuer_id, job_id, state=ImportRowState.FAILED, after_row=after_row, limit=limit
            )
            return [RowProblem(row.row_number, None, row.error or "failed") for row in rows]

    def cancel_job(self, principal: Principal, issuer_id: uuid.UUID, job_id: uuid.UUID) -> JobInfo:
        """Stop a job for good: its pending rows are never issued (issued ones stay issued)."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with self._uow() as tx:
            job = tx.imports.cancel(issuer_id, job_id)
            job = tx.imports.refresh_counts(issuer_id, job_id)
            version = tx.definitions.get_version(issuer_id, job.definition_version_id)
            record_audit(
                tx,
                principal,
                "import.cancel",
                issuer_id=issuer_id,
                target_type="import_job",
                target_id=job_id,
                details={"issued": job.issued_rows, "pending": job.pending_rows},
            )
            info = _job_info(job, version)
            tx.commit()
        return info

    def error_report_csv(
        self, principal: Principal, issuer_id: uuid.UUID, job_id: uuid.UUID
    ) -> Iterator[str]:
        """The failed rows as CSV text chunks: ``Import row``, ``Import problem``, then the
        file's own columns; formula-looking cells neutralised (see
        :mod:`microcred.imports.export`). Access is checked at once; rows are read page by page
        while the chunks are consumed."""
        require(principal, issuer_id, Permission.IMPORT_RUN)
        with self._uow(read_only=True) as tx:
            job = tx.imports.get_job(issuer_id, job_id)
        options = _Options.from_json(job.options)
        delimiter = options.delimiter or ","
        return error_report_lines(
            options.headers, self._failed_rows(issuer_id, job_id), delimiter=delimiter
        )

    # ------------------------------------------------------------------ batches

    def _batch_with_retries(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        context: _RowContext,
        batch_size: int,
        issue_in: TransactionalIssue,
        sign_many: SignMany | None = None,
    ) -> int:
        """:meth:`_batch_in_transaction` (or :meth:`_chunk_in_transaction` on the bulk path),
        run again (from its start) while the database refuses it with a retryable
        :class:`Conflict` (deadlocked status allocation, busy SQLite, a learner inserted by a
        concurrent worker)."""
        for remaining in range(_BATCH_ATTEMPTS - 1, -1, -1):
            try:
                if self._bulk is not None:
                    return self._chunk_in_transaction(
                        principal, issuer_id, context, batch_size, issue_in, self._bulk, sign_many
                    )
                return self._batch_in_transaction(
                    principal, issuer_id, context, batch_size, issue_in
                )
            except Conflict as exc:
                if not exc.extra.get("retryable") or remaining == 0:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _chunk_in_transaction(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        context: _RowContext,
        batch_size: int,
        issue_in: TransactionalIssue,
        bulk: BulkIssuance,
        sign_many: SignMany | None,
    ) -> int:
        """Claim a chunk, issue it with bulk inserts and mark its rows in ONE transaction.

        Rows whose data is refused are marked failed with the reason. When the chunk as a
        whole is refused (:class:`InvalidInput` from a step that covers every row), its
        savepoint is rolled back and the rows go through ``issue_in`` one by one instead
        (each refused row then gets its own reason).
        """
        with self._uow() as tx:
            rows = tx.imports.claim_pending_rows(issuer_id, context.job_id, limit=batch_size)
            if not rows:
                return 0
            today = self._today()
            now = self._uow.clock.now()
            marks: list[tuple[int, uuid.UUID | None, str | None]] = []
            todo: list[BulkRow] = []
            for row in rows:
                request, reason = context.request_for(row.row_number, row.raw, today)
                if request is None:
                    marks.append((row.row_number, None, reason))
                else:
                    todo.append(BulkRow(row.row_number, request))
            outcomes: list[BulkOutcome] | None = None
            if todo:
                assert context.version_id is not None
                version = tx.definitions.get_version(issuer_id, context.version_id)
                try:
                    with tx.session.begin_nested():
                        outcomes = bulk.issue_chunk(
                            tx, principal, issuer_id, version, todo, now=now, sign_many=sign_many
                        )
                except InvalidInput:
                    outcomes = None  # the chunk as a whole was refused: row by row below
                if outcomes is None:
                    outcomes = [
                        self._one_row(tx, principal, issuer_id, item, issue_in) for item in todo
                    ]
            marks.extend(
                (outcome.row_number, outcome.credential_id, outcome.error)
                for outcome in outcomes or ()
            )
            tx.imports.mark_rows(issuer_id, context.job_id, marks)  # counters follow
            tx.commit()
            return len(rows)

    @staticmethod
    def _one_row(
        tx: UnitOfWork,
        principal: Principal,
        issuer_id: uuid.UUID,
        item: BulkRow,
        issue_in: TransactionalIssue,
    ) -> BulkOutcome:
        """The fallback: one row through the issuance service (a refused row rolls back alone)."""
        try:
            with tx.session.begin_nested():
                issued = issue_in(tx, principal, issuer_id, item.request)
        except InvalidInput as exc:
            return BulkOutcome(item.row_number, None, _reason(exc))
        return BulkOutcome(item.row_number, issued.id, None, replayed=issued.replayed)

    def _batch_in_transaction(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        context: _RowContext,
        batch_size: int,
        issue_in: TransactionalIssue,
    ) -> int:
        """Claim, issue and mark a batch in ONE transaction; the number of rows processed."""
        with self._uow() as tx:
            rows = tx.imports.claim_pending_rows(issuer_id, context.job_id, limit=batch_size)
            for row in rows:
                request, reason = context.request_for(row.row_number, row.raw, self._today())
                if request is None:
                    tx.imports.mark_row_failed(issuer_id, context.job_id, row.row_number, reason)
                    continue
                try:
                    with tx.session.begin_nested():  # a refused row rolls back alone
                        issued = issue_in(tx, principal, issuer_id, request)
                except InvalidInput as exc:
                    tx.imports.mark_row_failed(
                        issuer_id, context.job_id, row.row_number, _reason(exc)
                    )
                    continue
                tx.imports.mark_row_issued(issuer_id, context.job_id, row.row_number, issued.id)
            if rows:
                tx.imports.refresh_counts(issuer_id, context.job_id)
                tx.commit()
            return len(rows)

    def _batch_standalone(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        context: _RowContext,
        batch_size: int,
        issue: StandaloneIssue,
    ) -> int:
        """Claim a batch, issue each row in its own (idempotent) transaction, mark them all."""
        with self._uow(read_only=True) as tx:
            claimed = [
                _Work(row.row_number, dict(row.raw))
                for row in tx.imports.claim_pending_rows(
                    issuer_id, context.job_id, limit=batch_size
                )
            ]
        if not claimed:
            return 0
        outcomes: list[tuple[int, uuid.UUID | None, str]] = []
        today = self._today()
        for work in claimed:
            request, reason = context.request_for(work.row_number, work.raw, today)
            if request is None:
                outcomes.append((work.row_number, None, reason))
                continue
            try:
                issued = issue(principal, issuer_id, request)
            except InvalidInput as exc:
                outcomes.append((work.row_number, None, _reason(exc)))
                continue
            outcomes.append((work.row_number, issued.id, ""))
        with self._uow() as tx:
            for row_number, credential_id, reason in outcomes:
                try:
                    if credential_id is None:
                        tx.imports.mark_row_failed(issuer_id, context.job_id, row_number, reason)
                    else:
                        tx.imports.mark_row_issued(
                            issuer_id, context.job_id, row_number, credential_id
                        )
                except Conflict:
                    continue  # another worker processed this row meanwhile
            tx.imports.refresh_counts(issuer_id, context.job_id)
            tx.commit()
        return len(claimed)

    def _finish(
        self, principal: Principal, issuer_id: uuid.UUID, job_id: uuid.UUID, worker: str
    ) -> JobInfo:
        with self._uow() as tx:
            job = tx.imports.refresh_counts(issuer_id, job_id)
            version = tx.definitions.get_version(issuer_id, job.definition_version_id)
            if job.state is ImportJobState.RUNNING and job.pending_rows == 0:
                job = tx.imports.complete(issuer_id, job_id)
                record_audit(
                    tx,
                    principal,
                    "import.complete",
                    issuer_id=issuer_id,
                    target_type="import_job",
                    target_id=job_id,
                    details={
                        "issued": job.issued_rows,
                        "failed": job.failed_rows,
                        "rows": job.total_rows,
                        "worker": worker,
                    },
                )
            # else: another worker still holds rows (it completes the job), or it was cancelled
            info = _job_info(job, version)
            tx.commit()
        return info

    def _fail(
        self,
        principal: Principal,
        issuer_id: uuid.UUID,
        job_id: uuid.UUID,
        worker: str,
        exc: MicrocredError,
    ) -> None:
        message = f"{type(exc).__name__}: {exc.detail}"
        try:
            with self._uow() as tx:
                tx.imports.fail(issuer_id, job_id, message)
                tx.imports.refresh_counts(issuer_id, job_id)
                record_audit(
                    tx,
                    principal,
                    "import.fail",
                    issuer_id=issuer_id,
                    target_type="import_job",
                    target_id=job_id,
                    details={"error": message[:500], "worker": worker},
                )
                tx.commit()
        except MicrocredError:
            pass  # the original error matters more; the job stays resumable either way

    def _report(
        self, issuer_id: uuid.UUID, job_id: uuid.UUID, on_progress: ProgressCallback | None
    ) -> None:
        if on_progress is None:
            return
        with self._uow(read_only=True) as tx:
            progress = tx.imports.progress(issuer_id, job_id)
        on_progress(progress.issued + progress.failed, progress.total, progress.failed)

    def _failed_rows(
        self, issuer_id: uuid.UUID, job_id: uuid.UUID
    ) -> Iterator[tuple[int, Mapping[str, str], str]]:
        after = 0
        while True:
            with self._uow(read_only=True) as tx:
                rows = tx.imports.list_rows(
                    issuer_id, job_id, state=ImportRowState.FAILED, after_row=after, limit=500
                )
                page = [(row.row_number, dict(row.raw), row.error or "failed") for row in rows]
            if not page:
                return
            yield from page
            after = page[-1][0]

    # ------------------------------------------------------------------ helpers

    def _today(self) -> date:
        return self._uow.clock.now().astimezone(UTC).date()

    def _open(self, source: Source, filename: str, request: ImportRequest) -> Table:
        return open_table(
            source,
            filename,
            sheet=request.sheet,
            encoding=request.encoding,
            delimiter=request.delimiter,
            limits=self._limits,
        )

    @staticmethod
    def _mapping(request: ImportRequest, headers: tuple[str, ...]) -> ColumnMapping:
        if request.mapping is None:
            suggestion = suggest_mapping(headers)
            mapping = suggestion.mapping
            if suggestion.missing:
                raise InvalidInput(
                    "no complete column mapping could be suggested from the headers ("
                    + "; ".join(suggestion.missing)
                    + " missing); give the mapping",
                    missing=suggestion.missing,
                    suggested_mapping=mapping.to_dict(),
                    headers=list(headers),
                )
        else:
            mapping = ColumnMapping.from_dict(request.mapping, headers)
        mapping.require_complete()
        return mapping

    def _published_version(self, issuer_id: uuid.UUID, request: ImportRequest) -> DefinitionVersion:
        with self._uow(read_only=True) as tx:
            definition = tx.definitions.get(issuer_id, request.definition_id)
            if request.version is None:
                version = tx.definitions.find_latest_published(issuer_id, definition.id)
                if version is None:
                    raise Conflict(
                        f"definition {definition.slug!r} has no published version; credentials "
                        "are issued only from published versions"
                    )
                return version
            version = tx.definitions.get_version_by_number(
                issuer_id, definition.id, request.version
            )
        if DefinitionState(version.state) is not DefinitionState.PUBLISHED:
            raise Conflict(
                f"version {version.version} is {DefinitionState(version.state).value}; "
                "credentials are issued only from published versions"
            )
        return version

    def _refuse_duplicate_file(
        self, issuer_id: uuid.UUID, version: DefinitionVersion, digest: str
    ) -> None:
        offset = 0
        with self._uow(read_only=True) as tx:
            while True:
                jobs = tx.imports.list_jobs(issuer_id, limit=1000, offset=offset)
                for job in jobs:
                    if (
                        job.file_sha256 == digest
                        and job.definition_version_id == version.id
                        and job.state is not ImportJobState.CANCELLED
                        and job.total_rows  # a job that never loaded cannot run
                    ):
                        raise Conflict(
                            f"this file was already imported for version {version.version} as "
                            f"job {job.id} ({job.state.value}); import it again only on purpose "
                            "(allow_duplicate_file)",
                            job_id=str(job.id),
                        )
                if len(jobs) < 1000:
                    return
                offset += len(jobs)


@dataclass(frozen=True)
class _RowContext:
    """Turns a stored row into an issue request (the same request every time: idempotent)."""

    job_id: uuid.UUID
    definition_id: uuid.UUID
    version: int
    mapping: ColumnMapping
    date_order: DateOrder
    result_description: str | None
    version_id: uuid.UUID | None = None

    def request_for(
        self, row_number: int, raw: Mapping[str, Any], today: date
    ) -> tuple[IssueRequest | None, str]:
        cells = {str(k): str(v) for k, v in raw.items() if v is not None}
        record, problems = validate_record(
            row_number, cells, self.mapping, today=today, date_order=self.date_order
        )
        if record is None:
            return None, "; ".join(p.describe() for p in problems) or "invalid row"
        try:
            return self._request(record, row_number), ""
        except InvalidInput as exc:
            return None, _reason(exc)

    def _request(self, record: ImportRecord, row_number: int) -> IssueRequest:
        learner: dict[str, Any] = {"name": record.name}
        for key in ("email", "did", "external_id"):
            value = getattr(record, key)
            if value is not None:
                learner[key] = value  # fields left out keep an existing learner's value
        request: dict[str, Any] = {
            "definition_id": self.definition_id,
            "version": self.version,
            "learner": LearnerInput(**learner),
            "idempotency_key": import_idempotency_key(self.job_id, row_number),
        }
        if record.result is not None:
            result: dict[str, Any] = {"value": record.result}
            if self.result_description is not None:
                result["result_description"] = self.result_description
            request["result"] = [Result(**result)]
        if record.evidence:
            request["evidence"] = [Evidence(id=url) for url in record.evidence]
        if record.valid_until is not None:
            request["valid_until"] = datetime.combine(
                record.valid_until, time(23, 59, 59), tzinfo=UTC
            )
        return IssueRequest(**request)


# --------------------------------------------------------------------------- functions


def _job_info(job: ImportJob, version: DefinitionVersion) -> JobInfo:
    options = _Options.from_json(job.options)
    return JobInfo(
        id=job.id,
        issuer_id=job.issuer_id,
        definition_id=version.definition_id,
        definition_version_id=job.definition_version_id,
        version=version.version,
        file_name=job.file_name,
        file_sha256=job.file_sha256,
        state=ImportJobState(job.state),
        total_rows=job.total_rows,
        pending_rows=job.pending_rows,
        issued_rows=job.issued_rows,
        failed_rows=job.failed_rows,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        mapping=dict(job.column_mapping),
        headers=options.headers,
        loaded=job.total_rows > 0,
    )


def _with_counts(info: JobInfo, total: int, pending: int, issued: int, failed: int) -> JobInfo:
    return replace(
        info, total_rows=total, pending_rows=pending, issued_rows=issued, failed_rows=failed
    )


def _reason(exc: MicrocredError) -> str:
    return exc.detail[:2000]


def _single_result_description(achievement: Mapping[str, Any]) -> str | None:
    """The id of the achievement's only ``resultDescription`` (a grade refers to it)."""
    descriptions = achievement.get("resultDescription")
    if isinstance(descriptions, list) and len(descriptions) == 1:
        only = descriptions[0]
        if isinstance(only, Mapping) and isinstance(only.get("id"), str):
            return str(only["id"])
    return None


def _field_notes(mapping: ColumnMapping) -> tuple[str, ...]:
    if mapping.header_for(ImportField.ISSUE_DATE) is not None:
        return (
            "the issue-date column is checked, but credentials carry the moment they are "
            "issued as their start of validity",
        )
    return ()


def _display_name(filename: str) -> str:
    name = Path(str(filename).replace("\\", "/")).name.strip() or "import"
    cleaned = "".join(ch for ch in name if ch.isprintable())
    return cleaned[:255] or "import"


def _sha256(source: Source, limits: ImportLimits) -> str:
    """SHA-256 of the file's bytes (a file object is rewound to where it was)."""
    digest = hashlib.sha256()
    if isinstance(source, bytes | bytearray):
        digest.update(source)
        return digest.hexdigest()
    if isinstance(source, str | os.PathLike):
        try:
            with Path(source).open("rb") as handle:
                _feed(digest, handle, limits)
        except OSError as exc:
            raise InvalidInput(f"cannot read the file: {exc.strerror or exc}") from None
        return digest.hexdigest()
    stream: IO[bytes] = source
    try:
        start = stream.tell()
    except (OSError, ValueError, AttributeError):
        raise InvalidInput("the upload must be a seekable file") from None
    _feed(digest, stream, limits)
    stream.seek(start)
    return digest.hexdigest()


def _feed(digest: Any, stream: IO[bytes] | io.BufferedReader, limits: ImportLimits) -> None:
    read = 0
    while chunk := stream.read(1 << 16):
        read += len(chunk)
        if read > limits.max_file_bytes:
            raise InvalidInput(
                f"the file is larger than {limits.max_file_bytes // (1024 * 1024)} MB; "
                "split it into several imports"
            )
        digest.update(chunk)
