"""The anchoring leaf digest stored at issuing time (``credentials.anchor_digest``, 0014).

The bulk path stores ``credential_digest(document)`` with every credential, so sealing a batch
reads 32 bytes instead of the document; the single path leaves it NULL and sealing computes it
from the document, as before. Both kinds anchor together and verify; a digest that no longer
matches its document is caught when the proof is applied (a problem, never a wrong proof).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from imports_testkit import cohort_csv, import_request, rows_of
from issuance_testkit import Kit, kit_factory_fixture
from sqlalchemy import select, update

from microcred.anchoring.proof import anchor_proofs, credential_digest
from microcred.services.definitions import DefinitionInfo
from microcred.services.imports import ImportService
from microcred.storage import Credential
from microcred.storage.ledger_tables import AnchorBatchItem

kit_factory = kit_factory_fixture


def _issue(kit: Kit, definition: DefinitionInfo, path: str, count: int, first: int) -> list[object]:
    service = ImportService.for_issuance(kit.uow, kit.issuance, path=path)
    job = service.create_job(
        kit.registrar,
        kit.issuer.id,
        cohort_csv(count, first=first),
        f"{path}.csv",
        import_request(definition),
    )
    done = service.run_job(kit.registrar, kit.issuer.id, job.id)
    assert done.issued_rows == count
    return [row.credential_id for row in rows_of(kit, job.id)]


def _stored(kit: Kit) -> dict[object, tuple[dict[str, object], bytes | None]]:
    with kit.uow(read_only=True) as tx:
        rows = tx.session.execute(
            select(Credential.id, Credential.document, Credential.anchor_digest)
        ).all()
    return {
        row.id: (row.document, None if row.anchor_digest is None else bytes(row.anchor_digest))
        for row in rows
    }


@pytest.fixture
def kit_and_definition(kit_factory: Callable[..., Kit]) -> tuple[Kit, DefinitionInfo]:
    made = kit_factory()
    return made, made.published()


def test_bulk_path_stores_the_digest_of_the_stored_document(
    kit_and_definition: tuple[Kit, DefinitionInfo],
) -> None:
    kit, definition = kit_and_definition
    bulk = _issue(kit, definition, "bulk", 12, 1)
    single = _issue(kit, definition, "single", 3, 101)
    stored = _stored(kit)
    for credential_id in bulk:
        document, digest = stored[credential_id]
        assert digest is not None and len(digest) == 32
        assert digest == credential_digest(document)
    assert all(stored[credential_id][1] is None for credential_id in single)


def test_stored_and_computed_digests_anchor_together(
    kit_and_definition: tuple[Kit, DefinitionInfo],
) -> None:
    kit, definition = kit_and_definition
    bulk = _issue(kit, definition, "bulk", 8, 1)
    single = _issue(kit, definition, "single", 3, 101)
    run = kit.platform.anchoring.run_anchoring(issuer_id=kit.issuer.id, force=True)
    assert run.ok and run.sealed == 1 and run.proofs_written == 11 and run.problems == 0
    stored = _stored(kit)
    with kit.uow(read_only=True) as tx:
        leaves = {
            item.credential_id: bytes(item.digest)
            for item in tx.session.scalars(select(AnchorBatchItem))
        }
    assert set(leaves) == set(bulk) | set(single)
    kit.clock.instant = datetime.now(UTC)
    for credential_id in (bulk[0], single[0]):
        document, _ = stored[credential_id]
        # the leaf is the digest of the credential as signed, whichever way it was found
        assert leaves[credential_id] == credential_digest(document)
        assert len(anchor_proofs(document)) == 1
        report = kit.platform.engine.verifier.verify_credential(document)
        assert report.verified, [c.code for c in report.checks if c.outcome.value == "failed"]


def test_a_digest_that_no_longer_matches_is_a_problem_not_a_proof(
    kit_and_definition: tuple[Kit, DefinitionInfo],
) -> None:
    kit, definition = kit_and_definition
    bulk = _issue(kit, definition, "bulk", 4, 1)
    with kit.uow() as tx:
        tx.session.execute(
            update(Credential).where(Credential.id == bulk[0]).values(anchor_digest=b"\x01" * 32)
        )
        tx.commit()
    run = kit.platform.anchoring.run_anchoring(issuer_id=kit.issuer.id, force=True)
    assert run.proofs_written == 3 and run.problems == 1
    stored = _stored(kit)
    assert anchor_proofs(stored[bulk[0]][0]) == []
    assert all(len(anchor_proofs(stored[c][0])) == 1 for c in bulk[1:])
