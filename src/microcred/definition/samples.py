"""A complete sample micro-credential definition (for the tour, the docs and tests).

"Digital Content Creation for Research Communication": 5 ECTS / 125 hours, EQF level 6
(QF-EHEA first cycle), blended, assessed by an online exam and a project, with learning
outcomes aligned to ESCO skills. Every Annex I element is filled in, so its compliance
report is clean.
"""

from __future__ import annotations

from microcred.model.eu import (
    AwardingBody,
    CreditPoint,
    EUStandardElements,
    LearningOutcome,
    eqf_level_iri,
    hours_duration,
)
from microcred.model.openbadges import (
    Achievement,
    Address,
    Alignment,
    Criteria,
    Image,
    Profile,
    ResultDescription,
)

__all__ = ["sample_achievement", "sample_eu_elements", "sample_issuer"]

# ESCO skills as used by the official ELM v3 Annex I sample credential:
# "develop digital content" and "establish collaborative relations".
_ESCO_DIGITAL_CONTENT = "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
_ESCO_COLLABORATION = "http://data.europa.eu/esco/skill/326809fc-238d-40c2-881e-40042f7f2f0d"


def sample_issuer(did: str = "did:web:uni.example") -> Profile:
    """The issuing university's profile (an Irish university, Dublin region)."""
    return Profile(
        id=did,
        type=["Profile"],
        name="University of Zed",
        url="https://uni.example",
        email="credentials@uni.example",
        address=Address(
            address_country="Ireland",
            address_country_code="IE",
            address_region="Dublin",
        ),
    )


def sample_eu_elements(awarding_body: str = "did:web:uni.example") -> EUStandardElements:
    """Every EU standard element of the sample micro-credential."""
    return EUStandardElements(
        learning_outcomes=[
            LearningOutcome.aligned(
                "Produce accessible text, image and video content that explains a research "
                "result to the public",
                _ESCO_DIGITAL_CONTENT,
            ),
            LearningOutcome.aligned(
                "Plan and run a communication campaign together with partners outside the "
                "university",
                _ESCO_COLLABORATION,
            ),
        ],
        credit_points=[CreditPoint.ects(5)],
        volume_of_learning=hours_duration(125),
        eqf_level=eqf_level_iri(6),
        qf_ehea_cycle="first",
        assessment_type="Online exam and a graded communication project",
        form_of_participation="blended",
        quality_assurance=(
            "Internal quality assurance of the University of Zed, reviewed by the national "
            "quality agency"
        ),
        issuer_countries=["IE"],
        issuer_regions=["Dublin"],
        awarding_bodies=[AwardingBody(id=awarding_body, name="University of Zed")],
        prerequisites="A bachelor's degree or equivalent research experience",
        supervision_and_id_verification="supervised-with-id-verification",
        grading_scheme="Pass / Merit / Distinction",
        integration_stackability="stackable",
        stackable_towards=["https://uni.example/programmes/msc-science-communication"],
        further_information="https://uni.example/micro-credentials/digital-content",
    )


def sample_achievement(
    achievement_id: str = "https://uni.example/achievements/digital-content-creation",
    *,
    awarding_body: str = "did:web:uni.example",
    with_eu_elements: bool = True,
) -> Achievement:
    """The sample micro-credential definition as an OB 3.0 ``Achievement``."""
    return Achievement(
        id=achievement_id,
        type=["Achievement"],
        achievement_type="MicroCredential",
        name="Digital Content Creation for Research Communication",
        description=(
            "Researchers learn to turn research results into accessible digital content "
            "and to communicate them together with partners."
        ),
        criteria=Criteria(
            id="https://uni.example/micro-credentials/digital-content#criteria",
            narrative="Pass the online exam and submit a communication project graded Pass "
            "or better.",
        ),
        image=Image(
            id="https://uni.example/badges/digital-content.png",
            caption="Digital Content Creation badge",
        ),
        alignment=[
            Alignment(
                target_name="develop digital content",
                target_url=_ESCO_DIGITAL_CONTENT,
                target_framework="ESCO",
                target_type="ext:ESCOSkill",
            )
        ],
        credits_available=5,
        field_of_study="Science communication",
        in_language="en",
        result_description=[
            ResultDescription(
                id="https://uni.example/achievements/digital-content-creation#grade",
                name="Final grade",
                result_type="LetterGrade",
                allowed_value=["Pass", "Merit", "Distinction"],
                required_value="Pass",
            )
        ],
        tag=["digital content", "science communication", "research"],
        version="2024.1",
        eu_standard_elements=sample_eu_elements(awarding_body) if with_eu_elements else None,
    )
