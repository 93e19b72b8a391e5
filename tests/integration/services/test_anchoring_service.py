"""AnchoringService on SQLite and PostgreSQL: batches, the embedded ledger, crashes, resume."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from storage_helpers import StepClock

import microcred.services.anchoring as anchoring_module
from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.anchoring.backends.null import NullAnchor
from microcred.anchoring.batch import BatchPolicy
from microcred.anchoring.ledger import Receipt
from microcred.anchoring.proof import anchor_proofs, signature_proofs
from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import AnchorTemporaryError, NotFound
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.keys.file_store import FileKeyStore
from microcred.model import hash_email
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.services.access import Principal, Role
from microcred.services.anchoring import AnchoringService, build_embedded_ledger
from microcred.storage import Credential, DidMethod, Issuer, UnitOfWorkFactory
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem, LedgerEntryRow
from microcred.verification.checks.anchor import AnchorCheck
from microcred.verification.verifier import Verifier
from microcred.wiring import Engine, build_engine

KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(KEY.public_bytes)
VM = did_key_verification_method(KEY.public_bytes)
POLICY = BatchPolicy(max_size=3, max_age=timedelta(minutes=10))


class Crash(Exception):
    """Stands for the process dying (not an error the service handles)."""


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine(allow_network=False)


@pytest.fixture
def issuer(uow: UnitOfWorkFactory) -> Issuer:
    with uow() as tx:
        issuer = tx.issuers.add(
            Issuer(slug="keyed", name="Keyed University", did_method=DidMethod.KEY, did=ISSUER_DID)
        )
        tx.commit()
    return issuer


@pytest.fixture
def key_store(tmp_path: Path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys", os.urandom(32))


@pytest.fixture
def ledger(uow: UnitOfWorkFactory, key_store: FileKeyStore, clock: StepClock) -> EmbeddedLedger:
    return build_embedded_ledger(uow, key_store, clock)


def service(uow: UnitOfWorkFactory, ledger: Any, clock: StepClock, **kw: Any) -> AnchoringService:
    checkpoint = getattr(ledger, "checkpoint", None)
    return AnchoringService(uow, ledger, clock, policy=POLICY, checkpoint=checkpoint, **kw)


def issue(
    uow: UnitOfWorkFactory, engine: Engine, clock: StepClock, issuer: Issuer, count: int
) -> list[uuid.UUID]:
    ids = []
    for _ in range(count):
        number = uuid.uuid4()
        unsigned = compose_credential(
            sample_achievement(awarding_body=ISSUER_DID),
            hash_email(f"{number}@uni.example", salt="0a1b"),
            sample_issuer(ISSUER_DID),
            credential_id=f"urn:uuid:{number}",
            valid_from=clock.now(),
        )
        options = ProofOptions(
            cryptosuite="eddsa-jcs-2022", verification_method=VM, created=clock.now()
        )
        signed = add_proof(unsigned, engine.registry.get("eddsa-jcs-2022"), options, KEY.signer(VM))
        with uow() as tx:
            row = tx.credentials.add(
                Credential(
                    issuer_id=issuer.id,
                    definition_version_id=None,
                    learner_id=None,
                    credential_uri=signed["id"],
                    document=signed,
                )
            )
            tx.commit()
        ids.append(row.id)
        clock.advance(seconds=1)
    return ids


def documents(uow: UnitOfWorkFactory, issuer: Issuer, ids: list[uuid.UUID]) -> list[dict]:
    with uow(read_only=True) as tx:
        return [tx.credentials.get(issuer.id, i).document for i in ids]


def verifier(engine: Engine, *ledgers: Any) -> Verifier:
    check = AnchorCheck(ledgers, vm_resolver=engine.vm_resolver, registry=engine.registry)
    clock = FixedClock(StepClock().now() + timedelta(days=30))
    return Verifier(engine.registry, engine.loader, engine.vm_resolver, clock, [check])


def count(uow: UnitOfWorkFactory, model: type) -> int:
    with uow(read_only=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


# --------------------------------------------------------------------------- tests


def test_batches_close_by_age_and_by_size(uow, engine, clock, issuer, ledger) -> None:
    anchoring = service(uow, ledger, clock)
    first = issue(uow, engine, clock, issuer, 2)
    run = anchoring.run_anchoring()
    assert (run.sealed, run.published) == (0, 0)  # two credentials, two seconds old: not due

    clock.advance(minutes=11)
    run = anchoring.run_anchoring()
    assert (run.sealed, run.published, run.completed, run.proofs_written) == (1, 1, 1, 2)
    assert run.ok and run.checkpoint is not None and run.checkpoint.size == 1

    more = issue(uow, engine, clock, issuer, 7)
    run = anchoring.run_anchoring()
    assert (run.sealed, run.proofs_written) == (2, 6)  # two full batches; one credential waits
    status = anchoring.anchor_status(
        Principal(user_id=None, label="viewer", roles={issuer.id: Role.VIEWER}), issuer.id
    )
    assert status.pending == 1
    assert status.batches == {"sealed": 0, "published": 0, "completed": 3}
    assert status.ledger_id == ledger.ledger_id
    assert status.recent[0].size == 3 and status.recent[-1].size == 2
    assert status.last_anchored_at is not None

    check = verifier(engine, ledger)
    for document in documents(uow, issuer, first + more[:6]):
        assert len(signature_proofs(document)) == 1 and len(anchor_proofs(document)) == 1
        report = check.verify_credential(document)
        assert report.verified, [c for c in report.checks if c.outcome.value == "failed"]
        codes = {c.code: c.outcome.value for c in report.checks}
        assert codes["anchor.ledger"] == "passed"
        assert codes["proof.verified"] == "passed"
    waiting = documents(uow, issuer, more[6:])[0]
    assert anchor_proofs(waiting) == []

    audit = ledger.verify_ledger()
    assert audit.ok and audit.entries == 3 and audit.checkpoints == 3
    assert ledger.consistency(1, 3).verify()


def test_force_and_one_issuer_only(uow, engine, clock, issuer, ledger) -> None:
    anchoring = service(uow, ledger, clock)
    ids = issue(uow, engine, clock, issuer, 1)
    run = anchoring.run_anchoring(issuer_id=issuer.id, force=True)
    assert run.completed == 1
    viewer = Principal(user_id=None, label="v", roles={issuer.id: Role.VIEWER})
    where = anchoring.credential_anchor(viewer, issuer.id, ids[0])
    assert where.state == "anchored" and where.leaf_index == 0
    with pytest.raises(NotFound):
        anchoring.anchor_status(Principal(user_id=None, label="stranger"), issuer.id)


def test_a_crash_after_publishing_neither_loses_nor_double_publishes(
    uow, engine, clock, issuer, ledger
) -> None:
    class CrashAfterPublish:
        def __init__(self, inner: EmbeddedLedger) -> None:
            self.inner = inner
            self.ledger_id = inner.ledger_id
            self.published = 0

        def lookup(self, root: bytes):
            return self.inner.lookup(root)

        def publish(self, root: bytes, batch_id: str, *, issuer: str) -> Receipt:
            self.inner.publish(root, batch_id, issuer=issuer)
            self.published += 1
            raise Crash("killed after the ledger write, before the receipt was recorded")

    ids = issue(uow, engine, clock, issuer, 3)
    crashing = CrashAfterPublish(ledger)
    with pytest.raises(Crash):
        service(uow, crashing, clock).run_anchoring()
    with uow(read_only=True) as tx:
        (batch,) = tx.session.scalars(select(AnchorBatch)).all()
        assert batch.state == "sealed"  # recorded before publishing
    assert ledger.size() == 1

    run = service(uow, ledger, clock).run_anchoring()
    assert (run.sealed, run.published, run.completed) == (0, 1, 1)
    assert ledger.size() == 1  # found by lookup, not published again
    assert count(uow, AnchorBatch) == 1
    assert all(len(anchor_proofs(d)) == 1 for d in documents(uow, issuer, ids))


def test_a_crash_while_writing_proofs_resumes(
    uow, engine, clock, issuer, ledger, monkeypatch
) -> None:
    ids = issue(uow, engine, clock, issuer, 3)
    real = anchoring_module.anchor_credential
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> dict:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("killed while writing proofs")
        return real(*args, **kwargs)

    monkeypatch.setattr(anchoring_module, "anchor_credential", flaky)
    with pytest.raises(Crash):
        service(uow, ledger, clock, apply_chunk=1).run_anchoring()
    anchored = [len(anchor_proofs(d)) for d in documents(uow, issuer, ids)]
    assert anchored == [1, 0, 0]

    monkeypatch.setattr(anchoring_module, "anchor_credential", real)
    run = service(uow, ledger, clock, apply_chunk=1).run_anchoring()
    assert (run.published, run.completed, run.proofs_written) == (0, 1, 2)
    assert [len(anchor_proofs(d)) for d in documents(uow, issuer, ids)] == [1, 1, 1]
    assert ledger.size() == 1


def test_temporary_ledger_failures_are_retried_next_run(uow, engine, clock, issuer) -> None:
    null = NullAnchor(clock)
    null.fail_next(AnchorTemporaryError("node unreachable"))
    ids = issue(uow, engine, clock, issuer, 3)
    anchoring = service(uow, null, clock)
    run = anchoring.run_anchoring()
    assert not run.ok and "node unreachable" in run.errors[0]
    with uow(read_only=True) as tx:
        (batch,) = tx.session.scalars(select(AnchorBatch)).all()
    assert (batch.state, batch.attempts, batch.last_error) == ("sealed", 1, "node unreachable")

    run = anchoring.run_anchoring()
    assert run.ok and run.completed == 1
    assert len(null) == 1
    assert all(len(anchor_proofs(d)) == 1 for d in documents(uow, issuer, ids))


def test_a_credential_changed_after_batching_is_reported_not_anchored(
    uow, engine, clock, issuer, ledger
) -> None:
    ids = issue(uow, engine, clock, issuer, 3)
    real_publish = ledger.publish

    def publish_after_tamper(root: bytes, batch_id: str, *, issuer: str) -> Receipt:
        with uow() as tx:
            row = tx.credentials.get(issuer_row.id, ids[1])
            tx.credentials.replace_document(issuer_row.id, ids[1], {**row.document, "name": "x"})
            tx.commit()
        return real_publish(root, batch_id, issuer=issuer)

    issuer_row = issuer
    ledger.publish = publish_after_tamper  # type: ignore[method-assign]
    run = service(uow, ledger, clock).run_anchoring()
    assert run.problems == 1 and run.proofs_written == 2
    with uow(read_only=True) as tx:
        item = tx.session.get(AnchorBatchItem, ids[1])
        assert item is not None and "changed after it was batched" in (item.problem or "")


def test_verify_ledger_detects_a_tampered_database_row(uow, engine, clock, issuer, ledger) -> None:
    issue(uow, engine, clock, issuer, 3)
    service(uow, ledger, clock).run_anchoring()
    issue(uow, engine, clock, issuer, 3)
    service(uow, ledger, clock).run_anchoring()
    assert ledger.verify_ledger().ok
    with uow() as tx:
        tx.session.execute(
            update(LedgerEntryRow)
            .where(LedgerEntryRow.position == 0)
            .values(account="did:web:mallory.example")
        )
        tx.commit()
    audit = ledger.verify_ledger()
    assert not audit.ok
    assert any("entry 0 was altered" in p for p in audit.problems)


def test_the_ledger_key_is_created_once(uow, key_store, clock) -> None:
    first = build_embedded_ledger(uow, key_store, clock)
    second = build_embedded_ledger(uow, key_store, clock)
    assert first.ledger_id == second.ledger_id
    assert key_store.list_keys() == ["microcred-ledger"]
