"""Admin API: bulk imports (CSV/XLSX) — preview, dry run, jobs, progress, error report.

Uploads are ``multipart/form-data`` with the file in ``file`` and the import options as a JSON
text in ``options`` (``ImportRequest``: ``definitionId``, ``version``, ``mapping`` as
``{field: header}``, ``sheet``, ``encoding``, ``delimiter``, ``dateOrder``,
``allowDuplicateFile``). Uploads may be larger than other requests (64 MiB by default); the
file is spooled to disk by the server and streamed into the import, never held in memory.

``POST …/imports/{job}/run`` answers ``202`` at once and issues the job's rows in the
background of this server process; poll ``GET …/imports/{job}`` for progress. Jobs are
resumable and idempotent: running one again (after a crash, or from ``microcred import``)
issues only the rows still pending, never one twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import Out
from microcred.errors import Conflict, InvalidInput, MicrocredError
from microcred.services.access import Principal
from microcred.services.imports import (
    DryRunReport,
    ImportPreview,
    ImportRequest,
    ImportService,
    JobInfo,
)
from microcred.services.platform import Platform

__all__ = ["router"]

log = logging.getLogger("microcred.api.imports")

router = APIRouter(
    prefix="/api/v1/issuers/{issuer_id}/imports", tags=["Imports"], route_class=ProblemRoute
)

Upload = Annotated[UploadFile, File(description="The CSV or XLSX file")]
Options = Annotated[
    str,
    Form(
        max_length=100_000,
        description='ImportRequest as JSON text, e.g. {"definitionId": "…"}',
    ),
]
_UPLOAD = problem_responses(400, 401, 403, 404, 409, 413, 422)
_READ = problem_responses(401, 403, 404, 422)


# --------------------------------------------------------------------------- outputs


class RowProblemOut(Out):
    row: int
    column: str | None
    reason: str


class PreviewOut(Out):
    format: str
    sheet: str | None
    delimiter: str | None
    encoding: str | None
    headers: list[str]
    sample: list[dict[str, str]]
    suggested_mapping: dict[str, str]
    missing: list[str]
    notes: list[str]


class DryRunOut(Out):
    definition_id: uuid.UUID
    version: int
    rows_total: int
    rows_ok: int
    rows_failed: int
    errors: list[RowProblemOut]
    errors_truncated: bool
    mapping: dict[str, str]
    headers: list[str]
    format: str
    sheet: str | None
    delimiter: str | None
    encoding: str | None
    notes: list[str]


class JobOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    definition_id: uuid.UUID
    definition_version_id: uuid.UUID
    version: int
    file_name: str
    file_sha256: str | None
    state: str
    total_rows: int
    pending_rows: int
    issued_rows: int
    failed_rows: int
    done_rows: int
    progress: float
    error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    mapping: dict[str, str]
    loaded: bool


def _preview_out(preview: ImportPreview) -> PreviewOut:
    return PreviewOut(
        format=preview.format,
        sheet=preview.sheet,
        delimiter=preview.delimiter,
        encoding=preview.encoding,
        headers=list(preview.headers),
        sample=[dict(row) for row in preview.sample],
        suggested_mapping=dict(preview.suggested_mapping),
        missing=list(preview.missing),
        notes=list(preview.notes),
    )


def _dry_run_out(report: DryRunReport) -> DryRunOut:
    return DryRunOut(
        definition_id=report.definition_id,
        version=report.version,
        rows_total=report.rows_total,
        rows_ok=report.rows_ok,
        rows_failed=report.rows_failed,
        errors=[RowProblemOut(row=e.row, column=e.column, reason=e.reason) for e in report.errors],
        errors_truncated=report.errors_truncated,
        mapping=dict(report.mapping),
        headers=list(report.headers),
        format=report.format,
        sheet=report.sheet,
        delimiter=report.delimiter,
        encoding=report.encoding,
        notes=list(report.notes),
    )


def _job_out(job: JobInfo) -> JobOut:
    return JobOut(
        id=job.id,
        issuer_id=job.issuer_id,
        definition_id=job.definition_id,
        definition_version_id=job.definition_version_id,
        version=job.version,
        file_name=job.file_name,
        file_sha256=job.file_sha256,
        state=job.state.value,
        total_rows=job.total_rows,
        pending_rows=job.pending_rows,
        issued_rows=job.issued_rows,
        failed_rows=job.failed_rows,
        done_rows=job.done_rows,
        progress=job.progress,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        mapping=dict(job.mapping),
        loaded=job.loaded,
    )


# --------------------------------------------------------------------------- helpers


def import_service(platform: Platform) -> ImportService:
    """The platform's import service (built once per platform when it has none)."""
    found = getattr(platform, "imports", None)
    if isinstance(found, ImportService):
        return found
    cached = _SERVICES.get(id(platform))
    if cached is None or cached[0] is not platform:
        cached = (platform, ImportService.for_issuance(platform.uow, platform.issuance))
        _SERVICES[id(platform)] = cached
    return cached[1]


_SERVICES: dict[int, tuple[Platform, ImportService]] = {}


def _options(text: str) -> ImportRequest:
    return ImportRequest.from_json(text)


def _filename(upload: UploadFile) -> str:
    name = (upload.filename or "").strip()
    if not name:
        raise InvalidInput("the uploaded file has no name (its extension says CSV or XLSX)")
    return name


def _run_in_background(
    service: ImportService, principal: Principal, issuer_id: uuid.UUID, job_id: uuid.UUID
) -> None:
    try:
        service.run_job(principal, issuer_id, job_id, worker_id="api")
    except MicrocredError as exc:  # the job records its failure; it can be run again
        log.warning("import job %s stopped: %s", job_id, exc.detail)


# --------------------------------------------------------------------------- routes


@router.post(
    "/preview",
    operation_id="previewImport",
    summary="Headers, a sample and the suggested column mapping of a file",
    response_model=PreviewOut,
    responses=_UPLOAD,
)
def preview(
    issuer_id: uuid.UUID,
    file: Upload,
    principal: PrincipalDep,
    platform: PlatformDep,
    sheet: Annotated[str | None, Form(max_length=200)] = None,
) -> PreviewOut:
    service = import_service(platform)
    result = service.preview(principal, issuer_id, file.file, _filename(file), sheet=sheet)
    return _preview_out(result)


@router.post(
    "/dry-run",
    operation_id="dryRunImport",
    summary="Check every row without issuing: the good rows count, each bad row's reason",
    response_model=DryRunOut,
    responses=_UPLOAD,
)
def dry_run(
    issuer_id: uuid.UUID,
    file: Upload,
    options: Options,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> DryRunOut:
    service = import_service(platform)
    report = service.dry_run(principal, issuer_id, file.file, _filename(file), _options(options))
    return _dry_run_out(report)


@router.post(
    "",
    operation_id="createImportJob",
    status_code=201,
    summary="Store the file's rows as a job (run it with …/run)",
    response_model=JobOut,
    responses=_UPLOAD,
)
def create_job(
    issuer_id: uuid.UUID,
    file: Upload,
    options: Options,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> JobOut:
    service = import_service(platform)
    job = service.create_job(principal, issuer_id, file.file, _filename(file), _options(options))
    return _job_out(job)


@router.get(
    "",
    operation_id="listImportJobs",
    summary="The issuer's import jobs, newest first",
    response_model=list[JobOut],
    responses=_READ,
)
def list_jobs(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[JobOut]:
    jobs = import_service(platform).list_jobs(principal, issuer_id, limit=limit, offset=offset)
    return [_job_out(job) for job in jobs]


@router.get(
    "/{job_id}",
    operation_id="getImportJob",
    summary="A job and its progress",
    response_model=JobOut,
    responses=_READ,
)
def job_status(
    issuer_id: uuid.UUID, job_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> JobOut:
    return _job_out(import_service(platform).job_status(principal, issuer_id, job_id))


@router.post(
    "/{job_id}/run",
    operation_id="runImportJob",
    status_code=202,
    summary="Issue the job's pending rows in the background; poll the job for progress",
    response_model=JobOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def run_job(
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    background: BackgroundTasks,
) -> JobOut:
    service = import_service(platform)
    job = service.job_status(principal, issuer_id, job_id)
    if job.state.value in ("completed", "cancelled"):
        raise Conflict(f"this import job is {job.state.value}; there is nothing to run")
    background.add_task(_run_in_background, service, principal, issuer_id, job_id)
    return _job_out(job)


@router.post(
    "/{job_id}/cancel",
    operation_id="cancelImportJob",
    summary="Stop a job: rows not yet issued stay unissued",
    response_model=JobOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def cancel_job(
    issuer_id: uuid.UUID, job_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> JobOut:
    return _job_out(import_service(platform).cancel_job(principal, issuer_id, job_id))


@router.get(
    "/{job_id}/errors",
    operation_id="importJobErrors",
    summary="The rows that failed and why (page with afterRow)",
    response_model=list[RowProblemOut],
    responses=_READ,
)
def job_errors(
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    after_row: Annotated[int, Query(alias="afterRow", ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RowProblemOut]:
    problems = import_service(platform).job_errors(
        principal, issuer_id, job_id, after_row=after_row, limit=limit
    )
    return [RowProblemOut(row=p.row, column=p.column, reason=p.reason) for p in problems]


@router.get(
    "/{job_id}/errors.csv",
    operation_id="importJobErrorReport",
    summary="The failed rows as CSV, to fix and import again (formula cells neutralised)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_READ,
    },
)
def error_report(
    issuer_id: uuid.UUID,
    job_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> StreamingResponse:
    chunks: Iterator[str] = import_service(platform).error_report_csv(principal, issuer_id, job_id)
    first = next(chunks, "")  # errors (NotFound, PermissionDenied) surface before streaming

    def body() -> Iterator[bytes]:
        yield first.encode("utf-8")
        for chunk in chunks:
            yield chunk.encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )
