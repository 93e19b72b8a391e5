"""Open Badges 3.0 models: strict validation, clear errors, exact round-trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.errors import InvalidInput
from microcred.model import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Criteria,
    EndorsementCredential,
    Evidence,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
)


def minimal_credential() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:web:uni.example", "type": ["Profile"], "name": "Uni"},
        "validFrom": "2024-05-01T09:30:00Z",
        "name": "Teamwork",
        "credentialSubject": {
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://uni.example/achievements/teamwork",
                "type": ["Achievement"],
                "criteria": {"narrative": "Work in a team of four for a term."},
                "description": "Recognises collaboration in a group.",
                "name": "Teamwork",
            },
        },
    }


def problems(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e["path"]: e["message"] for e in exc.value.extra["errors"]}


def test_minimal_credential_round_trips_exactly() -> None:
    doc = minimal_credential()
    cred = OpenBadgeCredential.from_json(doc)
    assert cred.to_json() == doc
    assert cred.issuer_id == "did:web:uni.example"
    assert cred.achievement.name == "Teamwork"
    assert cred.proofs == []


def test_from_json_accepts_json_text() -> None:
    import json

    cred = OpenBadgeCredential.from_json(json.dumps(minimal_credential()))
    assert cred.credential_subject.achievement.id.endswith("teamwork")


def test_to_json_puts_context_id_type_first() -> None:
    keys = list(OpenBadgeCredential.from_json(minimal_credential()).to_json())
    assert keys[:4] == ["@context", "id", "type", "name"]


def test_values_keep_their_json_form() -> None:
    doc = minimal_credential()
    doc["type"] = ["VerifiableCredential", "AchievementCredential"]
    ach = doc["credentialSubject"]["achievement"]
    ach["type"] = "Achievement"  # a single string stays a string
    ach["creditsAvailable"] = 36  # an integer stays an integer (RDF: xsd:integer)
    doc["credentialSubject"]["creditsEarned"] = 36.5
    doc["validFrom"] = "2024-05-01T11:30:00.250+02:00"  # no re-formatting
    out = OpenBadgeCredential.from_json(doc).to_json()
    assert out == doc
    assert isinstance(out["credentialSubject"]["achievement"]["creditsAvailable"], int)
    assert out["credentialSubject"]["achievement"]["type"] == "Achievement"


def test_achievement_credential_is_an_alias() -> None:
    assert AchievementCredential is OpenBadgeCredential
    doc = minimal_credential()
    doc["type"] = ["VerifiableCredential", "AchievementCredential"]
    assert AchievementCredential.from_json(doc).to_json()["type"][1] == "AchievementCredential"


def test_proof_and_status_pass_through_unchanged() -> None:
    doc = minimal_credential()
    doc["credentialStatus"] = {
        "id": "https://uni.example/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://uni.example/status/1",
    }
    doc["proof"] = [
        {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"},
        {"type": "MerkleAnchorProof", "anything": {"nested": [1, None, True]}},
    ]
    cred = OpenBadgeCredential.from_json(doc)
    assert cred.to_json() == doc
    assert len(cred.proofs) == 2


def test_unknown_property_is_rejected_with_its_path() -> None:
    doc = minimal_credential()
    doc["credentialSubject"]["achievement"]["colour"] = "blue"
    with pytest.raises(InvalidInput) as exc:
        OpenBadgeCredential.from_json(doc)
    assert problems(exc) == {"credentialSubject.achievement.colour": "is not a known property here"}
    assert "credentialSubject.achievement.colour" in exc.value.detail


def test_several_problems_are_all_reported() -> None:
    doc = minimal_credential()
    del doc["validFrom"]
    doc["issuer"]["id"] = "uni-42"
    doc["credentialSubject"]["achievement"]["name"] = 7
    doc["credentialSubject"]["achievement"]["criteria"] = {}
    with pytest.raises(InvalidInput) as exc:
        OpenBadgeCredential.from_json(doc)
    found = problems(exc)
    assert found["validFrom"] == "is required but missing"
    assert "not an absolute URI" in found["issuer.id"]
    assert found["credentialSubject.achievement.name"] == "must be a string"
    assert "criteria needs an 'id'" in found["credentialSubject.achievement.criteria"]
    # The alternative "issuer is a URI string" is not reported as noise.
    assert "issuer" not in found


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d.update(validFrom="2024-05-01T09:30:00"), "validFrom", "with a timezone"),
        (lambda d: d.update(validFrom="2024-02-30T09:30:00Z"), "validFrom", "not a real"),
        (
            lambda d: d.update(validUntil="2024-04-01T00:00:00Z"),
            "(document)",
            "validUntil is earlier than validFrom",
        ),
        (lambda d: d.update(type=["VerifiableCredential"]), "(document)", "OpenBadgeCredential"),
        (lambda d: d.update(type=["OpenBadgeCredential"]), "type", "VerifiableCredential"),
        (lambda d: d["@context"].pop(1), "(document)", "Open Badges 3.0 context"),
        (
            lambda d: d["@context"].__setitem__(0, "https://www.w3.org/2018/credentials/v1"),
            "(document)",
            "must start with",
        ),
        (lambda d: d["credentialSubject"].pop("id"), "credentialSubject", "needs an 'id'"),
        (
            lambda d: d["credentialSubject"]["achievement"].update(creditsAvailable="3"),
            "credentialSubject.achievement.creditsAvailable",
            "must be a number",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].update(creditsAvailable=True),
            "credentialSubject.achievement.creditsAvailable",
            "must be a number",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].update(achievementType="Nanodegree"),
            "credentialSubject.achievement.achievementType",
            "ext:YourValue",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].update(inLanguage="english"),
            "credentialSubject.achievement.inLanguage",
            "language code",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].update(name="  "),
            "credentialSubject.achievement.name",
            "must not be empty",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].update(image={"id": "x.png"}),
            "credentialSubject.achievement.image.id",
            "absolute URI",
        ),
        (lambda d: d["issuer"].update(email="nobody"), "issuer.email", "e-mail"),
        (lambda d: d.update(proof="zSignature"), "proof", "JSON object"),
    ],
)
def test_invalid_credentials_are_rejected(mutate: Any, path: str, fragment: str) -> None:
    doc = minimal_credential()
    mutate(doc)
    with pytest.raises(InvalidInput) as exc:
        OpenBadgeCredential.from_json(doc)
    found = problems(exc)
    assert path in found, found
    assert fragment in found[path]


def test_non_object_input_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="expected a JSON object, got list"):
        OpenBadgeCredential.from_json([1, 2])
    with pytest.raises(InvalidInput, match="not valid JSON"):
        OpenBadgeCredential.from_json("{nope")


def test_ext_enumeration_values_are_accepted() -> None:
    doc = minimal_credential()
    doc["credentialSubject"]["achievement"]["achievementType"] = "ext:Nanodegree"
    assert OpenBadgeCredential.from_json(doc).achievement.achievement_type == "ext:Nanodegree"


def test_instances_are_immutable() -> None:
    cred = OpenBadgeCredential.from_json(minimal_credential())
    with pytest.raises(Exception, match="frozen"):
        cred.name = "Other"  # type: ignore[misc]


def test_direct_construction_validates_and_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput) as exc:
        Achievement(
            id="urn:x",
            name="n",
            description="d",
            criteria=Criteria(narrative="x"),
            credits_available=-1,
        )
    assert "creditsAvailable must not be negative" in exc.value.detail
    with pytest.raises(InvalidInput, match="criteria needs"):
        Criteria()
    with pytest.raises(InvalidInput, match="must be 'Image'"):
        Image.from_json({"id": "https://x.example/a.png", "type": "Picture"})


def test_snake_case_and_camel_case_both_construct() -> None:
    a = Profile(id="did:web:x.example", given_name="Ana")
    b = Profile.from_json({"id": "did:web:x.example", "givenName": "Ana"})
    assert a == b
    assert a.to_json() == {"id": "did:web:x.example", "type": ["Profile"], "givenName": "Ana"}


def test_subject_needs_id_or_identifier() -> None:
    with pytest.raises(InvalidInput, match="needs an 'id'"):
        AchievementSubject(achievement=sample_achievement(with_eu_elements=False))


def test_result_must_point_at_a_known_result_description() -> None:
    ach = sample_achievement(with_eu_elements=False)
    good = Result(
        result_description="https://uni.example/achievements/digital-content-creation#grade",
        value="Merit",
    )
    subject = AchievementSubject(id="did:key:z6Mk1", achievement=ach, result=[good])
    assert subject.result == [good]
    bad = Result(result_description="urn:uuid:unknown", value="A")
    with pytest.raises(InvalidInput, match="does not define"):
        AchievementSubject(id="did:key:z6Mk1", achievement=ach, result=[bad])


def test_result_status_enumeration() -> None:
    assert Result(status="Completed").status == "Completed"
    with pytest.raises(InvalidInput, match="result.status|status"):
        Result.from_json({"type": ["Result"], "status": "Done"})


def test_evidence_and_sample_profile_round_trip() -> None:
    ev = Evidence(id="https://uni.example/evidence/1", narrative="Project report", genre="Report")
    assert Evidence.from_json(ev.to_json()) == ev
    issuer = sample_issuer()
    assert Profile.from_json(issuer.to_json()) == issuer


def test_endorsement_credential() -> None:
    doc = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:e1",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Industry endorsement",
        "issuer": {"id": "did:web:partner.example", "type": ["Profile"], "name": "Partner"},
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://uni.example/achievements/digital-content-creation",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Teaches what our newsrooms need.",
        },
    }
    endorsement = EndorsementCredential.from_json(doc)
    assert endorsement.to_json() == doc
    wrong = copy.deepcopy(doc)
    wrong["type"] = ["VerifiableCredential", "OpenBadgeCredential"]
    with pytest.raises(InvalidInput, match="EndorsementCredential"):
        EndorsementCredential.from_json(wrong)
    # An endorsement can be embedded in an achievement.
    ach = sample_achievement(with_eu_elements=False).model_copy(
        update={"endorsement": [endorsement]}
    )
    again = Achievement.from_json(ach.to_json())
    assert again.endorsement == [endorsement]


def test_error_detail_hides_input_values() -> None:
    doc = minimal_credential()
    doc["credentialSubject"]["achievement"]["name"] = {"secret": "ana@example.org"}
    with pytest.raises(InvalidInput) as exc:
        OpenBadgeCredential.from_json(doc)
    assert "ana@example.org" not in exc.value.detail
