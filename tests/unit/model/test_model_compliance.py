"""The EU standard elements compliance report, in a programme designer's words."""

from __future__ import annotations

from typing import Any

from microcred.definition.samples import sample_achievement, sample_eu_elements, sample_issuer
from microcred.model import (
    Achievement,
    Address,
    CreditPoint,
    Criteria,
    EUStandardElements,
    LearningOutcome,
    Profile,
    compliance_report,
    hours_duration,
)

MANDATORY = [
    "learner_identification",
    "title",
    "issuer_country_region",
    "awarding_body",
    "date_of_issuing",
    "learning_outcomes",
    "notional_workload",
    "level",
    "type_of_assessment",
    "form_of_participation",
    "quality_assurance",
]
OPTIONAL = [
    "prerequisites",
    "supervision_and_identity_verification",
    "grade",
    "integration_stackability",
    "further_information",
]


def bare_achievement(**eu: Any) -> Achievement:
    return Achievement(
        id="https://uni.example/achievements/x",
        name="Bare micro-credential",
        description="Something.",
        criteria=Criteria(narrative="Do it."),
        eu_standard_elements=EUStandardElements(**eu) if eu else None,
    )


def test_sample_is_compliant_and_lists_every_annex_element() -> None:
    report = compliance_report(sample_achievement(), sample_issuer())
    assert report.compliant
    assert report.missing == [] and report.weak == [] and report.problems() == []
    assert [f.element_id for f in report.findings] == MANDATORY + OPTIONAL
    assert [f.mandatory for f in report.findings] == [True] * 11 + [False] * 5
    assert report.finding("notional_workload").message == "5 ECTS, 125 hours."
    assert report.finding("level").message == "EQF level 6, QF-EHEA first cycle."
    assert report.finding("learner_identification").status == "from_credential"
    assert report.finding("form_of_participation").message == "Blended (online and onsite)."
    json = report.to_json()
    assert json["compliant"] is True and len(json["findings"]) == 16


def test_empty_definition_reports_every_missing_mandatory_element() -> None:
    report = compliance_report(bare_achievement(), Profile(id="did:web:uni.example"))
    assert not report.compliant
    assert [f.element_id for f in report.missing] == [
        "issuer_country_region",
        "awarding_body",
        "learning_outcomes",
        "notional_workload",
        "type_of_assessment",
        "form_of_participation",
        "quality_assurance",
    ]
    assert (
        report.finding("notional_workload").message
        == "Notional workload is missing: state ECTS credits (1 ECTS ≈ 25–30 hours) or hours."
    )
    # "Level ... if applicable": reported, never blocking.
    level = report.finding("level")
    assert level.status == "not_stated" and not level.blocking
    assert "EQF level (1–8)" in level.message
    # Optional elements are "not_stated", never "missing".
    assert {report.finding(e).status for e in OPTIONAL} == {"not_stated"}
    # Mandatory problems come first in problems().
    assert report.problems()[0].startswith("Country of the issuer is missing")


def test_inconsistent_ects_and_hours_is_weak() -> None:
    eu = sample_eu_elements().model_copy(update={"volume_of_learning": hours_duration(60)})
    ach = sample_achievement().model_copy(update={"eu_standard_elements": eu})
    report = compliance_report(ach, sample_issuer())
    finding = report.finding("notional_workload")
    assert finding.status == "weak"
    assert finding.message == (
        "5 ECTS correspond to about 125–150 hours of work, but the workload says 60 hours: "
        "check the credits or the hours."
    )
    assert report.compliant  # weak is a warning, not a blocker
    assert report.weak == [finding]


def test_hours_only_gets_ects_advice() -> None:
    report = compliance_report(bare_achievement(volume_of_learning="PT50H"), sample_issuer())
    finding = report.finding("notional_workload")
    assert finding.status == "present"
    assert finding.advice == (
        "State ECTS credits too, wherever possible: 50 hours are about 1.7–2 ECTS."
    )


def test_other_credit_framework_counts_as_workload() -> None:
    cp = CreditPoint(framework="http://data.europa.eu/snb/education-credit/other", point="3")
    finding = compliance_report(bare_achievement(credit_points=[cp]), None).finding(
        "notional_workload"
    )
    assert finding.status == "present" and finding.advice is not None


def test_short_and_unaligned_learning_outcomes() -> None:
    report = compliance_report(
        bare_achievement(learning_outcomes=[LearningOutcome(title="Databases")]), None
    )
    finding = report.finding("learning_outcomes")
    assert finding.status == "weak"
    assert "'Databases' is too short" in finding.message
    assert finding.advice is not None and "ESCO" in finding.advice


def test_country_from_issuer_address_or_text_only() -> None:
    coded = Profile(id="did:web:u.example", name="U", address=Address(address_country_code="DE"))
    assert compliance_report(bare_achievement(), coded).finding(
        "issuer_country_region"
    ).message == ("DE.")
    text_only = Profile(id="did:web:u.example", address=Address(address_country="Germany"))
    finding = compliance_report(bare_achievement(), text_only).finding("issuer_country_region")
    assert finding.status == "weak" and "two-letter country code" in finding.message


def test_issuer_name_stands_in_for_awarding_body() -> None:
    finding = compliance_report(bare_achievement(), sample_issuer()).finding("awarding_body")
    assert finding.status == "present"
    assert finding.message == "The issuer, University of Zed, is the awarding body."


def test_cycle_without_level_advises_the_eqf_level() -> None:
    finding = compliance_report(bare_achievement(qf_ehea_cycle="second"), None).finding("level")
    assert finding.status == "present"
    assert finding.advice == "Also state the EQF level (7) that this cycle corresponds to."


def test_result_descriptions_count_as_a_grading_scheme() -> None:
    ach = sample_achievement().model_copy(
        update={
            "eu_standard_elements": sample_eu_elements().model_copy(update={"grading_scheme": None})
        }
    )
    assert compliance_report(ach, sample_issuer()).finding("grade").status == "present"
