"""Helpers write anchor proofs of published batches beside the run (ADR 0013).

``AnchoringService.apply_published`` claims chunks of unapplied leaves with ``FOR UPDATE SKIP
LOCKED`` (PostgreSQL), so the import workers of ``run_job_parallel`` can share the proofs of a
batch that the coordinating process sealed and published. What must hold, whoever applies:
every credential gets exactly one anchor proof (no leaf twice, none lost), a proof is written
only when the leaf recomputed from the stored document matches, a helper that dies leaves its
chunk to the run, and only the run completes a batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from imports_testkit import cohort_csv, import_request, rows_of
from issuance_testkit import Kit, kit_factory_fixture
from sqlalchemy import select, update

from microcred.anchoring.proof import anchor_proofs
from microcred.errors import Conflict
from microcred.services.anchoring import AnchoringRun, AnchoringService
from microcred.services.imports import ImportService
from microcred.storage import Credential
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem, AnchorBatchState
from microcred.storage.repositories.anchoring import AnchorBatchRepository

kit_factory = kit_factory_fixture

COUNT = 24
CHUNK = 3


def _issued_kit(kit_factory: Callable[..., Kit]) -> tuple[Kit, list[Any]]:
    kit = kit_factory(settings={"database_pool_size": 6, "database_max_overflow": 2})
    definition = kit.published()
    service = ImportService.for_issuance(kit.uow, kit.issuance)
    job = service.create_job(
        kit.registrar, kit.issuer.id, cohort_csv(COUNT), "cohort.csv", import_request(definition)
    )
    assert service.run_job(kit.registrar, kit.issuer.id, job.id).issued_rows == COUNT
    return kit, [row.credential_id for row in rows_of(kit, job.id)]


def _service(kit: Kit) -> AnchoringService:
    service = kit.platform.anchor_setup.runner.primary
    service._chunk = CHUNK  # several chunks per batch
    return service


def _sealed_and_published(kit: Kit, service: AnchoringService) -> Any:
    """A batch of every credential, sealed and published but no proof written yet."""
    run = AnchoringRun()
    batch_id = service._seal_if_due(kit.issuer.id, kit.clock.now(), True, run)
    assert batch_id is not None
    assert service._ensure_published(kit.issuer.id, batch_id, run) is not None
    return batch_id


def _state(kit: Kit) -> tuple[dict[Any, dict[str, Any]], list[AnchorBatchItem], list[AnchorBatch]]:
    with kit.uow(read_only=True) as tx:
        documents = dict(tx.session.execute(select(Credential.id, Credential.document)).all())
        items = list(tx.session.scalars(select(AnchorBatchItem)))
        batches = list(tx.session.scalars(select(AnchorBatch)))
    return documents, items, batches


def test_helpers_and_the_run_write_each_proof_once(
    kit_factory: Callable[..., Kit], backend: str
) -> None:
    kit, credentials = _issued_kit(kit_factory)
    service = _service(kit)
    batch_id = _sealed_and_published(kit, service)

    helped: list[AnchoringRun] = []
    errors: list[BaseException] = []

    def helper() -> None:
        try:
            helped.append(service.apply_published(kit.issuer.id))
        except BaseException as exc:  # reported below
            errors.append(exc)

    if backend == "postgresql":  # three processes' worth of transactions at once
        threads = [threading.Thread(target=helper) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:  # one writer at a time
        helper()
        helper()
    assert not errors, errors
    # helpers never complete a batch: the run does (after confirming the ledger entry)
    assert [b.state for b in _state(kit)[2]] == [AnchorBatchState.PUBLISHED]
    run = kit.platform.anchor_setup.runner.run(issuer_id=kit.issuer.id, wait=30.0)
    assert run.ok and run.completed == 1

    documents, items, batches = _state(kit)
    assert sum(h.proofs_written for h in helped) + run.proofs_written == COUNT
    assert all(h.problems == 0 for h in helped) and run.problems == 0
    assert [(b.id, b.state) for b in batches] == [(batch_id, AnchorBatchState.COMPLETED)]
    assert sorted(map(str, (i.credential_id for i in items))) == sorted(map(str, credentials))
    assert all(i.applied_at is not None and i.problem is None for i in items)
    assert all(len(anchor_proofs(documents[c])) == 1 for c in credentials)
    verified = [kit.verify(documents[c]).verified for c in credentials[:: COUNT // 4]]
    assert all(verified), verified


def test_a_changed_document_gets_a_problem_not_a_proof(
    kit_factory: Callable[..., Kit],
) -> None:
    kit, credentials = _issued_kit(kit_factory)
    service = _service(kit)
    _sealed_and_published(kit, service)
    changed = credentials[5]
    documents, _, _ = _state(kit)
    tampered = dict(documents[changed])
    tampered["name"] = "Another achievement"
    with kit.uow() as tx:
        tx.session.execute(
            update(Credential).where(Credential.id == changed).values(document=tampered)
        )
        tx.commit()

    helped = service.apply_published(kit.issuer.id)
    assert helped.proofs_written == COUNT - 1 and helped.problems == 1
    documents, items, _ = _state(kit)
    assert documents[changed] == tampered  # nothing written to it
    problem = {i.credential_id: i.problem for i in items}[changed]
    assert problem is not None and "no longer matches its leaf" in problem
    run = kit.platform.anchor_setup.runner.run(issuer_id=kit.issuer.id, wait=30.0)
    assert run.completed == 1 and run.proofs_written == 0
    assert all(len(anchor_proofs(documents[c])) == 1 for c in credentials if c != changed)


@pytest.mark.postgres
def test_the_run_waits_for_a_helper_and_takes_over_its_chunk(
    kit_factory: Callable[..., Kit], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks between processes: PostgreSQL")
    kit, credentials = _issued_kit(kit_factory)
    service = _service(kit)
    batch_id = _sealed_and_published(kit, service)

    # a helper claims a chunk and is stuck (then dies: its transaction is rolled back)
    stuck = kit.uow()
    tx = stuck.__enter__()
    held = AnchorBatchRepository(tx.session, kit.clock).unapplied_leaves(
        batch_id, limit=CHUNK, skip_locked=True
    )
    assert len(held) == CHUNK
    outcome: list[AnchoringRun] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            kit.platform.anchor_setup.runner.run(issuer_id=kit.issuer.id, wait=30.0)
        )
    )
    runner.start()
    try:
        # the run writes every other proof, then waits for the held leaves
        while True:
            _, items, _ = _state(kit)
            if sum(i.applied_at is not None for i in items) == COUNT - CHUNK:
                break
            assert runner.is_alive(), outcome
            threading.Event().wait(0.05)
        assert runner.is_alive()
        assert not outcome
    finally:
        stuck.__exit__(None, None, None)  # rolled back: nothing of the helper's chunk stays
    runner.join(timeout=60)
    assert not runner.is_alive()
    (run,) = outcome
    assert run.ok and run.completed == 1 and run.proofs_written == COUNT
    documents, items, batches = _state(kit)
    assert [b.state for b in batches] == [AnchorBatchState.COMPLETED]
    assert all(i.applied_at is not None for i in items)
    assert all(len(anchor_proofs(documents[c])) == 1 for c in credentials)


def test_a_leaf_already_in_a_batch_refuses_the_whole_second_batch(
    kit_factory: Callable[..., Kit],
) -> None:
    kit, credentials = _issued_kit(kit_factory)
    service = _service(kit)
    first = _sealed_and_published(kit, service)
    _, items, _ = _state(kit)
    digests = {i.credential_id: bytes(i.digest) for i in items}
    # another worker sealing an overlapping set (one new leaf would be fine, one is taken)
    leaves = [(credentials[0], digests[credentials[0]])]
    with kit.uow() as tx:
        repo = AnchorBatchRepository(tx.session, kit.clock)
        batch = AnchorBatch(
            issuer_id=kit.issuer.id,
            size=1,
            root=bytes(32),
            ledger_id=service.ledger.ledger_id,
            sealed_at=kit.clock.now(),
        )
        with pytest.raises(Conflict):
            repo.add_batch_leaves(batch, leaves)
        tx.commit()
    _, items, batches = _state(kit)
    assert [b.id for b in batches] == [first]  # the savepoint took the batch row back too
    assert len(items) == COUNT and {i.batch_id for i in items} == {first}
    assert sorted(i.leaf_index for i in items) == list(range(COUNT))
