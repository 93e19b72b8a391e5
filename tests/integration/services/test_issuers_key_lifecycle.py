"""Key rotation versus key compromise, end to end, on SQLite and PostgreSQL.

An ordinary rotation ends a key with ``expires`` (credentials it signed before keep verifying,
anchored or not, with no compromise warning); :meth:`IssuerService.mark_key_compromised` adds
``revoked`` = the compromise time, and then only credentials anchored before that time are
trusted (``anchor.key``). Verified with the platform's engine plus the real ``AnchorCheck`` over
the embedded ledger, the way the anchoring service tests do.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from identity_testkit import World
from storage_helpers import StepClock

from microcred.anchoring.backends.embedded import EmbeddedLedger
from microcred.anchoring.batch import BatchPolicy
from microcred.anchoring.proof import anchor_proofs
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.web import format_datetime
from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.issuance.pipeline import IssuancePipeline
from microcred.services.access import Role
from microcred.services.anchoring import AnchoringService, build_embedded_ledger
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo
from microcred.storage import Credential
from microcred.verification.checks.anchor import AnchorCheck
from microcred.verification.report import VerificationReport
from microcred.verification.verifier import Verifier

LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
POLICY = BatchPolicy(max_size=100, max_age=timedelta(days=1))


class Kit:
    """The platform of ``world`` with an embedded ledger, an anchoring service and a verifier
    that runs the real anchor family."""

    def __init__(self, world: World, clock: StepClock) -> None:
        self.world = world
        self.platform = world.platform
        self.clock = clock
        self.issuer: IssuerInfo = world.issuer_a
        self.admin = world.members[Role.ADMIN]
        engine = self.platform.engine
        self.pipeline = IssuancePipeline(engine.registry, engine.loader, engine.verifier)
        self.ledger: EmbeddedLedger = build_embedded_ledger(
            self.platform.uow, self.platform.key_store, clock
        )
        self.anchoring = AnchoringService(
            self.platform.uow, self.ledger, clock, policy=POLICY, checkpoint=self.ledger.checkpoint
        )
        check = AnchorCheck([self.ledger], vm_resolver=engine.vm_resolver, registry=engine.registry)
        self.verifier = Verifier(engine.registry, engine.loader, engine.vm_resolver, clock, [check])
        self._count = 0

    def issue(self, *, store: bool = True) -> dict[str, Any]:
        """Sign a credential with the issuer's active key; ``store`` it so anchoring sees it."""
        self._count += 1
        with self.platform.issuers.signer_for_issuer(self.issuer.id) as signer:
            credential = self.pipeline.compose_and_issue(
                sample_achievement(awarding_body=self.issuer.did),
                LEARNER,
                sample_issuer(self.issuer.did),
                credential_id=f"urn:uuid:{uuid.UUID(int=self._count)}",
                valid_from=self.clock.now(),
                signer=signer,
                suite_name="eddsa-jcs-2022",
                now=self.clock.now(),
            )
        if store:
            with self.platform.uow() as tx:
                tx.credentials.add(
                    Credential(
                        issuer_id=self.issuer.id,
                        definition_version_id=None,
                        learner_id=None,
                        credential_uri=credential["id"],
                        document=credential,
                    )
                )
                tx.commit()
        return credential

    def anchor_now(self) -> None:
        run = self.anchoring.run_anchoring(issuer_id=self.issuer.id, force=True)
        assert run.ok and run.published == 1, run

    def stored(self, credential: dict[str, Any]) -> dict[str, Any]:
        """The credential as stored now (with its anchor proof once anchored)."""
        with self.platform.uow(read_only=True) as tx:
            row = tx.credentials.find_by_uri(self.issuer.id, credential["id"])
            assert row is not None
            return dict(row.document)

    def verify(self, credential: dict[str, Any]) -> VerificationReport:
        return self.verifier.verify_credential(credential)

    def method(self, fragment: str) -> dict[str, Any]:
        document = self.platform.issuers.did_document(self.issuer.did.rsplit(":", 1)[1])
        return next(m for m in document["verificationMethod"] if m["id"].endswith("#" + fragment))


@pytest.fixture
def kit(world: World, clock: StepClock) -> Kit:
    return Kit(world, clock)


def outcomes(report: VerificationReport) -> dict[str, str]:
    return {check.code: check.outcome.value for check in report.checks}


def stamp(moment: datetime) -> str:
    return format_datetime(moment)


# --------------------------------------------------------------------------- rotation


def test_rotation_gives_the_old_key_an_expiry_not_a_revocation(kit: Kit) -> None:
    kit.clock.advance(days=30)
    rotated_at = kit.clock.now()
    kit.platform.issuers.rotate_key(kit.admin, kit.issuer.id)
    old = kit.method("key-1")
    assert old["expires"] == stamp(rotated_at)
    assert "revoked" not in old
    assert "expires" not in kit.method("key-2") and "revoked" not in kit.method("key-2")
    document = kit.platform.issuers.did_document("alpha")
    assert document["assertionMethod"] == [kit.issuer.did + "#key-2", kit.issuer.did + "#key-1"]
    assert document["authentication"] == [kit.issuer.did + "#key-2"]
    keys = kit.platform.issuers.list_keys(kit.admin, kit.issuer.id)
    assert [(k.status, k.rotated_at, k.compromised_at) for k in keys] == [
        ("rotated", rotated_at, None),
        ("active", None, None),
    ]


def test_credentials_signed_before_a_rotation_verify_without_any_compromise_rule(
    kit: Kit,
) -> None:
    anchored = kit.issue()
    kit.clock.advance(minutes=5)
    kit.anchor_now()
    unanchored = kit.issue()
    kit.clock.advance(days=1)
    kit.platform.issuers.rotate_key(kit.admin, kit.issuer.id)
    kit.clock.advance(days=1)
    after = kit.issue(store=False)
    assert after["proof"]["verificationMethod"] == kit.issuer.did + "#key-2"

    for credential in (kit.stored(anchored), kit.stored(unanchored), after):
        report = kit.verify(credential)
        assert report.verified, report.to_json()
        assert report.failures == [] and report.warnings == [], report.to_json()
        assert "anchor.key" not in outcomes(report)  # the compromise rule never ran
    assert outcomes(kit.verify(kit.stored(anchored)))["anchor.inclusion"] == "passed"
    assert outcomes(kit.verify(kit.stored(unanchored)))["anchor"] == "skipped"
    # the platform's own verifier (issuance self-check, public verify page) agrees
    for credential in (kit.stored(anchored), kit.stored(unanchored)):
        report = kit.platform.engine.verifier.verify_credential(credential)
        assert report.verified and report.warnings == [], report.to_json()


def test_a_proof_made_with_the_old_key_after_the_rotation_fails_clearly(kit: Kit) -> None:
    before = kit.issue(store=False)
    kit.clock.advance(days=1)
    rotated_at = kit.clock.now()
    kit.platform.issuers.rotate_key(kit.admin, kit.issuer.id)
    kit.clock.advance(hours=2)
    old_id = f"issuer-{kit.issuer.id}-1"
    with kit.platform.key_store.signer_for(old_id, kit.issuer.did + "#key-1") as old_signer:
        late = kit.pipeline.sign(
            {k: v for k, v in before.items() if k != "proof"},
            old_signer,
            "eddsa-jcs-2022",
            now=kit.clock.now(),
        )
    report = kit.verify(late)
    assert report.verified is False
    [failure] = report.failures
    assert failure.code == "proof.key_expired_before_signing"
    assert f"expired on {stamp(rotated_at)}" in failure.message
    assert f"made on {stamp(kit.clock.now())}" in failure.message
    assert "anchor.key" not in outcomes(report)


# --------------------------------------------------------------------------- compromise


def test_compromise_trusts_only_what_was_anchored_before_it(kit: Kit, clock: StepClock) -> None:
    issuers = kit.platform.issuers
    first_key = kit.issuer.active_key
    assert first_key is not None
    early = kit.issue()  # anchored before the compromise
    clock.advance(minutes=5)
    kit.anchor_now()
    clock.advance(hours=1)
    never = kit.issue(store=False)  # never anchored
    late = kit.issue()  # anchored, but only after the compromise
    clock.advance(hours=1)
    compromised_at = clock.now()
    clock.advance(hours=1)
    kit.anchor_now()
    clock.advance(hours=1)
    marked_at = clock.now()

    info = issuers.mark_key_compromised(
        kit.admin, kit.issuer.id, first_key.id, compromised_at, "  laptop with the key stolen "
    )
    assert (info.id, info.status) == (first_key.id, "rotated")
    assert (info.rotated_at, info.compromised_at) == (marked_at, compromised_at)
    # the key was still active: it was rotated out first, so the issuer can keep issuing
    keys = issuers.list_keys(kit.admin, kit.issuer.id)
    assert [(k.verification_method.rsplit("#")[1], k.status) for k in keys] == [
        ("key-1", "rotated"),
        ("key-2", "active"),
    ]
    old = kit.method("key-1")
    assert (old["revoked"], old["expires"]) == (stamp(compromised_at), stamp(marked_at))

    report = kit.verify(kit.stored(early))
    assert report.verified, report.to_json()
    [warning] = report.warnings
    assert warning.code == "anchor.key"
    assert "still trusted" in warning.message and "before the key was revoked" in warning.message

    report = kit.verify(never)
    assert report.verified is False
    assert outcomes(report)["anchor.key"] == "failed"
    assert [c.code for c in report.failures] == ["anchor.key"]
    assert "carries no blockchain anchor" in report.failures[0].message

    report = kit.verify(kit.stored(late))
    assert anchor_proofs(kit.stored(late))
    assert report.verified is False
    assert [c.code for c in report.failures] == ["anchor.key"]
    assert "only anchored on" in report.failures[0].message

    # the new key signs normally, without any warning
    fresh = kit.issue(store=False)
    assert fresh["proof"]["verificationMethod"] == kit.issuer.did + "#key-2"
    report = kit.verify(fresh)
    assert report.verified and report.warnings == [], report.to_json()

    compromise, rotation = issuers.audit_log(kit.admin, kit.issuer.id, limit=2)
    assert compromise.action == "issuer.key_compromise"
    assert compromise.target_id == str(first_key.id)
    assert compromise.details == {
        "verification_method": kit.issuer.did + "#key-1",
        "compromised_at": compromised_at.isoformat(),
        "previous_compromised_at": None,
        "reason": "laptop with the key stolen",
        "new_verification_method": kit.issuer.did + "#key-2",
    }
    assert rotation.action == "issuer.key_rotate"
    assert rotation.details == {
        "new_verification_method": kit.issuer.did + "#key-2",
        "old_verification_method": kit.issuer.did + "#key-1",
        "reason": "compromise",
    }


def test_a_key_found_compromised_after_its_rotation_keeps_both_times(
    kit: Kit, clock: StepClock
) -> None:
    issuers = kit.platform.issuers
    anchored = kit.issue()
    clock.advance(minutes=5)
    kit.anchor_now()
    unanchored = kit.issue(store=False)
    clock.advance(days=10)
    rotated_at = clock.now()
    issuers.rotate_key(kit.admin, kit.issuer.id)
    clock.advance(days=10)
    leaked_at = clock.now()  # the old key file leaked after it was retired
    clock.advance(days=1)
    old_key = issuers.list_keys(kit.admin, kit.issuer.id)[0]
    audit_before = issuers.audit_log(kit.admin, kit.issuer.id, limit=1000)

    info = issuers.mark_key_compromised(kit.admin, kit.issuer.id, old_key.id, leaked_at, "leak")
    assert (info.rotated_at, info.compromised_at) == (rotated_at, leaked_at)
    # no second rotation: key-2 stays the active key
    assert [k.status for k in issuers.list_keys(kit.admin, kit.issuer.id)] == [
        "rotated",
        "active",
    ]
    audit_after = issuers.audit_log(kit.admin, kit.issuer.id, limit=1000)
    assert [e.action for e in audit_after[: len(audit_after) - len(audit_before)]] == [
        "issuer.key_compromise"
    ]
    old = kit.method("key-1")
    assert (old["expires"], old["revoked"]) == (stamp(rotated_at), stamp(leaked_at))

    report = kit.verify(kit.stored(anchored))
    assert report.verified and [w.code for w in report.warnings] == ["anchor.key"]
    report = kit.verify(unanchored)
    assert not report.verified and [c.code for c in report.failures] == ["anchor.key"]


def test_the_compromise_time_can_only_move_earlier(kit: Kit, clock: StepClock) -> None:
    issuers = kit.platform.issuers
    key = kit.issuer.active_key
    assert key is not None
    clock.advance(days=3)
    first = clock.now() - timedelta(days=1)
    issuers.mark_key_compromised(kit.admin, kit.issuer.id, key.id, first, "suspicious login")
    entries = issuers.audit_log(kit.admin, kit.issuer.id, limit=1000)

    # the same time again (a retried request) changes nothing and writes nothing
    again = issuers.mark_key_compromised(kit.admin, kit.issuer.id, key.id, first, "retry")
    assert again.compromised_at == first
    assert issuers.audit_log(kit.admin, kit.issuer.id, limit=1000) == entries
    assert len(issuers.list_keys(kit.admin, kit.issuer.id)) == 2  # rotated once only

    with pytest.raises(Conflict, match="can only be moved earlier"):
        issuers.mark_key_compromised(
            kit.admin, kit.issuer.id, key.id, first + timedelta(hours=1), "later"
        )
    earlier = first - timedelta(hours=12)
    moved = issuers.mark_key_compromised(
        kit.admin, kit.issuer.id, key.id, earlier, "the logs go back further"
    )
    assert moved.compromised_at == earlier
    assert kit.method("key-1")["revoked"] == stamp(earlier)
    entry = issuers.audit_log(kit.admin, kit.issuer.id, limit=1)[0]
    assert entry.action == "issuer.key_compromise"
    assert entry.details["previous_compromised_at"] == first.isoformat()
    assert entry.details["new_verification_method"] is None


def test_compromise_time_defaults_to_now(kit: Kit, clock: StepClock) -> None:
    key = kit.issuer.active_key
    assert key is not None
    clock.advance(hours=3)
    info = kit.platform.issuers.mark_key_compromised(kit.admin, kit.issuer.id, key.id, None, "lost")
    assert info.compromised_at == clock.now() == info.rotated_at


def test_compromise_input_is_checked(kit: Kit, world: World, clock: StepClock) -> None:
    issuers = kit.platform.issuers
    key = kit.issuer.active_key
    assert key is not None
    clock.advance(days=1)
    now = clock.now()
    cases: list[tuple[Any, str, type[Exception], str]] = [
        (now + timedelta(seconds=1), "x", InvalidInput, "in the future"),
        (now.replace(tzinfo=None), "x", InvalidInput, "timezone-aware"),
        (key.created_at - timedelta(seconds=1), "x", InvalidInput, "before the key was created"),
        (now, "   ", InvalidInput, "reason is empty"),
        (now, "x" * 1001, InvalidInput, "longer than 1000"),
    ]
    for when, reason, error, message in cases:
        with pytest.raises(error, match=message):
            issuers.mark_key_compromised(kit.admin, kit.issuer.id, key.id, when, reason)
    with pytest.raises(NotFound, match="no signing key"):
        issuers.mark_key_compromised(kit.admin, kit.issuer.id, uuid.uuid4(), now, "x")
    other = world.issuer_b.active_key
    assert other is not None
    with pytest.raises(NotFound, match="no signing key"):  # another issuer's key
        issuers.mark_key_compromised(kit.admin, kit.issuer.id, other.id, now, "x")
    with pytest.raises(PermissionDenied):
        issuers.mark_key_compromised(world.members[Role.REGISTRAR], kit.issuer.id, key.id, now, "x")
    with pytest.raises(NotFound):  # not a member of alpha
        issuers.mark_key_compromised(world.admin_b, kit.issuer.id, key.id, now, "x")
    # nothing happened: one key, still active, no compromise entry
    [only] = issuers.list_keys(kit.admin, kit.issuer.id)
    assert (only.status, only.compromised_at) == ("active", None)
    assert not issuers.audit_log(kit.admin, kit.issuer.id, action="issuer.key_compromise")
    # the operator may act at any issuer (keys:manage is an operator permission)
    info = issuers.mark_key_compromised(world.operator, kit.issuer.id, key.id, now, "audit")
    assert info.compromised_at == now


def test_a_did_key_issuer_cannot_mark_its_key_compromised(kit: Kit, world: World) -> None:
    issuers = kit.platform.issuers
    info = issuers.create_issuer(
        world.operator, IssuerCreate(slug="gamma", name="Gamma Academy", did_method="key")
    )
    assert info.active_key is not None
    with pytest.raises(InvalidInput, match="did:key issuer cannot mark its key compromised"):
        issuers.mark_key_compromised(
            world.operator, info.id, info.active_key.id, kit.clock.now(), "x"
        )


def test_the_active_key_cannot_be_marked_in_the_repository(kit: Kit) -> None:
    key = kit.issuer.active_key
    assert key is not None
    with kit.platform.uow() as tx, pytest.raises(Conflict, match="rotate it first"):
        tx.issuers.mark_key_compromised(kit.issuer.id, key.id, kit.clock.now())
    with kit.platform.uow() as tx, pytest.raises(NotFound):
        tx.issuers.mark_key_compromised(uuid.uuid4(), key.id, kit.clock.now())
