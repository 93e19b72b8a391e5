"""Map an issued Open Badges 3.0 micro-credential to an ELM v3 European Digital Credential.

The output follows the structure of the official ELM v3 micro-credential sample
(European-Learning-Model, ``Sample-MC-Annex1-unsigned.jsonld``) and the EDC application
profile shapes (``EDC-generic-no-cv.ttl``): a ``EuropeanDigitalCredential`` whose
``credentialSubject`` is a ``Person`` with one ``LearningAchievement`` claim,
``awardedBy`` an ``AwardingProcess`` (awarding bodies), ``provenBy`` a
``LearningAssessment`` (type of assessment, supervision and ID verification, grade) and
``specifiedBy`` a ``Qualification`` (title, learning outcomes, ECTS credit points, volume of
learning, EQF level, mode, learning setting, entry requirement, partial qualification).

Annex I element -> ELM property (Council Recommendation 2022/C 243/02, Annex I):

* identification of the learner -> ``credentialSubject`` (``Person``: ``fullName``)
* title -> ``hasClaim.title``, ``hasClaim.specifiedBy.title``, ``displayParameter.title``
* country/region of the issuer -> ``issuer.location.address.countryCode``, ``geographicName``
* awarding body -> ``hasClaim.awardedBy.awardingBody``
* date of issuing -> ``issued`` / ``issuanceDate`` / ``validFrom``, ``awardedBy.awardingDate``
* learning outcomes -> ``specifiedBy.learningOutcome[]``
* notional workload -> ``specifiedBy.creditPoint[]``, ``specifiedBy.volumeOfLearning``
* level -> ``specifiedBy.eqfLevel`` (QF-EHEA cycle in an ``additionalNote``)
* type of assessment -> ``provenBy.specifiedBy.dcType`` (a local concept, like the sample)
* form of participation -> ``specifiedBy.mode``; ``learningSetting`` non-formal
* quality assurance -> ``specifiedBy.additionalNote`` (ELM ``Accreditation`` needs an
  accrediting agent and decision the definitions do not hold)
* prerequisites -> ``specifiedBy.entryRequirement``
* supervision and identity verification -> ``provenBy.idVerification``
* grade -> ``provenBy.grade``; grading scheme -> ``provenBy.specifiedBy.gradingScheme``
* integration/stackability -> ``specifiedBy.isPartialQualification`` and a note
* further information -> ``specifiedBy.additionalNote``
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any

from microcred.elm import vocabulary as v
from microcred.errors import InvalidInput
from microcred.model.eu import ECTS_FRAMEWORK, EQF_CYCLES, ESCO_SKILL_PREFIX

__all__ = ["ELM_NAMESPACE", "to_elm"]

#: UUID namespace of the identifiers the exporter derives from the Open Badges credential id.
ELM_NAMESPACE = uuid.UUID("6a4f3c1e-2b7d-5e9a-8c0f-1d2e3f4a5b6c")


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Ids:
    """Stable node identifiers derived from the source credential's id."""

    def __init__(self, source_id: str) -> None:
        self._source = source_id

    def __call__(self, kind: str, index: int | str = 0) -> str:
        return f"urn:uuid:{uuid.uuid5(ELM_NAMESPACE, f'{self._source}|{kind}|{index}')}"


def _en(text: str) -> dict[str, str]:
    return {"en": text}


def _note(ident: str, text: str) -> dict[str, Any]:
    return {"id": ident, "type": "Note", "noteLiteral": _en(text)}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping):
        raise InvalidInput("the credential has no single credentialSubject to export")
    return subject


def _achievement(subject: Mapping[str, Any]) -> Mapping[str, Any]:
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping) or not _text(achievement.get("name")):
        raise InvalidInput(
            "only Open Badges achievement credentials can be exported to ELM: "
            "credentialSubject.achievement with a name is missing"
        )
    return achievement


def _eu(achievement: Mapping[str, Any]) -> Mapping[str, Any]:
    eu = achievement.get("euStandardElements")
    return eu if isinstance(eu, Mapping) else {}


def _countries(issuer: Mapping[str, Any], eu: Mapping[str, Any]) -> list[str]:
    listed = [c for c in eu.get("issuerCountry") or [] if isinstance(c, str)]
    address = issuer.get("address")
    if not listed and isinstance(address, Mapping):
        code = _text(address.get("addressCountryCode"))
        if code:
            listed = [code]
    return listed


def _regions(issuer: Mapping[str, Any], eu: Mapping[str, Any]) -> list[str]:
    listed = [r for r in eu.get("issuerRegion") or [] if isinstance(r, str)]
    address = issuer.get("address")
    if not listed and isinstance(address, Mapping):
        region = _text(address.get("addressRegion"))
        if region:
            listed = [region]
    return listed


def _country(alpha2: str) -> dict[str, Any]:
    node = v.country_concept(alpha2)
    if node is None:
        raise InvalidInput(
            f"country {alpha2!r} has no entry in the EU country authority table known to "
            "microcred (EU, EEA, candidate countries, CH, GB)"
        )
    return node


def _legal_identifier(ids: _Ids, issuer: Mapping[str, Any], country: dict[str, Any]) -> Any:
    notation, scheme = None, None
    for entry in issuer.get("otherIdentifier") or []:
        if isinstance(entry, Mapping) and _text(entry.get("identifier")):
            notation = str(entry["identifier"])
            scheme = _text(entry.get("identifierType"))
            break
    node: dict[str, Any] = {
        "id": ids("legalIdentifier"),
        "type": "LegalIdentifier",
        "notation": notation or str(issuer["id"]),
        "spatial": country,
    }
    node["schemeName"] = scheme or ("DID" if notation is None else "identifier")
    return node


def _issuer(ids: _Ids, credential: Mapping[str, Any], eu: Mapping[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        issuer = {"id": issuer}
    if not isinstance(issuer, Mapping) or not _text(issuer.get("id")):
        raise InvalidInput("the credential has no issuer id")
    name = _text(issuer.get("name")) or str(issuer["id"])
    countries = _countries(issuer, eu)
    if not countries:
        raise InvalidInput(
            "the issuer's country is unknown: set the issuer profile's addressCountryCode or "
            "the definition's issuerCountry (an EU standard element)"
        )
    regions = _regions(issuer, eu)
    locations = []
    for index, alpha2 in enumerate(countries):
        location: dict[str, Any] = {
            "id": ids("location", index),
            "type": "Location",
            "address": {
                "id": ids("address", index),
                "type": "Address",
                "countryCode": _country(alpha2),
            },
        }
        if index == 0 and regions:
            location["geographicName"] = _en(", ".join(regions))
        locations.append(location)
    org: dict[str, Any] = {
        "id": str(issuer["id"]),
        "type": "Organisation",
        "legalName": _en(name),
        "eIDASIdentifier": _legal_identifier(ids, issuer, _country(countries[0])),
        "location": locations[0] if len(locations) == 1 else locations,
    }
    if url := _text(issuer.get("url")):
        org["homepage"] = {"id": ids("homepage"), "type": "WebResource", "contentURL": url}
    if email := _text(issuer.get("email")):
        org["contactPoint"] = {
            "id": ids("issuerContact"),
            "type": "ContactPoint",
            "emailAddress": {"id": f"mailto:{email}", "type": "Mailbox"},
        }
    return org


def _awarding_bodies(eu: Mapping[str, Any], issuer: dict[str, Any]) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for body in eu.get("awardingBody") or []:
        if not isinstance(body, Mapping) or not _text(body.get("id")):
            continue
        if body["id"] == issuer["id"]:
            bodies.append(issuer)
            continue
        bodies.append(
            {
                "id": str(body["id"]),
                "type": "Organisation",
                "legalName": _en(_text(body.get("name")) or str(body["id"])),
                "location": issuer["location"],
            }
        )
    return bodies or [issuer]


def _outcomes(ids: _Ids, eu: Mapping[str, Any]) -> list[dict[str, Any]]:
    outcomes = []
    for index, raw in enumerate(eu.get("learningOutcome") or []):
        if not isinstance(raw, Mapping) or not _text(raw.get("title")):
            continue
        node: dict[str, Any] = {
            "id": ids("learningOutcome", index),
            "type": "LearningOutcome",
            "title": _en(str(raw["title"]).strip()),
        }
        esco = [s for s in raw.get("relatedESCOSkill") or [] if isinstance(s, str)]
        if esco:
            node["relatedESCOSkill"] = [
                {
                    "id": s,
                    "type": "Concept",
                    "inScheme": {"id": v.ESCO_SKILLS_SCHEME, "type": "ConceptScheme"},
                }
                for s in esco
                if s.startswith(ESCO_SKILL_PREFIX)
            ]
        other = [s for s in raw.get("relatedSkill") or [] if isinstance(s, str)]
        if other:
            node["relatedSkill"] = [{"id": s, "type": "Concept"} for s in other]
        outcomes.append(node)
    return outcomes


def _credit_points(ids: _Ids, eu: Mapping[str, Any]) -> list[dict[str, Any]]:
    points = []
    for index, raw in enumerate(eu.get("creditPoint") or []):
        if not isinstance(raw, Mapping) or not _text(raw.get("point")):
            continue
        framework = _text(raw.get("framework")) or ECTS_FRAMEWORK
        label = v.ECTS_LABEL if framework == ECTS_FRAMEWORK else None
        points.append(
            {
                "id": ids("creditPoint", index),
                "type": "CreditPoint",
                "framework": v.concept(framework, v.CREDIT_SCHEME, label),
                "point": str(raw["point"]),
            }
        )
    return points


def _qualification(
    ids: _Ids, achievement: Mapping[str, Any], eu: Mapping[str, Any]
) -> dict[str, Any]:
    title = str(achievement["name"]).strip()
    spec: dict[str, Any] = {
        "id": ids("qualification"),
        "type": "Qualification",
        "title": _en(title),
        "dcType": v.concept(
            v.SHORT_LEARNING_PROGRAMME, v.LEARNING_OPPORTUNITY_SCHEME, "Short learning programme"
        ),
        "language": v.concept(v.LANGUAGE_ENGLISH, v.LANGUAGE_SCHEME, "English"),
        "learningSetting": v.concept(
            v.LEARNING_SETTING_NON_FORMAL, v.LEARNING_SETTING_SCHEME, "non-formal learning"
        ),
    }
    if description := _text(achievement.get("description")):
        spec["description"] = _en(description)
    if outcomes := _outcomes(ids, eu):
        spec["learningOutcome"] = outcomes
    if points := _credit_points(ids, eu):
        spec["creditPoint"] = points
    if volume := _text(eu.get("volumeOfLearning")):
        spec["volumeOfLearning"] = volume
    notes: list[dict[str, Any]] = []
    if eqf := _text(eu.get("eqfLevel")):
        level = eqf.rsplit("/", 1)[-1]
        spec["eqfLevel"] = v.concept(eqf, v.EQF_SCHEME, f"Level {level}")
    if cycle := _text(eu.get("qfEheaCycle")):
        notes.append(
            _note(
                ids("note", "cycle"),
                f"QF-EHEA {cycle} cycle (EQF level {EQF_CYCLES.get(cycle, '?')}).",
            )
        )
    if mode := _text(eu.get("formOfParticipation")):
        iri, label = v.MODE_CONCEPTS.get(mode, (f"urn:microcred:concept:mode:{mode}", mode))
        spec["mode"] = v.concept(iri, v.MODE_SCHEME, label)
    if prerequisites := _text(eu.get("prerequisites")):
        spec["entryRequirement"] = _note(ids("note", "entry"), prerequisites)
    stack = _text(eu.get("integrationStackability"))
    if stack is not None:
        spec["isPartialQualification"] = stack == "stackable"
        towards = [t for t in eu.get("stackableTowards") or [] if isinstance(t, str)]
        text = (
            "Stand-alone, independent micro-credential."
            if stack == "stand-alone"
            else "Integrated, stackable towards another credential"
            + (": " + ", ".join(towards) if towards else "")
            + "."
        )
        notes.append(_note(ids("note", "stackability"), text))
    if qa := _text(eu.get("qualityAssurance")):
        notes.append(_note(ids("note", "qa"), f"Quality assurance: {qa}"))
    if more := _text(eu.get("furtherInformation")):
        notes.append(_note(ids("note", "more"), f"Further information: {more}"))
    if notes:
        spec["additionalNote"] = notes
    return spec


def _grade(subject: Mapping[str, Any]) -> str | None:
    for result in subject.get("result") or []:
        if isinstance(result, Mapping) and (value := _text(result.get("value"))):
            return value
    return None


def _assessment(
    ids: _Ids,
    subject: Mapping[str, Any],
    eu: Mapping[str, Any],
    awarded_by: Mapping[str, Any],
    issuer: Mapping[str, Any],
) -> dict[str, Any] | None:
    kind = _text(eu.get("assessmentType"))
    supervision = _text(eu.get("supervisionAndIdVerification"))
    grade = _grade(subject)
    if kind is None and supervision is None and grade is None:
        return None
    title = kind or "Assessment"
    spec: dict[str, Any] = {
        "id": ids("assessmentSpecification"),
        "type": "LearningAssessmentSpecification",
        "title": _en(title),
    }
    if kind is not None:
        spec["dcType"] = v.concept(ids("assessmentType"), v.ASSESSMENT_TYPE_SCHEME, kind)
    if mode := _text(eu.get("formOfParticipation")):
        iri, label = v.MODE_CONCEPTS.get(mode, (f"urn:microcred:concept:mode:{mode}", mode))
        spec["mode"] = v.concept(iri, v.MODE_SCHEME, label)
    if scheme := _text(eu.get("gradingScheme")):
        spec["gradingScheme"] = {
            "id": ids("gradingScheme"),
            "type": "GradingScheme",
            "title": _en(scheme),
        }
    node: dict[str, Any] = {
        "id": ids("assessment"),
        "type": "LearningAssessment",
        "title": _en(title),
        "awardedBy": {"id": awarded_by["id"], "type": "AwardingProcess"},
        "assessedBy": {"id": issuer["id"], "type": "Organisation"},
        "specifiedBy": spec,
    }
    if grade is not None:
        node["grade"] = _note(ids("note", "grade"), grade)
    if supervision is not None and supervision in v.SUPERVISION_CONCEPTS:
        iri, label = v.SUPERVISION_CONCEPTS[supervision]
        node["idVerification"] = v.concept(iri, v.SUPERVISION_SCHEME, label)
    return node


def _person(ids: _Ids, subject: Mapping[str, Any], learner_name: str | None) -> dict[str, Any]:
    ident = _text(subject.get("id")) or ids("person")
    person: dict[str, Any] = {"id": ident, "type": "Person"}
    name = _text(learner_name) or _text(subject.get("name"))
    if name is not None:
        person["fullName"] = _en(name)
    return person


def _individual_display(ids: _Ids, language: dict[str, Any], image: bytes) -> dict[str, Any]:
    if not isinstance(image, bytes) or not image.startswith(_PNG_SIGNATURE):
        raise InvalidInput("the display image of an ELM credential must be a PNG image")
    return {
        "id": ids("individualDisplay"),
        "type": "IndividualDisplay",
        "language": language,
        "displayDetail": {
            "id": ids("displayDetail"),
            "type": "DisplayDetail",
            "page": 1,
            "image": {
                "id": ids("displayImage"),
                "type": "MediaObject",
                "content": base64.b64encode(image).decode("ascii"),
                "contentEncoding": v.concept(v.ENCODING_BASE64, v.ENCODING_SCHEME, "base64"),
                "contentType": v.concept(v.FILE_TYPE_PNG, v.FILE_TYPE_SCHEME, "PNG"),
            },
        },
    }


def to_elm(
    credential: Mapping[str, Any],
    *,
    learner_name: str | None = None,
    display_image: bytes,
) -> dict[str, Any]:
    """The unsigned ELM v3 ``EuropeanDigitalCredential`` for an issued OB micro-credential.

    ``credential`` is the issued Open Badges 3.0 credential (its proof is ignored);
    ``learner_name`` is the learner's name, which the Open Badges credential does not carry
    (its subject is a DID or a hashed e-mail address). Raises :class:`InvalidInput` when the
    credential is not an achievement credential or lacks what ELM requires (an issuer
    country, a ``validFrom``).
    """
    if not isinstance(credential, Mapping):
        raise InvalidInput("to_elm needs the credential as a JSON object")
    source_id = _text(credential.get("id"))
    if source_id is None:
        raise InvalidInput("the credential has no id")
    issued = _text(credential.get("validFrom"))
    if issued is None:
        raise InvalidInput("the credential has no validFrom (date of issuing)")
    ids = _Ids(source_id)
    subject = _subject(credential)
    achievement = _achievement(subject)
    eu = _eu(achievement)
    issuer = _issuer(ids, credential, eu)
    title = str(achievement["name"]).strip()
    awarded_by: dict[str, Any] = {
        "id": ids("awardingProcess"),
        "type": "AwardingProcess",
        "awardingBody": _awarding_bodies(eu, issuer),
        "awardingDate": issued,
    }
    claim: dict[str, Any] = {
        "id": ids("learningAchievement"),
        "type": "LearningAchievement",
        "title": _en(title),
        "awardedBy": awarded_by,
        "specifiedBy": _qualification(ids, achievement, eu),
    }
    if description := _text(achievement.get("description")):
        claim["description"] = _en(description)
    if assessment := _assessment(ids, subject, eu, awarded_by, issuer):
        claim["provenBy"] = assessment
    person = _person(ids, subject, learner_name)
    person["hasClaim"] = claim
    english = v.concept(v.LANGUAGE_ENGLISH, v.LANGUAGE_SCHEME, "English")
    document: dict[str, Any] = {
        "@context": list(v.ELM_CONTEXTS),
        "id": ids("credential"),
        "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
        "credentialProfiles": v.concept(
            v.CREDENTIAL_TYPE_GENERIC, v.CREDENTIAL_TYPE_SCHEME, "Generic"
        ),
        "identifier": {
            "id": ids("identifier"),
            "type": "Identifier",
            "schemeName": "Open Badges 3.0 credential",
            "notation": source_id,
        },
        "displayParameter": {
            "id": ids("displayParameter"),
            "type": "DisplayParameter",
            "title": _en(title),
            "description": _en(_text(achievement.get("description")) or title),
            "language": english,
            "primaryLanguage": english,
            "individualDisplay": _individual_display(ids, english, display_image),
        },
        "credentialSchema": {"id": v.EDC_GENERIC_FULL, "type": "ShaclValidator2017"},
        "issuer": issuer,
        "issuanceDate": issued,
        "issued": issued,
        "validFrom": issued,
        "credentialSubject": person,
    }
    if until := _text(credential.get("validUntil")):
        document["expirationDate"] = until
        document["validUntil"] = until
    return document
