"""EndorsementService and ClrService on SQLite and PostgreSQL.

Partners with a key held by the platform sign endorsements; partners that sign elsewhere
upload theirs (kept only when they verify, are theirs and are about what they are filed
under); issued credentials carry the active endorsements of their definition version
(``Achievement.endorsement``) and of their issuer (``Profile.endorsement``), each verified by
the platform's verifier; CLR records of a learner's credentials are signed by the issuer and
verify with every embedded credential; tenancy and permissions hold.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from issuance_testkit import (  # noqa: F401 - kit_fixture provides the fixture 'kit'
    Kit,
    kit_factory_fixture,
    kit_fixture,
)

from microcred.definition.endorsement import compose_endorsement
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import Profile
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.services.clr import ClrExportRequest
from microcred.services.endorsements import EndorsementUpload, EndorseRequest, PartnerInput
from microcred.services.sharing import WalletIdentity
from microcred.verification import codes
from microcred.wiring import build_loader, build_registry

OUTSIDE_KEY = Ed25519KeyPair.from_seed(bytes(range(7, 39)))
OUTSIDE_DID = did_key_from_public(OUTSIDE_KEY.public_bytes)


def held_partner(kit: Kit, name: str = "Acme Robotics"):  # type: ignore[no-untyped-def]
    return kit.platform.endorsements.add_partner(
        kit.admin,
        kit.issuer.id,
        PartnerInput.from_json({"name": name, "holdKey": True, "homepage": "https://acme.example"}),
    )


def endorse(kit: Kit, partner, definition=None, comment: str = "Fits our apprentices."):  # type: ignore[no-untyped-def]
    body = {"partnerId": str(partner.id), "comment": comment}
    if definition is None:
        body["target"] = "issuer"
    else:
        body |= {"target": "definition", "definitionId": str(definition.id)}
    return kit.platform.endorsements.endorse(
        kit.admin, kit.issuer.id, EndorseRequest.from_json(body)
    )


def outside_endorsement(subject: str, *, issuer: str = OUTSIDE_DID, when=None) -> dict:  # type: ignore[no-untyped-def]
    unsigned = compose_endorsement(
        subject,
        Profile.from_json({"id": issuer, "type": ["Profile"], "name": "Guild of Makers"}),
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        valid_from=when or datetime(2026, 1, 1, tzinfo=UTC),
        comment="Recognised by the Guild.",
    )
    registry = build_registry(build_loader(None))
    options = ProofOptions(
        cryptosuite="eddsa-rdfc-2022",
        verification_method=did_key_verification_method(OUTSIDE_KEY.public_bytes),
        created=when or datetime(2026, 1, 1, tzinfo=UTC),
    )
    return add_proof(
        unsigned,
        registry.get("eddsa-rdfc-2022"),
        options,
        OUTSIDE_KEY.signer(did_key_verification_method(OUTSIDE_KEY.public_bytes)),
    )


def test_a_held_key_partner_endorses_a_definition_and_the_issuer(kit: Kit) -> None:
    definition = kit.published()
    partner = held_partner(kit)
    assert partner.did.startswith("did:key:z6Mk") and partner.holds_key
    on_definition = endorse(kit, partner, definition)
    on_issuer = endorse(kit, partner, comment="A reliable training partner.")
    version = kit.definitions.get_version(kit.admin, kit.issuer.id, definition.id)
    assert on_definition.subject_id == version.achievement_id
    assert on_issuer.subject_id == kit.issuer.did
    document = on_definition.document
    assert document["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert document["issuer"]["id"] == partner.did
    assert document["credentialSubject"]["endorsementComment"] == "Fits our apprentices."
    assert kit.verify(document).verified
    listed = kit.platform.endorsements.list_endorsements(kit.viewer, kit.issuer.id)
    assert {e.id for e in listed} == {on_definition.id, on_issuer.id}
    assert {e.partner_name for e in listed} == {"Acme Robotics"}


def test_issued_credentials_carry_and_verify_the_endorsements(kit: Kit) -> None:
    definition = kit.published()
    partner = held_partner(kit)
    endorse(kit, partner, definition)
    endorse(kit, partner, comment="A reliable training partner.")
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    document = issued.document
    achievement = document["credentialSubject"]["achievement"]
    assert len(achievement["endorsement"]) == 1
    assert len(document["issuer"]["endorsement"]) == 1
    report = kit.verify(document)
    assert report.verified, [c.to_json() for c in report.failures]
    results = [c for c in report.checks if c.code == codes.ENDORSEMENT]
    assert [r.outcome.value for r in results] == ["passed", "passed"]
    assert {r.details["where"] for r in results} == {"issuer", "credentialSubject.achievement"}


def test_a_changed_endorsement_comment_is_reported_on_the_endorsement_check(kit: Kit) -> None:
    definition = kit.published()
    endorse(kit, held_partner(kit), definition)
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    tampered = copy.deepcopy(issued.document)
    tampered["credentialSubject"]["achievement"]["endorsement"][0]["credentialSubject"][
        "endorsementComment"
    ] = "The best course in Europe."
    report = kit.verify(tampered)
    failed = {c.code: c for c in report.failures}
    assert codes.ENDORSEMENT in failed
    assert failed[codes.ENDORSEMENT].details["failed"] == ["proof.signature_invalid"]
    assert "proof.signature_invalid" in failed  # the badge's own signature covers it too


def test_withdrawn_endorsements_stay_out_of_new_credentials(kit: Kit) -> None:
    definition = kit.published()
    info = endorse(kit, held_partner(kit), definition)
    kit.platform.endorsements.withdraw(kit.admin, kit.issuer.id, info.id)
    with pytest.raises(Conflict):
        kit.platform.endorsements.withdraw(kit.admin, kit.issuer.id, info.id)
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    assert "endorsement" not in issued.document["credentialSubject"]["achievement"]


def test_an_uploaded_endorsement_is_kept_only_when_it_verifies_and_fits(kit: Kit) -> None:
    definition = kit.published()
    service = kit.platform.endorsements
    partner = service.add_partner(
        kit.admin, kit.issuer.id, PartnerInput.from_json({"name": "Guild", "did": OUTSIDE_DID})
    )
    assert not partner.holds_key
    version = kit.definitions.get_version(kit.admin, kit.issuer.id, definition.id)

    def upload(document: dict) -> object:
        body = {
            "partnerId": str(partner.id),
            "target": "definition",
            "definitionId": str(definition.id),
            "credential": document,
        }
        return service.upload(kit.admin, kit.issuer.id, EndorsementUpload.from_json(body))

    good = outside_endorsement(version.achievement_id)
    tampered = copy.deepcopy(good)
    tampered["credentialSubject"]["endorsementComment"] = "Changed."
    with pytest.raises(InvalidInput, match="does not verify"):
        upload(tampered)
    with pytest.raises(InvalidInput, match="is about"):
        upload(outside_endorsement("https://elsewhere.example/achievements/1"))
    stranger = Ed25519KeyPair.from_seed(bytes(range(9, 41)))
    with pytest.raises(InvalidInput, match="issued by"):
        upload(
            outside_endorsement(
                version.achievement_id, issuer=did_key_from_public(stranger.public_bytes)
            )
        )
    stored = upload(good)
    assert stored.source == "uploaded" and stored.document == good
    with pytest.raises(Conflict):
        upload(good)
    with pytest.raises(InvalidInput, match="holds no key"):
        endorse(kit, partner, definition)
    issued = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    report = kit.verify(issued.document)
    assert report.verified
    assert [c.outcome.value for c in report.checks if c.code == codes.ENDORSEMENT] == ["passed"]


def test_partner_input_is_validated_and_dids_are_unique(kit: Kit) -> None:
    service = kit.platform.endorsements
    for body in (
        {"name": "X"},
        {"name": "X", "did": OUTSIDE_DID, "holdKey": True},
    ):
        with pytest.raises(InvalidInput):
            service.add_partner(kit.admin, kit.issuer.id, PartnerInput.from_json(body))
    for body in (
        {"name": "X", "did": "did:example:123"},
        {"name": "X", "did": "did:key:zNotAKey"},
        {"name": "", "holdKey": True},
        {"name": "X", "holdKey": True, "homepage": "javascript:alert(1)"},
        {"name": "X", "holdKey": "yes"},
    ):
        with pytest.raises(InvalidInput):
            PartnerInput.from_json(body)
    service.add_partner(
        kit.admin, kit.issuer.id, PartnerInput.from_json({"name": "G", "did": OUTSIDE_DID})
    )
    with pytest.raises(Conflict):
        service.add_partner(
            kit.admin, kit.issuer.id, PartnerInput.from_json({"name": "G2", "did": OUTSIDE_DID})
        )


def test_tenancy_and_permissions(kit: Kit) -> None:
    partner = held_partner(kit)
    service = kit.platform.endorsements
    with pytest.raises(PermissionDenied):
        service.add_partner(
            kit.designer, kit.issuer.id, PartnerInput.from_json({"name": "Y", "holdKey": True})
        )
    with pytest.raises(NotFound):
        service.list_partners(kit.other_admin, kit.issuer.id)
    with pytest.raises(NotFound):  # beta's admin cannot use alpha's partner
        service.endorse(
            kit.other_admin,
            kit.other_issuer.id,
            EndorseRequest.from_json(
                {"partnerId": str(partner.id), "target": "issuer", "comment": "x"}
            ),
        )
    assert service.list_partners(kit.other_admin, kit.other_issuer.id) == []


def test_a_clr_record_bundles_a_learners_credentials_and_verifies(kit: Kit) -> None:
    first = kit.published()
    second = kit.published("second-course")
    endorse(kit, held_partner(kit), first)
    a = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(first))
    b = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(second))
    assert a.learner_id == b.learner_id and a.learner_id is not None
    request = ClrExportRequest.from_json(
        {"learnerId": str(a.learner_id), "credentialIds": [str(a.id), str(b.id), str(a.id)]}
    )
    record = kit.platform.clr.export(kit.registrar, kit.issuer.id, request)
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert record["issuer"]["id"] == kit.issuer.did
    subject = record["credentialSubject"]
    assert subject["verifiableCredential"] == [a.document, b.document]
    assert len(subject["achievement"]) == 2
    report = kit.verify(record)
    assert report.verified, [c.to_json() for c in report.failures]
    assert [c.outcome.value for c in report.checks if c.code == codes.CLR_CREDENTIAL] == [
        "passed",
        "passed",
    ]
    # the endorsement inside the first credential is verified inside the record too
    assert [c.code for c in report.credentials[0].checks].count(codes.ENDORSEMENT) == 1

    wallet = WalletIdentity(
        learner_id=a.learner_id,
        issuer_id=kit.issuer.id,
        learner_name="Ana López",
        issuer_name="Alpha University",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    own = kit.platform.clr.export_for_wallet(wallet, [b.id], name="My transcript")
    assert own["name"] == "My transcript" and kit.verify(own).verified


def test_clr_export_refuses_other_learners_revoked_credentials_and_strangers(kit: Kit) -> None:
    definition = kit.published()
    a = kit.issuance.issue(kit.registrar, kit.issuer.id, kit.request(definition))
    other = kit.issuance.issue(
        kit.registrar,
        kit.issuer.id,
        kit.request(definition, learner={"name": "Bo", "email": "bo@x.org", "externalId": "s-2"}),
    )
    service = kit.platform.clr

    def request(*ids: uuid.UUID) -> ClrExportRequest:
        return ClrExportRequest.from_json(
            {"learnerId": str(a.learner_id), "credentialIds": [str(i) for i in ids]}
        )

    with pytest.raises(NotFound):
        service.export(kit.registrar, kit.issuer.id, request(other.id))
    with pytest.raises(NotFound):
        service.export(kit.other_admin, kit.issuer.id, request(a.id))
    with pytest.raises(PermissionDenied):
        service.export(kit.viewer, kit.issuer.id, request(a.id))
    with pytest.raises(InvalidInput):
        ClrExportRequest.from_json({"learnerId": str(a.learner_id), "credentialIds": []})
    kit.platform.status.revoke(kit.registrar, kit.issuer.id, a.id, "issued in error")
    with pytest.raises(Conflict, match="revoked"):
        service.export(kit.registrar, kit.issuer.id, request(a.id))
