"""CLR export of a pathway award with its parts: ``association`` entries (SQLite, PostgreSQL).

The award lists its parts as signed evidence; a learner record that holds the award and some
of its parts links their achievements (award ``isParentOf`` part, part ``isPartOf`` award),
verifies with the platform verifier and, when ``../shared/standards`` is present, each
association and the record's subject validate against the CLR 2.0 schema's ``Association``
and ``ClrSubject.association`` definitions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from issuance_testkit import kit_factory_fixture, kit_fixture  # noqa: F401
from pathways_testkit import PathwayWorld, build_pathway_world

from microcred.services.clr import ClrExportRequest
from microcred.storage.pathway_tables import AwardState
from microcred.verification import codes

CLR_SCHEMA = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "standards"
    / "openbadges"
    / "clr-schema"
    / "clr_v2p0_clrcredential_schema_draft4.legacy-vc11.json"
)


@pytest.fixture(name="pw")
def pathway_world(kit) -> PathwayWorld:  # noqa: F811
    return build_pathway_world(kit)


def _award(pw: PathwayWorld) -> tuple[Any, Any, Any]:
    """A learner with python and sql, and the automatic award of a two-part pathway."""
    kit = pw.kit
    rule = {"parts": pw.rule()["parts"][:2]}
    pw.pathway(rule=rule)
    learner = pw.learner()
    python = pw.issue(pw.python, learner)
    sql = pw.issue(pw.sql, learner)
    [award] = kit.platform.pathways.list_awards(kit.viewer, kit.issuer.id, learner_id=learner)
    assert award.state is AwardState.ISSUED and award.credential_id is not None
    return award, python, sql


def _export(pw: PathwayWorld, learner: Any, *ids: Any) -> dict[str, Any]:
    request = ClrExportRequest.from_json(
        {"learnerId": str(learner), "credentialIds": [str(i) for i in ids]}
    )
    return pw.kit.platform.clr.export(pw.kit.registrar, pw.kit.issuer.id, request)


def _schema_errors(record: dict[str, Any], definition: str, value: Any) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(CLR_SCHEMA.read_text(encoding="utf-8"))
    for key in ("properties", "required", "additionalProperties"):
        schema.pop(key, None)
    schema["$ref"] = f"#/$defs/{definition}"
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [error.message for error in validator.iter_errors(value)]


def test_a_record_with_an_award_and_its_parts_links_their_achievements(pw: PathwayWorld) -> None:
    award, python, sql = _award(pw)
    award_ach = pw.achievement_id(pw.target)
    python_ach, sql_ach = pw.achievement_id(pw.python), pw.achievement_id(pw.sql)

    record = _export(pw, award.learner_id, award.credential_id, python.id, sql.id)

    subject = record["credentialSubject"]
    assert subject["association"] == [
        {
            "type": "Association",
            "associationType": "isParentOf",
            "sourceId": award_ach,
            "targetId": python_ach,
        },
        {
            "type": "Association",
            "associationType": "isPartOf",
            "sourceId": python_ach,
            "targetId": award_ach,
        },
        {
            "type": "Association",
            "associationType": "isParentOf",
            "sourceId": award_ach,
            "targetId": sql_ach,
        },
        {
            "type": "Association",
            "associationType": "isPartOf",
            "sourceId": sql_ach,
            "targetId": award_ach,
        },
    ]
    listed = {achievement["id"] for achievement in subject["achievement"]}
    assert {award_ach, python_ach, sql_ach} <= listed
    report = pw.kit.verify(record)
    assert report.verified, [c.to_json() for c in report.failures]
    assert [c.outcome.value for c in report.checks if c.code == codes.CLR_CREDENTIAL] == [
        "passed"
    ] * 3
    # the associations are covered by the record's signature
    changed = json.loads(json.dumps(record))
    changed["credentialSubject"]["association"][0]["associationType"] = "isPeerOf"
    assert not pw.kit.verify(changed).verified


def test_only_parts_in_the_record_are_associated(pw: PathwayWorld) -> None:
    award, python, sql = _award(pw)

    with_one = _export(pw, award.learner_id, python.id, award.credential_id)
    assert [
        (a["associationType"], a["targetId"]) for a in with_one["credentialSubject"]["association"]
    ] == [
        ("isParentOf", pw.achievement_id(pw.python)),
        ("isPartOf", pw.achievement_id(pw.target)),
    ]
    assert pw.kit.verify(with_one).verified
    parts_only = _export(pw, award.learner_id, python.id, sql.id)
    assert "association" not in parts_only["credentialSubject"]
    award_only = _export(pw, award.learner_id, award.credential_id)
    assert "association" not in award_only["credentialSubject"]


@pytest.mark.skipif(not CLR_SCHEMA.is_file(), reason="../shared/standards is not present")
def test_the_associations_validate_against_the_clr_2_0_schema(pw: PathwayWorld) -> None:
    award, python, sql = _award(pw)
    record = _export(pw, award.learner_id, award.credential_id, python.id, sql.id)
    associations = record["credentialSubject"]["association"]

    for association in associations:
        assert _schema_errors(record, "Association", association) == []
    assert _schema_errors(record, "Association", {**associations[0], "sourceId": 7})
    bad = {**associations[0], "associationType": "isCousinOf"}
    assert _schema_errors(record, "Association", bad)
