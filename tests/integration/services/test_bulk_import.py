"""Bulk issuance: a job shared by worker processes (PostgreSQL) or a signing pool (SQLite).

Every good row is issued exactly once, status indexes are never handed out twice, a sample of
the credentials verifies with the platform verifier, and everything is anchored in one batch.
The bulk path's fallback (a chunk the bulk step refuses goes row by row) and the switch to the
single path are checked too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from imports_testkit import cohort_csv, import_request, rows_of
from issuance_testkit import Kit, kit_factory_fixture, kit_fixture
from sqlalchemy import func, select

from microcred.errors import ConfigError, InvalidInput
from microcred.services.bulk_runner import run_job_parallel
from microcred.services.imports import ImportService, import_path
from microcred.storage import (
    AuditEntry,
    Credential,
    ImportJobState,
    ImportRowState,
    OutboxMessage,
    StatusEntry,
)
from microcred.storage.ledger_tables import AnchorBatchItem

pytestmark = pytest.mark.slow

kit_factory = kit_factory_fixture
kit = kit_fixture

ROWS = 1200
BAD_EVERY = 100


def _all_rows(kit: Kit, job_id: Any) -> list[Any]:
    found: list[Any] = []
    after = 0
    while True:
        with kit.uow(read_only=True) as tx:
            page = tx.imports.list_rows(kit.issuer.id, job_id, after_row=after, limit=1000)
        if not page:
            return found
        found.extend(page)
        after = page[-1].row_number


def test_parallel_job_issues_every_row_exactly_once(kit: Kit) -> None:
    # worker processes read the system clock: the test's clock follows it
    kit.clock.instant = datetime.now(UTC)
    definition = kit.published()
    platform = kit.platform
    assert platform.imports.bulk is not None  # the bulk path is the default
    job = platform.imports.create_job(
        kit.registrar,
        kit.issuer.id,
        cohort_csv(ROWS, bad_every=BAD_EVERY),
        "cohort.csv",
        import_request(definition),
    )
    good = ROWS - ROWS // BAD_EVERY
    calls: list[tuple[int, int, int]] = []
    outcome = run_job_parallel(
        platform,
        kit.registrar,
        kit.issuer.id,
        job.id,
        workers=2,
        chunk=150,
        on_progress=lambda done, total, failed: calls.append((done, total, failed)),
    )
    expected_mode = "processes" if platform.database.backend == "postgresql" else "signing-pool"
    assert outcome.mode == expected_mode
    assert outcome.job.state is ImportJobState.COMPLETED
    assert (outcome.job.issued_rows, outcome.job.failed_rows) == (good, ROWS - good)
    assert calls and calls[-1] == (ROWS, ROWS, ROWS - good)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)

    rows = _all_rows(kit, job.id)
    issued = [row for row in rows if row.state is ImportRowState.ISSUED]
    assert len(issued) == good
    assert len({row.credential_id for row in issued}) == good
    with kit.uow(read_only=True) as tx:
        session = tx.session
        credentials = session.execute(
            select(Credential.id, Credential.idempotency_key).where(
                Credential.issuer_id == kit.issuer.id
            )
        ).all()
        entries = session.execute(
            select(StatusEntry.status_list_id, StatusEntry.status_index, StatusEntry.credential_id)
        ).all()
        batches = session.execute(
            select(AnchorBatchItem.batch_id, func.count()).group_by(AnchorBatchItem.batch_id)
        ).all()
    # one credential per issued row, under the row's idempotency key; none without a row
    assert {c.id for c in credentials} == {row.credential_id for row in issued}
    assert {c.idempotency_key for c in credentials} == {
        f"import:{job.id}:{row.row_number}" for row in issued
    }
    # two status entries (revocation, suspension) per credential; no index given twice
    assert len(entries) == 2 * good
    assert len({(e.status_list_id, e.status_index) for e in entries}) == 2 * good
    # everything anchored, in exactly one batch
    assert outcome.anchoring is not None and outcome.anchoring.ok
    assert batches and len(batches) == 1 and batches[0][1] == good

    # a sample verifies with the platform verifier (proof, status, anchor)
    kit.clock.instant = datetime.now(UTC)
    sample = random.Random(7).sample(issued, 5)
    for row in sample:
        document = platform.issuance.get_credential(
            kit.registrar, kit.issuer.id, row.credential_id
        ).document
        report = platform.engine.verifier.verify_credential(document)
        failed = [
            (c.code, getattr(c, "message", ""), getattr(c, "problem", ""))
            for c in report.checks
            if c.outcome.value == "failed"
        ]
        assert report.verified, failed

    # claim e-mails went to the outbox, one per credential
    with kit.uow(read_only=True) as tx:
        mails = tx.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert mails == good


def test_refused_rows_fall_back_row_by_row(kit_factory: Callable[..., Kit]) -> None:
    """A chunk whose bulk step is refused as a whole is issued row by row: the good rows are
    issued and only the refused row fails, with its own reason."""
    kit = kit_factory()
    definition = kit.published()
    platform = kit.platform
    imports = platform.imports
    assert imports.bulk is not None
    job = imports.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(30), "cohort.csv", import_request(definition)
    )
    original = imports.bulk.issue_chunk
    refused: list[int] = []

    def refusing(tx: Any, principal: Any, issuer_id: Any, version: Any, rows: Any, **kw: Any):
        refused.append(len(rows))
        raise InvalidInput("refused as a whole")

    imports.bulk.issue_chunk = refusing  # type: ignore[method-assign]
    try:
        done = imports.run_job(kit.registrar, kit.issuer.id, job.id, batch_size=10)
    finally:
        imports.bulk.issue_chunk = original  # type: ignore[method-assign]
    assert refused == [10, 10, 10]
    assert (done.state, done.issued_rows, done.failed_rows) == (ImportJobState.COMPLETED, 30, 0)
    assert all(row.state is ImportRowState.ISSUED for row in rows_of(kit, job.id))


def test_single_path_switch(
    kit_factory: Callable[..., Kit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_IMPORT_PATH", "single")
    assert import_path() == "single"
    kit = kit_factory()
    service = ImportService.for_issuance(kit.uow, kit.issuance)
    assert service.bulk is None
    monkeypatch.setenv("MICROCRED_IMPORT_PATH", "fast-please")
    with pytest.raises(ConfigError, match="MICROCRED_IMPORT_PATH"):
        import_path()


def test_bulk_and_single_paths_store_the_same_things(kit_factory: Callable[..., Kit]) -> None:
    """Same cohort through both paths: same learners, mails, audit actions, credential shape."""
    kit = kit_factory()
    definition = kit.published()
    counts = {}
    for path, first in (("single", 1), ("bulk", 101)):
        service = ImportService.for_issuance(kit.uow, kit.issuance, path=path)
        job = service.create_job(
            kit.registrar,
            kit.issuer.id,
            cohort_csv(20, first=first),
            f"{path}.csv",
            import_request(definition),
        )
        done = service.run_job(kit.registrar, kit.issuer.id, job.id)
        assert done.issued_rows == 20
        rows = rows_of(kit, job.id)
        with kit.uow(read_only=True) as tx:
            documents = [
                tx.credentials.get(kit.issuer.id, row.credential_id).document for row in rows
            ]
            audit = tx.session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "credential.issue")
            ).scalar_one()
        counts[path] = audit
        for document in documents:
            assert len(document["credentialStatus"]) == 2
            assert kit.platform.engine.verifier.verify_credential(document).verified
    assert counts["single"] == 20 and counts["bulk"] == 40  # one audit entry per credential
