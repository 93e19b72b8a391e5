"""Compliance of a micro-credential definition with the EU standard elements.

Checks an :class:`~microcred.model.openbadges.Achievement` (with its
:class:`~microcred.model.eu.EUStandardElements`) and the issuer's
:class:`~microcred.model.openbadges.Profile` against Annex I of Council Recommendation
2022/C 243/02, and explains every missing or weak element in words a programme designer
understands. The learner and the date of issuing are filled in by each credential, so they
are reported as such rather than checked here.

Statuses: ``present``; ``weak`` (stated, but not in a form that serves its purpose);
``missing`` (a mandatory element is absent: the definition is not compliant);
``not_stated`` (an optional or "if applicable" element is absent: never blocking);
``from_credential`` (supplied at issuance).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from microcred.model.eu import EQF_CYCLES, EUStandardElements
from microcred.model.openbadges import Achievement, Profile

__all__ = ["ComplianceFinding", "ComplianceReport", "FindingStatus", "compliance_report"]

FindingStatus = Literal["present", "weak", "missing", "not_stated", "from_credential"]

# Hours per ECTS credit: the ECTS Users' Guide (2015) states 25-30 hours of work.
_ECTS_HOURS_LOW = Decimal(25)
_ECTS_HOURS_HIGH = Decimal(30)
# How far the stated hours may stray from that range before we call it inconsistent.
_TOLERANCE = Decimal("0.2")
_MIN_OUTCOME_CHARS = 20

_FORM_LABELS = {
    "online": "Online",
    "onsite": "Onsite",
    "blended": "Blended (online and onsite)",
}
_SUPERVISION_LABELS = {
    "unsupervised-no-id-verification": "Unsupervised, with no identity verification",
    "supervised-no-id-verification": "Supervised, with no identity verification",
    "supervised-with-id-verification": "Supervised online or onsite, with identity verification",
}
_STACKABILITY_LABELS = {
    "stand-alone": "Stand-alone, independent micro-credential",
    "stackable": "Integrated, stackable towards another credential",
}


@dataclass(frozen=True)
class ComplianceFinding:
    """The verdict on one Annex I element."""

    element_id: str
    element: str
    mandatory: bool
    status: FindingStatus
    message: str
    advice: str | None = None

    @property
    def blocking(self) -> bool:
        """A missing mandatory element makes the definition non-compliant."""
        return self.mandatory and self.status == "missing"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "elementId": self.element_id,
            "element": self.element,
            "mandatory": self.mandatory,
            "status": self.status,
            "message": self.message,
        }
        if self.advice:
            out["advice"] = self.advice
        return out


@dataclass(frozen=True)
class ComplianceReport:
    """Every Annex I element with its status; ``compliant`` when no mandatory one is missing."""

    findings: tuple[ComplianceFinding, ...]

    @property
    def compliant(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def missing(self) -> list[ComplianceFinding]:
        return [f for f in self.findings if f.status == "missing"]

    @property
    def weak(self) -> list[ComplianceFinding]:
        return [f for f in self.findings if f.status == "weak"]

    def finding(self, element_id: str) -> ComplianceFinding:
        for f in self.findings:
            if f.element_id == element_id:
                return f
        raise KeyError(element_id)

    def problems(self) -> list[str]:
        """The messages of the missing and weak elements, mandatory ones first."""
        bad = [f for f in self.findings if f.status in ("missing", "weak")]
        bad.sort(key=lambda f: (not f.mandatory, f.status != "missing"))
        return [f.message for f in bad]

    def to_json(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "findings": [f.to_json() for f in self.findings],
        }


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _learning_outcomes(eu: EUStandardElements | None) -> ComplianceFinding:
    name = "Learning outcomes"
    outcomes = (eu.learning_outcomes if eu else None) or []
    if not outcomes:
        return ComplianceFinding(
            "learning_outcomes",
            name,
            True,
            "missing",
            "Learning outcomes are missing: state what a learner knows or can do after "
            "completing it (e.g. 'Design a relational database for a small business').",
            "Link each outcome to a skill, e.g. an ESCO skill URI.",
        )
    short = [o.title for o in outcomes if len(o.title.strip()) < _MIN_OUTCOME_CHARS]
    unaligned = not any(o.skills for o in outcomes)
    advice = (
        "None of the outcomes is linked to a skill; adding ESCO (or other framework) skill "
        "URIs helps employers and recognition officers."
        if unaligned
        else None
    )
    if short:
        quoted = ", ".join(f"'{t}'" for t in short)
        return ComplianceFinding(
            "learning_outcomes",
            name,
            True,
            "weak",
            f"Learning outcome {quoted} is too short to say what the learner can do: write "
            "each outcome as an observable action (e.g. 'Explain ...', 'Build ...').",
            advice,
        )
    return ComplianceFinding(
        "learning_outcomes",
        name,
        True,
        "present",
        f"{len(outcomes)} learning outcome(s) stated.",
        advice,
    )


def _workload(eu: EUStandardElements | None) -> ComplianceFinding:
    name = "Notional workload"
    ects = eu.ects_credits if eu else None
    hours = eu.workload_hours if eu else None
    other_credits = [c for c in (eu.credit_points or []) if not c.is_ects] if eu else []
    volume = eu.volume_of_learning if eu else None
    if ects is None and hours is None and not other_credits and volume is None:
        return ComplianceFinding(
            "notional_workload",
            name,
            True,
            "missing",
            "Notional workload is missing: state ECTS credits (1 ECTS ≈ 25–30 hours) or hours.",
        )
    if ects is not None and hours is not None:
        low = ects * _ECTS_HOURS_LOW
        high = ects * _ECTS_HOURS_HIGH
        if hours < low * (1 - _TOLERANCE) or hours > high * (1 + _TOLERANCE):
            return ComplianceFinding(
                "notional_workload",
                name,
                True,
                "weak",
                f"{_fmt(ects)} ECTS correspond to about {_fmt(low)}–{_fmt(high)} hours of work, "
                f"but the workload says {_fmt(hours)} hours: check the credits or the hours.",
            )
        return ComplianceFinding(
            "notional_workload",
            name,
            True,
            "present",
            f"{_fmt(ects)} ECTS, {_fmt(hours)} hours.",
        )
    if ects is not None:
        return ComplianceFinding("notional_workload", name, True, "present", f"{_fmt(ects)} ECTS.")
    if hours is not None:
        low_e = (hours / _ECTS_HOURS_HIGH).quantize(Decimal("0.1"))
        high_e = (hours / _ECTS_HOURS_LOW).quantize(Decimal("0.1"))
        return ComplianceFinding(
            "notional_workload",
            name,
            True,
            "present",
            f"{_fmt(hours)} hours.",
            f"State ECTS credits too, wherever possible: {_fmt(hours)} hours are about "
            f"{_fmt(low_e)}–{_fmt(high_e)} ECTS.",
        )
    return ComplianceFinding(
        "notional_workload",
        name,
        True,
        "present",
        "Workload stated" + (f" as {volume}" if volume else " in another credit framework") + ".",
        "State ECTS credits too, wherever possible (1 ECTS ≈ 25–30 hours).",
    )


def _level(eu: EUStandardElements | None) -> ComplianceFinding:
    name = "Level (EQF, QF-EHEA cycle)"
    level = eu.eqf_level_number if eu else None
    cycle = eu.qf_ehea_cycle if eu else None
    if level is None and cycle is None:
        return ComplianceFinding(
            "level",
            name,
            True,
            "not_stated",
            "Level is not stated. If the learning is referenced to a qualifications framework, "
            "give the EQF level (1–8) and, in higher education, the QF-EHEA cycle.",
        )
    if level is None and cycle is not None:
        return ComplianceFinding(
            "level",
            name,
            True,
            "present",
            f"QF-EHEA {cycle} cycle.",
            f"Also state the EQF level ({EQF_CYCLES[cycle]}) that this cycle corresponds to.",
        )
    text = f"EQF level {level}" + (f", QF-EHEA {cycle} cycle" if cycle else "") + "."
    return ComplianceFinding("level", name, True, "present", text)


def _simple(
    element_id: str,
    name: str,
    value: object,
    mandatory: bool,
    missing_message: str,
    present_message: str,
) -> ComplianceFinding:
    if value is None or value == [] or value == "":
        return ComplianceFinding(
            element_id, name, mandatory, "missing" if mandatory else "not_stated", missing_message
        )
    return ComplianceFinding(element_id, name, mandatory, "present", present_message)


def _country(eu: EUStandardElements | None, issuer: Profile | None) -> ComplianceFinding:
    name = "Country/region of the issuer"
    codes = list((eu.issuer_countries or []) if eu else [])
    address = issuer.address if issuer else None
    if address is not None and address.address_country_code:
        codes.append(address.address_country_code)
    regions = list((eu.issuer_regions or []) if eu else [])
    if address is not None and address.address_region:
        regions.append(address.address_region)
    if codes:
        unique = list(dict.fromkeys(codes))
        where = ", ".join(unique) + (f" ({', '.join(dict.fromkeys(regions))})" if regions else "")
        return ComplianceFinding("issuer_country_region", name, True, "present", f"{where}.")
    if address is not None and address.address_country:
        return ComplianceFinding(
            "issuer_country_region",
            name,
            True,
            "weak",
            f"The issuer's country is given only as text ('{address.address_country}'): add the "
            "two-letter country code (e.g. 'IE') to the issuer's address.",
        )
    return ComplianceFinding(
        "issuer_country_region",
        name,
        True,
        "missing",
        "Country of the issuer is missing: add the two-letter country code (e.g. 'IE') to the "
        "issuer's address, or list it under issuerCountry in the EU elements.",
    )


def _awarding_body(eu: EUStandardElements | None, issuer: Profile | None) -> ComplianceFinding:
    name = "Awarding body"
    bodies = (eu.awarding_bodies if eu else None) or []
    if bodies:
        names = ", ".join(b.name or b.id for b in bodies)
        return ComplianceFinding("awarding_body", name, True, "present", f"Awarded by {names}.")
    if issuer is not None and issuer.name:
        return ComplianceFinding(
            "awarding_body",
            name,
            True,
            "present",
            f"The issuer, {issuer.name}, is the awarding body.",
            "List awardingBody in the EU elements if another organisation awards it.",
        )
    return ComplianceFinding(
        "awarding_body",
        name,
        True,
        "missing",
        "Awarding body is missing: give the issuer profile a name, or list the awarding "
        "organisation(s) under awardingBody.",
    )


def _label(labels: dict[str, str], value: str | None) -> str:
    return f"{labels.get(value or '', '')}."


def _stackability_text(eu: EUStandardElements | None) -> str:
    if eu is None or eu.integration_stackability is None:
        return ""
    text = _STACKABILITY_LABELS[eu.integration_stackability]
    if eu.stackable_towards:
        text += ": " + ", ".join(eu.stackable_towards)
    return text + "."


def compliance_report(achievement: Achievement, issuer: Profile | None) -> ComplianceReport:
    """Check ``achievement`` (and the ``issuer`` profile) against the EU standard elements."""
    eu = achievement.eu_standard_elements
    title = achievement.name.strip()
    findings = [
        ComplianceFinding(
            "learner_identification",
            "Identification of the learner",
            True,
            "from_credential",
            "Filled in for each learner when a credential is issued (a DID or a hashed e-mail "
            "address).",
        ),
        ComplianceFinding(
            "title",
            "Title of the micro-credential",
            True,
            "weak" if len(title) < 3 else "present",
            f"The title '{title}' is too short: use the name learners and employers will recognise."
            if len(title) < 3
            else f"'{title}'.",
        ),
        _country(eu, issuer),
        _awarding_body(eu, issuer),
        ComplianceFinding(
            "date_of_issuing",
            "Date of issuing",
            True,
            "from_credential",
            "Set on each credential when it is issued (validFrom).",
        ),
        _learning_outcomes(eu),
        _workload(eu),
        _level(eu),
        _simple(
            "type_of_assessment",
            "Type of assessment",
            eu.assessment_type if eu else None,
            True,
            "Type of assessment is missing: say how learning is assessed (e.g. written exam, "
            "project, portfolio, practical demonstration).",
            f"{eu.assessment_type if eu else ''}.",
        ),
        _simple(
            "form_of_participation",
            "Form of participation",
            eu.form_of_participation if eu else None,
            True,
            "Form of participation is missing: say whether the learning activity is online, "
            "onsite or blended.",
            _label(_FORM_LABELS, eu.form_of_participation if eu else None),
        ),
        _simple(
            "quality_assurance",
            "Type of quality assurance",
            eu.quality_assurance if eu else None,
            True,
            "Type of quality assurance is missing: name the quality assurance behind the "
            "micro-credential (e.g. 'Internal QA of the university, accredited by the "
            "national agency').",
            f"{eu.quality_assurance if eu else ''}.",
        ),
        _simple(
            "prerequisites",
            "Prerequisites",
            eu.prerequisites if eu else None,
            False,
            "No prerequisites stated (optional): say what learners need before enrolling, if "
            "anything.",
            "Prerequisites stated.",
        ),
        _simple(
            "supervision_and_identity_verification",
            "Supervision and identity verification during assessment",
            eu.supervision_and_id_verification if eu else None,
            False,
            "Supervision and identity verification not stated (optional): unsupervised, "
            "supervised, or supervised with identity verification.",
            _label(_SUPERVISION_LABELS, eu.supervision_and_id_verification if eu else None),
        ),
        _simple(
            "grade",
            "Grade achieved",
            (eu.grading_scheme if eu else None) or achievement.result_description,
            False,
            "No grading scheme stated (optional): describe the grades, or add result "
            "descriptions so each credential can carry the learner's grade.",
            "Grading scheme stated; each credential carries the learner's grade as a result.",
        ),
        _simple(
            "integration_stackability",
            "Integration/stackability options",
            eu.integration_stackability if eu else None,
            False,
            "Stackability not stated (optional): stand-alone, or stackable towards another "
            "credential.",
            _stackability_text(eu),
        ),
        _simple(
            "further_information",
            "Further information",
            eu.further_information if eu else None,
            False,
            "No further information (optional).",
            "Further information stated.",
        ),
    ]
    return ComplianceReport(tuple(findings))
