"""The European standard elements of a micro-credential, as a typed model.

Source: Council Recommendation of 16 June 2022 on a European approach to micro-credentials
for lifelong learning and employability (2022/C 243/02), Annex I "European standard elements
to describe a micro-credential". Mandatory elements: identification of the learner; title;
country/region of the issuer; awarding body; date of issuing; learning outcomes; notional
workload (in ECTS wherever possible); level (EQF, QF-EHEA cycle) if applicable; type of
assessment; form of participation; type of quality assurance. Optional: prerequisites;
supervision and identity verification during assessment; grade; integration/stackability
options; further information.

The learner, the title, the issuer and the date of issuing are carried by the Open Badges
credential itself (``credentialSubject``, ``achievement.name``, ``issuer``, ``validFrom``),
and the grade by ``credentialSubject.result``; :class:`EUStandardElements` holds the rest and
is attached to the OB ``Achievement`` under ``euStandardElements``. Its JSON-LD terms are
defined by the bundled context ``https://microcred.dev/ns/eu/v1`` and map to European
Learning Model (ELM v3) properties where ELM has one with the same shape (learning outcome,
credit point, volume of learning, EQF level, awarding body), otherwise to
``https://microcred.dev/ns/eu#...`` (see docs/adr/0002-eu-elements-in-open-badges.md).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from microcred.errors import InvalidInput
from microcred.model.base import StrictModel
from microcred.model.types import URI, CountryCode, Duration, NonEmptyStr

__all__ = [
    "AwardingBody",
    "CreditPoint",
    "ECTS_FRAMEWORK",
    "EQF_CYCLES",
    "EQF_LEVEL_PREFIX",
    "ESCO_SKILL_PREFIX",
    "EUStandardElements",
    "FormOfParticipation",
    "IntegrationStackability",
    "LearningOutcome",
    "QfEheaCycle",
    "SupervisionAndIdVerification",
    "eqf_level_iri",
    "hours_duration",
]

#: ELM concept for the European Credit Transfer and Accumulation System (as used by the
#: official ELM v3 micro-credential sample, scheme http://data.europa.eu/snb/education-credit/25831c2).
ECTS_FRAMEWORK = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
#: EQF level concepts are http://data.europa.eu/snb/eqf/1 ... /8 (scheme .../eqf/25831c2).
EQF_LEVEL_PREFIX = "http://data.europa.eu/snb/eqf/"
#: ESCO skill concepts.
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"

FormOfParticipation = Literal["online", "onsite", "blended"]
SupervisionAndIdVerification = Literal[
    "unsupervised-no-id-verification",
    "supervised-no-id-verification",
    "supervised-with-id-verification",
]
QfEheaCycle = Literal["short", "first", "second", "third"]
IntegrationStackability = Literal["stand-alone", "stackable"]

#: QF-EHEA cycle -> the EQF level it corresponds to (Council Recommendation of 22 May 2017
#: on the EQF, 2017/C 189/03, Annex III).
EQF_CYCLES: dict[str, int] = {"short": 5, "first": 6, "second": 7, "third": 8}

_EQF_IRI = re.compile(r"^http://data\.europa\.eu/snb/eqf/([1-8])$")
_POINT = re.compile(r"^\d+(\.\d+)?$")
_HOURS = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")


def eqf_level_iri(level: int) -> str:
    """The ELM concept IRI of EQF level ``level`` (1-8)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 8:
        raise InvalidInput(f"EQF level must be a whole number from 1 to 8, got {level!r}")
    return f"{EQF_LEVEL_PREFIX}{level}"


def hours_duration(hours: int | Decimal | str) -> str:
    """An ISO 8601 duration for a number of hours.

    ``125`` -> ``"PT125H"``; ``Decimal("7.5")`` -> ``"PT7H30M"``.
    """
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        raise InvalidInput(f"hours must be a number, got {hours!r}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"hours must be a positive number, got {hours!r}")
    minutes = value * 60
    if minutes != minutes.to_integral_value():
        raise InvalidInput(f"hours must be a whole number of minutes, got {hours!r}")
    h, m = divmod(int(minutes), 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "")


def _check_eqf(value: str) -> str:
    if not _EQF_IRI.match(value):
        raise ValueError(
            f"{value!r} is not an EQF level; use the ELM concept IRI "
            f"'{EQF_LEVEL_PREFIX}N' with N from 1 to 8 (e.g. '{EQF_LEVEL_PREFIX}6')"
        )
    return value


def _check_point(value: str) -> str:
    if not _POINT.match(value) or Decimal(value) <= 0:
        raise ValueError(f"credit points must be a positive decimal number as text, got {value!r}")
    return value


def _check_esco(value: str) -> str:
    if not value.startswith(ESCO_SKILL_PREFIX):
        raise ValueError(
            f"{value!r} is not an ESCO skill URI (they start with {ESCO_SKILL_PREFIX}); "
            "put skills of other frameworks in relatedSkill"
        )
    return value


EQFLevelIRI = Annotated[str, AfterValidator(_check_eqf)]
CreditPointValue = Annotated[str, AfterValidator(_check_point)]
ESCOSkillURI = Annotated[URI, AfterValidator(_check_esco)]


class LearningOutcome(StrictModel):
    """One learning outcome: what the learner knows or can do, optionally aligned to skills.

    JSON: ``{"type": "LearningOutcome", "title": "...", "relatedESCOSkill": [...]}``
    (ELM ``elm:LearningOutcome`` with ``dc:title``, ``elm:relatedESCOSkill``, ``elm:relatedSkill``).
    """

    id: URI | None = None
    type: Literal["LearningOutcome"] = "LearningOutcome"
    title: NonEmptyStr
    related_esco_skill: list[ESCOSkillURI] | None = Field(
        default=None, validation_alias="relatedESCOSkill", serialization_alias="relatedESCOSkill"
    )
    related_skill: list[URI] | None = None

    @classmethod
    def aligned(cls, title: str, *skills: str) -> Self:
        """An outcome aligned to skill URIs; ESCO skills go to ``relatedESCOSkill``."""
        esco = [s for s in skills if s.startswith(ESCO_SKILL_PREFIX)]
        other = [s for s in skills if not s.startswith(ESCO_SKILL_PREFIX)]
        return cls(title=title, related_esco_skill=esco or None, related_skill=other or None)

    @property
    def skills(self) -> list[str]:
        """Every skill this outcome is aligned to (ESCO first)."""
        return [*(self.related_esco_skill or []), *(self.related_skill or [])]


class CreditPoint(StrictModel):
    """Credit points in a framework (ELM ``elm:CreditPoint``); ECTS unless stated otherwise."""

    type: Literal["CreditPoint"] = "CreditPoint"
    framework: URI = ECTS_FRAMEWORK
    point: CreditPointValue

    @classmethod
    def ects(cls, credits: int | Decimal | str) -> Self:
        """ECTS credits, e.g. ``CreditPoint.ects(5)`` or ``CreditPoint.ects("2.5")``."""
        if isinstance(credits, bool) or not isinstance(credits, int | Decimal | str):
            raise InvalidInput(f"ECTS credits must be an int, Decimal or str, got {credits!r}")
        return cls(point=str(credits))

    @property
    def is_ects(self) -> bool:
        return self.framework == ECTS_FRAMEWORK

    @property
    def value(self) -> Decimal:
        return Decimal(self.point)


class AwardingBody(StrictModel):
    """An organisation that awards the micro-credential (ELM ``elm:awardingBody``)."""

    id: URI
    name: NonEmptyStr | None = None


class EUStandardElements(StrictModel):
    """The Annex I elements not already carried by an Open Badges credential.

    Every field is optional in the model so that a programme can be drafted step by step;
    :func:`microcred.model.compliance.compliance_report` says what is still missing.
    """

    type: Literal["EUStandardElements"] = "EUStandardElements"
    # Mandatory elements (Annex I)
    learning_outcomes: list[LearningOutcome] | None = Field(
        default=None, validation_alias="learningOutcome", serialization_alias="learningOutcome"
    )
    credit_points: list[CreditPoint] | None = Field(
        default=None, validation_alias="creditPoint", serialization_alias="creditPoint"
    )
    volume_of_learning: Duration | None = None
    eqf_level: EQFLevelIRI | None = None
    qf_ehea_cycle: QfEheaCycle | None = None
    assessment_type: NonEmptyStr | None = None
    form_of_participation: FormOfParticipation | None = None
    quality_assurance: NonEmptyStr | None = None
    issuer_countries: list[CountryCode] | None = Field(
        default=None, validation_alias="issuerCountry", serialization_alias="issuerCountry"
    )
    issuer_regions: list[NonEmptyStr] | None = Field(
        default=None, validation_alias="issuerRegion", serialization_alias="issuerRegion"
    )
    awarding_bodies: list[AwardingBody] | None = Field(
        default=None, validation_alias="awardingBody", serialization_alias="awardingBody"
    )
    # Optional elements (Annex I, "where relevant")
    prerequisites: NonEmptyStr | None = None
    supervision_and_id_verification: SupervisionAndIdVerification | None = None
    grading_scheme: NonEmptyStr | None = None
    integration_stackability: IntegrationStackability | None = None
    stackable_towards: list[URI] | None = None
    further_information: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.qf_ehea_cycle is not None and self.eqf_level is not None:
            level = self.eqf_level_number
            expected = EQF_CYCLES[self.qf_ehea_cycle]
            if level != expected:
                raise ValueError(
                    f"QF-EHEA {self.qf_ehea_cycle} cycle corresponds to EQF level {expected}, "
                    f"but the EQF level is {level}"
                )
        if self.stackable_towards and self.integration_stackability != "stackable":
            raise ValueError(
                "stackableTowards is given, so integrationStackability must be 'stackable'"
            )
        if self.credit_points is not None:
            frameworks = [c.framework for c in self.credit_points]
            if len(set(frameworks)) != len(frameworks):
                raise ValueError("creditPoint lists the same credit framework more than once")
        return self

    @property
    def eqf_level_number(self) -> int | None:
        """The EQF level as a number 1-8, or ``None``."""
        if self.eqf_level is None:
            return None
        m = _EQF_IRI.match(self.eqf_level)
        return int(m.group(1)) if m else None

    @property
    def ects_credits(self) -> Decimal | None:
        """The ECTS credits, or ``None`` if no ECTS credit point is stated."""
        for cp in self.credit_points or []:
            if cp.is_ects:
                return cp.value
        return None

    @property
    def workload_hours(self) -> Decimal | None:
        """The volume of learning in hours when it is stated in hours/minutes (``PT125H``)."""
        if self.volume_of_learning is None:
            return None
        m = _HOURS.match(self.volume_of_learning)
        if not m or not (m.group(1) or m.group(2)):
            return None
        return Decimal(m.group(1) or 0) + Decimal(m.group(2) or 0) / 60
