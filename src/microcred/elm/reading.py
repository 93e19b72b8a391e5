"""Reading an ELM v3 European Digital Credential for display: its EU standard elements.

Works on our own exports and on EDC credentials from other issuers (the official ELM v3
samples): every value is read defensively (single value or list, language maps with any
language), nothing is required. The element names follow Annex I of the Council
Recommendation 2022/C 243/02 (see :mod:`microcred.elm.export` for the property mapping).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from microcred.elm.vocabulary import ECTS_LABEL

__all__ = ["ElmElement", "ElmView", "is_elm", "read_elm"]

_PREFERRED_LANGUAGES = ("en",)


@dataclass(frozen=True, slots=True)
class ElmElement:
    """One Annex I element as shown to a reader: ``label`` and its ``values`` (may be empty)."""

    element_id: str
    label: str
    values: list[str] = field(default_factory=list)
    mandatory: bool = True

    @property
    def present(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True, slots=True)
class ElmView:
    """What an ELM credential says, element by element."""

    id: str | None
    title: str | None
    learner: str | None
    issuer: str | None
    elements: list[ElmElement]

    @property
    def missing(self) -> list[ElmElement]:
        return [e for e in self.elements if e.mandatory and not e.present]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "learner": self.learner,
            "issuer": self.issuer,
            "elements": [
                {
                    "id": e.element_id,
                    "label": e.label,
                    "mandatory": e.mandatory,
                    "values": list(e.values),
                }
                for e in self.elements
            ],
            "missing": [e.element_id for e in self.missing],
        }


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nodes(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _lang(value: Any) -> str | None:
    """The text of a language map (English first), or a plain string."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        for language in _PREFERRED_LANGUAGES:
            text = value.get(language)
            if isinstance(text, str) and text.strip():
                return text.strip()
        for text in value.values():
            if isinstance(text, str) and text.strip():
                return text.strip()
            if isinstance(text, list) and text and isinstance(text[0], str):
                return text[0]
    return None


def _label(node: Mapping[str, Any]) -> str | None:
    return _lang(node.get("prefLabel")) or _lang(node.get("title")) or _text(node.get("id"))


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _labels(value: Any) -> list[str]:
    return [label for node in _nodes(value) if (label := _label(node))]


def _notes(value: Any) -> list[str]:
    return [text for node in _nodes(value) if (text := _lang(node.get("noteLiteral")))]


def _org_name(node: Mapping[str, Any]) -> str | None:
    return (
        _lang(node.get("legalName"))
        or _lang(node.get("altLabel"))
        or _lang(node.get("prefLabel"))
        or _text(node.get("id"))
    )


def _countries(org: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for location in _nodes(org.get("location")):
        for address in _nodes(location.get("address")):
            for country in _nodes(address.get("countryCode")):
                label = _lang(country.get("prefLabel")) or _text(country.get("id"))
                if label and label not in found:
                    found.append(label)
        for region in _nodes(location.get("spatialCode")):
            if (label := _label(region)) and label not in found:
                found.append(label)
        if (name := _lang(location.get("geographicName"))) and name not in found:
            found.append(name)
    return found


def _credit(node: Mapping[str, Any]) -> str | None:
    point = _text(node.get("point"))
    if point is None:
        return None
    framework = _nodes(node.get("framework"))
    name = _label(framework[0]) if framework else None
    unit = "ECTS" if name in (ECTS_LABEL, "ECTS") else (name or "credits")
    return f"{point} {unit}"


def is_elm(document: Any) -> bool:
    """Whether ``document`` is an ELM ``EuropeanDigitalCredential``."""
    if not isinstance(document, Mapping):
        return False
    return "EuropeanDigitalCredential" in [t for t in _list(document.get("type"))]


def read_elm(document: Mapping[str, Any]) -> ElmView:
    """The EU standard elements an ELM credential states, for display."""
    subject = next(iter(_nodes(document.get("credentialSubject"))), {})
    claims = _nodes(subject.get("hasClaim"))
    claim: Mapping[str, Any] = claims[0] if claims else {}
    spec: Mapping[str, Any] = next(iter(_nodes(claim.get("specifiedBy"))), {})
    assessment: Mapping[str, Any] = next(iter(_nodes(claim.get("provenBy"))), {})
    assessment_spec: Mapping[str, Any] = next(iter(_nodes(assessment.get("specifiedBy"))), {})
    awarded: Mapping[str, Any] = next(iter(_nodes(claim.get("awardedBy"))), {})
    issuer_nodes = _nodes(document.get("issuer"))
    issuer: Mapping[str, Any] = issuer_nodes[0] if issuer_nodes else {}
    bodies = _nodes(awarded.get("awardingBody"))

    title = _lang(claim.get("title")) or _lang(spec.get("title"))
    learner = _lang(subject.get("fullName")) or " ".join(
        p for p in (_lang(subject.get("givenName")), _lang(subject.get("familyName"))) if p
    )
    issued = [
        d
        for d in (
            _text(document.get("issued")),
            _text(document.get("issuanceDate")),
            _text(document.get("validFrom")),
            _text(awarded.get("awardingDate")),
        )
        if d
    ][:1]
    workload = [c for node in _nodes(spec.get("creditPoint")) if (c := _credit(node))]
    for key in ("volumeOfLearning", "workload"):
        if volume := _text(spec.get(key)):
            workload.append(volume)
    level = [f"EQF {label}" for label in _labels(spec.get("eqfLevel"))] + [
        f"NQF {label}" for label in _labels(spec.get("nqfLevel"))
    ]
    assessment_type = _labels(assessment_spec.get("dcType")) or (
        [t] if (t := _lang(assessment_spec.get("title")) or _lang(assessment.get("title"))) else []
    )
    participation = _labels(spec.get("mode")) + _labels(assessment_spec.get("mode"))
    participation += [
        f"{label} (learning setting)" for label in _labels(spec.get("learningSetting"))
    ]
    notes = _notes(spec.get("additionalNote"))
    quality = [n for n in notes if n.lower().startswith("quality assurance")]
    quality += [
        _label(a) or "accredited"
        for a in _nodes(spec.get("accreditation")) + _nodes(issuer.get("accreditation"))
    ]
    stack: list[str] = []
    partial = spec.get("isPartialQualification")
    if isinstance(partial, bool):
        stack.append("Part of a larger qualification" if partial else "Stand-alone")
    stack += [n for n in notes if "stackable" in n.lower() or "stand-alone" in n.lower()]
    further = [n for n in notes if n not in quality and n not in stack]
    further += [d for d in (_lang(claim.get("description")),) if d]

    elements = [
        ElmElement("learner_identification", "Learner", [learner] if learner else []),
        ElmElement("title", "Title", [title] if title else []),
        ElmElement("issuer_country_region", "Country/region of the issuer", _countries(issuer)),
        ElmElement(
            "awarding_body",
            "Awarding body",
            [n for b in bodies if (n := _org_name(b))],
        ),
        ElmElement("date_of_issuing", "Date of issuing", issued),
        ElmElement(
            "learning_outcomes",
            "Learning outcomes",
            [t for o in _nodes(spec.get("learningOutcome")) if (t := _lang(o.get("title")))],
        ),
        ElmElement("notional_workload", "Workload", workload),
        ElmElement("level", "Level", level),
        ElmElement("type_of_assessment", "Type of assessment", assessment_type),
        ElmElement("form_of_participation", "Form of participation", participation),
        ElmElement("quality_assurance", "Quality assurance", quality),
        ElmElement("prerequisites", "Prerequisites", _notes(spec.get("entryRequirement")), False),
        ElmElement(
            "supervision_and_identity_verification",
            "Supervision and identity verification",
            _labels(assessment.get("idVerification")),
            False,
        ),
        ElmElement("grade", "Grade", _notes(assessment.get("grade")), False),
        ElmElement("integration_stackability", "Integration/stackability", stack, False),
        ElmElement("further_information", "Further information", further, False),
    ]
    return ElmView(
        id=_text(document.get("id")),
        title=title,
        learner=learner or None,
        issuer=_org_name(issuer) if issuer else _text(document.get("issuer")),
        elements=elements,
    )
