"""EU standard elements model: typed fields, ELM-shaped JSON, consistency rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from microcred.definition.samples import sample_achievement, sample_eu_elements
from microcred.errors import InvalidInput
from microcred.model import (
    ECTS_FRAMEWORK,
    Achievement,
    CreditPoint,
    EUStandardElements,
    LearningOutcome,
    eqf_level_iri,
    hours_duration,
)

ESCO = "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"


def test_sample_json_shape_uses_elm_names() -> None:
    out = sample_eu_elements().to_json()
    assert out["type"] == "EUStandardElements"
    assert out["learningOutcome"][0]["type"] == "LearningOutcome"
    assert out["learningOutcome"][0]["relatedESCOSkill"] == [ESCO]
    assert out["creditPoint"] == [
        {"type": "CreditPoint", "framework": ECTS_FRAMEWORK, "point": "5"}
    ]
    assert out["volumeOfLearning"] == "PT125H"
    assert out["eqfLevel"] == "http://data.europa.eu/snb/eqf/6"
    assert out["qfEheaCycle"] == "first"
    assert out["issuerCountry"] == ["IE"]
    assert out["awardingBody"] == [{"id": "did:web:uni.example", "name": "University of Zed"}]
    assert EUStandardElements.from_json(out).to_json() == out


def test_derived_values() -> None:
    eu = sample_eu_elements()
    assert eu.ects_credits == Decimal(5)
    assert eu.workload_hours == Decimal(125)
    assert eu.eqf_level_number == 6
    assert EUStandardElements().ects_credits is None
    assert EUStandardElements(volume_of_learning="P2W").workload_hours is None
    assert EUStandardElements(volume_of_learning="PT7H30M").workload_hours == Decimal("7.5")


def test_achievement_carries_eu_elements_and_round_trips() -> None:
    ach = sample_achievement()
    doc = ach.to_json()
    assert "euStandardElements" in doc
    assert Achievement.from_json(doc) == ach


def test_learning_outcome_alignment_split() -> None:
    lo = LearningOutcome.aligned(
        "Produce accessible digital content", ESCO, "https://example.org/skills/video"
    )
    assert lo.related_esco_skill == [ESCO]
    assert lo.related_skill == ["https://example.org/skills/video"]
    assert lo.skills == [ESCO, "https://example.org/skills/video"]
    with pytest.raises(InvalidInput, match="not an ESCO skill URI"):
        LearningOutcome(title="x", related_esco_skill=["https://example.org/skills/video"])


def test_helpers() -> None:
    assert eqf_level_iri(1) == "http://data.europa.eu/snb/eqf/1"
    assert hours_duration(125) == "PT125H"
    assert hours_duration(Decimal("7.5")) == "PT7H30M"
    assert hours_duration("0.25") == "PT15M"
    for bad in (0, 9, True, "6"):
        with pytest.raises(InvalidInput, match="EQF level"):
            eqf_level_iri(bad)  # type: ignore[arg-type]
    for bad_hours in (0, -1, "x", Decimal("0.001")):
        with pytest.raises(InvalidInput, match="hours"):
            hours_duration(bad_hours)  # type: ignore[arg-type]
    assert CreditPoint.ects("2.5").value == Decimal("2.5")
    with pytest.raises(InvalidInput, match="ECTS credits"):
        CreditPoint.ects(2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"eqfLevel": "http://data.europa.eu/snb/eqf/9"}, "not an EQF level"),
        ({"eqfLevel": "https://data.europa.eu/snb/eqf/6"}, "not an EQF level"),
        ({"eqfLevel": "http://data.europa.eu/snb/eqf/level-6"}, "not an EQF level"),
        (
            {"eqfLevel": "http://data.europa.eu/snb/eqf/7", "qfEheaCycle": "first"},
            "first cycle corresponds to EQF level 6, but the EQF level is 7",
        ),
        ({"qfEheaCycle": "fourth"}, "must be"),
        ({"formOfParticipation": "hybrid"}, "'online', 'onsite' or 'blended'"),
        ({"supervisionAndIdVerification": "proctored"}, "must be"),
        ({"volumeOfLearning": "125 hours"}, "ISO 8601 duration"),
        ({"volumeOfLearning": "P"}, "ISO 8601 duration"),
        ({"creditPoint": [{"type": "CreditPoint", "point": "-5"}]}, "positive decimal"),
        ({"creditPoint": [{"type": "CreditPoint", "point": 5}]}, "must be a string"),
        (
            {"creditPoint": [{"point": "5"}, {"point": "6"}]},
            "same credit framework more than once",
        ),
        ({"issuerCountry": ["Ireland"]}, "ISO 3166-1 alpha-2"),
        ({"stackableTowards": ["https://uni.example/msc"]}, "must be 'stackable'"),
        ({"learningOutcome": [{"title": ""}]}, "must not be empty"),
        ({"assessmentType": "   "}, "must not be empty"),
        ({"colour": "blue"}, "not a known property"),
    ],
)
def test_invalid_eu_elements(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        EUStandardElements.from_json(data)
    assert fragment in exc.value.detail
