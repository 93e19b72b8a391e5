"""compose_credential: the unsigned OB 3.0 credential JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred.definition import compose_credential, format_datetime
from microcred.definition.compose import (
    MICROCRED_EU_V1,
    OB_ACHIEVEMENTCREDENTIAL_SCHEMA,
    OB_V3P0_3_0_3,
    OB_V3P0_EXTENSIONS,
    VC_V2,
)
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.errors import InvalidInput
from microcred.model import Evidence, OpenBadgeCredential, Result, hash_email

LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
GRADE = "https://uni.example/achievements/digital-content-creation#grade"


def compose(**kw: object) -> dict[str, object]:
    args: dict[str, object] = {"credential_id": "urn:uuid:7c1e1a2e-0000-4000-8000-000000000001"}
    args["valid_from"] = WHEN
    args.update(kw)
    achievement = args.pop("achievement", sample_achievement())
    learner = args.pop("learner", LEARNER)
    issuer = args.pop("issuer", sample_issuer())
    return compose_credential(achievement, learner, issuer, **args)  # type: ignore[arg-type]


def test_did_learner_with_eu_elements() -> None:
    doc = compose()
    assert doc["@context"] == [VC_V2, OB_V3P0_3_0_3, OB_V3P0_EXTENSIONS, MICROCRED_EU_V1]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["id"] == "urn:uuid:7c1e1a2e-0000-4000-8000-000000000001"
    assert doc["name"] == "Digital Content Creation for Research Communication"
    assert doc["validFrom"] == "2024-05-01T09:30:00Z"
    assert doc["issuer"] == sample_issuer().to_json()
    assert doc["image"] == sample_achievement().image.to_json()  # type: ignore[union-attr]
    subject = doc["credentialSubject"]
    assert subject == {
        "id": LEARNER,
        "type": ["AchievementSubject"],
        "achievement": sample_achievement().to_json(),
    }
    assert doc["credentialSchema"] == [
        {"id": OB_ACHIEVEMENTCREDENTIAL_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
    ]
    assert "proof" not in doc
    assert OpenBadgeCredential.from_json(doc).to_json() == doc


def test_without_eu_elements_the_eu_context_is_left_out() -> None:
    doc = compose(achievement=sample_achievement(with_eu_elements=False))
    assert doc["@context"] == [VC_V2, OB_V3P0_3_0_3, OB_V3P0_EXTENSIONS]
    assert "euStandardElements" not in doc["credentialSubject"]["achievement"]  # type: ignore[index]


def test_schema_type_choices() -> None:
    plain = compose(schema_type="JsonSchema")
    assert OB_V3P0_EXTENSIONS not in plain["@context"]  # type: ignore[operator]
    assert plain["credentialSchema"][0]["type"] == "JsonSchema"  # type: ignore[index]
    none = compose(schema_type=None)
    assert "credentialSchema" not in none
    assert none["@context"] == [VC_V2, OB_V3P0_3_0_3, MICROCRED_EU_V1]


def test_hashed_email_learner() -> None:
    identity = hash_email("ana.lopez@uni.example", salt="c0ffee")
    doc = compose(learner=identity)
    subject = doc["credentialSubject"]
    assert "id" not in subject  # type: ignore[operator]
    assert subject["identifier"] == [identity.to_json()]  # type: ignore[index]
    assert "ana.lopez" not in str(doc)


def test_several_identities() -> None:
    ids = [hash_email("a@uni.example", salt="1"), hash_email("a@home.example", salt="2")]
    doc = compose(learner=ids)
    assert len(doc["credentialSubject"]["identifier"]) == 2  # type: ignore[index]


def test_result_evidence_and_other_options() -> None:
    doc = compose(
        result=[Result(result_description=GRADE, value="Merit")],
        evidence=[Evidence(id="https://uni.example/evidence/42", name="Campaign report")],
        valid_until=WHEN + timedelta(days=365 * 5),
        awarded_date=WHEN - timedelta(days=1),
        description="Awarded for the spring 2024 cohort.",
        activity_start_date=datetime(2024, 2, 1, tzinfo=UTC),
        activity_end_date=datetime(2024, 4, 30, tzinfo=UTC),
        credits_earned=5,
        narrative="Final project on open-access publishing.",
        credential_status={
            "id": "https://uni.example/status/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://uni.example/status/1",
        },
    )
    subject = doc["credentialSubject"]
    assert subject["result"] == [  # type: ignore[index]
        {"type": ["Result"], "resultDescription": GRADE, "value": "Merit"}
    ]
    assert subject["creditsEarned"] == 5  # type: ignore[index]
    assert subject["activityStartDate"] == "2024-02-01T00:00:00Z"  # type: ignore[index]
    assert doc["evidence"][0]["id"] == "https://uni.example/evidence/42"  # type: ignore[index]
    assert doc["validUntil"] == "2029-04-30T09:30:00Z"
    assert doc["awardedDate"] == "2024-04-30T09:30:00Z"
    assert doc["credentialStatus"]["statusListIndex"] == "94567"  # type: ignore[index]
    assert doc["description"] == "Awarded for the spring 2024 cohort."


def test_result_for_an_unknown_result_description_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="does not define"):
        compose(result=[Result(result_description="urn:uuid:nope", value="A")])


def test_bad_learners() -> None:
    with pytest.raises(InvalidInput, match=r"pass hash_email\(address\)"):
        compose(learner="ana@uni.example")
    with pytest.raises(InvalidInput, match="not a DID or URI"):
        compose(learner="ana")
    with pytest.raises(InvalidInput, match="IdentityObject"):
        compose(learner=[])


def test_bad_dates() -> None:
    with pytest.raises(InvalidInput, match="has no timezone"):
        compose(valid_from=datetime(2024, 5, 1))
    with pytest.raises(InvalidInput, match="validUntil is earlier than validFrom"):
        compose(valid_until=WHEN - timedelta(seconds=1))


def test_format_datetime() -> None:
    cet = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2024, 5, 1, 11, 30, tzinfo=cet)) == "2024-05-01T09:30:00Z"
    assert format_datetime(WHEN.replace(microsecond=250000)) == "2024-05-01T09:30:00.25Z"
    assert format_datetime(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00Z"


def test_issuer_as_plain_uri_and_bad_arguments() -> None:
    doc = compose(issuer="did:web:uni.example")
    assert doc["issuer"] == "did:web:uni.example"
    with pytest.raises(InvalidInput, match="must be an Achievement"):
        compose(achievement={"id": "x"})
    with pytest.raises(InvalidInput, match="credential_id|id"):
        compose(credential_id="not a uri")


def test_the_example_in_the_docs_is_real() -> None:
    import json
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "docs" / "open-badges.md"
    if not page.is_file():
        pytest.skip("docs/open-badges.md is not available")
    blocks = re.findall(r"```json\n(.*?)\n```", page.read_text(encoding="utf-8"), re.S)
    documented = json.loads(blocks[0])
    actual = compose_credential(
        sample_achievement(),
        hash_email("ana.lopez@uni.example", salt="3f9c1a7be2d04c55"),
        sample_issuer(),
        credential_id="urn:uuid:8a6e2f2c-5d1b-4c39-9a55-0c4f3b7d2e11",
        valid_from=datetime(2024, 6, 28, 10, 0, tzinfo=UTC),
        result=[Result(result_description=GRADE, value="Merit")],
        evidence=[
            Evidence(
                id="https://uni.example/evidence/8a6e2f2c", name="Communication campaign report"
            )
        ],
    )
    assert list(documented) == list(actual)
    assert documented == actual
