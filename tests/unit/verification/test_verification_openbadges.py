"""Open Badges 3.0 required-field check (code, not the JSON schema files)."""

from __future__ import annotations

import json

import pytest
from verification_testkit import CONTEXT, badge, standards_file

from microcred.verification import codes
from microcred.verification.checks.openbadges import OpenBadgesCheck, openbadges_problems
from microcred.verification.report import Outcome


def test_good_badge_passes() -> None:
    [result] = OpenBadgesCheck().run(badge(), CONTEXT)
    assert result.code == codes.SCHEMA_OPENBADGES
    assert result.outcome is Outcome.PASSED


def test_other_credentials_are_skipped() -> None:
    [result] = OpenBadgesCheck().run(badge(type=["VerifiableCredential"]), CONTEXT)
    assert result.outcome is Outcome.SKIPPED


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("id", "credentialSubject.achievement.id"),
        ("type", "credentialSubject.achievement.type"),
        ("name", "credentialSubject.achievement.name"),
        ("description", "credentialSubject.achievement.description"),
        ("criteria", "credentialSubject.achievement.criteria"),
    ],
)
def test_each_required_achievement_field_is_named(field: str, path: str) -> None:
    doc = badge()
    del doc["credentialSubject"]["achievement"][field]
    [result] = OpenBadgesCheck().run(doc, CONTEXT)
    assert result.outcome is Outcome.FAILED
    assert path in [p["path"] for p in result.details["problems"]]
    assert path in result.message


def test_several_problems_are_listed() -> None:
    doc = badge(id=None, validFrom=None)
    doc["issuer"]["type"] = ["Organization"]
    doc["credentialSubject"]["type"] = ["Person"]
    doc["credentialSubject"]["achievement"]["criteria"] = {}
    problems = {p["path"]: p["problem"] for p in openbadges_problems(doc)}
    assert problems == {
        "credential.id": "missing",
        "validFrom": "missing",
        "issuer.type": "must include Profile",
        "credentialSubject.type": "must include AchievementSubject",
        "credentialSubject.achievement.criteria": "needs an id or a narrative",
    }


def test_ob_context_is_required() -> None:
    doc = badge(**{"@context": ["https://www.w3.org/ns/credentials/v2"]})
    assert {"path": "@context", "problem": "must include an Open Badges 3.0 context"} in (
        openbadges_problems(doc)
    )


@pytest.mark.parametrize(
    "relative",
    [
        "openbadges/spec-examples/basic-openbadgecredential.json",
        "openbadges/spec-examples/complete-openbadgecredential.json",
        "openbadges/spec-examples/endorsementcredential.json",
        "openbadges/spec-examples/achievement-alignment-case.json",
        "openbadges/test-vectors/obv3p0/signed.json",
    ],
)
def test_official_examples_pass(relative: str) -> None:
    doc = json.loads(standards_file(relative).read_text())
    assert openbadges_problems(doc) == []


def test_agrees_with_the_official_schema_on_mutations() -> None:
    """Each mutation our check flags is also rejected by the official JSON schema."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(
        standards_file("openbadges/schema/ob_v3p0_achievementcredential_schema.json").read_text()
    )
    validator = jsonschema.Draft201909Validator(schema)
    for field in ("id", "type", "name", "description", "criteria"):
        doc = badge()
        doc["proof"] = [doc["proof"]]
        assert not list(validator.iter_errors(doc))
        del doc["credentialSubject"]["achievement"][field]
        assert openbadges_problems(doc)
        assert list(validator.iter_errors(doc)), field
