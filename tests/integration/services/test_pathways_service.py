"""Pathways and recognition end to end on the real platform (SQLite and PostgreSQL).

Two micro-credentials of alpha and one recognised external credential (issued by beta, which
verifies) complete a pathway: the award is issued automatically, verifies and lists its parts;
refused or unverifiable external credentials do not count; repeated evaluation never awards
twice; approval-gated pathways wait for a registrar; other issuers see nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from issuance_testkit import kit_factory_fixture, kit_fixture  # noqa: F401
from pathways_testkit import PathwayWorld, build_pathway_world

from microcred.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from microcred.services.pathways import PART_GENRE, PathwayUpdate
from microcred.services.recognition import DecisionInput
from microcred.storage.pathway_tables import AwardState


@pytest.fixture(name="pw")
def pathway_world(kit) -> PathwayWorld:  # noqa: F811
    return build_pathway_world(kit)


def _recognise(pw: PathwayWorld, learner, document, **decision):
    kit = pw.kit
    imported = kit.platform.recognition.import_credential(
        kit.registrar, kit.issuer.id, learner, json.dumps(document), "text"
    )
    data = {"outcome": "recognised", "ects": "5", "reason": "Equivalent content, verified."}
    data.update(decision)
    return imported, kit.platform.recognition.decide(
        kit.registrar, kit.issuer.id, imported.id, DecisionInput.from_json(data)
    )


def test_two_credentials_and_a_recognised_one_complete_the_pathway(pw: PathwayWorld) -> None:
    kit = pw.kit
    pathway = pw.pathway(rule=pw.rule(minEcts="15", minEqfLevel=6))
    learner = pw.learner()
    first = pw.issue(pw.python, learner)
    pw.issue(pw.sql, learner)
    [progress] = kit.platform.pathways.progress(kit.viewer, kit.issuer.id, learner)
    assert not progress.progress.met and progress.award is None
    assert progress.progress.parts_satisfied == 2
    assert progress.progress.ects_total == Decimal(10)
    assert progress.progress.parts[0].item is not None
    assert progress.progress.parts[0].item.ref == first.credential_uri

    imported, decision = _recognise(pw, learner, pw.external_statistics())
    assert imported.verified and imported.report["verified"] is True
    [award] = decision.awards
    assert award.state is AwardState.ISSUED and award.credential_id is not None
    assert [part["key"] for part in award.parts] == ["python", "sql", "stats"]
    issued = kit.issuance.get_credential(kit.viewer, kit.issuer.id, award.credential_id)
    assert issued.definition_id == pw.target.id and issued.learner_id == learner
    assert kit.verify(issued.document).verified
    evidence = issued.document["evidence"]
    assert {entry["genre"] for entry in evidence} == {PART_GENRE}
    assert evidence[0]["id"] == first.credential_uri
    assert evidence[2]["id"] == f"urn:uuid:{imported.id}"
    assert "5 ECTS" in evidence[2]["narrative"]

    # evaluating again (explicitly, after another issuance) never awards twice
    assert kit.platform.pathways.evaluate_learner(kit.registrar, kit.issuer.id, learner) == []
    pw.issue(pw.python, learner)
    awards = kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id, learner_id=learner)
    assert [a.id for a in awards] == [award.id]
    [progress] = kit.platform.pathways.progress(kit.viewer, kit.issuer.id, learner)
    assert progress.progress.met and progress.award is not None
    assert progress.pathway.id == pathway.id


def test_refused_and_unverifiable_external_credentials_do_not_count(pw: PathwayWorld) -> None:
    kit = pw.kit
    pw.pathway()
    learner = pw.learner()
    pw.issue(pw.python, learner)
    pw.issue(pw.sql, learner)
    # tampered: the signature no longer matches
    tampered = pw.external_statistics("b-2")
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Statistics"
    imported = kit.platform.recognition.import_credential(
        kit.registrar, kit.issuer.id, learner, json.dumps(tampered).encode(), "file"
    )
    assert not imported.verified
    with pytest.raises(InvalidInput, match="did not verify"):
        kit.platform.recognition.decide(
            kit.registrar,
            kit.issuer.id,
            imported.id,
            DecisionInput.from_json({"outcome": "recognised", "ects": "5", "reason": "x"}),
        )
    assert kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id) == []
    # a genuine one, refused
    _, refused = _recognise(
        pw, learner, pw.external_statistics("b-3"), outcome="refused", ects=None
    )
    assert refused.outcome.value == "refused" and refused.awards == ()
    [progress] = kit.platform.pathways.progress(kit.viewer, kit.issuer.id, learner)
    assert not progress.progress.met
    assert [p.key for p in progress.progress.parts if not p.satisfied] == ["stats"]
    assert kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id) == []
    # the decision is final and audited
    with pytest.raises(Conflict):
        kit.platform.recognition.decide(
            kit.registrar,
            kit.issuer.id,
            refused.external_credential_id,
            DecisionInput.from_json({"outcome": "refused", "reason": "again"}),
        )
    actions = [e.action for e in kit.issuers.audit_log(kit.admin, kit.issuer.id, limit=50)]
    assert "recognition.decide" in actions and "recognition.import" in actions


def test_undecided_verified_external_counts_and_import_is_idempotent(pw: PathwayWorld) -> None:
    kit = pw.kit
    pw.pathway(rule=pw.rule(acceptUnrecognised=True))
    learner = pw.learner()
    pw.issue(pw.python, learner)
    document = pw.external_statistics()
    first = kit.platform.recognition.import_credential(
        kit.registrar, kit.issuer.id, learner, json.dumps(document), "text"
    )
    again = kit.platform.recognition.import_credential(
        kit.registrar, kit.issuer.id, learner, json.dumps(document), "text"
    )
    assert first.created and not again.created and again.id == first.id
    assert kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id) == []
    pw.issue(pw.sql, learner)  # the issuance hook evaluates: complete now
    [award] = kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id)
    assert award.state is AwardState.ISSUED
    assert award.parts[2]["kind"] == "external"


def test_approval_gated_pathway_waits_for_a_registrar(pw: PathwayWorld) -> None:
    kit = pw.kit
    rule = {
        "parts": [
            {"key": "python", "label": "Python", "definitionId": str(pw.python.id)},
            {"key": "sql", "label": "SQL", "definitionId": str(pw.sql.id)},
        ],
        "minParts": 1,
    }
    pw.pathway(rule=rule, requiresApproval=True)
    learner = pw.learner()
    pw.issue(pw.python, learner)
    [award] = kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id, state="pending")
    assert award.credential_id is None
    with pytest.raises(PermissionDenied):
        kit.platform.pathways.approve_award(kit.viewer, kit.issuer.id, award.id)
    approved = kit.platform.pathways.approve_award(kit.registrar, kit.issuer.id, award.id)
    assert approved.state is AwardState.ISSUED and approved.credential_id is not None
    with pytest.raises(Conflict):
        kit.platform.pathways.reject_award(kit.registrar, kit.issuer.id, award.id, "late")
    pw.issue(pw.sql, learner)
    assert len(kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id)) == 1


def test_rejected_award_is_not_awarded_again(pw: PathwayWorld) -> None:
    kit = pw.kit
    rule = {"parts": [{"key": "python", "label": "Python", "definitionId": str(pw.python.id)}]}
    pw.pathway(rule=rule, requiresApproval=True)
    learner = pw.learner()
    pw.issue(pw.python, learner)
    [award] = kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id)
    rejected = kit.platform.pathways.reject_award(
        kit.registrar, kit.issuer.id, award.id, "Not enrolled in the programme."
    )
    assert rejected.state is AwardState.REJECTED
    pw.issue(pw.python, learner)
    assert kit.platform.pathways.evaluate_learner(kit.registrar, kit.issuer.id, learner) == []


def test_pathway_editing_rules_and_isolation(pw: PathwayWorld) -> None:
    kit = pw.kit
    pathway = pw.pathway()
    with pytest.raises(Conflict):
        pw.pathway()
    with pytest.raises(InvalidInput, match="target"):
        pw.pathway(
            "loop",
            rule={"parts": [{"key": "t", "label": "T", "definitionId": str(pw.target.id)}]},
        )
    with pytest.raises(NotFound):  # beta's definition is not alpha's
        pw.pathway("foreign", targetDefinitionId=str(pw.statistics.id))
    with pytest.raises(PermissionDenied):
        kit.platform.pathways.update(
            kit.registrar, kit.issuer.id, pathway.id, PathwayUpdate(name="x")
        )
    updated = kit.platform.pathways.update(
        kit.designer,
        kit.issuer.id,
        pathway.id,
        PathwayUpdate.from_json({"name": "Data analyst (2027)", "active": False}),
    )
    assert updated.name == "Data analyst (2027)" and not updated.active
    assert kit.platform.pathways.progress(kit.viewer, kit.issuer.id, pw.learner()) == []
    with pytest.raises(NotFound):
        kit.platform.pathways.get(kit.other_admin, kit.issuer.id, pathway.id)
    with pytest.raises(NotFound):
        kit.platform.pathways.get(kit.other_admin, kit.other_issuer.id, pathway.id)
    with pytest.raises(PermissionDenied):
        kit.platform.recognition.import_credential(
            kit.viewer, kit.issuer.id, pw.learner(), "{}", "text"
        )


def test_recognition_credential_is_issued_on_request(pw: PathwayWorld) -> None:
    kit = pw.kit
    learner = pw.learner()
    _, decision = _recognise(
        pw,
        learner,
        pw.external_statistics(),
        programme="MSc Data Science",
        issueDefinitionId=str(pw.recognition.id),
    )
    assert decision.credential_id is not None
    issued = kit.issuance.get_credential(kit.viewer, kit.issuer.id, decision.credential_id)
    assert kit.verify(issued.document).verified
    [evidence] = issued.document["evidence"]
    assert "MSc Data Science" in evidence["narrative"]


def test_import_refuses_what_is_not_an_external_credential(pw: PathwayWorld) -> None:
    kit = pw.kit
    learner = pw.learner()
    own = pw.issue(pw.python, learner)
    recognition = kit.platform.recognition
    with pytest.raises(InvalidInput, match="this issuer"):
        recognition.import_credential(
            kit.registrar, kit.issuer.id, learner, json.dumps(dict(own.document)), "text"
        )
    with pytest.raises(InvalidInput):
        recognition.import_credential(kit.registrar, kit.issuer.id, learner, "not json", "text")
    with pytest.raises(InvalidInput):
        recognition.import_credential(kit.registrar, kit.issuer.id, learner, b"\x00\x01", "file")
    with pytest.raises(InvalidInput, match="network"):
        recognition.import_credential(
            kit.registrar, kit.issuer.id, learner, "https://other.example/c.json", "url"
        )
