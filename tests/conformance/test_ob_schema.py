"""Open Badges 3.0 conformance: the official JSON Schema and the official examples.

* Every credential we compose (with and without EU elements, DID or hashed e-mail learner,
  with results, evidence, status, validity end) validates against the 1EdTech JSON Schema
  ``ob_v3p0_achievementcredential_schema.json``.
* Every official spec example loads through our models and serialises back to exactly the
  same JSON.

Reads ``../shared/standards`` (relative to the repository root); skipped when absent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.model import (
    EndorsementCredential,
    Evidence,
    OpenBadgeCredential,
    Result,
    hash_email,
)

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
STANDARDS = ROOT.parent / "shared" / "standards" / "openbadges"
SCHEMA_DIR = STANDARDS / "schema"
EXAMPLES = STANDARDS / "spec-examples"

pytestmark = pytest.mark.skipif(
    not (SCHEMA_DIR / "ob_v3p0_achievementcredential_schema.json").is_file(),
    reason="../shared/standards/openbadges is not available",
)

LEARNER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
GRADE = "https://uni.example/achievements/digital-content-creation#grade"
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validator(name: str) -> Any:
    schema = read(SCHEMA_DIR / name)
    return jsonschema.Draft201909Validator(schema)


def schema_errors(doc: dict[str, Any], name: str = "ob_v3p0_achievementcredential_schema.json"):
    # The schema wants ``proof`` as an array; VC 2.0 also allows a single object.
    probe = dict(doc)
    if isinstance(probe.get("proof"), dict):
        probe["proof"] = [probe["proof"]]
    return sorted(str(e.message) for e in validator(name).iter_errors(probe))


CASES: dict[str, dict[str, Any]] = {
    "did-learner-eu": {},
    "did-learner-no-eu": {"achievement": sample_achievement(with_eu_elements=False)},
    "hashed-email-eu": {"learner": hash_email("ana.lopez@uni.example", salt="c0ffee")},
    "hashed-email-no-eu": {
        "learner": hash_email("ana.lopez@uni.example", salt="c0ffee"),
        "achievement": sample_achievement(with_eu_elements=False),
    },
    "result-evidence-status": {
        "result": [Result(result_description=GRADE, value="Distinction")],
        "evidence": [
            Evidence(
                id="https://uni.example/evidence/42",
                name="Campaign report",
                narrative="# Report\nThe learner's public campaign.",
            )
        ],
        "valid_until": WHEN + timedelta(days=5 * 365),
        "awarded_date": WHEN,
        "credential_status": {
            "id": "https://uni.example/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://uni.example/status/1",
        },
        "activity_start_date": WHEN - timedelta(days=90),
        "activity_end_date": WHEN - timedelta(days=1),
        "credits_earned": 5,
    },
    "json-schema-type": {"schema_type": "JsonSchema"},
}


def compose_case(case: dict[str, Any]) -> dict[str, Any]:
    args = dict(case)
    return compose_credential(
        args.pop("achievement", sample_achievement()),
        args.pop("learner", LEARNER_DID),
        sample_issuer(),
        credential_id="urn:uuid:0f6e2a44-0000-4000-8000-000000000003",
        valid_from=WHEN,
        **args,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_composed_credentials_pass_the_official_schema(case: str) -> None:
    doc = compose_case(CASES[case])
    assert schema_errors(doc) == []


def test_a_signed_composed_credential_passes_the_schema() -> None:
    doc = compose_case({})
    doc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2024-05-01T09:30:00Z",
        "verificationMethod": "did:web:uni.example#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3FXQ",
    }
    assert schema_errors(doc) == []
    assert OpenBadgeCredential.from_json(doc).to_json() == doc


def test_schema_and_model_both_reject_a_credential_without_valid_from() -> None:
    doc = compose_case({})
    del doc["validFrom"]
    assert any("validFrom" in e for e in schema_errors(doc))
    with pytest.raises(Exception, match="validFrom"):
        OpenBadgeCredential.from_json(doc)


EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_official_examples_round_trip_through_the_models(name: str) -> None:
    doc = read(EXAMPLES / name)
    is_endorsement = "EndorsementCredential" in doc["type"]
    model = EndorsementCredential if is_endorsement else OpenBadgeCredential
    assert model.from_json(doc).to_json() == doc
    schema = (
        "ob_v3p0_endorsementcredential_schema.json"
        if is_endorsement
        else "ob_v3p0_achievementcredential_schema.json"
    )
    assert schema_errors(doc, schema) == []


def test_the_examples_are_all_there() -> None:
    assert len(EXAMPLE_FILES) >= 7
    assert "complete-openbadgecredential.json" in EXAMPLE_FILES


@pytest.mark.parametrize("name", ["unsigned.json", "signed.json"])
def test_official_test_vector_round_trips(name: str) -> None:
    path = STANDARDS / "test-vectors" / "obv3p0" / name
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    doc = read(path)
    assert OpenBadgeCredential.from_json(doc).to_json() == doc


def test_complete_example_details_are_typed() -> None:
    cred = OpenBadgeCredential.from_json(read(EXAMPLES / "complete-openbadgecredential.json"))
    ach = cred.achievement
    assert ach.achievement_type == "Degree"
    assert ach.credits_available == 36.0
    assert ach.creator is not None and ach.creator.address is not None
    assert ach.creator.address.geo is not None and ach.creator.address.geo.latitude == 1.0
    assert [r.result_type for r in ach.result_description or []] == [
        "LetterGrade",
        "RubricCriterionLevel",
        "Status",
    ]
    assert cred.credential_subject.identifier is not None
    assert cred.credential_subject.identifier[0].hashed is False
    assert cred.endorsement is not None and len(cred.endorsement[0].proofs) == 1
