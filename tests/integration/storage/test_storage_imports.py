"""Bulk import jobs: loading rows, claiming, crash and resume without loss or duplicates."""

from __future__ import annotations

import uuid

import pytest
from storage_helpers import Factory, make_issuer

from microcred.errors import Conflict
from microcred.storage import (
    Credential,
    ImportJob,
    ImportJobState,
    ImportRowState,
    Issuer,
    Learner,
    RowInput,
    UnitOfWorkFactory,
    import_idempotency_key,
)

R = ImportRowState


class Crash(Exception):
    """Stands in for a process dying mid-batch."""


def _job(uow: UnitOfWorkFactory, issuer: Issuer, factory: Factory, rows: int) -> ImportJob:
    version = factory.published_version(issuer)
    with uow() as tx:
        job = tx.imports.add_job(
            ImportJob(
                issuer_id=issuer.id,
                definition_version_id=version.id,
                file_name="cohort.csv",
                column_mapping={"name": "Name", "external_id": "Student ID"},
                file_sha256="0" * 64,
            )
        )
        tx.imports.add_rows(
            issuer.id,
            job.id,
            (
                RowInput(n, {"Name": f"Learner {n}", "Student ID": f"s-{n}"})
                if n % 5
                else RowInput(n, {"Name": "", "Student ID": f"s-{n}"}, error="name is empty")
                for n in range(1, rows + 1)
            ),
            batch_size=4,
        )
        tx.commit()
    return job


def _work(
    uow: UnitOfWorkFactory, job: ImportJob, *, batch: int = 3, crash_after: int | None = None
) -> int:
    """A worker: claim a batch, issue each row in the same transaction, commit; repeat."""
    issued = 0
    while True:
        with uow() as tx:
            rows = tx.imports.claim_pending_rows(job.issuer_id, job.id, limit=batch)
            if not rows:
                return issued
            for row in rows:
                if crash_after is not None and issued == crash_after:
                    raise Crash
                learner, _ = tx.learners.find_or_add(
                    Learner(
                        issuer_id=job.issuer_id,
                        name=row.raw["Name"],
                        external_id=row.raw["Student ID"],
                    )
                )
                uri = f"urn:uuid:{uuid.uuid4()}"
                credential = tx.credentials.add(
                    Credential(
                        issuer_id=job.issuer_id,
                        definition_version_id=job.definition_version_id,
                        learner_id=learner.id,
                        credential_uri=uri,
                        document={"id": uri},
                        idempotency_key=import_idempotency_key(job.id, row.row_number),
                    )
                )
                tx.imports.mark_row_issued(job.issuer_id, job.id, row.row_number, credential.id)
                issued += 1
            tx.commit()


def test_rows_load_with_dry_run_failures(uow: UnitOfWorkFactory, issuer: Issuer, factory) -> None:
    job = _job(uow, issuer, factory, rows=10)
    with uow() as tx:
        progress = tx.imports.progress(issuer.id, job.id)
        assert (progress.total, progress.pending, progress.failed) == (10, 8, 2)
        failed = tx.imports.list_rows(issuer.id, job.id, state=R.FAILED)
        assert [(r.row_number, r.error) for r in failed] == [
            (5, "name is empty"),
            (10, "name is empty"),
        ]
        assert tx.imports.last_loaded_row(issuer.id, job.id) == 10
        assert [r.row_number for r in tx.imports.list_rows(issuer.id, job.id, after_row=8)] == [
            9,
            10,
        ]


def test_loading_a_row_twice_is_a_conflict_and_stores_nothing_of_the_batch(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    job = _job(uow, issuer, factory, rows=3)
    with uow() as tx:
        with pytest.raises(Conflict, match="row of the import file was already loaded"):
            tx.imports.add_rows(issuer.id, job.id, [RowInput(4, {}), RowInput(3, {})])
        # a restarted loader continues after the last stored row
        start = tx.imports.last_loaded_row(issuer.id, job.id) + 1
        tx.imports.add_rows(issuer.id, job.id, [RowInput(start, {"Name": "x", "Student ID": "s"})])
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.imports.progress(issuer.id, job.id).total == 4


def test_crash_mid_batch_then_resume_loses_and_duplicates_nothing(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    job = _job(uow, issuer, factory, rows=20)
    with uow() as tx:
        tx.imports.start(issuer.id, job.id)
        tx.commit()

    with pytest.raises(Crash):
        _work(uow, job, batch=3, crash_after=7)  # two batches committed, the third dies

    with uow() as tx:
        progress = tx.imports.progress(issuer.id, job.id)
        assert (progress.issued, progress.pending) == (6, 10)
        assert len(tx.credentials.list_for_issuer(issuer.id)) == 6  # the torn batch left nothing

    # resume (the job is still "running"; starting again is allowed)
    with uow() as tx:
        tx.imports.start(issuer.id, job.id)
        tx.commit()
    assert _work(uow, job) == 10

    with uow() as tx:
        job_row = tx.imports.complete(issuer.id, job.id)
        tx.commit()
    assert (job_row.state, job_row.total_rows, job_row.issued_rows, job_row.failed_rows) == (
        ImportJobState.COMPLETED,
        20,
        16,
        4,
    )
    with uow(read_only=True) as tx:
        credentials = tx.credentials.list_for_issuer(issuer.id, limit=100)
        rows = tx.imports.list_rows(issuer.id, job.id, state=R.ISSUED)
    assert len(credentials) == 16
    assert len({c.idempotency_key for c in credentials}) == 16
    assert {r.credential_id for r in rows} == {c.id for c in credentials}
    assert len({c.learner_id for c in credentials}) == 16


def test_a_processed_row_cannot_be_issued_again(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    job = _job(uow, issuer, factory, rows=2)
    _work(uow, job)
    with uow() as tx:
        with pytest.raises(Conflict, match="already processed"):
            tx.imports.mark_row_issued(issuer.id, job.id, 1, uuid.uuid4())
        with pytest.raises(Conflict, match="already processed"):
            tx.imports.mark_row_failed(issuer.id, job.id, 1, "late failure")


def test_job_states(uow: UnitOfWorkFactory, issuer: Issuer, factory, clock) -> None:
    job = _job(uow, issuer, factory, rows=2)
    with uow() as tx:
        with pytest.raises(Conflict, match="not running"):
            tx.imports.complete(issuer.id, job.id)
        started = tx.imports.start(issuer.id, job.id)
        with pytest.raises(Conflict, match="still pending"):
            tx.imports.complete(issuer.id, job.id)
        failed = tx.imports.fail(issuer.id, job.id, "the signing key is unavailable")
        assert (failed.state, failed.error) == (
            ImportJobState.FAILED,
            "the signing key is unavailable",
        )
        restarted = tx.imports.start(issuer.id, job.id)
        assert restarted.error is None and restarted.started_at == started.started_at
        cancelled = tx.imports.cancel(issuer.id, job.id)
        with pytest.raises(Conflict, match="cannot run again"):
            tx.imports.start(issuer.id, job.id)
        tx.commit()
    assert cancelled.finished_at == clock.now()
    with uow(read_only=True) as tx:
        assert [j.id for j in tx.imports.list_jobs(issuer.id)] == [job.id]


def test_a_row_failing_during_issuance_is_recorded(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    job = _job(uow, issuer, factory, rows=1)
    with uow() as tx:
        (row,) = tx.imports.claim_pending_rows(issuer.id, job.id)
        tx.imports.mark_row_failed(issuer.id, job.id, row.row_number, "learner DID is malformed")
        tx.commit()
    with uow() as tx:
        job_row = tx.imports.refresh_counts(issuer.id, job.id)
        assert (job_row.failed_rows, job_row.pending_rows) == (1, 0)


@pytest.mark.postgres
def test_concurrent_workers_claim_disjoint_rows(postgres_uow: UnitOfWorkFactory) -> None:
    issuer = make_issuer(postgres_uow, "gamma")
    job = _job(postgres_uow, issuer, Factory(postgres_uow), rows=12)
    with postgres_uow() as first, postgres_uow() as second:
        a = [r.row_number for r in first.imports.claim_pending_rows(issuer.id, job.id, limit=5)]
        b = [r.row_number for r in second.imports.claim_pending_rows(issuer.id, job.id, limit=5)]
    assert a == [1, 2, 3, 4, 6]
    assert b == [7, 8, 9, 11, 12]
